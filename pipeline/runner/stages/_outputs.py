"""The render and export stages: the map and the GIS tables."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ... import schema as S
from ...config import Config
from ..inputs import input_paths
from ._backtest import factor_infos
from ._read import write_pings
from ._state import RunState

log = logging.getLogger(__package__)  # one logger for the stages: "pipeline.runner.stages"


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep Python's garbage collector to the objects made inside the block.

    The map and the exports make container objects by the hundred thousand (payload lists,
    folium and matplotlib objects, dicts), so the collector's full passes come round three
    or four times a stage, and each walked every object of the process as well: the
    libraries' modules and the run's tables and reports, 250,000 objects.  On the demo that
    was 0.6 s of the 4 s of map and exports.  :func:`gc.freeze` sets the older objects
    aside for the block (reference counting still frees them as ever) and they are collected
    as before once it ends; the block's own cycles (a folium tree, a figure) are collected
    in it.  Left alone when the collector is off or objects are frozen already (a host
    process managing its own).
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def render(state: RunState, run_id: str) -> None:
    """Write the HTML map (and the preview PNG)."""
    with _older_objects_frozen():
        _render(state, run_id)


def _render(state: RunState, run_id: str) -> None:
    from ...render import MapData, RenderOptions, raster_to_overlay, write_map, write_preview_png
    from ...render._payload import map_classes, mercator_note

    cfg, ft = state.config, state.features
    assert ft is not None and state.scores is not None and state.as_of is not None
    overlays = [ov for r in state.rasters if (ov := raster_to_overlay(r["name"], r["data"]))]
    transit = None
    if S.VESSEL_HOURS in ft.table:
        vh = ft.table[[S.CELL, S.VESSEL_HOURS]]
        transit = vh[vh[S.VESSEL_HOURS].fillna(0) > 0]
    data = MapData(
        scores=state.scores,
        factors=factor_infos(state),
        class_breaks=list(cfg.score.class_breaks),
        class_labels=list(cfg.score.class_labels),
        seizures=state.seizures,
        events=state.events,
        transit=transit,
        rasters=overlays,
        timeline=state.timeline,
        bandwidth_km=ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km"),
        evaluation=state.evaluation,
        model_report=state.model_report,
        hotspots=state.hotspots,
        ports=state.ports,
        lanes=state.context.get("lanes") if state.context else None,
    )
    title = cfg.render.title or cfg.run.name
    opts = RenderOptions(
        title=title,
        tiles=cfg.render.tiles,
        tiles_attribution=cfg.render.tiles_attribution,
        max_seizure_points=cfg.render.max_seizure_points,
        classes="fixed",  # the run's classes are set once, below, for the map and the tables
        basemap=cfg.render.basemap,
        ports_label=cfg.render.ports_label,
        lanes_label=cfg.render.lanes_label,
    )
    # One classification for the map, the preview and the exported risk_class column.
    data = map_classes(data, cfg.render.classes)
    state.scores = data.scores
    state.class_breaks = {
        "method": cfg.render.classes,
        "breaks": [float(b) for b in data.class_breaks],
        "labels": list(data.class_labels),
    }
    beyond = mercator_note(state.scores[S.CELL].to_numpy(dtype="uint64"))
    if beyond:
        log.info("note: %s", beyond)
        state.notes.append(beyond)
    state.outputs["map"] = write_map(
        data,
        state.staging / "risk_map.html",
        as_of=state.as_of.date().isoformat(),
        run_id=run_id,
        inputs=map_input_names(cfg),
        options=opts,
    )
    if cfg.render.preview_png:
        state.outputs["preview"] = write_preview_png(
            data,
            state.staging / "preview.png",
            title=title,
            options=opts,
            polygons=state.cell_polygons,
        )


def map_input_names(config: Config) -> list[str]:
    """Return the names of every file a run of ``config`` reads, as the map's footer lists them.

    Seizures, tracks, rasters and their companion masks, the ports and other context layers
    (land, lanes) and the area polygon (:func:`~pipeline.runner.inputs.input_paths`, of a
    config whose patterns are expanded): the footer once named the tables and rasters only,
    so a map scored at sea by a land layer did not say which.
    """
    return [p.name for p in input_paths(config)]


def _with_cell_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table with both cell keys first: ``cell`` (uint64) and ``hex_id`` (text)."""
    from ...grid import cells_to_strings, to_cells

    out = frame.copy()
    if S.CELL not in out.columns:
        out.insert(0, S.CELL, to_cells(out[S.HEX_ID].astype(str).to_numpy()))
    if S.HEX_ID not in out.columns:
        out.insert(1, S.HEX_ID, cells_to_strings(out[S.CELL].to_numpy(dtype="uint64")))
    rest = [c for c in out.columns if c not in (S.CELL, S.HEX_ID)]
    return out[[S.CELL, S.HEX_ID, *rest]]


def _with_point_cells(frame: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Return a point table with the cell holding each point first (``cell``, ``hex_id``).

    The cell is at the run's resolution, so a seizure or an event joins the scores on
    ``cell`` or ``hex_id``; a point without coordinates has neither (missing).
    """
    from ...grid import cells_to_strings, points_to_cells

    out = frame.drop(columns=[c for c in (S.CELL, S.HEX_ID) if c in frame.columns])
    lon = pd.to_numeric(out[S.LON], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(out[S.LAT], errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(lon) & np.isfinite(lat)
    cells = np.zeros(len(out), dtype="uint64")
    cells[ok] = points_to_cells(lon[ok], lat[ok], resolution)
    hex_ids = np.full(len(out), None, dtype=object)
    hex_ids[ok] = cells_to_strings(cells[ok])
    out.insert(0, S.CELL, pd.array(np.where(ok, cells, 0), dtype="UInt64"))
    out.loc[~ok, S.CELL] = pd.NA
    out.insert(1, S.HEX_ID, hex_ids)
    return out


def export(state: RunState) -> None:
    """Write the scores (GeoParquet, GeoPackage, FlatGeobuf, CSV, GeoJSON) and the tables.

    Also features, seizures, pings, events and the evaluation.
    Every table keyed by cell carries ``cell`` (uint64) and ``hex_id``, and so do the
    seizures and events (the cell of each point at the run's resolution); timestamps stay
    timestamps except in the CSV (ISO 8601 UTC text); the CSV adds the cell centre's ``lat``
    and ``lon``, so it maps without an H3 plug-in.

    The files are independent: those written by Arrow and GDAL, which release the GIL, are
    written by worker threads while this thread formats the CSV, the GeoJSON and the PNG;
    the pings, final once ingest is done, have been written since then
    (:mod:`pipeline.runner.background`).
    Each file's bytes do not depend on the order; ``state.outputs`` is filled in a fixed
    order.
    """
    with _older_objects_frozen():
        _export(state)


def _export(state: RunState) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    import geopandas as gpd

    from ...grid import cells_to_latlng
    from ...io import (
        formatted_once,
        gdal_messages_as_warnings,
        round_array,
        round_floats,
        write_csv,
        write_flatgeobuf,
        write_geojson,
        write_geopackage,
        write_geoparquet,
        write_parquet,
    )
    from ..manifest import write_json

    cfg, ft, scores, staging = state.config, state.features, state.scores, state.staging
    assert ft is not None and scores is not None
    res = cfg.area.resolution
    table = _with_cell_keys(scores)
    cells = table[S.CELL].to_numpy(dtype="uint64")
    polygons = state.cell_polygons(cells)  # the preview's, when it drew these cells
    # rounded once for the five files of the scores (each writer rounded its own copy)
    gdf = round_floats(
        gpd.GeoDataFrame(table.reset_index(drop=True), geometry=polygons, crs="EPSG:4326")
    )
    pings = state.pings
    written: dict[str, Future | Path] = {}
    workers = max(1, min(3, (os.cpu_count() or 1) - 1))
    # no writer may outlive a stop: the staging folder it writes into is removed next
    pool = ThreadPoolExecutor(
        workers, thread_name_prefix="export", initializer=gdal_messages_as_warnings
    )
    try:
        written["scores_parquet"] = pool.submit(
            write_geoparquet, gdf, staging / "scores.parquet", rounded=True
        )
        written["scores_gpkg"] = pool.submit(
            write_geopackage, gdf, staging / "scores.gpkg", layer="scores", rounded=True
        )
        if cfg.render.flatgeobuf:
            written["scores_fgb"] = pool.submit(
                write_flatgeobuf, gdf, staging / "scores.fgb", rounded=True
            )
        written["features"] = pool.submit(
            write_parquet, _with_cell_keys(ft.table), staging / "features.parquet"
        )
        written["seizures"] = pool.submit(
            write_parquet, _with_point_cells(state.seizures, res), staging / "seizures.parquet"
        )
        early = state.background.take("pings")  # started when ingest ended
        if early is not None:
            written["pings"] = early
        elif len(pings):
            written["pings"] = pool.submit(write_pings, pings, staging / "pings.parquet")
        if state.events is not None:
            written["events"] = pool.submit(
                write_parquet, _with_point_cells(state.events, res), staging / "events.parquet"
            )
        if state.timeline is not None:  # the cell x month table behind the slider
            written["timeline"] = pool.submit(
                write_parquet, state.timeline, staging / "timeline.parquet"
            )
        # the Python-bound writers, meanwhile, here
        lat, lon = cells_to_latlng(cells)
        # the table's columns rounded (as round_floats rounds each column alone) and the centres
        flat = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        flat.insert(2, S.LAT, round_array(lat))
        flat.insert(3, S.LON, round_array(lon))
        with formatted_once():  # the CSV's float texts are the GeoJSON's
            written["scores_csv"] = write_csv(flat, staging / "scores.csv", rounded=True)
            del flat
            if cfg.render.geojson:
                written["scores_geojson"] = write_geojson(
                    gdf, staging / "scores.geojson", rounded=True
                )
        if state.evaluation is not None:
            written["evaluation"] = write_json(staging / "evaluation.json", state.evaluation)
            if "summary" in state.evaluation and cfg.render.preview_png:
                from ...evaluate import plot_evaluation

                plot_evaluation(state.evaluation, staging / "evaluation.png")
                written["evaluation_png"] = staging / "evaluation.png"
        if state.model_report is not None:
            written["model_report"] = write_json(staging / "model_report.json", state.model_report)
        for name in _EXPORT_ORDER:
            if name in written:
                got = written[name]
                state.outputs[name] = got.result() if isinstance(got, Future) else got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_EXPORT_ORDER = (
    "scores_csv",
    "scores_parquet",
    "scores_gpkg",
    "scores_fgb",
    "scores_geojson",
    "features",
    "seizures",
    "pings",
    "events",
    "evaluation",
    "evaluation_png",
    "model_report",
    "timeline",
)
