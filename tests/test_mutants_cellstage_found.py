"""What a mutation pass over the cells and outputs stages and the ranking metrics found (hHK).

Each test fails on one small, plausible mutant of ``pipeline/runner/stages/_cells.py``,
``_outputs.py``, ``pipeline/evaluate/metrics.py`` or ``calibration.py`` that left every other
test of those modules passing.  Values come from independent references: a brute-force walk
over the cells ranked by hand (ties split by area share, NaN last; the definitions of Chainey
et al. 2008, Hunt 2016 and Levine 2004 in the metrics' docstring), scikit-learn's
``calibration_curve``, h3's own cells and hand counts on a tiny theatre.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stages import export_state

from pipeline.evaluate import ranking_metrics, reliability

# ----------------------------------------------------------------------------- metrics


def _walk(score, area, counts, fraction: float) -> float:
    """Events the flagged cells hold at ``fraction`` of the area, by a walk over the groups.

    Groups of one score, highest first and NaN last as one group; the group the budget ends
    in gives the share of its events that its flagged area is of its area.
    """
    values = sorted({float(s) for s in score if not np.isnan(s)}, reverse=True)
    groups = [score == v for v in values] + [np.isnan(score)]
    budget, got = fraction * float(area.sum()), 0.0
    for g in groups:
        if not g.any() or budget <= 0:
            continue
        take = min(float(area[g].sum()), budget)
        got += float(counts[g].sum()) * take / float(area[g].sum())
        budget -= take
    return got


def _reference(score, area, test, train, fraction, n_test, n_train) -> dict:
    hits = _walk(score, area, test, fraction)
    best = _walk(test / area, area, test, fraction)
    held = _walk(score, area, train, fraction)
    hit = hits / n_test
    return {
        "hit_rate": hit,
        "pai": hit / fraction,
        "pei": hits / best if best > 0 else None,
        "rri": hit / (held / n_train) if held > 0 else None,
    }


#: 4 + 2 + 5 + 3 + 1 + 3 cells of areas 1 or 2 km² (the last one the rest of 32): the share boundaries fall on whole
#: groups (0.125: the first group exactly) and inside tied groups.
_SCORES = np.r_[[9.0] * 4, [7.0] * 2, [5.0] * 5, [2.0] * 3, [1.0], [np.nan] * 3]
_FRACTIONS = (0.05, 0.125, 0.3, 0.5, 0.8, 0.9, 1.0)


def _cells(seed: int):
    rng = np.random.default_rng(seed)
    n = _SCORES.size
    area = rng.choice([1.0, 2.0], n)
    area[:4] = 1.0  # the top group: 4 of 32 km², a share boundary of 0.125 exactly
    area[-1] = 32.0 - area[:-1].sum()
    test = rng.poisson(1.5, n).astype(float)
    test[-3:] = [4.0, 0.0, 2.0]  # events in the unscored cells: captured only at the end
    train = rng.poisson(2.0, n).astype(float)
    return area, test, train


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ranking_metrics_equal_a_walk_over_the_cells_in_any_order(seed):
    """Hit rate, PAI, PEI and RRI at shares straddling tied groups and at 1, with NaN scores
    last and events outside the universe counted in N2 and N1, in three storage orders."""
    area, test, train = _cells(seed)
    n_test, n_train = test.sum() + 5.0, train.sum() + 7.0
    want = [_reference(_SCORES, area, test, train, a, n_test, n_train) for a in _FRACTIONS]
    rng = np.random.default_rng(seed + 100)
    for _ in range(3):
        p = rng.permutation(_SCORES.size)
        rows = ranking_metrics(
            _SCORES[p],
            area[p],
            test[p],
            _FRACTIONS,
            n_test_total=n_test,
            train_counts=train[p],
            n_train_total=n_train,
        )
        for row, ref, a in zip(rows, want, _FRACTIONS, strict=True):
            assert row["area_fraction"] == a
            for k, v in ref.items():
                if v is None:
                    assert row[k] is None, (a, k)
                else:
                    assert row[k] == pytest.approx(v, abs=2e-6), (a, k)
    # at the whole area every event in the universe is captured, and no more
    assert rows[-1]["hit_rate"] == pytest.approx(round(test.sum() / n_test, 6))


# ----------------------------------------------------------------------------- cells stage

#: A 2° square theatre at resolution 5 with an island (lon/lat bounds) inside it.
_BOX = (100.0, 0.0, 102.0, 2.0)
_ISLAND = (100.8, 0.8, 101.2, 1.2)


def _h3_square(box, res: int) -> np.ndarray:
    """The cells whose centre lies in ``box``: h3's own polygon fill, as uint64."""
    import h3

    lon0, lat0, lon1, lat1 = box
    poly = h3.LatLngPoly([(lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0)])
    return np.sort(np.array([h3.str_to_int(c) for c in h3.polygon_to_cells(poly, res)], "uint64"))


def _stage_state(seizures):
    from types import SimpleNamespace

    return SimpleNamespace(
        config=SimpleNamespace(area=SimpleNamespace(resolution=5)),
        seizures=seizures,
        notes=[],
        area_cells=None,
    )


def test_the_area_s_cells_are_the_sea_cells_and_each_seizure_s_cell_once():
    """The cells scored are h3's cells of the area whose centre is off the land layer, and
    once each the cells holding a seizure that fell outside them: three seizures in one cell
    on the island, two beyond the area's edge in two cells, two at sea in one cell of the
    area.  The notes count cells and seizures apart, on land and outside."""
    import geopandas as gpd
    import h3
    import shapely

    from pipeline.runner.stages import _cells

    region = _h3_square(_BOX, 5)
    land = gpd.GeoDataFrame(geometry=[shapely.box(*_ISLAND)], crs="EPSG:4326")
    centres = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in region])
    at_sea = region[~shapely.contains_xy(shapely.box(*_ISLAND), centres[:, 1], centres[:, 0])]
    assert 0 < at_sea.size < region.size
    # an island cell: its centre on the island; two cells beyond the east edge
    island = h3.str_to_int(h3.latlng_to_cell(1.0, 101.0, 5))
    assert island in region and island not in at_sea
    lon = [101.0, 101.0, 101.0, 102.3, 102.3, 100.3, 100.3]
    lat = [1.0, 1.0, 1.0, 0.5, 1.5, 0.3, 0.3]
    held = np.array(
        [h3.str_to_int(h3.latlng_to_cell(b, a, 5)) for a, b in zip(lon, lat, strict=True)], "uint64"
    )
    outside = np.unique(held[3:5])
    assert outside.size == 2 and not np.isin(outside, region).any()
    assert np.isin(held[5:], at_sea).all()
    state = _stage_state(pd.DataFrame({"lon": lon, "lat": lat}))
    got = _cells._with_seizure_cells(state, region, land)
    want = np.union1d(at_sea, np.append(np.uint64(island), outside))
    assert got.dtype == np.uint64 and got.tolist() == want.tolist()
    assert np.sort(state.area_cells).tolist() == at_sea.tolist()
    assert [n.split(" (")[0].split(";")[0] for n in state.notes] == [
        "1 cell(s) whose centre lies on the land layer are scored: "
        "they hold 3 seizure(s) of the area",
        "2 cell(s) whose centre lies outside the area are scored: "
        "they hold 2 seizure(s) of the area",
    ]
    # without a land layer the island's cell is the area's: only the two outside are added
    state = _stage_state(pd.DataFrame({"lon": lon, "lat": lat}))
    got = _cells._with_seizure_cells(state, region, None)
    assert got.tolist() == np.union1d(region, outside).tolist()
    assert len(state.notes) == 1 and state.notes[0].startswith("2 cell(s) whose centre lies out")


# ----------------------------------------------------------------------------- calibration


def test_probability_reliability_equals_scikit_learn_s_quantile_calibration_curve():
    """Distinct probabilities in ten bins of equal count: per bin the mean prediction and
    the share of cells with an event are scikit-learn's ``calibration_curve`` (quantile
    strategy), pooled over two origins of 50 cells; counts of 2 or 3 are one cell with an
    event; the Brier score is scikit-learn's."""
    calibration = pytest.importorskip("sklearn.calibration")
    from sklearn.metrics import brier_score_loss

    rng = np.random.default_rng(4)
    p = rng.permutation(np.linspace(0.01, 0.95, 100))
    obs = rng.binomial(1, p) * rng.integers(1, 4, 100)
    expected = -np.log1p(-p)
    halves = (slice(0, 50), slice(50, 100))
    # the two origins' bins pool as one set of 100 cells only when each origin's deciles are
    # the same values: give the second origin the first one's probabilities, shuffled
    p[50:] = rng.permutation(p[:50])
    expected[50:] = -np.log1p(-p[50:])
    out = reliability(
        [expected[h] for h in halves], [obs[h] for h in halves], [p[h] for h in halves]
    )
    truth, mean_p = calibration.calibration_curve(obs > 0, p, n_bins=10, strategy="quantile")
    got = out["p_at_least_one"]
    assert got["cells"] == [10] * 10
    np.testing.assert_allclose(got["mean_predicted"], mean_p, rtol=1e-12)
    np.testing.assert_allclose(got["observed_share"], truth, rtol=1e-12)
    assert got["brier"] == pytest.approx(brier_score_loss(obs > 0, p), rel=1e-12)
    # the counts' curve: mean expected and mean observed events per decile, by hand
    order = np.argsort(expected[:50])
    by_decile = np.add.reduceat(np.c_[expected[:50][order], obs[:50][order]], np.arange(0, 50, 5))
    second = np.argsort(expected[50:])
    by_decile += np.add.reduceat(
        np.c_[expected[50:][second], obs[50:][second]], np.arange(0, 50, 5)
    )
    np.testing.assert_allclose(out["counts"]["mean_expected"], by_decile[:, 0] / 10, rtol=1e-12)
    np.testing.assert_allclose(out["counts"]["mean_observed"], by_decile[:, 1] / 10, rtol=1e-12)
    assert out["totals"]["observed_over_expected"] == pytest.approx(obs.sum() / expected.sum())


# ----------------------------------------------------------------------------- density: auto


def _auto_state(tmp_path, seizures, *, as_of="2024-12-31", density=None, evaluate=None, res=5):
    """A run state for the density-parameters stage alone, its cache a dict by the key."""
    from types import SimpleNamespace

    from pipeline.config import Config
    from pipeline.runner.stages import resolve_as_of

    (tmp_path / "s.csv").write_text("time,lon,lat\n")
    cfg = Config.model_validate(
        {
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
            "area": {"resolution": res},
            "density": {"bandwidth_km": "auto", "auto_bandwidths_km": [10.0, 40.0]}
            | (density or {}),
            "evaluate": {"origins": 2} | (evaluate or {}),
        }
    )
    store: dict = {}

    def cached(stage, key, build):
        k = repr([stage, key])
        if k not in store:
            store[k] = build()
        return store[k], False

    return SimpleNamespace(
        config=cfg,
        as_of=resolve_as_of(as_of),
        seizures=seizures,
        digests={"seizures": "sha-a"},
        area_cells=np.array([1, 2, 3], "uint64"),
        cells=np.array([1, 2, 3, 4], "uint64"),
        cached=cached,
        density_choice=None,
        density_given=None,
        store=store,
    )


def test_density_auto_chooses_from_the_seizures_up_to_as_of_over_the_area_s_cells(
    tmp_path, monkeypatch
):
    """The choice's back-test takes the seizures up to the end of the ``as_of`` day (one at
    its last microsecond included, one a microsecond later not), the area's cells (not those
    seizures add), the candidates configured and a fixed half-life as the one candidate; a
    night that changes ``as_of``, the area's cells, the resolution or the kernel chooses
    again, one that changes nothing is served from the cache."""
    import pipeline.model
    from pipeline.runner.stages import _cells

    calls: list[dict] = []

    def fake(events, cells, **kw):
        calls.append({"events": events, "cells": cells, **kw})
        return {"bandwidth_km": kw["bandwidths_km"][-1], "half_life_days": 30.0, "why": "test"}

    monkeypatch.setattr(pipeline.model, "select_density_parameters", fake)
    end = pd.Timestamp("2024-12-31 23:59:59.999999", tz="UTC")
    seizures = pd.DataFrame(
        {
            "time": [end - pd.Timedelta(days=400), end, end + pd.Timedelta(microseconds=1)],
            "lon": [1.0, 2.0, 3.0],
            "lat": [0.0, 0.0, 0.0],
        }
    )
    state = _auto_state(tmp_path, seizures, density={"half_life_days": 60.0})
    _cells.density_parameters(state)
    (call,) = calls
    assert call["events"]["time"].tolist() == seizures["time"].iloc[:2].tolist()
    assert call["within"].tolist() == [1, 2, 3]
    assert tuple(call["bandwidths_km"]) == (10.0, 40.0)
    assert tuple(call["half_lives_days"]) == (60.0,)
    assert call["resolution"] == 5 and call["kernel"] == "quartic"
    assert call["options"].origins == 2
    assert state.config.density.bandwidth_km == 40.0
    assert state.config.density.half_life_days == 30.0
    assert state.density_given.bandwidth_km == "auto"

    def night(**change):
        n = len(calls)
        s = _auto_state(tmp_path, seizures, **change.pop("make", {}))
        s.store.update(state.store)
        for k, v in change.items():
            setattr(s, k, v)
        _cells.density_parameters(s)
        state.store.update(s.store)
        return len(calls) - n

    assert night(make={"density": {"half_life_days": 60.0}}) == 0  # nothing changed: cached
    assert night(make={"as_of": "2025-01-31", "density": {"half_life_days": 60.0}}) == 1
    assert (
        night(make={"density": {"half_life_days": 60.0}}, area_cells=np.array([1, 2], "uint64"))
        == 1
    )
    assert night(make={"res": 6, "density": {"half_life_days": 60.0}}) == 1
    assert night(make={"density": {"half_life_days": 60.0, "kernel": "gaussian"}}) == 1
    assert night(make={"density": {"half_life_days": 60.0}}, digests={"seizures": "sha-b"}) == 1
    assert night(make={"density": {"half_life_days": 60.0}, "evaluate": {"origins": 3}}) == 1
    # a bandwidth given and the half-life auto: the one bandwidth, the half-lives' candidates
    numeric = {"bandwidth_km": 25.0, "half_life_days": "auto", "auto_half_lives_days": [None, 90]}
    assert night(make={"density": numeric}) == 1
    assert tuple(calls[-1]["bandwidths_km"]) == (25.0,)
    assert tuple(calls[-1]["half_lives_days"]) == (None, 90.0)


# ----------------------------------------------------------------------------- export stage


def _export_state(tmp_path, render: dict, **parts):
    """A run state of three cells (not in cell order) for the export stage alone."""
    import h3

    from pipeline import schema as S
    from pipeline.config import Config

    (tmp_path / "s.csv").write_text("time,lon,lat\n")
    cfg = Config.model_validate(
        {
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
            "area": {"resolution": 4},
            "evaluate": {"enabled": False},
            "render": render,
        }
    )
    cells = np.array(
        [h3.str_to_int(h3.latlng_to_cell(la, lo, 4)) for la, lo in [(5, 20), (-3, 7), (9, 1)]],
        "uint64",
    )
    scores = pd.DataFrame({S.CELL: cells, S.RISK: [10.0, 90.0, 50.0]})
    state = export_state(
        cfg,
        tmp_path,
        # the keys not first: the published table puts them first
        pd.DataFrame({S.SEIZURE_DENSITY: [1.0, 2, 3], S.CELL: cells}),
        scores=scores,
        seizures=pd.DataFrame(
            {S.TIME: pd.to_datetime(["2026-01-02"], utc=True), S.LON: [20.0], S.LAT: [5.0]}
        ),
        **parts,
    )
    return state, cells


@pytest.mark.parametrize(
    "render",
    [
        {"geojson": False, "flatgeobuf": False, "preview_png": False},
        {"geojson": True, "flatgeobuf": True, "preview_png": False},
    ],
    ids=["tables-off", "tables-on"],
)
def test_the_export_writes_the_files_asked_for_and_no_other(tmp_path, render):
    """Without pings or events, and with the formats switched off, the export writes the
    scores (CSV, GeoParquet, GeoPackage), the features and the seizures, and an evaluation's
    JSON without its PNG when the previews are off; FlatGeobuf and GeoJSON when asked, a model
    report and a timeline when the run made them.  The outputs list those files in the
    published order."""
    import json

    from pipeline.runner.stages import export

    evaluation = {"summary": {}, "origins": []}
    more = render["flatgeobuf"]  # with a model report and a timeline too
    parts = {"model_report": {"model": "poisson"}} if more else {}
    state, cells = _export_state(tmp_path, render, evaluation=evaluation, **parts)
    if more:
        state.timeline = pd.DataFrame({"cell": cells, "period": "2026-06", "risk": 1.0})
    export(state)
    want = ["scores.csv", "scores.parquet", "scores.gpkg"]
    want += ["scores.fgb", "scores.geojson"] if more else []
    want += ["features.parquet", "seizures.parquet", "evaluation.json"]
    want += ["model_report.json", "timeline.parquet"] if more else []
    assert sorted(p.name for p in state.staging.iterdir()) == sorted(want)
    assert [p.name for p in state.outputs.values()] == want
    assert json.loads((state.staging / "evaluation.json").read_text()) == evaluation
    # the features and the scores list the state's cells in its order, keys first
    for name in ("features.parquet", "scores.parquet"):
        t = pd.read_parquet(state.staging / name)
        assert t.columns[:2].tolist() == ["cell", "hex_id"], name
        assert t["cell"].to_numpy(dtype="uint64").tolist() == cells.tolist(), name


def test_nan_scores_rank_last_without_a_numpy_warning():
    """NaN scores (cells a method does not score) are ranked last without numpy's "invalid
    value encountered in subtract": every back-test of a model with unobserved cells printed
    it."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = ranking_metrics(
            np.array([np.nan, 2.0, np.nan, 1.0]), np.ones(4), np.array([1.0, 1, 1, 1]), [0.5]
        )
    assert rows[0]["hit_rate"] == 0.5


def _extent_state(tmp_path, area: dict, pings: pd.DataFrame | None = None):
    """A run state for the cells stage alone: seizures off (102, 1), no land layer."""
    import hashlib
    from types import SimpleNamespace

    from pipeline.area import read_area
    from pipeline.config import Config
    from pipeline.schema import empty_pings

    (tmp_path / "s.csv").write_text("time,lon,lat\n")
    cfg = Config.model_validate(
        {"inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]}, "area": area}
    )
    keys: list[str] = []

    def cached(stage, key, build):
        keys.append(repr(key))
        return build(), False

    return SimpleNamespace(
        config=cfg,
        area=read_area(cfg.area.bbox, cfg.area.polygon),
        seizures=pd.DataFrame({"lon": [102.0, 102.2], "lat": [1.0, 1.2]}),
        pings=empty_pings() if pings is None else pings,
        digests={"seizures": "a", "tracks": "b"},
        context={},
        notes=[],
        cached=cached,
        keys=keys,
        file_sha=lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest(),
    )


def test_an_extent_s_cells_reach_the_tracks_and_the_margin_and_a_polygon_s_bytes_key_them(
    tmp_path,
):
    """Without an area the universe is h3's cells of the seizures' and the tracks' extent
    grown by ``area.margin_km`` (in whole rings of cells: at least that far): 40 km takes the
    cell 22 km east of the easternmost ping, not the one 133 km east of it.  An area polygon edited in place (same path, same extent) keys
    the stage's cache otherwise: the cells it gives are others."""
    import h3

    from pipeline.runner.stages import _cells

    pings = pd.DataFrame({"lon": [103.5, 103.5], "lat": [1.0, 1.1]})
    state = _extent_state(tmp_path, {"resolution": 5, "margin_km": 40.0}, pings)
    _cells.cells(state)
    got = set(state.cells.tolist())
    assert set(_h3_square((102.0, 1.0, 103.5, 1.2), 5).tolist()) <= got
    assert set(_h3_square((101.0, 0.0, 104.5, 2.2), 5).tolist()) >= got  # whole rings: <= 1°
    near, far = (h3.str_to_int(h3.latlng_to_cell(1.1, 103.5 + d, 5)) for d in (0.2, 1.2))
    assert near in got and far not in got
    assert state.area_cells.tolist() == state.cells.tolist()  # no land, every seizure inside

    import geopandas as gpd
    import shapely

    path = tmp_path / "area.geojson"
    keys = []
    for shape in (shapely.box(100, 0, 102, 2), shapely.Polygon([(100, 0), (102, 0), (100, 2)])):
        # the triangle has the square's extent: only the file's bytes tell them apart
        gpd.GeoDataFrame(geometry=[shape], crs="EPSG:4326").to_file(path, driver="GeoJSON")
        state = _extent_state(tmp_path, {"resolution": 5, "polygon": str(path)})
        _cells.cells(state)
        keys.append(state.keys[-1])
    assert keys[0] != keys[1]


@pytest.fixture(scope="module")
def published_run(tmp_path_factory):
    """A tiny run of 40 attacks off (102 E, 1 N) and a ship's 4 h of AIS with a gap, with the default
    (quantile) map classes and the extra formats and the preview off: (the run's result,
    its published folder, the data the map was drawn from)."""
    from conftest import QUICK_TABLES, config_from

    import pipeline
    import pipeline.render

    tmp_path = tmp_path_factory.mktemp("published")
    rng = np.random.default_rng(8)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(40) * 9, unit="D")
    pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lon": np.round(102.0 + rng.normal(0, 0.2, 40), 5),
            "lat": np.round(1.0 + rng.normal(0, 0.2, 40), 5),
        }
    ).to_csv(tmp_path / "seizures.csv", index=False)
    mins = np.r_[np.arange(0, 181, 10), np.arange(660, 721, 10)]  # an 8 h gap: an event
    pd.DataFrame(
        {
            "Time": (pd.Timestamp("2024-12-30 10:00") + pd.to_timedelta(mins, "min")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "MMSI": 235000001,
            # north at 6 kn through a few cells
            "Latitude_degrees": 1.0 + 0.1 * np.arange(mins.size) * 10 / 60,
            "Longitude_degrees": 102.5,
            "SOG_knots": 6.0,
        }
    ).to_csv(tmp_path / "ais.csv", index=False)
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [101.0, 0.0, 103.0, 2.0], "resolution": 5},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "seizures.csv")}],
            "tracks": [{"path": str(tmp_path / "ais.csv")}],
        },
        "score": {"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
        **QUICK_TABLES,
    }
    drawn = []
    real = pipeline.render.write_map

    def write_map(data, *args, **kwargs):
        drawn.append(data)
        return real(data, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline.render, "write_map", write_map)
        res = pipeline.run_pipeline(config_from(raw, tmp_path))
    return res, (res.map_path.parent / "current").resolve(), drawn[0]


def test_a_run_publishes_the_map_s_classes_and_the_state_s_cells_and_no_preview(published_run):
    """The published scores list the run's cells in its order with its values, and each
    cell's class is the class of its risk (rounded to 0.1) under the breaks the manifest
    states for the map (quantiles of the run): not the score stage's own classes.  With
    ``render.preview_png`` off no preview is written."""
    res, folder, _ = published_run
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "risk_map.html",
        "scores.parquet",
        "scores.csv",
        "scores.gpkg",
        "features.parquet",
        "seizures.parquet",
        "pings.parquet",
        "events.parquet",
        "manifest.json",
        "rejects",
    }
    table = pd.read_parquet(folder / "scores.parquet")
    assert table["cell"].tolist() == res.scores["cell"].tolist()
    np.testing.assert_allclose(table["risk"], res.scores["risk"], rtol=1e-6)
    breaks = res.manifest["counts"]["risk_class_breaks"]
    assert breaks["method"] == "quantile"
    cuts, labels = breaks["breaks"][1:-1], breaks["labels"]
    shown = np.round(table["risk"].to_numpy(), 1)
    want = [labels[sum(r >= b for b in cuts)] for r in shown]
    assert table["risk_class"].tolist() == want
    assert res.scores["risk_class"].tolist() == want


def test_the_map_s_transit_layer_is_the_cells_the_tracks_spent_time_in(published_run):
    """The transit layer draws the cells with vessel-hours (> 0), with the features' values:
    not the scored cells without any (a 0 h class in the legend, and quantile breaks pulled
    to 0).  The map is told the density's bandwidth."""
    res, folder, data = published_run
    features = pd.read_parquet(folder / "features.parquet")
    vh = features.set_index("cell")["vessel_hours"]
    held = vh[vh.fillna(0) > 0]
    assert 0 < len(held) < len(vh)
    transit = data.transit.set_index("cell")["vessel_hours"]
    assert transit.index.tolist() == held.index.tolist()
    np.testing.assert_allclose(transit.to_numpy(), held.to_numpy(), rtol=1e-6)
    # the map states the density's bandwidth, the one the manifest records (25 km)
    assert data.bandwidth_km == res.manifest["features"]["density"]["bandwidth_km"] == 25.0


def test_the_land_check_counts_only_the_positions_in_the_area(tmp_path):
    """The tracks decide whether a land layer may cut the area to the sea by the positions
    *in the area's cells*: a ship's ten positions at sea in the area beside a truck's thirty
    on land east of it is a maritime theatre, not refused; thirty on the island in it is."""
    import geopandas as gpd
    import shapely

    from pipeline.errors import ConfigError
    from pipeline.runner.stages import _cells

    region = _h3_square(_BOX, 5)
    east = (102.5, 0.0, 104.0, 2.0)  # land beyond the area's east edge
    land = gpd.GeoDataFrame(geometry=[shapely.box(*_ISLAND), shapely.box(*east)], crs="EPSG:4326")

    def state(truck_lon: float):
        s = _stage_state(pd.DataFrame({"lon": [100.3], "lat": [0.3]}))
        t = pd.Timestamp("2024-12-30", tz="UTC") + pd.to_timedelta(np.arange(40), "min")
        s.pings = pd.DataFrame(
            {
                "lon": np.r_[np.full(10, 100.3), np.full(30, truck_lon)],
                "lat": np.r_[np.linspace(0.2, 0.4, 10), np.linspace(0.9, 1.1, 30)],
                "time": t,
            }
        )
        return s

    _cells._refuse_land_theatre(state(103.0), region, land)  # outside the area: not counted
    with pytest.raises(ConfigError, match=r"^30 of the area's 40 track positions \(a sample\)"):
        _cells._refuse_land_theatre(state(101.0), region, land)


@pytest.mark.parametrize("name", ["events", "seizures"])
def test_a_run_s_point_tables_carry_the_cell_of_each_point_first(published_run, name):
    """The published events and seizures begin with ``cell`` and ``hex_id``: h3's cell of
    each point at the run's resolution."""
    import h3

    _, folder, _ = published_run
    t = pd.read_parquet(folder / f"{name}.parquet")
    assert len(t) and t.columns[:2].tolist() == ["cell", "hex_id"]
    want = [h3.latlng_to_cell(la, lo, 5) for la, lo in zip(t["lat"], t["lon"], strict=True)]
    assert t["hex_id"].tolist() == want
    assert t["cell"].astype("uint64").tolist() == [h3.str_to_int(h) for h in want]


def test_a_training_total_below_the_training_events_in_the_cells_is_refused():
    """``n_train_total`` counts every training event, those in the cells included, as
    ``n_test_total`` does the test events: a smaller total made the RRI smaller without a
    word (3 of 2 training events "held" in the top quarter: an RRI of 0.5 for 1)."""
    from pipeline.errors import InputError

    args = (np.arange(4.0), np.ones(4), np.array([0.0, 0, 1, 3]), [0.25])
    with pytest.raises(InputError, match=r"n_train_total \(2.0\) is below the training events"):
        ranking_metrics(*args, train_counts=np.array([0.0, 0, 1, 3]), n_train_total=2)
    rows = ranking_metrics(*args, train_counts=np.array([0.0, 0, 1, 3]), n_train_total=4)
    assert rows[0]["rri"] == 1.0


def test_the_full_curve_refuses_a_test_total_below_the_events_in_the_cells():
    """``hit_rates`` (the curve) checks ``n_test_total`` as ``ranking_metrics`` does: a total
    below the events in the cells gave hit rates above 1 (2.0 at the whole area here)."""
    from pipeline.errors import InputError
    from pipeline.evaluate.metrics import hit_rates

    score, area, test = np.arange(4.0), np.ones(4), np.array([0.0, 0, 1, 3])
    with pytest.raises(InputError, match=r"n_test_total \(2\) is below the test events"):
        hit_rates(score, area, test, np.array([0.5, 1.0]), 2)
    np.testing.assert_allclose(hit_rates(score, area, test, np.array([0.25, 1.0]), 8), [3 / 8, 0.5])
