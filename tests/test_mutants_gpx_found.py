"""Mutation check of GPX reading, the ingest options and the risk classes.

Each test here kills a hand-made mutant of :mod:`pipeline.ingest._gpx`,
:mod:`pipeline.ingest.options` or :mod:`pipeline.classes` that the earlier tests let live.
GPX files are written in the shapes real tools export them (Garmin's TrackPointExtension,
gpsbabel's GPX 1.0, OsmAnd's pretty-printed names; BOM, CRLF, UTF-16) and checked against
ElementTree reading the same bytes and the document's own line numbers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

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

_NS = {"1.1": "http://www.topografix.com/GPX/1/1", "1.0": "http://www.topografix.com/GPX/1/0"}


def _expected(text: str, version: str) -> list[tuple]:
    """(kind, owner, lat, lon, time, line) of every point, by ElementTree and the text's lines."""
    ns = {"g": _NS[version]}
    root = ET.fromstring(text.encode())
    want = []
    for kind, owner_tag, point_tag in (("track", "trk", "trkpt"), ("route", "rte", "rtept")):
        for owner, el in enumerate(root.findall(f"g:{owner_tag}", ns)):
            for pt in el.iter(f"{{{ns['g']}}}{point_tag}"):
                t = pt.find("g:time", ns)
                want.append(
                    (kind, owner, pt.get("lat"), pt.get("lon"), None if t is None else t.text)
                )
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
    ns = {"g": _NS[version]}
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
    """OsmAnd and gpx.studio indent ``<name>`` text on lines of its own: the vessel is
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
