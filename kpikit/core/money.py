"""The one currency conversion: every money column of every table into the reporting currency.

The loader converts a client's tables once, at load; in-memory models (the sample
generator's ground truth, training scenarios) go through :func:`to_reporting_currency`.
Both call :func:`convert_tables`, so a money column added to the model is converted
everywhere by adding it to :data:`MONEY_COLUMNS`.

Rates are ``config.fx_rates``: units of the reporting currency per one unit of the other.

Examples
--------
>>> import pandas as pd
>>> from kpikit.config import ClientConfig
>>> cfg = ClientConfig.from_dict({"client": "a", "currency": "EUR", "fx_rates": {"USD": 0.5}})
>>> spend = pd.DataFrame({"cost": [10.0, 10.0], "reported_revenue": [4.0, None], "currency": ["EUR", "USD"]})
>>> tables, rates = convert_tables({"spend": spend}, cfg)
>>> tables["spend"][["cost", "reported_revenue", "currency"]].values.tolist(), rates
([[10.0, 4.0, 'EUR'], [5.0, nan, 'EUR']], {'EUR': 1.0, 'USD': 0.5})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.errors import CurrencyError

__all__ = ["MONEY_COLUMNS", "convert_tables", "to_reporting_currency"]

#: Money columns per table, each in the row's ``currency``.
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {"spend": ("cost", "reported_revenue"), "deals": ("amount",)}


def convert_tables(
    tables: Mapping[str, pd.DataFrame], config: Any, *, file: str | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Convert the money columns of ``tables`` into ``config.currency``.

    A row without a currency is taken to be in the reporting currency.

    Parameters
    ----------
    tables
        Table name -> frame; tables not in :data:`MONEY_COLUMNS`, or without a ``currency``
        column, pass through unchanged.
    config
        The client config (``currency``, ``fx_rates``, ``rate()``).
    file
        Where the problem is reported (the client config) when a rate is missing.

    Returns
    -------
    (dict, dict)
        The converted tables and the rate used for every currency seen.

    Raises
    ------
    CurrencyError
        naming every currency without a rate and, where the frames carry ``source_file``,
        the files it came from.
    """
    target = config.currency
    seen: dict[str, set[str]] = {}
    for name in MONEY_COLUMNS:
        frame = tables.get(name)
        if frame is None or not len(frame) or "currency" not in frame:
            continue
        codes = frame["currency"].fillna(target).astype("str")
        if "source_file" in frame:
            for code, files in frame.groupby(codes)["source_file"]:
                seen.setdefault(str(code), set()).update(str(f) for f in files.dropna().unique())
        else:
            for code in codes.unique():
                seen.setdefault(str(code), set())
    missing = {c: f for c, f in seen.items() if config.rate(c) is None}
    if missing:
        cur = sorted(missing)[0]
        files = sorted(set().union(*missing.values()))
        where = f"; files: {', '.join(files)}" if files else ""
        raise CurrencyError(
            f"cannot mix {cur} with the reporting currency {target} without an exchange rate "
            f"(currencies without a rate: {', '.join(sorted(missing))}{where})",
            file=file,
            key="fx_rates",
            expected=f"a rate for {cur}",
            found=f"fx_rates {dict(config.fx_rates)!r}",
            fix=f"add `fx_rates: {{{cur}: RATE}}` ({target} per 1 {cur}) to the client config",
        )
    rates = {c: float(config.rate(c)) for c in sorted(seen)}
    out = dict(tables)
    for name, columns in MONEY_COLUMNS.items():
        frame = tables.get(name)
        if frame is None or not len(frame) or "currency" not in frame:
            continue
        codes = frame["currency"].fillna(target).astype("str")
        if (codes == target).all() and frame["currency"].notna().all():
            continue  # already in the reporting currency: no copy
        factor = codes.map(rates).astype("float64").to_numpy()
        changes = {c: frame[c] * factor for c in columns if c in frame}
        changes["currency"] = pd.Series(target, index=frame.index, dtype="str")
        out[name] = frame.assign(**changes)
    return out, rates


def to_reporting_currency(model: Any) -> Any:
    """A copy of ``model`` with every money column in the config's currency.

    ``kpikit.load_client`` already converts; this serves models built in memory.

    Raises
    ------
    CurrencyError
        when a currency has no rate, listing each one.
    """
    config = getattr(model, "config", None)
    if config is None:
        return model
    tables = {name: getattr(model, name) for name in MONEY_COLUMNS}
    converted, _ = convert_tables(tables, config)
    changes = {name: frame for name, frame in converted.items() if frame is not tables[name]}
    return model.replace(**changes) if changes else model
