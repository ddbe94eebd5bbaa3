"""Columnar table files: Parquet and Arrow IPC (Feather) read through one interface.

An Arrow IPC file (``.feather``, ``.arrow``, ``.ipc``: pandas ``to_feather``, polars
``write_ipc``, R arrow ``write_feather``, LZ4 or ZSTD compressed) or stream (``.arrows``,
polars ``write_ipc_stream``) holds the same typed columns as a Parquet file, so it is read as
one is: the same column recognition, the same rejects (the physical "line" is the row
number), record batches for the streamed tracks.  What the file is is decided by its first
bytes, whatever its name: ``ARROW1`` (IPC file, Feather V2), ``FEA1`` (Feather V1, old pandas,
read whole: it has no batches), a continuation marker (IPC stream), else Parquet.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

__all__ = [
    "IPC_SUFFIXES",
    "arrow_kind",
    "iter_batches",
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
    return "parquet"


def _feather_v1(path: str | Path) -> pa.Table:
    import pyarrow.feather as feather

    with warnings.catch_warnings():  # pyarrow's deprecation of V1: the file is still read
        warnings.simplefilter("ignore", DeprecationWarning)
        return feather.read_table(str(path))


def table_schema(path: str | Path) -> pa.Schema:
    """Return the Arrow schema of a columnar file (its metadata holds GeoParquet's ``geo``)."""
    kind = arrow_kind(path)
    if kind == "parquet":
        return pq.read_schema(path)
    if kind == "ipc_file":
        return ipc.open_file(str(path)).schema
    if kind == "ipc_stream":
        return ipc.open_stream(str(path)).schema
    return _feather_v1(path).schema


def iter_batches(path: str | Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Yield the rows of a columnar file as record batches of at most ``batch_size`` rows."""
    kind = arrow_kind(path)
    if kind == "parquet":
        yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size)
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


def read_bounded(path: str | Path, limit_mb: float | None, name: str) -> pa.Table:
    """Read a whole Arrow IPC file, refused once its batches pass ``limit_mb`` MiB in memory.

    Its columns may be compressed (LZ4, ZSTD) with no uncompressed size declared: batches
    are read one at a time, so no more than the limit and one batch is ever held.
    """
    from ..errors import SourceUnreadable

    batches, size = [], 0
    for batch in iter_batches(path, 1 << 20):
        size += batch.nbytes
        if limit_mb is not None and size / 2**20 > limit_mb:
            raise SourceUnreadable(
                f"{name}: expands to more than {limit_mb:g} MiB in memory, above "
                f"ingest.max_uncompressed_mb={limit_mb:g}; raise the limit if the file is "
                "genuine"
            )
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=table_schema(path))
