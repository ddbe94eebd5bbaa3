"""Mutation check of GPX reading, the ingest options and the risk classes.

Each test here kills a hand-made mutant of :mod:`pipeline.ingest._gpx`,
:mod:`pipeline.ingest.options` or :mod:`pipeline.classes` that the earlier tests let live.
GPX files are written in the shapes real tools export them (Garmin's TrackPointExtension,
gpsbabel's GPX 1.0, a pretty-printed ``<name>``; BOM, CRLF, UTF-16) and checked against
ElementTree reading the same bytes and the document's own line numbers.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pydantic
import pytest
import yaml
from _corpus import GPX_NS, gpx_points_by_etree

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest._gpx import read_gpx_points

# --- GPX ------------------------------------------------------------------------------------

#: Garmin (Oregon/eTrex) export: one track, a <trkseg> per reception break, extensions
#: holding the heart rate and temperature, times with fractions and offsets.
_GARMIN = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<gpx xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" creator="Oregon 400t" version="1.1">
  <metadata><link href="http://www.garmin.com"><text>Garmin International</text></link><time>2009-10-17T22:58:43Z</time></metadata>
  <wpt lat="47.6" lon="-122.3"><ele>3</ele><time>2009-10-17T18:00:00Z</time><name>MOB</name></wpt>
  <trk>
    <name>Sea Otter</name>
    <extensions><gpxx:TrackExtension><gpxx:DisplayColor>Red</gpxx:DisplayColor></gpxx:TrackExtension></extensions>
    <trkseg>
      <trkpt lat="47.644548" lon="-122.326897">
        <ele>4.46</ele>
        <time>2009-10-17T18:37:26Z</time>
        <extensions><gpxtpx:TrackPointExtension><gpxtpx:atemp>20</gpxtpx:atemp><gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>
      </trkpt>
      <trkpt lat="47.644549" lon="-122.326898"><ele>4.94</ele><time>2009-10-17T18:37:31.500Z</time></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="47.6446" lon="-122.3270"><ele>6.87</ele><time>2009-10-17T20:37:34+02:00</time></trkpt>
      <trkpt lat="47.6447" lon="-122.3271"><time>2009-10-17T18:40:00</time></trkpt>
    </trkseg>
  </trk>
</gpx>
"""

#: gpsbabel's GPX 1.0: <speed>/<course> in the points, a waypoint and a route without times
#: before two tracks (the schema's order: wpt, rte, trk).
_GPSBABEL = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.0" creator="GPSBabel - https://www.gpsbabel.org" xmlns="http://www.topografix.com/GPX/1/0">
<time>2010-01-01T00:00:00Z</time>
<bounds minlat="1.0" minlon="1.0" maxlat="2.0" maxlon="3.0"/>
<wpt lat="1.000000000" lon="1.000000000"><ele>3.0</ele><name>WP1</name></wpt>
<rte>
  <name>Harbour run</name>
  <rtept lat="1.100000000" lon="1.200000000"><name>a</name></rtept>
  <rtept lat="1.300000000" lon="1.400000000"/>
</rte>
<trk>
  <name>ACTIVE LOG</name>
  <number>1</number>
<trkseg>
<trkpt lat="1.500000000" lon="2.500000000">
  <ele>0.0</ele>
  <time>2010-01-01T10:00:00Z</time>
  <course>45.5</course>
  <speed>3.2</speed>
</trkpt>
<trkpt lat="1.600000000" lon="2.600000000"><time>2010-01-01T10:10:00Z</time><speed>3.1</speed></trkpt>
</trkseg>
</trk>
<trk>
  <name>MV Second</name>
<trkseg>
<trkpt lat="1.700000000" lon="2.700000000"><time>2010-01-01T11:00:00Z</time></trkpt>
</trkseg>
</trk>
</gpx>
"""


def _expected(text: str, version: str) -> list[tuple]:
    """(kind, owner, lat, lon, time, line) of every point, by ElementTree and the text's lines."""
    want = gpx_points_by_etree(text, version)
    order: dict[str, list[int]] = {"track": [], "route": []}
    for i, ln in enumerate(text.splitlines()):
        for tag, kind in (("<trkpt ", "track"), ("<rtept ", "route")):
            if tag in ln:
                order[kind].append(i + 1)
    lines = order["track"] + order["route"]
    return [(*w, ln) for w, ln in zip(want, lines, strict=True)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "crlf", "utf-16"])
@pytest.mark.parametrize(
    ("doc", "version"), [(_GARMIN, "1.1"), (_GPSBABEL, "1.0")], ids=["garmin", "gpsbabel"]
)
def test_real_exports_are_read_as_elementtree_reads_them(doc, version, encoding):
    """Every point's ``lat``/``lon``/``<time>`` (not ``<ele>``, ``<speed>`` or an extension's
    element) and its tag's line, whatever the encoding; a route before two tracks keeps its
    own owner index (mutant: a route numbered with the tracks' count was owner -1)."""
    want = _expected(doc, version)
    if encoding == "crlf":
        data = doc.replace("\n", "\r\n").encode()
    elif encoding == "utf-16":
        data = doc.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    else:
        data = doc.encode(encoding)
    got = read_gpx_points(data, "t.gpx")
    frame = got.frame.sort_values("line", kind="stable")
    rows = list(frame[["kind", "owner", "lat", "lon", "time", "line"]].itertuples(False, None))
    assert sorted(rows, key=lambda r: r[-1]) == sorted(want, key=lambda r: r[-1])
    assert got.n_waypoints == 1 and got.n_outside == 0
    root = ET.fromstring(doc.encode())
    ns = {"g": GPX_NS[version]}
    assert got.names == {
        (kind, i): el.find("g:name", ns).text
        for tag, kind in (("trk", "track"), ("rte", "route"))
        for i, el in enumerate(root.findall(f"g:{tag}", ns))
    }


_HEAD = '<?xml version="1.0"?>\n<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">\n'


def test_a_stray_points_time_does_not_overwrite_the_last_tracks_point():
    """A ``<trkpt>`` after ``</trk>`` (not GPX, counted apart) has a ``<time>`` of its own:
    it must not become the time of the last point a track owns (mutant: the stray time
    overwrote it, 08:00 read as 09:30).  Text beside a point's elements (a broken writer's
    stray characters) is not part of its time either."""
    doc = (
        _HEAD + "<trk><name>MV Alpha</name><trkseg>\n"
        '<trkpt lat="1" lon="2">x<time>2020-01-01T08:00:00Z</time></trkpt>\n'
        "</trkseg></trk>\n"
        '<trkpt lat="5" lon="6"><time>2020-01-01T09:30:00Z</time></trkpt>\n'
        "</gpx>\n"
    )
    got = read_gpx_points(doc.encode(), "t.gpx")
    assert got.frame["time"].tolist() == ["2020-01-01T08:00:00Z"]
    assert got.n_outside == 1


def test_a_pretty_printed_track_name_is_the_name_without_its_layout():
    """A pretty-printer (``xmllint --format``, an editor's "format document") may put
    ``<name>`` text on a line of its own: the vessel is
    'MV Sea Star' as another file's compact ``<name>`` writes it, so the two files' tracks
    are one vessel (mutant: the unstripped name made them two)."""
    pretty = (
        _HEAD + "<trk>\n  <name>\n    MV Sea Star\n  </name>\n  <trkseg>\n"
        '    <trkpt lat="1" lon="2"><time>2020-01-01T08:00:00Z</time></trkpt>\n'
        "  </trkseg>\n</trk>\n</gpx>\n"
    )
    assert read_gpx_points(pretty.encode(), "t.gpx").names == {("track", 0): "MV Sea Star"}


def test_extension_elements_named_like_gpx_ones_own_nothing():
    """An application's extension elements whose local names are ``trk``, ``rte`` or
    ``wpt`` (inside ``<extensions>``, another namespace) are not tracks, routes or waypoints:
    the points after them stay their track's (mutants: a nested ``<x:rte>`` ending the track,
    so its points were said to be outside any track; a nested ``<x:trk>`` starting a second
    one; a nested ``<x:wpt>`` counted as a waypoint)."""
    doc = (
        '<?xml version="1.0"?>\n'
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:x="urn:example:app">\n'
        "<trk><name>MV Alpha</name>\n"
        "<extensions><x:trk>a</x:trk><x:rte>b</x:rte><x:wpt>c</x:wpt></extensions>\n"
        "<trkseg>\n"
        '<trkpt lat="1" lon="2"><time>2020-01-01T08:00:00Z</time></trkpt>\n'
        "</trkseg></trk>\n"
        "</gpx>\n"
    )
    got = read_gpx_points(doc.encode(), "t.gpx")
    assert got.frame[["kind", "owner", "line"]].values.tolist() == [["track", 0, 6]]
    assert got.names == {("track", 0): "MV Alpha"}
    assert (got.n_waypoints, got.n_outside) == (0, 0)


def test_prefixed_coordinate_attributes_are_read():
    """A writer qualifying every name with the GPX prefix, attributes too
    (``gpx:lat="1.5"``): the point's coordinates are read, not taken as missing."""
    doc = (
        '<?xml version="1.0"?>\n<gpx:gpx version="1.1" '
        'xmlns:gpx="http://www.topografix.com/GPX/1/1"><gpx:trk><gpx:trkseg>\n'
        '<gpx:trkpt gpx:lat="1.5" gpx:lon="2.5"><gpx:time>2020-01-01T08:00:00Z</gpx:time>'
        "</gpx:trkpt>\n</gpx:trkseg></gpx:trk></gpx:gpx>\n"
    )
    frame = read_gpx_points(doc.encode(), "t.gpx").frame
    assert frame[["lat", "lon", "time"]].values.tolist() == [["1.5", "2.5", "2020-01-01T08:00:00Z"]]


def test_a_broken_file_is_refused_naming_the_line_of_the_break():
    """The message names the line expat stopped at (line 4: an unclosed ``<trkpt>``)."""
    doc = _HEAD + "<trk><trkseg>\n" + '<trkpt lat="1" lon="2"></trkseg></trk></gpx>\n'
    with pytest.raises(SourceUnreadable, match=r"^t\.gpx: not a readable GPX file: line 4: "):
        read_gpx_points(doc.encode(), "t.gpx")


@pytest.mark.parametrize(
    "dtd",
    [
        '<!ENTITY x SYSTEM "file:///etc/passwd">',
        '<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;',
        '<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "y" NDATA n>',
    ],
    ids=["external", "parameter", "unparsed"],
)
def test_external_and_parameter_entities_are_refused(dtd):
    """XXE shapes: an external entity, a parameter entity and an unparsed one are refused
    as the internal 'billion laughs' one is; nothing is fetched or expanded."""
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE gpx [{dtd}]>\n<gpx version="1.1"></gpx>\n'
    with pytest.raises(SourceUnreadable, match=r"declares XML entities; refused"):
        read_gpx_points(doc.encode(), "t.gpx")


def test_garmin_track_broken_in_segments_reads_its_times_in_utc(tmp_path):
    """The Garmin export through :func:`read_tracks`: four points of one vessel, the
    ``+02:00`` time at 18:37:34 UTC, the fraction kept, a time without zone read as UTC."""
    path = tmp_path / "garmin.gpx"
    path.write_text(_GARMIN)
    res = read_tracks(path)
    assert res.n_read == 4 and len(res.rejects) == 0
    assert set(res.frame["vessel_id"]) == {"Sea Otter"}
    assert [str(t) for t in res.frame["time"]] == [
        "2009-10-17 18:37:26+00:00",
        "2009-10-17 18:37:31.500000+00:00",
        "2009-10-17 18:37:34+00:00",
        "2009-10-17 18:40:00+00:00",
    ]


# --- risk classes ---------------------------------------------------------------------------

LABELS = ["very low", "low", "medium", "high", "very high"]


@pytest.mark.parametrize(
    ("method", "n_classes", "needle"),
    [
        ("fixed", 5, "class method must be 'quantile' or 'natural', got 'fixed'"),
        ("jenks", 5, "got 'jenks'"),
        ("quantile", 0, "n_classes must be at least 1, got 0"),
        ("natural", 0, "n_classes must be at least 1, got 0"),
    ],
    ids=["fixed", "jenks", "quantile-0", "natural-0"],
)
def test_breaks_refuse_what_they_cannot_make(method, n_classes, needle):
    """'fixed' breaks are the config's, never computed here; no class at all is no map."""
    from pipeline.classes import risk_class_breaks
    from pipeline.errors import InputError

    with pytest.raises(InputError, match=re.escape(needle)):
        risk_class_breaks([1.0, 2.0, 3.0], method, n_classes)


@pytest.mark.parametrize("method", ["quantile", "natural"])
def test_scores_that_are_not_finite_take_no_part_in_the_breaks(method):
    """NaN and infinities are no scores: the breaks are those of the finite ones alone
    (mutant: an infinite score kept made the top break inf)."""
    from pipeline.classes import risk_class_breaks

    finite = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    want = risk_class_breaks(finite, method, 5)
    got = risk_class_breaks([*finite, np.nan, np.inf, -np.inf], method, 5)
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(got).all() and got[0] == 0.0 and got[-1] >= 90.0


def test_no_scores_at_all_break_the_whole_scale():
    """No observed cell: the classes span the whole 0-100 scale, as the fixed defaults."""
    from pipeline.classes import risk_class_breaks

    for method in ("quantile", "natural"):
        assert risk_class_breaks([np.nan], method, 5).tolist() == [0.0, 100.0]
        assert risk_class_breaks([], method, 5).tolist() == [0.0, 100.0]


@pytest.mark.parametrize("method", ["quantile", "natural"])
def test_a_score_on_a_break_is_in_the_class_the_break_starts_everywhere(method):
    """A score equal to a break is in the class that break starts, on the map
    (``map_classes``), in the exported ``risk_class`` (``score.classify``) and in the
    uncertainty's class stability (``breaks_classifier``); the top score is in the top
    class; fewer distinct scores than classes give one class per score."""
    from pipeline.classes import ALL_EQUAL, class_labels_for, risk_class_breaks
    from pipeline.hotspots import breaks_classifier
    from pipeline.score import classify

    risk = np.array([0.0, 0.0, 12.5, 12.5, 50.0, 50.0, 50.0, 87.5, 100.0, 100.0])
    breaks = risk_class_breaks(risk, method, 5)
    labels = class_labels_for(LABELS, breaks.size - 1)
    on_break = breaks[:-1]
    want = np.asarray(labels, dtype=object)[np.arange(on_break.size)]
    assert classify(on_break, breaks.tolist(), labels).tolist() == want.tolist()
    assert breaks_classifier(breaks)(on_break).tolist() == list(range(on_break.size))
    top = classify(np.array([100.0]), breaks.tolist(), labels)
    assert top.tolist() == [labels[-1]] == ["very high"]
    three = risk_class_breaks([5.0, 5.0, 40.0, 90.0, 90.0], method, 5)
    assert three.tolist() == [5.0, 40.0, 90.0, 90.1]
    assert class_labels_for(LABELS, three.size - 1) == ["very low", "medium", "very high"]
    # one class of two labels is every cell alike, as of five
    assert class_labels_for(["low", "high"], 1) == [ALL_EQUAL] == class_labels_for(LABELS, 1)
    # the end past a top score of its own is the next 0.1 as written (0.8, not 0.7999...)
    assert risk_class_breaks([0.1, 0.7], method, 2).tolist() == [0.1, 0.7, 0.8]


# --- ingest options -------------------------------------------------------------------------

_EXAMPLE = Path(__file__).resolve().parents[1] / "configs" / "example.yaml"
#: What the example's input entries set for its own theatre, not as defaults.
_THEATRE = {"path", "name", "variable"}


def test_input_entries_of_the_example_give_each_options_default():
    """configs/example.yaml documents every option of an input entry with its default
    (its test of the defaults leaves ``inputs`` out: the paths are its theatre's); mutants:
    a default changed (a raster's name, ``time: latest``, ``format: auto``,
    ``speed_unit: auto``, ``polygons_to_points: false``)."""
    from pipeline.ingest import RasterSource, SeizureSource, TrackSource

    inputs = yaml.safe_load(_EXAMPLE.read_text(encoding="utf-8"))["inputs"]
    entries = [
        (SeizureSource, inputs["seizures"][0]),
        (TrackSource, inputs["tracks"][0]),
        *((RasterSource, r) for r in inputs["rasters"]),
    ]
    for model, entry in entries:
        got = model(path="x").model_dump(by_alias=True)
        given = {k: v for k, v in entry.items() if k not in _THEATRE}
        assert given and {k: got[k] for k in given} == given, model.__name__
    assert RasterSource(path="x").name == "raster"


def test_a_mask_given_as_a_bare_path_is_min_1_on_its_only_band():
    """README: ``mask: cf_cvg.tif`` is ``mask: {path: cf_cvg.tif, min: 1}`` (mutants: the
    text form refused, min 0: VIIRS's unobserved 0 radiance read as dark); ``max`` equal to
    ``min`` keeps that one value, below it is refused; no band 0."""
    from pipeline.ingest import RasterMask, RasterSource

    short = RasterSource(path="r.tif", mask="cf_cvg.tif").mask
    assert short == RasterSource(path="r.tif", mask={"path": "cf_cvg.tif", "min": 1}).mask
    assert short == RasterMask(path=Path("cf_cvg.tif"), min=1.0, max=None, band=None)
    assert RasterMask(path="q.tif", min=0, max=0).max == 0.0
    with pytest.raises(pydantic.ValidationError, match="mask max -1 is below its min 0"):
        RasterMask(path="q.tif", min=0, max=-1)
    for bad in ({"band": 0}, {"min": float("nan")}, {"min": float("-inf")}):
        with pytest.raises(pydantic.ValidationError):
            RasterMask(path="q.tif", **bad)
    with pytest.raises(pydantic.ValidationError):
        RasterSource(path="r.tif", band=0)


def test_a_time_window_of_one_day_and_one_step_selections():
    """A window whose end is its start is one day, kept (mutant: refused); its aggregate is
    the mean unless told.  A step is picked by exactly one of index and value."""
    from pipeline.ingest import DimSelect, TimeWindow

    day = dt.date(2024, 3, 1)
    one = TimeWindow(start=day, end=day)
    assert (one.start, one.end, one.aggregate) == (day, day, "mean")
    with pytest.raises(pydantic.ValidationError, match="is before start"):
        TimeWindow(start=day, end=day - dt.timedelta(days=1))
    assert DimSelect(index=0).index == 0 and DimSelect(value=0.0).value == 0.0
    for both in ({}, {"index": 1, "value": 850.0}):
        with pytest.raises(pydantic.ValidationError, match="give exactly one of index or value"):
            DimSelect(**both)


@pytest.mark.parametrize(
    ("given", "want"),
    [("tab", "\t"), (" TAB ", "\t"), ("\\t", "\t"), ("\t", "\t"), (";", ";"), ("'", "'")],
    ids=["tab", "spaced-tab", "backslash-t", "tab-char", "semicolon", "apostrophe"],
)
def test_delimiters_the_readers_can_split_by_are_kept(given, want):
    from pipeline.ingest import ContextSource, SeizureSource, TrackSource

    assert SeizureSource(path="s.csv", delimiter=given).delimiter == want
    assert TrackSource(path="t.csv", delimiter=given).delimiter == want
    assert "delimiter" not in ContextSource.model_fields  # a ports CSV is sniffed


@pytest.mark.parametrize(
    "given",
    ["", '"', "\n", "\x00", ",,", "¦"],
    ids=["empty", "quote", "newline", "nul", "two", "broken-bar"],
)
def test_delimiters_no_reader_can_split_by_are_refused(given):
    """Mutants: an empty delimiter, a quote or a non-ASCII one let through (each ended the
    run as a traceback of the CSV reader)."""
    from pipeline.ingest import SeizureSource, TrackSource

    for model in (SeizureSource, TrackSource):
        with pytest.raises(pydantic.ValidationError, match="delimiter must be one character"):
            model(path="x.csv", delimiter=given)


def test_column_keys_and_synonyms_are_checked_per_kind():
    """Each kind takes its own column keys and refuses another kind's (``vessel_id`` is no
    seizure's, ``quantity`` no track's, ``sog_kn`` no port's); a synonym with an empty side
    or mapped two ways after normalisation is refused."""
    from pipeline.ingest import ContextSource, SeizureSource, TrackSource

    assert SeizureSource(path="s.csv", columns={"quantity": "Qty"}).columns == {"quantity": "Qty"}
    assert TrackSource(path="t.csv", columns={"vessel_id": "MMSI"}).columns
    assert ContextSource(path="p.csv", kind="ports", columns={"name": "Port"}).columns
    for model, key in (
        (SeizureSource, "vessel_id"),
        (TrackSource, "quantity"),
        (lambda **kw: ContextSource(kind="ports", **kw), "sog_kn"),
    ):
        with pytest.raises(pydantic.ValidationError, match=rf"unknown column key\(s\) \['{key}'\]"):
            model(path="x.csv", columns={key: "X"})
    with pytest.raises(pydantic.ValidationError, match="has an empty side"):
        SeizureSource(path="s.csv", synonyms={"robbers": "  "})
    with pytest.raises(pydantic.ValidationError, match="to both"):
        SeizureSource(path="s.csv", synonyms={"Robbers": "theft", "robbers ": "armed robbery"})
    assert SeizureSource(path="s.csv", synonyms={"Robbers": "Theft", "robbers": "theft"}).synonyms


def test_a_track_schema_is_given_by_its_yaml_name_or_its_field_name():
    from pipeline.ingest import TrackSource

    assert TrackSource(path="t.csv", schema="dma").schema_ == "dma"
    assert TrackSource(path="t.csv", schema_="dma").schema_ == "dma"


def test_a_crs_is_checked_and_kept_as_written():
    from pipeline.ingest import ContextSource, RasterSource, SeizureSource, TrackSource

    for model in (SeizureSource, TrackSource, RasterSource):
        assert model(path="x", crs="EPSG:32633").crs == "EPSG:32633"
        with pytest.raises(pydantic.ValidationError, match="is not a CRS pyproj understands"):
            model(path="x", crs="EPSG:99999999")
    assert ContextSource(path="x", kind="land", crs="EPSG:3035").crs == "EPSG:3035"


@pytest.mark.parametrize(
    "name",
    ["Depth", "1depth", "sea-depth", "", "depth\n", "sea depth"],
    ids=["capital", "digit-first", "hyphen", "empty", "trailing-newline", "space"],
)
def test_a_raster_name_outside_its_pattern_is_refused(name):
    """The name becomes the factor's columns (``<name>_mean``): it must match
    ``^[a-z][a-z0-9_]*$`` whole.  Before, ``$`` let a trailing newline through
    (``name: "depth\\n"`` was taken, and its columns were ``'depth\\n_mean'``)."""
    from pipeline.ingest import RasterSource

    with pytest.raises(pydantic.ValidationError, match="raster name must match"):
        RasterSource(path="r.tif", name=name)
    assert RasterSource(path="r.tif", name="sea_depth2").name == "sea_depth2"


def test_ingest_bounds_take_their_edges_and_refuse_past_them():
    """Mutants: a bound dropped or moved (a reject rate of 1.5, a speed limit or block of
    0, a pixel limit of 0, a negative settle time)."""
    from pipeline.ingest import IngestOptions, TrackSource

    edge = IngestOptions(max_reject_rate=1.0, chunk_rows=1, max_raster_pixels=1)
    assert (edge.max_reject_rate, edge.chunk_rows, edge.max_raster_pixels) == (1.0, 1, 1)
    assert IngestOptions(max_reject_rate=0.0, chunk_rows=None).chunk_rows is None
    for bad in (
        {"max_reject_rate": 1.01},
        {"max_reject_rate": -0.01},
        {"max_speed_kn": 0.0},
        {"memory_budget_mb": 0.0},
        {"max_uncompressed_mb": 0.0},
        {"chunk_rows": 0},
        {"max_raster_pixels": 0},
    ):
        with pytest.raises(pydantic.ValidationError):
            IngestOptions(**bad)
    assert TrackSource(path="t.csv", settle_minutes=0).settle_minutes == 0.0
    with pytest.raises(pydantic.ValidationError):
        TrackSource(path="t.csv", settle_minutes=-1)
