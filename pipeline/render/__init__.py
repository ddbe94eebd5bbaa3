"""The analyst's map: an offline, XSS-safe Folium page of H3 risk hexagons, and a PNG preview.

Design (issue #6)
-----------------
*Offline.*  Every script and stylesheet is inlined from ``pipeline/assets`` (vendored from npm
by ``tools/vendor_assets.py``; versions and sha256 in ``pipeline/assets/README.md``); the page
carries a Content-Security-Policy that allows only its own inline scripts (by sha256) and no
origin at all; the basemap is Natural Earth land and borders drawn as vectors (1:50m by
default, 1:10m or 1:110m by :attr:`RenderOptions.basemap`).  Online tiles are added only when
:attr:`RenderOptions.tiles` names them.

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
expected events of the next horizon, P(at least one), the relative risk against the
geometric-mean cell (the model's reference: every factor at its mean) and the largest
multiplicative shares, beside the weighted view's points; with hot spots it shows Gi* z,
the FDR-corrected p, the class, the emerging category and the trend.  Two layers draw the hot/cold outlines by confidence (on) and the emerging categories (off);
the collapsible legend shows the blocks of the layers that are on.  A side panel, beside the
map and never over it, shows the rolling back-test (hit rate at 1/5/10 % of the area, mean
± sd per method, wins per origin), the model report and the hot-spot counts.  Missing values
are shown as missing, never as 0.

*True across the antimeridian and near the poles (issue 14).*  The view is one continuous
longitude range around the area (past 180° for Fiji); seizure points, the heat layer, events
and ports are moved by whole turns into it, raster overlays are re-ordered and cut to their
data, the basemap's stitched rings and lanes are unwrapped vertex to vertex (a ring round a
pole closed along the map's edge); lanes are drawn in three world copies, the basemap in the
middle copy and in the copies east or west of it once the view reaches them (a third of the
vertices to project when a map framed away from 180° opens), and the PNG preview is framed
the same way.

*Meaning and controls (issue 14).*  Risk classes are quantiles or natural breaks of the run
(:attr:`RenderOptions.classes`; fixed breaks still possible), stated in the legend with their
unit; the card says which factor could not observe a cell, and lists the largest categories
with the rest as "others".  A "Colour, filter, find" control colours by risk, any factor, Gi*
z or the trend, filters by class and threshold, and finds a cell by hex id or "lat, lon";
a click pins the card (it scrolls inside when taller than the map) with a button that copies
the hex id.  Title, controls, legend, slider and footer are laid out so that none covers
another at 1280x800 and larger, and the first view is padded clear of them.

*Byte-stable.*  Elements are numbered in tree order instead of branca's random ids, so the
same inputs give the same page, byte for byte.

*Countable.*  The page sets ``window.routeRisk``: ``hexCount`` (risk cells drawn in the last
frame), ``hexTotal`` (risk cells decoded), ``layers`` (by key: ``risk``, ``transit``,
``significance``, ``emerging``, ``raster-<k>``, ``seizures``, ``events``, ``ports``,
``lanes``, ``basemap``), ``panelOpen``, ``ready`` (true once every layer is on the map),
``map``, and the actions ``colourBy(key)``, ``filter(offClasses, min)``, ``search(text)``
(``"found"``, ``"not found"`` or ``"invalid"``) with ``pinned`` and ``copied``.

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
from ._layers import raster_to_overlay, raster_units
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
    "raster_units",
    "tiles_origin",
    "write_map",
    "write_preview_png",
]
