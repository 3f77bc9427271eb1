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


@pytest.fixture
def targeting():
    from kpikit.samples import synthetic_model

    return explore.targeting(synthetic_model(2_000, 6_000, seed=1))


def _button_saves_into(explorer, monkeypatch, folder, **kw):
    # The button calls explorer.snapshot(); point it at a folder (the synthetic model has no client folder).
    real = type(explorer).snapshot
    monkeypatch.setattr(explorer, "snapshot", lambda: real(explorer, folder, **kw))


def test_a_snapshot_whose_chart_will_not_convert_leaves_no_file_and_says_so_on_screen(targeting, tmp_path, monkeypatch):
    from kpikit.explore import snapshot as snap

    calls = []

    def png(spec):  # the second chart fails, after the first chart's SVG and PNG were written
        calls.append(spec)
        if len(calls) == 2:
            raise ValueError("vl-convert could not render")
        return b"\x89PNG"

    monkeypatch.setattr(snap, "_png", png)
    _button_saves_into(targeting, monkeypatch, tmp_path / "snapshots")
    targeting._on_snapshot(None)
    assert len(calls) == 2
    assert targeting.snapshot_status.value.startswith('<span class="kpk-warn">Not saved')
    assert list((tmp_path / "snapshots").iterdir()) == []  # no orphan SVG, PNG or temporary file


def test_a_snapshot_into_a_folder_that_cannot_be_written_says_why(targeting, tmp_path, monkeypatch):
    blocker = tmp_path / "snapshots"
    blocker.write_text("a file where the folder should be")
    _button_saves_into(targeting, monkeypatch, blocker, images=False)
    targeting._on_snapshot(None)
    assert targeting.snapshot_status.value.startswith('<span class="kpk-warn">Not saved: ')
    assert blocker.read_text() == "a file where the folder should be"


def test_a_good_snapshot_is_renamed_into_place_with_no_temporary_file_left(targeting, tmp_path, monkeypatch):
    _button_saves_into(targeting, monkeypatch, tmp_path)
    targeting._on_snapshot(None)
    assert "saved targeting-" in targeting.snapshot_status.value
    names = sorted(p.name for p in tmp_path.iterdir())
    stem = targeting.last_snapshot.stem
    assert names == sorted([f"{stem}.json", *(f"{stem}-{k}.{x}" for k in targeting.specs for x in ("svg", "png"))])
