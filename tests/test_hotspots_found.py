"""Hot-spot findings of sweep 3: lone events as 99 % hot spots (F2), short history (F8)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from pipeline import grid
from pipeline.errors import InputError
from pipeline.hotspots import (
    GI_BIN,
    GI_P_ADJUSTED,
    GI_P_EXACT,
    GI_P_SIM,
    cells_to_weights,
    emerging_hotspots,
    emerging_skipped,
    exact_p,
    gi_star,
    gi_summary,
    space_time_cube,
)

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def lattice(radius: int, res: int = 5) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([-6.0], [35.0], res), radius))


def neighbour_sums(w, x):
    """Off-diagonal neighbour count and neighbour sum of each cell (binary weights)."""
    off = sparse.csr_array(w.matrix).copy()
    off.setdiag(0)
    off.eliminate_zeros()
    k = np.diff(off.indptr)
    return k, (off != 0).astype("float64") @ x


@pytest.mark.parametrize("events", [[0], [0, 200], [0, 150, 300, 420]])
def test_lone_events_make_no_hot_spot(events):
    cells = lattice(14)  # 631 cells, as the sweep's 651
    x = np.zeros(cells.size)
    x[events] = 1.0
    g = gi_star(cells, x, {"permutations": 99})
    assert (g[GI_BIN] == 0).all()
    # the normal approximation called them 99 % hot spots: z = sqrt((n - 1) / k) for one event
    normal = gi_star(cells, x, {"permutations": 0, "p_value": "normal"})
    assert (normal[GI_BIN] == 3).sum() >= 5 * len(events)
    assert gi_summary(g)["p_value_used"] == "exact"


def test_a_real_cluster_stays_a_hot_spot():
    cells = lattice(14)
    rng = np.random.default_rng(3)
    x = rng.poisson(0.05, cells.size).astype("float64")
    w = cells_to_weights(cells, k_rings=1)
    middle = np.searchsorted(cells, grid.points_to_cells([-6.0], [35.0], 5)[0])
    centre = np.flatnonzero(w.matrix[[middle]].toarray().ravel())  # the cell and its ring
    assert centre.size == 7
    x[centre] += 6.0
    g = gi_star(cells, x, {"permutations": 0}, weights=w)
    assert (g[GI_BIN].to_numpy()[centre] == 3).all()


def test_exact_p_equals_the_hypergeometric_tail_for_0_1_values():
    cells = lattice(14)
    w = cells_to_weights(cells, k_rings=1)
    x = (np.random.default_rng(1).random(cells.size) < 0.05).astype("float64")
    k, s = neighbour_sums(w, x)
    others = x.sum() - x  # ones among the other n - 1 cells
    n = cells.size
    upper = stats.hypergeom.sf(s - 1, n - 1, others, k)
    lower = stats.hypergeom.cdf(s, n - 1, others, k)
    np.testing.assert_allclose(exact_p(w.matrix, x), np.minimum(upper, lower), rtol=0, atol=1e-12)


def test_exact_p_is_the_limit_of_esda_conditional_permutations():
    cells = lattice(9)
    w = cells_to_weights(cells, k_rings=1)
    rng = np.random.default_rng(5)
    x = rng.negative_binomial(0.3, 0.3, cells.size).astype("float64")  # sparse, skewed
    ours = exact_p(w.matrix, x)
    off = w.matrix.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    perms = 9999
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw = libpysal.weights.WSP(sparse.csr_matrix(off)).to_W(silence_warnings=True)
        ref = esda.G_Local(x, lw, transform="B", star=True, permutations=perms, seed=7)
    # esda folds #sim >= obs against #sim < obs; in the upper tail (p < 0.3) both are P(S >= s)
    k, s = neighbour_sums(w, x)
    upper = ours < 0.3
    upper &= s > k * x.mean()
    assert upper.sum() >= 20
    se = np.sqrt(ours * (1 - ours) / perms)
    assert (np.abs(ref.p_sim[upper] - ours[upper]) <= 5 * se[upper] + 2 / (perms + 1)).all()


def test_classes_agree_with_the_published_p_values():
    cells = lattice(14)
    x = np.zeros(cells.size)
    x[[0, 1, 2, 300]] = [9.0, 7.0, 8.0, 1.0]
    g = gi_star(cells, x, {"permutations": 999})
    hot = g[GI_BIN].to_numpy() > 0
    assert hot.any()
    q = stats.false_discovery_control(np.minimum(1, 2 * g[GI_P_EXACT].to_numpy()))
    np.testing.assert_allclose(g[GI_P_ADJUSTED], q, rtol=1e-12)
    assert (g[GI_P_ADJUSTED][hot] <= 0.10).all()
    assert (g[GI_P_SIM][hot] <= 0.05).all()  # the permutation p agrees: never 0.99 and "99 %"


@pytest.mark.parametrize(
    "options", [{"weights": "kernel", "permutations": 199}, {"values": "risk", "permutations": 199}]
)
def test_exact_falls_back_to_the_permutation_p(options):
    cells = lattice(6)
    x = np.zeros(cells.size)
    x[0] = 1.0
    if options.get("values") == "risk":
        x = x * 0.37 + 0.01
    g = gi_star(cells, x, options)
    assert GI_P_EXACT not in g or options.get("weights") != "kernel"
    s = gi_summary(g, options)
    assert s["p_value_used"] == ("exact" if GI_P_EXACT in g else "permutation")
    assert (g[GI_BIN] == 0).all()


def test_short_history_skips_the_trend_with_a_note():
    cells = lattice(3)
    ev = np.repeat(cells[:3], 2)
    times = pd.to_datetime(["2026-03-02"] * 6)
    cube = space_time_cube(ev, times, cells, period="month", end=pd.Timestamp("2026-03-31"))
    note = emerging_skipped(cube, {})
    assert note is not None
    assert "1 month(s)" in note["skipped"] and "at least 4" in note["skipped"]
    assert note["cells"] == cells.size and note["periods"] == 1
    with pytest.raises(InputError, match="at least 4"):
        emerging_hotspots(cube)
    longer = space_time_cube(ev, times, cells, period="month", end=pd.Timestamp("2026-06-30"))
    assert emerging_skipped(longer, {}) is None


def test_sparse_noise_makes_no_emerging_hot_spot_a_planted_cluster_does():
    """The emerging trend classed bins on the normal p of the space-time Gi*: on the demo
    64,695 hot bins where the exact p finds 502 (1,495 'sporadic hot spots')."""
    cells = lattice(12)  # 469 cells
    rng = np.random.default_rng(3)
    periods = pd.date_range("2024-01-15", periods=12, freq="MS") + pd.Timedelta(days=14)
    noise = rng.choice(cells, 150, replace=False)  # 150 lone events over a year
    times = pd.Series(rng.choice(periods, noise.size))
    end = pd.Timestamp("2024-12-31")
    cube = space_time_cube(noise, times, cells, period="month", end=end)
    normal = emerging_hotspots(cube, {"p_value": "normal"})
    exact = emerging_hotspots(cube)
    assert exact.p_value == "exact" and normal.p_value == "normal"
    assert (normal.cells["hot_periods"] > 0).sum() > 0  # the normal p's false alarms
    assert (exact.cells["hot_periods"] == 0).all()
    assert set(exact.cells["emerging_category"]) == {"no pattern detected"}
    # a cluster: 5 events in one cell's neighbourhood in each of the last 6 months
    centre = cells[cells.size // 2]
    ring = grid.grid_disk_cells(np.array([centre], dtype="uint64"), 1)
    planted = np.tile(ring[:5], 6)
    when = pd.Series(np.repeat(periods[-6:], 5))
    cube2 = space_time_cube(
        np.r_[noise, planted],
        pd.concat([times, when], ignore_index=True),
        cells,
        period="month",
        end=end,
    )
    hot = emerging_hotspots(cube2).cells.set_index("cell")
    assert hot.loc[centre, "hot_periods"] >= 3
    assert hot.loc[centre, "emerging_category"] != "no pattern detected"


def test_the_class_side_is_the_tail_the_conditional_p_tests():
    """Found by a review: a busy cell whose neighbours are significantly empty was classed
    'hot' (z counts the cell's own value; the exact p tests its neighbours, value held)."""
    from pipeline.hotspots import SpaceTimeCube

    cells = lattice(6)  # 127 cells
    centre = grid.points_to_cells([-6.0], [35.0], 5)[0]
    ring = grid.grid_disk_cells(np.array([centre], dtype="uint64"), 1)
    t = 4
    vals = np.full((cells.size, t), 2.0)
    vals[np.isin(cells, ring)] = 0.0  # its neighbours are empty in every period
    vals[cells == centre] = 60.0  # the cell itself is busy
    w = cells_to_weights(cells, k_rings=1)
    periods = ["2024-01", "2024-02", "2024-03", "2024-04"]
    opts = {"p_value": "exact", "fdr": False, "emerging": {"min_periods": 2}}
    bins = emerging_hotspots(SpaceTimeCube(cells, periods, vals), opts, weights=w, keep_bins=True)
    first = bins.bins[(bins.bins["cell"] == centre) & (bins.bins["period"] == "2024-01")].iloc[0]
    assert first[GI_BIN] < 0 < first["gi_z"]  # significant, and on the low side
    gi = gi_star(cells, vals[:, 0], {"p_value": "exact", "fdr": False}, weights=w)
    row = gi[gi["cell"] == centre].iloc[0]
    assert row["gi_z"] > 0 and row[GI_BIN] <= 0
