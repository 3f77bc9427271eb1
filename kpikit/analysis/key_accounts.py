"""Key accounts: what the target-account list produces, versus everyone else.

"50 visits from key accounts can beat 5,000 anonymous visits" as numbers:
contacts are matched to the client's target-account list by email / website
domain (or company name), deals by account domain, name or their contact.
Touchpoints count as visits; touchpoints of unknown people are "everyone else".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.stats import safe_divide, wilson_interval
from kpikit.core.names import NO_TIER
from kpikit.core.result import Result, records
from kpikit.model import n_rows

__all__ = ["key_accounts", "KeyAccountResult"]

KEY = "key accounts"
OTHER = "everyone else"


@dataclass(frozen=True, eq=False, kw_only=True)
class KeyAccountResult(Result):
    """``frame``: one row for key accounts, one for everyone else; ``tiers``: key accounts by tier.

    ``coverage``: target accounts on the list, engaged (with a contact), with pipeline.
    """

    view = "key_accounts"
    title = "Key accounts vs everyone else"

    tiers: pd.DataFrame
    coverage: dict[str, Any]

    def _extra(self) -> dict[str, Any]:
        return {"tiers": records(self.tiers), "coverage": self.coverage}

    def _extra_frames(self) -> dict[str, pd.DataFrame]:
        return {"Key accounts by tier": self.tiers}

    def chart(self):
        from kpikit import charts

        return charts.key_accounts_chart(self.frame)


def _summary(groups: np.ndarray, names: list[str], c_grp, c_reached, visits_by, d_grp, d_won, d_amount, accounts):
    rows = []
    for g in names:
        cm = c_grp == g
        dm = d_grp == g
        contacts = int(cm.sum())
        won_c = int((c_reached["won"] & cm).sum())
        pipeline = float(d_amount[dm].sum())
        revenue = float(d_amount[dm & d_won].sum())
        visits = int(visits_by[g])
        rows.append(
            {
                "group": g,
                "accounts": int(pd.Series(accounts[cm]).nunique()) if g != OTHER else np.nan,
                "visits": visits,
                "contacts": contacts,
                "mql": int((c_reached["mql"] & cm).sum()),
                "sql": int((c_reached["sql"] & cm).sum()),
                "opportunities": int(dm.sum()),
                "won": int((dm & d_won).sum()),
                "pipeline": pipeline,
                "revenue": revenue,
                "won_contacts": won_c,
            }
        )
    f = pd.DataFrame(rows)
    f["pipeline_per_visit"] = safe_divide(f["pipeline"], f["visits"])
    f["pipeline_per_contact"] = safe_divide(f["pipeline"], f["contacts"])
    f["contact_win_rate"] = safe_divide(f["won_contacts"], f["contacts"])
    lo, hi = wilson_interval(f["won_contacts"], f["contacts"])
    f["contact_win_rate_low"], f["contact_win_rate_high"] = lo, hi
    return f


def key_accounts(model) -> KeyAccountResult:
    """Visits, leads, pipeline and revenue from target accounts versus everyone else.

    Parameters
    ----------
    model : ClientModel
        Needs ``target_accounts``; without it every row is "everyone else".

    Returns
    -------
    KeyAccountResult

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> ta = conform("target_accounts", pd.DataFrame({"account_domain": ["bigco.com"], "tier": ["tier 1"]}))
    >>> contacts = conform("contacts", pd.DataFrame({"contact_key": ["k1", "k2", "k3"],
    ...     "company_domain": ["bigco.com", "gmail.com", "small.io"],
    ...     "created_date": pd.to_datetime(["2024-01-01"] * 3)}))
    >>> deals = conform("deals", pd.DataFrame({"deal_id": ["d1", "d2"], "contact_key": ["k1", "k3"],
    ...     "created_date": pd.to_datetime(["2024-02-01"] * 2), "amount": [50000.0, 2000.0],
    ...     "is_won": [False, True]}))
    >>> tp = conform("touchpoints", pd.DataFrame({"contact_key": ["k1", "k2", "k2", "anon"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 4), "channel": ["web"] * 4}))
    >>> r = key_accounts(ClientModel(contacts=contacts, deals=deals, touchpoints=tp, target_accounts=ta))
    >>> r.to_frame()[["group", "visits", "contacts", "pipeline", "pipeline_per_visit"]]
               group  visits  contacts  pipeline  pipeline_per_visit
    0   key accounts       1         1   50000.0        50000.000000
    1  everyone else       3         2    2000.0          666.666667
    """
    p = prepare(model)
    c, d = p.contacts, p.deals
    c_key = c["_account"].notna().to_numpy()
    c_grp = np.where(c_key, KEY, OTHER)
    reached = {s: c[f"_r_{s}"].to_numpy() for s in ("mql", "sql", "won")}
    d_grp = np.where(d["_account"].notna().to_numpy(), KEY, OTHER)
    n_tp = n_rows(model, "touchpoints")
    store = getattr(model, "store", None)
    n_key = 0
    if n_tp and len(c) and store is not None and store.serves(model):  # touchpoints left in Parquet
        from kpikit.analysis._duckpaths import key_visits

        n_key = key_visits(store, p.lookup, c_key)
    elif n_tp and len(c):
        pos = p.lookup.positions(model.touchpoints["contact_key"])
        n_key = int(np.where(pos >= 0, c_key[np.maximum(pos, 0)], False).sum())
    frame = _summary(
        c_grp,
        [KEY, OTHER],
        c_grp,
        reached,
        {KEY: n_key, OTHER: n_tp - n_key},
        d_grp,
        d["_won"].to_numpy(),
        d["_amount"].to_numpy(),
        c["_account"].to_numpy(),
    )
    no_won = p.unmeasured.get("contact_won")
    if no_won:  # which contact won is not in the export: no count, rate or interval (never 0)
        frame[["won_contacts", "contact_win_rate", "contact_win_rate_low", "contact_win_rate_high"]] = np.nan
    ta = model.target_accounts
    from kpikit.core.names import normalise_domains

    tiers = pd.DataFrame(columns=["tier", "accounts", "engaged", "contacts", "opportunities", "pipeline", "revenue"])
    coverage: dict[str, Any] = {"target_accounts": int(len(ta)), "engaged": 0, "with_pipeline": 0}
    if len(ta):
        t = pd.DataFrame({"account": normalise_domains(ta["account_domain"]), "tier": ta["tier"].fillna(NO_TIER)})
        t = t.dropna(subset=["account"]).drop_duplicates("account")
        cc = c.loc[c_key].groupby("_account").size().rename("contacts")
        dd = (
            d.loc[d["_account"].notna()]
            .groupby("_account")
            .agg(
                opportunities=("deal_id", "size"),
                pipeline=("_amount", "sum"),
                revenue=("_amount", lambda s: float(s[d.loc[s.index, "_won"]].sum())),
            )
        )
        t = (
            t.join(cc, on="account")
            .join(dd, on="account")
            .fillna({"contacts": 0, "opportunities": 0, "pipeline": 0.0, "revenue": 0.0})
        )
        t["engaged"] = t["contacts"] > 0
        tiers = (
            t.groupby("tier")
            .agg(
                accounts=("account", "size"),
                engaged=("engaged", "sum"),
                contacts=("contacts", "sum"),
                opportunities=("opportunities", "sum"),
                pipeline=("pipeline", "sum"),
                revenue=("revenue", "sum"),
            )
            .reset_index()
        )
        coverage = {
            "target_accounts": int(len(t)),
            "engaged": int(t["engaged"].sum()),
            "with_pipeline": int((t["pipeline"] > 0).sum()),
        }
    notes = list(p.notes)
    if not p.has_targets:
        notes.append("No target-account list: add target_accounts to the client config to see key accounts.")
    else:
        k, o = frame.iloc[0], frame.iloc[1]
        # Not kpikit.core.fmt: these notes are metrics.json "warnings", which must stay byte-identical within
        # schema 1.x, so the pipeline keeps its older "6,799,500 EUR" wording here.
        notes.append(
            f"{int(k['visits']):,} visits from key accounts produced {k['pipeline']:,.0f} {p.currency} of pipeline; "
            f"{int(o['visits']):,} other visits produced {o['pipeline']:,.0f}."
        )
        if k["pipeline_per_visit"] == k["pipeline_per_visit"] and o["pipeline_per_visit"] == o["pipeline_per_visit"]:
            if o["pipeline_per_visit"] > 0:
                notes.append(
                    f"A key-account visit is worth {k['pipeline_per_visit'] / o['pipeline_per_visit']:,.1f}x "
                    "an ordinary visit in pipeline."
                )
    if no_won:
        why = no_won.split(":")[0]  # "won deals are not linked to contacts in this CRM export"
        notes.append(f"{why[0].upper()}{why[1:]}: the contacts' win rate is not measured.")
    return KeyAccountResult(frame=frame, currency=p.currency, tiers=tiers, coverage=coverage, notes=tuple(notes))
