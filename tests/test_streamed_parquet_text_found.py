"""A streamed Parquet file's text held once in a dictionary counts every row it fills.

Found after the whole reads were bounded this way (``parquet_text_bytes``): a track file read
in chunks was bounded only by its footer's sizes, which count a dictionary's text once - a
file of a few kilobytes decoded to 38 MiB of notes under ``max_uncompressed_mb: 5``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import spill_tracks
from tests._corpus import arrow_pings


def _noted_pings(tmp_path, n: int, note: str):
    table = arrow_pings(n)
    table = table.append_column("remarks", pa.array([note] * n))
    path = tmp_path / "pings.parquet"
    pq.write_table(table, path, compression="zstd")
    declared = pq.ParquetFile(path).metadata.row_group(0).total_byte_size
    assert declared < 2**20 and path.stat().st_size < 16_384
    return path


def test_a_chunk_whose_dictionary_text_fills_its_rows_is_refused(tmp_path):
    # 200 rows of one 50 kB note: 100 rows a chunk hold 4.8 MiB of text, from a 10 kB file
    path = _noted_pings(tmp_path, 200, "x" * 50_000)
    with pytest.raises(SourceUnreadable, match=r"a block of 100 records expands to 5 MiB"):
        spill_tracks(path, tmp_path / "s", chunk_rows=100, n_buckets=2, max_uncompressed_mb=4)
    spill = spill_tracks(path, tmp_path / "t", chunk_rows=100, n_buckets=2, max_uncompressed_mb=6)
    assert spill.n_accepted == 200


def test_streamed_text_columns_read_as_the_file_holds_them(tmp_path):
    # text, large text, bytes and a categorical column, with nulls, over three row groups,
    # one column falling back from its dictionary to plain pages: batches equal a plain read
    n = 3_000
    table = pa.table(
        {
            "name": pa.array([None if i % 7 == 0 else f"SHIP {i % 11}" for i in range(n)]),
            "note": pa.array([f"n{i % 3}" for i in range(n)], pa.large_string()),
            "raw": pa.array([bytes([i % 5]) * (i % 4) for i in range(n)], pa.binary()),
            "kind": pa.array([("a", "b")[i % 2] for i in range(n)]).dictionary_encode(),
            "unique": pa.array([f"u{i:06d}" * 40 for i in range(n)]),
            "x": pa.array(range(n), pa.int64()),
        }
    )
    path = tmp_path / "texts.parquet"
    pq.write_table(table, path, row_group_size=1_000, dictionary_pagesize_limit=4_096)
    from pipeline.ingest._columnar import iter_batches

    got = pa.Table.from_batches(list(iter_batches(path, 700, 50.0, "texts")))
    assert got.schema == pq.read_schema(path)
    assert got.equals(pq.read_table(path))
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(4)  # "unique": fell back
    assert chunk.has_dictionary_page and "PLAIN" in chunk.encodings


def test_tracks_read_in_chunks_equal_tracks_read_whole(tmp_path):
    path = _noted_pings(tmp_path, 40, "note <b>")
    whole = read_tracks(str(path)).frame
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=7, n_buckets=2)
    assert spill.n_accepted == len(whole) == 40
