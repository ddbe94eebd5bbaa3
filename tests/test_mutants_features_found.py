"""Tests that a hand mutation analysis of the lagged features, the features stage and its
runner stages found missing (task hHE).

Each test fails on one or more small, plausible mutants of ``pipeline/model/features.py``,
``pipeline/features.py`` or ``pipeline/runner/stages/_features.py`` that left the modules'
other tests passing, or on a product bug the analysis met (the fix named in the test).  The
values are checked against independent ones: counts by a pandas group-by of the events' cells,
kernel sums by a brute-force haversine sum over every cell-event pair, neighbourhoods by h3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_mutants_fitted_found import assert_smoothed_is_exact_at

from pipeline import schema as S
from pipeline.density import kernel_density_exact
from pipeline.errors import InputError
from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells
from pipeline.model import FittedOptions, build_lagged_features

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)

OPTIONS = dict(
    horizon_days=91.0,
    train_days=400.0,
    stride_days=30.0,
    count_windows_days=("all", "horizon"),
    bandwidths_km=(10.0, 20.0),
    kde_windows_days=("all", 91.0),
    recency=True,
    recency_cap_days=100.0,
)


@pytest.fixture(scope="module")
def world():
    """16 res-5 cells and 80 events at cell centres, at random days of the history."""
    rng = np.random.default_rng(3)
    cells = region_to_cells((0.0, 0.0, 0.5, 0.5), 5)
    lat, lon = cells_to_latlng(cells)
    k = rng.integers(0, cells.size, 80)
    tau = -rng.uniform(1.0, 390.0, k.size)
    ev = pd.DataFrame(
        {S.TIME: ORIGIN + pd.to_timedelta(tau, unit="D"), S.LON: lon[k], S.LAT: lat[k]}
    )
    return {"cells": cells, "ev": ev}


# ------------------------------------------------------------------ lagged features


def test_lagged_features_follow_the_cells_in_the_order_given(world):
    """The rows follow ``cells`` as given, whatever their order; a cell twice is refused.

    build_lagged_features looked the events' cells up by a binary search of ``cells`` as
    given: with the cells in any order but ascending most events were not found, and their
    cells counted none - 16 cells in reverse order had every count and every training label
    0 (160 label events lost) with exit 0.  FittedModel sorts its cells first; the public
    function did not.
    """
    cells, ev = world["cells"], world["ev"]
    opts = FittedOptions(**OPTIONS)
    ref = build_lagged_features(ev, cells, ORIGIN, opts)
    perm = np.random.default_rng(0).permutation(cells.size)
    got = build_lagged_features(ev, cells[perm], ORIGIN, opts)
    assert got.names == ref.names
    np.testing.assert_allclose(got.x_pred, ref.x_pred[perm], rtol=1e-12)
    n, k = cells.size, len(ref.training_origins_days)
    rows = (np.arange(k)[:, None] * n + perm[None, :]).ravel()
    np.testing.assert_allclose(got.x_train, ref.x_train[rows], rtol=1e-12)
    np.testing.assert_array_equal(got.y_train, ref.y_train[rows])
    # the counts themselves, by a group-by of the events' cells
    ev_cell = points_to_cells(ev[S.LON].to_numpy(), ev[S.LAT].to_numpy(), 5)
    by_cell = pd.Series(1.0, index=ev_cell).groupby(level=0).sum()
    want = by_cell.reindex(cells[perm], fill_value=0.0).to_numpy()
    np.testing.assert_allclose(got.raw_pred["count_all"], want)
    assert got.y_train.sum() > 0
    with pytest.raises(InputError, match="more than once"):
        build_lagged_features(ev, np.concatenate([cells, cells[:1]]), ORIGIN, opts)


def test_an_event_at_the_forecast_origin_is_not_history(world):
    """An event exactly at the origin belongs to the forecast's window, not to its history.

    Mutant: the history ``[-W, 0]`` closed at the origin - the event counted in
    ``n_events`` and raised the smoothed counts' floor of every cell.
    """
    cells, ev = world["cells"], world["ev"]
    opts = FittedOptions(**OPTIONS)
    ref = build_lagged_features(ev, cells, ORIGIN, opts)
    at = pd.DataFrame({S.TIME: [ORIGIN] * 5, S.LON: ev[S.LON][:5], S.LAT: ev[S.LAT][:5]})
    got = build_lagged_features(pd.concat([ev, at], ignore_index=True), cells, ORIGIN, opts)
    assert got.n_events == ref.n_events == len(ev)
    np.testing.assert_array_equal(got.x_pred, ref.x_pred)
    np.testing.assert_array_equal(got.x_train, ref.x_train)
    np.testing.assert_array_equal(got.y_train, ref.y_train)
    assert got.descriptions == ref.descriptions


def test_an_event_exactly_one_window_before_an_origin_is_in_that_window(world):
    """A windowed feature at origin ``s`` sees ``[s - w, s)``: the event at ``s - w`` is in it.

    Mutant: the smoothed count's window opened at ``s - w`` (``tau > s - w``) while the
    count's window stayed closed there - the one event of a window dropped from the kernel
    sum only.  Two lone events: one exactly 91 days before the forecast origin, one exactly
    91 days before the first training origin (-120).
    """
    cells = world["cells"]
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame(
        {
            S.TIME: [ORIGIN - 91 * DAY, ORIGIN - 211 * DAY],
            S.LON: [lon[3], lon[12]],
            S.LAT: [lat[3], lat[12]],
        }
    )
    f = build_lagged_features(ev, cells, ORIGIN, FittedOptions(**OPTIONS))
    assert f.training_origins_days[0] == -120.0
    names = f.names
    ka, kw, ch = names.index("kde_10km"), names.index("kde_10km_91d"), names.index("count_horizon")
    w_days = OPTIONS["train_days"]
    # at the forecast origin both events are history; the one at -91 alone is in the window
    exact = kernel_density_exact(
        (ev[S.LON][:1], ev[S.LAT][:1]), cells, bandwidth_km=10.0, kernel="quartic"
    )
    want = exact * cell_area_km2(cells).mean() * w_days / 91.0
    np.testing.assert_allclose(f.raw_pred["kde_10km_91d"], want, rtol=1e-9, atol=1e-15)
    assert f.raw_pred["count_horizon"][3] == 1.0 and f.raw_pred["count_horizon"].sum() == 1.0
    # at -120 the event at -211 is the window's only one: its cell's windowed sum is the
    # whole history's sum times W / 91 (over the same single event)
    n = cells.size
    x = f.x_train[:n]
    floor = 0.01 * 2 / n
    v_all = np.exp(x[:, ka]) - floor
    v_win = np.exp(x[:, kw]) - floor
    scale = w_days / (-120.0 + w_days)
    np.testing.assert_allclose(v_win[12], v_all[12] / scale * w_days / 91.0, rtol=1e-9)
    assert v_win[12] > 0 and np.expm1(x[12, ch]) == pytest.approx(1.0)


def test_kernel_sums_go_coarser_only_from_ten_coarser_edges():
    """At resolution 5 (edge 9.9 km; resolution 4: 26.1 km) a 200 km kernel is summed at the
    cells' own centres (200 / 10 < 26.1), a 270 km kernel at the centres of the resolution-4
    cells that hold them.

    Mutant: coarsening from five coarser edges (200 / 5 > 26.1: the 200 km sums read at
    resolution-4 centres up to 15 km away); the existing 60 km test is under both thresholds.
    """
    import h3

    rng = np.random.default_rng(5)
    cells = region_to_cells((0.0, 0.0, 0.4, 0.4), 5)
    lon, lat = rng.uniform(-1.0, 1.5, 60), rng.uniform(-1.0, 1.5, 60)
    assert_smoothed_is_exact_at(lon, lat, cells, 200.0)
    c_lat, c_lon = cells_to_latlng(cells)
    parents = [h3.latlng_to_cell(a, b, 4) for a, b in zip(c_lat, c_lon, strict=True)]
    p_lat, p_lon = np.array([h3.cell_to_latlng(p) for p in parents]).T
    assert_smoothed_is_exact_at(lon, lat, cells, 270.0, points_to_cells(p_lon, p_lat, 4))
    assert len(set(parents)) < cells.size


def test_kernel_sums_of_another_universe_of_as_many_cells_use_its_own_centres():
    """The remembered targets (centres, parents, KD-tree) are those of the same cells only.

    Mutant: the memory matched on the number of cells - a second universe of 16 cells, a
    degree east, was summed at the first one's centres (no event near them: all zeros).
    """
    from pipeline.model import smoothed_counts

    a = region_to_cells((0.0, 0.0, 0.5, 0.5), 5)
    lat, lon = cells_to_latlng(a)
    b = points_to_cells(lon + 2.0, lat, 5)
    assert np.unique(b).size == a.size and not np.isin(b, a).any()
    rng = np.random.default_rng(9)
    ev_lon, ev_lat = rng.uniform(1.9, 2.6, 40), rng.uniform(-0.1, 0.6, 40)
    for cells in (a, b, a):
        got = smoothed_counts(ev_lon, ev_lat, cells, 20.0)
        want = kernel_density_exact((ev_lon, ev_lat), cells, bandwidth_km=20.0, kernel="quartic")
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
    assert smoothed_counts(ev_lon, ev_lat, b, 20.0).max() > 0


# ------------------------------------------------------------------ the features stage


def _region(n_rings: int = 1, res: int = 6, lon: float = 10.0) -> np.ndarray:
    from pipeline.grid import grid_disk_cells

    return np.sort(grid_disk_cells(points_to_cells([lon], [40.0], res), n_rings))


def _context(region: np.ndarray, seizures: pd.DataFrame | None = None, res: int = 6):
    from pipeline.factors import FactorContext

    if seizures is None:
        seizures = pd.DataFrame({S.TIME: [], S.LON: [], S.LAT: []})
    return FactorContext(
        cells=region,
        resolution=res,
        as_of=ORIGIN,
        seizures=seizures,
        pings=pd.DataFrame(),
        window_cells=region,
    )


class _Cache:
    """``cached(stage, key_parts, build)`` of a run: one value per distinct key."""

    def __init__(self) -> None:
        self.kept: dict[str, object] = {}

    def __call__(self, stage, parts, build):
        from pipeline.runner.cache import digest

        k = f"{stage} {digest(parts)}"
        if k in self.kept:
            return self.kept[k], True
        self.kept[k] = build()
        return self.kept[k], False


def _features(factors, base, *, cells_mode="support", area_given=True, cached=None):
    from pipeline.factors import NoOptions
    from pipeline.features import compute_features

    return compute_features(
        factors,
        base,
        area_given=area_given,
        cells_mode=cells_mode,
        options_for=lambda f: NoOptions(),
        key_for=lambda f: [f.name, f.code_digest()],  # as the runner's keys
        cached=cached,
    )


def _observed_first_four(ctx):
    from pipeline.factors import FactorValues

    v = np.isin(ctx.cells, _region()[:4]).astype("float64")
    return FactorValues(v, np.ones(v.size, dtype=bool), {"said": "four"})


def _latitude(ctx):
    return ctx.cell_centres()[1]


def test_the_support_cut_keeps_observed_and_seizure_cells_and_aligns_every_column():
    """``cells: support`` cuts to the cells a support factor observes or a seizure lies in,
    before the other factors run; ``cells: all`` keeps every cell of the area; the table is
    sorted by cell with each value on its own cell, whatever order the area came in."""
    from pipeline.factors import Factor

    region = _region()
    lat, lon = cells_to_latlng(region)
    seen = Factor("seen", "n", "d", _observed_first_four, support=0.0)
    north = Factor("north", "deg", "d", _latitude)
    one = pd.DataFrame({S.TIME: [ORIGIN - DAY], S.LON: [lon[5]], S.LAT: [lat[5]]})
    shuffled = region[::-1].copy()
    base = _context(shuffled, one)
    got = _features([seen, north], base)
    t = got.table
    assert t[S.CELL].tolist() == sorted([*region[:4].tolist(), int(region[5])])
    by_cell = dict(zip(region.tolist(), lat, strict=True))
    np.testing.assert_array_equal(t["north"], [by_cell[c] for c in t[S.CELL].tolist()])
    assert t["seen"].tolist() == [0.0 if c == region[5] else 1.0 for c in t[S.CELL].tolist()]
    assert t["seen__covered"].all() and t["north__covered"].all()
    assert got.info == {"seen": {"said": "four"}}
    every = _features([seen, north], base, cells_mode="all").table
    assert every[S.CELL].tolist() == region.tolist()
    np.testing.assert_array_equal(every["north"], lat)


def _more_cells(ctx):
    return _region(2)


def test_a_support_factor_adds_its_cells_only_where_the_config_gives_no_area():
    from pipeline.factors import Factor

    region = _region()
    seen = Factor("seen", "n", "d", _observed_first_four, support=0.0, adds_cells=_more_cells)
    given = _features([seen], _context(region), cells_mode="all").table
    assert given[S.CELL].tolist() == region.tolist()
    grown = _features([seen], _context(region), cells_mode="all", area_given=False).table
    assert grown[S.CELL].tolist() == _region(2).tolist()


def _window_size(ctx):
    return np.full(ctx.cells.size, float(ctx.window_cells.size))


def _shared_latitude(ctx):
    return ctx.shared("latitudes", lambda c: c.cell_centres()[1])


def test_a_cached_factor_is_kept_per_area_and_per_cells():
    """A factor's cached values are keyed by its cells and by the area (the density's edge
    window): a night whose area grew by unobserved cells recomputes what reads the window,
    and a shared computation on other cells is not served the first cells' result.

    Mutants: the factor's key without the area's digest (7 read where 19 was the window),
    a shared computation's key without the cells' digest (the first area's latitudes on
    the second's cells).
    """
    from pipeline.factors import Factor

    seen = Factor("seen", "n", "d", _observed_first_four, support=0.0)
    size = Factor("window", "n", "d", _window_size)
    cache = _Cache()
    small, large = _region(1), _region(2)
    assert small.size == 7 and large.size == 19
    first = _features([seen, size], _context(small), cached=cache).table
    # the four observed cells are those of both areas: only the window differs
    second = _features([seen, size], _context(large), cached=cache).table
    assert first[S.CELL].tolist() == second[S.CELL].tolist()
    assert set(first["window"]) == {7.0} and set(second["window"]) == {19.0}
    lat_f = Factor("centre_lat", "deg", "d", _shared_latitude)
    elsewhere = _region(1, lon=12.0)
    for cells in (small, elsewhere):
        t = _features([lat_f], _context(cells), cells_mode="all", cached=cache).table
        np.testing.assert_array_equal(t["centre_lat"], cells_to_latlng(cells)[0])


# ------------------------------------------------------------------ factors by cell


def test_factors_by_cell_follows_the_cells_given_and_refuses_what_it_cannot_match():
    """One row per cell given, in that order, NaN (and not covered) where the table lacks
    the cell; hex ids are identifiers, not factors; a cell twice, or no cell in common with
    the cells modelled, is one InputError.

    Mutants: the duplicate check dropped (pandas' ValueError from reindex, a traceback), the
    no-cell-in-common check dropped (every factor quietly all NaN), the hex-id column kept
    as a factor.
    """
    import h3

    from pipeline.model.features import factors_by_cell

    cells = _region()
    hexes = [h3.int_to_str(int(c)) for c in cells]
    table = pd.DataFrame({S.HEX_ID: hexes[:5], "x": np.arange(5.0), "x__covered": True})
    want_order = cells[[6, 2, 0, 5, 1]]
    got = factors_by_cell(table, want_order)
    assert list(got.columns) == ["x", "x__covered"]
    assert got.index.tolist() == want_order.tolist()
    np.testing.assert_array_equal(got["x"], [np.nan, 2.0, 0.0, np.nan, 1.0])
    assert got["x__covered"].tolist() == [False, True, True, False, True]
    dup = pd.concat([table, table.iloc[[3]]], ignore_index=True)
    with pytest.raises(InputError, match="more than once"):
        factors_by_cell(dup, cells)
    with pytest.raises(InputError, match="none of the factors table"):
        factors_by_cell(table, _region(lon=40.0))


# ------------------------------------------------------------------ the runner's feature keys


def _keys_config(tmp_path, resolution: int = 5):
    from tests.conftest import config_from

    ais = tmp_path / "ais.csv"
    ais.write_text("mmsi,timestamp,lat,lon\n")
    seizures = tmp_path / "seizures.csv"
    seizures.write_text("date,lat,lon,commodity,quantity,unit\n2024-01-05,41.0,1.0,cocaine,1,kg\n")
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 3.0, 42.5], "resolution": resolution},
        "inputs": {"seizures": [{"path": str(seizures)}], "tracks": [{"path": str(ais)}]},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
    }
    return config_from(raw, tmp_path / f"r{resolution}")


def test_a_factor_s_key_follows_as_of_resolution_and_ports_where_its_values_do(tmp_path):
    """``feature_key``: a time-dependent factor's key holds ``as_of``; a tracks factor's holds
    it only while positions lie after ``as_of``, and holds the ports' digest (the pass over
    the tracks reads them) and the resolution (it bins the positions to cells).

    Mutants: ``as_of`` left out of every key (last night's density served), the ports'
    digest left out of the tracks factors' keys, the resolution left out.
    """
    from types import SimpleNamespace

    from pipeline.runner.plan import factors_to_compute
    from pipeline.runner.stages._features import feature_key

    cfg = _keys_config(tmp_path)
    by_name = {f.name: f for f in factors_to_compute(cfg)}
    dens, hours = by_name[S.SEIZURE_DENSITY], by_name[S.VESSEL_HOURS]
    pings = pd.DataFrame({S.TIME: [ORIGIN - 10 * DAY, ORIGIN]})
    digests = {"seizures": "s1", "tracks": "t1", "ports": "p1"}

    def key(f, as_of, digests=digests, config=cfg):
        state = SimpleNamespace(config=config, pings=pings, as_of=as_of)
        return feature_key(state, digests)(f)

    assert key(dens, ORIGIN) != key(dens, ORIGIN + DAY)
    # the last position is at the origin: a later as_of sees the same positions
    assert key(hours, ORIGIN) == key(hours, ORIGIN + DAY)
    assert key(hours, ORIGIN - DAY) != key(hours, ORIGIN - 2 * DAY)
    assert key(hours, ORIGIN) != key(hours, ORIGIN, {**digests, "ports": "p2"})
    assert key(dens, ORIGIN) == key(dens, ORIGIN, {**digests, "ports": "p2"})
    finer = _keys_config(tmp_path, 6)
    assert key(hours, ORIGIN) != key(hours, ORIGIN, config=finer)


def test_the_note_on_track_time_not_scored_counts_the_cells_that_hold_some():
    """Vessel-hours in cells the table lacks are said, with the cells that hold them: a cell
    of the transit pass with no hours is not one of them, a scored cell never is.

    Mutants: every unscored cell of the pass counted (``hours >= 0``), the scored cells
    counted in place of the others.
    """
    from types import SimpleNamespace

    from pipeline.builtin_factors import TRANSIT_SHARED
    from pipeline.features import FeatureTable
    from pipeline.runner.stages._features import _say_track_time_not_scored

    cells = _region(2)
    scored = cells[:10]
    transit = pd.DataFrame(
        {S.CELL: cells[[0, 1, 12, 13, 14]], S.VESSEL_HOURS: [4.0, 3.0, 2.5, 0.0, 0.5]}
    )
    ft = FeatureTable(
        pd.DataFrame({S.CELL: scored}), shared={TRANSIT_SHARED: SimpleNamespace(features=transit)}
    )
    state = SimpleNamespace(features=ft, notes=[])
    _say_track_time_not_scored(state)
    assert state.notes == [
        "3.0 of the tracks' 10.0 vessel-hours lie in 2 cell(s) the run does not score "
        "(centred on the land layer with area.exclude_land, or outside the area): the map "
        "and the tables leave that time out"
    ]
    state = SimpleNamespace(features=FeatureTable(pd.DataFrame({S.CELL: cells})), notes=[])
    state.features.shared[TRANSIT_SHARED] = SimpleNamespace(features=transit)
    _say_track_time_not_scored(state)
    assert state.notes == []


def test_an_extra_factor_covering_no_cell_is_left_out_and_an_infinite_value_is_missing(world):
    """A factor NaN in every cell is named in ``not_covered`` and joins no column; an
    infinite value is not covered (NaN), filled with the covered cells' mean and flagged.

    Mutants: the all-NaN factor not left out (``min()`` of no value: a ValueError
    traceback), infinite values kept (an infinite column, every fill infinite).
    """
    cells, ev = world["cells"], world["ev"]
    x = np.arange(cells.size, dtype="float64")
    x[2] = np.inf
    table = pd.DataFrame({S.CELL: cells, "never": np.nan, "x": x})
    f = build_lagged_features(ev, cells, ORIGIN, FittedOptions(**OPTIONS), table)
    assert f.not_covered == ["never"]
    assert "never" not in f.names and "never__missing" not in f.names
    j, k = f.names.index("x"), f.names.index("x__missing")
    finite = np.delete(np.log1p(x), 2)
    want = np.log1p(x)
    want[2] = finite.mean()
    np.testing.assert_allclose(f.x_pred[:, j], want, rtol=1e-12)
    assert f.x_pred[:, k].tolist() == [1.0 if i == 2 else 0.0 for i in range(cells.size)]
    assert np.isfinite(f.x_train).all()
    assert np.isnan(f.raw_pred["x"][2]) and f.missing_of == {"x__missing": ["x"]}


def test_a_cell_a_support_factor_does_not_cover_is_not_observed():
    """NaN (not covered) is no observation, whatever the support rule.

    Mutant: NaN read as 1 (AIS-less cells kept as observed by the transit factors' rule
    ``> 0``); the existing test's NaN sat under a fraction of the maximum either way.
    """
    from pipeline.factors import Factor
    from pipeline.features import support_mask

    hours = Factor("h", "u", "h", _latitude, support=0.0)
    dens = Factor("d", "u", "d", _latitude, support=0.5)
    table = pd.DataFrame({"h": [np.nan, 0.0, 0.5, np.nan], "d": [np.nan, 0.0, 0.0, 1.5]})
    assert support_mask(table, [hours]).tolist() == [False, False, True, False]
    assert support_mask(table, [dens]).tolist() == [False, False, False, True]
    assert support_mask(table.assign(d=[np.nan, 0.5, 0.2, 0.9]), [dens]).tolist() == [
        False,
        True,
        False,
        True,
    ]


def _binned_pass(ctx):
    def build(c):
        # a pass over the data that reads no cell, only the resolution (as the tracks' pass)
        lat, lon = cells_to_latlng(_region(1, 6))
        return pd.Series(1.0, index=points_to_cells(lon, lat, c.resolution)).groupby(level=0).sum()

    counts = ctx.shared("binned", build, no_cells=True)
    return counts.reindex(ctx.cells).to_numpy(dtype="float64")


def test_a_pass_that_reads_no_cell_is_kept_per_resolution():
    """A shared computation that reads no cell (``no_cells``) is keyed by the data, the
    options and the resolution it bins to: the same key at another resolution would serve
    the first resolution's cells (no cell in common: every value NaN, not covered).

    Mutant: the resolution left out of that key (the runner's factor keys hold it too, so
    this is the features stage's own promise, for a caller whose keys do not).
    """
    from pipeline.factors import Factor

    binned = Factor("binned", "n", "d", _binned_pass)
    cache = _Cache()
    for res in (6, 5):
        region = _region(1, res)
        t = _features([binned], _context(region, res=res), cells_mode="all", cached=cache).table
        lat, lon = cells_to_latlng(_region(1, 6))
        want = pd.Series(1.0, index=points_to_cells(lon, lat, res)).groupby(level=0).sum()
        np.testing.assert_array_equal(t["binned"], want.reindex(t[S.CELL]).to_numpy())
        assert t["binned__covered"].any()


def _cells_only_one(ctx):
    return ctx.shared("per_cell", lambda c: np.ones(c.cells.size), cells_only=True)


def _cells_only_two(ctx):
    return ctx.shared("per_cell", lambda c: np.full(c.cells.size, 2.0), cells_only=True)


def test_a_plug_in_s_computation_kept_by_the_cells_alone_follows_its_code():
    """What a plug-in keeps by the cells alone (``cells_only``) is keyed by its code too: an
    edited plug-in is not served what its old code built on the same cells.

    Mutant: the plug-in's code digest left out of those keys (1.0 served after the edit
    made it 2.0).
    """
    from pipeline.factors import Factor

    cache = _Cache()
    region = _region()
    old = Factor("plug", "n", "d", _cells_only_one)
    new = Factor("plug", "n", "d", _cells_only_two)
    object.__setattr__(new, "_source", "the module as edited")  # the file's digest
    assert not old.builtin and old.code_digest() != new.code_digest()
    for f, want in ((old, 1.0), (new, 2.0), (old, 1.0)):
        t = _features([f], _context(region), cells_mode="all", cached=cache).table
        assert set(t["plug"]) == {want}


def test_the_back_test_s_kernel_is_said_too_narrow_only_when_the_back_test_runs(tmp_path):
    """Mutants: the back-test's KDE checked with the back-test off (a note about a kernel
    the run never used; the existing test's config without a back-test kept the default
    bandwidth, wide enough either way); transit smoothing of 0 km (off) said to be a
    kernel 0 times the cell edge."""
    from pipeline.runner.stages import narrow_kernel_notes
    from tests.conftest import config_from

    seizures = tmp_path / "seizures.csv"
    seizures.write_text("date,lat,lon,commodity,quantity,unit\n2024-01-05,41.0,1.0,cocaine,1,kg\n")
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 3.0, 42.5], "resolution": 4},
        "inputs": {"seizures": [{"path": str(seizures)}]},
    }
    on = config_from(raw, tmp_path / "on", evaluate={"enabled": True, "kde_bandwidth_km": 30})
    off = config_from(raw, tmp_path / "off", evaluate={"enabled": False, "kde_bandwidth_km": 30})
    assert [n.split(" km ")[0] for n in narrow_kernel_notes(on, 100.0)] == [
        "evaluate.kde_bandwidth_km 30"
    ]
    assert narrow_kernel_notes(off, 100.0) == []
    # transit smoothing off (0 km) is no kernel: no note of a "0 km kernel"
    ais = tmp_path / "ais.csv"
    ais.write_text("mmsi,timestamp,lat,lon\n")
    tracks = {**raw, "inputs": {**raw["inputs"], "tracks": [{"path": str(ais)}]}}
    # 40 km: 1.5 edges of 26.1 km, narrow for the density's quartic kernel (not a gaussian)
    for km, said in ((0, []), (40, ["transit.smooth_events_km 40"])):
        cfg = config_from(
            tracks,
            tmp_path / f"t{km}",
            evaluate={"enabled": False},
            transit={"smooth_events_km": km},
        )
        assert [n.split(" km ")[0] for n in narrow_kernel_notes(cfg, 100.0)] == said


def test_the_timeline_is_kept_per_as_of(tmp_path, monkeypatch):
    """The months of the slider end at ``as_of``: the same inputs a day later are another
    timeline (the last month's cutoff moved), not last night's from the cache.

    Mutant: ``as_of`` left out of the timeline's key (the night's slider served the night
    before's months; the cache-key sweep's nights did not catch it).
    """
    from types import SimpleNamespace

    import pipeline.timeline as T
    from pipeline.runner.stages._features import timeline

    asked: list[pd.Timestamp] = []

    def months(seizures, cells, as_of, n_months, density, window, tracks=None):
        asked.append(as_of)
        table = pd.DataFrame({S.CELL: cells, S.PERIOD: str(as_of.date())})
        return T.TimelineFactors(table, pd.DataFrame({S.PERIOD: [str(as_of.date())]}))

    monkeypatch.setattr(T, "timeline_factors", months)
    cfg = _keys_config(tmp_path)
    cells = _region(1, 5)
    cache = _Cache()
    for as_of in (ORIGIN, ORIGIN + DAY, ORIGIN):
        state = SimpleNamespace(
            config=cfg,
            features=SimpleNamespace(table=pd.DataFrame({S.CELL: cells})),
            as_of=as_of,
            digests={"seizures": "s1"},
            cells=cells,
            cache=SimpleNamespace(memo=lambda *a, **k: None),
            code="c1",
            cached=cache,
            seizures=pd.DataFrame({S.TIME: [ORIGIN - DAY]}),
            pings=pd.DataFrame({S.TIME: []}),
            notes=[],
        )
        timeline(state)
        assert set(state.timeline_density.table[S.PERIOD]) == {str(as_of.date())}
    assert asked == [ORIGIN, ORIGIN + DAY]  # the third night is the first one's, kept


def test_the_plug_ins_recomputed_per_origin_include_a_fitted_model_s_unweighted_ones(monkeypatch):
    """The fitted model takes every factor ``score.factors`` names as a candidate, weight 0
    included: a plug-in that counts the seizures is then recomputed at each training origin
    (else its values of today count the training labels).  The weighted score recomputes
    only what it weighs; the slider recomputes only the transit factors it weighs.

    Mutants: the fitted model's weight-0 plug-in left out (a look-ahead at every training
    origin), the slider's transit factors of weight 0 recomputed month by month.
    """
    from types import SimpleNamespace

    from pipeline.config import FactorWeight
    from pipeline.factors import Factor
    from pipeline.runner.stages import _features as F

    counts = Factor("counts", "n", "d", _latitude, needs=("seizures",))
    fixed = Factor("fixed", "n", "d", _latitude)
    hours = Factor(S.VESSEL_HOURS, "h", "d", _latitude, section="transit")
    gaps = Factor(S.GAP_EVENTS, "n", "d", _latitude, section="transit")
    monkeypatch.setattr(F, "factors_to_compute", lambda cfg: [counts, fixed, hours, gaps])
    weights = {
        "counts": FactorWeight(weight=0.0),
        "fixed": FactorWeight(weight=0.0),
        S.VESSEL_HOURS: FactorWeight(weight=1.0),
        S.GAP_EVENTS: FactorWeight(weight=0.0),
    }

    def state(model):
        score = SimpleNamespace(factors=weights, model=model)
        return SimpleNamespace(config=SimpleNamespace(score=score))

    assert [f.name for f in F.seizure_plugins(state("fitted"))] == ["counts"]
    assert F.seizure_plugins(state("weighted")) == []
    assert [f.name for f in F._timeline_transit_factors(state("weighted"))] == [S.VESSEL_HOURS]
