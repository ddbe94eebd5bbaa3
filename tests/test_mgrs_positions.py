"""MGRS / USNG grid references as positions: the decoder against the ``mgrs`` package
(GeoTrans), hand arithmetic and a surveyed point; rejects with their rules and lines; a
seizures file whose only position is a grid reference column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from _ingest_stage import assert_spilled_as_whole
from _property import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.ingest import read_seizures
from pipeline.ingest._mgrs import mgrs_to_lonlat

mgrs = pytest.importorskip("mgrs")
REF = mgrs.MGRS()

#: (id, lat, lon): zones 1 and 60, the antimeridian, the equator (bands M/N), both
#: hemispheres, Norway's 32V and 31V, Svalbard's 31X-37X, the bands' edges (C, X).
PLACES = [
    ("zone1-north", 52.1, -179.7),
    ("zone1-south", -17.3, -177.2),
    ("zone60-north", 51.9, 179.8),
    ("zone60-south", -42.5, 174.3),
    ("antimeridian-west", -16.0, -179.999),
    ("antimeridian-east", 66.0, 179.999),
    ("equator-north", 0.0004, 32.5),
    ("equator-south", -0.0004, 32.5),
    ("equator-zone-edge", 0.3, -78.01),
    ("norway-32V", 60.4, 5.3),
    ("norway-31V", 61.0, 2.5),
    ("svalbard-31X", 78.5, 8.0),
    ("svalbard-33X", 78.2, 15.6),
    ("svalbard-35X", 79.0, 27.0),
    ("svalbard-37X", 80.0, 38.0),
    # where the Svalbard zones differ from the 6-degree ones (33X from 9 E, 35X from 21 E,
    # 37X from 33 E)
    ("svalbard-33X-west", 78.0, 10.0),
    ("svalbard-35X-west", 78.0, 22.0),
    ("svalbard-37X-west", 78.0, 34.0),
    # band P's 100 km square whose centre lies in band N, 0.3 degrees south
    ("band-edge-coarse", 8.01, 10.0),
    ("band-X-top", 83.9, -40.0),
    ("band-C-bottom", -79.9, 160.0),
    ("singapore", 1.25, 103.8),
    ("callao", -12.05, -77.15),
    ("hawaii", 21.41, -157.92),
]

#: Two references of the end-to-end reads: Washington (18S) and Hawaii (4Q), 1 m squares.
TWO = ["18SUJ2337106519", "4QFJ1234567890"]


def _ref(lat: float, lon: float, digits: int) -> str:
    out = REF.toMGRS(lat, lon, MGRSPrecision=digits)
    return out.decode() if isinstance(out, bytes) else out


@pytest.mark.parametrize("digits", range(6), ids=[f"{d}+{d}-digits" for d in range(6)])
@pytest.mark.parametrize(("lat", "lon"), [p[1:] for p in PLACES], ids=[p[0] for p in PLACES])
def test_square_centres_are_the_mgrs_packages(lat, lon, digits):
    # GeoTrans (mgrs 1.5+) also returns a reference's square centre, at every precision
    ref = _ref(lat, lon, digits)
    pos = mgrs_to_lonlat(pd.Series([ref]))
    want_lat, want_lon = REF.toLatLon(ref)
    assert pos.problem[0] == "", (ref, pos.problem[0])
    assert pos.size_m[0] == 10.0 ** (5 - digits)
    assert pos.lat[0] == pytest.approx(want_lat, abs=1e-7)
    assert pos.lon[0] == pytest.approx(want_lon, abs=1e-7)


def test_hand_arithmetic_of_letters_and_band():
    # 4Q FJ: zone 4 (4 mod 3 = 1: columns A-H, F is the 6th: 600 km), row J is the 9th of
    # A-V, an even zone's rows start at F: (8 - 5) * 100 km; band Q (16-24 N) puts the
    # northing in the 2,000-4,000 km cycle: 2,367,890 m; the 1 m square's centre +0.5 m
    pos = mgrs_to_lonlat(pd.Series(["4QFJ1234567890", "4Q FJ 123 678"]))
    to_ll = pyproj.Transformer.from_crs(32604, 4326, always_xy=True)
    lon, lat = to_ll.transform([612345.5, 612350.0], [2367890.5, 2367850.0])
    np.testing.assert_allclose(pos.lon, lon, atol=1e-9)
    np.testing.assert_allclose(pos.lat, lat, atol=1e-9)
    assert pos.size_m.tolist() == [1.0, 100.0]
    # 18S UJ: zone 18 (mod 3 = 0: S-Z, U is the 3rd: 300 km), odd zone: J is 800 km, band S
    # (32-40 N): 4,000 + 800 km
    pos = mgrs_to_lonlat(pd.Series(["18SUJ21"]))
    lon, lat = pyproj.Transformer.from_crs(32618, 4326, always_xy=True).transform(
        325000.0, 4315000.0
    )
    assert (pos.lon[0], pos.lat[0]) == pytest.approx((lon, lat), abs=1e-9)


def test_a_surveyed_point():
    # the Washington Monument: USNG 18SUJ2348306479 (NAD 83), NGS's N38°53'22.08377"
    # W77°02'06.86378"; NAD 83 and WGS84 differ by about a metre there
    pos = mgrs_to_lonlat(pd.Series(["18SUJ2348306479"]))
    lat = 38 + 53 / 60 + 22.08377 / 3600
    lon = -(77 + 2 / 60 + 6.86378 / 3600)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(lon, lat, pos.lon[0], pos.lat[0])
    assert dist < 3.0


def test_spaces_and_case_are_one_reference():
    pos = mgrs_to_lonlat(
        pd.Series(
            ["18SUJ2337106519", "18S UJ 23371 06519", " 18suj 2337106519", "18S\tUJ 23371 06519"]
        )
    )
    zero = mgrs_to_lonlat(pd.Series(["4QFJ1234567890", "04QFJ1234567890", "4 q fj 12345 67890"]))
    assert len(set(zero.lat.tolist())) == 1 and not np.isnan(zero.lat).any()
    assert len(set(pos.lat.tolist())) == 1 and len(set(pos.lon.tolist())) == 1
    assert not np.isnan(pos.lat).any()


BAD = [
    ("band-I", "18IUJ2337106519", "band letter"),
    ("band-O", "18OUJ2337106519", "band letter"),
    ("column-not-in-zone", "18SAJ2337106519", "column letter"),
    ("row-W", "18SUW2337106519", "row letter"),
    ("odd-digits", "18SUJ233710651", "odd number"),
    ("twelve-digits", "18SUJ233710065190", "more than 10"),
    ("zone-61", "61SUJ2337106519", "zone 1-60"),
    ("zone-0", "0SUJ2337106519", "zone 1-60"),
    ("svalbard-32X", "32XNJ1234512345", "32X"),
    ("wrong-band", "18TUJ2337106519", "outside its latitude band"),
    ("wrong-band-south", "18KUJ2337106519", "outside its latitude band"),
    # GeoTrans reads it in band S, the next one up, with only a printed warning
    ("wrong-band-adjacent", "18RUJ2337106519", "outside its latitude band"),
    ("square-beyond-zone-at-74N", "18XUJ2337106519", "outside its zone"),
    ("no-reference", "near the port", "not an MGRS reference"),
    ("square-beyond-zone", "31XAJ1234512345", "outside its zone"),
]


@pytest.mark.parametrize(("ref", "why"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_references_say_why(ref, why):
    pos = mgrs_to_lonlat(pd.Series([ref]))
    assert np.isnan(pos.lat[0]) and np.isnan(pos.lon[0]) and np.isnan(pos.size_m[0])
    assert why in pos.problem[0]
    assert not pos.polar[0] and not pos.missing[0]


def test_polar_and_blank_values():
    pos = mgrs_to_lonlat(pd.Series(["ZAH1234512345", "B AN 123 456", "YZG", "", None, "  "]))
    assert pos.polar.tolist() == [True, True, True, False, False, False]
    assert pos.missing.tolist() == [False, False, False, True, True, True]
    assert (pos.problem == "").all() and np.isnan(pos.lat).all()
    # a missing value before a reference is missing, never given the reference's position
    for dtype in (object, "str"):
        pos = mgrs_to_lonlat(pd.Series([None, "18SUJ21", np.nan], dtype=dtype))
        assert pos.missing.tolist() == [True, False, True]
        assert np.isnan(pos.lat[[0, 2]]).all() and not np.isnan(pos.lat[1])


def _zone_xy(ref: str, lon: float, lat: float) -> tuple[float, float]:
    """UTM x, y of a point in the zone and hemisphere its reference names."""
    zone = ref[:2] if ref[1].isdigit() else ref[:1]
    epsg = (32600 if ref[len(zone)] >= "N" else 32700) + int(zone)
    return pyproj.Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat=st.floats(-79.99, 83.99),
    lon=st.floats(-180.0, 179.9999),
    digits=st.integers(0, 5),
)
# 2 mm south of the equator: GeoTrans writes 31MAA (its northing rounded to 10,000,000 m),
# the square north of the point
@example(lat=-1.699272679717514e-08, lon=0.0, digits=0)
def test_round_trip_lands_in_the_square(lat, lon, digits):
    ref = _ref(lat, lon, digits)
    pos = mgrs_to_lonlat(pd.Series([ref]))
    assert pos.problem[0] == "", (lat, lon, ref, pos.problem[0])
    size = 10.0 ** (5 - digits)
    x, y = _zone_xy(ref, lon, lat)
    cx, cy = _zone_xy(ref, pos.lon[0], pos.lat[0])
    # the point is inside the square its reference names (GeoTrans truncates, after
    # rounding a northing within millimetres of a square's edge onto it)
    assert abs(x - cx) <= size / 2 + 1e-2 and abs(y - cy) <= size / 2 + 1e-2, (ref, lat, lon)


def _csv(path, header: str, rows: list[str]) -> None:
    lines = [f"date,{header},drug,kg"]
    lines += [f"2023-03-{i + 1:02d},{v},cocaine,{i + 1}" for i, v in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_seizures_file_with_only_grid_references(tmp_path):
    refs = [
        "18SUJ2337106519",
        "18S UJ 23371 06519",
        "4QFJ1234567890",
        "18SUJ21",
        "18IUJ2337106519",
        "ZAH1234512345",
        "",
        "18TUJ2337106519",
        "60HUC12345678",
        "18SUJ2306",
    ]
    path = tmp_path / "grid.csv"
    _csv(path, "MGRS", refs)
    res = read_seizures(path)
    assert res.n_read == len(refs) == len(res.frame) + len(res.rejects)
    want = mgrs_to_lonlat(pd.Series([refs[i] for i in (0, 1, 2, 3, 8, 9)]))
    np.testing.assert_allclose(res.frame["lat"], want.lat)
    np.testing.assert_allclose(res.frame["lon"], want.lon)
    got = dict(zip(res.rejects["row"], res.rejects["rule"], strict=True))
    assert got == {6: "mgrs_invalid", 7: "mgrs_polar", 8: "coord_missing", 9: "mgrs_invalid"}
    assert set(res.rejects["column"]) == {"MGRS"}
    messages = res.rejects.set_index("row")["message"]
    assert "band letter" in messages[6] and "outside its latitude band" in messages[9]
    assert res.rejects.set_index("row")["value"][6] == "18IUJ2337106519"
    said = " ".join(res.notes)
    assert "3 at 1 m, 1 at 10 m, 1 at 1 km, 1 at 10 km" in said
    assert "1 position(s) of 'MGRS' are coarse" in said
    cols = res.assumptions["columns"]["coords"]
    assert cols["column"] == "MGRS" and cols["format"] == "MGRS"
    assert cols["precision"] == {"1 m": 3, "10 m": 1, "1 km": 1, "10 km": 1}


@pytest.mark.parametrize(
    "header", ["Grid Ref", "USNG", "grid_reference", "MGRS coordinates", "Grid", "ref"]
)
def test_the_column_is_found_by_name_or_values(tmp_path, header):
    path = tmp_path / "grid.csv"
    _csv(path, header, ["18SUJ2337106519", "4QFJ1234567890", "32VLM1234512345"])
    res = read_seizures(path)
    assert len(res.frame) == 3 and res.rejects.empty
    assert res.assumptions["columns"]["coords"]["column"] == header


def test_latitude_longitude_win_and_disagreements_are_noted(tmp_path):
    near = mgrs_to_lonlat(pd.Series(["18SUJ2337106519"]))
    path = tmp_path / "both.csv"
    path.write_text(
        "date,lat,lon,MGRS,drug\n"
        f"2023-03-01,{near.lat[0]:.6f},{near.lon[0]:.6f},18SUJ2337106519,cocaine\n"
        f"2023-03-02,{near.lat[0] + 0.2:.6f},{near.lon[0]:.6f},18SUJ2337106519,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["lat"].tolist() == pytest.approx([near.lat[0], near.lat[0] + 0.2], abs=1e-6)
    said = " ".join(res.notes)
    assert "1 position(s) lie outside the square of the grid reference in 'MGRS'" in said
    assert "line 3" in said


def test_a_point_anywhere_in_a_coarse_square_agrees_with_it(tmp_path):
    # 18SUJ21 names a 10 km square: a point 4.9 km east and north of its centre (6.9 km
    # away) is in it, one 5.1 km away on both axes is not
    to_ll = pyproj.Transformer.from_crs(32618, 4326, always_xy=True)
    (lon_in, lon_out), (lat_in, lat_out) = to_ll.transform(
        [329900.0, 330100.0], [4319900.0, 4320100.0]
    )
    path = tmp_path / "coarse.csv"
    path.write_text(
        "date,lat,lon,Grid Ref,drug\n"
        f"2023-03-01,{lat_in:.7f},{lon_in:.7f},18SUJ21,cocaine\n"
        f"2023-03-02,{lat_out:.7f},{lon_out:.7f},18SUJ21,cocaine\n",
        encoding="utf-8",
    )
    said = " ".join(read_seizures(path).notes)
    assert "1 position(s) lie outside the square" in said and "line 3" in said


def test_a_coords_column_named_in_the_config_holding_references(tmp_path):
    from pipeline.ingest import SeizureSource

    path = tmp_path / "where.csv"
    _csv(path, "where", ["18SUJ2337106519", "4QFJ1234567890", "18SUW2337106519"])
    res = read_seizures(SeizureSource(path=path, columns={"coords": "where"}))
    want = mgrs_to_lonlat(pd.Series(TWO))
    np.testing.assert_allclose(res.frame["lat"], want.lat)
    assert res.rejects["rule"].tolist() == ["mgrs_invalid"] and res.rejects["row"].tolist() == [4]
    assert res.assumptions["columns"]["coords"]["by"] == "config"


def test_json_records_with_a_grid_reference(tmp_path):
    path = tmp_path / "incidents.jsonl"
    path.write_text(
        '{"date": "2023-03-01", "usng": "18S UJ 23371 06519", "drug": "cocaine"}\n'
        '{"date": "2023-03-02", "usng": "4QFJ1234567890", "drug": "cocaine"}\n',
        encoding="utf-8",
    )
    res = read_seizures(path)
    want = mgrs_to_lonlat(pd.Series(TWO))
    np.testing.assert_allclose(res.frame["lon"], want.lon)


def test_values_only_shaped_like_references_are_no_column_of_them(tmp_path):
    # call signs such as '9VAB' are shaped like a 100 km square's reference, and none is
    # one (column letter A is not used in zone 9): still no position, refused
    path = tmp_path / "calls.csv"
    _csv(path, "callsign", ["9VAB", "9VAC", "9VAD"])
    with pytest.raises(InputError, match="no coordinate columns"):
        read_seizures(path)


def _track(path, refs: list[str]) -> None:
    lines = ["mmsi,time,grid_ref,sog"]
    lines += [f"247000001,2024-01-02T00:{i:02d}:00Z,{r},5" for i, r in enumerate(refs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_track_of_grid_references_whole_and_in_chunks(tmp_path):
    from pipeline.ingest import read_tracks

    refs = ["18SUJ2337106519", "18SUJ2347106519", "18IUJ2357106519", "18SUJ2367106519"]
    path = tmp_path / "patrol.csv"
    _track(path, refs)
    whole = read_tracks(path)
    want = mgrs_to_lonlat(pd.Series([refs[i] for i in (0, 1, 3)]))
    np.testing.assert_allclose(whole.frame["lat"], want.lat, atol=1e-12)
    np.testing.assert_allclose(whole.frame["lon"], want.lon, atol=1e-12)
    assert whole.rejects["row"].tolist() == [4]
    assert whole.rejects["value"].tolist() == ["18IUJ2357106519"]
    assert whole.rejects["rule"].tolist() == ["mgrs_invalid"]
    assert "band letter" in whole.rejects["message"].iloc[0]
    assert any("grid references in 'grid_ref'" in n for n in whole.notes)
    assert_spilled_as_whole(path, tmp_path, whole)


def test_a_position_column_of_pairs_beside_one_reference_stays_pairs(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        'date,position,drug\n2023-03-01,"1.25, 104.1",cocaine\n'
        '2023-03-02,"8.9, -79.5",cocaine\n2023-03-03,18SUJ2337106519,cocaine\n',
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["lat"].tolist() == [1.25, 8.9]
    assert res.rejects["rule"].tolist() == ["coord_unparseable"]


def test_blank_latitude_longitude_beside_references(tmp_path):
    # a reporting template's Latitude/Longitude left empty, the MGRS column filled
    path = tmp_path / "template.csv"
    path.write_text(
        "date,Latitude,Longitude,MGRS,drug\n"
        "2023-03-01,,,18SUJ2337106519,cocaine\n2023-03-02,,,4QFJ1234567890,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    want = mgrs_to_lonlat(pd.Series(TWO))
    np.testing.assert_allclose(res.frame["lat"], want.lat)
    assert res.rejects.empty
    assert any("'Latitude'/'Longitude' hold no value" in n for n in res.notes)


def test_a_layers_points_beside_a_grid_reference_attribute(tmp_path):
    import json

    near = mgrs_to_lonlat(pd.Series(["18SUJ2337106519"]))
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"date": f"2023-03-0{i + 1}", "MGRS": "18SUJ2337106519"},
        }
        for i, (lon, lat) in enumerate([(near.lon[0], near.lat[0]), (near.lon[0] + 0.3, 38.9)])
    ]
    path = tmp_path / "layer.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")
    res = read_seizures(path)
    assert res.frame["lon"].tolist() == pytest.approx([near.lon[0], near.lon[0] + 0.3])
    said = " ".join(res.notes)
    assert "1 position(s) lie outside the square of the grid reference in 'MGRS'" in said
    assert "the layer's points were read" in said


def test_two_columns_of_references(tmp_path):
    # to read: which is the records' position is a guess, refused; beside lat/lon: not read
    path = tmp_path / "two.csv"
    path.write_text(
        "date,MGRS,USNG,drug\n2023-03-01,18SUJ2337106519,4QFJ1234567890,cocaine\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"two.csv: columns \['MGRS', 'USNG'\] all hold MGRS"):
        read_seizures(path)
    path.write_text(
        "date,lat,lon,MGRS,USNG,drug\n2023-03-01,1.25,103.8,18SUJ2337106519,4QFJ1234567890,x\n",
        encoding="utf-8",
    )
    assert read_seizures(path).frame["lat"].tolist() == [1.25]


def test_a_workbook_with_a_grid_reference_column(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Date", "Grid Ref", "Drug"])
    sheet.append(["2023-03-01", "18S UJ 23371 06519", "cocaine"])
    sheet.append(["2023-03-02", "18SUJ2337", "cocaine"])
    sheet.append(["2023-03-03", "18SUJ233", "cocaine"])
    path = tmp_path / "seized.xlsx"
    book.save(path)
    res = read_seizures(path)
    want = mgrs_to_lonlat(pd.Series(["18SUJ2337106519", "18SUJ2337"]))
    np.testing.assert_allclose(res.frame["lat"], want.lat)
    assert res.rejects["rule"].tolist() == ["mgrs_invalid"] and res.rejects["row"].tolist() == [4]
