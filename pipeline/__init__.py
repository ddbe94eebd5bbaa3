"""route-risk: H3 hexagon risk scores from seizures, vessel tracks and satellite rasters.

The public API, importable from ``pipeline``::

    import pipeline
    cfg = pipeline.load_config("configs/demo.yaml")
    result = pipeline.run_pipeline(cfg)
    result.scores.nlargest(10, "risk")

Names resolve lazily (PEP 562), so ``import pipeline`` and the CLI start fast and a
notebook that only needs the density core does not import folium or rasterio.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._ctype import use_ascii_case

__version__ = "0.1.0"

# Before GEOS, GDAL or PROJ is loaded (here, or in a Dask worker that imports a stage):
# their keywords must case-fold as in C under any locale (pipeline/_ctype.py).
use_ascii_case()

_EXPORTS: dict[str, str] = {
    # config and running
    "Config": "config",
    "load_config": "config",
    "run_pipeline": "run",
    "run_status": "run",
    "run_history": "run",
    "RunResult": "run",
    # demo data
    "generate_demo": "demo",
    # ingest
    "read_seizures": "ingest",
    "read_tracks": "ingest",
    "open_raster": "ingest",
    "read_context": "ingest",
    "raster_coverage": "ingest",
    "describe_raster": "ingest",
    # grid
    "points_to_cells": "grid",
    "region_to_cells": "grid",
    "cells_to_geodataframe": "grid",
    "cells_to_strings": "grid",
    "to_cells": "grid",
    # features
    "kernel_density": "density",
    "kernel_density_exact": "density",
    "select_bandwidth": "density",
    "DensityResult": "density",
    "seizure_quantities": "density",
    "seizure_weights": "density",
    "transit_features": "transit",
    "zonal_stats_to_cells": "zonal",
    # score and render
    "score_cells": "score",
    "FactorWeight": "score",
    # factors
    "Factor": "factors",
    "FactorContext": "factors",
    "FactorValues": "factors",
    "factor": "factors",
    "register_factor": "factors",
    "planned_stages": "runner",
    "rolling_back_test": "evaluate",
    "build_map": "render",
    "map_to_html": "render",
    "write_map": "render",
    "raster_to_overlay": "render",
    "write_preview_png": "render",
    "escape_text": "render",
    "MapData": "render",
    "FactorInfo": "render",
    "RasterOverlay": "render",
    "RenderOptions": "render",
    # errors
    "RouteRiskError": "errors",
    "ConfigError": "errors",
    "InputError": "errors",
    "SourceUnreadable": "errors",
    "DataQualityError": "errors",
    "FactorError": "errors",
}

__all__ = ["__version__", "show_versions", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def show_versions() -> dict[str, str]:
    """Return the versions of route-risk, Python and the core libraries (for bug reports)."""
    from .runner.manifest import versions

    return versions()
