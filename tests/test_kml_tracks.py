"""KML tracks (``gx:Track``, KML 2.3 ``Track``) are read with their times, KMZ alike.

Track files from Google Earth, OpenTracks and vehicle trackers were refused ("GDAL drops the
times of a gx:Track").  Each position is now a ping with the ``<when>`` of the same rank, at
the line of its ``<gx:coord>``; values are checked against ElementTree's reading of the same
text, times against ``datetime.fromisoformat``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest.options import TrackSource

GX = "http://www.google.com/kml/ext/2.2"
KML = "http://www.opengis.net/kml/2.2"

TRIP = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="{KML}" xmlns:gx="{GX}">
<Document>
  <name>OpenTracks</name>
  <Placemark>
    <name>Start</name>
    <Point><coordinates>-122.0,37.0,0</coordinates></Point>
  </Placemark>
  <Folder><name>Trips</name>
  <Placemark>
    <name>Skiff Maria</name>
    <gx:MultiTrack>
      <altitudeMode>absolute</altitudeMode>
      <gx:interpolate>1</gx:interpolate>
      <gx:Track>
        <when>2010-05-28T02:02:09Z</when>
        <when>2010-05-28T02:02:35.5Z</when>
        <when>2010-05-28T04:02:44+02:00</when>
        <gx:coord>-122.207881 37.371915 156.0</gx:coord>
        <gx:coord>-122.205712 37.373288 152.0</gx:coord>
        <gx:coord>-122.204678 37.373939</gx:coord>
        <ExtendedData><SchemaData schemaUrl="#s"><gx:SimpleArrayData name="speed">
          <gx:value>3.2</gx:value></gx:SimpleArrayData></SchemaData></ExtendedData>
      </gx:Track>
      <gx:Track>
        <when>2010-05-28T03:00:00Z</when>
        <gx:coord>-122.1 37.4 0</gx:coord>
      </gx:Track>
    </gx:MultiTrack>
  </Placemark>
  <Placemark>
    <gx:Track>
      <when>2010-05-28T05:00:00Z</when>
      <when>2010-05-28T05:01:00Z</when>
      <gx:coord>-121.9 37.5 0</gx:coord>
      <gx:coord>-121.899 37.501 0</gx:coord>
    </gx:Track>
  </Placemark>
  </Folder>
</Document>
</kml>
"""


def _reference(text: str) -> list[tuple[str, datetime, float, float, int]]:
    """(owner name, time, lat, lon, line) of every position, by ElementTree and line search."""
    root = ET.fromstring(text.encode())
    lines = text.split("\n")
    out = []
    for k, pm in enumerate(root.iter(f"{{{KML}}}Placemark")):
        name = pm.findtext(f"{{{KML}}}name")
        for track in pm.iter(f"{{{GX}}}Track"):
            whens = [w.text for w in track.findall(f"{{{KML}}}when")]
            coords = [c.text for c in track.findall(f"{{{GX}}}coord")]
            for w, c in zip(whens, coords, strict=True):
                lon, lat = map(float, c.split()[:2])
                (line,) = [i + 1 for i, s in enumerate(lines) if f">{c}<" in s]
                out.append((name, datetime.fromisoformat(w), lat, lon, line, k))
    return out


def test_every_position_of_a_kml_track_is_a_ping_with_its_time(tmp_path):
    path = tmp_path / "trip.kml"
    path.write_text(TRIP)
    res = read_tracks(path)
    assert_accounted(res)
    assert res.rejects.empty
    ref = sorted(_reference(TRIP), key=lambda r: (r[0] or f"trip:track_{r[5]}", r[1]))
    f = res.frame
    assert list(f["vessel_id"]) == [r[0] or f"trip:track_{r[5]}" for r in ref]
    assert list(f["time"]) == [pd.Timestamp(r[1].astimezone(UTC)) for r in ref]
    np.testing.assert_allclose(f["lat"], [r[2] for r in ref], rtol=0, atol=1e-12)
    np.testing.assert_allclose(f["lon"], [r[3] for r in ref], rtol=0, atol=1e-12)
    assert res.lines.tolist() == [r[4] for r in ref]
    assert res.assumptions["schema"] == "kml"
    assert any("1 placemark(s) without a track" in n for n in res.notes)


def test_a_kml_23_track_in_the_default_namespace_is_read(tmp_path):
    text = TRIP.replace("gx:Track", "Track").replace("gx:coord", "coord")
    text = text.replace("gx:MultiTrack", "MultiTrack")
    path = tmp_path / "trip.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert len(res.frame) == 6 and res.rejects.empty


def _kmz(kml: str, *, name: str = "doc.kml", extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, kml)
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return buf.getvalue()


def test_a_kmz_and_a_kml_inside_a_zip_read_as_the_kml(tmp_path):
    plain = tmp_path / "trip.kml"
    plain.write_text(TRIP)
    want = read_tracks(plain).frame
    kmz = tmp_path / "trip.kmz"
    kmz.write_bytes(_kmz(TRIP, extra={"files/icon.png": b"\x89PNG", "files/old.kml": "<kml/>"}))
    zipped = tmp_path / "trip.zip"
    zipped.write_bytes(_kmz(TRIP, name="trip.kml"))
    for path in (kmz, zipped):
        got = read_tracks(path).frame
        pd.testing.assert_frame_equal(got, want)


def test_a_kmz_expanding_beyond_the_bound_is_refused(tmp_path):
    kmz = tmp_path / "big.kmz"
    kmz.write_bytes(_kmz(TRIP.replace("<Document>", "<Document>" + " " * 3_000_000)))
    with pytest.raises(SourceUnreadable, match="expands to 3 MiB, above ingest.max_uncompressed"):
        read_tracks(kmz, max_uncompressed_mb=2)


def test_lists_of_different_lengths_keep_every_part_as_a_record(tmp_path):
    text = TRIP.replace(
        "<gx:coord>-122.1 37.4 0</gx:coord>",
        "<gx:coord>-122.1 37.4 0</gx:coord>\n        <gx:coord>-122.0</gx:coord>\n"
        "        <gx:coord>-121.99 37.41 0</gx:coord>",
    ).replace("<when>2010-05-28T05:01:00Z</when>", "<when>2010-05-28T05:01:00Z</when><when/>")
    path = tmp_path / "uneven.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    lines = text.split("\n")
    rej = res.rejects.sort_values("row")
    # a coord of one word: its latitude missing; a coord beyond the times: no time; an empty
    # <when> beyond the coords: neither time nor position
    one_word = next(i + 1 for i, s in enumerate(lines) if ">-122.0<" in s)
    no_time = next(i + 1 for i, s in enumerate(lines) if ">-121.99 37.41 0<" in s)
    empty = next(i + 1 for i, s in enumerate(lines) if "<when/>" in s)
    assert rej["row"].tolist() == [one_word, no_time, empty]
    assert rej["rule"].tolist() == ["coord_missing", "time_missing", "coord_missing"]
    assert len(res.frame) == 6


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            f'<kml xmlns="{KML}"><Placemark><Point><coordinates>1,2</coordinates></Point>'
            "</Placemark></kml>",
            "holds no track",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>',
            "declares XML entities",
        ),
        ("<gpx><trk/></gpx>", "not a KML file"),
        (f'<kml xmlns="{KML}"><Placemark>', "not a readable KML file: line 1"),
    ],
    ids=["places-only", "entities", "not-kml", "truncated"],
)
def test_files_without_a_readable_track_are_refused_in_one_line(tmp_path, text, match):
    path = tmp_path / "x.kml"
    path.write_text(text)
    with pytest.raises(SourceUnreadable, match=match):
        read_tracks(path)


def test_a_track_outside_any_placemark_is_said_and_the_config_names_the_vessel(tmp_path):
    text = TRIP.replace(
        "</Folder>",
        "</Folder><gx:Track><when>2010-05-28T06:00:00Z</when><gx:coord>1 2 0</gx:coord></gx:Track>",
    )
    path = tmp_path / "trip.kml"
    path.write_text(text)
    res = read_tracks(TrackSource(path=path, vessel_id="MV Test"))
    assert set(res.frame["vessel_id"]) == {"MV Test"}
    assert len(res.frame) == 6  # the one outside is not read, and said
    assert any("1 track(s) outside any Placemark" in n for n in res.notes)
