"""Stage 5 of a load, before conform: control characters are removed from free text, and emails
and phone numbers written into it are replaced.

Unmapped columns (names, phones, notes) never leave a file, and the email becomes a
keyed hash. But personal data also hides in the text that does leave: campaign and
ad-group names ("Retarget - carol.white@example.com list"), UTM values, deal and
company names. :func:`scrub_frame` scans every text column that reaches the model
and guarantees:

- every control character (:data:`kpikit.core.names.CONTROL_CHARS`: NUL, ESC, BEL and the
  rest of C0 and C1 except tab and newline) is removed, so no chart, table or page gets one
  (a NUL makes vl-convert abort and the kernel die; an SVG holding one is not XML);
- every email becomes ``[email]`` and every phone number ``[phone]``
  (:func:`kpikit.privacy.scrub_found`: international formats, ``tel:`` and
  ``mailto:`` links, ``%40``, IDN domains, full-width and other NFKC look-alikes),
  while dates, amounts, percentages, ids and version strings stay as they are;
- a value without a hit is unchanged, byte for byte (so the sample clients'
  metrics do not move);
- the load report counts, per column, the distinct values that held an email, a
  phone number (``emails``, ``phones``) or control characters (``controls``, only
  when there were some) and the rows changed (:attr:`FileReport.scrubbed
  <kpikit.ingest.report.FileReport>`).

Not scanned: ``contact_key`` (the hash kpikit made), ``source_file`` (the name the
consultant gave the file) and the company and account domains (normalised web
domains: what kpikit keeps of an email by design, and the key-account join key).

Speed: control characters are found with one comparison per byte of the column's Arrow
buffer (:func:`control_rows`). The prefilter :func:`kpikit.privacy.may_hold_personal` reads each column's
Arrow buffer with numpy (a few passes, no Python loop); only its candidate rows are
factorised (:func:`kpikit.core.names.on_uniques`) and only their distinct values go
through the patterns. A column without a candidate costs the prefilter alone.

Examples
--------
>>> import pandas as pd
>>> from kpikit.ingest.report import FileReport
>>> frame = pd.DataFrame({"campaign": ["Retarget - ana@x.io list", "Brand", "Retarget - ana@x.io list"],
...                       "ad_group": ["Call +1 (555) 010-4477", "Q1 2026 - 30d", None]}, dtype="str")
>>> report = FileReport(path="ads.csv", source="google_ads", table="spend")
>>> scrub_frame("spend", frame, report)["campaign"].tolist()
['Retarget - [email] list', 'Brand', 'Retarget - [email] list']
>>> report.scrubbed
{'campaign': {'emails': 1, 'phones': 0, 'rows': 2}, 'ad_group': {'emails': 0, 'phones': 1, 'rows': 1}}
>>> scrub_frame("spend", pd.DataFrame({"campaign": ["\\x00\\x1b[31m\\x07Brand", "Brand"]}, dtype="str"),
...             report)["campaign"].tolist()
['[31mBrand', 'Brand']
>>> report.scrubbed["campaign"]
{'emails': 0, 'phones': 0, 'rows': 1, 'controls': 1}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit._arrowtext import as_arrow, offsets
from kpikit.core.names import on_uniques, strip_controls
from kpikit.ingest.report import FileReport
from kpikit.model import DIMENSION_PREFIX, TABLES
from kpikit.privacy import may_hold_personal, scrub_found

__all__ = ["scrub_frame", "scrub_column", "text_columns", "control_rows"]

# Text that is not free text: a hash kpikit made, the file's own name, normalised domains.
NOT_SCANNED = frozenset({"contact_key", "source_file", "company_domain", "account_domain"})


def text_columns(table: str, frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that reach the ``table`` model as free text (``str`` and ``dim_*``).

    Examples
    --------
    >>> text_columns("spend", pd.DataFrame(columns=["date", "campaign", "cost", "dim_age", "_helper", "source_file"]))
    ['campaign', 'dim_age']
    """
    dtypes = TABLES[table].dtypes
    return [
        c
        for c in frame.columns
        if isinstance(c, str)
        and c not in NOT_SCANNED
        and (dtypes.get(c) == "str" or c.startswith(DIMENSION_PREFIX))
        and not c.startswith("_")
    ]


def control_rows(values) -> np.ndarray:
    """Rows of a text column holding a control character (:data:`~kpikit.core.names.CONTROL_CHARS`).

    One pass over the UTF-8 bytes: a byte below 0x20 other than tab and newline, DEL
    (0x7F), or a C1 character (0xC2 followed by 0x80-0x9F). Exact, not a prefilter.

    Examples
    --------
    >>> control_rows(pd.Series(["Brand", "a\\x00b", None, "tab\\tok", "c1\\u0085", "café"])).tolist()
    [False, True, False, False, True, False]
    """
    arr = as_arrow(values)
    out = np.zeros(len(arr), dtype=bool)
    pos = 0
    for chunk in arr.chunks:
        data = chunk.buffers()[2] if len(chunk) > chunk.null_count else None
        if data is not None:
            bounds = offsets(chunk)
            raw = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]]
            bad = ((raw < 0x20) & (raw != 0x09) & (raw != 0x0A)) | (raw == 0x7F)
            lead = np.flatnonzero(raw[:-1] == 0xC2)
            bad[lead[(raw[lead + 1] >= 0x80) & (raw[lead + 1] <= 0x9F)]] = True
            at = np.flatnonzero(bad)
            if len(at):
                out[pos + np.searchsorted(bounds - bounds[0], at, side="right") - 1] = True
        pos += len(chunk)
    return out


def _strip_column(values: pd.Series) -> tuple[pd.Series, np.ndarray, int]:
    """``values`` without control characters, the rows changed, and the distinct values that held one."""
    rows = control_rows(values)
    if not rows.any():
        return values, rows, 0
    subset = values[rows]
    out = values.copy()
    # A value that was nothing but control characters is empty: missing, like a blank cell.
    out.iloc[np.flatnonzero(rows)] = on_uniques(subset, lambda u: u.map(lambda t: strip_controls(t) or None)).to_numpy()
    return out, rows, int(subset.nunique())


def scrub_column(values: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """``values`` without control characters, with emails and phone numbers replaced, and the counts.

    The counts (empty: nothing found) are distinct values that held an email (``emails``)
    or a phone number (``phones``), the rows that changed (``rows``) and, when there were
    some, the distinct values that held control characters (``controls``). Control
    characters go first, so ``ana@ex\\x00ample.com`` is still found as an email.

    Examples
    --------
    >>> out, counts = scrub_column(pd.Series(["a@b.io", "Brand", "a@b.io"], dtype="str"))
    >>> out.tolist(), counts
    (['[email]', 'Brand', '[email]'], {'emails': 1, 'phones': 0, 'rows': 2})
    >>> scrub_column(pd.Series(["Brand", "Lookalike 1%"], dtype="str"))[1]
    {}
    >>> out, counts = scrub_column(pd.Series(["ana@ex\\x00ample.com", "\\x07Brand", "Brand"], dtype="str"))
    >>> out.tolist(), counts
    (['[email]', 'Brand', 'Brand'], {'emails': 1, 'phones': 0, 'rows': 2, 'controls': 2})
    """
    values, stripped, controls = _strip_column(values)
    out, counts, replaced = _scrub_personal(values)
    if controls:
        changed = stripped if replaced is None else stripped | replaced
        counts = {"emails": counts.get("emails", 0), "phones": counts.get("phones", 0), "rows": int(changed.sum())}
        counts["controls"] = controls
    return out, counts


def _scrub_personal(values: pd.Series) -> tuple[pd.Series, dict[str, int], np.ndarray | None]:
    """Emails and phone numbers replaced: the values, the counts, and the rows changed (None: none)."""
    candidates = may_hold_personal(values)
    if not candidates.any():
        return values, {}, None
    hits: dict[str, tuple[int, int]] = {}

    def scrub_distinct(uniques: pd.Series) -> pd.Series:
        out = []
        for text in uniques:
            new, emails, phones = scrub_found(text)
            if emails or phones:
                hits[text] = (emails, phones)
            out.append(new)
        return pd.Series(out, index=uniques.index, dtype="str")

    subset = values[candidates]
    scrubbed = on_uniques(subset, scrub_distinct)
    if not hits:
        return values, {}, None
    changed = subset.isin(list(hits)).to_numpy(dtype=bool)
    out = values.copy()
    out.iloc[np.flatnonzero(candidates)[changed]] = scrubbed[changed].to_numpy()
    mask = np.zeros(len(values), dtype=bool)
    mask[np.flatnonzero(candidates)[changed]] = True
    counts = {
        "emails": sum(1 for e, _ in hits.values() if e),
        "phones": sum(1 for _, p in hits.values() if p),
        "rows": int(changed.sum()),
    }
    return out, counts, mask


def scrub_frame(table: str, frame: pd.DataFrame, report: FileReport | None = None) -> pd.DataFrame:
    """``frame`` with control characters and personal data in its text columns removed; counts go to ``report.scrubbed``.

    Columns without a hit are the same objects as before (nothing is copied).
    """
    replaced = {}
    for column in text_columns(table, frame):
        out, counts = scrub_column(frame[column])
        if counts:
            replaced[column] = out
            if report is not None:
                report.scrubbed[column] = counts
    return frame.assign(**replaced) if replaced else frame
