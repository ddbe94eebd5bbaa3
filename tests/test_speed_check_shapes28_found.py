"""The unit-less speed check on track shapes as real exports take them (hJE).

A corpus of shapes in the layout of a MarineCadastre AIS CSV (``MMSI,BaseDateTime,LAT,LON,
SOG,COG``, SOG in knots): a short ferry crossing exported hourly, a harbour tug, anchored
vessels with GPS jitter and SOG 0.0-0.3, a trawler zig-zagging at 3 kn, fast craft at
35-45 kn, a tug at 6 kn, a gap of days, duplicated pings and AIS's 'not available' 102.3;
each also written in km/h, m/s and tenths of a knot.  Knots are read; the other units are
refused where the positions tell.  A ferry shuttling a short crossing, seen hourly, reads ten
times its chord in knots: it is read, with a note that the positions cannot tell it from
tenths (it was refused as tenths).  Then the check's own functions, on arrays, for the
mutation pass over its thresholds, evidence counts, bands and the straightness filter.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA

from pipeline.errors import InputError
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest import tracks as tr
from pipeline.ingest.stream import spill_tracks

KNOT_KM = 1.852
T0 = pd.Timestamp("2024-05-01")
SOLENT = SHARED_DATA / "tracks" / "SolentAIS_20160112_130211.csv"


def _walk(lat0, lon0, minutes, kn, hdg_deg):
    """Positions of a vessel sailing each step at ``kn`` on ``hdg_deg`` (flat over small areas)."""
    d_km = kn * KNOT_KM * np.diff(minutes, prepend=minutes[0]) / 60.0
    h = np.radians(hdg_deg)
    lat = lat0 + np.cumsum(d_km * np.cos(h)) / 111.195
    lon = lon0 + np.cumsum(d_km * np.sin(h)) / (111.195 * math.cos(math.radians(lat0)))
    return lat, lon


def _frame(mmsi, minutes, lat, lon, sog, cog) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "MMSI": mmsi,
            "BaseDateTime": (T0 + pd.to_timedelta(minutes, "min")).strftime("%Y-%m-%dT%H:%M:%S"),
            "LAT": np.round(lat, 6),
            "LON": np.round(lon, 6),
            "SOG": np.round(sog, 1),
            "COG": np.round(np.asarray(cog) % 360, 1),
        }
    )


def ferry(route_nm=1.5, kn=12.0, wait_min=20.0, every_min=60.0, k=3, hours=48):
    """A short crossing shuttled all day (cross, wait, back, wait), one ping each ``every_min``."""
    cross = route_nm / kn * 60
    cycle = 2 * (cross + wait_min)
    out = []
    for v in range(k):
        m = 7.0 * v + np.arange(0, hours * 60.0, every_min)
        ph = m % cycle
        back = (ph - cross - wait_min) / cross
        x = np.where(ph < cross, ph / cross, np.where(ph < cross + wait_min, 1, 1 - back))
        x = np.where(ph < 2 * cross + wait_min, x, 0)
        sea = (ph < cross) | ((ph >= cross + wait_min) & (ph < 2 * cross + wait_min))
        lon = 11.0 + 0.1 * v + x * route_nm * KNOT_KM / (111.195 * math.cos(math.radians(54)))
        cog = np.where(ph < cross + wait_min, 90.0, 270.0)
        out.append(_frame(219000100 + v, m, np.full(m.size, 54.0), lon, np.where(sea, kn, 0), cog))
    return pd.concat(out)


def harbour_tug(rng):
    """1-min pings of a tug turning about at 1.5-6 kn."""
    m = np.arange(120.0)
    kn = 1.5 + 4.5 * np.abs(np.sin(m / 17))
    hdg = np.cumsum(rng.normal(0, 25, m.size))
    return _frame(235000200, m, *_walk(50.9, -1.4, m, kn, hdg), kn, hdg)


def anchored(rng):
    """10-min pings of vessels at anchor: 15 m of GPS jitter, SOG 0.0-0.3."""
    out = []
    for v in range(2):
        m = np.arange(0, 12 * 60.0, 10)
        jn, je = rng.normal(0, 0.015, (2, m.size))
        lat = 51.9 + 0.02 * v + jn / 111.195
        lon = 1.5 + je / (111.195 * math.cos(math.radians(51.9)))
        sog = rng.integers(0, 4, m.size) / 10
        out.append(_frame(244000300 + v, m, lat, lon, sog, rng.uniform(0, 360, m.size)))
    return pd.concat(out)


def trawler(rng):
    """3 kn zig-zag: 20-min legs at 30 and 150 degrees, a ping every 3 min."""
    m = np.arange(0, 6 * 60.0, 3)
    hdg = np.where((m // 20) % 2 == 0, 30.0, 150.0) + rng.normal(0, 5, m.size)
    kn = 3.0 + rng.normal(0, 0.2, m.size)
    return _frame(219000400, m, *_walk(56.0, 7.0, m, kn, hdg), kn, hdg)


def fast_craft(rng):
    """A fast ferry at 35-45 kn, a ping a minute."""
    m = np.arange(0, 90.0)
    kn = 35 + 10 * np.abs(np.sin(m / 40))
    hdg = 45 + 10 * np.sin(m / 30)
    return _frame(219000500, m, *_walk(55.0, 12.0, m, kn, hdg), kn, hdg)


def tug(rng):
    """A tug at 6 kn, a ping a minute, slowly changing course."""
    m = np.arange(0, 120.0)
    kn = 6 + rng.normal(0, 0.2, m.size)
    hdg = 200 + np.cumsum(rng.normal(0, 1, m.size))
    return _frame(211000600, m, *_walk(53.5, 8.5, m, kn, hdg), kn, hdg)


def gap_of_days(rng):
    """12 kn, 6-min pings, then 3 days silent, then on."""
    m1 = np.arange(0, 120.0, 6)
    m = np.r_[m1, m1 + 3 * 1440 + 120]
    return _frame(367000700, m, *_walk(40.0, -70.0, m, 12.0, 10.0), np.full(m.size, 12.0), 10)


def duplicated_and_not_available(rng):
    """The tug with every 7th ping written twice and every 11th SOG 102.3 (not available)."""
    df = tug(rng)
    df = pd.concat([df, df.iloc[::7]]).sort_values(["MMSI", "BaseDateTime"], kind="stable")
    df.iloc[::11, df.columns.get_loc("SOG")] = 102.3
    return df


SHAPES = {
    "harbour_tug": harbour_tug,
    "trawler": trawler,
    "fast_craft": fast_craft,
    "tug": tug,
    "gap_of_days": gap_of_days,
    "duplicated_and_na": duplicated_and_not_available,
}
#: Speed units an export may hold under a plain SOG, per knot.
PER_KN = {"km/h": 1.852, "m/s": 1852 / 3600, "0.1 kn": 10.0}


def _scaled(df: pd.DataFrame, unit: str) -> pd.DataFrame:
    out = df.copy()
    na = out["SOG"] == 102.3
    out["SOG"] = np.round(out["SOG"] * PER_KN[unit], 0 if unit == "0.1 kn" else 1)
    out.loc[na, "SOG"] = 1023 if unit == "0.1 kn" else 102.3
    return out


def _read(tmp_path, df, name="ais.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return read_tracks(path)


# ----------------------------------------------------------------------------- the corpus


@pytest.mark.parametrize("shape", [*SHAPES, "anchored", "ferry_hourly"])
def test_each_shape_in_knots_is_read_as_knots(tmp_path, shape):
    rng = np.random.default_rng(28)
    df = ferry() if shape == "ferry_hourly" else {**SHAPES, "anchored": anchored}[shape](rng)
    got = _read(tmp_path, df)
    sog = got.frame["sog_kn"].dropna().to_numpy()
    written = df["SOG"][df["SOG"] != 102.3]
    assert sog.max() == pytest.approx(written.max())
    assert got.assumptions["speed_unit"]["unit"] == "kn"


@pytest.mark.parametrize("unit", list(PER_KN))
@pytest.mark.parametrize("shape", ["harbour_tug", "trawler", "gap_of_days", "duplicated_and_na"])
def test_each_moving_shape_in_another_unit_is_refused(tmp_path, shape, unit):
    df = _scaled(SHAPES[shape](np.random.default_rng(28)), unit)
    with pytest.raises(InputError, match=r"'SOG'.*(km/h|m/s|tenths)"):
        _read(tmp_path, df)


def test_a_fleet_of_all_shapes_reads_in_knots_and_is_refused_in_tenths(tmp_path):
    rng = np.random.default_rng(28)
    fleet = pd.concat([f(rng) for f in (*SHAPES.values(), anchored)] + [ferry(k=1)])
    assert _read(tmp_path, fleet).frame["sog_kn"].max() == pytest.approx(45.0)
    slow = pd.concat([anchored(rng), trawler(rng), tug(rng)])  # all below 10.2 kn
    with pytest.raises(InputError, match=r"ten times the speed the positions give"):
        _read(tmp_path, _scaled(slow, "0.1 kn"))


# ----------------------------------------------------------------------------- ferries


@pytest.mark.parametrize(
    ("route_nm", "kn", "wait_min"),
    [(1.5, 12.0, 20.0), (2.0, 12.0, 3.0), (2.0, 15.0, 3.0)],
    ids=["1.5nm-12kn-20min", "2nm-12kn-3min", "2nm-15kn-3min"],
)
def test_a_short_ferry_crossing_seen_hourly_is_read_with_a_note(tmp_path, route_nm, kn, wait_min):
    # the chord of an hour is at most the crossing: its SOG reads 7.5 to 12 times it in
    # knots, as tenths would; refused before as 'ten times the speed the positions give'
    path = tmp_path / "ferry.csv"
    ferry(route_nm, kn, wait_min).to_csv(path, index=False)
    got = read_tracks(path)
    assert set(got.frame["sog_kn"]) <= {0.0, kn}
    notes = [got.notes]
    if route_nm == 1.5:  # streamed in chunks: the same note
        notes.append(spill_tracks(path, tmp_path / "spill", chunk_rows=50).notes)
    for said in notes:
        (note,) = [n for n in said if "ten times" in n]
        assert "positions cannot tell it from tenths" in note and "'0.1 kn'" in note


def test_a_ferry_pinged_every_minute_tells_tenths(tmp_path):
    # pinged every minute the same shuttle's chords are its path: tenths are refused
    df = _scaled(ferry(2.0, 8.0, 5.0, every_min=1.0, k=1, hours=3), "0.1 kn")
    with pytest.raises(InputError, match=r"ten times .*median ratio 10\.0"):
        _read(tmp_path, df)
    assert not [n for n in _read(tmp_path, ferry(2.0, 8.0, 5.0, 1.0, 1, 3)).notes if "ten" in n]


@pytest.mark.skipif(not SOLENT.is_file(), reason="the shared real data is not here")
def test_solent_ais_reads_without_refusal_or_ratio_note():
    got = read_tracks(SOLENT)
    assert len(got.frame) > 18_000
    assert not [n for n in got.notes if "ten times" in n or "times the speed" in n]


# ----------------------------------------------------------------------------- the functions

PARTS = {"sog_col": "sog", "speed_unit": {"unit": "kn", "by": "default"}}


def _line(step_min, n, kn, turn_deg=0.0, vessels=1, reported=None, hdg0=90.0):
    """Arrays of vessels heading ``hdg0`` (east) at ``kn``, turning ``turn_deg`` at each ping."""
    m = np.arange(n) * float(step_min)
    hdg = hdg0 + turn_deg * np.arange(n)
    lat, lon = _walk(50.0, 0.0, m, kn, hdg)
    rep = np.full(n, kn if reported is None else reported, dtype="float64")
    vid = np.repeat(np.array([f"V{i}" for i in range(vessels)], dtype=object), n)
    t = np.tile(
        np.datetime64("2024-01-01T00:00") + np.round(m * 60).astype("timedelta64[s]"), vessels
    )
    lats = np.concatenate([lat + i for i in range(vessels)])
    return vid, t.astype("datetime64[ns]"), np.tile(lon, vessels), lats, np.tile(rep, vessels)


def _ratios(*arrays, **kw):
    return tr._speed_ratios(*arrays, **kw)


def test_each_stretch_pairs_a_ping_with_the_first_a_minute_later():
    # 20 s pings at 6 kn: each ping with the ping 60 s on (3 later), 12 stretches of 15 pings
    vid, t, lon, lat, s = _line(1 / 3, 15, 6.0)
    r = _ratios(vid, t, lon, lat, s)
    assert r.size == 12 and r == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize(
    ("step_min", "kn", "n_expected"),
    [(180.0, 6.0, 4), (181.0, 6.0, 0), (60.0, 0.9, 0), (60.0, 1.1, 4), (1.0, 61.0, 0)],
    ids=["3h-in", "past-3h", "under-1kn", "over-1kn", "over-60kn"],
)
def test_a_stretch_is_1_min_to_3_h_and_1_to_60_kn(step_min, kn, n_expected):
    assert _ratios(*_line(step_min, 5, kn)).size == n_expected


def test_a_stretch_needs_both_ends_moving_and_of_one_vessel():
    vid, t, lon, lat, s = _line(10.0, 6, 6.0, vessels=2)
    assert _ratios(vid, t, lon, lat, s).size == 10  # 5 a vessel, none across the two
    s = s.copy()
    s[2] = 0.0  # ping 2 stopped: it is left out, its neighbours paired (10 min on, twice as far)
    assert _ratios(vid, t, lon, lat, s).size == 9


def test_the_reported_speed_is_the_mean_of_both_ends():
    vid, t, lon, lat, _ = _line(10.0, 2, 6.0)
    r = _ratios(vid, t, lon, lat, np.array([4.0, 10.0]))
    assert r == pytest.approx([7.0 / 6.0], rel=1e-3)


@pytest.mark.parametrize(
    ("turn_deg", "n_expected"), [(25.0, 4), (35.0, 0), (-25.0, 4), (-35.0, 0), (355.0, 4)]
)
def test_straight_keeps_the_stretches_the_next_goes_on_within_30_degrees(turn_deg, n_expected):
    # 6 pings, 5 stretches: the last has no next one
    assert _ratios(*_line(10.0, 6, 6.0, turn_deg), straight=True).size == n_expected


def test_straight_needs_the_next_stretch_of_the_same_vessel_within_3_h():
    vid, t, lon, lat, s = _line(170.0, 3, 6.0)
    assert _ratios(vid, t, lon, lat, s, straight=True).size == 1
    t = t.copy()
    t[2] += np.timedelta64(20, "m")  # the next stretch 3 h 10 min: no evidence of a course
    assert _ratios(vid, t, lon, lat, s, straight=True).size == 0


def test_the_tenfold_check_judges_short_or_long_stretches_only():
    # 60 pings of 6 (tenths: 0.6 kn)... a tenths vessel at 3 kn: reading 30, a ping each step
    one_min = _line(1.0, 8, 3.0, reported=30.0)  # 0.5 nm of reported path: judged
    ten_min = _line(10.0, 8, 3.0, reported=30.0)  # 5 nm of path, 0.5 nm apart: not judged
    half_hourly = _line(30.0, 8, 3.0, reported=30.0)  # 15 nm of path, 1.5 nm apart: not
    hourly = _line(60.0, 8, 3.5, reported=35.0)  # 35 nm of path, 3.5 nm apart: judged
    kw = {"max_reported_nm": tr._TENFOLD_MAX_NM, "min_chord_nm": tr._TENFOLD_MIN_CHORD_NM}
    sizes = [_ratios(*a, **kw).size for a in (one_min, ten_min, half_hourly, hourly)]
    assert sizes == [7, 0, 0, 7]
    assert tr._check_speed_scale(*half_hourly, PARTS, "a.csv") is not None  # a note
    assert tr._TENFOLD_MAX_NM == pytest.approx(102.2 / 60)
    with pytest.raises(InputError, match="ten times"):
        tr._check_speed_scale(*one_min, PARTS, "a.csv")
    note = tr._check_speed_scale(*ten_min, PARTS, "a.csv")
    assert note is not None and "cannot tell" in note and "median ratio 10.0 over 7" in note
    with pytest.raises(InputError, match="ten times"):
        tr._check_speed_scale(*hourly, PARTS, "a.csv")


@pytest.mark.parametrize(
    ("ratio", "refused"),
    [(6.9, False), (7.1, True), (13.9, True), (14.1, False)],
    ids=["6.9", "7.1", "13.9", "14.1"],
)
def test_the_tenfold_band_is_7_to_14(ratio, refused):
    a = _line(1.0, 8, 3.0, reported=3.0 * ratio)
    if refused:
        with pytest.raises(InputError, match="ten times"):
            tr._check_speed_scale(*a, PARTS, "a.csv")
    else:
        tr._check_speed_scale(*a, PARTS, "a.csv")


def test_the_tenfold_needs_three_stretches_and_sixty_percent():
    assert not tr._tenfold(np.array([10.0, 10.0]))
    assert tr._tenfold(np.array([10.0, 10.0, 10.0]))
    assert tr._tenfold(np.array([10.0, 10.0, 10.0, 1.0, 30.0]))  # 3 of 5
    assert not tr._tenfold(np.array([10.0, 10.0, 10.0, 10.0, 1.0, 1.0, 30.0]))  # 4/7 = 57 %
    assert not tr._tenfold(np.array([5.0, 5.0, 10.0, 20.0, 20.0]))  # median 10, 20 %


@pytest.mark.parametrize(
    ("ratio", "unit"),
    [(1.55, None), (1.65, "km/h"), (2.1, "km/h"), (2.2, None), (0.42, None), (0.46, "m/s")]
    + [(0.58, "m/s"), (0.62, None)],
    ids=["1.55", "1.65", "2.1", "2.2", "0.42", "0.46", "0.58", "0.62"],
)
def test_the_unstated_unit_bands(ratio, unit):
    a = _line(1.0, 8, 10.0, reported=10.0 * ratio)
    if unit is None:
        assert tr._check_speed_scale(*a, PARTS, "a.csv") is None
    else:
        with pytest.raises(InputError, match=rf"{unit}\?"):
            tr._check_speed_scale(*a, PARTS, "a.csv")
    # a unit the header states is read as stated
    told = {"sog_col": "sog", "speed_unit": {"unit": "kn", "by": "header"}}
    assert tr._check_speed_scale(*a, told, "a.csv") is None


def test_the_unstated_unit_needs_three_straight_stretches_and_sixty_percent():
    two = _line(1.0, 4, 10.0, reported=18.52)  # 3 stretches, 2 with a next one
    assert tr._check_speed_scale(*two, PARTS, "a.csv") is None
    vid, t, lon, lat, s = _line(1.0, 11, 10.0, reported=18.52)  # 9 straight stretches
    s = s.copy()
    s[:4] = 10.0  # 4 read as knots: 5 of 9 (56 %) at 1.85
    assert tr._check_speed_scale(vid, t, lon, lat, s, PARTS, "a.csv") is None
    s[3] = 18.52  # 6 of 9
    with pytest.raises(InputError, match=r"km/h\?"):
        tr._check_speed_scale(vid, t, lon, lat, s, PARTS, "a.csv")


def test_a_turning_vessel_in_kmh_is_not_judged_on_its_turns():
    # every ping 40 degrees on: no straight stretch, so km/h is not judged
    a = _line(1.0, 10, 10.0, turn_deg=40.0, reported=18.52)
    assert tr._check_speed_scale(*a, PARTS, "a.csv") is None


def test_the_sample_of_chunks_keeps_the_first_records_only(monkeypatch):
    monkeypatch.setattr(tr, "SCALE_SAMPLE", 5)
    a, b = tr.ScaleEvidence(), tr.ScaleEvidence()
    a.sample = tr._scale_sample(*_line(1.0, 3, 6.0), None)
    b.sample = tr._scale_sample(*_line(1.0, 4, 7.0), None)
    a.add(b)
    assert a.sampled == 5 and list(a.sample["sog"]) == [6.0] * 3 + [7.0] * 2


def test_a_told_unit_reads_the_refused_shapes(tmp_path):
    df = _scaled(tug(np.random.default_rng(28)), "km/h")
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    got = read_tracks(TrackSource(path=path, speed_unit="km/h"))
    assert got.frame["sog_kn"].to_numpy() == pytest.approx(df["SOG"].to_numpy() / 1.852)


def test_a_stretch_never_pairs_two_vessels():
    # V1 starts 10 min after V0's last ping, 1 nm further east: no stretch between them
    vid, t, lon, lat, s = _line(10.0, 6, 6.0, vessels=2)
    t, lat = t.copy(), lat.copy()
    t[6:] += np.timedelta64(60, "m")
    lat[6:] = lat[0]
    lon = np.r_[lon[:6], lon[:6] + (lon[5] - lon[0]) + (lon[1] - lon[0])]
    assert _ratios(vid, t, lon, lat, s).size == 10
    # nor judges a vessel's last stretch straight on the next vessel's first one
    assert _ratios(vid, t, lon, lat, s, straight=True).size == 8


def test_the_last_stretch_of_the_sample_has_no_next_one():
    # heading north (bearing 0): a stretch paired with itself would read as no turn
    assert _ratios(*_line(10.0, 6, 6.0, hdg0=0.0), straight=True).size == 4


def test_a_vessel_turning_every_minute_is_not_judged_tenths():
    # a pivot at 40 degrees a minute, its SOG ten times its chord: no straight stretch
    a = _line(1.0, 10, 1.2, turn_deg=40.0, reported=12.0)
    note = tr._check_speed_scale(*a, PARTS, "a.csv")
    assert note is not None and "cannot tell" in note


def test_sog_not_available_is_no_speed_to_compare(tmp_path):
    # most pings SOG 102.3 (not available) beside a vessel at 10 kn: not 10.2 times it
    vid, t, lon, lat, s = _line(20.0, 20, 10.0)  # 3.3 nm apart: judged
    sog = np.where(np.isin(np.arange(20), [0, 19]), 10.0, 102.3)
    df = _frame(235000900, 20.0 * np.arange(20), lat, lon, sog, 90.0)
    got = _read(tmp_path, df)
    assert got.frame["sog_kn"].isna().sum() == 18
