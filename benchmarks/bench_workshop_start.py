"""Workshop start-up: from ``kpikit workshop`` to the first explorer accepting input, in real chromium.

Measured (wall clock, one chromium launched beforehand and kept for both):

``workshop``
    start ``kpikit workshop CLIENT`` -> its URL printed -> page opened -> the targeting
    explorer's first slider moved one step with the keyboard -> the CTR figure on screen
    changed (the kernel answered: the explorer accepts input).
``bare Voila``
    start ``voila`` on a notebook holding one slider wired to a label -> poll the port ->
    page opened -> the slider moved one step -> the label changed.

Both pages are served offline (every non-local request is aborted). The ratio is
workshop / bare; the target is <= 2. The machine may be shared: run it more than once.

Run: .venv/bin/python benchmarks/bench_workshop_start.py [--client data_samples/lumora/client.yaml] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kpikit.report.pdf import LAUNCH_ARGS  # the one set of chromium flags (PDF, browser tests, this)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BARE = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": (
                "import ipywidgets as w\n"
                "s = w.IntSlider(description='x')\n"
                "out = w.Label('value 0')\n"
                "s.observe(lambda c: setattr(out, 'value', f\"value {c['new']}\"), names='value')\n"
                "w.VBox([s, out])"
            ),
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    remote: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            remote.append(url)
            r.abort()

    page.route("**/*", route)
    return page, remote


def bare_voila(browser, tmp: Path) -> float:
    """Seconds from starting Voila on a one-slider notebook to its label answering the slider."""
    import json

    nb = tmp / "bare.ipynb"
    nb.write_text(json.dumps(BARE), encoding="utf-8")
    port = _free_port()
    page, _ = _page(browser)
    cmd = [sys.executable, "-m", "voila", str(nb), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=str(tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        while not _answers(port):
            if proc.poll() is not None:
                raise RuntimeError("voila exited")
            time.sleep(0.05)
        page.goto(f"http://127.0.0.1:{port}/", timeout=300_000)
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.wait_for(timeout=300_000)
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.get_by_text("value 1").wait_for(timeout=120_000)
        return time.perf_counter() - t0
    finally:
        page.close()
        _stop(proc)


def workshop(browser, client: Path, tmp: Path) -> float:
    """Seconds from ``kpikit workshop`` to the targeting explorer answering its slider."""
    port = _free_port()
    page, remote = _page(browser)
    log = tmp / f"workshop-{port}.log"
    cmd = [sys.executable, "-m", "kpikit.cli", "workshop", str(client), "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # fmt: skip
    try:
        while url not in log.read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"kpikit workshop exited:\n{log.read_text()}")
            time.sleep(0.05)
        page.goto(url, timeout=300_000)
        handle = page.locator(".kpk-targeting .widget-slider .noUi-handle").first
        handle.wait_for(timeout=300_000)
        ctr = ".kpk-targeting td.kpk-value[data-metric='ctr'][data-col='after']"
        before = page.locator(ctr).inner_text().strip()
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== old; }",
            arg=[ctr, before],
            timeout=120_000,
        )
        elapsed = time.perf_counter() - t0
        if remote:
            print(f"  non-local requests (aborted): {remote}")
        return elapsed
    finally:
        page.close()
        _stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", type=Path, default=ROOT / "data_samples" / "lumora" / "client.yaml")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} is not installed")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kpikit-bench-start-") as d, sync_playwright() as p:
        tmp = Path(d)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            for run in range(1, args.runs + 1):
                bare = bare_voila(browser, tmp)
                ws = workshop(browser, args.client.resolve(), tmp)
                print(
                    f"run {run}: bare Voila (one slider) {bare:.1f} s | kpikit workshop ({args.client.parent.name}) "
                    f"{ws:.1f} s | ratio {ws / bare:.2f}x (target <= 2x)",
                    flush=True,
                )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
