"""The folium elements of the page: offline map, payload layers, HTML blocks, raster images."""

from __future__ import annotations

from dataclasses import replace

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.plugins import HeatMap
from jinja2 import Template

from ..errors import InputError
from ._assets import CspMeta, InlineAssetsMixin
from ._model import RasterOverlay


class OfflineMap(InlineAssetsMixin, folium.Map):
    """A folium Map whose Leaflet is inlined and whose header carries the CSP ``<meta>``."""

    inline_css = [("leaflet_css", "leaflet/leaflet.css"), ("route_risk_css", "route_risk.css")]
    inline_js = [("leaflet", "leaflet/leaflet.js")]

    def render(self, **kwargs):
        """Put the CSP first in the header, then the inline assets, then folium's own."""
        figure = self.get_root()
        if "csp" not in figure.header._children:
            figure.header.add_child(CspMeta(), name="csp")
        super().render(**kwargs)


class _Verbatim(Element):
    """Rendered text placed in the page as it is.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which
    compiles the text as a Jinja template: the lexer then scans the whole payload (a second
    for 10 MB).  This gives the bytes Jinja gives for text without Jinja syntax (line
    endings as LF, one trailing newline dropped) without compiling it; payload text
    never holds Jinja syntax (:func:`~pipeline.render._escaping.escape_text`).
    """

    def __init__(self, text: str):
        super().__init__()
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._text = text[:-1] if text.endswith("\n") else text

    def render(self, **kwargs) -> str:
        """Return the text."""
        return self._text


class VerbatimMacroElement(MacroElement):
    """A ``MacroElement`` whose rendered macros go into the page as :class:`_Verbatim`.

    Put it after folium's classes among the bases (``class X(Layer, VerbatimMacroElement)``):
    their ``render`` (adding the layer to the map, the includes) still runs, then this one
    replaces branca's.
    """

    def render(self, **kwargs):
        """Add the rendered macros to the figure's parts, then render the children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} must be inside a branca Figure to render")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(
                    _Verbatim(macro(self, kwargs)), name=self.get_name()
                )
        for element in self._children.values():
            element.render(**kwargs)


class PayloadLayer(InlineAssetsMixin, Layer, VerbatimMacroElement):
    """An overlay that route_risk.js draws from one JavaScript literal, ``payload``."""

    #: folium's element name, the prefix of the layer's JavaScript variable.
    _js_name = "RouteRiskLayer"

    def __init__(self, payload: str, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = self._js_name
        self.payload = payload


class HexLayer(PayloadLayer):
    """A canvas layer of H3 hexagons decoded in the browser (see route_risk.js)."""

    inline_js = [("h3-js", "h3-js/h3-js.umd.js"), ("route_risk", "route_risk.js")]
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.routeRiskHexLayer({{ this.payload }});"
        "{% endmacro %}"
    )
    _js_name = "RouteRiskHexLayer"


class BasemapLayer(PayloadLayer):
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


class PointLayer(PayloadLayer):
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


class ContextLayer(PayloadLayer):
    """Context drawn under the data: ports (squares) or shipping lanes (dashed lines)."""

    inline_js = [("route_risk", "route_risk.js")]
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = routeRisk.contextLayer({{ this.payload }});"
        "{% endmacro %}"
    )
    _js_name = "RouteRiskContext"


class HeatMapLayer(InlineAssetsMixin, HeatMap):
    """folium's HeatMap with leaflet-heat inlined instead of loaded from a CDN.

    ``data`` is an array of (lat, lon) rows.  folium checks each point in Python (0.09 s
    for 6,000 seizures, a tenth of the page); here the array is checked at once, with the
    message folium gives, and the page holds the same numbers.
    """

    inline_js = [("leaflet_heat", "leaflet-heat/leaflet-heat.js")]

    def __init__(self, data, **kwargs):
        super().__init__([], **kwargs)
        rows = np.asarray(data, dtype="float64")
        rows = rows.reshape(0, 2) if rows.size == 0 else rows
        if rows.ndim != 2 or rows.shape[1] != 2:
            raise InputError(f"heat map rows must be (lat, lon) pairs, got shape {rows.shape!r}")
        if np.isnan(rows).any():
            raise ValueError("Location values cannot contain NaNs.")
        self.data = rows.tolist()


class HtmlBlock(VerbatimMacroElement):
    """A fixed block of HTML in the page body (title, footer, legend); text pre-escaped."""

    _template = Template("{% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}")

    def __init__(self, markup: str):
        super().__init__()
        self._name = "RouteRiskHtml"
        self.markup = markup


class MapScript(VerbatimMacroElement):
    """A snippet of the map script that calls the route-risk runtime (no data text).

    ``parts`` are code strings and elements; an element stands for its JavaScript name, read
    when the page is rendered (after :func:`map_to_html` has numbered the elements).
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, *parts: str | Element):
        super().__init__()
        self._name = "RouteRiskScript"
        self.parts = parts

    @property
    def code(self) -> str:
        """The snippet, with each element replaced by its name."""
        return "".join(p if isinstance(p, str) else p.get_name() for p in self.parts)


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


def raster_in_view(raster: RasterOverlay, centre: float) -> RasterOverlay:
    """Return the raster with its columns in the view's longitude range, empty margins cut.

    Each column's centre longitude is moved by whole turns into ``[centre - 180, centre +
    180)`` and the columns are put in that order, so a raster given on 0..360° or on
    -180..180° with data on both sides of the antimeridian is drawn as one image beside the
    area instead of spanning the world.  Rows and columns without any finite value around
    the data are dropped.  Columns are assumed equally spaced (EPSG:4326 rasters).
    """
    a = np.asarray(raster.array, dtype="float64")
    if a.ndim != 2 or a.size == 0:
        return raster
    lon0, lat0, lon1, lat1 = (float(v) for v in raster.bounds)
    if not (lon0 < lon1 and lat0 < lat1):
        return raster  # raster_rgba says what is wrong
    h, w = a.shape
    step_x, step_y = (lon1 - lon0) / w, (lat1 - lat0) / h
    centres = lon0 + (np.arange(w) + 0.5) * step_x
    if lon1 - lon0 >= 360.0 - 1.5 * abs(step_x):  # global: the columns wrap around
        # a raster a column short of the circle (-180..170 in 10° steps) gets its missing
        # column back, empty: once wrapped, the columns are drawn evenly over the bounds, and
        # those past the gap were drawn a column west of where they belong
        full = int(round(360.0 / step_x))
        if full > w:
            a = np.concatenate([a, np.full((h, full - w), np.nan)], axis=1)
            centres = lon0 + (np.arange(full) + 0.5) * step_x
        wrapped = np.mod(centres - centre + 180.0, 360.0) - 180.0 + centre
        order = np.argsort(wrapped, kind="stable")
        a, centres = a[:, order], wrapped[order]
    else:  # one block: shift it whole, keeping it contiguous
        mid = 0.5 * (lon0 + lon1)
        shift = (np.mod(mid - centre + 180.0, 360.0) - 180.0 + centre) - mid
        centres = centres + shift
    finite = np.isfinite(a)
    cols, rows = np.flatnonzero(finite.any(axis=0)), np.flatnonzero(finite.any(axis=1))
    if cols.size == 0:
        return raster
    c0, c1, r0, r1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    bounds = (
        float(centres[c0] - 0.5 * step_x),
        float(lat1 - r1 * step_y),
        float(centres[c1 - 1] + 0.5 * step_x),
        float(lat1 - r0 * step_y),
    )
    return replace(raster, array=a[r0:r1, c0:c1], bounds=bounds)


def raster_rgba(raster: RasterOverlay) -> tuple[np.ndarray, float, float]:
    """Return the raster's RGBA image (Web-Mercator rows) and the range its colours span.

    A pixel without a finite value is transparent; a raster without any has no range
    (``nan``, ``nan``) and is drawn transparent.
    """
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
    # no value at all: no range either (the legend read "0 – 1" of an empty raster)
    vmin, vmax = (
        (float(np.min(a[finite])), float(np.max(a[finite])))
        if finite.any()
        else (float("nan"), float("nan"))
    )
    norm = (a - vmin) / (vmax - vmin) if vmax > vmin else np.zeros_like(a)
    rgba = matplotlib.colormaps[raster.colormap](np.where(finite, norm, 0.0))
    rgba[..., 3] = np.where(finite, 1.0, 0.0)
    rgba = _mercator_rows((rgba * 255).round().astype("uint8"), lat0, lat1)
    return rgba, vmin, vmax


def _lonlat_grid(data, max_px: int) -> tuple[tuple[float, float, float, float], int, int]:
    """Return the lon/lat box and the shape a projected raster is drawn on.

    The box is the raster's extent the short way round in longitude (past 180° for one
    across the antimeridian, e.g. 170..190 for the Bering Strait), the whole circle up to
    the pole for one around a pole; its pixels are about the raster's own size (at the
    latitude nearest the equator), at most ``max_px`` a side.
    """
    from pyproj import CRS, Transformer

    crs = CRS.from_wkt(data.rio.crs.to_wkt())
    x0, y0, x1, y1 = (float(v) for v in data.rio.bounds())
    k = 65
    gx, gy = np.meshgrid(np.linspace(x0, x1, k), np.linspace(y0, y1, k))
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(gx, gy)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise ValueError("no pixel of the raster maps to a longitude and latitude")
    lon, lat = lon[ok], lat[ok]
    to_src = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    poles = []
    for pole in (90.0, -90.0):
        px, py = to_src.transform(0.0, pole)
        if np.isfinite(px) and np.isfinite(py) and x0 <= px <= x1 and y0 <= py <= y1:
            poles.append(pole)
    lat0, lat1 = float(lat.min()), float(lat.max())
    if poles:  # the raster is round a pole: every longitude, up to the pole
        lon0, lon1 = -180.0, 180.0
        lat0, lat1 = min([lat0, *poles]), max([lat1, *poles])
    else:  # the short way round: from the end of the widest empty arc
        x = np.sort(np.mod(lon, 360.0))
        gaps = np.diff(np.r_[x, x[0] + 360.0])
        i = int(np.argmax(gaps))
        lon0 = float(x[(i + 1) % x.size])
        lon1 = lon0 + 360.0 - float(gaps[i])
        if lon0 >= 180.0:
            lon0, lon1 = lon0 - 360.0, lon1 - 360.0
    # the raster's pixel side (the square root of its area) in km, then degrees of latitude
    res_x, res_y = (abs(float(r)) for r in data.rio.resolution())
    px_km = float(np.sqrt(res_x * res_y)) * crs.axis_info[0].unit_conversion_factor / 1000.0
    step_lat = max(px_km / 111.32, 1e-9)
    coslat = max(
        float(np.cos(np.radians(min(abs(lat0), abs(lat1))))) if lat0 * lat1 > 0 else 1.0, 0.01
    )
    rows = int(np.clip(np.ceil((lat1 - lat0) / step_lat), 1, max_px))
    cols = int(np.clip(np.ceil((lon1 - lon0) * coslat / step_lat), 1, max_px))
    return (lon0, lat0, lon1, lat1), rows, cols


def _to_lonlat(data, max_px: int):
    """Reproject a projected raster to EPSG:4326 on :func:`_lonlat_grid`'s box and shape.

    GDAL's own choice for a raster across the antimeridian or round a pole is a band round
    the globe at the pixel size of that band's diagonal: a polar-stereographic raster of the
    Bering Strait, 200 pixels a side, came out 8 by 283 pixels of 1.3°, of which 17 columns
    held data.
    """
    from rasterio.transform import from_bounds

    (lon0, lat0, lon1, lat1), rows, cols = _lonlat_grid(data, max_px)
    return data.rio.reproject(
        "EPSG:4326", shape=(rows, cols), transform=from_bounds(lon0, lat0, lon1, lat1, cols, rows)
    )


def raster_units(*arrays) -> str:
    """Return the unit a raster declares: the first text ``units`` attribute of ``arrays``.

    CF and GDAL write the unit as text; a file may hold anything there (a NetCDF attribute
    can be a number array, which ``attrs.get("units") or ...`` could not even test: the run
    failed as an internal error).  Bytes are read as UTF-8; anything not text declares no
    unit ("" : the factor keeps its own).  The text is returned as it is, never escaped.
    """
    for data in arrays:
        attrs = getattr(data, "attrs", None) or {}
        value = attrs.get("units")
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "USO":
            value = value.item()
        if isinstance(value, bytes | np.bytes_):
            value = bytes(value).decode("utf-8", errors="replace")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def raster_to_overlay(name: str, data, max_px: int = 1000) -> RasterOverlay | None:
    """Downsample a raster to at most ``max_px`` pixels a side in EPSG:4326 for display.

    The overlay's units are the raster's ``units`` attribute (CF / GDAL metadata), shown in
    the legend.  Its array is north row first and west column first, whichever way the
    raster's ``y`` and ``x`` coordinates run.  Display only: a raster that cannot be shown is logged and skipped (``None``), never a
    failed run.
    """
    import logging

    try:
        if data.attrs.get("curvilinear"):
            # pixels placed by 2-D lat/lon have no rectangle to draw them in
            logging.getLogger(__name__).info(
                "raster overlay for %s not drawn: a curvilinear grid (read by pixel centres)",
                name,
            )
            return None
        if data.rio.crs is None or not data.rio.crs.is_geographic:
            data = _to_lonlat(data, max_px)
        band = data.isel(band=0) if "band" in data.dims else data
        # drawn north row first, west column first: a NetCDF's latitudes often ascend (south
        # first), and such an overlay was drawn upside down
        for dim, ascending in (("y", False), ("x", True)):
            c = band[dim].to_numpy() if dim in band.coords else np.empty(0)
            if c.size > 1 and bool(c[0] < c[-1]) is not ascending:
                band = band.isel({dim: slice(None, None, -1)})
        step = max(1, int(np.ceil(max(band.shape) / max_px)))
        small = band.isel(y=slice(None, None, step), x=slice(None, None, step))
        arr = np.asarray(small.values, dtype="float64")
        x0, y0, x1, y1 = band.rio.bounds()
        y0, y1 = max(y0, -90.0), min(y1, 90.0)  # a cap to the pole: -90.00000000000001
    except Exception as exc:  # display only: a failed overlay must not fail the run
        logging.getLogger(__name__).warning("raster overlay for %s skipped: %s", name, exc)
        return None
    return RasterOverlay(
        name=name, array=arr, bounds=(x0, y0, x1, y1), units=raster_units(band, data)
    )
