"""Widget wiring: controls -> scenario function -> readout and charts, nothing else.

Every explorer is an :class:`ipywidgets.AppLayout` (so it displays itself in
JupyterLab and Voila) with:

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

The numbers come only from :mod:`kpikit.explore.scenarios`; this module only
formats them.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as w
import numpy as np
import pandas as pd

from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore.precompute import OUTCOME_COLUMNS, OUTCOME_LABELS, OUTCOME_SINGULAR, Cube, precompute

__all__ = [
    "intro_widget",
    "Explorer",
    "EXPLORERS",
    "fmt",
    "TargetingExplorer",
    "BudgetExplorer",
    "OutcomeExplorer",
    "AttributionExplorer",
    "IncentiveExplorer",
    "VanityCostExplorer",
]

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
    _OFFLINE = True


def fmt(value: Any, kind: str, currency: str = "") -> str:
    """Format a headline figure the way every readout shows it.

    Examples
    --------
    >>> fmt(0.04567, "pct"), fmt(1234567.0, "count"), fmt(1234.5, "money", "EUR"), fmt(float("nan"), "pct")
    ('4.57%', '1,234,567', 'EUR 1,234.50', '–')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "pct":
        return f"{value:.2%}"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "money":
        return f"{currency} {value:,.2f}".strip()
    if kind == "signed_pct":
        return f"{value:+.1%}"
    if kind == "number":
        return f"{value:,.1f}"
    return html.escape(str(value))


def _cell(text: str, metric: str, col: str) -> str:
    return f'<td class="kpk-value" data-metric="{html.escape(metric)}" data-col="{html.escape(col)}">{text}</td>'


def _table(head: list[str], rows: list[str], cls: str = "kpk-readout") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f'<table class="{cls}" style="border-collapse:collapse;font-size:14px">'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


_STYLE = (
    "<style>.kpk-readout td,.kpk-readout th{padding:3px 10px;text-align:right;border-bottom:1px solid #ddd}"
    ".kpk-readout td{white-space:nowrap}.kpk-readout td:first-child,.kpk-readout th:first-child{text-align:left}"
    ".kpk-warn{color:#a40000;font-weight:600}.kpk-note{color:#555}</style>"
)


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


class Explorer(w.AppLayout):
    """Base of the explorers: builds the layout, wires controls, refreshes on change.

    Subclasses set ``name``/``title`` and implement ``_controls()``,
    ``compute(**values)``, ``_readout(result)`` and ``_charts(result)``.
    """

    name: ClassVar[str] = "explorer"
    title: ClassVar[str] = "Explorer"

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.cube: Cube = precompute(model)
        _offline()
        self.controls: dict[str, w.ValueWidget] = self._controls()
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
        self.snapshot_button.on_click(self._on_snapshot)
        self._chart_box = w.VBox()
        self._holding = False
        self.last_snapshot: Any = None
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.refresh()
        sidebar = w.VBox(
            [*self.controls.values(), self.snapshot_button, self.snapshot_status],
            layout=w.Layout(padding="0 12px 0 0", min_width="370px"),
        )
        center = w.VBox([self.readout, self.notice, self._chart_box])
        header = w.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>")
        super().__init__(
            header=header,
            left_sidebar=sidebar,
            center=center,
            pane_widths=["390px", 1, 0],
            pane_heights=["40px", 1, 0],
            layout=w.Layout(border="1px solid #ddd", padding="6px", margin="0 0 16px 0"),
            **kwargs,
        )
        self.add_class("kpk-explorer")
        self.add_class(f"kpk-{self.name}")

    # --- subclass API -----------------------------------------------------------
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
        self.numbers = sc._json(result.numbers)
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
        from kpikit.errors import KpikitError

        try:
            path = self.snapshot()
        except (KpikitError, OSError) as exc:
            self.snapshot_status.value = f'<span class="kpk-warn">{html.escape(str(exc))}</span>'
            return
        self.snapshot_status.value = f'<span class="kpk-note">saved {html.escape(path.name)}</span>'

    def snapshot(self, folder: Any = None, name: str | None = None, *, images: bool = True):
        """Save controls, headline numbers and charts; returns the JSON path.

        See :func:`kpikit.explore.snapshot.write_snapshot` for the layout.
        """
        from kpikit.explore.snapshot import write_snapshot

        path = write_snapshot(self, folder=folder, name=name, images=images)
        self.last_snapshot = path
        return path

    def summary(self) -> str:
        """One sentence for the report: what this scenario shows."""
        return ""


def intro_widget(model: Any) -> w.HTML:
    """Client, data period, paid spend and outcomes; what could not be attributed to paid media."""
    cube = precompute(model)
    f = cube.facts
    paid = cube.paid
    cur = cube.currency
    out = cube.real_outcome
    weeks = f["week"].dropna()
    period = f"{weeks.min():%d %b %Y} – {(weeks.max() + pd.Timedelta(days=6)):%d %b %Y}" if len(weeks) else "–"
    name = getattr(getattr(model, "config", None), "name", None) or cube.client
    rec = cube.reconciliation
    unatt = rec.get("leads_unattributed", 0.0)
    text = (
        f"<div class='kpk-intro' style='font-size:15px'><b>{html.escape(str(name))}</b> · {period} · "
        f"paid spend {fmt(paid['cost'].sum(), 'money', cur)} · {fmt(paid['lead'].sum(), 'count')} leads · "
        f"{fmt(paid[out].sum(), 'count')} {html.escape(OUTCOME_LABELS[out])} from paid media"
    )
    if unatt:
        text += f"<br><span class='kpk-note'>{fmt(unatt, 'count')} leads came from no paid campaign and are not in these explorers.</span>"
    return w.HTML(text + "</div>")


# ===================================================================== explorers


def _slider(cls: Callable, description: str, **kw: Any) -> w.ValueWidget:
    style = {"description_width": "120px"}
    return cls(
        description=description,
        description_allow_html=False,
        continuous_update=False,
        style=style,
        layout=w.Layout(width="360px"),
        **kw,
    )


def _outcome_options(cube: Cube) -> list[tuple[str, str]]:
    """Outcomes this client's data can measure (e.g. no key accounts without a target list)."""
    return [(OUTCOME_LABELS[o], o) for o in OUTCOME_COLUMNS if o in cube.measured or o == cube.real_outcome]


class TargetingExplorer(Explorer):
    """Seed story 1: narrow the audience, watch CTR rise while real outcomes fall."""

    name = "targeting"
    title = "Targeting: narrower audiences, higher CTR, fewer real outcomes?"

    def _controls(self):
        aud = self.cube.audiences
        return {
            "clicked_within": _slider(
                w.SelectionSlider,
                "clicked within",
                options=sc.window_options(self.cube),
                tooltip="only audiences that clicked within N days",
            ),
            "top_k": _slider(
                w.IntSlider,
                "top-k by CTR",
                min=0,
                max=len(aud),
                value=0,
                tooltip="keep the k audiences with the best CTR (0 = all)",
            ),
            "exclude": w.SelectMultiple(
                options=list(aud["audience"]),
                description="exclude",
                rows=min(8, max(len(aud), 1)),
                layout=w.Layout(width="300px"),
            ),
        }

    def compute(self, clicked_within=None, top_k=0, exclude=()):
        return sc.targeting_scenario(self.cube, clicked_within=clicked_within, top_k=top_k, exclude=exclude)

    def _readout(self, r: sc.TargetingResult) -> str:
        rows = []
        for k in r.metrics:
            m = sc.METRICS[k]
            ch_ = sc._div(r.after[k] - r.before[k], r.before[k])
            rows.append(
                f"<tr><td>{html.escape(m.label)}</td>"
                + _cell(fmt(r.before[k], m.kind, r.currency), k, "before")
                + _cell(fmt(r.after[k], m.kind, r.currency), k, "after")
                + _cell(fmt(ch_, "signed_pct"), k, "change")
                + "</tr>"
            )
        n = len(r.kept)
        return _table(["", "all audiences", f"narrowed ({n} audiences)", "change"], rows)

    def _warnings(self, r):
        return [] if r.kept else ["no audience left: widen the selection"]

    #: audiences drawn one by one in the scatter (largest reach); the rest as two aggregate points
    MAX_POINTS = 40

    def _charts(self, r: sc.TargetingResult):
        # volumes and rates only: a cost per outcome that explodes would flatten every other bar
        shown = [k for k in r.metrics if not k.startswith("cost_per_")]
        idx = pd.DataFrame(
            {
                "metric": [sc.METRICS[k].label for k in shown],
                "index": [100 * sc._div(r.after[k], r.before[k]) for k in shown],
            }
        ).dropna()
        return {
            "index": (ch.index_chart, (idx,), ()),
            "segments": (ch.segments_chart, (self._points(r),), (OUTCOME_LABELS[self.cube.real_outcome],)),
        }

    def _points(self, r: sc.TargetingResult) -> pd.DataFrame:
        arr = self.cube.audience_arrays()
        out = self.cube.real_outcome
        top = arr.reach_order[: self.MAX_POINTS]
        names = list(arr.names[top])
        imp, clicks, outcome = arr.col("impressions"), arr.col("clicks"), arr.col(out)
        rows_imp, rows_clicks, rows_out = list(imp[top]), list(clicks[top]), list(outcome[top])
        status = list(np.where(r.keep[top], "kept", "dropped"))
        rest = np.ones(len(arr.names), dtype=bool)
        rest[top] = False
        for flag, label in ((True, "kept"), (False, "dropped")):
            m = rest & (r.keep == flag)
            if m.any():
                names.append(f"{int(m.sum())} other audiences ({label})")
                rows_imp.append(imp[m].sum())
                rows_clicks.append(clicks[m].sum())
                rows_out.append(outcome[m].sum())
                status.append(label)
        i, c, o = np.array(rows_imp), np.array(rows_clicks), np.array(rows_out)
        return pd.DataFrame(
            {
                "audience": names,
                "ctr": sc._div(c, i),
                "outcome_per_k": 1000 * sc._div(o, i),
                "impressions": i,
                "status": status,
            }
        )

    def summary(self) -> str:
        r = self.result
        return (
            f"Narrowing to {len(r.kept)} audiences moves CTR {fmt(r.numbers['change']['ctr'], 'signed_pct')} "
            f"and opportunities {fmt(r.numbers['change']['opportunity'], 'signed_pct')}."
        )


class BudgetExplorer(Explorer):
    """Move weekly spend between platforms; outcomes from fitted diminishing-returns curves."""

    name = "budget_shift"
    title = "Budget shift: what more (or less) spend per platform would buy"

    def __init__(self, model: Any, *, by: str = "platform", n_boot: int = 200, **kwargs: Any) -> None:
        self._n_boot = n_boot
        self.by = by
        self.title = f"Budget shift: what more (or less) spend per {by} would buy"
        self._curves: dict[str, dict[str, sc.ResponseCurve]] = {}
        self._grids: dict[str, pd.DataFrame] = {}
        super().__init__(model, **kwargs)
        for outcome in self.cube.measured:  # fit every outcome now, so switching never stalls the room
            if outcome in OUTCOME_COLUMNS:
                self.curves(outcome)

    def curves(self, outcome: str) -> dict[str, sc.ResponseCurve]:
        """Fitted curves for ``outcome`` (fitted once, then cached)."""
        if outcome not in self._curves:
            self._curves[outcome] = sc.fit_response_curves(self.cube, outcome, by=self.by, n_boot=self._n_boot)
        return self._curves[outcome]

    def _controls(self):
        out = self.cube.real_outcome
        controls: dict[str, w.ValueWidget] = {
            "outcome": w.Dropdown(options=_outcome_options(self.cube), value=out, description="outcome")
        }
        for p, c in self.curves(out).items():
            top = max(c.max_observed * 3.0, 1.0)
            controls[f"spend:{p}"] = _slider(
                w.FloatSlider,
                p,
                min=0.0,
                max=round(top, 0),
                step=max(round(top / 300.0, 0), 1.0),
                value=round(c.mean_spend, 0),
                readout_format=",.0f",
            )
        return controls

    def compute(self, outcome=None, **spend):
        curves = self.curves(outcome or self.cube.real_outcome)
        return sc.budget_scenario(curves, {k.split(":", 1)[1]: float(v) for k, v in spend.items()})

    def _readout(self, r: sc.BudgetResult) -> str:
        cur = self.cube.currency
        rows = []
        for rec in r.rows:
            p = rec["platform"]
            rows.append(
                f"<tr><td>{html.escape(p)}</td>"
                + _cell(fmt(rec["spend_now"], "money", cur), f"spend:{p}", "now")
                + _cell(fmt(rec["spend_scenario"], "money", cur), f"spend:{p}", "scenario")
                + _cell(fmt(rec["outcome_now"], "number"), f"outcome:{p}", "now")
                + _cell(fmt(rec["outcome_scenario"], "number"), f"outcome:{p}", "scenario")
                + _cell(
                    f"{fmt(rec['outcome_low'], 'number')} – {fmt(rec['outcome_high'], 'number')}",
                    f"band:{p}",
                    "scenario",
                )
                + "</tr>"
            )
        t = r.totals
        rows.append(
            "<tr style='font-weight:600'><td>total</td>"
            + _cell(fmt(t["spend_now"], "money", cur), "spend", "now")
            + _cell(fmt(t["spend_scenario"], "money", cur), "spend", "scenario")
            + _cell(fmt(t["outcome_now"], "number"), "outcome", "now")
            + _cell(fmt(t["outcome_scenario"], "number"), "outcome", "scenario")
            + _cell(f"{fmt(t['outcome_low'], 'number')} – {fmt(t['outcome_high'], 'number')}", "band", "scenario")
            + "</tr>"
        )
        rows.append(
            "<tr><td>cost per outcome</td>"
            + _cell("", "-", "-")
            + _cell("", "-", "-")
            + _cell(fmt(t["cost_per_outcome_now"], "money", cur), "cost_per_outcome", "now")
            + _cell(fmt(t["cost_per_outcome_scenario"], "money", cur), "cost_per_outcome", "scenario")
            + "<td></td></tr>"
        )
        label = OUTCOME_LABELS[r.outcome]
        head = ["weekly", "spend now", "spend scenario", f"{label} now", f"{label} scenario", "90% band"]
        return _table(head, rows)

    def _warnings(self, r):
        return list(r.warnings)

    def _grid(self, outcome: str) -> pd.DataFrame:
        if outcome not in self._grids:
            parts = []
            for p, c in self.curves(outcome).items():
                top = self.controls.get(f"spend:{p}")
                xs = np.linspace(0.0, top.max if top is not None else c.max_observed * 3, 40)
                d = c.predict_draws(xs)
                parts.append(
                    pd.DataFrame(
                        {
                            "platform": p,
                            "spend": xs,
                            "mean": c.predict(xs),
                            "low": np.quantile(d, sc.BAND[0], axis=0),
                            "high": np.quantile(d, sc.BAND[1], axis=0),
                        }
                    )
                )
            self._grids[outcome] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return self._grids[outcome]

    def _charts(self, r: sc.BudgetResult):
        key = f"observed:{r.outcome}"
        if key not in self._grids:
            self._grids[key] = pd.concat(
                [
                    c.weeks.assign(platform=p)[["platform", "cost", "outcome"]]
                    for p, c in self.curves(r.outcome).items()
                ],
                ignore_index=True,
            )
        observed = self._grids[key]
        scen = pd.DataFrame(
            {
                "platform": [x["platform"] for x in r.rows],
                "spend": [x["spend_scenario"] for x in r.rows],
                "outcome": [x["outcome_scenario"] for x in r.rows],
                "range": [x["range"] for x in r.rows],
            }
        )
        return {"curves": (ch.response_chart, (self._grid(r.outcome), observed, scen), (OUTCOME_LABELS[r.outcome],))}

    def summary(self) -> str:
        t = self.result.totals
        return (
            f"Weekly spend {fmt(t['spend_now'], 'count')} -> {fmt(t['spend_scenario'], 'count')} {self.cube.currency}: "
            f"{OUTCOME_LABELS[self.result.outcome]} {t['outcome_now']:.1f} -> {t['outcome_scenario']:.1f} a week "
            f"(90% band {t['outcome_low']:.1f}–{t['outcome_high']:.1f})."
        )


_VANITY_LABELS = {
    "ctr": "CTR",
    "clicks": "clicks",
    "impressions": "impressions",
    "engagements": "engagements",
    "cpc": "CPC",
}


class OutcomeExplorer(Explorer):
    """Switch what counts as a real outcome; campaigns re-rank; vanity-vs-value quadrant."""

    name = "outcome_switch"
    title = "What counts as a real outcome? Campaigns re-rank"

    def _controls(self):
        return {
            "outcome": w.ToggleButtons(
                options=_outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
            "vanity": w.Dropdown(
                options=[(_VANITY_LABELS[v], v) for v in sc.VANITY_METRICS], value="ctr", description="vanity KPI"
            ),
        }

    def compute(self, outcome=None, vanity="ctr"):
        return sc.outcome_ranking(self.cube, outcome, vanity)

    def _readout(self, r: sc.RankingResult) -> str:
        cur = self.cube.currency
        n = r.numbers
        head = _table(
            ["", "value"],
            [
                f"<tr><td>best campaign on {html.escape(_VANITY_LABELS[r.vanity])}</td>"
                + _cell(html.escape(str(n["top_by_vanity"])), "top_by_vanity", "value")
                + "</tr>",
                f"<tr><td>best campaign on cost per {html.escape(OUTCOME_SINGULAR[r.outcome])}</td>"
                + _cell(html.escape(str(n["top_by_value"])), "top_by_value", "value")
                + "</tr>",
                "<tr><td>cost per outcome (all paid)</td>"
                + _cell(fmt(n["cost_per_outcome"], "money", cur), "cost_per_outcome", "value")
                + "</tr>",
                "<tr><td>spend on 'vanity only' campaigns</td>"
                + _cell(fmt(n["spend_share_vanity_only"], "pct"), "spend_share_vanity_only", "value")
                + "</tr>",
            ],
        )
        vk = sc.METRICS[r.vanity].kind
        rows = [
            f"<tr><td>{html.escape(str(rec['campaign']))}</td>"
            + _cell(str(rec["value_rank"]), "value_rank", str(rec["campaign"]))
            + _cell(str(rec["vanity_rank"]), "vanity_rank", str(rec["campaign"]))
            + _cell(fmt(rec["vanity_value"], vk, cur), "vanity_value", str(rec["campaign"]))
            + _cell(fmt(rec["outcome"], "count"), "outcome", str(rec["campaign"]))
            + _cell(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", str(rec["campaign"]))
            + f"<td>{html.escape(rec['quadrant'])}</td></tr>"
            for rec in r.campaigns.head(12).to_dict(orient="records")
        ]
        table = _table(
            [
                "campaign",
                "value rank",
                "vanity rank",
                _VANITY_LABELS[r.vanity],
                OUTCOME_LABELS[r.outcome],
                "cost per",
                "quadrant",
            ],
            rows,
        )
        return head + "<br>" + table

    def _charts(self, r: sc.RankingResult):
        frame = r.campaigns.assign(value_per_k=r.campaigns["value_rate"] * 1000)
        vk = sc.METRICS[r.vanity].kind
        vfmt = ".2%" if vk == "pct" else ",.2f" if vk == "money" else ",.0f"
        return {"quadrant": (ch.quadrant_chart, (frame,), (_VANITY_LABELS[r.vanity], OUTCOME_LABELS[r.outcome], vfmt))}

    def summary(self) -> str:
        n = self.result.numbers
        return (
            f"On {OUTCOME_LABELS[self.result.outcome]}, the best campaign is {n['top_by_value']}; "
            f"on {_VANITY_LABELS[self.result.vanity]} it is {n['top_by_vanity']}."
        )


class AttributionExplorer(Explorer):
    """Flip between attribution models; channel credit and cost per outcome move.

    The engine computes every model once at start-up (:func:`kpikit.attribution`);
    a switch only selects a model's rows.
    """

    name = "attribution_switch"
    title = "Attribution: who gets the credit depends on the rule"

    def __init__(self, model: Any, **kwargs: Any) -> None:
        from kpikit.explore._engine import channel_costs, engine_attribution

        cube = precompute(model)
        source = cube.model if cube.model is not None else model
        self.credits, self.totals, self.engine_notes = engine_attribution(source)
        self.costs = channel_costs(source)
        self.tables = sc.attribution_tables(self.credits, self.costs)
        super().__init__(cube, **kwargs)

    def _controls(self):
        models = list(dict.fromkeys(self.credits["model"]))
        return {"model": w.ToggleButtons(options=models, value=models[0] if models else None, description="model")}

    def compute(self, model=None):
        if model not in self.tables:
            return sc.attribution_scenario(self.credits, self.costs, model)  # raises the clear error
        return self.tables[model]

    def _readout(self, r: sc.AttributionResult) -> str:
        cur = self.cube.currency
        rows = [
            f"<tr><td>{html.escape(str(rec['channel']))}</td>"
            + _cell(fmt(rec["share"], "pct"), "share", str(rec["channel"]))
            + _cell(fmt(rec["conversions"], "number"), "credit", str(rec["channel"]))
            + _cell(fmt(rec["cost"], "money", cur), "cost", str(rec["channel"]))
            + _cell(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", str(rec["channel"]))
            + "</tr>"
            for rec in r.channels.to_dict(orient="records")
        ]
        out = OUTCOME_LABELS.get(str(self.totals.get("outcome")), "conversions")
        return _table(["channel", "share of credit", f"credited {out}", "paid cost", "cost per credited"], rows)

    def _warnings(self, r):
        return list(self.engine_notes)

    def _charts(self, r: sc.AttributionResult):
        return {"channels": (ch.attribution_chart, (r.channels[["channel", "share", "conversions"]],), (r.model_name,))}

    def summary(self) -> str:
        return f"Under the {self.result.model_name} model, {self.result.numbers['top_channel']} gets most credit."


class IncentiveExplorer(Explorer):
    """Seed story 1, the bonus: hit a KPI target by gaming (narrowing) or by relevance."""

    name = "incentive"
    title = "Incentives: two ways to hit a KPI target, and what each does to the business"

    def _controls(self):
        roles = [(f"{r} ({k.upper()})", k) for r, k in self.cube.kpis.items() if k in sc.ROLE_KPIS]
        if not roles:
            roles = [("campaign manager (CTR)", "ctr")]
        roles = list(dict.fromkeys(roles))
        return {
            "kpi": w.Dropdown(options=roles, value=roles[0][1], description="role"),
            "target_lift": _slider(
                w.IntSlider, "KPI target +%", min=1, max=50, value=10, tooltip="improve the role's KPI by this much"
            ),
            "conversion_lift": _slider(
                w.IntSlider,
                "conversion lift %",
                min=-20,
                max=50,
                value=10,
                tooltip="relevance path: outcomes per click improve by this much",
            ),
            "outcome": w.Dropdown(
                options=_outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
        }

    def compute(self, kpi="ctr", target_lift=10, conversion_lift=10, outcome=None):
        return sc.incentive_scenario(
            self.cube,
            kpi=kpi,
            target_lift=target_lift / 100.0,
            conversion_lift=conversion_lift / 100.0,
            outcome=outcome,
        )

    def _readout(self, r: sc.IncentiveResult) -> str:
        cur = self.cube.currency
        kind = sc.METRICS[r.kpi].kind
        rows = []
        for rec in r.rows:
            p = rec["path"]
            met = "" if p == "baseline" else ("yes" if rec["meets_target"] else "no")
            rows.append(
                f"<tr><td>{p}</td>"
                + _cell(fmt(rec["kpi"], kind, cur), "kpi", p)
                + f"<td>{met}</td>"
                + _cell(fmt(rec["impressions"], "count"), "impressions", p)
                + _cell(fmt(rec["outcome"], "number"), "outcome", p)
                + _cell(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", p)
                + "</tr>"
            )
        head = [
            "path",
            f"{r.kpi.upper()} (target {fmt(r.target, kind, cur)})",
            "meets target",
            "reach",
            OUTCOME_LABELS[r.outcome],
            "cost per outcome",
        ]
        return _table(head, rows)

    def _warnings(self, r):
        if not r.numbers["gaming_meets_target"]:
            return ["narrowing alone cannot reach this target: the best single audience falls short"]
        return []

    def _charts(self, r: sc.IncentiveResult):
        return {"paths": (ch.paths_chart, (r.paths,), (OUTCOME_LABELS[r.outcome],))}

    def summary(self) -> str:
        n = self.result.numbers
        return (
            f"{self.result.kpi.upper()} target {fmt(n['kpi_target'], sc.METRICS[self.result.kpi].kind)}: gaming gives "
            f"{n['gaming_outcome']:.0f} {OUTCOME_LABELS[self.result.outcome]}, relevance {n['relevance_outcome']:.0f} "
            f"(baseline {n['baseline_outcome']:.0f})."
        )


_OWN = "(enter your own)"


class VanityCostExplorer(Explorer):
    """Seed story 2: $1M for 250K likes is $4 a like; what is the cost per real outcome?"""

    name = "vanity_cost"
    title = "The cost of a vanity KPI"

    def _controls(self):
        camps = self.cube.totals("campaign", facts=self.cube.paid)
        self._campaigns = camps.set_index("campaign")
        text = {
            "continuous_update": False,
            "style": {"description_width": "initial"},
            "layout": w.Layout(width="300px"),
        }
        controls = {
            "campaign": w.Dropdown(options=[_OWN, *camps["campaign"]], value=_OWN, description="campaign"),
            "cost": w.FloatText(value=1_000_000.0, description=f"cost ({self.cube.currency})", **text),
            "vanity_count": w.FloatText(value=250_000.0, description="vanity result", **text),
            "vanity_unit": w.Dropdown(
                options=["like", "engagement", "click", "visit", "follower", "impression"],
                value="like",
                description="unit",
            ),
            "real_outcomes": w.FloatText(value=1.0, description="real outcomes it produced", **text),
            "outcome": w.Dropdown(
                options=_outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
        }
        controls["campaign"].observe(self._fill_from_campaign, names="value")
        return controls

    def _on_change(self, change: dict) -> None:
        # Picking a campaign only fills the other fields; their update refreshes once.
        if change["owner"] is not self.controls["campaign"]:
            super()._on_change(change)

    def _fill_from_campaign(self, change: dict) -> None:
        name = change["new"]
        if name == _OWN:
            return
        row = self._campaigns.loc[name]
        outcome = self.controls["outcome"].value
        self.set(
            cost=float(row["cost"]),
            vanity_count=float(row["engagements"] if row["engagements"] > 0 else row["clicks"]),
            vanity_unit="engagement" if row["engagements"] > 0 else "click",
            real_outcomes=float(row[outcome]),
        )

    def compute(self, campaign=_OWN, cost=0.0, vanity_count=0.0, vanity_unit="like", real_outcomes=0.0, outcome=None):
        return sc.vanity_cost_scenario(
            self.cube,
            cost=float(cost),
            vanity_count=float(vanity_count),
            vanity_unit=vanity_unit,
            real_outcomes=float(real_outcomes) or None,
            outcome=outcome,
        )

    def _readout(self, r: sc.VanityCostResult) -> str:
        cur = self.cube.currency
        h = r.headline
        out = OUTCOME_LABELS[r.controls["outcome"]]
        unit = html.escape(r.controls["vanity_unit"])
        rows = [
            f"<tr><td>cost per {unit}</td>"
            + _cell(fmt(h["cost_per_vanity"], "money", cur), "cost_per_vanity", "value")
            + "</tr>",
            "<tr><td>cost per real outcome (entered)</td>"
            + _cell(fmt(h["cost_per_real_outcome_entered"], "money", cur), "cost_per_real_outcome_entered", "value")
            + "</tr>",
            f"<tr><td>cost per {html.escape(OUTCOME_SINGULAR[r.controls['outcome']])} in this client's data</td>"
            + _cell(fmt(h["cost_per_real_outcome_data"], "money", cur), "cost_per_real_outcome_data", "value")
            + "</tr>",
            f"<tr><td>{html.escape(out)} this budget buys at that rate</td>"
            + _cell(fmt(h["real_outcomes_budget_buys"], "number"), "real_outcomes_budget_buys", "value")
            + "</tr>",
        ]
        return _table(["", "value"], rows)

    def _charts(self, r: sc.VanityCostResult):
        units = r.units[np.isfinite(r.units["cost_per_unit"]) & (r.units["cost_per_unit"] > 0)]
        return {"units": (ch.unit_cost_chart, (units,), (self.cube.currency,))}

    def summary(self) -> str:
        h = self.result.headline
        c = self.cube.currency
        return (
            f"{fmt(h['cost_per_vanity'], 'money', c)} per {self.result.controls['vanity_unit']}; "
            f"the data's cost per {self.result.controls['outcome']} is {fmt(h['cost_per_real_outcome_data'], 'money', c)}."
        )


# Registry: explorer name -> class (the public functions and the CLI read it).
EXPLORERS: dict[str, type[Explorer]] = {
    cls.name: cls
    for cls in (
        TargetingExplorer,
        BudgetExplorer,
        OutcomeExplorer,
        AttributionExplorer,
        IncentiveExplorer,
        VanityCostExplorer,
    )
}
