"""Mutation pass over what the map shows beside the hexagons: legend, panel, layers, preview.

Task hHF.  Each test kills a hand mutant of ``pipeline/render/_legend.py``, ``_panels.py``,
``_layers.py`` or ``_preview.py`` that the render tests let survive (named in the test's
comment), or fails on a product bug fixed with it.  Values are checked against numbers
computed here independently (hand arithmetic, ``h3``, ``xarray`` coordinates, the page's
JSON parsed with ``json``); inputs are small tables built with
:mod:`pipeline.testing`, never a pipeline run.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from test_mutants_payload_found import _layers, _page

from pipeline import schema as S
from pipeline.render import RenderOptions
from pipeline.testing import sample_map_data


def _js_fmt(v: float) -> str:
    """route_risk.js's fmt(): 4 significant digits, a whole number from 1,000 on (halves up)."""
    if abs(v) >= 1000:
        return f"{math.floor(v + 0.5):,}"
    return f"{float(f'{v:.4g}'):g}"


def test_a_transit_legend_from_1000_h_on_reads_as_the_cards_whole_hours():
    # Found: the legend wrote its numbers with ".4g", so a class edge of 54,321.5 h read
    # "5.432e+04" (54,320): the busiest cell, whose card reads 54,322 h, lay above the top
    # class's stated upper edge; 1,326 read "1326" beside the card's "1,326"
    data = sample_map_data(40, seed=31, n_seizures=3, n_events=2)
    hours = np.resize([3.0, 150.0, 2_109.84, 12_345.0, 54_321.5], len(data.transit))
    data.transit = data.transit.assign(**{S.VESSEL_HOURS: hours})
    page = _page(data)
    block = re.search(r'data-layer="transit">(.*?</div>)</div>', page).group(1)
    rows = re.findall(r"</i>([\d.,]+)–([\d.,]+) h</div>", block)
    assert len(rows) == len(_layers(page)["transit"]["colors"])
    # the edges by hand: numpy's quantiles of the positive hours (all are), 5 classes
    edges = np.unique(np.quantile(hours, np.linspace(0, 1, 6)))
    assert [lo for lo, _ in rows] == [_js_fmt(e) for e in edges[:-1]]
    assert [hi for _, hi in rows] == [_js_fmt(e) for e in edges[1:]]
    assert rows[-1][1] == "54,322" and "e+" not in block


@pytest.mark.parametrize(
    ("y_ascending", "x_descending"),
    [(True, False), (False, True), (True, True)],
    ids=["south-first", "east-first", "both"],
)
def test_a_rasters_rows_and_columns_are_drawn_where_their_coordinates_say(
    y_ascending, x_descending
):
    # Found: raster_to_overlay took the array's first row as the northern one; a NetCDF
    # whose latitudes ascend (south first) was drawn upside down (its 10.5° N row at 12.5° N)
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from pipeline.render import raster_to_overlay

    lat = np.array([12.5, 11.5, 10.5])
    lon = np.array([0.5, 1.5, 2.5, 3.5])
    lat = lat[::-1] if y_ascending else lat
    lon = lon[::-1] if x_descending else lon
    value = lat[:, None] * 1000.0 + lon[None, :]  # each pixel holds its own position
    da = xr.DataArray(value, dims=("y", "x"), coords={"y": lat, "x": lon})
    ov = raster_to_overlay("position", da.rio.write_crs("EPSG:4326"))
    assert ov is not None
    lon0, lat0, lon1, lat1 = ov.bounds
    assert (lon0, lat0, lon1, lat1) == (0.0, 10.0, 4.0, 13.0)
    h, w = ov.array.shape
    # the drawn image: row r (north first) centred at lat1 - (r + 0.5) * step, column c
    # (west first) at lon0 + (c + 0.5) * step
    row_lat = lat1 - (np.arange(h) + 0.5) * (lat1 - lat0) / h
    col_lon = lon0 + (np.arange(w) + 0.5) * (lon1 - lon0) / w
    assert np.array_equal(ov.array, row_lat[:, None] * 1000.0 + col_lon[None, :])


def test_a_raster_without_any_value_states_no_range_not_0_to_1():
    # Found: raster_rgba gave a raster of nodata only the range (0, 1), and the legend read
    # "0 – 1 mg m-3 (viridis colour scale)" beside a fully transparent overlay
    from pipeline.render import RasterOverlay

    data = sample_map_data(20, seed=32, n_seizures=3, n_events=2)
    empty = RasterOverlay("chl", np.full((3, 4), np.nan), (0.0, 0.0, 4.0, 3.0), units="mg m-3")
    full = RasterOverlay("sst", np.array([[2.5, 7.0], [np.nan, 30.25]]), (0.0, 0.0, 2.0, 2.0))
    data.rasters = [empty, full]
    page = _page(data)
    blocks = re.findall(
        r'data-layer="raster-(\d)"><div class="rr-legend-title">([^<]+)</div>'
        r"([^<]+)</div>",
        page,
    )
    assert blocks[0] == ("0", "chl", "no data (no pixel has a value)")
    # a raster with values states their least and greatest, by hand
    assert blocks[1][:2] == ("1", "sst") and blocks[1][2].startswith("2.5 – 30.25 ")


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[k : k + 2], 16) / 255.0 for k in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("n", [2, 3, 5, 7, 9])
def test_risk_classes_run_from_the_lightest_to_the_darkest_yellow_orange_red(n):
    # mutants: the palette's indices stopping one short (the top class never the darkest
    # red), 7 classes taken from matplotlib instead of the 7 ColorBrewer colours
    from pipeline.render._legend import class_colours

    colours = class_colours(n, RenderOptions())
    assert len(colours) == n and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    lum = [_luminance(c) for c in colours]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False))
    if n <= 7:  # ColorBrewer's YlOrRd, 7 classes: its lightest and darkest at the ends
        assert colours[0] == "#ffffb2" and colours[-1] == "#b10026"
    if n == 7:
        brewer7 = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
        assert colours == brewer7


@pytest.mark.parametrize(
    "given",
    [["#000000", "#ffffff"], ["#000000", "#111111", "#222222", "#333333"], ["red", "#111", "x"]],
    ids=["too-few", "too-many", "not-rrggbb"],
)
def test_class_colors_must_be_one_rrggbb_colour_per_class(given):
    # mutant: the count check dropped: 2 colours for 3 classes left the top class without
    # one (the payload's colours index past the list)
    from pipeline.errors import InputError
    from pipeline.render._legend import class_colours

    with pytest.raises(InputError, match="one per class"):
        class_colours(3, RenderOptions(class_colors=given))
    assert class_colours(3, RenderOptions(class_colors=["#000000", "#111111", "#ABCDEF"])) == [
        "#000000",
        "#111111",
        "#ABCDEF",
    ]


@pytest.mark.parametrize(
    ("counts", "said"),
    [([10, 10, 10, 10], "about equal counts"), ([37, 1, 1, 1], "unequal counts where scores tie")],
    ids=["equal", "tied"],
)
def test_the_quantile_note_says_equal_counts_only_when_the_classes_hold_them(counts, said):
    # mutant: the test of the counts' spread reversed: a class holding 37 of 40 cells
    # (tied scores) said to hold "about equal counts"
    from pipeline.render._legend import legend_markup

    data = sample_map_data(20, seed=33, n_seizures=3, n_events=2)
    data.class_breaks, data.class_labels = [0.0, 25.0, 50.0, 75.0, 100.0], ["a", "b", "c", "d"]
    html = legend_markup(
        data, ["#000000"] * 4, None, [], class_method="quantile", n_observed=40, class_counts=counts
    )
    assert f"quantile classes of this run (40 observed cells, {said})" in html


HOSTILE = "<img src=x onerror=alert(1)>&'\""


def test_every_text_of_the_legend_is_escaped():
    # mutants: a raster's name, its unit, or what the Gi* outlines are of written as given
    from pipeline.render import RasterOverlay, escape_text
    from pipeline.render._legend import legend_markup

    data = sample_map_data(20, seed=34, n_seizures=3, n_events=2, hotspots=True)
    data.hotspots["gi_star"]["values"] = HOSTILE + "gi"
    data.hotspots["emerging"]["first_period"] = HOSTILE + "first"
    raster = RasterOverlay(HOSTILE + "name", np.ones((1, 1)), (0, 0, 1, 1), units=HOSTILE + "unit")
    html = legend_markup(
        data,
        ["#000000"] * len(data.class_labels),
        None,
        [(raster, 1.0, 2.0)],
        significance={"present": [0]},
        emerging=[(HOSTILE + "category", "#123456", 3)],
        beyond_note=HOSTILE + "beyond",
        context_labels=(HOSTILE + "port", HOSTILE + "lane"),
    )
    assert "<img" not in html and "'" not in html.replace("&#x27;", "")
    for what in ("gi", "first", "name", "unit", "category", "beyond"):
        assert escape_text(HOSTILE + what) in html, what


@pytest.mark.parametrize("fdr", [True, False, None], ids=["fdr", "no-fdr", "unsaid"])
def test_the_emerging_legend_note_states_the_periods_and_the_correction_as_summarised(fdr):
    # mutants: the periods clause dropped, the correction clause reversed, "1 cells"
    from pipeline.render._legend import legend_markup

    data = sample_map_data(20, seed=35, n_seizures=3, n_events=2, hotspots=True)
    if fdr is not None:
        data.hotspots["emerging"]["fdr"] = fdr
    html = legend_markup(
        data,
        ["#000000"] * len(data.class_labels),
        None,
        [],
        emerging=[("new hot spot", "#ffd92f", 1), ("persistent hot spot", "#99000d", 4)],
    )
    block = re.search(r'data-layer="emerging">(.*?)</div></div>', html).group(1)
    assert "new hot spot (1 cell)</div>" in block and "persistent hot spot (4 cells)" in block
    note = re.search(r'<div class="rr-legend-note">([^<]*)', block).group(1)
    assert ", 36 periods 2021-07 to 2024-06" in note
    corrected = "; the bins' p-values corrected for false discoveries (Benjamini-Hochberg)"
    assert (corrected in note) is (fdr is True)
    assert ("; p-values not corrected for multiple testing" in note) is (fdr is False)


def test_the_ports_and_lanes_rows_name_each_its_own_layer():
    # mutant: the ports' legend row given the lanes' label (a theatre's "border crossings"
    # read as its "motorways")
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from pipeline.render._legend import legend_markup

    data = sample_map_data(20, seed=36, n_seizures=3, n_events=2)
    data.ports = pd.DataFrame({"name": ["A"], "lon": [-25.0], "lat": [12.0]})
    data.lanes = gpd.GeoDataFrame(geometry=[LineString([(-25, 12), (-24, 12)])], crs=4326)
    html = legend_markup(
        data, ["#000000"] * len(data.class_labels), None, [], context_labels=("crossing", "road")
    )
    rows = dict(re.findall(r'data-layer="(ports|lanes)">.*?</i>([^<]+)</div>', html))
    assert rows == {"ports": "crossing", "lanes": "road"}


def test_an_emerging_category_keeps_its_colour_whatever_else_the_run_has():
    # mutant: every category coloured by its rank among those present: "persistent hot
    # spot" changed colour between two runs as other categories came and went
    from pipeline.render._payload import emerging_payload
    from pipeline.testing import sample_cells

    cells = sample_cells(4, seed=37)

    def colour_of(categories: list[str], name: str) -> str:
        scores = pd.DataFrame({"emerging_category": categories})
        payload, names = emerging_payload(scores, cells)
        return payload["colors"][names.index(name)]

    one = colour_of(
        ["persistent hot spot", "new hot spot", "new cold spot", None], "persistent hot spot"
    )
    two = colour_of(["persistent hot spot", None, None, None], "persistent hot spot")
    assert one == two
    # hot family warm (red above blue), cold family cool (blue above red)
    hot = colour_of(["intensifying hot spot", None, None, None], "intensifying hot spot")
    cold = colour_of(["intensifying cold spot", None, None, None], "intensifying cold spot")
    assert int(hot[1:3], 16) > int(hot[5:7], 16) and int(cold[5:7], 16) > int(cold[1:3], 16)


def _ev(fractions=(0.01, 0.05, 0.1), **extra) -> dict:
    at = [{"area_fraction": a, "hit_rate": {"mean": 0.5, "sd": 0.1}} for a in fractions]
    return {"summary": {"published": {"at": at}}, "origins": [{}, {}, {}], **extra}


def test_the_back_test_universe_states_the_origins_spread_and_the_mean_areas_ratio():
    # mutants: the spread of the origins' cells and areas cut to the least, the first
    # origin's area taken for their mean, the ratio to the map's area inverted, its two
    # digits three
    from pipeline.render._panels import universe_text

    origins = [
        {"n_cells": 1_200, "area_km2": 2_000.0},
        {"n_cells": 1_500, "area_km2": 3_000.0},
        {"n_cells": 1_350, "area_km2": 2_800.0},
    ]
    text = universe_text({"origins": origins, "universe": "u"}, 1_000.0, 400)
    assert "(1,200–1,500 cells, 2,000–3,000 km²)" in text
    # mean area 2,600 km² over the map's 1,000: 1 % of the area ranked is 2.6 % of the map's
    assert text.endswith(
        "not the 400 cells this map shows (1,000 km²): 1 % of the area ranked is 2.6 % of the map's."
    )
    one = universe_text({"origins": origins[:1]}, 3_000.0, 400)
    assert "(1,200 cells, 2,000 km²)" in one and "is 0.67 % of the map's" in one


def test_the_hit_table_shows_the_first_three_shares_when_none_is_1_5_or_10_percent():
    # mutant: the first two columns only
    from pipeline.render._panels import evaluation_section

    html = evaluation_section(_ev((0.02, 0.2, 0.3, 0.4)))
    head = re.findall(r"<th>(hit @ [^<]+)</th>", html)
    assert head == ["hit @ 2 %", "hit @ 20 %", "hit @ 30 %"]


def test_each_methods_hit_rate_is_the_one_of_the_columns_share_not_of_its_place():
    # a baseline whose rows came in another order, one share missing: by place, its 1 %
    # column showed its 10 % hit rate and its 10 % column a hit rate of no share at all
    from pipeline.render._panels import evaluation_section

    ev = _ev()
    ev["summary"]["naive"] = {
        "at": [
            {"area_fraction": 0.1, "hit_rate": {"mean": 0.9, "sd": 0.0}},
            {"area_fraction": 0.01, "hit_rate": {"mean": 0.2, "sd": 0.0}},
        ]
    }
    html = evaluation_section(ev)
    row = re.search(r"<tr><th>[^<]*</th>(.*?)</tr>", html.split('class="rr-published"')[1])
    assert row is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    assert [c.split(" ")[0] for c in cells] == ["0.200", "–", "0.900"]


def test_the_panels_counts_are_whole_numbers_with_separators_and_a_flag_is_no_number():
    # mutants: 12,345 cells written "12345"; a True (a flag, not a count) written as 1
    from pipeline.render._panels import evaluation_section, model_section

    html = model_section({"n_cells": 12_345, "n_events": 2_000_000, "horizon_days": True})
    assert "over 12,345 cells; trained on 2,000,000 events" in html
    assert "Forecast of the next – days" in html
    ev = evaluation_section(_ev(options={"train_days": 1_461, "horizon_days": 91.5}))
    assert "from the 1,461 days before" in ev and "of the next 91.5 days" in ev


def test_the_calibration_line_and_the_wins_header_are_the_evaluations():
    # mutants: the Brier score dropped, the wins header "of 2" for 3 origins
    from pipeline.render._panels import evaluation_section

    cal = {"totals": {"observed": 12, "expected": 9.5, "observed_over_expected": 12 / 9.5}}
    cal["p_at_least_one"] = {"brier": 0.08123}
    wins = {"kde": [{"area_fraction": 0.01, "wins": 2, "ties": 0, "losses": 1}]}
    html = evaluation_section(_ev(calibration={"published": cal}, wins={"published": wins}))
    assert (
        "observed / expected events = <b>1.26</b> (12 observed, 9.5 expected over the origins)"
        "; Brier score of P(at least one) 0.0812." in html
    )
    assert "(wins / ties / losses of 3):" in html
    assert "<td><b>2</b> / 0 / 1</td>" in html


def test_the_model_section_gives_each_dropped_factor_its_own_reason():
    # mutant: every factor not selected read "not selected", its reason lost
    from pipeline.render._panels import model_section

    factors = [{"name": "a", "selected": True}, {"name": "b"}, {"name": "c"}]
    dropped = [{"name": "c", "reason": "collinear with a (r = 0.97)"}]
    html = model_section({"factors": factors, "dropped": dropped})
    assert "<li>b: not selected</li><li>c: collinear with a (r = 0.97)</li>" in html


@pytest.mark.parametrize(("k", "said"), [(1, "1 ring of neighbours"), (2, "2 rings of neighbours")])
def test_the_hot_spot_section_states_hot_and_cold_counts_and_the_neighbourhood(k, said):
    # mutants: hot and cold counts swapped, "1 rings"
    from pipeline.render._panels import hotspots_section

    gi = {"cells": 50, "hot_cells": 7, "cold_cells": 2, "neighbourhood": {"k_rings": k}}
    html = hotspots_section({"gi_star": dict(gi, weights="binary", fdr=False)})
    assert "<b>Gi*</b>: 7 hot and 2 cold cells of 50; " + said + ", binary weights" in html


def test_the_emerging_section_says_over_which_bins_it_corrected_and_nothing_when_skipped():
    # mutants: the bins' clause tested against the cells, not cells x periods; a skipped
    # analysis still said to be corrected
    from pipeline.render._panels import hotspots_section

    em = {"cells": 10, "periods": 12, "period": "month", "fdr": True, "categories": {}}
    # 100 of the cube's 120 bins have a neighbour: the clause names them
    some = hotspots_section({"emerging": dict(em, fdr_bins=100)})
    assert "(Benjamini-Hochberg) over the 100 space-time bins with a neighbour" in some
    every = hotspots_section({"emerging": dict(em, fdr_bins=120)})
    assert "bins with a neighbour" not in every and "(Benjamini-Hochberg)." in every
    skipped = hotspots_section({"emerging": dict(em, skipped="too few periods (2)")})
    assert "too few periods (2)" in skipped and "Benjamini" not in skipped


def test_the_previews_legend_frame_and_title_are_the_maps(tmp_path, monkeypatch):
    # mutants: the preview classing the run's own breaks while the map uses render.classes
    # (quantile), a row's upper break its lower one, no margin round the cells, a square
    # degree aspect at 60° N, a title's "$...$" read as mathtext
    import h3
    import matplotlib.figure as mfig

    from pipeline.render import write_preview_png
    from pipeline.testing import sample_cells

    cells = sample_cells(40, seed=38)
    lat0, lon0 = h3.cell_to_latlng(format(int(cells[0]), "x"))
    moved = [
        h3.latlng_to_cell(lat + 60.0 - lat0, lon, 6)
        for lat, lon in (h3.cell_to_latlng(format(int(c), "x")) for c in cells)
    ]
    data = sample_map_data(
        cells=np.array([int(c, 16) for c in dict.fromkeys(moved)], "uint64"),
        n_seizures=0,
        n_events=0,
        n_periods=0,
    )
    seen: dict = {}
    savefig = mfig.Figure.savefig

    def spy(self, *args, **kwargs):
        ax = self.axes[0]
        seen["x"], seen["y"], seen["aspect"] = ax.get_xlim(), ax.get_ylim(), ax.get_aspect()
        seen["title"] = ax.get_title()
        seen["rows"] = [t.get_text() for t in ax.get_legend().get_texts()]
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(mfig.Figure, "savefig", spy)
    write_preview_png(
        data,
        tmp_path / "p.png",
        title="$x$ & co",
        dpi=20,
        options=RenderOptions(classes="quantile"),
    )
    page = _page(data, classes="quantile")
    rows = re.search(r'<div id="rr-legend-risk-rows">(.*?</div>)</div>', page).group(1)
    # the map's rows "label (lo–hi points, n cells)" are the preview's "label (lo–hi points)"
    want = [re.sub(r", [\d,]+ cells?\)$", ")", r) for r in re.findall(r"</i>([^<]+)</div>", rows)]
    assert seen["rows"] == [*want, "no data"]
    assert seen["title"] == r"\$x\$ & co"
    # the frame holds every cell's vertices with 8 % of the larger side (at least 0.5°) to spare
    lat, lon = np.array(
        [v for c in data.scores[S.CELL] for v in h3.cell_to_boundary(format(int(c), "x"))]
    ).T
    pad = 0.08 * max(np.ptp(lon), np.ptp(lat), 0.5)
    assert seen["x"] == pytest.approx((lon.min() - pad, lon.max() + pad), abs=1e-6)
    assert seen["y"] == pytest.approx((lat.min() - pad, lat.max() + pad), abs=1e-6)
    # a degree of longitude drawn cos(mid latitude) times a degree of latitude
    assert seen["aspect"] == pytest.approx(1.0 / math.cos(math.radians(np.mean(seen["y"]))))


def test_the_present_data_warning_stands_once_under_the_table_not_again_in_the_notes():
    # mutant: the notes list repeating the present-data warning
    from pipeline.render._panels import evaluation_section

    present = "transit and rasters take the run day values at every origin"
    html = evaluation_section(_ev(present_data=present, notes=[present, "density alone"]))
    assert html.count("take the run day") == 1
    assert f'id="rr-eval-present">T{present[1:]}.</p>' in html
    assert '<ul class="rr-notes"><li>density alone</li></ul>' in html


def test_a_global_raster_short_of_a_column_is_wrapped_round_the_view():
    # mutant: only a raster of exactly 360° treated as global: one of 35 columns of 10°
    # (-180..170) was moved whole, and its column at 165° E was drawn at 525°, off the
    # view round 180°.  Found with it: wrapped, its 35 columns were stretched over 360°,
    # so that those east of the gap were drawn up to a column (10°) west of their place
    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_in_view

    lon = -175.0 + 10.0 * np.arange(35)
    raster = RasterOverlay("lon", np.repeat(lon[None, :], 2, axis=0), (-180.0, -10.0, 170.0, 10.0))
    moved = raster_in_view(raster, 180.0)
    lon0, _, lon1, _ = moved.bounds
    assert 0.0 <= lon0 and lon1 <= 360.0
    drawn = lon0 + (np.arange(moved.array.shape[1]) + 0.5) * (lon1 - lon0) / moved.array.shape[1]
    # each column is drawn at its own longitude, a whole number of turns away; the missing
    # one (170..180) is an empty column in its place, not a shift of those east of it
    value = moved.array[0]
    assert np.isnan(value).sum() == 1 and drawn[np.isnan(value)] == pytest.approx([175.0])
    ok = ~np.isnan(value)
    assert np.allclose(np.mod(drawn[ok] - value[ok] + 180.0, 360.0) - 180.0, 0.0)


def test_a_rasters_bad_latitudes_and_infinite_pixels():
    # mutants: latitudes beyond the pole accepted; an infinite pixel drawn opaque
    from pipeline.errors import InputError
    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_rgba

    with pytest.raises(InputError, match="bounds must be"):
        raster_rgba(RasterOverlay("r", np.ones((2, 2)), (0.0, 0.0, 1.0, 95.0)))
    a = np.array([[1.0, np.inf], [-np.inf, 3.0]])
    rgba, vmin, vmax = raster_rgba(RasterOverlay("r", a, (0.0, 0.0, 2.0, 2.0)))
    assert (vmin, vmax) == (1.0, 3.0)
    assert rgba[..., 3].tolist() == [[255, 0], [0, 255]]


def test_raster_to_overlay_bounds_its_size_trims_its_unit_and_skips_a_raster_without_crs():
    # mutants: a 1,500-pixel raster kept whole under max_px=1,000 (floor of 1.5 = 1); the
    # unit's spaces kept; a raster without a CRS drawn as if in degrees
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from pipeline.render import raster_to_overlay

    x = np.linspace(0.0005, 1.4995, 1_500)
    da = xr.DataArray(np.ones((2, 1_500)), dims=("y", "x"), coords={"y": [1.0, 0.0], "x": x})
    da.attrs["units"] = "  mg m-3 "
    ov = raster_to_overlay("chl", da.rio.write_crs("EPSG:4326"), max_px=1_000)
    assert ov.array.shape == (1, 750) and ov.units == "mg m-3"
    assert raster_to_overlay("chl", da) is None  # no CRS: cannot be placed, skipped


@pytest.mark.parametrize("pole", [-90.0, 90.0], ids=["south", "north"])
def test_a_land_ring_round_a_pole_is_closed_along_its_own_pole(pole):
    # mutant: Antarctica closed along the North Pole: the preview's land then covered the
    # whole world north of 70° S
    import shapely

    from pipeline.render._preview import _unwrap_ring

    lon = np.linspace(-180.0, 180.0, 37)
    ring = np.column_stack([lon, np.full(lon.size, np.sign(pole) * 70.0)])
    land = shapely.Polygon(_unwrap_ring(ring, True))
    assert land.contains(shapely.Point(0.0, np.sign(pole) * 85.0))
    assert not land.contains(shapely.Point(0.0, 0.0))
    assert land.area == pytest.approx(360.0 * 20.0)


def test_the_preview_of_cells_by_the_pole_stops_at_the_pole(tmp_path, monkeypatch):
    # mutant: the frame's margin carried past 90° N (a band of nothing above the pole)
    import h3
    import matplotlib.figure as mfig

    from pipeline.render import write_preview_png

    ids = {h3.latlng_to_cell(lat, lon, 4) for lat in (88.5, 89.0) for lon in (0.0, 120.0, 240.0)}
    cells = np.array(sorted(int(c, 16) for c in ids), dtype="uint64")
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    seen: dict = {}
    savefig = mfig.Figure.savefig

    def spy(self, *args, **kwargs):
        seen["y"] = self.axes[0].get_ylim()
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(mfig.Figure, "savefig", spy)
    write_preview_png(data, tmp_path / "p.png", title="pole", dpi=20)
    assert seen["y"][1] == 90.0 and seen["y"][0] < 88.0


def test_each_preview_cell_is_filled_in_its_own_classs_colour(tmp_path, monkeypatch):
    # mutant: the class paths given the colours in reverse order: the no-data cells drawn in
    # the top class's red and the top class in no-data grey (each colour still on the image)
    import h3
    from matplotlib.axes import Axes
    from matplotlib.colors import to_hex

    from pipeline.render import write_preview_png
    from pipeline.render._legend import NO_DATA_COLOUR, class_colours

    groups = {-30.0: 0, -20.0: -1, -10.0: None}  # low class, top class, no data
    ids = {
        h3.latlng_to_cell(lat, lon + d, 6): lon
        for lon in groups
        for lat in (10.0, 10.1)
        for d in (0.0, 0.1)
    }
    cells = np.array([int(c, 16) for c in ids], dtype="uint64")
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    lon_of = {int(c, 16): lon for c, lon in ids.items()}
    group = [groups[lon_of[int(c)]] for c in data.scores[S.CELL]]
    labels = list(data.class_labels)
    data.scores["observed"] = [g is not None for g in group]
    data.scores[S.RISK_CLASS] = [None if g is None else labels[g] for g in group]
    colours = class_colours(len(labels), RenderOptions())
    want = {-30.0: colours[0], -20.0: colours[-1], -10.0: NO_DATA_COLOUR}
    drawn: list = []
    add = Axes.add_collection

    def spy(self, collection, autolim=True):
        drawn.append((collection, autolim))
        return add(self, collection, autolim=autolim)

    monkeypatch.setattr(Axes, "add_collection", spy)
    write_preview_png(data, tmp_path / "p.png", title="t", dpi=20)
    cells_drawn = next(c for c, autolim in drawn if autolim is False)
    got = {}
    for path, face in zip(cells_drawn.get_paths(), cells_drawn.get_facecolors(), strict=True):
        centre = min(groups, key=lambda lon: abs(lon - path.vertices[:, 0].mean()))
        got[centre] = to_hex(face[:3])
    assert got == want


def test_the_previews_land_east_of_180_is_drawn_beside_an_area_across_it(tmp_path, monkeypatch):
    # mutant: the land drawn once, from -180 to 180: round Fiji (view centred near 180°)
    # an island at 179.5° W, given as -179.5, was left a world away, off the frame
    import geopandas as gpd
    import h3
    import shapely
    from matplotlib.axes import Axes

    from pipeline.render import write_preview_png

    ids = {h3.latlng_to_cell(-17.0, lon, 6) for lon in (179.6, 179.8, -179.9)}
    data = sample_map_data(
        cells=np.array([int(c, 16) for c in ids], dtype="uint64"),
        n_seizures=0,
        n_events=0,
        n_periods=0,
    )
    data.basemap = gpd.GeoDataFrame(geometry=[shapely.box(-179.6, -17.2, -179.4, -17.0)], crs=4326)
    drawn: list = []
    add = Axes.add_collection

    def spy(self, collection, autolim=True):
        drawn.append(collection)
        return add(self, collection, autolim=autolim)

    monkeypatch.setattr(Axes, "add_collection", spy)
    write_preview_png(data, tmp_path / "p.png", title="Fiji", dpi=20)
    land = drawn[0]
    xs = [p.vertices[:, 0] for p in land.get_paths()]
    # the island drawn at 180.4..180.6 (a turn east of its own -179.6..-179.4)
    assert any(np.allclose([x.min(), x.max()], [180.4, 180.6]) for x in xs)


def _projected(epsg: int, x0: float, y0: float, px_m: float, n: int):
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    x = x0 + (np.arange(n) + 0.5) * px_m
    y = y0 + (np.arange(n)[::-1] + 0.5) * px_m
    da = xr.DataArray(np.ones((n, n)), dims=("y", "x"), coords={"y": y, "x": x})
    return da.rio.write_crs(f"EPSG:{epsg}")


def test_a_projected_rasters_lon_lat_grid_keeps_its_pixel_size_and_reaches_its_pole():
    # mutants: the columns not narrowed by cos(latitude) (a 100 km UTM raster at 60° N given
    # 200 columns of 0.5 km), a raster round the North Pole cut below it (its box up to the
    # highest latitude sampled, not 90°)
    from pipeline.render._layers import _lonlat_grid

    utm = _projected(32633, 450_000.0, 6_600_000.0, 1_000.0, 100)  # 100 km at 59.5° N, 15° E
    (lon0, lat0, lon1, lat1), rows, cols = _lonlat_grid(utm, 1_000)
    # by hand: 1 km pixels are 1 / 111.32 degrees of latitude, and of longitude times
    # 1 / cos(latitude): about 100 rows and 100 columns
    assert 95 <= rows <= 110 and 95 <= cols <= 110
    assert rows == math.ceil((lat1 - lat0) * 111.32)
    polar = _projected(3413, -400_000.0, -400_000.0, 20_000.0, 50)  # the pole inside, off-grid
    (lon0, lat0, lon1, lat1), rows, cols = _lonlat_grid(polar, 1_000)
    assert (lon0, lon1, lat1) == (-180.0, 180.0, 90.0)
