"""Client configuration: one YAML file per client.

The template with every key explained is ``templates/client.yaml``. Paths in a
config are relative to the config file's folder.

Guarantees:

- **The client folder is a boundary.** Every path in the config (``exports``,
  each export's ``path`` and ``map``, ``target_accounts``, ``report.logo``, the
  files of an ``exports`` folder and the ``column_maps/`` folder) must resolve,
  after following symbolic links, inside the config's folder. A path outside is
  a :class:`~kpikit.errors.ConfigError` naming the key and the path as written;
  the outside file is never opened.
- **Every key at every level is checked** against :data:`SCHEMA`, a registry of
  keys -> rules. A misspelt key is an error with "did you mean"; a value of the
  wrong type is an error saying what was expected. Every problem in the file is
  reported at once (:class:`ConfigValidationError` when there are several).
- **YAML is read defensively** (:func:`read_yaml_mapping`, also used for column
  maps): UTF-8 only (a BOM is fine; UTF-16 and Latin-1 are named), at most
  :data:`MAX_YAML_BYTES`, no anchors or aliases (an alias bomb fails at once),
  no duplicate keys, no nesting deeper than :data:`MAX_YAML_DEPTH`.

Examples
--------
>>> from kpikit.config import ClientConfig
>>> cfg = ClientConfig.from_dict({"client": "acme", "currency": "EUR"})
>>> cfg.funnel.real_outcome
'opportunity'
>>> cfg.funnel.stages
('impressions', 'clicks', 'lead', 'mql', 'sql', 'opportunity', 'won')
>>> ClientConfig.from_dict({"client": "../escape"})
Traceback (most recent call last):
...
kpikit.errors.ConfigError: key 'client': client id must be letters, digits, '-' or '_' (found '../escape'). Fix: rename the client, e.g. 'acme-industrial'
>>> ClientConfig.from_dict({"client": "acme", "funnel": {"real_outcom": "won"}})
Traceback (most recent call last):
...
kpikit.errors.ConfigError: key 'funnel.real_outcom': unknown key in funnel (expected one of ['real_outcome', 'stages'], found 'real_outcom'). Fix: did you mean 'real_outcome'?
"""

from __future__ import annotations

import codecs
import difflib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kpikit.core.measures import FUNNEL_STAGES, REAL_OUTCOMES
from kpikit.core.names import is_plain_id, strip_controls
from kpikit.errors import ConfigError, ConfigValidationError, Problem

__all__ = [
    "ClientConfig",
    "FunnelConfig",
    "ExportFile",
    "ReportStyle",
    "DatesConfig",
    "DATE_ORDERS",
    "FUNNEL_STAGES",
    "SCHEMA",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "ConfigValidationError",
    "is_inside",
    "load_config",
    "read_yaml_mapping",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EXPORT_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx"}
#: A config or column map is settings, never data: anything larger is a mistake (or an attack).
#: The samples are under 2 KB. Changing this means changing the "1 MB" in the message too.
MAX_YAML_BYTES = 1 << 20
#: The deepest real config is 3 levels (``exports[0].path``, ``report.colors.primary``).
MAX_YAML_DEPTH = 32


@dataclass(frozen=True)
class FunnelConfig:
    stages: tuple[str, ...] = FUNNEL_STAGES
    real_outcome: str = "opportunity"


@dataclass(frozen=True)
class ExportFile:
    """One raw export; ``map`` names a column map for formats kpikit does not know."""

    path: Path
    map: Path | None = None


@dataclass(frozen=True)
class ReportStyle:
    agency: str = "kpikit"
    logo: Path | None = None
    primary_color: str = "#1f4e79"
    accent_color: str = "#e07b39"


#: Values of ``dates.order``: how to read a date that reads both ways (03/04/2024).
DATE_ORDERS: tuple[str, ...] = ("day_first", "month_first")


@dataclass(frozen=True)
class DatesConfig:
    """How to read the client's dates that read both ways (``03/04/2024``) in every export.

    ``order`` is ``"day_first"``, ``"month_first"`` or None: then the values decide,
    and for an export whose every date reads both ways, the client's other exports.
    """

    order: str | None = None

    @property
    def dayfirst(self) -> bool | None:
        return None if self.order is None else self.order == "day_first"


@dataclass(frozen=True)
class ClientConfig:
    """A validated client config.

    Attributes
    ----------
    client : str
        Safe id used for folders (letters, digits, ``-``, ``_``).
    name : str
        Display name for reports.
    currency : str
        Reporting currency; every money value is converted into it.
    fx_rates : dict
        Units of ``currency`` per one unit of another currency.
    salt : str
        Salt for hashing emails. ``KPIKIT_SALT`` in the environment wins.
    exports : tuple of ExportFile
        Raw export files to load.
    target_accounts : Path or None
        CSV of key accounts (``account_domain``, ``account_name``, ``tier``).
    funnel : FunnelConfig
        Stages to show and the real outcome.
    campaign_map : dict
        Raw CRM campaign / UTM value -> campaign name as the ad platform has it.
    kpis : dict
        Role -> the KPI that role is paid on (e.g. ``campaign_manager: ctr``).
    report : ReportStyle
        Agency branding for reports.
    dates : DatesConfig
        The date order (``dates: {order: day_first}``) for exports whose every date reads both ways.
    base_dir : Path
        Folder of the config file; relative paths resolve against it, and every
        path must stay inside it.
    """

    client: str
    name: str = ""
    currency: str = "USD"
    fx_rates: dict[str, float] = field(default_factory=dict)
    salt: str = "kpikit"
    exports: tuple[ExportFile, ...] = ()
    target_accounts: Path | None = None
    funnel: FunnelConfig = FunnelConfig()
    campaign_map: dict[str, str] = field(default_factory=dict)
    kpis: dict[str, str] = field(default_factory=dict)
    report: ReportStyle = ReportStyle()
    dates: DatesConfig = DatesConfig()
    base_dir: Path = Path(".")
    source: Path | None = None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> ClientConfig:
        """Read and validate a client config file."""
        path = Path(path)
        data = read_yaml_mapping(
            path,
            what="client config",
            missing_fix="check the path, or create one with `kpikit new-client NAME`",
            template="templates/client.yaml",
        )
        return cls.from_dict(data, base_dir=path.parent, source=path)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, base_dir: str | os.PathLike = ".", source: Path | None = None
    ) -> ClientConfig:
        """Validate a parsed config against :data:`SCHEMA` and build it.

        Raises
        ------
        ConfigError
            one problem: the key path in ``key``, what was expected and found, and a fix.
        ConfigValidationError
            several problems, every one listed.
        """
        base = Path(base_dir)
        ctx = _Context(base=base, file=None if source is None else str(source))
        v = SCHEMA.check(data, "", ctx)
        if isinstance(v, dict):
            _check_across_keys(v, ctx)
        if ctx.problems:
            raise ctx.error()
        client = v["client"]
        funnel = v.get("funnel") or {}
        report = v.get("report") or {}
        colors = report.get("colors") or {}
        return cls(
            client=client,
            name=v.get("name") or client,
            currency=v.get("currency", "USD"),
            fx_rates=dict(v.get("fx_rates") or {}),
            salt=os.environ.get("KPIKIT_SALT") or v.get("salt", "kpikit"),
            exports=tuple(v["exports"]),
            target_accounts=v.get("target_accounts"),
            funnel=FunnelConfig(
                stages=tuple(funnel.get("stages", FUNNEL_STAGES)),
                real_outcome=funnel.get("real_outcome", "opportunity"),
            ),
            campaign_map=dict(v.get("campaign_map") or {}),
            kpis=dict(v.get("kpis") or {}),
            report=ReportStyle(
                agency=report.get("agency", ReportStyle.agency),
                logo=report.get("logo"),
                primary_color=colors.get("primary", ReportStyle.primary_color),
                accent_color=colors.get("accent", ReportStyle.accent_color),
            ),
            dates=DatesConfig(order=(v.get("dates") or {}).get("order")),
            base_dir=base,
            source=source,
        )

    def rate(self, currency: str) -> float | None:
        """Units of the reporting currency per one unit of ``currency`` (None if unknown)."""
        if currency == self.currency:
            return 1.0
        return self.fx_rates.get(currency)


def load_config(path: str | os.PathLike) -> ClientConfig:
    """Read a client config file. Shortcut for :meth:`ClientConfig.from_yaml`."""
    return ClientConfig.from_yaml(path)


# --------------------------------------------------------------------------------------------
# The schema engine: rules that walk a parsed config, collecting every problem with its key path.
# Leaves parse one value (or raise _Bad); containers (_Section, _ListOf, _MapOf, _ByType) walk.
# --------------------------------------------------------------------------------------------

_INVALID = object()  # a value that failed its rule; its problem is already recorded
_ABSENT = object()  # no value to show (a missing key)


class _Bad(Exception):
    """Raised by a leaf parser: what is wrong, what was expected and the fix (``key`` overrides the path)."""

    def __init__(self, message: str, *, fix: str, expected: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.expected, self.key = message, fix, expected, key


@dataclass
class _Context:
    base: Path
    file: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.base.resolve(strict=False)

    def add(self, key: str, message: str, *, found: Any = _ABSENT, fix: str, expected: str | None = None) -> None:
        shown = None if found is _ABSENT else _show(found)
        self.problems.append(Problem(message, file=self.file, key=key or None, expected=expected, found=shown, fix=fix))

    def error(self) -> ConfigError:
        if len(self.problems) == 1:
            p = self.problems[0]
            return ConfigError(p.message, file=self.file, key=p.key, expected=p.expected, found=p.found, fix=p.fix)
        return ConfigValidationError(self.problems, file=self.file)


def _show(value: Any) -> str:
    # Short, so a pasted blob never floods the message.
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _join(key: str, sub: Any) -> str:
    return str(sub) if not key else f"{key}.{sub}"


def _label(key: str) -> str:
    # The last part of a key path: 'report.logo' -> 'logo', 'exports[2]' -> 'exports[2]'.
    return key.rsplit(".", 1)[-1]


def _did_you_mean(word: Any, allowed, fallback: str) -> str:
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1)
    return f"did you mean {close[0]!r}?" if close else fallback


@dataclass(frozen=True)
class _Leaf:
    """One value: ``parse(value, key, ctx)`` returns it cleaned or raises :class:`_Bad`."""

    parse: Callable[[Any, str, _Context], Any]
    null_ok: bool = False  # ``key: null`` (or ``key:``) means "not set"

    def check(self, value: Any, key: str, ctx: _Context) -> Any:
        if value is None and self.null_ok:
            return None
        try:
            return self.parse(value, key, ctx)
        except _Bad as bad:
            ctx.add(bad.key or key, bad.message, found=value, fix=bad.fix, expected=bad.expected)
            return _INVALID


@dataclass(frozen=True)
class _Section:
    """A mapping with known keys: unknown keys are errors ("did you mean"), each known key has its rule."""

    keys: Mapping[str, Any]
    example: str
    required: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)  # absent keys whose default is checked too
    build: Callable[[dict], Any] | None = None

    def check(self, value: Any, key: str, ctx: _Context) -> Any:
        if value is None and key:
            value = {}
        if not isinstance(value, Mapping):
            ctx.add(
                key,
                f"{_label(key) or 'a config'} must be a mapping of keys to values",
                expected=f"a mapping with keys {sorted(self.keys)}",
                found=value,
                fix=f"e.g. {self.example}",
            )
            return _INVALID
        out: dict[str, Any] = {}
        for k, v in value.items():
            sub = _join(key, k)
            rule = self.keys.get(k) if isinstance(k, str) else None
            if rule is None:
                where = f" in {key}" if key else ""
                fallback = "remove it, or rename it to one of the allowed keys"
                ctx.add(
                    sub,
                    f"unknown key{where}",
                    expected=f"one of {sorted(self.keys)}",
                    found=k,
                    fix=_did_you_mean(k, self.keys, fallback),
                )
                continue
            out[k] = rule.check(v, sub, ctx)
        for k in self.required:
            if k not in value:
                ctx.add(_join(key, k), f"required key {k!r} is missing", fix=f"add it, e.g. {self.example}")
        for k, default in self.defaults.items():
            if k not in value:
                out[k] = self.keys[k].check(default, _join(key, k), ctx)
        if self.build is None:
            return out
        if any(v is _INVALID for v in out.values()) or not all(k in out for k in self.required):
            return _INVALID
        return self.build(out)


@dataclass(frozen=True)
class _ListOf:
    """A list whose items all follow ``item``; ``at_list`` reports an item's problem at the list's own path."""

    item: Any
    message: str
    example: str
    min_items: int = 0
    unique: bool = False
    at_list: bool = False

    def check(self, value: Any, key: str, ctx: _Context) -> Any:
        if not isinstance(value, list | tuple):
            ctx.add(key, self.message, expected="a list", found=value, fix=f"e.g. {self.example}")
            return _INVALID
        if len(value) < self.min_items:
            ctx.add(
                key,
                f"{_label(key)} must not be empty",
                expected=f"at least {self.min_items} item",
                found=value,
                fix=f"e.g. {self.example}, or remove the key for the default",
            )
            return _INVALID
        out = [self.item.check(v, key if self.at_list else f"{key}[{i}]", ctx) for i, v in enumerate(value)]
        if self.unique:
            twice = sorted({str(v) for i, v in enumerate(value) if v in value[:i]})
            if twice:
                ctx.add(key, f"{_label(key)} lists {twice[0]!r} twice", found=value, fix="keep one of them")
        return out


@dataclass(frozen=True)
class _MapOf:
    """A mapping of free keys to values (``campaign_map``, ``kpis``, ``fx_rates``)."""

    key: _Leaf
    value: _Leaf
    message: str
    example: str

    def check(self, value: Any, key: str, ctx: _Context) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            ctx.add(key, self.message, expected="a mapping", found=value, fix=f"e.g. {self.example}")
            return _INVALID
        out = {}
        for k, v in value.items():
            sub = _join(key, k)
            kk = self.key.check(k, sub, ctx)
            vv = self.value.check(v, sub, ctx)
            if kk is not _INVALID:
                out[kk] = vv
        return out


@dataclass(frozen=True)
class _ByType:
    """A value that may take several shapes: the rule is picked by the Python type YAML produced."""

    choices: tuple[tuple[tuple[type, ...], Any], ...]
    message: str
    expected: str
    fix: str

    def check(self, value: Any, key: str, ctx: _Context) -> Any:
        for types, rule in self.choices:
            if isinstance(value, types):
                return rule.check(value, key, ctx)
        ctx.add(key, self.message, expected=self.expected, found=value, fix=self.fix)
        return _INVALID


# ---- leaf parsers ------------------------------------------------------------------------------


def _type_fix(value: Any, example: str) -> str:
    # YAML turns unquoted 0123 into 83, yes into True and 2024-01-05 into a date: quoting keeps the text.
    if value is None:
        return f"write a value (e.g. {example}) or remove the key"
    if isinstance(value, bool):
        return "put it in quotes: unquoted, YAML reads yes/no/true/false/on/off as true or false"
    if isinstance(value, int | float):
        return "put it in quotes: unquoted, YAML reads digits as a number (0123 becomes 83)"
    if hasattr(value, "isoformat"):
        return "put it in quotes: unquoted, YAML reads 2024-01-05 as a date"
    return f"e.g. {example}"


def _text(example: str, check: Callable[[str], None] | None = None) -> _Leaf:
    def parse(value: Any, key: str, ctx: _Context) -> str:
        if not isinstance(value, str):
            raise _Bad(f"{_label(key)} must be text", expected="text", fix=_type_fix(value, example))
        if check is not None:
            check(value)
        return value

    return _Leaf(parse)


def _free_text(example: str) -> _Leaf:
    """Text that reports show (a name, the agency, campaign names): control characters removed.

    The same rule as the loader's scrub (:data:`kpikit.core.names.CONTROL_CHARS`): a YAML escape
    such as ``"\\x1b[31m"`` must not reach a chart or a page, any more than an export's cell.
    """
    plain = _text(example).parse
    return _Leaf(lambda value, key, ctx: strip_controls(plain(value, key, ctx)))


def _colour(value: Any, key: str, ctx: _Context) -> str:
    if value is None:
        # `primary: #1f4e79` unquoted: the # starts a YAML comment, so the value is empty.
        raise _Bad(
            f"{_label(key)} colour is empty",
            expected="a colour like '#1f4e79'",
            fix=f'a # starts a YAML comment: quote the colour, e.g. {_label(key)}: "#1f4e79"',
        )
    if not isinstance(value, str):
        raise _Bad(
            f"{_label(key)} colour must be text", expected="a colour like '#1f4e79'", fix=_type_fix(value, '"#1f4e79"')
        )
    return value


def _client_id(value: str) -> None:
    if not is_plain_id(value):
        raise _Bad("client id must be letters, digits, '-' or '_'", fix="rename the client, e.g. 'acme-industrial'")


def _currency(value: str) -> None:
    if not _CURRENCY.match(value):
        raise _Bad("currency must be an ISO 4217 code", fix="use e.g. EUR, USD, GBP")


def _fx_code(value: Any, key: str, ctx: _Context) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise _Bad(
            "fx_rates keys must be ISO 4217 codes", expected="a code like USD", fix="use e.g. USD", key="fx_rates"
        )
    return value


def _fx_rate(value: Any, key: str, ctx: _Context) -> float:
    code = _label(key)
    # bool is an int to Python: `USD: yes` must not become a rate of 1.
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if not ok:
        raise _Bad(
            f"rate for {code} must be a positive number",
            expected="a finite number > 0",
            fix=f"e.g. {code}: 0.92 (units of the reporting currency per 1 {code})",
            key="fx_rates",
        )
    return float(value)


def _choice(allowed: tuple[str, ...], message: str, fallback: str) -> _Leaf:
    def parse(value: Any, key: str, ctx: _Context) -> str:
        if value not in allowed or not isinstance(value, str):
            raise _Bad(message, fix=_did_you_mean(value, allowed, fallback))
        return value

    return _Leaf(parse)


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path``, after following every symbolic link, lies inside ``folder`` (also resolved).

    Examples
    --------
    >>> is_inside("client/exports/../ads.csv", "client"), is_inside("client/../../etc/passwd", "client")
    (True, False)
    """
    try:
        return Path(path).resolve(strict=False).is_relative_to(Path(folder).resolve(strict=False))
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
        return False


def _inside(value: Any, key: str, ctx: _Context, *, kind: str = "file") -> Path:
    """``value`` as written, joined to the client folder; refused unless it resolves inside it."""
    example = "exports/google_ads.csv" if kind == "file" else "exports"
    if not isinstance(value, str):
        raise _Bad(
            f"{_label(key)} must be a path written as text",
            expected=f"a path relative to client.yaml, e.g. {example}",
            fix=_type_fix(value, example),
        )
    if not value.strip() or "\x00" in value:
        what = "empty" if not value.strip() else "not a usable path (it contains a NUL character)"
        raise _Bad(
            f"{_label(key)} is {what}",
            expected=f"a path relative to client.yaml, e.g. {example}",
            fix="write the path of the file inside the client folder",
        )
    root = ctx.root
    written = ctx.base / value
    try:
        written.resolve(strict=False)
    except (OSError, RuntimeError):
        raise _Bad(
            f"{_label(key)} is a symbolic link that cannot be followed (a link loop?)",
            expected=f"a {kind} inside {root}",
            fix=f"replace the link with the {kind} itself",
        ) from None
    if not is_inside(written, root):
        # Where the path points with no links followed tells a "../" or absolute path from a symbolic link.
        plain = Path(os.path.normpath(root / value))
        how = "is a symbolic link to a place" if plain.is_relative_to(root) else "points"
        raise _Bad(
            f"{_label(key)} {how} outside the client folder",
            expected=f"a {kind} inside {root}",
            fix=f"copy the {kind} into the client folder {root} and write its path relative to client.yaml",
        )
    return written


def _file(value: Any, key: str, ctx: _Context) -> Path | None:
    return _inside(value, key, ctx)


def _optional_file(value: Any, key: str, ctx: _Context) -> Path | None:
    return None if value == "" else _inside(value, key, ctx)  # "" has always meant "none"


def _export_folder(value: Any, key: str, ctx: _Context) -> list[ExportFile]:
    folder = _inside(value, key, ctx, kind="folder")
    if not folder.is_dir():
        return []  # load_client says "no export files"; a config without exports is fine to read
    files = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in _EXPORT_SUFFIXES or not p.is_file():
            continue
        if not is_inside(p, ctx.root):
            ctx.add(
                key,
                f"export {p.name!r} is a symbolic link to a file outside the client folder",
                expected=f"a file inside {ctx.root}",
                found=f"{value}/{p.name}",
                fix=f"copy the file into the client folder {ctx.root} instead of linking it",
            )
            continue
        files.append(ExportFile(p))
    return files


def _export_file(value: Any, key: str, ctx: _Context) -> ExportFile:
    return ExportFile(_inside(value, key, ctx))


# ---- the schema --------------------------------------------------------------------------------

_EXPORTS_FIX = "see templates/client.yaml"

#: Every key a client config may hold, at every level, with its rule. The one place to add a key.
SCHEMA = _Section(
    {
        "client": _text("acme-industrial", _client_id),
        "name": _Leaf(_free_text("Acme Industrial Ltd").parse, null_ok=True),
        "currency": _text("EUR", _currency),
        "fx_rates": _MapOf(
            _Leaf(_fx_code), _Leaf(_fx_rate), message="fx_rates must map currency codes to rates", example="{USD: 0.92}"
        ),
        "salt": _text("a-long-random-phrase"),
        "exports": _ByType(
            (
                ((str,), _Leaf(_export_folder)),
                (
                    (list, tuple),
                    _ListOf(
                        _ByType(
                            (
                                ((str,), _Leaf(_export_file)),
                                (
                                    (Mapping,),
                                    _Section(
                                        {"path": _Leaf(_file), "map": _Leaf(_file, null_ok=True)},
                                        example="{path: exports/newsletter.csv, map: column_maps/newsletter.yaml}",
                                        required=("path",),
                                        build=lambda d: ExportFile(d["path"], d.get("map")),
                                    ),
                                ),
                            ),
                            message="each export must be a path or {path, map}",
                            expected="a path, or {path: ..., map: ...}",
                            fix=_EXPORTS_FIX,
                        ),
                        message="exports must be a folder or a list of files",
                        example="[exports/google_ads.csv]",
                    ),
                ),
            ),
            message="exports must be a folder or a list of files",
            expected="a folder name, or a list of files",
            fix=_EXPORTS_FIX,
        ),
        "target_accounts": _Leaf(_optional_file, null_ok=True),
        "funnel": _Section(
            {
                "stages": _ListOf(
                    _choice(FUNNEL_STAGES, f"unknown stage; allowed stages are {list(FUNNEL_STAGES)}", "remove it"),
                    message="stages must be a list of funnel stages",
                    example=f"stages: [{', '.join(FUNNEL_STAGES)}]",
                    min_items=1,
                    unique=True,
                    at_list=True,
                ),
                "real_outcome": _choice(
                    REAL_OUTCOMES, f"real_outcome must be one of {list(REAL_OUTCOMES)}", "pick one of them"
                ),
            },
            example="funnel: {real_outcome: opportunity}",
        ),
        "campaign_map": _MapOf(
            _free_text("tax-guide-2026"),
            _free_text("Lead Gen - Tax Guide 2026"),
            message="campaign_map must map CRM campaign values to ad platform campaign names",
            example='{"tax-guide-2026": "Lead Gen - Tax Guide 2026"}',
        ),
        "kpis": _MapOf(
            _text("campaign_manager"),
            _text("ctr"),
            message="kpis must map each role to the KPI it is paid on",
            example="{campaign_manager: ctr, cmo: pipeline}",
        ),
        "dates": _Section(
            {
                "order": _Leaf(
                    _choice(DATE_ORDERS, f"dates.order must be one of {list(DATE_ORDERS)}", "pick one of them").parse,
                    null_ok=True,
                )
            },
            example="dates: {order: day_first}",
        ),
        "report": _Section(
            {
                "agency": _free_text("Northlight Consulting"),
                "logo": _Leaf(_optional_file, null_ok=True),
                "colors": _Section(
                    {"primary": _Leaf(_colour), "accent": _Leaf(_colour)},
                    example='colors: {primary: "#1f4e79", accent: "#e07b39"}',
                ),
            },
            example="report: {agency: Your Agency, logo: null}",
        ),
    },
    example="client: acme-industrial",
    required=("client",),
    defaults={"exports": "exports"},
)


def _check_across_keys(v: dict[str, Any], ctx: _Context) -> None:
    """Rules that join two keys."""
    currency = v.get("currency", "USD")
    fx = v.get("fx_rates")
    # Only on an otherwise clean config: with `curency: EUR` misspelt, "USD is the reporting currency" misleads.
    if not ctx.problems and isinstance(fx, dict) and isinstance(currency, str) and currency in fx:
        # rate() answers 1.0 for the reporting currency: the entry would be ignored without a word.
        ctx.add(
            "fx_rates",
            f"fx_rates lists {currency}, the reporting currency itself",
            found=currency,
            fix=f"remove {currency} from fx_rates (its rate is always 1)",
        )
    root = ctx.root
    maps = ctx.base / "column_maps"
    # The implicit column_maps/ folder is read by detection: it is part of the client folder too.
    if maps.exists() and not is_inside(maps, root):
        ctx.add(
            "column_maps",
            "the column_maps folder is a symbolic link to a place outside the client folder",
            found="column_maps",
            expected=f"a folder inside {root}",
            fix=f"copy the maps into the client folder {root}/column_maps instead of linking it",
        )


# --------------------------------------------------------------------------------------------
# YAML reading
# --------------------------------------------------------------------------------------------


class _Refused(yaml.YAMLError):
    """A YAML feature kpikit refuses, with the line it is on."""

    def __init__(self, message: str, mark: Any, fix: str) -> None:
        super().__init__(message)
        self.message, self.mark, self.fix = message, mark, fix


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without anchors and aliases, duplicate keys or deep nesting.

    Aliases are refused when composed, before anything is expanded, so an alias
    bomb ("billion laughs") fails on its first ``*name``.
    """

    what = "YAML file"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._anchor: tuple[str, Any] | None = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"YAML aliases (*{event.anchor}) are not allowed in {self.what}s: write the value out",
                event.start_mark,
                fix=f"replace *{event.anchor} with the value itself",
            )
        if event.anchor is not None and self._anchor is None:
            self._anchor = (event.anchor, event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(
                    f"{self.what} is nested more than {MAX_YAML_DEPTH} levels deep",
                    event.start_mark,
                    fix="a config is a few levels deep: check the brackets and indentation",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        if self._anchor is not None:
            # An anchor nobody refers to changes nothing, but it says the writer expects sharing that is refused.
            name, mark = self._anchor
            raise _Refused(
                f"YAML anchors (&{name}) are not allowed in {self.what}s: write the value out",
                mark,
                fix=f"remove &{name}",
            )
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    # PyYAML keeps the last one silently: the first value would vanish without a word.
                    raise _Refused(
                        f"key {key!r} appears twice in the same mapping (rows {seen[key]} and {line})",
                        key_node.start_mark,
                        fix="keep one of them",
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as exc:  # 2024-02-30 as a date, a 5000-digit number
            if not isinstance(node, yaml.ScalarNode):
                raise
            kind = {"int": "number", "float": "number", "timestamp": "date"}.get(node.tag.rsplit(":", 1)[-1], "value")
            raise _Refused(
                f"{_show(node.value)} is not a valid {kind} ({str(exc).split(':')[0]})",
                node.start_mark,
                fix=f"correct the {kind}, or put it in quotes if it is text",
            ) from None


def _decode(raw: bytes, path: Path, what: str, template: str) -> str:
    """UTF-8 text (a BOM is dropped); UTF-16, UTF-32 and Latin-1 are named so the user can re-save."""

    def refuse(encoding: str, row: int | None = None, found: str | None = None) -> ConfigError:
        return ConfigError(
            f"{path.name} is saved as {encoding}; save it as UTF-8",
            file=str(path),
            row=row,
            found=found,
            fix="in your editor use Save As and pick the encoding UTF-8",
        )

    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts with FF FE
        raise refuse("UTF-32")
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse("UTF-16")
    head = raw[:4096]
    if b"\x00" in head:
        # ASCII saved as UTF-16 without a BOM has a NUL in every other byte.
        if max(head[0::2].count(0), head[1::2].count(0)) >= len(head) // 4:
            raise refuse("UTF-16")
        raise ConfigError(
            f"{what} contains NUL bytes: it is not a text file", file=str(path), fix=f"start from {template}"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1]
        row = raw[: exc.start].count(b"\n") + 1
        raise refuse(
            "Latin-1 (Windows-1252)", row=row, found=f"{bad.decode('cp1252', 'replace')!r} (byte 0x{bad.hex()})"
        ) from None


def read_yaml_mapping(path: Path, *, what: str, missing_fix: str, template: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; every failure is a :class:`ConfigError` naming the file.

    Used for client configs and column maps alike: at most :data:`MAX_YAML_BYTES`,
    UTF-8, no anchors or aliases, no duplicate keys, at most :data:`MAX_YAML_DEPTH` levels.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "client.yaml"
    >>> _ = p.write_text("a: &x [1, 2]\\nb: *x\\n")
    >>> read_yaml_mapping(p, what="client config", missing_fix="", template="")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kpikit.errors.ConfigError: ...client.yaml: row 2: YAML aliases (*x) are not allowed in client configs: write the value out. Fix: replace *x with the value itself
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} not found", file=str(path), fix=missing_fix)
    size = path.stat().st_size
    too_big = dict(
        file=str(path),
        expected=f"at most 1 MB ({MAX_YAML_BYTES:,} bytes)",
        fix=f"a {what} holds settings, not data: remove any pasted data (start from {template})",
    )
    if size > MAX_YAML_BYTES:
        raise ConfigError(f"{what} is too large", found=f"{size:,} bytes", **too_big)
    with path.open("rb") as f:
        raw = f.read(MAX_YAML_BYTES + 1)  # bounded even if the file grows after stat()
    if len(raw) > MAX_YAML_BYTES:
        raise ConfigError(f"{what} is too large", found=f"more than {MAX_YAML_BYTES:,} bytes", **too_big)
    text = _decode(raw, path, what, template)
    loader = None
    try:
        loader = _StrictLoader(text)
        loader.what = what
        data = loader.get_single_data()
    except _Refused as exc:
        raise ConfigError(exc.message, file=str(path), row=exc.mark.line + 1, fix=exc.fix) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(
            f"{what} contains a character YAML does not allow (#x{exc.character:04x})",
            file=str(path),
            row=text[: exc.position].count("\n") + 1,
            fix="delete it (it is usually invisible: retype the line)",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        tag = isinstance(exc, yaml.constructor.ConstructorError) and "tag" in str(getattr(exc, "problem", ""))
        raise ConfigError(
            f"{what} is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=str(path),
            row=None if mark is None else mark.line + 1,
            fix="remove the YAML tag (the word starting with '!')"
            if tag
            else "check indentation and quoting on that line (quote values such as ';' or '%d/%m/%Y')",
        ) from None
    except RecursionError:  # belt and braces: MAX_YAML_DEPTH stops nesting long before this
        raise ConfigError(f"{what} is nested too deeply", file=str(path), fix=f"start from {template}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(
            f"a {what} must be a mapping of keys to values",
            file=str(path),
            found=repr(type(data).__name__),
            fix=f"start from {template}",
        )
    return data
