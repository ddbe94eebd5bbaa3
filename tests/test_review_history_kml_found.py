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
from _corpus import assert_accounted, line_of
from _kml import GX, TRACK, kml_document

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks

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
    assert bad.row == line_of(text, '"point": "geo:19.076090', before=1)
    # the other point at its own time, untouched
    (good,) = res.frame.itertuples()
    want = datetime.fromisoformat("2024-03-01T08:00:00+05:30") + timedelta(minutes=59)
    assert good.time == pd.Timestamp(want.astimezone(UTC)) and good.lat == 19.08609


def test_a_kml_of_deeply_nested_folders_is_read_in_linear_time(tmp_path):
    depth = 40_000  # each tag scanned every open element: about 20 s at this depth
    text = kml_document("<Folder>" * depth + "</Folder>" * depth + "\n" + TRACK)
    path = tmp_path / "deep.kml"
    path.write_text(text)
    began = time.process_time()
    res = read_tracks(path)
    assert time.process_time() - began < 5
    assert_accounted(res)
    root = ET.fromstring(text.encode())
    coords = [c.text for c in root.iter(f"{{{GX}}}coord")]
    np.testing.assert_allclose(res.frame["lon"], [float(c.split()[0]) for c in coords])
    assert res.lines.tolist() == [line_of(text, f">{c}<") for c in coords]


def test_an_entity_the_kml_does_not_define_is_refused_not_skipped(tmp_path):
    doctype = '<!DOCTYPE kml SYSTEM "http://example.com/kml.dtd">\n'
    text = kml_document(TRACK.replace("<gx:coord>1.01 2.0 0", "<gx:coord>1.01 2&x;.5 0"), doctype)
    path = tmp_path / "skipped.kml"
    path.write_text(text)
    # was: read as "1.01 2.5 0", the reference dropped without a word
    with pytest.raises(SourceUnreadable, match="entity 'x' that it does not define"):
        read_tracks(path)
    # the same DOCTYPE without such a reference reads as before (no DTD is ever fetched)
    path.write_text(kml_document(TRACK, doctype))
    assert len(read_tracks(path).frame) == 2


def _e7(lat: float, lon: float) -> dict:
    return {"latitudeE7": round(lat * 1e7), "longitudeE7": round(lon * 1e7)}


def _raw(lat: float, lon: float, t: str) -> dict:
    return {"latE7": round(lat * 1e7), "lngE7": round(lon * 1e7), "timestamp": t}


def _activity(a: tuple, b: tuple, t0: str, t1: str, raw: list[dict], **more) -> dict:
    return {
        "startLocation": _e7(*a),
        "endLocation": _e7(*b),
        "duration": {"startTimestamp": t0, "endTimestamp": t1},
        "simplifiedRawPath": {"points": raw},
        **more,
    }


def _takeout_reference(objects: list[dict]) -> list[tuple[pd.Timestamp, float, float]]:
    """(time, lat, lon) of every timed position of timelineObjects, by json alone."""
    out = []

    def add(loc: dict, t: str, lat: str = "latitudeE7", lon: str = "longitudeE7") -> None:
        out.append((pd.Timestamp(t), loc[lat] / 1e7, loc[lon] / 1e7))

    for o in objects:
        for key, part in o.items():
            span = part["duration"]
            if key == "activitySegment":
                add(part["startLocation"], span["startTimestamp"])
                add(part["endLocation"], span["endTimestamp"])
                if "parkingEvent" in part:
                    add(part["parkingEvent"]["location"], part["parkingEvent"]["timestamp"])
            else:
                add(part["location"], span["startTimestamp"])
                add(part["location"], span["endTimestamp"])
            for p in part.get("simplifiedRawPath", {}).get("points", []):
                add(p, p["timestamp"], "latE7", "lngE7")
    return sorted(set(out))  # a repeat of place and time is one position


def test_a_takeout_object_of_both_parts_gives_each_and_keeps_later_raw_paths_in_place(tmp_path):
    both = {
        "activitySegment": _activity(
            (51.50, 0.1), (51.60, 0.1), "2022-01-01T10:00:00Z", "2022-01-01T10:30:00Z",
            [_raw(51.55, 0.1, "2022-01-01T10:15:00Z")],
        ),
        "placeVisit": {
            "location": {**_e7(51.60, 0.1), "placeId": "x"},
            "duration": {
                "startTimestamp": "2022-01-01T10:30:00Z",
                "endTimestamp": "2022-01-01T11:00:00Z",
            },
            "simplifiedRawPath": {
                "points": [
                    _raw(51.6001, 0.1, "2022-01-01T10:40:00Z"),
                    _raw(51.6002, 0.1, "2022-01-01T10:50:00Z"),
                ]
            },
        },
    }  # fmt: skip
    after = {
        "activitySegment": _activity(
            (51.60, 0.1), (51.70, 0.1), "2022-01-01T11:00:00Z", "2022-01-01T11:30:00Z",
            [_raw(51.65, 0.1, "2022-01-01T11:15:00Z")],
        )
    }  # fmt: skip
    objects = [both, after]
    path = tmp_path / "2022_JANUARY.json"
    text = json.dumps({"timelineObjects": objects}, indent=2)
    path.write_text(text)
    res = read_tracks(path)  # was: ValueError (zip() argument 2 is longer than argument 1)
    assert_accounted(res)
    ref = _takeout_reference(objects)
    assert list(res.frame["time"]) == [r[0] for r in ref]
    np.testing.assert_allclose(res.frame["lat"], [r[1] for r in ref], rtol=0, atol=1e-12)
    # each raw point at its own object's line, the later activity's too
    by_time = dict(zip(res.frame["time"], res.lines.tolist(), strict=True))
    assert by_time[pd.Timestamp("2022-01-01T10:50:00Z")] == line_of(text, '"latE7": 516002000', 1)
    assert by_time[pd.Timestamp("2022-01-01T11:15:00Z")] == line_of(text, '"latE7": 516500000', 1)


def test_parking_events_are_read_at_their_own_time_and_child_visits_said(tmp_path):
    parking = {
        "location": {**_e7(51.6004, 0.1003), "accuracyMetres": 20},
        "method": "END_OF_ACTIVITY_SEGMENT",
        "locationSource": "UNKNOWN",
        "timestamp": "2022-01-01T10:31:00Z",
    }
    act = _activity(
        (51.50, 0.1), (51.60, 0.1), "2022-01-01T10:00:00Z", "2022-01-01T10:30:00Z", [],
        parkingEvent=parking,
    )  # fmt: skip
    visit = {
        "location": _e7(51.60, 0.1),
        "duration": {"startTimestamp": "2022-01-01T10:45:00Z", "endTimestamp": "2022-01-01T12:00:00Z"},
        "childVisits": [{"location": _e7(51.6001, 0.1001), "duration": {}}],
    }  # fmt: skip
    objects = [{"activitySegment": act}, {"placeVisit": visit}]
    path = tmp_path / "2022_JANUARY.json"
    path.write_text(json.dumps({"timelineObjects": objects}, indent=2))
    res = read_tracks(path)
    assert_accounted(res)
    assert res.rejects.empty
    ref = _takeout_reference(objects)
    assert list(res.frame["time"]) == [r[0] for r in ref]
    np.testing.assert_allclose(res.frame["lat"], [r[1] for r in ref], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.frame["lon"], [r[2] for r in ref], rtol=0, atol=1e-12)
    said = " ".join(res.notes)
    assert "1 activity parking" in said and "1 child visits" in said


def test_an_android_segment_gives_its_path_its_visit_and_its_parking(tmp_path):
    timeline = {
        "semanticSegments": [
            {
                "startTime": "2024-03-01T08:00:00.000+01:00",
                "endTime": "2024-03-01T09:00:00.000+01:00",
                "timelinePath": [
                    {"point": "51.5000000°, 0.1000000°", "time": "2024-03-01T08:10:00.000+01:00"}
                ],
                "visit": {"topCandidate": {"placeLocation": {"latLng": "51.5100000°, 0.1000000°"}}},
            },
            {
                "startTime": "2024-03-01T09:00:00.000+01:00",
                "endTime": "2024-03-01T09:20:00.000+01:00",
                "activity": {
                    "start": {"latLng": "51.5100000°, 0.1000000°"},
                    "end": {"latLng": "51.5300000°, 0.1100000°"},
                    "parking": {
                        "location": {"latLng": "51.5301000°, 0.1101000°"},
                        "startTime": "2024-03-01T09:22:00.000+01:00",
                    },
                },
            },
        ]
    }  # fmt: skip
    path = tmp_path / "Timeline.json"
    path.write_text(json.dumps(timeline, indent=2, ensure_ascii=False))
    res = read_tracks(path)
    assert_accounted(res)

    def at(t: str) -> pd.Timestamp:
        return pd.Timestamp(datetime.fromisoformat(t).astimezone(UTC))

    want = [  # the visit's departure repeats the activity's start: one kept, one a duplicate
        (at("2024-03-01T08:00:00+01:00"), 51.51, 0.1),
        (at("2024-03-01T08:10:00+01:00"), 51.5, 0.1),
        (at("2024-03-01T09:00:00+01:00"), 51.51, 0.1),
        (at("2024-03-01T09:20:00+01:00"), 51.53, 0.11),
        (at("2024-03-01T09:22:00+01:00"), 51.5301, 0.1101),
    ]
    assert list(res.frame["time"]) == [w[0] for w in want]
    np.testing.assert_allclose(res.frame["lat"], [w[1] for w in want], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.frame["lon"], [w[2] for w in want], rtol=0, atol=1e-12)
    assert res.rejects["rule"].tolist() == ["duplicate"]


@pytest.mark.parametrize(
    ("coord", "when", "rule", "column"),
    [
        ("5.01 <b>9</b>2.01 0", "2024-03-01T10:05:00Z", "coord_unparseable", "lat"),
        ("5.01 2.01 0", "2024-03-01T10:05:00Z<x/>", "time_unparseable", "time"),
        ("5.01,2.01,0", "2024-03-01T10:05:00Z", "coord_unparseable", "lat"),
    ],
    ids=["element-in-coord", "element-in-when", "commas"],
)
def test_a_coord_or_when_not_as_kml_writes_it_is_rejected_as_written(
    tmp_path, coord, when, rule, column
):
    body = f"""<Placemark><name>X</name>
<gx:Track>
<when>2024-03-01T10:00:00Z</when><gx:coord>5 2 0</gx:coord>
<when>{when}</when><gx:coord>{coord}</gx:coord>
</gx:Track></Placemark>"""
    text = kml_document(body)
    path = tmp_path / "odd.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    # an element inside cleared the text before it: "5.01 <b>9</b>2.01 0" was read as
    # longitude 2.01, latitude 0; commas gave "latitude missing" for a latitude written
    (bad,) = res.rejects.itertuples()
    assert (bad.rule, bad.column, bad.row) == (rule, column, line_of(text, f"<when>{when}"))
    (good,) = res.frame.itertuples()
    assert (good.lon, good.lat) == (5.0, 2.0)


def test_an_android_export_part_that_is_no_array_is_said_not_passed_over(tmp_path):
    timeline = {
        "semanticSegments": [
            {
                "startTime": "2024-03-01T08:00:00.000+01:00",
                "endTime": "2024-03-01T09:00:00.000+01:00",
                "timelinePath": [{"point": "51.5°, 0.1°", "time": "2024-03-01T08:10:00.000+01:00"}],
            }
        ],
        "rawSignals": {"position": {"LatLng": "51.6°, 0.1°", "timestamp": "2024-03-01T07:00Z"}},
    }
    path = tmp_path / "Timeline.json"
    path.write_text(json.dumps(timeline, indent=2, ensure_ascii=False))
    res = read_tracks(path)
    assert_accounted(res)
    assert len(res.frame) == 1
    # a rawSignals object (not the array of signals) was neither read nor counted
    assert any("not read: 1 rawSignals" in n for n in res.notes)


def test_a_track_inside_a_track_is_refused_not_read_with_a_point_lost(tmp_path):
    inner = "<gx:Track><when>2024-03-01T10:05:00Z</when><gx:coord>5.01 2.01 0</gx:coord></gx:Track>"
    body = TRACK.replace(
        "<gx:coord>1.0 2.0 0</gx:coord>", f"<gx:coord>1.0 2.0 0</gx:coord>\n{inner}"
    )
    text = kml_document(body)
    path = tmp_path / "nested.kml"
    path.write_text(text)
    # was: the inner track's start cleared the outer's first point (dropped unsaid) and the
    # inner's point was given twice (a duplicate reject)
    line = line_of(text, inner)
    with pytest.raises(SourceUnreadable, match=f"a track inside a track at line {line}"):
        read_tracks(path)


def test_records_json_with_a_location_lacking_its_position_is_still_records_json(tmp_path):
    locations = [
        {"timestamp": "2022-03-01T09:59:00Z", "activity": [{"type": "STILL"}]},  # no position
        {"latitudeE7": 515074000, "longitudeE7": -1278000, "timestamp": "2022-03-01T10:00:00Z"},
    ]
    path = tmp_path / "Records.json"
    text = json.dumps({"locations": locations}, indent=2)
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    assert any("Records.json locations" in n for n in res.notes)
    (bad,) = res.rejects.itertuples()
    assert bad.rule == "coord_missing" and bad.row == line_of(
        text, '"timestamp": "2022-03-01T09:59', 1
    )
    assert res.frame["lat"].tolist() == [515074000 / 1e7]


def test_raw_signals_position_spelled_latlng_and_a_start_without_offset(tmp_path):
    timeline = {
        "rawSignals": [
            {"position": {"latLng": "51.5°, -0.1°", "timestamp": "2024-03-01T07:00:00.000Z"}},
            {"position": {"LatLng": "51.5001°, -0.1°", "timestamp": "2024-03-01T07:01:00.000Z"}},
        ]
    }
    path = tmp_path / "Timeline.json"
    path.write_text(json.dumps(timeline, ensure_ascii=False))
    res = read_tracks(path)
    assert res.rejects.empty
    assert res.frame["lat"].tolist() == [51.5, 51.5001]
    # an iOS segment's start without its offset: its points' times are unknown, rejected
    segments = json.loads(json.dumps(IOS[:1]))
    segments[0]["startTime"] = "2024-03-01T08:00:00.000"
    path = tmp_path / "location-history.json"
    path.write_text(json.dumps(segments, indent=2))
    res = read_tracks(path)
    assert res.frame.empty and set(res.rejects["rule"]) == {"time_unparseable"}


def _kmz_bytes(members: dict[str, str]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"trip.kml": "TRACK", "files/old.kml": "<kml/>"},
        {"a.kml": "<kml/>", "doc.kml": "TRACK"},
    ],
    ids=["one-at-top", "doc-kml-first"],
)
def test_a_kmz_reads_its_one_top_document_or_its_doc_kml(tmp_path, members):
    path = tmp_path / "trip.kmz"
    path.write_bytes(
        _kmz_bytes({k: kml_document(TRACK) if v == "TRACK" else v for k, v in members.items()})
    )
    res = read_tracks(path)
    assert res.frame["lon"].tolist() == [1.0, 1.01]


def test_a_folders_name_never_names_a_placemarks_track_and_four_values_are_no_coord(tmp_path):
    body = f"<Folder>{TRACK}<name>Folder named late</name></Folder>"
    body = body.replace("<gx:coord>1.01 2.0 0</gx:coord>", "<gx:coord>1.01 2.0 0 7</gx:coord>")
    text = kml_document(body)
    path = tmp_path / "f.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    assert set(res.frame["vessel_id"]) == {"Skiff"}
    (bad,) = res.rejects.itertuples()
    assert bad.rule == "coord_unparseable" and "1.01 2.0 0 7" in bad.value


def test_a_position_of_a_long_run_of_spaces_is_matched_in_linear_time():
    # the position pattern alone (the tracks reader's later parsing of such a reject's text
    # is slower still, and not this reader's)
    from pipeline.ingest._location_history import location_history_records

    hostile = "51.5°, -0.1" + " " * 30_000 + "x"  # seconds to fail before (quadratic)
    value = {
        "rawSignals": [
            {"position": {"LatLng": hostile, "timestamp": "2024-03-01T07:00:00.000Z"}},
            {"position": {"LatLng": "51.5°, -0.1°", "timestamp": "2024-03-01T07:01:00.000Z"}},
        ]
    }
    text = json.dumps(value, ensure_ascii=False)
    began = time.process_time()
    got = location_history_records(text, 0, value, "Timeline.json")
    assert time.process_time() - began < 2
    assert got is not None
    records = got[0]
    assert [r["latitude"] for r in records] == [hostile, "51.5"]  # as written, then rejected
