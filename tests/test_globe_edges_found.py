"""Geometry at the edges of the globe (the 180th meridian, the poles), found wrong end to end.

Pacific theatres (Fiji, the Bering Strait), the Arctic above 80° N and the Southern Ocean were
run through ``route-risk run`` with seizures, tracks, areas and rasters written here; each test
below failed before its fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
import yaml
from _rasters import write_tif
from affine import Affine
from pyproj import Transformer

from pipeline.cli import main
from pipeline.grid import cells_to_geodataframe, cells_to_latlng, region_to_cells
from pipeline.render import raster_to_overlay
from pipeline.zonal import zonal_stats_to_cells

KN_KM_H = 1.852


def _pole_cell(lat: float, res: int) -> np.ndarray:
    return np.array([h3.str_to_int(h3.latlng_to_cell(lat, 0.0, res))], dtype="uint64")


def _wrap(lon):
    return (np.asarray(lon, dtype="float64") + 180.0) % 360.0 - 180.0


def _fiji_inputs(folder: Path, seed: int = 1) -> dict[str, Path]:
    """Seizures around Fiji either side of 180°, and four ships there, as an analyst's files.

    Ship 1 sails east across 180° at 12 kn (pings every 10 min for 12 h); ships 2 and 3 lie
    still 300 m apart either side of 180° for 4 h (an encounter); ship 4 crosses 180° dark.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = 300
    lon, lat = _wrap(180.0 + rng.normal(0.0, 1.0, n)), -17.0 + rng.normal(0.0, 1.0, n)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lat": lat.round(6),
            "lon": lon.round(6),
            "commodity": "cocaine",
        }
    ).to_csv(folder / "seizures.csv", index=False)
    t0 = pd.Timestamp("2026-06-28T00:00Z")
    parts = []

    def ship(mmsi, minutes, lon, lat, sog):
        parts.append(
            pd.DataFrame(
                {
                    "mmsi": mmsi,
                    "timestamp": (t0 + pd.to_timedelta(minutes, unit="min")).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "lat": np.round(np.broadcast_to(lat, minutes.shape), 6),
                    "lon": np.round(_wrap(np.broadcast_to(lon, minutes.shape)), 6),
                    "sog": sog,
                    "cog": 90.0,
                }
            )
        )

    m = np.arange(0, 12 * 60 + 1, 10)
    ship(211000001, m, 179.0 + 12 * KN_KM_H * m / 60 / (111.2 * np.cos(np.radians(16))), -16.0, 12)
    m = np.arange(0, 4 * 60 + 1, 10)
    ship(211000002, m, 179.9986, -18.0, 0.1)
    ship(211000003, m, 180.0014, -18.0, 0.1)
    m = np.r_[np.arange(0, 120, 10), np.arange(600, 720, 10)]
    ship(211000004, m, 178.8 + 10 * KN_KM_H * m / 60 / (111.2 * np.cos(np.radians(15))), -15.0, 10)
    pd.concat(parts).to_csv(folder / "ais.csv", index=False)
    return {"seizures": folder / "seizures.csv", "tracks": folder / "ais.csv"}


def _run(tmp_path: Path, inputs: dict[str, Path], **sections) -> Path:
    """Run ``route-risk run`` on a config of ``inputs``; return the published folder."""
    raw = {
        "run": {"name": "edges", "as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"resolution": 4},
        "inputs": {
            "seizures": [{"path": str(inputs["seizures"])}],
            "tracks": [{"path": str(inputs["tracks"])}],
        },
        "ingest": {"max_speed_kn": 40},
        "transit": {"gap_hours": 6, "loiter_hours": 2, "encounter_hours": 2},
        "density": {"bandwidth_km": 40},
        "score": {
            "factors": {
                "seizure_density": {"weight": 1},
                "vessel_hours": {"weight": 1},
                "encounter_events": {"weight": 1},
            }
        },
        "timeline": {"months": 0},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "render": {"preview_png": False},
    }
    for k, v in sections.items():
        raw.setdefault(k, {}).update(v)
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    assert main(["run", str(cfg), "--log-format", "text"]) == 0
    return tmp_path / "out" / "current"


def _span_deg(lon) -> float:
    """Degrees of longitude the positions span the short way round."""
    x = np.sort(np.asarray(lon) % 360.0)
    gaps = np.diff(np.r_[x, x[0] + 360.0])
    return float(360.0 - gaps.max())


# ----------------------------------------------------------------------------- the area


def test_a_theatre_across_180_without_an_area_is_not_a_band_around_the_globe(tmp_path):
    """Found: without an area, a Fiji theatre's cells were a band of latitudes round the globe.

    The data's extent was its plain minimum and maximum longitude, -180 to 180: with
    ``cells: all`` 13,392 cells at resolution 4 from Africa to the Americas, where the data
    spans 6°; tracks read in chunks kept the same min/max extent.  Read whole or in chunks,
    the cells are now the same few hundred across 180°.
    """
    inputs = _fiji_inputs(tmp_path / "in")
    got = []
    for chunk_rows in (None, 50):  # whole tables, then the spilled store (147 pings)
        out = _run(
            tmp_path / f"rows{chunk_rows}",
            inputs,
            area={"resolution": 4, "cells": "all"},
            ingest={"max_speed_kn": 40, "chunk_rows": chunk_rows},
        )
        got.append(pd.read_parquet(out / "features.parquet")["cell"].to_numpy(dtype="uint64"))
    assert np.array_equal(got[0], got[1])
    lat, lon = cells_to_latlng(got[0])
    seiz = pd.read_csv(inputs["seizures"])
    assert _span_deg(lon) < _span_deg(seiz["lon"]) + 2.0  # the data's span, a cell more
    assert len(got[0]) < 2 * len(region_to_cells((173.0, -21.0, -173.0, -13.0), 4))


def test_region_of_points_either_side_of_180_crosses_it():
    """The extent of points (the public ``region_to_cells``) is the short way round."""
    import geopandas as gpd

    pts = gpd.GeoSeries(gpd.points_from_xy([179.0, -179.0, 179.5], [-17.0, -16.0, -18.0]))
    cells = region_to_cells(pts.set_crs("EPSG:4326"), 4)
    assert np.array_equal(cells, region_to_cells((179.0, -18.0, -179.0, -16.0), 4))


@pytest.mark.parametrize(
    ("lon", "expected"),
    [
        ([179.5, -179.0, 178.0], (178.0, -179.0)),  # Fiji: 2.5° across 180
        ([120.0, -70.0, 180.0, -180.0], (120.0, -70.0)),  # a Pacific theatre 170° wide
        ([100.0, -100.0], (100.0, -100.0)),  # 160° across 180, not 200° across 0
        ([-100.0, 100.0, 0.0], (-100.0, 100.0)),  # across 0: the plain range
        ([10.0, 20.0], (10.0, 20.0)),
        ([-170.0, -160.0], (-170.0, -160.0)),  # a tie keeps the plain range
        ([180.0, -180.0], (180.0, 180.0)),  # one meridian, written twice
    ],
)
def test_longitude_range_is_the_shorter_way_round(lon, expected):
    from pipeline.sphere import longitude_extents, longitude_range

    assert longitude_range(longitude_extents(lon)) == expected
    # merged from parts in any order, the same range (a file read in chunks)
    parts = [longitude_extents(lon[i : i + 1]) for i in range(len(lon))]
    assert longitude_range(*parts[::-1]) == expected


# ----------------------------------------------------------------------------- zonal, poles


@pytest.mark.parametrize("res", [1, 2, 4, 5])
@pytest.mark.parametrize("pole", [90.0, -90.0], ids=["north", "south"])
@pytest.mark.parametrize("west", [-180.0, 0.0], ids=["-180..180", "0..360"])
def test_the_cell_around_a_pole_gets_its_pixels_on_a_lon_lat_raster(tmp_path, res, pole, west):
    """Found: the cell holding a pole, on a global lon/lat raster, got a mean outside the values.

    Its H3 ring goes once round the pole: taken as a polygon in lon/lat (unwrapped around its
    first vertex) it is a zig-zag, not the cap between the ring and the pole.  A field of 1 west
    of Greenwich and 3 east of it gave the north pole's resolution-1 cell a mean of 30.1, its
    resolution-5 cell 0.11; a colatitude field (2..7.6 there) gave -46.
    """
    exactextract = pytest.importorskip("exactextract")
    step = 0.5
    lat = 90.0 - (np.arange(360) + 0.5) * step

    def field(west: float) -> np.ndarray:
        lon = (west + (np.arange(720) + 0.5) * step + 180.0) % 360.0 - 180.0
        return np.where(lon[None, :] < 0, 1.0, 3.0) + (90.0 - np.abs(lat))[:, None] / 10.0

    path = write_tif(tmp_path / "g.tif", field(west), Affine(step, 0, west, 0, -step, 90))
    cells = _pole_cell(pole, res)
    ours = zonal_stats_to_cells(
        rioxarray.open_rasterio(path), cells, stats=("mean", "count", "min", "max")
    )
    # the reference: the cell as the exports give it (from its ring to the pole, in lon/lat)
    # on the same field written from -180
    ref_path = write_tif(tmp_path / "r.tif", field(-180.0), Affine(step, 0, -180, 0, -step, 90))
    ref = exactextract.exact_extract(
        str(ref_path), cells_to_geodataframe(cells), ["mean", "count"], output="pandas"
    )
    assert ours["raster_min"].iloc[0] <= ours["raster_mean"].iloc[0] <= ours["raster_max"].iloc[0]
    np.testing.assert_allclose(ours["raster_mean"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(ours["raster_count"], ref["count"], rtol=1e-6)


@pytest.mark.parametrize("res", [1, 2, 3])
@pytest.mark.parametrize("pole", [90.0, -90.0], ids=["north", "south"])
def test_the_cell_around_a_pole_counts_the_pixel_centres_inside_it(res, pole):
    """The centre method, same finding: the pixels whose centre is in the cap, each once."""
    import shapely
    import xarray as xr

    step = 0.5
    lon = -180.0 + (np.arange(720) + 0.5) * step
    lat = 90.0 - (np.arange(360) + 0.5) * step
    glon, glat = np.meshgrid(lon, lat)
    vals = np.where(glon < 0, 1.0, 3.0) + (90.0 - np.abs(glat)) / 10.0
    da = xr.DataArray(vals[None], dims=("band", "y", "x"), coords={"band": [1], "y": lat, "x": lon})
    da = da.rio.write_crs("EPSG:4326").rio.write_transform(Affine(step, 0, -180, 0, -step, 90))
    cells = _pole_cell(pole, res)
    out = zonal_stats_to_cells(da, cells, stats=("mean", "count"), method="centre")
    inside = shapely.contains_xy(cells_to_geodataframe(cells).geometry.iloc[0], glon, glat)
    assert out["raster_count"].iloc[0] == inside.sum()
    assert out["raster_mean"].iloc[0] == pytest.approx(vals[inside].mean(), rel=1e-9)


# ----------------------------------------------------------------------------- the web map


def _arctic_inputs(folder: Path) -> dict[str, Path]:
    """Seizures round the north pole (88.5° N) and an icebreaker crossing it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    n = 200
    pd.DataFrame(
        {
            "date": (
                pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
            ).strftime("%Y-%m-%d"),
            "lat": np.minimum(88.5 + rng.normal(0.0, 0.4, n), 89.99).round(6),
            "lon": rng.uniform(-180.0, 180.0, n).round(6),
            "commodity": "cocaine",
        }
    ).to_csv(folder / "seizures.csv", index=False)
    m = np.arange(0, 24 * 60 + 1, 30)
    arc = 88.0 + 10 * KN_KM_H * m / 60 / 111.2  # past 90: down the other side
    pd.DataFrame(
        {
            "mmsi": 257000001,
            "timestamp": (pd.Timestamp("2026-06-28T00:00Z") + pd.to_timedelta(m, "min")).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "lat": np.where(arc <= 90, arc, 180 - arc).round(6),
            "lon": np.where(arc <= 90, 30.0, -150.0),
            "sog": 10.0,
            "cog": 0.0,
        }
    ).to_csv(folder / "ais.csv", index=False)
    return {"seizures": folder / "seizures.csv", "tracks": folder / "ais.csv"}


def test_cells_beyond_the_web_maps_edge_are_said_not_dropped_without_a_word(tmp_path):
    """Found: an Arctic theatre above 85° N was scored but not on the map, and nothing said so.

    Web Mercator ends at 85.05°: route_risk.js clamps latitudes there, so the cells round the
    pole were lines on the map's top edge; the view's bounds came out south above north
    ([[86.9, 1.6], [85.0, 360.0]]).  The map's legend and the run's notes now say how many
    scored cells the map cannot draw and where they are, and the view frames the edge.
    """
    out = _run(tmp_path, _arctic_inputs(tmp_path / "in"), area={"bbox": [-180, 84, 180, 90]})
    cells = pd.read_parquet(out / "scores.parquet")["cell"].to_numpy(dtype="uint64")
    lat, _ = cells_to_latlng(cells)
    beyond = int((lat > 85.0511287798).sum())
    assert beyond > 0
    notes = json.loads((out / "manifest.json").read_text())["notes"]
    said = [n for n in notes if "beyond 85.05° N" in n]
    assert said and said[0].startswith(f"{beyond:,} of {len(cells):,} scored cells")
    html = (out / "risk_map.html").read_text()
    assert 'id="rr-legend-beyond-note"' in html and f"{beyond:,} of {len(cells):,}" in html
    view = re.findall(r"\.fitBounds\((\[\[[^{]*\]\]), \{animate: false", html)
    assert len(view) == 1
    (south, _), (north, _) = json.loads(view[0])
    assert south < north


def test_no_note_where_the_web_map_draws_every_cell():
    from pipeline.render._payload import mercator_note

    assert mercator_note(region_to_cells((-180.0, -84.0, 180.0, 84.0), 0)) is None
    assert "beyond 85.05° S" in mercator_note(region_to_cells((-180.0, -90.0, 180.0, -86.0), 2))


# ----------------------------------------------------------------------------- density


@pytest.mark.parametrize("rule", ["scott", "silverman", "spatial", "cv"])
def test_a_bandwidth_rule_refuses_points_round_the_globe(rule):
    """Found: seizures along the equator round the globe got Scott's bandwidth 28,523 km.

    The rules measure the spread in a stereographic plane about the points' mean centre, which
    stretches distances by 2/(1 + cos c) at c from it: points 100° or more from the centre (a
    theatre across half the globe, one round it, where the mean centre is no centre) gave
    bandwidths of thousands of km without a word.  They are refused naming bandwidth_km.
    """
    from pipeline.density import select_bandwidth
    from pipeline.errors import InputError

    rng = np.random.default_rng(0)
    lat = rng.normal(0.0, 3.0, 2000)
    for span in (200.0, 360.0):
        lon = _wrap(180.0 + rng.uniform(-span / 2, span / 2, 2000))
        with pytest.raises(InputError, match=r"reach \d+° from it.*give bandwidth_km"):
            select_bandwidth((lon, lat), rule=rule)
    # a Pacific theatre 170° wide across 180 keeps its rule (points within 90° of the centre)
    lon = _wrap(180.0 + rng.uniform(-85.0, 85.0, 2000))
    assert 0 < select_bandwidth((lon, lat), rule="silverman") < 2000
    if rule == "cv":  # a search range given: likelihood cross-validation needs no plane
        lon = _wrap(rng.uniform(-180.0, 180.0, 300))
        h = select_bandwidth((lon, lat[:300]), rule="cv", bandwidth_range_km=(50.0, 500.0))
        assert 50.0 <= h <= 500.0


# ----------------------------------------------------------------------------- seizure zones


def test_a_seizure_zone_across_180_drawn_without_the_cut_is_placed_across_180(tmp_path):
    """Found: a seizure reported as a zone 179.5° E to 179.5° W, written as most tools write
    it (one ring, not cut at 180° as RFC 7946 asks), got its point at 0.0° E, 17° S: off
    Namibia, 180° from the seizure, and nothing said.  Read the short way, as its 1° edges
    say, its point is inside the zone; a zone cut at 180° is read as before.
    """
    from pipeline.ingest import read_seizures
    from pipeline.ingest.options import SeizureSource

    def feature(geometry, day):
        return {
            "type": "Feature",
            "properties": {"date": f"2025-03-0{day}", "commodity": "cocaine"},
            "geometry": geometry,
        }

    box = [[179.5, -17.5], [-179.5, -17.5], [-179.5, -16.5], [179.5, -16.5], [179.5, -17.5]]
    route = [[179.0, -15.0], [-178.0, -15.2]]
    cut = [
        [[[179.5, -15.5], [180, -15.5], [180, -14.5], [179.5, -14.5], [179.5, -15.5]]],
        [[[-180, -15.5], [-179.5, -15.5], [-179.5, -14.5], [-180, -14.5], [-180, -15.5]]],
    ]
    path = tmp_path / "zones.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature({"type": "Polygon", "coordinates": [box]}, 1),
                    feature({"type": "LineString", "coordinates": route}, 2),
                    feature({"type": "MultiPolygon", "coordinates": cut}, 3),
                ],
            }
        )
    )
    got = read_seizures(SeizureSource(path=str(path), polygons_to_points=True))
    lon, lat = got.frame["lon"].to_numpy(), got.frame["lat"].to_numpy()
    assert len(lon) == 3 and not got.by_rule
    near_180 = np.abs(np.mod(lon, 360.0) - 180.0)
    assert (near_180 <= 2.0 + 1e-9).all(), lon  # none near Greenwich
    assert -17.5 <= lat[0] <= -16.5 and near_180[0] <= 0.5
    assert any("2 polygon(s)/line(s) step across 180°" in n for n in got.notes)


@pytest.mark.parametrize("written", ["one ring stepping 359°", "past 180°"])
def test_land_across_180_drawn_without_the_cut_is_the_island_not_a_band(tmp_path, written):
    """Found: an island across 180° in a land layer drawn without the cut took the cells of
    its latitudes round the Fiji theatre for land: 190 resolution-5 cells on land (16 are),
    dropped from the area by ``exclude_land`` and 0 km from the coast, without a word;
    written past 180° (to 180.4°), half the island was sea.  Cut at 180° it is the island.
    """
    from pipeline.area import sea_cells
    from pipeline.builtin_factors import distance_to_features_km
    from pipeline.ingest.context import read_context

    def land(path, geometry):
        feature = {"type": "Feature", "properties": {}, "geometry": geometry}
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        return read_context(path, "land")

    west = [[179.6, -16.9], [180, -16.9], [180, -16.5], [179.6, -16.5], [179.6, -16.9]]
    east = [[-180, -16.9], [-179.6, -16.9], [-179.6, -16.5], [-180, -16.5], [-180, -16.9]]
    ref = land(tmp_path / "cut.geojson", {"type": "MultiPolygon", "coordinates": [[west], [east]]})
    east_lon = 180.4 if written == "past 180°" else -179.6
    ring = [[179.6, -16.9], [east_lon, -16.9], [east_lon, -16.5], [179.6, -16.5], [179.6, -16.9]]
    got = land(tmp_path / "drawn.geojson", {"type": "Polygon", "coordinates": [ring]})
    cells = region_to_cells((174.0, -22.0, -176.0, -12.0), 5)
    lat, lon = cells_to_latlng(cells)
    want = sea_cells(cells, ref.frame)
    assert len(cells) - len(want) == 16
    assert np.array_equal(sea_cells(cells, got.frame), want)
    km = distance_to_features_km(lon, lat, got.frame.geometry.to_numpy(), inside_is_zero=True)
    km_ref = distance_to_features_km(lon, lat, ref.frame.geometry.to_numpy(), inside_is_zero=True)
    np.testing.assert_allclose(km, km_ref, atol=1.2)  # the sampling of the edges: 0.02°
    assert any("read the short way and cut there" in n for n in got.notes)


# ----------------------------------------------------------------- rasters, preview PNG, web map canvas


def _projected(
    epsg: int, x0: float, y0: float, x1: float, y1: float, n: int, value
) -> xr.DataArray:
    """An ``n`` by ``n`` raster in ``epsg`` over the box, valued by ``value(lon, lat)``."""
    step_x, step_y = (x1 - x0) / n, (y1 - y0) / n
    x = x0 + (np.arange(n) + 0.5) * step_x
    y = y1 - (np.arange(n) + 0.5) * step_y
    lon, lat = Transformer.from_crs(epsg, 4326, always_xy=True).transform(*np.meshgrid(x, y))
    da = xr.DataArray(value(lon, lat), dims=("y", "x"), coords={"x": x, "y": y})
    return da.rio.write_crs(f"EPSG:{epsg}")


def _centres(ov):
    a = np.asarray(ov.array, dtype="float64")
    lon0, lat0, lon1, lat1 = ov.bounds
    h, w = a.shape
    return (
        a,
        lon0 + (np.arange(w) + 0.5) * (lon1 - lon0) / w,
        lat1 - (np.arange(h) + 0.5) * (lat1 - lat0) / h,
    )


def test_a_polar_stereographic_raster_across_180_keeps_its_detail_on_the_map():
    """Found: a 200-pixel EPSG:3413 raster of the Bering Strait was drawn with 17 columns.

    The map's overlay reprojected it with GDAL's own choice of grid, which for a raster across
    the antimeridian is a band round the globe (-180..179°) at the pixel size of that band:
    8 by 283 pixels of 1.3°, data in 17 columns.  It is now drawn on the raster's own extent
    the short way round (about 168..192°) with pixels about its own (some 4 km).
    """
    fwd = Transformer.from_crs(4326, 3413, always_xy=True)
    xs, ys = fwd.transform([170.0, -170.0, 180.0, 180.0], [64.0, 64.0, 60.0, 70.0])
    west_of_180 = lambda lon, lat: np.where(lon > 0, 1.0, 2.0)  # noqa: E731
    da = _projected(3413, min(xs), min(ys), max(xs), max(ys), 200, west_of_180)
    ov = raster_to_overlay("sst", da)
    assert ov is not None
    a, lon, lat = _centres(ov)
    assert ov.bounds[2] - ov.bounds[0] < 40.0  # the strait, not the globe
    assert np.isfinite(a).any(axis=0).sum() >= 150  # about its own 200 columns
    assert np.isfinite(a).any(axis=1).sum() >= 150
    east = np.mod(lon, 360.0)  # 0..360: the strait is contiguous
    cols_w, cols_e = east < 179.0, east > 181.0
    assert np.nanmax(a[:, cols_w]) == 1.0 and np.nanmin(a[:, cols_e]) == 2.0


@pytest.mark.parametrize(("epsg", "pole"), [(3031, -90.0), (3413, 90.0)])
def test_a_polar_stereographic_raster_round_the_pole_keeps_its_detail(epsg, pole):
    """Found: a 400-pixel raster round the South Pole was drawn with 59 rows of 0.64°.

    GDAL's grid for a raster round the pole is the whole circle of longitudes at the pixel
    size of its diagonal; it is now the cap up to the pole with rows about the raster's own.
    """
    half = 3_000_000.0
    band = lambda lon, lat: np.where(np.abs(lat) > 80.0, 1.0, 2.0)  # noqa: E731
    ov = raster_to_overlay("ice", _projected(epsg, -half, -half, half, half, 400, band))
    assert ov is not None
    a, lon, lat = _centres(ov)
    assert ov.bounds[0] == -180.0 and ov.bounds[2] == 180.0
    assert pole in (ov.bounds[1], ov.bounds[3])  # exactly: the map refuses -90.00000000000001
    assert np.isfinite(a).any(axis=1).sum() >= 200  # 4,200 km of latitude at 15 km pixels
    near, far = np.abs(lat) > 81.0, np.abs(lat) < 79.0
    assert np.nanmax(a[far]) == 2.0 and np.nanmin(a[far]) == 2.0
    assert np.nanmax(a[near]) == 1.0


@pytest.mark.parametrize("centre", [0.0, 30.0, 180.0, -150.0])
@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_the_preview_fills_the_cell_round_the_pole_and_draws_no_band(centre, pole):
    """Found: the PNG preview of an Arctic theatre left the pole blank and drew bands.

    ``write_preview_png`` moved every vertex on its own into the view around ``centre``: the
    cell round the pole (-180..180 up to the pole) folded to nothing, whatever the centre,
    and with the view centred on 0° the half of a cell split at 180° that ends on 180° became
    a band across the world.  Each polygon is now moved whole, and the one round the pole is
    cut to the view.
    """
    import shapely

    from pipeline.grid import cells_to_geodataframe, region_to_cells
    from pipeline.render._preview import _rings_path

    lat0, lat1 = (80.0, 90.0) if pole > 0 else (-90.0, -80.0)
    cells = region_to_cells((-180.0, lat0, 180.0, lat1), 2)
    parts = shapely.get_parts(cells_to_geodataframe(cells).geometry.to_numpy())
    path = _rings_path(parts, centre)
    near_pole = [(x, np.sign(pole) * 89.9) for x in np.linspace(centre - 175, centre + 175, 15)]
    assert path.contains_points(near_pole).all()
    width = np.ptp(shapely.bounds(parts)[:, [0, 2]], axis=1)
    for part, w in zip(parts, width, strict=True):
        drawn = _rings_path(np.array([part]), centre).vertices[:, 0]
        assert np.ptp(drawn) <= min(w, 360.0) + 1e-6
        assert centre - 180.0 - w <= drawn.min() and drawn.max() <= centre + 180.0 + w


def test_the_preview_of_a_theatre_round_the_pole_is_written(tmp_path):
    """The whole preview, end to end, for the cells above 80° N and the pole cell in it."""
    import matplotlib.image as mpimg

    from pipeline.grid import region_to_cells
    from pipeline.render import RenderOptions, write_preview_png
    from pipeline.testing import sample_map_data

    cells = region_to_cells((-180.0, 80.0, 180.0, 90.0), 2)
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    data.scores["observed"] = True
    opts = RenderOptions(class_colors=("#ff00ff",) * 5)
    path = write_preview_png(data, tmp_path / "p.png", title="Arctic", options=opts)
    img = mpimg.imread(path)[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.2) & (img[..., 2] > 0.9)
    rows = np.flatnonzero(magenta.any(axis=1))
    # the band from 80° N to the pole is filled: its top rows are magenta across the width
    top = magenta[rows[0] + 2 : rows[0] + 6]
    assert top.any(axis=0).sum() > 0.8 * magenta.any(axis=0).sum()


def _open_one_magenta_cell(page, cell, tmp_path: Path) -> None:
    """Write a map of the one ``cell``, filled opaque magenta, and open it offline in ``page``."""
    from pipeline.render import RenderOptions, write_map
    from pipeline.testing import sample_map_data

    data = sample_map_data(cells=cell, n_seizures=0, n_events=0, n_periods=0)
    data.seizures = data.events = data.transit = data.timeline = None
    data.rasters = []
    data.scores["observed"] = True
    opts = RenderOptions(class_colors=("#ff00ff",) * 5, hex_opacity=1.0)
    path = write_map(
        data, tmp_path / "map.html", as_of="2024-06-30", run_id="r", inputs=[], options=opts
    )
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort()
    )
    page.goto(path.as_uri())
    page.wait_for_function("() => window.routeRisk && window.routeRisk.ready === true")


@pytest.mark.browser
@pytest.mark.parametrize(("res", "pole"), [(0, 90.0), (1, 90.0), (0, -90.0)])
def test_the_web_map_fills_the_cell_round_the_pole(page, tmp_path, res, pole):
    """Found: on the web map the cell round a pole was a sliver, its cap south of 85° blank.

    route_risk.js unwraps a cell's ring vertex to vertex; the ring of the cell round a pole
    ends a whole turn from where it starts, and closing it straight back drew only the sliver
    between its edge and that chord.  At resolution 0 the cell reaches down to 69° (82° at
    resolution 1), far inside the map, and nothing said it was missing.  The ring is now
    closed along the pole (the map's edge), as the basemap's Antarctica is.
    """
    import io

    import matplotlib.image as mpimg

    from pipeline.grid import points_to_cells

    cell = points_to_cells([0.0], [pole], res)
    _open_one_magenta_cell(page, cell, tmp_path)
    page.evaluate(
        """() => ['rr-legend', 'rr-title', 'rr-footer'].forEach(
               id => { document.getElementById(id).style.display = 'none'; })"""
    )
    img = mpimg.imread(io.BytesIO(page.screenshot()), format="png")[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.15) & (img[..., 2] > 0.9)
    # points of the cell (their own cell is it) south of the map's edge, along the view
    h, w = magenta.shape
    lon, lat = (g.ravel() for g in np.meshgrid(np.linspace(-175, 175, 36), np.arange(66, 85, 0.75)))
    lat = np.sign(pole) * lat
    # the cell's points 1° of latitude and 4° of longitude clear of its edge
    mine = np.ones(lon.size, dtype=bool)
    for dlon, dlat in [(0, 0), (-4, 0), (4, 0), (0, -1), (0, 1)]:
        mine &= points_to_cells(lon + dlon, np.clip(lat + dlat, -90, 90), res) == cell[0]
    inside = []
    for x_lon, y_lat in zip(lon[mine], lat[mine], strict=True):
        xy = page.evaluate(f"() => routeRisk.map.latLngToContainerPoint([{y_lat}, {x_lon}])")
        x, y = int(round(xy["x"])), int(round(xy["y"]))
        if 2 <= x < w - 2 and 2 <= y < h - 2:
            inside.append(bool(magenta[y, x]))
    page.screenshot(path=str(tmp_path / "pole.png"))
    assert len(inside) >= 5 and all(inside), (sum(inside), len(inside))


@pytest.mark.browser
@pytest.mark.parametrize("lat", [60.0, -45.0, 0.0])
def test_the_web_map_draws_cells_in_place_when_the_view_reaches_past_its_top(page, tmp_path, lat):
    """Found: zoomed out past the map's top edge, every hexagon was drawn too high.

    The hexagon canvas took its top-left world pixel from ``project(containerPointToLatLng)``,
    where the latitude is clamped to 85.05°: with the view reaching past the map's top (a
    world view, an Arctic theatre framed on the edge) every cell was drawn that many pixels
    too high, over other places (a 60° N cell over the Arctic sea, 300 px off).
    """
    import io

    import matplotlib.image as mpimg

    from pipeline.grid import cells_to_latlng, points_to_cells

    cell = points_to_cells([10.0], [lat], 0)
    _open_one_magenta_cell(page, cell, tmp_path)
    page.evaluate(
        """() => { ['rr-legend', 'rr-title', 'rr-footer'].forEach(
               id => { document.getElementById(id).style.display = 'none'; });
               routeRisk.map.setView([75, 10], 1, {animate: false}); }"""
    )
    page.wait_for_timeout(300)
    top = page.evaluate("() => routeRisk.map.latLngToContainerPoint([85.0511287798, 10]).y")
    assert top > 50  # the view reaches past the map's top edge
    img = mpimg.imread(io.BytesIO(page.screenshot()), format="png")[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.15) & (img[..., 2] > 0.9)
    c_lat, c_lon = cells_to_latlng(cell)
    xy = page.evaluate(f"() => routeRisk.map.latLngToContainerPoint([{c_lat[0]}, {c_lon[0]}])")
    x, y = int(round(xy["x"])), int(round(xy["y"]))
    assert magenta[y - 2 : y + 3, x - 2 : x + 3].all()


@pytest.mark.browser
def test_the_zoom_animation_keeps_the_hexagons_in_place_past_the_maps_top(page, tmp_path):
    """Found with the fix above: the zoom animation placed the canvas the same clamped way.

    While zooming, the canvas is moved to where its top-left lands at the new zoom; that
    point was taken through a latitude clamped to 85.05°, so zooming a view that reaches past
    the map's top edge slid the hexagons off their places until the zoom ended.  The canvas
    must land where Leaflet puts the container's top-left at the new zoom.
    """
    from pipeline.grid import points_to_cells
    from pipeline.render import write_map
    from pipeline.testing import sample_map_data

    data = sample_map_data(cells=points_to_cells([10.0], [60.0], 0), n_seizures=0, n_events=0)
    data.seizures = data.events = data.transit = data.timeline = None
    data.rasters = []
    path = write_map(data, tmp_path / "map.html", as_of="2024-06-30", run_id="r", inputs=[])
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort()
    )
    page.goto(path.as_uri())
    page.wait_for_function("() => window.routeRisk && window.routeRisk.ready === true")
    got, want = page.evaluate(
        r"""() => {
            const map = routeRisk.map;
            map.setView([75, 10], 1, {animate: false});
            const layer = routeRisk.hoverables.find(h => h._canvas && h.d && h.d.key === 'risk');
            const e = {zoom: 2, center: L.latLng(70, 10)};
            layer._animateZoom(e);
            const m = layer._canvas.style.transform.match(/translate3d\(([-\d.e]+)px, *([-\d.e]+)px/);
            const pos = {x: +m[1], y: +m[2]};
            // the container's top-left in world pixels at zoom 1, then at zoom 2, in layer px
            const world = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin());
            const want = world.multiplyBy(2).subtract(map._getNewPixelOrigin(e.center, e.zoom));
            return [[pos.x, pos.y], [want.x, want.y]];
        }"""
    )
    assert got == pytest.approx(want, abs=0.5)


def test_a_cap_round_a_pole_with_a_step_across_180_is_left_as_drawn():
    """Found by the clean-clone run on Natural Earth's land: Antarctica's ring steps from
    179.9° to -179.9° at another latitude than the pole; read the short way it went round
    the pole and its cut at 180 failed in GEOS (a traceback)."""
    import shapely

    from pipeline.grid import polygons_within_180

    xs = np.linspace(-179.9, 179.9, 73)
    cap = shapely.Polygon(
        [(x, -70.0 - 5 * np.cos(np.radians(x))) for x in xs] + [(179.9, -89.0), (-179.9, -89.0)]
    )
    (got,) = polygons_within_180(np.array([cap], dtype=object))
    assert got.equals(cap)
    assert shapely.contains_xy(got, 0.0, -80.0)
