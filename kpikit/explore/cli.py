"""``kpikit workshop CLIENT.yaml [--port N]``: the workshop workbook as a Voila app on localhost.

The client config is injected into a copy of ``workbooks/workshop.ipynb`` the
way papermill injects parameters (an ``injected-parameters`` cell after the
``parameters`` cell), so JupyterLab, papermill and Voila all run the same
workbook. Voila listens on 127.0.0.1 only and hides the code.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from kpikit.core.paths import workbook
from kpikit.errors import ConfigError

__all__ = ["main", "WORKBOOK", "prepare_notebook", "voila_command", "free_port"]

WORKBOOK = workbook("workshop.ipynb")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_notebook(config_path: Path, out_dir: Path, workbook: Path = WORKBOOK) -> Path:
    """Write the workbook with ``client_config`` injected; return the new notebook's path."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    if not workbook.is_file():
        raise ConfigError(
            "the workshop workbook is missing",
            file=str(workbook),
            fix="run from a kpikit checkout (workbooks/ beside kpikit/), or pass --notebook",
        )
    nb = load_notebook_node(str(workbook))  # as papermill reads it (adds the metadata it expects)
    nb = parameterize_notebook(nb, {"client_config": str(config_path)}, report_mode=False)
    out = out_dir / "workshop.ipynb"
    nbformat.write(nb, out)
    return out


def voila_command(notebook: Path, port: int) -> list[str]:
    """The Voila command line: localhost only, no browser, code hidden (Voila's default)."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=False",
    ]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpikit workshop", description="Start the workshop workbook in Voila on localhost."
    )
    p.add_argument("config", help="the client's client.yaml")
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument(
        "--notebook", type=Path, default=WORKBOOK, help="workbook to serve (default: workbooks/workshop.ipynb)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the URL and the command, start nothing")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kpikit workshop``; returns Voila's exit code."""
    from kpikit.config import ClientConfig

    args = _parser().parse_args(argv)
    config_path = Path(args.config).resolve()
    ClientConfig.from_yaml(config_path)  # a bad config fails here, with a clear message, not in the browser
    port = args.port or free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kpikit-workshop-"))
    try:
        notebook = prepare_notebook(config_path, tmp, args.notebook)
        cmd = voila_command(notebook, port)
        url = f"http://127.0.0.1:{port}/"
        if args.dry_run:
            print(url)
            print(" ".join(cmd))
            return 0
        print(f"kpikit workshop: {url}  (Ctrl-C to stop)", flush=True)
        child = subprocess.Popen(cmd, cwd=str(tmp))

        def _stop(_sig, _frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            return child.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
