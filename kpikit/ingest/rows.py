"""Stage 2 of a load: read the rows below the header and sort them before any conversion.

:func:`read_data` reads the rows as text (the arrow engine, for big files, reads
only the mapped columns and may parse ISO date columns on the way).
:func:`sort_rows` then puts every row read in exactly one kind, which is what lets
a load report reconcile (``rows_read == rows_loaded + sum(dropped)``):

- blank: every cell empty; not a row at all (pyarrow and pandas skip them too),
  only mentioned in a note;
- footer: from the first row that starts like one of the format's footers
  ("Total: Account") to the end of the file, every non-blank row; dropped and
  counted as ``footer``;
- malformed: a row whose cell count differs from the header's; dropped, counted
  as ``malformed``, and one :class:`~kpikit.errors.Problem` each (so the file
  does not load);
- data: the rest, which the convert stage turns into model columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpikit._arrowtext import is_blank
from kpikit.errors import Problem
from kpikit.ingest.detect import Detected
from kpikit.ingest.formats import Format
from kpikit.ingest.headers import _Source
from kpikit.ingest.readers import ARROW_THRESHOLD, Rows, read_rows
from kpikit.model import TABLES

__all__ = ["SortedRows", "no_data_problem", "read_data", "sort_rows"]

_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def read_data(det: Detected, sources: dict[str, _Source], engine: str | None) -> Rows:
    """Read every row below the header as text.

    Parameters
    ----------
    det
        The detected format and file.
    sources
        The columns the format reads (the arrow engine reads only these and the first).
    engine
        ``"python"``, ``"arrow"`` or ``None``: arrow for files over
        :data:`~kpikit.ingest.readers.ARROW_THRESHOLD` bytes.
    """
    raw = det.raw
    positions = sorted({p for s in sources.values() for p in s.positions} | {0})
    # The python engine reads every cell (exact duplicates are judged on whole rows); the
    # arrow engine, for big files, reads only the mapped columns.
    use_arrow = engine == "arrow" or (engine is None and raw.size > ARROW_THRESHOLD)
    head = raw.head_rows(det.sep)[det.header_index + 1 :]
    timestamps = _iso_date_columns(det.format, sources, head) if use_arrow else []
    return read_rows(
        raw,
        det.sep,
        det.header_index,
        columns=positions if use_arrow else None,
        engine="arrow" if use_arrow else "python",
        timestamps=timestamps,
    )


def _iso_date_columns(fmt: Format, sources: dict[str, _Source], head: list[list[str]]) -> list[int]:
    """Header positions of date columns whose sampled values are all ISO dates (arrow fast path)."""
    if fmt.read.date_format not in (None, "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        return []
    dtypes = TABLES[fmt.table].dtypes
    iso, unseen = [], []
    for target, src in sources.items():
        if src.template or not dtypes.get(target, "").startswith("datetime"):
            continue
        pos = src.positions[0]
        values = [r[pos].strip() for r in head if len(r) > pos and r[pos].strip()]
        if not values:
            unseen.append(pos)  # e.g. "Became a Customer Date": empty on the first rows
        elif all(re.fullmatch(_ISO_DATE, v) for v in values):
            iso.append(pos)
        else:
            return []
    # An export writes all its dates one way: date columns still empty in the head are parsed
    # as ISO too when every sampled one is. If one is not, the read is redone as text (readers).
    # The first column stays text where footers are looked for ("Total: Account" is no date).
    picked = {p for p in iso + unseen if not (p == 0 and fmt.footer)}
    return sorted(picked) if iso else []


@dataclass(frozen=True)
class SortedRows:
    """The kind of every row read (see the module docstring).

    Attributes
    ----------
    data
        One bool per row of ``Rows.frame``: a data row, to convert.
    blank
        Blank lines: in the frame, and skipped by the engine.
    footer, malformed
        Rows of each kind, including those the arrow engine skipped (not in the frame).
    problems
        One per malformed row, in file order.
    """

    data: np.ndarray
    blank: int
    footer: int
    malformed: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def n_data(self) -> int:
        return int(self.data.sum())

    @property
    def rows_read(self) -> int:
        """Every non-blank row below the header."""
        return self.n_data + self.footer + self.malformed

    @property
    def dropped(self) -> dict[str, int]:
        """Footer and malformed rows, as load report ``dropped`` counts (zero counts left out)."""
        counts = {"footer": self.footer, "malformed": self.malformed}
        return {reason: n for reason, n in counts.items() if n}


def sort_rows(fmt: Format, rows: Rows, file: str) -> SortedRows:
    """Sort every row read into blank, footer, malformed and data rows.

    Parameters
    ----------
    fmt
        The format: its ``footer`` prefixes mark totals rows.
    rows
        The rows read, with the ragged ones the reader reported.
    file
        The file, for messages.
    """
    frame = rows.frame
    # Blank lines are not rows (pyarrow and pandas skip them too); say how many.
    blank = _blank_rows(frame)
    # Footer / totals rows: from the first row that starts like a footer to the end of the
    # file, every non-blank row is footer (Salesforce puts a subtotal line inside its block).
    footer = np.zeros(len(frame), dtype=bool)
    starts = tuple(fmt.footer)
    if starts:
        first = frame["0"].fillna("").str.strip() if "0" in frame else pd.Series("", index=frame.index)
        hits = np.flatnonzero(first.str.startswith(starts).fillna(False).to_numpy(dtype=bool) & ~blank)
        if len(hits):
            footer[hits[0] :] = True
            footer &= ~blank
    ragged_pos, skipped_footer, skipped_malformed, problems = _ragged(rows, footer, starts, len(rows.header), file)
    ragged_pos &= ~footer
    return SortedRows(
        data=~(blank | footer | ragged_pos),
        blank=int(blank.sum()) + rows.blank_skipped,
        footer=int(footer.sum()) + skipped_footer,
        malformed=int(ragged_pos.sum()) + skipped_malformed,
        problems=problems,
    )


def no_data_problem(file: str, header_line: int, rows_read: int) -> Problem:
    """The problem of a file whose header has no data rows below it."""
    return Problem(
        "the file has a header but no data rows",
        file=file,
        row=header_line,
        expected="at least one data row below the header",
        found="no rows" if not rows_read else f"{rows_read} footer/malformed row(s) only",
        fix="export the report again (check the date range); if there truly was no activity, "
        "remove the file from the client's exports",
    )


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every text cell is empty (checked column by column, only where still blank)."""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        s = frame[col]
        if not blank.any():
            break
        if s.dtype.kind == "M":
            blank &= s.isna().to_numpy(dtype=bool)
            continue
        idx = np.flatnonzero(blank)
        sub = s.iloc[idx] if len(idx) < len(s) else s
        blank[idx] = is_blank(sub)
    return blank


def _ragged(
    rows: Rows, footer: np.ndarray, starts: tuple[str, ...], width: int, file: str
) -> tuple[np.ndarray, int, int, list[Problem]]:
    """Sort rows with the wrong number of cells into footer lines and malformed rows.

    Marks ragged footer lines in ``footer`` (in place); returns the mask of malformed
    rows in the frame, the counts of rows the arrow engine skipped (footer, malformed)
    and one problem per malformed row.
    """
    ragged_pos = np.zeros(len(footer), dtype=bool)
    problems: list[Problem] = []
    skipped_footer = skipped_malformed = 0
    for r in rows.ragged:
        is_footer = bool(starts) and (
            r.first_cell.strip().startswith(starts) or (r.pos is not None and bool(footer[r.pos]))
        )
        if r.pos is not None:
            if is_footer:
                footer[r.pos] = True
                continue
            ragged_pos[r.pos] = True
        elif is_footer:
            skipped_footer += 1
            continue
        else:
            skipped_malformed += 1
        if r.unclosed:
            problems.append(
                Problem(
                    "a quote opened on this row is never closed, so the rest of the file reads as one cell",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells starting {r.first_cell[:40]!r}",
                    fix='close the quote (a quote inside a cell is written twice: "") or re-export the file',
                )
            )
        elif r.truncated:
            problems.append(
                Problem(
                    f"the last row has {r.cells} of {width} cells and the file does not end with a line "
                    "break: the file looks truncated (cut mid-row)",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells",
                    fix="download the export again; the copy you have was cut off",
                )
            )
        else:
            problems.append(
                Problem(
                    f"row has {r.cells} cells but the header has {width}",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells starting {r.first_cell[:40]!r}",
                    fix="check for an unquoted separator or a missing cell on that line",
                )
            )
    return ragged_pos, skipped_footer, skipped_malformed, problems
