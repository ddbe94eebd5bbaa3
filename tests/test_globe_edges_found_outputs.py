"""Outputs at the edges of the globe (the 180th meridian, the poles), found wrong.

A companion of ``test_globe_edges_found.py`` (written by a second session on the same task, so
the two never edit one file at once); each test below failed before its fix.
"""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from pyproj import Transformer

from pipeline.render import raster_to_overlay


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
    from pipeline.render import RenderOptions, write_map
    from pipeline.testing import sample_map_data

    cell = points_to_cells([0.0], [pole], res)
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
    from pipeline.render import RenderOptions, write_map
    from pipeline.testing import sample_map_data

    cell = points_to_cells([10.0], [lat], 0)
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
