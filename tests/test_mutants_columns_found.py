"""Gaps found by a second hand mutation pass over column inference (hGM).

Each test kills a mutant of ``pipeline/ingest/_columns.py`` that the suite let live: the
share thresholds of a header's values, the range of a coordinate, the tie-breaks between
two candidate columns, the sample a column is judged on.  The files are written by hand
here and every expected value is what their columns mean (the first pass, hFB's
``test_mutants_ingest_found.py``, covers row counters, point numbers and constants).
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks

_T0 = dt.datetime(2024, 3, 1)


def _stamp(minutes: int) -> str:
    return (_T0 + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:00Z")


def _write(path, header: str, rows: list[str]):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _columns(res) -> dict[str, str | None]:
    return {role: e.get("column") for role, e in res.assumptions["columns"].items()}


def _read(tmp_path, header: str, leads: list[str]):
    """Read a track file whose row ``k`` is ``leads[k]`` then the position of row ``k``."""
    rows = [f"{lead},{60 + 0.01 * k:.4f},{10 + 0.01 * k:.4f}" for k, lead in enumerate(leads)]
    return read_tracks(_write(tmp_path / "t.csv", header, rows))


def _times(res) -> list[dt.datetime]:
    return [t.replace(tzinfo=None) for t in res.frame["time"]]


def _every_ten_minutes(n: int) -> list[dt.datetime]:
    return [_T0 + dt.timedelta(minutes=10 * k) for k in range(n)]


# ---------------------------------------------------------------------- shares of a header's values


def test_a_named_latitude_with_three_values_in_ten_keeps_them_and_rejects_the_rest(tmp_path):
    # 'Latitude WGS84' is no whole known name: its values decide, and 30% of coordinates
    # (the rest 'unknown') is enough to trust the header; the seven are per-record rejects
    rows = [
        f"257000001,{_stamp(10 * k)},{f'{60 + 0.01 * k:.4f}' if k < 3 else 'unknown'},"
        f"{10 + 0.01 * k:.4f}"
        for k in range(10)
    ]
    res = read_tracks(_write(tmp_path / "t.csv", "MMSI,time,Latitude WGS84,Longitude WGS84", rows))
    assert _columns(res)["lat"] == "Latitude WGS84"
    assert (res.n_read, res.n_accepted, res.n_rejected) == (10, 3, 7)
    assert res.frame["lat"].round(4).tolist() == [60.0, 60.01, 60.02]


def test_a_named_event_time_with_three_dates_in_ten_keeps_them_and_rejects_the_rest(tmp_path):
    # 'Event Time' is no whole known name: 30% of dates is enough to trust the header
    leads = [f"257000001,{_stamp(10 * k) if k < 3 else 'unknown'}" for k in range(10)]
    res = _read(tmp_path, "MMSI,Event Time,lat,lon", leads)
    assert _columns(res)["time"] == "Event Time"
    assert (res.n_read, res.n_accepted, res.n_rejected) == (10, 3, 7)
    assert _times(res) == _every_ten_minutes(3)


# ---------------------------------------------------------------------- coordinate ranges


def test_a_second_position_on_the_antimeridian_is_a_position_to_choose_between(tmp_path):
    # a longitude of exactly +-180 is within range (|x| <= 180): 'lat_corrected'/
    # 'lon_corrected' on the date line are a second position beside the reported 'lat'/'lon',
    # and which one is the record's is the user's to say -- not 'lat'/'lon' read quietly
    rows = [
        f"257000001,{_stamp(10 * k)},{-17 + 0.01 * k:.4f},{179.99 if k % 2 else -179.99},"
        f"{-17 + 0.01 * k:.4f},{180.0 if k % 2 else -180.0}"
        for k in range(6)
    ]
    header = "MMSI,time,lat,lon,lat_corrected,lon_corrected"
    with pytest.raises(
        InputError, match=r"2 latitude/longitude pairs .*'lat_corrected'/'lon_corrected'"
    ):
        read_tracks(_write(tmp_path / "t.csv", header, rows))


# ---------------------------------------------------------------------- times of day


def _clock(k: int) -> str:
    return f"{k // 6:02d}:{(10 * k) % 60:02d}"


def test_a_named_clock_with_17_clocks_in_20_gives_the_dates_their_time(tmp_path):
    # 'Hora' names a time of day (no whole known name): 85% of clocks (80% needed) keep
    # the header; the three '99:99' rows are rejected, not read at midnight
    leads = [f"257000001,2024-03-01,{_clock(k) if k < 17 else '99:99'}" for k in range(20)]
    res = _read(tmp_path, "MMSI,Date,Hora,lat,lon", leads)
    assert _columns(res)["time_of_day"] == "Hora"
    assert res.n_accepted == 17
    assert _times(res) == _every_ten_minutes(17)


def test_a_column_of_clocks_found_by_its_values_needs_90_percent_and_not_more(tmp_path):
    # 'Zulu' names nothing: 18 clocks in 20 (90%, as the refusal of a partial one says:
    # 'too few (under 90%)') make it the time of day of the 'Date' column
    leads = [f"257000001,2024-03-01,{_clock(k) if k < 18 else '25:99'}" for k in range(20)]
    res = _read(tmp_path, "MMSI,Date,Zulu,lat,lon", leads)
    assert _columns(res)["time_of_day"] == "Zulu"
    assert _times(res)[:18] == _every_ten_minutes(18)


# ---------------------------------------------------------------------- tie-breaks between names


@pytest.mark.parametrize(
    "date,stamp", [("date", "datetime"), ("DATE", "DATETIME"), ("Date", "BaseDateTime")]
)
def test_a_date_and_time_column_wins_over_a_day_column_before_it(tmp_path, date, stamp):
    # both headers are known whole names (in any case); the one that says a date and a time
    # ranks first whatever the column order: read by the day column, every ping of the day
    # was put at midnight (the clock lost, the track a pile of pings at one instant)
    leads = [f"257000001,2024-03-01,{_stamp(10 * k)}" for k in range(6)]
    res = _read(tmp_path, f"MMSI,{date},{stamp},lat,lon", leads)
    assert _columns(res)["time"] == stamp
    assert _times(res) == _every_ten_minutes(6)


# ---------------------------------------------------------------------- positions by their values


def test_columns_found_by_their_values_reach_the_pole_and_the_antimeridian(tmp_path):
    # no header names a position: 'A' reaches 90 (the pole, within +-90) and 'B' reaches
    # 180 (the date line, within +-180 and beyond +-90): latitude and longitude
    lats = [89.95, 89.96, 89.97, 89.98, 89.99, 90.0]
    lons = [-180.0, -179.0, -90.5, 90.5, 179.0, 180.0]
    rows = [f"257000001,{_stamp(10 * k)},{lats[k]},{lons[k]}" for k in range(6)]
    res = read_tracks(_write(tmp_path / "t.csv", "MMSI,time,A,B", rows))
    assert (_columns(res)["lat"], _columns(res)["lon"]) == ("A", "B")
    assert res.assumptions["columns"]["lon"]["by"] == "content"
    assert sorted(res.frame["lat"].tolist()) == lats


def _beside_unnamed_positions(tmp_path, name: str, values: list):
    """Read positions under headers naming none ('A', 'B') beside a column ``name``."""
    rows = [
        f"257000001,{_stamp(10 * k)},{54.1 + 0.01 * k:.2f},{120.5 + 0.01 * k:.2f},{v}"
        for k, v in enumerate(values)
    ]
    res = read_tracks(_write(tmp_path / "t.csv", f"MMSI,time,A,B,{name}", rows))
    assert (_columns(res)["lat"], _columns(res)["lon"]) == ("A", "B")
    return res


def test_a_constant_number_beside_positions_found_by_their_values_is_no_latitude(tmp_path):
    # 'status' is 0 on every row: a number within +-90 that never moves is no latitude,
    # so 'A' (moving, within +-90) is the only one beside the longitude 'B'
    res = _beside_unnamed_positions(tmp_path, "status", [0] * 6)
    assert res.frame["lat"].round(2).tolist() == [round(54.1 + 0.01 * k, 2) for k in range(6)]


# ---------------------------------------------------------------------- years beside dates


@pytest.mark.parametrize(
    "header, n, written, kept",
    [
        # GDELT's 'Year' beside its 'SQLDATE': 18 of 20 yyyymmdd (90%, 'most'), two written
        # as ISO dates
        (
            "MMSI,Year,SQLDATE,lat,lon",
            20,
            lambda k, d: d.strftime("%Y%m%d") if k < 18 else d.isoformat(),
            20,
        ),
        # UCDP's 'year' (known whole name, ranked first) beside 'date_start' with 7 dates in
        # 10 ('see notes' on three): the three are rejected, not dated 1 January
        (
            "MMSI,year,date_start,lat,lon",
            10,
            lambda k, d: d.isoformat() if k < 7 else "see notes",
            7,
        ),
    ],
    ids=["gdelt-compact-90pct", "ucdp-7-in-10"],
)
def test_dates_on_most_rows_beside_a_year_give_the_days(tmp_path, header, n, written, kept):
    # the days are the records' time, not 1 January of the year
    days = [dt.date(2023, 3, 1) + dt.timedelta(days=k) for k in range(n)]
    res = _read(tmp_path, header, [f"257000001,2023,{written(k, d)}" for k, d in enumerate(days)])
    assert _columns(res)["time"] == header.split(",")[2]
    assert [t.date() for t in res.frame["time"]] == days[:kept]


# ---------------------------------------------------------------------- vessel ids by their values


def test_a_column_of_one_value_is_not_taken_as_the_vessel_id_by_its_values(tmp_path):
    # no header names an identity; 'src' is 'Garmin' on every row (a GPX export's device):
    # read as the id it made every ping one "vessel" -- refused, naming it, exit 2
    rows = [f"{_stamp(10 * k)},{60 + 0.01 * k:.4f},{10 + 0.01 * k:.4f},Garmin" for k in range(5)]
    with pytest.raises(InputError, match=r"refused: 'src' \(one value, 'Garmin', on every row"):
        read_tracks(_write(tmp_path / "t.csv", "time,lat,lon,src", rows))


# ---------------------------------------------------------------------- two spellings of a coordinate


def _spellings(path, second: list[str]):
    rows = [
        f"257000001,{_stamp(10 * k)},{60 + 0.01234 * k:.4f},{10 + 0.01 * k:.4f},{second[k]},"
        f"{10 + 0.01 * k:.4f}"
        for k in range(6)
    ]
    return _write(path, "MMSI,time,lat,lon,latitude,longitude", rows)


def test_two_spellings_of_the_latitude_with_other_values_are_refused(tmp_path):
    # 'lat' and 'latitude' are one group of names: 'lat' was read and 'latitude' (here a
    # corrected fix 0.5 degree north) only filled its blanks -- a silent guess, as two 'lat'
    # headers with other values are refused
    second = [f"{60.5 + 0.01234 * k:.4f}" for k in range(6)]
    with pytest.raises(InputError, match=r"'lat' and 'latitude' both name the latitude"):
        read_tracks(_spellings(tmp_path / "t.csv", second))


def test_two_spellings_of_one_latitude_are_read_as_one(tmp_path):
    # the same latitude in degrees and minutes to a tenth of a minute (up to 0.05' = 93 m
    # from the decimals), blank on one row: one position written coarser, no choice
    second = [f"60 {0.01234 * k * 60:.1f}'N" for k in range(5)] + [""]
    res = read_tracks(_spellings(tmp_path / "t.csv", second))
    assert _columns(res)["lat"] == "lat"
    assert res.frame["lat"].round(4).tolist() == [round(60 + 0.01234 * k, 4) for k in range(6)]


# ---------------------------------------------------------------------- the sample of a column


def test_a_column_is_judged_on_values_from_the_whole_file_not_its_head(tmp_path):
    # a logger writes 'no fix' for its first 2,000 records (more than a sample's worth),
    # then positions: 'Latitude WGS84' (no whole known name) holds coordinates on half of
    # its rows, read there; the head alone held none and the column was refused
    n, head = 4000, 2000
    rows = [
        f"257000001,{_stamp(k)},{'no fix' if k < head else f'{60 + 1e-4 * k:.4f}'},"
        f"{10 + 1e-4 * k:.4f}"
        for k in range(n)
    ]
    res = read_tracks(_write(tmp_path / "t.csv", "MMSI,time,Latitude WGS84,Longitude", rows))
    assert _columns(res)["lat"] == "Latitude WGS84"
    assert (res.n_accepted, res.n_rejected) == (n - head, head)


def test_a_blank_longitude_is_read_from_its_other_spelling_long(tmp_path):
    # 'Long' is a whole known name of the longitude, as 'Lat' of the latitude: where
    # 'Longitude'/'Latitude' are blank (two rows) the other spelling gives the position --
    # no record lost
    rows = []
    for k in range(6):
        lat, lon = f"{60 + 0.01 * k:.4f}", f"{10 + 0.01 * k:.4f}"
        blank = k in (2, 3)
        rows.append(
            f"257000001,{_stamp(10 * k)},{'' if blank else lat},{'' if blank else lon},{lat},{lon}"
        )
    header = "MMSI,time,Latitude,Longitude,Lat,Long"
    res = read_tracks(_write(tmp_path / "t.csv", header, rows))
    assert res.n_accepted == 6
    assert res.frame["lon"].round(4).tolist() == [round(10 + 0.01 * k, 4) for k in range(6)]


def test_a_device_time_wins_over_the_server_time_before_it(tmp_path):
    # a tracker log: 'server_time' is when the server got each record (30 s to hours
    # later), 'device_time' when the position was taken; a received time is a last resort
    # (a qualifier), whatever the column order
    leads = [f"860000000000001,{_stamp(10 * k + 7)},{_stamp(10 * k)}" for k in range(6)]
    res = _read(tmp_path, "imei,server_time,device_time,lat,lon", leads)
    assert _columns(res)["time"] == "device_time"
    assert _times(res) == _every_ten_minutes(6)


@pytest.mark.parametrize(
    "header,later",
    [
        # a wall-clock time (here UTC+2) before the UTC one: the UTC one is the time
        ("imei,Date Time Local,Date Time UTC,lat,lon", 120),
        ("imei,Date Time LT,Date Time UTC,lat,lon", 120),
        # Traccar's 'deviceTime' (the device's clock, 5 min late here) before 'fixTime', the
        # time of the position fix: the fix's is the time
        ("imei,deviceTime,fixTime,lat,lon", 5),
    ],
    ids=["local-before-utc", "lt-before-utc", "device-before-fix"],
)
def test_the_time_of_the_fix_in_utc_wins_over_another_clock_before_it(tmp_path, header, later):
    leads = [
        f"860000000000001,{_stamp(10 * k + later).rstrip('Z')},{_stamp(10 * k)}" for k in range(6)
    ]
    res = _read(tmp_path, header, leads)
    assert _columns(res)["time"] == header.split(",")[2]
    assert _times(res) == _every_ten_minutes(6)


@pytest.mark.parametrize("lat,lon", [("Latitude", "Longitude"), ("Y", "X")])
def test_a_known_latitude_name_is_trusted_and_its_bad_values_become_rejects(tmp_path, lat, lon):
    # 'Latitude' and 'Y' are whole known names (not the first of the table's): trusted, so
    # 19 rows of 'no fix' are per-record rejects beside the one position, not a refused header
    rows = [
        f"257000001,{_stamp(10 * k)},{f'{60 + 0.01 * k:.4f}' if k < 1 else 'no fix'},"
        f"{10 + 0.01 * k:.4f}"
        for k in range(20)
    ]
    res = read_tracks(_write(tmp_path / "t.csv", f"MMSI,time,{lat},{lon}", rows))
    assert _columns(res)["lat"] == lat
    assert (res.n_accepted, res.n_rejected) == (1, 19)


def test_two_pairs_written_to_three_decimals_110_m_apart_are_two_positions(tmp_path):
    # 'lat_corrected' is 0.001 degree (about 110 m) north of 'lat' on every row, both written
    # to three decimals: farther apart than one position written twice (about 20 m), so
    # which pair is the record's is the user's to say
    rows = [
        f"257000001,{_stamp(10 * k)},{60 + 0.01 * k:.3f},{10 + 0.01 * k:.3f},"
        f"{60.001 + 0.01 * k:.3f},{10 + 0.01 * k:.3f}"
        for k in range(6)
    ]
    header = "MMSI,time,lat,lon,lat_corrected,lon_corrected"
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs"):
        read_tracks(_write(tmp_path / "t.csv", header, rows))


# ---------------------------------------------------------------------- a ship's attribute as the time


@pytest.mark.parametrize("built", ["Year Built", "YEAR_BUILT"])
def test_the_year_a_vessel_was_built_is_never_the_time_of_its_pings(tmp_path, built):
    # a fleet list's positions: the ping's time is under 'Last Position Received (UTC)' (no
    # time word), and 'Year Built' (the short token 'year') was taken as the time: every
    # ping dated 1 January 1998 or 1999, most rejected as repeats, exit 0
    rows = [
        f"SHIP{v},{257000000 + v},{_stamp(10 * k)},{60 + 0.01 * k + v:.4f},{10 + 0.01 * k:.4f},"
        f"{1998 + v}"
        for v in range(2)
        for k in range(5)
    ]
    header = f"Vessel Name,MMSI,Last Position Received (UTC),Latitude,Longitude,{built}"
    res = read_tracks(_write(tmp_path / "t.csv", header, rows))
    assert _columns(res)["time"] == "Last Position Received (UTC)"
    assert res.n_accepted == 10
    for v in ("257000000", "257000001"):
        mine = res.frame.loc[res.frame["vessel_id"] == v, "time"]
        assert [t.replace(tzinfo=None) for t in mine] == _every_ten_minutes(5)


def test_an_mmsi_written_with_and_without_a_trailing_zero_decimal_is_one_vessel(tmp_path):
    # a spreadsheet export writes some ids as 257000001.0: the same vessel as 257000001,
    # so the MMSI repeats (two vessels of two pings) and is no per-row record id
    ids = ["257000001", "257000001.0", "257000002", "257000002.0"]
    res = _read(tmp_path, "MMSI,time,lat,lon", [f"{ids[k]},{_stamp(10 * k)}" for k in range(4)])
    assert _columns(res)["vessel_id"] == "MMSI"
    assert res.frame["vessel_id"].tolist() == ["257000001", "257000001", "257000002", "257000002"]


@pytest.mark.parametrize("created_first", [False, True], ids=["after", "before"])
def test_a_record_created_date_is_never_the_time_of_a_ping(tmp_path, created_first):
    # 'Created Date' (when the record was written, a day later) names a date and another
    # moment, before or after the ping's: the time is the column of dates whose header
    # names no other moment ('Position Received', found by its values)
    cells = [(_stamp(10 * k), _stamp(10 * k + 1440)) for k in range(6)]
    names = ["Position Received", "Created Date"]
    if created_first:
        cells, names = [(b, a) for a, b in cells], names[::-1]
    res = _read(
        tmp_path, f"MMSI,{','.join(names)},lat,lon", [f"257000001,{a},{b}" for a, b in cells]
    )
    assert _columns(res)["time"] == "Position Received"
    assert _times(res) == _every_ten_minutes(6)


def test_a_header_naming_the_vessel_outranks_a_bare_id_of_its_voyages(tmp_path):
    # 'id' (a whole known name) numbers each vessel's voyages (V17, V18 for one ship, V19
    # for the other), no counter of rows; 'vessel_name' names the moving thing and is the
    # vessel: read by 'id', one ship was two "vessels"
    lines = []
    for k in range(6):
        lines.append(f"V{17 + k // 3},ALPHA,{_stamp(10 * k)},{60 + 0.01 * k:.4f},10.0")
    for k in range(3):
        lines.append(f"V19,BRAVO,{_stamp(10 * k)},{61 + 0.01 * k:.4f},11.0")
    res = read_tracks(_write(tmp_path / "t.csv", "id,vessel_name,time,lat,lon", lines))
    assert _columns(res)["vessel_id"] == "vessel_name"
    assert res.frame.groupby("vessel_id").size().to_dict() == {"ALPHA": 6, "BRAVO": 3}


def test_a_column_of_mostly_numbers_is_no_latitude_found_by_its_values(tmp_path):
    # 'Sea state' holds 2..5 with 'calm' on 3 rows in 20 (85% numbers, under the 95% of a
    # column of numbers): no rival of 'A', the only numeric column within +-90 beside 'B'
    states = ["calm" if k % 7 == 0 else 2 + k % 4 for k in range(20)]
    res = _beside_unnamed_positions(tmp_path, "Sea state", states)
    assert res.n_accepted == 20
