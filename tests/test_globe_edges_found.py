"""Geometry at the edges of the globe (the 180th meridian, the poles), found wrong end to end.

Pacific theatres (Fiji, the Bering Strait), the Arctic above 80° N and the Southern Ocean were
run through ``route-risk run`` with seizures, tracks, areas and rasters written here; each test
below failed before its fix.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
from _rasters import write_tif
from affine import Affine

from pipeline.grid import cells_to_geodataframe
from pipeline.zonal import zonal_stats_to_cells


def _pole_cell(lat: float, res: int) -> np.ndarray:
    return np.array([h3.str_to_int(h3.latlng_to_cell(lat, 0.0, res))], dtype="uint64")


# ----------------------------------------------------------------------------- zonal, poles


@pytest.mark.parametrize("res", [1, 2, 4, 5])
@pytest.mark.parametrize("pole", [90.0, -90.0], ids=["north", "south"])
@pytest.mark.parametrize("west", [-180.0, 0.0], ids=["-180..180", "0..360"])
def test_the_cell_around_a_pole_gets_its_pixels_on_a_lon_lat_raster(tmp_path, res, pole, west):
    """Found: the cell holding a pole, on a global lon/lat raster, got a mean outside the values.

    Its H3 ring goes once round the pole: taken as a polygon in lon/lat (unwrapped around its
    first vertex) it is a zig-zag, not the cap between the ring and the pole.  A field of 1 west
    of Greenwich and 3 east of it gave the north pole's resolution-1 cell a mean of 30.1, its
    resolution-5 cell 0.11; a colatitude field (2..7.6 there) gave -46.
    """
    exactextract = pytest.importorskip("exactextract")
    step = 0.5
    lat = 90.0 - (np.arange(360) + 0.5) * step

    def field(west: float) -> np.ndarray:
        lon = (west + (np.arange(720) + 0.5) * step + 180.0) % 360.0 - 180.0
        return np.where(lon[None, :] < 0, 1.0, 3.0) + (90.0 - np.abs(lat))[:, None] / 10.0

    path = write_tif(tmp_path / "g.tif", field(west), Affine(step, 0, west, 0, -step, 90))
    cells = _pole_cell(pole, res)
    ours = zonal_stats_to_cells(
        rioxarray.open_rasterio(path), cells, stats=("mean", "count", "min", "max")
    )
    # the reference: the cell as the exports give it (from its ring to the pole, in lon/lat)
    # on the same field written from -180
    ref_path = write_tif(tmp_path / "r.tif", field(-180.0), Affine(step, 0, -180, 0, -step, 90))
    ref = exactextract.exact_extract(
        str(ref_path), cells_to_geodataframe(cells), ["mean", "count"], output="pandas"
    )
    assert ours["raster_min"].iloc[0] <= ours["raster_mean"].iloc[0] <= ours["raster_max"].iloc[0]
    np.testing.assert_allclose(ours["raster_mean"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(ours["raster_count"], ref["count"], rtol=1e-6)
