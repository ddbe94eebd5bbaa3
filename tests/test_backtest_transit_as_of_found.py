"""The back-test's transit factors as of each origin: the pings timed before it, no later.

The rolling-origin back-test recomputed the seizure density and the plug-ins that count
seizures at each origin, but took the built-in AIS transit factors (vessel-hours, distinct
vessels, gaps, loitering, encounters) of the run's day at every origin: a vessel lane first
sailed after the origin, through the cells of the test window's seizures, ranked those
cells first at the origin (a look-ahead, only stated as present data).  Each origin now
computes them from the positions received before it; an origin before every timed ping has
them missing (not 0), said in its notes.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from _stages import plugin_state

import pipeline
from pipeline import schema as S
from pipeline.evaluate import BacktestOptions, cell_universe, rolling_back_test
from pipeline.model import FittedOptions, WeightedModel, as_method, fitted_method
from pipeline.transit import transit_features

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

RES = 5
END = pd.Timestamp("2025-01-01", tz="UTC")
OPTS = BacktestOptions(
    origins=1,
    horizon_days=60,
    train_days=365,
    end=END.date(),
    area_fractions=(0.1, 0.2),
    min_train_events=5,
)
ORIGIN = END - pd.Timedelta(days=60)  # the one origin OPTS places
FITTED = FittedOptions(
    horizon_days=60,
    train_days=365,
    count_windows_days=("all",),
    kde_windows_days=("all",),
    bandwidths_km=(25.0,),
    recency_cap_days=120.0,
    min_events=20,
)
TRANSIT = [S.VESSEL_HOURS, S.DISTINCT_VESSELS]


def _seizures() -> pd.DataFrame:
    """Training seizures spread over the box; the test window's along a lane at 41 N."""
    rng = np.random.default_rng(7)
    n_train, n_test = 300, 40
    t_train = ORIGIN - pd.to_timedelta(rng.uniform(1, 380, n_train), unit="D")
    t_test = ORIGIN + pd.to_timedelta(rng.uniform(0.5, 59, n_test), unit="D")
    lon = np.r_[rng.uniform(9.2, 12.8, n_train), rng.uniform(9.6, 12.4, n_test)]
    lat = np.r_[rng.uniform(39.2, 42.8, n_train), 41.0 + rng.normal(0, 0.02, n_test)]
    ev = pd.DataFrame(
        {
            S.TIME: np.r_[t_train, t_test],
            S.LON: lon,
            S.LAT: lat,
            S.COMMODITY: "cocaine",
            S.QUANTITY: 1.0,
        }
    )
    return ev.sort_values(S.TIME, ignore_index=True)


def _lane(vessel: str, start: pd.Timestamp, lat: float) -> pd.DataFrame:
    """A vessel sailing east along ``lat`` from 9.5 E to 12.5 E in a day, a ping each 30 min."""
    times = start + pd.to_timedelta(np.arange(49) * 30, unit="min")
    return pd.DataFrame(
        {
            S.VESSEL_ID: vessel,
            S.TIME: times,
            S.LON: np.linspace(9.5, 12.5, 49),
            S.LAT: lat,
            S.SOG: 5.7,
            S.COG: 90.0,
        }
    )


#: An old lane at 39.5 N sailed before the origin; the new lane at 41 N (where the test
#: window's seizures fall) sailed after it only.
OLD = _lane("old", ORIGIN - pd.Timedelta(days=40), 39.5)
NEW = _lane("new", ORIGIN + pd.Timedelta(days=5), 41.0)


def lane_sections(tmp_path) -> dict:
    """The lanes' run: as_of, the area around them, one origin, the seizures and AIS files."""
    return {
        "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
        "evaluate": {"horizon_days": 60, "train_days": 365, "origins": 1},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "s.csv")}],
            "tracks": [{"path": str(tmp_path / "a.csv")}],
        },
    }


def _present_table(cells: np.ndarray, pings: pd.DataFrame) -> pd.DataFrame:
    """The run's features table: transit of every ping up to as_of (the run's day)."""
    tr = transit_features(pings, RES, until=END).features.set_index(S.CELL)
    table = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: 0.0})
    table[S.SEIZURE_DENSITY + S.COVERED_SUFFIX] = True
    for name in TRANSIT:
        table[name] = tr[name].reindex(cells).fillna(0.0).to_numpy()
        table[name + S.COVERED_SUFFIX] = True  # the run's AIS observes every cell
    return table


def _state(tmp_path, pings: pd.DataFrame, model: str = "weighted"):
    from conftest import config_from

    ev = _seizures()
    cfg = config_from(
        {
            **lane_sections(tmp_path),
            "density": {"bandwidth_km": 25, "half_life_days": 365},
            "score": {
                "model": model,
                "fitted": FITTED.model_dump(mode="json"),
                "factors": {
                    S.SEIZURE_DENSITY: {"weight": 1},
                    S.VESSEL_HOURS: {"weight": 2},
                    S.DISTINCT_VESSELS: {"weight": 1},
                },
            },
        },
        tmp_path,
    )
    cells = cell_universe(ev, RES, OPTS.universe_km)
    return plugin_state(
        cfg,
        ev,
        pings,
        cells,
        table=_present_table(cells, pings),
        as_of=END,
        density_choice=None,
        area=SimpleNamespace(given=True),
    )


def _hit_rates(state, method) -> list[float]:
    from pipeline.builtin_factors import density_on_cells

    got = rolling_back_test(
        state.seizures,
        None,
        methods={"m": method},
        options=OPTS,
        resolution=RES,
        density_fn=lambda train, c, origin: density_on_cells(
            train, c, origin, state.config.density, c
        )[0],
        within=state.area_cells,
    )
    assert [o["origin"] for o in got["origins"]] == [ORIGIN.isoformat()]
    return [float(m["hit_rate"]) for m in got["origins"][0]["methods"]["m"]["metrics"]]


def _present_method(state):
    """The weighted score with every factor but the density as of the run's day (main's)."""
    from pipeline.runner.stages._backtest import _features_at

    sc = state.config.score
    opts = {"normalisation": sc.normalisation, "cap_quantile": sc.cap_quantile}
    return as_method(
        lambda: WeightedModel(sc.factors, **opts),
        lambda train, cells, origin: _features_at(state, train, cells, origin),
    )


def test_the_transit_of_later_pings_was_a_look_ahead_and_is_gone(tmp_path):
    # The new lane is sailed after the origin only, through the cells of the test window's
    # seizures: its vessel-hours of the run's day ranked those cells first at the origin.
    from pipeline.runner.stages._backtest import published_method

    pings = pd.concat([OLD, NEW], ignore_index=True)
    state = _state(tmp_path / "a", pings)
    present = _hit_rates(state, _present_method(state))
    as_of = _hit_rates(state, published_method(state))
    assert present[1] > 0.9  # the look-ahead existed: the lane held every test seizure
    assert as_of[1] < 0.5 and as_of[1] < present[1] - 0.4, (present, as_of)
    # and the origin's forecast is that of the pings before it alone: the later ones move
    # nothing (the new lane's vessel changes no cell's vessel-hours or distinct vessels)
    early = _state(tmp_path / "b", OLD)
    assert as_of == _hit_rates(early, published_method(early))


@pytest.mark.parametrize("model", ["weighted", "fitted"])
def test_an_origins_forecast_ignores_the_pings_at_and_after_it(tmp_path, model):
    from pipeline.runner.stages._backtest import published_method

    ev = _seizures()
    train = ev[(ev[S.TIME] < ORIGIN) & (ev[S.TIME] >= ORIGIN - pd.Timedelta(days=365))]
    train = train.reset_index(drop=True)
    cells = cell_universe(train, RES, OPTS.universe_km)
    # a ping exactly at the origin is the test window's, as a seizure there is
    at = NEW.assign(**{S.TIME: NEW[S.TIME] - (NEW[S.TIME].iloc[0] - ORIGIN)})
    got = []
    for i, pings in enumerate((OLD, pd.concat([OLD, at], ignore_index=True))):
        got.append(published_method(_state(tmp_path / str(i), pings, model))(train, cells, ORIGIN))
    np.testing.assert_array_equal(got[0].score, got[1].score, strict=True)
    if model == "fitted":
        np.testing.assert_array_equal(got[0].expected, got[1].expected, strict=True)


def test_the_transit_at_an_origin_is_the_pass_over_the_pings_before_it(tmp_path):
    # against the library's pass over the earlier pings alone (hand-cut, not the stage's)
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    pings = pd.concat([OLD, NEW], ignore_index=True)
    state = _state(tmp_path, pings)
    at = TransitAtOrigin(state, transit_at_origin_factors(state))
    assert [f.name for f in at.factors] == [S.VESSEL_HOURS, S.DISTINCT_VESSELS]
    got = at.replace(state.features.table, ORIGIN)
    want = transit_features(OLD, RES).features.set_index(S.CELL)
    cells = got[S.CELL].to_numpy(dtype="uint64")
    covered = got[S.VESSEL_HOURS + S.COVERED_SUFFIX].to_numpy(dtype=bool)
    assert covered.any() and not covered.all()  # the old lane's AIS reaches coverage_km
    for name in TRANSIT:
        ref = want[name].reindex(cells).fillna(0.0).to_numpy()
        np.testing.assert_allclose(got[name].to_numpy()[covered], ref[covered], rtol=1e-12)
        assert np.isnan(got[name].to_numpy()[~covered]).all()
        assert (got[name + S.COVERED_SUFFIX].to_numpy(dtype=bool) == covered).all()
    lane = pipeline.points_to_cells(NEW[S.LON].to_numpy(), NEW[S.LAT].to_numpy(), RES)
    assert np.nan_to_num(got.set_index(S.CELL).loc[np.unique(lane), S.VESSEL_HOURS]).max() == 0
    assert not at.without_pings
    # the run's own table (the map's) is not touched
    pd.testing.assert_frame_equal(state.features.table, _present_table(cells, pings))


@pytest.mark.parametrize("model", ["weighted", "fitted"])
def test_an_origin_before_every_ping_has_its_transit_missing_not_zero(tmp_path, model):
    from pipeline.runner.stages._backtest import (
        TransitAtOrigin,
        _back_test_result,
        published_method,
        transit_at_origin_factors,
    )

    state = _state(tmp_path, NEW, model)  # every ping after the origin
    at = TransitAtOrigin(state, transit_at_origin_factors(state))
    got = at.replace(state.features.table, ORIGIN)
    for name in TRANSIT:
        assert got[name].isna().all(), name  # missing, not 0
        assert not got[name + S.COVERED_SUFFIX].any()
    assert at.without_pings == [ORIGIN.isoformat()]
    # the method scores as without the factors: the weighted score rescales the weights of
    # the covered factors (the density alone), the fitted model leaves them out
    ev = state.seizures
    train = ev[(ev[S.TIME] < ORIGIN) & (ev[S.TIME] >= ORIGIN - pd.Timedelta(days=365))]
    train = train.reset_index(drop=True)
    cells = cell_universe(train, RES, OPTS.universe_km)
    fc = published_method(state)(train, cells, ORIGIN)
    if model == "weighted":
        from pipeline.runner.stages._backtest import _features_at

        sc = state.config.score
        alone = WeightedModel(
            {S.SEIZURE_DENSITY: sc.factors[S.SEIZURE_DENSITY]},
            normalisation=sc.normalisation,
            cap_quantile=sc.cap_quantile,
        )
        table = _features_at(state, train, cells, ORIGIN)
        ref = alone.fit(train, cells, ORIGIN, table).predict()["score"].to_numpy()
        np.testing.assert_allclose(fc.score, ref, rtol=1e-12)
    else:
        ref = fitted_method(FITTED, factors=pd.DataFrame({S.CELL: cells}))(train, cells, ORIGIN)
        np.testing.assert_allclose(fc.score, ref.score, rtol=1e-12)
        np.testing.assert_allclose(fc.expected, ref.expected, rtol=1e-12)
    # the back-test's result says so: at the origin, and in its notes; transit is no
    # present data any more
    res = _back_test_result(state, OPTS)
    assert res["as_of_origin_factors"] == [S.VESSEL_HOURS, S.DISTINCT_VESSELS]
    assert res["present_data_factors"] == []
    assert "present_data" not in res
    (origin,) = res["origins"]
    assert any("no position was received before this origin" in n for n in origin["notes"])
    assert any(n.startswith("transit as of each origin") for n in res["notes"])


@pytest.mark.parametrize("lanes", ["old and new", "new only"])
def test_pings_on_disk_give_the_origins_transit_of_the_table(tmp_path, lanes):
    # A run reading its tracks in chunks, and every Dask run, holds them on disk (a store):
    # its origin's pass and coverage are cut at the origin as the table's are.
    from pipeline.ingest.stream import PingStore, spill_tracks
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    pings = pd.concat([OLD, NEW], ignore_index=True) if lanes == "old and new" else NEW
    csv = tmp_path / "ais.csv"
    pings.assign(**{S.TIME: pings[S.TIME].dt.strftime("%Y-%m-%dT%H:%M:%SZ")}).to_csv(
        csv, index=False
    )
    store = PingStore([spill_tracks(csv, tmp_path / "spill", chunk_rows=30, n_buckets=3)])
    got = []
    for p in (pings, store):
        state = _state(tmp_path / str(len(got)), pings)
        state.pings = p
        at = TransitAtOrigin(state, transit_at_origin_factors(state))
        got.append((at.replace(state.features.table, ORIGIN), at.without_pings))
    pd.testing.assert_frame_equal(got[1][0], got[0][0])
    assert got[1][1] == got[0][1] == ([] if lanes == "old and new" else [ORIGIN.isoformat()])


# --- a dated raster: its latest step before the origin -----------------------------------------

STEPS = pd.to_datetime(["2024-06-01", "2024-10-01", "2024-12-01"])  # the origin: 2024-11-02


def _raster_state(tmp_path):
    """A run weighing a monthly NetCDF (time: latest) whose last step lights the new lane."""
    import xarray as xr
    from conftest import config_from

    from pipeline.ingest import open_raster

    lat = np.round(np.arange(42.95, 38.9, -0.1), 2)
    lon = np.round(np.arange(9.05, 13.0, 0.1), 2)
    cube = np.zeros((3, lat.size, lon.size))
    cube[0] = 1.0
    cube[1] = np.where(np.abs(lat - 39.5) < 0.2, 10.0, 2.0)[:, None]  # the old lane's month
    cube[2] = np.where(np.abs(lat - 41.0) < 0.2, 50.0, 3.0)[:, None]  # after the origin
    ds = xr.Dataset(
        {"detections": (("time", "lat", "lon"), cube)},
        coords={"time": STEPS, "lat": lat, "lon": lon},
    )
    ds["lat"].attrs["units"], ds["lon"].attrs["units"] = "degrees_north", "degrees_east"
    path = tmp_path / "sar.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    ev = _seizures()
    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "s.csv")}],
                "rasters": [{"path": str(path), "name": "sar", "variable": "detections"}],
            },
            "score": {"factors": {S.SEIZURE_DENSITY: {"weight": 1}, "sar_mean": {"weight": 1}}},
        },
        tmp_path,
    )
    src = cfg.inputs.rasters[0]
    run = open_raster(src, as_of=END)
    cells = cell_universe(ev, RES, OPTS.universe_km)
    state = plugin_state(
        cfg,
        ev,
        pd.DataFrame(columns=S.PING_COLUMNS),
        cells,
        as_of=END,
        density_choice=None,
        area=SimpleNamespace(given=True, bbox=(9.0, 39.0, 13.0, 43.0)),
    )
    state.rasters = [{"name": "sar", "source": src, "data": run}]
    return state, src


def _sar_mean(src, when: str, cells: np.ndarray) -> np.ndarray:
    """The zonal mean of the step on ``when``, opened by date (the reference)."""
    from pipeline.ingest import open_raster
    from pipeline.zonal import zonal_stats_to_cells

    da = open_raster(src.model_copy(update={"time": pd.Timestamp(when).date()}))
    return zonal_stats_to_cells(da, cells, stats=("mean",), name="sar")["sar_mean"].to_numpy()


def test_a_dated_raster_takes_its_step_on_or_before_each_origin(tmp_path):
    from pipeline.runner.stages._backtest import (
        RasterStepsAtOrigin,
        dated_rasters,
        present_data_factors,
    )

    state, src = _raster_state(tmp_path)
    stepped = dated_rasters(state)
    assert {k: [f.name for f in v] for k, v in stepped.items()} == {"sar": ["sar_mean"]}
    assert present_data_factors(state) == []  # no factor of the run's day at every origin
    cells = state.cells
    table = pd.DataFrame({S.CELL: cells, "sar_mean": _sar_mean(src, "2024-12-01", cells)})
    table["sar_mean__covered"] = table["sar_mean"].notna()
    at = RasterStepsAtOrigin(state, stepped)
    got = at.replace(table, ORIGIN)["sar_mean"].to_numpy()
    want = _sar_mean(src, "2024-10-01", cells)  # the step before the origin, not December's
    assert round(np.nanmax(want), 9) == 10.0 and round(np.nanmax(table["sar_mean"]), 9) == 50.0
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # a step exactly at the origin is the test window's, as a ping there is: the one before
    got = at.replace(table, pd.Timestamp("2024-12-01", tz="UTC"))["sar_mean"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # an origin before every step: missing, not 0, and said
    early = pd.Timestamp("2024-05-01", tz="UTC")
    got = at.replace(table, early)
    assert got["sar_mean"].isna().all() and not got["sar_mean__covered"].any()
    assert at.without_step == {early.isoformat(): ["sar"]}
    # the published method takes it so (the transit of a run without tracks: none)
    from pipeline.runner.stages._backtest import published_method

    state.features = SimpleNamespace(table=table)
    assert [f.name for f in published_method(state).at_origin.factors] == ["sar_mean"]


def test_the_origins_passes_from_the_memo_equal_fresh_ones(tmp_path, caplog):
    # A run's origins keep the time per cell of each vessel-day block in the cache's memo:
    # a later origin (more pings), an earlier one after it (fewer), and the next night's
    # take the blocks whose pings did not change.  Each is the pass computed afresh.
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors

    third = _lane("third", ORIGIN + pd.Timedelta(days=20), 40.2)
    slow = _lane("slow", ORIGIN + pd.Timedelta(days=4), 41.0).assign(
        **{S.LON: lambda f: 11.0 + (f[S.LON] - 9.5) / 300, S.SOG: 0.2}
    )
    pings = pd.concat([OLD, NEW, third, slow], ignore_index=True)
    pings = pings.sort_values([S.VESSEL_ID, S.TIME], ignore_index=True)
    origins = [ORIGIN + pd.Timedelta(days=d) for d in (10, 30, 10, 30)]
    got: dict[str, list] = {}
    caplog.set_level("INFO", logger="pipeline.transit")
    for how in ("fresh", "memo"):
        state = _state(tmp_path / how, pings)
        if how == "memo":
            state.cache, state.code = StageCache(tmp_path / "cache"), "code"
        at = TransitAtOrigin(state, transit_at_origin_factors(state))
        got[how] = [at.replace(state.features.table, t) for t in origins]
    reused = [
        int(r.getMessage().split("time of ")[1].split()[0])
        for r in caplog.records
        if "block(s) from the memo" in r.getMessage()
    ]
    assert len(reused) == 4 and reused[0] == 0 and min(reused[1:]) > 0, reused
    for a, b in zip(got["fresh"], got["memo"], strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not got["fresh"][0].equals(got["fresh"][1])  # the third lane joined
