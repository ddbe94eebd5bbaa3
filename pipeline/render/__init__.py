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

*What the run knows.*  With a fitted model (``score.model: fitted``) the explain card shows the
expected events of the next horizon, P(at least one), the relative risk against the average
cell and the largest multiplicative shares, beside the weighted view's points; with hot
spots it shows Gi* z, the FDR-corrected p, the class, the emerging category and the trend.
Two layers draw the hot/cold outlines by confidence (on) and the emerging categories (off);
the collapsible legend shows the blocks of the layers that are on.  A side panel, beside the
map and never over it, shows the rolling back-test (hit rate at 1/5/10 % of the area, mean
± sd per method, wins per origin), the model report and the hot-spot counts.  Missing values
are shown as missing, never as 0.

*Byte-stable.*  Elements are numbered in tree order instead of branca's random ids, so the
same inputs give the same page, byte for byte.

*Countable.*  The page sets ``window.routeRisk``: ``hexCount`` (risk cells drawn in the last
frame), ``hexTotal`` (risk cells decoded), ``layers`` (by key: ``risk``, ``transit``,
``significance``, ``emerging``, ``raster-<k>``, ``seizures``, ``events``, ``basemap``),
``panelOpen``, ``ready`` (true once every layer is on the map) and ``map``.

Layout
------
The names below are the whole API; the modules behind them are private: ``_model`` (the data
classes), ``_escaping`` (:func:`escape_text` and the script-safe JSON encoder), ``_payload``
(the column arrays each layer sends to the browser), ``_legend`` (colour scales, legend),
``_slider`` (the month slider), ``_panels`` (the side panel), ``_layers`` (folium elements),
``_assets`` (inlined vendored files, the Content-Security-Policy), ``_map`` (page assembly)
and ``_preview`` (the PNG).
"""

from __future__ import annotations

from ._escaping import escape_text
from ._layers import raster_to_overlay
from ._map import build_map, map_to_html, tiles_origin, write_map
from ._model import FactorInfo, MapData, RasterOverlay, RenderOptions
from ._preview import write_preview_png

__all__ = [
    "FactorInfo",
    "MapData",
    "RasterOverlay",
    "RenderOptions",
    "build_map",
    "escape_text",
    "map_to_html",
    "raster_to_overlay",
    "tiles_origin",
    "write_map",
    "write_preview_png",
]
