"""Loose ends of the headerless and chunked readers (after 7a91f91 .. 96b888a).

Each test fails without the change it names.
"""

from __future__ import annotations

import warnings

import pytest

from pipeline.engine import LocalEngine
from pipeline.errors import InputError
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
    its largest longitude and latitude on a line of the last chunk; read whole, in chunks
    and as partitions: {how: (notes, assumptions)}."""
    tmp = tmp_path_factory.mktemp("taxis")
    rows = [
        f"{k % 3},2008-02-{2 + k // 1200:02d} {10 + k // 120 % 10:02d}:{k // 2 % 60:02d}:"
        f"{k % 2 * 30:02d},{116.3 + k / 1e5:.5f},{39.9 + k / 1e5:.5f},"
        for k in range(2400)
    ]
    rows[2300] = "2,2008-02-03 19:10:00,117.5,40.25,"
    path = tmp / "taxis.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    src = TrackSource(path=path, columns={"vessel_id": "field_1"})
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
