"""``kpikit workshop`` in a real subprocess: the URL answers when printed, and Ctrl-C stops it quietly."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kpikit.explore.cli import free_port, voila_command

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "data_samples" / "lumora" / "client.yaml"


def test_voila_is_served_with_kpikits_offline_template_progressively_or_preheated(tmp_path):
    cmd = voila_command(tmp_path / "w.ipynb", 8899)
    assert (
        "--template=kpikit_workshop" in cmd and "--progressive_rendering=True" in cmd and "--Voila.ip=127.0.0.1" in cmd
    )
    assert "--preheat_kernel=True" not in cmd  # Voila refuses both
    heated = voila_command(tmp_path / "w.ipynb", 8899, preheat=True)
    assert "--preheat_kernel=True" in heated and "--progressive_rendering=True" not in heated


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _visit(url: str) -> None:
    # the server goes away mid-page when the test presses Ctrl-C
    with contextlib.suppress(OSError, http.client.HTTPException):
        urllib.request.urlopen(url, timeout=120).read()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not CLIENT.is_file(), reason="data_samples/ not generated")
def test_the_url_answers_once_printed_and_ctrl_c_stops_everything_without_a_traceback(tmp_path):
    import psutil

    port = free_port()
    log = tmp_path / "out.log"
    cmd = [sys.executable, "-m", "kpikit.cli", "workshop", str(CLIENT), "--port", str(port)]
    with log.open("w") as out:
        # its own group, as a terminal's foreground job is, and with Ctrl-C's default action: an
        # earlier test of this run may have left SIGINT ignored, which a child would inherit
        proc = subprocess.Popen(
            cmd,
            cwd=str(ROOT),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        end = time.monotonic() + 120
        while url not in log.read_text() and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.05)
        assert url in log.read_text(), log.read_text()
        assert _answers(url + "voila/static/"), "the URL was printed before the server answered"
        text = log.read_text()
        assert "kpikit workshop: starting the server" in text
        # a visit starts the kernel (the page streams, explorer by explorer); wait for it so Ctrl-C
        # hits a running kernel
        threading.Thread(target=_visit, args=(url,), daemon=True).start()
        while "kernel started" not in log.read_text() and time.monotonic() < end:
            time.sleep(0.1)
        assert "kernel started" in log.read_text()
        family = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert family
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: SIGINT to the foreground group
        try:
            assert proc.wait(30) == 0
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 30 s after Ctrl-C; it printed:\n{log.read_text()}")
    finally:
        if proc.poll() is None:
            proc.kill()
    out = log.read_text()
    assert "Traceback" not in out and "zmq" not in out.lower() and "KeyboardInterrupt" not in out, out
    assert out.rstrip().endswith("kpikit workshop: stopped")
    time.sleep(0.5)
    assert [p for p in family if _alive(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE] == []
    assert not _answers(url + "voila/static/")
