"""Columnar table files: Parquet and Arrow IPC (Feather) read through one interface.

An Arrow IPC file (``.feather``, ``.arrow``, ``.ipc``: pandas ``to_feather``, polars
``write_ipc``, R arrow ``write_feather``, LZ4 or ZSTD compressed) or stream (``.arrows``,
polars ``write_ipc_stream``) holds the same typed columns as a Parquet file, so it is read as
one is: the same column recognition, the same rejects (the physical "line" is the row
number), record batches for the streamed tracks.  What the file is is decided by its first
bytes, whatever its name: ``ARROW1`` (IPC file, Feather V2), ``FEA1`` (Feather V1, old pandas,
read whole: it has no batches), a continuation marker (IPC stream), a schema message that
opens a stream of the format before Arrow 0.15 (no marker), else Parquet.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

__all__ = [
    "IPC_SUFFIXES",
    "arrow_kind",
    "check_expansion",
    "exact_columns",
    "exact_frame",
    "iter_batches",
    "parquet_text_bytes",
    "read_bounded",
    "table_schema",
]

#: Names of Arrow IPC files and streams.
IPC_SUFFIXES = (".feather", ".arrow", ".arrows", ".ipc")


def arrow_kind(path: str | Path) -> str:
    """Return ``parquet``, ``ipc_file``, ``ipc_stream`` or ``feather_v1`` from the first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"ARROW1"):
        return "ipc_file"
    if head.startswith(b"FEA1"):
        return "feather_v1"
    if head.startswith(b"\xff\xff\xff\xff"):
        return "ipc_stream"
    if not head.startswith(b"PAR1") and _legacy_stream(path):
        return "ipc_stream"
    return "parquet"


def _legacy_stream(path: str | Path) -> bool:
    """Whether the file opens as an IPC stream of the format before Arrow 0.15.

    That format has no continuation marker: its first bytes are the schema's length (old
    pyarrow, Arrow JS and Java wrote it).
    """
    try:
        ipc.open_stream(str(path))
    except (pa.ArrowException, OSError, ValueError):
        return False
    return True


def _feather_v1(path: str | Path) -> pa.Table:
    import pyarrow.feather as feather

    with warnings.catch_warnings():  # pyarrow's deprecation of V1: the file is still read
        warnings.simplefilter("ignore", DeprecationWarning)
        return feather.read_table(str(path))


def _unreadable(path: str | Path, name: str | None, exc: Exception):
    """Return the one-line refusal of a columnar file pyarrow cannot read."""
    from ..errors import SourceUnreadable

    kind = arrow_kind(path)
    what = {"parquet": "Parquet", "feather_v1": "Feather V1"}.get(kind, "Arrow IPC (Feather)")
    if kind == "parquet" and Path(path).suffix.lower() in IPC_SUFFIXES:
        what = "Arrow IPC (Feather), its first bytes are no IPC's, nor as Parquet"
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return SourceUnreadable(
        f"{name or Path(path).name}: cannot read as {what}: {first} (the file is cut short, "
        "damaged or of another format saved under this name)"
    )


def _refuse_duplicates(schema: pa.Schema, path: str | Path, name: str | None) -> None:
    from ..errors import SourceUnreadable

    names = list(schema.names)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SourceUnreadable(
            f"{name or Path(path).name}: column name(s) {twice[:10]!r} appear more than once; "
            "which one holds the values would be a guess: rename them in the export"
        )


def table_schema(path: str | Path, name: str | None = None) -> pa.Schema:
    """Return the Arrow schema of a columnar file (its metadata holds GeoParquet's ``geo``).

    Raises
    ------
    SourceUnreadable
        The file cannot be read (cut short, damaged, another format), or names a column
        twice.
    """
    kind = arrow_kind(path)
    try:
        if kind == "parquet":
            schema = pq.read_schema(path)
        elif kind == "ipc_file":
            schema = ipc.open_file(str(path)).schema
        elif kind == "ipc_stream":
            schema = ipc.open_stream(str(path)).schema
        else:
            schema = _feather_v1(path).schema
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(path, name, exc) from exc
    _refuse_duplicates(schema, path, name)
    return schema


# ---------------------------------------------------------------- the size of an IPC body
# A compressed buffer of an IPC message declares its uncompressed length in its first 8
# bytes, and where the buffers are is in the message's metadata (a flatbuffer): both are
# read here, so a batch is refused before pyarrow decompresses it.

_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


class _Flat:
    """The few flatbuffer reads the IPC metadata needs (tables, structs, vectors)."""

    def __init__(self, buf: bytes | memoryview) -> None:
        self.buf = buf

    def i(self, fmt: str, pos: int) -> int:
        return int(struct.unpack_from("<" + fmt, self.buf, pos)[0])

    def field(self, table: int, k: int) -> int | None:
        """Return where field ``k`` of the table at ``table`` is, or None when absent."""
        vtable = table - self.i("i", table)
        if 4 + 2 * k >= self.i("H", vtable):
            return None
        off = self.i("H", vtable + 4 + 2 * k)
        return table + off if off else None

    def ref(self, table: int, k: int) -> int | None:
        """Return where the table or vector field ``k`` points to, or None."""
        at = self.field(table, k)
        return None if at is None else at + self.i("I", at)

    def root(self, pos: int = 0) -> int:
        return pos + self.i("I", pos)


def _body_expansion(meta: bytes, fh: BinaryIO, body: int) -> int:
    """Return the bytes a message decompresses to (0 for one whose buffers are not)."""
    fb = _Flat(meta)
    msg = fb.root()
    htype = fb.field(msg, 1)
    kind = fb.i("B", htype) if htype is not None else 0
    batch = fb.ref(msg, 2)
    if batch is None or kind not in (2, 3):  # only record and dictionary batches have a body
        return 0
    if kind == 2:  # DictionaryBatch: its data is a record batch
        batch = fb.ref(batch, 1)
        if batch is None:
            return 0
    if fb.field(batch, 3) is None:  # no compression: read in place (memory map)
        return 0
    buffers = fb.ref(batch, 2)
    if buffers is None:
        return 0
    total = 0
    for j in range(fb.i("I", buffers)):
        off = fb.i("q", buffers + 4 + 16 * j)
        length = fb.i("q", buffers + 4 + 16 * j + 8)
        if length >= 8:
            fh.seek(body + off)
            (size,) = struct.unpack("<q", fh.read(8))
            total += length - 8 if size < 0 else size
    return total


def _message_at(fh: BinaryIO, pos: int, end: int) -> tuple[bytes, int, int] | None:
    """Return (metadata, body start, body length) of the message at ``pos``; None at an EOS."""
    fh.seek(pos)
    (length,) = struct.unpack("<i", fh.read(4))
    if length == -1:  # continuation marker, then the metadata length
        (length,) = struct.unpack("<i", fh.read(4))
        pos += 4
    if length == 0:  # end of stream
        return None
    if length < 0 or pos + 4 + length > end:
        raise ValueError("a message's metadata runs past the end of the file")
    meta = fh.read(length)
    fb = _Flat(meta)
    at = fb.field(fb.root(), 3)
    body_len = fb.i("q", at) if at is not None else 0
    start = pos + 4 + length
    if body_len < 0 or start + body_len > end:
        raise ValueError("a message's body runs past the end of the file")
    return meta, start, body_len


def _is_batch(meta: bytes) -> bool:
    fb = _Flat(meta)
    at = fb.field(fb.root(), 1)
    return at is not None and fb.i("B", at) == 3


def _expansions(path: str | Path, kind: str) -> list[tuple[bool, int]]:
    """Return (is a record batch, bytes it decompresses to) for each message of an IPC file.

    Raises
    ------
    ValueError
        A stream without its end-of-stream marker (cut short at a message's end: the
        batches after it would be lost without a word), or metadata pointing outside it.
    """
    out: list[tuple[bool, int]] = []
    end = os.path.getsize(path)
    with open(path, "rb") as fh:
        if kind == "ipc_stream":
            pos = 0
            while True:
                if pos + 4 > end:
                    raise ValueError(
                        "the stream does not end with its end-of-stream marker: it was cut "
                        "short (an export stopped, a partial copy), batches may be missing"
                    )
                found = _message_at(fh, pos, end)
                if found is None:
                    return out
                meta, start, body_len = found
                out.append((_is_batch(meta), _body_expansion(meta, fh, start)))
                pos = start + body_len
        fh.seek(end - 10)
        (footer_len,) = struct.unpack("<i", fh.read(4))
        if not 0 < footer_len <= end - 10:
            raise ValueError("the footer's length is out of the file")
        fh.seek(end - 10 - footer_len)
        fb = _Flat(fh.read(footer_len))
        footer = fb.root()
        for k in (2, 3):  # dictionaries, then record batches
            blocks = fb.ref(footer, k)
            if blocks is None:
                continue
            for j in range(fb.i("I", blocks)):
                found = _message_at(fh, fb.i("q", blocks + 4 + 24 * j), end)
                if found is None:
                    raise ValueError("a block of the footer is an end-of-stream marker")
                meta, start, _ = found
                out.append((k == 3, _body_expansion(meta, fh, start)))
    return out


def _check_row_groups(path: str | Path, limit_mb: float, name: str) -> None:
    """Refuse a Parquet file one of whose row groups decodes beyond ``limit_mb`` MiB.

    A streamed read holds one row group's columns at a time; its size is what the footer
    declares uncompressed, and at least 8 bytes per value (dictionary and run-length
    encodings hide the size in memory), as the whole read counts the file.
    """
    from ..errors import SourceUnreadable

    try:
        md = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(path, name, exc) from exc
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        size = max(rg.total_byte_size, rg.num_rows * rg.num_columns * 8)
        if size / 2**20 > limit_mb:
            raise SourceUnreadable(
                f"{name}: its row group {i} expands to {size / 2**20:,.0f} MiB uncompressed (a "
                f"streamed read holds a row group whole), above ingest.max_uncompressed_mb="
                f"{limit_mb:g}; raise the limit if the file is genuine, or write it in smaller "
                "row groups"
            )


def _is_text(kind: pa.DataType) -> bool:
    """Whether ``kind`` is a column of text or bytes (values of any length).

    A dictionary of text is one too: pandas writes a categorical column so, and it holds
    each text once for any number of rows as a dictionary page does.
    """
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    tests = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary)
    return any(test(kind) for test in tests) or pa.types.is_large_binary(kind)


def parquet_text_bytes(path: str | Path) -> int:
    """Return the bytes the text and binary columns of a Parquet file decode to.

    A dictionary page holds a value once for any number of rows: a file of a few kilobytes
    declared 0.1 MiB uncompressed and decoded to 190 MiB of text (one 100 kB note on 2,000
    rows), far beyond the sizes its footer gives.  The columns are read here kept as
    dictionaries (their values once, an index per row) and the lengths of the values the
    rows point to are added, one row group at a time.
    """
    texts = [f.name for f in pq.read_schema(path) if _is_text(f.type)]
    if not texts:
        return 0
    pf = pq.ParquetFile(path, read_dictionary=texts)
    total = 0
    for i in range(pf.metadata.num_row_groups):
        for column in pf.read_row_group(i, columns=texts).columns:
            for chunk in column.chunks:
                lengths = pc.take(pc.binary_length(chunk.dictionary), chunk.indices)
                total += int(pc.sum(lengths).as_py() or 0)
    return total


def check_expansion(path: str | Path, limit_mb: float | None, name: str, *, whole: bool) -> None:
    """Refuse an Arrow IPC file whose compressed batches decompress beyond ``limit_mb`` MiB.

    ``whole``: the batches are held together (all of them count), else one at a time (a
    streamed read: its dictionaries and its largest batch count).  Read from the messages'
    metadata before any body is decompressed: a few kilobytes of ZSTD can declare
    gigabytes.  A streamed Parquet file is bounded by its largest row group (the sizes its
    footer declares); a whole one is counted by the reader, and Feather V1 has no
    compressed batches.

    Raises
    ------
    SourceUnreadable
        Above the bound, or the file cannot be read (cut short, damaged).
    """
    from ..errors import SourceUnreadable

    kind = arrow_kind(path)
    if kind == "parquet" and not whole and limit_mb is not None:
        _check_row_groups(path, limit_mb, name)
        return
    if kind not in ("ipc_file", "ipc_stream"):
        return
    try:
        sizes = _expansions(path, kind)
    except (ValueError, struct.error, IndexError, OSError) as exc:
        raise _unreadable(path, name, exc) from exc
    if limit_mb is None:
        return
    fixed = sum(n for is_batch, n in sizes if not is_batch)
    batches = [n for is_batch, n in sizes if is_batch] or [0]
    size = fixed + (sum(batches) if whole else max(batches))
    if size / 2**20 > limit_mb:
        held = "" if whole else " in one record batch (a streamed read holds a batch whole)"
        raise SourceUnreadable(
            f"{name}: its compressed columns expand to {size / 2**20:,.0f} MiB{held}, above "
            f"ingest.max_uncompressed_mb={limit_mb:g}; raise the limit if the file is genuine"
            + ("" if whole else ", or write it in smaller batches")
        )


def iter_batches(
    path: str | Path,
    batch_size: int,
    limit_mb: float | None = None,
    name: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of a columnar file as record batches of at most ``batch_size`` rows.

    An Arrow IPC file whose batch decompresses beyond ``limit_mb`` MiB is refused before it
    is read (see :func:`check_expansion`); a file pyarrow cannot read is refused in one line.

    Raises
    ------
    SourceUnreadable
        As :func:`table_schema` and :func:`check_expansion`.
    """
    from ..errors import SourceUnreadable

    label = name or Path(path).name
    kind = arrow_kind(path)
    table_schema(path, label)  # unreadable or duplicated names: refused before any row
    check_expansion(path, limit_mb, label, whole=False)
    try:
        if kind == "parquet":
            yield from _parquet_batches(path, batch_size, limit_mb, label)
            return
        if kind == "feather_v1":  # no batches in the format: read whole
            yield from _feather_v1(path).to_batches(max_chunksize=batch_size)
            return
        if kind == "ipc_file":
            reader = ipc.open_file(pa.memory_map(str(path)))
            batches: Iterator[pa.RecordBatch] = (
                reader.get_batch(i) for i in range(reader.num_record_batches)
            )
        else:
            batches = iter(ipc.open_stream(pa.memory_map(str(path))))
        for batch in batches:
            for start in range(0, batch.num_rows, batch_size):
                yield batch.slice(start, batch_size)
    except SourceUnreadable:
        raise  # said already (a block above the bound): no damaged file
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, label, exc) from exc


def _dictionary_texts(pf: pq.ParquetFile) -> list[str]:
    """Return the text and binary columns of ``pf`` with a dictionary page in a row group."""
    md = pf.metadata
    texts = {f.name for f in pf.schema_arrow if _is_text(f.type)}
    found = set()
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        for j in range(rg.num_columns):
            chunk = rg.column(j)
            if chunk.path_in_schema in texts and chunk.has_dictionary_page:
                found.add(chunk.path_in_schema)
    return sorted(found)


def _parquet_batches(
    path: str | Path, batch_size: int, limit_mb: float | None, name: str
) -> Iterator[pa.RecordBatch]:
    """Yield a Parquet file's record batches, each bounded by what it decodes to.

    A dictionary page holds a text once for any number of rows, so neither the footer's
    sizes nor the file's size bound a batch's text (one 100 kB note on 2,000 rows is 190 MiB
    from a kilobyte file).  Such columns are read as dictionaries, the lengths of the values
    a batch's rows point to are added before any is expanded, and the batch is refused above
    ``limit_mb`` or handed on with its columns expanded to the file's own types.
    """
    from ..errors import SourceUnreadable

    pf = pq.ParquetFile(path)
    texts = _dictionary_texts(pf)
    if not texts:
        yield from pf.iter_batches(batch_size=batch_size)
        return
    schema = pf.schema_arrow
    pf = pq.ParquetFile(path, read_dictionary=texts)
    for batch in pf.iter_batches(batch_size=batch_size):
        size = 0
        for field, column in zip(schema, batch.columns, strict=True):
            if field.name in texts and pa.types.is_dictionary(column.type):
                lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
                size += int(pc.sum(lengths).as_py() or 0) + 8 * (len(column) + 1)
            else:
                size += column.nbytes
        if limit_mb is not None and size / 2**20 > limit_mb:
            raise SourceUnreadable(
                f"{name}: a block of {batch.num_rows:,} records expands to "
                f"{size / 2**20:,.0f} MiB uncompressed (text held once in a dictionary fills "
                f"every row that points to it), above ingest.max_uncompressed_mb={limit_mb:g}; "
                "raise the limit if the file is genuine, or lower ingest.chunk_rows"
            )
        columns = [  # a categorical column stays one, as the file holds it
            column.dictionary_decode().cast(field.type)
            if field.name in texts
            and pa.types.is_dictionary(column.type)
            and not pa.types.is_dictionary(field.type)
            else column
            for field, column in zip(schema, batch.columns, strict=True)
        ]
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def read_bounded(path: str | Path, limit_mb: float | None, name: str) -> pa.Table:
    """Read a whole Arrow IPC file, refused once its batches pass ``limit_mb`` MiB in memory.

    Its columns may be compressed (LZ4, ZSTD) with no size in the schema: the sizes its
    batches declare are added before any is decompressed (:func:`check_expansion`), and
    the batches read are counted as they come.
    """
    from ..errors import SourceUnreadable

    check_expansion(path, limit_mb, name, whole=True)
    batches, size = [], 0
    for batch in iter_batches(path, 1 << 20, name=name):
        size += batch.nbytes
        if limit_mb is not None and size / 2**20 > limit_mb:
            raise SourceUnreadable(
                f"{name}: expands to more than {limit_mb:g} MiB in memory, above "
                f"ingest.max_uncompressed_mb={limit_mb:g}; raise the limit if the file is "
                "genuine"
            )
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=table_schema(path, name))


#: The largest integer a float64 holds exactly (every integer up to it, none missed).
_EXACT_FLOAT_INT = 2**53


def _rounded_by_pandas(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether pandas rounds ``column``: integers, a null, and a value beyond 2**53."""
    import pyarrow.compute as pc

    if not pa.types.is_integer(column.type):
        return False
    if not column.null_count or len(column) == column.null_count:
        return False
    ends = pc.min_max(column)
    low, high = ends["min"].as_py(), ends["max"].as_py()
    return max(abs(low), abs(high)) > _EXACT_FLOAT_INT


def exact_frame(data: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """Return ``data.to_pandas()``, an integer column that a float cannot hold as text.

    pandas holds an integer column with a null as float64, which rounds an integer beyond
    2**53: the 64-bit vessel ids 9007199254740992 and 9007199254740993 both became
    9007199254740992.0, two vessels one track, unsaid (read whole, where one null anywhere
    turns the column; in chunks only the batches holding one).  Such a column (only one
    with a null and a value beyond 2**53) is written as Arrow writes its integers, in
    every batch alike; every other column is read as before.
    """
    import pyarrow.compute as pc

    for i, field in enumerate(data.schema):
        if _rounded_by_pandas(data.column(i)):
            column = pc.cast(data.column(i), pa.string())
            data = data.set_column(i, pa.field(field.name, pa.string()), column)
    return data.to_pandas()


def exact_columns(
    frame: pd.DataFrame, read_columns: Callable[[list[str]], pa.Table], name: str
) -> pd.DataFrame:
    """Return ``frame`` with the integer columns that it holds rounded as :func:`exact_frame` does.

    For a layer that a library turned into pandas (GeoPandas: GeoParquet, GeoJSON and the
    other GDAL formats), where one null made a 64-bit integer column float64 and two ids
    beyond 2**53 one.  Only a float64 column holding a value of 2**53 or more can be one:
    ``read_columns`` reads those columns again as Arrow (the file's own integers), and
    each that is integers with a null is put in as text, as :func:`exact_frame` writes it.

    Raises
    ------
    SourceUnreadable
        The columns read again are not as many rows as ``frame``.
    """
    from ..errors import SourceUnreadable

    big = [
        c
        for c in frame.columns
        if isinstance(c, str)
        and frame[c].dtype == "float64"
        and bool((frame[c].abs() >= _EXACT_FLOAT_INT).any())
    ]
    if not big:
        return frame
    table = read_columns(big)
    if table.num_rows != len(frame):
        raise SourceUnreadable(
            f"{name}: columns {big[:10]!r} read again gave {table.num_rows} rows, not "
            f"{len(frame)}: the file changed while it was read?"
        )
    exact = exact_frame(table.select([c for c in big if c in table.column_names]))
    frame = frame.copy()
    for c in exact.columns:
        if exact[c].dtype != "float64":
            frame[c] = exact[c].set_axis(frame.index)
    return frame
