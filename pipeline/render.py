"""The analyst's map: an offline, XSS-safe Folium page of H3 risk hexagons, and a PNG preview.

Design (issue #6)
-----------------
*Offline.*  Every script and stylesheet is inlined from ``pipeline/assets`` (vendored from npm
by ``tools/vendor_assets.py``; versions and sha256 in ``pipeline/assets/README.md``); the page
carries a Content-Security-Policy that allows only its own inline scripts (by sha256) and no
origin at all; the basemap is Natural Earth 1:110m land and borders drawn as vectors.  Online
tiles are added only when :attr:`RenderOptions.tiles` names them.

*One escaping path.*  Every data string that reaches the page (card texts, popups, layer names,
legend, title, footer) goes through :func:`escape_text`, which turns the characters that are
special in HTML *or* in JavaScript string literals into HTML character references.  The result
is inert wherever folium or our runtime puts it (HTML, JSON in a script, a JS template
literal), and the browser's HTML parser turns it back into the original text on display.

*Compact hexagons.*  Cells are sent as H3 ids (sorted, delta-encoded in base 36, about three
bytes per cell) and decoded to boundaries in the browser by h3-js; values travel as column
arrays.  ``pipeline/assets/route_risk.js`` draws them on one canvas, in every visible world copy
(so cells on the antimeridian are whole), and finds the hovered cell with ``latLngToCell``.

*Countable.*  The page sets ``window.routeRisk``: ``hexCount`` (risk cells drawn in the last
frame), ``hexTotal`` (risk cells decoded), ``layers`` (by key), ``ready`` (true once every layer
is on the map) and ``map``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer, LayerControl
from folium.plugins import HeatMap
from jinja2 import Template

from . import schema as S
from ._render_assets import ASSETS, CspMeta, InlineAssetsMixin, apply_csp
from .errors import InputError
from .grid import cell_area_km2, cells_resolutions, cells_to_latlng, to_cells
from .io import atomic_path, atomic_write_text

__all__ = [
    "FactorInfo",
    "MapData",
    "RasterOverlay",
    "RenderOptions",
    "build_map",
    "escape_text",
    "map_to_html",
    "write_map",
    "write_preview_png",
]

log = logging.getLogger(__name__)

OBSERVED = S.OBSERVED
LATEST_EVENT = S.LATEST_EVENT
SEIZURES_PREFIX = S.SEIZURES_PREFIX
PERIOD = S.PERIOD
EVENT_TYPE = S.EVENT_TYPE

# Colour-blind-safe sequential palettes (ColorBrewer YlOrRd / Blues), indexed by class count.
_YLORRD = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
_BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
_CATEGORICAL = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
_NO_DATA = "#bdbdbd"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# The one escaping path: HTML-special characters, and the characters that would end or
# interpolate a JavaScript string/template literal, become character references.
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "{": "&#123;",
        "}": "&#125;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\u2028": "&#8232;",
        "\u2029": "&#8233;",
    }
)


def escape_text(value) -> str:
    """Return ``value`` as text that is safe in every sink of the map and displays verbatim.

    This is the only escaping function of the page: card texts, popups, layer names, legend,
    title and footer all pass through it.  ``& < > " '`` are HTML-escaped and the characters
    that could end or interpolate a JavaScript literal (backtick, ``$``, backslash, braces,
    CR, LF, U+2028, U+2029) become numeric character references too, so the output contains
    none of them; the browser turns the references back into the original characters.

    Parameters
    ----------
    value : object
        Any value; ``None`` and missing values (NaN, NaT, ``pd.NA``) give ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)> ${x}")
    '&lt;img src=x onerror=alert(1)&gt; &#36;&#123;x&#125;'
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        if np.ndim(value) == 0 and pd.isna(value):
            return ""
        value = str(value)
    return value.translate(_ESCAPES)


def _escape_many(values) -> list[str]:
    """Vectorised :func:`escape_text` over a column (missing values become "")."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    out = s.where(~missing, "").astype(str).str.translate(_ESCAPES)
    return out.tolist()


@dataclass(frozen=True)
class FactorInfo:
    """One factor of the risk score, as the explain card shows it.

    Parameters
    ----------
    name : str
        Column name in the scores table (``name``, ``name + '__norm'``, ``name + '__contrib'``).
    label : str
        Human-readable label.
    weight : float
        Weight of the factor in the score.
    unit : str
        Unit of the raw value (e.g. ``"h"``, ``"events/km²"``).
    description : str
        One sentence on what the factor measures.
    """

    name: str
    label: str
    weight: float = 1.0
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class RasterOverlay:
    """A raster shown as a coloured image overlay.

    Parameters
    ----------
    name : str
        Layer name.
    array : numpy.ndarray
        2-D float array, first row north; NaN is nodata (transparent).
    bounds : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326.
    units : str
        Units of the values, shown in the legend.
    colormap : str
        A matplotlib colormap name.
    opacity : float
        Opacity of the overlay, 0-1.
    """

    name: str
    array: np.ndarray
    bounds: tuple[float, float, float, float]
    units: str = ""
    colormap: str = "viridis"
    opacity: float = 0.6


@dataclass
class MapData:
    """Everything the map shows.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per cell: ``cell`` (uint64) or ``hex_id``, ``risk`` (0-100), ``risk_class``,
        per factor ``f``, ``f__norm``, ``f__contrib``; optional ``seizures_<commodity>``
        counts, ``latest_event`` (UTC datetime or NaT) and ``observed`` (False = no
        observation at all: shown as "no data", never as low risk; default True).
    factors : list of FactorInfo
        The factors, in display order.
    class_breaks : list of float
        Class boundaries, e.g. ``[0, 20, 40, 60, 80, 100]``.
    class_labels : list of str
        One label per class (``len(class_breaks) - 1``), lowest first.
    seizures : pandas.DataFrame, optional
        The seizures table (``time``, ``lon``, ``lat``, ``commodity``, ``quantity``, ``agency``,
        ``note``): heat layer and clustered points.
    events : pandas.DataFrame, optional
        Transit events (``event_type``, ``vessel_id``, ``other_vessel_id``, ``start_time``,
        ``end_time``, ``duration_hours``, ``lon``, ``lat``).
    transit : pandas.DataFrame, optional
        ``cell``, ``vessel_hours``: the transit density layer.
    rasters : list of RasterOverlay
        Image overlays.
    timeline : pandas.DataFrame, optional
        ``cell``, ``period`` ('YYYY-MM'), ``risk``: the month slider.
    basemap : geopandas.GeoDataFrame, optional
        Land or coast geometries; default is the bundled Natural Earth 1:110m outline.
    bandwidth_km : float, optional
        Bandwidth of the seizure density; with ``confidence`` and
        ``n_seizures_within_bandwidth`` columns in ``scores`` the card says how sure the
        density is ("high (34 seizures within 40 km)").
    """

    scores: pd.DataFrame
    factors: list[FactorInfo]
    class_breaks: list[float]
    class_labels: list[str]
    seizures: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    transit: pd.DataFrame | None = None
    rasters: list[RasterOverlay] = field(default_factory=list)
    timeline: pd.DataFrame | None = None
    basemap: gpd.GeoDataFrame | None = None
    bandwidth_km: float | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How the map is drawn.

    Parameters
    ----------
    title : str
        Title shown at the top, followed by the as-of date.
    tiles : str, optional
        ``None`` (default) keeps the map offline with the vector basemap; a folium tiles
        name (e.g. ``"OpenStreetMap"``) adds online tiles and allows their origin in the CSP.
    max_seizure_points : int
        The most recent seizures shown as clustered points (the heat layer uses all).
    max_event_points : int
        The most recent transit events shown.
    max_heat_points : int
        The most recent seizures in the heat layer.
    class_colors : tuple of str, optional
        One ``#rrggbb`` colour per class; default a YlOrRd ramp.
    hex_opacity : float
        Fill opacity of the hexagons.
    show_heat, show_seizure_points, show_transit, show_events, show_rasters : bool
        Which optional layers are switched on when the page opens (all are in the control).
    """

    title: str = "route-risk"
    tiles: str | None = None
    max_seizure_points: int = 20000
    max_event_points: int = 20000
    max_heat_points: int = 200_000
    class_colors: tuple[str, ...] | None = None
    hex_opacity: float = 0.7
    show_heat: bool = False
    show_seizure_points: bool = True
    show_transit: bool = False
    show_events: bool = False
    show_rasters: bool = False


# --------------------------------------------------------------------------- folium elements


class _OfflineMap(InlineAssetsMixin, folium.Map):
    """A folium Map whose Leaflet is inlined and whose page carries a CSP placeholder."""

    inline_css = [("leaflet_css", "leaflet/leaflet.css"), ("route_risk_css", "route_risk.css")]
    inline_js = [("leaflet", "leaflet/leaflet.js")]

    def render(self, **kwargs):
        """Put the CSP first in the header, then the inline assets, then folium's own."""
        figure = self.get_root()
        if "csp" not in figure.header._children:
            figure.header.add_child(CspMeta(), name="csp")
        super().render(**kwargs)


class _PayloadLayer(InlineAssetsMixin, Layer):
    """An overlay that route_risk.js draws from one JavaScript literal, ``payload``."""

    #: folium's element name, the prefix of the layer's JavaScript variable.
    _js_name = "RouteRiskLayer"

    def __init__(self, payload: str, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = self._js_name
        self.payload = payload


class _HexLayer(_PayloadLayer):
    """A canvas layer of H3 hexagons decoded in the browser (see route_risk.js)."""

    inline_js = [("h3-js", "h3-js/h3-js.umd.js"), ("route_risk", "route_risk.js")]
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.routeRiskHexLayer({{ this.payload }});"
        "{% endmacro %}"
    )
    _js_name = "RouteRiskHexLayer"


class _Basemap(_PayloadLayer):
    """The offline vector basemap (land fill, coast and border lines)."""

    inline_js = [
        ("topojson", "topojson-client/topojson-client.min.js"),
        ("route_risk", "route_risk.js"),
    ]
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = routeRisk.basemap({{ this._parent.get_name() }}, "
        "{{ this.payload }});"
        "{% endmacro %}"
    )
    _js_name = "RouteRiskBasemap"


class _PointLayer(_PayloadLayer):
    """Clustered (seizures) or plain (events) circle markers with escaped popups."""

    inline_css = [
        ("markercluster_css", "markercluster/MarkerCluster.css"),
        ("markercluster_default_css", "markercluster/MarkerCluster.Default.css"),
    ]
    inline_js = [
        ("markercluster", "markercluster/leaflet.markercluster.js"),
        ("route_risk", "route_risk.js"),
    ]
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = routeRisk.{{ this.factory }}({{ this.payload }});"
        "{% endmacro %}"
    )

    _js_name = "RouteRiskPoints"

    def __init__(self, payload: str, factory: str, name: str, show: bool):
        super().__init__(payload, name, show)
        self.factory = factory


class _HeatMap(InlineAssetsMixin, HeatMap):
    """folium's HeatMap with leaflet-heat inlined instead of loaded from a CDN."""

    inline_js = [("leaflet_heat", "leaflet-heat/leaflet-heat.js")]


class _Html(folium.MacroElement):
    """A fixed block of HTML in the page body (title, footer, legend); text pre-escaped."""

    _template = Template("{% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}")

    def __init__(self, markup: str):
        super().__init__()
        self._name = "RouteRiskHtml"
        self.markup = markup


class _Script(folium.MacroElement):
    """A snippet of the map script that calls the route-risk runtime (no data text)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "RouteRiskScript"
        self.code = code


# --------------------------------------------------------------------------- encoders


def _js(obj) -> str:
    """Serialise ``obj`` as a JavaScript literal that cannot close its ``<script>``."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _rounded(values, significant: int = 5) -> list:
    """Round a float column to ``significant`` digits of its largest magnitude; NaN stays NaN."""
    a = np.asarray(values, dtype="float64")
    finite = np.isfinite(a)
    if not finite.any():
        return a.tolist()
    top = float(np.max(np.abs(a[finite])))
    decimals = 0 if top == 0 else int(np.clip(significant - 1 - math.floor(math.log10(top)), 0, 12))
    out = np.round(a, decimals)
    if decimals == 0:
        return [int(v) if math.isfinite(v) else v for v in out.tolist()]
    return out.tolist()


def _base36(values: np.ndarray) -> str:
    """Comma-join non-negative integers (< 2**53) in base 36, vectorised."""
    if values.size == 0:
        return ""
    alphabet = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype="S1")
    width = 11  # 36**11 > 2**53
    v = values.astype("uint64").copy()
    digits = np.empty((v.size, width), dtype="uint8")
    for j in range(width - 1, -1, -1):
        digits[:, j] = v % np.uint64(36)
        v //= np.uint64(36)
    nonzero = digits != 0
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), width - 1)
    chars = np.empty((values.size, width + 1), dtype="S1")
    chars[:, :width] = alphabet[digits]
    chars[:, width] = b","
    keep = np.ones(chars.shape, dtype=bool)
    keep[:, :width] = np.arange(width)[None, :] >= first[:, None]
    return chars[keep].tobytes().decode("ascii")[:-1]


def _encode_cells(cells: np.ndarray) -> list[dict]:
    """Encode cells sorted by (resolution, id) as per-resolution groups of base-36 deltas."""
    res = cells_resolutions(cells).astype("int64")
    groups = []
    for r in np.unique(res):
        c = cells[res == r]
        shifted = c >> np.uint64(3 * (15 - int(r)))
        groups.append(
            {"res": int(r), "first": f"{int(c[0]):x}", "deltas": _base36(np.diff(shifted))}
        )
    return groups


def _sorted_cells(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Return ``frame`` sorted by (resolution, cell) and its uint64 cells; reject duplicates."""
    if S.CELL in frame.columns:
        cells = to_cells(frame[S.CELL].to_numpy())
    elif S.HEX_ID in frame.columns:
        cells = to_cells(frame[S.HEX_ID].astype(str).to_numpy())
    else:
        raise InputError(f"{table} table needs a {S.CELL!r} or {S.HEX_ID!r} column")
    order = np.lexsort((cells, cells_resolutions(cells))) if cells.size else np.arange(0)
    cells = cells[order]
    dup = np.flatnonzero(cells[1:] == cells[:-1]) if cells.size else np.empty(0, int)
    if dup.size:
        raise InputError(
            f"{table} table has duplicate cells, e.g. {format(int(cells[dup[0]]), 'x')!r}; "
            "expected one row per cell"
        )
    return frame.iloc[order].reset_index(drop=True), cells


def _class_colours(n: int, options: RenderOptions) -> list[str]:
    if options.class_colors is not None:
        colours = list(options.class_colors)
        if len(colours) != n or not all(_HEX_COLOUR.match(c) for c in colours):
            raise InputError(
                f"class_colors must be {n} '#rrggbb' colours, one per class, got {colours!r}"
            )
        return colours
    if n <= len(_YLORRD):
        idx = np.round(np.linspace(0, len(_YLORRD) - 1, n)).astype(int)
        return [_YLORRD[i] for i in idx]
    import matplotlib

    cmap = matplotlib.colormaps["YlOrRd"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.1, 1, n)]


def _validate_classes(data: MapData) -> None:
    breaks = np.asarray(data.class_breaks, dtype="float64")
    if breaks.ndim != 1 or breaks.size < 2 or not np.all(np.diff(breaks) > 0):
        raise InputError(
            f"class_breaks must be at least two increasing numbers, got {data.class_breaks!r}"
        )
    if len(data.class_labels) != breaks.size - 1:
        raise InputError(
            f"class_labels must have len(class_breaks) - 1 = {breaks.size - 1} labels, got "
            f"{data.class_labels!r}"
        )


def _risk_payload(data: MapData, scores: pd.DataFrame, cells: np.ndarray, options) -> dict:
    """Column arrays for the risk layer and its explain card (strings escaped)."""
    n = len(scores)
    labels = list(data.class_labels)
    observed = (
        scores[OBSERVED].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if OBSERVED in scores.columns
        else np.ones(n, dtype=bool)
    )
    codes = pd.Index(labels).get_indexer(scores[S.RISK_CLASS].astype(object)).astype("int64")
    unknown = (codes < 0) & scores[S.RISK_CLASS].notna().to_numpy() & observed
    if unknown.any():
        bad = scores[S.RISK_CLASS].to_numpy()[np.flatnonzero(unknown)[0]]
        raise InputError(f"scores column {S.RISK_CLASS!r} has {bad!r}; expected one of {labels!r}")
    codes = np.where(observed, codes, -1)
    factors = []
    for f in data.factors:
        contrib = f.name + S.CONTRIB_SUFFIX
        S.require_columns(scores, [f.name, contrib], "scores")
        factors.append(
            {
                "label": escape_text(f.label),
                "unit": escape_text(f.unit),
                "weight": float(f.weight),
                "values": _rounded(scores[f.name].to_numpy(dtype="float64")),
                "contrib": np.round(scores[contrib].to_numpy(dtype="float64"), 2).tolist(),
            }
        )
    commodity_cols = [c for c in scores.columns if str(c).startswith(SEIZURES_PREFIX)]
    commodities = [
        {
            "label": escape_text(str(c)[len(SEIZURES_PREFIX) :]),
            "counts": scores[c].fillna(0).astype("int64").tolist(),
        }
        for c in commodity_cols
    ]
    latest = None
    if LATEST_EVENT in scores.columns:
        t = pd.to_datetime(scores[LATEST_EVENT], utc=True)
        days = (t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(days=1)
        latest = [None if pd.isna(v) else int(v) for v in days.tolist()]
    confidence = None
    if {S.CONFIDENCE, S.SEIZURES_WITHIN_BANDWIDTH} <= set(scores.columns):
        codes_c, uniques = pd.factorize(scores[S.CONFIDENCE].astype(str), sort=True)
        confidence = {
            "labels": _escape_many(list(uniques)),
            "code": codes_c.tolist(),
            "near": scores[S.SEIZURES_WITHIN_BANDWIDTH].fillna(0).astype("int64").tolist(),
            "bandwidthKm": None if data.bandwidth_km is None else float(data.bandwidth_km),
        }
    timeline = None
    if data.timeline is not None and len(data.timeline):
        S.require_columns(data.timeline, [S.CELL, PERIOD, S.RISK], "timeline")
        tl = data.timeline
        tl_cells = to_cells(tl[S.CELL].to_numpy())
        wide = (
            pd.DataFrame({"cell": tl_cells, "period": tl[PERIOD].astype(str), "risk": tl[S.RISK]})
            .pivot_table(index="cell", columns="period", values="risk", aggfunc="mean")
            .reindex(pd.Index(cells, name="cell"))
        )
        periods = sorted(wide.columns)
        matrix = np.round(wide[periods].to_numpy(dtype="float64").T, 1)
        risk_rows = matrix.astype(object)
        risk_rows[np.isnan(matrix)] = None
        timeline = {"periods": _escape_many(periods), "risk": risk_rows.tolist()}
    return {
        "key": "risk",
        "kind": "risk",
        "title": escape_text("Cell"),
        "cells": _encode_cells(cells),
        "cls": codes.tolist(),
        "observed": observed.astype("int8").tolist(),
        "risk": np.round(scores[S.RISK].to_numpy(dtype="float64"), 1).tolist(),
        "labels": _escape_many(labels),
        "breaks": [float(b) for b in data.class_breaks],
        "colors": _class_colours(len(labels), options),
        "noDataColor": _NO_DATA,
        "opacity": float(options.hex_opacity),
        "factors": factors,
        "commodities": commodities,
        "latest": latest,
        "confidence": confidence,
        "timeline": timeline,
    }


def _transit_payload(transit: pd.DataFrame, options) -> tuple[dict, list[float]]:
    S.require_columns(transit, [S.VESSEL_HOURS], "transit")
    frame, cells = _sorted_cells(transit, "transit")
    hours = frame[S.VESSEL_HOURS].to_numpy(dtype="float64")
    positive = hours[np.isfinite(hours) & (hours > 0)]
    edges = (
        np.unique(np.quantile(positive, np.linspace(0, 1, len(_BLUES) + 1)))
        if positive.size
        else np.array([0.0, 1.0])
    )
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1.0])
    codes = np.clip(np.searchsorted(edges, hours, side="right") - 1, 0, edges.size - 2)
    codes = np.where(np.isfinite(hours), codes, -1)
    n_classes = edges.size - 1
    payload = {
        "key": "transit",
        "kind": "value",
        "title": escape_text("Transit"),
        "valueLabel": escape_text("Vessel-hours"),
        "unit": escape_text("h"),
        "cells": _encode_cells(cells),
        "values": _rounded(hours),
        "cls": codes.astype(int).tolist(),
        "colors": _BLUES[-n_classes:],
        "noDataColor": _NO_DATA,
        "opacity": 0.6,
        "observed": [1] * len(frame),
    }
    return payload, edges.tolist()


def _iso(series: pd.Series, fmt: str = "%Y-%m-%d %H:%M UTC") -> list[str]:
    t = pd.to_datetime(series, utc=True)
    return _escape_many(t.dt.strftime(fmt).where(t.notna(), None))


def _kinds(values: pd.Series) -> tuple[list[int], list[str], list[str]]:
    cat = pd.Categorical(values.fillna("unknown").astype(str))
    names = list(cat.categories)
    colours = [_CATEGORICAL[i % len(_CATEGORICAL)] for i in range(len(names))]
    return np.asarray(cat.codes).tolist(), _escape_many(names), colours


def _seizure_payload(seizures: pd.DataFrame, options) -> dict:
    S.require_columns(seizures, [S.TIME, S.LON, S.LAT], "seizures")
    pts = seizures.dropna(subset=[S.LON, S.LAT])
    if len(pts) > options.max_seizure_points:
        log.info("showing the %d most recent of %d seizures", options.max_seizure_points, len(pts))
        pts = pts.sort_values(S.TIME, ascending=False).head(options.max_seizure_points)
    n = len(pts)
    col = lambda name: pts[name] if name in pts.columns else pd.Series([None] * n, index=pts.index)  # noqa: E731
    kind, kinds, colours = _kinds(col(S.COMMODITY))
    return {
        "key": "seizures",
        "cluster": True,
        "lat": np.round(pts[S.LAT].to_numpy(dtype="float64"), 5).tolist(),
        "lon": np.round(pts[S.LON].to_numpy(dtype="float64"), 5).tolist(),
        "kind": kind,
        "kinds": kinds,
        "colors": colours,
        "date": _iso(pts[S.TIME], "%Y-%m-%d"),
        "quantity": np.round(
            pd.to_numeric(col(S.QUANTITY), errors="coerce").to_numpy(dtype="float64"), 3
        ).tolist(),
        "agency": _escape_many(col(S.AGENCY)),
        "note": _escape_many(col(S.NOTE)),
    }


def _event_payload(events: pd.DataFrame, options) -> dict:
    S.require_columns(events, [EVENT_TYPE, S.LON, S.LAT], "events")
    ev = events.dropna(subset=[S.LON, S.LAT])
    if len(ev) > options.max_event_points and "start_time" in ev.columns:
        ev = ev.sort_values("start_time", ascending=False).head(options.max_event_points)
    n = len(ev)
    col = lambda name: ev[name] if name in ev.columns else pd.Series([None] * n, index=ev.index)  # noqa: E731
    kind, kinds, colours = _kinds(ev[EVENT_TYPE])
    return {
        "key": "events",
        "cluster": False,
        "lat": np.round(ev[S.LAT].to_numpy(dtype="float64"), 5).tolist(),
        "lon": np.round(ev[S.LON].to_numpy(dtype="float64"), 5).tolist(),
        "kind": kind,
        "kinds": kinds,
        "colors": colours,
        "vessel": _escape_many(col(S.VESSEL_ID)),
        "other": _escape_many(col("other_vessel_id")),
        "start": _iso(col("start_time")),
        "end": _iso(col("end_time")),
        "hours": np.round(
            pd.to_numeric(col("duration_hours"), errors="coerce").to_numpy(dtype="float64"), 2
        ).tolist(),
    }


def _basemap_payload(basemap: gpd.GeoDataFrame | None) -> dict:
    if basemap is None:
        topology = json.loads((ASSETS / "world-atlas" / "countries-110m.json").read_text("utf-8"))
        return {"topology": topology}
    gs = basemap.geometry
    if gs.crs is not None and not gs.crs.equals("EPSG:4326"):
        gs = gs.to_crs("EPSG:4326")
    gs = gs[gs.notna() & ~gs.is_empty].set_precision(0.001)
    geojson = json.loads(gpd.GeoDataFrame(geometry=gs.reset_index(drop=True)).to_json(drop_id=True))
    for feat in geojson["features"]:
        feat["properties"] = {}
    return {"geojson": geojson}


def _mercator_rows(array: np.ndarray, lat_min: float, lat_max: float) -> np.ndarray:
    """Resample rows (north first, equal latitude steps) to equal Web-Mercator steps."""
    h = array.shape[0]
    lim = 85.0511287798

    def merc(lat):
        return np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -lim, lim)) / 2))

    y = np.linspace(merc(lat_max), merc(lat_min), h, endpoint=False) + (
        merc(lat_min) - merc(lat_max)
    ) / (2 * h)
    lat = np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)
    src = np.clip(((lat_max - lat) / (lat_max - lat_min) * h).astype(int), 0, h - 1)
    return array[src]


def _raster_rgba(raster: RasterOverlay) -> tuple[np.ndarray, float, float]:
    import matplotlib

    a = np.asarray(raster.array, dtype="float64")
    if a.ndim != 2:
        raise InputError(f"raster {raster.name!r} must be 2-D, got shape {a.shape!r}")
    lon0, lat0, lon1, lat1 = (float(v) for v in raster.bounds)
    if not (-90 <= lat0 < lat1 <= 90) or lon0 >= lon1:
        raise InputError(
            f"raster {raster.name!r} bounds must be (lon_min, lat_min, lon_max, lat_max) with "
            f"min < max, got {raster.bounds!r}"
        )
    finite = np.isfinite(a)
    vmin, vmax = (
        (float(np.min(a[finite])), float(np.max(a[finite]))) if finite.any() else (0.0, 1.0)
    )
    norm = (a - vmin) / (vmax - vmin) if vmax > vmin else np.zeros_like(a)
    rgba = matplotlib.colormaps[raster.colormap](np.nan_to_num(norm))
    rgba[..., 3] = np.where(finite, 1.0, 0.0)
    rgba = _mercator_rows((rgba * 255).round().astype("uint8"), lat0, lat1)
    return rgba, vmin, vmax


def _legend_markup(data: MapData, colours: list[str], transit_edges, rasters) -> str:
    breaks = data.class_breaks
    rows = "".join(
        f'<div><i style="background:{colours[k]}"></i>{escape_text(label)} '
        f"({_num(breaks[k])}–{_num(breaks[k + 1])})</div>"
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
        colours_t = _BLUES[-(len(e) - 1) :]
        rows_t = "".join(
            f'<div><i style="background:{colours_t[k]}"></i>{_num(e[k])}–{_num(e[k + 1])} h</div>'
            for k in range(len(e) - 1)
        )
        blocks.append(
            '<div class="rr-legend-block"><div class="rr-legend-title">Transit '
            f"(vessel-hours, quantile classes)</div>{rows_t}</div>"
        )
    for raster, vmin, vmax in rasters:
        blocks.append(
            f'<div class="rr-legend-block"><div class="rr-legend-title">{escape_text(raster.name)}'
            f"</div>{_num(vmin)} – {_num(vmax)} {escape_text(raster.units)} "
            f"({escape_text(raster.colormap)} colour scale)</div>"
        )
    return f'<div class="rr-legend" id="rr-legend">{"".join(blocks)}</div>'


def _num(v: float) -> str:
    return f"{v:.4g}"


def _fit_bounds(cells: np.ndarray) -> list[list[float]]:
    """Bounds of the cells' extents (centres padded by one cell size), antimeridian-aware."""
    lat, lon = cells_to_latlng(cells)
    if lat.size == 0:
        return [[-60.0, -170.0], [75.0, 170.0]]
    pad_lat = float(np.sqrt(np.max(cell_area_km2(cells[:: max(1, cells.size // 1000)])))) / 111.0
    lon0, lon1 = float(lon.min()), float(lon.max())
    if lon1 - lon0 > 180:
        shifted = np.where(lon < 0, lon + 360, lon)
        if shifted.max() - shifted.min() < lon1 - lon0:
            lon0, lon1 = float(shifted.min()), float(shifted.max())
    lat0, lat1 = float(lat.min()) - pad_lat, float(lat.max()) + pad_lat
    pad_lon = pad_lat / max(np.cos(np.radians(min(max(abs(lat0), abs(lat1)), 85.0))), 0.05)
    return [[max(lat0, -85.0), lon0 - pad_lon], [min(lat1, 85.0), lon1 + pad_lon]]


def build_map(
    data: MapData,
    *,
    as_of: str,
    run_id: str,
    inputs: Sequence[str],
    options: RenderOptions = RenderOptions(),  # noqa: B008 - frozen, immutable default
) -> folium.Map:
    """Build the analyst's map as a folium Map.

    Parameters
    ----------
    data : MapData
        Scores and optional layers.
    as_of : str
        The as-of date of the run, shown in the title.
    run_id : str
        Identifier of the run, shown in the footer.
    inputs : sequence of str
        The input files (names or paths), listed in the footer.
    options : RenderOptions
        Title, tiles and layer options.

    Returns
    -------
    folium.Map
        Render it with :func:`map_to_html` (which adds the Content-Security-Policy).

    Raises
    ------
    InputError
        If a required column is missing, a class label is unknown, breaks and labels
        disagree or a cell is duplicated.
    """
    _validate_classes(data)
    S.require_columns(data.scores, [S.RISK, S.RISK_CLASS], "scores")
    scores, cells = _sorted_cells(data.scores, "scores")
    risk = _risk_payload(data, scores, cells, options)

    m = _OfflineMap(
        location=None,
        tiles=None,
        prefer_canvas=True,
        world_copy_jump=True,
        control_scale=True,
        # Leaflet map options; folium's min_zoom/max_zoom only reach the tile layer.
        minZoom=1,
        maxZoom=18,
    )
    # Not folium's fit_bounds: the first view must not be a zoom animation (a screenshot or a
    # reader would see a blurred, half-scaled frame), hence animate: false.
    _Script(f"{m.get_name()}.fitBounds({_js(_fit_bounds(cells))}, {{animate: false}});").add_to(m)
    if options.tiles:
        folium.TileLayer(options.tiles, name=escape_text(options.tiles), overlay=False).add_to(m)
    _Basemap(_js(_basemap_payload(data.basemap)), escape_text("Basemap (coast, borders)")).add_to(m)
    hex_layer = _HexLayer(_js(risk), escape_text("Risk (H3 hexagons)"))
    hex_layer.add_to(m)
    transit_edges = None
    if data.transit is not None and len(data.transit):
        payload, transit_edges = _transit_payload(data.transit, options)
        _HexLayer(_js(payload), escape_text("Transit density"), show=options.show_transit).add_to(m)
    if data.seizures is not None and len(data.seizures):
        pts = data.seizures.dropna(subset=[S.LON, S.LAT])
        if len(pts) > options.max_heat_points:
            pts = pts.sort_values(S.TIME, ascending=False).head(options.max_heat_points)
        heat = np.column_stack([pts[S.LAT].to_numpy(float), pts[S.LON].to_numpy(float)])
        _HeatMap(
            np.round(heat, 4).tolist(),
            name=escape_text("Seizures (heat)"),
            show=options.show_heat,
            radius=14,
            blur=12,
        ).add_to(m)
        _PointLayer(
            _js(_seizure_payload(data.seizures, options)),
            "seizureLayer",
            escape_text("Seizures (points)"),
            options.show_seizure_points,
        ).add_to(m)
    if data.events is not None and len(data.events):
        _PointLayer(
            _js(_event_payload(data.events, options)),
            "eventLayer",
            escape_text("Transit events (gaps, loitering, encounters)"),
            options.show_events,
        ).add_to(m)
    raster_legend = []
    for raster in data.rasters:
        rgba, vmin, vmax = _raster_rgba(raster)
        lon0, lat0, lon1, lat1 = raster.bounds
        folium.raster_layers.ImageOverlay(
            rgba,
            bounds=[[lat0, lon0], [lat1, lon1]],
            name=escape_text(raster.name),
            opacity=raster.opacity,
            show=options.show_rasters,
            pixelated=True,
        ).add_to(m)
        raster_legend.append((raster, vmin, vmax))
    LayerControl(collapsed=False, position="topright").add_to(m)
    if risk["timeline"] is not None:
        _Script(
            f"routeRisk.timeSlider({m.get_name()}, {hex_layer.get_name()}, "
            f"{_js(risk['timeline']['periods'])});"
        ).add_to(m)
    colours = risk["colors"]
    _Html(_legend_markup(data, colours, transit_edges, raster_legend)).add_to(m)
    _Html(
        '<div class="rr-title" id="rr-title"><h1>'
        f"{escape_text(options.title)}</h1>"
        f'<div class="rr-asof">risk as of {escape_text(as_of)}</div></div>'
    ).add_to(m)
    basemap_credit = (
        "Natural Earth 1:110m (public domain) via world-atlas"
        if data.basemap is None
        else "supplied"
    )
    _Html(
        '<div class="rr-footer" id="rr-footer">run <span id="rr-run">'
        f'{escape_text(run_id)}</span> · inputs: <span id="rr-inputs">'
        f"{'; '.join(escape_text(i) for i in inputs)}</span> · basemap: {basemap_credit} · "
        f"{'offline page' if not options.tiles else 'online tiles enabled'}</div>"
    ).add_to(m)
    _Script(
        f"routeRisk.map = {m.get_name()}; routeRisk.enableHover({m.get_name()}); "
        "routeRisk.ready = true;"
    ).add_to(m)
    m._route_risk_img_origins = _tile_origins(options.tiles)  # type: ignore[attr-defined]
    return m


def _tile_origins(tiles: str | None) -> tuple[str, ...]:
    if not tiles:
        return ()
    layer = folium.TileLayer(tiles)
    url = layer.tiles
    match = re.match(r"^(https?://)([^/]+)", url)
    if not match:
        raise InputError(f"cannot find the origin of tiles {tiles!r} (url {url!r})")
    host = re.sub(r"\{s\}", "*", match.group(2))
    host = re.sub(r"\{[^}]*\}", "*", host)
    return (match.group(1) + host,)


def map_to_html(m: folium.Map) -> str:
    """Render a map from :func:`build_map` to one self-contained HTML page.

    Parameters
    ----------
    m : folium.Map
        The map.

    Returns
    -------
    str
        The page, with every asset inline and a Content-Security-Policy that allows only its
        own scripts (and the tile origin when online tiles are enabled).
    """
    html = m.get_root().render()
    return apply_csp(html, img_origins=getattr(m, "_route_risk_img_origins", ()))


def write_map(
    data: MapData,
    path,
    *,
    as_of: str,
    run_id: str,
    inputs: Sequence[str],
    options: RenderOptions = RenderOptions(),  # noqa: B008
) -> Path:
    """Build the map and write it atomically to ``path``; return the path.

    See :func:`build_map` for the parameters.
    """
    html = map_to_html(build_map(data, as_of=as_of, run_id=run_id, inputs=inputs, options=options))
    return atomic_write_text(path, html)


def _topology_land(topology: dict) -> gpd.GeoSeries:
    """Decode the ``land`` object of a quantised TopoJSON (for the PNG preview)."""
    import shapely

    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = [
        np.cumsum(np.asarray(a, dtype="float64"), axis=0) * [sx, sy] + [tx, ty]
        for a in topology["arcs"]
    ]

    def ring(indices):
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])

    polys = []
    for geom in topology["objects"]["land"]["geometries"]:
        groups = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for rings in groups:
            rr = [ring(r) for r in rings]
            polys.append(shapely.Polygon(rr[0], rr[1:]))
    return gpd.GeoSeries(polys, crs="EPSG:4326")


def write_preview_png(data: MapData, path, *, title: str, dpi: int = 100) -> Path:
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

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from .grid import cells_to_geodataframe

    _validate_classes(data)
    scores, cells = _sorted_cells(data.scores, "scores")
    payload_codes = _risk_payload(
        MapData(scores, [], data.class_breaks, data.class_labels), scores, cells, RenderOptions()
    )["cls"]
    colours = np.array(_class_colours(len(data.class_labels), RenderOptions()) + [_NO_DATA])
    gdf = cells_to_geodataframe(cells)
    face = colours[np.asarray(payload_codes)]  # -1 picks the trailing no-data colour
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=dpi)
    try:
        ax.set_facecolor("#cfe3ef")
        if data.basemap is not None:
            land = data.basemap.to_crs("EPSG:4326").geometry
        else:
            topology = json.loads(
                (ASSETS / "world-atlas" / "countries-110m.json").read_text("utf-8")
            )
            land = _topology_land(topology)
        land.plot(ax=ax, color="#eceff1", edgecolor="#8d99a6", linewidth=0.5)
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
                    f"{lab} ({_num(data.class_breaks[k])}–{_num(data.class_breaks[k + 1])})"
                ),
            )
            for k, lab in enumerate(data.class_labels)
        ] + [Patch(facecolor=_NO_DATA, edgecolor="#444", label="no data")]
        ax.legend(handles=handles, loc="lower right", fontsize=8, title="risk class")
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
