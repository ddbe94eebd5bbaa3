"""Transit behaviour of vessels as per-cell risk factors.

From the pings table (see :mod:`pipeline.schema`) this module derives, per H3 cell:

``vessel_hours``
    Time spent in the cell.  Each segment between two consecutive pings of a vessel (no longer
    than ``max_segment_hours``) gives its duration to every cell it passes through along the
    great circle, not only to the cells of its end points.  Segments are cut into pieces no
    longer than a quarter of the mean cell edge; a piece whose two ends fall in different cells
    is bisected (``_BISECT_STEPS`` times) to find the boundary, so the attribution error is below
    0.4 % of one edge length per boundary crossing.
``distinct_vessels``
    Number of vessels with a ping or attributed time in the cell.
``gap_events``
    AIS gaps ("going dark"): a vessel that was moving (SOG ≥ ``gap_min_speed_kn``) and then sent
    nothing for ≥ ``gap_hours``.  Each gap counts once in its start cell and once in its end cell.
``loiter_events``
    Runs of pings slower than ``loiter_speed_kn`` lasting ≥ ``loiter_hours`` away from ports,
    placed at the run's central ping (the one nearest its spherical mean position) and counted
    in that ping's cell: the mean of a drifting, curved run may lie where the vessel never was.
``encounter_events``
    Two vessels within ``encounter_distance_m`` of each other, both slower than
    ``encounter_speed_kn``, for ≥ ``encounter_hours`` away from ports (the at-sea transfer
    pattern), placed at the position of either vessel nearest the pair's mean.  Positions are interpolated to a common ``_ENCOUNTER_STEP_MIN`` time grid and
    candidate pairs are found by joining on (time step, H3 cell and its neighbours), never by
    comparing every pair of vessels.

One ship under several vessel ids (two MMSIs at once: :mod:`pipeline.ingest.identity`) counts
once: its ids never meet each other; its ids' encounters with one other ship, loiter events
and gaps that overlap in time are one event (the longest); a gap of one id while another id of
the ship kept reporting is none; and a cell counts the ship once in ``distinct_vessels`` and
with the hours of its id with the most hours there in ``vessel_hours``.  The identity columns'
claim is checked by the positions: ids of one group farther apart than
:data:`ONE_SHIP_MAX_KM` while both report (a tug and its barge, two boats of a fleet giving
one name and call sign) are two ships, and nothing is counted once for them.

Positions are handled as unit vectors on the sphere, so segments and means are antimeridian-safe.
Pings that jump to an impossible position and straight back (implied speed above
``max_speed_kn`` on both sides) are dropped; any other segment faster than ``max_speed_kn`` gives
no time.  The work is done per chunk of whole vessels, so memory stays bounded on large tables.

Nightly runs (issue 15): time is attributed per *block* of one vessel's UTC day (its pings and
the segment to its next ping) and a (cell, vessel) sum adds the vessel's day sums in day
order; encounters are found per UTC day of the grid times, a day's key being its vessels'
ids and the digests of their grid points that day.  A day keeps the summaries of the
encounter runs inside it and the pair rows of the runs at its edges (which may go on in the
day before or after); only those rows are joined into runs across days.  A block's or a
day's result depends on its own inputs alone, so a run given memos
(:class:`pipeline.runner.cache.PartMemo`) takes every block and day whose inputs did not
change from them and computes the rest: a new day of pings recomputes about two days per
vessel, with the bits of a full pass.  Gaps, loitering and the grid points are computed for
every ping each run (they cost a few per cent of a night: README, "Incremental nights").

Combining partitions (issue 16): a block's time per cell is rounded once to fixed point
(``_HOURS_FX``, 2**-32 h) and a cell's ``vessel_hours`` is the integer sum of its blocks' times,
so sums are exact and independent of the order of partitions and engines; ``distinct_vessels``
adds up across partitions because a vessel lies in one.  Without a memo each partition
reduces its pings to these per-cell totals before they leave it, so the combine holds one row
per cell, not per (vessel-day, cell): its memory is set by the area, not by the tracks.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .errors import ConfigError, InputError
from .grid import average_hexagon_edge_length, check_lonlat, grid_disks, points_to_cells
from .schema import (
    CELL,
    DISTINCT_VESSELS,
    DURATION_HOURS,
    ENCOUNTER_EVENTS,
    END_LAT,
    END_LON,
    END_TIME,
    EVENT_COLUMNS,
    EVENT_TYPE,
    GAP_EVENTS,
    LAT,
    LOITER_EVENTS,
    LON,
    OTHER_VESSEL_ID,
    SOG,
    START_LAT,
    START_LON,
    START_TIME,
    TIME,
    VESSEL_HOURS,
    VESSEL_ID,
    require_columns,
)
from .sphere import (
    EARTH_RADIUS_KM,
    arc_to_chord_km,
    central_angle,
    haversine_km,
    lonlat_to_xyz,
    slerp,
    xyz_to_lonlat,
)

__all__ = [
    "EVENT_COLUMNS",
    "FEATURE_COLUMNS",
    "ONE_SHIP_MAX_KM",
    "TransitResult",
    "transit_features",
    "unobservable_events",
]

log = logging.getLogger(__name__)

KM_PER_NM = 1.852
_NS_PER_HOUR = 3_600_000_000_000
_NS_PER_DAY = 24 * _NS_PER_HOUR
_PIECES_PER_EDGE = 4
_BISECT_STEPS = 5
_ENCOUNTER_STEP_MIN = 10
_CHUNK_PINGS = 1_000_000
#: Hours are summed per cell in fixed point, in units of 2**-32 h (under a microsecond):
#: integer sums are exact, so a cell's total is the same bits whatever the partitions and
#: their order.  A cell holds up to 2**31 hours (245,000 vessel-years) in an int64.
_HOURS_FX = 2**32
#: The most hours a cell may total (int64 fixed point, with a margin).
_MAX_CELL_HOURS = 2.0**30
#: The widest ``encounter_distance_m`` (50 km): an encounter is two ships alongside or in
#: sight of each other; the pair search's buckets (H3 cells at least twice the distance wide)
#: would also stop holding every partner beyond ~554 km (half a resolution-0 edge).
ENCOUNTER_MAX_M = 50_000.0


FEATURE_COLUMNS = (
    CELL,
    VESSEL_HOURS,
    DISTINCT_VESSELS,
    GAP_EVENTS,
    LOITER_EVENTS,
    ENCOUNTER_EVENTS,
)
NO_PORTS_NOTE = "no ports layer: loitering and encounters are not filtered by distance to port"


@dataclass(frozen=True)
class TransitResult:
    """Per-cell transit factors, the event table and notes for the manifest.

    Attributes
    ----------
    features : pandas.DataFrame
        ``cell`` (uint64, sorted) then ``vessel_hours``, ``distinct_vessels``, ``gap_events``,
        ``loiter_events``, ``encounter_events`` (float64, 0 where none).
    events : pandas.DataFrame
        One row per event, columns :data:`EVENT_COLUMNS`, sorted by start time, type, vessel.
    notes : list of str
        Caveats the manifest should carry (e.g. no ports layer).
    after_until : int
        Positions left out for being after ``until`` (the run's ``as_of``).
    untimed : int
        Positions without a time (an untimed route), left out: they give no time, no
        vessel and no event.
    dropped_jumps : int
        Positions dropped as position jumps (reached and left faster than ``max_speed_kn``
        while their neighbours connect): ingest rejects those of one file, these are made
        by two files of one vessel together.
    repeated : int
        Positions at the time of an earlier position of their vessel, counted once.
    longest_track_hours : float
        The longest time from a vessel's first used ping to its last (0 without pings): an
        event that takes longer to happen (:func:`unobservable_events`) could not have
        been seen in any cell.
    longest_overlap_hours : float
        The longest time two vessels' tracks (first to last used ping) overlap (0 with fewer
        than two timed vessels): an encounter needs both followed for its whole length, so
        one long track beside short ones (a 2.4 h GPX walk beside 84 minutes of harbour AIS)
        cannot show an encounter of 2 h.
    """

    features: pd.DataFrame
    events: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    after_until: int = 0
    untimed: int = 0
    dropped_jumps: int = 0
    repeated: int = 0
    longest_track_hours: float = 0.0
    longest_overlap_hours: float = 0.0


# ----------------------------------------------------------------------------- preparation


@dataclass
class _Tracks:
    code: np.ndarray  # int64 vessel code, non-decreasing
    names: np.ndarray  # vessel id per code
    t: np.ndarray  # int64 ns since epoch
    lon: np.ndarray
    lat: np.ndarray
    sog: np.ndarray
    dropped_spikes: int
    repeated: int = 0  # pings at the time of an earlier ping of their vessel, dropped


def _prepare(pings: pd.DataFrame, max_speed_kn: float, names=None) -> _Tracks:
    """Sorted, cleaned arrays of ``pings``; codes index ``names`` (all vessels, sorted) if given."""
    require_columns(pings, (VESSEL_ID, TIME, LON, LAT), "pings")
    if names is None:
        codes, names = pd.factorize(pings[VESSEL_ID], sort=True)
    else:  # per run of one id (the files are sorted by vessel): ~10x fewer lookups
        vid = pings[VESSEL_ID].to_numpy(dtype=object)
        starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]]) if vid.size else vid[:0]
        codes = np.repeat(
            pd.Index(names).get_indexer(vid[starts]), np.diff(np.r_[starts, vid.size])
        )
    if (codes < 0).any():
        raise InputError(f"pings column {VESSEL_ID!r} has missing vessel ids")
    times = pings[TIME]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise InputError(
            f"pings column {TIME!r} must be timezone-aware UTC datetimes, got dtype {times.dtype!r}"
        )
    t = (
        times.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .to_numpy(dtype="datetime64[ns]")
        .view("int64")
    )
    lon = pings[LON].to_numpy(dtype="float64")
    lat = pings[LAT].to_numpy(dtype="float64")
    sog = (
        pings[SOG].to_numpy(dtype="float64", na_value=np.nan)
        if SOG in pings
        else np.full(len(pings), np.nan)
    )
    codes = codes.astype("int64")
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (t != np.iinfo("int64").min)
    order = None
    if len(codes) > 1:
        same = codes[1:] == codes[:-1]
        if (np.diff(codes) < 0).any() or (np.diff(t)[same] < 0).any():
            log.debug("pings are not sorted by vessel then time; sorting")
            order = np.lexsort((t, codes))
    if order is not None:
        codes, t, lon, lat, sog, ok = (a[order] for a in (codes, t, lon, lat, sog, ok))
    if not ok.all():
        codes, t, lon, lat, sog = (a[ok] for a in (codes, t, lon, lat, sog))
    # Exact duplicates in time (two overlapping track files, one file listed twice): keep the
    # first ping, and count them so the notes say so.
    repeated = 0
    if len(codes) > 1:
        dup = np.r_[False, (codes[1:] == codes[:-1]) & (t[1:] == t[:-1])]
        if dup.any():
            repeated = int(dup.sum())
            keep = ~dup
            codes, t, lon, lat, sog = (a[keep] for a in (codes, t, lon, lat, sog))
    spikes = _spikes(codes, t, lon, lat, max_speed_kn)
    if spikes.any():
        keep = ~spikes
        codes, t, lon, lat, sog = (a[keep] for a in (codes, t, lon, lat, sog))
    return _Tracks(
        codes, np.asarray(names, dtype=object), t, lon, lat, sog, int(spikes.sum()), repeated
    )


def _segment_speed_kn(code, t, lon, lat, xyz=None):
    """Return (same vessel, hours, km, knots) for each pair of consecutive pings."""
    same = code[1:] == code[:-1]
    hours = (t[1:] - t[:-1]) / _NS_PER_HOUR
    xyz = lonlat_to_xyz(lon, lat) if xyz is None else xyz
    km = EARTH_RADIUS_KM * central_angle(xyz[:-1], xyz[1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        kn = np.where(hours > 0, km / KM_PER_NM / hours, np.inf)
    return same, hours, km, kn


def _spikes(code, t, lon, lat, max_speed_kn) -> np.ndarray:
    """Pings reached and left at impossible speed while their neighbours connect plausibly."""
    n = len(code)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    same, _, _, kn = _segment_speed_kn(code, t, lon, lat)
    fast = same & (kn > max_speed_kn)
    mid_in, mid_out = fast[:-1], fast[1:]
    cand = np.flatnonzero(mid_in & mid_out) + 1
    if cand.size:
        _, _, _, skip = _segment_speed_kn(
            np.zeros(2 * cand.size, dtype="int64"),
            np.column_stack([t[cand - 1], t[cand + 1]]).ravel(),
            np.column_stack([lon[cand - 1], lon[cand + 1]]).ravel(),
            np.column_stack([lat[cand - 1], lat[cand + 1]]).ravel(),
        )
        plausible = skip[::2] <= max_speed_kn
        out[cand[plausible]] = True
    return out


#: Shortest span (seconds) over which a speed is read from positions alone: over a second,
#: 3 m of GPS noise is 6 kn; over a minute, 0.1 kn.
_BASELINE_S = 60.0


def _effective_sog(sog, same, kn, code=None, t=None, xyz=None):
    """SOG with unknown values filled from the implied speed of the adjacent segments.

    Where both adjacent segments are shorter than :data:`_BASELINE_S` (a phone logging every
    second, no SOG), the speed is read over the span from the ping to the first of its
    vessel's pings at least that much later (or earlier, at a track's end): position noise
    is then not speed, and a boat at anchor is slow.
    """
    out = sog.copy()
    miss = np.isnan(out)
    if miss.any() and len(out) > 1:
        k = np.where(same & np.isfinite(kn), kn, np.nan)
        nxt = np.r_[k, np.nan]
        prv = np.r_[np.nan, k]
        out[miss] = np.where(np.isnan(prv[miss]), nxt[miss], prv[miss])
        if code is not None:
            out[miss] = _baseline_kn(code, t, xyz, np.flatnonzero(miss), out[miss])
    return out


def _baseline_kn(code, t, xyz, idx, fallback):
    """Speed (kn) at pings ``idx`` over a span of at least :data:`_BASELINE_S` of their vessel.

    Only pings whose adjacent steps are both shorter than the span get it; the others (and
    a vessel whose whole track is shorter) keep ``fallback``.
    """
    n = code.size
    ts = (t - t.min()).astype("float64") / 1e9
    step = np.diff(ts)
    same = code[1:] == code[:-1]
    long_prev = np.r_[False, same & (step >= _BASELINE_S)]
    long_next = np.r_[same & (step >= _BASELINE_S), False]
    short = ~long_prev[idx] & ~long_next[idx]
    if not short.any():
        return fallback
    i = idx[short]
    # one sorted key over all vessels: a vessel's times, offset past the previous vessel's
    key = code.astype("float64") * (ts.max() + 2 * _BASELINE_S + 1.0) + ts
    j = np.searchsorted(key, key[i] + _BASELINE_S, side="left")
    ok = (j < n) & (code[np.minimum(j, n - 1)] == code[i])
    back = np.searchsorted(key, key[i] - _BASELINE_S, side="right") - 1
    use_back = ~ok & (back >= 0) & (code[np.maximum(back, 0)] == code[i])
    other = np.where(ok, np.minimum(j, n - 1), np.maximum(back, 0))
    found = ok | use_back
    a, b = np.minimum(i, other), np.maximum(i, other)
    hours = (t[b] - t[a]) / _NS_PER_HOUR
    km = EARTH_RADIUS_KM * central_angle(xyz[a], xyz[b])
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(found & (hours > 0), km / KM_PER_NM / hours, np.nan)
    out = fallback.copy()
    sub = out[short]
    sub[np.isfinite(speed)] = speed[np.isfinite(speed)]
    out[short] = sub
    return out


# ----------------------------------------------------------------------------- time attribution


def _attribute_time(lon, lat, xyz, seg, hours, km, label, resolution, piece_km, presence):
    """Return (cell, label, hours) pieces of the segments starting at pings ``seg``.

    ``label`` labels each ping (a piece takes its segment's start ping's); the pings
    ``presence`` mark their cells with zero hours (a vessel without any usable segment is
    still present where it was seen).
    """
    need = np.unique(np.concatenate([seg, seg + 1, presence]))
    ping_cells = np.zeros(lon.size, dtype="uint64")
    ping_cells[need] = points_to_cells(lon[need], lat[need], resolution)
    if seg.size == 0:  # no usable segment: the pings still mark the vessels' presence
        return ping_cells[presence], label[presence], np.zeros(presence.size)
    a = xyz[seg]
    b = xyz[seg + 1]
    omega = km / EARTH_RADIUS_KM
    n = np.maximum(1, np.ceil(km / piece_km)).astype("int64")
    # Cells at the n + 1 fractions k/n of every segment, laid out segment after segment.
    seq_off = np.cumsum(n + 1) - (n + 1)
    seq = np.empty(int((n + 1).sum()), dtype="uint64")
    seq[seq_off] = ping_cells[seg]
    seq[seq_off + n] = ping_cells[seg + 1]
    inner = n - 1
    m = int(inner.sum())
    if m:
        rep = np.repeat(np.arange(seg.size), inner)
        k = np.arange(m) - np.repeat(np.cumsum(inner) - inner, inner) + 1
        tf = k / n[rep]
        plon, plat = xyz_to_lonlat(slerp(a[rep], b[rep], tf, omega[rep]))
        seq[seq_off[rep] + k] = points_to_cells(plon, plat, resolution)
        del plon, plat, tf
    piece_seg = np.repeat(np.arange(seg.size), n)
    piece_k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    lo_idx = seq_off[piece_seg] + piece_k
    c_lo = seq[lo_idx]
    c_hi = seq[lo_idx + 1]
    w = (hours / n)[piece_seg]
    cross = np.flatnonzero(c_lo != c_hi)
    frac_lo = np.ones(piece_seg.size)
    if cross.size:
        s = piece_seg[cross]
        t0 = piece_k[cross] / n[s]
        t1 = (piece_k[cross] + 1) / n[s]
        lo, hi = t0.copy(), t1.copy()
        aa, bb = a[s], b[s]
        om = omega[s]
        ref = c_lo[cross]
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            mc = points_to_cells(*xyz_to_lonlat(slerp(aa, bb, mid, om)), resolution)
            in_lo = mc == ref
            lo = np.where(in_lo, mid, lo)
            hi = np.where(in_lo, hi, mid)
        frac_lo[cross] = (0.5 * (lo + hi) - t0) / (t1 - t0)
    cells = np.concatenate([c_lo, c_hi[cross]])
    labels = np.concatenate([label[seg][piece_seg], label[seg][piece_seg[cross]]])
    hrs = np.concatenate([w * frac_lo, w[cross] * (1.0 - frac_lo[cross])])
    cells = np.concatenate([cells, ping_cells[presence]])
    labels = np.concatenate([labels, label[presence]])
    hrs = np.concatenate([hrs, np.zeros(presence.size)])
    return cells, labels, hrs


def _group_block_cell(cells, block, hrs):
    """Sum hours per (block, cell) pair; return (block, cell, hours), one row per pair.

    A pair's sum adds the pieces of that block (one vessel's day) in their order alone, so it
    is the same whichever other blocks were computed beside it.
    """
    ccode, cuniq = pd.factorize(cells)
    nc = max(len(cuniq), 1)
    key = block.astype("int64") * nc + ccode.astype("int64")
    kcode, kuniq = pd.factorize(key)
    sums = np.bincount(kcode, weights=hrs, minlength=kuniq.size)
    return kuniq // nc, np.asarray(cuniq)[kuniq % nc].astype("uint64"), sums


def _day_blocks(code, t, lon, lat, names, known):
    """Split a chunk's pings into blocks of one vessel's UTC day, each with its content hash.

    A block's time attribution depends on its pings and the vessel's next ping (the segment
    to it starts in the block): the hash covers exactly those, with the vessel id.  Returns
    (block of each ping, block starts, hashes, days, which blocks ``known`` lacks).
    """
    import hashlib

    day = np.floor_divide(t, _NS_PER_DAY)
    n = code.size
    if n == 0:
        empty = np.empty(0, "int64")
        return empty, empty, np.empty(0, dtype=object), empty, np.empty(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])])
    stops = np.r_[starts[1:], n]
    # the next ping of the same vessel belongs to the block's last segment
    ends = np.where(
        (stops < n) & (code[np.minimum(stops, n - 1)] == code[starts]), stops + 1, stops
    )
    raw = np.ascontiguousarray(np.column_stack([t.view("float64"), lon, lat])).view("uint8")
    width = raw.shape[1]
    buf = raw.reshape(-1).data
    vid = names[code[starts]]
    hashes = np.empty(starts.size, dtype=object)
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        h = hashlib.sha256(str(vid[i]).encode())
        h.update(buf[a * width : b * width])
        hashes[i] = h.hexdigest()[:24]
    new = np.array([h not in known for h in hashes], dtype=bool)
    block = np.repeat(np.arange(starts.size), stops - starts)
    return block, starts, hashes, day[starts], new


# ----------------------------------------------------------------------------- events


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            EVENT_TYPE: pd.Series([], dtype=object),
            VESSEL_ID: pd.Series([], dtype=object),
            OTHER_VESSEL_ID: pd.Series([], dtype=object),
            START_TIME: pd.Series([], dtype="datetime64[ns, UTC]"),
            END_TIME: pd.Series([], dtype="datetime64[ns, UTC]"),
            **{
                c: pd.Series([], dtype="float64")
                for c in (DURATION_HOURS, START_LON, START_LAT, END_LON, END_LAT, LON, LAT)
            },
            CELL: pd.Series([], dtype="uint64"),
        }
    )


def _events_frame(kind, vessel, other, t0, t1, lon0, lat0, lon1, lat1, lon, lat, resolution):
    n = len(t0)
    if n == 0:
        return _empty_events()
    return pd.DataFrame(
        {
            EVENT_TYPE: np.full(n, kind, dtype=object),
            VESSEL_ID: np.asarray(vessel, dtype=object),
            OTHER_VESSEL_ID: (
                np.asarray(other, dtype=object) if other is not None else np.full(n, None, object)
            ),
            START_TIME: pd.to_datetime(np.asarray(t0, dtype="int64"), utc=True),
            END_TIME: pd.to_datetime(np.asarray(t1, dtype="int64"), utc=True),
            DURATION_HOURS: (np.asarray(t1) - np.asarray(t0)) / _NS_PER_HOUR,
            START_LON: lon0,
            START_LAT: lat0,
            END_LON: lon1,
            END_LAT: lat1,
            LON: lon,
            LAT: lat,
            CELL: points_to_cells(lon, lat, resolution),
        }
    )


def _run_rows(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the runs ``[starts[k], ends[k]]`` one after another; each run's first and size."""
    n = ends - starts + 1
    first = np.r_[0, np.cumsum(n)[:-1]]
    return np.repeat(starts - first, n) + np.arange(int(n.sum())), first, n


def _first_max(values: np.ndarray, first: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Index of the first largest value of each run ``values[first[k] : first[k] + n[k]]``."""
    top = np.maximum.reduceat(values, first)
    hit = np.flatnonzero(values == np.repeat(top, n))
    return hit[np.searchsorted(hit, first)]


def _run_central_points(xyz: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the row of each run ``xyz[starts[k] : ends[k] + 1]`` nearest the run's mean.

    The mean is the run's spherical mean (the direction of its vectors' sum, summed per run,
    so it does not depend on what comes before the run).  The row returned is a position the
    vessel was at, so an event's cell is one its pings or track reach: the mean of a curved
    run may lie in a cell no track crosses.  Ties go to the earliest row.
    """
    rows, first, n = _run_rows(starts, ends)
    v = xyz[rows]
    total = np.add.reduceat(v, first, axis=0)
    near = np.einsum("ij,ij->i", v, np.repeat(total, n, axis=0))
    return rows[_first_max(near, first, n)]


def _far_from_ports(lon, lat, ports_tree, port_radius_km) -> np.ndarray:
    if ports_tree is None or len(lon) == 0:
        return np.ones(len(lon), dtype=bool)
    d, _ = ports_tree.query(lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM, k=1)
    return d > arc_to_chord_km(port_radius_km)


def _gap_events(tr: _Tracks, sl, same, hours, kn, gap_hours, gap_min_speed_kn, res):
    """Segments of ``gap_hours`` or more that start while the vessel was moving."""
    idx = np.flatnonzero(same & (hours >= gap_hours))
    if idx.size == 0:
        return _empty_events()
    # Unknown SOG: use the speed over the segment before the gap, never the gap itself.
    sog = tr.sog[sl][idx]
    prev = np.where((idx > 0) & same[idx - 1] & (hours[idx - 1] > 0), kn[idx - 1], np.nan)
    moving = np.where(np.isnan(sog), prev, sog) >= gap_min_speed_kn
    idx = idx[moving]
    i0, i1 = idx + sl.start, idx + 1 + sl.start
    return _events_frame(
        "gap",
        tr.names[tr.code[i0]],
        None,
        tr.t[i0],
        tr.t[i1],
        tr.lon[i0],
        tr.lat[i0],
        tr.lon[i1],
        tr.lat[i1],
        tr.lon[i0],
        tr.lat[i0],
        res,
    )


#: Distance (nautical miles, ~100 m) a segment between two slow pings may span whatever its
#: duration: position noise of seconds-apart pings is not movement.
_STAY_NOISE_NM = 0.054


def _stays(kn, hours, speed_kn) -> np.ndarray:
    """Whether each segment's own distance fits a vessel slower than ``speed_kn``.

    Within twice the speed (a drift's positions wander), or within the noise floor.  Two slow
    pings hours apart with 50 nm between them (a vessel that went dark and moved on), or a
    convoy at 12 kn whose SOG field is stuck at 0, are not one stay.
    """
    nm = np.where(np.isfinite(kn), kn, 0.0) * hours
    return nm <= np.maximum(_STAY_NOISE_NM, 2.0 * speed_kn * hours)


def _loiter_events(tr, sl, same, hours, kn, sog_eff, loiter_speed_kn, loiter_hours, max_seg_h, res):
    slow = sog_eff < loiter_speed_kn
    link = same & (hours <= max_seg_h) & slow[:-1] & slow[1:]
    link &= _stays(kn, hours, loiter_speed_kn)
    starts = np.flatnonzero(slow & ~np.r_[False, link])
    ends = np.flatnonzero(slow & ~np.r_[link, False])
    t = tr.t[sl]
    dur = t[ends] - t[starts]
    keep = dur >= loiter_hours * _NS_PER_HOUR
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return _empty_events()
    lon, lat = tr.lon[sl], tr.lat[sl]
    mid = _run_central_points(lonlat_to_xyz(lon, lat), starts, ends)
    code = tr.code[sl]
    return _events_frame(
        "loiter",
        tr.names[code[starts]],
        None,
        t[starts],
        t[ends],
        lon[starts],
        lat[starts],
        lon[ends],
        lat[ends],
        lon[mid],
        lat[mid],
        res,
    )


def _encounter_points(tr, sl, sog_eff, speed_kn, same, hours, kn, max_seg_h):
    """Positions of slow vessels on the common time grid: (grid index, lon, lat, vessel code).

    Per chunk of whole vessels: the segments between two pings slower than ``speed_kn`` whose
    own distance fits that speed (:func:`_stays`; short and plausible), interpolated at every
    ``_ENCOUNTER_STEP_MIN`` grid time they span.
    """
    step = _ENCOUNTER_STEP_MIN * 60 * 1_000_000_000
    empty = (np.empty(0, "int64"), np.empty(0), np.empty(0), np.empty(0, "int64"))
    slow = sog_eff < speed_kn
    seg = np.flatnonzero(
        same
        & (hours <= max_seg_h)
        & _stays(kn, hours, speed_kn)
        & slow[:-1]
        & slow[1:]
        & (hours > 0)
    )
    if seg.size == 0:
        return empty
    seg = seg + sl.start
    t0, t1 = tr.t[seg], tr.t[seg + 1]
    g0 = -(-t0 // step)  # first grid index >= t0
    g1 = -(-t1 // step)  # first grid index >= t1 (half-open)
    cnt = np.maximum(g1 - g0, 0)
    keep = cnt > 0
    seg, t0, t1, g0, cnt = seg[keep], t0[keep], t1[keep], g0[keep], cnt[keep]
    if seg.size == 0:
        return empty
    rep = np.repeat(np.arange(seg.size), cnt)
    g = g0[rep] + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    frac = (g * step - t0[rep]) / (t1 - t0)[rep]
    s = seg[rep]
    a = lonlat_to_xyz(tr.lon[s], tr.lat[s])
    b = lonlat_to_xyz(tr.lon[s + 1], tr.lat[s + 1])
    plon, plat = xyz_to_lonlat(slerp(a, b, frac, central_angle(a, b)))
    return g.astype("int64"), plon, plat, tr.code[s].astype("int64")


def _encounter_pairs(g, plon, plat, vess, dist_m):
    """Pairs of grid points of two vessels within ``dist_m`` at the same grid time.

    Returns (vessel a, vessel b, grid index, lon/lat of a, lon/lat of b) with a < b; found by
    joining on (grid time, cell and its neighbours), never by comparing every pair.  Only
    points of one grid time meet, so the points can be given a block of grid times at a time.
    """
    empty = tuple(np.empty(0, "int64") for _ in range(3)) + tuple(np.empty(0) for _ in range(4))
    if g.size == 0:
        return empty
    # The bucket resolution: cells at least 2x the distance wide, so a partner is in the
    # point's own cell or one of its 6 neighbours.
    bres = next(
        (r for r in range(15, -1, -1) if average_hexagon_edge_length(r, unit="m") * 0.5 >= dist_m),
        None,
    )
    if bres is None:  # no bucket holds a partner this far: pairs would be missed, not found
        raise ValueError(f"an encounter distance of {dist_m:g} m is wider than any H3 bucket")
    cells = points_to_cells(plon, plat, bres)
    ucells = np.unique(cells)
    cidx = pd.Index(ucells)
    ccode = cidx.get_indexer(cells).astype("int64")
    gmin = g.min()
    key = (g - gmin) * ucells.size + ccode
    order = np.argsort(key, kind="stable")
    skey = key[order]
    # Neighbour lookup: for each unique cell its disk of radius 1, as codes into ucells.
    owner, flat = grid_disks(ucells, 1)
    ncode = cidx.get_indexer(flat).astype("int64")
    okn = ncode >= 0
    owner, ncode = owner[okn], ncode[okn]
    nb_off = np.r_[0, np.cumsum(np.bincount(owner, minlength=ucells.size))]
    # For each point p: each neighbour cell code q of its cell -> key range of points there.
    nper = nb_off[ccode + 1] - nb_off[ccode]
    prep = np.repeat(np.arange(g.size), nper)
    qi = nb_off[ccode[prep]] + (
        np.arange(int(nper.sum())) - np.repeat(np.cumsum(nper) - nper, nper)
    )
    qkey = (g[prep] - gmin) * ucells.size + ncode[qi]
    lo = np.searchsorted(skey, qkey, "left")
    hi = np.searchsorted(skey, qkey, "right")
    m = hi - lo
    pi = np.repeat(prep, m)
    pj = order[np.repeat(lo, m) + (np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m))]
    del prep, qi, qkey, lo, hi, m
    keep = vess[pi] < vess[pj]
    pi, pj = pi[keep], pj[keep]
    d_m = 1000.0 * haversine_km(plon[pi], plat[pi], plon[pj], plat[pj])
    keep = d_m <= dist_m
    pi, pj = pi[keep], pj[keep]
    return vess[pi], vess[pj], g[pi], plon[pi], plat[pi], plon[pj], plat[pj]


#: Grid times (``_ENCOUNTER_STEP_MIN`` each) in a UTC day.
_GRID_PER_DAY = _NS_PER_DAY // (_ENCOUNTER_STEP_MIN * 60 * 1_000_000_000)


def _point_day_digests(pts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (vessel code, UTC day, digest) of each vessel's grid points of each day.

    ``pts`` are (grid index, lon, lat, vessel code) of whole vessels; a digest is the
    sha256 of the vessel's (grid index, lon, lat) of the day in time order, so a day's
    pairs (:func:`_encounters_by_day`) are a function of its vessels' ids and digests.
    """
    import hashlib

    g, lon, lat, v = pts
    if g.size == 0:
        return np.empty(0, "int64"), np.empty(0, "int64"), np.empty(0, dtype=object)
    if g.size > 1 and ((np.diff(v) < 0).any() or (np.diff(g)[v[1:] == v[:-1]] <= 0).any()):
        o = np.lexsort((g, v))
        g, lon, lat, v = g[o], lon[o], lat[o], v[o]
    day = np.floor_divide(g, _GRID_PER_DAY)
    starts = np.flatnonzero(np.r_[True, (v[1:] != v[:-1]) | (day[1:] != day[:-1])])
    stops = np.r_[starts[1:], g.size]
    raw = np.ascontiguousarray(np.column_stack([g.astype("int64").view("float64"), lon, lat])).view(
        "uint8"
    )
    width = raw.shape[1]
    buf = raw.reshape(-1).data
    digests = np.array(
        [
            hashlib.sha256(buf[a * width : b * width]).hexdigest()[:32]
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True)
        ],
        dtype=object,
    )
    return v[starts].astype("int64"), day[starts].astype("int64"), digests


def _sorted_pairs(pairs) -> tuple[np.ndarray, ...]:
    """Pairs sorted by (vessel a, vessel b, grid time), repeated (a, b, time) rows dropped."""
    va, vb, gg, ilon, ilat, jlon, jlat = pairs
    o = np.lexsort((gg, vb, va))
    va, vb, gg, ilon, ilat, jlon, jlat = (x[o] for x in (va, vb, gg, ilon, ilat, jlon, jlat))
    dup = np.r_[False, (va[1:] == va[:-1]) & (vb[1:] == vb[:-1]) & (gg[1:] == gg[:-1])]
    if dup.any():
        va, vb, gg, ilon, ilat, jlon, jlat = (x[~dup] for x in (va, vb, gg, ilon, ilat, jlon, jlat))
    return va, vb, gg, ilon, ilat, jlon, jlat


def _pair_runs(va, vb, gg) -> tuple[np.ndarray, np.ndarray]:
    """First and last row of each run of consecutive grid times of one pair (sorted rows)."""
    if va.size == 0:
        return np.empty(0, "int64"), np.empty(0, "int64")
    cont = (va[1:] == va[:-1]) & (vb[1:] == vb[:-1]) & (gg[1:] == gg[:-1] + 1)
    return np.flatnonzero(~np.r_[False, cont]), np.flatnonzero(~np.r_[cont, False])


#: The columns of an encounter run's summary (:func:`_run_summaries`).
_RUN_COLUMNS = ("va", "vb", "g0", "g1", "lon0", "lat0", "lon1", "lat1", "clon", "clat")


def _run_summaries(sorted_pairs, starts, ends, min_hours) -> dict[str, np.ndarray]:
    """Summaries of the runs ``[starts[k], ends[k]]`` of sorted pairs lasting ``min_hours``.

    Each run's vessels, first and last grid time, first vessel's first and last position,
    and the position of either vessel, at any step of the run, nearest the pair's mean: a
    function of the run's own rows alone.
    """
    va, vb, gg, ilon, ilat, jlon, jlat = sorted_pairs
    npts = ends - starts + 1
    keep = npts * _ENCOUNTER_STEP_MIN / 60.0 >= min_hours - 1e-9
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return {
            c: np.empty(0, "int64" if c in ("va", "vb", "g0", "g1") else "float64")
            for c in _RUN_COLUMNS
        }
    rows, first, n = _run_rows(starts, ends)
    vi = lonlat_to_xyz(ilon[rows], ilat[rows])
    vj = lonlat_to_xyz(jlon[rows], jlat[rows])
    total = np.repeat(np.add.reduceat(vi + vj, first, axis=0), n, axis=0)
    near_i = np.einsum("ij,ij->i", vi, total)
    near_j = np.einsum("ij,ij->i", vj, total)
    bi, bj = _first_max(near_i, first, n), _first_max(near_j, first, n)
    take_i = near_i[bi] >= near_j[bj]  # ties: the first vessel
    return {
        "va": va[starts],
        "vb": vb[starts],
        "g0": gg[starts],
        "g1": gg[ends],
        "lon0": ilon[starts],
        "lat0": ilat[starts],
        "lon1": ilon[ends],
        "lat1": ilat[ends],
        "clon": np.where(take_i, ilon[rows[bi]], jlon[rows[bj]]),
        "clat": np.where(take_i, ilat[rows[bi]], jlat[rows[bj]]),
    }


def _summaries_frame(s: dict[str, np.ndarray], names, res) -> pd.DataFrame:
    """Encounter events of run summaries, in the order given."""
    if s["va"].size == 0:
        return _empty_events()
    step = _ENCOUNTER_STEP_MIN * 60 * 1_000_000_000
    return _events_frame(
        "encounter",
        names[s["va"]],
        names[s["vb"]],
        s["g0"] * step,
        (s["g1"] + 1) * step,
        s["lon0"],
        s["lat0"],
        s["lon1"],
        s["lat1"],
        s["clon"],
        s["clat"],
        res,
    )


def _encounter_runs(pairs, names, min_hours, res) -> pd.DataFrame:
    """Encounter events: runs of consecutive grid times of one pair lasting ``min_hours``."""
    if pairs[0].size == 0:
        return _empty_events()
    sp = _sorted_pairs(pairs)
    starts, ends = _pair_runs(*sp[:3])
    return _summaries_frame(_run_summaries(sp, starts, ends, min_hours), names, res)


#: Rows a day keeps in the memo (:func:`_encounters_by_day`): a run inside the day (its
#: summary), a pair's grid time in a run at the day's edge, or a day without either.
_DAY_EVENT, _DAY_EDGE, _DAY_NONE = 0, 1, 2
_DAY_COLUMNS = ("kind", "va", "vb", "g", "g1", "alon", "alat", "blon", "blat", "clon", "clat")


def _day_rows(pairs, day: int, min_hours: float) -> dict[str, np.ndarray]:
    """Split one UTC day's pairs into the summaries of its inner runs and its edge rows.

    A run that starts at the day's first grid time or ends at its last may go on in the
    day before or after: its rows are kept as they are (``_DAY_EDGE``), to be joined with
    the other days' edge rows.  Every other run lies inside the day: its summary
    (``_DAY_EVENT``, :func:`_run_summaries`) is the one a pass over all days gives.
    """
    sp = _sorted_pairs(pairs)
    va, vb, gg, ilon, ilat, jlon, jlat = sp
    starts, ends = _pair_runs(va, vb, gg)
    lo = day * _GRID_PER_DAY
    edge = (gg[starts] == lo) | (gg[ends] == lo + _GRID_PER_DAY - 1)
    s = _run_summaries(sp, starts[~edge], ends[~edge], min_hours)
    rows = _run_rows(starts[edge], ends[edge])[0] if edge.any() else np.empty(0, "int64")
    nan = np.full(rows.size, np.nan)
    kind = np.r_[np.full(s["va"].size, _DAY_EVENT), np.full(rows.size, _DAY_EDGE)]
    out = {
        "kind": kind.astype("int8"),
        "va": np.r_[s["va"], va[rows]],
        "vb": np.r_[s["vb"], vb[rows]],
        "g": np.r_[s["g0"], gg[rows]],
        "g1": np.r_[s["g1"], gg[rows]],
        "alon": np.r_[s["lon0"], ilon[rows]],
        "alat": np.r_[s["lat0"], ilat[rows]],
        "blon": np.r_[s["lon1"], jlon[rows]],
        "blat": np.r_[s["lat1"], jlat[rows]],
        "clon": np.r_[s["clon"], nan],
        "clat": np.r_[s["clat"], nan],
    }
    if not kind.size:  # kept too, so that an unchanged day is not paired again
        out = {c: np.zeros(1, "int8" if c == "kind" else v.dtype) for c, v in out.items()}
        out["kind"][:] = _DAY_NONE
    return out


def _day_keys(digests, names, dist_m) -> tuple[np.ndarray, list[str], list[np.ndarray]]:
    """Return each UTC day with grid points, its hash and its vessels (codes, sorted).

    ``digests`` are (vessel code, day, digest) of every vessel-day
    (:func:`_point_day_digests`); a day's hash covers its vessels' ids and digests.
    """
    import hashlib

    vc, day, dg = digests
    if day.size == 0:
        return day, [], []
    o = np.lexsort((vc, day))
    vc, day, dg = vc[o], day[o], dg[o]
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    stops = np.r_[starts[1:], day.size]
    keys, vessels = [], []
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        h = hashlib.sha256(f"{dist_m!r}|{int(day[a])}|".encode())
        h.update("\0".join(map(str, names[vc[a:b]])).encode())
        h.update("|".join(dg[a:b]).encode())
        keys.append(h.hexdigest()[:24])
        vessels.append(vc[a:b])
    return day[starts], keys, vessels


def _encounters_by_day(points, digests, dist_m, min_hours, memo, names, res) -> pd.DataFrame:
    """Encounter events, each UTC day's share of them kept in ``memo`` under the day's hash.

    Only points of one grid time pair, so a day's pairs depend on that day's grid points
    alone, and those on its vessels' ids and point digests (:func:`_day_keys`): a day
    whose hash the memo holds is not read or paired again.  Per day the memo keeps the
    summaries of the runs inside the day and the rows of the runs at its edges
    (:func:`_day_rows`); the edge rows of all days are joined into runs here, as a pass
    over all days would join them, and the events are in that pass's order (by vessel,
    other vessel, start).  The memo holds a pair's vessels as positions in its day's
    vessels, which the day's hash covers, so a day taken from it maps them back to this
    run's codes with no lookup of ids.  The result is :func:`_encounter_runs` of all the
    pairs, bit for bit.
    """
    try:
        return _day_encounters(points, digests, dist_m, min_hours, memo, names, res)
    finally:  # the points of the days from the memo are not read: the spill goes all the same
        points.close()


def _day_encounters(points, digests, dist_m, min_hours, memo, names, res) -> pd.DataFrame:
    days, keys, day_vessels = _day_keys(digests, names, dist_m)
    known = memo.known()
    dirty = [i for i, k in enumerate(keys) if k not in known]
    log.info(
        "transit: encounter pairs of %d day(s) from the memo, %d computed",
        len(keys) - len(dirty),
        len(dirty),
    )
    parts: list[dict[str, np.ndarray]] = []
    day_of_part: list[int] = []
    rows_of_part: list[np.ndarray] = []
    old = [k for k in keys if k in known]
    if old:
        got, counts = memo.reuse(old)  # the memo keeps them; flushed below
        parts.append({c: got[c] for c in _DAY_COLUMNS})
        day_of_part += [i for i, k in enumerate(keys) if k in known]
        rows_of_part.append(counts)
    if dirty:
        at = {int(d): i for i, d in enumerate(days.tolist())}
        fresh: dict[str, list[np.ndarray]] = {c: [] for c in (*_DAY_COLUMNS, "part")}
        for g, lon, lat, v in points.of_days(days[dirty]):
            dd = np.floor_divide(g, _GRID_PER_DAY)
            o = np.lexsort((lat, lon, v, g, dd))
            g, lon, lat, v, dd = g[o], lon[o], lat[o], v[o], dd[o]
            cut = np.flatnonzero(np.r_[True, dd[1:] != dd[:-1], True])
            for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
                i = at[int(dd[a])]
                got = _day_rows(
                    _encounter_pairs(g[a:b], lon[a:b], lat[a:b], v[a:b], dist_m),
                    int(dd[a]),
                    min_hours,
                )
                u = day_vessels[i]
                for c in ("va", "vb"):
                    got[c] = np.searchsorted(u, got[c])
                for c in _DAY_COLUMNS:
                    fresh[c].append(got[c])
                fresh["part"].append(np.full(got["kind"].size, keys[i], dtype=object))
                day_of_part.append(i)
        new = {c: np.concatenate(x) for c, x in fresh.items()}
        memo.add(new["part"], {c: new[c] for c in _DAY_COLUMNS})
        parts.append({c: new[c] for c in _DAY_COLUMNS})
        rows_of_part.append(np.array([x.size for x in fresh["part"]], "int64"))
    memo.flush()
    if not parts:
        return _empty_events()
    n = np.concatenate(rows_of_part)
    day_idx = np.asarray(day_of_part, "int64")
    rows = {c: np.concatenate([p[c] for p in parts]) for c in _DAY_COLUMNS}
    # each row's day-local vessel positions back to this run's codes
    sizes = np.array([u.size for u in day_vessels], "int64")
    base = np.repeat((np.cumsum(sizes) - sizes)[day_idx], n)
    codes = np.concatenate(day_vessels).astype("int64")
    kind = rows["kind"]
    va = codes[base + rows["va"].astype("int64")]
    vb = codes[base + rows["vb"].astype("int64")]
    ev, ed = kind == _DAY_EVENT, kind == _DAY_EDGE
    inner = {
        "va": va[ev],
        "vb": vb[ev],
        "g0": rows["g"][ev].astype("int64"),
        "g1": rows["g1"][ev].astype("int64"),
        **{
            c: rows[m][ev].astype("float64")
            for c, m in (
                ("lon0", "alon"),
                ("lat0", "alat"),
                ("lon1", "blon"),
                ("lat1", "blat"),
                ("clon", "clon"),
                ("clat", "clat"),
            )
        },
    }
    sp = _sorted_pairs(
        (
            va[ed],
            vb[ed],
            rows["g"][ed].astype("int64"),
            *(rows[c][ed].astype("float64") for c in ("alon", "alat", "blon", "blat")),
        )
    )
    starts, ends = _pair_runs(*sp[:3])
    edge = _run_summaries(sp, starts, ends, min_hours)
    s = {c: np.r_[inner[c], edge[c]] for c in _RUN_COLUMNS}
    o = np.lexsort((s["g0"], s["vb"], s["va"]))  # a pass over all days: pair, then time
    return _summaries_frame({c: v[o] for c, v in s.items()}, names, res)


#: Grid points paired in one join (whole grid times): the join's temporaries are set by it.
_PAIR_BLOCK_POINTS = 65_536
#: Grid times (10 minutes each) per bin of the spilled points' histogram: an hour.
_HIST_STEPS = 6


def _pairs_in_blocks(g, plon, plat, vess, dist_m):
    """:func:`_encounter_pairs` over blocks of whole grid times, ``_PAIR_BLOCK_POINTS`` or so.

    Only points of one grid time pair, so the pairs are those of one join; the runs built
    from them sort them, so their order does not matter.
    """
    n = g.size
    if n <= _PAIR_BLOCK_POINTS:
        return _encounter_pairs(g, plon, plat, vess, dist_m)
    o = np.argsort(g, kind="stable")
    g, plon, plat, vess = g[o], plon[o], plat[o], vess[o]
    cuts = np.searchsorted(g, g[np.arange(_PAIR_BLOCK_POINTS, n, _PAIR_BLOCK_POINTS)], "left")
    bounds = np.unique(np.r_[0, cuts, n])
    found = [
        _encounter_pairs(g[i:j], plon[i:j], plat[i:j], vess[i:j], dist_m)
        for i, j in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return tuple(np.concatenate(x) for x in zip(*found, strict=True))


class _EncounterPoints:
    """Grid points of slow vessels gathered chunk by chunk; paired a block of times at a time.

    Up to ``max_points`` they stay in memory; beyond, they go to a Parquet file (each
    partition's points sorted by time, in small row groups) and are read back one block of
    about ``max_points`` points of consecutive grid times at a time (only points of one grid
    time can pair; the blocks are cut from an hourly count kept while adding, and a block
    reads only the row groups whose times overlap it).  The pairs are searched
    ``_PAIR_BLOCK_POINTS`` at a time, so memory is set by those sizes, not by the tracks.
    """

    def __init__(self, max_points: int, spill_dir=None) -> None:
        self.max_points = max_points
        self.spill_dir = spill_dir
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.n = 0
        self.writer: Any = None
        self.path: Any = None
        self._tmp: Any = None
        self.hist: dict[int, int] = {}  # points per hour bin of grid times

    def add(self, pts) -> None:
        if pts[0].size == 0:
            return
        self.parts.append(pts)
        self.n += pts[0].size
        bins, counts = np.unique(np.floor_divide(pts[0], _HIST_STEPS), return_counts=True)
        for k, c in zip(bins.tolist(), counts.tolist(), strict=True):
            self.hist[k] = self.hist.get(k, 0) + c
        if self.n > self.max_points or self.writer is not None:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.writer is None:
            import tempfile
            from pathlib import Path

            self._tmp = tempfile.TemporaryDirectory(prefix="encounters-", dir=self.spill_dir)
            self.path = Path(self._tmp.name) / "points.parquet"
            schema = pa.schema(
                [("g", pa.int64()), ("lon", pa.float64()), ("lat", pa.float64()), ("v", pa.int64())]
            )
            self.writer = pq.ParquetWriter(self.path, schema)
        for g, lon, lat, v in self.parts:
            o = np.argsort(g, kind="stable")  # row-group statistics then skip most blocks
            self.writer.write_table(
                pa.table({"g": g[o], "lon": lon[o], "lat": lat[o], "v": v[o]}),
                row_group_size=8_192,
            )
        self.parts = []

    def _edges(self, per: int) -> np.ndarray:
        """Grid-time edges of blocks of about ``max_points`` points, cut at multiples of ``per``."""
        bins = np.array(sorted(self.hist), dtype="int64")
        counts = np.array([self.hist[k] for k in bins.tolist()], dtype="int64")
        unit = np.floor_divide(bins * _HIST_STEPS, per)  # the block unit (hour or day) of a bin
        units, first = np.unique(unit, return_index=True)
        per_unit = np.add.reduceat(counts, first)
        edges = [int(units[0])]
        size = 0
        for u, c in zip(units.tolist(), per_unit.tolist(), strict=True):
            if size and size + c > self.max_points:
                edges.append(u)
                size = 0
            size += c
        edges.append(int(units[-1]) + 1)
        return np.asarray(edges, dtype="int64") * per

    def _read(self, pf, a: int, b: int) -> tuple[np.ndarray, ...]:
        """Return the spilled points with grid times in ``[a, b)``, a row group at a time."""
        md = pf.metadata
        parts = []
        for r in range(md.num_row_groups):
            st = md.row_group(r).column(0).statistics
            if st is not None and st.has_min_max and (st.max < a or st.min >= b):
                continue
            t = pf.read_row_group(r, use_threads=False)
            g = t.column("g").to_numpy()
            keep = (g >= a) & (g < b)
            if keep.any():
                parts.append(tuple(t.column(c).to_numpy()[keep] for c in ("g", "lon", "lat", "v")))
        if not parts:
            return (np.empty(0, "int64"), np.empty(0), np.empty(0), np.empty(0, "int64"))
        return tuple(np.concatenate(x) for x in zip(*parts, strict=True))

    def pairs(self, dist_m: float):
        """Return the pairs of all the points (:func:`_encounter_pairs`)."""
        if self.writer is None:
            if not self.parts:
                return _encounter_pairs(*(np.empty(0, "int64"),) * 4, dist_m)
            g, lon, lat, v = (np.concatenate(x) for x in zip(*self.parts, strict=True))
            self.parts = []
            return _pairs_in_blocks(g, lon, lat, v, dist_m)
        found = [
            _pairs_in_blocks(g, lon, lat, v, dist_m) for g, lon, lat, v in self._blocks(_HIST_STEPS)
        ]
        return tuple(np.concatenate(x) for x in zip(*found, strict=True))

    def of_days(self, days: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        """Yield the points of the UTC ``days`` (grid times of whole days), a block at a time."""
        days = np.unique(np.asarray(days, dtype="int64"))
        if self.writer is None:
            if self.parts:
                g, lon, lat, v = (np.concatenate(x) for x in zip(*self.parts, strict=True))
                self.parts = []
                keep = np.isin(np.floor_divide(g, _GRID_PER_DAY), days)
                yield g[keep], lon[keep], lat[keep], v[keep]
            return
        yield from self._blocks(_GRID_PER_DAY, days)

    def _blocks(self, per: int, days: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, ...]]:
        """Yield the spilled points a block of whole units of ``per`` grid times at a time.

        With ``days``, only the points of those UTC days (``per`` a day), and only the
        blocks holding any of them are read.  The spill is removed afterwards.
        """
        import pyarrow.parquet as pq

        self.writer.close()
        pf = pq.ParquetFile(self.path)
        try:
            edges = self._edges(per)
            for a, b in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
                if days is not None:
                    lo, hi = np.searchsorted(days, [a // per, b // per])
                    if lo == hi:
                        continue
                g, lon, lat, v = self._read(pf, a, b)
                if days is not None:
                    keep = np.isin(np.floor_divide(g, per), days)
                    g, lon, lat, v = g[keep], lon[keep], lat[keep], v[keep]
                yield g, lon, lat, v
        finally:
            del pf
            self.close()

    def close(self) -> None:
        """Remove the spill, if any (the points left are dropped)."""
        self.parts = []
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            self._tmp.cleanup()


# ----------------------------------------------------------------------------- public API


def _utc(ts: pd.Timestamp) -> pd.Timestamp:
    """Return the time in UTC (a naive one is taken as UTC, as everywhere in the pings)."""
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _check_positive(**params: float) -> None:
    for name, value in params.items():
        if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
            raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")


def _ports_tree(ports: pd.DataFrame | None):
    if ports is None:
        return None
    require_columns(ports, (LON, LAT), "ports")
    lon = ports[LON].to_numpy(dtype="float64")
    lat = ports[LAT].to_numpy(dtype="float64")
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"ports row {i}: lon/lat {(lon[i], lat[i])!r} is not a valid EPSG:4326 position"
        )
    if lon.size == 0:
        return None
    return cKDTree(lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM)


def transit_features(
    pings: pd.DataFrame,
    resolution: int,
    *,
    max_segment_hours: float = 6.0,
    gap_hours: float = 6.0,
    gap_min_speed_kn: float = 1.0,
    loiter_speed_kn: float = 2.0,
    loiter_hours: float = 4.0,
    encounter_distance_m: float = 500.0,
    encounter_hours: float = 2.0,
    encounter_speed_kn: float = 3.0,
    ports: pd.DataFrame | None = None,
    port_radius_km: float = 10.0,
    max_speed_kn: float = 60.0,
    chunk_rows: int = _CHUNK_PINGS,
    spill_dir=None,
    engine=None,
    memo=None,
    pairs_memo=None,
    until: pd.Timestamp | None = None,
    vessel_identity: pd.DataFrame | None = None,
) -> TransitResult:
    """Turn vessel pings into per-cell transit factors and an event table.

    Parameters
    ----------
    pings : pandas.DataFrame or PingStore
        The pings table (:data:`pipeline.schema.PING_COLUMNS`): ``vessel_id``, ``time`` (UTC),
        ``lon``, ``lat``, ``sog_kn`` (NaN when unknown; then the implied speed is used).
        Expected sorted by vessel then time (sorted here otherwise).  Or pings on disk
        (:class:`pipeline.ingest.stream.PingStore`, anything with sorted ``vessel_ids`` and
        ``frames(max_rows)`` yielding frames of whole vessels): read ``chunk_rows`` pings at
        a time, with the same result.
    resolution : int
        H3 resolution of the output cells.
    max_segment_hours : float, default 6
        Consecutive pings further apart than this give no time to the cells between them, and
        break loitering runs and encounters.
    gap_hours : float, default 6
        Minimum silence of a moving vessel that counts as an AIS gap.
    gap_min_speed_kn : float, default 1
        Speed over ground at the last ping before the silence above which the vessel counts as
        moving.
    loiter_speed_kn, loiter_hours : float, default 2 and 4
        Loitering is a run of pings slower than ``loiter_speed_kn`` lasting ``loiter_hours``.
    encounter_distance_m, encounter_hours, encounter_speed_kn : float, default 500, 2, 3
        Two vessels, both slower than ``encounter_speed_kn``, within ``encounter_distance_m``
        for at least ``encounter_hours`` (on a 10-minute grid).
    ports : pandas.DataFrame, optional
        Port positions (``lon``, ``lat``).  Loitering and encounters within ``port_radius_km``
        of a port are not events.  Without it, ``notes`` says so.
    port_radius_km : float, default 10
        Radius around each port (0: only events at a port itself are left out).
    max_speed_kn : float, default 60
        Faster segments are position errors: they give no time, and a single ping reached and
        left that fast is dropped.
    chunk_rows : int, default 1,000,000
        Pings per group read from a store; grid points of slow vessels above this many are
        paired a block of times at a time (spilled under ``spill_dir``, the system's temporary
        folder when None).
    engine : pipeline.engine.Engine, optional
        Runs the partitions of a store (groups of whole vessels) as tasks; the current engine
        (:func:`pipeline.engine.current_engine`) when None.  The partitions' results are
        combined in partition order, so every engine gives the same result.
    memo : pipeline.runner.cache.PartMemo, optional
        Time per cell of the blocks (one vessel's UTC day, with the segment to its next
        ping) of an earlier run, by the hash of the block's pings: a block whose pings did
        not change is taken from it, the others are computed (and the memo replaced by this
        run's blocks).  The result is the same with or without it.
    pairs_memo : pipeline.runner.cache.PartMemo, optional
        Encounters of each UTC day of an earlier run (the summaries of the runs inside the
        day, the pairs of the runs at its edges), by the hash of the day's grid points (slow
        vessels every 10 minutes): a day whose points did not change is neither read back
        nor paired again.  The result is the same with or without it.
    until : pandas.Timestamp, optional
        The run's ``as_of`` (end of the day, UTC): positions after it are not used (a map as
        of a past day must not see later tracks); the count left out is in the notes.
    vessel_identity : pandas.DataFrame, optional
        Each vessel id's ship identity keys (``vessel_id``, ``kind``, ``key``, ``n``: a valid
        IMO, or name and call sign; :func:`pipeline.ingest.identity.identity_table`), the
        store's ``vessel_identity`` when None.  Vessel ids of one ship
        (:func:`pipeline.ingest.identity.ship_groups`: one ship transmitting under two MMSIs)
        never meet each other (no encounter between them); its ids' encounters with one
        other ship, loiter events and gaps that overlap in time are one event (the longest
        kept); a gap of one id while another id of the ship kept reporting (no
        ``gap_hours`` without a ping of the ship) is none; and the ship counts as one
        vessel in ``distinct_vessels`` and with the hours of its id with the most hours
        there in ``vessel_hours`` where its ids report in one cell.  A group whose ids
        were more than :data:`ONE_SHIP_MAX_KM` apart (median) while both reported is not
        joined.  The notes say which ids, why, and what it changed, and name the vessel
        ids that carry two ships' valid IMO numbers (one MMSI two ships share).

    Returns
    -------
    TransitResult

    Raises
    ------
    InputError
        If ``pings`` lacks a column or has naive times.
    ConfigError
        If a threshold is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> pings = pd.DataFrame({"vessel_id": ["a", "a"],
    ...     "time": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00"], utc=True),
    ...     "lon": [0.0, 0.1], "lat": [0.0, 0.0], "sog_kn": [5.0, 5.0]})
    >>> float(round(transit_features(pings, 6).features["vessel_hours"].sum(), 6))
    1.0
    """
    _check_positive(
        max_segment_hours=max_segment_hours,
        gap_hours=gap_hours,
        loiter_speed_kn=loiter_speed_kn,
        loiter_hours=loiter_hours,
        encounter_distance_m=encounter_distance_m,
        encounter_hours=encounter_hours,
        encounter_speed_kn=encounter_speed_kn,
        max_speed_kn=max_speed_kn,
    )
    if not (isinstance(gap_min_speed_kn, int | float) and gap_min_speed_kn >= 0):
        raise ConfigError(f"gap_min_speed_kn must be a number >= 0, got {gap_min_speed_kn!r}")
    # 0 is valid, as in the config (transit.port_radius_km >= 0): only events at a port drop
    if not (
        isinstance(port_radius_km, int | float)
        and np.isfinite(port_radius_km)
        and port_radius_km >= 0
    ):
        raise ConfigError(f"port_radius_km must be a finite number >= 0, got {port_radius_km!r}")
    if encounter_distance_m > ENCOUNTER_MAX_M:
        raise ConfigError(
            f"encounter_distance_m must be at most {ENCOUNTER_MAX_M:g} (50 km), got "
            f"{encounter_distance_m!r}: an encounter is two vessels alongside or in sight"
        )
    if isinstance(pings, pd.DataFrame) and LON in pings and LAT in pings and len(pings):
        # a ping with no position would be dropped below without a word: the caller's table
        # is not ingested (ingest writes such rows to the rejects), so say so instead
        check_lonlat(
            pd.to_numeric(pings[LON], errors="coerce").to_numpy(dtype="float64"),
            pd.to_numeric(pings[LAT], errors="coerce").to_numpy(dtype="float64"),
            "ping",
        )
    if (
        isinstance(resolution, bool | np.bool_)
        or not isinstance(resolution, int | np.integer)
        or not 0 <= int(resolution) <= 15
    ):
        raise ConfigError(f"resolution must be an integer in [0, 15], got {resolution!r}")
    resolution = int(resolution)
    tree = _ports_tree(ports)
    notes: list[str] = []
    if tree is None:
        notes.append(NO_PORTS_NOTE)
    params = _PartParams(
        resolution=resolution,
        piece_km=average_hexagon_edge_length(resolution, unit="km") / _PIECES_PER_EDGE,
        max_segment_hours=max_segment_hours,
        gap_hours=gap_hours,
        gap_min_speed_kn=gap_min_speed_kn,
        loiter_speed_kn=loiter_speed_kn,
        loiter_hours=loiter_hours,
        encounter_speed_kn=encounter_speed_kn,
        max_speed_kn=max_speed_kn,
        until=None if until is None else _utc(pd.Timestamp(until)),
    )
    if memo is not None and not memo.enabled:
        memo = None
    from .ingest.identity import ShipGroups, ids_of_two_ships, ship_groups

    if vessel_identity is None:
        vessel_identity = getattr(pings, "vessel_identity", None)
    groups = ShipGroups()
    if vessel_identity is not None and len(vessel_identity):
        if isinstance(pings, pd.DataFrame):
            require_columns(pings, (VESSEL_ID,), "pings")
        groups = ship_groups(
            vessel_identity,
            pings[VESSEL_ID].unique() if isinstance(pings, pd.DataFrame) else pings.vessel_ids,
        )
    if len(groups):
        params = dataclasses.replace(params, aliased=groups.ids)
    if pairs_memo is not None:
        params = dataclasses.replace(params, day_digests=True)
    if isinstance(pings, pd.DataFrame):
        names = None
        max_points = max(len(pings), 1)
        reads = memo.reads_for(pings[VESSEL_ID].unique()) if memo is not None else []
        out = memo.output(0) if memo is not None else None
        parts: Iterator[_Partial] = iter([_transit_partition(pings, None, params, reads, out)])
    else:  # whole vessels a group of buckets at a time (a PingStore), coded by the sorted ids
        from .engine import current_engine

        chunk_rows = int(getattr(pings, "chunk_rows", chunk_rows))
        spill_dir = spill_dir if spill_dir is not None else getattr(pings, "root", None)
        names = np.asarray(pings.vessel_ids, dtype=object)
        max_points = chunk_rows
        engine = engine if engine is not None else current_engine()
        parts = engine.map(_store_partition, _store_tasks(pings, chunk_rows, memo), names, params)
    shards: list[tuple | None] = []
    from_memo = computed = 0
    totals = _CellTotals()
    gap_parts, loiter_parts = [], []
    point_days: list[tuple[np.ndarray, ...]] = []
    points = _EncounterPoints(max_points, spill_dir)
    n = dropped = repeated = 0
    vessel_names = np.empty(0, dtype=object)
    later = untimed = longest_ns = 0
    span_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    alias_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    cover_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = []
    where_parts: list[tuple[np.ndarray, ...]] = []
    for part in parts:  # the combine: in partition order, as one pass over the tracks would
        vessel_names = part.names
        if part.alias_cells is not None:
            alias_parts.append(part.alias_cells)
        cover_parts.append(part.alias_cover)
        if part.alias_where is not None:
            where_parts.append(part.alias_where)
        n += part.n
        dropped += part.dropped
        repeated += part.repeated
        later += part.later
        untimed += part.untimed
        longest_ns = max(longest_ns, part.longest_ns)
        if part.spans is not None:
            span_parts.append(part.spans)
        from_memo += part.from_memo
        computed += part.computed
        shards.append(part.shard)
        totals.add(part.cells)
        gap_parts.extend(part.gaps)
        loiter_parts.extend(part.loiter)
        for pts in part.points:
            points.add(pts)
        point_days.extend(part.point_days)
        del part
    if repeated:
        notes.append(
            f"{repeated} ping(s) at the same time as another ping of their vessel (two "
            "receivers, or a time repeated in a file; a run rejects those of overlapping "
            "files at ingest as duplicate_across_files) counted once; pings.parquet keeps "
            "each as read"
        )
    if dropped:
        notes.append(f"{dropped} ping(s) dropped as position jumps (> {max_speed_kn} kn both ways)")
    if later:
        notes.append(
            f"{later} position(s) after as_of ({pd.Timestamp(until).isoformat()}) not used: "
            "a map as of a past day sees only the tracks up to it"
        )
    if untimed:
        notes.append(
            f"{untimed} position(s) without a time (untimed routes) not used: they give no "
            "vessel-hours, no vessel and no event, and no AIS coverage"
        )
    if names is not None:
        vessel_names = names
    apart = pd.DataFrame()
    if len(groups):  # a join the positions refute (two ships far apart at one time) is undone
        apart = _apart_while_both_report(where_parts, vessel_names, groups)
        if len(apart):
            groups = groups.without(np.r_[apart["a"].to_numpy(), apart["b"].to_numpy()])
    longest_h = longest_ns / _NS_PER_HOUR
    # the ids of one ship are one track here, as their encounters with each other are none
    overlap_h = _longest_overlap_ns(span_parts, vessel_names, groups) / _NS_PER_HOUR
    thresholds = {"gap": gap_hours, "loiter": loiter_hours, "encounter": encounter_hours}
    short = unobservable_events(longest_h, thresholds) if n else []
    if short:
        notes.append(
            f"no vessel's track lasts long enough to show {' or '.join(short)} events (the "
            f"longest lasts {longest_h:.2f} h; "
            + ", ".join(f"{k}_hours {thresholds[k]:g}" for k in short)
            + "): none could be seen, so those factors cover no cell (missing, not 0)"
        )
    if (
        n
        and "encounter" not in short
        and ("encounter" in unobservable_events(longest_h, thresholds, overlap_h))
    ):
        notes.append(
            "no two vessels' tracks overlap in time long enough to show encounter events (the "
            f"longest overlap is {overlap_h:.2f} h; encounter_hours {encounter_hours:g}): none "
            "could be seen, so that factor covers no cell (missing, not 0)"
        )
    if memo is not None:
        log.info(
            "transit: time of %d vessel-day block(s) from the memo, %d computed",
            from_memo,
            computed,
        )
        memo.commit(shards)
    if pairs_memo is not None:
        digests = (
            tuple(np.concatenate(x) for x in zip(*point_days, strict=True))
            if point_days
            else (np.empty(0, "int64"), np.empty(0, "int64"), np.empty(0, dtype=object))
        )
        enc = _encounters_by_day(
            points,
            digests,
            encounter_distance_m,
            encounter_hours,
            pairs_memo,
            np.asarray(vessel_names, dtype=object),
            resolution,
        )
    else:
        enc = _encounter_runs(
            points.pairs(encounter_distance_m), vessel_names, encounter_hours, resolution
        )
    loiter = _concat_events(loiter_parts)
    if tree is not None:
        loiter = loiter[
            _far_from_ports(loiter[LON].to_numpy(), loiter[LAT].to_numpy(), tree, port_radius_km)
        ]
        enc = enc[_far_from_ports(enc[LON].to_numpy(), enc[LAT].to_numpy(), tree, port_radius_km)]
    gaps = _concat_events(gap_parts)
    cell_totals = totals.result()
    if len(apart):
        notes.append(_apart_note(apart))
    if len(groups):  # one ship under several ids: what it did counts once
        one_ship = _OneShip(_empty_events())
        if len(enc):
            one = groups.ship_of(enc[VESSEL_ID].to_numpy()) == groups.ship_of(
                enc[OTHER_VESSEL_ID].to_numpy()
            )
            one_ship.self_met, enc = enc[one], enc[~one]
        enc, one_ship.encounters = _once_per_ship(enc, *_ship_key(groups, enc, pair=True))
        loiter, one_ship.loiter = _once_per_ship(loiter, *_ship_key(groups, loiter, pair=False))
        gaps, one_ship.covered_gaps = _covered_gaps(
            gaps, groups, vessel_names, cover_parts, gap_hours
        )
        gaps, one_ship.gaps = _once_per_ship(gaps, *_ship_key(groups, gaps, pair=False))
        twice = _one_ship_cells(alias_parts, vessel_names, groups)
        if twice is not None:
            cells_t, fx_t, nv_t = cell_totals
            at = pd.Index(cells_t).get_indexer(twice[0])
            nv_t[at] -= twice[1]
            fx_t[at] -= twice[2]
            one_ship.cells = int(twice[0].size)
        notes.append(_one_ship_note(groups, one_ship, gap_hours))
    events = _concat_events([gaps, loiter, enc])
    events = events.sort_values(
        [START_TIME, EVENT_TYPE, VESSEL_ID], kind="stable", ignore_index=True
    )
    features = _features_table(cell_totals, gaps, loiter, enc, resolution)
    if groups.refused:
        notes.append(
            "identity keys given by more vessel ids than one ship has (a default or "
            f"placeholder) join no vessel ids: {'; '.join(groups.refused[:5])}"
            + (f" and {len(groups.refused) - 5} more" if len(groups.refused) > 5 else "")
        )
    if vessel_identity is not None and len(vessel_identity):
        two = ids_of_two_ships(
            vessel_identity,
            pings[VESSEL_ID].unique() if isinstance(pings, pd.DataFrame) else pings.vessel_ids,
        )
        if len(two):
            notes.append(_two_ships_note(two))
    log.info(
        "transit: %d pings, %d cells, %d gap, %d loiter, %d encounter events",
        n,
        len(features),
        len(gaps),
        len(loiter),
        len(enc),
    )
    return TransitResult(
        features=features,
        events=events,
        notes=notes,
        after_until=later,
        untimed=untimed,
        dropped_jumps=dropped,
        repeated=repeated,
        longest_track_hours=longest_h,
        longest_overlap_hours=overlap_h,
    )


def unobservable_events(
    longest_track_hours: float,
    thresholds: dict[str, float],
    longest_overlap_hours: float | None = None,
) -> list[str]:
    """Return the event types no track was long enough to show, in ``thresholds``' order.

    An AIS gap is ``gap_hours`` of silence, loitering ``loiter_hours`` of slow pings, an
    encounter ``encounter_hours`` side by side: each needs a vessel followed for at least
    that long.  Where the longest track is shorter (84 minutes of a harbour's AIS against a
    4-hour loitering threshold), a count of 0 would be no observation, not an observed 0.
    An encounter needs two vessels followed over the same hours: with
    ``longest_overlap_hours`` (:attr:`TransitResult.longest_overlap_hours`), an encounter
    longer than the longest overlap of two tracks could not have been seen either.

    >>> unobservable_events(1.4, {"gap": 6.0, "loiter": 4.0, "encounter": 1.0})
    ['gap', 'loiter']
    >>> unobservable_events(2.4, {"gap": 6.0, "encounter": 2.0}, longest_overlap_hours=1.4)
    ['gap', 'encounter']
    """
    out = []
    for k, hours in thresholds.items():
        seen = longest_track_hours
        if k == "encounter" and longest_overlap_hours is not None:
            seen = min(seen, longest_overlap_hours)
        if seen < hours:
            out.append(k)
    return out


def _longest_overlap_ns(
    spans: list[tuple[np.ndarray, np.ndarray, np.ndarray]], names, groups
) -> int:
    """Return the longest time the tracks of two ships overlap, in ns (0 if none).

    ``spans`` hold (vessel code, first, last ping time) per vessel and partition, ``names``
    the vessel ids of the codes and ``groups`` the ids found to be one ship
    (:class:`~pipeline.ingest.identity.ShipGroups`): the ids of one ship are one span, from
    their first ping to their last, since a ship never meets itself (its ids' encounters
    with each other are dropped).  Sorted by start, a span overlaps most with the
    earlier-starting span that ends last, so one running maximum of the ends gives every
    span's best partner.
    """
    if not spans:
        return 0
    code = np.concatenate([s[0] for s in spans])
    first = np.concatenate([s[1] for s in spans])
    last = np.concatenate([s[2] for s in spans])
    if first.size:
        # one span per ship: the ids of one ship are one track (a vessel lies in one
        # partition today; grouping by it keeps that from mattering)
        ship = (
            pd.factorize(groups.ship_of(np.asarray(names, dtype=object)[code]))[0]
            if len(groups)
            else code
        )
        first = pd.Series(first).groupby(ship).min().to_numpy()
        last = pd.Series(last).groupby(ship).max().to_numpy()
    if first.size < 2:
        return 0
    order = np.argsort(first, kind="stable")
    first, last = first[order], last[order]
    reach = np.maximum.accumulate(last)[:-1]
    return int(max(0, (np.minimum(last[1:], reach) - first[1:]).max()))


@dataclass(frozen=True)
class _PartParams:
    """The thresholds a partition of tracks is read with."""

    resolution: int
    piece_km: float
    max_segment_hours: float
    gap_hours: float
    gap_min_speed_kn: float
    loiter_speed_kn: float
    loiter_hours: float
    encounter_speed_kn: float
    max_speed_kn: float
    until: Any = None  # positions after it are left out (the run's as_of)
    aliased: Any = None  # vessel ids sharing their ship with another id (sorted), or None
    day_digests: bool = False  # digest each vessel's encounter grid points of each day


@dataclass
class _Partial:
    """What one partition of whole vessels gives: the map side of :func:`transit_features`.

    Time per cell comes per block (one vessel's UTC day), as the partition's per-cell totals
    (``cells``).  With a memo, the blocks found in it (``from_memo``) were not computed again
    and every block's rows went to the partition's shard (``shard``, for the index).
    """

    names: np.ndarray
    n: int
    dropped: int
    repeated: int = 0
    from_memo: int = 0
    computed: int = 0
    shard: tuple | None = None
    gaps: list[pd.DataFrame] = field(default_factory=list)
    loiter: list[pd.DataFrame] = field(default_factory=list)
    points: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    #: (vessel code, UTC day, digest) of the ``points`` (:func:`_point_day_digests`)
    point_days: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    later: int = 0  # positions after the run's as_of, left out
    untimed: int = 0  # positions without a time (untimed routes), left out
    longest_ns: int = 0  # the longest first-to-last ping time of one vessel here
    #: (vessel code, first, last ping time) of each vessel here, for the longest overlap of
    #: two ships' tracks
    spans: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: (cell, vessel code, fixed-point hours) of the vessels in ``_PartParams.aliased``, one
    #: row per pair
    alias_cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: (vessel code, first, last ping time) of the aliased vessels' reporting spans
    #: (:func:`_reporting_spans`)
    alias_cover: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: (vessel code, grid time, lon, lat) of the aliased vessels at grid times
    #: (:func:`_positions_on_grid`), a bounded number per vessel
    alias_where: tuple[np.ndarray, ...] | None = None


def _store_tasks(pings, chunk_rows: int, memo) -> list[tuple]:
    """Return the partitions of a store as tasks: (bucket files, shards to read, shard to write).

    Each partition is given the earlier shards' ranges of its own vessels only (a vessel's
    bucket is a stable hash of its id), so it reads what it needs of the memo, whatever the
    earlier run's partitions were.
    """
    groups = pings.bucket_groups(chunk_rows)
    if memo is None:
        return [(g, [], None) for g in groups]
    names = np.asarray(pings.vessel_ids, dtype=object)
    bucket = pings.bucket_of(names)
    keys = pings.bucket_group_keys(chunk_rows)
    return [
        (g, memo.reads_for(names[np.isin(bucket, k)]), memo.output(i))
        for i, (g, k) in enumerate(zip(groups, keys, strict=True))
    ]


def _store_partition(task, names: np.ndarray, p: _PartParams) -> _Partial:
    """Read a group of vessel buckets (file names) and compute its partial transit features."""
    from .ingest.stream import read_buckets

    group, reads, out = task
    # the files unsorted: _prepare sorts the partition once, by its integer vessel codes
    return _transit_partition(read_buckets(group, sort=False), names, p, reads, out)


class _OldBlocks:
    """The memo's blocks of a partition's vessels: hash, rows (cell, hours) per block."""

    def __init__(self, reads) -> None:
        from .runner.cache import read_shards

        hashes, n, cols = (
            read_shards(reads, ["cell", "hours"])
            if reads
            else (
                np.empty(0, dtype=object),
                np.empty(0, "int64"),
                {"cell": np.empty(0, "uint64"), "hours": np.empty(0, "float64")},
            )
        )
        # a block is in one shard; should one repeat, its first copy is used
        order = np.sort(np.unique(hashes.astype(str), return_index=True)[1])
        start = np.r_[0, np.cumsum(n)[:-1]].astype("int64")
        self.index = pd.Index(hashes[order])
        self.start, self.n = start[order], n[order]
        self.cells = cols["cell"].astype("uint64")
        self.hours = cols["hours"].astype("float64")
        self.known = frozenset(self.index.tolist())

    def rows(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position in ``hashes``, cell, hours) of the rows of these known blocks."""
        from .runner.cache import range_indices

        k = self.index.get_indexer(hashes)
        idx = range_indices(self.start[k], self.start[k] + self.n[k])
        return np.repeat(np.arange(k.size), self.n[k]), self.cells[idx], self.hours[idx]


def _transit_partition(part: pd.DataFrame, names, p: _PartParams, reads=(), out=None) -> _Partial:
    """Per-vessel work on the pings of whole vessels: time per cell, gaps, loitering, points.

    Vessels are coded by ``names`` (all the run's vessel ids, sorted), so partial results of
    different partitions combine; encounters need every vessel and are paired in the combine.
    Time is attributed per block of one vessel's day; a block whose hash the memo's shards
    (``reads``) hold is taken from them, and with ``out`` every block's rows are written to
    this partition's shard.
    """
    later = 0
    untimed = int(part[TIME].isna().sum()) if len(part) else 0
    if p.until is not None and len(part):
        after = (part[TIME] > p.until).to_numpy()
        later = int(after.sum())
        if later:
            part = part[~after]
    tr = _prepare(part, p.max_speed_kn, names)
    res = _Partial(tr.names, int(tr.code.size), int(tr.dropped_spikes), int(tr.repeated))
    res.later = later
    res.untimed = untimed
    if tr.code.size:
        first = np.flatnonzero(np.r_[True, tr.code[1:] != tr.code[:-1]])
        t_first, t_last = np.minimum.reduceat(tr.t, first), np.maximum.reduceat(tr.t, first)
        res.longest_ns = int((t_last - t_first).max())
        res.spans = (tr.code[first], t_first.astype("int64"), t_last.astype("int64"))
    old = _OldBlocks(reads) if (reads or out is not None) else None
    known = old.known if old is not None else frozenset()
    rows: list[list[np.ndarray]] = [[], [], []]  # (cell, vessel, hours) of every block here
    shard: list[list[np.ndarray]] = [[], [], [], [], []]  # hash, vessel, n, cell, hours
    bounds = _chunk_bounds(tr.code, _CHUNK_PINGS)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        sl = slice(a, b)
        code, t, lon, lat = tr.code[sl], tr.t[sl], tr.lon[sl], tr.lat[sl]
        xyz = lonlat_to_xyz(lon, lat)
        same, hours, km, kn = _segment_speed_kn(code, t, lon, lat, xyz)
        sog_eff = _effective_sog(tr.sog[sl], same, kn, code, t, xyz)
        usable = same & (hours > 0) & (hours <= p.max_segment_hours) & (kn <= p.max_speed_kn)
        block, starts, hashes, _days, new = _day_blocks(code, t, lon, lat, tr.names, known)
        fresh = new[block]
        seg = np.flatnonzero(usable & fresh[:-1])
        cells, blk, hrs = _attribute_time(
            lon,
            lat,
            xyz,
            seg,
            hours[seg],
            km[seg],
            block,
            p.resolution,
            p.piece_km,
            np.flatnonzero(fresh),
        )
        del xyz
        bi, c, h = _group_block_cell(cells, blk, hrs)
        del cells, blk, hrs
        if old is not None:
            res.computed += int(new.sum())
            res.from_memo += int((~new).sum())
            kept = np.flatnonzero(~new)
            ob, oc, oh = old.rows(hashes[kept])
            bi, c, h = np.r_[bi, kept[ob]], np.r_[c, oc], np.r_[h, oh]
            o = np.argsort(bi, kind="stable")  # the shard holds rows block after block
            bi, c, h = bi[o], c[o], h[o]
            for acc, got in zip(
                shard,
                (hashes, tr.names[code[starts]], np.bincount(bi, minlength=starts.size), c, h),
                strict=True,
            ):
                acc.append(got)
        for acc, got in zip(rows, (c, code[starts][bi], h), strict=True):
            acc.append(got)
        res.gaps.append(
            _gap_events(tr, sl, same, hours, kn, p.gap_hours, p.gap_min_speed_kn, p.resolution)
        )
        res.loiter.append(
            _loiter_events(
                tr,
                sl,
                same,
                hours,
                kn,
                sog_eff,
                p.loiter_speed_kn,
                p.loiter_hours,
                p.max_segment_hours,
                p.resolution,
            )
        )
        res.points.append(
            _encounter_points(
                tr, sl, sog_eff, p.encounter_speed_kn, same, hours, kn, p.max_segment_hours
            )
        )
        if p.day_digests:
            res.point_days.append(_point_day_digests(res.points[-1]))
    del old
    if out is not None:
        from .runner.cache import write_shard

        hsh, ves, n, c, h = (
            np.concatenate(x) if x else np.empty(0, d)
            for x, d in zip(shard, (object, object, "int64", "uint64", "float64"), strict=True)
        )
        res.shard = write_shard(out, hsh, ves, {"cell": c, "hours": h}, n)
    cells_, vess_, hours_ = (
        np.concatenate(x) if x else np.empty(0, d) for x, d in zip(rows, _ROW_DTYPES, strict=True)
    )
    if p.aliased is not None:
        aliased = np.isin(np.asarray(tr.names, dtype=object).astype(str), p.aliased)
        mine = aliased[vess_]
        if mine.any():  # (cell, vessel) of the aliased ids, with their fixed-point hours
            pairs = (
                pd.DataFrame({"c": cells_[mine], "v": vess_[mine], "fx": _fixed(hours_[mine])})
                .groupby(["c", "v"], sort=True)["fx"]
                .sum()
                .reset_index()
            )
            res.alias_cells = (
                pairs["c"].to_numpy(dtype="uint64"),
                pairs["v"].to_numpy(dtype="int64"),
                pairs["fx"].to_numpy(dtype="int64"),
            )
        res.alias_cover = _reporting_spans(tr.code, tr.t, aliased, p.gap_hours)
        res.alias_where = _positions_on_grid(
            tr.code, tr.t, tr.lon, tr.lat, aliased, p.max_speed_kn, p.max_segment_hours
        )
    res.cells = _cell_totals(cells_, vess_, hours_)
    return res


def _fixed(hours: np.ndarray) -> np.ndarray:
    """Return hours in the fixed point of the cell totals (units of ``1 / _HOURS_FX`` h)."""
    return np.rint(np.asarray(hours, dtype="float64") * _HOURS_FX).astype("int64")


def _reporting_spans(code, t, aliased, gap_hours: float):
    """Return (vessel code, first, last ping time) of the spans the ``aliased`` vessels report.

    A span is a run of a vessel's pings each less than ``gap_hours`` after the one before
    (the complement of its silences that could be gaps): within a span, no stretch of
    ``gap_hours`` passes without a ping of it.  ``code``, ``t`` are sorted by vessel then
    time (:class:`_Tracks`); ``aliased`` marks the vessel codes.  None when none is there.
    """
    sel = aliased[code] if code.size else np.zeros(0, dtype=bool)
    if not sel.any():
        return None
    c, tt = code[sel], t[sel]
    brk = np.r_[True, (c[1:] != c[:-1]) | ((tt[1:] - tt[:-1]) / _NS_PER_HOUR >= gap_hours)]
    starts = np.flatnonzero(brk)
    ends = np.r_[starts[1:], c.size] - 1
    return c[starts].astype("int64"), tt[starts], tt[ends]


#: Grid (minutes) of the times at which the positions of two ids of one ship are compared.
_TOGETHER_STEP_MIN = 10
#: Grid times kept per vessel id for the comparison, at most: beyond, only those whose grid
#: index is a multiple of the smallest power of two that keeps this many or fewer (ids with
#: different powers still share the times of the larger), so a partition's summary of an id
#: is bounded (a year at 10 minutes is 52,560 times, 1,024 of them kept: one every ~11 h).
_TOGETHER_TIMES = 1024
#: A segment gives its vessel's position at the grid times it spans when it is no longer
#: than this (minutes) or spans no more than :data:`_TOGETHER_SEG_KM` (a ship at anchor):
#: the position interpolated along it is then within a few hundred metres of the truth.
_TOGETHER_SEG_MIN = 10.0
#: See :data:`_TOGETHER_SEG_MIN`.
_TOGETHER_SEG_KM = 1.0
#: Two ids of one ship are farther apart than this (km, the median over the grid times both
#: report at) only if they are two ships.  One hull's two transponders report metres apart
#: (antenna offsets, GPS error: a few hundred metres at worst); a clock a few minutes off at
#: 20 kn, or a position interpolated across a turn, adds a kilometre or two; 5 km is well
#: beyond all of these and well below the distance of a fleet's boats or a tug and a barge
#: it is not towing.  A tug and the barge it tows (within a hawser's length) stay one.
ONE_SHIP_MAX_KM = 5.0
#: Grid times both ids must report at before their distance can undo their join: fewer is
#: no evidence (a transponder swapped, with a short overlap), and the join stays.
_TOGETHER_MIN_TIMES = 3


def _positions_on_grid(code, t, lon, lat, aliased, max_speed_kn, max_segment_hours):
    """Return (vessel code, grid time, lon, lat) of the ``aliased`` vessels, or None.

    The positions at the :data:`_TOGETHER_STEP_MIN` grid times spanned by each segment that
    is short (:data:`_TOGETHER_SEG_MIN`, :data:`_TOGETHER_SEG_KM`) and plausible, interpolated
    along it; a vessel keeps at most :data:`_TOGETHER_TIMES` of them (the grid indices that
    are multiples of a power of two).  A vessel lies in one partition and its positions
    depend on its own pings alone, so the summary is the same whatever the partitions.
    """
    sel = aliased[code] if code.size else np.zeros(0, dtype=bool)
    if not sel.any():
        return None
    c, tt, lo, la = code[sel], t[sel], lon[sel], lat[sel]
    same, hours, km, kn = _segment_speed_kn(c, tt, lo, la)
    short = (hours * 60.0 <= _TOGETHER_SEG_MIN) | (km <= _TOGETHER_SEG_KM)
    seg = np.flatnonzero(
        same & (hours > 0) & (hours <= max_segment_hours) & (kn <= max_speed_kn) & short
    )
    step = _TOGETHER_STEP_MIN * 60 * 1_000_000_000
    g0 = -(-tt[seg] // step)  # the grid times in [t0, t1): a vessel's segments do not overlap
    cnt = np.maximum(-(-tt[seg + 1] // step) - g0, 0)
    if not cnt.sum():
        return None
    rep = np.repeat(np.arange(seg.size), cnt)
    g = g0[rep] + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    s = seg[rep]
    frac = (g * step - tt[s]) / (tt[s + 1] - tt[s])
    a, b = lonlat_to_xyz(lo[s], la[s]), lonlat_to_xyz(lo[s + 1], la[s + 1])
    plon, plat = xyz_to_lonlat(slerp(a, b, frac, central_angle(a, b)))
    vc = c[s].astype("int64")
    # each time's power of two (trailing zero bits of its grid index; 62 for index 0)
    low = g & -g
    tz = np.where(low > 0, np.log2(np.maximum(low, 1)).astype("int64"), 62)
    vk, local = np.unique(vc, return_inverse=True)
    hist = np.bincount(local * 64 + tz, minlength=vk.size * 64).reshape(vk.size, 64)
    at_least = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # times with power >= k
    k = np.argmax(at_least <= _TOGETHER_TIMES, axis=1)
    keep = tz >= k[local]
    return vc[keep], g[keep].astype("int64"), plon[keep], plat[keep]


def _apart_while_both_report(where_parts, names, groups) -> pd.DataFrame:
    """Return the pairs of ids of one ship found apart: ``a``, ``b``, ``times``, ``km``, ``rule``.

    Per pair of ids of a group, the distance between their positions at each grid time both
    report at (:func:`_positions_on_grid`); a pair with :data:`_TOGETHER_MIN_TIMES` or more
    such times whose median distance exceeds :data:`ONE_SHIP_MAX_KM` is two ships.  Each
    vessel's positions come whole from its one partition and are joined by grid time here,
    and a median does not depend on the order of its values: the answer is the same in any
    partition order.
    """
    cols = {"a": object, "b": object, "times": "int64", "km": "float64", "rule": object}
    empty = pd.DataFrame({c: pd.Series([], dtype=d) for c, d in cols.items()})
    if not where_parts:
        return empty
    vid = np.asarray(names, dtype=object)[np.concatenate([w[0] for w in where_parts])]
    f = pd.DataFrame(
        {
            "ship": groups.ship_of(vid).astype(str),
            "v": vid.astype(str),
            "g": np.concatenate([w[1] for w in where_parts]),
            "lon": np.concatenate([w[2] for w in where_parts]),
            "lat": np.concatenate([w[3] for w in where_parts]),
        }
    )
    f = f[groups.is_aliased(f["v"].to_numpy(dtype=object))]
    j = f.merge(f, on=["ship", "g"], suffixes=("_a", "_b"))
    j = j[j["v_a"] < j["v_b"]]
    if not len(j):
        return empty
    j = j.assign(
        km=haversine_km(
            j["lon_a"].to_numpy(),
            j["lat_a"].to_numpy(),
            j["lon_b"].to_numpy(),
            j["lat_b"].to_numpy(),
        )
    )
    per = j.groupby(["v_a", "v_b"], sort=True)["km"].agg(["size", "median"]).reset_index()
    far = per[(per["size"] >= _TOGETHER_MIN_TIMES) & (per["median"] > ONE_SHIP_MAX_KM)]
    if not len(far):
        return empty
    rule = pd.Series(groups.rule, index=pd.Index(groups.ids).astype(str)).astype(str)
    return pd.DataFrame(
        {
            "a": far["v_a"].to_numpy(dtype=object),
            "b": far["v_b"].to_numpy(dtype=object),
            "times": far["size"].to_numpy(dtype="int64"),
            "km": far["median"].to_numpy(dtype="float64"),
            "rule": rule.reindex(far["v_a"]).to_numpy(dtype=object),
        }
    ).astype(cols)


def _apart_note(apart: pd.DataFrame) -> str:
    """Say which ids the identity columns made one ship but the positions did not."""
    said = [
        f"vessel ids {a} and {b} ({rule}) were {km:.1f} km apart while both reported "
        f"(median of {n} time(s))"
        for a, b, n, km, rule in apart[["a", "b", "times", "km", "rule"]].itertuples(index=False)
    ]
    more = f" and {len(said) - 5} more pair(s)" if len(said) > 5 else ""
    return (
        "vessel ids that give one ship's identity but were far apart while both reported are "
        f"two ships, not joined (nothing counted once for them): {'; '.join(said[:5])}{more}; "
        f"two ids of one hull report within a few hundred metres (taken as two ships beyond "
        f"{ONE_SHIP_MAX_KM:g} km, compared every {_TOGETHER_STEP_MIN} minutes)"
    )


def _two_ships_note(two: pd.DataFrame) -> str:
    """Say which vessel ids carry two or more ships' IMO numbers."""
    said = []
    for vid, rows in two.groupby("vessel_id", sort=True):
        imos = ", ".join(
            f"IMO {k}: {n} record(s)" for k, n in zip(rows["key"], rows["n"], strict=True)
        )
        said.append(f"{vid} ({imos})")
    more = f" and {len(said) - 5} more" if len(said) > 5 else ""
    return (
        f"{len(said)} vessel id(s) carry two or more valid IMO numbers, each on a real share of "
        f"their records: {'; '.join(said[:5])}{more}; two ships share such an id (a reassigned "
        "or default MMSI), and their pings are read as one track: a jump between the ships may "
        "show as a gap or be dropped as a position error, and their hours count as one vessel's"
    )


def _one_ship_cells(alias_parts, names, groups) -> tuple[np.ndarray, ...] | None:
    """Return (cell, extra ids, extra fixed-point hours) where ids of one ship share a cell.

    ``alias_parts`` hold the (cell, vessel code, fixed-point hours) of the ids that share
    their ship (each vessel lies in one partition, so the pairs are distinct across
    partitions).  Per cell and ship, the extra ids are its ids there less one, and the
    extra hours the sum of its ids' hours less the largest: the ship counts once in
    ``distinct_vessels`` and with the hours of its id with the most hours in the cell in
    ``vessel_hours``.

    The largest rather than the union of the ids' time intervals: the ids are one hull, so
    over a time both report they report the same hours in the cell, and the id with more
    is the more complete record (a class B transponder reports less often and drops out).
    A silence shorter than ``max_segment_hours`` still gives its time (the segment across
    it), so the largest falls short of the union only where one id reported in the cell
    alone for longer than that while the other was silent; the sum would count every hour
    of both ids twice.  The per-id hours are integers, so the result is exact in any
    partition order.
    """
    if not alias_parts:
        return None
    cells = np.concatenate([a[0] for a in alias_parts])
    if not cells.size:
        return None
    codes = np.concatenate([a[1] for a in alias_parts])
    fx = np.concatenate([a[2] for a in alias_parts])
    ship = groups.ship_of(np.asarray(names, dtype=object)[codes]).astype(str)
    f = pd.DataFrame({"c": cells, "s": ship, "fx": fx})
    per = f.groupby(["c", "s"], sort=True)["fx"].agg(["size", "sum", "max"])
    extra = pd.DataFrame(
        {"n": per["size"].to_numpy() - 1, "fx": (per["sum"] - per["max"]).to_numpy()},
        index=per.index.get_level_values("c"),
    )
    by_cell = extra.groupby(level=0, sort=True).sum()
    keep = by_cell["n"].to_numpy() > 0
    if not keep.any():
        return None
    return (
        by_cell.index.to_numpy(dtype="uint64")[keep],
        by_cell["n"].to_numpy(dtype="int64")[keep],
        by_cell["fx"].to_numpy(dtype="int64")[keep],
    )


def _ns(times: pd.Series) -> np.ndarray:
    """Return UTC datetimes as int64 nanoseconds since the epoch."""
    return pd.DatetimeIndex(times).asi8.astype("int64")


def _once_per_ship(events: pd.DataFrame, key: np.ndarray, mine: np.ndarray):
    """Keep one of each set of events of one ship (``key``) overlapping in time: the longest.

    Only the events ``mine`` (those of an id sharing its ship) are looked at; others keep
    theirs (one id's events of one kind never overlap).  Events overlap when one starts
    before another ends (touching ones stay two); a chain of overlaps is one set.  The
    longest is kept as it is, an event of one of the ids (ties: the earliest start, then the
    smallest vessel ids), so the choice does not depend on the events' order.  Returns
    (events kept, in their order; how many were dropped).
    """
    if int(mine.sum()) < 2:
        return events, 0
    idx = np.flatnonzero(mine)
    sub = events.iloc[idx]
    f = pd.DataFrame(
        {
            "k": np.asarray(key, dtype=object)[idx].astype(str),
            "t0": _ns(sub[START_TIME]),
            "t1": _ns(sub[END_TIME]),
            "v": sub[VESSEL_ID].astype(str).to_numpy(),
            "o": sub[OTHER_VESSEL_ID].fillna("").astype(str).to_numpy(),
            "i": idx,
        }
    ).sort_values(["k", "t0", "t1", "v", "o"], kind="stable", ignore_index=True)
    reach = f.groupby("k", sort=False)["t1"].cummax()
    before = reach.groupby(f["k"], sort=False).shift()  # the set's end so far
    f["set"] = (before.isna() | (f["t0"] >= before)).cumsum()
    f["d"] = f["t1"] - f["t0"]
    best = f.sort_values(
        ["set", "d", "t0", "v", "o"], ascending=[True, False, True, True, True], kind="stable"
    ).drop_duplicates("set")
    keep = np.ones(len(events), dtype=bool)
    keep[idx] = False
    keep[best["i"].to_numpy(dtype="int64")] = True
    return events[keep], int(idx.size - len(best))


def _ship_key(groups, events: pd.DataFrame, pair: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return (ship key, whether an id of the event shares its ship) of each event.

    The key is the ship of ``vessel_id``, and with ``pair`` the two ships in order.
    """
    v = events[VESSEL_ID].to_numpy(dtype=object)
    key = groups.ship_of(v).astype(str)
    mine = groups.is_aliased(v)
    if pair:
        o = events[OTHER_VESSEL_ID].to_numpy(dtype=object)
        ko = groups.ship_of(o).astype(str)
        key = np.where(key <= ko, key + "\0" + ko, ko + "\0" + key)
        mine = mine | groups.is_aliased(o)
    return key, mine


def _covered_gaps(gaps: pd.DataFrame, groups, names, cover_parts, gap_hours: float):
    """Drop the gaps of an id while another id of its ship kept reporting through them.

    A gap of ``[t0, t1]`` stays when the ship (its other ids' reporting spans,
    :func:`_reporting_spans`, and the two pings of the gap itself) still has a stretch of
    ``gap_hours`` or more without a ping in it; otherwise the ship did not go dark.
    Returns (the gaps kept, in their order; how many were dropped).
    """
    mine = groups.is_aliased(gaps[VESSEL_ID].to_numpy(dtype=object)) if len(gaps) else None
    parts = [c for c in cover_parts if c is not None]
    if mine is None or not mine.any() or not parts:
        return gaps, 0
    cv = np.concatenate([c[0] for c in parts])
    vid = np.asarray(names, dtype=object)[cv]
    cover = pd.DataFrame(
        {
            "ship": groups.ship_of(vid).astype(str),
            "by": vid.astype(str),
            "s": np.concatenate([c[1] for c in parts]),
            "e": np.concatenate([c[2] for c in parts]),
        }
    )
    idx = np.flatnonzero(mine)
    sub = gaps.iloc[idx]
    g = pd.DataFrame(
        {
            "i": idx,
            "ship": groups.ship_of(sub[VESSEL_ID].to_numpy(dtype=object)).astype(str),
            "v": sub[VESSEL_ID].astype(str).to_numpy(),
            "t0": _ns(sub[START_TIME]),
            "t1": _ns(sub[END_TIME]),
        }
    )
    j = g.merge(cover, on="ship")
    j = j[(j["by"] != j["v"]) & (j["e"] >= j["t0"]) & (j["s"] <= j["t1"])]
    if not len(j):
        return gaps, 0
    j = j.assign(s=j["s"].clip(lower=j["t0"]), e=j["e"].clip(upper=j["t1"]))
    j = j.sort_values(["i", "s", "e"], kind="stable", ignore_index=True)
    reach = j.groupby("i", sort=False)["e"].cummax()
    before = reach.groupby(j["i"], sort=False).shift().fillna(j["t0"])
    silent = (j["s"] - before).groupby(j["i"], sort=True).max()
    last = j.groupby("i", sort=True).agg(e=("e", "max"), t1=("t1", "first"))
    longest = np.maximum(silent.to_numpy(), (last["t1"] - last["e"]).to_numpy())
    covered = last.index.to_numpy(dtype="int64")[longest / _NS_PER_HOUR < gap_hours]
    keep = np.ones(len(gaps), dtype=bool)
    keep[covered] = False
    return gaps[keep], int(covered.size)


@dataclass
class _OneShip:
    """What counting one ship once changed, for the note."""

    self_met: pd.DataFrame
    cells: int = 0
    encounters: int = 0
    loiter: int = 0
    gaps: int = 0
    covered_gaps: int = 0


def _one_ship_note(groups, done: _OneShip, gap_hours: float) -> str:
    """Say which vessel ids were found to be one ship, by which rule, and what it changed."""
    self_met = done.self_met
    ships = pd.Series(groups.ship).astype(str)
    rules = pd.Series(groups.rule).astype(str)
    n_ships = int(ships.nunique())
    by_imo = int(ships[rules.str.startswith("IMO")].nunique())
    if len(self_met):  # the example: a pair whose time together is not an encounter
        first = self_met.sort_values([START_TIME, VESSEL_ID], kind="stable").iloc[0]
        a, b = str(first[VESSEL_ID]), str(first[OTHER_VESSEL_ID])
        why = str(rules[ships == str(groups.ship_of(np.array([a], dtype=object))[0])].iloc[0])
        hours = float(
            self_met[DURATION_HOURS][
                (self_met[VESSEL_ID] == first[VESSEL_ID])
                & (self_met[OTHER_VESSEL_ID] == first[OTHER_VESSEL_ID])
            ].sum()
        )
        example = (
            f"e.g. vessel ids {a} and {b} are one ship ({why}): their {hours:.1f} h together "
            "are not an encounter"
        )
    else:
        s0 = ships.iloc[0]
        ids = pd.Series(groups.ids).astype(str)[ships == s0].tolist()
        example = f"e.g. vessel ids {' and '.join(ids)} are one ship ({rules[ships == s0].iloc[0]})"
    return (
        f"{len(groups)} vessel ids are {n_ships} ship(s) by their identity columns "
        f"({by_imo} by a shared valid IMO number, {n_ships - by_imo} by the same name and call "
        f"sign; a name alone joins none), {example}; {len(self_met)} encounter(s) between two "
        "ids of one ship dropped; events of one ship's ids overlapping in time are one event "
        f"(the longest kept): {done.encounters} encounter(s), {done.loiter} loiter event(s) "
        f"and {done.gaps} gap(s) fewer; "
        f"{done.covered_gaps} gap(s) of one id dropped while another id of its ship kept "
        f"reporting (no {gap_hours:g} h without a ping of the ship: it did not go dark); and a "
        "ship counts once in distinct_vessels and in vessel_hours (the hours of its id with "
        f"the most hours in the cell) where its ids report in one cell ({done.cells} cell(s))"
    )


_ROW_DTYPES = ("uint64", "int64", "float64")


def _cell_totals(cells, vess, hours):
    """Per-cell totals of (block, cell) rows: (cell, fixed-point hours, distinct vessels).

    Each row is one block's (one vessel's day) time in a cell, rounded once to units of
    ``1 / _HOURS_FX`` hour; the totals are integer sums, exact in any order.
    """
    if cells.size == 0:
        return np.empty(0, "uint64"), np.empty(0, "int64"), np.empty(0, "int64")
    fx = _fixed(hours)
    o = np.lexsort((vess, cells))
    cells, vess, fx = cells[o], vess[o], fx[o]
    first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    pair = np.r_[True, (cells[1:] != cells[:-1]) | (vess[1:] != vess[:-1])].astype("int64")
    _check_hours(fx, first)
    return cells[first], np.add.reduceat(fx, first), np.add.reduceat(pair, first)


def _check_hours(fx: np.ndarray, first: np.ndarray) -> None:
    """Raise if a cell's total time would not fit the fixed point (checked in floats)."""
    top = float(np.add.reduceat(fx.astype("float64"), first).max() / _HOURS_FX)
    if top > _MAX_CELL_HOURS:
        raise InputError(
            f"a cell totals {top!r} vessel-hours, more than the {_MAX_CELL_HOURS:g} a cell can"
            " hold; use a finer area.resolution"
        )


class _CellTotals:
    """Per-cell totals folded partition by partition: memory set by the cells, not the tracks."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows = 0
        self.cells = 0

    def add(self, part: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> None:
        if part is None or part[0].size == 0:
            return
        self.parts.append(part)
        self.rows += part[0].size
        if self.rows > 4 * max(self.cells, 65_536):  # fold: integer sums, any order
            self.parts = [self.result()]
            self.rows = self.cells = self.parts[0][0].size

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.empty(0, "uint64"), np.empty(0, "int64"), np.empty(0, "int64")
        cells, fx, nv = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        o = np.argsort(cells, kind="stable")
        cells, fx, nv = cells[o], fx[o], nv[o]
        first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        out = cells[first], np.add.reduceat(fx, first), np.add.reduceat(nv, first)
        _check_hours(fx, first)
        return out


def _chunk_bounds(code: np.ndarray, size: int) -> list[int]:
    n = code.size
    if n == 0:
        return [0, 0]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    bounds = [0]
    target = size
    while target < n:
        k = int(np.searchsorted(starts, target, "right")) - 1
        cut = int(starts[k]) if k >= 0 else n
        if cut <= bounds[-1]:  # a single vessel longer than a chunk
            nxt = int(np.searchsorted(starts, bounds[-1], "right"))
            cut = int(starts[nxt]) if nxt < starts.size else n
        if cut >= n:
            break
        bounds.append(cut)
        target = cut + size
    bounds.append(n)
    return bounds


def _concat_events(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_events()
    return pd.concat(parts, ignore_index=True)


def _features_table(totals, gaps, loiter, enc, resolution):
    time_cells, fx, nv = totals
    gap_cells = np.empty(0, "uint64")
    if len(gaps):
        c0 = points_to_cells(gaps[START_LON].to_numpy(), gaps[START_LAT].to_numpy(), resolution)
        c1 = points_to_cells(gaps[END_LON].to_numpy(), gaps[END_LAT].to_numpy(), resolution)
        gap_cells = np.concatenate([c0, c1[c1 != c0]])
    loit_cells = loiter[CELL].to_numpy(dtype="uint64")
    enc_cells = enc[CELL].to_numpy(dtype="uint64")
    all_cells = np.unique(np.concatenate([time_cells, gap_cells, loit_cells, enc_cells]))
    idx = pd.Index(all_cells)

    def count(c, w=None):
        return np.bincount(idx.get_indexer(c), weights=w, minlength=all_cells.size).astype(
            "float64"
        )

    return pd.DataFrame(
        {
            CELL: all_cells.astype("uint64"),
            VESSEL_HOURS: _spread(idx, time_cells, fx, all_cells.size) / _HOURS_FX,
            DISTINCT_VESSELS: _spread(idx, time_cells, nv, all_cells.size).astype("float64"),
            GAP_EVENTS: count(gap_cells),
            LOITER_EVENTS: count(loit_cells),
            ENCOUNTER_EVENTS: count(enc_cells),
        }
    )


def _spread(idx: pd.Index, cells: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Integer ``values`` of distinct ``cells`` placed at their rows of ``idx`` (0 elsewhere)."""
    out = np.zeros(n, dtype="int64")
    out[idx.get_indexer(cells)] = values
    return out
