"""The parsed-exports cache: unchanged exports are read back from Parquet, identical to a fresh load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kpikit.ingest.client as client_mod
from kpikit.analysis.metrics import metrics
from kpikit.ingest import load_client
from kpikit.ingest.cache import cache_key

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"


def _json(model) -> str:
    return json.dumps(metrics(model), sort_keys=True, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("client", ["lumora", "harbourline", "ironbridge"])
def test_a_cached_model_is_the_loaded_model_and_gives_byte_identical_metrics(client, tmp_path, monkeypatch):
    config = SAMPLES / client / "client.yaml"
    fresh = load_client(config, cache_dir=tmp_path)
    (entry,) = [p for p in tmp_path.iterdir()]

    def no_parsing(_config):
        raise AssertionError("the exports were parsed again")

    monkeypatch.setattr(client_mod, "_load", no_parsing)
    cached = load_client(config, cache_dir=tmp_path)
    for name, frame in fresh.tables().items():
        other = getattr(cached, name)
        pd.testing.assert_frame_equal(frame, other, check_exact=True)
        assert type(frame.index) is type(other.index) and frame.attrs == other.attrs, name
    assert cached.load_report.to_dict() == fresh.load_report.to_dict()
    assert _json(cached) == _json(fresh)
    assert entry.name == cache_key(fresh.config)


def _copy_client(tmp_path: Path) -> Path:
    dst = tmp_path / "harbourline"
    shutil.copytree(SAMPLES / "harbourline", dst)
    return dst / "client.yaml"


def test_a_changed_export_or_salt_is_a_new_key_and_the_old_entry_goes(tmp_path, monkeypatch):
    config = _copy_client(tmp_path)
    cache = tmp_path / "cache"
    first = load_client(config, cache_dir=cache)
    key = cache_key(first.config)
    monkeypatch.setenv("KPIKIT_SALT", "another-salt")
    assert cache_key(first.config) != key
    monkeypatch.delenv("KPIKIT_SALT")
    export = next(p for p in (config.parent / "exports").iterdir() if p.suffix == ".csv")
    export.write_bytes(export.read_bytes() + b"\n")  # one more blank line: same rows, other bytes
    second = load_client(config, cache_dir=cache)
    assert cache_key(second.config) != key
    assert [p.name for p in cache.iterdir()] == [cache_key(second.config)]


def test_a_damaged_entry_is_a_miss_not_an_error(tmp_path):
    config = SAMPLES / "ironbridge" / "client.yaml"
    fresh = load_client(config, cache_dir=tmp_path)
    entry = tmp_path / cache_key(fresh.config)
    (entry / "contacts.parquet").write_bytes(b"not parquet")
    again = load_client(config, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again.contacts, fresh.contacts)
    assert pd.read_parquet(entry / "contacts.parquet").shape == fresh.contacts.shape  # rewritten


class _Planted:
    """A pickle that would run a shell command when loaded by a plain ``pickle.load``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_planted_load_report_runs_nothing_and_is_a_miss(tmp_path):
    import pickle

    config = SAMPLES / "ironbridge" / "client.yaml"
    fresh = load_client(config, cache_dir=tmp_path)
    entry = tmp_path / cache_key(fresh.config)
    marker = tmp_path / "the-planted-command-ran"
    (entry / "load_report.pickle").write_bytes(pickle.dumps(_Planted(marker)))
    again = load_client(config, cache_dir=tmp_path)
    assert not marker.exists()
    assert again.load_report.to_dict() == fresh.load_report.to_dict()  # read from the exports again


@pytest.mark.slow
def test_the_batch_keeps_its_cache_beside_the_client_folders_not_in_them():
    from _report_batch import SAMPLE_CLIENTS, sample_batch

    from kpikit.report.runner import CACHE_FOLDER

    out = sample_batch()
    for client in SAMPLE_CLIENTS:
        entries = list((out / CACHE_FOLDER / client).iterdir())
        assert len(entries) == 1 and (entries[0] / "contacts.parquet").is_file(), client
        # what a consultant zips and sends holds no parsed exports
        assert not list((out / client).rglob("*.parquet")) and not list((out / client).rglob("*.pickle")), client


# -- the out-of-core model: tables through memory-mapped Arrow, touchpoints left in Parquet ---


def _entry(tmp_path):
    from kpikit.samples import synthetic_config, write_synthetic_parquet

    write_synthetic_parquet(tmp_path, 3_000, 9_000, seed=5)
    return tmp_path, synthetic_config(5)


def test_read_mapped_is_read_parquet_and_writes_its_arrow_copy_once(tmp_path):
    from kpikit.ingest.cache import read_mapped
    from kpikit.samples import sample_model

    frame = sample_model("lumora").contacts
    frame.attrs = {"note": "kept"}
    path = tmp_path / "contacts.parquet"
    frame.to_parquet(path)
    got = read_mapped(path)
    want = pd.read_parquet(path)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes) and got.attrs == want.attrs == {"note": "kept"}
    mapped = path.with_suffix(".arrow")
    stamp = mapped.stat().st_mtime_ns
    pd.testing.assert_frame_equal(read_mapped(path), want, check_exact=True)
    assert mapped.stat().st_mtime_ns == stamp  # not written again


def test_empty_text_columns_share_one_buffer_and_keep_dtype_and_values(tmp_path):
    from kpikit.ingest.cache import _lean

    frame = pd.DataFrame({"a": pd.Series([None] * 5, dtype="str"), "b": pd.Series([None] * 5, dtype="str")})
    frame["c"] = pd.Series(["x", None, "y", None, "z"], dtype="str")
    frame["d"] = pd.Series([None] * 5, dtype="Int64")
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    read = pd.read_parquet(path)
    lean = _lean(read)
    pd.testing.assert_frame_equal(lean, read, check_exact=True)

    def offsets(col):
        return lean[col].array._pa_array.chunks[0].buffers()[1].address

    assert offsets("a") == offsets("b")
    copy = lean.copy()
    lean.loc[1, "a"] = "written"  # Arrow arrays are immutable: the other column is untouched
    assert lean["b"].isna().all() and copy["a"].isna().all() and lean.loc[1, "a"] == "written"


def test_open_entry_leaves_touchpoints_in_parquet_for_funnel_costs_attribution_and_cube(tmp_path):
    from kpikit.analysis import attribution, cost_per_outcome, funnel
    from kpikit.explore.precompute import _build
    from kpikit.ingest.cache import open_entry
    from kpikit.model import ParquetTable

    folder, config = _entry(tmp_path)
    model = open_entry(folder, config, "256MB")
    held = model.raw("touchpoints")
    assert isinstance(held, ParquetTable) and model.store.serves(model) and model.store.memory_limit == "256MB"
    funnel(model, by="campaign")
    cost_per_outcome(model, by="campaign")
    got = attribution(model, models=["linear", "markov"])
    cube = _build(model)
    assert not held.loaded, "an analysis the out-of-core engine serves read the touchpoints"
    assert cube.touchpoints == 9_000
    # The same results as the same client in memory.
    mem = open_entry(folder, config, "256MB").replace(store=None)
    want = attribution(mem, models=["linear", "markov"])
    assert mem.raw("touchpoints").loaded  # in memory: read on use
    pd.testing.assert_frame_equal(got.credits, want.credits, check_exact=True)
    assert got.totals == want.totals


def test_load_client_with_a_memory_limit_leaves_touchpoints_on_disk_hit_or_miss(tmp_path):
    from kpikit.model import ParquetTable

    config = SAMPLES / "lumora" / "client.yaml"
    in_memory = load_client(config)
    for _ in ("miss", "hit"):
        model = load_client(config, cache_dir=tmp_path, memory_limit="512MB")
        held = model.raw("touchpoints")
        assert isinstance(held, ParquetTable) and not held.loaded and model.store.serves(model)
        assert model.count("touchpoints") == len(in_memory.touchpoints)
        for name, frame in in_memory.tables().items():
            pd.testing.assert_frame_equal(getattr(model, name), frame, check_exact=True)


def test_memory_bytes_reads_units_as_duckdb_and_available_memory_is_at_most_the_machine():
    from kpikit.errors import KpikitError
    from kpikit.ingest.cache import available_memory, memory_bytes

    assert memory_bytes("512MB") == 512_000_000 and memory_bytes("2GiB") == 2 * 2**30
    with pytest.raises(KpikitError, match="needs a unit"):
        memory_bytes("2")
    room = available_memory()
    if Path("/proc/meminfo").is_file():
        total = next(int(x.split()[1]) * 1024 for x in open("/proc/meminfo") if x.startswith("MemTotal:"))
        assert room is not None and 0 < room <= total
