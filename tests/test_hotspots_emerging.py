"""Emerging hot spots: the space-time cube, space-time Gi*, Mann-Kendall and the categories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import disk_cells
from scipy import sparse, stats

from pipeline import grid
from pipeline.errors import InputError
from pipeline.hotspots import (
    CATEGORIES,
    EMERGING_CATEGORY,
    SpaceTimeCube,
    cells_to_weights,
    classify_emerging,
    emerging_hotspots,
    emerging_summary,
    gi_star_z,
    mann_kendall,
    space_time_cube,
    space_time_z,
)

T = 10


# --- the cube ------------------------------------------------------------------------------


def test_cube_counts_events_per_cell_and_month():
    cells = disk_cells(2)
    ev_cells = np.array([cells[0], cells[0], cells[3], cells[3], cells[5]], dtype="uint64")
    times = pd.to_datetime(
        [
            "2024-01-05 00:00:00",
            "2024-01-31 23:59:00",
            "2024-03-01 00:00:00",
            "2024-04-30 00:00:00",
            "2023-12-31 00:00:00",
        ],
        utc=True,
    )
    cube = space_time_cube(ev_cells, times, cells, start="2024-01-01", end="2024-04-15")
    assert cube.periods == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert cube.values.shape == (cells.size, 4)
    assert cube.values[0].tolist() == [2, 0, 0, 0]
    assert cube.values[3].tolist() == [0, 0, 1, 1]
    assert cube.values.sum() == 4  # the December event lies before the start
    default = space_time_cube(ev_cells, times, period="quarter")
    assert np.array_equal(default.cells, np.unique(ev_cells))
    assert default.periods == ["2023Q4", "2024Q1", "2024Q2"]


def test_cube_refuses_bad_input():
    cells = disk_cells(1)
    with pytest.raises(InputError, match="period must be one of"):
        space_time_cube(cells, pd.to_datetime(["2024-01-01"] * 7, utc=True), period="decade")
    with pytest.raises(InputError, match="missing"):
        space_time_cube(cells[:2], pd.to_datetime(["2024-01-01", None], utc=True))
    with pytest.raises(InputError, match="shape"):
        SpaceTimeCube(cells, ["a", "b"], np.zeros((cells.size, 3)))
    with pytest.raises(InputError, match="at least 4"):
        emerging_hotspots(SpaceTimeCube(cells, ["a", "b", "c"], np.ones((cells.size, 3))))


# --- space-time Gi* ------------------------------------------------------------------------


@pytest.mark.parametrize("window", [0, 1, 3])
def test_space_time_z_equals_gi_star_on_the_space_time_weights(window):
    cells = disk_cells(4)
    w = cells_to_weights(cells, k_rings=1)
    t = 7
    x = np.random.default_rng(window).poisson(1.5, (cells.size, t)).astype(float)
    lag = np.zeros((t, t))
    for d in range(window + 1):
        lag += np.eye(t, k=-d)  # slice s feeds slice s + d
    big = sparse.csr_array(sparse.kron(w.matrix, sparse.csr_array(lag)))  # bin (i, s) = i*t + s
    ref = gi_star_z(big, x.reshape(-1)).reshape(cells.size, t)
    np.testing.assert_allclose(space_time_z(w, x, window), ref, rtol=0, atol=1e-10)


# --- Mann-Kendall --------------------------------------------------------------------------


def test_mann_kendall_agrees_with_kendalltau_and_brute_force():
    rng = np.random.default_rng(3)
    series = np.vstack(
        [
            rng.integers(0, 4, (40, 12)).astype(float),  # many ties
            rng.normal(size=(40, 12)) + np.linspace(0, 2, 12),  # a trend
            np.full((1, 12), 2.0),  # constant: no trend at all
        ]
    )
    mk = mann_kendall(series, continuity=False)
    mkc = mann_kendall(series)
    for row, s, p in zip(series, mk.s, mk.p, strict=True):
        brute = sum(
            np.sign(row[b] - row[a]) for a in range(row.size) for b in range(a + 1, row.size)
        )
        assert s == brute
        tau = stats.kendalltau(np.arange(row.size), row, method="asymptotic")
        if np.isnan(tau.statistic):
            assert s == 0 and p == 1
            continue
        assert np.sign(s) == np.sign(tau.statistic)
        np.testing.assert_allclose(p, tau.pvalue, rtol=1e-9)
    assert (mkc.p >= mk.p - 1e-15).all()  # the continuity correction is conservative
    assert (np.abs(mk.tau) <= 1).all()
    with pytest.raises(InputError, match="at least 2"):
        mann_kendall(np.ones((3, 1)))


# --- the category rules --------------------------------------------------------------------


def rows(spec: str) -> np.ndarray:
    return np.array([c == "H" for c in spec]), np.array([c == "C" for c in spec])


RULES = [
    ("..........", 0, "no pattern detected"),
    (".........H", 0, "new hot spot"),
    (".......HHH", 0, "consecutive hot spot"),
    ("HHHHHHHHHH", 1, "intensifying hot spot"),
    ("HHHHHHHHHH", 0, "persistent hot spot"),
    (".HHHHHHHHH", -1, "diminishing hot spot"),
    ("..H..H...H", 0, "sporadic hot spot"),
    ("..H..HH.HH", 0, "sporadic hot spot"),
    ("..C..H...H", 0, "oscillating hot spot"),
    ("C........H", 0, "oscillating hot spot"),
    ("HHHHHHHHH.", 0, "historical hot spot"),
    ("...HHH....", 0, "no pattern detected"),
    (".........C", 0, "new cold spot"),
    ("........CC", 0, "consecutive cold spot"),
    ("CCCCCCCCCC", -1, "intensifying cold spot"),
    ("CCCCCCCCCC", 0, "persistent cold spot"),
    ("CCCCCCCCCC", 1, "diminishing cold spot"),
    ("C...C..C.C", 0, "sporadic cold spot"),
    ("H...CC...C", 0, "oscillating cold spot"),
    ("CCCCCCCCC.", 0, "historical cold spot"),
    ("HHHHHHHHHC", 0, "oscillating cold spot"),  # the final bin's family first
]


def test_each_rule_on_hand_made_series():
    hot, cold = map(np.array, zip(*(rows(s) for s, _, _ in RULES), strict=True))
    trend = np.array([t for _, t, _ in RULES], dtype=float)
    code = classify_emerging(hot, cold, trend, trend != 0)
    got = [CATEGORIES[c] for c in code]
    assert got == [name for _, _, name in RULES]
    assert set(got) == set(CATEGORIES)
    with pytest.raises(InputError, match="both"):
        classify_emerging(np.ones((1, 4), bool), np.ones((1, 4), bool), np.zeros(1), np.zeros(1))


# --- end to end: a cube built to land in every category ------------------------------------

BACKGROUND = 10.0


def hot_series(pattern: str, trend: int = 0) -> np.ndarray:
    """Values of a 1-ring cluster per period: H high, C low, . background; trend tilts H/C."""
    ramp = np.linspace(-1, 1, T) * trend
    out = np.full(T, BACKGROUND)
    out[[c == "H" for c in pattern]] = 30.0 + 6 * ramp[[c == "H" for c in pattern]]
    out[[c == "C" for c in pattern]] = 2.0 + 2 * ramp[[c == "C" for c in pattern]]
    return out


PLANTED = {
    "new hot spot": (".........H", 0),
    "consecutive hot spot": (".......HHH", 0),
    "intensifying hot spot": ("HHHHHHHHHH", 1),
    "persistent hot spot": ("HHHHHHHHHH", 0),
    "diminishing hot spot": ("HHHHHHHHHH", -1),
    "sporadic hot spot": ("..H..H...H", 0),
    "oscillating hot spot": ("..C..H...H", 0),
    "historical hot spot": ("HHHHHHHHH.", 0),
    "new cold spot": (".........C", 0),
    "consecutive cold spot": ("......CCCC", 0),
    "intensifying cold spot": ("CCCCCCCCCC", -1),
    "persistent cold spot": ("CCCCCCCCCC", 0),
    "diminishing cold spot": ("CCCCCCCCCC", 1),
    "sporadic cold spot": ("C...C..C.C", 0),
    "oscillating cold spot": ("H...CC...C", 0),
    "historical cold spot": ("CCCCCCCCC.", 0),
}


def planted_cube() -> tuple[SpaceTimeCube, dict[str, int]]:
    cells = disk_cells(16)
    interior = disk_cells(13)
    centres: list[int] = []
    taken = np.empty(0, dtype="uint64")
    for c in interior:  # a few hundred cells: spread the clusters 5 steps apart
        if c not in taken:
            centres.append(c)
            taken = np.union1d(taken, grid.grid_disk_cells([c], 4))
        if len(centres) == len(PLANTED):
            break
    assert len(centres) == len(PLANTED)
    values = np.full((cells.size, T), BACKGROUND)
    where = {}
    for (name, (pattern, trend)), centre in zip(PLANTED.items(), centres, strict=True):
        members = np.searchsorted(cells, grid.grid_disk_cells([centre], 1))
        values[members] = hot_series(pattern, trend)
        where[name] = int(np.searchsorted(cells, centre))
    periods = [str(p) for p in pd.period_range("2023-01", periods=T, freq="M")]
    return SpaceTimeCube(cells, periods, values), where


def test_a_planted_cube_lands_in_every_category():
    cube, where = planted_cube()
    opts = {"k_rings": 1, "emerging": {"time_step_window": 0, "alpha": 0.05}}
    result = emerging_hotspots(cube, opts, keep_bins=True)
    table = result.cells
    assert table["cell"].is_monotonic_increasing and table["cell"].dtype == np.uint64
    got = {name: table[EMERGING_CATEGORY].iloc[i] for name, i in where.items()}
    assert got == {name: name for name in PLANTED}
    planted = np.isin(table["cell"], grid.grid_disk_cells(cube.cells[list(where.values())], 2))
    assert (table.loc[~planted, EMERGING_CATEGORY] == "no pattern detected").all()
    assert set(table[EMERGING_CATEGORY]) == set(CATEGORIES)
    up = table.iloc[where["intensifying hot spot"]]
    assert up["trend"] == "up" and up["hot_periods"] == T and up["final_gi_bin"] == 3
    assert table.iloc[where["diminishing cold spot"]]["trend"] == "up"
    assert table.iloc[where["persistent hot spot"]]["trend"] == "none"
    bins = result.bins
    assert len(bins) == cube.cells.size * T
    first = bins.iloc[:T]
    assert (first["cell"] == cube.cells[0]).all() and first["period"].tolist() == cube.periods
    summary = emerging_summary(result, opts)
    assert json.loads(json.dumps(summary, allow_nan=False))["categories"]["new hot spot"] >= 1
    assert sum(summary["categories"].values()) == cube.cells.size


def test_the_time_window_brings_the_previous_slice_in():
    cube, where = planted_cube()
    opts = {"k_rings": 1, "emerging": {"time_step_window": 1, "alpha": 0.05}}
    table = emerging_hotspots(cube, opts).cells
    # the new hot spot's final slice has the quiet slice before it in its neighbourhood now,
    # so its final z is lower than without the window
    alone = emerging_hotspots(cube, {"k_rings": 1, "emerging": {"time_step_window": 0}}).cells
    i = where["new hot spot"]
    assert table["final_gi_z"].iloc[i] < alone["final_gi_z"].iloc[i]
