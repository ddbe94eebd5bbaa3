"""Tests that a mutation pass on the bandwidth rules and the hot-spot weights found missing (hHI).

Each test fails on one small, plausible mutant of ``pipeline/density/_bandwidth.py`` or
``pipeline/hotspots/_weights.py`` that left every other test passing, or on the code as it
was (a weighted quantile one point off when the weights were not integers; k rings and a
self-weight without bounds).  References: pyproj's stereographic projection on the sphere,
numpy's ``inverted_cdf`` quantile on repeated points, scipy's ``gaussian_kde`` factor, a
brute-force leave-one-out likelihood, libpysal's ``DistanceBand`` and hand values.
"""

from __future__ import annotations

import numpy as np
import pytest
from _stats import disk_cells
from pyproj import Proj
from scipy import sparse, stats

from pipeline import grid
from pipeline.density import MIN_BANDWIDTH_KM, select_bandwidth
from pipeline.errors import ConfigError, InputError
from pipeline.hotspots import (
    HotspotOptions,
    cells_to_weights,
    weights_from_options,
    weights_from_sparse,
)

R_KM = 6371.007180918475  # the sphere of the rules: H3's authalic radius


def _unit(lon, lat):
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _plane_km(lon, lat, w):
    """pyproj's stereographic plane (km, scale 1 at its centre) about the weighted mean centre,
    with the weighted plane mean taken off: the plane of the rules, made independently."""
    c = (_unit(lon, lat) * w[:, None]).sum(axis=0)
    lon0 = np.degrees(np.arctan2(c[1], c[0]))
    lat0 = np.degrees(np.arctan2(c[2], np.hypot(c[0], c[1])))
    proj = Proj(f"+proj=stere +lat_0={float(lat0)!r} +lon_0={float(lon0)!r} +k_0=1 +R={R_KM * 1e3}")
    x, y = proj(lon, lat)
    x, y = np.asarray(x) / 1000.0, np.asarray(y) / 1000.0
    return x - np.average(x, weights=w), y - np.average(y, weights=w)


def _kish(w):
    return w.sum() ** 2 / (w * w).sum()


# -- the weighted quantiles of 'silverman' and 'spatial' ----------------------------------------

# seventeen points in a core and three far (a count of 20: the quartiles fall exactly on a
# running count): the IQR, not the standard deviation, is the spread Silverman's rule takes
_LON = np.array([0.0, 0.012, -0.011, -0.036, -0.018, -0.04, 0.002, 0.054, -0.02, -0.025, 0.02])
_LON = np.append(_LON, [0.014, 0.004, -0.037, -0.001, 0.028, -0.054, 0.9, -0.8, 0.7])
_LAT = np.array([-0.018, -0.076, -0.052, -0.074, -0.009, -0.051, 0.011, 0.006, -0.007, -0.101])
_LAT = np.append(_LAT, [-0.022, -0.002, 0.005, -0.061, -0.019, -0.039, -0.032, 0.7, -0.9, -0.6])
_COUNTS = {
    "equal": np.ones(20, dtype=int),
    "counts": np.array([2, 1, 1, 3, 1, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 3, 1, 1, 1]),
}
_SCALED = [(c, s) for c in _COUNTS for s in (1.0, 0.1, 0.3, 0.7)]


@pytest.mark.parametrize(("counts", "scale"), _SCALED, ids=[f"{c}-w{s:g}" for c, s in _SCALED])
@pytest.mark.parametrize("rule", ["silverman", "spatial"])
def test_weighted_quantiles_are_numpys_inverted_cdf_of_the_repeated_points(rule, counts, scale):
    """Weights ``scale × k`` spread as ``k`` repeated points, whatever the scale.

    The running sum of the weights was compared with ``q`` of their total exactly: a sum one
    rounding below it (of twenty weights of 0.1, ``1.5000000000000002`` against
    ``1.5000000000000004``) took the next point: Silverman's rule 11 % low and the spatial
    rule 5 % high when every weight was 0.1 instead of 1, Silverman's 9 % high with the
    counts times 0.3.
    """
    k = _COUNTS[counts]
    w = k * scale
    x, y = _plane_km(_LON, _LAT, k.astype(float))
    rx, ry = np.repeat(x, k), np.repeat(y, k)
    sd = np.sqrt(np.mean(rx * rx + ry * ry))
    if rule == "silverman":
        iqr = np.mean(
            [np.subtract(*np.quantile(v, [0.75, 0.25], method="inverted_cdf")) for v in (rx, ry)]
        )
        assert iqr / 1.349 < sd / np.sqrt(2)  # the robust spread is the one the rule takes
        want = 0.9 * iqr / 1.349 * _kish(w) ** -0.2
    else:
        dm = np.quantile(np.hypot(rx, ry), 0.5, method="inverted_cdf")
        assert np.sqrt(1 / np.log(2)) * dm < sd
        want = 0.9 * np.sqrt(1 / np.log(2)) * dm * _kish(w) ** -0.2
    assert select_bandwidth((_LON, _LAT), rule, weights=w) == pytest.approx(want, rel=1e-9)


# -- Scott's rule far from the centre, and weights of zero ---------------------------------------


def test_scott_is_scipys_factor_times_the_spread_in_the_stereographic_plane():
    """Points reaching ~55° from their weighted mean centre (the plane stretches them 1.3×):
    ``h = σ n^(-1/6)`` with ``σ² = Σw r² / (2 Σw)`` (the weighted standard distance of
    ArcGIS, divided by Σw, not Σw − 1) and scipy's factor for Kish's effective count."""
    lon = np.array([-40.0, 10.0, 35.0, 60.0, 0.0, 20.0, -15.0])
    lat = np.array([10.0, -30.0, 50.0, 5.0, 40.0, 15.0, -10.0])
    w = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.5, 1.0])
    x, y = _plane_km(lon, lat, w)
    sigma = np.sqrt(np.average(x * x + y * y, weights=w) / 2)
    factor = stats.gaussian_kde(np.vstack([x, y]), weights=w).factor  # n_eff^(-1/6) in 2-D
    assert factor == pytest.approx(_kish(w) ** (-1 / 6), rel=1e-12)
    got = select_bandwidth((lon, lat), "scott", weights=w)
    assert got == pytest.approx(sigma * factor, rel=1e-9)


@pytest.mark.parametrize("rule", ["scott", "silverman", "spatial"])
def test_a_point_of_weight_zero_is_no_point(rule):
    """A weight-0 record at the antipode changes nothing (it is not refused as a theatre
    round the globe); two points of which one weighs 0 are one point, refused."""
    lon, lat = _LON[:10], _LAT[:10]
    w = np.linspace(1.0, 2.0, 10)
    alone = select_bandwidth((lon, lat), rule, weights=w)
    far = select_bandwidth(
        (np.append(lon, 180.0), np.append(lat, 0.0)), rule, weights=np.append(w, 0.0)
    )
    assert far == alone
    with pytest.raises(InputError, match="at least 2 points with weight > 0, got 1"):
        select_bandwidth(([0.0, 0.1], [0.0, 0.1]), rule, weights=[1.0, 0.0])


# -- likelihood cross-validation --------------------------------------------------------------


def _loo_log_likelihood(lon, lat, w, h):
    """Σ w_i log f_{-i}(x_i): every other point's weighted gaussian (haversine), per weight."""
    la, lo = np.radians(lat), np.radians(lon)
    a = (
        np.sin((la[:, None] - la[None, :]) / 2) ** 2
        + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2
    )
    d = 2 * R_KM * np.arcsin(np.sqrt(a))
    k = np.exp(-0.5 * (d / h) ** 2) / (2 * np.pi * h * h)
    np.fill_diagonal(k, 0.0)
    f = (k * w[None, :]).sum(axis=1) / (w.sum() - w)
    return float((w * np.log(f)).sum())


def test_cv_maximises_the_weighted_leave_one_out_likelihood():
    """Two clusters of unequal weights: the choice is the brute-force likelihood's maximum to
    within the search's final step (a factor 1.09 over a (1, 60) km range)."""
    rng = np.random.default_rng(4)
    lon = np.concatenate([rng.normal(0.0, 0.08, 30), rng.normal(0.6, 0.25, 30)])
    lat = np.concatenate([rng.normal(0.0, 0.08, 30), rng.normal(0.3, 0.25, 30)])
    w = np.concatenate([np.full(30, 10.0), rng.uniform(0.2, 1.0, 30)])
    hs = np.geomspace(1.0, 60.0, 400)
    ll = np.array([_loo_log_likelihood(lon, lat, w, h) for h in hs])
    best = hs[int(np.argmax(ll))]
    assert 1.5 < best < 40.0  # inside the range: a true maximum, not an edge
    got = select_bandwidth((lon, lat), "cv", weights=w, bandwidth_range_km=(1.0, 60.0))
    assert abs(np.log(got / best)) < np.log(1.09)
    # the unweighted likelihood's maximum is elsewhere: the weights are what is fitted
    plain = hs[int(np.argmax([_loo_log_likelihood(lon, lat, np.ones(60), h) for h in hs]))]
    assert abs(np.log(plain / best)) > np.log(1.3)


def test_without_a_quartile_spread_silverman_takes_the_standard_deviation():
    """Seven of ten records at one place: each axis' IQR is 0, and Silverman's rule takes
    ``σ = sqrt((σx² + σy²)/2)`` alone (not 0, not ``SD``); the spatial rule's median
    distance (the seven to the mean centre) is no 0 and stays the smaller spread."""
    lon = np.array([0.0] * 7 + [0.2, -0.05, 0.1])
    lat = np.array([0.0] * 7 + [0.1, 0.15, -0.2])
    w = np.ones(10)
    x, y = _plane_km(lon, lat, w)
    sd = np.sqrt(np.mean(x * x + y * y))
    want = 0.9 * sd / np.sqrt(2) * 10**-0.2
    assert select_bandwidth((lon, lat), "silverman") == pytest.approx(want, rel=1e-9)
    dm = np.quantile(np.hypot(x, y), 0.5, method="inverted_cdf")
    assert 0 < dm and np.sqrt(1 / np.log(2)) * dm < sd
    want = 0.9 * np.sqrt(1 / np.log(2)) * dm * 10**-0.2
    assert select_bandwidth((lon, lat), "spatial") == pytest.approx(want, rel=1e-9)


def test_without_a_median_distance_the_spatial_rule_takes_the_standard_distance():
    """Six records at the mean centre itself (the others symmetric about it): ``Dm = 0`` and
    the rule takes the standard distance, not a bandwidth of 0."""
    lon = np.array([0.0] * 6 + [0.1, -0.1, 0.0, 0.0])
    lat = np.array([0.0] * 6 + [0.0, 0.0, 0.1, -0.1])
    x, y = _plane_km(lon, lat, np.ones(10))
    sd = np.sqrt(np.mean(x * x + y * y))
    want = 0.9 * sd * 10**-0.2
    assert select_bandwidth((lon, lat), "spatial") == pytest.approx(want, rel=1e-9)


def test_a_rule_below_the_least_bandwidth_gives_the_least_bandwidth():
    """Records a metre or two apart: Scott's rule says 0.78 m, below the 1 m that
    ``bandwidth_km`` accepts; the rule returns that least bandwidth, never less."""
    rng = np.random.default_rng(6)
    lon, lat = rng.normal(0.0, 1.5e-5, 100), rng.normal(0.0, 1.5e-5, 100)
    x, y = _plane_km(lon, lat, np.ones(100))
    assert np.sqrt(np.mean(x * x + y * y) / 2) * 100 ** (-1 / 6) < MIN_BANDWIDTH_KM
    assert select_bandwidth((lon, lat), "scott") == MIN_BANDWIDTH_KM


def test_cv_default_range_reaches_down_to_a_twentieth_of_the_spatial_rule():
    """Three tight clusters 50 km apart: 'spatial' measures the clusters' spread, the
    likelihood a cluster's.  Without ``bandwidth_range_km`` the search runs from 0.05 ×
    'spatial', and finds the brute-force maximum below 0.5 × 'spatial'."""
    rng = np.random.default_rng(8)
    centres = [(0.0, 0.0), (0.45, 0.0), (0.2, 0.4)]
    lon = np.concatenate([rng.normal(c[0], 0.01, 15) for c in centres])
    lat = np.concatenate([rng.normal(c[1], 0.01, 15) for c in centres])
    w = np.ones(45)
    spatial = select_bandwidth((lon, lat), "spatial")
    hs = np.geomspace(0.05 * spatial, 2 * spatial, 300)
    best = hs[int(np.argmax([_loo_log_likelihood(lon, lat, w, h) for h in hs]))]
    assert best < 0.4 * spatial
    got = select_bandwidth((lon, lat), "cv")
    assert abs(np.log(got / best)) < np.log(1.09)


def test_cv_says_when_its_choice_is_the_edge_of_the_range(caplog):
    """A range whose bottom is above the likelihood's maximum: the bottom is chosen, and
    said (points 5.5 km about their centre, a range of 10-40 km)."""
    rng = np.random.default_rng(4)
    lon, lat = rng.normal(0.0, 0.05, 40), rng.normal(0.0, 0.05, 40)
    with caplog.at_level("WARNING", logger="pipeline.density"):
        got = select_bandwidth((lon, lat), "cv", bandwidth_range_km=(10.0, 40.0))
    assert got == pytest.approx(10.0)
    assert "at the edge of the range (10, 40) km" in caplog.text


@pytest.mark.parametrize(
    "bounds",
    [(0.0005, 60.0), (30.0, 30.0), (1.0, 10_100.0)],
    ids=["below-least", "empty", "past-quarter-globe"],
)
def test_cv_refuses_a_range_outside_the_bandwidths_accepted(bounds):
    """The range is bandwidths: at least 1 m, its max above its min, at most a quarter of
    the Earth's circumference; a range past those is refused, not searched."""
    lon, lat = _LON[:10], _LAT[:10]
    with pytest.raises(ConfigError, match="bandwidth_range_km"):
        select_bandwidth((lon, lat), "cv", bandwidth_range_km=bounds)


# -- spatial weights between cells ------------------------------------------------------------


def _arc_km(lon, lat):
    la, lo = np.radians(lat), np.radians(lon)
    a = (
        np.sin((la[:, None] - la[None, :]) / 2) ** 2
        + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2
    )
    return 2 * R_KM * np.arcsin(np.sqrt(a))


def test_k_rings_past_max_pairs_are_refused(monkeypatch):
    """Every disk is listed whole before cells outside the area are dropped: ``n (3k(k+1)+1)``
    entries.  Only the distance band was bounded; ``k_rings`` up to the config's 100 (30,301
    cells a disk) on 10,000 cells asked for 3e8 entries of each of four arrays."""
    monkeypatch.setattr("pipeline.hotspots._weights.MAX_PAIRS", 1_000)
    cells = disk_cells(2)  # 19 cells: 19 × 19 = 361 entries at k = 2, 19 × 91 at k = 5
    assert cells_to_weights(cells, k_rings=2).n == 19
    with pytest.raises(InputError, match=r"k_rings 5 lists 91 cells per disk .* 1,729 pairs"):
        cells_to_weights(cells, k_rings=5)


def test_a_band_past_max_pairs_is_refused(monkeypatch):
    """A band's estimate is ``π band²`` over the median cell area (h3's own) per cell."""
    import h3

    cells = disk_cells(2)

    area = np.median([h3.cell_area(h3.int_to_str(int(c)), unit="km^2") for c in cells])
    per_cell = np.pi * 20.0**2 / area
    assert 500 < per_cell * 19 < 1_000
    monkeypatch.setattr("pipeline.hotspots._weights.MAX_PAIRS", 500)
    with pytest.raises(InputError, match=rf"about {per_cell:,.0f} neighbours per cell"):
        cells_to_weights(cells, distance_band_km=20.0)


@pytest.mark.parametrize(
    "self_weight", [-1.0, 0.0, np.nan, np.inf], ids=["neg", "zero", "nan", "inf"]
)
def test_weights_from_sparse_refuses_a_self_weight_that_is_no_positive_number(self_weight):
    """The matrix's weights are checked finite and >= 0; the filled diagonal was not: a
    self-weight of -1 or NaN went into Gi* as the cell's own weight."""
    cells = disk_cells(1)
    with pytest.raises(InputError, match="self_weight"):
        weights_from_sparse(cells, np.zeros((7, 7)), self_weight=self_weight)


def test_weights_from_sparse_keeps_who_weighs_whom_in_an_asymmetric_matrix():
    """Row ``a``, column ``b`` is the weight of ``b`` in ``a``'s neighbourhood, whatever the
    order the cells come in (the reorder is rows and columns, not a transpose)."""
    cells = disk_cells(1)
    rng = np.random.default_rng(5)
    dense = np.triu(rng.uniform(0.5, 2.0, (7, 7)), 1)  # only the upper triangle
    perm = rng.permutation(7)
    got = weights_from_sparse(cells[perm], sparse.csr_array(dense[np.ix_(perm, perm)]))
    assert np.array_equal(got.cells, cells)
    np.testing.assert_array_equal(got.matrix.toarray(), dense + np.eye(7))
    rows = np.repeat(np.arange(7), np.diff(got.matrix.indptr))
    assert (np.diff(got.matrix.indices)[rows[1:] == rows[:-1]] > 0).all()
    with pytest.raises(InputError, match="unique"):
        weights_from_sparse(np.r_[cells[:6], cells[:1]], dense)


@pytest.mark.parametrize(
    ("lon", "lat", "res", "band"),
    [(179.9, 10.0, 5, 30.0), (-179.95, -60.0, 5, 25.0), (0.0, 89.9, 4, 60.0)],
    ids=["antimeridian", "60S-antimeridian", "north-pole"],
)
def test_a_distance_band_across_180_and_round_a_pole_is_libpysals(lon, lat, res, band):
    """Binary: libpysal's ``DistanceBand`` on the arc (its haversine, H3's radius), with the
    cell itself.  Kernel: the quartic of the haversine by hand, 1 on the diagonal."""
    import libpysal

    cells = grid.grid_disk_cells(grid.points_to_cells([lon], [lat], res), 3)
    w = cells_to_weights(cells, distance_band_km=band)
    clat, clon = grid.cells_to_latlng(w.cells)
    assert (np.abs(clon) > 179.0).any() or lat > 89  # the theatre does cross 180 or the pole
    ref = libpysal.weights.DistanceBand(
        np.column_stack([clon, clat]),
        threshold=band,
        binary=True,
        distance_metric="arc",
        radius=R_KM,
        silence_warnings=True,
    ).full()[0]
    np.fill_diagonal(ref, 1.0)
    np.testing.assert_array_equal(w.matrix.toarray(), ref)
    d = _arc_km(clon, clat)
    kernel = cells_to_weights(cells, distance_band_km=band, weights="kernel").matrix.toarray()
    want = np.where(d < band, (1 - (d / band) ** 2) ** 2, 0.0)
    np.testing.assert_allclose(kernel, want, rtol=1e-9, atol=1e-12)
    assert (np.diag(kernel) == 1.0).all()


def test_kernel_k_rings_take_h_as_k_plus_1_over_k_times_the_longest_pair():
    """``h = (k+1)/k × max d``: the farthest pair of the rings weighs ``(1 - (k/(k+1))²)²``
    (25/81 at k = 2), every other pair the quartic of its haversine over that ``h``."""
    cells = disk_cells(3)
    w = cells_to_weights(cells, k_rings=2, weights="kernel")
    b = cells_to_weights(cells, k_rings=2).matrix.toarray() > 0
    lat, lon = grid.cells_to_latlng(w.cells)
    d = np.where(b, _arc_km(lon, lat), 0.0)
    h = 1.5 * d.max()
    np.testing.assert_allclose(w.matrix.toarray(), np.where(b, (1 - (d / h) ** 2) ** 2, 0.0))
    assert w.matrix.data.min() == pytest.approx(25 / 81, rel=1e-12)
    assert f"h={h:.4g} km" in w.description


def test_no_neighbourhood_given_is_one_ring():
    cells = disk_cells(2)
    default, one = cells_to_weights(cells), cells_to_weights(cells, k_rings=1)
    assert (default.matrix != one.matrix).nnz == 0 and default.description == one.description


@pytest.mark.parametrize(
    "kwargs",
    [{"k_rings": True}, {"distance_band_km": 0.0}, {"distance_band_km": np.nan}],
    ids=["k-true", "band-0", "band-nan"],
)
def test_a_neighbourhood_that_is_no_size_is_refused(kwargs):
    """``True`` is no ring count (bool is an int to Python), a band of 0 or NaN no band."""
    match = "k_rings must be an integer" if "k_rings" in kwargs else "must be a positive number"
    with pytest.raises(InputError, match=match):
        cells_to_weights(disk_cells(1), **kwargs)


def test_k_ring_weights_have_sorted_column_indices_and_one_cell_weighs_one():
    """H3 lists a disk centre first, then ring by ring; the CSR's columns are sorted per row
    as :class:`CellWeights` says.  One cell alone is its own kernel neighbourhood, weight 1."""
    cells = disk_cells(2)
    for weights in ("binary", "kernel"):
        m = cells_to_weights(cells, k_rings=2, weights=weights).matrix
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        assert (np.diff(m.indices)[rows[1:] == rows[:-1]] > 0).all()
    alone = cells_to_weights(cells[:1], k_rings=1, weights="kernel")
    assert alone.matrix.toarray().tolist() == [[1.0]]


def test_a_band_just_short_of_the_nearest_centres_is_refused_and_a_pairs_own_joins_it():
    """Neighbouring centres of a res-6 disk lie ``d`` apart (by hand, haversine): a band of
    ``0.9 d`` leaves every cell alone and is refused, naming ``d`` rounded up to 3 digits.
    The disk's farthest pair: a band of its distance joins it, a band a millionth shorter
    leaves it out (the band's slack is round-off, 1e-9, not a tolerance)."""
    cells = disk_cells(1)
    lat, lon = grid.cells_to_latlng(cells)
    d = _arc_km(lon, lat)
    nearest = d[d > 0].min()
    assert 1 < nearest < 10  # three digits are hundredths of a km
    shown = f"{np.ceil(nearest * 100) / 100:.2f}"
    with pytest.raises(InputError, match=rf"use a band of at least {shown} km"):
        cells_to_weights(cells, distance_band_km=0.9 * nearest)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    at = cells_to_weights(cells, distance_band_km=float(d[i, j])).matrix.toarray()
    short = cells_to_weights(cells, distance_band_km=float(d[i, j]) * (1 - 1e-6))
    assert at[i, j] == 1.0 and short.matrix.toarray()[i, j] == 0.0


@pytest.mark.parametrize(
    "neighbourhood", [{"distance_band_km": 15.0}, {"k_rings": 2}], ids=["band", "rings"]
)
def test_weights_from_options_pass_the_weights_kind_on(neighbourhood):
    cells = disk_cells(2)
    got = weights_from_options(cells, HotspotOptions(**neighbourhood, weights="kernel"))
    want = cells_to_weights(cells, **neighbourhood, weights="kernel")
    assert got.description == want.description and (got.matrix != want.matrix).nnz == 0


@pytest.mark.parametrize(
    ("shape", "bad", "match"),
    [((7, 8), None, "shape"), ((7, 7), np.nan, "finite"), ((7, 7), np.inf, "finite")],
    ids=["not-square", "nan", "inf"],
)
def test_weights_from_sparse_refuses_a_matrix_that_is_not_n_by_n_finite_weights(shape, bad, match):
    dense = np.zeros(shape)
    if bad is not None:
        dense[0, 1] = bad
    with pytest.raises(InputError, match=match):
        weights_from_sparse(disk_cells(1), dense)
