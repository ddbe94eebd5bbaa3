"""Promises of zonal statistics and seizure weights that a mutation review found untested.

Each test pins one rule that a small hand-made change to :mod:`pipeline.zonal` or
:mod:`pipeline.density._weights` broke with every other test passing, or that was wrong.
Expected values come from an independent computation on a tiny raster: the cell's lon/lat
ring cut by every pixel's box with shapely (exactextract's coverage), pixel centres tested
with ``shapely.contains_xy``, and decay by ``math.exp(-ln 2 * age / half_life)`` by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import xarray as xr
from affine import Affine

from pipeline import schema
from pipeline.density import decay_anchor, seizure_quantities, seizure_weights
from pipeline.errors import ConfigError, InputError
from pipeline.grid import cells_to_boundaries, region_to_cells
from pipeline.zonal import zonal_stats_to_cells

STATS = ("mean", "max", "min", "sum", "count", "valid_fraction")


def _raster(values, transform: Affine, nodata=None) -> xr.DataArray:
    """A lon/lat raster of ``values`` placed by ``transform`` (any affine: flipped, rotated)."""
    da = xr.DataArray(np.asarray(values), dims=("y", "x"), name="v")
    da = da.rio.write_crs("EPSG:4326").rio.write_transform(transform)
    return da.rio.write_nodata(nodata) if nodata is not None else da


def _reference(values, transform: Affine, cells, nodata=None) -> pd.DataFrame:
    """Exact and centre statistics by shapely, pixel by pixel (exactextract's definitions).

    ``count``/``sum`` weight each valid pixel by the area of (cell ∩ pixel) in pixels; ``max``
    and ``min`` are over the valid pixels of positive coverage; ``centre_*`` over the valid
    pixels whose centre the cell holds.  A cell with no valid coverage has NaN mean/max/min.
    """
    values = np.asarray(values)
    h, w = values.shape
    jj, ii = np.meshgrid(np.arange(w), np.arange(h))
    corners = [transform @ (jj + dj, ii + di) for dj, di in ((0, 0), (1, 0), (1, 1), (0, 1))]
    xy = np.stack([np.stack([c[0] for c in corners], -1), np.stack([c[1] for c in corners], -1)])
    boxes = shapely.polygons(np.moveaxis(xy, 0, -1).reshape(-1, 4, 2))
    flat = values.ravel()
    valid = np.isfinite(flat) if flat.dtype.kind == "f" else np.ones(flat.size, bool)
    if nodata is not None:
        valid &= flat != nodata
    cx, cy = transform @ (jj.ravel() + 0.5, ii.ravel() + 0.5)
    px = abs(transform.determinant)
    lon, lat, idx = cells_to_boundaries(cells)
    rows = []
    for n in range(cells.size):
        ring = shapely.Polygon(np.c_[lon[idx == n], lat[idx == n]])
        cover = shapely.area(shapely.intersection(ring, boxes)) / px
        m = (cover > 0) & valid
        count = float(cover[m].sum())
        total = float((cover[m] * flat[m].astype("float64")).sum())
        inside = shapely.contains_xy(ring, cx, cy) & valid
        has = count > 1e-6
        rows.append(
            {
                "count": count,
                "sum": total,
                "mean": total / count if has else np.nan,
                "max": float(flat[m].max()) if has else np.nan,
                "min": float(flat[m].min()) if has else np.nan,
                "valid_fraction": count / (ring.area / px),
                "centre_count": float(inside.sum()),
                "centre_mean": float(flat[inside].mean()) if inside.any() else np.nan,
                "centre_max": float(flat[inside].max()) if inside.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- zonal


@pytest.mark.parametrize(
    ("dtype", "base"), [("int32", 2**24 + 1), ("uint32", 4_000_000_001)], ids=["int32", "uint32"]
)
def test_the_max_and_min_of_a_32_bit_integer_raster_are_its_values(dtype, base):
    """A 32-bit integer raster's max and min are pixel values, exactly: taken in float32
    (as for every raster of 4-byte values) 16777217 was 16777216 and 4000000001 was
    4000000000, a max below the cell's own mean.  Reference: shapely's covered pixels."""
    rng = np.random.default_rng(5)
    values = (base + 2 * rng.integers(0, 4, (24, 24))).astype(dtype)  # odd: none is a float32
    transform = Affine(0.01, 0, 0.0, 0, -0.01, 0.24)
    cells = region_to_cells((0.03, 0.03, 0.21, 0.21), 7)[:12]
    got = zonal_stats_to_cells(_raster(values, transform), cells, stats=STATS)
    want = _reference(values, transform, cells)
    np.testing.assert_array_equal(got["v_max"], want["max"])
    np.testing.assert_array_equal(got["v_min"], want["min"])
    assert (got["v_max"] >= got["v_mean"]).all() and (got["v_min"] <= got["v_mean"]).all()
    centre = zonal_stats_to_cells(
        _raster(values, transform), cells, stats=("max",), method="centre"
    )
    np.testing.assert_array_equal(centre["v_max"], want["centre_max"])


_TRANSFORMS = {
    "south-up": Affine(0.01, 0, 0.0, 0, 0.01, 0.0),
    "east-to-west": Affine(-0.01, 0, 0.4, 0, -0.01, 0.3),
    "rotated-20deg": Affine.translation(0.05, 0.3)
    @ Affine.rotation(20)
    @ Affine.scale(0.01, -0.01),
    "sheared": Affine(0.01, 0.002, 0.0, 0.001, -0.01, 0.3),
}


@pytest.mark.parametrize("method", ["exact", "centre"])
@pytest.mark.parametrize("kind", list(_TRANSFORMS))
def test_a_flipped_rotated_or_sheared_raster_puts_each_pixel_where_its_transform_says(kind, method):
    """The cell's vertices go to pixel coordinates through the whole inverse transform: a
    south-up or east-to-west raster, and a rotated or sheared one (which the GeoTIFF reader
    refuses but the library takes), weight the same pixels as shapely cutting the cell by
    each pixel's parallelogram; dropping the rotation terms placed them rows away."""
    rng = np.random.default_rng(11)
    values = rng.uniform(1.0, 9.0, (30, 40))
    values[4:9, 10:18] = -9999.0
    transform = _TRANSFORMS[kind]
    cells = region_to_cells((0.06, 0.06, 0.3, 0.24), 7)[::4]
    got = zonal_stats_to_cells(
        _raster(values, transform, nodata=-9999.0), cells, stats=STATS, method=method
    )
    want = _reference(values, transform, cells, nodata=-9999.0)
    assert want["count"].gt(0).any() and want["valid_fraction"].lt(1).any()  # the premise
    if method == "exact":
        for stat in ("count", "sum", "mean", "valid_fraction"):
            np.testing.assert_allclose(got[f"v_{stat}"], want[stat], rtol=1e-9, err_msg=stat)
        np.testing.assert_array_equal(got["v_max"], want["max"])
        np.testing.assert_array_equal(got["v_min"], want["min"])
    else:
        np.testing.assert_array_equal(got["v_count"], want["centre_count"])
        np.testing.assert_allclose(got["v_mean"], want["centre_mean"], rtol=1e-9)
        np.testing.assert_array_equal(got["v_max"], want["centre_max"])


def test_a_global_raster_stored_east_to_west_still_covers_cells_across_the_antimeridian():
    """A global lon/lat raster whose columns run east to west (negative x step) holds both
    sides of 180°: a cell across it gets the pixels on both, as from the same raster stored
    west to east (itself checked against exactextract in ``test_zonal.py``).  The raster's
    longitude range was taken from its first and last corner, backwards for such a raster,
    and the cell's copy 360° away was never made: only half of it was covered."""
    import h3

    rng = np.random.default_rng(2)
    values = rng.uniform(1.0, 9.0, (180, 360))
    west_to_east = _raster(values, Affine(1.0, 0, -180.0, 0, -1.0, 90.0))
    east_to_west = _raster(values[:, ::-1], Affine(-1.0, 0, 180.0, 0, -1.0, 90.0))
    cells = np.array(
        [h3.str_to_int(h3.latlng_to_cell(lat, 180.0, 2)) for lat in (-40.0, 0.0, 35.0)],
        dtype="uint64",
    )
    want = zonal_stats_to_cells(west_to_east, cells, stats=STATS)
    got = zonal_stats_to_cells(east_to_west, cells, stats=STATS)
    assert (want["v_valid_fraction"] > 0.999).all()  # the premise: wholly covered
    for stat in STATS:
        np.testing.assert_allclose(got[f"v_{stat}"], want[f"v_{stat}"], rtol=1e-9, err_msg=stat)


def test_cells_the_raster_crs_cannot_project_at_all_are_refused_in_one_line():
    """When no cell can be projected to the raster's CRS (the equator 90° from a UTM zone's
    meridian, where it gives inf), the call is refused naming the CRS: a table of missing
    values would read as a raster that was looked at and holds nothing there."""
    values = np.ones((50, 50), dtype="float32")
    da = xr.DataArray(values, dims=("y", "x"), name="v").rio.write_crs("EPSG:32618")
    da = da.rio.write_transform(Affine(100, 0, 450_000, 0, -100, 2_220_000))
    far = region_to_cells((14.0, -0.5, 16.0, 0.5), 5)  # ~90° from its meridian: inf
    with pytest.raises(InputError, match="no cell can be projected to the raster CRS"):
        zonal_stats_to_cells(da, far)


def test_a_raster_in_degrees_whose_far_edge_is_metres_is_refused():
    """The degree check looks at both x edges: a grid labelled EPSG:4326 starting at x 0
    whose 40 pixels of 30 (metres) end at x 1200 is no lon/lat raster, though its first
    edge and its y range (10 to 50) would pass for degrees."""
    da = _raster(np.ones((40, 40)), Affine(30.0, 0, 0.0, 0, -1.0, 50.0))
    with pytest.raises(InputError, match="not degrees"):
        zonal_stats_to_cells(da, region_to_cells((0.1, 20.0, 0.2, 20.1), 7))


def test_a_coarse_global_grid_with_pixels_centred_on_the_poles_is_degrees():
    """A 2.5° grid whose first and last rows are centred on the poles (MERRA-2, NCEP) has
    edges at ±91.25°: the degree check allows half its own pixel beyond ±90 (a fixed 1°
    refused it as "not degrees")."""
    da = _raster(np.full((73, 144), 4.0), Affine(2.5, 0, -181.25, 0, -2.5, 91.25))
    cells = region_to_cells((10.0, 60.0, 20.0, 70.0), 2)
    got = zonal_stats_to_cells(da, cells, stats=("mean", "valid_fraction"))
    np.testing.assert_allclose(got["v_mean"], 4.0, rtol=1e-12)
    np.testing.assert_allclose(got["v_valid_fraction"], 1.0, rtol=1e-9)


@pytest.mark.parametrize(
    ("dtype", "nodata"), [("uint8", 255), ("int16", 32767), ("int16", -32768)], ids=str
)
def test_a_nodata_at_either_end_of_an_integer_type_is_missing(dtype, nodata):
    """A nodata at the largest (uint8's 255, the common byte fill) or smallest value of an
    integer raster's type is one it can hold: its pixels are missing, never averaged in as
    255.  Reference: shapely's coverage of the valid pixels."""
    rng = np.random.default_rng(8)
    values = rng.integers(1, 100, (24, 24)).astype(dtype)
    values[rng.random(values.shape) < 0.3] = nodata
    transform = Affine(0.01, 0, 0.0, 0, -0.01, 0.24)
    cells = region_to_cells((0.03, 0.03, 0.21, 0.21), 7)[:12]
    got = zonal_stats_to_cells(_raster(values, transform, nodata=nodata), cells, stats=STATS)
    want = _reference(values, transform, cells, nodata=nodata)
    np.testing.assert_allclose(got["v_mean"], want["mean"], rtol=1e-9)
    np.testing.assert_allclose(got["v_valid_fraction"], want["valid_fraction"], rtol=1e-9)
    np.testing.assert_array_equal(got["v_max"], want["max"])
    np.testing.assert_array_equal(got["v_min"], want["min"])


# ----------------------------------------------------------------------------- weights


def _seizures(quantities, commodities=None) -> pd.DataFrame:
    n = len(quantities)
    times = pd.date_range("2026-01-01", periods=n, freq="D", tz="UTC")
    frame = {schema.TIME: times, schema.QUANTITY: quantities}
    if commodities is not None:
        frame[schema.COMMODITY] = commodities
    return pd.DataFrame(frame)


@pytest.mark.parametrize(
    "quantities", [[5.0, np.inf, None], [5.0, "inf", None]], ids=["float", "text"]
)
def test_an_infinite_quantity_is_refused_not_spread_to_the_missing_ones(quantities):
    """An infinite quantity is no amount (the reader rejects it): given to the weights it
    was an infinite weight and, as its commodity's median, the weight of every seizure of
    that commodity with no quantity.  Refused in one line naming the row."""
    s = _seizures(quantities, ["coke", "coke", "coke"])
    with pytest.raises(InputError, match=r"row 1: quantity inf is infinite"):
        seizure_quantities(s)
    with pytest.raises(InputError, match=r"row 1: quantity inf is infinite"):
        seizure_weights(s, use_quantity=True)


def test_a_half_life_of_0_days_is_refused_in_one_line():
    """A half-life of 0 days is no decay rate (every age / 0 is inf, or nan at age 0):
    refused naming the value, as a negative one is."""
    s = _seizures([1.0, 2.0])
    with pytest.raises(ConfigError, match=r"half_life_days must be > 0, got 0"):
        seizure_weights(s, as_of="2026-01-05", half_life_days=0)


@pytest.mark.parametrize("half_life_days", [None, 30.0], ids=["no-decay", "decay"])
def test_a_seizure_dated_exactly_as_of_weighs_one_and_is_not_refused(half_life_days):
    """``as_of`` on the only seizure's own time is not "before every seizure": its age is 0
    and its weight 1 (0.5 ** 0), not a refusal for having no data."""
    s = _seizures([3.0])
    w = seizure_weights(s, as_of="2026-01-01T00:00Z", half_life_days=half_life_days)
    np.testing.assert_array_equal(w, [1.0])


def test_decay_counts_ages_in_days_to_the_second_across_time_zones():
    """Ages are days of 86,400 s between UTC instants: ``as_of`` given in another zone and
    events hours apart decay as ``exp(-ln 2 * age / half_life)`` by hand; an event after
    ``as_of`` weighs 0 and one exactly on it 1."""
    times = pd.to_datetime(
        ["2026-01-01T00:00Z", "2026-01-03T06:00Z", "2026-01-10T12:00Z", "2026-01-11T00:00Z"]
    )
    s = pd.DataFrame({schema.TIME: times})
    as_of = pd.Timestamp("2026-01-10T13:00", tz="Europe/Paris")  # 12:00 UTC
    w = seizure_weights(s, as_of=as_of, half_life_days=2.5)
    ages = [9.5, 7.25, 0.0]
    want = [math.exp(-math.log(2) * a / 2.5) for a in ages] + [0.0]
    np.testing.assert_allclose(w, want, rtol=1e-12)


def test_an_event_long_after_as_of_weighs_0_without_an_overflow():
    """An event after ``as_of`` weighs 0 because it is in its future, not through a power
    that overflowed: 0.5 ** (-2000 / 0.5) is inf, and numpy's overflow warning (here an
    error) is noise in a run's log."""
    times = pd.to_datetime(["2026-01-01T00:00Z", "2031-06-01T00:00Z"])
    s = pd.DataFrame({schema.TIME: times})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = seizure_weights(s, as_of="2026-01-02T00:00Z", half_life_days=0.5)
    np.testing.assert_array_equal(w, [0.25, 0.0])


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_commodity_weight_that_is_not_finite_is_refused(bad):
    """A NaN commodity weight would be filled with the default weight (pandas' fillna
    after the lookup) and an infinite one make every such seizure infinite: both are
    refused naming the commodity."""
    s = _seizures([1.0, 2.0], ["coke", "fuel"])
    with pytest.raises(ConfigError, match=r"commodity_weights must be finite and >= 0, got 'coke'"):
        seizure_weights(s, commodity_weights={"coke": bad})


def test_a_quantity_of_0_is_a_known_amount_of_weight_0_not_an_error():
    """0 is a quantity (an empty container logged as a seizure): it weighs 0 and is no
    missing quantity, so the median of the others is not filled in for it."""
    s = _seizures([0.0, 4.0, None], ["coke", "coke", "coke"])
    q, note = seizure_quantities(s)
    np.testing.assert_array_equal(q, [0.0, 4.0, 2.0])  # the median of 0 and 4
    assert note is not None and note.startswith("1 of 3 seizures have no quantity")
    np.testing.assert_array_equal(seizure_weights(s, use_quantity=True), [0.0, 4.0, 2.0])


def test_weights_from_the_decay_anchor_stay_finite_at_the_end_of_its_period():
    """Decayed from :func:`decay_anchor`'s anchor, a seizure on ``as_of`` weighs
    ``2 ** (age of as_of in half-lives)``: the anchor's period (256 half-lives) keeps that
    finite even on the period's last day (2 ** 255), and weight times the factor is the
    weight from ``as_of``; a period of 2,048 half-lives made it inf, and inf * 0 a NaN."""
    as_of = pd.Timestamp("1970-01-01", tz="UTC") + pd.Timedelta(days=2048 * 10 + 2047)
    anchor, factor = decay_anchor(as_of, 1.0)
    assert (as_of - anchor) == pd.Timedelta(days=255)
    assert factor == 2.0**-255
    s = pd.DataFrame({schema.TIME: [as_of, as_of - pd.Timedelta(days=3)]})
    anchored = seizure_weights(s, as_of=as_of, half_life_days=1.0, decay_from=anchor)
    np.testing.assert_array_equal(anchored, [2.0**255, 2.0**252])
    np.testing.assert_array_equal(anchored * factor, [1.0, 0.125])


@pytest.mark.parametrize(
    "half_life_days", [0.0, -30.0, float("nan")], ids=["zero", "negative", "nan"]
)
def test_the_decay_anchor_refuses_a_half_life_that_is_not_positive(half_life_days):
    """``decay_anchor`` is public: a half-life of 0 divided by zero (ZeroDivisionError, no
    line naming the value) and a negative one put the anchor after ``as_of`` without a word;
    refused as :func:`seizure_weights` refuses them."""
    with pytest.raises(ConfigError, match=r"half_life_days must be > 0"):
        decay_anchor(pd.Timestamp("2026-06-30", tz="UTC"), half_life_days)
