"""Read track files a chunk at a time into a spill dataset: memory set by the chunk, not the file.

:func:`read_tracks` holds a whole file (about 0.6 KB a ping as pandas text); a national day of
AIS does not fit.  Here a track file is read ``chunk_rows`` records at a time and every record
is still accounted for exactly as :func:`read_tracks` accounts for it:

1. **Chunks.**  A CSV is cut at line ends outside quotes (quote parity), each piece read by
   the same :func:`~pipeline.ingest._common.read_text_table` with the header in front, so
   ragged rows, unclosed quotes, blank lines and CR line ends are handled identically and
   every reject keeps its physical line.  The encoding is decided on the whole file first
   (UTF-8, else line by line UTF-8 or cp1252, as for a file read whole); the columns, their units and
   the date order are recognised on the first chunk and kept for the others.  A plain
   Parquet file is read in record batches.  Other formats (GPX, vector layers, GeoParquet, a
   UTF-16 CSV) are read whole by :func:`read_tracks` and spilled.
2. **Row-local rules** (:func:`~pipeline.ingest.tracks.check_ping_rows`) run on each chunk;
   their rejects go to a spill file of that chunk.  What the values say of the whole file
   (speeds or courses in AIS raw tenths, positions that fit the area only misread) is counted
   per chunk, added up, and decided once before the per-vessel rules: a burst of odd values
   in one chunk never decides for the file, whatever the chunk size.  The records that pass go to *buckets* by
   a hash of the vessel id, so each vessel lies in one bucket: a chunk writes one Arrow IPC
   file of its records sorted by bucket, a record batch per bucket (so the files of a file's
   spill grow as its chunks, not as chunks x buckets), and a bucket reads its batch of every
   chunk.  Buckets are in proportion to the input (:func:`n_buckets_for`: a quarter to half
   a chunk of records each), so a bucket -- the input of a per-vessel check and of a transit
   partition -- is as large at 1e8 records as at 1e7.
3. **Per-vessel rules** (:func:`~pipeline.ingest.tracks.check_ping_vessels`: untimed pings of
   timed tracks, the area, duplicates, impossible speeds) run bucket by bucket (consecutive
   buckets of about a chunk of records in one task); the accepted pings of a bucket are
   written sorted by vessel and time.

The result is a :class:`PingStore`: the accepted pings of every track file, readable as frames
of whole vessels (:meth:`PingStore.frames`), merged in global vessel order for the export
(:meth:`PingStore.write_parquet`, byte-identical to writing the in-memory table), with its
count, time range and extent.  Rejects are written to CSV a chunk at a time
(:meth:`TrackSpill.write_rejects`), sorted by line like :func:`write_rejects` does.
"""

from __future__ import annotations

import ast
import codecs
import collections
import contextlib
import csv
import dataclasses
import functools
import io
import logging
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import AmbiguousDateOrder, DatesDecideBothWays, InputError, SourceUnreadable
from ..io import atomic_path, neutralise_formulas, round_floats
from ..schema import COG, LAT, LON, PING_COLUMNS, REJECT_COLUMNS, SOG, SOURCE_ROW, TIME, VESSEL_ID
from ._archive import TABLE_SUFFIXES, source_stem
from ._columnar import (
    IPC_SUFFIXES,
    arrow_kind,
    check_expansion,
    exact_frame,
    iter_batches,
    table_schema,
)
from ._columns import (
    CONTENT_DISTINCT,
    CONTENT_MAX,
    NAMED_DISTINCT,
    WholeFile,
    content_max,
    distinct_ids,
    track_pairs,
    with_content_max,
    with_distinct,
)
from ._common import (
    BROKEN_NOTE,
    MIXED_ENCODING,
    NO_HEADER,
    SEP_LINE,
    DecodedLines,
    DottedDegrees,
    LowercaseS,
    TextTable,
    add_broken_notes,
    as_source,
    decide_misplaced,
    decode_lines,
    dotted_evidence,
    empty_csv,
    first_failing,
    header_again_pattern,
    header_for_records,
    legacy_note,
    lowercase_s_evidence,
    missing_mask,
    missing_memo_off,
    read_text_table,
    sniff_delimiter,
    title_lines,
    units_row_report,
)
from ._dates import (
    MIXED_NOTES,
    MIXED_ORDER,
    ORDER_EVIDENCE,
    ORDER_NOTE,
    mixed_note,
    order_evidence,
    order_undecided,
)
from ._positions import ProjectedEvidence
from .identity import combine_identity, empty_identity
from .options import TrackSource
from .tracks import (
    IDENTITY_PARTS,
    MISPLACED_FIX,
    REPORT,
    SCALE_SAMPLE,
    UNREAD,
    DatedEvents,
    ScaleEvidence,
    check_max_speed,
    check_ping_rows,
    check_ping_vessels,
    dated_events_of,
    detect_ais_schema,
    identity_of,
    layout_report,
    misplaced_of,
    open_track_source,
    parts_like,
    position_texts,
    read_tracks,
    refuse_narrow_ids,
    table_layout,
    used_columns,
)

__all__ = [
    "PingStore",
    "SpillRecord",
    "TrackSpill",
    "estimate_records",
    "read_bucket",
    "read_buckets",
    "n_buckets_for",
    "record_to_spill",
    "spill_to_record",
    "KeptSpill",
    "as_cached",
    "kept_to_spill",
    "rebucket_spill",
    "reject_repeated_spill",
    "spill_files",
    "spill_folder",
    "spill_to_kept",
    "spill_tracks",
    "spill_tracks_partitioned",
    "with_rejects_csv",
    "write_csv_chunks",
]

log = logging.getLogger(__name__)

#: Rows per row group of the spill files (small, so a range of vessels reads little extra).
_ROW_GROUP = 8_192
#: Bytes read at a time when surveying a file.
_SURVEY_BLOCK = 16 << 20
#: A piece of CSV may grow to this many chunks while looking for a line end outside quotes.
_MAX_PIECE_CHUNKS = 4
_PARQUET_ROWS = 1024 * 1024  # pyarrow's row group size for a table written whole

_CANDIDATE_SCHEMA = pa.schema(
    [
        ("v", pa.string()),
        ("t", pa.timestamp("ns")),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("sog", pa.float64()),
        ("cog", pa.float64()),
        ("row", pa.int64()),
        ("i", pa.int64()),
        ("tmiss", pa.bool_()),
        ("out_bbox", pa.bool_()),
        ("out_polygon", pa.bool_()),
        ("pair", pa.string()),
        ("time_raw", pa.string()),
        (UNREAD, pa.int8()),
    ]
)
_PING_SCHEMA = pa.schema(
    [
        (VESSEL_ID, pa.string()),
        (TIME, pa.timestamp("ns", tz="UTC")),
        (LON, pa.float64()),
        (LAT, pa.float64()),
        (SOG, pa.float64()),
        (COG, pa.float64()),
    ]
)
#: A bucket file: the pings, the line of each (where a repeat in a later file is from) and,
#: raw AIS only, its report's identity (:attr:`~.tracks.TrackResult.reports`; null otherwise).
_BUCKET_SCHEMA = _PING_SCHEMA.append(pa.field(SOURCE_ROW, pa.int64())).append(
    pa.field(REPORT, pa.uint64())
)
_REJECT_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("row", pa.int64()),
        ("column", pa.string()),
        ("value", pa.string()),
        ("rule", pa.string()),
        ("message", pa.string()),
    ]
)


def estimate_records(path: str | Path) -> int:
    """Return about how many records a track file holds, cheaply (0 when unknown).

    CSV: its line ends (counted a block at a time); Parquet: its metadata; a zip: its
    members' declared size over 60 bytes a line.  A file read whole anyway (GPX, vector
    layers) counts 0.
    """
    import zipfile

    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in TABLE_SUFFIXES:
            n = 0
            with open(path, "rb") as fh:
                while block := fh.read(_SURVEY_BLOCK):
                    n += block.count(b"\n") or block.count(b"\r")
            return n
        if suffix in (".parquet", ".geoparquet", ".pq"):
            return int(pq.ParquetFile(path).metadata.num_rows)
        if suffix in IPC_SUFFIXES:  # rows are counted batch by batch: about 40 bytes a row
            return os.path.getsize(path) // 40
        if suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                return sum(i.file_size for i in zf.infolist()) // 60
    except (OSError, ValueError, pa.ArrowException, zipfile.BadZipFile):
        return 0  # the reader gives the message
    return 0


def n_buckets_for(total_bytes: int, chunk_rows: int) -> int:
    """Return a number of vessel buckets: at least two per chunk of the inputs, a power of two.

    No upper bound: a bucket is a quarter to half a chunk of records whatever the input's
    size (a chunk writes one file however many buckets there are).  A power of two changes
    only when the inputs double, so the nights of a growing history keep their number of
    buckets, and the cache's spill of an unchanged file is read as it is (a new number of
    buckets is made from its files a bucket at a time, :func:`rebucket_spill`).
    """
    rows = total_bytes / 60.0  # an AIS CSV line is 60-100 bytes
    least = int(max(4, 2 * np.ceil(rows / max(chunk_rows, 1))))
    return 1 << (least - 1).bit_length()


def _bucket_of(vessels: np.ndarray, n_buckets: int) -> np.ndarray:
    """Stable hash bucket of each vessel id (the same in every process and run)."""
    return (pd.util.hash_array(np.asarray(vessels, dtype=object)) % np.uint64(n_buckets)).astype(
        "int64"
    )


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _bucket_table(frame: pd.DataFrame) -> pa.Table:
    """Return pings with their lines as a bucket file's table (no report: not raw AIS)."""
    if REPORT not in frame:
        frame = frame.assign(**{REPORT: pd.array([None] * len(frame), dtype="UInt64")})
    return _table(frame, _BUCKET_SCHEMA)


@dataclass
class _ChunkFile:
    """The candidates of one chunk: an Arrow IPC file, its record batches by bucket."""

    path: Path | None
    keys: np.ndarray  # bucket keys, ascending
    batches: np.ndarray  # first record batch of each key, and (last element) the batch count
    rows: np.ndarray  # records of each key


class _ChunkCandidates:
    """Writes a chunk's candidates, sorted by bucket, to one Arrow IPC file (lz4)."""

    def __init__(self, folder: Path, k: int) -> None:
        self.path = folder / f"candidates-{k:05d}.arrow"
        self.writer: Any = None
        self.keys: list[int] = []
        self.batches: list[int] = [0]
        self.rows: list[int] = []

    def write(self, key: int, table: pa.Table) -> None:
        """Write the candidates of bucket ``key`` (a table of :data:`_CANDIDATE_SCHEMA`)."""
        if not table.num_rows:
            return
        if self.keys and key <= self.keys[-1]:
            raise ValueError(f"bucket {key!r} written after bucket {self.keys[-1]!r}")
        if self.writer is None:
            opts = pa.ipc.IpcWriteOptions(compression="lz4")
            self.writer = pa.ipc.new_file(str(self.path), _CANDIDATE_SCHEMA, options=opts)
        batches = table.to_batches()
        for b in batches:
            self.writer.write_batch(b)
        self.keys.append(key)
        self.batches.append(self.batches[-1] + len(batches))
        self.rows.append(table.num_rows)

    def close(self) -> _ChunkFile:
        if self.writer is not None:
            self.writer.close()
        return _ChunkFile(
            self.path if self.writer is not None else None,
            np.asarray(self.keys, dtype="int64"),
            np.asarray(self.batches, dtype="int64"),
            np.asarray(self.rows, dtype="int64"),
        )


def _bucket_slices(chunks: Sequence[_ChunkFile]) -> dict[int, list[tuple[Path, int, int]]]:
    """Where each bucket's candidates are: (chunk file, first batch, end batch), chunk order."""
    out: dict[int, list[tuple[Path, int, int]]] = {}
    for c in chunks:
        if c.path is None:
            continue
        for j, key in enumerate(c.keys.tolist()):
            out.setdefault(key, []).append((c.path, int(c.batches[j]), int(c.batches[j + 1])))
    return dict(sorted(out.items()))


def _bucket_groups(
    chunks: Sequence[_ChunkFile], max_rows: int
) -> list[list[tuple[int, list[tuple[Path, int, int]]]]]:
    """Consecutive buckets of a file, about ``max_rows`` candidates a group (one task each)."""
    rows: dict[int, int] = {}
    for c in chunks:
        for key, n in zip(c.keys.tolist(), c.rows.tolist(), strict=True):
            rows[key] = rows.get(key, 0) + n
    groups: list[list[tuple[int, list[tuple[Path, int, int]]]]] = []
    size = 0
    for key, slices in _bucket_slices(chunks).items():
        if not groups or size + rows[key] > max_rows:
            groups.append([])
            size = 0
        groups[-1].append((key, slices))
        size += rows[key]
    return groups


def _read_candidates(slices: Sequence[tuple[Path, int, int]]) -> pa.Table:
    """Return one bucket's candidates: its record batches of every chunk file, in order."""
    batches: list[pa.RecordBatch] = []
    for path, b0, b1 in slices:
        with pa.memory_map(str(path)) as source:
            reader = pa.ipc.open_file(source)
            batches.extend(reader.get_batch(j) for j in range(b0, b1))
    return pa.Table.from_batches(batches, schema=_CANDIDATE_SCHEMA)


def _remove_candidates(chunks: Sequence[_ChunkFile]) -> None:
    for c in chunks:
        if c.path is not None:
            c.path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the spill of one file


@dataclass
class _FileCounts:
    """What reading one track file gave, whatever holds its rows: counts, rules, notes."""

    source: str
    n_read: int
    n_accepted: int
    by_rule: dict[str, int]
    notes: list[str]
    assumptions: dict[str, Any]
    #: Each vessel id's ship identity keys (:func:`~pipeline.ingest.identity.identity_table`).
    identity: pd.DataFrame = field(default_factory=empty_identity, kw_only=True)

    @property
    def n_rejected(self) -> int:
        """Rejected records."""
        return self.n_read - self.n_accepted

    def counts(self) -> dict[str, Any]:
        """Return the fields above as keyword arguments (copies of the containers)."""
        return {
            "source": self.source,
            "n_read": int(self.n_read),
            "n_accepted": int(self.n_accepted),
            "by_rule": dict(self.by_rule),
            "notes": list(self.notes),
            "assumptions": dict(self.assumptions),
        }


@dataclass
class TrackSpill(_FileCounts):
    """One track file read into buckets: counts, rules, notes and where the rows are.

    Attributes
    ----------
    source : str
        The file name.
    n_read, n_accepted : int
        Records read and accepted (``n_read == n_accepted + n_rejected``).
    by_rule : dict
        Rejected records per rule.
    notes : list of str
        As :class:`~pipeline.ingest.IngestResult.notes`.
    assumptions : dict
        As :class:`~pipeline.ingest.IngestResult.assumptions` (decided on the first chunk).
    buckets : dict of int to Path
        Accepted pings of each bucket, sorted by vessel and time.
    reject_parts : list of list of Path
        Per chunk, in file order, the spill files of its rejects.
    content_key : str or None
        What the accepted pings are a function of (the run's per-file cache key: the file's
        sha256 and the reading options), set by the runner.  Memos of per-file results key
        on it, whatever the number of buckets of the spill that holds the pings (a spill
        bucketed anew has other bucket files).  None: memos key on the bucket files' bytes.
    rejects_csv : Path or None
        The rejects CSV of exactly ``reject_parts``, written once (:func:`with_rejects_csv`)
        and kept in the cache with the spill: :meth:`write_rejects` copies it, so a night
        does not write the CSV of every unchanged file of a feed anew.  None: written from
        the parts.
    bucket_spans : dict of Path to tuple or None
        The time span of each bucket file looked at by :func:`reject_repeated_spill`, by
        its path (a spill's files are written once): each file of a feed is checked
        against every earlier one's buckets, and the span of each is looked up, not read.
    """

    buckets: dict[int, Path]
    reject_parts: list[list[Path]]
    n_buckets: int
    vessels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    vessel_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))
    time_max: pd.Timestamp | None = None
    extent: tuple[float, float, float, float] | None = None
    content_key: str | None = None
    rejects_csv: Path | None = None
    bucket_spans: dict[Path, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def reject_rate(self) -> float:
        """Rejected records over records read (0 for an empty file)."""
        return self.n_rejected / self.n_read if self.n_read else 0.0

    def iter_rejects(self) -> Iterator[pd.DataFrame]:
        """Yield the rejects a chunk at a time, each sorted by line then rule."""
        for parts in self.reject_parts:
            yield from _rejects_of_chunk(parts)

    def write_rejects(self, out_dir: Path, name: str | None = None) -> Path:
        """Write ``out_dir/rejects/<name>.csv`` like :func:`~pipeline.ingest.write_rejects`.

        Chunk by chunk: the same bytes as the in-memory writer, in bounded memory.
        """
        path = Path(out_dir) / "rejects" / f"{name or source_stem(self.source)}.csv"
        if self.rejects_csv is not None:  # written once from these parts (the same bytes)
            with atomic_path(path, ".csv") as tmp:
                shutil.copyfile(self.rejects_csv, tmp, follow_symlinks=False)
            return path
        return write_csv_chunks(self.iter_rejects, path, list(REJECT_COLUMNS))


def write_csv_chunks(chunks, path: Path, columns: Sequence[str]) -> Path:
    """Write the frames ``chunks()`` yields as one CSV, as :func:`~pipeline.io.write_csv` would.

    A first pass finds whether any text holds a carriage return, which decides the line end
    of the whole file; the frames it made ready are written as they are when they are few
    (``chunks`` is called a second time only for more than :data:`_HELD_ROWS` rows).
    """
    from ..io import CSV_FLOAT_FORMAT

    cr = False
    held: list[pd.DataFrame] | None = []
    n = 0
    for frame in chunks():
        safe = neutralise_formulas(round_floats(frame))
        cr = cr or _has_cr(safe)
        n += len(safe)
        if held is not None:
            held.append(safe)
            if n > _HELD_ROWS:
                held = None
    if held is not None and not held:
        with atomic_path(path, ".csv") as tmp:
            tmp.write_bytes(empty_csv(tuple(columns)))
        return Path(path)
    eol = "\r\n" if cr else "\n"
    ready = held if held is not None else (neutralise_formulas(round_floats(f)) for f in chunks())
    with atomic_path(path, ".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        header = True
        for safe in ready:
            safe.to_csv(
                fh,
                index=False,
                header=header,
                float_format=CSV_FLOAT_FORMAT,
                lineterminator=eol,
            )
            header = False
    return Path(path)


#: Rejects kept ready between the two passes of :func:`write_csv_chunks` (tens of MB at most).
_HELD_ROWS = 100_000


def _has_cr(frame: pd.DataFrame) -> bool:
    """Whether a text cell holds a carriage return (as ``write_csv`` decides its line end)."""
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
            if col.astype(str).str.contains("\r", regex=False).any():
                return True
    return False


# --------------------------------------------------------------------------- CSV pieces


@dataclass
class _Survey:
    encoding: str
    note: str | None
    eol: bytes  # b"\n", or b"\r" for a file whose lines end with CR only
    by_line: bool = False  # not UTF-8: each piece is decoded by decode_lines


def _survey(fh: IO[bytes], name: str, encoding: str | None) -> _Survey | None:
    """Decide the encoding and the line end on the whole file (None: not streamable)."""
    head = fh.read(4)
    fh.seek(0)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None  # UTF-16: read whole
    if encoding is not None:
        try:
            if codecs.lookup(encoding).name not in ("utf-8", "ascii", "cp1252", "iso8859-1"):
                return None  # multi-byte or unusual: line ends are not single bytes
        except LookupError:
            return None  # read_text_table gives the message
    has_lf = has_cr = False
    bom = head[:3] == b"\xef\xbb\xbf"
    enc = encoding or "utf-8"
    decoder = codecs.getincrementaldecoder(enc)()
    first_bad: tuple[int, bytes] | None = None
    offset = -3 if bom and encoding is None else 0  # offsets as in the file without its BOM
    while True:
        block = fh.read(_SURVEY_BLOCK)
        if not block:
            break
        has_lf = has_lf or b"\n" in block
        has_cr = has_cr or b"\r" in block
        if first_bad is None:
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                if encoding is not None:
                    raise SourceUnreadable(f"{name}: cannot decode as {encoding!r}: {exc}") from exc
                at = offset - pending + exc.start
                first_bad = (at, bytes(exc.object[exc.start : exc.start + 1]))
        offset += len(block)
    if offset <= 0:
        # no byte (past a BOM): read whole, where an empty file is refused -- streamed, it
        # gave no chunk and so an empty spill, taken as a file of no records
        return None
    if first_bad is None:  # a lead byte at the very end waits for bytes that never come
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if encoding is not None:
                raise SourceUnreadable(f"{name}: cannot decode as {encoding!r}: {exc}") from exc
            first_bad = (offset - pending + exc.start, bytes(exc.object[exc.start : exc.start + 1]))
    eol = b"\r" if has_cr and not has_lf else b"\n"
    if first_bad is None:
        return _Survey(enc, None, eol)
    # not UTF-8: each line is UTF-8 or cp1252 on its own (decode_lines), read in whole lines
    fh.seek(0)
    buf, lines_before, legacy, first, mixed = b"", 0, 0, 0, False
    while True:
        block = fh.read(_SURVEY_BLOCK)
        buf += block
        cut = len(buf) if not block else buf.rfind(eol) + 1
        if cut == 0 and len(buf) > 4 * _SURVEY_BLOCK:  # a line without end: bound the memory
            cut = len(buf)
        if cut > 0:
            piece, buf = buf[:cut], buf[cut:]
            got = decode_lines(piece)
            if got.first_legacy and not first:
                first = lines_before + got.first_legacy
            legacy += got.legacy_lines
            mixed = mixed or got.utf8_non_ascii
            lines_before += piece.count(eol)
        if not block:
            break
    whole = DecodedLines("", legacy, first, mixed)  # the file's verdict for its note
    return _Survey(
        MIXED_ENCODING if mixed else "cp1252", legacy_note(name, whole, first_bad), eol, True
    )


def _pieces(fh: IO[bytes], chunk_bytes: int, eol: bytes, delim: str) -> Iterator[bytes]:
    """Yield consecutive pieces of the file, each ending at a line end outside quotes.

    A line end is outside quotes as the reader sees it (:func:`_record_end`): a quote opens a
    quoted value only at the start of a field, so the ``"`` of ``12" pipe`` is a character
    of its value, not the start of a quoted one.  A piece that finds none within
    ``_MAX_PIECE_CHUNKS`` chunks (a quote opened and never closed) is cut at its last line
    end; the reader's unclosed-quote recovery then handles it as it does in a file read whole.
    """
    buf = b""
    while True:
        block = fh.read(chunk_bytes)
        if not block:
            if buf:
                yield buf
            return
        buf += block
        cut = _record_end(buf, eol, delim)
        if cut < 0:
            if len(buf) < _MAX_PIECE_CHUNKS * chunk_bytes or buf.rfind(eol) < 0:
                continue
            cut = buf.rfind(eol)
        yield buf[: cut + 1]
        buf = buf[cut + 1 :]


#: A line after a piece's text: read as a record of its own only if no quote is left open.
_CUT_MARK = "\x01route-risk: end of piece\x01"


def _record_end(buf: bytes, eol: bytes, delim: str) -> int:
    """Return the index of the last ``eol`` of ``buf`` that ends a record (-1: none).

    ``buf`` starts at a record.  Without a ``"`` every line end ends a record.  Otherwise the
    text is read with the csv module as :func:`~pipeline.ingest._common.read_text_table`
    reads a piece (line ends made LF, a quote opening a value only at the start of a field):
    counting every ``"`` took the literal ``"`` of an unquoted value (``12" pipe``) for an
    opening quote, and a later quoted value that spans lines was cut in two -- rejects a
    read of the whole file does not make.
    """
    last = buf.rfind(eol)
    if last < 0 or buf.find(b'"', 0, last) < 0:
        return last
    text = buf[: last + 1].decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + len(_CUT_MARK) + 1))
    try:
        reader = csv.reader(io.StringIO(text + _CUT_MARK + "\n"), delimiter=delim)
        tail = collections.deque(reader, maxlen=1)  # read in C: the common case
        if tail and tail[0] == [_CUT_MARK]:
            return last  # no quote open at the last line end
        # a quoted value is open at the last line end: the line ends of the records before
        # the one that holds it (a Python loop only here, as the reader's own recovery)
        reader = csv.reader(io.StringIO(text + _CUT_MARK + "\n"), delimiter=delim)
        ends = [reader.line_num for _ in reader]
    except csv.Error:  # a delimiter the csv module refuses: the line ends alone
        return last
    finally:
        csv.field_size_limit(limit)
    arr = np.frombuffer(buf, dtype=np.uint8, count=last + 1)
    lf = arr == 10
    line_ends = np.flatnonzero(lf | ((arr == 13) & np.r_[~lf[1:], True]))  # LF, CR, CRLF's LF
    for n in reversed(ends[:-1]):  # records before the one still open
        at = int(line_ends[n - 1])
        if buf[at : at + 1] == eol:
            return at
    return -1


def _count_lines(piece: bytes) -> int:
    """Physical lines in a piece, counted as the reader counts them (CR, LF, CRLF)."""
    return piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")


def _csv_spans(
    fh: IO[bytes], survey: _Survey, chunk_rows: int, delimiter: str | None
) -> Iterator[tuple[int, bytes, int]]:
    """Yield (byte offset, raw piece, physical line of its first record) of consecutive pieces.

    ``delimiter`` is the configured one (None: the one the start of the file shows, as the
    first chunk's read finds it), which says where a field, and so a quoted value, starts.
    A piece whose last line is the header again (files joined end to end) leaves that line
    to the next piece: the units row below it is then read below it (cut there, it was the
    next chunk's first line, taken for that chunk's own units row and dropped unseen).
    """
    sample = fh.read(1 << 20)
    fh.seek(0)
    per_line = max(len(sample) / max(_count_lines(sample), 1), 8.0)
    chunk_bytes = int(max(per_line * chunk_rows, 1 << 16))
    delim = _cut_delimiter(sample, delimiter)
    offset, line = 0, 1
    carry = b""
    again: re.Pattern[bytes] | None = None
    for piece in _pieces(fh, chunk_bytes, survey.eol, delim):
        if again is None:  # the first piece: after its header, a line may be it again
            top, n_lines, _ = _header_line(_utf8(piece, survey), survey.eol, delimiter)
            again = header_again_pattern(top.rstrip(b"\r\n"), delim)
            at = 0
            for _ in range(n_lines):
                nxt = piece.find(survey.eol, at)
                at = len(piece) if nxt < 0 else nxt + len(survey.eol)
            head, piece = piece[:at], piece[at:]
        else:
            head, piece = b"", carry + piece
        carry, piece = _header_again_at_end(piece, survey, delim, again)
        piece = head + piece
        if piece:
            yield offset, piece, line
            offset += len(piece)
            line += _count_lines(piece)
    if carry:
        yield offset, carry, line


def _header_again_at_end(
    piece: bytes, survey: _Survey, delim: str, again: re.Pattern[bytes]
) -> tuple[bytes, bytes]:
    """Return ``(carried, kept)``: the piece's last line when it is the header again."""
    eol = survey.eol
    end = len(piece) - len(eol) if piece.endswith(eol) else len(piece)
    start = piece.rfind(eol, 0, end) + 1
    # a byte-order mark starting the line (the second file's, cat a.csv b.csv) is no part
    # of it, as read_text_table drops it: kept, the header there was cut from its units row
    last = _utf8(piece[start:end], survey).rstrip(b"\r").removeprefix(b"\xef\xbb\xbf")
    found = again.match(b"\n" + last + b"\n")
    if found is None or found.end() != len(last) + 1:
        return b"", piece
    if start and _record_end(piece[:start], eol, delim) != start - 1:
        return b"", piece  # the line is inside a quoted value: no header
    return piece[start:], piece[:start]


def _header_line(first_piece: bytes, eol: bytes, delimiter: str | None) -> tuple[bytes, int, int]:
    """Return the header line of a file's first piece (UTF-8), its line and the titles.

    Past Excel's ``sep=`` line and the title lines above the header (as
    :func:`~pipeline.ingest._common.read_text_table` skips them with ``find_header``):
    ``(header line with its end, lines up to and with it, title lines skipped)``.
    """
    text = first_piece[3:] if first_piece.startswith(b"\xef\xbb\xbf") else first_piece
    end = text.find(eol)
    above = 0
    sep = SEP_LINE.match(text[: max(end, 0)].decode("utf-8", "ignore").strip() + "\n")
    if end >= 0 and sep:
        above, text = 1, text[end + len(eol) :]
        delimiter = delimiter or sep.group(1)
    head = text[: 1 << 16].decode("utf-8", errors="ignore")
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    skipped, _ = title_lines(head, delimiter)
    for _ in range(skipped):
        text = text[text.find(eol) + len(eol) :]
    end = text.find(eol)
    top = text[: end + len(eol)] if end >= 0 else text + eol
    return top, above + skipped + 1, skipped


def _cut_delimiter(sample: bytes, delimiter: str | None) -> str:
    """Return the delimiter of a file from its first bytes (``delimiter`` when it is one)."""
    if delimiter is not None and len(delimiter) == 1:
        return delimiter
    head = sample[3:] if sample.startswith(b"\xef\xbb\xbf") else sample
    text = head[: 1 << 16].decode("utf-8", errors="ignore").replace("\r\n", "\n")
    text = text.replace("\r", "\n")
    sep = SEP_LINE.match(text.split("\n", 1)[0].strip() + "\n")
    if sep:  # Excel's 'sep=;' line names it
        return sep.group(1)
    return sniff_delimiter(text)


def _utf8(piece: bytes, survey: _Survey) -> bytes:
    if survey.by_line:
        return decode_lines(piece).text.encode("utf-8")
    return piece if survey.encoding == "utf-8" else piece.decode(survey.encoding).encode("utf-8")


def _header_of(first_piece: bytes, survey: _Survey, delimiter: str | None, name: str) -> bytes:
    """Return the header line of the file (read_text_table checks it, reads its names).

    The header is the line below Excel's ``sep=`` line and any title lines (a report's
    name, a row of column groups), as the first chunk's read finds it: put in front of a
    later chunk, the title was taken for its header.  A file without a header (its first
    line a record) gets the names the first chunk's read gave it
    (:func:`~pipeline.ingest._common.header_for_records`, decided on the same first 64 KiB
    as a whole read), in front of every later chunk.
    """
    header, _, skipped = _header_line(first_piece, survey.eol, delimiter)
    if skipped:
        return header  # below a title, the header is the line below it (no record)
    first_piece = first_piece[3:] if first_piece.startswith(b"\xef\xbb\xbf") else first_piece
    end = first_piece.find(survey.eol)
    sep = SEP_LINE.match(first_piece[: max(end, 0)].decode("utf-8", "ignore").strip() + "\n")
    if end >= 0 and sep:
        first_piece = first_piece[end + len(survey.eol) :]
        delimiter = delimiter or sep.group(1)
    head = first_piece[: 1 << 16].decode("utf-8", errors="ignore")
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    named = header_for_records(head, delimiter or sniff_delimiter(head), name, 2 if sep else 1)
    return header if named is None else (named + "\n").encode("utf-8")


def _csv_chunks(
    fh: IO[bytes], name: str, survey: _Survey, chunk_rows: int, delimiter: str | None
) -> Iterator[tuple[bytes, int]]:
    """Yield (UTF-8 CSV text with the header line first, physical line of its first record)."""
    header: bytes | None = None
    for _, piece, line in _csv_spans(fh, survey, chunk_rows, delimiter):
        piece = _utf8(piece, survey)
        if header is None:
            header = _header_of(piece, survey, delimiter, name)
            yield piece, 1
            continue
        yield header + piece, line


# --------------------------------------------------------------------------- one file


@dataclass
class _State:
    """What the chunks of one file share while it is read."""

    name: str
    src: TrackSource
    folder: Path
    n_buckets: int
    aoi_bbox: Any
    aoi_polygon: Any
    notes: list[str] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    layout: dict | None = None
    crs: Any = None
    n_read: int = 0
    n_records: int = 0  # records that reached the checks (not ragged)
    timed: set[str] = field(default_factory=set)
    chunk_first: list[int] = field(default_factory=list)  # first line (row) of each chunk
    delim: str | None = None  # the delimiter the first chunk found
    # whether the records end with the delimiter below a plain header, as the first chunk
    # decided (on the first 64 KiB, as a whole read does): every later chunk reads so
    trailing: bool | None = None
    headerless: bool = False  # the file has no header line (the first chunk found)
    units: dict[str, str] = field(default_factory=dict)  # its units row (the first chunk's)
    # what the evidence of the columns found by their values quotes, over the chunks read
    # (the whole file's, as a read in one piece quotes it)
    content: _ContentEvidence = field(default_factory=lambda: _ContentEvidence())
    usecols: list[str] | None = None  # the columns later chunks read
    reject_parts: list[list[Path]] = field(default_factory=list)
    by_rule: dict[str, int] = field(default_factory=dict)
    candidates: list[_ChunkFile] = field(default_factory=list)  # one per chunk, in order
    misplaced: Any = None  # misplaced_counts summed over the chunks (decided once, at the end)
    # the speed and course columns' scale, added up over the chunks (decided once, at the end)
    scale: ScaleEvidence = field(default_factory=ScaleEvidence)
    sample_room: int = SCALE_SAMPLE  # ship records the chunks before left to the scale's sample
    identity: list[pd.DataFrame] = field(default_factory=list)  # per chunk, added up at the end
    # reads the whole file's date column for a deciding value (day-first or month-first)
    order_scan: Callable[[str], bool | None] | None = None
    # counts what the whole file's positions say about a latitude's lowercase 's'
    # (LowercaseS) and about one-dot values with a letter (DottedDegrees), a chunk at a time
    s_scan: Callable[[], tuple[LowercaseS, DottedDegrees]] | None = None
    # what the identity rules need of the whole file, read a chunk at a time on their asking:
    # the first chunk may hold one voyage of each ship, or no value of the vessel's MMSI
    whole_scan: WholeFile | None = None
    # what the positions say about projected coordinates, added up (decided once, at the end)
    projected: ProjectedEvidence = field(default_factory=ProjectedEvidence)

    def finish_content(self) -> None:
        """Quote the whole file's values in the evidence of the columns found by them.

        The first chunk decided which column is the latitude, the longitude or the vessel
        id by its values, and its note quoted that chunk's largest value or its distinct
        ids; a read of the whole file quotes the file's.
        """
        columns = self.assumptions.get("columns") or {}
        for role, e in sorted(columns.items()):
            if not isinstance(e, dict):
                continue
            evidence = self.content.reword(role, str(e.get("evidence")))
            if evidence == e.get("evidence"):
                continue
            if e.get("by") == "content":
                was = f"{self.name}: {role} taken from column {e['column']!r} by its values "
                self.notes[:] = [
                    was + f"({evidence})" if t == was + f"({e['evidence']})" else t
                    for t in self.notes
                ]
            columns = dict(columns, **{role: dict(e, evidence=evidence)})
            self.assumptions["columns"] = columns

    def add_misplaced(self, counts: np.ndarray | None) -> None:
        if counts is not None:
            self.misplaced = counts if self.misplaced is None else self.misplaced + counts

    def decide_scale(self) -> None:
        """Refuse projected positions, or speeds or courses in AIS raw tenths (see tracks)."""
        self.projected.decide(self.name)
        if self.layout is not None:
            self.scale.decide(self.layout, self.name)

    def decide_misplaced(self) -> None:
        """Refuse the file if its positions miss the area only as misread (see tracks)."""
        if self.misplaced is not None:
            self.note(
                *decide_misplaced(
                    self.misplaced,
                    self.aoi_bbox,
                    self.name,
                    fix=MISPLACED_FIX,
                    bbox_as_written=self.aoi_polygon is None,  # else the polygon's bounds
                    grid=((self.layout or {}).get("picks") or {}).get("grid"),
                )
            )

    def note(self, *texts: str) -> None:
        """Add notes; a chunk's counted note adds its count to the same note of earlier chunks.

        ``"f.csv: 2 date(s) outside ... rejected"`` from two chunks is one note of 4, as the
        whole file's read would say, never the first chunk's 2 (de-duplicated by its text).
        A note first said by a later chunk goes before the next of that chunk's notes that an
        earlier chunk said, where a read of the whole file says it (a count of times whose
        own offset disagrees with their header, said before the count of times placed).
        """
        for j, t in enumerate(texts):
            if self._add_order_note(t) or self._add_broken_note(t):
                continue
            if t in self.notes and not _COUNTED_NOTE.match(t):
                continue
            m = _COUNTED_NOTE.match(t)
            same = self._said(t)
            if same is None:
                later = (self._said(u) for u in texts[j + 1 :])
                at = next((i for i in later if i is not None), len(self.notes))
                self.notes.insert(at, t)
            else:
                o = _COUNTED_NOTE.match(self.notes[same])
                assert o is not None and m is not None
                total = int(o["n"]) + int(m["n"])
                body, k, tail = _rejected_tail(o["rest"])
                _, k2, tail2 = _rejected_tail(m["rest"])
                rest = body + (f"; {k + k2} {tail or tail2}" if k + k2 else "")
                self.notes[same] = f"{m['head']}: {total} {rest}"

    def _said(self, text: str) -> int | None:
        """Return where the notes say ``text`` (or count its records with another count)."""
        if text in self.notes:
            return self.notes.index(text)
        m = _COUNTED_NOTE.match(text)
        if m is None:
            return None
        return next(
            (
                i
                for i, old in enumerate(self.notes)
                if (o := _COUNTED_NOTE.match(old))
                and o["head"] == m["head"]
                and _same_counted(o["rest"], m["rest"])
            ),
            None,
        )

    def _add_broken_note(self, text: str) -> bool:
        """Add a chunk's note of unclosed quotes to the file's (True if it is one).

        One note for the file, as a read of the whole file gives: the counts added, the
        lines listed in file order, before the schema's note as the reader's notes are.
        """
        if BROKEN_NOTE.match(text) is None:
            return False
        for i, old in enumerate(self.notes):
            merged = add_broken_notes(old, text)
            if merged is not None:
                self.notes[i] = merged
                return True
        schema = f"{self.name}: position table schema "
        at = next((i for i, t in enumerate(self.notes) if t.startswith(schema)), len(self.notes))
        self.notes.insert(at, text)
        return True

    def _add_order_note(self, text: str) -> bool:
        """Add a chunk's note of dates read day- or month-first to the file's (True if one).

        The chunks' dates are counted in one note, with the file's first example: the
        evidence is the file's, put in by :meth:`finish_dates` once every chunk is read.
        """
        m = ORDER_NOTE.match(text)
        if m is None:
            return False
        for i, old in enumerate(self.notes):
            o = ORDER_NOTE.match(old)
            if o and o["where"] == m["where"] and o["order"] == m["order"]:
                total = int(o["n"]) + int(m["n"])
                self.notes[i] = old.replace(
                    f"{o['where']}: {o['n']} ", f"{o['where']}: {total} ", 1
                )
                return True
        self.notes.append(text)
        return True

    def finish_dates(self) -> None:
        """Word the note of the dates' day/month order as a read of the whole file does.

        Its evidence (the values proving each order, those that could be either) and what
        decided are the file's, added up over the chunks (``assumptions['dates']``), not the
        first chunk's.

        Dates that prove both orders, none ambiguous, are read as written, as whole: the
        order is mixed, said in one note (a chunk's own, or the dates of later chunks that
        contradict the first's order, are the file's).

        Raises
        ------
        InputError
            The file's values decide both ways while some could be either, as a read of the
            whole file refuses them (one chunk decided, a later one read the others alike).
        """
        dates = self.assumptions.get("dates") or {}
        if not dates.get("order_evidence"):
            return
        n = ORDER_EVIDENCE.fullmatch(dates["order_evidence"])
        if dates.get("order_by") == "values" and n and int(n["day"]) and int(n["month"]):
            said = [i for i, t in enumerate(self.notes) if MIXED_NOTES.match(t)]
            if said and not int(n["either"]):
                where = MIXED_NOTES.match(self.notes[said[0]])["where"]  # type: ignore[index]
                self.notes[said[0]] = mixed_note(where, int(n["day"]), int(n["month"]))
                self.notes[:] = [t for i, t in enumerate(self.notes) if i not in said[1:]]
                dates["order"] = MIXED_ORDER
        for i, t in enumerate(self.notes):
            m = ORDER_NOTE.match(t)
            if m:
                by = dates.get("order_by") or m["by"]
                n = ORDER_EVIDENCE.fullmatch(dates["order_evidence"])
                if by == "values" and n and int(n["day"]) and int(n["month"]):
                    try:
                        example = ast.literal_eval(m["example"])
                    except (ValueError, SyntaxError):  # the note's own repr: not expected
                        example = m["example"]
                    raise DatesDecideBothWays(
                        order_undecided(
                            m["where"], int(m["n"]), [example], int(n["day"]), int(n["month"])
                        )
                    )
                self.notes[i] = (
                    f"{m['where']}: {m['n']} date(s) like {m['example']} read {m['order']} "
                    f"(decided by {by}; {dates['order_evidence']})"
                )

    def count(self, rejects: pd.DataFrame) -> None:
        for rule, n in rejects["rule"].value_counts().items():
            self.by_rule[str(rule)] = self.by_rule.get(str(rule), 0) + int(n)


#: A note that counts records: "f.csv: 12 date(s) outside 1980..2100 rejected".
_COUNTED_NOTE = re.compile(r"^(?P<head>[^:]+): (?P<n>\d+) (?P<rest>.+)$", re.S)
#: A counted note's last clause counting the records it rejected: a chunk without one
#: says none ("f.csv: 5 local time(s) placed in UTC ...; 2 without a usable one rejected").
_REJECTED_TAIL = re.compile(r"^(?P<body>.+); (?P<k>\d+) (?P<tail>[^;]+ rejected)$", re.S)


def _rejected_tail(rest: str) -> tuple[str, int, str | None]:
    """Split a counted note's text into its body, its rejected count and that clause's words."""
    m = _REJECTED_TAIL.match(rest)
    return (m["body"], int(m["k"]), m["tail"]) if m else (rest, 0, None)


def _same_counted(a: str, b: str) -> bool:
    """Whether two chunks' counted notes say the same, their rejected counts apart."""
    body_a, _, tail_a = _rejected_tail(a)
    body_b, _, tail_b = _rejected_tail(b)
    return body_a == body_b and (tail_a is None or tail_b is None or tail_a == tail_b)


#: A counted part of a statement: "12 value(s) without zone taken as UTC".
_COUNTED = re.compile(r"^(\d+) (.+)$")
#: The order in which the whole-file reader gives the parts of its time zone statement.
_ZONE_ORDER = ("local time(s) placed", "value(s) name their zone", "value(s) without zone")


def _add_sentences(a: str | None, b: str | None) -> str | None:
    """Add two counted statements (``"2 value(s) ...; 1 value(s) ..."``) part by part.

    The parts that start with a count are summed by their words; a part without a count is
    kept once; ``"no values"`` counts nothing.
    """
    if not b or b == "no values":
        return a
    if not a or a == "no values":
        return b
    counts: dict[str, int | None] = {}
    for part in (*a.split("; "), *b.split("; ")):
        m = _COUNTED.match(part)
        if m is None:
            counts.setdefault(part, None)
        else:
            counts[m[2]] = (counts.get(m[2]) or 0) + int(m[1])

    def rank(words: str) -> int:
        return next((i for i, w in enumerate(_ZONE_ORDER) if words.startswith(w)), len(_ZONE_ORDER))

    words = sorted(counts, key=rank)  # stable: other parts keep their order
    return "; ".join(w if counts[w] is None else f"{counts[w]} {w}" for w in words)


def _add_chunk_statements(assumptions: dict[str, Any], info: dict[str, Any], name: str) -> None:
    """Add what a later chunk of a file says about its dates to the file's ``assumptions``.

    The first chunk with records states the dates (order, formats, time zone); a later
    chunk adds its counts: the spellings seen, the time zone statement (its values named
    their zone, were taken as UTC, or are dates without a time: a file whose first chunk
    names its zone and whose later ones do not says so), and the counts of the time of day
    and UTC offset reports.  Year-first dates read year-day-month in one chunk and
    year-month-day in another (``dayfirst: true``, where only some chunks hold a day above
    12 to show the order) are refused: read whole, the file's dates are read one way.
    """
    seen = assumptions.setdefault("dates", {}).setdefault("formats", {})
    for fmt, count in (info.get("dates", {}).get("formats") or {}).items():
        seen[fmt] = seen.get(fmt, 0) + count
    more = ORDER_EVIDENCE.fullmatch(info.get("dates", {}).get("order_evidence") or "")
    if more is not None:  # the values proving each order, counted over the file
        had = ORDER_EVIDENCE.fullmatch(assumptions["dates"].get("order_evidence") or "")
        n = {k: int(more[k]) + (int(had[k]) if had else 0) for k in ("day", "month", "either")}
        assumptions["dates"]["order_evidence"] = order_evidence(n["day"], n["month"], n["either"])
    if seen.get("year-day-month") and seen.get("year-month-day"):
        column = assumptions["dates"].get("column") or info.get("dates", {}).get("column")
        raise InputError(
            f"{name} column {column!r}: read in chunks, {seen['year-day-month']} year-first "
            "date(s) of chunks holding a day above 12 read year-day-month (yyyy-dd-mm, as "
            f"dayfirst says) but {seen['year-month-day']} of chunks holding none read "
            "year-month-day: the two readings of one column would give wrong dates; write "
            "the dates yyyy-mm-dd in the source, or set ingest.chunk_rows above the file's "
            "record count to read it whole"
        )
    if info.get("time_zone"):
        assumptions["time_zone"] = _add_sentences(assumptions.get("time_zone"), info["time_zone"])
    if info.get("dotted_degrees"):  # decided for the file: any chunk that read one says it
        assumptions.setdefault("dotted_degrees", info["dotted_degrees"])
    for key in ("time_of_day", "utc_offset"):
        more = info.get(key)
        if not isinstance(more, dict):
            continue
        have = assumptions.setdefault(key, {})
        for k, v in more.items():
            if isinstance(v, int) and not isinstance(v, bool):
                have[k] = int(have.get(k, 0)) + v
            else:
                have.setdefault(k, v)


def _write_rejects_part(state: _State, frames: list[pd.DataFrame], path: Path) -> Path:
    frames = [f for f in frames if len(f)]
    if not frames:  # most chunks of a clean feed: the one table of no rejects
        pq.write_table(_no_rejects(), path)
        return path
    rej = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    state.count(rej)
    pq.write_table(_reject_table(rej), path)
    return path


def _reject_table(rej: pd.DataFrame) -> pa.Table:
    """Return rejects as the Arrow table of a rejects part (text columns, ``row`` Int64)."""
    rej = rej.astype({"source_file": str, "column": str, "value": str, "rule": str, "message": str})
    rej["row"] = pd.to_numeric(rej["row"], errors="coerce").astype("Int64")
    return _table(rej, _REJECT_SCHEMA)


@functools.lru_cache(maxsize=1)
def _no_rejects() -> pa.Table:
    """Return the rejects part of a chunk without rejects (made once: a table is immutable)."""
    return _reject_table(pd.DataFrame({c: pd.Series([], dtype="object") for c in REJECT_COLUMNS}))


def _chunk(
    state: _State,
    raw: pd.DataFrame,
    rows: np.ndarray,
    pre: pd.DataFrame,
    first_row: int,
    writers,
    k: int | None = None,
    first: int | None = None,
) -> None:
    """Row-local checks of one chunk; rejects to its spill file, the rest to the buckets.

    ``k`` numbers the chunk in the file and ``first`` orders its first record in the file
    (both follow from the chunks before when the file is read in one pass).
    """
    k = len(state.chunk_first) if k is None else k
    first = state.n_read if first is None else first  # file order of the chunk's first record
    state.chunk_first.append(first_row)
    n = len(raw)
    state.n_read += n + len(pre)
    state.n_records += n
    assert state.layout is not None
    parts = state.layout if k == 0 else parts_like(state.layout, raw, state.src)
    rejects = []
    if n and parts.get("lowercase_s") is None and state.s_scan is not None:
        if (
            lowercase_s_evidence(parts["lat"], parts["lon"]).lone
            or dotted_evidence(parts["lat"], parts["lon"]).minutes
        ):
            # a latitude ends in a lowercase 's' (south or the seconds' unit?), or a value
            # has one dot and a letter (04.10S: decimal or degrees.minutes?): the whole
            # file's values say what it is, never this chunk's alone
            found, dotted = state.s_scan()
            state.layout = dict(state.layout, lowercase_s=found, dotted=dotted)
            parts = dict(parts, lowercase_s=found, dotted=dotted)
    if n:
        state.content.add_chunk(state.layout, raw)

        def checks_with(parts: dict):
            return check_ping_rows(
                raw,
                parts,
                name=state.name,
                crs=state.crs,
                is_mmsi=parts["is_mmsi"],
                aoi_bbox=state.aoi_bbox,
                aoi_polygon=state.aoi_polygon,
                sample_rows=state.sample_room - state.scale.sampled,
            )

        try:
            checks = checks_with(parts)
        except AmbiguousDateOrder:
            # no date of the first chunk says day-first or month-first: the whole file's
            # dates decide, as when the file is read in one piece
            dayfirst = state.order_scan(parts["time_col"]) if k == 0 and state.order_scan else None
            if dayfirst is None:
                raise
            # decided by the file's values, as a read of the whole file says (finish_dates)
            state.layout = parts = dict(state.layout, dayfirst=dayfirst, order_by="values")
            checks = checks_with(parts)
        if "pair_col" not in state.assumptions:  # the first chunk with records
            state.assumptions.update(checks.info)
            state.assumptions["pair_col"] = checks.pair_col
            state.assumptions["time_col"] = checks.time_col
            order = checks.info.get("dates", {}).get("order")
            if order in ("day-first", "month-first") and state.layout.get("dayfirst") is None:
                # the first chunk decided the order: every other chunk reads dates alike;
                # one its header decided still refuses a date of the other order, as whole
                by = checks.info.get("dates", {}).get("order_by")
                state.layout = dict(
                    state.layout,
                    dayfirst=order == "day-first",
                    **({"order_by": "header"} if by == "header" else {}),
                )
        else:  # the spellings and zones seen, counted over the whole file
            _add_chunk_statements(state.assumptions, checks.info, state.name)
        state.note(*checks.notes)
        state.add_misplaced(misplaced_of(checks, state.aoi_bbox))
        checks.scale.locate(rows)
        state.scale.add(checks.scale)
        state.projected.add(checks.projected)
        keep, rej = first_failing(checks.rules, n=n, source_file=state.name, rows=rows)
        rejects.append(rej)
        state.timed.update(checks.timed_vessels().tolist())
        state.identity.append(identity_of(parts))
        cand = checks.candidates(keep, rows, first + np.arange(n))
        bucket = _bucket_of(cand["v"].to_numpy(), state.n_buckets)
        order_ = np.argsort(bucket, kind="stable")
        bucket = bucket[order_]
        if len(bucket):  # one table of the chunk's candidates, a slice of it per bucket
            table = _table(cand.iloc[order_], _CANDIDATE_SCHEMA)
            cuts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
            for a, b in zip(cuts, np.r_[cuts[1:], len(bucket)], strict=True):
                writers.write(int(bucket[a]), table.slice(a, b - a))
    rejects.append(pre)
    path = state.folder / f"rejects-{k:05d}-a.parquet"
    state.reject_parts.append([_write_rejects_part(state, rejects, path)])


@dataclass
class _ContentEvidence:
    """What the evidence of the columns found by their values quotes, over a file's chunks.

    The largest magnitude of a latitude/longitude, the distinct values of an identity (found
    by its values, or named by its header: its evidence quotes them too) and how many are
    given: the first chunk's decide, the file's are quoted.
    """

    largest: dict[str, float] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    given: dict[str, int] = field(default_factory=dict)

    def add_chunk(self, layout: dict, raw: pd.DataFrame) -> None:
        """Add a chunk's values of the columns its layout found by their values."""
        for role, e in (layout.get("evidence") or {}).items():
            if not isinstance(e, dict):
                continue
            col = e.get("column")
            if col not in raw.columns:
                continue
            said = str(e.get("evidence"))
            if e.get("by") == "content" and role in ("lat", "lon") and CONTENT_MAX.search(said):
                m = content_max(raw[col])
                if m is not None:
                    self.largest[role] = max(m, self.largest.get(role, m))
            elif (e.get("by") == "content" and CONTENT_DISTINCT.search(said)) or (
                # a vessel id named by its header quotes its distinct values too (MMSI: '91
                # distinct value(s) over 18623 rows'): the file's, not the first chunk's
                NAMED_DISTINCT.search(said)
            ):
                seen, n = distinct_ids(raw[col])
                self.ids.setdefault(role, set()).update(seen)
                self.given[role] = self.given.get(role, 0) + n

    def add(self, other: _ContentEvidence) -> None:
        """Add another chunk's (a partition's) evidence."""
        for role, m in other.largest.items():
            self.largest[role] = max(m, self.largest.get(role, m))
        for role, seen in other.ids.items():
            self.ids.setdefault(role, set()).update(seen)
        for role, n in other.given.items():
            self.given[role] = self.given.get(role, 0) + n

    def reword(self, role: str, evidence: str) -> str:
        """Return ``role``'s evidence quoting the values of every chunk added."""
        if role in self.largest:
            evidence = with_content_max(evidence, self.largest[role])
        if role in self.ids:
            evidence = with_distinct(evidence, len(self.ids[role]), self.given[role])
        return evidence


@dataclass
class _Bucket:
    """What the per-vessel checks of one bucket found (its accepted pings are on disk)."""

    key: int
    n_accepted: int
    by_rule: dict[str, int]
    vessels: np.ndarray
    vessel_rows: np.ndarray
    time_max: pd.Timestamp | None
    extent: np.ndarray  # lon_min, lat_min, lon_max, lat_max (infinite when empty)
    path: Path | None
    # one record per vessel, at midnight: added up over the buckets (whole vessels each)
    events: DatedEvents = field(default_factory=DatedEvents)
    # the accepted pings' UNREAD kinds of speed and course (counted on the first bucket)
    unread: ScaleEvidence | None = None


def _check_buckets(
    keys: Sequence[int],
    table: pa.Table,
    timed: np.ndarray,
    *,
    name: str,
    folder: Path,
    pair_col: str,
    time_col: str,
    max_speed_kn: float,
    aoi_bbox: Any,
    firsts: np.ndarray,
    n_buckets: int,
) -> tuple[list[_Bucket], dict[int, pd.DataFrame]]:
    """Per-vessel checks of the candidates of buckets ``keys``; accepted pings written sorted.

    The rules are per vessel and each vessel lies in one bucket, so the buckets of a small
    file are checked in one call (a call's fixed cost is that of a few thousand pings) and
    their accepted pings split by bucket afterwards.  Returns a summary per bucket (the
    rules counted on the first) and the rejects by chunk (the chunk their line is in).
    """
    cand = table.drop_columns(["pair", "time_raw"]).to_pandas()
    cand["pair"] = pd.Series(pd.arrays.ArrowExtensionArray(table["pair"]))
    cand["time_raw"] = pd.Series(pd.arrays.ArrowExtensionArray(table["time_raw"]))
    del table
    events = dated_events_of(cand["v"].to_numpy(dtype=object), cand["t"].to_numpy())
    frame, rej = check_ping_vessels(
        cand,
        timed,
        name=name,
        pair_col=pair_col,
        time_col=time_col,
        max_speed_kn=max_speed_kn,
        aoi_bbox=aoi_bbox,
    )
    del cand
    kept = ScaleEvidence(speed_unread=np.zeros(4), course_unread=np.zeros(4))
    kept.count_kept(
        frame.pop(UNREAD).to_numpy() if UNREAD in frame else None, frame[SOURCE_ROW].to_numpy()
    )
    by_chunk: dict[int, pd.DataFrame] = {}
    by_rule: dict[str, int] = {}
    if len(rej):
        # each reject goes with the chunk its line is in, so the CSV is written in order
        idx = np.searchsorted(firsts, rej["row"].to_numpy(dtype="int64"), "right") - 1
        rej = rej.astype({c: str for c in ("source_file", "column", "value", "rule")})
        rej["message"] = rej["message"].astype(str)
        rej["row"] = pd.to_numeric(rej["row"]).astype("Int64")
        for rule, n in rej["rule"].value_counts().items():
            by_rule[str(rule)] = int(n)
        by_chunk = {int(c): rej[idx == c] for c in np.unique(idx)}
    out = _summaries(keys, frame, by_rule, folder, n_buckets)
    out[0].events = events  # counted once, on the first bucket, as its rules are
    out[0].unread = kept
    return out, by_chunk


def _summaries(
    keys: Sequence[int],
    frame: pd.DataFrame,
    by_rule: dict[str, int],
    folder: Path,
    n_buckets: int,
) -> list[_Bucket]:
    """Write the accepted pings of buckets ``keys`` (``frame``) and sum each bucket up."""
    if not len(frame):
        return [_empty_bucket(int(k), r) for k, r in _rules_on_first(keys, by_rule)]
    table = _bucket_table(frame)  # once: a bucket's rows are taken from it
    cols = _SummaryColumns(
        frame[VESSEL_ID].to_numpy(dtype=object),
        frame[TIME].to_numpy(dtype="datetime64[ns]"),  # UTC
        frame[LON].to_numpy(dtype="float64"),
        frame[LAT].to_numpy(dtype="float64"),
    )
    if len(keys) == 1:
        return [_bucket_summary(int(keys[0]), table, cols, by_rule, folder)]
    # sorted by vessel: one hash per vessel, and a bucket's rows keep their order
    starts = np.flatnonzero(np.r_[True, cols.vid[1:] != cols.vid[:-1]])
    per_row = np.repeat(_bucket_of(cols.vid[starts], n_buckets), np.diff(np.r_[starts, len(frame)]))
    out = []
    for k, rules in _rules_on_first(keys, by_rule):
        idx = np.flatnonzero(per_row == k)
        out.append(_bucket_summary(int(k), table.take(idx), cols.take(idx), rules, folder))
    return out


def _rules_on_first(
    keys: Sequence[int], by_rule: dict[str, int]
) -> list[tuple[int, dict[str, int]]]:
    """Pair each key with the rules to count on its bucket: all on the first, none after."""
    return [(k, by_rule if j == 0 else {}) for j, k in enumerate(keys)]


@dataclass
class _SummaryColumns:
    """The columns of accepted pings (sorted by vessel) a bucket's summary reads."""

    vid: np.ndarray
    time: np.ndarray  # datetime64[ns], UTC
    lon: np.ndarray
    lat: np.ndarray

    def take(self, idx: np.ndarray) -> _SummaryColumns:
        return _SummaryColumns(self.vid[idx], self.time[idx], self.lon[idx], self.lat[idx])


def _empty_bucket(key: int, by_rule: dict[str, int]) -> _Bucket:
    ext = np.array([np.inf, np.inf, -np.inf, -np.inf])
    empty = np.empty(0, dtype=object)
    return _Bucket(key, 0, by_rule, empty, np.empty(0, "int64"), None, ext, None)


def _bucket_summary(
    key: int, table: pa.Table, cols: _SummaryColumns, by_rule: dict[str, int], folder: Path
) -> _Bucket:
    """Write one bucket's accepted pings (``table``, sorted by vessel) and sum it up."""
    if not table.num_rows:
        return _empty_bucket(key, by_rule)
    path = folder / f"pings-{key:05d}.parquet"
    pq.write_table(table, path, row_group_size=_ROW_GROUP)
    starts = np.flatnonzero(np.r_[True, cols.vid[1:] != cols.vid[:-1]])  # a run per vessel
    timed = cols.time[~np.isnat(cols.time)]
    # fmin/fmax skip a NaN as pandas' min/max do
    lo = [np.fmin.reduce(cols.lon), np.fmin.reduce(cols.lat)]
    hi = [np.fmax.reduce(cols.lon), np.fmax.reduce(cols.lat)]
    return _Bucket(
        key,
        table.num_rows,
        by_rule,
        cols.vid[starts],
        np.diff(np.r_[starts, len(cols.vid)]).astype("int64"),
        pd.Timestamp(timed.max()).tz_localize("UTC") if timed.size else None,
        np.r_[np.minimum([np.inf, np.inf], lo), np.maximum([-np.inf, -np.inf], hi)],
        path,
    )


def _check_context(state: _State, max_speed_kn: float, chunk_rows: int) -> dict[str, Any]:
    """Return what the per-vessel checks of a file's buckets need (:func:`_check_buckets`)."""
    return {
        "timed": np.array(sorted(state.timed), dtype=object),
        "name": state.name,
        "folder": state.folder,
        "pair_col": state.assumptions.pop("pair_col", "lat/lon"),
        "time_col": state.assumptions.pop("time_col", "time"),
        "max_speed_kn": max_speed_kn,
        "aoi_bbox": state.aoi_bbox,
        "firsts": np.asarray(state.chunk_first, dtype="int64"),
        "n_buckets": state.n_buckets,
        # buckets checked in one call: up to a quarter of a chunk of candidates, the least a
        # bucket holds at scale (n_buckets_for), so memory stays that of a bucket there
        "batch_rows": max(1, chunk_rows // 4),
    }


@dataclass
class _BucketDone:
    buckets: list[_Bucket]
    rejects: dict[int, Path]  # chunk -> this group's rejects of its lines


def _check_group(
    group: Sequence[tuple[int, Sequence[tuple[Path, int, int]]]], c: dict[str, Any]
) -> _BucketDone:
    """Per-vessel checks of consecutive buckets, a batch of small ones at a time.

    Buckets are read and checked together while their candidates add up to at most
    ``batch_rows`` (a bucket larger than that alone): memory of one bucket at scale, and
    one call, not one per bucket, for the few thousand pings of a daily file.
    """
    c = dict(c)
    batch_rows = c.pop("batch_rows")
    buckets = []
    by_chunk: dict[int, list[pd.DataFrame]] = {}
    batch: list[tuple[int, pa.Table]] = []

    def check() -> None:
        table = pa.concat_tables([t for _, t in batch]) if len(batch) > 1 else batch[0][1]
        done, rejects = _check_buckets([k for k, _ in batch], table, **c)
        batch.clear()
        buckets.extend(done)
        for k, rej in rejects.items():
            by_chunk.setdefault(k, []).append(rej)

    for key, slices in group:
        table = _read_candidates(slices)
        if batch and sum(t.num_rows for _, t in batch) + table.num_rows > batch_rows:
            check()
        batch.append((key, table))
        del table
    if batch:
        check()
    out = {}
    for k, frames in by_chunk.items():
        out[k] = c["folder"] / f"rejects-b-{group[0][0]:05d}-{k:05d}.parquet"
        rej = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        pq.write_table(_table(rej, _REJECT_SCHEMA), out[k], row_group_size=_ROW_GROUP)
    return _BucketDone(buckets, out)


def _finish_buckets(state: _State, max_speed_kn: float, chunk_rows: int) -> TrackSpill:
    """Per-vessel checks bucket by bucket; accepted pings sorted, rejects to their chunk."""
    ctx = _check_context(state, max_speed_kn, chunk_rows)
    buckets = []
    try:
        state.finish_dates()
        state.decide_scale()
        state.decide_misplaced()
        for group in _bucket_groups(state.candidates, chunk_rows):
            done = _check_group(group, ctx)
            buckets.extend(done.buckets)
            for k, path in done.rejects.items():
                state.reject_parts[k].append(path)
    finally:
        _remove_candidates(state.candidates)
    return _spill_of(state, buckets)


def _spill_of(state: _State, buckets: Sequence[_Bucket]) -> TrackSpill:
    """Combine the buckets of a file (in key order) into its :class:`TrackSpill`."""
    state.finish_content()
    for b in buckets:
        for rule, n in b.by_rule.items():
            state.by_rule[rule] = state.by_rule.get(rule, 0) + n
    kept = [b for b in buckets if b.path is not None]
    n_acc = sum(b.n_accepted for b in kept)
    v = np.concatenate([b.vessels for b in kept]) if kept else np.empty(0, dtype=object)
    vr = np.concatenate([b.vessel_rows for b in kept]) if kept else np.empty(0, dtype="int64")
    times = [b.time_max for b in kept if b.time_max is not None]
    ext = np.array([np.inf, np.inf, -np.inf, -np.inf])
    for b in kept:
        ext = np.r_[np.minimum(ext[:2], b.extent[:2]), np.maximum(ext[2:], b.extent[2:])]
    events = DatedEvents()
    for b in buckets:
        events.add(b.events)
    events.decide(state.src, state.name, (state.layout or {}).get("vessel_col"))
    # the values read as not available, counted on the pings accepted (the buckets')
    for b in buckets:
        if b.unread is not None:
            for measure in ("speed_unread", "course_unread"):
                have, got = getattr(state.scale, measure), getattr(b.unread, measure)
                if have is not None and got is not None:
                    setattr(state.scale, measure, np.r_[have[:3] + got[:3], have[3]])
            state.scale.add_kept(b.unread)
    if state.layout is not None:
        state.note(*state.scale.unread_notes(state.layout, state.name))
    order = np.argsort(v.astype(str), kind="stable")
    state.note(
        f"{state.name}: {len(v)} vessel(s)/track(s)"
        if state.n_records
        else f"{state.name}: no pings"
    )
    return TrackSpill(
        source=state.name,
        n_read=state.n_read,
        n_accepted=n_acc,
        by_rule=dict(sorted(state.by_rule.items())),
        notes=state.notes,
        assumptions=state.assumptions,
        buckets={b.key: b.path for b in kept if b.path is not None},
        reject_parts=state.reject_parts,
        n_buckets=state.n_buckets,
        vessels=v[order],
        vessel_rows=vr[order],
        time_max=max(times) if times else None,
        extent=tuple(float(x) for x in ext) if n_acc else None,  # type: ignore[arg-type]
        identity=combine_identity(state.identity),
    )


def _start_csv_layout(state: _State, raw: pd.DataFrame, table) -> None:
    src, name = state.src, state.name
    schema = src.schema_ if src.schema_ != "auto" else detect_ais_schema(list(raw.columns))
    state.layout = table_layout(
        raw, src, name, schema, whole=_whole_of(state, raw), units=table.units
    )
    state.note(*table.notes, f"{name}: position table schema {schema!r}")
    state.assumptions.update(encoding=table.encoding, delimiter=table.delimiter, schema=schema)
    if table.units:
        state.assumptions["units_row"] = units_row_report(table.units, table.header_line)
    if table.header_line != 1:  # below a title (find_header), or none
        state.assumptions["header_line"] = table.header_line or NO_HEADER
    state.crs = src.crs


def _finish_layout(state: _State) -> None:
    assert state.layout is not None
    stated, notes = layout_report(state.layout, state.name, state.crs)
    state.assumptions.update(stated)
    state.note(*notes)


def _csv_date_order(
    state: _State, reopen: Callable[[], IO[bytes]], survey: _Survey, chunk_rows: int, column: str
) -> bool | None:
    """Read one column of a whole CSV, a chunk at a time, until a date decides the order.

    True for day-first, False for month-first, None when no date decides.
    """
    with reopen() as fh:
        columns = (
            _read_piece(
                state,
                k,
                text,
                line,
                delimiter=state.delim,
                usecols=[column],
                records_trailing=state.trailing,
            ).frame[column]
            for k, (text, line) in enumerate(
                _csv_chunks(fh, state.name, survey, chunk_rows, state.src.delimiter)
            )
            if k  # the first chunk did not decide
        )
        return _date_order_of(columns, state.name, column)


def _date_order_of(columns: Iterator[pd.Series], name: str, column: str) -> bool | None:
    """Return the date order the first deciding piece of a column gives (None: no piece)."""
    from ._dates import parse_times

    for values in columns:
        try:
            got = parse_times(values, dayfirst=None, name=name, column=column)
        except AmbiguousDateOrder:
            continue
        except InputError:
            return None  # values of this piece decide both ways: the file is refused
        order = got.assumptions.get("order")
        if order in ("day-first", "month-first"):
            return order == "day-first"
    return None


def _parquet_date_order(
    state: _State, path: str, chunk_rows: int, max_uncompressed_mb: float | None, column: str
) -> bool | None:
    """:func:`_csv_date_order` of a Parquet or Arrow IPC file: one column, a batch at a time."""
    batches = iter_batches(path, chunk_rows, max_uncompressed_mb, state.name)
    next(batches, None)  # the first batch did not decide

    def text(batch) -> pd.Series:
        values = batch.column(batch.schema.get_field_index(column)).to_pandas()
        return values.astype(object).where(values.notna(), "").astype("str")

    return _date_order_of((text(b) for b in batches), state.name, column)


def _whole_of(state: _State, raw: pd.DataFrame) -> WholeFile | None:
    """Return the file's whole-file scans, with the first chunk's size (None: no scans)."""
    if state.whole_scan is None:
        return None
    return dataclasses.replace(state.whole_scan, rows=len(raw))


def _filled_of(pieces: Iterator[pd.DataFrame], columns: list[str]) -> list[str]:
    """Those of ``columns`` holding a value in some piece of a whole file (stops when all do)."""
    found: set[str] = set()
    with missing_memo_off():
        for frame in pieces:
            found |= {c for c in columns if c not in found and not missing_mask(frame[c]).all()}
            if len(found) == len(columns):
                break
    return [c for c in columns if c in found]


def _csv_columns(
    state: _State,
    reopen: Callable[[], IO[bytes]],
    survey: _Survey,
    chunk_rows: int,
    columns: list[str],
) -> Iterator[pd.DataFrame]:
    """Yield ``columns`` of a whole CSV, a chunk at a time (the file closed when done)."""
    with reopen() as fh:
        chunks = _csv_chunks(fh, state.name, survey, chunk_rows, state.src.delimiter)
        for k, (text, line) in enumerate(chunks):
            yield _read_piece(
                state,
                k,
                text,
                line,
                delimiter=state.delim,
                usecols=columns,
                records_trailing=state.trailing,
            ).frame


def _parquet_columns(
    state: _State, path: str, chunk_rows: int, max_uncompressed_mb: float | None, columns: list[str]
) -> Iterator[pd.DataFrame]:
    """:func:`_csv_columns` of a Parquet or Arrow IPC file, as text (missing as ``""``).

    Each value is written as Arrow writes its type, the same in every batch: through pandas
    an integer batch holding a null turned float, so the IMO ``9100001`` of one batch was
    ``9100001.0`` in the next, two vessels of one track to the identity rules.
    """
    import pyarrow.compute as pc

    for batch in iter_batches(path, chunk_rows, max_uncompressed_mb, state.name):
        text: dict[str, Any] = {}
        for column in columns:
            values = batch.column(column)
            try:
                text[column] = (
                    pc.cast(values, pa.string()).fill_null("").to_numpy(zero_copy_only=False)
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a list, a struct
                attrs = pa.table({column: values}).to_pandas()[column]
                text[column] = attrs.astype(object).where(attrs.notna(), "").astype("str")
        yield pd.DataFrame(text, columns=columns).astype("str")


def _csv_whole(
    state: _State, reopen: Callable[[], IO[bytes]], survey: _Survey, chunk_rows: int
) -> WholeFile:
    """Return the whole-file scans of the identity rules over a CSV (:class:`WholeFile`)."""

    def pieces(columns: list[str]) -> Iterator[pd.DataFrame]:
        return _csv_columns(state, reopen, survey, chunk_rows, columns)

    def more() -> bool:
        with reopen() as fh:
            spans = _csv_spans(fh, survey, chunk_rows, state.src.delimiter)
            return next(spans, None) is not None and next(spans, None) is not None

    return _scans_of(pieces, more)


def _parquet_whole(
    state: _State, path: str, chunk_rows: int, max_uncompressed_mb: float | None
) -> WholeFile:
    """:func:`_csv_whole` of a Parquet or Arrow IPC file."""

    def pieces(columns: list[str]) -> Iterator[pd.DataFrame]:
        return _parquet_columns(state, path, chunk_rows, max_uncompressed_mb, columns)

    def more() -> bool:
        batches = iter_batches(path, chunk_rows, max_uncompressed_mb, state.name)
        return next(batches, None) is not None and next(batches, None) is not None

    return _scans_of(pieces, more)


def _scans_of(
    pieces: Callable[[list[str]], Iterator[pd.DataFrame]], more: Callable[[], bool]
) -> WholeFile:
    """Return the :class:`WholeFile` scans of a file read as ``pieces(columns)``."""
    return WholeFile(
        pairs_of=lambda t, vs: _pairs_of(pieces([t, *vs]), t, vs),
        filled_of=lambda cols: _filled_of(pieces(cols), cols),
        more=more,
        head=lambda cols, n: _head_of(pieces(cols), n),
        any_of=lambda col, test: _any_of(pieces([col]), col, test),
        pieces=pieces,
    )


def _any_of(pieces: Iterator[pd.DataFrame], column: str, test: Callable[[pd.Series], bool]) -> bool:
    """Whether ``test`` holds of ``column`` in some piece of a whole file (stops at one)."""
    with missing_memo_off():
        return any(test(frame[column]) for frame in pieces)


def _head_of(pieces: Iterator[pd.DataFrame], n: int) -> pd.DataFrame:
    """Return the first ``n`` records of a whole file's pieces (pieces read until ``n``)."""
    got: list[pd.DataFrame] = []
    for frame in pieces:
        got.append(frame.iloc[: n - sum(len(g) for g in got)])
        if sum(len(g) for g in got) >= n:
            break
    return pd.concat(got, ignore_index=True) if got else pd.DataFrame()


def _pairs_of(
    pieces: Iterator[pd.DataFrame], tracks: str, vessels: list[str]
) -> dict[str, pd.DataFrame]:
    """Return the distinct pairs of ``tracks`` with each of ``vessels`` over a whole file.

    As :func:`track_pairs` gives them, ``{vessel column: pairs}``, in one pass over the
    file's pieces.  Held as distinct pairs only (about the tracks of the file), over the
    whole file: the rule weighs the share of tracks of two vessels (a ship renamed within a
    voyage is one such track), which the first of them does not decide.
    """
    empty = pd.DataFrame({"t": pd.Series([], dtype=str), "v": pd.Series([], dtype=str)})
    seen = dict.fromkeys(vessels, empty)
    with missing_memo_off():  # each piece's values go when it is counted
        for frame in pieces:
            for v in vessels:
                got = track_pairs(frame[tracks], frame[v])
                seen[v] = pd.concat([seen[v], got], ignore_index=True).drop_duplicates(
                    ignore_index=True
                )
    return seen


def _csv_position_scan(
    state: _State, reopen: Callable[[], IO[bytes]], survey: _Survey, chunk_rows: int
) -> tuple[LowercaseS, DottedDegrees]:
    """Count the lowercase 's' of a whole CSV's latitudes and its dotted values, by chunk."""
    assert state.layout is not None
    found, dotted = LowercaseS(), DottedDegrees()
    with reopen() as fh:
        chunks = _csv_chunks(fh, state.name, survey, chunk_rows, state.src.delimiter)
        for k, (text, line) in enumerate(chunks):
            raw = _read_piece(
                state,
                k,
                text,
                line,
                delimiter=state.delim,
                usecols=state.usecols,
                records_trailing=state.trailing,
            ).frame
            texts = position_texts(state.layout, raw)
            found.add(lowercase_s_evidence(*texts, every=True))
            dotted.add(dotted_evidence(*texts))
    return found, dotted


def _parquet_position_scan(
    state: _State, path: str, chunk_rows: int, max_uncompressed_mb: float | None
) -> tuple[LowercaseS, DottedDegrees]:
    """:func:`_csv_position_scan` of a Parquet or Arrow IPC file, a batch at a time."""
    assert state.layout is not None
    found, dotted = LowercaseS(), DottedDegrees()
    for batch in iter_batches(path, chunk_rows, max_uncompressed_mb, state.name):
        attrs = exact_frame(batch)
        raw = attrs.astype(object).where(attrs.notna(), "").astype("str")
        del attrs
        texts = position_texts(state.layout, raw)
        found.add(lowercase_s_evidence(*texts, every=True))
        dotted.add(dotted_evidence(*texts))
    return found, dotted


def _stream_csv(
    state: _State,
    fh: IO[bytes],
    survey: _Survey,
    chunk_rows: int,
    reopen: Callable[[], IO[bytes]] | None = None,
) -> None:
    if reopen is not None:
        state.order_scan = lambda column: _csv_date_order(state, reopen, survey, chunk_rows, column)
        state.s_scan = lambda: _csv_position_scan(state, reopen, survey, chunk_rows)
        state.whole_scan = _csv_whole(state, reopen, survey, chunk_rows)
    for k, (text, line0) in enumerate(
        _csv_chunks(fh, state.name, survey, chunk_rows, state.src.delimiter)
    ):
        writer = _ChunkCandidates(state.folder, k)
        try:
            _csv_chunk(state, k, text, line0, survey, writer)
        finally:
            state.candidates.append(writer.close())
        del text


def _read_piece(state: _State, k: int, text: bytes, line0: int, **kwargs: Any) -> TextTable:
    """Read the ``k``-th piece of a CSV (UTF-8) as :func:`~pipeline.ingest.read_tracks` reads.

    The title lines above the first piece's header are skipped; a header repeated below it
    (files joined end to end) and its units row are no record; a later piece is read below
    the file's header, its repeated headers' units rows compared with the file's units row.
    ``line0`` is the physical line of the piece's first record: a refusal names the file's
    line (a whole-file scan's read of a later piece named the piece's, line 666 for 2003).
    """
    return read_text_table(
        state.src.path,
        encoding="utf-8",
        data=text,
        find_header=not k,
        header_again=True,
        header_units=state.units if k else None,
        line_offset=line0 - 2 if k else 0,  # the header line (line 1) stands in front
        **kwargs,
    )


def _csv_chunk(
    state: _State,
    k: int,
    text: bytes,
    line0: int,
    survey: _Survey,
    writers,
    first: int | None = None,
) -> None:
    """Read and check the ``k``-th piece of a CSV (UTF-8, with the header line first)."""
    src = state.src
    delim = state.delim if k else src.delimiter
    table = _read_piece(
        state,
        k,
        text,
        line0,
        delimiter=delim,
        usecols=state.usecols,
        records_trailing=state.trailing if k else None,
        names_ours=state.headerless if k else False,
    )
    offset = line0 - 2 if k else 0  # the header line (line 1) stands in front of a chunk
    rows = np.asarray(table.lines, dtype="int64") + offset
    pre = table.bad_rows.copy()
    if len(pre):
        pre["row"] = pd.to_numeric(pre["row"]).astype("Int64") + offset
    if k == 0:
        if survey.note:
            state.note(survey.note)
        table.encoding = survey.encoding
        state.delim = table.delimiter  # a whole-file scan of the layout reads with it
        state.trailing = table.records_trailing
        state.headerless = not table.header_line
        state.units = dict(table.units)
        _start_csv_layout(state, table.frame, table)
        _finish_layout(state)
        assert state.layout is not None
        state.usecols = used_columns(state.layout)
    else:
        state.note(*table.notes)
    _chunk(state, table.frame, rows, pre, line0 if k else 0, writers, k=k, first=first)


def _stream_parquet(
    state: _State, path: str, chunk_rows: int, max_uncompressed_mb: float | None = None
) -> None:
    """Check a Parquet or Arrow IPC file a record batch of ``chunk_rows`` at a time.

    An IPC record batch is decompressed whole: one that would pass ``max_uncompressed_mb``
    is refused before it is read.
    """
    state.order_scan = lambda column: _parquet_date_order(
        state, path, chunk_rows, max_uncompressed_mb, column
    )
    state.s_scan = lambda: _parquet_position_scan(state, path, chunk_rows, max_uncompressed_mb)
    state.whole_scan = _parquet_whole(state, path, chunk_rows, max_uncompressed_mb)
    k = -1
    for k, batch in enumerate(iter_batches(path, chunk_rows, max_uncompressed_mb, state.name)):
        writer = _ChunkCandidates(state.folder, k)
        try:
            _parquet_chunk(state, k, batch, state.n_read, writer)
        finally:
            state.candidates.append(writer.close())
    if k < 0:  # no row at all: the layout comes from the empty table
        _parquet_chunk(state, 0, table_schema(path, state.name).empty_table(), 0, None)


def _parquet_chunk(
    state: _State, k: int, batch, start: int, writers, first: int | None = None
) -> None:
    """Check the ``k``-th batch of a Parquet file (``start`` records come before it)."""
    attrs = exact_frame(batch)
    if writers is None:  # the empty file: only its layout
        raw = attrs.astype(object).astype("str")
    else:
        raw = attrs.astype(object).where(attrs.notna(), "").astype("str")
    if k == 0:
        # the schema a header names holds in a Parquet file too (MarineTraffic's SPEED in
        # knots x10, a FIT dump's speeds in m/s), as in the CSV it was converted from
        src = state.src
        schema = src.schema_ if src.schema_ != "auto" else detect_ais_schema(list(raw.columns))
        state.layout = table_layout(raw, src, state.name, schema, whole=_whole_of(state, raw))
        refuse_narrow_ids(attrs, state.layout["vessel_col"], state.name)
        state.layout["crs_by"] = "config"
        if writers is not None:
            state.crs = state.src.crs
        _finish_layout(state)
    del attrs
    if writers is None:
        return
    rows = start + np.arange(1, len(raw) + 1, dtype="int64")
    first_row = int(rows[0]) if len(rows) else start + 1
    empty = pd.DataFrame(columns=list(REJECT_COLUMNS))
    _chunk(state, raw, rows, empty, first_row, writers, k=k, first=first)


def _spill_whole(state: _State, max_speed_kn: float, max_uncompressed_mb: float) -> TrackSpill:
    """Read a file whole with :func:`read_tracks` and write its result to buckets."""
    res = read_tracks(
        state.src,
        aoi_bbox=state.aoi_bbox,
        aoi_polygon=state.aoi_polygon,
        max_speed_kn=max_speed_kn,
        max_uncompressed_mb=max_uncompressed_mb,
    )
    folder = state.folder
    path = folder / "rejects-00000-a.parquet"
    rej = res.rejects.copy()
    for c in ("source_file", "column", "value", "rule", "message"):
        rej[c] = rej[c].astype(str)
    rej["row"] = pd.to_numeric(rej["row"], errors="coerce").astype("Int64")
    pq.write_table(_table(rej[list(REJECT_COLUMNS)], _REJECT_SCHEMA), path)
    frame = res.frame.assign(**{SOURCE_ROW: res.lines})
    if res.reports is not None:  # raw AIS: each ping's report, for a later file's repeats
        frame[REPORT] = pd.array(res.reports, dtype="UInt64")
    out: dict[int, Path] = {}
    if len(frame):
        bucket = _bucket_of(frame[VESSEL_ID].to_numpy(), state.n_buckets)
        for key in np.unique(bucket):
            out[int(key)] = folder / f"pings-{int(key):05d}.parquet"
            pq.write_table(
                _bucket_table(frame[bucket == key]),
                out[int(key)],
                row_group_size=_ROW_GROUP,
            )
    counts = frame[VESSEL_ID].value_counts(sort=False)
    v = counts.index.to_numpy(dtype=object)
    order = np.argsort(v.astype(str), kind="stable")
    tmax = frame[TIME].max() if len(frame) else None
    return TrackSpill(
        source=res.source,
        n_read=res.n_read,
        n_accepted=len(frame),
        by_rule=dict(res.by_rule),
        notes=list(res.notes),
        assumptions=dict(res.assumptions),
        buckets=out,
        reject_parts=[[path]],
        n_buckets=state.n_buckets,
        identity=res.identity,
        vessels=v[order],
        vessel_rows=counts.to_numpy(dtype="int64")[order],
        time_max=None if tmax is None or pd.isna(tmax) else tmax,
        extent=(
            float(frame[LON].min()),
            float(frame[LAT].min()),
            float(frame[LON].max()),
            float(frame[LAT].max()),
        )
        if len(frame)
        else None,
    )


def spill_tracks(
    source: TrackSource | str | Path,
    folder: Path,
    *,
    chunk_rows: int = 1_000_000,
    n_buckets: int = 16,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    aoi_polygon: Any = None,
    max_speed_kn: float = 60.0,
    max_uncompressed_mb: float = 2048.0,
) -> TrackSpill:
    """Read a track file ``chunk_rows`` records at a time into vessel buckets under ``folder``.

    Parameters
    ----------
    source : TrackSource, str or Path
        The file, or its options (as for :func:`~pipeline.ingest.read_tracks`).
    folder : Path
        An empty folder for the spill files (the caller removes it).
    chunk_rows : int, default 1,000,000
        Records per chunk: the memory of the reading is that of a chunk.
    n_buckets : int, default 16
        Vessel buckets (the same for every file of a run, see :func:`n_buckets_for`).
    aoi_bbox, aoi_polygon, max_speed_kn, max_uncompressed_mb
        As for :func:`~pipeline.ingest.read_tracks`.

    Returns
    -------
    TrackSpill
        The same records accepted and rejected, by the same rules and at the same lines, as
        :func:`~pipeline.ingest.read_tracks` gives for the file.

    Raises
    ------
    SourceUnreadable, InputError
        As :func:`~pipeline.ingest.read_tracks`.
    """
    if not (isinstance(chunk_rows, int) and chunk_rows > 0):
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    check_max_speed(max_speed_kn)  # as read_tracks: a limit of 0 or NaN is no limit
    src = as_source(source, TrackSource)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = _State(src.path.name, src, folder, int(n_buckets), aoi_bbox, aoi_polygon)
    opened = open_track_source(src, max_uncompressed_mb)
    state.assumptions.update(opened.assumptions)
    try:
        if opened.fmt == "csv":
            fh: IO[bytes] = (
                io.BytesIO(opened.data) if opened.data is not None else open(src.path, "rb")
            )
            with fh:
                survey = _survey(fh, state.name, src.encoding)
                fh.seek(0)
                if survey is None:
                    return _spill_whole(state, max_speed_kn, max_uncompressed_mb)
                data = opened.data

                def reopen() -> IO[bytes]:
                    return io.BytesIO(data) if data is not None else open(src.path, "rb")

                _stream_csv(state, fh, survey, chunk_rows, reopen)
        elif opened.fmt == "parquet" and not opened.target.startswith("/vsizip/"):
            meta = table_schema(opened.target, state.name).metadata or {}
            if b"geo" in meta:
                return _spill_whole(state, max_speed_kn, max_uncompressed_mb)
            _stream_parquet(state, opened.target, chunk_rows, max_uncompressed_mb)
        else:
            return _spill_whole(state, max_speed_kn, max_uncompressed_mb)
    except BaseException:
        _remove_candidates(state.candidates)
        raise
    spill = _finish_buckets(state, max_speed_kn, chunk_rows)
    log.info(
        "%s: %d pings read, %d accepted, %d rejected (in chunks of %d)",
        spill.source,
        spill.n_read,
        spill.n_accepted,
        spill.n_rejected,
        chunk_rows,
    )
    return spill


# --------------------------------------------------------------------------- the per-file cache


@dataclass
class SpillRecord(_FileCounts):
    """A track file's :class:`TrackSpill` as plain tables and data.

    It holds no path and no bucket count: the spill of another number of buckets (the
    track inputs doubled, :func:`n_buckets_for`) is written from it
    (:func:`record_to_spill`, :func:`rebucket_spill`) without reading the file again.

    Attributes
    ----------
    pings : pandas.DataFrame
        The accepted pings (:data:`~pipeline.schema.PING_COLUMNS` and ``source_row``, the
        line of each), sorted by vessel then time, file order on ties (every vessel's rows
        as its bucket file holds them).
    rejects : pandas.DataFrame
        The rejects in the order :meth:`TrackSpill.iter_rejects` yields them, with the
        ``chunk`` (index of the chunk of the file whose lines they are).
    source, n_read, n_accepted, by_rule, notes, assumptions
        As :class:`TrackSpill`; ``notes`` and ``assumptions`` as JSON gives them back.
    """

    pings: pd.DataFrame
    rejects: pd.DataFrame


def _json_data(value: Any) -> Any:
    """Return ``value`` as a JSON round trip gives it back (a cached entry's data)."""
    import json

    from .summary import json_safe

    return json.loads(json.dumps(json_safe(value), default=str))


def spill_to_record(spill: TrackSpill) -> SpillRecord:
    """Return the plain :class:`SpillRecord` of a spill (its bucket files are read)."""
    frames = [pq.read_table(spill.buckets[k]) for k in sorted(spill.buckets)]
    table = pa.concat_tables(frames) if frames else _BUCKET_SCHEMA.empty_table()
    # with each ping's line and report (nullable: uint64 read as floats lost its bits)
    pings = table.to_pandas(types_mapper={pa.uint64(): pd.UInt64Dtype()}.get)
    pings[VESSEL_ID] = pings[VESSEL_ID].astype(object)
    # each vessel lies in one bucket, sorted there: a stable sort by vessel keeps the rest
    pings = pings.iloc[np.argsort(pings[VESSEL_ID].to_numpy(dtype=str), kind="stable")]
    parts = []
    for k, parts_k in enumerate(spill.reject_parts):
        for rej in _rejects_of_chunk(parts_k):
            parts.append(rej.assign(chunk=k))
    rejects = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series([], dtype="object") for c in REJECT_COLUMNS}).assign(
            chunk=pd.Series([], dtype="int64")
        )
    )
    return SpillRecord(
        pings=pings.reset_index(drop=True),
        rejects=rejects,
        source=spill.source,
        n_read=int(spill.n_read),
        n_accepted=int(spill.n_accepted),
        by_rule={str(k): int(v) for k, v in spill.by_rule.items()},
        notes=_json_data(list(spill.notes)),
        assumptions=_json_data(spill.assumptions),
        identity=spill.identity,
    )


def record_to_spill(record: SpillRecord, folder: Path, n_buckets: int) -> TrackSpill:
    """Write a :class:`SpillRecord` into ``folder`` as the spill of ``n_buckets`` buckets.

    The bucket files and the rejects hold what :func:`spill_tracks` writes for the file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pings = record.pings
    buckets: dict[int, Path] = {}
    vessels = np.empty(0, dtype=object)
    rows = np.empty(0, dtype="int64")
    time_max = None
    extent = None
    if len(pings):
        vid = pings[VESSEL_ID].to_numpy(dtype=object)
        # rows are sorted by vessel: one bucket lookup per vessel
        starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]])
        counts = np.diff(np.r_[starts, len(vid)])
        vessels = vid[starts]
        rows = counts.astype("int64")
        per_row = np.repeat(_bucket_of(vessels, int(n_buckets)), counts)
        order = np.argsort(per_row, kind="stable")
        if SOURCE_ROW not in pings:  # a record without the lines: unknown (-1)
            pings = pings.assign(**{SOURCE_ROW: np.full(len(pings), -1, dtype="int64")})
        table = _bucket_table(pings).take(pa.array(order))
        keys = per_row[order]
        cuts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        for a, b in zip(cuts, np.r_[cuts[1:], len(keys)], strict=True):
            key = int(keys[a])
            buckets[key] = folder / f"pings-{key:05d}.parquet"
            pq.write_table(table.slice(a, b - a), buckets[key], row_group_size=_ROW_GROUP)
        t = pings[TIME].max()
        time_max = None if pd.isna(t) else t
        extent = (
            float(pings[LON].min()),
            float(pings[LAT].min()),
            float(pings[LON].max()),
            float(pings[LAT].max()),
        )
    reject_parts: list[list[Path]] = []
    rej = record.rejects
    if len(rej):
        chunk = rej["chunk"].to_numpy(dtype="int64")
        for k in np.unique(chunk):
            path = folder / f"rejects-{int(k):05d}-a.parquet"
            part = rej[chunk == k].drop(columns=["chunk"])
            part["row"] = pd.to_numeric(part["row"], errors="coerce").astype("Int64")
            pq.write_table(_table(part[list(REJECT_COLUMNS)], _REJECT_SCHEMA), path)
            reject_parts.append([path])
    return TrackSpill(
        **record.counts(),
        identity=record.identity,
        buckets=buckets,
        reject_parts=reject_parts,
        n_buckets=int(n_buckets),
        vessels=vessels,
        vessel_rows=rows,
        time_max=time_max,
        extent=extent,
    )


@dataclass
class KeptSpill(_FileCounts):
    """A track file's spill kept as it is, files and all: what a nightly run reads again.

    The runner keeps the bucket and rejects files of a spill in a folder of its cache
    (:meth:`pipeline.runner.cache.StageCache.keep`) under the file's hash and reading
    options; the next run uses them where they are (:func:`kept_to_spill`), or, with another
    number of buckets, writes its own from them (:func:`rebucket_spill`).

    Attributes
    ----------
    folder : str
        The folder's name in the cache.
    files : dict of str to str
        Every file of the folder and its sha256 (checked before the folder is used).
    buckets : dict of str to str
        The file of each bucket (the key as text, as JSON keeps it).
    reject_parts : list of list of str
        As :attr:`TrackSpill.reject_parts`, file names.
    vessels : pandas.DataFrame
        :attr:`TrackSpill.vessels` (``vessel_id``) and :attr:`TrackSpill.vessel_rows`
        (``rows``) in one table: one table of the cache entry to read, not two.
    n_buckets, extent
        As :class:`TrackSpill`.
    time_max : str or None
        :attr:`TrackSpill.time_max` as ISO text.
    rejects_csv : str or None
        :attr:`TrackSpill.rejects_csv`, a file name.
    """

    folder: str
    files: dict[str, str]
    buckets: dict[str, str]
    reject_parts: list[list[str]]
    n_buckets: int
    vessels: pd.DataFrame
    time_max: str | None
    extent: list[float] | None
    rejects_csv: str | None = None

    def complete(self) -> bool:
        """Whether every file it names is one of its checked ``files``."""
        named = set(map(str, self.buckets.values()))
        named.update(str(f) for part in self.reject_parts for f in part)
        if self.rejects_csv is not None:
            named.add(str(self.rejects_csv))
        return named <= set(self.files)


def spill_files(spill: TrackSpill) -> dict[str, Path]:
    """Return the files of a spill by a name unique among them (for :class:`KeptSpill`)."""
    files = {p.name: p for p in spill.buckets.values()}
    for part in spill.reject_parts:
        files.update((p.name, p) for p in part)
    n = len(spill.buckets) + sum(len(part) for part in spill.reject_parts)
    if spill.rejects_csv is not None:
        files[spill.rejects_csv.name] = spill.rejects_csv
        n += 1
    if len(files) != n:
        raise ValueError("a spill's files must have distinct names")
    return files


def spill_to_kept(spill: TrackSpill, folder: str, files: dict[str, str]) -> KeptSpill:
    """Return the :class:`KeptSpill` of ``spill``, its files kept in ``folder`` (sha256s).

    ``files`` maps the names :func:`spill_files` gives to their sha256.
    """
    return KeptSpill(
        **spill.counts(),
        identity=spill.identity,
        folder=folder,
        files=dict(files),
        buckets={str(k): p.name for k, p in spill.buckets.items()},
        reject_parts=[[p.name for p in part] for part in spill.reject_parts],
        n_buckets=int(spill.n_buckets),
        vessels=pd.DataFrame(
            {
                "vessel_id": np.asarray(spill.vessels, dtype=object),
                "rows": np.asarray(spill.vessel_rows, dtype="int64"),
            }
        ),
        time_max=None if spill.time_max is None else pd.Timestamp(spill.time_max).isoformat(),
        extent=None if spill.extent is None else [float(x) for x in spill.extent],
        rejects_csv=None if spill.rejects_csv is None else spill.rejects_csv.name,
    )


def kept_to_spill(kept: KeptSpill, folder: Path) -> TrackSpill:
    """Return the :class:`TrackSpill` of a kept spill whose files are in ``folder``."""
    counts = kept.counts()
    counts["notes"], counts["assumptions"] = (
        _json_data(counts["notes"]),
        _json_data(counts["assumptions"]),
    )
    return TrackSpill(
        **counts,
        identity=kept.identity,
        buckets={int(k): folder / f for k, f in kept.buckets.items()},
        reject_parts=[[folder / f for f in part] for part in kept.reject_parts],
        n_buckets=int(kept.n_buckets),
        vessels=kept.vessels["vessel_id"].to_numpy(dtype=object),
        vessel_rows=kept.vessels["rows"].to_numpy(dtype="int64"),
        time_max=None if kept.time_max is None else pd.Timestamp(kept.time_max),
        extent=None if kept.extent is None else _extent(kept.extent),
        rejects_csv=None if kept.rejects_csv is None else folder / kept.rejects_csv,
    )


def with_rejects_csv(spill: TrackSpill, path: Path) -> TrackSpill:
    """Write the rejects CSV of ``spill`` to ``path`` once; return it as its ``rejects_csv``.

    :meth:`TrackSpill.write_rejects` then copies the file: a feed's unchanged files, their
    spills kept in the cache with it (:func:`spill_files`), do not write their CSV anew
    every night.
    """
    if spill.rejects_csv is None:
        spill.rejects_csv = write_csv_chunks(spill.iter_rejects, Path(path), list(REJECT_COLUMNS))
    return spill


def as_cached(spill: TrackSpill) -> TrackSpill:
    """Return ``spill`` with its notes and assumptions as the cache gives them back.

    A file parsed now and one whose spill comes from the cache then report alike.
    """
    spill.notes, spill.assumptions = _json_data(list(spill.notes)), _json_data(spill.assumptions)
    return spill


def rebucket_spill(spill: TrackSpill, folder: Path, n_buckets: int) -> TrackSpill:
    """Return the spill of the same pings and rejects in ``n_buckets`` buckets, in ``folder``.

    Read from the spill's own files (the file is not parsed again); the bucket files are
    those :func:`spill_tracks` writes with ``n_buckets``.  When one count is a multiple of the
    other (powers of two, :func:`n_buckets_for`) a vessel's new bucket is determined by its old
    one, so the work goes a bucket at a time: each old bucket splits into the new buckets of
    its vessels, or the old buckets of one new bucket merge; memory is a bucket's, whatever
    the file's size.  Other counts go through the whole :class:`SpillRecord`.
    """
    old, new = int(spill.n_buckets), int(n_buckets)
    if new % old and old % new:
        return record_to_spill(spill_to_record(spill), folder, new)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buckets: dict[int, Path] = {}

    def write(key: int, table: pa.Table) -> None:
        buckets[key] = folder / f"pings-{key:05d}.parquet"
        pq.write_table(table, buckets[key], row_group_size=_ROW_GROUP)

    if new >= old:  # each old bucket's vessels go to new buckets of their own
        for k in sorted(spill.buckets):
            table = pq.read_table(spill.buckets[k])
            vid = table.column(VESSEL_ID).to_numpy(zero_copy_only=False)
            if not vid.size:
                continue
            starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]])
            per_row = np.repeat(_bucket_of(vid[starts], new), np.diff(np.r_[starts, vid.size]))
            for key in np.unique(per_row):
                write(int(key), table.take(pa.array(np.flatnonzero(per_row == key))))
    else:  # the old buckets k with k % new == key make new bucket key
        for key in range(new):
            parts = [
                pq.read_table(spill.buckets[k]) for k in sorted(spill.buckets) if k % new == key
            ]
            if not parts:
                continue
            table = pa.concat_tables(parts)
            vid = table.column(VESSEL_ID).to_numpy(zero_copy_only=False).astype(str)
            write(key, table.take(pa.array(np.argsort(vid, kind="stable"))))
    reject_parts = []
    for part in spill.reject_parts:  # rejects do not depend on the buckets
        reject_parts.append([folder / p.name for p in part])
        for p in part:
            shutil.copyfile(p, folder / p.name, follow_symlinks=False)
    csv = None
    if spill.rejects_csv is not None:
        csv = folder / spill.rejects_csv.name
        shutil.copyfile(spill.rejects_csv, csv, follow_symlinks=False)
    return TrackSpill(
        **spill.counts(),
        identity=spill.identity,
        buckets=dict(sorted(buckets.items())),
        reject_parts=reject_parts,
        n_buckets=new,
        vessels=np.asarray(spill.vessels, dtype=object),
        vessel_rows=np.asarray(spill.vessel_rows, dtype="int64"),
        time_max=spill.time_max,
        extent=spill.extent,
        rejects_csv=csv,
    )


def _time_span(path: Path) -> tuple[Any, Any] | None:
    """Return the first and last time of a bucket file from its footer, None if unknown.

    None also when a ping has no time (an untimed route's repeats are matched by position).
    Remembered by the file's identity and time: each track file is checked against every
    earlier one's buckets, so a feed of a file a day would read the footers of a year of
    buckets once per file, n² footers a run, without it.
    """
    st = os.stat(path)
    return _footer_time_span(str(path), st.st_ino, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=65536)
def _footer_time_span(path: str, ino: int, mtime_ns: int, size: int) -> tuple[Any, Any] | None:
    """:func:`_time_span` of a file as it is (the arguments after ``path`` key the cache)."""
    md = pq.ParquetFile(path).metadata
    names = [md.schema.column(i).name for i in range(md.num_columns)]
    if TIME not in names:
        return None
    j = names.index(TIME)
    lo = hi = None
    for g in range(md.num_row_groups):
        st = md.row_group(g).column(j).statistics
        if st is None or not st.has_min_max or st.null_count:
            return None
        lo = st.min if lo is None else min(lo, st.min)
        hi = st.max if hi is None else max(hi, st.max)
    return (lo, hi) if lo is not None else None


def _spans_meet(span: tuple[Any, Any] | None, other: TrackSpill, key: int) -> bool:
    """Whether a bucket of times ``span`` may share a time with bucket ``key`` of ``other``."""
    if span is None:
        return True
    path = other.buckets[key]
    if path not in other.bucket_spans:
        other.bucket_spans[path] = _time_span(path)
    theirs = other.bucket_spans[path]
    return theirs is None or (theirs[0] <= span[1] and span[0] <= theirs[1])


def reject_repeated_spill(
    spill: TrackSpill,
    earlier: Sequence[TrackSpill],
    folder: Path,
    names: Sequence[str] | None = None,
) -> TrackSpill:
    """Move the pings an earlier track file's spill already holds to the rejects.

    The spill counterpart of :func:`~pipeline.ingest.tracks.reject_repeated_pings` (same
    rule, ``duplicate_across_files``, same value: the earlier file and line).  Every spill of
    a run has the same buckets, so a bucket of ``spill`` is checked against the same bucket
    of the earlier spills only: memory of a bucket.  The spill's own files are not changed
    (they may be the cache's): a bucket that loses pings is written anew into ``folder``,
    the rejects too (each with the chunk its line is in, so the rejects file stays in line
    order).

    Parameters
    ----------
    spill : TrackSpill
        One track file as spilled.
    earlier : sequence of TrackSpill
        The files before it, in config order, each already without its repeats.
    folder : Path
        A new folder for the files written.
    names : sequence of str, optional
        The name each of ``earlier``'s files has in the rejects' values
        (:func:`~pipeline.ingest.tracks.distinct_names`); default: their file names.

    Returns
    -------
    TrackSpill
        ``spill`` itself when nothing repeats, else a copy without the repeats.
    """
    from ._nmea import HEARD_AGAIN_S
    from .tracks import find_repeats, repeated_note

    if names is None:
        names = [e.source for e in earlier]
    before = [(e, name) for e, name in zip(earlier, names, strict=True) if e.buckets]
    if not spill.buckets or not before:
        return spill
    for e, _ in before:
        if e.n_buckets != spill.n_buckets:
            raise ValueError(
                f"{spill.source}: {spill.n_buckets} buckets, {e.source}: {e.n_buckets}; the "
                "spills of one run must have the same buckets"
            )
    cols = [VESSEL_ID, TIME, LON, LAT, REPORT]
    uint64 = {pa.uint64(): pd.UInt64Dtype()}.get  # a report's 64 bits, never floats
    buckets = dict(spill.buckets)
    rejected: list[pd.DataFrame] = []
    removed: list[np.ndarray] = []
    n_heard = 0
    raw_ais = spill.assumptions.get("schema") == "nmea"  # its pings carry their reports
    for key, path in sorted(spill.buckets.items()):
        # a repeat shares its time with the ping it repeats (raw AIS: is within the window
        # of a report heard again): an earlier bucket whose times (its Parquet statistics)
        # do not meet this one's is not read; a night's day file beside the history is
        # checked without reading the history
        span = _time_span(path)
        if span is not None and raw_ais:
            pad = pd.Timedelta(seconds=HEARD_AGAIN_S)
            span = (span[0] - pad, span[1] + pad)
        olds = [(e, n) for e, n in before if key in e.buckets and _spans_meet(span, e, key)]
        if not olds:
            continue
        table = pq.read_table(path)
        new = table.select(cols).to_pandas(types_mapper=uint64)
        old = pd.concat(
            [
                pq.read_table(e.buckets[key], columns=[*cols, SOURCE_ROW])
                .to_pandas(types_mapper=uint64)
                .rename(columns={SOURCE_ROW: "line"})
                .assign(file=name)
                for e, name in olds
            ],
            ignore_index=True,
        )
        old = old[old[VESSEL_ID].isin(new[VESSEL_ID].unique())].reset_index(drop=True)
        found = find_repeats(new, old)
        repeated, value = found.repeated, found.value
        if not repeated.any():
            continue
        n_heard += found.n_heard
        rows = table.column(SOURCE_ROW).to_numpy(zero_copy_only=False)
        kept = table.filter(pa.array(~repeated))
        if kept.num_rows:
            buckets[key] = folder / f"pings-{key:05d}.parquet"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(kept, buckets[key], row_group_size=_ROW_GROUP)
        else:
            del buckets[key]
        removed.append(new[VESSEL_ID].to_numpy(dtype=object)[repeated])
        rejected.append(
            pd.DataFrame(
                {
                    "source_file": spill.source,
                    "row": pd.array(rows[repeated], dtype="Int64"),
                    "column": "*",
                    "value": value.astype(str),
                    "rule": "duplicate_across_files",
                    "message": found.message.astype(str),
                }
            )
        )
    if not rejected:
        return spill
    rej = pd.concat(rejected, ignore_index=True)
    n = len(rej)
    folder.mkdir(parents=True, exist_ok=True)
    reject_parts = _with_rejects(spill.reject_parts, rej, folder)
    gone = pd.Series(np.concatenate(removed)).astype(str).value_counts()
    left = pd.Series(spill.vessel_rows, index=np.asarray(spill.vessels).astype(str))
    left = left.sub(gone.reindex(left.index, fill_value=0))
    left = left[left > 0]
    time_max, extent = _time_and_extent(list(buckets.values()))
    by_rule = dict(spill.by_rule)
    by_rule["duplicate_across_files"] = by_rule.get("duplicate_across_files", 0) + n
    return dataclasses.replace(
        spill,
        n_accepted=int(spill.n_accepted) - n,
        by_rule=dict(sorted(by_rule.items())),
        notes=[*spill.notes, repeated_note(spill.source, n, n_heard, rej["value"].tolist())],
        assumptions=dict(spill.assumptions),
        buckets=dict(sorted(buckets.items())),
        reject_parts=reject_parts,
        vessels=left.index.to_numpy(dtype=object),
        vessel_rows=left.to_numpy(dtype="int64"),
        time_max=time_max,
        extent=extent,
        rejects_csv=None,  # more rejects than the CSV written for the file alone
    )


def _with_rejects(parts: list[list[Path]], rej: pd.DataFrame, folder: Path) -> list[list[Path]]:
    """Return ``parts`` (per chunk) with ``rej`` added, each reject to the chunk of its line.

    A chunk's rejects are of its own lines, chunks in file order: a line goes with the last
    chunk whose first rejected line is not after it, and the rejects stay in line order.
    """
    firsts: list[int | None] = []
    for chunk in parts:
        low = None
        for p in chunk:
            if not p.exists():
                continue
            got = pd.to_numeric(pq.read_table(p, columns=["row"]).column("row").to_pandas())
            if got.notna().any():
                low = int(got.min()) if low is None else min(low, int(got.min()))
        firsts.append(low)
    known = [(j, f) for j, f in enumerate(firsts) if f is not None]
    out = [list(chunk) for chunk in parts]
    rows = rej["row"].to_numpy(dtype="float64", na_value=np.nan)
    if not known:
        where = np.zeros(len(rej), dtype="int64")
        if not out:
            out.append([])
    else:
        idx = np.searchsorted(np.array([f for _, f in known], dtype="float64"), rows, "right") - 1
        where = np.array([j for j, _ in known], dtype="int64")[np.maximum(idx, 0)]
    for j in np.unique(where):
        path = folder / f"rejects-repeated-{int(j):05d}.parquet"
        part = rej[where == j]
        pq.write_table(_table(part[list(REJECT_COLUMNS)], _REJECT_SCHEMA), path)
        out[int(j)].append(path)
    return out


def _time_and_extent(
    paths: Sequence[Path],
) -> tuple[pd.Timestamp | None, tuple[float, float, float, float] | None]:
    """Return the latest time and the lon/lat extent of the pings of bucket files."""
    tmax = None
    ext = np.array([np.inf, np.inf, -np.inf, -np.inf])
    n = 0
    for p in paths:
        t = pq.read_table(p, columns=[TIME, LON, LAT])
        if not t.num_rows:
            continue
        n += t.num_rows
        times = pd.Series(t.column(TIME).to_pandas())
        last = times.max()
        if not pd.isna(last):
            tmax = last if tmax is None else max(tmax, last)
        x = t.column(LON).to_numpy(zero_copy_only=False)
        y = t.column(LAT).to_numpy(zero_copy_only=False)
        ext = np.r_[
            np.minimum(ext[:2], [x.min(), y.min()]), np.maximum(ext[2:], [x.max(), y.max()])
        ]
    return tmax, (_extent(ext.tolist()) if n else None)


def _extent(values: Sequence[float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in values)
    return x0, y0, x1, y1


def _rejects_of_chunk(parts: Sequence[Path]) -> Iterator[pd.DataFrame]:
    frames = [pq.read_table(p).to_pandas() for p in parts if p.exists()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return
    rej = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    rej["row"] = pd.to_numeric(rej["row"], errors="coerce").astype("Int64")
    yield rej.sort_values(["row", "rule"], kind="stable", na_position="last")


def _empty_pings() -> pd.DataFrame:
    from ..schema import empty_pings

    return empty_pings()


# --------------------------------------------------------------------------- files as tasks


@dataclass
class _FileTask:
    """What every task of one track file needs (shipped once per map, not per task)."""

    name: str
    src: TrackSource
    folder: Path
    n_buckets: int
    aoi_bbox: Any
    aoi_polygon: Any
    kind: str  # "csv", "parquet", or "whole" (read in one task by spill_tracks)
    survey: _Survey | None = None
    header: bytes = b""
    layout: dict | None = None
    crs: Any = None
    delim: str | None = None
    trailing: bool | None = None
    headerless: bool = False
    units: dict[str, str] = field(default_factory=dict)
    usecols: list[str] | None = None
    assumptions: dict[str, Any] = field(default_factory=dict)
    sample_room: int = SCALE_SAMPLE  # of the speed scale's sample, after the first chunks
    chunk_rows: int = 1_000_000  # the chunks' size (a date-order scan reads the file so)


@dataclass
class _ChunkDone:
    """What the task of one chunk found (its candidates and rejects are on disk)."""

    k: int
    n_read: int
    n_records: int
    by_rule: dict[str, int]
    notes: list[str]
    timed: set[str]
    assumptions: dict[str, Any]
    first_row: int
    reject_part: Path
    candidates: _ChunkFile
    layout: dict | None
    crs: Any
    delim: str | None
    usecols: list[str] | None
    misplaced: Any = None
    trailing: bool | None = None
    headerless: bool = False
    units: dict[str, str] = field(default_factory=dict)
    content: _ContentEvidence | None = None
    identity: pd.DataFrame = field(default_factory=empty_identity)
    scale: ScaleEvidence | None = None  # its sample, if any, in scale_sample (on disk)
    scale_sample: Path | None = None
    projected: ProjectedEvidence | None = None


def _chunk_task(item: tuple[int, tuple], files: list[_FileTask]) -> _ChunkDone:
    """Read and check one chunk of one file: ``(file index, (k, span...))``."""
    i, block = item
    f = files[i]
    k = int(block[0])
    state = _State(f.name, f.src, f.folder, f.n_buckets, f.aoi_bbox, f.aoi_polygon)
    state.layout, state.crs, state.delim, state.usecols = f.layout, f.crs, f.delim, f.usecols
    state.trailing, state.headerless, state.units = f.trailing, f.headerless, f.units
    state.assumptions = dict(f.assumptions)
    state.sample_room = f.sample_room
    if f.kind == "csv" and f.survey is not None:
        survey = f.survey
        state.order_scan = lambda column: _csv_date_order(
            state, lambda: open(f.src.path, "rb"), survey, f.chunk_rows, column
        )
        state.s_scan = lambda: _csv_position_scan(
            state, lambda: open(f.src.path, "rb"), survey, f.chunk_rows
        )
        state.whole_scan = _csv_whole(state, lambda: open(f.src.path, "rb"), survey, f.chunk_rows)
    elif f.kind == "parquet":
        state.order_scan = lambda column: _parquet_date_order(
            state, str(f.src.path), f.chunk_rows, None, column
        )
        state.s_scan = lambda: _parquet_position_scan(state, str(f.src.path), f.chunk_rows, None)
        state.whole_scan = _parquet_whole(state, str(f.src.path), f.chunk_rows, None)
    writers = _ChunkCandidates(f.folder, k)
    first = k << 32  # orders the records of the file: chunk first, then line
    try:
        if f.kind == "csv":
            assert f.survey is not None
            _, offset, length, line0 = block
            with open(f.src.path, "rb") as fh:
                fh.seek(offset)
                piece = _utf8(fh.read(length), f.survey)
            text = piece if k == 0 else f.header + piece
            del piece
            _csv_chunk(state, k, text, line0, f.survey, writers, first=first)
        else:
            _, start, stop = block
            _parquet_chunk(state, k, _parquet_rows(f.src.path, start, stop), start, writers, first)
    finally:
        candidates = writers.close()
    scale, sample = state.scale, None
    if scale.sampled:  # on disk, not in the result: read by the client while room is left
        sample = f.folder / f"scale-{k:05d}.parquet"
        pq.write_table(pa.Table.from_pandas(scale.sample, preserve_index=False), sample)
        scale = dataclasses.replace(scale, sample=None)
    return _ChunkDone(
        k=k,
        n_read=state.n_read,
        n_records=state.n_records,
        by_rule=state.by_rule,
        notes=state.notes,
        timed=state.timed,
        assumptions=state.assumptions,
        first_row=state.chunk_first[0],
        reject_part=state.reject_parts[0][0],
        candidates=candidates,
        layout=_layout_only(state.layout),
        crs=state.crs,
        delim=state.delim,
        trailing=state.trailing,
        headerless=state.headerless,
        units=state.units,
        content=state.content,
        usecols=state.usecols,
        misplaced=state.misplaced,
        identity=combine_identity(state.identity),
        scale=scale,
        scale_sample=sample,
        projected=state.projected,
    )


#: The parts of a layout that hold a chunk's values (``parts_like`` reads them anew).
_CHUNK_PARTS = ("vessel", "time", "clock", "lat", "lon", "sog", "cog", "valid", *IDENTITY_PARTS)


def _layout_only(layout: dict | None) -> dict | None:
    """Return ``layout`` without its chunk's values: what the other chunks are read with.

    The first chunk's layout holds that chunk's columns; shipped to every later task it
    would put a chunk of every file in the client and in each task (memory set by the
    number of files, not by the partition).
    """
    if layout is None:
        return None
    return {k: (None if k in _CHUNK_PARTS else v) for k, v in layout.items()}


def _parquet_rows(path: Path, start: int, stop: int) -> pa.Table:
    """Rows ``[start, stop)`` of a Parquet file, reading only the row groups holding them."""
    pf = pq.ParquetFile(path)
    md = pf.metadata
    sizes = np.array([md.row_group(g).num_rows for g in range(md.num_row_groups)], "int64")
    ends = np.cumsum(sizes)
    g0 = int(np.searchsorted(ends, start, "right"))
    g1 = int(np.searchsorted(ends, stop - 1, "right")) if stop > start else g0
    groups = list(range(g0, min(g1 + 1, md.num_row_groups)))
    if not groups:
        return pf.schema_arrow.empty_table()
    table = pf.read_row_groups(groups, use_threads=False)
    base = int(ends[g0] - sizes[g0])
    return table.slice(start - base, stop - start)


def _bucket_task(item: tuple[int, list], ctx: list[dict[str, Any]]) -> _BucketDone:
    """Per-vessel checks of a group of buckets of one file: ``(file index, group)``."""
    i, group = item
    return _check_group(group, ctx[i])


def _whole_task(i: int, files: list[_FileTask], kwargs: dict[str, Any]) -> TrackSpill:
    f = files[i]
    return spill_tracks(f.src, f.folder, n_buckets=f.n_buckets, **kwargs)


def _plan_file(f: _FileTask, chunk_rows: int, max_uncompressed_mb: float) -> list[tuple]:
    """Decide how a file is read (``f.kind``) and return its chunks' spans."""
    src = f.src
    opened = open_track_source(src, max_uncompressed_mb)
    f.assumptions.update(opened.assumptions)
    if opened.fmt == "csv" and opened.data is None:
        with open(src.path, "rb") as fh:
            f.survey = _survey(fh, f.name, src.encoding)
            if f.survey is not None:
                fh.seek(0)
                spans: list[tuple] = []
                for offset, piece, line in _csv_spans(fh, f.survey, chunk_rows, src.delimiter):
                    if not spans:
                        f.header = _header_of(
                            _utf8(piece, f.survey), f.survey, src.delimiter, f.name
                        )
                    spans.append((len(spans), offset, len(piece), line if spans else 0))
                f.kind = "csv"
                return spans
    elif (
        opened.fmt == "parquet"
        and not opened.target.startswith("/vsizip/")
        and arrow_kind(opened.target) == "parquet"  # an Arrow IPC file: one task, streamed
    ):
        table_schema(opened.target, f.name)  # cut short, damaged, a column named twice
        # a task decodes the row groups holding its rows whole: one that expands beyond
        # the bound is refused here, as spill_tracks' streamed read refuses it
        check_expansion(opened.target, max_uncompressed_mb, f.name, whole=False)
        pf = pq.ParquetFile(opened.target)
        if b"geo" not in (pf.schema_arrow.metadata or {}):
            n = int(pf.metadata.num_rows)
            f.kind = "parquet"
            if n == 0:
                return []
            return [(k, a, min(a + chunk_rows, n)) for k, a in enumerate(range(0, n, chunk_rows))]
    f.kind = "whole"
    return []


def spill_tracks_partitioned(
    sources: Sequence[TrackSource | str | Path],
    folders: Sequence[Path],
    engine: Any,
    *,
    chunk_rows: int = 1_000_000,
    n_buckets: int = 16,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    aoi_polygon: Any = None,
    max_speed_kn: float = 60.0,
    max_uncompressed_mb: float = 2048.0,
) -> list[TrackSpill]:
    """Read track files as :func:`spill_tracks` does, their chunks and buckets as tasks.

    The same chunk and bucket functions run, as tasks of ``engine`` (see
    :mod:`pipeline.engine`): every chunk of every file is read and checked in parallel (the
    first chunk of a file first, since it decides the columns and the date order for the
    others), then every vessel bucket.  Each record keeps its physical line, so the rejects
    (file, line, column, rule), the counts and the accepted pings are those of
    :func:`spill_tracks`, however the chunks were spread over workers.  Files that cannot be
    read in pieces (GPX, vector layers, GeoParquet, zipped or UTF-16 CSV) are each one task.

    Parameters
    ----------
    sources : sequence of TrackSource, str or Path
        The track files.
    folders : sequence of Path
        One empty folder per file for its spill files; on a cluster, a folder every worker
        sees at the same path.
    engine : pipeline.engine.Engine
        Runs the tasks.
    chunk_rows, n_buckets, aoi_bbox, aoi_polygon, max_speed_kn, max_uncompressed_mb
        As for :func:`spill_tracks`.

    Returns
    -------
    list of TrackSpill
        One per file, in order.
    """
    if not (isinstance(chunk_rows, int) and chunk_rows > 0):
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    check_max_speed(max_speed_kn)
    if len(sources) != len(folders):
        raise ValueError(f"{len(sources)} sources but {len(folders)} folders")
    files: list[_FileTask] = []
    plans: list[list[tuple]] = []
    for source, folder in zip(sources, folders, strict=True):
        src = as_source(source, TrackSource)
        Path(folder).mkdir(parents=True, exist_ok=True)
        f = _FileTask(
            src.path.name, src, Path(folder), int(n_buckets), aoi_bbox, aoi_polygon, "whole"
        )
        f.chunk_rows = chunk_rows
        plans.append(_plan_file(f, chunk_rows, max_uncompressed_mb))
        files.append(f)
    states = [
        _State(
            f.name,
            f.src,
            f.folder,
            f.n_buckets,
            aoi_bbox,
            aoi_polygon,
            assumptions=dict(f.assumptions),
        )
        for f in files
    ]
    done: list[list[_ChunkDone]] = [[] for _ in files]

    def merge(i: int, r: _ChunkDone) -> None:
        st = states[i]
        st.n_read += r.n_read
        st.n_records += r.n_records
        for rule, n in r.by_rule.items():
            st.by_rule[rule] = st.by_rule.get(rule, 0) + n
        st.note(*r.notes)
        st.timed |= r.timed
        st.identity.append(r.identity)
        st.add_misplaced(r.misplaced)
        if r.content is not None:
            st.content.add(r.content)
        if r.scale_sample is not None:
            if st.scale.sampled < SCALE_SAMPLE and r.scale is not None:
                r.scale.sample = pd.read_parquet(r.scale_sample)
            r.scale_sample.unlink(missing_ok=True)
        st.scale.add(r.scale)
        if r.projected is not None:
            st.projected.add(r.projected)
        if "pair_col" not in st.assumptions:  # this chunk decided (see _chunk)
            st.assumptions.update(r.assumptions)
        else:
            _add_chunk_statements(st.assumptions, r.assumptions, st.name)
        st.layout, st.crs, st.delim, st.usecols = r.layout, r.crs, r.delim, r.usecols
        st.trailing, st.headerless, st.units = r.trailing, r.headerless, r.units
        st.chunk_first.append(r.first_row)
        st.reject_parts.append([r.reject_part])
        st.candidates.append(r.candidates)
        done[i].append(r)

    def ship(i: int) -> None:  # what the next chunks of file i start from
        f, st = files[i], states[i]
        f.layout, f.crs, f.delim, f.usecols = st.layout, st.crs, st.delim, st.usecols
        f.trailing, f.headerless, f.units = st.trailing, st.headerless, st.units
        f.sample_room = SCALE_SAMPLE - st.scale.sampled
        f.assumptions = (
            {"pair_col": st.assumptions["pair_col"], "time_col": st.assumptions["time_col"]}
            if "pair_col" in st.assumptions
            else dict(st.assumptions)
        )

    # the first chunks, until one with records decides the layout and the dates (usually one)
    nxt = [0] * len(files)
    while True:
        todo = [
            i
            for i, f in enumerate(files)
            if f.kind != "whole"
            and nxt[i] < len(plans[i])
            and (nxt[i] == 0 or "pair_col" not in states[i].assumptions)
        ]
        if not todo:
            break
        for i, r in zip(
            todo, engine.map(_chunk_task, [(i, plans[i][nxt[i]]) for i in todo], files), strict=True
        ):
            merge(i, r)
            ship(i)
            nxt[i] += 1
    rest = [(i, b) for i, f in enumerate(files) if f.kind != "whole" for b in plans[i][nxt[i] :]]
    for (i, _), r in zip(rest, engine.map(_chunk_task, rest, files), strict=True):
        merge(i, r)
    for i, f in enumerate(files):
        if f.kind == "parquet" and not plans[i]:  # no row at all: the layout of the empty table
            _parquet_chunk(
                states[i], 0, pq.ParquetFile(f.src.path).schema_arrow.empty_table(), 0, None
            )
    kwargs = dict(
        aoi_bbox=aoi_bbox,
        aoi_polygon=aoi_polygon,
        max_speed_kn=max_speed_kn,
        max_uncompressed_mb=max_uncompressed_mb,
        chunk_rows=chunk_rows,
    )
    whole_ids = [i for i, f in enumerate(files) if f.kind == "whole"]
    wholes = dict(zip(whole_ids, engine.map(_whole_task, whole_ids, files, kwargs), strict=True))
    # the per-vessel checks, groups of consecutive buckets of a file (about a chunk each)
    ctx = [_check_context(st, max_speed_kn, chunk_rows) for st in states]
    items: list[tuple[int, list]] = []
    for i, (f, st) in enumerate(zip(files, states, strict=True)):
        if f.kind != "whole":
            items.extend((i, group) for group in _bucket_groups(st.candidates, chunk_rows))
    buckets: list[list[_Bucket]] = [[] for _ in files]
    try:
        for i, st in enumerate(states):
            if i not in wholes:
                st.finish_dates()
                st.decide_scale()
                st.decide_misplaced()
        for (i, _), b in zip(items, engine.map(_bucket_task, items, ctx), strict=True):
            buckets[i].extend(b.buckets)
            for k, path in b.rejects.items():
                states[i].reject_parts[k].append(path)
    finally:
        for st in states:
            _remove_candidates(st.candidates)
    out = []
    for i, st in enumerate(states):
        spill = wholes[i] if i in wholes else _spill_of(st, buckets[i])
        log.info(
            "%s: %d pings read, %d accepted, %d rejected (in tasks of %d)",
            spill.source,
            spill.n_read,
            spill.n_accepted,
            spill.n_rejected,
            chunk_rows,
        )
        out.append(spill)
    return out


# --------------------------------------------------------------------------- the store


class PingStore:
    """The accepted pings of a run's track files, on disk, read a group of vessels at a time.

    Every vessel lies in one bucket; a bucket holds one file per track file, each sorted by
    vessel and time.  ``len(store)`` is the number of pings.

    Parameters
    ----------
    spills : list of TrackSpill
        The track files, in config order (all with the same ``n_buckets``).
    root : Path, optional
        Folder removed (with everything under it) when the store is closed or collected.
    chunk_rows : int, default 1,000,000
        Pings a consumer should read at a time (:meth:`frames`); transit uses it.
    """

    def __init__(
        self, spills: Sequence[TrackSpill], root: Path | None = None, chunk_rows: int = 1_000_000
    ) -> None:
        self.spills = list(spills)
        self.root = root
        self.chunk_rows = int(chunk_rows)
        self.n_buckets = max((s.n_buckets for s in self.spills), default=1)
        files: dict[int, list[Path]] = {}
        for s in self.spills:
            for k, p in s.buckets.items():
                files.setdefault(k, []).append(p)
        self.files = dict(sorted(files.items()))
        #: Every vessel id's ship identity keys, all files added up (a row per id and key).
        self.vessel_identity = combine_identity(s.identity for s in self.spills)
        v = [s.vessels for s in self.spills]
        r = [s.vessel_rows for s in self.spills]
        allv = np.concatenate(v) if v else np.empty(0, dtype=object)
        allr = np.concatenate(r) if r else np.empty(0, dtype="int64")
        counts = pd.Series(allr).groupby(allv.astype(str)).sum() if len(allv) else pd.Series()
        #: Distinct vessel ids, sorted, and their number of pings.
        self.vessel_ids = counts.index.to_numpy(dtype=object)
        self.vessel_rows = counts.to_numpy(dtype="int64")
        self.bucket_rows = {
            k: int(sum(pq.ParquetFile(p).metadata.num_rows for p in ps))
            for k, ps in self.files.items()
        }
        times = [s.time_max for s in self.spills if s.time_max is not None]
        self.time_max = max(times) if times else None
        ext = [s.extent for s in self.spills if s.extent is not None]
        self.extent = (
            (
                min(e[0] for e in ext),
                min(e[1] for e in ext),
                max(e[2] for e in ext),
                max(e[3] for e in ext),
            )
            if ext
            else None
        )
        self._cells: dict[tuple[int, Any], np.ndarray] = {}
        self._lon_extents: np.ndarray | None = None
        self._finalizer = (
            weakref.finalize(self, shutil.rmtree, str(root), True) if root is not None else None
        )

    def __len__(self) -> int:
        return int(sum(self.bucket_rows.values()))

    @property
    def empty(self) -> bool:
        """Whether no ping was accepted."""
        return len(self) == 0

    def close(self) -> None:
        """Remove the spill folder now."""
        if self._finalizer is not None:
            self._finalizer()

    def bucket(self, key: int) -> pd.DataFrame:
        """Return the pings of one bucket, sorted by vessel then time (config order on ties)."""
        return read_bucket(self.files.get(key, []))

    def bucket_groups(self, max_rows: int) -> list[list[list[Path]]]:
        """Return the files of consecutive buckets, grouped about ``max_rows`` pings at a time.

        Each group is a partition of whole vessels (read with :func:`read_buckets`); the
        groups are what :meth:`frames` yields, as file names a task can be given.
        """
        return [[self.files[k] for k in keys] for keys in self.bucket_group_keys(max_rows)]

    def bucket_of(self, vessels: np.ndarray) -> np.ndarray:
        """Return the bucket key of each vessel id (a stable hash, the same in every run)."""
        return _bucket_of(vessels, self.n_buckets)

    def bucket_group_keys(self, max_rows: int) -> list[list[int]]:
        """Return the bucket keys of each of :meth:`bucket_groups`' groups."""
        groups: list[list[int]] = []
        group: list[int] = []
        size = 0
        for key, rows in self.bucket_rows.items():
            if group and size + rows > max_rows:
                groups.append(group)
                group, size = [], 0
            group.append(key)
            size += rows
        if group:
            groups.append(group)
        return groups

    def frames(self, max_rows: int) -> Iterator[pd.DataFrame]:
        """Yield the pings as frames of whole vessels, about ``max_rows`` each (a bucket at least).

        Buckets are grouped in key order; the frames are in no global vessel order.
        """
        for group in self.bucket_groups(max_rows):
            yield read_buckets(group)

    def vessel_ranges(self, max_rows: int) -> Iterator[tuple[Any, Any]]:
        """Yield ``(first, last)`` vessel ids of consecutive ranges of about ``max_rows`` pings."""
        if not len(self.vessel_ids):
            return
        cum = np.cumsum(self.vessel_rows)
        start = 0
        while start < len(self.vessel_ids):
            base = cum[start - 1] if start else 0
            stop = int(np.searchsorted(cum, base + max_rows, "right"))
            stop = max(stop, start + 1)
            yield self.vessel_ids[start], self.vessel_ids[stop - 1]
            start = stop

    def sorted_tables(self, max_rows: int, method: str | None = None) -> Iterator[pa.Table]:
        """Yield the pings as Arrow tables in global (vessel, time) order, ``max_rows`` or so.

        The pings of each range of vessels (:meth:`vessel_ranges`) are gathered and sorted
        stably, ties in config order, as the in-memory table is.  Two ways to gather them,
        the same rows in the same order:

        * ``"scan"``: each range reads the row groups of the bucket files that may hold it
          (by their vessel min/max).  Cheap when the bucket files are large, so that their
          row groups each hold a few vessels;
        * ``"split"``: every bucket file is read once and its rows appended, by range, to
          temporary Arrow files (consecutive ranges share one when there are more ranges
          than files may be open); then each is read back.  When the buckets are many and
          small (a large input in many files), each of their row groups spans every range,
          and scanning would read the data once per range.

        By default the way that reads fewer rows, from the files' row-group statistics.
        """
        ranges = list(self.vessel_ranges(max_rows))
        if not ranges:
            return
        stats = self._row_group_stats()
        scan = _scanned_rows(stats, ranges)
        if method is None:
            method = "scan" if scan <= 2 * len(self) else "split"
        log.debug(
            "pings in vessel order by %s (a scan would read %d rows of %d)", method, scan, len(self)
        )
        if method == "scan":
            yield from map(_pings_only, self._sorted_by_scan(ranges, stats))
        elif method == "split":
            yield from map(_pings_only, self._sorted_by_split(ranges))
        else:
            raise ValueError(f"method must be 'scan' or 'split', got {method!r}")

    def _row_group_stats(self) -> list[tuple[Path, np.ndarray, np.ndarray, np.ndarray]]:
        """Return each bucket file (key order, then config order) and its row groups.

        Per row group: the vessel min and max (None when unknown) and the rows.
        """
        out = []
        for key in self.files:
            for p in self.files[key]:
                md = pq.ParquetFile(p).metadata
                col = md.schema.to_arrow_schema().get_field_index(VESSEL_ID)
                lo, hi, n = [], [], []
                for g in range(md.num_row_groups):
                    rg = md.row_group(g)
                    st = rg.column(col).statistics
                    known = st is not None and st.has_min_max
                    lo.append(str(st.min) if known else None)
                    hi.append(str(st.max) if known else None)
                    n.append(rg.num_rows)
                out.append(
                    (
                        p,
                        np.array(lo, dtype=object),
                        np.array(hi, dtype=object),
                        np.array(n, "int64"),
                    )
                )
        return out

    def _sorted_by_scan(self, ranges, stats) -> Iterator[pa.Table]:
        import pyarrow.compute as pc

        for lo, hi in ranges:
            lo, hi = str(lo), str(hi)
            parts = []
            for p, g_lo, g_hi, _ in stats:
                groups = [
                    g
                    for g in range(g_lo.size)
                    if g_lo[g] is None or (g_hi[g] >= lo and g_lo[g] <= hi)
                ]
                if not groups:
                    continue
                t = pq.ParquetFile(p).read_row_groups(groups, use_threads=False)
                v = t.column(VESSEL_ID)
                t = t.filter(pc.and_(pc.greater_equal(v, lo), pc.less_equal(v, hi)))
                if t.num_rows:
                    parts.append(t)
            if parts:
                yield _sorted_pings(pa.concat_tables(parts))

    def _sorted_by_split(self, ranges) -> Iterator[pa.Table]:
        import resource

        import pyarrow.ipc as ipc

        los = np.array([str(lo) for lo, _ in ranges])
        # consecutive ranges share a file when there are more ranges than files may be open
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        n_files = max(1, min(len(ranges), max(16, (soft if soft > 0 else 1024) // 4)))
        folder = Path(tempfile.mkdtemp(prefix="pings-sort-", dir=self.root))
        writers: dict[int, Any] = {}
        try:
            for key in self.files:
                for p in self.files[key]:
                    t = pq.read_table(p, use_threads=False)
                    if not t.num_rows:
                        continue
                    r = _range_of(t, los)
                    f = r * n_files // len(ranges)
                    order = np.argsort(f, kind="stable")
                    t, f = t.take(pa.array(order)), f[order]
                    cut = np.flatnonzero(np.r_[True, f[1:] != f[:-1], True])
                    for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
                        k = int(f[a])
                        if k not in writers:
                            writers[k] = ipc.new_file(str(folder / f"{k:06d}.arrow"), t.schema)
                        writers[k].write_table(t.slice(a, b - a))
                    del t
            for w in writers.values():
                w.close()
            for k in sorted(writers):
                path = folder / f"{k:06d}.arrow"
                with pa.memory_map(str(path)) as src:
                    t = ipc.open_file(src).read_all()
                    r = _range_of(t, los)
                    order = np.argsort(r, kind="stable")
                    t, r = t.take(pa.array(order)), r[order]
                cut = np.flatnonzero(np.r_[True, r[1:] != r[:-1], True])
                for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
                    yield _sorted_pings(t.slice(a, b - a))
                del t
                path.unlink()
        finally:
            for w in writers.values():
                with contextlib.suppress(Exception):
                    w.close()
            shutil.rmtree(folder, ignore_errors=True)

    def sorted_frames(self, max_rows: int) -> Iterator[pd.DataFrame]:
        """Yield the pings in global (vessel, time) order, about ``max_rows`` at a time."""
        for table in self.sorted_tables(max_rows):
            yield _pings_frame(table)

    def to_frame(self) -> pd.DataFrame:
        """Return every ping in one frame, sorted (memory: the whole table)."""
        frames = list(self.sorted_frames(max(len(self), 1)))
        if not frames:
            from ..schema import empty_pings

            return empty_pings()
        return _concat(frames)

    def write_parquet(self, path: str | Path, stop: threading.Event | None = None) -> Path:
        """Write every ping, sorted, to Parquet a row group at a time.

        The bytes are those :func:`~pipeline.io.write_parquet` writes for :meth:`to_frame`:
        the same schema (with its pandas metadata) and row groups of 1,048,576 rows, as
        pyarrow cuts a table written whole.  Rows wait as Arrow tables, not pandas frames.
        When ``stop`` is set (the run failed while this wrote on another thread), the write
        ends at the next batch of rows with :class:`InterruptedError` and leaves no file.
        """
        schema = None
        with atomic_path(path, ".parquet") as tmp:
            writer = None
            buf: list[pa.Table] = []
            size = 0
            for table in self.sorted_tables(self.chunk_rows):
                if stop is not None and stop.is_set():
                    if writer is not None:
                        writer.close()
                    raise InterruptedError(f"{Path(path).name}: the run stopped")
                if schema is None:  # the schema pandas gives a frame of these rows
                    one = round_floats(_pings_frame(table.slice(0, 1)))
                    schema = pa.Table.from_pandas(one, preserve_index=False).schema
                buf.append(_rounded(table, schema))
                size += table.num_rows
                del table
                while size >= _PARQUET_ROWS:
                    whole = pa.concat_tables(buf)
                    writer = _write_group(writer, tmp, whole.slice(0, _PARQUET_ROWS))
                    rest = whole.slice(_PARQUET_ROWS)
                    buf, size = ([rest] if rest.num_rows else []), rest.num_rows
            if buf or writer is None:
                whole = (
                    pa.concat_tables(buf)
                    if buf
                    else pa.Table.from_pandas(self._empty(), preserve_index=False)
                )
                writer = _write_group(writer, tmp, whole)
            writer.close()
        return Path(path)

    def _empty(self) -> pd.DataFrame:
        from ..schema import empty_pings

        return empty_pings()

    def corners(self) -> pd.DataFrame:
        """Two points spanning the pings' lon/lat extent (what an extent-based area needs)."""
        if self.extent is None:
            return pd.DataFrame({LON: [], LAT: []})
        x0, y0, x1, y1 = self.extent
        return pd.DataFrame({LON: [x0, x1], LAT: [y0, y1]})

    def longitude_extents(self) -> np.ndarray:
        """Return :func:`~pipeline.sphere.longitude_extents` of every ping.

        From :attr:`extent` when its longitudes lie on one side of Greenwich (then those
        taken in [0, 360) are the same, or 360° more); else the longitudes of the bucket files
        are read (a column at a time, once), as the whole table's would be taken.
        """
        from ..sphere import longitude_extents

        if self.extent is None:
            return longitude_extents([])
        x0, _, x1, _ = self.extent
        if x0 >= 0.0 or x1 < 0.0:
            return longitude_extents([x0, x1])
        if self._lon_extents is None:
            parts = [
                longitude_extents(pq.read_table(p, columns=[LON]).column(LON).to_numpy())
                for ps in self.files.values()
                for p in ps
            ]
            e = np.array([longitude_extents([]), *parts])
            self._lon_extents = np.r_[e[:, 0].min(), e[:, 1].max(), e[:, 2].min(), e[:, 3].max()]
        return self._lon_extents.copy()

    def received_cells(self, resolution: int, memo: Any = None, until: Any = None) -> np.ndarray:
        """Sorted distinct H3 cells (at ``resolution``) holding at least one timed ping.

        ``memo`` (a :class:`~pipeline.runner.cache.PartMemo`, optional) keeps each track
        file's cells under its :attr:`TrackSpill.content_key` (else the hash of its bucket
        files): an unchanged file is not read.  ``until`` (UTC, optional): only pings up to
        it count (the run's ``as_of``); a file that ends before it keeps its memo entry.
        """
        import hashlib

        from ..grid import points_to_cells

        until = None if until is None else pd.Timestamp(until)
        if until is not None and until.tzinfo is None:
            until = until.tz_localize("UTC")
        if (resolution, until) not in self._cells:
            known = memo.known() if memo is not None else frozenset()
            found = [np.empty(0, dtype="uint64")]
            reused = 0
            for spill in self.spills:
                h = hashlib.sha256(f"{resolution}".encode())
                cut = until is not None and (spill.time_max is None or spill.time_max > until)
                if cut:  # only then is the file's entry a function of until
                    h.update(f":until={until.isoformat()}".encode())
                if spill.content_key is not None:
                    h.update(f":{spill.content_key}".encode())
                else:
                    for k in sorted(spill.buckets):
                        h.update(spill.buckets[k].read_bytes())
                key = h.hexdigest()[:24]
                if key in known:
                    cells = memo.take([key])[0]["cell"].astype("uint64")
                    reused += 1
                else:
                    parts = [np.empty(0, dtype="uint64")]
                    for k in sorted(spill.buckets):
                        t = pq.read_table(spill.buckets[k], columns=[TIME, LON, LAT])
                        # an untimed position (a route) says nothing of when AIS was received
                        timed = t.column(TIME).is_valid().to_numpy(zero_copy_only=False)
                        if cut:  # nor was one after as_of received by the map's day
                            times = pd.Series(t.column(TIME).to_pandas())
                            timed &= (times <= until).to_numpy(dtype=bool, na_value=False)
                        got = points_to_cells(
                            t.column(LON).to_numpy()[timed],
                            t.column(LAT).to_numpy()[timed],
                            resolution,
                        )
                        parts = [np.unique(np.concatenate([*parts, got]))]
                    cells = parts[0]
                if memo is not None:
                    memo.add(np.full(cells.size, key, dtype=object), {"cell": cells})
                found = [np.unique(np.concatenate([*found, cells]))]
            if memo is not None:
                memo.flush()
                log.debug(
                    "AIS received cells: %d track file(s) from the memo, %d read",
                    reused,
                    len(self.spills) - reused,
                )
            self._cells[resolution, until] = found[0]
        return self._cells[resolution, until]


def read_bucket(paths: Sequence[Path]) -> pd.DataFrame:
    """Return the pings of one bucket's files, sorted by vessel then time (file order on ties)."""
    return read_buckets([paths])


def read_buckets(group: Sequence[Sequence[Path]], *, sort: bool = True) -> pd.DataFrame:
    """Return the pings of a group of buckets (see :meth:`PingStore.bucket_groups`).

    Sorted by vessel then time (file order on ties) by one stable sort of the whole group;
    with ``sort=False``, the files' rows one after the other (each file is sorted), for a
    reader that sorts by its own vessel codes anyway (transit).
    """
    frames = [_pings_frame(pq.read_table(p)) for paths in group for p in paths]
    if not frames:
        from ..schema import empty_pings

        return empty_pings()
    if len(frames) == 1:
        return frames[0]
    frame = pd.concat(frames, ignore_index=True)
    if not sort:
        return frame
    codes = pd.factorize(frame[VESSEL_ID].to_numpy(dtype=object), sort=True)[0]
    t = frame[TIME].to_numpy(dtype="datetime64[ns]").view("int64")
    order = np.lexsort((t, codes))  # stable: equal (vessel, time) keep the files' order
    if (order[1:] < order[:-1]).any():
        frame = frame.take(order).reset_index(drop=True)
    return frame


def _sorted_pings(table: pa.Table) -> pa.Table:
    """Return ``table`` sorted by vessel then time, stably (ties keep their order)."""
    import pyarrow.compute as pc

    order = pc.sort_indices(table, sort_keys=[(VESSEL_ID, "ascending"), (TIME, "ascending")])
    return table.take(order)


def _range_of(table: pa.Table, los: np.ndarray) -> np.ndarray:
    """Index of the vessel range (by first vessel ids ``los``, sorted) of each row."""
    v = table.column(VESSEL_ID).to_numpy(zero_copy_only=False).astype(str)
    return np.searchsorted(los, v, side="right").astype("int64") - 1


def _scanned_rows(stats, ranges) -> int:
    """Rows that scanning ``ranges`` range by range would read (row groups that may hold it)."""
    los = np.array([str(lo) for lo, _ in ranges])
    his = np.array([str(hi) for _, hi in ranges])
    total = 0
    for _, g_lo, g_hi, n in stats:
        known = np.array([x is not None for x in g_lo], dtype=bool)
        hits = np.full(n.size, len(ranges), dtype="int64")
        if known.any():
            mn = g_lo[known].astype(str)
            mx = g_hi[known].astype(str)
            # ranges r with his[r] >= min and los[r] <= max (ranges sorted and disjoint)
            hits[known] = np.searchsorted(los, mx, side="right") - np.searchsorted(
                his, mn, side="left"
            )
        total += int((np.maximum(hits, 0) * n).sum())
    return total


def _rounded(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Return ``table`` rounded as :func:`~pipeline.io.round_floats` rounds a frame.

    Its schema (with the pandas metadata) is ``schema``, that of a frame written by pandas.
    """
    from ..io import round_array

    cols = []
    for name in schema.names:
        col = table.column(name)
        if pa.types.is_floating(col.type):
            x = round_array(col.to_numpy(zero_copy_only=False))
            col = pa.array(x, type=col.type, from_pandas=True)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)


def _write_group(writer, path, table: pa.Table):
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table, row_group_size=_PARQUET_ROWS)
    return writer


def _pings_frame(table: pa.Table) -> pd.DataFrame:
    """Return a pings table as the readers do (vessel ids as Python strings, no lines)."""
    frame = _pings_only(table).to_pandas()
    frame[VESSEL_ID] = frame[VESSEL_ID].astype(object)
    return frame


def _pings_only(table: pa.Table) -> pa.Table:
    """Return the ping columns of a bucket file's table (without each ping's line)."""
    if SOURCE_ROW in table.column_names:
        table = table.select(list(PING_COLUMNS))
    return table


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def spill_folder(parent: Path) -> Path:
    """Return a new private folder for spill files under ``parent`` (created)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".spill-", dir=parent))
