"""Helpers shared by the built-in formats (stage labels, won/closed flags)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
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


# Month names as the Google Ads UI writes them in a report's date-range line, per language
# (full and abbreviated, with and without accents); one number per name across languages.
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar janvier janv enero ene",
            "february feb februar février fevrier févr fevr febrero",
            "march mar märz marz maerz mär mars marzo",
            "april apr avril avr abril abr",
            "may mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet juil julio",
            "august aug août aout agosto ago",
            "september sep sept septembre septiembre setiembre set",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dezember dez décembre decembre déc diciembre dic",
        ),
        start=1,
    )
    for name in names.split()
}

# One day of a date-range line: US "January 1, 2026", day-first "1 January 2026" / "1. Januar
# 2026" / "1 de enero de 2026", ISO "2026-01-01", German numeric "01.01.2026".
_DAY = (
    r"(?:(?P<{p}mname>[^\W\d_]+)\.? (?P<{p}mday>\d{{1,2}}), (?P<{p}myear>\d{{4}})"
    r"|(?P<{p}dday>\d{{1,2}})\.? (?:de )?(?P<{p}dname>[^\W\d_]+)\.?,? (?:de )?(?P<{p}dyear>\d{{4}})"
    r"|(?P<{p}iyear>\d{{4}})-(?P<{p}imonth>\d{{2}})-(?P<{p}iday>\d{{2}})"
    r"|(?P<{p}nday>\d{{1,2}})\.(?P<{p}nmonth>\d{{1,2}})\.(?P<{p}nyear>\d{{4}}))"
)
_RANGE = re.compile(_DAY.format(p="a") + r"\s*(?:[-–—]|bis|au|al)\s*" + _DAY.format(p="b"), re.IGNORECASE)


def _day(m: re.Match[str], p: str) -> date | None:
    """The date of side ``p`` ("a" or "b") of a range match, or None if it is no real day."""
    g = {k[1:]: v for k, v in m.groupdict().items() if k.startswith(p) and v is not None}
    try:
        if "mname" in g or "dname" in g:
            kind = "m" if "mname" in g else "d"
            month = MONTHS.get(g[f"{kind}name"].lower())
            return None if month is None else date(int(g[f"{kind}year"]), month, int(g[f"{kind}day"]))
        kind = "i" if "iyear" in g else "n"
        return date(int(g[f"{kind}year"]), int(g[f"{kind}month"]), int(g[f"{kind}day"]))
    except (KeyError, ValueError):
        return None


def report_period(preamble: list[str]) -> tuple[date, date] | None:
    """The ``(first, last)`` day of a date-range line above a report's header, in any UI language.

    Examples
    --------
    >>> report_period(["Campaign report", '"January 1, 2026 - March 31, 2026"'])
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> [str(d) for d in report_period(["1 janvier 2026 - 31 mars 2026"])]
    ['2026-01-01', '2026-03-31']
    >>> report_period(["01.01.2026 - 31.03.2026"])[1], report_period(["All time"])
    (datetime.date(2026, 3, 31), None)
    """
    for line in preamble:
        for m in _RANGE.finditer(line.replace('"', " ").replace("\u00a0", " ")):
            first, last = _day(m, "a"), _day(m, "b")
            if first is not None and last is not None and first <= last:
                return first, last
    return None


def google_date_range(preamble: list[str]) -> dict[str, str]:
    """The period of a Google Ads report, from the date-range line of its preamble.

    Rows of a report without a ``Day`` column total the whole period: they get its first
    day as ``date`` and its last as ``date_end``.

    Examples
    --------
    >>> google_date_range(["Campaign report", "1 January 2026 - 31 March 2026"])
    {'date': '2026-01-01', 'date_end': '2026-03-31'}
    >>> google_date_range(["Kampagnenbericht", "01.01.2026 - 31.03.2026"])
    {'date': '2026-01-01', 'date_end': '2026-03-31'}
    """
    period = report_period(preamble)
    if period is None:
        return {}
    return {"date": period[0].isoformat(), "date_end": period[1].isoformat()}


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
