"""Gaps found by a hand mutation analysis of the JSON, columnar and vector readers (hFO).

Each test kills a mutant of ``_json.py`` (JSON Lines, arrays and API answers as text rows),
``_columnar.py`` (Parquet and Arrow IPC) or ``_vector.py`` (what a file is; GDAL layers)
that the suite let live.  Every expected value is independent of the code under test: the
file's own line numbers, ``json``/``pyarrow`` reading the same bytes, or hand values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_seizures
from pipeline.ingest._columnar import (
    check_expansion,
    exact_columns,
    exact_frame,
    iter_batches,
    read_bounded,
)
from pipeline.ingest._json import (
    geometries_as_written,
    looks_like_json_records,
    read_json_records,
)
from pipeline.ingest._vector import open_source, read_vector, spatial_layer


def _lines_of(data: bytes, needle: bytes) -> list[int]:
    """The physical lines (1-based, LF-separated as the file is) holding ``needle``."""
    return [i for i, line in enumerate(data.split(b"\n"), start=1) if needle in line]


def _json(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return read_json_records(path)


# ---------------------------------------------------------------------- JSON records


def test_an_array_after_crlf_blank_lines_keeps_each_records_line(tmp_path):
    # a Windows export with blank CRLF lines before the array: '\r' is JSON whitespace too
    data = b'\r\n\r\n[\r\n{"mmsi": 257000001},\r\n{"mmsi": 257000002}\r\n]\r\n'
    table = _json(tmp_path, "a.json", data)
    assert table.frame["mmsi"].tolist() == ["257000001", "257000002"]
    assert table.lines.tolist() == _lines_of(data, b'"mmsi"')
    assert table.notes[-1].startswith("a.json: read as an array of objects")


def test_one_object_after_blank_lines_is_at_the_line_it_starts(tmp_path):
    # one record pretty-printed over lines after blank CRLF lines: line 3, not line 1
    data = b'\r\n\r\n{"mmsi": 257000001,\r\n "name": "ODIN"}\r\n'
    table = _json(tmp_path, "one.json", data)
    assert table.frame["name"].tolist() == ["ODIN"]
    assert table.lines.tolist() == _lines_of(data, b'"mmsi"') == [3]
    assert table.n_bad == 0


def test_a_json_array_after_a_bom_is_records_not_geojson():
    # Notepad's UTF-8 saves a BOM: the array of records must still be seen as records
    head = b'\xef\xbb\xbf[{"mmsi": 257000001, "lat": 60.1, "lon": 5.2}]'
    assert json.loads(head.decode("utf-8-sig"))[0]["mmsi"] == 257000001
    assert looks_like_json_records(head) is True


@pytest.mark.parametrize(
    "line",
    [
        {"type": "Feature", "properties": {"n": 1}, "geometry": None},
        {"type": "FeatureCollection", "features": []},
        # an ArcGIS REST answer written on one line, asked without geometries' type
        {"features": [{"attributes": {"n": 1}}], "spatialReference": {"wkid": 4326}},
        {"features": [{"attributes": {"n": 1}}], "fields": [{"name": "n"}]},
    ],
    ids=["feature", "collection", "esri-spatialreference", "esri-fields"],
)
def test_a_one_line_geojson_or_esri_object_is_no_records(line):
    assert looks_like_json_records(json.dumps(line).encode() + b"\n") is False


def test_a_ndjson_line_holding_an_array_is_one_record(tmp_path):
    # .ndjson says one record per line: a line's array stays that record's value (as .jsonl)
    data = b'{"data": [{"a": 1}, {"a": 2}]}\n'
    for name in ("x.ndjson", "x.jsonl"):
        table = _json(tmp_path, name, data)
        assert table.frame.columns.tolist() == ["data"], name
        assert table.lines.tolist() == [1]


def test_objects_nested_three_deep_are_dotted_columns(tmp_path):
    record = {"mmsi": 257000001, "pos": {"geo": {"lat": 60.25, "lon": 5.5}}, "ok": True}
    data = (json.dumps(record) + "\n").encode()
    table = _json(tmp_path, "n.jsonl", data)
    assert sorted(table.frame.columns) == ["mmsi", "ok", "pos.geo.lat", "pos.geo.lon"]
    assert table.frame["pos.geo.lat"].tolist() == ["60.25"]


def test_a_json_number_beside_a_null_is_still_a_typed_number(tmp_path):
    # lat written as text with a decimal comma: the strings say ',' is the decimal mark; the
    # quantities are JSON numbers, 1.234 kg whatever the strings say, even where one is null
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"date":"2023-03-04","lat":"53,55","lon":10,"commodity":"cocaine","quantity_kg":1.234}\n'
        '{"date":"2023-05-06","lat":"53,55","lon":9,"commodity":"cocaine","quantity_kg":12.345}\n'
        '{"date":"2023-06-07","lat":"53,55","lon":8,"commodity":"cocaine","quantity_kg":null}\n',
        encoding="utf-8",
    )
    table = read_json_records(path)
    assert table.typed_numbers["quantity_kg"].tolist() == [True, True, False]
    got = read_seizures(path).frame["quantity"].tolist()
    assert got[:2] == [1.234, 12.345]
    assert math.isnan(got[2])


def test_json_lines_without_a_final_newline_keep_their_order_and_lines(tmp_path):
    for data in (
        b'{"mmsi": 257000001}\n{"mmsi": 257000002}\n{"mmsi": 257000003}',
        b'{"mmsi": 257000001}\n\n{"mmsi": 257000002}\n{"mmsi": 257000003}',
    ):
        table = _json(tmp_path, "t.jsonl", data)
        want = [json.loads(x)["mmsi"] for x in data.split(b"\n") if x.strip()]
        assert table.frame["mmsi"].tolist() == [str(m) for m in want]
        assert table.lines.tolist() == _lines_of(data, b'"mmsi"')


def test_a_line_that_closes_and_opens_brackets_is_one_reject(tmp_path):
    # '{"a": 2}],[{"a": 3}' joined into the one decode of the fast path makes two values of
    # one line: it is one line that is not JSON, never two records at one line
    data = b'{"a": 1}\n{"a": 2}],[{"a": 3}\n{"a": 4}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.frame["a"].tolist() == ["1", "4"]
    assert table.lines.tolist() == [1, 3]
    assert table.bad_rows[["row", "rule"]].values.tolist() == [[2, "malformed_json"]]
    assert len(table.frame) + table.n_bad == sum(1 for x in data.split(b"\n") if x.strip())


def test_a_line_of_spaces_is_blank_beside_a_bad_line(tmp_path):
    # a bad line sends the file to the line-by-line read: a line of spaces is still blank
    data = b'{"a": 1}\n   \t\n{"a": 2\n{"a": 3}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.lines.tolist() == [1, 4]
    assert table.bad_rows[["row", "rule"]].values.tolist() == [[3, "malformed_json"]]


def test_two_arrays_appended_into_one_file_are_refused(tmp_path):
    # two saved API answers concatenated: reading the first array would lose the second
    data = b'[{"a": 1}, {"a": 2}]\n[{"a": 3}]\n'
    with pytest.raises(SourceUnreadable, match="at line 2 column 1: text after the array"):
        _json(tmp_path, "t.json", data)


@pytest.mark.parametrize(
    "data",
    [b'[{"a": 1},\n 5]\n', b'[{"a": 1};\n {"a": 2}]\n', b'[{"a": 1},\n "x"]\n'],
    ids=["number", "semicolon", "text"],
)
def test_an_array_with_an_element_that_is_no_object_is_refused_at_its_line(tmp_path, data):
    with pytest.raises(SourceUnreadable, match="not a valid JSON array of objects at line"):
        _json(tmp_path, "t.json", data)


def test_an_answer_object_with_two_arrays_of_records_is_refused(tmp_path):
    data = b'{"ships": [{"a": 1}],\n "ports": [{"b": 2}, {"b": 3}]}\n'
    with pytest.raises(SourceUnreadable, match="holds 2 arrays of records"):
        _json(tmp_path, "t.json", data)


def test_array_records_after_non_ascii_text_keep_their_lines(tmp_path):
    # the line of a record is counted in characters: 'Ålesund' is more bytes than characters
    data = '[{"port": "Ålesund ØÆ"},\n{"port": "Tromsø"},\n\n{"port": "Bodø"}]\n'.encode()
    table = _json(tmp_path, "t.json", data)
    assert table.frame["port"].tolist() == ["Ålesund ØÆ", "Tromsø", "Bodø"]
    assert table.lines.tolist() == _lines_of(data, b'"port"') == [1, 2, 4]


# ---------------------------------------------------------------------- Arrow IPC bounds


def _dictionary_ipc(path: Path, stream: bool) -> tuple[int, int, int]:
    """Write a ZSTD IPC file (or stream) of a large dictionary column over two batches.

    Returns (the dictionary's bytes, one batch's own bytes, the number of batches) as pyarrow
    counts them in memory, independent of the IPC metadata the bound reads.
    """
    rng = np.random.default_rng(7)
    n = 60000
    words = pa.array([f"{x:016x}" for x in rng.integers(0, 2**63, n)])
    ship = pa.DictionaryArray.from_arrays(pa.array(rng.permutation(n).astype("int32")), words)
    table = pa.table({"ship": ship, "speed": pa.array(rng.random(n))})  # floats: incompressible
    batches = table.to_batches(max_chunksize=n // 2)
    options = ipc.IpcWriteOptions(compression="zstd")
    new = ipc.new_stream if stream else ipc.new_file
    with new(str(path), table.schema, options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)
    own = [b.nbytes - words.nbytes for b in batches]
    assert len(set(own)) == 1
    return words.nbytes, own[0], len(batches)


@pytest.mark.parametrize("stream", [False, True], ids=["file", "stream"])
def test_an_ipc_bound_counts_its_dictionaries_and_each_batch(tmp_path, stream):
    # a dictionary is held with every batch: a streamed read holds it and its largest batch,
    # a whole read it and all batches; uncompressed buffers (incompressible floats) count too
    path = tmp_path / ("d.arrows" if stream else "d.arrow")
    dictionary, batch, n = _dictionary_ipc(path, stream)
    streamed = (dictionary + batch) / 2**20
    whole = (dictionary + n * batch) / 2**20
    with pytest.raises(SourceUnreadable, match="in one record batch"):
        check_expansion(path, 0.95 * streamed, "d", whole=False)
    check_expansion(path, 1.05 * streamed, "d", whole=False)
    with pytest.raises(SourceUnreadable, match="above ingest.max_uncompressed_mb"):
        check_expansion(path, 0.95 * whole, "d", whole=True)
    check_expansion(path, 1.05 * whole, "d", whole=True)


def test_an_array_value_keeps_its_json_text_numbers_as_numbers(tmp_path):
    # the array is kept as its JSON text: its numbers were written back as quoted text
    # ('["1", "2.50", "x"]'), indistinguishable from an array of strings
    line = '{"mmsi": 1, "tags": [1, 2.50, "x", null, true], "deep": [{"å": 2}]}'
    table = _json(tmp_path, "t.jsonl", (line + "\n").encode())
    tags = table.frame["tags"].iloc[0]
    assert json.loads(tags) == json.loads(line)["tags"] == [1, 2.5, "x", None, True]
    assert tags == '[1, 2.50, "x", null, true]'  # the numbers' text as written
    assert json.loads(table.frame["deep"].iloc[0]) == [{"å": 2}]


def test_an_uncompressed_ipc_file_read_whole_is_bounded_by_all_its_batches(tmp_path):
    # no compressed buffer declares a size: the whole read counts the batches as they come,
    # all of them, never only the last one
    path = tmp_path / "u.arrow"
    table = pa.table({"v": pa.array(np.arange(3 * 65536, dtype="int64"))})
    with ipc.new_file(str(path), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65536):
            writer.write_batch(batch)
    assert ipc.open_file(str(path)).num_record_batches == 3
    total = table.nbytes / 2**20  # 1.5 MiB, each batch 0.5 MiB
    with pytest.raises(SourceUnreadable, match="expands to more than"):
        read_bounded(path, 0.9 * total, "u.arrow")
    got = read_bounded(path, 1.1 * total, "u.arrow")
    assert got.equals(pa.ipc.open_file(str(path)).read_all())


def test_a_row_group_of_exactly_the_bound_is_read(tmp_path):
    # 131072 int64 values: 8 bytes each is 2**20 bytes, exactly 1 MiB (the bound is 'above')
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"v": pa.array([7] * 131072, pa.int64())}), path)
    assert sum(b.num_rows for b in iter_batches(path, 50000, 1.0, "c.parquet")) == 131072
    with pytest.raises(SourceUnreadable, match="row group 0 expands to 1 MiB"):
        list(iter_batches(path, 50000, 0.999, "c.parquet"))


# ---------------------------------------------------------------------- what a file is


def _open(path: Path, **kw):
    kw.setdefault("allowed", ("csv", "json", "geojson", "gpkg", "shapefile", "parquet"))
    kw.setdefault("max_uncompressed_mb", 100.0)
    return open_source(path, "auto", **kw)


def test_a_geojson_named_file_is_geojson_whatever_it_holds(tmp_path):
    # only a '.json' is sniffed for records: a '.geojson' says what it is (GDAL then refuses
    # an array of records in it), never read as records without a word
    data = b'[{"mmsi": 257000001, "lat": 60.1, "lon": 5.2}]'
    (tmp_path / "a.geojson").write_bytes(data)
    (tmp_path / "a.json").write_bytes(data)
    assert _open(tmp_path / "a.geojson").fmt == "geojson"
    assert _open(tmp_path / "a.json").fmt == "json"


def test_the_whole_size_bound_is_for_whole_reads_only(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"mmsi,lat,lon\n" + b"257000001,60.1,5.2\n" * 120_000)  # 2.2 MiB
    size_mb = path.stat().st_size / 2**20
    assert _open(path, max_uncompressed_mb=0.5 * size_mb).fmt == "csv"  # streamed: not bound
    with pytest.raises(SourceUnreadable, match="a seizure table is read whole"):
        _open(path, max_uncompressed_mb=0.5 * size_mb, read_whole="a seizure table")
    assert _open(path, max_uncompressed_mb=2 * size_mb, read_whole="a seizure table").fmt == "csv"


def test_a_shapefile_read_whole_counts_its_dbf(tmp_path):
    # the attributes are in the .dbf, often far larger than the points of the .shp
    import geopandas as gpd
    import shapely

    n = 2000
    frame = gpd.GeoDataFrame(
        {"note": ["x" * 250] * n},
        geometry=shapely.points(np.full(n, 5.0), np.full(n, 60.0)),
        crs="EPSG:4326",
    )
    path = tmp_path / "s.shp"
    frame.to_file(path, driver="ESRI Shapefile")
    shp, dbf = path.stat().st_size / 2**20, path.with_suffix(".dbf").stat().st_size / 2**20
    assert dbf > 4 * shp
    limit = shp + 0.5 * dbf
    with pytest.raises(SourceUnreadable, match="is read whole"):
        _open(path, max_uncompressed_mb=limit, read_whole="a seizure table")
    _open(path, max_uncompressed_mb=shp + 1.5 * dbf, read_whole="a seizure table")


def test_a_zipped_shapefile_named_by_format_is_opened_as_its_archive(tmp_path):
    # 'format: shapefile' on a .zip: the member is found (and its declared size bounded)
    import zipfile

    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(5, 60)], crs="EPSG:4326")
    frame.to_file(tmp_path / "p.shp", driver="ESRI Shapefile")
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("p.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    opened = open_source(archive, "shapefile", allowed=("shapefile",), max_uncompressed_mb=10.0)
    assert opened.fmt == "shapefile"
    assert opened.assumptions["archive_member"]["member"] == "p.shp"
    assert opened.target.startswith("/vsizip/")


def test_a_geojson_sequence_inside_a_zip_is_no_data_member(tmp_path):
    # a sequence's records are counted from its file (GDAL skips a broken one unsaid)
    import zipfile

    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("s.geojsonseq", '{"type": "Feature", "properties": {}, "geometry": null}\n')
    with pytest.raises(SourceUnreadable, match="no data file"):
        _open(archive)


def test_a_compressed_file_of_a_format_not_allowed_here_is_refused(tmp_path):
    import gzip

    path = tmp_path / "t.gpx.gz"
    path.write_bytes(gzip.compress(b'<?xml version="1.0"?><gpx version="1.1"></gpx>'))
    with pytest.raises(SourceUnreadable, match=r"gzip-compressed \.gpx \(gpx\) is not read"):
        _open(path, allowed=("csv", "json"))


def test_compressed_geojson_is_refused_not_read_as_records(tmp_path):
    import gzip

    collection = {"type": "FeatureCollection", "features": []}
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(json.dumps(collection, indent=1).encode()))
    with pytest.raises(SourceUnreadable, match="compressed GeoJSON is not read"):
        _open(path)


# ---------------------------------------------------------------------- 64-bit integers


def test_exact_frame_keeps_negative_ids_beyond_2_53_and_other_columns_as_they_are():
    big = -(2**53)
    table = pa.table(
        {
            "neg": pa.array([big - 1, 7, None], pa.int64()),  # a null: pandas would round
            "whole": pa.array([2**53 + 1, 2**53 + 3, 5], pa.int64()),  # no null: int64 exact
            "none": pa.array([None, None, None], pa.int64()),
        }
    )
    frame = exact_frame(table)
    assert frame["neg"].tolist()[:2] == [str(big - 1), "7"]
    assert frame["neg"].isna().tolist() == [False, False, True]
    assert str(frame["whole"].dtype) == "int64"
    assert frame["whole"].tolist() == [2**53 + 1, 2**53 + 3, 5]
    assert frame["none"].isna().all()


def test_exact_columns_puts_back_negative_ids_beyond_2_53():
    big = -(2**53)
    exact = pa.table({"id": pa.array([big - 1, None, big - 3], pa.int64())})
    rounded = exact.to_pandas()  # float64: what a library's read gave
    assert rounded["id"].dtype == "float64"
    fixed = exact_columns(rounded, lambda cols: exact.select(cols), "x")
    assert fixed["id"].tolist()[0] == str(big - 1) and fixed["id"].tolist()[2] == str(big - 3)


# ---------------------------------------------------------------------- vector layers


def _feature(n: int, x: float = 5.0, y: float = 60.0) -> dict:
    geometry = {"type": "Point", "coordinates": [x, y]}
    return {"type": "Feature", "properties": {"n": n}, "geometry": geometry}


def test_a_geojson_sequence_of_record_separators_only_is_read_whole(tmp_path):
    # RFC 8142 records begin with RS; a writer that puts no newline after them is read too
    path = tmp_path / "rs.geojsonseq"
    path.write_bytes(b"".join(b"\x1e" + json.dumps(_feature(i)).encode() for i in range(3)))
    raw, geoms, _ = read_vector(str(path), path.name, "geojson")
    assert raw["n"].tolist() == [0, 1, 2]
    assert len(geoms) == 3


@pytest.mark.parametrize(
    "points",
    [
        [(5000.0, 20000.0), (5100.0, 20100.0), (5200.0, 20200.0)],  # a local grid in metres
        [(5000.0, 20000.0), (5100.0, 20100.0), (5.0, 60.0)],  # two of three beyond degrees
    ],
    ids=["all-metres", "most-metres"],
)
def test_metres_under_a_degree_crs_are_refused_naming_the_crs(tmp_path, points):
    path = tmp_path / "m.geojson"
    features = [_feature(i, x, y) for i, (x, y) in enumerate(points)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    beyond = sum(abs(x) > 1000 or abs(y) > 1000 for x, y in points)
    with pytest.raises(InputError, match=f"{beyond} of {len(points)} features lie beyond"):
        read_vector(str(path), path.name, "geojson")


def _gpkg_with_table(path: Path, table: str) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    area = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.box(5, 60, 6, 61)], crs="EPSG:4326")
    area.to_file(path, layer="area", driver="GPKG")
    rows = pd.DataFrame({"lat": [60.5], "lon": [5.5], "note": ["x"]})
    pyogrio.write_dataframe(rows, path, layer=table, driver="GPKG")
    assert sorted(str(k) for _, k in pyogrio.list_layers(path)) == ["None", "Polygon"]


def test_a_style_table_beside_one_layer_is_passed_over(tmp_path):
    path = tmp_path / "styled.gpkg"
    _gpkg_with_table(path, "layer_styles")
    for records in (False, True):
        layer, note = spatial_layer(str(path), "gpkg", path.name, None, records=records)
        assert layer == "area"
        assert note is not None and "['layer_styles']" in note


def test_a_records_table_beside_one_layer_is_not_passed_over_for_records(tmp_path):
    # an incidents table of lat/lon beside the study area may be the data itself
    path = tmp_path / "mixed.gpkg"
    _gpkg_with_table(path, "incidents")
    assert spatial_layer(str(path), "gpkg", path.name, None, records=True) == (None, None)
    layer, _ = spatial_layer(str(path), "gpkg", path.name, None, records=False)
    assert layer == "area"  # an area is read from its one layer of geometries


def test_kml_times_with_an_offset_are_their_utc_moments(tmp_path):
    # 03:00 at +02:00 is 01:00 UTC: written back with its zone dropped it was 03:00 UTC
    marks = "".join(
        f"<Placemark><name>{n}</name><TimeStamp><when>2021-03-0{n}T03:00:00+02:00</when>"
        f"</TimeStamp><Point><coordinates>-7.{n},4.5</coordinates></Point></Placemark>"
        for n in (1, 2)
    )
    path = tmp_path / "s.kml"
    path.write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"{marks}</Document></kml>"
    )
    res = read_seizures(path, as_of="2024-01-01")
    got = sorted(res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist())
    assert got == ["2021-03-01 01:00", "2021-03-02 01:00"]


def test_an_empty_layer_keeps_its_geometry_column_and_crs(tmp_path):
    import geopandas as gpd
    import shapely

    path = tmp_path / "e.gpkg"
    one = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(5e5, 6.65e6)], crs="EPSG:32633")
    one.iloc[:0].to_file(path, layer="e", driver="GPKG")
    raw, geoms, crs = read_vector(str(path), path.name, "gpkg")
    assert len(raw) == 0 and geoms is not None and len(geoms) == 0
    assert crs is not None and crs.to_epsg() == 32633


def test_a_file_of_one_layer_needs_no_choice_and_no_note(tmp_path):
    import geopandas as gpd
    import shapely

    path = tmp_path / "one.gpkg"
    one = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(5, 60)], crs="EPSG:4326")
    one.to_file(path, layer="only", driver="GPKG")
    assert spatial_layer(str(path), "gpkg", path.name, None) == (None, None)


def test_a_parquet_date_column_is_stated_as_dates_not_moments(tmp_path):
    # date32 is a calendar date: read as datetime64 it was stated as date-times at midnight
    import datetime as dt

    table = pa.table(
        {
            "date": pa.array([dt.date(2023, 3, 4), dt.date(2023, 5, 6)], pa.date32()),
            "lat": [10.0, 11.0],
            "lon": [20.0, 21.0],
            "commodity": ["a", "b"],
        }
    )
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    res = read_seizures(path, as_of="2024-01-01")
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-04", "2023-05-06"]
    assert res.assumptions["dates"]["formats"] == {"year-month-day": 2}


def test_geometries_as_written_tell_numbers_from_text():
    # what a reject shows and why: numbers as written are no text (only "12.5" in quotes is)
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.50, 2]}},
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["1.5", 2]}},
                {"type": "Feature", "geometry": None},
            ],
        }
    ).encode()
    assert geometries_as_written(data) == [("[1.5, 2]", False), ('["1.5", 2]', True), ("", False)]


def test_a_parquet_file_inside_a_zip_is_refused_saying_so(tmp_path):
    import zipfile

    inner = tmp_path / "p.parquet"
    pq.write_table(pa.table({"lat": [60.0], "lon": [5.0]}), inner)
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(inner, "p.parquet")
    opened = _open(archive)
    assert opened.fmt == "parquet" and opened.target.startswith("/vsizip/")
    with pytest.raises(SourceUnreadable, match="inside a zip is not supported"):
        read_vector(opened.target, archive.name, opened.fmt)


@pytest.mark.parametrize("dropped", [".dbf", ".shx"])
def test_a_zipped_shapefile_without_its_dbf_or_shx_is_refused(tmp_path, dropped):
    # without its .dbf GDAL reads the shapes alone: every attribute (dates, ids) lost unsaid
    import zipfile

    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(5, 60)], crs="EPSG:4326")
    frame.to_file(tmp_path / "p.shp", driver="ESRI Shapefile")
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("p.*"):
            if part.suffix not in (".zip", dropped):
                zf.write(part, part.name)
    with pytest.raises(SourceUnreadable, match=rf"lacks \['\{dropped}'\]"):
        _open(archive)
