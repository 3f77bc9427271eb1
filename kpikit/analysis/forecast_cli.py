"""``kpikit forecast CLIENT [--plan PLAN.yaml] [--scale X] [--horizon WEEKS] [--backtest [--stage S]] [--json]``.

Text output is for a consultant at a terminal: the plan next to the current one, opportunities,
pipeline, won deals and revenue per week (opportunities with their 80 % band), and the horizon
totals against the current plan (so ``--scale 2`` shows its diminishing returns and ``--scale 0``
the funnel running dry).
``--json`` prints one document (sorted keys)::

    {"client", "currency", "horizon_weeks", "plan": {platform: weekly spend},
     "forecast": [{"week", "stage", "mean", "low80", "high80", "low95", "high95"}],
     "warnings": [...], "backtest": {...}}   # "backtest" only with --backtest

``forecast`` holds every stage of :data:`kpikit.analysis.forecast.FORECAST_STAGES` (``lead``,
``opportunity``, ``won``, ``revenue``, ``pipeline``) for every week; a money stage the deals carry
no amounts for has null figures. ``--stage`` picks the stage the backtest tests (default
``opportunity``).

``PLAN.yaml`` maps platforms to weekly spend in the reporting currency (``linkedin: 6000``). It is
read like every client file: it must lie inside the client folder, and the safe YAML reader of
:mod:`kpikit.config` refuses aliases, tags, duplicate keys and oversized files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kpikit.core.fmt import fmt
from kpikit.core.measures import kind_of, label

__all__ = ["main", "read_plan", "format_text"]


def read_plan(path: str | Path, config) -> dict[str, float]:
    """Read ``PLAN.yaml`` (``{platform: weekly spend}``) from inside the client folder.

    A relative path is taken from the working folder, else from the client folder.

    Raises
    ------
    ConfigError
        when the file is outside the client folder, is not safe YAML, or a value is not a number
        of at least 0 (every bad value is listed at once).

    Examples
    --------
    >>> import tempfile
    >>> from kpikit.config import ClientConfig
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "plan.yaml").write_text("linkedin: 6000\\ngoogle_ads: 2500.5\\n")
    >>> cfg = ClientConfig.from_dict({"client": "acme"}, base_dir=root)
    >>> read_plan(root / "plan.yaml", cfg)
    {'linkedin': 6000.0, 'google_ads': 2500.5}
    >>> read_plan("/etc/hostname", cfg)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kpikit.errors.ConfigError: ...plan is outside the client folder...
    """
    from kpikit.config import is_inside, read_yaml_mapping
    from kpikit.errors import ConfigError, ConfigValidationError, Problem

    root = Path(getattr(config, "base_dir", "."))
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = root / p
    if not is_inside(p, root):
        raise ConfigError(
            "the plan is outside the client folder",
            file=str(path),
            expected=f"a file inside {root}",
            fix=f"save the plan in the client folder {root} (e.g. {root / 'plan.yaml'})",
        )
    data = read_yaml_mapping(
        p,
        what="plan",
        missing_fix="write a plan.yaml with one 'platform: weekly spend' a line",
        template="linkedin: 6000",
    )
    problems, plan = [], {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
            problems.append(
                Problem(
                    f"weekly spend for {key!r} must be a number of at least 0",
                    file=str(p),
                    key=str(key),
                    found=repr(value),
                    fix="write e.g. 6000 (reporting currency)",
                )
            )
            continue
        plan[str(key)] = float(value)
    if len(problems) == 1:
        q = problems[0]
        raise ConfigError(q.message, file=q.file, key=q.key, found=q.found, fix=q.fix)
    if problems:
        raise ConfigValidationError(problems, file=str(p))
    return plan


def format_text(doc: dict[str, Any], parts: Any = None, current: dict[str, float] | None = None) -> str:
    """The forecast document as a short text report (numbers by :func:`kpikit.core.fmt.fmt`)."""
    cur = doc["currency"]
    lines = [f"{doc['client']}: forecast for {doc['horizon_weeks']} weeks ({cur})", "", "plan (weekly spend):"]
    for platform, v in doc["plan"].items():
        now = "" if current is None else f"   now {fmt(current.get(platform), 'money', cur)}"
        flag = "   extrapolated: no evidence" if platform in doc.get("extrapolated", ()) else ""
        lines.append(f"  {label(platform):<16}{fmt(v, 'money', cur):>18}{now}{flag}")
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for r in doc["forecast"]:
        rows.setdefault(r["week"], {})[r["stage"]] = r
    funnel = {}
    if parts is not None:
        sel = parts[(parts["stage"] == "opportunity") & (parts["part"] == "in funnel")]
        funnel = {w.strftime("%Y-%m-%d"): m for w, m in zip(sel["week"], sel["mean"], strict=True)}
    lines += [
        "",
        f"{'week':<12}{'opportunities (80%)':>22}{'from funnel':>13}{label('pipeline'):>20}{'won deals':>11}"
        f"{'revenue':>20}",
    ]
    missing = {"mean": None}  # a document from before pipeline was forecast: the column shows "–"
    for week, st in rows.items():
        o, w, rv, pl = st["opportunity"], st["won"], st["revenue"], st.get("pipeline", missing)
        band = f"{fmt(o['mean'], 'number')} ({fmt(o['low80'], 'count')}–{fmt(o['high80'], 'count')})"
        lines.append(
            f"{week:<12}{band:>22}{fmt(funnel.get(week), 'number'):>13}{fmt(pl['mean'], 'money', cur):>20}"
            f"{fmt(w['mean'], 'number'):>11}{fmt(rv['mean'], 'money', cur):>20}"
        )
    if doc.get("organic_per_week") is not None:
        lines += [
            "",
            f"organic baseline: {fmt(doc['organic_per_week'], 'number')} opportunities a week; half of a "
            f"lead's opportunities come within {fmt(doc['lag_days'], 'days')} (the funnel drains after that)",
        ]
    totals = doc.get("totals")
    if totals:
        lines += ["", "over the horizon (expected):"]
        for stage, t in totals.items():
            kind = "money" if kind_of(stage) == "money" else "number"
            vs = ""
            if t.get("current") is not None:
                ratio = t["plan"] / t["current"] if t["current"] else None
                vs = f"   current plan {fmt(t['current'], kind, cur)}" + (
                    f" ({fmt(ratio, 'ratio')})" if ratio is not None else ""
                )
            lines.append(f"  {label(stage):<14}{fmt(t['plan'], kind, cur):>18}{vs}")
    bt = doc.get("backtest")
    if bt:
        lines += [
            "",
            f"backtest ({label(bt['stage'])}, {bt['origins']} origins): WAPE {fmt(bt['wape'], 'rate')} vs "
            f"{fmt(bt['baseline_wape'], 'rate')} for the 13-week average; 80% band held "
            f"{fmt(bt['coverage80'], 'rate')} of weeks, 95% band {fmt(bt['coverage95'], 'rate')}",
        ]
    if doc["warnings"]:
        lines += ["", "notes:"] + [f"  - {w}" for w in doc["warnings"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kpikit forecast", description="Forecast the pipeline if a spend plan holds.")
    parser.add_argument("config", help="path to the client's client.yaml (or its folder)")
    parser.add_argument("--plan", metavar="PLAN.yaml", help="weekly spend per platform (inside the client folder)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the plan (default 1; 0 stops paid spend)")
    parser.add_argument("--horizon", type=int, default=13, metavar="WEEKS", help="weeks to forecast (default 13)")
    parser.add_argument("--backtest", action="store_true", help="also test the model from past origins")
    parser.add_argument(
        "--stage",
        default="opportunity",
        metavar="STAGE",
        help="stage the backtest tests: lead, opportunity, won, revenue or pipeline (default opportunity)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of text")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    import kpikit
    from kpikit.analysis.forecast import CHARTED_STAGES, LEAD, backtest, fit_forecast
    from kpikit.core.result import json_safe, records

    model = kpikit.load_client(args.config)
    plan = read_plan(args.plan, model.config) if args.plan else None
    fc = fit_forecast(model)
    result = fc.forecast(plan, args.horizon, scale=args.scale)
    rows = records(result.frame)
    doc: dict[str, Any] = {
        "client": getattr(model.config, "client", None),
        "currency": result.currency,
        "horizon_weeks": result.horizon_weeks,
        "plan": result.plan,
        "forecast": rows,
        "warnings": list(result.warnings),
    }
    if args.backtest:
        doc["backtest"] = backtest(model, stage=args.stage).summary()
    if args.json:
        print(json.dumps(json_safe(doc), sort_keys=True, indent=2, ensure_ascii=False))
        return 0
    changed = plan is not None or args.scale != 1.0
    now = fc.forecast(None, args.horizon) if changed else None
    doc["extrapolated"] = list(result.extrapolated)
    doc["organic_per_week"] = fc.organic_opportunities_per_week
    doc["lag_days"] = 7.0 * fc.lead_to_opportunity_weeks
    doc["totals"] = {
        # funnel order: leads, opportunities, pipeline, won deals, won revenue
        s: {"plan": result.total(s), "current": None if now is None else now.total(s)}
        for s in (LEAD, *CHARTED_STAGES)
        if not math.isnan(result.total(s))  # not forecast (no deal amounts): left out, not printed as 0
    }
    print(format_text(doc, result.parts, result.current_plan))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
