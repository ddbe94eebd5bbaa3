"""Google's location history exports as position records: Timeline and Takeout.

A phone's location history is a track an analyst is handed (a seized phone, a courier's
export).  Google writes it in four shapes, none of them a table of positions:

* Android's on-device Timeline export (``Timeline.json``, from 2024): ``semanticSegments``,
  each a time span (``startTime``, ``endTime``) holding a ``timelinePath`` of points
  (``"point": "51.5074123°, -0.1277583°"`` with their ``time``), a ``visit`` to a place
  (``topCandidate.placeLocation.latLng``) or an ``activity`` from ``start.latLng`` to
  ``end.latLng``; ``rawSignals``, measured ``position`` fixes (``LatLng``, ``timestamp``,
  ``accuracyMeters``, ``speedMetersPerSecond``) beside Wi-Fi scans and activity records,
  which hold no position; ``userLocationProfile`` (frequent places, no times);
* the iOS export (``location-history.json``): an array of such segments, positions written
  ``geo:51.507412,-0.127758``, path points timed in whole minutes after their segment's start
  (``durationMinutesOffsetFromStartTime``);
* Takeout's raw ``Records.json``: ``locations``, one fix each (``latitudeE7``,
  ``timestamp``, ``accuracy``, ``velocity`` in m/s, ``heading``, ``deviceTag``) beside the
  ``serverTimestamp`` of its upload;
* Takeout's Semantic Location History (``2024_JANUARY.json``): ``timelineObjects`` of
  ``activitySegment`` (``startLocation``, ``endLocation``, ``duration``,
  ``simplifiedRawPath.points``) and ``placeVisit`` (``location``, ``duration``), positions in
  degrees x 10^7, times ISO 8601 or (older exports) epoch milliseconds (``startTimestampMs``),
  read as UTC.

Read as records of keys, these gave a refusal (three arrays of records in one object), a
place of one kind paired with a time of another (every record rejected), or metres per
second read as knots.  Here every
position the export gives a time for becomes one record: a path point or a raw fix at its
time, a visit's place at its arrival and at its departure (the phone stayed there), an
activity's start and end at theirs and its parking (Android's ``parking``, Takeout's
``parkingEvent``) at its own; a segment or object holding several of these gives each.  Nothing is interpolated and nothing is moved.  Each
record keeps the physical line where its object starts (a visit's and an activity's two are
at their segment's line), its kind (``record``) and its accuracy in metres where given, and
goes through the same parsing and rejects as any JSON record: a position or a time that
does not parse is a reject at its line with its text.  A history is one device's: its
records are one track named after the file (the config's ``vessel_id`` names it otherwise).
What holds no position (Wi-Fi scans, activity records, the location profile, a segment
without a place, a trip's ``timelineMemory``) is counted in a note, never read as a position;
so are Takeout's child visits (places inside a visit whose own place is read).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import numpy as np

__all__ = ["location_history_records"]

#: Android's ``"51.5074123°, -0.1277583°"`` (the degree signs may be missing).  One way only
#: to match each run of spaces: ``\s*°?\s*`` split a run two ways at every length, and a
#: value of 16,000 spaces took 3.4 s to fail (quadratic: a hostile megabyte, hours).
_LATLNG = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:°\s*)?,\s*([+-]?\d+(?:\.\d+)?)\s*(?:°\s*)?$")
#: iOS's ``geo:51.507412,-0.127758`` (RFC 5870 URI, without its optional altitude or params).
_GEO_URI = re.compile(r"^\s*geo:\s*([+-]?\d+(?:\.\d+)?)\s*,\s*([+-]?\d+(?:\.\d+)?)\s*$")

#: The keys that mark an object as one of Google's exports (and not an API answer).
_ANDROID_KEYS = ("semanticSegments", "rawSignals")
_TAKEOUT_KEY = "timelineObjects"
#: An iOS segment's keys: its span, and one of the things it holds.
_IOS_HOLDS = ("timelinePath", "visit", "activity")


def _is_ios_segments(records: list[dict]) -> bool:
    """Whether an array's objects are iOS Timeline segments: spans holding geo: positions.

    Every object is a span; a span may hold no place (``timelineMemory``, a trip's summary,
    is in most real exports: requiring a place of each had a whole history refused for "no
    latitude/longitude columns").
    """
    if not records or not all("startTime" in rec and "endTime" in rec for rec in records):
        return False
    return any(any(k in rec for k in _IOS_HOLDS) and _holds_geo_uri(rec) for rec in records)


def _holds_geo_uri(rec: dict) -> bool:
    path = rec.get("timelinePath")
    if isinstance(path, list) and path and isinstance(path[0], dict):
        return str(path[0].get("point", "")).lstrip().startswith("geo:")
    visit = rec.get("visit")
    if isinstance(visit, dict) and isinstance(visit.get("topCandidate"), dict):
        return str(visit["topCandidate"].get("placeLocation", "")).lstrip().startswith("geo:")
    activity = rec.get("activity")
    return isinstance(activity, dict) and str(activity.get("start", "")).lstrip().startswith("geo:")


class _Out:
    """The records found, their character offsets and the counts of what was not read."""

    def __init__(self, name: str) -> None:
        from ._json import json_number

        self.number = json_number
        self.name = name
        self.records: list[dict[str, Any]] = []
        self.offsets: list[int] = []
        self.kinds: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()
        self.by_device = False
        self.wrapped = 0

    def degrees(
        self, kind: str, at: int, text: Any, time: Any, pattern: re.Pattern, extra: dict
    ) -> None:
        """Add a record of a position written as degree text (``text``) at ``time``."""
        m = pattern.match(text) if isinstance(text, str) else None
        if m is not None:  # numbers as written, never locale text
            lat, lon = self.number(m.group(1)), self.number(m.group(2))
        else:  # its text goes on to be rejected as it reads, at its line
            lat = lon = "" if text is None else str(text)
        self.add(kind, at, {"latitude": lat, "longitude": lon}, time, extra)

    def add(
        self, kind: str, at: int, where: dict, time: Any, extra: dict, track: str | None = None
    ) -> None:
        rec: dict[str, Any] = {"track_id": track or self.name, "record": kind, "time": time}
        rec.update(self._signed_e7(where))
        rec.update({k: v for k, v in extra.items() if v is not None})
        self.records.append(rec)
        self.offsets.append(at)
        self.kinds[kind] += 1

    def _signed_e7(self, where: dict) -> dict:
        """Return ``where`` with Takeout's unsigned-written negative degrees x 10^7 signed.

        Takeout wrote some negative ``latitudeE7``/``longitudeE7`` as unsigned 32-bit
        numbers (``4294967295`` for -1, i.e. -1e-7 degrees: gis.stackexchange 318918), which
        its readers fix by subtracting 2^32; read as written they were rejected as out of
        range, a track's fixes west of Greenwich or south of the equator lost.  Only a value
        from 2^31 that is a latitude or longitude once signed is taken so.
        """
        out = dict(where)
        wrapped = False
        for key, limit in (("latitudeE7", 90), ("longitudeE7", 180)):
            v = out.get(key)
            if not (isinstance(v, str) and v.isascii() and v.isdigit() and len(v) == 10):
                continue
            n = int(v)
            if 2**31 <= n < 2**32 and 2**32 - n <= limit * 10**7:
                out[key] = self.number(str(n - 2**32))
                wrapped = True
        self.wrapped += wrapped
        return out


def location_history_records(
    text: str, start: int, value: Any, name: str
) -> tuple[list[dict], list[int], str, list[str]] | None:
    """Return the position records of a Google location history, their lines, layout, notes.

    ``value`` is the file's decoded JSON (an object, or the list of an array's objects);
    ``start`` where it begins in ``text``.  None when it is not one of the shapes above.
    """
    if isinstance(value, dict) and any(isinstance(value.get(k), list) for k in _ANDROID_KEYS):
        out, shape = _Out(name), "Google Timeline exported on Android (semanticSegments)"
        _android(text, value, out)
    elif isinstance(value, dict) and isinstance(value.get(_TAKEOUT_KEY), list):
        out, shape = _Out(name), "Google Takeout Semantic Location History (timelineObjects)"
        _takeout(text, value, out)
    elif isinstance(value, dict) and _is_records_json(value.get("locations")):
        out, shape = _Out(name), "Google Takeout Location History (Records.json locations)"
        _records_json(text, value, out)
    elif isinstance(value, list) and _is_ios_segments(value):
        out, shape = _Out(name), "Google Timeline exported on iOS (segments of geo: positions)"
        segments = _array_starts(text, start, value)
        _segments(value, segments, text, out, ios=True)
    else:
        return None
    newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype="<u4") == 10)
    lines = (np.searchsorted(newlines, np.asarray(out.offsets, dtype="int64")) + 1).tolist()
    told = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(out.kinds.items()))
    said = f"{name}: every position of the history with a time is a record ({told or 'none'})"
    if any(k.startswith(("visit", "activity")) for k in out.kinds):
        said += (
            ": a visit is its place at arrival and at departure, an activity its start and end "
            "(and where its car was parked, at that time, where given) "
            "(a segment's end repeats the next one's start: the repeat is rejected as a "
            "duplicate)"
        )
    if out.by_device:
        said += "; each fix at its own timestamp, one track per deviceTag (the file's without)"
    else:
        said += f"; one device's history, one track named {name!r} unless vessel_id is set"
    notes = [said]
    if out.wrapped:
        notes.append(
            f"{name}: {out.wrapped} position(s) with a latitudeE7/longitudeE7 from 2^31 up, "
            "Takeout's negative numbers written unsigned, read signed (value - 2^32: "
            "4294967295 is -1e-7 degrees), as its readers do"
        )
    if out.passed:
        passed = ", ".join(f"{n} {k}" for k, n in sorted(out.passed.items()))
        notes.append(f"{name}: not positions, not read: {passed}")
    return out.records, lines, shape, notes


def _array_starts(text: str, start: int, expected: list) -> list[int]:
    """Return where each element of the array at ``start`` begins (it holds ``expected``)."""
    from ._json import array_values_at

    found, starts = array_values_at(text, start)  # the array the caller decoded: the same
    return starts if len(found) == len(expected) else [start] * len(expected)


def _nested_starts(text: str, key: str, expected: list[list]) -> list[list[int]] | None:
    """Return the starts of the elements of every array under ``key``, in document order.

    ``expected`` holds those arrays as decoded, in document order.  An array found under the
    key that is not the next one expected (a key of the same name elsewhere) is passed over;
    None when they are not all found (a key written with escapes): the caller then uses its
    segment's line.  A key's name is matched only where a key can stand (a quote inside a
    string is escaped).
    """
    from ._json import array_values_at

    out: list[list[int]] = []
    for m in re.finditer(rf'"{re.escape(key)}"\s*:\s*\[', text):
        if len(out) == len(expected):
            break
        try:
            found, starts = array_values_at(text, m.end() - 1)
        except (ValueError, RecursionError):
            continue
        if found == expected[len(out)]:
            out.append(starts)
    return out if len(out) == len(expected) else None


def _top_array_starts(text: str, key: str, value: list) -> list[int]:
    """Return the starts of the elements of a top-level array (segment lines).

    Where its key is not found as written (escaped), every element is put at the file's start.
    """
    found = _nested_starts(text, key, [value])
    return found[0] if found else [0] * len(value)


def _android(text: str, obj: dict, out: _Out) -> None:
    segments = obj.get("semanticSegments")
    if isinstance(segments, list):
        seg_starts = _top_array_starts(text, "semanticSegments", segments)
        _segments(segments, seg_starts, text, out, ios=False)
    signals = obj.get("rawSignals")
    if isinstance(signals, list):
        sig_starts = _top_array_starts(text, "rawSignals", signals)
        for sig, at in zip(signals, sig_starts, strict=True):
            pos = sig.get("position") if isinstance(sig, dict) else None
            if not isinstance(pos, dict):
                kind = next(iter(sig), "empty") if isinstance(sig, dict) and sig else "empty"
                out.passed[f"rawSignals {kind}"] += 1
                continue
            out.degrees(
                "raw_position",
                at,
                pos.get("LatLng", pos.get("latLng")),
                pos.get("timestamp"),
                _LATLNG,
                {
                    "accuracy_m": pos.get("accuracyMeters"),
                    "speed_m_s": pos.get("speedMetersPerSecond"),
                },
            )
    for key, value in obj.items():  # one of the two not an array: said, not passed over
        if key not in ("semanticSegments", "rawSignals") or not isinstance(value, list):
            out.passed[key] += 1


def _segments(segments: list, starts: list[int], text: str, out: _Out, *, ios: bool) -> None:
    """Add the records of Timeline segments (Android's or iOS's)."""
    pattern = _GEO_URI if ios else _LATLNG
    paths = [
        s["timelinePath"] for s in map(_obj, segments) if isinstance(s.get("timelinePath"), list)
    ]
    point_starts = _nested_starts(text, "timelinePath", paths) if paths else []
    k = 0
    for seg_any, at in zip(segments, starts, strict=True):
        seg = _obj(seg_any)
        # a segment's path, visit and activity each (a visit beside a path was dropped unsaid)
        path, visit, activity = seg.get("timelinePath"), seg.get("visit"), seg.get("activity")
        if isinstance(path, list):
            where = point_starts[k] if point_starts else [at] * len(path)
            k += 1
            for p_any, p_at in zip(path, where, strict=True):
                point = _obj(p_any)
                time = point.get("time")
                if ios:
                    time = _after_start(seg.get("startTime"), point)
                out.degrees("path_point", p_at, point.get("point"), time, pattern, {})
        if isinstance(visit, dict):
            top = visit.get("topCandidate")
            place = top.get("placeLocation") if isinstance(top, dict) else None
            for end, stamp in (("arrival", "startTime"), ("departure", "endTime")):
                out.degrees(f"visit_{end}", at, _lat_lng(place), seg.get(stamp), pattern, {})
        if isinstance(activity, dict):
            for end, stamp in (("start", "startTime"), ("end", "endTime")):
                where_ = _lat_lng(activity.get(end))
                out.degrees(f"activity_{end}", at, where_, seg.get(stamp), pattern, {})
            parking = _obj(activity.get("parking"))
            if parking:  # where the car was left, at its own time
                where_ = _lat_lng(parking.get("location"))
                out.degrees("activity_parking", at, where_, parking.get("startTime"), pattern, {})
        if isinstance(path, list) or isinstance(visit, dict) or isinstance(activity, dict):
            continue
        if seg:
            out.passed["segments without a place"] += 1
        else:  # no object, or an empty one: a record with nothing, rejected at its line
            out.degrees("segment", at, None, None, pattern, {})


def _lat_lng(place: Any) -> Any:
    """Return a place's position text: Android's ``{"latLng": ...}`` or iOS's text itself."""
    return place.get("latLng") if isinstance(place, dict) else place


def _after_start(start: Any, point: dict) -> Any:
    """Return an iOS path point's time: its segment's start plus its whole minutes.

    The start's own offset is kept (``2024-03-01T08:00:00.000+01:00`` + 2 min is
    ``2024-03-01T08:02:00+01:00``).  A start or an offset that does not parse gives the
    text of both, which the time parser then rejects at the point's line.
    """
    minutes = point.get("durationMinutesOffsetFromStartTime")
    try:
        t0 = datetime.fromisoformat(str(start).strip().replace("Z", "+00:00"))
        step = float(str(minutes))
        if t0.tzinfo is None or not np.isfinite(step):
            return f"{start} + {minutes} min"
        return (t0 + timedelta(minutes=step)).isoformat()
    except (TypeError, ValueError, OverflowError):  # beyond year 9999: a traceback it was
        return f"{start} + {minutes} min"


def _takeout(text: str, obj: dict, out: _Out) -> None:
    objects = obj[_TAKEOUT_KEY]
    starts = _top_array_starts(text, _TAKEOUT_KEY, objects)
    raw_paths = [
        seg["simplifiedRawPath"]["points"]
        for o in map(_obj, objects)
        for seg in (o.get("activitySegment"), o.get("placeVisit"))
        if isinstance(seg, dict)
        and isinstance(seg.get("simplifiedRawPath"), dict)
        and isinstance(seg["simplifiedRawPath"].get("points"), list)
    ]
    raw_starts = _nested_starts(text, "points", raw_paths) if raw_paths else []
    k = 0
    for o_any, at in zip(objects, starts, strict=True):
        o = _obj(o_any)
        # each part an object holds, in the order the raw paths were gathered: an object of
        # both had its visit dropped unsaid, and the next object's raw path paired with the
        # visit's points (a ValueError where their counts differed)
        parts = [
            (k_, o[k_]) for k_ in ("activitySegment", "placeVisit") if isinstance(o.get(k_), dict)
        ]
        if not parts:
            if o:
                out.passed[next(iter(o))] += 1
            else:  # no object, or an empty one: a record with nothing, rejected at its line
                _e7(out, "timeline_object", at, None, None)
            continue
        for key, part in parts:
            k = _takeout_part(out, at, key == "activitySegment", part, raw_starts, k)


def _takeout_part(
    out: _Out, at: int, is_act: bool, part: dict, raw_starts: list[list[int]] | None, k: int
) -> int:
    """Add the records of one ``activitySegment`` or ``placeVisit``; return the next raw path."""
    span = _obj(part.get("duration"))
    if is_act:
        for end, key in (("start", "startLocation"), ("end", "endLocation")):
            _e7(out, f"activity_{end}", at, part.get(key), _stamp(span, f"{end}Timestamp"))
        parking = _obj(part.get("parkingEvent"))
        if parking:  # where the car was left, at its own time
            _e7(out, "activity_parking", at, parking.get("location"), _stamp(parking, "timestamp"))
    else:
        for end, key in (("arrival", "startTimestamp"), ("departure", "endTimestamp")):
            _e7(out, f"visit_{end}", at, part.get("location"), _stamp(span, key))
        children = part.get("childVisits")
        if isinstance(children, list) and children:  # places inside this one, in its span
            out.passed["child visits (places inside a visit, its own read)"] += len(children)
    waypoints = _obj(part.get("waypointPath")).get("waypoints")
    if isinstance(waypoints, list) and waypoints:  # the route snapped to roads: no times
        out.passed["waypoints of activity paths (no time)"] += len(waypoints)
    raw = part.get("simplifiedRawPath")
    if isinstance(raw, dict) and isinstance(raw.get("points"), list):
        where = raw_starts[k] if raw_starts else [at] * len(raw["points"])
        k += 1
        for p_any, p_at in zip(raw["points"], where, strict=True):
            p = _obj(p_any)
            loc = {"latitudeE7": p.get("latE7"), "longitudeE7": p.get("lngE7")}
            extra = {"accuracy_m": p.get("accuracyMeters", p.get("accuracyMetres"))}
            _e7(out, "raw_path_point", p_at, loc, _stamp(p, "timestamp"), extra)
    return k


def _is_records_json(locations: Any) -> bool:
    """Whether ``locations`` is Records.json's: a list of objects with ``latitudeE7``."""
    return isinstance(locations, list) and any(
        isinstance(loc, dict) and "latitudeE7" in loc for loc in locations[:100]
    )


def _records_json(text: str, obj: dict, out: _Out) -> None:
    """Add the records of Takeout's raw ``Records.json``: one fix per element of ``locations``.

    Each fix's own ``timestamp`` (or ``timestampMs`` in exports before 2022) is its time, not
    the ``serverTimestamp``/``deviceTimestamp`` of its upload; ``velocity`` is metres per
    second (it had been read as knots: 10 m/s as 10 kn, not 19.4) and ``heading`` the
    direction of travel in degrees; ``deviceTag`` tells the devices of one account apart.
    """
    out.by_device = True
    locations = obj["locations"]
    starts = _top_array_starts(text, "locations", locations)
    for loc_any, at in zip(locations, starts, strict=True):
        loc = _obj(loc_any)
        device = loc.get("deviceTag")
        extra = {
            "accuracy_m": loc.get("accuracy"),
            "speed_m_s": loc.get("velocity"),
            "course_deg": loc.get("heading"),
        }
        where = {"latitudeE7": loc.get("latitudeE7"), "longitudeE7": loc.get("longitudeE7")}
        track = None if device is None else str(device)
        out.add("location", at, where, _stamp(loc, "timestamp"), extra, track)
    for key in obj:
        if key != "locations":
            out.passed[key] += 1


def _obj(value: Any) -> dict:
    """Return ``value`` when it is an object, else an empty one (a hostile file's element)."""
    return value if isinstance(value, dict) else {}


def _stamp(obj: dict, key: str) -> Any:
    """Return the time under ``key``, or else its epoch milliseconds under ``key + "Ms"``.

    Older exports write ``startTimestampMs: "1704441600000"``, newer ones ISO text; one
    history may hold both (months exported years apart), and as two columns the records of
    one kind were rejected for the time the other's column held: both go in one column,
    whose parser reads epoch numbers and ISO text alike.
    """
    value = obj.get(key)
    return obj.get(key + "Ms") if value is None else value


def _e7(out: _Out, kind: str, at: int, loc: Any, time: Any, extra: dict | None = None) -> None:
    """Add a record of a Takeout position in degrees x 10^7 (the columns say their scale)."""
    loc = loc if isinstance(loc, dict) else {}
    where = {"latitudeE7": loc.get("latitudeE7"), "longitudeE7": loc.get("longitudeE7")}
    out.add(kind, at, where, time, extra or {})
