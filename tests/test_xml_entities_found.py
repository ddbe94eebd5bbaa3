"""A GPX file referring to an entity it does not define is refused, as a KML file is.

Under a DOCTYPE naming an external DTD (never read), expat skips a reference to an entity
the document does not define without an error: a GPX point's ``<time>2024-03-0&x;1`` was
read as the 1st of March, a digit of the document lost without a word.  The GPX and KML
track parsers now share one expat set-up that refuses it.
"""

from __future__ import annotations

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks

GPX = """<?xml version="1.0"?>
<!DOCTYPE gpx SYSTEM "http://example.com/gpx.dtd">
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>MV Test</name><trkseg>
<trkpt lat="10.5" lon="-61.2"><time>2024-03-0{ref}1T00:00:00Z</time></trkpt>
<trkpt lat="10.6" lon="-61.2"><time>2024-03-01T01:00:00Z</time></trkpt>
</trkseg></trk></gpx>
"""


def test_a_gpx_reference_to_an_undefined_entity_is_refused(tmp_path):
    path = tmp_path / "t.gpx"
    path.write_text(GPX.format(ref="&x;"))
    with pytest.raises(SourceUnreadable, match="entity 'x' that it does not define"):
        read_tracks(path)
    # the same DOCTYPE without such a reference reads (no DTD is ever fetched)
    path.write_text(GPX.format(ref=""))
    res = read_tracks(path)
    assert len(res.frame) == 2


def test_a_gpx_declaring_entities_is_still_refused(tmp_path):
    path = tmp_path / "t.gpx"
    text = GPX.format(ref="").replace('gpx.dtd">', 'gpx.dtd" [<!ENTITY a "aaaaaaaaaa">]>')
    path.write_text(text)
    with pytest.raises(SourceUnreadable, match="declares XML entities"):
        read_tracks(path)
