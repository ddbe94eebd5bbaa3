"""Tests that a hand mutation analysis of Gi* and its spatial weights found missing (task hFV).

Each test fails on one small, plausible mutant of ``pipeline/hotspots/_gistar.py`` or
``pipeline/hotspots/_weights.py`` that left every other test passing, or on the code as it
was (constant values that are no double made every cell a 99 % spot).  References: esda's
``G_Local``, statsmodels' ``multipletests``, scipy's normal law, enumeration, hand values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import disk_cells
from scipy import stats

from pipeline import grid
from pipeline.errors import InputError
from pipeline.hotspots import (
    GI_BIN,
    GI_NEIGHBOURS,
    GI_P,
    GI_P_ADJUSTED,
    GI_P_EXACT,
    GI_P_SIM,
    GI_Z,
    cells_to_weights,
    exact_p,
    fdr_bh,
    gi_star,
    gi_star_z,
    gi_summary,
    permutation_p,
    weights_from_sparse,
)


@pytest.mark.parametrize("value", [0.1, 0.7, 1.0 / 3.0, 1e-5])
def test_constant_values_that_are_no_double_have_z_zero_not_round_off(value):
    """All cells equal: ``S = 0`` and every z is 0, whatever the mean's round-off.

    ``np.full(37, 0.1).mean()`` is not 0.1; its ``S`` came out ~1e-17 instead of 0 and the
    numerator's round-off over it gave ``|z| = 6.6`` at every cell: 37 "99 %" spots of a
    constant risk under the normal p.
    """
    cells = disk_cells(3)
    x = np.full(cells.size, value)
    assert x.mean() != value  # the case: the mean is not the value
    frame = gi_star(cells, x, {"permutations": 0, "p_value": "normal"})
    np.testing.assert_array_equal(frame[GI_Z].to_numpy(), 0.0)
    np.testing.assert_array_equal(frame[GI_P].to_numpy(), 1.0)
    assert (frame[GI_BIN] == 0).all()


def test_row_standardised_star_weights_give_the_binary_z():
    """Ord & Getis's z is unchanged when a row of weights is scaled: row-standardised star
    weights (the cell included, each row summing to 1) give the binary z, which is esda's.

    ``W_i`` and ``S1_i`` are sums over row ``i``; with weights that are not symmetric the
    column sums (the same numbers for binary weights) are wrong.  esda's own ``transform='R'``
    z is no reference here: its variance ``W_i (n − W_i)`` holds for binary weights only.
    """
    import warnings

    from scipy import sparse

    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    cells = disk_cells(4)
    binary = cells_to_weights(cells, k_rings=1)
    dense = binary.matrix.toarray()
    rows = sparse.csr_array(dense / dense.sum(axis=1, keepdims=True))
    standardised = weights_from_sparse(binary.cells, rows, description="row standardised")
    assert not np.allclose(standardised.matrix.toarray(), standardised.matrix.toarray().T)
    y = np.random.default_rng(2).gamma(2.0, 1.0, binary.n)
    z_r = gi_star(cells, y, {"permutations": 0}, weights=standardised)[GI_Z].to_numpy()
    off = binary.matrix.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw = libpysal.weights.WSP(sparse.csr_matrix(off)).to_W(silence_warnings=True)
        ref = esda.G_Local(y, lw, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(z_r, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(gi_star_z(binary.matrix, y), ref.Zs, rtol=0, atol=1e-9)


def test_fdr_bh_leaves_a_missing_p_missing_and_corrects_over_the_others():
    """A NaN p is no test: it stays NaN (not 0, a discovery; not 1, a test) and the others
    get statsmodels' ``fdr_bh`` over them alone."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(40) * 0.02, rng.random(60)])
    p[rng.choice(p.size, 15, replace=False)] = np.nan
    q = fdr_bh(p)
    given = ~np.isnan(p)
    np.testing.assert_array_equal(np.isnan(q), ~given)
    reject, ref, _, _ = multipletests(p[given], alpha=0.05, method="fdr_bh")
    np.testing.assert_allclose(q[given], ref, rtol=1e-12)
    assert ((q[given] <= 0.05) == reject).all() and reject.any()


def test_under_the_normal_p_a_lone_cell_is_one_of_the_tests_and_keeps_its_z():
    """A cell without neighbours is no test only under a conditional p (its own value is
    held).  Under the normal p its z is ``(x_i − x̄)/S`` (Gi* of itself) and its p enters the
    correction like any other, as ``gi_summary``'s ``fdr_cells`` (all cells) says."""
    from statsmodels.stats.multitest import multipletests

    disk = disk_cells(2)
    island = grid.points_to_cells([14.0], [38.0], 6)
    cells = np.concatenate([disk, island])
    values = np.zeros(cells.size)
    values[:3] = 1.0
    values[-1] = 12.0  # the island: one large count
    opts = {"permutations": 0, "p_value": "normal"}
    frame = gi_star(cells, values, opts)
    at = frame["cell"].to_numpy() == island[0]
    assert frame.loc[at, GI_NEIGHBOURS].item() == 1
    z_hand = (12.0 - values.mean()) / values.std()
    assert frame.loc[at, GI_Z].item() == pytest.approx(z_hand, rel=1e-12)
    p = 2.0 * stats.norm.sf(np.abs(frame[GI_Z].to_numpy()))
    np.testing.assert_allclose(frame[GI_P].to_numpy(), p, rtol=1e-12)
    _, q, _, _ = multipletests(p, method="fdr_bh")
    np.testing.assert_allclose(frame[GI_P_ADJUSTED].to_numpy(), q, rtol=1e-12)
    assert frame.loc[at, GI_BIN].item() == 3
    assert gi_summary(frame, opts)["fdr_cells"] == cells.size


def test_under_a_conditional_p_lone_cells_are_left_out_of_the_correction():
    """A lone cell's exact p is 1 by construction: its adjusted p is 1 (not missing) and the
    others are corrected over the cells with neighbours alone (statsmodels' ``fdr_bh``)."""
    from statsmodels.stats.multitest import multipletests

    disk = disk_cells(2)
    islands = grid.points_to_cells([14.0, 16.0, 18.0, 20.0, 22.0], [38.0] * 5, 6)
    cells = np.concatenate([disk, islands])
    values = np.zeros(cells.size)
    values[[0, 1, 2, 9]] = [2.0, 3.0, 1.0, 4.0]
    values[-5:] = [5.0, 0.0, 1.0, 7.0, 2.0]
    frame = gi_star(cells, values)  # the defaults: exact p, FDR
    lone = frame[GI_NEIGHBOURS].to_numpy() == 1
    assert lone.sum() == 5
    p = np.minimum(1.0, 2.0 * frame[GI_P_EXACT].to_numpy())
    np.testing.assert_array_equal(p[lone], 1.0)
    _, q, _, _ = multipletests(p[~lone], method="fdr_bh")
    used = frame[GI_P_ADJUSTED].to_numpy()
    np.testing.assert_allclose(used[~lone], q, rtol=1e-12)
    np.testing.assert_array_equal(used[lone], 1.0)


def test_exact_p_does_not_move_when_every_value_moves_by_the_same_integer():
    """The conditional null draws the others' values: adding one constant to every value
    adds ``k`` times it to every sum, observed and drawn alike.  Negative integers (a change
    in counts) are integers too, and an exact p still applies to them."""
    cells = disk_cells(2)
    w = cells_to_weights(cells, k_rings=1)
    y = np.zeros(w.n)
    y[[0, 3, 4, 11, 18]] = [1.0, 4.0, 2.0, 1.0, 3.0]
    ref = exact_p(w.matrix, y)
    assert ref is not None and ref.min() < 0.2
    for shift in (-7.0, -1.0, 5.0):
        got = exact_p(w.matrix, y + shift)
        assert got is not None
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("value", [1.0, 0.1, 3.7])
def test_constant_values_on_weights_that_are_no_integers_tie_every_draw(value):
    """Every draw of a constant field equals the observation: the pseudo p is 1.  The draws'
    weighted sums add the same weights in another order than the observed sum; without a
    tolerance for that round-off the observation beat every draw on one side (p = 1/(P+1),
    a "99 %" spot of a constant field)."""
    cells = disk_cells(4)
    w = cells_to_weights(cells, distance_band_km=25.0, weights="kernel")
    p = permutation_p(w.matrix, np.full(w.n, value), 99, seed=0)
    np.testing.assert_array_equal(p, 1.0)
    # equal weights in a row that are no double (row-standardised: 1/7) take the draws'
    # shortcut, weight x sum, against the observed sum of weight x value
    dense = cells_to_weights(cells, k_rings=1).matrix.toarray()
    rows = weights_from_sparse(w.cells, dense / dense.sum(axis=1, keepdims=True))
    p = permutation_p(rows.matrix, np.full(w.n, value), 99, seed=0)
    np.testing.assert_array_equal(p, 1.0)


def _row_standardised(cells: np.ndarray):
    """Star k-ring weights scaled so that each row sums to 1 (equal weights in a row)."""
    dense = cells_to_weights(cells, k_rings=1).matrix.toarray()
    return weights_from_sparse(np.sort(cells), dense / dense.sum(axis=1, keepdims=True))


def test_exact_and_permutation_p_of_row_standardised_weights_are_those_of_binary_ones():
    """Equal weights within a row make Gi* a monotone function of the neighbours' sum,
    whatever their size: the exact p applies (weights compared within each row, not with
    the first row's) and equals the binary weights' one; the draws scale by the row's
    weight, in the sparse-count path too."""
    cells = disk_cells(3)
    binary = cells_to_weights(cells, k_rings=1)
    rows = _row_standardised(cells)
    y = np.zeros(binary.n)
    y[[0, 5, 6, 7, 20, 30]] = [2.0, 1.0, 3.0, 1.0, 1.0, 4.0]  # sparse counts: a run of zeros
    ref = exact_p(binary.matrix, y)
    got = exact_p(rows.matrix, y)
    assert ref is not None and got is not None
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    for values in (y, np.random.default_rng(5).gamma(2.0, 1.0, binary.n)):
        a = permutation_p(binary.matrix, values, 199, seed=2)
        b = permutation_p(rows.matrix, values, 199, seed=2)
        np.testing.assert_array_equal(a, b)


def test_without_fdr_the_published_p_is_twice_the_exact_p_capped_at_one():
    """``gi_p_adjusted`` is a p-value: ``min(1, 2 p_exact)`` when nothing corrects it."""
    cells = disk_cells(2)
    y = np.zeros(cells.size)
    y[[0, 1, 4]] = [1.0, 2.0, 1.0]
    frame = gi_star(cells, y, {"fdr": False})
    p_exact = frame[GI_P_EXACT].to_numpy()
    assert (p_exact > 0.5).any()
    np.testing.assert_array_equal(frame[GI_P_ADJUSTED].to_numpy(), np.minimum(1.0, 2 * p_exact))


def test_weights_from_sparse_refuses_negative_weights():
    """A negative weight makes ``n S1 − W²`` and the draws meaningless: refused."""
    cells = disk_cells(1)
    dense = cells_to_weights(cells, k_rings=1).matrix.toarray()
    dense[0, 1] = -0.5
    with pytest.raises(InputError, match="non-negative"):
        weights_from_sparse(np.sort(cells), dense)


def test_the_default_seed_is_zero():
    """Published pseudo p-values are reproducible from the options: no seed means seed 0."""
    cells = disk_cells(3)
    y = np.random.default_rng(0).poisson(1.0, cells.size).astype(float)
    opts = {"permutations": 99, "p_value": "permutation"}
    a = gi_star(cells, y, opts)
    b = gi_star(cells, y, {**opts, "seed": 0})
    pd.testing.assert_frame_equal(a, b)
    assert gi_summary(a, opts)["seed"] == 0


def test_a_pentagon_has_five_neighbours_not_a_sixth_with_no_events():
    """Around an H3 pentagon the 1-ring holds 5 cells: ``W = 6`` with itself, and its z is
    Ord & Getis's with that ``W`` (a missing sixth neighbour is not a cell with 0 events).
    The same for a single cell given a distance band: it is its own neighbourhood."""
    import h3

    pentagon = np.uint64(h3.str_to_int(h3.get_pentagons(5)[3]))
    cells = np.sort(grid.grid_disk_cells(np.array([pentagon]), 2))
    w = cells_to_weights(cells, k_rings=1)
    i = int(np.searchsorted(w.cells, pentagon))
    assert w.neighbours[i] == 6
    y = np.arange(w.n, dtype="float64") % 4
    n, wi = w.n, 6.0
    lag = y[w.matrix.indices[w.matrix.indptr[i] : w.matrix.indptr[i + 1]]].sum()
    z_hand = (lag - y.mean() * wi) / (y.std() * np.sqrt((n * wi - wi * wi) / (n - 1)))
    z = gi_star(w.cells, y, {"permutations": 0}, weights=w)[GI_Z].to_numpy()
    assert z[i] == pytest.approx(z_hand, rel=1e-12)
    one = cells_to_weights(cells[:1], distance_band_km=5.0)
    assert one.neighbours.tolist() == [1]


def test_a_cell_without_neighbours_has_pseudo_p_one():
    """No neighbour, no sum to draw: every one of the P draws ties with the observation and
    the pseudo p is 1 (not ``1/(P+1)``, the floor of the most significant cells)."""
    cells = np.concatenate([disk_cells(1), grid.points_to_cells([14.0], [38.0], 6)])
    values = np.array([0.0, 3.0, 1.0, 0.0, 2.0, 0.0, 5.0, 9.0])
    opts = {"permutations": 49, "p_value": "permutation"}
    frame = gi_star(cells, values, opts)
    lone = frame[GI_NEIGHBOURS].to_numpy() == 1
    assert lone.sum() == 1
    np.testing.assert_array_equal(frame.loc[lone, GI_P_SIM].to_numpy(), 1.0)
    w = cells_to_weights(cells, k_rings=1)
    assert permutation_p(w.matrix, values[np.argsort(cells)], 49)[lone].tolist() == [1.0]


def test_a_wide_band_is_a_great_circle_distance_not_a_chord():
    """At 1,000 km the chord is ~1 km shorter than the arc: the band is an arc length, the
    KD-tree's radius its chord.  Pairs a fraction of a km beyond the band stay out, and a
    pair exactly at it (the band copied from their distance) is in, binary or kernel; a
    kernel's zero weight at the band is no neighbour (no stored zero)."""
    from pipeline.sphere import haversine_km

    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 2), 3))
    lat, lon = grid.cells_to_latlng(cells)
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    pair = np.unravel_index(np.argmin(np.abs(d - 1000.0)), d.shape)
    band = float(d[pair]) - 0.3  # that pair 300 m beyond the band
    w = cells_to_weights(cells, distance_band_km=band)
    assert np.array_equal(w.matrix.toarray() > 0, d <= band)
    at = cells_to_weights(cells, distance_band_km=float(d[pair]))
    assert at.matrix[pair] == 1.0
    near = disk_cells(2)  # resolution 6: bands of 7-24 km copied from centre distances
    lat, lon = grid.cells_to_latlng(near)
    for j in (1, 5, 17):
        band_j = float(haversine_km(lon[0], lat[0], lon[j], lat[j]))
        assert cells_to_weights(near[[0, j]], distance_band_km=band_j).neighbours.tolist() == [2, 2]
    kernel = cells_to_weights(
        cells, distance_band_km=float(d[pair]) * (1 - 1e-12), weights="kernel"
    )
    assert (kernel.matrix.data > 0).all()
    assert kernel.matrix[pair] == 0.0


def test_weights_from_sparse_keeps_a_given_self_weight_and_fills_a_missing_one():
    """A diagonal the user gave stays; a zero one becomes ``self_weight`` (not always 1)."""
    cells = disk_cells(1)
    dense = cells_to_weights(cells, k_rings=1).matrix.toarray()
    np.fill_diagonal(dense, 0.0)
    dense[0, 0], dense[1, 1] = 2.0, 0.25
    w = weights_from_sparse(np.sort(cells), dense, self_weight=0.5)
    np.testing.assert_array_equal(w.matrix.diagonal(), [2.0, 0.25] + [0.5] * 5)
