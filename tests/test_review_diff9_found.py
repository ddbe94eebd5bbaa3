"""Review of the seventh session's diff (task hDU): config defaults, factor plug-ins.

Each test failed before its fix: a plug-in's guard read every file-backed raster of the run
whole into memory (for each plug-in, at each back-test origin); Config.model_validate(config)
wiped the config's resolution-default notes; density: auto with the back-test off did not
state the KDE default that sets its universe; area.resolution "4.0" (4 to the field) took
the 25 km defaults of no resolution.
"""

from __future__ import annotations

import numpy as np
import pytest
from _rasters import write_tif
from conftest import factor_context
from rasterio.transform import from_origin

import pipeline
from pipeline import grid
from pipeline.factors import Factor

#: A 1°x0.6° box: a few cells at resolution 5.
BOX = (9.5, 49.7, 10.5, 50.3)


def _geotiff(path, values):
    h, w = values.shape
    step = ((BOX[2] - BOX[0]) / w, (BOX[3] - BOX[1]) / h)
    return write_tif(path, values, from_origin(BOX[0], BOX[3], *step), dtype="float32")


def test_a_plugin_guard_leaves_a_file_backed_raster_unread(tmp_path):
    # Before: the guard took `.data` of each raster of the run to make it read-only: a
    # raster opened lazily from its GeoTIFF (the run's rasters) was read whole into memory
    # for every plug-in call, needed or not, and again at every back-test origin (an
    # 8000 x 8000 GeoTIFF: 1.6 s and 470 MiB more peak memory a call).
    raster = pipeline.open_raster(_geotiff(tmp_path / "night.tif", np.ones((8, 10))))
    assert not raster.variable._in_memory  # lazily read, as the run opens it
    seen = {}

    def compute(ctx):
        da = ctx.rasters["night"]
        seen["in_memory"] = da.variable._in_memory
        da[..., 0:2, 0:2] = 0.0  # a hurried write stays in the plug-in's copy
        seen["sum"] = float(da.sum())
        return np.ones(len(ctx.cells))

    ctx = factor_context(grid.region_to_cells(BOX, 5))
    ctx.rasters = {"night": raster}
    Factor("hdu_lazy_raster", "u", "d", compute, needs=("raster:night",))(ctx)
    assert seen == {"in_memory": False, "sum": 76.0}
    assert float(raster.sum()) == 80.0  # the run's raster is unchanged
    assert not raster.variable._in_memory


@pytest.mark.parametrize("backing", ["numpy", "dask"])
def test_in_memory_and_dask_rasters_stay_protected(backing):
    # the guard's other two paths, kept: a write into an in-memory raster is refused, one
    # into a dask-backed raster stays in the plug-in
    import xarray as xr

    if backing == "numpy":
        data = xr.DataArray(np.ones((2, 2)), dims=("y", "x"))
    else:
        import dask.array as dsa

        data = xr.DataArray(dsa.ones((2, 2), chunks=1), dims=("y", "x"))

    def compute(ctx):
        ctx.rasters["night"][:] = 0.0
        return np.ones(len(ctx.cells))

    ctx = factor_context(grid.region_to_cells(BOX, 5))
    ctx.rasters = {"night": data}
    f = Factor(f"hdu_{backing}_raster", "u", "d", compute, needs=("raster:night",))
    if backing == "numpy":
        with pytest.raises(pipeline.FactorError, match="hdu_numpy_raster.*in compute"):
            f(ctx)
    else:
        f(ctx)
    assert float(data.sum()) == 4.0


def _coarse_config():
    return pipeline.Config.model_validate(
        {
            "inputs": {"seizures": [{"path": "seizures.csv"}]},
            "area": {"bbox": list(BOX), "resolution": 4},
        }
    )


def test_validating_a_config_instance_keeps_its_default_notes():
    # Before: Config.model_validate(config) (the usual "a dict or a Config" idiom) returned
    # the same instance after setting its notes to those of a config not read from a
    # mapping - none: the caller's config then ran at 55 km without stating the default.
    cfg = _coarse_config()
    said = cfg.resolution_default_notes()
    assert [n.split(" ")[0] for n in said] == ["density.bandwidth_km", "evaluate.kde_bandwidth_km"]
    again = pipeline.Config.model_validate(cfg)
    assert cfg.resolution_default_notes() == said
    assert again.resolution_default_notes() == said


def test_auto_density_states_the_kde_default_that_sets_its_universe():
    # Before: with evaluate.enabled false, density: auto still scored its candidates on the
    # cells within evaluate.kde_bandwidth_km of past seizures (evaluate.support_km unset),
    # widened from 25 to 55 km at resolution 4, but the notes dropped that key.
    raw = {
        "inputs": {"seizures": [{"path": "seizures.csv"}]},
        "area": {"bbox": list(BOX), "resolution": 4},
        "density": {"half_life_days": "auto"},
        "evaluate": {"enabled": False},
    }
    said = pipeline.Config.model_validate(raw).resolution_default_notes()
    assert [n.split(" ")[0] for n in said] == ["density.bandwidth_km", "evaluate.kde_bandwidth_km"]
    raw["evaluate"]["support_km"] = 100.0  # the KDE's bandwidth then sets nothing: not said
    said = pipeline.Config.model_validate(raw).resolution_default_notes()
    assert [n.split(" ")[0] for n in said] == ["density.bandwidth_km"]


@pytest.mark.parametrize("written", ["4.0", b"4"])
def test_a_resolution_the_field_reads_as_4_takes_the_defaults_of_4(written):
    # Before: area.resolution "4.0" (quoted) is 4 to the field, but the defaults' own
    # reading of it (a pattern of digits) missed it: the run took 25 km at resolution 4,
    # not the 55 km of the same config with 4, and stated no default.
    def config(resolution):
        return pipeline.Config.model_validate(
            {
                "inputs": {"seizures": [{"path": "seizures.csv"}]},
                "area": {"bbox": list(BOX), "resolution": resolution},
            }
        )

    given, plain = config(written), config(4)
    assert given.area.resolution == 4
    assert given.density.bandwidth_km == plain.density.bandwidth_km == 55.0
    assert given.resolution_default_notes() == plain.resolution_default_notes()
