"""Tests that a mutation review found missing: each fails on a small, plausible bug.

Each test checks one computation against an independent reference (a hand computation on a
tiny case, scipy) that the suite did not pin: a hand-made bug at that place (a swapped
lon/lat, a sign, ``<`` for ``<=``, a dropped weight) left every other test passing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from _stats import QUARTERLY_COUNTS
from scipy import stats

from pipeline import schema
from pipeline.density import kernel_density, seizure_weights, select_bandwidth
from pipeline.grid import cells_to_latlng, points_to_cells
from pipeline.hotspots import significance_bins
from pipeline.model import FittedModel, FittedOptions, build_lagged_features
from pipeline.score import seizures_within
from pipeline.sphere import EARTH_RADIUS_KM, haversine_km

KM_PER_DEG = np.radians(1.0) * EARTH_RADIUS_KM


def test_decay_from_ages_count_back_from_the_anchor():
    """``decay_from``: weight ``0.5 ** ((decay_from - t) / half-life)``, 0 after ``as_of``."""
    times = pd.to_datetime(["2020-03-01", "2020-06-01", "2020-12-01"], utc=True)
    as_of = pd.Timestamp("2020-09-01", tz="UTC")
    anchor = pd.Timestamp("2020-01-01", tz="UTC")
    hl = 30.0
    w = seizure_weights(
        pd.DataFrame({schema.TIME: times}), as_of=as_of, half_life_days=hl, decay_from=anchor
    )
    # the events are 60 and 152 days after the anchor: weights 2**(60/30) and 2**(152/30)
    expected = np.array([0.5 ** (-60.0 / hl), 0.5 ** (-152.0 / hl), 0.0])  # December: after as_of
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    # and the docstring's identity: the weights from as_of are these times a common factor
    plain = seizure_weights(pd.DataFrame({schema.TIME: times}), as_of=as_of, half_life_days=hl)
    np.testing.assert_allclose(plain, w * 0.5 ** (244.0 / hl), rtol=1e-12)  # as_of - anchor


def test_rules_of_thumb_use_the_effective_number_of_weighted_points():
    """Scott's and Silverman's rules scale by ``n_eff = (Σw)² / Σw²``, not the row count."""
    lon = np.array([0.00, 0.10, 0.02, 0.15, 0.05, 0.08])
    lat = np.array([0.00, 0.03, 0.12, 0.07, 0.05, 0.16])
    w = np.array([1.0, 4.0, 0.5, 2.0, 1.0, 6.0])
    # Near the equator and within 0.2°, the plane of the rule is lon/lat times km per degree.
    x, y = lon * KM_PER_DEG, lat * KM_PER_DEG
    x, y = x - np.average(x, weights=w), y - np.average(y, weights=w)
    sd = np.sqrt(np.average(x * x + y * y, weights=w))
    n_eff = w.sum() ** 2 / (w * w).sum()
    scott = sd / np.sqrt(2) * n_eff ** (-1 / 6)
    got = select_bandwidth((lon, lat), "scott", weights=w)
    assert got == pytest.approx(scott, rel=1e-3)
    # equal weights: n_eff is the number of points
    assert select_bandwidth((lon, lat), "scott", weights=np.full(6, 3.0)) == pytest.approx(
        np.sqrt(np.mean((lon - lon.mean()) ** 2 + (lat - lat.mean()) ** 2))
        * KM_PER_DEG
        / np.sqrt(2)
        * 6 ** (-1 / 6),
        rel=1e-3,
    )


def test_edge_correction_divides_by_the_gaussian_mass_inside_a_long_thin_window():
    """Near a straight edge the kernel mass inside is ``Φ(d / h)`` (d: distance to the edge).

    The window is 10° by 1°, so a cell centre read as (lat, lon) lies far outside it.
    """
    window = shapely.box(0.0, 0.0, 10.0, 1.0)
    h = 10.0
    cells = np.unique(points_to_cells([5.0, 3.0, 7.0], [0.05, 0.10, 0.5], 6))
    lat, lon = cells_to_latlng(cells)
    points = (lon, lat)
    raw = kernel_density(points, cells, bandwidth_km=h)
    fixed = kernel_density(points, cells, bandwidth_km=h, window=window, edge_correction=True)
    # nearest edge: the equator (the north edge at lat 1 is beyond the kernel's reach here,
    # except for the centre cell at lat 0.5, 55 km from both: mass 1 - 2 Φ(-5.5))
    d_south = lat * KM_PER_DEG
    d_north = (1.0 - lat) * KM_PER_DEG
    mass = stats.norm.cdf(d_south / h) - stats.norm.cdf(-d_north / h)
    np.testing.assert_allclose(fixed / raw, 1.0 / mass, rtol=0.02)


def test_seizures_within_counts_the_seizures_within_one_bandwidth():
    """A uniform kernel times its area ``π h²`` counts the points within ``h``."""
    cell = points_to_cells([10.0], [40.0], 7)
    c_lat, c_lon = cells_to_latlng(cell)
    # seizures due east of the centre at 2, 6, 9.5, 12 and 30 km
    dist = np.array([2.0, 6.0, 9.5, 12.0, 30.0])
    lon = c_lon[0] + dist / (KM_PER_DEG * np.cos(np.radians(c_lat[0])))
    lat = np.full(dist.size, c_lat[0])
    reference = int((haversine_km(c_lon[0], c_lat[0], lon, lat) < 10.0).sum())
    assert reference == 3
    got = seizures_within(pd.DataFrame({schema.LON: lon, schema.LAT: lat}), cell, 10.0)
    assert got.tolist() == [reference]


def test_significance_at_exactly_alpha_is_significant():
    """A p-value equal to α rejects (``p ≤ α``): 5/100 is a pseudo p of 99 permutations."""
    p = np.array([5 / 100, 1 / 100, 10 / 100, 0.2])
    bins, used = significance_bins(np.array([2.0, -3.0, 1.7, 1.0]), p, fdr=False)
    np.testing.assert_array_equal(used, p)
    assert bins.tolist() == [2, -3, 1, 0]


ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


def _model_cells():
    return np.unique(points_to_cells([1.0, 1.5, 2.0], [1.0, 1.5, 2.0], 5))


def test_training_labels_and_counts_split_events_at_the_window_edges():
    """An event at a training origin ``s`` is in that origin's label ``[s, s + h)`` only.

    Events sit exactly on window edges (multiples of the horizon before the origin); each
    label and count window is half-open, so every event is counted once per partition.
    """
    cells = _model_cells()
    lat, lon = cells_to_latlng(cells)
    tau = np.array([-91.0, -182.0, -273.0, -300.0, -91.0])
    where = np.array([0, 0, 1, 2, 1])
    ev = pd.DataFrame(
        {
            schema.TIME: ORIGIN + pd.to_timedelta(tau, unit="D"),
            schema.LON: lon[where],
            schema.LAT: lat[where],
        }
    )
    opts = FittedOptions(**QUARTERLY_COUNTS)
    f = build_lagged_features(ev, cells, ORIGIN, opts)
    origins = np.asarray(f.training_origins_days)
    assert origins.size >= 3
    n = cells.size
    for k, s in enumerate(origins):
        rows = slice(k * n, (k + 1) * n)
        label = [int(((tau >= s) & (tau < s + 91.0) & (where == c)).sum()) for c in range(n)]
        prior = [int(((tau >= s - 91.0) & (tau < s) & (where == c)).sum()) for c in range(n)]
        assert f.y_train[rows].tolist() == label, s
        np.testing.assert_allclose(f.x_train[rows, 0], np.log1p(prior))
    # at the forecast origin, the last horizon's events
    recent = [int(((tau >= -91.0) & (where == c)).sum()) for c in range(n)]
    np.testing.assert_allclose(f.raw_pred["count_horizon"], recent)


def test_a_windowed_smoothed_count_holds_only_its_window_as_a_rate():
    """Two events at one place, 10 and 45 days back: the 30-day window holds one of them.

    ``kde_b`` is the density of all events per ``train_days``; ``kde_b_30d`` that of the last
    30 days scaled to ``train_days``: their ratio is ``(W / 30) / 2``, whatever the kernel.
    """
    cells = _model_cells()
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame(
        {
            schema.TIME: ORIGIN - pd.to_timedelta([10.0, 45.0], unit="D"),
            schema.LON: [lon[0]] * 2,
            schema.LAT: [lat[0]] * 2,
        }
    )
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(50.0,),
        kde_windows_days=("all", 30.0),
        recency=False,
        stride_days=91.0,
        min_history_days=91.0,
    )
    f = build_lagged_features(ev, cells, ORIGIN, opts)
    whole, recent = f.raw_pred["kde_50km"], f.raw_pred["kde_50km_30d"]
    assert whole[0] > 0
    np.testing.assert_allclose(recent, whole * (730.0 / 30.0) / 2.0, rtol=1e-9)


def test_negative_binomial_chance_of_any_event_is_one_minus_its_zero_probability():
    """NB2 ``P(Y > 0) = 1 - (1 + α μ)^(-1/α)``: scipy's ``nbinom`` with ``n = 1/α``."""
    from pipeline.grid import region_to_cells

    cells = region_to_cells((0.0, 0.0, 3.0, 3.0), 5)
    rng = np.random.default_rng(5)
    x1 = rng.normal(0, 1, cells.size)
    lat, lon = cells_to_latlng(cells)
    parts = []
    for k in range(8):
        mu = 0.6 * np.exp(0.5 * x1) * rng.gamma(0.5, 2.0, cells.size)  # NB2, alpha = 2
        idx = np.repeat(np.arange(cells.size), rng.poisson(mu))
        t = ORIGIN - pd.to_timedelta(91.0 * k + rng.uniform(0, 91.0, idx.size), unit="D")
        parts.append(pd.DataFrame({schema.TIME: t, schema.LON: lon[idx], schema.LAT: lat[idx]}))
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
        stride_days=91.0,
        family="negative_binomial",
        min_history_days=91.0,
    )
    model = FittedModel(opts).fit(
        pd.concat(parts, ignore_index=True), cells, ORIGIN, pd.DataFrame({"cell": cells, "x1": x1})
    )
    rep = model.report()
    assert rep["model"] == "negative_binomial" and rep["alpha"] > 0.5
    pred = model.predict()
    a = float(rep["alpha"])
    mu = pred["expected"].to_numpy()
    want = 1.0 - stats.nbinom.pmf(0, 1.0 / a, 1.0 / (1.0 + a * mu))
    np.testing.assert_allclose(pred["p_any"], want, rtol=1e-6)  # the report rounds alpha


def test_back_test_windows_put_an_event_at_the_origin_in_the_test_window():
    """Training is ``[t - train_days, t)`` and test ``[t, t + horizon)``: an event at ``t``
    is a test event, never a training one (that would be a leak of the future)."""
    from pipeline.evaluate import rolling_back_test

    end = pd.Timestamp("2021-01-01", tz="UTC")
    origins = [end - pd.Timedelta(days=30), end - pd.Timedelta(days=60)]
    when = [
        origins[1] - pd.Timedelta(days=20),
        origins[1],  # at the first origin
        origins[1] + pd.Timedelta(days=5),
        origins[0],  # at the second origin: the end of the first test window
        origins[0] + pd.Timedelta(days=10),
        origins[0] + pd.Timedelta(days=29),
    ]
    cells = np.unique(points_to_cells([1.0, 1.2], [1.0, 1.2], 6))
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame(
        {
            schema.TIME: when,
            schema.LON: lon[[0, 1, 0, 1, 0, 1]],
            schema.LAT: lat[[0, 1, 0, 1, 0, 1]],
        }
    )
    out = rolling_back_test(
        ev,
        cells,
        origins=2,
        horizon_days=30,
        train_days=60,
        end=end.date(),
        min_train_events=1,
        min_test_events=1,
        require_full_history=False,
        baselines=("uniform",),
    )
    times = pd.Series(when)
    got = {pd.Timestamp(o["origin"]): (o["n_train"], o["n_test"]) for o in out["origins"]}
    for t in origins:
        train = int(((times >= t - pd.Timedelta(days=60)) & (times < t)).sum())
        test = int(((times >= t) & (times < t + pd.Timedelta(days=30))).sum())
        assert got[t] == (train, test), t
    assert got[origins[1]] == (1, 2) and got[origins[0]] == (3, 3)


def test_a_twelve_in_the_first_field_does_not_decide_day_first():
    """``12/05/2020`` reads either way (December 5 or 12 May): it proves nothing."""
    from pipeline.errors import InputError
    from pipeline.ingest._dates import parse_times

    with pytest.raises(InputError, match="dayfirst"):
        parse_times(pd.Series(["12/05/2020", "03/04/2020"]), name="t", column="date")
    # one value above 12 decides
    got = parse_times(pd.Series(["13/05/2020", "03/04/2020"]), name="t", column="date").times
    assert list(got) == [pd.Timestamp("2020-05-13", tz="UTC"), pd.Timestamp("2020-04-03", tz="UTC")]


def test_a_date_that_contradicts_dayfirst_is_read_as_written():
    """With ``dayfirst=True``, ``03/25/2020`` can only be 25 March: read so, not dropped."""
    from pipeline.ingest._dates import parse_times

    got = parse_times(
        pd.Series(["25/03/2020", "03/25/2020", "04/03/2020"]), dayfirst=True, name="t", column="d"
    ).times
    want = ["2020-03-25", "2020-03-25", "2020-03-04"]
    assert list(got) == [pd.Timestamp(w, tz="UTC") for w in want]


def _pings(vessel, minutes, lon, lat, sog):
    from pipeline.schema import COG, SOG, VESSEL_ID

    n = len(minutes)
    return pd.DataFrame(
        {
            VESSEL_ID: [vessel] * n,
            schema.TIME: ORIGIN + pd.to_timedelta(np.asarray(minutes, dtype=float), unit="min"),
            schema.LON: np.broadcast_to(np.asarray(lon, dtype=float), (n,)).copy(),
            schema.LAT: np.broadcast_to(np.asarray(lat, dtype=float), (n,)).copy(),
            SOG: np.full(n, float(sog)),
            COG: np.full(n, np.nan),
        }
    )


def _run(vessel, start_min, lon0, lat0, dlon_per_10min, sog, minutes):
    """Pings every 10 minutes moving east by ``dlon_per_10min`` degrees each."""
    k = np.arange(0, minutes / 10 + 1)
    return _pings(vessel, start_min + 10 * k, lon0 + dlon_per_10min * k, lat0, sog)


def test_a_silence_of_exactly_gap_hours_is_a_gap():
    """Gaps are silences of ``≥ gap_hours`` (6 h by default): 6 h 00 min is one."""
    from pipeline.transit import transit_features

    east = 12 * 1.852 / 6 / (KM_PER_DEG * np.cos(np.radians(35.0)))  # 12 kn per 10 min
    pings = pd.concat(
        [_run("a", 0, 20.0, 35.0, east, 12, 60), _run("a", 420, 20.3, 35.0, east, 12, 60)]
    )
    res = transit_features(pings, 6)
    assert list(res.events["event_type"]) == ["gap"]
    assert res.events["duration_hours"].tolist() == [6.0]
    # a segment "no longer than max_segment_hours" (6 h) gives its time: 1 + 6 + 1 hours
    assert res.features["vessel_hours"].sum() == pytest.approx(8.0, abs=1e-6)


def test_slow_pings_for_exactly_loiter_hours_are_a_loiter():
    """Loitering lasts ``≥ loiter_hours`` (4 h by default): slow pings spanning 4 h 00 min."""
    from pipeline.transit import transit_features

    east = 12 * 1.852 / 6 / (KM_PER_DEG * np.cos(np.radians(36.0)))
    go = _run("a", 0, -5.0, 36.0, east, 12, 60)
    lon = float(go[schema.LON].iloc[-1]) + 0.001
    stay = _pings("a", np.arange(70, 310 + 1e-9, 10.0), lon, 36.0, 0.6)
    leave = _run("a", 320, lon + 0.001, 36.0, east, 12, 60)
    ev = transit_features(pd.concat([go, stay, leave]), 7).events
    assert list(ev["event_type"]) == ["loiter"]
    assert ev["duration_hours"].tolist() == [4.0]


def test_an_encounter_needs_its_hours_of_grid_steps():
    """Two slow vessels 280 m apart: pings 60-180 min are 12 ten-minute steps, 2 h (one
    encounter); pings 60-170 min are 11 steps, 1 h 50 min (none, below ``encounter_hours``)."""
    from pipeline.transit import transit_features

    def meeting(minutes: float) -> pd.DataFrame:
        east = 14 * 1.852 / 6 / (KM_PER_DEG * np.cos(np.radians(33.0)))
        mins = np.arange(60, 60 + minutes + 1e-9, 5.0)
        after = 60 + minutes + 10
        pings = [
            _run("alpha", 0, 30.0 - 5 * east, 33.0, east, 14, 50),
            _pings("alpha", mins, 30.0, 33.0, 1.0),
            _run("alpha", after, 30.003, 33.0, east, 14, 60),
            _run("bravo", 0, 30.0 + 5 * east, 33.0025, -east, 14, 50),
            _pings("bravo", mins, 30.0, 33.0025, 1.5),
            _run("bravo", after, 29.997, 33.0025, -east, 14, 60),
        ]
        ev = transit_features(pd.concat(pings, ignore_index=True), 7).events
        return ev[ev["event_type"] == "encounter"]

    assert meeting(110.0).empty
    met = meeting(120.0)
    assert met["duration_hours"].tolist() == [2.0]


def test_vessels_just_inside_the_encounter_distance_meet_wherever_they_lie():
    """Six stationary pairs 450 m apart (within the default 500 m) for 3 h: six encounters,
    whichever H3 cells their positions fall in."""
    from pipeline.sphere import haversine_km
    from pipeline.transit import transit_features

    mins = np.arange(0, 180 + 1e-9, 5.0)
    dlat = 0.45 / KM_PER_DEG
    pings = []
    for k in range(6):
        lon, lat = 30.0 + 0.2 * k + 0.0137 * k * k, 33.0 + 0.011 * k
        assert 1000 * haversine_km(lon, lat, lon, lat + dlat) == pytest.approx(450.0, abs=0.5)
        pings += [_pings(f"a{k}", mins, lon, lat, 1.0), _pings(f"b{k}", mins, lon, lat + dlat, 1.0)]
    ev = transit_features(pd.concat(pings, ignore_index=True), 7).events
    enc = ev[ev["event_type"] == "encounter"]
    assert sorted(zip(enc["vessel_id"], enc["other_vessel_id"], strict=True)) == [
        (f"a{k}", f"b{k}") for k in range(6)
    ]


def test_reliability_bins_put_the_odd_cell_in_the_lower_bin_as_decile_bins_does():
    """Five cells in two bins of equal count: the lowest three, then two (``decile_bins``)."""
    from pipeline.evaluate import reliability
    from pipeline.evaluate.calibration import decile_bins

    pred = np.array([4.0, 1.0, 5.0, 2.0, 3.0])
    obs = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    assert decile_bins(pred, n_bins=2).tolist() == [1, 0, 1, 0, 0]
    counts = reliability([pred], [obs], n_bins=2)["counts"]
    assert counts["cells"] == [3, 2]
    np.testing.assert_allclose(counts["mean_expected"], [2.0, 4.5])
    np.testing.assert_allclose(counts["mean_observed"], [1 / 3, 1.0])


def test_neighbour_side_compares_with_the_mean_of_the_other_cells():
    """Under the conditional null a neighbour is any of the ``n - 1`` other cells."""
    from pipeline.hotspots._gistar import neighbour_side

    y = np.array([0.0, 2.0, 2.0, 2.0, 6.0])
    # one neighbour each: the mean of the others is (12 - y_i) / 4 = 3, 2.5, 2.5, 2.5, 1.5
    sums = np.array([3.0, 2.0, 3.0, 2.5, 1.5])
    assert neighbour_side(y, np.ones(5), sums).tolist() == [0.0, -1.0, 1.0, 0.0, 0.0]


def test_latest_event_is_the_newest_seizure_of_the_cell():
    """``latest_event``: the newest seizure time per cell."""
    from pipeline.score import seizure_cell_stats

    cells = np.unique(points_to_cells([10.0, 10.5], [40.0, 40.0], 6))
    lat, lon = cells_to_latlng(cells)
    seizures = pd.DataFrame(
        {
            schema.LON: lon[[0, 0, 1, 0]],
            schema.LAT: lat[[0, 0, 1, 0]],
            schema.COMMODITY: ["cocaine"] * 4,
            schema.TIME: pd.to_datetime(
                ["2020-05-01", "2021-02-03", "2019-01-01", "2020-11-30"], utc=True
            ),
        }
    )
    out = seizure_cell_stats(seizures, cells, 6).set_index(schema.CELL)
    assert out["n_seizures"].tolist() == [3, 1]
    assert list(out[schema.LATEST_EVENT]) == [
        pd.Timestamp("2021-02-03", tz="UTC"),
        pd.Timestamp("2019-01-01", tz="UTC"),
    ]
