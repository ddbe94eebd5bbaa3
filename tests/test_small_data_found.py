"""Small and degenerate inputs end to end: every statistic is honest or said to be missing.

Found by running ``route-risk run`` on a handful of seizures (one, all at one point,
duplicates, one month, a fitted model on too few events) and reading the tables, manifest and
card against what the data can support.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import config_from

#: The uncertainty columns of the scores tables.
_UNC = ["risk_lower", "risk_upper", "risk_class_stability"]


def _run(tmp_path, rows, **sections):
    """Run the pipeline on seizure ``rows`` (date, lat, lon) in a small area at res 6."""
    import pipeline

    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "seizures.csv"
    path.write_text(
        "date,lat,lon,commodity,quantity,unit\n"
        + "".join(f"{d},{lat},{lon},cocaine,10,kg\n" for d, lat, lon in rows)
    )
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 3.0, 42.0], "resolution": 6},
        "inputs": {"seizures": [{"path": str(path)}]},
        "ingest": {"chunk_rows": None},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "evaluate": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    return pipeline.run_pipeline(config_from(raw, tmp_path, **sections))


def _published_uncertainty(res):
    """Return the scores table, the manifest's uncertainty summary and the manifest's notes."""
    manifest = json.loads((res.out_dir / "manifest.json").read_text())  # what a reader opens
    scores = pd.read_parquet(res.out_dir / "scores.parquet")
    return scores, manifest["hotspots"]["uncertainty"], manifest.get("notes", [])


@pytest.mark.parametrize(
    "rows",
    [
        [("2024-03-05", 41.0, 1.5)],  # one seizure
        [(f"2024-{m:02d}-05", 41.0, 1.5) for m in range(1, 13)],  # twelve at one point
    ],
    ids=["one-seizure", "all-at-one-point"],
)
def test_a_bootstrap_of_one_position_publishes_no_interval(tmp_path, rows):
    """Publish no interval where every seizure lies at one position.

    Resampling them can never move the map: the bootstrap gave risk_lower == risk_upper and
    a class stability of 100 % in every cell, which the card showed as a certain risk.
    """
    res = _run(tmp_path, rows)
    scores, unc, notes = _published_uncertainty(res)
    assert np.isfinite(scores["risk"]).all()
    for c in _UNC:
        assert scores[c].isna().all(), c
    assert unc["method"] == "none"
    assert "at one position" in unc["reason"]
    assert any("at one position" in n for n in notes)
    assert "median_interval_width" not in unc  # no 0.0 width summarised as a measurement


def _card_uncertainty(out) -> dict:
    """Return the uncertainty rows the map's risk layer hands its card."""
    import re

    page = (out / "risk_map.html").read_text("utf-8")
    found = re.findall(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL)
    return next(p for p in map(json.loads, found) if p["key"] == "risk")["uncertainty"]


def test_the_card_says_why_no_interval_was_computed(tmp_path):
    """Give the card the run's reason beside "not computed" (it had only the two words)."""
    res = _run(tmp_path, [("2024-03-05", 41.0, 1.5)])
    card = _card_uncertainty(res.out_dir)
    assert all(v is None for v in card["lower"])
    assert "at one position" in card["reason"]
    ok = _run(tmp_path / "two", [("2024-03-05", 41.0, 1.5), ("2024-04-05", 40.7, 2.2)])
    assert _card_uncertainty(ok.out_dir)["reason"] == ""  # computed: nothing to explain


def test_seizures_of_weight_zero_are_not_said_to_lie_at_one_position(tmp_path):
    """Give the true reason where no seizure weighs in the density (a commodity weight 0)."""
    rows = [("2024-03-05", 41.0, 1.5), ("2024-05-05", 41.2, 1.7)]
    res = _run(tmp_path, rows, density={"commodity_weights": {"cocaine": 0}})
    scores, unc, notes = _published_uncertainty(res)
    assert scores["risk_lower"].isna().all()
    assert unc["method"] == "none" and "every weight is 0" in unc["reason"]
    assert not any("one position" in n for n in notes)


def test_two_positions_still_get_a_bootstrap_interval(tmp_path):
    """Keep the interval where the resampling can vary: two positions do."""
    res = _run(tmp_path, [("2024-03-05", 41.0, 1.5), ("2024-04-05", 40.7, 2.2)])
    scores, unc, _ = _published_uncertainty(res)
    assert unc["method"].startswith("bootstrap")
    assert scores["risk_lower"].notna().all()
    assert (scores["risk_upper"] - scores["risk_lower"]).max() > 0


def _brute_exact_p(y: np.ndarray, card: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Return the folded conditional-randomization p by enumerating every neighbour set."""
    from itertools import combinations

    out = np.ones(y.size)
    for i in range(y.size):
        if card[i] == 0:
            continue
        others = np.delete(y, i)
        s = np.array([others[list(c)].sum() for c in combinations(range(others.size), card[i])])
        out[i] = min((s >= sums[i]).mean(), (s <= sums[i]).mean())
    return out


@pytest.mark.parametrize(
    ("y", "card"),
    [
        ([4, 1, 7], [1, 1, 2]),  # a three-cell area: one cell's neighbours are all the others
        ([2, 3, 3, 5, 0, 1], [3, 4, 5, 2, 3, 5]),  # each value held by fewer cells than a k
        ([0, 0, 1, 1, 1, 1, 2], [6, 2, 4, 6, 3, 1, 5]),
    ],
)
def test_exact_p_is_computed_where_a_value_has_fewer_cells_than_a_neighbourhood(y, card):
    """Give the exact conditional p where few cells share the smallest value.

    A small area (every cell holding seizures) gave gi_p_exact NaN: the hypergeometric
    weight of drawing more cells than were added so far is NaN in scipy, and it spread into
    the whole table.  Checked against the enumeration of every neighbour set.
    """
    from scipy import sparse

    from pipeline.hotspots import exact_p

    y = np.asarray(y, dtype="float64")
    card = np.asarray(card)
    rng = np.random.default_rng(7)
    rows, cols = list(range(y.size)), list(range(y.size))  # the cell itself (Gi*)
    for i, k in enumerate(card):
        picked = rng.choice(np.delete(np.arange(y.size), i), k, replace=False)
        rows += [i] * k
        cols += picked.tolist()
    matrix = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(y.size, y.size))
    sums = matrix @ y - y
    got = exact_p(matrix, y)
    assert got is not None and np.isfinite(got).all()
    np.testing.assert_allclose(got, _brute_exact_p(y, card, sums), atol=1e-9)


def test_one_missing_p_leaves_the_others_corrected():
    """Correct the p-values that exist; a missing one stays missing and is not a test.

    One NaN p (a cell the exact p failed on) made every Benjamini-Hochberg adjusted p NaN, so
    every cell of the run was 'not significant' with no corrected p.
    """
    from scipy.stats import false_discovery_control

    from pipeline.hotspots import fdr_bh

    p = np.array([0.001, 0.02, np.nan, 0.04, 0.3, 0.0004])
    got = fdr_bh(p)
    ok = np.isfinite(p)
    assert np.isnan(got[~ok]).all()
    np.testing.assert_allclose(got[ok], false_discovery_control(p[ok]), rtol=1e-12)


def test_a_three_cell_area_publishes_a_corrected_p_for_every_cell(tmp_path):
    """Publish an exact and a corrected p in every cell of a three-cell area.

    Twelve seizures in a 0.08-degree box at res 6 gave gi_p_exact NaN in the cell whose
    neighbours are the other two, and gi_p_adjusted NaN in all three (classes 'not
    significant' decided on no p at all).
    """
    rng = np.random.default_rng(6)
    rows = [
        (f"2024-{1 + i % 12:02d}-05", 41.0 + rng.random() * 0.08, 1.5 + rng.random() * 0.08)
        for i in range(12)
    ]
    bbox = {"bbox": [1.5, 41.0, 1.58, 41.08], "resolution": 6}
    res = _run(tmp_path, rows, area=bbox, hotspots={"uncertainty": {"enabled": False}})
    scores = pd.read_parquet(res.out_dir / "scores.parquet")
    assert 2 <= len(scores) <= 6
    assert (scores["gi_neighbours"] == len(scores)).any()  # a neighbourhood of every cell
    for c in ("gi_p_exact", "gi_p_adjusted"):
        assert scores[c].notna().all(), c
        assert ((scores[c] >= 0) & (scores[c] <= 1)).all(), c
    whole = scores["gi_neighbours"] == len(scores)
    assert (scores.loc[whole, "gi_p_exact"] == 1.0).all()  # its neighbours' sum is fixed


# ---- session B: the fitted model and the emerging trend on small data --------------------

_ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
_HORIZON = 91.0


@pytest.fixture(scope="module")
def model_cells():
    from pipeline.grid import region_to_cells

    return region_to_cells((0.0, 0.0, 2.0, 2.0), 5)  # ~190 cells of ~250 km²


def _factors_only(**extra):
    from pipeline.model import FittedOptions

    return FittedOptions(
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
        stride_days=_HORIZON,
        family="poisson",
        min_history_days=_HORIZON,
        **extra,
    )


def _events_in(rng, cells, idx, days=730.0):
    from pipeline.grid import cells_to_latlng

    lat, lon = cells_to_latlng(cells)
    t = _ORIGIN - pd.to_timedelta(rng.uniform(0, days, idx.size), unit="D")
    return pd.DataFrame({"time": t, "lon": lon[idx], "lat": lat[idx]})


def test_a_factor_missing_wherever_the_events_are_is_not_estimated(model_cells):
    """All training events lie where the factor is missing: its coefficient was identified by
    the fill value alone (published with p 6e-8 and RR 3 per SD on a 300-seizure run), now
    the factor and its indicator are dropped, saying why."""
    from pipeline.grid import cells_to_latlng
    from pipeline.model import FittedModel

    rng = np.random.default_rng(3)
    lat, _ = cells_to_latlng(model_cells)
    south = lat < 1.0
    v = np.where(south, np.nan, lat * 10.0)  # observed only in the north
    ev = _events_in(rng, model_cells, rng.choice(np.flatnonzero(south), 400))
    factors = pd.DataFrame({"cell": model_cells, "v": v})
    m = FittedModel(_factors_only(selection="none")).fit(ev, model_cells, _ORIGIN, factors)
    rep = m.report()
    json.dumps(rep, allow_nan=False)
    by = {r["name"]: r for r in rep["factors"]}
    assert by["v"]["selected"] is False and "p_value" not in by["v"], by["v"]
    dropped = {d["name"]: d["reason"] for d in rep["dropped"]}
    assert "lies where 'v' is missing" in dropped["v"], dropped
    assert "v__missing" in dropped, dropped
    assert np.isfinite(m.predict()["expected"]).all()


def test_a_relative_risk_per_unit_beyond_float_range_is_missing_not_inf(model_cells):
    """A factor measured in tiny units (sd 1e-6) has a per-unit relative risk of e^(b / sd):
    exp overflowed (a RuntimeWarning in the run's log, inf in the report); it is now missing,
    the per-SD figures stay."""
    from pipeline.model import FittedModel

    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, model_cells.size)
    n = rng.poisson(0.3 * np.exp(0.8 * x) * 730 / _HORIZON)
    ev = _events_in(rng, model_cells, np.repeat(np.arange(model_cells.size), n))
    factors = pd.DataFrame({"cell": model_cells, "tiny": x * 1e-6})
    opts = _factors_only(factor_transforms={"tiny": "linear"})
    with np.errstate(over="raise"):
        rep = FittedModel(opts).fit(ev, model_cells, _ORIGIN, factors).report()
    json.dumps(rep, allow_nan=False)
    tiny = {r["name"]: r for r in rep["factors"]}["tiny"]
    assert tiny["selected"] and tiny["p_value"] < 1e-6
    assert tiny["rr_per_unit"] is None and tiny["rr_per_unit_ci95"] == [None, None]
    assert np.isfinite(tiny["rr_per_sd"])


@pytest.mark.parametrize("n_events", [1, 12])
def test_events_of_one_period_give_no_trend(n_events):
    """Seizures all in the cube's first month (one seizure, or twelve on one day), none in the
    29 months to as_of: the cube starts at the first event, so those cells' Gi* series is
    high-then-flat by construction and Mann-Kendall called 7-72 cells 'down' (p 0.09).  A
    cell whose neighbourhood has events in fewer than two periods is not tested: trend and
    its p missing, and the summary says how many and why."""
    from pipeline.grid import grid_disk_cells, points_to_cells
    from pipeline.hotspots import emerging_hotspots, emerging_summary, space_time_cube

    centre = points_to_cells([10.0], [40.0], 6)
    cells = np.sort(grid_disk_cells(centre, 6))
    ev = np.repeat(centre, n_events)
    times = pd.to_datetime(["2024-01-10"] * n_events, utc=True)
    cube = space_time_cube(ev, times, cells, end="2026-06-30")
    res = emerging_hotspots(cube)
    table = res.cells
    assert (table["trend"] != "down").all() and (table["trend"] != "up").all()
    near = table["cell"].isin(grid_disk_cells(centre, 1))
    assert table.loc[near, "trend"].isna().all()
    assert table.loc[near, "trend_p"].isna().all()
    summary = emerging_summary(res)
    json.dumps(summary, allow_nan=False)
    assert summary["trend_not_tested"]["cells"] == len(cells)
    assert "fewer than 2" in summary["trend_not_tested"]["reason"]


def test_events_spread_over_periods_still_get_a_trend():
    """The rule is about a cell's evidence, not the data's size: events every month for a
    year in one cell, then none, is a trend there (and p comes from Mann-Kendall)."""
    from pipeline.grid import grid_disk_cells, points_to_cells
    from pipeline.hotspots import emerging_hotspots, space_time_cube

    centre = points_to_cells([10.0], [40.0], 6)
    cells = np.sort(grid_disk_cells(centre, 6))
    times = pd.date_range("2024-01-05", periods=24, freq="14D", tz="UTC")
    cube = space_time_cube(np.repeat(centre, times.size), times, cells, end="2026-06-30")
    table = emerging_hotspots(cube).cells.set_index("cell")
    assert table.loc[int(centre[0]), "trend"] == "down"
    assert np.isfinite(table.loc[int(centre[0]), "trend_p"])
