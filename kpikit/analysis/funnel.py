"""The funnel: how many make it through each stage, how fast, and how mature each cohort is.

Stages come from the client config (``funnel.stages``). Counts per stage come
from :func:`~kpikit.analysis.segments.segment_table` (impressions and clicks
from spend, lead/MQL/SQL from contacts, opportunity/won from deals). Every
rate carries a Wilson interval. When a stage is not a subset of the previous
one (leads from organic traffic exceed paid clicks; deals counted per deal
exceed contacts) the step rate is shown but has no interval and is flagged.

Time between stages is measured per contact (median and interquartile range),
and lead cohorts by month say whether they have had time to reach the real
outcome: a recent cohort's low rate is immaturity, not failure. A stage the CRM
export cannot follow per contact (won deals that name no contact) is NaN in the
cohorts, with the reason in ``notes``, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.segments import SEGMENT_MEASURES, _from_dates, segment_table
from kpikit.analysis.stats import safe_divide, wilson_interval
from kpikit.core.fmt import fmt
from kpikit.core.measures import STAGES
from kpikit.core.names import NOT_SET
from kpikit.core.result import Result, records

__all__ = ["funnel", "funnel_table", "FunnelResult", "stage_times", "cohorts"]


@dataclass(frozen=True, eq=False, kw_only=True)
class FunnelResult(Result):
    """``frame``: long table (segment columns, ``stage``, ``count``, step and cumulative rates).

    ``times``: days between consecutive contact stages; ``cohorts``: lead cohorts by month.
    """

    view = "funnel"
    title = "Funnel"

    by: tuple[str, ...]
    stages: tuple[str, ...]
    real_outcome: str
    times: pd.DataFrame
    cohorts: pd.DataFrame

    def _extra(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "stages": list(self.stages),
            "real_outcome": self.real_outcome,
            "times": records(self.times),
            "cohorts": records(self.cohorts),
        }

    def _extra_frames(self) -> dict[str, pd.DataFrame]:
        return {"Days between stages": self.times, "Lead cohorts": self.cohorts}

    def wide(self) -> pd.DataFrame:
        """Counts with one column per stage."""
        return self.frame.pivot_table(
            index=list(self.by) or None, columns="stage", values="count", sort=False, aggfunc="sum"
        ).reindex(columns=list(self.stages))

    def chart(self):
        from kpikit import charts

        return charts.funnel_chart(self.frame, by=self.by[0] if self.by else None)


def _stages_for(p, table: pd.DataFrame) -> tuple[str, ...]:
    stages = [s for s in p.stages if s in table.columns and table[s].notna().any()]
    return tuple(stages)


def stage_times(model) -> pd.DataFrame:
    """Days from stage to stage per contact: n, median, p25, p75, and inconsistent (negative) gaps.

    Pairs are consecutive measured stages among lead, MQL, SQL, opportunity,
    won (restricted to the config's funnel stages when it names two or more),
    plus first stage -> real outcome. Negative gaps (an outcome dated before the
    lead) are data errors: counted in ``n_negative`` and left out of the spread.
    """
    p = prepare(model)
    hit = p.segment_cache.get(("stage_times",))
    if hit is not None:
        return hit.copy()
    out = _stage_times(p)
    p.segment_cache[("stage_times",)] = out
    return out.copy()


def _stage_times(p) -> pd.DataFrame:
    c = p.contacts
    rows = []
    if len(c) == 0:
        return pd.DataFrame(
            columns=["from_stage", "to_stage", "n", "median_days", "p25_days", "p75_days", "n_negative"]
        )
    measured = [s for s in STAGES if c[f"_d_{s}"].notna().any()]
    configured = [s for s in measured if s in p.stages]
    if len(configured) >= 2:  # the client's own stages, when it names at least two contact stages
        measured = configured
    pairs = list(zip(measured[:-1], measured[1:], strict=True))
    if p.real_outcome in measured and measured[0] != p.real_outcome and (measured[0], p.real_outcome) not in pairs:
        pairs.append((measured[0], p.real_outcome))
    for a, b in pairs:
        da = c[f"_d_{a}"].to_numpy()
        db = c[f"_d_{b}"].to_numpy()
        ok = ~np.isnat(da) & ~np.isnat(db)
        days = (db[ok] - da[ok]).astype("timedelta64[s]").astype(np.int64) / 86400.0
        neg = days < 0
        good = days[~neg]
        q = np.percentile(good, [25, 50, 75]) if len(good) else [np.nan] * 3
        rows.append(
            {
                "from_stage": a,
                "to_stage": b,
                "n": int(len(good)),
                "median_days": float(q[1]),
                "p25_days": float(q[0]),
                "p75_days": float(q[2]),
                "n_negative": int(neg.sum()),
            }
        )
    return pd.DataFrame(rows)


def cohorts(model, freq: str = "M", confidence: float = 0.95) -> pd.DataFrame:
    """Lead cohorts: leads created per period, how many reached each stage, and maturity.

    A cohort is ``mature`` when the data runs at least the 90th-percentile
    lead -> real-outcome time past the cohort's end; an immature cohort's rate
    will still rise.
    """
    p = prepare(model)
    key = ("cohorts", freq, confidence)
    hit = p.segment_cache.get(key)
    if hit is None:
        hit = p.segment_cache[key] = _cohorts(p, freq, confidence)
    out = hit.copy()
    out.attrs = dict(hit.attrs)
    return out


def _cohorts(p, freq: str, confidence: float) -> pd.DataFrame:
    c = p.contacts
    cols = ["cohort", "leads", *STAGES[1:], "rate", "rate_low", "rate_high", "age_days", "mature"]
    if len(c) == 0:
        return pd.DataFrame(columns=cols)
    lab = _from_dates(c["created_date"].to_numpy(), freq)
    df = pd.DataFrame({"cohort": lab, **{s: c[f"_r_{s}"].to_numpy() for s in STAGES[1:]}})
    g = df.groupby("cohort", observed=True).agg(leads=("mql", "size"), **{s: (s, "sum") for s in STAGES[1:]})
    g = g.reset_index()
    g["cohort"] = g["cohort"].astype("str")
    outcome = p.real_outcome if p.real_outcome in STAGES else "won"
    k = g[outcome].to_numpy(dtype="float64")
    n = g["leads"].to_numpy(dtype="float64")
    g["rate"] = safe_divide(k, n)
    g["rate_low"], g["rate_high"] = wilson_interval(k, n, confidence)
    start = c["created_date"].groupby(np.asarray(lab.codes)).min()
    first_day = pd.Series(start.to_numpy(), index=lab.categories[start.index.to_numpy()].astype(str))
    first_day = first_day[first_day.index != NOT_SET]
    per_end = (
        pd.PeriodIndex(first_day.to_numpy(), freq={"W": "W-SUN", "Y": "Y-DEC", "Q": "Q-DEC"}.get(freq, freq))
        .end_time.normalize()
        .to_numpy()
    )
    end = np.datetime64(p.data_end) if p.data_end is not None else np.datetime64("NaT")
    age = (end - per_end).astype("timedelta64[D]").astype(np.int64)
    age_map = dict(zip(first_day.index, age, strict=True))
    g["age_days"] = g["cohort"].map(age_map).astype("float64")
    da = c["_d_lead"].to_numpy()
    db = c[f"_d_{outcome}"].to_numpy()
    ok = ~np.isnat(da) & ~np.isnat(db)
    days = (db[ok] - da[ok]).astype("timedelta64[s]").astype(np.int64) / 86400.0
    days = days[days >= 0]
    horizon = float(np.percentile(days, 90)) if len(days) else np.nan
    g["mature"] = g["age_days"] >= horizon if horizon == horizon else False
    g.attrs["maturity_days"] = horizon
    # A stage the export cannot follow per contact has no cohort count (nor rate, for the outcome): not 0.
    for s in STAGES[1:]:
        if f"contact_{s}" in p.unmeasured:
            g[s] = np.nan
            if s == outcome:
                g[["rate", "rate_low", "rate_high"]] = np.nan
    return g[cols]


def funnel_table(table: pd.DataFrame, stages, confidence: float = 0.95) -> pd.DataFrame:
    """Long funnel frame from a :func:`~kpikit.analysis.segments.segment_table` (no model needed: fast).

    Parameters
    ----------
    table : DataFrame
        Segment columns and stage count columns.
    stages : sequence of str
        Stage columns in funnel order.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"campaign": ["A", "B"], "clicks": [100.0, 10.0], "lead": [5.0, 20.0]})
    >>> funnel_table(t, ["clicks", "lead"])[["campaign", "stage", "step_rate", "nested"]]
      campaign   stage  step_rate  nested
    0        A  clicks        NaN    True
    1        A    lead       0.05    True
    2        B  clicks        NaN    True
    3        B    lead       2.00   False
    """
    dims = [c for c in table.columns if c not in SEGMENT_MEASURES]
    stages = list(stages)
    cols = [*dims, "stage", "count", "step_rate", "step_low", "step_high", "cumulative_rate", "nested"]
    if not stages or not len(table):
        return pd.DataFrame(columns=cols)
    long = table.melt(id_vars=dims, value_vars=stages, var_name="stage", value_name="count")
    order = {s: i for i, s in enumerate(stages)}
    long["_o"] = long["stage"].map(order)
    long = long.sort_values([*dims, "_o"], kind="stable").reset_index(drop=True)
    counts = long["count"].to_numpy(dtype="float64")
    first = long["_o"].to_numpy() == 0
    prev = np.concatenate([[np.nan], counts[:-1]])
    prev = np.where(first, np.nan, prev)
    if dims:
        top = long.groupby(dims, sort=False)["count"].transform("first").to_numpy()
    else:
        top = np.full(len(long), counts[0])
    long["step_rate"] = safe_divide(counts, prev)
    nested = counts <= prev
    lo, hi = wilson_interval(np.where(nested, counts, 0), np.where(nested, prev, 0), confidence)
    long["step_low"], long["step_high"] = lo, hi
    long["cumulative_rate"] = safe_divide(counts, top)
    long["nested"] = np.where(first, True, nested)
    return long.drop(columns="_o")[cols]


def funnel(model, by=None, period=None, *, confidence: float = 0.95) -> FunnelResult:
    """Stage counts, step and cumulative conversion (with Wilson intervals), stage times and cohorts.

    Parameters
    ----------
    model : ClientModel
    by : str or list of str, optional
        Segment columns (``platform``, ``campaign``, ``ad_group``, ``period``,
        ``source``, ``medium``, ``dim_*``). None: the whole account.
    period : str, optional
        Also split by period (cohort basis: outcomes count in their lead's period).

    Returns
    -------
    FunnelResult

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "platform": ["meta"],
    ...     "campaign": ["A"], "impressions": [1000], "clicks": [50], "cost": [100.0], "currency": ["EUR"]}))
    >>> contacts = conform("contacts", pd.DataFrame({"contact_key": list("abcd"), "campaign": ["A"] * 4,
    ...     "created_date": pd.to_datetime(["2024-01-02"] * 4),
    ...     "mql_date": pd.to_datetime(["2024-01-03", "2024-01-05", None, None])}))
    >>> f = funnel(ClientModel(spend=spend, contacts=contacts))
    >>> f.to_frame()[["stage", "count", "step_rate", "cumulative_rate"]].head(4)
             stage   count  step_rate  cumulative_rate
    0  impressions  1000.0        NaN            1.000
    1       clicks    50.0       0.05            0.050
    2         lead     4.0       0.08            0.004
    3          mql     2.0       0.50            0.002
    >>> t = f.to_dict()["times"][0]
    >>> t["from_stage"], t["to_stage"], t["median_days"]
    ('lead', 'mql', 2.0)
    """
    p = prepare(model)
    table = segment_table(model, by=by, period=period)
    dims = [c for c in table.columns if c not in SEGMENT_MEASURES]
    stages = _stages_for(p, table)
    long = funnel_table(table, stages, confidence)
    notes = list(p.notes)
    bad = long.loc[~long["nested"] & long["step_rate"].notna(), "stage"].unique().tolist()
    if bad:
        notes.append(
            f"Stage(s) {', '.join(bad)} are not a subset of the previous stage somewhere (e.g. organic leads, "
            "or deals counted per deal): those step rates have no interval."
        )
    times = stage_times(model)
    coh = cohorts(model, confidence=confidence)
    outcome = p.real_outcome if p.real_outcome in STAGES else "won"
    unknown = [s for s in STAGES[1:] if f"contact_{s}" in p.unmeasured and len(coh)]
    for s in unknown:
        why = p.unmeasured[f"contact_{s}"].split(":")[0]
        notes.append(f"{why[0].upper()}{why[1:]}: lead cohorts' {s} counts are not measured.")
    if len(coh) and outcome not in unknown and (~coh["mature"].astype(bool)).any():
        immature = coh.loc[~coh["mature"].astype(bool), "cohort"].tolist()
        notes.append(
            f"Cohort(s) {', '.join(immature[-3:])}{' and earlier' if len(immature) > 3 else ''} are not mature: "
            f"leads take up to {fmt(coh.attrs.get('maturity_days'), 'days')} to reach {p.real_outcome}, "
            "so their rate will still rise."
        )
    if len(times) and times["n_negative"].sum():
        notes.append(
            f"{int(times['n_negative'].sum())} stage date(s) fall before the previous stage: left out of times."
        )
    return FunnelResult(
        frame=long,
        currency=p.currency,
        by=tuple(dims),
        stages=stages,
        real_outcome=p.real_outcome,
        times=times,
        cohorts=coh,
        notes=tuple(notes),
    )
