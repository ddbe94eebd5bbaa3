"""A mutation pass over the area of interest (``pipeline/area.py``) and its use of the grid.

Found wrong, with independent references (h3's own disks and polygon filling, great
circles by hand, shapely on the outline unwrapped by hand):

1. -180° and 180° are one meridian, but a record at lon -180 with ``area.bbox`` ending at
   180 (or an area polygon drawn up to 180) was rejected as ``outside_aoi``, while the
   same position written 180 was kept, and its cell scored.
2. ``area.margin_km`` counted rings as if k rings reached k neighbour steps every way; the
   k-ring is a hexagon whose sides are only 1.5 k edges away, and H3's hexagons are uneven:
   a 200 km margin at the equator left out cells whose centres lie 174 km from the area.
3. A bbox from 180 to -180 (0° wide across 180) was read as the one cell at (180, 0).
4. An outline drawn across 180 without the cut, crossing it between its northmost and
   southmost points, crosses itself as written: as an area it was refused as invalid, as
   land make_valid cut a sliver of it away (a land cell scored as sea).

Section 3 below holds the tests of mutants that survived the earlier tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from _corpus import write_text
from _geo import haversine_km

from pipeline import schema as S
from pipeline.area import polygon_holds_xy, reject_outside_polygon
from pipeline.grid import cells_to_latlng, grid_disk_cells, region_to_cells
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import in_bbox, outside_aoi_rules

R_KM = 6371.007180918475

WEST_OF_180 = (170.0, -20.0, 180.0, -10.0)
EAST_OF_180 = (-180.0, -20.0, -170.0, -10.0)


def _km(lon1, lat1, lon2, lat2):
    return haversine_km(lon1, lat1, lon2, lat2, R_KM)


# -- 1. the antimeridian is one meridian -------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "lon"), [(WEST_OF_180, -180.0), (EAST_OF_180, 180.0)], ids=["west", "east"]
)
def test_a_position_on_180_written_the_other_way_is_on_the_boxs_edge(bbox, lon):
    lat = np.array([-15.0, -15.0, -25.0])
    got = in_bbox(np.array([lon, -lon, lon]), lat, bbox)
    assert got.tolist() == [True, True, False]  # on the edge either way; the latitude still counts


def test_a_seizure_and_a_ping_at_lon_minus_180_are_inside_a_box_to_180(tmp_path):
    s = write_text(
        tmp_path,
        "s.csv",
        "date,lat,lon\n2023-01-01,-15,-180\n2023-01-02,-15,180\n2023-01-03,-15,175\n"
        "2023-01-04,-15,-179.5\n",
    )
    res = read_seizures(s, aoi_bbox=WEST_OF_180)
    assert (res.n_read, res.n_accepted, res.by_rule) == (4, 3, {"outside_aoi": 1})
    assert sorted(res.frame[S.LON].tolist()) == [-180.0, 175.0, 180.0]
    p = write_text(
        tmp_path,
        "p.csv",
        "mmsi,timestamp,lat,lon,speed,course\n"
        "219000001,2023-01-01 00:00:00,-15,-180,5,90\n"
        "219000001,2023-01-01 01:00:00,-15,180,5,90\n"
        "219000001,2023-01-01 02:00:00,-15,179.9,5,90\n",
    )
    pings = read_tracks(p, aoi_bbox=WEST_OF_180)
    assert (pings.n_read, pings.n_accepted) == (3, 3)


def test_a_position_at_minus_180_is_on_a_polygon_drawn_to_180():
    west = shapely.box(170.0, -20.0, 180.0, -10.0)
    lon = np.array([-180.0, 180.0, -180.0, -179.9, 175.0])
    lat = np.array([-15.0, -15.0, -21.0, -15.0, -15.0])
    want = [True, True, False, False, True]  # shapely.intersects at the point's twin, by hand
    assert polygon_holds_xy(west, lon, lat).tolist() == want
    east = shapely.box(-180.0, -20.0, -170.0, -10.0)
    assert polygon_holds_xy(east, -lon, lat).tolist() == want
    rules = outside_aoi_rules(
        lon,
        lat,
        np.ones(5, dtype=bool),
        (170.0, -20.0, 180.0, -10.0),
        column="lat/lon",
        values=pd.Series(list("abcde")),
        aoi_polygon=west,
    )
    rejected = np.logical_or.reduce([r.mask for r in rules])
    assert rejected.tolist() == [False, False, True, True, False]


def test_a_seizure_at_minus_180_stays_inside_a_polygon_drawn_to_180(tmp_path):
    s = write_text(
        tmp_path,
        "s.csv",
        "date,lat,lon\n2023-01-01,-15,-180\n2023-01-02,-15,179\n2023-01-03,-15,-179\n",
    )
    res = read_seizures(s)
    out = reject_outside_polygon(res, shapely.box(170.0, -20.0, 180.0, -10.0))
    assert out.frame[S.LON].tolist() == [-180.0, 179.0]
    assert out.by_rule == {"outside_aoi": 1} and out.rejects["row"].tolist() == [4]
    assert out.n_read == len(out.frame) + len(out.rejects)


# -- 2. the margin is km in every direction ----------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "res", "margin"),
    [(0.0, 0.0, 5, 200.0), (165.0, 10.0, 6, 100.0)],
    ids=["equator-r5", "pacific-r6"],
)
def test_a_wide_margin_holds_every_cell_within_it_in_every_direction(lon, lat, res, margin):
    box = (lon - 0.3, lat - 0.2, lon + 0.3, lat + 0.2)
    own = region_to_cells(box, res)
    grown = region_to_cells(box, res, margin_km=margin)
    near = grid_disk_cells(own, 25)  # h3's own disk, well past the margin
    o_lat, o_lon = cells_to_latlng(own)
    n_lat, n_lon = cells_to_latlng(near)
    d = _km(n_lon[:, None], n_lat[:, None], o_lon[None, :], o_lat[None, :]).min(axis=1)
    assert (d > 1.2 * margin).any()  # the disk reaches past the margin: a real check
    missing = near[(d <= margin) & ~np.isin(near, grown)]
    assert missing.size == 0, f"{missing.size} cells within {margin} km left out"
    assert set(own) <= set(grown)


def test_a_margin_grows_a_bbox_across_180_on_both_sides():
    own = region_to_cells((179.0, -1.0, -179.0, 1.0), 5)
    grown = region_to_cells((179.0, -1.0, -179.0, 1.0), 5, margin_km=100.0)
    lat, lon = cells_to_latlng(grown)
    assert set(own) < set(grown)
    # 100 km is 0.9°: the grown cells reach about 178.1° E and W, never Greenwich
    assert (np.abs(lon) > 177.0).all()
    assert lon[lon > 0].min() < 178.4 and lon[lon < 0].max() > -178.4


# -- 3. gaps the mutation pass found (tests only) ----------------------------------------------


def _area_file(tmp_path, parts, crs="EPSG:4326", *, features=False):
    """One feature of ``parts`` (a MultiPolygon), or one feature each."""
    import geopandas as gpd

    geoms = parts if features or len(parts) == 1 else [shapely.MultiPolygon(parts)]
    path = tmp_path / "aoi.gpkg"
    gpd.GeoDataFrame({"n": range(len(geoms))}, geometry=geoms, crs=crs).to_file(path)
    return path


BOUNDS = {
    # two features, the hemispheres, touch at 0 and at 180: no gap, the whole band (not a
    # box 0° wide at 0)
    "hemispheres": ([(-180, -5, 0, 5), (0, -5, 180, 5)], (-180.0, -5.0, 180.0, 5.0)),
    # 90° between the parts, 250° across 180: the plain box
    "two-seas": ([(0, -5, 10, 5), (100, -5, 110, 5)], (0.0, -5.0, 110.0, 5.0)),
    # an island inside the longitudes of the east part: the box still ends at -178
    "fiji-island": (
        [(177, -20, 180, -12), (-180, -20, -178, -12), (-179.5, -21, -179.0, -20.5)],
        (177.0, -21.0, -178.0, -12.0),
    ),
}


@pytest.mark.parametrize("case", sorted(BOUNDS), ids=sorted(BOUNDS))
def test_the_areas_box_is_the_complement_of_its_widest_empty_gap(tmp_path, case):
    from pipeline.area import read_area

    boxes, want = BOUNDS[case]
    parts = [shapely.box(*b) for b in boxes]
    area = read_area(None, _area_file(tmp_path, parts, features=case == "hemispheres"))
    assert area.bbox == want
    # every vertex of the area is in its box (read as in_bbox reads it, across 180 or not)
    x, y = shapely.get_coordinates(area.polygon).T
    assert in_bbox(x, y, area.bbox).all()


def test_a_utm_box_of_four_corners_keeps_its_straight_edges(tmp_path):
    """A 600 x 1000 km box in UTM 33N, corners only: its edges are straight in metres.

    Reference: the edges cut into 1 km steps here, reprojected by pyproj, filled by h3.
    """
    import h3
    from pyproj import Transformer

    from pipeline.area import read_area, region_cells

    utm = shapely.box(200_000.0, 4_000_000.0, 800_000.0, 5_000_000.0)
    path = _area_file(tmp_path, [utm], crs="EPSG:32633")
    got = region_cells(read_area(None, path), pd.DataFrame({S.LON: [], S.LAT: []}), None, 4, 0.0)
    fine = np.asarray(shapely.segmentize(utm, 1000.0).exterior.coords)
    lon, lat = Transformer.from_crs(32633, 4326, always_xy=True).transform(fine[:, 0], fine[:, 1])
    want = h3.h3shape_to_cells(h3.LatLngPoly(list(zip(lat[:-1], lon[:-1], strict=True))), 4)
    assert sorted(h3.int_to_str(int(c)) for c in got) == sorted(want)


def test_the_datas_extent_takes_the_pings_too_whole_or_in_chunks():
    from pipeline.area import Area, region_cells
    from pipeline.sphere import longitude_extents

    seizures = pd.DataFrame({S.LON: [10.0, 11.0], S.LAT: [50.0, 51.0]})
    pings = pd.DataFrame({S.LON: [8.0, 12.5, 9.0], S.LAT: [49.0, 52.0, 50.5]})
    want = region_to_cells((8.0, 49.0, 12.5, 52.0), 5)  # the extent of both, by hand
    whole = region_cells(Area(None), seizures, pings, 5, 0.0)
    assert np.array_equal(whole, want)
    chunks = (longitude_extents(pings[S.LON]), 49.0, 52.0)
    assert np.array_equal(region_cells(Area(None), seizures, chunks, 5, 0.0), want)


def test_the_coarse_note_weighs_the_cells_own_areas_against_ten_times_the_area():
    """h3.cell_area decides: cells 7x the area are not noted, 12x are, whatever their mean."""
    import h3

    from pipeline.area import Area, coarse_cells_note

    # resolution 2 by a face centre (10 N, 96 E): cells 1.2 times the resolution's mean
    centre = h3.latlng_to_cell(9.9, 96.15, 2)
    cells = np.array([h3.str_to_int(c) for c in sorted(h3.grid_disk(centre, 1))[:5]], "uint64")
    total = sum(h3.cell_area(h3.int_to_str(int(c)), unit="km^2") for c in cells)
    mean = 4 * np.pi * R_KM**2 / (2 + 120 * 7**2)
    assert total > 1.15 * 5 * mean  # larger than the mean: a guess by the mean says less

    def area_of(km2):  # a box 1° high at the equator whose area is km2, by the zone formula
        width = np.degrees(km2 / (R_KM**2 * np.sin(np.radians(1.0))))
        return Area((0.0, 0.0, float(width), 1.0))

    # own: cells 7 times it, 12 times it, and 10.5 times the mean's guess (11.5 times)
    for own, noted in [(total / 7, False), (total / 12, True), (0.105 * 5 * mean, True)]:
        notes = coarse_cells_note(area_of(own), cells, 2)
        assert bool(notes) is noted, (total / own, notes)
        if noted:
            assert f"{total / own:,.0f} times" in notes[0] and "area.resolution 3 " in notes[0]


def test_polygon_rejects_add_to_the_readers_own_outside_aoi(tmp_path):
    s = write_text(
        tmp_path,
        "s.csv",
        "date,lat,lon\n2023-01-01,1,1\n2023-01-02,9,9\n2023-01-03,20,20\n2023-01-04,-5,3\n"
        "2023-01-05,2,2\n",
    )
    res = read_seizures(s, aoi_bbox=(0.0, 0.0, 10.0, 10.0))  # 20,20 and -5,3 outside the box
    assert res.by_rule == {"outside_aoi": 2}
    out = reject_outside_polygon(res, shapely.Polygon([(0, 0), (10, 0), (0, 10)]))  # 9,9 out
    assert out.by_rule == {"outside_aoi": 3}
    assert sorted(out.rejects["row"].tolist()) == [3, 4, 5]
    assert out.n_read == 5 == len(out.frame) + len(out.rejects)


def test_a_margin_whose_cells_are_the_limit_is_not_refused():
    box = (10.0, 50.0, 10.5, 50.3)
    grown = region_to_cells(box, 6, margin_km=40.0, max_cells=None)
    again = region_to_cells(box, 6, margin_km=40.0, max_cells=grown.size)
    assert np.array_equal(again, grown)


def test_an_area_written_west_of_minus_180_is_cut_there_and_keeps_its_records(tmp_path):
    from pipeline.area import read_area

    # Fiji's box written -184..-176 (longitudes past -180, as a Pacific-centred tool saves)
    area = read_area(None, _area_file(tmp_path, [shapely.box(-184.0, -22.0, -176.0, -12.0)]))
    assert area.bbox == (176.0, -22.0, -176.0, -12.0)
    lon, lat = np.array([178.0, -178.0, 170.0]), np.array([-15.0, -15.0, -15.0])
    assert in_bbox(lon, lat, area.bbox).tolist() == [True, True, False]
    assert polygon_holds_xy(area.polygon, lon, lat).tolist() == [True, True, False]


def test_a_position_without_latitude_does_not_make_the_datas_extent():
    from pipeline.area import Area, region_cells

    seizures = pd.DataFrame({S.LON: [10.0, 11.0, 12.0], S.LAT: [50.0, np.nan, 51.0]})
    got = region_cells(Area(None), seizures, None, 5, 0.0)
    assert np.array_equal(got, region_to_cells((10.0, 50.0, 12.0, 51.0), 5))


def test_a_polygon_file_wins_over_the_bbox_given_with_it(tmp_path):
    from pipeline.area import read_area

    path = _area_file(tmp_path, [shapely.box(20.0, 30.0, 22.0, 31.0)])
    area = read_area((0.0, 0.0, 1.0, 1.0), path)
    assert area.bbox == (20.0, 30.0, 22.0, 31.0) and area.polygon is not None
    # said, not silent (hGK left it so): the note names the bbox left unused
    said = [n for n in area.notes if "not used" in n]
    assert len(said) == 1 and "[0.0, 0.0, 1.0, 1.0]" in said[0]
    assert not [n for n in read_area(None, path).notes if "not used" in n]


def test_a_one_cell_area_grown_to_max_cells_exactly_is_not_refused():
    # k rings around one cell are 3k(k+1)+1 cells: 271 for 9 rings (40 km at resolution 6)
    one = region_to_cells((10.0, 50.0, 10.001, 50.001), 6)
    grown = region_to_cells((10.0, 50.0, 10.001, 50.001), 6, margin_km=40.0, max_cells=None)
    assert one.size == 1 and np.array_equal(grown, grid_disk_cells(one, 9))
    again = region_to_cells((10.0, 50.0, 10.001, 50.001), 6, margin_km=40.0, max_cells=271)
    assert np.array_equal(again, grown)


def test_a_bbox_from_180_to_minus_180_is_refused_as_zero_wide_not_one_cell():
    from pipeline.area import Area, region_cells
    from pipeline.errors import InputError

    none = pd.DataFrame({S.LON: [], S.LAT: []})
    with pytest.raises(InputError, match=r"zero width.*\[-180, lat_min, 180, lat_max\]") as err:
        region_cells(Area((180.0, -10.0, -180.0, 10.0)), none, None, 3, 0.0)
    assert "\n" not in str(err.value)
    # the band itself, and boxes that start or end on 180, are read as before
    assert region_cells(Area((-180.0, -10.0, 180.0, 10.0)), none, None, 0, 0.0).size > 0
    import h3

    east = shapely.segmentize(shapely.box(-180.0, -10.0, -170.0, 10.0), 1.0).exterior.coords
    want = h3.h3shape_to_cells(h3.LatLngPoly([(y, x) for x, y in east[:-1]]), 3)
    got = region_cells(Area((180.0, -10.0, -170.0, 10.0)), none, None, 3, 0.0)
    assert sorted(h3.int_to_str(int(c)) for c in got) == sorted(want)


def _outline_across_180(tmp_path, name):
    """A Fiji-like outline 175..183 E, its crossings of 180 at 14.2 S and 19.8 S, not its ends.

    Written as GeoJSON with longitudes wrapped to [-180, 180] (no cut); returns the path and
    the outline unwrapped (longitudes to 183).
    """
    import json

    t = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    lon = 179.0 + 4 * np.cos(t) + 0.5 * np.sin(3 * t)
    lat = -17.0 + 3 * np.sin(t)
    ring = [[float((x + 180) % 360 - 180), float(y)] for x, y in zip(lon, lat, strict=True)]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "x"}, "geometry": geometry}],
    }
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path, shapely.Polygon(np.column_stack([lon, lat]))


def test_an_eez_outline_drawn_across_180_without_the_cut_is_read_not_refused(tmp_path):
    """As written, its step across the globe at 14.2 S ran through its own west part: it was
    refused as self-intersecting before it was read the short way.  Reference: the outline
    unwrapped, cut at 180 by shapely and filled by h3 here.
    """
    import h3

    from pipeline.area import read_area, region_cells

    path, whole = _outline_across_180(tmp_path, "eez.geojson")
    area = read_area(None, path)
    assert any("read the short way" in n for n in area.notes)
    want: set[str] = set()
    for window, shift in [
        ((170.0, -90.0, 180.0, 90.0), 0.0),
        ((180.0, -90.0, 190.0, 90.0), -360.0),
    ]:
        part = shapely.transform(
            shapely.intersection(whole, shapely.box(*window)), lambda xy, s=shift: xy + [s, 0.0]
        )
        xy = np.asarray(shapely.segmentize(part, 1.0).exterior.coords)[:-1]
        want |= set(h3.h3shape_to_cells(h3.LatLngPoly([(y, x) for x, y in xy]), 4))
    got = region_cells(area, pd.DataFrame({S.LON: [], S.LAT: []}), None, 4, 0.0)
    assert sorted(h3.int_to_str(int(c)) for c in got) == sorted(want)
    assert area.bbox[0] > 174.0 and -177.5 < area.bbox[2] < -176.0  # across 180, 8° wide


def test_land_drawn_across_180_without_the_cut_keeps_all_its_land(tmp_path):
    """The same outline as a land layer: make_valid of the ring as written cut 0.22 deg² of
    it away by 179.9 E, 14.2 S, and the cell there was scored as sea.
    """
    from pipeline.area import sea_cells
    from pipeline.ingest.context import read_context

    path, whole = _outline_across_180(tmp_path, "land.geojson")
    land = read_context(path, "land")
    assert not any("make_valid" in n for n in land.notes)
    assert shapely.area(shapely.union_all(land.frame.geometry.to_numpy())) == pytest.approx(
        shapely.area(whole), rel=1e-9
    )
    cells = region_to_cells((170.0, -25.0, -170.0, -10.0), 4)
    lat, lon = cells_to_latlng(cells)
    on_land = shapely.contains_xy(whole, np.where(lon < 0, lon + 360.0, lon), lat)
    assert np.array_equal(np.sort(sea_cells(cells, land.frame)), np.sort(cells[~on_land]))


@pytest.mark.parametrize(
    "bbox, says",
    [
        ([180, -10, -180, 10], "one meridian"),
        ([10, -10, 10, 10], "lon_min = lon_max"),
        ([-180, -10, -180, 10], "lon_min = lon_max"),
    ],
    ids=["180-to-minus-180", "same-lon", "both-minus-180"],
)
def test_a_zero_wide_bbox_is_refused_by_the_config(bbox, says):
    """hGK left this: the config took a bbox 0 degrees wide and only the grid refused it,
    after every input was read; the config refuses it now.  A band around the globe and
    boxes across or to 180 pass."""
    from pydantic import ValidationError

    from pipeline.config import AreaConfig

    with pytest.raises(ValidationError, match=f"zero width.*{says}"):
        AreaConfig(bbox=bbox)
    for fine in ([-180, -10, 180, 10], [170, -10, -170, 10], [180, -10, -170, 10]):
        assert AreaConfig(bbox=fine).bbox == tuple(float(v) for v in fine)


def test_route_risk_validate_refuses_a_zero_wide_bbox_in_one_line(tmp_path):
    """The refusal reaches ``route-risk validate`` (and a run's config load) as one line,
    exit 2, before any input is read (the seizures file here does not exist)."""
    import subprocess
    import sys

    import yaml

    raw = {
        "run": {"as_of": "2026-01-01", "out_dir": str(tmp_path / "o")},
        "area": {"bbox": [180, -10, -180, 10]},
        "inputs": {"seizures": [{"path": str(tmp_path / "absent.csv")}]},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cmd = [sys.executable, "-m", "pipeline.cli", "--log-format", "text", "validate"]
    bad = subprocess.run([*cmd, str(tmp_path / "c.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "zero width" in bad.stderr and "meridian" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
