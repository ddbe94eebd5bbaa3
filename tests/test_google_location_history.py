"""Google's location history exports are read as one device's track.

Android's on-device Timeline (``semanticSegments``/``rawSignals``) was refused for holding
three arrays of records, iOS's segments for having no latitude/longitude columns, and
Takeout's Semantic Location History paired a visit's place with an activity's time: every
record rejected.  Each position with a time is now one record at its physical line (a path
point's or raw fix's object; a visit's or activity's segment), values checked here against
the numbers written into the files and against ``datetime`` arithmetic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted, line_of

from pipeline.ingest import read_tracks
from pipeline.ingest.options import TrackSource


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(datetime.fromisoformat(text).astimezone(UTC))


ANDROID = {
    "semanticSegments": [
        {
            "startTime": "2024-03-01T08:00:00.000+01:00",
            "endTime": "2024-03-01T09:00:00.000+01:00",
            "timelinePath": [
                {"point": "51.5074123°, -0.1277583°", "time": "2024-03-01T08:02:00.000+01:00"},
                {"point": "51.5104123°, -0.1207583°", "time": "2024-03-01T08:04:00.000+01:00"},
            ],
        },
        {
            "startTime": "2024-03-01T09:00:00.000+01:00",
            "endTime": "2024-03-01T10:00:00.000+01:00",
            "visit": {
                "hierarchyLevel": 0,
                "topCandidate": {
                    "placeId": "ChIJx",
                    "semanticType": "UNKNOWN",
                    "placeLocation": {"latLng": "51.5204123°, -0.1107583°"},
                },
            },
        },
        {
            "startTime": "2024-03-01T10:00:00.000+01:00",
            "endTime": "2024-03-01T10:30:00.000+01:00",
            "activity": {
                "start": {"latLng": "51.5204123°, -0.1107583°"},
                "end": {"latLng": "51.5504°, -0.0807°"},
                "distanceMeters": 4100.0,
                "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.9},
            },
        },
        {"startTime": "2024-03-01T11:00:00.000+01:00", "endTime": "2024-03-01T12:00:00.000+01:00"},
    ],
    "rawSignals": [
        {
            "position": {
                "LatLng": "51.4974°, -0.1377°",
                "accuracyMeters": 13,
                "source": "GPS",
                "timestamp": "2024-03-01T07:58:00.000+01:00",
                "speedMetersPerSecond": 2.5,
            }
        },
        {"wifiScan": {"deliveryTime": "2024-03-01T07:58:00.000+01:00", "devicesRecords": []}},
        {"activityRecord": {"probableActivities": [{"type": "STILL", "confidence": 90}]}},
        {"position": {"LatLng": "north of here", "timestamp": "2024-03-01T07:59:00.000+01:00"}},
    ],
    "userLocationProfile": {"frequentPlaces": [{"placeId": "x", "label": "HOME"}]},
}


@pytest.fixture(scope="module")
def android(tmp_path_factory):
    path = tmp_path_factory.mktemp("tl") / "Timeline.json"
    text = json.dumps(ANDROID, indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path, text, read_tracks(path)


def test_an_android_timeline_is_read_as_one_track_of_every_timed_position(android):
    _, _, res = android
    assert_accounted(res)
    f = res.frame
    assert set(f["vessel_id"]) == {"Timeline.json"}
    # raw fix 07:58, path 08:02 and 08:04, visit 09:00-10:00, activity 10:00-10:30 (+01:00);
    # the activity's start repeats the visit's departure (10:00) and is the one rejected
    want = [
        ("2024-03-01T07:58:00+01:00", 51.4974, -0.1377),
        ("2024-03-01T08:02:00+01:00", 51.5074123, -0.1277583),
        ("2024-03-01T08:04:00+01:00", 51.5104123, -0.1207583),
        ("2024-03-01T09:00:00+01:00", 51.5204123, -0.1107583),
        ("2024-03-01T10:00:00+01:00", 51.5204123, -0.1107583),
        ("2024-03-01T10:30:00+01:00", 51.5504, -0.0807),
    ]
    assert list(f["time"]) == [_utc(t) for t, _, _ in want]
    np.testing.assert_allclose(f["lat"], [w[1] for w in want], rtol=0, atol=1e-12)
    np.testing.assert_allclose(f["lon"], [w[2] for w in want], rtol=0, atol=1e-12)
    # the raw fix's 2.5 m/s in knots (1 kn = 1852 m / 3600 s); the others say no speed
    assert f["sog_kn"].iloc[0] == pytest.approx(2.5 * 3600 / 1852, rel=1e-12)
    assert f["sog_kn"].iloc[1:].isna().all()


def test_each_record_is_at_its_objects_line_and_bad_text_is_a_reject(android):
    _, text, res = android
    # json.dumps(indent=2) writes an object's "{" on the line before its first key
    lines = res.lines.tolist()
    segment_2 = line_of(text, '"startTime": "2024-03-01T09:00:00.000+01:00"', before=1)
    assert lines == [
        line_of(text, '"LatLng": "51.4974°', before=2),  # {"position": {"LatLng"
        line_of(text, '"point": "51.5074123°', before=1),
        line_of(text, '"point": "51.5104123°', before=1),
        segment_2,
        segment_2,
        line_of(text, '"startTime": "2024-03-01T10:00:00.000+01:00"', before=1),
    ]
    rej = res.rejects.set_index("rule")
    assert set(rej.index) == {"duplicate", "coord_unparseable"}
    bad = rej.loc["coord_unparseable"]
    assert bad["row"] == line_of(text, '"LatLng": "north of here"', before=2)
    assert "north of here" in bad["value"]
    assert rej.loc["duplicate"]["row"] == line_of(
        text, '"startTime": "2024-03-01T10:00:00.000+01:00"', before=1
    )


def test_what_holds_no_position_is_counted_not_read(android):
    _, _, res = android
    said = " ".join(res.notes)
    for part in (
        "1 rawSignals wifiScan",
        "1 rawSignals activityRecord",
        "1 userLocationProfile",
        "1 segments without a place",
        "2 path point",
        "2 raw position",
    ):
        assert part in said, part
    assert res.n_read == 8  # 2 path points, 2 raw fixes, 2 of the visit, 2 of the activity


def test_the_configs_vessel_id_names_the_history(android):
    path, _, _ = android
    res = read_tracks(TrackSource(path=path, vessel_id="phone-7"))
    assert set(res.frame["vessel_id"]) == {"phone-7"}


IOS = [
    {
        "startTime": "2024-03-01T08:00:00.000+05:30",
        "endTime": "2024-03-01T09:00:00.000+05:30",
        "timelinePath": [
            {"point": "geo:19.076090,72.877426", "durationMinutesOffsetFromStartTime": "2"},
            {"point": "geo:19.086090,72.887426", "durationMinutesOffsetFromStartTime": "59"},
            {"point": "geo:19.096090", "durationMinutesOffsetFromStartTime": "61"},
        ],
    },
    {
        "startTime": "2024-03-01T09:00:00.000+05:30",
        "endTime": "2024-03-01T11:15:00.000+05:30",
        "visit": {
            "hierarchyLevel": "0",
            "probability": "0.8",
            "topCandidate": {"probability": "0.9", "placeLocation": "geo:19.1,72.9"},
        },
    },
]


def test_an_ios_timeline_times_its_points_from_their_segments_start(tmp_path):
    path = tmp_path / "location-history.json"
    text = json.dumps(IOS, indent=2)
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    start = datetime.fromisoformat("2024-03-01T08:00:00+05:30")
    want_t = [start + timedelta(minutes=m) for m in (2, 59)]
    want_t += [
        datetime.fromisoformat(t) for t in ("2024-03-01T09:00+05:30", "2024-03-01T11:15+05:30")
    ]
    assert list(res.frame["time"]) == [pd.Timestamp(t.astimezone(UTC)) for t in want_t]
    np.testing.assert_allclose(res.frame["lat"], [19.07609, 19.08609, 19.1, 19.1], atol=1e-12)
    np.testing.assert_allclose(res.frame["lon"], [72.877426, 72.887426, 72.9, 72.9], atol=1e-12)
    # a geo: URI without its longitude: rejected at its point's line with its text
    (bad,) = res.rejects.itertuples()
    assert bad.rule == "coord_unparseable" and "geo:19.096090" in bad.value
    assert bad.row == line_of(text, '"point": "geo:19.096090"', before=1)


def test_an_array_of_spans_without_geo_positions_is_records_as_before(tmp_path):
    path = tmp_path / "trips.json"
    rows = [
        {"startTime": "2024-03-01T08:00:00Z", "endTime": "2024-03-01T09:00:00Z",
         "activity": "drive", "vessel": "A", "lat": 10.5, "lon": 20.5},
        {"startTime": "2024-03-01T09:00:00Z", "endTime": "2024-03-01T10:00:00Z",
         "activity": "stop", "vessel": "A", "lat": 10.6, "lon": 20.6},
    ]  # fmt: skip
    path.write_text(json.dumps(rows))
    res = read_tracks(path)
    assert len(res.frame) == 2
    assert not any("history" in n for n in res.notes)
    np.testing.assert_allclose(res.frame["lat"], [10.5, 10.6])


def _takeout() -> dict:
    def e7(lat, lon):
        return {"latitudeE7": round(lat * 1e7), "longitudeE7": round(lon * 1e7)}

    return {
        "timelineObjects": [
            {
                "activitySegment": {
                    "startLocation": e7(-33.8688, 151.2093),
                    "endLocation": e7(-33.8500, 151.2500),
                    "duration": {
                        "startTimestampMs": "1704441600000",  # 2024-01-05T08:00:00Z
                        "endTimestampMs": "1704443400000",  # 08:30
                    },
                    "activityType": "IN_PASSENGER_VEHICLE",
                    "waypointPath": {"waypoints": [{"latE7": 1, "lngE7": 2}] * 3},
                    "simplifiedRawPath": {
                        "points": [
                            {
                                "latE7": -338600000,
                                "lngE7": 1512300000,
                                "accuracyMeters": 9,
                                "timestampMs": "1704442200000",
                            },  # 08:10
                        ]  # fmt: skip
                    },
                }
            },
            {
                "placeVisit": {
                    "location": {**e7(-33.8500, 151.2500), "name": "=HYPERLINK(1)"},
                    "duration": {
                        "startTimestamp": "2024-01-05T08:30:00Z",
                        "endTimestamp": "2024-01-05T09:45:00.123Z",
                    },
                }
            },
        ]
    }


def test_a_takeout_semantic_history_is_read_in_degrees_with_its_raw_path(tmp_path):
    path = tmp_path / "2024_JANUARY.json"
    text = json.dumps(_takeout(), indent=2)
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    f = res.frame
    ms = [1704441600000, 1704442200000, 1704443400000]
    want_t = [pd.Timestamp(m, unit="ms", tz="UTC") for m in ms]
    want_t.append(pd.Timestamp("2024-01-05T09:45:00.123Z"))
    assert list(f["time"]) == want_t
    np.testing.assert_allclose(f["lat"], [-33.8688, -33.86, -33.85, -33.85], atol=1e-12)
    np.testing.assert_allclose(f["lon"], [151.2093, 151.23, 151.25, 151.25], atol=1e-12)
    # the visit's arrival repeats the activity's end (same place, same time): one kept
    (dup,) = res.rejects.itertuples()
    assert dup.rule == "duplicate"
    assert dup.row == line_of(text, '"placeVisit"', before=1)
    assert any("degrees x 10^7" in n for n in res.notes)
    assert any("3 waypoints of activity paths (no time)" in n for n in res.notes)


def test_hostile_elements_are_rejected_at_their_lines_never_a_traceback(tmp_path):
    obj = _takeout()
    seg = obj["timelineObjects"][0]["activitySegment"]
    seg["duration"]["endTimestampMs"] = "17044434OO000"  # letters O for zeros
    seg["simplifiedRawPath"]["points"].append(7)
    obj["timelineObjects"] += [None, {"unknownSegment": {}}]
    path = tmp_path / "2023_MARCH.json"
    text = json.dumps(obj, indent=2)
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    rules = res.rejects.sort_values("row")[["row", "rule", "value"]].values.tolist()
    first = line_of(text, '"activitySegment"', before=1)
    assert [r[1] for r in rules] == ["time_unparseable", "coord_missing", "coord_missing"]
    assert rules[0][0] == first and "17044434OO000" in rules[0][2]
    assert rules[1][0] == line_of(text, " 7\n")  # the number among the points
    assert rules[2][0] == line_of(text, "null")
    assert any("1 unknownSegment" in n for n in res.notes)
    # the same visit and raw path point as before, nothing moved
    np.testing.assert_allclose(res.frame["lat"], [-33.8688, -33.86, -33.85, -33.85], atol=1e-12)


@pytest.mark.parametrize("escaped", [False, True], ids=["other-key", "escaped-key"])
def test_a_key_of_the_same_name_elsewhere_is_passed_over(tmp_path, escaped):
    obj = json.loads(json.dumps(ANDROID))
    # a profile written before the segments with a path of its own (not a segment's)
    obj = {"deviceProfile": {"timelinePath": [{"point": "1°, 1°"}]}, **obj}
    path = tmp_path / "Timeline.json"
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    if escaped:  # the segments' key written with an escape: their points at their segment's line
        text = text.replace('"timelinePath": [\n        {', '"timeline\\u0050ath": [\n        {')
    path.write_text(text)
    res = read_tracks(path)
    seg_line = line_of(text, '"startTime": "2024-03-01T08:00:00.000+01:00"', before=1)
    if escaped:
        assert res.lines.tolist()[1:3] == [seg_line, seg_line]
    else:
        assert res.lines.tolist()[1:3] == [
            line_of(text, '"point": "51.5074123°', before=1),
            line_of(text, '"point": "51.5104123°', before=1),
        ]
    np.testing.assert_allclose(res.frame["lat"].iloc[1:3], [51.5074123, 51.5104123], atol=1e-12)


def test_records_json_reads_each_fix_at_its_own_time_speed_in_metres_per_second(tmp_path):
    def fix(lat, lon, device, **kw):
        return {
            "latitudeE7": round(lat * 1e7),
            "longitudeE7": round(lon * 1e7),
            "accuracy": 12,
            "velocity": 10,
            "heading": 45,
            "source": "GPS",
            "deviceTag": device,
            "serverTimestamp": "2022-03-02T00:00:00Z",  # the upload's, never the fix's
            **kw,
        }

    locations = [
        fix(51.5074, -0.1278, -1849284, timestamp="2022-03-01T10:00:00Z"),
        fix(51.5084, -0.1268, -1849284, timestamp="2022-03-01T10:01:00.5Z"),
        fix(51.5094, -0.1258, -1849284, timestampMs="1646129000000"),  # an older fix's key
        fix(48.8566, 2.3522, 77, timestamp="2022-03-01T10:00:00Z"),  # another device
    ]
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": locations}, indent=2))
    res = read_tracks(path)
    assert_accounted(res)
    assert res.rejects.empty
    f = res.frame.set_index("vessel_id")
    assert sorted(f.index.unique()) == ["-1849284", "77"]
    want = ["2022-03-01T10:00:00Z", "2022-03-01T10:01:00.5Z"]
    want_t = [pd.Timestamp(t) for t in want] + [pd.Timestamp(1646129000000, unit="ms", tz="UTC")]
    assert list(f.loc["-1849284", "time"]) == want_t
    np.testing.assert_allclose(f.loc["-1849284", "lat"], [51.5074, 51.5084, 51.5094], atol=1e-12)
    # Google: velocity in metres per second; 1 kn = 1852 m / 3600 s
    np.testing.assert_allclose(res.frame["sog_kn"], 10 * 3600 / 1852, rtol=1e-12)
    np.testing.assert_allclose(res.frame["cog_deg"], 45.0)
    assert any("one track per deviceTag" in n for n in res.notes)


@pytest.mark.parametrize("shape", ["android", "ios", "takeout", "records"])
def test_a_location_history_given_as_seizures_is_refused(tmp_path, shape):
    from pipeline.errors import InputError
    from pipeline.ingest import read_seizures

    value = {
        "android": ANDROID,
        "ios": IOS,
        "takeout": _takeout(),
        "records": {"locations": [{"latitudeE7": 1, "longitudeE7": 2, "timestamp": "2024"}]},
    }[shape]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False))
    # an iOS history has no speed column: each position had been read as a seizure
    with pytest.raises(InputError, match="not incident records; give this file under inputs"):
        read_seizures(path)
