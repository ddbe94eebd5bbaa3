import json

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.evaluate import (
    BacktestOptions,
    Forecast,
    backtest_origins,
    capture_curve,
    cell_universe,
    json_safe,
    plot_evaluation,
    ranking_metrics,
    reliability,
    rolling_back_test,
)
from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells

# ----------------------------------------------------------------------------- metrics


def test_ranking_metrics_perfect_and_reverse():
    area = np.ones(100)
    counts = np.zeros(100)
    counts[:5] = 10  # all events in 5 % of the area
    perfect = ranking_metrics(-np.arange(100.0), area, counts, [0.05, 0.5])
    assert perfect[0] == {
        "area_fraction": 0.05,
        "hit_rate": 1.0,
        "pai": 20.0,
        "pei": 1.0,
        "rri": None,
    }
    reverse = ranking_metrics(np.arange(100.0), area, counts, [0.05])
    assert reverse[0]["hit_rate"] == 0.0 and reverse[0]["pei"] == 0.0


def test_ranking_metrics_by_hand():
    # 5 cells of unequal area; scores rank cells 0 > 1 > 2 = 3 > 4.
    score = np.array([5.0, 4.0, 1.0, 1.0, 0.0])
    area = np.array([1.0, 1.0, 2.0, 2.0, 4.0])  # total 10
    test = np.array([2.0, 0.0, 1.0, 3.0, 0.0])  # 6 in cells, 8 in total (2 outside)
    train = np.array([4.0, 2.0, 0.0, 2.0, 2.0])  # 10
    rows = ranking_metrics(
        score,
        area,
        test,
        [0.1, 0.2, 0.4],
        n_test_total=8,
        train_counts=train,
        n_train_total=10,
    )
    # 10 % = cell 0 (2 events) -> 2/8; 20 % = cells 0, 1 -> 2/8;
    # 40 % = cells 0, 1 and half the area of the tied group {2, 3} -> 2 + 0.5 * 4 = 4 -> 4/8.
    assert [r["hit_rate"] for r in rows] == [0.25, 0.25, 0.5]
    assert [r["pai"] for r in rows] == [2.5, 1.25, 1.25]
    # Best ranking by test events per km²: cell 0 (2/km²), cell 3 (1.5/km²), cell 2 (0.5/km²).
    # Best capture: 10 % -> 2, 20 % -> 2 + 1.5 = 3.5, 40 % -> 2 + 3 + 0.5 = 5.5.
    assert rows[0]["pei"] == 1.0
    assert rows[1]["pei"] == pytest.approx(2 / 3.5, abs=1e-6)
    assert rows[2]["pei"] == pytest.approx(4 / 5.5, abs=1e-6)
    # RRI = (test share) / (train share): train captured 4, 6, 6 + 0.5 * 2 = 7.
    assert rows[0]["rri"] == pytest.approx(0.25 / 0.4)
    assert rows[1]["rri"] == pytest.approx(0.25 / 0.6)
    assert rows[2]["rri"] == pytest.approx(0.5 / 0.7)


def test_constant_score_is_exactly_uniform_whatever_the_order():
    rng = np.random.default_rng(0)
    area = rng.uniform(0.5, 2.0, 300)
    counts = rng.poisson(0.3, 300).astype(float)
    fr = [0.01, 0.05, 0.1, 0.5]
    rows = ranking_metrics(np.ones(300), area, counts, fr)
    assert [r["hit_rate"] for r in rows] == pytest.approx(fr)
    assert [r["pai"] for r in rows] == pytest.approx([1.0] * 4)
    perm = rng.permutation(300)
    again = ranking_metrics(np.ones(300), area[perm], counts[perm], fr)
    assert again == rows


def test_nan_scores_rank_last_and_curve_starts_at_zero():
    a, c = capture_curve(np.array([np.nan, 1.0, 2.0]), np.ones(3), np.array([5.0, 1.0, 2.0]))
    assert a.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert c.tolist() == [0, 2, 3, 8]


def test_metrics_reject_bad_input():
    with pytest.raises(InputError, match="area_fractions"):
        ranking_metrics(np.ones(3), np.ones(3), np.ones(3), [0.0])
    with pytest.raises(InputError, match="one value per cell"):
        ranking_metrics(np.ones(3), np.ones(2), np.ones(3), [0.1])
    with pytest.raises(InputError, match="n_test_total"):
        ranking_metrics(np.ones(3), np.ones(3), np.ones(3), [0.1], n_test_total=1)


def test_reliability_matches_a_hand_computation():
    e = np.array([0.1, 0.2, 0.3, 0.4])
    o = np.array([0.0, 1.0, 0.0, 2.0])
    r = reliability([e], [o], [1 - np.exp(-e)], n_bins=2)
    assert r["counts"]["mean_expected"] == pytest.approx([0.15, 0.35])
    assert r["counts"]["mean_observed"] == pytest.approx([0.5, 1.0])
    assert r["totals"]["observed_over_expected"] == pytest.approx(3 / 1.0)
    p = 1 - np.exp(-e)
    assert r["p_at_least_one"]["brier"] == pytest.approx(np.mean((p - (o > 0)) ** 2))


# ----------------------------------------------------------------------------- back-test


def _events(rng, n, lon, lat, start, days, sd=0.1):
    t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    return pd.DataFrame({"time": t, "lon": rng.normal(lon, sd, n), "lat": rng.normal(lat, sd, n)})


@pytest.fixture(scope="module")
def hotspot_events():
    rng = np.random.default_rng(3)
    return pd.concat(
        [
            _events(rng, 900, 0.0, 40.0, "2022-01-01", 1460),
            _events(rng, 150, 2.0, 41.0, "2022-01-01", 1460),
        ],
        ignore_index=True,
    )


def test_origins_are_placed_back_from_the_end_and_short_histories_skipped():
    times = pd.Series(pd.to_datetime(["2020-01-01", "2023-12-31"], utc=True))
    opts = BacktestOptions(origins=6, horizon_days=100, train_days=730)
    origins, skipped = backtest_origins(times, opts)
    end = pd.Timestamp("2024-01-01", tz="UTC")
    assert origins[-1] == end - pd.Timedelta(days=100)
    assert all(b - a == pd.Timedelta(days=100) for a, b in zip(origins, origins[1:], strict=False))
    # The earliest origins would need history before 2020-01-01.
    assert len(origins) + len(skipped) == 6
    assert all(o - pd.Timedelta(days=730) >= times.min() for o in origins)


def test_rolling_back_test_scores_methods_and_baselines(hotspot_events):
    cells = region_to_cells((-1, 39, 3, 42), 5)

    def perfect_memory(train, c, origin):
        return Forecast(
            score=np.ones(len(c)),
            expected=np.full(len(c), 0.01),
            p_any=np.full(len(c), 0.01),
            info={"note": "constant"},
        )

    opts = BacktestOptions(origins=4, horizon_days=90, train_days=365)
    r = rolling_back_test(hotspot_events, cells, methods={"flat": perfect_memory}, options=opts)
    text = json.dumps(r, allow_nan=False)  # no NaN or inf anywhere
    assert "NaN" not in text
    assert len(r["origins"]) == 4
    assert set(r["methods"]) == {"flat", "uniform", "all_prior_counts", "recent_counts", "kde"}
    assert r["notes"] and "density" in r["notes"][0]
    kde = {a["area_fraction"]: a for a in r["summary"]["kde"]["at"]}
    uni = {a["area_fraction"]: a for a in r["summary"]["uniform"]["at"]}
    assert kde[0.05]["pai"]["mean"] > 5
    assert uni[0.05]["pai"]["mean"] == pytest.approx(1.0, abs=1e-6)
    assert uni[0.05]["hit_rate"]["mean"] == pytest.approx(0.05, abs=1e-6)
    w = r["wins"]["kde"]["uniform"][2]
    assert w["wins"] + w["ties"] + w["losses"] == 4 and w["wins"] == 4
    assert r["wins"]["flat"]["uniform"][0]["ties"] == 4
    assert len(r["summary"]["kde"]["at"][0]["hit_rate"]["values"]) == 4
    assert len(r["summary"]["kde"]["curve"]["mean"]) == len(r["curve_area_fractions"])
    assert r["calibration"]["flat"]["counts"]["cells"]
    assert r["origins"][0]["methods"]["flat"]["info"] == {"note": "constant"}


def test_no_leakage_a_test_event_in_a_new_cell_is_a_reported_miss():
    rng = np.random.default_rng(1)
    train = _events(rng, 200, 10.0, 50.0, "2023-01-01", 365, sd=0.05)
    far = pd.DataFrame(
        {"time": pd.to_datetime(["2024-01-20"], utc=True), "lon": [14.0], "lat": [52.0]}
    )
    events = pd.concat([train, far], ignore_index=True)
    opts = BacktestOptions(
        origins=1,
        horizon_days=30,
        train_days=365,
        end=pd.Timestamp("2024-01-31").date(),
        require_full_history=False,
    )
    r = rolling_back_test(events, None, resolution=6, options=opts)
    o = r["origins"][0]
    assert o["n_test"] == 1 and o["n_test_outside"] == 1 and o["n_test_in_universe"] == 0
    universe = cell_universe(train, 6, opts.universe_km)
    assert points_to_cells([14.0], [52.0], 6)[0] not in universe
    assert o["n_cells"] == universe.size
    # No method can capture it: every hit rate is 0, PEI undefined (no capturable event).
    for name in r["methods"]:
        assert r["summary"][name]["at"][-1]["hit_rate"]["mean"] == 0.0
        assert r["origins"][0]["methods"][name]["metrics"][0]["pei"] is None


def test_universe_is_the_support_of_earlier_events():
    rng = np.random.default_rng(2)
    ev = _events(rng, 50, 5.0, 45.0, "2023-01-01", 100, sd=0.2)
    cells = cell_universe(ev, 6, 25.0)
    lat, lon = cells_to_latlng(cells)
    from pipeline.sphere import haversine_km

    d = haversine_km(lon[:, None], lat[:, None], ev["lon"].to_numpy(), ev["lat"].to_numpy())
    own = np.isin(cells, points_to_cells(ev["lon"], ev["lat"], 6))
    assert ((d.min(axis=1) < 25.0) | own).all()
    # Every cell whose centre is within 25 km is there (checked on a wider ring of cells).
    from pipeline.grid import grid_disk_cells

    ring = grid_disk_cells(cells, 2)
    rl, rlo = cells_to_latlng(ring)
    dr = haversine_km(rlo[:, None], rl[:, None], ev["lon"].to_numpy(), ev["lat"].to_numpy())
    assert np.isin(ring[dr.min(axis=1) < 25.0], cells).all()


def test_back_test_reports_skips_and_wrong_method_output(hotspot_events):
    opts = BacktestOptions(origins=2, horizon_days=30, train_days=10_000)
    r = rolling_back_test(hotspot_events, None, resolution=5, options=opts)
    assert "skipped" in r and "before the first event" in r["skipped"]
    json.dumps(r, allow_nan=False)
    with pytest.raises(InputError, match="returned 3 scores"):
        rolling_back_test(
            hotspot_events,
            None,
            resolution=5,
            methods={"bad": lambda t, c, o: np.ones(3)},
            options=BacktestOptions(origins=1, horizon_days=30, train_days=365),
        )
    with pytest.raises(InputError, match="clash"):
        rolling_back_test(hotspot_events, None, resolution=5, methods={"kde": lambda *a: 0})
    with pytest.raises(InputError, match="resolution"):
        rolling_back_test(hotspot_events, None)


def test_keyword_overrides_are_validated_options(hotspot_events):
    from pipeline.errors import ConfigError

    r = rolling_back_test(
        hotspot_events, None, resolution=5, origins=2, horizon_days=60, train_days=365
    )
    assert r["options"]["origins"] == 2 and len(r["origins"]) == 2
    assert r["options"]["horizon_days"] == 60
    with pytest.raises(ConfigError, match="horizon_dayz"):
        rolling_back_test(hotspot_events, None, resolution=5, horizon_dayz=3)


def test_events_with_bad_coordinates_are_one_clear_error():
    ev = pd.DataFrame({"time": ["2024-01-01"], "lon": [200.0], "lat": [0.0]})
    with pytest.raises(InputError, match="row 0"):
        rolling_back_test(ev, None, resolution=5)


def test_json_safe_replaces_non_finite_values():
    out = json_safe({"a": np.nan, "b": [np.inf, np.float32(1.5)], "c": np.int64(3)})
    assert out == {"a": None, "b": [None, 1.5], "c": 3}


def test_plot_evaluation_writes_a_png(tmp_path, hotspot_events):
    cells = region_to_cells((-1, 39, 3, 42), 5)

    def model(train, c, origin):
        from pipeline.evaluate import events_to_counts

        n = events_to_counts(points_to_cells(train["lon"], train["lat"], 5), c)
        mu = (n + 0.01) * 90 / 365
        return Forecast(score=mu / cell_area_km2(c), expected=mu, p_any=1 - np.exp(-mu))

    r = rolling_back_test(
        hotspot_events,
        cells,
        methods={"model": model},
        options=BacktestOptions(origins=3, horizon_days=90, train_days=365),
    )
    path = tmp_path / "evaluation.png"
    plot_evaluation(r, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plot_evaluation({"skipped": "too few"}, tmp_path / "skip.png")
    assert (tmp_path / "skip.png").stat().st_size > 0


def test_backtest_options_reject_unknown_keys_and_bad_windows():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="origin_count"):
        BacktestOptions(origin_count=3)
    with pytest.raises(ValidationError, match="train_days"):
        BacktestOptions(train_days=30, horizon_days=90)
    with pytest.raises(ValidationError, match="area_fractions"):
        BacktestOptions(area_fractions=(0.0,))
