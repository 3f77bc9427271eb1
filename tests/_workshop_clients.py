"""Sample clients the workshop must survive, built from the generated sample ``lumora``.

``thin``
    only ad exports and CRM contacts: no deals, no touchpoints, no target accounts.
``coarse``
    the same contacts, but ad exports that hold monthly (Meta) and quarterly (Google Ads)
    totals instead of days: nothing to fit a weekly curve to.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ADS = ("google_ads_ad_group_report.csv", "linkedin_campaign_performance.csv", "meta_ads_manager.csv")

_YAML = """client: {client}
name: "{name}"
currency: EUR
fx_rates:
  USD: 0.92
salt: "{client}-salt"
exports:
{exports}
funnel:
  stages: [impressions, clicks, lead, mql, sql, opportunity, won]
  real_outcome: opportunity
kpis:
  campaign_manager: ctr
  head_of_digital: clicks
"""


def _lumora(tmp: Path) -> Path:
    src = ROOT / "data_samples" / "lumora"
    if src.is_dir():
        return src
    from kpikit.samples import generate

    generate(tmp / "_samples")
    return tmp / "_samples" / "lumora"


def _write(folder: Path, client: str, name: str, exports: list[str]) -> Path:
    (folder / "client.yaml").write_text(
        _YAML.format(client=client, name=name, exports="\n".join(f"  - exports/{e}" for e in exports)),
        encoding="utf-8",
    )
    return folder / "client.yaml"


def thin_client(tmp: Path) -> Path:
    """A client with ad exports and CRM contacts only; returns its ``client.yaml``."""
    src = _lumora(tmp) / "exports"
    folder = tmp / "thin"
    (folder / "exports").mkdir(parents=True)
    for f in (*ADS, "hubspot_contacts.csv"):
        shutil.copy(src / f, folder / "exports" / f)
    return _write(folder, "thin", "Thin Data AG", [*ADS, "hubspot_contacts.csv"])


def _google_quarter(days: pd.DataFrame, start: str, end: str, label: str) -> str:
    # Google Ads without a Day column: every row covers the preamble's whole period.
    d = pd.to_datetime(days["Day"])
    q = days[(d >= start) & (d <= end)].copy()
    for c in ("Impr.", "Clicks", "Cost"):
        q[c] = pd.to_numeric(q[c].astype(str).str.replace(",", ""), errors="coerce")
    g = q.groupby(["Campaign", "Ad group", "Campaign type", "Currency code"], as_index=False)[
        ["Impr.", "Clicks", "Cost"]
    ].sum()
    g["Cost"] = g["Cost"].round(2)
    body = g.to_csv(sep="\t", index=False)
    return f"Ad group report\n{label}\n{body}"


def coarse_client(tmp: Path) -> Path:
    """Contacts plus ad exports of monthly (Meta) and quarterly (Google Ads) totals; returns ``client.yaml``."""
    src = _lumora(tmp) / "exports"
    folder = tmp / "coarse"
    (folder / "exports").mkdir(parents=True)
    shutil.copy(src / "hubspot_contacts.csv", folder / "exports" / "hubspot_contacts.csv")
    meta = pd.read_csv(src / "meta_ads_manager.csv", encoding="utf-8-sig")
    start = pd.to_datetime(meta["Reporting starts"])
    meta["Reporting starts"] = start.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    meta["Reporting ends"] = start.dt.to_period("M").dt.end_time.dt.strftime("%Y-%m-%d")
    keys = ["Reporting starts", "Reporting ends", "Campaign name", "Ad set name"]
    sums = [c for c in ("Amount spent (USD)", "Impressions", "Reach", "Link clicks", "Clicks (all)",
                        "Post engagements", "Leads") if c in meta]  # fmt: skip
    monthly = meta.groupby(keys, as_index=False)[sums].sum()
    monthly.to_csv(folder / "exports" / "meta_monthly.csv", index=False, encoding="utf-8-sig")
    google = pd.read_csv(src / "google_ads_ad_group_report.csv", sep="\t", skiprows=2, encoding="utf-16")
    google = google[pd.to_datetime(google["Day"], errors="coerce").notna()]
    for name, (a, b, label) in {
        "google_ads_q1.csv": ("2026-01-01", "2026-03-31", "January 1, 2026 - March 31, 2026"),
        "google_ads_q2.csv": ("2026-04-01", "2026-06-30", "April 1, 2026 - June 30, 2026"),
    }.items():
        (folder / "exports" / name).write_text(_google_quarter(google, a, b, label), encoding="utf-8")
    return _write(
        folder,
        "coarse",
        "Coarse Totals SA",
        ["meta_monthly.csv", "google_ads_q1.csv", "google_ads_q2.csv", "hubspot_contacts.csv"],
    )
