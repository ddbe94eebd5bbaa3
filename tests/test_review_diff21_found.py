"""Review of the day's diff (task hHA): false refusals and notes found, each pinned.

* A vector layer whose points agree with their ``Latitude``/``Longitude`` but one record's
  attributes are swapped (a typo) was refused whole as "made with x=latitude".
* ArcGIS's ``POINT_X``/``POINT_Y`` in a projected layer's metres (picked by their names)
  gave a note that every point differs from its attributes, and told to read the metres.
* The fitted model's cluster-robust covariance of two features correlated at 1 - 1e-8 (kept
  by ``independent_columns``) was asymmetric past round-off, and the risk's coefficient
  draws refused it as no covariance (exit 2 on a model that fitted).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.hotspots import parametric_cells
from pipeline.ingest import read_seizures
from pipeline.ingest._columns import check_attribute_positions
from pipeline.model.fitted import cluster_robust_cov, independent_columns

LAT = 15 + np.arange(8) * 0.5
LON = -70 + np.arange(8) * 0.3


def _layer(tmp_path, lon, lat, attrs):
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            "properties": {"date": f"2024-03-{i + 1:02d}", **attrs[i]},
        }
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_one_record_with_swapped_attributes_among_agreeing_points_is_a_note(tmp_path):
    attrs = [
        {"Latitude": round(a, 4), "Longitude": round(o, 4)} for a, o in zip(LAT, LON, strict=True)
    ]
    attrs[6] = {"Latitude": attrs[6]["Longitude"], "Longitude": attrs[6]["Latitude"]}
    res = read_seizures(_layer(tmp_path, LON, LAT, attrs))
    np.testing.assert_allclose(res.frame["lat"], LAT)  # the geometry, as a GIS draws it
    (note,) = [n for n in res.notes if "differ from their" in n]
    assert "points of 1 of 8 features" in note
    assert "feature 7: point (-68.2, 18)" in note


def test_most_points_swapped_are_still_refused():
    lat, lon = LAT.copy(), LON.copy()
    raw = pd.DataFrame({"Latitude": np.round(LAT, 4), "Longitude": np.round(LON, 4)})
    lon[:5], lat[:5] = LAT[:5], LON[:5]  # 5 of 8 made with x=latitude
    with pytest.raises(Exception, match=r"points of 5 of 8 features .* swapped"):
        check_attribute_positions(raw, lon, lat, "s.gpkg", [])


@pytest.mark.parametrize(("xname", "yname"), [("POINT_X", "POINT_Y"), ("Easting", "Northing")])
def test_projected_metres_attributes_beside_a_projected_layer_say_nothing(tmp_path, xname, yname):
    """ArcGIS 'Add XY Coordinates' in the layer's UTM metres: no degrees to compare with."""
    gdf = gpd.GeoDataFrame(
        {"date": [f"2024-03-{i + 1:02d}" for i in range(8)]},
        geometry=shapely.points(LON, LAT),
        crs="EPSG:4326",
    ).to_crs("EPSG:32619")
    gdf[xname] = np.round(gdf.geometry.x, 2)
    gdf[yname] = np.round(gdf.geometry.y, 2)
    path = tmp_path / "utm.gpkg"
    gdf.to_file(path, engine="pyogrio")
    res = read_seizures(path)
    assert not [n for n in res.notes if "differ from their" in n], res.notes
    np.testing.assert_allclose(res.frame["lat"], LAT, atol=1e-7)


def test_metres_attributes_on_some_rows_are_not_compared():
    """Rows whose attribute is no degree value (a metres value) count as not given."""
    raw = pd.DataFrame({"lat": [LAT[0], 1.65e6, LAT[2]], "lon": [LON[0], 5.0e5, LON[2]]})
    notes: list[str] = []
    check_attribute_positions(raw, LON[:3].copy(), LAT[:3].copy(), "s.gpkg", notes)
    assert notes == []


def _near_collinear(seed: int = 8):
    rng = np.random.default_rng(seed)
    n = 400
    z = rng.normal(size=(n, 3))
    z[:, 1] = z[:, 0] + 1.2e-4 * rng.normal(size=n)  # r = 1 - 7e-9, kept as independent
    x = np.column_stack([np.ones(n), z])
    mu = np.exp(0.1 * rng.normal(size=n) - 1.0)
    y = rng.poisson(mu).astype("float64")
    groups = rng.integers(0, 19, n)
    assert independent_columns(z, [0, 1, 2])[0] == [0, 1, 2]
    return x, y, mu, groups


@pytest.mark.parametrize("seed", [3, 4, 7, 8])
def test_cluster_robust_cov_of_a_near_collinear_design_is_a_covariance(seed):
    x, y, mu, groups = _near_collinear(seed)
    cov = cluster_robust_cov(x, y, mu, groups)
    # the sandwich by its definition (H^-1 B H^-1 c), symmetrised: the same matrix
    h = (x * mu[:, None]).T @ x
    u = x * (y - mu)[:, None]
    sg = np.vstack([u[groups == g].sum(axis=0) for g in np.unique(groups)])
    hinv = np.linalg.inv(h)
    g, n, k = len(np.unique(groups)), len(y), x.shape[1]
    ref = hinv @ sg.T @ sg @ hinv * (g / (g - 1)) * ((n - 1) / (n - k))
    np.testing.assert_allclose(cov, (ref + ref.T) / 2, rtol=1e-5, atol=1e-9 * np.abs(ref).max())
    # and the risk's coefficient draws take it
    got = parametric_cells(
        np.zeros(k), cov, lambda p: np.full(2, float(p[0])), [1, 2], options={"n_resamples": 20}
    )
    assert np.isfinite(got["value_lower"]).all()
    assert np.array_equal(cov, cov.T)


def test_a_difference_past_the_written_unit_but_below_1e_4_degree_is_said():
    """Six decimals written, points 5e-5 deg (5 m) off on one feature: a note, as before."""
    lat, lon = LAT + 0.123456, LON - 0.654321
    raw = pd.DataFrame({"lat": lat.round(6), "lon": lon.round(6)})
    lat[3] += 5e-5
    notes: list[str] = []
    check_attribute_positions(raw, lon, lat, "s.gpkg", notes)
    assert len(notes) == 1 and "points of 1 of 8 features differ" in notes[0]


def test_a_pacific_layer_with_0_360_attributes_made_with_x_latitude_is_still_refused():
    lat, lon = np.array([10.0, 11.0, 12.0]), np.array([-170.0, -171.0, -172.0])
    raw = pd.DataFrame({"Latitude": lat, "Longitude": lon + 360.0})  # 190, 189, 188
    with pytest.raises(Exception, match=r"points of 3 of 3 features .* swapped"):
        check_attribute_positions(raw, lat, lon, "s.gpkg", [])
    notes: list[str] = []
    check_attribute_positions(raw, lon, lat, "s.gpkg", notes)
    assert notes == []


def test_polygons_read_as_points_are_not_compared_with_their_centroid_attributes(tmp_path):
    """polygons_to_points: a triangle's point inside it (point_on_surface) is no centroid."""
    from pipeline.ingest.options import SeizureSource

    feats = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-70 + i, 15], [-67 + i, 15], [-70 + i, 18], [-70 + i, 15]]],
            },
            "properties": {"date": f"2024-03-0{i + 1}", "Latitude": 16.0, "Longitude": -69.0 + i},
        }
        for i in range(3)
    ]
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    res = read_seizures(SeizureSource(path=path, polygons_to_points=True))
    np.testing.assert_allclose(res.frame["lat"], 16.5)  # shapely.point_on_surface
    assert not [n for n in res.notes if "differ from their" in n], res.notes
