"""Assembly of the page: :func:`build_map`, :func:`map_to_html`, :func:`write_map`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import folium
import numpy as np
from branca.element import Figure
from folium.map import LayerControl

from .. import schema as S
from ..errors import InputError
from ..io import atomic_write_text
from ._assets import is_csp_origin, render_page
from ._escaping import escape_text, to_js
from ._layers import (
    BasemapLayer,
    ContextLayer,
    HeatMapLayer,
    HexLayer,
    HtmlBlock,
    MapScript,
    OfflineMap,
    PointLayer,
    raster_in_view,
    raster_rgba,
)
from ._legend import legend_markup
from ._model import MapData, RenderOptions
from ._panels import panel_label, panel_markup
from ._payload import (
    basemap_js,
    emerging_payload,
    event_payload,
    lanes_payload,
    map_classes,
    mercator_note,
    ports_payload,
    risk_payload,
    seizure_payload,
    significance_payload,
    sorted_cells,
    transit_payload,
    validate_classes,
    view_bounds,
    wrap_lon,
)
from ._slider import slider_script


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
    validate_classes(data)
    data = map_classes(data, options.classes)
    S.require_columns(data.scores, [S.RISK, S.RISK_CLASS], "scores")
    scores, cells = sorted_cells(data.scores, "scores")
    risk = risk_payload(data, scores, cells, options)

    m = OfflineMap(
        location=None,
        tiles=None,
        prefer_canvas=True,
        world_copy_jump=True,
        control_scale=True,
        # Leaflet map options; folium's min_zoom/max_zoom only reach the tile layer.
        minZoom=1,
        maxZoom=18,
    )
    # the page's <title> (a browser tab, a bookmark, a screen reader): escaped when written
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = f"{options.title} - risk as of {as_of}"
    # Not folium's fit_bounds: the first view must not be a zoom animation (a screenshot or a
    # reader would see a blurred, half-scaled frame), hence animate: false.
    view = view_bounds(cells)
    centre = 0.5 * (view[0][1] + view[1][1])
    # Padded so that the area opens clear of the controls: "Colour, filter, find" on the
    # left, the layer control and the legend on the right, the title on top.
    MapScript(
        m,
        f".fitBounds({to_js(view)}, {{animate: false, paddingTopLeft: [250, 70], "
        "paddingBottomRight: [290, 30]});",
    ).add_to(m)
    tiles, origins = _tile_layer(options.tiles, options.tiles_attribution)
    if tiles is not None:
        tiles.add_to(m)
    BasemapLayer(
        basemap_js(data.basemap, options.basemap),
        escape_text("Basemap (coast, borders)"),
    ).add_to(m)
    if data.lanes is not None and len(data.lanes):
        ContextLayer(
            to_js(lanes_payload(data.lanes)),
            escape_text(options.lanes_label),
            options.show_context,
        ).add_to(m)
    if data.ports is not None and len(data.ports):
        ContextLayer(
            to_js(ports_payload(data.ports, centre)),
            escape_text(options.ports_label),
            options.show_context,
        ).add_to(m)
    hex_layer = HexLayer(to_js(risk), escape_text("Risk (H3 hexagons)"))
    hex_layer.add_to(m)
    transit_edges = None
    if data.transit is not None and len(data.transit):
        payload, transit_edges = transit_payload(data.transit, options)
        HexLayer(to_js(payload), escape_text("Transit density"), show=options.show_transit).add_to(
            m
        )
    emerging, categories = emerging_payload(scores, cells)
    emerging_legend = None
    if emerging is not None and categories is not None:
        HexLayer(
            to_js(emerging),
            escape_text("Emerging hot-spot trends"),
            show=options.show_emerging,
        ).add_to(m)
        n_per = np.bincount(np.asarray(emerging["cls"], dtype="int64"), minlength=len(categories))
        emerging_legend = [
            (name, emerging["colors"][k], int(n_per[k])) for k, name in enumerate(categories)
        ]
    significance = significance_payload(scores, cells)
    if significance is not None:
        HexLayer(
            to_js(significance),
            escape_text("Hot and cold spots (Gi*, by confidence)"),
            show=options.show_significance,
        ).add_to(m)
    if data.seizures is not None and len(data.seizures):
        pts = data.seizures.dropna(subset=[S.LON, S.LAT])
        if len(pts) > options.max_heat_points:
            pts = pts.sort_values(S.TIME, ascending=False).head(options.max_heat_points)
        heat = np.column_stack([pts[S.LAT].to_numpy(float), wrap_lon(pts[S.LON], centre)])
        HeatMapLayer(
            np.round(heat, 4),
            name=escape_text("Seizures (heat)"),
            show=options.show_heat,
            radius=14,
            blur=12,
        ).add_to(m)
        PointLayer(
            to_js(seizure_payload(data.seizures, options, centre)),
            "seizureLayer",
            escape_text("Seizures (points)"),
            options.show_seizure_points,
        ).add_to(m)
    if data.events is not None and len(data.events):
        PointLayer(
            to_js(event_payload(data.events, options, centre)),
            "eventLayer",
            escape_text("Transit events (gaps, loitering, encounters)"),
            options.show_events,
        ).add_to(m)
    raster_legend = []
    for k, raster in enumerate(data.rasters):
        raster = raster_in_view(raster, centre)
        rgba, vmin, vmax = raster_rgba(raster)
        lon0, lat0, lon1, lat1 = raster.bounds
        overlay = folium.raster_layers.ImageOverlay(
            png_data_url(rgba),
            bounds=[[lat0, lon0], [lat1, lon1]],
            name=escape_text(raster.name),
            opacity=raster.opacity,
            show=options.show_rasters,
            pixelated=True,
        )
        overlay.add_to(m)
        MapScript(f"routeRisk.layers[{to_js(f'raster-{k}')}] = ", overlay, ";").add_to(m)
        raster_legend.append((raster, vmin, vmax))
    LayerControl(collapsed=False, position="topright").add_to(m)
    if risk["timeline"] is not None:
        periods = risk["timeline"]["periods"]
        MapScript(*slider_script(m, hex_layer, periods)).add_to(m)
    colours = risk["colors"]
    HtmlBlock(
        legend_markup(
            data,
            colours,
            transit_edges,
            raster_legend,
            significance=significance,
            emerging=emerging_legend,
            class_method=data.class_method or options.classes,
            context_labels=(options.ports_label, options.lanes_label),
            n_observed=int(np.sum(np.asarray(risk["observed"]) == 1)),
            class_counts=np.bincount(
                np.asarray(risk["cls"], dtype="int64")[np.asarray(risk["cls"]) >= 0],
                minlength=len(risk["labels"]),
            ).tolist(),
            beyond_note=mercator_note(cells),
        )
    ).add_to(m)
    panel = panel_markup(data)
    if panel is not None:
        HtmlBlock(panel).add_to(m)
    HtmlBlock(
        '<div class="rr-title" id="rr-title"><h1>'
        f"{escape_text(options.title)}</h1>"
        f'<div class="rr-asof">risk as of {escape_text(as_of)}</div></div>'
    ).add_to(m)
    basemap_credit = (
        f"Natural Earth 1:{options.basemap} (public domain) via world-atlas"
        if data.basemap is None
        else "supplied"
    )
    HtmlBlock(
        '<div class="rr-footer" id="rr-footer">run <span id="rr-run">'
        f'{escape_text(run_id)}</span> · inputs: <span id="rr-inputs">'
        f"{'; '.join(escape_text(i) for i in inputs)}</span> · basemap: {basemap_credit} · "
        f"{'offline page' if not options.tiles else 'online tiles enabled'}</div>"
    ).add_to(m)
    panel_js = (
        (
            "routeRisk.panelToggle(",
            m,
            f", {to_js(bool(options.show_panel))}, {to_js(escape_text(panel_label(data)))}); ",
        )
        if panel is not None
        else ()
    )
    MapScript(
        "routeRisk.map = ",
        m,
        "; routeRisk.enableHover(",
        m,
        "); routeRisk.legendSync(",
        m,
        "); routeRisk.controls(",
        m,
        ", ",
        hex_layer,
        "); ",
        *panel_js,
        "routeRisk.ready = true;",
    ).add_to(m)
    m._route_risk_img_origins = origins  # type: ignore[attr-defined]
    return m


def tiles_origin(tiles: str) -> str:
    """Return the image origin the page's CSP must allow for online ``tiles``, or raise.

    For ``validate``: the same check :func:`build_map` makes, without building a map.

    Parameters
    ----------
    tiles : str
        A folium/xyzservices tiles name (``"OpenStreetMap"``, ``"Esri.WorldImagery"``) or an
        ``http(s)://`` URL template with ``{z}``, ``{x}``, ``{y}``.

    Returns
    -------
    str
        The CSP source, e.g. ``"https://tile.openstreetmap.org"``.

    Raises
    ------
    InputError
        If the name is unknown or the URL is not an http(s) template with a host.

    Examples
    --------
    >>> tiles_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    'https://*.tiles.example.org'
    """
    if not isinstance(tiles, str) or not tiles:
        raise InputError(f"tiles must be a tiles name or an http(s) URL template, got {tiles!r}")
    return _tile_layer(tiles)[1][0]


def _tile_layer(
    tiles: str | None, attribution: str | None = None
) -> tuple[folium.TileLayer | None, tuple[str, ...]]:
    """Return the online tile layer and the image origin the CSP must allow (none offline).

    ``tiles`` is a folium/xyzservices name (``"OpenStreetMap"``, ``"Esri.WorldImagery"``) or
    an ``http(s)://`` URL template with ``{z}``, ``{x}``, ``{y}`` (attributed to its host).
    """
    if not tiles:
        return None, ()
    url_given = "://" in tiles
    host = re.match(r"^https?://([^/?#]+)", tiles) if url_given else None
    if url_given and host is None:
        raise InputError(
            f"tiles URL must start with http:// or https:// and a host name, got {tiles!r}"
        )
    # Leaflet shows the attribution as HTML: a given one is text, escaped for a name too; a
    # name without one keeps its provider's credit (xyzservices' markup, with its link)
    if attribution:
        attr: str | None = escape_text(attribution)
    else:
        attr = escape_text(f"tiles: {host.group(1)}") if host else None
    try:
        layer = folium.TileLayer(tiles, name=escape_text(tiles), overlay=False, attr=attr)
    except ValueError:
        raise InputError(
            f"tiles must be a folium tiles name (e.g. 'OpenStreetMap', 'Esri.WorldImagery') or "
            f"an http(s) URL template with {{z}}/{{x}}/{{y}}, got {tiles!r}"
        ) from None
    url = str(layer.tiles)
    match = re.match(r"^(https?://)([^/?#]+)", url)
    origin = ""
    if match:
        # CSP allows a wildcard only as the leftmost label: a {s} (or {r}, ...) inside the
        # host widens the origin to every subdomain right of it.
        labels = match.group(2).split(".")
        templated = [i for i, label in enumerate(labels) if "{" in label]
        rest = labels[templated[-1] + 1 :] if templated else labels
        origin = match.group(1) + ("*." if templated else "") + ".".join(rest)
    if not is_csp_origin(origin):
        raise InputError(f"cannot find the http(s) origin of tiles {tiles!r} (url {url!r})")
    return layer, (origin,)


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
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise InputError(f"map_to_html needs a map from build_map, got {type(m).__name__}")
    _number_elements(figure)
    return render_page(figure, img_origins=getattr(m, "_route_risk_img_origins", ()))


def _number_elements(root) -> None:
    """Give every element of the page a sequential id instead of branca's random one.

    branca names each element ``<kind>_<32 random hex digits>``; numbered in tree order, the
    same inputs give the same page, byte for byte (a nightly run whose inputs did not change
    publishes an identical map, and its hash in the manifest says so).
    """
    stack, k = [root], 0
    while stack:
        element = stack.pop()
        element._id = format(k, "x")
        k += 1
        stack.extend(reversed(list(element._children.values())))


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


#: zlib level of the overlays' PNG: level 9 (folium's encoder, branca ``write_png``) spent
#: 1.3 s on the demo's night-lights overlay for a file 15 % smaller than level 6 in 0.1 s
#: (``make bench``: bench/bench_overlay.py).
PNG_LEVEL = 6


def png_data_url(rgba: np.ndarray) -> str:
    """Return an RGBA image (rows north to south) as a PNG ``data:`` URL for the map.

    The PNG folium writes (8-bit RGBA, no row filter, one zlib stream) at zlib level
    :data:`PNG_LEVEL` instead of 9; the bytes depend only on the pixels.  Pixels are uint8, or
    floats in [0, 1] (one that is no number is 0); an empty image or other types are refused.
    """
    import base64
    import struct
    import zlib

    a = np.asarray(rgba)
    if a.ndim != 3 or a.shape[2] != 4 or 0 in a.shape:
        # a PNG has at least one row and one column: an empty one is no image a browser shows
        raise InputError(f"an overlay must be rows x columns x RGBA, got shape {a.shape!r}")
    if a.dtype.kind == "f":  # floats in [0, 1]; a value that is no number is 0 (transparent)
        a = np.round(np.clip(np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=0.0), 0, 1) * 255.0)
        a = a.astype(np.uint8)
    elif a.dtype != np.uint8:  # 0-255 integers or [0, 1] floats: a guess would draw others
        raise InputError(f"an overlay's pixels must be uint8 or floats in [0, 1], got {a.dtype}")
    h, w = a.shape[:2]
    rows = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # a 0 (no filter) before each row
    rows[:, 1:] = a.reshape(h, 4 * w)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    png = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">2I5B", w, h, 8, 6, 0, 0, 0)),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_LEVEL)),
            chunk(b"IEND", b""),
        ]
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
