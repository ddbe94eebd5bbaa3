"""Rasters in the shapes more products publish: found by a probe of the raster reader.

Each file is tiny and written in ``tmp_path`` the way the product lays it out (a VIIRS Black
Marble VNP46A2 HDF5 with its grids in HDF-EOS5 groups, a Copernicus Marine NetCDF with time
and depth, a GeoTIFF whose bands have descriptions, a polar stereographic grid, a GeoTIFF
tagged pixel-is-point) and goes through what the run does with a raster: open, coverage over
the area, clip and zonal statistics per cell.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

BBOX = (-2.0, 8.0, 2.0, 12.0)


def zonal_like_the_run(source, bbox=BBOX, res=4):
    """Open -> coverage -> clip -> zonal statistics, as the run's raster stage does."""
    da = open_raster(source)
    raster_coverage(da, bbox)
    clipped = clip_raster(da, bbox, margin_km=100)
    table = zonal_stats_to_cells(
        clipped, region_to_cells(bbox, res), stats=("mean", "valid_fraction"), name="r"
    )
    return da, table


def cell_latitudes(cells) -> np.ndarray:
    """Return the latitude of each cell's centre."""
    return np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[0] for c in cells])


# ----------------------------------------------------------------------------- HDF5 groups


def write_vnp46a2(path) -> None:
    """Write a VNP46A2 (v2) tile piece: grids and lat/lon inside HDF-EOS5 groups."""
    import h5py

    n, res = 40, 0.1
    with h5py.File(path, "w") as f:
        g = f.create_group("HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields")
        ntl = g.create_dataset("Gap_Filled_DNB_BRDF-Corrected_NTL", data=np.full((n, n), 5.0, "f4"))
        ntl.attrs["_FillValue"] = np.float32(-999.9)
        qf = g.create_dataset("Mandatory_Quality_Flag", data=np.zeros((n, n), "u1"))
        qf.attrs["_FillValue"] = np.uint8(255)
        g.create_dataset("lat", data=13 - res / 2 - res * np.arange(n))
        g.create_dataset("lon", data=-3 + res / 2 + res * np.arange(n))
        f.create_group("HDFEOS INFORMATION").create_dataset(
            "StructMetadata.0", data=np.bytes_("GROUP=GridStructure")
        )


@pytest.mark.parametrize(
    "variable", [None, "Gap_Filled_DNB_BRDF-Corrected_NTL", "Mandatory_Quality_Flag"]
)
def test_an_hdf5_product_with_its_grids_in_groups_is_refused_naming_them(tmp_path, variable):
    # Before: "0 gridded variables []; set variable", and with variable set "not found; it
    # has []": advice that cannot work, since no variable name reaches into a group.
    path = tmp_path / "VNP46A2.A2024001.h17v07.002.2024010101010.h5"
    write_vnp46a2(path)
    with pytest.raises(InputError) as err:
        open_raster(RasterSource(path=path, variable=variable))
    text = str(err.value)
    assert "\n" not in text
    assert "HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields/Gap_Filled_DNB_BRDF-Corrected_NTL" in text
    assert "groups" in text and "gdal_translate" in text
    # GDAL names the subdataset with underscores for the spaces of the group names
    assert "://HDFEOS/GRIDS/VNP_Grid_DNB/Data_Fields/" in text
    if variable is not None:
        assert f"variable {variable!r} is not at its root" in text


# ----------------------------------------------------------------------------- read lazily


def write_global_grid(path, dtype: str, steps: int) -> None:
    """Write a global 2 arc-minute grid (ETOPO2/GEBCO-like), chunked, almost all unwritten.

    ``steps`` 0 writes elevation(lat, lon) (int16 without a fill, as GEBCO's); else a
    variable(time, lat, lon) with that many steps.  Only the area's block holds values.
    """
    import h5netcdf

    n_lat, n_lon, res = 5400, 10800, 1 / 30
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"lat": n_lat, "lon": n_lon, **({"time": steps} if steps else {})}
        lat = f.create_variable("lat", ("lat",), "f8")
        lat[:] = -90 + res / 2 + res * np.arange(n_lat)
        lat.attrs["units"] = "degrees_north"
        lon = f.create_variable("lon", ("lon",), "f8")
        lon[:] = -180 + res / 2 + res * np.arange(n_lon)
        lon.attrs["units"] = "degrees_east"
        dims: tuple[str, ...] = ("lat", "lon")
        if steps:
            t = f.create_variable("time", ("time",), "f8")
            t[:] = np.arange(steps)
            t.attrs["units"] = "days since 2024-01-01"
            dims = ("time", *dims)
        var = f.create_variable(
            "elevation", dims, dtype, chunks=(1,) * (len(dims) - 2) + (540, 540)
        )
        block = (slice(int(98 * 30), int(102 * 30)), slice(int(178 * 30), int(182 * 30)))
        var[(Ellipsis, *block)] = -3000


@pytest.mark.parametrize(("dtype", "steps"), [("i2", 0), ("f4", 2)])
def test_a_global_netcdf_grid_is_not_loaded_whole_to_read_the_area(tmp_path, dtype, steps):
    # Before: a 2-D variable (or one time step of a 3-D one) got its band axis by xarray's
    # expand_dims, and an integer one its float type by astype: both load the whole grid, so
    # a global 15 arc-second GEBCO (3.7e9 pixels) was killed for memory at open.
    import tracemalloc

    path = tmp_path / "gebco_like.nc"
    write_global_grid(path, dtype, steps)
    whole_mb = 5400 * 10800 * 4 / 2**20  # 222 MB as float32
    tracemalloc.start()
    try:
        da = open_raster(RasterSource(path=path))
        raster_coverage(da, BBOX)
        window = clip_raster(da, BBOX, margin_km=20).load()
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert peak_mb < whole_mb / 5, f"{peak_mb:.0f} MB traced for a {whole_mb:.0f} MB grid"
    assert window.dims == ("band", "y", "x") and window.dtype.kind == "f"
    assert float(window.sel(x=0.0, y=10.0, method="nearest").squeeze()) == -3000.0
    assert float(window.sel(x=1.9, y=12.3, method="nearest").squeeze()) == 0.0
