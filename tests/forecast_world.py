"""A synthetic client whose generating parameters are known: the forecast is checked against the truth.

Each week every platform spends a budget that moves in steps (so the past 13 weeks are a poor
guide to the next ones), paid leads are Poisson around ``a · (1 − exp(−spend / b))``, organic
leads Poisson around a constant, and every lead becomes an opportunity with its source's chance
after a gamma-distributed number of days; every opportunity is won with one chance after a
longer gamma lag, for a log-normal amount. Nothing dated after the export day exists yet: an
opportunity that would come later is simply a lead that has not converted, and a deal that would
be won later is open. Only tests import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpikit.model import ClientModel, conform

START = pd.Timestamp("2025-01-06")  # a Monday


@dataclass(frozen=True)
class Truth:
    weeks: int = 78
    curves: dict = field(default_factory=lambda: {"search": (300.0, 4_000.0), "social": (200.0, 6_000.0)})
    budgets: dict = field(default_factory=lambda: {"search": 3_000.0, "social": 5_000.0})
    organic_per_week: float = 120.0
    opp_rate: dict = field(default_factory=lambda: {"search": 0.12, "social": 0.08, "organic": 0.05})
    opp_lag_days: tuple = (2.0, 7.0)  # gamma shape, scale: mean 14 days
    won_rate: float = 0.3
    won_lag_days: tuple = (3.0, 15.0)  # mean 45 days
    lost_lag_days: tuple = (2.0, 20.0)
    amount: tuple = (10.0, 0.5)  # log-normal mu, sigma: about EUR 25,000
    rate_jitter: float = 0.0  # sd of a log-normal factor on each lead week's conversion rates (0: constant)

    def expected_leads(self, platform: str, weekly_spend) -> np.ndarray:
        a, b = self.curves[platform]
        return a * (1.0 - np.exp(-np.asarray(weekly_spend, dtype="float64") / b))


def budget_path(truth: Truth, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weekly spend per platform: a level that changes every 6-12 weeks, ±10 % week to week."""
    out = {}
    for platform, base in truth.budgets.items():
        level = np.empty(truth.weeks)
        w = 0
        while w < truth.weeks:
            run = int(rng.integers(6, 13))
            level[w : w + run] = base * rng.uniform(0.3, 1.8)
            w += run
        out[platform] = np.round(level * rng.uniform(0.9, 1.1, truth.weeks), 2)
    return out


def world(seed: int = 0, truth: Truth | None = None) -> tuple[ClientModel, Truth, dict[str, np.ndarray]]:
    """The model, its truth and the weekly spend it was generated from."""
    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    spend_w = budget_path(truth, rng)
    end = START + pd.Timedelta(weeks=truth.weeks)  # the export is taken the Monday after the last week
    spend_rows, leads = [], []
    for platform, weekly in spend_w.items():
        for w, s in enumerate(weekly):
            days = START + pd.Timedelta(weeks=w) + pd.to_timedelta(np.arange(7), unit="D")
            spend_rows.append(
                pd.DataFrame(
                    {"date": days, "platform": platform, "campaign": f"{platform} campaign",
                     "impressions": 1_000, "clicks": 50, "cost": np.full(7, s / 7.0), "currency": "EUR"}
                )
            )  # fmt: skip
            n = rng.poisson(truth.expected_leads(platform, s))
            leads.append((np.full(n, w), np.full(n, platform, dtype=object)))
    for w in range(truth.weeks):
        n = rng.poisson(truth.organic_per_week)
        leads.append((np.full(n, w), np.full(n, "organic", dtype=object)))
    week = np.concatenate([x[0] for x in leads])
    source = np.concatenate([x[1] for x in leads])
    n = len(week)
    created = START + pd.to_timedelta(week * 7 + rng.uniform(0, 7, n), unit="D")
    factor = rng.lognormal(0.0, truth.rate_jitter, truth.weeks) if truth.rate_jitter else np.ones(truth.weeks)
    rate = np.array([truth.opp_rate[s] for s in source]) * factor[week]
    converts = rng.random(n) < rate
    opp_date = created + pd.to_timedelta(rng.gamma(*truth.opp_lag_days, n), unit="D")
    opp_date = pd.Series(opp_date).where(converts & (opp_date < end))
    keys = [f"{i:016x}" for i in rng.permutation(1 << 20)[:n] + (1 << 40)]
    contacts = pd.DataFrame(
        {
            "contact_key": keys,
            "created_date": created,
            "campaign": pd.Series(np.where(source == "organic", None, [f"{s} campaign" for s in source]), dtype="str"),
            "source": np.where(source == "organic", "Organic", "Paid"),
        }
    )
    has = opp_date.notna().to_numpy()
    d_created = pd.to_datetime(opp_date[has].to_numpy())
    m = len(d_created)
    won = rng.random(m) < truth.won_rate
    won_at = d_created + pd.to_timedelta(rng.gamma(*truth.won_lag_days, m), unit="D")
    lost_at = d_created + pd.to_timedelta(rng.gamma(*truth.lost_lag_days, m), unit="D")
    close = pd.Series(np.where(won, won_at, lost_at))
    closed = (close < end).to_numpy()
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(m)],
            "contact_key": np.asarray(keys, dtype=object)[has],
            "created_date": d_created,
            # An open deal shows an expected close date; only closed ones say how it ended.
            "close_date": np.where(closed, close, end + pd.Timedelta(days=30)),
            "amount": np.round(rng.lognormal(*truth.amount, m), 2),
            "currency": "EUR",
            "is_closed": closed,
            "is_won": won & closed,
        }
    )
    deals["close_date"] = pd.to_datetime(deals["close_date"])
    model = ClientModel(
        spend=conform("spend", pd.concat(spend_rows, ignore_index=True)),
        contacts=conform("contacts", contacts),
        deals=conform("deals", deals),
    )
    return model, truth, spend_w
