"""Loose ends of the headerless and chunked readers (after 7a91f91 .. 96b888a).

Each test fails without the change it names.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from _plt import GEOLIFE_HEAD

from pipeline.engine import LocalEngine
from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import SeizureSource, TrackSource, read_seizures, read_tracks
from pipeline.ingest._common import header_for_records
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned


def _taxi_rows(n: int = 30, ragged_every: int = 0, extra: str = ",7") -> list[str]:
    """T-Drive-like records (taxi, time, lon, lat), no header; every ``ragged_every``-th
    one (from the second) with a field too many (``extra``) or, alternately, one too few."""
    rows = []
    for k in range(n):
        row = (
            f"{1 + k * 3 // n},2008-02-02 {10 + k // 6:02d}:{(k % 6) * 10:02d}:08,"
            f"{116.3 + k / 1000:.5f},{39.9 + k / 1000:.5f}"
        )
        if ragged_every and k % ragged_every == 1:
            row = row + extra if (k // ragged_every) % 2 else row.rsplit(",", 1)[0]
        rows.append(row)
    return rows


@pytest.mark.parametrize("extra", [",7", ",,"])
def test_a_headerless_file_with_a_third_of_its_rows_ragged_keeps_its_first_record(tmp_path, extra):
    # with 20 % or more ragged rows the first record was read as the header: 'read 29'
    # for 30 lines (accepted + rejected one short), exit 0, its values the columns' names
    rows = _taxi_rows(30, ragged_every=3, extra=extra)
    path = tmp_path / "taxis.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ragged = [i + 1 for i, r in enumerate(rows) if r.count(",") != 3]
    assert len(ragged) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(TrackSource(path=path, columns={"vessel_id": "field_1"}))
    assert res.n_read == 30 and len(res.frame) + len(res.rejects) == 30
    assert sorted(res.rejects["row"]) == ragged
    assert set(res.rejects["rule"]) == {"ragged_row"}
    assert res.frame["lon"].iloc[0] == pytest.approx(116.3)  # line 1 is a ping
    assert str(res.assumptions["header_line"]).startswith("none")


@pytest.mark.parametrize("share", [1, 2, 3, 5])  # every 2nd .. 6th row ragged
def test_the_first_lines_verdict_does_not_depend_on_the_ragged_share(share):
    head = "\n".join(_taxi_rows(40, ragged_every=share + 1)) + "\n"
    assert header_for_records(head, ",") == "field_1,field_2,field_3,field_4"


def test_a_first_line_of_numbers_no_row_below_matches_is_refused_at_its_line(tmp_path):
    # no row below has its 5 fields: read as the header it was lost unseen, its values the
    # names, and every record ragged under them; it is refused, naming its line
    rows = _taxi_rows(12)
    path = tmp_path / "taxis.txt"
    path.write_text("sep=,\n" + "\n".join([rows[0] + ",7", *rows[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"taxis\.txt: line 2 .* 5 fields .*they have 4"):
        read_tracks(TrackSource(path=path))
    # a first record ending with the delimiter names one column fewer: the rows below fit it
    rows[0] += ","
    assert header_for_records("\n".join(rows) + "\n", ",") == "field_1,field_2,field_3,field_4"


@pytest.mark.parametrize(
    "header",
    [
        "id,time,lon,lat",
        "taxi,2008,lon,lat",  # a number among the names
        "2008-02-02,2008-02-03,lon,lat",  # dates over a column of dates, names over numbers
    ],
)
def test_a_real_header_over_many_ragged_rows_stays_the_header(tmp_path, header):
    rows = _taxi_rows(30, ragged_every=3)
    head = header + "\n" + "\n".join(rows) + "\n"
    assert header_for_records(head, ",") is None
    path = tmp_path / "headed.csv"
    path.write_text(head, encoding="utf-8")
    if header.startswith("id"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = read_tracks(TrackSource(path=path))
        assert res.n_read == 30 and len(res.frame) == 20
        assert "header_line" not in res.assumptions or not str(
            res.assumptions["header_line"]
        ).startswith("none")


def test_a_headed_seizure_file_with_many_ragged_rows_keeps_its_header(tmp_path):
    rows = [
        f"2020-01-{1 + k:02d} 10:00:00,{100 + k / 7:.5f},{10 + k / 9:.5f},cocaine,MV A{k}"
        + (",x" if k % 2 else "")
        for k in range(12)
    ]
    path = tmp_path / "s.csv"
    path.write_text("time,lon,lat,drug,vessel\n" + "\n".join(rows) + "\n", encoding="utf-8")
    res = read_seizures(SeizureSource(path=path))
    assert res.n_read == 12 and len(res.frame) == 6
    assert sorted(res.rejects["row"]) == [3, 5, 7, 9, 11, 13]


@pytest.fixture(scope="module")
def taxis_three_ways(tmp_path_factory):
    """A headerless T-Drive-like file of 2,400 records ending with ',' (2 chunks of 64 KiB),
    its largest longitude and latitude on a line of the last chunk, three of its six taxis
    only there; read whole, in chunks and as partitions: {how: (notes, assumptions)}."""
    tmp = tmp_path_factory.mktemp("taxis")
    rows = [
        f"T{k % 3 + (3 if k > 2000 else 0)},2008-02-{2 + k // 1200:02d} "
        f"{10 + k // 120 % 10:02d}:{k // 2 % 60:02d}:"
        f"{k % 2 * 30:02d},{116.3 + k / 1e5:.5f},{39.9 + k / 1e5:.5f},"
        for k in range(2400)
    ]
    rows[2300] = "T5,2008-02-03 19:10:00,117.5,40.25,"
    path = tmp / "taxis.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    src = TrackSource(path=path)
    got = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(src)
        got["whole"] = (res.notes, res.assumptions)
        spill = spill_tracks(src, tmp / "c", chunk_rows=1000, n_buckets=2)
        PingStore([spill], root=tmp / "c")
        (part,) = spill_tracks_partitioned(
            [src], [tmp / "p"], LocalEngine(), chunk_rows=1000, n_buckets=2
        )
        PingStore([part], root=tmp / "p")
    got["chunks"] = (spill.notes, spill.assumptions)
    got["parts"] = (part.notes, part.assumptions)
    return got


def test_trailing_delimiters_of_a_headerless_file_are_said_without_a_header(taxis_three_ways):
    # said '2400 of the lines below the header end with ',' (the header does not)': the
    # header line is the reader's own names, no line of the file
    for how, (notes, _) in taxis_three_ways.items():
        said = [n for n in notes if "end with ','" in n]
        assert said == [
            "taxis.txt: 2400 of the lines end with ',' (no header line); the empty last "
            "column is ignored"
        ], how


def test_a_position_found_by_its_values_quotes_the_whole_files_largest_value(taxis_three_ways):
    # in chunks and on partitions the note and the assumption quoted the first chunk's
    # largest value ('max |value| 116.316'), read whole the file's (117.5)
    notes, stated = taxis_three_ways["whole"]
    said = [n for n in notes if "max |value|" in n]
    assert [n.rsplit("(", 1)[1] for n in said] == ["max |value| 117.5))", "max |value| 40.25))"]
    for how in ("chunks", "parts"):
        notes2, stated2 = taxis_three_ways[how]
        assert [n for n in notes2 if "max |value|" in n] == said, how
        assert notes2 == notes, how
        for role in ("lat", "lon"):
            assert stated2["columns"][role] == stated["columns"][role], (how, role)


def test_an_identity_found_by_its_values_quotes_the_whole_files_counts(taxis_three_ways):
    # in chunks and on partitions the note and the assumption quoted the first chunk's
    # distinct ids ('3 distinct over 1560 rows'), read whole the file's
    notes, stated = taxis_three_ways["whole"]
    (said,) = [n for n in notes if n.startswith("taxis.txt: vessel_id taken")]
    assert said.endswith("(6 distinct over 2400 rows))")
    for how in ("chunks", "parts"):
        notes2, stated2 = taxis_three_ways[how]
        assert [n for n in notes2 if n.startswith("taxis.txt: vessel_id taken")] == [said], how
        assert stated2["columns"]["vessel_id"] == stated["columns"]["vessel_id"], how


# ---------------------------------------------------------------- mutation check (item 4)
# Hand mutants of header_for_records and the .plt reader that the tests before survived;
# each case below kills one (named) and pins a behaviour a real file depends on.


@pytest.mark.parametrize(
    "head",
    [
        ",0\n",  # pandas' empty frame of one unnamed column (a number and the index's blank)
        "id,2019,2020\n",  # a header-only export naming two years (a name among them)
        "port,country,2020\nRotterdam,NL,1234\nAntwerp,BE,987\n",  # one year over counts
        "1990,2000\nx,1\ny,2\nz,3\n4,5\n",  # a number over a column of mostly names
        "2019,2020,total\n5,6,11\n7,8,15\n",  # a name over a column of numbers
        "vessel,01/02/2024,02/02/2024\nMV A,seen,absent\nMV B,absent,seen\n",  # dates, text
        "1,2,3\n39.9,116.3,5\n39.8,116.4,6\n",  # columns numbered from 1 over numbers
    ],
)
def test_headers_a_mutant_took_for_records_stay_headers(head):
    # mutants: the one-line rule's 2 typed fields -> 1 (',0'), its 'or text' -> 'and'
    # ('id,2019,2020'), the main rule's 2 -> 1 (one year), the number-over-names share 0.5
    # -> 0.1, the name-over-numbers rule dropped, dates not checked by column, columns
    # numbered from 1 (R's, numpy's) no header
    assert header_for_records(head, ",") is None


def test_records_a_mutant_took_for_a_header_stay_records():
    # the sample cut inside its last line (64 KiB): the cut value ('15:3', no time) decides
    # nothing (kept, the first line was read as the header of a one-record file)
    assert header_for_records("1,2008-02-02 15:36:08\n2,2008-02-02 15:3", ",") == (
        "field_1,field_2"
    )
    # a one-record file ending with the delimiter: the empty field past the others is no
    # column (named, the note said 4 columns for 3)
    assert header_for_records("2020-01-05 10:00:00,100.5,10.25,\n", ",") == (
        "field_1,field_2,field_3"
    )
    # a column mostly empty (a speed given now and then): its blanks say nothing of the
    # first record's value over it (counted, the first record was read as the header)
    rows = [r + ("," if k % 3 else ",12.5") for k, r in enumerate(_taxi_rows(12))]
    assert header_for_records("\n".join(rows) + "\n", ",") == ",".join(
        f"field_{i}" for i in range(1, 6)
    )
    # a record of whole numbers starting with 1 (an integer dump: epoch seconds, scaled
    # degrees) is no header of column numbers: those count up one by one
    ints = "1,1577836800,1165117,399212\n2,1577836860,1165118,399213\n"
    assert header_for_records(ints, ",") == "field_1,field_2,field_3,field_4"
    # the rows of the first line's shape are looked for past the next 50 lines: a logger's
    # first 60 lines with a field too many (ragged) do not get the first record refused
    rows = _taxi_rows(120)
    rows[1:61] = [r + ",7" for r in rows[1:61]]
    assert header_for_records("\n".join(rows) + "\n", ",") == "field_1,field_2,field_3,field_4"


OZI_LOG = (
    "OziExplorer Track Point File Version 2.1\n{datum}\nAltitude is in Feet\nReserved 3\n"
    "{style}\n3\n"
    " -33.859430, 151.211160,1, -777.0, 40179.5000000\n"
    " -33.859530, 151.211260,0, -777.0, {days}\n"
    " -33.859630, 151.211360,0, -777.0, 40179.5013889\n"
)


def _ozi(tmp_path, datum="WGS 84", style="0,2,255,MV Alpha,0,0,2,8421376", days="40179.5006944"):
    path = tmp_path / "log.plt"
    path.write_text(OZI_LOG.format(datum=datum, style=style, days=days), encoding="utf-8")
    return path


def test_plt_shapes_a_mutant_misread(tmp_path):
    # a datum spelled 'WGS-84' / 'WGS_84' is WGS 84 (mutant: refused)
    for datum in ("WGS-84", "WGS_84"):
        assert len(read_tracks(_ozi(tmp_path, datum=datum)).frame) == 3
    # a short track line (4 fields) still names the track (mutant: '', the file's stem)
    res = read_tracks(_ozi(tmp_path, style="0,2,255,MV Alpha"))
    assert set(res.frame["vessel_id"]) == {"MV Alpha"}
    # a day count past 9999-12-31 is said as the count (mutant bound: a year-10000 text)
    res = read_tracks(_ozi(tmp_path, days="2958466"))
    assert list(res.rejects["value"]) == ["day count 2958466"]
    # a byte-order mark before the first line (a Windows editor's save) is no other kind
    path = tmp_path / "bom.plt"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + OZI_LOG.format(
            datum="WGS 84", style="0,2,255,MV Alpha,0,0,2,8421376", days="40179.5006944"
        ).encode()
    )
    assert len(read_tracks(path).frame) == 3
    # a point without its day count is timed by its texts, and is no disagreement between
    # them (mutant: '1 point(s)' date and time texts differ ... by 3,453,... s')
    folder = tmp_path / "Data" / "042" / "Trajectory"
    folder.mkdir(parents=True)
    path = folder / "20081023025304.plt"
    path.write_bytes(
        (GEOLIFE_HEAD + "39.984655,116.318263,0,492,,2008-10-23,02:53:25\r\n").encode()
    )
    res = read_tracks(path)
    assert res.frame["time"].iloc[-1] == pd.Timestamp("2008-10-23 02:53:25", tz="UTC")
    assert not [n for n in res.notes if "differ from their day counts" in n]


def test_plt_header_and_texts_a_mutant_misread(tmp_path):
    # a log of no more than 5 lines is refused in one line (mutant: an IndexError)
    path = tmp_path / "short.plt"
    path.write_text("\n".join(OZI_LOG.split("\n")[:5]) + "\n", encoding="utf-8")
    with pytest.raises(SourceUnreadable, match="6 header lines"):
        read_tracks(path)
    # a log with its point count on line 6 says nothing of a point on line 6
    res = read_tracks(_ozi(tmp_path))
    assert not [n for n in res.notes if "line 6 is a point" in n]
    # a Geolife point with an out-of-range day count and empty date/time texts: said by its
    # count (mutant, texts unstripped: ' ' taken for a time, the count unsaid)
    folder = tmp_path / "Data" / "042" / "Trajectory"
    folder.mkdir(parents=True)
    path = folder / "20081023025304.plt"
    path.write_bytes((GEOLIFE_HEAD + "39.984655,116.318263,0,492,-40000,,\r\n").encode())
    res = read_tracks(path)
    assert list(res.rejects["value"]) == ["day count -40000"]
