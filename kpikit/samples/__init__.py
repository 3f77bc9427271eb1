"""Deterministic sample clients: ground truth in memory, raw exports on disk.

Four demo clients, each with the raw files a consultant really receives and
the same data as a normalised :class:`~kpikit.model.ClientModel`:

============  =========================  ========  ===============================================
client        business                   currency  raw exports
============  =========================  ========  ===============================================
lumora        B2B SaaS (data platform)   EUR       Google Ads (UTF-16 TSV), LinkedIn (CSV),
                                                   Meta (USD), HubSpot contacts + deals
ironbridge    industrial equipment       USD       Google Ads (UTF-8 CSV), LinkedIn (UTF-16 TSV),
                                                   Salesforce leads + opportunities (cp1252)
harbourline   professional services      GBP       Google Ads campaign report, Meta, HubSpot,
                                                   a French partner's ``;`` export in EUR (column map)
veldmark      cybersecurity SaaS         EUR       Google Ads (UTF-8 CSV), LinkedIn, Meta, HubSpot:
                                                   18 months (2025-01 .. 2026-06) for forecasting
============  =========================  ========  ===============================================

Every client also has a web-touchpoints export (read through
``column_maps/touchpoints.yaml``), ``target_accounts.csv`` and ``client.yaml``.

Planted stories (see ``kpikit/samples/_clients.py`` for the parameters):

* **good clickers**: ad groups ``Retargeting - clicked 7d/14d/30d/90d`` beside
  ``Prospecting - ...`` audiences (lumora: LinkedIn; ironbridge: Google Display;
  harbourline: Meta). CTR rises as the window narrows; opportunities per spend
  fall. In lumora the budget moves to retargeting from 1 May 2026: CTR goes up,
  opportunities and pipeline go down.
* **likes**: lumora's Meta campaign ``Like & Share to Win - Summer Giveaway``:
  the cheapest engagements, almost no leads, no pipeline.
* **key accounts**: ~30 target accounts per client bring under 5% of the contacts
  and about two thirds of the pipeline.
* **quirks**: an exact duplicated row (ironbridge Google Ads, see
  :func:`duplicate_rows`); a campaign named ``<img src=x onerror=alert(1)>`` in
  every client; ``=HYPERLINK("http://x","y")`` (harbourline Google Ads); a
  utm_campaign no ad export knows; utm_campaign typed with other case, a
  trailing space or a platform prefix (``LI - ``, ``FB - ``, ``GA - ``); a cryptic
  code resolved by ``campaign_map``; spend in a currency that is not the client's.
* **history to forecast from** (veldmark): a yearly demand season, LinkedIn
  prospecting budget +80% from 1 October 2025, and diminishing returns in spend.

What ``sample_model`` holds (and a loader must reproduce from the files):
spend rows once each (the duplicated copy is an export glitch), LinkedIn
campaign group as ``campaign``, ``clicks`` = link / landing-page clicks,
``clicks_all`` = Meta ``Clicks (all)`` / LinkedIn ``Clicks``, ``engagements`` =
Meta ``Post engagements`` / LinkedIn reactions + comments + shares + follows,
``platform_conversions`` = Google ``Conversions`` / LinkedIn and Meta ``Leads``;
contacts' ``campaign`` is the utm_campaign exactly as typed; HubSpot lifecycle
labels map to model stages (``writers.HUBSPOT_LIFECYCLE_LABELS``); Salesforce
``Closed - Converted`` is ``opportunity`` with ``Converted Date`` as
``opportunity_date``; deal ``account_domain`` is the HubSpot contact's email
domain or the Salesforce ``Website`` without ``www.``; ``source_file`` is the path
relative to the client folder and ``source_row`` the spreadsheet row.

Examples
--------
>>> from kpikit.samples import SAMPLE_CLIENTS, sample_model
>>> SAMPLE_CLIENTS
('lumora', 'ironbridge', 'harbourline', 'veldmark')
>>> model = sample_model("lumora")
>>> model.config.currency, sorted(model.spend["currency"].unique())
('EUR', ['EUR', 'USD'])
>>> "<img src=x onerror=alert(1)>" in set(model.spend["campaign"])
True
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from kpikit.model import ClientModel
from kpikit.samples import _build, _synthetic
from kpikit.samples._build import DATA_SAMPLES, SAMPLE_CLIENTS, duplicate_rows, sample_config
from kpikit.samples._clients import COMPETITION_CAMPAIGN, FORMULA_CAMPAIGN, HTML_CAMPAIGN, LADDER
from kpikit.samples.writers import (
    write_european_spend,
    write_google_ads,
    write_hubspot_contacts,
    write_hubspot_deals,
    write_linkedin,
    write_meta,
    write_salesforce_leads,
    write_salesforce_opportunities,
    write_target_accounts,
    write_touchpoints,
)

__all__ = [
    "SAMPLE_CLIENTS",
    "DATA_SAMPLES",
    "HTML_CAMPAIGN",
    "FORMULA_CAMPAIGN",
    "COMPETITION_CAMPAIGN",
    "LADDER",
    "sample_model",
    "sample_config",
    "synthetic_model",
    "synthetic_config",
    "write_synthetic_parquet",
    "synthetic_crm_contacts",
    "planted_pii",
    "duplicate_rows",
    "contacts_with_pii",
    "generate",
    "main",
    "write_google_ads",
    "write_linkedin",
    "write_meta",
    "write_european_spend",
    "write_hubspot_contacts",
    "write_hubspot_deals",
    "write_salesforce_leads",
    "write_salesforce_opportunities",
    "write_touchpoints",
    "write_target_accounts",
]


def sample_model(client: str) -> ClientModel:
    """The ground truth of a sample client as a normalised :class:`~kpikit.model.ClientModel`.

    Built in memory (no file parsing), so analysis can run before any loader
    exists, and tests can compare a loader's output with it. ``contact_key`` is
    :func:`kpikit.privacy.hash_emails` of the planted email with the config's
    salt (``KPIKIT_SALT`` wins, as for a loader). Frames are cached and shared:
    treat them as read-only.

    Parameters
    ----------
    client
        One of :data:`SAMPLE_CLIENTS`.

    Returns
    -------
    ClientModel
        Spend, contacts, deals, touchpoints and target accounts, with
        ``config`` set to the client's :class:`~kpikit.config.ClientConfig`.

    Raises
    ------
    ConfigError
        For an unknown client id.

    Examples
    --------
    >>> from kpikit.samples import sample_model
    >>> m = sample_model("ironbridge")
    >>> m.config.client, m.config.currency
    ('ironbridge', 'USD')
    >>> bool(m.deals["contact_key"].isna().all())  # Salesforce opportunities name no person
    True
    >>> sorted(m.contacts["lifecycle_stage"].unique())
    ['lead', 'mql', 'opportunity', 'sql']
    >>> sample_model("acme")
    Traceback (most recent call last):
    ...
    kpikit.errors.ConfigError: no such sample client (expected one of ['lumora', 'ironbridge', 'harbourline', 'veldmark'], found 'acme'). Fix: pick a client from kpikit.samples.SAMPLE_CLIENTS
    """
    _build.spec_for(client)
    return _build.sample_model(client)


def synthetic_model(n_contacts: int, n_touchpoints: int, seed: int = 0) -> ClientModel:
    """A large random model for benchmarks, built with vectorised numpy only.

    Same shape as the sample clients (search, a LinkedIn prospecting +
    retargeting ladder, a Meta competition; key accounts with big deals), with
    more prospecting ad groups as ``n_contacts`` grows. Spend rows (181 days per
    ad group) and deals (~5% of contacts) scale with ``n_contacts``; touchpoints
    are exactly ``n_touchpoints``. One million contacts and three million
    touchpoints take a few seconds.

    Parameters
    ----------
    n_contacts, n_touchpoints
        Table sizes.
    seed
        Seed of the ``numpy.random.Generator``; same seed, same model.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> m = synthetic_model(2_000, 6_000, seed=1)
    >>> len(m.contacts), len(m.touchpoints), m.contacts["contact_key"].is_unique
    (2000, 6000, True)
    >>> bool(m.deals["contact_key"].isin(m.contacts["contact_key"]).all())
    True
    >>> a, b = synthetic_model(500, 10, seed=3), synthetic_model(500, 10, seed=3)
    >>> a.spend.equals(b.spend) and a.contacts.equals(b.contacts)
    True
    """
    return _synthetic.synthetic_model(n_contacts, n_touchpoints, seed=seed)


def synthetic_config(seed: int = 0):
    """The :class:`~kpikit.config.ClientConfig` of the synthetic client ``seed`` (currency EUR, no exports)."""
    return _synthetic.synthetic_config(seed)


def write_synthetic_parquet(folder, n_contacts: int, n_touchpoints: int, seed: int = 0) -> ClientModel:
    """Write a synthetic client too big for memory as ``folder/<table>.parquet``, touchpoints in blocks.

    For the out-of-core engine's benchmark (``benchmarks/bench_scale.py``): contacts, deals and
    spend are :func:`synthetic_model`'s (in memory while writing); the ``n_touchpoints``
    touchpoints are drawn the same way, a million at a time, each block from its own random
    stream, and appended to ``touchpoints.parquet``, so memory does not grow with them. Same
    arguments, same files. Open the folder with
    ``kpikit.ingest.cache.open_entry(folder, synthetic_config(seed), "4GB")``.

    Returns the model without its touchpoints.

    Examples
    --------
    >>> import tempfile
    >>> from kpikit.ingest.cache import open_entry
    >>> from kpikit.samples import synthetic_config, write_synthetic_parquet
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_synthetic_parquet(folder, 2_000, 6_000, seed=1)
    >>> m = open_entry(folder, synthetic_config(1), "1GB")
    >>> len(m.contacts), m.count("touchpoints"), m.raw("touchpoints").loaded
    (2000, 6000, False)
    """
    return _synthetic.write_synthetic_parquet(folder, n_contacts, n_touchpoints, seed=seed)


def synthetic_crm_contacts(n: int, seed: int = 0):
    """A contacts frame *with fake personal data*, shaped for :func:`write_hubspot_contacts`.

    For export benchmarks, e.g. a million-row HubSpot contacts file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kpikit.samples import synthetic_crm_contacts, write_hubspot_contacts
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "contacts.csv"
    >>> write_hubspot_contacts(synthetic_crm_contacts(1_000), path)
    >>> path.read_text(encoding="utf-8").splitlines()[0][:40]
    'Record ID,First Name,Last Name,Email,Pho'
    >>> len(path.read_text(encoding="utf-8").splitlines())
    1001
    """
    return _synthetic.synthetic_crm_contacts(n, seed=seed)


def contacts_with_pii(client: str):
    """The client's contacts as the CRM export holds them, personal data included.

    A copy of the frame the CRM writer receives (model columns without hashes,
    plus ``email``, ``first_name``, ``last_name``, ``phone``, ``notes`` ...).

    Examples
    --------
    >>> from kpikit.samples import contacts_with_pii
    >>> "email" in contacts_with_pii("harbourline").columns
    True
    """
    _build.spec_for(client)
    return _build.build(client).contacts.copy()


def planted_pii(client: str | None = None) -> set[str]:
    """Every email, person name, phone number and free-text note planted in the CRM files.

    Emails appear as written and lower-cased; names as first, last and
    ``"First Last"``; sales owners too. Short names can be substrings of
    ordinary words: compare whole cell values (or tokens), not substrings.

    Parameters
    ----------
    client
        One sample client, or ``None`` for all of them.

    Examples
    --------
    >>> from kpikit.samples import planted_pii
    >>> pii = planted_pii("lumora")
    >>> any("@" in v for v in pii) and len(pii) > 1000
    True
    >>> planted_pii("lumora") <= planted_pii()
    True
    """
    return _build.planted_pii(client)


def generate(out_dir: str | Path) -> list[Path]:
    """Write every sample client's raw exports, configs and target accounts under ``out_dir``.

    Writes ``<client>/client.yaml``, ``<client>/exports/*``,
    ``<client>/column_maps/*.yaml``, ``<client>/target_accounts.csv``,
    ``clients.yaml`` (a YAML list of the client config paths) and a
    ``.gitattributes`` that keeps the bytes as written. Byte-identical on
    every run and machine.

    Returns
    -------
    list of Path
        The files written, sorted.

    Examples
    --------
    >>> import tempfile
    >>> from kpikit.samples import generate
    >>> files = generate(tempfile.mkdtemp())
    >>> sorted({f.parent.parent.name for f in files if f.parent.name == "exports"})
    ['harbourline', 'ironbridge', 'lumora', 'veldmark']
    """
    return _build.generate(out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """``kpikit samples [--out DIR]``: regenerate the sample data (default: the repo's data_samples/)."""
    parser = argparse.ArgumentParser(prog="kpikit samples", description="Regenerate the deterministic sample data.")
    parser.add_argument("--out", default=str(DATA_SAMPLES), help="output folder (default: %(default)s)")
    args = parser.parse_args(list(argv or []))
    files = generate(args.out)
    size = sum(f.stat().st_size for f in files)
    print(f"kpikit samples: wrote {len(files)} files ({size / 1e6:.1f} MB) to {Path(args.out)}")
    return 0
