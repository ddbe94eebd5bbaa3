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
