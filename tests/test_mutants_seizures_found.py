"""Gaps found by a hand mutation analysis of seizure records, quantities, categories,
vessel identity and the area (hFN).

Each test kills a mutant the suite let live: ``_quantity.py`` (decimal marks, grouping),
``seizures.py`` (units of mass, quantity rules, geometry and CRS), ``categories.py``
(case-fold, NFC, synonyms), ``identity.py`` (IMO numbers), ``tracks.classify_mmsi`` and
``area.py`` (bbox edges, antimeridian, holes, ``outside_aoi`` lines).  Expected values are
independent of the code under test: the pound's legal definition (0.45359237 kg exactly),
the IMO check-digit rule (weights 7..2), the ITU MMSI formats, areas on the sphere by hand,
and the file's own line numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.area import Area, area_km2, region_cells, reject_outside_polygon
from pipeline.errors import InputError
from pipeline.grid import cells_to_latlng, grid_disk_cells, region_to_cells
from pipeline.ingest import SeizureSource, read_seizures
from pipeline.ingest._common import outside_aoi_rules
from pipeline.ingest._quantity import decimal_mark_of, parse_quantities
from pipeline.ingest.identity import ids_of_two_ships, imo_keys, ship_groups
from pipeline.ingest.tracks import classify_mmsi
from tests._corpus import write_lines

# ---------------------------------------------------------------------- number formats


@pytest.mark.parametrize(
    ("values", "file_decimal", "expected"),
    [
        # four decimals after a comma: only a decimal comma explains it
        (["3,1416", "300"], None, [3.1416, 300.0]),
        # two grouping points: only thousands explain them, so the comma is the decimal
        (["1.200.000", "300"], None, [1_200_000.0, 300.0]),
        # four decimals after a point decide the point, whatever the coordinates say
        (["3.1416", "300"], ",", [3.1416, 300.0]),
        # two grouping commas decide the point, whatever the coordinates say
        (["1,200,000", "300"], ",", [1_200_000.0, 300.0]),
    ],
    ids=["comma-4-decimals", "points-grouping", "point-4-decimals-beats-file", "commas-grouping"],
)
def test_a_value_only_one_mark_explains_decides_it(values, file_decimal, expected):
    q, _, report = parse_quantities(pd.Series(values), file_decimal=file_decimal)
    np.testing.assert_array_equal(q, np.asarray(expected))
    assert "decided_by" in report


def test_the_coordinates_decimal_comma_reads_a_value_no_grouping_explains():
    # 1234,567: four digits before the comma, so no thousands group; a comma file's decimal
    q, _, report = parse_quantities(pd.Series(["1234,567", "300"]), file_decimal=",")
    np.testing.assert_array_equal(q, [1234.567, 300.0])
    assert report["decimal_mark"] == ","


def test_negative_coordinates_are_evidence_of_the_decimal_point():
    # a file wholly south and west of Greenwich writes every coordinate with a minus sign
    assert decimal_mark_of(pd.Series(["-36.5", "-36.25"]), pd.Series(["-20.25", "-20.5"])) == "."
    assert decimal_mark_of(pd.Series(["-36,5"]), pd.Series(["-20,25"])) == ","
    # both marks in the coordinates: they decide nothing
    assert decimal_mark_of(pd.Series(["36.5", "36,25"]), pd.Series(["20.25", "20.5"])) is None
    assert decimal_mark_of(pd.Series(["36,5"]), pd.Series(["20.25"])) is None


# ---------------------------------------------------------------------- units of mass

#: The international avoirdupois pound (1959): exactly 0.45359237 kg; an ounce is 1/16 lb.
_LB = 0.45359237


def test_units_of_mass_convert_by_their_legal_factors_and_a_ton_is_none(tmp_path):
    rows = [
        ("2", "lb", 2 * _LB),
        ("3", "lbs", 3 * _LB),
        ("4", "pounds", 4 * _LB),
        ("16", "oz", _LB),
        ("1.5", "t", 1500.0),
        ("2", "tonnes", 2000.0),
        ("3", "toneladas", 3000.0),
        ("500", "mg", 0.0005),
        ("250", "grams", 0.25),
        ("2", "ton", 2.0),  # short, long or metric: 'ton' says none, kept as reported
        ("7", "tons", 7.0),
    ]
    lines = ["date,lat,lon,commodity,quantity,unit"]
    lines += [
        f"2024-01-{i + 1:02d},10.{i + 1},20.{i + 1},cocaine,{q},{u}"
        for i, (q, u, _) in enumerate(rows)
    ]
    res = read_seizures(write_lines(tmp_path / "units.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [kg for *_, kg in rows], rtol=1e-12)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {"ton": 1, "tons": 1}


def test_units_are_read_whatever_their_case_and_dots(tmp_path):
    lines = ["date,lat,lon,commodity,quantity,unit"]
    lines += [
        f"2024-01-0{i},10.{i},20.{i},coke,2,{u}"
        for i, u in enumerate(["LB", "Lbs.", "KG", "T."], 1)
    ]
    res = read_seizures(write_lines(tmp_path / "case.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [2 * _LB, 2 * _LB, 2.0, 2000.0], rtol=1e-12)


@pytest.mark.parametrize(
    ("units", "blank_kg"),
    [
        (["lb", "lb"], 4 * _LB),  # the file's one unit
        (["lb", "lbs"], 4 * _LB),  # one unit in two spellings is still one unit
        (["lb", "kg"], 4.0),  # two units: the blank is neither, kept as reported
    ],
    ids=["one-unit", "one-unit-two-spellings", "two-units"],
)
def test_a_blank_unit_takes_the_files_one_unit_of_mass(tmp_path, units, blank_kg):
    lines = ["date,lat,lon,commodity,quantity,unit"]
    lines += [f"2024-01-0{i},10.{i},20.{i},coke,2,{u}" for i, u in enumerate(units, 1)]
    lines.append("2024-01-09,10.9,20.9,coke,4,")
    res = read_seizures(write_lines(tmp_path / "blank.csv", lines))
    want = [2 * {"lb": _LB, "lbs": _LB, "kg": 1.0}[u] for u in units] + [blank_kg]
    np.testing.assert_allclose(res.frame["quantity"], want, rtol=1e-12)


# ---------------------------------------------------------------------- quantity rules


def test_zero_is_a_quantity_a_blank_is_missing_and_a_small_negative_is_refused(tmp_path):
    lines = [
        "date,lat,lon,commodity,quantity",
        "2024-01-01,10.1,20.1,coke,0",  # line 2: zero kg is a quantity (>= 0)
        "2024-01-02,10.2,20.2,coke,",  # line 3: blank: missing, not zero, not refused
        "2024-01-03,10.3,20.3,coke,-0.5",  # line 4
        "2024-01-04,10.4,20.4,coke,2e15",  # line 5: beyond 1e15
        "2024-01-05,10.5,20.5,coke,12.5",  # line 6
    ]
    res = read_seizures(write_lines(tmp_path / "q.csv", lines))
    assert res.frame["source_row"].tolist() == [2, 3, 6]
    np.testing.assert_array_equal(res.frame["quantity"], [0.0, np.nan, 12.5])
    got = dict(zip(res.rejects["row"], res.rejects["rule"], strict=True))
    assert got == {4: "quantity_negative", 5: "quantity_not_finite"}


# ---------------------------------------------------------------------- vessel identity


def test_an_imo_number_never_starts_with_zero_even_with_a_right_check_digit():
    # 0100006: 0*7 + 1*6 + 0*5 + 0*4 + 0*3 + 0*2 = 6, check digit 6: the sum is right, but
    # an IMO number has 7 digits and none begins with 0 (a number cut from a longer field)
    assert imo_keys(pd.Series(["0100006", "IMO 0100006", "9176187"])).tolist() == [
        "",
        "",
        "9176187",
    ]


@pytest.mark.parametrize(
    ("mmsi", "invalid", "not_vessel", "says"),
    [
        # ITU-R M.585: a ship station is MIDxxxxxx with its MID 2..7; the other forms are not
        ("201000000", False, False, ""),
        ("775999999", False, False, ""),
        ("24700001", True, False, ""),  # 8 digits
        ("2470000012", True, False, ""),  # 10 digits
        ("812345678", False, True, "handheld"),  # 8MIDxxxxx
        ("912345678", False, True, "outside the ship-station range"),
        ("199999999", False, True, "outside the ship-station range"),
        ("002191234", False, True, "coast/base station"),  # 00MIDxxxx
        ("021912345", False, True, "group call"),  # 0MIDxxxxx
    ],
    ids=lambda v: str(v),
)
def test_mmsi_forms_by_the_itu_rules(mmsi, invalid, not_vessel, says):
    bad, other, why = classify_mmsi(pd.Series([mmsi]))
    assert (bool(bad[0]), bool(other[0])) == (invalid, not_vessel)
    assert says in why.iloc[0] and (says or why.iloc[0] == "")


# ---------------------------------------------------------------------- categories


def test_categories_case_fold_compose_and_collapse_and_keep_the_original(tmp_path):
    spellings = [
        "WEISS",  # case-folds to 'weiss', as 'weiß' does (str.lower keeps the sharp s)
        "weiß",
        "Cocai\u0301na",  # decomposed accent: NFC composes it
        "Coca\u00edna",
        "armed   robbers",  # inner spaces collapse to one
        "Armed Robbers",
    ]
    lines = ["date,lat,lon,commodity"]
    lines += [f"2024-01-0{i},10.{i},20.{i},{c}" for i, c in enumerate(spellings, 1)]
    res = read_seizures(write_lines(tmp_path / "cats.csv", lines))
    assert res.frame["commodity"].tolist() == [
        "weiss",
        "weiss",
        "coca\u00edna",
        "coca\u00edna",
        "armed robbers",
        "armed robbers",
    ]
    assert res.frame["commodity_original"].tolist() == spellings
    assert res.assumptions["categories"]["merged"] == {
        "armed robbers": ["Armed Robbers", "armed   robbers"],
        "coca\u00edna": sorted(["Cocai\u0301na", "Coca\u00edna"]),
        "weiss": ["WEISS", "weiß"],
    }


def test_a_synonym_renames_the_whole_label_never_a_part_of_it(tmp_path):
    lines = [
        "date,lat,lon,commodity",
        "2024-01-01,10.1,20.1,Cocaine",
        "2024-01-02,10.2,20.2,crack cocaine",
        "2024-01-03,10.3,20.3,cocaine base",
    ]
    src = SeizureSource(path=write_lines(tmp_path / "syn.csv", lines), synonyms={"COCAINE": "Coke"})
    res = read_seizures(src)
    assert res.frame["commodity"].tolist() == ["coke", "crack cocaine", "cocaine base"]
    assert res.assumptions["categories"]["synonyms_applied"] == {"cocaine": "coke"}


# ---------------------------------------------------------------------- the area

#: The sphere the area is measured on (pipeline.sphere.EARTH_RADIUS_KM, the IUGG mean radius
#: of WGS 84 to the metre); a lon/lat box on it is R² Δλ (sin φ1 - sin φ0), by hand.
_R_KM = 6371.0072


def _box_km2(lon0, lat0, lon1, lat1) -> float:
    width = (lon1 - lon0) % 360.0
    return _R_KM**2 * np.radians(width) * (np.sin(np.radians(lat1)) - np.sin(np.radians(lat0)))


def test_a_bbox_across_180_measures_the_20_degrees_across_it():
    got = area_km2(Area((170.0, -20.0, -170.0, -10.0)))
    assert got == pytest.approx(_box_km2(170, -20, 190, -10), rel=1e-6)
    assert got == pytest.approx(2.3856e6, rel=1e-4)  # not the band round the globe (43 M km²)


def test_a_hole_wound_as_its_shell_is_still_taken_from_the_area():
    shell = [(0, 0), (10, 0), (10, 10), (0, 10)]
    hole = [(2, 2), (4, 2), (4, 4), (2, 4)]  # counter-clockwise, as the shell
    got = area_km2(Area(None, polygon=shapely.Polygon(shell, [hole])))
    assert got == pytest.approx(_box_km2(0, 0, 10, 10) - _box_km2(2, 2, 4, 4), rel=1e-4)


def test_the_bbox_edges_are_inside_and_across_180_is_the_short_way(tmp_path):
    lines = [
        "date,lat,lon",
        "2024-01-01,10,20",  # line 2: on the south-west corner
        "2024-01-02,12,25",  # line 3: on the east edge
        "2024-01-03,15,22",  # line 4: on the north edge
        "2024-01-04,9.99,22",  # line 5: just south
        "2024-01-05,12,25.01",  # line 6: just east
    ]
    res = read_seizures(write_lines(tmp_path / "box.csv", lines), aoi_bbox=(20, 10, 25, 15))
    assert res.frame["source_row"].tolist() == [2, 3, 4]
    assert res.rejects["row"].tolist() == [5, 6]
    assert set(res.rejects["rule"]) == {"outside_aoi"}
    lines = [
        "date,lat,lon",
        "2024-01-01,-15,175",  # line 2
        "2024-01-02,-15,-175",  # line 3
        "2024-01-03,-15,180",  # line 4
        "2024-01-04,-15,0",  # line 5: the other side of the globe
        "2024-01-05,-15,165",  # line 6
    ]
    res = read_seizures(write_lines(tmp_path / "fiji.csv", lines), aoi_bbox=(170, -20, -170, -10))
    assert res.frame["source_row"].tolist() == [2, 3, 4]
    assert res.rejects["row"].tolist() == [5, 6]


def test_outside_the_polygon_rejects_at_the_files_lines_and_its_edge_is_inside(tmp_path):
    lines = [
        "date,lat,lon",
        "2024-01-01,1,1",  # line 2: inside the triangle
        "2024-01-02,9,9",  # line 3: inside its bbox, outside the triangle
        "2024-01-03,0,5",  # line 4: on its edge
        "2024-01-04,8,5",  # line 5: outside
    ]
    res = read_seizures(write_lines(tmp_path / "tri.csv", lines))
    out = reject_outside_polygon(res, shapely.Polygon([(0, 0), (10, 0), (0, 10)]))
    assert out.frame["source_row"].tolist() == [2, 4]
    assert out.rejects["row"].tolist() == [3, 5]
    assert out.rejects["rule"].tolist() == ["outside_aoi"] * 2
    assert out.rejects["value"].tolist() == ["9.000000 9.000000", "8.000000 5.000000"]
    assert out.by_rule == {"outside_aoi": 2}


# ---------------------------------------------------------------------- CRS and geometry


def test_a_geographic_crs_other_than_wgs84_is_transformed_lon_first(tmp_path):
    from pyproj import Transformer

    lines = ["date,lat,lon", "2024-01-01,40.0,3.0"]
    src = SeizureSource(path=write_lines(tmp_path / "ed50.csv", lines), crs="EPSG:4230")
    f = read_seizures(src).frame
    # ED50 (its axes: latitude first) to WGS 84, done by hand with x = longitude
    lon, lat = Transformer.from_crs("EPSG:4230", "EPSG:4326", always_xy=True).transform(3.0, 40.0)
    assert abs(lon - 3.0) + abs(lat - 40.0) > 1e-4  # the datum shift is real (some 100 m)
    assert f["lon"].iloc[0] == pytest.approx(lon, abs=1e-9)
    assert f["lat"].iloc[0] == pytest.approx(lat, abs=1e-9)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_layer_without_a_crs_in_metres_is_refused_not_rejected_row_by_row(tmp_path):
    import geopandas as gpd

    path = tmp_path / "utm.shp"
    pts = shapely.points([500_000.0, 510_000.0], [4_000_000.0, 4_010_000.0])
    gpd.GeoDataFrame({"date": ["2024-01-01", "2024-01-02"]}, geometry=pts).to_file(path)
    with pytest.raises(InputError, match="declares no CRS"):
        read_seizures(path)


def test_two_features_of_equal_fields_at_two_places_are_two_records(tmp_path):
    import json

    def feature(lon: float) -> dict:
        return {
            "type": "Feature",
            "properties": {"date": "2024-01-01", "commodity": "coke"},
            "geometry": {"type": "Point", "coordinates": [lon, 10.0]},
        }

    path = tmp_path / "two.geojson"
    fc = {"type": "FeatureCollection", "features": [feature(20.0), feature(21.0), feature(20.0)]}
    path.write_text(json.dumps(fc))
    res = read_seizures(path)
    assert res.frame["lon"].tolist() == [20.0, 21.0]
    # the third repeats the first in every field and its place: a duplicate of feature 1
    assert res.rejects[["row", "rule", "value"]].values.tolist() == [[3, "duplicate", "1"]]


# ---------------------------------------------------------------------- records


def test_a_duplicate_names_the_line_of_the_record_it_repeats(tmp_path):
    lines = [
        "date,lat,lon,commodity",
        "2024-01-01,10.1,20.1,coke",  # line 2
        "2024-01-02,10.2,20.2,coke",  # line 3
        "2024-01-01,10.1,20.1,coke",  # line 4: line 2 again
        "2024-01-02,10.2,20.2,coke",  # line 5: line 3 again
    ]
    res = read_seizures(write_lines(tmp_path / "dup.csv", lines))
    assert res.rejects[["row", "value"]].values.tolist() == [[4, "2"], [5, "3"]]


def test_a_record_at_the_as_of_instant_is_not_after_it(tmp_path):
    lines = [
        "date,lat,lon",
        "2024-01-10T12:00:00Z,10.1,20.1",  # line 2: at as_of
        "2024-01-10T12:00:01Z,10.2,20.2",  # line 3: one second after
    ]
    res = read_seizures(write_lines(tmp_path / "asof.csv", lines), as_of="2024-01-10T12:00:00Z")
    assert res.frame["source_row"].tolist() == [2]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "after_as_of"]]


def test_a_position_on_the_polygons_edge_is_inside_for_pings_too():
    # the readers' polygon rule (tracks pass aoi_polygon) as reject_outside_polygon: the
    # boundary belongs to the area
    lon, lat = np.array([1.0, 5.0, 9.0]), np.array([1.0, 0.0, 9.0])  # inside, on edge, out
    ok = np.ones(3, dtype=bool)
    rules = outside_aoi_rules(
        lon,
        lat,
        ok,
        (0.0, 0.0, 10.0, 10.0),
        column="lat/lon",
        values=pd.Series(["a", "b", "c"]),
        aoi_polygon=shapely.Polygon([(0, 0), (10, 0), (0, 10)]),
    )
    assert [r.mask.tolist() for r in rules] == [[False] * 3, [False, False, True]]


def test_the_margin_is_km_of_cell_centres_even_at_70_north():
    # every cell whose centre is within margin_km of an own cell's centre is in the grown
    # set; the candidates come from h3's own disk (not from region_to_cells), and the
    # distances are great circles on the sphere, by hand
    box, res, margin = (20.0, 69.8, 21.0, 70.2), 6, 30.0
    own = region_to_cells(box, res)
    grown = region_to_cells(box, res, margin_km=margin)
    near = grid_disk_cells(own, 12)
    o_lat, o_lon = (np.radians(v) for v in cells_to_latlng(own))
    n_lat, n_lon = (np.radians(v) for v in cells_to_latlng(near))
    cos_d = np.sin(n_lat)[:, None] * np.sin(o_lat)[None, :] + np.cos(n_lat)[:, None] * np.cos(
        o_lat
    )[None, :] * np.cos(n_lon[:, None] - o_lon[None, :])
    d_km = _R_KM * np.arccos(np.clip(cos_d, -1.0, 1.0)).min(axis=1)
    assert (d_km > margin).any()  # the disk reaches beyond the margin: a real check
    assert np.isin(near[d_km <= margin], grown).all()


def test_a_key_five_vessel_ids_give_is_a_default_not_one_ship():
    # MAX_IDS_PER_SHIP is 4: a ship carries at most a few transponders; five ids of one IMO
    # number are a vendor's default, and join nothing
    ids = [f"24700000{i}" for i in range(1, 6)]
    identity = pd.DataFrame(
        {"vessel_id": ids, "kind": "imo", "key": "9074729", "n": np.full(5, 10, dtype="int64")}
    )
    groups = ship_groups(identity, np.array(ids, dtype=object))
    assert len(groups) == 0
    assert groups.refused == ["IMO 9074729 (5 vessel ids)"]
    four = ship_groups(identity.iloc[:4], np.array(ids[:4], dtype=object))
    assert sorted(four.ids) == ids[:4] and set(four.ship) == {ids[0]}


def test_shapes_become_points_on_them_and_in_longitude_range(tmp_path):
    import json

    def feature(day: int, geometry: dict) -> dict:
        return {"type": "Feature", "properties": {"date": f"2024-01-0{day}"}, "geometry": geometry}

    notch = [[0, 0], [10, 0], [10, 10], [7, 10], [7, 3], [3, 3], [3, 10], [0, 10], [0, 0]]
    past_180 = [[180.5, 0], [181.5, 0], [181.5, 1], [180.5, 1], [180.5, 0]]
    across = [[179.5, 0], [-179.5, 0], [-179.5, 1], [179.5, 1], [179.5, 0]]  # not cut at 180
    features = [
        feature(1, {"type": "MultiPoint", "coordinates": [[20.0, 10.0]]}),  # one point
        feature(2, {"type": "Polygon", "coordinates": [notch]}),  # its centroid is in the notch
        feature(3, {"type": "Polygon", "coordinates": [past_180]}),
        feature(4, {"type": "Polygon", "coordinates": [across]}),
    ]
    path = tmp_path / "shapes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    res = read_seizures(SeizureSource(path=path, polygons_to_points=True))
    assert res.rejects.empty
    lon, lat = res.frame["lon"].to_numpy(), res.frame["lat"].to_numpy()
    assert (lon[0], lat[0]) == (20.0, 10.0)
    # on the U, not in its notch (3 < x < 7 above y = 3)
    assert 0 < lon[1] < 10 and 0 < lat[1] < 10 and not (3 < lon[1] < 7 and lat[1] > 3)
    assert -179.5 <= lon[2] <= -178.5 and 0 <= lat[2] <= 1  # 180.5..181.5 E is 179.5..178.5 W
    assert abs(lon[3]) >= 179.5 and 0 <= lat[3] <= 1  # the 1° across 180, not near Greenwich
    # without polygons_to_points a MultiPoint of one point is still that point
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features[:1]}))
    res = read_seizures(path)
    assert res.rejects.empty and res.frame[["lon", "lat"]].values.tolist() == [[20.0, 10.0]]


def test_the_datas_extent_across_180_is_the_2_degrees_across_it():
    seizures = pd.DataFrame({"lon": [179.0, -179.0], "lat": [-17.0, -16.0]})
    cells = region_cells(Area(None), seizures, None, 4, 0.0)
    lat, lon = cells_to_latlng(cells)
    assert cells.size and (np.abs(lon) >= 178.5).all()  # not the band of -17..-16 round the globe


def _identity(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    vid, key, n = zip(*rows, strict=True)
    return pd.DataFrame({"vessel_id": vid, "kind": "imo", "key": key, "n": np.array(n, "int64")})


def test_a_second_imo_is_a_second_ship_on_three_records_and_a_tenth_of_them():
    rows = [
        ("A", "9074729", 100), ("A", "9176187", 5),  # 5 of 105: under a tenth
        ("B", "9074729", 5), ("B", "9176187", 2),  # 2 of 7: under three records
        ("C", "9074729", 20), ("C", "9176187", 3),  # 3 of 23: both met
    ]  # fmt: skip
    got = ids_of_two_ships(_identity(rows), np.array(["A", "B", "C"], dtype=object))
    assert got.values.tolist() == [["C", "9074729", 20], ["C", "9176187", 3]]


def test_an_id_is_joined_by_its_most_frequent_imo_not_a_garbled_one():
    rows = [("X", "9074729", 50), ("X", "9176187", 1), ("Y", "9074729", 40), ("Z", "9176187", 30)]
    groups = ship_groups(_identity(rows), np.array(["X", "Y", "Z"], dtype=object))
    assert sorted(groups.ids) == ["X", "Y"] and list(groups.rule) == ["IMO 9074729"] * 2
