"""Shared machinery of the readers.

Text tables, missing tokens, column recognition, dates, coordinates and the first-failing-rule
reject table.

Every parser here works on whole columns (pandas string methods, numpy, pyarrow): the only
Python loops run over the *distinct* values of a column that no fast path understood (free-text
dates such as ``12 Jan 2020``) or over rejected rows when their messages are formatted.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import functools
import io
import logging
import re
import tempfile
import threading
import unicodedata
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import BaseModel

from ..errors import InputError, SourceUnreadable
from ..schema import REJECT_COLUMNS
from ..sphere import haversine_km  # noqa: F401  (re-exported for the readers)

log = logging.getLogger(__name__)

#: Strings that mean "no value" in the exports people send (compared after stripping, and
#: case-insensitively).
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "-", "--", "#n/a", "?", "missing"}
)


@dataclass
class IngestResult:
    """What a reader returns: the accepted records and the rejected ones with reasons.

    Attributes
    ----------
    frame : pandas.DataFrame
        Accepted records in the contract's columns (``SEIZURE_COLUMNS`` or ``PING_COLUMNS``).
    rejects : pandas.DataFrame
        One row per rejected record (its first failing rule), columns ``REJECT_COLUMNS``.
    by_rule : dict of str to int
        Number of rejected records per rule id, sorted by rule id.
    source : str
        The file that was read.
    n_read : int
        Records read from the file; ``n_read == len(frame) + len(rejects)``.
    notes : list of str
        Things the user should know (encoding fallback, inferred date order, swapped
        coordinates, ignored waypoints, ...).
    assumptions : dict
        Every inference the reader made, with its evidence, JSON-able, for the summary and
        the run manifest.  Keys (each present when it applies):

        ``columns``
            role -> ``{"column", "by", "evidence"}``; ``by`` is ``config``, ``name``,
            ``content``, ``schema``, ``geometry`` or ``constant``.
        ``dates``
            ``{"column", "order", "order_by", "order_evidence", "formats", "time_zone",
            "two_digit_years"}``: day/month order and who decided it, spellings seen.
        ``time_of_day``
            ``{"column", "combined", "zone", "local_not_combined", "unparseable"}``.
        ``time_zone``
            One sentence: which values named a zone, which were taken as UTC.
        ``crs``
            ``{"value", "by", "evidence"}``: the CRS of the coordinates and where it came
            from (``file``, ``config``, ``default``).
        ``encoding``, ``delimiter``, ``schema``, ``archive_member``, ``speed_unit``,
        ``categories``
            How the file was read.
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    by_rule: dict[str, int]
    source: str
    n_read: int
    notes: list[str] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Results pickled by the runner's cache before ``assumptions`` existed still load.
        state.setdefault("assumptions", {})
        self.__dict__.update(state)

    @property
    def n_accepted(self) -> int:
        """Number of accepted records."""
        return len(self.frame)

    @property
    def n_rejected(self) -> int:
        """Number of rejected records."""
        return len(self.rejects)

    @property
    def reject_rate(self) -> float:
        """Rejected records over records read (0 for an empty file)."""
        return self.n_rejected / self.n_read if self.n_read else 0.0


# --------------------------------------------------------------------------- text tables


@dataclass
class TextTable:
    """A delimited text file read as strings, with the physical line of every record."""

    frame: pd.DataFrame  # every column str (missing tokens still raw)
    lines: np.ndarray  # int64, 1-based physical line where each record starts
    bad_rows: pd.DataFrame  # REJECT_COLUMNS rows for ragged records
    notes: list[str]
    delimiter: str
    n_bad: int
    encoding: str = "utf-8"
    header_line: int = 1  # physical line of the header (after a title, see find_header; 0: none)
    #: whether one delimiter was dropped from the end of the records below a plain header
    #: (:func:`read_text_table`'s ``records_trailing``, decided or given)
    records_trailing: bool = False
    #: when the records' trailing delimiter was dropped: the line ends inside a quoted value
    #: (a value of several lines), where none is, and the records it was dropped from,
    #: ``(a delimiter, a delimiter and an empty quoted value "")``
    inner_line_ends: int = 0
    trailing_dropped: tuple[int, int] = (0, 0)
    #: the units of the columns named by the line below the header (ERDDAP's ``.csv``; see
    #: :func:`units_row`): that line is no record; empty where there is none
    units: dict[str, str] = field(default_factory=dict)


#: The encoding recorded for a file whose lines are partly UTF-8 and partly cp1252 (two exports
#: appended to one file): each line is decoded on its own, see :func:`decode_lines`.
MIXED_ENCODING = "utf-8+cp1252"
_BAD_LINE_HANDLER = "route-risk-bad-line"
_bad_lines = threading.local()


def _collect_bad_line(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: note the physical line of an invalid UTF-8 byte and skip the line."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, at, eol = exc.object, exc.start, _bad_lines.eol
    start = data.rfind(eol, 0, at) + 1
    end = data.find(eol, at)
    end = len(data) if end < 0 else end
    _bad_lines.spans.append((start, end))
    return "", end


codecs.register_error(_BAD_LINE_HANDLER, _collect_bad_line)


def _legacy_text(line: bytes) -> str:
    """Decode one line that is not UTF-8: cp1252, else latin-1 (cp1252 leaves 5 bytes unset)."""
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _may_hold_utf8(data: bytes) -> bool:
    """Return whether a UTF-8 lead byte is followed by a continuation byte anywhere in ``data``.

    A superset of the places that hold a UTF-8 letter (vectorised); False means no line can
    read differently as UTF-8 than as cp1252.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    lead = np.flatnonzero((arr[:-1] >= 0xC2) & (arr[:-1] <= 0xF4))
    return bool(((arr[lead + 1] & 0xC0) == 0x80).any())


@dataclass
class DecodedLines:
    """Text decoded line by line: UTF-8 where a line is valid UTF-8, cp1252 where it is not."""

    text: str
    legacy_lines: int  # lines decoded as cp1252 or latin-1
    first_legacy: int  # physical line (1-based) of the first of them (0: none)
    utf8_non_ascii: bool  # a valid UTF-8 line holds non-ASCII text: the file mixes encodings


def decode_lines(data: bytes) -> DecodedLines:
    """Decode ``data`` one physical line at a time (LF, CR LF or CR line ends).

    A line that is valid UTF-8 is read as UTF-8, any other line as cp1252.  For a file that is
    cp1252 throughout this equals decoding it whole as cp1252 (its ASCII lines read the same
    either way); for a file that appends a UTF-8 export to a cp1252 one, each part keeps its own
    letters (``SKØLD`` stays one vessel).  The scan runs in the codec; Python code runs only per
    invalid line.
    """
    if data[:3] == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark opens the file, not a line
        data = data[3:]
    eol = b"\n" if b"\n" in data else b"\r"  # CR-only files end their lines in CR
    if not _may_hold_utf8(data):  # no UTF-8 letter anywhere: one legacy text (fast)
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode("cp1252")
            arr = np.frombuffer(data, dtype=np.uint8)
            line = np.searchsorted(np.flatnonzero(arr == eol[0]), np.flatnonzero(arr >= 0x80))
            if not line.size:  # ASCII throughout
                return DecodedLines(text, 0, 0, False)
            lines = int(np.count_nonzero(np.diff(line))) + 1  # line is sorted
            return DecodedLines(text, lines, int(line[0]) + 1, False)
    spans: list[tuple[int, int]] = []
    _bad_lines.spans = spans
    _bad_lines.eol = eol
    try:
        data.decode("utf-8", errors=_BAD_LINE_HANDLER)
    finally:
        del _bad_lines.spans
    parts, pos, non_ascii = [], 0, False
    for start, end in spans:
        good = data[pos:start]
        non_ascii = non_ascii or not good.isascii()
        parts += [good.decode("utf-8"), _legacy_text(data[start:end])]
        pos = end
    rest = data[pos:]
    parts.append(rest.decode("utf-8"))
    non_ascii = non_ascii or not rest.isascii()
    first = data.count(eol, 0, spans[0][0]) + 1 if spans else 0
    return DecodedLines("".join(parts), len(spans), first, non_ascii)


def legacy_note(
    name: str, decoded: DecodedLines, bad: tuple[int, bytes], lines_before: int = 0
) -> str:
    """Say how a file that is not valid UTF-8 was decoded.

    ``bad`` is the offset and value of the first invalid byte; ``lines_before`` the physical
    lines before the decoded text (a streamed file's earlier pieces).
    """
    at, byte = bad
    if not decoded.utf8_non_ascii:
        return (
            f"{name}: not valid UTF-8 (byte {byte!r} at offset {at}); decoded as cp1252. "
            "Set encoding in the config if this is wrong."
        )
    return (
        f"{name}: mixes encodings: {decoded.legacy_lines} line(s) are not valid UTF-8 (the "
        f"first is line {decoded.first_legacy + lines_before}, byte {byte!r} at offset {at}) and were decoded as cp1252, "
        "the other lines as UTF-8. Set encoding in the config if this is wrong."
    )


def decode_bytes(data: bytes, name: str, encoding: str | None) -> tuple[bytes, str, list[str]]:
    """Return UTF-8 bytes, the encoding used and notes.

    An explicit ``encoding`` is used as given; a UTF-16 byte-order mark is followed; otherwise
    the file is UTF-8, and a file that is not valid UTF-8 is decoded line by line
    (:func:`decode_lines`: cp1252 for the lines that are not UTF-8), with a note.
    """
    notes: list[str] = []
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise SourceUnreadable(f"{name}: cannot decode as {encoding!r}: {exc}") from exc
        return text.lstrip("\ufeff").encode("utf-8"), encoding, notes
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
        notes.append(f"{name}: decoded as UTF-16 (byte-order mark)")
        return text.lstrip("\ufeff").encode("utf-8"), "utf-16", notes
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        data.decode("utf-8")
        return data, "utf-8", notes
    except UnicodeDecodeError as exc:
        first_bad = (exc.start, data[exc.start : exc.start + 1])
    decoded = decode_lines(data)
    notes.append(legacy_note(name, decoded, first_bad))
    enc = MIXED_ENCODING if decoded.utf8_non_ascii else "cp1252"
    return decoded.text.encode("utf-8"), enc, notes


def sniff_delimiter(sample: str) -> str:
    """Return the delimiter of a CSV sample among ``, ; tab |`` (``,`` when unsure)."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        return ","
    header = lines[0]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        return best if counts[best] else ","
    if header.count(sniffed) or len(lines) < 2:
        return sniffed
    # The sniffer weighs every line alike: records of ';' with decimal commas that end
    # with the ';' below a header that does not ('54,1;10,5;' under 'lat;lon') count two
    # commas each, as constant as their ';', and ',' was taken: the header one name, the
    # file refused for no latitude.  A delimiter the header holds and each record holds as
    # often (or once more, the empty last column) is the file's.
    body = lines[1:]
    for d in sorted(",;\t|", key=header.count, reverse=True):
        n = header.count(d)
        if n and sum(ln.count(d) in (n, n + 1) for ln in body) >= 0.9 * len(body):
            return d
    return sniffed


def _unique_names(names: Sequence[str]) -> list[str]:
    """Return the header's names made unique as pandas makes them (``lat``, ``lat.1``...).

    A suffix never takes a name the header gives another column: ``lat,lat,lat.1`` is
    ``lat, lat.2, lat.1`` (the second ``lat`` named ``lat.1`` made two columns of one name,
    and a frame's column of that name a frame of two).
    """
    given = [raw.strip() or f"column_{i + 1}" for i, raw in enumerate(names)]
    taken = set(given)
    out: list[str] = []
    seen: dict[str, int] = {}
    for name in given:
        if name in seen:
            k = seen[name] + 1
            while f"{name}.{k}" in taken:
                k += 1
            seen[name] = k
            name = f"{name}.{k}"
            taken.add(name)
        else:
            seen[name] = 0
        out.append(name)
    return out


def source_bytes(path: Path, data: bytes | None, expected: str) -> bytes:
    """Return ``data``, or the file's bytes; refuse an unreadable or empty file in one line."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceUnreadable(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise SourceUnreadable(f"{path.name}: file is empty (expected {expected})")
    return data


def read_text_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    data: bytes | None = None,
    usecols: Sequence[str] | None = None,
    find_header: bool = False,
    records_trailing: bool | None = None,
    line_offset: int = 0,
    names_ours: bool = False,
    header_again: bool = False,
    header_units: dict[str, str] | None = None,
) -> TextTable:
    """Read a delimited text file as strings, collecting ragged rows instead of failing.

    Parameters
    ----------
    path : Path
        The file (its name labels messages and rejects).
    encoding, delimiter : str, optional
        Forced text encoding and delimiter (None: detect).
    data : bytes, optional
        The file's bytes when they come from elsewhere (a zip member); ``path`` then only
        names it.
    usecols : sequence of str, optional
        Keep only these columns in ``frame`` (every line is still checked for its number of
        fields).
    find_header : bool, default False
        Skip title lines above the header (a report's name, an export date): lines with at
        most one value before the first line that has as many fields as the records below
        it.  Line numbers stay physical; a note says what was skipped.
    records_trailing : bool, optional
        Whether the records below a header that does not end with the delimiter do (an
        empty column past the named ones, one delimiter dropped from each line): None
        decides on the first 64 KiB, as :attr:`TextTable.records_trailing` then says; a
        file read in chunks gives every chunk the decision of the first (each chunk
        deciding on its own read a file whose shape changes further on otherwise than whole).
    line_offset : int, default 0
        Physical lines of the file above ``data``'s first line that its numbering does not
        count (a chunk's lines counted from the header put in front of it, a ``.plt`` body's
        from the names put in place of its six header lines): added to the line numbers
        written in the notes and the rejects' messages.  ``lines`` and the rejects' ``row``
        are not shifted by it (the caller does).
    names_ours : bool, default False
        ``data``'s first line is the names :func:`header_for_records` gave a file without a
        header (a later chunk of it): the notes word it so, as the first chunk's do.
    header_again : bool, default False
        A record that is the header line again (files joined end to end, ``cat a.csv
        b.csv``; see :func:`header_again_pattern`) is no record: it goes to ``bad_rows``
        (``repeated_header``), and so does a units row below it naming the units of the
        file's own (:func:`units_row`); one naming others is refused.
    header_units : dict, optional
        The file's units row (a later chunk, whose first line is the header put in front of
        it): the line below that header is then no units row, and a units row below a
        repeated header is compared with these.

    Raises
    ------
    SourceUnreadable
        If the file is missing, empty or not a delimited table.
    InputError
        With ``header_again``, a units row below a repeated header naming other units than
        the file's first one (or than none).
    """
    name = path.name
    data = source_bytes(path, data, "a header line and records")
    if b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceUnreadable(
            f"{name}: looks binary (NUL bytes in the first 4 KiB), not a delimited text file"
        )
    data, enc, notes = decode_bytes(data, name, encoding)
    data, more = _normalise_text(data, name)
    notes += more
    head = data[: 1 << 16].decode("utf-8", errors="ignore")
    if head.lstrip()[:1] in ("<", "{", "["):
        raise SourceUnreadable(
            f"{name}: starts with {head.lstrip()[:20]!r}: looks like HTML/XML/JSON, not CSV"
        )
    if re.match(r"\s*(?:\\[^\\]*\\)?[!$][A-Z]{2}(?:VDM|VDO),", head):
        raise SourceUnreadable(
            f"{name}: raw AIS sentences ({head.lstrip()[:14]!r}...), not a table: vessel "
            "positions, read as a track file (inputs.tracks, format: auto or nmea)"
        )
    if re.match(r"\s*[!$][A-Z]{2}(?:RMC|GGA|GLL),", head):
        raise SourceUnreadable(
            f"{name}: raw NMEA GPS sentences ({head.lstrip()[:14]!r}...) are not positions yet; "
            "convert them first (e.g. gpsbabel -i nmea -f in.txt -o gpx -F out.gpx)"
        )
    sep_line = SEP_LINE.match(head)
    if sep_line:
        # Excel's 'sep=;' line names the delimiter above the header (read as the header,
        # the file had one column 'sep=' and no positions)
        data = data[data.index(b"\n") + 1 :]
        head = data[: 1 << 16].decode("utf-8", errors="ignore")
        delimiter = delimiter or sep_line.group(1)
        notes.append(
            f"{name}: line 1 {sep_line.group(0).strip()!r} (a spreadsheet's delimiter line) "
            "skipped; the table starts on line 2"
        )
    pre = 1 if sep_line else 0  # physical lines above the data now read
    skipped = 0
    trailing = False
    stripped = note_at = 0  # the first line whose trailing delimiter is dropped (0: none)
    if find_header:
        skipped, delim = title_lines(head, delimiter)
        if skipped:
            cut = 0
            for _ in range(skipped):
                cut = data.index(b"\n", cut) + 1
            titles = [t for t in head.split("\n")[:skipped] if t.strip()]
            notes.append(
                f"{name}: {skipped} line(s) above the header skipped as a title or a row "
                f"of column groups ({titles[:2]!r}); the header is line {pre + skipped + 1}"
            )
            data = data[cut:]
            head = data[: 1 << 16].decode("utf-8", errors="ignore")
    else:
        delim = delimiter or sniff_delimiter(head)
    first_end = data.find(b"\n")
    if first_end >= len(head.encode("utf-8")) - 1:  # a header line longer than the sample
        head = data[: first_end + 1].decode("utf-8", errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(head), delimiter=delim), [])
    except csv.Error as exc:
        raise SourceUnreadable(f"{name}: unreadable header line: {exc}") from exc
    named = None if skipped else header_for_records(head, delim, name, pre + 1)
    if named is not None:
        # no header: the first line is a record (read as the header, it was lost unseen)
        line = (named + "\n").encode("utf-8")
        data, head = line + data, named + "\n" + head
        notes.append(headerless_note(name, header, delim, named))
        header = next(csv.reader([named], delimiter=delim))
    units: dict[str, str] = {}
    below = (
        data.find(b"\n", first_end + 1)
        if named is None and first_end >= 0 and header_units is None
        else -1
    )
    if below > first_end and (found := units_row(data[first_end + 1 : below], header, delim)):
        # ERDDAP's .csv: the line below the header gives each column's unit.  Read as a
        # record it was rejected, its units lost; it is taken out of the parse (the lines
        # below it keep their physical numbers, shifted back after the parse).
        units, row_line = found, data[first_end + 1 : below]
        row_text = row_line.decode("utf-8", errors="replace")
        data = data[: first_end + 1] + data[below + 1 :]
        head = data[: 1 << 16].decode("utf-8", errors="ignore")
        notes.append(
            f"{name}: line {line_offset + pre + skipped + 2} {row_text[:120]!r} is the header's "
            "units row (ERDDAP): not a record; units "
            + ", ".join(f"{c!r}: {u!r}" for c, u in units.items())
        )
    tags = False  # HXL's row of hashtags below the header (a no-record line, as units)
    if not units and below > first_end and hxl_tags_row(data[first_end + 1 : below], header, delim):
        # The Humanitarian Data Exchange's exports (ACLED's country files among them) write
        # a row of HXL hashtags below the header ('#date,#geo+lat,#geo+lon'): read as a
        # record it was rejected as coord_unparseable, a misleading rule for no record
        row_text = data[first_end + 1 : below].decode("utf-8", errors="replace")
        data = data[: first_end + 1] + data[below + 1 :]
        head = data[: 1 << 16].decode("utf-8", errors="ignore")
        tags = True
        notes.append(
            f"{name}: line {line_offset + pre + skipped + 2} {row_text[:120]!r} is the header's "
            "row of HXL hashtags (Humanitarian Data Exchange): not a record"
        )
    if len(header) > 1 and not header[-1].strip():
        # Exports that end every line with the delimiter (a trailing empty column) often
        # forget it on the last line: drop one trailing delimiter from every line instead
        # of losing that record as ragged.
        header = header[:-1]
        stripped, note_at = 1, len(notes)  # from the header line on
    elif len(header) > 1 and (
        records_trailing
        if records_trailing is not None
        else _records_end_with_delimiter(head, delim, len(header))
    ):
        # The reverse shape (a spreadsheet's export of a sheet with one empty column past
        # the named ones): every record below a plain header ends with the delimiter.  Read
        # as ragged, every record of the file was rejected.
        trailing = True
        stripped, note_at = 2, len(notes)  # from the line below the header on
    names = _unique_names(header)
    if not names:
        raise SourceUnreadable(f"{name}: no header line found")
    if units:
        # keyed by the columns' names as read ('sog' of a header ' sog', 'lat.1' of its
        # second 'lat'): keyed by the header's text, a unit missed its column (a speed in
        # m s-1 under ' sog' read as knots) or took another's of the same name
        units = units_row(row_line, names, delim) or units
    if len(names) > MAX_COLUMNS:  # every column is looked at by the inference: bound it
        raise SourceUnreadable(
            f"{name}: the header names {len(names)} columns, more than {MAX_COLUMNS}: not a "
            "table of records as exported; keep the columns the records need"
        )
    keep = [c for c in names if c in set(usecols)] if usecols is not None else None
    # the line numbers written in notes and messages are physical lines of the file: the
    # names put in front of a headerless file's first record are no line of it, skipped
    # title lines are (the numbers below are shifted so after the parse)
    worded = (
        line_offset + pre + skipped - (1 if named is not None else 0) + (1 if units or tags else 0)
    )
    again = (
        _headers_again(data, names, delim)
        if header_again and named is None and not names_ours
        else None
    )
    if stripped:
        # The line ends inside a quoted value (a note of several lines) are no record's
        # end: their delimiter is the value's own; _parse_table finds them and keeps it.
        original = data
        # ',""' (an empty quoted value) is the empty last field where the records end so
        # below a plain header, or below a header whose own empty name is "": below a
        # header ending with a bare delimiter, a record ending with ,"" has the header's
        # last column empty (read so before be3bfcb; dropped, every record was ragged)
        quoted_too = stripped == 2 or original[: original.find(b"\n")].endswith(
            f'{delim}""'.encode()
        )
        data, dropped = _strip_trailing_delimiter(
            data, delim, first_line=stripped, empty_quoted=quoted_too
        )
        restore = (original, stripped, dropped, quoted_too)
        table = _parse_table(data, name, names, delim, notes, keep, restore=restore, shift=worded)
        plain, quoted = table.trailing_dropped
        ended = plain + quoted
        lines = data.count(b"\n") - table.inner_line_ends
        # an all-quoted export writes the empty last column as "" (',""' ends each record)
        empty = f'{delim}""'
        if stripped == 2 and (named is not None or names_ours):
            # no header line (the names are ours): every line counted is a record
            said = [
                f"{name}: {plain} of the lines end with {delim!r} (no header line); the "
                "empty last column is ignored",
                f"{name}: {quoted} of the lines end with {empty!r}, an empty quoted value "
                "past the other columns (no header line); it is ignored",
            ]
        elif stripped == 2:  # counted so that a file's chunks' notes add up to the whole's
            said = [
                f"{name}: {plain} of the lines below the header end with {delim!r} "
                "(the header does not); the empty last column is ignored",
                f"{name}: {quoted} of the lines below the header end with {empty!r}, an "
                "empty quoted value past the named columns (the header does not); it is "
                "ignored",
            ]
        if stripped == 2:
            table.notes[note_at:note_at] = [
                t for t, n in zip(said, (plain, quoted), strict=True) if n
            ]
        else:
            # worded by the header (in every chunk), not by the lines of one chunk
            end = empty if original[: original.find(b"\n")].endswith(empty.encode()) else delim
            table.notes.insert(
                note_at,
                f"{name}: every line ends with {end!r}; the empty last column is ignored"
                if ended >= lines - 1  # the last line may have forgotten it
                else f"{name}: the header and {ended - 1} of the {lines - 1} lines below it "
                f"end with {end!r}; the empty last column is ignored",
            )
    else:
        table = _parse_table(data, name, names, delim, notes, keep, shift=worded)
    table.encoding = enc
    table.records_trailing = trailing
    if again is not None:
        first_units = header_units if header_units is not None else units
        _drop_headers_again(table, again, first_units, name, worded)
    if named is not None:  # the line in front of the first record is no line of the file
        table.lines = table.lines - 1
        table.bad_rows["row"] = table.bad_rows["row"] - 1
        table.header_line = 0
    if units or tags:  # the units (or hashtags) row is a line of the file above every record
        table.lines = table.lines + 1
        table.bad_rows["row"] = table.bad_rows["row"] + 1
        table.units = units
    if skipped or pre:
        table.lines = table.lines + skipped + pre
        table.bad_rows["row"] = table.bad_rows["row"] + skipped + pre
        table.header_line = 0 if named is not None else pre + skipped + 1
    return table


#: Units as ERDDAP (UDUNITS/CF) writes them in a ``.csv``'s second line (``UTC``,
#: ``degrees_north``, ``m s-1``, ``knots``, ``kg``, ``1``): symbols, joined by a space, ``.``,
#: ``/`` or ``*``, each with an optional power (``s-1``, ``m^2``); ``1`` (dimensionless).
#: Units of another convention (``degrees_south``, ``radians``, ``ft``) are units too: a row
#: of them is a units row, and the reader refuses them where they stand over a column it
#: reads (:func:`refuse_role_units`); read as a record, the row was rejected, its units lost.
_UNIT_SYMBOLS = (
    "utc|gmt|z|degrees?_(?:north|east|south|west|true|n|e|s|w|t|c|celsius|k)|degrees?|deg"
    "|radians?|rad|celsius|kelvin|k"
    "|knots?|kts?|kn|nmi|mi|mph|m|km|cm|mm|ft|feet|foot|s|sec|seconds?|min|minutes?|h|hr"
    "|hours?|days?|kg|g|mg|t|tonnes?|tons?|lbs?|oz|count|counts|percent|%|psu|dbar|hpa|pa"
    "|mbar|mb|w|l|ntu"
)
_UNIT_TEXT = re.compile(
    rf"(?:{_UNIT_SYMBOLS})(?:\^?-?\d)?(?:[ ./*](?:{_UNIT_SYMBOLS})(?:\^?-?\d)?)*"
    r"|(?:(?:milli)?seconds|minutes|hours|days) since \d{4}-\d\d-\d\d(?:[T ][0-9:.]+Z?)?|1",
    re.IGNORECASE,
)
#: Units only a units row holds (a record's field is never one): one alone makes the row.
_UNITS_OF_ERDDAP = re.compile(r"utc|degrees?_(?:north|east|south|west)|\w+ since .*", re.IGNORECASE)
#: Units of a position or of ERDDAP's numeric time: no record holds one (a time zone
#: column's ``UTC`` may be a record's).
_POSITION_UNITS = re.compile(r"degrees?_(?:north|east|south|west)|\w+ since .*", re.IGNORECASE)
#: Any unit as UDUNITS writes it (``umol kg-1``, ``1e-3``, ``W m-2``, ``mmol/m^3``, ``degree_C``).
_UDUNITS_TEXT = re.compile(
    r"(?:[^\W\d]+\^?-?\d*|\d+(?:\.\d+)?(?:e-?\d+)?)(?:[ ./*](?:[^\W\d]+\^?-?\d*|\d+))*"
    r"|\w+ since [0-9T:. Z-]+",
    re.IGNORECASE,
)
#: Units a record's field may hold as a value (a unit column's ``kg``, a code ``m``, a
#: count ``1``): a row of these alone is a record, whatever else it looks like
#: (``,,,1,kg,``, a seizure whose position is missing, was dropped as a units row).
_UNITS_LIKE_VALUES = re.compile(
    r"1|[^\W\d_%]{1,3}|%|tonnes?|tons|counts?|percent|pounds?|ounces?", re.IGNORECASE
)


def units_row_report(units: dict[str, str], header_line: int) -> dict[str, Any]:
    """Return the ``units_row`` assumption: the line of a file's units row and its units.

    A column in ``UTC`` (ERDDAP's unit of its ``time``) is named: its times without a zone
    are UTC by the file's word, not only by the reader's default.
    """
    utc = [c for c, u in units.items() if u.upper() in ("UTC", "GMT", "Z")]
    return {
        "line": header_line + 1,
        "units": dict(units),
        "evidence": "the line below the header names a unit (or none) for each column, as "
        "ERDDAP's .csv writes it: not a record; the units are read as the header's",
        **({"utc_columns": utc} if utc else {}),
    }


#: One HXL hashtag (the Humanitarian Exchange Language): ``#geo+lat``, ``#date +occurred``.
_HXL_TAG = re.compile(r"(?a)#[a-z][a-z0-9_]*(?:\s*\+\s*[a-z][a-z0-9_]*)*", re.IGNORECASE)


def hxl_tags_row(line: bytes, header: Sequence[str], delim: str) -> bool:
    """Whether ``line`` (the one below the header) is a row of HXL hashtags.

    The Humanitarian Data Exchange's tables carry one (``#event+code,#date,#geo+lat``):
    a field per column, each empty or a hashtag, two of them given at least.  No record of
    a seizures or track file is one (its position is no hashtag).
    """
    try:
        fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=delim), [])
    except csv.Error:
        return False
    return hxl_tags_of_fields(fields, header)


def hxl_tags_of_fields(fields: Sequence[Any], header: Sequence[str]) -> bool:
    """:func:`hxl_tags_row`'s rule, for a row already split into fields (a workbook's row)."""
    if len(fields) == len(header) + 1 and not str(fields[-1]).strip():
        fields = fields[:-1]
    given = [str(f).strip() for f in fields if str(f).strip()]
    return (
        len(fields) == len(header) and len(given) >= 2 and all(_HXL_TAG.fullmatch(f) for f in given)
    )


def units_row(line: bytes, header: Sequence[str], delim: str) -> dict[str, str]:
    """Return ``{column: unit}`` when ``line`` (the one below the header) is a row of units.

    ERDDAP's ``.csv`` writes one: a field per column, each empty or a unit (``UTC``,
    ``degrees_north``, ``m s-1``).  It is one when every non-empty field is a unit, one
    has a letter, one is no value a record holds (not ``1``, ``m``, ``kg``, ``count``:
    ``UTC``, ``degrees_north``, ``m s-1``, ``knots``), and two are given or one only a
    units row holds (``UTC``, ``degrees_north``, ``... since 1970-01-01``): a record of
    one lone ``kg``, or of ``1`` and ``kg``, stays a record.  An empty dict otherwise.
    """
    try:
        fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=delim), [])
    except csv.Error:
        return {}
    return units_of_fields(fields, header)


def units_of_fields(fields: Sequence[str], header: Sequence[str]) -> dict[str, str]:
    """Return ``{column: unit}`` when the ``fields`` of the row below the header are units.

    :func:`units_row`'s rule, for a row already split into fields (a workbook's row).  A
    row ending with one delimiter more than the header (as every record of the file may,
    :func:`read_text_table`'s ``records_trailing``) names the same columns.
    """
    if len(fields) == len(header) + 1 and not fields[-1].strip():
        fields = fields[:-1]
    if len(fields) != len(header) or len(header) < 2:
        return {}
    given = {h: f.strip() for h, f in zip(header, fields, strict=True) if f.strip()}
    if not given:
        return {}
    # beside a position's unit no record holds (degrees_north), any UDUNITS text is a unit
    # (a sensor's 'umol kg-1', '1e-3'): one unknown unit made the row a record, rejected,
    # and its speed's 'm s-1' was lost
    known = _UNIT_TEXT if not any(_POSITION_UNITS.fullmatch(u) for u in given.values()) else None
    if not all((known or _UDUNITS_TEXT).fullmatch(u) for u in given.values()):
        return {}
    if not any(re.search(r"[^\W\d_]|%", u) for u in given.values()):
        return {}
    if not any(
        _UNITS_OF_ERDDAP.fullmatch(u) or not _UNITS_LIKE_VALUES.fullmatch(u) for u in given.values()
    ):
        return {}
    if len(given) < 2 and not any(_UNITS_OF_ERDDAP.fullmatch(u) for u in given.values()):
        return {}
    return given


#: The units a column read for a role may be in, as a units row or a ``.csvp`` header
#: (``latitude (degrees_north)``) names them; any other unit there is refused
#: (:func:`refuse_role_units`).  Unix time in milliseconds is told from seconds by its size.
_ROLE_UNITS = {
    "lat": (
        "latitude",
        "degrees north (degrees_north)",
        r"(?:°|deg(?:rees?)?)(?:[ _]?n(?:orth)?)?|°?n|north",
    ),
    "lon": (
        "longitude",
        "degrees east (degrees_east)",
        r"(?:°|deg(?:rees?)?)(?:[ _]?e(?:ast)?)?|°?e|east",
    ),
    "cog": ("course", "degrees (degrees_true)", r"deg(?:rees?)?(?:[ _]?t(?:rue)?)?|t(?:rue)?"),
    "time": (
        "time",
        "UTC or seconds since 1970-01-01T00:00:00Z (Unix time)",
        r"(?:utc|gmt|z)(?:[ /,]+(?:utc|gmt|z))*"
        r"|(?:milli)?seconds? since 1970-01-01(?:[T ]00:00(?::00(?:\.0+)?)?)?"
        r" ?(?:z|utc)?",
    ),
}
_HEADER_UNIT = re.compile(r".*\(([^()]*)\)\s*")
#: The minutes and seconds after a position's degrees (``deg min sec``): a layout, no unit.
_SEXAGESIMAL_PARTS = re.compile(r"[ ,]+(?:min(?:utes?)?|sec(?:onds?)?)(?=$|[ ,])", re.IGNORECASE)
#: A hemisphere in a header's brackets (``Longitude (deg W)``, ``(°W)``, ``(degrees west)``):
#: stated as a unit is, and judged so (a longitude west was read as east).
_HEMISPHERE = re.compile(
    r"(?:°|deg(?:rees?)?)?[ _]?(?:[nsew]|north|south|east|west)", re.IGNORECASE
)


def header_says_minutes(column: str) -> bool:
    """Whether a position column's header gives its values' layout as degrees and minutes."""
    found = _HEADER_UNIT.fullmatch(str(column))
    return bool(found and _SEXAGESIMAL_PARTS.search(found.group(1)))


def stated_unit(column: str, units: dict[str, str] | None) -> tuple[str, str] | None:
    """Return ``(unit, where)`` a column's unit is stated, or None where none is.

    The unit of the units row below the header (ERDDAP's ``.csv``), else the one in
    brackets ending the header (``.csvp``'s ``latitude (degrees_north)``) when it is a unit
    or a hemisphere (``Longitude (°W)``; ``Latitude (WGS84)`` names none).
    """
    if units and units.get(column):
        return units[column], "the units row below the header"
    found = _HEADER_UNIT.fullmatch(str(column))
    if found and (
        _UNIT_TEXT.fullmatch(said := found.group(1).strip()) or _HEMISPHERE.fullmatch(said)
    ):
        return said, "its header"
    return None


def refuse_role_units(
    pick: dict[str, str | None],
    units: dict[str, str] | None,
    name: str,
    crs: object | None = None,
) -> None:
    """Refuse a unit stated over a latitude, longitude, course or time other than the one read.

    The units read are :data:`_ROLE_UNITS`'s.  Ignored before, ``degrees_south`` over a
    latitude read as north, ``radians`` as degrees, ``seconds since 2000-01-01`` as Unix
    time (30 years early), with exit 0.  With a ``crs`` set the positions are in its units
    (eastings and northings in metres): their columns' units are not judged here.

    Raises
    ------
    InputError
        Naming the column, its unit, where it is stated and the units read.
    """
    for role, (label, expected, pattern) in _ROLE_UNITS.items():
        column = pick.get(role)
        if crs is not None and role in ("lat", "lon"):
            continue
        if not column or (said := stated_unit(column, units)) is None:
            continue
        unit, where = said
        # 'Latitude (deg min)', '(degrees minutes seconds)': the values' layout (12 30.5),
        # degrees written sexagesimally, read as such; the degrees and hemisphere judged
        core = _SEXAGESIMAL_PARTS.sub("", unit) if role in ("lat", "lon") else unit
        if not re.fullmatch(pattern, core, re.IGNORECASE):
            linear = role in ("lat", "lon") and re.fullmatch(
                r"m|km|ft|feet|metres?|meters?", unit, re.IGNORECASE
            )
            raise InputError(
                f"{name}: column {column!r}, read as the {label}, is in {unit!r} ({where}); "
                f"only {expected} is read: "
                + (
                    "set crs: in the config to the projection of these coordinates"
                    if linear
                    else "convert the values (or correct the unit) first"
                )
            )


#: Excel's first line naming the delimiter (``sep=;``), above the header.
SEP_LINE = re.compile(r"sep=([^\n\r])[ \t]*\n", re.IGNORECASE)


#: Columns a delimited table may have (GTD, among the widest incident exports, has ~135).
MAX_COLUMNS = 1000

#: A date, a date and time, or a time of day as exports write them: a header names a column,
#: it is never one (``2008-02-02 15:36:08``, ``12/03/2021``, ``5-Jan-2024``, ``02:53:04``).
_DATE_CELL = re.compile(
    r"(?:(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[-/ ][^\W\d_]{3,9}\.?[-/ ]\d{2,4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|GMT|[-+]\d{2}:?\d{2})?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)",
    re.IGNORECASE,
)


def _cell_kind(value: str) -> str:
    """Say what one cell of a table holds: 'number', 'date', 'blank' or 'text'.

    A missing-value token (``NA``, ``NaN``, ``null``, ``-``: :data:`MISSING_TOKENS`) is
    blank: as text, one in a headerless file's first record over a column of numbers made
    that record the header (lost with no reject, its values the columns' names).
    """
    v = value.strip()
    if v.lower() in MISSING_TOKENS:
        return "blank"
    if _NUMBER_CELL.fullmatch(v):
        return "number"
    return "date" if _DATE_CELL.fullmatch(v) else "text"


def header_for_records(head: str, delim: str, name: str = "the table", line: int = 1) -> str | None:
    """Return a header line naming the columns ``field_1``... when a table has none.

    The names are QGIS's for a headerless text layer (neutral words: 'column' is vetoed as
    a vessel id, Power Query's ``Column1`` of a row number).

    ``head`` is the start of the text (LF line ends).  Headerless exports are common (the
    T-Drive taxi files, ``1,2008-02-02 15:36:08,116.51172,39.92123``; loggers' and scripts'
    dumps): read as the header, their first record was lost with no reject, and its values
    became the column names.  The first line is a record when at least two of its fields are
    numbers or dates, each over a column whose values below are mostly of the same kind,
    and no column whose values are numbers (or dates) has a name over it; the values below
    are those of the rows with as many fields (ragged rows, however many, decide nothing).
    None: the first line is a header.  A first line ending with an empty field past the
    others (records that end with the delimiter) names one column fewer.

    Raises
    ------
    InputError
        If the first line holds two numbers or dates or more and no line below it has as
        many fields: it can be told neither a header nor a record (``name`` is the file's,
        ``line`` the first line's physical line).
    """
    lines = head.split("\n")
    if not head.endswith("\n"):
        lines = lines[:-1]  # the sample may end inside a line
    try:
        rows = [r for r in csv.reader(lines[:200], delimiter=delim) if any(v.strip() for v in r)]
    except csv.Error:
        return None
    if not rows or len(rows[0]) < 2:
        return None
    if _numbered_columns(rows[0]):
        return None
    if len(rows) == 1:
        # one line: a record when it holds only numbers and dates (two at least), as a
        # header never does; read as a header, a one-record file was read as empty
        kinds = [_cell_kind(v) for v in rows[0]]
        if sum(k in ("number", "date") for k in kinds) < 2 or "text" in kinds:
            return None
        n = len(rows[0]) - (1 if not rows[0][-1].strip() else 0)
        return delim.join(f"field_{i}" for i in range(1, n + 1))
    first = rows[0]
    kinds = [_cell_kind(v) for v in first]
    if sum(k in ("number", "date") for k in kinds) < 2:
        return None
    # The first line is judged by the rows of its shape (as many fields, or one fewer when it
    # ends with an empty field): the others are ragged whichever it is, and their share says
    # nothing of it (with a fifth of the rows ragged, a headerless file's first record was
    # read as the header, lost unseen).  A first line of numbers or dates that no row below
    # matches is neither a header of this table nor one of its records: refused, not guessed.
    fits = {len(first), len(first) - (0 if first[-1].strip() else 1)}
    below = [r for r in rows[1:] if len(r) in fits][:50]
    if not below:
        counts = ", ".join(str(n) for n in sorted({len(r) for r in rows[1:]}))
        raise InputError(
            f"{name}: line {line} ({delim.join(first)[:60]!r}) holds {len(first)} fields with "
            f"numbers or dates, and none of the {len(rows) - 1} lines below it has as many "
            f"(they have {counts}): neither a header of these records nor one of them; "
            f"correct line {line} (a header naming the columns, or a record with as many "
            "fields as the others)"
        )
    for j, kind in enumerate(kinds):
        seen = [k for k in (_cell_kind(r[j]) for r in below if j < len(r)) if k != "blank"]
        if not seen:
            continue
        for typed in ("number", "date"):
            share = seen.count(typed) / len(seen)
            if kind == typed and share < 0.5:
                return None  # a number over a column of other values: a name after all
            if share >= 0.9 and kind not in (typed, "blank"):
                return None  # a name over a column of numbers: the header
    n = len(first) - (1 if not first[-1].strip() else 0)
    return delim.join(f"field_{i}" for i in range(1, n + 1))


def _numbered_columns(first: list[str]) -> bool:
    """Whether a first line names its columns by number: ``0,1,2`` or ``1,2,3``.

    pandas writes a frame without column names so (``,0,1,2`` with its index), as do
    numpy/R exports; a record of consecutive whole numbers from 0 or 1 is no position.
    Read as a record, the header became a bogus first record (read one too many).
    """
    cells = [v.strip() for v in first]
    if cells and not cells[0]:
        cells = cells[1:]  # the index's blank name
    if len(cells) < 2 or not all(c.isdigit() for c in cells):
        return False
    start = int(cells[0])
    return start in (0, 1) and [int(c) for c in cells] == list(range(start, start + len(cells)))


#: The ``header_line`` assumption of a table without a header (its first line a record).
NO_HEADER = "none: the first line is a record; the columns are named field_1, field_2, ..."


def headerless_note(name: str, first: list[str], delim: str, named: str) -> str:
    """Word the note of a table read without a header (:func:`header_for_records`)."""
    n = named.count(delim) + 1
    shown = delim.join(first)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return (
        f"{name}: no header line: the first line ({shown!r}) holds numbers and dates like the "
        f"records below it and is read as a record; the {n} columns are named field_1 to "
        f"field_{n} (map them in the input's columns:, e.g. columns: {{lat: field_2}})"
    )


def title_lines(head: str, delimiter: str | None) -> tuple[int, str]:
    """Return (title lines above the header, delimiter) of the start of a text table.

    Titles are leading lines holding at most one value; the header is the first line after
    them that has at least two, with a delimiter that gives most of the next lines as many
    fields.  A first line of two values or more is the header, as always.
    """
    lines = head.split("\n")[:200]
    if len(lines) > 1 and not head.endswith("\n"):
        lines = lines[:-1]  # the sample may end inside a line
    plain = 0, delimiter or sniff_delimiter(head)
    candidates = [delimiter] if delimiter else [",", ";", "\t", "|"]
    for k in range(min(20, len(lines) - 1)):
        rest = [ln for ln in lines[k + 1 :] if ln.strip()][:50]
        for delim in candidates:
            try:
                fields = next(csv.reader([lines[k]], delimiter=delim), [])
                rows = list(csv.reader(rest, delimiter=delim))
            except csv.Error:
                return plain
            if len([f for f in fields if f.strip()]) < 2:
                continue
            if _group_row(fields, rest, delim):
                return k + 1, delim  # a row of column groups, under titles or not
            if k == 0:
                return plain
            # a record of the header's fields, or of one more left empty (the records end
            # with the delimiter, the header does not: read_text_table drops it)
            fit = sum(
                len(r) == len(fields) or (len(r) == len(fields) + 1 and not r[-1].strip())
                for r in rows
            )
            if rows and fit >= 0.8 * len(rows):
                return k, delim
        if k and any(len([f for f in lines[k].split(d) if f.strip()]) >= 2 for d in candidates):
            return plain  # a line of several values that heads no table: not a title
    return plain


def header_again_pattern(header: bytes, delim: str) -> re.Pattern[bytes]:
    """Return the pattern of a line that is ``header`` again (files joined end to end).

    It matches a line end followed by a line of the header's fields, in its order, each
    quoted or not, with blanks around it and in any ASCII case, the line maybe ending with
    one delimiter more (the lookahead leaves the line's own end unmatched).  A field may be
    blank, as the seizures reader's check of a record lets it be (a second export's header
    with a column it left unnamed): at least two fields name their columns.  ``header`` is
    the header line as UTF-8 without its line end.
    """
    text = header.decode("utf-8", errors="replace").rstrip("\r")
    try:
        fields = next(csv.reader([text], delimiter=delim), [])
    except csv.Error:
        fields = text.split(delim)
    if len(fields) > 1 and not fields[-1].strip():
        # a header ending with the delimiter (read_text_table drops it): the other export's
        # may not, and the optional delimiter below takes the one that does
        fields = fields[:-1]
    sep = re.escape(delim.encode())
    # a field quoted or not, never half quoted: a line matched is a whole record's line (a
    # quote it opened would make the lines below part of its last value)
    names = [re.escape(f.strip().encode()) for f in fields]
    cells = [rb'[ \t]*(?:"' + n + rb'"|' + n + rb'|"")?[ \t]*' for n in names]
    line = sep.join(cells) + rb"(?:" + sep + rb"[ \t]*)?\r?(?=\n)"
    # two fields not blank (a line of delimiters only is no header): looked for once the
    # line is the header's fields, so a record fails at its first field as before
    filled = rb'[^\n]*?[^\s"' + sep + rb"][^\n]*?" + sep + rb'[^\n]*?[^\s"' + sep + rb"]"
    return re.compile(rb"\n(?=" + line + rb")(?=" + filled + rb")" + line, re.IGNORECASE)


@dataclass
class _HeadersAgain:
    """Lines (of a table's text, its header line 1) that are the header again, and below."""

    lines: np.ndarray  # int64: the header again
    texts: list[str]
    below: np.ndarray  # int64: the line below each that is a units row
    below_units: list[dict[str, str]]
    below_texts: list[str]
    #: (line, text) of the lines naming the header's columns in another order
    reordered: list[tuple[int, str]] = field(default_factory=list)


def _headers_reordered(data: bytes, delim: str) -> list[tuple[int, str]]:
    """Return (line, text) of the lines of ``data`` that name its header's columns reordered.

    Another export's header (``time,longitude,latitude`` below ``time,latitude,longitude``,
    files joined end to end): every column named once, ASCII case and blanks aside, in
    another order.  Its records were read under the first header's columns.
    """
    first_end = data.find(b"\n")
    text = data[: max(first_end, 0)].decode("utf-8", errors="replace").rstrip("\r")
    try:
        fields = next(csv.reader([text], delimiter=delim), [])
    except csv.Error:
        return []
    if len(fields) > 1 and not fields[-1].strip():
        # a header ending with the delimiter: another export's header may not (below a
        # header 'time,latitude,longitude,', 'time,longitude,latitude' was read as records)
        fields = fields[:-1]
    named = sorted({f.strip() for f in fields if f.strip()}, key=len, reverse=True)
    if first_end < 0 or len(named) < 2:
        return []
    alt = b"|".join(re.escape(f.encode()) for f in named)
    cell = rb'[ \t]*(?:"(?:' + alt + rb')"|(?:' + alt + rb"))?[ \t]*"
    sep = re.escape(delim.encode())
    # a line's first character tells most records apart at C speed (a date, a number)
    heads = {f[:1].lower() for f in named} | {f[:1].upper() for f in named} | {'"', delim}
    first = b"".join(re.escape(h.encode()) for h in sorted(heads))
    # and every name somewhere on the line: a cell may be blank (a header's blank name), and
    # a spreadsheet's blank rows (',,,,', by the hundred thousand) each went to the loop below
    every = b"".join(rb"(?=[^\n]*" + re.escape(f.encode()) + rb")" for f in named)
    pattern = re.compile(
        rb"\n(?=[ \t]*["
        + first
        + rb"])"
        + every
        + sep.join([cell] * len(fields))
        + rb"(?:"
        + sep
        + rb"[ \t]*)?\r?(?=\n)",
        re.IGNORECASE,
    )
    own = [f.strip().casefold() for f in fields]
    found = []
    for m in pattern.finditer(data):  # few: a line of the header's names only
        line_text = m.group(0)[1:].decode("utf-8", errors="replace").rstrip("\r")
        try:
            cells = [c.strip().casefold() for c in next(csv.reader([line_text], delimiter=delim))]
        except csv.Error:
            continue
        if len(cells) == len(own) + 1 and not cells[-1]:
            cells = cells[:-1]
        if sorted(cells) == sorted(own) and cells != own:
            found.append((data.count(b"\n", 0, m.start() + 1) + 1, line_text))
    return found


def _headers_again(data: bytes, names: list[str], delim: str) -> _HeadersAgain:
    """Find the lines of ``data`` (LF ends, the header first) that are its header again.

    Few: one per file joined.  The line below each is looked at as a units row
    (:func:`units_row`).  Lines inside a quoted value are found too: only those where a
    record starts are taken out (:func:`_drop_headers_again`).
    """
    first_end = data.find(b"\n")
    pattern = header_again_pattern(data[: max(first_end, 0)], delim)
    starts = np.fromiter((m.start() for m in pattern.finditer(data)), dtype="int64")
    empty = np.zeros(0, dtype="int64")
    reordered = _headers_reordered(data, delim)
    if first_end < 0 or not len(starts):
        return _HeadersAgain(empty, [], empty, [], [], reordered)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    lines = np.searchsorted(ends, starts, side="right") + 1  # the line after that end
    texts, below, below_units, below_texts = [], [], [], []
    for at, line in zip(starts.tolist(), lines.tolist(), strict=True):
        end = data.find(b"\n", at + 1)
        texts.append(data[at + 1 : end].decode("utf-8", errors="replace").rstrip("\r"))
        nxt = data.find(b"\n", end + 1)
        row = data[end + 1 : nxt if nxt >= 0 else len(data)].rstrip(b"\r")
        found = units_row(row, names, delim) if row.strip() else {}
        if found:
            below.append(line + 1)
            below_units.append(found)
            below_texts.append(row.decode("utf-8", errors="replace"))
    return _HeadersAgain(
        lines.astype("int64"),
        texts,
        np.asarray(below, dtype="int64"),
        below_units,
        below_texts,
        reordered,
    )


def _drop_headers_again(
    table: TextTable, again: _HeadersAgain, units: dict[str, str], name: str, shift: int
) -> None:
    """Move the records that are the header again (and units rows below them) to bad rows.

    A units row below a repeated header that names other units than ``units`` (the file's
    first units row) is refused: read under the first one's units, the second export's
    speeds in knots were read as metres per second (1.94 times too fast), exit 0.  So is a
    record naming the header's columns in another order (another export's header): its
    records were read under the first header's columns (latitudes as longitudes).  A
    repeated header with no units row below it, below a first one with one, is refused too:
    its export's records would be read in the first one's units.
    """
    records_at = set(table.lines[np.isin(table.lines, [r[0] for r in again.reordered])].tolist())
    for line, text in again.reordered:
        if line in records_at:
            raise InputError(
                f"{name}: line {line + shift} {text[:120]!r} names the header's columns in "
                "another order (exports of other columns joined end to end): its records "
                "would be read under the first header's columns; read them as separate inputs"
            )
    heads = np.isin(table.lines, again.lines)
    start = set(table.lines[heads].tolist())  # a record starts there: no quoted value's line
    records = set(table.lines[np.isin(table.lines, again.below)].tolist())
    taken = [b for b in again.below.tolist() if b - 1 in start and b in records]
    below = np.isin(table.lines, taken)
    for line, found in zip(again.below.tolist(), again.below_units, strict=True):
        # below a repeated header a record starts: a units row there is compared even when
        # it is no record of the file's width (below a header ending with the delimiter,
        # the other export's 'UTC,...,knots,' lost that one and was a ragged row, its
        # knots read as m s-1)
        if line - 1 in start and found != units:
            first = dict(units) or "none"
            raise InputError(
                f"{name}: line {line + shift} is a units row below the header repeated "
                f"(exports joined end to end) naming {found!r}; the first one names "
                f"{first!r}: join files of the same units, or read them as separate inputs"
            )
    if units:
        # an export of the same columns without a units row (another tool's, or a units
        # row cut off) below the first one's: its records were read under the first one's
        # units (5 kn read as 9.72 kn under 'm s-1'), exit 0; the case turned round (a
        # units row below the repeated header only) is refused above
        bare = start - {b - 1 for b in again.below.tolist()}
        # a header line right below an unbalanced quote may be part of that value (a read
        # in chunks keeps it so, at a cut): not judged
        quoted = table.bad_rows["row"][table.bad_rows["rule"] == "unbalanced_quote"]
        kept = table.lines[~heads]
        for line in sorted(bare - {int(r) + 1 for r in quoted.tolist()}):
            if (kept > line).any():
                raise InputError(
                    f"{name}: line {line + shift} is the header repeated (exports joined end "
                    f"to end) with no units row below it; the first one names {dict(units)!r}: "
                    "the records below it would be read in those units; join files of the "
                    "same units, or read them as separate inputs"
                )
    drop = heads | below
    if not drop.any():
        return
    text_of = dict(zip(again.lines.tolist(), again.texts, strict=True))
    text_of.update(zip(again.below.tolist(), again.below_texts, strict=True))
    rows = table.lines[drop]
    rejects = pd.DataFrame(
        {
            "source_file": name,
            "row": rows,
            "column": "*",
            "value": [text_of[r][:200] for r in rows.tolist()],
            "rule": "repeated_header",
            "message": "the header line (or its units row) again (files joined end to end): "
            "not a record",
        },
        columns=list(REJECT_COLUMNS),
    )
    table.frame = table.frame[~drop].reset_index(drop=True)
    table.lines = table.lines[~drop]
    table.bad_rows = pd.concat([table.bad_rows, rejects], ignore_index=True)
    table.n_bad += len(rejects)


def _group_row(fields: list[str], rest: list[str], delim: str) -> bool:
    """Tell whether a text table's first line is a group row over the header.

    ``rest`` are the lines below it (the header first), split by ``delim``; see
    :func:`is_group_row`.
    """
    if all(f.strip() for f in fields) or len(rest) < 2:
        return False
    try:
        rows = list(csv.reader(rest[:20], delimiter=delim))
    except csv.Error:
        return False
    return is_group_row(fields, rows)


def is_group_row(fields: list[str], rows: list[list[str]]) -> bool:
    """Tell whether a first row is a group row over the header (a spreadsheet's merged cells).

    ``Incident,,Location,`` over ``Date,Type,Lat,Lon``: the first row names groups of
    columns, blank where a merged cell spans several, and the second row (``rows[0]``) is
    the header.  It is one only when the first row has blank cells between or after its
    values, the second row names every column (text, none a number) with more names than
    the first, none with digits where the records below mostly have them (that row is a
    record), and the records below it have the second row's fields and hold numbers.

    Parameters
    ----------
    fields : list of str
        The first row's cells as text (``""`` for an empty cell).
    rows : list of list of str
        The rows below it, the header candidate first.
    """
    named = [f.strip() for f in fields]
    if all(named) or len(rows) < 2:
        return False
    header, records = [f.strip() for f in rows[0]], rows[1:20]
    width = len(header)
    while header and not header[-1]:
        header.pop()  # a sheet's used range past the named columns (Excel's 'Vessel;;')
    # a name may repeat under different groups ('Date' under 'Reported' and under 'Seized'):
    # the header is still that line (its repeated names are then read as the header says)
    if len(header) < 2 or not all(header):
        return False
    if len(header) <= len([f for f in named if f]):
        return False
    if any(_NUMBER_CELL.fullmatch(f) or not re.search(r"[^\W\d_]", f) for f in header):
        return False
    fit = [r for r in records if len(r) in (width, len(header))]
    if len(fit) < 0.8 * len(records):
        return False
    # a header with a blank name (``Date,Vessel,,Lat,Lon``) over a first record of text
    # (``5-Jan-2024,MV Alpha,boarded,12°30'N,45°10'E``): that record is no header when a
    # cell of it has digits as the cells below it mostly do (a date, a DMS position)
    for j, cell in enumerate(header):
        if re.search(r"\d", cell):
            below = [bool(re.search(r"\d", r[j])) for r in fit]
            if below and sum(below) >= 0.5 * len(below):
                return False
    return any(_NUMBER_CELL.fullmatch(v.strip()) for r in fit for v in r)


_NUMBER_CELL = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


def _normalise_text(data: bytes, name: str) -> tuple[bytes, list[str]]:
    """Return the text with every line end as LF, a DOS end-of-file mark (Ctrl-Z) removed.

    A byte-order mark starting a line inside the file (files joined end to end) is removed.
    """
    notes = []
    if data.endswith(b"\x1a"):
        data = data.rstrip(b"\x1a")
        notes.append(f"{name}: trailing end-of-file mark (Ctrl-Z) removed")
    if b"\r" in data:
        if b"\n" not in data:
            notes.append(f"{name}: lines end with CR only (classic Mac); read as line ends")
        # One line end everywhere: the CSV parser takes a lone CR as a line end too, and the
        # physical line numbers of records and rejects must count what it counts.
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    boms = data.count(b"\n\xef\xbb\xbf")
    if boms:
        # files joined end to end (cat a.csv b.csv): the second one's BOM starts a line and
        # would be read into its first field ('\ufeffdate' is not the header 'date')
        data = data.replace(b"\n\xef\xbb\xbf", b"\n")
        notes.append(
            f"{name}: {boms} byte-order mark(s) at the start of a line inside the file (files "
            "joined end to end?) removed"
        )
    if not data.endswith(b"\n"):
        data += b"\n"  # the last record ends like the others (and a lone header parses)
    return data, notes


def _records_end_with_delimiter(head: str, delim: str, n_names: int) -> bool:
    """Whether the records in ``head`` below its header have one more field, left empty.

    ``head`` is the start of the text (the header line first); its last record may be cut,
    so it is left out unless the text ends there.  Blank lines are left out.  At least 90% of
    the records must have that shape (one with a value in the unnamed field stays a ragged
    record of its own); at least one record is needed.
    """
    text = head if head.endswith("\n") else head[: head.rfind("\n") + 1]
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delim))[1:]
    except csv.Error:
        return False
    records = [r for r in records if any(v.strip() for v in r)]
    shaped = sum(1 for r in records if len(r) == n_names + 1 and not r[-1].strip())
    return bool(records) and shaped >= 0.9 * len(records)


def _strip_trailing_delimiter(
    data: bytes,
    delim: str,
    first_line: int = 1,
    kept: np.ndarray | None = None,
    empty_quoted: bool = True,
) -> tuple[bytes, tuple[int, int]]:
    """Remove the empty last field of each line of ``data`` (LF line ends, the last too).

    The field is the delimiter right before the line end, or the delimiter and an empty
    quoted value ``""`` (an export that quotes every value).  Only from physical line
    ``first_line`` on, and never at the end of a line in ``kept`` (1-based: the line ends
    inside a quoted value).  ``empty_quoted``: whether ``,""`` is dropped too.  Returns the data
    and the number of lines of each kind whose field was removed.
    """
    d = delim.encode("utf-8")
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if len(d) != 1 or not len(ends):
        return data, (0, 0)

    def byte(at: np.ndarray, value: int) -> np.ndarray:
        return (at >= 0) & (arr[np.maximum(at, 0)] == value)

    plain = byte(ends - 1, d[0])
    # ',""' at a line end outside a value is a delimiter and an empty quoted value: a
    # quoted value ends with an odd number of quotes, and '""' inside one is no line end
    quoted = byte(ends - 1, 34) & byte(ends - 2, 34) & byte(ends - 3, d[0]) & empty_quoted
    for drop in (plain, quoted):
        drop[: first_line - 1] = False
        if kept is not None and len(kept):
            drop[kept - 1] = False
    if not (plain.any() or quoted.any()):
        return data, (0, 0)
    mask = np.ones(len(arr), dtype=bool)
    mask[ends[plain] - 1] = False
    for k in (1, 2, 3):
        mask[ends[quoted] - k] = False
    return arr[mask].tobytes(), (int(plain.sum()), int(quoted.sum()))


#: Bytes pyarrow parses at a time; one record must fit in a block.
_BLOCK_BYTES = 1 << 24
# The csv module refuses a field over 128 KiB by default (a traceback on a long narrative
# in the last record); pyarrow's block is the bound on a record here, so lift csv's.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def _arrow_table(
    data: bytes, name: str, names: list[str], delim: str, keep: list[str] | None = None
):
    """Parse ``data`` with pyarrow; return (table, bad rows as (number, text, expected, got))."""
    bad: list[tuple[int | None, str, int, int]] = []

    def on_bad(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    def parse(use_threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=use_threads, block_size=_BLOCK_BYTES
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=True, invalid_row_handler=on_bad
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=keep if keep is not None else [],
            ),
        )

    try:
        table = parse(True)
        if bad and any(b[0] is None for b in bad):
            bad.clear()
            table = parse(False)  # serial parsing knows the line number of each bad row
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if "straddl" in str(exc):  # pyarrow's words for a record longer than a block
            raise SourceUnreadable(
                f"{name}: a record is longer than {_BLOCK_BYTES >> 20} MiB (a huge field, or a "
                "quote opened and never closed): not a table this reader takes"
            ) from exc
        raise SourceUnreadable(f"{name}: not a readable delimited table: {exc}") from exc
    return table, bad


def _parse_table(
    data: bytes,
    name: str,
    names: list[str],
    delim: str,
    notes: list[str],
    keep: list[str] | None = None,
    restore: tuple[bytes, int, tuple[int, int], bool] | None = None,
    shift: int = 0,
) -> TextTable:
    """Parse ``data`` (LF line ends) into a :class:`TextTable` of physical lines.

    ``restore``: ``data`` is ``(original, first_line, dropped, empty_quoted)`` with the
    empty last field of every line from ``first_line`` on dropped
    (:func:`_strip_trailing_delimiter`, which counted ``dropped``); the line ends inside
    quoted values found here get theirs back (a value's own comma before its line break was
    lost otherwise), counted in the table's ``inner_line_ends`` and ``trailing_dropped``.
    ``shift`` is added to the line numbers written in the notes and messages (physical
    lines of the file where ``data`` does not start on its first line).
    """
    table, bad = _arrow_table(data, name, names, delim, keep)
    inner_ends, dropped = 0, (restore[2] if restore is not None else (0, 0))
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    bad_rows: list[int | None] = [b[0] for b in bad]
    broken = _Scan.empty()
    last = data[data.rstrip(b"\n").rfind(b"\n") + 1 :].decode("utf-8")
    simple = n_lines == 1 + table.num_rows + len(bad)  # no blank line, no value spanning lines
    if simple and not _quote_open(last.rstrip("\n").split("\n"), delim, len(names)):
        bad_lines = np.array(sorted(b[0] for b in bad if b[0] is not None), dtype="int64")
        candidates = np.arange(2, 2 + table.num_rows + len(bad), dtype="int64")
        lines = np.setdiff1d(candidates, bad_lines, assume_unique=True)
    else:  # blank lines or values spanning lines: count physical lines exactly
        scan = _scan_records(data.decode("utf-8"), delim, len(names), shift)
        again = False
        if restore is not None and len(scan.inner):
            # a delimiter dropped before no record's end changed no line and no record
            # (it lay inside a quoted value): the scan holds for the data restored
            inner_ends = len(scan.inner)
            data, kept = _strip_trailing_delimiter(
                restore[0], delim, restore[1], scan.inner, empty_quoted=restore[3]
            )
            again, dropped = kept != dropped, kept
        if len(scan.broken):
            # A quote opened and never closed swallowed the records after it: that line is
            # rejected and the parse restarts on the next line (the line is blanked, so every
            # physical line number stays what it was).
            broken = scan
            data = _blank_lines(data, scan.broken)
            again = True
            notes.append(_broken_note(name, scan, shift))
        if again:
            table, bad = _arrow_table(data, name, names, delim, keep)
        lines, ragged = scan.records, scan.ragged
        if len(lines) != table.num_rows:
            log.warning("%s: could not map records to lines; using record numbers", name)
            lines = np.arange(2, table.num_rows + 2, dtype="int64")
        bad_rows = [b[0] for b in bad]
        if len(ragged) == len(bad):  # pyarrow numbers records, not physical lines
            bad_rows = [int(x) for x in ragged]
    frame = table.to_pandas()
    bad_df = pd.DataFrame(
        {
            "source_file": name,
            "row": bad_rows,
            "column": "*",  # the whole record
            "value": [b[1][:200] for b in bad],
            "rule": "ragged_row",
            "message": [f"line has {b[3]} fields, header has {b[2]}" for b in bad],
        },
        columns=list(REJECT_COLUMNS),
    )
    if len(broken.broken):
        quote_df = pd.DataFrame(
            {
                "source_file": name,
                "row": broken.broken,
                "column": "*",
                "value": [t[:200] for t in broken.broken_text],
                "rule": "unbalanced_quote",
                "message": broken.broken_why,
            },
            columns=list(REJECT_COLUMNS),
        )
        bad_df = pd.concat([bad_df, quote_df], ignore_index=True)
    return TextTable(
        frame,
        lines,
        bad_df,
        notes,
        delim,
        len(bad_df),
        inner_line_ends=inner_ends,
        trailing_dropped=dropped,
    )


@dataclass
class _Scan:
    """Physical first line of each record, by kind, from a line-aware pass over the text."""

    records: np.ndarray  # well-formed records
    ragged: np.ndarray  # records with another number of fields than the header
    broken: np.ndarray  # lines that open a quote which swallows what follows
    broken_text: list[str]
    broken_why: list[str]
    inner: np.ndarray  # lines whose line end lies inside a quoted value of a record

    @classmethod
    def empty(cls) -> _Scan:
        e = np.empty(0, "int64")
        return cls(e, e, e, [], [], e)


def _fields(line: str, delim: str) -> list[str]:
    return next(csv.reader([line], delimiter=delim), [])


def _swallowing(
    lines: list[str], start: int, end: int, delim: str, n_cols: int, shift: int = 0
) -> str | None:
    """Why the record on physical lines ``start..end`` (a quoted value spans them) is broken.

    Two shapes: a continuation line that on its own is a whole record (with three or more
    columns a note rarely holds a line with exactly the header's number of fields), and a
    quote still open at the end of the file.  None when the value looks genuine.  ``shift``
    is added to the line numbers written (physical lines of the file).
    """
    if n_cols >= 3:
        swallowed = [
            start + 1 + k + shift
            for k, line in enumerate(lines[start:end])
            if len(_fields(line, delim)) == n_cols
        ]
        if swallowed:
            shown = ", ".join(str(x) for x in swallowed[:5]) + (
                ", ..." if len(swallowed) > 5 else ""
            )
            return (
                f"a quote opened on this line is not closed before line(s) {shown}, which read "
                "as records of their own; the line is rejected and the lines after it are read "
                "as records"
            )
    if end == len(lines) and _quote_open(lines[start - 1 : end], delim, n_cols):
        return (
            "a quote opened on this line is never closed (the value runs to the end of "
            "the file); the line is rejected and the lines after it are read as records"
        )
    return None


def _quote_open(lines: list[str], delim: str, n_cols: int) -> bool:
    """Whether the record made of ``lines`` ends inside a quoted value (an unclosed quote)."""
    # a sentinel record after the text is swallowed too when the quote is still open
    probe = "\n".join(lines) + "\n" + delim * max(n_cols - 1, 1) + "x\n"
    return sum(1 for _ in csv.reader(io.StringIO(probe), delimiter=delim)) < 2


def _scan_records(text: str, delim: str, n_cols: int, shift: int = 0) -> _Scan:
    """Classify every record by its first physical line, recovering from unclosed quotes.

    Python's csv reader sees the same records as pyarrow (after the line ends were made LF);
    a record whose quoted value swallows whole records is cut: its first line is reported as
    broken and reading restarts on the line after it.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    total = len(lines)
    out: list[int] = []
    ragged: list[int] = []
    broken: list[int] = []
    why: list[str] = []
    inner: list[range] = []
    pos = 0  # index of the next line to read
    header = True
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        while pos < total:
            reader = csv.reader((lines[j] + "\n" for j in range(pos, total)), delimiter=delim)
            if header:
                next(reader, None)
                header = False
            start = pos + reader.line_num + 1
            restart = None
            for row in reader:
                end = pos + reader.line_num
                if end > start or end == total:
                    reason = _swallowing(lines, start, end, delim, n_cols, shift)
                    if reason is not None:
                        broken.append(start)
                        why.append(reason)
                        restart = start
                        break
                if row:  # only an empty line is skipped, as pyarrow skips it
                    (out if len(row) == n_cols else ragged).append(start)
                if end > start:
                    inner.append(range(start, end))
                start = end + 1
            if restart is None:
                break
            pos = restart
    finally:
        csv.field_size_limit(limit)
    return _Scan(
        np.asarray(out, dtype="int64"),
        np.asarray(ragged, dtype="int64"),
        np.asarray(broken, dtype="int64"),
        [lines[b - 1] for b in broken],
        why,
        np.fromiter((k for r in inner for k in r), dtype="int64"),
    )


def _blank_lines(data: bytes, numbers: np.ndarray) -> bytes:
    """Return ``data`` with the given 1-based lines emptied (their line ends kept)."""
    parts = data.split(b"\n")
    for k in numbers:
        parts[int(k) - 1] = b""
    return b"\n".join(parts)


def _broken_note(name: str, scan: _Scan, shift: int = 0) -> str:
    return _broken_words(name, len(scan.broken), [int(x) + shift for x in scan.broken[:10]])


def _broken_words(name: str, n: int, lines: list[int]) -> str:
    shown = ", ".join(str(x) for x in lines[:10]) + (", ..." if n > 10 else "")
    return (
        f"{name}: {n} line(s) open a quote that is not closed where the value "
        f"should end (line(s) {shown}); each is rejected as 'unbalanced_quote' and the lines "
        "after it are read as records of their own"
    )


#: The note of the lines whose quote is not closed (a file's, or a piece's of it).
BROKEN_NOTE = re.compile(
    r"^(?P<head>[^:]+): (?P<n>\d+) line\(s\) open a quote that is not closed where the value "
    r"should end \(line\(s\) (?P<lines>[^)]*)\); ",
)


def add_broken_notes(a: str, b: str) -> str | None:
    """Return two pieces' notes of unclosed quotes as the one note of the file read whole.

    None unless both are such notes of the same file.  The counts are added and the first
    ten lines of both listed (a file read in chunks had one note per chunk otherwise, each
    with its own count, where the file read whole has one).
    """
    ma, mb = BROKEN_NOTE.match(a), BROKEN_NOTE.match(b)
    if ma is None or mb is None or ma["head"] != mb["head"]:
        return None
    shown = {int(x) for m in (ma, mb) for x in m["lines"].split(", ") if x.isdigit()}
    return _broken_words(ma["head"], int(ma["n"]) + int(mb["n"]), sorted(shown))


# --------------------------------------------------------------------------- values


_M = TypeVar("_M", bound=BaseModel)


def as_source(source: _M | str | Path, model: type[_M]) -> _M:
    """Return ``source`` as a source model: a model stays, a path gets the defaults."""
    if isinstance(source, model):
        return source
    return model(path=Path(cast("str | Path", source)))  # mypy cannot narrow type[_M]


#: Masks already found for a column's Arrow values, while :func:`missing_memo` is open: column
#: inference asked each column for its missing values about six times (a 400-column export
#: spent a third of its reading there).  The memo holds the array, so its id is not reused.
_MISSING: contextvars.ContextVar[dict[int, tuple[pa.ChunkedArray, np.ndarray]] | None] = (
    contextvars.ContextVar("_MISSING", default=None)
)

#: How many masks :func:`missing_mask` computed (not served from the memo); a test reads it
#: to find the work per column bounded.
MISSING_MASK_COMPUTED = [0]


@contextlib.contextmanager
def missing_memo() -> Iterator[None]:
    """Remember the missing mask of each column's (immutable) Arrow values inside the block."""
    if _MISSING.get() is not None:
        yield
        return
    token = _MISSING.set({})
    try:
        yield
    finally:
        _MISSING.reset(token)


@contextlib.contextmanager
def missing_memo_off() -> Iterator[None]:
    """Forget no mask and remember none inside the block (a scan of a whole file's pieces).

    A whole-file scan run while a chunk's columns are recognised reads piece after piece;
    remembered, every piece's values would be held until the recognition ends.
    """
    token = _MISSING.set(None)
    try:
        yield
    finally:
        _MISSING.reset(token)


def missing_mask(values: pd.Series) -> np.ndarray:
    """Return True where a raw value is missing (NaN/None or a missing token)."""
    memo = _MISSING.get()
    # a column's values are one immutable Arrow array however often the frame is asked for
    # the column (a new Series each time): the key the memo knows them by
    key = getattr(values.array, "_pa_array", None) if memo is not None else None
    if not isinstance(key, pa.ChunkedArray):
        key = None
    if memo is not None and key is not None:
        hit = memo.get(id(key))
        if hit is not None and hit[0] is key:
            return hit[1].copy()
    MISSING_MASK_COMPUTED[0] += 1
    if values.dtype.kind in "fiubM" or isinstance(values.dtype, pd.DatetimeTZDtype):
        out = np.asarray(values.isna().to_numpy(), dtype=bool)
    else:
        lowered = values.astype("str").str.strip().str.lower()
        out = (values.isna() | lowered.isin(MISSING_TOKENS)).to_numpy(dtype=bool)
    if memo is not None and key is not None:
        memo[id(key)] = (key, out.copy())
    return out


def as_text(values: pd.Series) -> pd.Series:
    """Return the values as stripped strings with missing ones as ``""``."""
    miss = missing_mask(values)
    s = values.astype("str").str.strip()
    return s.where(~miss, "")


#: A lead byte of a two- or three-byte UTF-8 letter read as cp1252 (Ã, Â, â ...) followed by a
#: continuation byte read so: the marks text leaves when UTF-8 was decoded as cp1252 and
#: saved again ('CocaÃ\xadna' for 'Cocaína', 'Â°' for '°').
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)


#: Times a text may have been mangled over: each pass through a cp1252 tool doubles the marks
#: ('’' -> 'â€™' -> 'Ã¢â‚¬â„¢'); three covers what real exports hold.
_MOJIBAKE_LAYERS = 3


def _unmangled_once(text: str) -> str | None:
    """Return ``text`` decoded back from one layer of cp1252 (or Latin-1) mojibake, or None."""
    for legacy in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(legacy).decode("utf-8")
        except UnicodeError:
            continue
        return fixed if fixed != text else None
    return None


def _unmangled(text: str) -> str | None:
    """Return ``text`` decoded back from mojibake, every layer of it; None if it is none.

    A layer is undone only while the text still bears the marks and decodes strictly.
    """
    out = text
    for _ in range(_MOJIBAKE_LAYERS):
        step = _unmangled_once(out)
        if step is None:
            break
        out = step
        if not _MOJIBAKE.search(out):
            break
    return out if out != text else None


def repair_mojibake(values: pd.Series) -> tuple[pd.Series, int, str | None]:
    """Undo UTF-8 text that was decoded as cp1252 and saved again (``CocaÃ­na``).

    A value is repaired only when the whole of it decodes strictly as UTF-8 once encoded back
    to cp1252 (or Latin-1): text that merely holds an 'Ã' stays as it is.  Only values with
    the marks of mojibake are looked at (one vectorised pass), each distinct one once.

    Returns
    -------
    values : pandas.Series
        With the repaired values replaced.
    count : int
        Values repaired.
    example : str or None
        One repair, ``'before' -> 'after'``.
    """
    if not len(values) or not (
        values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
    ):
        return values, 0, None
    import pyarrow.compute as pc

    try:  # a str column is Arrow already: no copy
        arr = pa.array(values, from_pandas=True)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            raise pa.ArrowTypeError("not text")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers among the texts
        arr = pa.array(as_text(values).to_numpy(dtype=object), type=pa.string())
    found = pc.match_substring_regex(arr, _MOJIBAKE.pattern).fill_null(False)
    hit = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    if not hit.any():
        return values, 0, None
    cand = values[hit]
    fixes = {
        u: f
        for u in pd.unique(cand.to_numpy(dtype=object))
        if (f := _unmangled(str(u))) is not None
    }
    if not fixes:
        return values, 0, None
    text = values.astype(object)
    mapped = text.map(fixes)
    done = mapped.notna().to_numpy()
    first = next(iter(fixes.items()))
    out = values.astype(object).where(~done, mapped).astype(values.dtype)
    return out, int(done.sum()), repair_excerpt(*first)


def repair_excerpt(before: str, after: str, context: int = 20) -> str:
    """Return ``'before' -> 'after'`` cut to the changed part and ``context`` characters.

    A repaired free-text description (an IMB incident's paragraph) was quoted whole, twice, in
    the summary; the note needs the repair, not the paragraph.

    >>> print(repair_excerpt("x" * 40 + " SÃ£o Paulo " + "y" * 40, "x" * 40 + " São Paulo " + "y" * 40, 4))
    '…xx SÃ£o Pa…' -> '…xx São Pa…'
    """
    lead = 0
    while lead < min(len(before), len(after)) and before[lead] == after[lead]:
        lead += 1
    tail = 0
    while (
        tail < min(len(before), len(after)) - lead
        and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]
    ):
        tail += 1
    start = max(lead - context, 0)

    def cut(text: str) -> str:
        stop = min(len(text) - tail + context, len(text))
        return ("…" if start else "") + text[start:stop] + ("…" if stop < len(text) else "")

    return f"{cut(before)!r} -> {cut(after)!r}"


#: Letters NFKD keeps whole, folded as a transliteration-free search folds them (ICU's and
#: Lucene's ASCII folding): 'Długość' is 'dlugosc', 'Længdegrad' 'laengdegrad', 'Straße'
#: 'strasse' (before, each was a separator: 'd' + 'ugosc').
_WHOLE_LETTERS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "ẞ": "SS",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
    }
)


#: Characters that show nothing, dropped before a header is split into words: a zero-width
#: space, non-joiner or joiner, a soft hyphen, a word joiner, a zero-width no-break space.
#: A copy-pasted ``La\u200btitude`` was split at them (``la titude``) and not recognised.
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u00ad\u2060\ufeff"))


def fold_letters(name: object) -> str:
    """Return ``name`` with its accents and marks removed and whole letters folded, case kept.

    Letters of every script stay (``Широта``, ``纬度``); ``Länge`` is ``Lange`` and
    ``Długość`` is ``Dlugosc``; invisible characters (a zero-width space, a soft hyphen)
    are dropped.
    """
    s = str(name).translate(_INVISIBLE)
    s = unicodedata.normalize("NFKD", s).translate(_WHOLE_LETTERS)
    return unicodedata.normalize("NFC", "".join(ch for ch in s if not unicodedata.combining(ch)))


def fold_word(word: str) -> str:
    """Return a word case-folded and letter-folded (``ΠΛΆΤΟΣ`` and ``πλάτος`` are one)."""
    # casefold may add a mark ('İ' -> 'i' + dot above): fold the letters again after it
    return fold_letters(fold_letters(word).casefold())


def is_word_char(ch: str) -> bool:
    """Whether ``ch`` belongs to a word: a letter or digit of any script, or a mark."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def normalise_name(name: str) -> str:
    """Return a column name case-folded, accents folded, other signs collapsed to ``_``.

    ``AÑO`` is ``ano`` and ``Día`` is ``dia``, as :func:`name_tokens` folds them (before,
    the letter was a separator: ``a_o``, and no known name matched).  Letters of any script
    are kept: ``Широта`` is ``широта`` (before, it was empty, as every Cyrillic header was).
    """
    s = fold_word(str(name))
    return "_".join("".join(ch if is_word_char(ch) else " " for ch in s).split())


def find_column(
    columns: Sequence[str], candidates: Sequence[str], override: str | None, name: str, what: str
) -> str | None:
    """Return the source column for ``what``: the override, else the first known candidate.

    Raises
    ------
    InputError
        If the override names a column the file does not have.
    """
    if override is not None:
        if override not in columns:
            raise InputError(
                f"{name}: column {override!r} configured for {what!r} is not in the file; "
                f"it has {list(columns)!r}"
            )
        return override
    norm = {normalise_name(c): c for c in reversed(list(columns))}
    for cand in candidates:
        if cand in norm:
            return norm[cand]
    return None


def regex_mask(values: pd.Series, pattern: str) -> np.ndarray:
    """Return a bool array: does each string match ``pattern`` (RE2 syntax, via pyarrow)."""
    import pyarrow.compute as pc

    text = values.astype("str")
    if hasattr(text.array, "__arrow_array__"):  # pandas' Arrow strings: no copy, no objects
        arr = pa.array(text.array)
    else:
        arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    hit = pc.match_substring_regex(arr, pattern)
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def decimal_texts_to_floats(values: np.ndarray | pd.Series) -> np.ndarray:
    """Return ``pd.to_numeric(values, errors="coerce")`` as float64, fast for plain numbers.

    Date components and coordinate columns are millions of short texts like ``2024``,
    ``-61.25`` or ``1.5e3``: when every non-empty value is such a number (checked with one
    RE2 pass) they are converted by Arrow's correctly rounded parser in C, about ten times
    faster than pandas' per-value path; anything else (spaces, ``inf``, a stray letter) goes
    through ``pd.to_numeric`` as before, NaN where it does not parse.
    """
    import pyarrow.compute as pc

    obj = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    try:
        arr = pa.array(obj, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all texts: the general path
        arr = None
    if arr is not None:
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        plain = pc.match_substring_regex(arr, r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
        if pc.all(pc.or_kleene(plain, pc.is_null(arr))).as_py() is not False:
            try:
                got = pc.cast(arr, pa.float64())
            except pa.ArrowInvalid:  # never seen for these texts; the general path if so
                got = None
            if got is not None:
                return np.asarray(got.to_numpy(zero_copy_only=False), dtype="float64")
    return np.asarray(pd.to_numeric(pd.Series(obj, dtype=object), errors="coerce"), "float64")


_COMMA_NUMBER = r"^\s*[+-]?\d+,\d+\s*$"


def to_numbers(values: pd.Series, *, decimal_comma: bool | None = None) -> pd.Series:
    """Return floats from raw values (NaN where missing or unparseable).

    ``decimal_comma`` None detects it: a column whose numbers all look like ``12,5`` (and no
    value like ``12.5``) uses the decimal comma.
    """
    if values.dtype.kind in "fiub":
        return values.astype("float64")
    s = values.astype("str").str.strip()
    if decimal_comma is None:
        has_comma = regex_mask(s, _COMMA_NUMBER)
        decimal_comma = bool(has_comma.any()) and not bool(s.str.contains(".", regex=False).any())
    if decimal_comma:
        s = s.str.replace(",", ".", regex=False)
    return pd.Series(decimal_texts_to_floats(s), index=values.index)


# --------------------------------------------------------------------------- coordinates

#: Degrees, minutes, seconds: a field's digits are never split between two fields
#: (``(?!\d)``): '12°30"N' had been read as 12° 3' 0" (12.05°), and is no reading now.
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEWnsew])?\s*
    (?P<d>[+-]?\d+(?:[.,]\d+)?)(?!\d)\s*(?:°|º|˚|deg|d|:)?\s*
    (?:(?P<m>\d+(?:[.,]\d+)?)(?!\d)\s*(?P<mu>'|′|’|min|m|:)?\s*)?
    (?:(?P<s>\d+(?:[.,]\d+)?)(?!\d)\s*(?P<su>"|″|''|”|sec|s)?\s*)?
    (?P<h2>[NSEWnsew])?\s*$""",
    re.VERBOSE,
)
_PAIR = re.compile(
    r"""^\s*(?P<a>.*?[0-9'"″′°.]\s*[NSEWnsew]?)\s*[,;/\s]\s*(?P<b>[NSEWnsew]?\s*[+-]?\d.*?)\s*$"""
)


#: A pair of two degree texts, each ending with its hemisphere letter (no other letter).
_LETTERED_LAT_FIRST = re.compile(
    r"^\s*(?P<a>[+-]?\d[^A-Za-z]*?[NSns])\s*(?:[,;/\u2013\u2014]|\s-\s)?\s*(?P<b>[+-]?\d[^A-Za-z]*[EWew])\s*$"
)
_LETTERED_LON_FIRST = re.compile(
    r"^\s*(?P<a>[+-]?\d[^A-Za-z]*?[EWew])\s*(?:[,;/\u2013\u2014]|\s-\s)?\s*(?P<b>[+-]?\d[^A-Za-z]*[NSns])\s*$"
)

#: A pair of two degree texts, each led by its hemisphere letter, as Garmin's hddd°mm.mmm'
#: and GPS displays write one: 'N 12° 30.000' W 061° 45.000'', 'S1 15.300 E104 10.200'.
_LEADING_LAT_FIRST = re.compile(
    r"^\s*(?P<a>[NSns]\s*[+-]?\d[^A-Za-z]*?)\s*(?:[,;/\u2013\u2014]|\s-\s)?\s*(?P<b>[EWew]\s*[+-]?\d[^A-Za-z]*?)\s*$"
)
_LEADING_LON_FIRST = re.compile(
    r"^\s*(?P<a>[EWew]\s*[+-]?\d[^A-Za-z]*?)\s*(?:[,;/\u2013\u2014]|\s-\s)?\s*(?P<b>[NSns]\s*[+-]?\d[^A-Za-z]*?)\s*$"
)

#: A pair of two numbers with decimal commas, as German and French exports write one:
#: '52,5 13,4' (or ';', '/', ', ' between).  Split at its first comma it read 52° and
#: 5°13.4' (a valid position 600 km away); '48,8566 2,3522' lost its record to the range.
_DECIMAL_COMMA_PAIR = re.compile(
    r"^\s*(?P<a>[+\-\u2212]?\d+,\d+)\s*(?:[;/]\s*|,\s+|\s+)(?P<b>[+\-\u2212]?\d+,\d+)\s*$"
)


#: A WKT/EWKT point (x y = lon lat by definition), in EPSG:4326 or with no SRID.
_WKT_POINT = re.compile(
    r"^\s*(?:SRID=4326;)?\s*POINT\s*(?:ZM|Z|M)?\s*\(\s*(?P<x>[^\s()]+)\s+(?P<y>[^\s()]+)"
    r"(?:\s+[^\s()]+){0,2}\s*\)\s*$",
    re.IGNORECASE,
)


#: A point as hexadecimal (E)WKB (PostGIS's text output of a geometry, ``\\x`` for bytea):
#: a byte-order byte 00/01, then at least 20 more bytes (type, maybe an SRID, x and y).
_HEX_WKB = re.compile(r"^\s*(?:\\x)?(?P<hex>0[01][0-9A-Fa-f]{40,})\s*$")


def _hex_wkb_points(hexed: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) of hex (E)WKB points in EPSG:4326 or without an SRID; NaN otherwise.

    Another geometry type, another SRID (``SRID=3857``: metres, not degrees) or bytes that
    are no WKB are NaN, so their records are rejected with their value.
    """
    import shapely

    geoms = shapely.from_wkb(hexed.to_numpy(dtype=object), on_invalid="ignore")
    ok = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    ok &= np.isin(shapely.get_srid(geoms), (0, 4326))
    x = np.where(ok, shapely.get_x(geoms), np.nan)
    y = np.where(ok, shapely.get_y(geoms), np.nan)
    return x, y


#: Minus signs of typeset text (U+2212, fullwidth U+FF0D) read as '-'.
_MINUS_SIGNS = "[\u2212\uff0d]"


def dms_to_degrees(
    values: pd.Series, axis: str, *, s_south: bool | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Parse decimal or degree-minute-second text into signed degrees.

    Parameters
    ----------
    values : pandas.Series of str
        Text such as ``13°43'00"N``, ``121 02 30 E``, ``-13.5`` or ``13.5S``.
    axis : {"lat", "lon"}
        Which hemisphere letters are valid (N/S for lat, E/W for lon).
    s_south : bool, optional
        What a latitude's lone lowercase ``s`` after unmarked seconds (``01 15 30s``) is,
        as the file decided it (:func:`lowercase_s_meaning`): True south, False the
        seconds' unit; None decides per value (south).

    Returns
    -------
    degrees : pandas.Series of float
        NaN where unparseable.
    wrong_axis : numpy.ndarray of bool
        True where the hemisphere letter belongs to the other axis (a swapped column).
    """
    s = values.astype("str").str.replace(_MINUS_SIGNS, "-", regex=True)
    parts = dms_parts(s)
    deg = to_numbers(parts["d"].fillna(""), decimal_comma=True)
    mins = to_numbers(parts["m"].fillna(""), decimal_comma=True)
    secs = to_numbers(parts["s"].fillna(""), decimal_comma=True)
    # A lone lowercase 's' after the seconds is the seconds' unit only in the letter style
    # (1d15m30s); after minutes marked otherwise or not at all ('01 15 30 s', 1°15'30s) it
    # is the south hemisphere, which read as a unit put the point north of the equator.  A
    # longitude has no south: there the 's' is the seconds' unit whatever the style.
    if axis == "lat" and s_south is not False:
        parts["h2"] = parts["h2"].mask(_lone_s(parts), "S")
    hemi = parts["h1"].fillna(parts["h2"]).fillna("").str.upper()
    # 60 in the minutes or seconds field is how some official logs write the next whole
    # unit (5°60'00"S for 6°S): accepted and carried; above 60 is an error.
    ok = deg.notna() & ~(mins > 60) & ~(secs > 60) & ~(parts["h1"].notna() & parts["h2"].notna())
    ok &= ~(secs.notna() & mins.isna())
    # Only the last field may have a fraction (13°43.5', 13°43'30.5"): '10,500.5' would
    # otherwise read as 10,5° and 0.5' (10.508°), and '10.5 30' as 11°.
    ok &= ~(mins.notna() & (deg != np.trunc(deg)))
    ok &= ~(secs.notna() & (mins != np.trunc(mins)))
    magnitude = deg.abs() + mins.fillna(0) / 60 + secs.fillna(0) / 3600
    # the sign is the text's: "-0°30'" is -0.5, and -0 compares equal to 0
    negative = parts["d"].fillna("").str.lstrip().str.startswith("-").to_numpy(dtype=bool)
    negative = negative | np.signbit(deg.to_numpy(dtype="float64"))
    sign = np.where(negative | hemi.isin(["S", "W"]).to_numpy(dtype=bool), -1.0, 1.0)
    # '-1.25 N' or '-104.1 E': the sign and the letter disagree, and either may be the
    # slip; taken as south/west it was a guess. ('-1.25 S' says south twice: kept.)
    ok &= ~(negative & hemi.isin(["N", "E"]).to_numpy(dtype=bool))
    out = pd.Series(np.where(ok, sign * magnitude, np.nan), index=values.index)
    other = ["E", "W"] if axis == "lat" else ["N", "S"]
    wrong = hemi.isin(other).to_numpy() & ok.to_numpy()
    return out, wrong


def _lone_s(parts: pd.DataFrame) -> pd.Series:
    """Mask of DMS parts whose only letter is a lowercase ``s`` after unmarked seconds."""
    return (
        parts["su"].eq("s")
        & ~parts["mu"].isin(["m", "min"])
        & parts["h1"].isna()
        & parts["h2"].isna()
    )


@dataclass
class LowercaseS:
    """What a file's values say about a latitude's lowercase ``s`` after its seconds.

    Counts (added up over a file's blocks, :meth:`add`) of the latitudes ending so
    (``lone``), of the latitudes and longitudes with a hemisphere letter, and of the
    longitudes ending in an ``s`` (the seconds' unit: a longitude has no south); ``example``
    is the file's first latitude ending so.  :meth:`decide` gives the meaning for the file.
    """

    lone: int = 0
    lat_letters: int = 0
    lon_letters: int = 0
    lon_unit: int = 0
    example: str | None = None

    def add(self, other: LowercaseS) -> None:
        """Add the counts of the next block (in file order)."""
        self.lone += other.lone
        self.lat_letters += other.lat_letters
        self.lon_letters += other.lon_letters
        self.lon_unit += other.lon_unit
        if self.example is None:
            self.example = other.example

    def decide(self, lat_col: str, name: str) -> bool | None:
        """Return True (south), False (the seconds' unit) or None (no latitude ends so).

        Raises
        ------
        InputError
            Latitudes end so and the values say neither, or both.
        """
        if not self.lone:
            return None
        letters = self.lat_letters or self.lon_letters
        if letters and not self.lon_unit:
            return True
        if self.lon_unit and not letters:
            return False
        raise InputError(
            f"{name}: latitudes of {lat_col!r} end in a lowercase 's' after the seconds "
            f"({self.example!r}) and the file does not say whether it is south or the seconds' "
            "unit; write the hemisphere as N/S (or a sign) in the export"
        )

    def note(self, n: int, s_south: bool | None, lat_col: str, name: str) -> str | None:
        """Return the note of ``n`` latitudes read as the file decided (None when ``n`` is 0)."""
        if not n or s_south is None:
            return None
        head = (
            f"{name}: {n} latitude(s) of {lat_col!r} end in a lowercase 's' after the seconds "
            f"({self.example!r}): "
        )
        if s_south:
            return head + "read as south, since the file writes hemisphere letters"
        return head + (
            "read as the seconds' unit (north), since the longitudes end in it too and no "
            "value carries a hemisphere letter"
        )


def lowercase_s_evidence(lat: pd.Series, lon: pd.Series, *, every: bool = False) -> LowercaseS:
    """Count what :meth:`LowercaseS.decide` decides on in one block of a file's positions.

    Without ``every`` a block whose latitudes do not end in a lowercase ``s`` is passed over
    (nothing to decide); ``every`` counts its hemisphere letters and seconds' units too, for
    the blocks of a file (:meth:`LowercaseS.add`) whose other blocks end so.
    """
    if lat.dtype.kind in "fiub" and lon.dtype.kind in "fiub":  # numbers: no text, no 's'
        return LowercaseS()
    # only a latitude with a lowercase 's' in it can end so: a file of millions of plain
    # numbers (a track) is passed over in one vectorised pass
    if not every and (lat.dtype.kind in "fiub" or not regex_mask(lat, "s").any()):
        return LowercaseS()
    lat_p, lat_t = _dms_parts(lat)
    lone = _lone_s(lat_p)
    if not every and not lone.any():
        return LowercaseS()
    lon_p, _ = _dms_parts(lon)
    return LowercaseS(
        lone=int(lone.sum()),
        lat_letters=int((lat_p["h1"].notna() | lat_p["h2"].notna()).sum()),
        lon_letters=int((lon_p["h1"].notna() | lon_p["h2"].notna()).sum()),
        lon_unit=int(lon_p["su"].eq("s").sum()),
        example=str(lat_t[lone].iloc[0]) if lone.any() else None,
    )


def _dms_parts(values: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Return the degree-minute-second parts of the texts that are no plain number, and them."""
    text = as_text(values)
    text = text[(text != "") & to_numbers(text).isna()]
    return dms_parts(text.str.replace(_MINUS_SIGNS, "-", regex=True)), text


#: A run of white space: one space to :data:`_DMS`, whose fields may each be padded.
_SPACES = re.compile(r"\s+")


def dms_parts(texts: pd.Series) -> pd.DataFrame:
    """Return :data:`_DMS`'s fields of each text, runs of white space read as one space.

    The pattern lets white space fall on either side of each optional field: a run of
    spaces could be split between them in as many ways as a polynomial of its length, tried
    one by one where the text does not match - a 304-character cell (``1``, 100 spaces,
    ``2``, ``3``, ``4``) took 43 s, a hostile file of such cells hours.  As one space each
    run splits two ways at most; what the fields hold is the same.
    """
    return texts.str.replace(_SPACES, " ", regex=True).str.extract(_DMS)


def lowercase_s_meaning(
    lat: pd.Series,
    lon: pd.Series,
    *,
    lat_col: str,
    name: str,
    file: LowercaseS | None = None,
) -> tuple[bool | None, str | None]:
    """Decide, for the whole file, what a latitude's lowercase ``s`` after its seconds is.

    ``01 15 30 s`` is south in a file that writes hemisphere letters (``104 05 30 e``, or
    ``n``/``s`` on other latitudes), and the seconds' unit in one whose longitudes end in
    the same ``s`` (``103 45 12s``: a longitude has no south) and whose latitudes carry no
    hemisphere letter.  Decided per value it put a whole file of northern positions south
    of the equator; decided per block of a file read in blocks, it read one block's ``s``
    as the seconds' unit and another's as south.

    ``lat`` and ``lon`` are the file, or one block of it when ``file`` holds the whole
    file's counts (:class:`LowercaseS`, added up over its blocks): the file decides then,
    and the note counts the block's latitudes (the blocks' notes add up to the file's).

    Returns
    -------
    s_south : bool or None
        True south, False the seconds' unit, None when no latitude ends so.
    note : str or None
        How it was decided.

    Raises
    ------
    InputError
        Latitudes end so and the file says neither, or both.
    """
    block = lowercase_s_evidence(lat, lon)
    evidence = block if file is None else file
    s_south = evidence.decide(lat_col, name)
    return s_south, evidence.note(block.lone, s_south, lat_col, name)


# Degrees, minutes and seconds separated by dots, as some navy, coast-guard and ship-log
# exports write positions: '01.15.30N', '104.05.50.5E' (decimal seconds), '01.15N'.  Two
# dots or more leave no decimal reading; one dot with two digits after it and a hemisphere
# letter ('04.10S') is either, and the file decides (DottedDegrees).
_DOTTED = re.compile(
    r"^\s*(?P<h1>[NSEWnsew])?\s*(?P<sign>[+-])?\s*(?P<d>\d{1,3})\.(?P<m>\d+)"
    r"(?:\.(?P<s>\d+)(?:\.(?P<f>\d+))?)?\s*(?P<h2>[NSEWnsew])?\s*$"
)
#: What may be a dotted value (RE2, one pass over a column of millions of plain numbers):
#: a hemisphere letter beside one dot, or two dots.
_DOTTED_HINT = (
    r"^\s*[NSEWnsew]\s*[+\-\x{2212}\x{ff0d}]?\s*\d{1,3}\.\d+\s*$"
    r"|^\s*[+\-\x{2212}\x{ff0d}]?\s*\d{1,3}\.\d+\s*[NSEWnsew]\s*$"
    r"|\d\.\d\d\.\d\d"
)
#: Kinds of dotted values: D.MM.SS[.s]; one dot, two digits below 60 and a letter (either
#: reading); one dot and a letter that only a decimal reads (04.5S, 04.75S, 04.123S).
_DMS_DOTS, _ONE_DOT_MINUTES, _ONE_DOT_DECIMAL = 1, 2, 3


def _dotted_kinds(values: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Return each value's dotted kind (0 for none) and the parts of the dotted ones."""
    kinds = np.zeros(len(values), dtype="int8")
    if values.dtype.kind in "fiub":
        return kinds, pd.DataFrame()
    hit = regex_mask(values, _DOTTED_HINT)
    if not hit.any():
        return kinds, pd.DataFrame()
    text = values[hit].astype("str").str.replace(_MINUS_SIGNS, "-", regex=True)
    p = text.str.extract(_DOTTED)
    found = p["d"].notna()
    letters = p["h1"].notna().astype("int8") + p["h2"].notna().astype("int8")
    mins, secs = p["m"].fillna(""), p["s"].fillna("")
    # two digits compare as text: '07' < '60'
    two = mins.str.len().eq(2) & (mins < "60")
    dots = found & p["s"].notna() & two & secs.str.len().eq(2) & (secs < "60") & (letters < 2)
    one = found & p["s"].isna() & letters.eq(1)
    kinds[hit] = np.select(
        [dots.to_numpy(bool), (one & two).to_numpy(bool), (one & ~two).to_numpy(bool)],
        [_DMS_DOTS, _ONE_DOT_MINUTES, _ONE_DOT_DECIMAL],
        0,
    )
    return kinds, p.set_axis(np.flatnonzero(hit), axis=0)


def _dotted_as_dms(values: pd.Series, *, minutes: bool | None) -> pd.Series:
    """Return ``values`` with dotted degrees rewritten as spaced text (``01 15 30N``).

    D.MM.SS[.s] always; a one-dot value with two digits below 60 and a letter (``04.10S``)
    only where ``minutes`` (the file's decision) is True.  The letter is written upper case:
    after dotted seconds it is the hemisphere, never the seconds' unit.
    """
    kinds, p = _dotted_kinds(values)
    take = (kinds == _DMS_DOTS) | (bool(minutes) & (kinds == _ONE_DOT_MINUTES))
    if not take.any():
        return values
    at = np.flatnonzero(take)
    p = p.loc[at]
    secs = (" " + p["s"] + ("." + p["f"]).fillna("")).fillna("")
    text = (
        p["h1"].fillna("").str.upper()
        + p["sign"].fillna("")
        + p["d"]
        + " "
        + p["m"]
        + secs
        + p["h2"].fillna("").str.upper()
    )
    out = values.astype("str").copy()
    out.iloc[at] = text.to_numpy(dtype=object)
    return out


def _first_of_rows(
    lat: pd.Series, lat_hit: np.ndarray, lon: pd.Series, lon_hit: np.ndarray
) -> str | None:
    """Return the first value (in row order, the latitude first) where its mask is True."""
    rows = np.flatnonzero(lat_hit | lon_hit)
    if not rows.size:
        return None
    i = rows[0]
    return str(lat.iloc[i] if lat_hit[i] else lon.iloc[i]).strip()


@dataclass
class DottedDegrees:
    """What a file's values say about one-dot positions with a letter (``04.10S``).

    Counts (added up over a file's blocks, :meth:`add`) of the values written as dotted
    degrees.minutes.seconds (``dms``: ``01.15.30N``), of the one-dot values with two digits
    below 60 and a hemisphere letter that are either decimal degrees or degrees.minutes
    (``minutes``), and of the one-dot values with a letter that only a decimal reads
    (``decimal``: ``04.75S``, ``04.123S``, ``04.5S``); each with the file's first example.
    :meth:`decide` gives the reading for the file.
    """

    dms: int = 0
    minutes: int = 0
    decimal: int = 0
    dms_example: str | None = None
    minutes_example: str | None = None
    decimal_example: str | None = None

    def add(self, other: DottedDegrees) -> None:
        """Add the counts of the next block (in file order)."""
        self.dms += other.dms
        self.minutes += other.minutes
        self.decimal += other.decimal
        self.dms_example = self.dms_example or other.dms_example
        self.minutes_example = self.minutes_example or other.minutes_example
        self.decimal_example = self.decimal_example or other.decimal_example

    def decide(self, cols: str, name: str) -> bool | None:
        """Return True (degrees.minutes), False (decimal) or None (no value to decide).

        Raises
        ------
        InputError
            The file writes both dotted degrees.minutes.seconds and one-dot decimals.
        """
        if not self.minutes:
            return None
        if self.dms and self.decimal:
            raise InputError(
                f"{name}: positions of {cols} like {self.minutes_example!r} could be decimal "
                "degrees or degrees.minutes, and the file says both: "
                f"{self.dms_example!r} is degrees.minutes.seconds, {self.decimal_example!r} "
                "a decimal; write one notation (or degree and minute marks, 4°10'S) in the "
                "export"
            )
        return bool(self.dms)

    def _why(self, minutes: bool) -> str:
        if minutes:
            return f"the file writes dotted degrees.minutes.seconds ({self.dms_example!r})"
        if self.decimal:
            return f"the file writes decimals that are no minutes ({self.decimal_example!r})"
        return "no value of the file writes dotted degrees.minutes.seconds (D.MM.SS)"

    def note(self, n: int, minutes: bool | None, cols: str, name: str) -> str | None:
        """Return the note of ``n`` values read as the file decided (None when ``n`` is 0)."""
        if not n or minutes is None:
            return None
        reading = "degrees.minutes (D.MM)" if minutes else "decimal degrees"
        return (
            f"{name}: {n} position value(s) of {cols} with one dot and a hemisphere letter "
            f"({self.minutes_example!r}) read as {reading}, since {self._why(minutes)}"
        )

    def assumption(self, minutes: bool | None) -> dict[str, str] | None:
        """Return the file's decision as an assumption (None when nothing was decided)."""
        if minutes is None:
            return None
        return {
            "value": "degrees.minutes" if minutes else "decimal degrees",
            "by": "file",
            "evidence": f"{self.minutes_example!r} is either; {self._why(minutes)}",
        }


def dotted_evidence(lat: pd.Series, lon: pd.Series) -> DottedDegrees:
    """Count what :meth:`DottedDegrees.decide` decides on in one block of a file's positions."""
    lat_k, _ = _dotted_kinds(lat)
    lon_k, _ = _dotted_kinds(lon)
    if not (lat_k.any() or lon_k.any()):
        return DottedDegrees()
    found: dict[str, Any] = {}
    for key, kind in (
        ("dms", _DMS_DOTS),
        ("minutes", _ONE_DOT_MINUTES),
        ("decimal", _ONE_DOT_DECIMAL),
    ):
        a, b = lat_k == kind, lon_k == kind
        found[key] = int(a.sum() + b.sum())
        found[f"{key}_example"] = _first_of_rows(lat, a, lon, b)
    return DottedDegrees(**found)


def dotted_meaning(
    lat: pd.Series,
    lon: pd.Series,
    *,
    cols: str,
    name: str,
    file: DottedDegrees | None = None,
) -> tuple[bool | None, str | None, dict[str, str] | None]:
    """Decide, for the whole file, whether ``04.10S`` is 4.10° or 4°10'.

    Degrees.minutes where the file writes dotted degrees.minutes.seconds (``01.15.30N``),
    decimal degrees where it writes one-dot values that no minutes are (``04.75S``) or
    neither; both refuse the file.  Plain numbers (``-4.10``) are decimal whatever the file.

    ``lat`` and ``lon`` are the file, or one block of it when ``file`` holds the whole
    file's counts (:class:`DottedDegrees`, added up over its blocks): the file decides then,
    and the note counts the block's values (the blocks' notes add up to the file's).

    Returns
    -------
    minutes : bool or None
        True degrees.minutes, False decimal, None when no value has one dot and a letter.
    note : str or None
        How it was decided.
    assumption : dict or None
        The decision as the file's assumptions state it.

    Raises
    ------
    InputError
        The file writes both dotted degrees.minutes.seconds and one-dot decimals.
    """
    block = dotted_evidence(lat, lon)
    evidence = block if file is None else file
    minutes = evidence.decide(cols, name)
    return minutes, evidence.note(block.minutes, minutes, cols, name), evidence.assumption(minutes)


def parse_coordinate(
    values: pd.Series, axis: str, *, s_south: bool | None = None, minutes: bool | None = None
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Return (degrees, missing, wrong_axis) for a raw coordinate column.

    Numbers go through the fast numeric path; only the values that are not plain numbers are
    tried as degree-minute-second text.  ``s_south`` is as in :func:`dms_to_degrees`;
    ``minutes`` is what the file decided a one-dot value with a letter is (``04.10S``:
    :func:`dotted_meaning`): True degrees.minutes, else decimal degrees.  Dotted
    degrees.minutes.seconds (``01.15.30N``) are read as such whatever it says.
    """
    miss = missing_mask(values)
    nums = to_numbers(values)
    wrong = np.zeros(len(values), dtype=bool)
    todo = np.flatnonzero(nums.isna().to_numpy() & ~miss)
    texts = values.iloc[todo]
    if todo.size:
        texts = _dotted_as_dms(texts, minutes=minutes)
        compact = _compact_degrees(texts, axis)
        done = compact.notna().to_numpy()
        nums.iloc[todo[done]] = compact.to_numpy()[done]
        todo, texts = todo[~done], texts[~done]
    if todo.size:
        deg, wr = dms_to_degrees(texts, axis, s_south=s_south)
        nums.iloc[todo] = deg.to_numpy()
        wrong[todo] = wr
    return nums, miss, wrong


#: Degrees and minutes (and seconds) written as one number with a hemisphere letter, as
#: UN/LOCODE (``1206N``, ``06856W``) and ship logs (``0115.5N``, ``011530N``) write them.
_COMPACT = re.compile(
    r"^\s*(?P<h1>[NSEWnsew])?\s*(?P<n>\d{4,7})(?:[.,](?P<f>\d+))?\s*(?P<h2>[NSEWnsew])?\s*$"
)


def _compact_degrees(values: pd.Series, axis: str) -> pd.Series:
    """Return degrees of compact ``DDMM[SS]`` / ``DDDMM[SS]`` values with their letter (else NaN).

    Only a value with exactly one hemisphere letter of the axis, and as many digits as the
    axis's degrees (2 for latitude, 3 for longitude) plus 2 or 4, is read: ``1206N`` is
    12°06'N, ``06856W`` 68°56'W, ``011530N`` 1°15'30"N; a fraction belongs to the last unit.
    Minutes or seconds of 60 or more leave the value to the other readers.
    """
    parts = values.astype("str").str.extract(_COMPACT)
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    letter = parts["h1"].fillna("").str.upper() + parts["h2"].fillna("").str.upper()
    axis_letters = ("N", "S") if axis == "lat" else ("E", "W")
    width = 2 if axis == "lat" else 3
    digits = parts["n"].fillna("")
    ok = letter.isin(axis_letters) & digits.str.len().isin([width + 2, width + 4])
    if not ok.any():
        return out
    d = digits[ok]
    frac = ("0." + parts["f"][ok].fillna("0")).astype("float64")
    deg = d.str[:width].astype("float64")
    mins = d.str[width : width + 2].astype("float64")
    secs = d.str[width + 2 :].replace("", "0").astype("float64")
    has_secs = (d.str.len() == width + 4).to_numpy()
    mins = mins + np.where(has_secs, 0.0, frac)
    secs = secs + np.where(has_secs, frac, 0.0)
    good = ((mins < 60) & (secs < 60)).to_numpy()
    value = deg + mins / 60.0 + secs / 3600.0
    value = value.where(~letter[ok].isin(["S", "W"]), -value)
    # by position: an index may repeat (a Parquet file keeps the pandas index it was saved with)
    at = np.flatnonzero(ok.to_numpy())[good]
    out.iloc[at] = value.to_numpy()[good]
    return out


def split_pair(values: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Split one text column holding both coordinates into (lat text, lon text, lon_first).

    ``13°43'00"N 121°02'00"E`` and ``13.7, 121.0`` give lat then lon; a pair whose first part
    ends in E/W is taken as lon first, as are a WKT point and a hexadecimal (E)WKB point
    (PostGIS) in EPSG:4326.  A value that is none of these gives two empty texts.
    """
    s = values.astype("str").str.strip()
    # a pair in parentheses, as Socrata portals (Chicago, datos.gov.co) write a 'Location'
    # and Google's LatLng prints one: '(41.88, -87.62)' is latitude first; the brackets had
    # stuck to the numbers and every record was rejected as unparseable.  Square brackets
    # stay unread: a JSON array is [lon, lat] in GeoJSON and [lat, lon] elsewhere
    s = s.str.replace(r"^\(\s*([^()]*?)\s*\)$", r"\1", regex=True)
    parts = s.str.extract(_PAIR)
    # a pair whose parts each end with their hemisphere letter splits after the first
    # letter: '12° 30.00' N, 061° 45.00' W' (ReCAAP, IMB) split at its first space into
    # '12°' and '30.00' N, 061° ...', and the record was rejected as unparseable
    # (and a pair of decimal-comma numbers splits between them, never at its first comma)
    for lettered, hint in (
        (_LETTERED_LAT_FIRST, None),
        (_LETTERED_LON_FIRST, None),
        (_LEADING_LAT_FIRST, r"^\s*[NSEWnsew]\s*[+-]?\d"),
        (_LEADING_LON_FIRST, r"^\s*[NSEWnsew]\s*[+-]?\d"),
        (_DECIMAL_COMMA_PAIR, r"\d,\d"),
    ):
        # the newer shapes are looked for only where one pass of RE2 says they may be
        if hint is not None and not regex_mask(s, hint).any():
            continue
        hit = s.str.extract(lettered)
        found = hit["a"].notna()
        if found.any():
            parts = parts.mask(found, hit[["a", "b"]].set_axis(["a", "b"], axis=1))
    a = parts["a"].fillna("")
    b = parts["b"].fillna("")
    # its first part ends, or begins, with a longitude's letter ('104.1E 1.25S', 'E104.1 S1.25')
    first = a.str.strip().str.upper()
    lon_first = (first.str[-1:].isin(["E", "W"]) | first.str[:1].isin(["E", "W"])).to_numpy()
    wkt = s.str.extract(_WKT_POINT)
    is_wkt = wkt["x"].notna().to_numpy()
    if is_wkt.any():  # 'POINT (-60.2 10.5)' is x y: longitude first, whatever the values
        a = a.where(~is_wkt, wkt["x"])
        b = b.where(~is_wkt, wkt["y"])
        lon_first = lon_first | is_wkt
    hexed = s.str.extract(_HEX_WKB)["hex"]
    is_hex = hexed.notna().to_numpy()
    if is_hex.any():  # '0101000020E6100000...': a PostGIS point, x y as WKT's
        x, y = _hex_wkb_points(hexed[is_hex])
        good = np.zeros(len(s), dtype=bool)
        good[is_hex] = np.isfinite(x)
        if good.any():
            a, b = a.copy(), b.copy()
            a.iloc[np.flatnonzero(good)] = x[np.isfinite(x)].astype("str")  # shortest repr
            b.iloc[np.flatnonzero(good)] = y[np.isfinite(y)].astype("str")
            lon_first = lon_first | good
    lat = a.where(~lon_first, b)
    lon = b.where(~lon_first, a)
    return lat, lon, lon_first


# --------------------------------------------------------------------------- rejects


@dataclass
class Rule:
    """One check: records where ``mask`` is True fail ``rule`` on ``column``."""

    rule: str
    mask: np.ndarray
    column: str
    message: str  # may contain "{value}", replaced by repr(raw value)
    values: pd.Series | None = None


def first_failing(
    rules: Sequence[Rule],
    *,
    n: int,
    source_file: str,
    rows: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Assign each record its first failing rule; return (accepted mask, rejects frame)."""
    taken = np.zeros(n, dtype=bool)
    parts = []
    for r in rules:
        hit = np.asarray(r.mask, dtype=bool) & ~taken
        if not hit.any():
            continue
        taken |= hit
        idx = np.flatnonzero(hit)
        if r.values is not None:
            raw = r.values.iloc[idx]
            raw_text = raw.astype("str").where(~raw.isna(), "").to_numpy(dtype=object)
        else:
            raw_text = np.full(idx.size, "", dtype=object)
        if "{value}" in r.message:
            pre, post = r.message.split("{value}", 1)
            msgs = [pre + repr(v) + post for v in raw_text]  # rejected rows only
        else:
            msgs = [r.message] * idx.size
        parts.append(
            pd.DataFrame(
                {
                    "source_file": source_file,
                    "row": rows[idx],
                    "column": r.column,
                    "value": raw_text,
                    "rule": r.rule,
                    "message": msgs,
                }
            )
        )
    rejects = pd.concat(parts, ignore_index=True) if parts else no_rejects()
    return ~taken, rejects


def no_rejects() -> pd.DataFrame:
    """Return a rejects table without rows (a new one, copied from one made once).

    Building it from six empty Series cost about a millisecond, paid by every check of a
    chunk or bucket that rejected nothing: a feed of many small files paid it thousands of
    times.
    """
    return _NO_REJECTS.copy()


_NO_REJECTS = pd.DataFrame({c: pd.Series([], dtype="object") for c in REJECT_COLUMNS})


@functools.lru_cache(maxsize=8)
def empty_csv(columns: tuple[str, ...] = tuple(REJECT_COLUMNS)) -> bytes:
    """Return what :func:`~pipeline.io.write_csv` writes for a table of ``columns``, no rows.

    Made once a process: an input without rejects still gets its rejects file (the header),
    and write_csv took ~12 ms to write it, for every file of a feed.
    """
    from ..io import write_csv

    with tempfile.TemporaryDirectory() as d:
        empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in columns})
        return write_csv(empty, Path(d) / "empty.csv").read_bytes()


def finish_rejects(*frames: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Concatenate reject frames, sort by row, and count by rule."""
    frames = tuple(f for f in frames if len(f))
    if not frames:
        return no_rejects(), {}
    rej = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    rej["row"] = pd.to_numeric(rej["row"], errors="coerce").astype("Int64")
    rej = rej.sort_values(["row", "rule"], kind="stable", na_position="last").reset_index(drop=True)
    counts = rej["rule"].value_counts()
    return rej, {str(k): int(counts[k]) for k in sorted(counts.index)}


def range_rules(
    lat: np.ndarray,
    lon: np.ndarray,
    ok: np.ndarray,
    *,
    lat_col: str,
    lon_col: str,
    lat_raw: pd.Series,
    lon_raw: pd.Series,
) -> list[Rule]:
    """Return the ``lat_out_of_range`` and ``lon_out_of_range`` rules of parsed positions.

    ``ok`` marks the records whose latitude and longitude both parsed.
    """
    return [
        Rule(
            "lat_out_of_range",
            ok & (np.abs(lat) > 90),
            lat_col,
            "latitude {value} is outside [-90, 90]",
            lat_raw,
        ),
        Rule(
            "lon_out_of_range",
            ok & (np.abs(lon) > 180),
            lon_col,
            "longitude {value} is outside [-180, 180]",
            lon_raw,
        ),
    ]


def outside_aoi_rules(
    lon: np.ndarray,
    lat: np.ndarray,
    ok: np.ndarray,
    aoi_bbox: Sequence[float] | None,
    *,
    column: str,
    values: pd.Series,
    aoi_polygon: Any = None,
) -> list[Rule]:
    """Return the ``outside_aoi`` rules of parsed positions; none when there is no area.

    ``aoi_polygon`` (a shapely geometry, EPSG:4326) rejects the positions inside the bbox but
    outside the polygon, each at its own line.
    """
    rules = []
    inside = np.ones(len(lon), dtype=bool)
    if aoi_bbox is not None:
        inside = in_bbox(lon, lat, aoi_bbox)
        rules.append(
            Rule(
                "outside_aoi",
                ok & ~inside,
                column,
                f"position {{value}} is outside the area of interest {tuple(aoi_bbox)!r}",
                values,
            )
        )
    if aoi_polygon is not None:
        from ..area import polygon_holds_xy

        todo = np.flatnonzero(ok & inside)
        x, y = lon[todo], lat[todo]
        out = np.zeros(len(lon), dtype=bool)
        out[todo] = ~polygon_holds_xy(aoi_polygon, x, y)
        rules.append(
            Rule(
                "outside_aoi",
                out,
                column,
                "position {value} is inside the area's bounding box but outside its polygon",
                values,
            )
        )
    return rules


#: Ways a whole file's positions are commonly misread, tried when none fall in the area:
#: (what it means, transform of (lon, lat)).
_MISREADINGS: tuple[tuple[str, Any], ...] = (
    ("latitude and longitude swapped", lambda x, y: (y, x)),
    ("the longitudes' sign flipped (east/west lost)", lambda x, y: (-x, y)),
    ("the latitudes' sign flipped (north/south lost)", lambda x, y: (x, -y)),
    ("both signs flipped", lambda x, y: (-x, -y)),
)


def misplaced_counts(
    lon: np.ndarray, lat: np.ndarray, usable: np.ndarray, aoi_bbox: Sequence[float] | None
) -> np.ndarray:
    """Count what :func:`decide_misplaced` decides on: an int64 array that chunks sum.

    ``[usable positions, inside the area, inside under each of the misreadings, inside the
    bbox's plain reading (:func:`plain_reading`)]``; a file
    read a chunk at a time adds its chunks' counts and calls :func:`decide_misplaced` once.
    """
    out = np.zeros(3 + len(_MISREADINGS), dtype="int64")
    if aoi_bbox is None:
        return out
    x, y = lon[usable], lat[usable]
    out[0] = x.size
    out[1] = int(in_bbox(x, y, aoi_bbox).sum())
    for j, (_, misread) in enumerate(_MISREADINGS):
        mx, my = misread(x, y)
        fits = (np.abs(my) <= 90) & (np.abs(mx) <= 180)
        out[2 + j] = int((fits & in_bbox(mx, np.clip(my, -90, 90), aoi_bbox)).sum())
    plain = plain_reading(aoi_bbox)
    if plain is not None:
        out[-1] = int(in_bbox(x, y, plain).sum())
    return out


def plain_reading(aoi_bbox: Sequence[float]) -> tuple[float, float, float, float] | None:
    """Return the box a bbox across 180° wider than 180° would be with its longitudes swapped.

    ``[10, -5, -10, 5]`` is the 340° across 180° as written, and ``[-10, -5, 10, 5]``, the 20°
    meant, with its edges swapped by mistake.  None for a bbox not across 180°, or one at
    most 180° wide (the shorter way round, a Pacific box, is the natural reading).
    """
    lon0, lat0, lon1, lat1 = (float(v) for v in aoi_bbox)
    if lon0 <= lon1 or lon0 - lon1 >= 180:
        return None
    return (lon1, lat0, lon0, lat1)


def decide_misplaced(
    counts: np.ndarray,
    aoi_bbox: Sequence[float] | None,
    name: str,
    *,
    fix: str,
    min_records: int = 3,
    bbox_as_written: bool = False,
    grid: str | None = None,
) -> list[str]:
    """Refuse a file whose positions all miss the area but would fit it misread one way.

    A file exported with its latitude and longitude columns exchanged, a GeoJSON written in
    ``[lat, lon]`` order, or degrees that lost their W/S hemisphere all give valid positions
    that lie elsewhere: every record would be rejected as ``outside_aoi`` (which the reject
    ceiling does not count) and the run would go on without them.  When at most a tenth of
    the usable positions lie inside the area and one simple misreading puts nine tenths of
    them inside, that is no coincidence: the file is refused, naming the misreading.

    Parameters
    ----------
    counts : numpy.ndarray
        :func:`misplaced_counts` of the whole file (a file read in chunks sums its chunks').
    aoi_bbox : tuple of 4 floats or None
        The area; None checks nothing.
    name : str
        File name, for the message.
    fix : str
        What the user can do, appended to the message.
    min_records : int, default 3
        Fewer usable positions decide nothing.
    bbox_as_written : bool, default False
        ``aoi_bbox`` is the config's ``area.bbox``, as written: one across 180° wider than
        180° whose plain reading (:func:`plain_reading`) holds most of the positions, at
        least three times as many a degree of longitude as the bbox as written, is refused
        as written with its longitudes swapped.  A polygon's bounds are computed,
        never swapped, and are not checked.
    grid : str, optional
        The column of MGRS grid references the positions were read from: no column order
        or lost hemisphere can misplace them, so the refusal points at the area (a bbox
        written latitude first) or at a file for another area, never at the file's columns.

    Returns
    -------
    list of str
        A note when no usable position lies in the area and no misreading explains it.

    Raises
    ------
    InputError
        When a misreading explains the file, or a bbox as written reads its longitudes
        swapped.
    """
    if aoi_bbox is None:
        return []
    n, n_in = int(counts[0]), int(counts[1])
    plain = plain_reading(aoi_bbox) if bbox_as_written else None
    n_plain = int(counts[-1])
    # A box meant across 180° over a wider world's records (a Pacific box 200° wide over a
    # global file) holds its share of them: the plain reading must be far denser to say swap
    denser = plain is not None and n_plain * _across_width(aoi_bbox) >= _SWAP_DENSER * n_in * (
        plain[2] - plain[0]
    )
    if plain is not None and n >= min_records and 2 * n_plain > n and denser:
        raise InputError(
            f"{name}: the area's bbox {tuple(aoi_bbox)!r} has lon_min > lon_max, read as a box "
            f"{_across_width(aoi_bbox):g}° wide across 180°, but {n_plain} of the {n} positions "
            f"lie in {plain!r}, the {plain[2] - plain[0]:g}° box its longitudes read plainly "
            "would give (they would be rejected as outside the area): if the longitudes are "
            f"swapped, write the west edge first, area.bbox: {list(plain)!r}; if the box "
            "across 180° is meant, give it as an area.polygon file (a polygon's bounds are "
            "not second-guessed)"
        )
    if n < min_records or n_in > 0.1 * n:
        return []
    for j, (what, _) in enumerate(_MISREADINGS):
        k = int(counts[2 + j])
        if k >= 0.9 * n and grid is not None:
            raise InputError(
                f"{name}: {n - n_in} of {n} positions lie outside the area of interest "
                f"{tuple(aoi_bbox)!r}, but {k} would lie inside with {what}: they are read "
                f"from the MGRS grid references in {grid!r}, which no column order or lost "
                "hemisphere can misplace; if the area is written latitude first or with a "
                "sign lost, write area.bbox as [lon_min, lat_min, lon_max, lat_max] (west and "
                "south negative); if the file is for another area, leave it out of this config"
            )
        if k >= 0.9 * n:
            raise InputError(
                f"{name}: {n - n_in} of {n} positions lie outside the area of interest "
                f"{tuple(aoi_bbox)!r}, but {k} would lie inside with {what}: the file looks "
                f"misread, not out of the area; {fix}"
            )
    if n_in == 0:
        return [
            f"{name}: none of the {n} positions lies inside the area of interest "
            f"{tuple(aoi_bbox)!r}; every record is rejected as outside_aoi"
        ]
    return []


#: How many times as many positions a degree of longitude of a bbox's plain reading must
#: hold as one of the bbox as written, for the bbox to be refused as swapped.
_SWAP_DENSER = 3.0


def _across_width(aoi_bbox: Sequence[float]) -> float:
    """Return the longitude width of a bbox across 180° (``lon_min > lon_max``)."""
    return 360.0 - float(aoi_bbox[0]) + float(aoi_bbox[2])


def in_bbox(lon: np.ndarray, lat: np.ndarray, bbox: Sequence[float]) -> np.ndarray:
    """Return True where a point lies in ``(lon_min, lat_min, lon_max, lat_max)``.

    A bbox with ``lon_min > lon_max`` crosses the antimeridian.
    """
    lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
    if not (-90 <= lat0 <= lat1 <= 90):
        raise InputError(f"aoi_bbox latitudes must satisfy -90 <= min <= max <= 90, got {bbox!r}")
    in_lat = (lat >= lat0) & (lat <= lat1)

    def within(x):
        if lon0 <= lon1:
            return (x >= lon0) & (x <= lon1)
        return (x >= lon0) | (x <= lon1)

    # -180° and 180° are one meridian: a position written -180 is on a box's edge at 180
    in_lon = within(lon) | within(np.where(np.abs(lon) == 180.0, -lon, lon))
    return in_lat & in_lon


def _check_not_degrees(x: np.ndarray, y: np.ndarray, src, name: str) -> None:
    """Refuse degrees labelled with a CRS in metres or feet.

    Read as metres, degrees land within 200 m of the projection's origin (off West Africa
    for Web Mercator), valid and silently wrong; real projected data never all lies there.
    """
    if not src.is_projected or not src.axis_info:
        return
    unit = src.axis_info[0].unit_name
    if unit not in ("metre", "foot", "US survey foot"):
        return
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any() and bool(np.all((np.abs(x[ok]) <= 180) & (np.abs(y[ok]) <= 90))):
        raise InputError(
            f"{name}: all {int(ok.sum())} positions have coordinates within ±180/±90, but their "
            f"CRS {src.name!r} counts in {unit}s: they look like degrees, which read as "
            f"{unit}s would all land within 200 {unit}s of its origin (0, 0); if they are "
            "degrees, remove crs from the config or fix the CRS the file declares (EPSG:4326)"
        )


def reproject_xy(x: np.ndarray, y: np.ndarray, crs, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinates from ``crs`` to EPSG:4326 lon/lat (always_xy)."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        src = CRS.from_user_input(crs)
    except CRSError as exc:
        raise InputError(f"{name}: crs {crs!r} is not a CRS pyproj understands") from exc
    if src.equals(CRS.from_epsg(4326)) or (src.is_geographic and src.equals("OGC:CRS84")):
        return x, y
    _check_not_degrees(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"), src, name)
    tr = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(x, y)
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    bad = ~np.isfinite(lon) | ~np.isfinite(lat)
    lon[bad] = np.nan
    lat[bad] = np.nan
    return lon, lat


#: A span of times: (first, last) in int64 UTC nanoseconds (first > last: none timed) and
#: whether some times are missing.
TimeSpan = tuple[int, int, bool]
#: The spans taken while :func:`span_memo` is open, by frame and column.
_SPANS: contextvars.ContextVar[dict[tuple[int, str], tuple[weakref.ref, TimeSpan]] | None] = (
    contextvars.ContextVar("_SPANS", default=None)
)


@contextlib.contextmanager
def span_memo() -> Iterator[None]:
    """Remember the span of each frame's column inside the block (frames not changed in it).

    The runner's ingest opens it around its files, whose accepted frames it alone holds:
    a feed of a file a day takes each file's span once, not once per later file.  Outside
    it nothing is remembered: a notebook's frame (``read_seizures(...).frame``) may be
    changed in place between two calls of :func:`reject_repeated_records` (its dates put
    right), and a span remembered by the frame's identity then said that files whose times
    now meet did not: their repeats were kept, counted twice.
    """
    if _SPANS.get() is not None:
        yield
        return
    token = _SPANS.set({})
    try:
        yield
    finally:
        _SPANS.reset(token)


def time_span(frame: pd.DataFrame, column: str) -> TimeSpan:
    """Return the span of ``frame[column]`` (:data:`TimeSpan`), remembered in :func:`span_memo`.

    A file's records are checked for repeats against the earlier files' whose times meet
    its own (:func:`spans_meet`): a feed of a file a day is checked day by day, not against
    its whole history.  Within :func:`span_memo` the span of a frame is taken once, so n
    files cost n spans, not n².
    """
    memo = _SPANS.get()
    key = (id(frame), column)
    hit = memo.get(key) if memo is not None else None
    if hit is not None and hit[0]() is frame:
        return hit[1]
    times = frame[column]
    if times.dtype.kind != "M" and not isinstance(times.dtype, pd.DatetimeTZDtype):
        return (np.iinfo("int64").min, np.iinfo("int64").max, True)  # no times: meets any
    ns = times.to_numpy(dtype="datetime64[ns]").view("int64") if len(times) else np.empty(0, "i8")
    timed = ns[ns != np.iinfo("int64").min]
    span = (
        int(timed.min()) if len(timed) else 0,
        int(timed.max()) if len(timed) else -1,
        len(timed) < len(ns),
    )
    if memo is not None:

        def forget(_: weakref.ref) -> None:  # the frame is gone: its id may be reused
            memo.pop(key, None)

        memo[key] = (weakref.ref(frame, forget), span)
    return span


def spans_meet(a: TimeSpan, b: TimeSpan) -> bool:
    """Whether records of spans ``a`` and ``b`` may share a time (or both have untimed ones).

    Examples
    --------
    >>> spans_meet((0, 10, False), (11, 20, False)), spans_meet((0, 10, True), (11, 20, True))
    (False, True)
    """
    return (a[0] <= b[1] and b[0] <= a[1]) or (a[2] and b[2])
