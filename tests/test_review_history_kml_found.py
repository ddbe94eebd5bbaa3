"""What a hostile-file review of the location history and KML track readers found.

Each test failed before its fix: an iOS path point's minute offset beyond year 9999 was a
traceback (OverflowError); an iOS history holding ``timelineMemory`` segments (trip
summaries, in most real exports) was refused for "no latitude/longitude columns"; a KML of
deeply nested folders took seconds per ten thousand levels (quadratic); an entity a KML does
not define, under a DOCTYPE naming an external DTD, was skipped without a word (``2&x;.5``
read as ``2.5``).  Values are checked against ``json``/``datetime`` and ElementTree readings.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks

GX = "http://www.google.com/kml/ext/2.2"
KML = "http://www.opengis.net/kml/2.2"


def _line_of(text: str, needle: str, before: int = 0) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1 - before


IOS = [
    {
        "endTime": "2024-03-01T09:00:00.000+05:30",
        "startTime": "2024-03-01T08:00:00.000+05:30",
        "timelinePath": [
            {"point": "geo:19.076090,72.877426", "durationMinutesOffsetFromStartTime": "2"},
            {"point": "geo:19.086090,72.887426", "durationMinutesOffsetFromStartTime": "59"},
        ],
    },
    {
        "endTime": "2024-03-01T11:15:00.000+05:30",
        "startTime": "2024-03-01T09:00:00.000+05:30",
        "visit": {
            "hierarchyLevel": "0",
            "topCandidate": {"probability": "0.9", "placeLocation": "geo:19.1,72.9"},
            "probability": "0.8",
        },
    },
    {
        "endTime": "2024-03-02T00:00:00.000+05:30",
        "startTime": "2024-03-01T00:00:00.000+05:30",
        "timelineMemory": {
            "destinations": [{"identifier": "ChIJx"}],
            "distanceFromOriginKms": "12",
        },
    },
]


def _ios_reference(segments: list[dict]) -> list[tuple[pd.Timestamp, float, float]]:
    """(time, lat, lon) of every timed position, read with json and datetime alone."""
    out = []
    for seg in segments:
        t0 = datetime.fromisoformat(seg["startTime"])
        for p in seg.get("timelinePath", []):
            lat, lon = map(float, p["point"].removeprefix("geo:").split(","))
            t = t0 + timedelta(minutes=int(p["durationMinutesOffsetFromStartTime"]))
            out.append((pd.Timestamp(t.astimezone(UTC)), lat, lon))
        if "visit" in seg:
            place = seg["visit"]["topCandidate"]["placeLocation"]
            lat, lon = map(float, place.removeprefix("geo:").split(","))
            for key in ("startTime", "endTime"):
                t = datetime.fromisoformat(seg[key]).astimezone(UTC)
                out.append((pd.Timestamp(t), lat, lon))
    return sorted(out)


def test_an_ios_history_with_timeline_memory_segments_is_read(tmp_path):
    path = tmp_path / "location-history.json"
    path.write_text(json.dumps(IOS, indent=2))
    res = read_tracks(path)  # was: InputError "no latitude/longitude columns"
    assert_accounted(res)
    assert res.rejects.empty
    ref = _ios_reference(json.loads(path.read_text()))
    assert list(res.frame["time"]) == [r[0] for r in ref]
    np.testing.assert_allclose(res.frame["lat"], [r[1] for r in ref], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.frame["lon"], [r[2] for r in ref], rtol=0, atol=1e-12)
    # the trip summary holds no position: counted, never read as one
    assert any("1 segments without a place" in n for n in res.notes)


@pytest.mark.parametrize("minutes", ["9000000000", "1e12", "-9e9"], ids=["big", "exp", "neg"])
def test_an_ios_minute_offset_beyond_the_calendar_is_a_reject_not_a_traceback(tmp_path, minutes):
    segments = json.loads(json.dumps(IOS[:1]))
    segments[0]["timelinePath"][0]["durationMinutesOffsetFromStartTime"] = minutes
    path = tmp_path / "location-history.json"
    text = json.dumps(segments, indent=2)
    path.write_text(text)
    res = read_tracks(path)  # was: OverflowError: date value out of range
    assert_accounted(res)
    (bad,) = res.rejects.itertuples()
    assert bad.rule == "time_unparseable" and minutes in bad.value
    assert bad.row == _line_of(text, '"point": "geo:19.076090', before=1)
    # the other point at its own time, untouched
    (good,) = res.frame.itertuples()
    want = datetime.fromisoformat("2024-03-01T08:00:00+05:30") + timedelta(minutes=59)
    assert good.time == pd.Timestamp(want.astimezone(UTC)) and good.lat == 19.08609


def _kml(body: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<kml xmlns="{KML}" xmlns:gx="{GX}">\n<Document>\n{body}\n</Document>\n</kml>\n'
    )


TRACK = """<Placemark><name>Skiff</name>
<gx:Track>
<when>2024-03-01T10:00:00Z</when><when>2024-03-01T10:05:00Z</when>
<gx:coord>1.0 2.0 0</gx:coord>
<gx:coord>1.01 2.0 0</gx:coord>
</gx:Track></Placemark>"""


def test_a_kml_of_deeply_nested_folders_is_read_in_linear_time(tmp_path):
    depth = 40_000  # each tag scanned every open element: about 20 s at this depth
    text = _kml("<Folder>" * depth + "</Folder>" * depth + "\n" + TRACK)
    path = tmp_path / "deep.kml"
    path.write_text(text)
    began = time.process_time()
    res = read_tracks(path)
    assert time.process_time() - began < 5
    assert_accounted(res)
    root = ET.fromstring(text.encode())
    coords = [c.text for c in root.iter(f"{{{GX}}}coord")]
    np.testing.assert_allclose(res.frame["lon"], [float(c.split()[0]) for c in coords])
    assert res.lines.tolist() == [_line_of(text, f">{c}<") for c in coords]


def test_an_entity_the_kml_does_not_define_is_refused_not_skipped(tmp_path):
    doctype = '<!DOCTYPE kml SYSTEM "http://example.com/kml.dtd">\n'
    text = _kml(TRACK.replace("<gx:coord>1.01 2.0 0", "<gx:coord>1.01 2&x;.5 0"), doctype)
    path = tmp_path / "skipped.kml"
    path.write_text(text)
    # was: read as "1.01 2.5 0", the reference dropped without a word
    with pytest.raises(SourceUnreadable, match="entity 'x' that it does not define"):
        read_tracks(path)
    # the same DOCTYPE without such a reference reads as before (no DTD is ever fetched)
    path.write_text(_kml(TRACK, doctype))
    assert len(read_tracks(path).frame) == 2
