"""Mutation check of the density core, the sphere, the H3 grid, cell areas and risk classes.

Each test here kills mutants that survived the rest of the suite, by an independent value:
the kernels' planar formulas evaluated by hand on a haversine computed here, scikit-learn's
``KernelDensity`` on the haversine metric, h3's own distances and cell areas, and risk class
breaks worked out by hand on a few scores.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest

from pipeline.density import kernel_density, select_bandwidth
from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells
from pipeline.sphere import haversine_km

#: H3's authalic Earth radius (km), written out here: the value h3's C library uses.
R_KM = 6371.007180918475


def _haversine(lon1, lat1, lon2, lat2):
    """Great-circle distance (km), written independently of pipeline.sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(a))


#: The kernels' planar formulas in u = d / h (the package docstring), times h² per km².
PLANAR = {
    "gaussian": lambda u: np.exp(-0.5 * u * u) / (2 * np.pi),
    "quartic": lambda u: np.where(u < 1, 3 / np.pi * (1 - u * u) ** 2, 0.0),
    "epanechnikov": lambda u: np.where(u < 1, 2 / np.pi * (1 - u * u), 0.0),
    "triangular": lambda u: np.where(u < 1, 3 / np.pi * (1 - u), 0.0),
    "uniform": lambda u: np.where(u < 1, 1 / np.pi, 0.0),
}


@pytest.fixture(scope="module")
def ring_cells():
    """Cells of resolution 7 within about 40 km of (12 E, 40 N), their centres and distances."""
    cells = region_to_cells((11.55, 39.65, 12.45, 40.35), 7)
    lat, lon = cells_to_latlng(cells)
    return cells, lon, lat, _haversine(12.0, 40.0, lon, lat)


# -- distances and areas against h3 -------------------------------------------------------


def test_haversine_is_h3s_great_circle_distance():
    """pipeline.sphere's distance is h3's to 1e-10, across 180° and near the poles too."""
    rng = np.random.default_rng(11)
    lon1, lon2 = rng.uniform(-180, 180, (2, 40))
    lat1, lat2 = rng.uniform(-89.9, 89.9, (2, 40))
    # across 180°, near a pole, and over the pole
    lon1[:3], lat1[:3] = (179.9, 10.0, 0.0), (10.0, 89.5, 88.0)
    lon2[:3], lat2[:3] = (-179.9, 170.0, 180.0), (11.0, 89.7, 87.0)
    ours = haversine_km(lon1, lat1, lon2, lat2)
    theirs = [
        h3.great_circle_distance((a, b), (c, d), unit="km")
        for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
    ]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_cell_area_is_h3s_exact_area_in_km2():
    cells = np.concatenate(
        [region_to_cells((170.0, -20.0, -170.0, -15.0), 3), points_to_cells([0, 0], [90, -90], 2)]
    )
    theirs = [h3.cell_area(h3.int_to_str(int(c)), unit="km^2") for c in cells]
    np.testing.assert_allclose(cell_area_km2(cells), theirs, rtol=1e-10)
    # the 122 cells of resolution 0 tile the sphere of H3's radius
    globe = region_to_cells((-180, -90, 180, 90), 0)
    assert cell_area_km2(globe).sum() == pytest.approx(4 * np.pi * R_KM**2, rel=1e-9)


def test_mean_cell_edge_is_the_regular_hexagon_of_the_mean_cell_area():
    """Mean area = the sphere over h3's own cell count (12 pentagons included), at resolution 0."""
    from pipeline.grid import mean_cell_edge_km

    for res in (0, 1, 5):
        mean_area = 4 * np.pi * R_KM**2 / h3.get_num_cells(res)
        want = np.sqrt(2 * mean_area / (3 * np.sqrt(3)))
        assert mean_cell_edge_km(res) == pytest.approx(want, rel=1e-12)


# -- the kernels' shapes, by hand ---------------------------------------------------------


@pytest.mark.parametrize("kernel", sorted(PLANAR))
def test_one_point_is_its_kernels_formula_at_every_distance(kernel, ring_cells):
    """One point's density is the planar formula of the distance (times 1 + O(h²/R²)).

    The tests beside compare the evaluators with each other and the mass with 1, both of
    which keep a kernel's wrong shape (the sphere's normalisation rescales any shape to 1).
    """
    cells, _, _, d = ring_cells
    h = 20.0
    want = PLANAR[kernel](d / h) / h**2
    for method in ("exact", "direct"):
        got = kernel_density(([12.0], [40.0]), cells, bandwidth_km=h, kernel=kernel, method=method)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-12 * want.max(), err_msg=method)


def test_gaussian_and_epanechnikov_match_scikit_learn_on_the_haversine_metric(ring_cells):
    """Weighted sums against sklearn's KernelDensity (normalised in 2-D, per rad²)."""
    from sklearn.neighbors import KernelDensity

    cells, lon, lat, _ = ring_cells
    rng = np.random.default_rng(5)
    p_lon, p_lat = 12 + rng.normal(0, 0.15, 25), 40 + rng.normal(0, 0.1, 25)
    w = rng.uniform(0.5, 4.0, 25)
    for kernel, h in (("gaussian", 8.0), ("epanechnikov", 25.0)):
        kde = KernelDensity(kernel=kernel, bandwidth=h / R_KM, metric="haversine")
        kde.fit(np.radians(np.column_stack([p_lat, p_lon])), sample_weight=w)
        ref = np.exp(kde.score_samples(np.radians(np.column_stack([lat, lon])))) * w.sum()
        ref /= R_KM**2
        for method in ("exact", "direct", "fft") if kernel == "gaussian" else ("direct",):
            got = kernel_density(
                (p_lon, p_lat), cells, bandwidth_km=h, kernel=kernel, weights=w, method=method
            )
            big = ref > 1e-3 * ref.max()
            np.testing.assert_allclose(got[big], ref[big], rtol=3e-4, err_msg=method)


def test_a_compact_kernel_is_zero_at_exactly_its_radius():
    """``u < 1``: a cell centre exactly one bandwidth away gets nothing, just inside 1/(πh²)."""
    cell = points_to_cells([30.0], [-10.0], 6)
    (lat,), (lon,) = cells_to_latlng(cell)
    h = float(haversine_km(lon, lat, 30.1, -10.05))
    for kernel in ("uniform", "quartic"):
        at = kernel_density(([30.1], [-10.05]), cell, bandwidth_km=h, kernel=kernel, method="exact")
        assert at[0] == 0.0, kernel
    inside = kernel_density(
        ([30.1], [-10.05]), cell, bandwidth_km=h * (1 + 1e-9), kernel="uniform", method="exact"
    )
    assert inside[0] == pytest.approx(1 / (np.pi * h * h), rel=1e-6)


# -- weights ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "direct", "fft"])
def test_duplicate_points_add_their_weights(method, ring_cells):
    """Two points at one place with weights 1 and 2 are one point of weight 3, not 1 or 5."""
    cells = ring_cells[0]
    one = kernel_density(([12.0], [40.0]), cells, bandwidth_km=10.0, method=method)
    two = kernel_density(
        ([12.0, 12.0], [40.0, 40.0]), cells, bandwidth_km=10.0, weights=[1.0, 2.0], method=method
    )
    np.testing.assert_allclose(two, 3.0 * one, rtol=1e-9, atol=1e-15)


# -- bandwidth rules, by hand --------------------------------------------------------------


def _plane_km(lon, lat):
    """Local plane (km) at the equator: exact to (d/R)² ~ 1e-6 for points 10 km apart."""
    return R_KM * np.radians(lon), R_KM * np.radians(lat)


def test_scott_uses_weighted_spread_and_kish_effective_count():
    lon = np.array([0.0, 0.05, -0.03, 0.02, 0.08])
    lat = np.array([0.0, 0.01, 0.04, -0.06, 0.03])
    w = np.array([1.0, 3.0, 0.5, 2.0, 1.5])
    x, y = _plane_km(lon, lat)
    mx, my = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    var = (w * ((x - mx) ** 2 + (y - my) ** 2)).sum() / w.sum() / 2
    n_eff = w.sum() ** 2 / (w * w).sum()
    want = np.sqrt(var) * n_eff ** (-1 / 6)
    assert select_bandwidth((lon, lat), "scott", weights=w) == pytest.approx(want, rel=1e-4)


def _outlier_points():
    """Nine points near (0, 0) and two far: the IQR and the median distance ignore the two."""
    lon = np.array([0.0, 0.01, -0.01, 0.02, -0.02, 0.0, 0.0, 0.01, -0.01, 0.9, -0.8])
    lat = np.array([0.0, 0.0, 0.0, 0.01, -0.01, 0.02, -0.02, -0.01, 0.01, 0.7, -0.9])
    return lon, lat


def test_silverman_takes_the_iqr_when_it_is_the_smaller_spread():
    lon, lat = _outlier_points()
    x, y = _plane_km(lon, lat)
    n = lon.size
    sd = np.sqrt(((x - x.mean()) ** 2 + (y - y.mean()) ** 2).mean() / 2)
    # the code's quantile: the first sorted value whose cumulative count reaches q n
    q = lambda v, p: np.sort(v)[int(np.ceil(p * n)) - 1]  # noqa: E731
    iqr = np.mean([q(v, 0.75) - q(v, 0.25) for v in (x - x.mean(), y - y.mean())])
    assert iqr / 1.349 < sd  # the robust spread is the one the rule takes
    want = 0.9 * iqr / 1.349 * n ** (-0.2)
    assert select_bandwidth((lon, lat), "silverman") == pytest.approx(want, rel=1e-4)


def test_spatial_rule_takes_the_median_distance_when_it_is_smaller():
    lon, lat = _outlier_points()
    x, y = _plane_km(lon, lat)
    n = lon.size
    r = np.hypot(x - x.mean(), y - y.mean())
    sd = np.sqrt((r * r).mean())
    dm = np.sort(r)[int(np.ceil(0.5 * n)) - 1]
    assert np.sqrt(1 / np.log(2)) * dm < sd
    want = 0.9 * np.sqrt(1 / np.log(2)) * dm * n ** (-0.2)
    assert select_bandwidth((lon, lat), "spatial") == pytest.approx(want, rel=1e-4)


@pytest.mark.parametrize("rule", ["silverman", "spatial"])
def test_integer_weights_spread_as_repeated_points(rule):
    """A weight of 3 is three points at one place for the quantiles (the spread part)."""
    lon, lat = _outlier_points()
    k = np.array([3, 1, 1, 2, 1, 1, 4, 1, 1, 1, 2])
    n_eff = k.sum() ** 2 / (k * k).sum()
    weighted = select_bandwidth((lon, lat), rule, weights=k.astype(float)) * n_eff**0.2
    rep = select_bandwidth((np.repeat(lon, k), np.repeat(lat, k)), rule) * k.sum() ** 0.2
    assert weighted == pytest.approx(rep, rel=1e-9)


# -- seizure weights ------------------------------------------------------------------------


def _seizures(times, quantity=None, commodity=None):
    import pandas as pd

    from pipeline import schema

    n = len(times)
    return pd.DataFrame(
        {
            schema.TIME: pd.to_datetime(times, utc=True),
            schema.QUANTITY: quantity if quantity is not None else [1.0] * n,
            schema.COMMODITY: commodity if commodity is not None else ["x"] * n,
        }
    )


def test_decay_halves_per_half_life_and_an_event_on_as_of_weighs_one():
    from pipeline.density import seizure_weights

    s = _seizures(["2026-01-01", "2025-12-02", "2025-11-02", "2026-01-02"])
    w = seizure_weights(s, as_of="2026-01-01", half_life_days=30.0)
    np.testing.assert_allclose(w, [1.0, 0.5, 0.5 ** (60 / 30), 0.0], rtol=1e-12)


def test_weights_decayed_from_the_anchor_times_its_factor_are_those_from_as_of():
    from pipeline.density import decay_anchor, seizure_weights

    s = _seizures(["2026-03-01", "2025-07-19", "2024-12-31", "2026-04-01"])
    as_of = "2026-03-10"
    anchor, factor = decay_anchor(pd_ts(as_of), 90.0)
    assert anchor <= pd_ts(as_of)
    plain = seizure_weights(s, as_of=as_of, half_life_days=90.0)
    anchored = seizure_weights(s, as_of=as_of, half_life_days=90.0, decay_from=anchor)
    np.testing.assert_allclose(anchored * factor, plain, rtol=1e-9)


def pd_ts(text):
    import pandas as pd

    return pd.Timestamp(text, tz="UTC")


def test_missing_quantity_is_its_commoditys_median_and_default_commodity_weight():
    from pipeline.density import seizure_weights

    s = _seizures(
        ["2026-01-01"] * 5,
        quantity=[1.0, 2.0, 9.0, None, 4.0],
        commodity=["Coke", "coke ", "COKE", "coke", "fuel"],
    )
    w = seizure_weights(s, use_quantity=True, commodity_weights={"coke": 2.0, "default": 0.25})
    # the missing coke quantity is the median 2 of (1, 2, 9), not their mean 4
    np.testing.assert_allclose(w, [2.0, 4.0, 18.0, 4.0, 1.0], rtol=1e-12)


# -- risk classes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "method", "k", "want"),
    [
        (list(range(10)), "quantile", 4, [0, 2, 4, 6, 9]),  # breaks are scores (lower)
        ([0, 0, 0, 0, 0, 0, 10, 40, 75, 90], "quantile", 5, [0, 10, 40, 90]),
        ([0, 0, 0, 100], "natural", 2, [0, 100, 100.1]),  # the top score alone: past it
        ([0, 0, 0, 100], "quantile", 2, [0, 100, 100.1]),
        ([1.04, 1.06, 5, 5.04, 9], "natural", 2, [1.0, 5.0, 9.0]),  # at the 0.1 shown
        ([0, 1, 2, 3, 4, 5, 6, 7, 20, 21], "natural", 2, [0, 20, 21]),
        ([5, 5, 5], "natural", 3, [5, 5.1]),
    ],
    ids=["q-lower", "q-tied-bottom", "n-top-alone", "q-top-alone", "n-rounded", "n-gap", "equal"],
)
def test_class_breaks_by_hand(risk, method, k, want):
    from pipeline.classes import risk_class_breaks

    np.testing.assert_allclose(risk_class_breaks(risk, method, k), want)


def test_class_labels_are_spread_to_the_nearest_label():
    """4 classes of 5 labels sit at label positions 0, 4/3, 8/3, 4: rounded, not floored."""
    from pipeline.classes import class_labels_for

    labels = ["very low", "low", "medium", "high", "very high"]
    assert class_labels_for(labels, 4) == ["very low", "low", "high", "very high"]
    assert class_labels_for(labels, 2) == ["very low", "very high"]


def _ssd(v, starts):
    cut = np.searchsorted(np.sort(v), starts, side="left")
    return sum(((p - p.mean()) ** 2).sum() for p in np.split(np.sort(v), cut) if p.size)


@pytest.mark.parametrize("seed", range(6))
def test_natural_breaks_are_the_least_squares_partition_of_the_scores(seed):
    """Fisher on weighted distinct values = the best split of all scores, found exhaustively."""
    from itertools import combinations

    from pipeline.classes import risk_class_breaks

    rng = np.random.default_rng(seed)
    v = np.round(rng.choice([3.0, 7.0, 8.0, 20.0, 21.0, 40.0, 55.0], 12) + rng.integers(0, 3), 1)
    breaks = risk_class_breaks(v, "natural", 3)
    distinct = np.unique(v)
    best = min(_ssd(v, list(c)) for c in combinations(distinct[1:], min(2, distinct.size - 1)))
    assert _ssd(v, breaks[1:-1]) == pytest.approx(best, abs=1e-9)


# -- the grid's margin ---------------------------------------------------------------------


@pytest.mark.parametrize(("lon", "lat"), [(10.0, 50.0), (0.0, 0.0)], ids=["50N", "equator"])
def test_margin_holds_every_cell_within_margin_km_of_the_area(lon, lat):
    """``margin_km`` grows the cells by at least that distance: rounded up to whole rings."""
    box, res, margin = (lon - 0.3, lat - 0.2, lon + 0.3, lat + 0.2), 6, 30.0
    own = region_to_cells(box, res)
    grown = region_to_cells(box, res, margin_km=margin)
    wide = region_to_cells(box, res, margin_km=3 * margin)
    o_lat, o_lon = cells_to_latlng(own)
    w_lat, w_lon = cells_to_latlng(wide)
    d = _haversine(w_lon[:, None], w_lat[:, None], o_lon[None, :], o_lat[None, :]).min(axis=1)
    assert np.isin(wide[d <= margin], grown).all()
    assert np.isin(own, grown).all()


WIDE = [(k, 1500.0) for k in sorted(PLANAR)] + [("gaussian", 6000.0)]


@pytest.mark.parametrize(("kernel", "h"), WIDE, ids=[f"{k}-{h:g}" for k, h in WIDE])
def test_a_wide_kernel_is_its_formula_of_the_arc_normalised_on_the_sphere(kernel, h):
    """At 1,500 km the arc is not the chord, nor the sphere a plane: c(h) by scipy's quad.

    ``f = Σ w K_plane(d) / ∫_sphere K_plane dA``, the integral over rings ``2πR sin(d/R) dd``
    up to the antipode.  300 points: the direct sums take their dense blocks too.
    """
    from scipy.integrate import quad

    top = min(np.pi * R_KM, 14 * h if kernel == "gaussian" else h)
    mass, _ = quad(
        lambda d: PLANAR[kernel](d / h) / h**2 * 2 * np.pi * R_KM * np.sin(d / R_KM),
        0,
        top,
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    assert abs(mass - 1) > 1e-3  # the sphere's factor matters at this width
    cells = region_to_cells((-20.0, -15.0, 20.0, 15.0), 1)
    lat, lon = cells_to_latlng(cells)
    rng = np.random.default_rng(3)
    p_lon, p_lat, w = rng.uniform(-15, 15, 300), rng.uniform(-10, 10, 300), rng.uniform(1, 2, 300)
    d = _haversine(p_lon[None, :], p_lat[None, :], lon[:, None], lat[:, None])
    want = (PLANAR[kernel](d / h) / h**2 / mass) @ w
    for method in ("exact", "direct"):
        got = kernel_density(
            (p_lon, p_lat), cells, bandwidth_km=h, kernel=kernel, weights=w, method=method
        )
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * want.max(), err_msg=method)


# -- a night's tiles -------------------------------------------------------------------------


def test_a_nights_tiles_follow_a_new_event_a_changed_weight_and_the_bandwidth(tmp_path):
    """Tiles taken from the memo equal the sums computed afresh after each change.

    A tile's key must cover every point within the support of its targets (not only its
    cap), every weight and the bandwidth: otherwise a night reuses a stale tile.
    """
    from pipeline.density import density_memo
    from pipeline.runner.cache import StageCache

    cells = region_to_cells((0.0, 0.0, 4.0, 3.0), 5)
    rng = np.random.default_rng(9)
    lon, lat, w = rng.uniform(0, 4, 60), rng.uniform(0, 3, 60), rng.uniform(1, 3, 60)
    # new events spread over the tiles, some near their edges
    c_lat, c_lon = cells_to_latlng(cells)
    c_lon, c_lat = c_lon[::37] + 0.02, c_lat[::37]
    nights = [
        (lon, lat, w, 20.0),
        (np.r_[lon, c_lon], np.r_[lat, c_lat], np.r_[w, np.ones(c_lon.size)], 20.0),
        (lon, lat, np.r_[w[:-1], 7.0], 20.0),
        (lon, lat, w, 24.0),
    ]
    for i, (p_lon, p_lat, p_w, h) in enumerate(nights):
        kw = {"bandwidth_km": h, "kernel": "quartic", "weights": p_w, "method": "direct"}
        plain = kernel_density((p_lon, p_lat), cells, **kw)
        with density_memo(StageCache(tmp_path / ".cache").memo("m", [1])):
            tiled = kernel_density((p_lon, p_lat), cells, **kw)
        np.testing.assert_allclose(tiled, plain, rtol=1e-12, atol=0, err_msg=f"night {i}")


# -- the area's own size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bbox", [(170.0, -20.0, -170.0, -15.0), (-10.0, 40.0, 10.0, 45.0)], ids=["across-180", "plain"]
)
def test_bbox_area_is_the_spherical_zone_between_its_meridians(bbox):
    """R² Δλ (sin φ1 - sin φ0), Δλ the 20° the box spans (across 180° too), ≈ its cells."""
    from pipeline.area import Area, area_km2

    lon0, lat0, lon1, lat1 = bbox
    want = R_KM**2 * np.radians(20.0) * (np.sin(np.radians(lat1)) - np.sin(np.radians(lat0)))
    assert area_km2(Area(bbox)) == pytest.approx(want, rel=1e-12)
    assert cell_area_km2(region_to_cells(bbox, 4)).sum() == pytest.approx(want, rel=0.03)


def test_coarse_cells_note_names_the_fitting_resolution_and_is_silent_at_it():
    """A 159 km² box: resolution 6 (36 km² cells) fits it, even grown by a wide margin."""
    from pipeline.area import Area, coarse_cells_note

    area = Area((10.0, 50.0, 10.2, 50.1))
    coarse = coarse_cells_note(area, region_to_cells(area.bbox, 4), 4)
    assert len(coarse) == 1 and "area.resolution 6 or finer" in coarse[0]
    grown = region_to_cells(area.bbox, 6, margin_km=60.0)
    assert coarse_cells_note(area, grown, 6) == []


# -- the fft path's error budget ---------------------------------------------------------------


def test_fft_keeps_its_documented_error_at_its_widest_bandwidth_over_3000_km():
    """Within 1.5e-4 of the exact sums where the density is ≥ 1 % of its maximum.

    114 km is the widest bandwidth fft takes.  A tile's targets and the kernel's reach fit in
    ``RHO_MAX_KM`` (800 km), where the scale expansion's neglected terms stay below 1.5e-4
    (``_fft.RHO_MAX_KM``); measured 5e-5 here.  Tiles sized by their targets alone reached
    1,600 km and 3.2e-4, past the package's documented 3e-4.
    """
    rng = np.random.default_rng(4)
    centres = rng.uniform(-1, 1, (8, 2)) * (10.0, 8.0) + (10.0, 50.0)
    lab = rng.integers(0, 8, 400)
    p_lon = centres[lab, 0] + rng.normal(0, 1.5, 400)
    p_lat = centres[lab, 1] + rng.normal(0, 1.0, 400)
    cells = region_to_cells((-10.0, 37.0, 30.0, 63.0), 4)
    cells = rng.choice(cells, 1500, replace=False)
    ref = kernel_density((p_lon, p_lat), cells, bandwidth_km=114.0, method="exact")
    got = kernel_density((p_lon, p_lat), cells, bandwidth_km=114.0, method="fft")
    big = ref >= 0.01 * ref.max()
    assert np.max(np.abs(got[big] - ref[big]) / ref[big]) <= 1.5e-4


def test_no_centre_sampling_note_from_exactly_the_least_bandwidth():
    """``None`` when the bandwidth is at least CENTRE_EDGES cell edges: 2 edges, quartic."""
    from pipeline.density import centre_bandwidth_km, centre_sampling_note

    least = centre_bandwidth_km("quartic", 4)
    assert least == pytest.approx(2 * h3.average_hexagon_edge_length(4, unit="km"))
    assert centre_sampling_note("density.bandwidth_km", least, "quartic", 4) is None
    assert centre_sampling_note("density.bandwidth_km", 0.99 * least, "quartic", 4) is not None


# -- the halo of a kernel's support ------------------------------------------------------------


UNIVERSES = [(0.0, 6, 32.1), (0.0, 6, 45.7), (60.0, 5, 57.6)]


@pytest.mark.parametrize(("lat0", "res", "radius"), UNIVERSES, ids=["eq-32", "eq-46", "60N-58"])
def test_back_test_universe_is_every_cell_within_the_radius_of_an_event(lat0, res, radius):
    """``cell_universe`` against a brute-force haversine over a wide box of cells.

    Its grid disks must reach past the radius from events anywhere in their cells: as many
    rings as the radius over the spacing left cells within 32 km out (30 events, res 6).
    """
    import pandas as pd

    from pipeline import schema
    from pipeline.evaluate.backtest import cell_universe

    rng = np.random.default_rng(2)
    lon, lat = 20 + rng.uniform(-0.3, 0.3, 30), lat0 + rng.uniform(-0.2, 0.2, 30)
    train = pd.DataFrame({schema.LON: lon, schema.LAT: lat})
    got = cell_universe(train, res, radius)
    box = region_to_cells((18.0, lat0 - 1.5, 22.0, lat0 + 1.5), res)
    b_lat, b_lon = cells_to_latlng(box)
    d = _haversine(b_lon[:, None], b_lat[:, None], lon[None, :], lat[None, :]).min(axis=1)
    want = np.union1d(box[d < radius], points_to_cells(lon, lat, res))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("radius", [20.0, 32.1], ids=["r20", "r32"])
def test_ais_coverage_holds_every_cell_within_the_radius_of_a_received_position(radius):
    """Its grid disks are rounded outwards: no cell within the radius of a ping is left out."""
    import pandas as pd

    from pipeline import schema
    from pipeline.builtin_factors import ais_coverage

    rng = np.random.default_rng(8)
    lon, lat = 20 + rng.uniform(-0.3, 0.3, 30), rng.uniform(-0.2, 0.2, 30)
    pings = pd.DataFrame(
        {
            schema.LON: lon,
            schema.LAT: lat,
            schema.TIME: pd.Timestamp("2026-01-01", tz="UTC"),
        }
    )
    box = region_to_cells((18.5, -1.2, 21.5, 1.2), 6)
    covered = ais_coverage(pings, box, 6, radius)
    b_lat, b_lon = cells_to_latlng(box)
    d = _haversine(b_lon[:, None], b_lat[:, None], lon[None, :], lat[None, :]).min(axis=1)
    assert covered[d <= radius].all()
    assert not covered[d > radius + 30.0].any()  # and no farther than a few cells beyond


def test_cv_default_range_stops_at_the_widest_bandwidth_accepted():
    """Points 60° round (0, 0): 'spatial' gives 5,018 km, twice that is past the 10,008 km cap.

    The default range (0.05, 2) × 'spatial' is capped there, not refused as if the user had
    given a range too wide.
    """
    from pipeline.density import MAX_BANDWIDTH_KM

    lon, lat = np.array([60.0, -60.0, 0.0, 0.0]), np.array([0.0, 0.0, 60.0, -60.0])
    spatial = select_bandwidth((lon, lat), "spatial")
    plane = 2 * R_KM * np.tan(np.radians(30.0))  # stereographic distance of 60° of arc
    assert spatial == pytest.approx(0.9 * plane * 4**-0.2, rel=1e-6)
    assert 2 * spatial > MAX_BANDWIDTH_KM
    assert 0.05 * spatial <= select_bandwidth((lon, lat), "cv") <= MAX_BANDWIDTH_KM
