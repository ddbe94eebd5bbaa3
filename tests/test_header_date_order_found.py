"""A date header that spells its layout (``Date (dd/mm/yyyy)``) decides the day/month order.

Spreadsheets kept by hand often say the layout in the header.  A column of dates that could
be either (``05/03/2024``) was refused as undecided although the header said which; it is now
read in the header's order, said in the notes and assumptions (``order_by: header``), and a
date the header's order cannot read (``03/25/2024`` under ``dd/mm/yyyy``) refuses the file
in one line: the header or the date is wrong, and which is not known.  A config's
``dayfirst`` still wins.  Read whole or in chunks, a file gives the same answer (the first
chunk's order keeps the header's refusal for the later chunks).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_ingest_stream import _assert_same, _both

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._dates import header_date_order
from pipeline.ingest.options import SeizureSource
from pipeline.ingest.stream import spill_tracks


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("Date (dd/mm/yyyy)", (True, "dd/mm/yyyy")),
        ("date_dd-mm-yy", (True, "dd-mm-yy")),
        ("Date (jj/mm/aaaa)", (True, "jj/mm/aaaa")),
        ("Datum (TT.MM.JJJJ)", (True, "TT.MM.JJJJ")),
        ("Data (gg/mm/aaaa)", (True, "gg/mm/aaaa")),
        ("Fecha (dd/mm/aaaa hh:mm)", (True, "dd/mm/aaaa")),
        ("Date (MM/DD/YYYY)", (False, "MM/DD/YYYY")),
        ("date m/d/yy", (False, "m/d/yy")),
        ("Date (yyyy-mm-dd)", None),
        ("timestamp", None),
        ("admdd/mm/yyyy", None),
    ],
    ids=lambda v: str(v).replace(" ", "_") if isinstance(v, str) else None,
)
def test_the_layouts_headers_spell(header, said):
    assert header_date_order(header) == said


def _seizures(tmp_path: Path, header: str, dates: list[str], **kw):
    path = tmp_path / "s.csv"
    path.write_text(
        f"{header},lat,lon,commodity\n" + "".join(f"{d},10.5,20.5,cocaine\n" for d in dates)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_seizures(SeizureSource(path=path, **kw))


@pytest.mark.parametrize(
    ("header", "days"),
    [
        ("Date (dd/mm/yyyy)", ["2024-03-05", "2024-03-06"]),
        ("Date (mm/dd/yyyy)", ["2024-05-03", "2024-06-03"]),
    ],
    ids=["day-first", "month-first"],
)
def test_dates_that_could_be_either_are_read_in_the_headers_order(tmp_path, header, days):
    res = _seizures(tmp_path, header, ["05/03/2024", "06/03/2024"])
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == days
    assert any("decided by header" in n for n in res.notes)


def test_without_a_layout_in_the_header_they_are_still_refused(tmp_path):
    with pytest.raises(InputError, match="no value decides"):
        _seizures(tmp_path, "Date", ["05/03/2024", "06/03/2024"])


def test_a_date_the_headers_order_cannot_read_refuses_the_file(tmp_path):
    with pytest.raises(InputError, match=r"header spells a day-first layout.*'03/25/2024'"):
        _seizures(tmp_path, "Date (dd/mm/yyyy)", ["05/03/2024", "03/25/2024"])


def test_the_configs_dayfirst_wins_over_the_header(tmp_path):
    res = _seizures(tmp_path, "Date (dd/mm/yyyy)", ["05/03/2024", "13/03/2024"], dayfirst=False)
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-03", "2024-03-13"]
    assert any("contradict dayfirst=False" in n for n in res.notes)


def _track_file(path: Path, late: str | None) -> Path:
    # 4,000 pings five minutes apart from 1 March: the first chunks hold days 1-12 only
    t0 = pd.Timestamp("2024-03-01")
    rows = [
        f"{257000000 + k % 7},{t0 + pd.Timedelta(minutes=5 * k):%d/%m/%Y %H:%M:%S},"
        f"{60 + k * 1e-4:.5f},5.0,5"
        for k in range(4000)
    ]
    if late:
        rows.append(f"257000001,{late},60.5,5.0,5")
    path.write_text("mmsi,Timestamp (dd/mm/yyyy hh:mm:ss),lat,lon,sog\n" + "\n".join(rows) + "\n")
    return path


def test_a_track_file_read_in_chunks_reads_as_whole_by_its_header(tmp_path):
    whole, spill, store = _both(_track_file(tmp_path / "t.csv", None), tmp_path, chunk_rows=1000)
    assert whole.frame["time"].max() == pd.Timestamp("2024-03-14 21:15", tz="UTC")
    _assert_same(whole, spill, store, tmp_path)


def test_a_late_date_against_the_header_refuses_the_file_whole_or_in_chunks(tmp_path):
    src = _track_file(tmp_path / "t.csv", "03/25/2024 10:00:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match="header spells a day-first layout") as whole:
            read_tracks(src)
        with pytest.raises(InputError, match="header spells a day-first layout") as chunked:
            spill_tracks(src, tmp_path / "spill", chunk_rows=1000)
    assert str(whole.value) == str(chunked.value)
