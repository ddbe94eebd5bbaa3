"""KML documents written by the KML track tests: the namespaces, a document, one track."""

from __future__ import annotations

GX = "http://www.google.com/kml/ext/2.2"
KML = "http://www.opengis.net/kml/2.2"

#: One Placemark of a two-point gx:Track (vessel "Skiff", five minutes apart).
TRACK = """<Placemark><name>Skiff</name>
<gx:Track>
<when>2024-03-01T10:00:00Z</when><when>2024-03-01T10:05:00Z</when>
<gx:coord>1.0 2.0 0</gx:coord>
<gx:coord>1.01 2.0 0</gx:coord>
</gx:Track></Placemark>"""


def kml_document(body: str, doctype: str = "") -> str:
    """A KML document of one Document holding ``body`` (after an optional DOCTYPE)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<kml xmlns="{KML}" xmlns:gx="{GX}">\n<Document>\n{body}\n</Document>\n</kml>\n'
    )
