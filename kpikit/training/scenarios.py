"""Seeded practice clients: small, realistic, with both stories planted.

:func:`practice_model` builds a :class:`~kpikit.model.ClientModel` in memory
from a seed. Every seed gives different numbers, but the same shape:

* ``Like & Share Competition`` (Meta): cheap likes, many platform-reported
  conversions, about one real opportunity;
* a campaign manager's programme that ran ``Prospecting - Broad`` for six weeks,
  then moved its budget to the ``Retargeting - clicked 7d/14d/30d/90d`` ladder:
  CTR up, opportunities down;
* ``ABM - Key Accounts`` (LinkedIn): expensive clicks, most of the pipeline,
  from target accounts;
* ``Search - Generic`` (Google Ads): the steady performer;
* touchpoints where paid social opens journeys and email closes them, so
  attribution models disagree.

Examples
--------
>>> from kpikit.training.scenarios import practice_model
>>> m = practice_model(seed=1)
>>> sorted(m.spend["campaign"].unique())[:2]
['ABM - Key Accounts', 'Like & Share Competition']
>>> practice_model(seed=1).contacts.equals(m.contacts)
True
>>> bool(practice_model(seed=2).spend["cost"].sum() != m.spend["cost"].sum())
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.model import ClientModel, conform

__all__ = [
    "practice_model",
    "sample_model",
    "sample_config",
    "START",
    "SWITCH",
    "AS_OF",
    "WEEKS",
    "LIKES",
    "PROSPECTING",
    "RETARGETING",
    "ABM",
    "SEARCH",
    "PROGRAMME",
]

START = pd.Timestamp("2026-01-05")  # a Monday
WEEKS = 12
SWITCH = START + pd.Timedelta(weeks=6)  # the campaign manager moves budget to retargeting
AS_OF = pd.Timestamp("2026-05-31")  # "today" in the practice client's CRM

LIKES = "Like & Share Competition"
PROSPECTING = "Prospecting - Broad"
RETARGETING = "Retargeting"
ABM = "ABM - Key Accounts"
SEARCH = "Search - Generic"
PROGRAMME = (PROSPECTING, RETARGETING)  # the campaign manager's campaigns

_CHANNEL = {"google_ads": "paid_search", "linkedin": "paid_social", "meta": "paid_social"}


@dataclass(frozen=True)
class _Line:
    """One ad group's weekly delivery and funnel rates (ranges drawn per seed)."""

    platform: str
    campaign: str
    ad_group: str
    weeks: range
    impressions: tuple[float, float]
    ctr: tuple[float, float]
    cpc: tuple[float, float]
    lead_rate: tuple[float, float]  # leads per link click
    mql: float
    sql: float
    opp: float
    engagement_rate: tuple[float, float] = (0.0, 0.0)
    other_click_rate: float = 0.001  # expands, profile clicks: in "Clicks (all)" only
    platform_conversion_rate: float = 0.02  # conversions per click the platform claims
    key_account_share: float = 0.0


def _lines() -> list[_Line]:
    before, after, every = range(0, 6), range(6, WEEKS), range(WEEKS)
    return [
        _Line("google_ads", SEARCH, "Generic terms", every, (15_000, 25_000), (0.03, 0.05), (3.0, 4.5),
              (0.04, 0.06), 0.5, 0.4, 0.5, platform_conversion_rate=0.05, key_account_share=0.1),
        _Line("linkedin", ABM, "Tier 1 accounts", every, (8_000, 12_000), (0.004, 0.007), (7.0, 10.0),
              (0.08, 0.12), 0.8, 0.7, 0.7, engagement_rate=(0.002, 0.004), key_account_share=0.9),
        _Line("meta", LIKES, "Competition - fans", every, (200_000, 400_000), (0.001, 0.002), (5.0, 9.0),
              (0.02, 0.04), 0.1, 0.1, 0.0, engagement_rate=(0.003, 0.005), other_click_rate=0.002,
              platform_conversion_rate=0.08),
        _Line("linkedin", PROSPECTING, "Broad - Finance", before, (40_000, 60_000), (0.005, 0.007), (5.0, 7.0),
              (0.08, 0.1), 0.6, 0.5, 0.5, engagement_rate=(0.001, 0.002)),
        _Line("linkedin", PROSPECTING, "Broad - Manufacturing", before, (15_000, 25_000), (0.009, 0.012),
              (5.0, 7.0), (0.08, 0.1), 0.6, 0.5, 0.5, engagement_rate=(0.001, 0.002)),
        _Line("linkedin", RETARGETING, "Retargeting - clicked 7d", after, (1_000, 2_000), (0.05, 0.07),
              (2.0, 3.0), (0.02, 0.03), 0.3, 0.1, 0.0),
        _Line("linkedin", RETARGETING, "Retargeting - clicked 14d", after, (2_000, 4_000), (0.03, 0.04),
              (2.0, 3.0), (0.02, 0.03), 0.3, 0.1, 0.0),
        _Line("linkedin", RETARGETING, "Retargeting - clicked 30d", after, (4_000, 7_000), (0.015, 0.02),
              (2.5, 3.5), (0.02, 0.03), 0.3, 0.1, 0.0),
        _Line("linkedin", RETARGETING, "Retargeting - clicked 90d", after, (8_000, 14_000), (0.008, 0.011),
              (3.0, 4.0), (0.02, 0.03), 0.3, 0.1, 0.0),
    ]  # fmt: skip


def _u(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


_TARGETS = [f"{name}.com" for name in ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark",
                                        "wayne", "wonka", "tyrell", "cyberdyne", "soylent")]  # fmt: skip
_OTHER = [f"company{i:03d}.com" for i in range(400)]


@lru_cache(maxsize=64)
def practice_model(seed: int = 0) -> ClientModel:
    """A small practice client generated from ``seed`` (cached; treat frames as read-only).

    Parameters
    ----------
    seed
        Any integer; the same seed always gives the same client.

    Returns
    -------
    ClientModel
        spend (weekly rows per ad group), contacts, deals, touchpoints and
        target_accounts, in USD, with ``config.funnel.real_outcome == "opportunity"``.

    Examples
    --------
    >>> m = practice_model(4)
    >>> m.config.client, m.config.funnel.real_outcome
    ('practice-4', 'opportunity')
    >>> int(m.contacts.loc[m.contacts["campaign"] == LIKES, "opportunity_date"].count())  # one real fan
    1
    """
    rng = np.random.default_rng([20260105, int(seed)])
    spend_rows, contact_rows = [], []
    for line in _lines():
        impressions_week, ctr = _u(rng, line.impressions), _u(rng, line.ctr)
        cpc, lead_rate, eng = _u(rng, line.cpc), _u(rng, line.lead_rate), _u(rng, line.engagement_rate)
        for w in line.weeks:
            impressions = int(impressions_week * rng.uniform(0.8, 1.2))
            clicks = int(rng.binomial(impressions, ctr))
            engagements = int(rng.binomial(impressions, eng)) if eng else 0
            other = int(rng.binomial(impressions, line.other_click_rate))
            week = START + pd.Timedelta(weeks=w)
            spend_rows.append(
                {
                    "date": week,
                    "platform": line.platform,
                    "account": "Practice Co",
                    "campaign": line.campaign,
                    "ad_group": line.ad_group,
                    "impressions": impressions,
                    "clicks": clicks,
                    "clicks_all": clicks + engagements + other,
                    "engagements": engagements,
                    "cost": round(clicks * cpc * rng.uniform(0.9, 1.1), 2),
                    "currency": "USD",
                    "platform_conversions": float(round(clicks * line.platform_conversion_rate)),
                }
            )
            for _ in range(int(rng.binomial(clicks, lead_rate))):
                contact_rows.append(_contact(rng, line, week))
    _plant(rng, contact_rows, LIKES, 1)  # the bank's "one real fan"
    _plant(rng, contact_rows, RETARGETING, int(rng.integers(2, 5)))  # recent clickers rarely become pipeline
    spend = conform("spend", pd.DataFrame(spend_rows))
    contacts_raw = pd.DataFrame(contact_rows)
    contacts_raw.insert(0, "contact_key", [f"{seed % 997:03d}{i:013x}" for i in range(len(contacts_raw))])
    deals = _deals(rng, contacts_raw)
    contacts_raw["won_date"] = contacts_raw["contact_key"].map(
        deals.loc[deals["is_won"].astype(bool)].set_index("contact_key")["close_date"]
    )
    contacts_raw["lifecycle_stage"] = _stage(contacts_raw)
    contacts = conform("contacts", contacts_raw.drop(columns=["key_account"]))
    touchpoints = _touchpoints(rng, contacts_raw)
    targets = pd.DataFrame(
        {"account_domain": _TARGETS, "account_name": [d.split(".")[0].title() for d in _TARGETS], "tier": "tier 1"}
    )
    config = ClientConfig.from_dict(
        {
            "client": f"practice-{int(seed)}",
            "name": f"Practice Co (seed {int(seed)})",
            "currency": "USD",
            "kpis": {"campaign_manager": "ctr", "head_of_digital": "clicks", "cmo": "pipeline"},
        }
    )
    return ClientModel(
        spend=spend,
        contacts=contacts,
        deals=conform("deals", deals),
        touchpoints=conform("touchpoints", touchpoints),
        target_accounts=conform("target_accounts", targets),
        config=config,
    )


def _contact(rng: np.random.Generator, line: _Line, week: pd.Timestamp) -> dict:
    lead = week + pd.Timedelta(days=int(rng.integers(0, 7)), hours=int(rng.integers(8, 18)))
    key_account = bool(rng.random() < line.key_account_share)
    row = {
        "company_domain": str(rng.choice(_TARGETS if key_account else _OTHER)),
        "created_date": lead,
        "source": line.platform,
        "medium": "cpc",
        "campaign": line.campaign,
        "ad_group": line.ad_group,
        "lead_date": lead,
        "mql_date": pd.NaT,
        "sql_date": pd.NaT,
        "opportunity_date": pd.NaT,
        "key_account": key_account,
    }
    when = lead
    for stage, p, days in (("mql", line.mql, (1, 10)), ("sql", line.sql, (2, 15)), ("opportunity", line.opp, (3, 25))):
        if key_account and line.key_account_share < 0.5:
            p = min(1.0, p * 1.6)  # key-account leads progress more often wherever they come from
        if rng.random() >= p:
            break
        when = when + pd.Timedelta(days=int(rng.integers(*days)))
        if when > AS_OF:
            break
        row[f"{stage}_date"] = when
    return row


def _plant(rng: np.random.Generator, rows: list[dict], campaign: str, n: int) -> None:
    """Exactly ``n`` leads of ``campaign`` become opportunities (the rest of its funnel is left as drawn)."""
    pool = [r for r in rows if r["campaign"] == campaign and r["opportunity_date"] is pd.NaT]
    for i in rng.choice(len(pool), size=min(n, len(pool)), replace=False):
        lead = pool[int(i)]
        lead["mql_date"] = lead["created_date"] + pd.Timedelta(days=3)
        lead["sql_date"] = lead["created_date"] + pd.Timedelta(days=9)
        lead["opportunity_date"] = lead["created_date"] + pd.Timedelta(days=20)


def _deals(rng: np.random.Generator, contacts: pd.DataFrame) -> pd.DataFrame:
    opps = contacts.loc[contacts["opportunity_date"].notna()]
    n = len(opps)
    created = opps["opportunity_date"].to_numpy()
    key = opps["key_account"].to_numpy()
    winner = rng.random(n) < np.where(key, 0.6, 0.4)
    # Won deals take about two months; lost ones are usually dropped within a few weeks.
    # Won cycles are skewed (a few drag on for months), so their mean and median differ.
    days = np.where(winner, 30 + rng.lognormal(np.log(30.0), 0.35, n), np.maximum(2, rng.gamma(2.0, 6.0, n)))
    # A quarter of the winners that can still close before the export are enterprise deals that drag
    # on for weeks more: the long tail every real pipeline has, which pulls the mean above the median.
    room = (AS_OF - pd.to_datetime(created)).days.to_numpy() - days
    slow = np.flatnonzero(winner & (room > 50))
    slow = slow[np.argsort(created[slow], kind="stable")][: max(4, len(slow) // 4)]
    days[slow] += rng.uniform(35, 50, len(slow))
    days = days.round()
    close = pd.to_datetime(created) + pd.to_timedelta(days, unit="D")
    closed = close <= AS_OF
    won = closed & winner
    # An open deal's close date is the salesperson's forecast, somewhere after the export.
    forecast = AS_OF + pd.to_timedelta(rng.integers(14, 90, n), unit="D")
    close = close.where(closed, forecast)
    amount = np.where(key, rng.uniform(40_000, 120_000, n), rng.uniform(8_000, 30_000, n)).round(-2)
    return pd.DataFrame(
        {
            "deal_id": [f"D-{i:05d}" for i in range(n)],
            "account": [d.split(".")[0].title() for d in opps["company_domain"]],
            "account_domain": opps["company_domain"].to_numpy(),
            "contact_key": opps["contact_key"].to_numpy(),
            "created_date": created,
            "close_date": close,
            "amount": amount,
            "currency": "USD",
            "stage": np.where(won, "Closed Won", np.where(closed, "Closed Lost", "Proposal")),
            "is_closed": closed,
            "is_won": won,
            "source": opps["source"].to_numpy(),
            "campaign": opps["campaign"].to_numpy(),
        }
    )


def _stage(contacts: pd.DataFrame) -> pd.Series:
    stage = pd.Series("lead", index=contacts.index, dtype="str")
    for name in ("mql", "sql", "opportunity", "won"):
        stage = stage.mask(contacts[f"{name}_date"].notna(), name)
    return stage


def _touchpoints(rng: np.random.Generator, contacts: pd.DataFrame) -> pd.DataFrame:
    """Journeys: an optional organic or social opener, the ad that made the lead, email nurture, and
    (for some converters) a visit after the conversion, which no model may credit."""
    rows = []
    for c in contacts.itertuples(index=False):
        channel = _CHANNEL[c.source]
        lead = c.created_date
        if rng.random() < 0.5:
            opener = "paid_social" if rng.random() < 0.7 else "organic"
            rows.append((c.contact_key, lead - pd.Timedelta(days=int(rng.integers(3, 30))), opener, None))
        rows.append((c.contact_key, lead, channel, c.campaign))
        end = c.opportunity_date if pd.notna(c.opportunity_date) else lead + pd.Timedelta(days=30)
        span = max(1, int((end - lead).days))
        # People who go on to convert open more of the nurture emails.
        for _ in range(int(rng.integers(0, 3 if pd.notna(c.opportunity_date) else 2))):
            rows.append((c.contact_key, lead + pd.Timedelta(days=int(rng.integers(0, span))), "email", "Nurture"))
        if pd.notna(c.opportunity_date) and rng.random() < 0.6:
            # After the conversion: a visit to the pricing page. It must not earn credit.
            rows.append((c.contact_key, end + pd.Timedelta(days=int(rng.integers(1, 20))), "organic", None))
    out = pd.DataFrame(rows, columns=["contact_key", "timestamp", "channel", "campaign"])
    return out.sort_values(["contact_key", "timestamp"], kind="stable").reset_index(drop=True)


def sample_model(client: str) -> ClientModel:
    """The sample client ``client`` (``kpikit.samples.sample_model``), money in its reporting currency.

    Workbooks import only from ``kpikit`` and its ``training`` namespace; this
    is the door to the sample data the stories are planted in. Spend billed in
    another currency is converted with the client's ``fx_rates``, as
    ``kpikit.load_client`` would.

    Examples
    --------
    >>> m = sample_model("lumora")
    >>> m.spend["currency"].unique().tolist()
    ['EUR']
    """
    from kpikit.analysis import to_reporting_currency
    from kpikit.samples import sample_model as _sample_model  # the samples package is heavy: load on use

    return to_reporting_currency(_sample_model(client))


def sample_config(client: str):
    """Path of the sample client's ``client.yaml`` in ``data_samples/`` (for ``kpikit.load_client``).

    Examples
    --------
    >>> sample_config("lumora").name
    'client.yaml'
    """
    from kpikit.samples import DATA_SAMPLES

    return DATA_SAMPLES / client / "client.yaml"
