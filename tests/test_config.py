from __future__ import annotations

import pytest

from kpikit.config import FUNNEL_STAGES, ClientConfig, load_config
from kpikit.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "client.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_template_loads(tmp_path):
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "templates" / "client.yaml"
    cfg = load_config(template)
    assert cfg.client == "demo"
    assert cfg.currency == "EUR"
    assert cfg.rate("USD") == pytest.approx(0.92)
    assert cfg.rate("EUR") == 1.0
    assert cfg.rate("GBP") is None
    assert cfg.funnel.stages == FUNNEL_STAGES
    assert cfg.kpis["campaign_manager"] == "ctr"


def test_relative_paths_resolve_against_config_folder(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "b.csv").write_text("x")
    (tmp_path / "exports" / "a.tsv").write_text("x")
    (tmp_path / "exports" / ".hidden.csv").write_text("x")
    (tmp_path / "exports" / "notes.md").write_text("x")
    cfg = load_config(write(tmp_path, "client: acme\nexports: exports\ntarget_accounts: ta.csv\n"))
    assert [e.path.name for e in cfg.exports] == ["a.tsv", "b.csv"]
    assert cfg.target_accounts == tmp_path / "ta.csv"


def test_explicit_export_list_with_map(tmp_path):
    cfg = load_config(write(tmp_path, "client: acme\nexports:\n  - x.csv\n  - {path: y.csv, map: maps/y.yaml}\n"))
    assert cfg.exports[0].path == tmp_path / "x.csv" and cfg.exports[0].map is None
    assert cfg.exports[1].map == tmp_path / "maps" / "y.yaml"


@pytest.mark.parametrize(
    "text, column, fragment",
    [
        ("client: ../x\n", "client", "letters, digits"),
        ("client: /abs\n", "client", "letters, digits"),
        ("client: a\ncurrency: euro\n", "currency", "ISO 4217"),
        ("client: a\nfx_rates: {USD: -1}\n", "fx_rates", "positive"),
        ("client: a\nfx_rates: {usd: 1}\n", "fx_rates", "ISO 4217"),
        ("client: a\nfunnel: {stages: [clicks, likes]}\n", "funnel.stages", "allowed stages"),
        ("client: a\nfunnel: {real_outcome: likes}\n", "funnel.real_outcome", "real_outcome must be one of"),
        ("client: a\nbudget: 3\n", "budget", "unknown key"),
        ("client: a\nexports: 3\n", "exports", "folder or a list"),
    ],
)
def test_bad_configs_say_what_and_where(tmp_path, text, column, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == column
    assert info.value.file == str(path)
    assert fragment in str(info.value)
    assert info.value.fix


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "client: a\nfunnel: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.row is not None
    assert "not valid YAML" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_salt_from_environment_wins(monkeypatch):
    monkeypatch.setenv("KPIKIT_SALT", "from-env")
    assert ClientConfig.from_dict({"client": "a", "salt": "in-file"}).salt == "from-env"


def test_quoted_values_nulls_and_whole_numbers_load(tmp_path):
    text = (
        'client: "2024"\nname:\ncurrency: EUR\nfx_rates: {USD: 1}\nfunnel:\nreport: {logo: "", colors: {accent: "#000"}}\n'
        "target_accounts: null\ncampaign_map:\nkpis: {cmo: pipeline}\n"
    )
    cfg = load_config(write(tmp_path, text))
    assert (cfg.client, cfg.name, cfg.fx_rates) == ("2024", "2024", {"USD": 1.0})
    assert isinstance(cfg.fx_rates["USD"], float)
    assert cfg.funnel.stages == FUNNEL_STAGES and cfg.report.logo is None and cfg.target_accounts is None
    assert (cfg.report.primary_color, cfg.report.accent_color) == ("#1f4e79", "#000")


@pytest.mark.parametrize("client", ["lumora", "harbourline", "ironbridge"])
def test_sample_clients_load_with_every_path_inside_their_folder(client):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "data_samples" / client
    cfg = load_config(folder / "client.yaml")
    paths = [e.path for e in cfg.exports] + [e.map for e in cfg.exports if e.map] + [cfg.target_accounts]
    assert paths and all(p.resolve().is_relative_to(folder) for p in paths)


def test_a_single_problem_is_a_plain_config_error_and_several_are_listed(tmp_path):
    with pytest.raises(ConfigError) as one:
        load_config(write(tmp_path, "client: a\nreport: {agncy: X}\n"))
    assert type(one.value) is ConfigError and one.value.key == "report.agncy"
    assert "did you mean 'agency'?" in str(one.value)
    with pytest.raises(ConfigError) as many:
        load_config(write(tmp_path, "client: a\nreport: {agncy: X}\nfunnel: {real_outcom: won}\n"))
    assert [p.key for p in many.value.problems] == ["report.agncy", "funnel.real_outcom"]
    assert str(many.value).splitlines()[0].endswith("client.yaml: 2 problems")


def test_control_characters_written_as_yaml_escapes_are_removed_from_names_shown_in_reports(tmp_path):
    # Raw control bytes are refused by the YAML reader; "\x1b" escapes in quotes are not, so the schema strips them.
    text = (
        'client: acme\nname: "Acme\\x00\\e[31m\\a Ltd"\nreport: {agency: "North\\x07light\\u0085"}\n'
        'campaign_map: {"spring\\x1b": "Search\\x00 - Brand"}\n'
    )
    cfg = load_config(write(tmp_path, text))
    assert (cfg.name, cfg.report.agency) == ("Acme[31m Ltd", "Northlight")
    assert cfg.campaign_map == {"spring": "Search - Brand"}  # keys match the loader's scrubbed CRM values
