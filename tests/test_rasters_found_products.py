"""Rasters in the shapes public products take, read wrongly without a word: found by a probe.

Each raster is tiny, written in ``tmp_path`` the way the product or a common conversion of it
is (a MODIS LST GeoTIFF whose HDF attributes became tags, a float64 copy of a float32 raster,
a nodata tag that names another fill than the one the cells hold), and goes through what the
run does with a raster: open, coverage over the area, clip, zonal statistics per cell.  The
values are constant outside a hole of fill, so every cell that holds a value must give exactly
that value, a cell on the hole's edge only a share of its area and a cell inside it none.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

BBOX = (-2.0, 8.0, 2.0, 12.0)
N = 120
TRANSFORM = from_origin(-3.0, 13.0, 0.05, 0.05)


def hole() -> np.ndarray:
    """Return the pixels of fill: a block inside the area, wider than several cells."""
    out = np.zeros((N, N), bool)
    out[30:70, 40:90] = True
    return out


def write(path, data, dtype, nodata=None, scale=None, tags=None, band_tags=None):
    """Write one band as a GeoTIFF with the given nodata, band scale and metadata tags."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        dtype=dtype,
        crs="EPSG:4326",
        transform=TRANSFORM,
        nodata=nodata,
    ) as dst:
        dst.write(np.asarray(data).astype(dtype), 1)
        if scale is not None:
            dst.scales, dst.offsets = (scale,), (0.0,)
        if tags:
            dst.update_tags(**tags)
        if band_tags:
            dst.update_tags(1, **band_tags)
    return path


def zonal_like_the_run(source):
    """Open -> coverage -> clip -> zonal statistics, as the run's raster stage does."""
    da = open_raster(source)
    raster_coverage(da, BBOX)
    clipped = clip_raster(da, BBOX, margin_km=100)
    stats = ("mean", "max", "min", "valid_fraction")
    return zonal_stats_to_cells(clipped, region_to_cells(BBOX, 4), stats=stats, name="r")


def assert_constant_with_a_hole(table, value):
    """Every cell holding a value gives ``value``; the cells inside the hole are missing."""
    has = table["r_valid_fraction"] > 0
    assert 3 <= (~has).sum() and 3 <= (has & (table["r_valid_fraction"] < 0.99)).sum()
    assert table.loc[~has, ["r_mean", "r_max", "r_min"]].isna().all().all()
    for stat in ("r_mean", "r_max", "r_min"):
        np.testing.assert_allclose(table.loc[has, stat], value, rtol=1e-6)


# ----------------------------------------------------------------------------- packing in tags


def lst_stored() -> np.ndarray:
    """A MODIS LST-like int16 band: 290 K stored as 14500 (x 0.02), 0 where there is none."""
    return np.where(hole(), 0, 14500).astype("int16")


@pytest.mark.parametrize(
    ("where", "key"),
    [("band", "scale_factor"), ("file", "scale_factor"), ("file", "LST_Day_1km#scale_factor")],
)
def test_a_scale_factor_only_in_the_tags_is_refused_not_read_as_stored_integers(
    tmp_path, where, key
):
    # before: every cell's mean was 14500, the stored integer, for 290 K
    tags = {key: "0.02", key.replace("scale_factor", "add_offset"): "0"}
    path = write(
        tmp_path / "MOD11A1_LST_Day_1km.tif",
        lst_stored(),
        "int16",
        nodata=0,
        tags=tags if where == "file" else None,
        band_tags=tags if where == "band" else None,
    )
    with pytest.raises(InputError, match=rf"band 1 .* says {key}=0.02.* gdal_edit.py -scale") as e:
        zonal_like_the_run(path)
    assert "\n" not in str(e.value)
    # declared on the band as GDAL reads it, the same file gives kelvin
    declared = write(
        tmp_path / "declared.tif", lst_stored(), "int16", nodata=0, scale=0.02, band_tags=tags
    )
    assert_constant_with_a_hole(zonal_like_the_run(declared), 290.0)


def test_a_fill_value_tag_without_a_gdal_nodata_is_missing_not_zero(tmp_path):
    # before: the fill (0) was averaged in: means down to about 150 over the hole, min 0
    path = write(
        tmp_path / "lst.tif",
        lst_stored(),
        "int16",
        scale=0.02,
        band_tags={"scale_factor": "0.02", "add_offset": "0", "_FillValue": "0"},
    )
    table = zonal_like_the_run(path)
    assert_constant_with_a_hole(table, 290.0)
    fill = open_raster(path).attrs["assumptions"]["fill_tags"]
    assert fill[0]["value"] == 0.0 and "_FillValue=0" in fill[0]["evidence"]
    # a dataset-level missing_value, unpacked, and beside a configured nodata
    plain = write(
        tmp_path / "plain.tif",
        np.where(hole(), -1, 7),
        "int16",
        tags={"missing_value": "-1"},
    )
    assert_constant_with_a_hole(zonal_like_the_run(RasterSource(path=plain, nodata=-5)), 7.0)


# ----------------------------------------------------------------------------- a declared nodata


LOWEST = float(np.finfo("float32").min)  # -3.4028234663852886e38, ArcGIS's float fill


@pytest.mark.parametrize(
    ("dtype", "declared", "fill"),
    [
        ("float64", -3.4e38, LOWEST),  # a float64 copy: the tag rounded, the cells not
        ("float32", -9999.0, LOWEST),
        ("float32", LOWEST, -9999.0),
    ],
)
def test_a_fill_the_declared_nodata_does_not_name_is_refused_not_averaged(
    tmp_path, dtype, declared, fill
):
    # before: means of -1e37 (or -2,600 for -9999) and max = the fill, without a word
    values = np.where(hole(), fill, 12.5)
    path = write(tmp_path / "viirs.tif", values, dtype, nodata=declared)
    with pytest.raises(InputError, match=r"a common nodata value, but the file declares nodata"):
        zonal_like_the_run(path)
    # the way out the message gives: the fill as the config's nodata
    assert_constant_with_a_hole(zonal_like_the_run(RasterSource(path=path, nodata=fill)), 12.5)


# ------------------------------------------------------------- float32 with an .aux.xml scale

FLOAT32_LOWEST = float(np.finfo("float32").min)


def with_aux_scale(path, scale: float, offset: float):
    """Give ``path`` GDAL's .aux.xml with a band scale and offset (GDAL applies them)."""
    path.with_name(path.name + ".aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1"><Offset>{offset}</Offset><Scale>{scale}</Scale>'
        "</PAMRasterBand></PAMDataset>"
    )
    return path


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_float32_raster_scaled_by_an_aux_xml_compares_fills_without_overflow(tmp_path):
    # before: float32's lowest (-3.4e38, a fill checked for in every raster) x 3 + 5 was cast
    # to float32 beside the cells: "overflow encountered in cast"
    path = with_aux_scale(write(tmp_path / "r.tif", np.full((N, N), 2.0), "float32"), 3.0, 5.0)
    table = zonal_like_the_run(path)
    np.testing.assert_allclose(table["r_mean"], 11.0)
    np.testing.assert_allclose(table["r_valid_fraction"], 1.0)


# rioxarray decodes float32 in float32: its own multiply overflows to -inf on the fill
@pytest.mark.filterwarnings("ignore:overflow encountered in multiply:RuntimeWarning")
def test_float32_lowest_scaled_beyond_float32_is_found_as_the_fill_it_is(tmp_path):
    # before: the fill cells, decoded to -inf, matched no fill: the raster was not refused and
    # its coverage counted them as values (valid_fraction 1.0)
    data = np.where(hole(), FLOAT32_LOWEST, 2.0)
    path = with_aux_scale(write(tmp_path / "r.tif", data, "float32"), 3.0, 5.0)
    with pytest.raises(InputError, match=r"hold -3.40282347e\+38 stored .*set nodata: -3.4"):
        zonal_like_the_run(path)
    source = RasterSource(path=path, nodata=FLOAT32_LOWEST)
    cov = raster_coverage(open_raster(source), BBOX)["valid_fraction_in_area"]
    plain = write(tmp_path / "plain.tif", np.where(hole(), -1, 2), "float32", nodata=-1)
    assert cov == raster_coverage(open_raster(plain), BBOX)["valid_fraction_in_area"] < 0.9
    assert_constant_with_a_hole(zonal_like_the_run(source), 11.0)
