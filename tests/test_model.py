from __future__ import annotations

import pandas as pd
import pytest

from kpikit.errors import ValidationError
from kpikit.model import STAGES, TABLES, ClientModel, conform, empty_table

PII_WORDS = ("email", "name", "phone", "first", "last", "note")


def test_tables_have_documented_columns():
    for table in TABLES.values():
        assert table.required, table.name
        for col in table.columns:
            assert col.description, (table.name, col.name)
            assert col.dtype in {"str", "Int64", "float64", "datetime64[us]", "boolean"}


def test_contacts_cannot_hold_personal_data():
    names = TABLES["contacts"].names
    for word in ("email", "phone", "first_name", "last_name", "full_name", "notes"):
        assert not any(word in n for n in names), names


def test_stage_dates_exist_for_every_stage():
    for stage in STAGES:
        assert f"{stage}_date" in TABLES["contacts"].names


def test_empty_table_dtypes():
    df = empty_table("spend")
    assert list(df.columns) == list(TABLES["spend"].names)
    assert str(df["cost"].dtype) == "float64"
    assert str(df["date"].dtype) == "datetime64[us]"


def test_conform_orders_fills_and_drops_undocumented_columns():
    raw = pd.DataFrame(
        {
            "cost": [1.5, 2.25],
            "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "platform": ["meta", "meta"],
            "campaign": ["a", "b"],
            "impressions": [10, 20],
            "clicks": [1, 2],
            "currency": ["EUR", "EUR"],
            "email": ["x@y.com", "z@y.com"],
            "dim_age": ["25-34", "35-44"],
        }
    )
    out = conform("spend", raw)
    assert "email" not in out.columns
    assert list(out.columns[: len(TABLES["spend"].names)]) == list(TABLES["spend"].names)
    assert out["dim_age"].tolist() == ["25-34", "35-44"]
    assert str(out["impressions"].dtype) == "Int64"
    assert out["ad_group"].isna().all()
    assert out["cost"].sum() == pytest.approx(3.75)


def test_conform_lists_all_missing_required_columns():
    with pytest.raises(ValidationError) as info:
        conform("spend", pd.DataFrame({"date": []}), file="x.csv")
    missing = {p.column for p in info.value.problems}
    assert missing == set(TABLES["spend"].required) - {"date"}
    assert "x.csv" in str(info.value)


def test_client_model_defaults_and_repr():
    m = ClientModel()
    assert set(m.tables()) == set(TABLES)
    assert "spend=0" in repr(m)
    m2 = m.replace(spend=empty_table("spend"))
    assert m2 is not m


# -- tables left in Parquet -----------------------------------------------------------------


def _touchpoints_file(tmp_path):
    from kpikit.samples import synthetic_model

    model = synthetic_model(200, 600, seed=2)
    path = tmp_path / "touchpoints.parquet"
    model.touchpoints.to_parquet(path)
    return model, path


def test_a_parquet_table_counts_rows_from_the_footer_and_reads_once_on_use(tmp_path):
    from kpikit.model import ParquetTable, n_rows

    model, path = _touchpoints_file(tmp_path)
    table = ParquetTable(path)
    lazy = model.replace(touchpoints=table)
    assert len(table) == 600 and lazy.count("touchpoints") == 600 and n_rows(lazy, "touchpoints") == 600
    assert "touchpoints=600" in repr(lazy)
    again = lazy.replace(spend=lazy.spend.iloc[:10])  # replace keeps the table as held
    assert again.raw("touchpoints") is table and not table.loaded
    frame = again.touchpoints  # a view that needs the rows gets the frame
    assert table.loaded and isinstance(frame, pd.DataFrame) and lazy.touchpoints is frame
    pd.testing.assert_frame_equal(frame, model.touchpoints, check_exact=True)
    assert lazy.tables()["touchpoints"] is frame


def test_n_rows_takes_any_model_like_object():
    from types import SimpleNamespace

    from kpikit.model import n_rows

    assert n_rows(SimpleNamespace(touchpoints=pd.DataFrame({"a": [1, 2, 3]})), "touchpoints") == 3
    assert n_rows(ClientModel(), "touchpoints") == 0
