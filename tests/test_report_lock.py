"""One batch per output folder: a second `kpikit report` into the same --out refuses at once.

The slow tests run real processes: a batch (``run_reports`` in its own Python,
paused inside the workbook) holds the folder while a real ``kpikit report``
process tries the same ``--out``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kpikit.errors import ReportError
from kpikit.report.lock import LOCK_NAME, OutputLock, pid_alive

FIXTURES = Path(__file__).parent / "fixtures" / "report"
TINY = FIXTURES / "tiny.ipynb"
OK1 = FIXTURES / "clients" / "ok1" / "client.yaml"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_held_lock_is_refused_naming_the_file_and_the_holder(tmp_path):
    with OutputLock(tmp_path) as held:
        assert json.loads(held.path.read_text())["pid"] == os.getpid()
        with pytest.raises(ReportError) as refused:
            OutputLock(tmp_path).acquire()
    message = str(refused.value)
    assert str(tmp_path / LOCK_NAME) in message and f"PID {os.getpid()}" in message
    assert "another `kpikit report` is writing into this output folder" in message
    assert not (tmp_path / LOCK_NAME).exists()  # released
    OutputLock(tmp_path).acquire().release()  # and free again


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_notice(tmp_path):
    dead = _dead_pid()
    assert not pid_alive(dead) and pid_alive(os.getpid())
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "started": "2026-01-01T00:00:00+00:00"}) + "\n")
    notices: list[str] = []
    with OutputLock(tmp_path, notice=notices.append) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    assert notices == [
        f"kpikit report: took over the stale lock {tmp_path / LOCK_NAME} (PID {dead} is no longer running)"
    ]


def _batch_process(out: Path, pause: float) -> subprocess.Popen:
    """A real batch into ``out`` whose one client sleeps ``pause`` s inside the workbook."""
    script = textwrap.dedent(
        f"""
        from kpikit.report import run_reports
        if __name__ == "__main__":
            batch = run_reports([{str(OK1)!r}], {str(out)!r}, notebook={str(TINY)!r}, jobs=1,
                                parameters={{"pause": {pause}}})
            raise SystemExit(0 if batch.ok else 1)
        """
    )
    return subprocess.Popen([sys.executable, "-c", script], start_new_session=True)


def _wait_for_staging(out: Path, proc: subprocess.Popen) -> list[Path]:
    deadline = time.monotonic() + 90
    while not (staged := list((out / "ok1").glob(".partial-*/report.ipynb"))):
        assert time.monotonic() < deadline and proc.poll() is None, "the first batch never started its client"
        time.sleep(0.2)
    return [p.parent for p in staged]


def _kpikit_report(out: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "kpikit.cli", "report", str(OK1), "--out", str(out), "--notebook", str(TINY),
            "--no-progress", "--jobs", "1"]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_second_run_into_the_same_out_refuses_at_once_and_the_first_finishes(tmp_path):
    out = tmp_path / "out"
    first = _batch_process(out, pause=6.0)
    try:
        staging = _wait_for_staging(out, first)
        started = time.monotonic()
        second = _kpikit_report(out)
        seconds = time.monotonic() - started
        assert second.returncode == 2, second.stderr
        assert str(out / LOCK_NAME) in second.stderr and f"PID {first.pid}" in second.stderr
        assert "another `kpikit report` is writing into this output folder" in second.stderr
        assert "Traceback" not in second.stderr
        assert seconds < 20, f"the refusal took {seconds:.1f} s"  # interpreter and papermill import, no client
        assert all(p.is_dir() for p in staging), "the refused run deleted the first run's staging folder"
        assert first.wait(timeout=120) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert json.loads((out / "ok1" / "metrics.json").read_text())["client"]["id"] == "ok1"
    assert (out / "index.html").is_file() and not (out / LOCK_NAME).exists()
    print(f"refusal took {seconds:.2f} s")


@pytest.mark.slow
def test_a_run_killed_mid_batch_leaves_a_stale_lock_the_next_run_takes_over(tmp_path):
    out = tmp_path / "out"
    killed = _batch_process(out, pause=60.0)
    try:
        _wait_for_staging(out, killed)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the batch, its worker and its kernel
        killed.wait()
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == killed.pid
    deadline = time.monotonic() + 10
    while any(pid_alive(int(p.name.split("-")[1])) for p in (out / "ok1").glob(".partial-*")):
        assert time.monotonic() < deadline, "the killed worker is still running"
        time.sleep(0.2)
    again = _kpikit_report(out)
    assert again.returncode == 0, again.stderr
    assert f"took over the stale lock {out / LOCK_NAME} (PID {killed.pid} is no longer running)" in again.stderr
    assert not list((out / "ok1").glob(".partial-*"))  # the dead run's staging is cleaned up
    assert not (out / LOCK_NAME).exists()
