"""Regenerate the adversarial ingest corpus in this folder (deterministic).

Run ``.venv/bin/python tests/data/ingest/make_corpus.py``; every file is described in README.md
and tested in ``tests/test_ingest_corpus.py``.  Text files are written byte for byte from the
literals below; binary ones (GeoPackage, GeoParquet, Shapefile, Excel, GeoTIFF, NetCDF) are
built with the project's own dependencies.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

TEXT: dict[str, str] = {
    # ------------------------------------------------------------------ seizures (CSV)
    "s_basic.csv": (
        "date,lat,lon,commodity,quantity,unit,agency,note\n"
        "2023-01-05,13.5,121.2,cocaine,120,kg,PCG,boarded at dawn\n"
        "2023-01-06T10:30:00Z,14.1,120.9,heroin,5.5,kg,PCG,\n"
        "2023-02-11 08:00,-6.2,106.8,methamphetamine,40,kg,BNN,container\n"
        "2023-03-01T00:00:00+07:00,10.8,106.7,cannabis,300,kg,VCG,\n"
        "2023-03-15,36.1,-5.35,hashish,1500,kg,Guardia Civil,fast boat\n"
    ),
    "s_semicolon_decimal_comma.csv": (
        "datum;breedtegraad;lengtegraad;commodity;quantity\n"
        "2023-01-05;51,95;4,05;cocaine;12,5\n"
        "2023-01-06;51,90;4,45;cocaine;1200,75\n"
        "2023-01-07;51,22;4,40;heroin;3\n"
    ),
    "s_tab.tsv": (
        "timestamp\tlatitude\tlongitude\tdrug\tweight\n"
        "2022-06-01T12:00:00\t36.7\t-4.4\thashish\t900\n"
        "2022-06-02T12:00:00\t36.1\t-5.4\tcocaine\t80\n"
    ),
    "s_missing_tokens.csv": (
        "date,lat,lon,commodity,quantity,agency,note\n"
        "2023-01-01,NA,121.2,cocaine,1,A,\n"
        "2023-01-02,13.5,null,cocaine,1,A,\n"
        '2023-01-03,"N/A",121.2,cocaine,1,A,\n'
        "2023-01-04,13.5,,cocaine,1,A,\n"
        "2023-01-05,13.5,121.2,,N/A,NULL,NA\n"
        '2023-01-06,13.6,121.3,"NA",,,\n'
        "NA,13.7,121.4,cocaine,1,A,\n"
    ),
    "s_dms.csv": (
        "date,lat,lon\n"
        "2023-01-01,13°43'00\"N,121°02'00\"E\n"
        "2023-01-02,13 43 30 S,121 02 30 W\n"
        "2023-01-03,N 5°30',E 100°15.5'\n"
        "2023-01-04,12.5S,45.25E\n"
        "2023-01-05,13°75'00\"N,121°02'00\"E\n"
        "2023-01-06,somewhere,121.0\n"
        "2023-01-07,121°02'00\"E,13°43'00\"N\n"
    ),
    "s_dms_pair.csv": (
        "date,position,commodity\n"
        '2023-01-01,"13°43\'00""N 121°02\'00""E",cocaine\n'
        "2023-01-02,\"6°10'S, 106°49'E\",heroin\n"
        '2023-01-03,"13.5, 121.25",cannabis\n'
        "2023-01-04,n/a,cannabis\n"
    ),
    "s_dates_mixed.csv": (
        "date,lat,lon\n"
        "2020-12-25,10,100\n"
        "25/12/2020,10,100.1\n"
        "12/26/2020,10,100.2\n"
        "1608854400,10,100.3\n"
        "1608854400000,10,100.4\n"
        "2020,10,100.5\n"
        "12 Jan 2020,10,100.6\n"
        "20201225,10,100.7\n"
        "next tuesday,10,100.8\n"
        ",10,100.9\n"
        "31/02/2020,10,101.0\n"
    ),
    "s_dates_ambiguous.csv": ("date,lat,lon\n03/04/2020,10,100\n05/06/2020,10,100.1\n"),
    "s_future.csv": (
        "date,lat,lon\n"
        "2024-06-30,10,100\n"
        "2024-06-30T23:59:59,10,100.1\n"
        "2024-07-01,10,100.2\n"
        "2099-01-01,10,100.3\n"
    ),
    "s_out_of_range.csv": (
        "date,lat,lon\n"
        "2023-01-01,95,200\n"
        "2023-01-02,45,190\n"
        "2023-01-03,-90,-180\n"
        "2023-01-04,90,180\n"
        "2023-01-05,-91,0.5\n"
    ),
    "s_null_island.csv": (
        "date,lat,lon\n2023-01-01,0,0\n2023-01-02,0.0,0.000\n2023-01-03,0,5\n2023-01-04,5,0\n"
    ),
    "s_swapped.csv": (
        "date,lat,lon\n"
        "2023-01-01,121.2,13.5\n"
        "2023-01-02,120.9,14.1\n"
        "2023-01-03,106.8,-6.2\n"
        "2023-01-04,-5.35,36.1\n"
    ),
    "s_duplicates.csv": (
        "date,lat,lon,commodity,quantity,note\n"
        "2023-01-01,10,100,cocaine,5,a\n"
        "2023-01-01,10,100,cocaine,5,a\n"
        "2023-01-01,10,100,cocaine,5,b\n"
        "2023-01-01,10,100,cocaine,5,a\n"
        "2023-01-02,10,100,cocaine,5,a\n"
    ),
    "s_quantity.csv": (
        "date,lat,lon,quantity\n"
        "2023-01-01,10,100,-5\n"
        "2023-01-02,10,100.1,abc\n"
        "2023-01-03,10,100.2,1e400\n"
        "2023-01-04,10,100.3,0\n"
        "2023-01-05,10,100.4,\n"
        "2023-01-06,10,100.5,2.5e3\n"
    ),
    "s_huge_values.csv": (
        "date,lat,lon,quantity\n"
        "2023-01-01,1e308,100,1\n"
        "2023-01-02,10,-1e308,1\n"
        "2023-01-03,10,100,1e20\n"
        "2023-01-04,10,100,999999999999\n"
        "2023-01-05,10," + "9" * 400 + ",1\n"
    ),
    "s_html_js.csv": (
        "date,lat,lon,commodity,agency,note\n"
        '2023-01-01,10,100,<img src=x onerror=alert(1)>,"<b>Navy</b>","<script>alert(\'x\')</script>"\n'
        '2023-01-02,10,100.1,cocaine,A&B,"javascript:alert(document.cookie)"\n'
        '2023-01-03,10,100.2,cocaine,"O\'Brien ""Unit""","</td></tr><tr><td>injected"\n'
    ),
    "s_ragged.csv": (
        "date,lat,lon,commodity\n"
        "2023-01-01,10,100,cocaine\n"
        "2023-01-02,10,100.1,cocaine,extra,fields\n"
        "2023-01-03,10\n"
        "2023-01-04,10,100.3,heroin\n"
    ),
    "s_header_only.csv": "date,lat,lon,commodity,quantity\n",
    "s_empty.csv": "",
    "s_blank_lines_multiline.csv": (
        "date,lat,lon,note\n"
        '2023-01-01,10,100,"first line\nsecond line"\n'
        "\n"
        "2023-01-02,95,100,bad latitude\n"
        '2023-01-03,10,100.2,"a\n\nb"\n'
        "2023-01-04,0,0,null island\n"
    ),
    "s_no_coords.csv": "date,place,commodity\n2023-01-01,Manila,cocaine\n",
    "s_projected_utm.csv": (
        "date,x,y,commodity\n"
        "2023-01-01,500000,4649776.22,cocaine\n"
        "2023-01-02,600000,4600000,heroin\n"
    ),
    "s_aoi.csv": (
        "date,lat,lon\n"
        "2023-01-01,10,100\n"
        "2023-01-02,10,179.5\n"
        "2023-01-03,10,-179.5\n"
        "2023-01-04,50,-30\n"
    ),
    "s_html_page.csv": (
        "<!DOCTYPE html>\n<html><head><title>Export</title></head>\n"
        "<body>Session expired, please log in.</body></html>\n"
    ),
    "s_points.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"date":"2023-01-01","commodity":"cocaine","quantity":10},'
        '"geometry":{"type":"Point","coordinates":[100.0,10.0]}},'
        '{"type":"Feature","properties":{"date":"2023-01-02","commodity":"heroin","quantity":2},'
        '"geometry":{"type":"Point","coordinates":[100.5,10.5]}},'
        '{"type":"Feature","properties":{"date":"2023-01-03","commodity":"x","quantity":1},'
        '"geometry":null},'
        '{"type":"Feature","properties":{"date":"2023-01-04","commodity":"area","quantity":1},'
        '"geometry":{"type":"Polygon","coordinates":[[[100,10],[101,10],[101,11],[100,11],[100,10]]]}},'
        '{"type":"Feature","properties":{"date":"2023-01-05","commodity":"bowtie","quantity":1},'
        '"geometry":{"type":"Polygon","coordinates":[[[100,10],[101,11],[101,10],[100,11],[100,10]]]}},'
        '{"type":"Feature","properties":{"date":"2023-01-06","commodity":"line","quantity":1},'
        '"geometry":{"type":"LineString","coordinates":[[100,10],[101,11]]}}'
        "]}\n"
    ),
    # ------------------------------------------------------------------ tracks
    # incidents as JSON Lines: numbers, a nested source, an out-of-range latitude, a line
    # that is not JSON, a boolean
    "s_incidents.jsonl": (
        '{"date": "2024-01-05", "lat": 10.5, "lon": -61.2, "commodity": "cocaine", '
        '"quantity": 120.5, "unit": "kg"}\n'
        '{"date": "2024-01-06", "lat": 10.6, "lon": -61.3, "commodity": "cannabis", '
        '"quantity": 15, "unit": "kg", "source": {"agency": "Coast Guard", "report": 17}}\n'
        '{"date": "2024-01-07", "lat": 95, "lon": -61.3, "commodity": "cocaine"}\n'
        "not json at all\n"
        '{"date": "2024-01-08", "lat": 10.7, "lon": -61.4, "commodity": "heroin", '
        '"verified": true}\n'
    ),
    "t_generic.csv": (
        "mmsi,timestamp,lat,lon,sog,cog,heading\n"
        "235000001,2024-01-01T00:10:00Z,50.01,-1.01,10.0,90,511\n"
        "235000001,2024-01-01T00:00:00Z,50.00,-1.00,10.0,90,88\n"
        "235000001,2024-01-01T00:20:00Z,91,181,102.3,360,511\n"
        "235000001,2024-01-01T00:30:00Z,50.02,-1.02,102.3,360,511\n"
        "235000002,2024-01-01T00:00:00Z,50.10,-1.10,,,\n"
        "235000002,2024-01-01T00:05:00Z,50.11,-1.10,5,45.5,45\n"
    ),
    # Barentswatch-style AIS stream (JSON Lines): numbers as JSON numbers, a blank line, a
    # null latitude, a line cut short, an array line, a nested object, an array value
    "t_barentswatch.jsonl": (
        '{"courseOverGround": 181.5, "latitude": 69.65, "longitude": 18.95, "mmsi": 257000001, '
        '"msgtime": "2024-01-01T00:00:00+00:00", "speedOverGround": 10.2, "trueHeading": 180, '
        '"name": "NORD STAR"}\n'
        '{"courseOverGround": 181.5, "latitude": 69.62, "longitude": 18.95, "mmsi": 257000001, '
        '"msgtime": "2024-01-01T00:10:00+00:00", "speedOverGround": 10.1, "trueHeading": 181, '
        '"name": "NORD STAR"}\n'
        "\n"
        '{"courseOverGround": 90.0, "latitude": 70.01, "longitude": 19.50, "mmsi": 257000002, '
        '"msgtime": "2024-01-01T00:00:00+00:00", "speedOverGround": 0.1, "trueHeading": 511, '
        '"shipType": {"code": 30, "text": "Fishing"}}\n'
        '{"courseOverGround": 90.0, "latitude": null, "longitude": 19.51, "mmsi": 257000002, '
        '"msgtime": "2024-01-01T00:05:00+00:00", "speedOverGround": 0.1, "trueHeading": 511}\n'
        '{"courseOverGround": 90.0, "latitude": 70.02, "longitude": 19.52, "mmsi": 257000002, '
        '"msgtime": "2024-01-01T00:10:00+00:00", "speedOverGround": 0.2, "trueHeading": 511\n'
        "[257000003, 70.0, 19.0]\n"
        '{"courseOverGround": 91.0, "latitude": 70.03, "longitude": 19.53, "mmsi": 257000002, '
        '"msgtime": "2024-01-01T00:15:00+00:00", "speedOverGround": 0.2, "trueHeading": 511, '
        '"tags": ["a", "b"]}\n'
    ),
    # An API response saved as a file: one pretty-printed array, vessel and position nested
    "t_api_array.json": (
        "[\n"
        "  {\n"
        '    "vessel": {"mmsi": 538000001, "name": "ATLANTIC ONE"},\n'
        '    "position": {"lat": 12.5012, "lon": -61.2001},\n'
        '    "timestamp": "2024-03-01T10:00:00Z",\n'
        '    "sog": 12.0\n'
        "  },\n"
        "  {\n"
        '    "vessel": {"mmsi": 538000001, "name": "ATLANTIC ONE"},\n'
        '    "position": {"lat": 12.5512, "lon": -61.2001},\n'
        '    "timestamp": "2024-03-01T10:15:00Z",\n'
        '    "sog": 12.1\n'
        "  },\n"
        '  {"vessel": {"mmsi": 538000002}, "position": {"lat": 13.0, "lon": -60.0}, '
        '"timestamp": "2024-03-01T10:00:00Z", "sog": 0.0},\n'
        '  {"vessel": {"mmsi": 538000002}, "position": {"lat": 13.001, "lon": -60.0}, '
        '"timestamp": "2024-03-01T11:00:00Z", "sog": 0.1}\n'
        "]\n"
    ),
    # incidents exported from Google Earth / My Maps: two folders, TimeStamp, ExtendedData
    "s_incidents.kml": '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">\n<Document>\n  <name>Incidents</name>\n  <Folder><name>2024</name>\n  <Placemark>\n    <name>2024-101</name>\n    <description>Boarded while anchored; 120 kg cocaine</description>\n    <TimeStamp><when>2024-01-05T03:00:00Z</when></TimeStamp>\n    <ExtendedData><Data name="commodity"><value>cocaine</value></Data><Data name="quantity"><value>120</value></Data></ExtendedData>\n    <Point><coordinates>-61.2,10.5,0</coordinates></Point>\n  </Placemark>\n  <Placemark>\n    <name>2024-102</name>\n    <TimeStamp><when>2024-01-06</when></TimeStamp>\n    <ExtendedData><Data name="commodity"><value>cannabis</value></Data><Data name="quantity"><value>15</value></Data></ExtendedData>\n    <Point><coordinates>-61.3,10.6</coordinates></Point>\n  </Placemark>\n  <Placemark>\n    <name>no position</name>\n    <TimeStamp><when>2024-01-07</when></TimeStamp>\n  </Placemark>\n  </Folder>\n  <Folder><name>2023</name>\n  <Placemark>\n    <name>2023-007</name>\n    <TimeStamp><when>2023-11-30</when></TimeStamp>\n    <Point><coordinates>-60.9,11.1</coordinates></Point>\n  </Placemark>\n  </Folder>\n</Document>\n</kml>\n',
    # a gx:Track (GDAL reads it as a line without its times)
    "t_gx_track.kml": '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">\n<Document><Placemark><name>vessel</name>\n  <gx:Track>\n    <when>2024-01-01T00:00:00Z</when><when>2024-01-01T00:10:00Z</when>\n    <gx:coord>-61.2 10.5 0</gx:coord><gx:coord>-61.1 10.5 0</gx:coord>\n  </gx:Track>\n</Placemark></Document>\n</kml>\n',
    "t_kml_places.kml": '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">\n<Document><Placemark><name>Port of Spain</name>\n  <TimeStamp><when>2024-01-01T00:00:00Z</when></TimeStamp>\n  <Point><coordinates>-61.52,10.65,0</coordinates></Point>\n</Placemark></Document>\n</kml>\n',
    "t_dma.csv": (
        "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
        "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
        "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D\n"
        "01/02/2024 00:00:00,Class A,219000001,55.60,12.60,Under way using engine,0,10.1,180.0,"
        "181,9000001,OXAB1,ANNA,Cargo,,20,100,GPS,6.0,AARHUS,02/02/2024 10:00:00,AIS,80,20,10,10\n"
        "13/02/2024 00:10:00,Class A,219000001,55.57,12.60,Under way using engine,0,10.0,180.0,"
        "181,9000001,OXAB1,ANNA,Cargo,,20,100,GPS,6.0,AARHUS,,AIS,80,20,10,10\n"
        "13/02/2024 00:00:00,Base Station,002190047,55.70,12.59,Unknown value,,,,,"
        "Unknown,Unknown,,Undefined,,,,Surveyed,,Unknown,,AIS,,,,\n"
        "13/02/2024 00:00:05,AtoN,992191234,55.71,12.61,Unknown value,,,,,"
        "Unknown,Unknown,BUOY,Undefined,,,,GPS,,Unknown,,AIS,,,,\n"
        "13/02/2024 00:05:00,Class B,219000002,91.000000,181.000000,Unknown value,,,,511,"
        "Unknown,Unknown,,Pleasure,,,,GPS,,Unknown,,AIS,,,,\n"
    ),
    "t_marinecadastre.csv": (
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        "367000001,2023-01-01T00:00:00,29.70,-95.00,8.0,120.0,119,TUG ONE,,WDA1,31,0,30,10,3,,A\n"
        "367000001,2023-01-01T00:01:00,29.70,-94.997,8.0,120.0,119,TUG ONE,,WDA1,31,0,30,10,3,,A\n"
        "367000002,2023-01-01T00:00:30,29.75,-94.90,0.0,360.0,511,BARGE,,WDA2,31,5,30,10,3,,A\n"
        "993670001,2023-01-01T00:00:00,29.60,-94.80,0.0,0.0,511,BUOY 1,,,,,,,,,A\n"
        "123456789,2023-01-01T00:00:00,29.61,-94.81,1.0,0.0,511,UNKNOWN,,,,,,,,,B\n"
        "36700003,2023-01-01T00:00:00,29.62,-94.82,1.0,0.0,511,SHORT,,,,,,,,,B\n"
        "111367001,2023-01-01T00:00:00,29.63,-94.83,120.0,0.0,511,SAR HELO,,,,,,,,,A\n"
        ",2023-01-01T00:00:00,29.64,-94.84,1.0,0.0,511,NOID,,,,,,,,,B\n"
    ),
    "t_speed_antimeridian.csv": (
        "mmsi,timestamp,lat,lon,sog,cog\n"
        "412000001,2024-03-01T00:00:00Z,10.00,100.00,10,90\n"
        "412000001,2024-03-01T00:10:00Z,10.00,100.03,10,90\n"
        "412000001,2024-03-01T00:20:00Z,40.00,-30.00,10,90\n"
        "412000001,2024-03-01T00:30:00Z,10.00,100.09,10,90\n"
        "412000001,2024-03-01T00:40:00Z,10.00,100.12,10,90\n"
        "412000001,2024-03-01T00:50:00Z,-33.00,151.00,10,90\n"
        "538000001,2024-03-01T00:00:00Z,-17.00,179.95,12,90\n"
        "538000001,2024-03-01T00:15:00Z,-17.00,-179.99,12,90\n"
        "538000001,2024-03-01T00:30:00Z,-17.00,-179.93,12,90\n"
    ),
    "t_duplicates_timezones.csv": (
        "MMSI;Time;Latitude;Longitude\n"
        "244000001;2024-05-01T02:00:00+02:00;52,0;4,0\n"
        "244000001;2024-05-01T00:00:00Z;52,0;4,0\n"
        "244000001;2024-05-01 00:10:00;52,01;4,0\n"
        "244000001;2024-05-01 00:10:00;52,01;4,0\n"
        "244000001;garbage;52,02;4,0\n"
        "244000001;;52,03;4,0\n"
    ),
    "t_empty.csv": "",
    "t_tracks.gpx": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="corpus" xmlns="http://www.topografix.com/GPX/1/1">\n'
        '<wpt lat="10.0" lon="100.0"><name>anchorage</name></wpt>\n'
        "<trk><name>patrol-1</name>\n"
        "<trkseg>\n"
        '<trkpt lat="10.00" lon="100.00"><time>2024-01-01T00:00:00Z</time></trkpt>\n'
        '<trkpt lat="10.01" lon="100.00"><time>2024-01-01T00:05:00Z</time></trkpt>\n'
        "</trkseg>\n<trkseg>\n"
        '<trkpt lat="10.02" lon="100.00"><time>2024-01-01T01:00:00Z</time></trkpt>\n'
        '<trkpt lat="10.03" lon="100.00"></trkpt>\n'
        "</trkseg></trk>\n"
        "<trk><name>planned</name><trkseg>\n"
        '<trkpt lat="11.0" lon="101.0"></trkpt>\n'
        '<trkpt lat="11.1" lon="101.1"></trkpt>\n'
        '<trkpt lat="11.2" lon="101.2"></trkpt>\n'
        "</trkseg></trk>\n"
        "</gpx>\n"
    ),
    "t_routes.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"route_id":"R1","start_time":"2024-01-01T00:00:00Z",'
        '"end_time":"2024-01-01T02:00:00Z"},'
        '"geometry":{"type":"LineString","coordinates":[[100,10],[100.1,10],[100.3,10]]}},'
        '{"type":"Feature","properties":{"route_id":"R2","start_time":null,"end_time":null},'
        '"geometry":{"type":"LineString","coordinates":[[110,5],[110,5.1]]}}'
        "]}\n"
    ),
    # ------------------------------------------------------------------ rasters
    "r_not_a_tiff.tif": "this is a text file that someone renamed to .tif\n",
}

#: Real-world shapes of issue 11 (each described in README.md, tested in
#: tests/test_ingest_real_shapes.py).  Written byte for byte; the names of the public formats
#: they imitate are in the README.
REAL_TEXT: dict[str, bytes] = {
    # PostgreSQL ``timestamptz::text`` and GeoPackage text dates: short offsets.
    "s_pg_short_offset.csv": (
        b"event_time_utc,Latitude (WGS84),Longitude (WGS84),category\n"
        b"2008-12-11 04:42:14+00,10.5,100.5,cocaine\n"
        b"2008-12-11 04:42:14+0530,10.5,100.6,cocaine\n"
        b"2008-12-11 04:42:14-08,10.5,100.7,heroin\n"
        b"2008-12-11T04:42:14.250Z,10.5,100.8,heroin\n"
        b"2008-12-11 04:42:14+05:30,10.5,100.9,heroin\n"
    ),
    # US spreadsheet export: month first, 12-hour clock; one value proves the order.
    "s_us_month_first.csv": (
        b"Date,Latitude,Longitude\n"
        b"2/1/2018 5:30:00 PM,10,100\n"
        b"2/13/2018 9:05:00 AM,10,100.1\n"
        b"12/31/2018 11:59:59 PM,10,100.2\n"
        b"2/1/2018 12:00:00 AM,10,100.3\n"
    ),
    "s_us_undecided.csv": (
        b"Date,Latitude,Longitude\n2/1/2018 5:30:00 PM,10,100\n2/3/2018 5:30:00 AM,10,100.1\n"
    ),
    "s_dates_both_ways.csv": (
        b"date,lat,lon\n13/01/2020,10,100\n01/13/2020,10,100.1\n03/04/2020,10,100.2\n"
    ),
    "s_old_years.csv": (
        b"date,lat,lon\n"
        b"1583-05-01,10,100\n"
        b"1583,10,100.1\n"
        b"1677-09-21,10,100.2\n"
        b"1677-09-22,10,100.3\n"
        b"2262-04-12,10,100.4\n"
        b"12 Jan 1583,10,100.5\n"
        b"2023-01-01,10,100.6\n"
    ),
    # IMB-style log: a date column beside a time-of-day column in several spellings.
    "s_time_of_day.csv": (
        b"date,time,lat,lon\n"
        b"2020-01-01,14:30 UTC,10,100\n"
        b"2020-01-02,1430Z,10,100.1\n"
        b"2020-01-03,14:30,10,100.2\n"
        b"2020-01-04,0230 LT,10,100.3\n"
        b"2020-01-05,2:30 PM,10,100.4\n"
        b"2020-01-06,18:85 UTC,10,100.5\n"
        b"2020-01-07,NA,10,100.6\n"
        b"2020-01-08,14:30 +03:00,10,100.7\n"
    ),
    "s_short_headers.csv": (
        b"ts,y_coord,x_coord,Hostility,Qty (kg)\n"
        b"2021-03-01T10:00:00Z,1.25,104.1,PIRATES,\n"
        b"2021-03-02T11:00:00Z,1.3,104.2,Pirates,5\n"
    ),
    "s_content_only.csv": (
        b"a,b,c,d\n120.5,14.2,2022-05-01,x\n121.0,13.9,2022-05-02,y\n119.8,15.1,2022-05-03,z\n"
    ),
    "s_content_ambiguous.csv": (b"a,b,c\n14.2,45.1,2022-05-01\n13.9,44.0,2022-05-02\n"),
    # ASAM-style record: DMS text with 60 in a field, one category spelled four ways.
    "s_asam_like.csv": (
        "reference,dateofocc,subreg,hostility,victim,latitude,longitude,navarea,description\n"
        '2019-101,2019-02-01,71,PIRATES,BULK CARRIER,"5°60\'00""S","105°30\'00""E",XI,boarded\n'
        '2019-102,2019-02-03,71,Pirates,TANKER,"1°15\'60""N","104°10\'00""E",XI,attempted\n'
        '2019-103,2019-02-05,71,pirates ,TUG,"1°61\'00""N","104°10\'00""E",XI,bad minutes\n'
        '2019-104,2019-02-07,71,Armed Robbers,TANKER,"1°10\'00""N","103°59\'60""E",XI,robbed\n'
    ).encode(),
    "s_categories.csv": (
        "date,lat,lon,commodity\n"
        "2023-01-01,10,100,PIRATES\n"
        "2023-01-02,10,100.1,Pirates\n"
        "2023-01-03,10,100.2,pirates \n"
        "2023-01-04,10,100.3,Cocai\u0301na\n"
        "2023-01-05,10,100.4,Cocaína\n"
        "2023-01-06,10,100.5,  Armed   Robbers\n"
        "2023-01-07,10,100.6,\n"
    ).encode("utf-8"),
    # Every line ends with the delimiter except the last, which has no newline either.
    "s_trailing_delimiter.csv": (
        b"date;lat;lon;\r\n2023-01-01;10;100;\r\n2023-01-02;10;100,5;\r\n2023-01-03;10;101"
    ),
    "s_cr_only.csv": b"date,lat,lon\r2023-01-01,10,100\r2023-01-02,10,100.5\r",
    "s_ctrl_z.csv": b"date,lat,lon\r\n2023-01-01,10,100\r\n2023-01-02,10,100.5\r\n\x1a",
    # GTFS-realtime vehicle positions flattened to CSV: one poll (vehicle_id unique per row).
    "t_bus_snapshot.csv": (
        b"entity_id,vehicle_id,trip_id,route_id,latitude,longitude,bearing,speed,timestamp\n"
        b"e1,bus-101,t1,R10,-32.92,151.78,90,9.8,1527621931\n"
        b"e2,bus-102,t2,R10,-32.93,151.76,180,5.0,1527621932\n"
        b"e3,bus-103,t3,R11,-32.90,151.75,270,0.0,1527621930\n"
        b"e4,bus-104,t4,R11,-32.91,151.74,0,3.2,1527621933\n"
    ),
    # Three polls of the same feed: vehicle_id repeats, speed in m/s, epoch seconds.
    "t_bus_polls.csv": (
        b"entity_id,vehicle_id,trip_id,route_id,latitude,longitude,bearing,speed,timestamp\n"
        b"e1,bus-101,t1,R10,-32.9200,151.7800,90,10.0,1527621900\n"
        b"e2,bus-102,t2,R10,-32.9300,151.7600,180,5.0,1527621900\n"
        b"e3,bus-101,t1,R10,-32.9200,151.7830,90,10.0,1527621930\n"
        b"e4,bus-102,t2,R10,-32.9313,151.7600,180,5.0,1527621930\n"
        b"e5,bus-101,t1,R10,-32.9200,151.7860,90,10.0,1527621960\n"
        b"e6,bus-102,t2,R10,-32.9326,151.7600,180,5.0,1527621960\n"
    ),
    "t_track_no.csv": (
        b"track_no,ts,Latitude (WGS84),Longitude (WGS84),speed_kmh\n"
        b"7,2024-02-01T00:00:00Z,43.000,5.000,18.52\n"
        b"7,2024-02-01T00:10:00Z,43.000,5.040,18.52\n"
        b"8,2024-02-01T00:00:00Z,43.100,5.100,0\n"
        b"8,2024-02-01T00:10:00Z,43.100,5.101,1.852\n"
    ),
    "t_id_by_content.csv": (
        b"time,lat,lon,k,heading\n"
        b"2024-01-01T00:00:00Z,50,1.00,A7,90\n"
        b"2024-01-01T00:00:00Z,51,1.00,B2,91\n"
        b"2024-01-01T00:01:00Z,50,1.01,A7,92\n"
        b"2024-01-01T00:01:00Z,51,1.01,B2,93\n"
    ),
    "t_record_id.csv": (
        b"id,timestamp,lat,lon\n"
        b"1,2024-01-01T00:00:00Z,50,1\n"
        b"2,2024-01-01T00:01:00Z,50,1.01\n"
        b"3,2024-01-01T00:02:00Z,50,1.02\n"
    ),
    "t_date_time_columns.csv": (
        b"MMSI,Date,Time (UTC),Lat,Lon\n"
        b"244000001,01/02/2024,00:10:00,52.0,4.0\n"
        b"244000001,13/02/2024,00:20:00,52.0,4.01\n"
        b"244000001,13/02/2024,00:30:00,52.0,4.02\n"
    ),
    "t_marinecadastre_snake.csv": (
        b"mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,"
        b"vessel_type,status,length,width,draft,cargo,transceiver\n"
        b"367000001,2024-01-01 00:00:00,-95.000,29.70,8.0,120.0,119,TUG ONE,,WDA1,31,0,30,10,3,,A\n"
        b"367000001,2024-01-01 00:01:00,-94.997,29.70,8.0,120.0,119,TUG ONE,,WDA1,31,0,30,10,3,,A\n"
        b"367000002,2024-01-01 00:00:30,-94.900,29.75,0.0,360.0,511,BARGE,,WDA2,31,5,30,10,3,,A\n"
    ),
    "t_gpx_zones.gpx": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<gpx version="1.1" creator="corpus" xmlns="http://www.topografix.com/GPX/1/1">\n'
        b"<trk><name>boat</name><trkseg>\n"
        b'<trkpt lat="10.00" lon="100.00"><time>2024-01-01T10:00:00Z</time></trkpt>\n'
        b'<trkpt lat="10.01" lon="100.00"><time>2024-01-01T12:05:00+02:00</time></trkpt>\n'
        b'<trkpt lat="10.02" lon="100.00"><time>2024-01-01T10:10:00.500Z</time></trkpt>\n'
        b"</trkseg></trk></gpx>\n"
    ),
    "c_ports.csv": (
        b"Port Name,Latitude (WGS84),Longitude (WGS84)\n"
        b"Rotterdam,51.95,4.05\n"
        b"Singapore,1.26,103.84\n"
        b"Nowhere,95,4\n"
        b"Unknown,,\n"
    ),
    "c_lanes.geojson": (
        b'{"type":"FeatureCollection","features":['
        b'{"type":"Feature","properties":{"name":"Malacca TSS"},"geometry":{"type":"LineString",'
        b'"coordinates":[[98.0,5.5],[100.5,3.0],[103.5,1.2]]}},'
        b'{"type":"Feature","properties":{"name":"Dover TSS"},"geometry":{"type":"MultiLineString",'
        b'"coordinates":[[[1.2,50.9],[1.6,51.1]],[[1.3,50.8],[1.7,51.0]]]}},'
        b'{"type":"Feature","properties":{"name":"a port"},"geometry":{"type":"Point",'
        b'"coordinates":[4.05,51.95]}},'
        b'{"type":"Feature","properties":{"name":"empty"},"geometry":null}'
        b"]}\n"
    ),
    "c_lanes_wkt.csv": (
        b'name,wkt\n"A","LINESTRING (0 0, 1 1)"\n"B","not wkt"\n"C","LINESTRING (2 2, 3 3)"\n'
    ),
}


def _write_text() -> None:
    for name, text in TEXT.items():
        (HERE / name).write_bytes(text.encode("utf-8"))
    # Byte-level cases: BOM, cp1252 with bytes invalid in UTF-8.
    (HERE / "s_bom_utf8.csv").write_bytes(
        "\ufeffdate,lat,lon,agency\n2023-01-01,36.8,-2.46,Guardia Civil – Almería\n"
        "2023-01-02,36.7,-4.42,Aduanas\n".encode("utf-8")
    )
    (HERE / "s_cp1252.csv").write_bytes(
        "date;lat;lon;agency;note\n2023-01-01;36,8;-2,46;Almería;coste 5 000 €\n"
        "2023-01-02;36,7;-4,42;Málaga;«lancha»\n".encode("cp1252")
    )
    (HERE / "s_utf16.csv").write_bytes(
        "date,lat,lon\n2023-01-01,10,100\n2023-01-02,11,101\n".encode("utf-16")
    )


def _write_vector() -> None:
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame(
        {
            "date": ["2023-01-01", "2023-01-02", "2023-01-03", "2023-01-04"],
            "commodity": ["cocaine", "heroin", "cocaine", "cannabis"],
            "quantity": [10.0, -1.0, 3.0, 4.0],
        },
        geometry=[
            shapely.Point(100, 10),
            shapely.Point(100.5, 10.5),
            shapely.Point(0, 0),
            shapely.Point(101, 11),
        ],
        crs="EPSG:4326",
    )
    gdf.to_file(HERE / "s_points.gpkg", layer="seizures", driver="GPKG")
    # two layers of seizures in one GeoPackage: read only with layer: set
    gdf.iloc[:2].to_file(HERE / "s_two_layers.gpkg", layer="seizures_2023", driver="GPKG")
    gdf.iloc[2:].to_file(HERE / "s_two_layers.gpkg", layer="seizures_2024", driver="GPKG")
    gdf.to_parquet(HERE / "s_points.parquet")
    utm = gdf.to_crs("EPSG:3857")
    buf = io.BytesIO()
    tmp = HERE / "_shp"
    tmp.mkdir(exist_ok=True)
    utm.to_file(tmp / "seizures.shp")
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(tmp.iterdir()):
            z.write(p, p.name)
            p.unlink()
    tmp.rmdir()
    (HERE / "s_points_shp.zip").write_bytes(buf.getvalue())
    poly = gpd.GeoDataFrame(
        {"date": ["2023-01-01", "2023-01-02"], "commodity": ["a", "b"]},
        geometry=[shapely.box(100, 10, 101, 11), shapely.Point(102, 12)],
        crs="EPSG:4326",
    )
    poly.to_file(HERE / "s_polygons.gpkg", driver="GPKG")
    (HERE / "s_corrupt.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    # tracks as points with MMSI and time, in a projected CRS
    pts = gpd.GeoDataFrame(
        {
            "mmsi": ["257000001", "257000001", "257000001", "257000002"],
            "timestamp": [
                "2024-01-01T00:10:00Z",
                "2024-01-01T00:00:00Z",
                "2024-01-01T00:20:00Z",
                "2024-01-01T00:00:00Z",
            ],
            "sog": [5.0, 5.0, 5.0, 102.3],
        },
        geometry=[
            shapely.Point(5.01, 60.0),
            shapely.Point(5.0, 60.0),
            shapely.Point(5.02, 60.0),
            shapely.Point(5.5, 60.5),
        ],
        crs="EPSG:4326",
    ).to_crs("EPSG:32632")
    pts.to_file(HERE / "t_points.gpkg", driver="GPKG")
    pts.to_crs("EPSG:4326").to_parquet(HERE / "t_points.parquet")
    # Excel: real dates, a text date, numbers and a missing value
    xl = pd.DataFrame(
        {
            "Date": [
                pd.Timestamp("2023-01-01"),
                pd.Timestamp("2023-01-02 10:30"),
                "15/01/2023",
                None,
            ],
            "Latitude": [10.0, 11.0, "12°30'N", 13.0],
            "Longitude": [100.0, 101.0, "101°15'E", 103.0],
            "Commodity": ["cocaine", None, "heroin", "cannabis"],
            "Quantity": [1.5, 2, "N/A", 4],
        }
    )
    xl.to_excel(HERE / "s_seizures.xlsx", index=False, sheet_name="seizures")
    data = (HERE / "s_seizures.xlsx").read_bytes()
    (HERE / "s_truncated.xlsx").write_bytes(data[: len(data) // 2])


def _write_rasters() -> None:
    import pandas as pd
    import rasterio
    import xarray as xr
    from rasterio.transform import from_origin

    rng = np.random.default_rng(3)
    arr = rng.uniform(0, 10, (1, 20, 30)).astype("float32")
    arr[0, :5, :5] = -9999.0
    arr[0, 10, 10] = np.nan
    profile = dict(
        driver="GTiff",
        width=30,
        height=20,
        count=1,
        dtype="float32",
        transform=from_origin(100.0, 15.0, 0.1, 0.1),
        nodata=-9999.0,
    )
    with rasterio.open(HERE / "r_4326_nodata.tif", "w", crs="EPSG:4326", **profile) as ds:
        ds.write(arr)
    utm = dict(
        profile,
        transform=from_origin(500000.0, 1660000.0, 1000.0, 1000.0),
        nodata=None,
        dtype="uint8",
        count=2,
    )
    with rasterio.open(HERE / "r_utm_2band.tif", "w", crs="EPSG:32647", **utm) as ds:
        ds.write(rng.integers(1, 255, (2, 20, 30)).astype("uint8"))
    custom = "+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m"
    cprof = dict(profile, transform=from_origin(4321000.0, 3210000.0, 1000.0, 1000.0))
    with rasterio.open(HERE / "r_custom_crs.tif", "w", crs=custom, **cprof) as ds:
        ds.write(arr)
    with rasterio.open(HERE / "r_no_crs.tif", "w", **profile) as ds:
        ds.write(arr)
    big = dict(
        profile,
        width=512,
        height=512,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(HERE / "r_truncated.tif", "w", crs="EPSG:4326", **big) as ds:
        ds.write(rng.uniform(0, 1, (1, 512, 512)).astype("float32"))
    data = (HERE / "r_truncated.tif").read_bytes()
    (HERE / "r_truncated.tif").write_bytes(data[: len(data) * 2 // 3])

    times = pd.date_range("2024-01-01", periods=3, freq="D")
    lat = np.arange(-5.0, 5.1, 1.0)  # ascending: must come out north-up
    lon = np.arange(0.0, 360.0, 10.0)  # 0..350: must come out -180..170
    vals = np.stack([np.full((lat.size, lon.size), float(i + 1)) for i in range(3)])
    vals[:, 0, 0] = np.nan
    ds = xr.Dataset(
        {"vessel_detections": (("time", "lat", "lon"), vals)},
        coords={"time": times, "lat": lat, "lon": lon},
    )
    ds["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    ds["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    ds["vessel_detections"].encoding = {
        "dtype": "int16",
        "scale_factor": 0.5,
        "add_offset": 1.0,
        "_FillValue": -32767,
    }
    ds.to_netcdf(HERE / "r_cf_0360_packed.nc", engine="h5netcdf")
    xr.Dataset({"v": (("a", "b"), np.ones((2, 3)))}).to_netcdf(
        HERE / "r_no_latlon.nc", engine="h5netcdf"
    )


def _write_real() -> None:
    """Issue-11 shapes: text files byte for byte, zips, shapefiles and rasters."""
    import geopandas as gpd
    import rasterio
    import shapely
    import xarray as xr
    from rasterio.transform import from_origin

    for name, data in REAL_TEXT.items():
        (HERE / name).write_bytes(data)

    def zip_of(target: str, members: dict[str, bytes]) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for member, data in members.items():
                info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        (HERE / target).write_bytes(buf.getvalue())

    csv = REAL_TEXT["s_us_month_first.csv"]
    zip_of("s_zipped_csv.zip", {"export/seizures.csv": csv, "__MACOSX/._seizures.csv": b"x"})
    zip_of("s_zip_two_tables.zip", {"a.csv": csv, "b.csv": csv})
    zip_of("s_zip_bomb.zip", {"huge.csv": b"date,lat,lon\n" + b"0" * (64 * 2**20)})
    zip_of("t_dma_zipped.zip", {"aisdk-2024-02-13.csv": (HERE / "t_dma.csv").read_bytes()})
    zip_of("s_incidents.kmz", {"doc.kml": (HERE / "s_incidents.kml").read_bytes()})
    # single-file compression, as feeds ship AIS (mtime 0: the same bytes every time)
    import bz2
    import gzip

    (HERE / "t_marinecadastre.csv.gz").write_bytes(
        gzip.compress((HERE / "t_marinecadastre.csv").read_bytes(), mtime=0)
    )
    (HERE / "s_basic.csv.bz2").write_bytes(bz2.compress((HERE / "s_basic.csv").read_bytes()))
    (HERE / "s_gzip_bomb.csv.gz").write_bytes(
        gzip.compress(b"date,lat,lon\n" + b"0" * (64 * 2**20), mtime=0)
    )

    def shapefile_zip(target: str, gdf, keep_prj: bool) -> None:
        tmp = HERE / "_shp"
        tmp.mkdir(exist_ok=True)
        gdf.to_file(tmp / "layer.shp")
        members = {}
        for p in sorted(tmp.iterdir()):
            if keep_prj or p.suffix != ".prj":
                members[p.name] = p.read_bytes()
            p.unlink()
        tmp.rmdir()
        zip_of(target, members)

    pts = gpd.GeoDataFrame(
        {"date": ["2023-01-01", "2023-01-02"], "category": ["Pirates", "PIRATES"]},
        geometry=[shapely.Point(100, 10), shapely.Point(101, 11)],
        crs=None,
    )
    shapefile_zip("s_shp_no_prj.zip", pts, keep_prj=False)
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    land = gpd.GeoDataFrame(
        {"name": ["island", "bowtie", "reef line"]},
        geometry=[shapely.box(10, 10, 11, 11), bowtie, shapely.LineString([(5, 5), (6, 6)])],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    shapefile_zip("c_land_shp.zip", land.iloc[:2], keep_prj=True)
    shapefile_zip("c_land_no_prj.zip", land.iloc[:1], keep_prj=False)

    # rasters
    profile = dict(driver="GTiff", width=20, height=10, count=1, dtype="float32", nodata=-9999.0)
    arr = np.arange(200, dtype="float32").reshape(1, 10, 20)
    with rasterio.open(
        HERE / "r_metres_no_crs.tif",
        "w",
        transform=from_origin(500000, 4650000, 1000, 1000),
        **profile,
    ) as ds:
        ds.write(arr)
    with rasterio.open(
        HERE / "r_impossible_bounds.tif",
        "w",
        crs="EPSG:4326",
        transform=from_origin(100, 2000, 100, 100),
        **profile,
    ) as ds:
        ds.write(arr)
    with rasterio.open(
        HERE / "r_all_nodata.tif",
        "w",
        crs="EPSG:4326",
        transform=from_origin(100, 15, 0.1, 0.1),
        **profile,
    ) as ds:
        ds.write(np.full((1, 10, 20), -9999.0, dtype="float32"))
    with rasterio.open(
        HERE / "r_far_away.tif",
        "w",
        crs="EPSG:4326",
        transform=from_origin(-60, -40, 0.1, 0.1),
        **profile,
    ) as ds:
        ds.write(arr)
    write_packed_raster(HERE / "r_packed_int16.tif")
    write_undeclared_nodata_raster(HERE / "r_undeclared_9999.tif")
    times = pd.date_range("2024-01-01", periods=3, freq="D")
    levels = np.array([1000.0, 850.0, 500.0, 250.0])
    lat = np.arange(0.0, 5.0, 1.0)
    lon = np.arange(100.0, 106.0, 1.0)
    t_idx, l_idx = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    vals = (100 * (t_idx + 1) + levels[l_idx] / 10)[:, :, None, None] * np.ones((1, 1, 5, 6))
    ds = xr.Dataset(
        {"wind": (("time", "level", "lat", "lon"), vals)},
        coords={"time": times, "level": levels, "lat": lat, "lon": lon},
    )
    ds["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    ds["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    ds["level"].attrs = {"units": "hPa"}
    ds.to_netcdf(HERE / "r_nc_time_level.nc", engine="h5netcdf")
    member = xr.Dataset(
        {"wind": (("member", "time", "level", "lat", "lon"), np.stack([vals, vals]))},
        coords={"member": [0, 1], "time": times, "level": levels, "lat": lat, "lon": lon},
    )
    member.to_netcdf(HERE / "r_nc_three_dims.nc", engine="h5netcdf")
    xr.Dataset(
        {"depth": (("y", "x"), np.ones((4, 5)))},
        coords={"y": 4650000.0 - 1000.0 * np.arange(4), "x": 500000.0 + 1000.0 * np.arange(5)},
    ).to_netcdf(HERE / "r_nc_metres_no_crs.nc", engine="h5netcdf")


def _write_geotiff(path: Path, arr: np.ndarray, **profile) -> None:
    """One band on a 0.1° grid from (100 E, 15 N); ``scales``/``offsets`` set after writing."""
    import rasterio
    from rasterio.transform import from_origin

    packing = {k: profile.pop(k) for k in ("scales", "offsets") if k in profile}
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[-1],
        height=arr.shape[-2],
        count=1,
        dtype=arr.dtype,
        crs="EPSG:4326",
        transform=from_origin(100, 15, 0.1, 0.1),
        **profile,
    ) as ds:
        ds.write(arr.reshape(1, *arr.shape[-2:]))
        for k, v in packing.items():
            setattr(ds, k, v)


def write_packed_raster(path: Path) -> None:
    """NDVI-like int16 with a band scale and offset (value = stored x 0.0001 + 0.5)."""
    stored = (np.arange(200, dtype="int16").reshape(10, 20) * 10).astype("int16")
    stored[0, 0] = -32768  # nodata
    _write_geotiff(path, stored, nodata=-32768, scales=(0.0001,), offsets=(0.5,))


def write_undeclared_nodata_raster(path: Path) -> None:
    """A float raster whose first three rows are -9999 with no nodata declared."""
    arr = np.arange(200, dtype="float32").reshape(10, 20)
    arr[:3] = -9999.0
    _write_geotiff(path, arr)


def main() -> None:
    """Write every corpus file."""
    _write_text()
    _write_vector()
    _write_rasters()
    _write_real()


if __name__ == "__main__":
    main()
