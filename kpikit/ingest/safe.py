"""Neutralise untrusted text before kpikit writes it to CSV or XLSX.

Campaign names come from clients and platforms: ``=HYPERLINK("http://x","Click")``
is a valid campaign name and a formula when a spreadsheet opens the file. Any
text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return,
which some spreadsheets skip before one) gets a leading apostrophe, the
OWASP-recommended prefix that makes the spreadsheet show it as text. Numbers
are left alone, so ``-12.5`` in a numeric column stays a number.

Examples
--------
>>> import pandas as pd
>>> from kpikit.ingest.safe import neutralise_formulas
>>> df = pd.DataFrame({"campaign": ['=HYPERLINK("http://x")', "Brand", "-5% promo"], "cost": [-1.5, 2.0, 3.0]})
>>> neutralise_formulas(df)["campaign"].tolist()
['\\'=HYPERLINK("http://x")', 'Brand', "'-5% promo"]
>>> neutralise_formulas(df)["cost"].tolist()
[-1.5, 2.0, 3.0]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["neutralise_formulas", "FORMULA_PREFIXES"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells cannot run as spreadsheet formulas."""
    changes = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype == "str" or s.dtype == object:
            text = s.astype("str")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            if risky.any():
                changes[col] = text.where(~risky, "'" + text)
    return frame.assign(**changes) if changes else frame.copy()
