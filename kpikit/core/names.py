"""Sentinels, identifiers, control characters and domain normalisation: one definition each.

Examples
--------
>>> is_plain_id("acme-industrial"), is_plain_id("acme\\n"), is_plain_id("../etc")
(True, False, False)
>>> strip_controls("\\x00\\x1b[31m\\x07Brand\\tSearch\\u0085")
'[31mBrand\\tSearch'
>>> import pandas as pd
>>> normalise_domains(pd.Series(["https://www.Acme.com:443/about?x=1", "acme.com", " ", None])).tolist()
['acme.com', 'acme.com', nan, nan]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "NOT_SET",
    "UNATTRIBUTED",
    "NO_TIER",
    "CLIENT_ID_RULE",
    "is_plain_id",
    "is_file_stem",
    "normalise_domains",
    "target_domains",
    "on_uniques",
    "CONTROL_CHARS",
    "strip_controls",
]

#: The engine's label for an empty segment value (campaign, ad group, channel, period...).
NOT_SET = "(not set)"
#: Outcomes no paid platform can claim (organic, untagged).
UNATTRIBUTED = "(unattributed)"
#: A target account listed without a tier.
NO_TIER = "(no tier)"

# Client ids become folder names and URL parts: letters, digits, '-' and '_', at most 64.
# ``fullmatch`` (not ``match`` with ``$``) so "acme\n" is refused, not accepted by the newline rule.
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# File stems (snapshots, charts) may also hold dots, never a separator or a leading dot.
_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,100}")
CLIENT_ID_RULE = "letters, digits, '-' or '_' (at most 64, starting with a letter or digit)"


#: Control characters removed from every text kpikit shows: C0 (except tab and newline), DEL and C1.
#: A NUL or an ESC in a campaign name makes vl-convert abort (the kernel dies) and an SVG invalid XML;
#: a BEL or a C1 code is invisible in a table but not to a terminal. Removed in the loader's text scrub
#: (:mod:`kpikit.ingest.scrub`) and in a config's free text (:mod:`kpikit.config`).
CONTROL_CHARS = frozenset(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n")
_CONTROL_TABLE = dict.fromkeys(map(ord, CONTROL_CHARS))


def strip_controls(text: str) -> str:
    """``text`` without :data:`CONTROL_CHARS` (the same object when it holds none)."""
    if text.isprintable() or not any(ch in CONTROL_CHARS for ch in text):
        return text
    return text.translate(_CONTROL_TABLE)


def is_plain_id(value: object) -> bool:
    """Whether ``value`` is a client id: safe as a folder name, a URL part and a kernel name."""
    return isinstance(value, str) and _PLAIN_ID.fullmatch(value) is not None


def is_file_stem(value: object) -> bool:
    """Whether ``value`` is a plain file stem (no separator, no ``..`` prefix, no newline)."""
    return isinstance(value, str) and _FILE_STEM.fullmatch(value) is not None and ".." not in value


def on_uniques(values: pd.Series, fn) -> pd.Series:
    """Apply a text transform ``fn`` (Series -> Series) to the distinct values only, then spread back.

    A million rows with a few hundred distinct names cost a few hundred regex calls (Arrow take, no loop).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    out = fn(pd.Series(uniques, dtype="str"))
    arr = pd.array(out, dtype="str")
    return pd.Series(arr.take(codes, allow_fill=True), index=values.index)


def _domain_unique(u: pd.Series) -> pd.Series:
    s = u.str.strip().str.lower()
    # Most values are bare domains already: run the regexes only on those that need them.
    needs = s.str.contains(r"[/:?#@]|^www\.", regex=True).fillna(False).astype(bool)
    if needs.any():
        t = s[needs].str.replace(r"^[a-z][a-z0-9+.-]*://", "", regex=True)
        t = t.str.replace(r"^[^/@]*@", "", regex=True).str.replace(r"^www\.", "", regex=True)
        s = s.copy()
        s[needs] = t.str.replace(r"[/:?#].*$", "", regex=True)
    s = s.str.rstrip(".")
    return s.where(s != "")


def normalise_domains(domains: pd.Series) -> pd.Series:
    """Lower-case web domains without scheme, user, ``www.``, port, path, query or trailing dot.

    The one rule key-account matching compares on, applied by the loader and the engine alike.
    """
    return on_uniques(domains, _domain_unique)


def target_domains(domains: pd.Series, targets) -> pd.Series:
    """``normalise_domains(domains)`` where it is one of ``targets`` (normalised domains), else missing.

    Only the rows whose lower-cased text contains a target are normalised: a normalised
    domain is a piece of the lower-cased cell (Arrow lower-cases character by character),
    so no other row can match. A million contacts with a few hundred thousand distinct
    company domains and a few dozen key accounts then cost one lower-case and one
    substring scan instead of hashing every distinct domain.

    Examples
    --------
    >>> target_domains(pd.Series(["https://www.Acme.com/x", "acme.co", "beta.io", None]), {"acme.com"}).tolist()
    ['acme.com', nan, nan, nan]
    """

    def among_targets(u: pd.Series) -> pd.Series:
        dom = normalise_domains(u)
        return dom.where(dom.isin(targets))

    found = pd.Series(np.nan, index=domains.index, dtype="str")
    literals = sorted(t for t in targets if isinstance(t, str) and t)
    if not literals or not len(domains):
        return found
    if any("\\E" in t for t in literals):  # cannot be quoted as an RE2 literal: look at every row
        return on_uniques(domains, among_targets)
    arr = pa.array(pd.array(domains, dtype="str"))
    try:
        hit = pc.match_substring_regex(pc.utf8_lower(arr), "|".join(f"\\Q{t}\\E" for t in literals))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. too many targets for one RE2 pattern
        return on_uniques(domains, among_targets)
    rows = np.flatnonzero(hit.fill_null(False).to_numpy(zero_copy_only=False))
    if len(rows):
        found.iloc[rows] = on_uniques(domains.iloc[rows], among_targets).to_numpy()
    return found
