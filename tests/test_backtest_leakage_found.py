"""Nothing after a back-test origin may move that origin's forecast (found by hIG).

Every method the back-test compares (the naive counts, the plain KDE, the pipeline's density
with decay, quantities and commodity weights, the weighted risk, the fitted count model, the
tuned density) is scored at rolling origins ``t`` from the events before ``t``.  The
properties here perturb only the data at or after a time ``tau`` (events added, exactly at
``tau`` too and in another time zone; events deleted, moved, their commodity and quantity
changed) and require every origin ``t <= tau`` to keep its forecast bit for bit, with its
cells, its chosen bandwidth, its fitted coefficients and its tuned parameters, and every
origin whose test window ended by ``tau`` to keep its whole row of metrics.

The run's back-test method recomputes the plug-ins that read the seizures at each origin:
they see the pings before the origin and the window a run there would have (they saw every
ping, and the cells of the later seizures), and a raster they read as of the run's day is
named.  A plug-in of the run sees the pings up to its ``as_of`` only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stages import plugin_state
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline
from pipeline import schema as S
from pipeline.builtin_factors import density_on_cells
from pipeline.config import DensityConfig
from pipeline.evaluate import BacktestOptions, rolling_back_test
from pipeline.evaluate.baselines import baseline_methods
from pipeline.grid import grid_disk_cells
from pipeline.model import (
    FittedModel,
    FittedOptions,
    WeightedModel,
    density_parameters_at,
    select_density_parameters,
)

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

RES = 5
END = pd.Timestamp("2025-01-01", tz="UTC")
FIRST = pd.Timestamp("2023-06-01", tz="UTC")
OPTS = BacktestOptions(
    origins=3,
    horizon_days=60,
    train_days=365,
    end=END.date(),
    kde_bandwidth_km=25.0,
    area_fractions=(0.05, 0.2),
    min_train_events=5,
)
#: The origins OPTS places (END - 60 - k * 60 days).
ORIGINS = [END - pd.Timedelta(days=60 * k) for k in (3, 2, 1)]
HOT = np.array([[10.2, 40.3], [11.0, 41.1], [11.7, 40.6]])  # lon, lat of three hot spots
COMMODITIES = ("cocaine", "cannabis", "cigarettes")
DENSITY = DensityConfig(
    bandwidth_km="silverman",  # a rule: chosen from the points it is given
    half_life_days=120.0,
    use_quantity=True,  # a missing quantity takes its commodity's median
    commodity_weights={"cocaine": 3.0, "default": 1.0},
)
FITTED = FittedOptions(
    horizon_days=60,
    train_days=365,
    count_windows_days=("all", 120.0, "horizon"),
    kde_windows_days=("all", 120.0),
    bandwidths_km=(25.0, 50.0),
    recency_cap_days=120.0,
    min_events=20,
)


def _events(seed: int, n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(HOT), n)
    span = (END - FIRST).total_seconds()
    t = FIRST + pd.to_timedelta(np.sort(rng.uniform(0, span, n)), unit="s")
    qty = rng.lognormal(3, 1, n)
    qty[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame(
        {
            S.TIME: t,
            S.LON: HOT[k, 0] + rng.normal(0, 0.15, n),
            S.LAT: HOT[k, 1] + rng.normal(0, 0.15, n),
            S.COMMODITY: np.asarray(COMMODITIES)[rng.integers(0, 3, n)],
            S.QUANTITY: qty,
        }
    )


@st.composite
def perturbations(draw):
    """A base seed, a time ``tau`` and a change of the events at or after it only."""
    seed = draw(st.integers(0, 2**16))
    k = draw(st.integers(0, len(ORIGINS) - 1))
    shift = draw(st.sampled_from([0.0, 0.0, 1e-3, 0.5, 30.0, 61.0]))
    tau = ORIGINS[k] + pd.Timedelta(days=shift)
    added = draw(
        st.lists(
            st.tuples(
                st.sampled_from([0.0, 0.0, 1e-6, 3.0, 45.0, 200.0]),  # days after tau
                st.floats(9.5, 12.5),
                st.floats(39.5, 42.0),
                st.sampled_from(COMMODITIES),
                st.one_of(st.none(), st.floats(0.1, 1e4)),
                st.sampled_from(["UTC", "Asia/Kolkata", "America/Bogota"]),
            ),
            max_size=6,
        )
    )
    return {
        "seed": seed,
        "tau": tau,
        "added": added,
        "delete": draw(st.floats(0, 1)),
        "move_deg": draw(st.sampled_from([0.0, 0.3, -1.0])),
        "relabel": draw(st.booleans()),
        "rng": draw(st.integers(0, 2**16)),
        "universe": draw(st.sampled_from(["history", "train"])),
        "within": draw(st.booleans()),
    }


def _perturb(ev: pd.DataFrame, p: dict) -> pd.DataFrame:
    """Change only the events at or after ``p['tau']`` (and add some there)."""
    rng = np.random.default_rng(p["rng"])
    out = ev.copy()
    late = (pd.to_datetime(out[S.TIME], utc=True) >= p["tau"]).to_numpy()
    out.loc[late, S.LON] = out.loc[late, S.LON] + p["move_deg"]
    if p["relabel"]:
        out.loc[late, S.COMMODITY] = "cocaine"
        out.loc[late, S.QUANTITY] = np.where(rng.random(int(late.sum())) < 0.5, np.nan, 1e5)
    drop = late & (rng.random(len(out)) < p["delete"])
    out = out[~drop]
    rows = [
        {
            # the same instant written in another zone: the boundary is the instant
            S.TIME: (p["tau"] + pd.Timedelta(days=d)).tz_convert(tz),
            S.LON: lon,
            S.LAT: lat,
            S.COMMODITY: c,
            S.QUANTITY: np.nan if q is None else q,
        }
        for d, lon, lat, c, q, tz in p["added"]
    ]
    if rows:
        out = pd.concat([out.astype({S.TIME: object}), pd.DataFrame(rows)], ignore_index=True)
    return out.reset_index(drop=True)


def _recording_methods(record: dict, with_fitted: bool) -> dict:
    """Every method the back-test compares, each writing what it forecast at each origin."""
    base = baseline_methods(OPTS)

    def keep(name, origin, **arrays):
        record[(name, origin)] = arrays

    def wrap(name, fn):
        def method(train, cells, origin):
            out = fn(train, cells, origin)
            keep(name, origin, score=np.asarray(out, dtype="float64"), cells=cells.copy())
            return out

        return method

    def density(train, cells, origin):
        values, info = density_on_cells(train, cells, origin, DENSITY, cells)
        keep("density", origin, score=values, bandwidth=np.float64(info["bandwidth_km"]))
        return values

    def weighted(train, cells, origin):
        values, _ = density_on_cells(train, cells, origin, DENSITY, cells)
        counts = base["all_prior_counts"](train, cells, origin)
        table = pd.DataFrame(
            {S.CELL: cells, S.SEIZURE_DENSITY: values, "prior": np.asarray(counts)}
        )
        model = WeightedModel({S.SEIZURE_DENSITY: 2.0, "prior": 1.0}).fit(
            train, cells, origin, table
        )
        pred = model.predict()
        keep("weighted", origin, score=pred["score"].to_numpy(), classes=pred[S.RISK_CLASS])
        return pred["score"].to_numpy()

    def fitted(train, cells, origin):
        model = FittedModel(FITTED).fit(train, cells, origin)
        pred = model.predict()
        keep(
            "fitted",
            origin,
            score=pred["score"].to_numpy(),
            expected=pred["expected"].to_numpy(),
            p_any=pred["p_any"].to_numpy(),
            report=model.report(),
        )
        return pred["score"].to_numpy()

    methods = {
        **{f"rec_{n}": wrap(n, fn) for n, fn in base.items()},
        "rec_density": density,
        "rec_weighted": weighted,
    }
    if with_fitted:
        methods["rec_fitted"] = fitted
    return methods


#: The cells a map can show (``within``): a disk that leaves out much of two hot spots.
AREA = np.sort(grid_disk_cells(pipeline.points_to_cells([10.8], [40.8], RES), 5))


def _run(
    events: pd.DataFrame, with_fitted: bool = False, universe: str = "history", within=None
) -> tuple[dict, dict]:
    record: dict = {}
    methods = _recording_methods(record, with_fitted)
    opts = OPTS.model_copy(update={"universe_from": universe})
    result = rolling_back_test(
        events, None, methods=methods, options=opts, resolution=RES, within=within
    )
    return result, record


def _assert_same(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where, strict=True)
    else:
        assert a == b, where


def _assert_forecasts_kept(p: dict, before, rec_a, after, rec_b) -> None:
    """Every forecast made by ``tau`` and every row whose test window ended by it are kept."""
    compared = 0
    names = sorted({name for name, _ in rec_a})
    for t in ORIGINS:
        if t > p["tau"]:
            continue
        if (names[0], t) not in rec_b:  # no test event left: not scored, nothing forecast
            skipped = {s["origin"]: s["reason"] for s in after["skipped_origins"]}
            assert "0 test events" in skipped[t.isoformat()]
            continue
        for name in names:
            _assert_same(rec_a[(name, t)], rec_b[(name, t)], f"{name} at {t.date()}")
        compared += 1
    assert compared or p["delete"] > 0, "no origin before tau: the example proves nothing"
    rows_a = {o["origin"]: o for o in before["origins"]}
    rows_b = {o["origin"]: o for o in after["origins"]}
    for t in ORIGINS:
        if t + pd.Timedelta(days=OPTS.horizon_days) <= p["tau"]:
            # its test window ended by tau: every metric of every method, baselines too
            _assert_same(rows_a[t.isoformat()], rows_b[t.isoformat()], f"row of {t.date()}")


@settings(max_examples=5, deadline=None)
@given(p=perturbations())
def test_no_change_at_or_after_tau_moves_a_forecast_made_by_tau(p):
    ev = _events(p["seed"])
    how = {"universe": p["universe"], "within": AREA if p["within"] else None}
    before, rec_a = _run(ev, **how)
    after, rec_b = _run(_perturb(ev, p), **how)
    _assert_forecasts_kept(p, before, rec_a, after, rec_b)


#: Every kind of change at once, from the middle origin on: events added exactly at it (in
#: UTC+05:30, the same instant) and after it, the later ones moved, relabelled, some deleted.
EVERYTHING_AFTER = {
    "seed": 7,
    "tau": ORIGINS[1],
    "added": [
        (0.0, 11.0, 41.1, "cocaine", 5e4, "Asia/Kolkata"),
        (0.0, 10.2, 40.3, "cocaine", None, "America/Bogota"),
        (1e-6, 11.7, 40.6, "cannabis", 3.0, "UTC"),
        (30.0, 11.0, 41.0, "cocaine", None, "UTC"),
    ],
    "delete": 0.3,
    "move_deg": 0.3,
    "relabel": True,
    "rng": 1,
    "universe": "history",
    "within": False,
}


def test_the_fitted_model_and_its_coefficients_ignore_the_events_after_its_origin():
    p = EVERYTHING_AFTER
    ev = _events(p["seed"])
    before, rec_a = _run(ev, with_fitted=True)
    after, rec_b = _run(_perturb(ev, p), with_fitted=True)
    assert rec_a[("fitted", ORIGINS[0])]["report"]["fallback"] is None, "the GLM was not fitted"
    _assert_forecasts_kept(p, before, rec_a, after, rec_b)
    # given every event, the later ones too, the model takes the same window of them
    t = ORIGINS[1]
    cells = rec_a[("kde", t)]["cells"]
    whole = FittedModel(FITTED).fit(_perturb(ev, p), cells, t)
    assert whole.report() == rec_a[("fitted", t)]["report"]
    np.testing.assert_array_equal(
        whole.predict()["score"].to_numpy(), rec_a[("fitted", t)]["score"]
    )


def test_the_tuned_density_at_an_origin_ignores_the_events_after_it():
    p = EVERYTHING_AFTER
    ev = _events(p["seed"])
    grid = {"bandwidths_km": (10.0, 40.0), "half_lives_days": (None, 60.0)}
    a = select_density_parameters(ev, None, resolution=RES, options=OPTS, **grid)
    b = select_density_parameters(_perturb(ev, p), None, resolution=RES, options=OPTS, **grid)
    for t in ORIGINS:
        if t <= p["tau"]:
            assert density_parameters_at(a, t) == density_parameters_at(b, t)
    ended = [o for o in a["by_origin"] if pd.Timestamp(o["test_end"]) <= p["tau"]]
    assert ended, "no origin's test window ended by tau: the example proves nothing"
    assert ended == [o for o in b["by_origin"] if pd.Timestamp(o["test_end"]) <= p["tau"]]


# --- the run's back-test method: a plug-in that reads the seizures and the tracks ---------


@pipeline.factor(
    name="seizures_on_tracks",
    unit="seizures",
    description="Seizures up to as_of in the cells a vessel was seen in.",
    needs=("seizures", "tracks"),
)
def seizures_on_tracks(ctx):
    # the seizures a run hands over end at its as_of; so, the author takes it, do the pings
    s = ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of]
    seen = pipeline.points_to_cells(
        ctx.pings[S.LON].to_numpy(), ctx.pings[S.LAT].to_numpy(), ctx.resolution
    )
    got = pipeline.points_to_cells(s[S.LON].to_numpy(), s[S.LAT].to_numpy(), ctx.resolution)
    counts = pd.Series(got).value_counts().reindex(ctx.cells, fill_value=0)
    return counts.where(counts.index.isin(seen), 0).to_numpy(dtype="float64")


def _pings(times: pd.DatetimeIndex, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            S.VESSEL_ID: [f"v{i % 3}" for i in range(len(times))],
            S.TIME: times,
            S.LON: lon,
            S.LAT: lat,
            S.SOG: 10.0,
            S.COG: 90.0,
        }
    )


def _state(
    tmp_path, model: str, seizures: pd.DataFrame, pings: pd.DataFrame, plugin="seizures_on_tracks"
):
    """The parts of a run's state the back-test's published method reads."""

    from conftest import config_from

    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
            "evaluate": {"horizon_days": OPTS.horizon_days, "train_days": OPTS.train_days},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "s.csv")}],
                "tracks": [{"path": str(tmp_path / "a.csv")}],
            },
            "factors": {"plugins": [f"test_backtest_leakage_found:{plugin}"]},
            "score": {
                "model": model,
                "fitted": FITTED.model_dump(mode="json"),
                "factors": {
                    S.SEIZURE_DENSITY: {"weight": 1},
                    plugin: {"weight": 1},
                },
            },
        },
        tmp_path,
    )
    cells = np.unique(pipeline.points_to_cells(seizures[S.LON], seizures[S.LAT], RES))
    table = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: 0.0, plugin: 0.0})
    return plugin_state(cfg, seizures, pings, cells, table=table, as_of=END, density_choice=None)


@pytest.mark.parametrize("model", ["weighted", "fitted"])
def test_a_plug_in_reading_the_tracks_sees_no_ping_after_the_origin(tmp_path, model):
    # A plug-in reading the seizures and the tracks is recomputed at each origin from the
    # seizures before it (it is no present data: evaluation.json does not name it), but it
    # was handed every ping of the run, those after the origin too: a vessel first seen
    # after the origin in a cell of past seizures raised that cell's forecast at the origin.
    from pipeline.runner.stages._backtest import published_method

    ev = _events(3)
    ev = ev[ev[S.TIME] < END].reset_index(drop=True)
    t = ORIGINS[1]
    rng = np.random.default_rng(0)
    early = pd.date_range(FIRST, t - pd.Timedelta(days=1), periods=30)
    base = _pings(early, HOT[0, 0] + rng.normal(0, 0.1, 30), HOT[0, 1] + rng.normal(0, 0.1, 30))
    # a vessel over the two other hot spots, from the origin on (the first ping exactly at it)
    late = pd.DatetimeIndex([t, *pd.date_range(t + pd.Timedelta(hours=1), END, periods=19)])
    k = np.arange(20) % 2 + 1
    extra = _pings(late, HOT[k, 0] + rng.normal(0, 0.1, 20), HOT[k, 1] + rng.normal(0, 0.1, 20))
    train = ev[(ev[S.TIME] >= t - pd.Timedelta(days=OPTS.train_days)) & (ev[S.TIME] < t)]
    train = train.reset_index(drop=True)
    from pipeline.evaluate import cell_universe

    cells = cell_universe(ev[ev[S.TIME] < t], RES, OPTS.universe_km)
    got = []
    for pings in (base, pd.concat([base, extra], ignore_index=True)):
        method = published_method(_state(tmp_path / str(len(got)), model, ev, pings))
        got.append(method(train, cells, t))
    np.testing.assert_array_equal(got[0].score, got[1].score, strict=True)
    if model == "fitted":
        np.testing.assert_array_equal(got[0].expected, got[1].expected, strict=True)
        assert got[0].info == got[1].info


@pipeline.factor(
    name="seizures_near_in_area",
    unit="seizures per km²",
    description="Edge-corrected density of the seizures up to as_of within the area's window.",
    needs=("seizures",),
)
def seizures_near_in_area(ctx):
    from pipeline.density import kernel_density

    s = ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of]
    if not len(s):
        return np.zeros(len(ctx.cells))
    return kernel_density(
        (s[S.LON].to_numpy(), s[S.LAT].to_numpy()),
        ctx.cells,
        bandwidth_km=30.0,
        window=ctx.window_cells,
        edge_correction=True,
    )


def test_a_plug_in_at_an_origin_gets_the_window_a_run_there_would_have(tmp_path):
    # The plug-ins' window (the area's cells plus every cell holding a seizure, as a run
    # makes it) was the run's: a seizure after the origin in a cell outside the area (a
    # record near its edge, an anchorage on the land layer) joined the window of every
    # origin, and a plug-in that corrects its kernel for the window's edge moved there.
    from pipeline.evaluate import cell_universe
    from pipeline.runner.stages._backtest import published_method

    ev = _events(5)
    ev = ev[ev[S.TIME] < END].reset_index(drop=True)
    t = ORIGINS[1]
    area = np.sort(grid_disk_cells(pipeline.points_to_cells([11.0], [40.8], RES), 8))
    outside = pd.DataFrame(  # just beyond the area's edge, after the origin
        {
            S.TIME: [t + pd.Timedelta(days=3)],
            S.LON: [11.0],
            S.LAT: [42.2],
            S.COMMODITY: ["cocaine"],
            S.QUANTITY: [1.0],
        }
    )
    assert not np.isin(pipeline.points_to_cells(outside[S.LON], outside[S.LAT], RES), area).any()
    train = ev[(ev[S.TIME] >= t - pd.Timedelta(days=OPTS.train_days)) & (ev[S.TIME] < t)]
    train = train.reset_index(drop=True)
    cells = cell_universe(ev[ev[S.TIME] < t], RES, OPTS.universe_km)
    cells = cells[np.isin(cells, area)]
    got = []
    for seizures in (ev, pd.concat([ev, outside], ignore_index=True)):
        state = _state(
            tmp_path / str(len(got)),
            "weighted",
            seizures,
            _pings(pd.DatetimeIndex([FIRST]), np.array([11.0]), np.array([40.8])),
            plugin="seizures_near_in_area",
        )
        held = pipeline.points_to_cells(seizures[S.LON], seizures[S.LAT], RES)
        state.area_cells = area
        state.cells = np.union1d(area, held)  # as the run's cells stage makes them
        got.append(published_method(state)(train, cells, t))
    np.testing.assert_array_equal(got[0].score, got[1].score, strict=True)


def test_an_event_exactly_at_an_origin_is_a_test_event_of_it_and_of_no_earlier_one():
    # One side everywhere: [t - train_days, t) trains, [t, t + horizon) tests, whatever zone
    # the instant is written in; the fitted model's training labels end by the origin too.
    ev = _events(11)
    t = ORIGINS[1]
    at_t = pd.DataFrame(
        {
            S.TIME: [t.tz_convert("Asia/Kolkata"), t.tz_convert("America/Bogota")],
            S.LON: [11.0, 10.2],
            S.LAT: [41.1, 40.3],
            S.COMMODITY: ["cocaine", "cocaine"],
            S.QUANTITY: [1.0, 1.0],
        }
    )
    both = pd.concat([ev.astype({S.TIME: object}), at_t], ignore_index=True)
    a, rec_a = _run(ev)
    b, rec_b = _run(both)
    rows_a = {o["origin"]: o for o in a["origins"]}
    rows_b = {o["origin"]: o for o in b["origins"]}
    for o in ORIGINS:
        ra, rb = rows_a[o.isoformat()], rows_b[o.isoformat()]
        in_test = o == t
        in_train = o > t  # a later origin's training window holds it
        assert rb["n_test"] - ra["n_test"] == (2 if in_test else 0), o
        assert rb["n_train"] - ra["n_train"] == (2 if in_train else 0), o
        if o <= t:
            for name in ("kde", "density", "weighted", "recent_counts"):
                _assert_same(rec_a[(name, o)], rec_b[(name, o)], f"{name} at {o.date()}")
    feats = FittedModel(FITTED).fit(both, rec_a[("kde", t)]["cells"], t).features_
    # every training label window [s, s + horizon) ends by the origin, and the origin's own
    # events are in none of them
    assert max(feats.training_origins_days) + FITTED.horizon_days <= 0
    assert feats.n_events == int(
        ((ev[S.TIME] >= t - pd.Timedelta(days=365)) & (ev[S.TIME] < t)).sum()
    )


def test_a_plug_in_reading_the_tracks_sees_no_ping_after_its_as_of():
    # The run hands a plug-in the seizures up to as_of but read every ping: one reading the
    # tracks counted the positions after the map's day (the built-in transit factors leave
    # them out), so a rerun of a past day moved with the later AIS.
    import dataclasses

    from conftest import factor_context

    @pipeline.factor(
        name="pings_in_cell",
        unit="positions",
        description="Positions in the cell.",
        needs=("tracks",),
        register=False,
    )
    def pings_in_cell(ctx):
        got = pipeline.points_to_cells(ctx.pings[S.LON], ctx.pings[S.LAT], ctx.resolution)
        return pd.Series(got).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")

    cells = np.unique(pipeline.points_to_cells(HOT[:, 0], HOT[:, 1], RES))
    ctx = factor_context(cells)  # as of 2024-01-01 00:00 UTC
    at = pd.DatetimeIndex(["2023-12-31 23:00", "2024-01-01 00:00", "2024-01-01 00:00:01"], tz="UTC")
    # the first two up to as_of (the second exactly at it), the third one second after it
    pings = _pings(at.tz_convert("Asia/Kolkata"), HOT[:, 0], HOT[:, 1])
    got = pings_in_cell(dataclasses.replace(ctx, pings=pings)).values
    want = pd.Series(pipeline.points_to_cells(HOT[:2, 0], HOT[:2, 1], RES)).value_counts()
    np.testing.assert_array_equal(got, want.reindex(cells, fill_value=0).to_numpy("float64"))


@pipeline.factor(
    name="seizures_where_lit",
    unit="seizures",
    description="Seizures up to as_of in the cells the night-lights raster shows lit.",
    needs=("seizures", "raster:nightlights"),
)
def seizures_where_lit(ctx):  # never computed here: the back-test's notes are the claim
    return np.zeros(len(ctx.cells))


def test_a_seizure_plug_in_reading_a_raster_is_named_as_partly_present_data(tmp_path, monkeypatch):
    # Recomputed at each origin from the seizures before it, such a plug-in is no present
    # data for the back-test, yet it reads the raster the run opened (a dated raster's step
    # of as_of) at every origin: the look-ahead was stated nowhere.
    from types import SimpleNamespace

    from conftest import config_from

    import pipeline.evaluate
    from pipeline.runner.stages import _backtest as B

    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "s.csv")}],
                "rasters": [{"path": str(tmp_path / "n.tif"), "name": "nightlights"}],
            },
            "factors": {"plugins": ["test_backtest_leakage_found:seizures_where_lit"]},
            "score": {
                "factors": {S.SEIZURE_DENSITY: {"weight": 1}, "seizures_where_lit": {"weight": 1}}
            },
        },
        tmp_path,
    )
    state = SimpleNamespace(
        config=cfg,
        as_of=END,
        seizures=_events(1),
        area_cells=np.zeros(0, "uint64"),
        density_choice=None,
        area=SimpleNamespace(given=True),
        rasters=[],  # none opened: no dated raster is taken at each origin
    )
    assert B.raster_read_plugins(state) == {"seizures_where_lit": ["nightlights"]}
    monkeypatch.setattr(pipeline.evaluate, "rolling_back_test", lambda *a, **k: {"notes": []})
    monkeypatch.setattr(B, "published_method", lambda state: None)
    notes = B._back_test_result(state, OPTS)["notes"]
    said = [n for n in notes if n.startswith("plug-in 'seizures_where_lit'")]
    assert len(said) == 1 and "'nightlights'" in said[0] and "look-ahead" in said[0]
