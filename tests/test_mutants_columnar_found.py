"""Gaps found by a mutation pass over the columnar readers (``_columnar.py``, hHC).

Each test kills a mutant of the Parquet / Arrow IPC reader that the suite let live (a
flipped bound, a dropped branch, a lost ``.lower()``), or pins a product fix.  Every
expected value is independent of the code under test: ``pyarrow`` reading the same bytes,
row counts by hand, or the float64 rounding of an integer worked out by hand.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from _corpus import arrow_pings

from pipeline.errors import SourceUnreadable
from pipeline.ingest._columnar import (
    arrow_kind,
    check_expansion,
    exact_columns,
    exact_frame,
    iter_batches,
    read_bounded,
)

BIG = 2**53


def _rows(batches) -> list:
    return pa.Table.from_batches(list(batches)).to_pylist()


# ---------------------------------------------------------------------- what a file is


def test_a_csv_named_in_capitals_as_feather_is_said_to_be_no_ipc(tmp_path):
    # Windows exports name files 'AIS.FEATHER': the name still says Arrow IPC was meant
    path = tmp_path / "AIS.FEATHER"
    path.write_bytes(b"mmsi,lat,lon\n257000001,60.1,5.2\n")
    with pytest.raises(SourceUnreadable, match="its first bytes are no IPC's, nor as Parquet"):
        list(iter_batches(path, 10, 5.0))


# ---------------------------------------------------------------------- IPC bounds and batches


def test_a_zero_row_ipc_file_read_whole_is_its_empty_table_with_its_columns(tmp_path):
    # an export of no rows writes the schema and no batch: no rows, not a traceback
    path = tmp_path / "none.arrow"
    schema = pa.schema([("mmsi", pa.int64()), ("lat", pa.float64())])
    with ipc.new_file(str(path), schema):
        pass
    assert ipc.open_file(str(path)).num_record_batches == 0
    got = read_bounded(path, 1.0, "none.arrow")
    assert got.num_rows == 0 and got.schema.equals(schema)


def test_an_ipc_file_of_exactly_the_bound_in_memory_is_read(tmp_path):
    # the bound is 'above': a file whose batches are exactly the bound is read
    path = tmp_path / "b.arrow"
    table = pa.table({"v": pa.array(np.arange(131072, dtype="int64"))})  # 2**20 bytes
    assert table.nbytes == 2**20
    with ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table)
    assert read_bounded(path, 1.0, "b.arrow").equals(table)
    with pytest.raises(SourceUnreadable, match="expands to more than"):
        read_bounded(path, 0.999, "b.arrow")


def test_a_buffer_marked_uncompressed_counts_its_length_less_the_prefix(tmp_path):
    # the IPC format lets a writer keep a buffer of a compressed batch as it is, its 8-byte
    # prefix -1 (Arrow C++ with min_space_savings, other writers): it is held at its length
    # less the prefix, never at -1 bytes.  pyarrow here always compresses, so the prefix of
    # the one data buffer (2**20 bytes of int64) is rewritten to -1 by hand
    path = tmp_path / "m.arrow"
    table = pa.table({"v": np.random.default_rng(1).integers(0, 2**62, 131072)})
    with ipc.new_file(str(path), table.schema, options=ipc.IpcWriteOptions(compression="lz4")) as w:
        w.write_table(table)
    data = path.read_bytes()
    # the uncompressed size the data buffer declares, then the LZ4 frame's magic number
    prefix, magic = struct.pack("<q", 2**20), b"\x04\x22\x4d\x18"
    assert data.count(prefix + magic) == 1
    path.write_bytes(data.replace(prefix + magic, struct.pack("<q", -1) + magic))
    # held as it is: the buffer's length less its prefix, what LZ4 (frame) made of the values
    held = len(pa.compress(table.column(0).chunk(0).buffers()[1], codec="lz4", asbytes=True))
    check_expansion(path, held / 2**20, "m.arrow", whole=True)
    with pytest.raises(SourceUnreadable, match="above ingest.max_uncompressed_mb"):
        check_expansion(path, (held - 1) / 2**20, "m.arrow", whole=True)


def test_a_feather_v1_file_is_yielded_in_batches_of_at_most_the_size_asked(tmp_path):
    # Feather V1 has no batches: the whole table is cut to the streamed chunk size
    path = tmp_path / "old.feather"
    frame = pd.DataFrame({"mmsi": np.arange(10, dtype="int64"), "lat": np.linspace(0, 1, 10)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        feather.write_feather(frame, str(path), version=1)
    assert arrow_kind(path) == "feather_v1"
    batches = list(iter_batches(path, 3))
    assert [b.num_rows for b in batches] == [3, 3, 3, 1]
    assert _rows(batches) == pa.Table.from_pandas(frame, preserve_index=False).to_pylist()


def test_the_row_group_bound_is_for_streamed_parquet_reads_only(tmp_path):
    # a whole Parquet read is counted by its reader (the whole file), not by a row group
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"v": pa.array([7] * 131072, pa.int64())}), path)
    check_expansion(path, 0.5, "c.parquet", whole=True)
    with pytest.raises(SourceUnreadable, match="row group 0"):
        check_expansion(path, 0.5, "c.parquet", whole=False)


# ---------------------------------------------------------------------- 64-bit integers


def test_an_id_rounded_down_to_exactly_2_53_is_put_back():
    # 2**53 + 1 with a null: float64 holds it as 9007199254740992.0, exactly 2**53 (ties to
    # even), so a column reaching 2**53 itself must be read again, not only one beyond it
    exact = pa.table({"id": pa.array([BIG + 1, None, 5], pa.int64())})
    rounded = exact.to_pandas()
    assert rounded["id"].iloc[0] == float(BIG)
    fixed = exact_columns(rounded, lambda cols: exact.select(cols), "x")
    assert fixed["id"].tolist()[0] == str(BIG + 1) and fixed["id"].tolist()[2] == "5"
    assert rounded["id"].dtype == "float64"  # the caller's frame is left as it was


def test_exact_columns_puts_values_back_on_the_frames_own_index():
    # a frame filtered or concatenated keeps its index: the ids go back row by row
    exact = pa.table({"id": pa.array([BIG + 1, None, BIG + 3], pa.int64())})
    rounded = exact.to_pandas().set_axis([10, 20, 30])
    fixed = exact_columns(rounded, lambda cols: exact.select(cols), "x")
    assert fixed["id"].tolist()[::2] == [str(BIG + 1), str(BIG + 3)]
    assert fixed["id"].isna().tolist() == [False, True, False]


def test_columns_read_again_of_another_length_are_refused():
    exact = pa.table({"id": pa.array([BIG + 1, None, 5], pa.int64())})
    rounded = exact.to_pandas()
    with pytest.raises(SourceUnreadable, match="read again gave 2 rows, not 3"):
        exact_columns(rounded, lambda cols: exact.select(cols).slice(0, 2), "x")


def test_an_integer_of_exactly_2_53_beside_a_null_stays_a_number():
    # float64 holds 2**53 exactly: such a column is left to pandas as numbers
    frame = exact_frame(pa.table({"id": pa.array([BIG, None], pa.int64())}))
    assert frame["id"].dtype == "float64" and frame["id"].iloc[0] == BIG


def test_a_uint64_id_beyond_2_63_beside_a_null_keeps_every_digit():
    ids = [2**64 - 1, None, 2**63 + 1]
    frame = exact_frame(pa.table({"id": pa.array(ids, pa.uint64())}))
    assert frame["id"].tolist()[::2] == [str(2**64 - 1), str(2**63 + 1)]
    assert frame["id"].isna().tolist() == [False, True, False]


# ---------------------------------------------------------------------- pre-0.15 IPC streams


def _stream(table: pa.Table, path: Path, **options) -> Path:
    with ipc.new_stream(str(path), table.schema, options=ipc.IpcWriteOptions(**options)) as w:
        w.write_table(table, max_chunksize=4)
    return path


def test_an_ipc_stream_of_the_format_before_arrow_0_15_is_read_as_a_stream(tmp_path):
    # old pyarrow, Arrow JS and Java write no continuation marker: the stream starts with
    # its schema's length.  It was taken for Parquet and refused ("its first bytes are no
    # IPC's"), though pyarrow reads it
    from pipeline.ingest import read_tracks

    table = arrow_pings()
    old = _stream(table, tmp_path / "old.arrows", use_legacy_format=True)
    new = _stream(table, tmp_path / "new.arrows")
    assert not old.read_bytes().startswith(b"\xff\xff\xff\xff")
    assert ipc.open_stream(str(old)).read_all().equals(table)  # pyarrow reads it
    assert arrow_kind(old) == "ipc_stream"
    assert _rows(iter_batches(old, 3, 5.0)) == table.to_pylist()
    got, want = read_tracks(str(old)), read_tracks(str(new))
    assert got.n_read == want.n_read == 9
    pd.testing.assert_frame_equal(got.frame, want.frame)


def test_an_old_format_ipc_stream_cut_at_a_batch_end_is_refused(tmp_path):
    # without its end-of-stream marker the batches after the cut would be lost unsaid
    full = _stream(arrow_pings(), tmp_path / "full.arrows", use_legacy_format=True).read_bytes()
    path = tmp_path / "cut.arrows"
    path.write_bytes(full[:-4])  # the 4 zero bytes of the old end-of-stream marker
    assert full[-4:] == b"\x00\x00\x00\x00"
    with pytest.raises(SourceUnreadable, match="end-of-stream"):
        list(iter_batches(path, 3, 5.0))


# ---------------------------------------------------------------------- dictionary text bombs


def test_parquet_text_held_once_in_a_dictionary_counts_every_row_it_fills(tmp_path):
    # one 50 kB note on 200 rows: the file is a few kB and its footer declares about 0.05
    # MiB, but read whole it is 200 x 50 kB = 9.5 MiB of text (pyarrow's own nbytes); the
    # bound let it through (190 MiB from 1 kB at 2,000 rows of 100 kB, 1.5 GB resident)
    from pipeline.ingest import read_seizures

    n, note = 200, "x" * 50_000
    table = pa.table(
        {"date": ["2024-01-02"] * n, "lat": np.linspace(10, 11, n), "lon": [100.0] * n}
    )
    table = table.append_column("note", pa.array([note] * n))
    path = tmp_path / "notes.parquet"
    pq.write_table(table, path, compression="zstd")
    declared = pq.ParquetFile(path).metadata.row_group(0).total_byte_size / 2**20
    in_memory = table.nbytes / 2**20
    assert declared < 0.1 and 9.5 < in_memory < 9.6 and path.stat().st_size < 8192
    with pytest.raises(SourceUnreadable, match="expands to 10 MiB uncompressed"):
        read_seizures(str(path), max_uncompressed_mb=5)
    assert len(read_seizures(str(path), max_uncompressed_mb=12).frame) == n
