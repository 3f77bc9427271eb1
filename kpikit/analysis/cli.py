"""``kpikit metrics CLIENT.yaml [--json]``: headline metrics for one client.

Text output is for a consultant at a terminal; ``--json`` prints the stable
document of :func:`kpikit.analysis.metrics.metrics` (sorted keys, so two runs
on the same inputs are byte-identical).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from kpikit.core.fmt import fmt

__all__ = ["main", "format_text"]


def format_text(m: dict[str, Any]) -> str:
    """A short plain-text summary of a metrics document (numbers printed by :func:`kpikit.core.fmt.fmt`).

    Examples
    --------
    >>> doc = {"currency": "EUR", "client": {"name": "Acme"},
    ...        "totals": {"spend": 1234.5, "impressions": 100000, "clicks": 1190, "ctr": 0.0119},
    ...        "cost_per_stage": {}, "match": {"spend_match_rate": 0.5, "contact_match_rate": None},
    ...        "real_outcome_cost": {"stage": "won", "cost_per": None, "low": None, "high": None, "status": "no data"},
    ...        "vanity": {"vanity": "ctr", "outcome": "won", "kendall_tau": None, "rows": []}, "warnings": []}
    >>> format_text(doc).splitlines()[2:4]
    ['spend        EUR 1,234.50', 'impressions  100,000   clicks 1,190   CTR 1.19%']
    """
    cur = m["currency"]

    def money(x: Any) -> str:
        return fmt(x, "money", cur)

    def rate(x: Any) -> str:
        return fmt(x, "rate")

    t = m["totals"]
    name = (m.get("client") or {}).get("name") or "client"
    lines = [f"{name}: headline metrics ({cur})", ""]
    lines.append(f"spend        {money(t['spend'])}")
    lines.append(
        f"impressions  {fmt(t['impressions'], 'count')}   clicks {fmt(t['clicks'], 'count')}   CTR {rate(t['ctr'])}"
    )
    lines.append("")
    lines.append(f"{'stage':<14}{'count':>10}{'cost per':>18}")
    for s, cost in m["cost_per_stage"].items():
        if s == "cac":
            continue
        lines.append(f"{s:<14}{fmt(t.get(s), 'count'):>10}{money(cost):>18}")
    lines.append(f"{'CAC':<14}{'':>10}{money(m['cost_per_stage'].get('cac')):>18}")
    r = m["real_outcome_cost"]
    lines += ["", f"real outcome ({r['stage']}): {money(r['cost_per'])} each "
              f"[{money(r['low'])} – {money(r['high'])}], status: {r['status']}"]  # fmt: skip
    mt = m["match"]
    lines.append(f"match rate: {rate(mt['spend_match_rate'])} of spend, {rate(mt['contact_match_rate'])} of contacts")
    v = m["vanity"]
    tau = v["kendall_tau"]
    # A rank correlation is no kind of fmt (one decimal would hide it): two signed decimals, as the notes print it.
    lines += ["", f"vanity ({v['vanity']}) vs value ({v['outcome']}): Kendall tau "
              f"{'–' if tau is None else f'{tau:+.2f}'}"]  # fmt: skip
    for row in v["rows"]:
        if row.get("flag"):
            lines.append(f"  {row.get('campaign')}: {row['flag']}")
    a = m.get("attribution")
    if a:
        lines += ["", f"attribution of {fmt(a['conversions'], 'count')} {a['outcome']} conversions:"]
        for model, credits in a["models"].items():
            top = sorted(credits.items(), key=lambda kv: -(kv[1]["conversions"] or 0))[:3]
            lines.append(f"  {model:<11} " + ", ".join(f"{ch} {fmt(c['conversions'], 'number')}" for ch, c in top))
    if m["warnings"]:
        lines += ["", "notes:"] + [f"  - {w}" for w in m["warnings"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kpikit metrics", description="Headline metrics for a client.")
    parser.add_argument("config", help="path to the client's client.yaml (or its folder)")
    parser.add_argument("--json", action="store_true", help="print the stable JSON document instead of text")
    parser.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="parsed-exports cache (Parquet), one folder per client (it keeps only its newest load): unchanged exports are not parsed again",
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="with --cache-dir: build attribution paths with DuckDB within SIZE (e.g. 6GB), spilling to disk",
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    import kpikit
    from kpikit.analysis.metrics import metrics

    model = kpikit.load_client(args.config, cache_dir=args.cache_dir, memory_limit=args.memory_limit)
    m = metrics(model)
    if args.json:
        print(json.dumps(m, sort_keys=True, indent=2, ensure_ascii=False))
    else:
        print(format_text(m))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
