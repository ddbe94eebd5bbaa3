"""Hostile review of the headerless-table and OziExplorer ``.plt`` readers (7a91f91, c6dd90e).

Each test fails without the change it names.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest
from _plt import GEOLIFE_HEAD

from pipeline.engine import LocalEngine
from pipeline.ingest import TrackSource, read_seizures, read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned


def _lines_said(text: str) -> list[str]:
    """The line numbers a broken-quote note or message names."""
    return re.findall(r"line\(s\) ([\d, .]+)", text)


def _taxi_file(tmp_path, header: str = "") -> TrackSource:
    rows = [
        f"{taxi},2008-02-02 {10 + k // 6:02d}:{(k % 6) * 10:02d}:08,"
        f"{116.3 + taxi / 10 + k / 1000:.5f},{39.9 + k / 1000:.5f}"
        for taxi in (1, 2)
        for k in range(12)
    ]
    top = 1 if header else 0
    rows[9 - top] = rows[9 - top].replace(",2008", ',"2008')  # physical line 10
    path = tmp_path / "taxis.txt"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return TrackSource(path=path, columns={"vessel_id": "id" if header else "field_1"})


@pytest.mark.parametrize("header", ["", "id,time,lon,lat\n"])
def test_a_broken_quote_is_said_at_its_physical_line_whole_in_chunks_and_parts(tmp_path, header):
    # the note and the reject's message named line 11 (headerless, whole: the names put in
    # front counted as a line) and lines 2 / 3.. (in chunks: counted from the chunk's header)
    src = _taxi_file(tmp_path, header)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(src)
        got = {"whole": (res.notes, write_rejects(res, tmp_path / "w").read_text())}
        spill = spill_tracks(src, tmp_path / "c", chunk_rows=4, n_buckets=2)
        got["chunks"] = (spill.notes, spill.write_rejects(tmp_path / "rc").read_text())
        PingStore([spill], root=tmp_path / "c")
        (part,) = spill_tracks_partitioned(
            [src], [tmp_path / "p"], LocalEngine(), chunk_rows=4, n_buckets=2
        )
        got["parts"] = (part.notes, part.write_rejects(tmp_path / "rp").read_text())
        PingStore([part], root=tmp_path / "p")
    for how, (notes, rejects) in got.items():
        (note,) = [n for n in notes if "open a quote" in n]
        assert _lines_said(note) == ["10"], (how, note)
        (line,) = [r for r in rejects.splitlines() if "unbalanced_quote" in r]
        assert line.startswith("taxis.txt,10,"), (how, line)
        assert _lines_said(line)[0].startswith("11, 12, 13"), (how, line)


def test_a_broken_quote_below_title_lines_is_said_at_its_physical_line(tmp_path):
    # the note said the line counted from the header (8 for physical line 10)
    rows = [
        f"2020-01-{1 + k:02d} 10:00:00,{100 + k / 7:.5f},{10 + k / 9:.5f},cocaine,MV A{k}"
        for k in range(20)
    ]
    rows[6] = rows[6].replace(",cocaine", ',"cocaine')  # physical line 10
    path = tmp_path / "s.csv"
    path.write_text("Seizure report\n\ntime,lon,lat,drug,vessel\n" + "\n".join(rows) + "\n")
    res = read_seizures(path)
    broken = res.rejects[res.rejects["rule"] == "unbalanced_quote"]
    assert list(broken["row"]) == [10]
    (note,) = [n for n in res.notes if "open a quote" in n]
    assert _lines_said(note) == ["10"]


GEOLIFE = GEOLIFE_HEAD + "39.984655,116.318263,0,492,39744.1204282407,2008-10-23,02:53:25\r\n"


def _plt(tmp_path, text: str):
    folder = tmp_path / "Data" / "042" / "Trajectory"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "20081023025304.plt"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_broken_quote_in_a_plt_is_said_at_its_physical_line(tmp_path):
    # the note said line 3 (counted from the names put in place of the six header lines)
    res = read_tracks(_plt(tmp_path, GEOLIFE.replace("39.984683,", '"39.984683,')))
    assert list(res.rejects["row"]) == [8]
    (note,) = [n for n in res.notes if "open a quote" in n]
    assert _lines_said(note) == ["8"]


def test_a_plt_with_lines_ended_by_cr_alone_is_read(tmp_path):
    # refused: 'an OziExplorer .plt file has 6 header lines ...; this one has 1 line(s)'
    text = GEOLIFE.replace("\r\n", "\r").replace("39.984683,", "39.984683,0,")
    res = read_tracks(_plt(tmp_path, text))
    assert res.n_read == 4 and len(res.frame) == 3
    assert list(res.rejects["row"]) == [8]  # the ragged line keeps its physical line
    assert res.frame["time"].dt.strftime("%H:%M:%S").tolist() == [
        "02:53:04",
        "02:53:15",
        "02:53:25",
    ]


def test_a_blank_line_above_the_points_of_a_plt_loses_none(tmp_path):
    # the blank line was taken for a point line of 5 fields: all 4 points rejected as ragged
    res = read_tracks(_plt(tmp_path, GEOLIFE.replace("\r\n0\r\n", "\r\n0\r\n\r\n")))
    assert res.n_read == 4 and len(res.frame) == 4 and res.rejects.empty
    assert res.frame["time"].dt.strftime("%H:%M:%S").iloc[-1] == "02:53:25"


@pytest.mark.parametrize("missing", ["NA", "NaN", "null", "-"])
def test_a_missing_value_token_in_a_headerless_first_record_keeps_it_a_record(tmp_path, missing):
    # 'NA' over the longitudes read as a name: the first line was the header, its record
    # lost with no reject (21 records: read 20, accepted 20)
    rows = [f"{k % 3},2008-02-02 15:{k:02d}:08,116.5{k},39.9{k}" for k in range(10, 30)]
    path = tmp_path / "taxis.txt"
    path.write_text(f"1,2008-02-02 15:36:08,{missing},39.92123\n" + "\n".join(rows) + "\n")
    res = read_tracks(TrackSource(path=path, columns={"vessel_id": "field_1"}))
    assert res.n_read == 21
    assert len(res.frame) + len(res.rejects) == 21
    assert list(res.rejects["row"]) == [1]  # the record without its longitude


@pytest.mark.parametrize("index", [False, True])
def test_a_header_of_column_numbers_stays_the_header(tmp_path, index):
    # pandas' to_csv of a frame without column names: '0,1,2,3' (',0,1,2,3' with the index)
    # was read as a record: read 21 for 20, a bogus ping (lat 1, lon 2 at epoch 3) rejected
    import numpy as np
    import pandas as pd

    k = np.arange(20)
    frame = pd.DataFrame(
        np.column_stack([211000000 + k % 2, 52 + k / 100, 4 + k / 100, 1_600_000_000 + 60 * k])
    )
    path = tmp_path / "positions.csv"
    frame.to_csv(path, index=index)
    res = read_tracks(
        TrackSource(path=path, columns={"vessel_id": "0", "lat": "1", "lon": "2", "time": "3"})
    )
    assert res.n_read == 20 and len(res.frame) == 20 and res.rejects.empty


OZI = (
    "OziExplorer Track Point File Version 2.1\nWGS 84\nAltitude is in Feet\nReserved 3\n"
    "0,2,255,MV Alpha,0,0,2,8421376\n3\n"
    " -33.859430, 151.211160,1, -777.0, 40179.5000000\n"
    " -33.859530, 151.211260,0, -777.0, {days}\n"
    " -33.859630, 151.211360,0, -777.0, 40179.5013889\n"
)


@pytest.mark.parametrize(
    ("days", "rule", "value"),
    [
        ("-40000", "time_unparseable", "day count -40000"),
        ("1.5", "time_unparseable", "day count 1.5"),
    ]
    + [("0", "time_missing", ""), ("", "time_missing", "")],
)
def test_a_day_count_out_of_range_is_rejected_with_its_value(tmp_path, days, rule, value):
    # a count of -40000 was rejected as 'time_missing' with no value: the file gives one
    path = tmp_path / "log.plt"
    path.write_text(OZI.format(days=days))
    res = read_tracks(path)
    assert len(res.frame) == 2 and list(res.rejects["row"]) == [8]
    assert list(res.rejects["rule"]) == [rule]
    assert list(res.rejects["value"].fillna("")) == [value]


def test_a_track_name_with_commas_names_its_vessel_whole(tmp_path):
    # 'Trip, day 1' and 'Trip, day 2' were both vessel 'Trip': two tracks made one
    got = set()
    for day in (1, 2):
        path = tmp_path / f"t{day}.plt"
        path.write_text(
            OZI.format(days="40179.5006944").replace("MV Alpha", f"MV Alpha, leg {day}")
        )
        got |= set(read_tracks(path).frame["vessel_id"])
    assert got == {"MV Alpha, leg 1", "MV Alpha, leg 2"}


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_track_name_is_read_in_its_encoding(tmp_path, encoding):
    # a UTF-8 name was read as Latin-1: vessel 'CafÃ© Rio' for 'Café Rio'
    path = tmp_path / "t.plt"
    text = OZI.format(days="40179.5006944").replace("MV Alpha", "Café Rio – 2")
    path.write_bytes(text.encode(encoding))
    assert set(read_tracks(path).frame["vessel_id"]) == {"Café Rio – 2"}


def test_geolife_users_read_from_one_zip_stay_apart(tmp_path):
    # the vessel came from the archive's path: both users were vessel 'geolife' (one track)
    import zipfile

    packed = tmp_path / "geolife.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        for user in ("042", "043"):
            zf.writestr(f"Geolife Trajectories 1.3/Data/{user}/Trajectory/20081023.plt", GEOLIFE)
    got = [
        set(
            read_tracks(
                TrackSource(
                    path=packed,
                    member=f"Geolife Trajectories 1.3/Data/{user}/Trajectory/20081023.plt",
                )
            ).frame["vessel_id"]
        )
        for user in ("042", "043")
    ]
    assert got == [{"042"}, {"043"}]


def test_a_gzipped_log_is_named_as_the_log(tmp_path):
    # log.plt.gz was vessel 'log.plt', log.plt 'log': one logger's files, two vessels
    import gzip

    text = OZI.format(days="40179.5006944").replace("MV Alpha", "My Track")
    (tmp_path / "log.plt").write_text(text)
    (tmp_path / "log.plt.gz").write_bytes(gzip.compress(text.encode()))
    names = [set(read_tracks(tmp_path / f).frame["vessel_id"]) for f in ("log.plt", "log.plt.gz")]
    assert names == [{"log"}, {"log"}]


def _read_three_ways(src: TrackSource, tmp_path):
    """(n_read, frame, rejects bytes) read whole, in chunks and as partitions."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(src)
        out["whole"] = (res.n_read, res.frame, write_rejects(res, tmp_path / "w").read_bytes())
        spill = spill_tracks(src, tmp_path / "c", chunk_rows=500, n_buckets=2)
        store = PingStore([spill], root=tmp_path / "c")
        out["chunks"] = (
            spill.n_read,
            store.to_frame(),
            spill.write_rejects(tmp_path / "rc").read_bytes(),
        )
        (part,) = spill_tracks_partitioned(
            [src], [tmp_path / "p"], LocalEngine(), chunk_rows=500, n_buckets=2
        )
        store = PingStore([part], root=tmp_path / "p")
        out["parts"] = (
            part.n_read,
            store.to_frame(),
            part.write_rejects(tmp_path / "rp").read_bytes(),
        )
    return out


@pytest.mark.parametrize("header", ["id;time;lon;lat\r\n", ""])
def test_excels_sep_line_above_a_track_table_is_skipped(tmp_path, header):
    # 'sep=;' was read as the header: one column 'sep=', refused ('no latitude/longitude
    # columns among ['sep=']'); in chunks it was put in front of every later chunk
    rows = [
        f"{k % 3};2008-02-{2 + k // 1200:02d} {10 + k // 120 % 10:02d}:{k // 2 % 60:02d}:"
        f"{k % 2 * 30:02d};116,{5000 + k};39,{9000 + k}"
        for k in range(2400)
    ]
    rows[2000] += ";x"  # ragged, in a later chunk
    path = tmp_path / "taxis.csv"
    path.write_bytes(("sep=;\r\n" + header + "\r\n".join(rows) + "\r\n").encode())
    vessel = "id" if header else "field_1"
    got = _read_three_ways(TrackSource(path=path, columns={"vessel_id": vessel}), tmp_path)
    n, frame, rejects = got["whole"]
    assert n == 2400 and len(frame) == 2399
    ragged = 2000 + 2 + (1 if header else 0)  # physical line of rows[2000]
    assert rejects.split(b"\n")[1].startswith(f"taxis.csv,{ragged},".encode())
    for how in ("chunks", "parts"):
        n2, frame2, rejects2 = got[how]
        assert (n2, rejects2) == (n, rejects), how
        pd.testing.assert_frame_equal(frame2, frame)


def test_a_plt_without_the_point_count_line_keeps_its_first_point(tmp_path):
    # line 6 was taken for the point count: the first point lost, no reject (read 2 of 3)
    path = tmp_path / "log.plt"
    path.write_text(OZI.format(days="40179.5006944").replace("8421376\n3\n", "8421376\n"))
    res = read_tracks(path)
    assert res.n_read == 3 and len(res.frame) == 3
    assert res.frame["lat"].iloc[0] == pytest.approx(-33.85943)
    path.write_text(OZI.format(days="40179.5006944").replace(", 151.211260,", ", 151.2,x,"))
    assert list(read_tracks(path).rejects["row"]) == [8]  # lines stay physical with the count
    path.write_text(
        OZI.format(days="40179.5006944")
        .replace("8421376\n3\n", "8421376\n")
        .replace(", 151.211260,", ", 151.2,x,")
    )
    assert list(read_tracks(path).rejects["row"]) == [7]  # and without it


def test_a_plt_cut_short_of_its_point_count_says_so(tmp_path):
    # line 6 says 5 points, 3 are there (a partial copy): read with no word of it
    path = tmp_path / "log.plt"
    path.write_text(OZI.format(days="40179.5006944").replace("8421376\n3\n", "8421376\n5\n"))
    res = read_tracks(path)
    assert len(res.frame) == 3
    assert any("line 6 says 5 points" in n and "3 point line" in n for n in res.notes)
    path.write_text(OZI.format(days="40179.5006944"))  # as many as said: no such note
    assert not any("cut short" in n for n in read_tracks(path).notes)


def test_date_texts_that_disagree_with_their_day_counts_are_noted(tmp_path):
    # the day counts were read and texts 8 hours off (another zone) were dropped unsaid
    text = GEOLIFE.replace("02:53:10", "10:53:10").replace("02:53:15", "10:53:15")
    res = read_tracks(_plt(tmp_path, text))
    assert res.frame["time"].dt.strftime("%H:%M:%S").tolist()[1] == "02:53:10"
    (note,) = [n for n in res.notes if "differ from their day counts" in n]
    assert note.split(": ", 1)[1].startswith("2 point(s)") and "28,800 s" in note
    assert "line 8" in note
    res = read_tracks(_plt(tmp_path, GEOLIFE))  # texts as the counts: no such note
    assert not any("differ from their day counts" in n for n in res.notes)
