"""Helpers shared by the built-in formats (stage labels, won/closed flags)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from kpikit._arrowtext import as_series, map_distinct
from kpikit.ingest.formats.base import norm_header

LIFECYCLE = {
    "subscriber": "other",
    "lead": "lead",
    "marketing qualified lead": "mql",
    "marketingqualifiedlead": "mql",
    "mql": "mql",
    "sales qualified lead": "sql",
    "salesqualifiedlead": "sql",
    "sql": "sql",
    "opportunity": "opportunity",
    "customer": "won",
    "evangelist": "won",
    "won": "won",
    "other": "other",
}
WON = {"closed won", "closedwon", "won", "closed - won"}
LOST = {"closed lost", "closedlost", "lost", "closed - lost"}


def map_labels(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` to each distinct label once (a million rows hold a handful of labels)."""
    return as_series(map_distinct(series, func), series.index)


def lifecycle_label(label: str) -> str:
    """A CRM lifecycle label ("Marketing Qualified Lead") as a model stage ("mql").

    Examples
    --------
    >>> lifecycle_label("Marketing Qualified Lead"), lifecycle_label("customer"), lifecycle_label("Partner")
    ('mql', 'won', 'other')
    """
    return LIFECYCLE.get(norm_header(label), "other")


def lifecycle(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Map CRM lifecycle labels ("Marketing Qualified Lead") to model stages ("mql")."""
    if "lifecycle_stage" in frame:
        mapped = map_labels(frame["lifecycle_stage"], lifecycle_label)
        frame = frame.assign(lifecycle_stage=mapped)
    return frame


def deal_flags(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Fill ``is_won`` / ``is_closed`` from the stage label where the export has no flag."""
    stage = frame["stage"].astype("str").str.strip().str.lower() if "stage" in frame else None
    if stage is None:
        return frame
    won = stage.isin(WON)
    closed = won | stage.isin(LOST)
    out = {}
    for col, derived in (("is_won", won), ("is_closed", closed)):
        current = frame[col] if col in frame else pd.Series(pd.NA, index=frame.index, dtype="boolean")
        out[col] = current.astype("boolean").fillna(derived.astype("boolean"))
    return frame.assign(**out)


_RANGE_LONG = re.compile(r"([A-Z][a-z]+ \d{1,2}, \d{4})\s*[-–]\s*([A-Z][a-z]+ \d{1,2}, \d{4})")


def google_date_range(preamble: list[str]) -> dict[str, str]:
    """``January 1, 2024 - January 31, 2024`` in a Google Ads preamble -> the report start day."""
    for line in preamble:
        m = _RANGE_LONG.search(line)
        if m:
            return {"date": datetime.strptime(m.group(1), "%B %d, %Y").strftime("%Y-%m-%d")}
    return {}


def labelled_start(label: str, fmt: str):
    """Preamble reader for lines like ``Report Start: 1/1/2024`` -> ``{"date": "2024-01-01"}``."""

    def read(preamble: list[str]) -> dict[str, str]:
        for line in preamble:
            text = line.replace('"', "").strip()
            if text.lower().startswith(label.lower()):
                rest = text[len(label) :].strip(" :\t").split(",")[0].split()
                value = rest[0] if rest else ""
                try:
                    return {"date": datetime.strptime(value, fmt).strftime("%Y-%m-%d")}
                except ValueError:
                    return {}
        return {}

    return read


def stages_from_dates(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Lifecycle stage = the furthest stage with a date, where the export has no stage column."""
    if "lifecycle_stage" in frame and frame["lifecycle_stage"].notna().any():
        return lifecycle(frame, ctx)
    stage = pd.Series("lead", index=frame.index, dtype="str")
    for col, name in (
        ("mql_date", "mql"),
        ("sql_date", "sql"),
        ("opportunity_date", "opportunity"),
        ("won_date", "won"),
    ):
        if col in frame:
            stage = stage.where(frame[col].isna(), name)
    return frame.assign(lifecycle_stage=stage)
