"""The area of interest: its polygon, its cells, and records outside it.

An area is a ``bbox`` or a ``polygon`` file from the config; without either, the extent of the
data (seizures and pings, grown by ``margin_km``) is the area.  Records inside the polygon's
bounding box but outside the polygon are moved to the rejects (rule ``outside_aoi``), so
``read = accepted + rejected`` still holds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import schema as S
from .errors import InputError

__all__ = [
    "Area",
    "area_km2",
    "coarse_cells_note",
    "polygon_holds_xy",
    "read_area",
    "region_cells",
    "reject_outside_polygon",
    "sea_cells",
]


@dataclasses.dataclass(frozen=True)
class Area:
    """The area of interest as the stages need it.

    Attributes
    ----------
    bbox : tuple of float or None
        lon_min, lat_min, lon_max, lat_max used to reject records early.
    frame : geopandas.GeoDataFrame or None
        The polygon file's features (EPSG:4326).
    polygon : shapely geometry or None
        Their union.
    """

    bbox: tuple[float, float, float, float] | None
    frame: Any = None
    polygon: Any = None
    #: What reading the polygon file assumed (a polygon across 180° read the short way).
    notes: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """The config gives the area (cells outside it are never scored)."""
        return self.bbox is not None or self.frame is not None


def read_area(bbox, polygon_path: Path | None, *, max_uncompressed_mb: float = 2048.0) -> Area:
    """Read the config's area: a polygon file wins over the bbox.

    The file is opened as the inputs are (a zipped Shapefile, GeoJSON, GeoPackage, KML,
    GeoParquet; ``max_uncompressed_mb`` bounds a zip or a file read whole).  It must hold
    one layer of polygons with a CRS, in coordinates its CRS can hold.  An invalid polygon is
    repaired when the repair keeps its area (a ring touching itself, a duplicated vertex);
    one whose repair would change what it encloses (a bow-tie, a hole outside its shell) is
    refused, as the cells of such a polygon depend on the tool that reads it.

    Raises
    ------
    SourceUnreadable
        Missing, unreadable or oversized file.
    InputError
        Several layers, no CRS, no polygon, features that are not polygons, latitudes beyond
        ±90 in degrees, an invalid polygon, or a ring around a pole.
    """
    if polygon_path is None:
        return Area(tuple(bbox) if bbox is not None else None)
    import geopandas as gpd
    import shapely

    from .ingest._vector import open_source, read_vector

    path = Path(polygon_path)
    name = str(path)
    opened = open_source(
        path,
        "auto",
        allowed=("geojson", "gpkg", "flatgeobuf", "shapefile", "kml", "parquet"),
        max_uncompressed_mb=max_uncompressed_mb,
        read_whole="an area polygon",
        format_setting=False,
    )
    layer = _the_layer(opened.target, opened.fmt, name)
    raw, geoms, crs = read_vector(
        opened.target,
        path.name,
        opened.fmt,
        layer=layer,
        max_uncompressed_mb=max_uncompressed_mb,
    )
    if geoms is None:
        raise InputError(f"area polygon {name!r} holds no geometry (a plain table?)")
    if crs is None:
        raise InputError(
            f"area polygon {name!r} has no CRS (a Shapefile without its .prj?); save it with "
            "its CRS; a CRS is never assumed"
        )
    frame = gpd.GeoDataFrame(raw, geometry=geoms, crs=crs)
    blank = frame.geometry.isna() | frame.geometry.is_empty
    frame = frame[~blank].reset_index(drop=True)
    frame, short_notes = _short_way(frame, name)
    frame = _checked_polygons(frame, name)
    frame, notes = _to_lonlat(frame, name)
    notes = short_notes + notes
    if bbox is not None:  # said, not silent: the user wrote both
        notes.insert(
            0,
            f"area: the polygon {name!r} is the area; the config's bbox {list(bbox)!r} is not "
            "used (a polygon file wins over a bbox)",
        )
    if blank.any():  # a feature whose export lost its shape (one EEZ of several): not area
        first = int(np.flatnonzero(blank.to_numpy())[0]) + 1
        notes.insert(
            0,
            f"area polygon {name!r}: {int(blank.sum())} of {len(blank)} feature(s) have no "
            f"geometry (the first is feature {first}) and are not part of the area",
        )
    return Area(
        _lonlat_bounds(frame.geometry.to_numpy()),
        frame,
        shapely.union_all(frame.geometry.to_numpy()),
        tuple(notes),
    )  # type: ignore[arg-type]


def _lonlat_bounds(geoms) -> tuple[float, float, float, float]:
    """Return the smallest lon/lat box around ``geoms``, crossing 180° when that is smaller.

    An area across the antimeridian is stored as parts each side of it (Fiji's EEZ from
    Marine Regions: 177°E to 180° and -180° to -178°): their plain bounds are -180 to 180,
    a band around the globe, and every raster read over the area's box is read around the
    globe.  The box is the complement of the widest longitude gap between the parts; when
    that gap is not the one across ±180° the box crosses it (``lon_min > lon_max``, as a
    configured bbox may).
    """
    import shapely

    parts = shapely.get_parts(geoms)
    b = shapely.bounds(parts[~shapely.is_empty(parts)])
    lat0, lat1 = float(b[:, 1].min()), float(b[:, 3].max())
    spans = b[np.argsort(b[:, 0]), :][:, [0, 2]]
    reach = np.maximum.accumulate(spans[:, 1])  # the eastmost longitude reached so far
    gaps = spans[1:, 0] - reach[:-1]  # gap before each part: > 0 when nothing covers it
    wrap = spans[0, 0] + 360.0 - reach[-1]  # the gap across ±180
    lon0, lon1 = float(spans[0, 0]), float(reach[-1])
    if len(gaps) and gaps.max() > max(wrap, 0.0):
        i = int(np.argmax(gaps))
        lon0, lon1 = float(spans[i + 1, 0]), float(reach[i])
    return (lon0, lat0, lon1, lat1)


def _the_layer(target: str, fmt: str, name: str) -> str | None:
    """Return the file's one layer of geometries (None: the only one, or not listed).

    A file of several such layers is refused: reading the first would take an area unsaid.
    Tables without geometry are not areas and are passed over: QGIS saves a layer's style
    into its GeoPackage as the table ``layer_styles``.
    """
    if fmt in ("kml", "parquet"):  # KML folders are one area; Parquet has one table
        return None
    from .ingest._vector import spatial_layer

    one, _ = spatial_layer(target, fmt, name, None)
    if one is not None:
        return one
    import pyogrio

    try:
        listed = pyogrio.list_layers(target)
    except Exception:  # an unreadable file: read_vector says why
        return None
    if len(listed) < 2:
        return None
    spatial = [str(lyr) for lyr, kind in listed if kind is not None]
    layers = spatial or [str(x) for x in listed[:, 0]]
    if len(layers) > 1:
        raise InputError(
            f"area polygon {name!r} holds {len(layers)} layers {layers[:10]!r}; the area is "
            "read from a file of one layer: save the area's layer alone (ogr2ogr aoi.gpkg "
            f"{name} LAYER)"
        )
    return None


def _checked_polygons(frame, name: str):
    """Return the area's polygons, repaired where the repair keeps what they enclose."""
    import shapely

    geoms = frame.geometry.to_numpy()
    if not len(geoms):
        raise InputError(f"area polygon {name!r} holds no geometry")
    kinds = shapely.get_type_id(geoms)
    other = ~np.isin(kinds, (3, 6))
    if other.any():
        types = sorted({g.geom_type for g in geoms[other]})
        hint = (
            " (a closed line is a boundary, not an area: convert it, e.g. QGIS 'Lines to polygons')"
            if {"LineString", "MultiLineString", "LinearRing"} & set(types)
            else ""
        )
        raise InputError(
            f"area polygon {name!r}: {int(other.sum())} of {len(geoms)} features are "
            f"{'/'.join(types)}, not polygons{hint}; the area file must hold polygons only"
        )
    if frame.crs.is_geographic:
        lat = shapely.bounds(geoms)[:, [1, 3]]
        if (np.abs(lat) > 90 + 1e-9).any():
            raise InputError(
                f"area polygon {name!r}: latitudes reach {float(np.abs(lat).max()):g}, beyond "
                f"±90, impossible in {frame.crs.to_string()}; its coordinates are not "
                "degrees or are in (lat, lon) order: save it with its true CRS"
            )
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return frame
    fixed = geoms.copy()
    for i in np.flatnonzero(bad):  # at most a few features
        whole = shapely.get_parts(geoms[i])
        if len(whole) > 1 and shapely.is_valid(whole).all() and not _nested(whole):
            # a MultiPolygon of valid parts that overlap or share an edge (QGIS 'Collect
            # geometries' of overlapping polygons) encloses their union, as separate features
            # would: its area() counts the overlap twice, so it is not the measure.  A part
            # inside another may be a hole written as a part: that one stays refused.
            fixed[i] = shapely.union_all(whole)
            continue
        made = shapely.make_valid(geoms[i])
        parts = [p for p in shapely.get_parts(made) if shapely.get_dimensions(p) == 2]
        made = shapely.union_all(parts) if parts else None
        before = float(shapely.area(geoms[i]))
        after = float(shapely.area(made)) if made is not None else 0.0
        if before == 0 and after == 0:  # no inside either way: refused as enclosing no area
            continue
        if made is None or not abs(after - before) <= 1e-9 * max(after, before, 1e-300):
            raise InputError(
                f"area polygon {name!r}: feature {i + 1} is not a valid polygon "
                f"({shapely.is_valid_reason(geoms[i])}), and repairing it would change what "
                "it encloses; fix it (QGIS 'Fix geometries', ogr2ogr -makevalid) and check "
                "the result is the area meant"
            )
        fixed[i] = made
    return frame.set_geometry(fixed, crs=frame.crs)


def _nested(parts) -> bool:
    """Whether one of the polygons ``parts`` lies within another."""
    import shapely

    pairs = shapely.STRtree(parts).query(parts, predicate="within")
    return bool((pairs[0] != pairs[1]).any())


def _short_way(frame, name: str):
    """Return lon/lat polygons read the short way across 180°, and a note when any was.

    A lon/lat ring stepping from 179° E to 179° W (drawn without the cut RFC 7946 asks for)
    was the band of its latitudes round the globe, less the 2° across 180° meant: read the
    short way, as land and seizure zones are.  An edge along ±180° and a cap round a pole
    (Natural Earth's Antarctica) stay as drawn.  Done before the validity check: as
    written, an outline whose crossings of 180° are not its northmost and southmost edges
    crosses itself (the step across the globe runs through its own west part).
    """
    if not frame.crs.is_geographic:
        return frame, []
    from .grid import unwrap_antimeridian_steps

    geoms = frame.geometry.to_numpy()
    short = unwrap_antimeridian_steps(np.asarray(geoms, dtype=object))
    moved = int(sum(a is not b for a, b in zip(short, geoms, strict=True)))
    if not moved:
        return frame, []
    note = (
        f"area polygon {name!r}: {moved} polygon(s) across 180° were read the short way and "
        "cut there (RFC 7946 3.1.9), as their edges of under 180° say"
    )
    return frame.set_geometry(short, crs=frame.crs), [note]


#: Vertices added per edge of a projected area's outline before it is reprojected, so its
#: straight edges stay (nearly) where they were drawn.
_DENSIFY_STEPS = 64


def _to_lonlat(frame, name: str):
    """Return the area's polygons in EPSG:4326 within [-180, 180] longitude, and notes.

    A projected polygon that straddles 180° (UTM zone 60, a Pacific Albers) reprojects to
    rings that jump from +179° to -179°: taken as written, the polygon is a band around the
    globe.  Each ring is unwrapped to continuous longitudes, and any polygon that reaches
    past ±180° (so also a lon/lat file written with longitudes to 184°) is split at the
    antimeridian into the parts each side (RFC 7946 § 3.1.9).  A ring that winds around a
    pole has no such split and is refused.
    """
    import shapely

    projected = not frame.crs.is_geographic
    if projected:
        b = frame.bounds
        size = np.nanmax(b[["maxx", "maxy"]].to_numpy() - b[["minx", "miny"]].to_numpy())
        if np.isfinite(size) and size > 0:
            frame = frame.set_geometry(frame.geometry.segmentize(size / _DENSIFY_STEPS))
    frame = frame.to_crs("EPSG:4326")
    geoms = list(frame.geometry.to_numpy())
    notes: list[str] = []
    if projected:
        geoms = [_unwrapped(g, name) for g in geoms]
    else:  # read the short way before (_short_way), again if to_crs wrapped them (no note)
        frame, _ = _short_way(frame, name)
        geoms = list(frame.geometry.to_numpy())
    fixed = np.array([_split_at_antimeridian(g) for g in geoms], dtype=object)
    if not any(g is not None and shapely.area(g) > 0 for g in fixed):
        raise InputError(
            f"area polygon {name!r} encloses no area (its vertices are on one line or one "
            "latitude, as a ring drawn around a pole in longitude and latitude is); give a "
            "polygon with an inside, or a bbox"
        )
    return frame.set_geometry(fixed, crs="EPSG:4326"), notes


def _unwrapped(geom, name: str):
    """Return a (multi)polygon whose rings have continuous longitudes (may pass ±180°)."""
    import shapely

    if geom is None or geom.is_empty or shapely.get_type_id(geom) not in (3, 6):
        return geom

    def ring(coords: np.ndarray) -> np.ndarray:
        lon = coords[:, 0]
        if not len(lon) or np.abs(np.diff(lon)).max(initial=0.0) <= 180:
            return coords
        lon = np.unwrap(lon, period=360.0)
        if abs(lon[-1] - lon[0]) > 180:
            raise InputError(
                f"area polygon {name!r}: a ring winds around a pole once in longitude and "
                "latitude; give the area as a polygon that does not enclose a pole, or a bbox"
            )
        return np.column_stack([lon, coords[:, 1:]])

    def polygon(p):
        shell = ring(np.asarray(p.exterior.coords))
        centre = shell[:, 0].mean()
        holes = []
        for r in p.interiors:  # a hole sits by its own shell, not 360° away from it
            hole = ring(np.asarray(r.coords))
            turn = 360.0 * np.round((hole[:, 0].mean() - centre) / 360.0)
            holes.append(np.column_stack([hole[:, 0] - turn, hole[:, 1:]]))
        return shapely.Polygon(shell, holes)

    parts = [polygon(p) for p in shapely.get_parts(geom)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _split_at_antimeridian(geom):
    """Move the parts of a geometry past ±180° longitude back into [-180, 180]."""
    import shapely

    if geom is None or geom.is_empty:
        return geom
    minx, _, maxx, _ = geom.bounds
    if minx >= -180 and maxx <= 180:
        return geom
    pieces = []
    for shift in range(int(np.floor((minx + 180) / 360)), int(np.floor((maxx + 180) / 360)) + 1):
        window = shapely.box(-180 + 360 * shift, -90, 180 + 360 * shift, 90)
        piece = shapely.intersection(geom, window)
        if not piece.is_empty:
            pieces.append(shapely.transform(piece, lambda xy, k=shift: xy - [360.0 * k, 0.0]))
    parts = [
        p for piece in pieces for p in shapely.get_parts(piece) if shapely.get_dimensions(p) == 2
    ]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def region_cells(
    area: Area,
    seizures: pd.DataFrame,
    pings: pd.DataFrame | tuple[Any, float, float] | None,
    resolution: int,
    margin_km: float,
    max_cells: int = 10_000_000,
) -> np.ndarray:
    """H3 cells covering the area, or the data's extent when no area is given.

    ``pings`` is the pings frame, or for pings read in chunks their
    :func:`~pipeline.sphere.longitude_extents` and latitude bounds ``(extents, lat_min,
    lat_max)`` (None: no pings).  The data's extent crosses 180° when that is the shorter way
    round (:func:`~pipeline.sphere.longitude_range`): a Fiji theatre is the 10° across it,
    not a band of latitudes around the globe.
    """
    from .grid import region_to_cells
    from .sphere import longitude_extents, longitude_range

    if area.frame is not None:
        region: Any = area.frame
    elif area.bbox is not None:
        region = area.bbox
    else:
        lons = [longitude_extents(seizures[S.LON])]
        lats = [seizures[S.LAT].to_numpy(dtype="float64")]
        if isinstance(pings, pd.DataFrame):
            lons.append(longitude_extents(pings[S.LON]))
            lats.append(pings[S.LAT].to_numpy(dtype="float64"))
        elif pings is not None:
            lons.append(np.asarray(pings[0], dtype="float64"))
            lats.append(np.asarray(pings[1:], dtype="float64"))
        lat = np.concatenate(lats)
        lat = lat[np.isfinite(lat)]
        if not lat.size:
            raise InputError("region has no geometry: no area is given, and no seizure or ping")
        lon0, lon1 = longitude_range(*lons)
        region = (lon0, float(lat.min()), lon1, float(lat.max()))
    return region_to_cells(region, resolution, margin_km=margin_km, max_cells=max_cells)


#: Cells covering more than this many times the area's own size are too coarse for it
#: (a bbox of a cell or more is covered by cells of at most ~2-3 times its size).
COARSE_CELLS_FACTOR = 10.0


def area_km2(area: Area) -> float | None:
    """Return the spherical area (km²) of the configured area; None when none is given.

    A bbox across 180° (``lon_min > lon_max``) is measured the way it is read, across 180°.
    """
    from .sphere import EARTH_RADIUS_KM

    if area.polygon is not None:
        import shapely
        from pyproj import Geod

        geod = Geod(a=EARTH_RADIUS_KM * 1000.0, b=EARTH_RADIUS_KM * 1000.0)
        # the geodesic area is signed by winding: a hole wound as its shell (no rule of the
        # Simple Features) was added to the area instead of taken from it
        oriented = shapely.orient_polygons(area.polygon)
        # the polygon's edges are straight in longitude and latitude, as its cells are
        # filled; the geodesic between two vertices far apart leaves that edge (a cap
        # drawn from 66N to the pole in four vertices along 66N measured 14.7 of its 22.0
        # million km²): measured along edges cut into half-degree steps
        dense = shapely.segmentize(oriented, 0.5)
        return abs(float(geod.geometry_area_perimeter(dense)[0])) / 1e6
    if area.bbox is None:
        return None
    lon0, lat0, lon1, lat1 = (float(v) for v in area.bbox)
    width = lon1 - lon0 if lon0 <= lon1 else 360.0 - lon0 + lon1
    band = np.sin(np.radians(lat1)) - np.sin(np.radians(lat0))
    return float(EARTH_RADIUS_KM**2 * np.radians(width) * band)


def coarse_cells_note(area: Area, cells: np.ndarray, resolution: int) -> list[str]:
    """Return a note when the cells covering the area are far larger than the area.

    A harbour's bbox at ``area.resolution`` 0 is one cell of some 4 million km²: the scores
    are then the cell's, not the area's.  When the cells' total area exceeds
    :data:`COARSE_CELLS_FACTOR` times the area's own and the resolution's mean cell is
    larger than the area (not so where ``area.margin_km`` grows the area by rings of small
    cells), the note names the coarsest resolution whose mean cell is no larger than it.
    """
    from .grid import cell_area_km2
    from .sphere import EARTH_RADIUS_KM

    own = area_km2(area)
    if own is None or not len(cells) or not own > 0:
        return []
    # mean cell area by resolution (the sphere over H3's cell count); a cell is at most
    # about twice its resolution's mean, so most runs are settled without the cells' areas
    # (0.4 s for the demo's 40,897 cells, every run)
    mean = 4 * np.pi * EARTH_RADIUS_KM**2 / (2 + 120 * 7.0 ** np.arange(16))
    fits = np.flatnonzero(mean <= own)
    fit = int(fits[0]) if fits.size else 15
    # cells no larger than the area are many (area.margin_km grows the area), not coarse
    if resolution >= fit or 2.5 * mean[resolution] * len(cells) <= COARSE_CELLS_FACTOR * own:
        return []
    total = float(cell_area_km2(np.asarray(cells, dtype="uint64")).sum())
    if total <= COARSE_CELLS_FACTOR * own:
        return []
    return [
        f"area: its {len(cells)} cell(s) at area.resolution {resolution} cover {total:,.0f} km², "
        f"{total / own:,.0f} times the area's own {own:,.4g} km²; the scores are those of cells "
        f"far larger than the area: area.resolution {fit} or finer fits it"
    ]


def sea_cells(cells: np.ndarray, land) -> np.ndarray:
    """Keep the cells whose centre is not on ``land`` (a GeoDataFrame of polygons)."""
    import shapely

    from .grid import cells_to_latlng

    polys = land.geometry.to_numpy()
    polys = polys[shapely.get_dimensions(polys) == 2]
    if not len(polys) or not len(cells):
        return cells
    lat, lon = cells_to_latlng(cells)
    on_land = shapely.contains_xy(shapely.union_all(polys), lon, lat)
    return np.asarray(cells)[~on_land]


def polygon_holds_xy(polygon, lon, lat) -> np.ndarray:
    """Return True where a position lies in ``polygon`` or on its edge.

    -180° and 180° are one meridian: a position written at -180° is on the edge of an area
    drawn up to 180° (and one at 180° on an area drawn from -180°).
    """
    import shapely

    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    inside = np.asarray(shapely.intersects_xy(polygon, lon, lat), dtype=bool)
    edge = ~inside & (np.abs(lon) == 180.0)
    if edge.any():
        inside[edge] = shapely.intersects_xy(polygon, -lon[edge], lat[edge])
    return inside


def reject_outside_polygon(result, polygon):
    """Move records inside the area's bbox but outside its polygon to the rejects."""
    frame = result.frame
    if polygon is None or frame.empty:
        return result
    lon, lat = frame[S.LON].to_numpy(), frame[S.LAT].to_numpy()
    inside = polygon_holds_xy(polygon, lon, lat)
    if inside.all():
        return result
    out = frame[~inside]
    rows = out[S.SOURCE_ROW] if S.SOURCE_ROW in out else pd.Series(pd.NA, index=out.index)
    values = out[S.LAT].map("{:.6f}".format) + " " + out[S.LON].map("{:.6f}".format)
    if S.VESSEL_ID in out:
        values = out[S.VESSEL_ID].astype(str) + " " + out[S.TIME].astype(str) + " " + values
    extra = pd.DataFrame(
        {
            "source_file": Path(result.source).name,
            "row": rows.to_numpy(),
            "column": "lat/lon",
            "value": values.to_numpy(),
            "rule": "outside_aoi",
            "message": "position is inside the area's bounding box but outside its polygon",
        }
    )
    by_rule = dict(result.by_rule)
    by_rule["outside_aoi"] = by_rule.get("outside_aoi", 0) + int((~inside).sum())
    return dataclasses.replace(
        result,
        frame=frame[inside].reset_index(drop=True),
        rejects=pd.concat([result.rejects, extra], ignore_index=True),
        by_rule=dict(sorted(by_rule.items())),
    )
