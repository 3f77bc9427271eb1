"""The one result base: every analysis view and every workshop scenario returns a :class:`Result`.

A result holds pandas frames (never mutated after construction), renders itself in a
notebook with every label escaped (``_repr_html_``), converts to plain JSON-safe Python
(``to_dict``) and to a table (``to_frame``), and builds its chart lazily so importing the
engine never imports altair.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kpikit.core.fmt import html_table

__all__ = ["Result", "json_safe", "records"]


def json_safe(obj: Any) -> Any:
    """Convert ``obj`` to plain JSON types: numpy scalars to Python, NaN/NA/NaT/inf to None.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> json_safe({"a": np.int64(3), "b": float("nan"), "c": [pd.NA, np.float64(1.5)], "d": pd.Timestamp("2024-01-02")})
    {'a': 3, 'b': None, 'c': [None, 1.5], 'd': '2024-01-02'}
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return None if not math.isfinite(f) else f
    if isinstance(obj, int):
        return obj
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        if obj.hour == obj.minute == obj.second == obj.microsecond == 0:
            return obj.strftime("%Y-%m-%d")
        return obj.isoformat()
    if isinstance(obj, _dt.date | _dt.datetime):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta):
        return obj.total_seconds() / 86400.0
    if isinstance(obj, pd.Period):
        return str(obj)
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return str(obj)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of JSON-safe row dicts."""
    return json_safe(frame.to_dict(orient="records"))


@dataclass(frozen=True, eq=False, kw_only=True)
class Result:
    """Base of every analysis result.

    Subclasses set ``view`` and may add frames; ``frame`` is the main table.
    """

    view: ClassVar[str] = "result"
    title: ClassVar[str] = "kpikit result"

    frame: pd.DataFrame
    currency: str = ""
    notes: tuple[str, ...] = field(default=())

    # -- conversions -----------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The main table (a copy, safe to modify)."""
        return self.frame.copy()

    def _extra(self) -> dict[str, Any]:
        """View-specific JSON parts (subclasses override)."""
        return {}

    def _extra_frames(self) -> dict[str, pd.DataFrame]:
        """Secondary tables shown under the main one in HTML."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain dict: ``view``, ``currency``, ``rows``, ``notes`` and view-specific keys."""
        out: dict[str, Any] = {"view": self.view, "currency": self.currency, "rows": records(self.frame)}
        out.update(self._extra())
        out["notes"] = list(self.notes)
        return json_safe(out)

    # -- rendering -------------------------------------------------------------------
    def _repr_html_(self) -> str:
        parts = [f'<div class="kpikit-result kpikit-{html.escape(self.view)}">']
        cur = f" ({html.escape(self.currency)})" if self.currency else ""
        parts.append(f"<h4>{html.escape(self.title)}{cur}</h4>")
        parts.append(html_table(self.frame))
        for name, extra in self._extra_frames().items():
            if extra is not None and len(extra):
                parts.append(f"<h5>{html.escape(name)}</h5>")
                parts.append(html_table(extra))
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f'<ul class="kpikit-notes">{items}</ul>')
        parts.append("</div>")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.frame)} rows>"

    def chart(self):  # pragma: no cover - overridden
        raise NotImplementedError
