"""A researcher's probe of the public API: the mistakes made from a notebook in a hurry.

Each test is one hostile call that used to give a silent wrong answer or a traceback that
does not say what to fix (swapped axes, projected metres, a pandas Series in another order,
epoch numbers as times, hex ids where uint64 were expected, ...).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import factor_context

import pipeline
from pipeline import grid
from pipeline.errors import ConfigError, InputError
from pipeline.evaluate import rolling_back_test
from pipeline.factors import Factor, default_registry, factor, load_plugins
from pipeline.hotspots import gi_star
from pipeline.model import FittedModel, WeightedModel

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

#: A 1°x0.6° box around Würzburg: a few cells at resolution 4-6.
BOX = (9.5, 49.7, 10.5, 50.3)


def _events(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = pd.Timestamp("2022-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 730, n), unit="D")
    return pd.DataFrame(
        {"time": times, "lon": 10 + rng.normal(0, 0.15, n), "lat": 50 + rng.normal(0, 0.15, n)}
    )


# --------------------------------------------------------------------------- grid


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (10.0, 100.0),  # (lat, lon) swapped where the longitude exceeds 90
        (570_000.0, 5_540_000.0),  # UTM metres
        (400.0, 10.0),  # not degrees
        (10.0, float("nan")),
    ],
)
def test_points_to_cells_refuses_coordinates_that_are_not_degrees(lon, lat):
    with pytest.raises(InputError, match=r"point 0 has invalid coordinates.*lat, lon"):
        grid.points_to_cells([lon], [lat], 5)


def test_points_to_cells_refuses_lon_and_lat_of_different_lengths():
    with pytest.raises(InputError, match="differ in length: 2 != 1"):
        grid.points_to_cells([10.0, 11.0], [50.0], 5)


def test_region_to_cells_refuses_a_projected_region_without_its_crs():
    metres = gpd.GeoDataFrame(geometry=[shapely.box(500_000, 5_500_000, 600_000, 5_600_000)])
    with pytest.raises(InputError, match="not lon/lat degrees"):
        grid.region_to_cells(metres, 4)
    with pytest.raises(InputError, match="not lon/lat degrees"):
        grid.region_to_cells(shapely.box(10, 100, 20, 120), 2)  # (lat, lon) of the Java Sea


@pytest.mark.parametrize("margin", [-5.0, float("nan"), "10"])
def test_region_to_cells_refuses_a_margin_that_is_not_a_distance(margin):
    with pytest.raises(InputError, match="margin_km must be a distance"):
        grid.region_to_cells(BOX, 4, margin_km=margin)


def test_a_boolean_resolution_is_refused():
    with pytest.raises(InputError, match="resolution must be an integer"):
        grid.points_to_cells([10.0], [50.0], True)


def test_to_cells_says_why_float_and_negative_ids_are_refused():
    cell = grid.points_to_cells([10.0], [50.0], 5)
    with pytest.raises(InputError, match="floats cannot hold a 64-bit id"):
        grid.to_cells(cell.astype("float64"))
    with pytest.raises(InputError, match="not an H3 cell id: -1; H3 ids are never negative"):
        grid.to_cells(np.array([-1], dtype="int64"))


def test_to_cells_takes_one_id_as_a_scalar():
    cell = grid.points_to_cells([10.0], [50.0], 5)
    assert grid.to_cells(cell[0]).tolist() == cell.tolist()
    assert grid.to_cells(grid.cells_to_strings(cell)[0]).tolist() == cell.tolist()


def test_cells_to_geodataframe_and_areas_take_hex_strings():
    cells = grid.region_to_cells(BOX, 5)
    hexes = grid.cells_to_strings(cells)
    gdf = grid.cells_to_geodataframe(hexes)
    assert gdf["hex_id"].tolist() == list(hexes)
    assert np.allclose(grid.cell_area_km2(hexes), grid.cell_area_km2(cells))


# --------------------------------------------------------------------------- density


def test_kernel_density_aligns_a_weights_series_with_the_points_by_label():
    cells = grid.region_to_cells(BOX, 6)
    points = pd.DataFrame({"lon": [10.0, 10.3], "lat": [50.0, 50.2]}, index=[5, 6])
    # the first point has weight 0 by label, although 1.0 comes first in the Series
    weights = pd.Series([1.0, 0.0], index=[6, 5])
    got = pipeline.kernel_density(points, cells, bandwidth_km=5, weights=weights)
    only_second = pipeline.kernel_density(points.iloc[1:], cells, bandwidth_km=5)
    assert np.allclose(got, only_second)
    with pytest.raises(InputError, match="not the points' index"):
        pipeline.kernel_density(
            points, cells, bandwidth_km=5, weights=pd.Series([1.0, 1.0], index=[0, 1])
        )


@pytest.mark.parametrize("rule", ["scott", "silverman", "spatial", "cv"])
def test_a_bandwidth_rule_refuses_points_that_all_coincide(rule):
    cells = grid.region_to_cells(BOX, 6)
    with pytest.raises(InputError, match="all coincide"):
        pipeline.kernel_density(([10.0] * 5, [50.0] * 5), cells, bandwidth_km=rule)


def test_kernel_density_refuses_a_boolean_bandwidth():
    cells = grid.region_to_cells(BOX, 5)
    with pytest.raises(ConfigError, match="bandwidth_km must be a number"):
        pipeline.kernel_density(([10.0], [50.0]), cells, bandwidth_km=True)


def test_kernel_density_says_a_bbox_window_must_be_a_geometry():
    cells = grid.region_to_cells(BOX, 5)
    with pytest.raises(InputError, match=r"window must be a shapely geometry.*shapely\.box"):
        pipeline.kernel_density(
            ([10.0], [50.0]), cells, bandwidth_km=10, window=BOX, edge_correction=True
        )


# --------------------------------------------------------------------------- factors


@pytest.mark.parametrize("as_hex", [False, True])
def test_a_factor_series_indexed_by_cell_is_matched_to_the_cells_by_id(as_hex):
    cells = grid.region_to_cells(BOX, 5)
    index = grid.cells_to_strings(cells) if as_hex else cells
    series = pd.Series(np.arange(cells.size, dtype="float64"), index=index)
    f = Factor("probe", "u", "d", lambda ctx: series.iloc[::-1])
    got = f(factor_context(cells))
    assert got.values.tolist() == list(range(cells.size))


def test_a_cell_missing_from_a_factor_series_is_not_covered_not_zero():
    cells = grid.region_to_cells(BOX, 5)
    series = pd.Series(1.0, index=cells[1:])
    got = Factor("probe", "u", "d", lambda ctx: series)(factor_context(cells))
    assert np.isnan(got.values[0]) and not got.covered[0]
    assert got.covered[1:].all() and (got.values[1:] == 1.0).all()


def test_a_factor_series_of_positions_in_another_order_is_taken_by_label():
    cells = grid.region_to_cells(BOX, 5)
    values = pd.Series(np.arange(cells.size, dtype="float64")).sort_values(ascending=False)
    got = Factor("probe", "u", "d", lambda ctx: values)(factor_context(cells))
    assert got.values.tolist() == list(range(cells.size))


def test_a_factor_series_at_another_resolution_is_refused():
    cells = grid.region_to_cells(BOX, 5)
    finer = np.unique(grid.change_resolution(cells, 6))
    f = Factor("probe", "u", "d", lambda ctx: pd.Series(1.0, index=finer))
    with pytest.raises(InputError, match=r"resolution \[6\].*asked for are at \[5\]"):
        f(factor_context(cells))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda n: pd.Series(pd.to_timedelta(np.arange(n), unit="h")), "durations"),
        (lambda n: pd.Series(pd.date_range("2020", periods=n)), "dates"),
        (lambda n: np.ones(n) * 1j, "complex"),
        (lambda n: np.array(["n/a"] * n, dtype=object), "not numbers"),
        (lambda n: pd.DataFrame({"hex_id": ["x"] * n, "v": 1.0}), "DataFrame with columns"),
        (lambda n: (np.ones(n), np.full(n, np.nan)), "coverage mask"),
        (lambda n: (np.ones(n), np.array(["False"] * n)), "coverage mask"),
        (lambda n: None, "returned None"),
    ],
)
def test_a_factor_result_that_is_not_numbers_per_cell_is_refused(make, message):
    cells = grid.region_to_cells(BOX, 5)
    f = Factor("probe", "u", "d", lambda ctx: make(len(ctx.cells)))
    with pytest.raises(InputError, match=message):
        f(factor_context(cells))


def test_the_factor_decorator_does_not_silently_replace_a_builtin():
    load_plugins()
    before = default_registry._factors["seizure_density"]
    try:
        with pytest.raises(ConfigError, match="built-in factor is named 'seizure_density'"):

            @factor(name="seizure_density", unit="count", description="mine")
            def mine(ctx):
                return np.zeros(len(ctx.cells))
    finally:
        default_registry._factors["seizure_density"] = before


# --------------------------------------------------------------------------- evaluate


def test_a_back_test_method_series_in_another_order_is_matched_by_cell():
    ev = _events()

    def counts(train, cells, origin):
        own = grid.points_to_cells(train["lon"], train["lat"], 6)
        return np.asarray(pd.Series(own).value_counts().reindex(cells, fill_value=0))

    def counts_series_sorted(train, cells, origin):
        own = grid.points_to_cells(train["lon"], train["lat"], 6)
        return pd.Series(own).value_counts().reindex(cells, fill_value=0).sort_values()

    out = rolling_back_test(
        ev,
        resolution=6,
        methods={"array": counts, "series": counts_series_sorted},
        origins=2,
        train_days=180,
        horizon_days=30,
        baselines=("uniform",),
    )
    for o in out["origins"]:
        assert o["methods"]["series"]["metrics"] == o["methods"]["array"]["metrics"]


@pytest.mark.parametrize("unit", ["ms", "s"])
def test_a_back_test_refuses_epoch_numbers_as_times(unit):
    ev = _events()
    ev["time"] = ev["time"].astype("int64") // (10**6 if unit == "ms" else 10**9)
    with pytest.raises(InputError, match="holds numbers.*unit="):
        rolling_back_test(ev, resolution=6, origins=2, train_days=180, horizon_days=30)


# --------------------------------------------------------------------------- hotspots


def test_gi_star_matches_a_values_series_to_the_cells_by_id():
    cells = grid.region_to_cells(BOX, 6)
    rng = np.random.default_rng(1)
    values = pd.Series(rng.poisson(1.0, cells.size).astype("float64"), index=cells)
    a = gi_star(cells, values.to_numpy(), {"permutations": 0})
    b = gi_star(cells, values.sort_values(), {"permutations": 0})
    assert np.allclose(a["gi_z"], b["gi_z"])


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("key", ["cell as hex", "hex_id", "hex index"])
def test_a_weighted_model_reads_a_factors_table_keyed_by_hex_ids(key):
    cells = grid.region_to_cells(BOX, 5)
    a = np.random.default_rng(2).uniform(0, 1, cells.size)
    expected = WeightedModel({"a": 1.0}).fit(
        None, cells, "2024-01-01", pd.DataFrame({"cell": cells, "a": a})
    )
    hexes = grid.cells_to_strings(cells)
    table = {
        "cell as hex": pd.DataFrame({"cell": hexes, "a": a}),
        "hex_id": pd.DataFrame({"hex_id": hexes, "a": a}),
        "hex index": pd.DataFrame({"a": a}, index=pd.Index(hexes, name="cell")),
    }[key]
    got = WeightedModel({"a": 1.0}).fit(None, cells, "2024-01-01", table)
    assert np.allclose(got.predict()["score"], expected.predict()["score"])


def test_a_fitted_model_uses_a_factors_table_keyed_by_hex_ids():
    cells = grid.region_to_cells(BOX, 5)
    a = np.random.default_rng(3).uniform(0, 1, cells.size)
    table = pd.DataFrame({"hex_id": grid.cells_to_strings(cells), "a": a})
    model = FittedModel(inference=False).fit(_events(), cells, "2023-06-01", table)
    names = [f["name"] for f in model.report()["factors"]]
    assert "a" in names


def test_a_factors_table_on_other_cells_is_refused():
    cells = grid.region_to_cells(BOX, 5)
    finer = np.unique(grid.change_resolution(cells, 6))
    table = pd.DataFrame({"cell": finer, "a": 1.0})
    with pytest.raises(InputError, match="none of the factors table's"):
        WeightedModel({"a": 1.0}).fit(None, cells, "2024-01-01", table)


def test_a_fitted_model_refuses_a_missing_origin_and_explains_one_cell_at_a_time():
    cells = grid.region_to_cells(BOX, 5)
    with pytest.raises(InputError, match="origin must be a date or timestamp, got None"):
        FittedModel(inference=False).fit(_events(), cells, None)
    model = FittedModel(inference=False).fit(_events(), cells, "2023-06-01")
    with pytest.raises(InputError, match="explain takes one cell, got 2"):
        model.explain(cells[:2])


# --------------------------------------------------------------------------- zonal


def test_zonal_stats_place_a_netcdf_raster_with_lat_lon_dims(tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    lon = np.arange(-179.0, 180, 2.0)
    lat = np.arange(89.0, -90, -2.0)
    # a global grid: 1 in the western hemisphere, 2 in the eastern one (CF lat/lon netCDF)
    data = np.where(lon[None, :] < 0, 1.0, 2.0) * np.ones((lat.size, 1))
    xr.DataArray(data, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="v").to_netcdf(
        tmp_path / "v.nc", engine="scipy"
    )
    raster = xr.open_dataarray(tmp_path / "v.nc", engine="scipy").rio.write_crs("EPSG:4326")
    cells = grid.points_to_cells([-30.0, 30.0, -150.0, 150.0], [10.0, 10.0, -40.0, 40.0], 4)
    out = pipeline.zonal_stats_to_cells(raster, cells, stats=("mean", "valid_fraction"))
    assert out["v_mean"].tolist() == [1.0, 2.0, 1.0, 2.0]
    assert np.allclose(out["v_valid_fraction"], 1.0)
    odd = raster.rename({"lat": "row", "lon": "col"})
    with pytest.raises(InputError, match="do not say which are y and x"):
        pipeline.zonal_stats_to_cells(odd, cells)


def test_a_space_time_cube_takes_hex_ids_and_refuses_epoch_numbers():
    from pipeline.hotspots import space_time_cube

    ev = _events()
    cells = grid.points_to_cells(ev["lon"], ev["lat"], 6)
    as_ids = space_time_cube(cells, ev["time"])
    as_hex = space_time_cube(grid.cells_to_strings(cells), ev["time"])
    assert np.array_equal(as_ids.values, as_hex.values)
    assert np.array_equal(as_ids.cells, as_hex.cells)
    with pytest.raises(InputError, match="numbers.*not dates"):
        space_time_cube(cells, ev["time"].astype("int64") // 10**6)


@pytest.mark.parametrize(("lon", "lat"), [(0.1, float("nan")), (0.1, 100.0)])
def test_transit_features_refuses_pings_without_a_position_instead_of_dropping_them(lon, lat):
    pings = pd.DataFrame(
        {
            "vessel_id": ["a"] * 3,
            "time": pd.to_datetime(
                ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00"], utc=True
            ),
            "lon": [0.0, lon, 0.2],
            "lat": [0.0, lat, 0.0],
            "sog_kn": [5.0, 5.0, 5.0],
        }
    )
    with pytest.raises(InputError, match="ping 1 has invalid coordinates"):
        pipeline.transit_features(pings, 6)


@pytest.mark.parametrize("container", ["Series", "set", "table", "GeoDataFrame"])
def test_a_back_test_keeps_the_fixed_cells_in_any_container(container):
    ev = _events()
    area = grid.region_to_cells((9.0, 49.0, 11.0, 51.0), 6)
    cells = {
        "Series": lambda: pd.Series(area),
        "set": lambda: set(area.tolist()),
        "table": lambda: pd.DataFrame({"cell": area}),
        "GeoDataFrame": lambda: grid.cells_to_geodataframe(area),
    }[container]()
    out = rolling_back_test(
        ev, cells, origins=2, train_days=180, horizon_days=30, baselines=("uniform",)
    )
    assert out["universe"] == "fixed cells"
    assert {o["n_cells"] for o in out["origins"]} == {area.size}


def test_a_back_test_method_returning_text_is_refused():
    ev = _events()
    area = grid.region_to_cells((9.0, 49.0, 11.0, 51.0), 6)
    with pytest.raises(InputError, match="method 'm' returned scores that are not numbers"):
        rolling_back_test(
            ev,
            area,
            methods={"m": lambda train, cells, origin: np.array(["high"] * cells.size)},
            origins=2,
            train_days=180,
            horizon_days=30,
            baselines=("uniform",),
        )


def test_density_tuning_takes_single_values_and_naive_origins():
    from pipeline.evaluate import BacktestOptions
    from pipeline.model import density_parameters_at, select_density_parameters

    options = BacktestOptions(origins=2, train_days=180, horizon_days=30)
    one = select_density_parameters(
        _events(), resolution=6, bandwidths_km=25, half_lives_days=None, options=options
    )
    assert (one["bandwidth_km"], one["half_life_days"]) == (25.0, None)
    with pytest.raises(ConfigError, match="bandwidths_km must be numbers"):
        select_density_parameters(_events(), resolution=6, bandwidths_km=("25 km",))
    two = select_density_parameters(
        _events(), resolution=6, bandwidths_km=(10, 25), half_lives_days=None, options=options
    )
    naive = density_parameters_at(two, "2023-12-01")
    assert naive == density_parameters_at(two, pd.Timestamp("2023-12-01", tz="UTC"))


def test_gi_star_says_values_must_be_one_per_cell_for_a_column_vector():
    cells = grid.region_to_cells(BOX, 6)
    with pytest.raises(InputError, match=r"values of shape \(\d+, 1\)"):
        gi_star(cells, np.ones((cells.size, 1)), {"permutations": 0})


def _seizures(quantity) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"], utc=True),
            "quantity": quantity,
            "commodity": ["cocaine"] * 3,
        }
    )


def test_seizure_weights_refuse_a_quantity_that_is_text_not_a_missing_one():
    # "1,200" is a known amount: filling it with the median (10) would shrink it 120-fold
    with pytest.raises(InputError, match="row 1: quantity '1,200' is not a number"):
        pipeline.seizure_weights(_seizures(["10", "1,200", None]), use_quantity=True)
    blank = pipeline.seizure_weights(_seizures(["10", " ", None]), use_quantity=True)
    assert blank.tolist() == [10.0, 10.0, 10.0]  # blank and None are missing: the median


def test_seizure_weights_refuse_epoch_numbers_as_times():
    s = _seizures([1.0, 1.0, 1.0])
    s["time"] = s["time"].astype("int64") // 10**6
    with pytest.raises(InputError, match="holds numbers.*not dates"):
        pipeline.seizure_weights(s, as_of="2024-06-01", half_life_days=30)


def test_kernel_density_says_text_coordinates_and_weights_are_not_numbers():
    cells = grid.region_to_cells(BOX, 5)
    decimal_comma = pd.DataFrame({"lon": ["10,1"], "lat": ["50,0"], "w": ["1"]})
    with pytest.raises(InputError, match="must be numbers in degrees.*decimal comma"):
        pipeline.kernel_density(decimal_comma, cells, bandwidth_km=10)
    points = pd.DataFrame({"lon": [10.1], "lat": [50.0], "w": ["1,200"]})
    with pytest.raises(InputError, match="weights must be numbers"):
        pipeline.kernel_density(points, cells, weights="w", bandwidth_km=10)


def test_cell_counts_takes_hex_ids_and_refuses_events_at_another_resolution():
    from pipeline.hotspots import cell_counts

    cells = grid.region_to_cells(BOX, 6)
    ev = grid.points_to_cells([10.0, 10.0, 10.2], [50.0, 50.0, 50.1], 6)
    as_ids = cell_counts(ev, cells)
    assert as_ids.sum() == 3
    hexes = cell_counts(grid.cells_to_strings(ev), grid.cells_to_strings(cells))
    assert np.array_equal(hexes, as_ids)
    finer = grid.points_to_cells([10.0, 10.0, 10.2], [50.0, 50.0, 50.1], 7)
    with pytest.raises(InputError, match=r"resolution \[7\], the cells at \[6\]"):
        cell_counts(finer, cells)  # every count would be 0: no hot spot anywhere


def test_a_timeline_reads_cells_by_id_and_refuses_values_by_position():
    from pipeline.hotspots import timeline_table

    ev = _events(200)
    cells = grid.region_to_cells((9.0, 49.0, 11.0, 51.0), 5)

    def counts(past, cutoff):
        own = grid.points_to_cells(past["lon"], past["lat"], 5)
        return pd.Series(own).value_counts().reindex(cells, fill_value=0).astype("float64")

    def by_hex(past, cutoff):
        s = counts(past, cutoff)
        return s.set_axis(grid.cells_to_strings(s.index.to_numpy()))

    def by_position(past, cutoff):  # an array's Series: the index is 0..n-1, not cells
        return pd.Series(counts(past, cutoff).to_numpy())

    periods = ["2022-06", "2022-12"]
    ids = timeline_table(ev, periods, counts).table
    hexes = timeline_table(ev, periods, by_hex).table
    pd.testing.assert_frame_equal(ids, hexes)
    with pytest.raises(InputError, match="by H3 cell.*not by position"):
        timeline_table(ev, periods, by_position)


def test_a_factor_needing_one_input_given_as_a_string_is_available():
    from pipeline.factors import FactorRegistry, InputsView

    f = factor(name="probe_needs", unit="u", description="d", needs="seizures", register=False)(
        lambda ctx: np.ones(len(ctx.cells))
    )
    assert f.needs == ("seizures",)
    assert Factor("probe_ports", "u", "d", lambda ctx: 0, needs="ports").needs == ("ports",)
    reg = FactorRegistry()
    reg.register(f)
    assert list(reg.available(InputsView(frozenset({"seizures"})))) == ["probe_needs"]


def test_zonal_stats_refuse_a_metre_raster_labelled_in_degrees():
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    x = np.arange(500_500.0, 600_000.0, 1000.0)  # UTM 32N metres around Würzburg
    y = np.arange(5_599_500.0, 5_500_000.0, -1000.0)
    raster = xr.DataArray(
        np.ones((y.size, x.size)), dims=("y", "x"), coords={"y": y, "x": x}
    ).rio.write_crs("EPSG:4326")
    cells = grid.points_to_cells([10.0], [50.0], 6)
    with pytest.raises(InputError, match=r"labelled EPSG:4326 \(degrees\).*not degrees"):
        pipeline.zonal_stats_to_cells(raster, cells)  # was: no coverage, NaN, silently


def test_score_cells_refuses_coverage_flags_that_are_not_booleans():
    # "False" strings were cast with astype(bool): every cell read as covered and scored
    from pipeline import grid as G
    from pipeline import score_cells
    from pipeline.errors import InputError

    c = G.region_to_cells((9.5, 49.7, 10.5, 50.3), 5)
    feats = pd.DataFrame({"cell": c, "a": np.linspace(0, 1, c.size)})
    with pytest.raises(InputError, match="covered column 'a__covered' must hold booleans"):
        score_cells(feats, {"a": 1}, covered=pd.DataFrame({"a__covered": ["False"] * c.size}))
    half = np.arange(c.size) % 2 == 0
    for flags in (half, half.astype(int), pd.array(half, dtype="boolean")):
        got = score_cells(feats, {"a": 1}, covered=pd.DataFrame({"a__covered": flags}))
        assert got["a__covered"].sum() == half.sum()
    nullable = pd.array([True, None] * (c.size // 2) + [True] * (c.size % 2), dtype="boolean")
    got = score_cells(feats, {"a": 1}, covered=pd.DataFrame({"a__covered": nullable}))
    assert got["a__covered"].sum() == int(nullable.fillna(False).sum())  # unknown: not covered
