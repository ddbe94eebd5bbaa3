"""Mutation pass over curvilinear windows, per-agency date orders and Web Mercator across 180°.

An area across the antimeridian near a pole grows by its margin to more than 360° of
longitude (a degree of longitude is a few km there): the grown ends passed each other and
the window was read as the few degrees between them on the far side of the globe (an
Arctic area 170°E..170°W up to 89.4°N kept columns 80°W..80°E: every cell of the area got
valid_fraction 0 from a raster covering it).  The other tests kill mutants the existing
tests let live: the side rows of a window, pixels placed nowhere, a centre on the area's
edge, the 20-agency cap, agency names written with spaces, and what an agency's parsed
dates carry (clocks, offsets, notes, formats).  References: numpy on the whole arrays,
h3 on each centre with a pandas groupby, ``pandas.to_datetime`` with an explicit format.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _corpus import IGNORE_PENDING_DEPRECATION, write_text
from _rasters import (
    LAT_ATTRS,
    LON_ATTRS,
    POLAR,
    centre_reference,
    check_against_centre_reference,
    grid_values,
    rotated_grid,
    write_tif,
)
from affine import Affine

from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage, read_seizures
from pipeline.zonal import zonal_stats_to_cells

pytestmark = IGNORE_PENDING_DEPRECATION

DIMS = ("eta_rho", "xi_rho")
STATS = ["mean", "max", "min", "sum", "count", "valid_fraction"]


def _write(path, values, lat, lon):
    xr.Dataset(
        {"v": (DIMS, values)},
        coords={"lat": (DIMS, lat, LAT_ATTRS), "lon": (DIMS, lon, LON_ATTRS)},
    ).to_netcdf(path, engine="h5netcdf")
    return path


def _window(lat, lon, box):
    """Rows/columns holding a placed centre in ``box`` (numpy, inclusive), one more each side."""
    x0, y0, x1, y1 = box
    placed = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 360)
    east = (lon - x0) % 360.0 <= (x1 - x0) % 360.0 if x1 - x0 < 360 else np.ones(lon.shape, bool)
    with np.errstate(invalid="ignore"):
        inside = placed & (lat >= y0) & (lat <= y1) & east
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    ny, nx = lat.shape
    return (
        (max(0, rows[0] - 1), min(ny, rows[-1] + 2)),
        (max(0, cols[0] - 1), min(nx, cols[-1] + 2)),
    )


# ------------------------------------------------- an area across 180° grown past 360° near a pole


def _top(margin_km: float, dlon: float) -> float:
    """The area's northern edge whose grown edge makes the margin ``dlon`` degrees of longitude."""
    dlat = margin_km / 111.32
    return float(np.degrees(np.arccos(dlat / dlon))) - dlat


def _across_cells(x0, y0, x1, y1, res):
    return np.concatenate(
        [region_to_cells((x0, y0, 180.0, y1), res), region_to_cells((-180.0, y0, x1, y1), res)]
    )


@pytest.mark.parametrize("kind", ["regular", "curvilinear"])
def test_an_area_across_180_grown_past_360_degrees_keeps_the_whole_width(tmp_path, kind):
    """170°E..170°W up to ~89.4°N (89.9°N on a polar grid) with a run's margin (two edges of
    a cell): grown by ~250° each side, its ends pass each other; the window is the whole
    width, and the cells get the values of the unclipped raster (they had none:
    valid_fraction 0 on a geographic raster, no pixel on a polar grid)."""
    res = 4 if kind == "regular" else 6
    margin = 2 * h3.average_hexagon_edge_length(res, unit="km")
    box = (170.0, 84.0 if kind == "regular" else 89.0, -170.0, _top(margin, 250.0))
    cells = _across_cells(*box, res)
    assert cells.size > 20
    if kind == "regular":  # 80..90°N, 0.25°
        data = grid_values((40, 1440))
        tif = write_tif(tmp_path / "arctic.tif", data, Affine(0.25, 0, -180, 0, -0.25, 90))
        da = open_raster(tif)
        part = clip_raster(da, box, margin_km=margin)
        assert part.sizes["x"] == da.sizes["x"]
        whole = zonal_stats_to_cells(da, cells, stats=STATS, name="v")
        assert (whole["v_valid_fraction"] > 0.999).all()
        got = zonal_stats_to_cells(part, cells, stats=STATS, name="v")
        pd.testing.assert_frame_equal(got, whole)
        return
    from pyproj import CRS, Transformer

    ys, xs = np.meshgrid(
        5000.0 * (np.arange(70) - 34.5), 5000.0 * (np.arange(80) - 39.5), indexing="ij"
    )
    tr = Transformer.from_crs(CRS.from_cf(POLAR), "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xs, ys)
    values = grid_values(lat.shape, seed=5)
    da = open_raster(_write(tmp_path / "polar.nc", values, lat, lon), by_centres=True)
    part = clip_raster(da, box, margin_km=margin)
    (r0, r1), (c0, c1) = _window(lat, lon, (-180.0, box[1] - margin / 111.32, 180.0, 90.0))
    assert (part.sizes["y"], part.sizes["x"]) == (r1 - r0, c1 - c0)
    got = zonal_stats_to_cells(part, cells, stats=STATS, method="centre", name="v")
    assert got["v_count"].sum() > 10
    check_against_centre_reference(got, centre_reference(lat, lon, values, cells, res))


# ------------------------------------------------------------------ the window's rows and columns


def _edge_grid():
    lat, lon = rotated_grid(13, 15, degrees=20.0)
    return lat, lon, grid_values(lat.shape, seed=11)


@pytest.mark.parametrize(
    "case", ["last-row-alone", "centre-on-the-edges", "placed-nowhere-beside-the-area"]
)
def test_the_window_holds_every_centre_in_the_area_and_no_other(tmp_path, case):
    """The window against numpy on the whole arrays (inclusive edges, placed centres only):
    a centre in the last row alone, read in blocks of 4 rows of 13; an area whose east and
    north edges are a centre's own longitude/latitude; a pixel whose longitude (820.9°) is
    no place, though 820.9 - 720 lies in the area, far from it (it must not widen the
    window; it is counted as placed nowhere)."""
    lat, lon, values = _edge_grid()
    if case == "last-row-alone":
        y, x = lat[12, 7], lon[12, 7]
        box = (x - 0.002, y - 0.002, x + 0.002, y + 0.002)
    elif case == "centre-on-the-edges":
        y, x = lat[6, 9], lon[6, 9]
        box = (x - 0.03, y - 0.03, x, y)
    else:
        y, x = lat[6, 9], lon[6, 9]
        box = (x - 0.01, y - 0.01, x + 0.01, y + 0.01)
        lat[0, 14] = y
        lon[0, 14] = x + 720.0
    da = open_raster(_write(tmp_path / f"{case}.nc", values, lat, lon), by_centres=True)
    da.attrs["window_rows"] = 4
    (r0, r1), (c0, c1) = _window(lat, lon, box)
    part = clip_raster(da, box)
    assert part.attrs["assumptions"]["window"]["value"] == (
        f"rows {r0}..{r1 - 1}, columns {c0}..{c1 - 1}"
    )
    np.testing.assert_array_equal(part["lat"].to_numpy(), lat[r0:r1, c0:c1])
    cov = raster_coverage(da, box)
    assert cov["valid_fraction_in_area"] == 1.0
    assert cov.get("unplaced_pixels", 0) == (1 if case.startswith("placed") else 0)


# ------------------------------------------------------------------- per-agency day/month orders

# (agency as written, date as written, its time column, the format that reads it)
JOINED = [
    ("NCA UK", "13/02/2021 10:30", "11:00", "%d/%m/%Y %H:%M"),
    ("NCA UK", "06/07/21", "11:00", "%d/%m/%y"),
    ("NCA UK", "25/03/2021 08:00:00+02:00", "", "%d/%m/%Y %H:%M:%S%z"),
    ("NCA UK", "04/05/2021", "", "%d/%m/%Y"),
    ("USCG", "02/13/2021 10:30", "11:00", "%m/%d/%Y %H:%M"),
    (" USCG ", "07/06/21", "11:00", "%m/%d/%y"),  # alone it decides nothing: one agency
    ("USCG", "03/25/2021 08:00:00-05:00", "", "%m/%d/%Y %H:%M:%S%z"),
    ("USCG", "11/02/2021", "", "%m/%d/%Y"),
    ("Customs", "2021-05-04", "09:15", "%Y-%m-%d"),  # no order needed
    ("USCG", "soon", "", None),
]


def _joined_csv(tmp_path, records, name="joined.csv"):
    lines = ["date,time,agency,lat,lon,commodity"]
    for i, (agency, written, clock, _) in enumerate(records):
        lines.append(f"{written},{clock},{agency},{1 + i / 10},{104 + i / 10},cocaine")
    return write_text(tmp_path, name, "\n".join(lines) + "\n")


def _meant(written: str, clock: str, fmt: str) -> pd.Timestamp:
    """pandas with the explicit format; a time column gives a date without a clock its own."""
    t = pd.to_datetime(written, format=fmt, utc=True)
    if clock and "%H" not in fmt:
        t = t + pd.to_timedelta(clock + ":00")
    return t


def test_a_joined_file_reads_each_agency_as_its_own_file_would(tmp_path):
    """Clocks in the date column beside a time column, offsets, two-digit years, an agency
    name written with spaces (one agency: alone its date decides nothing), an agency of ISO
    dates (no order needed) and a date no format reads: each record as ``pandas.to_datetime`` with the agency's format reads it,
    the unreadable one rejected at its line, and each agency's notes, formats, two-digit
    years and zones said as its own file says them."""
    res = read_seizures(_joined_csv(tmp_path, JOINED))
    assert (res.n_read, res.n_accepted, res.n_rejected) == (10, 9, 1)
    assert res.rejects["row"].tolist() == [11]
    assert res.rejects["rule"].tolist() == ["date_unparseable"]
    frame = res.frame.sort_values("source_row")
    meant = [_meant(w, c, f) for _, w, c, f in JOINED if f]
    assert frame["time"].tolist() == meant
    dates = res.assumptions["dates"]
    assert dates["order"] == "by agency"
    assert dates["orders"] == {"NCA UK": "day-first", "USCG": "month-first", "Customs": None}
    assert (
        "joined.csv column 'date': the day/month order differs by 'agency' and each one's "
        "dates are read in its own ('NCA UK': day-first, 'USCG': month-first, 'Customs': "
        "none needed)"
    ) in res.notes
    assert set(dates["two_digit_years"]) == {"NCA UK", "USCG"}
    assert dates["formats"]["day/month/year"] == 8 and sum(dates["formats"].values()) == 9
    assert res.assumptions["time_zone"].startswith("2 value(s) name their zone or offset")
    # each agency's own file: the same times, its notes and formats under its own name
    alone: dict[str, dict] = {}
    for agency in ("NCA UK", "USCG", "Customs"):
        own = [r for r in JOINED if r[0].strip() == agency]
        one = read_seizures(_joined_csv(tmp_path, own, name=f"{agency}.csv"))
        alone[agency] = one.assumptions["dates"]
        times = one.frame.sort_values("source_row")["time"].tolist()
        assert times == [_meant(w, c, f) for _, w, c, f in own if f]
        for note in one.notes:
            if f"{agency}.csv column 'date'" in note:
                said = note.replace(f"{agency}.csv", f"joined.csv (agency {agency!r})")
                assert said in res.notes, said
    totals: dict[str, int] = {}
    for said in alone.values():
        for k, v in said["formats"].items():
            totals[k] = totals.get(k, 0) + v
    assert dates["formats"] == totals


def test_agencies_dates_at_midnight_in_their_zone_and_months_holding_as_of(tmp_path):
    """Dates written at midnight with an offset take the time column in their own zone (the
    offset of each agency's dates is kept), and a month holding as_of is said to (the
    period's end is kept): as each agency's own file reads them."""
    records = [
        ("NCA UK", "13/02/2021 00:00:00+01:00", "10:30", "+01:00"),
        ("NCA UK", "06/07/2021 00:00:00+01:00", "11:00", "+01:00"),
        ("USCG", "02/13/2021 00:00:00-05:00", "10:30", "-05:00"),
        ("USCG", "07/06/2021 00:00:00-05:00", "11:00", "-05:00"),
        ("USCG", "11/2021", "", ""),
    ]
    res = read_seizures(_joined_csv(tmp_path, records), as_of="2021-11-15")
    assert res.n_rejected == 0
    meant = [
        pd.to_datetime(
            f"{w[:10]} {c}{z}", format=("%d/%m/%Y" if k < 2 else "%m/%d/%Y") + " %H:%M%z"
        ).tz_convert("UTC")
        for k, (_, w, c, z) in enumerate(records[:4])
    ]
    meant.append(pd.Timestamp("2021-11-01", tz="UTC"))
    assert res.frame.sort_values("source_row")["time"].tolist() == meant
    assert res.assumptions["dates"]["periods_holding_as_of"] == 1
    assert any("1 record(s) dated only to a month, week or year" in n for n in res.notes)


def test_a_range_end_is_read_in_its_agencys_order(tmp_path):
    """An end column beside per-agency starts is read per agency too: USCG's 07/08/2021
    ends 07/06/2021 on 8 July (2 days), not 7 August.  Read in the order the NCA's one
    proven end gave the whole column, the summary said 'up to 32 days'."""
    records = [
        ("NCA UK", "13/02/2021", "14/02/2021", "%d/%m/%Y"),
        ("NCA UK", "06/07/2021", "06/07/2021", "%d/%m/%Y"),
        ("USCG", "02/13/2021", "", "%m/%d/%Y"),
        ("USCG", "07/06/2021", "07/08/2021", "%m/%d/%Y"),
    ]
    lines = ["date,end_date,agency,lat,lon,commodity"]
    for i, (agency, start, end, _) in enumerate(records):
        lines.append(f"{start},{end},{agency},{1 + i / 10},{104 + i / 10},cocaine")
    res = read_seizures(write_text(tmp_path, "ranges.csv", "\n".join(lines) + "\n"))
    days = [
        (pd.to_datetime(e, format=f) - pd.to_datetime(s, format=f)).days
        for _, s, e, f in records
        if e
    ]
    assert days == [1, 0, 2]
    said = res.assumptions["dates"]["date_range"]
    assert said["records_spanning_days"] == sum(d >= 1 for d in days) == 2
    assert said["longest_days"] == max(days)
    assert any("(up to 2 days)" in n for n in res.notes)
    # ends of one agency only: read in its order still
    lines = [ln if "USCG" not in ln else ln.replace("07/08/2021", "") for ln in lines]
    res = read_seizures(write_text(tmp_path, "ranges.csv", "\n".join(lines) + "\n"))
    said = res.assumptions["dates"]["date_range"]
    assert (said["records_spanning_days"], said["longest_days"]) == (1, 1.0)


def test_as_many_agencies_as_the_cap_are_read_apart(tmp_path):
    """MAX_DATE_GROUPS agencies deciding apart are read each in its order (one more: the
    file stays refused, tested beside the finding)."""
    from pipeline.ingest._dates import MAX_DATE_GROUPS

    records = []
    for k in range(MAX_DATE_GROUPS):
        first = k % 2 == 0
        days = ("13/02/2021", "03/04/2021") if first else ("02/13/2021", "04/03/2021")
        fmt = "%d/%m/%Y" if first else "%m/%d/%Y"
        records += [(f"agency {k}", d, "", fmt) for d in days]
    res = read_seizures(_joined_csv(tmp_path, records))
    assert res.n_rejected == 0
    frame = res.frame.sort_values("source_row")
    assert frame["time"].tolist() == [_meant(w, c, f) for _, w, c, f in records]
    assert len(res.assumptions["dates"]["orders"]) == MAX_DATE_GROUPS
    said = f"{2 * MAX_DATE_GROUPS} value(s) are dates without a time (00:00 UTC)"
    assert res.assumptions["time_zone"] == said


# ---------------------------------------------------------- cylindrical rasters past their x edge


def _scene(path, crs: str, lon_west: float):
    """A raster in ``crs`` from ``lon_west`` 3° eastward, 40-42°N, whose x runs on past the
    projection's edge as gdalwarp writes it; each pixel holds its centre's longitude counted
    on from ``lon_west``.  x is linear in longitude (pyproj gives the slope and the y)."""
    from pyproj import CRS, Transformer

    lon_0 = 150.0 if crs == "EPSG:3832" else 0.0
    tr = Transformer.from_crs("EPSG:4326", CRS(crs), always_xy=True)
    (x_0, x_1), (y0, y1) = (
        tr.transform([lon_0, lon_0 + 1.0], [0.0, 0.0])[0],
        tr.transform([lon_0, lon_0], [40.0, 42.0])[1],
    )
    res = 1000.0
    x_west = x_0 + (lon_west - lon_0) * (x_1 - x_0)  # past lon_0 - 180 or lon_0 + 180
    w, h = int(3.0 * (x_1 - x_0) // res), int((y1 - y0) // res)
    xs = x_west + (np.arange(w) + 0.5) * res
    values = lon_west + (xs - x_west) / (x_1 - x_0)
    data = np.tile(values, (h, 1))
    return write_tif(path, data, Affine(res, 0, x_west, 0, -res, y1), crs=crs)


@pytest.mark.parametrize(
    ("crs", "lon_west"),
    [("EPSG:3857", -181.5), ("EPSG:3832", 328.5), ("EPSG:3832", 178.5)],
    ids=["3857-past-the-west-edge", "3832-past-its-east-edge", "3832-across-180"],
)
def test_a_cylindrical_raster_past_either_edge_covers_the_cells_beyond_it(tmp_path, crs, lon_west):
    """West of 180° on a Web Mercator scene written past x = -20037508 m; PDC Mercator
    (central meridian 150°E) past its own edge at 30°W and across 180° (inside its x range):
    every cell of a disc on both sides has valid_fraction 1 and its centre's longitude for
    mean (h3), and the area's window keeps the columns over it."""
    da = open_raster(_scene(tmp_path / "scene.tif", crs, lon_west))
    centre = h3.latlng_to_cell(41.0, lon_west + 1.5, 5)
    cells = sorted(h3.grid_disk(centre, 2))
    lons = np.array([h3.cell_to_latlng(c)[1] for c in cells])
    assert np.ptp((lons - lon_west - 1.5 + 180.0) % 360.0) < 2.0  # one place, both sides
    ints = [h3.str_to_int(c) for c in cells]
    got = zonal_stats_to_cells(da, ints, stats=["mean", "valid_fraction"], name="r")
    np.testing.assert_allclose(got["r_valid_fraction"], 1.0, atol=1e-6)
    np.testing.assert_allclose(got["r_mean"], lon_west + (lons - lon_west) % 360.0, atol=0.02)
    box = (lon_west + 0.5, 40.5, lon_west + 2.5, 41.5)
    box = tuple((v + 180.0) % 360.0 - 180.0 if k % 2 == 0 else v for k, v in enumerate(box))
    part = clip_raster(da, box)
    vals = part.isel(band=0, y=0).to_numpy()
    assert vals.min() == pytest.approx(lon_west + 0.5, abs=0.02)
    assert vals.max() == pytest.approx(lon_west + 2.5, abs=0.02)
