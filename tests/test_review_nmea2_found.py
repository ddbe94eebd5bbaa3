"""Problems a second hostile review found in the raw-AIS (NMEA) and ``.plt`` readers."""

from __future__ import annotations

import gzip

import pytest
from _nmea_text import PAYLOAD as _PAYLOAD
from _nmea_text import sentence as _sentence
from _nmea_text import tag as _tag
from _plt import GEOLIFE_HEAD

from pipeline.errors import SourceUnreadable
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest._nmea import read_nmea_positions
from pipeline.ingest._plt import read_plt_points


def _tagged(lines: list[tuple[str, str]]) -> bytes:
    """Sentences of ``_PAYLOAD`` (or another) behind tag blocks ``text`` (``s:..,c:..``)."""
    out = [_tag(text) + _sentence(f"AIVDM,1,1,,B,{payload},0") for text, payload in lines]
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("name", ["ais.log.gz", "AIS.LOG.GZ"])
def test_a_rotated_receivers_log_gzipped_is_read_as_raw_ais(tmp_path, name):
    # a plain ais.log was sniffed for raw sentences, its rotated ais.log.gz refused as
    # 'gzip-compressed .log is not read' (the README: '.txt/.log, also gzipped')
    path = tmp_path / name
    path.write_bytes(
        gzip.compress(_tagged([(f"c:{1_600_000_000 + 60 * i}", _PAYLOAD) for i in range(3)]))
    )
    res = read_tracks(TrackSource(path=path))
    assert res.n_read == 3 and len(res.frame) == 3
    assert res.assumptions["schema"] == "nmea"
    damaged = tmp_path / "old.log.gz"
    damaged.write_bytes(b"\x1f\x8b" + b"x" * 40)
    with pytest.raises(SourceUnreadable, match="cannot decompress"):
        read_tracks(TrackSource(path=damaged))


@pytest.mark.parametrize(
    "first, again",
    [
        ("2024-03-01 12:00:00,", "2024-03-01 12:00:01,"),
        ("2024-03-01T12:00:00Z ", "2024-03-01T12:00:00.400Z "),
        ("2024-03-01 23:59:59.900 ", "2024-03-02 00:00:00.100 "),  # across midnight
        ("01/03/2024 12:00:00;", "01/03/2024 12:00:02;"),  # dayfirst: True
    ],
)
def test_a_report_timed_by_a_receivers_text_heard_twice_is_one_ping(first, again):
    # only tag-block and epoch moments were compared: two receivers' hearings of one
    # transmission, timed by the text in front, were two pings; a minute later the same
    # bits are another report
    later = again.replace("12:00:0", "12:01:0").replace("00:00:00.1", "00:01:00.1")
    body = _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    data = f"{first}{body}\n{again}{body}\n{later}{body}\n".encode()
    got = read_nmea_positions(data, "log.txt", dayfirst=True)
    assert list(got.lines) == [1, 3] and list(got.rejects["rule"]) == ["nmea_duplicate"]
    assert list(got.rejects["row"]) == [2] and "as line 1," in got.rejects["message"].iloc[0]
    assert got.n_read == len(got.frame) + len(got.rejects) == 3


def test_a_day_first_receivers_log_is_read_with_the_sources_dayfirst(tmp_path):
    # the receiver's times are parsed where the hearings are compared: the source's
    # dayfirst must reach them, or 01/03/2024 is refused as undecided before it is read
    body = _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    path = tmp_path / "receiver.log"
    path.write_text(f"01/03/2024 12:00:00 {body}\n01/03/2024 12:01:00 {body}\n")
    res = read_tracks(TrackSource(path=path, dayfirst=True))
    assert list(res.frame["time"].dt.month) == [3, 3] and res.rejects.empty


def test_the_same_bits_more_than_30_s_after_the_first_hearing_are_another_report():
    # repeats were measured from the hearing just before, not the first: a transponder
    # with no time stamp (second 60) at rest sends the same bits every 10 s (type 3), and
    # six reports over 50 s were one ping, the last 'heard again 50.000 s later'
    frozen = "33m6aD@P000HFV0RSS40001qP000"  # MMSI 257010001, 60.39 N 5.32 E, second 60
    got = read_nmea_positions(
        _tagged([(f"c:{1_600_000_000 + 10 * i}", frozen) for i in range(6)]), "feed.nmea"
    )
    assert list(got.lines) == [1, 5]  # 0 s, and 40 s: more than 30 s after the first
    assert list(got.rejects["row"]) == [2, 3, 4, 6]
    gaps = got.rejects["message"].str.extract(r"heard again ([\d.]+) s")[0].astype(float)
    assert list(gaps) == [10.0, 20.0, 30.0, 10.0]


def test_a_plt_with_a_header_in_cr_and_points_in_crlf_is_read():
    # CR alone was read as a line end only in a file holding no LF at all: a header saved
    # on an old Mac, points appended with CRLF, was refused as 'this one has 3 line(s) in
    # all' (it has nine)
    head, points = GEOLIFE_HEAD.split("0\r\n39.98", 1)
    text = head.replace("\r\n", "\r") + "0\r39.98" + points
    got = read_plt_points(text.encode(), "t.plt")
    assert list(got.frame["line"]) == [7, 8, 9] and got.rejects.empty
    assert got.track_name == "My Track"


_OZI_POINTS = (
    " -33.859430, 151.211160,1, -777.0, 40179.5000000\n"
    " -33.859530, 151.211260,0, -777.0, 40179.5006944\n"
    " -33.859630, 151.211360,0, -777.0, 40179.5013889\n"
)


@pytest.mark.parametrize(
    "head, first",
    [
        ("Altitude is in Feet\n0,2,255,MV Alpha,0,0,2,8421376\n", 5),  # no reserved, no count
        ("Altitude is in Feet\n0,2,255,MV Alpha,0,0,2,8421376\n5\n", 6),  # no reserved line
    ],
)
def test_a_plt_header_missing_lines_loses_no_point_and_keeps_its_name(tmp_path, head, first):
    # only a missing count line (line 6) was seen: a header also missing its reserved line
    # took the first point for the track line (one point lost unsaid, the track's name
    # lost); without the reserved line alone, line 5 (the count) was taken for the track
    # line: the name lost, the vessel named from the file, the count unread
    path = tmp_path / "log.plt"
    path.write_text(f"OziExplorer Track Point File Version 2.1\nWGS 84\n{head}{_OZI_POINTS}")
    res = read_tracks(path)
    assert res.n_read == 3 and list(res.lines) == [first, first + 1, first + 2]
    assert set(res.frame["vessel_id"]) == {"MV Alpha"}
    if first == 6:  # the count on line 5 is read: 5 points said, 3 held
        assert any("line 5 says 5 points" in n for n in res.notes)


def test_a_crs_or_speed_unit_given_for_raw_ais_is_said_unused(tmp_path):
    # 916e825 said a columns: mapping unused; a crs (EPSG:4230, ED50) still moved every
    # decoded WGS 84 position by ~120 m and speed_unit: m/s made 9.8 kn 19.0 kn, unsaid
    path = tmp_path / "feed.nmea"
    path.write_bytes(_tagged([(f"c:{1_600_000_000 + 60 * i}", _PAYLOAD) for i in range(2)]))
    plain = read_tracks(TrackSource(path=path))
    told = read_tracks(TrackSource(path=path, crs="EPSG:4230", speed_unit="m/s"))
    for col in ("lon", "lat", "sog_kn"):
        assert list(told.frame[col]) == list(plain.frame[col])
    assert plain.frame["sog_kn"].iloc[0] == pytest.approx(9.8)
    assert any("crs: 'EPSG:4230', speed_unit: 'm/s' not used" in n for n in told.notes)
    assert told.assumptions["crs"]["value"] == "EPSG:4326"


@pytest.mark.parametrize("name", ["ais.txt", "ais.nmea"])
def test_a_utf16_receivers_log_is_read_as_its_text(tmp_path, name):
    # Windows PowerShell 5 writes a redirected log ('AIS-catcher > ais.txt') as UTF-16LE:
    # ais.txt was refused as 'raw AIS sentences ... read as a track file (format: auto)',
    # which it was; ais.nmea rejected every 'line' as nmea_unreadable (NUL bytes between
    # the characters) and kept no ping
    text = _tagged([(f"c:{1_600_000_000 + 60 * i}", _PAYLOAD) for i in range(3)]).decode()
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    res = read_tracks(TrackSource(path=path))
    assert res.n_read == 3 and list(res.lines) == [1, 2, 3] and res.rejects.empty
    assert any("decoded as UTF-16" in n for n in res.notes)


@pytest.mark.parametrize("name", ["ais.txt", "ais.log"])
def test_a_log_opening_with_comment_lines_is_found_to_be_raw_ais(tmp_path, name):
    # only the first non-blank line was looked at: a log opening with '#' comments (gpsd's
    # sample.aivdm, a logger's banner) was refused as 'no latitude/longitude columns
    # among ['# ...']' (.txt) or 'unknown file type .log'
    sentences = _tagged([(f"c:{1_600_000_000 + 60 * i}", _PAYLOAD) for i in range(3)])
    path = tmp_path / name
    path.write_bytes(b"# AIS log, station 2573535\n#\n" + sentences)
    res = read_tracks(TrackSource(path=path))
    assert len(res.frame) == 3 and list(res.lines) == [3, 4, 5]
    assert list(res.rejects["row"]) == [1, 2]  # the comments, each accounted for


@pytest.mark.parametrize(
    "opening",
    [
        "=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2022.05.31 17:26:57 =~=~=~=~=~=~=~=~=~=~=~=",
        "raw",  # a one-column table's header above the sentences
    ],
)
def test_a_log_opening_with_a_banner_line_is_found_to_be_raw_ais(tmp_path, opening):
    # a PuTTY session log of a coastal administration's feed (nca-putty<date>.log) opens
    # with PuTTY's banner: the sniff read that line only and refused the file as 'unknown
    # file type .log'
    sentences = _tagged([(f"s:2573310,c:{1_654_088_303 + 60 * i}", _PAYLOAD) for i in range(3)])
    path = tmp_path / "nca-putty2022-05-31-172657.log"
    path.write_bytes(f"{opening}\r\n".encode() + sentences.replace(b"\n", b"\r\n"))
    res = read_tracks(TrackSource(path=path))
    assert len(res.frame) == 3 and list(res.lines) == [2, 3, 4]
    assert list(res.rejects["row"]) == [1] and list(res.rejects["rule"]) == ["nmea_unreadable"]


@pytest.mark.parametrize(
    ("name", "data"),
    # mtime=0: a stamped header would give each xdist worker another test id
    [("ais.log", b""), ("ais.log.gz", gzip.compress(b"\n", mtime=0))],
    ids=["log", "log.gz"],
)
def test_an_empty_receivers_log_is_refused_as_empty(tmp_path, name, data):
    # a receiver's log of a night of outage (0 bytes, rotated and gzipped) was refused as
    # 'unknown file type .log ... or set format in the config', not as the empty feed it is
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceUnreadable, match="file is empty"):
        read_tracks(TrackSource(path=path))


def test_repeats_timed_01_03_are_read_as_the_whole_log_decides():
    # the receiver's times are parsed for the reports heard more than once only: 01/03
    # among them is decided by the log's other times (13/03: day first), as the tracks
    # reader decides, not refused as undecided
    body = _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    other = _sentence("AIVDM,1,1,,B,13m6aDOP00C81`=<P6QP0001P000,0")
    data = f"01/03/2024 12:00:00 {body}\n01/03/2024 12:00:01 {body}\n13/03/2024 12:00:00 {other}\n"
    got = read_nmea_positions(data.encode(), "log.txt")
    assert list(got.lines) == [1, 3] and list(got.rejects["rule"]) == ["nmea_duplicate"]


def test_a_gps_loggers_nmea_file_is_refused_saying_so(tmp_path):
    # .nmea is the usual suffix of a GPS logger's file: it gave 0 pings and every line an
    # nmea_unreadable reject, where the same lines named .txt are refused with advice
    path = tmp_path / "logger.nmea"
    path.write_text(
        "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\n"
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\n"
    )
    with pytest.raises(SourceUnreadable, match="GPS NMEA sentences .* gpsbabel"):
        read_tracks(TrackSource(path=path))
    path.write_text("hello\n")
    with pytest.raises(SourceUnreadable, match="no line is a raw AIS sentence"):
        read_tracks(TrackSource(path=path))


def test_raw_ais_speeds_are_knots_not_a_guess_at_tenths(tmp_path):
    # the decoded speeds went through the guard for a plain 'sog' column in tenths: a
    # vessel reporting 60 kn while its positions moved 6 kn refused the feed ('tenths of
    # a knot? write the scale in the header ... set speed_unit'), advice a feed of
    # sentences cannot follow (and speed_unit is said unused for raw AIS)
    payloads = [
        "13m6aDOP9H0Fpn0REA000001P000",  # MMSI 257010001, 60 kn, 0.1' of latitude apart
        "13m6aDOP9H0Fpn0REDr0000EP000",
        "13m6aDOP9H0Fpn0REHl0000aP000",
        "13m6aDOP9H0Fpn0RELf0000uP000",
        "13m6aDOP9H0Fpn0REP`0001AP000",
    ]
    path = tmp_path / "feed.nmea"
    path.write_bytes(_tagged([(f"c:{1_600_000_000 + 60 * i}", p) for i, p in enumerate(payloads)]))
    res = read_tracks(TrackSource(path=path), max_speed_kn=100)
    assert list(res.frame["sog_kn"]) == [60.0] * 5
    assert res.assumptions["speed_unit"]["by"] == "nmea"
