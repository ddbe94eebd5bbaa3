"""The side panel: how well the map predicted the past, the fitted model, the hot spots.

The panel sits beside the map, never over it: opening it narrows the map (route_risk.js
``panelToggle``), so it cannot cover the legend, the layer control or a card (issue 14).
Its markup is built here from the run's JSON-like dicts; every text goes through
:func:`escape_text` and every number is formatted here, so a malformed or hostile value shows
as text or as "–", never as markup and never as a traceback.
"""

from __future__ import annotations

import math

from .. import schema as S
from ..errors import InputError
from ..grid import cell_area_km2, to_cells
from ._escaping import escape_text
from ._legend import gi_corrected
from ._model import MapData
from ._payload import MODEL_NAMES

#: Area shares the panel reports (issue 10's table), when the back-test has them.
PANEL_AREA_FRACTIONS = (0.01, 0.05, 0.1)
#: The method the map publishes, in the back-test's results.
PUBLISHED = "published"
METHOD_LABELS = {
    PUBLISHED: "this map",
    "uniform": "uniform",
    "all_prior_counts": "all prior counts",
    "recent_counts": "recent counts",
    "kde": "plain KDE",
    "density": "density factor",
}
MISSING = "–"


def _finite(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None


def _fmt(v, spec: str = ".3g") -> str:
    x = _finite(v)
    return MISSING if x is None else format(x, spec)


def _num(v) -> str:
    """Format a count or a plain quantity: whole numbers with thousands separators.

    1,234,567 where ``g`` wrote 1.23457e+06 for a million cells; others as ``g`` (91.25).
    """
    x = _finite(v)
    if x is None:
        return MISSING
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return format(x, "g")


def _p(v) -> str:
    x = _finite(v)
    if x is None:
        return MISSING
    return "&lt;0.001" if x < 0.001 else format(x, ".2g")


def _plain(x: float) -> str:
    """Return ``x`` (> 0) to 2 significant digits without an exponent: 120, 2.6, 0.0012.

    ``format(x, ".2g")`` wrote a back-test area 123 times the map's as "1.2e+02 %".
    """
    digits = 1 - math.floor(math.log10(x))
    text = f"{round(x, digits):,.{max(0, digits)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _percent(a) -> str:
    x = _finite(a)
    return MISSING if x is None else f"{x * 100:g} %"


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v) -> list:
    return v if isinstance(v, list) else []


def _mean_sd(stat) -> tuple[str, float | None]:
    stat = _dict(stat)
    mean, sd = _finite(stat.get("mean")), _finite(stat.get("sd"))
    if mean is None:
        return MISSING, None
    return (f"{mean:.3f}" + ("" if sd is None else f" ± {sd:.3f}")), mean


def _method_label(name: str, options: dict) -> str:
    label = METHOD_LABELS.get(name, name)
    if name == "kde" and _finite(options.get("kde_bandwidth_km")) is not None:
        label += f" ({_num(options['kde_bandwidth_km'])} km)"
    return escape_text(label)


def _pick_fractions(at: list) -> list[int]:
    """Return the ``at`` rows to show: 1/5/10 % when present, else the first three."""
    fractions = [_finite(_dict(row).get("area_fraction")) for row in at]
    wanted = [
        i
        for a in PANEL_AREA_FRACTIONS
        for i, f in enumerate(fractions)
        if f is not None and abs(f - a) < 1e-9
    ]
    return wanted or list(range(min(3, len(at))))


def _row_at(at: list, i: int, fraction: object) -> object | None:
    """Return the row of ``at`` for the share of the area ``fraction``, None if it has none.

    Found by its ``area_fraction``, not by its place: a method whose rows came in another
    order (or without one share) would have shown another share's hit rate under the
    column.  Where the column's share is no number, the row at the same place ``i``.
    """
    want = _finite(fraction)
    if want is None:
        return at[i] if i < len(at) else None
    for row in at:
        got = _finite(_dict(row).get("area_fraction"))
        if got is not None and abs(got - want) < 1e-9:
            return row
    return None


def _span(values: list[float], spec: str) -> str:
    lo, hi = format(min(values), spec), format(max(values), spec)
    return lo if lo == hi else f"{lo}–{hi}"


def universe_text(ev: dict, map_area_km2: float | None = None, map_cells: int | None = None) -> str:
    """Say which cells the back-test's shares of the area are shares of, beside the map's own.

    An origin ranks its universe (``evaluation["universe"]``: by default the cells within the
    KDE's bandwidth of an event before it), not the cells this map shows: a run's support cut
    (the decayed density, the tracks) decides those.  On 28 years of piracy incidents with a
    365-day half-life the universe was 2.6 times the map's area, so "hit @ 1 %" was the top
    2.6 % of the map; on the demo, whose AIS makes every cell observed, a third of it.  The
    panel read "a given share of the area" as if it were the map's.  Empty when the origins
    do not say their cells and area.
    """
    origins = [_dict(o) for o in _list(ev.get("origins"))]
    n = [x for o in origins if (x := _finite(o.get("n_cells"))) is not None]
    area = [x for o in origins if (x := _finite(o.get("area_km2"))) is not None and x > 0]
    if not n or not area:
        return ""
    what = ev.get("universe")
    what = escape_text(str(what)) if isinstance(what, str) and what else "the cells ranked"
    text = (
        f"Shares of the area are of the cells each origin ranks: {what} "
        f"({_span(n, ',.0f')} cells, {_span(area, ',.0f')} km²)"
    )
    mean_area = sum(area) / len(area)
    if _finite(map_area_km2) is not None and map_area_km2 and map_area_km2 > 0:
        ratio = mean_area / map_area_km2
        shown = f"the {map_cells:,} cells" if isinstance(map_cells, int) else "the cells"
        if abs(ratio - 1.0) <= 0.05:
            text += f", about the area of {shown} this map shows ({map_area_km2:,.0f} km²)"
        else:
            text += (
                f", not {shown} this map shows ({map_area_km2:,.0f} km²): 1 % of the area "
                f"ranked is {_plain(ratio)} % of the map's"
            )
    return text + "."


def evaluation_section(
    evaluation: dict, map_area_km2: float | None = None, map_cells: int | None = None
) -> str:
    """Return the back-test section: hit rates, wins per origin, calibration, notes.

    ``map_area_km2`` and ``map_cells`` (the cells the map shows) let the section say how the
    area the origins rank compares with the map's (:func:`universe_text`).
    """
    ev = _dict(evaluation)
    options = _dict(ev.get("options"))
    parts: list[str] = []
    if ev.get("skipped"):
        parts.append(f'<p class="rr-warning">Not evaluated: {escape_text(ev["skipped"])}</p>')
    summary = _dict(ev.get("summary"))
    if summary:
        methods = [str(m) for m in _list(ev.get("methods")) if str(m) in summary]
        methods += [m for m in summary if m not in methods]
        if PUBLISHED in methods:
            methods.remove(PUBLISHED)
            methods.insert(0, PUBLISHED)
        ref_at = _list(_dict(summary.get(methods[0])).get("at"))
        idx = _pick_fractions(ref_at)
        fractions = [_dict(ref_at[i]).get("area_fraction") for i in idx]
        n_origins = len(_list(ev.get("origins")))
        n_skipped = len(_list(ev.get("skipped_origins")))
        train, horizon = options.get("train_days"), options.get("horizon_days")
        parts.append(
            f"<p><b>{n_origins}</b> origin{'s' if n_origins != 1 else ''} scored"
            + (f" ({n_skipped} skipped)" if n_skipped else "")
            + f": each method ranks the cells from the {_num(train)} days before an "
            f"origin; the <b>hit rate</b> is the share of the events of the next "
            f"{_num(horizon)} days that fall in the top-ranked cells covering a given "
            "share of the area. Mean ± sd over origins; best in bold.</p>"
        )
        universe = universe_text(ev, map_area_km2, map_cells)
        if universe:
            parts.append(f'<p id="rr-eval-universe">{universe}</p>')
        if isinstance(ev.get("present_data"), str):
            parts.append(
                '<p class="rr-warning" id="rr-eval-present">'
                f"{escape_text(ev['present_data'][:1].upper() + ev['present_data'][1:])}.</p>"
            )
        cells: dict[str, list[tuple[str, float | None]]] = {}
        for m in methods:
            at = _list(_dict(summary.get(m)).get("at"))
            found = [_row_at(at, i, a) for i, a in zip(idx, fractions, strict=True)]
            cells[m] = [
                _mean_sd(_dict(row).get("hit_rate")) if row is not None else (MISSING, None)
                for row in found
            ]
        best = [
            max((v for m in methods if (v := cells[m][j][1]) is not None), default=math.inf)
            for j in range(len(idx))
        ]
        head = "".join(f"<th>hit @ {_percent(a)}</th>" for a in fractions)
        rows = []
        for m in methods:
            tds = "".join(
                f'<td class="rr-best">{text}</td>'
                if v is not None and v >= best[j] - 1e-12
                else f"<td>{text}</td>"
                for j, (text, v) in enumerate(cells[m])
            )
            cls = ' class="rr-published"' if m == PUBLISHED else ""
            rows.append(f"<tr{cls}><th>{_method_label(m, options)}</th>{tds}</tr>")
        parts.append(
            f'<table class="rr-table" id="rr-eval-hits"><tr><th>method</th>{head}</tr>'
            f"{''.join(rows)}</table>"
        )
        parts.append(_wins_table(ev, idx, fractions, options, n_origins))
        parts.append(_calibration_line(ev))
    elif not ev.get("skipped"):
        parts.append("<p>No back-test summary in this run.</p>")
    # the present-data note stands under the table's introduction, not again here
    notes = [escape_text(n) for n in _list(ev.get("notes")) if n != ev.get("present_data")]
    if notes:
        parts.append('<ul class="rr-notes">' + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    return (
        '<details class="rr-section" id="rr-eval" open><summary>How well this map predicted '
        f"the past</summary>{''.join(parts)}</details>"
    )


def _wins_table(ev: dict, idx: list[int], fractions: list, options: dict, n: int) -> str:
    wins = _dict(_dict(ev.get("wins")).get(PUBLISHED))
    baselines = [b for b in wins if b != "uniform"]
    if not baselines:
        return ""
    rows = []
    for b in baselines:
        per = _list(wins[b])
        tds = []
        for a in fractions:
            row = next(
                (
                    _dict(r)
                    for r in per
                    if _finite(_dict(r).get("area_fraction")) is not None
                    and _finite(a) is not None
                    and abs(_dict(r)["area_fraction"] - a) < 1e-9
                ),
                {},
            )
            w, t, loss = (_finite(row.get(k)) for k in ("wins", "ties", "losses"))
            tds.append(
                f"<td>{MISSING}</td>"
                if w is None
                else f"<td><b>{w:g}</b> / {_num(t)} / {_num(loss)}</td>"
            )
        rows.append(f"<tr><th>vs {_method_label(str(b), options)}</th>{''.join(tds)}</tr>")
    head = "".join(f"<th>@ {_percent(a)}</th>" for a in fractions)
    return (
        f"<p>Origins where this map's hit rate beats each baseline (wins / ties / losses of "
        f"{n}):</p>"
        f'<table class="rr-table" id="rr-eval-wins"><tr><th>baseline</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def _calibration_line(ev: dict) -> str:
    cal = _dict(_dict(ev.get("calibration")).get(PUBLISHED))
    totals = _dict(cal.get("totals"))
    if not totals:
        return ""
    brier = _finite(_dict(cal.get("p_at_least_one")).get("brier"))
    return (
        "<p>Calibration of the expected counts: observed / expected events = "
        f"<b>{_fmt(totals.get('observed_over_expected'))}</b> ({_num(totals.get('observed'))}"
        f" observed, {_fmt(totals.get('expected'))} expected over the origins)"
        + ("" if brier is None else f"; Brier score of P(at least one) {brier:.3g}")
        + ".</p>"
    )


def model_section(report: dict) -> str:
    """Return the model section: family and why, relative risk per SD, fallback warning."""
    r = _dict(report)
    parts: list[str] = []
    family = str(r.get("model", ""))
    if r.get("fallback"):
        parts.append(
            '<p class="rr-warning" id="rr-model-fallback">The count model was not fitted: '
            f"{escape_text(r['fallback'])}. The map shows a documented fallback.</p>"
        )
    parts.append(
        f'<p><b>Family:</b> <span id="rr-model-family">'
        f"{escape_text(MODEL_NAMES.get(family, family))}</span><br>"
        f'<b>Why:</b> <span id="rr-model-why">{escape_text(r.get("why", MISSING))}</span></p>'
    )
    origin = str(r.get("origin") or "")[:10]
    parts.append(
        f"<p>Forecast of the next {_num(r.get('horizon_days'))} days"
        + (f" from {escape_text(origin)}" if origin else "")
        + f": {_fmt(r.get('expected_total'))} events expected over "
        f"{_num(r.get('n_cells'))} cells; trained on {_num(r.get('n_events'))} "
        f"events, windows of {_num(r.get('train_days'))} days.</p>"
    )
    factors = [_dict(f) for f in _list(r.get("factors"))]
    chosen = [f for f in factors if f.get("selected")]
    if chosen:
        rows = []
        for f in chosen:
            ci = _list(f.get("rr_ci95"))
            interval = f"{_fmt(ci[0])}–{_fmt(ci[1])}" if len(ci) == 2 else MISSING
            rows.append(
                f'<tr><td>{escape_text(f.get("name"))}<div class="rr-desc">'
                f"{escape_text(f.get('description', ''))}</div></td>"
                f"<td>×{_fmt(f.get('rr_per_sd'))}</td><td>{interval}</td>"
                f"<td>{_p(f.get('p_value'))}</td></tr>"
            )
        method = escape_text(_dict(r.get("selection")).get("method", ""))
        parts.append(
            f"<p>{len(chosen)} of {len(factors)} candidate factors selected"
            + (f" by {method.upper() if method == 'bic' else method}" if method else "")
            + ". Relative risk per 1 SD of the factor (×1 = no effect), 95 % interval, "
            "p-value:</p>"
            '<table class="rr-table" id="rr-model-factors"><tr><th>factor</th>'
            "<th>relative risk</th><th>95 % interval</th><th>p</th></tr>"
            f"{''.join(rows)}</table>"
        )
    reasons = {str(_dict(d).get("name")): _dict(d).get("reason") for d in _list(r.get("dropped"))}
    others = [f for f in factors if not f.get("selected")]
    if others:
        items = "".join(
            f"<li>{escape_text(f.get('name'))}: "
            f"{escape_text(reasons.get(str(f.get('name'))) or 'not selected')}</li>"
            for f in others
        )
        parts.append(
            f"<details><summary>Not selected ({len(others)})</summary>"
            f'<ul class="rr-notes">{items}</ul></details>'
        )
    if r.get("rr_unit"):
        parts.append(f'<p class="rr-note">{escape_text(r["rr_unit"])}.</p>')
    return (
        '<details class="rr-section" id="rr-model" open><summary>Model</summary>'
        f"{''.join(parts)}</details>"
    )


def _neighbourhood(nb) -> str:
    nb = _dict(nb)
    if _finite(nb.get("k_rings")) is not None:
        k = nb["k_rings"]
        return f"{k:g} ring{'s' if k != 1 else ''} of neighbours"
    if _finite(nb.get("distance_band_km")) is not None:
        return f"neighbours within {nb['distance_band_km']:g} km"
    return "default neighbourhood"


def _fdr_over(gi: dict) -> str:
    """Say over which cells the correction ran when it left the lone cells out."""
    n, cells = _finite(gi.get("fdr_cells")), _finite(gi.get("cells"))
    if n is None or cells is None or n >= cells:
        return ""
    return (
        f" over the {n:,.0f} cells with a neighbour (a cell alone is held at its own value: "
        "p = 1, no test)"
    )


def _emerging_fdr(em: dict) -> str:
    """Say whether the emerging bins' p-values are corrected, and over which bins.

    Said as the Gi* line says it: the section gave the categories alone, so a reader could
    not tell that a "new hot spot" had passed a Benjamini-Hochberg correction over the
    cube's bins (the manifest's ``fdr``, ``fdr_bins``), nor that the trend test has none.
    """
    if not isinstance(em.get("fdr"), bool):
        return ""  # a summary that does not say
    trend = " Each cell's Mann-Kendall trend p is not corrected."
    if not em["fdr"]:
        return f"<p>Hot and cold bins: p-values not corrected.{trend}</p>"
    n, cells, periods = (_finite(em.get(k)) for k in ("fdr_bins", "cells", "periods"))
    over = ""
    if n is not None and cells is not None and periods is not None and n < cells * periods:
        over = (
            f" over the {n:,.0f} space-time bins with a neighbour (a bin alone in its "
            "space-time neighbourhood is held at its own value: p = 1, no test)"
        )
    return (
        "<p>Hot and cold bins: p-values corrected for false discoveries "
        f"(Benjamini-Hochberg){over}.{trend}</p>"
    )


def hotspots_section(hotspots: dict) -> str:
    """Return the hot-spot section: counts of Gi* classes and emerging categories."""
    h = _dict(hotspots)
    gi, em = _dict(h.get("gi_star")), _dict(h.get("emerging"))
    parts = []
    if gi:
        classes = _dict(gi.get("classes"))
        counts = ", ".join(f"{escape_text(k)}: {_num(v)}" for k, v in classes.items() if _finite(v))
        of = gi.get("values")
        of = f" of {escape_text(of)}" if isinstance(of, str) and of else ""
        parts.append(
            f"<p><b>Gi*</b>{of}: {_num(gi.get('hot_cells'))} hot and "
            f"{_num(gi.get('cold_cells'))} cold cells of {_num(gi.get('cells'))}"
            + (f" ({counts})" if counts else "")
            + f"; {_neighbourhood(gi.get('neighbourhood'))}, {escape_text(gi.get('weights', ''))}"
            " weights; "
            + (
                "p-values corrected for false discoveries (Benjamini-Hochberg)"
                + _fdr_over(gi)
                + "."
                if gi_corrected(h)
                else "p-values not corrected."
            )
            + "</p>"
        )
    if em:
        cats = _dict(em.get("categories"))
        listed = "".join(
            f"<li>{escape_text(k)}: {_num(v)}</li>" for k, v in cats.items() if _finite(v) and v > 0
        )
        parts.append(
            f"<p><b>Emerging trends</b> over {_num(em.get('periods'))} "
            f"{escape_text(em.get('period', 'period'))}s"
            + (
                f" ({escape_text(em.get('first_period'))} to {escape_text(em.get('last_period'))})"
                if em.get("first_period")
                else ""
            )
            + ":</p>"
            + ("" if em.get("skipped") else _emerging_fdr(em))
            + (
                f"<p>{escape_text(em['skipped'])}</p>"
                if em.get("skipped")
                else (f'<ul class="rr-notes">{listed}</ul>' if listed else "<p>no category.</p>")
            )
        )
    return (
        '<details class="rr-section" id="rr-hotspots" open><summary>Hot spots</summary>'
        f"{''.join(parts) or '<p>No hot-spot summary.</p>'}</details>"
    )


def panel_label(data: MapData) -> str:
    """Return the panel's title and button text, e.g. "Back-test, model, hot spots"."""
    parts = [
        name
        for name, value in (
            ("back-test", data.evaluation),
            ("model", data.model_report),
            ("hot spots", data.hotspots),
        )
        if value is not None
    ]
    return ", ".join(parts).capitalize()


def map_area(data: MapData) -> tuple[float | None, int | None]:
    """Return the area (km²) and number of the cells the map shows (every scored cell)."""
    scores = data.scores
    column = S.CELL if S.CELL in scores.columns else S.HEX_ID
    if column not in scores.columns or not len(scores):
        return None, None
    try:
        cells = to_cells(scores[column].to_numpy())
        return float(cell_area_km2(cells).sum()), int(cells.size)
    except (InputError, TypeError, ValueError):
        return None, None


def panel_markup(data: MapData) -> str | None:
    """Return the side panel's HTML (hidden until opened), or None with nothing to show."""
    sections = []
    if data.evaluation is not None:
        sections.append(evaluation_section(data.evaluation, *map_area(data)))
    if data.model_report is not None:
        sections.append(model_section(data.model_report))
    if data.hotspots is not None:
        sections.append(hotspots_section(data.hotspots))
    if not sections:
        return None
    return (
        '<aside class="rr-panel" id="rr-panel" hidden aria-label="Model and back-test">'
        f'<div class="rr-panel-head"><span>{escape_text(panel_label(data))}</span>'
        '<button type="button" class="rr-panel-close" id="rr-panel-close" '
        'aria-label="Close the panel">×</button></div>'
        f"{''.join(sections)}</aside>"
    )
