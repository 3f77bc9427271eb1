"""The hostile-input corpus of issue 15: every case ends clean, quotes no personal data, discloses nothing outside.

Each case is what a consultant would run on a hostile or careless input, through the
command line (``kpikit validate``, and ``kpikit metrics`` for a client): its stdout,
its stderr and the message of any error are its output. For every case the corpus
asserts

- **0 PII hits**: no email, phone number or name planted in the inputs (the personal
  columns of every CRM export under ``tests/``, and ``tests/fixtures/pii/planted.txt``)
  appears in the output (:class:`_pii_scan.PiiScanner`);
- **0 tracebacks**: the command returns an exit status (a clean load, or a
  :class:`~kpikit.errors.KpikitError` told as a message); no other exception escapes
  and no output holds a ``Traceback``;
- **0 disclosures**: no line of a file outside the client folder appears in the output.
  The boundary cases point paths and symbolic links at a planted secret file outside
  the client folder; the bad configs of ``tests/bad_configs/`` point at ``/etc/passwd``
  and ``/etc/hosts``.

The classes: ``pii`` (personal data in free text and in bad cells), ``boundary``
(outside-folder paths and symbolic links), ``config`` (every file in
``tests/bad_configs/``) and ``file`` (every broken export in ``tests/bad_inputs/``).
:func:`test_corpus_counts` prints the line a note quotes ("N cases: PII hits 0,
tracebacks 0, disclosures 0"); ``python tests/test_hostile_corpus.py`` prints it too.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pii_scan import PiiScanner, read_planted

from kpikit.cli import main as kpikit_main

TESTS = Path(__file__).parent
PII = TESTS / "fixtures" / "pii"
BAD_CONFIGS = TESTS / "bad_configs"
BAD_INPUTS = TESTS / "bad_inputs"
ADS = PII / "names_in_bad_cells" / "exports" / "google_ads_ad_group_report.csv"  # any export, for boundary clients
SECRET = "kpikit-corpus-outside-secret-31e9"  # in every file outside a client folder that a case points at
OUTSIDE_FILES = (Path("/etc/passwd"), Path("/etc/hosts"))  # what tests/bad_configs points at

# Headers of CRM columns that hold personal data (HubSpot, Salesforce, web-activity exports).
PERSONAL_HEADERS = {
    "first name", "last name", "email", "phone", "phone number", "mobile", "notes", "description",
    "contact owner", "deal owner", "lead owner", "opportunity owner", "associated contact",
    "associated contact email", "visitor_email", "email address",
}  # fmt: skip
_PHONE_CELL = re.compile(r"[+()\d\s./-]{7,}")


# -- what was planted ------------------------------------------------------------------------------


def _rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        sep = "\t" if text.count("\t") > text.count(",") else ";" if text.count(";") > text.count(",") else ","
        return list(csv.reader(io.StringIO(text), delimiter=sep))
    return []


def personal_cells(path: Path) -> set[str]:
    """The emails, phone numbers and names (two words or more) in the personal columns of a CRM export."""
    rows = _rows(path)
    at = next((i for i, row in enumerate(rows) if PERSONAL_HEADERS & {h.strip().lower() for h in row}), None)
    if at is None:
        return set()
    heads = [h.strip().lower() for h in rows[at]]
    found: set[str] = set()
    for data in rows[at + 1 :]:
        cells = dict(zip(heads, (c.strip() for c in data), strict=False))
        found.add(f"{cells.get('first name', '')} {cells.get('last name', '')}".strip())
        found |= {cells.get(head, "") for head in PERSONAL_HEADERS}
    return {
        f for f in found if "@" in f or (_PHONE_CELL.fullmatch(f) and sum(c.isdigit() for c in f) >= 7)
        or (len(f) >= 5 and len(f.split()) >= 2)
    }  # fmt: skip


def planted() -> set[str]:
    items = read_planted(PII / "planted.txt") | read_planted(TESTS / "fixtures" / "ingest" / "planted_pii.txt")
    for path in [*BAD_INPUTS.rglob("*.csv"), *PII.rglob("*.csv"), *(TESTS / "fixtures" / "ingest").rglob("*.csv")]:
        items |= personal_cells(path)
    return {i for i in items if len(i) >= 5}


def outside_lines() -> list[str]:
    lines = [SECRET]
    for path in OUTSIDE_FILES:
        if path.is_file():
            lines += [ln for ln in path.read_text(errors="replace").splitlines() if len(ln.strip()) >= 8]
    return lines


# -- the cases --------------------------------------------------------------------------------------

# A case gets a scratch folder and returns the kpikit commands to run.
Build = Callable[[Path], list[list[str]]]


@dataclass(frozen=True)
class Case:
    kind: str  # pii, boundary, config, file
    build: Build


def _client_commands(folder: Path) -> list[list[str]]:
    return [["validate", str(folder)], ["metrics", str(folder)]]


def _fixed(*commands: list[str]) -> Build:
    return lambda tmp: [list(c) for c in commands]


def _outside(tmp: Path) -> Path:
    folder = tmp / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "secret.csv").write_text(f"account_domain,note\n{SECRET}.com,{SECRET}\n")
    (folder / "ads.csv").write_text(ADS.read_text(encoding="utf-8").replace("Search - Data Platform", SECRET))
    (folder / "map.yaml").write_text(f"# {SECRET}\nname: {SECRET}\ntable: spend\ncolumns: {{cost: {SECRET}}}\n")
    (folder / "secret.png").write_text(SECRET)
    return folder


def _boundary(config: str, links: dict[str, str] | None = None) -> Build:
    """A client folder with one Google Ads export, ``config`` appended, and symbolic ``links``.

    ``links`` maps a path in the folder to a file in the outside folder (``"."``: the folder itself);
    ``{outside}`` in ``config`` is the outside folder's absolute path.
    """

    def build(tmp: Path) -> list[list[str]]:
        outside = _outside(tmp)
        folder = tmp / "client"
        (folder / "exports").mkdir(parents=True)
        (folder / "exports" / "ads.csv").write_bytes(ADS.read_bytes())
        text = "client: boundary\ncurrency: EUR\n" + config.format(outside=outside)
        (folder / "client.yaml").write_text(text, encoding="utf-8")
        for link, target in (links or {}).items():
            path = folder / link
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(outside if target == "." else outside / target)
        return _client_commands(folder)

    return build


def _symlink_loop(tmp: Path) -> list[list[str]]:
    folder = tmp / "client"
    (folder / "exports").mkdir(parents=True)
    (folder / "exports" / "ads.csv").write_bytes(ADS.read_bytes())
    (folder / "client.yaml").write_text("client: boundary\nexports: exports\ntarget_accounts: loop.csv\n")
    (folder / "loop.csv").symlink_to(folder / "loop.csv")
    return _client_commands(folder)


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    # pii: free text and bad cells of hand-written exports (each file, then each client)
    for client in ("hostile", "names_in_bad_cells"):
        for path in sorted((PII / client / "exports").iterdir()):
            maps = (
                ["--map", str(PII / client / "column_maps" / "touchpoints.yaml")] if "touchpoints" in path.name else []
            )
            cases[f"pii/{client}/{path.name}"] = Case("pii", _fixed(["validate", *maps, str(path)]))
        cases[f"pii/{client}"] = Case("pii", _fixed(*_client_commands(PII / client)))
    for path in sorted((PII / "files").iterdir()):
        cases[f"pii/files/{path.name}"] = Case("pii", _fixed(["validate", str(path)]))
    cases["pii/target_accounts_are_contacts"] = Case(
        "pii", _fixed(*_client_commands(PII / "target_accounts_are_contacts"))
    )
    # boundary: every path a client.yaml names, and every link in the folder, pointing outside
    boundary = {
        "target_accounts_parent": _boundary("exports: exports\ntarget_accounts: ../outside/secret.csv\n"),
        "target_accounts_absolute": _boundary("exports: exports\ntarget_accounts: {outside}/secret.csv\n"),
        "target_accounts_dotdot_inside": _boundary("exports: exports\ntarget_accounts: exports/../../outside/secret.csv\n"),
        "export_parent": _boundary("exports: [exports/ads.csv, ../outside/ads.csv]\n"),
        "export_absolute": _boundary("exports: [{{path: {outside}/ads.csv}}]\n"),
        "export_map_outside": _boundary("exports: [{{path: exports/ads.csv, map: ../outside/map.yaml}}]\n"),
        "exports_folder_outside": _boundary("exports: ../outside\n"),
        "logo_absolute": _boundary("exports: exports\nreport: {{logo: {outside}/secret.png}}\n"),
        "logo_symlink": _boundary("exports: exports\nreport: {{logo: logo.png}}\n", {"logo.png": "secret.png"}),
        "export_symlink_in_folder": _boundary("exports: exports\n", {"exports/more.csv": "ads.csv"}),
        "export_symlink_listed": _boundary("exports: [exports/ads.csv, exports/more.csv]\n", {"exports/more.csv": "ads.csv"}),
        "exports_folder_symlink": _boundary("exports: linked\n", {"linked": "."}),
        "folder_in_path_symlink": _boundary("exports: exports\ntarget_accounts: data/secret.csv\n", {"data": "."}),
        "map_symlink": _boundary("exports: [{{path: exports/ads.csv, map: maps/m.yaml}}]\n", {"maps/m.yaml": "map.yaml"}),
        "column_maps_folder_symlink": _boundary("exports: exports\n", {"column_maps": "."}),
        "column_map_discovered_symlink": _boundary("exports: exports\n", {"column_maps/news.yaml": "map.yaml"}),
        "symlink_loop": _symlink_loop,
    }  # fmt: skip
    cases.update({f"boundary/{name}": Case("boundary", build) for name, build in boundary.items()})
    # config: every bad client config and column map
    for path in sorted(BAD_CONFIGS.iterdir()):
        if path.name.startswith("columnmap_"):
            command = ["validate", "--map", str(path), str(ADS)]
        else:
            command = ["metrics", str(path)]
        cases[f"config/{path.name}"] = Case("config", _fixed(command))
    # file: every broken export (with its column map when it has one) and broken client
    for path in sorted(BAD_INPUTS.iterdir()):
        if path.is_dir():
            cases[f"file/{path.name}"] = Case("file", _fixed(*_client_commands(path)))
        elif not path.name.endswith(".map.yaml"):
            m = path.with_name(path.name.rsplit(".", 1)[0] + ".map.yaml")
            cases[f"file/{path.name}"] = Case(
                "file", _fixed(["validate", *(["--map", str(m)] if m.is_file() else []), str(path)])
            )
    return cases


CASES = _cases()


# -- running a case ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    output: str  # stdout and stderr of every command of the case
    statuses: list[int]
    tracebacks: list[str]
    pii: list[str]
    disclosures: list[str]


def _run(argv: list[str]) -> tuple[int | None, str, str | None]:
    out, err = io.StringIO(), io.StringIO()
    escaped = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = kpikit_main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            status = exc.code if isinstance(exc.code, int) else 2
        except Exception:  # what escapes is exactly what the corpus counts
            status, escaped = None, traceback.format_exc()
    return status, out.getvalue() + err.getvalue(), escaped


def run_case(case: Case, tmp: Path, scanner: PiiScanner, secrets: list[str]) -> Outcome:
    outputs, statuses, tracebacks = [], [], []
    for argv in case.build(tmp):
        status, text, escaped = _run(argv)
        outputs.append(text)
        if escaped is not None or "Traceback (most recent call last)" in text:
            tracebacks.append(f"kpikit {' '.join(argv)}: {escaped or text}")
        else:
            statuses.append(status)
    output = "\n".join(outputs)
    pii = scanner.texts([("output", output)])
    disclosed = [line for line in secrets if line in output]
    return Outcome(output, statuses, tracebacks, pii, disclosed)


@pytest.fixture(scope="module")
def scanner() -> PiiScanner:
    return PiiScanner(planted())


@pytest.fixture(scope="module")
def secrets() -> list[str]:
    return outside_lines()


_OUTCOMES: dict[str, Outcome] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_is_clean_private_and_stays_in_its_folder(name, tmp_path, scanner, secrets):
    outcome = run_case(CASES[name], tmp_path, scanner, secrets)
    _OUTCOMES[name] = outcome
    assert outcome.tracebacks == [], outcome.tracebacks[0]
    assert outcome.pii == [], f"personal data in the output:\n{outcome.output}"
    assert outcome.disclosures == [], f"a file outside the client folder was disclosed:\n{outcome.output}"
    assert all(s in (0, 1) for s in outcome.statuses), outcome.statuses
    if CASES[name].kind == "boundary":  # refused by name: the key and "outside the client folder"
        assert re.search(r"outside (?:the client|its) folder|cannot be followed", outcome.output), outcome.output


def test_the_planted_data_is_found_where_it_was_planted(scanner):
    # the scan is only as good as its list: every CRM fixture with personal columns contributes
    assert len(scanner.emails) >= 40 and len(scanner.digits) >= 20
    crm = BAD_INPUTS / "many_problems_contacts.csv"
    assert personal_cells(crm) and all(scanner.find(c) for c in personal_cells(crm))
    assert scanner.find("found 'carol.white@example.com'") and scanner.find("owner Omar Haddad.")
    assert scanner.find("Search - Brand, 2024-01-01, EUR 1,234.56, row 12") is None


def test_corpus_counts(capsys):
    kinds = Counter(case.kind for case in CASES.values())
    assert len(CASES) >= 40 and all(kinds[k] >= 5 for k in ("pii", "boundary", "config", "file")), kinds
    ran = {name: _OUTCOMES[name] for name in CASES if name in _OUTCOMES}
    if len(ran) < len(CASES):
        pytest.skip("the counts are of the whole corpus: run the whole module")
    line = summary(ran)
    with capsys.disabled():
        print(f"\n{line}")
    assert line.endswith("PII hits 0, tracebacks 0, disclosures 0"), line


def summary(outcomes: dict[str, Outcome]) -> str:
    """``"N cases (by class): PII hits X, tracebacks Y, disclosures Z"``."""
    kinds = Counter(CASES[name].kind for name in outcomes)
    by_kind = ", ".join(f"{kinds[k]} {k}" for k in ("pii", "boundary", "config", "file"))
    pii = sum(len(o.pii) for o in outcomes.values())
    tracebacks = sum(len(o.tracebacks) for o in outcomes.values())
    disclosures = sum(len(o.disclosures) for o in outcomes.values())
    return f"{len(outcomes)} cases ({by_kind}): PII hits {pii}, tracebacks {tracebacks}, disclosures {disclosures}"


if __name__ == "__main__":  # python tests/test_hostile_corpus.py: the counts, without pytest
    found, lines = PiiScanner(planted()), outside_lines()
    results = {}
    for case_name, case in sorted(CASES.items()):
        with tempfile.TemporaryDirectory() as scratch:
            results[case_name] = run_case(case, Path(scratch), found, lines)
        bad = results[case_name]
        if bad.pii or bad.tracebacks or bad.disclosures:
            print(f"{case_name}: {bad.pii or bad.tracebacks or bad.disclosures}", file=sys.stderr)
    print(summary(results))
