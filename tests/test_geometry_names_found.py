"""A seizure table's geometry column under the names GIS tools give it is found by its name.

A PostGIS table loaded by ogr2ogr keeps its geometry in ``wkb_geometry`` (a ``psql \\copy``
dump writes it as hexadecimal EWKB); QGIS names a copied layer's WKT ``wkt_geom``.  Both
were refused until ``columns: {coords: ...}`` named them.
"""

from __future__ import annotations

import pytest
import shapely

from pipeline.ingest import read_seizures

POINTS = [shapely.Point(104.1, 1.25), shapely.Point(-5.5, 36.0)]


@pytest.mark.parametrize("name", ["wkb_geometry", "wkt_geom"])
def test_a_geometry_column_named_by_a_gis_tool_is_read(tmp_path, name):
    if name == "wkb_geometry":
        values = [
            shapely.to_wkb(g, hex=True, include_srid=True) for g in shapely.set_srid(POINTS, 4326)
        ]
    else:
        values = [f'"{g.wkt}"' for g in POINTS]
    rows = "".join(f"{i},2024-03-0{i + 1},{v}\n" for i, v in enumerate(values))
    src = tmp_path / "seizures.csv"
    src.write_text(f"id,date,{name}\n{rows}")
    got = read_seizures(src)
    assert got.frame[["lon", "lat"]].values.tolist() == [[104.1, 1.25], [-5.5, 36.0]]
    assert got.rejects.empty
