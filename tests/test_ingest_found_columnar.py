"""Columnar exports (Parquet from Spark, DuckDB, BigQuery, pandas; Arrow IPC; ORC; Avro).

Found by probing the readers with the shapes these tools write: a Parquet file streamed in
chunks stated its time zone from its first chunk only, epoch microseconds were stated as
dates without a time (and took a clock column's time of day on top of their own), Arrow IPC,
ORC and Avro files got advice to set a format that cannot read them, and a Spark or Hive
dataset folder was refused without saying what it is.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.engine import LocalEngine
from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.stream import spill_tracks, spill_tracks_partitioned

T0 = pd.Timestamp("2024-01-01T00:00:00Z")


def _pings(times: pa.Array) -> pa.Table:
    """An AIS table of one ship sailing east, one ping an hour, with ``times`` as written."""
    n = len(times)
    return pa.table(
        {
            "mmsi": pa.array(["257000001"] * n),
            "timestamp": times,
            "lat": pa.array([60.0] * n),
            "lon": pa.array([5.0 + 0.05 * i for i in range(n)]),
        }
    )


def _mixed_zones(n: int = 6) -> pa.Array:
    """Text times: the first half with ``Z``, the rest without a zone (taken as UTC)."""
    out = []
    for i in range(n):
        t = T0 + pd.Timedelta(hours=i)
        out.append(t.strftime("%Y-%m-%dT%H:%M:%SZ" if i < n // 2 else "%Y-%m-%d %H:%M:%S"))
    return pa.array(out)


@pytest.mark.parametrize("chunk_rows", [1, 2, 4])
def test_streamed_parquet_states_the_zone_of_every_chunk(tmp_path, chunk_rows):
    # Spark's export of a table whose later rows lost their 'Z': read in chunks, the time
    # zone statement came from the first chunk ("3 value(s) name their zone") and never
    # said the 3 later values were taken as UTC
    path = tmp_path / "ais.parquet"
    pq.write_table(_pings(_mixed_zones()), path, row_group_size=2)
    whole = read_tracks(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(str(path), tmp_path / "s", chunk_rows=chunk_rows, n_buckets=2)
        (part,) = spill_tracks_partitioned(
            [str(path)], [tmp_path / "p"], LocalEngine(), chunk_rows=chunk_rows, n_buckets=2
        )
    want = whole.assumptions["time_zone"]
    assert "3 value(s) without zone taken as UTC" in want
    assert spill.assumptions["time_zone"] == want
    assert part.assumptions["time_zone"] == want


def test_streamed_parquet_counts_every_value_of_one_zone(tmp_path):
    times = pa.array([T0 + pd.Timedelta(hours=i) for i in range(5)], pa.timestamp("us"))
    path = tmp_path / "ais.parquet"
    pq.write_table(_pings(times), path)
    spill = spill_tracks(str(path), tmp_path / "s", chunk_rows=2, n_buckets=2)
    assert spill.n_read == 5
    assert spill.assumptions["time_zone"] == read_tracks(str(path)).assumptions["time_zone"]


@pytest.mark.parametrize("scale", [10**6, 10**9])
def test_epoch_micro_and_nanoseconds_are_utc_times_not_dates(tmp_path, scale):
    # int64 epoch microseconds (a BigQuery UNIX_MICROS column, polars' default) were
    # stated "dates without a time (00:00 UTC)"
    times = pa.array(
        [int((T0 + pd.Timedelta(hours=i)).timestamp()) * scale for i in range(4)], pa.int64()
    )
    path = tmp_path / "ais.parquet"
    pq.write_table(_pings(times), path)
    res = read_tracks(str(path))
    assert res.assumptions["time_zone"] == (
        "4 value(s) name their zone or offset, or are epoch time (UTC)"
    )
    assert list(res.frame["time"]) == [T0 + pd.Timedelta(hours=i) for i in range(4)]


def test_epoch_microseconds_do_not_take_a_clock_columns_time_again(tmp_path):
    # epoch microseconds at 06:00 beside a 'time' column of 06:00:00 read 12:00: taken for
    # dates without a time, they were given the clock column's time of day on top
    at = pd.Timestamp("2024-01-01T06:00:00Z")
    path = tmp_path / "seizures.parquet"
    pq.write_table(
        pa.table(
            {
                "date": pa.array([int(at.timestamp()) * 10**6] * 2, pa.int64()),
                "time": pa.array(["06:00:00"] * 2),
                "lat": pa.array([10.0, 11.0]),
                "lon": pa.array([100.0, 101.0]),
            }
        ),
        path,
    )
    res = read_seizures(str(path))
    assert list(res.frame["time"]) == [at, at]


@pytest.mark.parametrize(
    ("suffix", "word"),
    [(".orc", "ORC"), (".avro", "Avro")],  # Arrow IPC (.feather, .arrow) is read: see
    # tests/test_loose_ends_ingest.py
)
@pytest.mark.parametrize("reader", [read_tracks, read_seizures])
def test_arrow_orc_avro_files_are_refused_with_advice_that_works(tmp_path, suffix, word, reader):
    # the refusal said "or set format in the config": no format setting reads these
    path = tmp_path / f"ais{suffix}"
    if suffix == ".orc":
        import pyarrow.orc as orc

        orc.write_table(_pings(_mixed_zones()), str(path))
    else:
        path.write_bytes(b"Obj\x01" + b"\x00" * 60)  # an Avro container's magic
    with pytest.raises(SourceUnreadable) as err:
        reader(str(path))
    msg = str(err.value)
    assert word in msg and "Parquet" in msg
    assert "set format" not in msg


def test_a_hive_partitioned_folder_is_named_as_a_dataset_of_parts(tmp_path):
    # Spark's df.write.partitionBy("date").parquet(...) gives a folder; 'date' is then only
    # in the folder names
    folder = tmp_path / "ais"
    for day in ("2024-01-01", "2024-01-02"):
        part = folder / f"date={day}"
        part.mkdir(parents=True)
        pq.write_table(_pings(_mixed_zones()), part / "part-00000.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    with pytest.raises(SourceUnreadable) as err:
        read_tracks(str(folder))
    msg = str(err.value)
    assert "2 part file(s) .parquet" in msg and "list each part file" in msg
    assert "['date']" in msg


def test_an_empty_folder_is_still_just_a_folder(tmp_path):
    (tmp_path / "ais").mkdir()
    with pytest.raises(SourceUnreadable, match=r"is a folder, expected a file$"):
        read_tracks(str(tmp_path / "ais"))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_file_of_no_rows_is_no_pings_not_a_missing_vessel_column(tmp_path, suffix):
    # an empty day of a nightly Spark/DuckDB export (a schema, no rows) was refused: "no
    # vessel id column ... 'mmsi' (every value missing) ... set columns: {vessel_id: ...}"
    path = tmp_path / f"ais{suffix}"
    empty = _pings(_mixed_zones()).slice(0, 0)
    if suffix == ".parquet":
        pq.write_table(empty, path)
    else:
        path.write_text(",".join(empty.column_names) + "\n")
    whole = read_tracks(str(path))
    spill = spill_tracks(str(path), tmp_path / "s", chunk_rows=2, n_buckets=2)
    for res in (whole, spill):
        assert res.n_read == 0 and f"ais{suffix}: no pings" in res.notes
    assert len(whole.frame) == 0 and spill.n_accepted == 0
    assert whole.assumptions["columns"]["vessel_id"]["column"] == "mmsi"


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_streamed_counted_note_adds_every_chunks_count(tmp_path, partitioned):
    # Notes were de-duplicated by their text: "2 date(s) outside ... rejected" from each of
    # two chunks read as one note of 2 beside a by_rule of 4; the whole read says 4.
    late = pd.Timestamp("2500-01-01", tz="UTC")
    good = [T0 + pd.Timedelta(hours=i) for i in range(3)]
    times = pa.array([late, late, *good, late, late], pa.timestamp("us", "UTC"))
    path = tmp_path / "ais.parquet"
    pq.write_table(_pings(times), path)
    if partitioned:
        spill = spill_tracks_partitioned(
            [str(path)], [tmp_path / "p"], LocalEngine(), chunk_rows=2, n_buckets=2
        )[0]
    else:
        spill = spill_tracks(str(path), tmp_path / "s", chunk_rows=2, n_buckets=2)
    whole = read_tracks(str(path))
    assert spill.by_rule == whole.by_rule == {"time_out_of_range": 4}
    counted = [n for n in spill.notes if "outside" in n]
    assert counted == [n for n in whole.notes if "outside" in n]
    assert ": 4 date(s) outside" in counted[0]


def _geoparquet_without_crs_key(path, x, y) -> None:
    """A GeoParquet of pings whose 'geo' metadata has no 'crs' key (so: OGC:CRS84)."""
    import json

    import geopandas as gpd
    import numpy as np
    import shapely

    n = len(x)
    frame = gpd.GeoDataFrame(
        {"mmsi": ["257000001"] * n, "timestamp": [T0 + pd.Timedelta(hours=i) for i in range(n)]},
        geometry=shapely.points(np.asarray(x), np.asarray(y)),
        crs="EPSG:25832",
    )
    frame.to_parquet(path)
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    geo = json.loads(meta[b"geo"])
    del geo["columns"]["geometry"]["crs"]
    meta[b"geo"] = json.dumps(geo).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_layer_declaring_degrees_over_metres_is_refused_naming_its_crs(tmp_path, streamed):
    # A GeoParquet of UTM metres written without its 'crs' key is OGC:CRS84 by the spec:
    # every ping was rejected as lat_out_of_range and the file's real fault went unsaid.
    from pipeline.errors import InputError

    path = tmp_path / "ais.parquet"
    _geoparquet_without_crs_key(path, [500000.0 + 100 * i for i in range(5)], [6650000.0] * 5)
    with pytest.raises(InputError, match="declares 'OGC:CRS84'.*5 of 5 features.*no 'crs' key"):
        if streamed:
            spill_tracks(str(path), tmp_path / "s", chunk_rows=2, n_buckets=2)
        else:
            read_tracks(str(path))


def test_a_few_stray_points_under_degrees_are_rejected_not_the_file(tmp_path):
    # the guard: one point in metres among degrees is that record's error, not the CRS's
    path = tmp_path / "ais.parquet"
    _geoparquet_without_crs_key(path, [5.0, 5.1, 5.2, 500000.0], [60.0, 60.0, 60.0, 6650000.0])
    res = read_tracks(str(path))
    assert res.by_rule == {"lat_out_of_range": 1} and len(res.frame) == 3
