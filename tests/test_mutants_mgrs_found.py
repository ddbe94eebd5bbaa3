"""MGRS grid references: what a mutation pass over ``_mgrs.py`` and its wiring found, and
hostile, real-shaped files (a datum beside the references, a swapped-looking area)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._mgrs import mgrs_to_lonlat

mgrs = pytest.importorskip("mgrs")
REF = mgrs.MGRS()

#: Washington (18S), Hawaii (4Q, a one-digit zone), Norway (32V): 1 m squares.
REFS = ["18SUJ2337106519", "4QFJ1234567890", "32VLM1234512345", "18SUJ2347106519"]


def _seizures(path, header: str, values: list[str]) -> None:
    lines = [f"date,{header},drug,kg"]
    lines += [f"2023-03-{i + 1:02d},{v},cocaine,{i + 1}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _track(path, header: str, values: list[str]) -> None:
    lines = [f"mmsi,time,{header},sog"]
    lines += [f"247000001,2024-01-02T00:{i:02d}:00Z,{v},5" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _geotrans(refs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.array([REF.toLatLon(r) for r in refs]).T
    return lon, lat


# --- a datum beside the references


@pytest.mark.parametrize(
    "header", ["MGRS (NAD27)", "MGRS NAD 27", "USNG_NAD27", "Grid Ref (NAD 1927)", "grid_nad27"]
)
def test_a_header_naming_nad27_is_refused(tmp_path, header):
    # NAD 27 is up to ~200 m from WGS84: the column (found by name or by its values) was
    # read quietly as WGS84
    path = tmp_path / "nad27.csv"
    _seizures(path, header, REFS)
    with pytest.raises(InputError, match=r"holds grid references on NAD 27"):
        read_seizures(path)


def test_a_track_whose_header_names_nad27_is_refused(tmp_path):
    path = tmp_path / "patrol.csv"
    _track(path, "MGRS (NAD27)", REFS[:1] * 3)
    with pytest.raises(InputError, match=r"'MGRS \(NAD27\)' holds grid references on NAD 27"):
        read_tracks(path)


def test_a_configured_coords_column_naming_nad27_is_refused(tmp_path):
    from pipeline.ingest import SeizureSource

    path = tmp_path / "where.csv"
    _seizures(path, "where_nad27", REFS)
    with pytest.raises(InputError, match=r"'where_nad27' holds grid references on NAD 27"):
        read_seizures(SeizureSource(path=path, columns={"coords": "where_nad27"}))


def test_a_value_on_nad27_is_rejected_and_nad83_read_with_a_note(tmp_path):
    values = [
        "18SUJ2337106519 (NAD 83)",
        "4QFJ1234567890 NAD83",
        "18SUJ2337106519 NAD27",
        "32VLM1234512345 (WGS 84)",
        "18SUJ2347106519 [NAD 1927]",
        "18SUJ2347106519",
    ]
    path = tmp_path / "mixed.csv"
    _seizures(path, "MGRS", values)
    res = read_seizures(path)
    assert res.n_read == 6 == len(res.frame) + len(res.rejects)
    lon, lat = _geotrans(["18SUJ2337106519", "4QFJ1234567890", "32VLM1234512345", REFS[3]])
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-7)
    np.testing.assert_allclose(res.frame["lon"], lon, atol=1e-7)
    rej = res.rejects.set_index("row")
    assert rej["rule"].to_dict() == {4: "mgrs_invalid", 6: "mgrs_invalid"}
    assert "is on NAD 27" in rej["message"][4] and rej["value"][4] == values[2]
    said = " ".join(res.notes)
    assert "2 grid reference(s) of 'MGRS' on NAD 83 read as WGS84" in said
    assert res.assumptions["columns"]["coords"]["datum"] == "NAD83 read as WGS84"


def test_a_header_naming_nad83_is_a_named_column_read_with_a_note(tmp_path):
    path = tmp_path / "usng.csv"
    _seizures(path, "USNG (NAD 83)", [*REFS, "near the port"])
    res = read_seizures(path)
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-7)
    coords = res.assumptions["columns"]["coords"]
    assert coords["by"] == "name" and coords["datum"] == "NAD83 read as WGS84"
    assert "4 grid reference(s) of 'USNG (NAD 83)' on NAD 83 read as WGS84" in " ".join(res.notes)


def test_a_track_of_nad83_references_whole_and_in_chunks(tmp_path):
    from pipeline.ingest.stream import spill_tracks

    refs = ["18SUJ2337106519 NAD83", "18SUJ2347106519 NAD83", "18SUJ2357106519", "18SUJ2367106519"]
    path = tmp_path / "patrol.csv"
    _track(path, "grid_ref", refs)
    whole = read_tracks(path)
    lon, lat = _geotrans([r.split()[0] for r in refs])
    np.testing.assert_allclose(whole.frame["lat"], lat, atol=1e-7)
    note = "patrol.csv: 2 grid reference(s) of 'grid_ref' on NAD 83 read as WGS84"
    assert any(n.startswith(note) for n in whole.notes)
    spill = spill_tracks(path, tmp_path / "spill", chunk_rows=2, n_buckets=2)
    assert spill.notes == whole.notes


def test_datum_suffixes_decode_as_the_reference_alone():
    pos = mgrs_to_lonlat(
        pd.Series(["18SUJ21 WGS84", "18suj21 (nad-83)", "18SUJ21,NAD1983", "18SUJ21", "NAD83"])
    )
    lon, lat = _geotrans(["18SUJ21"])
    np.testing.assert_allclose(pos.lat[:4], lat[0], atol=1e-7)
    np.testing.assert_allclose(pos.lon[:4], lon[0], atol=1e-7)
    assert pos.nad83.tolist() == [False, True, True, False, False]
    assert "not an MGRS reference" in pos.problem[4]


# --- the refusal of positions that fit the area only misread


def _swapped_area() -> tuple[float, float, float, float]:
    # Washington's references (38.9 N, 77.0 W) fit this box only with lat/lon swapped
    return (38.0, -78.0, 40.0, -76.0)


def test_grid_positions_outside_the_area_point_at_the_area_not_the_columns(tmp_path):
    # the refusal said 'if the coordinates are written latitude first, write them longitude
    # first' of references, which have no latitude or longitude to write
    path = tmp_path / "s.csv"
    _seizures(path, "MGRS", [REFS[0], REFS[3], "18SUJ2357106519"])
    with pytest.raises(InputError) as err:
        read_seizures(path, aoi_bbox=_swapped_area())
    said = str(err.value)
    assert "read from the MGRS grid references in 'MGRS'" in said
    assert "area.bbox as [lon_min, lat_min, lon_max, lat_max]" in said
    assert "longitude first" not in said and "set columns" not in said


def test_track_grid_positions_outside_the_area_whole_and_in_chunks(tmp_path):
    from pipeline.ingest.stream import spill_tracks

    path = tmp_path / "t.csv"
    _track(path, "grid_ref", [REFS[0], REFS[3], "18SUJ2357106519", "18SUJ2367106519"])
    for read in (
        lambda: read_tracks(path, aoi_bbox=_swapped_area()),
        lambda: spill_tracks(
            path, tmp_path / "spill", chunk_rows=2, n_buckets=2, aoi_bbox=_swapped_area()
        ),
    ):
        with pytest.raises(InputError) as err:
            read()
        said = str(err.value)
        assert "read from the MGRS grid references in 'grid_ref'" in said
        assert "set columns" not in said and "longitude first" not in said


# --- decoded a chunk of distinct values at a time


def test_chunks_of_distinct_values_decode_as_one(monkeypatch):
    from pipeline.ingest import _mgrs

    values = pd.Series(
        [*REFS, None, "", "18SUJ21 NAD83", "18SUJ21 NAD27", "ZAH12", "18IUJ21", REFS[0], "4QFJ"],
        dtype=object,
    )
    whole = mgrs_to_lonlat(values)
    monkeypatch.setattr(_mgrs, "_CHUNK", 3)
    chunked = mgrs_to_lonlat(values)
    for field in ("lon", "lat", "size_m"):
        np.testing.assert_array_equal(getattr(chunked, field), getattr(whole, field))
    for field in ("missing", "polar", "problem", "nad83"):
        assert getattr(chunked, field).tolist() == getattr(whole, field).tolist(), field
    lon, lat = _geotrans([*REFS, "18SUJ21"])
    np.testing.assert_allclose(chunked.lat[[0, 1, 2, 3, 6]], lat, atol=1e-7)
    assert chunked.missing.tolist() == [False] * 4 + [True, True] + [False] * 6
    assert chunked.nad83.tolist() == [False] * 6 + [True] + [False] * 5
    assert chunked.polar.tolist() == [False] * 8 + [True] + [False] * 3
    empty = mgrs_to_lonlat(pd.Series([], dtype="str"))
    assert empty.lat.size == 0 and empty.problem.size == 0


# --- blanks and digit groups as people and spreadsheets write them


def test_unicode_blanks_between_and_around_the_parts(tmp_path):
    # a no-break space (a web page's or a spreadsheet's) made the value 'not an MGRS
    # reference' though the column was found by the same values with it stripped
    values = ["18SUJ2337106519\u00a0", "18\u00a0SUJ 23371\u202f06519", "\ufeff4QFJ1234567890"]
    pos = mgrs_to_lonlat(pd.Series(values))
    lon, lat = _geotrans(["18SUJ2337106519", "18SUJ2337106519", "4QFJ1234567890"])
    np.testing.assert_allclose(pos.lat, lat, atol=1e-7)
    np.testing.assert_allclose(pos.lon, lon, atol=1e-7)
    path = tmp_path / "nbsp.csv"
    _seizures(path, "MGRS", values)
    res = read_seizures(path)
    assert res.rejects.empty and len(res.frame) == 3


@pytest.mark.parametrize(
    ("ref", "joined"),
    [
        # a northing's leading zeros lost (00651): 23371651 read as a 10 m square 15.9 km
        # south of the point
        ("18S UJ 23371 651", "18SUJ23371651"),
        ("18SUJ 2337 106519", "18SUJ2337106519"),
    ],
    ids=["northing-lost-zeros", "digit-moved"],
)
def test_digit_groups_of_different_lengths_are_rejected(ref, joined):
    pos = mgrs_to_lonlat(pd.Series([ref, joined, "18S UJ 23371 06519 (NAD 83)"]))
    assert np.isnan(pos.lat[0]) and np.isnan(pos.size_m[0])
    assert "different numbers of digits" in pos.problem[0]
    # the same digits written together, and equal groups with a datum after, are read
    assert not np.isnan(pos.lat[1:]).any() and (pos.problem[1:] == "").all()
