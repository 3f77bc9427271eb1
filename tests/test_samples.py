"""Sample data: byte-identical regeneration, model conformance, planted stories, quirks and PII.

The stories are computed here with plain pandas from ``sample_model`` (not
with kpikit's analysis code), and the raw files are re-read with plain
pandas / ``csv`` using each format's known options, so the generator, the
analysis engine and the loaders are all checked against an independent view.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kpikit import cli
from kpikit.config import ClientConfig
from kpikit.model import TABLES, conform
from kpikit.privacy import hash_emails
from kpikit.samples import (
    COMPETITION_CAMPAIGN,
    DATA_SAMPLES,
    FORMULA_CAMPAIGN,
    HTML_CAMPAIGN,
    LADDER,
    SAMPLE_CLIENTS,
    contacts_with_pii,
    duplicate_rows,
    planted_pii,
    sample_config,
    sample_model,
    synthetic_model,
)
from kpikit.samples._build import config_dict

LATE = pd.Timestamp("2026-05-04")  # first Monday of the late period (budget moved on 1 May)
WEEKS = pd.Timedelta(weeks=8)


def _norm(names: pd.Series) -> pd.Series:
    """Campaign-name normalisation a consultant would do by hand: case, spaces, platform prefix."""
    s = names.astype("str").str.strip().str.lower()
    return s.str.replace(r"^(li|fb|ga) - ", "", regex=True)


def _reporting_cost(model) -> pd.Series:
    rate = model.spend["currency"].map(lambda c: model.config.rate(c))
    return model.spend["cost"] * rate


# -- regeneration ----------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_regenerating_gives_byte_identical_committed_files(tmp_path):
    assert cli.main(["samples", "--out", str(tmp_path)]) == 0
    fresh, committed = _files(tmp_path), _files(DATA_SAMPLES)
    assert sorted(fresh) == sorted(committed), "data_samples/ is out of date: run `make samples`"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"regenerated files differ from data_samples/: {changed}; run `make samples`"


def test_data_samples_stay_small_and_list_every_client():
    total = sum(len(b) for b in _files(DATA_SAMPLES).values())
    assert total < 10_000_000  # issue 17: veldmark adds ~2.2 MB of 18-month history
    listed = yaml.safe_load((DATA_SAMPLES / "clients.yaml").read_text(encoding="utf-8"))
    assert listed == [f"{c}/client.yaml" for c in SAMPLE_CLIENTS]


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_client_yaml_is_the_config_sample_model_uses(client):
    path = DATA_SAMPLES / client / "client.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == config_dict(client)
    from_file = ClientConfig.from_yaml(path)
    assert from_file == sample_config(client) == sample_model(client).config
    assert all(e.path.is_file() for e in from_file.exports)
    assert all(e.map.is_file() for e in from_file.exports if e.map is not None)
    assert from_file.target_accounts.is_file()
    assert from_file.kpis == {"campaign_manager": "ctr", "head_of_digital": "clicks", "cmo": "pipeline"}
    foreign = set(sample_model(client).spend["currency"]) - {from_file.currency}
    assert foreign <= set(from_file.fx_rates), "every foreign currency needs an fx rate"


# -- the model -------------------------------------------------------------------------------


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_sample_model_conforms_to_the_data_model(client):
    model = sample_model(client)
    for name, frame in model.tables().items():
        assert list(frame.columns) == list(TABLES[name].names)
        assert {c: str(t) for c, t in frame.dtypes.items()} == TABLES[name].dtypes
        pd.testing.assert_frame_equal(frame, conform(name, frame))
        for col in TABLES[name].required:
            assert frame[col].notna().all(), (name, col)
    c, d, t = model.contacts, model.deals, model.touchpoints
    assert c["contact_key"].is_unique
    assert t["contact_key"].isin(c["contact_key"]).all()
    assert d["contact_key"].dropna().isin(c["contact_key"]).all()
    assert d["deal_id"].is_unique
    raw = contacts_with_pii(client)
    assert (hash_emails(raw["email"], model.config.salt) == c["contact_key"]).all()
    assert (d["is_won"] <= d["is_closed"]).all()
    assert ((model.spend["clicks"] <= model.spend["impressions"]) & (model.spend["cost"] >= 0)).all()
    assert (model.spend["cost"].round(2) == model.spend["cost"]).all()


def test_sample_model_is_deterministic_and_does_not_depend_on_the_date(monkeypatch):
    from kpikit.samples import _build, _truth

    first = sample_model("harbourline")
    _truth.build.cache_clear()
    _build._model.cache_clear()
    again = sample_model("harbourline")
    for name in first.tables():
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert first.contacts["created_date"].max() < pd.Timestamp("2026-07-03")


# -- planted stories -------------------------------------------------------------------------


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_good_clickers_have_the_best_ctr_and_the_worst_opportunities_per_spend(client):
    model = sample_model(client)
    spend = model.spend.assign(cost_rep=_reporting_cost(model))
    ladder = spend[spend["ad_group"].isin(LADDER) | spend["ad_group"].str.startswith("Prospecting - ")]
    assert ladder["campaign"].nunique() == 1
    by = ladder.groupby("ad_group").agg(impr=("impressions", "sum"), clicks=("clicks", "sum"), cost=("cost_rep", "sum"))
    c = model.contacts
    c = c[_norm(c["campaign"]) == _norm(ladder["campaign"].iloc[:1]).iloc[0]]
    by["opps"] = c[c["opportunity_date"].notna()].groupby("ad_group").size()
    by = by.fillna({"opps": 0})
    by["kind"] = np.where(by.index.isin(LADDER), "retargeting", "prospecting")
    kinds = by.groupby("kind")[["impr", "clicks", "cost", "opps"]].sum()
    ctr = kinds["clicks"] / kinds["impr"]
    opps_per_spend = kinds["opps"] / kinds["cost"]
    assert ctr["retargeting"] > 2 * ctr["prospecting"]
    assert opps_per_spend["retargeting"] < 0.5 * opps_per_spend["prospecting"]
    assert kinds.loc["prospecting", "opps"] > 3 * kinds.loc["retargeting", "opps"]
    ladder_ctr = (by["clicks"] / by["impr"]).reindex(list(LADDER))
    assert ladder_ctr.is_monotonic_decreasing, "CTR must rise as the retargeting window narrows"


def test_likes_competition_buys_the_cheapest_engagement_and_no_pipeline():
    model = sample_model("lumora")
    spend = model.spend.assign(cost_rep=_reporting_cost(model))
    by = spend.groupby("campaign").agg(cost=("cost_rep", "sum"), eng=("engagements", "sum"))
    by = by[by["eng"] > 0]
    cpe = by["cost"] / by["eng"]
    assert cpe.idxmin() == COMPETITION_CAMPAIGN
    assert cpe[COMPETITION_CAMPAIGN] * 20 < cpe.drop(COMPETITION_CAMPAIGN).min()
    assert spend.loc[spend["campaign"] == COMPETITION_CAMPAIGN, "currency"].eq("USD").all()
    c = model.contacts
    from_comp = c[_norm(c["campaign"]) == COMPETITION_CAMPAIGN.lower()]
    assert len(from_comp) < 0.001 * by.loc[COMPETITION_CAMPAIGN, "eng"]
    deals = model.deals.merge(from_comp[["contact_key"]], on="contact_key")
    assert deals["amount"].sum() == 0


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_key_accounts_bring_few_contacts_and_visits_but_most_of_the_pipeline(client):
    model = sample_model(client)
    targets = set(model.target_accounts["account_domain"])
    assert 25 <= len(targets) <= 40
    c, d, t = model.contacts, model.deals, model.touchpoints
    key_contacts = c["company_domain"].isin(targets)
    contact_share = key_contacts.mean()
    pipeline_share = d.loc[d["account_domain"].isin(targets), "amount"].sum() / d["amount"].sum()
    visit_share = t["contact_key"].isin(c.loc[key_contacts, "contact_key"]).mean()
    assert contact_share < 0.06 and visit_share < 0.05
    assert pipeline_share > 0.55
    assert pipeline_share > 10 * contact_share


def test_budget_shift_to_retargeting_lifts_ctr_while_opportunities_fall():
    model = sample_model("lumora")
    s, c, d = model.spend, model.contacts, model.deals

    def window(start):
        end = start + WEEKS
        sp = s[(s["date"] >= start) & (s["date"] < end)]
        return {
            "ctr": sp["clicks"].sum() / sp["impressions"].sum(),
            "cost": _reporting_cost(model)[sp.index].sum(),
            "retargeting_share": _reporting_cost(model)[sp.index][sp["ad_group"].isin(LADDER)].sum()
            / _reporting_cost(model)[sp.index].sum(),
            "opps": c["opportunity_date"].between(start, end, inclusive="left").sum(),
            "pipeline": d.loc[d["created_date"].between(start, end, inclusive="left"), "amount"].sum(),
        }

    before, late = window(LATE - WEEKS), window(LATE)
    assert late["retargeting_share"] > 3 * before["retargeting_share"]
    assert abs(late["cost"] / before["cost"] - 1) < 0.1, "same budget, different mix"
    assert late["ctr"] > 1.2 * before["ctr"]
    assert late["opps"] < 0.9 * before["opps"]
    assert late["pipeline"] < 0.8 * before["pipeline"]


# -- quirks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_untrusted_campaign_names_and_unmatched_utms_are_planted(client):
    model = sample_model(client)
    spend_campaigns = set(model.spend["campaign"])
    html = model.spend[model.spend["campaign"] == HTML_CAMPAIGN]
    assert 0 < html["cost"].sum() < 50
    known = set(_norm(pd.Series(sorted(spend_campaigns))))
    utm = model.contacts.loc[model.contacts["medium"].isin(["cpc", "display", "paid_social"]), "campaign"]
    unmatched = set(utm[~_norm(utm).isin(known)]) - set(model.config.campaign_map)
    assert len(unmatched) == 1, unmatched
    raw = set(utm)
    assert any(v != v.strip() for v in raw), "a utm_campaign with a trailing space"
    assert any(v.startswith(("LI - ", "FB - ", "GA - ")) for v in raw), "a platform prefix"
    assert set(model.config.campaign_map) & raw, "a cryptic code that only campaign_map resolves"


def test_formula_campaign_and_foreign_currencies():
    assert FORMULA_CAMPAIGN in set(sample_model("harbourline").spend["campaign"])
    assert set(sample_model("lumora").spend["currency"]) == {"EUR", "USD"}
    assert set(sample_model("harbourline").spend["currency"]) == {"GBP", "EUR"}


def test_exactly_one_duplicated_data_row_in_the_google_ads_export():
    (dup,) = duplicate_rows("ironbridge")
    lines = (DATA_SAMPLES / "ironbridge" / dup["file"]).read_bytes().decode("utf-8").split("\r\n")
    data = [ln for ln in lines[3:] if ln and not ln.startswith("Total:")]
    counts = pd.Series(data).value_counts()
    assert (counts > 1).sum() == 1 and counts.max() == 2
    assert lines[dup["row"] - 1] == lines[dup["duplicate_of"] - 1] == counts.index[0]
    assert len(data) - 1 == (sample_model("ironbridge").spend["source_file"] == dup["file"]).sum()


# -- raw files against the truth (an independent, plain-pandas reading) ----------------------

_SPEND_READERS = {
    # writer -> (read_csv options, cost column, currency)
    "google_ads": None,  # variant-dependent, below
    "linkedin": None,
    "meta": ({"encoding": "utf-8-sig"}, None, None),
    "european_spend": ({"encoding": "utf-8-sig", "sep": ";", "decimal": ","}, "Coût", "EUR"),
}


def _read_spend(client: str, export) -> tuple[pd.DataFrame, str, str | None]:
    path = DATA_SAMPLES / client / export.path
    variant = export.options.get("variant")
    if export.writer == "google_ads":
        opts = {"encoding": "utf-16", "sep": "\t"} if variant == "utf16_tsv" else {"encoding": "utf-8"}
        df = pd.read_csv(path, skiprows=2, thousands=",", **opts)
        df = df[~df["Day"].str.startswith("Total:")].drop_duplicates()
        return df, "Cost", None
    if export.writer == "linkedin":
        opts = {"encoding": "utf-16", "sep": "\t"} if variant == "utf16_tsv" else {"encoding": "utf-8"}
        return pd.read_csv(path, skiprows=5, **opts), "Total Spent", None
    opts, cost, currency = _SPEND_READERS[export.writer]
    df = pd.read_csv(path, **opts)
    if cost is None:
        cost = next(c for c in df.columns if c.startswith("Amount spent ("))
        currency = cost[-4:-1]
    return df, cost, currency


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_raw_spend_exports_reproduce_the_truth_to_the_cent(client):
    from kpikit.samples._clients import CLIENTS

    model = sample_model(client)
    for export in CLIENTS[client].exports:
        if export.table != "spend":
            continue
        df, cost_col, currency = _read_spend(client, export)
        truth = model.spend[model.spend["source_file"] == export.path]
        assert len(df) == len(truth), export.path
        assert round(df[cost_col].astype(float).sum(), 2) == round(truth["cost"].sum(), 2), export.path
        if currency is not None:
            assert set(truth["currency"]) == {currency}
        clicks = "Clics" if "Clics" in df else "Clicks to Landing Page" if "Clicks to Landing Page" in df else None
        clicks = clicks or ("Link clicks" if "Link clicks" in df else "Clicks")
        assert df[clicks].sum() == truth["clicks"].sum(), export.path


def _read_salesforce(path: Path) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="cp1252"), newline="")))
    end = rows.index([""])  # the footer block starts with an empty quoted cell
    assert rows[end + 1][0].startswith("Grand Totals (")
    assert rows[-1][0].startswith("Copyright (c) 2000-2026 salesforce.com")
    return pd.DataFrame(rows[1:end], columns=rows[0])


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_raw_crm_exports_reproduce_rows_and_stage_counts(client):
    from kpikit.samples.writers import HUBSPOT_LIFECYCLE_LABELS

    model = sample_model(client)
    folder = DATA_SAMPLES / client / "exports"
    if model.config.client == "ironbridge":
        leads = _read_salesforce(folder / "salesforce_leads.csv")
        opps = _read_salesforce(folder / "salesforce_opportunities.csv")
        assert len(leads) == len(model.contacts) and len(opps) == len(model.deals)
        assert (leads["Lead Status"] == "Closed - Converted").sum() == model.contacts["opportunity_date"].notna().sum()
        assert opps["Amount"].astype(float).sum() == model.deals["amount"].sum()
        assert leads["Company / Account"].str.contains("ü|é|ö", regex=True).any()
        assert opps["Primary Campaign Source"].str.contains("é|á", regex=True).any()
        stages = opps["Stage"].value_counts()
    else:
        contacts = pd.read_csv(folder / "hubspot_contacts.csv", dtype=str)
        deals = pd.read_csv(folder / "hubspot_deals.csv", dtype={"Record ID": str})
        assert len(contacts) == len(model.contacts) and len(deals) == len(model.deals)
        expected = model.contacts["lifecycle_stage"].map(HUBSPOT_LIFECYCLE_LABELS).value_counts()
        pd.testing.assert_series_equal(contacts["Lifecycle Stage"].value_counts(), expected, check_names=False)
        assert deals["Amount"].sum() == model.deals["amount"].sum()
        stages = deals["Deal Stage"].value_counts()
    pd.testing.assert_series_equal(stages, model.deals["stage"].value_counts(), check_names=False)
    tp = pd.read_csv(folder / "web_touchpoints.csv")
    assert len(tp) == len(model.touchpoints)
    keys = hash_emails(tp["Email"], model.config.salt)
    assert (keys.to_numpy() == model.touchpoints["contact_key"].to_numpy()).all()


# -- personal data ---------------------------------------------------------------------------


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_planted_pii_is_in_the_raw_crm_files_and_never_in_the_model(client):
    pii = planted_pii(client)
    raw = contacts_with_pii(client)
    emails, phones = set(raw["email"]), set(raw["phone"].dropna())
    assert emails <= pii and phones <= pii and len(pii) > 1000
    assert {f"{a} {b}" for a, b in zip(raw["first_name"], raw["last_name"], strict=True)} <= pii
    assert raw["notes"].fillna("").str.contains("\n").any(), "multi-line notes exercise CSV quoting"
    encoding = "cp1252" if client == "ironbridge" else "utf-8"
    text = "".join(
        p.read_text(encoding=encoding)
        for p in (DATA_SAMPLES / client / "exports").iterdir()
        if p.name.startswith(("hubspot_contacts", "salesforce_leads"))
    )
    for value in sorted(emails | phones)[:: max(1, len(emails) // 300)]:
        assert value in text
    assert all(e in text for e in emails)
    assert all(p in text for p in phones)
    model = sample_model(client)
    tokens = {p.lower() for p in pii if len(p) >= 4}
    for name, frame in model.tables().items():
        for col in frame.select_dtypes(include="str").columns:
            values = set(frame[col].dropna())
            assert not values & pii, (name, col)
            assert not any("@" in v for v in values), (name, col)
            # Names never hide inside campaign, company or domain text either, so a loader's
            # substring scan for leaked PII has no false alarms on the sample data.
            text = " | ".join(sorted(values)).lower()
            assert not [t for t in tokens if t in text], (name, col)


def test_free_mail_and_capitalised_addresses_hash_like_the_work_ones():
    raw = contacts_with_pii("lumora")
    assert raw["email"].str.endswith("@gmail.com").any()
    capital = raw["email"][raw["email"] != raw["email"].str.lower()]
    assert len(capital) > 0
    model = sample_model("lumora")
    assert model.contacts["company_domain"].eq(model.contacts["company_domain"].str.lower()).all()


# -- synthetic -------------------------------------------------------------------------------


def test_synthetic_model_is_deterministic_proportional_and_conforms():
    small = synthetic_model(3_000, 9_000, seed=4)
    big = synthetic_model(30_000, 90_000, seed=4)
    for name, frame in small.tables().items():
        pd.testing.assert_frame_equal(frame, conform(name, frame))
        pd.testing.assert_frame_equal(frame, getattr(synthetic_model(3_000, 9_000, seed=4), name))
    assert (len(small.contacts), len(small.touchpoints)) == (3_000, 9_000)
    assert big.contacts["contact_key"].is_unique
    assert big.touchpoints["contact_key"].isin(big.contacts["contact_key"]).all()
    assert 5 < len(big.deals) / len(small.deals) < 20
    assert 5 < len(big.spend) / len(small.spend) < 20
    assert small.spend["cost"].sum() != synthetic_model(3_000, 9_000, seed=5).spend["cost"].sum()
    ladder = small.spend[small.spend["ad_group"].isin(LADDER)]
    assert ladder["clicks"].sum() / ladder["impressions"].sum() > 0.01


def test_write_synthetic_parquet_streams_touchpoints_in_deterministic_blocks(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    import kpikit.samples._synthetic as synth
    from kpikit.ingest.cache import open_entry
    from kpikit.samples import synthetic_config, write_synthetic_parquet

    monkeypatch.setattr(synth, "TOUCH_BLOCK", 1_000)  # several blocks (row groups) on a small client
    write_synthetic_parquet(tmp_path / "a", 2_000, 4_500, seed=6)
    write_synthetic_parquet(tmp_path / "b", 2_000, 4_500, seed=6)
    write_synthetic_parquet(tmp_path / "c", 2_000, 4_500, seed=7)
    a, b, c = (open_entry(tmp_path / x, synthetic_config(s), "256MB") for x, s in (("a", 6), ("b", 6), ("c", 7)))
    assert pq.ParquetFile(tmp_path / "a" / "touchpoints.parquet").num_row_groups == 5
    ref = synthetic_model(2_000, 0, seed=6)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
        if name != "touchpoints":
            pd.testing.assert_frame_equal(getattr(a, name), getattr(ref, name), check_exact=True)
    tp = a.touchpoints
    assert len(tp) == 4_500 and not tp.equals(c.touchpoints)
    pd.testing.assert_frame_equal(tp, conform("touchpoints", tp), check_exact=True)
    assert tp["contact_key"].isin(a.contacts["contact_key"]).all()
    assert tp["timestamp"].notna().all() and set(tp["channel"]) == {
        "paid_search", "paid_social", "email", "organic_search", "direct"
    }  # fmt: skip
    # Blocks are their own streams: not the first block repeated.
    assert (
        not tp["contact_key"]
        .iloc[:1_000]
        .reset_index(drop=True)
        .equals(tp["contact_key"].iloc[1_000:2_000].reset_index(drop=True))
    )
    # Campaigns only on paid channels, and only spend campaigns.
    paid = tp["channel"].isin(["paid_search", "paid_social"])
    assert tp.loc[~paid, "campaign"].isna().all()
    assert set(tp.loc[paid, "campaign"].dropna()) <= set(a.spend["campaign"])
