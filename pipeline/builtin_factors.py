"""The built-in factors, registered exactly as a plug-in registers its own.

seizure density (needs seizures), five transit factors from one shared pass over the tracks
(needs tracks) and one factor per raster and zonal statistic (a family).  Importing this
module registers them in :data:`pipeline.factors.default_registry`.

Coverage:

- seizure density: every cell (seizure records are the universe of the analysis).
- transit factors: cells whose centre lies within ``transit.coverage_km`` of a cell where at
  least one AIS position was received (event counts smoothed over ``smooth_events_km``: within
  the larger of the two, as far as the kernel reaches).  Further away the absence of vessel-hours says nothing
  (no receiver, no satellite pass), so the cell is "no AIS coverage", not "0 vessel-hours".
- raster factors: cells with at least one valid pixel.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import Field

from . import schema as S
from .config import DensityConfig, TransitConfig, ZonalConfig
from .errors import ConfigError
from .factors import Factor, FactorContext, FactorValues, InputsView, default_registry

__all__ = ["TRANSIT_SHARED", "DensityOptions", "RasterOptions", "TransitOptions"]

log = logging.getLogger(__name__)


class DensityOptions(DensityConfig):
    """The ``density`` section as the density factor receives it."""


class TransitOptions(TransitConfig):
    """The ``transit`` section plus what the plan hands it from ``ingest`` and ``density``."""

    max_speed_kn: float = Field(60.0, gt=0, description="From ingest.max_speed_kn.")
    smooth_kernel: str = Field("quartic", description="From density.kernel.")


class RasterOptions(ZonalConfig):
    """The ``zonal`` section plus the memory budget from ``ingest``."""

    memory_budget_mb: float = Field(512.0, gt=0, description="From ingest.memory_budget_mb.")


def density_on_cells(
    seizures: pd.DataFrame,
    cells: np.ndarray,
    as_of: pd.Timestamp,
    options: DensityConfig,
    window_cells: np.ndarray | None,
) -> tuple[np.ndarray, dict]:
    """Return the seizure density on ``cells`` (per km²) and how it was computed."""
    from .density import decay_anchor, kernel_density, seizure_quantities, seizure_weights

    d = options
    if d.bandwidth_km == "auto" or d.half_life_days == "auto":
        raise ConfigError(
            "density bandwidth_km/half_life_days 'auto' are chosen by a run's density-parameters "
            "stage; outside a run call pipeline.model.select_density_parameters and give numbers"
        )
    if seizures.empty:
        return np.zeros(len(cells)), {"bandwidth_km": None, "note": "no seizures"}
    # decayed from an anchor that stays put while as_of moves on, night after night: the
    # weights, and so the density memo's map tiles, stay those of the night before away
    # from new seizures; the common factor to as_of is applied to the sums
    anchor, scale = (
        (None, 1.0) if d.half_life_days is None else decay_anchor(as_of, float(d.half_life_days))
    )
    weights = seizure_weights(
        seizures,
        as_of=as_of,
        half_life_days=d.half_life_days,
        use_quantity=d.use_quantity,
        commodity_weights=d.commodity_weights or None,
        decay_from=anchor,
    )
    res = kernel_density(
        (seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy()),
        cells,
        bandwidth_km=d.bandwidth_km,
        kernel=d.kernel,
        weights=weights,
        window=window_cells if d.edge_correction else None,
        edge_correction=d.edge_correction,
        bandwidth_range_km=d.bandwidth_range_km,
        return_result=True,
    )
    info = {
        "bandwidth_km": round(float(res.bandwidth_km), 4),
        "bandwidth_rule": res.bandwidth_rule,
        "kernel": res.kernel,
        "method": res.method,
        "total_weight": round(float(res.total_weight) * scale, 6),
    }
    if d.use_quantity:
        note = seizure_quantities(seizures)[1]
        if note:
            info["quantity_note"] = note
    return np.asarray(res.density, dtype="float64") * scale, info


def _seizure_density(ctx: FactorContext) -> FactorValues:
    assert isinstance(ctx.options, DensityConfig)
    values, info = density_on_cells(
        ctx.seizures, ctx.cells, ctx.as_of, ctx.options, ctx.window_cells
    )
    return FactorValues(values, np.ones(len(values), dtype=bool), info)


default_registry.register(
    Factor(
        name=S.SEIZURE_DENSITY,
        unit="weighted seizures per km²",
        description="Kernel density of past seizures, decayed by age and weighted by commodity.",
        compute=_seizure_density,
        needs=("seizures",),
        options=DensityOptions,
        section="density",
        support=1e-3,
    )
)


#: The key of the pass over the tracks among a context's shared computations.
TRANSIT_SHARED = "transit"


def transit_result(ctx: FactorContext):
    """Run the shared pass over the tracks: per-cell transit features, events and AIS coverage."""
    from .transit import transit_features

    t = ctx.options
    assert isinstance(t, TransitOptions)
    params = {"resolution": ctx.resolution, **t.model_dump(mode="json")}
    return transit_features(
        ctx.pings,
        ctx.resolution,
        memo=ctx.memo("transit hours", params, sharded=True),
        pairs_memo=ctx.memo("transit encounter pairs", params),
        max_segment_hours=t.max_segment_hours,
        gap_hours=t.gap_hours,
        gap_min_speed_kn=t.gap_min_speed_kn,
        loiter_speed_kn=t.loiter_speed_kn,
        loiter_hours=t.loiter_hours,
        encounter_distance_m=t.encounter_distance_m,
        encounter_hours=t.encounter_hours,
        encounter_speed_kn=t.encounter_speed_kn,
        ports=ctx.ports,
        port_radius_km=t.port_radius_km,
        max_speed_kn=t.max_speed_kn,
        until=ctx.as_of,
        vessel_identity=ctx.vessel_identity,
    )


def ais_coverage(
    pings,
    cells: np.ndarray,
    resolution: int,
    radius_km: float,
    *,
    received_memo=None,
    near_memo=None,
    until=None,
):
    """Cells whose centre is within ``radius_km`` of a cell where a timed position was received.

    Rounded outwards: the received cells' grid disks (the cells within ``radius_km`` of any
    position in them, and some a little further), and any other cell whose centre is within
    ``radius_km`` plus a received cell's circumradius of that cell's centre.

    ``pings`` is the pings table or a :class:`~pipeline.ingest.stream.PingStore`.  The
    memos (:class:`~pipeline.runner.cache.PartMemo`, optional) keep the received cells of
    each track file and the last run's neighbourhood: a night whose pings only add received
    cells grows the neighbourhood by theirs (the same cells as computed afresh).  ``until``
    (the run's ``as_of``, optional): a position received later does not cover a map of that
    day (it would read "0 vessel-hours" where nothing was known then).
    """
    from .grid import cell_area_km2, cells_in, grid_disk_cells, points_to_cells

    if pings.empty:
        return np.zeros(len(cells), dtype=bool)
    if isinstance(pings, pd.DataFrame):
        # a position without a time (an untimed route) says nothing of when AIS was received
        timed = pings[pings[S.TIME].notna()] if S.TIME in pings else pings
        if until is not None and S.TIME in timed:
            cut = pd.Timestamp(until)
            timed = timed[timed[S.TIME] <= (cut.tz_localize("UTC") if cut.tzinfo is None else cut)]
        received = np.unique(
            points_to_cells(timed[S.LON].to_numpy(), timed[S.LAT].to_numpy(), resolution)
        )
    else:  # pings on disk (a PingStore): read a bucket at a time
        received = pings.received_cells(resolution, memo=received_memo, until=until)
    if received.size == 0:  # only untimed positions: nothing was received at a known time
        return np.zeros(len(cells), dtype=bool)
    known = near_memo.known() if near_memo is not None else frozenset()
    prev = None
    near_parts = [p for p in known if p.startswith("near:")]
    if "received" in known and len(near_parts) == 1:
        got, _ = near_memo.take(["received"])
        prev = (got["cell"].astype("uint64"), got["area"].astype("float64"), near_parts[0])
    fresh = np.ones(received.size, dtype=bool)
    area = np.empty(received.size)
    if prev is not None:
        at = np.minimum(np.searchsorted(prev[0], received), max(prev[0].size - 1, 0))
        fresh = ~((prev[0].size > 0) & (prev[0][at] == received))
        area[~fresh] = prev[1][at[~fresh]]
    area[fresh] = cell_area_km2(received[fresh])
    # centre-to-centre spacing of a regular hexagon of the cells' mean area
    spacing_km = float(np.sqrt(2.0 * area.mean() / np.sqrt(3.0)))
    # rounded outwards: a position anywhere in its cell, a circle measured from it
    k = int(np.ceil(radius_km / spacing_km)) + 1
    grown = (
        prev is not None
        and prev[2] == f"near:{k}"
        and int((~fresh).sum()) == prev[0].size  # every cell received before still is
    )
    if grown:
        assert prev is not None and near_memo is not None
        before = near_memo.take([prev[2]])[0]["cell"].astype("uint64")
        near = np.union1d(before, grid_disk_cells(received[fresh], k))
    else:
        near = grid_disk_cells(received, k)
    log.debug(
        "AIS coverage %g km: %d received cell(s), %d new; neighbourhood %s",
        radius_km,
        received.size,
        int(fresh.sum()),
        "grown from the last run's" if grown else "computed",
    )
    if near_memo is not None and (prev is None or fresh.any() or not grown):
        near_memo.add(
            np.full(received.size, "received", dtype=object), {"cell": received, "area": area}
        )
        near_memo.add(
            np.full(near.size, f"near:{k}", dtype=object),
            {"cell": near, "area": np.zeros(near.size)},
        )
        near_memo.flush()
    covered = cells_in(cells, near)
    # k rings of the mean spacing stop short of the radius where the rings are no circles:
    # a ring's sides are nearer than its corners (k = 18 at resolution 7 for 40 km, whose
    # sides lie 38 km out), h3's rings bend far from their centre, and cells smaller than
    # the mean are more rings away.  The cells left out are tested by their distance.
    rest = np.flatnonzero(~covered)
    if rest.size:
        covered[rest] = _near_received(cells[rest], received, area, radius_km)
    return covered


def _near_received(cells, received, area, radius_km: float) -> np.ndarray:
    """Whether each cell's centre is within ``radius_km`` of a received cell, outwards.

    A position anywhere in its cell: the distance between the centres may be the radius
    plus the received cell's circumradius (taken as a regular hexagon's of the largest
    received area, 15 % more: h3's hexagons are not regular).
    """
    from scipy.spatial import cKDTree

    from .grid import cells_to_latlng
    from .sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz

    lat, lon = cells_to_latlng(received)
    tree = cKDTree(lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM)
    circumradius = 1.15 * float(np.sqrt(2.0 * area.max() / (3.0 * np.sqrt(3.0))))
    lat, lon = cells_to_latlng(cells)
    d, _ = tree.query(
        lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM,
        k=1,
        distance_upper_bound=float(arc_to_chord_km(radius_km + circumradius)),
    )
    return np.isfinite(d)


_TRANSIT = {
    S.VESSEL_HOURS: ("hours", "Hours vessels spent in the cell (tracks interpolated)."),
    S.DISTINCT_VESSELS: ("vessels", "Number of distinct vessels that crossed the cell."),
    # no event is tested for the sea: a vehicle theatre's border queue loiters on land
    S.GAP_EVENTS: (
        "events",
        "AIS gaps: vessels (or trackers) going dark at speed (smoothed if configured).",
    ),
    S.LOITER_EVENTS: (
        "events",
        "Loitering, slow for hours away from ports (smoothed if configured).",
    ),
    S.ENCOUNTER_EVENTS: (
        "events",
        "Two vessels slow and close for hours, away from ports (smoothed if configured).",
    ),
}
_EVENT_TYPE = {S.GAP_EVENTS: "gap", S.LOITER_EVENTS: "loiter", S.ENCOUNTER_EVENTS: "encounter"}
_EVENT_WORDS = {"gap": "an AIS gap", "loiter": "loitering", "encounter": "an encounter"}


def _transit_factor(name: str):
    def compute(ctx: FactorContext) -> FactorValues:
        t = ctx.options
        assert isinstance(t, TransitOptions)
        from .transit import unobservable_events

        tr = ctx.shared(TRANSIT_SHARED, transit_result, no_cells=True)
        table = tr.features.set_index(S.CELL)[name]
        values = table.reindex(ctx.cells).fillna(0.0).to_numpy(dtype="float64")
        etype = _EVENT_TYPE.get(name)
        radius = t.coverage_km
        if etype and t.smooth_events_km > 0:
            # a smoothed event count reaches as far as its kernel: so does what it observes
            radius = max(radius, t.smooth_events_km)
        if etype and t.smooth_events_km > 0 and len(tr.events):
            ev = tr.events[tr.events[S.EVENT_TYPE] == etype]
            if len(ev):
                from .density import kernel_density
                from .grid import cell_area_km2

                smooth = kernel_density(
                    (ev[S.LON].to_numpy(), ev[S.LAT].to_numpy()),
                    ctx.cells,
                    bandwidth_km=t.smooth_events_km,
                    kernel=t.smooth_kernel,
                )
                area = ctx.shared(
                    "cell_area_km2", lambda c: cell_area_km2(c.cells), cells_only=True
                )
                values = smooth * area
        covered = ctx.shared(
            f"ais_coverage_{radius:g}km",
            lambda c: ais_coverage(
                c.pings,
                c.cells,
                c.resolution,
                radius,
                received_memo=c.memo("ais received", [c.resolution]),
                near_memo=c.memo(f"ais near {radius:g}km", [c.resolution]),
                until=c.as_of,
            ),
        )
        takes = {"gap": t.gap_hours, "loiter": t.loiter_hours, "encounter": t.encounter_hours}
        if (
            etype
            and covered.any()  # no AIS at all (up to as_of): "no AIS coverage" says why
            and etype
            in unobservable_events(tr.longest_track_hours, takes, tr.longest_overlap_hours)
        ):
            # no track (for an encounter: no two tracks at once) lasts as long as the event
            # takes: a 0 there was never observed
            covered = np.zeros(len(ctx.cells), dtype=bool)
            said = f"no track lasts the {takes[etype]:g} h {_EVENT_WORDS[etype]} takes"
            if etype == "encounter" and tr.longest_track_hours >= takes[etype]:
                said = f"no two tracks overlap for the {takes[etype]:g} h an encounter takes"
            return FactorValues(values, covered, {"missing_text": said})
        return FactorValues(values, covered)

    compute.__name__ = f"transit_{name}"
    return compute


def _transit_cells(ctx: FactorContext) -> np.ndarray:
    return (
        ctx.shared(TRANSIT_SHARED, transit_result, no_cells=True)
        .features[S.CELL]
        .to_numpy(dtype="uint64")
    )


for _name, (_unit, _desc) in _TRANSIT.items():
    default_registry.register(
        Factor(
            name=_name,
            unit=_unit,
            description=_desc,
            compute=_transit_factor(_name),
            needs=("tracks",),
            options=TransitOptions,
            section="transit",
            missing_text="no AIS coverage",
            support=0.0,
            time_dependent=False,
            adds_cells=_transit_cells,
            shared_key=TRANSIT_SHARED,
        )
    )


def _raster_factor(raster: str, stat: str):
    def compute(ctx: FactorContext) -> FactorValues:
        from .zonal import zonal_stats_to_cells

        o = ctx.options
        assert isinstance(o, RasterOptions)

        def build(c: FactorContext) -> pd.DataFrame:
            return zonal_stats_to_cells(
                c.rasters[raster],
                c.cells,
                stats=o.stats,
                method=o.method,
                name=raster,
                memory_budget_mb=o.memory_budget_mb,
            )

        table = ctx.shared(f"raster:{raster}", build).set_index(S.CELL)
        if f"{raster}_mean" not in table.columns:  # zonal gave one column per band
            pattern = re.compile(rf"{re.escape(raster)}_b(\d+)_mean")
            bands = sorted(int(m[1]) for c in table.columns if (m := pattern.fullmatch(c)))
            raise ConfigError(
                f"raster {raster!r} has {len(bands)} bands; a factor reads one: set band: "
                f"(one of {bands}) on its entry in inputs.rasters"
            )
        values = table[f"{raster}_{stat}"].reindex(ctx.cells).to_numpy(dtype="float64")
        covered = ~np.isnan(table[f"{raster}_mean"].reindex(ctx.cells).to_numpy(dtype="float64"))
        return FactorValues(values, covered)

    compute.__name__ = f"raster_{raster}_{stat}"
    return compute


_STAT_TEXT = {
    "mean": "mean of the valid pixels in the cell",
    "max": "maximum of the valid pixels touching the cell",
    "sum": "area-weighted sum of the valid pixels in the cell",
    "valid_fraction": "share of the cell covered by valid pixels",
}


def _raster_family(inputs: InputsView) -> Iterable[Factor]:
    for raster in inputs.rasters:
        for stat in inputs.zonal_stats:
            yield Factor(
                name=f"{raster}_{stat}",
                unit="fraction" if stat == "valid_fraction" else f"{raster} units",
                description=f"Raster {raster!r}: {_STAT_TEXT.get(stat, stat)}.",
                compute=_raster_factor(raster, stat),
                needs=(f"raster:{raster}",),
                options=RasterOptions,
                section="zonal",
                missing_text="raster does not cover this cell",
                time_dependent=False,
                shared_key=f"raster:{raster}",
            )


default_registry.register_family(_raster_family)


#: Lines and polygon boundaries are sampled every this many degrees before the nearest-point
#: search: the distance is then over-estimated by at most half of it (about 1.1 km).
_SAMPLE_DEG = 0.02


def _unwrapped_lines(lines: np.ndarray) -> np.ndarray:
    """Return the lines' parts with continuous longitudes (a step of over 180° wraps).

    A lane from Yokohama to Los Angeles steps from 179.5° to -179.5°: 1° of ocean, not
    359° round the world.  Longitudes past ±180° are fine for the distance, which works on
    unit vectors.
    """
    import shapely

    parts = shapely.get_parts(lines)
    if not parts.size:
        return parts
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    step = np.diff(xy[:, 0], prepend=xy[:1, 0])
    step[np.r_[True, owner[1:] != owner[:-1]]] = 0.0  # no step into a new part
    turn = -360.0 * np.round(step / 360.0)
    shift = np.cumsum(turn)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    shift -= np.repeat(shift[starts] - turn[starts], np.diff(np.r_[starts, owner.size]))
    xy[:, 0] += shift
    return shapely.linestrings(xy, indices=owner)


def distance_to_features_km(lon, lat, geometries, *, inside_is_zero: bool = False) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest of ``geometries``.

    Points (and the points of a MultiPoint) are used as they are; lines and polygon
    boundaries are sampled every 0.02 degrees, so a distance is at most about 1.1 km too
    large.  With ``inside_is_zero``
    a point inside a polygon is at distance 0 (a cell on land is 0 km from the coast).
    """
    import shapely
    from scipy.spatial import cKDTree

    from .sphere import EARTH_RADIUS_KM, chord_to_arc_km, lonlat_to_xyz

    geoms = np.asarray(geometries, dtype=object)
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if geoms.size == 0 or lon.size == 0:
        return np.full(lon.shape, np.nan)
    is_point = shapely.get_dimensions(geoms) == 0  # a MultiPoint's points too (a port's berths)
    edges = shapely.boundary(geoms[~is_point & (shapely.get_dimensions(geoms) == 2)])
    lines = _unwrapped_lines(geoms[~is_point & (shapely.get_dimensions(geoms) == 1)])
    sampled = shapely.segmentize(np.concatenate([edges, lines]), _SAMPLE_DEG)
    xy = np.concatenate(
        [shapely.get_coordinates(geoms[is_point]), shapely.get_coordinates(sampled)]
    )
    tree = cKDTree(lonlat_to_xyz(xy[:, 0], xy[:, 1]))
    chord, _ = tree.query(lonlat_to_xyz(lon, lat))
    km = np.asarray(chord_to_arc_km(chord * EARTH_RADIUS_KM), dtype="float64")
    if inside_is_zero:
        polys = geoms[shapely.get_dimensions(geoms) == 2]
        if polys.size:
            km[shapely.contains_xy(shapely.union_all(polys), lon, lat)] = 0.0
    return km


def _distance_factor(kind: str, inside_is_zero: bool):
    def compute(ctx: FactorContext) -> np.ndarray:
        lon, lat = ctx.cell_centres()
        layer = ctx.context[kind]
        return distance_to_features_km(
            lon, lat, layer.geometry.to_numpy(), inside_is_zero=inside_is_zero
        )

    compute.__name__ = f"distance_to_{kind}"
    return compute


for _name, _kind, _desc in (
    (
        "distance_to_port_km",
        "ports",
        "Great-circle distance from the cell centre to the nearest port.",
    ),
    (
        "distance_to_lane_km",
        "lanes",
        "Great-circle distance to the nearest shipping lane (0 inside a lane given as an area).",
    ),
    ("distance_to_coast_km", "land", "Great-circle distance to the coast (0 on land)."),
):
    default_registry.register(
        Factor(
            name=_name,
            unit="km",
            description=_desc,
            # a lane given as an area (NOAA fairways, IMO separation zones) holds its cells
            compute=_distance_factor(_kind, inside_is_zero=_kind in ("land", "lanes")),
            needs=(f"context:{_kind}",),
            time_dependent=False,
            # the coast, the ports and the lanes as the layers give them: the same at every
            # back-test origin and month, no look-ahead to warn of
            fixed_geography=True,
        )
    )
