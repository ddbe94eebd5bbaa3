"""JSON records as a text table: JSON Lines (``.jsonl``, ``.ndjson``) and arrays of objects.

Position feeds and incident APIs hand out JSON more often than CSV: one object per line
(Barentswatch's AIS stream, most exports of a message queue), or one array of objects (an
API response saved to a file).  Each record becomes a row of text, exactly as a CSV row
would, and goes through the same column detection, parsing and rejects:

* numbers keep their text as written (``"12.50"``, an MMSI of 9 digits: never a float),
  and the table says which cells were numbers (:attr:`JsonTable.typed_numbers`): a JSON
  number is never locale text, ``1.234`` is one and a quarter whatever the strings say;
  ``true``/``false`` become ``"true"``/``"false"``; ``null`` and a missing key are missing;
* a nested object is flattened into dotted columns (``{"position": {"lat": 1}}`` gives
  ``position.lat``); an array value is kept as its JSON text (no column is read from it);
* JSON Lines: each non-blank line is one record, at its physical line; a line that is not
  valid JSON, or not an object, is a reject (``malformed_json``, ``not_a_json_object``) and
  the others are read.  An array: each object's line is the line where it starts; a syntax
  error anywhere refuses the file (the records after it cannot be found reliably).

The file is read whole (it is bounded by ``ingest.max_uncompressed_mb``, see
:func:`~pipeline.ingest._vector.open_source`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SourceUnreadable
from ..schema import REJECT_COLUMNS
from ._common import TextTable, decode_bytes, source_bytes
from ._location_history import location_history_records

__all__ = [
    "JsonTable",
    "array_values_at",
    "geometries_as_written",
    "json_number",
    "key_given_twice",
    "looks_like_json_records",
    "read_json_records",
]

_WS = re.compile(r"[ \t\n\r]*")
#: The dtype of the text columns :func:`~pipeline.ingest._common.read_text_table` gives.
_TEXT = pd.StringDtype(na_value=np.nan)


class _JsonNumber(str):
    """The text of a JSON number as written: a typed number, never locale text."""

    __slots__ = ()


class _DuplicateKey(json.JSONDecodeError):
    """An object gives a key twice: which of its values is meant is unknown."""

    def __init__(self, key: str, where: str = "in one object") -> None:
        self.key = key
        super().__init__(
            f"the key {key!r} is given twice {where} (which value holds is unknown)", "", 0
        )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Return the object of ``pairs``; a key given twice is an error, never the last wins."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


#: Parses only to find a key given twice: numbers are not converted.
_KEYS_ONLY = json.JSONDecoder(
    parse_float=len, parse_int=len, parse_constant=len, object_pairs_hook=_unique_keys
)


def key_given_twice(data: bytes, sequence: bool = False) -> str | None:
    """Return the first key some object of a JSON text gives twice, or None.

    GDAL (and most JSON readers) keep the last of two values under one key, another reader
    the first: a GeoJSON feature with two ``date`` properties is read with one of them
    without a word.  ``sequence``: one JSON text per line or record separator (GeoJSONSeq).
    Text that is not valid JSON gives None (its reader says what is wrong).

    >>> key_given_twice(b'{"a": 1, "b": {"c": 2, "c": 3}}')
    'c'
    """
    texts = [r for r in re.split(rb"[\x1e\n]", data) if r.strip()] if sequence else [data]
    for text in texts:
        try:
            _KEYS_ONLY.decode(text.decode("utf-8-sig", errors="replace"))
        except _DuplicateKey as exc:
            return exc.key
        except ValueError:
            continue
    return None


_DECODER = json.JSONDecoder(
    parse_float=_JsonNumber,
    parse_int=_JsonNumber,
    parse_constant=str,
    object_pairs_hook=_unique_keys,
)
#: The decoder without the check of keys: only to tell where a value ends.
_LENIENT = json.JSONDecoder(parse_float=_JsonNumber, parse_int=_JsonNumber, parse_constant=str)


def _as_written(value: Any) -> str:
    """Write a parsed JSON value back: numbers in their text as read, text in quotes."""
    if isinstance(value, _JsonNumber):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_as_written(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_as_written(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value)


def _holds_text(value: Any) -> bool:
    """Whether a parsed JSON value holds a string (a number written in quotes) at any depth."""
    if isinstance(value, list):
        return any(_holds_text(v) for v in value)
    return isinstance(value, str) and not isinstance(value, _JsonNumber)


def geometries_as_written(data: bytes, sequence: bool = False) -> list[tuple[str, bool]] | None:
    """Return each GeoJSON feature's geometry as written, for a reject to show.

    For every feature in file order: (the text of its ``coordinates``, or of its whole
    geometry when it has none; ``""`` for a null or absent geometry, and whether the
    coordinates hold text, ``"12.5"`` in quotes).  Numbers keep their text as written.
    ``sequence``: one feature per line or record separator (GeoJSONSeq).  None when the text
    is not a Feature, a FeatureCollection or a sequence of Features that parses.

    >>> geometries_as_written(b'{"type": "Feature", "geometry": {"coordinates": ["1.50", 2]}}')
    [('["1.50", 2]', True)]
    """
    texts = [r for r in re.split(rb"[\x1e\n]", data) if r.strip()] if sequence else [data]
    features: list[Any] = []
    try:
        for text in texts:
            obj = _LENIENT.decode(text.decode("utf-8-sig", errors="replace"))
            found = obj.get("features") if isinstance(obj, dict) and not sequence else None
            if isinstance(found, list):
                features += found
            else:
                features.append(obj)
    except ValueError:
        return None
    out = []
    for feature in features:
        if not isinstance(feature, dict):
            return None
        geometry = feature.get("geometry")
        if geometry is None:
            out.append(("", False))
        elif isinstance(geometry, dict) and "coordinates" in geometry:
            coords = geometry["coordinates"]
            out.append((_as_written(coords), _holds_text(coords)))
        else:
            out.append((_as_written(geometry), False))
    return out


@dataclass
class JsonTable(TextTable):
    """JSON records as a text table, with the cells that were JSON numbers."""

    #: Column -> True for each record whose value was a JSON number (columns with one only).
    typed_numbers: dict[str, np.ndarray] = field(default_factory=dict)


#: What marks a pretty-printed object as GeoJSON or Esri JSON: a GeoJSON object's ``type``,
#: or a ``features``/``geometry``/``coordinates`` key (an API answer of records has none).
#: A geometry's type (``Point``...) is no mark alone: records may have a ``type`` field
#: holding it (``"type": "Point"`` beside ``lat``/``lon``), and a GeoJSON geometry writes
#: its ``coordinates`` beside its type.
_GEO_KEYS = re.compile(
    r'"type"\s*:\s*"(?:Feature|FeatureCollection|GeometryCollection|Topology)"|"(?:features|'
    r'geometry|coordinates|geometries|spatialReference|arcs)"\s*:'
)


#: The ``type`` of a GeoJSON or TopoJSON object: read by GDAL, never as records (a one-line
#: TopoJSON's quantized ``coordinates`` read as records were taken for degrees) when the
#: object has one of the members that hold its shapes (``_GEO_MEMBERS``).  Without any it is
#: a record whose ``type`` field holds the word (``{"type": "Point", "mmsi": ..., "lat": ...,
#: "lon": ...}`` on a JSON Lines file's first line): GDAL refused such a file, missing its
#: ``coordinates``.
_GEO_TYPES = frozenset(
    {
        "Feature",
        "FeatureCollection",
        "GeometryCollection",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "Topology",
    }
)
_GEO_MEMBERS = (
    "coordinates",
    "geometry",
    "geometries",
    "properties",
    "features",
    "objects",
    "arcs",
)


def looks_like_json_records(head: bytes) -> bool:
    """Whether the start of a ``.json`` file is JSON records rather than GeoJSON.

    An array (``[``) is records; an object is GeoJSON when its first line is not a whole
    object and its start names GeoJSON's or Esri JSON's keys (a pretty-printed
    FeatureCollection; a pretty-printed API answer of records names none), or when its first
    line is a GeoJSON object or a TopoJSON ``Topology`` (its positions quantized: GDAL
    decodes them) with a member holding its shapes (a record whose ``type`` field is
    ``Point`` but with no ``coordinates`` is a record), and a vector layer for GDAL when it
    is Esri JSON (an ArcGIS REST query's ``features`` of ``attributes`` and ``geometry``
    with its ``spatialReference``, written on one line).
    """
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return True
    if not text.startswith("{"):
        return False
    try:
        first = json.loads(text.split("\n", 1)[0])
    except ValueError:  # pretty-printed: GeoJSON or Esri JSON say so near their start
        return _GEO_KEYS.search(text) is None
    if not isinstance(first, dict):
        return False
    kind = first.get("type")  # a record's may be a list or an object: no GeoJSON word
    if isinstance(kind, str) and kind in _GEO_TYPES and any(k in first for k in _GEO_MEMBERS):
        return False
    return not (  # Esri JSON: read by GDAL's ESRIJSON driver, its CRS and date fields typed
        isinstance(first.get("features"), list)
        and {"geometryType", "spatialReference", "fields"} & set(first)
    )


def read_json_records(
    path: Path,
    *,
    data: bytes | None = None,
    encoding: str | None = None,
    positions: bool = False,
) -> JsonTable:
    """Read JSON Lines or an array of objects as a :class:`JsonTable` (a text table).

    ``positions``: the file is read for a device's positions (a track), and a Google
    location history is read as such (:func:`location_history_records`); read for
    anything else (incidents), a location history is refused.

    Raises
    ------
    SourceUnreadable
        If the file is missing or empty, an array is not valid JSON, or no line holds an
        object.
    InputError
        A Google location history read for other than positions.
    """
    name = path.name
    if data is None and path.suffix.lower() == ".zip":  # a member must come as its bytes
        raise SourceUnreadable(f"{name}: JSON records in this archive cannot be read")
    data = source_bytes(path, data, "JSON records")
    data, enc, notes = decode_bytes(data, name, encoding)
    text = data.decode("utf-8")
    start = _WS.match(text).end()  # type: ignore[union-attr]
    notes_told: list[str] = []
    if text.startswith("[", start):
        records, lines, headers = _array(text, start, name)
        bad: list[tuple[int, str, str, str]] = []
        layout = "an array of objects"
        history = None if headers else location_history_records(text, start, records, name)
        _positions_only(history, positions, name)
        if history is not None:
            records, lines, layout, notes_told = history
        elif headers:
            _refuse_error_answer(headers, name)
            layout = (
                f"the array of objects after a header object ({_header_text(headers)}), "
                "as a web service answers"
            )
            notes_told = _told_count(
                [(k, v) for h in headers for k, v in h.items()], len(records), name
            )
        elif len(records) == 1:
            _refuse_error_answer(records, name)
    else:
        lines_told = {".jsonl", ".ndjson"} & {x.lower() for x in path.suffixes}
        # one object first: a pretty-printed answer of 50 MB was decoded line by line (every
        # line failing) before it was seen to be one object, four times the whole read
        whole = None if lines_told else _one_object(text, start, name)
        bad = []
        if whole is None:
            records, lines, bad = _lines(text)
            layout = "JSON Lines"
        else:  # one object: an API answer holding its records, or one record
            _refuse_error_answer([whole], name)
            found = location_history_records(text, start, whole, name)
            _positions_only(found, positions, name)
            found = found or _object_records(text, start, name)
            if found is not None:
                records, lines, layout, notes_told = found
            else:  # one record, perhaps written over several lines
                records, lines, layout = [whole], [text.count("\n", 0, start) + 1], "one object"
    if records:
        # object dtype: a JSON number's text keeps its type (str inference would drop it)
        frame = pd.DataFrame(records, dtype=object)
        if not all(
            pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty") for c in frame
        ):  # nested objects, arrays, true/false somewhere: each record to one text per key
            records, lines = _flatten_records(records, lines, bad, text, layout, name)
            frame = pd.DataFrame(records, dtype=object)
    if not records:
        why = f"; line {bad[0][0]}: {bad[0][3]}" if bad else ""
        raise SourceUnreadable(f"{name}: no JSON object records found{why}")
    frame.columns = [str(c) for c in frame.columns]
    typed = {}
    for i, c in enumerate(frame.columns):
        mask = frame.iloc[:, i].map(type).eq(_JsonNumber).to_numpy(dtype=bool)
        if mask.any():
            typed[c] = mask
    # the text dtype a CSV is read with (pyarrow strings), missing as ""
    frame = frame.where(frame.notna(), "").astype(_TEXT)
    notes.append(f"{name}: read as {layout}: {len(records)} record(s), {frame.shape[1]} key(s)")
    notes += notes_told
    bad_df = pd.DataFrame(
        {
            "source_file": name,
            "row": [b[0] for b in bad],
            "column": "*",
            "value": [b[1] for b in bad],
            "rule": [b[2] for b in bad],
            "message": [b[3] for b in bad],
        },
        columns=list(REJECT_COLUMNS),
    )
    table = JsonTable(
        frame,
        np.asarray(lines, dtype="int64"),
        bad_df,
        notes,
        "json",
        len(bad),
        encoding=enc,
        typed_numbers=typed,
    )
    return table


def _positions_only(history: tuple | None, positions: bool, name: str) -> None:
    """Refuse a location history read for other than a track: its records are no incidents.

    Read as seizures, each position of a phone's history was one seizure (an iOS export has
    no speed column to tell positions from incidents by).
    """
    if history is not None and not positions:
        raise InputError(
            f"{name}: {history[2]}: one device's positions, not incident records; give this "
            "file under inputs.tracks"
        )


def _flatten_records(
    records: list[dict],
    lines: list[int],
    bad: list[tuple[int, str, str, str]],
    text: str,
    layout: str,
    name: str,
) -> tuple[list[dict], list[int]]:
    """Return the records flattened (:func:`_flatten`) and their lines.

    A record whose dotted names clash, or nested too deeply to be written back, is a reject
    of its line in JSON Lines (added to ``bad``, kept in line order), as a key given twice
    is; elsewhere it refuses the file.
    """
    flat: list[dict] = []
    kept: list[int] = []
    for record, line in zip(records, lines, strict=True):
        try:
            flat.append(_flatten(record))
        except (_DuplicateKey, RecursionError) as exc:
            # an array some hundreds deep parses, but writing it back recurses further
            why = exc.msg if isinstance(exc, _DuplicateKey) else "nested too deeply"
            if layout != "JSON Lines":
                raise SourceUnreadable(f"{name}: the record at line {line}: {why}") from None
            value = text.split("\n", line)[line - 1].strip()[:200]
            bad.append((line, value, "malformed_json", why))
            continue
        kept.append(line)
    bad.sort(key=lambda b: b[0])
    return flat, kept


#: Header keys that report a web service's error (AISHub's ``ERROR``, most APIs' ``error``).
_ERROR_KEYS = ("error", "errors")
#: ``status`` values that report a failed request (JSend's ``error`` and ``fail``).
_FAILED = frozenset({"error", "fail", "failed", "failure"})
#: Keys of the message that explains the error.
_MESSAGE_KEYS = ("error_message", "errormessage", "message", "msg", "detail", "description")


def _refuse_error_answer(objects: list[dict], name: str) -> None:
    """Refuse a saved web-service answer that reports an error instead of records.

    AISHub answers ``[{"ERROR": true, "ERROR_MESSAGE": "Too frequent requests!", ...}]``;
    read as one record it would be refused for lacking positions, which misleads.  JSend's
    ``{"status": "error", "message": ...}`` (or ``"fail"``) and ``{"success": false, ...}``
    are such answers too.
    """
    for obj in objects:
        keys = {str(k).lower(): v for k, v in obj.items()}
        flag = next((keys[k] for k in _ERROR_KEYS if k in keys), None)
        status = keys.get("status")
        said = status.strip() if type(status) is str else ""  # a number is an HTTP code
        if said.lower() in _FAILED or keys.get("success") is False:
            if not (isinstance(flag, list | dict) and flag):  # JSend's answer of a failure
                flag = f"status={said}" if said.lower() in _FAILED else "success=false"
        if isinstance(flag, list | dict):
            if not flag:
                continue
        elif flag is not True and (
            not isinstance(flag, str)
            or isinstance(flag, _JsonNumber)  # a position's error, 0.5 m: a measure
            or flag.strip().lower() in ("", "false", "none", "null", "no")
        ):
            continue
        if isinstance(flag, list) and isinstance(flag[0], dict):  # GraphQL's errors
            flag = {str(k).lower(): v for k, v in flag[0].items()}.get("message", flag)
        why = next((keys[k] for k in _MESSAGE_KEYS if keys.get(k)), flag)
        why = why if isinstance(why, str) else json.dumps(why, ensure_ascii=False)
        raise SourceUnreadable(
            f"{name}: the saved answer reports an error, not records: {why[:200]!r}; "
            "request the data again and save the answer that holds the records"
        )


#: Header keys giving the number of records an answer holds (AISHub's ``RECORDS``).
_COUNT_KEYS = frozenset({"records", "count", "total", "totalcount", "total_count"})
#: Other keys an API answer gives beside its records: the page, its links and its status.
_PAGING_KEYS = frozenset(
    {"next", "previous", "prev", "page", "pages", "offset", "limit", "cursor", "status",
     "success", "message", "per_page", "page_size", "total_pages", "hasnextpage", "endcursor"}
)  # fmt: skip


def _is_count_key(key: str) -> bool:
    """Whether an answer's (dotted) key is its count of records: ``count``, ``totalCount.value``."""
    parts = str(key).lower().split(".")
    return parts[-1] in _COUNT_KEYS or (
        parts[-1] == "value" and len(parts) > 1 and parts[-2] in _COUNT_KEYS
    )


def _told_count(pairs: list[tuple[str, Any]], found: int, name: str) -> list[str]:
    """Say when an answer's own values say it holds only part of the records.

    ``RECORDS: 12000`` over 1,000 records (AISHub), ``totalCount.value: 5000`` or
    ``pageInfo.hasNextPage: true`` (a GraphQL page): the records outside the file (another
    page, or an answer the service cut short) are not in the map.  ``pairs`` are the
    (key or dotted path, value) the answer gives beside its records.
    """
    for key, value in pairs:
        parts = str(key).lower().split(".")
        if parts[-1] == "hasnextpage" and value is True:
            return [
                f"{name}: the answer says {key}=true: more pages of records exist, not in "
                "this file and not in the map"
            ]
        if not _is_count_key(key) or isinstance(value, bool):
            continue
        try:
            told = int(str(value))
        except ValueError:
            continue
        if told != found:
            return [
                f"{name}: the answer says {key}={told:,} but holds {found:,} record(s): the "
                "others (another page, or an answer cut short) are not in this file and not "
                "in the map"
            ]
    return []


def _header_text(headers: list[dict]) -> str:
    """Return a header object's scalar keys as ``KEY=value`` text (for the note)."""
    items = [
        f"{k}={json.dumps(v) if isinstance(v, bool) else v}"
        for h in headers
        for k, v in h.items()
        if not isinstance(v, dict | list) and v is not None
    ]
    return ", ".join(items[:12])


def _one_object(text: str, start: int, name: str) -> dict | None:
    """Return the file's object when the whole text is one JSON object, else None.

    Raises
    ------
    SourceUnreadable
        The whole text is one object that gives a key twice (its lines are no records).
    """
    if not text.startswith("{", start):
        return None
    try:
        value, end = _DECODER.raw_decode(text, start)
    except _DuplicateKey as exc:  # one object of the whole text, or a first line's?
        try:
            _, end = _LENIENT.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            return None
        if text[end:].strip():
            return None
        raise SourceUnreadable(f"{name}: not a valid JSON object: {exc.msg}") from None
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) and not text[end:].strip() else None


def _object_records(
    text: str, start: int, name: str
) -> tuple[list[dict], list[int], str, list[str]] | None:
    """Return the records an object's one array of objects holds, their lines, layout, notes.

    The notes are those of its paging values (:func:`_told_count`).

    An API answer saved as it came: ``{"data": {"vessels": {"nodes": [{...}, ...]}}}``
    (Spire's GraphQL), ``{"results": [...]}``.  The one array of objects at any depth is the
    records, each keeping the line where it starts; the plain values beside it (a count, a
    status, a cursor) are no record's and only noted.  None when no array of objects is
    there (the object is then one record); two or more are refused.
    """
    found: list[tuple[str, list[dict], list[int]]] = []
    meta: list[tuple[str, Any]] = []
    try:
        _walk_object(text, start, "", 0, found, meta)
    except RecursionError:
        raise SourceUnreadable(f"{name}: the JSON object is nested too deeply") from None
    if not found:
        _refuse_empty_answer(meta, name)
        return None
    if len(found) > 1:
        paths = ", ".join(repr(f[0]) for f in found[:5])
        raise SourceUnreadable(
            f"{name}: the JSON object holds {len(found)} arrays of records ({paths}); save "
            "the one to read as its own file"
        )
    path, records, starts = found[0]
    newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype="<u4") == 10)
    lines = (np.searchsorted(newlines, starts) + 1).tolist()
    layout = f"the array of objects at {path!r} in one JSON object (an API answer)"
    beside = [
        f"{k}={json.dumps(v) if isinstance(v, bool) else v}"
        for k, v in meta
        if not isinstance(v, list) and v is not None
    ]
    if beside:
        layout += f"; beside it, not read: {', '.join(beside[:8])}"
    return records, lines, layout, _told_count(meta, len(records), name)


def _refuse_empty_answer(meta: list[tuple[str, Any]], name: str) -> None:
    """Refuse an API answer whose one array is empty: it holds no records, it is no record.

    ``{"data": [], "count": 0}`` (a night with nothing new) was read as one record of the
    keys ``data`` and ``count`` and refused for having no coordinate columns.  An object is
    such an answer when its one empty array stands beside paging values alone (a count, a
    cursor, a status), or is all it holds; a record with an empty list
    (``"tags": []``) is still a record.  A count above 0 beside the empty array is said too
    (another page, or an answer cut short).
    """
    empty = [k for k, v in meta if isinstance(v, list) and not v]
    if len(empty) != 1 or any(
        k != empty[0] and not _is_count_key(k) and str(k).lower().split(".")[-1] not in _PAGING_KEYS
        for k, _ in meta
    ):
        return
    counts = [(k, v) for k, v in meta if _is_count_key(k) and isinstance(v, _JsonNumber)]
    said = ""
    if counts:
        key, value = counts[0]
        said = f" and it says {key}={value}"
        if float(value) != 0:
            said += " (its records are on another page, or the answer was cut short)"
    raise SourceUnreadable(
        f"{name}: the answer holds no records: its array {empty[0]!r} is empty{said}"
    )


def _walk_object(
    text: str,
    pos: int,
    path: str,
    depth: int,
    found: list[tuple[str, list[dict], list[int]]],
    meta: list[tuple[str, Any]],
) -> int:
    """Walk the object at ``pos``: collect its arrays of objects and plain values; return end."""
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text.startswith("}", pos):
        return pos + 1
    while True:
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if not text.startswith(":", pos):
            raise json.JSONDecodeError("expected ':'", text, pos)
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        here = f"{path}{key}"
        if text.startswith("[", pos):
            records: list[dict] = []
            starts: list[int] = []
            try:
                end = _elements(text, pos, records, starts, None)
            except json.JSONDecodeError:  # an array of other things: passed over
                _, end = _DECODER.raw_decode(text, pos)
            else:
                if records:
                    found.append((here, records, starts))
                elif text[pos:end].replace("[", "", 1).strip() == "]":
                    meta.append((here, []))  # an empty array: no records, perhaps the answer's
        elif text.startswith("{", pos) and depth < _MAX_DEPTH:
            end = _walk_object(text, pos, here + ".", depth + 1, found, meta)
        else:
            value, end = _DECODER.raw_decode(text, pos)
            if not isinstance(value, dict):
                meta.append((here, value))
        pos, closed = _after_value(text, end, "}")
        if closed:
            return pos


def _lines(text: str) -> tuple[list[dict], list[int], list[tuple[int, str, str, str]]]:
    """Return the records of JSON Lines, their physical lines, and the lines rejected.

    Well-formed files (the usual case) are decoded in one call, each line as the one
    element of its own array (``[[line1],[line2]]``, a newline after each comma so that no
    string spans two lines): a record cut over two lines and a line of two objects joined
    by a comma cannot pair up into as many values as lines (``{"a": 1`` + ``"b": 2}`` is
    one object of two lines, valid once joined by a comma).
    Only when that fails is each line decoded on its own, to find the bad ones.
    """
    split = text.split("\n")
    kept = [i for i, line in enumerate(split, start=1) if line.strip()]
    try:
        wrapped = _DECODER.decode("[[" + "],\n[".join(split[i - 1] for i in kept) + "]]")
    except (json.JSONDecodeError, RecursionError):
        wrapped = None
    if (
        wrapped is not None
        and len(wrapped) == len(kept)
        and all(type(v) is list and len(v) == 1 and type(v[0]) is dict for v in wrapped)
    ):
        return [v[0] for v in wrapped], kept, []
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str, str, str]] = []
    for i, line in enumerate(split, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = _DECODER.decode(line)
        except _DuplicateKey as exc:  # valid JSON, but which value holds is unknown
            bad.append((i, line[:200], "malformed_json", exc.msg))
            continue
        except json.JSONDecodeError as exc:
            bad.append((i, line[:200], "malformed_json", f"not valid JSON: {exc.msg}"))
            continue
        except RecursionError:
            bad.append((i, line[:200], "malformed_json", "nested too deeply"))
            continue
        if isinstance(value, dict):
            records.append(value)
            lines.append(i)
        else:
            kind = _JSON_KINDS.get(type(value), "null")
            bad.append((i, line[:200], "not_a_json_object", f"a JSON {kind}, not an object"))
    return records, lines, bad


#: JSON's names of the values a line may hold that are no object (never Python's).
_JSON_KINDS = {_JsonNumber: "number", str: "string", list: "array", bool: "boolean"}


def _array(text: str, start: int, name: str) -> tuple[list[dict], list[int], list[dict]]:
    """Return the objects of a JSON array, their lines and its header objects.

    A web service's answer may put its records one level down, after a header object:
    AISHub's JSON is ``[{"ERROR": false, "FORMAT": "HUMAN", "RECORDS": 2, ...}, [{...},
    {...}]]``.  An array whose elements are objects and exactly one array of objects is read
    as that inner array's records, the objects beside it returned as headers (they are no
    records).  A syntax error, or any other element, refuses the file.
    """
    starts: list[int] = []
    records: list[dict] = []
    inner: list[tuple[list[dict], list[int]]] = []
    try:
        pos = _elements(text, start, records, starts, inner)
        rest = text[pos:]
        if rest.strip():  # named at the text itself (a second array appended), not at ']'
            at = pos + len(rest) - len(rest.lstrip())
            raise json.JSONDecodeError("text after the array", text, at)
    except RecursionError:
        raise SourceUnreadable(f"{name}: the JSON array is nested too deeply") from None
    except _DuplicateKey as exc:
        raise SourceUnreadable(f"{name}: not a valid JSON array of objects: {exc.msg}") from None
    except json.JSONDecodeError as exc:
        raise SourceUnreadable(
            f"{name}: not a valid JSON array of objects at line {exc.lineno} column "
            f"{exc.colno}: {exc.msg}"
        ) from None
    headers: list[dict] = []
    if inner:
        if len(inner) > 1:
            raise SourceUnreadable(
                f"{name}: not a JSON array of objects: it holds {len(inner)} arrays of "
                "records beside each other; save each as its own file"
            )
        headers, (records, starts) = records, inner[0]
    newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype="<u4") == 10)
    return records, (np.searchsorted(newlines, starts) + 1).tolist(), headers


def _elements(
    text: str,
    start: int,
    records: list[dict],
    starts: list[int],
    inner: list[tuple[list[dict], list[int]]] | None,
) -> int:
    """Decode the array at ``start`` into ``records``/``starts``; return the end position.

    With ``inner`` given, an element that is itself an array of objects is decoded into a
    new entry of ``inner`` (one level only); any other element that is not an object is a
    :class:`json.JSONDecodeError`.
    """
    pos = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        return pos + 1
    while True:
        if inner is not None and text.startswith("[", pos):
            group: tuple[list[dict], list[int]] = ([], [])
            end = _elements(text, pos, group[0], group[1], None)
            inner.append(group)
        else:
            value, end = _DECODER.raw_decode(text, pos)
            if not isinstance(value, dict):
                raise json.JSONDecodeError("an element is not an object", text, pos)
            records.append(value)
            starts.append(pos)
        pos, closed = _after_value(text, end, "]")
        if closed:
            return pos


def array_values_at(text: str, pos: int) -> tuple[list[Any], list[int]]:
    """Return the values of the JSON array at ``pos`` and where each begins in ``text``.

    Raises
    ------
    ValueError
        The text at ``pos`` is not a valid JSON array.
    """
    values: list[Any] = []
    starts: list[int] = []
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        return values, starts
    while True:
        value, end = _DECODER.raw_decode(text, pos)
        values.append(value)
        starts.append(pos)
        pos, closed = _after_value(text, end, "]")
        if closed:
            return values, starts


def json_number(text: str) -> str:
    """Return ``text`` marked as a JSON number as written (never read as locale text)."""
    return _JsonNumber(text)


def _after_value(text: str, end: int, close: str) -> tuple[int, bool]:
    """Step over the separator after a value ending at ``end``: (next position, closed).

    ``closed`` is True when ``close`` (``]`` or ``}``) ends the container; the position is
    then just after it.
    """
    pos = _WS.match(text, end).end()  # type: ignore[union-attr]
    if text.startswith(",", pos):
        return _WS.match(text, pos + 1).end(), False  # type: ignore[union-attr]
    if text.startswith(close, pos):
        return pos + 1, True
    raise json.JSONDecodeError(f"expected ',' or '{close}'", text, pos)


#: Objects nested deeper than this stay one column of JSON text.
_MAX_DEPTH = 8


def _flatten(
    record: dict, prefix: str = "", depth: int = 0, out: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return one text per key: nested objects dotted, arrays as JSON, literals as text.

    A dotted name met twice (``{"position": {"lat": 1}, "position.lat": 2}``) is a
    :class:`_DuplicateKey`: one of the two values would be kept without a word.
    """
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < _MAX_DEPTH:
            _flatten(value, name + ".", depth + 1, out)
            continue
        if name in out:
            raise _DuplicateKey(name, "once nested objects are dotted")
        if isinstance(value, list | dict):  # numbers as written, never turned to text
            out[name] = _as_written(value)
        elif value is None:
            out[name] = None
        elif value is True or value is False:
            out[name] = "true" if value else "false"
        else:
            out[name] = value
    return out
