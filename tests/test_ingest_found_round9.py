"""Incident and track files in shapes real exports take, read wrongly before: round 9.

Each file is written to ``tmp_path`` in the shape its source writes it: a vessel-positions
API answer whose only recognisable date is the voyage's ``ETA`` (a position time header the
readers do not know, ``last_update``, beside it); a seizure table whose only date is when
the record was created.
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


# ------------------------------------------------ a time found by its values is the record's


def test_an_eta_is_never_the_position_time_found_by_values(tmp_path):
    # A vessel-positions answer: 'ETA' (the voyage's arrival, the same on every ping) came
    # first of the columns of dates and was taken as each ping's time when no header named
    # one: every ping of the voyage at its arrival, all but the first rejected as
    # duplicate_time, without a word on the ETA.
    text = (
        "mmsi,ETA,lat,lon,last_update\n"
        "257000001,2024-03-20T10:00:00Z,60.10,5.1,2024-03-15T10:00:00Z\n"
        "257000001,2024-03-20T10:00:00Z,60.12,5.1,2024-03-15T10:10:00Z\n"
        "257000001,2024-03-20T10:00:00Z,60.14,5.1,2024-03-15T10:20:00Z\n"
    )
    res = read_tracks(write_text(tmp_path, "positions.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == ["10:00", "10:10", "10:20"]
    assert res.assumptions["columns"]["time"]["column"] == "last_update"


def test_a_file_whose_only_dates_are_an_eta_is_refused_naming_it(tmp_path):
    text = "mmsi,eta,lat,lon\n257000001,2024-03-20T10:00:00Z,60.1,5.1\n" * 1
    text += "257000001,2024-03-20T10:00:00Z,60.12,5.1\n"
    with pytest.raises(InputError, match=r"no time column.*'eta'.*columns: \{time") as err:
        read_tracks(write_text(tmp_path, "eta.csv", text))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("header", ["created_at", "date_uploaded", "fecha_registro"])
def test_a_seizure_table_dated_only_when_its_records_were_kept_is_refused(tmp_path, header):
    # the record-keeping moment was taken for the event's date by its values, with a note
    text = (
        f"id,{header},lat,lon,type\n"
        "1,2024-03-20T10:00:00Z,1.5,104.2,Robbery\n2,2024-03-21T10:00:00Z,1.6,104.3,Robbery\n"
    )
    with pytest.raises(InputError, match=rf"no date column.*{header!r}.*columns: \{{time"):
        read_seizures(write_text(tmp_path, "kept.csv", text))
