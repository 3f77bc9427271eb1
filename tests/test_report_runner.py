"""The batch runner against a tiny fixture workbook (tests/fixtures/report/tiny.ipynb).

The fixture's behaviour depends on the client id: ``boom*`` raises in a cell,
``crash*`` kills its kernel with ``os._exit``, ``slow*`` sleeps past any timeout,
anything else writes metrics.json and a chart. Its metadata names a kernel that
does not exist, so every run proves the runner passes an explicit kernel name.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import nbformat
import pytest

from kpikit.errors import ReportError
from kpikit.report import client_dir, run_reports
from kpikit.report.cli import main as report_main
from kpikit.report.runner import BatchResult, ClientJob, ClientResult, run_client

FIXTURES = Path(__file__).parent / "fixtures" / "report"
TINY = FIXTURES / "tiny.ipynb"


def config(client: str) -> Path:
    return FIXTURES / "clients" / client / "client.yaml"


@pytest.mark.parametrize(
    "bad", ["../x", "..", "/etc", "a/b", "a\\b", "", ".hidden", "x" * 65, "ok/../../x", "acme\n", None]
)
def test_client_ids_that_escape_the_output_folder_are_refused(tmp_path, bad):
    with pytest.raises(ReportError, match="client id"):
        client_dir(tmp_path, bad)


def test_run_reports_refuses_escaping_ids_before_running_anything(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="client id"):
        run_reports({"ok1": config("ok1"), "../escape": config("ok2")}, out, notebook=TINY)
    assert not out.exists()
    assert not (tmp_path / "escape").exists()


def test_batch_level_problems_are_refused_up_front(tmp_path):
    with pytest.raises(ReportError, match="unknown or reserved"):
        run_reports([config("ok1")], tmp_path, notebook=TINY, parameters={"colour": "red"})
    with pytest.raises(ReportError, match="unknown or reserved"):
        run_reports([config("ok1")], tmp_path, notebook=TINY, parameters={"output_dir": "/tmp"})
    with pytest.raises(ReportError, match="no Jupyter kernel named 'no-such-kernel'"):
        run_reports([config("ok1")], tmp_path, notebook=TINY, kernel_name="no-such-kernel")
    with pytest.raises(ReportError, match="the same client config is listed twice"):
        run_reports([config("ok1"), config("ok1").parent], tmp_path, notebook=TINY)
    with pytest.raises(ReportError, match="workbook not found"):
        run_reports([config("ok1")], tmp_path, notebook=tmp_path / "missing.ipynb")


def test_unreadable_config_fails_that_client_without_a_kernel(tmp_path):
    bad = tmp_path / "in" / "broken-config" / "client.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("client: [unclosed\n")
    # The config is read before any kernel starts; the folder name stands in for the id.
    batch = run_reports([bad], tmp_path / "out", notebook=TINY, write_index=False, jobs=1)
    (res,) = batch.results
    assert (res.client, res.status, res.error_type) == ("broken-config", "failed", "ConfigError")
    assert "not valid YAML" in res.error
    assert not (tmp_path / "out" / "broken-config" / "report.ipynb").exists()


BAD_CONFIGS = Path(__file__).parent / "bad_configs"


def test_every_broken_config_fails_its_own_client_and_the_batch_says_why(tmp_path):
    # No kernel starts: each client's job reads and validates its config first.
    cases = {  # folder -> (config file, words its failure must hold)
        "bomb": ("alias_bomb.yaml", "YAML aliases (*a) are not allowed"),
        "typo": ("funnel_typo.yaml", "did you mean 'real_outcome'?"),
        "wide": ("utf16_bom.yaml", "saved as UTF-16; save it as UTF-8"),
        "outside": ("export_third_outside.yaml", "outside the client folder"),
        "broken": (None, "not valid YAML"),
    }
    configs = []
    for folder, (name, _) in cases.items():
        target = tmp_path / "in" / folder / "client.yaml"
        target.parent.mkdir(parents=True)
        target.write_bytes((BAD_CONFIGS / name).read_bytes() if name else b"client: [unclosed\n")
        configs.append(target)
    configs.append(tmp_path / "in" / "absent" / "client.yaml")
    started = time.monotonic()
    batch = run_reports(configs, tmp_path / "out", notebook=TINY, jobs=1)
    assert time.monotonic() - started < 30
    assert len(batch.results) == 6 and not any(r.ok for r in batch.results)
    # typo and outside both say `client: acme`: the first keeps the id, the second gets its folder's name
    # (and reports its own problem, not the clash); configs whose id cannot be read are named by folder.
    assert sorted(r.client for r in batch.results) == ["absent", "acme", "bomb", "broken", "outside", "wide"]
    by_config = {Path(r.config).parent.name: r for r in batch.results}
    summary = batch.summary()
    index = (tmp_path / "out" / "index.html").read_text()
    for folder, (_, words) in cases.items():
        assert by_config[folder].error_type in {"ConfigError", "ConfigValidationError"}
        assert words in by_config[folder].error and words in summary, folder
        assert html.escape(words) in index, folder
    assert "client config not found" in by_config["absent"].error
    assert "/etc/passwd" not in index or "root:" not in index  # named, never read


def test_a_second_valid_config_with_a_taken_id_fails_alone_and_says_which_config_has_it(tmp_path):
    twin = tmp_path / "twin" / "client.yaml"
    twin.parent.mkdir()
    twin.write_text("client: ok1\n")
    executor = _RecordingExecutor()
    run_reports([config("ok1"), twin], tmp_path / "out", notebook=TINY, executor=executor, write_index=False)
    assert [(j.client, j.duplicate_of) for j in executor.jobs] == [("ok1", None), ("twin", str(config("ok1")))]
    result = run_client(executor.jobs[1])  # what its worker does: the config is fine, the id is taken
    assert (result.status, result.error_type) == ("failed", "ConfigError")
    assert "client id 'ok1' is also used by another client config" in result.error
    assert str(config("ok1")) in result.error


def test_a_config_that_breaks_the_reader_unexpectedly_is_still_one_failed_client(tmp_path, monkeypatch):
    from kpikit.config import ClientConfig

    def explode(path):
        raise RuntimeError("secret contents of the file")

    monkeypatch.setattr(ClientConfig, "from_yaml", staticmethod(explode))
    result = run_client(ClientJob(client="ok1", config=str(config("ok1")), out_dir=str(tmp_path), notebook=str(TINY)))
    assert (result.status, result.error_type) == ("failed", "ConfigError")
    assert "could not be read (RuntimeError)" in result.error and "secret" not in result.error


def test_clients_arguments_that_do_not_parse_are_passed_on_as_client_configs(tmp_path):
    from kpikit.report.cli import expand_clients

    broken = tmp_path / "broken.yaml"
    broken.write_text("- a/client.yaml\n- [unclosed\n")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes((BAD_CONFIGS / "alias_bomb.yaml").read_bytes())
    started = time.monotonic()
    assert expand_clients([broken, bomb]) == [broken, bomb]  # their jobs say what is wrong
    assert time.monotonic() - started < 1  # composed, never expanded


def test_the_terminal_summary_holds_every_line_of_a_failure():
    failure = ClientResult("beta", "failed", "b.yaml", error="ads.csv: 2 problems\n  - row 3: x\n  - row 9: y",
                           error_type="ValidationError")  # fmt: skip
    summary = BatchResult(results=(failure,), out_dir=Path("/out")).summary()
    assert summary.splitlines()[1:] == ["  FAILED beta: ValidationError: ads.csv: 2 problems",
                                        "      - row 3: x", "      - row 9: y"]  # fmt: skip


def test_run_client_never_raises(tmp_path):
    job = ClientJob(client="ok1", config=str(config("ok1")), out_dir=str(tmp_path), notebook=str(tmp_path / "no.ipynb"))
    result = run_client(job)  # what a worker runs: a missing workbook is a failed result
    assert (result.status, result.error_type) == ("failed", "FileNotFoundError")


@pytest.mark.slow
def test_cli_batch_with_failing_crashing_and_slow_clients(tmp_path, monkeypatch, capsys):
    # A user-level kernelspec that shadows python3 with a broken interpreter: the
    # runner must still use this venv's own kernel.
    shadow = tmp_path / "jupyter" / "kernels" / "python3"
    shadow.mkdir(parents=True)
    shadow.joinpath("kernel.json").write_text(
        json.dumps({"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "shadow", "language": "python"})
    )  # fmt: skip
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")

    out = tmp_path / "out"
    (out / "boom").mkdir(parents=True)
    (out / "boom" / "report.html").write_text("last month's report")  # stale: must not survive a failure
    clients_list = tmp_path / "clients.yaml"
    clients_list.write_text("".join(f"- {config(c)}\n" for c in ("ok1", "boom", "crash", "slow")))

    status = report_main(
        [str(clients_list), str(config("ok2").parent), "--out", str(out), "--notebook", str(TINY),
         "--jobs", "2", "--timeout", "6"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 1
    assert "2 of 5 client reports" in printed and "FAILED boom" in printed

    for ok in ("ok1", "ok2"):
        folder = out / ok
        assert {p.name for p in folder.iterdir()} == {"report.ipynb", "report.html", "metrics.json", "charts"}
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["client"]["id"] == ok
        assert metrics["python"] == sys.executable  # the venv's interpreter ran the kernel
        assert (folder / "charts" / "bars.svg").read_text().startswith("<svg")
        page = (folder / "report.html").read_text()
        # nbconvert embeds SVG as an <img> data URI: its text can never become markup
        (svg_uri,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
        assert "&lt;img src=x onerror=alert(1)&gt;" in base64.b64decode(svg_uri).decode()
        assert "onerror" not in page
        assert ".partial-" not in page  # no staging path leaked into the report
        assert f"{ok} &amp; Co &lt;b&gt;" in page and "Fixture Agency" in page  # branding, escaped
        assert "save_metrics" not in page  # code hidden
        assert "<script src" not in page and "cdn." not in page

    expected = {"boom": ("ValueError", 4), "crash": ("KernelDied", 5), "slow": ("Timeout", 6)}
    for client, (error_type, cell) in expected.items():
        folder = out / client
        assert not (folder / "report.html").exists() and not (folder / "metrics.json").exists()
        nb = nbformat.read(folder / "report.ipynb", as_version=4)
        marked = [c for c in nb.cells if c.metadata.get("papermill", {}).get("exception")]
        assert len(marked) == 1 and marked[0].execution_count == cell
        assert error_type in [o.get("ename") for o in marked[0].outputs]
        assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in nb.cells)
        assert "ana.lopez@example.com" not in (folder / "report.ipynb").read_text()  # redacted traceback

    index = (out / "index.html").read_text()
    assert index.count('<tr class="kk-ok"') == 2 and index.count('<tr class="kk-failed"') == 3
    assert "deliberate failure for boom; contact [email removed]" in index
    assert "the Python kernel died" in index and "6 s limit" in index
    assert 'href="ok1/report.html"' in index and "EUR 1,234.50" in index


@pytest.mark.slow
def test_rerun_is_byte_identical_and_a_killed_run_leaves_the_old_report(tmp_path):
    out = tmp_path / "out"
    # One worker: ok2 runs in the kernel ok1 warmed up, which must look brand new to it.
    first = run_reports([config("ok1"), config("ok2")], out, notebook=TINY, jobs=1, parameters={"greeting": "v1"})
    assert first.ok
    assert json.loads((out / "ok2" / "metrics.json").read_text())["leaked"] == []
    ok2 = nbformat.read(out / "ok2" / "report.ipynb", as_version=4)
    assert [c.execution_count for c in ok2.cells if c.cell_type == "code"][:3] == [1, 2, 3]
    before = {name: (out / "ok1" / name).read_bytes() for name in ("metrics.json", "report.html")}
    again = run_reports([config("ok1")], out, notebook=TINY, jobs=1, parameters={"greeting": "v1"})
    assert again.ok
    assert (out / "ok1" / "metrics.json").read_bytes() == before["metrics.json"]

    # Start a run that would write "v2", kill the whole batch mid-notebook.
    script = textwrap.dedent(
        f"""
        from kpikit.report import run_reports
        if __name__ == "__main__":
            run_reports([{str(config("ok1"))!r}], {str(out)!r}, notebook={str(TINY)!r}, jobs=1,
                        parameters={{"greeting": "v2", "pause": 60.0}})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "ok1").glob(".partial-*/report.ipynb")):
            assert time.monotonic() < deadline and proc.poll() is None, "the second run never started"
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for name, data in before.items():
        assert (out / "ok1" / name).read_bytes() == data, f"{name} changed by a killed run"
    assert json.loads((out / "ok1" / "metrics.json").read_text())["greeting"] == "v1"
    # the next run takes the killed run's lock over and cleans its staging folder up
    with pytest.warns(UserWarning, match=rf"took over the stale lock .* \(PID {proc.pid} is no longer running\)"):
        assert run_reports([config("ok1")], out, notebook=TINY, jobs=1, parameters={"greeting": "v1"}).ok
    assert not list((out / "ok1").glob(".partial-*"))


@pytest.mark.slow
def test_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        batch = run_reports(
            [config("ok1"), config("ok2")], tmp_path, notebook=TINY, executor=client.get_executor(), reuse_kernels=False
        )
        assert client.status == "running"  # a passed executor is the caller's: not shut down
    assert [r.status for r in batch.results] == ["ok", "ok"]
    assert all((tmp_path / c / "report.html").is_file() for c in ("ok1", "ok2"))


class _RecordingExecutor(Executor):
    """Records the jobs it is given and answers each with an ``ok`` result, running nothing."""

    def __init__(self) -> None:
        self.jobs: list[ClientJob] = []

    def submit(self, fn, /, *args, **kwargs):
        (job,) = args
        self.jobs.append(job)
        future: Future = Future()
        future.set_result(ClientResult(client=job.client, status="ok", config=job.config))
        return future


@pytest.mark.parametrize("reuse", [True, False])
def test_reuse_kernels_reaches_every_job(tmp_path, reuse):
    executor = _RecordingExecutor()
    run_reports([config("ok1"), config("ok2")], tmp_path, notebook=TINY, executor=executor, write_index=False,
                reuse_kernels=reuse)  # fmt: skip
    assert [job.reuse_kernel for job in executor.jobs] == [reuse, reuse]


@pytest.mark.slow
@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh-kernels"])
def test_fresh_kernels_flag_starts_a_kernel_per_client(tmp_path, fresh):
    # The tiny workbook, also recording the process id of the kernel that ran it.
    nb = nbformat.read(TINY, as_version=4)
    (cell,) = [c for c in nb.cells if "save_metrics(" in c.source]
    assert '"python": sys.executable,' in cell.source
    cell.source = cell.source.replace(
        '"python": sys.executable,', '"python": sys.executable, "kernel_pid": os.getpid(),'
    )
    notebook = tmp_path / "pid.ipynb"
    nbformat.write(nb, notebook)

    out = tmp_path / "out"
    args = [str(config("ok1")), str(config("ok2")), "--out", str(out), "--notebook", str(notebook), "--jobs", "1",
            "--no-progress"]  # fmt: skip
    assert report_main(args + (["--fresh-kernels"] if fresh else [])) == 0
    pids = [json.loads((out / c / "metrics.json").read_text())["kernel_pid"] for c in ("ok1", "ok2")]
    if fresh:
        assert pids[0] != pids[1], "--fresh-kernels ran both clients in one kernel"
    else:
        # One worker keeps one warm kernel for both clients (namespace wiped in between).
        assert pids[0] == pids[1], "without --fresh-kernels the worker's kernel should be reused"
        assert json.loads((out / "ok2" / "metrics.json").read_text())["leaked"] == []
