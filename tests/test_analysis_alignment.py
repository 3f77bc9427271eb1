import re

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import tiny_model

from kpikit.analysis import kpi_alignment
from kpikit.config import ClientConfig
from kpikit.errors import KpikitError, OptionError
from kpikit.model import ClientModel, conform


def monthly_model():
    days = pd.date_range("2024-01-01", periods=6, freq="MS")
    spend = conform("spend", pd.DataFrame({
        "date": days, "platform": "meta", "campaign": "A", "impressions": [1000] * 6,
        "clicks": [10, 20, 30, 40, 50, 60], "cost": [100.0, 100.0, 100.0, 100.0, 200.0, 50.0], "currency": "EUR",
        "reported_leads": [5] * 6, "reported_outcomes": [6, 5, 7, 3, 2, 1],
    }))  # fmt: skip
    cfg = ClientConfig.from_dict({"client": "x", "currency": "EUR", "funnel": {"real_outcome": "won"},
                                  "kpis": {"cm": "ctr", "buyer": "cpc", "cfo": "cost_per_won"}})  # fmt: skip
    return ClientModel(spend=spend, config=cfg)


def test_alignment_by_hand():
    r = kpi_alignment(monthly_model(), period="M")
    f = r.to_frame().set_index("role")
    won = np.array([6, 5, 7, 3, 2, 1.0])
    ctr = np.arange(1, 7) / 100
    assert f.loc["cm", "correlation"] == pytest.approx(np.corrcoef(ctr, won)[0, 1])
    # CTR rises every month; won falls in 4 of 5 moves
    assert f.loc["cm", "improved_while_outcome_fell"] == 4
    assert f.loc["cm", "direction_agreement"] == pytest.approx(1 / 5)
    assert f.loc["cm", "flag"] == "KPI improved while the outcome fell"
    # cpc: lower is better, so the correlation is taken on -cpc
    cpc = np.array([100, 100, 100, 100, 200, 50.0]) / (ctr * 1000)
    assert f.loc["buyer", "correlation"] == pytest.approx(np.corrcoef(-cpc, won)[0, 1])
    lag1 = np.corrcoef(ctr[:-1], won[1:])[0, 1]
    lags = [abs(np.corrcoef(ctr[:-k], won[k:])[0, 1]) for k in (1, 2, 3)]
    assert f.loc["cm", "best_lag"] == 1 + int(np.argmax(lags))
    assert abs(f.loc["cm", "lagged_correlation"]) == pytest.approx(max(lags))
    assert lag1 < 0
    assert r.series["won"].tolist() == won.tolist()


def test_unknown_kpi_is_config_error():
    with pytest.raises(KpikitError, match="kpis"):
        kpi_alignment(tiny_model(), kpis={"cmo": "vibes"})


def test_default_roles_and_json():
    import json

    r = kpi_alignment(tiny_model(), period="W")
    assert set(r.to_frame()["kpi"]) == {"ctr", "clicks", "pipeline"}
    json.dumps(r.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "kwargs, meant",
    [({"kpis": {"cmo": "pipline"}}, "pipeline"), ({"kpis": {"cm": "CTR"}}, "ctr"), ({"period": "quater"}, "quarter")],
)
def test_a_mistyped_alignment_option_is_an_option_error_that_says_what_was_meant(kwargs, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        kpi_alignment(tiny_model(), **kwargs)
