"""kpikit.core.money: one conversion for every money column; checked against Decimal by hand."""

from decimal import Decimal

import pandas as pd
import pytest

from kpikit.config import ClientConfig
from kpikit.core.money import MONEY_COLUMNS, convert_tables, to_reporting_currency
from kpikit.errors import CurrencyError
from kpikit.model import ClientModel, conform


@pytest.fixture
def config():
    return ClientConfig.from_dict({"client": "acme", "currency": "EUR", "fx_rates": {"USD": 0.92, "GBP": 1.17}})


def test_every_money_column_is_converted_and_totals_match_decimal(config):
    spend = pd.DataFrame({"cost": [100.10, 200.20, 50.0], "reported_revenue": [10.0, 20.0, None],
                          "currency": ["EUR", "USD", "GBP"], "source_file": ["a.csv", "b.csv", "c.csv"]})  # fmt: skip
    deals = pd.DataFrame({"amount": [1000.0, 2500.5], "currency": ["GBP", None], "source_file": ["d.csv"] * 2})
    out, rates = convert_tables({"spend": spend, "deals": deals}, config)
    assert rates == {"EUR": 1.0, "GBP": 1.17, "USD": 0.92}
    rate = {"EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17")}
    want_cost = sum(Decimal(str(c)) * rate[k] for c, k in zip(spend["cost"], spend["currency"], strict=True))
    assert Decimal(str(round(out["spend"]["cost"].sum(), 6))) == want_cost
    assert out["spend"]["reported_revenue"].tolist()[:2] == pytest.approx([10.0, 18.4])
    assert out["deals"]["amount"].tolist() == pytest.approx([1170.0, 2500.5])  # a blank currency is the client's
    assert set(out["spend"]["currency"]) == {"EUR"} and set(out["deals"]["currency"]) == {"EUR"}


def test_missing_rates_name_every_currency_and_file(config):
    spend = pd.DataFrame({"cost": [1.0, 2.0], "currency": ["CHF", "SEK"], "source_file": ["x.csv", "y.csv"]})
    with pytest.raises(CurrencyError) as e:
        convert_tables({"spend": spend}, config)
    text = str(e.value)
    assert "CHF" in text and "SEK" in text and "x.csv" in text and "y.csv" in text and "fx_rates" in text


def test_single_currency_tables_are_not_copied(config):
    spend = pd.DataFrame({"cost": [1.0], "currency": ["EUR"]})
    out, _ = convert_tables({"spend": spend}, config)
    assert out["spend"] is spend


def test_in_memory_models_convert_reported_revenue_too(config):
    spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "platform": ["meta"],
        "campaign": ["A"], "impressions": [10], "clicks": [1], "cost": [10.0], "reported_revenue": [100.0],
        "currency": ["USD"]}))  # fmt: skip
    model = to_reporting_currency(ClientModel(spend=spend, config=config))
    assert model.spend["cost"].tolist() == pytest.approx([9.2])
    assert model.spend["reported_revenue"].tolist() == pytest.approx([92.0])


def test_every_money_column_of_the_model_is_registered():
    # A money column is a float column the model documents as being "in `currency`".
    from kpikit.model import TABLES

    documented = {
        name: {c.name for c in t.columns if c.dtype == "float64" and "`currency`" in c.description}
        for name, t in TABLES.items()
        if "currency" in t.names
    }
    assert documented == {name: set(cols) for name, cols in MONEY_COLUMNS.items()}
