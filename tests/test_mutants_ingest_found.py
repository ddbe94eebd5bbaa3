"""Gaps found by a hand mutation analysis of ingest's inference (hFB).

Each test here kills a mutant of the inference and refusal logic that the suite let live
(``_columns.py``: row counters, point numbers and constants as vessel ids; ``_dates.py``:
day/month order, two-digit years, offsets, epoch units; ``_common.py``: physical line
numbers; ``summary.py``: the reject ceiling).  Every expected value is computed
independently of the code under test (``datetime`` by hand, the file's own line numbers).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from _corpus import assert_times_read, write_lines

from pipeline.errors import AmbiguousDateOrder, DataQualityError, InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._dates import parse_times
from pipeline.ingest.summary import check_reject_rate


def _stamp(minutes: int) -> str:
    return (dt.datetime(2024, 3, 1) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:00Z")


# ---------------------------------------------------------------------- vessel ids


@pytest.mark.parametrize("first", [0, 1])
def test_a_point_number_from_0_or_1_beside_the_name_is_not_the_vessel_id(tmp_path, first):
    # GPX/ogr2ogr's track_seg_point_id counts from 0: only 1, 2, 3 ... was seen as a point
    # number, so 0, 1, 2 ... again for each ship was the vessel id (each n-th ping a "vessel")
    lines = ["id,name,time,lat,lon"]
    for v in range(2):
        for k in range(5):
            lines.append(
                f"{first + k},SHIP{v},{_stamp(60 * v + 10 * k)},{10 + v:.3f},{-60 + 0.001 * k:.4f}"
            )
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP0", "SHIP1"]
    assert res.assumptions["columns"]["vessel_id"]["column"] == "name"


def test_a_point_number_of_two_points_per_ship_is_not_the_vessel_id(tmp_path):
    # three ships of two pings each, 'id' 1, 2 again for each: read by 'id', the first ping of
    # every ship was one "vessel" and the second another
    lines = ["id,name,time,lat,lon"]
    for v in range(3):
        for k in range(2):
            lines.append(
                f"{k + 1},SHIP{v},{_stamp(60 * v + 10 * k)},{10 + v:.3f},{-60 + 0.001 * k:.4f}"
            )
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP0", "SHIP1", "SHIP2"]
    assert res.frame.groupby("vessel_id").size().tolist() == [2, 2, 2]


def test_vessels_polled_in_turn_with_one_missing_from_a_poll_keep_their_ids(tmp_path):
    # a radar's targets 1..4 polled five times, target 2 silent in one poll (1, 3 is a step of
    # 2): no row number, which steps by one or starts again; the one code column is the vessel
    lines = ["target,time,lat,lon"]
    for poll in range(5):
        for v in range(1, 5):
            if poll == 2 and v == 2:
                continue
            lat, lon = 10 + v + 0.01 * poll, -60 + 0.001 * poll
            lines.append(f"{v},{_stamp(10 * poll)},{lat:.3f},{lon:.4f}")
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["vessel_id"]["column"] == "target"
    sizes = res.frame.groupby("vessel_id").size()
    assert sizes.to_dict() == {"1": 5, "2": 4, "3": 5, "4": 5}


def test_a_row_number_starting_again_past_its_first_50000_rows_is_no_vessel_id(tmp_path):
    # two exports joined end to end, the first longer than the rows the order rules read:
    # 0, 1, 2, ... had not started again there, so '#' was the vessel id by its values
    # (each row number one "vessel" of one ping from each export, exit 0)
    first, second = 50_005, 10
    n = first + second
    k = list(range(first)) + list(range(second))
    minutes = pd.Series(range(n)) % 1440
    frame = pd.DataFrame(
        {
            "#": k,
            "time": (pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min")).dt.strftime(
                "%Y-%m-%dT%H:%M:00Z"
            ),
            "lat": 10 + (pd.Series(range(n)) % 1000) * 1e-4,
            "lon": -60.0,
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"'#' \(numbers the rows.*a row number"):
        read_tracks(tmp_path / "t.csv")


def _joined(path, header: str, first: int, status=None):
    """Two exports of six rows joined end to end, each numbering its rows from ``first``."""
    lines = [header]
    for day in range(2):
        for k in range(6):
            extra = f"{status(day, k)}," if status else ""
            t = f"2024-03-0{day + 1}T00:{10 * k:02d}:00Z"
            lines.append(f"{first + k},{extra}{t},{10 + 0.5 * day + 0.001 * k:.4f},-60.0")
    return write_lines(path, lines)


@pytest.mark.parametrize("header", ["#", "No.", "gid"])
def test_a_row_number_from_1_that_starts_again_is_no_vessel_id(tmp_path, header):
    # a '#' or 'No.' column counts 1, 2, 3, ...: only a count from 0 was tested
    with pytest.raises(InputError, match=r"refused: .*a row number"):
        read_tracks(_joined(tmp_path / "t.csv", f"{header},time,lat,lon", first=1))


def test_a_row_number_beside_a_text_that_mostly_follows_it_is_no_vessel_id(tmp_path):
    # the text beside the row number agrees with it on 10 of 12 rows (83%, under the 90% of a
    # vessel's own attribute): the number is no vessel's, and stays refused as a row number
    def status(day, k):
        return f"under way {k}" if k < 4 else f"{('moored', 'anchored')[day]} {k}"

    header = "#,status,time,lat,lon"
    with pytest.raises(InputError, match=r"refused: .*a row number"):
        read_tracks(_joined(tmp_path / "t.csv", header, first=0, status=status))


# ---------------------------------------------------------------------- dates

_UTC = dt.UTC


def _at(*args, offset_min: int = 0) -> pd.Timestamp:
    """The UTC instant of a wall-clock time at ``offset_min`` minutes east of UTC."""
    zone = dt.timezone(dt.timedelta(minutes=offset_min))
    return pd.Timestamp(dt.datetime(*args, tzinfo=zone).astimezone(_UTC))


def _epoch(seconds: int, nanos: int = 0) -> pd.Timestamp:
    when = dt.datetime(1970, 1, 1, tzinfo=_UTC) + dt.timedelta(seconds=seconds)
    return pd.Timestamp(when) + pd.Timedelta(nanoseconds=nanos)


_NAT = None
_READS = {
    # day-first proved by a first field > 12: '05/12' is 5 December, '12/05' 12 May
    "dayfirst-by-values": (
        ["25/01/2020", "05/12/2020", "12/05/2020"],
        [_at(2020, 1, 25), _at(2020, 12, 5), _at(2020, 5, 12)],
    ),
    # month-first proved by a second field > 12: '12/05' is 5 December, '05/12' 12 May
    "monthfirst-by-values": (
        ["01/25/2020", "05/12/2020", "12/05/2020"],
        [_at(2020, 1, 25), _at(2020, 5, 12), _at(2020, 12, 5)],
    ),
    # both orders proved and no value ambiguous: each read as written
    "mixed-orders-none-ambiguous": (
        ["25/01/2020", "01/25/2020", "07/07/2020"],
        [_at(2020, 1, 25), _at(2020, 1, 25), _at(2020, 7, 7)],
    ),
    # POSIX pivot: 69-99 are 19xx, 00-68 20xx (the column is day-first by '25/12/70')
    "two-digit-pivot": (
        ["01/02/68", "01/02/69", "25/12/70", "03/04/00"],
        [_at(2068, 2, 1), _at(1969, 2, 1), _at(1970, 12, 25), _at(2000, 4, 3)],
    ),
    # a first field of 31 is a day, not a year: 31 March 2025, 15 April 2025
    "dd-mm-yy-from-31": (["31-03-25", "15-04-25"], [_at(2025, 3, 31), _at(2025, 4, 15)]),
    # a first field of 00 is a year (yy-mm-dd)
    "yy-mm-dd-from-00": (["00-03-25", "00-11-30"], [_at(2000, 3, 25), _at(2000, 11, 30)]),
    # ISO with a slip: '2024-13-03' is rejected, not a reason to read the rest yyyy-dd-mm
    "iso-with-a-slip": (
        ["2024-13-03", "2024-03-25", "2024-03-05"],
        [_NAT, _at(2024, 3, 25), _at(2024, 3, 5)],
    ),
    "no-31-february": (["2024-02-30", "2024-02-29"], [_NAT, _at(2024, 2, 29)]),
    "offsets": (
        [
            "2024-03-01T10:00:00+05:30",
            "2024-03-01T10:00:00-08:00",
            "2024-03-01T10:00:00+14:00",
            "2024-03-01T10:00:00+15:00",
            "2024-03-01T10:00:00+05:60",
        ],
        [
            _at(2024, 3, 1, 10, offset_min=330),
            _at(2024, 3, 1, 10, offset_min=-480),
            _at(2024, 3, 1, 10, offset_min=840),
            _NAT,
            _NAT,
        ],
    ),
    "twelve-am-pm": (
        ["12/31/2020 12:05 AM", "12/31/2020 12:05 PM", "12/31/2020 1:05 PM"],
        [_at(2020, 12, 31, 0, 5), _at(2020, 12, 31, 12, 5), _at(2020, 12, 31, 13, 5)],
    ),
    "fraction-of-second": (
        ["2024-03-01T10:00:00.25Z", "2024-03-01T10:00:00.000001Z"],
        [
            _at(2024, 3, 1, 10) + pd.Timedelta(milliseconds=250),
            _at(2024, 3, 1, 10) + pd.Timedelta(microseconds=1),
        ],
    ),
    # epoch units by digit count: 9-11 seconds, 12-14 milliseconds, 15-17 microseconds
    "epoch-units": (
        [
            "999999999",
            "100000000000",
            "1709287200123",
            "100000000000000",
            "1709287200123456",
            "-100000000.5",
        ],
        [
            _epoch(999_999_999),
            _epoch(100_000_000),
            _epoch(1_709_287_200, 123_000_000),
            _epoch(100_000_000),
            _epoch(1_709_287_200, 123_456_000),
            _epoch(-100_000_001, 500_000_000),
        ],
    ),
    # twelve digits that spell no date of 1900-2100 (year 1500, 30 February) are epoch
    # milliseconds (each alone: one such value makes its whole column epoch time)
    "epoch-ms-not-compact-1500": (["150001011200"], [_epoch(150_001_011, 200_000_000)]),
    "epoch-ms-not-compact-feb30": (["200402300000"], [_epoch(200_402_300)]),
    "compact-yyyymmddhhmm": (["202402291430"], [_at(2024, 2, 29, 14, 30)]),
    "yyyymmdd": (["20240301", "20231231"], [_at(2024, 3, 1), _at(2023, 12, 31)]),
    "iso-week": (
        ["2020-W10", "2020-W53-7"],
        [
            pd.Timestamp(dt.date.fromisocalendar(2020, 10, 1), tz="UTC"),
            pd.Timestamp(dt.date.fromisocalendar(2020, 53, 7), tz="UTC"),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(_READS))
def test_dates_read_as_computed_by_hand(case):
    assert_times_read(*_READS[case], case)


def test_dayfirst_given_reads_a_contradicting_date_as_written():
    # dayfirst: true, and '01/25/2020' can only be 25 January: read so (noted), not rejected
    got = parse_times(pd.Series(["01/25/2020", "05/12/2020"]), dayfirst=True)
    assert got.times.tolist() == [_at(2020, 1, 25), _at(2020, 12, 5)]


@pytest.mark.parametrize(
    "values",
    [["12/05/2020", "11/12/2020"], ["03/04/2020", "05/06/2020"]],
    ids=["twelves", "slashes"],
)
def test_dates_no_value_decides_are_refused(values):
    # a field of 12 proves nothing (12 May or 5 December); slashes are no dotted convention
    with pytest.raises(AmbiguousDateOrder, match="no value decides"):
        parse_times(pd.Series(values))


def test_five_digit_numbers_are_named_as_excel_serials():
    got = parse_times(pd.Series(["43831", "43832"]), name="s.csv", column="date")
    assert got.unparseable.all()
    assert any("Excel serial day numbers" in n for n in got.notes), got.notes


def test_dotted_dates_proving_both_orders_are_refused_not_read_by_convention():
    # dotted dates are day-first by convention only where no value proves month-first
    values = ["25.01.2020", "01.25.2020", "03.04.2020"]
    with pytest.raises(InputError, match=r"values decide both ways \(1 day-first, 1 month-first\)"):
        parse_times(pd.Series(values))


# ---------------------------------------------------------------------- positions, codes


def test_a_repeating_free_text_mostly_of_one_word_is_no_vessel_id(tmp_path):
    # 'remarks' repeats and 7 of 10 values are one word: a column of codes needs 95% of them
    # to be codes, else a note is read as the vessel (here: every remark one "vessel")
    words = ["OK", "OK", "late", "OK", "no signal after 10:00", "late", "OK", "see log", "OK"]
    words += ["lost fix near port"]
    lines = ["remarks,time,lat,lon"]
    lines += [f"{w},{_stamp(10 * k)},{10 + 0.01 * k:.3f},-60.0" for k, w in enumerate(words)]
    with pytest.raises(InputError, match="no vessel id column"):
        read_tracks(write_lines(tmp_path / "t.csv", lines))


def test_a_file_mostly_swapped_says_so_in_a_note(tmp_path):
    # 7 of 10 records have the latitude beyond 90 and the longitude within it: the columns are
    # swapped for most of the file, which a note says beside the rejects
    lines = ["date,lat,lon,drug"]
    for k in range(10):
        lat, lon = (120.0 + k, 10.0 + k) if k < 7 else (10.0 + k, 120.0 + k)
        lines.append(f"2024-03-{k + 1:02d},{lat},{lon},cocaine")
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of="2026-11-30")
    assert res.by_rule.get("latlon_swapped") == 7
    assert res.n_read == res.n_accepted + res.n_rejected == 10
    assert any(
        "7 of 10 records have latitude and longitude evidently swapped" in n for n in res.notes
    )


def test_two_digit_years_mixing_year_first_and_day_first_are_refused():
    # '98-03-25' is year-first, '25-03-1998' day-first, and '05-03-10' could be either
    with pytest.raises(InputError, match=r"mixes year-first \(yy-mm-dd\) and day/month-first"):
        parse_times(pd.Series(["98-03-25", "25-03-1998", "05-03-10"]))


def test_year_day_month_dates_with_some_either_way_are_refused():
    # '2024-15-03' is 15 March written yyyy-dd-mm; '2024-05-03' is 5 March or 3 May
    with pytest.raises(InputError, match="look written year-day-month"):
        parse_times(pd.Series(["2024-15-03", "2024-05-03"]))


def test_a_record_id_of_three_rows_is_no_vessel_id_beside_the_name(tmp_path):
    # 'id' differs on each of 3 rows (a record id): the ship is 'name', one vessel of 3 pings
    lines = ["id,name,time,lat,lon"]
    lines += [f"{101 + k},SHIPA,{_stamp(10 * k)},{10 + 0.01 * k:.3f},-60.0" for k in range(3)]
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.frame["vessel_id"].tolist() == ["SHIPA"] * 3


def test_an_mmsi_repeated_once_among_others_is_the_vessel_id(tmp_path):
    # four pings of three vessels: one repeat is enough to be no per-row record id
    lines = ["mmsi,time,lat,lon"]
    for k, mmsi in enumerate(["257123450", "257123460", "257123470", "257123470"]):
        lines.append(f"{mmsi},{_stamp(10 * k)},{10 + 0.01 * k:.3f},-60.0")
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.frame.groupby("vessel_id").size().to_dict() == {
        "257123450": 1,
        "257123460": 1,
        "257123470": 2,
    }


def test_the_ais_utc_second_of_60_to_63_is_not_the_time_either(tmp_path):
    # 60-63 mean 'not available' and positioning modes: the column is still no epoch time
    lines = ["mmsi,received_at,timestamp,lat,lon"]
    for k, sec in enumerate([5, 60, 63, 12]):
        lines.append(f"257000001,{_stamp(60 * k)},{sec},60.0,{5 + 0.1 * k:.1f}")
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["time"]["column"] == "received_at"
    assert res.frame["time"].tolist() == [_at(2024, 3, 1, k) for k in range(4)]


def test_a_message_code_unique_per_row_is_no_rival_to_the_target(tmp_path):
    # 'msg' differs on every row: no code that repeats, so 'target' is still the one column
    # of codes whose values repeat (read as a rival, the file was refused)
    lines = ["target,msg,time,lat,lon"]
    for poll in range(3):
        for v in range(1, 4):
            if (poll, v) == (1, 2):  # silent in one poll: no row number
                continue
            lat = 10 + v + 0.01 * poll
            lines.append(f"{v},M{poll}{v}X,{_stamp(10 * poll)},{lat:.3f},-60.0")
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["vessel_id"]["column"] == "target"
    assert res.frame.groupby("vessel_id").size().to_dict() == {"1": 3, "2": 2, "3": 3}


def test_tracks_a_fifth_of_which_name_two_ships_are_not_cut_per_voyage(tmp_path):
    # 5 ships of 2 tracks each, 2 of the 10 tracks also holding another ship's pings: more
    # than the few (5%) a renamed ship explains, so the tracks are not read as nested in
    # the ships and the track id stays the id
    lines = ["track_id,vessel_name,time,lat,lon"]
    k = 0
    for v in range(5):
        for t in range(2):
            track = 10 * v + t
            names = [f"SHIP {v}"] * 3
            if track in (0, 10):
                names[2] = f"SHIP {v + 1}"
            for j, name in enumerate(names):
                lines.append(
                    f"{track},{name},{_stamp(k)},{10 + 0.5 * track:.3f},{-60 + 0.001 * j:.4f}"
                )
                k += 10
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["vessel_id"]["column"] == "track_id"


def _seizure_file(path, header: str, rows: list[str]):
    lines = [header] + [
        f"{r},{10 + 0.1 * k:.1f},{-60 - 0.1 * k:.1f},cocaine" for k, r in enumerate(rows)
    ]
    return write_lines(path, lines)


def test_a_date_header_over_no_dates_gives_way_to_a_column_of_dates(tmp_path):
    # 'date_text' holds no date at all (a free-text field): the column whose values are
    # dates is the records' time, not 'date_text' with every record rejected
    rows = [f"pending review,2024-03-{k + 1:02d}" for k in range(6)]
    header = "date_text,col_b,lat,lon,drug"
    res = read_seizures(_seizure_file(tmp_path / "s.csv", header, rows), as_of="2026-11-30")
    assert res.assumptions["columns"]["time"]["column"] == "col_b"
    assert res.frame["time"].tolist() == [_at(2024, 3, k + 1) for k in range(6)]


def test_a_column_of_some_dates_and_no_time_header_is_not_taken_as_the_time(tmp_path):
    # no header names a time, and 6 of 10 values of 'col_b' are dates: too few (80% needed)
    # to take it by its values; the file is refused, naming it, not read with 4 rejects
    rows = [f"2024-03-{k + 1:02d}" if k < 6 else "unknown" for k in range(10)]
    with pytest.raises(InputError, match="no date column found"):
        read_seizures(
            _seizure_file(tmp_path / "s.csv", "col_b,lat,lon,drug", rows), as_of="2026-11-30"
        )


# ---------------------------------------------------------------------- physical lines


def _line_of(text: str, marker: str) -> int:
    """The 1-based physical line of ``text`` holding ``marker`` (once)."""
    hits = [i + 1 for i, line in enumerate(text.split("\n")) if marker in line]
    assert len(hits) == 1, hits
    return hits[0]


_GOOD = "2024-03-0{d},10.{d},-60.{d},cocaine"
_SHAPES = {
    "plain": [
        "date,lat,lon,drug",
        _GOOD.format(d=1),
        "2024-02-30,10.5,-60.5,cocaine",
        _GOOD.format(d=3),
    ],
    "blank-and-quoted-lines": [
        "date,lat,lon,drug,note",
        _GOOD.format(d=1) + ",",
        "",
        _GOOD.format(d=2) + ',"first line',
        'second line"',
        "",
        "2024-02-30,10.5,-60.5,cocaine,",
        _GOOD.format(d=4) + ",",
    ],
    "sep-line": ["sep=,", "date,lat,lon,drug", _GOOD.format(d=1), "2024-02-30,10.5,-60.5,cocaine"],
    # no header line: longitudes beyond 90 tell the coordinates apart by their values
    "no-header": [f"2024-03-0{d},10.{d},-120.{d},cocaine" for d in (1, 2, 3, 4)]
    + ["2024-02-30,10.5,-120.5,cocaine"],
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_a_reject_names_its_physical_line_and_every_record_is_counted(tmp_path, shape):
    text = "\n".join(_SHAPES[shape]) + "\n"
    path = tmp_path / "s.csv"
    path.write_text(text)
    res = read_seizures(path, as_of="2026-11-30")
    # 30 February: a date the calendar lacks, rejected where the file holds it
    bad = res.rejects[res.rejects["rule"] == "date_unparseable"]
    assert bad["row"].tolist() == [_line_of(text, "2024-02-30")]
    assert bad["value"].tolist() == ["2024-02-30"]
    assert bad["source_file"].tolist() == ["s.csv"]
    assert res.n_read == res.n_accepted + res.n_rejected
    assert res.n_rejected == len(res.rejects) == 1


# ---------------------------------------------------------------------- time columns


def test_an_mmsi_is_not_taken_for_epoch_seconds_when_no_header_names_the_time(tmp_path):
    # no header names a time: by their values alone, nine-digit MMSIs would be epoch seconds
    # of 1978; the column of dates beside them is the time
    lines = ["mmsi,col_b,lat,lon"]
    lines += [f"257000001,{_stamp(60 * k)},60.0,{5 + 0.1 * k:.1f}" for k in range(4)]
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["time"]["column"] == "col_b"
    assert res.frame["time"].tolist() == [_at(2024, 3, 1, k) for k in range(4)]


def test_a_year_column_is_not_passed_over_for_a_column_of_few_dates(tmp_path):
    # 'year' gives years; 'date_note' beside it is a date on 1 record of 4 (a remark
    # otherwise): preferred over the years only if at least half of it is dates
    notes = ["2023-05-01", "unknown", "unknown", "see report"]
    rows = [f"{2023 - k},{n}" for k, n in enumerate(notes)]
    header = "year,date_note,lat,lon,drug"
    res = read_seizures(_seizure_file(tmp_path / "s.csv", header, rows), as_of="2026-11-30")
    assert res.assumptions["columns"]["time"]["column"] == "year"
    assert res.frame["time"].tolist() == [_at(2023 - k, 1, 1) for k in range(4)]


def test_an_offset_beyond_14_hours_leaves_the_local_time_unplaced(tmp_path):
    # UTC offsets run -12..+14 h: '+15:00' is no offset, and the record is rejected, not moved
    lines = ["lat,lon,drug,date,utc_offset"]
    lines += [f"10.5,-61.2,cocaine,2021-03-05 10:00,{z}" for z in ("+14:00", "+15:00", "-12:00")]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of="2026-11-30")
    assert res.frame["time"].tolist() == [
        _at(2021, 3, 5, 10, offset_min=14 * 60),
        _at(2021, 3, 5, 10, offset_min=-12 * 60),
    ]
    assert res.rejects[["row", "rule"]].to_dict("records") == [
        {"row": 3, "rule": "time_zone_unknown"}
    ]


def test_a_pair_is_swapped_only_where_the_other_reading_is_a_position(tmp_path):
    # (120, 10) read swapped is (10, 120); (120, 150) is no position either way; '10.5E,
    # 61.2N' carries the other axis' letters: each record is rejected by its own rule
    lines = ["date,lat,lon,drug"]
    pairs = ["120.0,150.0", "120.0,10.0", "10.5E,61.2N", "10.5N,61.2W"]
    lines += [f"2024-03-0{k + 1},{p},cocaine" for k, p in enumerate(pairs)]
    text = "\n".join(lines) + "\n"
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of="2026-11-30")
    assert res.rejects[["row", "rule"]].to_dict("records") == [
        {"row": _line_of(text, "120.0,150.0"), "rule": "lat_out_of_range"},
        {"row": _line_of(text, "120.0,10.0"), "rule": "latlon_swapped"},
        {"row": _line_of(text, "10.5E"), "rule": "latlon_swapped"},
    ]
    assert res.n_accepted == 1


def test_the_reject_ceiling_holds_a_rate_equal_to_it(tmp_path):
    # 1 of 10 records rejected is a rate of 0.1: within max_reject_rate 0.1, above 0.09
    rows = [f"2024-03-{k + 1:02d}" for k in range(9)] + ["2024-02-30"]
    res = read_seizures(
        _seizure_file(tmp_path / "s.csv", "date,lat,lon,drug", rows), as_of="2026-11-30"
    )
    assert (res.n_read, res.n_rejected) == (10, 1)
    check_reject_rate(res, 0.1)
    with pytest.raises(DataQualityError, match=r"1 of 10 records in scope rejected"):
        check_reject_rate(res, 0.09)


@pytest.mark.parametrize(
    ("stamps", "clocks"),
    [(["2023", "2023", "1730", "2245"], False), (["2023", "1815", "1730", "2245"], True)],
    ids=["half-years", "one-year"],
)
def test_four_digit_stamps_are_years_where_half_are_their_rows_years(tmp_path, stamps, clocks):
    # beside dates of 2023, 'Time stamp' values that are all also years: years where at
    # least half are their own row's year (2 of 4 here), else HHMM clocks of the evening
    lines = ["Date,Time stamp,lat,lon,drug"]
    lines += [f"2023-03-1{k},{s},10.5,-61.2,cocaine" for k, s in enumerate(stamps)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of="2026-11-30")
    times = res.frame["time"].dt.strftime("%H:%M").tolist()
    if clocks:
        assert times == ["20:23", "18:15", "17:30", "22:45"]
    else:
        assert times == ["00:00"] * 4


def test_a_column_of_some_clocks_and_no_clock_header_is_not_the_time_of_day(tmp_path):
    # 'col_c' holds times of day on 6 records of 10 (the rest remarks): too few (90%) to be
    # the clock by its values alone; the dates keep their day
    marks = [f"1{k}:30" if k < 6 else "see log" for k in range(10)]
    lines = ["date,col_c,lat,lon,drug"]
    lines += [f"2023-03-1{k},{m},10.5,-61.2,cocaine" for k, m in enumerate(marks)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of="2026-11-30")
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == ["00:00"] * 10


def test_a_clock_header_not_known_whole_needs_most_values_to_be_clocks(tmp_path):
    # 'hora' (a token, not a known whole name) over 6 clocks in 10: not added to the dates
    # (80% needed); a known 'time' header over the same values is the clock (50%)
    marks = [f"1{k}:30" if k < 6 else "see log" for k in range(10)]
    for header, hours in (("hora", ["00"] * 10), ("time", [f"1{k}" for k in range(6)])):
        lines = [f"date,{header},lat,lon,drug"]
        lines += [f"2023-03-1{k},{m},10.5,-61.2,cocaine" for k, m in enumerate(marks)]
        res = read_seizures(write_lines(tmp_path / f"{header}.csv", lines), as_of="2026-11-30")
        assert res.frame["time"].dt.strftime("%H").tolist()[: len(hours)] == hours, header


def test_a_column_of_yyyymmdd_numbers_with_one_bare_year_keeps_the_time(tmp_path):
    # a typed 'date' of yyyymmdd integers and one 2023 (a year alone) is no column of years:
    # it stays the time rather than passed over for 'date_2' (whose days differ)
    frame = pd.DataFrame(
        {
            "date": [2023, 20240302, 20240303],
            "date_2": ["2023-05-01", "2024-03-12", "2024-03-13"],
            "lat": 10.5,
            "lon": -61.2,
            "drug": "cocaine",
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    res = read_seizures(tmp_path / "s.parquet", as_of="2026-11-30")
    assert res.assumptions["columns"]["time"]["column"] == "date"
    assert res.frame["time"].tolist() == [_at(2023, 1, 1), _at(2024, 3, 2), _at(2024, 3, 3)]


def test_a_latitude_named_column_of_values_beyond_90_is_no_rival_pair(tmp_path):
    # 'lat_corrected' of 120-150 holds no latitude: taken as a second pair (a limit of 180 for
    # both axes), the file was refused as two positions to choose between
    lines = ["mmsi,time,lat,lon,lat_corrected,lon_corrected"]
    for v in range(3):
        for k in range(6):
            lines.append(
                f"{235000000 + v},{_stamp(60 * v + 10 * k)},{50 + 0.01 * k:.3f},"
                f"{-1.0 + 0.01 * v:.3f},{120 + 5 * k + v},{-1.0 + 0.01 * v:.3f}"
            )
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["lat"]["column"] == "lat"
    assert res.frame["lat"].between(50.0, 50.06).all()
