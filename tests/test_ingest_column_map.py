"""Column maps: validated with a precise ConfigError, and usable for detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpikit.errors import ConfigError
from kpikit.ingest.column_map import column_map_from_dict, discover_maps, load_column_map

MAPS = Path(__file__).parents[1] / "templates" / "column_maps"


def test_shipped_maps_are_valid():
    maps = discover_maps(MAPS)
    assert {m.name for m in maps} == {"kag_facebook", "olist_mql", "olist_closed_deals", "display_ads"}
    display = load_column_map(MAPS / "display_ads.yaml")
    assert display.columns["date"] == ("{month} {day} 2020",)  # the map states the year
    assert display.checks == {"clicks_gt_impressions": "warn"}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"name": "x", "table": "spend", "columns": {"cost": "C"}, "colums": {}},
            ("unknown key", "did you mean 'columns'"),
        ),
        ({"table": "spend", "columns": {"cost": "C"}}, ("needs a `name`",)),
        ({"name": "x", "table": "leads", "columns": {"cost": "C"}}, ("'leads'", "table")),
        ({"name": "x", "table": "spend", "columns": {}}, ("`columns` must map",)),
        ({"name": "x", "table": "spend", "columns": {"cost": ["C", 3]}}, ("list of candidate headers",)),
        ({"name": "x", "table": "spend", "columns": {"email": "E"}}, ("unknown target",)),
        ({"name": "x", "table": "spend", "columns": {"cost": "C"}, "read": {"decimal": ";"}}, ("decimal must be",)),
        (
            {"name": "x", "table": "spend", "columns": {"cost": "C"}, "read": {"delimiter": ";"}},
            ("unknown read option",),
        ),
        ({"name": "x", "table": "spend", "columns": {"cost": "C"}, "read": {"skip_rows": -1}}, ("skip_rows",)),
        (
            {"name": "x", "table": "spend", "columns": {"cost": "C"}, "checks": {"duplicate": "ignore"}},
            ("check level",),
        ),
    ],
)
def test_bad_maps_say_what_and_how(data, words):
    with pytest.raises(ConfigError) as info:
        column_map_from_dict(data, source=Path("m.yaml"))
    text = str(info.value)
    assert text.startswith("m.yaml: ") and "Fix:" in text
    for w in words:
        assert w in text, text


def test_dimension_and_special_targets_allowed():
    fmt = column_map_from_dict(
        {"name": "crm", "table": "contacts", "columns": {"contact_id": "id", "created_date": "d", "dim_region": "r"}}
    )
    assert set(fmt.columns) == {"contact_id", "created_date", "dim_region"}


def test_discovered_maps_stay_inside_their_folder(tmp_path):
    folder, outside = tmp_path / "column_maps", tmp_path / "shared"
    folder.mkdir()
    outside.mkdir()
    (folder / "real.yaml").write_text((MAPS / "display_ads.yaml").read_text())
    (folder / "alias.yaml").symlink_to("real.yaml")  # a link inside the folder is fine
    assert [m.origin for m in discover_maps(folder)] == [str(folder / "alias.yaml"), str(folder / "real.yaml")]
    (outside / "secret.yaml").write_text("name: secret-content\ntable: spend\ncolumns: {cost: C}\ndetect: [C]\n")
    (folder / "shared.yaml").symlink_to(outside / "secret.yaml")
    with pytest.raises(ConfigError, match="symbolic link to a file outside its folder") as info:
        discover_maps(folder)
    assert "secret-content" not in str(info.value) and "shared.yaml" in str(info.value)
    (folder / "shared.yaml").unlink()
    (folder / "broken.yaml").symlink_to(folder / "gone.yaml")
    with pytest.raises(ConfigError, match="not a readable file"):
        discover_maps(folder)
