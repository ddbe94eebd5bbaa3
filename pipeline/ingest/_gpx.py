"""Read the points of a GPX file with their physical lines, dropping none.

GDAL's GPX driver skips a ``<trkpt>`` without ``lat`` or ``lon`` without a word, reads
``lat="x"`` as 0 and turns a time it cannot parse into a missing one, so a reader built on it
could neither account for every point nor say why one was bad.  This parser keeps every
``<trkpt>`` and ``<rtept>`` as the text it holds (``lat``, ``lon``, ``time``) and the line its
start tag is on; the tracks reader then validates them like the columns of a CSV.

Entity declarations (the "billion laughs" expansion) are refused; no external entity is ever
fetched (expat does not resolve them).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

import numpy as np
import pandas as pd

from ..errors import SourceUnreadable

__all__ = ["GpxPoints", "PointColumns", "parse_xml", "read_gpx_points", "xml_parser"]

_POINT = {"trkpt": "track", "rtept": "route"}
_OWNER = {"trk": "track", "rte": "route"}


@dataclass
class GpxPoints:
    """The points of a GPX file, in document order.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``kind`` (``track``/``route``), ``owner`` (0-based index of the ``<trk>``/``<rte>``
        among those of its kind), ``lat``, ``lon``, ``time`` (the text as written, None when
        absent) and ``line`` (1-based line of the point's start tag).
    names : dict
        ``(kind, owner) -> name`` of every track and route that has a ``<name>``.
    n_waypoints : int
        ``<wpt>`` elements (not positions of a track; not read).
    n_outside : int
        ``<trkpt>``/``<rtept>`` elements outside any ``<trk>``/``<rte>`` (not GPX: no track
        or route owns them; not read, and said).
    """

    frame: pd.DataFrame
    names: dict[tuple[str, int], str]
    n_waypoints: int
    n_outside: int = 0


@dataclass
class PointColumns:
    """The columns of :attr:`GpxPoints.frame` as lists a parser's handlers append to."""

    kinds: list[str] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    lats: list[str | None] = field(default_factory=list)
    lons: list[str | None] = field(default_factory=list)
    times: list[str | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def lists(self) -> tuple[list, list, list, list, list, list]:
        """Return the six lists, in the frame's column order."""
        return self.kinds, self.owners, self.lats, self.lons, self.times, self.lines

    def frame(self) -> pd.DataFrame:
        """Return the points as :attr:`GpxPoints.frame`."""
        return pd.DataFrame(
            {
                "kind": pd.Series(self.kinds, dtype=object),
                "owner": np.asarray(self.owners, dtype="int64"),
                "lat": pd.Series(self.lats, dtype=object),
                "lon": pd.Series(self.lons, dtype=object),
                "time": pd.Series(self.times, dtype=object),
                "line": np.asarray(self.lines, dtype="int64"),
            }
        )


def xml_parser(name: str) -> expat.XMLParserType:
    """Return an expat parser that refuses entity declarations and undefined references.

    Declarations are the "billion laughs" expansion; no external entity is ever fetched
    (expat resolves none).  Under a DOCTYPE naming an external DTD expat skips a reference
    to an entity the document does not define without an error: ``<time>2024-03-0&x;1``
    read as ``2024-03-01``, ``1 2&x;.5`` as ``1 2.5`` (KML's found first, GPX's alike).
    """
    parser = expat.ParserCreate()

    def no_entities(*_args) -> None:
        raise SourceUnreadable(f"{name}: declares XML entities; refused (entity expansion)")

    def skipped_entity(entity: str, _is_parameter: bool) -> None:
        raise SourceUnreadable(
            f"{name}: refers to the entity {entity!r} that it does not define (an external "
            "DTD is never read); refused"
        )

    parser.EntityDeclHandler = no_entities
    parser.SkippedEntityHandler = skipped_entity
    parser.buffer_text = True
    return parser


def parse_xml(
    parser: expat.XMLParserType,
    source: bytes | IO[bytes],
    name: str,
    kind: str,
    root: list[str],
    root_tag: str,
    handlers: tuple[Callable, Callable, Callable],
) -> None:
    """Run ``parser`` over ``source``; refuse it unless well-formed with ``root_tag`` as root.

    ``handlers`` are the start, end and character-data handlers; ``root`` is filled by the
    start handler with the first element's name.
    """
    (
        parser.StartElementHandler,
        parser.EndElementHandler,
        parser.CharacterDataHandler,
    ) = handlers
    try:
        if isinstance(source, bytes | bytearray):
            parser.ParseFile(io.BytesIO(source))
        else:
            parser.ParseFile(source)
    except expat.ExpatError as exc:
        raise SourceUnreadable(
            f"{name}: not a readable {kind} file: line {exc.lineno}: {expat.ErrorString(exc.code)}"
        ) from None
    if root[:1] != [root_tag]:
        raise SourceUnreadable(
            f"{name}: not a {kind} file (root element {root[0] if root else None!r}, "
            f"expected {root_tag!r})"
        )


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1].rsplit("}", 1)[-1]


def read_gpx_points(source: bytes | IO[bytes], name: str) -> GpxPoints:
    """Parse GPX bytes (or a binary file) into :class:`GpxPoints`.

    Raises
    ------
    SourceUnreadable
        Not well-formed XML (the message names the line), not a ``<gpx>`` document, or a
        document declaring entities.
    """
    parser = xml_parser(name)
    cols = PointColumns()
    kinds, owners, lats, lons, times, lines = cols.lists()
    names: dict[tuple[str, int], str] = {}
    count = {"track": -1, "route": -1}
    stack: list[str] = []
    owner: list[tuple[str, int] | None] = [None]
    text: list[str] = []
    root: list[str] = []
    n_wpt = 0
    n_outside = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal n_wpt, n_outside
        tag = _local(tag)
        if not stack:
            root.append(tag)
        parent = stack[-1] if stack else ""
        stack.append(tag)
        text.clear()
        if tag in _OWNER and parent == "gpx":
            kind = _OWNER[tag]
            count[kind] += 1
            owner[0] = (kind, count[kind])
        elif tag in _POINT and owner[0] is not None:
            kinds.append(owner[0][0])
            owners.append(owner[0][1])
            got = {_local(k): v for k, v in attrs.items()}
            lats.append(got.get("lat"))
            lons.append(got.get("lon"))
            times.append(None)
            lines.append(parser.CurrentLineNumber)
        elif tag in _POINT:  # a point no <trk>/<rte> owns: counted, never dropped unsaid
            n_outside += 1
        elif tag == "wpt" and parent == "gpx":
            n_wpt += 1

    def end(tag: str) -> None:
        tag = _local(tag)
        stack.pop()
        parent = stack[-1] if stack else ""
        if tag == "time" and parent in _POINT and owner[0] is not None and lines:
            times[-1] = "".join(text).strip()
        elif tag == "name" and parent in _OWNER and owner[0] is not None:
            names[owner[0]] = "".join(text).strip()
        elif tag in _OWNER and parent == "gpx":
            owner[0] = None
        text.clear()

    def chars(data: str) -> None:
        text.append(data)

    parse_xml(parser, source, name, "GPX", root, "gpx", (start, end, chars))
    return GpxPoints(cols.frame(), names, n_wpt, n_outside)
