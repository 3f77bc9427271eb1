"""The out-of-core engine: DuckDB over the cached Parquet gives exactly the in-memory results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpikit.analysis._duckpaths as duckpaths
from kpikit.analysis import attribution
from kpikit.analysis._prepare import prepare
from kpikit.analysis.metrics import metrics
from kpikit.errors import ConfigError, KpikitError, MemoryLimitError
from kpikit.ingest import load_client
from kpikit.ingest.cache import ParquetStore
from kpikit.model import ParquetTable, conform
from kpikit.samples import synthetic_model

pytest.importorskip("duckdb")

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"


@pytest.fixture
def spy(monkeypatch):
    calls = []
    real = duckpaths.paths_from_parquet

    def counted(*args, **kwargs):
        calls.append(args[0].memory_limit)
        return real(*args, **kwargs)

    monkeypatch.setattr(duckpaths, "paths_from_parquet", counted)
    return calls


def _json(model) -> str:
    return json.dumps(metrics(model), sort_keys=True, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("client", ["lumora", "harbourline", "ironbridge"])
def test_sample_metrics_json_is_byte_identical_out_of_core(client, tmp_path, spy):
    config = SAMPLES / client / "client.yaml"
    in_memory = _json(load_client(config))
    for _ in ("cache miss", "cache hit"):
        model = load_client(config, cache_dir=tmp_path, memory_limit="1GB")
        assert isinstance(model.raw("touchpoints"), ParquetTable)  # not read by the loader
        assert _json(model) == in_memory
        assert not model.raw("touchpoints").loaded  # nor by metrics: DuckDB read them
    assert spy == ["1GB", "1GB"]  # DuckDB built the paths both times


def _awkward_model():
    """A synthetic client plus the touches that make path building hard to get exactly right."""
    m = synthetic_model(3000, 9000, seed=3)
    tp = m.touchpoints
    day = pd.Timestamp("2026-03-02")
    opp = prepare(m).contacts["_d_opportunity"]
    # Contacts that convert after `day`, so their tied touches are credited.
    known = m.contacts.loc[opp > day + pd.Timedelta(days=2), "contact_key"].iloc[:50].tolist()
    assert len(known) == 50
    extra = pd.DataFrame(
        {
            "contact_key": [*known[:20], *known[:20], "ffffffffffffff00", "ffffffffffffff00", None, known[0].upper()],
            "timestamp": [day] * 20 + [day] * 20 + [day, pd.NaT, day, day + pd.Timedelta(hours=5)],
            "channel": ["email"] * 20 + ["paid_search"] * 20 + ["events", None, "email", "organic"],
        }
    )  # same contact, same instant (ties); date-only times; an unknown key; no key; no time; upper-case hex
    tp = conform("touchpoints", pd.concat([tp[["contact_key", "timestamp", "channel"]], extra], ignore_index=True))
    return m.replace(touchpoints=tp)


def test_credits_and_totals_are_identical_to_the_in_memory_engine(tmp_path, spy):
    model = _awkward_model()
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    ooc = model.replace(store=ParquetStore(tmp_path, "256MB", model.touchpoints))
    want = attribution(model)
    got = attribution(ooc)
    assert spy == ["256MB"]
    pd.testing.assert_frame_equal(got.credits, want.credits, check_exact=True)
    assert got.totals == want.totals and got.markov == want.markov
    assert want.totals["touchpoints_without_contact"] == 1 and want.totals["touchpoints_after_conversion"] > 0


def test_a_model_with_other_touchpoints_is_analysed_in_memory(tmp_path, spy):
    model = _awkward_model()
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    ooc = model.replace(store=ParquetStore(tmp_path, "256MB", model.touchpoints))
    fewer = ooc.replace(touchpoints=model.touchpoints.iloc[::2].reset_index(drop=True))
    pd.testing.assert_frame_equal(attribution(fewer).credits, attribution(fewer.replace(store=None)).credits)
    assert spy == []


def test_a_memory_limit_too_small_even_for_duckdb_says_so(tmp_path):
    model = synthetic_model(3000, 9000, seed=3)
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    with pytest.raises(MemoryLimitError) as err:
        attribution(model.replace(store=ParquetStore(tmp_path, "100KB", model.touchpoints)))
    assert "'100KB'" in str(err.value) and "raise memory_limit" in str(err.value)


def test_memory_limit_needs_a_cache_and_a_unit(tmp_path):
    with pytest.raises(ConfigError, match="needs a cache folder"):
        load_client(SAMPLES / "ironbridge", memory_limit="6GB")
    with pytest.raises(KpikitError, match="needs a unit"):
        load_client(SAMPLES / "ironbridge", cache_dir=tmp_path, memory_limit="6")


def test_channel_order_is_first_appearance_as_in_memory(tmp_path):
    model = _awkward_model()
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    ooc = model.replace(store=ParquetStore(tmp_path, "256MB", model.touchpoints))
    first_seen = pd.unique(model.touchpoints["channel"].fillna("(not set)"))
    got = attribution(ooc, models=["linear"]).credits["channel"].tolist()
    assert got[: len(first_seen)] == list(first_seen) and np.all(pd.notna(got))


def test_duplicated_and_missing_contact_keys_match_the_in_memory_engine(tmp_path, spy):
    """Only a key's first contact row is its path (the lookup's ``first``), as in memory."""
    model = _awkward_model()
    c = model.contacts
    dup = c.iloc[[5, 7, 9]].assign(created_date=c["created_date"].iloc[[5, 7, 9]] - pd.Timedelta(days=3))
    gone = c.iloc[[11]].assign(contact_key=None)
    contacts = conform("contacts", pd.concat([c.iloc[:3], dup, gone, c.iloc[3:]], ignore_index=True))
    model = model.replace(contacts=contacts)
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    assert len(prepare(model).lookup.first) < len(contacts)  # the branch that takes first rows
    ooc = model.replace(store=ParquetStore(tmp_path, "256MB", model.touchpoints))
    want, got = attribution(model), attribution(ooc)
    assert spy == ["256MB"]
    pd.testing.assert_frame_equal(got.credits, want.credits, check_exact=True)
    assert got.totals == want.totals and got.markov == want.markov


def test_a_client_opened_from_parquet_with_a_tiny_limit_gets_a_memory_limit_error(tmp_path):
    from kpikit.ingest.cache import open_entry
    from kpikit.samples import synthetic_config, write_synthetic_parquet

    write_synthetic_parquet(tmp_path, 3_000, 30_000, seed=8)
    model = open_entry(tmp_path, synthetic_config(8), "100KB")
    with pytest.raises(MemoryLimitError) as err:
        attribution(model)
    assert "'100KB'" in str(err.value) and "raise memory_limit" in str(err.value)
    assert not model.raw("touchpoints").loaded


def test_key_account_visits_are_counted_by_duckdb_as_in_memory(tmp_path):
    from kpikit.analysis import key_accounts

    model = _awkward_model()
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    ooc = model.replace(store=ParquetStore(tmp_path, "256MB", model.touchpoints))
    want, got = key_accounts(model).to_frame(), key_accounts(ooc).to_frame()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert want.loc[want["group"] != "everyone else", "visits"].iloc[0] > 0  # some visits are key accounts'
    assert want["visits"].sum() == len(model.touchpoints)


def test_a_limit_above_what_the_machine_can_give_is_refused_with_what_fits(tmp_path, monkeypatch):
    import kpikit.ingest.cache as cache

    model = synthetic_model(300, 900, seed=3)
    model.touchpoints.to_parquet(tmp_path / "touchpoints.parquet")
    monkeypatch.setattr(cache, "available_memory", lambda: 5_000_000_000)
    with pytest.raises(MemoryLimitError) as err:
        attribution(model.replace(store=ParquetStore(tmp_path, "8GB", model.touchpoints)))
    said = str(err.value)
    assert "'8GB'" in said and "5.00 GB still available" in said and "--memory-limit 4.0GB" in said
    got = attribution(model.replace(store=ParquetStore(tmp_path, "4GB", model.touchpoints)))  # fits: runs
    pd.testing.assert_frame_equal(got.credits, attribution(model).credits, check_exact=True)
