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

import warnings

import pandas as pd
import pytest
from _corpus import write_lines

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks

LOCAL_HEADERS = {
    "french": "Heure locale",
    "german": "Ortszeit",
    "german_bracket": "Uhrzeit (lokal)",
    "russian": "Местное время",
    "turkish": "Yerel saat",
    "chinese": "当地时间",
    "indonesian": "Waktu setempat",
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


# ---------------------------------------------------------------------- hemisphere columns
#
# A GPS logger's CSV (Qstarz's ``LATITUDE,N/S,LONGITUDE,E/W``) or an NMEA sentence dumped by
# pynmea2 (``lat,lat_dir,lon,lon_dir``) writes unsigned degrees and the hemisphere beside
# them. A seizure file composes the two; a track file read the degrees alone: a ship
# crossing the equator off Gabon (0.019 S, 0.024 W) was kept at 0.019 N, 0.024 E, its track
# folded back on itself, without a note.


def _track_with_hemispheres(header: str) -> list[str]:
    rows = [header]
    for i in range(40):
        lat, lon = 0.02 - i * 0.001, 0.015 - i * 0.001
        rows.append(
            f"2024-03-05 10:{i:02d}:00,257000001,{abs(lat):.4f},{'N' if lat >= 0 else 'S'},"
            f"{abs(lon):.4f},{'E' if lon >= 0 else 'W'}"
        )
    return rows


@pytest.mark.parametrize(
    "header",
    [
        "timestamp,mmsi,lat,lat_dir,lon,lon_dir",
        "Time,MMSI,LATITUDE,N/S,LONGITUDE,E/W",
        "Time,MMSI,Latitude,Hemisphere,Longitude,Hemisphere",
    ],
    ids=["pynmea2", "qstarz", "repeated_header"],
)
def test_a_track_files_hemisphere_columns_give_its_signs(tmp_path, header):
    res = read_tracks(write_lines(tmp_path / "log.csv", _track_with_hemispheres(header)))
    assert res.n_rejected == 0
    last = res.frame.iloc[-1]
    assert (last["lat"], last["lon"]) == (-0.019, -0.024)
    first = res.frame.iloc[0]
    assert (first["lat"], first["lon"]) == (0.02, 0.015)
    assert any("composed from" in n and "hemisphere" in n for n in res.notes)


def test_a_track_ping_whose_hemisphere_is_blank_is_rejected_not_put_north(tmp_path):
    rows = _track_with_hemispheres("timestamp,mmsi,lat,lat_dir,lon,lon_dir")
    rows[30] = rows[30].replace(",S,", ",,")  # line 31: 0.009 with no N or S
    res = read_tracks(write_lines(tmp_path / "log.csv", rows))
    bad = res.rejects[res.rejects["rule"] == "coord_missing"]
    assert bad["row"].tolist() == [31] and bad["column"].tolist() == ["lat_dir"]
    assert len(res.frame) + res.n_rejected == 40


def test_a_track_read_in_chunks_composes_every_chunk(tmp_path):
    """Later chunks read only the columns the first chunk's layout uses: its hemispheres too."""
    rows = ["t,mmsi,lat,NS,lon,EW"]
    t0 = pd.Timestamp("2024-03-05T10:00:00Z")
    for i in range(3000):  # about 110 kB: two chunks of 64 kB at least
        lat, lon = 0.3 - i * 0.0002, 0.2 - i * 0.0002
        t = (t0 + pd.Timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(
            f"{t},257000001,{abs(lat):.4f},{'N' if lat >= 0 else 'S'},"
            f"{abs(lon):.4f},{'E' if lon >= 0 else 'W'}"
        )
    path = write_lines(tmp_path / "log.csv", rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(str(path), tmp_path / "spill", chunk_rows=1000)
    pings = PingStore([spill], root=tmp_path / "spill").to_frame()
    assert spill.n_rejected == 0 and len(pings) == 3000
    assert (pings["lat"].min(), pings["lon"].min()) == (-0.2998, -0.3998)
    assert (pings["lat"].max(), pings["lon"].max()) == (0.3, 0.2)


def _seizures_with_two_hemisphere_columns(second: str) -> list[str]:
    rows = ["Date,Lat,Lat Hem,Lon,Lon Hem,Hem"]
    for d in range(1, 13):
        ns = "S" if d % 2 else "N"
        other = {"same": ns, "differ": "N", "blank": ""}[second]
        rows.append(f"2024-01-{d:02d},{d / 10 + 0.5:.3f},{ns},{100 + d / 10:.3f},E,{other}")
    return rows


def test_two_hemisphere_columns_that_disagree_are_refused_not_both_ignored(tmp_path):
    """'Lat Hem' and 'Hem' both held N/S beside 'Lat': neither was used, every S lost."""
    path = write_lines(tmp_path / "s.csv", _seizures_with_two_hemisphere_columns("differ"))
    with pytest.raises(InputError, match=r"'Lat Hem'.*'Hem'.*hemisphere"):
        read_seizures(path)


@pytest.mark.parametrize("second", ["same", "blank"])
def test_two_hemisphere_columns_that_agree_give_the_sign(tmp_path, second):
    path = write_lines(tmp_path / "s.csv", _seizures_with_two_hemisphere_columns(second))
    res = read_seizures(path)
    assert res.frame["lat"].tolist()[:2] == [-0.6, 0.7]


# ---------------------------------------------------------------------- daylight saving


def test_a_local_time_a_zone_column_repeats_is_rejected_saying_so(tmp_path):
    """02:30 on 2016-10-30 happens twice in Europe/Oslo: the reject said 'Europe/Oslo' was
    'not an offset (+02:00) or a zone (Europe/Oslo)'."""
    lines = ["mmsi,local_time,timezone,lat,lon"] + [
        f"257000001,30.10.2016 {t},Europe/Oslo,59.0{i},10.5{i}"
        for i, t in enumerate(["01:10:00", "01:50:00", "02:30:00", "03:10:00", "03:50:00"])
    ]
    res = read_tracks(write_lines(tmp_path / "dst.csv", lines))
    assert res.by_rule == {"time_zone_unknown": 1}
    rej = res.rejects.iloc[0]
    assert (rej["row"], rej["value"]) == (4, "Europe/Oslo")
    assert "daylight-saving change skips or repeats" in rej["message"]
    # 01:50 CEST is 23:50 UTC, 03:10 CET 02:10 UTC
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == ["23:10", "23:50", "02:10", "02:50"]


# ---------------------------------------------------------------------- placeholder dates


@pytest.mark.parametrize(
    "day",
    ["1899-12-30", "01/01/1900", "1970-01-01 00:00:00"],
    ids=["excel_day_0", "excel_day_1_dmy", "unix_epoch"],
)
def test_a_day_zero_far_before_the_other_records_is_a_placeholder(tmp_path, day):
    """A database's or spreadsheet's empty date (Excel's 1899-12-30, the Unix epoch) was kept
    as a seizure of that day: the emerging hot-spot cube then ran monthly from 1899."""
    lines = ["Date,Lat,Lon"] + [f"2021-03-{d:02d},1.2,104.{d}" for d in range(10, 28)]
    lines.insert(5, f"{day},1.3,104.5")  # line 6
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == {"date_placeholder": 1}
    assert res.rejects["row"].tolist() == [6] and res.rejects["value"].tolist() == [day]
    assert res.frame["time"].min() == pd.Timestamp("2021-03-10", tz="UTC")


def test_a_day_zero_among_records_of_its_own_years_is_a_date(tmp_path):
    """The Global Terrorism Database starts in 1970: its 1 January 1970 is a day like another."""
    lines = ["Date,Lat,Lon", "1970-01-01,1.2,104.1", "1970-01-02,1.2,104.2", "1970-03-05,1.3,104.3"]
    res = read_seizures(write_lines(tmp_path / "gtd.csv", lines))
    assert res.n_rejected == 0 and len(res.frame) == 3


def test_a_day_zero_with_a_clock_is_a_time(tmp_path):
    lines = ["Date,Lat,Lon", "1970-01-01 14:30,1.2,104.1"] + [
        f"2021-03-{d:02d},1.2,104.{d}" for d in range(10, 20)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0


# ---------------------------------------------------------------------- a lone zero coordinate


@pytest.mark.parametrize(
    ("lat", "lon", "column"),
    [("0", "-18.6587", "Lat"), ("25.3546", "0", "Long"), ("0.0", "-30.5", "Lat")],
    ids=["lat_0", "lon_0", "lat_0_0"],
)
def test_a_lone_zero_coordinate_far_from_every_other_record_is_a_placeholder(
    tmp_path, lat, lon, column
):
    """A MAOC-style table at 10-40 N, 10-60 W with one latitude written '0' (missing) kept
    that seizure on the equator, 1,100 km south of any other: inside an area drawn from
    latitude 0 (configs/example.yaml's bbox), scored as a seizure there."""
    lines = ["Date,Lat,Long,Drug"] + [
        f"2020-02-{d:02d},{10 + d},{-10 - 2 * d},Cocaine" for d in range(1, 21)
    ]
    lines.insert(4, f"2020-03-01,{lat},{lon},Cocaine")  # line 5
    res = read_seizures(write_lines(tmp_path / "maoc.csv", lines))
    assert res.by_rule == {"coord_placeholder": 1}
    rej = res.rejects.iloc[0]
    assert (rej["row"], rej["column"]) == (5, column)
    assert len(res.frame) == 20


def test_a_zero_coordinate_among_records_near_that_line_is_a_place(tmp_path):
    """Gulf of Guinea attacks lie on both sides of the equator and of Greenwich."""
    lines = ["Date,Lat,Long"] + [
        f"2020-02-{d:02d},{0.2 * d:.1f},{1.5 - 0.2 * d:.1f}" for d in range(1, 15)
    ]
    lines += ["2020-03-01,0,2.5", "2020-03-02,3.5,0"]
    res = read_seizures(write_lines(tmp_path / "gog.csv", lines))
    assert res.n_rejected == 0 and len(res.frame) == 16


# ---------------------------------------------------------------------- a layer's other places


def _layer_beside_attributes(tmp_path, lat: str, lon: str):
    """A GeoJSON of 8 points 1.5 degrees from the position its ``lat``/``lon`` attributes give."""
    gpd = pytest.importorskip("geopandas")
    frame = pd.DataFrame(
        {
            "date": [f"2020-01-{d:02d}" for d in range(1, 9)],
            lat: [1.0 + d for d in range(8)],
            lon: [100.0 + d for d in range(8)],
        }
    )
    points = gpd.points_from_xy([101.5 + d for d in range(8)], [2.5 + d for d in range(8)])
    path = tmp_path / "attacks.geojson"
    gpd.GeoDataFrame(frame, geometry=points, crs=4326).to_file(path)
    return path


def test_a_layers_secondary_place_attributes_are_not_its_points_written_again(tmp_path):
    """The pirate attacks saved as GeoJSON keep 'shore_latitude'/'shore_longitude' (the
    nearest shore): every feature was said to 'differ from its attributes', and the note
    advised columns: {lat: 'shore_latitude', lon: 'shore_longitude'}: the shore, not the attack."""
    res = read_seizures(_layer_beside_attributes(tmp_path, "shore_latitude", "shore_longitude"))
    assert len(res.frame) == 8 and res.frame["lat"].iloc[0] == 2.5
    assert not [n for n in res.notes if "shore_latitude" in n]


def test_a_layers_own_position_attributes_are_still_compared(tmp_path):
    res = read_seizures(_layer_beside_attributes(tmp_path, "Latitude", "Longitude"))
    assert [n for n in res.notes if "differ from their 'Latitude'/'Longitude'" in n]


# ---------------------------------------------------------------------- time-zone columns


ZONE_HEADERS = {
    "spanish": ("Fecha", "Hora", "Zona horaria"),
    "french": ("Date", "Heure", "Fuseau horaire"),
    "german": ("Datum", "Uhrzeit", "Zeitzone"),
    "russian": ("Дата", "Время", "Часовой пояс"),
    "chinese": ("日期", "时间", "时区"),
}


@pytest.mark.parametrize("headers", list(ZONE_HEADERS.values()), ids=list(ZONE_HEADERS))
def test_a_time_zone_column_in_a_read_language_places_the_times(tmp_path, headers):
    """'Zona horaria' (UTC-05:00) beside 'Fecha' and 'Hora' was not read: 10:00 local was
    kept as 10:00 UTC, five hours off, stated only as 'taken as UTC'."""
    date, clock, zone = headers
    lines = [f"{date},{clock},{zone},Lat,Lon"] + [
        f"2024-01-{d:02d},10:00,UTC-05:00,10.{d},-61.{d}" for d in range(1, 9)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").iloc[0] == "2024-01-01 15:00"


@pytest.mark.parametrize(
    "word",
    ["Hemisferio", "Hemisphäre"],
    ids=["es", "de"],
)
def test_a_hemisphere_column_named_in_another_language_gives_the_sign(tmp_path, word):
    """'Latitud, Hemisferio, Longitud, Hemisferio' (a Spanish IMB-style list) was read
    without its hemispheres: 0.6 S kept as 0.6 N, 100.3 W as 100.3 E, with no note."""
    lines = [f"Fecha,Latitud,{word},Longitud,{word}"] + [
        f"2024-01-{d:02d},{d / 10 + 0.5:.3f},{'S' if d % 2 else 'N'},{100 + d / 10:.3f},"
        f"{'W' if d % 3 == 0 else 'E'}"
        for d in range(1, 16)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0
    assert res.frame["lat"].tolist()[:3] == [-0.6, 0.7, -0.8]
    assert res.frame["lon"].tolist()[:3] == [100.1, 100.2, -100.3]


def test_a_column_of_hemisphere_letters_under_an_unknown_header_is_refused(tmp_path):
    """'Lat, H, Lon, H' : the letters were never read, every S put north, without a word."""
    lines = ["Date,Lat,H,Lon,H"] + [
        f"2024-01-{d:02d},{d / 10 + 0.5:.3f},{'S' if d % 2 else 'N'},{100 + d / 10:.3f},E"
        for d in range(1, 16)
    ]
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters .* 'Lat'"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


def test_a_flag_column_of_n_beside_signed_latitudes_is_no_hemisphere(tmp_path):
    lines = ["Date,Lat,Lon,Flag"] + [
        f"2024-01-{d:02d},{-d / 10:.3f},{100 + d / 10:.3f},{'S' if d % 2 else 'N'}"
        for d in range(1, 16)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0 and res.frame["lat"].iloc[0] == -0.1


@pytest.mark.parametrize(
    ("header", "west", "east"),
    [("E/O", "O", "E"), ("Este/Oeste", "Oeste", "Este"), ("O/W", "W", "O")],
    ids=["es_letters", "es_words", "de_letters"],
)
def test_a_longitude_hemisphere_of_o_is_read_as_its_header_pairs_it(tmp_path, header, west, east):
    """A Colombian navy table ('Latitud, N/S, Longitud, E/O', every O: oeste) was read
    without its hemisphere (O is no E/W letter): 75.1 W kept as 75.1 E. The header says
    what O is: west beside E (Spanish, Portuguese, French), east beside W (German Ost)."""
    lines = [f"Fecha,Latitud,N/S,Longitud,{header}"] + [
        f"2024-01-{d:02d},{10 + d / 10:.3f},N,{75 + d / 10:.3f},{west if d < 15 else east}"
        for d in range(1, 16)
    ]
    res = read_seizures(write_lines(tmp_path / "co.csv", lines))
    assert res.n_rejected == 0
    assert res.frame["lon"].tolist()[:2] == [-75.1, -75.2] and res.frame["lon"].iloc[-1] == 76.5
