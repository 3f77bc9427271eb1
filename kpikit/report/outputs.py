"""Files a report workbook writes next to its HTML: ``metrics.json`` and ``charts/``.

The runner passes the workbook an ``output_dir`` (a staging folder it
publishes atomically). Run by hand in JupyterLab, ``output_dir`` is ``""`` and
these functions write nothing, so exploring the workbook leaves no files
behind.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from kpikit.report.outputs import save_metrics, save_chart_svg
>>> save_metrics({"spend": 1.0}, "") is None
True
>>> with tempfile.TemporaryDirectory() as tmp:
...     p = save_metrics({"spend": 1.0, "client": "acme"}, tmp)
...     c = save_chart_svg("<svg/>", "funnel", tmp)
...     p.read_text().splitlines()[1], c.relative_to(tmp).as_posix()
('  "client": "acme",', 'charts/funnel.svg')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kpikit.core.names import CLIENT_ID_RULE, is_plain_id
from kpikit.errors import ReportError
from kpikit.report._io import atomic_write_bytes, atomic_write_text, write_json

__all__ = ["save_metrics", "save_chart_svg", "save_chart_png", "chart_path"]


def save_metrics(metrics: dict[str, Any], output_dir: str | os.PathLike) -> Path | None:
    """Write ``metrics`` as canonical JSON to ``output_dir/metrics.json`` (nothing if ``output_dir`` is empty)."""
    if not output_dir:
        return None
    return write_json(Path(output_dir) / "metrics.json", metrics)


def chart_path(name: str, output_dir: str | os.PathLike, suffix: str) -> Path:
    """``output_dir/charts/<name><suffix>``; ``name`` must be a plain file stem."""
    # Same rule as client ids: the stem becomes a file name and a link in report.html.
    if not is_plain_id(name):
        raise ReportError(f"chart name must be {CLIENT_ID_RULE}", found=repr(name), fix="e.g. 'cost_per_outcome'")
    folder = Path(output_dir) / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}{suffix}"


def save_chart_svg(svg: str, name: str, output_dir: str | os.PathLike) -> Path | None:
    """Write an SVG string to ``output_dir/charts/<name>.svg``."""
    if not output_dir:
        return None
    return atomic_write_text(chart_path(name, output_dir, ".svg"), svg)


def save_chart_png(png: bytes, name: str, output_dir: str | os.PathLike) -> Path | None:
    """Write PNG bytes to ``output_dir/charts/<name>.png``."""
    if not output_dir:
        return None
    return atomic_write_bytes(chart_path(name, output_dir, ".png"), png)
