"""The map's remaining render modules against hostile text and hand mutants (review hHV).

A mutation pass over ``_model``, ``_assets``, ``_preview``, ``_slider``, ``_layers``, ``_map``
and ``_escaping`` (the panels, the legend and the payload had theirs:
``test_mutants_render_found.py``, ``test_mutants_panels_found.py``,
``test_mutants_payload_found.py``), and a sweep of hostile texts through every sink of the
page.  Each test kills mutants that survived the render tests or fails without a fix of the
product (see the commit messages); values are read back from the page with ``html.parser``
and ``json`` and recomputed here by hand or with pandas.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import unescape
from html.parser import HTMLParser

import numpy as np
import pytest

from pipeline.render import RenderOptions, build_map, escape_text, map_to_html
from pipeline.testing import sample_map_data

HOSTILE = '<img src=x onerror="window.__xss=1"><a href="javascript:alert(1)">x</a>${y}`'


class _Elements(HTMLParser):
    """The start tags of a fragment of HTML, with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _parsed(fragment: str) -> _Elements:
    p = _Elements()
    p.feed(fragment)
    p.close()
    return p


def _page(data=None, **options) -> str:
    data = sample_map_data(12, n_seizures=5, n_events=5, n_periods=2) if data is None else data
    m = build_map(
        data, as_of="2024-06-30", run_id="run-1", inputs=["a.csv"], options=RenderOptions(**options)
    )
    return map_to_html(m)


def _tile_attribution(page: str) -> str:
    """The attribution of the page's tile layer, as Leaflet receives it (its innerHTML)."""
    found = re.findall(
        r'L\.tileLayer\(\s*"[^"]*",\s*\{[^}]*?"attribution": ("(?:[^"\\]|\\.)*")', page
    )
    assert len(found) == 1
    return json.loads(found[0])


# ------------------------------------------------------------------ _map: online tiles


@pytest.mark.parametrize(
    "tiles",
    ["OpenStreetMap", "https://{s}.tiles.example.org/{z}/{x}/{y}.png"],
    ids=["named", "url"],
)
def test_a_tiles_attribution_of_the_config_is_shown_as_text_never_as_markup(tiles):
    # Leaflet's attribution control sets the text as innerHTML: with a tiles *name* the
    # config's attribution went in raw, so a config or override could put elements and
    # links on the page (an <a href="javascript:..."> beside the tiles' credit)
    attribution = _tile_attribution(_page(tiles=tiles, tiles_attribution=HOSTILE))
    assert attribution == escape_text(HOSTILE)
    shown = _parsed(attribution)
    assert shown.tags == []
    assert "".join(shown.text) == HOSTILE


def test_a_named_tiles_without_an_attribution_keeps_its_providers_credit():
    attribution = _tile_attribution(_page(tiles="OpenStreetMap"))
    links = [dict(a) for tag, a in _parsed(attribution).tags if tag == "a"]
    assert [a["href"] for a in links] == ["https://www.openstreetmap.org/copyright"]
    assert "OpenStreetMap" in unescape(attribution)


# ------------------------------------------------------------------ _preview: text that is not text


def test_a_preview_title_that_is_not_text_shows_the_replacement_character(tmp_path, monkeypatch):
    # write_preview_png(title=...) with a lone surrogate (a file name's undecodable byte) or
    # a NUL: matplotlib's font code refused the surrogate with a TypeError after the map was
    # written (the page shows both as U+FFFD), and warned of a missing glyph for the NUL
    import warnings

    import geopandas as gpd
    import matplotlib.figure as mfig
    import shapely

    from pipeline.render import write_preview_png

    data = sample_map_data(12, n_seizures=0, n_events=0, n_periods=0)
    data.basemap = gpd.GeoDataFrame(geometry=[shapely.box(-30, 5, -20, 15)], crs="EPSG:4326")
    seen: dict = {}
    savefig = mfig.Figure.savefig

    def spy(self, *args, **kwargs):
        ax = self.axes[0]
        seen["title"] = ax.get_title()
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(mfig.Figure, "savefig", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = write_preview_png(data, tmp_path / "p.png", title="a\ud800b\x00c $", dpi=20)
    assert out.read_bytes().startswith(b"\x89PNG")
    assert seen["title"] == "a\ufffdb\ufffdc \\$"


# ------------------------------------------------------------------ _escaping


@pytest.mark.parametrize(
    "char",
    list("&<>\"'`$\\{}\n\r\u2028\u2029"),
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_each_character_special_in_html_or_a_js_literal_becomes_a_reference(char):
    # mutant: U+2029 (a line end in JavaScript before ES2019) left out of the table; the
    # property test draws it too rarely to notice
    out = escape_text(f"a{char}b")
    ref = re.fullmatch(r"a(&(?:#[0-9]+|[a-z]+);)b", out)
    assert ref is not None, out
    assert unescape(ref.group(1)) == char


@pytest.mark.parametrize(
    ("text", "isolated"),
    [
        # the text's own isolate is closed by its PDI: one isolate of ours is enough
        ("\u2067a\u2069\u202eb", "\u2068\u2067a\u2069\u202eb\u2069"),
        ("\u2066\u2067a\u2069\u2069\u202eb", "\u2068\u2066\u2067a\u2069\u2069\u202eb\u2069"),
        # a PDI that closes nothing of the text's gets one more FSI before it
        ("\u2069\u202eb", "\u2068\u2068\u2069\u202eb\u2069"),
        # an isolate the text leaves open is closed at its end, then ours
        ("\u2067\u202eb", "\u2068\u2067\u202eb\u2069\u2069"),
    ],
    ids=["closed", "nested-closed", "stray-pdi", "left-open"],
)
def test_a_texts_bidi_controls_are_wrapped_in_as_few_isolates_as_close_them(text, isolated):
    # mutant: a PDI closing the text's only open isolate counted as a stray one (an extra
    # FSI/PDI pair on each such text)
    assert escape_text(text) == isolated


# ------------------------------------------------------------------ _assets: the policy


def _policy(page: str) -> dict[str, list[str]]:
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert len(metas) == 1
    out: dict[str, list[str]] = {}
    for part in unescape(metas[0]).split(";"):
        name, *sources = part.split()
        assert name not in out
        out[name] = sources
    return out


def _script_hashes(page: str) -> set[str]:
    bodies = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in bodies
    }


@pytest.mark.parametrize("tiles", [None, "OpenStreetMap"], ids=["offline", "tiles"])
def test_the_policy_allows_the_pages_own_scripts_and_nothing_else(tiles):
    # mutants: base-uri or form-action left out (neither falls back to default-src: a
    # <base href> or a form could send the reader elsewhere), object-src left out, or an
    # https: source added to img-src or style-src (a request to any host from an offline map)
    page = _page(tiles=tiles)
    images = ["data:", "blob:"] + (["https://tile.openstreetmap.org"] if tiles else [])
    assert _policy(page) == {
        "default-src": ["'none'"],
        "script-src": sorted(_policy(page)["script-src"]),
        "style-src": ["'unsafe-inline'"],
        "img-src": images,
        "font-src": ["data:"],
        "connect-src": ["'none'"],
        "media-src": ["'none'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "worker-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    } | {"script-src": _policy(page)["script-src"]}
    assert set(_policy(page)["script-src"]) == _script_hashes(page)


def test_a_script_in_the_body_is_allowed_by_its_hash_and_one_from_a_url_is_refused():
    # mutants: the body's scripts left out of the policy (the browser would block them), and
    # the refusal of a <script src=...> dropped (a folium plugin loading its code from a CDN
    # would make the offline page fetch it, and the policy would block it)
    from branca.element import Element
    from folium.plugins import Fullscreen

    m = build_map(sample_map_data(12, n_periods=0), as_of="2024-06-30", run_id="r", inputs=[])
    body = "var bodyScript = 1;"
    m.get_root().html.add_child(Element(f"<script>{body}</script>"), name="body-script")
    page = map_to_html(m)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in _policy(page)["script-src"]

    m = build_map(sample_map_data(12, n_periods=0), as_of="2024-06-30", run_id="r", inputs=[])
    Fullscreen().add_to(m)
    with pytest.raises(ValueError, match="external script in an offline page"):
        map_to_html(m)


# ------------------------------------------------------------------ _map: which layers are on


def _layers_on(page: str) -> set[str]:
    """The names, in the layer control, of the overlays added to the map when it opens."""
    overlays = re.search(r"overlays : +\{(.*?)\},", page, re.DOTALL)
    assert overlays is not None
    names = dict(
        (var, unescape(json.loads(name)))
        for name, var in re.findall(r'("(?:[^"\\]|\\.)*") : (\w+),', overlays.group(1))
    )
    on = set(re.findall(r"(\w+)\.addTo\(map_\w+\)", page))
    return {names[v] for v in on if v in names}


_OPTIONAL = {
    "show_transit": "Transit density",
    "show_significance": "Hot and cold spots (Gi*, by confidence)",
    "show_emerging": "Emerging hot-spot trends",
    "show_heat": "Seizures (heat)",
    "show_seizure_points": "Seizures (points)",
    "show_events": "Transit events (gaps, loitering, encounters)",
    "show_rasters": "Chlorophyll-a",
}


@pytest.mark.parametrize("on", [None, True, False], ids=["defaults", "all-on", "all-off"])
def test_each_layer_is_on_when_the_page_opens_exactly_when_its_option_says(on):
    # mutants: a layer shown whatever its option (transit, a payload layer's show), the
    # significance outlines following show_emerging, a default flipped
    import geopandas as gpd
    import pandas as pd
    import shapely

    data = sample_map_data(12, n_seizures=5, n_events=5, n_periods=2, hotspots=True)
    data.ports = pd.DataFrame({"name": ["Port"], "lon": [0.0], "lat": [0.0]})
    data.lanes = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:4326")
    flags = {} if on is None else dict.fromkeys([*_OPTIONAL, "show_context"], on)
    options = RenderOptions(**flags)
    want = {"Risk (H3 hexagons)", "Basemap (coast, borders)"}
    want |= {label for key, label in _OPTIONAL.items() if getattr(options, key)}
    if options.show_context:
        want |= {options.ports_label, options.lanes_label}
    if on is None:  # the defaults the docs give: outlines and context on, the rest off
        assert want == {
            "Risk (H3 hexagons)",
            "Basemap (coast, borders)",
            "Hot and cold spots (Gi*, by confidence)",
            "Ports",
            "Shipping lanes",
        }
    assert _layers_on(_page(data, **flags)) == want


# ------------------------------------------------------------------ _map: heat, raster legend, PNG


def test_the_heat_layer_holds_the_most_recent_seizures_with_a_position():
    # mutants: the oldest seizures kept under max_heat_points instead of the most recent,
    # and a seizure without a latitude kept for the heat layer (its NaN refused the page)
    import numpy as np
    import pandas as pd

    data = sample_map_data(12, n_seizures=40, n_events=0, n_periods=0)
    s = data.seizures
    s["time"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        np.random.default_rng(3).permutation(len(s)), "h"
    )
    newest = s["time"].idxmax()
    s.loc[newest, "lat"] = np.nan  # the most recent seizure has no position
    page = _page(data, max_heat_points=10)
    heat = json.loads(re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", page, re.DOTALL).group(1))
    kept = s.dropna(subset=["lat", "lon"]).nlargest(10, "time")
    want = sorted(zip(kept["lat"].round(4), kept["lon"].round(4), strict=True))
    assert sorted(map(tuple, heat)) == want


def test_the_raster_legend_states_the_lowest_then_the_highest_value():
    # mutant: the range written highest first
    import numpy as np

    data = sample_map_data(12, n_seizures=0, n_events=0, n_periods=0)
    raster = data.rasters[0]
    lo, hi = float(np.nanmin(raster.array)), float(np.nanmax(raster.array))
    legend = re.search(
        r'data-layer="raster-0"><div class="rr-legend-title">[^<]*</div>([^<]*)<', _page(data)
    )
    assert unescape(legend.group(1)) == f"{lo:.4g} – {hi:.4g} {raster.units} (viridis colour scale)"


def test_an_overlays_float_pixels_clip_to_0_and_255_and_what_is_no_number_is_0():
    # mutant: +inf written as 0 (a saturated pixel drawn transparent), documented as 1
    import io

    import numpy as np
    from PIL import Image

    from pipeline.render._map import png_data_url

    rgba = np.array([[[np.inf, 0.5, -np.inf, np.nan], [2.0, -1.0, 1.0, 0.0]]])
    url = png_data_url(rgba)
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert np.asarray(image).tolist() == [[[255, 128, 0, 0], [255, 0, 255, 0]]]


def test_a_raster_of_one_value_is_drawn_in_the_lowest_colour_of_its_scale():
    # mutant: a raster whose every value is the same divided by its zero range (NaN:
    # matplotlib's "bad" colour, black once made opaque)
    import matplotlib
    import numpy as np

    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_rgba

    a = np.full((3, 4), 7.5)
    a[0, 0] = np.nan
    rgba, vmin, vmax = raster_rgba(RasterOverlay("flat", a, (0.0, 0.0, 4.0, 3.0)))
    assert (vmin, vmax) == (7.5, 7.5)
    low = np.round(np.asarray(matplotlib.colormaps["viridis"](0.0)) * 255).astype("uint8")
    opaque = rgba[..., 3] == 255
    assert opaque.sum() == 11
    assert (rgba[opaque] == [*low[:3], 255]).all()


# ------------------------------------------------------------------ _slider


def test_the_slider_sends_its_own_breaks_only_with_its_own_classes_and_tidy_factor_lists():
    # mutants: the timeline's breaks sent without its class column (the page would class
    # the risk rounded to 0.1 on a scale meant for the table's classes), empty names of
    # the present-data list kept (", , "), 1 and "1" two months
    import numpy as np
    import pandas as pd

    from pipeline.render._slider import timeline_payload
    from pipeline.testing import sample_cells

    cells = np.sort(sample_cells(3))
    rows = pd.DataFrame(
        {
            "cell": np.repeat(cells, 2),
            "period": pd.Series([202401, "202401"] * 3, dtype=object),
            "risk": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "present_data_factors": ["vessel_hours,,gap_events,"] * 6,
        }
    )
    rows.attrs["breaks"] = [0.0, 50.0, 100.0]
    got = timeline_payload(rows, cells)
    assert got["periods"] == ["202401"]
    assert got["risk"] == [[15.0, 35.0, 55.0]]  # one month: both rows of each cell
    assert got["cls"] is None and got["breaks"] is None
    assert got["present"] == ["vessel hours, gap events"]
    with_classes = rows.assign(**{"class": [0, 0, 0, 0, 1, 1]})
    with_classes.attrs["breaks"] = [0, 50, 100]
    got = timeline_payload(with_classes, cells)
    assert got["breaks"] == [0.0, 50.0, 100.0] and got["cls"] == [[0, 0, 1]]


def test_a_timeline_row_without_a_period_is_refused_not_shown_as_a_month_called_nan():
    # the slider listed a month "nan" holding the rows without a period
    from pipeline.errors import InputError

    data = sample_map_data(12, n_seizures=0, n_events=0, n_periods=2)
    data.timeline = data.timeline.astype({"period": object})
    data.timeline.iloc[3, data.timeline.columns.get_loc("period")] = None
    with pytest.raises(InputError, match=r"timeline: 1 row\(s\) without a period"):
        _page(data)


def test_a_raster_overlay_is_placed_on_its_bounds_south_west_then_north_east():
    # mutant: the image's corners given as (lon, lat), which Leaflet reads as (lat, lon)
    data = sample_map_data(12, n_seizures=0, n_events=0, n_periods=0)
    lon0, lat0, lon1, lat1 = data.rasters[0].bounds  # no empty row or column to cut
    corners = re.search(
        r'L\.imageOverlay\(\s*"data:image/png;base64,[^"]*",\s*(\[\[.*?\]\])', _page(data)
    )
    got = [v for corner in json.loads(corners.group(1)) for v in corner]
    assert got == pytest.approx([lat0, lon0, lat1, lon1], abs=1e-9)


def test_templates_in_two_labels_of_a_tiles_host_widen_the_origin_right_of_the_last():
    # mutant: the origin cut after the first templated label ("https://*.maps{r}.example.org",
    # no origin at all: the map refused)
    from pipeline.render import tiles_origin

    assert tiles_origin("https://{s}.maps{r}.example.org/{z}/{x}/{y}.png") == (
        "https://*.example.org"
    )


# ------------------------------------------------------------------ _layers: rasters


def test_a_raster_to_the_pole_whose_bounds_overshoot_it_by_rounding_is_still_drawn():
    # mutant: the cap to ±90 dropped: 13 rows from 90° N to 90° S give rioxarray's bounds
    # -90.00000000000001, which the overlay's check refused, so the map failed
    import numpy as np
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from pipeline.render import raster_to_overlay
    from pipeline.render._layers import raster_rgba

    y = 90 - (np.arange(13) + 0.5) * (180 / 13)
    da = xr.DataArray(np.ones((13, 2)), dims=("y", "x"), coords={"y": y, "x": [0.5, 1.5]})
    ov = raster_to_overlay("sst", da.rio.write_crs("EPSG:4326"))
    assert ov.bounds == (0.0, -90.0, 2.0, 90.0)
    assert raster_rgba(ov)[0].shape[:2] == (13, 2)


@pytest.mark.parametrize(
    ("units", "said"),
    [(b"mg m\xff-3", "mg m\ufffd-3"), (np.array(["°C"]), "°C"), (np.array([1.5]), "")],
    ids=["bytes-not-utf8", "text-array", "number-array"],
)
def test_a_rasters_unit_is_its_text_attribute_whatever_its_encoding(units, said):
    # mutant: bytes decoded strictly (a byte that is not UTF-8 raised, and raster_to_overlay
    # skipped the whole overlay as "cannot be shown"), a one-element text array not unpacked
    import xarray as xr

    from pipeline.render import raster_units

    da = xr.DataArray(np.ones((2, 2)), dims=("y", "x"), attrs={"units": units})
    assert raster_units(da) == said


def test_by_default_the_heat_layer_holds_every_seizure_of_a_run_of_hundreds():
    # mutants: max_heat_points' default of 200,000 lowered (a few hundred seizures cut), and
    # max_seizure_points' of 20,000
    data = sample_map_data(12, n_seizures=300, n_events=0, n_periods=0)
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", _page(data), re.DOTALL).group(1)
    assert len(json.loads(heat)) == len(data.seizures.dropna(subset=["lat", "lon"])) == 300
    # the defaults render.max_seizure_points and the docs give
    assert (RenderOptions().max_heat_points, RenderOptions().max_seizure_points) == (
        200_000,
        20_000,
    )


# ------------------------------------------------------------------ hostile text in every sink


class _Structure(HTMLParser):
    """Each start tag with its attribute names, and the attribute values that are URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(k for k, _ in attrs))))
        self.urls += [v for k, v in attrs if k in ("href", "src", "action") and v]


def _hostile_page(text: str, *, not_text: str | None = None) -> str:
    """A page with ``text`` in every data sink (``not_text`` where a table cannot hold it)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    data = sample_map_data(10, text=text, n_seizures=6, n_events=4, n_periods=2, hotspots=True)
    data.ports = pd.DataFrame({"name": [text], "lon": [0.0], "lat": [0.0]})
    data.lanes = gpd.GeoDataFrame(
        {"name": [text]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:4326"
    )
    data.timeline["present_data_factors"] = text
    data.timeline.attrs["fixed_geography"] = [text]
    other = not_text or text
    options = RenderOptions(
        title=other,
        ports_label=other,
        lanes_label=other,
        tiles="OpenStreetMap",
        tiles_attribution=other,
        show_panel=True,
    )
    m = build_map(
        data, as_of=other, run_id=other, inputs=[other, f"dir/{other}.csv"], options=options
    )
    return map_to_html(m)


_HOSTILE_TEXTS = {
    "markup": "</script><script>window.__xss=1</script><!--<script>{{ 7*7 }}{% raw %}",
    "literals": "a\u2028b\u2029c\r\nd`${window.__xss=2}`javascript:window.__xss=3",
    "rtl-override": "\u202eevil",
    "nul": "a\x00b",
    "long": "<b>" * 2000,
}


def _markup_strings(page: str) -> list[str]:
    """The string literals of the map's script that hold markup once decoded (innerHTML)."""
    script = page.rsplit("<script>", 1)[1]
    out = []
    for literal in re.findall(r'"(?:[^"\\\n]|\\.)*"', script):
        try:
            value = json.loads(literal)
        except ValueError:
            continue
        if "<" in value:
            out.append(value)
    return sorted(out)


@pytest.fixture(scope="module")
def plain_structure() -> _Structure:
    page = _hostile_page("plain text")
    p = _Structure()
    p.feed(page)
    p.markup = _markup_strings(page)  # type: ignore[attr-defined]
    return p


@pytest.mark.parametrize("name", list(_HOSTILE_TEXTS))
def test_hostile_text_in_every_sink_is_shown_as_text_and_adds_no_element(name, plain_structure):
    text = _HOSTILE_TEXTS[name]
    page = _hostile_page(text, not_text="x\ud800y\udfffz" if name == "nul" else None)
    page.encode("utf-8")  # a lone surrogate would make the page unwritable
    p = _Structure()
    p.feed(page)
    # the same elements with the same attributes as the page of a plain text: nothing added
    assert p.tags == plain_structure.tags
    assert p.urls == plain_structure.urls == []
    # the script's texts that become markup in the browser are the plain page's (the tiles'
    # credit): no data text among them
    assert _markup_strings(page) == plain_structure.markup
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert not [s for s in scripts if "<!--" in s or "<script" in s.lower()]
    assert set(_policy(page)["script-src"]) == _script_hashes(page)
    assert not set(page) & set("\u2028\u2029\x00\ud800\udfff")
    # and the text is there, escaped once: in the title, and in the tiles' credit
    assert escape_text(text) in page


# ------------------------------------------------------------------ _assets: inlined files


def test_every_vendored_script_the_layers_need_is_inlined_once():
    # mutant: only the first of a layer's inline scripts added (h3-js without route_risk.js:
    # the page drew nothing, unless a context layer happened to add route_risk.js)
    from pipeline.render._assets import asset_text

    page = _page(sample_map_data(12, n_seizures=5, n_events=5, n_periods=2))
    bodies = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    for relpath in (
        "leaflet/leaflet.js",
        "h3-js/h3-js.umd.js",
        "route_risk.js",
        "topojson-client/topojson-client.min.js",
        "markercluster/leaflet.markercluster.js",
        "leaflet-heat/leaflet-heat.js",
    ):
        assert bodies.count(asset_text(relpath)) == 1, relpath


def test_an_asset_holding_a_closing_tag_is_refused_not_inlined(tmp_path, monkeypatch):
    # mutant: the check dropped (a vendored file with "</script>" in a string would end its
    # element early and spill the rest into the page as markup)
    from pipeline.render import _assets

    (tmp_path / "bad.js").write_text('var s = "</SCRIPT>";', encoding="utf-8")
    (tmp_path / "ok.js").write_text('var s = "<\\/script>";', encoding="utf-8")
    monkeypatch.setattr(_assets, "ASSETS", tmp_path)
    _assets.asset_text.cache_clear()
    try:
        with pytest.raises(ValueError, match="closing tag"):
            _assets.asset_text("bad.js")
        assert _assets.asset_text("ok.js") == 'var s = "<\\/script>";'
    finally:
        _assets.asset_text.cache_clear()


def test_script_json_writes_every_character_outside_ascii_as_an_escape():
    # mutant: the skeleton written with ensure_ascii=False (a U+2028 or "é" of a payload
    # went into the script raw, unlike json.dumps's text the docstring promises)
    from pipeline.render._escaping import compact_json

    payload = {"names": ["é\u2028"], "risk": [0.5] * 2000}
    assert compact_json(payload) == json.dumps(payload, separators=(",", ":"), ensure_ascii=True)


@pytest.mark.parametrize(
    ("tiles", "said"),
    [(None, "offline page"), ("OpenStreetMap", "online tiles enabled")],
    ids=["offline", "tiles"],
)
def test_the_footer_says_whether_the_page_loads_online_tiles(tiles, said):
    # mutant: "offline page" written whatever the tiles
    footer = re.search(r'<div class="rr-footer" id="rr-footer">(.*?)</div>', _page(tiles=tiles))
    assert unescape(re.sub(r"<[^>]+>", "", footer.group(1))) == (
        f"run run-1 · inputs: a.csv · basemap: Natural Earth 1:50m (public domain) via "
        f"world-atlas · {said}"
    )


def test_a_tiles_url_without_an_attribution_credits_its_host_not_its_query():
    # mutant: the host read up to the first "/" only: a template of query parameters
    # credited "tiles: t.example.org?key=secret&z=..." (its key shown on the map)
    page = _page(tiles="https://t.example.org?key=secret&z={z}&x={x}&y={y}")
    assert _tile_attribution(page) == "tiles: t.example.org"
    assert _policy(page)["img-src"] == ["data:", "blob:", "https://t.example.org"]


def test_one_seizure_over_the_heat_cap_is_cut():
    # mutant: the cap applied from two over it on
    data = sample_map_data(12, n_seizures=11, n_events=0, n_periods=0)
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", _page(data, max_heat_points=10), re.DOTALL)
    assert len(json.loads(heat.group(1))) == 10


@pytest.mark.parametrize(
    "bounds",
    [(0.0, 10.0, 4.0, 10.0), (4.0, 0.0, 4.0, 3.0), (0.0, -91.0, 4.0, 3.0)],
    ids=["no-height", "no-width", "below-the-pole"],
)
def test_a_raster_without_an_extent_or_beyond_a_pole_is_refused(bounds):
    # mutant: bounds with min == max let through (rows divided by a zero span of latitude)
    from pipeline.errors import InputError
    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_rgba

    with pytest.raises(InputError, match="min < max"):
        raster_rgba(RasterOverlay("flat", np.ones((3, 4)), bounds))


def test_the_slider_puts_each_months_risks_under_that_month_whatever_order_they_come_in():
    # mutant: the months' ranks taken as the sorting permutation itself (the same only when
    # the months come sorted, as a categorical's do)
    import pandas as pd

    from pipeline.render._slider import timeline_payload
    from pipeline.testing import sample_cells

    cells = np.sort(sample_cells(2))
    rows = pd.DataFrame(
        {
            "cell": np.tile(cells, 3),
            "period": np.repeat(["2024-03", "2023-12", "2024-01"], 2).astype(object),
            "risk": [30.0, 31.0, 12.0, 13.0, 1.0, 2.0],
        }
    )
    got = timeline_payload(rows, cells)
    assert got["periods"] == ["2023-12", "2024-01", "2024-03"]
    assert got["risk"] == [[12.0, 13.0], [1.0, 2.0], [30.0, 31.0]]


def test_a_preview_by_the_pole_keeps_the_aspect_of_80_degrees(tmp_path, monkeypatch):
    # mutant: the aspect taken at the frame's own mid latitude near the pole (1/cos 88°: a
    # preview 29 times taller than wide), not clipped to 80° as documented in the code
    import math

    import geopandas as gpd
    import h3
    import matplotlib.figure as mfig
    import shapely

    from pipeline.render import write_preview_png

    cells = sorted(h3.grid_disk(h3.latlng_to_cell(88.5, 0.0, 3), 1))
    data = sample_map_data(
        cells=np.array([int(c, 16) for c in cells], "uint64"),
        n_seizures=0,
        n_events=0,
        n_periods=0,
    )
    data.basemap = gpd.GeoDataFrame(geometry=[shapely.box(-30, 70, 20, 80)], crs="EPSG:4326")
    seen: dict = {}
    savefig = mfig.Figure.savefig

    def spy(self, *args, **kwargs):
        ax = self.axes[0]
        seen["y"], seen["aspect"] = ax.get_ylim(), ax.get_aspect()
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(mfig.Figure, "savefig", spy)
    write_preview_png(data, tmp_path / "p.png", title="pole", dpi=20)
    assert np.mean(seen["y"]) > 80
    assert seen["aspect"] == pytest.approx(1.0 / math.cos(math.radians(80.0)))
