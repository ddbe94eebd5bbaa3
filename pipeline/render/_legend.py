"""Colour scales and the legend block (risk classes, transit quantiles, rasters)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from ..errors import InputError
from ._escaping import escape_text
from ._model import MapData, RenderOptions

# Colour-blind-safe sequential palettes (ColorBrewer YlOrRd / Blues), indexed by class count.
YLORRD = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]

#: "Colour by" a factor: five quantile classes on YlOrRd; Gi* z on a diverging ColorBrewer
#: RdBu ramp (cold spots blue, hot spots red, not significant white).
RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]


CATEGORICAL = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


NO_DATA_COLOUR = "#bdbdbd"

# Gi* significance outlines: (gi_bin, label, colour, line width px, dash).  Hot and cold are
# hues outside the YlOrRd risk ramp (an ArcGIS red outline vanishes on a red cell); the
# confidence is the line: 99 % thick, 95 % medium, 90 % thin and dashed.  Drawn on a white
# halo so they read on every fill.
HOT_COLOUR = "#6a1b9a"
COLD_COLOUR = "#0d47a1"
SIGNIFICANCE_CLASSES: list[tuple[int, str, str, float, list[int]]] = [
    (3, "hot spot, 99 % confidence", HOT_COLOUR, 3.5, []),
    (2, "hot spot, 95 % confidence", HOT_COLOUR, 2.5, []),
    (1, "hot spot, 90 % confidence", HOT_COLOUR, 1.5, [4, 3]),
    (-1, "cold spot, 90 % confidence", COLD_COLOUR, 1.5, [4, 3]),
    (-2, "cold spot, 95 % confidence", COLD_COLOUR, 2.5, []),
    (-3, "cold spot, 99 % confidence", COLD_COLOUR, 3.5, []),
]

# Emerging hot-spot categories (pipeline.hotspots.CATEGORIES, ArcGIS's names): warm hues for
# the hot family, cool ones for the cold family, one fixed colour each so that maps of
# different runs compare.
EMERGING_COLOURS: dict[str, str] = {
    "new hot spot": "#ffd92f",
    "consecutive hot spot": "#fd8d3c",
    "intensifying hot spot": "#e31a1c",
    "persistent hot spot": "#99000d",
    "diminishing hot spot": "#f768a1",
    "sporadic hot spot": "#c994c7",
    "oscillating hot spot": "#ae017e",
    "historical hot spot": "#8c6d31",
    "new cold spot": "#9ecae1",
    "consecutive cold spot": "#4292c6",
    "intensifying cold spot": "#08519c",
    "persistent cold spot": "#08306b",
    "diminishing cold spot": "#a1d99b",
    "sporadic cold spot": "#41ab5d",
    "oscillating cold spot": "#006d2c",
    "historical cold spot": "#737373",
}


def emerging_colour(name: str, k: int) -> str:
    """Return the fixed colour of a known emerging category, else the k-th categorical one."""
    return EMERGING_COLOURS.get(name, CATEGORICAL[k % len(CATEGORICAL)])


_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def class_colours(n: int, options: RenderOptions) -> list[str]:
    if options.class_colors is not None:
        colours = list(options.class_colors)
        if len(colours) != n or not all(_HEX_COLOUR.match(c) for c in colours):
            raise InputError(
                f"class_colors must be {n} '#rrggbb' colours, one per class, got {colours!r}"
            )
        return colours
    if n <= len(YLORRD):
        idx = np.round(np.linspace(0, len(YLORRD) - 1, n)).astype(int)
        return [YLORRD[i] for i in idx]
    import matplotlib

    cmap = matplotlib.colormaps["YlOrRd"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.1, 1, n)]


CLASS_METHOD_NOTES = {
    "quantile": "quantile classes of this run ({n:,} observed cells{spread})",
    "natural": "natural breaks (Fisher-Jenks) of this run's {n:,} observed cells",
    "fixed": "fixed breaks",
}


def legend_markup(
    data: MapData,
    colours: list[str],
    transit_edges,
    rasters,
    *,
    significance: dict | None = None,
    emerging: list[tuple[str, str, int]] | None = None,
    class_method: str = "fixed",
    n_observed: int = 0,
    class_counts: list[int] | None = None,
    beyond_note: str | None = None,
    context_labels: tuple[str, str] = ("port", "shipping lane"),
) -> str:
    """Return the collapsible legend: a block per layer, ``data-layer`` naming its key.

    route_risk.js shows a block only while its layer is on the map.  ``significance`` is the
    significance payload (its ``present`` classes), ``emerging`` the categories present as
    ``(name, colour, cells)``.  ``class_counts`` (cells drawn in each risk class) are stated
    in the class rows; quantile classes are said to hold about equal counts only when they
    do (tied scores stay in one class, so one class may hold most cells).  ``beyond_note``
    says which cells the map cannot draw (beyond Web Mercator's 85.05°).
    ``context_labels`` name the ports' and the lanes' rows (``render.ports_label``,
    ``render.lanes_label``).
    """
    breaks = data.class_breaks
    counts = list(class_counts) if class_counts is not None else None

    def cells(k: int) -> str:
        if counts is None or k >= len(counts):
            return ""
        return f", {counts[k]:,} cell{'' if counts[k] == 1 else 's'}"

    title, unit = risk_scale(data)
    rows = "".join(
        f'<div><i style="background:{colours[k]}"></i>{escape_text(label)} '
        f"({format_number(breaks[k])}–{format_number(breaks[k + 1])}{unit}{cells(k)})</div>"
        for k, label in enumerate(data.class_labels)
    )
    spread = ", about equal counts"
    if counts and sum(counts) and max(counts) > 1.5 * sum(counts) / len(counts) + 1:
        spread = ", unequal counts where scores tie"
    method_note = CLASS_METHOD_NOTES.get(class_method, "").format(n=n_observed, spread=spread)
    blocks = [
        '<div class="rr-legend-block" data-layer="risk"><div class="rr-legend-title" '
        f'id="rr-legend-risk-title">{title}</div>'
        f'<div id="rr-legend-risk-rows">{rows}</div>'
        '<div><i class="rr-nodata-swatch"></i>no data (no observations)</div>'
        f'<div class="rr-legend-note" id="rr-legend-risk-note">Breaks: {method_note}. A class '
        "holds scores from its lower break (included) to its upper break (excluded; the top "
        "class includes its upper break).</div>"
        + (
            f'<div class="rr-legend-note" id="rr-legend-beyond-note">{escape_text(beyond_note)}.'
            "</div>"
            if beyond_note
            else ""
        )
        + "</div>"
    ]
    if transit_edges is not None:
        e = transit_edges
        colours_t = BLUES[-(len(e) - 1) :]
        rows_t = "".join(
            f'<div><i style="background:{colours_t[k]}"></i>{format_number(e[k])}–{format_number(e[k + 1])} h</div>'
            for k in range(len(e) - 1)
        )
        blocks.append(
            '<div class="rr-legend-block" data-layer="transit"><div class="rr-legend-title">'
            f"Transit (vessel-hours, quantile classes)</div>{rows_t}</div>"
        )
    if significance is not None:
        blocks.append(_significance_block(significance["present"], data.hotspots))
    if emerging is not None:
        blocks.append(_emerging_block(emerging, data.hotspots))
    if data.ports is not None and len(data.ports):
        blocks.append(
            '<div class="rr-legend-block" data-layer="ports"><div class="rr-legend-title">'
            f'Context</div><div><i class="rr-port-swatch"></i>{escape_text(context_labels[0])}'
            "</div></div>"
        )
    if data.lanes is not None and len(data.lanes):
        blocks.append(
            '<div class="rr-legend-block" data-layer="lanes"><div class="rr-legend-title">'
            f'Context</div><div><i class="rr-lane-swatch"></i>{escape_text(context_labels[1])}'
            "</div></div>"
        )
    for k, (raster, vmin, vmax) in enumerate(rasters):
        scale = (
            f"{format_number(vmin)} – {format_number(vmax)} {escape_text(raster.units)} "
            f"({escape_text(raster.colormap)} colour scale)"
            if math.isfinite(vmin) and math.isfinite(vmax)
            else "no data (no pixel has a value)"
        )
        blocks.append(
            f'<div class="rr-legend-block" data-layer="raster-{k}">'
            f'<div class="rr-legend-title">{escape_text(raster.name)}</div>{scale}</div>'
        )
    return (
        '<details class="rr-legend" id="rr-legend" open><summary>Legend</summary>'
        f"{''.join(blocks)}</details>"
    )


def risk_scale(data: MapData) -> tuple[str, str]:
    """Return the risk legend's title and the unit after each break (``" points"`` or "").

    The fitted model's risk (its fallback blend's too) is a percentile of expected events
    per km², not points of a weighted score; the map's legend and the PNG preview both say
    it with these words.
    """
    if data.model_report is not None:
        return "Risk (percentile of expected events per km², 0-100)", ""
    return "Risk score (points of 100)", " points"


def _summary_part(hotspots: dict | None, part: str) -> dict:
    value = hotspots.get(part) if isinstance(hotspots, dict) else None
    return value if isinstance(value, dict) else {}


def gi_corrected(hotspots: dict | None) -> bool:
    """Whether the Gi* p-values of the run's summary are corrected (Benjamini-Hochberg).

    True unless ``hotspots["gi_star"]["fdr"]`` is False: a summary that does not say is
    read as the hot-spot options' default (corrected).  The card's p label, the legend's
    note and the panel all say it by this one rule (the panel read a summary without
    ``fdr`` as "p-values not corrected." beside the legend's and the card's "corrected").
    """
    return _summary_part(hotspots, "gi_star").get("fdr", True) is not False


def _significance_block(present: list[int], hotspots: dict | None) -> str:
    rows = "".join(
        f'<div><i class="rr-outline" style="border:{max(width - 1, 1):g}px '
        f'{"dashed" if dash else "solid"} {colour}"></i>{label}</div>'
        for k, (_, label, colour, width, dash) in enumerate(SIGNIFICANCE_CLASSES)
        if k in present
    )
    if not rows:
        rows = "<div>no hot or cold spot at 90 % confidence or more</div>"
    gi = _summary_part(hotspots, "gi_star")
    fdr = gi_corrected(hotspots)
    of = gi.get("values")
    # what the outlines are of: all the record's seizures, not decayed, under a map of the
    # risk as of a day (piracy incidents: 1993-2020 under "risk as of 2020-12-31")
    of = f" of {escape_text(of)}" if isinstance(of, str) and of else ""
    note = (
        f"Getis-Ord Gi*{of}; p-values corrected for false discoveries (Benjamini-Hochberg)."
        if fdr
        else f"Getis-Ord Gi*{of}; p-values not corrected for multiple testing."
    )
    return (
        '<div class="rr-legend-block" data-layer="significance"><div class="rr-legend-title">'
        f'Hot and cold spots (outlines)</div>{rows}<div class="rr-legend-note">{note}</div></div>'
    )


def _emerging_block(categories: list[tuple[str, str, int]], hotspots: dict | None) -> str:
    rows = "".join(
        f'<div><i style="background:{colour}"></i>{escape_text(name)} '
        f"({n:,} cell{'' if n == 1 else 's'})</div>"
        for name, colour, n in categories
    )
    if not rows:
        rows = "<div>no emerging hot or cold spot</div>"
    em = _summary_part(hotspots, "emerging")
    periods, first, last = em.get("periods"), em.get("first_period"), em.get("last_period")
    note = "Gi* per period and a Mann-Kendall trend per cell (ArcGIS categories)"
    if isinstance(periods, int) and first and last:
        note += f", {periods} periods {escape_text(first)} to {escape_text(last)}"
    if isinstance(em.get("fdr"), bool):
        note += (
            "; the bins' p-values corrected for false discoveries (Benjamini-Hochberg)"
            if em["fdr"]
            else "; p-values not corrected for multiple testing"
        )
    return (
        '<div class="rr-legend-block" data-layer="emerging"><div class="rr-legend-title">'
        f'Emerging trend</div>{rows}<div class="rr-legend-note">{note}.</div></div>'
    )


def format_number(v: float) -> str:
    """Write a legend's number as a card writes a value (route_risk.js ``fmt``).

    Four significant digits (halves away from zero, as ``toPrecision``), and a whole number
    with thousands separators from 1,000 on:
    ``.4g`` alone wrote a transit class's upper edge of 54,321.5 h as "5.432e+04", 54,320,
    below the 54,322 h the card of the busiest cell reads.
    """
    if not math.isfinite(v):
        return "–"
    if abs(v) >= 1000:
        return f"{math.floor(v + 0.5):,}"  # Math.round: halves go up
    # toPrecision(4) rounds the double's exact decimal value and takes the larger of two
    # equally near (in magnitude): half away from zero.  Python's ".4g" rounds half to even,
    # which wrote an exact binary tie one unit lower than the card (1.0625: "1.062", the
    # card "1.063").
    # exact; float() first: Decimal takes no numpy float32 or int64 (breaks of np.arange)
    d = Decimal(float(v))
    x = float(d.quantize(Decimal(1).scaleb(d.adjusted() - 3), rounding=ROUND_HALF_UP))
    if x == 0:
        return "0"
    if abs(x) >= 1e-6:  # as JavaScript writes a number: 0.00001, never 1e-05
        return np.format_float_positional(x, trim="-")
    return f"{x:g}".replace("e-0", "e-")  # JavaScript's 1.5e-7
