"""Last line of defence against personal data in report outputs.

The loaders never keep an email, name or phone number, so a report built from
a :class:`~kpikit.ClientModel` holds none. Error messages are different: a
loader that rejects a malformed row may quote the cell it found, and that cell
can be an email or a phone number. Everything the runner writes from text it
did not build itself (tracebacks, error messages, stream output) goes through
:func:`redact` first.

Examples
--------
>>> from kpikit.report.redact import redact
>>> redact("row 7, column 'Email': found 'ana.lopez@example.com'")
"row 7, column 'Email': found '[email removed]'"
>>> redact("call +44 20 7946 0958 or (555) 010-4477 before 2024-03-01")
'call [phone removed] or [phone removed] before 2024-03-01'
>>> redact("spend 12,345.67 EUR on 1,200 clicks")
'spend 12,345.67 EUR on 1,200 clicks'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact", "redact_notebook", "EMAIL", "PHONE"]

# The lookbehind lets a match start only at a token boundary (linear time on long base64 runs).
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+(?:'[A-Za-z0-9._%+\-]+)*@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# A phone number: 9-15 digits in groups split by spaces, dots, dashes or
# brackets, or a run of digits after "+". Dates, times and plain ids (a bare run
# of digits) are left alone: this runs on error messages, where they are common.
PHONE = re.compile(r"(?<![\w.:])\+?\(?\d[\d\s().\-]{6,}\d(?![\w:])")
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}|^\d+$|\d\.\d+\s+\d")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if not 9 <= digits <= 15 or (not text.startswith("+") and _NOT_PHONE.search(text.strip())):
        return text
    return "[phone removed]"


def redact(text: str) -> str:
    """Replace email addresses and phone numbers in ``text``."""
    if not text:
        return text
    return PHONE.sub(_phone, EMAIL.sub("[email removed]", text))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def redact_notebook(nb: Any) -> int:
    """Redact error and stream outputs of a notebook in place; return how many changed.

    Rich outputs (tables, charts) are built from the model, which holds no
    personal data; tracebacks and printed text may quote raw input.
    """
    changed = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            before = repr(out)
            if out.get("output_type") == "stream":
                out["text"] = _redact_value(out.get("text", ""))
            elif out.get("output_type") == "error":
                out["evalue"] = redact(out.get("evalue", ""))
                out["traceback"] = _redact_value(out.get("traceback", []))
            if repr(out) != before:
                changed += 1
    return changed
