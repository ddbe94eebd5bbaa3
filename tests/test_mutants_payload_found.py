"""Second mutation pass over the map's payloads, panels and legend (task hFY).

Each test kills a hand mutant of ``pipeline/render`` that the render tests let survive (the
mutant is named in the test's comment); values are checked against numbers computed here
independently: ``h3`` decoding the cells, ``datetime`` days, ``json`` parsing the page.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
from _maps import decode_like_js

from pipeline import schema as S
from pipeline.render import RenderOptions, build_map, map_to_html
from pipeline.render._payload import risk_payload, sorted_cells
from pipeline.testing import sample_map_data


def _layers(page: str) -> dict:
    found = re.findall(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL)
    return {p["key"]: p for p in map(json.loads, found)}


def _page(data, **options) -> str:
    m = build_map(
        data, as_of="2026-06-30", run_id="run-1", inputs=["s.csv"], options=RenderOptions(**options)
    )
    return map_to_html(m)


def test_the_latest_event_is_its_utc_calendar_day_whatever_its_zone_and_hour():
    # mutants: the day rounded to the nearest instead of floored (an event at 18:00 read as
    # the next day), the day taken in the event's own zone instead of UTC
    data = sample_map_data(8, seed=11, n_seizures=3, n_events=2)
    stamps = [
        "2024-03-01 18:00",  # after noon: still 1 March
        "2024-03-01 23:30",  # 04:30 UTC on 2 March
        "2024-02-29 00:00",
        None,
        "2023-12-31 19:00",  # midnight UTC on 1 January
        "2024-06-30 12:00",
        "2024-03-01 00:01",
        None,
    ]
    local = pd.to_datetime(pd.Series(stamps)).dt.tz_localize("America/New_York")
    data.scores["latest_event"] = local  # a tz-aware column, in New York's time
    scores, cells = sorted_cells(data.scores, "scores")
    shown = risk_payload(data, scores, cells, RenderOptions())["latest"]
    epoch = dt.date(1970, 1, 1)
    want = []
    for t in scores["latest_event"]:
        if pd.isna(t):
            want.append(None)
        else:
            utc = t.to_pydatetime().astimezone(dt.UTC)
            want.append((utc.date() - epoch).days)
    assert shown == want and None in want
    # route_risk.js shows the day as new Date(days * 86400000).toISOString(): UTC
    by_local = dict(zip(scores["latest_event"].astype(str), shown, strict=True))
    day = by_local[str(local[1])]
    assert (epoch + dt.timedelta(days=day)).isoformat() == "2024-03-02"


@pytest.mark.parametrize("method", ["quantile", "natural"])
def test_an_observed_cell_without_a_risk_gets_no_class_when_the_map_breaks_the_run(method):
    # mutant: map_classes classing every observed cell, so a missing risk (NaN) was
    # searchsorted past the top break and drawn in the top class
    data = sample_map_data(60, seed=12, n_seizures=3, n_events=2)
    s = data.scores
    lost = s.index[s["observed"]][:3]
    s.loc[lost, S.RISK] = np.nan
    d = _layers(_page(data, classes=method))["risk"]
    table = s.set_index(S.CELL).loc[decode_like_js(d["cells"])]
    missing = table[S.RISK].isna().to_numpy()
    assert missing.sum() == 3 and table["observed"].to_numpy()[missing].all()
    cls = np.asarray(d["cls"])
    assert (cls[missing] == -1).all()
    # the others keep a class, and the legend counts only them
    observed = table["observed"].to_numpy(dtype=bool)
    assert (cls[observed & ~missing] >= 0).all()


@pytest.mark.parametrize("fitted", [False, True], ids=["weighted", "fitted"])
def test_the_cards_risk_unit_is_the_legends(fitted):
    # mutant: riskUnit always " points": a fitted map's card read "Risk 63.2 points" under
    # a legend of "percentile of expected events per km²"
    data = sample_map_data(30, seed=13, n_seizures=3, n_events=2, fitted=fitted)
    page = _page(data)
    d = _layers(page)["risk"]
    rows = re.search(r'<div id="rr-legend-risk-rows">(.*?</div>)</div>', page).group(1)
    in_legend = " points, " in rows
    assert in_legend is (not fitted)
    assert d["riskUnit"] == (" points" if in_legend else "")


def _factor_frame(contribs: np.ndarray, covered: np.ndarray | None = None):
    """A sample map whose three factors' contributions (points) are ``contribs`` (n x 3)."""
    n = len(contribs)
    data = sample_map_data(n, seed=14, n_seizures=3, n_events=2, uncovered_fraction=0.0)
    s = data.scores
    for k, f in enumerate(data.factors):
        s[f.name + S.CONTRIB_SUFFIX] = contribs[:, k]
        if covered is not None:
            s[f.name + S.COVERED_SUFFIX] = covered[:, k]
        elif f.name + S.COVERED_SUFFIX in s.columns:
            s[f.name + S.COVERED_SUFFIX] = True
    s[S.RISK] = np.nansum(contribs, axis=1)
    scores, cells = sorted_cells(s, "scores")
    payload = risk_payload(data, scores, cells, RenderOptions())
    shown = np.column_stack(
        [[np.nan if v is None else v for v in f["contrib"]] for f in payload["factors"]]
    )
    return shown, scores


def test_a_tie_of_remainders_gives_the_point_to_the_first_factor_as_documented():
    # mutant: the largest-remainder tie going to the last factor.  The values are exact in
    # binary (x 100: 1012.5, 2012.5, 3025): one unit of 0.01 to give, two equal remainders
    contribs = np.array([[10.125, 20.125, 30.25]] * 4)
    shown, _ = _factor_frame(contribs)
    assert shown.tolist() == [[10.13, 20.12, 30.25]] * 4


def test_a_covered_factors_missing_points_stay_missing_never_zero():
    # mutant: the fallback of a cell whose points cannot be rounded together being 0, not
    # the cell's own (missing) value: "points 0" for a factor with no value
    contribs = np.array([[10.0, 20.0, 30.0], [np.nan, 20.0, 30.0], [5.0, np.nan, 1.0]])
    shown, scores = _factor_frame(contribs)
    names = (S.SEIZURE_DENSITY, S.VESSEL_HOURS, S.GAP_EVENTS)
    raw = np.column_stack([scores[f + S.CONTRIB_SUFFIX].to_numpy() for f in names])
    assert np.array_equal(np.isnan(shown), np.isnan(raw)) and np.isnan(raw).sum() == 2


def test_a_missing_p_any_or_relative_risk_is_not_derived_from_the_expected_count():
    # mutant: _close comparing only where both are known.  A cell whose P(any) or relative
    # risk the model left missing had the page derive one from its expected events
    # (1 - exp(-expected), expected / constant): a number where the table has none
    data = sample_map_data(50, seed=15, n_seizures=3, n_events=2, fitted=True)
    s = data.scores
    s["relative_risk"] = s["expected_events"] / 0.0315
    gone = s.index[[2, 9]]
    s.loc[gone, ["p_any_event", "relative_risk"]] = np.nan
    f = _layers(_page(data))["risk"]
    table = s.set_index(S.CELL).loc[decode_like_js(f["cells"])]
    fitted = f["fitted"]
    missing = table["p_any_event"].isna().tolist()
    assert sum(missing) == 2 and table["expected_events"].notna().all()
    # sent as values, None where the table has none (never the rule that would fill them)
    assert fitted["pAnyPoisson"] is False and fitted["rrScale"] is None
    assert [v is None for v in fitted["pAny"]] == missing
    assert [v is None for v in fitted["rr"]] == table["relative_risk"].isna().tolist()
    known = ~np.asarray(missing)
    rr = np.array([np.nan if v is None else v for v in fitted["rr"]])
    np.testing.assert_allclose(rr[known], table["relative_risk"].to_numpy()[known], rtol=5e-3)


@pytest.mark.parametrize("fdr", [True, False, None], ids=["fdr", "no-fdr", "unsaid"])
def test_the_card_the_legend_and_the_panel_agree_on_whether_gi_p_is_corrected(fdr):
    # mutants: the card's "corrected p" and the legend's note reading a summary that does
    # not say ``fdr`` as uncorrected.  The panel did so in the code as found: "p-values not
    # corrected." beside the legend's "corrected for false discoveries" and the card's
    # "corrected p".  Absent, ``fdr`` is the hot-spot options' default: corrected.
    data = sample_map_data(30, seed=16, n_seizures=3, n_events=2, hotspots=True)
    if fdr is None:
        del data.hotspots["gi_star"]["fdr"]
    else:
        data.hotspots["gi_star"]["fdr"] = fdr
    page = _page(data)
    corrected = fdr is not False
    card = _layers(page)["risk"]["hotspot"]["pLabel"]
    assert card == ("corrected p" if corrected else "p (not corrected)")
    legend = re.search(r'data-layer="significance">.*?rr-legend-note">([^<]*)<', page).group(1)
    assert ("corrected for false discoveries" in legend) is corrected
    assert ("not corrected" in legend) is not corrected
    panel = re.search(r'id="rr-hotspots".*?<b>Gi\*</b>(.*?)</p>', page).group(1)
    assert ("corrected for false discoveries" in panel) is corrected
    assert ("not corrected" in panel) is not corrected


def test_a_p_any_or_relative_risk_two_percent_off_the_rule_is_sent_as_it_is():
    # mutant: _close's tolerance 10 % instead of 0.1 %: a P(any) 2 % above Poisson's, or a
    # relative risk 2 % off expected / constant, was replaced by the rule in the page
    data = sample_map_data(40, seed=17, n_seizures=3, n_events=2, fitted=True)
    s = data.scores
    e = s["expected_events"].to_numpy()
    wobble = np.where(np.arange(len(s)) % 2 == 0, 1.02, 0.98)
    s["p_any_event"] = -np.expm1(-e) * wobble
    s["relative_risk"] = e / 0.03 * wobble
    f = _layers(_page(data))["risk"]
    table = s.set_index(S.CELL).loc[decode_like_js(f["cells"])]
    fitted = f["fitted"]
    assert fitted["pAnyPoisson"] is False and fitted["rrScale"] is None
    np.testing.assert_allclose(fitted["pAny"], table["p_any_event"], rtol=5e-3)
    np.testing.assert_allclose(fitted["rr"], table["relative_risk"], rtol=5e-3)


def test_each_outline_is_drawn_as_the_legend_row_of_its_own_confidence():
    # mutants: the 99 % and 95 % rows of SIGNIFICANCE_CLASSES given each other's bin (hot,
    # or cold): a 99 % hot spot drawn 2.5 px under the legend's "95 % confidence" row.  The
    # first pass compared colour and dash only, which 99 % and 95 % share (test_render's
    # hot-spot payload test kills these mutants too; this one reads the page's legend rows)
    data = sample_map_data(200, seed=18, n_seizures=3, n_events=2, hotspots=True)
    s = data.scores
    # every confidence level present, hot and cold (the sample's z follows the risk)
    s["gi_bin"] = np.resize([3, 2, 1, 0, -1, -2, -3], len(s))
    names = {3: "99%", 2: "95%", 1: "90%"}
    s["gi_class"] = [
        "not significant" if b == 0 else f"{'hot' if b > 0 else 'cold'} spot {names[abs(b)]}"
        for b in s["gi_bin"]
    ]
    page = _page(data)
    sig = _layers(page)["significance"]
    legend = re.search(r'data-layer="significance">(.*?)<div class="rr-legend-note">', page)
    rows = re.findall(
        r'style="border:([\d.]+)px (solid|dashed) (#[0-9a-f]{6})"></i>([^<]+)<', legend.group(1)
    )
    assert len(rows) == 6 and sig["present"] == list(range(6))
    table = s.set_index(S.CELL).loc[decode_like_js(sig["cells"]), "gi_class"].tolist()
    assert len(table) == int((s["gi_bin"] != 0).sum())
    for k, cls in zip(sig["cls"], table, strict=True):
        width, dash, colour, label = rows[k]
        # the row of the cell's style is the cell's own class, with the cell's line
        assert re.sub(r", (\d+) % confidence", r" \1%", label) == cls
        style = sig["styles"][k]
        assert float(width) == max(style["width"] - 1, 1) and colour == style["color"]
        assert (dash == "dashed") == bool(style["dash"])
    # a more confident class is drawn with a line at least as thick
    by_class = {c: sig["styles"][k]["width"] for k, c in zip(sig["cls"], table, strict=True)}
    for side in ("hot", "cold"):
        w = [by_class[f"{side} spot {p}"] for p in ("99%", "95%", "90%")]
        assert w[0] > w[1] > w[2], side


def test_emerging_categories_come_in_the_hot_spot_packages_order_unknown_ones_last():
    # mutant that survived: unknown categories listed first.  Also killed here (and by
    # test_render's hot-spot test): sorted by name, two of the colour table's rows swapped
    from pipeline.hotspots import CATEGORIES

    data = sample_map_data(60, seed=19, n_seizures=3, n_events=2, hotspots=True)
    s = data.scores
    cats = ["persistent cold spot", "new hot spot", "a custom trend", "consecutive hot spot"]
    cats += ["intensifying hot spot", "no pattern detected", "no pattern", "new cold spot"]
    s["emerging_category"] = np.resize(cats, len(s))
    page = _page(data)
    em = _layers(page)["emerging"]
    known = [c for c in CATEGORIES if c in cats and not c.startswith("no pattern")]
    assert em["labels"] == [*known, "a custom trend"]
    block = re.search(r'data-layer="emerging">(.*?)<div class="rr-legend-note">', page).group(1)
    legend = re.findall(r"</i>([^<]+) \(\d+ cells?\)</div>", block)
    assert legend == em["labels"]
    # "no pattern" (either spelling) is not drawn
    table = s.set_index(S.CELL).loc[decode_like_js(em["cells"]), "emerging_category"]
    assert not table.str.startswith("no pattern").any()
    assert len(table) == int((~s["emerging_category"].str.startswith("no pattern")).sum())
    assert [em["labels"][c] for c in em["cls"]] == table.tolist()


@pytest.mark.parametrize(("lat", "lon"), [(12.0, -25.0), (70.0, 20.0), (-65.0, 179.95)])
def test_the_view_of_one_cell_holds_the_whole_cell_with_room_around_it(lat, lon):
    # mutants: no padding (the view of one cell a point: Leaflet zooms to its maximum) and
    # the longitude padding not widened by latitude (at 70° N the cell's corners fell outside)
    import h3

    from pipeline.render._payload import view_bounds

    hex_id = h3.latlng_to_cell(lat, lon, 5)
    (lat0, lon0), (lat1, lon1) = view_bounds(np.array([int(hex_id, 16)], dtype="uint64"))
    corners = np.array(h3.cell_to_boundary(hex_id))
    # the corners in the view's one continuous longitude range, round its middle
    mid = 0.5 * (lon0 + lon1)
    c_lon = np.mod(corners[:, 1] - mid + 180.0, 360.0) - 180.0 + mid
    assert lat0 < corners[:, 0].min() and corners[:, 0].max() < lat1
    assert lon0 < c_lon.min() and c_lon.max() < lon1
    # and not a view of the world: a few cells wide
    width = c_lon.max() - c_lon.min()
    assert lon1 - lon0 < 20 * width and lat1 - lat0 < 20 * np.ptp(corners[:, 0])


def test_the_view_of_no_cell_is_an_open_stretch_of_the_world_not_a_point():
    # mutant: an empty map's view a point at 0°, 0° (Leaflet's maximum zoom on open sea)
    from pipeline.render._payload import view_bounds

    (lat0, lon0), (lat1, lon1) = view_bounds(np.empty(0, dtype="uint64"))
    assert lat1 - lat0 >= 90 and lon1 - lon0 >= 180
    assert -85 <= lat0 < lat1 <= 85


def test_ports_and_events_are_drawn_beside_an_area_across_180_not_a_world_away():
    # mutants: ports or events left at their own longitude (-179.9) while the view runs
    # 178..182: drawn 360° away from the cells they explain
    import h3

    cells = [h3.latlng_to_cell(-17.0, lon, 6) for lon in (178.5, 179.5, -179.5, -178.8)]
    data = sample_map_data(
        cells=np.array([int(c, 16) for c in cells], dtype="uint64"), n_seizures=4, n_events=4
    )
    data.ports = pd.DataFrame(
        {"name": ["Suva", "Lau"], S.LAT: [-18.1, -17.5], S.LON: [178.4, -179.2]}
    )
    page = _page(data)
    view = json.loads(re.search(r"\.fitBounds\((\[\[[^{]*\]\]), \{animate", page).group(1))
    lo, hi = view[0][1], view[1][1]
    assert lo < 180 < hi  # the area's view crosses 180°

    def payload(call: str) -> dict:
        return json.loads(re.search(rf"routeRisk\.{call}\((\{{.*?\}})\);", page).group(1))

    ports = payload("contextLayer")
    assert ports["key"] == "ports"
    for name, lons, raw in (
        ("ports", ports["lon"], data.ports[S.LON]),
        ("events", payload("eventLayer")["lon"], data.events[S.LON]),
        ("seizures", payload("seizureLayer")["lon"], data.seizures[S.LON]),
    ):
        assert all(lo - 2 < v < hi + 2 for v in lons), (name, lons, lo, hi)
        # the same places: each a whole number of turns from a given longitude
        given = np.sort(np.round(np.mod(np.asarray(raw, dtype="float64"), 360.0), 5))
        assert np.allclose(np.sort(np.mod(lons, 360.0)), given, atol=2e-5), name


def test_popup_dates_are_utc_days_and_times_whatever_the_zone_given():
    # mutant: _iso formatting in another zone than UTC (the popups say "UTC")
    from pipeline.render._payload import event_payload, seizure_payload

    ny = pd.to_datetime(pd.Series(["2024-03-01 23:30", "2024-03-01 18:00"]))
    ny = ny.dt.tz_localize("America/New_York")
    opts = RenderOptions()
    seizures = pd.DataFrame({S.TIME: ny, S.LON: [1.0, 2.0], S.LAT: [3.0, 4.0]})
    assert seizure_payload(seizures, opts)["date"] == ["2024-03-02", "2024-03-01"]
    events = pd.DataFrame(
        {"event_type": "gap", "start_time": ny, "end_time": ny, S.LON: 1.0, S.LAT: 2.0}
    )
    want = ["2024-03-02 04:30 UTC", "2024-03-01 23:00 UTC"]
    assert event_payload(events, opts)["start"] == want
    # a missing time is sent as an empty text, never null (the popup would read "null")
    events.loc[1, "end_time"] = pd.NaT
    assert event_payload(events, opts)["end"] == [want[0], ""]


def test_a_legend_class_of_one_cell_says_cell():
    # mutant: "1 cells" in the class row
    data = sample_map_data(40, seed=20, n_seizures=3, n_events=2)
    s = data.scores
    top = s.index[s["observed"]][0]
    s[S.RISK_CLASS] = np.where(s.index == top, data.class_labels[-1], data.class_labels[0])
    rows = re.search(r'<div id="rr-legend-risk-rows">(.*?</div>)</div>', _page(data)).group(1)
    assert f"{data.class_labels[-1]} (" in rows and ", 1 cell)" in rows
    assert ", 1 cells)" not in rows


HOSTILE = "<img src=x onerror=alert(1)>"


def test_texts_of_the_hot_spot_summary_and_the_interval_are_escaped():
    # mutants: the emerging periods of the legend note, the interval's method, basis and
    # reason, the fitted model's family written as they are
    from pipeline.render import escape_text
    from pipeline.render._payload import fitted_payload, uncertainty_payload

    data = sample_map_data(30, seed=21, n_seizures=3, n_events=2, hotspots=True)
    data.hotspots["emerging"]["first_period"] = HOSTILE
    data.hotspots["emerging"]["last_period"] = HOSTILE + "2"
    page = _page(data)
    assert "<img" not in page and escape_text(HOSTILE) in page
    scores = pd.DataFrame({"risk_lower": [np.nan], "risk_upper": [np.nan]})
    info = {"uncertainty": {"method": HOSTILE, "basis": HOSTILE, "reason": HOSTILE}}
    u = uncertainty_payload(scores, info)
    assert [u[k] for k in ("method", "basis", "reason")] == [escape_text(HOSTILE)] * 3
    # a model family the card does not know is shown by its own name, escaped
    f = fitted_payload(pd.DataFrame({"expected_events": [0.1]}), {"model": HOSTILE})
    assert f["model"] == escape_text(HOSTILE)


def test_the_panels_p_values_percentages_and_origin_day():
    # mutants: p = 0.001 written "<0.001", p to 3 digits, a share of the area 2.5 % written
    # "2 %" (or "3 %"), the forecast's origin cut to its month
    from pipeline.render._panels import evaluation_section, model_section

    factor = {"name": "f", "selected": True, "rr_per_sd": 1.5, "rr_ci95": [1.1, 2.0]}
    assert "<td>0.001</td>" in model_section({"factors": [dict(factor, p_value=0.001)]})
    assert "<td>0.046</td>" in model_section({"factors": [dict(factor, p_value=0.04567)]})
    html = model_section({"origin": "2024-06-30T00:00:00+00:00", "horizon_days": 91})
    assert "from 2024-06-30:" in html
    at = [{"area_fraction": a, "hit_rate": {"mean": 0.5, "sd": 0.1}} for a in (0.025, 0.2)]
    html = evaluation_section({"summary": {"published": {"at": at}}, "origins": [{}]})
    assert "<th>hit @ 2.5 %</th>" in html and "<th>hit @ 20 %</th>" in html


def test_a_rasters_pixels_are_its_own_values_at_their_own_latitudes_on_the_web_map():
    # mutants: the colour scale reversed (the lowest value drawn in the top colour), and the
    # rows not resampled to Web Mercator (an overlay from 0 to 80° N had its 60° N row drawn
    # at the latitude Mercator gives 40° N's row, 13° too far south)
    import matplotlib

    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_rgba

    rows = 160
    lat_centres = 80.0 - (np.arange(rows) + 0.5) * 80.0 / rows  # north first
    raster = RasterOverlay("lat", np.repeat(lat_centres[:, None], 2, axis=1), (0.0, 0.0, 1.0, 80.0))
    rgba, vmin, vmax = raster_rgba(raster)
    cmap = matplotlib.colormaps[raster.colormap]
    palette = (cmap(np.linspace(0.0, 1.0, 1001))[:, :3] * 255).round()
    # each output row's colour read back to its value on the scale (nearest palette entry)
    shown = vmin + (vmax - vmin) * np.array(
        [np.abs(palette - rgba[r, 0, :3]).sum(axis=1).argmin() / 1000.0 for r in range(rows)]
    )
    # the latitude Web Mercator puts at each output row's centre, by hand
    y = lambda lat: np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))  # noqa: E731
    ys = y(80.0) - (np.arange(rows) + 0.5) * (y(80.0) - y(0.0)) / rows
    lat_at = np.degrees(2 * np.arctan(np.exp(ys)) - np.pi / 2)
    assert np.abs(shown - lat_at).max() < 1.0


def test_a_view_wider_than_half_the_world_is_not_moved_the_long_way_round():
    # mutant: view_bounds always taking the 0..360 range once the cells span over 180°:
    # cells at 100° W, 0° and 100° E were framed 0..260 (centred on 130° E, the Greenwich
    # cell drawn at the view's edge) instead of 100° W..100° E
    import h3

    from pipeline.render._payload import view_bounds

    cells = [h3.latlng_to_cell(10.0, lon, 4) for lon in (-100.0, 0.0, 100.0)]
    (_, lon0), (_, lon1) = view_bounds(np.array([int(c, 16) for c in cells], dtype="uint64"))
    # the shortest arc holding the three, by hand: 360° less the largest gap (160°)
    assert -102 < lon0 < -100 and 100 < lon1 < 102


def test_the_mercator_note_counts_the_cells_beyond_the_edge_not_all_cells():
    # mutant: "N of N scored cells lie beyond 85.05°" with N every cell of the map
    import h3

    from pipeline.render._payload import mercator_note

    ids = {h3.latlng_to_cell(lat, lon, 3) for lat in (86.0, 88.0, 80.0, 70.0) for lon in (0, 90)}
    cells = np.array(sorted(int(c, 16) for c in ids), dtype="uint64")
    beyond = sum(abs(h3.cell_to_latlng(format(int(c), "x"))[0]) > 85.0511287798 for c in cells)
    assert 0 < beyond < len(cells)
    note = mercator_note(cells)
    assert note.startswith(f"{beyond:,} of {len(cells):,} scored cells lie beyond 85.05° N,")


def test_a_transit_cell_of_no_traffic_lies_in_the_legend_row_it_is_drawn_in():
    # Found while checking the transit mutants: the quantile edges are of the positive
    # hours, and a cell of 0 h was clipped into the lowest class, whose legend row read
    # "0.5–2 h" (pipeline.testing's sample transit has such cells, so does any MapData)
    data = sample_map_data(40, seed=22, n_seizures=3, n_events=2)
    data.transit = data.transit.assign(
        **{S.VESSEL_HOURS: np.resize([0.0, 0.5, 1.0, 2.0, 5.0, 9.0, np.nan], len(data.transit))}
    )
    page = _page(data)
    layer = _layers(page)["transit"]
    block = re.search(r'data-layer="transit">(.*?</div>)</div>', page).group(1)
    rows = [tuple(map(float, r)) for r in re.findall(r"</i>([\d.]+)–([\d.]+) h</div>", block)]
    table = data.transit.set_index(S.CELL).loc[decode_like_js(layer["cells"]), S.VESSEL_HOURS]
    for cls, hours in zip(layer["cls"], table, strict=True):
        if np.isnan(hours):
            assert cls == -1
            continue
        lo, hi = rows[cls]
        assert lo <= hours <= hi, (hours, rows[cls])
    assert rows[0][0] == 0.0


def test_the_legend_states_fixed_breaks_to_their_own_digits():
    # mutant: the legend's numbers to 3 significant digits: a fixed break of 33.33 read
    # "33.3", and a cell shown at 33.3 (below it, in the class under it) then read as the
    # start of the class above
    data = sample_map_data(40, seed=23, n_seizures=3, n_events=2)
    breaks = [0.0, 12.34, 33.33, 66.67, 100.0]
    labels = ["low", "medium", "high", "very high"]
    s = data.scores
    s[S.RISK] = np.resize([33.3, 12.3, 50.0, 80.0, 5.0], len(s))
    codes = np.clip(np.searchsorted(breaks, s[S.RISK], side="right") - 1, 0, 3)
    s[S.RISK_CLASS] = np.asarray(labels, dtype=object)[codes]
    data.class_breaks, data.class_labels = breaks, labels
    page = _page(data)
    rows = re.search(r'<div id="rr-legend-risk-rows">(.*?</div>)</div>', page).group(1)
    stated = re.findall(r"\(([\d.]+)–([\d.]+) points", rows)
    assert [float(lo) for lo, _ in stated] == breaks[:-1]
    assert [float(hi) for _, hi in stated] == breaks[1:]


def test_no_seizure_layers_for_a_run_without_seizure_positions():
    # mutant: an empty seizure table still drawn as two empty layers in the layer control
    data = sample_map_data(20, seed=24, n_seizures=0, n_events=2)
    assert data.seizures is not None and data.seizures.empty
    page = _page(data)
    assert "Seizures (heat)" not in page and "Seizures (points)" not in page
    assert "routeRisk.seizureLayer(" not in page
