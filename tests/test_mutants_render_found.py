"""What the map says about a hexagon, read back against the run's own tables (review hFD).

A hand mutation analysis of ``pipeline/render`` left these claims of the page untested: each
test kills mutants that survived the render tests (see the commit messages).  The page of one
small run is compared with its published ``scores.parquet``, ``timeline.parquet`` and
``evaluation.json``; edge cases the small run lacks use :func:`pipeline.testing.sample_map_data`
with values computed here by hand.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _maps import decode_like_js

from pipeline import schema as S

FACTORS = ("nightlights_mean", "seizure_density", "vessel_hours")


@pytest.fixture(scope="module")
def run(small_run) -> Path:
    """The session's one small run (conftest's ``small_run``): its out_dir, read only."""
    return small_run


def _page(out: Path) -> str:
    return (out / "risk_map.html").read_text("utf-8")


def _layers(page: str) -> dict:
    found = re.findall(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL)
    return {p["key"]: p for p in map(json.loads, found)}


@pytest.fixture(scope="module")
def card(run) -> tuple[dict, pd.DataFrame]:
    """The risk layer's payload and the published scores in the payload's cell order."""
    d = _layers(_page(run))["risk"]
    scores = pd.read_parquet(run / "scores.parquet").set_index(S.CELL)
    return d, scores.loc[decode_like_js(d["cells"])]


def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype="float64")


def _js_fmt(v: float) -> str:
    """route_risk.js's fmt(): 4 significant digits, a whole number from 1,000 on."""
    if abs(v) >= 1000:
        return f"{round(v):,}"
    return f"{float(f'{v:.4g}'):g}"


def _least_moved(raw: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per row, the least sum of |value - raw| over values floor or ceil adding to ``total``.

    By brute force over every floor/ceil choice (8 for three factors): the rounding the
    card's points promise, computed without the renderer's largest-remainder code.
    """
    ok = np.isfinite(raw)
    low = np.floor(np.where(ok, raw, 0.0))
    best = np.full(len(raw), np.inf)
    k = raw.shape[1]
    for bits in range(2**k):
        up = np.array([(bits >> j) & 1 for j in range(k)], dtype=bool)
        vals = low + up[None, :]
        fits = (np.where(ok, vals, 0.0).sum(axis=1) == total) & ~(up[None, :] & ~ok).any(axis=1)
        moved = np.where(ok, np.abs(vals - np.where(ok, raw, 0.0)), 0.0).sum(axis=1)
        best = np.where(fits, np.minimum(best, moved), best)
    return best


def test_card_points_are_the_tables_contributions_and_add_up_to_the_risk(card):
    d, scores = card
    by_name = {f["label"].replace(" ", "_"): f for f in d["factors"]}
    shown, raw = [], []
    for name in FACTORS:
        points = _arr(by_name[name]["contrib"])
        table = scores[name + S.CONTRIB_SUFFIX].to_numpy(dtype="float64")
        # each factor's points are its published contribution, to 0.01 (largest remainder
        # moves a point by less than one unit of 0.01)
        assert np.nanmax(np.abs(points - table)) < 0.01, name
        covered = scores[name + S.COVERED_SUFFIX].fillna(False).to_numpy(dtype=bool)
        shown.append(np.where(covered, points, np.nan))
        raw.append(np.where(covered, table, np.nan))
    shown_c, raw_c = np.column_stack(shown), np.column_stack(raw)
    # the card's total row adds the covered factors' points: the risk, to the 0.01 it lists
    total = np.nansum(shown_c, axis=1)
    risk = scores[S.RISK].to_numpy(dtype="float64")
    assert np.abs(total - np.round(np.nansum(raw_c, axis=1), 2)).max() < 1e-6
    assert np.abs(total - risk).max() < 0.005 + 1e-5
    assert d["risk"] == np.round(risk, 1).tolist()
    # the points moved least to add up (largest remainder): no point further off than needed
    units = 100.0 * raw_c
    moved = np.nansum(np.abs(100.0 * shown_c - units), axis=1)
    least = _least_moved(units, np.round(np.nansum(units, axis=1)))
    assert np.abs(moved - least).max() < 1e-6


def _sig_down(x: np.ndarray, digits: int) -> np.ndarray:
    """``x`` (> 0) rounded down to ``digits`` significant digits, by hand."""
    step = 10.0 ** (np.floor(np.log10(x)) - digits + 1)
    return np.floor(x / step + 1e-9) * step


def test_gi_star_rows_are_the_tables_corrected_p_z_and_trend(card):
    d, scores = card
    h = d["hotspot"]
    # the p beside the class is the corrected one, said so, rounded down (never up to 0.1)
    assert h["pLabel"] == "corrected p"
    p, table_p = _arr(h["p"]), scores["gi_p_adjusted"].to_numpy(dtype="float64")
    assert np.allclose(p, _sig_down(table_p, 3), rtol=1e-9, atol=0)
    assert not np.allclose(p, _sig_down(scores["gi_p"].to_numpy(dtype="float64"), 3))
    z = _arr(h["z"])
    assert np.allclose(z, scores["gi_z"].to_numpy(dtype="float64"), rtol=5e-3, atol=1e-12)
    # the trend and the emerging category are the cell's own; missing stays missing
    trend = [None if c < 0 else h["trends"][c] for c in h["trend"]]
    want = scores["trend"].astype(object).where(scores["trend"].notna(), None).tolist()
    assert trend == want and None in want
    category = [None if c < 0 else h["categories"][c] for c in h["category"]]
    assert category == scores["emerging_category"].tolist()
    tp, table_tp = _arr(h["trendP"]), scores["trend_p"].to_numpy(dtype="float64")
    assert np.array_equal(np.isnan(tp), np.isnan(table_tp))
    ok = ~np.isnan(tp) & (table_tp > 0)
    assert np.allclose(tp[ok], _sig_down(table_tp[ok], 2), rtol=1e-9, atol=0)


def test_interval_rows_are_the_tables_bounds_at_the_risks_precision(run, card):
    d, scores = card
    u = d["uncertainty"]
    lower, upper = _arr(u["lower"]), _arr(u["upper"])
    assert np.array_equal(lower, np.round(scores["risk_lower"].to_numpy(dtype="float64"), 1))
    assert np.array_equal(upper, np.round(scores["risk_upper"].to_numpy(dtype="float64"), 1))
    risk = np.asarray(d["risk"], dtype="float64")
    assert (lower <= risk).all() and (risk <= upper).all() and (lower < upper).any()
    stability = _arr(u["stability"])
    assert np.array_equal(stability, np.round(scores["risk_class_stability"].to_numpy(), 3))
    interval = json.loads((run / "manifest.json").read_text())["hotspots"]["uncertainty"]
    lo, hi = interval["interval"]
    assert u["level"] == pytest.approx(100.0 * (hi - lo)) and u["reason"] == ""


def _table(page: str, table_id: str) -> list[list[str]]:
    """The rows of a panel table as lists of cell texts (tags dropped, entities decoded)."""
    body = re.search(rf'<table class="rr-table" id="{table_id}">(.*?)</table>', page).group(1)
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def _bold(page: str, table_id: str) -> list[list[bool]]:
    body = re.search(rf'<table class="rr-table" id="{table_id}">(.*?)</table>', page).group(1)
    return [
        ['class="rr-best"' in c for c in re.findall(r"<td[^>]*>", r)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body)[1:]
    ]


def test_back_test_panel_states_each_methods_hit_rates_and_wins_of_evaluation_json(run):
    page = _page(run)
    ev = json.loads((run / "evaluation.json").read_text())
    fractions = (0.01, 0.05, 0.1)
    names = {"published": "this map", "uniform": "uniform", "all_prior_counts": "all prior counts"}
    names |= {"recent_counts": "recent counts", "density": "density factor"}
    names["kde"] = f"plain KDE ({ev['options']['kde_bandwidth_km']:g} km)"
    rows = _table(page, "rr-eval-hits")
    assert rows[0] == ["method", "hit @ 1 %", "hit @ 5 %", "hit @ 10 %"]
    shown = {r[0]: r[1:] for r in rows[1:]}
    means = []
    for method, label in names.items():
        at = {round(a["area_fraction"], 6): a["hit_rate"] for a in ev["summary"][method]["at"]}
        assert shown[label] == [f"{at[a]['mean']:.3f} ± {at[a]['sd']:.3f}" for a in fractions]
        means.append([at[a]["mean"] for a in fractions])
    # the published map first; bold marks each column's highest mean
    assert rows[1][0] == "this map"
    order = [r[0] for r in rows[1:]]
    m = np.array([means[list(names.values()).index(label)] for label in order])
    assert _bold(page, "rr-eval-hits") == (m >= m.max(axis=0) - 1e-12).tolist()
    wins = _table(page, "rr-eval-wins")
    assert wins[0] == ["baseline", "@ 1 %", "@ 5 %", "@ 10 %"]
    for row in wins[1:]:
        base = next(k for k, v in names.items() if row[0] == f"vs {v}")
        per = {round(w["area_fraction"], 6): w for w in ev["wins"]["published"][base]}
        want = [f"{per[a]['wins']} / {per[a]['ties']} / {per[a]['losses']}" for a in fractions]
        assert row[1:] == want, base
    opts = ev["options"]
    assert f"from the {opts['train_days']:,.0f} days before an origin" in page
    assert f"events of the next {opts['horizon_days']:,.0f} days" in page
    n = len(ev["origins"])
    assert f"<b>{n}</b> origin{'s' if n != 1 else ''} scored" in page


def test_slider_months_and_their_present_data_are_the_timeline_tables(run, card):
    d, _ = card
    tl = d["timeline"]
    table = pd.read_parquet(run / "timeline.parquet")
    months = sorted(table[S.PERIOD].astype(str).unique())
    assert tl["periods"] == months
    present = table.groupby(S.PERIOD, observed=True)["present_data_factors"].first()
    want = [", ".join(str(present[m]).replace("_", " ").split(",")) for m in months]
    assert tl["present"] == want
    # the months before the tracks have their transit missing (not today's, present data)
    missing = table.groupby(S.PERIOD, observed=True)["missing_factors"].first()
    want = [", ".join(x for x in str(missing[m]).replace("_", " ").split(",") if x) for m in months]
    assert tl["missing"] == want and len(set(want)) > 1
    # each month's row is that month's risk (the card's "Risk in <month>")
    cells = decode_like_js(d["cells"])
    for k, month in enumerate(months):
        rows = table[table[S.PERIOD] == month].set_index(S.CELL)[S.RISK].reindex(cells)
        assert np.array_equal(_arr(tl["risk"][k]), rows.to_numpy(dtype="float64"), equal_nan=True)


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[k : k + 2], 16) / 255.0 for k in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_legend_rows_are_the_drawn_classes_and_no_data_is_not_a_low_colour(run, card):
    d, scores = card
    page = _page(run)
    rows = re.findall(
        r'<div><i style="background:(#[0-9a-f]{6})"></i>([^<(]+) \(([^–]+)–([^ ]+) points, '
        r"([\d,]+) cells?\)</div>",
        re.search(r'<div id="rr-legend-risk-rows">(.*?</div>)</div>', page).group(1),
    )
    assert [r[0] for r in rows] == d["colors"] and [r[1] for r in rows] == d["labels"]
    assert [float(r[2]) for r in rows] == d["breaks"][:-1]
    assert [float(r[3]) for r in rows] == d["breaks"][1:]
    counts = scores[S.RISK_CLASS].value_counts()
    assert [int(r[4].replace(",", "")) for r in rows] == [
        int(counts.get(x, 0)) for x in d["labels"]
    ]
    # a higher class is a darker colour (YlOrRd): the top class is not drawn light
    lum = [_luminance(c) for c in d["colors"]]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False))
    # a cell without data is drawn in the legend's no-data grey, which no class shares
    css = (Path(__file__).parents[1] / "pipeline/assets/route_risk.css").read_text()
    swatch = re.search(r"\.rr-legend \.rr-nodata-swatch \{ background: (#[0-9a-f]{6})", css)
    assert d["noDataColor"] == swatch.group(1)
    assert d["noDataColor"] not in d["colors"] + d["palettes"]["ramp"]


def test_hot_spot_outlines_are_the_tables_classes_one_colour_for_hot_one_for_cold(run, card):
    _, scores = card
    layers = _layers(_page(run))
    sig = layers["significance"]
    cells = decode_like_js(sig["cells"])
    table = scores.loc[cells, "gi_class"].tolist()
    legend = re.search(r'data-layer="significance">(.*?)<div class="rr-legend-note">', _page(run))
    rows = re.findall(
        r'style="border:([\d.]+)px (solid|dashed) (#[0-9a-f]{6})"></i>([^<]+)<', legend.group(1)
    )
    by_label = {
        re.sub(r", (\d+) % confidence", r" \1%", label): (c, dash) for _, dash, c, label in rows
    }
    for cls, label in zip(sig["cls"], table, strict=True):
        style = sig["styles"][cls]
        assert (style["color"], "dashed" if style["dash"] else "solid") == by_label[label]
    assert set(table) == set(by_label) and len(table) == int((scores["gi_bin"] != 0).sum())
    hot = {sig["styles"][k]["color"] for k, (b, *_) in enumerate(sig_classes()) if b > 0}
    cold = {sig["styles"][k]["color"] for k, (b, *_) in enumerate(sig_classes()) if b < 0}
    assert len(hot) == 1 and len(cold) == 1 and hot != cold
    assert {c for c, _ in by_label.values()} == hot


def sig_classes():
    from pipeline.render._legend import SIGNIFICANCE_CLASSES

    return SIGNIFICANCE_CLASSES


def _sample_page(data, **options) -> str:
    from pipeline.render import RenderOptions, build_map, map_to_html

    m = build_map(
        data, as_of="2026-06-30", run_id="run-1", inputs=["s.csv"], options=RenderOptions(**options)
    )
    return map_to_html(m)


def test_card_rows_stay_with_their_cells_when_the_scores_come_unsorted():
    from dataclasses import replace

    from pipeline.testing import sample_map_data

    data = sample_map_data(60, seed=3, n_seizures=20, n_events=5, hotspots=True)
    shuffled = data.scores.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert not shuffled[S.CELL].is_monotonic_increasing
    d = _layers(_sample_page(replace(data, scores=shuffled)))["risk"]
    table = data.scores.set_index(S.CELL).loc[decode_like_js(d["cells"])]
    assert d["risk"] == np.round(table[S.RISK].to_numpy(dtype="float64"), 1).tolist()
    observed = table["observed"].to_numpy(dtype=bool)
    shown = [d["labels"][c] if c >= 0 else None for c in d["cls"]]
    assert shown == np.where(observed, table[S.RISK_CLASS].to_numpy(dtype=object), None).tolist()
    assert d["hotspot"]["bin"] == table["gi_bin"].astype(int).tolist()


def test_a_factor_value_from_1000_on_is_shown_to_the_unit_as_the_table_has_it():
    from pipeline.testing import sample_map_data

    data = sample_map_data(12, seed=1, n_seizures=5, n_events=2, uncovered_fraction=0.0)
    hours = [12_345.0, 2_109.84, 999.94, 0.000875, 3.84, 1_000.4] + [1.0] * 6
    data.scores[S.VESSEL_HOURS] = hours
    d = _layers(_sample_page(data))["risk"]
    table = data.scores.set_index(S.CELL).loc[decode_like_js(d["cells"])][S.VESSEL_HOURS]
    f = next(f for f in d["factors"] if f["label"] == "Vessel-hours")
    # the card writes each value with fmt(): 12,345 vessel-hours, never "12,350"
    assert [_js_fmt(v) for v in f["values"]] == [_js_fmt(v) for v in table.to_numpy()]
    assert 12_345.0 in f["values"] and 0.000875 in f["values"]


def test_each_cell_reads_as_the_class_its_shown_risk_falls_in_on_the_stated_breaks(card):
    """The legend: a class holds its lower break, not its upper one (but the top class)."""
    d, scores = card
    risk = np.asarray(d["risk"], dtype="float64")  # as the card shows it, to 0.1
    breaks = np.asarray(d["breaks"])
    k = np.clip(np.searchsorted(breaks, risk, side="right") - 1, 0, breaks.size - 2)
    assert np.array_equal(np.asarray(d["cls"]), k)
    assert [d["labels"][c] for c in d["cls"]] == scores[S.RISK_CLASS].tolist()
    # the run has cells whose unrounded risk lies just under a break its 0.1 reaches
    raw = scores[S.RISK].to_numpy(dtype="float64")
    assert (np.isin(risk, breaks[1:-1]) & (raw < risk)).any()


@pytest.mark.parametrize("fitted", [False, True], ids=["weighted", "fitted"])
def test_the_preview_legend_states_the_risk_in_the_maps_unit(tmp_path, monkeypatch, fitted):
    """A fitted run's risk is a percentile of expected events per km², not points of 100.

    The preview's legend said "points" for every run while the map's legend of the same
    run said "percentile of expected events per km²".
    """
    from matplotlib.axes import Axes

    from pipeline.render import write_preview_png
    from pipeline.testing import sample_map_data

    data = sample_map_data(30, seed=2, n_seizures=5, n_events=2, fitted=fitted)
    seen: dict = {}
    legend = Axes.legend

    def spy(self, *args, **kwargs):
        seen["title"] = kwargs.get("title")
        seen["labels"] = [h.get_label() for h in kwargs.get("handles", [])]
        return legend(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", spy)
    write_preview_png(data, tmp_path / "p.png", title="t", dpi=30)
    page_title = re.search(r'id="rr-legend-risk-title">([^<]+)<', _sample_page(data)).group(1)
    assert unescape(page_title).lower() == seen["title"].lower()
    rows = seen["labels"][:-1]
    assert len(rows) == len(data.class_labels) and seen["labels"][-1] == "no data"
    assert all(r.endswith(")") and (" points)" in r) != fitted for r in rows), rows


def test_a_cell_without_a_gi_star_result_reads_not_computed_not_insignificant():
    from pipeline.testing import sample_map_data

    data = sample_map_data(40, seed=4, n_seizures=5, n_events=2, hotspots=True)
    lone = data.scores.index[::7]
    data.scores["gi_bin"] = data.scores["gi_bin"].astype("float64")
    data.scores.loc[lone, ["gi_bin", "gi_z", "gi_p_adjusted"]] = np.nan
    data.scores.loc[lone, "gi_class"] = None
    d = _layers(_sample_page(data))["risk"]
    h = d["hotspot"]
    table = data.scores.set_index(S.CELL).loc[decode_like_js(d["cells"])]
    missing = table["gi_bin"].isna().to_numpy()
    assert missing.sum() == len(lone)
    assert [b is None for b in h["bin"]] == missing.tolist()
    assert [c < 0 for c in h["cls"]] == missing.tolist()
    assert all(np.isnan(_arr(h["z"])[missing])) and all(np.isnan(_arr(h["p"])[missing]))


def test_the_quantile_note_counts_the_observed_cells_only():
    from pipeline.testing import sample_map_data

    data = sample_map_data(60, seed=5, n_seizures=5, n_events=2)
    n_observed = int(data.scores["observed"].sum())
    assert 0 < n_observed < len(data.scores)
    page = _sample_page(data, classes="quantile")
    assert f"quantile classes of this run ({n_observed:,} observed cells" in page


@pytest.mark.parametrize("fdr", [True, False], ids=["fdr", "no-fdr"])
def test_the_cards_p_is_called_corrected_only_when_the_run_corrected_it(fdr):
    """``gi_p_adjusted`` is the p the class was decided on: BH-adjusted unless ``fdr`` is off.

    With ``hotspots.fdr: false`` the card still read "corrected p" beside the legend's and
    the panel's "p-values not corrected".
    """
    from pipeline.testing import sample_map_data

    data = sample_map_data(30, seed=6, n_seizures=5, n_events=2, hotspots=True)
    data.hotspots["gi_star"]["fdr"] = fdr
    page = _sample_page(data)
    h = _layers(page)["risk"]["hotspot"]
    assert h["pLabel"] == ("corrected p" if fdr else "p (not corrected)")
    assert ("p-values not corrected" in page) is not fdr
    table = data.scores.set_index(S.CELL).loc[decode_like_js(_layers(page)["risk"]["cells"])]
    assert np.allclose(_arr(h["p"]), _sig_down(table["gi_p_adjusted"].to_numpy(), 3), rtol=1e-9)


def test_the_panel_compares_the_ranked_area_with_the_whole_area_of_the_maps_cells(run):
    import h3

    page = _page(run)
    hex_ids = pd.read_csv(run / "scores.csv", usecols=[S.HEX_ID])[S.HEX_ID]
    area = sum(h3.cell_area(h, unit="km^2") for h in hex_ids)  # 2,039 cells, by h3 itself
    m = re.search(r"not the ([\d,]+) cells this map shows \(([\d,]+) km²\)", page)
    assert int(m.group(1).replace(",", "")) == len(hex_ids)
    assert int(m.group(2).replace(",", "")) == pytest.approx(area, abs=1.0)


def test_an_interval_missing_in_some_cells_gives_no_run_wide_reason():
    from pipeline.render._payload import uncertainty_payload

    scores = pd.DataFrame({"risk_lower": [1.0, np.nan], "risk_upper": [3.0, np.nan]})
    info = {"uncertainty": {"interval": [0.05, 0.95], "reason": "one seizure position"}}
    u = uncertainty_payload(scores, info)
    assert u["lower"] == [1.0, None] and u["reason"] == ""
    none = uncertainty_payload(scores.iloc[1:], info)
    assert none["lower"] == [None] and none["reason"] == "one seizure position"


def test_the_reason_a_back_test_was_skipped_is_escaped():
    from pipeline.render import escape_text
    from pipeline.render._panels import evaluation_section

    hostile = "<img src=x onerror=alert(1)>"
    html = evaluation_section({"skipped": hostile})
    assert "<img" not in html and f"Not evaluated: {escape_text(hostile)}" in html


def test_the_latest_event_is_the_tables_day_and_none_where_the_cell_has_none(card):
    d, scores = card
    latest = scores["latest_event"]
    days = [None if pd.isna(t) else (t - pd.Timestamp(0, tz="UTC")).days for t in latest]
    assert d["latest"] == days and None in days


def test_a_transit_value_on_a_break_is_in_the_class_that_break_opens():
    from pipeline.render import RenderOptions
    from pipeline.render._payload import transit_payload
    from pipeline.testing import sample_cells

    hours = np.r_[np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 5), np.nan]  # ties; one unknown
    cells = sample_cells(hours.size, seed=8)
    payload, edges = transit_payload(
        pd.DataFrame({S.CELL: cells, S.VESSEL_HOURS: hours}), RenderOptions()
    )
    shown = pd.Series(payload["cls"], index=decode_like_js(payload["cells"]))
    value = pd.Series(hours, index=cells)[shown.index].to_numpy()
    # as the risk legend says: a class holds its lower edge, the top class its upper one too
    e = np.asarray(edges)
    want = np.minimum(np.searchsorted(e, value, "right") - 1, e.size - 2)
    # an unknown value is no class (drawn grey), never the lowest one
    want = np.where(np.isnan(value), -1, want)
    assert np.array_equal(shown.to_numpy(), want)
    assert np.isin(hours, e[1:-1]).any()
    assert [v is None for v in payload["values"]] == np.isnan(value).tolist()


def test_a_rasters_cells_without_data_are_transparent_not_its_lowest_colour():
    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_rgba

    a = np.array([[0.0, 1.0, np.nan], [np.nan, 2.0, 3.0]])
    rgba, vmin, vmax = raster_rgba(RasterOverlay("r", a, (0.0, 0.0, 3.0, 2.0)))
    assert (vmin, vmax) == (0.0, 3.0)
    alpha = rgba[..., 3]
    assert alpha.shape == a.shape
    assert (alpha[np.isnan(a)] == 0).all() and (alpha[~np.isnan(a)] == 255).all()


def test_script_literals_cannot_close_the_script_whatever_the_text():
    from pipeline.render._escaping import to_js

    text = to_js({"label": "</script><script>alert(1)</script>", "x": ["<!--", "&amp;"]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["label"] == "</script><script>alert(1)</script>"


def test_a_p_any_event_that_is_not_poisson_is_sent_to_three_digits():
    from pipeline.testing import sample_map_data

    data = sample_map_data(30, seed=9, n_seizures=5, n_events=2, fitted=True)
    expected = data.scores["expected_events"].to_numpy(dtype="float64")
    data.scores["p_any_event"] = expected / (1.0 + expected)  # a negative binomial's, k = 1
    f = _layers(_sample_page(data))["risk"]
    table = data.scores.set_index(S.CELL).loc[decode_like_js(f["cells"]), "p_any_event"]
    fitted = f["fitted"]
    assert fitted["pAnyPoisson"] is False
    assert np.allclose(_arr(fitted["pAny"]), table.to_numpy(), rtol=5e-3, atol=0)


def test_the_cards_seizure_counts_are_the_cells_own(card):
    d, scores = card
    assert d["commodities"]
    for c in d["commodities"]:
        table = scores[S.SEIZURES_PREFIX + c["label"]].to_numpy()
        assert c["counts"] == table.astype(int).tolist(), c["label"]
    totals = np.sum([c["counts"] for c in d["commodities"]], axis=0)
    assert np.array_equal(totals, scores["n_seizures"].to_numpy())


def test_a_month_without_the_tables_classes_keeps_the_risks_tenth(run, card):
    """Without a ``class`` column the page classes a month's risk on the map's breaks, at 0.1."""
    from pipeline.render._slider import timeline_payload

    d, _ = card
    table = pd.read_parquet(run / "timeline.parquet").drop(columns=["class"])
    cells = decode_like_js(d["cells"])
    tl = timeline_payload(table, cells)
    assert tl["cls"] is None and tl["breaks"] is None
    for k, month in enumerate(tl["periods"]):
        rows = table[table[S.PERIOD] == month].set_index(S.CELL)[S.RISK].reindex(cells)
        want = np.round(rows.to_numpy(dtype="float64"), 1)
        assert np.array_equal(_arr(tl["risk"][k]), want, equal_nan=True), month


def test_seizure_popups_carry_the_tables_quantities_and_missing_stays_missing(run):
    found = re.search(r"routeRisk\.seizureLayer\((\{.*?\})\);", _page(run), re.DOTALL)
    d = json.loads(found.group(1))
    table = pd.read_parquet(run / "seizures.parquet")
    assert len(d["quantity"]) == len(table)
    shown = pd.DataFrame({"lat": d["lat"], "q": _arr(d["quantity"])}).sort_values(["lat", "q"])
    want = pd.DataFrame(
        {"lat": np.round(table[S.LAT], 5), "q": np.round(table[S.QUANTITY].to_numpy(float), 3)}
    ).sort_values(["lat", "q"])
    assert np.array_equal(shown.to_numpy(), want.to_numpy(), equal_nan=True)
    assert np.isnan(shown["q"]).any()


def test_the_transit_legend_colours_are_the_colours_its_cells_are_drawn_in():
    from pipeline.testing import sample_map_data

    data = sample_map_data(40, seed=10, n_seizures=5, n_events=2)
    data.transit = data.transit.assign(
        **{S.VESSEL_HOURS: np.resize([1.0, 1.0, 1.0, 5.0, 9.0], len(data.transit))}
    )
    page = _sample_page(data)
    layer = _layers(page)["transit"]
    block = re.search(r'data-layer="transit">(.*?</div>)</div>', page).group(1)
    legend = re.findall(r'<i style="background:(#[0-9a-f]{6})"></i>', block)
    assert 1 < len(legend) < 5 and legend == layer["colors"]
    # the rows are vessel-hours, as the layer's card says (its unit "h")
    rows = re.findall(r"</i>([^<]+)</div>", block)
    assert len(rows) == len(legend) and all(r.endswith(f" {layer['unit']}") for r in rows)
    assert layer["unit"] == "h"
    # the lowest hours in the lightest blue the legend gives, the highest in the darkest
    assert _luminance(legend[0]) > _luminance(legend[-1])


def test_the_model_sections_p_values_and_the_gi_star_correction_clause():
    from pipeline.render._panels import hotspots_section, model_section

    factor = {"name": "f", "selected": True, "rr_per_sd": 1.5, "rr_ci95": [1.1, 2.0]}
    html = model_section({"factors": [dict(factor, p_value=0.004)]})
    assert "<td>0.004</td>" in html
    html = model_section({"factors": [dict(factor, p_value=0.0004)]})
    assert "<td>&lt;0.001</td>" in html
    gi = {"cells": 100, "fdr": True, "hot_cells": 1, "cold_cells": 0}
    # every cell in the correction: no "over the ... cells with a neighbour" clause
    assert "cells with a neighbour" not in hotspots_section({"gi_star": dict(gi, fdr_cells=100)})
    some = hotspots_section({"gi_star": dict(gi, fdr_cells=90)})
    assert "over the 90 cells with a neighbour" in some


@pytest.mark.parametrize(
    ("area_km2", "about"),
    [(1_000.0, True), (1_049.0, True), (951.0, True), (1_060.0, False), (940.0, False)],
)
def test_the_back_tests_area_is_called_the_maps_only_within_five_percent(area_km2, about):
    # "about the area of the cells this map shows" only within 5 %; beyond, the ratio is said
    from pipeline.render._panels import universe_text

    ev = {"origins": [{"n_cells": 50, "area_km2": area_km2}], "universe": "the cells ranked"}
    text = universe_text(ev, 1_000.0, 10)
    assert ("about the area of the 10 cells this map shows" in text) is about
    assert ("% of the map's" in text) is (not about)


def test_emerging_categories_with_no_cell_are_not_listed():
    from pipeline.render._panels import hotspots_section

    em = {"cells": 9, "periods": 12, "period": "month"}
    em["categories"] = {"new hot spot": 2, "sporadic hot spot": 0, "no pattern detected": 7}
    html = hotspots_section({"emerging": em})
    assert "<li>new hot spot: 2</li>" in html and "<li>no pattern detected: 7</li>" in html
    assert "sporadic" not in html
    em["categories"] = {"new hot spot": 0}
    assert "no category." in hotspots_section({"emerging": em})
