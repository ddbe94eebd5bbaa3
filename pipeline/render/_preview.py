"""The static PNG preview of the risk map."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from ..grid import cells_to_geodataframe
from ..io import atomic_path
from ._legend import NO_DATA_COLOUR, class_colours, format_number
from ._model import MapData, RenderOptions
from ._payload import (
    basemap_topology,
    map_classes,
    risk_payload,
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


def _in_view(geoms: np.ndarray, centre: float) -> np.ndarray:
    """Move every vertex by whole turns into ``[centre - 180, centre + 180)``.

    The two halves of a cell split at the antimeridian then lie side by side around an
    area across it (a shift per geometry would not do: such a cell's centroid is near 0°).
    """
    import shapely

    return shapely.transform(
        geoms, lambda xy: np.column_stack([wrap_lon(xy[:, 0], centre), xy[:, 1]])
    )


def write_preview_png(
    data: MapData,
    path,
    *,
    title: str,
    dpi: int = 100,
    options: RenderOptions = RenderOptions(),  # noqa: B008 - frozen, immutable default
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

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    validate_classes(data)
    data = map_classes(data, options.classes)
    scores, cells = sorted_cells(data.scores, "scores")
    payload_codes = risk_payload(
        MapData(scores, [], data.class_breaks, data.class_labels), scores, cells, options
    )["cls"]
    colours = np.array(class_colours(len(data.class_labels), options) + [NO_DATA_COLOUR])
    gdf = cells_to_geodataframe(cells)
    view = view_bounds(cells)
    centre = 0.5 * (view[0][1] + view[1][1])
    # cells split at the antimeridian: both halves beside each other, around the area
    gdf = gdf.set_geometry(_in_view(gdf.geometry.to_numpy(), centre))
    face = colours[np.asarray(payload_codes)]  # -1 picks the trailing no-data colour
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=dpi)
    try:
        ax.set_facecolor("#cfe3ef")
        if data.basemap is not None:
            land = data.basemap.to_crs("EPSG:4326").geometry
        else:
            land = _topology_land(basemap_topology(options.basemap))
        import shapely

        base = land.to_numpy()
        copies = np.concatenate(
            [shapely.transform(base, lambda xy, s=s: xy + [s, 0.0]) for s in (-360.0, 0.0, 360.0)]
        )
        gpd.GeoSeries(copies).plot(ax=ax, color="#eceff1", edgecolor="#8d99a6", linewidth=0.5)
        if len(gdf):
            gdf.plot(ax=ax, color=face, edgecolor="none", alpha=0.85)
            x0, y0, x1, y1 = gdf.total_bounds
            pad = max(x1 - x0, y1 - y0, 0.5) * 0.08
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(max(y0 - pad, -90), min(y1 + pad, 90))
        handles = [
            Patch(
                facecolor=colours[k],
                edgecolor="#444",
                label=_plain(
                    f"{lab} ({format_number(data.class_breaks[k])}–"
                    f"{format_number(data.class_breaks[k + 1])} points)"
                ),
            )
            for k, lab in enumerate(data.class_labels)
        ] + [Patch(facecolor=NO_DATA_COLOUR, edgecolor="#444", label="no data")]
        ax.legend(handles=handles, loc="lower right", fontsize=8, title="risk (points of 100)")
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


def _plain(text) -> str:
    """Matplotlib text shown literally (``$`` would start mathtext)."""
    return str(text).replace("$", r"\$")
