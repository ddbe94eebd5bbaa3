"""No traceback for any input: hostile small files either read with every record accounted for,
or fail with one :class:`~pipeline.errors.RouteRiskError` line.

Hypothesis builds CSVs from the pieces real exports are made of (decorated headers, dates in
every spelling, DMS, sentinels, quotes, stray delimiters, CR/LF/CRLF, BOM, a missing final
newline, a trailing delimiter) and from raw bytes, and rasters with arbitrary extents and CRSs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _property import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import RouteRiskError
from pipeline.ingest import (
    CONTEXT_RULES,
    SEIZURE_RULES,
    TRACK_RULES,
    SeizureSource,
    TrackSource,
    open_raster,
    raster_coverage,
    read_context,
    read_seizures,
    read_tracks,
)
from pipeline.schema import REJECT_COLUMNS

pytestmark = IGNORE_PENDING_DEPRECATION
# CI runs a fixed (derandomized) set of examples: the same files every run, so a larger set
# only re-reads more of the same kind; exploring is ``make fuzz`` (ten times these, random).
SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LINE_SETTINGS = settings(SETTINGS, max_examples=examples(80))

HEADERS = [
    "date",
    "time",
    "lat",
    "lon",
    "Latitude (WGS84)",
    "Longitude (WGS84)",
    "y_coord",
    "x_coord",
    "event_time_utc",
    "ts",
    "mmsi",
    "MMSI",
    "vehicle_id",
    "track_no",
    "id",
    "commodity",
    "Hostility",
    "quantity",
    "sog",
    "speed_kmh",
    "# Timestamp",
    "BaseDateTime",
    "position",
    "name",
    "wkt",
    "",
    "a",
    "date",
]
VALUES = [
    "",
    "NA",
    "null",
    "-",
    "0",
    "91",
    "181",
    "-90",
    "180",
    "1e308",
    "nan",
    "inf",
    "-0.0",
    "12,5",
    "13°43'00\"N",
    "5°60'00\"S",
    "121 02 30 E",
    "N 5°30'",
    "2008-12-11 04:42:14+00",
    "2008-12-11T04:42:14.123456789Z",
    "2/1/2018 5:30:00 PM",
    "13/02/2024 00:10:00",
    "1583",
    "1677-09-21",
    "9999-12-31",
    "31/02/2020",
    "12 Jan 2020",
    "next tuesday",
    "1608854400",
    "1608854400000",
    "20201225",
    "14:30 UTC",
    "1430Z",
    "0230 LT",
    "25:61",
    "235000001",
    "002190047",
    "bus-101",
    "PIRATES",
    "Cocai\u0301na",
    '"quoted, with comma"',
    '"multi\nline"',
    '"unbalanced',
    "<script>alert(1)</script>",
    "LINESTRING (0 0, 1 1)",
    "POINT (1 2",
    "\u00a0",
    "x" * 300,
]


# Built once: a strategy made anew for each drawn field costs more than the draw.
_HEADER_CELL = st.sampled_from(HEADERS) | st.text(max_size=8)
_VALUE_CELL = st.sampled_from(VALUES) | st.text(max_size=12)


@st.composite
def hostile_csv(draw) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):  # a plausible header, so that the readers get past recognition
        header = draw(st.permutations(["date", "lat", "lon", "mmsi", "time", "commodity"]))
        header = header[: draw(st.integers(3, 6))]
    else:
        header = [draw(_HEADER_CELL) for _ in range(6)]
        header = header[: draw(st.integers(1, 6))]
    ncol = len(header)
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        width = draw(st.sampled_from([ncol, ncol, ncol, ncol - 1, ncol + 1]))
        rows.append([draw(_VALUE_CELL) for _ in range(max(width, 0))])
    trailing = delim if draw(st.booleans()) else ""
    lines = [delim.join(header) + trailing] + [delim.join(r) + trailing for r in rows]
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    prefix = "\ufeff" if draw(st.booleans()) else ""
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1252"]))
    return (prefix + text).encode(encoding, errors="replace")


def _accounted(res, rules) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)
    assert list(res.rejects.columns) == list(REJECT_COLUMNS)
    if len(res.rejects):
        assert set(res.rejects["rule"]) <= set(rules)
        assert res.rejects["source_file"].notna().all()
        assert res.rejects["row"].notna().all()
        assert (res.rejects["message"].astype(str) != "").all()


def _read(reader, path, rules, **kwargs) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = reader(path, **kwargs)
        except RouteRiskError as exc:
            assert "\n" not in str(exc).strip() or "Traceback" not in str(exc)
            return
    _accounted(res, rules)


@SETTINGS
@given(data=hostile_csv())
def test_seizures_never_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "s.csv"
    path.write_bytes(data)
    _read(read_seizures, path, SEIZURE_RULES, as_of="2024-06-30", aoi_bbox=(170, -80, -170, 80))


@SETTINGS
@given(data=hostile_csv())
def test_tracks_never_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "t.csv"
    path.write_bytes(data)
    _read(read_tracks, path, TRACK_RULES)


@SETTINGS
@given(data=hostile_csv(), kind=st.sampled_from(["ports", "lanes", "land"]))
def test_context_never_traceback(tmp_path_factory, data, kind):
    path = tmp_path_factory.mktemp("fz") / "c.csv"
    path.write_bytes(data)
    _read(read_context, path, CONTEXT_RULES, kind=kind)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".zip", ".gpx", ".geojson"]))
def test_raw_bytes_never_traceback(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fz") / f"b{suffix}"
    path.write_bytes(data)
    _read(read_seizures, path, SEIZURE_RULES)
    _read(read_tracks, path, TRACK_RULES)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x0=st.floats(-1e7, 1e7),
    y0=st.floats(-1e7, 1e7),
    res=st.floats(1e-6, 1e5),
    crs=st.sampled_from([None, "EPSG:4326", "EPSG:3857", "EPSG:32633", "EPSG:3031"]),
    given_crs=st.sampled_from([None, "EPSG:4326", "EPSG:32633"]),
    fill=st.sampled_from(["values", "nodata", "nan"]),
)
def test_rasters_never_traceback(tmp_path_factory, x0, y0, res, crs, given_crs, fill):
    import rasterio
    from rasterio.transform import from_origin

    from pipeline.ingest import RasterSource

    path = tmp_path_factory.mktemp("fz") / "r.tif"
    arr = np.arange(12, dtype="float32").reshape(1, 3, 4)
    if fill == "nodata":
        arr[:] = -9999
    elif fill == "nan":
        arr[:] = np.nan
    kw = {"crs": crs} if crs else {}
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=3,
        count=1,
        dtype="float32",
        nodata=-9999,
        transform=from_origin(x0, y0, res, res),
        **kw,
    ) as ds:
        ds.write(arr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            da = open_raster(RasterSource(path=path, crs=given_crs))
            raster_coverage(da, (100.0, 0.0, 110.0, 10.0))
        except RouteRiskError:
            pass


@pytest.mark.parametrize("text", ["", "\n", "a\n", ",,,\n", '"\n', "\ufeff\n"])
def test_degenerate_csvs(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_text(text)
    _read(read_seizures, path, SEIZURE_RULES)
    _read(read_tracks, path, TRACK_RULES)
    _read(read_context, path, CONTEXT_RULES, kind="ports")


# --------------------------------------------------------------------------- physical lines

_KINDS = ("ok", "ok_comma", "ok_multiline", "ok_doubled", "bad_lat", "ragged", "unclosed")
_HEADERS = {
    "seizures": "date,lat,lon,note",
    "tracks": "mmsi,timestamp,lat,lon,note",
    "ports": "lat,lon,name",
}


def _head(kind: str, i: int) -> str:
    """The fields before lat/lon of record ``i``: unique and valid, so only the lat decides."""
    if kind == "seizures":
        return f"2020-01-{(i % 28) + 1:02d},"
    if kind == "tracks":
        return f"235000001,2020-01-01T{i // 6:02d}:{(i % 6) * 10:02d}:00Z,"
    return ""


_RECORD_KINDS = st.lists(st.sampled_from(_KINDS), min_size=1, max_size=12)
_BLANKS = st.integers(0, 2)
_COIN = st.booleans()
_INNER_LINES = st.lists(st.sampled_from(["more", "", "x y z"]), min_size=1, max_size=3)


@st.composite
def csv_with_lines(draw, kind: str) -> tuple[bytes, dict[int, str], int]:
    """A CSV of ``kind`` and, per record, its first physical line and expected outcome.

    Outcome is ``accepted`` or the rule of its reject; every record's last field starts with
    ``L<line>`` so an accepted record can be matched to the line it came from.
    """
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    kinds = draw(_RECORD_KINDS)
    out: list[str] = [_HEADERS[kind]]
    line = 2
    expected: dict[int, str] = {}
    for i, what in enumerate(kinds):
        for _ in range(draw(_BLANKS) if draw(_COIN) else 0):
            out.append("")  # blank lines between records
            line += 1
        pos = f"{_head(kind, i)}{1 + i / 100:.2f},2.5"
        if what == "ok":
            text, outcome = f"{pos},L{line}", "accepted"
        elif what == "ok_comma":
            text, outcome = f'{pos},"L{line}, with a comma"', "accepted"
        elif what == "ok_doubled":
            text, outcome = f'{pos},"L{line} said ""hi"""', "accepted"
        elif what == "ok_multiline":
            inner = draw(_INNER_LINES)
            text, outcome = f'{pos},"L{line}' + "\n".join(["", *inner]) + '"', "accepted"
        elif what == "bad_lat":
            text, outcome = f"{_head(kind, i)}north,2.5,L{line}", "coord_unparseable"
        elif what == "ragged":
            text, outcome = f"{pos},L{line},extra", "ragged_row"
        else:  # a quote opened and never closed
            text, outcome = f'{pos},"L{line} unclosed', "unbalanced_quote"
        expected[line] = outcome
        out.append(text)
        line += text.count("\n") + 1
    text = eol.join(x.replace("\n", eol) for x in out) + (eol if draw(_COIN) else "")
    bom = "\ufeff" if draw(_COIN) else ""
    return (bom + text).encode("utf-8"), expected, len(kinds)


def _read_kind(kind: str, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # columns named, so that a file of only rejected records is still read
        if kind == "seizures":
            src = SeizureSource(path=path, columns={"time": "date", "lat": "lat", "lon": "lon"})
            return read_seizures(src), SEIZURE_RULES
        if kind == "tracks":
            cols = {"vessel_id": "mmsi", "time": "timestamp", "lat": "lat", "lon": "lon"}
            return read_tracks(TrackSource(path=path, columns=cols)), TRACK_RULES
        return read_context(path, "ports", {"lat": "lat", "lon": "lon"}), CONTEXT_RULES


@pytest.mark.parametrize("kind", ["seizures", "tracks", "ports"])
@LINE_SETTINGS
@given(data=st.data())
def test_every_record_at_its_physical_line(tmp_path_factory, kind, data):
    """Accepted records and reject rows cite the line each record starts on, whatever comes
    before it (multi-line values, blank lines, CR-only ends, a BOM, ragged rows, a quote that
    is never closed), and every record is accounted for: read = accepted + rejected."""
    raw, expected, n_records = data.draw(csv_with_lines(kind))
    path = tmp_path_factory.mktemp("ln") / f"{kind}.csv"
    path.write_bytes(raw)
    res, rules = _read_kind(kind, path)
    _accounted(res, rules)
    assert res.n_read == n_records
    got = {int(r): rule for r, rule in zip(res.rejects["row"], res.rejects["rule"], strict=True)}
    assert got == {k: v for k, v in expected.items() if v != "accepted"}
    if "source_row" in res.frame:  # seizures and context layers keep the line of each record
        text = res.frame["note" if kind == "seizures" else "name"]
        assert {int(r) for r in res.frame["source_row"]} == {
            k for k, v in expected.items() if v == "accepted"
        }
        for r, note in zip(res.frame["source_row"], text, strict=True):
            assert note.startswith(f"L{r}")
    if "unbalanced_quote" in expected.values():
        assert any("unbalanced_quote" in n for n in res.notes)


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).flatmap(
        lambda x: st.integers(0, 20).map(lambda d: f"{x:.{d}f}")
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.from_regex(r"\A[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][+-]?\d{1,3})?\Z"),
    st.sampled_from(["", " 1", "1 ", "inf", "nan", "1,5", "0x10", "1e", ".", "-"]),
    st.text(max_size=6),
)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.none(), _NUMBER_TEXT), max_size=30))
def test_fast_number_parsing_equals_pandas(values):
    """The Arrow path for plain numbers gives what ``pd.to_numeric(errors="coerce")`` gives."""
    import pandas as pd

    from pipeline.ingest._common import decimal_texts_to_floats

    arr = np.array(values, dtype=object)
    got = decimal_texts_to_floats(arr)
    want = pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce").to_numpy("float64")
    np.testing.assert_array_equal(got, want)
