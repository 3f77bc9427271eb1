"""Every broken client config gives one clear ConfigError naming the file, the key path (or YAML row) and a fix.

Two kinds of case share one table:

- a file in ``tests/bad_configs/`` (``columnmap_*.yaml`` is read as a column map,
  everything else as a client config, with ``tests/bad_configs/`` as its client folder);
- a client folder built in ``tmp_path`` by a function in ``BUILT``, for cases that need
  real symbolic links (or a file too large to keep in the repository).

Each case names the error class and the words its message must contain; the first
word is the place (a quoted key path such as ``'exports[2].path'``, a ``row N`` or the
file name). No message may quote a file outside the client folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kpikit.config import MAX_YAML_BYTES, ConfigValidationError, load_config
from kpikit.errors import ConfigError, KpikitError
from kpikit.ingest.column_map import discover_maps, load_column_map

BAD = Path(__file__).parent / "bad_configs"
SECRET = "kpikit-outside-secret-7f3a"  # written to every outside file a built case links to
OUTSIDE_FILES = [Path("/etc/passwd"), Path("/etc/hosts")]  # what the corpus points at
OUTSIDE = "outside the client folder"
COPY = "copy the file into the client folder"
ALIAS = "are not allowed in client configs: write the value out"

# case -> (error class, words the message must contain; the first is the place)
CASES: dict[str, tuple[type[KpikitError], tuple[str, ...]]] = {
    # --- YAML hardening: the reader refuses what YAML allows but a config never needs
    "alias_bomb.yaml": (ConfigError, ("row 4", "YAML aliases (*a)", ALIAS)),
    "alias_merge_key.yaml": (ConfigError, ("row 4", "YAML aliases (*brand)", ALIAS)),
    "anchor_unused.yaml": (ConfigError, ("row 2", "YAML anchors (&brand)", "remove &brand")),
    "duplicate_key.yaml": (ConfigError, ("row 4", "'currency' appears twice", "rows 2 and 4")),
    "deep_nesting.yaml": (ConfigError, ("row 2", "nested more than 32 levels")),
    "huge_number.yaml": (ConfigError, ("row 2", "not a valid number", "quotes")),
    "bad_date.yaml": (ConfigError, ("row 2", "'2024-02-30' is not a valid date", "quotes")),
    "python_tag.yaml": (ConfigError, ("row 2", "python/object/apply", "remove the YAML tag")),
    "control_character.yaml": (ConfigError, ("row 2", "character YAML does not allow", "#x0007")),
    "not_a_mapping.yaml": (ConfigError, ("not_a_mapping.yaml", "must be a mapping", "'list'")),
    "utf16_bom.yaml": (ConfigError, ("utf16_bom.yaml", "utf16_bom.yaml is saved as UTF-16; save it as UTF-8")),
    "utf16_no_bom.yaml": (ConfigError, ("utf16_no_bom.yaml", "is saved as UTF-16; save it as UTF-8")),
    "utf32_bom.yaml": (ConfigError, ("utf32_bom.yaml", "is saved as UTF-32; save it as UTF-8")),
    "latin1.yaml": (ConfigError, ("row 2", "is saved as Latin-1", "save it as UTF-8", "'é' (byte 0xe9)")),
    "nul_bytes.yaml": (ConfigError, ("nul_bytes.yaml", "NUL bytes", "not a text file")),
    "too_large": (ConfigError, ("client.yaml", "too large", "at most 1 MB", "settings, not data")),
    "columnmap_alias.yaml": (ConfigError, ("row 4", "YAML aliases (*c) are not allowed in column maps")),
    "columnmap_duplicate_key.yaml": (ConfigError, ("row 5", "'cost' appears twice")),
    "columnmap_utf16.yaml": (ConfigError, ("columnmap_utf16.yaml", "is saved as UTF-16; save it as UTF-8")),
    # --- every key at every level: wrong types
    "funnel_list.yaml": (ConfigError, ("'funnel'", "must be a mapping", "['lead', 'won']", "real_outcome")),
    "report_text.yaml": (ConfigError, ("'report'", "must be a mapping", "found 'x'", "agency")),
    "colors_text.yaml": (ConfigError, ("'report.colors'", "must be a mapping", "found 'blue'", "primary")),
    "kpis_list.yaml": (ConfigError, ("'kpis'", "map each role to the KPI", "expected a mapping")),
    "campaign_map_list.yaml": (ConfigError, ("'campaign_map'", "expected a mapping", "['dp_search_q1']")),
    "campaign_map_empty_value.yaml": (ConfigError, ("'campaign_map.dp_search_q1'", "must be text", "found None")),
    "export_path_number.yaml": (ConfigError, ("'exports[0].path'", "must be a path", "found 5", "quotes")),
    "export_item_number.yaml": (ConfigError, ("'exports[1]'", "a path or {path, map}", "found 7")),
    "export_missing_path.yaml": (ConfigError, ("'exports[0].path'", "required key 'path' is missing")),
    "client_number.yaml": (ConfigError, ("'client'", "must be text", "found 2024", "quotes")),
    "salt_number.yaml": (ConfigError, ("'salt'", "must be text", "found 83", "0123 becomes 83")),
    "agency_yes.yaml": (ConfigError, ("'report.agency'", "must be text", "found True", "yes/no")),
    "colour_comment.yaml": (ConfigError, ("'report.colors.primary'", "colour is empty", "a # starts a YAML comment")),
    # --- values: rates, ids, stages
    "fx_nan.yaml": (ConfigError, ("'fx_rates'", "rate for USD must be a positive number", "found nan")),
    "fx_inf.yaml": (ConfigError, ("'fx_rates'", "rate for USD", "finite", "found inf")),
    "fx_bool.yaml": (ConfigError, ("'fx_rates'", "rate for USD", "found True")),
    "fx_text.yaml": (ConfigError, ("'fx_rates'", "rate for USD", "found '0,92'")),
    "fx_reporting_currency.yaml": (ConfigError, ("'fx_rates'", "reporting currency itself", "remove EUR")),
    "client_newline.yaml": (ConfigError, ("'client'", "letters, digits", "'acme\\n'")),
    "client_missing.yaml": (ConfigError, ("'client'", "required key 'client' is missing", "client: acme-industrial")),
    "stage_typo.yaml": (ConfigError, ("'funnel.stages'", "unknown stage", "'leads'", "did you mean 'lead'?")),
    "stages_twice.yaml": (ConfigError, ("'funnel.stages'", "lists 'clicks' twice")),
    "stages_empty.yaml": (ConfigError, ("'funnel.stages'", "must not be empty")),
    "outcome_typo.yaml": (ConfigError, ("'funnel.real_outcome'", "'opportunities'", "did you mean 'opportunity'?")),
    # --- every key at every level: misspelt keys
    "top_level_typo.yaml": (ConfigError, ("'curency'", "unknown key", "did you mean 'currency'?")),
    "funnel_typo.yaml": (
        ConfigError,
        ("'funnel.real_outcom'", "unknown key in funnel", "did you mean 'real_outcome'?"),
    ),
    "report_typo.yaml": (ConfigError, ("'report.agncy'", "unknown key in report", "did you mean 'agency'?")),
    "colors_typo.yaml": (ConfigError, ("'report.colors.primay'", "unknown key", "did you mean 'primary'?")),
    "export_key_typo.yaml": (ConfigError, ("'exports[0].mapp'", "unknown key in exports[0]", "did you mean 'map'?")),
    "many_problems.yaml": (
        ConfigValidationError,
        ("'curency'", "5 problems", "'fx_rates'", "'funnel.real_outcom'", "'report.agncy'", "'report.logo'"),
    ),
    # --- the client folder is a boundary: paths as written
    "target_accounts_parent.yaml": (ConfigError, ("'target_accounts'", f"points {OUTSIDE}", "'../../", COPY)),
    "logo_absolute.yaml": (ConfigError, ("'report.logo'", f"points {OUTSIDE}", "'/etc/passwd'", COPY)),
    "export_absolute.yaml": (ConfigError, ("'exports[0]'", f"points {OUTSIDE}", "'/etc/hosts'", COPY)),
    "export_map_outside.yaml": (ConfigError, ("'exports[0].map'", OUTSIDE, "'../../shared/news.yaml'")),
    "export_third_outside.yaml": (ConfigError, ("'exports[2].path'", OUTSIDE, "'../other-client/exports/c.csv'")),
    "exports_folder_outside.yaml": (ConfigError, ("'exports'", OUTSIDE, "copy the folder into the client folder")),
    "path_nul.yaml": (ConfigError, ("'target_accounts'", "NUL character")),
    "path_empty.yaml": (ConfigError, ("'exports[0]'", "is empty")),
    # --- the client folder is a boundary: symbolic links (built in tmp_path)
    "symlink_logo_to_etc_passwd": (ConfigError, ("'report.logo'", f"symbolic link to a place {OUTSIDE}", COPY)),
    "symlink_export_in_folder": (ConfigError, ("'exports'", "'ads.csv' is a symbolic link", OUTSIDE)),
    "symlink_export_listed_third": (ConfigError, ("'exports[2].path'", "symbolic link", OUTSIDE, COPY)),
    "symlink_map": (ConfigError, ("'exports[0].map'", "symbolic link", OUTSIDE)),
    "symlink_exports_folder": (ConfigError, ("'exports'", "symbolic link", OUTSIDE, "copy the folder")),
    "symlink_folder_in_path": (ConfigError, ("'target_accounts'", "symbolic link", OUTSIDE)),
    "symlink_loop": (ConfigError, ("'target_accounts'", "cannot be followed")),
    "symlink_column_maps_folder": (ConfigError, ("'column_maps'", "symbolic link", OUTSIDE)),
    "symlink_column_map_discovered": (ConfigError, ("news.yaml", "symbolic link to a file outside its folder")),
}


# ---- client folders with real symbolic links ---------------------------------------------------


def _client(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "client"
    folder.mkdir(exist_ok=True)
    (folder / "client.yaml").write_text("client: acme\n" + text, encoding="utf-8")
    return folder


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "secret.csv").write_text(f"account_domain,note\n{SECRET}.com,{SECRET}\n")
    (folder / "news.yaml").write_text(f"# {SECRET}\nname: news\ntable: spend\ncolumns: {{cost: {SECRET}}}\n")
    return folder


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _logo_to_etc_passwd(tmp: Path) -> Path:
    folder = _client(tmp, "report: {logo: logo.png}\n")
    _link(folder / "logo.png", Path("/etc/passwd"))
    return folder


def _export_in_folder(tmp: Path) -> Path:
    folder = _client(tmp, "exports: exports\n")
    (folder / "exports").mkdir()
    (folder / "exports" / "real.csv").write_text("Day,Cost\n")
    _link(folder / "exports" / "ads.csv", _outside(tmp) / "secret.csv")
    return folder


def _export_listed_third(tmp: Path) -> Path:
    folder = _client(tmp, "exports: [exports/a.csv, exports/b.csv, {path: exports/c.csv}]\n")
    _link(folder / "exports" / "c.csv", _outside(tmp) / "secret.csv")
    return folder


def _map(tmp: Path) -> Path:
    folder = _client(tmp, "exports: [{path: exports/news.csv, map: column_maps/news.yaml}]\n")
    _link(folder / "column_maps" / "news.yaml", _outside(tmp) / "news.yaml")
    return folder


def _exports_folder(tmp: Path) -> Path:
    folder = _client(tmp, "exports: exports\n")
    _link(folder / "exports", _outside(tmp))
    return folder


def _folder_in_path(tmp: Path) -> Path:
    folder = _client(tmp, "target_accounts: data/secret.csv\n")
    _link(folder / "data", _outside(tmp))
    return folder


def _loop(tmp: Path) -> Path:
    folder = _client(tmp, "target_accounts: loop.csv\n")
    _link(folder / "loop.csv", folder / "loop.csv")
    return folder


def _column_maps_folder(tmp: Path) -> Path:
    folder = _client(tmp, "exports: []\n")
    _link(folder / "column_maps", _outside(tmp))
    return folder


def _column_map_discovered(tmp: Path) -> Callable[[], object]:
    folder = _client(tmp, "exports: []\n")
    _link(folder / "column_maps" / "news.yaml", _outside(tmp) / "news.yaml")
    return lambda: discover_maps(folder / "column_maps")


def _too_large(tmp: Path) -> Path:
    line = "# " + "x" * 98 + "\n"
    return _client(tmp, line * (MAX_YAML_BYTES // len(line) + 1))


# case -> builds the case in tmp_path: a client folder (read as its client.yaml) or a callable that raises
BUILT: dict[str, Callable[[Path], Path | Callable[[], object]]] = {
    "symlink_logo_to_etc_passwd": _logo_to_etc_passwd,
    "symlink_export_in_folder": _export_in_folder,
    "symlink_export_listed_third": _export_listed_third,
    "symlink_map": _map,
    "symlink_exports_folder": _exports_folder,
    "symlink_folder_in_path": _folder_in_path,
    "symlink_loop": _loop,
    "symlink_column_maps_folder": _column_maps_folder,
    "symlink_column_map_discovered": _column_map_discovered,
    "too_large": _too_large,
}


def _run(name: str, tmp_path: Path) -> None:
    if name in BUILT:
        built = BUILT[name](tmp_path)
        built() if callable(built) else load_config(built / "client.yaml")
    elif name.startswith("columnmap_"):
        load_column_map(BAD / name)
    else:
        load_config(BAD / name)


def _outside_lines() -> list[str]:
    lines = [SECRET]
    for path in OUTSIDE_FILES:
        if path.is_file():
            lines += [ln for ln in path.read_text(errors="replace").splitlines() if len(ln.strip()) >= 8]
    return lines


# ---- tests -------------------------------------------------------------------------------------


def test_corpus_is_large_and_fully_specified():
    files = {p.name for p in BAD.iterdir()}
    assert files | set(BUILT) == set(CASES), "every bad config needs an expectation (and vice versa)"
    assert not files & set(BUILT)
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_gives_clear_error(name, tmp_path):
    error, words = CASES[name]
    with pytest.raises(KpikitError) as info:
        _run(name, tmp_path)
    exc = info.value
    assert type(exc) is error, f"{name}: {type(exc).__name__}: {exc}"
    text = str(exc)
    assert "Traceback" not in text
    place = words[0]
    assert place.startswith(("'", "row ")) or place.endswith(".yaml"), "the first word is the place"
    assert exc.file and Path(exc.file).name in text, text
    assert "Fix:" in text and all(p.fix for p in exc.problems), text
    for word in words:
        assert word in text, f"{name}: {word!r} not in:\n{text}"
    leaked = [line for line in _outside_lines() if line in text]
    assert not leaked, f"{name}: the message quotes a file outside the client folder: {leaked}"


def test_alias_bomb_fails_fast():
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"YAML aliases \(\*a\)"):
        load_config(BAD / "alias_bomb.yaml")
    # Refused at the first alias, before any expansion: ~2 ms here. The guard is generous for slow CI.
    assert time.perf_counter() - start < 5
    assert (BAD / "alias_bomb.yaml").stat().st_size == 459


def test_several_problems_come_in_one_error_each_with_its_key_path():
    with pytest.raises(ConfigValidationError) as info:
        load_config(BAD / "many_problems.yaml")
    exc = info.value
    assert isinstance(exc, ConfigError)
    assert [p.key for p in exc.problems] == [
        "curency",
        "fx_rates",
        "funnel.real_outcom",
        "report.agncy",
        "report.logo",
    ]
    assert exc.key == "curency", "the error's own fields describe the first problem"
    assert all(p.file == exc.file for p in exc.problems)
    assert exc.to_dict()["error"] == "ConfigValidationError"


def test_outside_files_are_never_opened(tmp_path, monkeypatch):
    folder = _export_in_folder(tmp_path)
    opened: list[str] = []
    real_open = Path.open

    def spy(self, *args, **kwargs):
        opened.append(str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(ConfigError):
        load_config(folder / "client.yaml")
    assert opened == [str(folder / "client.yaml")]


def test_utf8_with_a_bom_loads(tmp_path):
    path = tmp_path / "client.yaml"
    path.write_bytes("\ufeffclient: acme\nname: Société Générale\n".encode())
    assert load_config(path).name == "Société Générale"


def test_links_and_absolute_paths_inside_the_client_folder_are_fine(tmp_path):
    folder = tmp_path / "client"
    (folder / "exports" / "2024").mkdir(parents=True)
    (folder / "exports" / "2024" / "ads.csv").write_text("Day,Cost\n")
    (folder / "exports" / "latest.csv").symlink_to(folder / "exports" / "2024" / "ads.csv")
    (folder / "logo.png").write_bytes(b"\x89PNG")
    (folder / "brand.png").symlink_to("logo.png")
    text = (
        f"client: acme\nexports: [exports/latest.csv, {folder / 'exports/2024/ads.csv'}]\nreport: {{logo: brand.png}}\n"
    )
    (folder / "client.yaml").write_text(text)
    cfg = load_config(folder / "client.yaml")
    assert [e.path for e in cfg.exports] == [folder / "exports/latest.csv", folder / "exports/2024/ads.csv"]
    assert cfg.report.logo == folder / "brand.png"
    (folder / "client.yaml").write_text("client: acme\nexports: exports\n")
    assert [e.path.name for e in load_config(folder / "client.yaml").exports] == ["latest.csv"]
