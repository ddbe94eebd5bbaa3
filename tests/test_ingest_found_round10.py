"""Incident and track files in shapes real exports take, read wrongly before: round 10.

Each file is written to ``tmp_path`` in the shape its source writes it and checked against
an independent reading of the same file with pandas: GDELT's event table (a BigQuery or
analysis-service CSV export, 61 columns: the day as ``SQLDATE`` yyyymmdd beside ``Year``,
three places each with a latitude and a longitude); Global Fishing Watch's fishing effort
grid given where seizure records are expected.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

# ---------------------------------------------------------------- GDELT's event table

#: GDELT 2.0's event table, in the order its export writes the 61 columns.
GDELT_COLUMNS = (
    "GLOBALEVENTID,SQLDATE,MonthYear,Year,FractionDate,Actor1Code,Actor1Name,"
    "Actor1CountryCode,Actor1KnownGroupCode,Actor1EthnicCode,Actor1Religion1Code,"
    "Actor1Religion2Code,Actor1Type1Code,Actor1Type2Code,Actor1Type3Code,Actor2Code,"
    "Actor2Name,Actor2CountryCode,Actor2KnownGroupCode,Actor2EthnicCode,Actor2Religion1Code,"
    "Actor2Religion2Code,Actor2Type1Code,Actor2Type2Code,Actor2Type3Code,IsRootEvent,"
    "EventCode,EventBaseCode,EventRootCode,QuadClass,GoldsteinScale,NumMentions,NumSources,"
    "NumArticles,AvgTone,Actor1Geo_Type,Actor1Geo_FullName,Actor1Geo_CountryCode,"
    "Actor1Geo_ADM1Code,Actor1Geo_ADM2Code,Actor1Geo_Lat,Actor1Geo_Long,Actor1Geo_FeatureID,"
    "Actor2Geo_Type,Actor2Geo_FullName,Actor2Geo_CountryCode,Actor2Geo_ADM1Code,"
    "Actor2Geo_ADM2Code,Actor2Geo_Lat,Actor2Geo_Long,Actor2Geo_FeatureID,ActionGeo_Type,"
    "ActionGeo_FullName,ActionGeo_CountryCode,ActionGeo_ADM1Code,ActionGeo_ADM2Code,"
    "ActionGeo_Lat,ActionGeo_Long,ActionGeo_FeatureID,DATEADDED,SOURCEURL"
).split(",")


def _gdelt_csv(tmp_path, n: int = 24):
    """Events at Manzanillo (the action), by Mexico's police (placed at Mexico's centroid)."""
    rows = []
    for i in range(n):
        r = dict.fromkeys(GDELT_COLUMNS, "")
        day = pd.Timestamp("2023-03-01") + pd.Timedelta(days=i)
        r.update(
            GLOBALEVENTID=str(1090000000 + i),
            SQLDATE=f"{day:%Y%m%d}",
            MonthYear=f"{day:%Y%m}",
            Year="2023",
            FractionDate=f"{2023 + day.day_of_year / 365:.4f}",
            Actor1Code="MEXCOP",
            Actor1Name="MEXICO",
            Actor2Code="CRM",
            IsRootEvent="1",
            EventCode="1711",
            EventRootCode="17",
            QuadClass="4",
            GoldsteinScale="-9.2",
            Actor1Geo_Type="1",
            Actor1Geo_FullName="Mexico",
            Actor1Geo_Lat="23",
            Actor1Geo_Long="-102",
            Actor1Geo_FeatureID="MX",
            ActionGeo_Type="4",
            ActionGeo_FullName="Manzanillo, Colima, Mexico",
            ActionGeo_Lat=f"{19.05 + i * 0.01:.4f}",
            ActionGeo_Long=f"{-104.31 - i * 0.01:.4f}",
            ActionGeo_FeatureID="-1679237",
            # added to the table days later, and later still for the last ones
            DATEADDED=f"{day + pd.Timedelta(days=3 + i % 5):%Y%m%d}151500",
            SOURCEURL=f"https://example.com/news/{i}",
        )
        if i % 3 == 0:
            r.update(Actor2Geo_Type="4", Actor2Geo_Lat="17.95", Actor2Geo_Long="-102.2")
        rows.append(r)
    path = tmp_path / "gdelt_events.csv"
    pd.DataFrame(rows, columns=GDELT_COLUMNS).to_csv(path, index=False)
    return path


def test_gdelt_events_are_placed_where_they_happened_on_their_day(tmp_path):
    # Read before: every event on 1 January ('Year', with a note) at Mexico's centroid
    # (23, -102: 'Actor1Geo_Lat', the shortest header of three latitudes), exit 0.
    path = _gdelt_csv(tmp_path)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.by_rule == {}
    raw = pd.read_csv(path, dtype=str)
    days = pd.to_datetime(raw["SQLDATE"], format="%Y%m%d").dt.tz_localize("UTC")
    assert res.frame["time"].tolist() == days.tolist()
    assert res.frame["lat"].tolist() == raw["ActionGeo_Lat"].astype(float).tolist()
    assert res.frame["lon"].tolist() == raw["ActionGeo_Long"].astype(float).tolist()
    picked = {r: res.assumptions["columns"][r]["column"] for r in ("time", "lat", "lon")}
    assert picked == {"time": "SQLDATE", "lat": "ActionGeo_Lat", "lon": "ActionGeo_Long"}


def test_a_day_column_of_yyyymmdd_numbers_beats_a_year_column(tmp_path):
    # 'Year' is a known name, 'fecha' (20230312) only a date word: the day was lost to the
    # year, every record on 1 January, because bare numbers never counted as dates there.
    text = "year,fecha,lat,lon,tipo\n" + "".join(
        f"2023,202303{10 + i:02d},{1.5 + i / 100:.2f},104.2,Robbery\n" for i in range(6)
    )
    res = read_seizures(write_text(tmp_path, "anio.csv", text))
    assert res.assumptions["columns"]["time"]["column"] == "fecha"
    assert res.frame["time"].dt.day.tolist() == list(range(10, 16))


def test_when_a_record_was_added_is_never_its_date(tmp_path):
    # GDELT's DATEADDED (yyyymmddHHMMSS) beside the Year alone: the year, not the day the
    # record was added to the table.
    path = _gdelt_csv(tmp_path)
    raw = pd.read_csv(path, dtype=str).drop(columns=["SQLDATE", "FractionDate", "MonthYear"])
    raw.to_csv(path, index=False)
    res = read_seizures(path)
    assert res.assumptions["columns"]["time"]["column"] == "Year"
    assert (res.frame["time"] == pd.Timestamp("2023-01-01", tz="UTC")).all()


# ------------------------------------- a fishing effort grid where seizure records belong


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # the Global Fishing Watch map's download: a cell, a month, hours
        (
            "Lat,Lon,Time Range,flag,Vessel IDs,Apparent Fishing Hours",
            "{lat},{lon},2023-03,MEX,3,{h}",
        ),
        # the daily effort table at 100th-degree cells
        (
            "date,cell_ll_lat,cell_ll_lon,flag,geartype,hours,fishing_hours,mmsi_present",
            "2023-03-12,{lat},{lon},MEX,trawlers,{h},{h},2",
        ),
    ],
)
def test_a_fishing_effort_grid_is_refused_as_seizure_records(tmp_path, header, row):
    # Read before as one seizure per cell, at its corner, whatever its hours (exit 0): a map
    # of where boats fish. As a track the same file was refused already.
    lines = [header] + [
        row.format(lat=f"{19 + i / 100:.2f}", lon=f"{-104.4 + i / 100:.2f}", h=f"{0.5 + i:.2f}")
        for i in range(12)
    ]
    path = write_text(tmp_path, "effort.csv", "\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"a gridded product, not seizure records.*inputs\.rasters"
    ) as err:
        read_seizures(path)
    assert "\n" not in str(err.value)


def test_an_incident_list_with_an_hours_clock_is_not_a_grid(tmp_path):
    text = "date,hours,lat,lon,type\n" + "".join(
        f"2023-03-{10 + i:02d},{14 + i % 3}:30,{1.5 + i / 100:.2f},104.2,Robbery\n"
        for i in range(6)
    )
    res = read_seizures(write_text(tmp_path, "hours.csv", text))
    assert len(res.frame) == 6


# ------------------------------------------- an activity app's default name names no vessel


def _strava_gpx(tmp_path, stem: str, name: str, lat0: float):
    """A GPX as Strava exports an activity: its default name, hr extensions, 20 points."""
    pts = "".join(
        f'<trkpt lat="{lat0 + i * 0.001:.7f}" lon="{-0.12 + i * 0.001:.7f}"><ele>12.4</ele>'
        f"<time>2024-03-15T07:{i:02d}:00Z</time><extensions><gpxtpx:TrackPointExtension>"
        "<gpxtpx:hr>130</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        for i in range(20)
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="StravaGPX" version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f"<metadata><time>2024-03-15T07:00:00Z</time></metadata>\n<trk><name>{name}</name>"
        f"<type>1</type><trkseg>\n{pts}</trkseg></trk>\n</gpx>\n"
    )
    return write_text(tmp_path, f"{stem}.gpx", text)


@pytest.mark.parametrize("name", ["Morning Ride", "Evening Sail", "London Cycling"])
def test_two_riders_default_activity_names_stay_two_vessels(tmp_path, name):
    # Strava names every recording by the part of the day and the sport, Garmin Connect by
    # the place and the sport: two people's 'Morning Ride' (London and Brighton, the same
    # morning) were one vessel, linked across files, read as one track jumping between them.
    from pipeline.ingest import read_tracks

    a = read_tracks(_strava_gpx(tmp_path, "alice", name, 51.5))
    b = read_tracks(_strava_gpx(tmp_path, "bob", name, 50.8))
    assert_accounted(a)
    assert set(a.frame["vessel_id"]) == {f"alice:{name}"}
    assert set(b.frame["vessel_id"]) == {f"bob:{name}"}
    assert any("device defaults" in n for n in a.notes)


def test_a_boats_own_name_still_links_its_files(tmp_path):
    from pipeline.ingest import read_tracks

    a = read_tracks(_strava_gpx(tmp_path, "log1", "Morning Star", 51.5))
    assert set(a.frame["vessel_id"]) == {"Morning Star"}


# ------------------------------------------------- MarineTraffic's SPEED is knots x10


def _marinetraffic(tmp_path, fmt: str):
    """A MarineTraffic API answer (PS06's columns): two ships drifting at 0.3-0.5 kn."""
    rows = []
    for k, mmsi in enumerate(("241087000", "636019825")):
        for i in range(12):
            rows.append(
                {
                    "MMSI": mmsi,
                    "IMO": str(9300000 + k),
                    "SHIP_ID": str(100000 + k),
                    "LAT": f"{37.90 + k * 0.3 + i * 0.0033:.5f}",  # 0.2 nm an hour
                    "LON": "23.60000",
                    "SPEED": str(3 + i % 3),  # 0.3 to 0.5 kn
                    "HEADING": "0",
                    "COURSE": "0",
                    "STATUS": "0",
                    "TIMESTAMP": f"2023-03-12T{8 + i:02d}:00:00",
                    "DSRC": "TER",
                    "UTC_SECONDS": str(i),
                }
            )
    frame = pd.DataFrame(rows)
    path = tmp_path / f"mt.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path, frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_marinetraffic_speed_is_read_in_tenths_of_a_knot(tmp_path, fmt):
    # MarineTraffic's API writes SPEED in knots x10. Ships under way showed it by their
    # positions (refused, ten times too fast); ships drifting below 1 kn did not, and were
    # read ten times too fast, exit 0: a loitering ship at 0.4 kn read as 4 kn, no loiterer.
    from pipeline.ingest import read_tracks

    path, frame = _marinetraffic(tmp_path, fmt)
    res = read_tracks(path)
    assert_accounted(res)
    want = (frame["SPEED"].astype(float) / 10).tolist()
    assert res.frame["sog_kn"].round(6).tolist() == want
    assert res.assumptions["speed_unit"]["unit"] == "0.1 kn"
