"""Place local times in UTC by the zone or offset a time header or an offset column names.

One rule for every reader of dated records (tracks and seizures):

- a value that carries its own offset (``2021-03-05T10:00+02:00``, ``...Z``) keeps it;
- a naive value with a time of day beside a UTC offset column (``utc_offset``, ``timezone``,
  ``tz``, ``GMT offset``; a bare ``Zone`` only when its values are offsets) is placed by its
  row's offset or zone name (daylight-saving rules applied); a row without a usable one is
  rejected as ``time_zone_unknown``.  A ship's log's zone description (``ZD``, ``Zone
  description``) is read with the nautical sign: UTC is the local time plus the zone
  description (``ZD +5`` is UTC-5).  A zone letter reads as its hours (``R``, ``Romeo``:
  ZD +5; ``J``, local time, names none); whether the column holds zone descriptions is
  decided on the whole file, read whole or in chunks.  A bare ``Zone`` of signed hours only
  (``+5``, ``-3``) is refused: as an offset ``+5`` is UTC+5, as a zone description UTC-5;
- else a zone or offset the time header names (``Date (UTC+5)``, ``Time [CET]``,
  ``time (Europe/Berlin)``, ``Time (+02:00)``) applies to the naive values; a wall-clock
  time the zone skips or repeats is rejected as ``time_zone_unknown``;
- a header naming an abbreviation of several zones (``EST``, ``IST``) or only saying local
  time (``date_local``, ``Time (LT)``) or zone time with no hours (``Time (ZD)``, no column
  of zone descriptions beside it) with naive values is refused: which zone is a guess;
- ``MSK``, whose offset changed, is read by Moscow's standard time at the date (+4 h from
  2011-03-27 to 2014-10-26), in a header or an offset column as in the values;
- a date without a time of day stays 00:00 UTC.

Statements that disagree keep that precedence (the value's own offset, a header saying UTC,
the row's column, the header's zone), and the rows where the one applied disagrees with
another - a value's own offset with its row's column or its header's zone, a row's column
with the header's zone (a zone name at the time's instant), ``Z`` under ``Time (LT)`` - are
counted in notes naming both, of one wording each so that a file read in chunks adds them up.
Epoch numbers under a header or beside a column naming another zone are counted apart (an
instant has no zone to disagree with, but that zone was not applied), and so is a value's own
summer offset under ``Time (CET)`` (``EET``, ``WET``, ``MET``), read as +01:00 all year where
people also write CET for the summer's CEST.

The count placed, and by what, goes to the read's notes and ``time_zone`` assumption.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ._columns import (
    WholeFile,
    holds_zone_description,
    local_time_header,
    name_tokens,
    nautical_zone_header,
    offset_header,
)
from ._common import Rule, as_text, normalise_name
from ._dates import (
    DATED_ZONE_ABBREVIATIONS,
    DATED_ZONES_SAID,
    ZONE_ABBREVIATIONS,
    ZONE_LETTER_WORDS,
    ZONE_LETTERS,
    zone_abbreviation_offsets,
)

__all__ = [
    "apply_time_zone",
    "header_zone",
    "mixed_zone_error",
    "place_local_times",
    "utc_offset_seconds",
    "zone_kind",
    "zone_layout",
]


#: Header words saying a time is UTC (``Time (UTC)``, ``time_utc``, ``Zulu time``).
_UTC_WORDS = frozenset({"utc", "gmt", "zulu"})
#: Zone abbreviations that name several zones (US or Australian eastern, US Pacific or
#: Philippine, ...): a header naming one says local time without saying which.
_AMBIGUOUS_ZONES = frozenset(
    "EST EDT CST CDT PST PDT MST MDT AST ADT IST BST NST NDT ET CT MT PT".split()
)
#: Capital words ending in T that a time header may put in brackets and that name no zone
#: (GPS time is within 18 s of UTC); any other such word, unknown, is refused.
_NOT_ZONES = frozenset(
    "TEXT LAST FIRST START SENT EXIT POST PAST NEXT LEFT SET GOT OUT BEST EXACT EVENT ALERT "
    "INPUT LOST MOST DIGIT GPST ATT NOT AUT".split()
)
#: A zone or offset a time header names: ``Time (CET)``, ``Date Time [UTC+2]``, ``Time PST``,
#: ``time (Europe/Berlin)``.
#: (not the tz database's 'Etc/GMT-3', which is 3 h east of UTC: its name, below, places it)
_HEADER_OFFSET = re.compile(
    r"(?<![A-Za-z/])(?:UTC|GMT)\s*[+\-\u2212]\s*\d{1,2}(?::?\d{2}|\.\d+)?", re.I
)
#: A bare offset alone in a time header's brackets: ``Time (+02:00)``, ``Date [-0530]``.
_HEADER_BARE_OFFSET = re.compile(r"[(\[{]\s*[+\-\u2212]\d{1,2}(?::?\d{2}|\.\d+)?\s*[)\]}]")
_HEADER_ZONE_NAME = re.compile(r"[A-Za-z_]+/[A-Za-z0-9_/+\-]+")
#: A ship's log's zone description in a time header: ``Time (ZD+5)``, ``Date [ZD: -3]``,
#: ``Time (ZD+05:30)`` (as a ZD column may write it).
_HEADER_ZD = re.compile(
    r"(?<![A-Za-z])ZD\s*[:=]?\s*(?P<h>[+\-\u2212]?\d{1,2}(?:\.\d+|:\d{2})?)(?![\d:.])", re.I
)
#: Signed hours after the word zone in a time header (``Time (zone +5)``): an offset, or a
#: zone description of the opposite sign?
_HEADER_ZONE_HOURS = re.compile(
    r"(?<![A-Za-z])zone\s*[:=]?\s*(?P<h>[+\-\u2212]\d{1,2}(?:\.\d+)?)(?![\d:.])", re.I
)


def header_zone(column: str | None, name: str = "") -> tuple[str | None, str | None]:
    """Return (zone or offset text, abbreviation of several zones) that a time header names.

    The text is what :func:`utc_offset_seconds` reads (``CET``, ``UTC+2``, ``Europe/Berlin``);
    an abbreviation of several zones (``EST``, ``PST``) comes second, to be refused.  Words
    are read where a header puts its unit: in brackets, or written in capitals.  A
    bracketed name with a slash is a zone only when the tz database has it (``Europe/Berlin``,
    any case): ``Date (dd/mm/yyyy)`` gives the date's layout, no zone.

    Raises
    ------
    InputError
        A bracketed name in one of the tz database's areas that is no zone of it
        (``Europe/Berln``): every local time would be left unplaced; signed hours after
        ``zone`` (``Time (zone +5)``), an offset or a zone description.

    A ship's log's zone description (``Time (ZD+5)``: UTC is the time plus 5 h) is given as
    the offset it means (``UTC-05:00``).
    """
    if not column:
        return None, None
    text = str(column)
    zd = _HEADER_ZD.search(text)
    if zd:
        h, _, m = zd.group("h").replace("\u2212", "-").partition(":")
        # 'ZD+05:30': the minutes take the hours' sign ('ZD-0:30' is half an hour east)
        hours = float(h) + (-1 if h.startswith("-") else 1) * int(m or 0) / 60
        # '+5:90' is no clock (a ZD column's '+5:90' is no offset either), not 6:30
        if abs(hours) <= 12 and (hours * 2).is_integer() and int(m or 0) < 60:
            minutes = round(abs(hours) * 60)
            sign = "-" if hours > 0 else "+"  # ZD +5 is 5 h west of UTC
            return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}", None
        raise InputError(
            f"{name or 'a table'}: time column {text!r} names the zone description "
            f"{zd.group(0)!r}, which is none (whole or half hours from -12 to +12)"
        )
    signed = _HEADER_ZONE_HOURS.search(text)
    if signed:
        h = signed.group("h").replace("\u2212", "-")
        raise InputError(
            f"{name or 'a table'}: time column {text!r} names the zone {h}, which is UTC{h} as "
            f"an offset and the opposite as a ship's log's zone description; write "
            f"'(UTC{h})' or '(ZD{h})' in the header"
        )
    m = _HEADER_OFFSET.search(text) or _HEADER_BARE_OFFSET.search(text)
    if m:
        return m.group(0).strip("()[]{} ").replace("\u2212", "-").replace(" ", "").upper(), None
    bracketed = " ".join(re.findall(r"[(\[{]([^)\]}]*)[)\]}]", text))
    for m in _HEADER_ZONE_NAME.finditer(bracketed):
        # a slash is no zone by itself: 'Date (dd/mm/yyyy)' gives the date's layout
        zone = _iana_zone(m.group(0))
        if zone is not None:
            return zone, None
        if m.group(0).split("/", 1)[0].lower() in _iana_areas():
            raise InputError(
                f"{name or 'a table'}: time column {text!r} names the zone {m.group(0)!r}, which is no IANA time "
                "zone (e.g. Europe/Berlin); write the zone's name as the tz database spells it"
            )
    words = {w.upper() for w in re.findall(r"[A-Za-z]+", bracketed)}
    words |= set(re.findall(r"(?<![A-Za-z])[A-Z]{2,5}(?![A-Za-z])", text))
    words -= {"UTC", "UT", "GMT", "Z"}
    for w in sorted(words):
        if w in _AMBIGUOUS_ZONES:
            return None, w
    for w in sorted(words):
        if w in ZONE_ABBREVIATIONS:
            return w, None
    unknown = sorted(
        w
        for w in re.findall(r"[(\[{]\s*([A-Z]{2,4}T)\s*[)\]}]", text)
        if w not in _NOT_ZONES and w not in ZONE_ABBREVIATIONS
    )
    if unknown:
        # 'Time (BRT)', '(IDT)', '[NPT]': a zone this table does not know, read as UTC it
        # left every time hours off without a word
        raise InputError(
            f"{name or 'a table'}: time column {text!r} names the zone abbreviation "
            f"{unknown[0]!r}, which is not among those read here; write its offset in the "
            "header (Time (UTC-3)) or the zone's name (Time (America/Sao_Paulo))"
        )
    return None, None


@functools.cache
def _iana_zones() -> dict[str, str]:
    """Return the tz database's zone names by their lower-case spelling."""
    return {z.lower(): z for z in zoneinfo.available_timezones()}


@functools.cache
def _iana_areas() -> frozenset[str]:
    """Return the areas (``europe``, ``america``) the tz zone names begin with, lower case."""
    return frozenset(z.split("/", 1)[0] for z in _iana_zones() if "/" in z)


def _iana_zone(text: str) -> str | None:
    """Return the tz database's zone that ``text`` names (any case), or None."""
    return _iana_zones().get(text.lower())


#: Whole header names that also name something else: a UTM zone, a map or fishing zone
#: ('Zone': 17, MarineCadastre's AIS came by UTM zone).  Such a column is the records' time
#: zone only when its values are offsets or zone names.
_AMBIGUOUS_OFFSET_NAMES = frozenset({"zone"})
#: A zone name as written in an offset column (Europe/Oslo, Etc/GMT+5).
_ZONE_NAME = r"[A-Z_]+/[A-Z0-9_/+-]+"


def _offset_column(
    raw: pd.DataFrame,
    cols: list[str],
    taken: set,
    name: str,
    whole: WholeFile | None = None,
    distinct: dict[str, pd.Series] | None = None,
) -> tuple[str | None, str | None]:
    """Return the column that gives the records' UTC offset or time zone, and a note.

    ``utc_offset``, ``UTCOffset``, ``tz_offset``, ``GMT offset``, ``timezone``, ``Time Zone``,
    ``tz``.  Two such columns are refused (which one applies?).  A bare ``Zone`` is taken
    only when its values are offsets or zone names (signed, ``+02:00``, ``Europe/Oslo``):
    unsigned numbers there are a UTM or map zone, and the note says it was not applied.
    A ``ZD`` or ``Zone description`` is taken when some value of it is a zone description
    (``+5``, ``R``); ``raw`` may be a file's first chunk, and ``whole`` then scans the rest
    of the file for one (a first chunk of blanks or words passed the column over for the
    whole file, its later zone descriptions unread: times hours off).
    A bare ``Zone`` of signed whole or half hours only (``+5``, ``-3``, ``0``) is refused:
    read as offsets ``+5`` is UTC+5, read as a ship's log's zone description UTC-5.
    A bare ``Zone`` is judged on the whole file's distinct values (:func:`_distinct_values`,
    kept in ``distinct``): blank in a first chunk and offsets further on, it was passed over.

    Raises
    ------
    InputError
        Two such columns; a bare ``Zone`` of offsets and map zones both, or of signed hours
        whose sign's meaning is not known.
    """
    found = []
    passed = []
    elapsed: list[str] = []
    for c in cols:
        if c in taken:
            continue
        if offset_header(c):
            if normalise_name(c) in _AMBIGUOUS_OFFSET_NAMES:
                values = _distinct_values(raw, c, whole, distinct)
                zone_kind(values, c, name)  # refuses a column of offsets and map zones both
                if not _offset_like(values):
                    passed.append(c)
                    continue
                _refuse_signed_hours(values, c, name)
            elif nautical_zone_header(c) and not _zone_descriptions_in(raw[c], c, whole):
                # 'Zone description' of an EEZ or a fishing zone in words ('Territorial
                # sea'): taken, every record was rejected as time_zone_unknown
                passed.append(c)
                continue
            elif _bare_time_offset(c) and _not_quarter_hours(raw[c], c) is not None:
                # 'Time offset (s)' of a GPS log: the seconds since the recording began
                # moved each time by them (37 s earlier), exit 0
                elapsed.append(c)
                continue
            found.append(c)
    if len(found) > 1:
        raise InputError(
            f"{name}: several columns name a UTC offset or time zone ({found!r}); keep one, "
            "or write the times in UTC"
        )
    note = None
    if elapsed:
        c = elapsed[0]
        note = (
            f"{name}: column {c!r} holds values that are no UTC offset (e.g. "
            f"{_not_quarter_hours(raw[c], c)!r}: an offset is a whole number of quarter hours; "
            "a time since the start of a recording?); not applied to the times - name it "
            "utc_offset if it is one"
        )
    if passed:
        text = as_text(_distinct_values(raw, passed[0], whole, distinct))
        example = text[(text.str.strip() != "").to_numpy() & ~_offset_values(text)]
        note = (
            f"{name}: column {passed[0]!r} holds no ship's log's zone description (signed "
            "hours)"
            + (f" (e.g. {example.iloc[0]!r}: a sea or fishing zone's?)" if len(example) else "")
            + "; not applied to the times"
            if nautical_zone_header(passed[0])
            else f"{name}: column {passed[0]!r} holds no UTC offset or time-zone name"
            + (f" (e.g. {example.iloc[0]!r}: a UTM or map zone?)" if len(example) else "")
            + "; not applied to the times"
        )
    return (found[0] if found else None), note


#: Distinct values of a bare ``Zone`` column kept from a whole file: offsets and zone names
#: are a few hundred; a column of more holds other values among them already.
_DISTINCT_MAX = 100_000


def _distinct_values(
    raw: pd.DataFrame,
    column: str,
    whole: WholeFile | None,
    distinct: dict[str, pd.Series] | None = None,
) -> pd.Series:
    """Return the column's values, or where ``raw`` is a first chunk the whole file's distinct ones.

    The rules of a bare ``Zone`` column read its distinct values in file order
    (``pd.unique``): those of the whole file, a chunk at a time, give the answers of a read
    of the whole file.  ``distinct`` keeps them per column for the next rule that asks.
    """
    if whole is None or whole.pieces is None or not whole.more():
        return raw[column]
    if distinct is not None and column in distinct:
        return distinct[column]
    seen: list[np.ndarray] = []
    n = 0
    for frame in whole.pieces([column]):
        new = pd.unique(frame[column].to_numpy(dtype=object))
        if seen:
            new = new[~pd.Series(new).isin(np.concatenate(seen)).to_numpy()]
        seen.append(new)
        n += len(new)
        if n > _DISTINCT_MAX:
            break
    values = pd.Series(np.concatenate(seen) if seen else np.array([], dtype=object), dtype=object)
    if distinct is not None:
        distinct[column] = values
    return values


def _bare_time_offset(column: str) -> bool:
    """Whether a header says only an offset of time (``time_offset``, ``Time offset (s)``).

    Such a header may name a time since some start as well as a UTC offset; one naming
    UTC, GMT or a zone (``utc_offset``, ``tz_offset``) says which.
    """
    toks = set(name_tokens(column))
    return "offset" in toks and not toks & {"utc", "gmt", "tz", "zone", "timezone", "tzoffset"}


def _not_quarter_hours(values: pd.Series, column: str) -> Any:
    """Return a value that is no whole number of quarter hours east of UTC (else None)."""
    sec, _ = utc_offset_seconds(values, _offset_unit_s(column))
    text = as_text(values)
    present = (text.str.strip() != "").to_numpy()
    # a number beyond 14 h (3600 s read in hours) is no offset either; a value that is no
    # offset at all (a word) stays its row's reject
    unit = _offset_unit_s(column)
    num = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype="float64") * unit
    far = np.isfinite(num) & (np.abs(num) > 14 * 3600)
    odd = present & (far | (np.isfinite(sec) & (np.round(np.nan_to_num(sec)) % 900 != 0)))
    return text[odd].iloc[0] if odd.any() else None


#: An offset no map zone is written as: ``+02:00``, ``-0530``, ``UTC+2``, a zone name.
_STRONG_OFFSET = re.compile(
    rf"^(?:(?:UTC|GMT|UT)[+-]\d{{1,2}}(?::?\d{{2}}|\.\d+)?|[+-]\d{{1,2}}:?\d{{2}}|{_ZONE_NAME})$"
)


#: Signed whole or half hours, or 0: how a zone description is written (and an offset may be).
_SIGNED_HOURS = r"[+-]\d{1,2}(?:\.[05]0*)?|0+(?:\.0*)?"


def _refuse_signed_hours(values: pd.Series, column: str, name: str) -> None:
    """Refuse a bare ``Zone`` of signed hours only, a sign whose meaning is a guess.

    ``Zone: +5`` in a ship's log is its zone description (local time plus 5 h is UTC: UTC-5);
    elsewhere it may be an offset (UTC+5): ten hours apart.  A column that writes any value as
    no zone description is (``+05:00``, ``UTC-5``, ``Europe/Oslo``, ``CET``) is offsets; one of
    zeros only is UTC either way.
    """
    text = pd.Series(pd.unique(as_text(values).to_numpy(dtype=object)), dtype=object)
    s = (
        text.astype("str")
        .str.strip()
        .str.replace(r"\s+", "", regex=True)
        .str.replace("\u2212", "-")
    )
    s = s[s != ""]
    hours = s.str.fullmatch(_SIGNED_HOURS).to_numpy(dtype=bool)
    if not len(s) or not hours.all():
        return
    number = pd.to_numeric(s, errors="coerce").fillna(0).to_numpy(dtype="float64")
    if (number != 0).any():
        first = s[number != 0].iloc[0]
        h = float(number[number != 0][0])
        raise InputError(
            f"{name}: column {column!r} holds signed hours ({first!r}) and names no "
            f"convention: as a UTC offset {first} is UTC{h:+g}, as a ship's log's zone "
            f"description (UTC = local time + ZD) UTC{-h:+g}; rename the column utc_offset "
            "or zone_description"
        )


def zone_kind(values: pd.Series, column: str, name: str) -> tuple[bool, bool, bool]:
    """Return (blank, all offsets, offsets written as no map zone is) of a bare ``Zone`` column.

    A column that holds offsets written as no map zone is (``+02:00``, ``UTC+2``,
    ``Europe/Oslo``) beside values that are no offset (``31``, ``A1``) is refused: whether
    its offsets apply is a guess, and deciding on the first rows only (a file read in
    chunks) or on all of them would read the same file two ways.  A bare ``+1`` among
    fishing zones (``A1``, ``B2``) is a zone like them.

    Raises
    ------
    InputError
        Such offsets and values that are no offset both.
    """
    text = pd.Series(pd.unique(as_text(values).to_numpy(dtype=object)), dtype=object)
    text = text[text.astype("str").str.strip() != ""]
    if not len(text):
        return True, False, False
    offs = _offset_values(text)
    norm = (
        text.astype("str")
        .str.upper()
        .str.replace(r"\s+", "", regex=True)
        .str.replace("\u2212", "-")
    )
    strong = offs & norm.str.fullmatch(_STRONG_OFFSET).to_numpy(dtype=bool)
    if strong.any() and not offs.all():
        raise mixed_zone_error(name, column, text[strong].iloc[0], text[~offs].iloc[0])
    return False, bool(offs.all()), bool(strong.any())


def mixed_zone_error(name: str, column: str, offset: Any, other: Any) -> InputError:
    """Return the refusal of a ``Zone`` column of offsets and map zones both."""
    return InputError(
        f"{name}: column {column!r} holds UTC offsets or zone names ({offset!r}) and other "
        f"values ({other!r}: a UTM or map zone?); whether it places the times is a guess: "
        "rename it utc_offset if it holds offsets (and fix the other values), or leave it "
        "out of the export"
    )


def _zone_descriptions_in(values: pd.Series, column: str, whole: WholeFile | None) -> bool:
    """Whether any value is written as a ship's log's zone description (``+5``, ``0``, ``R``).

    A column of none (an EEZ's or a fishing zone's description in words) is passed over; one
    of some is applied, its values that give no hours (``Territorial sea``) rejected as
    ``time_zone_unknown``.  ``values`` may be a file's first chunk: ``whole`` then answers
    for the whole file.
    """
    if holds_zone_description(values):
        return True
    return bool(
        whole is not None
        and whole.any_of is not None
        and whole.more()
        and whole.any_of(column, holds_zone_description)
    )


def _offset_like(values: pd.Series) -> bool:
    """Whether every non-blank value is an offset, a zone abbreviation or a zone name.

    Unsigned numbers other than 0 are not (a UTM zone is 1-60); 0 is UTC either way.
    """
    text = pd.Series(pd.unique(as_text(values).to_numpy(dtype=object)), dtype=object)
    text = text[text.astype("str").str.strip() != ""]
    return bool(len(text)) and bool(_offset_values(text).all())


def _offset_values(text: pd.Series) -> np.ndarray:
    """Mask of the values that read as a UTC offset or zone (see :func:`_offset_like`)."""
    s = text.astype("str").str.upper().str.replace(r"\s+", "", regex=True)
    sec, _ = utc_offset_seconds(s)
    unsigned = s.str.fullmatch(r"\d+(?:\.\d+)?").to_numpy() & (sec != 0)
    # an abbreviation of several zones (EST, IST) is a time zone too: taken, its values are
    # rejected as time_zone_unknown rather than the column passed over as a map zone
    zoneish = s.str.fullmatch(_ZONE_NAME) | s.str.fullmatch(r"[A-Z]{1,4}[SD]?T")
    return (np.isfinite(sec) & ~unsigned) | zoneish.to_numpy()


def _offset_unit_s(col: str | None) -> float:
    """Seconds of one unit of a numeric offset: minutes or seconds if the header says so."""
    toks = set(name_tokens(col)) if col else set()
    if toks & {"min", "mins", "minute", "minutes"}:
        return 60.0
    if toks & {"s", "sec", "secs", "second", "seconds"}:
        return 1.0
    return 3600.0


_OFFSET_TEXT = re.compile(
    r"^(?P<prefix>UTC|GMT|UT)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2})|(?P<frac>\.\d+))?$"
)


def utc_offset_seconds(
    values: pd.Series,
    unit_s: float = 3600.0,
    nautical: bool = False,
    at: np.ndarray | None = None,
    at_utc: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (offset seconds east of UTC, IANA zone name) of an offset or time-zone column.

    Offsets are ``+02:00``, ``+0200``, ``UTC+2``, ``GMT-05:30`` (a Unicode minus ``\u2212``
    as ``-``, as in a header), ``Z``/``UTC``/``GMT`` (zero), the zone abbreviations of one meaning (``CET``: +1, see
    :data:`~pipeline.ingest._dates.ZONE_ABBREVIATIONS`), or numbers (``2``, ``-5``, ``5.5``) in ``unit_s`` seconds (hours unless the
    header says minutes or seconds; there ``-300`` is -300 minutes, where an hours column
    reads a signed ``-0300`` or ``+530`` as hhmm).  A zone name (``Europe/Oslo``) gives NaN seconds and
    its name, to be applied with its daylight-saving rules.  Offsets beyond ±14 h, empty and
    unknown values are NaN with an empty name.  ``nautical`` reads a ship's log's zone
    descriptions (``+5``, ``-3``, ``+05:00``: UTC is the local time plus them, so ``+5`` is
    -5 h): signed hours only, a zone name or abbreviation there is unknown (NaN) unless UTC.
    ``at``: the times the values place, in seconds since the epoch of their wall clock (of
    UTC with ``at_utc``), for the abbreviations whose offset changed with the date (``MSK``:
    :func:`~pipeline.ingest._dates.zone_abbreviation_offsets`); without it they read by
    today's meaning, for telling offsets from other values only.
    """
    text = as_text(values)
    s = text.str.upper().str.replace(r"\s+", "", regex=True).str.replace("\u2212", "-")
    out = np.full(len(s), np.nan)
    # UTC, Z and the abbreviations with one meaning (CET, JST), as in a time column
    abbr = s.map(ZONE_ABBREVIATIONS).to_numpy(dtype="float64")
    known = np.isfinite(abbr)
    out[known] = abbr[known] * 3600.0
    dated = s.isin(list(DATED_ZONE_ABBREVIATIONS)).to_numpy()
    if at is not None and dated.any():
        out[dated] = zone_abbreviation_offsets(
            s[dated].to_numpy(dtype=object), np.asarray(at)[dated], utc=at_utc
        )
    plain = s.str.fullmatch(r"[+-]?\d+(?:\.\d+)?").to_numpy()
    if plain.any():
        out[plain] = pd.to_numeric(s[plain], errors="coerce").to_numpy(dtype="float64") * unit_s
    m = s.str.extract(_OFFSET_TEXT)
    clock = (m["sign"].notna() & (m["m"].notna() | m["prefix"].notna())).to_numpy()
    if unit_s != 3600.0:  # '-300' in minutes is -5 h, not -3:00 written hhmm
        clock = clock & ~plain
    if clock.any():
        sign = np.where(m["sign"].to_numpy(dtype=object) == "-", -1.0, 1.0)
        hh = pd.to_numeric(m["h"], errors="coerce").to_numpy(dtype="float64")
        # 'UTC+5.5' is 5 h 30 min: hours with a fraction, as a plain '5.5' is
        hh = hh + pd.to_numeric(m["frac"], errors="coerce").fillna(0).to_numpy(dtype="float64")
        mm = pd.to_numeric(m["m"], errors="coerce").fillna(0).to_numpy(dtype="float64")
        sec = sign * (hh * 3600 + mm * 60)
        sec[mm >= 60] = np.nan
        out[clock] = sec[clock]
    out[np.abs(out) > 14 * 3600] = np.nan
    if nautical:
        # hours and clocks are west of UTC; a name other than UTC's is no zone description
        out = np.where(plain | clock, -out, np.where(known & (abbr == 0), 0.0, np.nan))
        east, lettered, _ = _zone_letters(s)
        out = np.where(lettered, east, out)
        return out + 0.0, np.full(len(s), "", dtype=object)
    named = s.str.contains("/", regex=False).to_numpy()
    # a zone name in any case is the tz database's ('europe/berlin'), as in a time header
    spelt = s.str.lower().map(_iana_zones()).fillna(text).to_numpy(dtype=object)
    zone = np.where(named, spelt, "").astype(object)
    return out, zone


#: A ship's log's zone letter or its word (``R``, ``Romeo``), alone or after the hours it
#: names (``+5 (R)``); upper case, blanks taken out.
_ZD_LETTER = re.compile(
    r"^(?:(?P<h>[+-]?\d{1,2}(?:\.\d+)?)[^\w+-]*)?(?P<l>[A-Z](?:[A-Z]*|-RAY))[^\w+-]*$"
)


def _zone_letters(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (seconds east of UTC, written with a letter, the letter is J) per zone description.

    ``s`` is upper case without blanks.  A letter reads by
    :data:`~pipeline.ingest._dates.ZONE_LETTERS` (``R``: ZD +5, UTC-5), as its word does
    (``ROMEO``); hours written beside it must be its own (``+5(R)``), else NaN: which of the
    two is right is not known.  ``J`` (Juliet, the observer's local time) and a word that is
    no letter's are NaN.
    """
    m = s.str.extract(_ZD_LETTER)
    word = m["l"].where(m["l"].str.len() == 1, m["l"].map(ZONE_LETTER_WORDS))
    east = word.map(ZONE_LETTERS).to_numpy(dtype="float64") * 3600.0
    hours = pd.to_numeric(m["h"], errors="coerce").to_numpy(dtype="float64")
    # ZD +5 is 5 h west: the hours written beside a letter are the opposite of its offset
    east[np.isfinite(hours) & (-hours * 3600.0 != east)] = np.nan
    lettered = word.notna().to_numpy()
    return east, lettered, (word == "J").to_numpy()


def _dated_abbreviations(values: pd.Series) -> np.ndarray:
    """Mask of the values naming an abbreviation whose offset changed with the date (MSK)."""
    text = as_text(values).str.upper().str.replace(r"\s+", "", regex=True)
    return text.isin(list(DATED_ZONE_ABBREVIATIONS)).to_numpy(dtype=bool)


def zone_layout(
    raw: pd.DataFrame,
    cols: list[str],
    pick: dict,
    name: str,
    evidence: dict,
    whole: WholeFile | None = None,
) -> dict[str, Any]:
    """Find the UTC offset column and header zone; return their layout entries.

    ``pick`` (the roles picked: ``time``, ``time_of_day``) gains ``utc_offset`` and
    ``zone_checked``; ``evidence`` gains ``utc_offset``.  Every table of dated records (pings
    of CSV, JSON, Parquet and point layers; seizure records) places its local times by the
    same rule, :func:`apply_time_zone`.  ``raw`` may be a file's first chunk: ``whole``
    scans the whole file where a decision needs it (:func:`_offset_column`).
    """
    distinct: dict[str, pd.Series] = {}  # a bare 'Zone' column's, over the whole file
    offset_col, note = _offset_column(
        raw, cols, {c for c in pick.values() if c}, name, whole, distinct
    )
    utc_header = next(
        (
            c
            for c in (pick["time"], pick.get("time_of_day"))
            if c and _UTC_WORDS & set(name_tokens(c)) and header_zone(c, name) == (None, None)
        ),
        None,
    )
    if offset_col is not None and utc_header is not None:
        # 'Time (UTC)' beside a 'ZD' or 'utc_offset': a log's times in UTC with the zone it
        # kept for its local clock; applied, the column moved UTC times by hours
        note = "; ".join(
            filter(
                None,
                [
                    note,
                    f"{name}: header {utc_header!r} says its times are UTC; column "
                    f"{offset_col!r} (a zone or offset) was not applied to them",
                ],
            )
        )
        offset_col = None
    pick["utc_offset"] = offset_col
    # a bare 'Zone' column (applied or not) is checked again in every later chunk of a
    # file read in chunks: one that turns out to hold both kinds is refused, as when whole
    zone = [
        c for c in cols if normalise_name(c) in _AMBIGUOUS_OFFSET_NAMES and c not in pick.values()
    ]
    pick["zone_checked"] = offset_col if _is_bare_zone(offset_col) else (zone[0] if zone else None)
    zone_blank = (
        bool(pick["zone_checked"])
        and (zone_kind(_distinct_values(raw, pick["zone_checked"], whole, distinct), "", name)[0])
    )
    if offset_col is not None:
        evidence["utc_offset"] = {
            "column": offset_col,
            "by": "name",
            "evidence": (
                f"header {offset_col!r} names a ship's log's zone description: UTC is the "
                "local time plus it (ZD +5 is UTC-5), a zone letter its hours (R, Romeo: ZD "
                "+5; J, local time, names none); applied to the times that name no zone"
                if nautical_zone_header(offset_col)
                else f"header {offset_col!r} names a UTC offset or time zone; applied to "
                "the times that name no zone"
            ),
        }
    time_cols = [c for c in (pick["time"], pick.get("time_of_day")) if c]
    named = [(c, *header_zone(c, name)) for c in time_cols]
    # 'Time (ZD)': zone time, its zone description not in the header (no hours); a ZD
    # column gives it, else the times cannot be placed (read as UTC they were hours off)
    zone_time = next(
        (c for c, z, a in named if "zd" in name_tokens(c) and z is None and a is None), None
    )
    # 'Time (ZD+5)' beside a bare 'Zone' of '+05:00' as much as 'Time (ZD)': applied as
    # offsets, the times were ten hours from the header's zone time, with a note only
    zd_header = zone_time or next((c for c, *_ in named if "zd" in name_tokens(c)), None)
    if zd_header and _is_bare_zone(offset_col):
        assert offset_col is not None
        zones = _distinct_values(raw, offset_col, whole, distinct)
        signed = as_text(zones).str.strip().str.match(r"[+\-\u2212]?\d")
        if signed.any():
            # '+05:00' is UTC+5 as an offset, UTC-5 as the zone description the header's
            # 'ZD' says the times are in: ten hours apart
            raise InputError(
                f"{name}: time column {zd_header!r} says zone time (a ship's log's) and "
                f"column {offset_col!r} gives signed offsets (e.g. "
                f"{zones[signed.to_numpy()].iloc[0]!r}) whose sign may be a UTC "
                "offset's or a zone description's; rename the column utc_offset or "
                "zone_description"
            )
    zone_text = next(((c, z) for c, z, _ in named if z), None)
    several = next(((c, a) for c, _, a in named if a), None)
    header_said = zone_text or several
    if offset_col is not None and header_said is not None:
        # the row's own offset is applied; the header's zone is said not to be
        header, said = header_said
        note = "; ".join(
            filter(
                None,
                [
                    note,
                    f"{name}: header {header!r} names the zone {said!r}, but column "
                    f"{offset_col!r} gives each row's offset, and it is the one applied (the "
                    "header's zone is not); set the offsets right if the two disagree",
                ],
            )
        )
    if zone_text is not None and offset_col is None and several is None:
        evidence["utc_offset"] = {
            "column": zone_text[0],
            "by": "header",
            "evidence": f"header {zone_text[0]!r} names the zone or offset {zone_text[1]!r}; "
            "applied to the times that name no zone",
        }
    return {
        "offset": raw[offset_col] if offset_col else None,
        "offset_col": offset_col,
        "offset_unit_s": _offset_unit_s(offset_col),
        "offset_nautical": offset_col is not None and nautical_zone_header(offset_col),
        "offset_note": note,
        "zone_blank": zone_blank,
        "header_zone": None if several else zone_text,
        "header_zone_several": several,
        "time_is_local": bool(several or zone_time or any(local_time_header(c) for c in time_cols)),
        "local_col": next(
            (c for c in time_cols if local_time_header(c)), zone_time or pick["time"]
        ),
        "zone_time_col": zone_time,
        "header_utc": utc_header,
    }


def _is_bare_zone(col: str | None) -> bool:
    return col is not None and normalise_name(col) in _AMBIGUOUS_OFFSET_NAMES


def place_local_times(
    parsed,
    offsets: pd.Series,
    local: np.ndarray,
    unit_s: float,
    by: str = "",
    nautical: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Move the ``local`` times of ``parsed`` to UTC by their offset or zone; in place.

    Returns the rows whose offset is missing or unusable (their local time cannot be placed)
    and a report for the assumptions.  A zone name is applied with its daylight-saving
    rules; a wall-clock time it skips or repeats is unusable.  ``by`` says what gave the
    offsets (``column 'utc_offset'``, ``the zone 'CET' header 'Time [CET]' names``), for
    the ``time_zone`` assumption.  ``nautical``: the offsets are zone descriptions
    (:func:`utc_offset_seconds`).
    """
    ns = parsed.times.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").view("int64").copy()
    wall = np.where(parsed.times.notna().to_numpy(), ns / 1e9, np.nan)
    off, zone = utc_offset_seconds(offsets, unit_s, nautical, at=wall)
    fixed = local & np.isfinite(off)
    ns[fixed] -= np.round(off[fixed] * 1e9).astype("int64")
    placed = fixed.copy()
    named = local & ~fixed & (zone != "")
    for z in np.unique(zone[named].astype(str)):
        idx = np.flatnonzero(named & (zone == z))
        try:
            at = pd.DatetimeIndex(ns[idx].view("datetime64[ns]")).tz_localize(
                z, ambiguous="NaT", nonexistent="NaT"
            )
        except (KeyError, ValueError):  # not a zone name
            continue
        good = ~at.isna()
        ns[idx[good]] = at[good].tz_convert("UTC").tz_localize(None).asi8
        placed[idx[good]] = True
    bad = local & ~placed
    ns[bad] = np.iinfo("int64").min
    parsed.times = pd.Series(
        pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=parsed.times.index
    )
    good = parsed.times.notna().to_numpy()
    was_zoned = np.asarray(parsed.zoned, bool) & good
    parsed.zoned = was_zoned | placed
    report = {"placed": int(placed.sum()), "by_zone_name": int((placed & named).sum())}
    sentence = [
        f"{report['placed']} local time(s) placed in UTC by "
        + (by or "their offset or zone column")
    ]
    n_naive = int((~parsed.zoned & parsed.has_clock & good).sum())
    n_dates = int((~parsed.has_clock & good).sum())
    if was_zoned.any():
        sentence.append(f"{int(was_zoned.sum())} value(s) name their zone or offset (UTC)")
    if n_naive:
        sentence.append(f"{n_naive} value(s) without zone taken as UTC")
    if n_dates:
        sentence.append(f"{n_dates} value(s) are dates without a time (00:00 UTC)")
    parsed.assumptions["time_zone"] = "; ".join(sentence)
    return bad, report


#: An offset or zone a time value ends with (``...T10:00+02:00``, ``...10:00:00Z``,
#: ``... 10:00 -0500``, ``10:00 UTC``, ``10:00 CET``); a word that names no zone (``PM``)
#: gives no offset and is not compared.
_OWN_OFFSET = re.compile(
    r"\d(?:\.\d+)?\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{2,5})\s*$", re.IGNORECASE
)
#: The words a value names UTC by, as its own zone (``10:00Z``, ``10:00 UTC``).
_UTC_SUFFIXES = frozenset({"Z", "UTC", "GMT", "UT"})
#: A number a time column holds: epoch time (an instant, UTC by definition) once parsed.
_EPOCH_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _offsets_at(
    values: pd.Series, times: pd.Series, unit_s: float = 3600.0, nautical: bool = False
) -> np.ndarray:
    """Return the seconds east of UTC that ``values`` (offsets or zone names) give at ``times``.

    ``times`` are UTC instants; a zone name gives its offset at that instant (daylight
    saving applied), ``MSK`` Moscow's at that date; NaN where a value gives none.
    """
    off, zone = utc_offset_seconds(
        values,
        unit_s,
        nautical,
        at=times.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").view("int64") / 1e9,
        at_utc=True,
    )
    for z in pd.unique(zone[zone != ""]):
        at = zone == z
        try:
            there = times[at].dt.tz_convert(str(z))
        except Exception:  # noqa: BLE001 (an unknown zone: the column's own rule rejects it)
            continue
        shift = there.dt.tz_localize(None) - times[at].dt.tz_localize(None)
        off[at] = shift.dt.total_seconds().to_numpy(dtype="float64")
    return off


def _summer_offsets(zone: str, times: pd.Series) -> np.ndarray:
    """Return the seconds east of UTC kept at ``times`` where abbreviation ``zone`` is standard.

    ``CET``, ``EET``, ``WET`` and ``MET`` read as their standard offset all year (``CET``:
    +01:00), yet are the tz database's names of zones keeping summer time (``CET`` is +02:00
    in July), as people write them for the time kept there (CLDR gives ``CET`` to the
    generic form too; tz list, 2015-10).  NaN for any other zone or offset.
    """
    if not (zone.isalpha() and zone.isupper() and zone.lower() in _iana_zones()):
        return np.full(len(times), np.nan)
    there = times.dt.tz_convert(_iana_zones()[zone.lower()])
    shift = there.dt.tz_localize(None) - times.dt.tz_localize(None)
    return shift.dt.total_seconds().to_numpy(dtype="float64")


def _own_offsets(parsed, values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Return (rows whose value ends in an offset or zone, that suffix upper case)."""
    zoned = parsed.times.notna().to_numpy() & np.asarray(parsed.zoned, bool)
    rows = np.flatnonzero(zoned)
    suffix = as_text(values.iloc[rows]).str.extract(_OWN_OFFSET)["z"].str.upper().fillna("")
    return rows, suffix


def _own_seconds(parsed, rows: np.ndarray, suffix: pd.Series) -> np.ndarray:
    """Return the seconds east of UTC that the values of ``rows`` name as their own zone.

    The parser's (``parsed.offsets``: a zone word inside the value, ``Fri Mar 05 10:00:00
    CET 2021``, or bracketed after its offset, was passed over by the suffix, its
    disagreement silent), else the offset or zone word the value ends with at its instant.
    """
    own = _offsets_at(suffix, parsed.times.iloc[rows])
    said = np.asarray(getattr(parsed, "offsets", ()), dtype="float64")
    if len(said) == len(parsed.times):
        own = np.where(np.isfinite(said[rows]), said[rows], own)
    return own


def _epoch_rows(values: pd.Series, rows: np.ndarray, suffix: pd.Series) -> np.ndarray:
    """Mask (over ``rows``, the zoned ones) of the values that are epoch numbers."""
    text = as_text(values.iloc[rows])
    return ((suffix == "") & text.str.fullmatch(_EPOCH_NUMBER)).to_numpy(dtype=bool)


def _own_offsets_against_column(
    parsed, layout: dict[str, Any], values: pd.Series, name: str
) -> list[str]:
    """Say where a time's own offset is not the one its row's offset column gives.

    A value that carries its offset keeps it (``2021-03-05T10:00+02:00`` beside
    ``utc_offset: +05:00``): which of the two is right is not known, and the value's own is
    the more direct; the disagreement was silent.  Values ending in an ISO offset or ``Z``
    are compared, with the column's offset or, for a zone name, its offset at that instant.
    """
    rows, suffix = _own_offsets(parsed, values)
    if not len(rows):
        return []
    own = _own_seconds(parsed, rows, suffix)
    col_off = _offsets_at(
        layout["offset"].iloc[rows],
        parsed.times.iloc[rows],
        layout.get("offset_unit_s", 3600.0),
        layout.get("offset_nautical", False),
    )
    differ = np.isfinite(own) & np.isfinite(col_off) & (own != col_off)
    epoch = _epoch_rows(values, rows, suffix)
    notes = []
    # no example: a file read in chunks adds up the counts of notes of one wording
    if (differ & ~epoch).any():
        notes.append(
            f"{name}: {int((differ & ~epoch).sum())} time(s) carry an offset of their own other "
            f"than the one column {layout['offset_col']!r} gives their row; each is read by its "
            "own offset - check which is right"
        )
    if (differ & epoch).any():
        notes.append(
            f"{name}: {int((differ & epoch).sum())} time(s) are epoch numbers (instants, UTC by "
            f"definition) beside column {layout['offset_col']!r}, whose offset for their row is "
            "not applied to them; each is read as the instant it counts - check that they were "
            "not counted from that zone's clock"
        )
    return notes


def _header_statement(layout: dict[str, Any]) -> tuple[str, str] | None:
    """Return (time header, the zone or offset it names) - ``UTC`` for ``Time (UTC)`` - or None."""
    if layout.get("header_zone"):
        return layout["header_zone"]
    if layout.get("header_utc"):
        return layout["header_utc"], "UTC"
    return None


def _own_offsets_against_header(
    parsed, layout: dict[str, Any], values: pd.Series, name: str
) -> list[str]:
    """Say where a time's own offset is not the zone its header names, or ``Z`` under local time.

    ``2021-03-05T10:00+02:00`` under ``Time (UTC+5)`` or ``Time (UTC)``, or ``...10:00Z``
    under ``Time (LT)``: the value keeps its own offset, as beside an offset column (the
    more direct statement), and the rows are counted; before, the disagreement was silent.
    A header's zone name is compared by its offset at the time's instant.
    """
    said = _header_statement(layout)
    # beside an offset column, a Z is compared with the row's offset instead
    # 'Time (EST)' says local time as 'Time (LT)' does: a Z under it was silent
    local = layout.get("time_is_local") and layout.get("offset") is None
    if said is None and not local:
        return []
    rows, suffix = _own_offsets(parsed, values)
    if not len(rows):
        return []
    # epoch numbers are instants (UTC by definition): a header's other zone was not applied
    # to them, and nothing said so ('1614938400' under 'Time (UTC+5)' is 10:00 UTC)
    epoch = _epoch_rows(values, rows, suffix)
    if said is None:
        assert local
        header = layout.get("local_col")
        n = int(suffix.isin(list(_UTC_SUFFIXES)).sum())
        notes = (
            [
                f"{name}: {n} time(s) name UTC (Z, UTC, GMT) under header {header!r}, which "
                "says local time; each is read as UTC - check which is right"
            ]
            if n
            else []
        )
        if epoch.any():
            notes.append(
                f"{name}: {int(epoch.sum())} time(s) are epoch numbers (instants, UTC by "
                f"definition) under header {header!r}, which says local time; each is read as "
                "the instant it counts - check that they were not counted from a local clock"
            )
        return notes
    header, zone = said
    own = _own_seconds(parsed, rows, suffix)
    own[epoch] = 0.0
    there = _offsets_at(pd.Series(zone, index=suffix.index), parsed.times.iloc[rows])
    differ = np.isfinite(own) & np.isfinite(there) & (own != there)
    summer = differ & ~epoch & (own == _summer_offsets(zone, parsed.times.iloc[rows]))
    notes = []
    if (differ & ~epoch & ~summer).any():
        notes.append(
            f"{name}: {int((differ & ~epoch & ~summer).sum())} time(s) carry an offset of their "
            f"own other than the zone {zone!r} header {header!r} names; each is read by its own "
            "offset - check which is right"
        )
    if summer.any():
        std = int(there[summer][0])
        notes.append(
            f"{name}: {int(summer.sum())} time(s) carry the summer time of the zone whose "
            f"standard time {zone!r} (UTC{'-' if std < 0 else '+'}{abs(std) // 3600:02d}:"
            f"{abs(std) % 3600 // 60:02d}) header {header!r} names, as {zone} is also written "
            "for the time kept there all year; each is read by its own offset, and a time "
            f"without one under the header by {zone}'s standard offset, summer or winter - "
            "check those dated in summer"
        )
    if (differ & epoch).any():
        notes.append(
            f"{name}: {int((differ & epoch).sum())} time(s) are epoch numbers (instants, UTC "
            f"by definition) under header {header!r}, whose zone {zone!r} is not applied to "
            "them; each is read as the instant it counts - check that they were not counted "
            "from that zone's clock"
        )
    return notes


def _column_against_header(
    parsed, layout: dict[str, Any], wall: pd.Series, placed: np.ndarray, name: str
) -> list[str]:
    """Say where an offset column places a local time at an offset its time header does not name.

    ``Time (UTC+5)`` beside ``utc_offset: +03:00``: the row's column is applied (the more
    direct statement) and the rows it places otherwise than the header's zone would have
    are counted; ``wall`` is the times as written, ``placed`` the rows the column placed.
    Before, one note said the header's zone was not applied whether any row disagreed or not.
    """
    said = layout.get("header_zone")
    if said is None or not placed.any():
        return []
    header, zone = said
    rows = np.flatnonzero(placed)
    utc = parsed.times.iloc[rows]
    applied = (
        (wall.iloc[rows].dt.tz_localize(None) - utc.dt.tz_localize(None))
        .dt.total_seconds()
        .to_numpy(dtype="float64")
    )
    there = _offsets_at(pd.Series(zone, index=utc.index), utc)
    differ = np.isfinite(there) & (applied != there)
    if not differ.any():
        return []
    return [
        f"{name}: {int(differ.sum())} local time(s) placed by column {layout['offset_col']!r} at "
        f"an offset other than the zone {zone!r} header {header!r} names; each is read by its "
        "column - check which is right"
    ]


def apply_time_zone(
    parsed, layout: dict[str, Any], values: pd.Series, name: str, column: str
) -> tuple[np.ndarray, list[str], dict[str, Any] | None, Rule | None]:
    """Place the naive times of ``parsed`` in UTC by the rule of :func:`zone_layout`; in place.

    Parameters
    ----------
    parsed
        The parsed times (``times``, ``zoned``, ``has_clock``, ``assumptions``) of
        :func:`~pipeline.ingest._dates.times_with_clock`.
    layout : dict
        What :func:`zone_layout` returned.
    values : Series
        The time column as read: a refusal's example and the rejects' values.
    name : str
        The source's name, for messages.
    column : str
        The time column's header.

    Returns
    -------
    tuple
        (rows whose local time cannot be placed, notes, the offset column's report or None,
        the ``time_zone_unknown`` rule or None).

    Raises
    ------
    InputError
        A header names an abbreviation of several zones, or only says local time, and some
        times name no zone or offset.
    """
    n = len(parsed.times)
    zone_bad = np.zeros(n, dtype=bool)
    notes: list[str] = []
    report = None
    rule = None
    local = parsed.times.notna().to_numpy() & parsed.has_clock & ~np.asarray(parsed.zoned, bool)
    # a time's own offset beside its header's zone, as beside its row's column below
    notes += _own_offsets_against_header(parsed, layout, values, name)
    if layout.get("offset") is not None:
        nautical = bool(layout.get("offset_nautical", False))
        notes += _own_offsets_against_column(parsed, layout, values, name)
        wall = parsed.times
        zone_bad, report = place_local_times(
            parsed,
            layout["offset"],
            local,
            layout.get("offset_unit_s", 3600.0),
            f"their offset or zone in column {layout['offset_col']!r}"
            + (" (nautical zone descriptions: UTC = local + ZD)" if nautical else ""),
            nautical,
        )
        report["column"] = layout["offset_col"]
        notes.append(
            f"{name}: {report['placed']} local time(s) placed in UTC by their offset or "
            f"zone in column {layout['offset_col']!r}"
            + (
                " (nautical zone descriptions: UTC = local + ZD, ZD +5 is UTC-5)"
                if nautical
                else ""
            )
            + (f"; {int(zone_bad.sum())} without a usable one rejected" if zone_bad.any() else "")
        )
        notes += _column_against_header(parsed, layout, wall, local & ~zone_bad, name)
        dated = local & ~zone_bad & _dated_abbreviations(layout["offset"])
        if dated.any():
            notes.append(
                f"{name}: {int(dated.sum())} local time(s) by column "
                f"{layout['offset_col']!r}: {DATED_ZONES_SAID}"
            )
        if nautical:
            juliet = (
                zone_bad
                & _zone_letters(
                    as_text(layout["offset"]).str.upper().str.replace(r"\s+", "", regex=True)
                )[2]
            )
            if juliet.any():
                notes.append(
                    f"{name}: {int(juliet.sum())} zone description(s) in column "
                    f"{layout['offset_col']!r} are J (Juliet: the observer's local time), "
                    "which names no zone; rejected as time_zone_unknown: give the hours (+5) "
                    "or the zone's letter (R)"
                )
        rule = Rule(
            "time_zone_unknown",
            zone_bad,
            layout["offset_col"],
            "zone description {value} of a local time is missing or gives no hours: "
            "expected signed hours (+5: UTC = local time + 5 h) or a zone letter (R, Romeo; "
            "J is the observer's local time and names no zone)"
            if nautical
            else "UTC offset {value} of a local time is missing, not an offset (+02:00) or a "
            "zone (Europe/Oslo), or a zone whose daylight-saving change skips or repeats "
            "that local time (which instant is a guess: write the offset)",
            layout["offset"],
        )
    elif layout.get("header_zone"):
        zcol, ztext = layout["header_zone"]
        if local.any():
            zone_bad, _ = place_local_times(
                parsed,
                pd.Series(ztext, index=parsed.times.index),
                local,
                3600.0,
                f"the zone or offset {ztext!r} that header {zcol!r} names",
            )
            notes.append(
                f"{name}: {int((local & ~zone_bad).sum())} local time(s) placed in UTC by the "
                f"zone or offset {ztext!r} that header {zcol!r} names"
                + (
                    f"; {int(zone_bad.sum())} that zone skips or repeats rejected"
                    if zone_bad.any()
                    else ""
                )
            )
            if ztext in DATED_ZONE_ABBREVIATIONS:
                notes.append(f"{name}: header {zcol!r}: {DATED_ZONES_SAID}")
        rule = Rule(
            "time_zone_unknown",
            zone_bad,
            column,
            f"local time {{value}} is skipped or repeated by the zone {ztext!r} its header names",
            values,
        )
    elif layout.get("header_zone_several") and local.any():
        zcol, abbr = layout["header_zone_several"]
        raise InputError(
            f"{name}: time column {zcol!r} names the zone {abbr!r}, an abbreviation of several "
            f"zones, and {int(local.sum())} of the times name no zone or offset (e.g. "
            f"{str(values[local].iloc[0])!r}); which zone is a guess: add a UTC offset "
            "column (utc_offset: -05:00, or timezone: America/New_York, say) or write the "
            "times in UTC"
        )
    elif layout.get("zone_time_col") and local.any():
        raise InputError(
            f"{name}: time column {layout['zone_time_col']!r} says zone time (a ship's log's) "
            f"and names no zone description, and no column gives zone descriptions; {int(local.sum())} "
            f"of the times name no zone or offset (e.g. {str(values[local].iloc[0])!r}) and "
            "cannot be placed in UTC: add a ZD column (+5: UTC = local time + 5 h) or write "
            "the hours in the header (Time (ZD+5))"
        )
    elif layout.get("time_is_local") and local.any():
        raise InputError(
            f"{name}: time column {layout.get('local_col') or column!r} says local time and "
            f"{int(local.sum())} of the times "
            f"name no zone or offset (e.g. {str(values[local].iloc[0])!r}); a local "
            "time cannot be placed in UTC: add a UTC offset column (utc_offset: +02:00, or "
            "timezone: Europe/Oslo) or write the times in UTC"
        )
    return zone_bad, notes, report, rule
