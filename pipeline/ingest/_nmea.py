r"""Raw AIS: NMEA 0183 ``!AIVDM``/``!AIVDO`` sentences decoded into position reports.

What an AIS receiver or a raw feed (a coastal administration's, AISHub's) writes: one
sentence per line, its moment in a tag block (``\s:2573535,c:1577836800*06\!BSVDM,...``),
a number after the checksum (``...*5C,1577836800``) or a receiver's time in front of it
(``2020-01-01 00:00:00.123 !AIVDM,...``).  A sentence alone has no date, so one without any
of these is rejected (``nmea_no_time``), and so is one whose ``c:`` is no epoch in seconds
(9-10 digits), milliseconds (13), micro- (16) or nanoseconds (19).

Position reports are decoded, vectorised over the file (ITU-R M.1371-5: types 1, 2, 3 of
class A, 18 and 19 of class B, 27 long range); every other line is rejected with its rule:
another message type (static and voyage data, base stations, aids to navigation:
``nmea_not_position``), a part of a message of several sentences (``nmea_multipart``: those
carry static data), a wrong checksum (``nmea_checksum``), a payload too short for its type
(``nmea_short``; fewer than 6 bits: no type at all) or no sentence at all, several on one
line, or a fragment number its message cannot have (``1,2``: part 2 of 1) (``nmea_unreadable``), a
``#`` comment line (``nmea_comment``); a report heard again within 30 s (the same bits from another station of an aggregated feed) is
``nmea_duplicate``.  The decoded values keep AIS's "not available" codes (latitude 91,
longitude 181, speed 102.3 kn, course 360), which the tracks reader treats as it does those
of any decoded AIS table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SourceUnreadable
from ..schema import REJECT_COLUMNS

__all__ = ["HEARD_AGAIN_S", "NmeaPositions", "looks_like_nmea", "read_nmea_positions", "report_ids"]

_SENTENCE = (
    r"^(?P<pre>[^\\!]*?)(?:\\(?P<tag>[^\\]*)\\)?"
    r"!(?P<body>[A-Z]{2}VD[MO],(?P<count>\d),(?P<part>\d),[^,]*,[^,]*,"
    r"(?P<payload>[0-9:;<=>?@A-W`a-w]*),(?P<fill>[0-5]))\*(?P<cs>[0-9A-Fa-f]{2})"
    r"(?P<post>.*)$"
)
#: The first bytes of a file of raw AIS sentences (perhaps behind a tag block or a time).
_HEAD = rb"^\s*(?:[0-9TZ:.+ /,;-]{8,40}[ ,;\t]?)?(?:\\[^\\]*\\)?[!$][A-Z]{2}VD[MO],"
#: The first bytes of a compressed file or an archive (a file named .nmea that is one).
_PACKED = (
    (b"\x1f\x8b", "gzip-compressed"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
)
#: Bits each position type needs (its fields end there).
_NEEDED = {1: 143, 2: 143, 3: 143, 18: 139, 19: 139, 27: 94}
_NOT_POSITION = {
    4: "a base station's report",
    5: "static and voyage data",
    6: "addressed binary data",
    7: "a binary acknowledgement",
    8: "binary broadcast data",
    9: "a search-and-rescue aircraft's position",
    11: "a UTC/date response",
    12: "an addressed safety message",
    14: "a safety broadcast",
    15: "an interrogation",
    16: "an assignment command",
    17: "DGNSS corrections",
    20: "a data-link management message",
    21: "an aid to navigation's report",
    22: "a channel management message",
    24: "a class B static data report",
    25: "single-slot binary data",
    26: "multi-slot binary data",
}


#: The byte-order marks of UTF-16 text (a log redirected by Windows PowerShell 5: '> ais.txt').
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def looks_like_nmea(head: bytes) -> bool:
    """Whether a file's first line is a raw AIS sentence (``!AIVDM``), perhaps with a time.

    Blank lines and ``#`` comments are passed over; the line after the first also decides
    (the first being a banner or a header).  UTF-16 text (a byte-order mark) is decoded.
    """
    import re

    if head[:2] in _UTF16:
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    # blank lines first (a log opened with an empty line) are no record, nor '#' comments
    # (gpsd's sample.aivdm): the first line that is neither decides, or the one after it
    # where it is a banner (PuTTY's '=~=~=~= PuTTY log 2022.05.31 17:26:57 =~=~=~=', a
    # session log of a coastal administration's feed) or a table's header ('raw')
    lines = head.lstrip(b"\xef\xbb\xbf").split(b"\n")
    firsts = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith(b"#")][:2]
    return any(re.match(_HEAD, ln) is not None for ln in firsts)


@dataclass
class NmeaPositions:
    """The position reports of a file of AIS sentences.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``mmsi`` (text, nine digits with its leading zeros), ``time`` (text: ISO UTC from a tag block or an epoch after the
        checksum, else the receiver's time as written), ``lat``, ``lon``, ``sog`` (knots),
        ``cog`` (degrees): one row per position report.
    lines : numpy.ndarray
        The physical line of each row.
    rejects : pandas.DataFrame
        :data:`~pipeline.schema.REJECT_COLUMNS` rows of the other lines (blank lines are
        no record).
    notes : list of str
    n_read : int
        Records (non-blank lines) read.
    reports : numpy.ndarray of uint64
        The identity of each row's report: a hash of its payload (:func:`report_ids`), the
        same in every receiver's log that heard the transmission.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    rejects: pd.DataFrame
    notes: list[str]
    n_read: int
    reports: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, dtype="uint64"))


def report_ids(payloads: np.ndarray) -> np.ndarray:
    """Return a 64-bit identity of each armoured AIS payload (the report's bits).

    The same bits give the same number in every process and run (pandas' fixed-key SipHash,
    as the spill's vessel buckets use); two different reports share one with odds of 2**-64.
    """
    return pd.util.hash_array(np.asarray(payloads, dtype=object)).astype("uint64")


def _fixed(values: pa.Array, width: int, pad: str) -> np.ndarray:
    """Return texts cut or padded to ``width`` bytes as a ``(n, width)`` uint8 matrix.

    ``values`` is ASCII (payload, checksum and fill fields: the sentence pattern allows nothing
    else there), so characters are bytes.
    """
    cut = pc.utf8_rpad(pc.utf8_slice_codeunits(values, 0, width), width=width, padding=pad)
    flat = pa.concat_arrays(cut.chunks) if isinstance(cut, pa.ChunkedArray) else cut
    flat = flat.cast(pa.large_string())
    buffers = flat.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[flat.offset : flat.offset + len(flat) + 1]
    raw = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return raw.reshape(len(flat), width)


def _bits(payload: pa.Array, n_chars: int) -> np.ndarray:
    """Return the first ``6 * n_chars`` bits of each armoured payload, as a uint8 matrix."""
    sixes = _fixed(payload, n_chars, "0").astype(np.int16) - 48
    sixes = np.where(sixes > 40, sixes - 8, sixes).astype(np.uint8)
    shifts = np.arange(5, -1, -1, dtype=np.uint8)
    return ((sixes[:, :, None] >> shifts) & 1).reshape(len(sixes), 6 * n_chars)


def _field(bits: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    weights = np.left_shift(np.int64(1), np.arange(width - 1, -1, -1, dtype=np.int64))
    value = bits[:, start : start + width].astype(np.int64) @ weights
    if signed:
        value = np.where(value >= 1 << (width - 1), value - (1 << width), value)
    return value


def _checksums(bodies: pa.Array) -> np.ndarray:
    """XOR of the characters of each sentence between ``!`` and ``*``.

    Reduced over the flat bytes of all the texts at once (no matrix as wide as the longest
    line: one line of a megabyte must not cost a block of them).
    """
    n = len(bodies)
    if not n:
        return np.empty(0, dtype=np.int64)
    flat = pa.concat_arrays(bodies.chunks) if isinstance(bodies, pa.ChunkedArray) else bodies
    flat = flat.cast(pa.large_string())
    buffers = flat.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[flat.offset : flat.offset + n + 1]
    raw = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    if raw.size and raw.max() >= 0x80:
        # the texts are the file's bytes decoded as latin-1: a byte above 127 is two here
        # (0xC2/0xC3, then 0x80-0xBF); its checksum is over the one byte in the file
        lead = np.flatnonzero(raw >= 0xC0)
        raw = raw.copy()
        raw[lead + 1] = ((raw[lead] & 0x03) << 6) | (raw[lead + 1] & 0x3F)
        raw[lead] = 0
    starts = offsets[:-1] - offsets[0]
    sums = np.bitwise_xor.reduceat(np.append(raw, np.uint8(0)), starts).astype(np.int64)
    return np.where(offsets[1:] > offsets[:-1], sums, 0)


def _epoch_text(digits: pa.Array) -> pa.Array:
    """Return the ISO UTC text of epoch seconds or milliseconds (13 digits); null where none.

    Seconds may have a fraction (``1577836800.25``).
    """
    stamps = pc.cast(pc.cast(pc.round(_epoch_ms(digits)), pa.int64()), pa.timestamp("ms", tz="UTC"))
    return pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")


#: Epoch seconds (9-10 digits, a fraction allowed), milliseconds (13), micro- (16) or
#: nanoseconds (19): the lengths an epoch of 1973-2286 has in each unit.
_EPOCH = r"^(?:\d{9,10}(?:\.\d+)?|\d{13}(?:\.\d+)?|\d{16}|\d{19})$"


def _epoch_digits(text: pa.Array) -> pa.Array:
    """Return each text that is an epoch (:data:`_EPOCH`) as seconds or ms; "" where none.

    Micro- and nanoseconds keep their first 13 digits (the milliseconds).
    """
    epoch = pc.and_(pc.match_substring_regex(text, _EPOCH), pc.not_equal(text, ""))
    fine = pc.greater_equal(pc.utf8_length(text), 16)
    cut = pc.if_else(fine, pc.utf8_slice_codeunits(text, 0, 13), text)
    return pc.if_else(epoch, cut, "")


def _epoch_ms(digits: pa.Array) -> pa.Array:
    """Return epoch seconds (a fraction allowed) or milliseconds (13 digits) as ms; null: none."""
    num = pc.cast(pc.if_else(pc.equal(digits, ""), None, digits), pa.float64())
    return pc.if_else(pc.greater_equal(num, 1e12), num, pc.multiply(num, 1000.0))


#: Sentences decoded at a time (bounds the bit matrices: ~44 MB of bits, a few int64 columns).
_BLOCK = 1 << 18
_NEEDED_BY_KIND = np.zeros(64, dtype=np.int64)
for _k, _n in _NEEDED.items():
    _NEEDED_BY_KIND[_k] = _n
_KIND_WORDS = np.array(
    [_NOT_POSITION.get(k, "not a position report") for k in range(64)], dtype=object
)
_HEX = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
    _HEX[ord(chr(_c).lower())] = _i


def _hex_pairs(raw: np.ndarray) -> np.ndarray:
    """Return the value of each two hex digits (rows of ``raw``; -1 where they are none)."""
    hi, lo = _HEX[raw[:, 0]], _HEX[raw[:, 1]]
    return np.where((hi >= 0) & (lo >= 0), hi * 16 + lo, -1)


def _hex_text(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype="int64").map("{:02X}".format).to_numpy(dtype=object)


def _checksum_words(
    what: str, want: np.ndarray, got: np.ndarray, bad: np.ndarray, why: str
) -> np.ndarray:
    """Say, for each ``bad`` line, the checksum written and the one computed."""
    return _words(
        f"{what} ", _hex_text(want[bad]), " written, ", _hex_text(got[bad]), f" computed: {why}"
    )


def _words(*pieces) -> np.ndarray:
    """Join texts and arrays element-wise into one text per element (a reject's message)."""
    out = pd.Series([""] * max((len(p) for p in pieces if not isinstance(p, str)), default=0))
    for p in pieces:
        out = out + (p if isinstance(p, str) else pd.Series(np.asarray(p)).astype(str).to_numpy())
    return out.to_numpy(dtype=object)


def _decode(payload: pa.Array) -> dict[str, np.ndarray]:
    """Type, MMSI, position, speed and course of each payload (ITU-R M.1371-5, annex 8).

    Positions in degrees (longitude 181 / latitude 91: not available), speed in knots
    (102.3: not available), course in degrees (360: not available); type 27's own codes
    for no speed (63) and no course (511) are missing values, as is a course above 360 (one
    the standard does not use: ``cog_unused``).  Decoded ``_BLOCK`` at a time.
    """
    n = len(payload)
    out = {
        "kind": np.zeros(n, dtype=np.int64),
        "mmsi": np.zeros(n, dtype=np.int64),
        "cog_unused": np.zeros(n, dtype=bool),
        **{k: np.full(n, np.nan) for k in ("lat", "lon", "sog", "cog")},
    }
    for s in range(0, n, _BLOCK):
        bits = _bits(payload.slice(s, _BLOCK), 28)
        kind = _field(bits, 0, 6)
        a, b, lr = np.isin(kind, (1, 2, 3)), np.isin(kind, (18, 19)), kind == 27
        lon = np.where(a, _field(bits, 61, 28, True), _field(bits, 57, 28, True)) / 600_000.0
        lat = np.where(a, _field(bits, 89, 27, True), _field(bits, 85, 27, True)) / 600_000.0
        sog = np.where(a, _field(bits, 50, 10), _field(bits, 46, 10)) / 10.0
        cog = np.where(a, _field(bits, 116, 12), _field(bits, 112, 12)) / 10.0
        sog27, cog27 = _field(bits, 79, 6), _field(bits, 85, 9)
        lon = np.where(lr, _field(bits, 44, 18, True) / 600.0, lon)
        lat = np.where(lr, _field(bits, 62, 17, True) / 600.0, lat)
        sog = np.where(lr, np.where(sog27 == 63, np.nan, sog27), sog)
        cog = np.where(lr, np.where(cog27 == 511, np.nan, cog27), cog)
        # a course above 360 (3601-4095 tenths, type 27's 360-510) is no value the standard
        # uses (a faulty transponder's): missing, as is 'not available', and counted
        unused = (a | b | lr) & np.where(lr, cog >= 360, cog > 360)
        cog = np.where(unused, np.nan, cog)
        used = a | b | lr
        part = slice(s, s + len(kind))
        out["kind"][part] = kind
        out["cog_unused"][part] = unused
        out["mmsi"][part] = _field(bits, 8, 30)
        for k, v in (("lat", lat), ("lon", lon), ("sog", sog), ("cog", cog)):
            out[k][part] = np.where(used, v, np.nan)
    return out


def read_nmea_positions(data: bytes, name: str, *, dayfirst: bool | None = None) -> NmeaPositions:
    """Decode the AIS position reports of a file of NMEA sentences, one per line.

    The file is decoded ``_BLOCK`` lines at a time (the memory is a block's, a few hundred
    MB, plus the positions kept).  ``dayfirst`` reads a receiver's time written
    ``03/04/2020`` (as the tracks reader reads the column, :func:`~._dates.parse_times`).

    Raises
    ------
    SourceUnreadable
        A compressed file (its bytes are no lines of text).
    InputError
        Receiver's times like ``03/04/2020`` that no value decides, without ``dayfirst``.
    """
    packed = next((k for m, k in _PACKED if data.startswith(m)), None)
    if packed:  # read as text, its bytes were 'lines' not a sentence: say what it is
        raise SourceUnreadable(
            f"{name}: is {packed}, not text: name it for what it is (e.g. {name}.gz, .zip) "
            "or unpack it"
        )
    said: list[str] = []
    if data[:2] in _UTF16:  # two bytes a character: read as bytes, no line was a sentence
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceUnreadable(
                f"{name}: begins with a UTF-16 byte-order mark but is not UTF-16 text ({exc})"
            ) from None
        said.append(f"{name}: decoded as UTF-16 (byte-order mark)")
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not data.strip():  # a receiver that logged nothing (an outage): no 'night of no ships'
        raise SourceUnreadable(f"{name}: file is empty (expected raw AIS sentences)")
    if b"\r" in data[: 1 << 16] and b"\n" not in data[: 1 << 16]:
        data = data.replace(b"\r", b"\n")  # classic Mac line ends
    frames, lines, rejects, n_read, n_cog, n_sentences = [], [], [], 0, 0, 0
    at, line = 0, 1
    while at < len(data):
        # a block ends at the first line end past _BLOCK * 64 bytes (~200,000 sentences)
        end = data.find(b"\n", min(at + _BLOCK * 64, len(data)))
        end = len(data) if end < 0 else end + 1
        block = data[at:end].decode("latin-1").split("\n")
        if block and block[-1] == "":
            block.pop()
        got = _read_block(block, line, name)
        frames.append(got[0])
        lines.append(got[1])
        rejects.append(got[2])
        n_read += got[3]
        n_cog += got[4]
        n_sentences += got[5]
        line += len(block)
        at = end
    if not n_sentences:
        _refuse_no_sentence(data, name)
    frame = pd.concat(frames, ignore_index=True) if frames else _read_block([], 1, name)[0]
    rows = np.concatenate(lines) if lines else np.empty(0, dtype=np.int64)
    _receiver_moments(frame, name, dayfirst)
    again = _heard_again(frame)
    if again is not None:
        mask, first, gap = again
        extra = pd.DataFrame(
            {
                "source_file": name,
                "row": rows[mask],
                "column": "*",
                "value": frame[_PAYLOAD].to_numpy(dtype=object)[mask],
                "rule": "nmea_duplicate",
                "message": _words(
                    "the same report as line ",
                    rows[first],
                    ", heard again ",
                    np.char.mod("%.3f", gap / 1000.0),
                    " s later (by another station or receiver): counted once",
                ),
            },
            columns=list(REJECT_COLUMNS),
        )
        rejects.append(extra)
        frame, rows = frame[~mask].reset_index(drop=True), rows[~mask]
    reports = report_ids(frame[_PAYLOAD].to_numpy(dtype=object))
    frame = frame.drop(columns=[_PAYLOAD, _MOMENT_MS])
    bad = (
        pd.concat(rejects, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
        if rejects
        else pd.DataFrame(columns=list(REJECT_COLUMNS))
    )
    notes = said + [
        f"{name}: raw AIS sentences decoded: {len(frame)} position report(s) of types 1-3, 18, "
        f"19, 27 of {n_read} sentence line(s)"
    ]
    if n_cog:
        notes.append(
            f"{name}: {n_cog} position report(s) with a course above 360 degrees, a value "
            "ITU-R M.1371 does not use (a faulty transponder's): read as missing (the pings "
            "are kept without a course)"
        )
    counts = bad["rule"].value_counts()
    if len(counts):
        notes.append(
            f"{name}: lines not read as positions: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + " (in the rejects)"
        )
    return NmeaPositions(frame, rows, bad, notes, n_read, reports)


def _refuse_no_sentence(data: bytes, name: str) -> None:
    """Refuse a file of text lines none of which is an AIS sentence, saying what it holds.

    A GPS logger's ``.nmea`` (``$GPRMC``, ``$GPGGA``: the suffix's usual meaning) gave no
    ping and every line a reject, where the same lines named ``.txt`` are refused.
    """
    import re

    first = next((ln for ln in data[: 1 << 16].split(b"\n") if ln.strip()), b"").strip()
    shown = first[:40].decode("latin-1")
    if re.match(rb"\$[A-Z]{2}(?:RMC|GGA|GLL|GSA|GSV|VTG|ZDA),", first):
        raise SourceUnreadable(
            f"{name}: GPS NMEA sentences ({shown!r}...), not raw AIS (!AIVDM/!AIVDO): a GPS "
            "logger's positions are not read from NMEA; convert them first (e.g. gpsbabel -i "
            f"nmea -f {name} -o gpx -F out.gpx) and read the GPX"
        )
    raise SourceUnreadable(
        f"{name}: no line is a raw AIS sentence (!AIVDM/!AIVDO with a checksum; the first "
        f"line is {shown!r}): not a raw AIS feed"
    )


#: Internal columns of a block's positions: the armoured report and its moment in epoch ms.
_PAYLOAD, _MOMENT_MS = "__payload", "__moment_ms"
#: A report heard again within this many seconds is the same transmission (its payload holds
#: the second of the minute: a vessel repeating every field would be a minute apart), in one
#: file and across the files of a run (two receivers' logs, each with its own clock).
HEARD_AGAIN_S = 30.0


def _receiver_moments(frame: pd.DataFrame, name: str, dayfirst: bool | None) -> None:
    """Fill the epoch ms of the reports timed by a receiver's text in front of the sentence.

    Parsed as the tracks reader parses the ``time`` column (:func:`~._dates.parse_times`,
    naive = UTC), so a report heard twice is compared on the moment its ping will have;
    an unparseable text stays without one (rejected by the tracks reader).
    """
    from ..errors import InputError
    from ._dates import parse_times

    ms = frame[_MOMENT_MS].to_numpy(dtype="float64", copy=True)
    front = np.isnan(ms)
    # only a report whose bits recur can be heard twice: a receiver's own log (each report
    # once) parses none here, the tracks reader parses them all once
    heard = front & frame[_PAYLOAD].duplicated(keep=False).to_numpy()
    if not heard.any():
        return
    texts = frame["time"].to_numpy(dtype=object)
    try:
        parsed = parse_times(pd.Series(texts[heard]), dayfirst=dayfirst, name=name, column="time")
    except InputError:  # 03/04 undecided by these few: the whole column decides, as read
        parsed = parse_times(pd.Series(texts[front]), dayfirst=dayfirst, name=name, column="time")
        heard = front
    ns = parsed.times.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    ms[heard] = np.where(np.isnat(ns), np.nan, ns.astype("int64") / 1e6)
    frame[_MOMENT_MS] = ms


def _transmissions(ts: np.ndarray, begins: np.ndarray, rounds: int = 64) -> np.ndarray:
    """Mark the hearings that begin a transmission: more than the window after its first.

    ``ts`` holds the moments (ms) of hearings sorted by report then moment; ``begins`` is
    True at each report's first hearing.  Each round finds, per transmission, the hearings
    later than the window after its first: the first of them begins the next, and only
    those are measured again.  Reports still running after ``rounds`` rounds (the same bits
    every few seconds for minutes on end: a transponder repeating a frozen report) are
    finished hearing by hearing.
    """
    window = HEARD_AGAIN_S * 1000.0
    begins = begins.copy()
    todo = np.arange(len(ts))
    for _ in range(rounds):
        if not len(todo):
            return begins
        at = np.maximum.accumulate(np.where(begins[todo], np.arange(len(todo)), 0))
        late = ts[todo] - ts[todo[at]] > window
        begins[todo[late & ~np.concatenate([[False], late[:-1]])]] = True
        todo = todo[late]
    first = np.nan
    for i in todo:  # only the rare frozen reports' hearings come here
        if begins[i] or ts[i] - first > window:
            begins[i], first = True, ts[i]
    return begins


def _heard_again(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Find reports heard again: the same payload within :data:`HEARD_AGAIN_S` of the first.

    An aggregated feed holds each transmission once per station that heard it (tag blocks
    ``s:`` of several stations, ``c:`` a few ms apart); kept, each was a ping of its own.
    Returns (mask of the repeats in ``frame``'s order, the row in ``frame`` of each one's
    first hearing, the gap in ms), or None when there is none.  Every kind of moment is
    compared (a tag block's, an epoch after the checksum, a receiver's time in front: all
    in epoch ms, :func:`_receiver_moments`); a report without one (unparseable) is not.
    """
    t = frame[_MOMENT_MS].to_numpy(dtype="float64")
    timed = np.flatnonzero(~np.isnan(t))
    if len(timed) < 2:
        return None
    pay = frame[_PAYLOAD].to_numpy(dtype=object)[timed]
    order = np.lexsort((t[timed], pd.factorize(pay)[0]))
    idx = timed[order]
    ts = t[idx]
    # a hearing starts a transmission unless the same report's first hearing is at most
    # HEARD_AGAIN_S before it: measured from the first, not the hearing just before (the
    # same bits every 20 s were one report however long they went on)
    begins = _transmissions(ts, np.concatenate([[True], pay[order][1:] != pay[order][:-1]]))
    repeat = ~begins
    start = np.maximum.accumulate(np.where(begins, np.arange(len(idx)), 0))
    gap = ts - ts[start]
    if not repeat.any():
        return None
    mask = np.zeros(len(frame), dtype=bool)
    mask[idx[repeat]] = True
    first = np.empty(len(frame), dtype=np.int64)
    first[idx] = idx[start]
    gaps = np.zeros(len(frame))
    gaps[idx] = gap
    return mask, first[mask], gaps[mask]


def _read_block(
    lines: list[str], first: int, name: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, int, int, int]:
    """Decode one block of lines (the first is physical line ``first``).

    Returns (positions, their physical lines, rejects, records read, positions whose course
    was above 360 and is read as missing, lines holding an AIS sentence).
    """
    arr = pc.utf8_rtrim(pa.array(lines, type=pa.large_string()), "\r")
    physical = np.arange(first, first + len(arr), dtype=np.int64)
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(arr), ""), dtype=bool)
    arr, physical = arr.filter(pa.array(~blank)), physical[~blank]
    parts = pc.extract_regex(arr, _SENTENCE)
    # a '#' comment (gpsd's sample logs, a logger's notes): accounted for, not bad data; a
    # sentence commented out ('# !AIVDM,...', behind a tag block too) is one: its log's
    # author took it out, and it was read as a position
    comment = np.asarray(pc.starts_with(pc.utf8_ltrim_whitespace(arr), "#"), dtype=bool)
    found = np.asarray(pc.is_valid(parts), dtype=bool) & ~comment

    def col(key: str) -> pa.Array:
        return pc.fill_null(pc.struct_field(parts, key), "")

    n = len(physical)
    rule = np.full(n, "", dtype=object)
    message = np.full(n, "", dtype=object)
    rule[~found] = "nmea_unreadable"
    message[~found] = "not an AIS sentence (!AIVDM/!AIVDO with a checksum)"
    rule[comment] = "nmea_comment"
    message[comment] = "a comment line ('#'), not read"
    want = _hex_pairs(_fixed(col("cs"), 2, "0"))
    got = _checksums(col("body"))
    bad_sum = found & (got != want)
    rule[bad_sum] = "nmea_checksum"
    message[bad_sum] = _checksum_words("checksum", want, got, bad_sum, "the sentence is damaged")
    # a tag block's own checksum (``\\s:2573535,c:1577836800*5C\\``): a damaged one may hold
    # another moment than the receiver's
    tag = pc.extract_regex(col("tag"), r"^(?P<tb>[^*]*)\*(?P<tcs>[0-9A-Fa-f]{2})$")
    has_cs = np.asarray(pc.is_valid(tag), dtype=bool)
    tag_want = _hex_pairs(_fixed(pc.fill_null(pc.struct_field(tag, "tcs"), "00"), 2, "0"))
    tag_got = _checksums(pc.fill_null(pc.struct_field(tag, "tb"), ""))
    bad_tag = found & ~bad_sum & has_cs & (tag_got != tag_want)
    rule[bad_tag] = "nmea_checksum"
    message[bad_tag] = _checksum_words(
        "tag block checksum", tag_want, tag_got, bad_tag, "its moment may be damaged"
    )
    ok = found & ~bad_sum & ~bad_tag
    # another sentence after the checksum (a lost line end, a bare CR between two): the
    # pattern reads the first only, and the others would be lost without a word
    two = ok & np.asarray(
        pc.match_substring_regex(col("post"), r"[!$][A-Z]{2}VD[MO],|\\[^\\]*\\"), dtype=bool
    )
    rule[two] = "nmea_unreadable"
    message[two] = (
        "more than one sentence on the line (a line end lost?): none of them is read, "
        "split them onto lines of their own"
    )
    ok &= ~two
    count, part = col("count"), col("part")
    # a fragment numbered 0 or above its message's count ('1,2': part 2 of 1) is a damaged
    # header (its checksum right): it was read as a whole message, a position from a torn one
    n_count = _fixed(count, 1, "0")[:, 0].astype(np.int64) - 48
    n_part = _fixed(part, 1, "0")[:, 0].astype(np.int64) - 48
    torn = ok & ((n_part < 1) | (n_part > n_count))
    rule[torn] = "nmea_unreadable"
    message[torn] = _words(
        "fragment ",
        n_part[torn],
        " of a message of ",
        n_count[torn],
        " sentence(s): no such fragment (the sentence's header is damaged)",
    )
    ok &= ~torn
    multi = ok & (n_count != 1)
    rule[multi] = "nmea_multipart"
    message[multi] = _words(
        "part ",
        np.asarray(part, dtype=object)[multi],
        " of ",
        np.asarray(count, dtype=object)[multi],
        " of a message in several sentences (static or voyage data, not a position report)",
    )
    ok &= ~multi
    payload = col("payload")
    fields = _decode(payload)
    kind = fields["kind"]
    fill = _fixed(col("fill"), 1, "0")[:, 0].astype(np.int64) - 48
    n_bits = np.asarray(pc.utf8_length(payload), dtype=np.int64) * 6 - fill
    # a payload of fewer than 6 bits holds no message type (an empty one read as type 0,
    # 'not a position report')
    typeless = ok & (n_bits < 6)
    rule[typeless] = "nmea_short"
    message[typeless] = _words(
        "payload of ", np.maximum(n_bits[typeless], 0), " bits: no message type (6 bits)"
    )
    ok &= ~typeless
    position = _NEEDED_BY_KIND[kind] > 0
    other = ok & ~position
    rule[other] = "nmea_not_position"
    message[other] = _words(
        "message type ",
        kind[other],
        ": ",
        _KIND_WORDS[kind[other]],
        ", not a vessel's position report",
    )
    ok &= position
    needed = _NEEDED_BY_KIND[kind]
    short = ok & (n_bits < needed)
    rule[short] = "nmea_short"
    message[short] = _words(
        "payload of ", n_bits[short], " bits, type ", kind[short], " needs ", needed[short]
    )
    ok &= ~short
    # the moment: a tag block's c: (epoch), a number after the checksum, or a time in front
    c_text = pc.fill_null(
        pc.struct_field(pc.extract_regex(col("tag"), r"(?:^|,)c:(?P<c>[^,*]*)"), "c"), ""
    )
    tag_c = _epoch_digits(c_text)
    # a c: that is no epoch (14 digits: 20240305140000 is a clock's digits, not 0.1 ms; 11
    # or 12 digits are years past 2286): its first 13 digits were read as ms (2034-02-20)
    bad_c = ok & np.asarray(pc.and_(pc.not_equal(c_text, ""), pc.equal(tag_c, "")), dtype=bool)
    rule[bad_c] = "nmea_no_time"
    message[bad_c] = _words(
        "tag block's c:",
        np.asarray(pc.utf8_slice_codeunits(c_text, 0, 40).take(pa.array(np.flatnonzero(bad_c)))),
        " is no epoch (seconds: 9-10 digits; ms: 13; us: 16; ns: 19)",
    )
    ok &= ~bad_c
    post = pc.extract_regex(col("post"), r"^[ ,;\t]*(?P<e>\d+(?:\.\d+)?)\s*$")
    post = _epoch_digits(pc.fill_null(pc.struct_field(post, "e"), ""))
    digits = pc.if_else(pc.equal(tag_c, ""), post, tag_c)
    epoch = _epoch_text(digits)
    front = pc.utf8_trim(pc.utf8_rtrim(pc.utf8_trim_whitespace(col("pre")), ",;"), " \t")
    when = pc.coalesce(epoch.cast(pa.large_string()), front)
    no_time = ok & np.asarray(pc.equal(when, ""), dtype=bool)
    rule[no_time] = "nmea_no_time"
    message[no_time] = (
        "no moment: an AIS sentence holds only the second of the minute; a tag block's c: "
        "or the receiver's time is needed"
    )
    ok &= ~no_time
    keep = np.flatnonzero(ok)
    frame = pd.DataFrame(
        {
            # nine digits, as MMSIs are written: 002570100 (a coast station) is no 2570100
            "mmsi": pd.Series(fields["mmsi"][keep]).astype(str).str.zfill(9).to_numpy(dtype=object),
            "time": np.asarray(when.take(pa.array(keep)).cast(pa.string()), dtype=object),
            **{k: fields[k][keep] for k in ("lat", "lon", "sog", "cog")},
            # the report's bits and its epoch: the same report heard by several stations
            _PAYLOAD: np.asarray(payload.take(pa.array(keep)).cast(pa.string()), dtype=object),
            _MOMENT_MS: np.asarray(
                pc.fill_null(_epoch_ms(digits).take(pa.array(keep)), np.nan), dtype="float64"
            ),
        }
    )
    bad = np.flatnonzero(~ok)
    values = pc.utf8_slice_codeunits(arr.take(pa.array(bad, type=pa.int64())), 0, 200)
    rejects = pd.DataFrame(
        {
            "source_file": name,
            "row": physical[bad],
            "column": "*",
            "value": np.asarray(values.cast(pa.string()), dtype=object),
            "rule": rule[bad],
            "message": message[bad],
        },
        columns=list(REJECT_COLUMNS),
    )
    n_cog = int(fields["cog_unused"][keep].sum())
    return frame, physical[keep], rejects, n, n_cog, int(found.sum())
