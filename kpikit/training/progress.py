"""Which exercises pass: a small summary at the end of each module.

Every :func:`~kpikit.training.check` records its latest result for the running
kernel; :func:`progress` summarises them per module.

Examples
--------
>>> from kpikit.training import EXERCISES, check, progress, reset_progress
>>> reset_progress()
>>> ex = EXERCISES["m1.cost_per_like"]
>>> _ = check(ex.id, ex.solve(seed=0), seed=0)
>>> p = progress("m1")
>>> p.to_dict()["passed"], p.to_dict()["total"] == len(EXERCISES.module("m1"))
(1, True)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kpikit.training._core import EXERCISES, CheckResult

__all__ = ["Progress", "progress", "record", "reset_progress"]

PROGRESS_MIME = "application/vnd.kpikit.progress+json"
_LATEST: dict[str, CheckResult] = {}
_ATTEMPTS: dict[str, int] = {}
_ICON = {"correct": "✔", "mistake": "✘", "wrong": "✘", "invalid": "?", "blank": "…", "not tried": "·"}
_LABEL = {
    "correct": "passed",
    "mistake": "a common mistake",
    "wrong": "not yet",
    "invalid": "cannot check",
    "blank": "no answer yet",
    "not tried": "check not run",
}


def record(result: CheckResult) -> None:
    """Remember ``result`` as the latest for its exercise (blank checks are not attempts)."""
    _LATEST[result.exercise_id] = result
    if result.status != "blank":
        _ATTEMPTS[result.exercise_id] = _ATTEMPTS.get(result.exercise_id, 0) + 1


def reset_progress() -> None:
    """Forget every recorded result (a new trainee on the same kernel).

    Examples
    --------
    >>> from kpikit.training import progress, reset_progress
    >>> reset_progress()
    >>> progress("m1").passed
    0
    """
    _LATEST.clear()
    _ATTEMPTS.clear()


@dataclass(frozen=True)
class Progress:
    """Status of each exercise of a module (or of the whole course)."""

    module: str | None
    rows: tuple[dict[str, Any], ...]

    @property
    def passed(self) -> int:
        return sum(r["passed"] for r in self.rows)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def complete(self) -> bool:
        return self.passed == self.total

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=["exercise_id", "title", "status", "passed", "attempts"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "passed": self.passed,
            "total": self.total,
            "exercises": [dict(r) for r in self.rows],
        }

    def __repr__(self) -> str:
        head = f"{self.module or 'course'}: {self.passed}/{self.total} exercises pass"
        body = [f"  {_ICON[r['status']]} {r['exercise_id']:<28} {r['title']}" for r in self.rows]
        return "\n".join([head, *body])

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.complete else "#1565c0"
        # Not kpikit.core.fmt.html_table: a checklist, not a frame: inline styles (training notebooks ship no CSS),
        # status icons and exercise ids as <code>, which html_table would escape.
        td = '<td style="padding:.1em .7em .1em 0">'
        rows = "".join(
            f"<tr>{td}{_ICON[r['status']]}</td>{td}<code>{html.escape(r['exercise_id'])}</code></td>"
            f"{td}{html.escape(r['title'])}</td>{td}{_LABEL[r['status']]}</td>{td}{r['attempts']}</td></tr>"
            for r in self.rows
        )
        note = (
            "All done: well done."
            if self.complete
            else "Scroll back to any exercise not marked ✔, fix the answer and re-run its check."
        )
        return (
            f'<div class="kpikit-progress" style="border-left:5px solid {colour};padding:.5em .9em;'
            'font-family:system-ui,sans-serif;color:#222">'
            f'<div style="font-weight:600;color:{colour}">{html.escape(self.module or "Course")}: '
            f"{self.passed} of {self.total} exercises pass</div>"
            '<table style="border-collapse:collapse;margin:.4em 0;text-align:left"><tr><th></th><th>exercise</th>'
            f"<th>title</th><th>status</th><th>attempts</th></tr>{rows}</table><div>{note}</div></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": repr(self), "text/html": self._repr_html_(), PROGRESS_MIME: self.to_dict()}


def progress(module: str | None = None) -> Progress:
    """Latest status of each exercise of ``module`` (``"m1"`` .. ``"m5"``), or of all.

    An exercise is ``not tried`` until it is checked; afterwards its status is
    the latest check's (``correct``, ``mistake``, ``wrong``, ``invalid``, ``blank``).

    Parameters
    ----------
    module : str, optional
        ``"m1"`` .. ``"m5"``; None for the whole course.

    Returns
    -------
    Progress
        Renders as a small table in a notebook; ``to_frame()``, ``to_dict()``.

    Examples
    --------
    >>> from kpikit.training import check, progress, reset_progress
    >>> reset_progress()
    >>> _ = check("m2.total_spend", ..., seed=0)
    >>> progress("m2").to_frame()[["exercise_id", "status"]].head(2)
         exercise_id     status
    0  m2.total_spend      blank
    1     m2.meta_ctr  not tried
    """
    exercises = EXERCISES.module(module) if module else list(EXERCISES.values())
    rows = []
    for ex in exercises:
        latest = _LATEST.get(ex.id)
        status = latest.status if latest else "not tried"
        rows.append(
            {
                "exercise_id": ex.id,
                "title": ex.title,
                "status": status,
                "passed": status == "correct",
                "attempts": _ATTEMPTS.get(ex.id, 0),
            }
        )
    return Progress(module, tuple(rows))
