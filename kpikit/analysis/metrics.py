"""Headline metrics as one stable, documented JSON document (``metrics.json``, ``kpikit metrics --json``).

Schema (``schema_version`` "1.0"; keys are only ever added in a minor version,
never renamed or removed without a major bump). Money is in ``currency``,
rounded to the cent; rates are fractions (0.012 = 1.2%); a value that cannot
be computed (zero denominator, stage not measured) is ``null``, never 0 or
infinity.

=======================  ==================================================================
key                      content
=======================  ==================================================================
``schema_version``       "1.0"
``client``               ``{"id", "name"}`` from the config (null without a config)
``currency``             ISO code of every money value
``real_outcome``         the stage the client's business counts (config ``funnel.real_outcome``)
``data_mode``            ``"crm"`` (contacts/deals) or ``"reported"`` (per-row platform outcomes)
``date_range``           ``{"start", "end"}`` of spend dates
``totals``               spend, impressions, clicks, ctr, cpc, cpm, one count per stage
                         (lead, mql, sql, opportunity, won, customers, key_account),
                         pipeline, revenue
``cost_per_stage``       stage -> spend / count (null when the count is 0 or not measured)
``real_outcome_cost``    ``{"stage", "count", "cost_per", "low", "high", "status"}``
``match``                match rates and unmatched names (see ``match_campaigns``)
``funnel``               list of ``{"stage", "count", "step_rate", "step_low", "step_high",
                         "cumulative_rate"}`` for the configured stages
``by_campaign``          list of per-campaign rows: campaign, cost, impressions, clicks, ctr,
                         cpc, the stage counts, cost_per_<stage>, pipeline, revenue,
                         cost_per_real_outcome (+ low/high), status
``vanity``               ``{"vanity", "outcome", "kendall_tau", "rows": [campaign, cost,
                         <vanity>, vanity_rank, <outcome>, cost_per_<outcome>, value_rank,
                         small_sample, flag], "traps"}``
``attribution``          ``{"outcome", "conversions", "revenue", "models": {model: {channel:
                         {"conversions", "revenue"}}}, "markov_reliable"}``
``key_accounts``         ``{"coverage", "rows"}`` (key accounts vs everyone else)
``alignment``            list of role rows (role, kpi, correlation, direction_agreement,
                         improved_while_outcome_fell, flag)
``warnings``             human-readable notes (no personal data)
``headline``             the one cost per real outcome (``kpikit.analysis.costs.headline_cost``):
                         ``{"outcome", "cost_per_real_outcome_paid", "paid_outcomes",
                         "paid_spend", "cost_per_real_outcome_blended", "all_outcomes",
                         "unattributed_outcomes", "definition", "blended_definition"}``;
                         the paid-media figure is the headline, the blended one is labelled
``findings``             list of ``{"id", "kind", "level", "segment", "parent", "text",
                         "template", "words", "figures": {name: {"value", "kind", ...}},
                         "money_at_stake", "groups", "dates"}``, biggest money at stake first
                         (``kpikit.analysis.findings``); every number in ``text`` is a figure
=======================  ==================================================================

Output is deterministic: the same model gives byte-identical JSON
(``json.dumps(metrics(model), sort_keys=True)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kpikit.analysis._prepare import prepare
from kpikit.analysis.attribution import largest_remainder
from kpikit.core.measures import kind_of
from kpikit.core.result import json_safe, records
from kpikit.model import n_rows

__all__ = ["metrics", "SCHEMA_VERSION", "METRICS_KEYS"]

SCHEMA_VERSION = "1.0"
METRICS_KEYS: tuple[str, ...] = (
    "schema_version",
    "client",
    "currency",
    "real_outcome",
    "data_mode",
    "date_range",
    "totals",
    "cost_per_stage",
    "real_outcome_cost",
    "match",
    "funnel",
    "by_campaign",
    "vanity",
    "attribution",
    "key_accounts",
    "alignment",
    "warnings",
    "headline",
    "findings",
)
_STAGE_COUNTS = ("lead", "mql", "sql", "opportunity", "won", "customers", "key_account")
# Money keys the registry cannot name: the real-outcome cost's interval bounds, and the match summary's
# matched spend (``kind_of`` reads "match" as a rate hint unless it is given a value).
_MONEY_KEYS = frozenset({"low", "high", "spend_matched"})


def _is_money(key: str) -> bool:
    # Decided by the key alone (no value), so a key rounds the same way whatever its size.
    return key in _MONEY_KEYS or kind_of(key) == "money"


def _round(obj: Any, key: str = "") -> Any:
    """Money to the cent, other floats to 10 significant digits (stable JSON across platforms).

    Examples
    --------
    >>> _round({"cost_per_lead": 12.3456, "ctr": 0.0123456789012, "ctr_low": 0.01111111111111, "low": 5.556})
    {'cost_per_lead': 12.35, 'ctr': 0.0123456789, 'ctr_low': 0.01111111111, 'low': 5.56}
    """
    if isinstance(obj, dict):
        return {k: _round(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, key) for v in obj]
    if isinstance(obj, float):
        return round(obj, 2) if _is_money(key) else float(f"{obj:.10g}")
    return obj


def metrics(model) -> dict[str, Any]:
    """Headline metrics of a client as a JSON-safe dict with a stable schema (see module docs).

    Examples
    --------
    >>> import json, pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "platform": ["meta"],
    ...     "campaign": ["A"], "impressions": [1000], "clicks": [20], "cost": [99.999], "currency": ["EUR"]}))
    >>> m = metrics(ClientModel(spend=spend))
    >>> m["schema_version"], m["totals"]["spend"], m["totals"]["ctr"], m["cost_per_stage"]["lead"]
    ('1.0', 100.0, 0.02, None)
    >>> json.loads(json.dumps(m)) == m
    True
    """
    from kpikit.analysis.alignment import kpi_alignment
    from kpikit.analysis.attribution import attribution
    from kpikit.analysis.costs import cost_per_outcome, headline_cost
    from kpikit.analysis.findings import findings
    from kpikit.analysis.funnel import funnel
    from kpikit.analysis.joins import match_campaigns
    from kpikit.analysis.key_accounts import key_accounts
    from kpikit.analysis.vanity import vanity_vs_value

    p = prepare(model)
    config = getattr(model, "config", None)
    costs = cost_per_outcome(model, by="campaign")
    t = costs.totals
    totals = {
        "spend": t["cost"],
        "impressions": t["impressions"],
        "clicks": t["clicks"],
        "ctr": t["ctr"],
        "cpc": t["cpc"],
        "cpm": t["cpm"],
        **{s: t.get(s) for s in _STAGE_COUNTS},
        "pipeline": t["pipeline"],
        "revenue": t["revenue"],
    }
    for k in ("impressions", "clicks", *_STAGE_COUNTS):
        if totals[k] is not None:
            totals[k] = int(totals[k])
    cost_per_stage = {s: t.get(f"cost_per_{s}") for s in _STAGE_COUNTS if s != "customers"}
    cost_per_stage["cac"] = t.get("cac")
    real = {
        "stage": p.real_outcome,
        "count": None if t.get("real_outcome") is None else int(t["real_outcome"]),
        "cost_per": t.get("cost_per_real_outcome"),
        "low": t.get("cost_per_real_outcome_low"),
        "high": t.get("cost_per_real_outcome_high"),
        "status": t.get("status"),
    }
    fun = funnel(model)
    fcols = ["stage", "count", "step_rate", "step_low", "step_high", "cumulative_rate"]
    funnel_rows = records(fun.frame[fcols])
    for r in funnel_rows:
        r["count"] = None if r["count"] is None else int(r["count"])
    keep = [
        "campaign", "cost", "impressions", "clicks", "ctr", "cpc", "lead", "mql", "sql", "opportunity", "won",
        "key_account", "cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_opportunity", "cost_per_won",
        "cost_per_key_account", "pipeline", "revenue", "cost_per_real_outcome", "cost_per_real_outcome_low",
        "cost_per_real_outcome_high", "status",
    ]  # fmt: skip
    by_frame = costs.frame[keep].copy()
    # Rows rounded to the cent must still add up to the totals: largest remainder, at most 1 cent per row.
    for col in ("cost", "pipeline", "revenue"):
        values = by_frame[col].to_numpy(dtype="float64")
        if len(values) and not np.isnan(values).any():
            by_frame[col] = largest_remainder(values, round(float(values.sum()), 2))
    by_campaign = records(by_frame)
    van = vanity_vs_value(model, by="campaign")
    att = attribution(model) if n_rows(model, "touchpoints") else None
    ka = key_accounts(model)
    al = kpi_alignment(model, period="W")
    warnings: list[str] = []
    for res in (costs, fun, van, ka, al) + ((att,) if att else ()):
        for n in res.notes:
            if n not in warnings:
                warnings.append(n)
    match = match_campaigns(model).summary
    dates = model.spend["date"]
    # a summary row (a quarter's report) reaches its period's last day, not its first
    ends = model.spend["date_end"].fillna(dates) if "date_end" in model.spend else dates
    out = {
        "schema_version": SCHEMA_VERSION,
        "client": None if config is None else {"id": config.client, "name": config.name},
        "currency": p.currency,
        "real_outcome": p.real_outcome,
        "data_mode": p.mode,
        "date_range": {
            "start": None if dates.isna().all() else dates.min(),
            "end": None if dates.isna().all() else ends.max(),
        },
        "totals": totals,
        "cost_per_stage": cost_per_stage,
        "real_outcome_cost": real,
        "match": match,
        "funnel": funnel_rows,
        "by_campaign": by_campaign,
        "vanity": {
            "vanity": van.vanity,
            "outcome": van.outcome,
            "kendall_tau": van.kendall_tau,
            "rows": records(van.frame),
            "traps": records(van.traps),
        },
        "attribution": None
        if att is None
        else {
            "outcome": att.totals["outcome"],
            "conversions": att.totals["conversions"],
            "revenue": att.totals["revenue"],
            "models": att.to_dict()["credits"],
            "markov_reliable": att.markov.get("reliable"),
        },
        "key_accounts": {"coverage": ka.coverage, "rows": records(ka.frame)},
        "alignment": records(al.frame),
        "warnings": warnings,
        "headline": headline_cost(model),
        "findings": findings(model).items(),
    }
    return _round(json_safe(out))
