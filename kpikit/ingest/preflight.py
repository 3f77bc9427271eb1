"""Pre-flight of a client: everything ``kpikit metrics`` and ``kpikit report`` will need, checked at once.

``kpikit validate CLIENT`` runs :func:`preflight`, so "all load" means the metrics and the
report will run too, not only that each file reads. The checks are a registry
(:data:`CHECKS`, :func:`register_check`) of named rules, each with its level:

- ``error``: the metrics or the report would fail, or print a wrong or misleading figure;
  ``kpikit validate`` exits 1;
- ``warning``: printed, exit 0.

=========================  =======  ===================================================================
check                      level    what it checks
=========================  =======  ===================================================================
``exports``                error    every export loads (the files' own problems)
``cross_file``             error    nothing is counted twice across exports (``load_client``'s checks)
``cross_file_warnings``    warning  what the cross-file checks noticed but could settle
``fx_rates``               error    every currency seen has a rate in ``fx_rates``
``target_accounts``        error    the target-account list is readable, with an ``account_domain``
                                    column (and is given when the real outcome is ``key_account``)
``target_accounts_rows``   warning  the list is not empty; rows without a domain, duplicate domains
``client_loads``           error    ``load_client`` succeeds (what no check above explains)
``logo``                   error    ``report.logo`` exists, is small enough, and is the image its name says
``template_placeholders``  error    no stand-in of ``templates/client.yaml`` the client would read
                                    (``name``, ``report.agency``)
``template_examples``      warning  no example value of the template left (``client``, ``salt``)
``campaign_map``           error    every ``campaign_map`` value names a campaign (or the ad group of one)
``campaign_map_keys``      warning  every ``campaign_map`` key is a campaign the CRM exports hold
``metrics``                error    :func:`kpikit.analysis.metrics.metrics` computes on the loaded model
=========================  =======  ===================================================================

The checks after ``client_loads`` that need the loaded model are *skipped*, with the reason,
when the client does not load. Messages name the file, key, row and column; values are
quoted only from the config and from the spend exports' campaign names, never from a CRM
file's cells.

Examples
--------
>>> [c.name for c in CHECKS.values() if c.level == WARNING]
['cross_file_warnings', 'target_accounts_rows', 'template_examples', 'campaign_map_keys']
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.config import ClientConfig, read_yaml_mapping
from kpikit.core.paths import client_template
from kpikit.errors import CurrencyError, KpikitError, OptionError, Problem
from kpikit.ingest.client import _as_config, _named, _target_accounts, inspect_client, load_client
from kpikit.ingest.report import FileReport, LoadReport

__all__ = ["CHECKS", "ERROR", "WARNING", "Check", "CheckResult", "Preflight", "preflight", "register_check"]

ERROR = "error"
WARNING = "warning"
_LEVELS = (ERROR, WARNING)


@dataclass
class Subject:
    """What the checks look at: the config, the load report and, when the client loads, its model."""

    config: ClientConfig
    report: LoadReport
    model: Any = None
    load_error: KpikitError | None = None
    results: list[CheckResult] = field(default_factory=list)  # the checks run so far
    target_report: FileReport | None = None


@dataclass(frozen=True)
class Check:
    """A named pre-flight rule: ``run(subject)`` returns its problems (none: the check passes).

    ``needs_model``: skipped when the client does not load. ``shown_above``: its problems
    are the files' (or across files') own, which ``kpikit validate`` prints above the checks.
    """

    name: str
    level: str
    title: str
    run: Callable[[Subject], list[Problem]]
    needs_model: bool = False
    shown_above: bool = False


@dataclass
class CheckResult:
    """One check's outcome: ``status`` is ``ok``, ``error``, ``warning`` (its level) or ``skipped``."""

    name: str
    level: str
    title: str
    status: str
    problems: list[Problem] = field(default_factory=list)
    reason: str | None = None  # why it was skipped
    shown_above: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "title": self.title,
            "status": self.status,
            "problems": [p.to_dict() for p in self.problems],
            "skipped_because": self.reason,
        }


CHECKS: dict[str, Check] = {}


def register_check(check: Check) -> Check:
    """Add ``check`` to :data:`CHECKS` (run in registration order)."""
    if check.level not in _LEVELS:
        raise OptionError("level", check.level, _LEVELS, what=f"level for check {check.name!r}")
    CHECKS[check.name] = check
    return check


def _check(name: str, level: str, title: str, **kw: Any):
    def deco(fn: Callable[[Subject], list[Problem]]) -> Callable[[Subject], list[Problem]]:
        register_check(Check(name, level, title, fn, **kw))
        return fn

    return deco


def _where(s: Subject) -> str:
    return str(s.config.source or s.config.base_dir)


# --- the files and across files ------------------------------------------------------------------


@_check("exports", ERROR, "every export loads", shown_above=True)
def _exports(s: Subject) -> list[Problem]:
    return [_named(p, Path(f.path)) for f in s.report.files for p in f.problems]


@_check("cross_file", ERROR, "nothing is counted twice across exports", shown_above=True)
def _cross_file(s: Subject) -> list[Problem]:
    # load_client's cross-file checks (identical files, repeated rows, date orders) fill this section.
    return list(getattr(s.report, "problems", []))


@_check("cross_file_warnings", WARNING, "what the cross-file checks settled", shown_above=True)
def _cross_file_warnings(s: Subject) -> list[Problem]:
    return list(getattr(s.report, "warnings", []))


@_check("fx_rates", ERROR, "every currency seen has a rate in fx_rates")
def _fx_rates(s: Subject) -> list[Problem]:
    if isinstance(s.load_error, CurrencyError):  # the one conversion (kpikit.core.money) names them all
        return s.load_error.problems
    cfg = s.config
    seen: dict[str, list[str]] = {}
    for f in s.report.files:  # the spend of files that load, when another file stops the client loading
        for cur in (*f.spend, *f.spend_dropped):
            if cfg.rate(cur) is None:
                seen.setdefault(cur, []).append(Path(f.path).name)
    return [
        Problem(
            f"no exchange rate for {cur} (spend in {', '.join(sorted(set(files)))}): it cannot be converted into "
            f"the reporting currency {cfg.currency}",
            file=_where(s),
            key="fx_rates",
            expected=f"a rate for {cur}",
            found=f"fx_rates {dict(cfg.fx_rates)!r}",
            fix=f"add `fx_rates: {{{cur}: RATE}}` ({cfg.currency} per 1 {cur}) to the client config",
        )
        for cur, files in sorted(seen.items())
    ]


# --- target accounts -----------------------------------------------------------------------------


@_check("target_accounts", ERROR, "the target-account list reads, with an account_domain column")
def _target_list(s: Subject) -> list[Problem]:
    cfg = s.config
    if cfg.target_accounts is None:
        if cfg.funnel.real_outcome != "key_account":
            return []
        return [
            Problem(
                "the real outcome is key_account, but no target-account list is given: every count would be 0",
                file=_where(s),
                key="target_accounts",
                fix="add `target_accounts: target_accounts.csv` (account_domain, account_name, tier) to client.yaml",
            )
        ]
    try:  # the loader's own reader: the same rules load_client applies
        frame, s.target_report = _target_accounts(cfg.target_accounts)
    except KpikitError as exc:
        return exc.problems
    if not len(frame) and cfg.funnel.real_outcome == "key_account":
        return [_empty_list(s, "the real outcome is key_account: every count would be 0")]
    return []


def _empty_list(s: Subject, why: str) -> Problem:
    r = s.target_report
    read = "" if r is None else " (it holds only its header)" if not r.rows_read else f" ({r.rows_read:,} row(s))"
    return Problem(
        f"{Path(s.config.target_accounts).name}: the target-account list has no account with a domain{read}: {why}",
        file=str(s.config.target_accounts),
        column="account_domain",
        fix="fill in account_domain (e.g. acme.com) for each key account, or remove target_accounts from client.yaml",
    )


@_check("target_accounts_rows", WARNING, "the target-account list has accounts, each with one domain")
def _target_rows(s: Subject) -> list[Problem]:
    r = s.target_report
    if r is None:
        return []
    if not r.rows_loaded:
        if s.config.funnel.real_outcome == "key_account":
            return []  # an error of target_accounts already
        return [_empty_list(s, "key-account figures will not be shown")]
    said = {
        "no_domain": ("row(s) have no account_domain and are left out", "fill in their domain"),
        "duplicate": ("row(s) repeat a domain listed above and are counted once", "remove the repeated rows"),
    }
    return [
        Problem(f"{Path(r.path).name}: {n:,} {said[k][0]}", file=r.path, column="account_domain", fix=said[k][1])
        for k, n in r.dropped.items()
        if k in said
    ]


@_check("client_loads", ERROR, "load_client succeeds")
def _client_loads(s: Subject) -> list[Problem]:
    # Only what no check above explains: a file's or a currency's problem is already listed once.
    if s.load_error is None or any(r.status == ERROR for r in s.results):
        return []
    return s.load_error.problems


# --- the report's branding and the template ------------------------------------------------------

#: What a logo's first bytes are for each type the report embeds (SVG: text with an <svg> element).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
}
_SVG = re.compile(rb"<svg[\s>/]", re.IGNORECASE)


@_check("logo", ERROR, "report.logo exists, is small enough and is an image")
def _logo(s: Subject) -> list[Problem]:
    logo = s.config.report.logo
    if logo is None:
        return []  # a path outside the client folder is refused when client.yaml is read
    from kpikit.report.html import logo_data_uri  # the report's own reader: type, size, existence

    try:
        logo_data_uri(logo, config_file=s.config.source)
    except KpikitError as exc:
        return exc.problems
    suffix = Path(logo).suffix.lower()
    with open(logo, "rb") as f:
        head = f.read(4096)
    looks = _SVG.search(head) is not None if suffix == ".svg" else head.startswith(_MAGIC.get(suffix, (b"",)))
    if looks:
        return []
    return [
        Problem(
            f"the logo is named {Path(logo).name!r} but its content is not a {suffix[1:].upper()} image",
            file=_where(s),
            key="report.logo",
            expected=f"a {suffix[1:].upper()} file",
            found=f"a file starting with {head[:8]!r}" if head else "an empty file",
            fix="export the logo again as PNG or SVG and point report.logo at it, or set report.logo: null",
        )
    ]


#: Keys of templates/client.yaml whose value is a stand-in the client would read -> where it shows.
#: The values themselves are read from the template, so they follow it.
PLACEHOLDERS: dict[str, tuple[Callable[[ClientConfig], Any], str]] = {
    "name": (lambda c: c.name, "the report's title shows it to the client"),
    "report.agency": (lambda c: c.report.agency, "the report's header shows it as your agency"),
}
#: Keys whose template value is an example to replace -> what a leftover does.
EXAMPLES: dict[str, tuple[Callable[[ClientConfig], Any], str]] = {
    "client": (lambda c: c.client, "two clients left at it write to the same output folder"),
    "salt": (
        lambda c: None if os.environ.get("KPIKIT_SALT") else c.salt,
        "contact keys hashed with the template's public salt can be matched across clients",
    ),
}


def _template() -> dict[str, Any]:
    try:
        return read_yaml_mapping(client_template(), what="client template", missing_fix="", template="")
    except KpikitError:
        return {}  # no template installed: nothing to compare with


def _dig(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.strip().casefold() == b.strip().casefold()


def _leftovers(s: Subject, keys: dict[str, tuple[Callable[[ClientConfig], Any], str]]) -> list[Problem]:
    tpl = _template()
    out = []
    for key, (value_of, why) in keys.items():
        stand_in = _dig(tpl, key)
        if _same(value_of(s.config), stand_in):
            out.append(
                Problem(
                    f"{key} is still the template's {stand_in!r}: {why}",
                    file=_where(s),
                    key=key,
                    found=repr(stand_in),
                    fix=f"set {key} to the client's own value in client.yaml",
                )
            )
    return out


@_check("template_placeholders", ERROR, "no stand-in of templates/client.yaml the client would read")
def _placeholders(s: Subject) -> list[Problem]:
    return _leftovers(s, PLACEHOLDERS)


@_check("template_examples", WARNING, "no example value of templates/client.yaml left")
def _examples(s: Subject) -> list[Problem]:
    # Not fx_rates: the template's example rate is a plausible real one, and equal is no evidence of a leftover.
    return _leftovers(s, EXAMPLES)


# --- what needs the loaded model -----------------------------------------------------------------


@_check("campaign_map", ERROR, "every campaign_map value names a campaign or its ad group", needs_model=True)
def _campaign_map(s: Subject) -> list[Problem]:
    from kpikit.analysis._prepare import prepare

    return [
        Problem(
            f"{m}: contacts with that CRM campaign would match no spend",
            file=_where(s),
            key=f"campaign_map.{m.key}",
            expected="a campaign (or ad group) name as the ad platform spells it",
            found=repr(m.value),
            fix=f"did you mean {m.closest[0]!r}?" if m.closest and not m.several else "name one campaign",
        )
        for m in prepare(s.model).map_misses
    ]


@_check("campaign_map_keys", WARNING, "every campaign_map key is a campaign the CRM exports hold", needs_model=True)
def _campaign_map_keys(s: Subject) -> list[Problem]:
    from kpikit.analysis.joins import normalise_names

    cmap = s.config.campaign_map
    if not cmap:
        return []
    m = s.model
    crm = pd.concat([m.contacts["campaign"], m.deals["campaign"]], ignore_index=True).drop_duplicates()
    held = set(normalise_names(crm).dropna())
    keys = normalise_names(pd.Series(list(cmap), dtype="str")).tolist()
    return [
        Problem(
            f"campaign_map key {raw!r} is no campaign of the CRM exports: the entry maps nothing",
            file=_where(s),
            key=f"campaign_map.{raw}",
            fix="spell the key as the CRM's utm_campaign / campaign column does, or remove the entry",
        )
        for raw, k in zip(cmap, keys, strict=True)
        if k not in held
    ]


@_check("metrics", ERROR, "the metrics compute on the loaded client", needs_model=True)
def _metrics(s: Subject) -> list[Problem]:
    from kpikit.analysis.metrics import metrics  # deferred: the analysis layer is heavy to import

    try:
        metrics(s.model)
    except KpikitError as exc:
        return exc.problems
    except Exception as exc:
        # The type only: an internal message may hold a cell value.
        return [
            Problem(
                f"kpikit could not compute the metrics ({type(exc).__name__})",
                file=_where(s),
                fix="report this as a kpikit bug; `kpikit metrics CLIENT` shows the traceback",
            )
        ]
    return []


# --- running -------------------------------------------------------------------------------------

_SKIPPED = "the client does not load: fix the errors above first"


@dataclass
class Preflight:
    """The pre-flight of one client: its load report and every check's result."""

    config: ClientConfig
    report: LoadReport
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return not any(r.status == ERROR for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.config.client,
            "config": str(self.config.source or self.config.base_dir),
            "ok": self.ok,
            "checks": [r.to_dict() for r in self.results],
        }

    def to_text(self) -> str:
        lines = [f"pre-flight of {self.config.client} ({self.config.source or self.config.base_dir}):"]
        width = max(len(r.name) for r in self.results)
        for r in self.results:
            status = {"error": "ERROR", "warning": "warning"}.get(r.status, r.status)
            lines.append(f"  {status:<8} {r.name:<{width}}  {r.title}")
            if r.status == "skipped":
                lines.append(f"           ({r.reason})")
            elif r.problems and r.shown_above:
                lines.append(f"           {len(r.problems)} listed above")
            else:
                lines += [f"           - {p}" for p in r.problems]
        return "\n".join(lines)


def preflight(config_or_path: ClientConfig | str | os.PathLike) -> Preflight:
    """Run every check of :data:`CHECKS` on a client, collecting every problem (never raising on them).

    Parameters
    ----------
    config_or_path
        A :class:`~kpikit.config.ClientConfig`, a ``client.yaml`` path or the client's folder.

    Returns
    -------
    Preflight
        ``report`` is the exports' load report (as :func:`~kpikit.ingest.client.inspect_client`
        gives it); ``ok`` is False when any error-level check fails.

    Raises
    ------
    ConfigError
        when the config itself cannot be read (nothing else can be checked then).
    """
    config = _as_config(config_or_path)
    s = Subject(config, LoadReport(currency=config.currency))
    try:
        s.model = load_client(config)
        s.report = s.model.load_report
    except KpikitError as exc:
        s.load_error = exc
        try:  # the failure path reads the exports again, for every file's report
            s.report = inspect_client(config)
        except KpikitError:
            pass  # e.g. no exports: client_loads reports it
    except Exception as exc:
        s.load_error = KpikitError(
            f"kpikit could not load this client ({type(exc).__name__})",
            file=_where(s),
            fix="report this as a kpikit bug; `kpikit metrics CLIENT` shows the traceback",
        )
    # The target list has its own check; the files are the exports.
    s.report.files = [f for f in s.report.files if f.table != "target_accounts"]
    for check in CHECKS.values():
        if check.needs_model and s.model is None:
            s.results.append(CheckResult(check.name, check.level, check.title, "skipped", reason=_SKIPPED))
            continue
        try:
            problems = check.run(s)
        except Exception as exc:
            problems = [Problem(f"the {check.name} check failed ({type(exc).__name__})", file=_where(s),
                                fix="report this as a kpikit bug")]  # fmt: skip
        status = check.level if problems else "ok"
        s.results.append(CheckResult(check.name, check.level, check.title, status, problems, None, check.shown_above))
    return Preflight(config, s.report, s.results)
