"""The normalised data model every kpikit analysis runs on.

Raw exports (Google Ads, LinkedIn, Meta, HubSpot, Salesforce, anything with a
column map) are loaded into five tables with fixed, self-explaining column
names. Analysis code never sees a platform's own headers.

=================  ===========================================================
table              one row is
=================  ===========================================================
``spend``          one platform's delivery for one day, campaign and ad group
``contacts``       one person who became a lead, keyed by a salted email hash
``deals``          one opportunity / deal, open, won or lost
``touchpoints``    one marketing interaction of a contact (optional)
``target_accounts`` one key account the client sells to (optional)
=================  ===========================================================

Privacy is part of the model: ``contacts`` has no email, name or phone column.
The loader hashes the email into ``contact_key`` and keeps only the company
domain, which key-account matching needs.

Extra dimensions: any column named ``dim_<name>`` (e.g. ``dim_age``,
``dim_gender``, ``dim_job_function``) is kept as text by :func:`conform`, so a
column map can carry a segmentation the model does not name and analysis can
group by it (``by="dim_age"``).

Naming follows the platforms' own vocabulary where it is unambiguous. One
normalisation matters: **campaign** is what the business plans and budgets
(Google/Meta campaign, LinkedIn *campaign group*), **ad_group** is the targeted
unit under it (Google ad group, Meta ad set, LinkedIn *campaign*).

Examples
--------
>>> from kpikit.model import TABLES, empty_table
>>> TABLES["spend"].required
('date', 'platform', 'campaign', 'impressions', 'clicks', 'cost', 'currency')
>>> list(empty_table("target_accounts").columns)
['account_domain', 'account_name', 'tier']
>>> print(TABLES["spend"].describe().splitlines()[0])
spend: one platform's delivery for one day, campaign and ad group
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.core.measures import STAGES
from kpikit.errors import Problem, ValidationError

__all__ = [
    "Column",
    "Table",
    "TABLES",
    "STAGES",
    "DIMENSION_PREFIX",
    "ClientModel",
    "ParquetTable",
    "empty_table",
    "conform",
    "n_rows",
]

# Funnel stages a contact or deal can reach, in order. The dates live in the
# contacts table (``<stage>_date``) and the deals table (created/close dates).
DIMENSION_PREFIX = "dim_"


@dataclass(frozen=True)
class Column:
    """One column of a normalised table.

    ``dtype`` is a pandas dtype name: ``str``, ``Int64`` (counts, nullable),
    ``float64`` (money), ``datetime64[us]`` (dates), ``boolean``.
    """

    name: str
    dtype: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def describe(self) -> str:
        """A plain-text glossary of the table."""
        lines = [f"{self.name}: {self.description}"]
        for c in self.columns:
            flag = " (required)" if c.required else ""
            lines.append(f"  {c.name:<24} {c.dtype:<15} {c.description}{flag}")
        return "\n".join(lines)


_DATE = "datetime64[us]"
_PROVENANCE = (
    Column("source_file", "str", "export file the row came from (for reconciliation)"),
    Column("source_row", "Int64", "1-based line in that file, as a spreadsheet shows it"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "spend",
            "one platform's delivery for one day, campaign and ad group",
            (
                Column("date", _DATE, "day of delivery (report start date for a summary row)", True),
                Column("date_end", _DATE, "last day a summary row covers (Meta 'Reporting ends'); empty: `date` only"),
                Column("platform", "str", "google_ads, linkedin, meta, or the column map's name", True),
                Column("account", "str", "ad account name or id"),
                Column("campaign", "str", "budgeted campaign (LinkedIn: campaign group)", True),
                Column("ad_group", "str", "targeted unit: ad group, ad set, LinkedIn campaign"),
                Column("impressions", "Int64", "times an ad was shown", True),
                Column("clicks", "Int64", "clicks to the landing page or link: what CTR uses", True),
                Column(
                    "clicks_all",
                    "Int64",
                    "every click incl. likes, shares, expands (Meta 'Clicks (all)', LinkedIn 'Clicks')",
                ),
                Column("engagements", "Int64", "likes, reactions, shares, comments, follows: the vanity outcome"),
                Column("cost", "float64", "spend in `currency`", True),
                Column("currency", "str", "ISO 4217 code of `cost`", True),
                Column("platform_conversions", "float64", "conversions as the platform reports them (self-attributed)"),
                Column("reported_leads", "Int64", "leads / enquiries reported per row (lead forms, offline import)"),
                Column(
                    "reported_outcomes",
                    "Int64",
                    "real outcomes reported per row when there is no CRM (e.g. approved sales)",
                ),
                Column(
                    "reported_revenue",
                    "float64",
                    "sales value reported per row, in `currency` (advertiser's, not agency's)",
                ),
                *_PROVENANCE,
            ),
        ),
        Table(
            "contacts",
            "one person who became a lead; no email, name or phone is ever kept",
            (
                Column("contact_key", "str", "salted SHA-256 of the lower-cased email", True),
                Column("company_domain", "str", "domain of the work email or company website"),
                Column("company", "str", "company (account) name as the CRM has it"),
                Column("created_date", _DATE, "when the contact entered the CRM", True),
                Column("source", "str", "original source / lead source (e.g. Paid Search)"),
                Column("medium", "str", "utm_medium"),
                Column("campaign", "str", "utm_campaign or the CRM's campaign name"),
                Column("ad_group", "str", "utm_content / utm_term: the ad group or audience the lead came from"),
                Column("lifecycle_stage", "str", "current stage: lead, mql, sql, opportunity, won, other"),
                Column("lead_date", _DATE, "became a lead"),
                Column("mql_date", _DATE, "became a marketing qualified lead"),
                Column("sql_date", _DATE, "became a sales qualified lead"),
                Column("opportunity_date", _DATE, "became an opportunity"),
                Column("won_date", _DATE, "became a customer"),
                *_PROVENANCE,
            ),
        ),
        Table(
            "deals",
            "one opportunity or deal, open, won or lost",
            (
                Column("deal_id", "str", "the CRM's deal / opportunity id", True),
                Column("account", "str", "company the deal is with"),
                Column("account_domain", "str", "that company's web domain"),
                Column("contact_key", "str", "hashed primary contact, when the export has one"),
                Column("created_date", _DATE, "deal created", True),
                Column("close_date", _DATE, "closed, or expected close for open deals"),
                Column("amount", "float64", "deal value in `currency`"),
                Column("currency", "str", "ISO 4217 code of `amount`"),
                Column("stage", "str", "the CRM's stage label, unchanged"),
                Column("is_closed", "boolean", "closed (won or lost)"),
                Column("is_won", "boolean", "closed won"),
                Column("source", "str", "lead source / original source"),
                Column("campaign", "str", "source campaign (utm_campaign or primary campaign source)"),
                *_PROVENANCE,
            ),
        ),
        Table(
            "touchpoints",
            "one marketing interaction of a contact, for attribution",
            (
                Column("contact_key", "str", "hashed contact", True),
                Column("timestamp", _DATE, "when it happened", True),
                Column("channel", "str", "e.g. paid_search, paid_social, email, organic", True),
                Column("campaign", "str", "campaign name, when known"),
                *_PROVENANCE,
            ),
        ),
        Table(
            "target_accounts",
            "one key account on the client's target list",
            (
                Column("account_domain", "str", "company web domain, lower case", True),
                Column("account_name", "str", "company name"),
                Column("tier", "str", "e.g. tier 1 / tier 2"),
            ),
        ),
    )
}


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the table's columns and dtypes."""
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in table.columns})


def conform(name: str, frame: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Return ``frame`` with exactly the table's columns, in order, with its dtypes.

    Optional columns that are missing are added empty; required ones must be
    present. Extra columns are dropped, except ``dim_*`` segment columns, which
    are kept (as text, after the documented ones). This is how the model
    guarantees that nothing but documented columns (and so no personal data)
    leaves a loader.

    Raises
    ------
    ValidationError
        listing every missing required column.
    """
    table = TABLES[name]
    missing = [c for c in table.required if c not in frame.columns]
    if missing:
        raise ValidationError(
            [
                Problem(
                    f"the {name} table needs column {c!r}",
                    file=file,
                    column=c,
                    expected=f"a column {c!r}",
                    found=f"columns {list(frame.columns)!r}",
                    fix="map a source column to it in the column map",
                )
                for c in missing
            ],
            file=file,
        )
    out = {}
    n = len(frame)
    for c in table.columns:
        if c.name in frame.columns:
            s = frame[c.name]
            if str(s.dtype) != c.dtype:
                s = s.astype(c.dtype)
            out[c.name] = s.reset_index(drop=True)
        else:
            out[c.name] = pd.Series(index=range(n), dtype=c.dtype)
    for extra in frame.columns:
        if isinstance(extra, str) and extra.startswith(DIMENSION_PREFIX) and extra not in out:
            out[extra] = frame[extra].astype("str").reset_index(drop=True)
    return pd.DataFrame(out, copy=False)  # no consolidation copy: each column keeps its own block


class ParquetTable:
    """A table left in its Parquet file: its length from the file's footer, its rows read on first use.

    A :class:`ClientModel` may hold one in place of a frame (the out-of-core engine's touchpoints,
    :mod:`kpikit.ingest.cache`): ``model.touchpoints`` then reads the file once and returns the
    frame (what ``pd.read_parquet`` gives), so every view works unchanged; the analyses the
    out-of-core engine serves (funnel, costs, attribution, the workshop cube) never ask for it and
    count rows with :meth:`ClientModel.count`.
    """

    def __init__(self, path: str | os.PathLike):
        import pyarrow.parquet as pq  # deferred: only a model read from Parquet needs it

        self.path = Path(path)
        self.num_rows = pq.ParquetFile(self.path).metadata.num_rows
        self._frame: pd.DataFrame | None = None

    def __len__(self) -> int:
        return self.num_rows

    @property
    def loaded(self) -> bool:
        """Whether the rows were read into memory (by a view that needs them)."""
        return self._frame is not None

    def frame(self) -> pd.DataFrame:
        """The table as a frame, read once (later calls return the same frame)."""
        if self._frame is None:
            self._frame = pd.read_parquet(self.path)
        return self._frame

    def __repr__(self) -> str:
        return f"ParquetTable({str(self.path)!r}, {self.num_rows:,} rows{', loaded' if self.loaded else ''})"


@dataclass(frozen=True)
class ClientModel:
    """Everything kpikit knows about one client, normalised.

    Frames are shared, not copied: treat them as read-only (pandas
    copy-on-write makes accidental writes local anyway). ``replace`` returns a
    new model, e.g. with a filtered spend table.
    """

    spend: pd.DataFrame = field(default_factory=lambda: empty_table("spend"))
    contacts: pd.DataFrame = field(default_factory=lambda: empty_table("contacts"))
    deals: pd.DataFrame = field(default_factory=lambda: empty_table("deals"))
    touchpoints: pd.DataFrame = field(default_factory=lambda: empty_table("touchpoints"))
    target_accounts: pd.DataFrame = field(default_factory=lambda: empty_table("target_accounts"))
    config: Any = None
    load_report: Any = None
    # The Parquet cache entry these tables were read from or written to, with the memory limit for
    # the out-of-core engine (kpikit.ingest.cache.ParquetStore); None: in-memory analysis only.
    store: Any = None

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if type(value) is ParquetTable:  # a table left on disk: read when a view asks for it
            return value.frame()
        return value

    def raw(self, name: str) -> Any:
        """The table ``name`` as held: a frame, or a :class:`ParquetTable` not yet read."""
        return object.__getattribute__(self, name)

    def count(self, name: str) -> int:
        """Rows of table ``name``, without reading a table left in Parquet."""
        return len(self.raw(name))

    def replace(self, **changes: Any) -> ClientModel:
        # Not dataclasses.replace: that reads every field, which would load a ParquetTable.
        kwargs = {f.name: self.raw(f.name) for f in fields(self)}
        kwargs.update(changes)
        return type(self)(**kwargs)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={self.count(k):,}" for k in TABLES)
        client = getattr(self.config, "client", None)
        return f"ClientModel({client!r}, {sizes})" if client else f"ClientModel({sizes})"


def n_rows(model: Any, name: str) -> int:
    """Rows of ``model``'s table ``name``, without reading one left in Parquet (any model-like object)."""
    return model.count(name) if isinstance(model, ClientModel) else len(getattr(model, name))
