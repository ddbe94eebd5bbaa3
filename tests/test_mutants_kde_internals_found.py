"""Mutation check of the density core's internals: FFT tiles, direct sums, memo tiles, weights.

Each test here kills mutants of ``pipeline/density/_fft.py``, ``_direct.py``, ``_tiles.py``,
``_centres.py``, ``_inputs.py``, ``_weights.py`` and the evaluators' choice that survived
the rest of the suite, by an independent value: a brute-force haversine kernel sum written
here, scipy's ``fftconvolve``, h3's cell centres and the decay worked out by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipeline import schema
from pipeline.density import (
    centre_sampling_note,
    decay_anchor,
    density_memo,
    kernel_density,
    seizure_weights,
)
from pipeline.errors import ConfigError, InputError
from pipeline.grid import cells_to_latlng, region_to_cells

#: H3's authalic Earth radius (km), written out here: the value h3's C library uses.
R_KM = 6371.007180918475


def _haversine(lon1, lat1, lon2, lat2):
    """Great-circle distance (km), written independently of pipeline.sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _memo(root):
    from pipeline.runner.cache import StageCache

    root.mkdir(parents=True, exist_ok=True)
    return StageCache(root / ".cache").memo("m", [1])


# -- memo tiles: keyed by everything their sums depend on -------------------------------


def test_memo_tiles_of_another_kernel_are_never_served(tmp_path):
    """A tile's key names the kernel: the epanechnikov after the quartic at the same
    bandwidth, same points and cells, gives the epanechnikov's sums, not the quartic's."""
    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(0.3, 0.7, 30), rng.uniform(0.3, 0.7, 30)
    kw = {"bandwidth_km": 40.0, "method": "direct"}
    with density_memo(_memo(tmp_path / "night")):
        quartic = kernel_density((lon, lat), cells, kernel="quartic", **kw)
    with density_memo(_memo(tmp_path / "night")):
        epan = kernel_density((lon, lat), cells, kernel="epanechnikov", **kw)
    d = _haversine(lon[None, :], lat[None, :], *np.flip(cells_to_latlng(cells), 0)[:, :, None])
    u = d / 40.0
    # the planar formula by hand (the sphere's factor at 40 km is 1 + 2e-6)
    want = (np.where(u < 1, 2 / np.pi * (1 - u * u), 0.0) / 40.0**2).sum(axis=1)
    np.testing.assert_allclose(epan, want, rtol=1e-5)
    assert not np.allclose(quartic, epan, rtol=1e-3)


def test_memo_tiles_of_cells_coarser_than_a_tile_are_the_cells_own_sums(tmp_path):
    """Cells coarser than the tiles (resolution 3 and 5 against tiles of resolution 4 for a
    quartic of 5 km) are tiled by their centres: one tile per target, the sums as without a
    memo (their children as tiles were 7 keys per target)."""
    from pipeline.density._tiles import tile_resolution

    assert tile_resolution(5.0) == 4
    coarse = region_to_cells((10.0, 50.0, 12.0, 51.5), 3)
    cells = np.concatenate([coarse, region_to_cells((10.4, 50.4, 10.6, 50.6), 5)])
    lat, lon = cells_to_latlng(cells)
    # points next to each centre: every cell is reached
    p_lon, p_lat = lon + 0.01, lat - 0.01
    kw = {"bandwidth_km": 5.0, "kernel": "quartic", "method": "direct"}
    with density_memo(_memo(tmp_path)):
        got = kernel_density((p_lon, p_lat), cells, **kw)
    d = _haversine(p_lon[None, :], p_lat[None, :], lon[:, None], lat[:, None])
    u = d / 5.0
    want = (np.where(u < 1, 3 / np.pi * (1 - u * u) ** 2, 0.0) / 25.0).sum(axis=1)
    assert (want > 0).all()
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- direct sums: every pair within reach, however the pairs are split ------------------


def test_tree_pairs_split_into_blocks_still_sum_every_target(monkeypatch):
    """More pairs than a block holds split the targets in halves until each fits: both
    halves are summed (a block of 8,000,000 pairs in a run; 40 here), each target its
    triangular kernel over the points within h, by a haversine written here."""
    from pipeline.density import _direct

    monkeypatch.setattr(_direct, "_PAIR_BLOCK", 40)
    monkeypatch.setattr(_direct, "MIN_DENSE_TERMS", 10**18)  # every target to the tree
    rng = np.random.default_rng(2)
    t_lon, t_lat = rng.uniform(-5.0, -4.0, 60), rng.uniform(60.0, 60.5, 60)
    p_lon, p_lat = rng.uniform(-5.0, -4.0, 80), rng.uniform(60.0, 60.5, 80)
    w = rng.uniform(0.5, 2.0, 80)
    h = 15.0
    got = _direct.density_tree(t_lon, t_lat, p_lon, p_lat, w, h, "triangular")
    u = _haversine(p_lon[None, :], p_lat[None, :], t_lon[:, None], t_lat[:, None]) / h
    want = (np.where(u < 1, 3 / np.pi * (1 - u), 0.0) / h**2) @ w
    assert (want > 0).all()
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- the evaluators' choice ----------------------------------------------------------------


def test_auto_takes_fft_where_the_pairs_outnumber_its_grid_and_direct_elsewhere():
    """``auto`` is fft for the gaussian when its pair count beats the grid's cost: 20,000
    points among the 2,300 cells of a 100 km box at 5 km (5 million pairs within 7 h
    expected, against about a million for the points' spreading and a grid of 44,000 nodes); direct for 20 points, for a compact kernel, and past
    the 114 km fft limit.  The fft density agrees with the direct one (3e-4 documented)."""
    rng = np.random.default_rng(4)
    cells = region_to_cells((30.0, 10.0, 30.9, 10.9), 7)
    lon, lat = rng.uniform(30.0, 30.9, 20_000), rng.uniform(10.0, 10.9, 20_000)
    many = kernel_density((lon, lat), cells, bandwidth_km=5.0, return_result=True)
    assert many.method == "fft"
    some = cells[::15]
    direct = kernel_density((lon, lat), some, bandwidth_km=5.0, method="direct")
    np.testing.assert_allclose(many.density[::15], direct, rtol=3e-4)
    few = (lon[:20], lat[:20])
    assert kernel_density(few, cells, bandwidth_km=5.0, return_result=True).method == "direct"
    quartic = kernel_density(
        (lon, lat), cells, bandwidth_km=5.0, kernel="quartic", return_result=True
    )
    assert quartic.method == "direct"


# -- inputs and notes --------------------------------------------------------------------


@pytest.mark.parametrize("h", [0.0, 1e-4, 9.99e-4], ids=["zero", "tenth-metre", "under-a-metre"])
def test_a_bandwidth_under_a_metre_is_refused(h):
    """``MIN_BANDWIDTH_KM`` is 1e-3 km: 0 divided by zero in the kernel (NaN densities)."""
    cells = region_to_cells((0.0, 0.0, 0.05, 0.05), 8)
    with pytest.raises(ConfigError, match=r"bandwidth_km must be a number >= 0.001 km"):
        kernel_density(([0.02], [0.02]), cells, bandwidth_km=h)
    assert kernel_density(([0.02], [0.02]), cells, bandwidth_km=1e-3).shape == cells.shape


@pytest.mark.parametrize("bad", [float("inf"), float("nan")], ids=["inf", "nan"])
def test_a_weight_that_is_not_finite_is_refused_naming_it(bad):
    """An infinite weight is no amount: its cells' density inf, every other cell's 0 * inf."""
    cells = region_to_cells((0.0, 0.0, 0.05, 0.05), 8)
    with pytest.raises(InputError, match=r"weights must be finite and >= 0; weight 1 is"):
        kernel_density(([0.02, 0.03], [0.02, 0.03]), cells, bandwidth_km=1.0, weights=[1.0, bad])


def test_an_empty_point_is_refused_as_an_empty_geometry_naming_its_row():
    """``POINT EMPTY`` (a geocoder's miss) is named as such, not as coordinates of NaN."""
    import geopandas as gpd
    import shapely

    cells = region_to_cells((0.0, 0.0, 0.05, 0.05), 8)
    points = gpd.GeoSeries([shapely.Point(0.02, 0.02), shapely.Point()], crs=4326)
    with pytest.raises(InputError, match=r"non-empty Point geometries; row 1 is <POINT EMPTY>"):
        kernel_density(points, cells, bandwidth_km=1.0)


def test_a_weights_series_with_repeated_labels_is_refused_not_reindexed():
    """Labels repeated in the points' index cannot align a Series of weights by label:
    refused in one line (pandas' reindex raised its own ValueError)."""
    cells = region_to_cells((0.0, 0.0, 0.05, 0.05), 8)
    pts = pd.DataFrame({"lon": [0.02, 0.03, 0.04], "lat": [0.02, 0.03, 0.04]}, index=[0, 0, 1])
    weights = pd.Series([1.0, 2.0, 3.0], index=[1, 0, 0])
    with pytest.raises(InputError, match=r"weights is a Series whose index is not the points'"):
        kernel_density(pts, cells, bandwidth_km=1.0, weights=weights)


def test_a_note_on_a_kernel_far_narrower_than_a_cell_says_its_events_are_out_of_reach():
    """At a fifth of a cell edge the measured median error is 100 %: a cell's events are
    mostly out of its centre's reach, and the note says so; at 1.5 edges (29 %) it does not."""
    at_fifth = centre_sampling_note("density.bandwidth_km", 5.0, "quartic", 4)
    assert at_fifth is not None and "mostly out of its centre's reach" in at_fifth
    at_one_and_half = centre_sampling_note("density.bandwidth_km", 39.0, "quartic", 4)
    assert at_one_and_half is not None and "out of" not in at_one_and_half


# -- time-decay weights --------------------------------------------------------------------


def test_an_event_years_after_as_of_weighs_0_from_the_anchor_without_an_overflow():
    """Decayed from :func:`decay_anchor`'s anchor, as a run's density is, an event after
    ``as_of`` weighs 0 because it is in its future: 0.5 ** (-(2031 - anchor) / 0.5 days) is
    2 ** 4,000 (inf, and numpy's overflow warning, an error here, in the run's log).  The
    others weigh ``0.5 ** (age / half-life)`` from the anchor, by hand."""
    times = pd.to_datetime(
        ["2026-01-01T00:00Z", "2026-01-01T12:00Z", "2026-01-02T00:00Z", "2031-06-01T00:00Z"]
    )
    s = pd.DataFrame({schema.TIME: times})
    as_of = pd.Timestamp("2026-01-02T00:00Z")  # the third event is on it: age 0, weight 1
    anchor, factor = decay_anchor(as_of, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = seizure_weights(s, as_of=as_of, half_life_days=0.5, decay_from=anchor)
    ages = (times[:3] - anchor).total_seconds().to_numpy() / 86400.0
    np.testing.assert_allclose(w, np.r_[2.0 ** (ages / 0.5), 0.0], rtol=1e-12)
    np.testing.assert_allclose(w * factor, [0.25, 0.5, 1.0, 0.0], rtol=1e-12)


def test_the_anchor_and_decay_from_given_in_another_zone_are_their_utc_instants():
    """``as_of`` at 02:00 in Paris in summer is 00:00 UTC: the anchor's factor counts the days
    from that instant, ``0.5 ** (days / half-life)`` by hand, not from 02:00 read as UTC; a
    ``decay_from`` in another zone is its instant too."""
    paris = pd.Timestamp("2026-06-30T02:00", tz="Europe/Paris")
    anchor, factor = decay_anchor(paris, 1.0)
    days = (pd.Timestamp("2026-06-30T00:00Z") - anchor).total_seconds() / 86400.0
    assert days == int(days)  # the anchor is a whole number of days after 1970
    assert factor / 0.5**days == pytest.approx(1.0, rel=1e-12)  # 2 ** -154: no abs tolerance
    s = pd.DataFrame({schema.TIME: pd.to_datetime(["2026-06-29T00:00Z", "2026-06-28T12:00Z"])})
    start = pd.Timestamp("2026-06-29T08:00", tz="Asia/Tokyo")  # 2026-06-28T23:00Z
    w = seizure_weights(s, as_of=paris, half_life_days=1.0, decay_from=start)
    np.testing.assert_allclose(w, [0.5 ** (-1 / 24), 0.5 ** (11 / 24)], rtol=1e-12)


def test_commodity_weights_ignore_case_and_surrounding_blanks_on_both_sides():
    """``" Cocaine "`` in the mapping weighs the seizures labelled ``"cocaine "``; others the
    ``default`` weight."""
    s = pd.DataFrame({schema.COMMODITY: ["cocaine ", "Heroin", None]})
    w = seizure_weights(s, commodity_weights={" Cocaine ": 3.0, "default": 0.5})
    np.testing.assert_array_equal(w, [3.0, 0.5, 0.5])
