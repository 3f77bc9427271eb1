import importlib
import json
import re

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import tiny_model

from kpikit.analysis import ATTRIBUTION_MODELS, attribution
from kpikit.analysis.attribution import NO_TOUCH, largest_remainder
from kpikit.errors import KpikitError, OptionError
from kpikit.model import ClientModel, conform

D = pd.Timestamp


def five_touch_model():
    """One converting contact with 5 touches: lead created after touch 2, opportunity after touch 4.

    Touches a(t0) b(t1) | lead | c(t2) d(t3) | opportunity | e(t4) | won. Revenue 1000 from a won deal.
    A second, non-converting contact touches a then b.
    """
    contacts = conform("contacts", pd.DataFrame({
        "contact_key": ["k", "n"],
        "created_date": [D("2024-01-05"), D("2024-01-05")],
        "opportunity_date": [D("2024-01-20"), pd.NaT],
        "won_date": [D("2024-02-01"), pd.NaT],
    }))  # fmt: skip
    tp = conform("touchpoints", pd.DataFrame({
        "contact_key": ["k"] * 5 + ["n", "n"],
        "timestamp": [D("2024-01-01"), D("2024-01-04"), D("2024-01-10"), D("2024-01-18"), D("2024-01-25"),
                      D("2024-01-02"), D("2024-01-03")],
        "channel": ["a", "b", "c", "d", "e", "a", "b"],
    }))  # fmt: skip
    deals = conform("deals", pd.DataFrame({
        "deal_id": ["x"], "contact_key": ["k"], "created_date": [D("2024-01-20")], "close_date": [D("2024-02-01")],
        "amount": [1000.0], "is_won": [True],
    }))  # fmt: skip
    return ClientModel(contacts=contacts, touchpoints=tp, deals=deals)


EXPECTED = {
    "first": {"a": 1.0},
    "last": {"e": 1.0},
    "linear": dict.fromkeys("abcde", 0.2),
    "u_shaped": {"a": 0.4, "b": 0.2 / 3, "c": 0.2 / 3, "d": 0.2 / 3, "e": 0.4},
    # first a, lead touch b (last before 01-05), opportunity touch d (last on/before 01-20), rest c, e share 10%
    "w_shaped": {"a": 0.3, "b": 0.3, "c": 0.05, "d": 0.3, "e": 0.05},
    "full_path": {"a": 0.225, "b": 0.225, "c": 0.1, "d": 0.225, "e": 0.225},
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_position_models_by_hand(name):
    r = attribution(five_touch_model(), models=[name], outcome="won")
    got = r.credits.set_index("channel")["conversions"].to_dict()
    want = {ch: EXPECTED[name].get(ch, 0.0) for ch in "abcde"}
    assert got == pytest.approx(want, abs=1e-12)
    rev = r.credits.set_index("channel")["revenue"].to_dict()
    assert sum(rev.values()) == 1000.0
    assert rev == pytest.approx({ch: round(v * 1000, 2) for ch, v in want.items()}, abs=0.011)


def test_time_decay_by_hand():
    # touches 0, 7 and 14 days before the last: weights 1, 1/2, 1/4 -> 4/7, 2/7, 1/7
    contacts = conform("contacts", pd.DataFrame({"contact_key": ["k"], "created_date": [D("2024-01-01")],
                                                 "won_date": [D("2024-01-15")]}))  # fmt: skip
    tp = conform("touchpoints", pd.DataFrame({"contact_key": ["k"] * 3, "channel": ["x", "y", "z"],
        "timestamp": [D("2024-01-01"), D("2024-01-08"), D("2024-01-15")]}))  # fmt: skip
    r = attribution(ClientModel(contacts=contacts, touchpoints=tp), models=["time_decay"], outcome="won")
    got = r.credits.set_index("channel")["conversions"].to_dict()
    assert got == pytest.approx({"x": 1 / 7, "y": 2 / 7, "z": 4 / 7})
    r2 = attribution(ClientModel(contacts=contacts, touchpoints=tp), models=["time_decay"], half_life_days=14,
                     outcome="won")  # fmt: skip
    w = np.array([2**-1, 2**-0.5, 1.0])
    assert r2.credits["conversions"].to_numpy() == pytest.approx(w / w.sum())


def _markov_reference(paths, channels, removed=None):
    """Conversion probability by value iteration over the transition graph (independent of the solver)."""
    from collections import Counter

    t = Counter()
    for seq, conv in paths:
        states = ["start", *seq, "conv" if conv else "null"]
        for a, b in zip(states[:-1], states[1:], strict=False):
            t[(a, b)] += 1
    out = Counter()
    for (a, _), n in t.items():
        out[a] += n
    p = {s: 0.0 for s in ["start", *channels]}
    for _ in range(2000):
        for s in p:
            if s == removed:
                p[s] = 0.0
                continue
            p[s] = sum(n / out[s] * (1.0 if b == "conv" else 0.0 if b == "null" else p[b])
                       for (a, b), n in t.items() if a == s)  # fmt: skip
    return p["start"]


def test_markov_matches_value_iteration():
    paths = [(["a", "b"], True), (["a"], False), (["b"], True), (["c", "a", "b"], True), (["c"], False),
             (["b", "c"], False), (["a", "a", "b"], True)]  # fmt: skip
    keys = [f"k{i}" for i in range(len(paths))]
    rows = []
    for key, (seq, _) in zip(keys, paths, strict=True):
        for j, ch in enumerate(seq):
            rows.append({"contact_key": key, "timestamp": D("2024-01-01") + pd.Timedelta(hours=j), "channel": ch})
    contacts = conform("contacts", pd.DataFrame({
        "contact_key": keys, "created_date": [D("2024-01-01")] * len(keys),
        "won_date": [D("2024-01-05") if conv else pd.NaT for _, conv in paths],
    }))  # fmt: skip
    model = ClientModel(contacts=contacts, touchpoints=conform("touchpoints", pd.DataFrame(rows)))
    r = attribution(model, models=["markov"], outcome="won")
    base = _markov_reference(paths, "abc")
    effects = {ch: 1 - _markov_reference(paths, "abc", removed=ch) / base for ch in "abc"}
    total = sum(effects.values())
    want = {ch: 4 * e / total for ch, e in effects.items()}
    got = r.credits.set_index("channel")["conversions"].to_dict()
    assert got == pytest.approx(want, rel=1e-9)
    assert r.markov["p_conversion"] == pytest.approx(base)
    assert r.markov["reliable"] is False and any("too few" in n for n in r.notes)


def test_credits_sum_exactly_for_every_model():
    m = tiny_model()
    rng = np.random.default_rng(3)
    n = 40
    tp = conform("touchpoints", pd.DataFrame({
        "contact_key": rng.choice([f"c{i}" for i in range(1, 8)] + ["anon"], n),
        "timestamp": D("2023-12-20") + pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h"),
        "channel": rng.choice(["paid_search", "paid_social", "email", "organic"], n),
    }))  # fmt: skip
    r = attribution(m.replace(touchpoints=tp), outcome="won")
    assert set(r.models) == set(ATTRIBUTION_MODELS)
    # won contacts: c1 (via d1); d3 has no contact so it is not a contact conversion
    assert r.totals["conversions"] == 1 and r.totals["revenue"] == 10000.0
    for _, g in r.credits.groupby("model"):
        assert g["conversions"].sum() == pytest.approx(r.totals["conversions"], rel=1e-9)
        assert round(g["revenue"].sum(), 2) == r.totals["revenue"]
    json.dumps(r.to_dict(), allow_nan=False)


def test_conversion_without_touchpoint_is_credited_not_dropped():
    r = attribution(tiny_model(), models=["linear", "markov"])
    # no touchpoints at all: both opportunities (c1, c5) go to (no touchpoint)
    assert r.totals["conversions"] == 2
    for _, g in r.credits.groupby("model"):
        assert g.set_index("channel").loc[NO_TOUCH, "conversions"] == 2


def test_unknown_model():
    with pytest.raises(KpikitError, match="attribution model"):
        attribution(tiny_model(), models=["magic"])


def test_largest_remainder_exact():
    vals = np.array([100 / 3, 100 / 3, 100 / 3, 0.0])
    out = largest_remainder(vals, 100.0)
    assert round(out.sum(), 2) == 100.0 and sorted(out.tolist()) == [0.0, 33.33, 33.33, 33.34]


def _same_day_model(conversion: str, touches: list[str]) -> ClientModel:
    contacts = conform("contacts", pd.DataFrame({
        "contact_key": ["k"], "created_date": [D("2024-03-01 08:00")], "opportunity_date": [D(conversion)],
    }))  # fmt: skip
    tp = conform("touchpoints", pd.DataFrame({
        "contact_key": ["k"] * len(touches), "timestamp": [D(t) for t in touches],
        "channel": [f"t{i}" for i in range(len(touches))],
    }))  # fmt: skip
    return ClientModel(contacts=contacts, touchpoints=tp)


def test_a_touch_hours_after_a_timed_conversion_gets_no_credit():
    # Converted at 10:15; an email at 09:00 led to it, a retargeting ad at 16:40 the same day did not.
    r = attribution(_same_day_model("2024-03-04 10:15", ["2024-03-04 09:00", "2024-03-04 16:40"]),
                    outcome="opportunity", models=["last", "linear"])  # fmt: skip
    credits = r.to_frame().set_index("channel")
    assert credits.loc["t0", "last"] == 1.0 and credits.loc["t1", "last"] == 0.0
    assert credits.loc["t0", "linear"] == 1.0
    assert r.to_dict()["totals"]["touchpoints_after_conversion"] == 1


def test_a_touch_at_the_conversion_minute_counts():
    r = attribution(_same_day_model("2024-03-04 10:15", ["2024-03-04 10:15"]), outcome="opportunity", models=["last"])
    assert r.to_dict()["credits"]["last"]["t0"]["conversions"] == 1.0


@pytest.mark.parametrize(
    "conversion, touches",
    [
        ("2024-03-04", ["2024-03-04 16:40"]),  # date-only conversion: the whole day counts
        ("2024-03-04 10:15", ["2024-03-04"]),  # date-only touch on the conversion day: counts
    ],
)
def test_where_a_side_has_only_a_date_days_are_compared(conversion, touches):
    r = attribution(_same_day_model(conversion, touches), outcome="opportunity", models=["last"])
    assert r.to_dict()["credits"]["last"]["t0"]["conversions"] == 1.0


def test_a_touch_the_day_after_a_date_only_conversion_gets_no_credit():
    r = attribution(_same_day_model("2024-03-04", ["2024-03-03 12:00", "2024-03-05 00:30"]),
                    outcome="opportunity", models=["last"])  # fmt: skip
    credits = r.to_dict()["credits"]["last"]
    assert credits["t0"]["conversions"] == 1.0 and credits["t1"]["conversions"] == 0.0


@pytest.mark.parametrize(
    "kwargs, meant",
    [
        ({"models": ["linear", "u-shaped"]}, "u_shaped"),
        ({"models": "Markov"}, "markov"),
        ({"outcome": "opportunty"}, "opportunity"),
    ],
)
def test_a_mistyped_attribution_option_is_an_option_error_that_says_what_was_meant(kwargs, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        attribution(tiny_model(), **kwargs)


def test_path_order_in_blocks_is_the_stable_order_by_path_then_time(monkeypatch):
    attr = importlib.import_module("kpikit.analysis.attribution")  # the module: the package exports the function
    rng = np.random.default_rng(11)
    n = 50_000
    path = rng.integers(0, 3_000, n)
    for unit in (1_000_000, 1):  # whole seconds (a smaller key), then microseconds
        ts = 1_700_000_000_000_000 + rng.integers(0, 40_000, n) * unit
        ts[rng.integers(0, n, 2_000)] = ts[0]  # ties: same path and time keep their row order
        want = np.lexsort((np.arange(n), ts, path))
        monkeypatch.setattr(attr, "_TOUCH_BLOCK", 4_096)
        monkeypatch.setattr(attr, "_SORT_BUCKET", 512)
        order, p_sorted, t_sorted = attr._path_order(path, ts)
        assert order.tolist() == want.tolist()
        assert (p_sorted == path[want]).all() and (t_sorted == ts[want]).all()
        # A spent buffer lent as scratch gives the same answer; one that is the input itself is not used.
        kept = path.copy()
        for scratch in (np.full(n + 10, -7), path):
            order2, p2, t2 = attr._path_order(path, ts, scratch=scratch)
            assert order2.tolist() == want.tolist() and (p2 == kept[want]).all() and (t2 == ts[want]).all()
            assert (path == kept).all()


def test_markov_counts_from_narrow_channel_codes_do_not_overflow():
    attr = importlib.import_module("kpikit.analysis.attribution")
    rng = np.random.default_rng(5)
    k, n = 40, 20_000  # (k + 3) * k is far past what int8 holds
    path = np.sort(rng.integers(0, 3_000, n))
    ch = rng.integers(0, k, n)
    converts = rng.random(3_000) < 0.3
    wide = attr._transition_counts(path, ch, converts, k)
    assert (attr._transition_counts(path, ch.astype(np.int8), converts, k) == wide).all()
    assert wide.sum() == n + len(np.unique(path))  # every touch leaves once, every path starts once


def test_paths_built_in_blocks_equal_paths_built_whole(monkeypatch):
    from kpikit.analysis._prepare import prepare
    from kpikit.samples import synthetic_model

    attr = importlib.import_module("kpikit.analysis.attribution")
    model = synthetic_model(4_000, 12_000, seed=2)
    whole = attr.build_paths(model)
    credits = attribution(model).credits
    monkeypatch.setattr(attr, "_TOUCH_BLOCK", 1_000)
    monkeypatch.setattr(attr, "_SORT_BUCKET", 256)
    fresh = model.replace()
    prepare(fresh)
    blocks = attr.build_paths(fresh)
    for name in ("ch", "path", "ts", "converts", "value"):
        assert np.array_equal(getattr(blocks, name), getattr(whole, name)), name
    for cut in ("conv_ts", "lead_cut", "opp_cut"):
        assert np.array_equal(getattr(blocks, cut).exact, getattr(whole, cut).exact), cut
        assert np.array_equal(getattr(blocks, cut).day, getattr(whole, cut).day), cut
    assert (blocks.orphan_touches, blocks.after_conversion) == (whole.orphan_touches, whole.after_conversion)
    assert whole.after_conversion > 0 and blocks.channels == whole.channels
    pd.testing.assert_frame_equal(attribution(fresh).credits, credits)


def test_channel_codes_from_a_chunked_column_are_the_factorize_codes_of_the_filled_column():
    import pyarrow as pa

    attr = importlib.import_module("kpikit.analysis.attribution")
    # Several Arrow chunks (as a concatenated or Parquet-read column has), missing values in a later chunk.
    chunks = pa.chunked_array([["paid social", "email"], ["direct", None, "email"], [None, "organic", "direct"]])
    channel = pd.Series(pd.arrays.ArrowStringArray(chunks)).astype("str")
    codes, uniques = attr._channel_codes(channel)
    want_codes, want_uniques = pd.factorize(channel.fillna(attr.NOT_SET), use_na_sentinel=False)
    assert codes.tolist() == want_codes.tolist() and uniques == list(want_uniques)
    assert codes.dtype == np.int8
    empty_codes, empty_uniques = attr._channel_codes(channel[:0])
    assert len(empty_codes) == 0 and empty_uniques == []
