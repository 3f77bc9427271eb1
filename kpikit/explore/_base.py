"""What every explorer shares: the :class:`Explorer` base, the chart-spec cache, the offline
JavaScript bundle, the one readout table builder and the common controls.

Every explorer is an :class:`ipywidgets.AppLayout` (so it displays itself in JupyterLab and
Voila) with:

``controls``
    name -> ipywidget. Sliders and text boxes use ``continuous_update=False``:
    a drag sends one value on release, so no stale work queues up behind it.
``result`` / ``numbers``
    the scenario result of the current control values and its headline
    figures (what the readout shows), for tests and snapshots.
``charts``
    name -> :class:`altair.JupyterChart`, updated in place (``.chart = ...``)
    and rendered offline (``JupyterChart.enable_offline()``).
``snapshot()``
    save the scenario into the client's folder (see :mod:`kpikit.explore`).

The numbers come only from :mod:`kpikit.explore.scenarios`, and print only through
:func:`kpikit.core.fmt.fmt`: an explorer wires controls to a scenario and formats its result.

Examples
--------
>>> print(readout_table(["", "value"], [["CTR <all>", Figure("2.10%", "ctr", "value")]]))  # doctest: +NORMALIZE_WHITESPACE
<table class="kpk-readout" style="border-collapse:collapse;font-size:14px"><thead><tr><th></th><th>value</th></tr></thead><tbody><tr><td>CTR &lt;all&gt;</td><td class="kpk-value" data-metric="ctr" data-col="value">2.10%</td></tr></tbody></table>
"""

from __future__ import annotations

import html
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as w
import pandas as pd

from kpikit.core.measures import MEASURES, REAL_OUTCOMES
from kpikit.core.result import json_safe
from kpikit.errors import KpikitError
from kpikit.explore.precompute import Cube, precompute

__all__ = ["Explorer", "MissingData", "FAILED", "Figure", "readout_table", "slider", "outcome_options"]

_OFFLINE = False


def _offline_cache() -> Path:
    import altair as alt
    import vl_convert as vlc

    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kpikit"
    return root / f"jupyterchart-offline-altair{alt.__version__}-vlc{vlc.__version__}.js"


def _offline() -> None:
    """Serve JupyterChart's JavaScript from vl-convert, not a CDN (once per kernel).

    Bundling takes 2-8 s; the bundle only depends on the altair and vl-convert
    versions, so it is kept in ``~/.cache/kpikit`` and the next workshop starts
    without paying for it again.
    """
    global _OFFLINE
    if _OFFLINE:
        return
    import altair as alt

    cache = _offline_cache()
    jc = alt.JupyterChart
    if cache.is_file() and hasattr(jc, "_is_offline") and not jc._is_offline:
        # the same two class attributes enable_offline() sets
        jc._esm = cache.read_text(encoding="utf-8")
        jc._is_offline = True
    else:
        jc.enable_offline()
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(jc._esm, encoding="utf-8")
            tmp.replace(cache)
        except (OSError, AttributeError, TypeError):
            pass  # no cache: the next start bundles again
    url = _served_bundle(jc._esm)
    if url is not None:
        jc._esm = url
    _OFFLINE = True


def _served_bundle(esm: str) -> str | None:
    """In a ``kpikit workshop`` kernel: the bundle as a file Voila serves, and its local URL.

    Inline, the ~0.9 MB bundle travels in every chart's widget state and the page evaluates
    it once per chart; as a URL (anywidget imports an ``http://`` ``_esm``), the browser
    fetches it once from 127.0.0.1 and shares the module. Elsewhere (JupyterLab, tests) None.
    """
    from kpikit.explore.preload import BUNDLE_FILE, ENV

    port = os.environ.get("VOILA_APP_PORT")
    if not port or not os.environ.get(ENV) or esm.startswith("http"):
        return None
    target = Path.cwd() / BUNDLE_FILE  # Voila starts the kernel in the notebook's folder
    try:
        if not target.is_file():
            tmp = target.with_name(f".{BUNDLE_FILE}.{os.getpid()}.tmp")
            tmp.write_text(esm, encoding="utf-8")
            tmp.replace(target)
    except OSError:
        return None  # inline it is, then
    base = os.environ.get("VOILA_BASE_URL", "/")
    return f"http://127.0.0.1:{port}{base}voila/files/{BUNDLE_FILE}"


# --------------------------------------------------------------------------- readout


@dataclass(frozen=True)
class Figure:
    """A figure the room reads. Tests and the browser find it by ``metric`` and ``col``."""

    text: str
    metric: str
    col: str


def readout_table(
    head: Sequence[str], rows: Sequence[Sequence[str | Figure]], *, bold: Sequence[int] = (), cls: str = "kpk-readout"
) -> str:
    """The one readout table of the explorers: a row is labels (``str``) and :class:`Figure` cells.

    Every header and cell is escaped (campaign and audience names are untrusted);
    ``bold`` lists the rows printed in bold (totals).
    """
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for c in row:
            if isinstance(c, Figure):
                cells.append(
                    f'<td class="kpk-value" data-metric="{html.escape(c.metric)}" data-col="{html.escape(c.col)}">'
                    f"{html.escape(c.text)}</td>"
                )
            else:
                cells.append(f"<td>{html.escape(c)}</td>")
        style = " style='font-weight:600'" if i in bold else ""
        body.append(f"<tr{style}>{''.join(cells)}</tr>")
    return (
        f'<table class="{html.escape(cls)}" style="border-collapse:collapse;font-size:14px">'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


_STYLE = (
    "<style>.kpk-readout td,.kpk-readout th{padding:3px 10px;text-align:right;border-bottom:1px solid #ddd}"
    ".kpk-readout td{white-space:nowrap}.kpk-readout td:first-child,.kpk-readout th:first-child{text-align:left}"
    ".kpk-warn{color:#a40000;font-weight:600}.kpk-note{color:#555}</style>"
)


# --------------------------------------------------------------------------- controls


def slider(cls: Callable, description: str, **kw: Any) -> w.ValueWidget:
    """A slider that sends one value on release (no stale work queues up behind a drag)."""
    return cls(
        description=description,
        description_allow_html=False,
        continuous_update=False,
        style={"description_width": "120px"},
        layout=w.Layout(width="360px"),
        **kw,
    )


def outcome_options(cube: Cube) -> list[tuple[str, str]]:
    """Outcomes this client's data can measure (e.g. no key accounts without a target list)."""
    return [(MEASURES[o].label, o) for o in REAL_OUTCOMES if o in cube.measured or o == cube.real_outcome]


# --------------------------------------------------------------------------- chart specs


def _values(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as Vega-Lite inline values, exactly as Altair's data transformer writes them."""
    import altair as alt

    return alt.data_transformers.get()(frame)["values"]


def _fast_values(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The same rows through pandas' C JSON writer (NaN -> null, dates ISO): ~20x faster."""
    return json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))


def _substitute(obj: Any, mapping: dict[str, str]) -> Any:
    """Copy of a spec with every sentinel string replaced (inside longer strings too)."""
    if isinstance(obj, str):
        for k, v in mapping.items():
            if k in obj:
                obj = obj.replace(k, v)
        return obj
    if isinstance(obj, dict):
        return {k: _substitute(v, mapping) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, mapping) for v in obj]
    return obj


class _Specs:
    """Chart specs rebuilt by swapping data and labels into a validated template.

    Building and validating an Altair chart costs tens of milliseconds; the
    layout of an explorer's chart does not change between interactions, only
    its rows and labels do. The first call for a layout (builder, row counts,
    non-text arguments) builds the chart once with sentinel text arguments
    and keeps its spec; every call copies that spec, puts the labels in place
    of the sentinels and replaces the datasets that came from the frames.
    """

    def __init__(self) -> None:
        self._templates: dict[Any, tuple[dict, list[str], list[str]] | None] = {}

    def spec(self, builder: Callable, frames: tuple[pd.DataFrame, ...], *args: Any) -> dict:
        texts = [i for i, a in enumerate(args) if isinstance(a, str)]
        key = (builder.__name__, tuple(len(f) for f in frames), tuple(a for a in args if not isinstance(a, str)))
        template = self._templates.get(key, False)
        if template is False:
            sentinels = {i: f"\u2063kpk{i}\u2063" for i in texts}
            targs = [sentinels.get(i, a) for i, a in enumerate(args)]
            spec = builder(*frames, *targs).to_dict()
            datasets = spec.get("datasets", {})
            names = []
            for f in frames:
                vals = _values(f)
                found = [n for n, v in datasets.items() if v == vals]
                names.append(found[0] if len(found) == 1 else None)
            ok = all(names) and len(set(names)) == len(names)
            template = (spec, names, [sentinels[i] for i in texts]) if ok else None
            self._templates[key] = template
        if template is None:  # ambiguous datasets: always rebuild
            return builder(*frames, *args).to_dict()
        spec, names, marks = template
        body = {k: v for k, v in spec.items() if k != "datasets"}
        out = _substitute(body, {m: args[i] for m, i in zip(marks, texts, strict=True)})
        out["datasets"] = {**spec["datasets"], **{n: _fast_values(f) for n, f in zip(names, frames, strict=True)}}
        return out


# --------------------------------------------------------------------------- explorer


class MissingData(KpikitError):
    """This client's data cannot feed an explorer (no touchpoints, no weekly spend...).

    The message is what the room reads in place of the explorer: say what is missing, in
    the client's terms, and which export would bring the explorer back.
    """


#: Shown when an explorer fails for a reason kpikit did not foresee; the details go to the terminal.
FAILED = (
    "This explorer could not be built from this client's data. The rest of the workshop works; "
    "the technical details are in the terminal that runs kpikit workshop."
)


class Explorer(w.AppLayout):
    """Base of the explorers: builds the layout, wires controls, refreshes on change.

    Subclasses set ``name``/``title`` and implement ``_controls()``,
    ``compute(**values)``, ``_readout(result)`` and ``_charts(result)``; ``_prepare()``
    does their one-off work (fits, engine calls) and raises :class:`MissingData` when the
    client's data cannot feed them.

    An explorer never breaks the page: when its data is missing, or building it fails, it
    shows its title and a short notice instead of controls. ``unavailable`` then holds the
    notice text, ``reason`` is ``"data"`` (a :class:`~kpikit.errors.KpikitError`: the
    message says what is missing) or ``"error"`` (anything else; the traceback goes to the
    kernel's terminal), and ``controls`` is empty.
    """

    name: ClassVar[str] = "explorer"
    title: ClassVar[str] = "Explorer"

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.controls: dict[str, w.ValueWidget] = {}
        self.result: Any = None
        self.numbers: dict[str, Any] = {}
        self.refreshes = 0
        self.readout = w.HTML(layout=w.Layout(overflow="auto"))
        self.notice = w.HTML()
        self.charts: dict[str, Any] = {}
        self.specs: dict[str, dict] = {}
        self._specs = _Specs()
        self.snapshot_button = w.Button(description="Snapshot", icon="camera", tooltip="save this scenario")
        self.snapshot_status = w.HTML()
        self._chart_box = w.VBox()
        self._holding = False
        self.last_snapshot: Any = None
        self.unavailable: str | None = None
        self.reason: str | None = None
        self.failure: BaseException | None = None
        try:
            self.cube: Cube = precompute(model)
            self._prepare()
            _offline()
            self.controls = self._controls()
            for c in self.controls.values():
                c.observe(self._on_change, names="value")
            self.refresh()
        except KpikitError as exc:  # MissingData, or a clear problem with this client's data
            self._fail(exc, "data", exc.message if isinstance(exc, MissingData) else str(exc))
        except Exception as exc:  # the room sees a notice, the terminal the traceback
            self._fail(exc, "error", FAILED)
        header = w.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>")
        if self.unavailable is None:
            self.snapshot_button.on_click(self._on_snapshot)
            sidebar = w.VBox(
                [*self.controls.values(), self.snapshot_button, self.snapshot_status],
                layout=w.Layout(padding="0 12px 0 0", min_width="370px"),
            )
            center = w.VBox([self.readout, self.notice, self._chart_box])
            panes = {"left_sidebar": sidebar, "center": center, "pane_widths": ["390px", 1, 0]}
        else:
            self.notice.value = f'<div class="kpk-unavailable kpk-note">{html.escape(self.unavailable)}</div>'
            panes = {"center": self.notice}
        super().__init__(
            header=header,
            pane_heights=["40px", 1, 0],
            layout=w.Layout(border="1px solid #ddd", padding="6px", margin="0 0 16px 0"),
            **panes,
            **kwargs,
        )
        self.add_class("kpk-explorer")
        self.add_class(f"kpk-{self.name}")
        if self.unavailable is not None:
            self.add_class("kpk-unavailable")

    def _fail(self, exc: BaseException, reason: str, text: str) -> None:
        self.unavailable, self.reason, self.failure = text, reason, exc
        self.controls, self.charts, self.specs, self.numbers, self.result = {}, {}, {}, {}, None
        if reason == "error":
            # The kernel's own stderr is the terminal running Voila or JupyterLab, not the page.
            traceback.print_exception(exc, file=sys.__stderr__)

    # --- subclass API -----------------------------------------------------------
    def _prepare(self) -> None:
        """One-off work before the controls exist; raise :class:`MissingData` when the data cannot feed this explorer."""

    def _controls(self) -> dict[str, w.ValueWidget]:
        raise NotImplementedError

    def compute(self, **values: Any) -> Any:
        """The scenario result for these control values (pure; no widget state)."""
        raise NotImplementedError

    def _readout(self, result: Any) -> str:
        raise NotImplementedError

    def _charts(self, result: Any) -> dict[str, tuple[Callable, tuple[pd.DataFrame, ...], tuple]]:
        """Chart key -> (builder, frames, other builder args)."""
        raise NotImplementedError

    def _warnings(self, result: Any) -> list[str]:
        return []

    # --- wiring -------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """Current control values, JSON-friendly (tuples as lists)."""
        return {k: list(c.value) if isinstance(c.value, tuple) else c.value for k, c in self.controls.items()}

    def set(self, **values: Any) -> None:
        """Set several controls and refresh once."""
        self._holding = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._holding = False
        self.refresh()

    def _on_change(self, _change: dict) -> None:
        if not self._holding:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the scenario, then update readout and charts in place."""
        import altair as alt

        result = self.compute(**self.values)
        self.result = result
        self.numbers = json_safe(result.numbers)
        self.readout.value = _STYLE + self._readout(result)
        warnings = self._warnings(result)
        self.notice.value = "".join(f'<div class="kpk-warn">⚠ {html.escape(m)}</div>' for m in warnings)
        for key, (builder, frames, args) in self._charts(result).items():
            spec = self._specs.spec(builder, frames, *args)
            self.specs[key] = spec
            if key in self.charts:
                self.charts[key].spec = spec  # updated in place: the front end re-embeds
            else:
                self.charts[key] = alt.JupyterChart(builder(*frames, *args))
        if len(self._chart_box.children) != len(self.charts):
            self._chart_box.children = tuple(self.charts.values())
        self.refreshes += 1

    def _on_snapshot(self, _button: Any) -> None:
        self.snapshot_status.value = '<span class="kpk-note">saving…</span>'
        try:
            path = self.snapshot()
        except KpikitError as exc:
            self.snapshot_status.value = f'<span class="kpk-warn">Not saved: {html.escape(str(exc))}</span>'
            return
        except OSError as exc:  # disk full, read-only folder, permissions
            reason = exc.strerror or type(exc).__name__
            self.snapshot_status.value = f'<span class="kpk-warn">Not saved: {html.escape(reason)}</span>'
            return
        except Exception as exc:  # a chart that will not convert must not look saved
            traceback.print_exception(exc, file=sys.__stderr__)
            self.snapshot_status.value = (
                '<span class="kpk-warn">Not saved: the snapshot could not be written '
                "(details in the terminal that runs kpikit workshop).</span>"
            )
            return
        self.snapshot_status.value = f'<span class="kpk-note">saved {html.escape(path.name)}</span>'

    def snapshot(self, folder: Any = None, name: str | None = None, *, images: bool = True):
        """Save controls, headline numbers and charts; returns the JSON path.

        See :func:`kpikit.explore.snapshot.write_snapshot` for the layout. Nothing is
        left behind when it fails.

        Raises
        ------
        KpikitError
            when this explorer shows a notice instead of a scenario (nothing to save).
        """
        from kpikit.explore.snapshot import write_snapshot

        if self.unavailable is not None:
            raise KpikitError("there is no scenario to save: this explorer has no data for this client")
        path = write_snapshot(self, folder=folder, name=name, images=images)
        self.last_snapshot = path
        return path

    def summary(self) -> str:
        """One sentence for the report: what this scenario shows."""
        return ""
