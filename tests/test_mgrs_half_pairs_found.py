"""A grid reference column beside latitude/longitude columns of which one is blank (wholly or
on some lines), and beside a free-text header (``remarks``) that holds only references.

References are checked against the ``mgrs`` package (GeoTrans): a 1 m reference's south-west
corner is within 1e-5 degrees of the square's centre the pipeline places it at."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _ingest_stage import assert_spilled_as_whole

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

mgrs = pytest.importorskip("mgrs")
REF = mgrs.MGRS()

#: Washington (18S), Hawaii (4Q), Norway (32V): 1 m squares.
REFS = ["18SUJ2337106519", "4QFJ1234567890", "32VLM1234512345"]


def _geotrans(refs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.array([REF.toLatLon(r) for r in refs]).T
    return lon, lat


@pytest.mark.parametrize("blank", ["Latitude", "Longitude"])
def test_a_wholly_blank_axis_beside_references(tmp_path, blank):
    # one axis left empty by a template, the other filled: every line has a reference
    path = tmp_path / "half.csv"
    other = "-77.0" if blank == "Latitude" else "38.9"
    cell = {"Latitude": "", "Longitude": ""}
    cell["Longitude" if blank == "Latitude" else "Latitude"] = other
    lines = ["date,Latitude,Longitude,MGRS,drug"]
    lines += [
        f"2023-03-0{i + 1},{cell['Latitude']},{cell['Longitude']},{r},cocaine"
        for i, r in enumerate(REFS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = read_seizures(path)
    assert res.rejects.empty and len(res.frame) == 3
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-5)
    np.testing.assert_allclose(res.frame["lon"], lon, atol=1e-5)
    said = " ".join(res.notes)
    assert "3 position(s) read from the grid references in 'MGRS'" in said
    # nothing was compared: no claim that latitude/longitude agree with the references
    assert "each lies within its reference's square" not in said
    assert res.assumptions["columns"]["grid_fill"]["column"] == "MGRS"


def test_complete_pairs_win_incomplete_lines_are_read_or_rejected(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "date,lat,lon,MGRS,drug\n"
        # a complete pair: read as written, even 0.2 degrees from its reference
        "2023-03-01,39.1,-77.0,18SUJ2337106519,cocaine\n"
        # a blank latitude: the reference
        "2023-03-02,,-157.9,4QFJ1234567890,cocaine\n"
        # a blank latitude and a reference that is none: rejected, saying why
        "2023-03-03,,5.0,18IUJ2337106519,cocaine\n"
        # a blank latitude and no reference: missing
        "2023-03-04,,5.0,,cocaine\n"
        # both blank: the reference
        "2023-03-05,,,32VLM1234512345,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.n_read == 5 == len(res.frame) + len(res.rejects)
    lon, lat = _geotrans([REFS[1], REFS[2]])
    np.testing.assert_allclose(res.frame["lat"], [39.1, lat[0], lat[1]], atol=1e-5)
    np.testing.assert_allclose(res.frame["lon"], [-77.0, lon[0], lon[1]], atol=1e-5)
    got = res.rejects.set_index("row")
    assert got["rule"].to_dict() == {4: "mgrs_invalid", 5: "coord_missing"}
    assert got["column"].to_dict() == {4: "MGRS", 5: "lat/lon"}
    assert got["value"][4] == "18IUJ2337106519"
    said = " ".join(res.notes)
    assert "2 position(s) read from the grid references in 'MGRS'" in said
    assert "1 position(s) lie outside the square of the grid reference" in said


def test_json_records_with_a_blank_latitude_beside_a_reference(tmp_path):
    path = tmp_path / "incidents.jsonl"
    rows = [
        {"date": "2023-03-01", "lat": None, "lon": -77.0, "usng": REFS[0], "drug": "cocaine"},
        {"date": "2023-03-02", "lat": None, "lon": -157.9, "usng": REFS[1], "drug": "cocaine"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = read_seizures(path)
    lon, lat = _geotrans(REFS[:2])
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-5)
    np.testing.assert_allclose(res.frame["lon"], lon, atol=1e-5)


@pytest.mark.parametrize("header", ["remarks", "Notes", "comment"])
def test_a_free_text_header_holding_references_is_the_position(tmp_path, header):
    path = tmp_path / "remarks.csv"
    lines = [f"date,{header},drug"] + [f"2023-03-0{i + 1},{r},cocaine" for i, r in enumerate(REFS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = read_seizures(path)
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-5)
    np.testing.assert_allclose(res.frame["lon"], lon, atol=1e-5)
    coords = res.assumptions["columns"]["coords"]
    assert coords["column"] == header and coords["by"] == "content"


def test_free_text_remarks_are_no_position(tmp_path):
    # prose that mentions a reference now and then is still no position column
    path = tmp_path / "prose.csv"
    lines = ["date,remarks,drug", "2023-03-01,boarded at 18SUJ2337106519,cocaine"]
    lines += [f"2023-03-0{i + 2},found in the hold,cocaine" for i in range(4)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_seizures(path)


def test_a_track_with_blank_latitudes_beside_references_whole_and_in_chunks(tmp_path):
    from pipeline.ingest import read_tracks

    near = ["18SUJ2337106519", "18SUJ2347106519", "18SUJ2357106519"]
    path = tmp_path / "patrol.csv"
    path.write_text(
        "mmsi,time,lat,lon,grid_ref,sog\n"
        # a complete pair: read as written
        "247000001,2024-01-02T00:00:00Z,38.8898,-77.0366,18SUJ2337106519,5\n"
        "247000001,2024-01-02T00:01:00Z,,-77.0,18SUJ2347106519,5\n"
        "247000001,2024-01-02T00:02:00Z,,-77.0,18IUJ2357106519,5\n"
        "247000001,2024-01-02T00:03:00Z,,-77.0,,5\n"
        "247000001,2024-01-02T00:04:00Z,,,18SUJ2357106519,5\n",
        encoding="utf-8",
    )
    whole = read_tracks(path)
    lon, lat = _geotrans([near[1], near[2]])
    np.testing.assert_allclose(whole.frame["lat"], [38.8898, lat[0], lat[1]], atol=1e-5)
    np.testing.assert_allclose(whole.frame["lon"], [-77.0366, lon[0], lon[1]], atol=1e-5)
    got = whole.rejects.set_index("row")
    assert got["rule"].to_dict() == {4: "mgrs_invalid", 5: "coord_missing"}
    assert got["value"][4] == "18IUJ2357106519" and got["column"][4] == "grid_ref"
    assert got["value"][5].strip() == "-77.0"  # as written, no reference put in its place
    assert any("blank latitude or longitude read from the grid" in n for n in whole.notes)
    assert_spilled_as_whole(path, tmp_path, whole)


def test_a_latitude_filled_from_its_other_spelling_is_complete(tmp_path):
    # 'Latitude' blank, 'Lat DD' (its other spelling) filled: the pair is complete and read,
    # the reference ~200 m away is not
    from pipeline.ingest import read_tracks

    path = tmp_path / "two_spellings.csv"
    path.write_text(
        "mmsi,time,Latitude,Lat DD,Longitude,grid_ref,sog\n"
        "247000001,2024-01-02T00:00:00Z,38.8898,,-77.0366,18SUJ2337106519,5\n"
        "247000001,2024-01-02T00:01:00Z,,38.8899,-77.0366,18SUJ2357106519,5\n",
        encoding="utf-8",
    )
    res = read_tracks(path)
    assert res.frame["lat"].tolist() == pytest.approx([38.8898, 38.8899], abs=1e-9)
    assert res.frame["lon"].tolist() == pytest.approx([-77.0366, -77.0366], abs=1e-9)
