"""Open a source file, zipped or not, as a text table or a vector layer.

One place decides what a file is (from its name, its first bytes and, for a ``.zip``, its one
data member) and reads vector layers through pyogrio, so seizures, tracks and context layers
accept the same formats and fail with the same one-line messages.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SourceUnreadable
from ._archive import (
    COMPRESSION_SUFFIXES,
    check_zip_expansion,
    open_zip_member,
    read_compressed,
    read_member,
)
from ._columnar import exact_columns
from ._json import geometries_as_written, looks_like_json_records

log = logging.getLogger(__name__)

__all__ = [
    "OpenedSource",
    "geometry_as_written",
    "kml_remote_links_note",
    "open_source",
    "read_vector",
    "spatial_layer",
]

#: Suffix -> the format family readers understand.
SUFFIX_FORMAT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    # ERDDAP downloads: units in the header (.csvp, .tsvp) or no header line (.csv0, .tsv0)
    ".csvp": "csv",
    ".tsvp": "csv",
    ".csv0": "csv",
    ".tsv0": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".geojsonseq": "geojson",  # osmium export -f geojsonseq: one Feature a line (RFC 8142)
    ".geojsonl": "geojson",
    ".topojson": "geojson",  # GDAL's TopoJSON driver: quantized positions decoded
    ".gpkg": "gpkg",
    ".fgb": "flatgeobuf",  # FlatGeobuf: what `scores.fgb` is, one layer read through GDAL
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".pq": "parquet",
    # Arrow IPC (Feather) files and streams: typed columns read as Parquet's (see _columnar)
    ".feather": "parquet",
    ".arrow": "parquet",
    ".arrows": "parquet",
    ".ipc": "parquet",
    ".shp": "shapefile",
    ".gpx": "gpx",
    ".plt": "plt",
    ".nmea": "nmea",
    ".kml": "kml",
    ".kmz": "kml",
    ".jsonl": "json",
    ".ndjson": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".zip": "zip",
}


#: Files people send that are not position tables yet: what to do with each.
_NOT_READ = {
    ".xls": "legacy .xls is not supported; save it as .xlsx or CSV",
    ".xlsb": "a binary Excel workbook (.xlsb) is not read; save it as .xlsx or CSV",
    ".ods": "an OpenDocument spreadsheet (.ods) is not read; save it as .xlsx or CSV",
    ".numbers": "an Apple Numbers file is not read; export it as .xlsx or CSV",
    ".kml": "KML tracks are not read (GDAL drops the times of a gx:Track); export them as "
    "GPX, GeoJSON or CSV",
    ".kmz": "KMZ tracks are not read (GDAL drops the times of a gx:Track); export them as "
    "GPX, GeoJSON or CSV",
    ".wkt": "WKT text is not read as a file (it carries no CRS); save the geometry as "
    "GeoJSON or GeoPackage with its CRS (QGIS, or ogr2ogr from a CSV with a WKT column)",
    ".xml": "XML records are not read (no format setting reads them); request or export the "
    "same records as CSV or JSON (a web service's output=csv or output=json)",
    ".orc": "an ORC file is not read (no format setting reads it); write the table as Parquet "
    "(pyarrow.parquet.write_table(pyarrow.orc.read_table(path), 'out.parquet'), or Spark/Hive's "
    "Parquet output)",
    ".avro": "an Avro file (a BigQuery or Kafka export) is not read (no format setting reads "
    "it); export the table as Parquet or CSV instead (BigQuery: EXPORT DATA ... format='PARQUET')",
}

#: Formats that only hold tracks, named for a refusal elsewhere (a seizure or context input).
_TRACK_ONLY = {
    "gpx": "a GPX file",
    "plt": "an OziExplorer/Geolife .plt track",
    "nmea": "raw AIS sentences",
}

#: Files a folder given as an input may hold: a dataset written as parts (Spark, DuckDB, Hive).
_PART_SUFFIXES = (".parquet", ".pq", ".csv", ".json", ".orc", ".avro", ".arrow", ".feather")


@dataclass
class OpenedSource:
    """What a source file turned out to be.

    Attributes
    ----------
    fmt : str
        ``csv``, ``geojson``, ``gpkg``, ``parquet``, ``shapefile``, ``gpx`` or ``xlsx``.
    target : str
        Path or GDAL ``/vsizip/`` path to read.
    data : bytes or None
        A CSV member's bytes when the source is a zip.
    assumptions : dict
        ``archive_member`` and its declared size when the source is a zip.
    """

    fmt: str
    target: str
    data: bytes | None = None
    assumptions: dict[str, Any] = field(default_factory=dict)


def check_file(path: Path) -> None:
    """Raise :class:`SourceUnreadable` unless ``path`` is an existing regular file.

    A FIFO would block the read forever and a device (a link to ``/dev/zero``) never ends.
    """
    if not path.exists():
        raise SourceUnreadable(f"{path}: file not found")
    if path.is_dir():
        raise SourceUnreadable(f"{path}: is a folder, expected a file" + _parts_hint(path))
    if not path.is_file():
        raise SourceUnreadable(
            f"{path}: not a regular file (a device, pipe or socket); expected a data file"
        )


def _parts_hint(folder: Path) -> str:
    """Say what a folder given as an input holds when it is a dataset of part files.

    Spark, DuckDB and Hive write a table as a folder of parts, partitioned into
    ``key=value`` sub-folders whose values are in the folder names, not in the parts.
    """
    import itertools

    parts = [
        p
        for p in itertools.islice(folder.rglob("*"), 10_000)
        if p.suffix.lower() in _PART_SUFFIXES and p.is_file() and not p.name.startswith((".", "_"))
    ]
    if not parts:
        return ""
    keys = sorted(
        {q.split("=", 1)[0] for p in parts for q in p.relative_to(folder).parts[:-1] if "=" in q}
    )
    kinds = sorted({p.suffix.lower() for p in parts})
    return (
        f" (it holds {len(parts)} part file(s) {' '.join(kinds)}: a dataset written in parts by "
        "Spark, DuckDB or Hive?); list each part file as an input, or write the table as one "
        "file"
        + (
            f"; partition column(s) {keys!r} are only in the folder names, not in the parts: "
            "a value held only there (a date) is not read"
            if keys
            else ""
        )
    )


def open_source(
    path: Path,
    fmt: str,
    *,
    allowed: tuple[str, ...],
    max_uncompressed_mb: float,
    member: str | None = None,
    read_whole: str | None = None,
    whole_formats: tuple[str, ...] = (
        "csv",
        "json",
        "geojson",
        "gpkg",
        "flatgeobuf",
        "shapefile",
        "kml",
    ),
    format_setting: bool = True,
) -> OpenedSource:
    """Decide the format of ``path`` (``fmt`` 'auto' from the name), unwrapping a zip.

    ``read_whole`` names what the caller reads whole into memory ("a seizure table"): a
    plain file of one of ``whole_formats`` larger than ``max_uncompressed_mb`` is then
    refused before it is read, as a zip member expanding beyond it is (Parquet and .xlsx
    are bounded by their declared uncompressed sizes where they are read).  A ``.json``
    file holding JSON records (lines, or an array of objects) rather than GeoJSON is the
    ``json`` format when the caller allows it.
    ``format_setting``: the caller's source has a ``format`` setting that a refusal of an
    unknown file type may point to (a context layer or an area has none).

    Raises
    ------
    SourceUnreadable
        Unknown or disallowed format, an unusable zip, or a whole read beyond the bound.
    """
    check_file(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix in COMPRESSION_SUFFIXES:
        return _open_compressed(path, fmt, allowed, max_uncompressed_mb, format_setting)
    if fmt == "auto":
        if suffix in _NOT_READ and SUFFIX_FORMAT.get(suffix) not in allowed:
            said = _NOT_READ[suffix]
            if "xlsx" not in allowed:  # tracks and context layers read no workbook
                said = said.replace(".xlsx or CSV", "CSV")
            raise SourceUnreadable(f"{name}: {said}")
        fmt = SUFFIX_FORMAT.get(suffix, "")
        if not fmt and path.name.lower().endswith(".shp.zip"):
            fmt = "zip"
        if fmt in _TRACK_ONLY and fmt not in allowed:
            raise SourceUnreadable(
                f"{name}: {_TRACK_ONLY[fmt]}: positions of a vessel or vehicle over time, read "
                "as a track file (list it under inputs.tracks)"
            )
        if fmt not in allowed and fmt != "zip":
            known = sorted(s for s, f in SUFFIX_FORMAT.items() if f in allowed or f == "zip")
            packed = [_PACKED_NAMES[f] for f in _COMPRESSIBLE if f in allowed]
            raise SourceUnreadable(
                f"{name}: unknown file type {suffix!r}; expected one of {' '.join(known)}"
                + (f" ({', '.join(packed)} also as .gz, .bz2, .xz or .zst)" if packed else "")
                # a context layer or an area has no format setting: never advise one
                + (", or set format in the config" if format_setting else "")
            )
    if fmt == "shapefile" and suffix == ".zip":
        fmt = "zip"
    if fmt != "zip":
        if fmt == "geojson" and suffix == ".json" and "json" in allowed:
            with open(path, "rb") as fh:
                fmt = "json" if looks_like_json_records(fh.read(1 << 16)) else fmt
        if read_whole and fmt in whole_formats:
            check_whole_size(path, fmt, read_whole, max_uncompressed_mb)
        return OpenedSource(fmt, str(path))
    accept = tuple(
        s
        for s, f in SUFFIX_FORMAT.items()
        if f in allowed and f not in ("zip", "xlsx") and s not in _SEQ_SUFFIXES
    )
    m = open_zip_member(path, max_uncompressed_mb=max_uncompressed_mb, member=member, accept=accept)
    inner = SUFFIX_FORMAT[m.suffix]
    if inner == "geojson" and m.suffix == ".json" and "json" in allowed:
        # a .json member may hold JSON records (AISHub's compress=1) or GeoJSON: its content
        # decides, as for a plain file; records are read as bytes (their size is bounded)
        head = m.data[: 1 << 16] if m.data is not None else read_member(path, m.name, 1 << 16)
        if looks_like_json_records(head):
            inner = "json"
            if m.data is None:
                m.data, m.vsi = read_member(path, m.name), None
    info = {
        "archive_member": {
            "member": m.name,
            "declared_mb": round(m.declared_mb, 3),
            "limit_mb": max_uncompressed_mb,
        }
    }
    if m.data is not None:
        return OpenedSource(inner, str(path), m.data, info)
    assert m.vsi is not None
    return OpenedSource(inner, m.vsi, None, info)


#: What a compressed single file may hold: the formats read from bytes by our own parsers.
_COMPRESSIBLE = ("csv", "json", "gpx", "plt", "nmea")
_PACKED_NAMES = {
    "csv": "CSV",
    "json": "JSON records",
    "gpx": "GPX",
    "plt": "OziExplorer .plt",
    "nmea": "NMEA",
}


def _open_compressed(
    path: Path,
    fmt: str,
    allowed: tuple[str, ...],
    max_uncompressed_mb: float,
    format_setting: bool = True,
) -> OpenedSource:
    """Decompress ``ais.csv.gz`` (bounded) and say what it holds, from the inner suffix."""
    name = path.name
    codec = COMPRESSION_SUFFIXES[path.suffix.lower()]
    inner = Path(path.stem).suffix.lower()
    if fmt == "auto":
        if inner in (".tar", ".tgz"):
            raise SourceUnreadable(f"{name}: a tar archive is not read; extract it or use .zip")
        fmt = SUFFIX_FORMAT.get(inner, "")
        if fmt == "geojson" and inner == ".json" and "json" in allowed:
            fmt = "json"  # JSON records or GeoJSON: its content decides, once decompressed
    if fmt not in _COMPRESSIBLE or fmt not in allowed:
        what = f"{inner or 'a file without a type'} ({fmt})" if fmt else inner or "a file"
        packed = [_PACKED_NAMES[f] for f in _COMPRESSIBLE if f in allowed]
        raise SourceUnreadable(
            f"{name}: {codec}-compressed {what} is not read; "
            + (
                f"{', '.join(packed)} {'is' if len(packed) == 1 else 'are'} (name the file like "
                + next(f"ais.{f}.gz" for f in _COMPRESSIBLE if f in allowed)
                + (" or set format in the config" if format_setting else "")
                + "), or decompress it"
                if packed
                else "decompress it"
            )
        )
    data = read_compressed(path, codec, max_uncompressed_mb)
    if fmt == "geojson" or (fmt == "json" and inner == ".json"):
        fmt = "json" if looks_like_json_records(data[: 1 << 16]) else "geojson"
        if fmt == "geojson":
            raise SourceUnreadable(f"{name}: compressed GeoJSON is not read; decompress it")
    info = {"compression": {"codec": codec, "uncompressed_mb": round(len(data) / 2**20, 3)}}
    return OpenedSource(fmt, str(path), data, info)


#: Fields GDAL's LIBKML driver adds to every Placemark that only style the map.
_KML_STYLE = ("id", "altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")


def _read_kml(target: str, name: str, max_uncompressed_mb: float | None):
    """Read every folder (layer) of a KML or KMZ file as one table, with a ``folder`` column.

    Placemark times (``TimeStamp``, ``TimeSpan``) come as ISO 8601 text, as in a CSV; the
    styling fields GDAL adds are dropped.  A KMZ is a zip: its declared size is bounded.
    """
    import geopandas as gpd
    import pyogrio

    if target.lower().endswith(".kmz") and max_uncompressed_mb is not None:
        # a KMZ inside a .zip (a portal's download): GDAL reads it through nested /vsizip/,
        # and its own members are bounded from its bytes (its size was bounded as a member)
        inside = _zip_member_path(target)
        kmz = io.BytesIO(read_member(Path(inside[0]), inside[1])) if inside else target
        check_zip_expansion(kmz, f"{name}:", max_uncompressed_mb)
    parts = []
    for layer in pyogrio.list_layers(target)[:, 0]:
        part = gpd.read_file(target, engine="pyogrio", layer=str(layer))
        read_columns = functools.partial(_ogr_columns, target, {"layer": str(layer)})
        part = exact_columns(part, read_columns, name)
        part = part.drop(columns=[c for c in _KML_STYLE if c in part.columns])
        for c in part.columns:
            if pd.api.types.is_datetime64_any_dtype(part[c].dtype):
                t = part[c]
                if getattr(t.dt, "tz", None) is not None:
                    t = t.dt.tz_convert("UTC")
                    text = t.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
                else:
                    text = t.dt.strftime("%Y-%m-%dT%H:%M:%S")
                part[c] = text.where(t.notna(), None).astype(object)
        part.insert(0, "folder", str(layer))
        parts.append(part)
    if not parts:
        raise SourceUnreadable(f"{name}: no placemark found")
    docs = _kml_documents(target)
    links = _remote_links(docs)
    if links and not any(len(p) for p in parts):
        raise SourceUnreadable(
            f"{name}: holds no placemark of its own, only {len(links)} NetworkLink(s) to "
            f"{links[:3]!r}, which are never fetched (a run reads no web address); download "
            "what they point to (Google Earth: open the link, then 'Save Place As' .kml) and "
            "give that file as the input"
        )
    _times_as_written(parts, docs)
    gdf = pd.concat(parts, ignore_index=True)
    _check_placemark_count(docs, name, len(gdf))
    if "begin" in gdf.columns or "end" in gdf.columns:
        gdf = _fold_time_span(gdf)
    if "timestamp" in gdf.columns:
        gdf = _fold_extended_date(gdf)
    return gpd.GeoDataFrame(gdf, geometry="geometry", crs=parts[0].crs)


#: A KML Placemark's start tag, with or without a namespace prefix (``<kml:Placemark>``).
_PLACEMARK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Placemark[\s>/]")
_XML_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
#: An Update (of a tour's gx:AnimatedUpdate, or a NetworkLinkControl): its
#: ``<Placemark targetId=...>`` changes a placemark written elsewhere, and is none itself.
_KML_UPDATE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?Update[\s>].*?</(?:[A-Za-z_][\w.-]*:)?Update\s*>", re.DOTALL
)


def _zip_member_path(target: str) -> tuple[str, str] | None:
    """Split a ``/vsizip/`` path into (the zip file, the member), or None for another path."""
    if not target.startswith("/vsizip/"):
        return None
    rest = target[len("/vsizip/") :]
    for k in [i for i, ch in enumerate(rest) if ch == "/"]:
        if os.path.isfile(rest[:k]):
            return rest[:k], rest[k + 1 :]
    return None


def _kml_documents(target: str) -> list[tuple[str, bytes]]:
    """Return (name, text) of every KML document of ``target``: the file, or a KMZ's members.

    ``target`` is a path or the ``/vsizip/`` path of a zip member (a KML or KMZ inside a
    ``.zip``); sizes were bounded before (the whole-file limit, or the zip's declared sizes).
    """
    import zipfile

    def members(data: bytes | None, path: str | None) -> list[tuple[str, bytes]]:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else str(path)) as zf:
            return [
                (i.filename, zf.read(i))
                for i in zf.infolist()
                if i.filename.lower().endswith(".kml") and not i.is_dir()
            ]

    if target.startswith("/vsizip/"):
        inside = _zip_member_path(target)
        if inside is None:
            return []
        data = read_member(Path(inside[0]), inside[1])
        if target.lower().endswith(".kmz"):
            return members(data, None)
        return [(inside[1], data)]
    if target.lower().endswith(".kmz"):
        return members(None, target)
    with open(target, "rb") as fh:
        return [(os.path.basename(target), fh.read())]


#: A KML NetworkLink element, and the address its Link (or Url) gives.
_NETWORK_LINK = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?NetworkLink[\s>].*?</(?:[A-Za-z_][\w.-]*:)?NetworkLink\s*>", re.DOTALL
)
_HREF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?href\s*>\s*(.*?)\s*</", re.DOTALL)
_REMOTE = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)


def _remote_links(docs: list[tuple[str, bytes]]) -> list[str]:
    """Return the web addresses (http, https, ftp) the NetworkLinks of KML documents point to."""
    found = []
    for _, text in docs:
        for link in _NETWORK_LINK.findall(_XML_COMMENT.sub(b"", text)):
            for href in _HREF.findall(link):
                address = href.decode("utf-8", errors="replace").replace("&amp;", "&")
                if _REMOTE.match(address):
                    found.append(address)
    return found


def kml_remote_links_note(target: str, name: str) -> str | None:
    """Return a note naming the web addresses a KML's NetworkLinks point to, or None.

    Google Earth fetches a NetworkLink to a web address (a live feed, a shared folder) and
    shows its placemarks with the file's own; a run reads the file's own placemarks only
    and never fetches an address, so what the map shows in Google Earth and what the run
    reads differ: said, never silent.  (A file of such links alone is refused.)
    """
    links = _remote_links(_kml_documents(target))
    if not links:
        return None
    return (
        f"{name}: {len(links)} NetworkLink(s) to web addresses {links[:3]!r} not fetched: "
        "only the file's own placemarks are read (download what they point to and add it "
        "as an input to read those too)"
    )


#: A date GDAL's KML reader turns into another (``2023-05``: the 1st at midnight, unsaid) or
#: into none (``2023``): a year, or a year and month.
_PARTIAL_DATE = re.compile(r"\s*\d{4}(?:-\d{1,2})?\s*")
#: The KML elements whose text is kept, by their parent: a placemark's name and times.
_KML_TEXT = {
    ("Placemark", "name"),
    ("TimeStamp", "when"),
    ("TimeSpan", "begin"),
    ("TimeSpan", "end"),
}


class _EntityDeclared(Exception):
    """A KML document declares XML entities: its text is not parsed here."""


def _kml_placemark_texts(text: bytes) -> list[list[dict[str, str]]] | None:
    """Return, per container (Document, Folder) in document order, its placemarks' texts.

    Each placemark gives the text of its ``name``, ``TimeStamp/when`` and
    ``TimeSpan/begin``/``end`` as written.  None for a document that does not parse, or
    that declares entities (never expanded).
    """
    from xml.parsers import expat

    containers: list[list[dict[str, str]]] = []
    stack: list[list[dict[str, str]]] = []
    path: list[str] = []
    mark: dict[str, str] | None = None
    buf: list[str] = []

    def start(tag: str, _attrs: Any) -> None:
        nonlocal mark
        local = tag.rsplit(":", 1)[-1]
        if local in ("Document", "Folder"):
            stack.append([])
            containers.append(stack[-1])
        elif local == "Placemark" and "Update" not in path:  # see _KML_UPDATE
            mark = {}
        path.append(local)
        buf.clear()

    def end(tag: str) -> None:
        nonlocal mark
        local = path.pop()
        if local in ("Document", "Folder") and stack:
            stack.pop()
        elif local == "Placemark" and mark is not None:
            if stack:
                stack[-1].append(mark)
            mark = None
        elif mark is not None and path and (path[-1], local) in _KML_TEXT:
            # the placemark's own name and time only: a view's <LookAt><gx:TimeStamp>
            # (Google Earth saves the time slider's, before the placemark's own) is none
            if local == "name" or (len(path) >= 2 and path[-2] == "Placemark"):
                mark.setdefault(local, "".join(buf).strip())
        buf.clear()

    def no_entities(*_args: Any) -> None:
        raise _EntityDeclared

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = buf.append
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(text, True)
    except (expat.ExpatError, _EntityDeclared):
        return None
    return containers


def _times_as_written(parts: list[pd.DataFrame], docs: list[tuple[str, bytes]]) -> None:
    """Give each placemark the times its KML text holds where GDAL lost them, in place.

    GDAL's LIBKML driver reads ``<when>2023</when>`` as no time and ``2023-05`` as
    2023-05-01 00:00 without a word; as written, the date reader places a year on 1
    January and a month on the 1st and says so (precision: year, month), as for a CSV.
    The placemarks are matched to GDAL's features folder by folder, in document order,
    by their names; a file where they do not match keeps GDAL's times.
    """
    if len(docs) != 1:  # several documents: the placemark count decides
        return
    containers = _kml_placemark_texts(docs[0][1])
    if containers is None:
        return
    held = [c for c in containers if c]
    read = [p for p in parts if len(p)]
    if [len(c) for c in held] != [len(p) for p in read]:
        return
    for part, marks in zip(read, held, strict=True):
        label = next((c for c in ("Name", "name") if c in part.columns), None)
        if label is not None:
            names = part[label].astype(object).where(part[label].notna(), "").astype(str)
            if names.str.strip().tolist() != [m.get("name", "") for m in marks]:
                return
    for part, marks in zip(read, held, strict=True):
        for col, key in (("timestamp", "when"), ("begin", "begin"), ("end", "end")):
            if col not in part.columns:
                continue
            raw = pd.Series([m.get(key, "") for m in marks], index=part.index, dtype=object)
            lost = part[col].isna() | raw.str.fullmatch(_PARTIAL_DATE)
            take = lost & (raw != "")
            if take.any():
                part[col] = part[col].astype(object).where(~take, raw)


def _check_placemark_count(docs: list[tuple[str, bytes]], name: str, n_read: int) -> None:
    """Refuse a KML or KMZ of which GDAL read another number of features than it has placemarks.

    GDAL's LIBKML driver reads a KMZ's first KML document only (a KMZ of several, each a
    layer Google Earth shows, lost all but one), and drops the placemarks a document holds
    beside a ``NetworkLink`` it follows: records lost without a word.  The placemarks are
    counted in every KML document of the file, and a count GDAL's features do not match is
    refused naming both.  ``docs``: :func:`_kml_documents` of the file.
    """
    # a placemark commented out is none GDAL reads
    # nor is the target of a tour's Update (_KML_UPDATE)
    counts = {
        doc: len(_PLACEMARK.findall(_KML_UPDATE.sub(b"", _XML_COMMENT.sub(b"", text))))
        for doc, text in docs
    }
    total = sum(counts.values())
    if not docs or total == n_read:
        return
    where = (
        f" in {len(docs)} KML documents {list(counts)[:10]!r} of the KMZ" if len(docs) > 1 else ""
    )
    raise SourceUnreadable(
        f"{name}: holds {total} placemark(s){where}, but GDAL reads {n_read} of them as "
        "features (it reads a KMZ's first KML document only, and drops the placemarks beside "
        "a NetworkLink): records would be lost or counted twice; save the placemarks as one "
        "KML document (Google Earth: put them in one folder and 'Save Place As'; or "
        "ogr2ogr -f GeoJSON out.geojson each document), or list each KML as an input"
    )


def _fold_extended_date(gdf: pd.DataFrame) -> pd.DataFrame:
    """Give a placemark without a time element the date of its ``ExtendedData``.

    Some placemarks carry ``TimeStamp``, others only a ``<Data name="date">``: the column
    chosen for the time would leave the latter missing.  When exactly one ExtendedData
    column is named as a date or time (``date``, ``Date of seizure``, ``datetime``, not
    ``end date`` or ``created``), its value fills the blanks of ``timestamp``; a placemark
    with both keeps its time element.
    """
    from ._columns import QUALIFIERS, name_tokens

    when = gdf["timestamp"]
    if when.notna().all() or when.isna().all():  # all or none: the columns speak for themselves
        return gdf
    named = [
        c
        for c in gdf.columns
        if c not in ("timestamp", "geometry", "folder")
        and {"date", "time", "datetime", "timestamp"} & set(toks := name_tokens(c))
        and not QUALIFIERS & set(toks)
    ]
    if len(named) != 1:
        return gdf
    other = gdf[named[0]].astype(object)
    other = other.where(other.notna() & (other.astype(str).str.strip() != ""), None)
    gdf["timestamp"] = when.where(when.notna(), other).astype(object)
    return gdf


def _fold_time_span(gdf: pd.DataFrame) -> pd.DataFrame:
    """Put a placemark's ``TimeSpan`` into its ``timestamp`` (the ``TimeStamp`` column).

    A span with one bound, or equal bounds, is that moment; a span of two different bounds
    is written ``begin/end``, which the date reader rejects as a range (as it does
    ``2021-03-01/2021-03-03`` in a CSV) rather than pick a moment inside it.
    """
    nothing = pd.Series(None, index=gdf.index, dtype=object)
    begin = gdf["begin"] if "begin" in gdf.columns else nothing
    end = gdf["end"] if "end" in gdf.columns else nothing
    # bounds are this module's ISO text, with Z where GDAL read a zone (none means UTC)
    both = begin.notna() & end.notna() & (begin.str.rstrip("Z") != end.str.rstrip("Z"))
    span = begin.where(begin.notna(), end).astype(object)
    span[both] = begin[both].astype(str) + "/" + end[both].astype(str)
    when = gdf["timestamp"] if "timestamp" in gdf.columns else nothing
    gdf = gdf.drop(columns=[c for c in ("begin", "end") if c in gdf.columns])
    gdf["timestamp"] = when.where(when.notna(), span).astype(object)
    return gdf


def check_whole_size(path: Path, fmt: str, what: str, limit_mb: float) -> None:
    """Refuse a file read whole (with its Shapefile sidecars) above ``limit_mb`` MiB."""
    files = [path]
    if fmt == "shapefile":
        files += [path.with_suffix(s) for s in (".dbf", ".DBF") if path.with_suffix(s).is_file()]
    size = sum(os.stat(f).st_size for f in files) / 2**20
    if size > limit_mb:
        raise SourceUnreadable(
            f"{path.name}: {size:,.0f} MiB, and {what} is read whole (several times its size in "
            f"memory): above ingest.max_uncompressed_mb={limit_mb:g}; raise the limit if the "
            "machine has the memory, or check the file is what the config says it is (AIS/GPS "
            "positions go under inputs.tracks, which are read a block at a time)"
        )


#: Tables without geometry that GIS software saves beside a layer: QGIS' styles and projects.
_STYLE_TABLES = frozenset({"layer_styles", "qgis_projects"})


def spatial_layer(
    target: str, fmt: str, name: str, layer: str | None, *, records: bool = False
) -> tuple[str | None, str | None]:
    """Return (the layer to read, a note): the one layer of geometries among tables without.

    QGIS saves a layer's style into its GeoPackage as the table ``layer_styles`` (no
    geometry): a file of one layer of features and such tables is read from that layer,
    the tables named in the note.  A configured ``layer``, a file of one table, or of
    several layers of geometries (refused by :func:`read_vector`) gives ``(layer, None)``.

    ``records``: the file is read for records (seizures, ports), where a table without
    geometry may be the data itself (an incidents table of lat/lon columns beside a layer
    of the study area): then only the tables QGIS saves (``layer_styles``,
    ``qgis_projects``) are passed over, and any other gives ``(layer, None)`` (refused by
    :func:`read_vector`, which names the layers).  An area is read from the one layer of
    geometries whatever the other tables.
    """
    if layer is not None or fmt in ("kml", "parquet"):
        return layer, None
    import pyogrio

    try:
        listed = pyogrio.list_layers(target)
    except Exception:  # an unreadable file: read_vector says why
        return None, None
    if len(listed) < 2:
        return None, None
    spatial = [str(lyr) for lyr, kind in listed if kind is not None]
    tables = [str(lyr) for lyr, kind in listed if kind is None]
    # only tables known to hold styles or projects are passed over: a table of records
    # (lat/lon columns, no geometry) beside a layer of areas may be the data itself
    if len(spatial) != 1 or (records and any(t.lower() not in _STYLE_TABLES for t in tables)):
        return None, None
    return spatial[0], (
        f"{name}: layer {spatial[0]!r} read; table(s) {tables[:10]!r} hold no geometry "
        "(a QGIS style, metadata) and were not read"
    )


def _ogr_columns(target: str, kwargs: dict[str, Any], columns: list[str]) -> Any:
    """Read ``columns`` of a GDAL layer as an Arrow table (its 64-bit integers exact)."""
    import pyogrio

    return pyogrio.read_arrow(target, columns=columns, read_geometry=False, **kwargs)[1]


def read_vector(
    target: str,
    name: str,
    fmt: str,
    layer: str | None = None,
    max_uncompressed_mb: float | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None, Any]:
    """Read a vector layer: (attribute frame, geometry array or None, CRS or None).

    A Parquet file without GeoParquet metadata is a plain table (geometry None).  A Parquet
    file whose row groups declare more than ``max_uncompressed_mb`` uncompressed is refused
    before it is read (its columns compress like a zip).

    Raises
    ------
    SourceUnreadable
        The file cannot be read as ``fmt``, or would expand beyond the bound.
    """
    import geopandas as gpd

    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            from ._columnar import (
                arrow_kind,
                exact_frame,
                parquet_text_bytes,
                read_bounded,
                table_schema,
            )

            if target.startswith("/vsizip/"):
                raise SourceUnreadable(
                    f"{name}: a Parquet or Arrow IPC file inside a zip is not supported"
                )
            table_schema(target, name)  # cut short, damaged, a column named twice: refused
            if arrow_kind(target) != "parquet":  # Arrow IPC: batch by batch, bounded
                table = read_bounded(target, max_uncompressed_mb, name)
                if b"geo" not in (table.schema.metadata or {}):
                    return _nested_as_text(exact_frame(table)), None, None
                if arrow_kind(target) == "ipc_stream":  # read_feather reads no stream
                    gdf = gpd.GeoDataFrame.from_arrow(table)
                else:
                    gdf = gpd.read_feather(target)
                gdf = exact_columns(gdf, table.select, name)
            elif max_uncompressed_mb is not None:
                md = pq.ParquetFile(target).metadata
                # Dictionary and run-length encodings hide the size in memory: count at
                # least 8 bytes per value.
                size = max(
                    sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups)),
                    md.num_rows * md.num_columns * 8,
                )
                if size / 2**20 <= max_uncompressed_mb:  # text held once in a dictionary
                    size = max(size, parquet_text_bytes(target) + md.num_rows * md.num_columns * 8)
                if size / 2**20 > max_uncompressed_mb:
                    raise SourceUnreadable(
                        f"{name}: expands to {size / 2**20:,.0f} MiB uncompressed, above "
                        f"ingest.max_uncompressed_mb={max_uncompressed_mb:g}; raise the limit "
                        "if the file is genuine"
                    )
            if arrow_kind(target) == "parquet":
                meta = pq.read_schema(target).metadata or {}
                if b"geo" not in meta:
                    return _nested_as_text(exact_frame(pq.read_table(target))), None, None
                gdf = gpd.read_parquet(target)
                gdf = exact_columns(gdf, lambda cols: pq.read_table(target, columns=cols), name)
        elif fmt == "kml":
            gdf = _read_kml(target, name, max_uncompressed_mb)
        else:
            if layer is None:
                import pyogrio

                layers = [str(x) for x in pyogrio.list_layers(target)[:, 0]]
                if len(layers) > 1:  # reading the first would drop the others unsaid
                    raise SourceUnreadable(
                        f"{name}: holds {len(layers)} layers {layers[:10]!r}; set layer: to "
                        "the one to read (one input per layer)"
                    )
            kwargs: dict[str, Any] = {"layer": layer} if layer is not None else {}
            if fmt == "geojson" and not target.lower().endswith(_SEQ_SUFFIXES):
                # a Feature's keys beside its properties are read too: Digitraffic's AIS
                # locations carry the vessel's "mmsi" there, which GDAL drops by default
                kwargs["FOREIGN_MEMBERS"] = "ALL"
            if fmt == "geojson":
                _refuse_a_key_given_twice(target, name)
            with warnings.catch_warnings():
                # GDAL opens an ArcGIS REST answer saved as .json with its ESRIJSON driver and
                # a TopoJSON with its own, which have no such option: nothing to tell the user
                warnings.filterwarnings(
                    "ignore",
                    message=".*(ESRIJSON|TopoJSON) does not support open option FOREIGN_MEMBERS",
                )
                gdf = gpd.read_file(target, engine="pyogrio", **kwargs)
                gdf = exact_columns(gdf, functools.partial(_ogr_columns, target, kwargs), name)
        if target.lower().endswith(_SEQ_SUFFIXES):
            _check_sequence(target, name, len(gdf))
    except SourceUnreadable:
        raise
    except Exception as exc:  # pyogrio, GDAL and pyarrow raise many types for bad files
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        if "not recognized as being in a supported file format" in first:
            # GDAL's advice to prefix a driver name has no place in a config: say what it is
            head = b""
            if not target.startswith("/vsi"):
                with open(target, "rb") as fh:
                    head = fh.read(512).lstrip().lower()
            what = (
                "an HTML page (a web service's error or login page saved under this name?)"
                if head.startswith((b"<!doctype html", b"<html"))
                else "not a file of this type (another format saved under this name?)"
            )
            raise SourceUnreadable(f"{name}: cannot read as {fmt}: its content is {what}") from exc
        if "closed linestring" in first:  # GDAL passes an unclosed ring on, GEOS refuses it
            raise SourceUnreadable(
                f"{name}: a polygon ring is not closed (its last position is not its first, "
                "as GeoJSON, KML and WKT require): the file was cut short or hand-written; "
                "repeat the first position at the end of each ring (QGIS 'Fix geometries' "
                "does it) and check the shape is the one meant"
            ) from exc
        raise SourceUnreadable(
            f"{name}: cannot read as {fmt}: {type(exc).__name__}: {first}"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return _nested_as_text(pd.DataFrame(gdf)), None, None
    geom = gdf.geometry
    if geom.isna().all() and len(gdf):
        if fmt == "geojson":
            _refuse_geometries_not_read(target, name, len(gdf))
        return _nested_as_text(pd.DataFrame(gdf.drop(columns=geom.name))), None, None
    raw = _nested_as_text(pd.DataFrame(gdf.drop(columns=geom.name)))
    geoms = np.asarray(geom.values, dtype=object)
    _refuse_degrees_that_are_not(geoms, gdf.crs, name, fmt)
    return raw, geoms, gdf.crs


def _refuse_degrees_that_are_not(geoms: np.ndarray, crs: Any, name: str, fmt: str) -> None:
    """Refuse a layer that declares degrees while most of its coordinates cannot be degrees.

    A GeoParquet without a ``crs`` key is OGC:CRS84 by its specification, and a shapefile
    may carry a wrong ``.prj``: metre coordinates (500000, 6650000) under a geographic CRS
    were each rejected as out of range, the file's real error unsaid.  The file's CRS is
    what is wrong, so the file is refused saying so (a config ``crs`` never overrides a
    CRS the file declares).
    """
    import shapely
    from pyproj import CRS

    if crs is None or not len(geoms) or not CRS.from_user_input(crs).is_geographic:
        return
    b = shapely.bounds(geoms)  # NaN for empty or missing geometries
    given = np.isfinite(b).all(axis=1)
    if not given.any():
        return
    with np.errstate(invalid="ignore"):
        # beyond 1000: metres or feet, not a degree a typo made (95 N is its own error)
        beyond = given & (np.abs(b) > 1000).any(axis=1)
    if beyond.sum() <= 0.5 * given.sum():
        return
    first = b[np.flatnonzero(beyond)[0]]
    x, y = (first[0] if abs(first[0]) > 1000 else first[2]), first[1]
    missing_key = (
        " (a GeoParquet whose metadata has no 'crs' key is OGC:CRS84 by its specification)"
        if fmt == "parquet"
        else ""
    )
    raise InputError(
        f"{name}: the file declares {CRS.from_user_input(crs).to_string()!r} (degrees), but "
        f"{int(beyond.sum())} of {int(given.sum())} features lie beyond any degree value "
        f"(x {x:.6g}, y {y:.6g}): its CRS is wrong or missing{missing_key}; write the file "
        "with its real CRS (ogr2ogr -a_srs EPSG:<code>, or geopandas set_crs(..., "
        "allow_override=True)) and read it again"
    )


#: GeoJSON text sequences (RFC 8142), read by GDAL's GeoJSONSeq driver; never from a zip
#: (their records are counted from the file, see :func:`_check_sequence`).
_SEQ_SUFFIXES = (".geojsonseq", ".geojsonl")


#: GeoJSON files up to this size are checked for keys given twice (a seizure export is far
#: smaller; a large context layer is read by GDAL alone).
_KEY_CHECK_MAX_BYTES = 64 << 20


def _refuse_a_key_given_twice(target: str, name: str) -> None:
    """Refuse a GeoJSON file one of whose objects gives a key twice.

    GDAL keeps the last value: a feature with two ``date`` properties was read with the
    second, without a word (JSON records reject such a record as ``malformed_json``).  The
    file's size is bounded before it is read (``ingest.max_uncompressed_mb``).
    """
    from ._json import key_given_twice

    if target.startswith("/vsi"):  # a member of an archive: GDAL reads it in place
        return
    size = os.path.getsize(target)
    if size > _KEY_CHECK_MAX_BYTES:  # Python's parse takes ~10x the text: bounded
        log.info("%s: %d MiB, not checked for keys given twice", name, size >> 20)
        return
    with open(target, "rb") as fh:
        data = fh.read()
    key = key_given_twice(data, sequence=target.lower().endswith(_SEQ_SUFFIXES))
    if key is not None:
        raise SourceUnreadable(
            f"{name}: an object gives the key {key!r} twice: which of its values is meant is "
            "unknown (a reader keeps the last, another the first); export the file again or "
            "remove the repeated key"
        )


def geometry_as_written(target: str, n: int) -> tuple[pd.Series, np.ndarray] | None:
    """Return the geometries of a GeoJSON file of ``n`` features as written, for rejects.

    GDAL reads no geometry from a feature whose coordinates it cannot read (numbers written
    in quotes, ``["12.5", "-61.2"]``, which RFC 7946 does not allow and GDAL, QGIS and
    geopandas refuse) and gives it as missing: the text of each feature's coordinates
    (``""`` for a null geometry) and whether they hold text let the reject show what the
    file says.  None for a file too large to parse again (:data:`_KEY_CHECK_MAX_BYTES`), or
    one whose features cannot be matched to GDAL's.
    """
    inside = _zip_member_path(target)
    if inside is None and target.startswith("/vsi"):
        return None
    if inside is not None:
        data = read_member(Path(inside[0]), inside[1])
    else:
        if os.path.getsize(target) > _KEY_CHECK_MAX_BYTES:
            return None
        with open(target, "rb") as fh:
            data = fh.read()
    if len(data) > _KEY_CHECK_MAX_BYTES:
        return None
    found = geometries_as_written(data, sequence=target.lower().endswith(_SEQ_SUFFIXES))
    if found is None or len(found) != n:
        return None
    return (
        pd.Series([t for t, _ in found], dtype=object),
        np.array([q for _, q in found], dtype=bool),
    )


def _refuse_geometries_not_read(target: str, name: str, n: int) -> None:
    """Refuse a GeoJSON file GDAL read no geometry from although its features have some."""
    written = geometry_as_written(target, n)
    if written is None:
        return
    text, quoted = written
    given = np.flatnonzero((text != "").to_numpy())
    if not given.size:  # null geometries all: a table (lat/lon properties) read as one
        return
    first = int(given[0])
    why = (
        "its coordinates are text, not numbers (RFC 7946 positions are numbers; GDAL, QGIS "
        "and geopandas read no geometry from text, nor does ingest); write them without quotes"
        if quoted[first]
        else "it is not a GeoJSON geometry GDAL can read (RFC 7946)"
    )
    raise SourceUnreadable(
        f"{name}: no geometry was read from any of its {n} features, though {given.size} give "
        f"one: feature {first + 1}'s is {text.iloc[first][:120]!r}: {why}"
    )


def _check_sequence(target: str, name: str, n_read: int) -> None:
    """Refuse a GeoJSON sequence of which GDAL read fewer features than it holds records.

    GDAL's GeoJSONSeq driver passes over a record it cannot parse (a line cut short when
    ``osmium export`` was stopped) without a word: the records are counted here, one per
    non-blank line or record separator, and a file with records GDAL did not read is
    refused naming the first of them (the features cannot be told apart reliably).
    """
    import json

    with open(target, "rb") as fh:
        data = fh.read()
    sep = b"\x1e" if b"\x1e" in data[:4096] else b"\n"
    records = [r for r in data.split(sep) if r.strip()]
    if len(records) == n_read:
        return
    first = None
    for i, r in enumerate(records):  # only on the way to a refusal
        try:
            json.loads(r)
        except ValueError:
            first = i + 1
            break
    where = f"; record {first} is not valid JSON" if first else ""
    raise SourceUnreadable(
        f"{name}: holds {len(records)} records and {n_read} could be read as features"
        f"{where} (an export cut short?); export it again or drop the broken records"
    )


def _nested_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with nested values (objects, arrays) as their JSON text.

    A GeoJSON property holding an object (``"meta": {"agency": "Navy"}``) or an array, and a
    Parquet struct or list column, are read as Python dicts, lists or arrays: every value
    rule and the duplicate check hash cells, and a dict is unhashable (a traceback).  Only
    the object columns that do not hash are converted, value by value; the others are kept.
    """
    import json

    def text(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, (dict, list, tuple)):
            return json.dumps(v, ensure_ascii=False, default=str)
        return v

    out = frame
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object:
            continue
        try:
            pd.util.hash_pandas_object(values, index=False)
        except TypeError:  # dicts, lists or arrays among the values
            if out is frame:
                out = frame.copy()
            out[col] = values.map(text)
    return out
