"""Write frames as the raw files each platform's UI really exports.

Each writer takes a frame with the normalised model's column names (plus the
personal-data columns for CRM exports: ``email``, ``first_name``, ``last_name``,
``phone``, ``job_title``, ``owner``, ``notes``, ``record_id``) and writes bytes
that reproduce the platform's quirks: encodings, preambles, footers, number
formats, line endings. Writers use no randomness: the same frame always gives
the same bytes.

=============================  ==========================================================
writer                         format
=============================  ==========================================================
:func:`write_google_ads`       Google Ads UI report: ``utf16_tsv`` (UTF-16 LE + BOM, tabs)
                               or ``utf8_csv``; 2 preamble lines, ``Total:`` footers,
                               ``--`` empties, ``1,234.56``, ``2.00%``; CRLF
:func:`write_linkedin`         Campaign Manager: 4 preamble lines + blank line, M/D/YYYY;
                               ``csv`` (UTF-8) or ``utf16_tsv``; CRLF
:func:`write_meta`             Ads Manager: UTF-8 + BOM, ``Amount spent (USD)``,
                               ``Link clicks`` and ``Clicks (all)``, ``Results``; LF
:func:`write_hubspot_contacts` HubSpot contacts: display labels, UTM and lifecycle dates; LF
:func:`write_hubspot_deals`    HubSpot deals with associated contact and company; LF
:func:`write_salesforce_leads` Salesforce report: every value quoted, Windows-1252,
                               M/D/YYYY, ``Grand Totals`` / confidential / copyright footer; CRLF
:func:`write_salesforce_opportunities`  same format, opportunities
:func:`write_touchpoints`      generic CSV of web activity (needs a column map); LF
:func:`write_european_spend`   French partner export: ``;``, decimal comma, DD/MM/YYYY; CRLF
:func:`write_target_accounts`  ``account_domain,account_name,tier``; LF
=============================  ==========================================================

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> from kpikit.samples.writers import write_target_accounts
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> write_target_accounts(pd.DataFrame({"account_domain": ["acme.com"], "account_name": ["Acme"],
...                                     "tier": ["Tier 1"]}), path)
>>> path.read_bytes()
b'account_domain,account_name,tier\\nacme.com,Acme,Tier 1\\n'
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "WRITERS",
    "first_data_row",
    "write_google_ads",
    "write_linkedin",
    "write_meta",
    "write_hubspot_contacts",
    "write_hubspot_deals",
    "write_salesforce_leads",
    "write_salesforce_opportunities",
    "write_touchpoints",
    "write_european_spend",
    "write_target_accounts",
    "HUBSPOT_LIFECYCLE_LABELS",
]

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
HUBSPOT_LIFECYCLE_LABELS = {
    "lead": "Lead",
    "mql": "Marketing Qualified Lead",
    "sql": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "won": "Customer",
    "other": "Other",
}
SALESFORCE_FOOTER_YEAR = 2026  # fixed, so regeneration never depends on today's date


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":  # what Google Ads and LinkedIn write: little endian with a BOM
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)  # strict: a character the encoding lacks is a bug, not a '?'


def _cells(column) -> pa.Array:
    """One column as Arrow text; missing -> empty cell."""
    if isinstance(column, pd.Series):
        column = column.astype("str").array
    arr = pa.array(column, type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.fill_null(arr, "")


def _quote(arr: pa.Array, sep: str, quote_all: bool) -> pa.Array:
    """Quote like ``csv.QUOTE_MINIMAL`` (or ``QUOTE_ALL``), vectorised in Arrow."""
    needs = None if quote_all else _needs_quotes(arr, sep)
    if needs is not None and not needs.any():
        return arr
    q, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    quoted = pc.binary_join_element_wise(q, pc.replace_substring(arr, '"', '""'), q, empty)
    return quoted if needs is None else pc.if_else(pa.array(needs), quoted, arr)


def _needs_quotes(arr: pa.Array, sep: str) -> np.ndarray:
    """Which cells hold the separator, a quote, CR or LF (what makes ``csv.QUOTE_MINIMAL`` quote).

    Scans the UTF-8 bytes once with numpy (ASCII bytes never occur inside a
    multi-byte character): four ``match_substring`` passes per column were
    the slowest part of writing a million-row export.
    """
    mask = np.zeros(len(arr), dtype=bool)
    _, offsets_buf, data_buf = arr.buffers()
    if data_buf is None or not len(arr):
        return mask
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    special = (data == ord(sep)) | (data == ord('"')) | (data == ord("\r")) | (data == ord("\n"))
    hits = np.flatnonzero(special) + offsets[0]
    mask[np.searchsorted(offsets, hits, side="right") - 1] = True
    return mask


def _write(
    path: str | os.PathLike,
    header: Sequence[str],
    columns: Sequence,
    *,
    encoding: str = "utf-8",
    sep: str = ",",
    newline: str = "\n",
    quote_all: bool = False,
    preamble: Iterable[Sequence[str]] = (),
    footer: Iterable[Sequence[str]] = (),
    repeat: int | None = None,
) -> None:
    """Write rows column-wise, quoted exactly as the ``csv`` module would.

    The data rows are built in Arrow (a million-row export takes seconds, not
    a minute); preamble, header and footer go through ``csv``. ``repeat``
    writes that data row twice (an export glitch).
    """
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL

    def lines(rows: Iterable[Sequence[str]]) -> str:
        buf = io.StringIO()
        csv.writer(buf, delimiter=sep, lineterminator=newline, quoting=quoting).writerows(rows)
        return buf.getvalue()

    head = lines([*preamble, header])
    body = ""
    if columns and len(columns[0]):
        cells = [_quote(_cells(c), sep, quote_all) for c in columns]
        rows = pc.binary_join_element_wise(*cells, pa.scalar(sep, pa.large_string())).to_pylist()
        if repeat is not None:
            rows.insert(repeat + 1, rows[repeat])
        body = newline.join(rows) + newline
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(_encode(head + body + lines(footer), encoding))


# -- value formatting (vectorised where the frames can be big) ------------------------------


def _s(series: pd.Series) -> pd.Series:
    """Text as is (missing stays missing: an empty cell)."""
    return series.astype("str")


def _int(series: pd.Series, thousands: bool = False) -> list[str]:
    fmt = "{:,}" if thousands else "{}"
    return ["" if pd.isna(v) else fmt.format(int(v)) for v in series]


def _money(series: pd.Series, thousands: bool = False, decimal: str = ".") -> list[str]:
    fmt = "{:,.2f}" if thousands else "{:.2f}"
    out = ["" if pd.isna(v) else fmt.format(float(v)) for v in series]
    return [v.replace(".", decimal) for v in out] if decimal != "." else out


def _iso(series: pd.Series, unit: str) -> pa.Array:
    """ISO text at ``unit`` precision ('D', 'm', 's') with a space before the time; NaT -> empty.

    Days and times of day are looked up in small tables and joined in Arrow:
    ``strftime`` (numpy's or Arrow's) costs about a second per million values.
    """
    ls = pa.large_string()
    arr = series.to_numpy(dtype="datetime64[us]")
    nat = np.isnat(arr)
    if nat.all():
        return pa.array([""] * len(arr), type=ls)
    arr = np.where(nat, arr[~nat].min(), arr)
    days = arr.astype("datetime64[D]")
    first = days.min()
    table = np.datetime_as_string(np.arange(first, days.max() + 1), unit="D")
    parts = [pc.take(pa.array(table, type=ls), pa.array((days - first).astype(np.int64)))]
    if unit != "D":
        per_day = 1440 if unit == "m" else 86400
        clock = np.arange(per_day, dtype=np.int64) * (60 if unit == "m" else 1)
        names = (np.datetime64("2000-01-01", "s") + clock).astype(f"datetime64[{unit}]")
        times = pa.array(np.char.partition(np.datetime_as_string(names, unit=unit), "T")[:, 2], type=ls)
        since = (arr - days).astype(f"timedelta64[{unit}]").astype(np.int64)
        parts += [pa.scalar(" ", ls), pc.take(times, pa.array(since))]
    text = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, pa.scalar("", ls))
    return pc.if_else(pa.array(nat), pa.scalar("", ls), text)


def _mdy(series: pd.Series) -> list[str]:
    """US M/D/YYYY without leading zeros; NaT -> ''."""
    s = pd.to_datetime(series)
    text = s.dt.month.astype("Int64").astype("str") + "/" + s.dt.day.astype("Int64").astype("str")
    text = text + "/" + s.dt.year.astype("Int64").astype("str")
    return text.fillna("").tolist()


def _long_date(d: pd.Timestamp) -> str:
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


# -- spend ---------------------------------------------------------------------------------


def write_google_ads(
    spend: pd.DataFrame,
    path: str | os.PathLike,
    *,
    variant: str = "utf16_tsv",
    level: str = "ad_group",
    duplicate: float | None = None,
    campaign_type: pd.Series | None = None,
) -> None:
    """Google Ads UI report, daily rows, with preamble and ``Total:`` footer rows.

    Parameters
    ----------
    spend
        Model spend rows (``date``, ``campaign``, ``ad_group``, ``impressions``,
        ``clicks``, ``cost``, ``currency``, ``platform_conversions``), in file order.
    path
        Where to write.
    variant
        ``"utf16_tsv"`` (UTF-16 LE with BOM, tab-separated) or ``"utf8_csv"``.
    level
        ``"ad_group"`` or ``"campaign"`` (no ad group column).
    duplicate
        Fraction of the way through the rows at which one data row is written twice.
    campaign_type
        ``Search`` / ``Display`` per row (default ``Search``).
    """
    sep, encoding = ("\t", "utf-16") if variant == "utf16_tsv" else (",", "utf-8")
    n = len(spend)
    ctype = pd.Series(["Search"] * n, dtype="str") if campaign_type is None else campaign_type.reset_index(drop=True)
    impr = spend["impressions"].to_numpy(dtype="int64")
    clicks = spend["clicks"].to_numpy(dtype="int64")
    cost = spend["cost"].to_numpy(dtype=float)
    ctr = [f"{c / i * 100:.2f}%" if i else "--" for c, i in zip(clicks, impr, strict=True)]
    cpc = [f"{x / c:,.2f}" if c else "--" for x, c in zip(cost, clicks, strict=True)]
    # Search impression share is a search-only metric: display rows show " --".
    share = [
        " --" if t != "Search" else ("< 10%" if c == 0 else f"{min(90.0, 100 * c / max(i, 1) * 9 + 12):.2f}%")
        for t, c, i in zip(ctype, clicks, impr, strict=True)
    ]
    header = ["Day", "Campaign"] + (["Ad group"] if level == "ad_group" else [])
    header += ["Campaign type", "Currency code", "Impr.", "Clicks", "CTR", "Avg. CPC", "Cost", "Conversions"]
    header += ["Search impr. share"]
    cols = [_iso(spend["date"], "D"), _s(spend["campaign"])]
    if level == "ad_group":
        cols.append(_s(spend["ad_group"]))
    cols += [
        ctype.tolist(),
        _s(spend["currency"]),
        _int(spend["impressions"], thousands=True),
        _int(spend["clicks"], thousands=True),
        ctr,
        cpc,
        _money(spend["cost"], thousands=True),
        _money(spend["platform_conversions"], thousands=True),
        share,
    ]
    start, end = pd.Timestamp(spend["date"].min()), pd.Timestamp(spend["date"].max())
    title = "Ad group report" if level == "ad_group" else "Campaign report"
    preamble = [[title], [f"{_long_date(start)} - {_long_date(end)}"]]
    pad = [""] * (1 if level == "ad_group" else 0)

    def total(label: str, mask: np.ndarray) -> list[str]:
        i, c, x = int(impr[mask].sum()), int(clicks[mask].sum()), float(cost[mask].sum())
        conv = float(spend["platform_conversions"].to_numpy(dtype=float)[mask].sum())
        cur = spend["currency"].iloc[0]
        return [label, "--", *["--"] * len(pad), "--", cur, f"{i:,}", f"{c:,}",
                f"{c / i * 100:.2f}%" if i else "--", f"{x / c:,.2f}" if c else "--", f"{x:,.2f}", f"{conv:,.2f}",
                " --"]  # fmt: skip

    footer = [total(f"Total: {t}", ctype.to_numpy() == t) for t in sorted(set(ctype))]
    footer.append(total("Total: Account", np.ones(n, dtype=bool)))
    repeat = None if duplicate is None else int(duplicate * n)
    _write(path, header, cols, encoding=encoding, sep=sep, newline="\r\n", preamble=preamble, footer=footer,
           repeat=repeat)  # fmt: skip


def _linkedin_split(engagements: pd.Series) -> list[list[str]]:
    """Reactions, comments, shares, follows that sum to ``engagements`` (deterministic split)."""
    e = engagements.fillna(0).to_numpy(dtype="int64")
    reactions = (e * 0.6).astype("int64")
    comments = (e * 0.1).astype("int64")
    shares = (e * 0.2).astype("int64")
    follows = e - reactions - comments - shares
    return [[str(int(v)) for v in a] for a in (reactions, comments, shares, follows)]


def write_linkedin(spend: pd.DataFrame, path: str | os.PathLike, *, variant: str = "csv") -> None:
    """LinkedIn Campaign Manager campaign performance export, one row per day and LinkedIn campaign.

    LinkedIn's *campaign group* is the model's ``campaign`` and its *campaign* the
    model's ``ad_group``. ``Clicks`` counts every click (``clicks_all``);
    ``Clicks to Landing Page`` is ``clicks``; engagements are split over
    Reactions, Comments, Shares and Follows.
    """
    sep, encoding = ("\t", "utf-16") if variant == "utf16_tsv" else (",", "utf-8")
    start, end = pd.Timestamp(spend["date"].min()), pd.Timestamp(spend["date"].max())
    generated = end + pd.Timedelta(days=3)  # exported a few days after the last delivery day
    ids = {name: str(187_654_300 + 1117 * i) for i, name in enumerate(dict.fromkeys(spend["ad_group"]))}
    preamble = [
        ["Campaign Performance Report (in UTC)"],
        [f"Report Start: {start.month}/{start.day}/{start.year}, 12:00 AM"],
        [f"Report End: {end.month}/{end.day}/{end.year}, 11:59 PM"],
        [f"Date Generated: {generated.month}/{generated.day}/{generated.year}, 8:14 AM"],
        [],
    ]
    header = [
        "Start Date (in UTC)", "Account Name", "Campaign Group Name", "Campaign Name", "Campaign ID",
        "Campaign Type", "Total Spent", "Currency", "Impressions", "Clicks", "Clicks to Landing Page",
        "Reactions", "Comments", "Shares", "Follows", "Leads",
    ]  # fmt: skip
    cols = [
        _mdy(spend["date"]),
        _s(spend["account"]),
        _s(spend["campaign"]),
        _s(spend["ad_group"]),
        [ids[a] for a in spend["ad_group"]],
        ["Sponsored Content"] * len(spend),
        _money(spend["cost"]),
        _s(spend["currency"]),
        _int(spend["impressions"]),
        _int(spend["clicks_all"]),
        _int(spend["clicks"]),
        *_linkedin_split(spend["engagements"]),
        _int(spend["platform_conversions"]),
    ]
    _write(path, header, cols, encoding=encoding, sep=sep, newline="\r\n", preamble=preamble)


def write_meta(spend: pd.DataFrame, path: str | os.PathLike, *, objective: pd.Series | None = None) -> None:
    """Meta Ads Manager export, one row per day and ad set, currency in the header.

    ``Results`` follow each campaign's objective: leads for lead campaigns,
    post engagements for ``objective == "engagement"``; empty when zero.
    """
    currency = spend["currency"].iloc[0]
    obj = (
        pd.Series(["leads"] * len(spend), dtype="str") if objective is None else objective.reset_index(drop=True)
    ).to_numpy()
    leads = spend["platform_conversions"].fillna(0).to_numpy(dtype="int64")
    eng = spend["engagements"].fillna(0).to_numpy(dtype="int64")
    impr = spend["impressions"].to_numpy(dtype="int64")
    clicks = spend["clicks"].to_numpy(dtype="int64")
    clicks_all = spend["clicks_all"].fillna(0).to_numpy(dtype="int64")
    cost = spend["cost"].to_numpy(dtype=float)
    results = np.where(obj == "engagement", eng, leads)
    indicator = np.where(obj == "engagement", "actions:post_engagement", "actions:onsite_conversion.lead_grouped")
    header = [
        "Reporting starts", "Reporting ends", "Campaign name", "Ad set name", "Results", "Result indicator",
        f"Amount spent ({currency})", "Impressions", "Reach", "Link clicks", "Clicks (all)",
        "CTR (link click-through rate)", "CTR (all)", "Post engagements", "Leads", "Cost per result",
    ]  # fmt: skip
    day = _iso(spend["date"], "D")
    cols = [
        day,
        day,
        _s(spend["campaign"]),
        _s(spend["ad_group"]),
        [str(int(r)) if r else "" for r in results],
        [str(t) if r else "" for t, r in zip(indicator, results, strict=True)],
        _money(spend["cost"]),
        [str(int(i)) for i in impr],
        [str(int(i / 1.35)) for i in impr],
        [str(int(c)) for c in clicks],
        [str(int(c)) for c in clicks_all],
        [f"{c / i * 100:.2f}" for c, i in zip(clicks, impr, strict=True)],
        [f"{c / i * 100:.2f}" for c, i in zip(clicks_all, impr, strict=True)],
        [str(int(e)) for e in eng],
        [str(int(v)) for v in leads],
        [f"{x / r:.2f}" if r else "" for x, r in zip(cost, results, strict=True)],
    ]
    _write(path, header, cols, encoding="utf-8-sig")


def write_european_spend(spend: pd.DataFrame, path: str | os.PathLike) -> None:
    """A French media partner's spend export: ``;``, decimal comma, DD/MM/YYYY, UTF-8 with BOM, CRLF.

    It has no currency column: the column map supplies it as a constant.
    """
    d = pd.to_datetime(spend["date"])
    header = ["Date", "Campagne", "Emplacement", "Impressions", "Clics", "Coût"]
    cols = [
        d.dt.strftime("%d/%m/%Y").tolist(),
        _s(spend["campaign"]),
        _s(spend["ad_group"]),
        _int(spend["impressions"]),
        _int(spend["clicks"]),
        _money(spend["cost"], decimal=","),
    ]
    _write(path, header, cols, encoding="utf-8-sig", sep=";", newline="\r\n")


# -- CRM -----------------------------------------------------------------------------------


def write_hubspot_contacts(contacts: pd.DataFrame, path: str | os.PathLike) -> None:
    """HubSpot contacts export with display-label headers, UTM fields and lifecycle dates.

    ``contacts`` has the model's contact columns (``lifecycle_stage`` in model
    terms; written as HubSpot labels, see ``HUBSPOT_LIFECYCLE_LABELS``) plus
    ``record_id``, ``first_name``, ``last_name``, ``email``, ``phone``,
    ``company``, ``job_title``, ``owner``, ``utm_source`` and ``notes``. Fast
    enough for a million rows (a few seconds).
    """
    header = [
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
        "Contact owner", "Lifecycle Stage", "Create Date", "Original Source", "UTM Source", "UTM Medium",
        "UTM Campaign", "UTM Content", "Became a Lead Date", "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date", "Became an Opportunity Date", "Became a Customer Date", "Notes",
    ]  # fmt: skip
    cols = [
        _s(contacts["record_id"]),
        _s(contacts["first_name"]),
        _s(contacts["last_name"]),
        _s(contacts["email"]),
        _s(contacts["phone"]),
        _s(contacts["company"]),
        _s(contacts["job_title"]),
        _s(contacts["owner"]),
        _s(contacts["lifecycle_stage"].map(HUBSPOT_LIFECYCLE_LABELS)),
        _iso(contacts["created_date"], "m"),
        _s(contacts["source"]),
        _s(contacts["utm_source"]),
        _s(contacts["medium"]),
        _s(contacts["campaign"]),
        _s(contacts["ad_group"]),
        *(_iso(contacts[c], "m") for c in ("lead_date", "mql_date", "sql_date", "opportunity_date", "won_date")),
        _s(contacts["notes"]),
    ]
    _write(path, header, cols)


def write_hubspot_deals(deals: pd.DataFrame, path: str | os.PathLike) -> None:
    """HubSpot deals export: stage labels unchanged, associated company, contact name and email."""
    header = [
        "Record ID", "Deal Name", "Pipeline", "Deal Stage", "Amount", "Currency", "Close Date", "Create Date",
        "Deal owner", "Associated Company", "Associated Contact", "Associated Contact Email", "Original Source Type",
    ]  # fmt: skip
    cols = [
        _s(deals["deal_id"]),
        _s(deals["deal_name"]),
        ["Sales Pipeline"] * len(deals),
        _s(deals["stage"]),
        ["" if pd.isna(v) else f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}" for v in deals["amount"]],
        _s(deals["currency"]),
        _iso(deals["close_date"], "m"),
        _iso(deals["created_date"], "m"),
        _s(deals["owner"]),
        _s(deals["account"]),
        _s(deals["contact_name"]),
        _s(deals["email"]),
        _s(deals["source"]),
    ]
    _write(path, header, cols)


def _salesforce_footer(n: int) -> list[list[str]]:
    return [
        [""],
        [f"Grand Totals ({n:,} records)"],
        [""],
        ["Confidential Information - Do Not Distribute"],
        [""],
        [f"Copyright (c) 2000-{SALESFORCE_FOOTER_YEAR} salesforce.com, inc. All rights reserved."],
    ]


def write_salesforce_leads(contacts: pd.DataFrame, path: str | os.PathLike) -> None:
    """Salesforce leads report export: all values quoted, Windows-1252, M/D/YYYY, footer block, CRLF.

    ``lead_status`` holds the Salesforce status (``Closed - Converted`` for leads
    that became opportunities; ``Converted Date`` is the opportunity date).
    """
    converted = contacts["opportunity_date"].notna()
    header = [
        "Lead ID", "Lead Owner", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone",
        "Lead Source", "Lead Status", "Created Date", "UTM Source", "UTM Medium", "UTM Campaign", "UTM Content",
        "MQL Date", "SQL Date", "Converted", "Converted Date", "Description",
    ]  # fmt: skip
    cols = [
        _s(contacts["record_id"]),
        _s(contacts["owner"]),
        _s(contacts["first_name"]),
        _s(contacts["last_name"]),
        _s(contacts["job_title"]),
        _s(contacts["company"]),
        _s(contacts["email"]),
        _s(contacts["phone"]),
        _s(contacts["source"]),
        _s(contacts["lead_status"]),
        _mdy(contacts["created_date"]),
        _s(contacts["utm_source"]),
        _s(contacts["medium"]),
        _s(contacts["campaign"]),
        _s(contacts["ad_group"]),
        _mdy(contacts["mql_date"]),
        _mdy(contacts["sql_date"]),
        ["1" if c else "0" for c in converted],
        _mdy(contacts["opportunity_date"]),
        _s(contacts["notes"]),
    ]
    _write(
        path, header, cols, encoding="cp1252", newline="\r\n", quote_all=True, footer=_salesforce_footer(len(contacts))
    )


_SF_PROBABILITY = {
    "Prospecting": 10, "Qualification": 20, "Needs Analysis": 30, "Value Proposition": 40,
    "Proposal/Price Quote": 60, "Negotiation/Review": 80, "Closed Won": 100, "Closed Lost": 0,
}  # fmt: skip


def write_salesforce_opportunities(deals: pd.DataFrame, path: str | os.PathLike) -> None:
    """Salesforce opportunities report export (same format as the leads report).

    ``Website`` is ``www.`` plus the account domain; ``Primary Campaign Source``
    is the deal's campaign.
    """
    header = [
        "Opportunity ID", "Opportunity Name", "Account Name", "Website", "Opportunity Owner", "Stage", "Amount",
        "Opportunity Currency", "Probability (%)", "Created Date", "Close Date", "Lead Source",
        "Primary Campaign Source", "Type",
    ]  # fmt: skip
    cols = [
        _s(deals["deal_id"]),
        _s(deals["deal_name"]),
        _s(deals["account"]),
        _s("www." + deals["account_domain"]),
        _s(deals["owner"]),
        _s(deals["stage"]),
        _money(deals["amount"]),
        _s(deals["currency"]),
        [str(_SF_PROBABILITY.get(s, 50)) for s in deals["stage"]],
        _mdy(deals["created_date"]),
        _mdy(deals["close_date"]),
        _s(deals["source"]),
        _s(deals["campaign"]),
        ["New Business"] * len(deals),
    ]
    _write(path, header, cols, encoding="cp1252", newline="\r\n", quote_all=True, footer=_salesforce_footer(len(deals)))


def write_touchpoints(touchpoints: pd.DataFrame, path: str | os.PathLike) -> None:
    """Web-activity export (``Email``, ``Activity Timestamp``, ``Channel``, ``Campaign``, ``Page Path``)."""
    header = ["Email", "Activity Timestamp", "Channel", "Campaign", "Page Path"]
    cols = [
        _s(touchpoints["email"]),
        _iso(touchpoints["timestamp"], "s"),
        _s(touchpoints["channel"]),
        _s(touchpoints["campaign"]),
        _s(touchpoints["page_url"]),
    ]
    _write(path, header, cols)


def write_target_accounts(accounts: pd.DataFrame, path: str | os.PathLike) -> None:
    """The client's key-account list: ``account_domain,account_name,tier``."""
    cols = [_s(accounts[c]) for c in ("account_domain", "account_name", "tier")]
    _write(path, ["account_domain", "account_name", "tier"], cols)


WRITERS: dict[str, Callable[..., None]] = {
    "google_ads": write_google_ads,
    "linkedin": write_linkedin,
    "meta": write_meta,
    "european_spend": write_european_spend,
    "hubspot_contacts": write_hubspot_contacts,
    "hubspot_deals": write_hubspot_deals,
    "salesforce_leads": write_salesforce_leads,
    "salesforce_opportunities": write_salesforce_opportunities,
    "touchpoints": write_touchpoints,
    "target_accounts": write_target_accounts,
}
# Spreadsheet row of the first data row (preamble + header above it).
_FIRST_ROW = {"google_ads": 4, "linkedin": 7}


def first_data_row(writer: str) -> int:
    """1-based spreadsheet row of a writer's first data row.

    Examples
    --------
    >>> first_data_row("google_ads"), first_data_row("linkedin"), first_data_row("meta")
    (4, 7, 2)
    """
    return _FIRST_ROW.get(writer, 2)
