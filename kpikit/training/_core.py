"""Exercises, their registry and the check that gives feedback.

An :class:`Exercise` is a question about a scenario generated from a seed.
Its expected answer and each of its common mistakes are *functions of that
scenario*, so every trainee can get different numbers and the check still
knows which wrong-but-plausible method produced a wrong answer.

Examples
--------
>>> from kpikit.training import EXERCISES, check
>>> ex = EXERCISES["m1.cost_per_like"]
>>> right = ex.solve(seed=3)
>>> check("m1.cost_per_like", round(right, 2), seed=3).passed
True
>>> check("m1.cost_per_like", None, seed=3).status
'blank'
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from kpikit.core.fmt import fmt
from kpikit.core.measures import KINDS
from kpikit.errors import KpikitError, OptionError

__all__ = [
    "Mistake",
    "Exercise",
    "Assignment",
    "CheckResult",
    "Scenario",
    "EXERCISES",
    "register",
    "exercise",
    "check",
]

CHECK_MIME = "application/vnd.kpikit.check+json"


@dataclass(frozen=True)
class Scenario:
    """The numbers one trainee works on: generated from ``seed``.

    ``data`` holds what the trainee may look at (frames, raw export bytes);
    ``facts`` holds the values the question text quotes; ``model`` is a
    :class:`~kpikit.model.ClientModel` when the exercise runs on one.
    """

    seed: int
    data: Mapping[str, Any]
    facts: Mapping[str, Any] = field(default_factory=dict)
    model: Any = None


@dataclass(frozen=True)
class Mistake:
    """A wrong-but-plausible method, and what to tell the trainee who used it.

    Parameters
    ----------
    key
        Short id, e.g. ``"all_clicks"``.
    label
        What the trainee did, e.g. ``"divided by all clicks, including likes and shares"``.
    answer
        Computes the answer this method gives on a scenario: one value, or a
        tuple of variants (e.g. the same mistake in percent and as a fraction).
    feedback, hint
        Why it is wrong, and what to do instead.
    """

    key: str
    label: str
    answer: Callable[[Scenario], Any]
    feedback: str
    hint: str


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    ``kind`` is ``"number"`` (compared with a tolerance: ``rel`` of the expected
    value or ``abs``, whichever is larger) or ``"choice"`` (one of
    ``choices(scenario)``, compared case-insensitively). With ``rounding`` (the
    default), a number answer that is the expected value rounded to 2
    significant figures or to 2 decimals also passes, unless a listed mistake
    rounds to the same value; set it to ``False`` for exact counts.
    ``answer_kind`` (a :func:`kpikit.core.fmt.fmt` kind) and ``currency`` say how
    the feedback prints the expected number, as the rest of kpikit prints it.
    """

    id: str
    title: str
    question: str
    scenario: Callable[[int], Scenario]
    answer: Callable[[Scenario], Any]
    mistakes: tuple[Mistake, ...] = ()
    kind: str = "number"
    unit: str = ""
    rel: float = 0.01
    abs: float = 0.0
    choices: Callable[[Scenario], list[str]] | None = None
    hint: str = ""
    explanation: str = ""
    rounding: bool = True
    answer_kind: str = "number"
    currency: str = ""

    def __post_init__(self) -> None:
        if self.answer_kind not in KINDS:
            raise OptionError("answer_kind", self.answer_kind, KINDS, what=f"answer_kind for exercise {self.id!r}")

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    def at(self, seed: int = 0) -> Assignment:
        """This exercise with the scenario of ``seed``.

        Frames in ``data`` are copies: a trainee adding a column to them cannot
        change what the check expects.
        """
        scen = _scenario(self.id, int(seed))
        data = {k: v.copy() if isinstance(v, pd.DataFrame) else v for k, v in scen.data.items()}
        return Assignment(self, Scenario(scen.seed, data, dict(scen.facts), scen.model))

    def solve(self, seed: int = 0) -> Any:
        """The expected answer for ``seed`` (facilitators and tests)."""
        return self.answer(_scenario(self.id, int(seed)))

    def mistake(self, key: str) -> Mistake:
        for m in self.mistakes:
            if m.key == key:
                return m
        raise OptionError("key", key, [m.key for m in self.mistakes], what=f"mistake for exercise {self.id!r}")

    def tolerance(self, expected: float) -> float:
        return max(self.abs, self.rel * abs(expected))


class _Registry(Mapping[str, Exercise]):
    """Exercises by id, in the order the modules register them."""

    def __init__(self) -> None:
        self._items: dict[str, Exercise] = {}

    def __getitem__(self, key: str) -> Exercise:
        try:
            return self._items[key]
        except KeyError:
            raise OptionError(
                "exercise", key, self._items, what="exercise id",
                fix="copy the id from the exercise's heading, e.g. 'm1.cost_per_like'",
            ) from None  # fmt: skip

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def add(self, ex: Exercise) -> Exercise:
        if ex.id in self._items:
            raise KpikitError(f"exercise {ex.id!r} is registered twice")
        self._items[ex.id] = ex
        return ex

    def module(self, module: str) -> list[Exercise]:
        """The exercises of one module (``"m1"``), in order."""
        return [e for e in self._items.values() if e.module == module]


EXERCISES = _Registry()


def register(ex: Exercise) -> Exercise:
    """Add ``ex`` to :data:`EXERCISES` and return it (each module file registers its exercises).

    Examples
    --------
    >>> from kpikit.training import EXERCISES
    >>> register(EXERCISES["m1.cost_per_like"])
    Traceback (most recent call last):
    ...
    kpikit.errors.KpikitError: exercise 'm1.cost_per_like' is registered twice
    """
    return EXERCISES.add(ex)


@lru_cache(maxsize=256)
def _scenario(exercise_id: str, seed: int) -> Scenario:
    return EXERCISES[exercise_id].scenario(seed)


# -- answers ------------------------------------------------------------------------------------

_BLANK = "blank"
_INVALID = "invalid"


def _is_blank(answer: Any) -> bool:
    return answer is None or answer is Ellipsis or (isinstance(answer, str) and not answer.strip())


def _as_number(answer: Any) -> float | str:
    """A float, or a message saying why the answer is not a number."""
    if isinstance(answer, pd.DataFrame):
        return "your answer is a whole table; pick the one number the question asks for"
    if isinstance(answer, pd.Series | pd.Index):
        if len(answer) == 1:
            answer = answer.iloc[0] if isinstance(answer, pd.Series) else answer[0]
        else:
            return (
                f"your answer is a column of {len(answer)} values; reduce it to one number "
                "(e.g. with .sum(), or select one row with .loc)"
            )
    if isinstance(answer, bool):
        return "your answer is True/False; the question asks for a number"
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
        percent = text.endswith("%")
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            return f"{answer!r} is not a number"
        return value / 100 if percent else value
    if isinstance(answer, numbers.Number):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return f"{answer!r} is not a real number"
        if math.isnan(value):
            return "your answer is NaN: did you divide by an empty selection, or by a column with missing values?"
        if math.isinf(value):
            return "your answer is infinite: did you divide by zero (a selection with no rows)?"
        return value
    return f"expected a number, got a {type(answer).__name__}"


def _norm_choice(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _echo(answer: Any) -> str:
    """The trainee's answer as entered: not a figure kpikit computed, so not rounded by ``fmt``.

    Twelve significant digits drop float noise (``31241.929999999997``) and keep every digit typed.

    >>> _echo(31241.929999999997), _echo(0.0123), _echo(" 1.2% "), _echo(7), _echo([1])
    ('31241.93', '0.0123', '1.2%', '7', 'list')
    """
    if isinstance(answer, str):
        return answer.strip()
    if isinstance(answer, bool):
        return str(answer)
    if isinstance(answer, numbers.Integral):
        return str(int(answer))
    if isinstance(answer, numbers.Real):
        return f"{float(answer):.12g}"
    return type(answer).__name__


# -- results ------------------------------------------------------------------------------------

_TICKS = re.compile(r"`([^`]+)`")


def rich(text: str) -> str:
    """Escape ``text`` for HTML, then show `backticked` names as code.

    Examples
    --------
    >>> rich("use the `engagements` column, not <b>")
    'use the <code>engagements</code> column, not &lt;b&gt;'
    """
    return _TICKS.sub(r"<code>\1</code>", html.escape(text))


_STYLE = {
    "correct": ("#e8f5e9", "#2e7d32", "✔ Correct"),
    "mistake": ("#fff8e1", "#b26a00", "✘ A common mistake"),
    "wrong": ("#fdecea", "#c62828", "✘ Not yet"),
    _BLANK: ("#e3f2fd", "#1565c0", "… No answer yet"),
    _INVALID: ("#fdecea", "#c62828", "? Cannot check this answer"),
}


@dataclass(frozen=True)
class CheckResult:
    """Feedback on one answer.

    ``status`` is ``correct``, ``mistake`` (matches a listed common mistake,
    named in ``matched_mistake``), ``wrong``, ``blank`` or ``invalid``.
    """

    exercise_id: str
    seed: int
    status: str
    message: str
    hint: str = ""
    matched_mistake: str | None = None
    answer: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise_id": self.exercise_id,
            "seed": self.seed,
            "passed": self.passed,
            "status": self.status,
            "matched_mistake": self.matched_mistake,
            "message": self.message,
            "hint": self.hint,
            "answer": self.answer,
        }

    def __repr__(self) -> str:
        text = f"[{self.exercise_id}] {_STYLE[self.status][2]}: {self.message}"
        return text + (f"\nHint: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        bg, fg, head = _STYLE[self.status]
        hint = f'<div style="margin-top:.4em"><b>Hint:</b> {rich(self.hint)}</div>' if self.hint else ""
        return (
            f'<div class="kpikit-check kpikit-check-{self.status}" style="background:{bg};'
            f"border-left:5px solid {fg};padding:.6em .9em;margin:.3em 0;border-radius:3px;"
            f'font-family:system-ui,sans-serif;color:#222">'
            f'<div style="color:{fg};font-weight:600">{head} '
            f'<span style="color:#666;font-weight:400">({html.escape(self.exercise_id)})</span></div>'
            f"<div>{rich(self.message)}</div>{hint}</div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # The JSON part lets tests and graders read results out of an executed notebook.
        return {"text/plain": repr(self), "text/html": self._repr_html_(), CHECK_MIME: self.to_dict()}


@dataclass(frozen=True)
class Assignment:
    """An exercise bound to one trainee's scenario: shows the question, holds the data."""

    exercise: Exercise
    scenario: Scenario

    @property
    def data(self) -> Mapping[str, Any]:
        return self.scenario.data

    @property
    def model(self) -> Any:
        return self.scenario.model

    @property
    def facts(self) -> Mapping[str, Any]:
        return self.scenario.facts

    @property
    def question(self) -> str:
        return self.exercise.question.format(**self.scenario.facts)

    @property
    def choices(self) -> list[str] | None:
        return None if self.exercise.choices is None else list(self.exercise.choices(self.scenario))

    def check(self, answer: Any) -> CheckResult:
        """Same as ``kpikit.training.check(id, answer, seed=seed)``."""
        return check(self.exercise.id, answer, seed=self.scenario.seed)

    def __repr__(self) -> str:
        lines = [f"[{self.exercise.id}] {self.exercise.title}", self.question]
        if self.choices:
            lines.append("Choose one of: " + ", ".join(self.choices))
        if self.exercise.unit:
            lines.append(f"Answer in: {self.exercise.unit}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        ex = self.exercise
        extra = ""
        if self.choices:
            items = "".join(f"<li><code>{html.escape(c)}</code></li>" for c in self.choices)
            extra += f"<div>Choose one of:<ul style='margin:.2em 0'>{items}</ul></div>"
        if ex.unit:
            extra += f"<div style='color:#555'>Answer in: {html.escape(ex.unit)}</div>"
        return (
            '<div class="kpikit-exercise" style="border:1px solid #1f4e79;border-radius:3px;'
            'padding:.6em .9em;margin:.3em 0;font-family:system-ui,sans-serif;color:#222">'
            f'<div style="color:#1f4e79;font-weight:600">Exercise {html.escape(ex.id)}: {html.escape(ex.title)}'
            f' <span style="color:#666;font-weight:400">(seed {self.scenario.seed})</span></div>'
            f"<div style='margin-top:.3em'>{rich(self.question)}</div>{extra}</div>"
        )


def exercise(exercise_id: str, seed: int = 0) -> Assignment:
    """The exercise ``exercise_id`` with the scenario of ``seed``.

    Examples
    --------
    >>> from kpikit import training
    >>> ex = training.exercise("m1.cost_per_like", seed=1)
    >>> sorted(ex.data)[:1]
    ['campaigns']
    >>> ex.data["campaigns"].equals(training.exercise("m1.cost_per_like", seed=1).data["campaigns"])
    True
    """
    return EXERCISES[exercise_id].at(seed)


def _result(ex: Exercise, seed: int, status: str, message: str, hint: str = "", **kw: Any) -> CheckResult:
    result = CheckResult(ex.id, seed, status, message, hint, **kw)
    from kpikit.training.progress import record  # circular at import time

    record(result)
    return result


def check(exercise_id: str, answer: Any, seed: int = 0) -> CheckResult:
    """Check ``answer`` to an exercise and say what went wrong, if anything.

    Parameters
    ----------
    exercise_id
        e.g. ``"m1.cost_per_like"`` (see :data:`EXERCISES`).
    answer
        A number (``4.2``, ``"4.2"``, ``"35%"``, a one-value Series) or, for a
        choice, one of the offered options. ``None`` or ``...`` means "not
        answered yet" and gives guidance instead of an error.
    seed
        The seed the trainee's scenario was generated with.

    Returns
    -------
    CheckResult
        Renders as a coloured feedback box in a notebook.

    Examples
    --------
    >>> from kpikit.training import EXERCISES, check
    >>> ex = EXERCISES["m1.cost_per_like"]
    >>> wrong = ex.mistake("all_clicks").answer(ex.at(5).scenario)
    >>> r = check("m1.cost_per_like", wrong, seed=5)
    >>> r.passed, r.matched_mistake
    (False, 'all_clicks')
    >>> check("m1.cost_per_like", "lots", seed=5).status
    'invalid'
    """
    ex = EXERCISES[exercise_id]
    seed = int(seed)
    if _is_blank(answer):
        what = "choose one of the options" if ex.kind == "choice" else "compute the number"
        return _result(
            ex,
            seed,
            _BLANK,
            f"No answer yet: replace the `...` in the exercise cell ({what}), run it, then run this check again.",
            ex.hint,
        )
    scen = _scenario(ex.id, seed)
    expected = ex.answer(scen)
    shown = _echo(answer)

    if ex.kind == "choice":
        if isinstance(answer, pd.Series | pd.Index) and len(answer) == 1:
            answer = answer.tolist()[0]
        if isinstance(answer, pd.DataFrame | pd.Series | pd.Index):
            return _result(
                ex,
                seed,
                _INVALID,
                f"your answer is a table or column of {len(answer)} rows; the question asks for one name.",
                "select a single value, e.g. with .iloc[0] after sorting, and copy it in quotes",
                answer=type(answer).__name__,
            )
        options = list(ex.choices(scen)) if ex.choices else []
        given = _norm_choice(answer)
        if options and given not in {_norm_choice(o) for o in options}:
            return _result(
                ex,
                seed,
                _INVALID,
                f"{answer!r} is not one of the options: {', '.join(options)}.",
                "copy one option exactly (case and spaces do not matter)",
                answer=shown,
            )
        if given == _norm_choice(expected):
            return _result(ex, seed, "correct", _praise(ex, expected), answer=shown)
        for m in ex.mistakes:
            if given == _norm_choice(m.answer(scen)):
                return _result(ex, seed, "mistake", _mistake_text(m), m.hint, matched_mistake=m.key, answer=shown)
        return _result(ex, seed, "wrong", f"{answer!r} is not the best option here.", ex.hint, answer=shown)

    value = _as_number(answer)
    if isinstance(value, str):
        text = value if value.endswith(("?", ".", "!")) else value + "."
        return _result(ex, seed, _INVALID, text, ex.hint, answer=shown)
    expected = float(expected)
    # What to call the answer in feedback: as typed, or the number a one-value column/array held.
    said = shown if isinstance(answer, numbers.Real | str) else _echo(value)
    if abs(value - expected) <= ex.tolerance(expected):
        return _result(ex, seed, "correct", _praise(ex, expected), answer=shown)
    for m in ex.mistakes:
        if any(abs(value - w) <= ex.tolerance(w) for w in _values(m.answer(scen))):
            return _result(ex, seed, "mistake", _mistake_text(m), m.hint, matched_mistake=m.key, answer=shown)
    if ex.rounding and _rounds_to(value, expected):
        clash = [m for m in ex.mistakes if any(_rounds_to(value, w) for w in _values(m.answer(scen)))]
        if not clash:
            return _result(ex, seed, "correct", _praise(ex, expected), answer=shown)
        return _result(
            ex,
            seed,
            "wrong",
            f"{said} is rounded too much to tell it apart from a common mistake "
            f"(it could also be: {clash[0].label}). Enter it with more decimals.",
            ex.hint,
            answer=shown,
        )
    side = "high" if value > expected else "low"
    return _result(
        ex,
        seed,
        "wrong",
        f"{said} is too {side}, and it matches none of the usual mistakes. Re-read the question: "
        "which rows, which column on top, which below?",
        ex.hint,
        answer=shown,
    )


def _rounds_to(value: float, exact: float) -> bool:
    """Whether ``value`` is ``exact`` rounded to 2 significant figures, or to 2 decimals.

    Rounding to 2 decimals counts only where it keeps at least 2 significant
    figures (0.0042 is not "0.00"). Ties may round either way.

    Examples
    --------
    >>> _rounds_to(2.3, 2.325), _rounds_to(2.33, 2.325), _rounds_to(2.32, 2.325), _rounds_to(0.0042, 0.004249)
    (True, True, True, True)
    >>> _rounds_to(2.4, 2.325), _rounds_to(0.0, 0.0042), _rounds_to(2.31, 2.325)
    (False, False, False)
    """
    if not math.isfinite(exact) or exact == 0:
        return False
    sig_unit = 10.0 ** (math.floor(math.log10(abs(exact))) - 1)
    units = [sig_unit] + ([0.01] if 0.01 <= sig_unit else [])
    for unit in units:
        steps = value / unit
        if abs(steps - round(steps)) < 1e-6 and abs(value - exact) <= unit / 2 * (1 + 1e-9):
            return True
    return False


def _values(wrong: Any) -> list[float]:
    """A mistake may yield one value or several variants (e.g. a fraction and the same in percent)."""
    items = wrong if isinstance(wrong, tuple | list) else [wrong]
    out = []
    for w in items:
        if w is None:
            continue
        w = float(w)
        if math.isfinite(w):
            out.append(w)
    return out


def _praise(ex: Exercise, expected: Any) -> str:
    shown = str(expected) if ex.kind == "choice" else fmt(expected, ex.answer_kind, ex.currency)
    return f"Right: {shown}. {ex.explanation}".strip()


def _mistake_text(m: Mistake) -> str:
    return f"It looks like you {m.label}. {m.feedback}"
