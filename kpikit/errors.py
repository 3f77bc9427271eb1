"""One exception tree for kpikit.

Every error a user can cause derives from :class:`KpikitError`. Errors carry
structured fields (``file``, ``row``, ``column``, ``expected``, ``found``,
``fix``) and rebuild a readable message from them, so a consultant reading a
failed load sees *where* the problem is, *what* was expected, *what* was found
and *how to fix it*, without a traceback from deep inside pandas.

A loader that finds several problems in one file raises a single
:class:`ValidationError` holding every :class:`Problem` (lazy validation, as
pandera does), so the client's export can be fixed in one pass.

Examples
--------
>>> from kpikit.errors import Problem, ValidationError
>>> err = ValidationError(
...     [Problem(message="text in a numeric column", row=7, column="Cost",
...              expected="a number", found="'n/a'", fix="blank the cell or enter 0")],
...     file="google_ads.csv",
... )
>>> print(err)  # doctest: +NORMALIZE_WHITESPACE
google_ads.csv: 1 problem
  - row 7, column 'Cost': text in a numeric column (expected a number, found 'n/a'). Fix: blank the cell or enter 0
>>> isinstance(err, KpikitError)
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "KpikitError",
    "ConfigError",
    "DataError",
    "ValidationError",
    "ConfigValidationError",
    "UnknownFormatError",
    "CurrencyError",
    "ReportError",
    "OptionError",
    "Problem",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as possible.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (header and preamble lines included), so a consultant can jump straight to it.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    expected: str | None = None
    found: str | None = None
    fix: str | None = None
    key: str | None = None  # a config key path (``report.logo``), where a file has no rows and columns

    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.key is not None:
            parts.append(f"key {self.key!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        detail = []
        if self.expected is not None:
            detail.append(f"expected {self.expected}")
        if self.found is not None:
            detail.append(f"found {self.found}")
        if detail:
            text += f" ({', '.join(detail)})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class KpikitError(Exception):
    """Base of every error kpikit raises on purpose.

    Parameters
    ----------
    message
        What went wrong, in the user's terms.
    file, row, column
        Where, when known. ``row`` is 1-based as shown in a spreadsheet.
    expected, found
        What kpikit expected and what it found (already ``repr``-ed by the caller).
    fix
        What the user should do about it.
    """

    def __init__(
        self,
        message: str = "",
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        fix: str | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.key = key
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.expected = expected
        self.found = found
        self.fix = fix
        super().__init__(str(self))

    @property
    def problems(self) -> list[Problem]:
        """The problems this error reports (one, for a simple error)."""
        return [
            Problem(
                message=self.message,
                file=self.file,
                row=self.row,
                column=self.column,
                expected=self.expected,
                found=self.found,
                fix=self.fix,
                key=self.key,
            )
        ]

    def __str__(self) -> str:
        (p,) = self.problems
        body = str(p)
        return f"{self.file}: {body}" if self.file else body

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "file": self.file,
            "problems": [p.to_dict() for p in self.problems],
        }


class ConfigError(KpikitError):
    """A client config (YAML) or a column map is missing, malformed or inconsistent."""


class DataError(KpikitError):
    """An input file cannot be used as it is."""


class _Problems:
    """Mixin: every problem found in one input, collected lazily and raised once.

    The exception's own fields (``row``, ``column``...) describe the first problem.
    """

    def __init__(self, problems: list[Problem], *, file: str | None = None) -> None:
        self._problems = list(problems)
        first = self._problems[0] if self._problems else Problem("no problem recorded")
        super().__init__(  # type: ignore[call-arg]
            first.message,
            file=file,
            row=first.row,
            column=first.column,
            expected=first.expected,
            found=first.found,
            fix=first.fix,
            key=first.key,
        )

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def __str__(self) -> str:
        n = len(self._problems)
        head = f"{self.file}: " if self.file else ""  # type: ignore[attr-defined]
        lines = [f"{head}{n} problem{'s' if n != 1 else ''}"]
        lines += [f"  - {p}" for p in self._problems]
        return "\n".join(lines)


class ValidationError(_Problems, DataError):
    """Every problem found in one file, collected lazily and raised once.

    Parameters
    ----------
    problems
        All the problems found. Each keeps its own row and column.
    file
        The file they were found in.
    """


class ConfigValidationError(_Problems, ConfigError):
    """Every problem found in one client config or column map, raised once.

    Raised when there are two or more problems; a single problem is a plain :class:`ConfigError`.
    """


class UnknownFormatError(DataError):
    """No registered export format recognises the file."""


class CurrencyError(DataError):
    """Money in different currencies would be mixed without an exchange rate."""


class ReportError(KpikitError):
    """A report could not be produced for a client."""


class OptionError(KpikitError, ValueError):
    """A caller passed an option kpikit does not know (a period, a model, an outcome, a KPI).

    Also a :class:`ValueError`, so code that guards a call with ``except ValueError`` keeps
    working. ``allowed`` lists the values that would have worked; the message says them, and
    when one is close to what was passed (a typo, another case) the fix names it first
    (``suggestion``).

    Parameters
    ----------
    option
        The parameter or setting that received the value (``"period"``, ``"models"``).
    value
        What the caller passed.
    allowed
        The values that would have worked, in the order to list them.
    what
        Words for the kind of value, when not the option's own name ("attribution model").
    fix
        What to do, when more specific than "pass one of the allowed values".

    Examples
    --------
    >>> err = OptionError("period", "fortnight", ["D", "W", "M", "Q", "Y"])
    >>> print(err)
    column 'period': unknown period (expected one of ['D', 'W', 'M', 'Q', 'Y'], found 'fortnight'). Fix: pass one of the allowed values
    >>> isinstance(err, ValueError), err.allowed
    (True, ('D', 'W', 'M', 'Q', 'Y'))
    >>> err = OptionError("models", "u-shaped", ["first", "last", "u_shaped"], what="attribution model")
    >>> err.suggestion, err.fix
    ('u_shaped', "did you mean 'u_shaped'? If not, pass one of the allowed values")
    """

    def __init__(self, option: str, value: object, allowed, *, what: str | None = None, fix: str | None = None) -> None:
        self.option = option
        self.value = value
        self.allowed = tuple(allowed)
        self.suggestion = _closest(value, self.allowed)
        fix = fix or "pass one of the allowed values"
        if self.suggestion is not None:
            fix = f"did you mean {self.suggestion!r}? If not, {fix}"
        super().__init__(
            f"unknown {what or option}",
            column=option,
            expected=f"one of {list(self.allowed)}",
            found=repr(value),
            fix=fix,
        )


def _closest(value: object, allowed: tuple) -> object | None:
    """The allowed value nearest to ``value`` (same letters in another case, or a near spelling), if any."""
    import difflib  # only when an option is wrong

    by_word = {str(a).lower(): a for a in allowed}
    word = str(value).strip().lower()
    if word in by_word:
        return by_word[word]
    close = difflib.get_close_matches(word, list(by_word), n=1, cutoff=0.75)
    return by_word[close[0]] if close else None


class MemoryLimitError(KpikitError):
    """The out-of-core engine ran out of memory within the user's ``memory_limit``, even spilling to disk."""
