"""Lagged features of the fitted model, built only from events before each origin.

Times are in days relative to the forecast origin ``t`` (so the history is ``[-W, 0)`` with
``W = train_days``).  The fit stacks **training origins** ``s_j = -j · stride`` (``j ≥ 1``) whose
label window ``[s_j, s_j + horizon)`` lies in the history and which have at least
``min_history_days`` of history before them; the forecast itself uses ``s_0 = 0``.  At an
origin ``s`` every feature sees only the events in ``[-W, s)``:

``count_all``
    events in the cell over ``[-W, s)``, as a rate per ``W`` days (``× W / (s + W)``), so that a
    training origin with a shorter history and the forecast origin are on one scale;
``count_<N>d`` / ``count_horizon``
    events in the cell over the last ``N`` days / the last horizon;
``kde_<b>km``
    the kernel density of ``[-W, s)`` at bandwidth ``b`` (same kernel and great-circle distance
    as :func:`pipeline.density.kernel_density`), times the mean cell area, as a rate per ``W``:
    the smoothed number of events of an average cell around this one;
``recency``
    days since the last event within ``recency_radius_km`` of the cell centre, capped at
    ``recency_cap_days`` (the cap also stands for "none").

Transforms: counts and recency ``log1p``; smoothed counts ``log(x + c)`` with ``c`` one hundredth
of the mean events per cell over the history (a floor, so that a cell outside every kernel has
a finite value).  Extra per-cell factors (transit, rasters, plug-ins) come as one table, which
every row takes (time-invariant: a documented look-ahead at the training origins), or as a
function of the date, ``factors_at(timestamp) -> table``, called once per training origin and
once at the forecast origin, each row taking the values as of its own origin: a factor that
counts the seizures as of a date, taken at the forecast origin, counts the training labels.
With a function, each factor's transform (``log1p`` unless it has negative values), its fill
and its coverage masks are decided on all the origins' values together, so one column means
one thing in every row.  NaN means "not covered": the value is filled with the covered values'
mean and a ``<factor>__missing`` indicator joins the design, so a gap is never read as a zero
(one indicator per distinct coverage mask, named after its first factor: the transit factors
share one).

The kernel sums are sparse matrix products: one KD-tree query for the cell-event pairs within
the largest radius, one sparse matrix per bandwidth, one product per window and origin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from .. import schema as S
from ..density import kernel_profile, kernel_support_km
from ..errors import InputError
from ..evaluate.baselines import cell_areas
from ..grid import cells_resolutions, cells_to_latlng, points_to_cells, to_cells
from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, chord_to_arc_km, lonlat_to_xyz
from .options import FittedOptions

__all__ = [
    "FactorsAt",
    "LaggedFeatures",
    "build_lagged_features",
    "factors_by_cell",
    "smoothed_counts",
]

DAY = pd.Timedelta(days=1)

#: Extra per-cell factors as of a date: ``factors_at(timestamp) -> table`` (see
#: :func:`build_lagged_features`).
FactorsAt = Callable[[pd.Timestamp], pd.DataFrame]


@dataclass
class LaggedFeatures:
    """The design of the fitted model at one forecast origin.

    Attributes
    ----------
    names : list of str
        Feature names (columns of ``x_train`` and ``x_pred``).
    descriptions : dict of str to str
        What each feature measures, in words.
    x_train, y_train, offset_train : numpy.ndarray
        Stacked training rows (cell × training origin), their labels (events in the following
        horizon) and offsets ``log(area / mean area)``.
    cell_train, origin_train : numpy.ndarray of int
        Cell index and training-origin index of each row.
    x_pred, offset_pred : numpy.ndarray
        The features and offsets of every cell at the forecast origin.
    area_km2 : numpy.ndarray
        Area of every cell.
    active_train, active_pred : numpy.ndarray of bool
        Rows / cells with an event of the history (before their origin) within the largest
        kernel's reach: where the model is fitted (``fit_region: active``).
    training_origins_days : list of float
        The training origins, in days before the forecast origin.
    raw_pred : dict of str to numpy.ndarray
        Untransformed features at the forecast origin (counts, km-scale values), for reports.
    n_events : int
        Events in the history.
    missing_of : dict of str to list of str
        Each ``<factor>__missing`` indicator and the factors whose coverage it marks.
    not_covered : list of str
        Extra factors that cover no cell at any origin (all NaN): left out, as nothing can
        be estimated; the report names them.
    """

    names: list[str]
    descriptions: dict[str, str]
    x_train: np.ndarray
    y_train: np.ndarray
    offset_train: np.ndarray
    cell_train: np.ndarray
    origin_train: np.ndarray
    x_pred: np.ndarray
    offset_pred: np.ndarray
    area_km2: np.ndarray
    active_train: np.ndarray
    active_pred: np.ndarray
    training_origins_days: list[float]
    raw_pred: dict[str, np.ndarray] = field(default_factory=dict)
    n_events: int = 0
    missing_of: dict[str, list[str]] = field(default_factory=dict)
    not_covered: list[str] = field(default_factory=list)


def _mean_edge_km(res: int) -> float:
    n_cells = 2 + 120 * 7**res
    return float(np.sqrt(2 * (4 * np.pi * EARTH_RADIUS_KM**2 / n_cells) / (3 * np.sqrt(3))))


def _pairs(tt: cKDTree, e_xyz: np.ndarray, reach_km: float):
    """Target-event pairs closer than ``reach_km``, sorted by target: (i, j, great-circle km).

    ``tt`` is the targets' tree (:func:`_targets`, unit vectors times the Earth's radius).
    """
    te = cKDTree(e_xyz * EARTH_RADIUS_KM)
    p = tt.sparse_distance_matrix(te, arc_to_chord_km(reach_km), output_type="ndarray")
    order = np.argsort(p["i"], kind="stable")
    return (
        p["i"][order].astype("int64"),
        p["j"][order].astype("int64"),
        chord_to_arc_km(p["v"][order]),
    )


_TARGETS: list[tuple[np.ndarray, dict[int, tuple]]] = []


def _targets(cells: np.ndarray, r: int) -> tuple:
    """Return the kernel sums' targets of ``cells`` at resolution ``r``: ``(lon, lat, back, tree)``.

    ``back`` maps each cell to its target (None when ``r`` is the cells' own resolution, the
    targets then being the cells' centres).  The last universe's are remembered, as
    :func:`~pipeline.evaluate.baselines.cell_areas` remembers its areas: every origin of a
    back-test on fixed cells asks for the same ones (centres, coarser parents and their
    KD-tree: about a tenth of a fit's features on 200,000 cells).  The tree is the same
    tree, so the pairs and the order of the sums are the same.
    """
    entry = _TARGETS[0] if _TARGETS else None  # one read: another thread may replace it
    if entry is None or not np.array_equal(entry[0], cells):
        entry = (cells.copy(), {})
        _TARGETS[:] = [entry]
    known = entry[1]
    if r not in known:
        res = int(cells_resolutions(cells[:1])[0]) if cells.size else 0
        if r == res:
            t_lat, t_lon = cells_to_latlng(cells)
            back = None
        else:
            c_lon, c_lat = _targets(cells, res)[:2]
            coarse = points_to_cells(c_lon, c_lat, r)
            ids, back = np.unique(coarse, return_inverse=True)
            t_lat, t_lon = cells_to_latlng(ids)
        tree = cKDTree(lonlat_to_xyz(t_lon, t_lat) * EARTH_RADIUS_KM) if t_lon.size else None
        known[r] = (t_lon, t_lat, back, tree)
    return known[r]


def _csr(i, j, v, n, m, sel=None) -> sparse.csr_matrix:
    """CSR from pairs already sorted by row (no re-sorting)."""
    if sel is not None:
        i, j, v = i[sel], j[sel], v[sel]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=n))])
    return sparse.csr_matrix((v, j, indptr), shape=(n, m))


class _KernelSums:
    """Kernel sums of events at the cells, one sparse operator per bandwidth.

    With ``coarsen``, a bandwidth of at least ten mean cell edges of a coarser resolution is
    evaluated at the centres of that resolution's cells (those holding the cells' centres) and
    read back at the cells: a 100 km kernel on resolution 6 evaluates 7 times fewer targets, and
    a cell centre is at most one coarse cell radius (< b / 10) from where its value was taken.
    """

    def __init__(
        self,
        cells: np.ndarray,
        ev_lon: np.ndarray,
        ev_lat: np.ndarray,
        bandwidths: tuple[float, ...],
        kernel: str,
        radius_km: float = 0.0,
        coarsen: bool = True,
    ) -> None:
        n, m = cells.size, ev_lon.size
        self.n, self.m = n, m
        res = int(cells_resolutions(cells[:1])[0]) if n else 0
        e_xyz = lonlat_to_xyz(ev_lon, ev_lat)
        groups: dict[int, list[float]] = {}
        for b in bandwidths:
            r = res
            if coarsen:
                r = next((q for q in range(res + 1) if _mean_edge_km(q) <= b / 10), res)
            groups.setdefault(r, []).append(b)
        self.ops: dict[float, tuple[sparse.csr_matrix, np.ndarray | None]] = {}
        own: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None
        for r, bs in groups.items():
            t_lon, t_lat, back, tree = _targets(cells, r)
            nt = t_lon.size
            if nt == 0 or m == 0:
                for b in bs:
                    self.ops[b] = (sparse.csr_matrix((nt, m)), back)
                continue
            reach = max(kernel_support_km(kernel, b) for b in bs)
            i, j, d = _pairs(tree, e_xyz, max(reach, radius_km))
            if back is None:
                own = (i, j, d, max(reach, radius_km))
            for b in bs:
                sel = np.flatnonzero(d < kernel_support_km(kernel, b))
                k = kernel_profile(kernel, d[sel], b)
                self.ops[b] = (_csr(i[sel], j[sel], k, nt, m), back)
        self.near: sparse.csr_matrix | None = None
        if radius_km > 0:
            if n and m:
                if own is None:
                    tree = _targets(cells, res)[3]
                    own = (*_pairs(tree, e_xyz, radius_km), radius_km)
                i, j, d, _ = own
                sel = np.flatnonzero(d < radius_km)
                self.near = _csr(i[sel], j[sel], np.ones(sel.size), n, m)
            else:
                self.near = sparse.csr_matrix((n, m))

    def density(self, b: float, weights: np.ndarray) -> np.ndarray:
        """Kernel density per km² at every cell for per-event ``weights``."""
        op, back = self.ops[b]
        v = op @ weights
        return v if back is None else v[back]


def smoothed_counts(
    lon: np.ndarray,
    lat: np.ndarray,
    cells: np.ndarray,
    bandwidth_km: float,
    kernel: str = "quartic",
    *,
    coarsen: bool = False,
) -> np.ndarray:
    """Kernel density of points at cell centres, per km² (the features' kernel sum).

    Without ``coarsen``, the same sum as :func:`pipeline.density.kernel_density` with a fixed
    bandwidth and unit weights, computed as the fitted model computes it (a sparse matrix
    product); with ``coarsen`` (what the features use), a bandwidth of at least ten coarser
    cell edges is evaluated on the coarser cells.  Exposed so both can be checked against the
    density core.
    """
    cells = to_cells(cells)
    lon = np.asarray(lon, "float64")
    b = float(bandwidth_km)
    sums = _KernelSums(cells, lon, np.asarray(lat, "float64"), (b,), kernel, coarsen=coarsen)
    return sums.density(b, np.ones(lon.size))


def _row_max(pattern: sparse.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Max of ``values[j]`` over the columns ``j`` of each row (``-inf`` for an empty row)."""
    out = np.full(pattern.shape[0], -np.inf)
    if pattern.nnz == 0:
        return out
    vals = values[pattern.indices]
    starts = pattern.indptr[:-1]
    nonempty = np.diff(pattern.indptr) > 0
    red = np.maximum.reduceat(vals, starts[nonempty])
    out[nonempty] = red
    return out


def factors_by_cell(factors: pd.DataFrame, cells: np.ndarray) -> pd.DataFrame:
    """Return a per-cell factors table indexed by ``cells`` (uint64), one row per cell.

    The table's cells come from its ``cell`` column, else its ``hex_id`` column, else its
    index, as uint64 ids or hex strings (:func:`pipeline.grid.to_cells`); the ``hex_id``
    column is an identifier, not a factor.  A cell the table lacks gets NaN (not covered).

    Raises
    ------
    InputError
        No cell ids, ids that are not H3 cells, a cell twice, or no cell in common with
        ``cells`` (another resolution, another area).
    """
    frame = factors
    if S.CELL in frame.columns:
        keys, frame = frame[S.CELL], frame.drop(columns=[S.CELL])
    elif S.HEX_ID in frame.columns:
        keys = frame[S.HEX_ID]
    elif isinstance(frame.index, pd.RangeIndex):
        raise InputError(
            f"the factors table needs its cells: a {S.CELL!r} or {S.HEX_ID!r} column, or an "
            f"index of H3 cells; it has columns {list(map(str, frame.columns))!r}"
        )
    else:
        keys = frame.index.to_series()
    if S.HEX_ID in frame.columns:
        frame = frame.drop(columns=[S.HEX_ID])
    try:
        ids = to_cells(keys.to_numpy())
    except InputError as exc:
        raise InputError(f"the factors table's cells: {exc}") from None
    index = pd.Index(ids)
    if not index.is_unique:
        dup = int(index[index.duplicated()][0])
        raise InputError(f"the factors table has cell {dup} more than once; one row per cell")
    cells = np.asarray(cells, dtype="uint64")
    if len(index) and cells.size and not index.isin(cells).any():
        raise InputError(
            f"none of the factors table's {len(index)} cells is among the {cells.size} cells "
            f"modelled (resolution {sorted(set(cells_resolutions(ids[:1000]).tolist()))!r} vs "
            f"{sorted(set(cells_resolutions(cells[:1000]).tolist()))!r})"
        )
    frame = frame.set_axis(index, axis=0).reindex(pd.Index(cells, name=S.CELL))
    for c in frame.columns:
        if str(c).endswith(S.COVERED_SUFFIX) and frame[c].isna().any():
            # a cell the table lacks has no flag (NaN in an object column): not covered, as
            # score_cells reads only booleans (text flags stay text, refused there)
            frame[c] = frame[c].where(frame[c].notna(), False).infer_objects()
    return frame


def _factor_columns(
    tables: list[pd.DataFrame], cells: np.ndarray, options: FittedOptions
) -> tuple[
    dict[str, np.ndarray], dict[str, str], dict[str, np.ndarray], dict[str, list[str]], list[str]
]:
    """Return the transformed extra factors (NaN filled) and their missing indicators.

    ``tables`` holds the factors at one or more origins (the forecast's first); each column
    returned stacks them, ``len(tables) × len(cells)`` values, transformed and filled alike.
    The raw values returned are the first table's; the fourth item maps each indicator to
    the factors it marks, the last lists the factors that cover no cell at any origin (left
    out: nothing to estimate).
    """
    cols: dict[str, np.ndarray] = {}
    desc: dict[str, str] = {}
    raw: dict[str, np.ndarray] = {}
    masks: dict[bytes, list[str]] = {}
    not_covered: list[str] = []
    if not tables or len(tables[0].columns) == 0:
        return cols, desc, raw, {}, not_covered
    frames = [factors_by_cell(t, cells) for t in tables]
    names = list(frames[0].columns)
    for k, other in enumerate(frames[1:], start=1):
        if list(other.columns) != names:
            raise InputError(
                f"the factors table of training origin {k} has columns "
                f"{list(map(str, other.columns))!r}, the forecast's {list(map(str, names))!r}; "
                "a table as of each date needs the same factors"
            )
    unknown = sorted(set(options.factor_transforms) - set(names))
    if unknown:
        raise InputError(
            f"factor_transforms names {unknown!r}, which are not factor columns; available: "
            f"{sorted(map(str, names))!r}"
        )
    n_all = len(frames) * len(cells)
    for name in names:
        try:
            parts = [
                pd.to_numeric(f[name], errors="raise").to_numpy(dtype="float64") for f in frames
            ]
        except (TypeError, ValueError):
            raise InputError(f"factor {name!r} is not numeric") from None
        x = parts[0] if len(parts) == 1 else np.concatenate(parts)
        x = np.where(np.isfinite(x), x, np.nan)
        raw[str(name)] = x[: len(cells)]
        covered = ~np.isnan(x)
        if not covered.any():
            not_covered.append(str(name))
            continue
        obs = x[covered]
        how = options.factor_transforms.get(str(name))
        if how is None:
            how = "log" if obs.min() >= 0 else "linear"
        if how == "log":
            if obs.min() < 0:
                raise InputError(
                    f"factor {name!r} has negative values ({float(obs.min())!r}); use "
                    "factor_transforms: {" + f"{name!r}" + ": linear}"
                )
            x = np.log1p(x)
        fill = float(np.nanmean(x))
        cols[str(name)] = np.where(covered, x, fill)
        desc[str(name)] = f"factor {name!r} ({'log1p' if how == 'log' else 'linear'})"
        if not covered.all():
            key = np.packbits(~covered).tobytes()
            masks.setdefault(key, []).append(str(name))
    # One indicator per distinct coverage mask: factors of one source (the transit factors
    # share the AIS coverage) would otherwise give identical, unidentifiable columns.
    for key, group in masks.items():
        missing = np.unpackbits(np.frombuffer(key, dtype=np.uint8), count=n_all)
        cols[f"{group[0]}__missing"] = missing.astype("float64")
        which = ", ".join(repr(n) for n in group)
        desc[f"{group[0]}__missing"] = (
            f"1 where factor {which} does not cover the cell"
            if len(group) == 1
            else f"1 where factors {which} do not cover the cell (one shared coverage)"
        )
    missing_of = {f"{g[0]}__missing": list(g) for g in masks.values()}
    return cols, desc, raw, missing_of, not_covered


def build_lagged_features(
    events: pd.DataFrame,
    cells: np.ndarray,
    origin: pd.Timestamp,
    options: FittedOptions,
    factors: pd.DataFrame | FactorsAt | None = None,
) -> LaggedFeatures:
    """Build the stacked training design and the forecast design at ``origin``.

    Parameters
    ----------
    events : pandas.DataFrame
        ``time`` (UTC), ``lon``, ``lat``; only events in ``[origin - train_days, origin)`` are
        used, whatever else is passed.
    cells : numpy.ndarray of uint64
        The cells to model (one H3 resolution, each once, in any order: the rows follow it).
    origin : pandas.Timestamp
        The forecast origin.
    options : FittedOptions
        Windows, bandwidths, recency, history.
    factors : pandas.DataFrame or callable, optional
        Extra per-cell factors: a ``cell`` column (or index) and numeric columns; NaN = not
        covered.  A table is taken by every row (today's values at the training origins); a
        callable ``factors_at(timestamp) -> table`` is called once at each training origin
        (``origin + s`` days) and once at ``origin``, and each row takes its own origin's
        values: what a factor that counts the seizures as of a date needs.

    Returns
    -------
    LaggedFeatures
    """
    cells = np.asarray(cells, dtype="uint64")
    n = cells.size
    res = np.unique(cells_resolutions(cells)) if n else np.array([0])
    if res.size != 1:
        raise InputError(f"cells mix H3 resolutions {res.tolist()!r}; use one")
    origin = pd.Timestamp(origin)
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    W, h = float(options.train_days), float(options.horizon_days)
    times = pd.to_datetime(events[S.TIME], utc=True)
    tau = ((times - origin) / DAY).to_numpy(dtype="float64")
    keep = (tau >= -W) & (tau < 0)
    tau = tau[keep]
    lon = events[S.LON].to_numpy(dtype="float64")[keep]
    lat = events[S.LAT].to_numpy(dtype="float64")[keep]
    m = tau.size

    area = cell_areas(cells) if n else np.empty(0)
    mean_area = float(area.mean()) if n else 1.0
    offset = np.log(area / mean_area) if n else np.empty(0)

    # the cells in the order given (rows of the designs), looked up in sorted order: a
    # binary search of unsorted cells missed most events, whose cells then counted none
    order = np.argsort(cells, kind="stable")
    by_id = cells[order]
    if n and (by_id[1:] == by_id[:-1]).any():
        dup = int(by_id[1:][by_id[1:] == by_id[:-1]][0])
        raise InputError(f"cells has cell {dup!r} more than once; one row per cell")
    ev_cells = points_to_cells(lon, lat, int(res[0])) if m else np.empty(0, "uint64")
    pos = np.searchsorted(by_id, ev_cells)
    pos_c = np.minimum(pos, max(n - 1, 0))
    if m and n:
        ev_idx = np.where(by_id[pos_c] == ev_cells, order[pos_c], -1)
    else:
        ev_idx = np.full(m, -1, dtype="int64")

    radius = float(options.recency_radius_km or (options.bandwidths_km or (25.0,))[0])
    sums = _KernelSums(
        cells,
        lon,
        lat,
        options.bandwidths_km,
        options.kernel,
        radius if options.recency else 0.0,
    )
    near = sums.near

    stride, hist = options.stride, options.history_days
    n_orig = int(np.floor((W - hist) / stride + 1e-9))
    train_origins = [-(j * stride) for j in range(1, n_orig + 1) if j * stride >= h - 1e-9]

    inside = ev_idx >= 0

    def cell_counts(lo: float, hi: float) -> np.ndarray:
        sel = inside & (tau >= lo) & (tau < hi)
        return np.bincount(ev_idx[sel], minlength=n).astype("float64")

    floor = options.smoothing_floor * max(m, 1) / max(n, 1)
    names: list[str] = []
    desc: dict[str, str] = {}
    for w in options.count_windows_days:
        key = options.count_feature(w)
        names.append(key)
        desc[key] = (
            f"events in the cell in the training window, the {W:g} days before the origin "
            f"(as a rate per {W:g} days) (log1p)"
            if w == "all"
            else f"events in the cell in the last {h if w == 'horizon' else w:g} days (log1p)"
        )
    kde_keys = []
    for b in options.bandwidths_km:
        for w in options.kde_windows_days:
            key = options.kde_feature(b, w)
            names.append(key)
            kde_keys.append((key, b, w))
            # "all" is the training window, not the whole record: a cell whose 58 attacks
            # are older than it has 0 here (piracy incidents, "whole history" on the panel)
            span = (
                f"in the training window, the {W:g} days before the origin (as a rate per "
                f"{W:g} days)"
                if w == "all"
                else f"in the last {w:g} days"
            )
            desc[key] = (
                f"events around the cell, {options.kernel} kernel of {b:g} km, {span} "
                f"(log, floor {floor:.3g})"
            )
    if options.recency:
        names.append("recency")
        desc["recency"] = (
            f"days since the last event within {radius:g} km, capped at "
            f"{options.recency_cap_days:g} (log1p)"
        )

    def features_at(s: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        scale = W / (s + W)
        cols: list[np.ndarray] = []
        raw: dict[str, np.ndarray] = {}
        past = (tau >= -W) & (tau < s)
        for w in options.count_windows_days:
            if w == "all":
                v = cell_counts(-W, s) * scale
            else:
                length = h if w == "horizon" else float(w)
                v = cell_counts(s - length, s)
            cols.append(np.log1p(v))
            raw[names[len(cols) - 1]] = v
        for key, b, w in kde_keys:
            if w == "all":
                v = sums.density(b, past.astype("float64")) * mean_area * scale
            else:
                recent = past & (tau >= s - float(w))
                v = sums.density(b, recent.astype("float64")) * mean_area * (W / float(w))
            cols.append(np.log(v + floor))
            raw[key] = v
        if options.recency:
            assert near is not None
            last = _row_max(near, np.where(past, tau, -np.inf))
            days = np.minimum(s - last, options.recency_cap_days)
            cols.append(np.log1p(days))
            raw["recency"] = days
        x = np.column_stack(cols) if cols else np.empty((n, 0))
        return x, raw

    def active_at(s: float) -> np.ndarray:
        if not options.bandwidths_km:
            return np.ones(n, dtype=bool)
        past = (tau >= -W) & (tau < s)
        return sums.density(max(options.bandwidths_km), past.astype("float64")) > 0

    x_pred, raw_pred = features_at(0.0)
    active_pred = active_at(0.0)
    if factors is None:
        tables: list[pd.DataFrame] = []
    elif callable(factors):
        tables = [factors(origin + s * DAY) for s in [0.0, *train_origins]]
    else:
        tables = [factors]
    fcols, fdesc, fraw, missing_of, not_covered = _factor_columns(tables, cells, options)
    clash = sorted(set(fcols) & {*names, "area"})
    if clash:
        # one name for two columns: the report listed count_365d twice (one kept, one
        # dropped) and the shares' column could hold either
        raise InputError(
            f"factor {clash[0]!r} has the name of one of the fitted model's own features "
            f"{sorted({*names, 'area'})!r}; give the factor another name"
        )
    p, q, n_train = x_pred.shape[1], len(fcols), len(train_origins)
    # one allocation, filled per training origin: stacking and then joining the factor
    # columns would copy the whole design twice
    x_train = np.empty((n_train * n, p + q))
    y_train = np.empty(n_train * n)
    acts = np.empty(n_train * n, dtype=bool)
    for k, s in enumerate(train_origins):
        rows = slice(k * n, (k + 1) * n)
        x_train[rows, :p], _ = features_at(s)
        acts[rows] = active_at(s)
        y_train[rows] = cell_counts(s, s + h)
    cell_train = np.tile(np.arange(n), n_train)
    origin_train = np.repeat(np.arange(1, n_train + 1), n)
    if fcols:
        fx = np.column_stack(list(fcols.values()))
        x_pred = np.hstack([x_pred, fx[:n]])
        for k in range(n_train):
            # one table: today's values in every row; one per date: the training origin's
            x_train[k * n : (k + 1) * n, p:] = (
                fx if len(tables) == 1 else fx[(k + 1) * n : (k + 2) * n]
            )
        names += list(fcols)
        desc.update(fdesc)
        raw_pred.update(fraw)
    return LaggedFeatures(
        names=names,
        descriptions=desc,
        x_train=x_train,
        y_train=y_train,
        offset_train=np.tile(offset, len(train_origins)),
        cell_train=cell_train,
        origin_train=origin_train,
        x_pred=x_pred,
        offset_pred=offset,
        area_km2=area,
        active_train=acts,
        active_pred=active_pred,
        training_origins_days=[float(s) for s in train_origins],
        raw_pred=raw_pred,
        n_events=int(m),
        missing_of=missing_of,
        not_covered=not_covered,
    )
