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

from typing import Any

from kpikit.privacy import EMAIL, PHONE, scrub_text

__all__ = ["redact", "redact_notebook", "EMAIL", "PHONE"]  # the patterns live in kpikit.privacy


def redact(text: str) -> str:
    """Replace email addresses and phone numbers in ``text`` (:func:`kpikit.privacy.scrub_text`)."""
    return scrub_text(text, email="[email removed]", phone="[phone removed]") if text else text


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
