"""The workshop workbook in a real browser, offline, in JupyterLab and in Voila.

Each test starts its server on a free 127.0.0.1 port (Voila through
``kpikit workshop``), opens the workbook on the sample client ``lumora``, moves
the targeting slider one step with the keyboard and checks that the CTR and
opportunity figures on screen become what the scenario function computes.
Every request that is not to localhost is aborted and fails the test (Voila's
Font Awesome link included: kpikit's Voila template drops it). Dollar signs in
the markdown stay dollars (MathJax typesets nothing), and a client with only ad
exports and contacts shows a notice where an explorer has no data.
Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from _chromium import CHROMIUM, LAUNCH_ARGS, require_chromium

from kpikit.explore.widgets import EXPLORERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CLIENT = "lumora"
# Nothing may leave localhost: kpikit's Voila template drops the lab template's Font Awesome CDN link.
EXPECTED_REMOTE: tuple[re.Pattern, ...] = ()

require_chromium()


def _free_port() -> int:
    from kpikit.explore.cli import free_port

    return free_port()


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as e:  # an HTTP error is still an answer
            if e.code < 500:
                return
            time.sleep(0.5)
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory) -> Path:
    """A copy of the sample client (so nothing is written into data_samples/)."""
    src = ROOT / "data_samples" / CLIENT
    dst = tmp_path_factory.mktemp("clients") / CLIENT
    if src.is_dir():
        shutil.copytree(src, dst)
    else:  # a clean clone without generated samples
        from kpikit.samples import generate

        generate(dst.parent)
    return dst


@pytest.fixture(scope="module")
def expected(client_dir):
    """What the targeting explorer must show before and after one step of the slider."""
    import kpikit
    from kpikit.core.fmt import fmt
    from kpikit.explore import scenarios as sc
    from kpikit.explore.precompute import precompute

    cube = precompute(kpikit.load_client(client_dir / "client.yaml"))
    options = sc.window_options(cube)
    assert len(options) > 1, "the sample client needs a retargeting ladder"
    before = sc.targeting_scenario(cube)
    after = sc.targeting_scenario(cube, clicked_within=options[1][1])
    assert after.after["ctr"] != before.after["ctr"]
    assert after.after["opportunity"] != before.after["opportunity"]

    def shown(r):
        return {"ctr": fmt(r.after["ctr"], "rate"), "opportunity": fmt(r.after["opportunity"], "count")}

    return {"before": shown(before), "after": shown(after), "label": options[1][0]}


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 5600})

        def route(r):
            url = r.request.url
            if url.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")):
                r.continue_()
            else:
                blocked.append(url)
                r.abort()

        page.route("**/*", route)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        yield page, blocked, dialogs
        browser.close()


def _unexpected(blocked: list[str]) -> list[str]:
    return [u for u in blocked if not any(p.match(u) for p in EXPECTED_REMOTE)]


def _figures(page) -> dict[str, str]:
    cell = ".kpk-targeting td.kpk-value[data-metric='{}'][data-col='after']"
    return {m: page.locator(cell.format(m)).first.inner_text().strip() for m in ("ctr", "opportunity")}


def _move_targeting_slider(page, expected, name: str) -> None:
    page.locator(".kpk-targeting .vega-embed svg.marks, .kpk-targeting .vega-embed canvas.marks").first.wait_for(
        timeout=120_000
    )
    assert _figures(page) == expected["before"]
    page.screenshot(path=str(ARTIFACTS / f"workshop-{name}-before.png"), full_page=True)
    handle = page.locator(".kpk-targeting .widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([sel, want]) => { const e = document.querySelector(sel); return e && e.textContent.trim() === want; }",
        arg=[".kpk-targeting td.kpk-value[data-metric='ctr'][data-col='after']", expected["after"]["ctr"]],
        timeout=60_000,
    )
    assert _figures(page) == expected["after"]
    readout = page.locator(".kpk-targeting .widget-readout").first.inner_text()
    assert readout.strip() == expected["label"]
    page.wait_for_timeout(800)  # let vega redraw the charts before the screenshot
    page.screenshot(path=str(ARTIFACTS / f"workshop-{name}-after.png"), full_page=True)


def test_workshop_in_voila(client_dir, expected, browser_page, tmp_path):
    page, blocked, dialogs = browser_page
    port = _free_port()
    cmd = [sys.executable, "-m", "kpikit.cli", "workshop", str(client_dir / "client.yaml"), "--port", str(port)]
    log = tmp_path / "workshop.log"  # a file, not a pipe: Voila's logging can never block on a full pipe
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        end = time.monotonic() + 60
        while "kpikit workshop: http" not in log.read_text() and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.2)
        assert f"kpikit workshop: http://127.0.0.1:{port}/" in log.read_text()
        _wait_http(f"http://127.0.0.1:{port}/voila/static/", proc, timeout=60)  # not /: that would run the notebook
        page.goto(f"http://127.0.0.1:{port}/", timeout=300_000)
        _move_targeting_slider(page, expected, "voila")
        # no code on screen in the app: no editor, and no line of the workbook's code visible
        explorers = page.locator(".kpk-explorer")
        # Progressive rendering: the page is live while later cells still run, so wait for the last one.
        explorers.nth(len(EXPLORERS) - 1).wait_for(timeout=300_000)
        assert explorers.count() == len(EXPLORERS)
        for i in range(len(EXPLORERS)):  # every explorer drew its charts, offline
            box = explorers.nth(i)
            box.locator(".vega-embed svg.marks, .vega-embed canvas.marks").first.wait_for(timeout=60_000)
            name = next(
                c[4:] for c in box.get_attribute("class").split() if c.startswith("kpk-") and c != "kpk-explorer"
            )
            box.screenshot(path=str(ARTIFACTS / f"workshop-voila-{name}.png"))
        _dollars_are_text(page)
        assert page.locator(".cm-editor, .jp-CodeMirrorEditor").filter(visible=True).count() == 0
        for code in ("explore.load_client(client_config)", "explore.targeting(model)", "from kpikit import explore"):
            assert page.get_by_text(code).filter(visible=True).count() == 0, code
    finally:
        _stop(proc)
    assert not _unexpected(blocked), _unexpected(blocked)
    assert not dialogs


def _dollars_are_text(page) -> None:
    """The vanity story reads "$1M ... $4 a like": MathJax must not typeset it as math."""
    cell = page.locator(".jp-RenderedMarkdown").filter(has_text="A bank paid")
    assert cell.count() == 1
    assert "A bank paid $1M for 250K Facebook likes: $4 a like" in cell.inner_text().replace("\n", " ")
    assert page.locator("mjx-container").count() == 0


def test_workshop_in_voila_on_a_client_without_touchpoints_or_weeks(browser_page, tmp_path):
    """Monthly/quarterly ad totals and no touchpoint export: two notices, four working explorers."""
    sys.path.insert(0, str(ROOT / "tests"))
    from _workshop_clients import coarse_client

    page, blocked, dialogs = browser_page
    config = coarse_client(tmp_path)
    port = _free_port()
    cmd = [sys.executable, "-m", "kpikit.cli", "workshop", str(config), "--port", str(port)]
    log = tmp_path / "workshop.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/voila/static/", proc, timeout=120)
        page.goto(f"http://127.0.0.1:{port}/", timeout=300_000)
        page.locator(".kpk-explorer").nth(len(EXPLORERS) - 1).wait_for(timeout=300_000)
        assert page.locator(".kpk-explorer").count() == len(EXPLORERS)
        notices = page.locator(".kpk-explorer.kpk-unavailable")
        names = sorted(next(c[4:] for c in notices.nth(i).get_attribute("class").split() if c.startswith("kpk-")
                            and c not in ("kpk-explorer", "kpk-unavailable")) for i in range(notices.count()))  # fmt: skip
        assert names == ["attribution_switch", "budget_shift"]
        assert "touchpoint export" in page.locator(".kpk-attribution_switch").inner_text()
        assert "monthly totals" in page.locator(".kpk-budget_shift").inner_text()
        # the rest of the page works: the targeting slider still answers
        page.locator(".kpk-targeting .vega-embed svg.marks, .kpk-targeting .vega-embed canvas.marks").first.wait_for(
            timeout=60_000
        )
        before = page.locator(".kpk-targeting td.kpk-value[data-metric='ctr'][data-col='after']").inner_text()
        # top-k (the second slider): these exports name no retargeting window, so the first has one stop
        page.locator(".kpk-targeting .widget-slider .noUi-handle").nth(1).focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== old; }",
            arg=[".kpk-targeting td.kpk-value[data-metric='ctr'][data-col='after']", before.strip()],
            timeout=60_000,
        )
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "workshop-voila-coarse.png"), full_page=True)
    finally:
        _stop(proc)
    assert not _unexpected(blocked), _unexpected(blocked)
    assert not dialogs


def test_workshop_in_jupyterlab(client_dir, expected, browser_page, tmp_path):
    from kpikit.explore.cli import prepare_notebook

    page, blocked, dialogs = browser_page
    prepare_notebook((client_dir / "client.yaml").resolve(), tmp_path)
    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", f"--ServerApp.root_dir={tmp_path}",
        f"--LabApp.workspaces_dir={tmp_path / '.workspaces'}",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api", proc)
        page.goto(f"http://127.0.0.1:{port}/lab/tree/workshop.ipynb", timeout=120_000)
        # Waits for an idle kernel (the wait fails on timeout). Not re-read afterwards: JupyterLab
        # sends its own requests just after start-up, so the status can flip to Busy for a moment.
        page.wait_for_function(
            "() => { const t = document.querySelector('#jp-main-statusbar')?.textContent || '';"
            " return t.includes('| Idle') && !t.includes('No Kernel'); }",
            timeout=120_000,
        )
        page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
        page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
        page.wait_for_function(
            "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
            " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
            timeout=300_000,
        )
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0 or "Error" not in errors.first.inner_text()
        _move_targeting_slider(page, expected, "jupyterlab")
        _dollars_are_text(page)
    finally:
        _stop(proc)
    assert not _unexpected(blocked), _unexpected(blocked)
    assert not dialogs
