"""How kpikit prints a number, and the one escaped HTML table builder.

One rule per kind, used by the CLI, the report, the index, the workshop and the training:

===========  ======================================  ===================================
kind         rule                                    examples
===========  ======================================  ===================================
count        thousands separators, no decimals       ``1,234,567``
money        currency code first, two decimals       ``EUR 1,234.50``
rate         precision follows size (below)          ``45.3%``, ``2.64%``, ``0.042%``
ratio        one decimal and a times sign            ``2.2×``
number       one decimal                             ``12.5``
days         whole days                              ``38 days``
coefficient  signed, two decimals (tau, r)           ``+0.49``
===========  ======================================  ===================================

Rates: one decimal from 10%, two decimals from 0.1% to 10%, two significant digits
below 0.1% (never ``0.0%`` for a rate above zero, never e-notation), and never
``100.0%`` for a share short of one. A figure thus prints the same wherever it appears.
Missing values (None, NaN, NA, inf) print as ``–`` unless the caller names the gap.

Examples
--------
>>> fmt(0.04567, "rate"), fmt(1234567.0, "count"), fmt(1234.5, "money", "EUR"), fmt(float("nan"), "rate")
('4.57%', '1,234,567', 'EUR 1,234.50', '–')
>>> [fmt(v, "rate") for v in (0.5, 0.0119, 0.0077, 0.000417, 0.0000012, 0.0, 0.99995)]
['50.0%', '1.19%', '0.77%', '0.042%', '0.00012%', '0.0%', '99.995%']
>>> fmt(0.12, "rate", signed=True), fmt(2.25, "ratio"), fmt(None, "money", "EUR", missing="not measured")
('+12.0%', '2.2×', 'not measured')
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kpikit.core.measures import kind_of

__all__ = ["fmt", "fmt_cell", "is_missing", "html_table", "MISSING"]

MISSING = "–"


def is_missing(value: Any) -> bool:
    """None, NA, NaT, NaN and ±inf: values no figure can be printed for."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return False


def _rate(value: float, signed: bool) -> str:
    pct = value * 100.0
    a = abs(pct)
    if a == 0:
        decimals = 1
    elif a >= 10:
        decimals = 1
    elif a >= 0.1:
        decimals = 2
    else:  # two significant digits
        decimals = 1 - math.floor(math.log10(a))
    sign = "+" if signed else ""
    text = f"{pct:{sign}.{decimals}f}"
    # A share just short of 100% (or just above 0) must not round onto the boundary.
    while decimals < 6 and ((abs(value) < 1 and text.lstrip("+-").startswith("100")) or float(text) == 0 != a):
        decimals += 1
        text = f"{pct:{sign}.{decimals}f}"
    return text + "%"


def _money(value: float, currency: str, signed: bool) -> str:
    body = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{currency} {body}".strip() if currency else f"{sign}{body}"


_KINDS: dict[str, Callable[[float, str, bool], str]] = {
    "count": lambda v, c, s: f"{v:{'+' if s else ''},.0f}",
    "money": _money,
    "rate": lambda v, c, s: _rate(v, s),
    "ratio": lambda v, c, s: f"{v:{'+' if s else ''},.1f}×",
    "number": lambda v, c, s: f"{v:{'+' if s else ''},.1f}",
    "days": lambda v, c, s: f"{v:,.0f} day" + ("" if round(v) == 1 else "s"),
    "coefficient": lambda v, c, s: f"{v:+.2f}",
}


def fmt(value: Any, kind: str, currency: str = "", *, signed: bool = False, missing: str = MISSING) -> str:
    """Format one figure by its kind (``count``, ``money``, ``rate``, ``ratio``, ``number``, ``days``).

    Parameters
    ----------
    value
        The figure; missing values print as ``missing``.
    kind
        One of :data:`kpikit.core.measures.KINDS`.
    currency
        ISO code printed before money.
    signed
        Print a ``+`` before positive values (changes).
    missing
        Text for a figure that cannot be printed (default an en dash).
    """
    if is_missing(value):
        return missing
    try:
        render = _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown number kind {kind!r}; allowed kinds are {sorted(_KINDS)}") from None
    return render(float(value), currency, signed)


def fmt_cell(value: Any, column: str = "", currency: str = "", *, kind: str | None = None) -> str:
    """Format a table cell: numbers by the column's measure kind, dates as ISO days, text as is.

    Examples
    --------
    >>> fmt_cell(0.0123, "ctr"), fmt_cell(1234.5, "cost_per_lead"), fmt_cell(7, "lead"), fmt_cell("x", "campaign")
    ('1.23%', '1,234.50', '7', 'x')
    """
    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | np.integer):
        return fmt(value, kind or "count")
    if isinstance(value, float | np.floating):
        k = kind or kind_of(column, float(value))
        if k is not None:
            return fmt(value, k, currency)
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def html_table(
    frame: pd.DataFrame,
    *,
    max_rows: int = 60,
    headers: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    currency: str = "",
    cls: str = "kpikit-table",
) -> str:
    """Render ``frame`` as an HTML table; every header and cell is escaped (names are untrusted).

    ``headers`` renames columns for display, ``kinds`` overrides a column's number kind.

    Examples
    --------
    >>> import pandas as pd
    >>> print(html_table(pd.DataFrame({"campaign": ["<b>x</b>"], "ctr": [0.0123]})))
    <table class="kpikit-table"><thead><tr><th>campaign</th><th>ctr</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td><td>1.23%</td></tr></tbody></table>
    """
    cols = [str(c) for c in frame.columns]
    headers = headers or {}
    kinds = kinds or {}
    head = "".join(f"<th>{html.escape(headers.get(c, c))}</th>" for c in cols)
    body = []
    for row in frame.head(max_rows).itertuples(index=False, name=None):
        cells = "".join(
            f"<td>{html.escape(fmt_cell(v, c, currency, kind=kinds.get(c)))}</td>"
            for v, c in zip(row, cols, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<tr><td colspan="{len(cols)}">… {len(frame) - max_rows:,} more rows (use .to_frame())</td></tr>'
    return (
        f'<table class="{html.escape(cls)}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}{more}</tbody></table>'
    )
