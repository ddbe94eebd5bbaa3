"""Dates and times of day, in every spelling real exports use, to UTC nanoseconds.

Why a parser of our own rather than :func:`pandas.to_datetime`: the exports people send mix
spellings within one column, and each of pandas' shortcuts gives a silently wrong answer on one
of them (``2008-12-11 04:42:14+00``, the short offset PostgreSQL and GeoPackage write, read
year-day-month; a year such as 1583 wrapped to a future date outside the nanosecond range; a
``dayfirst`` guess applied to a US ``2/1/2018 5:30:00 PM``).  Here every numeric spelling is
split into its components with one RE2 pattern per family (pyarrow, whole columns), the calendar
arithmetic is done in numpy ``datetime64[D]`` (valid for any year), and only then is the
result checked against the nanosecond range of the table contract.

Day or month first is decided per column from the values themselves: a first field above 12
proves day-first, a second field above 12 proves month-first; with a two-digit year, a first
field of 00 or above 31 proves year-first (``98-03-25``, yy-mm-dd).  Dates written with dots
(``04.03.2021``) that no value decides are day-first by convention (stated as such).  A column whose values never
decide, or decide both ways while ambiguous values remain, needs ``dayfirst`` from the user:
:class:`~pipeline.errors.InputError` says so, naming the column and examples.  Every decision
(order, two-digit years, time zone, precision) is returned as an assumption with its evidence.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import AmbiguousDateOrder, DatesDecideBothWays, InputError
from ._common import decimal_texts_to_floats, missing_mask

__all__ = [
    "NS_MAX",
    "NS_MIN",
    "NS_RANGE",
    "MIXED_NOTES",
    "MIXED_ORDER",
    "ORDER_EVIDENCE",
    "ORDER_NOTE",
    "ParsedTimes",
    "day_fractions",
    "decided_both_ways",
    "mixed_note",
    "order_evidence",
    "order_note",
    "order_undecided",
    "parse_clock",
    "parse_times",
    "times_by_group",
]


def order_evidence(n_day: int, n_month: int, n_either: int) -> str:
    """Return the evidence of a day/month order: how many values prove each, how many neither."""
    return (
        f"{n_day} value(s) have a first field > 12 (day-first), {n_month} a second "
        f"field > 12 (month-first), {n_either} could be either"
    )


#: :func:`order_evidence`'s text, its counts named ``day``, ``month`` and ``either``.
ORDER_EVIDENCE = re.compile(
    r"(?P<day>\d+) value\(s\) have a first field > 12 \(day-first\), (?P<month>\d+) a "
    r"second field > 12 \(month-first\), (?P<either>\d+) could be either"
)


def order_note(where: str, n_either: int, example: str, order: str, by: str, evidence: str) -> str:
    """Return the note of the dates read in an order they do not show themselves."""
    return (
        f"{where}: {n_either} date(s) like {example!r} read {order} (decided by {by}; {evidence})"
    )


def order_undecided(where: str, n_either: int, examples: list, n_day: int, n_month: int) -> str:
    """Return why dates that could be either are refused: no value decides, or both ways do."""
    why = (
        "no value decides"
        if not (n_day or n_month)
        else f"values decide both ways ({n_day} day-first, {n_month} month-first)"
    )
    return (
        f"{where}: {n_either} date(s) such as {examples!r} could be day-first or "
        f"month-first and {why}; set dayfirst: true (31/12/2020) or false "
        "(12/31/2020) for this input in the config, or --dayfirst/--monthfirst "
        "with route-risk ingest"
    )


def decided_both_ways(exc: Exception) -> bool:
    """Tell whether ``exc`` is the refusal of dates proving both orders, some either.

    By its type (:class:`~pipeline.errors.DatesDecideBothWays`), never its message's words:
    a reworded :func:`order_undecided` read every joined agencies' file as refused.
    """
    return isinstance(exc, DatesDecideBothWays)


def mixed_note(where: str, n_day: int, n_month: int) -> str:
    """Return the note of a column of dates proving both orders (each read as written)."""
    return (
        f"{where}: mixes day-first ({n_day}) and month-first ({n_month}) dates; each "
        "unambiguous one is read as written"
    )


#: The order a column of dates proving both orders, and none ambiguous, is read in.
MIXED_ORDER = "mixed (each date read as written)"

#: The notes a file read in chunks words anew for the file (:func:`mixed_note`, and the
#: dates contradicting the order its first chunk decided by values).
MIXED_NOTES = re.compile(
    r"^(?P<where>.+?): (?:mixes day-first \(\d+\) and month-first \(\d+\) dates; each "
    r"unambiguous one is read as written|\d+ date\(s\) contradict dayfirst=(?:True|False) "
    r"and are read as written)$",
    re.S,
)


#: :func:`order_note`'s text (a file read in chunks adds up the notes of its chunks).
ORDER_NOTE = re.compile(
    r"^(?P<where>.+?): (?P<n>\d+) date\(s\) like (?P<example>.+) read (?P<order>[^(]+?) "
    r"\(decided by (?P<by>[^;]+); (?P<evidence>" + ORDER_EVIDENCE.pattern + r")\)$",
    re.S,
)

#: First and last whole seconds the ``datetime64[ns]`` contract can hold.
_LO_S = -9_223_372_036
_HI_S = 9_223_372_035
NS_MIN = pd.Timestamp(_LO_S, unit="s", tz="UTC")
NS_MAX = pd.Timestamp(_HI_S, unit="s", tz="UTC")
#: The range in words, for messages.
NS_RANGE = f"{NS_MIN:%Y-%m-%d %H:%M}..{NS_MAX:%Y-%m-%d %H:%M} UTC"

_TIME = (
    r"(?:(?:[T ]+|\s*,\s*)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
)
_ZONE = (
    r"\s*(?P<z>Z|[Uu][Tt][Cc]|GMT|[Uu][Hh][Rr]|[Hh][Rr][Ss]|"
    r"(?:(?:UTC|GMT)\s*)?[+-]\d{1,2}(?::?\d{2})?)?\s*$"
)
#: ISO 8601 and its relatives: 2008-12-11, 2008/12/11 04:42, 2008-12-11T04:42:14.5+00.
_YMD = r"^\s*(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + _ZONE
#: ISO 8601's basic format, a date and a clock without separators: 20240305T143000Z,
#: 20240305T1430+0700, and with spaces for the T or colons in the clock as loggers write it
#: (20240305 143000, 20240305 14:30:00: dateutil read them 3 May with dayfirst); a compact
#: date alone, 20240305, is a number (:func:`_numbers`).
_YMD_BASIC = (
    r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T|\s+)(?P<H>\d{2}):?(?P<M>\d{2})"
    r"(?::?(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
#: A military date-time group (NATO, coast guards' and navies' reports): day, hour and minute,
#: the zone letter, the month's English abbreviation and the year - ``051430ZMAR21``,
#: ``051430Z MAR 2021``, ``051430R MAR 21`` (Romeo, UTC-5).  ``J`` (Juliet: the observer's
#: local time) names no zone: such a value is rejected, said in a note.
_DTG = (
    r"(?i)^\s*(?P<d>\d{2})\s?(?P<H>\d{2})(?P<M>\d{2})\s?(?P<zl>[A-Z])\s?"
    r"(?P<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC)\s?(?P<y>\d{4}|\d{2})\s*$"
)
#: Hours east of UTC of the military (and nautical) zone letters: A-I +1..+9, K-M
#: +10..+12, N-Y -1..-12, Z 0.  ``J`` (Juliet) is the observer's local time and names no
#: zone: it is not here.  One table for date-time groups and a ship's log's zone
#: descriptions (``R``: ZD +5, UTC-5).
ZONE_LETTERS: dict[str, int] = {
    "Z": 0,
    **{c: i + 1 for i, c in enumerate("ABCDEFGHI")},
    **{c: 10 + i for i, c in enumerate("KLM")},
    **{c: -(i + 1) for i, c in enumerate("NOPQRSTUVWXY")},
}
#: The zone letters as the NATO spelling alphabet says them (``Romeo``, ``Zulu``), upper
#: case, with the spellings in use (``ALPHA``, ``JULIETT``, ``WHISKY``, ``X-RAY``).
ZONE_LETTER_WORDS: dict[str, str] = {
    "ALFA": "A", "ALPHA": "A", "BRAVO": "B", "CHARLIE": "C", "DELTA": "D", "ECHO": "E",
    "FOXTROT": "F", "GOLF": "G", "HOTEL": "H", "INDIA": "I", "JULIET": "J", "JULIETT": "J",
    "KILO": "K", "LIMA": "L", "MIKE": "M", "NOVEMBER": "N", "OSCAR": "O", "PAPA": "P",
    "QUEBEC": "Q", "ROMEO": "R", "SIERRA": "S", "TANGO": "T", "UNIFORM": "U", "VICTOR": "V",
    "WHISKEY": "W", "WHISKY": "W", "XRAY": "X", "X-RAY": "X", "YANKEE": "Y", "ZULU": "Z",
}  # fmt: skip
#: The offsets of :data:`ZONE_LETTERS` as :func:`_zone_seconds` reads them.
_DTG_ZONE_TEXT = {c: "Z" if h == 0 else f"{h:+03d}:00" for c, h in ZONE_LETTERS.items()}
_DTG_MONTHS = {
    m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())
}
#: Two numbers then a year: 25/12/2020, 2/1/2018 5:30:00 PM, 01.02.18 14:00.
_ABY = r"^\s*(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _TIME + _ZONE
#: A year and month only: 2020-03.
_YM = r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})\s*$"
_NUMBER = r"^\s*(?P<n>[+-]?\d+(?:\.\d+)?)\s*$"
#: An ISO 8601 week date: 2024-W11-5, 2024W115, 2024-W11 (the week's Monday).
_ISO_WEEK = r"^\s*(?P<y>\d{4})-?[Ww](?P<w>\d{2})(?:-?(?P<d>[1-7]))?\s*$"
#: A time of day: 14:30, 14:30:15, 1430Z, 14:30 UTC, 2:30 PM, 1430 hrs, 14h30, 0230 LT.
#: A bare offset needs four digits (+03:00, +0300) so that a code such as 2019-101 is not
#: read as 20:19 at offset -1:01.
_CLOCK = (
    r"^\s*(?:(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"|(?P<H2>\d{2})(?P<M2>\d{2})(?:(?P<S2>\d{2})(?:[.,](?P<f2>\d{1,9}))?)?)"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?P<z>Z|[Uu][Tt][Cc]|GMT|[Ll][Tt]|[Ll]ocal(?: time)?|[Uu][Hh][Rr]|[Hh][Rr][Ss]?|[Hh]|"
    r"(?:UTC|GMT)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}|[A-Z]{2,5})?\s*$"
)


@dataclass
class ParsedTimes:
    """Result of :func:`parse_times`.

    Attributes
    ----------
    times : pandas.Series
        ``datetime64[ns, UTC]``; NaT where missing, unparseable or out of range.
    missing, unparseable, out_of_range : numpy.ndarray of bool
        Per value; disjoint.
    has_clock : numpy.ndarray of bool
        True where the value itself carried a time of day.
    zoned : numpy.ndarray of bool
        True where the value named its zone or offset (or is epoch time).
    offsets : numpy.ndarray of float
        Seconds east of UTC of the zone or offset each value named (0 for epoch time); NaN
        where it named none.  Empty where the parser does not know them (datetime columns).
    period_end : numpy.ndarray of float
        Where a value names a month, an ISO week or a year only (placed at its start), the
        end of that period in seconds since the epoch (exclusive, UTC); NaN elsewhere.
        Empty where the parser does not know them (datetime columns: day precision).
    notes : list of str
        One line per decision the user should know about.
    assumptions : dict
        Machine-readable form of the decisions: ``order`` (``day-first``/``month-first``/
        None), ``order_by`` (``values``/``config``/``schema``/``header``), ``order_evidence``,
        ``time_zone``, ``formats`` (count per spelling family) and ``precision`` notes.
    """

    times: pd.Series
    missing: np.ndarray
    unparseable: np.ndarray
    out_of_range: np.ndarray
    has_clock: np.ndarray
    notes: list[str] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    zoned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    period_end: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _extract(s: pd.Series, pattern: str) -> dict[str, np.ndarray] | None:
    """Named groups of ``pattern`` per value as object arrays (None where no match)."""
    arr = pa.array(s.to_numpy(dtype=object), type=pa.string())
    got = pc.extract_regex(arr, pattern)
    if got.null_count == len(got):
        return None
    out = {}
    for i in range(got.type.num_fields):
        name = got.type.field(i).name
        out[name] = np.asarray(got.field(i).to_numpy(zero_copy_only=False), dtype=object)
    out["__match"] = ~np.asarray(got.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return out


def _place(acc: _Acc, rows: np.ndarray, days: np.ndarray, formats: dict, label: str) -> None:
    """Set ``rows`` to ``days`` (since 1970-01-01) as parsed, counted under ``label``."""
    acc.secs[rows] = days * 86400.0
    acc.done[rows] = True
    formats[label] = int(rows.size)


#: JavaScript's ``Date.toString()`` zone: ``GMT+0100 (Central European Standard Time)``, a
#: long name in brackets after the offset it describes (dateutil read none of it), in the
#: browser's language too (``(Mitteleuropäische Normalzeit)``, ``(中国标准时间)``).  A short
#: one (``(CET)``) is a zone name like any other, checked against the offset.
_JS_ZONE_NAME = re.compile(
    r"(GMT[+-]\d{4})\s*\((?=[^()]*(?:\s|[^\x00-\x7f]))[^\W\d_](?:[^\W\d_]|[ .'\u2019-]){1,63}\)\s*$"
)


def _watches(sub: dict[str, np.ndarray]) -> np.ndarray:
    """Which values' clock has no seconds and is followed by ``-HH:MM`` (a watch or an offset).

    ``05/03/2024 09:00-11:00`` is a watch as much as 09:00 at -11:00 (20:00 UTC, as it was
    read): the day/month/year pattern leaves these values to the free text, which refuses
    them as a range (:data:`_WATCH`); ``09:00:00-05:00`` and ``09:00 -0500`` keep their
    offset.  Their dates still say whether the column is day-first (``13/03/2024 09:00-11:00``).
    """
    zone = pd.Series(sub["z"], dtype=object).fillna("").astype(str)
    secs = pd.Series(sub["S"], dtype=object).fillna("").astype(str)
    watch = zone.str.fullmatch(r"[-\u2013\u2014]\d{1,2}(?::\d{2})?")  # '-11:00', '-11'
    return (watch & (secs == "")).to_numpy()


def _pending_rows(
    s: pd.Series, pattern: str, done: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Return the rows not yet parsed that ``pattern`` matches and their fields (or None)."""
    parts = _extract_pending(s, pattern, done)
    if parts is None:
        return None
    hit = parts["__match"] & ~done
    if not hit.any():
        return None
    return np.flatnonzero(hit), {k: v[hit] for k, v in parts.items()}


def _extract_pending(s: pd.Series, pattern: str, done: np.ndarray) -> dict[str, np.ndarray] | None:
    """:func:`_extract` on the values not yet parsed (full-length arrays, no match elsewhere).

    The spellings are tried in turn; once ISO dates have parsed a column's millions of values,
    the next patterns scan only what is left.
    """
    if done.all():
        return None
    if not done.any():
        return _extract(s, pattern)
    todo = np.flatnonzero(~done)
    got = _extract(s.iloc[todo], pattern)
    if got is None:
        return None
    out: dict[str, np.ndarray] = {}
    for key, values in got.items():
        full = np.zeros(len(s), dtype=bool) if key == "__match" else np.full(len(s), None, object)
        full[todo] = values
        out[key] = full
    return out


def _fraction_ns(frac: np.ndarray) -> np.ndarray:
    """Nanoseconds of fraction-of-second digits (``25`` -> 250,000,000; None -> 0)."""
    f = pd.Series(frac, dtype=object).fillna("").astype("str")
    digits = f.str.slice(0, 9).str.pad(9, side="right", fillchar="0")
    ns = pd.to_numeric(digits.where(f != "", "0"), errors="coerce").fillna(0)
    return ns.to_numpy(dtype="int64")


def _num(values: np.ndarray | None, n: int) -> np.ndarray:
    """Digits to float (NaN for None or empty)."""
    if values is None:
        return np.full(n, np.nan)
    return decimal_texts_to_floats(values)


def _zone_seconds(z: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (offset seconds east of UTC, has an explicit zone, is local time) per value."""
    zero = np.zeros(n, dtype=bool)
    if z is None:
        return np.zeros(n), zero, zero.copy()
    s = pd.Series(z, dtype=object).fillna("").astype("str").str.strip().str.upper()
    explicit = (s != "").to_numpy()
    local = s.isin(["LT", "LOCAL", "LOCAL TIME"]).to_numpy()
    # '1430 hrs', '14:30 Uhr': a clock, no zone
    hours_only = s.isin(["H", "HR", "HRS", "UHR"]).to_numpy()
    seconds = np.zeros(n)
    # '14:30 WIB', '0230 SGT': a zone abbreviation of one meaning; any other ('IST', 'CST')
    # is no zone to place the clock by (NaN: not read, said)
    letters = s.str.fullmatch(r"[A-Z]{2,5}").to_numpy(dtype=bool)
    named = letters & ~local & ~hours_only & ~s.isin(["UTC", "GMT", "Z"]).to_numpy()
    if named.any():
        hours = s[named].map(ZONE_ABBREVIATIONS).to_numpy(dtype="float64")
        seconds = seconds.copy()
        seconds[named] = hours * 3600.0
    off = _extract(s, r"(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$")
    if off is not None:
        hit = off["__match"]
        sign = np.where(off["sign"] == "-", -1.0, 1.0)
        hh = _num(off["h"], n)
        mm = np.nan_to_num(_num(off["m"], n))
        seconds = np.where(hit, sign * (np.nan_to_num(hh) * 3600 + mm * 60), 0.0)
        seconds[hit & ((hh > 14) | (mm >= 60))] = np.nan
    return seconds, explicit & ~local & ~hours_only, local


#: The masks :func:`_clock_seconds` returns beside the seconds.
_CLOCK_FLAGS = ("day_end", "leap", "marked", "bare12")


def _clock_seconds(
    hh: np.ndarray, mm: np.ndarray, ss: np.ndarray, ampm: np.ndarray | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Seconds since midnight from components (NaN where impossible); 12-hour clocks too.

    ``24:00`` is 86,400 seconds: the end of the day, which is the next day's midnight.  A
    second 60 (the leap second ``23:59:60``) is read as second 59 of its minute, so that
    the record keeps its minute and its day (POSIX time has no leap seconds; rolled over,
    ``23:59:60`` is the next day).  Returns the seconds and, for the notes that say these
    readings, masks of the valid clocks: ``day_end`` (24:00), ``leap`` (second 60),
    ``marked`` (written with AM/PM) and ``bare12`` (no AM/PM, hour 1-12: 12-hour or
    24-hour alike).
    """
    n = hh.size
    h = hh.copy()
    if ampm is not None:
        tag = pd.Series(ampm, dtype=object).fillna("").astype("str").str.upper().str[:1]
        pm = (tag == "P").to_numpy()
        am = (tag == "A").to_numpy()
        twelve = am | pm
        h[twelve & ((h < 1) | (h > 12))] = np.nan
        h = np.where(am & (h == 12), 0.0, h)
        h = np.where(pm & (h < 12), h + 12, h)
    else:
        twelve = np.zeros(n, dtype=bool)
    s = np.nan_to_num(ss) if ss.size else np.zeros(n)
    # 24:00 (ISO 8601) is the end of the day: the next day's midnight, not a bad clock
    end_of_day = (h == 24) & (mm == 0) & (s == 0)
    end_of_day &= ~twelve
    leap = (s >= 60) & (s < 61)
    s = np.where(leap, s - 1, s)
    bad = ((h > 23) & ~end_of_day) | (mm > 59) | (s >= 60) | np.isnan(h) | np.isnan(mm)
    out = h * 3600 + mm * 60 + s
    out[bad] = np.nan
    flags = {
        "day_end": end_of_day & ~bad,
        "leap": leap & ~bad,
        "marked": twelve & ~bad,
        "bare12": ~twelve & ~bad & (hh >= 1) & (hh <= 12),
    }
    return out, flags


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (float, NaN where the date does not exist)."""
    ok = (
        np.isfinite(year)
        & np.isfinite(month)
        & np.isfinite(day)
        & (year >= 1)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= 31)
    )
    out = np.full(year.size, np.nan)
    if not ok.any():
        return out
    y = year[ok].astype("int64")
    m = month[ok].astype("int64")
    d = day[ok].astype("int64")
    first = np.datetime64("1970-01", "M") + ((y - 1970) * 12 + (m - 1)).astype("timedelta64[M]")
    date = first.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    real = date.astype("datetime64[M]") == first  # 31 February rolls into March: not a date
    vals = date.astype("int64").astype("float64")
    vals[~real] = np.nan
    out[ok] = vals
    return out


def _iso_week_days(year: np.ndarray, week: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of ISO week dates (NaN for week 0, or 53 in a 52-week year).

    Week 1 is the week holding 4 January; weeks start on Monday (weekday 1).
    """

    def monday_of_week_1(y: np.ndarray) -> np.ndarray:
        jan4 = _days(y, np.ones(y.size), np.full(y.size, 4.0))
        return jan4 - np.mod(jan4 + 3, 7)  # 1970-01-01 was a Thursday (weekday 3 from 0)

    start = monday_of_week_1(year)
    out = start + (week - 1) * 7 + (weekday - 1)
    bad = (week < 1) | (out >= monday_of_week_1(year + 1))
    out[bad] = np.nan
    return out


def _all_dotted(values: pd.Series) -> bool:
    """Return whether every value is written ``dd.mm.yy(yy)`` (dots, not slashes or dashes)."""
    return bool(values.astype("str").str.match(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}\b").all())


def _digits(text: np.ndarray | None, n: int) -> np.ndarray:
    """Return the number of characters of each matched field (0 where it did not match)."""
    if text is None:
        return np.zeros(n, dtype="int64")
    return pd.Series(text, dtype=object).fillna("").astype("str").str.len().to_numpy()


def _year_first(a, b, y, sub, raw: pd.Series, where: str, assumptions: dict) -> np.ndarray:
    """Which ``aa-bb-yy`` values are written year first (``yy-mm-dd``, e.g. ``98-03-25``).

    A two-digit first field of 00 or above 31 is no day or month: it proves the column writes
    ``yy-mm-dd``.  A four-digit year last, or a last field that is no day (00 or above 31),
    proves the opposite.  Proof one way only reads every value that can be ``yy-mm-dd`` so;
    proof both ways with values that could be either is refused; no proof leaves the
    day/month reading (and says that nothing was written year-first).
    """
    n = a.size
    short = (_digits(sub["a"], n) == 2) & (_digits(sub["y"], n) == 2)
    could = short & (b >= 1) & (b <= 12) & (y >= 1) & (y <= 31)
    proves = could & ((a == 0) | (a > 31))
    against = ~short | (y == 0) | (y > 31)
    either = could & ~proves
    n_pro, n_against, n_either = int(proves.sum()), int(against.sum()), int(either.sum())
    if not n_pro:
        if could.any():
            example = raw.iloc[np.flatnonzero(could)[0]]
            assumptions["year_first_evidence"] = (
                f"{int(could.sum())} date(s) such as {example!r} could also be yy-mm-dd; none "
                "is written year first (a first field of 00 or above 31), so none is read so"
            )
        return np.zeros(n, dtype=bool)
    evidence = (
        f"{n_pro} value(s) such as {raw.iloc[np.flatnonzero(proves)[0]]!r} start with a field "
        f"that is no day or month (00 or above 31); {n_against} value(s) cannot be yy-mm-dd"
    )
    if n_against and n_either:
        examples = list(pd.unique(raw.iloc[np.flatnonzero(either)].to_numpy(dtype=object))[:3])
        raise InputError(
            f"{where}: mixes year-first (yy-mm-dd) and day/month-first dates, and "
            f"{n_either} date(s) such as {examples!r} could be either ({evidence}); write "
            "the dates with four-digit years (yyyy-mm-dd) in the source"
        )
    yf = proves if n_against else could
    assumptions["order_by"] = "values"
    assumptions["year_first"] = (
        f"{int(yf.sum())} date(s) read year-month-day with a two-digit year ({evidence})"
    )
    return yf


def _year_day_month(
    month: np.ndarray,
    day: np.ndarray,
    raw: pd.Series,
    where: str,
    dayfirst: bool | None,
    notes: list[str],
) -> bool:
    """Whether the year-first dates of a column are written year-day-month (``2024-15-03``).

    A second field above 12 before a third of 12 or less is no month: some exports (a
    database set to day-month order) write ``yyyy-dd-mm``.  Such dates alone were rejected
    while the others of their column, ``2024-05-03`` (5 March), were read as 3 May.  When
    some values prove day-month and none month-day (a third field above 12), the column is
    year-day-month: with ``dayfirst`` true it is read so (noted); with it unset, values that
    could be either are refused (:class:`InputError`); with it false, a note says so.  A
    column of ISO dates with a slip (``2024-13-03`` among ``2024-03-25``) has values that
    prove month-day, and is read as ISO.
    """
    valid_m = (month >= 1) & (month <= 12)
    valid_d = (day >= 1) & (day <= 12)
    proves_dm = (month > 12) & (month <= 31) & valid_d
    proves_md = (day > 12) & (day <= 31) & valid_m
    either = valid_m & valid_d
    if not proves_dm.any() or proves_md.any():
        return False
    example = raw.iloc[np.flatnonzero(proves_dm)[0]]
    evidence = (
        f"{int(proves_dm.sum())} value(s) such as {example!r} have a second field above 12 "
        "(a day, not a month) and none a third field above 12"
    )
    if dayfirst:
        notes.append(
            f"{where}: {int(month.size)} year-first date(s) read year-day-month (yyyy-dd-mm) "
            f"as dayfirst says: {evidence}"
        )
        return True
    if not either.any():
        return False  # nothing to misread: those values are rejected as they are
    examples = list(pd.unique(raw.iloc[np.flatnonzero(either)].to_numpy(dtype=object))[:3])
    if dayfirst is None:
        raise InputError(
            f"{where}: year-first dates look written year-day-month ({evidence}), and "
            f"{int(either.sum())} such as {examples!r} could be either; set dayfirst: true to "
            "read them yyyy-dd-mm, or write them yyyy-mm-dd in the source"
        )
    notes.append(
        f"{where}: {evidence}: those are rejected, and {int(either.sum())} date(s) such as "
        f"{examples!r} are read year-month-day as dayfirst: false says; if the column is "
        "yyyy-dd-mm they are wrong"
    )
    return False


def _two_digit(year: np.ndarray, digits: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Expand 2-digit years with the POSIX pivot (69-99 -> 19xx, 00-68 -> 20xx)."""
    if digits is None:
        return year, 0
    short = pd.Series(digits, dtype=object).fillna("").astype("str").str.len().to_numpy() == 2
    year = np.where(short & (year < 69), year + 2000, np.where(short, year + 1900, year))
    return year, int(short.sum())


def _date_time_groups(
    acc: _Acc, s: pd.Series, got: tuple, formats: dict, notes: list[str], where: str
) -> None:
    """Put the military date-time groups (:data:`_DTG`) of ``got`` (rows, fields) in ``acc``.

    The zone letter gives the offset (``R``: -05:00), the month its English abbreviation.
    """
    rows, sub = got
    letters = pd.Series(sub["zl"], dtype=object).astype("str").str.upper()
    local = (letters == "J").to_numpy()
    if local.any():
        # Juliet: local time, no zone to place it by; rejected (not parsed), not taken as UTC
        acc.done[rows[local]] = True
        notes.append(
            f"{where}: {int(local.sum())} date-time group(s) such as "
            f"{s.iloc[rows[local][0]]!r} are in zone J (local time), which names no zone; "
            "rejected as date_unparseable: give the zone letter (Z for UTC)"
        )
        rows, sub, letters = rows[~local], {k: v[~local] for k, v in sub.items()}, letters[~local]
    n = rows.size
    if not n:
        return
    months = pd.Series(sub["mon"], dtype=object).astype("str").str.upper().str.slice(0, 3)
    year, n_short = _two_digit(_num(sub["y"], n), sub["y"])
    zone = letters.map(_DTG_ZONE_TEXT).to_numpy(dtype=object)
    month = months.map(_DTG_MONTHS).to_numpy(dtype="float64")
    _put_components(
        acc, rows, {"H": sub["H"], "M": sub["M"], "z": zone}, year, month, _num(sub["d"], n)
    )
    n_read = int(np.isfinite(acc.secs[rows]).sum())
    if not n_read:
        return
    formats["date-time group"] = n_read
    notes.append(
        f"{where}: {n_read} military date-time group(s) such as {s.iloc[rows[0]]!r} (day, hour, "
        "minute, zone letter, month, year) read by their zone letter (Z: UTC, R: UTC-5 ...)"
        + (f"; {n_short} two-digit year(s) read as 1969-2068" if n_short else "")
    )


@dataclass
class _Acc:
    """Seconds (float, UTC), sub-second nanoseconds and flags, filled family by family."""

    n: int
    secs: np.ndarray = field(init=False)
    frac_ns: np.ndarray = field(init=False)
    done: np.ndarray = field(init=False)
    has_clock: np.ndarray = field(init=False)
    zoned: np.ndarray = field(init=False)
    local: np.ndarray = field(init=False)
    offset: np.ndarray = field(init=False)
    until: np.ndarray = field(init=False)  # the end of a month, week or year value's period
    flags: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.secs = np.full(self.n, np.nan)
        self.frac_ns = np.zeros(self.n, dtype="int64")
        self.done = np.zeros(self.n, dtype=bool)
        self.has_clock = np.zeros(self.n, dtype=bool)
        self.zoned = np.zeros(self.n, dtype=bool)
        self.local = np.zeros(self.n, dtype=bool)
        self.offset = np.full(self.n, np.nan)
        self.until = np.full(self.n, np.nan)
        self.flags = {k: np.zeros(self.n, dtype=bool) for k in _CLOCK_FLAGS}


def _put_components(
    acc: _Acc,
    rows: np.ndarray,
    parts: dict[str, np.ndarray],
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
) -> None:
    """Compose matched components into seconds at ``rows`` (indices into the column)."""
    n = rows.size
    days = _days(year, month, day)
    hh = _num(parts.get("H"), n)
    timed = ~np.isnan(hh)
    clock = np.zeros(n)
    if timed.any():
        mm = _num(parts.get("M"), n)
        ss = _num(parts.get("S"), n)
        c, flags = _clock_seconds(hh, mm, ss, parts.get("ampm"))
        clock = np.where(timed, c, 0.0)
        for key, mask in flags.items():
            acc.flags[key][rows] = timed & mask
    off, zoned, _ = _zone_seconds(parts.get("z"), n)
    # a date alone followed by -13 is a range of days (2021/03/12-13), not an offset of
    # -13 h: an offset after a bare date must be written in full (2021-03-12+01:00)
    z = pd.Series(parts.get("z"), dtype=object).fillna("").astype("str")
    clipped = ~timed & z.str.fullmatch(r"[+-]\d{1,2}").to_numpy(dtype=bool)
    clipped |= ~timed & z.str.fullmatch(r"(?i)uhr|hrs").to_numpy(dtype=bool)  # no clock
    off = np.where(clipped, np.nan, off)
    frac = parts.get("f")
    if frac is not None:
        acc.frac_ns[rows] = _fraction_ns(frac)
    acc.secs[rows] = days * 86400.0 + clock - off
    acc.done[rows] = True
    acc.has_clock[rows] = timed & ~np.isnan(clock)
    acc.zoned[rows] = zoned
    acc.offset[rows] = np.where(zoned, off, np.nan)


#: A fraction of a day as a spreadsheet writes a time cell formatted 'General'
#: (``0.6041666667`` is 14:30), or ``0`` (midnight).
_DAY_FRACTION = r"^\s*(?:0?\.\d+|0(?:\.0*)?)\s*$"


def day_fractions(values: pd.Series) -> bool:
    """Whether a column's values are fractions of a day (0 <= x < 1), some with 2+ decimals.

    A spreadsheet's time cells formatted 'General' export so (``0.5`` is 12:00).  Only a
    column whose header names a clock is read so (:func:`times_with_clock`): by its values
    alone, a share or a probability is no time of day.  Text values: at least 90% of them
    (a hand-typed ``14:30`` among them does not undo the reading, so a file read in chunks
    reads its fractions in every chunk, as whole); numbers: all of them.
    """
    v = values[~missing_mask(values)]
    if not len(v):
        return False
    if v.dtype.kind in "fiu":
        x = v.to_numpy(dtype="float64")
        return bool(((x >= 0) & (x < 1)).all() and (x != 0).any())
    if v.dtype.kind == "b":
        return False
    text = v.astype("str").str.strip()
    frac = text.str.fullmatch(_DAY_FRACTION)
    return bool(frac.mean() >= 0.9 and text[frac].str.contains(r"\.\d{2}", regex=True).any())


def _fraction_mask(values: pd.Series) -> np.ndarray:
    """Which values are fractions of a day (:data:`_DAY_FRACTION`; any number of a numeric column)."""
    present = ~np.asarray(missing_mask(values), dtype=bool)
    if values.dtype.kind in "fiu":
        return present
    text = values.astype("str").str.strip()
    return text.str.fullmatch(_DAY_FRACTION).to_numpy(dtype=bool) & present


def parse_clock(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse a time-of-day column; see :func:`_clock_parts` (without its flags)."""
    secs, zoned, local, bad, _, _ = _clock_parts(values)
    return secs, zoned, local, bad


def _clock_parts(
    values: pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Parse a time-of-day column (``14:30``, ``1430Z``, ``14:30 UTC``, ``2:30 PM``, ``0230 LT``).

    Returns
    -------
    seconds : numpy.ndarray of float
        Seconds after midnight UTC (the zone offset applied); NaN where missing, unparseable
        or local time.
    zoned : numpy.ndarray of bool
        The value named its zone (Z, UTC, GMT or an offset).
    local : numpy.ndarray of bool
        The value is local time (``LT``), which cannot be placed in UTC.
    bad : numpy.ndarray of bool
        Present but not a time of day.
    flags : dict of str to numpy.ndarray of bool
        Masks of the clocks read: see :func:`_clock_seconds`.
    offsets : numpy.ndarray of float
        Seconds east of UTC of the zone each zoned clock named (applied in ``seconds``);
        NaN elsewhere.
    """
    n = len(values)
    miss = missing_mask(values)
    s = values.astype("str").str.strip().where(~miss, "")
    # A time-only spreadsheet or Access cell exported as a date-time carries the day zero of
    # its date system (1899-12-30 14:30:00, 12/30/1899 2:30:00 PM): the clock is the value.
    s = s.str.replace(_DAY_ZERO, "", regex=True).str.replace(_DAY_ZERO_ALONE, "00:00", regex=True)
    parts = _extract(s, _CLOCK)
    if parts is None:
        z = np.zeros(n, dtype=bool)
        return np.full(n, np.nan), z, z, ~miss, {k: z for k in _CLOCK_FLAGS}, np.full(n, np.nan)
    hit = parts["__match"] & ~miss
    hh = np.where(np.isnan(_num(parts["H"], n)), _num(parts["H2"], n), _num(parts["H"], n))
    mm = np.where(np.isnan(_num(parts["M"], n)), _num(parts["M2"], n), _num(parts["M"], n))
    ss = np.where(np.isnan(_num(parts["S"], n)), _num(parts["S2"], n), _num(parts["S"], n))
    f1 = pd.Series(parts["f"], dtype=object).fillna("").astype("str").to_numpy(dtype=object)
    frac = np.where(f1 != "", f1, parts["f2"])
    ss = ss + _fraction_ns(frac) / 1e9  # 10:15:30.250
    sec, flags = _clock_seconds(hh, mm, ss, parts.get("ampm"))
    off, zoned, local = _zone_seconds(parts.get("z"), n)
    sec = sec - off
    ok = hit & ~np.isnan(sec)
    out = np.where(ok & ~local, sec, np.nan)
    flags = {k: ok & v for k, v in flags.items()}
    return out, ok & zoned, ok & local, ~miss & ~ok, flags, np.where(ok & zoned, off, np.nan)


#: The day zero of spreadsheet and Access date systems, written before a time-only value.
_DAY_ZERO_DATES = (
    r"(?:1899-12-3[01]|1899/12/3[01]|12/3[01]/1899|3[01]/12/1899|3[01]\.12\.1899|1900-01-00)"
)
_DAY_ZERO = rf"^{_DAY_ZERO_DATES}(?:[ T]+)(?=\d)"
#: The day zero alone: the time-only cell of midnight, its time left out as a date's is.
_DAY_ZERO_ALONE = rf"^{_DAY_ZERO_DATES}$"


#: Time-zone abbreviations with one meaning, in hours east of UTC.  dateutil alone knows
#: only UTC/GMT and the running machine's own zone names, and drops any other abbreviation
#: silently (23:30 CET read as 23:30 UTC).  Abbreviations that name several zones are left
#: out and refused (the value is rejected, a note says why): CST, IST, BST, AST, and also
#: EST/EDT (US or Australian eastern), PST (US Pacific or Philippine), MST/MDT (US mountain
#: or Malaysian), NST (Newfoundland or New Zealand), which maritime records in Asia use.
ZONE_ABBREVIATIONS: dict[str, float] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "AKST": -9, "AKDT": -8, "HST": -10,
    "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "PHT": 8, "MYT": 8, "WIB": 7, "WITA": 8, "WIT": 9,
    "ICT": 7, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12,
    "NZDT": 13, "SAST": 2, "WAT": 1, "EAT": 3, "PKT": 5,
}  # fmt: skip
_TZINFOS = {k: int(v * 3600) for k, v in ZONE_ABBREVIATIONS.items()}
#: Abbreviations of :data:`ZONE_ABBREVIATIONS` whose offset changed over the years, with the
#: tz database zone whose standard time they name; their table entry is today's meaning.
#: Each is read by that zone's standard offset at the date: ``MSK`` was UTC+4 from
#: 2011-03-27 to 2014-10-26 and UTC+3 before and after (Moscow's summer time before 2011
#: was MSD, +4; MSK stayed +3).  Read as +3 always, a time of those years was an hour off.
#: ``KST`` also named Pyongyang's +8:30 from 2015-08-15 to 2018-05-04, beside Seoul's +9:
#: left as Seoul's (several zones, not a change of one).
DATED_ZONE_ABBREVIATIONS: dict[str, str] = {"MSK": "Europe/Moscow"}
#: The span (seconds since the epoch) and step scanned for changes of a zone's standard
#: offset (:func:`_standard_periods`); the first and last offsets hold beyond it.
_SCAN_FROM, _SCAN_TO, _SCAN_STEP = -2_208_988_800, 4_102_444_800, 7 * 86_400


@functools.cache
def _standard_periods(zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (UTC seconds each period starts, its standard offset in seconds) of ``zone``.

    The standard offset is the UTC offset less the daylight-saving time (``zoneinfo``'s
    ``utcoffset() - dst()``).  Scanned a week at a time from 1900 to 2100, each change
    found to the second; a period shorter than a week within one step is missed (none
    since 1920 in the zones of :data:`DATED_ZONE_ABBREVIATIONS`).
    """
    tz = zoneinfo.ZoneInfo(zone)

    def standard(t: int) -> int:
        local = dt.datetime.fromtimestamp(t, tz=tz)
        return int((local.utcoffset() - local.dst()).total_seconds())  # type: ignore[operator]

    starts, offsets = [_SCAN_FROM], [standard(_SCAN_FROM)]
    t = _SCAN_FROM
    while t < _SCAN_TO:
        step = t + _SCAN_STEP
        if standard(step) == offsets[-1]:
            t = step
            continue
        lo, hi = t, step  # standard(lo) is the last offset, standard(hi) another
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if standard(mid) == offsets[-1] else (lo, mid)
        starts.append(hi)
        offsets.append(standard(hi))
        t = hi
    return np.asarray(starts, dtype="float64"), np.asarray(offsets, dtype="float64")


def _period_offsets(starts: np.ndarray, offsets: np.ndarray, utc_s: np.ndarray) -> np.ndarray:
    """Return the offsets of :func:`_standard_periods` at UTC seconds ``utc_s``."""
    i = np.searchsorted(starts, utc_s, side="right") - 1
    return offsets[np.clip(i, 0, None)]


def zone_abbreviation_offsets(names: Any, seconds: Any, *, utc: bool = False) -> np.ndarray:
    """Return the seconds east of UTC that zone abbreviations mean at their times.

    ``names`` are upper-case abbreviations; ``seconds`` the times they are written with, as
    seconds since the epoch of their wall clock (of UTC with ``utc``).  An abbreviation of
    :data:`DATED_ZONE_ABBREVIATIONS` reads by its zone's standard offset at that time (MSK
    in 2012: +4 h); a wall-clock time that standard time skipped or repeated there (MSK
    02:30 on 2011-03-27, 01:30 on 2014-10-26) or no time at all (NaN) gives NaN: which offset
    is meant is not known.  Any other of :data:`ZONE_ABBREVIATIONS` reads by the table;
    any other name is NaN.
    """
    abbr = pd.Series(np.asarray(names, dtype=object), dtype=object)
    out = abbr.map(ZONE_ABBREVIATIONS).to_numpy(dtype="float64") * 3600.0
    secs = np.asarray(seconds, dtype="float64")
    for name, zone in DATED_ZONE_ABBREVIATIONS.items():
        rows = (abbr == name).to_numpy()
        if not rows.any():
            continue
        starts, offsets = _standard_periods(zone)
        t = secs[rows]
        if utc:
            got = _period_offsets(starts, offsets, t)
        else:
            # a wall-clock time is the one instant some period's offset gives it: none in
            # a skip, two in a repeat
            got = np.full(t.size, np.nan)
            hits = np.zeros(t.size, dtype="int64")
            for off in np.unique(offsets):
                at = _period_offsets(starts, offsets, t - off) == off
                got[at] = off
                hits += at
            got[hits != 1] = np.nan
        got[~np.isfinite(t)] = np.nan
        out[rows] = got
    return out


#: A note's words on how :data:`DATED_ZONE_ABBREVIATIONS` are read.
DATED_ZONES_SAID = (
    "MSK read by Moscow's standard time at each date (UTC+4 from 2011-03-27 to 2014-10-26, "
    "UTC+3 before and after)"
)


class _StandardTime(dt.tzinfo):
    """dateutil's zone for an abbreviation of :data:`DATED_ZONE_ABBREVIATIONS`.

    Its offset is the one the name means at the wall-clock time given
    (:func:`zone_abbreviation_offsets`); None where that is not known, or where it is none
    of the offsets ``written`` beside the name (``+0300 (MSK)`` in 2012): two zones.
    """

    def __init__(self, name: str, written: tuple[int, ...] = ()) -> None:
        self.name, self.written = name, written

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        if when is None:
            return None
        wall = (when.replace(tzinfo=None) - dt.datetime(1970, 1, 1)).total_seconds()
        if self.written:
            # the instant each written offset gives must be in a period of that offset
            # (01:30 +0400 (MSK) on 2014-10-26 is the first of the repeated hour)
            utc = [wall - w for w in self.written]
            meant = zone_abbreviation_offsets([self.name] * len(utc), utc, utc=True)
            agree = [w for w, m in zip(self.written, meant, strict=True) if w == m]
            return dt.timedelta(seconds=agree[0]) if agree else None
        off = float(zone_abbreviation_offsets([self.name], [wall])[0])
        return dt.timedelta(seconds=off) if np.isfinite(off) else None

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, when: dt.datetime | None) -> str:
        return self.name


#: The offsets (hours east of UTC) of the abbreviations that name several zones, left out of
#: :data:`ZONE_ABBREVIATIONS`: beside an offset (``14:00 -0500 (EST)``) the offset is read
#: where one of them agrees, and the value is refused as giving two zones where none does
#: (``14:00 +0100 (EST)`` was read as 13:00 UTC, the name unchecked).
AMBIGUOUS_ZONE_OFFSETS: dict[str, tuple[float, ...]] = {
    "EST": (-5, 10), "EDT": (-4, 11), "CST": (-6, 8, -5, 9.5), "CDT": (-5, -4, 10.5),
    "PST": (-8, 8), "PDT": (-7,), "MST": (-7, 8), "MDT": (-6,), "AST": (-4, 3),
    "ADT": (-3,), "IST": (5.5, 1, 2), "BST": (1, 6, 11), "NST": (-3.5, 12), "NDT": (-2.5,),
    "ET": (-5, -4), "CT": (-6, -5), "MT": (-7, -6), "PT": (-8, -7),
}  # fmt: skip

#: Month names of the languages incident reports come in (Spanish, Portuguese, French,
#: German, Italian, Dutch), beside dateutil's English ones: whole names and abbreviations
#: that are no English word ('ago', 'set', 'out', 'mag' ... are left out).
_MONTH_WORDS = (
    ("enero", "ene", "janeiro", "janvier", "janv", "januar", "jänner", "gennaio", "gen", "januari"),
    (
        "febrero",
        "fevereiro",
        "fev",
        "février",
        "fevrier",
        "févr",
        "februar",
        "febbraio",
        "februari",
    ),
    ("marzo", "março", "marco", "mars", "märz", "maerz", "mär", "maart", "mrt"),
    ("abril", "abr", "avril", "avr", "aprile"),
    ("mayo", "maio", "mai", "maggio", "mei"),
    ("junio", "junho", "juin", "juni", "giugno", "giu"),
    ("julio", "julho", "juillet", "juil", "juli", "luglio", "lug"),
    ("agosto", "août", "aout", "august", "augustus"),
    ("septiembre", "setiembre", "setembro", "septembre", "settembre", "sett"),
    ("octubre", "outubro", "octobre", "oktober", "okt", "ottobre", "ott"),
    ("noviembre", "novembro", "novembre", "november"),
    (
        "diciembre",
        "dic",
        "dezembro",
        "décembre",
        "decembre",
        "déc",
        "dezember",
        "dez",
        "dicembre",
        "december",
    ),
)


#: Turkish, Indonesian and Malay month names (a regional centre's reports, a port's log):
#: whole names, their spellings without Turkish letters (``ARALIK`` lowers to ``aralik``)
#: and abbreviations that are no English word.  Indonesian ``Des`` was skipped as a joining
#: word and ``5 Des 2024`` read as May 2024.
_MONTH_WORDS_TR_ID = (
    ("ocak", "oca"),
    ("şubat", "subat", "şub", "pebruari"),
    ("mart", "maret", "mac"),
    ("nisan", "ni\u0307san", "nis"),
    ("mayıs", "mayis"),
    ("haziran", "haz"),
    ("temmuz", "tem", "julai"),
    ("ağustos", "agustos", "ağu", "agu", "agustus", "agt", "ags", "ogos"),
    ("eylül", "eylul", "eyl"),
    ("ekim", "eki"),
    ("kasım", "kasim", "kas", "nopember", "nop"),
    ("aralık", "aralik", "ara", "desember", "des", "disember"),
)


def _multilingual_parserinfo():
    """Return a dateutil ``parserinfo`` that also knows :data:`_MONTH_WORDS`.

    The connecting words of those languages' dates (``5 de marzo de 2024``, ``le 5 mars``)
    are skipped like English ``of``.
    """
    from dateutil import parser as du

    class _Info(du.parserinfo):
        MONTHS = [
            (*en, *other, *more)
            for en, other, more in zip(
                du.parserinfo.MONTHS, _MONTH_WORDS, _MONTH_WORDS_TR_ID, strict=True
            )
        ]
        JUMP = [*du.parserinfo.JUMP, "de", "del", "do", "da", "le", "du", "der", "des"]

        def convertyear(self, year: int, century_specified: bool = False) -> int:
            # the numeric dates' pivot (69-99 -> 19xx, 00-68 -> 20xx), not dateutil's
            # window around the running year: '05-MAR-70' was 2070 in 2026 and 1970
            # beside it in '05/03/70', and the reading moved with the calendar
            if year < 100 and not century_specified:
                return year + (1900 if year >= 69 else 2000)
            return int(year)

    return _Info()


_PARSERINFO = _multilingual_parserinfo()


def month_numbers(values: pd.Series) -> pd.Series:
    """Return the month (1-12) each value names (``ENERO``, ``Feb``, ``março``); NA if none.

    English names and those of :data:`_MONTH_WORDS`, whole or abbreviated, any case; each
    distinct value is looked up once.
    """
    text = values.astype("string").str.strip().str.rstrip(".")
    names = text.dropna().unique()
    lookup = {v: _PARSERINFO.month(v) for v in names if v}
    return text.map(lookup).astype("Int64")


#: A year of four digits (1600-2199), alone.
_YEAR_TOKEN = re.compile(r"(?<![\d:])(?:1[6-9]|2[01])\d\d(?![\d:])")
_RANGE_WORD = r"(?:\s[-\u2013\u2014]{1,2}\s|[\u2013\u2014]|--|\s(?:to|until|till)\s)"
_RANGE_SEP = rf"(?:/|{_RANGE_WORD})"
_NUMERIC_DATE = r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
#: A range of days (``12-13 March 2021``, ``March 12-14, 2021``; not a numeric date
#: ``12-03-2021`` nor a clock or offset ``14:00-05:00``) or two dates in one value
#: (``2020-01-01/2020-01-03``, ``12 March 2021 - 14 March 2021``).
_RANGE = re.compile(
    r"(?:^|[^\d:.+\-/])\d{1,2}\s*[-\u2013\u2014]\s*\d{1,2}(?![\d:])(?!\s*[-/.]\s*\d)"
    rf"|{_NUMERIC_DATE}[^/]*?{_RANGE_SEP}\s*\D*{_NUMERIC_DATE}"
    # a date then a lone day ('2024-03-05/06', '2024-03-05, 06': read as 06:00), and an
    # ISO 8601 interval of clocks ('2024-03-05T10:00/12:00': read as its end)
    rf"|^\s*{_NUMERIC_DATE}\s*(?:[/,\u2013\u2014]|-{{1,2}})\s*\d{{1,2}}\s*$"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*/\s*"
    r"(?:\d{4}-\d{2}-\d{2}T)?\d{1,2}:\d{2}"
    # clocks marked Z on both ends of a dash ('14:00Z-16:00Z', '1400Z - 1600Z'): a watch,
    # not Z and an offset
    r"|\d{1,2}:?\d{2}(?::\d{2})?Z\s*[-\u2013\u2014]\s*\d{1,2}:?\d{2}(?::\d{2})?Z(?![^\W\d_])"
    # clocks marked AM/PM on both ends of a dash ('9:00AM-11:00AM', '9 AM - 11 AM'): a watch;
    # no offset is followed by AM (dateutil read 09:00 at -11:00, 20:00 UTC)
    r"|(?<![\d:])\d{1,2}(?::\d{2}){0,2}\s*[AP]\.?M\.?\s*[-\u2013\u2014]\s*"
    r"\d{1,2}(?::\d{2}){0,2}\s*[AP]\.?M(?![^\W\d_])"
    rf"|{_YEAR_TOKEN.pattern}.*?{_RANGE_WORD}.*?{_YEAR_TOKEN.pattern}",
    re.IGNORECASE,
)


#: A weekday name or its common abbreviation, as a whole word.
_WEEKDAY = re.compile(
    r"\b(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?)\b\.?",
    re.IGNORECASE,
)
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


#: ``UTC+5``, ``GMT -03:00``, ``(UTC+05:30)``: an offset written after UTC/GMT/UT, east of
#: UTC when positive, as people (and the offset columns and time headers here) write it.
#: dateutil reads it the POSIX way, west when positive (``UTC+5`` -> 5 h *behind*), and a
#: blank before the sign (``UTC +5``) makes it drop the offset; ``Etc/GMT+5`` (a zone name,
#: POSIX-signed on purpose) is not this.
_NAMED_OFFSET = re.compile(
    r"(?<![/\w])\(?\s*(?:UTC|GMT|UT)\s*([+-])\s*(\d{1,2})(?:(?::|h)?(\d{2}))?(?![\d:])\s*\)?",
    re.IGNORECASE,
)


#: The UTC designator ``Z`` followed by an offset (``14:00Z+02:00``, ``14:00 Z -0500``); the
#: offset's digits are group 1 (``Z+00:00`` says UTC twice: one zone, not two).
_ZULU_THEN_OFFSET = re.compile(r"(?<![^\W\d_])Z\s*[+-]\s*(\d[\d:]*)", re.IGNORECASE)


#: A clock in free text, as the offset rule below reads it (``14:00``, ``2:00:05.25 PM``).
_CLOCK_IN_TEXT = r"\d:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
#: A clock's offset then a name of UTC (``14:00 +0100 (GMT)``, ``14:00:00 +01 GMT``); the
#: offset's digits are group 1.  dateutil gives the name UTC's 0 and drops the offset written: 14:00 UTC, an hour off.
_OFFSET_THEN_UTC = re.compile(
    rf"{_CLOCK_IN_TEXT}\s*[+-]\s*(\d{{2}}(?::?\d{{2}})?)\s*\(?\s*(?:UTC|GMT|Z)\s*\)?(?![^\W\d_])"
)

#: A clock's offset then a zone name (``14:00:00 +0100 CET``: ``date '+%F %T %z %Z'``, Java's
#: ``Z z``; ``+01 CET``, the offset in whole hours), which dateutil cannot read; written
#: ``+0100 (CET)``, it reads a name and an offset, which must agree (a name of UTC is :data:`_OFFSET_THEN_UTC`'s, refused before).
_OFFSET_THEN_NAME = re.compile(
    rf"({_CLOCK_IN_TEXT})\s*([+-]\d{{2}}(?::?\d{{2}})?)\s+([A-Z]{{2,5}})(?![\w(])"
)


def _bracket_zone_name(m: re.Match[str]) -> str:
    """Write :data:`_OFFSET_THEN_NAME`'s name in brackets, as dateutil reads a zone's name.

    A word the parser reads as something else is left as written: a month or weekday
    (``14:00 +0100 MAR 5 2024`` was read as 1 May, its month taken for a zone), a joining
    word (``14:00 +0100 ON 5 MAR 2024``) or AM/PM.
    """
    word = m.group(3)
    info = _PARSERINFO
    if (
        info.month(word) is not None
        or info.weekday(word) is not None
        or info.ampm(word) is not None
        or info.hms(word) is not None
        or info.jump(word)
        or info.pertain(word)
    ):
        return m.group(0)
    return f"{m.group(1)} {m.group(2)} ({word})"


#: A clock's zero offset then ``Z`` (``14:00:00+00:00Z``, the ``isoformat() + "Z"`` slip of a
#: UTC time), which dateutil cannot read; the offset (group 1) is kept, the ``Z`` dropped.
_ZERO_OFFSET_THEN_Z = re.compile(
    rf"({_CLOCK_IN_TEXT}\s*[+-]\s*00:?00)\s*Z(?![^\W\d_])", re.IGNORECASE
)


def _utc_and_another_offset(text: str) -> bool:
    """Whether ``text`` gives UTC (``Z``, ``GMT``) and an offset other than zero (two zones).

    ``14:00Z+02:00`` and ``14:00 +0100 (GMT)`` are refused; ``14:00Z+00:00``, ``14:00Z
    -0000`` and ``14:00 +0000 (GMT)`` give UTC twice and are read as UTC.
    """
    return any(
        m.group(1).strip("0:")
        for pattern in (_ZULU_THEN_OFFSET, _OFFSET_THEN_UTC)
        for m in pattern.finditer(text)
    )


def _offsets_as_iso(text: str) -> str | None:
    """Return ``text`` with its ``UTC+5``-style offsets written as ISO offsets (``+05:00``).

    None when an offset is beyond ±14 h or its minutes beyond 59: no offset in use, so the
    value is unparseable rather than read some other way.

    Examples
    --------
    >>> _offsets_as_iso("12 Jan 2025 10:00 UTC+5")
    '12 Jan 2025 10:00 +05:00'
    >>> _offsets_as_iso("12 Jan 2025 10:00 (GMT -3:30)")
    '12 Jan 2025 10:00 -03:30'
    >>> _offsets_as_iso("12 Jan 2025 10:00 UTC+15") is None
    True
    """
    bad = False

    def iso(m: re.Match) -> str:
        nonlocal bad
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        bad |= minutes > 59 or hours * 60 + minutes > 14 * 60
        # the blank the match ended on stays ('GMT+0100 (CET)': '+01:00(CET)' is unread)
        after = " " if m.group(0)[-1].isspace() else ""
        return f" {m.group(1)}{hours:02d}:{minutes:02d}{after}"

    out = re.sub(r"\s{2,}", " ", _NAMED_OFFSET.sub(iso, text)).strip()
    return None if bad else out


#: The largest offset from UTC in use (UTC+14, Kiribati's Line Islands; UTC-12 the west's).
_LARGEST_OFFSET = dt.timedelta(hours=14)
#: A clock, a dash and a clock (``14:00-16:00``): a watch, where the second is no offset.
_CLOCK_DASH_CLOCK = re.compile(r"\d:\d{2}\s*[-\u2013\u2014]\s*\d{1,2}:\d{2}")
#: A clock without seconds, a dash and a clock (``5 Mar 2024 09:00-11:00``): a watch as much
#: as an offset (-11:00 and -09:30 are offsets in use); read as one, 09:00 became 20:00 UTC.
#: Only a year-first date (ISO 8601's shape) or a clock with seconds reads it as an offset.
#: So is a watch to a whole hour (``09:00-11``) and one of four-digit clocks as incident
#: reports write it (``5 Mar 2024 0900-1100``).
_WATCH = re.compile(
    r"(?<![\d:])\d{1,2}:\d{2}\s*[-\u2013\u2014]\s*\d{1,2}(?::\d{2})?(?![\d:])"
    r"|(?<![\d:.])(?:[01]\d|2[0-3])[0-5]\d\s*[-\u2013\u2014]\s*(?:[01]\d|2[0-3])[0-5]\d(?![\d:])"
)


#: A watch from a clock marked AM/PM (``9:00AM-11:00``, ``9 a.m.-11``), read by dateutil
#: as 09:00 at -11:00 (20:00 UTC): refused after a year-first date too, since ISO 8601,
#: whose shape makes ``2024-03-05 09:00-11:00`` an offset, has no AM/PM.  A clock with
#: seconds (``9:00:00 AM -05:00``, .NET's) or a four-digit offset (``9:00 AM -0500``)
#: keeps its offset.
_WATCH_AM_PM = re.compile(
    r"(?<![\d:])\d{1,2}(?::\d{2})?\s*[AaPp]\.?\s?[Mm]\.?\s*[-\u2013\u2014]\s*\d{1,2}(?::\d{2})?(?![\d:])"
)


def _range_or_two_dates(text: str) -> bool:
    """Whether a free-text date is a range (``12-13 March 2021``) or two dates in one value.

    dateutil reads these without complaint and wrongly: the second day as the year, the
    year as a clock time (``12-13 March 2021`` -> 2012-03-13 20:21).
    """
    return _RANGE.search(text) is not None


#: A date written year first (``2021-03-05``, ``2021/03/05``) anywhere in a free-text value,
#: after a weekday too (``Fri 2021-03-05``): month then day, whatever ``dayfirst`` says.
_YEAR_FIRST_DATE = re.compile(r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d.])")
#: The fraction of a second after a clock (``10:00:00.123456789``): dateutil keeps microseconds.
_FRACTION = re.compile(r"(?<!\d)\d{1,2}:\d{2}:\d{2}[.,](\d{1,9})(?!\d)")
_UNREAD = (np.nan, False, False, False, 0.0, False, np.nan)
#: The longest free-text date read ('Tuesday, 5 de septiembre de 2024 a las 14:30:15.123456789
#: (UTC+05:30)' is 70); a longer value is no date.
_FREE_TEXT_CHARS = 200
#: The first of a month as French and Portuguese write it (``1er mars``, ``1º de maio``,
#: ``1° de maio``), before a word: dateutil knows only English ordinals (``1st``).
_ORDINAL_DAY = re.compile(r"(?<!\d)(\d{1,2})(?:er|re|ère|º|ª|°)(?=\s+[^\W\d_])", re.IGNORECASE)
#: A month and year of digits joined as dates join them (``03/2024``, ``2024/03``).
_NUMERIC_MONTH = re.compile(r"\s*(?:\d{1,2}\s*[-/.]\s*\d{4}|\d{4}\s*[-/.]\s*\d{1,2})\s*")


def _year_after_month(text: str) -> int | None:
    """Return the year a date of ``text`` writes, or None.

    The first field of a numeric year-first date (``2024-03-05 1730``), the last of a
    numeric day/month date (``05.03.2024 1730``), or, beside a month name, the year-like
    four digits nearest to it (``5 Mar 2024``, ``March 5, 2024``, ``5-Mar-2024``, ``2024
    March 5``, ``5 de marzo de 2024``: a clock written before or after the date is further
    off; on a tie, the one after the month).
    """
    numeric = re.search(r"(?<![\d.])(\d{4})[-/.]\d{1,2}[-/.]\d{1,2}(?![\d.])", text) or re.search(
        r"(?<![\d.])\d{1,2}[-/.]\d{1,2}[-/.](\d{4})(?![\d.])", text
    )
    if numeric:
        return int(numeric.group(1))
    years = [(y.start(), y.end(), int(y.group())) for y in _YEAR_TOKEN.finditer(text)]
    for m in re.finditer(r"[^\W\d_]{3,}", text):
        if years and _PARSERINFO.month(m.group()):
            gap = [y0 - m.end() if y0 >= m.end() else m.start() - y1 for y0, y1, _ in years]
            near = min(range(len(years)), key=lambda k: (gap[k], years[k][0] < m.start()))
            return years[near][2]
    return None


def _names_month(text: str) -> bool:
    """Whether ``text`` names its month in words (then no day/month order is needed)."""
    return any(_PARSERINFO.month(w) for w in re.findall(r"[^\W\d_]{3,}", text))


def _free_text(acc: _Acc, s: pd.Series, rows: np.ndarray, dayfirst: bool | None) -> dict[str, Any]:
    """Parse distinct free-text dates (``12 Jan 2020``) with dateutil; counts of precisions.

    A value naming a zone abbreviation outside :data:`ZONE_ABBREVIATIONS` is left
    unparseable (counted under ``zone_unknown``, examples under ``zone_examples``): taking
    it as UTC would shift it by hours, and dateutil's reading of it depends on the machine.
    So is a range of days or two dates in one value (``ranges``, ``range_examples``), a
    value whose one four-digit year dateutil did not read as its year, and, where
    ``dayfirst`` is None (neither given nor decided by the column), a value that reads as
    two dates day-first and month-first (``order_unknown``, ``order_examples``).
    """
    from dateutil import parser as du
    from dateutil import tz as dtz

    counts: dict[str, Any] = {
        "month_precision": 0,
        "zone_unknown": 0,
        "zone_examples": [],
        "ranges": 0,
        "range_examples": [],
        "weekday_conflicts": 0,
        "weekday_examples": [],
        "zone_conflicts": 0,
        "zone_conflict_examples": [],
        "zone_dated": 0,
        "zone_changed": 0,
        "zone_changed_examples": [],
        "order_unknown": 0,
        "order_examples": [],
    }
    texts = s.iloc[rows]
    uniq = pd.unique(texts.to_numpy(dtype=object))
    a = dt.datetime(2000, 1, 1)
    # another hour too: a clock written as 00:00 is a clock (placed by an offset column),
    # as it is in the ISO spellings, not a date alone
    b = dt.datetime(2001, 2, 2, 13)
    seen: dict[str, tuple[float, bool, bool, bool, float, bool, float]] = {}
    unknown_zone: set[str] = set()
    ranges: set[str] = set()
    weekday_conflicts: set[str] = set()
    zone_conflicts: set[str] = set()
    zone_dated: set[str] = set()
    zone_changed: set[str] = set()
    order_unknown: set[str] = set()

    # the zone names read and not understood, of the value being parsed.  Said by the
    # zone function dateutil calls, not by the UnknownTimezoneWarning it warns otherwise:
    # catch_warnings swaps the process's warning state, and another thread's leaving its
    # block took this one's record away (a Dask worker's two threads, a notebook's pool):
    # half of the values naming an unknown zone were then taken as UTC, hours off
    not_understood: list[str] = []
    # a name and an offset that disagree, or whose sign is not known (below)
    conflicting: list[str] = []

    def zone(name: str | None, offset: int | None) -> Any:
        # the zone of a parsed name or offset as dateutil's own branches give it (its
        # _build_tzaware), an unknown name recorded instead of warned
        if name and offset:
            # a name and an offset: '14:00 -0500 (EST)', the offset as written; or a name
            # with an offset joined to it, 'EST-0500', whose sign dateutil reads the POSIX
            # way (+5 h: 14:00 was 09:00 UTC, not 19:00) - the sign is not known then, nor
            # which to believe where the name's offset is another ('+0200 (CET)')
            known = _TZINFOS.get(name)
            joined = re.search(rf"(?<![A-Za-z]){re.escape(name)}[+-]\d", clean or "") is not None
            if name in DATED_ZONE_ABBREVIATIONS:
                # '+0400 (MSK)': right in 2012, two zones in 2005 - checked at the date
                return _StandardTime(name, (offset, -offset) if joined else (offset,))
            if known is not None and (known == offset or (joined and known == -offset)):
                return known
            if known is not None or joined:
                conflicting.append(name)
                return None
            meanings = AMBIGUOUS_ZONE_OFFSETS.get(name)
            if meanings is not None and offset not in {int(h * 3600) for h in meanings}:
                conflicting.append(name)  # '+0100 (EST)': no EST is an hour east
                return None
            return dtz.tzoffset(name, offset)
        if name is not None and name in DATED_ZONE_ABBREVIATIONS:
            return _StandardTime(name)  # MSK: +4 h in 2012, +3 h in 2005
        if name is not None and name in _TZINFOS:
            return _TZINFOS[name]
        if name and name in time.tzname:
            return dtz.tzlocal()  # the machine's zone: refused below
        if offset == 0:
            return dtz.UTC
        if offset:
            return dtz.tzoffset(name, offset)
        if name:
            not_understood.append(name)
        return None

    def parse(text: str, default: dt.datetime, first: bool, yearfirst: bool) -> dt.datetime:
        return du.parse(
            text,
            _PARSERINFO,
            default=default,
            dayfirst=first,
            yearfirst=yearfirst,
            tzinfos=zone,
        )

    for u in uniq:  # distinct free-text dates only
        text = str(u)
        if len(text) > _FREE_TEXT_CHARS:
            # no date is this long; the range patterns' scans grow with the square of
            # a value's length (a 1 MB cell would take hours)
            seen[text] = _UNREAD
            continue
        if _range_or_two_dates(text):
            seen[text] = _UNREAD
            ranges.add(text)
            continue
        if (_WATCH.search(text) and not _YEAR_FIRST_DATE.search(text)) or _WATCH_AM_PM.search(text):
            seen[text] = _UNREAD  # a watch or a clock and its offset: not known which
            ranges.add(text)
            continue
        # JavaScript's Date.toString(): '... 14:00:00 GMT+0100 (Central European Standard
        # Time)' - the zone's long name describes the offset before it, which is read
        clean = _offsets_as_iso(_JS_ZONE_NAME.sub(r"\1", text))  # 'UTC+5' is 5 h east
        if clean is None:  # an offset no place uses ('UTC+15')
            seen[text] = _UNREAD
            continue
        if _utc_and_another_offset(clean):
            # 'Z' (UTC) and an offset: '14:00Z+02:00' is two zones; dateutil read the offset
            # the POSIX way (16:00 UTC) and '14:00Z +0200' as UTC - neither is known
            seen[text] = _UNREAD
            zone_conflicts.add(text)
            continue
        # isoformat() of a UTC time with 'Z' added ('14:00:00+00:00Z'): UTC twice, one zone
        clean = _ZERO_OFFSET_THEN_Z.sub(r"\1", clean)
        clean = _ORDINAL_DAY.sub(r"\1", clean)  # '1er mars 2024', '1º de maio de 2024'
        clean = _OFFSET_THEN_NAME.sub(_bracket_zone_name, clean)  # '14:00 +0100 CET'
        # a year-first date is year-month-day, after a weekday too ('Fri 2021-03-05':
        # dateutil reads it 2021-05-03 day-first)
        yearfirst = _YEAR_FIRST_DATE.search(clean) is not None
        first = bool(dayfirst) and not yearfirst
        del not_understood[:], conflicting[:]
        try:
            p1 = parse(clean, a, first, yearfirst)
            p2 = parse(clean, b, first, yearfirst)
            other = (
                parse(clean, a, not first, yearfirst)
                if dayfirst is None and not yearfirst and not _names_month(clean)
                else p1
            )
        except (ValueError, OverflowError, TypeError):
            seen[text] = _UNREAD
            continue
        if isinstance(p1.tzinfo, _StandardTime):
            if p1.utcoffset() is None:
                # an offset written beside it that it did not mean then, or a wall-clock
                # time its standard time skipped or repeated when the offset changed
                seen[text] = _UNREAD
                (zone_conflicts if p1.tzinfo.written else zone_changed).add(text)
                continue
            zone_dated.add(text)
        off1 = p1.utcoffset()
        if off1 is not None and abs(off1) > _LARGEST_OFFSET:
            # no place is more than 14 h from UTC: '5 Mar 2024 14:00-16:00' is a watch,
            # which dateutil read as 14:00 at -16:00 (06:00 UTC the next day)
            seen[text] = _UNREAD
            if _CLOCK_DASH_CLOCK.search(clean):
                ranges.add(text)
            continue
        if p1.tzinfo is None and conflicting:
            seen[text] = _UNREAD
            zone_conflicts.add(text)
            continue
        if isinstance(p1.tzinfo, dtz.tzlocal) or (p1.tzinfo is None and not_understood):
            seen[text] = _UNREAD
            unknown_zone.add(text)
            continue
        if p1.year != p2.year or p1.month != p2.month:
            seen[text] = _UNREAD  # no year or month: not a date
            continue
        if other != p1:  # 03/05/2021 14:30 CET in a column that does not say its order
            seen[text] = _UNREAD
            order_unknown.add(text)
            continue
        years = {int(y) for y in _YEAR_TOKEN.findall(clean)}
        if years and p1.year not in years:  # the year was read as something else
            seen[text] = _UNREAD
            continue
        if len(years) > 1 and p1.year != _year_after_month(clean):
            # '1730 5 Mar 2024': a clock and a year, both four digits; dateutil took
            # the first for the year (1730-03-05 20:24); the year follows the month
            seen[text] = _UNREAD
            continue
        named = _WEEKDAY.search(clean)
        if named and _WEEKDAYS[named.group(1)[:3].lower()] != p1.weekday():
            # 'Friday, 16 March 2024' (a Saturday): the day or the weekday is wrong
            seen[text] = _UNREAD
            weekday_conflicts.add(text)
            continue
        month_only = p1.day != p2.day
        if month_only and not _names_month(clean) and not _NUMERIC_MONTH.fullmatch(clean):
            # '5 Des 2024' with 'Des' skipped as a joining word: the day read as the
            # month; a month of digits must be joined to its year ('03/2024')
            seen[text] = _UNREAD
            continue
        p = p1.replace(day=1) if month_only else p1
        zoned = p.tzinfo is not None
        delta = p.utcoffset()
        off = delta.total_seconds() if delta is not None else 0.0
        naive = p.replace(tzinfo=None)
        days = (naive.date() - dt.date(1970, 1, 1)).days
        secs = days * 86400.0 + naive.hour * 3600 + naive.minute * 60 + naive.second - off
        has_clock = p1.hour == p2.hour
        frac_ns = naive.microsecond * 1000
        digits = _FRACTION.search(clean)
        if digits and int(digits.group(1)[:6].ljust(6, "0")) == naive.microsecond:
            frac_ns = int(digits.group(1).ljust(9, "0"))  # nanoseconds too, as ISO's
        short = str(p1.year) not in clean  # '05-MAR-24': a two-digit year
        offset = off if zoned else np.nan
        seen[text] = (secs, zoned, has_clock, month_only, float(frac_ns), short, offset)
    keys = list(seen)
    table = np.array([seen[k] for k in keys], dtype="float64").reshape(-1, 7)
    at = pd.Index(keys).get_indexer(texts.astype("str").to_numpy(dtype=object))
    got = table[at]
    acc.secs[rows] = got[:, 0]
    acc.zoned[rows] = got[:, 1].astype(bool)
    acc.has_clock[rows] = got[:, 2].astype(bool)
    acc.frac_ns[rows] = got[:, 4].astype("int64")
    acc.offset[rows] = got[:, 6]
    acc.done[rows] = True
    month_only = got[:, 3].astype(bool) & np.isfinite(got[:, 0])
    counts["month_precision"] = int(month_only.sum())
    if month_only.any():
        # the month of the local date: 'Dec 2024 00:00 +05:00' starts 2024-11-30 19:00 UTC,
        # whose month in UTC (November) ended its period 5 hours after its start
        off = np.nan_to_num(got[month_only, 6])
        start = (got[month_only, 0] + off).astype("int64").astype("datetime64[s]")
        after = (start.astype("datetime64[M]") + 1).astype("datetime64[s]").astype("int64") - off
        until = np.full(rows.size, np.nan)
        until[month_only] = after
        acc.until[rows] = until
    counts["two_digit_years"] = int((got[:, 5].astype(bool) & np.isfinite(got[:, 0])).sum())
    for count, examples, found in (
        ("zone_unknown", "zone_examples", unknown_zone),
        ("ranges", "range_examples", ranges),
        ("weekday_conflicts", "weekday_examples", weekday_conflicts),
        ("zone_conflicts", "zone_conflict_examples", zone_conflicts),
        ("zone_changed", "zone_changed_examples", zone_changed),
        ("order_unknown", "order_examples", order_unknown),
    ):
        if found:
            counts[count] = int(texts.astype("str").isin(found).sum())
            counts[examples] = sorted(found)[:3]
    if zone_dated:
        read = np.isfinite(got[:, 0])
        counts["zone_dated"] = int((texts.astype("str").isin(zone_dated).to_numpy() & read).sum())
    return counts


def parse_times(
    values: pd.Series,
    *,
    dayfirst: bool | None = None,
    order_by: str = "config",
    name: str = "",
    column: str = "",
) -> ParsedTimes:
    """Parse a column of dates/times in any common spelling to UTC.

    Understood, per value: ISO 8601 and ``yyyy/mm/dd`` with optional time, fraction and zone
    (``Z``, ``UTC``, ``+00``, ``+0530``, ``-08:00``; naive means UTC); ``dd/mm/yyyy`` and
    ``mm/dd/yyyy`` with optional 24- or 12-hour time (``2/1/2018 5:30:00 PM``); ``yyyymmdd``;
    epoch seconds (9-11 digits), milliseconds (12-14), microseconds (15-17) and nanoseconds
    (18-20); a bare year (placed on 1 January, precision noted); ``yyyy-mm`` (first of the month, noted); and free text such as
    ``12 Jan 2020`` or ``Tue, 01 Feb 2018 17:30:00 GMT`` (dateutil, per distinct value; text
    without a year or month is unparseable, never completed from today's date).  An offset
    after UTC or GMT is east of UTC when positive, as people write it (``10:00 UTC+5`` is
    05:00 UTC; dateutil alone reads it the POSIX way, west), and one beyond ±14 h is
    unparseable.

    Parameters
    ----------
    values : pandas.Series
        Raw values (text, numbers or datetimes).
    dayfirst : bool, optional
        How to read ``03/04/2020``.  None decides from the column's own values and raises when
        they do not decide.
    order_by : str, default "config"
        Who set ``dayfirst`` when it is given (``config``, ``schema``): reported as evidence.
    name, column : str
        File and column, for messages.

    Raises
    ------
    InputError
        ``dayfirst`` is None and the column has dates like ``03/04/2020`` that no value of
        the column decides (or the values decide both ways).
    """
    where = f"{name} column {column!r}" if column else name
    n = len(values)
    assumptions: dict[str, Any] = {"column": column}
    notes: list[str] = []
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
        return _from_datetimes(values, assumptions)
    miss = missing_mask(values)
    if values.dtype.kind in "fiu":
        s = values.astype("float64").map("{:.0f}".format).where(~miss, "")
    else:
        s = values.astype("str").str.strip().where(~miss, "")
    acc = _Acc(n)
    acc.done |= miss
    formats: dict[str, int] = {}

    parts = _extract(s, _YMD)
    if parts is not None:
        hit = parts["__match"] & ~acc.done
        if hit.any():
            # '2024-03-05 9:00AM-11:00': a watch (ISO 8601 has no AM/PM), left to the
            # free text, which refuses it (:data:`_WATCH_AM_PM`)
            am_pm = pd.Series(parts["ampm"], dtype=object).fillna("").astype(str) != ""
            hit &= ~(am_pm.to_numpy() & _watches(parts))
        if hit.any():
            rows = np.flatnonzero(hit)
            sub = {k: v[hit] for k, v in parts.items()}
            month, day = _num(sub["m"], rows.size), _num(sub["d"], rows.size)
            if _year_day_month(month, day, s.iloc[rows], where, dayfirst, notes):
                month, day = day, month
                formats["year-day-month"] = int(hit.sum())
            else:
                formats["year-month-day"] = int(hit.sum())
            _put_components(acc, rows, sub, _num(sub["y"], rows.size), month, day)

    got = _pending_rows(s, _YMD_BASIC, acc.done)
    if got is not None:  # '20240305T1430Z' was refused as needing a day/month order
        rows, sub = got
        n_rows = rows.size
        _put_components(
            acc, rows, sub, _num(sub["y"], n_rows), _num(sub["m"], n_rows), _num(sub["d"], n_rows)
        )
        formats["ISO 8601 basic"] = int(n_rows)

    got = _pending_rows(s, _DTG, acc.done)
    if got is not None:  # '051430ZMAR21': dateutil read none of it
        _date_time_groups(acc, s, got, formats, notes, where)

    order: str | None = None
    got = _pending_rows(s, _ABY, acc.done)
    if got is not None:
        rows, sub = got
        # '05/03/2024 09:00-11:00': left to the free text, which refuses it as a watch; its
        # date still decides the order when it can only be one ('13/03/2024 09:00-11:00')
        watch = _watches(sub)
        a = _num(sub["a"], rows.size)
        b = _num(sub["b"], rows.size)
        yf = (
            _year_first(a, b, _num(sub["y"], rows.size), sub, s.iloc[rows], where, assumptions)
            if dayfirst is None
            else np.zeros(rows.size, dtype=bool)
        )
        if yf.any():
            formats["year-month-day (two-digit year)"] = int(yf.sum())
            notes.append(f"{where}: {assumptions['year_first']}")
        elif "year_first_evidence" in assumptions:
            notes.append(f"{where}: {assumptions['year_first_evidence']}")
        proves_day = (a > 12) & (b <= 12) & ~yf
        proves_month = (b > 12) & (a <= 12) & ~yf
        ambiguous = (a <= 12) & (b <= 12) & (a != b) & ~yf & ~watch
        n_day, n_month, n_amb = (
            int(proves_day.sum()),
            int(proves_month.sum()),
            int(ambiguous.sum()),
        )
        examples = list(pd.unique(s.iloc[rows[ambiguous]].to_numpy(dtype=object))[:3])
        evidence = order_evidence(n_day, n_month, n_amb)
        if dayfirst is not None:
            df = bool(dayfirst)
            assumptions["order_by"] = order_by
        elif n_amb == 0:
            df = n_day >= n_month
            assumptions["order_by"] = "values"
        elif n_day and not n_month:
            df = True
            assumptions["order_by"] = "values"
        elif n_month and not n_day:
            df = False
            assumptions["order_by"] = "values"
        elif not n_day and _all_dotted(s.iloc[rows[ambiguous]]):
            # dd.mm.yyyy: the dotted form of Germany, Russia, Poland, Scandinavia,
            # Turkey ...; no locale writes month.day.year
            df = True
            assumptions["order_by"] = "convention (dotted dates are day.month.year)"
        else:
            raise (DatesDecideBothWays if n_day or n_month else AmbiguousDateOrder)(
                order_undecided(where, n_amb, examples, n_day, n_month)
            )
        if n_amb or n_day or n_month:
            order = "day-first" if df else "month-first"
            if n_day and n_month and not n_amb and dayfirst is None:
                order = MIXED_ORDER
            assumptions["order"] = order
            assumptions["order_evidence"] = evidence
            if n_amb:
                notes.append(
                    order_note(where, n_amb, examples[0], order, assumptions["order_by"], evidence)
                )
            if n_day and n_month:
                notes.append(mixed_note(where, n_day, n_month))
            contra = int(((proves_month if df else proves_day) & ~watch).sum())  # read
            if order_by == "header" and contra:
                # a header spelling its layout ('Date (dd/mm/yyyy)') over dates of the other
                # order: which of the two is wrong is not known, nor how to read the others
                first = s.iloc[rows[(proves_month if df else proves_day) & ~watch]].iloc[0]
                raise InputError(
                    f"{where}: the header spells a {order} layout but {contra} date(s) such "
                    f"as {first!r} can only be {'month' if df else 'day'}-first; fix the "
                    "header, or set dayfirst for this input in the config"
                )
            if dayfirst is not None and contra:
                notes.append(
                    f"{where}: {contra} date(s) contradict dayfirst={dayfirst} and are "
                    "read as written"
                )
        day_is_a = (a > 12) | ((b <= 12) & df)
        keep = ~watch
        rows, sub, a, b, yf, day_is_a = (
            rows[keep],
            {k: v[keep] for k, v in sub.items()},
            a[keep],
            b[keep],
            yf[keep],
            day_is_a[keep],
        )
        year, n_short = _two_digit(_num(sub["y"], rows.size), sub["y"])
        lead, _ = _two_digit(a, sub["a"])
        if n_short:
            assumptions["two_digit_years"] = "69-99 -> 1969-1999, 00-68 -> 2000-2068"
            notes.append(
                f"{where}: {n_short} two-digit year(s) read as 1969-2068 (e.g. 18 -> 2018)"
            )
        _put_components(
            acc,
            rows,
            sub,
            np.where(yf, lead, year),
            np.where(yf, b, np.where(day_is_a, b, a)),
            np.where(yf, _num(sub["y"], rows.size), np.where(day_is_a, a, b)),
        )
        if (~yf).any():
            formats["day/month/year"] = int((~yf).sum())
    assumptions["order"] = order

    got = _pending_rows(s, _YM, acc.done)
    if got is not None:
        rows, parts = got
        y = _num(parts["y"], rows.size)
        m = _num(parts["m"], rows.size)
        _place(acc, rows, _days(y, m, np.ones(rows.size)), formats, "year-month")
        acc.until[rows] = _days(y + (m == 12), m % 12 + 1, np.ones(rows.size)) * 86400.0
        notes.append(
            f"{where}: {rows.size} value(s) give only a year and month; placed on "
            "the 1st (precision: month)"
        )

    got = _pending_rows(s, _ISO_WEEK, acc.done)
    if got is not None:
        rows, parts = got
        y = _num(parts["y"], rows.size)
        week = _num(parts["w"], rows.size)
        wday = _num(parts["d"], rows.size)
        days = _iso_week_days(y, week, np.nan_to_num(wday, nan=1.0))
        _place(acc, rows, days, formats, "ISO week date")
        acc.until[rows] = np.where(np.isnan(wday), (days + 7) * 86400.0, np.nan)
        n_weeks = int(np.isnan(wday).sum())
        if n_weeks:
            notes.append(
                f"{where}: {n_weeks} ISO week(s) without a weekday (2024-W11) placed on "
                "the week's Monday (precision: week)"
            )

    got = _pending_rows(s, _NUMBER, acc.done)
    if got is not None:
        rows, _ = got
        _numbers(acc, s, rows, formats, notes, where)

    rest = np.flatnonzero(~acc.done)
    if rest.size:
        # free text such as '03/05/2021 14:30 CET' is read in the order the numeric dates
        # of its column decided (or dayfirst gave); with none decided, only where both
        # orders give the same date
        decided = {"day-first": True, "month-first": False}.get(order or "")
        counts = _free_text(acc, s, rest, bool(dayfirst) if dayfirst is not None else decided)
        formats["free text"] = int(np.isfinite(acc.secs[rest]).sum())
        if counts["two_digit_years"]:
            assumptions["two_digit_years"] = "69-99 -> 1969-1999, 00-68 -> 2000-2068"
            notes.append(
                f"{where}: {counts['two_digit_years']} two-digit year(s) of dates written "
                "in words read as 1969-2068 (e.g. 05-MAR-70 -> 1970, 05-MAR-24 -> 2024)"
            )
        if counts["month_precision"]:
            notes.append(
                f"{where}: {counts['month_precision']} value(s) give only a month and year; "
                "placed on the 1st (precision: month)"
            )
        if counts["zone_unknown"]:
            notes.append(
                f"{where}: {counts['zone_unknown']} value(s) such as "
                f"{counts['zone_examples']!r} name a time zone by an abbreviation that is "
                "ambiguous or unknown (known: "
                + ", ".join(sorted(ZONE_ABBREVIATIONS))
                + "); rejected as date_unparseable rather than taken as UTC: write an offset "
                "such as -05:00"
            )
        if counts["zone_dated"]:
            notes.append(f"{where}: {counts['zone_dated']} value(s) {DATED_ZONES_SAID}")
        if counts["zone_changed"]:
            notes.append(
                f"{where}: {counts['zone_changed']} value(s) such as "
                f"{counts['zone_changed_examples']!r} name MSK at a wall-clock time Moscow's "
                "standard time skipped or repeated when its offset changed (2011-03-27, "
                "2014-10-26); which offset is meant is not known: rejected as "
                "date_unparseable: write an offset such as +04:00"
            )
        if counts["zone_conflicts"]:
            notes.append(
                f"{where}: {counts['zone_conflicts']} value(s) such as "
                f"{counts['zone_conflict_examples']!r} give two zones - Z or a zone name and "
                "an offset - that disagree, or an offset joined to a name whose sign is read "
                "two ways; rejected as date_unparseable: write one offset such as +02:00"
            )
        if counts["weekday_conflicts"]:
            notes.append(
                f"{where}: {counts['weekday_conflicts']} value(s) such as "
                f"{counts['weekday_examples']!r} name a weekday the date does not fall on; "
                "rejected as date_unparseable (the day or the weekday is wrong)"
            )
        if counts["order_unknown"]:
            notes.append(
                f"{where}: {counts['order_unknown']} value(s) such as "
                f"{counts['order_examples']!r} could be day-first or month-first and no "
                "numeric date of the column decides; rejected as date_unparseable: set "
                "dayfirst: true (31/12/2020) or false (12/31/2020) for this input"
            )
        if counts["ranges"]:
            notes.append(
                f"{where}: {counts['ranges']} value(s) such as {counts['range_examples']!r} "
                "are a range of days or times or hold two dates; rejected as date_unparseable "
                "rather than read as one date: give the first day (or the event's day) alone; "
                "a clock then -HH:MM is read as an offset only with its seconds "
                "(09:00:00-05:00) or after a year-first date (2024-03-05 09:00-05:00)"
            )

    finite = np.isfinite(acc.secs)
    in_range = finite & (acc.secs >= _LO_S) & (acc.secs <= _HI_S)
    out_of_range = finite & ~in_range & ~miss
    unparseable = ~finite & ~miss
    ns = np.full(n, np.iinfo("int64").min, dtype="int64")  # NaT
    ns[in_range] = acc.secs[in_range].astype("int64") * 1_000_000_000 + acc.frac_ns[in_range]
    times = pd.Series(
        pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=values.index
    )
    if out_of_range.any():
        notes.append(
            f"{where}: {int(out_of_range.sum())} date(s) outside {NS_RANGE} "
            "(the range the tables hold) rejected, never wrapped"
            + _other_calendar_hint(acc.secs[out_of_range])
        )
    good = in_range & ~miss
    notes += _clock_edge_notes(where, values, {k: v & good for k, v in acc.flags.items()})
    assumptions["formats"] = formats
    out = ParsedTimes(
        times,
        miss,
        unparseable,
        out_of_range,
        acc.has_clock & good,
        notes,
        assumptions,
        acc.zoned & good,
        np.where(acc.zoned & good, acc.offset, np.nan),
        np.where(good, acc.until, np.nan),
    )
    assumptions["time_zone"] = _zone_sentence(out)
    return out


#: Year spans of other calendars whose dates fall outside the tables' range: the Thai
#: Buddhist era (BE 2400-2700 is 1857-2157 CE) and the Hijri (AH 1300-1500, 1882-2077 CE).
_BUDDHIST_YEARS = (2400, 2700)
_HIJRI_YEARS = (1300, 1500)


def _other_calendar_hint(secs: np.ndarray) -> str:
    """Say which rejected years look like another calendar's (``2567``: BE 2024), or ``""``.

    Years only, as said: such dates are rejected, never converted (a Hijri date has no
    fixed offset, and a year alone does not prove a calendar).
    """
    days = np.clip(np.floor(secs[np.isfinite(secs)] / 86400.0), -1e8, 1e8)
    years = (np.datetime64("1970-01-01", "D") + days.astype("int64")).astype("datetime64[Y]")
    y = years.astype("int64") + 1970
    out = ""
    be = y[(y >= _BUDDHIST_YEARS[0]) & (y <= _BUDDHIST_YEARS[1])]
    if be.size:
        out += (
            f"; years such as {int(be[0])} look like the Buddhist era of Thai exports "
            f"(BE = CE + 543: {int(be[0])} is {int(be[0]) - 543}): convert them in the source"
        )
    ah = y[(y >= _HIJRI_YEARS[0]) & (y <= _HIJRI_YEARS[1])]
    if ah.size:
        out += (
            f"; years such as {int(ah[0])} look like Hijri (AH) years: convert the dates to "
            "the Gregorian calendar in the source"
        )
    return out


def _clock_edge_notes(where: str, values: pd.Series, flags: dict[str, np.ndarray]) -> list[str]:
    """Say how the clocks that need it were read.

    ``24:00`` moves its record to the next day, a leap second is read as second 59, and an
    hour 1-12 without AM/PM in a column that writes AM/PM is read as a 24-hour clock.
    """
    day_end, leap, marked, bare12 = (flags[k] for k in _CLOCK_FLAGS)
    out = []
    if marked.any() and bare12.any():
        first = values.iloc[np.flatnonzero(bare12)[0]]
        out.append(
            f"{where}: {int(bare12.sum())} time(s) such as {first!r} have no AM/PM where "
            f"{int(marked.sum())} value(s) of the column such as "
            f"{values.iloc[np.flatnonzero(marked)[0]]!r} write one: read as 24-hour clocks "
            "(an hour 1-11 in the morning, 12 at noon), which is wrong if they are evening "
            "or night times without their PM or AM: write AM/PM on every value, or 24-hour "
            "clocks throughout"
        )
    if day_end.any():
        out.append(
            f"{where}: {int(day_end.sum())} value(s) such as {values.iloc[np.flatnonzero(day_end)[0]]!r} "
            "are 24:00, the end of their day (ISO 8601): read as 00:00 of the next day, so "
            "those records are dated the day after the one written"
        )
    if leap.any():
        out.append(
            f"{where}: {int(leap.sum())} value(s) such as {values.iloc[np.flatnonzero(leap)[0]]!r} "
            "have second 60 (a leap second): read as second 59 of the same minute, so the "
            "records keep their minute and day (POSIX time has no leap seconds)"
        )
    return out


def _zone_sentence(p: ParsedTimes) -> str:
    """Say which values named their zone, which were taken as UTC, which have no time."""
    good = p.times.notna().to_numpy()
    n_zoned = int((p.zoned & good).sum())
    n_naive = int((~p.zoned & p.has_clock & good).sum())
    n_dates = int((~p.has_clock & good).sum())
    zone = []
    if n_zoned:
        zone.append(f"{n_zoned} value(s) name their zone or offset, or are epoch time (UTC)")
    if n_naive:
        zone.append(f"{n_naive} value(s) without zone taken as UTC")
    if n_dates:
        zone.append(f"{n_dates} value(s) are dates without a time (00:00 UTC)")
    return "; ".join(zone) if zone else "no values"


#: The fields of a compact date (yyyymmddHHMMSS), as slices of its digits.
_COMPACT = (("y", 0, 4), ("m", 4, 6), ("d", 6, 8), ("H", 8, 10), ("M", 10, 12), ("S", 12, 14))


def _compact_valid(text: np.ndarray) -> np.ndarray:
    """Whether each whole number's digits (10, 12 or 14) spell a date yyyymmddHH[MM[SS]]."""
    digits = pd.Series(text, dtype=object).astype("str").str.pad(14, "right", "0")
    c = {k: digits.str.slice(a, b).astype("int64").to_numpy() for k, a, b in _COMPACT}
    ok = (c["y"] >= 1900) & (c["y"] <= 2100) & (c["m"] >= 1) & (c["m"] <= 12)
    ok &= (c["d"] >= 1) & (c["H"] <= 23) & (c["M"] <= 59) & (c["S"] <= 59)
    month_days = pd.to_datetime(
        pd.DataFrame(
            {"year": np.where(ok, c["y"], 2000), "month": np.where(ok, c["m"], 1), "day": 1}
        )
    ).dt.days_in_month.to_numpy()
    return ok & (c["d"] <= month_days)


def _compact_dates(
    text: np.ndarray, ndig: np.ndarray, whole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the numbers read as compact dates (``202103011430``), and of the valid ones.

    A length (10, 12 or 14 digits) is read as yyyymmddHH[MM[SS]] when more than half of the
    whole numbers of that length in the column are valid dates that way, with a year in
    1900-2100: epoch values rarely are (their digits would have to spell a month, a day and
    a clock: about 1 in 100), and twelve digits of epoch milliseconds would be 1973-2001.
    The others of that length are slips of the same spelling (``202413011430``), rejected:
    read as epoch time, one slip had turned the whole column into dates of 1976.
    """
    out = np.zeros(ndig.size, dtype=bool)
    valid = np.zeros(ndig.size, dtype=bool)
    for nd in (10, 12, 14):
        at = (ndig == nd) & whole
        if not at.any():
            continue
        ok = _compact_valid(text[at])
        if ok.mean() > 0.5:
            out[at] = True
            valid[np.flatnonzero(at)[ok]] = True
    return out, valid


def _numbers(
    acc: _Acc, s: pd.Series, rows: np.ndarray, formats: dict[str, int], notes: list[str], where
) -> None:
    text = s.iloc[rows].str.replace(r"^\s*[+-]|\.\d*\s*$", "", regex=True).str.strip()
    ndig = text.str.len().to_numpy()
    x = pd.to_numeric(s.iloc[rows], errors="coerce").to_numpy(dtype="float64")
    # A year or yyyymmdd is a whole number ('2019', '2019.0' from a spreadsheet); '2021.12'
    # may mean December 2021 and is no year.
    whole = np.isfinite(x) & (x == np.floor(x))
    year = (ndig == 4) & whole
    ymd = (ndig == 8) & whole
    compact, valid = _compact_dates(text.to_numpy(dtype=object), ndig, whole)
    secs = (ndig >= 9) & (ndig <= 11) & ~compact
    ms = (ndig >= 12) & (ndig <= 14) & ~compact
    us = (ndig >= 15) & (ndig <= 17)
    ns = (ndig >= 18) & (ndig <= 20)
    out = np.full(rows.size, np.nan)
    # Twelve digits read as epoch milliseconds that also spell yyyymmddHHMM: a compact date
    # among the column's epoch times, or a millisecond of 1976 (19xx/20xx... ms lie in
    # January-August 1976)?  Neither is taken: rejected, with a note.
    twelve = ms & (ndig == 12) & whole
    if twelve.any():
        both = np.zeros(rows.size, dtype=bool)
        both[np.flatnonzero(twelve)[_compact_valid(text.to_numpy(dtype=object)[twelve])]] = True
        if both.any():
            ms &= ~both
            notes.append(
                f"{where}: {int(both.sum())} 12-digit number(s) such as "
                f"{s.iloc[rows][both].iloc[0]!r} among epoch milliseconds spell a date "
                "written yyyymmddHHMM as well as a millisecond of 1976: rejected, not read "
                "either way"
            )
    if valid.any():
        digits = pd.Series(text.to_numpy(dtype=object)[valid]).str.pad(14, "right", "0")
        c = {k: digits.str.slice(a, b).astype("float64").to_numpy() for k, a, b in _COMPACT}
        out[valid] = _days(c["y"], c["m"], c["d"]) * 86400.0 + c["H"] * 3600 + c["M"] * 60 + c["S"]
        for nd in np.unique(ndig[compact]):
            form = {10: "yyyymmddHH", 12: "yyyymmddHHMM", 14: "yyyymmddHHMMSS"}[int(nd)]
            k = int((valid & (ndig == nd)).sum())
            slips = compact & ~valid & (ndig == nd)
            formats[form] = k
            every = (
                f"every {int(nd)}-digit value of the column is a valid date that way"
                if not slips.any()
                else f"most {int(nd)}-digit values of the column are valid dates that way"
            )
            notes.append(
                f"{where}: {k} {int(nd)}-digit number(s) read as dates written {form} "
                f"({every}), not as epoch time; without zone, taken as UTC"
            )
            if slips.any():
                notes.append(
                    f"{where}: {int(slips.sum())} {int(nd)}-digit number(s) such as "
                    f"{s.iloc[rows][slips].iloc[0]!r} are no valid date written {form}, as the "
                    "column's others are: rejected, not read as epoch time"
                )
    if year.any():
        out[year] = _days(x[year], np.ones(year.sum()), np.ones(year.sum())) * 86400.0
        until = np.full(rows.size, np.nan)
        until[year] = _days(x[year] + 1, np.ones(year.sum()), np.ones(year.sum())) * 86400.0
        acc.until[rows] = until
        formats["year"] = int(year.sum())
        notes.append(
            f"{where}: {int(year.sum())} value(s) give only a year; placed on 1 January "
            "(precision: year)"
        )
    if ymd.any():
        v = x[ymd]
        out[ymd] = _days(np.floor(v / 10000), np.floor(v / 100) % 100, np.floor(v) % 100) * 86400.0
        formats["yyyymmdd"] = int(ymd.sum())
    if secs.any():
        out[secs] = x[secs]
        formats["epoch seconds"] = int(secs.sum())
    if ms.any():
        out[ms] = x[ms] / 1000.0
        formats["epoch milliseconds"] = int(ms.sum())
    if us.any():
        out[us] = x[us] / 1e6
        formats["epoch microseconds"] = int(us.sum())
    if ns.any():
        out[ns] = x[ns] / 1e9
        formats["epoch nanoseconds"] = int(ns.sum())
    serial = (ndig == 5) & (x > 0)
    if serial.any():  # left unparseable: a CSV does not say its workbook's date system
        notes.append(
            f"{where}: {int(serial.sum())} value(s) such as {s.iloc[rows][serial].iloc[0]!r} "
            "are five-digit numbers, which look like Excel serial day numbers (a date cell "
            "formatted 'General'); rejected: format the column as dates before exporting, "
            "or read the .xlsx itself"
        )
    whole = np.floor(out)
    frac = np.where(np.isfinite(out), np.round((out - whole) * 1e9), 0).astype("int64")
    # epoch time exactly, from its digits: 1615000001430 ms is .430 s, not .430000007, and
    # 1614934800.123 s is .123 s, not the .122999907 of its nearest double
    raw = s.iloc[rows].to_numpy(dtype=object)
    fits = (ndig <= 18) | ((ndig == 19) & (text <= "9223372036854775807").to_numpy())
    for exponent, unit in ((0, secs), (3, ms), (6, us), (9, ns & fits)):
        if unit.any():
            whole[unit], frac[unit] = _epoch_digits(raw[unit], exponent)
    acc.secs[rows] = whole
    acc.frac_ns[rows] = frac
    epoch = secs | ms | us | ns
    acc.has_clock[rows] = (epoch | compact) & np.isfinite(out)
    acc.zoned[rows] = epoch & np.isfinite(out)  # epoch time is UTC by definition
    acc.offset[rows] = np.where(epoch & np.isfinite(out), 0.0, np.nan)
    acc.done[rows] = True


def _epoch_digits(text: np.ndarray, exponent: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (whole seconds, nanoseconds) of epoch numbers in units of 10**-exponent s.

    Integer arithmetic on the digits as written (an int64 before the point): no rounding
    through a double.

    Examples
    --------
    >>> whole, ns = _epoch_digits(np.array(["1614934800.123", "-1.5"], dtype=object), 0)
    >>> whole.astype("int64").tolist(), ns.tolist()
    ([1614934800, -2], [123000000, 500000000])
    """
    parts = (
        pd.Series(text, dtype=object)
        .astype("str")
        .str.extract(r"^\s*(?P<sign>[+-]?)(?P<i>\d+)(?:\.(?P<f>\d*))?\s*$")
    )
    ticks = parts["i"].astype("int64").to_numpy()
    per_second = 10**exponent
    whole = ticks // per_second
    frac = (ticks % per_second) * 10 ** (9 - exponent)
    if exponent < 9:
        width = 9 - exponent
        sub = parts["f"].fillna("").str.slice(0, width).str.pad(width, "right", "0")
        frac = frac + sub.astype("int64").to_numpy()
    negative = (parts["sign"] == "-").to_numpy()
    borrow = negative & (frac > 0)
    whole = np.where(negative, -whole - borrow, whole)
    frac = np.where(borrow, 1_000_000_000 - frac, frac)
    return whole.astype("float64"), frac.astype("int64")


def _from_datetimes(values: pd.Series, assumptions: dict[str, Any]) -> ParsedTimes:
    """Datetime columns (GeoPackage, Parquet, Excel): range-checked, naive taken as UTC."""
    naive = not isinstance(values.dtype, pd.DatetimeTZDtype)
    v = values if naive else values.dt.tz_convert("UTC").dt.tz_localize(None)
    us = v.to_numpy(dtype="datetime64[us]")  # microseconds hold any year 1..9999
    miss = np.isnat(us)
    ticks = us.astype("int64")
    in_range = ~miss & (ticks >= _LO_S * 1_000_000) & (ticks <= _HI_S * 1_000_000)
    ns = np.full(len(values), np.iinfo("int64").min, dtype="int64")
    ns[in_range] = ticks[in_range] * 1000
    times = pd.Series(
        pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=values.index
    )
    assumptions["time_zone"] = (
        "datetime values without zone taken as UTC" if naive else "datetime values with zone"
    )
    assumptions["order"] = None
    assumptions["formats"] = {"datetime": int((~miss).sum())}
    z = np.zeros(len(values), dtype=bool)
    clock = in_range & (ticks % 86_400_000_000 != 0)
    zoned = np.full(len(values), not naive) & in_range
    return ParsedTimes(times, miss, z, ~miss & ~in_range, clock, [], assumptions, zoned)


#: A date layout a header spells (``Date (dd/mm/yyyy)``, ``Datum TT.MM.JJJJ``, ``date
#: jj/mm/aaaa``, ``Date MM/DD/YY``): the day as d, j (French), t (German) or g (Italian), the
#: year as y, a (Spanish, Portuguese, French) or j (German, Dutch).
_DAY_T, _MONTH_T, _YEAR_T = r"(?:dd?|jj?|tt?|gg?)", r"mm?", r"(?:yy|yyyy|aa|aaaa|jj|jjjj)"
_HEADER_DAY_FIRST = re.compile(
    rf"(?<![a-z]){_DAY_T}(?P<s>[/.-]){_MONTH_T}(?P=s){_YEAR_T}(?![a-z])", re.IGNORECASE
)
_HEADER_MONTH_FIRST = re.compile(
    rf"(?<![a-z]){_MONTH_T}(?P<s>[/.-]){_DAY_T}(?P=s){_YEAR_T}(?![a-z])", re.IGNORECASE
)


def header_date_order(column: str | None) -> tuple[bool, str] | None:
    """Return (day-first, the layout as written) where a date header spells its layout.

    Examples
    --------
    >>> header_date_order("Date (dd/mm/yyyy hh:mm)")
    (True, 'dd/mm/yyyy')
    >>> header_date_order("Datum TT.MM.JJJJ")
    (True, 'TT.MM.JJJJ')
    >>> header_date_order("date_mm-dd-yy")
    (False, 'mm-dd-yy')
    >>> header_date_order("timestamp") is None
    True
    """
    text = str(column or "")
    day, month = _HEADER_DAY_FIRST.search(text), _HEADER_MONTH_FIRST.search(text)
    if (day is None) == (month is None):  # none, or both: no layout said
        return None
    m = day or month
    assert m is not None
    return day is not None, m.group(0)


#: Most groups (agencies) whose dates :func:`times_by_group` reads apart.
MAX_DATE_GROUPS = 20


def times_by_group(
    dates: pd.Series,
    groups: pd.Series,
    *,
    name: str,
    column: str,
    group_column: str,
    orders: dict[str, str | None] | None = None,
) -> ParsedTimes | None:
    """Parse a date column whose day/month order is each group's own (two agencies' exports).

    A file joining the records of a British agency (``06/07/2021``: 6 July) and an American
    one (``07/06/2021``) proves both orders, and a date either could have written is
    refused; read as one order, the other agency's ambiguous dates would be a month off.
    When every group (the values of ``groups``, at most :data:`MAX_DATE_GROUPS`) decides
    its own order by its values as a file would, and the groups do not all decide alike,
    each group's dates are read in its order, said in its notes and in the ``orders``
    assumption.

    ``orders`` (a former call's ``orders`` assumption: another date column of the same
    records, a range's end) reads each group in the order given, without deciding.

    Returns
    -------
    ParsedTimes or None
        None when the groups do not decide apart: a group is refused on its own, or all
        decide the same order (the file's refusal stands).
    """
    keys = groups.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    labels = list(pd.unique(keys))
    if not 2 <= len(labels) <= MAX_DATE_GROUPS:
        return None
    values = dates.reset_index(drop=True)
    parts = []
    for label in labels:
        at = np.flatnonzero(keys == label)
        given = (orders or {}).get(label)
        dayfirst = given == "day-first" if given in ("day-first", "month-first") else None
        try:
            part = parse_times(
                values.iloc[at].reset_index(drop=True),
                dayfirst=dayfirst,
                order_by="values" if orders is None else "config",
                name=f"{name} ({group_column} {label!r})",
                column=column,
            )
        except InputError:
            return None
        parts.append((label, at, part))
    decided = {p.assumptions.get("order") for _, _, p in parts} - {None}
    if orders is None and not {"day-first", "month-first"} <= decided:
        return None
    n = len(values)
    ns = np.full(n, np.iinfo("int64").min, dtype="int64")
    flags = {k: np.zeros(n, dtype=bool) for k in ("missing", "unparseable", "out_of_range")}
    flags |= {k: np.zeros(n, dtype=bool) for k in ("has_clock", "zoned")}
    offsets, period_end = np.full(n, np.nan), np.full(n, np.nan)
    notes: list[str] = []
    formats: dict[str, int] = {}
    for _, at, part in parts:
        ns[at] = part.times.to_numpy(dtype="datetime64[ns]").view("int64")
        for k, arr in flags.items():
            arr[at] = getattr(part, k)
        if part.offsets.size:
            offsets[at] = part.offsets
        if part.period_end.size:
            period_end[at] = part.period_end
        notes += part.notes
        for k, v in part.assumptions.get("formats", {}).items():
            formats[k] = formats.get(k, 0) + v
    by = {label: p.assumptions.get("order") for label, _, p in parts}
    notes.append(
        f"{name} column {column!r}: the day/month order differs by {group_column!r} and each "
        f"one's dates are read in its own ("
        + ", ".join(f"{label!r}: {order or 'none needed'}" for label, order in by.items())
        + ")"
    )
    out = ParsedTimes(
        pd.Series(
            pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=dates.index
        ),
        flags["missing"],
        flags["unparseable"],
        flags["out_of_range"],
        flags["has_clock"],
        notes,
        {
            "order": f"by {group_column}",
            "order_by": f"values, per {group_column!r}",
            "orders": by,
            "order_evidence": {label: p.assumptions.get("order_evidence") for label, _, p in parts},
            "formats": formats,
        },
        flags["zoned"],
        offsets,
        period_end,
    )
    for key in ("two_digit_years", "year_first", "year_first_evidence"):
        said = {label: p.assumptions[key] for label, _, p in parts if key in p.assumptions}
        if said:
            out.assumptions[key] = said
    out.assumptions["time_zone"] = _zone_sentence(out)
    return out


def times_with_clock(
    dates: pd.Series,
    clock: pd.Series | None,
    *,
    dayfirst: bool | None,
    order_by: str,
    name: str,
    date_column: str,
    clock_column: str | None,
    parsed: ParsedTimes | None = None,
) -> tuple[ParsedTimes, dict[str, Any] | None]:
    """Parse a date column and add a time-of-day column to the dates that have none.

    A value of the clock column is used where the date itself carries no time of day and
    the clock parses; its zone (``Z``, ``UTC``, an offset) is applied, a clock without zone is
    taken as UTC, and local time (``LT``) is not placed in UTC (the record keeps its date,
    at day precision).  Every such decision is counted in the returned report.

    ``parsed``, when given, is ``dates`` already parsed (:func:`times_by_group`): only the
    clock is added.

    Returns
    -------
    parsed : ParsedTimes
        The combined times (notes include the combination).
    report : dict or None
        ``{"column", "combined", "zoned", "naive_as_utc", "local_not_combined",
        "unparseable"}``, None without a clock column.
    """
    said = header_date_order(date_column) if dayfirst is None or order_by == "header" else None
    if said is not None:  # 'Date (dd/mm/yyyy)': the header decides, a value against it is refused
        dayfirst, order_by = said[0], "header"
    if parsed is None:
        parsed = parse_times(
            dates, dayfirst=dayfirst, order_by=order_by, name=name, column=date_column
        )
    if clock is None or clock_column is None:
        return parsed, None
    secs, zoned, local, bad, flags, clock_off = _clock_parts(clock)
    fractions = day_fractions(clock)
    if fractions:  # 0.6041666667: 14:30, to the second; any other value read as a clock
        frac = _fraction_mask(clock)
        x = pd.to_numeric(clock, errors="coerce").to_numpy(dtype="float64")
        secs = np.where(frac, np.round(x * 86400.0), secs)
        zoned, local, bad = zoned & ~frac, local & ~frac, bad & ~frac
        clock_off = np.where(frac, np.nan, clock_off)
        flags = {k: v & ~frac for k, v in flags.items()}
    base = parsed.times.notna().to_numpy() & ~parsed.has_clock
    # Dates that all read 00:00:00 (a spreadsheet's date cells, written with their
    # midnight) carry no time of day: the clock column gives it, as for bare dates.  A
    # zoned one is at midnight in its own zone ('2024-03-01T00:00:00+05:00' is 19:00 UTC):
    # it is that zone's date, as '2024-03-01+05:00' is (its clock had been dropped unsaid).
    own = np.nan_to_num(parsed.offsets) if parsed.offsets.size else np.zeros(len(dates))
    ns = parsed.times.to_numpy(dtype="datetime64[ns]").view("int64")
    # a clock in MSK means the offset of its date (+4 h in 2012): read again on the date's
    # day; one its standard time skipped or repeated is rejected (changed, below)
    abbr = clock.astype("str").str.strip().str.extract(r"([A-Z]{2,5})\s*$")[0]
    dated = zoned & abbr.isin(list(DATED_ZONE_ABBREVIATIONS)).to_numpy()
    changed = np.zeros(len(dates), dtype=bool)
    if dated.any():
        day = np.floor((ns / 1e9 + own) / 86400.0) * 86400.0
        day[parsed.times.isna().to_numpy()] = np.nan
        wall = secs + clock_off  # the clock as written
        meant = zone_abbreviation_offsets(abbr.to_numpy(dtype=object), day + wall)
        changed = dated & np.isfinite(day) & ~np.isfinite(meant)
        secs = np.where(dated, wall - meant, secs)
        clock_off = np.where(dated, meant, clock_off)
    ns_of_day = (ns + np.round(own * 1e9).astype("int64")) % (86_400 * 10**9)
    timed = parsed.times.notna().to_numpy() & parsed.has_clock
    known = ~parsed.zoned | (np.isfinite(parsed.offsets) if parsed.offsets.size else False)
    if timed.any() and not (ns_of_day[timed] != 0).any() and known[timed].all():
        base = base | timed
        parsed.has_clock = parsed.has_clock & ~timed
    use = base & ~np.isnan(secs)
    # A date naming its zone without a clock ('2024-03-01+05:00') is its midnight in that
    # zone, and a clock without zone is a time of that zone.  A clock naming the same zone
    # must not apply it a second time (10:00+05:00 was read 00:00 UTC, five hours off); one
    # naming another zone gives the record two zones, not knowing which: refused.
    date_off = parsed.offsets if parsed.offsets.size else np.full(len(dates), np.nan)
    date_zoned = use & np.isfinite(date_off)
    twice = date_zoned & zoned
    conflict = (twice & (clock_off != date_off)) | (base & changed)
    secs = np.where(twice & ~conflict, secs + date_off, secs)
    use &= ~conflict
    if conflict.any():
        ns = parsed.times.to_numpy(dtype="datetime64[ns]").view("int64").copy()
        ns[conflict] = np.iinfo("int64").min
        parsed.times = pd.Series(
            pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=dates.index
        )
        parsed.unparseable = parsed.unparseable | conflict
        parsed.zoned = parsed.zoned & ~conflict
        parsed.has_clock = parsed.has_clock & ~conflict
        parsed.assumptions["time_zone"] = _zone_sentence(parsed)
    if use.any():
        ns = parsed.times.to_numpy(dtype="datetime64[ns]").view("int64").copy()
        # a clock or an offset may move a date across the contract's range edge; checked
        # in seconds before adding: past 2262 the sum of nanoseconds wraps round to 1677
        # ('2262-04-11' and '23:59' was read as 1677-09-21 00:24)
        at = ns / 1e9 + np.where(use, secs, 0.0)
        edge = use & ((at < _LO_S) | (at > _HI_S))
        put = use & ~edge
        ns[put] = ns[put] + (np.round(secs[put] * 1e9)).astype("int64")
        ns[edge] = np.iinfo("int64").min
        parsed.out_of_range |= edge
        parsed.times = pd.Series(
            pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=dates.index
        )
        parsed.has_clock = parsed.has_clock | (use & ~edge)
        parsed.zoned = parsed.zoned | (use & ~edge & zoned)
        parsed.assumptions["time_zone"] = _zone_sentence(parsed)
    zoned = zoned | date_zoned  # a clock without zone placed by its date's
    report = {
        "column": clock_column,
        "combined": int(use.sum()),
        "zoned": int((use & zoned).sum()),
        "naive_as_utc": int((use & ~zoned).sum()),
        "local_not_combined": int((base & local).sum()),
        "unparseable": int((base & bad).sum()),
    }
    where = f"{name} column {clock_column!r}"
    parts = [f"{report['combined']} date(s) of {date_column!r} given their time of day"]
    if report["zoned"]:
        parts.append(f"{report['zoned']} with a zone (Z/UTC/offset)")
    if report["naive_as_utc"]:
        parts.append(f"{report['naive_as_utc']} without zone taken as UTC")
    parsed.notes.append(f"{where}: " + "; ".join(parts))
    parsed.notes += _clock_edge_notes(where, clock, {k: use & v for k, v in flags.items()})
    if fractions and (use & frac).any():
        first = clock.iloc[np.flatnonzero(use & frac)[0]]
        secs0 = int(secs[np.flatnonzero(use & frac)[0]])
        parsed.notes.append(
            f"{where}: {int((use & frac).sum())} value(s) are each a fraction of a day, as a "
            "spreadsheet's time cell "
            f"formatted 'General' writes it: read so ({first!r} is "
            f"{secs0 // 3600:02d}:{secs0 % 3600 // 60:02d}:{secs0 % 60:02d}, to the second)"
        )
    if (base & changed).any():
        at = np.flatnonzero(base & changed)[0]
        parsed.notes.append(
            f"{where}: {int((base & changed).sum())} time(s) such as {clock.iloc[at]!r} (on "
            f"{dates.iloc[at]!r}) name MSK at a wall-clock time Moscow's standard time skipped "
            "or repeated when its offset changed; which offset is meant is not known: "
            "rejected as date_unparseable: write an offset such as +04:00"
        )
    if (use & dated).any():
        parsed.notes.append(f"{where}: {int((use & dated).sum())} time(s) {DATED_ZONES_SAID}")
    conflict = conflict & ~changed
    if conflict.any():
        at = np.flatnonzero(conflict)[0]
        parsed.notes.append(
            f"{where}: {int(conflict.sum())} time(s) such as {clock.iloc[at]!r} name a zone "
            f"other than their date's ({dates.iloc[at]!r}): two zones, and which is meant is "
            "not known; rejected as date_unparseable: write one zone or offset"
        )
    if report["local_not_combined"]:
        parsed.notes.append(
            f"{where}: {report['local_not_combined']} time(s) are local time (LT) with no "
            "zone to convert them: those records keep their date only (precision: day)"
        )
    if report["unparseable"]:
        parsed.notes.append(
            f"{where}: {report['unparseable']} value(s) are not a time of day; those records "
            "keep their date only (precision: day)"
        )
    return parsed, report
