"""Review of real exports as an analyst meets them, round 27 (Excel, database, QGIS shapes).

A worksheet of incidents with a row of merged column groups over its header (``Event;;
Position;;Details``) saved as CSV by Excel keeps the sheet's used range: every line, the
header included, ends in empty fields (``...;Vessel;;``).  The group row was then taken for
the header (its group test wanted every header cell named), and the records were read
under ``Event``, ``Position``, ``Details``: with decimal commas the file was refused as FIT
semicircles, with decimal points all 400 records were rejected as unparseable coordinates.
Under a title line the group row was never looked for (only a first line could be one).
"""

from __future__ import annotations

import math

import h3
import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, write_text
from _rasters import write_tif
from affine import Affine

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

RECORDS = [
    ("05/03/2021", "12:30", "103,8012", "1,2504", "Boarded", "MV Alpha"),
    ("17/04/2021", "#N/A", "104,1033", "1,1811", "Attempted", "MV Beta"),
    ("02/06/2021", "03:15", "-4,2511", "5,1203", "Hijacked", "MV Gamma"),
    ("21/09/2021", "#N/A", "49,5012", "11,7705", "Fired upon", "MV Delta"),
    ("30/11/2021", "22:05", "108,3391", "-6,8820", "Boarded", "MV Epsilon"),
]
HEADER = "Date;Time;Longitude;Latitude;Attack type;Vessel;;"
GROUPS = "Event;;Position;;Details;;;"
TITLE = "Piracy report 2021;;;;;;;"


def _excel_csv(tmp_path, above: list[str], decimal: str = ",") -> tuple:
    lines = [*above, HEADER]
    for rec in RECORDS:
        lines.append(";".join(v.replace(",", decimal) for v in rec) + ";;")
    lines.append(f"Total;{len(RECORDS)};;;;;;")
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    return write_text(tmp_path, "attacks.csv", text), len(above) + 2


@pytest.mark.parametrize(
    ("above", "decimal"),
    [
        ([GROUPS], ","),
        ([GROUPS], "."),
        ([TITLE, GROUPS], ","),
        ([TITLE, GROUPS], "."),
        ([], ","),
    ],
    ids=["groups-comma", "groups-dot", "title-groups-comma", "title-groups-dot", "none"],
)
def test_an_excel_csv_with_trailing_empty_columns_skips_its_group_row(tmp_path, above, decimal):
    path, first = _excel_csv(tmp_path, above, decimal)
    res = read_seizures(path)
    assert (res.n_read, res.n_accepted, res.n_rejected) == (6, 5, 1)
    frame = res.frame.sort_values("source_row")
    assert frame["source_row"].tolist() == list(range(first, first + 5))
    assert frame["lon"].tolist() == [float(r[2].replace(",", ".")) for r in RECORDS]
    assert frame["lat"].tolist() == [float(r[3].replace(",", ".")) for r in RECORDS]
    days = pd.to_datetime([r[0] for r in RECORDS], format="%d/%m/%Y")
    assert (frame["time"].dt.tz_convert(None).dt.normalize() == days).all()
    # the totals row is the one reject, at its physical line
    assert res.rejects["row"].tolist() == [first + 5]


# ---------------------------------------------------------------------- two agencies' dates
#
# One file of seizures joined from a British agency's export (day-first) and an American one
# (month-first) proved both orders, and was refused with the advice to set ``dayfirst``;
# set, the other agency's ambiguous dates were read a month or more off (noted only as
# 'N dates contradict dayfirst=True').  Each agency that decides its own order is now read
# in it.

AGENCY_RECORDS = [
    # (agency, as written, the day meant)
    ("NCA UK", "13/02/2021", "2021-02-13"),
    ("NCA UK", "06/07/2021", "2021-07-06"),
    ("NCA UK", "25/03/2021", "2021-03-25"),
    ("NCA UK", "02/11/2021", "2021-11-02"),
    ("USCG", "02/13/2021", "2021-02-13"),
    ("USCG", "07/06/2021", "2021-07-06"),
    ("USCG", "03/25/2021", "2021-03-25"),
    ("USCG", "11/02/2021", "2021-11-02"),
]


def _agencies_csv(tmp_path, records, clock: bool = False):
    head = "date," + ("time," if clock else "") + "agency,lat,lon,commodity"
    lines = [head]
    for i, (agency, written, _) in enumerate(records):
        at = f"{i:02d}:30," if clock else ""
        lines.append(f"{written},{at}{agency},{1 + i / 10},{104 + i / 10},cocaine")
    return write_text(tmp_path, "joined.csv", "\n".join(lines) + "\n")


@pytest.mark.parametrize("clock", [False, True], ids=["dates", "with-clock"])
def test_two_agencies_dates_are_each_read_in_their_own_order(tmp_path, clock):
    res = read_seizures(_agencies_csv(tmp_path, AGENCY_RECORDS, clock))
    assert res.n_rejected == 0
    frame = res.frame.sort_values("source_row")
    days = frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert days == [meant for _, _, meant in AGENCY_RECORDS]
    if clock:
        hours = frame["time"].dt.strftime("%H:%M").tolist()
        assert hours == [f"{i:02d}:30" for i in range(len(AGENCY_RECORDS))]
    dates = res.assumptions["dates"]
    assert dates["orders"] == {"NCA UK": "day-first", "USCG": "month-first"}
    assert any("differs by 'agency'" in n for n in res.notes)


def test_an_agencys_date_no_format_reads_is_rejected_at_its_line(tmp_path):
    records = [*AGENCY_RECORDS, ("USCG", "13/13/2021", "?"), ("NCA UK", "soon", "?")]
    res = read_seizures(_agencies_csv(tmp_path, records))
    assert (res.n_read, res.n_accepted, res.n_rejected) == (10, 8, 2)
    assert sorted(res.rejects["row"].tolist()) == [10, 11]
    assert set(res.rejects["rule"]) == {"date_unparseable"}


def test_an_agency_whose_own_dates_do_not_decide_leaves_the_file_refused(tmp_path):
    records = [*AGENCY_RECORDS, ("Customs", "04/05/2021", "?"), ("Customs", "05/06/2021", "?")]
    with pytest.raises(InputError, match="values decide both ways"):
        read_seizures(_agencies_csv(tmp_path, records))


@pytest.mark.parametrize(
    "a_dates",
    [
        ["13/02/2021", "02/13/2021"],
        ["03/04/2021", "04/03/2021"],
        ["13/02/2021", "02/13/2021", "03/04/2021"],
    ],
    ids=["one-agency-mixed", "one-undecided", "one-both-ways"],
)
def test_agencies_that_do_not_decide_apart_leave_a_mixed_file_refused(tmp_path, a_dates):
    # the mix is within agency A (both orders, none it leaves open) and B is day-first: no
    # two agencies decide apart; or A's own dates decide nothing, or both ways, beside B
    # and C that decide apart
    mixed = len(a_dates) == 2 and a_dates[0].startswith("13")
    records = [("A", d, "") for d in a_dates] + [
        ("B", "14/02/2021", ""),
        ("B", "05/06/2021", ""),
    ]
    records += [] if mixed else [("C", "02/14/2021", ""), ("C", "06/07/2021", "")]
    with pytest.raises(InputError, match="values decide both ways") as refused:
        read_seizures(_agencies_csv(tmp_path, records))
    assert "joined.csv column 'date'" in str(refused.value)  # the file's, not an agency's


def test_a_file_of_more_agencies_than_are_read_apart_stays_refused(tmp_path):
    from pipeline.ingest._dates import MAX_DATE_GROUPS

    records = []
    for k in range(MAX_DATE_GROUPS + 1):
        days = ("13/02/2021", "03/04/2021") if k % 2 else ("02/13/2021", "04/03/2021")
        records += [(f"agency {k}", d, "") for d in days]
    with pytest.raises(InputError, match="values decide both ways"):
        read_seizures(_agencies_csv(tmp_path, records))


# ---------------------------------------------------------------------- Web Mercator rasters
#
# A scene warped into EPSG:3857 across the antimeridian (gdalwarp of a Fiji or Bering Sea
# raster) runs past Web Mercator's x edge, 20,037,508 m.  The cells east of 180° were
# projected to x = -20,037,508 m, far outside it: their raster values were lost, reported
# as valid_fraction 0 and no mean, though the raster covers them (every cell of a 61-cell
# disc east of 180°).  A cell across 180° on a raster ending there was worse: its ring went
# round the world the other way, a sum of the raster's whole width.  A cylindrical CRS now
# repeats every 360° as a geographic one does.

MERC_R = 6378137.0
MERC_PERIOD = 2.0 * math.pi * MERC_R


def _merc(lon, lat):
    return np.radians(lon) * MERC_R, MERC_R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _lon_raster(path, lon_west: float):
    """A 3857 raster from ``lon_west`` 3° eastward (past 180° where it starts near it), 40-42°N;
    each pixel's value is its centre's longitude counted on from ``lon_west`` (unwrapped)."""
    x0, y1 = _merc(lon_west, 42.0)
    x1, y0 = _merc(lon_west + 3.0, 40.0)
    res = 1000.0
    w, h = int((x1 - x0) // res), int((y1 - y0) // res)
    xs = x0 + (np.arange(w) + 0.5) * res
    values = np.degrees(xs / MERC_R)  # linear in x: the unwrapped longitude
    data = np.tile(values, (h, 1)).astype("float64")
    return write_tif(path, data, Affine(res, 0, x0, 0, -res, y1), crs="EPSG:3857")


@pytest.mark.parametrize("lon_west", [178.5, -1.5], ids=["antimeridian", "greenwich"])
def test_a_web_mercator_raster_across_the_antimeridian_covers_the_cells_east_of_it(
    tmp_path, lon_west
):
    from pipeline.ingest.rasters import open_raster
    from pipeline.zonal import zonal_stats_to_cells

    da = open_raster(_lon_raster(tmp_path / "scene.tif", lon_west))
    centre = h3.latlng_to_cell(41.0, lon_west + 1.5, 5)
    cells = sorted(h3.grid_disk(centre, 2))
    got = zonal_stats_to_cells(da, [h3.str_to_int(c) for c in cells], name="r")
    lons = np.array([h3.cell_to_latlng(c)[1] for c in cells])
    unwrapped = lon_west + (lons - lon_west) % 360.0
    assert (lons < 0).any() and (lons > 0).any()  # cells on both sides of 180° (or of 0°)
    np.testing.assert_allclose(got["r_valid_fraction"], 1.0, atol=1e-6)
    # the mean of a longitude linear in x is the cell's own (its centroid's) to ~0.01°
    np.testing.assert_allclose(got["r_mean"], unwrapped, atol=0.02)


def test_only_a_cylindrical_crs_repeats_along_x():
    from pyproj import CRS

    from pipeline.zonal import x_period

    lon_0, x_0, period = x_period(CRS("EPSG:3857"))
    assert (lon_0, x_0) == (0.0, 0.0)
    assert period == pytest.approx(MERC_PERIOD, rel=1e-9)
    assert x_period(CRS("EPSG:3832"))[0] == 150.0  # PDC Mercator, Pacific-centred
    for crs in ("EPSG:32618", "EPSG:3035", "ESRI:54009"):  # UTM, LAEA, Mollweide
        assert x_period(CRS(crs)) is None


def test_a_web_mercator_raster_past_its_edge_is_clipped_to_an_area_across_180(tmp_path):
    # a run reads only the area's window: the columns past x = 20037508 m were cut off
    from pipeline.ingest import clip_raster, open_raster

    da = open_raster(_lon_raster(tmp_path / "scene.tif", 178.5))
    out = clip_raster(da, (179.0, 40.5, -179.0, 41.5))
    lons = np.degrees(out["x"].to_numpy() / MERC_R)  # the pixel values' longitudes
    assert lons.min() == pytest.approx(179.0, abs=0.01)
    assert lons.max() == pytest.approx(181.0, abs=0.01)
    _, y_lo = _merc(0.0, 40.5)
    _, y_hi = _merc(0.0, 41.5)
    ys = out["y"].to_numpy()
    assert y_lo <= ys.min() < y_lo + 1000.0 and y_hi - 1000.0 < ys.max() <= y_hi


def test_a_cell_across_180_on_a_web_mercator_raster_ending_there_gets_its_share(tmp_path):
    # its ring went round the world the other way: valid_fraction 0.011 and a sum of
    # ~4,048 pixels (the raster's whole width) for cells of about 110
    import shapely

    from pipeline.ingest.rasters import open_raster
    from pipeline.zonal import zonal_stats_to_cells

    edge, res = math.pi * MERC_R, 1000.0
    x0 = edge - 300 * res
    _, y0 = _merc(0.0, 40.0)
    y1 = y0 + 300 * res
    path = write_tif(
        tmp_path / "edge.tif",
        np.ones((300, 300), "float32"),
        Affine(res, 0, x0, 0, -res, y1),
        crs="EPSG:3857",
    )
    cells = [c for c in h3.grid_disk(h3.latlng_to_cell(41.0, 179.97, 6), 2)]
    rings = [np.array(h3.cell_to_boundary(c)) for c in cells]  # (lat, lon)
    across = [c for c, r in zip(cells, rings, strict=True) if np.ptp(r[:, 1]) > 180.0]
    assert across
    got = zonal_stats_to_cells(open_raster(path), [h3.str_to_int(c) for c in across], name="r")
    for c, vf, total in zip(across, got["r_valid_fraction"], got["r_sum"], strict=True):
        ring = np.array(h3.cell_to_boundary(c))
        lon = np.where(ring[:, 1] < 0, ring[:, 1] + 360.0, ring[:, 1])
        poly = shapely.Polygon(np.column_stack(_merc(lon, ring[:, 0])))
        inside = poly.intersection(shapely.box(x0, y0, edge, y1)).area
        assert vf == pytest.approx(inside / poly.area, abs=2e-3)
        assert total == pytest.approx(inside / res**2, rel=5e-3)
