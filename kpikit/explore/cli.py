"""``kpikit workshop CLIENT.yaml [--port N]``: the workshop workbook as a Voila app on localhost.

The client config is injected into a copy of ``workbooks/workshop.ipynb`` the
way papermill injects parameters (an ``injected-parameters`` cell after the
``parameters`` cell), so JupyterLab, papermill and Voila all run the same
workbook. Voila listens on 127.0.0.1 only and hides the code.

What the consultant sees in the terminal:

* the URL, printed only once the server answers on it (polled);
* progress while the kernel starts and runs the workbook. By default Voila renders
  progressively: each explorer appears, and accepts input, as soon as its cell has
  run, so the first one is live while the others are still building
  (``benchmarks/bench_workshop_start.py``: 1.7x a bare one-slider Voila, against
  2.6x when the page waited for every cell). ``--preheat`` instead runs the whole
  workbook in a kernel at start, so a page opened later appears complete at once:
  for a workshop started well before the room arrives (Voila cannot do both);
* Ctrl-C stops everything quietly: Voila runs in its own process group, so the
  terminal's SIGINT reaches only this command, which then stops Voila (SIGTERM,
  SIGKILL after 10 s) and its kernels; no ZMQ traceback.

The page is served with kpikit's Voila template (``templates/workshop``): no
request leaves the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from kpikit.core.paths import WORKSHOP_TEMPLATE_NAME, workbook, workshop_template_dir
from kpikit.errors import ConfigError
from kpikit.explore.preload import BUNDLE_FILE

__all__ = ["main", "WORKBOOK", "prepare_notebook", "voila_command", "voila_env", "free_port", "wait_until_answering"]

WORKBOOK = workbook("workshop.ipynb")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_notebook(config_path: Path, out_dir: Path, workbook: Path = WORKBOOK) -> Path:
    """Write the workbook with ``client_config`` injected; return the new notebook's path.

    The cell is the one papermill injects (tagged ``injected-parameters``, right after the
    ``parameters`` cell), written here with plain JSON: importing papermill costs ~1-3 s
    on the path to the first page.
    """
    if not workbook.is_file():
        raise ConfigError(
            "the workshop workbook is missing",
            file=str(workbook),
            fix="run from a kpikit checkout (workbooks/ beside kpikit/), or pass --notebook",
        )
    nb = json.loads(workbook.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    # json.dumps of a str is a valid Python string literal
    source = f"# Parameters\nclient_config = {json.dumps(str(config_path))}\n"
    injected = {
        "cell_type": "code",
        "execution_count": None,
        "id": "injected-parameters",
        "metadata": {"tags": ["injected-parameters"]},
        "outputs": [],
        "source": source,
    }
    if nb.get("nbformat_minor", 0) < 5:
        injected.pop("id")
    nb["cells"] = [*cells[:at], injected, *cells[at:]]
    nb.setdefault("metadata", {})["papermill"] = {"parameters": {"client_config": str(config_path)}}
    out = out_dir / "workshop.ipynb"
    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def voila_command(notebook: Path, port: int, *, preheat: bool = False) -> list[str]:
    """The Voila command line: localhost only, no browser, code hidden, kpikit's offline template.

    By default the page renders progressively (each explorer live once its cell ran);
    ``preheat`` instead keeps one kernel that has already run the workbook waiting for the first visit.
    """
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=False",
        f"--template={WORKSHOP_TEMPLATE_NAME}",
        # the one file of the notebook's folder the page may fetch: the charts' JavaScript bundle
        f"--VoilaConfiguration.file_allowlist=['{re.escape(BUNDLE_FILE)}']",
    ]
    # Voila refuses the two together: pre-heating renders the finished page, not cell by cell.
    cmd.append("--preheat_kernel=True" if preheat else "--progressive_rendering=True")
    return cmd


def voila_env(base: dict[str, str] | None = None, *, preloaded: Path | None = None) -> dict[str, str]:
    """The environment of Voila and its kernels: kpikit's template first on ``JUPYTER_PATH``,
    and the preloaded model's file (:data:`kpikit.explore.preload.ENV`) when there is one."""
    from kpikit.explore.preload import ENV

    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(workshop_template_dir()), env.get("JUPYTER_PATH")) if p)
    if preloaded is not None:
        env[ENV] = str(preloaded)
    return env


def _preload(config: Path, path: Path) -> None:
    from kpikit.explore.preload import write_preloaded

    try:
        write_preloaded(config, path)
    except Exception:  # the kernel loads the client itself and shows the problem in the page
        pass


def wait_until_answering(url: str, child: subprocess.Popen, timeout: float = 120.0) -> bool:
    """Poll ``url`` until the server answers (any HTTP status); False if it exits or times out.

    A path that is not the notebook is asked, so polling never starts a kernel.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # a 404 is an answer
        except OSError:
            time.sleep(0.1)
    return False


# Voila's own lines: a kernel starts or stops (``[Voila] Kernel started: <id>``).
_KERNEL = re.compile(r"Kernel (started|shutdown): ([0-9a-f-]{36})")
# Noise Voila and its kernels print on every start; warnings, errors and tracebacks pass through.
_QUIET = (
    re.compile(r"^\[Voila\] (?!WARNING|ERROR|CRITICAL)"),  # Voila's INFO lines
    re.compile(r"^\d{3} (GET|POST|HEAD|PUT|DELETE) "),  # tornado's access log
    re.compile(r"Kernel is running over TCP without encryption"),
    re.compile(r"websocket_ping_timeout"),
    re.compile(r"^\s*http://127\.0\.0\.1"),
)


class _Voila:
    """Voila's output relayed to the terminal, and what it tells: which kernels are alive."""

    def __init__(self, child: subprocess.Popen, started: float) -> None:
        self.child = child
        self.started = started
        self.kernels: set[str] = set()
        self.first_kernel = threading.Event()
        self.stopping = False
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        for line in iter(self.child.stdout.readline, ""):
            m = _KERNEL.search(line)
            if m:
                (self.kernels.add if m.group(1) == "started" else self.kernels.discard)(m.group(2))
                if m.group(1) == "started" and not self.first_kernel.is_set():
                    self.first_kernel.set()
                    say = "kernel started; running the workbook"
                    print(f"kpikit workshop: {say} ({time.monotonic() - self.started:.0f} s)", flush=True)
            elif not self.stopping and not any(q.search(line) for q in _QUIET):
                # While stopping, a kernel interrupted mid-start prints a KeyboardInterrupt: not news.
                sys.stderr.write(line)
                sys.stderr.flush()

    def stop(self) -> None:
        """SIGTERM; once Voila has shut its kernels down, do not wait for its ZMQ teardown."""
        child = self.child
        self.stopping = True
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        # Voila stops its kernels at once but can then hang in ZMQ's teardown: wait for the
        # kernels (their shutdown lines), give it a moment, then end the process group. A kernel
        # busy in native code (vl-convert) may not answer: Ctrl-C must still end within seconds.
        end = time.monotonic() + 8
        while child.poll() is None and self.kernels and time.monotonic() < end:
            time.sleep(0.1)
        try:
            child.wait(1)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(5)
        self._thread.join(2)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpikit workshop", description="Start the workshop workbook in Voila on localhost."
    )
    p.add_argument("config", help="the client's client.yaml")
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument(
        "--notebook", type=Path, default=WORKBOOK, help="workbook to serve (default: workbooks/workshop.ipynb)"
    )
    p.add_argument(
        "--preheat",
        action="store_true",
        help="run the whole workbook in a kernel at start, so a page opened later is complete at once "
        "(default: explorers appear one by one, the first within seconds; ~300 MB more while waiting)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the URL and the command, start nothing")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kpikit workshop``; returns Voila's exit code (0 after Ctrl-C)."""
    from kpikit.config import ClientConfig

    started = time.monotonic()
    args = _parser().parse_args(argv)
    config_path = Path(args.config).resolve()
    ClientConfig.from_yaml(config_path)  # a bad config fails here, with a clear message, not in the browser
    port = args.port or free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kpikit-workshop-"))
    voila = None
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM stops as quietly as Ctrl-C
    try:
        notebook = prepare_notebook(config_path, tmp, args.notebook)
        cmd = voila_command(notebook, port, preheat=args.preheat)
        url = f"http://127.0.0.1:{port}/"
        if args.dry_run:
            print(url)
            print(" ".join(cmd))
            return 0
        # The client is loaded here while Voila and its kernel start (2 cores: the work overlaps);
        # the kernel waits for the file while the marker exists, then reads it.
        preloaded = tmp / "model.pkl"
        Path(f"{preloaded}.pending").touch()
        threading.Thread(target=_preload, args=(config_path, preloaded), daemon=True).start()
        # Own process group: the terminal's Ctrl-C reaches this command only, which stops Voila cleanly.
        child = subprocess.Popen(
            cmd,
            cwd=str(tmp),
            env=voila_env(preloaded=preloaded),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        voila = _Voila(child, started)
        print("kpikit workshop: starting the server…", flush=True)
        if not wait_until_answering(f"{url}voila/static/", child):
            voila.stop()
            print("kpikit workshop: the server did not start (see the lines above)", file=sys.stderr, flush=True)
            return child.returncode or 1
        print(f"kpikit workshop: {url}  (Ctrl-C to stop)", flush=True)
        return child.wait()
    except KeyboardInterrupt:
        print("\nkpikit workshop: stopping…", flush=True)
        if voila is not None:
            voila.stop()
        print("kpikit workshop: stopped", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if voila is not None:
            voila.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
