"""The contact lookup of the shared preparation: every touch finds its contact's first row, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import ContactLookup, _PartitionedIndex
from kpikit.privacy import hash_emails


def test_partitioned_index_finds_the_same_rows_as_one_hash_table():
    rng = np.random.default_rng(7)
    keys = np.unique(rng.integers(0, 2**64 - 1, 300_000, dtype=np.uint64))  # 3 bits: 8 buckets
    rows = rng.permutation(len(keys))
    queries = np.concatenate(
        [keys[rng.integers(0, len(keys), 500_000)], rng.integers(0, 2**64 - 1, 1000, dtype=np.uint64)]
    )
    at = pd.Index(keys).get_indexer(queries)
    want = np.where(at >= 0, rows[np.maximum(at, 0)], -1)
    index = _PartitionedIndex(keys, rows)
    assert index.bits == 3
    assert (index.rows_of(queries) == want).all()


def test_lookup_gives_first_rows_and_minus_one_for_strangers():
    contacts = hash_emails(pd.Series([f"p{i}@x.co" for i in range(100_000)] + ["p5@x.co", None]), "salt")
    lookup = ContactLookup(contacts)
    touches = pd.concat([contacts.iloc[[5, 99_999, 100_000, 100_001]], hash_emails(pd.Series(["new@x.co"]), "salt")])
    assert lookup.positions(touches).tolist() == [5, 99_999, 5, -1, -1]


def test_lookup_in_blocks_finds_the_same_rows_and_falls_back_to_text_for_a_late_non_hex_key(monkeypatch):
    import kpikit.analysis._prepare as prep

    contacts = hash_emails(pd.Series([f"p{i}@x.co" for i in range(5_000)] + [None]), "salt")
    rng = np.random.default_rng(3)
    touches = contacts.iloc[rng.integers(0, len(contacts), 20_000)].reset_index(drop=True)
    whole = ContactLookup(contacts).positions(touches)
    monkeypatch.setattr(prep, "_LOOKUP_BLOCK", 1_000)  # 20 blocks
    assert (ContactLookup(contacts).positions(touches) == whole).all()
    assert (whole[touches.isna().to_numpy()] == -1).all() and (whole >= 0).sum() > 19_000
    # A key that is not 16 hex digits in the last block: every key is matched as text instead, same rows.
    odd = pd.concat([touches, pd.Series(["not-a-hashed-key", contacts.iloc[7]], dtype="str")], ignore_index=True)
    assert ContactLookup(contacts).positions(odd).tolist() == [*whole.tolist(), -1, 7]
