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


def test_keys_are_sipHash_of_the_normalised_email():
    # independent reference: pandas' SipHash on Python str objects, one email at a time
    from kpikit.privacy import salt_key

    emails = ["a@b.co", " C@D.co\t", "Ü@Bücher.de", "x" * 300 + "@long.example"]
    expected = []
    for e in emails:
        ref = pd.util.hash_array(np.array([e.strip().lower()], dtype=object), hash_key=salt_key("k"))
        expected.append(f"{int(ref[0]):016x}")
    assert hash_emails(pd.Series(emails), "k").tolist() == expected


def test_key_ints_round_trip_the_hex_keys():
    from kpikit.privacy import key_ints

    keys = hash_emails(pd.Series(["a@b.co", None, "c@d.co"]), "k")
    ints, valid = key_ints(keys)
    assert valid.tolist() == [True, False, True]
    assert [f"{int(v):016x}" for v in ints[valid]] == keys.dropna().tolist()
    assert key_ints(pd.Series(["not-hex-at-all!!", "00000000000000ff"])) is None
    # Keys are read in blocks: a bad key far past the first block is still found, and every block is exact.
    many = pd.Series([f"{i:016x}" for i in range(200_000)])
    assert key_ints(many)[0].tolist() == list(range(200_000))
    assert key_ints(pd.concat([many, pd.Series(["zzzzzzzzzzzzzzzz"])], ignore_index=True)) is None
    # The lengths are checked in blocks too: a short key, or an empty text where a key is missing, past the first.
    assert key_ints(pd.concat([many, pd.Series(["00ff"])], ignore_index=True)) is None
    assert key_ints(pd.concat([many, pd.Series([""])], ignore_index=True)) is None
    ints, valid = key_ints(pd.concat([many, pd.Series([None, "00000000000000ff"], dtype="str")], ignore_index=True))
    assert (
        valid[-2:].tolist() == [False, True]
        and int(ints[-1]) == 255
        and ints[:200_000].tolist() == list(range(200_000))
    )


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


def test_chunked_arrow_input_gives_the_same_keys_and_domains():
    import pyarrow as pa

    from kpikit.privacy import pseudonymise

    values = [f"u{i}@d{i % 7}.com" for i in range(1000)] + [None, ""]
    whole = pseudonymise(pd.Series(values), "salt")
    whole_keys, whole_domains = whole.keys, whole.domains
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([values[:10], values[10:500], values[500:]])))
    part = pseudonymise(chunked, "salt")
    keys, domains = part.keys, part.domains
    assert keys.equals(whole_keys) and domains.equals(whole_domains)
    assert keys.equals(hash_emails(pd.Series(values), "salt"))


def test_domain_edge_cases():
    emails = pd.Series(
        [" Ana@Example.COM ", "a@b@c.org", "no-at-sign", "trailing@", None, "", "x@sub.Domain.co.uk", "ü@bücher.de"]
    )
    out = email_domains(emails)
    assert out.tolist()[:2] == ["example.com", "c.org"]
    assert out.iloc[2:6].isna().all()
    assert out.tolist()[6:] == ["sub.domain.co.uk", "bücher.de"]


def test_contact_keys_say_whether_they_are_distinct():
    from kpikit.privacy import contact_keys, pseudonymise

    values = [f" User{i}@Dom{i % 13}.example " for i in range(20_000)] + ["ü@bücher.de", None, "", "no-at"]
    keys = contact_keys(pd.Series(values), "salt")
    assert keys.distinct is True
    assert keys.keys.equals(hash_emails(pd.Series(values), "salt"))
    assert keys.keys.equals(pseudonymise(pd.Series(values), "salt").keys)
    # the same person written differently, and two missing emails, are not distinct keys
    assert contact_keys(pd.Series(values + ["USER7@dom7.example"]), "salt").distinct is False
    assert contact_keys(pd.Series(["a@x.org", None, None]), "salt").distinct is True


def test_keys_are_sipHash_past_the_hashing_slices():
    # the hash runs in slices of rows: check rows on both sides of a slice boundary
    from kpikit.privacy import _SLICE, salt_key

    emails = [f"u{i}@x.org" for i in range(_SLICE + 3)]
    keys = hash_emails(pd.Series(emails), "k")
    for i in (0, _SLICE - 1, _SLICE, _SLICE + 2):
        ref = pd.util.hash_array(np.array([emails[i]], dtype=object), hash_key=salt_key("k"))
        assert keys[i] == f"{int(ref[0]):016x}"


def test_normalised_once_gives_the_same_keys_and_domains_and_take_keeps_rows():
    from kpikit.privacy import contact_keys, email_domains, normalise_emails

    values = pd.Series(["  A@X.org", "b@y.org", None, "a@x.org", "c@Z.org "])
    norm = normalise_emails(values)
    assert contact_keys(norm, "s").keys.equals(contact_keys(values, "s").keys)
    assert email_domains(norm).equals(email_domains(values))
    keys = contact_keys(values, "s")
    assert keys.distinct is False  # rows 0 and 3 are one person
    kept = keys.take(np.array([False, True, True, True, True]))
    assert kept.keys.tolist()[0] == keys.keys[1] and kept.keys.index.tolist() == [0, 1, 2, 3]
    assert kept.distinct is True and kept.valid.tolist() == [True, False, True, True]
