"""The slider's transit as of each month's end: the pings timed up to it, no later.

The map's time slider scored month *m* with the seizures up to *m*, but took the AIS
transit factors (vessel-hours, distinct vessels, gaps, loitering, encounters) of the run's
whole track set in every month the track record did not reach back to the start of: a lane
first sailed in June lit April's and May's cells, stated only as present data.  The
back-test computes the transit at each origin from the pings timed before it
(``test_backtest_transit_as_of_found.py``); each month now takes the same pass, as of its
end: a month before every timed ping has its transit missing (NaN, not covered; its
weighted score rescales to the factors it has, named in ``missing_factors`` and on the
slider's note), not today's values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stages import plugin_state

import pipeline
from pipeline import schema as S
from pipeline.config import DensityConfig
from pipeline.score import FactorWeight
from pipeline.timeline import score_timeline, timeline_factors
from pipeline.transit import transit_features

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

RES = 5
BBOX = (9.0, 39.0, 13.0, 43.0)
AS_OF = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")  # the end of the run's day
MAY_END = pd.Timestamp("2026-05-31 23:59:59.999999999", tz="UTC")  # May's last instant
DENSITY = DensityConfig(bandwidth_km=40.0, kernel="quartic", half_life_days=None)
TRANSIT = [S.VESSEL_HOURS, S.DISTINCT_VESSELS]
OPTS = {
    "normalisation": "cap",
    "cap_quantile": 0.99,
    "class_breaks": [0, 20, 40, 60, 80, 100],
    "class_labels": ["very low", "low", "medium", "high", "very high"],
}
WEIGHTS = {
    S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
    S.VESSEL_HOURS: FactorWeight(weight=2.0),
    S.DISTINCT_VESSELS: FactorWeight(weight=1.0),
}


def _lane(vessel: str, *, end: pd.Timestamp | None = None, start=None, lat: float) -> pd.DataFrame:
    """A vessel sailing east along ``lat`` from 9.5 E to 12.5 E in a day, a ping each 30 min."""
    steps = pd.to_timedelta(np.arange(49) * 30, unit="min")
    times = start + steps if start is not None else end - steps[::-1]
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


#: The track record starts on 10 May (after May's first day): a lane on 10 May, one whose
#: last ping is May's last second, one from 1 June 00:00 (not May's) and one in June.
PINGS = pd.concat(
    [
        _lane("may", start=pd.Timestamp("2026-05-10 08:00", tz="UTC"), lat=39.5),
        _lane("edge in", end=pd.Timestamp("2026-05-31 23:59:59", tz="UTC"), lat=40.2),
        _lane("edge out", start=pd.Timestamp("2026-06-01", tz="UTC"), lat=42.0),
        _lane("june", start=pd.Timestamp("2026-06-10", tz="UTC"), lat=41.0),
    ],
    ignore_index=True,
)


def _seizures() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 150
    days = rng.uniform(0, 180, n)
    return pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"),
            S.LON: rng.uniform(9.5, 12.5, n),
            S.LAT: rng.uniform(39.5, 42.5, n),
            S.COMMODITY: "cocaine",
            S.QUANTITY: 1.0,
        }
    )


def _state(tmp_path, pings):
    from conftest import config_from

    cfg = config_from(
        {
            "run": {"as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(BBOX), "resolution": RES},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "s.csv")}],
                "tracks": [{"path": str(tmp_path / "a.csv")}],
            },
            "score": {
                "factors": {n: {"weight": w.weight} for n, w in WEIGHTS.items()},
            },
        },
        tmp_path,
    )
    cells = np.sort(pipeline.region_to_cells(BBOX, RES)).astype("uint64")
    # the run's table: every ping's transit (the run's day), AIS observing every cell
    tr = transit_features(PINGS, RES, until=AS_OF).features.set_index(S.CELL)
    table = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: 1.0})
    table[S.SEIZURE_DENSITY + S.COVERED_SUFFIX] = True
    for name in TRANSIT:
        table[name] = tr[name].reindex(cells).fillna(0.0).to_numpy()
        table[name + S.COVERED_SUFFIX] = True
    return plugin_state(cfg, _seizures(), pings, cells, table=table, as_of=AS_OF)


def _factors(state) -> list:
    from pipeline.runner.stages._features import _timeline_transit_factors

    transit = _timeline_transit_factors(state)
    assert [f.name for f in transit] == TRANSIT
    return transit


def _months(state):
    from pipeline.runner.stages._features import _track_history

    cells = state.features.table[S.CELL].to_numpy(dtype="uint64")
    transit = _factors(state)
    tracks = _track_history(state, cells, transit)
    return timeline_factors(state.seizures, cells, AS_OF, 3, DENSITY, None, tracks=tracks)


def _month(tf, period: str) -> pd.DataFrame:
    return tf.table[tf.table[S.PERIOD] == period].set_index(S.CELL)


def test_each_month_takes_the_transit_of_the_pings_timed_up_to_its_end(tmp_path):
    state = _state(tmp_path, PINGS)
    tf = _months(state)
    assert tf is not None
    history = tf.periods.set_index(S.PERIOD)["history"]
    want_history = ",".join([S.SEIZURE_DENSITY, *TRANSIT])
    assert history.to_dict() == dict.fromkeys(["2026-04", "2026-05", "2026-06"], want_history)
    # April is before every timed ping: missing in every cell (no AIS coverage), not 0 and not
    # today's values (main took the run's, as present data)
    april = _month(tf, "2026-04")
    for name in TRANSIT:
        assert april[name].isna().all(), name
        assert not april[name + S.COVERED_SUFFIX].any(), name
    # May (the record starts on its 10th) is the library's pass over the pings up to its end,
    # hand-cut: the lane ending at 23:59:59 on 31 May is May's, the one of 1 June 00:00 is not
    may = _month(tf, "2026-05")
    ref = transit_features(PINGS[PINGS[S.TIME] <= MAY_END], RES).features.set_index(S.CELL)
    covered = may[S.VESSEL_HOURS + S.COVERED_SUFFIX].to_numpy(dtype=bool)
    assert covered.any() and not covered.all()
    for name in TRANSIT:
        want = ref[name].reindex(may.index).fillna(0.0).to_numpy()
        np.testing.assert_allclose(may[name].to_numpy()[covered], want[covered], rtol=1e-12)
        assert np.isnan(may[name].to_numpy()[~covered]).all()

    def hours_on(lane: str) -> np.ndarray:
        lon, lat = PINGS.loc[PINGS[S.VESSEL_ID] == lane, [S.LON, S.LAT]].to_numpy().T
        return np.nan_to_num(
            may.loc[np.unique(pipeline.points_to_cells(lon, lat, RES))][S.VESSEL_HOURS]
        )

    assert hours_on("edge in").min() > 0
    assert hours_on("edge out").max() == 0 and hours_on("june").max() == 0
    # June's end is past the last ping: the run's own values
    june = _month(tf, "2026-06")
    today = state.features.table.set_index(S.CELL)
    for name in TRANSIT:
        np.testing.assert_array_equal(june[name].to_numpy(), today[name].to_numpy())


def test_a_month_before_every_ping_is_scored_on_the_factors_it_has(tmp_path):
    # the weighted score rescales to the covered factors (the density alone in April), as a
    # back-test origin before the tracks; the month names them missing, not present data
    from pipeline.render._slider import timeline_payload

    state = _state(tmp_path, PINGS)
    tf = _months(state)
    feats = state.features.table
    tl = score_timeline(feats, tf, WEIGHTS, **OPTS)
    assert tl is not None
    first = tl.groupby(S.PERIOD, observed=True)[
        ["present_data", "present_data_factors", "missing_factors"]
    ].first()
    assert first.loc["2026-04"].tolist() == [False, "", "vessel_hours,distinct_vessels"]
    assert first.loc["2026-05"].tolist() == [False, "", ""]
    assert first.loc["2026-06"].tolist() == [False, "", ""]
    alone = score_timeline(feats, tf, {S.SEIZURE_DENSITY: WEIGHTS[S.SEIZURE_DENSITY]}, **OPTS)
    assert alone is not None
    april = (tl[S.PERIOD] == "2026-04").to_numpy()
    np.testing.assert_array_equal(tl.loc[april, S.RISK], alone.loc[april, S.RISK])
    assert tl.loc[april, S.RISK].max() > 50  # a density scored to 100, not diluted by 0s
    # the slider's note and the card's month row name them (escaped, as the present data)
    cells = feats[S.CELL].to_numpy(dtype="uint64")
    got = timeline_payload(tl, cells)
    assert got is not None
    assert got["missing"] == ["vessel hours, distinct vessels", "", ""]
    assert got["present"] == ["", "", ""]


def test_a_month_ending_just_before_the_first_ping_has_no_transit(tmp_path):
    # the first ping at 1 June 00:00, the instant after May's last: May has none (missing,
    # NaN), not a pass over no pings (0 vessel-hours)
    june = PINGS[PINGS[S.TIME] >= pd.Timestamp("2026-06-01", tz="UTC")]
    assert june[S.TIME].min() == MAY_END + pd.Timedelta(1, "ns")
    tf = _months(_state(tmp_path, june.reset_index(drop=True)))
    # May's own history (main: none, so the score took today's values: present data)
    history = tf.periods.set_index(S.PERIOD)["history"]
    assert history["2026-05"] == ",".join([S.SEIZURE_DENSITY, *TRANSIT])
    may = _month(tf, "2026-05")
    for name in TRANSIT:
        assert may[name].isna().all() and not may[name + S.COVERED_SUFFIX].any(), name
    # the shared pass says so (the back-test's note of an origin before every ping)
    from pipeline.runner.stages._backtest import TransitAtOrigin

    state = _state(tmp_path / "origin", june.reset_index(drop=True))
    at = TransitAtOrigin(state, _factors(state))
    origin = pd.Timestamp("2026-06-01", tz="UTC")  # a ping at the origin is not before it
    at.replace(state.features.table[[S.CELL]], origin)
    assert at.without_pings == [origin.isoformat()]


def test_a_factor_taken_from_today_is_present_data_not_missing(tmp_path):
    # a raster that covers no cell today is today's in every month (present data): the
    # months' missing factors are those of their own history alone
    state = _state(tmp_path, PINGS)
    feats = state.features.table.assign(sar_mean=np.nan, sar_mean__covered=False)
    weights = {**WEIGHTS, "sar_mean": FactorWeight(weight=1.0)}
    tl = score_timeline(feats, _months(state), weights, **OPTS)
    assert tl is not None
    first = tl.groupby(S.PERIOD, observed=True)[["present_data_factors", "missing_factors"]]
    assert first.first().to_dict("list") == {
        "present_data_factors": ["sar_mean"] * 3,
        "missing_factors": ["vessel_hours,distinct_vessels", "", ""],
    }


def test_months_of_pings_on_disk_are_those_of_the_table(tmp_path):
    # A run reading its tracks in chunks, and every Dask run, holds them on disk (a store):
    # main gave every month before the last ping today's values there, as present data
    from pipeline.ingest.stream import PingStore, spill_tracks

    csv = tmp_path / "ais.csv"
    PINGS.assign(**{S.TIME: PINGS[S.TIME].dt.strftime("%Y-%m-%dT%H:%M:%SZ")}).to_csv(
        csv, index=False
    )
    store = PingStore([spill_tracks(csv, tmp_path / "spill", chunk_rows=40, n_buckets=3)])
    table = _months(_state(tmp_path / "table", PINGS))
    disk = _months(_state(tmp_path / "disk", store))
    pd.testing.assert_frame_equal(disk.periods, table.periods)
    pd.testing.assert_frame_equal(disk.table, table.table)
    assert _month(disk, "2026-05")[S.VESSEL_HOURS + S.COVERED_SUFFIX].any()


def test_the_run_notes_the_months_without_transit(tmp_path):
    # the manifest's note names the months and the factors, and when the first ping was
    from pipeline.runner.stages._features import _say_months_without_transit

    state = _state(tmp_path, PINGS)
    state.notes = []
    _say_months_without_transit(state, _months(state), TRANSIT)
    assert state.notes == [
        "timeline: 'vessel_hours', 'distinct_vessels' cover no cell in 2026-04, from the "
        "positions timed up to each month's end; the first timed position is of 2026-05-10 "
        "08:00 UTC: missing in every cell those months (not 0), named in missing_factors; "
        "their risk on the slider weighs the other factors"
    ]


def test_the_slider_note_and_the_card_name_a_months_missing_transit(page, tmp_path):
    # main's note read "data up to this month only" (or "present data") on such a month
    from _maps import open_offline, write_sample_map

    from pipeline.testing import sample_map_data
    from pipeline.timeline import TimelineFactors

    data = sample_map_data(300, seed=5)
    s = data.scores
    cells = s[S.CELL].to_numpy(dtype="uint64")
    features = s[[S.CELL, S.SEIZURE_DENSITY, S.VESSEL_HOURS]].assign(
        seizure_density__covered=True, vessel_hours__covered=True
    )
    months = ["2026-05", "2026-06"]
    own = ",".join([S.SEIZURE_DENSITY, S.VESSEL_HOURS])
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    S.CELL: cells,
                    S.PERIOD: p,
                    S.SEIZURE_DENSITY: features[S.SEIZURE_DENSITY].to_numpy(),
                    S.VESSEL_HOURS: np.nan if p == "2026-05" else features[S.VESSEL_HOURS],
                    S.VESSEL_HOURS + S.COVERED_SUFFIX: p != "2026-05",
                }
            )
            for p in months
        ],
        ignore_index=True,
    )
    periods = pd.DataFrame({S.PERIOD: months, "cutoff": "", "history": [own, own]})
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=2.0), S.VESSEL_HOURS: FactorWeight(weight=1)}
    data.timeline = score_timeline(
        features,
        TimelineFactors(table, periods),
        weights,
        class_breaks=data.class_breaks,
        class_labels=data.class_labels,
    )
    open_offline(page, write_sample_map(data, tmp_path))
    notes = page.evaluate(
        """() => [0, 1].map((k) => { const s = routeRisk.slider; s.value = k;
              s.dispatchEvent(new Event('input'));
              return document.querySelector('.rr-slider-note').textContent; })"""
    )
    assert notes[0].endswith(
        "; data up to this month only; no data by this month's end (missing, not 0; the "
        "other factors weighed): vessel hours"
    ), notes[0]
    assert notes[1].endswith("; data up to this month only"), notes[1]
    # the card's month row says it too
    page.evaluate(
        "() => { const s = routeRisk.slider; s.value = 0; s.dispatchEvent(new Event('input')); }"
    )
    hex_id = page.evaluate(
        """() => { const L0 = routeRisk.layers.risk, c = routeRisk.map.getCenter();
              let best = 0, bestD = Infinity;
              for (let i = 0; i < L0.ids.length; i++) {
                const ll = h3.cellToLatLng(L0.ids[i]);
                const d = Math.hypot(ll[0] - c.lat, ll[1] - c.lng);
                if (d < bestD) { bestD = d; best = i; } }
              return L0.ids[best]; }"""
    )
    from test_timeline_browser import _card_rows, _hover

    _hover(page, hex_id)
    rows = _card_rows(page)
    assert rows["No data that month"] == "vessel hours (missing, not 0: the other factors weighed)"
    assert "Present data" not in rows
    assert page.errors == []
