"""Hostile files against the newest ingest code: Arrow IPC (Feather) files cut short, named
twice, or compressed to expand far beyond their size; MultiPoint pings; MMSIs as numbers."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from _corpus import arrow_pings, write_one_huge_row_group

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import spill_tracks


def _ipc_file(table: pa.Table, path: Path, **options) -> Path:
    opts = ipc.IpcWriteOptions(**options)
    with ipc.new_file(str(path), table.schema, options=opts) as w:
        w.write_table(table, max_chunksize=4)
    return path


def _both(path: Path, tmp_path: Path, **kwargs) -> list:
    """Read ``path`` whole and streamed; return each result or the SourceUnreadable raised."""
    out: list = []
    for read in (
        lambda: read_tracks(str(path), **kwargs),
        lambda: spill_tracks(str(path), tmp_path / "spill", chunk_rows=3, n_buckets=2, **kwargs),
    ):
        try:
            out.append(read())
        except SourceUnreadable as exc:
            out.append(exc)
    return out


# ------------------------------------------------------------------ damaged or mislabelled


@pytest.mark.parametrize("cut", [7, 16, 100, 0.5, -10, -1])
def test_a_cut_arrow_file_is_one_line_refused_whole_and_streamed(tmp_path, cut):
    # the streamed read (every `route-risk run` of tracks) let pyarrow's ArrowInvalid
    # ("Not an Arrow file", "File is too small") out as a traceback
    whole = _ipc_file(arrow_pings(), tmp_path / "full.arrow").read_bytes()
    end = int(len(whole) * cut) if isinstance(cut, float) else cut
    path = tmp_path / "ais.arrow"
    path.write_bytes(whole[:end])
    for got in _both(path, tmp_path):
        assert isinstance(got, SourceUnreadable)
        assert "ais.arrow" in str(got) and "\n" not in str(got)


def test_a_csv_saved_as_feather_is_one_line_refused_when_streamed(tmp_path):
    path = tmp_path / "ais.feather"
    arrow_pings().to_pandas().to_csv(path, index=False)
    for got in _both(path, tmp_path):
        assert isinstance(got, SourceUnreadable) and "ais.feather" in str(got)
        assert "Arrow IPC (Feather)" in str(got)  # its name says so, not only Parquet


def test_an_ipc_stream_cut_at_the_end_of_a_batch_is_refused_not_read_short(tmp_path):
    # a stream has no footer: an export stopped after its second batch (or a partial
    # copy) lacks only the end-of-stream marker, and its first 8 of 12 pings were read
    # as the whole file, the rest lost without a word
    table = arrow_pings(12)
    sink = io.BytesIO()
    ends = []
    with ipc.new_stream(sink, table.schema) as w:
        for batch in table.to_batches(max_chunksize=4):
            w.write_batch(batch)
            ends.append(sink.tell())
    whole = sink.getvalue()
    full = tmp_path / "full.arrows"
    full.write_bytes(whole)
    assert [r.n_read for r in _both(full, tmp_path)] == [12, 12]
    path = tmp_path / "ais.arrows"
    path.write_bytes(whole[: ends[1]])
    for got in _both(path, tmp_path):
        assert isinstance(got, SourceUnreadable), got
        assert "ais.arrows" in str(got) and "end-of-stream" in str(got)


@pytest.mark.parametrize("fmt", ["arrow", "parquet"])
def test_a_column_named_twice_is_refused_naming_it(tmp_path, fmt):
    # a Parquet or IPC file may name two columns 'lat' (a join written out as is): the
    # whole read said "AttributeError: 'DataFrame' object has no attribute 'dtype'" or
    # "Multiple matches for FieldRef", the streamed read raised a traceback
    t = arrow_pings()
    t = pa.table([*t.columns, pa.array([0.0] * 9)], names=[*t.column_names, "lat"])
    path = tmp_path / f"ais.{fmt}"
    if fmt == "parquet":
        pq.write_table(t, path)
    else:
        _ipc_file(t, path)
    for got in _both(path, tmp_path):
        assert isinstance(got, SourceUnreadable), got
        assert "'lat'" in str(got) and "more than once" in str(got)


# ------------------------------------------------------------------ bounded memory


def _zstd_bomb(path: Path, rows: int, batch_rows: int) -> Path:
    """Write pings of one repeated value: a few kilobytes of ZSTD per hundred MiB."""
    zeros = np.zeros(rows, dtype="int64")
    table = pa.table(
        {
            "mmsi": pa.array(zeros + 247000001),
            "date": pa.array(zeros).cast(pa.timestamp("s", tz="UTC")),
            "lat": pa.array(zeros + 10.0),
            "lon": pa.array(zeros + 100.0),
        }
    )
    opts = ipc.IpcWriteOptions(compression="zstd")
    with ipc.new_file(str(path), table.schema, options=opts) as w:
        w.write_table(table, max_chunksize=batch_rows)
    return path


def test_a_compressed_ipc_batch_is_refused_before_it_is_decompressed(tmp_path):
    # one record batch of 128 MiB in 20 KB: the whole read decompressed it, then found it
    # above the bound (peak memory +128 MiB for a limit of 16)
    path = _zstd_bomb(tmp_path / "bomb.arrow", 4_000_000, 4_000_000)
    assert path.stat().st_size < 1 << 20
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")
    # the peak of the child's own memory (VmHWM): getrusage's ru_maxrss keeps the peak of
    # the pytest process it was forked from, which wrote the bomb
    code = textwrap.dedent(
        f"""
        import re
        from pipeline.errors import SourceUnreadable
        from pipeline.ingest import read_seizures, read_tracks
        def peak():
            with open("/proc/self/status") as fh:
                return int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1))
        base = peak()
        for read in (read_seizures, read_tracks):
            try:
                read({str(path)!r}, max_uncompressed_mb=16)
            except SourceUnreadable as exc:
                assert "max_uncompressed_mb=16" in str(exc), exc
            else:
                raise SystemExit("read")
        print((peak() - base) // 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) < 48  # MiB more than after the imports


def test_a_streamed_ipc_file_of_one_huge_compressed_batch_is_refused(tmp_path):
    # the streamed read decompressed a record batch whole before cutting it into chunks,
    # with no bound at all: 1 batch of any size was held in memory
    path = _zstd_bomb(tmp_path / "bomb.arrow", 50_000, 50_000)  # 1.5 MiB in one batch
    with pytest.raises(SourceUnreadable, match="max_uncompressed_mb=1"):
        spill_tracks(str(path), tmp_path / "spill", chunk_rows=50_000, max_uncompressed_mb=1)
    # pings in batches of 1,000 stream within the bound
    small = _zstd_bomb(tmp_path / "small.arrow", 3_000, 1_000)
    spill = spill_tracks(str(small), tmp_path / "s2", chunk_rows=50_000, max_uncompressed_mb=1)
    assert spill.n_read == 3_000


def test_a_streamed_parquet_file_of_one_huge_row_group_is_refused(tmp_path):
    # the streamed read decodes a row group whole: one row group of any size was held
    big = write_one_huge_row_group(tmp_path / "big.parquet")
    with pytest.raises(SourceUnreadable, match=r"row group 0 .*max_uncompressed_mb=1"):
        spill_tracks(str(big), tmp_path / "spill", chunk_rows=50_000, max_uncompressed_mb=1)
    small = write_one_huge_row_group(tmp_path / "small.parquet", row_group_size=5_000)
    spill = spill_tracks(str(small), tmp_path / "s2", chunk_rows=50_000, max_uncompressed_mb=1)
    assert spill.n_read == 60_000


# ------------------------------------------------------------------ MultiPoint pings


def _ping_layer(path: Path, wkts: list[str]) -> Path:
    import geopandas as gpd
    import shapely

    n = len(wkts)
    frame = gpd.GeoDataFrame(
        {
            "mmsi": ["247000001"] * n,
            "timestamp": pd.date_range("2024-03-01", periods=n, freq="10min", tz="UTC")
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .tolist(),
        },
        geometry=list(shapely.from_wkt(wkts)),
        crs="EPSG:4326",
    )
    if path.suffix == ".gpkg":
        frame.to_file(path, driver="GPKG")
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_an_empty_point_among_pings_is_a_missing_position_not_a_traceback(tmp_path, suffix):
    # GeoPackage and GeoParquet keep a ping without position as POINT EMPTY (and a
    # MULTIPOINT of a NaN point as MULTIPOINT (EMPTY)): GEOS refused its x, a
    # GEOSException out of read_tracks; MULTIPOINT EMPTY was 'multipoint', "a MultiPoint
    # feature of several points"
    wkts = [
        "POINT (1 50)",
        "POINT EMPTY",
        "MULTIPOINT ((NaN NaN))",
        "MULTIPOINT EMPTY",
        "POINT (1 50.1)",
    ]
    path = _ping_layer(tmp_path / f"pings{suffix}", wkts)
    for res in (read_tracks(str(path)), spill_tracks(str(path), tmp_path / "s", n_buckets=2)):
        assert res.n_read == 5 and res.n_accepted == 2
        assert res.by_rule == {"coord_missing": 3}


def test_collections_of_points_at_one_position_are_that_point(tmp_path):
    # a MultiPoint or GeometryCollection whose points all lie at one position holds one
    # position for its one time (a MultiPoint of one point already was that point);
    # several positions stay multipoint, whatever the collection's type
    wkts = [
        "POINT (1 50)",
        "GEOMETRYCOLLECTION (POINT (1 50.1))",
        "MULTIPOINT ((1 50.2), (1 50.2))",
        "MULTIPOINT Z ((1 50.3 4))",
        "GEOMETRYCOLLECTION (POINT (1 50.4), POINT (1 50.5))",
        "MULTIPOINT ((1 50.6), (1 50.7))",
        "GEOMETRYCOLLECTION (POINT (1 50.8), LINESTRING (1 50, 1 51))",
    ]
    path = _ping_layer(tmp_path / "pings.parquet", wkts)
    res = read_tracks(str(path))
    assert res.n_read == 7 == res.n_accepted + len(res.rejects)
    assert sorted(res.frame["lat"].round(6)) == [50.0, 50.1, 50.2, 50.3]
    rule = res.rejects.set_index("row")["rule"].to_dict()
    assert rule == {5: "multipoint", 6: "multipoint", 7: "geometry_wrong_type"}
    assert "GEOMETRYCOLLECTION" in res.rejects.set_index("row").loc[5, "value"]


# ------------------------------------------------------------------ MMSI digits


def test_an_mmsi_of_fullwidth_digits_is_invalid_not_another_vessel(tmp_path):
    # a Japanese or Chinese spreadsheet may type MMSIs in fullwidth digits: '\\d' matched
    # them, so '２４７０００００１' was a ninth-digit vessel beside '247000001', and the
    # group call '０２４７００００１' (its '0' is no ASCII '0') was taken for a ship
    ids = ["247000001", "247000001", "２４７０００００１", "０２４７００００１", "２４７００００１"]
    rows = ["mmsi,timestamp,lat,lon"]
    for i, v in enumerate(ids):
        rows.append(f"{v},2024-03-01T00:{10 * i:02d}:00Z,50.0,{1 + i / 100}")
    path = tmp_path / "ais.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = read_tracks(str(path))
    assert res.n_read == 5 and list(res.frame["vessel_id"].unique()) == ["247000001"]
    assert res.by_rule == {"mmsi_invalid": 3}
    assert list(res.rejects["value"]) == ids[2:]  # as written


# ------------------------------------------------------------------ JSON Lines


def test_json_lines_of_a_cut_record_and_a_doubled_line_are_each_rejected(tmp_path):
    # a record cut over lines 2-3 and a line 4 of two objects: joined into one array the
    # four lines decoded to four objects, all accepted at the wrong lines (the one of
    # line 4 at line 3); read line by line, lines 2, 3 and 4 are each no JSON object
    rec = '{{"mmsi":247000001,"t":"2024-01-02T00:{m:02d}:00Z","lat":{lat},"lon":-60.2}}'
    lines = [
        rec.format(m=0, lat=10.5),
        rec.format(m=10, lat=10.6).replace(',"lon":-60.2}', ""),
        '"lon":-60.2}',
        rec.format(m=20, lat=10.7) + "," + rec.format(m=30, lat=10.8),
        rec.format(m=40, lat=10.9),
    ]
    path = tmp_path / "ais.jsonl"
    path.write_text("\n".join(lines) + "\n")
    res = read_tracks(str(path))
    assert res.n_read == 5 == len(res.frame) + len(res.rejects)
    assert list(res.lines) == [1, 5] and list(res.frame["lat"]) == [10.5, 10.9]
    assert list(res.rejects["row"]) == [2, 3, 4]
    assert set(res.rejects["rule"]) == {"malformed_json"}


def test_a_geoarrow_ipc_stream_of_pings_is_read_as_its_file_is(tmp_path):
    # an IPC stream with GeoParquet's 'geo' metadata (GDAL's Arrow driver FORMAT=STREAM,
    # a table of geopandas to_arrow written as a stream) was refused: "cannot read as
    # parquet: ArrowInvalid: Not a Feather V1 or Arrow IPC file" (read_feather reads files)
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {
            "mmsi": ["247000001"] * 3,
            "timestamp": ["2024-03-01T00:00:00Z", "2024-03-01T00:10:00Z", "2024-03-01T00:20:00Z"],
        },
        geometry=[shapely.Point(1, 50), shapely.Point(1.01, 50), shapely.Point(1.02, 50.01)],
        crs="EPSG:4326",
    )
    frame.to_feather(tmp_path / "ais.feather")
    table = ipc.open_file(str(tmp_path / "ais.feather")).read_all()
    with ipc.new_stream(str(tmp_path / "ais.arrows"), table.schema) as w:
        w.write_table(table)
    want = read_tracks(str(tmp_path / "ais.feather"))
    got = read_tracks(str(tmp_path / "ais.arrows"))
    assert got.n_read == want.n_read == 3 == len(got.frame)
    pd.testing.assert_frame_equal(got.frame, want.frame)


def test_a_json_record_giving_a_key_twice_is_rejected_not_read_by_its_last_value(tmp_path):
    # '"lat":10.5,"lat":55.5' (an exporter writing the raw and the corrected value under
    # one name) was read as 55.5 without a word; a CSV header naming 'lat' twice is refused
    path = tmp_path / "ais.jsonl"
    path.write_text(
        '{"mmsi":247000001,"t":"2024-01-02T00:00:00Z","lat":10.5,"lon":-60.2}\n'
        '{"mmsi":247000001,"t":"2024-01-02T00:10:00Z","lat":10.6,"lat":55.5,"lon":-60.2}\n'
        '{"mmsi":247000001,"t":"2024-01-02T00:20:00Z","lat":10.7,"lon":-60.2}\n'
    )
    res = read_tracks(str(path))
    assert res.n_read == 3 and list(res.lines) == [1, 3]
    assert res.by_rule == {"malformed_json": 1}
    assert "'lat'" in res.rejects["message"].iloc[0] and res.rejects["row"].iloc[0] == 2
    # valid JSON (the standard only says names SHOULD be unique): not called invalid
    assert not res.rejects["message"].iloc[0].startswith("not valid JSON")
    array = tmp_path / "ais.json"
    array.write_text("[" + ",".join(path.read_text().splitlines()) + "]")
    with pytest.raises(SourceUnreadable, match="'lat' is given twice"):
        read_tracks(str(array))
    # an API answer (one object holding the records) is refused as the array is, not read
    # line by line as JSON Lines (its lines are no records)
    answer = tmp_path / "answer.json"
    clean = path.read_text().splitlines()[::2]  # the two records without a key twice
    answer.write_text('{"count": 2, "count": 3,\n "data": [' + ",\n".join(clean) + "]}\n")
    with pytest.raises(SourceUnreadable, match="'count' is given twice"):
        read_tracks(str(answer))


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_a_stray_line_among_pings_is_one_reject_not_a_layer_of_routes(tmp_path, suffix):
    # one LineString (a drawn annotation) made the whole layer a route layer: every point
    # was rejected as geometry_wrong_type
    wkts = [f"POINT (1 {50 + i / 100})" for i in range(8)] + ["LINESTRING (1 50, 1 51)"]
    got = read_tracks(_ping_layer(tmp_path / f"p{suffix}", wkts))
    assert got.n_read == 9 and got.n_accepted == 8
    assert got.by_rule == {"geometry_wrong_type": 1}
    assert any("1 line feature(s) in a layer of 8 point(s)" in n for n in got.notes)
    # a layer of routes with a stray point stays a layer of routes
    routes = [f"LINESTRING (1 {50 + i}, 1.5 {50.5 + i})" for i in range(3)] + ["POINT (1 50)"]
    got = read_tracks(_ping_layer(tmp_path / f"r{suffix}", routes))
    assert got.by_rule.get("geometry_wrong_type") == 1 and got.n_accepted >= 6
