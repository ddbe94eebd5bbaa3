"""What a mutation pass over the runner's cells, features and score stages found untested.

Each test pins a promise of :mod:`pipeline.runner.stages` (``_cells``, ``_features``,
``_score``) that a small hand-made mutant broke with every other test still passing: a note's
count or condition, a factor of one value, a cache key's part.  Expected values come from the
inputs (hand counts on a tiny theatre) or from a cold run, never from the code under test.

One tiny run is shared by the module (about a second): 70 attacks off (102 E, 1 N), six of
them at an anchorage a land layer covers, naming 61 commodities, and five plug-in factors of
known values beside the seizure density.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import QUICK_TABLES, config_from

import pipeline
from pipeline.grid import points_to_cells

pytestmark = IGNORE_PENDING_DEPRECATION

BBOX = (100.0, -2.0, 106.0, 4.0)
RES = 5
LAND = (103.5, 0.5, 104.5, 1.5)  # one island (lon/lat bounds)
ANCHORAGE = (104.05, 1.05)  # on the island: its cell's centre is on land


def _half(ctx):
    """5.0 in every other cell, not covered in the others: one value where it covers."""
    n = len(ctx.cells)
    return np.where(np.arange(n) % 2 == 0, 5.0, np.nan)


def _zero(ctx):
    """0.0 in every cell."""
    return np.zeros(len(ctx.cells))


def _single(ctx):
    """Covers one cell only (3.0): one cell has one value by itself, and ranks no other."""
    out = np.full(len(ctx.cells), np.nan)
    out[0] = 3.0
    return out


def _none(ctx):
    """Covers no cell."""
    return np.full(len(ctx.cells), np.nan)


def _plugin(name: str, compute):
    return pipeline.factor(name=name, unit="n", description=name, register=False)(compute)


stg_half = _plugin("stg_half", _half)
stg_zero = _plugin("stg_zero", _zero)
stg_single = _plugin("stg_single", _single)
stg_none = _plugin("stg_none", _none)
stg_idle = _plugin("stg_idle", _zero)
stg_idle_none = _plugin("stg_idle_none", _none)

#: The score's weights: the seizure density and four plug-ins; two plug-ins of weight 0.
WEIGHTS = {
    "seizure_density": 2.0,
    "stg_half": 1.0,
    "stg_zero": 1.0,
    "stg_single": 1.0,
    "stg_none": 1.0,
    "stg_idle": 0.0,
    "stg_idle_none": 0.0,
}


def _attacks(tmp_path) -> pd.DataFrame:
    """64 attacks at sea around (102, 1) naming 60 commodities, 6 at the anchorage."""
    rng = np.random.default_rng(11)
    lon = np.r_[102.0 + rng.normal(0, 0.2, 64), np.full(6, ANCHORAGE[0])]
    lat = np.r_[1.0 + rng.normal(0, 0.2, 64), np.full(6, ANCHORAGE[1])]
    commodity = [f"goods {i % 60:02d}" for i in range(64)] + ["cocaine"] * 6
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(70) * 5 % 360, unit="D")
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "commodity": commodity,
            "quantity": 1.0,
            "unit": "kg",
        }
    )
    frame.to_csv(tmp_path / "seizures.csv", index=False)
    return frame


def _land(tmp_path) -> None:
    import geopandas as gpd
    import shapely

    land = gpd.GeoDataFrame({"name": ["island"]}, geometry=[shapely.box(*LAND)], crs="EPSG:4326")
    land.to_file(tmp_path / "land.geojson", driver="GeoJSON")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(the attacks written, the run's result): one run the module's tests read."""
    tmp_path = tmp_path_factory.mktemp("stages")
    frame = _attacks(tmp_path)
    _land(tmp_path)
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": list(BBOX), "resolution": RES},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "seizures.csv")}],
            "context": [{"path": str(tmp_path / "land.geojson"), "kind": "land"}],
        },
        "factors": {
            "plugins": [f"test_mutants_stages_found:{n}" for n in WEIGHTS if n.startswith("stg_")]
        },
        "score": {"factors": {k: {"weight": w} for k, w in WEIGHTS.items()}},
        # narrow for the cells, but no tracks to smooth: no note of it
        "transit": {"smooth_events_km": 5.0},
        **QUICK_TABLES,
    }
    cfg = config_from(raw, tmp_path)
    return frame, pipeline.run_pipeline(cfg)


def _notes(result, *words: str) -> list[str]:
    return [n for n in result.manifest.get("notes", []) if all(w in n for w in words)]


def test_the_seizure_cells_a_land_layer_covers_are_counted_as_cells(tiny):
    """Six attacks at one anchorage on the island lie in one cell: the note says 1 cell
    holding 6 seizures (it said 6 cells when it counted the seizures twice)."""
    frame, res = tiny
    at = frame["lon"].eq(ANCHORAGE[0]).to_numpy()
    held = points_to_cells(frame["lon"].to_numpy()[at], frame["lat"].to_numpy()[at], RES)
    n_cells, n_seizures = len(np.unique(held)), int(at.sum())
    assert (n_cells, n_seizures) == (1, 6)
    said = _notes(res, "on the land layer are scored")
    assert len(said) == 1, res.manifest["notes"]
    assert said[0].startswith(
        f"{n_cells} cell(s) whose centre lies on the land layer are scored: "
        f"they hold {n_seizures} seizure(s) of the area"
    )
    assert int(np.isin(res.scores["cell"].to_numpy(dtype="uint64"), held).sum()) == n_cells


def test_a_weighted_factor_covering_no_cell_is_named_with_the_cells_scored(tiny):
    """Only the factor covering none of the cells is named, with the count of cells scored;
    one covering some cells (every other one, or one) is not, nor one of weight 0 (its
    weight goes nowhere)."""
    _, res = tiny
    said = _notes(res, "cover none of the")
    assert len(said) == 1, res.manifest["notes"]
    assert f"'stg_none' (weight 1) cover none of the {len(res.scores)} cells scored" in said[0]
    others = ("stg_half", "stg_single", "stg_zero", "stg_idle", "stg_idle_none", "seizure_density")
    for name in others:
        assert f"'{name}'" not in said[0]
    assert res.scores["stg_half__covered"].sum() == (len(res.scores) + 1) // 2


def test_a_factor_of_one_value_is_named_where_it_covers_two_cells_or_more(tiny):
    """``stg_half`` is 5.0 in every cell it covers (NaN in the others) and ``stg_zero`` 0.0
    in every cell: each is named with its count and the points it gives (0 for a value of
    0).  One covering a single cell ranks nothing to rank, and one of weight 0 gives no
    points: neither is named."""
    _, res = tiny
    n = len(res.scores)
    total = sum(w for w in WEIGHTS.values() if w > 0)
    half = _notes(res, "'stg_half'", "has one value")
    assert len(half) == 1, res.manifest["notes"]
    assert half[0].startswith(
        f"score factor 'stg_half' (weight 1) has one value, 5.0, in all {(n + 1) // 2} cells "
        f"it covers: it gives each of them the same {100.0 / total:.1f} points"
    )
    zero = _notes(res, "'stg_zero'", "has one value")
    assert len(zero) == 1, res.manifest["notes"]
    assert f"one value, 0.0, in all {n} cells it covers" in zero[0]
    assert "the same 0.0 points" in zero[0]
    assert not _notes(res, "'stg_single'", "has one value")
    assert not _notes(res, "'stg_idle'") and not _notes(res, "'stg_idle_none'")


def test_commodities_beyond_the_columns_are_said_with_their_distinct_count(tiny):
    """61 commodities (60 at sea, cocaine at the anchorage) exceed the count columns: the
    note names 61, the distinct names, not the 70 records."""
    from pipeline.score import MAX_COMMODITY_COLUMNS

    frame, res = tiny
    distinct = frame["commodity"].nunique()
    assert distinct == 61 > MAX_COMMODITY_COLUMNS > 0 and len(frame) == 70
    said = _notes(res, "distinct commodities")
    assert len(said) == 1, res.manifest["notes"]
    assert said[0].startswith(f"seizures name {distinct} distinct commodities")


def _ais(tmp_path, lons: list[float]) -> None:
    """Write ``ais.csv``: one vessel per longitude, heading north from 1 N at 6 kn for 3 h."""
    mins = np.arange(0, 181, 10)
    t = (pd.Timestamp("2024-12-30 10:00") + pd.to_timedelta(mins, "min")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    pd.concat(
        [
            pd.DataFrame(
                {
                    "Time": t,
                    "MMSI": 235000001 + i,
                    "Latitude_degrees": 1.0 + 0.1 * mins / 60,
                    "Longitude_degrees": lon,
                    "SOG_knots": 6.0,
                }
            )
            for i, lon in enumerate(lons)
        ]
    ).to_csv(tmp_path / "ais.csv", index=False)


@pytest.mark.parametrize("grown", ["seizures", "tracks"])
def test_an_area_from_the_data_s_extent_follows_the_night_s_inputs(tmp_path, grown):
    """Without ``area.bbox`` the cells are those of the data's extent (the seizures' and the
    tracks'): a night whose seizures or tracks reach further east has more cells, as a cold
    run of its inputs does; the cells stage kept last night's extent when its key lacked
    the input digests."""
    rng = np.random.default_rng(5)
    n = 30
    days = pd.Timestamp("2024-06-01") + pd.to_timedelta(np.arange(n) * 7, unit="D")
    seizures = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lon": np.round(102.0 + rng.normal(0, 0.1, n), 5),
            "lat": np.round(1.0 + rng.normal(0, 0.1, n), 5),
        }
    )

    def night(out: str, east: bool):
        d = tmp_path / out
        d.mkdir(exist_ok=True)
        s = seizures.copy()
        if east and grown == "seizures":
            s.loc[len(s)] = {"date": "2024-12-20", "lon": 103.5, "lat": 1.0}
        s.to_csv(d / "seizures.csv", index=False)
        _ais(d, [102.0, 103.5] if east and grown == "tracks" else [102.0])
        raw = {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out" / out.split("-")[0])},
            # every cell of the extent is scored: a support factor adds its own cells to a
            # stale universe, the extent's other cells it does not
            "area": {"resolution": RES, "margin_km": 20.0, "cells": "all"},
            "inputs": {
                # the night's files are the same paths, rewritten (as a feed's are)
                "seizures": [{"path": str(tmp_path / "in" / "seizures.csv")}],
                "tracks": [{"path": str(tmp_path / "in" / "ais.csv")}],
            },
            "score": {"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
            **QUICK_TABLES,
        }
        (tmp_path / "in").mkdir(exist_ok=True)
        for f in ("seizures.csv", "ais.csv"):
            (tmp_path / "in" / f).write_bytes((d / f).read_bytes())
        return config_from(raw, d)

    first = pipeline.run_pipeline(night("night-1", east=False))
    second = pipeline.run_pipeline(night("night-2", east=True))
    cold = pipeline.run_pipeline(night("cold-2", east=True), cold=True)
    cells = {
        k: set(r.scores["cell"].tolist()) for k, r in [("1", first), ("2", second), ("c", cold)]
    }
    assert len(cells["c"]) > len(cells["1"])  # the premise: the night's extent is wider
    assert cells["2"] == cells["c"]
    pd.testing.assert_frame_equal(second.scores, cold.scores)


def _vessel(mmsi: int, lon: float, lat: float, n: int, every_min: float) -> pd.DataFrame:
    """``n`` pings ``every_min`` minutes apart drifting east from (lon, lat), 30 m a ping."""
    t = pd.Timestamp("2024-12-30 10:00") + pd.to_timedelta(np.arange(n) * every_min, "min")
    return pd.DataFrame(
        {
            "Time": t.strftime("%Y-%m-%d %H:%M:%S"),
            "MMSI": mmsi,
            "Latitude_degrees": lat,
            "Longitude_degrees": np.round(lon + 3e-4 * np.arange(n), 5),
            "SOG_knots": 1.0,
        }
    )


@pytest.mark.parametrize("on_land", [40, 41], ids=["half", "one-more"])
def test_a_theatre_is_refused_only_when_most_track_positions_lie_on_land(tmp_path, on_land):
    """With a land layer and ``area.exclude_land`` unset, the run is refused when the tracks
    *mostly* lie on the land layer: a truck on the island and a ship at sea reporting as
    often (half on land) is no theatre on land; one position more on land is, and the
    refusal counts the positions.  The truck's hours, in cells the run does not score, are
    said as such (not the ship's, in the cells it scores)."""
    from pipeline.errors import ConfigError

    _attacks(tmp_path)
    _land(tmp_path)
    pd.concat(
        [
            _vessel(235000001, 103.9, 1.0, on_land, every_min=6.0),  # 3.9 h over 40 pings
            _vessel(235000002, 102.0, 1.0, 40, every_min=2.0),  # 1.3 h
        ]
    ).to_csv(tmp_path / "ais.csv", index=False)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "seizures.csv")}],
                "tracks": [{"path": str(tmp_path / "ais.csv")}],
                "context": [{"path": str(tmp_path / "land.geojson"), "kind": "land"}],
            },
            "score": {"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
            **QUICK_TABLES,
        },
        tmp_path,
    )
    if on_land == 40:
        res = pipeline.run_pipeline(cfg)
        assert res.manifest["counts"]["pings_used"] == 80
        said = _notes(res, "vessel-hours lie in")
        assert len(said) == 1 and said[0].startswith("3.9 of the tracks' 5.2 vessel-hours lie in")
        return
    want = rf"^{on_land} of the area's {on_land + 40} track positions \(a sample\) lie on the"
    with pytest.raises(ConfigError, match=want):
        pipeline.run_pipeline(cfg)


def test_the_land_check_s_sample_is_chosen_by_the_pings_values_not_their_order(monkeypatch):
    """The sample takes a ping by a hash of its position and time, one k-th of them, k the
    pings over ``_PING_SAMPLE``: the rows in another order (as a spilled table's buckets
    hold them) give the same pings, and fewer than twice ``_PING_SAMPLE`` pings are all
    looked at (k = 1)."""
    from pipeline.runner.stages import _cells

    monkeypatch.setattr(_cells, "_PING_SAMPLE", 1_000)
    rng = np.random.default_rng(2)
    n = 4_010
    pings = pd.DataFrame(
        {
            "lon": np.round(rng.uniform(100, 106, n), 5),
            "lat": np.round(rng.uniform(-2, 4, n), 5),
            "time": pd.Timestamp("2024-12-30", tz="UTC") + pd.to_timedelta(np.arange(n), "min"),
        }
    )

    def key(sample: pd.DataFrame) -> list[tuple[float, float]]:
        return sorted(zip(sample["lon"], sample["lat"], strict=True))

    whole = _cells._ping_sample(pings)
    assert 0.5 * n / 4 < len(whole) < 1.5 * n / 4  # k = 4
    for order in (np.arange(n)[::-1], rng.permutation(n), np.r_[np.arange(1, n), 0]):
        assert key(_cells._ping_sample(pings.iloc[order])) == key(whole)
    few = pings.iloc[:1_999]
    assert key(_cells._ping_sample(few)) == key(few)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A fitted run of the tiny theatre's attacks (the seizure density its one factor)."""
    tmp_path = tmp_path_factory.mktemp("fitted")
    _attacks(tmp_path)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            # every cell of the area: most are observed by no factor
            "area": {"bbox": list(BBOX), "resolution": RES, "cells": "all"},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "score": {
                "model": "fitted",
                "fitted": {"min_events": 5},
                "factors": {"seizure_density": {"weight": 1}},
            },
            **QUICK_TABLES,
            # the classes as the score stage made them (quantile classes are made again)
            "render": {**QUICK_TABLES["render"], "classes": "fixed"},
        },
        tmp_path,
    )
    return cfg, pipeline.run_pipeline(cfg)


def test_a_fitted_run_publishes_the_class_of_its_risk(fitted):
    """The fitted risk is the area percentile of the expected events per km²; with
    ``render.classes: fixed`` its class is the class of that percentile (shown at 0.1) under
    ``score.class_breaks``, as the weighted score's is (classed from the rate itself, every
    cell fell in the lowest class)."""
    cfg, res = fitted
    s = res.scores
    assert "expected_per_km2" in s.columns  # the model was fitted, not the blend
    seen = s["risk"].notna()
    breaks, labels = list(cfg.score.class_breaks), list(cfg.score.class_labels)
    classes = s.loc[seen, "risk_class"].astype(str)
    assert s.loc[seen, "risk"].round(1).max() >= breaks[1]  # some cell above the lowest class
    for label, lo, hi in zip(labels, breaks[:-1], breaks[1:], strict=True):
        risk = s.loc[seen, "risk"][classes == label].round(1)
        assert ((risk >= lo) & (risk <= hi)).all(), (label, risk.describe())


def test_density_auto_s_choice_follows_each_input_of_its_back_test_night_after_night(tmp_path):
    """``density: auto`` chooses by a rolling back-test of the seizures over the cells a map
    can show, under the ``evaluate`` options: a night whose back-test options, then whose
    seizures changed states the choice a cold run of its config states; the stage's cache
    served last night's when its key lacked that part."""
    frame = _attacks(tmp_path)
    base = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": list(BBOX), "resolution": RES},
        "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "density": {"bandwidth_km": "auto", "auto_bandwidths_km": [10.0, 40.0]},
        **QUICK_TABLES,
        "evaluate": {
            "enabled": False,  # the choice's own back-test runs under these options
            "train_days": 180.0,
            "horizon_days": 30.0,
            "origins": 3,
            "min_train_events": 5,
            "min_test_events": 1,
        },
    }

    def run(name: str, cold: bool = False, **sections):
        raw = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
        for k, v in sections.items():
            raw[k] = {**raw.get(k, {}), **v}
        if cold:
            raw["run"] = {**raw["run"], "out_dir": str(tmp_path / "cold" / name)}
        res = pipeline.run_pipeline(config_from(raw, tmp_path / name), cold=cold)
        return res.manifest["features"]["density_parameters"]

    first = run("first")
    assert first is not None and len(first["table"]) == 2
    later = {"evaluate": {**base["evaluate"], "horizon_days": 45.0}}
    nights = [("evaluate", later), ("seizures", later)]
    seen = [first]
    for name, sections in nights:
        if name == "seizures":
            frame.iloc[::3].to_csv(tmp_path / "seizures.csv", index=False)  # a third of them
        night = run(name, **sections)
        assert night == run(name, cold=True, **sections), name
        assert night != seen[-1], name  # the change moved the choice's back-test
        seen.append(night)


def test_a_fitted_run_s_unobserved_cells_have_no_class_and_no_top_factor(fitted):
    """A cell no factor observes has no risk, no class and no top factor, with the classes
    as the score stage made them (``render.classes: fixed``); the top factor of a cell is
    one of the model's features, never its area term (an exposure, not a factor)."""
    _, res = fitted
    s = res.scores
    unseen = ~s["observed"].to_numpy(dtype=bool)
    assert 0 < unseen.sum() < len(s)
    for col in ("risk", "risk_class", "top_factor"):
        assert s.loc[unseen, col].isna().all(), col
    assert s.loc[~unseen, "risk_class"].notna().all()
    tops = set(s["top_factor"].dropna())
    assert tops and "area" not in tops, tops


def test_only_the_kernels_a_run_uses_are_said_too_narrow(tiny):
    """The tiny run has no tracks: its ``transit.smooth_events_km`` (5 km, under two cell
    edges) smooths nothing and is not said to be too narrow."""
    _, res = tiny
    assert not _notes(res, "transit.smooth_events_km"), res.manifest["notes"]


def test_an_area_far_smaller_than_its_cells_is_said(tmp_path):
    """A bbox of 0.2 degrees at resolution 2 lies in cells of tens of thousands of km²:
    the run says how many times the area's own size its cells cover."""
    _attacks(tmp_path)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [101.9, 0.9, 102.1, 1.1], "resolution": 2},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "score": {"factors": {"seizure_density": {"weight": 1}}},
            "density": {"bandwidth_km": 200.0},
            **QUICK_TABLES,
        },
        tmp_path,
    )
    res = pipeline.run_pipeline(cfg)
    said = _notes(res, "at area.resolution 2 cover", "times the area's own")
    assert len(said) == 1, res.manifest["notes"]


def test_a_cell_holding_only_a_long_decayed_seizure_is_observed(tmp_path):
    """A seizure of 2005, alone in its corner of the area, weighs 2^-20 of a new one (a
    one-year half-life): its cell's density is far below the support cut of the busiest
    cell, yet the cell holds a seizure, an observation: it is scored, with a risk."""
    frame = _attacks(tmp_path)
    old = {"date": "2005-01-01", "lon": 105.5, "lat": 3.5, "commodity": "cocaine"}
    pd.concat([frame, pd.DataFrame([{**old, "quantity": 1.0, "unit": "kg"}])]).to_csv(
        tmp_path / "seizures.csv", index=False
    )
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "score": {"factors": {"seizure_density": {"weight": 1}}},
            "density": {"bandwidth_km": 20.0, "half_life_days": 365.0},
            **QUICK_TABLES,
        },
        tmp_path,
    )
    s = pipeline.run_pipeline(cfg).scores.set_index("cell")
    cell = int(points_to_cells([old["lon"]], [old["lat"]], RES)[0])
    assert s.loc[cell, "n_seizures"] == 1
    assert bool(s.loc[cell, "observed"])
    assert np.isfinite(s.loc[cell, "risk"]) and s.loc[cell, "risk_class"] is not None


def test_an_interval_of_zero_width_is_not_said_to_be_not_computed(tmp_path):
    """A score without the seizure density has nothing to resample: each observed cell's
    interval is its risk (class stability 1), the reason stated in the summary.  Cells with
    no observation have no interval, which does not make the run's note say that no
    interval was computed."""
    _attacks(tmp_path)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES, "cells": "all"},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "factors": {"plugins": ["test_mutants_stages_found:stg_half"]},
            "score": {"factors": {"seizure_density": {"weight": 0}, "stg_half": {"weight": 1}}},
            **QUICK_TABLES,
            "hotspots": {"enabled": True, "uncertainty": {"n_resamples": 19}},
        },
        tmp_path,
    )
    res = pipeline.run_pipeline(cfg)
    s = res.scores
    seen = s["risk"].notna()
    assert 0 < seen.sum() < len(s)
    assert (s.loc[seen, "risk_lower"] == s.loc[seen, "risk"]).all()
    assert (s.loc[seen, "risk_class_stability"] == 1.0).all()
    assert s.loc[~seen, ["risk_lower", "risk_upper", "risk_class_stability"]].isna().all().all()
    assert not _notes(res, "not computed"), res.manifest["notes"]
    summary = res.manifest["hotspots"]["uncertainty"]
    assert summary["method"] == "none" and "does not use the seizure density" in summary["reason"]


def test_a_month_whose_tracks_begin_on_its_first_morning_is_recomputed(small_demo, tmp_path):
    """Tracks whose first fix is 06:00 on 1 May reach back to May's first day: May is
    recomputed from its own positions (no present data), as the timeline stage promises;
    April, before every position, has them missing (not today's values)."""
    from conftest import small_config, tracks_from_may

    times = pd.to_datetime(
        pd.read_csv(tracks_from_may(small_demo, tmp_path / "ais_may.csv"))["timestamp"], utc=True
    )
    assert times.min() == pd.Timestamp("2026-05-01 06:00", tz="UTC")
    assert times.max() > pd.Timestamp("2026-06-01", tz="UTC")
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={"tracks": [{"path": str(tmp_path / "ais_may.csv")}], "rasters": []},
        hotspots={"enabled": False},
        evaluate={"enabled": False},
        score={"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
    )
    res = pipeline.run_pipeline(cfg)
    tl = pd.read_parquet(res.out_dir / "timeline.parquet")
    per = tl.groupby("period", observed=True)["present_data_factors"].first()
    assert per["2026-04"] == ""  # before every position: missing, not today's
    missing = tl.groupby("period", observed=True)["missing_factors"].first()
    assert missing["2026-04"] == "vessel_hours"
    assert per["2026-05"] == "" and missing["2026-05"] == ""
    assert tl.loc[tl.period == "2026-05", "present_data"].eq(False).all()


def test_seizures_along_one_parallel_are_many_positions_for_the_bootstrap(tmp_path):
    """Seizures strung along 1 N (one latitude, many longitudes) lie at many positions:
    the bootstrap resamples them and publishes an interval, not "one position"."""
    frame = _attacks(tmp_path).assign(lat=1.0)
    frame.to_csv(tmp_path / "seizures.csv", index=False)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "score": {"factors": {"seizure_density": {"weight": 1}}},
            **QUICK_TABLES,
            "hotspots": {"enabled": True, "uncertainty": {"n_resamples": 19}},
        },
        tmp_path,
    )
    res = pipeline.run_pipeline(cfg)
    summary = res.manifest["hotspots"]["uncertainty"]
    assert summary["method"].startswith("bootstrap"), summary
    assert res.scores["risk_lower"].notna().any()


def test_a_cell_unobserved_today_has_no_risk_in_any_month_of_the_slider(tmp_path):
    """The map shows a cell with no observation as "no data", and the slider shows it so in
    every month: the timeline gives it no risk, never one from its factors' history."""
    _attacks(tmp_path)
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES, "cells": "all"},
            "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
            "score": {"factors": {"seizure_density": {"weight": 1}}},
            **QUICK_TABLES,
            "timeline": {"months": 2},
        },
        tmp_path,
    )
    res = pipeline.run_pipeline(cfg)
    unseen = set(res.scores.loc[~res.scores["observed"].astype(bool), "cell"].tolist())
    assert unseen
    tl = pd.read_parquet(res.out_dir / "timeline.parquet")
    assert tl["period"].nunique() == 2
    months = tl[tl["cell"].isin(unseen)]
    assert len(months) and months["risk"].isna().all()
    assert tl.loc[~tl["cell"].isin(unseen), "risk"].notna().any()
