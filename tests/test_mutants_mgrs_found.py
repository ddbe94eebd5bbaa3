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
    nad27 = mgrs_to_lonlat(pd.Series(["18SUJ21 NAD27"]))
    assert np.isnan([nad27.lat[0], nad27.lon[0], nad27.size_m[0]]).all()
    assert "is on NAD 27" in nad27.problem[0] and not nad27.nad83[0]


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
        ("18S UJ 23371 651 (NAD 83)", "18SUJ23371651 (NAD 83)"),
    ],
    ids=["northing-lost-zeros", "digit-moved", "lost-zeros-datum-after"],
)
def test_digit_groups_of_different_lengths_are_rejected(ref, joined):
    pos = mgrs_to_lonlat(pd.Series([ref, joined, "18S UJ 23371 06519 (NAD 83)"]))
    assert np.isnan(pos.lat[0]) and np.isnan(pos.size_m[0])
    assert "different numbers of digits" in pos.problem[0]
    # the same digits written together, and equal groups with a datum after, are read
    assert not np.isnan(pos.lat[1:]).any() and (pos.problem[1:] == "").all()


# --- gaps the mutation pass found in the decoder's tests


@pytest.mark.parametrize("ref", ["34XEJ1234512345", "36XVK1234512345"], ids=["34X", "36X"])
def test_svalbard_zones_that_do_not_exist_are_rejected(ref):
    # 32X was tested alone: a 36X reference's square lies inside zone 36's 6 degrees and
    # would be read with zone 36's projection
    pos = mgrs_to_lonlat(pd.Series([ref]))
    assert np.isnan(pos.lat[0]) and "32X, 34X or 36X" in pos.problem[0]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(72.0000001, 9.00001), (72.0000001, 20.99999), (72.0000001, 33.00001), (72.0000001, 1e-5)],
    ids=["33X-west", "33X-east", "37X-west", "31X-west"],
)
def test_a_svalbard_square_across_band_x_edge_is_read(lat, lon):
    # at the edge of a 12-degree Svalbard zone UTM's parallels curve: the square's centre
    # lies 0.53 of its side south of 72 N (a slack of half the side rejected it)
    ref = REF.toMGRS(lat, lon, MGRSPrecision=0)
    ref = ref.decode() if isinstance(ref, bytes) else ref
    pos = mgrs_to_lonlat(pd.Series([ref]))
    want_lat, want_lon = REF.toLatLon(ref)
    assert pos.problem[0] == ""
    assert (pos.lat[0], pos.lon[0]) == pytest.approx((want_lat, want_lon), abs=1e-7)


def test_a_square_wholly_outside_its_band_is_rejected():
    # 18SWL spans about 40.65-41.55 N: none of it is in band S (32-40 N), so the band or the
    # row letter is wrong; it was read at its centre, 41.1 N (GeoTrans only warns), while
    # 18SWK, across 40 N, holds points of band S and is read
    pos = mgrs_to_lonlat(pd.Series(["18SWL", "18SWK", "18TWL"]))
    assert np.isnan(pos.lat[0]) and "outside its latitude band" in pos.problem[0]
    lat, lon = np.array([REF.toLatLon(r) for r in ("18SWK", "18TWL")]).T
    np.testing.assert_allclose(pos.lat[1:], lat, atol=1e-7)


def test_a_grid_column_without_references_is_no_position(tmp_path):
    # a 'Grid' of map cells ('A1') is named like references but holds none: no position
    path = tmp_path / "cells.csv"
    _seizures(path, "Grid", ["A1", "B7", "C3"])
    with pytest.raises(InputError, match="no coordinate columns"):
        read_seizures(path)


def test_a_column_seven_tenths_references_is_not_found_by_its_values(tmp_path):
    # 'most' is four in five: 7 of 10 references under a header naming none is no column
    # of positions
    path = tmp_path / "notes.csv"
    _seizures(path, "site", [REFS[0]] * 7 + ["near the port", "pier 4", "at sea"])
    with pytest.raises(InputError, match="no coordinate columns"):
        read_seizures(path)
    _seizures(path, "site", [REFS[0]] * 8 + ["near the port", "pier 4"])
    assert len(read_seizures(path).frame) == 8


def test_a_named_column_wins_over_one_found_by_its_values(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(
        "date,MGRS,where,drug\n"
        + "".join(
            f"2023-03-0{i + 1},{a},{b},cocaine\n"
            for i, (a, b) in enumerate(zip(REFS, REFS[::-1], strict=True))
        ),
        encoding="utf-8",
    )
    res = read_seizures(path)
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-7)
    assert res.assumptions["columns"]["coords"]["column"] == "MGRS"


def test_the_coarse_note_gives_half_the_square(tmp_path):
    # a 10 km square's centre is up to 5 km from the event on each axis
    path = tmp_path / "coarse.csv"
    _seizures(path, "MGRS", ["18SUJ21", REFS[0]])
    said = " ".join(read_seizures(path).notes)
    assert "1 position(s) of 'MGRS' are coarse" in said and "(up to 5,000 m from" in said


def test_latitude_longitude_rounded_beside_a_1_m_reference_agree(tmp_path):
    # written to 4 decimals (~11 m) beside a 1 m reference: within the 100 m allowed for
    # rounding, not 'outside the square'
    pos = mgrs_to_lonlat(pd.Series([REFS[0]]))
    path = tmp_path / "both.csv"
    path.write_text(
        f"date,lat,lon,MGRS,drug\n2023-03-01,{pos.lat[0]:.4f},{pos.lon[0]:.4f},{REFS[0]},x\n",
        encoding="utf-8",
    )
    said = " ".join(read_seizures(path).notes)
    assert "each lies within its reference's square" in said


def test_missing_words_are_missing_not_invalid(tmp_path):
    # 'N/A' or '#N/A' in a grid column is a blank, as in a latitude column (coord_missing),
    # not a reference written wrong (mgrs_invalid)
    path = tmp_path / "na.csv"
    _seizures(path, "MGRS", [REFS[0], "N/A", " #N/A ", "-", "18SUJ999"])
    res = read_seizures(path)
    rej = res.rejects.set_index("row")["rule"].to_dict()
    assert rej == {3: "coord_missing", 4: "coord_missing", 5: "coord_missing", 6: "mgrs_invalid"}


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("18SUJ2337I06519", "not an MGRS reference"),  # a letter among the digits
        ("18SUJ23.7106519", "not an MGRS reference"),
        ("18SUJ233710651O", "not an MGRS reference"),
        ("18IUJ2337106519 NAD27", "band letter"),  # what is wrong first, datum aside
    ],
    ids=["letter-I-in-digits", "dot-in-digits", "letter-O-last", "band-I-on-nad27"],
)
def test_no_position_from_a_reference_with_other_characters(ref, why):
    # a letter among the digits was read as digit 17 or 31 (its code less '0'): a square
    # kilometres away
    pos = mgrs_to_lonlat(pd.Series([ref]))
    assert np.isnan(pos.lat[0]) and why in pos.problem[0] and not pos.polar[0]


@pytest.mark.parametrize("value", ["Z12345", "ZAHXYZ", "B1N2"], ids=["digits", "letters", "mixed"])
def test_only_polar_shaped_values_are_polar(value):
    pos = mgrs_to_lonlat(pd.Series([value]))
    assert not pos.polar[0] and "not an MGRS reference" in pos.problem[0]


def test_the_share_samples_two_hundred_written_values():
    from pipeline.ingest._mgrs import mgrs_share

    values = pd.Series([None] * 5 + ["near the port"] * 20 + [REFS[0]] * 180 + ["x"] * 50)
    assert mgrs_share(values) == pytest.approx(0.9)
    assert mgrs_share(values, valid=True) == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("lat", "lon", "digits"),
    [(83.9, -173.9999, 0), (83.9, 5.9999, 0), (78.5, 20.5, 5), (78.5, 41.5, 5), (60.5, 2.9, 5)],
    ids=["X-top-zone2-west", "X-top-zone31-east", "33X-east", "37X-east", "31V-east"],
)
def test_squares_at_the_irregular_zones_edges_are_read(lat, lon, digits):
    # near 84 N a 100 km square's centre lies degrees of longitude beyond its zone; the
    # Svalbard zones end at 21 E and 42 E, Norway's 31V at 3 E
    ref = REF.toMGRS(lat, lon, MGRSPrecision=digits)
    ref = ref.decode() if isinstance(ref, bytes) else ref
    pos = mgrs_to_lonlat(pd.Series([ref]))
    assert pos.problem[0] == "", (ref, pos.problem[0])
    assert (pos.lat[0], pos.lon[0]) == pytest.approx(REF.toLatLon(ref), abs=1e-7)


def _utm_reference(zone: int, band: str, lon: float, lat: float) -> str:
    """A 1 m reference of a point in a zone by hand: the AA lettering of the zone's easting
    and northing (columns by zone mod 3, rows from A, or F in an even zone)."""
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 32600 + zone, always_xy=True).transform(lon, lat)
    cols = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")[zone % 3]
    row = (int(y // 100_000) + (5 if zone % 2 == 0 else 0)) % 20
    return (
        f"{zone}{band}{cols[int(x // 100_000) - 1]}{'ABCDEFGHJKLMNPQRSTUV'[row]}"
        f"{int(x % 100_000):05d}{int(y % 100_000):05d}"
    )


def test_a_31v_square_east_of_3e_is_outside_its_zone():
    # 31V is only 0-3 E (32V takes 3-12 E): a 31V reference at 4.5 E names a square of 32V
    inside = _utm_reference(31, "V", 2.5, 60.5)
    beyond = _utm_reference(31, "V", 4.5, 60.5)
    pos = mgrs_to_lonlat(pd.Series([inside, beyond]))
    assert (pos.lat[0], pos.lon[0]) == pytest.approx(REF.toLatLon(inside), abs=1e-7)
    assert np.isnan(pos.lat[1]) and "outside its zone" in pos.problem[1]


def test_a_row_letter_beyond_v_is_rejected_as_such():
    # W follows V: taken as one more row it names 18RWV's square, inside band R
    pos = mgrs_to_lonlat(pd.Series(["18RWW", "18RWV"]))
    assert np.isnan(pos.lat[0]) and "row letter other than A-V" in pos.problem[0]
    assert pos.lat[1] == pytest.approx(REF.toLatLon("18RWV")[0], abs=1e-7)


def test_a_configured_coords_column_four_fifths_references(tmp_path):
    from pipeline.ingest import SeizureSource

    path = tmp_path / "where.csv"
    _seizures(path, "where", [*REFS, "near the port"])
    res = read_seizures(SeizureSource(path=path, columns={"coords": "where"}))
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-7)
    assert res.rejects["rule"].tolist() == ["mgrs_invalid"]


def test_a_configured_coords_column_of_references_wins_over_lat_lon(tmp_path):
    from pipeline.ingest import SeizureSource

    path = tmp_path / "both.csv"
    path.write_text(
        "date,lat,lon,MGRS,drug\n"
        + "".join(f"2023-03-0{i + 1},1.25,103.8,{r},cocaine\n" for i, r in enumerate(REFS)),
        encoding="utf-8",
    )
    res = read_seizures(SeizureSource(path=path, columns={"coords": "MGRS"}))
    lon, lat = _geotrans(REFS)
    np.testing.assert_allclose(res.frame["lat"], lat, atol=1e-7)
    assert res.assumptions["columns"]["coords"]["by"] == "config"


def test_a_polar_reference_in_a_track_is_rejected_as_polar(tmp_path):
    path = tmp_path / "patrol.csv"
    _track(path, "grid_ref", [REFS[0], "ZAH1234512345", REFS[3]])
    res = read_tracks(path)
    assert res.rejects["rule"].tolist() == ["mgrs_polar"] and res.rejects["row"].tolist() == [3]


def test_references_that_say_wgs84_alone_are_read():
    pos = mgrs_to_lonlat(pd.Series(["18SUJ21 (WGS 84)", "18SUJ21 WGS-1984"]))
    lon, lat = _geotrans(["18SUJ21"])
    np.testing.assert_allclose(pos.lat, lat[0], atol=1e-7)
    assert not pos.nad83.any() and (pos.problem == "").all()
