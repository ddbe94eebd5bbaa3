"""Track files as AIS data providers publish them, each read as the provider means it.

AISHub's web service answers in JSON with a header object before the array of records;
Digitraffic (Finland) puts a vessel's ``mmsi`` beside a GeoJSON Feature's properties;
Global Fishing Watch publishes hours per grid cell and day, which look like pings but are
not.  Each test failed before its fix: a refusal that misled, a refusal whose advice would
misplace every ping, or cell corners read as positions without a word.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import IngestOptions, TrackSource, read_tracks, summarise_ingest


def _read(path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_tracks(TrackSource(path=path, **kw) if kw else path)


def _stream(path: Path, out: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summarise_ingest("tracks", path, options=IngestOptions(chunk_rows=2), out_dir=out)


# ----------------------------------------------------------------------------- AISHub JSON

_AISHUB_KEYS = (
    "MMSI,TIME,LONGITUDE,LATITUDE,COG,SOG,HEADING,ROT,NAVSTAT,IMO,NAME,CALLSIGN,TYPE,A,B,C,D,"
    "DRAUGHT,DEST,ETA"
).split(",")


def _aishub_record(mmsi, time, lon, lat, sog, cog, name):
    values = [mmsi, time, lon, lat, cog, sog, 511, -128, 0, 0, name, "", 70, 0, 0, 0, 0, 0, "", ""]
    return dict(zip(_AISHUB_KEYS, values, strict=True))


def _aishub_answer(path: Path, records: list[dict], **header) -> None:
    """AISHub's format=1 JSON: ``[{header}, [records]]``, one record a line as it prints."""
    head = {"ERROR": False, "USERNAME": "AH_TEST", "FORMAT": "HUMAN", "RECORDS": len(records)}
    lines = [json.dumps(r) for r in records]
    path.write_text(
        "[" + json.dumps(head | header) + ",\n[" + ",\n".join(lines) + "]]\n", encoding="utf-8"
    )


_AISHUB_RECORDS = [
    _aishub_record(244650123, "2024-03-01 10:00:00 GMT", 4.5, 25.1, 10.0, 90.0, "SEA STAR"),
    _aishub_record(244650123, "2024-03-01 11:00:00 GMT", 4.68, 25.1, 10.0, 90.0, "SEA STAR"),
    _aishub_record(235000111, "2024-03-01 10:30:00 GMT", 5.0, 26.0, 12.0, 180.0, "OTHER"),
    _aishub_record(235000111, "2024-03-01 11:30:00 GMT", 5.0, 25.8, 12.0, 180.0, "OTHER"),
]


def test_aishub_json_answer_reads_the_records_after_its_header(tmp_path):
    """The header object is no record; the records keep their physical lines and times."""
    path = tmp_path / "aishub.json"
    records = list(_AISHUB_RECORDS)
    records.insert(2, _aishub_record(244650123, "2024-03-01 12:00:00 GMT", 4.86, 91, 10, 90, "X"))
    _aishub_answer(path, records)
    res = _read(path)
    assert res.n_read == 5 and len(res.frame) == 4
    assert res.by_rule == {"position_unavailable": 1}
    assert int(res.rejects.iloc[0]["row"]) == 4  # line 1 is the header, records from line 2
    got = res.frame.sort_values(["vessel_id", "time"])
    assert list(got["vessel_id"]) == ["235000111", "235000111", "244650123", "244650123"]
    assert [t.strftime("%H:%M") for t in got["time"]] == ["10:30", "11:30", "10:00", "11:00"]
    assert list(got["lat"]) == [26.0, 25.8, 25.1, 25.1]
    assert any("header object" in n and "FORMAT=HUMAN" in n for n in res.notes), res.notes
    summary = _stream(path, tmp_path / "out")
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)


def test_an_answer_that_counts_more_records_than_it_holds_says_so(tmp_path):
    """``RECORDS: 1200`` over 4 records: one page of a larger answer, said in the notes."""
    path = tmp_path / "page.json"
    _aishub_answer(path, _AISHUB_RECORDS, RECORDS=1200)
    res = _read(path)
    assert len(res.frame) == 4
    assert any("RECORDS=1,200 but holds 4" in n for n in res.notes), res.notes
    _aishub_answer(path, _AISHUB_RECORDS)  # the count it holds: nothing to say
    assert not any("not in this file" in n for n in _read(path).notes)
    node = {"mmsi": 257000000, "timestamp": "2024-03-01T10:00:00Z", "lat": 69.6, "lon": 18.9}
    page = {"data": {"vessels": {"pageInfo": {"hasNextPage": True}, "nodes": [node]}}}
    path.write_text(json.dumps(page, indent=1))  # a GraphQL page with more after it
    notes = _read(path).notes
    assert any("hasNextPage=true: more pages" in n for n in notes), notes


def test_aishub_error_answer_is_refused_with_its_message(tmp_path):
    """``ERROR: true`` is an answer without records: its message, not 'no latitude'."""
    path = tmp_path / "aishub.json"
    path.write_text(
        '[{"ERROR":true,"USERNAME":"AH_TEST","FORMAT":"HUMAN",'
        '"ERROR_MESSAGE":"Too frequent requests!"}]\n'
    )
    with pytest.raises(SourceUnreadable, match="reports an error.*Too frequent requests"):
        _read(path)


def test_a_json_array_of_two_record_arrays_is_refused(tmp_path):
    """Only one inner array of records is an answer's body; two are two files."""
    path = tmp_path / "two.json"
    path.write_text(json.dumps([_AISHUB_RECORDS[:2], _AISHUB_RECORDS[2:]]))
    with pytest.raises(SourceUnreadable, match="2 arrays of records"):
        _read(path)


_SPIRE_GRAPHQL = {
    "data": {
        "vessels": {
            "pageInfo": {"hasNextPage": False, "endCursor": "abc"},
            "nodes": [
                {
                    "staticData": {"mmsi": mmsi, "name": name, "callsign": None},
                    "lastPositionUpdate": {
                        "latitude": lat,
                        "longitude": lon,
                        "timestamp": time,
                        "updateTimestamp": "2024-03-01T12:00:00.000Z",
                        "collectionType": "SATELLITE",
                        "speed": 10.0,
                        "course": 90.0,
                    },
                }
                for mmsi, name, lat, lon, time in (
                    (244650123, "SEA STAR", 25.1, 4.5, "2024-03-01T10:00:00.000Z"),
                    (235000111, "OTHER", 26.0, 5.0, "2024-03-01T10:30:00.000Z"),
                    (235000111, "OTHER", 91, 181, "2024-03-01T11:30:00.000Z"),
                )
            ],
        }
    }
}


@pytest.mark.parametrize("indent", [None, 2])
def test_an_api_answer_object_reads_its_one_array_of_records(tmp_path, indent):
    """Spire's GraphQL answer holds its records at ``data.vessels.nodes``; pretty-printed it
    was taken for GeoJSON ('not recognized'), on one line for one record without positions."""
    path = tmp_path / "spire.json"
    path.write_text(json.dumps(_SPIRE_GRAPHQL, indent=indent))
    res = _read(path)
    assert res.n_read == 3 and res.by_rule == {"position_unavailable": 1}
    assert res.assumptions["columns"]["time"]["column"] == "lastPositionUpdate.timestamp"
    got = res.frame.sort_values("vessel_id")
    assert list(got["vessel_id"]) == ["235000111", "244650123"]
    assert [t.strftime("%H:%M") for t in got["time"]] == ["10:30", "10:00"]
    assert any("'data.vessels.nodes'" in n for n in res.notes), res.notes
    row = int(res.rejects.iloc[0]["row"])  # the line where the third record starts
    lines = path.read_text().splitlines()
    starts = [
        i + 1
        for i, line in enumerate(lines)
        if line.strip() == "{" and i + 1 < len(lines) and '"staticData"' in lines[i + 1]
    ]
    assert row == (starts[2] if indent else 1)


def test_an_api_error_answer_object_is_refused_with_its_message(tmp_path):
    """GraphQL's ``errors`` list: the answer holds no records; its message is the reason."""
    path = tmp_path / "spire.json"
    path.write_text(
        json.dumps({"errors": [{"message": "Unauthorized: token expired"}], "data": None}, indent=2)
    )
    with pytest.raises(SourceUnreadable, match="reports an error.*token expired"):
        _read(path)


def test_a_position_error_measure_is_no_error_answer(tmp_path):
    """A one-record file whose ``error`` is a number (metres) is a record, not an answer."""
    path = tmp_path / "one.json"
    path.write_text(
        '[{"mmsi": 257000000, "time": "2024-03-01T10:00:00Z", "lat": 69.65, "lon": 18.95, '
        '"error": 0.5}]'
    )
    assert len(_read(path).frame) == 1


def test_aishub_gzip_answer_is_read_like_the_plain_one(tmp_path):
    """``compress=2`` gives ``.json.gz``: JSON records compressed, refused as GeoJSON before."""
    import gzip

    plain = tmp_path / "aishub.json"
    _aishub_answer(plain, _AISHUB_RECORDS)
    packed = tmp_path / "aishub.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    res = _read(packed)
    assert res.n_read == 4 and len(res.frame) == 4
    assert res.frame.equals(_read(plain).frame)


def test_aishub_zip_answer_is_read_like_the_plain_one(tmp_path):
    """``compress=1`` gives a zip of the ``.json`` answer: it went to GDAL as GeoJSON and was
    refused ('not recognized'); a zipped GeoJSON ``.json`` is still GeoJSON."""
    import zipfile

    plain = tmp_path / "aishub.json"
    _aishub_answer(plain, _AISHUB_RECORDS)
    packed = tmp_path / "aishub.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, "data.json")
    res = _read(packed)
    assert res.n_read == 4 and len(res.frame) == 4
    assert res.frame.equals(_read(plain).frame)
    geo = tmp_path / "geo.zip"
    with zipfile.ZipFile(geo, "w") as zf:
        zf.writestr("data.json", '{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="no"):  # read by GDAL as GeoJSON: no positions
        _read(geo)


def test_aishub_format_0_south_of_35_degrees_names_ais_units_not_only_crs(tmp_path):
    """AIS units at 25 N (15,060,000) fit a projection's metres; 'set crs' alone misleads."""
    path = tmp_path / "aishub0.json"
    rows = []
    for k, r in enumerate(_AISHUB_RECORDS):
        r = dict(r, TIME=1709287200 + 1800 * k, SOG=100, COG=900)
        r["LONGITUDE"] = round(r["LONGITUDE"] * 600000)
        r["LATITUDE"] = round(r["LATITUDE"] * 600000)
        rows.append(r)
    _aishub_answer(path, rows, FORMAT="AIS")
    with pytest.raises(InputError) as err:
        _read(path)
    msg = str(err.value)
    assert "value / 600000" in msg and "1/10,000 minute" in msg, msg
    assert "set crs" in msg  # metres remain one reading the values allow


def test_aishub_xml_is_refused_naming_csv_or_json_not_a_format_setting(tmp_path):
    """No ``format:`` reads XML: the refusal names the output that is read instead."""
    path = tmp_path / "aishub.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<VESSELS>\n<vessel MMSI="244650123" '
        'TIME="2024-03-01 10:00:00 GMT" LONGITUDE="4.5" LATITUDE="25.1" COG="90" SOG="10"/>\n'
        "</VESSELS>\n"
    )
    with pytest.raises(SourceUnreadable) as err:
        _read(path)
    assert "CSV or JSON" in str(err.value) and "set format" not in str(err.value)


# --------------------------------------------------------------------- Digitraffic GeoJSON


def _digitraffic(path: Path, *, mmsi_in_properties: bool) -> None:
    """Digitraffic's AIS locations: ``mmsi`` beside ``properties`` (and, lately, inside)."""
    feats = []
    for mmsi, lon0, second, ext in (
        (230112970, 21.034, 45, 1709287245000),
        (230112970, 21.334, 44, 1709290844000),
        (265546940, 18.4474, 12, 1709287212000),
        (265546940, 18.4475, 13, 1709290813000),
    ):
        props = {"sog": 10.0, "cog": 90.0, "navStat": 0, "rot": 0, "posAcc": False}
        props |= {"raim": False, "heading": 90, "timestamp": second, "timestampExternal": ext}
        if mmsi_in_properties:
            props = {"mmsi": mmsi} | props
        feats.append(
            {
                "mmsi": mmsi,
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon0, 60.304]},
                "properties": props,
            }
        )
    doc = {"type": "FeatureCollection", "dataUpdatedTime": "2024-03-01T11:00:05Z"}
    path.write_text(json.dumps(doc | {"features": feats}, indent=1))


@pytest.mark.parametrize("inside", [False, True])
def test_digitraffic_mmsi_beside_properties_names_the_vessel(tmp_path, inside):
    """The vessel id GDAL drops by default is read; the time is ``timestampExternal``."""
    path = tmp_path / "locations.json"
    _digitraffic(path, mmsi_in_properties=inside)
    res = _read(path)
    assert res.assumptions["columns"]["vessel_id"]["column"] == "mmsi"
    assert res.assumptions["columns"]["time"]["column"] == "timestampExternal"
    got = res.frame.sort_values(["vessel_id", "time"])
    assert list(got["vessel_id"]) == ["230112970"] * 2 + ["265546940"] * 2
    assert [t.strftime("%H:%M:%S") for t in got["time"]] == [
        "10:00:45",
        "11:00:44",
        "10:00:12",
        "11:00:13",
    ]


# ------------------------------------------------------------------- BarentsWatch JSON


def test_barentswatch_positions_with_a_geojson_geometry_are_read_lon_first(tmp_path):
    """Records whose position is only a GeoJSON ``geometry`` (no latitude/longitude keys)
    were refused for lacking coordinates, advising columns no key could fill."""
    rows = [
        {"courseOverGround": 90.0, "speedOverGround": 10.0, "mmsi": 257000000, "msgtime": t}
        | {"geometry": {"type": "Point", "coordinates": [lon, 69.65]}}
        for lon, t in ((18.95, "2024-03-01T11:00:00+01:00"), (19.42, "2024-03-01T12:00:00+01:00"))
    ]
    path = tmp_path / "barentswatch.json"
    path.write_text(json.dumps(rows))
    res = _read(path)
    assert list(res.frame["lon"]) == [18.95, 19.42] and list(res.frame["lat"]) == [69.65] * 2
    assert [t.strftime("%H:%M") for t in res.frame["time"]] == ["10:00", "11:00"]  # UTC


def test_geojson_sequence_features_read_as_json_lines_keep_their_points(tmp_path):
    """``ogr2ogr -f GeoJSONSeq`` as ``.jsonl``: one Feature a line; a null geometry is a
    reject at its line, the others are read, whole and streamed alike."""
    lines = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, 69.65]} if lon else None,
            "properties": {"mmsi": 257000000, "time": t, "sog": 10.0},
        }
        for lon, t in (
            (18.95, "2024-03-01T10:00:00Z"),
            (None, "2024-03-01T10:30:00Z"),
            (19.42, "2024-03-01T11:00:00Z"),
        )
    ]
    path = tmp_path / "track.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    res = _read(path)
    assert list(res.frame["lon"]) == [18.95, 19.42]
    assert res.by_rule == {"coord_missing": 1} and int(res.rejects.iloc[0]["row"]) == 2
    assert res.rejects.iloc[0]["value"] == ""  # as written: nothing, never 'nan nan'
    summary = _stream(path, tmp_path / "out")
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (3, 2, 1)


# ------------------------------------------------------------ Global Fishing Watch grids


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


_GFW_MMSI = (
    "date,cell_ll_lat,cell_ll_lon,mmsi,hours,fishing_hours\n"
    "2024-03-01,25.1,4.5,244650123,3.2,1.5\n"
    "2024-03-01,25.2,4.5,244650123,2.1,0.0\n"
    "2024-03-02,25.1,4.6,244650123,5.0,4.0\n"
    "2024-03-01,26.0,5.0,235000111,1.0,1.0\n"
    "2024-03-02,26.0,5.1,235000111,24.0,20.0\n"
)


def test_gfw_effort_by_mmsi_is_refused_not_read_as_pings_at_cell_corners(tmp_path):
    """Hours per 0.1-degree cell and day by MMSI: no ping is at a cell's corner at midnight."""
    path = _write(tmp_path / "mmsi-daily-csvs-10-v3-2024-03-01.csv", _GFW_MMSI)
    with pytest.raises(InputError, match="gridded product, not positions") as err:
        _read(path)
    assert "cell_ll_lat" in str(err.value) and "not a track" in str(err.value)
    with pytest.raises(InputError, match="gridded product"):
        _stream(path, tmp_path / "out")


_GFW_SHAPES = {
    # the fleet table has no MMSI: 'set vessel_id: <one constant id>' would make it a track
    "fleet": (
        "date,cell_ll_lat,cell_ll_lon,flag,geartype,hours,fishing_hours,mmsi_present\n"
        "2024-03-01,25.10,4.50,ESP,trawlers,3.2,1.5,2\n"
        "2024-03-01,25.11,4.50,FRA,set_longlines,2.1,0.0,1\n"
        "2024-03-02,25.10,4.51,ESP,trawlers,5.0,4.0,3\n",
        "gridded product",
        "vessel_id",
    ),
    # v1's lat_bin in 1/100 degree: the 'set crs: UTM' advice would misplace them
    "v1-bins": (
        "date,lat_bin,lon_bin,mmsi,fishing_hours\n"
        "2016-01-01,2510,450,244650123,1.5\n"
        "2016-01-01,2520,450,244650123,0.2\n"
        "2016-01-02,2510,460,244650123,4.0\n",
        "gridded product",
        "crs",
    ),
    # the map's CSV says Lat/Lon, but its hours per day mark a grid
    "map-download": (
        "Lat,Lon,Time Range,MMSI,Apparent Fishing Hours\n"
        "25.1,4.5,2024-03-01,244650123,1.5\n"
        "25.2,4.5,2024-03-01,244650123,0.2\n"
        "25.1,4.6,2024-03-02,244650123,4.0\n",
        "'Apparent Fishing Hours' sums the hours",
        None,
    ),
    # the 4Wings report by vessel: plain lat/lon, a day and 'hours' in a cell
    "4wings": (
        "lat,lon,date,vessel_id,hours\n"
        "25.1,4.5,2024-03-01,8c7304226-6c71-edbe-0b63-c246734b3c01,1.5\n"
        "25.2,4.5,2024-03-02,8c7304226-6c71-edbe-0b63-c246734b3c01,0.2\n"
        "25.1,4.6,2024-03-03,8c7304226-6c71-edbe-0b63-c246734b3c01,4.0\n",
        "'hours' sums the hours",
        None,
    ),
}


@pytest.mark.parametrize("shape", sorted(_GFW_SHAPES))
def test_gfw_grids_are_refused_as_grids_not_with_another_advice(tmp_path, shape):
    text, says, never = _GFW_SHAPES[shape]
    with pytest.raises(InputError, match=says) as err:
        _read(_write(tmp_path / f"{shape}.csv", text))
    assert never is None or never not in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        # engine_hours beside daily positions (a vehicle's or ship's day report) is no grid
        "date,vessel,lat,lon,engine_hours\n"
        "2024-03-01,MV A,25.1,4.5,1200.5\n"
        "2024-03-02,MV A,25.6,4.9,1224.5\n",
        # a position with its time of day is a ping, whatever hours column sits beside it
        "mmsi,timestamp,lat,lon,vessel_hours\n"
        "244650123,2024-03-01 10:00:00,25.1,4.5,0.5\n"
        "244650123,2024-03-01 11:00:00,25.1,4.68,1.5\n",
    ],
    ids=["engine-hours-by-day", "hours-beside-clock-times"],
)
def test_positions_beside_an_hours_column_are_still_a_track(tmp_path, text):
    assert len(_read(_write(tmp_path / "t.csv", text)).frame) == 2


def test_grid_corners_named_in_the_config_are_read_as_told(tmp_path):
    """``columns: {lat: cell_ll_lat, lon: cell_ll_lon}`` is the user's word."""
    path = _write(tmp_path / "grid.csv", _GFW_MMSI)
    res = _read(path, columns={"lat": "cell_ll_lat", "lon": "cell_ll_lon"})
    assert res.n_read == 5


# ---------------------------------------------------------------------------- exactEarth

_EXACTEARTH = (
    "MMSI,IMO,Vessel_Name,Callsign,Vessel_Type,Destination,ETA,ts_static_utc,dt_static_utc,"
    "Longitude,Latitude,SOG,COG,Heading,ts_pos_utc,dt_pos_utc,Message_ID\n"
    "244650123,9074729,SEA STAR,PBXY,Cargo,ROTTERDAM,20240305120000,20240228080000,"
    "2024-02-28 08:00:00,4.5,25.1,10.0,90.0,90,20240301100000,2024-03-01 10:00:00,1\n"
    "244650123,9074729,SEA STAR,PBXY,Cargo,ROTTERDAM,20240305120000,20240228080000,"
    "2024-02-28 08:00:00,4.68,25.1,10.0,90.0,90,20240301110000,2024-03-01 11:00:00,1\n"
    "235000111,,OTHER,,Fishing,,,20240229220000,2024-02-29 22:00:00,5.0,26.0,12.0,180.0,180,"
    "20240301103000,2024-03-01 10:30:00,1\n"
    "235000111,,OTHER,,Fishing,,,20240229220000,2024-02-29 22:00:00,5.0,25.8,12.0,180.0,180,"
    "20240301113000,2024-03-01 11:30:00,1\n"
)
_EXACTEARTH_TIMES = [
    "2024-03-01 10:30",
    "2024-03-01 11:30",
    "2024-03-01 10:00",
    "2024-03-01 11:00",
]


def _times(res) -> list[str]:
    got = res.frame.sort_values(["vessel_id", "time"])
    return [t.strftime("%Y-%m-%d %H:%M") for t in got["time"]]


def test_exactearth_position_time_is_ts_pos_utc_not_the_static_message_time(tmp_path):
    """``ts_static_utc`` (first) is when the name and destination were sent: every ping of a
    vessel would share it, and all but one go as ``duplicate_time``."""
    path = _write(tmp_path / "exactearth.csv", _EXACTEARTH)
    res = _read(path)
    assert res.assumptions["columns"]["time"]["column"] == "ts_pos_utc"
    assert _times(res) == _EXACTEARTH_TIMES and res.by_rule == {}
    summary = _stream(path, tmp_path / "out")
    assert (summary["accepted"], summary["rejected"]) == (4, 0)


def test_exactearth_shapefile_truncated_static_header_is_not_the_time(tmp_path):
    """The shapefile's DBF cuts headers to ten letters: ``ts_static_`` still says static."""
    gpd = pytest.importorskip("geopandas")
    import pandas as pd

    frame = pd.read_csv(pd.io.common.StringIO(_EXACTEARTH), dtype=str)
    points = gpd.points_from_xy(frame["Longitude"].astype(float), frame["Latitude"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the DBF's ten-letter names
        gpd.GeoDataFrame(frame, geometry=points, crs=4326).to_file(tmp_path / "ee.shp")
    res = _read(tmp_path / "ee.shp")
    assert res.assumptions["columns"]["time"]["column"] == "ts_pos_utc"
    assert _times(res) == _EXACTEARTH_TIMES


def test_norwegian_headers_name_the_time_and_position(tmp_path):
    """'tidspunkt', 'breddegrad', 'lengdegrad' (a Norwegian AIS extract) were no columns."""
    path = _write(
        tmp_path / "kystverket.csv",
        "mmsi;tidspunkt;breddegrad;lengdegrad;fart\n"
        "257000000;2024-03-01 10:00:00;69,65;18,95;10,5\n"
        "257000000;2024-03-01 10:10:00;69,66;18,97;10,2\n",
    )
    frame = _read(path).frame
    assert frame["lat"].tolist() == [69.65, 69.66] and frame["lon"].tolist() == [18.95, 18.97]
    assert [t.isoformat() for t in frame["time"]] == [
        "2024-03-01T10:00:00+00:00",
        "2024-03-01T10:10:00+00:00",
    ]
