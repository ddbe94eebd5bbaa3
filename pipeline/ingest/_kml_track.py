"""Read the points of KML tracks (``gx:Track``, KML 2.3 ``Track``) with their physical lines.

Google Earth, OpenTracks, Traccar and most vehicle trackers export a trip as a KML
``<gx:Track>``: a list of ``<when>`` times beside a list of ``<gx:coord>`` positions
(``lon lat [alt]``), the i-th time that of the i-th position; a ``<gx:MultiTrack>`` holds one
per segment of a trip.  GDAL reads such a track as a line and drops its times, so KML tracks
were refused.  This parser keeps every position with the time of the same rank and the line
of its ``<gx:coord>`` tag, as :mod:`._gpx` does for GPX points, and returns them in the same
:class:`~pipeline.ingest._gpx.GpxPoints` shape: the tracks reader then validates, names and
rejects them as GPX points.  A track whose lists differ in length keeps the extra times or
positions as records missing the other part (rejected at their lines), never paired off by
guess.  A ``Track`` is owned by its ``Placemark`` (a ``MultiTrack``'s segments are one
owner), named by the Placemark's ``<name>``.

Entity declarations are refused; no external entity is fetched (expat resolves none).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from ..errors import SourceUnreadable
from ._archive import ZIP_READ_ERRORS, check_zip_expansion, is_junk_member
from ._gpx import GpxPoints, PointColumns, parse_xml, xml_parser

__all__ = ["kml_document", "read_kml_track_points"]


def kml_document(data: bytes, name: str, max_uncompressed_mb: float) -> tuple[bytes, str | None]:
    """Return the KML document of a KML file's bytes, or of a KMZ's (a zip of one).

    A KMZ's document is its ``doc.kml`` or else its one ``.kml`` at the top; a KMZ of none
    at the top reads its one ``.kml`` in a folder (``files/doc.kml``, ``My Tracks/a.kml``:
    the KML 2.2 standard's first ``.kml`` of the archive, as Google Earth reads it).  Where
    several are candidates (at the top, or in folders when none is at the top) the KMZ is
    refused rather than one picked.  Macs' own members (``__MACOSX/``, ``._name``) are no
    documents.  Its members' declared sizes are bounded first.

    Returns
    -------
    tuple of bytes and str or None
        The document, and the KMZ member read where it is in a folder (said in a note).

    Raises
    ------
    SourceUnreadable
        A damaged KMZ, one beyond the bound, or one without a single document.
    """
    if not data.startswith(b"PK"):
        return data, None
    try:
        check_zip_expansion(io.BytesIO(data), f"{name}: the KMZ", max_uncompressed_mb)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            kml = [
                i.filename
                for i in zf.infolist()
                if PurePosixPath(i.filename).suffix.lower() == ".kml" and not is_junk_member(i)
            ]
            top = [f for f in kml if "/" not in f]
            docs = [f for f in top if f.lower() == "doc.kml"] or top
            where = "at its top"
            if not docs and kml:
                docs, where = kml, "in its folders (none at its top)"
            if len(docs) != 1:
                raise SourceUnreadable(
                    f"{name}: a KMZ with {len(docs)} KML documents {where} ({docs[:5]!r}); "
                    "expected doc.kml or one .kml"
                )
            if zf.getinfo(docs[0]).flag_bits & 0x1:  # zipfile's RuntimeError: exit 70, a "bug"
                raise SourceUnreadable(f"{name}: the KMZ's {docs[0]!r} is encrypted; refused")
            return zf.read(docs[0]), (docs[0] if "/" in docs[0] else None)
    except ZIP_READ_ERRORS as exc:
        if isinstance(exc, SourceUnreadable):
            raise
        raise SourceUnreadable(f"{name}: not a readable KMZ: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1].rsplit("}", 1)[-1]


def read_kml_track_points(data: bytes, name: str) -> tuple[GpxPoints, int]:
    """Parse KML bytes into :class:`GpxPoints` of its tracks, and its other placemarks' count.

    ``GpxPoints.n_outside`` counts the tracks no placemark holds (not read).

    Raises
    ------
    SourceUnreadable
        Not well-formed XML (the message names the line), not a ``<kml>`` document, a
        document declaring entities, or one holding no track.
    """
    parser = xml_parser(name)
    cols = PointColumns()
    kinds, owners, lats, lons, times, lines = cols.lists()
    names: dict[tuple[str, int], str] = {}
    stack: list[str] = []
    root: list[str] = []
    text: list[str] = []
    # the current placemark's index and whether it holds a track; the current track's lists
    # and how many open elements are Placemarks (a count: a scan of the open elements at each
    # tag took 12 s for 30,000 nested folders, quadratic in the depth a hostile file gives)
    # and the depth of an open <when>/<coord> of a track ("value", 0 when none is open)
    state = {
        "placemark": -1, "tracked": 0, "untracked": 0, "outside": 0, "at": 0, "open": 0,
        "value": 0, "track_open": 0, "label": 0,
    }  # fmt: skip
    # the text of an open placemark <name> ("label", its depth), whole: an element inside
    # (not KML) cleared the text before it, "A<b>x</b>y" named the vessel "y" (ElementTree's
    # itertext gives "Axy")
    label: list[str] = []
    track: dict[str, list] = {"when": [], "coord": []}

    def start(tag: str, _attrs: dict[str, str]) -> None:
        tag = _local(tag)
        if not stack:
            root.append(tag)
        if state["value"]:  # an element inside a time or position (not KML): kept in its
            # text, which is then rejected as written (it cleared the text before: "5 <b/>1
            # 2" was read as longitude 1, latitude 2)
            stack.append(tag)
            text.append(f"<{tag}>")
            return
        inside = state["open"] > 0
        if tag in ("when", "coord") and stack[-1:] == ["Track"]:
            state["value"] = len(stack) + 1
        elif tag == "name" and stack[-1:] == ["Placemark"]:
            label.clear()
            state["label"] = len(stack) + 1
        stack.append(tag)
        text.clear()
        state["at"] = parser.CurrentLineNumber
        if tag == "Placemark":
            state["open"] += 1
            state["placemark"] += 1
            state["tracked"] = 0
        elif tag == "Track" and inside:
            if state["track_open"]:  # a track inside a track, not KML: refused
                # (its start cleared the outer track's points: one dropped unsaid, and the
                # inner's given twice)
                raise SourceUnreadable(
                    f"{name}: a track inside a track at line {parser.CurrentLineNumber} (not "
                    "KML: which positions belong to which is unknown); refused"
                )
            state["track_open"] = 1
            state["tracked"] = 1
            track["when"].clear()
            track["coord"].clear()
        elif tag == "Track":  # no placemark owns it (not KML): counted, never dropped unsaid
            state["outside"] += 1

    def end(tag: str) -> None:
        tag = _local(tag)
        stack.pop()
        if state["label"] > len(stack):
            state["label"] = 0
        if state["value"] and len(stack) >= state["value"]:  # the end of an element inside
            return
        state["value"] = 0
        if tag == "Placemark":
            state["open"] -= 1
        parent = stack[-1] if stack else ""
        inside = state["open"] > 0
        if parent == "Track" and tag in ("when", "coord") and inside:
            track[tag].append(("".join(text).strip(), state["at"]))
        elif tag == "Track" and inside:
            state["track_open"] = 0
            _flush(track, state["placemark"])
        elif tag == "name" and parent == "Placemark":
            names[("track", state["placemark"])] = "".join(label).strip()
        elif tag == "Placemark" and not state["tracked"]:
            state["untracked"] += 1
        text.clear()

    def _flush(track: dict[str, list], owner: int) -> None:
        whens, coords = track["when"], track["coord"]
        for i in range(max(len(whens), len(coords))):
            when = whens[i][0] if i < len(whens) else None
            lon, lat = _lon_lat(coords[i][0]) if i < len(coords) else (None, None)
            owners.append(owner)
            times.append(when or None)
            lons.append(lon)
            lats.append(lat)
            lines.append(coords[i][1] if i < len(coords) else whens[i][1])

    def chars(data: str) -> None:
        text.append(data)
        if state["label"]:
            label.append(data)

    parse_xml(parser, data, name, "KML", root, "kml", (start, end, chars))
    if not lines:
        raise SourceUnreadable(
            f"{name}: holds no track (gx:Track): its {state['untracked']} placemark(s) are "
            "places, not positions over time; export the track as KML with time (a "
            "gx:Track), GPX, GeoJSON or CSV"
        )
    kinds.extend(["track"] * len(lines))
    frame = cols.frame()
    used = {("track", int(o)) for o in set(owners)}
    named = {k: v for k, v in names.items() if k in used}
    return GpxPoints(frame, named, 0, state["outside"]), state["untracked"]


def _lon_lat(coord: str) -> tuple[str | None, str | None]:
    """Return the longitude and latitude texts of a ``gx:coord`` (``lon lat [alt]``).

    One word is a longitude without its latitude (missing, rejected as such: ``-122.0`` read
    alone as a latitude would be rejected as out of range, a wrong reason); more than three,
    or one word holding a comma (``-122.0,37.4,0``, a ``<coordinates>`` tuple: a coord's
    values are separated by spaces), give the whole text for both, rejected as unparseable
    (it was "latitude missing"); empty gives None.
    """
    words = coord.split()
    if not words:
        return None, None
    if len(words) == 1 and "," in coord:
        return coord, coord
    if len(words) == 1:
        return words[0], None
    if len(words) <= 3:
        return words[0], words[1]
    return coord, coord
