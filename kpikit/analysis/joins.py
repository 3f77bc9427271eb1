"""Joining spend to outcomes: campaign-name normalisation and the match rate.

CRM records meet ad campaigns only through names: the ``utm_campaign`` a
landing page stored, or the campaign a salesperson typed. The two spellings
rarely agree ("LI - Q3 Launch" in LinkedIn, ``q3_launch`` in HubSpot). kpikit
compares **normalised** names: Unicode NFKC, lower case, a leading platform
prefix removed (``LI - ``, ``FB_``, ``GA - ``, ``gads:``, ``Google Ads |`` ...), and runs
of spaces, ``_`` and ``-`` collapsed to one space. The client config's
``campaign_map`` (raw CRM value -> platform campaign name) is applied first,
for names no rule can reconcile.

A CRM campaign that names no campaign but an **ad group** matches that ad group's
campaign (:func:`adgroup_owners`): a LinkedIn *campaign* is kpikit's ad group (its
campaign group is the campaign), so a ``utm_campaign`` copied from LinkedIn names an
ad group. An ad-group name used under several campaigns matches none of them, with a
note. A ``campaign_map`` value that names neither a campaign nor such an ad group is
reported with the closest campaign names (:func:`map_misses`), never ignored.

A normalised name is a *key*; several raw spellings can share one key. What
could not be matched is never dropped: :func:`match_campaigns` reports spend
with no outcomes, outcomes with no spend and every unmatched name.

Examples
--------
>>> import pandas as pd
>>> normalise_names(pd.Series(["LI - Q3  Launch", "fb_q3-launch", "gads: Q3_Launch ", None])).tolist()
['q3 launch', 'q3 launch', 'q3 launch', nan]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.core.fmt import fmt, html_table
from kpikit.core.names import normalise_domains, on_uniques
from kpikit.core.result import Result, json_safe

__all__ = [
    "normalise_names",
    "normalise_domains",
    "match_campaigns",
    "MatchResult",
    "PLATFORM_PREFIXES",
    "MapMiss",
    "adgroup_owners",
    "map_misses",
]

#: Prefixes agencies put in front of campaign names to say which platform runs them.
PLATFORM_PREFIXES: tuple[str, ...] = (
    "li", "linkedin", "fb", "facebook", "meta", "ig", "instagram", "ga", "gads", "google ads", "googleads",
    "google", "adwords", "bing", "msads", "microsoft ads", "tt", "tiktok", "twitter", "x",
)  # fmt: skip
_PREFIX_RE = (
    r"^(?:"
    + "|".join(sorted((re.escape(p).replace(r"\ ", r"[\s_-]?") for p in PLATFORM_PREFIXES), key=len, reverse=True))
    + r")\s*(?:[-_:|/]\s*)+"
)
_SEP_RE = r"[\s_\-]+"


def _normalise_unique(u: pd.Series) -> pd.Series:
    u = u.str.normalize("NFKC").str.strip().str.lower()
    u = u.str.replace(_PREFIX_RE, "", regex=True).str.replace(_SEP_RE, " ", regex=True).str.strip()
    return u.where(u != "")


def normalise_names(names: pd.Series) -> pd.Series:
    """Normalised campaign / ad-group keys; missing or blank stays missing.

    Works on the distinct values only, so a million rows with a few hundred
    names cost a few hundred regex calls.
    """
    return on_uniques(names, _normalise_unique)


def map_keys(keys: pd.Series, campaign_map: dict[str, str] | None) -> pd.Series:
    """Apply a client's ``campaign_map`` (both sides normalised) to normalised keys."""
    if not campaign_map:
        return keys
    src = normalise_names(pd.Series(list(campaign_map.keys()), dtype="str"))
    dst = normalise_names(pd.Series(list(campaign_map.values()), dtype="str"))
    mapping = {k: v for k, v in zip(src, dst, strict=True) if isinstance(k, str) and isinstance(v, str)}
    if not mapping:
        return keys
    return keys.replace(mapping)


def adgroup_owners(
    campaign_keys: pd.Series, adgroup_keys: pd.Series, wanted
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """The campaign each ad-group key in ``wanted`` runs under: ``(owner, several)``.

    ``owner`` maps an ad-group key to its one campaign key; ``several`` an ad-group key
    used under more than one campaign to all of them (sorted), which is no match.
    Only the rows of the wanted ad groups are looked at, so nothing is paid when no CRM
    name is an ad group.

    Examples
    --------
    >>> c = pd.Series(["q3 launch", "q3 launch", "brand", "brand", "q3 launch"])
    >>> a = pd.Series(["q3 launch cfos", "q3 launch ctos", "exact", "retargeting", "retargeting"])
    >>> adgroup_owners(c, a, {"q3 launch cfos", "retargeting"})
    ({'q3 launch cfos': 'q3 launch'}, {'retargeting': ('brand', 'q3 launch')})
    """
    wanted = [k for k in wanted if isinstance(k, str)]
    if not wanted or not len(adgroup_keys):
        return {}, {}
    hit = adgroup_keys.isin(wanted).to_numpy(dtype=bool)
    pairs = pd.DataFrame({"a": adgroup_keys[hit], "c": campaign_keys[hit]}).dropna().drop_duplicates()
    owner: dict[str, str] = {}
    several: dict[str, tuple[str, ...]] = {}
    for a, cs in pairs.groupby("a", sort=True)["c"]:
        names = tuple(sorted(cs))
        if len(names) == 1:
            owner[str(a)] = names[0]
        else:
            several[str(a)] = names
    return owner, several


@dataclass(frozen=True)
class MapMiss:
    """A ``campaign_map`` entry whose value names no campaign (nor the ad group of one campaign) in the spend.

    ``closest`` are the campaign names, as the ad platform spells them, nearest to the value;
    ``several`` the campaigns whose ad groups the value names, when it is an ad-group name used
    under more than one campaign.
    """

    key: str
    value: str
    closest: tuple[str, ...]
    several: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.several:
            why = f"names ad groups of {len(self.several)} campaigns ({', '.join(map(repr, self.several))})"
        else:
            why = "names no campaign or ad group in the spend exports"
        near = f" (closest campaigns: {', '.join(map(repr, self.closest))})" if self.closest else ""
        return f"campaign_map maps {self.key!r} to {self.value!r}, which {why}{near}"


def map_misses(
    campaign_map: dict[str, str] | None,
    campaign_display: dict[str, str],
    owner: dict[str, str],
    several: dict[str, tuple[str, ...]] | None = None,
    n: int = 3,
) -> list[MapMiss]:
    """The ``campaign_map`` entries whose value matches nothing the spend holds.

    Parameters
    ----------
    campaign_map
        The client config's map (raw CRM value -> ad platform campaign name).
    campaign_display
        Campaign key -> the name as the ad platform spells it (every campaign with spend).
    owner, several
        From :func:`adgroup_owners` over (at least) the map's values: a value naming the
        ad group of one campaign matches; one naming ad groups of several does not.
    n
        How many closest campaign names to give.

    Examples
    --------
    >>> display = {"search data platform": "Search - Data Platform", "brand": "Brand"}
    >>> (miss,) = map_misses({"dp_q1": "Search - Data Platfrom", "x": "brand"}, display, {})
    >>> miss.key, miss.value, miss.closest
    ('dp_q1', 'Search - Data Platfrom', ('Search - Data Platform', 'Brand'))
    """
    if not campaign_map:
        return []
    several = several or {}
    keys = list(campaign_display)
    values = normalise_names(pd.Series(list(campaign_map.values()), dtype="str")).tolist()
    out = []
    for (src, dst), k in zip(campaign_map.items(), values, strict=True):
        if isinstance(k, str) and (k in campaign_display or k in owner):
            continue
        near = difflib.get_close_matches(k, keys, n=n, cutoff=0.0) if isinstance(k, str) else keys[:n]
        shown = tuple(campaign_display.get(c, c) for c in several.get(k, ()))
        out.append(MapMiss(str(src), str(dst), tuple(campaign_display[c] for c in near), shown))
    return out


@dataclass(frozen=True, eq=False, kw_only=True)
class MatchResult(Result):
    """Campaign-level match between spend and CRM outcomes.

    ``frame`` has one row per normalised campaign key with ``status`` one of
    ``matched``, ``spend without outcomes``, ``outcomes without spend``.
    """

    view = "match"
    title = "Spend matched to outcomes"

    summary: dict[str, Any]

    def _extra(self) -> dict[str, Any]:
        return {"summary": self.summary}

    def _repr_html_(self) -> str:
        s = self.summary
        head = pd.DataFrame(
            {
                "measure": [
                    "spend matched to outcomes",
                    "contacts matched to spend",
                    "contacts with no campaign",
                    "unmatched CRM campaign names",
                    "campaigns with spend but no outcomes",
                ],
                # Rates and counts in one column: formatted here, html_table escapes the text.
                "value": [
                    fmt(s["spend_match_rate"], "rate"),
                    fmt(s["contact_match_rate"], "rate"),
                    fmt(s["contacts_without_campaign"], "count"),
                    fmt(len(s["unmatched_crm_names"]), "count"),
                    fmt(len(s["spend_without_outcomes"]), "count"),
                ],
            }
        )
        body = super()._repr_html_()
        return body.replace("<table", html_table(head) + "<table", 1)

    def chart(self):
        from kpikit import charts

        return charts.match_chart(self.frame)


def match_campaigns(model) -> MatchResult:
    """How well spend meets outcomes, campaign by campaign.

    Parameters
    ----------
    model : ClientModel

    Returns
    -------
    MatchResult
        ``frame`` columns: ``campaign`` (as the ad platform spells it, or the
        CRM spelling when no spend matches), ``key``, ``platform``, ``status``,
        ``spend``, ``contacts``, ``deals``, ``pipeline``. ``summary``: spend and
        contact match rates, contacts without a campaign, unmatched names.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"] * 2),
    ...     "platform": ["linkedin", "meta"], "campaign": ["LI - Q3 Launch", "Likes Contest"],
    ...     "impressions": [1000, 5000], "clicks": [10, 200], "cost": [100.0, 50.0], "currency": ["EUR"] * 2}))
    >>> contacts = conform("contacts", pd.DataFrame({"contact_key": ["a", "b", "c"],
    ...     "created_date": pd.to_datetime(["2024-01-02"] * 3), "campaign": ["q3_launch", "q3-launch", "newsletter"]}))
    >>> r = match_campaigns(ClientModel(spend=spend, contacts=contacts))
    >>> r.to_frame()[["campaign", "status", "spend", "contacts"]]
             campaign                  status  spend  contacts
    0  LI - Q3 Launch                 matched  100.0         2
    1   Likes Contest  spend without outcomes   50.0         0
    2      newsletter  outcomes without spend    0.0         1
    >>> r.summary["spend_match_rate"], r.summary["unmatched_crm_names"]
    (0.6666666666666666, ['newsletter'])
    """
    from kpikit.analysis._prepare import prepare

    p = prepare(model)
    sp = p.spend
    spend_by = sp.groupby("_ckey", observed=True, dropna=False).agg(spend=("cost", "sum"))
    c = p.contacts
    con_by = c.groupby("_ckey", dropna=True).size().rename("contacts")
    d = p.deals
    deal_by = d.groupby("_ckey", dropna=True).agg(deals=("deal_id", "size"), pipeline=("amount", "sum"))
    keys = spend_by.index.union(con_by.index).union(deal_by.index)
    keys = keys[pd.notna(keys)]
    frame = pd.DataFrame(index=keys)
    frame = frame.join(spend_by).join(con_by).join(deal_by)
    frame["in_spend"] = frame.index.isin(spend_by.index)
    for col in ("spend", "contacts", "deals", "pipeline"):
        frame[col] = frame[col].fillna(0)
    frame["contacts"] = frame["contacts"].astype("int64")
    frame["deals"] = frame["deals"].astype("int64")
    has_out = (frame["contacts"] > 0) | (frame["deals"] > 0)
    frame["status"] = np.where(
        frame["in_spend"] & has_out,
        "matched",
        np.where(frame["in_spend"], "spend without outcomes", "outcomes without spend"),
    )
    display = p.campaign_display
    frame["campaign"] = frame.index.map(lambda k: display.get(k, k))
    frame["platform"] = frame.index.map(lambda k: p.campaign_platform.get(k))
    frame = frame.rename_axis("key").reset_index()
    order = {"matched": 0, "spend without outcomes": 1, "outcomes without spend": 2}
    frame = frame.sort_values(
        ["status", "spend", "contacts"], key=lambda s: s.map(order) if s.name == "status" else -s, kind="stable"
    ).reset_index(drop=True)
    frame = frame[["campaign", "key", "platform", "status", "spend", "contacts", "deals", "pipeline"]]

    spend_total = float(sp["cost"].sum())
    spend_unkeyed = float(sp.loc[sp["_ckey"].isna(), "cost"].sum())
    spend_matched = float(frame.loc[frame["status"] == "matched", "spend"].sum())
    n_contacts = len(c)
    no_campaign = int(c["_ckey"].isna().sum())
    matched_keys = set(frame.loc[frame["status"] == "matched", "key"])
    contacts_matched = int(c["_ckey"].isin(matched_keys).sum())
    deals_matched = int(d["_ckey"].isin(matched_keys).sum())
    summary = {
        "spend_total": spend_total,
        "spend_matched": spend_matched,
        "spend_without_campaign": spend_unkeyed,
        "spend_match_rate": spend_matched / spend_total if spend_total else None,
        "contacts_total": n_contacts,
        "contacts_matched": contacts_matched,
        "contacts_without_campaign": no_campaign,
        "contact_match_rate": contacts_matched / n_contacts if n_contacts else None,
        "deals_total": len(d),
        "deals_matched": deals_matched,
        "deal_match_rate": deals_matched / len(d) if len(d) else None,
        "unmatched_crm_names": sorted(
            p.crm_display.get(k, k) for k in frame.loc[frame["status"] == "outcomes without spend", "key"]
        ),
        "spend_without_outcomes": frame.loc[frame["status"] == "spend without outcomes", "campaign"].tolist(),
    }
    frame["campaign"] = [p.crm_display.get(k, k) if not ins else n for k, n, ins in zip(
        frame["key"], frame["campaign"], frame["key"].isin(spend_by.index), strict=True)]  # fmt: skip
    notes = [
        f"{fmt(summary['spend_match_rate'], 'rate')} of spend is on campaigns with at least one CRM outcome."
        if summary["spend_match_rate"] is not None
        else "No spend in the model.",
    ]
    if summary["unmatched_crm_names"]:
        notes.append(
            f"{len(summary['unmatched_crm_names'])} CRM campaign name(s) match no ad campaign: add them to "
            "campaign_map in the client config if they are spellings of a paid campaign."
        )
    if no_campaign:
        notes.append(f"{no_campaign:,} contact(s) have no campaign at all (organic, direct or not tagged).")
    return MatchResult(frame=frame, currency=p.currency, summary=json_safe(summary), notes=tuple(notes))
