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
from .errors import InputError, SourceUnreadable

__all__ = [
    "Area",
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

    @property
    def given(self) -> bool:
        """The config gives the area (cells outside it are never scored)."""
        return self.bbox is not None or self.frame is not None


def read_area(bbox, polygon_path: Path | None) -> Area:
    """Read the config's area: a polygon file wins over the bbox."""
    if polygon_path is None:
        return Area(tuple(bbox) if bbox is not None else None)
    import geopandas as gpd
    import shapely

    try:
        frame = gpd.read_file(polygon_path)
    except Exception as exc:
        raise SourceUnreadable(f"cannot read area polygon {str(polygon_path)!r}: {exc}") from None
    if frame.crs is None:
        raise InputError(f"area polygon {str(polygon_path)!r} has no CRS")
    frame = frame.to_crs("EPSG:4326")
    bounds = tuple(float(v) for v in frame.total_bounds)
    return Area(bounds, frame, shapely.union_all(frame.geometry.to_numpy()))  # type: ignore[arg-type]


def region_cells(
    area: Area,
    seizures: pd.DataFrame,
    pings: pd.DataFrame,
    resolution: int,
    margin_km: float,
    max_cells: int = 10_000_000,
) -> np.ndarray:
    """H3 cells covering the area, or the data's extent when no area is given."""
    import geopandas as gpd

    from .grid import region_to_cells

    if area.frame is not None:
        region: Any = area.frame
    elif area.bbox is not None:
        region = area.bbox
    else:
        region = gpd.GeoSeries(
            gpd.points_from_xy(
                np.concatenate([seizures[S.LON], pings[S.LON]]),
                np.concatenate([seizures[S.LAT], pings[S.LAT]]),
            ),
            crs="EPSG:4326",
        )
    return region_to_cells(region, resolution, margin_km=margin_km, max_cells=max_cells)


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


def reject_outside_polygon(result, polygon):
    """Move records inside the area's bbox but outside its polygon to the rejects."""
    import shapely

    frame = result.frame
    if polygon is None or frame.empty:
        return result
    lon, lat = frame[S.LON].to_numpy(), frame[S.LAT].to_numpy()
    inside = shapely.contains_xy(polygon, lon, lat) | shapely.intersects_xy(polygon, lon, lat)
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
