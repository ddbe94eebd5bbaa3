"""Found by a hostile review of the map/statistics changes of the thirteenth output review.

Each test fails without the fix of its commit.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from _stats import nb2_fit_report


def test_model_why_gives_the_published_alpha_when_the_selection_drops_nothing():
    # The why gave the published model's alpha only where the selection dropped a factor.
    # With every factor kept the selection's last step still estimates alpha again on the
    # fit's own means: the why read "overdispersion alpha = 2.25" beside a published
    # (model_report.json, p_any_event's) alpha of 2.238842.
    rep = nb2_fit_report(seed=0, scale=0.3, b1=0.8, b2=0.6, shape=0.5)
    assert rep["model"] == "negative_binomial" and rep["dropped"] == []
    said = re.findall(r"alpha = ([0-9.]+)", rep["why"])
    assert f"{rep['alpha']:.3g}" in said, (rep["why"], rep["alpha"])


def _raster(units) -> xr.DataArray:
    da = xr.DataArray(
        np.arange(16.0).reshape(1, 4, 4),
        dims=("band", "y", "x"),
        coords={"band": [1], "y": [3.5, 2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]},
        attrs={"units": units},
    )
    return da.rio.write_crs("EPSG:4326")


def test_a_raster_units_attribute_that_is_not_text_is_no_unit_not_a_crash():
    # A NetCDF attribute can be a number array: `attrs.get("units") or ...` cannot test one,
    # and a run over a raster with units = [1.0, 2.0] failed in the render stage as an
    # internal error (exit 70), and again in the manifest (raster_factor_units).
    from pipeline.render import raster_to_overlay
    from pipeline.runner.stages import raster_factor_units

    odd = _raster(np.array([1.0, 2.0]))
    assert raster_to_overlay("lights", odd).units == ""
    assert raster_factor_units(SimpleNamespace(rasters=[{"name": "lights", "data": odd}])) == {}
    # text is the unit, as before; bytes are text too
    for given in ("nW cm-2 sr-1", b"nW cm-2 sr-1", np.array(["nW cm-2 sr-1"])):
        said = raster_factor_units(SimpleNamespace(rasters=[{"name": "x", "data": _raster(given)}]))
        assert said == {"x_mean": "nW cm-2 sr-1", "x_max": "nW cm-2 sr-1"}
        assert raster_to_overlay("x", _raster(given)).units == "nW cm-2 sr-1"


def test_emerging_bins_alone_in_their_neighbourhood_are_left_out_of_the_correction():
    # The Gi* hot spots leave their lone cells out of Benjamini-Hochberg (exact p = 1 by
    # construction, no test); the emerging bins, "classed on the same exact p" (README),
    # still counted theirs: a lone cell's first slice, and at time_step_window 0 every slice
    # of it (here 360 of 588 bins), raising every other bin's corrected p and hiding a
    # sporadic hot spot.
    from statsmodels.stats.multitest import multipletests

    from pipeline.grid import grid_disk_cells, points_to_cells
    from pipeline.hotspots import (
        cells_to_weights,
        emerging_hotspots,
        emerging_summary,
        space_time_cube,
    )

    cluster = np.sort(grid_disk_cells(points_to_cells(np.array([10.0]), np.array([10.0]), 5), 2))
    lone = points_to_cells(np.linspace(20, 50, 30), np.full(30, -20.0), 5)
    cells = np.concatenate([cluster, lone])
    rng = np.random.default_rng(2)
    idx = rng.integers(0, cells.size, 400)
    near = rng.random(400) < 0.5
    idx[near] = rng.integers(0, 7, near.sum())
    times = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 365, 400), "D")
    cube = space_time_cube(cells[idx], times, cells, start="2024-01-01", end="2024-12-31")
    w = cells_to_weights(cells, k_rings=1)
    lone_cell = pd.Series(w.neighbours <= 1, index=w.cells)
    for window in (0, 1):
        opts = {"emerging": {"time_step_window": window}}
        raw = emerging_hotspots(cube, {**opts, "fdr": False}, keep_bins=True).bins
        got = emerging_hotspots(cube, opts, keep_bins=True)
        first = (raw["period"] == raw["period"].iloc[0]).to_numpy()
        alone = lone_cell.loc[raw["cell"].to_numpy()].to_numpy() & (first | (window == 0))
        assert alone.sum() == (360 if window == 0 else 30)
        q = got.bins["gi_p_adjusted"].to_numpy()
        want = multipletests(raw["gi_p_adjusted"].to_numpy()[~alone], method="fdr_bh")[1]
        np.testing.assert_allclose(q[~alone], want, rtol=1e-12)
        assert (q[alone] == 1.0).all()
        assert emerging_summary(got, opts)["fdr_bins"] == (~alone).sum()
