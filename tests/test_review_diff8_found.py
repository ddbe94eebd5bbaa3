"""Review of the diff cf04941..ad267d2 (vessel ids and areas round 15, dates follow-ups).

- A ``vessel`` column numbering the ships 1, 2, 3 (each ship's pings together) beside an
  ``id`` numbering each ship's points was refused: each "numbers the rows" of the other, and
  both were passed over as point numbers (at cf04941: read by ``vessel``).
- Ships numbered 1, 2, 3 reporting in turn (a radar's or a simulator's ``target``) look like a
  row number that starts again: passed over, the one other code column (an AIS navigational
  status 0/5 of each ship) became the vessel id, every ship of one status one "vessel"
  (at cf04941: refused, both named).  With a text status beside it the ships were refused.
- A column of one value (c3db793) was passed over and the one other code column taken: a
  one-ship file's ``code`` of ``A1`` beside a navigational status made each status a
  vessel, and a file read in chunks whose first chunk is one ship's rows did so where the
  whole read refuses (cf04941: refused both ways).
- An ``area.bbox`` across 180° more than 180° wide, as meant ([100, -50, -60, 50]: Malacca
  across the Pacific), over a global file with a few more records in the rest of the world
  was refused as swapped (pirate_attacks.csv: 4033 of 7510 in the plain box, 3461 inside).
- The coarse-cells note fired for an area grown by ``area.margin_km`` at a fine resolution:
  "cells far larger than the area: area.resolution 8 or finer fits it" at resolution 9.
- The area of an area polygon whose hole is wound as its shell (Simple Features sets no
  winding) added the hole: the coarse-cells note measured the area against a larger one.
- ``20240305 14:30:00`` (a compact date, a clock with colons) went to dateutil, which read it
  3 May with ``dayfirst: true`` (accepted, no word) and refused it without; the space-for-T
  fix covered the clock without colons only.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from pipeline.area import area_km2, coarse_cells_note, read_area, region_cells
from pipeline.errors import InputError
from pipeline.ingest import SeizureSource, read_seizures, read_tracks
from pipeline.ingest.stream import spill_tracks

_T0 = pd.Timestamp("2024-03-05T10:00Z")


def _stamp(minutes: int) -> str:
    return (_T0 + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_numbered_ships_beside_their_point_numbers_are_the_vessels(tmp_path):
    rows = [
        {"vessel": v, "id": k + 1, "time": _stamp(5 * k), "lat": 50 + v + 1e-3 * k, "lon": -1.0}
        for v, n in ((1, 12), (2, 8), (3, 8))
        for k in range(n)
    ]
    path = tmp_path / "t.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    res = read_tracks(path)
    assert res.n_accepted == 28
    counts = res.frame.groupby("vessel_id").size().to_dict()
    assert sorted(counts.values()) == [8, 8, 12]


def _in_turn(path, other: str):
    """Three ships numbered 1-3 reporting in turn; ``other`` one value per ship."""
    values = {"navstat": {1: 0, 2: 5, 3: 0}, "status": {1: "under way", 2: "moored", 3: "fishing"}}
    rows = [
        {
            "time": _stamp(5 * k + v),  # staggered: no two pings of the file at one time
            "lat": 50 + v + 1e-3 * k,
            "lon": -1.0 + 1e-3 * k,
            "target": v,
            other: values[other][v],
        }
        for k in range(12)
        for v in (1, 2, 3)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_ships_numbered_in_turn_do_not_hand_their_pings_to_a_status_code(tmp_path):
    # a navigational status is no vessel: refused (both named), as at cf04941
    with pytest.raises(InputError, match="target") as err:
        read_tracks(_in_turn(tmp_path / "t.csv", "navstat"))
    assert "navstat" in str(err.value)


def test_ships_numbered_in_turn_beside_a_text_status_are_read_by_their_number(tmp_path):
    res = read_tracks(_in_turn(tmp_path / "t.csv", "status"))
    assert res.n_accepted == 36
    assert res.frame.groupby("vessel_id").size().tolist() == [12, 12, 12]


def test_an_area_grown_by_its_margin_at_a_fine_resolution_is_not_called_coarse():
    area = read_area((-1.40, 50.88, -1.38, 50.90), None)  # a harbour of ~3 km²
    empty = pd.DataFrame({"lon": [], "lat": []})
    grown = region_cells(area, empty, None, 9, 5.0)  # cells of 0.1 km², 5 km round it
    assert coarse_cells_note(area, grown, 9) == []
    coarse = region_cells(area, empty, None, 5, 0.0)  # one cell of some 250 km²
    assert "area.resolution 8 or finer" in coarse_cells_note(area, coarse, 5)[0]


def test_a_hole_wound_as_its_shell_is_taken_from_the_areas_size(tmp_path):
    shell = [(10, 0), (12, 0), (12, 2), (10, 2)]
    hole = [(10.5, 0.5), (11.5, 0.5), (11.5, 1.5), (10.5, 1.5)]
    sizes = []
    for name, ring in (("same", hole), ("reversed", hole[::-1])):
        path = tmp_path / f"{name}.geojson"
        gpd.GeoDataFrame(geometry=[shapely.Polygon(shell, [ring])], crs="EPSG:4326").to_file(path)
        sizes.append(area_km2(read_area(None, path)))
    assert sizes[0] == pytest.approx(sizes[1], rel=1e-9)


@pytest.mark.parametrize("value", ["20240305 14:30:00", "20240305 14:30", "20240305T14:30"])
@pytest.mark.parametrize("dayfirst", [None, True])
def test_a_compact_date_with_a_clock_of_colons_is_year_month_day(tmp_path, value, dayfirst):
    path = tmp_path / "s.csv"
    pd.DataFrame({"date": [value] * 3, "lat": [10.0, 10.1, 10.2], "lon": [100.0] * 3}).to_csv(
        path, index=False
    )
    res = read_seizures(SeizureSource(path=path, dayfirst=dayfirst))
    assert res.n_accepted == 3
    assert (res.frame["time"] == pd.Timestamp("2024-03-05T14:30Z")).all()


def _one_code_and_a_status(path, ships: tuple[str, ...], per_ship: int):
    """Ships by a 'code' (no identity header), each's pings together, and a 'nav' status."""
    rows = [
        {
            "code": ship,
            "nav": (0, 5, 1)[k * 3 // per_ship],
            "time": _stamp(k),
            "lat": 50 + v + 1e-5 * k,
            "lon": -1.0 + 1e-5 * k,
        }
        for v, ship in enumerate(ships)
        for k in range(per_ship)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_column_of_one_value_does_not_make_a_status_the_vessel_id(tmp_path):
    # one ship 'A1' whose status changes twice: read by 'nav', three "vessels"
    path = _one_code_and_a_status(tmp_path / "t.csv", ("A1",), 30)
    with pytest.raises(InputError, match=r"'code' \(one value, 'A1', on every row read"):
        read_tracks(path)


def test_a_first_chunk_of_one_ship_does_not_make_a_status_the_vessel_id(tmp_path):
    # read whole, 'code' and 'nav' are chosen between (refused); the first chunk (one ship's
    # rows) held one 'code', and 'nav' was the vessel id of the whole file
    path = _one_code_and_a_status(tmp_path / "t.csv", ("A1", "B2"), 2000)
    with pytest.raises(InputError, match="no vessel id column"):
        read_tracks(path)
    with pytest.raises(InputError, match="no vessel id column"):
        spill_tracks(path, tmp_path / "s", chunk_rows=500, n_buckets=2)


def test_a_pacific_bbox_over_200_degrees_wide_over_world_records_is_read(tmp_path):
    # [100, -50, -60, 50]: Malacca across the Pacific to the Americas, as meant; a global
    # file holds a few more records in the rest of the world (-60..100) than in it
    # (no longitude of exactly 0: a lone one is a placeholder, test_review_realdata26_found)
    lons = [-50.0, -20.0, 0.5, 30.0, 60.0, 90.0, 95.0, 120.0, 150.0, 170.0, -170.0, -120.0, -80.0]
    path = tmp_path / "s.csv"
    pd.DataFrame(
        {"date": "2024-03-01", "lat": [(i % 7) - 3.0 for i in range(len(lons))], "lon": lons}
    ).to_csv(path, index=False)
    res = read_seizures(path, aoi_bbox=(100.0, -50.0, -60.0, 50.0))
    assert res.n_accepted == 6 and res.by_rule == {"outside_aoi": 7}
    # records mostly in -10..10 against the box swapped by mistake are still refused
    lons = [-8.0, -5.0, -2.0, 0.5, 3.0, 6.0, 9.0, 14.0, 19.0, -15.0]
    pd.DataFrame({"date": "2024-03-01", "lat": 0.0, "lon": lons}).to_csv(path, index=False)
    with pytest.raises(InputError, match="write the west edge first"):
        read_seizures(path, aoi_bbox=(10.0, -50.0, -10.0, 50.0))
