"""The real public exports in ../shared/real_data load through the shipped column maps
and reconcile with an independent computation (csv module + Decimal, and DuckDB)."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest
from _real_data import REAL, require_real_data

from kpikit.config import ClientConfig
from kpikit.ingest import load_file

require_real_data()
MAPS = Path(__file__).parents[1] / "templates" / "column_maps"
CENT = Decimal("0.01")


def _rows(name: str, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    with open(REAL / name, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _cents(values) -> float:
    return float(sum((Decimal(v) for v in values), Decimal(0)).quantize(CENT, ROUND_HALF_EVEN))


def _duck_sum(name: str, column: str) -> float:
    con = duckdb.connect()
    path = str(REAL / name).replace("'", "''")
    value = con.execute(
        f"SELECT SUM(CAST({column} AS DECIMAL(18,6))) FROM read_csv('{path}', all_varchar=true)"
    ).fetchone()[0]
    return float(Decimal(value).quantize(CENT, ROUND_HALF_EVEN))


@pytest.fixture(scope="module")
def kag():
    return load_file(REAL / "KAG_conversion_data.csv")


def test_real_data_is_there():
    assert REAL.is_dir(), f"tests need the shared real data at {REAL}"


def test_kag_detected_by_content_and_reconciled(kag):
    header, rows = _rows("KAG_conversion_data.csv", "utf-8-sig")
    r = kag.report
    assert kag.source == "kag_facebook" and kag.table == "spend"
    assert r.rows_read == len(rows) == 1143
    assert r.rows_loaded == 1143 and r.dropped == {} and r.ok
    spent = header.index("Spent")
    assert r.spend == {"USD": _cents(row[spent] for row in rows)}
    assert r.spend["USD"] == _duck_sum("KAG_conversion_data.csv", "Spent") == 58705.23
    f = kag.frame
    assert int(f["impressions"].sum()) == sum(int(row[header.index("Impressions")]) for row in rows)
    assert int(f["reported_leads"].sum()) == sum(int(row[header.index("Total_Conversion")]) for row in rows)
    assert int(f["reported_outcomes"].sum()) == sum(int(row[header.index("Approved_Conversion")]) for row in rows)
    assert f["campaign"].nunique() == 3 and f["ad_group"].nunique() == 691
    assert sorted(f["dim_age"].unique()) == ["30-34", "35-39", "40-44", "45-49"]
    assert f["date"].nunique() == 1  # the documented nominal day: the file has no dates


def test_olist_mql_keeps_two_kinds_of_missing_origin():
    loaded = load_file(REAL / "olist_marketing_qualified_leads_dataset.csv")
    header, rows = _rows("olist_marketing_qualified_leads_dataset.csv")
    r, f = loaded.report, loaded.frame
    assert loaded.source == "olist_mql" and loaded.table == "contacts"
    assert r.rows_read == r.rows_loaded == len(rows) == 8000 and r.dropped == {}
    origin = Counter(row[header.index("origin")] for row in rows)
    assert int(f["source"].isna().sum()) == origin[""] == 60  # empty cell: not recorded
    assert int((f["source"] == "unknown").sum()) == origin["unknown"] == 1099  # recorded as unknown
    assert f["contact_key"].nunique() == 8000
    assert (f["created_date"] == f["mql_date"]).all()
    assert str(f["created_date"].min().date()) == "2017-06-14" and str(f["created_date"].max().date()) == "2018-05-31"


def test_olist_deals_join_their_mqls_with_the_same_salt():
    cfg = ClientConfig.from_dict({"client": "olist", "salt": "s"})
    mql = load_file(REAL / "olist_marketing_qualified_leads_dataset.csv", config=cfg).frame
    deals = load_file(REAL / "olist_closed_deals_dataset.csv", config=cfg)
    _, rows = _rows("olist_closed_deals_dataset.csv")
    assert deals.source == "olist_closed_deals"
    assert deals.report.rows_read == deals.report.rows_loaded == len(rows) == 842
    f = deals.frame
    assert f["contact_key"].isin(set(mql["contact_key"])).all()  # all 842 join
    assert f["is_won"].all() and f["is_closed"].all()
    assert f["amount"].isna().all()  # declared_monthly_revenue is not a deal amount
    assert str(f["close_date"].max().date()) == "2018-11-14"
    assert f["dim_business_segment"].notna().sum() == sum(1 for row in rows if row[5])


def test_display_ads_duplicates_dropped_and_spend_reconciled():
    loaded = load_file(REAL / "online_advertising_performance_data.csv")
    header, rows = _rows("online_advertising_performance_data.csv")
    r, f = loaded.report, loaded.frame
    assert loaded.source == "display_ads"
    seen, unique, dups = set(), [], []
    for row in rows:
        (dups if tuple(row) in seen else unique).append(row)
        seen.add(tuple(row))
    assert len(dups) == 5
    assert r.rows_read == len(rows) == 15408
    assert r.rows_loaded == len(unique) == 15403
    assert r.dropped == {"duplicate": 5}
    assert r.rows_read == r.rows_loaded + sum(r.dropped.values())
    cost = header.index("cost")
    assert r.spend == {"USD": _cents(row[cost] for row in unique)}
    assert r.spend_dropped == {"USD": _cents(row[cost] for row in dups)}
    # loaded + dropped = every data row of the file, to the cent (DuckDB, independently)
    total = _duck_sum("online_advertising_performance_data.csv", "cost")
    assert abs(r.spend["USD"] + r.spend_dropped["USD"] - total) < 0.011
    # the advertiser's sales, not the agency's revenue
    sales = header.index("post_click_sales_amount")
    assert round(float(f["reported_revenue"].sum()), 2) == _cents(row[sales] for row in unique)
    placement = header.index("placement")
    assert int(f["dim_placement"].isna().sum()) == sum(1 for row in unique if row[placement] == "#N/A")
    assert sum(1 for row in rows if row[placement] == "#N/A") == 413
    assert "#N/A" not in set(f["dim_placement"].dropna())
    # month name + day + the map's year
    assert set(f["date"].dt.month) == {4, 5, 6} and set(f["date"].dt.year) == {2020}
    # the two clicks > displays rows are kept and reported as warnings
    assert sum("more clicks than impressions" in p.message for p in r.warnings) == 2
    assert int((f["clicks"] > f["impressions"]).sum()) == 2


@pytest.mark.parametrize("name", sorted(p.name for p in MAPS.glob("*.yaml")))
def test_every_shipped_map_loads_a_real_file(name):
    """Each map in templates/column_maps is exercised by a real file (no dead maps)."""
    from kpikit.ingest.column_map import load_column_map

    fmt = load_column_map(MAPS / name)
    files = [p for p in REAL.glob("*.csv") if load_file(p).source == fmt.name]
    assert len(files) == 1
