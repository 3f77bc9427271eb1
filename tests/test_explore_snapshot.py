"""A workshop snapshot and the report agree: one rank-agreement rule for both.

The report embeds the snapshots a workshop saved (``Book.snapshots`` reads
``<client folder>/snapshots/*.json`` with :func:`kpikit.explore.read_snapshots`)
beside ``metrics.json``. For the same client, outcome, vanity KPI and segments,
the outcome switch's ``rank_correlation`` must be the report's
``vanity.kendall_tau``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_explore_fixture import make_model

import kpikit
from kpikit import explore
from kpikit.analysis import metrics, rank_agreement, vanity_vs_value
from kpikit.core.result import Result
from kpikit.explore import scenarios as sc
from kpikit.explore.precompute import precompute
from kpikit.samples import DATA_SAMPLES, SAMPLE_CLIENTS

pytestmark = pytest.mark.skipif(not (DATA_SAMPLES / "clients.yaml").is_file(), reason="data_samples/ not generated")


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_snapshot_agreement_equals_the_reports_kendall_tau(client, tmp_path):
    model = kpikit.load_client(DATA_SAMPLES / client)
    report = metrics(model)["vanity"]  # metrics ranks campaigns on CTR against the real outcome
    switch = explore.outcome_switch(model)
    assert (switch.values["outcome"], switch.values["vanity"]) == (report["outcome"], report["vanity"])
    switch.snapshot(folder=tmp_path, name=f"{client}-outcomes", images=False)

    (doc,) = explore.read_snapshots(tmp_path)  # the reader the report uses
    assert doc["explorer"] == "outcome_switch" and doc["real_outcome"] == report["outcome"]
    assert report["kendall_tau"] is not None
    assert doc["numbers"]["rank_correlation"] == pytest.approx(report["kendall_tau"], abs=1e-9)
    assert doc["result"]["rank_correlation"] == doc["numbers"]["rank_correlation"]


def test_workshop_and_report_rank_the_same_campaigns_the_same_way():
    model = make_model()
    cube = precompute(model)
    for outcome, vanity in (("opportunity", "ctr"), ("lead", "cpc"), ("won", "clicks")):
        ws = sc.outcome_ranking(cube, outcome, vanity).campaigns.set_index("campaign")
        rep = vanity_vs_value(model, by="campaign", vanity=vanity, outcome=outcome)
        ranked = rep.frame.dropna(subset=["vanity_rank"]).set_index("campaign")
        assert sorted(ranked.index) == sorted(ws.index)  # every fixture campaign has spend
        assert ws.loc[ranked.index, "vanity_rank"].tolist() == ranked["vanity_rank"].astype(int).tolist()
        assert ws.loc[ranked.index, "value_rank"].tolist() == ranked["value_rank"].astype(int).tolist()
        assert sc.outcome_ranking(cube, outcome, vanity).numbers["rank_correlation"] == pytest.approx(rep.kendall_tau)


def test_rank_agreement_is_kendalls_tau_b_over_the_ranked_segments():
    # CTR vs cost per outcome: the unranked row (no spend) changes nothing, the one without outcomes ranks last.
    ctr = [0.05, 0.02, 0.005, 0.9]
    cpo = [500.0, np.nan, 1000.0, 1.0]
    a = rank_agreement(ctr, cpo, ranked=[True, True, True, False])
    assert a.n == 3 and a.vanity_rank[:3].tolist() == [1, 2, 3] and np.isnan(a.vanity_rank[3])
    assert a.value_rank[:3].tolist() == [1, 3, 2]
    assert a.tau == pytest.approx(1 / 3)  # pairs: 2 concordant, 1 discordant
    assert rank_agreement([1.0, 2.0], [1.0, 2.0]).tau is None  # fewer than 3 segments


@pytest.mark.parametrize(
    "name", ["targeting", "budget_shift", "outcome_switch", "attribution_switch", "incentive", "vanity_cost"]
)
def test_every_scenario_result_is_a_core_result(name):
    evil = "<img src=x onerror=alert(1)>"
    model = make_model()
    spend = model.spend.copy()
    spend.loc[spend["ad_group"] == "Prospecting - Lookalike 1%", ["campaign", "ad_group"]] = evil
    spend = spend.astype({"campaign": "str", "ad_group": "str"})
    ex = getattr(explore, name)(model.replace(spend=spend))
    r = ex.result
    assert isinstance(r, Result) and r.view == name
    assert r.currency == "EUR"
    frame = r.to_frame()
    assert frame is not r.frame and frame.equals(r.frame)
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["view"] == name and d["controls"] == r.controls and len(d["rows"]) == len(r.frame)
    html = r._repr_html_()
    assert evil not in html and "<table" in html
