"""Stage 5 of a load, before conform: emails and phone numbers written into free text are replaced.

Unmapped columns (names, phones, notes) never leave a file, and the email becomes a
keyed hash. But personal data also hides in the text that does leave: campaign and
ad-group names ("Retarget - carol.white@example.com list"), UTM values, deal and
company names. :func:`scrub_frame` scans every text column that reaches the model
and guarantees:

- every email becomes ``[email]`` and every phone number ``[phone]``
  (:func:`kpikit.privacy.scrub_found`: international formats, ``tel:`` and
  ``mailto:`` links, ``%40``, IDN domains, full-width and other NFKC look-alikes),
  while dates, amounts, percentages, ids and version strings stay as they are;
- a value without a hit is unchanged, byte for byte (so the sample clients'
  metrics do not move);
- the load report counts, per column, the distinct values that held an email or
  a phone number and the rows they were on (:attr:`FileReport.scrubbed
  <kpikit.ingest.report.FileReport>`).

Not scanned: ``contact_key`` (the hash kpikit made), ``source_file`` (the name the
consultant gave the file) and the company and account domains (normalised web
domains: what kpikit keeps of an email by design, and the key-account join key).

Speed: the prefilter :func:`kpikit.privacy.may_hold_personal` reads each column's
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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.core.names import on_uniques
from kpikit.ingest.report import FileReport
from kpikit.model import DIMENSION_PREFIX, TABLES
from kpikit.privacy import may_hold_personal, scrub_found

__all__ = ["scrub_frame", "scrub_column", "text_columns"]

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


def scrub_column(values: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """``values`` with emails and phone numbers replaced, and the counts (empty: nothing found).

    The counts are distinct values that held an email (``emails``) or a phone number
    (``phones``), and the rows that changed (``rows``).

    Examples
    --------
    >>> out, counts = scrub_column(pd.Series(["a@b.io", "Brand", "a@b.io"], dtype="str"))
    >>> out.tolist(), counts
    (['[email]', 'Brand', '[email]'], {'emails': 1, 'phones': 0, 'rows': 2})
    >>> scrub_column(pd.Series(["Brand", "Lookalike 1%"], dtype="str"))[1]
    {}
    """
    candidates = may_hold_personal(values)
    if not candidates.any():
        return values, {}
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
        return values, {}
    changed = subset.isin(list(hits)).to_numpy(dtype=bool)
    out = values.copy()
    out.iloc[np.flatnonzero(candidates)[changed]] = scrubbed[changed].to_numpy()
    counts = {
        "emails": sum(1 for e, _ in hits.values() if e),
        "phones": sum(1 for _, p in hits.values() if p),
        "rows": int(changed.sum()),
    }
    return out, counts


def scrub_frame(table: str, frame: pd.DataFrame, report: FileReport | None = None) -> pd.DataFrame:
    """``frame`` with personal data in its text columns replaced; counts go to ``report.scrubbed``.

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
