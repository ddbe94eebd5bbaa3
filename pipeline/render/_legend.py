"""Colour scales and the legend block (risk classes, transit quantiles, rasters)."""

from __future__ import annotations

import re

import numpy as np

from ..errors import InputError
from ._escaping import escape_text
from ._model import MapData, RenderOptions

# Colour-blind-safe sequential palettes (ColorBrewer YlOrRd / Blues), indexed by class count.
YLORRD = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]


CATEGORICAL = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


NO_DATA_COLOUR = "#bdbdbd"


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


def legend_markup(data: MapData, colours: list[str], transit_edges, rasters) -> str:
    breaks = data.class_breaks
    rows = "".join(
        f'<div><i style="background:{colours[k]}"></i>{escape_text(label)} '
        f"({format_number(breaks[k])}–{format_number(breaks[k + 1])})</div>"
        for k, label in enumerate(data.class_labels)
    )
    blocks = [
        '<div class="rr-legend-block"><div class="rr-legend-title">Risk score (0–100)</div>'
        f"{rows}"
        '<div><i class="rr-nodata-swatch"></i>no data (no observations)</div>'
        '<div class="rr-legend-note">A class holds scores from its lower break (included) to '
        "its upper break (excluded; the top class includes its upper break).</div></div>"
    ]
    if transit_edges is not None:
        e = transit_edges
        colours_t = BLUES[-(len(e) - 1) :]
        rows_t = "".join(
            f'<div><i style="background:{colours_t[k]}"></i>{format_number(e[k])}–{format_number(e[k + 1])} h</div>'
            for k in range(len(e) - 1)
        )
        blocks.append(
            '<div class="rr-legend-block"><div class="rr-legend-title">Transit '
            f"(vessel-hours, quantile classes)</div>{rows_t}</div>"
        )
    for raster, vmin, vmax in rasters:
        blocks.append(
            f'<div class="rr-legend-block"><div class="rr-legend-title">{escape_text(raster.name)}'
            f"</div>{format_number(vmin)} – {format_number(vmax)} {escape_text(raster.units)} "
            f"({escape_text(raster.colormap)} colour scale)</div>"
        )
    return f'<div class="rr-legend" id="rr-legend">{"".join(blocks)}</div>'


def format_number(v: float) -> str:
    return f"{v:.4g}"
