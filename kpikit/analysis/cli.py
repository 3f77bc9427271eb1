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

__all__ = ["main", "format_text"]


def _money(x: Any, cur: str) -> str:
    return "–" if x is None else f"{x:,.2f} {cur}"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{x:.2%}"


def format_text(m: dict[str, Any]) -> str:
    """A short plain-text summary of a metrics document."""
    cur = m["currency"]
    t = m["totals"]
    name = (m.get("client") or {}).get("name") or "client"
    lines = [f"{name}: headline metrics ({cur})", ""]
    lines.append(f"spend        {_money(t['spend'], cur)}")
    lines.append(f"impressions  {t['impressions']:,}   clicks {t['clicks']:,}   CTR {_pct(t['ctr'])}")
    lines.append("")
    lines.append(f"{'stage':<14}{'count':>10}{'cost per':>18}")
    for s, cost in m["cost_per_stage"].items():
        if s == "cac":
            continue
        n = t.get(s)
        lines.append(f"{s:<14}{'–' if n is None else f'{n:,}':>10}{_money(cost, cur):>18}")
    lines.append(f"{'CAC':<14}{'':>10}{_money(m['cost_per_stage'].get('cac'), cur):>18}")
    r = m["real_outcome_cost"]
    lines += ["", f"real outcome ({r['stage']}): {_money(r['cost_per'], cur)} each "
              f"[{_money(r['low'], cur)} – {_money(r['high'], cur)}], status: {r['status']}"]  # fmt: skip
    mt = m["match"]
    lines.append(f"match rate: {_pct(mt['spend_match_rate'])} of spend, {_pct(mt['contact_match_rate'])} of contacts")
    v = m["vanity"]
    tau = v["kendall_tau"]
    lines += ["", f"vanity ({v['vanity']}) vs value ({v['outcome']}): Kendall tau "
              f"{'–' if tau is None else f'{tau:+.2f}'}"]  # fmt: skip
    for row in v["rows"]:
        if row.get("flag"):
            lines.append(f"  {row.get('campaign')}: {row['flag']}")
    a = m.get("attribution")
    if a:
        lines += ["", f"attribution of {a['conversions']:,} {a['outcome']} conversions:"]
        for model, credits in a["models"].items():
            top = sorted(credits.items(), key=lambda kv: -(kv[1]["conversions"] or 0))[:3]
            lines.append(f"  {model:<11} " + ", ".join(f"{ch} {c['conversions']:.1f}" for ch, c in top))
    if m["warnings"]:
        lines += ["", "notes:"] + [f"  - {w}" for w in m["warnings"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kpikit metrics", description="Headline metrics for a client.")
    parser.add_argument("config", help="path to the client's client.yaml (or its folder)")
    parser.add_argument("--json", action="store_true", help="print the stable JSON document instead of text")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    import kpikit
    from kpikit.analysis.metrics import metrics

    model = kpikit.load_client(args.config)
    m = metrics(model)
    if args.json:
        print(json.dumps(m, sort_keys=True, indent=2, ensure_ascii=False))
    else:
        print(format_text(m))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
