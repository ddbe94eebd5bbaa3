"""Spatial weights on H3 cells and Getis-Ord Gi*, checked against esda and brute force."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from pipeline import grid
from pipeline.errors import ConfigError, InputError
from pipeline.hotspots import (
    GI_BIN,
    GI_P,
    GI_P_ADJUSTED,
    GI_P_SIM,
    GI_Z,
    cell_counts,
    cells_to_weights,
    fdr_bh,
    gi_star,
    gi_star_z,
    gi_summary,
    permutation_p,
    significance_bins,
    validate_options,
    weights_from_sparse,
)
from pipeline.sphere import haversine_km

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def lattice(radius: int = 12, res: int = 6, lon: float = 10.0, lat: float = 40.0) -> np.ndarray:
    return grid.grid_disk_cells(grid.points_to_cells([lon], [lat], res), radius)


def to_libpysal(w) -> object:
    """The same neighbourhoods as a libpysal W (esda adds the self-weight 1 for star=True)."""
    off = w.matrix.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.WSP(sparse.csr_matrix(off)).to_W(silence_warnings=True)


def esda_g(y, w, permutations=0, seed=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(
            y, to_libpysal(w), transform="B", star=True, permutations=permutations, seed=seed
        )


def dense_gi_star(wd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Ord & Getis (1995) eq. 8 written out with dense arrays: the reference for any weights."""
    n = x.size
    xbar = x.mean()
    s = np.sqrt((x**2).mean() - xbar**2)
    wi = wd.sum(axis=1)
    s1 = (wd**2).sum(axis=1)
    return (wd @ x - xbar * wi) / (s * np.sqrt((n * s1 - wi**2) / (n - 1)))


# --- weights -------------------------------------------------------------------------------


def test_k_ring_weights_are_the_grid_disks():
    cells = lattice(2)
    w = cells_to_weights(cells, k_rings=1)
    assert np.array_equal(w.cells, np.sort(cells))
    m = w.matrix.toarray()
    assert np.array_equal(m, m.T)
    assert (np.diag(m) == 1).all()
    owner, nb = grid.grid_disks(w.cells, 1)
    expected = np.zeros_like(m)
    j = np.searchsorted(w.cells, nb)
    ok = (j < w.n) & (w.cells[np.minimum(j, w.n - 1)] == nb)
    expected[owner[ok], j[ok]] = 1
    assert np.array_equal(m, expected)
    # the centre cell of a radius-2 disk has all 6 neighbours, the outer ring fewer
    centre = np.searchsorted(w.cells, grid.points_to_cells([10.0], [40.0], 6)[0])
    assert w.neighbours[centre] == 7
    assert w.neighbours.min() < 7


def test_distance_band_weights_match_brute_force_haversine():
    cells = lattice(4)
    band = 25.0
    w = cells_to_weights(cells, distance_band_km=band)
    lat, lon = grid.cells_to_latlng(w.cells)
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    assert np.array_equal(w.matrix.toarray() > 0, d <= band)
    k = cells_to_weights(cells, distance_band_km=band, weights="kernel").matrix.toarray()
    inside = d < band
    np.testing.assert_allclose(k[inside], ((1 - (d / band) ** 2) ** 2)[inside], atol=1e-9)
    assert (np.diag(k) == 1).all()


def test_kernel_k_rings_keep_every_ring_cell_positive():
    cells = lattice(3)
    b = cells_to_weights(cells, k_rings=2)
    k = cells_to_weights(cells, k_rings=2, weights="kernel")
    assert np.array_equal(b.matrix.indices, k.matrix.indices)
    assert (k.matrix.data > 0).all() and (k.matrix.data <= 1).all()
    assert k.matrix.diagonal().tolist() == [1.0] * k.n


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k_rings": 1, "distance_band_km": 10.0}, "not both"),
        ({"k_rings": 0}, "k_rings"),
        ({"distance_band_km": -1.0}, "distance_band_km"),
        ({"weights": "gauss"}, "'gauss'"),
        ({"distance_band_km": 5000.0}, "smaller band"),
    ],
)
def test_weights_refuse_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        cells_to_weights(lattice(12), **kwargs)


def test_weights_refuse_duplicate_or_mixed_cells():
    cells = lattice(1)
    with pytest.raises(InputError, match="unique"):
        cells_to_weights(np.concatenate([cells, cells[:1]]))
    with pytest.raises(InputError, match="resolution"):
        cells_to_weights(np.concatenate([cells, grid.points_to_cells([0.0], [0.0], 7)]))
    with pytest.raises(InputError, match="not an H3 cell"):
        cells_to_weights([1, 2, 3])


def test_options_refuse_unknown_keys_and_conflicts():
    with pytest.raises(ConfigError, match="permutatons"):
        gi_star(lattice(1), np.ones(7), {"permutatons": 9})
    with pytest.raises(ConfigError, match="not both"):
        gi_star(lattice(1), np.ones(7), {"k_rings": 1, "distance_band_km": 3.0})
    with pytest.raises(ConfigError, match="alphas"):
        validate_options({"alphas": (0.01, 0.05, 0.1)})
    with pytest.raises(ConfigError, match="number"):
        gi_star(lattice(1), np.ones(7), {"permutations": True})
    with pytest.raises(ConfigError, match="permutation"):
        gi_star(lattice(1), np.ones(7), {"p_value": "permutation", "permutations": 0})


# --- z-scores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "neighbourhood", [{"k_rings": 1}, {"k_rings": 2}, {"distance_band_km": 30.0}]
)
def test_z_equals_esda_on_a_random_lattice(neighbourhood):
    cells = lattice(12)
    rng = np.random.default_rng(7)
    y = rng.gamma(2.0, 1.0, cells.size)
    opts = {**neighbourhood, "permutations": 0}
    ours = gi_star(cells, y, opts)
    w = cells_to_weights(cells, **neighbourhood)
    order = np.argsort(cells)
    ref = esda_g(y[order], w)
    np.testing.assert_allclose(ours[GI_Z].to_numpy(), ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours[GI_P].to_numpy(), 2 * ref.p_norm, rtol=1e-9, atol=1e-15)


def test_kernel_z_equals_the_ord_getis_formula():
    cells = lattice(6)
    w = cells_to_weights(cells, distance_band_km=40.0, weights="kernel")
    x = np.random.default_rng(3).poisson(2.0, w.n).astype(float)
    np.testing.assert_allclose(
        gi_star_z(w.matrix, x), dense_gi_star(w.matrix.toarray(), x), rtol=0, atol=1e-10
    )


def test_z_is_zero_for_constant_values_and_the_input_order_does_not_matter():
    cells = lattice(3)
    assert (gi_star(cells, np.full(cells.size, 4.0), {"permutations": 0})[GI_Z] == 0).all()
    y = np.random.default_rng(0).random(cells.size)
    perm = np.random.default_rng(1).permutation(cells.size)
    a = gi_star(cells, y, {"permutations": 0})
    b = gi_star(cells[perm], y[perm], {"permutations": 0})
    pd.testing.assert_frame_equal(a, b)
    assert a["cell"].dtype == np.uint64 and a["cell"].is_monotonic_increasing


def test_gi_star_refuses_bad_values():
    cells = lattice(1)
    with pytest.raises(InputError, match="nan"):
        gi_star(cells, np.array([1, 2, np.nan, 0, 0, 0, 0.0]))
    with pytest.raises(InputError, match="6 values for 7 cells"):
        gi_star(cells, np.ones(6))
    with pytest.raises(InputError, match="other cells"):
        gi_star(cells, np.ones(7), weights=cells_to_weights(lattice(2)))


@pytest.mark.shared
def test_z_equals_esda_on_pirate_attack_counts(shared_data):
    raw = pd.read_csv(
        shared_data / "events" / "pirate_attacks.csv",
        usecols=["longitude", "latitude"],
        na_values=["NA"],
    ).dropna()
    raw = raw[(raw.longitude != 0) | (raw.latitude != 0)]
    event_cells = grid.points_to_cells(raw.longitude, raw.latitude, 5)
    cells = grid.grid_disk_cells(event_cells, 1)  # the events' cells and a ring of zeros
    counts = cell_counts(event_cells, cells)
    assert counts.sum() == len(raw)
    w = cells_to_weights(cells, k_rings=1)
    ours = gi_star(cells, counts, {"permutations": 0, "p_value": "normal"}, weights=w)
    ref = esda_g(counts, w)  # cells are already sorted
    np.testing.assert_allclose(ours[GI_Z].to_numpy(), ref.Zs, rtol=0, atol=1e-9)
    # the classes come from scipy's FDR decision on the two-sided normal p-values
    q = stats.false_discovery_control(2 * ref.p_norm)
    for level, alpha in zip((1, 2, 3), (0.10, 0.05, 0.01), strict=True):
        assert np.array_equal(np.abs(ours[GI_BIN].to_numpy()) >= level, q <= alpha)
    assert (ours[GI_BIN] == 3).sum() > 10  # the Gulf of Aden, the Malacca Strait, ...


# --- FDR and classes -----------------------------------------------------------------------


def test_fdr_equals_scipy():
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.random(5000), rng.random(300) * 1e-4, [1.0, 0.0, 0.5, 0.5]])
    np.testing.assert_allclose(fdr_bh(p), stats.false_discovery_control(p), rtol=1e-12)
    assert fdr_bh(np.array([])).size == 0


def test_bins_follow_the_levels_and_the_sign():
    z = np.array([3.0, 2.2, 1.8, 0.5, -1.8, -2.2, -3.0, 0.0])
    p = 2 * stats.norm.sf(np.abs(z))
    bins, used = significance_bins(z, p, fdr=False)
    assert bins.tolist() == [3, 2, 1, 0, -1, -2, -3, 0]
    np.testing.assert_array_equal(used, p)
    bins_fdr, q = significance_bins(z, p, fdr=True)
    np.testing.assert_allclose(q, stats.false_discovery_control(p))
    assert (np.abs(bins_fdr) <= np.abs(bins)).all()


def test_a_planted_cluster_is_a_hot_spot_and_noise_mostly_is_not():
    cells = np.sort(lattice(15))
    rng = np.random.default_rng(11)
    y = rng.poisson(1.0, cells.size).astype(float)
    centre = grid.points_to_cells([10.0], [40.0], 6)[0]
    cluster = np.isin(cells, grid.grid_disk_cells([centre], 2))
    y[cluster] += 6
    out = gi_star(cells, y, {"permutations": 199})
    core = np.isin(out["cell"], grid.grid_disk_cells([centre], 1))
    assert (out.loc[core, GI_BIN] == 3).all()
    far = ~np.isin(out["cell"], grid.grid_disk_cells([centre], 4))
    # with FDR on, pure noise away from the cluster yields almost no discoveries
    assert (out.loc[far, GI_BIN] != 0).mean() < 0.02


# --- permutation p-values ------------------------------------------------------------------


def test_permutation_p_agrees_with_esda_within_monte_carlo_error():
    cells = lattice(14)
    y = np.random.default_rng(2).gamma(2.0, 1.0, cells.size)
    P = 999
    w = cells_to_weights(cells, k_rings=1)
    ours = permutation_p(w.matrix, y[np.argsort(cells)], P, seed=1)
    ref = esda_g(y[np.argsort(cells)], w, permutations=P, seed=2).p_sim
    diff = ours - ref
    p = (ours + ref) / 2
    sd = np.sqrt(2 * p * (1 - p) / P) + 1.0 / (P + 1)
    assert np.mean(np.abs(diff) > 4 * sd) < 0.005
    # esda reuses one set of draws for every cell, so its errors are correlated: a mean bias
    # of a few thousandths is what that alone gives
    assert abs(diff.mean()) < 0.006
    assert np.corrcoef(ours, ref)[0, 1] > 0.98


@pytest.mark.parametrize(
    ("weights", "values"),
    [
        ({"distance_band_km": 25.0, "weights": "kernel"}, "gamma"),
        ({"k_rings": 1}, "sparse counts"),  # the two-step draw of sparse counts
        ({"distance_band_km": 25.0}, "sparse counts"),
    ],
)
def test_permutation_p_matches_a_plain_reference_draw(weights, values):
    """The vectorised draws against a loop of rng.choice(replace=False) for a few cells."""
    cells = lattice(5)
    w = cells_to_weights(cells, **weights)
    rng = np.random.default_rng(4)
    if values == "gamma":
        y = rng.gamma(1.5, 1.0, w.n)
    else:
        y = rng.poisson(0.25, w.n).astype(float)
        y[::7] += 3  # some cells with a count, and zero-count cells next to them
    P = 4000
    ours = permutation_p(w.matrix, y, P, seed=3)
    rng = np.random.default_rng(9)
    m = w.matrix
    for i in range(0, w.n, 9):
        cols = m.indices[m.indptr[i] : m.indptr[i + 1]]
        wts = m.data[m.indptr[i] : m.indptr[i + 1]]
        off = cols != i
        obs = wts[off] @ y[cols[off]]
        others = np.delete(np.arange(w.n), i)
        sims = np.array(
            [wts[off] @ y[rng.choice(others, off.sum(), replace=False)] for _ in range(P)]
        )
        ref = (min((sims >= obs).sum(), (sims <= obs).sum()) + 1) / (P + 1)
        sd = np.sqrt(2 * ref * (1 - ref) / P) + 2 / P
        assert abs(ours[i] - ref) < 4.5 * sd, (i, ours[i], ref)


@pytest.mark.parametrize("weights", ["binary", "kernel"])
@pytest.mark.parametrize("edge", [0, -1])
def test_permutation_draws_never_include_the_cell_itself(weights, edge):
    """Two cells of 50 among zeros: B's draws hold A with probability k/(n-1), never B."""
    cells = lattice(3)
    w = cells_to_weights(cells, k_rings=1, weights=weights)
    y = np.zeros(w.n)
    centre = int(np.searchsorted(w.cells, grid.points_to_cells([10.0], [40.0], 6)[0]))
    a = int(np.flatnonzero(w.neighbours < 5)[edge])  # an edge cell, before or after the centre
    assert (a < centre) == (edge == 0)
    y[[a, centre]] = 50.0
    P = 3000
    p = permutation_p(w.matrix, y, P, seed=0)
    k = w.neighbours[centre] - 1
    expected = 1 - k / (w.n - 1)  # share of draws without A: the only ones <= its 0
    assert abs(p[centre] - expected) < 4 * np.sqrt(expected * (1 - expected) / P) + 2 / P


@pytest.mark.parametrize("edge", [0, -1])
def test_sparse_count_draws_pick_the_right_values(edge):
    """Centre 10 next to a 20, a 50 far away: P(sim >= 20) = P(the 20 or the 50 is drawn)."""
    from scipy.special import comb

    cells = lattice(3)
    w = cells_to_weights(cells, k_rings=1)
    y = np.zeros(w.n)
    centre = int(np.searchsorted(w.cells, grid.points_to_cells([10.0], [40.0], 6)[0]))
    row = w.matrix.indices[w.matrix.indptr[centre] : w.matrix.indptr[centre + 1]]
    neighbour = int(row[row != centre][0])
    far = int(np.flatnonzero(w.neighbours < 5)[edge])
    y[[centre, neighbour, far]] = [10.0, 20.0, 50.0]
    P = 3000
    p = permutation_p(w.matrix, y, P, seed=1)
    n, k = w.n, w.neighbours[centre] - 1
    at_least = 1 - comb(n - 3, k) / comb(n - 1, k)  # the 20 or the 50 among the draws
    at_most = 1 - k / (n - 1)  # the 50 not among them
    expected = min(at_least, at_most)
    assert abs(p[centre] - expected) < 4 * np.sqrt(expected * (1 - expected) / P) + 2 / P


def test_permutation_p_is_uniform_under_the_null():
    cells = lattice(14)
    y = np.random.default_rng(8).normal(size=cells.size)
    w = cells_to_weights(cells, k_rings=1)
    p = permutation_p(w.matrix, y, 199, seed=0)
    # folded one-sided p of a continuous statistic: 2p is uniform on (0, 1]
    assert stats.kstest(np.minimum(1, 2 * p), "uniform").pvalue > 1e-3


def test_permutation_p_ties_are_conservative_and_small_n_is_exact():
    cells = lattice(6)
    y = np.zeros(cells.size)
    y[:3] = 5.0
    w = cells_to_weights(cells, k_rings=1)
    p = permutation_p(w.matrix, y, 99, seed=0)
    quiet = (w.matrix @ y) == 0  # no event in the neighbourhood: not a cold spot by ties
    assert (p[quiet] > 0.3).all()
    # a neighbourhood of every other cell: each draw is a permutation of all of them
    tiny = lattice(1)
    wt = cells_to_weights(tiny, distance_band_km=100.0)
    assert (wt.neighbours == 7).all()
    pt = permutation_p(wt.matrix, np.arange(7.0), 50, seed=0)
    assert (pt == 1.0).all()


def test_permutations_are_seeded():
    cells = lattice(5)
    y = np.random.default_rng(0).random(cells.size)
    a = gi_star(cells, y, {"permutations": 99, "seed": 4})
    b = gi_star(cells, y, {"permutations": 99, "seed": 4})
    c = gi_star(cells, y, {"permutations": 99, "seed": 5})
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a[GI_P_SIM], c[GI_P_SIM])


def test_permutation_classes_and_summary_are_json():
    cells = lattice(8)
    y = np.random.default_rng(1).poisson(1.0, cells.size).astype(float)
    opts = {"permutations": 99, "p_value": "permutation"}
    out = gi_star(cells, y, opts)
    expected_p = np.minimum(1, 2 * out[GI_P_SIM].to_numpy())
    np.testing.assert_allclose(out[GI_P_ADJUSTED], stats.false_discovery_control(expected_p))
    summary = gi_summary(out, opts)
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["cells"] == cells.size
    assert sum(summary["classes"].values()) == cells.size
    assert summary["fdr_applies_to"] == "2 x pseudo p"


def test_weights_from_sparse_adds_the_self_weight():
    cells = lattice(1)
    w = cells_to_weights(cells, k_rings=1)
    off = w.matrix.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    perm = np.random.default_rng(0).permutation(cells.size)
    custom = weights_from_sparse(w.cells[perm], off[perm][:, perm])
    assert np.array_equal(custom.cells, w.cells)
    assert np.array_equal(custom.matrix.toarray(), w.matrix.toarray())


@pytest.mark.parametrize(
    "x",
    [
        np.random.default_rng(0).poisson(0.05, 100_000),
        np.random.default_rng(1).integers(0, 40, 5_000),
        np.array([7, 7, 7]),
        np.array([0]),
        np.array([], dtype="int64"),
        np.array([0, 10**12, 5, 10**12]),  # too wide to tally: np.unique itself
    ],
)
def test_unique_counts_is_numpys_unique(x):
    from pipeline.hotspots._gistar import _unique_counts

    x = np.asarray(x, dtype="int64")
    got = _unique_counts(x)
    want = np.unique(x, return_inverse=True, return_counts=True)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
