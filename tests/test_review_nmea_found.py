"""Problems a hostile review found in the raw-AIS (NMEA) reader, each pinned by a test."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from _nmea_text import PAYLOAD as _PAYLOAD
from _nmea_text import checksum as _xor
from _nmea_text import sentence as _sentence
from _nmea_text import tag as _tag

from pipeline.errors import SourceUnreadable
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest._nmea import read_nmea_positions


def _read_feed(tmp_path, name, payloads, *, step=60, talker="AIVDM", channel="A", lead=()):
    """Write ``payloads`` as tagged sentences ``step`` s apart (after ``lead`` lines); read them."""
    lines = [*lead] + [
        _tag(f"c:{1_600_000_000 + step * i}") + _sentence(f"{talker},1,1,,{channel},{p},0")
        for i, p in enumerate(payloads)
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return read_tracks(TrackSource(path=path))


def test_one_huge_line_costs_its_own_bytes_not_a_block_of_them(tmp_path):
    # the checksums were XORed over a matrix as wide as the longest line: one 200 kB line
    # among 3,000 took 600 MB (a 1 MB line in a 200,000-line block: 200 GB, a crash).
    # Measured in a fresh process: the peak of this one can be anything.  The reports are a
    # minute apart (the same report heard again within 30 s is one transmission).
    sentence = _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    lines = [_tag(f"c:{1_600_000_000 + 60 * i}") + sentence for i in range(3000)]
    lines.append(
        _tag("c:1700000000")
        + "!AIVDM,1,1,"
        + "9" * 200_000
        + f",B,{_PAYLOAD},0*{_xor(f'AIVDM,1,1,,B,{_PAYLOAD},0')}"
    )
    feed = tmp_path / "feed.nmea"
    feed.write_text("\n".join(lines) + "\n")
    script = f"""
import resource
from pipeline.ingest._nmea import read_nmea_positions
data = open({str(feed)!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
got = read_nmea_positions(data, "feed.nmea")
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(got.frame), len(got.rejects), grew // 1024)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    n, bad, grew_mb = map(int, out.stdout.split())
    assert (n, bad) == (3001, 0)
    assert grew_mb < 100


def test_a_byte_above_127_is_checked_as_the_one_byte_it_is():
    # a station name with a latin-1 byte in the tag block, a damaged channel field: the
    # decoder's byte matrices took them for ASCII and crashed (cannot reshape array)
    station = _tag("s:Bergen\xe9,c:1600000000")
    body = f"AIVDM,1,1,,\xe9,{_PAYLOAD},0"
    later = _tag("s:Bergen\xe9,c:1600000060")  # a minute later: another transmission
    lines = [station + _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0"), later + f"!{body}*{_xor(body)}"]
    got = read_nmea_positions(("\n".join(lines) + "\n").encode("latin-1"), "feed.nmea")
    assert list(got.frame["mmsi"]) == ["244661996", "244661996"] and got.rejects.empty
    damaged = [_tag("s:Bergen\xe9,c:1600000000").replace("*", "x*")]
    got = read_nmea_positions(
        (damaged[0] + _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0") + "\n").encode("latin-1"), "feed.nmea"
    )
    assert got.frame.empty and list(got.rejects["rule"]) == ["nmea_checksum"]


def test_an_mmsi_keeps_its_leading_zeros():
    # 002570100 (a Chilean coast station) was written 2570100: rejected as 'not 9 digits ...
    # store MMSIs as text' (mmsi_invalid), advice a raw feed cannot follow, not as the coast
    # station it is (mmsi_not_vessel); a group call 0MIDxxxxx alike
    lines = [
        _tag("c:1600000000") + "!AIVDO,1,1,,A,102LoM?P?wJvJtQdm<H>4001P000,0*2B",
        _tag("c:1600000001") + "!AIVDO,1,1,,A,10;iQCgP0:0eid05f=P02P01P000,0*3D",
    ]
    got = read_nmea_positions(("\n".join(lines) + "\n").encode(), "feed.nmea")
    assert list(got.frame["mmsi"]) == ["002570100", "012345678"]


def test_a_log_opening_with_a_blank_line_is_read_as_raw_ais(tmp_path):
    # only the very first line was looked at: a receiver's log beginning with an empty line
    # was refused, telling the user to read it 'as a track file (inputs.tracks, format:
    # auto ...)', which it was
    res = _read_feed(tmp_path, "receiver.txt", [_PAYLOAD] * 3, channel="B", lead=("", ""))
    assert res.n_read == 3 and list(res.lines) == [3, 4, 5]
    assert res.assumptions["schema"] == "nmea"


def test_a_tag_block_moment_keeps_its_fraction_of_a_second():
    # c:1600000000.25 was read as c:1600000000 (the fraction dropped, quietly), though an
    # epoch after the checksum kept its fraction
    lines = [
        _tag(f"c:{c}") + _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
        for c in ("1600000000.25", "1600000060.75", "1600000121250")  # a minute apart
    ]
    got = read_nmea_positions(("\n".join(lines) + "\n").encode(), "feed.nmea")
    assert list(got.frame["time"]) == [
        "2020-09-13T12:26:40.250Z",
        "2020-09-13T12:27:40.750Z",
        "2020-09-13T12:28:41.250Z",
    ]


def test_a_snapshot_of_vessels_each_heard_once_is_read(tmp_path):
    # the decoded table went through the recognition of an unknown table, which refused
    # 'mmsi' as the vessel id when each row had another value (a busy sea's minute)
    payloads = [
        "13aDvs001RO`0r2P00000000000",  # 244661996
        "13m6aDOP00C81`=<P6QP0001P000",  # 257010001
        "B3m6aDP3wowwwROwwtCQ00000000",  # 257010002
        "C3m6aDh08@5to08V>n07l000LNT8HjV0000000000000S0000000",  # 257010003
        "K3m6aECvE8?6FOFL",  # 257010005
    ]
    res = _read_feed(tmp_path, "snapshot.nmea", payloads, step=1)
    assert res.n_read == 5 and res.rejects.empty
    assert sorted(res.frame["vessel_id"]) == [
        "244661996",
        "257010001",
        "257010002",
        "257010003",
        "257010005",
    ]
    assert res.assumptions["columns"]["vessel_id"]["by"] == "nmea"


def test_a_receivers_log_named_dot_log_is_read(tmp_path):
    # README: 'any track file whose first line is one, .txt/.log': a .log was refused as
    # an unknown file type
    res = _read_feed(tmp_path, "ais-receiver.log", [_PAYLOAD] * 3, channel="B")
    assert res.n_read == 3 and len(res.frame) == 3
    assert res.assumptions["schema"] == "nmea"


def test_two_sentences_on_one_line_are_not_one():
    # the pattern read the first sentence of a line and left the rest unread, unsaid: a
    # lost line end (or a bare CR between two) lost a report quietly
    one = _tag("c:1600000000") + _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    two = _tag("c:1600000060") + _sentence("AIVDM,1,1,,B,13m6aDOP00C81`=<P6QP0001P000,0")
    for sep in ("", " ", "\r"):
        got = read_nmea_positions(f"{one}\n{one}{sep}{two}\n".encode(), "feed.nmea")
        assert len(got.frame) == 1 and list(got.rejects["row"]) == [2]
        assert list(got.rejects["rule"]) == ["nmea_unreadable"]


def test_a_course_the_standard_does_not_use_is_missing_not_a_refusal(tmp_path):
    # a transponder sending COG 409.5 (4095 tenths) or 360.5, or a type 27 course of 400:
    # decoded as degrees they tripped the guard against raw tenths and the whole feed was
    # refused ('tenths of a degree ... write the scale in the header'), advice a feed of
    # sentences cannot follow
    payloads = [
        "13m62@OP0N0Fpn0REA0?wh01P000",  # type 1, 409.5
        "B3m62@@07P5f=P8UD@3QD0000000",  # type 18, 360.5
        "K3m62@Ch;f4I@1q0",  # type 27, 400
        "13m62@OP0N0Fpn0REA00j001P000",  # type 1, 20
    ]
    res = _read_feed(tmp_path, "feed.nmea", payloads, talker="AIVDO")
    assert res.rejects.empty
    assert res.frame["cog_deg"].isna().tolist() == [True, True, True, False]
    assert any("3 position report(s) with a course above 360" in n for n in res.notes)


def test_a_compressed_file_named_nmea_is_refused_saying_so():
    # a gzipped feed saved as feed.nmea was read as text: its bytes made 'lines' rejected
    # as 'not an AIS sentence', binary garbage in the rejects, no word of the compression
    line = _tag("c:1600000000") + _sentence(f"AIVDM,1,1,,B,{_PAYLOAD},0")
    with pytest.raises(SourceUnreadable, match="gzip-compressed"):
        read_nmea_positions(gzip.compress(f"{line}\n".encode()), "feed.nmea")


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n", b"\xef\xbb\xbf\n"])
def test_an_empty_feed_is_refused_as_an_empty_csv_is(tmp_path, data):
    # a receiver that logged nothing (an outage) gave 0 pings and a note, a night of no
    # ships, where an empty CSV, JSON or GPX file is refused
    path = tmp_path / "night.nmea"
    path.write_bytes(data)
    with pytest.raises(SourceUnreadable, match="file is empty"):
        read_tracks(TrackSource(path=path))
