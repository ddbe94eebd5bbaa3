"""A vector layer's points checked against the latitude/longitude its attributes write.

A layer made with ``x=latitude, y=longitude`` (a script's ``Point(lat, lon)``) places a
seizure at 15°N 70°W on 70°S 15°E: valid degrees, read without a word (exit 0) although the
features' own ``Latitude``/``Longitude`` said where they were.  Swapped points are refused;
points that differ otherwise (attributes not recomputed after an edit) are read, as a GIS
draws them, with a note; the config's ``columns`` reads the attributes instead.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pipeline.errors import InputError
from pipeline.ingest import read_seizures
from pipeline.ingest.options import SeizureSource

LAT = 15 + np.arange(8) * 0.5
LON = -70 + np.arange(8) * 0.3


def _layer(tmp_path, xy, attrs=True):
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            "properties": {
                "date": f"2024-03-{i + 1:02d}",
                **({"Latitude": round(LAT[i], 4), "Longitude": round(LON[i], 4)} if attrs else {}),
            },
        }
        for i, (x, y) in enumerate(xy)
    ]
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_points_made_with_latitude_as_x_are_refused(tmp_path):
    path = _layer(tmp_path, zip(LAT, LON, strict=True))
    with pytest.raises(InputError, match=r"points of 8 of 8 features .* swapped") as err:
        read_seizures(path)
    assert "feature 1: point (15, -70)" in str(err.value)
    assert "columns: {lat: 'Latitude', lon: 'Longitude'}" in str(err.value)
    # the other way out, for a layer whose attribute names are the swapped part
    assert "names are (the points right), set columns: {lat: 'Longitude', lon: 'Latitude'}" in (
        str(err.value)
    )


def test_attribute_names_swapped_read_the_points_by_the_advice_given(tmp_path):
    # the points are right and the attributes named the wrong way round: the advice for
    # that case reads the attributes as the points say, with nothing refused
    path = _layer(tmp_path, zip(LAT, LON, strict=True))  # 'Latitude' holds the x here
    given = {"lat": "Longitude", "lon": "Latitude"}
    res = read_seizures(SeizureSource(path=path, columns=given))
    np.testing.assert_allclose(res.frame["lat"], LON)
    np.testing.assert_allclose(res.frame["lon"], LAT)


def test_swapped_points_without_attributes_cannot_be_told(tmp_path):
    """Nothing to compare with: read as written (the check is the attributes')."""
    res = read_seizures(_layer(tmp_path, zip(LAT, LON, strict=True), attrs=False))
    np.testing.assert_allclose(res.frame["lat"], LON)


def test_the_attributes_read_instead_when_the_config_names_them(tmp_path):
    path = _layer(tmp_path, zip(LAT, LON, strict=True))
    res = read_seizures(SeizureSource(path=path, columns={"lat": "Latitude", "lon": "Longitude"}))
    np.testing.assert_allclose(res.frame["lat"], LAT)
    np.testing.assert_allclose(res.frame["lon"], LON)


def test_stale_attributes_are_said_and_the_geometry_read(tmp_path):
    x, y = LON.copy(), LAT.copy()
    x[[2, 5]] += 0.2  # two features moved in an edit, their attributes not recomputed
    res = read_seizures(_layer(tmp_path, zip(x, y, strict=True)))
    np.testing.assert_allclose(res.frame["lon"], x)
    (note,) = [n for n in res.notes if "differ from their" in n]
    assert "points of 2 of 8 features" in note
    assert "feature 3: point (-69.2, 16)" in note


def test_attributes_rounded_as_written_agree(tmp_path):
    """Four decimals beside full-precision points: one position."""
    x, y = LON + 3.3e-5, LAT - 4.4e-5  # within half of the attributes' last decimal
    res = read_seizures(_layer(tmp_path, zip(x, y, strict=True)))
    assert not [n for n in res.notes if "differ from their" in n]
    assert len(res.frame) == 8


def test_a_projected_layer_is_compared_after_reprojection(tmp_path):
    """A UTM GeoPackage with degree attributes: compared in degrees (agree, then swapped)."""
    gdf = gpd.GeoDataFrame(
        {
            "date": [f"2024-03-{i + 1:02d}" for i in range(8)],
            "Latitude": np.round(LAT, 5),
            "Longitude": np.round(LON, 5),
        },
        geometry=shapely.points(LON, LAT),
        crs="EPSG:4326",
    ).to_crs("EPSG:32619")
    path = tmp_path / "utm.gpkg"
    gdf.to_file(path, engine="pyogrio")
    res = read_seizures(path)
    assert not [n for n in res.notes if "differ from their" in n]
    np.testing.assert_allclose(res.frame["lat"], LAT, atol=1e-7)


def test_a_layer_of_pings_is_checked_too(tmp_path):
    """Tracks read from a point layer: swapped points refused, stale attributes said."""
    from pipeline.ingest import read_tracks

    def pings(xy):
        feats = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": {
                    "mmsi": 257000001,
                    "timestamp": f"2024-03-01T00:{5 * i:02d}:00Z",
                    "lat": round(LAT[i] / 100 + 15, 5),
                    "lon": round(LON[i] / 100 - 70, 5),
                },
            }
            for i, (x, y) in enumerate(xy)
        ]
        path = tmp_path / "pings.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        return path

    lat, lon = np.round(LAT / 100 + 15, 5), np.round(LON / 100 - 70, 5)
    with pytest.raises(InputError, match=r"'lat'/'lon' attributes with latitude and longitude"):
        read_tracks(pings(zip(lat, lon, strict=True)))
    x = lon.copy()
    x[4] += 0.005  # 400 m off its attributes: a note, no rejected record
    res = read_tracks(pings(zip(x, lat, strict=True)))
    assert any("points of 1 of 8 features differ" in n for n in res.notes), res.notes
    assert len(res.frame) == 8
