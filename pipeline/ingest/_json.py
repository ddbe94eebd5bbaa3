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

from ..errors import SourceUnreadable
from ..schema import REJECT_COLUMNS
from ._common import TextTable, decode_bytes, source_bytes

__all__ = ["JsonTable", "looks_like_json_records", "read_json_records"]

_WS = re.compile(r"[ \t\n\r]*")
#: The dtype of the text columns :func:`~pipeline.ingest._common.read_text_table` gives.
_TEXT = pd.StringDtype(na_value=np.nan)


class _JsonNumber(str):
    """The text of a JSON number as written: a typed number, never locale text."""

    __slots__ = ()


_DECODER = json.JSONDecoder(parse_float=_JsonNumber, parse_int=_JsonNumber, parse_constant=str)


@dataclass
class JsonTable(TextTable):
    """JSON records as a text table, with the cells that were JSON numbers."""

    #: Column -> True for each record whose value was a JSON number (columns with one only).
    typed_numbers: dict[str, np.ndarray] = field(default_factory=dict)


def looks_like_json_records(head: bytes) -> bool:
    """Whether the start of a ``.json`` file is JSON records rather than GeoJSON.

    An array (``[``) is records; an object is GeoJSON when its first line is not a whole
    object (a pretty-printed FeatureCollection) or is a Feature or FeatureCollection, and a
    vector layer for GDAL when it is Esri JSON (an ArcGIS REST query's ``features`` of
    ``attributes`` and ``geometry`` with its ``spatialReference``, written on one line).
    """
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return True
    if not text.startswith("{"):
        return False
    try:
        first = json.loads(text.split("\n", 1)[0])
    except ValueError:
        return False
    if not isinstance(first, dict) or first.get("type") in ("Feature", "FeatureCollection"):
        return False
    return not (  # Esri JSON: read by GDAL's ESRIJSON driver, its CRS and date fields typed
        isinstance(first.get("features"), list)
        and {"geometryType", "spatialReference", "fields"} & set(first)
    )


def read_json_records(
    path: Path, *, data: bytes | None = None, encoding: str | None = None
) -> JsonTable:
    """Read JSON Lines or an array of objects as a :class:`JsonTable` (a text table).

    Raises
    ------
    SourceUnreadable
        If the file is missing or empty, an array is not valid JSON, or no line holds an
        object.
    """
    name = path.name
    if data is None and path.suffix.lower() == ".zip":  # a member must come as its bytes
        raise SourceUnreadable(f"{name}: JSON records in this archive cannot be read")
    data = source_bytes(path, data, "JSON records")
    data, enc, notes = decode_bytes(data, name, encoding)
    text = data.decode("utf-8")
    start = _WS.match(text).end()  # type: ignore[union-attr]
    if text.startswith("[", start):
        records, lines = _array(text, start, name)
        bad: list[tuple[int, str, str, str]] = []
        layout = "an array of objects"
    else:
        records, lines, bad = _lines(text)
        layout = "JSON Lines"
    if not records:
        why = f"; line {bad[0][0]}: {bad[0][3]}" if bad else ""
        raise SourceUnreadable(f"{name}: no JSON object records found{why}")
    # object dtype: a JSON number's text keeps its type (str inference would drop it)
    frame = pd.DataFrame(records, dtype=object)
    if not all(
        pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty") for c in frame
    ):  # nested objects, arrays, true/false somewhere: each record to one text per key
        frame = pd.DataFrame([_flatten(r) for r in records], dtype=object)
    frame.columns = [str(c) for c in frame.columns]
    typed = {}
    for i, c in enumerate(frame.columns):
        mask = frame.iloc[:, i].map(type).eq(_JsonNumber).to_numpy(dtype=bool)
        if mask.any():
            typed[c] = mask
    # the text dtype a CSV is read with (pyarrow strings), missing as ""
    frame = frame.where(frame.notna(), "").astype(_TEXT)
    notes.append(f"{name}: read as {layout}: {len(records)} record(s), {frame.shape[1]} key(s)")
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


def _lines(text: str) -> tuple[list[dict], list[int], list[tuple[int, str, str, str]]]:
    """Return the records of JSON Lines, their physical lines, and the lines rejected.

    Well-formed files (the usual case) are decoded in one call, as the elements of one
    array; only when that fails is each line decoded on its own, to find the bad ones.
    """
    split = text.split("\n")
    kept = [i for i, line in enumerate(split, start=1) if line.strip()]
    try:
        values = _DECODER.decode("[" + ",".join(split[i - 1] for i in kept) + "]")
    except (json.JSONDecodeError, RecursionError):
        values = None
    if values is not None and len(values) == len(kept) and all(type(v) is dict for v in values):
        return values, kept, []
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str, str, str]] = []
    for i, line in enumerate(split, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = _DECODER.decode(line)
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
            kind = type(value).__name__ if value is not None else "null"
            bad.append((i, line[:200], "not_a_json_object", f"a JSON {kind}, not an object"))
    return records, lines, bad


def _array(text: str, start: int, name: str) -> tuple[list[dict], list[int]]:
    """Return the objects of a JSON array and their lines; a syntax error refuses the file."""
    starts: list[int] = []
    records: list[dict] = []
    pos = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    try:
        if text.startswith("]", pos):
            pos += 1
        else:
            while True:
                value, end = _DECODER.raw_decode(text, pos)
                if not isinstance(value, dict):
                    raise json.JSONDecodeError("an element is not an object", text, pos)
                records.append(value)
                starts.append(pos)
                pos = _WS.match(text, end).end()  # type: ignore[union-attr]
                if text.startswith(",", pos):
                    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                elif text.startswith("]", pos):
                    pos += 1
                    break
                else:
                    raise json.JSONDecodeError("expected ',' or ']'", text, pos)
        if text[pos:].strip():
            raise json.JSONDecodeError("text after the array", text, pos)
    except RecursionError:
        raise SourceUnreadable(f"{name}: the JSON array is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise SourceUnreadable(
            f"{name}: not a valid JSON array of objects at line {exc.lineno} column "
            f"{exc.colno}: {exc.msg}"
        ) from None
    newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype="<u4") == 10)
    return records, (np.searchsorted(newlines, starts) + 1).tolist()


#: Objects nested deeper than this stay one column of JSON text.
_MAX_DEPTH = 8


def _flatten(record: dict, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Return one text per key: nested objects dotted, arrays as JSON, literals as text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < _MAX_DEPTH:
            out.update(_flatten(value, name + ".", depth + 1))
        elif isinstance(value, list | dict):
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = None
        elif value is True or value is False:
            out[name] = "true" if value else "false"
        else:
            out[name] = value
    return out
