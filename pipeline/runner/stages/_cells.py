"""The cells stage (the area's universe) and the density parameters ``density: auto`` chooses."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...area import (
    coarse_cells_note,
    region_cells,
    sea_cells,
)
from ...errors import ConfigError, InputError
from ..cache import frame_digest
from ._read import ping_extent
from ._state import RunState, polygon_sha

log = logging.getLogger(__package__)  # one logger for the stages: "pipeline.runner.stages"


def cells(state: RunState) -> None:
    """Find the H3 cells of the area, or of the data's extent."""
    a = state.config.area
    # the polygon's bytes, not only its path: one edited in place (the same extent) gives
    # other cells
    key: list[Any] = [a.model_dump(mode="json"), state.area.bbox, polygon_sha(state)]
    if not state.area.given:
        key.append([state.digests.get("seizures"), state.digests.get("tracks")])
    frame, _ = state.cached(
        "cells",
        key,
        lambda: pd.DataFrame(
            {
                S.CELL: region_cells(
                    state.area, state.seizures, ping_extent(state.pings), a.resolution, a.margin_km
                )
            }
        ),
    )
    state.cells = frame[S.CELL].to_numpy(dtype="uint64")
    for note in coarse_cells_note(state.area, state.cells, a.resolution):
        if note not in state.notes:
            state.notes.append(note)
    land = state.context.get("land") if a.exclude_land is not False else None
    if land is not None and a.exclude_land is None:
        _refuse_land_theatre(state, state.cells, land)
    state.cells = _with_seizure_cells(state, state.cells, land)


def _refuse_land_theatre(state: RunState, region: np.ndarray, land) -> None:
    """Refuse a land layer left to leave out the land cells of a theatre on land.

    ``area.exclude_land`` keeps the cells at sea: right for a maritime theatre, where a
    coarse coastline covers a few harbours' seizures (customs seizures at the quay).  Where
    the tracks mostly lie on the land layer (road smuggling: vehicles), or, without tracks,
    most of the area's seizures do, the map would show only the seizures' own cells, and
    every vehicle-hour, gap and loitering on the roads between them would vanish without a
    word.  Which theatre it is cannot be guessed safely then, so the config must say.  The
    tracks decide when there are any: AIS at sea beside seizures at ports on land is a
    maritime theatre.
    """
    from ...grid import cells_in, points_to_cells

    res = state.config.area.resolution
    if not len(region):
        return
    what, points = "seizures", state.seizures
    sample = _ping_sample(state.pings)
    if sample is not None and len(sample):
        what, points = "track positions (a sample)", sample
    if points is None or not len(points):
        return
    held = points_to_cells(
        points[S.LON].to_numpy(dtype="float64"), points[S.LAT].to_numpy(dtype="float64"), res
    )
    held = held[cells_in(held, region)]
    if not held.size:
        return
    on_land = ~cells_in(held, sea_cells(np.unique(held), land))
    if 2 * int(on_land.sum()) <= held.size:
        return
    n_region = len(region)
    n_sea = len(sea_cells(region, land))
    raise ConfigError(
        f"{int(on_land.sum())} of the area's {held.size} {what} lie on the land layer, and "
        f"{n_region - n_sea} of its {n_region} cells: a theatre on land? area.exclude_land "
        "(not set) would score only the cells at sea and those holding seizures; set "
        "area.exclude_land: false to score the land (road or border smuggling), or true to "
        "keep the sea only"
    )


#: Track positions looked at to tell a theatre on land from one at sea (about as many).
_PING_SAMPLE = 100_000


def _ping_sample(pings) -> pd.DataFrame | None:
    """Return about :data:`_PING_SAMPLE` accepted pings' positions, chosen by their values.

    A ping is taken when a hash of its position and time falls in one k-th of the hash's
    range (k: the pings over :data:`_PING_SAMPLE`), so the sample is the same pings whether
    the table is held whole or spilled (``ingest.chunk_rows``) in buckets of vessels: every
    k-th row of the one and the first bucket group of the other were different pings, and a
    fleet of trucks beside ships was refused read whole and cut to the sea spilled.  The
    time is hashed too: a position reported again and again (a truck parked at its depot, a
    ship at its berth) is as many pings, and by its position alone all of them or none were
    taken, a third of a feed at one depot weighing none or two thirds of the sample.
    """
    if pings is None or not len(pings):
        return None
    step = np.uint64(max(1, len(pings) // _PING_SAMPLE))
    if isinstance(pings, pd.DataFrame):
        tables: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
            (
                pings[S.LON].to_numpy(),
                pings[S.LAT].to_numpy(),
                pings[S.TIME].to_numpy(dtype="datetime64[ns]").view("int64"),
            )
        ]
    else:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        untimed = np.iinfo("int64").min  # NaT's int64, as the table held whole has it

        def columns(t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ns = t.column(S.TIME).cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
            return (
                t.column(S.LON).to_numpy(),
                t.column(S.LAT).to_numpy(),
                pc.fill_null(ns, untimed).to_numpy(),
            )

        tables = (
            columns(pq.read_table(p, columns=[S.LON, S.LAT, S.TIME]))
            for ps in pings.files.values()
            for p in ps
        )
    parts = []  # each file's sample as it is read: memory is the sample's, not the tracks'
    for lon, lat, t in tables:
        lon, lat = lon.astype("float64"), lat.astype("float64")
        keep = _ping_hash(lon, lat, t.astype("int64")) % step == 0
        parts.append((lon[keep], lat[keep]))
    lon, lat = (np.concatenate(a) for a in zip(*parts, strict=True))
    return pd.DataFrame({S.LON: lon, S.LAT: lat})


def _ping_hash(lon: np.ndarray, lat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return a 64-bit hash of each ping's position and time bits (splitmix64's finaliser)."""
    h = lon.view("uint64") ^ (lat.view("uint64") * np.uint64(0x9E3779B97F4A7C15))
    h ^= t.view("uint64") * np.uint64(0xD6E8FEB86659FD93)
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _with_seizure_cells(state: RunState, region: np.ndarray, land) -> np.ndarray:
    """Return the area's cells (those at sea, given ``land``) and every cell holding a seizure.

    A cell belongs to the area when its centre does, and a land layer leaves out the cells
    whose centre is on land; a seizure of the area whose cell failed either test (a record
    near the area's edge, in a cell centred beyond it; an anchorage or harbour that a coarse
    coastline such as Natural Earth 1:110m covers) was counted, yet its cell was neither scored
    nor drawn: the seizure vanished from the map without a word (a third of the IMB piracy
    records of South-East Asia).  A seizure places its cell on the map, as it does against the
    density's support cut; the cells so added are stated.
    """
    from ...grid import cells_in, points_to_cells

    cells_ = region if land is None else sea_cells(region, land)
    state.area_cells = cells_
    seizures = state.seizures
    if seizures is None or not len(seizures):
        return cells_
    held = points_to_cells(
        seizures[S.LON].to_numpy(dtype="float64"),
        seizures[S.LAT].to_numpy(dtype="float64"),
        state.config.area.resolution,
    )
    missing = ~cells_in(held, cells_)
    if not missing.any():
        return cells_
    on_land = missing & cells_in(held, region)
    said = (
        (on_land, "on the land layer", "; the other cells on land are left out"),
        (missing & ~on_land, "outside the area", " (records near its edge)"),
    )
    for which, where, more in said:
        if which.any():
            note = (
                f"{len(np.unique(held[which]))} cell(s) whose centre lies {where} are scored: "
                f"they hold {int(which.sum())} seizure(s) of the area{more}"
            )
            log.info(note)
            state.notes.append(note)
    return np.union1d(cells_, held[missing]).astype("uint64")


def density_parameters(state: RunState) -> None:
    """Choose ``density: auto`` parameters by the rolling back-test; the run uses the numbers."""
    from ...evaluate import BacktestOptions
    from ...model import select_density_parameters

    cfg = state.config
    d = cfg.density
    if not d.auto:
        return
    assert state.as_of is not None
    if isinstance(d.bandwidth_km, str) and d.bandwidth_km != "auto":
        raise ConfigError(
            f"half_life_days: auto needs a numeric bandwidth_km or 'auto', got {d.bandwidth_km!r}"
        )
    bws = d.auto_bandwidths_km if isinstance(d.bandwidth_km, str) else (d.bandwidth_km,)
    hls = d.auto_half_lives_days if d.half_life_days == "auto" else (d.half_life_days,)
    opts = BacktestOptions(**cfg.evaluate.model_dump(exclude={"enabled"}))
    past = state.seizures[state.seizures[S.TIME] <= state.as_of]
    key = [
        state.digests.get("seizures"),
        str(state.as_of),
        d.model_dump(mode="json"),
        opts.model_dump(mode="json"),
        cfg.area.resolution,
        frame_digest(state.area_cells),
    ]

    def build() -> dict[str, Any]:
        try:
            return select_density_parameters(
                past,
                None,  # the universe comes from each origin's history, as in the back-test
                resolution=cfg.area.resolution,
                bandwidths_km=bws,
                half_lives_days=hls,
                kernel=d.kernel,
                options=opts,
                within=state.area_cells,  # the cells a map can show, as in the back-test
            )
        except InputError as exc:
            raise InputError(f"density: auto: {exc}") from None

    choice, _ = state.cached("density-parameters", key, build)
    state.density_choice = choice
    chosen = d.model_copy(
        update={"bandwidth_km": choice["bandwidth_km"], "half_life_days": choice["half_life_days"]}
    )
    state.density_given = d
    state.config = cfg.model_copy(update={"density": chosen})
    log.info(
        "density: auto chose bandwidth %s km, half-life %s days (%s)",
        choice["bandwidth_km"],
        choice["half_life_days"],
        choice["why"],
    )
