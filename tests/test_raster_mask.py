"""Two clearer refusals (task hJ2): a negative score factor, a nodata declared as NaN only.

The rasters are tiny, written in ``tmp_path`` the way the product is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _rasters import write_tif
from rasterio.transform import from_origin

from pipeline.errors import ConfigError, InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import open_raster, raster_coverage

pytestmark = IGNORE_PENDING_DEPRECATION

BBOX = (-2.0, 8.0, 2.0, 12.0)
RES = 0.05
N = 120
GRID = from_origin(-3.0, 13.0, RES, RES)


# ----------------------------------------------------------------------------- refusals


def test_a_negative_factor_is_refused_with_its_name_value_and_ways_out():
    # GEBCO: int16 elevations, negative at sea (depths): read right, but not scorable as is
    from pipeline.score import score_cells

    cells = region_to_cells(BBOX, 3)
    depth = -np.linspace(10.0, 4321.5, cells.size)
    features = pd.DataFrame({"cell": cells, "gebco_mean": depth})
    with pytest.raises(ConfigError) as err:
        score_cells(features, {"gebco_mean": 1.0})
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("score factor 'gebco_mean': factor values must be >= 0")
    assert "most negative is -4321.5" in text
    assert "linear" in text and "log" in text  # the transforms, and that neither fits
    assert "plug-in factor" in text and "factors.plugins" in text
    assert "-gebco_mean" in text


def test_nodata_declared_nan_holding_minus_9999_says_no_value_other_than_nan(tmp_path):
    lat = 13.0 - RES * (np.arange(N) + 0.5)
    v = np.repeat((lat + 100)[:, None], N, axis=1).astype("float32")
    v[:, :60] = -9999.0
    tagged = write_tif(tmp_path / "tagged_nan.tif", v, GRID, nodata=np.nan)
    with pytest.raises(InputError, match="declares no nodata value other than NaN; set nodata"):
        raster_coverage(open_raster(tagged), BBOX)
    # a file declaring nothing at all is still told so
    bare = write_tif(tmp_path / "bare.tif", v, GRID)
    with pytest.raises(InputError, match=r"declares no nodata; set nodata: -9999"):
        raster_coverage(open_raster(bare), BBOX)
