"""OziExplorer track point files (``.plt``): handheld GPS logs and Microsoft's Geolife trajectories.

Six header lines (the file's kind, the datum, the altitude unit, a reserved line, the
track's line style and name, a point count), then one point per line::

    latitude, longitude, code (1: a break in the track), altitude (feet, -777: none),
    days since 1899-12-30 (a Delphi date, the moment), [date as text, time as text]

The Geolife dataset (182 users, 17,621 trajectories in ``Data/<user>/Trajectory/*.plt``)
writes its first line as ``Geolife trajectory`` and the date and time texts as ISO
``2008-10-23``, ``02:53:04``.  The moment is read from the day count, which every writer
writes the same way (OziExplorer writes the texts in the PC's locale); the texts are used
only where the count is missing.  Only the WGS 84 datum is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SourceUnreadable
from ._common import MISSING_TOKENS, read_text_table

__all__ = ["PltPoints", "read_plt_points"]

#: The names of a point line's fields (five, or seven with the date and time texts).
_FIELDS = ("lat", "lon", "code", "altitude_ft", "days", "date", "clock")
_HEADER_LINES = 6
#: The first line of the files read: OziExplorer's own, and Geolife's.
_KIND = re.compile(r"\s*(?:OziExplorer\s+Track\s+Point\s+File|Geolife\s+trajectory)", re.I)
#: Half the step of a day count written with 7 decimals (1e-7 day = 8.64 ms), and a little.
_COUNT_STEP_MS = 4.5
#: Day counts of the years 1900-9999 (0 and small counts: a writer's placeholder).
_DAYS = (2.0, 2_958_465.0)


@dataclass
class PltPoints:
    """The points of a ``.plt`` file in file order.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``lat``, ``lon`` and ``time`` (ISO text without zone, ``""`` when the line gives
        none) as written, and ``line`` (the point's physical line).
    rejects : pandas.DataFrame
        Lines that are no point line (another number of fields, an unclosed quote).
    track_name : str
        The name on the track line (line 5), ``""`` when none.
    notes : list of str
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    track_name: str
    notes: list[str]


def _text(line: bytes) -> str:
    """Decode a header line: UTF-8, else Windows-1252 (OziExplorer's), else Latin-1."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            pass
    return line.decode("latin-1")


#: A point line: latitude and longitude numbers (one with decimals: the track line's first
#: two fields are whole numbers), then 3 more fields (5 in all) or 5 (7).
_POINT = re.compile(
    r"(?=[^,]*\.|[^,]*,[^,]*\.)\s*[-+]?\d+(?:\.\d*)?\s*,\s*[-+]?\d+(?:\.\d*)?\s*"
    r"(?:,[^,]*){3}(?:,[^,]*,[^,]*)?"
)


def _header(data: bytes, name: str) -> tuple[list[str], int]:
    """Return the header lines (as text) and the byte offset of the first point line.

    Six lines, or fewer where a point line comes earlier (from line 3 on: a writer that
    leaves out the point count, the reserved line or the track line).
    """
    at = 0
    lines: list[str] = []
    for _ in range(_HEADER_LINES):
        end = data.find(b"\n", at)
        text = _text(data[at:] if end < 0 else data[at:end]).strip()
        # the points begin here, the header being the lines above (line 6, the count, is
        # one number: commas there are a point's, a ragged one rejected as such)
        if len(lines) >= 2 and (
            _POINT.fullmatch(text) or (len(lines) == 5 and text.count(",") >= 3)
        ):
            break
        if end < 0:
            lines += [text] if text else []
            at = len(data)
            break
        lines.append(text)
        at = end + 1
    if not lines or not _KIND.match(lines[0]):
        raise SourceUnreadable(
            f"{name}: not an OziExplorer track point file (first line "
            f"{(lines or [''])[0][:60]!r}; expected 'OziExplorer Track Point File Version 2.x' "
            "or 'Geolife trajectory')"
        )
    if len(lines) < _HEADER_LINES and at >= len(data):
        raise SourceUnreadable(
            f"{name}: an OziExplorer .plt file has {_HEADER_LINES} header lines before its "
            f"points; this one has {len(lines)} line(s) in all"
        )
    return lines, at


def read_plt_points(data: bytes, name: str) -> PltPoints:
    """Read the points of an OziExplorer or Geolife ``.plt`` track file.

    Raises
    ------
    SourceUnreadable
        Not a ``.plt`` track file (its first line names no OziExplorer track point file
        nor a Geolife trajectory), or fewer than six header lines.
    InputError
        A datum other than WGS 84 (positions on another datum are off by up to hundreds of
        metres, unsaid).
    """
    from ..errors import InputError

    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    # CRLF, LF or CR alone (an old Mac's), even mixed in one file: each is one line end
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    header, at = _header(data, name)
    datum = header[1].split(",")[0].strip()
    if re.sub(r"[\s_-]", "", datum).upper() != "WGS84":
        raise InputError(
            f"{name}: positions on the datum {datum!r}; only WGS 84 is read (convert the "
            "file with OziExplorer or GPSBabel, e.g. gpsbabel -i ozi -f in.plt -o gpx -F out.gpx)"
        )
    # the track line (line 5 of six; the last header line with commas where a writer
    # leaves lines out): 8 fields, 0, width, colour, the name, skip, type, fill style, fill
    # colour; a name with commas (the format quotes nothing) spans the fields between
    style = next((h for h in reversed(header[2:]) if h.count(",") >= 3), "").split(",")
    name_end = len(style) - 4 if len(style) > 8 else 4
    track_name = ",".join(style[3:name_end]).strip() if len(style) > 3 else ""
    n_header = len(header)
    body = data[at:]
    # the point lines say five or seven fields, most of the first 64 (a blank line above
    # them says nothing: taken for five, every point line of seven was rejected as ragged;
    # so was every one after a first line cut short, '...,2008-10-23' without its clock)
    sample = [ln.count(b",") for ln in body.split(b"\n", 64)[:64] if ln.strip()]
    sevens, fives = sample.count(6), sample.count(4)
    first_seven = bool(sample) and sample[0] >= 6
    n_fields = 7 if sevens > fives or (sevens == fives and first_seven) else 5
    line = ",".join(_FIELDS[:n_fields]).encode() + b"\n"
    shift = n_header - 1  # the names stand on line 1 in place of the header lines
    table = read_text_table(
        Path(name), delimiter=",", data=line + body, encoding=None, line_offset=shift
    )
    raw = table.frame
    days = pd.to_numeric(raw["days"].str.strip(), errors="coerce").to_numpy(dtype="float64")
    ok = (days >= _DAYS[0]) & (days <= _DAYS[1])
    ms = np.where(ok, np.round(np.where(ok, days, 0.0) * 86_400_000.0), 0).astype("int64")
    # OziExplorer writes 7 decimals (8.64 ms): a log of whole seconds reads 12:00:59.996;
    # when every count lies within that of a whole second, the seconds are the moments
    off = ms - np.round(ms / 1000.0) * 1000.0
    if ok.any() and np.all(np.abs(off[ok]) <= _COUNT_STEP_MS):
        ms = (np.round(ms / 1000.0) * 1000.0).astype("int64")
    stamps = pd.Timestamp("1899-12-30") + pd.to_timedelta(ms, unit="ms")
    text = pd.Series(stamps.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3], index=raw.index)
    if n_fields == 7:
        written = (raw["date"].str.strip() + " " + raw["clock"].str.strip()).str.strip()
    else:
        written = pd.Series("", index=raw.index)
    time = text.where(ok, written)
    # the counts are read, the texts only where a count is missing: where ISO texts (as
    # Geolife writes them) disagree with their counts, say so (a file edited by hand, or
    # a writer's texts in another time zone) rather than keep one of the two unsaid
    iso = pd.to_datetime(written, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    apart = (iso - stamps.to_series(index=raw.index)).abs()
    differ = (apart > pd.Timedelta(seconds=1)).to_numpy() & ok
    disagree = int(differ.sum())
    # a count outside the years 1900-9999 with no texts is no moment: said as written (a
    # rejected time, its value the count), not as a time missing from the line (0, a
    # writer's placeholder, is one)
    counted = raw["days"].str.strip()
    bad = ~ok & (time == "") & ~counted.str.lower().isin(MISSING_TOKENS) & (days != 0)
    time = time.where(~bad, "day count " + counted)
    frame = pd.DataFrame(
        {
            "lat": raw["lat"].to_numpy(),
            "lon": raw["lon"].to_numpy(),
            "time": time.to_numpy(),
            "line": np.asarray(table.lines, dtype="int64") + shift,
        }
    )
    rejects = table.bad_rows.copy()
    rejects["row"] = rejects["row"] + shift
    notes = list(table.notes)
    notes.append(
        f"{name}: OziExplorer track point file ({header[0][:40]!r}), datum WGS 84; the moment "
        "of each point read from its day count (days since 1899-12-30)"
        + (", or its date and time texts where the count is missing" if n_fields == 7 else "")
    )
    said = header[-1] if n_header > 2 else ""  # the point count, where it was written
    if said.isdigit() and int(said) > len(frame) + len(rejects):
        # OziExplorer writes the number of points on line 6 (Geolife writes 0): fewer
        # point lines than that is a file cut short (a partial copy or download)
        notes.append(
            f"{name}: line {n_header} says {int(said)} points, the file holds "
            f"{len(frame) + len(rejects)} point line(s): it may be cut short"
        )
    if disagree:
        at_first = int(np.flatnonzero(differ)[0])
        notes.append(
            f"{name}: {disagree} point(s)' date and time texts differ from their day counts "
            f"by more than a second (up to {apart[differ].max().total_seconds():,.0f} s; first on line "
            f"{int(frame['line'].iloc[at_first])}: {written.iloc[at_first]!r} for "
            f"{text.iloc[at_first]!r}); the day counts are read"
        )
    if n_header < _HEADER_LINES:
        notes.append(
            f"{name}: line {n_header + 1} is a point: {n_header} header lines, not "
            f"{_HEADER_LINES} (its writer left some out), the points from line "
            f"{n_header + 1} on"
            + ("" if said.isdigit() else "; no point count")
            + (f"; the track's name {track_name!r}" if track_name else "; no track name")
        )
    return PltPoints(frame, rejects, track_name, notes)
