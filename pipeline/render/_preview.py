"""The static PNG preview of the risk map.

The cells and the land are drawn as one matplotlib collection each, built from vertex
arrays (shapely's coordinate functions), not as one patch object per polygon: 40,000
cells take well under a second instead of ~10 s through ``GeoSeries.plot``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..grid import cells_to_geodataframe
from ..io import atomic_path
from ._legend import NO_DATA_COLOUR, class_colours, format_number, risk_scale
from ._model import MapData, RenderOptions
from ._payload import (
    basemap_topology,
    class_codes,
    map_classes,
    sorted_cells,
    validate_classes,
    view_bounds,
    wrap_lon,
)


def _unwrap_ring(xy: np.ndarray, close_pole: bool) -> np.ndarray:
    """Unwrap a ring's longitudes vertex to vertex; close a ring round a pole along it.

    world-atlas stitches Natural Earth across the antimeridian (route_risk.js does the same
    for the page): unwrapped, a ring of Fiji is contiguous near 180° instead of spanning the
    world, and Antarctica, which ends a whole turn from where it starts, is closed along
    the pole.
    """
    out = xy.copy()
    out[:, 0] = np.unwrap(xy[:, 0], period=360.0)
    if close_pole and abs(out[-1, 0] - out[0, 0]) > 180:
        pole = -90.0 if out[:, 1].mean() < 0 else 90.0
        out = np.vstack([out, [[out[-1, 0], pole], [out[0, 0], pole]], out[:1]])
    return out


def _topology_land(topology: dict) -> gpd.GeoSeries:
    """Decode the ``land`` object of a quantised TopoJSON, unwrapped across 180° (preview)."""
    import shapely

    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = [
        np.cumsum(np.asarray(a, dtype="float64"), axis=0) * [sx, sy] + [tx, ty]
        for a in topology["arcs"]
    ]

    def ring(indices, outer):
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return _unwrap_ring(np.concatenate([parts[0]] + [p[1:] for p in parts[1:]]), outer)

    polys = []
    for geom in topology["objects"]["land"]["geometries"]:
        groups = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for rings in groups:
            rr = [ring(r, k == 0) for k, r in enumerate(rings)]
            polys.append(shapely.Polygon(rr[0], rr[1:]))
    return gpd.GeoSeries(polys, crs="EPSG:4326")


def _in_view(polygons: np.ndarray, centre: float) -> np.ndarray:
    """Return polygons (no multi-part ones) moved into the view ``[centre - 180, centre + 180]``.

    Each polygon is moved whole, by the turns that bring the middle of its longitudes into
    the view; moving each vertex on its own, as before, tore a polygon whose vertices lie
    either side of the view's edge: the half of a cell split at 180° ending on 180° became a
    band across the world once the view was centred on 0° (an Arctic theatre), and the cell
    round a pole (-180..180 up to the pole) folded to nothing, leaving the pole blank.  A
    polygon round the whole circle (the cell round a pole) is cut to the view, from the
    copies of it a turn either side.
    """
    import shapely

    polygons = np.asarray(polygons, dtype=object)
    if polygons.size == 0:
        return polygons
    x0, _, x1, _ = shapely.bounds(polygons).T
    mid = 0.5 * (x0 + x1)
    shift = wrap_lon(mid, centre) - mid
    xy, owner = shapely.get_coordinates(polygons, return_index=True)
    xy[:, 0] += shift[owner]
    moved = shapely.set_coordinates(polygons.copy(), xy)
    circle = (x1 - x0) >= 360.0 - 1e-9
    if not circle.any():
        return moved
    view = shapely.box(centre - 180.0, -90.0, centre + 180.0, 90.0)
    turns = np.round(centre / 360.0) * 360.0  # the whole turns nearest the view's centre
    pieces = [
        shapely.intersection(shapely.transform(polygons[circle], lambda c, s=s: c + [s, 0.0]), view)
        for s in (turns - 360.0, turns, turns + 360.0)
    ]
    parts = shapely.get_parts(np.concatenate(pieces))
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons; the view's edge gives lines
    return np.concatenate([moved[~circle], parts[~shapely.is_empty(parts)]])


def _rings_path(polygons: np.ndarray, centre: float | None = None):
    """Return polygons (holes included) as one compound matplotlib ``Path``.

    Exteriors are oriented counter-clockwise and holes clockwise, so the filled area is
    the union of the polygons under either fill rule, and neighbours that share an edge
    leave no seam.  With ``centre``, the polygons are put in the view around it
    (:func:`_in_view`): the two halves of a cell split at the antimeridian then lie side by
    side around an area across it.
    """
    import shapely
    from matplotlib.path import Path as MplPath

    if centre is not None:
        polygons = _in_view(polygons, centre)
    rings = shapely.get_rings(shapely.orient_polygons(polygons, exterior_cw=False))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    if len(xy):
        first = np.r_[True, ring[1:] != ring[:-1]]
        last = np.r_[ring[1:] != ring[:-1], True]
        codes[first] = MplPath.MOVETO
        codes[last & ~first] = MplPath.CLOSEPOLY
    return MplPath(xy, codes)


def write_preview_png(
    data: MapData,
    path,
    *,
    title: str,
    dpi: int = 100,
    options: RenderOptions = RenderOptions(),  # noqa: B008 - frozen, immutable default
    polygons: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Path:
    """Write a static PNG of the risk map (class colours, legend, land outline) atomically.

    Parameters
    ----------
    data : MapData
        Scores and classes (other layers are not drawn).
    path : str or path-like
        Destination ``.png``.
    title : str
        Figure title, drawn as plain text.
    dpi : int
        Resolution.
    options : RenderOptions
        Its ``classes`` and ``class_colors`` are used, as on the map.
    polygons : callable, optional
        Returns the polygon of each cell of an array of cells, as
        :func:`~pipeline.grid.cells_to_geodataframe` builds it (default): a
        :class:`~pipeline.grid.CellPolygons` the run's export takes them from too.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import shapely
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch
    from matplotlib.transforms import Affine2D

    validate_classes(data)
    data = map_classes(data, options.classes)
    # in the map legend's words: a fitted run's risk is a percentile, not points
    scale_title, unit = risk_scale(data)
    scores, cells = sorted_cells(data.scores, "scores")
    codes = class_codes(scores, data.class_labels)
    colours = np.array(class_colours(len(data.class_labels), options) + [NO_DATA_COLOUR])
    view = view_bounds(cells)
    centre = 0.5 * (view[0][1] + view[1][1])
    # one compound path per class: a few paths to draw instead of one patch per cell
    cell_polygons = (
        polygons(cells)
        if polygons is not None
        else cells_to_geodataframe(cells).geometry.to_numpy()
    )
    parts, owner = shapely.get_parts(cell_polygons, return_index=True)
    part_codes = codes[owner]
    shown = np.unique(part_codes)
    cell_paths = [_rings_path(parts[part_codes == k], centre) for k in shown]
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=dpi)
    try:
        ax.set_facecolor("#cfe3ef")
        if data.basemap is not None:
            land = data.basemap.to_crs("EPSG:4326").geometry
        else:
            land = _topology_land(basemap_topology(options.basemap))
        base = _rings_path(shapely.get_parts(land.to_numpy()))
        shifted = [base.transformed(Affine2D().translate(s, 0.0)) for s in (-360.0, 0.0, 360.0)]
        ax.add_collection(
            PathCollection(shifted, facecolors="#eceff1", edgecolors="#8d99a6", linewidths=0.5)
        )
        ax.autoscale_view()
        if len(parts):
            ax.add_collection(
                # a code of -1 (no data) picks the trailing no-data colour
                PathCollection(
                    cell_paths, facecolors=colours[shown], edgecolors="none", alpha=0.85
                ),
                autolim=False,
            )
            vertices = np.vstack([p.vertices for p in cell_paths])
            (x0, y0), (x1, y1) = vertices.min(axis=0), vertices.max(axis=0)
            pad = max(x1 - x0, y1 - y0, 0.5) * 0.08
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(max(y0 - pad, -90), min(y1 + pad, 90))
        handles = [
            Patch(
                facecolor=colours[k],
                edgecolor="#444",
                label=_plain(
                    f"{lab} ({format_number(data.class_breaks[k])}–"
                    f"{format_number(data.class_breaks[k + 1])}{unit})"
                ),
            )
            for k, lab in enumerate(data.class_labels)
        ] + [Patch(facecolor=NO_DATA_COLOUR, edgecolor="#444", label="no data")]
        ax.legend(handles=handles, loc="lower right", fontsize=8, title=_plain(scale_title))
        ax.set_title(_plain(title))
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        mid_lat = float(np.clip(np.mean(ax.get_ylim()), -80, 80))
        ax.set_aspect(1.0 / np.cos(np.radians(mid_lat)))
        with atomic_path(path, ".png") as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)


#: What is not text: a NUL (no glyph) and lone surrogates (no UTF-8: matplotlib's font code
#: refuses them, and the preview failed after the map was written).
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _plain(text) -> str:
    """Matplotlib text shown literally (``$`` would start mathtext).

    A NUL or a lone surrogate shows as U+FFFD, as :func:`~pipeline.render.escape_text` shows
    it on the page.
    """
    return _NOT_TEXT.sub("\ufffd", str(text)).replace("$", r"\$")
