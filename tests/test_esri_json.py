"""Esri JSON, as an ArcGIS REST ``query`` returns it (one line), is a vector layer.

It had been taken for one JSON record: its top-level keys were the columns, and the file was
refused for having no coordinates.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest import read_seizures

EVENTS = [  # lon, lat, epoch ms (esriFieldTypeDate), drug
    (103.8, 1.25, 1677628800000, "cocaine"),
    (104.1, 1.30, 1680393600000, "heroin"),
    (-79.5, 8.9, 1683072000000, "cocaine"),
]


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    r = 6378137.0
    return np.radians(lon) * r, r * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _esri(path, wkid: int, indent: int | None) -> None:
    def xy(lon, lat):
        return _mercator(lon, lat) if wkid == 102100 else (lon, lat)

    doc = {
        "objectIdFieldName": "OBJECTID",
        "geometryType": "esriGeometryPoint",
        "spatialReference": {"wkid": wkid, **({"latestWkid": 3857} if wkid == 102100 else {})},
        "fields": [
            {"name": "OBJECTID", "type": "esriFieldTypeOID"},
            {"name": "EventDate", "type": "esriFieldTypeDate"},
            {"name": "Drug", "type": "esriFieldTypeString", "length": 50},
        ],
        "features": [
            {
                "attributes": {"OBJECTID": i + 1, "EventDate": ms, "Drug": drug},
                "geometry": dict(zip(("x", "y"), map(float, xy(lon, lat)), strict=True)),
            }
            for i, (lon, lat, ms, drug) in enumerate(EVENTS)
        ],
    }
    path.write_text(json.dumps(doc, indent=indent), encoding="utf-8")


@pytest.mark.parametrize("wkid", [4326, 102100])
@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "pretty"])
def test_an_arcgis_rest_query_reads_its_points_dates_and_crs(tmp_path, wkid, indent):
    path = tmp_path / "query.json"
    _esri(path, wkid, indent)
    res = read_seizures(path)
    assert res.rejects.empty and len(res.frame) == len(EVENTS)
    frame = res.frame.sort_values("source_row")
    np.testing.assert_allclose(frame["lon"], [e[0] for e in EVENTS], atol=1e-9)
    np.testing.assert_allclose(frame["lat"], [e[1] for e in EVENTS], atol=1e-9)
    want = pd.to_datetime([e[2] for e in EVENTS], unit="ms", utc=True)
    assert list(frame["time"]) == list(want)
    assert list(frame["commodity"]) == [e[3] for e in EVENTS]


def test_an_arcgis_rest_query_is_read_without_a_library_warning(tmp_path):
    # the GeoJSON reading option (a Feature's foreign members) does not apply to GDAL's
    # ESRIJSON driver, whose warning reached every run's log as a RuntimeWarning line
    path = tmp_path / "query.json"
    _esri(path, 4326, None)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = read_seizures(path)
    assert len(res.frame) == len(EVENTS)
    assert not [str(w.message) for w in seen if "ESRIJSON" in str(w.message)]
