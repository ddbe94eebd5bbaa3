"""Left alone on the 28th: a refusal told by its words, repeated headers with blank fields.

``decided_both_ways`` told the refusal of dates proving both day/month orders from the
others by a phrase of its message: reworded, a file joining two agencies' exports (each in
its own order) was refused instead of read by agency.  The refusal is now its own type,
:class:`~pipeline.errors.DatesDecideBothWays`.

The seizures reader took a record whose filled fields all name their columns (two at
least), some blank, for the header again (``repeated_header``); the tracks reader matched
only the whole header and rejected the same line as a record (``mmsi_invalid``,
``vessel_missing``).  Both now reject it as ``repeated_header`` (read = accepted + rejected),
whole and in chunks.
"""

from __future__ import annotations

import pytest
from _corpus import assert_accounted, write_text
from _ingest_stage import track_outcome

from pipeline.errors import DatesDecideBothWays, InputError
from pipeline.ingest import _dates as dates_module
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._dates import parse_times

# ------------------------------------------------------------------ dates proving both orders

# two agencies' exports joined: NCA's day-first, USCG's month-first, each with a date either
# order could read
AGENCIES = [
    ("NCA", "13/02/2021", "2021-02-13"),
    ("NCA", "04/05/2021", "2021-05-04"),
    ("USCG", "02/14/2021", "2021-02-14"),
    ("USCG", "04/06/2021", "2021-04-06"),
]


def _agencies_csv(tmp_path):
    lines = ["date,agency,lat,lon,commodity"]
    for i, (agency, written, _) in enumerate(AGENCIES):
        lines.append(f"{written},{agency},{1 + i / 10},{104 + i / 10},cocaine")
    return write_text(tmp_path, "joined.csv", "\n".join(lines) + "\n")


def test_dates_deciding_both_ways_are_refused_as_their_own_type():
    import pandas as pd

    values = pd.Series([w for _, w, _ in AGENCIES])
    with pytest.raises(DatesDecideBothWays, match="values decide both ways") as refused:
        parse_times(values, dayfirst=None, name="f.csv", column="date")
    assert isinstance(refused.value, InputError) and isinstance(refused.value, ValueError)
    assert dates_module.decided_both_ways(refused.value)
    # a message of the same words that is not the refusal is not it
    assert not dates_module.decided_both_ways(InputError(str(refused.value)))


@pytest.mark.parametrize("wording", ["as_written", "reworded"])
def test_agencies_dates_are_read_apart_however_the_refusal_is_worded(
    tmp_path, monkeypatch, wording
):
    # before: a reworded refusal left the joined file refused ('... decide both ways')
    if wording == "reworded":
        monkeypatch.setattr(
            dates_module,
            "order_undecided",
            lambda where, n, examples, n_day, n_month: f"{where}: {n} date(s) are ambiguous",
        )
    res = read_seizures(_agencies_csv(tmp_path))
    assert_accounted(res)
    assert res.assumptions["dates"]["order"] == "by agency"
    got = sorted(res.frame["time"].dt.strftime("%Y-%m-%d").tolist())
    assert got == sorted(meant for _, _, meant in AGENCIES)


# --------------------------------------------------------- a repeated header with blank fields

TRACK_HEAD = "time,latitude,longitude,sog,mmsi"
PINGS = [f"2023-01-01T00:{i}0:00Z,50.1{i},-1.2{i},5.0,23500000{i % 2 + 1}" for i in range(6)]
SEIZURE_HEAD = "date,lat,lon,commodity,agency"
SEIZURES = [f"2023-01-0{i + 1},1.{i},104.{i},cocaine,NCA" for i in range(6)]

# which fields of the header the line again leaves blank (by position), as a case's id
BLANKS = {
    "one_inside": (3,),
    "the_last": (4,),
    "all_but_two_ends": (1, 2, 3),
    "both_ends": (0, 3, 4),
}


def _again(head: str, blank: tuple[int, ...], quoted: bool = False) -> str:
    fields = head.split(",")
    return ",".join(
        "" if i in blank else (f'"{f.upper()}"' if quoted else f" {f} ")
        for i, f in enumerate(fields)
    )


@pytest.mark.parametrize("case", sorted(BLANKS))
def test_a_repeated_header_with_blank_fields_is_a_repeated_header_in_both_readers(tmp_path, case):
    # before: the tracks reader rejected it as 'mmsi_invalid' or 'vessel_missing', the
    # seizures reader as 'repeated_header'
    again = _again(TRACK_HEAD, BLANKS[case], quoted=case == "both_ends")
    path = write_text(
        tmp_path, "t.csv", "\n".join([TRACK_HEAD, *PINGS[:3], again, *PINGS[3:]]) + "\n"
    )
    res = read_tracks(path)
    assert_accounted(res)
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects[["row", "value"]].values.tolist() == [[5, again]]
    if case == "one_inside":  # in chunks alike, the cut at the line (one case: 1 s each)
        whole = track_outcome(path, "whole", 0, tmp_path / "w")
        assert track_outcome(path, "chunks", 3, tmp_path / "c")[:3] == whole[:3]

    again = _again(SEIZURE_HEAD, BLANKS[case], quoted=case == "both_ends")
    lines = [SEIZURE_HEAD, *SEIZURES[:3], again, *SEIZURES[3:]]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert_accounted(res)
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects["row"].tolist() == [5]


@pytest.mark.parametrize("line", ["only_delimiters", "one_name"])
def test_a_line_naming_fewer_than_two_columns_is_no_header_in_either_reader(tmp_path, line):
    fields = {"only_delimiters": (0, 1, 2, 3, 4), "one_name": (1, 2, 3, 4)}[line]
    again = _again(TRACK_HEAD, fields)
    path = write_text(
        tmp_path, "t.csv", "\n".join([TRACK_HEAD, *PINGS[:3], again, *PINGS[3:]]) + "\n"
    )
    res = read_tracks(path)
    assert_accounted(res)
    assert res.n_read == 7 and len(res.frame) == 6 and "repeated_header" not in res.by_rule
    again = _again(SEIZURE_HEAD, fields)
    lines = [SEIZURE_HEAD, *SEIZURES[:3], again, *SEIZURES[3:]]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert_accounted(res)
    assert res.n_read == 7 and len(res.frame) == 6 and "repeated_header" not in res.by_rule
