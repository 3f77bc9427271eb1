"""A batch survives its worst clients: `kpikit report` on good sample clients plus five broken ones.

One real batch (module fixture, slow): two good clients (a copy of lumora whose
campaign, deal and client names hold ``\\x00\\x1b[31m\\x07``, and harbourline as
shipped) and one broken client per class: bad YAML syntax, a misspelt key, an
export path outside the client folder, a config saved as UTF-16, and an export
that fails to load. The good reports must be written, the exit status must be 1,
and each failure must be explained in ``index.html`` (plain words, paths relative
to the client folder) and on the terminal (the whole message, not "1 problem").
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
import time
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from kpikit.cli import main as kpikit_main
from kpikit.core.names import CONTROL_CHARS
from kpikit.samples import DATA_SAMPLES

pytestmark = pytest.mark.slow

HOSTILE = "\x00\x1b[31m\x07"
SECRET = "TOPSECRET-outside-the-client-folder"
GOOD = ("harbourline", "lumora-ctl")


def _copy_lumora(root: Path, client: str) -> Path:
    folder = root / client
    shutil.copytree(DATA_SAMPLES / "lumora", folder)
    config = folder / "client.yaml"
    config.write_text(re.sub(r"(?m)^client: .*$", f"client: {client}", config.read_text(encoding="utf-8")))
    return folder


def _hostile_client(root: Path) -> Path:
    """lumora with control characters in campaign, UTM, deal and client names.

    "Demand Gen - Data Platform" is charted (cost per outcome, vanity vs value), so its hostile
    name reaches vl-convert; it is renamed in the LinkedIn export and in the CRM's UTM values and
    touchpoints alike, so it still matches its outcomes once scrubbed.
    """
    folder = _copy_lumora(root, "lumora-ctl")
    for name in ("linkedin_campaign_performance.csv", "hubspot_contacts.csv", "web_touchpoints.csv"):
        export = folder / "exports" / name
        text = export.read_text(encoding="utf-8")
        renamed = re.sub("(?i)demand gen - data platform", lambda m: HOSTILE + m.group(0), text)
        assert renamed.count(HOSTILE) > 50
        export.write_text(renamed, encoding="utf-8", newline="")
    ads = folder / "exports" / "google_ads_ad_group_report.csv"
    text = ads.read_bytes().decode("utf-16")  # Google's UTF-16 tab-separated export
    assert text.count("\tSearch - Brand\t") > 100
    ads.write_bytes(text.replace("\tSearch - Brand\t", f"\t{HOSTILE}Search - Brand\t").encode("utf-16"))
    deals = folder / "exports" / "hubspot_deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",", f",Deal{HOSTILE} ", 1)
    deals.write_text("".join(lines), encoding="utf-8")
    config = folder / "client.yaml"
    config.write_text(config.read_text().replace('name: "Lumora Cloud GmbH"', 'name: "Lumora\\x00\\e[31m\\a Cloud"'))
    return config


def _broken_configs(root: Path) -> dict[str, Path]:
    """client id -> config, one per class of broken config (the export one runs a kernel)."""
    (root / "secret.csv").write_text(f"Day,Campaign\n2026-01-01,{SECRET}\n")
    texts = {
        "bad-yaml": "client: bad-yaml\nname: [unclosed\ncurrency: EUR\n",
        "misspelt": "client: misspelt\nfunnel:\n  real_outcom: won\n",
        "outside": "client: outside\nexports:\n  - ../secret.csv\n",
    }
    configs = {}
    for client, text in texts.items():
        (root / client).mkdir()
        configs[client] = root / client / "client.yaml"
        configs[client].write_text(text, encoding="utf-8")
    (root / "utf16").mkdir()
    configs["utf16"] = root / "utf16" / "client.yaml"
    configs["utf16"].write_bytes("client: utf16\ncurrency: EUR\n".encode("utf-16"))
    export = _copy_lumora(root, "bad-export")
    meta = export / "exports" / "meta_ads_manager.csv"
    rows = meta.read_text(encoding="utf-8-sig").splitlines()
    cells = rows[2].split(",")
    cells[6] = "n/a"  # Amount spent
    rows[2] = ",".join(cells)
    meta.write_text("\n".join(rows) + "\n", encoding="utf-8")
    configs["bad-export"] = export / "client.yaml"
    return configs


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    configs = [_hostile_client(root), DATA_SAMPLES / "harbourline" / "client.yaml", *_broken_configs(root).values()]
    out = root / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    # capsys is per test; the batch runs once per module, so its terminal output is captured here.
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = kpikit_main(["report", *map(str, configs), "--out", str(out), "--jobs", "2", "--no-progress"])
    seconds = time.perf_counter() - started
    print(f"\nfault batch: {len(configs)} clients in {seconds:.1f} s")
    return status, out, stdout.getvalue() + stderr.getvalue(), root


def _row(index: str, client: str, status: str) -> str:
    row = re.search(rf'<tr class="kk-{status}" data-client="{client}">(.*?)</tr>', index, re.S)
    assert row, f"{client} is not listed as {status}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())


# What each broken client's row and the terminal must say: (words in index.html, words on the terminal)
EXPLAINED = {
    "bad-yaml": (
        ["The client's settings file (client.yaml) needs fixing", "client.yaml: row 3", "not valid YAML"],
        ["FAILED bad-yaml: ConfigError", "not valid YAML", "check indentation and quoting"],
    ),
    "misspelt": (
        ["settings file", "unknown key in funnel", "found 'real_outcom'", "did you mean 'real_outcome'?"],
        ["FAILED misspelt: ConfigError", "funnel.real_outcom", "did you mean 'real_outcome'?"],
    ),
    "outside": (
        ["settings file", "'exports[0]'", "points outside the client folder", "found '../secret.csv'",
         "copy the file into the client folder 'outside'"],
        ["FAILED outside: ConfigError", "points outside the client folder"],
    ),
    "utf16": (
        ["settings file", "client.yaml is saved as UTF-16; save it as UTF-8", "Save As"],
        ["FAILED utf16: ConfigError", "saved as UTF-16; save it as UTF-8"],
    ),
    "bad-export": (
        ["An export could not be loaded", "meta_ads_manager.csv", "row 3", "text in a numeric column",
         "found 'n/a'", "report.ipynb at cell In ["],
        ["FAILED bad-export: ValidationError", "1 problem", "text in a numeric column", "found 'n/a'"],
    ),
}  # fmt: skip


def test_good_reports_are_written_and_the_exit_status_is_one(batch):
    status, out, terminal, _ = batch
    assert status == 1, terminal
    for client in GOOD:
        for name in ("report.html", "report.ipynb", "metrics.json"):
            assert (out / client / name).stat().st_size > 0, f"{client}/{name}"
    for client in EXPLAINED:
        assert not (out / client / "report.html").exists()
    assert "2 of 7 client reports written" in terminal
    assert "Traceback" not in terminal


@pytest.mark.parametrize("client", sorted(EXPLAINED))
def test_every_failure_is_explained_in_the_index_and_on_the_terminal(batch, client):
    _, out, terminal, _ = batch
    index = (out / "index.html").read_text(encoding="utf-8")
    row = _row(index, client, "failed")
    in_index, on_terminal = EXPLAINED[client]
    for words in in_index:
        assert words in row, f"{client}: {words!r} not in its index row: {row}"
    block = terminal.split(f"FAILED {client}:", 1)[1].split("  FAILED ", 1)[0]
    for words in on_terminal:
        assert words in f"FAILED {client}:{block}", f"{client}: {words!r} not on the terminal:\n{terminal}"


def test_the_index_speaks_plain_words_and_never_shows_outside_files_or_local_paths(batch):
    _, out, terminal, root = batch
    index = (out / "index.html").read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", index))
    assert index.count('<tr class="kk-ok"') == 2 and index.count('<tr class="kk-failed"') == 5
    for jargon in ("ConfigError", "ValidationError", "error_type", "Traceback", " True", " nan", "None"):
        assert jargon not in text, jargon
    assert str(root) not in index  # paths are shown relative to each client folder
    assert SECRET not in index and SECRET not in terminal  # the outside file is never read


def test_control_characters_in_names_are_gone_from_every_output_and_the_report_renders(batch):
    _, out, _, _ = batch
    folder = out / "lumora-ctl"
    page = (folder / "report.html").read_text(encoding="utf-8")
    svgs = {p.name: p.read_text(encoding="utf-8") for p in (folder / "charts").glob("*.svg")}
    svgs |= {f"data-uri-{i}": base64.b64decode(u).decode() for i, u in
             enumerate(re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page))}  # fmt: skip
    assert len(svgs) > 6
    texts = {"report.html": page, "metrics.json": (folder / "metrics.json").read_text(encoding="utf-8"),
             "report.ipynb": (folder / "report.ipynb").read_text(encoding="utf-8"), **svgs}  # fmt: skip
    bad = CONTROL_CHARS - {"\r"}  # CRLF line ends are not text from the client
    for name, text in texts.items():
        found = sorted({repr(ch) for ch in text if ch in bad})
        assert not found, f"{name} holds {found}"
        assert "\\u001b" not in text and "\\u0000" not in text and "\\x1b" not in text, name  # nor escaped
    for svg in svgs.values():
        ET.fromstring(svg)  # every chart is well-formed XML, so it draws
    assert "[31mSearch - Brand" in page  # the campaign is still there, named without its controls
    charted = [name for name, svg in svgs.items() if "[31mDemand Gen - Data Platform" in svg]
    assert {"cost_per_outcome.svg", "vanity_vs_value.svg"} <= set(charted)
    assert "Lumora[31m Cloud" in page
