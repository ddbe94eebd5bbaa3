"""Every record accounted for (issue 12): ``read == accepted + rejected`` for each input kind,
each reject at the physical line (or feature) it came from, nothing swallowed or dropped
silently.  The context-layer cases guard what already held; every other test here fails on
the readers before issue 12."""

from __future__ import annotations

import json
import warnings
import zipfile

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _property import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import SourceUnreadable
from pipeline.ingest import (
    CONTEXT_RULES,
    SEIZURE_RULES,
    TRACK_RULES,
    read_context,
    read_seizures,
    read_tracks,
)

pytestmark = IGNORE_PENDING_DEPRECATION


def _check(res, rules) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)
    assert set(res.rejects["rule"]) <= set(rules)
    assert res.rejects["row"].notna().all()
    assert (res.rejects["column"].astype(str) != "").all()


def test_ragged_row_then_unclosed_quote_swallows_nothing(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "date,lat,lon,note\n"
        "2020-01-01,1,2,a,extra\n"  # ragged
        '2020-01-02,1,2,"opened and never closed\n'
        "2020-01-03,1,3,second\n"
        "2020-01-04,1,4,third\n"
    )
    res = read_seizures(path)
    _check(res, SEIZURE_RULES)
    assert res.n_read == 4
    assert res.frame["source_row"].tolist() == [4, 5]
    assert res.frame["note"].tolist() == ["second", "third"]
    assert dict(zip(res.rejects["row"], res.rejects["rule"], strict=True)) == {
        2: "ragged_row",
        3: "unbalanced_quote",
    }
    assert any("unbalanced_quote" in n and "line(s) 3" in n for n in res.notes)


def test_unclosed_quote_at_the_end_is_rejected(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('date,lat,lon,note\n2020-01-01,1,2,fine\n2020-01-02,1,2,"never closed\n')
    res = read_seizures(path)
    _check(res, SEIZURE_RULES)
    assert res.frame["source_row"].tolist() == [2]
    assert res.rejects["rule"].tolist() == ["unbalanced_quote"]
    assert res.rejects["row"].tolist() == [3]


def test_genuine_multiline_note_is_kept(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        'date,lat,lon,note\n2020-01-01,1,2,"boarded at dawn\ncrew of three"\n2020-01-02,1,3,x\n'
    )
    res = read_seizures(path)
    assert res.frame["note"].tolist() == ["boarded at dawn\ncrew of three", "x"]
    assert res.frame["source_row"].tolist() == [2, 4]
    assert res.rejects.empty


# --------------------------------------------------------------------------- GPX

_GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">\n'
)


@st.composite
def gpx_doc(draw) -> tuple[str, dict[int, str]]:
    """A GPX document (tracks, routes, waypoints) and the expected outcome per point line."""
    out = [_GPX_HEAD]
    line = 3
    owners: list[tuple[str, list[tuple[int, str, str, str]]]] = []  # vessel, points
    n_trk = n_rte = 0
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["trk", "rte", "wpt"]))
        if kind == "wpt":
            out.append('<wpt lat="5" lon="5"><name>W</name></wpt>\n')
            line += 1
            continue
        named = draw(st.booleans())
        label = draw(st.sampled_from(["A", "B"])) if named else None
        fallback = f"track_{n_trk}" if kind == "trk" else f"route_{n_rte}"
        if kind == "trk":
            n_trk += 1
        else:
            n_rte += 1
        out.append(f"<{kind}>" + (f"<name>{label}</name>" if named else "") + "\n")
        line += 1
        if kind == "trk":
            out.append("<trkseg>\n")
            line += 1
        pts = []
        for _ in range(draw(st.integers(0, 5))):
            i = sum(len(p) for _, p in owners) + len(pts)
            lat = draw(st.sampled_from(["ok", "ok", "ok", "missing", "x", "95"]))
            lon = draw(st.sampled_from(["ok", "ok", "ok", "missing"]))
            time = draw(st.sampled_from(["ok", "ok", "missing", "bad"]))
            ele = draw(st.booleans())
            attrs = (f' lat="{10 + i / 1000:.3f}"' if lat == "ok" else "") + (
                f' lat="{lat}"' if lat in ("x", "95") else ""
            )
            attrs += f' lon="{100 + i / 1000:.3f}"' if lon == "ok" else ""
            tag = "trkpt" if kind == "trk" else "rtept"
            body = "<ele>3</ele>" if ele else ""
            if time == "ok":
                body += f"<time>2024-01-01T{i // 6:02d}:{(i % 6) * 10:02d}:00Z</time>"
            elif time == "bad":
                body += "<time>yesterday</time>"
            if draw(st.booleans()):  # a time of an extension is not the point's time
                body += "<extensions><time>junk</time></extensions>"
            split = draw(st.booleans())
            out.append(f"<{tag}{attrs}>" + ("\n" if split else "") + f"{body}</{tag}>\n")
            pts.append((line, lat, lon, time))
            line += 2 if split else 1
        if kind == "trk":
            out.append("</trkseg>\n")
            line += 1
        out.append(f"</{kind}>\n")
        line += 1
        owners.append((label or fallback, pts))
    out.append("</gpx>\n")
    timed = {}
    for vessel, pts in owners:
        timed[vessel] = timed.get(vessel, False) or any(t != "missing" for _, _, _, t in pts)
    expected = {}
    for vessel, pts in owners:
        for ln, lat, lon, time in pts:
            if lat == "missing" or lon == "missing":
                expected[ln] = "coord_missing"
            elif lat == "x":
                expected[ln] = "coord_unparseable"
            elif lat == "95":
                expected[ln] = "lat_out_of_range"
            elif time == "bad":
                expected[ln] = "time_unparseable"
            elif time == "missing" and timed[vessel]:
                expected[ln] = "time_missing"
            else:
                expected[ln] = "accepted"
    return "".join(out), expected


@settings(
    max_examples=examples(80),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=gpx_doc())
def test_every_gpx_point_accounted_at_its_line(tmp_path_factory, doc):
    text, expected = doc
    path = tmp_path_factory.mktemp("gpx") / "t.gpx"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(path)
    _check(res, TRACK_RULES)
    assert res.n_read == len(expected)
    got = dict(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))
    assert got == {k: v for k, v in expected.items() if v != "accepted"}
    assert len(res.frame) == sum(v == "accepted" for v in expected.values())


def test_gpx_point_without_latitude_is_rejected_not_dropped(tmp_path):
    path = tmp_path / "t.gpx"
    path.write_text(
        _GPX_HEAD + "<trk><name>A</name><trkseg>\n"
        '<trkpt lat="1" lon="1"><time>2020-01-01T00:00:00Z</time></trkpt>\n'
        '<trkpt lon="1.001"><time>2020-01-01T00:10:00Z</time></trkpt>\n'
        '<trkpt lat="1.002" lon="1.002"><ele>4</ele></trkpt>\n'
        "</trkseg></trk></gpx>\n"
    )
    res = read_tracks(path)
    _check(res, TRACK_RULES)
    assert res.n_read == 3
    assert dict(zip(res.rejects["row"], res.rejects["rule"], strict=True)) == {
        5: "coord_missing",  # the line of its <trkpt> tag
        6: "time_missing",
    }


def test_gpx_in_a_zip_and_broken_gpx(tmp_path):
    body = (
        _GPX_HEAD + "<trk><trkseg>\n"
        '<trkpt lat="1" lon="1"><time>2020-01-01T00:00:00Z</time></trkpt>\n'
        "</trkseg></trk></gpx>\n"
    )
    z = tmp_path / "t.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("t.gpx", body)
    res = read_tracks(z)
    assert res.n_read == 1 and len(res.frame) == 1
    assert res.frame["vessel_id"].tolist() == ["t:track_0"]  # scoped by its file
    bad = tmp_path / "b.gpx"
    bad.write_text(body[: len(body) // 2 + 20])
    with pytest.raises(SourceUnreadable, match=r"b\.gpx: not a readable GPX file: line \d+"):
        read_tracks(bad)
    bomb = tmp_path / "bomb.gpx"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>'
    )
    with pytest.raises(SourceUnreadable, match="entities"):
        read_tracks(bomb)
    kml = tmp_path / "k.gpx"
    kml.write_text('<?xml version="1.0"?><kml><Placemark/></kml>')
    with pytest.raises(SourceUnreadable, match="root element 'kml'"):
        read_tracks(kml)


# --------------------------------------------------------------------------- vector layers


def _features(*geoms) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"route_id": f"R{i}", "name": f"F{i}"}, "geometry": g}
            for i, g in enumerate(geoms, start=1)
        ],
    }


def test_route_layer_features_without_vertices_are_rejected(tmp_path):
    path = tmp_path / "routes.geojson"
    path.write_text(
        json.dumps(
            _features(
                {"type": "LineString", "coordinates": [[0, 0.1], [0.1, 0.1], [0.2, 0.1]]},
                {"type": "Point", "coordinates": [0, 0.2]},
                None,
                {"type": "LineString", "coordinates": []},
                {
                    "type": "MultiLineString",
                    "coordinates": [[[1, 1.1], [1.1, 1.1]], [[1.2, 1.1], [1.3, 1.1]]],
                },
            )
        )
    )
    res = read_tracks(path)
    _check(res, TRACK_RULES)
    assert len(res.frame) == 7  # the vertices of R1 and R5
    assert res.n_read == 10
    assert dict(zip(res.rejects["row"], res.rejects["rule"], strict=True)) == {
        2: "geometry_wrong_type",
        3: "geometry_missing",
        4: "geometry_missing",
    }


@pytest.mark.parametrize(
    ("kind", "geoms", "n_ok"),
    [
        ("ports", [{"type": "Point", "coordinates": [1, 1]}, None], 1),
        (
            "lanes",
            [
                {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                {"type": "Point", "coordinates": [1, 1]},
            ],
            1,
        ),
        (
            "land",
            [{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, None],
            1,
        ),
    ],
)
def test_context_layers_account_for_every_feature(tmp_path, kind, geoms, n_ok):
    path = tmp_path / f"{kind}.geojson"
    path.write_text(json.dumps(_features(*geoms)))
    res = read_context(path, kind)
    _check(res, CONTEXT_RULES)
    assert res.n_read == len(geoms)
    assert len(res.frame) == n_ok


def test_run_reports_every_ping_with_its_line_outside_a_polygon(small_demo, tmp_path):
    """A run with a polygon area: the pings outside it are rejected at their CSV line (the
    runner used to move them to the rejects without any line), and each input's manifest
    entry adds up.  (Only the ingest's manifest entry and rejects are read: ``QUICK_TABLES``.)"""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from conftest import QUICK_TABLES, small_config

    import pipeline

    tri = shapely.Polygon([(-80, 5), (-40, 5), (-80, 35)])
    poly = tmp_path / "tri.geojson"
    gpd.GeoDataFrame(geometry=[tri], crs="EPSG:4326").to_file(poly)
    area = {"polygon": str(poly), "resolution": 4, "bbox": None}
    res = pipeline.run_pipeline(small_config(small_demo, tmp_path, area=area, **QUICK_TABLES))
    entry = res.manifest["inputs"]["tracks"][0]
    assert entry["read"] == entry["accepted"] + entry["rejected"]
    assert entry["by_rule"]["outside_aoi"] > 0
    rejects = pd.read_csv(res.out_dir / entry["rejects_file"])
    assert len(rejects) == entry["rejected"]
    assert rejects["row"].notna().all() and rejects["column"].notna().all()
    raw = pd.read_csv(small_demo / "inputs" / "ais.csv", dtype=str)
    out = rejects[rejects["rule"] == "outside_aoi"]
    lines = out["row"].astype(int).to_numpy()
    lat = raw["lat"].astype(float).to_numpy()[lines - 2]  # line 2 is the first record
    lon = raw["lon"].astype(float).to_numpy()[lines - 2]
    assert not shapely.intersects_xy(tri, lon, lat).any()
