"""Tests of the kernel-density core: accuracy against the haversine reference, options, errors."""

from __future__ import annotations

import functools
import zlib

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import schema
from pipeline.density import (
    BANDWIDTH_RULES,
    KERNELS,
    DensityResult,
    kernel_density,
    kernel_density_exact,
    kernel_profile,
    seizure_quantities,
    seizure_weights,
    select_bandwidth,
)
from pipeline.errors import ConfigError, InputError
from pipeline.grid import (
    cell_area_km2,
    cells_to_latlng,
    cells_to_strings,
    grid_disk_cells,
    mean_cell_edge_km,
    points_to_cells,
    region_to_cells,
)
from pipeline.sphere import haversine_km

KM_PER_DEG = 111.195


def _box(lon0, lat0, span_km):
    dlat = span_km / KM_PER_DEG / 2
    dlon = min(dlat / max(np.cos(np.radians(min(abs(lat0) + dlat, 89.0))), 1e-3), 179.0)
    lon_min, lon_max = lon0 - dlon, lon0 + dlon
    wrap = lambda v: (v + 180.0) % 360.0 - 180.0  # noqa: E731
    return wrap(lon_min), max(lat0 - dlat, -89.9), wrap(lon_max), min(lat0 + dlat, 89.9)


def _clustered(rng, lon0, lat0, span_km, n, n_clusters=5):
    """Clustered points in a box around (lon0, lat0), longitudes wrapped to [-180, 180)."""
    deg = span_km / KM_PER_DEG / 2
    cx = rng.uniform(-0.7, 0.7, n_clusters) * deg
    cy = rng.uniform(-0.7, 0.7, n_clusters) * deg
    lab = rng.integers(0, n_clusters, n)
    y = np.clip(lat0 + cy[lab] + rng.normal(0, 0.15 * deg, n), -89.9, 89.9)
    x = lon0 + (cx[lab] + rng.normal(0, 0.15 * deg, n)) / np.cos(np.radians(y))
    return (x + 180.0) % 360.0 - 180.0, y


# (name, lon0, lat0): mid-latitude, across the antimeridian, above 70° N, next to the pole
REGIONS = [
    ("mid", 10.0, 50.0),
    ("antimeridian", 180.0, -15.0),
    ("arctic", 40.0, 75.0),
    ("pole", 0.0, 88.5),
]
# (bandwidth km, region span km, H3 resolution of the sampled cells)
SCALES = [(2.0, 120.0, 9), (10.0, 600.0, 7), (100.0, 2500.0, 4)]


@functools.cache
def _region_cells(lon0, lat0, span, res):
    """The cells of a region, filled once per module: every kernel samples the same region."""
    cells = region_to_cells(_box(lon0, lat0, span), res)
    cells.flags.writeable = False
    return cells


def _sample_cells(rng, lon0, lat0, span, res, n=1500):
    cells = _region_cells(lon0, lat0, span, res)
    return cells if cells.size <= n else rng.choice(cells, n, replace=False)


def _max_rel_err(f, ref):
    mask = ref >= 0.01 * ref.max()
    return float(np.max(np.abs(f[mask] - ref[mask]) / ref[mask]))


@pytest.mark.parametrize("region", REGIONS, ids=[r[0] for r in REGIONS])
@pytest.mark.parametrize("scale", SCALES, ids=[f"h{s[0]:g}" for s in SCALES])
@pytest.mark.parametrize("kernel", KERNELS)
def test_accuracy_against_haversine_reference(region, scale, kernel):
    _, lon0, lat0 = region
    h, span, res = scale
    rng = np.random.default_rng(zlib.crc32(f"{region[0]}{h}{kernel}".encode()))
    lon, lat = _clustered(rng, lon0, lat0, span, 150)
    w = rng.uniform(0.2, 3.0, lon.size)
    # random cells of the region plus the cells within about a bandwidth of some points
    k = int(np.ceil(h / (1.7 * mean_cell_edge_km(res))))
    near = grid_disk_cells(points_to_cells(lon[:10], lat[:10], res), k)
    near = near if near.size <= 1500 else rng.choice(near, 1500, replace=False)
    cells = np.union1d(_sample_cells(rng, lon0, lat0, span, res), near)
    ref = kernel_density_exact((lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=w)
    assert ref.max() > 0
    methods = ["direct", "fft"] if kernel == "gaussian" else ["direct"]
    for method in methods:
        f = kernel_density(
            (lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=w, method=method
        )
        assert _max_rel_err(f, ref) <= 1e-3, method


def test_fft_accuracy_on_a_1000_km_region_with_many_points():
    rng = np.random.default_rng(7)
    lon, lat = _clustered(rng, -30.0, 5.0, 1000.0, 20_000, n_clusters=40)
    cells = _sample_cells(rng, -30.0, 5.0, 1000.0, 7, n=1000)
    ref = kernel_density_exact((lon, lat), cells, bandwidth_km=10.0)
    res = kernel_density((lon, lat), cells, bandwidth_km=10.0, method="fft", return_result=True)
    assert res.method == "fft"
    assert _max_rel_err(res.density, ref) <= 1e-3


def test_fft_tiles_a_continent():
    # 4,000 km: several stereographic tiles, each with its own projection centre and halo
    rng = np.random.default_rng(8)
    lon, lat = _clustered(rng, 150.0, -25.0, 4000.0, 3000, n_clusters=30)
    cells = _sample_cells(rng, 150.0, -25.0, 4000.0, 5, n=3000)
    ref = kernel_density_exact((lon, lat), cells, bandwidth_km=20.0)
    f = kernel_density((lon, lat), cells, bandwidth_km=20.0, method="fft")
    assert _max_rel_err(f, ref) <= 1e-3


def test_no_cells_gives_an_empty_array():
    assert kernel_density(([0.0], [0.0]), np.array([], dtype="uint64")).shape == (0,)


def test_single_point_gives_the_kernel_shape_at_every_kernel():
    cells = region_to_cells(_box(-60.0, 20.0, 60.0), 8)
    lat, lon = cells_to_latlng(cells)
    d = haversine_km(lon, lat, -60.0, 20.0)
    for kernel in KERNELS:
        f = kernel_density(([-60.0], [20.0]), cells, bandwidth_km=8.0, kernel=kernel)
        np.testing.assert_allclose(f, kernel_profile(kernel, d, 8.0), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("kernel", KERNELS)
def test_mass_conserved_near_a_pentagon(kernel):
    pent = next(iter(h3.get_pentagons(6)))
    lat0, lon0 = h3.cell_to_latlng(pent)
    h = 15.0
    res = next(
        r for r in range(16) if mean_cell_edge_km(r) <= h / (40 if kernel == "uniform" else 10)
    )
    margin = 7.5 * h if kernel == "gaussian" else 1.2 * h
    cells = region_to_cells(_box(lon0, lat0, 2 * margin + 20), res)
    lon = lon0 + np.array([0.0, 0.05, -0.04])
    lat = lat0 + np.array([0.0, 0.03, -0.02])
    f = kernel_density((lon, lat), cells, bandwidth_km=h, kernel=kernel)
    assert abs((f * cell_area_km2(cells)).sum() / 3.0 - 1.0) < 5e-3


@pytest.mark.parametrize("res", [3, 5, 7, 10])
def test_mass_conserved_across_resolutions(res):
    h = 4.0 * mean_cell_edge_km(res)
    rng = np.random.default_rng(res)
    lon = 100.0 + rng.normal(0, 0.3 * h / KM_PER_DEG, 20)
    lat = -30.0 + rng.normal(0, 0.3 * h / KM_PER_DEG, 20)
    cells = region_to_cells(_box(100.0, -30.0, 16 * h), res)
    f = kernel_density((lon, lat), cells, bandwidth_km=h)
    assert abs((f * cell_area_km2(cells)).sum() / 20.0 - 1.0) < 5e-3


def test_input_forms_agree():
    rng = np.random.default_rng(1)
    lon, lat = _clustered(rng, 5.0, 45.0, 200.0, 30)
    cells = _sample_cells(rng, 5.0, 45.0, 200.0, 6, n=300)
    base = kernel_density((lon, lat), cells, bandwidth_km=12.0)
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    frame = pd.DataFrame({schema.LON: lon, schema.LAT: lat, "q": 2.0})
    np.testing.assert_allclose(
        kernel_density(gdf.to_crs(3857), cells, bandwidth_km=12.0), base, rtol=1e-9
    )
    np.testing.assert_allclose(
        kernel_density(np.column_stack([lon, lat]), cells_to_strings(cells), bandwidth_km=12.0),
        base,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        kernel_density(frame, cells, bandwidth_km=12.0, weights="q"), 2 * base, rtol=1e-12
    )


def test_result_reports_what_was_done():
    rng = np.random.default_rng(2)
    lon, lat = _clustered(rng, 5.0, 45.0, 200.0, 200)
    cells = _sample_cells(rng, 5.0, 45.0, 200.0, 6, n=200)
    res = kernel_density(
        (lon, lat),
        cells,
        bandwidth_km="spatial",
        kernel="quartic",
        weights=np.full(200, 0.5),
        return_result=True,
    )
    assert isinstance(res, DensityResult)
    assert res.bandwidth_rule == "spatial" and res.kernel == "quartic" and res.method == "direct"
    assert res.total_weight == pytest.approx(100.0)
    assert res.bandwidth_km == pytest.approx(select_bandwidth((lon, lat), "spatial"))
    np.testing.assert_array_equal(
        res.density,
        kernel_density(
            (lon, lat),
            cells,
            bandwidth_km=res.bandwidth_km,
            kernel="quartic",
            weights=np.full(200, 0.5),
        ),
    )


def _normal_points(n, sigma_km, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, sigma_km / KM_PER_DEG, n), rng.normal(0, sigma_km / KM_PER_DEG, n))


def test_bandwidth_rules_match_their_formulas_on_normal_data():
    n, s = 4000, 20.0
    pts = _normal_points(n, s)
    assert select_bandwidth(pts, "scott") == pytest.approx(s * n ** (-1 / 6), rel=0.04)
    assert select_bandwidth(pts, "silverman") == pytest.approx(0.9 * s * n**-0.2, rel=0.04)
    # For an isotropic normal, SD = s√2 and sqrt(1/ln 2)·Dm = s√2 as well.
    assert select_bandwidth(pts, "spatial") == pytest.approx(
        0.9 * s * np.sqrt(2) * n**-0.2, rel=0.04
    )


def test_spatial_rule_resists_outliers():
    lon, lat = _normal_points(2000, 10.0)
    lon = np.concatenate([lon, [30.0, 31.0]])
    lat = np.concatenate([lat, [30.0, -31.0]])
    h = select_bandwidth((lon, lat), "spatial")
    assert h < 2 * 0.9 * 10 * np.sqrt(2) * 2002**-0.2


def test_cv_bandwidth_is_reasonable_and_reported():
    pts = _normal_points(400, 20.0, seed=3)
    scott = select_bandwidth(pts, "scott")
    res = kernel_density(
        pts,
        region_to_cells((-0.5, -0.5, 0.5, 0.5), 5),
        bandwidth_km="cv",
        bandwidth_range_km=(1.0, 60.0),
        return_result=True,
    )
    assert res.bandwidth_rule == "cv"
    assert 0.5 * scott < res.bandwidth_km < 2.0 * scott


def test_edge_correction_removes_the_boundary_deficit():
    rng = np.random.default_rng(4)
    box = (0.0, 0.0, 2.0, 2.0)
    lon, lat = rng.uniform(0, 2, 20_000), rng.uniform(0, 2, 20_000)
    window = shapely.box(*box)
    cells = region_to_cells(window, 6)
    clat, clon = cells_to_latlng(cells)
    edge = (np.minimum.reduce([clon - 0, 2 - clon, clat - 0, 2 - clat]) * KM_PER_DEG) < 5
    inner = (np.minimum.reduce([clon - 0, 2 - clon, clat - 0, 2 - clat]) * KM_PER_DEG) > 50
    raw = kernel_density((lon, lat), cells, bandwidth_km=10.0)
    fixed = kernel_density(
        (lon, lat), cells, bandwidth_km=10.0, window=window, edge_correction=True
    )
    assert raw[edge].mean() / raw[inner].mean() < 0.75
    assert fixed[edge].mean() / fixed[inner].mean() == pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(fixed[inner], raw[inner], rtol=1e-3)
    # the same window given as cells
    by_cells = kernel_density(
        (lon, lat), cells, bandwidth_km=10.0, window=cells, edge_correction=True
    )
    assert by_cells[edge].mean() / by_cells[inner].mean() == pytest.approx(1.0, abs=0.05)
    outside = kernel_density(
        (lon, lat),
        region_to_cells((2.2, 0.5, 2.4, 1.0), 6),
        bandwidth_km=10.0,
        window=window,
        edge_correction=True,
    )
    assert np.all(outside == 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"kernel": "foo"},
            ConfigError,
            r"kernel must be one of \['epanechnikov', 'gaussian', 'quartic', 'triangular', "
            r"'uniform'\], got 'foo'",
        ),
        ({"method": "magic"}, ConfigError, r"method must be one of .*'fft'.*got 'magic'"),
        ({"bandwidth_km": "rot"}, ConfigError, r"bandwidth_km must be one of .*'spatial'.*'rot'"),
        ({"bandwidth_km": -5.0}, ConfigError, r"bandwidth_km must be .*got -5.0"),
        ({"kernel": "quartic", "method": "fft"}, ConfigError, r"'gaussian' only, got 'quartic'"),
        ({"edge_correction": True}, ConfigError, r"needs a window"),
        ({"weights": [1.0, 2.0]}, InputError, r"one value per point \(3\), got 2"),
        ({"weights": [1.0, -2.0, 1.0]}, InputError, r"weight 1 is -2.0"),
        ({"bandwidth_km": "cv", "bandwidth_range_km": (5.0, 1.0)}, ConfigError, r"0 < min < max"),
    ],
)
def test_bad_options_name_the_value_and_the_choices(kwargs, error, match):
    cells = region_to_cells((0.0, 0.0, 0.2, 0.2), 6)
    with pytest.raises(error, match=match):
        kernel_density(([0.1, 0.12, 0.05], [0.1, 0.05, 0.1]), cells, **kwargs)


def test_bad_points_are_rejected():
    cells = region_to_cells((0.0, 0.0, 0.2, 0.2), 6)
    with pytest.raises(InputError, match=r"point 1 has invalid coordinates .*lat=95.0"):
        kernel_density(([0.0, 0.0], [0.0, 95.0]), cells)
    lines = gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    with pytest.raises(InputError, match="Point geometries"):
        kernel_density(lines, cells)
    with pytest.raises(InputError, match="not an H3 cell"):
        kernel_density(([0.0], [0.0]), ["nonsense"])


def test_empty_points_and_zero_weights_give_zero_density():
    cells = region_to_cells((0.0, 0.0, 0.2, 0.2), 6)
    assert np.all(kernel_density(([], []), cells) == 0)
    assert np.all(kernel_density(([0.1], [0.1]), cells, weights=[0.0], method="fft") == 0)


def _seizures():
    t = pd.to_datetime(["2026-01-01", "2025-01-01", "2026-02-01", "2024-01-01"], utc=True)
    return pd.DataFrame(
        {
            schema.TIME: t,
            schema.LON: 0.0,
            schema.LAT: 0.0,
            schema.COMMODITY: ["Cocaine", " cannabis ", "heroin", "cocaine"],
            schema.QUANTITY: [10.0, np.nan, 2.0, 4.0],
        }
    )


def test_seizure_weights_decay_quantity_and_commodity():
    s = _seizures()
    w = seizure_weights(s, as_of=pd.Timestamp("2026-01-01", tz="UTC"), half_life_days=365)
    np.testing.assert_allclose(w, [1.0, 0.5, 0.0, 0.5 ** (731 / 365)])
    assert np.array_equal(seizure_weights(s, as_of="2026-01-01", half_life_days=365), w)
    w = seizure_weights(s, use_quantity=True, commodity_weights={"cocaine": 2.0, "Cannabis": 0.5})
    # cannabis has no quantity and no other cannabis seizure: the median of all (4), not 1
    np.testing.assert_allclose(w, [20.0, 2.0, 2.0, 8.0])
    w = seizure_weights(s, commodity_weights={"cocaine": 2.0, "default": 0.1})
    np.testing.assert_allclose(w, [2.0, 0.1, 0.1, 2.0])
    np.testing.assert_array_equal(seizure_weights(s), np.ones(4))
    np.testing.assert_array_equal(seizure_weights(s, as_of="2025-06-01"), [0.0, 1.0, 0.0, 1.0])


def test_missing_quantities_take_their_commoditys_median_and_are_stated():
    s = pd.DataFrame(
        {
            schema.COMMODITY: [
                "cocaine",
                "Cocaine ",
                "cocaine",
                "cigarettes",
                "cigarettes",
                "khat",
            ],
            schema.QUANTITY: [100.0, np.nan, 300.0, 5000.0, np.nan, np.nan],
        }
    )
    q, note = seizure_quantities(s)
    # cocaine: median(100, 300); cigarettes: 5000; khat has none: the median of all (300)
    np.testing.assert_array_equal(q, [100.0, 200.0, 300.0, 5000.0, 5000.0, 300.0])
    assert note.startswith("3 of 6 seizures have no quantity")
    assert "1 of them, whose commodity has none, the median of all: 300" in note
    assert seizure_quantities(s.dropna())[1] is None
    no_commodity = s.drop(columns=[schema.COMMODITY])
    np.testing.assert_array_equal(seizure_quantities(no_commodity)[0][[1, 4, 5]], [300.0] * 3)
    with pytest.raises(InputError, match="use_quantity is true but no seizure has a quantity"):
        seizure_quantities(s.assign(quantity=np.nan))
    # placeholders in a text column are missing quantities, as the readers take them; text
    # that is no number is still refused
    texts = s.assign(quantity=["100", "N/A", "300", "5000", "-", " nan "])
    np.testing.assert_array_equal(seizure_quantities(texts)[0], q)
    with pytest.raises(InputError, match="'12 kg' is not a number"):
        seizure_quantities(texts.assign(quantity=["100", "N/A", "12 kg", "5000", "-", ""]))


def test_seizure_weights_errors():
    s = _seizures()
    with pytest.raises(ConfigError, match="needs as_of"):
        seizure_weights(s, half_life_days=30)
    with pytest.raises(ConfigError, match="half_life_days must be > 0, got -1"):
        seizure_weights(s, as_of="2026-01-01", half_life_days=-1)
    with pytest.raises(InputError, match=r"quantity -1.0 is negative"):
        seizure_weights(s.assign(quantity=[1.0, -1.0, 1.0, 1.0]), use_quantity=True)
    with pytest.raises(InputError, match="missing column"):
        seizure_weights(s.drop(columns=[schema.COMMODITY]), commodity_weights={"a": 1.0})


def test_rules_constant_lists_every_rule():
    assert set(BANDWIDTH_RULES) == {"cv", "scott", "silverman", "spatial"}


def test_cv_bandwidth_refusal_counts_the_isolated_points_in_plain_numbers():
    # one record 3,000 km from the rest: under a compact kernel its leave-one-out density is
    # 0 at every candidate; the refusal says so (it printed np.float64(...) reprs)
    lon, lat = _normal_points(400, 20.0, seed=3)
    lon, lat = np.append(lon, 27.0), np.append(lat, 0.0)
    with pytest.raises(ConfigError) as err:
        select_bandwidth((lon, lat), "cv", bandwidth_range_km=(1.0, 60.0))
    assert "1 of the 401 points tested have no neighbour within 60 km" in str(err.value)
    assert "np.float64" not in str(err.value)
    assert "rule 'spatial'" in str(err.value)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_a_target_s_direct_sum_has_the_same_bits_whatever_is_evaluated_with_it(kernel):
    # a nightly run evaluates a few tiles, a full run all of them: each target's sum must
    # not depend on the company it is computed in (the tiles' memo relies on it)
    from pipeline.density._direct import density_tree
    from pipeline.density._kernels import kernel_support_km

    # Hundreds of points within reach of each target (the gaussian's: most of them), so the
    # order of a target's terms decides its last bits; more points only cost time.
    n_p, n_t = 1000, 1600
    rng = np.random.default_rng(7)
    p_lon, p_lat = rng.normal(-75, 1.0, n_p), rng.normal(10, 1.0, n_p)
    w = rng.gamma(2.0, 1.5, n_p)
    t_lon, t_lat = rng.uniform(-78, -72, n_t), rng.uniform(7, 13, n_t)
    whole = density_tree(t_lon, t_lat, p_lon, p_lat, w, 40.0, kernel)
    corner = np.flatnonzero((t_lon < -76.5) & (t_lat < 8.5))
    assert (whole > 0).mean() > 0.5 and corner.size > 50
    for part in (corner, np.arange(0, n_t, 7), rng.permutation(n_t)[:300]):
        alone = density_tree(t_lon[part], t_lat[part], p_lon, p_lat, w, 40.0, kernel)
        assert np.array_equal(alone.view("int64"), whole[part].view("int64"))
        # and over only the points within reach of those targets (a tile's inputs), in order
        d = haversine_km(t_lon[part, None], t_lat[part, None], p_lon, p_lat).min(axis=0)
        near = np.flatnonzero(d < kernel_support_km(kernel, 40.0) + 20)
        assert 0 < near.size
        some = density_tree(
            t_lon[part], t_lat[part], p_lon[near], p_lat[near], w[near], 40.0, kernel
        )
        assert np.array_equal(some.view("int64"), whole[part].view("int64"))


def test_points_out_of_every_cell_s_reach_are_named_not_silently_zero(caplog):
    # (lat, lon) pairs given as (lon, lat): both within 90 degrees, so they are valid points,
    # somewhere else on the globe; the zeros alone would not say so
    cells = region_to_cells((-80.0, 5.0, -70.0, 15.0), 4)
    lat = np.array([10.2, 11.0, 9.5])
    lon = np.array([-75.1, -74.0, -76.3])
    with caplog.at_level("WARNING", logger="pipeline.density"):
        swapped = kernel_density((lat, lon), cells, bandwidth_km=20)
    assert not swapped.any()
    assert "none of the 3 weighted point(s)" in caplog.text
    assert "3 of them would: are longitude and latitude swapped?" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="pipeline.density"):
        far = kernel_density(([100.0], [-40.0]), cells, bandwidth_km=20)
        right = kernel_density((lon, lat), cells, bandwidth_km=20)
    assert not far.any() and right.any()
    assert "none of the 1 weighted point(s)" in caplog.text and "swapped" not in caplog.text
    assert caplog.text.count("kernel density is 0") == 1
