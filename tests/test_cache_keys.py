"""Every option and input changed between nights: each night publishes a cold run's bytes.

A cache key that misses something its stage reads is the quietest wrong answer: the map looks
fine and is last night's.  Here a tiny theatre is run night after night into one output
folder, each night with one change - every option of :class:`pipeline.config.Config` that
can change a table, and the inputs changed in the ways a feed changes them - and each night's
published tables, rejects and manifest sections are compared byte for byte with a ``cold``
run of the same inputs and config into a fresh folder.  Each night also undoes the change of
the night before, so an option left out of a key shows either way.

:func:`test_every_config_field_is_swept_or_said_not_to_change_a_table` keeps the list whole:
a new option must join a sweep or be said not to change a table (with the reason).
Findings: tests/test_cache_keys_found.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _nights import NIGHT_FACTORS, differences, inputs_key, published

pytestmark = IGNORE_PENDING_DEPRECATION

# ----------------------------------------------------------------------------- the theatre

_PLUGIN = """
import numpy as np
from pydantic import BaseModel

import pipeline


class Options(BaseModel):
    scale: float = 1.0


@pipeline.factor(
    name="sweep_near", unit="n", description="Seizures counted, scaled.", needs=("seizures",),
    options=Options,
)
def sweep_near(ctx):
    # counts the seizures: recomputed at each back-test origin from those before it
    return np.abs(ctx.cell_centres()[1]) * ctx.options.scale + 0.01 * len(ctx.seizures)
"""


def _feature_collection(geometry: dict, **properties: Any) -> str:
    feature = {"type": "Feature", "properties": properties, "geometry": geometry}
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


def _box(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture(scope="module")
def theatre(tmp_path_factory, night_theatre) -> Path:
    """A tiny generated theatre and the files the sweep reads in other shapes.

    300 seizures (with a second date column, ``entered``), 8 vessels over 3 days, the
    night-lights raster uncompressed (a replacement keeps its size), the SAR NetCDF (time
    steps), a mask, ports, lanes, land, an area polygon, the seizures in a zip of two
    members, a GeoPackage of two layers, a workbook of two sheets and with a few polygons,
    the tracks in a zip of two members, and a plug-in factor module.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import rasterio
    import shapely

    gen = night_theatre  # generate_demo(n_seizures=300, n_vessels=8, days=3, 0.5-degree pixels)
    d = tmp_path_factory.mktemp("theatre")
    s = pd.read_csv(gen / "seizures.csv", dtype=str, keep_default_na=False)
    s["entered"] = (pd.to_datetime(s["date"]) + pd.Timedelta(days=20)).dt.strftime("%Y-%m-%d")
    s.to_csv(d / "seizures.csv", index=False)
    s.to_csv(d / "seizures.tsv", sep=";", index=False)
    fewer = s.iloc[::2]
    import zipfile

    with zipfile.ZipFile(d / "seizures.zip", "w") as z:
        z.writestr("all.csv", s.to_csv(index=False))
        z.writestr("half.csv", fewer.to_csv(index=False))
    with pd.ExcelWriter(d / "seizures.xlsx") as xl:
        s.to_excel(xl, sheet_name="all", index=False)
        fewer.to_excel(xl, sheet_name="half", index=False)
    points = gpd.GeoDataFrame(
        s.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(s["lon"].astype(float), s["lat"].astype(float)),
        crs="EPSG:4326",
    )
    points.to_file(d / "seizures.gpkg", layer="all")
    points.iloc[::2].to_file(d / "seizures.gpkg", layer="half")
    shapes = points.copy()  # ten seizures reported as small areas
    shapes.loc[shapes.index[:10], "geometry"] = shapely.buffer(shapes.geometry[:10].array, 0.1)
    shapes.to_file(d / "seizures.geojson")
    ais = pd.read_csv(gen / "ais.csv", dtype=str, keep_default_na=False)
    ais.to_csv(d / "ais.csv", index=False)
    with zipfile.ZipFile(d / "ais.zip", "w") as z:
        z.writestr("all.csv", ais.to_csv(index=False))
        z.writestr("first.csv", ais[ais["timestamp"] < "2026-06-30"].to_csv(index=False))
    shutil.copy2(gen / "ports.csv", d / "ports.csv")
    ports = pd.read_csv(gen / "ports.csv")
    ports.assign(lat2=ports["lat"] + 1.0, lon2=ports["lon"] - 1.0).to_csv(
        d / "ports2.csv", index=False
    )
    shutil.copy2(gen / "sar_detections.nc", d / "sar.nc")
    with rasterio.open(gen / "nightlights.tif") as src:
        profile, values = src.profile, src.read(1)
    profile.update(compress=None)
    with rasterio.open(d / "nightlights.tif", "w", **profile) as dst:
        dst.write(values, 1)
    with rasterio.open(d / "nightlights-b.tif", "w", **profile) as dst:
        dst.write(values[::-1].copy(), 1)  # the same grid and size, other values
    mask = (np.arange(values.size).reshape(values.shape) % 4).astype(profile["dtype"])
    with rasterio.open(d / "mask.tif", "w", **profile) as dst:
        dst.write(mask, 1)
    (d / "land.geojson").write_text(_feature_collection(_box(-10, 36, 0, 44), name="land"))
    lane = {"type": "LineString", "coordinates": [[-75, 12], [-40, 20], [-10, 36]]}
    (d / "lanes.geojson").write_text(_feature_collection(lane, name="lane"))
    (d / "aoi.geojson").write_text(_feature_collection(_box(-85, -10, 10, 45)))
    (d / "sweep_plugin.py").write_text(_PLUGIN)
    return d


# ----------------------------------------------------------------------------- the nights


class _Sweep:
    """One output folder, night after night, each night compared with a cold run."""

    def __init__(self, theatre: Path, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        shutil.copytree(theatre, self.data)
        self.out = root / "out"
        self.seen: list[tuple[str, float, float]] = []
        #: What a cold run of each (inputs' bytes, config, environment) published, made once:
        #: a group's last night (its first night's config again) compares with the first's.
        self.colds: dict[str, dict] = {}

    def cold_key(self, raw: dict[str, Any]) -> str:
        """A key of every file in the data folder (its bytes), ``raw`` and the environment."""
        files = sorted(p for p in self.data.rglob("*") if p.is_file())
        return inputs_key(files, [raw, sorted(os.environ.items())])

    def base(self) -> dict[str, Any]:
        """The light config every change starts from (no timeline, back-test, hot spots)."""
        d = self.data
        return {
            "run": {"as_of": "2026-06-30", "out_dir": str(self.out)},
            "area": {"bbox": [-85, -10, 10, 45], "resolution": 3},
            "inputs": {
                "seizures": [{"path": str(d / "seizures.csv"), "columns": {"time": "date"}}],
                "tracks": [{"path": str(d / "ais.csv")}],
                "ports": str(d / "ports.csv"),
                "context": [
                    {"path": str(d / "lanes.geojson"), "kind": "lanes"},
                    {"path": str(d / "land.geojson"), "kind": "land"},
                ],
            },
            "ingest": {"chunk_rows": 1000},  # the track file is spilled, its spill kept
            "density": {"bandwidth_km": 150.0},
            "score": {"factors": {**NIGHT_FACTORS, "distance_to_port_km": {"weight": 1}}},
            "timeline": {"months": 0},
            "evaluate": {"enabled": False, "origins": 2},
            "hotspots": {
                "enabled": False,
                "permutations": 99,
                "uncertainty": {"n_resamples": 19},
            },
            "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
        }

    def night(self, label: str, raw: dict[str, Any]) -> None:
        """Run ``raw`` into the folder, then cold into a fresh one; the two publish alike."""
        import yaml

        import pipeline

        path = self.root / "night.yaml"
        path.write_text(yaml.safe_dump(raw))
        cfg = pipeline.load_config(path)
        t0 = time.perf_counter()
        night = pipeline.run_pipeline(cfg)
        t1 = time.perf_counter()
        key = self.cold_key(raw)
        if key not in self.colds:
            folder = self.root / "cold"
            self.colds[key] = published(pipeline.run_pipeline(cfg, out_dir=folder, cold=True))
            shutil.rmtree(folder)
        t2 = time.perf_counter()
        bad = differences(published(night), self.colds[key])
        self.seen.append((label, t1 - t0, t2 - t1))
        assert not bad, f"{label}: the night differs from a cold run: {bad}"


#: A value that removes its key (``None`` sets the key to null).
DROP = "<drop>"


def _merge(base: dict, change: dict) -> dict:
    """Return ``base`` updated by ``change`` section by section (a :data:`DROP` key removed)."""
    out = copy.deepcopy(base)
    for k, v in change.items():
        if v == DROP:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


#: A change: the config fields it covers and how it makes the night's config (and files).
Change = tuple[tuple[str, ...], Callable[[_Sweep, dict], dict]]


def _set(*fields: str, **sections: Any) -> Change:
    """A change of options: ``sections`` merged into the group's config."""
    return fields, lambda sweep, raw: _merge(raw, sections)


def _source(kind: str, *fields: str, **options: Any) -> Change:
    """A change of the first ``kind`` input's reading options (paths: the theatre's files)."""

    def make(sweep: _Sweep, raw: dict) -> dict:
        raw = copy.deepcopy(raw)
        raw["inputs"][kind] = [{**raw["inputs"][kind][0], **options}, *raw["inputs"][kind][1:]]
        return raw

    return fields, make


def _factors(**weights: Any) -> dict:
    return {"score": {"factors": weights}}


def _plugin_changes(*added: str) -> list[Change]:
    """The plug-in factor added (a change covering ``added``), then its option changed."""
    weight = _factors(sweep_near={"weight": 1})
    plugins = ["sweep_plugin:sweep_near"]
    return [
        _set(*added, factors={"plugins": plugins}, **weight),
        _set(
            "factors.options",
            factors={"plugins": plugins, "options": {"sweep_near": {"scale": 2.0}}},
            **weight,
        ),
    ]


_TRANSIT = {
    "max_segment_hours": 3.0,
    "gap_hours": 4.0,
    "gap_min_speed_kn": 3.0,
    "loiter_speed_kn": 4.0,
    "loiter_hours": 2.0,
    "encounter_distance_m": 3000.0,
    "encounter_hours": 1.0,
    "encounter_speed_kn": 6.0,
    "port_radius_km": 40.0,
    "smooth_events_km": 150.0,
    "coverage_km": 100.0,
}
_FITTED = {
    "stride_days": 45.0,
    "count_windows_days": ["all", 180.0],
    "bandwidths_km": [150.0, 300.0],
    "kde_windows_days": ["all"],
    "smoothing_floor": 0.1,
    "kernel": "gaussian",
    "recency": False,
    "recency_radius_km": 200.0,
    "recency_cap_days": 100.0,
    "min_history_days": 400.0,
    "factor_transforms": {"vessel_hours": "log"},
    "fit_region": "active",
    "family": "poisson",
    "selection": "none",
    "max_log_rr_range": 5.0,
    "min_label_events": 3,
    "min_training_origins": 3,
    "fallback_weight": 0.8,
    "max_rows": 5000,
    "seed": 4,
}
_EVALUATE = {
    "origins": 3,
    "spacing_days": 30.0,
    "end": "2026-03-31",
    "area_fractions": [0.05, 0.1],
    "baselines": ["uniform", "kde"],
    "kde_bandwidth_km": 200.0,
    "kde_kernel": "gaussian",
    "universe_from": "train",
    "support_km": 300.0,
    "min_train_events": 20,
    "min_test_events": 3,
    "require_full_history": False,
    "train_days": 900.0,
}
_HOTSPOTS = {
    "distance_band_km": 400.0,
    "k_rings": 2,
    "weights": "kernel",
    "permutations": 49,
    "p_value": "permutation",
    "fdr": False,
    "alphas": [0.2, 0.1, 0.05],
    "seed": 3,
    "values": "risk",
}
_EMERGING = {"period": "quarter", "time_step_window": 2, "alpha": 0.05, "trend_alpha": 0.2}

#: The SAR detections (monthly time steps) under the night-lights' name.
_SAR = {"path": "sar.nc", "name": "nightlights"}

#: Each group: what it adds to the base config, and its changes (one a night, in order).
GROUPS: dict[str, tuple[dict, list[Change]]] = {
    "density and area": (
        {},
        [
            _set("density.kernel", density={"kernel": "gaussian"}),
            _set("density.bandwidth_km", density={"bandwidth_km": 200.0}),
            _set("density.half_life_days", density={"half_life_days": 90.0}),
            _set("density.half_life_days", density={"half_life_days": None}),
            _set("density.use_quantity", density={"use_quantity": True}),
            _set(
                "density.commodity_weights",
                density={"use_quantity": True, "commodity_weights": {"cocaine": 3.0}},
            ),
            _set("density.edge_correction", density={"edge_correction": True}),
            _set(
                "density.bandwidth_km",
                "density.auto_bandwidths_km",
                density={"bandwidth_km": "auto", "auto_bandwidths_km": [100.0, 150.0]},
            ),
            _set(
                "density.auto_bandwidths_km",
                density={"bandwidth_km": "auto", "auto_bandwidths_km": [100.0, 200.0]},
            ),
            _set(
                "density.auto_half_lives_days",
                density={"half_life_days": "auto", "auto_half_lives_days": [None, 180.0]},
            ),
            _set(
                "density.auto_half_lives_days",
                density={"half_life_days": "auto", "auto_half_lives_days": [None, 365.0]},
            ),
            _set(
                "density.bandwidth_range_km",
                density={"bandwidth_km": "cv", "bandwidth_range_km": [300.0, 2000.0]},
            ),
            _set(
                "density.bandwidth_range_km",
                density={"bandwidth_km": "cv", "bandwidth_range_km": [400.0, 1500.0]},
            ),
            _set("area.resolution", area={"resolution": 2}, density={"bandwidth_km": 300.0}),
            _set("area.bbox", area={"bbox": [-80, -5, 5, 40]}),
            _set("area.exclude_land", area={"exclude_land": True}),
            _set("area.exclude_land", area={"exclude_land": False}),
            _set("area.cells", area={"cells": "all"}),
            _set("area.max_cells", area={"max_cells": 50_000}),
            _set("area.bbox", area={"bbox": DROP}),
            _set("area.margin_km", area={"bbox": DROP, "margin_km": 300.0}),
            _set(
                "area.resolution",
                area={"bbox": DROP, "resolution": 2},
                density={"bandwidth_km": 300.0},
            ),
        ],
    ),
    "transit and ingest": (
        {},
        [
            *[_set(f"transit.{k}", transit={k: v}) for k, v in _TRANSIT.items()],
            _set("ingest.max_speed_kn", ingest={"max_speed_kn": 15.0}),
            _set("ingest.chunk_rows", ingest={"chunk_rows": None}),  # read whole
            _set("ingest.chunk_rows", ingest={"chunk_rows": 500}),
            _set("ingest.max_reject_rate", ingest={"max_reject_rate": 0.9}),
            _set("ingest.max_uncompressed_mb", ingest={"max_uncompressed_mb": 100.0}),
            _source("tracks", "inputs.tracks.speed_unit", speed_unit="m/s"),
            _source("tracks", "inputs.tracks.schema_", schema_="generic"),
            _source("tracks", "inputs.tracks.dayfirst", dayfirst=True),
            _source("tracks", "inputs.tracks.crs", crs="EPSG:4326"),
            _source("tracks", "inputs.tracks.format", format="ais_csv"),
            _source("tracks", "inputs.tracks.delimiter", delimiter=","),
            _source("tracks", "inputs.tracks.encoding", encoding="latin-1"),
            _source("tracks", "inputs.tracks.columns", columns={"time": "timestamp"}),
            _source("tracks", "inputs.tracks.member", path="ais.zip", member="first.csv"),
            _source("tracks", "inputs.tracks.member", path="ais.zip", member="all.csv"),
            _set(
                "inputs.tracks.vessel_id",
                inputs={"tracks": [{"path": "ais.csv", "vessel_id": "mmsi"}]},
                ingest={"max_reject_rate": 0.95},
            ),
        ],
    ),
    "inputs": (
        {
            "inputs": {"rasters": [{"path": "nightlights.tif", "name": "nightlights"}]},
            **_factors(nightlights_mean={"weight": 1}, nightlights_max={"weight": 1}),
        },
        [
            _set("zonal.method", zonal={"method": "centre"}),
            _set("zonal.stats", zonal={"stats": ["mean", "max"]}),
            _set("ingest.memory_budget_mb", ingest={"memory_budget_mb": 64.0}),
            _set("ingest.max_raster_pixels", ingest={"max_raster_pixels": 100_000}),
            _source("rasters", "inputs.rasters.nodata", nodata=0.0),
            _source("rasters", "inputs.rasters.band", band=1),
            _source("rasters", "inputs.rasters.crs", crs="EPSG:4326"),
            _source("rasters", "inputs.rasters.mask.path", mask={"path": "mask.tif"}),
            _source("rasters", "inputs.rasters.mask.min", mask={"path": "mask.tif", "min": 2}),
            _source("rasters", "inputs.rasters.mask.max", mask={"path": "mask.tif", "max": 2}),
            _source("rasters", "inputs.rasters.mask.band", mask={"path": "mask.tif", "band": 1}),
            _set(
                "inputs.rasters.name",
                inputs={"rasters": [{"path": "nightlights.tif", "name": "lights"}]},
                score={"factors": {"nightlights_mean": DROP, "nightlights_max": DROP}},
            ),
            _set("inputs.rasters.path", inputs={"rasters": [_SAR]}),
            _set("inputs.rasters.time", inputs={"rasters": [{**_SAR, "time": "2026-03-01"}]}),
            _set(
                "inputs.rasters.time.start",
                "inputs.rasters.time.end",
                "inputs.rasters.time.aggregate",
                inputs={
                    "rasters": [
                        {
                            **_SAR,
                            "time": {
                                "start": "2026-01-01",
                                "end": "2026-05-31",
                                "aggregate": "max",
                            },
                        }
                    ]
                },
            ),
            _set(
                "inputs.rasters.select.index",
                inputs={"rasters": [{**_SAR, "select": {"time": {"index": 3}}}]},
            ),
            _set(
                "inputs.rasters.select.value",
                inputs={"rasters": [{**_SAR, "select": {"time": {"value": "2026-02-01"}}}]},
            ),
            _set(
                "inputs.rasters.variable",
                inputs={"rasters": [{**_SAR, "variable": "vessel_detections"}]},
            ),
            _source("seizures", "inputs.seizures.columns", columns={"time": "entered"}),
            _source("seizures", "inputs.seizures.dayfirst", dayfirst=True),
            _source("seizures", "inputs.seizures.synonyms", synonyms={"people": "cocaine"}),
            _source("seizures", "inputs.seizures.crs", crs="EPSG:4326"),
            _source("seizures", "inputs.seizures.encoding", encoding="latin-1"),
            _source("seizures", "inputs.seizures.format", format="csv"),
            _source("seizures", "inputs.seizures.delimiter", path="seizures.tsv", delimiter=";"),
            _source("seizures", "inputs.seizures.member", path="seizures.zip", member="half.csv"),
            _source("seizures", "inputs.seizures.member", path="seizures.zip", member="all.csv"),
            _source("seizures", "inputs.seizures.sheet", path="seizures.xlsx", sheet="half"),
            _source("seizures", "inputs.seizures.sheet", path="seizures.xlsx", sheet="all"),
            _source("seizures", "inputs.seizures.layer", path="seizures.gpkg", layer="half"),
            _source("seizures", "inputs.seizures.layer", path="seizures.gpkg", layer="all"),
            _source("seizures", "inputs.seizures.polygons_to_points", path="seizures.geojson"),
            _source(
                "seizures",
                "inputs.seizures.polygons_to_points",
                path="seizures.geojson",
                polygons_to_points=True,
            ),
            _set(
                "inputs.ports",
                "inputs.context.columns",
                inputs={
                    "ports": DROP,
                    "context": [
                        {"path": "ports2.csv", "kind": "ports", "columns": {"lat": "lat2"}},
                        {"path": "land.geojson", "kind": "land"},
                    ],
                },
            ),
            _set(
                "inputs.context.kind",
                "inputs.context.crs",
                inputs={
                    "context": [
                        {"path": "ports2.csv", "kind": "ports", "crs": "EPSG:4326"},
                        {"path": "land.geojson", "kind": "land"},
                    ],
                },
            ),
        ],
    ),
    "score and timeline": (
        {"timeline": {"months": 2}},
        [
            _set("score.factors.weight", **_factors(vessel_hours={"weight": 3})),
            _set(
                "score.factors.transform",
                **_factors(vessel_hours={"weight": 1, "transform": "log"}),
            ),
            _set("score.factors.label", **_factors(vessel_hours={"weight": 1, "label": "Hours"})),
            _set(
                "score.factors",
                **_factors(
                    distinct_vessels={"weight": 1},
                    distance_to_lane_km={"weight": 1},
                    distance_to_coast_km={"weight": 1},
                ),
            ),
            _set("score.factors", **_factors(gap_events=DROP, loiter_events=DROP)),
            _set("score.normalisation", score={"normalisation": "rank"}),
            _set("score.cap_quantile", score={"cap_quantile": 0.9}),
            _set("score.class_breaks", score={"class_breaks": [0, 10, 40, 60, 90, 100]}),
            _set("score.class_labels", score={"class_labels": ["a", "b", "c", "d", "e"]}),
            _set("timeline.months", timeline={"months": 3}),
            _set("timeline.scale", timeline={"scale": "fixed"}),
            _set("timeline.scale", timeline={"scale": "quantile"}),
            _set("render.classes", render={"classes": "natural"}),
            _set("density.kernel", density={"kernel": "gaussian"}),  # the months' density
            _set("transit.gap_hours", transit={"gap_hours": 3.0}),  # the months' transit
            _set("run.as_of", run={"as_of": "2026-06-29"}),
            *_plugin_changes("factors.plugins", "factors.options"),
        ],
    ),
    "fitted model": (
        {
            "score": {"model": "fitted", "fitted": {"min_events": 5}},
            "evaluate": {"enabled": True},
            "hotspots": {"enabled": True},
        },
        [
            *[_set(f"score.fitted.{k}", score={"fitted": {k: v}}) for k, v in _FITTED.items()],
            _set(
                "score.fitted.horizon_days",
                "evaluate.horizon_days",
                score={"fitted": {"horizon_days": 60.0}},
                evaluate={"horizon_days": 60.0},
            ),
            _set(
                "score.fitted.train_days",
                score={"fitted": {"train_days": 900.0}},
                evaluate={"train_days": 900.0},
            ),
            _set("score.fitted.min_events", score={"fitted": {"min_events": 6}}),
            _set("score.model", score={"model": "weighted"}),
            _set("score.factors.weight", **_factors(vessel_hours={"weight": 4})),
        ],
    ),
    "back-test": (
        {"evaluate": {"enabled": True}},
        [
            *[_set(f"evaluate.{k}", evaluate={k: v}) for k, v in _EVALUATE.items()],
            _set("evaluate.horizon_days", evaluate={"horizon_days": 60.0}),
            _set("evaluate.enabled", evaluate={"enabled": False}),
            *_plugin_changes("factors.plugins"),
        ],
    ),
    "hot spots": (
        {"hotspots": {"enabled": True}},
        [
            *[_set(f"hotspots.{k}", hotspots={k: v}) for k, v in _HOTSPOTS.items()],
            *[
                _set(f"hotspots.emerging.{k}", hotspots={"emerging": {k: v}})
                for k, v in _EMERGING.items()
            ],
            _set("hotspots.emerging.min_periods", hotspots={"emerging": {"min_periods": 3}}),
            _set("hotspots.uncertainty.n_resamples", hotspots={"uncertainty": {"n_resamples": 29}}),
            _set(
                "hotspots.uncertainty.interval", hotspots={"uncertainty": {"interval": [0.1, 0.9]}}
            ),
            _set(
                "hotspots.uncertainty.max_bytes", hotspots={"uncertainty": {"max_bytes": 1 << 20}}
            ),
            _set("hotspots.uncertainty.enabled", hotspots={"uncertainty": {"enabled": False}}),
            _set("render.classes", render={"classes": "natural"}),  # the class stability
            _set("render.classes", render={"classes": "fixed"}),
            _set("score.class_breaks", score={"class_breaks": [0, 10, 40, 60, 90, 100]}),
            _set("score.factors.weight", **_factors(vessel_hours={"weight": 4})),
            _set("hotspots.enabled", hotspots={"enabled": False}),
        ],
    ),
}

#: Config fields that change no published table, and why (the sweep does not run them).
NOT_A_TABLE: dict[str, str] = {
    "source": "the config file's own path",
    "run.name": "the map's title and the manifest's run name",
    "run.out_dir": "where the run is written",
    "run.keep_runs": "how many run folders are kept",
    "run.max_input_age_days": "a freshness policy: a warning, or a refusal (exit 2)",
    "run.freshness": "a freshness policy: a warning, or a refusal (exit 2)",
    "run.engine": "the executor; both engines give the same tables (tests/test_dask.py), night "
    "after night with the engine switched, the memos of parts read across engines and Dask "
    "runs killed mid-stage (tests/test_dask_nights.py); the spill's key holds the engine and "
    "its chunk size (_spilled)",
    "dask.scheduler": "the executor's cluster (see run.engine)",
    "dask.workers": "the executor's cluster (see run.engine)",
    "dask.threads_per_worker": "the executor's cluster (see run.engine)",
    "dask.memory_limit": "the executor's cluster (see run.engine)",
    "dask.partition_rows": "the Dask engine's chunk size, in the spill's key (_chunk_rows); "
    "changed between nights in tests/test_dask_nights.py.  As ingest.chunk_rows does, it sets "
    "how many records the manifest's evidence for a track file's columns counts (its first "
    "chunk), not a table",
    "dask.connect_timeout_s": "the executor's cluster (see run.engine)",
    "render.title": "the map only",
    "render.tiles": "the map only",
    "render.tiles_attribution": "the map only",
    "render.max_seizure_points": "the map only",
    "render.basemap": "the map only",
    "render.ports_label": "the map only",
    "render.lanes_label": "the map only",
    "render.geojson": "whether that export is written (its bytes are the scores')",
    "render.flatgeobuf": "whether that export is written (its bytes are the scores')",
    "render.preview_png": "whether the preview image is written",
    "inputs.seizures.settle_minutes": "which files of a pattern a night reads (an unsettled "
    "file waits), not how a file is read",
    "inputs.tracks.settle_minutes": "which files of a pattern a night reads, not how",
}

#: Config fields the input changes below (and other tests) cover.
INPUT_FIELDS: dict[str, str] = {
    "inputs.seizures.path": "test_inputs_changed_between_nights (another file by a variable)",
    "inputs.tracks.path": "tests/test_nights_sequence.py (a track file renamed, removed)",
    "inputs.tracks.layer": "a GeoPackage's layer: in the ingest key as the seizures' layer is "
    "(the source's options dumped whole, _ingest_one)",
    "inputs.rasters.mask.variable": "a NetCDF mask's variable: in the raster's digest as the "
    "source's options dumped whole (_input_digests)",
    "inputs.context.path": "test_inputs_changed_between_nights (a layer edited in place)",
    "inputs.context.layer": "a GeoPackage's layer: in the context key as the source's options "
    "dumped whole (_context)",
    "inputs.context.member": "a zip's member: in the context key as the source's options "
    "dumped whole (_context)",
    "area.polygon": "test_inputs_changed_between_nights (a polygon given, then edited)",
}


def config_fields() -> set[str]:
    """Every leaf field of :class:`pipeline.config.Config`, dotted (a list's items by name)."""
    from pydantic import BaseModel

    from pipeline.config import Config

    def models(annotation: Any) -> list[type[BaseModel]]:
        found: list[type[BaseModel]] = []
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        for arg in typing.get_args(annotation):
            found += models(arg)
        return found

    out: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            inner = models(field.annotation)
            if inner:
                for m in inner:
                    walk(m, f"{prefix}{name}.")
            else:
                out.add(prefix + name)

    walk(Config, "")
    return out


def _swept() -> set[str]:
    return {f for _, changes in GROUPS.values() for fields, _ in changes for f in fields}


def test_every_config_field_is_swept_or_said_not_to_change_a_table():
    """A field a future version adds must be swept (a night with it changed, compared with a
    cold run) or said here not to change a table; a field named here must exist."""
    fields = config_fields()
    known = _swept() | set(NOT_A_TABLE) | set(INPUT_FIELDS)
    parents = {f.rsplit(".", 1)[0] for f in fields if "." in f}
    assert not fields - known, f"config fields neither swept nor said: {sorted(fields - known)}"
    unknown = known - fields - parents
    assert not unknown, f"named but not config fields: {sorted(unknown)}"
    assert not set(NOT_A_TABLE) & _swept()


#: Changes every ``make test`` sweeps although they are off its stride: those that found a key
#: missing (tests/test_cache_keys_found.py).
ALWAYS = frozenset({"area.resolution"})


def _changes_of_this_run(changes: list[Change]) -> list[Change]:
    """Return the group's changes this run sweeps.

    ``make test`` (on 2 cores, under 8 minutes) sweeps every third change of each group and
    those of :data:`ALWAYS`, about a minute; ``make test-sweep`` (``ROUTE_RISK_SWEEP=all``)
    sweeps them all (183 nights, about 3 minutes on 2 cores).
    """
    if os.environ.get("ROUTE_RISK_SWEEP") == "all":
        return changes
    return [c for i, c in enumerate(changes) if i % 3 == 0 or ALWAYS & set(c[0])]


@pytest.mark.slow  # each group 10-40 s (all), 4-14 s (a third): a nightly and a cold run per change
@pytest.mark.parametrize("group", list(GROUPS))
def test_each_option_changed_between_nights_gives_a_cold_run_s_tables(
    theatre, tmp_path, monkeypatch, group, capsys
):
    """Each change of the group, a night each, publishes what a cold run does."""
    monkeypatch.syspath_prepend(str(theatre))  # the plug-in module
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    sweep = _Sweep(theatre, tmp_path)
    extra, changes = GROUPS[group]
    base = _merge(sweep.base(), _with_paths(extra, sweep.data))
    sweep.night("the group's first night", base)
    for fields, make in _changes_of_this_run(changes):
        sweep.night(", ".join(fields), _with_paths(make(sweep, base), sweep.data))
    sweep.night("the group's config again", base)
    with capsys.disabled():  # for the record (pytest -s)
        total = sum(a + b for _, a, b in sweep.seen)
        print(f"\n{group}: {len(sweep.seen)} nights, {total:.1f} s with their cold runs")


def _with_paths(raw: Any, data: Path, key: str | None = None) -> Any:
    """Return ``raw`` with each relative input path made one of the theatre's files."""
    if isinstance(raw, dict):
        return {k: _with_paths(v, data, k) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_with_paths(v, data, key) for v in raw]
    if key in ("path", "ports", "polygon") and isinstance(raw, str) and not os.path.isabs(raw):
        return str(data / raw)
    return raw


def _rewrite_keeping_stat(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and give it back its size check and modification time."""
    st = path.stat()
    assert len(data) == st.st_size, "the edit must keep the size"
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.slow  # 15 nights with their cold runs (~15 s)
def test_inputs_changed_between_nights_give_a_cold_run_s_tables(theatre, tmp_path, monkeypatch):
    """The inputs changed as feeds and people change them, a night each: a raster replaced
    by another of the same name, size and modification time; a context layer, the ports and
    the area polygon edited in place; a track file's and the seizures' bytes changed with
    their size and modification time kept; a raster given an ``.aux.xml``, then GDAL told to
    ignore it by the environment; a path that names another file through an environment
    variable; the process's time zone; ``as_of`` given as a word."""
    import time as clock

    sweep = _Sweep(theatre, tmp_path)
    d = sweep.data
    base = _merge(
        sweep.base(),
        _with_paths(
            {
                "inputs": {"rasters": [{"path": "nightlights.tif", "name": "nightlights"}]},
                **_factors(nightlights_mean={"weight": 1}, distance_to_lane_km={"weight": 1}),
                "timeline": {"months": 2},
                "evaluate": {"enabled": True},
            },
            d,
        ),
    )
    sweep.night("first", base)

    st = (d / "nightlights.tif").stat()
    os.replace(d / "nightlights-b.tif", d / "nightlights.tif")
    os.utime(d / "nightlights.tif", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (d / "nightlights.tif").stat().st_size == st.st_size
    sweep.night("a raster replaced: same name, size and modification time", base)

    (d / "nightlights.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><Offset>5</Offset><Scale>3</Scale>'
        "</PAMRasterBand></PAMDataset>"
    )
    sweep.night("the raster given a scale and offset beside it (.aux.xml)", base)
    monkeypatch.setenv("GDAL_PAM_ENABLED", "NO")
    sweep.night("GDAL told to ignore the .aux.xml (GDAL_PAM_ENABLED=NO)", base)
    monkeypatch.delenv("GDAL_PAM_ENABLED")

    lane = {"type": "LineString", "coordinates": [[-75, 14], [-40, 25], [-10, 36]]}
    (d / "lanes.geojson").write_text(_feature_collection(lane, name="lane"))
    sweep.night("the lanes layer edited", base)
    (d / "land.geojson").write_text(_feature_collection(_box(-12, 34, 0, 44), name="land"))
    sweep.night("the land layer edited", _merge(base, {"area": {"exclude_land": True}}))

    ports = (d / "ports.csv").read_text()
    (d / "ports.csv").write_text(ports.replace("Vigo,42.12,-8.95", "Vigo,40.12,-18.95"))
    sweep.night("a port moved", base)

    ais = (d / "ais.csv").read_bytes()
    edited = ais.replace(b",10.7,", b",11.7,").replace(b",34.4", b",34.5")
    assert edited != ais
    _rewrite_keeping_stat(d / "ais.csv", edited)
    sweep.night("a track file's bytes changed, its size and time kept", base)
    seizures = (d / "seizures.csv").read_bytes()
    _rewrite_keeping_stat(d / "seizures.csv", seizures.replace(b"2024-0", b"2025-0", 10))
    sweep.night("the seizures' bytes changed, their size and time kept", base)

    fewer = tmp_path / "elsewhere"
    fewer.mkdir()
    lines = seizures.splitlines(keepends=True)
    (fewer / "seizures.csv").write_bytes(b"".join(lines[:-40]))
    via = _merge(base, {"inputs": {"seizures": [{"path": "${ROUTE_RISK_SWEEP}/seizures.csv"}]}})
    monkeypatch.setenv("ROUTE_RISK_SWEEP", str(d))
    sweep.night("a path through an environment variable", via)
    monkeypatch.setenv("ROUTE_RISK_SWEEP", str(fewer))
    sweep.night("the variable names another folder", via)

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    clock.tzset()
    try:
        sweep.night("the process's time zone", base)
    finally:
        monkeypatch.undo()
        clock.tzset()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    polygon = _merge(base, {"area": {"bbox": DROP, "polygon": str(d / "aoi.geojson")}})
    sweep.night("an area polygon", polygon)
    notch = {
        "type": "Polygon",
        "coordinates": [[[-85, -10], [10, -10], [10, 45], [-40, 20], [-85, 45], [-85, -10]]],
    }
    (d / "aoi.geojson").write_text(_feature_collection(notch))
    sweep.night("the area polygon edited in place", polygon)
    sweep.night("as_of a word", _merge(base, {"run": {"as_of": "yesterday"}, "inputs": {}}))
