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


def quickstart() -> list:
    """Return the cells of ``01-quickstart``."""
    return [
        new_markdown_cell(
            "# route-risk quick start\n\n"
            "This notebook runs the whole pipeline on the seeded demo data through the public\n"
            "Python API - a smaller draw of it (3,000 seizures, 60 vessels over 10 days) that runs\n"
            "in well under a minute; `make demo` runs the full size with the same config. It\n"
            "shows the map inline, lists the ten riskiest H3 cells with the share of\n"
            "every factor in their risk, and reads the back-test against naive counts and a plain\n"
            "KDE. It is executed by `make test` (stored without outputs), with\n"
            "`ROUTE_RISK_NOTEBOOK_QUICK=1`: a smaller draw still (800 seizures, 12 vessels over 4\n"
            "days, a coarser night-lights raster) on resolution-4 cells (about 1,500 instead of\n"
            "9,000), without the GeoJSON and FlatGeobuf exports and the PNG previews (this notebook\n"
            "opens none of them), through the same steps; unset, the sizes below."
        ),
        new_code_cell(
            """import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import pipeline

work = Path(os.environ.get("ROUTE_RISK_NOTEBOOK_DIR") or tempfile.mkdtemp(prefix="route-risk-"))
quick = os.environ.get("ROUTE_RISK_NOTEBOOK_QUICK") == "1"  # set by `make test`
size = dict(n_seizures=3000, n_vessels=60, days=10)
if quick:
    size = dict(n_seizures=800, n_vessels=12, days=4, raster_res_deg=0.2)
files = pipeline.generate_demo(work / "inputs", **size)
files"""
        ),
        new_markdown_cell(
            "The packaged demo config reads its inputs from `ROUTE_RISK_DEMO_DATA`; `load_config`\n"
            "validates it (an unknown key or a bad value raises `pipeline.ConfigError` naming it).\n"
            "The demo publishes the **fitted model** (`score.model: fitted`): a Poisson or\n"
            "negative-binomial regression of next-quarter seizures per cell on lagged counts,\n"
            "kernel-smoothed counts, recency, transit and raster factors, selected by BIC."
        ),
        new_code_cell(
            """os.environ["ROUTE_RISK_DEMO_DATA"] = str(work / "inputs")
overrides = {}
if quick:  # `make test`: coarser cells; no exports that this notebook does not open
    overrides = {
        "area.resolution": 4,
        "render.geojson": False,
        "render.flatgeobuf": False,
        "render.preview_png": False,
    }
config = pipeline.load_config(
    Path(pipeline.__file__).parent / "configs" / "demo.yaml", overrides=overrides
)
config.score.model, config.score.fitted.horizon_days"""
        ),
        new_code_cell(
            """result = pipeline.run_pipeline(config, out_dir=work / "out")
print(result.map_path)
pd.Series(result.manifest["timings_s"], name="seconds")"""
        ),
        new_markdown_cell(
            "## The map\n\n"
            "The HTML is self-contained (no CDN, no tiles): it can be opened offline. Here it is\n"
            "shown in an iframe that links to the file, so the notebook does not carry the page."
        ),
        new_code_cell(
            """from IPython.display import IFrame

# The map is linked, not embedded: a saved notebook stays small.
IFrame(os.path.relpath(result.map_path), width="100%", height=600)"""
        ),
        new_markdown_cell(
            "## Why a cell is risky\n\n"
            "`expected_events` is the forecast for the next horizon, `relative_risk` compares the\n"
            "cell with the average (geometric-mean) cell, and each `<feature>__share` is that\n"
            "feature's multiplicative share: the shares times the area share give the relative risk\n"
            "(to the 7 significant digits of the published `scores.parquet`, which is what\n"
            "`result.scores` holds when this cell is run again and the run is up to date)."
        ),
        new_code_cell(
            """shares = [c for c in result.scores.columns if c.endswith("__share")]
top = result.scores.nlargest(10, "expected_events")
top[["hex_id", "risk", "expected_events", "p_any_event", "relative_risk", *shares]].round(3)"""
        ),
        new_code_cell(
            """assert len(top) == 10
product = top[shares].prod(axis=1)
# run again in this kernel, the run is up to date and result.scores is the published table,
# each value rounded to 7 significant digits: a product of n of them is within n x 5e-7
assert np.allclose(product, top["relative_risk"], rtol=1e-5), (product, top["relative_risk"])"""
        ),
        new_markdown_cell(
            "Each factor's relative risk per standard deviation, with its 95 % interval (the\n"
            "model report, `model_report.json`; dropped features say why):"
        ),
        new_code_cell(
            """report = json.loads((work / "out" / "model_report.json").read_text())
print(report["why"])
pd.DataFrame([f for f in report["factors"] if f["selected"]])[
    ["name", "rr_per_sd", "rr_ci95", "p_value"]
].round(4)"""
        ),
        new_markdown_cell(
            "## Does the map predict?\n\n"
            "The rolling-origin back-test re-fits what the map publishes at each origin and ranks\n"
            "the cells against the next quarter's seizures, beside all prior counts, recent counts,\n"
            "a plain KDE, the density factor alone and a uniform ranking (hit rate = share of\n"
            "later seizures inside the top-ranked area)."
        ),
        new_code_cell(
            """ev = json.loads((work / "out" / "evaluation.json").read_text())
table = {
    method: {f"{a['area_fraction']:.0%}": a["hit_rate"]["mean"] for a in res["at"]}
    for method, res in ev["summary"].items()
}
pd.DataFrame(table).T.round(3)"""
        ),
    ]


def add_a_risk_factor() -> list:
    """Return the cells of ``02-add-a-risk-factor``."""
    return [
        new_markdown_cell(
            "# Add a risk factor\n\n"
            "A factor is one definition: a name, a unit, a one-line description, the inputs it\n"
            "needs and a `compute(ctx)` that returns one value per cell **and where it was\n"
            "observable** (NaN = not covered). Here we add *distance to the nearest port*, run\n"
            "the pipeline with it, and see it in the scores, the manifest and the map's card.\n"
            "(`make test` executes it with `ROUTE_RISK_NOTEBOOK_QUICK=1`: a smaller draw of the\n"
            "demo data, the same steps.)"
        ),
        new_code_cell(
            SETUP
            + """
size = dict(n_seizures=1500, n_vessels=20, days=5)
if os.environ.get("ROUTE_RISK_NOTEBOOK_QUICK") == "1":  # set by `make test`
    size = dict(n_seizures=800, n_vessels=12, days=4, raster_res_deg=0.2)
files = pipeline.generate_demo(work / "inputs", **size)
files"""
        ),
        new_markdown_cell(
            "`@pipeline.factor` turns a function into a registered `Factor`. `ctx` carries the\n"
            "cells, the ingested tables and the ports layer; `pipeline.sphere` has the spherical\n"
            "maths (one Earth radius for the whole package). Distances are great-circle km,\n"
            "through a k-d tree on unit vectors (chord distance, converted to arc length).\n"
            "Its options are a pydantic model (`options=`): the runner validates\n"
            "`factors.options.<name>` from the config and passes them as `ctx.options`."
        ),
        new_code_cell(
            """import pydantic
from scipy.spatial import cKDTree

from pipeline.sphere import EARTH_RADIUS_KM, chord_to_arc_km, lonlat_to_xyz


class PortOptions(pydantic.BaseModel):
    scale_km: float = 50.0  # where the value halves


@pipeline.factor(
    name="port_proximity",
    unit="1 / (1 + km / scale_km)",
    description="Closeness to the nearest port: 1 at a port, 0.5 at scale_km (50 km by default).",
    needs=("ports",),
    options=PortOptions,
    missing_text="no ports layer",
    time_dependent=False,  # ports do not move with as_of: its cache outlives a night
)
def port_proximity(ctx):
    lon, lat = ctx.cell_centres()
    tree = cKDTree(lonlat_to_xyz(ctx.ports["lon"].to_numpy(), ctx.ports["lat"].to_numpy()))
    chord, _ = tree.query(lonlat_to_xyz(lon, lat))
    km = chord_to_arc_km(chord * EARTH_RADIUS_KM)
    return 1.0 / (1.0 + km / ctx.options.scale_km)


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
    "factors": {
        "plugins": ["__main__:port_proximity"],
        "options": {"port_proximity": {"scale_km": 50}},
    },
    "score": {
        "factors": {
            "seizure_density": {"weight": 0.6},
            "vessel_hours": {"weight": 0.2, "transform": "log"},
            "port_proximity": {"weight": 0.2, "label": "near a port"},
        }
    },
    "timeline": {"months": 0},
    "evaluate": {"enabled": False},
    "render": {"geojson": False, "flatgeobuf": False, "preview_png": False},
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
        new_markdown_cell(
            "A misspelt option fails at load too, naming the ones the factor takes (pydantic\n"
            "would otherwise drop it, and the factor would run on its default):"
        ),
        new_code_cell(
            """try:
    pipeline.load_config(
        work / "port.yaml", overrides={"factors.options": {"port_proximity": {"scale_kn": 200}}}
    )
except pipeline.ConfigError as exc:
    print(exc)
else:
    raise AssertionError("a misspelt option must fail at load")"""
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
assert "Closeness to the nearest port" in page and "1 / (1 + km / scale_km)" in page
assert result.scores["port_proximity"].between(0, 1).all()
blind = ~result.scores["vessel_hours__covered"]
print(f"{int(blind.sum())} of {len(blind)} cells have no AIS coverage (vessel-hours missing, not 0)")"""
        ),
    ]


def tune_and_back_test() -> list:
    """Return the cells of ``03-tune-and-back-test``."""
    return [
        new_markdown_cell(
            "# Tune and back-test\n\n"
            "A bandwidth or a half-life is a claim about the data; here it is chosen by evidence.\n"
            "`pipeline.model.select_density_parameters` runs every (bandwidth, half-life) pair\n"
            "through one **rolling-origin back-test** (train on the two years before each origin,\n"
            "test on the next three months) and keeps the pair with the best mean hit rate; then\n"
            "`pipeline.evaluate.rolling_back_test` compares the density with the baselines every\n"
            "evaluation must include: all prior counts, recent counts and a plain KDE.\n"
            "(`make test` executes it with `ROUTE_RISK_NOTEBOOK_QUICK=1`: fewer seizures and a\n"
            "coarser raster in the draw, the same grid of parameters and the same back-test.)"
        ),
        new_code_cell(
            SETUP
            + """
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from pipeline.evaluate import BacktestOptions, rolling_back_test
from pipeline.model import select_density_parameters

size = dict(n_seizures=3000, n_vessels=8, days=2)
if os.environ.get("ROUTE_RISK_NOTEBOOK_QUICK") == "1":  # set by `make test`
    size = dict(n_seizures=1500, n_vessels=8, days=2, raster_res_deg=0.2)
files = pipeline.generate_demo(work / "inputs", **size)
events = pipeline.read_seizures(files.seizures).frame
options = BacktestOptions(origins=4, horizon_days=91, train_days=730, area_fractions=(0.01, 0.05, 0.1))
len(events), events["time"].min(), events["time"].max()"""
        ),
        new_code_cell(
            """choice = select_density_parameters(
    events,
    resolution=5,
    bandwidths_km=(10, 25, 50, 100),
    half_lives_days=(None, 180, 365),
    options=options,
)
print(choice["why"])
table = pd.DataFrame(choice["table"])
table.head(6)"""
        ),
        new_markdown_cell(
            "Mean hit rate (over the shares of area) by bandwidth, one line per half-life:"
        ),
        new_code_cell(
            """fig, ax = plt.subplots(figsize=(6, 3.5))
for hl, part in table.groupby(table["half_life_days"].astype(str)):
    part = part.sort_values("bandwidth_km")
    ax.plot(part["bandwidth_km"], part["criterion"], marker="o", label=f"half-life {hl}")
ax.set_xscale("log")
ax.set_xlabel("bandwidth (km)")
ax.set_ylabel("mean hit rate")
ax.legend()
fig.tight_layout()"""
        ),
        new_markdown_cell(
            "The chosen density against the baselines, with its spread over the origins and the\n"
            "number of origins it wins:"
        ),
        new_code_cell(
            """from pipeline.builtin_factors import density_on_cells
from pipeline.config import DensityConfig

density = DensityConfig(
    bandwidth_km=choice["bandwidth_km"], half_life_days=choice["half_life_days"], kernel="quartic"
)
result = rolling_back_test(
    events,
    None,
    methods={
        "tuned density": lambda train, cells, origin: density_on_cells(
            train, cells, origin, density, None
        )[0]
    },
    options=options,
    resolution=5,
)
rows = []
for method, s in result["summary"].items():
    for a in s["at"]:
        rows.append(
            {
                "method": method,
                "area": a["area_fraction"],
                "hit rate": f"{a['hit_rate']['mean']:.3f} ± {a['hit_rate']['sd']:.3f}",
            }
        )
pd.DataFrame(rows).pivot(index="method", columns="area", values="hit rate")"""
        ),
        new_code_cell(
            """from pipeline.evaluate import plot_evaluation

plot_evaluation(result, work / "evaluation.png")
wins = result["wins"]["tuned density"]
print({baseline: w for baseline, w in wins.items() if baseline in ("all_prior_counts", "kde")})
assert result["summary"]["tuned density"]["at"][1]["hit_rate"]["mean"] > result["summary"]["uniform"]["at"][1]["hit_rate"]["mean"]"""
        ),
    ]


def real_incidents() -> list:
    """Return the cells of ``04-real-incidents``."""
    return [
        new_markdown_cell(
            "# Real incidents: maritime piracy 1993-2020\n\n"
            "`../shared/data/events/pirate_attacks.csv` (IMB-derived, CC BY 4.0) through the whole\n"
            "pipeline: what ingest assumed, the fitted model and its report, the rolling back-test\n"
            "against counting and a plain KDE, and the Gi* hot spots. `make test` skips this\n"
            "notebook when `../shared` is absent, and runs it with `ROUTE_RISK_NOTEBOOK_QUICK=1`:\n"
            "resolution-4 cells instead of 5 (about 1,900 instead of 3,900), four back-test origins\n"
            "instead of twelve and quarterly instead of monthly time slices for the emerging hot\n"
            "spots (112 instead of 336), the rest the same (the bandwidths are the resolution's\n"
            "defaults). At full size its back-test is the one README.md quotes:\n"
            "`python bench/bench_backtest.py --quick` runs these cells and records it."
        ),
        new_code_cell(
            SETUP
            + """
import json

import yaml

shared = Path(os.environ.get("ROUTE_RISK_SHARED_DATA", Path.cwd().parents[0] / "shared" / "data"))
for candidate in (shared, Path(pipeline.__file__).resolve().parents[2] / "shared" / "data"):
    if (candidate / "events" / "pirate_attacks.csv").is_file():
        shared = candidate
        break
source = shared / "events" / "pirate_attacks.csv"
assert source.is_file(), f"{source} is absent: this notebook needs ../shared/data"
ingested = pipeline.read_seizures(source)
print(ingested.n_read, "read,", len(ingested.frame), "accepted,", len(ingested.rejects), "rejected")
{k: ingested.assumptions[k] for k in ("columns", "dates", "time_zone") if k in ingested.assumptions}"""
        ),
        new_code_cell(
            """quick = os.environ.get("ROUTE_RISK_NOTEBOOK_QUICK") == "1"  # set by `make test`
resolution, origins = (4, 4) if quick else (5, 12)
period = "quarter" if quick else "month"  # the emerging hot spots' time slices
raw = {
    "run": {"name": "Maritime piracy (IMB-derived)", "out_dir": str(work / "out")},
    "area": {"resolution": resolution},
    "inputs": {"seizures": [{"path": str(source), "columns": {"commodity": "attack_type"}}]},
    # bandwidth_km unset: the resolution's default (25 km at 5, 55 km at 4, stated in the notes)
    "density": {"half_life_days": 365},
    "score": {"model": "fitted", "factors": {"seizure_density": {"weight": 1}}},
    "evaluate": {"origins": origins, "horizon_days": 91, "train_days": 730},
    "hotspots": {"emerging": {"period": period}},
    "timeline": {"months": 0},
    "render": {"geojson": False, "flatgeobuf": False, "preview_png": False},
}
(work / "piracy.yaml").write_text(yaml.safe_dump(raw))
result = pipeline.run_pipeline(pipeline.load_config(work / "piracy.yaml"))
pd.Series(result.manifest["timings_s"], name="seconds")"""
        ),
        new_markdown_cell(
            "How well the published (fitted) score predicted each next quarter, against the\n"
            "baselines (mean ± sd over the origins; wins/ties/losses per origin):"
        ),
        new_code_cell(
            """ev = json.loads((result.out_dir / "evaluation.json").read_text())
rows = []
for method, s in ev["summary"].items():
    row = {"method": method}
    for a in s["at"]:
        if a["area_fraction"] in (0.01, 0.05, 0.1):
            row[f"hit@{a['area_fraction']:.0%}"] = f"{a['hit_rate']['mean']:.3f} ± {a['hit_rate']['sd']:.3f}"
    rows.append(row)
print(len(ev["origins"]), "origins")
pd.DataFrame(rows).set_index("method")"""
        ),
        new_code_cell(
            """{b: ev["wins"]["published"][b] for b in ("all_prior_counts", "kde") if b in ev["wins"]["published"]}"""
        ),
        new_markdown_cell(
            "The model report: which lagged factors earned their place, and their relative risk values."
        ),
        new_code_cell(
            """report = json.loads((result.out_dir / "model_report.json").read_text())
print(report.get("model"), "-", report.get("why"))
pd.DataFrame(report.get("factors", [])).head(10)"""
        ),
        new_markdown_cell("Gi* hot spots (Benjamini-Hochberg corrected) and emerging trends:"),
        new_code_cell(
            """hs = result.manifest["hotspots"]
print(hs["gi_star"]["classes"])
print({k: v for k, v in hs["emerging"]["categories"].items() if v})
top = result.scores.nlargest(8, "expected_events")
top[["hex_id", "expected_events", "p_any_event", "relative_risk", "gi_class", "emerging_category"]].round(3)"""
        ),
    ]


NOTEBOOK_CELLS = {
    "01-quickstart.ipynb": quickstart,
    "02-add-a-risk-factor.ipynb": add_a_risk_factor,
    "03-tune-and-back-test.ipynb": tune_and_back_test,
    "04-real-incidents.ipynb": real_incidents,
}


def notebook_text(cells: list) -> str:
    """Return ``cells`` as the text of a notebook (no outputs, Python 3 kernel)."""
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives the same file
        cell["id"] = f"cell-{i:02d}"
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nbformat.writes(nb) + "\n"


if __name__ == "__main__":
    for name, cells in NOTEBOOK_CELLS.items():
        (NOTEBOOKS / name).write_text(notebook_text(cells()), encoding="utf-8")
