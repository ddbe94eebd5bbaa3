"""One instant, many spellings: every spelling of a time that parses gives the same UTC instant.

Hypothesis draws an instant (UTC, 1990-2035; whole minutes, seconds, or a fraction of 1-9
digits) and a UTC offset (-12..+14 h in quarter hours), and writes the instant the ways real
exports do: ISO 8601 with ``T`` or a blank and ``Z``/``+hh:mm``/``+hhmm``/``+hh``;
``UTC``/``GMT`` suffixes; ``UTC+h``, ``GMT-h:mm``, ``(UTC+hh:mm)``; zone abbreviations of one
meaning; month names in English, Spanish, Portuguese, French and German; ``dd/mm/yyyy``,
``dd.mm.yyyy`` and ``mm/dd/yyyy`` (with ``dayfirst`` given); 12-hour clocks (``PM``, ``p.m.``,
Spanish ``p. m.``); a weekday before the date; ``yyyymmddHHMMSS``; epoch seconds and
milliseconds; and, for track files, a naive local time with the zone in its header or the
offset in a column.  A spelling may be refused (unparseable, or rejected by a rule) but never
read as another instant.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import pandas as pd
from _property import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.ingest import SeizureSource, TrackSource, read_seizures, read_tracks
from pipeline.ingest._dates import ZONE_ABBREVIATIONS, parse_times

SETTINGS = settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_EN = "January February March April May June July August September October November December"
_ES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
_PT = "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
_DE = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
MONTHS = {k: v.split() for k, v in {"en": _EN, "es": _ES, "pt": _PT, "fr": _FR, "de": _DE}.items()}
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
#: 12-hour clock marks as exports write them: (morning, afternoon).
AMPM = [("AM", "PM"), ("am", "pm"), ("a.m.", "p.m."), ("a. m.", "p. m."), ("A.M.", "P.M.")]
LO = int(dt.datetime(1990, 1, 1, tzinfo=dt.UTC).timestamp())
HI = int(dt.datetime(2035, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp())


@dataclass(frozen=True)
class Instant:
    """An instant in UTC, the offset it is written at, and how finely it is written."""

    epoch_s: int
    frac: str  # fraction-of-second digits as written ('' for none)
    precision: str  # 'minute', 'second' or 'fraction'
    offset_min: int

    @property
    def ns(self) -> int:
        """Nanoseconds since the epoch."""
        return self.epoch_s * 10**9 + int(self.frac.ljust(9, "0") or 0)

    @property
    def utc(self) -> dt.datetime:
        """The wall clock in UTC (whole seconds)."""
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=self.epoch_s)

    @property
    def local(self) -> dt.datetime:
        """The wall clock at the offset (whole seconds)."""
        return self.utc + dt.timedelta(minutes=self.offset_min)


@st.composite
def instants(draw) -> Instant:
    """An instant 1990-2035 and an offset of -12..+14 h in quarter hours."""
    precision = draw(st.sampled_from(["minute", "second", "fraction"]))
    epoch_s = draw(st.integers(LO, HI))
    frac = ""
    if precision == "minute":
        epoch_s -= epoch_s % 60
    elif precision == "fraction":
        frac = draw(st.from_regex(r"\A[0-9]{1,9}\Z"))
    offset = draw(st.integers(-48, 56)) * 15
    return Instant(epoch_s, frac, precision, offset)


def clock24(t: dt.datetime, i: Instant) -> str:
    """``14:30``, ``14:30:05`` or ``14:30:05.25`` as the instant's precision says."""
    text = f"{t:%H:%M}"
    if i.precision != "minute":
        text += f":{t:%S}"
    return text + (f".{i.frac}" if i.frac else "")


def clock12(t: dt.datetime, i: Instant, marks: tuple[str, str]) -> str:
    """``2:30 PM`` (with the given marks): 12 for noon and midnight."""
    text = clock24(t, i)[2:]
    return f"{(t.hour % 12) or 12}{text} {marks[t.hour >= 12]}"


def offset_zones(minutes: int) -> dict[str, str]:
    """Every way of writing an offset east of UTC (``+05:30``, ``UTC+5:30``, ``IST``...)."""
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    hm = f"{h}:{m:02d}" if m else f"{h}"
    out = {
        "+hh:mm": f"{sign}{h:02d}:{m:02d}",
        "+hhmm": f"{sign}{h:02d}{m:02d}",
        "UTC+h": f"UTC{sign}{hm}",
        "UTC +h": f"UTC {sign}{hm}",
        "GMT-h:mm": f"GMT{sign}{h}:{m:02d}",
        "(UTC+hh:mm)": f"(UTC{sign}{h:02d}:{m:02d})",
    }
    if not m:
        out["+hh"] = f"{sign}{h:02d}"
    for abbr, hours in sorted(ZONE_ABBREVIATIONS.items()):
        if hours * 60 == minutes and abbr not in ("UTC", "UT", "GMT", "Z"):
            out[f"abbreviation {abbr}"] = abbr
    return out


def date_forms(t: dt.datetime) -> dict[str, tuple[str, bool | None]]:
    """The date of ``t`` in each spelling, with the ``dayfirst`` it needs (None: any)."""
    d, m, y = t.day, t.month, t.year

    def name(lang: str) -> str:
        return MONTHS[lang][m - 1]

    return {
        "yyyy-mm-dd": (f"{t:%Y-%m-%d}", None),
        "yyyy/mm/dd": (f"{t:%Y/%m/%d}", None),
        "dd/mm/yyyy": (f"{t:%d/%m/%Y}", True),
        "d/m/yyyy": (f"{d}/{m}/{y}", True),
        "dd.mm.yyyy": (f"{t:%d.%m.%Y}", True),
        "mm/dd/yyyy": (f"{t:%m/%d/%Y}", False),
        "d Month yyyy": (f"{d} {name('en')} {y}", None),
        "Month d, yyyy": (f"{name('en')} {d}, {y}", None),
        "dd-Mon-yyyy": (f"{d:02d}-{name('en')[:3]}-{y}", None),
        "d de mes de yyyy (es)": (f"{d} de {name('es')} de {y}", None),
        "d de mês de yyyy (pt)": (f"{d} de {name('pt')} de {y}", None),
        "d mois yyyy (fr)": (f"{d} {name('fr')} {y}", None),
        "d. Monat yyyy (de)": (f"{d}. {name('de')} {y}", None),
    }


@dataclass(frozen=True)
class Style:
    """How one example writes its clock, zone and weekday."""

    clock: str  # '24h' or an index into AMPM
    zone: str  # a key of offset_zones
    weekday: bool


@st.composite
def styles(draw, i: Instant) -> Style:
    """A clock, a zone spelling of the instant's offset, and whether a weekday comes first."""
    clock = draw(st.sampled_from(["24h", *map(str, range(len(AMPM)))]))
    zone = draw(st.sampled_from(sorted(offset_zones(i.offset_min))))
    return Style(clock, zone, draw(st.booleans()))


def spellings(i: Instant, style: Style) -> list[tuple[str, str, bool | None]]:
    """``(spelling, text, dayfirst)`` of the instant in every spelling that can write it."""
    loc, utc = i.local, i.utc
    zones = offset_zones(i.offset_min)
    out: list[tuple[str, str, bool | None]] = []
    # ISO 8601 with every offset spelling, and with UTC named
    for key, zone in zones.items():
        tight = "" if key.startswith("+") else " "
        out.append((f"ISO T {key}", f"{loc:%Y-%m-%d}T{clock24(loc, i)}{tight}{zone}", None))
        out.append((f"ISO blank {key}", f"{loc:%Y-%m-%d} {clock24(loc, i)} {zone}", None))
    for zone in ("Z", " Z", " UTC", " GMT", " UT", "+00:00", " UTC+0", " GMT+00:00"):
        out.append((f"ISO UTC {zone.strip()}", f"{utc:%Y-%m-%d}T{clock24(utc, i)}{zone}", None))
    # every date spelling with the example's clock and zone spellings
    clock = clock24(loc, i) if style.clock == "24h" else clock12(loc, i, AMPM[int(style.clock)])
    weekday = f"{WEEKDAYS[loc.weekday()]}, " if style.weekday else ""
    for key, (date, dayfirst) in date_forms(loc).items():
        text = f"{weekday}{date} {clock} {zones[style.zone]}"
        out.append((f"{key} {style}", text, dayfirst))
    for key, (date, dayfirst) in date_forms(utc).items():
        out.append((f"{key} GMT", f"{date} {clock24(utc, i)} GMT", dayfirst))
    out.append(("RFC 2822", f"{utc:%a, %d %b %Y} {clock24(utc, i)} GMT", None))
    # numbers: compact dates (UTC) and epoch time
    if not i.frac:
        out.append(("yyyymmddHHMMSS", f"{utc:%Y%m%d%H%M%S}", None))
    if not compact_epoch(i.epoch_s):
        out.append(("epoch s", f"{i.epoch_s}" + (f".{i.frac}" if i.frac else ""), None))
    if len(i.frac) <= 3:
        out.append(("epoch ms", f"{i.epoch_s}{i.frac.ljust(3, '0')}", None))
    return out


def compact_epoch(epoch_s: int) -> bool:
    """Whether epoch seconds' ten digits also read as a date written yyyymmddHH.

    Such a number (epoch time from 2030-03-17 on: ``1903051200``) is read as that date when
    every ten-digit number of its column is one (``_compact_dates``): a column of one value
    cannot tell, so this spelling is left out for those instants.
    """
    digits = f"{epoch_s:010d}"
    try:
        dt.datetime.strptime(digits, "%Y%m%d%H")
    except ValueError:
        return False
    return len(digits) == 10 and 1900 <= int(digits[:4]) <= 2100


def assert_one_instant(i: Instant, spelled: list[tuple[str, str, bool | None]]) -> None:
    """Every spelling is unparseable or the instant itself, in a column of all the spellings.

    One column per ``dayfirst`` (the spellings that need none are in both): a column mixing
    spellings is what exports hold, and one parse per column keeps the test cheap.
    """
    want = pd.Timestamp(i.ns, unit="ns", tz="UTC")
    wrong = []
    for dayfirst in (True, False):
        keep = [(k, t) for k, t, first in spelled if first in (None, dayfirst)]
        column = pd.Series([t for _, t in keep], dtype=object)
        got = parse_times(column, dayfirst=dayfirst, name="t", column="date").times
        for (key, text), value in zip(keep, got, strict=True):
            if not pd.isna(value) and value != want:
                wrong.append(f"{key}: {text!r} -> {value} (want {want}, dayfirst={dayfirst})")
    assert not wrong, "\n".join(wrong)


def _epoch(*fields: int) -> int:
    return int(dt.datetime(*fields, tzinfo=dt.UTC).timestamp())


@st.composite
def cases(draw) -> tuple[Instant, Style]:
    """An instant, its offset and a style to write it in."""
    i = draw(instants())
    return i, draw(styles(i))


@SETTINGS
@given(cases())
# free text dropped fractions of a second ('2019-01-04 09:29:10.4 (UTC-08:00)' was 17:29:10)
@example(
    (
        Instant(_epoch(2019, 1, 4, 17, 29, 10), "4", "fraction", -480),
        Style("24h", "(UTC+hh:mm)", False),
    )
)
# epoch seconds went through a double: '1131697052.337406' was .337405920
@example((Instant(1131697052, "337406", "fraction", 345), Style("24h", "+hh:mm", False)))
# a weekday before a year-first date made dateutil read it day-first: 'Monday, 2022-09-05
# 10:18 P.M. GMT-4:15' was 9 May (also a Monday, so the weekday check passed)
@example((Instant(_epoch(2022, 9, 6, 2, 33), "", "minute", -255), Style("4", "GMT-h:mm", True)))
def test_every_spelling_of_an_instant_parses_to_it_or_not_at_all(case):
    i, style = case
    assert_one_instant(i, spellings(i, style))


# ------------------------------------------------------------------ through the readers

#: Spellings of a naive local wall clock, as a track file writes it beside a zone (dayfirst).
LOCAL_FORMS = ["iso", "iso T", "free text", "12-hour", "dd/mm/yyyy", "compact", "date + clock"]


def local_text(i: Instant, form: str) -> list[str]:
    """The local wall clock of ``i`` in ``form``: one value, or a date and a clock."""
    t = i.local
    match form:
        case "iso":
            return [f"{t:%Y-%m-%d} {clock24(t, i)}"]
        case "iso T":
            return [f"{t:%Y-%m-%d}T{clock24(t, i)}"]
        case "free text":
            return [f"{t.day} {MONTHS['en'][t.month - 1]} {t.year} {clock24(t, i)}"]
        case "12-hour":
            return [f"{t.day} {MONTHS['en'][t.month - 1][:3]} {t.year} {clock12(t, i, AMPM[0])}"]
        case "dd/mm/yyyy":
            return [f"{t:%d/%m/%Y} {clock24(t, i)}"]
        case "compact":
            return [f"{t:%Y%m%d%H%M%S}"]
        case _:
            return [f"{t:%Y-%m-%d}", clock24(t, i)]


def zone_carriers(minutes: int) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Where a track file says its offset: (zone in the time header, offset column, value)."""
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    out: dict[str, tuple[str | None, str | None, str | None]] = {
        "header (UTC+h:mm)": (f"(UTC{sign}{h}:{m:02d})", None, None),
        "header [GMT+hhmm]": (f"[GMT{sign}{h:02d}{m:02d}]", None, None),
        "utc_offset +hh:mm": (None, "utc_offset", f"{sign}{h:02d}:{m:02d}"),
        "utc_offset UTC+h:mm": (None, "utc_offset", f"UTC{sign}{h}:{m:02d}"),
        "utc_offset hours": (None, "utc_offset", f"{minutes / 60:g}"),
        "utc_offset_minutes": (None, "utc_offset_minutes", f"{minutes}"),
    }
    zones = offset_zones(minutes)
    for key in zones:
        if key.startswith("abbreviation"):
            out[f"header ({zones[key]})"] = (f"({zones[key]})", None, None)
    return out


@st.composite
def track_cases(draw) -> tuple[Instant, str, str]:
    """An instant, a local spelling of it, and where the file says the offset."""
    i = draw(instants())
    form = draw(st.sampled_from(LOCAL_FORMS))
    if form == "compact" and i.frac:
        form = "iso"
    return i, form, draw(st.sampled_from(sorted(zone_carriers(i.offset_min))))


def read_quietly(reader, *args, **kw):
    """``reader(*args, **kw)`` with its warnings (column guesses) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reader(*args, **kw)


def the_one_time(res) -> pd.Timestamp | None:
    """The time of a file's one record, None where it was rejected."""
    assert len(res.frame) + len(res.rejects) == 1, res.rejects
    return res.frame["time"].iloc[0] if len(res.frame) else None


@settings(SETTINGS, max_examples=examples(25))
@given(track_cases())
# a free-text midnight ('5 March 2021 00:00') was taken for a date without a clock, and
# left in UTC beside local times placed by their offset
@example((Instant(_epoch(2021, 3, 4, 18, 30), "", "minute", 330), "free text", "utc_offset +hh:mm"))
@example((Instant(_epoch(2021, 3, 4, 23), "", "minute", 60), "12-hour", "header (CET)"))
def test_a_local_time_and_its_zone_read_by_read_tracks_give_the_instant(tmp_path, case):
    i, form, carrier = case
    header_zone, offset_col, offset = zone_carriers(i.offset_min)[carrier]
    values = local_text(i, form)
    time_cols = ["date", "time"] if len(values) == 2 else ["time"]
    if header_zone:
        time_cols[-1] += f" {header_zone}"
    header = ["mmsi", "lat", "lon", *time_cols] + ([offset_col] if offset_col else [])
    row = ["257000001", "60.1", "5.1", *values] + ([offset] if offset else [])
    path = tmp_path / "t.csv"
    path.write_text(
        ",".join(f'"{c}"' for c in header) + "\n" + ",".join(f'"{v}"' for v in row) + "\n",
        encoding="utf-8",
    )
    got = the_one_time(read_quietly(read_tracks, TrackSource(path=path, dayfirst=True)))
    assert got is None or got == pd.Timestamp(i.ns, unit="ns", tz="UTC"), (header, row, got)


@settings(SETTINGS, max_examples=examples(10))
@given(cases())
def test_a_seizure_date_in_a_few_spellings_reads_as_the_instant(tmp_path, case):
    i, style = case
    want = pd.Timestamp(i.ns, unit="ns", tz="UTC")
    spelled = [x for x in spellings(i, style) if x[2] is not False]
    path = tmp_path / "s.csv"
    for key, text, _ in spelled[:: max(1, len(spelled) // 4)]:
        path.write_text(f'lat,lon,drug,date\n10.5,-61.2,cocaine,"{text}"\n', encoding="utf-8")
        res = read_quietly(read_seizures, SeizureSource(path=path, dayfirst=True))
        got = the_one_time(res)
        assert got is None or got == want, (key, text, got, want)


# ------------------------------------------------------------------ single disagreements


def test_free_text_reads_numeric_dates_in_the_order_its_column_decided():
    """'03/05/2021 14:30 CET' was read day-first (3 May) in a column whose '12/31/2020'
    proves month-first, where the same date without 'CET' is 5 March."""
    column = pd.Series(["12/31/2020 10:00", "03/05/2021 14:30 CET", "03/05/2021 14:30"])
    got = parse_times(column, name="t", column="date").times
    assert list(got.iloc[1:]) == [
        pd.Timestamp("2021-03-05 13:30", tz="UTC"),
        pd.Timestamp("2021-03-05 14:30", tz="UTC"),
    ]


def test_free_text_whose_day_and_month_no_value_decides_is_refused():
    got = parse_times(pd.Series(["03/05/2021 14:30 CET", "5 March 2021"]), name="t", column="d")
    assert list(got.unparseable) == [True, False]
    assert any("day-first or month-first" in n and "03/05/2021" in n for n in got.notes)


def test_an_offset_in_minutes_is_minutes_even_when_signed(tmp_path):
    """'-300' under utc_offset_minutes was read as -03:00 (hhmm), not -5 h."""
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,lat,lon,time,utc_offset_minutes\n"
        "257000001,40.1,-70.1,2021-03-05 10:00,-300\n"
        "257000001,40.1,-70.2,2021-03-05 11:00,+330\n",
        encoding="utf-8",
    )
    res = read_quietly(read_tracks, path)
    assert list(res.frame["time"].dt.strftime("%H:%M")) == ["05:30", "15:00"]
