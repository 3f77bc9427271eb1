"""The ``kpikit`` command line.

Each sub-command lives in the module that owns its job and exposes
``main(argv) -> int``; this module only dispatches, so ``kpikit --help`` stays
fast (no pandas or altair import) and adding a command is one registry line.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from kpikit.errors import KpikitError

# name -> (module with main(argv) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("kpikit.demo", "run kpikit on the bundled sample clients and say where the output is"),
    "samples": ("kpikit.samples", "regenerate the deterministic sample client data"),
    "validate": ("kpikit.ingest.cli", "check export files: detected format, rows, spend totals, problems"),
    "metrics": ("kpikit.analysis.cli", "headline metrics for a client (text or --json)"),
    "forecast": ("kpikit.analysis.forecast_cli", "forecast the pipeline per week if a spend plan holds (--backtest)"),
    "report": ("kpikit.report.cli", "run the report workbook for one or many clients"),
    "new-client": ("kpikit.report.scaffold", "create a client folder from templates/"),
    "workshop": ("kpikit.explore.cli", "start the workshop workbook in Voila on localhost"),
    "training": ("kpikit.training.build", "write trainee and facilitator versions of the training workbooks"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: kpikit COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `kpikit COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"kpikit: unknown command {name!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except KpikitError as exc:
        # A user error is a message, never a traceback.
        print(f"kpikit {name}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
