"""An ArcGIS table export's ``Shape`` column holding only ``Point`` is no WKT column.

ArcGIS writes a feature class's geometry field into a CSV export as its type alone
(``OBJECTID,Shape,NAME,POINT_X,POINT_Y`` with ``Shape`` = ``Point``).  A ports layer of that
shape was refused as "WKT geometry has no CRS", and with ``crs`` set every port was rejected
as ``geometry_unparseable``; its coordinate columns are now read, and the Shape column said
in a note.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.ingest.context import read_context


@pytest.mark.parametrize(
    ("header", "rows", "crs"),
    [
        ("OBJECTID,Shape,NAME,POINT_X,POINT_Y", ["1,Point,Port A,-61.2,10.5", "2,Point,B,-61.3,10.6"], None),
        ("OBJECTID,SHAPE,NAME,Latitude,Longitude", ["1,point z,Port A,10.5,-61.2", "2,,B,10.6,-61.3"], None),
        ("FID,Shape,NAME,POINT_X,POINT_Y", ["0,Point,Port A,-61.2,10.5", "1,Point,B,-61.3,10.6"], "EPSG:4326"),
    ],
    ids=["point-x-y", "lat-lon-blank-shape", "crs-set"],
)  # fmt: skip
def test_ports_exported_from_arcgis_are_read_at_their_coordinates(tmp_path, header, rows, crs):
    path = tmp_path / "ports.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    res = read_context(path, "ports", crs=crs)
    assert res.rejects.empty
    xy = np.array([(g.x, g.y) for g in res.frame.geometry])
    np.testing.assert_allclose(xy, [(-61.2, 10.5), (-61.3, 10.6)])
    assert any("holds only a geometry type" in n for n in res.notes)


def test_a_shape_column_of_wkt_is_still_read_as_wkt(tmp_path):
    path = tmp_path / "ports.csv"
    path.write_text('NAME,Shape\nA,"POINT (-61.2 10.5)"\nB,"POINT (-61.3 10.6)"\n')
    res = read_context(path, "ports", crs="EPSG:4326")
    assert [g.wkt for g in res.frame.geometry] == ["POINT (-61.2 10.5)", "POINT (-61.3 10.6)"]
    assert not any("holds only a geometry type" in n for n in res.notes)


def test_lanes_whose_shape_holds_only_its_type_are_refused_for_want_of_geometry(tmp_path):
    path = tmp_path / "lanes.csv"
    path.write_text("OBJECTID,Shape,NAME,Shape_Length\n1,Polyline,Lane A,0.5\n")
    with pytest.raises(InputError, match="needs a WKT geometry column"):
        read_context(path, "lanes")
