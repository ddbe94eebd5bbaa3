"""Review of real exports as an analyst meets them (pirate attacks, AIS, their re-saves).

A clock whose header says local time in one of the languages whose time headers are read
(French ``Heure locale``, German ``Ortszeit``, Italian ``Ora locale``, Dutch ``Lokale
tijd``, Russian ``Местное время``, Polish ``Czas lokalny``, Greek ``Τοπική ώρα``, Turkish
``Yerel saat``, Arabic ``التوقيت المحلي``, Chinese ``当地时间``, Japanese ``現地時刻``,
Indonesian ``Waktu setempat``, Malay ``Jam tempatan``) was taken for UTC: IMB and ReCAAP
reports give local times, and a Jakarta clock of 02:34 (UTC+7) was kept as 02:34 UTC, the
day before's 19:34 UTC in truth, without a word but '20 without zone taken as UTC'. Only
English and Spanish/Portuguese (``local``, ``LT``) were refused. Such a header now says
local time as ``Local time`` does: refused without a zone, placed by an offset column.
"""

from __future__ import annotations

import pytest
from _corpus import write_lines

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks

LOCAL_HEADERS = {
    "french": "Heure locale",
    "german": "Ortszeit",
    "german_compound": "Lokalzeit",
    "german_bracket": "Uhrzeit (lokal)",
    "italian": "Ora locale",
    "dutch": "Lokale tijd",
    "russian": "Местное время",
    "ukrainian": "Місцевий час",
    "polish": "Czas lokalny",
    "greek": "Τοπική ώρα",
    "turkish": "Yerel saat",
    "arabic": "التوقيت المحلي",
    "chinese": "当地时间",
    "japanese": "現地時刻",
    "indonesian": "Waktu setempat",
    "malay": "Jam tempatan",
}


def _clock_rows(header: str, offset: str | None = None) -> list[str]:
    head = f"date,{header},lat,lon" + (",utc_offset" if offset else "")
    rows = [
        f"2024-01-{d:02d},{(d * 5) % 24:02d}:{(d * 13) % 60:02d},1.{d},104.{d}"
        + (f",{offset}" if offset else "")
        for d in range(1, 13)
    ]
    return [head, *rows]


@pytest.mark.parametrize("header", list(LOCAL_HEADERS.values()), ids=list(LOCAL_HEADERS))
def test_a_clock_whose_header_says_local_time_in_any_read_language_is_not_utc(tmp_path, header):
    path = write_lines(tmp_path / "incidents.csv", _clock_rows(header))
    with pytest.raises(InputError, match="says local time"):
        read_seizures(path)


@pytest.mark.parametrize("header", ["Heure locale", "当地时间"], ids=["french", "chinese"])
def test_a_local_clock_beside_an_offset_column_is_placed_by_it(tmp_path, header):
    path = write_lines(tmp_path / "incidents.csv", _clock_rows(header, "+07:00"))
    res = read_seizures(path)
    # 2024-01-01 05:13 at UTC+7 is 2024-12-31 22:13 UTC
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").iloc[0] == "2023-12-31 22:13"


def test_a_track_whose_clock_header_says_local_time_in_german_is_refused(tmp_path):
    lines = ["MMSI,Datum,Ortszeit,Breite,Länge"] + [
        f"257000001,05.03.2024,10:{m:02d}:00,59.{m:02d},10.{m:02d}" for m in range(10, 30)
    ]
    path = write_lines(tmp_path / "ais.csv", lines)
    with pytest.raises(InputError, match="says local time"):
        read_tracks(path)


@pytest.mark.parametrize(
    "header", ["Heure UTC", "Uhrzeit", "Hora", "Time of incident"], ids=["utc", "de", "es", "en"]
)
def test_a_clock_header_saying_no_local_time_is_still_read_as_utc(tmp_path, header):
    res = read_seizures(write_lines(tmp_path / "incidents.csv", _clock_rows(header)))
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").iloc[0] == "2024-01-01 05:13"
