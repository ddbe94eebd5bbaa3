"""Mutation pass over the back-test's as-of-origin transit and raster steps.

Each origin takes the transit factors of the pings timed before it (``as_of`` one ns before
the origin) and a dated raster's factors at its step on or before it.  Mutants that
survived the back-test's tests: the pass cut a day early or at the origin itself on pings
on disk, a ping exactly at the origin counted as received before it, the fitted model's
training rows took the run's transit beside a plug-in, the weighted score's dated raster
kept the run's step, a curvilinear raster reopened without zonal method centre (refused,
so missing at every origin), the memo kept no transit options, and evaluation.json lost
the raster's name and its notes.  A raster step exactly at an origin was taken there: the
product now takes the step before it, as it cuts the pings.  References: the library's pass on hand-cut pings, its AIS
coverage on them, and the zonal statistics of the step opened by date.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from _stages import plugin_state
from test_backtest_transit_as_of_found import (
    END,
    FITTED,
    NEW,
    OLD,
    OPTS,
    ORIGIN,
    RES,
    TRANSIT,
    _lane,
    _present_table,
    _raster_state,
    _sar_mean,
    _seizures,
    lane_sections,
)

import pipeline
from pipeline import schema as S
from pipeline.builtin_factors import TransitOptions, ais_coverage
from pipeline.evaluate import cell_universe
from pipeline.model import WeightedModel
from pipeline.transit import transit_features

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

NS = pd.Timedelta(1, "ns")


@pipeline.factor(
    name="seizures_here_asof27",
    unit="seizures",
    description="Seizures up to as_of in the cell.",
    needs=("seizures",),
)
def seizures_here_asof27(ctx):
    s = ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of]
    got = pipeline.points_to_cells(s[S.LON].to_numpy(), s[S.LAT].to_numpy(), ctx.resolution)
    return pd.Series(got).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")


def _state(tmp_path, pings, *, model="weighted", plugin=False, transit=None, events=None):
    """A run weighing the transit (and a seizure plug-in) as the as-of tests' run does."""
    from conftest import config_from

    factors = {
        S.SEIZURE_DENSITY: {"weight": 1},
        S.VESSEL_HOURS: {"weight": 2},
        S.DISTINCT_VESSELS: {"weight": 1},
    }
    raw = {
        **lane_sections(tmp_path),
        "density": {"bandwidth_km": 25, "half_life_days": 365},
        "transit": transit or {},
        "score": {"model": model, "fitted": FITTED.model_dump(mode="json"), "factors": factors},
    }
    if plugin:
        raw["factors"] = {"plugins": ["test_mutants_backtest_asof27_found:seizures_here_asof27"]}
        factors["seizures_here_asof27"] = {"weight": 1}
    cfg = config_from(raw, tmp_path)
    ev = _seizures() if events is None else events
    cells = cell_universe(ev, RES, OPTS.universe_km)
    table = _present_table(cells, pings)
    if plugin:
        table["seizures_here_asof27"] = 0.0
    return plugin_state(
        cfg,
        ev,
        pings,
        cells,
        table=table,
        as_of=END,
        density_choice=None,
        area=SimpleNamespace(given=True),
    )


def _store(tmp_path, pings):
    """The pings on disk, as a chunked or Dask run holds them (times written to the ns)."""
    from pipeline.ingest.stream import PingStore, spill_tracks

    csv = tmp_path / "ais.csv"
    text = pings.assign(**{S.TIME: [t.isoformat() for t in pings[S.TIME]]})
    text.to_csv(csv, index=False)
    return PingStore([spill_tracks(csv, tmp_path / "spill", chunk_rows=40, n_buckets=3)])


#: Vessel "a" sails east along 40.2 N from 12 h before the origin, a ping each 30 min: its
#: 25th ping is exactly at the origin.  Vessel "b" sails along 42 N for a day up to its last
#: ping one nanosecond before the origin.
A = _lane("a", ORIGIN - pd.Timedelta(hours=12), 40.2)
B = _lane("b", ORIGIN - pd.Timedelta(days=1) - NS, 42.0)
UNTIMED = NEW.assign(
    **{S.VESSEL_ID: "route", S.TIME: pd.Series(pd.NaT, index=NEW.index, dtype=A[S.TIME].dtype)}
)

CASES = {
    # the pings before the origin: a's first 24, every one of b's
    "straddling": (pd.concat([A, B], ignore_index=True), ORIGIN),
    # the first ping exactly at the origin: none received before it
    "from the origin on": (A[A[S.TIME] >= ORIGIN].reset_index(drop=True), ORIGIN),
    # one ping one ns before the origin: received, no hours
    "one ping 1 ns before": (
        pd.concat([A.iloc[[0]].assign(**{S.TIME: ORIGIN - NS}), NEW], ignore_index=True),
        ORIGIN,
    ),
    # an untimed route is no position received at a known time, and gives no transit
    "old lane and an untimed route": (pd.concat([OLD, UNTIMED], ignore_index=True), ORIGIN),
    "an untimed route alone": (UNTIMED, ORIGIN),
    # an origin after the last ping: every ping
    "after the last ping": (pd.concat([OLD, NEW, A, B], ignore_index=True), END),
}


@pytest.mark.parametrize("where", ["table", "store"])
@pytest.mark.parametrize("case", list(CASES))
def test_an_origins_transit_is_the_pass_over_the_pings_timed_before_it(tmp_path, case, where):
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    if where == "store" and case.startswith(("old lane and", "an untimed")):
        pytest.skip("an untimed route is read from a table (a route file), not spilled AIS")
    pings, origin = CASES[case]
    state = _state(tmp_path, pings)
    if where == "store":
        state.pings = _store(tmp_path, pings)
    at = TransitAtOrigin(state, transit_at_origin_factors(state))
    got = at.replace(state.features.table, origin)
    cells = got[S.CELL].to_numpy(dtype="uint64")
    # the reference: the library's pass and coverage on the pings cut by hand
    timed = pings[pings[S.TIME].notna()]
    before = timed[timed[S.TIME] < origin].reset_index(drop=True)
    if not len(before):
        assert at.without_pings == [origin.isoformat()]
        for name in TRANSIT:
            assert got[name].isna().all() and not got[name + S.COVERED_SUFFIX].any(), name
        return
    assert not at.without_pings
    radius = TransitOptions().coverage_km
    covered = ais_coverage(before, cells, RES, radius)
    assert covered.any()
    want = transit_features(before, RES).features.set_index(S.CELL)
    for name in TRANSIT:
        ref = want[name].reindex(cells).fillna(0.0).to_numpy()
        np.testing.assert_array_equal(got[name + S.COVERED_SUFFIX].to_numpy(bool), covered)
        np.testing.assert_allclose(got[name].to_numpy()[covered], ref[covered], rtol=1e-12)
        assert np.isnan(got[name].to_numpy()[~covered]).all()
    if case == "straddling":
        # by hand: a's 11.5 h from its first ping to its last before the origin (the half
        # hour up to its ping at the origin is not known before it), and b's 24 h
        assert want[S.VESSEL_HOURS].sum() == pytest.approx(11.5 + 24.0, abs=1e-6)
    if case == "one ping 1 ns before":
        assert np.nansum(got[S.VESSEL_HOURS]) == 0.0


def test_one_object_over_origins_in_any_order_gives_each_its_own_pass(tmp_path):
    # The pass is kept for the next call at the same origin only: a later origin, then an
    # earlier one, then the later again, each as a fresh object gives it.
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    pings = pd.concat([OLD, NEW, A, B], ignore_index=True)
    state = _state(tmp_path, pings)
    one = TransitAtOrigin(state, transit_at_origin_factors(state))
    origins = [ORIGIN + pd.Timedelta(days=10), ORIGIN, ORIGIN + pd.Timedelta(days=10), ORIGIN]
    for t in origins:
        fresh = TransitAtOrigin(state, transit_at_origin_factors(state))
        pd.testing.assert_frame_equal(
            one.replace(state.features.table, t), fresh.replace(state.features.table, t)
        )


def test_the_memo_of_one_nights_options_gives_another_nights_its_own_values(tmp_path):
    # The origins' vessel-day blocks are kept under the transit options that made them: a
    # night with another max_segment_hours (a 30-min ping spacing no longer interpolated)
    # computes its blocks afresh, not the last night's hours.
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    pings = pd.concat([OLD, A], ignore_index=True)
    cache = StageCache(tmp_path / "cache")
    got = {}
    for night, hours in (("first", 6.0), ("second", 0.25)):
        for how in ("fresh", "memo"):
            state = _state(tmp_path / night / how, pings, transit={"max_segment_hours": hours})
            if how == "memo":
                state.cache, state.code = cache, "code"
            at = TransitAtOrigin(state, transit_at_origin_factors(state))
            got[night, how] = at.replace(state.features.table, ORIGIN)
        pd.testing.assert_frame_equal(got[night, "memo"], got[night, "fresh"])
    assert np.nansum(got["first", "fresh"][S.VESSEL_HOURS]) > 0
    assert np.nansum(got["second", "fresh"][S.VESSEL_HOURS]) == 0


@pytest.mark.parametrize("plugin", [True, False], ids=["beside a plug-in", "alone"])
def test_the_fitted_models_training_rows_take_the_origins_transit(tmp_path, plugin):
    # With a plug-in that counts seizures the training rows take the plug-in at their own
    # origins and the transit the forecast origin knows, without one the origin's table:
    # the pings after the origin (a new lane) move nothing.  The as-of tests' seizures
    # had the model select no factor at all, which left this unchecked.
    from pipeline.runner.stages._backtest import published_method

    # half the year's seizures along the old lane: the model selects its transit
    rng = np.random.default_rng(3)
    n = 150
    ev = pd.DataFrame(
        {
            S.TIME: ORIGIN - pd.to_timedelta(rng.uniform(1, 360, 2 * n), unit="D"),
            S.LON: np.r_[rng.uniform(9.6, 12.4, n), rng.uniform(9.2, 12.8, n)],
            S.LAT: np.r_[39.5 + rng.normal(0, 0.03, n), rng.uniform(39.2, 42.8, n)],
            S.COMMODITY: "cocaine",
            S.QUANTITY: 1.0,
        }
    ).sort_values(S.TIME, ignore_index=True)
    cells = cell_universe(ev, RES, OPTS.universe_km)
    got = []
    for i, pings in enumerate((OLD, pd.concat([OLD, NEW], ignore_index=True))):
        state = _state(tmp_path / str(i), pings, model="fitted", plugin=plugin, events=ev)
        got.append(published_method(state)(ev, cells, ORIGIN))
    assert set(TRANSIT) & set(got[0].info["selected"]), got[0].info
    np.testing.assert_array_equal(got[0].expected, got[1].expected, strict=True)
    np.testing.assert_array_equal(got[0].score, got[1].score, strict=True)


def _raster_run(tmp_path):
    """The dated raster's run (its December step in the features table)."""
    state, src = _raster_state(tmp_path)
    cells = state.cells
    table = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: 0.0})
    table[S.SEIZURE_DENSITY + S.COVERED_SUFFIX] = True
    table["sar_mean"] = _sar_mean(src, "2024-12-01", cells)
    table["sar_mean__covered"] = table["sar_mean"].notna()
    state.features = SimpleNamespace(table=table)
    return state, src


def test_the_weighted_score_at_an_origin_weighs_the_rasters_step_before_it(tmp_path):
    # The published method's forecast is the weighted score of the table whose raster
    # factor is the October step's zonal mean (opened by date), not the run's December.
    from pipeline.runner.stages._backtest import _features_at, published_method

    state, src = _raster_run(tmp_path)
    ev = state.seizures
    train = ev[(ev[S.TIME] < ORIGIN) & (ev[S.TIME] >= ORIGIN - pd.Timedelta(days=365))]
    train = train.reset_index(drop=True)
    cells = cell_universe(train, RES, OPTS.universe_km)
    fc = published_method(state)(train, cells, ORIGIN)
    table = _features_at(state, train, cells, ORIGIN)  # the run's step: December's
    october = _sar_mean(src, "2024-10-01", table[S.CELL].to_numpy(dtype="uint64"))
    assert not np.allclose(table["sar_mean"], october, equal_nan=True)
    table["sar_mean"] = october
    table["sar_mean__covered"] = ~np.isnan(october)
    sc = state.config.score
    model = WeightedModel(sc.factors, normalisation=sc.normalisation, cap_quantile=sc.cap_quantile)
    ref = model.fit(train, cells, ORIGIN, table).predict()["score"].to_numpy()
    np.testing.assert_allclose(fc.score, ref, rtol=1e-12)


def test_a_rasters_step_exactly_at_an_origin_is_the_test_windows(tmp_path):
    # A monthly composite stamped at its first day (the demo's SAR detections) holds the
    # month after it: at an origin on that day it is the test window's data, as a ping or
    # a seizure at the origin is, and a run of the day before (as_of the end of that day)
    # has no such step.  It was taken there: December's step, lighting the lane of the
    # window's seizures, at the origin of 1 December.
    from pipeline.runner.stages._backtest import RasterStepsAtOrigin, dated_rasters

    state, src = _raster_run(tmp_path)
    table = state.features.table
    at = RasterStepsAtOrigin(state, dated_rasters(state))
    cells = table[S.CELL].to_numpy(dtype="uint64")
    december = pd.Timestamp("2024-12-01", tz="UTC")
    got = at.replace(table, december)["sar_mean"].to_numpy()
    np.testing.assert_allclose(got, _sar_mean(src, "2024-10-01", cells), rtol=1e-12)
    # one ns later the step is before the origin: the run's (December's) values
    got = at.replace(table, december + NS)["sar_mean"].to_numpy()
    np.testing.assert_allclose(got, table["sar_mean"].to_numpy(), rtol=1e-12)
    assert not at.without_step
    # an origin exactly at the first step: none before it, missing and said
    early = pd.Timestamp("2024-06-01", tz="UTC")
    got = at.replace(table, early)
    assert got["sar_mean"].isna().all() and not got["sar_mean__covered"].any()
    assert at.without_step == {early.isoformat(): ["sar"]}


def test_evaluation_json_names_the_dated_raster_and_the_origin_before_its_steps(tmp_path):
    from pipeline.runner.stages._backtest import _back_test_result

    state, _ = _raster_run(tmp_path)
    # one origin, 2024-05-01: a month before the raster's first step
    early = OPTS.model_copy(update={"end": pd.Timestamp("2024-06-30").date(), "train_days": 180})
    res = _back_test_result(state, early)
    (origin,) = res["origins"]
    assert pd.Timestamp(origin["origin"]) < pd.Timestamp("2024-06-01", tz="UTC")
    assert res["as_of_origin_factors"] == ["sar_mean"]
    assert res["present_data_factors"] == [] and "present_data" not in res
    assert any(
        n.startswith("raster 'sar' has no time step before this origin: 'sar_mean'")
        for n in origin["notes"]
    ), origin["notes"]
    assert any(n.startswith("dated raster(s) 'sar' taken at each origin") for n in res["notes"])


def test_evaluation_json_counts_the_origins_before_every_ping(tmp_path):
    from pipeline.runner.stages._backtest import _back_test_result

    res = _back_test_result(_state(tmp_path, NEW), OPTS)
    (note,) = [n for n in res["notes"] if n.startswith("transit as of each origin")]
    assert "; 1 origin(s) came before every timed position" in note, note


def test_the_back_tests_cache_key_holds_the_transit_options(tmp_path):
    # Recomputed at each origin, the transit factors' options are a key of the back-test's
    # own, whatever the features table (here the same table under both options).
    from pipeline.runner.stages._backtest import back_test

    keys = []
    for km in (10.0, 40.0):
        state = _state(tmp_path / str(km), OLD, transit={"coverage_km": km})
        state.digests = {"seizures": "s"}

        def cached(name, key, build):
            keys.append(key)
            return {}, None

        state.cached = cached
        back_test(state)
    assert keys[0] != keys[1]


def _undated_steps(tmp_path):
    """A NetCDF of three steps numbered 0, 1, 2 (no units: no dates), opened at its latest."""
    import xarray as xr

    from pipeline.ingest import open_raster

    lat = np.round(np.arange(42.95, 38.9, -0.5), 2)
    lon = np.round(np.arange(9.05, 13.0, 0.5), 2)
    ds = xr.Dataset(
        {"detections": (("time", "lat", "lon"), np.ones((3, lat.size, lon.size)))},
        coords={"time": [0, 1, 2], "lat": lat, "lon": lon},
    )
    ds["lat"].attrs["units"], ds["lon"].attrs["units"] = "degrees_north", "degrees_east"
    path = tmp_path / "steps.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    return path, open_raster


@pytest.mark.parametrize("how", ["a fixed date", "undated steps"])
def test_a_raster_of_a_fixed_date_or_of_undated_steps_stays_present_data(tmp_path, how):
    # Only time: latest over dated steps is reopened at each origin: a fixed date is the
    # same step at every origin, and steps that are no dates have no order in time.
    import datetime as dt

    from pipeline.runner.stages._backtest import dated_rasters, present_data_factors

    state, src = _raster_state(tmp_path)
    if how == "a fixed date":
        src = src.model_copy(update={"time": dt.date(2024, 10, 1)})
        from pipeline.ingest import open_raster
    else:
        path, open_raster = _undated_steps(tmp_path)
        src = src.model_copy(update={"path": path})
    data = open_raster(src, as_of=END)
    state.rasters = [{"name": "sar", "source": src, "data": data}]
    assert dated_rasters(state) == {}
    assert present_data_factors(state) == ["sar_mean"]


def test_a_curvilinear_dated_raster_is_reopened_by_centres_as_the_run_reads_it(tmp_path):
    # zonal method: centre reads a curvilinear grid by its pixel centres; reopened at an
    # origin without it, the grid was refused, taken as "no step before the origin": its
    # factor missing at every origin.  The reference: h3 and pandas on the October pixels.
    import xarray as xr
    from _rasters import LAT_ATTRS, LON_ATTRS, centre_reference, grid_values, rotated_grid
    from conftest import config_from

    from pipeline.ingest import open_raster
    from pipeline.runner.stages._backtest import RasterStepsAtOrigin, dated_rasters

    lat, lon = rotated_grid()
    values = grid_values((3, *lat.shape))
    dims = ("eta_rho", "xi_rho")
    ds = xr.Dataset(
        {"v": (("time", *dims), values)},
        coords={
            "lat": (dims, lat, LAT_ATTRS),
            "lon": (dims, lon, LON_ATTRS),
            "time": ("time", pd.to_datetime(["2024-06-01", "2024-10-01", "2024-12-01"])),
        },
    )
    path = tmp_path / "roms.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [99.5, 9.5, 100.8, 10.8], "resolution": 7},
            "zonal": {"method": "centre"},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "s.csv")}],
                "rasters": [{"path": str(path), "name": "v", "variable": "v"}],
            },
            "score": {"factors": {S.SEIZURE_DENSITY: {"weight": 1}, "v_mean": {"weight": 1}}},
        },
        tmp_path,
    )
    src = cfg.inputs.rasters[0]
    cells = np.unique(pipeline.points_to_cells(lon.ravel(), lat.ravel(), 7))
    state = plugin_state(
        cfg,
        S.empty_seizures(),
        pd.DataFrame(columns=S.PING_COLUMNS),
        cells,
        as_of=END,
        area=SimpleNamespace(given=True, bbox=(99.5, 9.5, 100.8, 10.8)),
    )
    state.rasters = [
        {"name": "v", "source": src, "data": open_raster(src, as_of=END, by_centres=True)}
    ]
    table = pd.DataFrame({S.CELL: cells, "v_mean": 0.0, "v_mean__covered": True})
    got = RasterStepsAtOrigin(state, dated_rasters(state)).replace(table, ORIGIN)
    want = centre_reference(lat, lon, values[1], cells, 7)["mean"].to_numpy()
    assert np.isfinite(want).sum() > 100
    np.testing.assert_allclose(got["v_mean"].to_numpy(), want, rtol=1e-12)


def test_the_present_data_sentence_names_the_dated_rasters_steps_before_each_origin(
    tmp_path, monkeypatch
):
    # The sentence naming the factors of the run's day listed what else each origin sees
    # only before it (the density, the plug-ins, the transit) but not a dated raster, read
    # at its latest step before the origin since the twenty-seventh session.
    from pipeline.runner.stages import _backtest

    state, _ = _raster_run(tmp_path)
    monkeypatch.setattr(_backtest, "present_data_factors", lambda s: ["ports_distance"])
    early = OPTS.model_copy(update={"end": pd.Timestamp("2024-06-30").date(), "train_days": 180})
    res = _backtest._back_test_result(state, early)
    assert res["present_data"].startswith("present data: 'ports_distance' takes its values")
    assert res["present_data"].endswith(
        "see only the seizures before each origin, the dated rasters' factors only their "
        "latest time step before it"
    ), res["present_data"]


def test_a_step_before_an_origin_that_its_checks_refuse_is_said_not_as_no_step(
    tmp_path, monkeypatch
):
    # Every refusal of the raster reopened at an origin read as "no time step before this
    # origin": a date held by two steps before it (the run's own step passed) left the
    # factors missing - right - under a note naming the wrong cause.
    import test_backtest_transit_as_of_found as base

    from pipeline.runner.stages._backtest import RasterStepsAtOrigin, dated_rasters

    monkeypatch.setattr(base, "STEPS", pd.to_datetime(["2024-10-01", "2024-10-01", "2024-12-01"]))
    state, src = _raster_state(tmp_path)
    cells = state.cells
    table = pd.DataFrame({S.CELL: cells, "sar_mean": _sar_mean(src, "2024-12-01", cells)})
    table["sar_mean__covered"] = table["sar_mean"].notna()
    at = RasterStepsAtOrigin(state, dated_rasters(state))
    got = at.replace(table, ORIGIN)  # 2024-11-02: October's step, held twice
    assert got["sar_mean"].isna().all() and not got["sar_mean__covered"].any()
    assert at.without_step == {ORIGIN.isoformat(): ["sar"]}
    said = at.why_missing(ORIGIN.isoformat(), "sar")
    assert said.startswith("raster 'sar' could not be read at its latest time step before")
    assert "2024-10-01" in said, said
    early = pd.Timestamp("2024-09-01", tz="UTC")  # before every step: said so
    assert at.replace(table, early)["sar_mean"].isna().all()
    assert at.why_missing(early.isoformat(), "sar") == (
        "raster 'sar' has no time step before this origin"
    )
