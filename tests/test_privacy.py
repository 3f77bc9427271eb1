from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from kpikit.privacy import email_domains, hash_emails


def test_keys_are_stable_normalised_and_salted():
    s = pd.Series(["A@x.com", " a@X.com", "b@x.com", None, ""])
    k = hash_emails(s, "salt")
    assert k[0] == k[1] != k[2]
    assert k[3] is np.nan or pd.isna(k[3])
    assert pd.isna(k[4])
    assert hash_emails(s, "pepper")[0] != k[0]
    assert k.str.fullmatch(r"[0-9a-f]{16}").sum() == 3


def test_keys_do_not_contain_or_equal_plain_hashes():
    email = "ana.lopez@example.com"
    key = hash_emails(pd.Series([email]), "salt")[0]
    plain = {hashlib.sha256(email.encode()).hexdigest()[:16], hashlib.md5(email.encode()).hexdigest()[:16]}
    assert key not in plain and "ana" not in key


def test_hex_encoding_matches_the_integer_hash():
    s = pd.Series(["a@b.co", "c@d.co"])
    from kpikit.privacy import salt_key

    ints = pd.util.hash_pandas_object(s, index=False, hash_key=salt_key("k"), categorize=True)
    assert hash_emails(s, "k").tolist() == [f"{int(v):016x}" for v in ints]


def test_collision_free_on_many_distinct_emails():
    s = pd.Series([f"user{i}@company{i % 97}.com" for i in range(200_000)])
    assert hash_emails(s, "salt").nunique() == len(s)


def test_domains():
    s = pd.Series(["x@Sub.Example.com", "no-at-sign", "a@b@c.org", None, "trailing@"], index=[5, 6, 7, 8, 9])
    out = email_domains(s)
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert out.iloc[0] == "sub.example.com"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == "c.org"
    assert pd.isna(out.iloc[3]) and pd.isna(out.iloc[4])


def test_index_is_kept_and_hash_is_positionally_right():
    s = pd.Series(["a@x.com", "b@y.com"], index=[10, 3])
    k = hash_emails(s, "salt")
    assert k.index.tolist() == [10, 3]
    assert k[10] == hash_emails(pd.Series(["a@x.com"]), "salt")[0]


def test_chunks_give_the_same_keys(monkeypatch):
    import kpikit.privacy as privacy

    s = pd.Series([f"u{i}@d{i % 7}.com" for i in range(1000)] + [None, ""])
    whole = hash_emails(s, "salt")
    monkeypatch.setattr(privacy, "_CHUNK", 64)
    assert hash_emails(s, "salt").equals(whole)


def test_domain_edge_cases():
    emails = pd.Series(
        [" Ana@Example.COM ", "a@b@c.org", "no-at-sign", "trailing@", None, "", "x@sub.Domain.co.uk", "ü@bücher.de"]
    )
    out = email_domains(emails)
    assert out.tolist()[:2] == ["example.com", "c.org"]
    assert out.iloc[2:6].isna().all()
    assert out.tolist()[6:] == ["sub.domain.co.uk", "bücher.de"]
