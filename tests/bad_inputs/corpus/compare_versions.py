"""Load every file and client folder of this corpus with two kpikit checkouts and compare.

Shows what each version does with the same hand-written exports: an exact load (its row count
and sums), a named refusal, or a raw traceback. The corpus tests assert the exact figures; this
script is for the before/after evidence of issue 14 (run by hand, not collected by pytest)::

    git worktree add /tmp/base 362ed8b
    python tests/bad_inputs/corpus/compare_versions.py /tmp/base .

A version's loads that differ from the other's are listed with both summaries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
_CHILD = r"""
import json, sys
from pathlib import Path
import kpikit
from kpikit.errors import KpikitError
from kpikit.ingest import load_file

def summary(frame):
    out = {"rows": int(len(frame))}
    for col in ("cost", "impressions", "clicks", "amount", "engagements"):
        if col in frame.columns:
            out[col] = round(float(frame[col].astype("float64").sum()), 2)
    return out

out = {}
corpus = Path(sys.argv[1])
for sub in ("rows", "locale", "crm", "preflight"):
    for p in sorted((corpus / sub).iterdir()):
        if p.name.endswith(".map.yaml"):
            continue
        try:
            if p.is_dir():
                m = kpikit.load_client(p / "client.yaml")
                tables = {t: summary(getattr(m, t)) for t in ("spend", "contacts", "deals", "touchpoints")
                          if getattr(m, t, None) is not None and len(getattr(m, t))}
                out[f"{sub}/{p.name}"] = {"ok": True, **tables}
            else:
                mp = p.with_suffix(".map.yaml")
                lf = load_file(p, mp if mp.exists() else None)
                out[f"{sub}/{p.name}"] = {"ok": True, lf.table: summary(lf.frame)}
        except KpikitError as exc:
            out[f"{sub}/{p.name}"] = {"ok": False, "error": type(exc).__name__}
        except Exception as exc:  # what the user would have seen as a traceback
            out[f"{sub}/{p.name}"] = {"ok": False, "error": "traceback: " + type(exc).__name__}
print(json.dumps(out))
"""


def run(checkout: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve()), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(CORPUS)],
        env=env,
        cwd=checkout,  # -c puts the working directory first on sys.path
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main(before: str, after: str) -> None:
    b, a = run(Path(before)), run(Path(after))
    counts: dict[str, int] = {}
    for key in sorted(a):
        x, y = b.get(key, {"ok": False, "error": "missing"}), a[key]
        if x["ok"] and y["ok"]:
            kind = "same load" if x == y else "different figures"
        elif x["ok"]:
            kind = "loaded before, refused after"
        elif y["ok"]:
            kind = "refused before, loads after"
        else:
            kind = "refused by both"
        if str(x.get("error", "")).startswith("traceback"):
            kind = "traceback before"
        counts[kind] = counts.get(kind, 0) + 1
        if kind != "same load":
            print(f"{kind:30s} {key}\n{'':30s}   before: {json.dumps(x)}\n{'':30s}   after:  {json.dumps(y)}")
    tracebacks = sum(str(v.get("error", "")).startswith("traceback") for v in a.values())
    print(json.dumps(counts, indent=1))
    print(
        f"after: {sum(v['ok'] for v in a.values())} loads, {sum(not v['ok'] for v in a.values())} refusals, "
        f"{tracebacks} tracebacks, of {len(a)} cases"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
