"""Mutation pass over chunked track ingest (``pipeline/ingest/stream.py``): the gaps found.

A CSV read in chunks is cut into pieces of at least 64 KiB, so every file here is a little
larger than that (two to four pieces); each is checked against values made independently
of the chunked reader: the same file read whole, and the physical lines of its bad records
counted by hand while the file is written.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from _corpus import write_one_huge_row_group
from test_ingest_stream import _assert_same, _both

from pipeline.engine import LocalEngine
from pipeline.errors import InputError
from pipeline.ingest import TrackSource, check_balance, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned

HEAD = "mmsi,timestamp,lat,lon,sog,note"


def _record(i: int, note: str = "x", vessels: int = 5) -> str:
    """Record ``i`` of a feed of ``vessels`` ships a minute apart (every value valid)."""
    k = i // vessels
    t = f"2024-01-{1 + k // 1440:02d}T{(k // 60) % 24:02d}:{k % 60:02d}:00Z"
    return f"{235000000 + i % vessels},{t},{43 + k * 1e-4:.5f},{5 + k * 1e-4:.5f},10.0,{note}"


def _partitioned(path: Path, tmp: Path, chunk_rows: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (spill,) = spill_tracks_partitioned(
            [path], [tmp / "parts"], LocalEngine(), chunk_rows=chunk_rows, n_buckets=3
        )
    return spill, PingStore([spill], root=tmp / "parts")


def _pieces_of(spill) -> int:
    return len(spill.reject_parts)  # a part of rejects per chunk


# --------------------------------------------------------------------------- where a piece ends

#: A note on two lines whose second line is most of a record's bytes: a piece's first cut
#: (at 64 KiB) falls inside a quoted value and must go back to the line end before it.
LONG = "first line{eol}" + "second line " * 12


def _edge_inside_a_note(text: str, eol: str) -> bool:
    """Whether the last line end before the first 64 KiB block's end is inside a note."""
    data = text.encode()
    at = data.rfind(eol.encode(), 0, 1 << 16)
    return data[at + len(eol) :].startswith(b"second line")


@pytest.mark.parametrize("sep", [",", ";"], ids=["comma", "semicolon"])
def test_a_literal_quote_does_not_cut_a_later_quoted_value_in_two(tmp_path, sep):
    """``12" pipe`` (a quote inside an unquoted value, a character of it to the reader) was
    counted as an opening quote: every line end after it looked like one inside quotes and
    every line end inside a later quoted value like one outside, so a piece was cut in the
    middle of a note written on two lines.  Each half was then read as a record of its own:
    'unbalanced_quote' and 'ragged_row' rejects of records the whole read accepts.  A quote
    opens a value after the file's delimiter, not after a comma of a ';' file."""
    lines = [HEAD]
    for i in range(800):
        lines.append(_record(i, '"' + LONG.format(eol="\n") + ', end"'))
    lines[3] = _record(2, '12" pipe')
    if sep == ";":  # decimal commas; the notes' commas stay inside their quotes
        lines = [ln.replace(",", ";").replace("; end", ", end") for ln in lines]
        lines = [ln.replace("43.", "43,").replace(";5.", ";5,") for ln in lines]
    text = "\n".join(lines) + "\n"
    assert _edge_inside_a_note(text, "\n")
    path = tmp_path / "notes.csv"
    path.write_text(text)
    whole, spill, store = _both(path, tmp_path, 1)
    assert _pieces_of(spill) >= 3
    assert whole.by_rule == {} and whole.n_read == 800  # the reader's view: all valid
    assert spill.by_rule == {}, spill.notes
    _assert_same(whole, spill, store, tmp_path)
    parts, pstore = _partitioned(path, tmp_path, 1)
    assert parts.by_rule == {} and len(pstore) == 800


def _hostile(n: int, eol: str) -> tuple[str, dict[int, str]]:
    """A feed of ``n`` records with notes on two lines, blank lines and bad records.

    Returns the text and, counted by hand while writing it, the physical line of each bad
    record with the rule that rejects it.
    """
    out, bad = [HEAD], {}
    line = 2  # the physical line the next record starts on
    prev = ""
    for i in range(n):
        rec = _record(i, '"' + LONG.format(eol=eol) + '"' if i % 5 else "x")
        if i % 101 == 11:
            rec, bad[line] = rec + ",extra", "ragged_row"
        elif i % 103 == 17:
            rec, bad[line] = rec.replace(",43.", ",north", 1), "coord_unparseable"
        elif i % 107 == 23:
            rec, bad[line] = prev, "duplicate"
        elif i % 109 == 29:
            out.append("")
            line += 1
        out.append(rec)
        line += 1 + rec.count(eol)
        prev = rec
    return eol.join(out) + eol, bad


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_reject_lines_across_pieces_are_counted_by_hand(tmp_path, eol):
    """Every bad record's physical line, counted while the file is written (a note on two
    lines counts two, CRLF one, a blank line one): the same in chunks, whichever piece the
    line is in, and in the rejects CSV; ``read = accepted + rejected`` by rule."""
    text, bad = _hostile(1500, eol)
    assert _edge_inside_a_note(text, eol)
    path = tmp_path / "feed.csv"
    path.write_bytes(text.encode())
    whole, spill, store = _both(path, tmp_path, 1)
    assert _pieces_of(spill) >= 3
    assert max(bad) > 3 * (1 << 16) / 200  # bad lines in the last pieces too
    got = dict(zip(whole.rejects["row"].astype(int), whole.rejects["rule"], strict=True))
    assert got == bad
    rej = pd.concat(list(spill.iter_rejects()), ignore_index=True)
    assert dict(zip(rej["row"].astype(int), rej["rule"], strict=True)) == bad
    assert rej["row"].is_monotonic_increasing  # the CSV in line order
    assert spill.n_read == 1500 and spill.n_accepted == 1500 - len(bad)
    check_balance(spill)
    _assert_same(whole, spill, store, tmp_path)


# --------------------------------------------------------------------------- decisions held


def _dated(n: int, proofs: dict[int, str]) -> str:
    """``n`` records dated dd/mm (days 1..3 of February: either order), some dates replaced."""
    lines = [HEAD]
    for i in range(n):
        k = i // 5
        when = proofs.get(i, f"{1 + k // 1440:02d}/02/2024 {(k // 60) % 24:02d}:{k % 60:02d}")
        rec = _record(i).split(",")
        lines.append(",".join([rec[0], when, *rec[2:]]))
    return "\n".join(lines) + "\n"


def test_a_date_order_proved_by_the_first_piece_holds_for_the_others(tmp_path):
    """The first piece proves day-first (13/01); the later pieces hold only dates that could
    be either: they are read day-first, and the note counts every piece's dates, as whole."""
    path = tmp_path / "dates.csv"
    path.write_text(_dated(3000, {5: "13/01/2024 00:00"}))
    whole, spill, store = _both(path, tmp_path, 1)
    assert _pieces_of(spill) >= 2
    said = [t for t in spill.notes if "read day-first" in t]
    assert said and said[0].startswith("dates.csv column 'timestamp': 2999 date(s)")
    assert store.to_frame()["time"].dt.month.value_counts().to_dict() == {2: 2999, 1: 1}
    _assert_same(whole, spill, store, tmp_path)


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_a_later_piece_that_proves_the_other_order_is_refused_as_whole(tmp_path, how):
    """A date of a later piece proves month-first (01/14) against the first piece's
    day-first (13/01): refused as the whole read refuses it, never read month-first there."""
    path = tmp_path / "dates.csv"
    path.write_text(_dated(3000, {5: "13/01/2024 00:00", 2900: "01/14/2024 00:00"}))
    with pytest.raises(InputError, match="decide both ways"):
        read_tracks(path)
    with pytest.raises(InputError, match="both ways"):
        if how == "chunks":
            spill_tracks(path, tmp_path / "s", chunk_rows=1, n_buckets=3)
        else:
            _partitioned(path, tmp_path, 1)


def test_an_unclosed_quote_grows_a_piece_to_a_few_blocks_at_most():
    """A quote opened and never closed leaves no line end outside quotes: the piece stops
    growing past four blocks (memory of a few chunks, not of the file) and is cut at a line
    end; the pieces still make up the file."""
    import io

    import pipeline.ingest.stream as stream

    rows = [_record(i) for i in range(20_000)]
    rows[500] = _record(500, '"opened and never closed')
    data = ("\n".join([HEAD, *rows]) + "\n").encode()
    block = 1 << 16
    assert len(data) > 12 * block
    pieces = list(stream._pieces(io.BytesIO(data), block, b"\n", ","))
    assert b"".join(pieces) == data
    assert all(p.endswith(b"\n") for p in pieces)
    assert max(len(p) for p in pieces) <= (stream._MAX_PIECE_CHUNKS + 1) * block  # + a block read
    assert len(pieces) >= 4


# --------------------------------------------------------------------------- the first piece only


def test_a_bom_and_a_late_cp1252_byte_say_the_offset_the_whole_read_says(tmp_path):
    """A UTF-8 byte-order mark opens the file; a cp1252 byte lies in the last piece.  The
    encoding is decided on the whole file, and the byte's offset is counted without the
    mark, as the whole read counts it (by hand: its index in the bytes, less three)."""
    rows = [_record(i) for i in range(3000)]
    rows[2900] = _record(2900, "caf\xe9")
    data = b"\xef\xbb\xbf" + ("\n".join([HEAD, *rows]) + "\n").encode("cp1252")
    path = tmp_path / "bom.csv"
    path.write_bytes(data)
    whole, spill, store = _both(path, tmp_path, 1)
    assert _pieces_of(spill) >= 2
    said = [t for t in spill.notes if "not valid UTF-8" in t]
    assert said == [t for t in whole.notes if "not valid UTF-8" in t]
    at = data.index(b"\xe9") - len(b"\xef\xbb\xbf")
    assert f"at offset {at})" in said[0]
    _assert_same(whole, spill, store, tmp_path)


# --------------------------------------------------------------------------- records in file order


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_the_first_copy_of_a_record_is_kept_whatever_piece_the_copies_are_in(tmp_path, how):
    """Copies of record 1000 (late in the first piece) in every later piece, some early in
    theirs: each copy is rejected at its own line and the first is kept -- the records are
    ordered by their place in the file, not by their place in their piece."""
    rows = [_record(i) for i in range(3000)]
    bad = {}
    for r in range(1001, 3000):
        if r % 97 == 0:
            rows[r] = rows[1000]
            bad[r + 2] = "duplicate"  # the header is line 1, record r is line r + 2
    path = tmp_path / "copies.csv"
    path.write_text("\n".join([HEAD, *rows]) + "\n")
    whole = read_tracks(path)
    assert dict(zip(whole.rejects["row"].astype(int), whole.rejects["rule"], strict=True)) == bad
    if how == "chunks":
        spill = spill_tracks(path, tmp_path / "s", chunk_rows=1, n_buckets=3)
        store = PingStore([spill], root=tmp_path / "s")
    else:
        spill, store = _partitioned(path, tmp_path, 1)
    assert _pieces_of(spill) >= 3
    rej = pd.concat(list(spill.iter_rejects()), ignore_index=True)
    assert dict(zip(rej["row"].astype(int), rej["rule"], strict=True)) == bad
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)


def test_a_quoted_value_longer_than_a_block_is_kept_whole(tmp_path):
    """A note of 13,000 lines (about 150 KB: more than what is left of the first block and
    the next one) holds no record end: the piece grows past it instead of being cut inside
    it, and the record is read whole."""
    rows = [_record(i) for i in range(2000)]
    rows[10] = _record(10, '"' + "\n".join(f"remark {k}" for k in range(13_000)) + '"')
    path = tmp_path / "long.csv"
    path.write_text("\n".join([HEAD, *rows]) + "\n")
    whole, spill, store = _both(path, tmp_path, 1)
    assert whole.by_rule == {} and spill.by_rule == {}, spill.notes
    assert len(store) == 2000
    _assert_same(whole, spill, store, tmp_path)


# --------------------------------------------------------------------------- the memory ceiling


def test_the_partitioned_read_refuses_a_row_group_beyond_the_bound_as_one_pass(tmp_path):
    """A Parquet file of one row group that decodes to 2 MiB, with a bound of 1 MiB: the
    one-pass streamed read refuses it; the chunk tasks (the Dask engine's read) decoded the
    row group whole in a task without any check.  Both refuse it now, with one message."""

    from pipeline.errors import SourceUnreadable

    big = write_one_huge_row_group(tmp_path / "big.parquet")
    with pytest.raises(SourceUnreadable, match=r"row group 0 .*max_uncompressed_mb=1") as one:
        spill_tracks(big, tmp_path / "s", chunk_rows=50_000, max_uncompressed_mb=1)
    with pytest.raises(SourceUnreadable, match=r"row group 0 .*max_uncompressed_mb=1") as parts:
        spill_tracks_partitioned(
            [big], [tmp_path / "p"], LocalEngine(), chunk_rows=50_000, max_uncompressed_mb=1
        )
    assert str(parts.value) == str(one.value)


# --------------------------------------------------------------------------- the rejects file


def test_a_carriage_return_in_the_first_chunks_rejects_sets_the_csv_line_end(tmp_path):
    """A rejected value of the first batch holds a CR (text read from Parquet as written);
    the later batches' rejects hold none.  The whole CSV's line end is decided by every
    chunk's rejects (CRLF, as the whole read writes it), not by the last chunk's alone."""
    from pipeline.ingest import write_rejects

    n = 600
    frame = pd.DataFrame(
        {
            "mmsi": [str(235000000 + i % 5) for i in range(n)],
            "timestamp": pd.date_range("2024-03-01", periods=n, freq="min", tz="UTC"),
            "lat": [f"{43 + i * 1e-4:.5f}" for i in range(n)],
            "lon": [f"{5 + i * 1e-4:.5f}" for i in range(n)],
        }
    )
    frame.loc[7, "lat"] = "no\rrth"  # batch 1 of 6
    frame.loc[[250, 450], "lat"] = "north"  # batches 3 and 5
    path = tmp_path / "cr.parquet"
    frame.to_parquet(path, index=False)
    whole = read_tracks(path)
    assert whole.by_rule == {"coord_unparseable": 3}
    a = write_rejects(whole, tmp_path / "a").read_bytes()
    assert a.count(b"\r\n") == 4  # the header and three rejects, CRLF
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=100, n_buckets=3)
    assert _pieces_of(spill) == 6
    assert spill.write_rejects(tmp_path / "b").read_bytes() == a


# --------------------------------------------------------------------------- repeats across files


def test_a_repeat_at_the_last_time_of_an_earlier_file_is_found(tmp_path):
    """The later file's bucket holds one ping, at the very time the earlier file's bucket
    ends (the spans touch, they do not overlap): it is still read and the repeat found."""
    from pipeline.ingest.stream import reject_repeated_spill

    a = tmp_path / "a.csv"
    a.write_text("\n".join([HEAD, *(_record(i, vessels=1) for i in range(30))]) + "\n")
    b = tmp_path / "b.csv"
    b.write_text("\n".join([HEAD, _record(29, vessels=1)]) + "\n")  # a's last ping again
    first = spill_tracks(a, tmp_path / "sa", chunk_rows=10, n_buckets=2)
    later = spill_tracks(b, tmp_path / "sb", chunk_rows=10, n_buckets=2)
    got = reject_repeated_spill(later, [first], tmp_path / "r")
    assert got.n_accepted == 0 and got.by_rule == {"duplicate_across_files": 1}
    rej = pd.concat(list(got.iter_rejects()), ignore_index=True)
    assert rej["row"].tolist() == [2] and rej["value"].tolist() == ["a.csv line 31"]


def test_columns_found_by_their_values_quote_the_whole_files_largest(tmp_path):
    """No header names the position columns: they are found by their values on the first
    piece, and the notes quote the file's largest values -- the latitude's in the first
    piece (44.5, falling after it), the longitude's in the last -- as the whole read does."""
    lines = ["mmsi,timestamp,c1,c2,sog,note"]
    for i in range(3000):
        k = i // 5
        when = f"2024-01-01T{(k // 60) % 24:02d}:{k % 60:02d}:00Z"
        lat, lon = 44.5 - k * 1e-4, 120 + k * 1e-4
        lines.append(f"{235000000 + i % 5},{when},{lat:.5f},{lon:.5f},10.0,x")
    path = tmp_path / "content.csv"
    path.write_text("\n".join(lines) + "\n")
    whole, spill, store = _both(path, tmp_path, 1)
    assert _pieces_of(spill) >= 2
    said = [t for t in spill.notes if "by its values" in t]
    assert any("'c1'" in t and "(max |value| 44.5))" in t for t in said), said
    assert any("'c2'" in t and "(max |value| 120.06))" in t for t in said), said
    _assert_same(whole, spill, store, tmp_path)


def test_a_headerless_file_with_a_trailing_delimiter_is_worded_as_whole(tmp_path):
    """No header line, and every record ends with the delimiter: a later piece is read below
    the names the first gave the file, and its count is worded and added as the whole
    read's (every line a record), not as lines below a header of the file's own."""
    rows = [_record(i) + "," for i in range(3000)]
    rows[2500] = rows[2500].replace(",43.", ",north", 1)
    path = tmp_path / "bare.csv"
    path.write_text("\n".join(rows) + "\n")
    named = {"vessel_id": "field_1", "time": "field_2", "lat": "field_3", "lon": "field_4"}
    src = TrackSource(path=path, columns=named)
    whole, spill, store = _both(src, tmp_path, 1)
    assert _pieces_of(spill) >= 2 and spill.by_rule == {"coord_unparseable": 1}
    said = [t for t in spill.notes if "of the lines end with" in t]
    assert said == [
        "bare.csv: 3000 of the lines end with ',' (no header line); the empty last "
        "column is ignored"
    ]
    _assert_same(whole, spill, store, tmp_path)


def test_positions_that_fit_only_swapped_are_counted_over_the_whole_file(tmp_path):
    """The last third of the records has latitude and longitude swapped: outside the area,
    inside it swapped.  Over the whole file that is a third, not a misread file: those
    records are rejected as outside the area, as whole.  The last piece alone (all of its
    positions swapped) must not decide for the file."""
    lines = [HEAD]
    for i in range(3000):
        rec = _record(i).split(",")
        if i >= 2000:
            rec[2], rec[3] = rec[3], rec[2]
        lines.append(",".join(rec))
    path = tmp_path / "swapped.csv"
    path.write_text("\n".join(lines) + "\n")
    bbox = (4.0, 42.0, 6.0, 44.0)
    whole, spill, store = _both(path, tmp_path, 1, aoi_bbox=bbox)
    assert _pieces_of(spill) >= 3
    assert spill.by_rule == {"outside_aoi": 1000}
    rej = pd.concat(list(spill.iter_rejects()), ignore_index=True)
    assert rej["row"].astype(int).tolist() == list(range(2002, 3002))
    _assert_same(whole, spill, store, tmp_path)
