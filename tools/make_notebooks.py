"""Write the researcher notebooks (stored without outputs; `make test` executes them).

Run ``python tools/make_notebooks.py`` after editing a notebook's cells here; the notebooks in
``notebooks/`` are the output, committed, and never hand-edited with outputs in them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

SETUP = """import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import pipeline

work = Path(os.environ.get("ROUTE_RISK_NOTEBOOK_DIR") or tempfile.mkdtemp(prefix="route-risk-"))"""


def add_a_risk_factor() -> list:
    """Return the cells of ``02-add-a-risk-factor``."""
    return [
        new_markdown_cell(
            "# Add a risk factor\n\n"
            "A factor is one definition: a name, a unit, a one-line description, the inputs it\n"
            "needs and a `compute(ctx)` that returns one value per cell **and where it was\n"
            "observable** (NaN = not covered). Here we add *distance to the nearest port*, run\n"
            "the pipeline with it, and see it in the scores, the manifest and the map's card."
        ),
        new_code_cell(
            SETUP
            + '\nfiles = pipeline.generate_demo(work / "inputs", n_seizures=1500, n_vessels=20, days=5)\nfiles'
        ),
        new_markdown_cell(
            "`@pipeline.factor` turns a function into a registered `Factor`. `ctx` carries the\n"
            "cells, the ingested tables and the ports layer; `pipeline.sphere` has the spherical\n"
            "maths (one Earth radius for the whole package). Distances are great-circle km,\n"
            "through a k-d tree on unit vectors (chord distance, converted to arc length)."
        ),
        new_code_cell(
            """from scipy.spatial import cKDTree

from pipeline.sphere import EARTH_RADIUS_KM, chord_to_arc_km, lonlat_to_xyz


@pipeline.factor(
    name="port_proximity",
    unit="1 / (1 + km / 50)",
    description="Closeness to the nearest port: 1 at a port, 0.5 at 50 km, falling with distance.",
    needs=("ports",),
    missing_text="no ports layer",
)
def port_proximity(ctx):
    lon, lat = ctx.cell_centres()
    tree = cKDTree(lonlat_to_xyz(ctx.ports["lon"].to_numpy(), ctx.ports["lat"].to_numpy()))
    chord, _ = tree.query(lonlat_to_xyz(lon, lat))
    km = chord_to_arc_km(chord * EARTH_RADIUS_KM)
    return 1.0 / (1.0 + km / 50.0)


port_proximity"""
        ),
        new_markdown_cell(
            "The config names the plug-in by reference (`__main__:port_proximity` from a\n"
            "notebook, `mypackage.factors:port_proximity` from a package) and gives it a weight.\n"
            "An unknown factor name fails at load, listing the available ones."
        ),
        new_code_cell(
            """import yaml

inputs = work / "inputs"
raw = {
    "run": {"as_of": "2026-06-30", "out_dir": str(work / "out")},
    "area": {"bbox": [-85, -10, 10, 45], "resolution": 4},
    "inputs": {
        "seizures": [{"path": str(inputs / "seizures.csv")}],
        "tracks": [{"path": str(inputs / "ais.csv")}],
        "ports": str(inputs / "ports.csv"),
    },
    "factors": {"plugins": ["__main__:port_proximity"]},
    "score": {
        "factors": {
            "seizure_density": {"weight": 0.6},
            "vessel_hours": {"weight": 0.2, "transform": "log"},
            "port_proximity": {"weight": 0.2, "label": "near a port"},
        }
    },
    "timeline": {"months": 0},
    "evaluate": {"enabled": False},
    "render": {"geojson": False, "preview_png": False},
}
(work / "port.yaml").write_text(yaml.safe_dump(raw))
config = pipeline.load_config(work / "port.yaml")
sorted(config.available_factors())"""
        ),
        new_code_cell(
            """try:
    pipeline.load_config(work / "port.yaml", overrides={"score.factors": {"port_proximty": {"weight": 1}}})
except pipeline.ConfigError as exc:
    print(exc)"""
        ),
        new_code_cell(
            """result = pipeline.run_pipeline(config)
cols = ["hex_id", "risk", "port_proximity", "port_proximity__contrib", "vessel_hours", "vessel_hours__covered"]
result.scores.nlargest(8, "risk")[cols].round(3)"""
        ),
        new_markdown_cell(
            "The manifest records the factor's unit, description and coverage; the map's explain\n"
            "card shows the same text (the card shows *no AIS coverage* where tracks could not\n"
            "observe a cell, never *0 vessel-hours*)."
        ),
        new_code_cell("""result.manifest["factors"]["port_proximity"]"""),
        new_code_cell(
            """page = result.map_path.read_text(encoding="utf-8")
assert "Closeness to the nearest port" in page and "1 / (1 + km / 50)" in page
assert result.scores["port_proximity"].between(0, 1).all()
blind = ~result.scores["vessel_hours__covered"]
print(f"{int(blind.sum())} of {len(blind)} cells have no AIS coverage (vessel-hours missing, not 0)")"""
        ),
    ]


def write(name: str, cells: list) -> None:
    """Write ``cells`` as notebook ``name`` (no outputs, Python 3 kernel)."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, NOTEBOOKS / name)


if __name__ == "__main__":
    write("02-add-a-risk-factor.ipynb", add_a_risk_factor())
