"""ERDDAP's table downloads are read by their own suffixes.

ERDDAP names a table by its header: ``.csvp``/``.tsvp`` put the units in the header
(``latitude (degrees_north)``), ``.csv0``/``.tsv0`` write no header line.  Saved under those
names they were refused as unknown file types; each is now read as the same bytes named
``.csv`` are (the header, or its absence, decided by the content as for any table), plain or
inside a zip.
"""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from pipeline.ingest import TrackSource, read_seizures, read_tracks
from pipeline.schema import SOG

CSVP = (
    "time (UTC),latitude (degrees_north),longitude (degrees_east),sog (m s-1),mmsi\n"
    "2023-01-01T00:00:00Z,50.1,-1.2,5.0,235000001\n"
    "2023-01-01T00:10:00Z,50.2,-1.1,5.0,235000001\n"
    "2023-01-01T00:20:00Z,95.0,-1.0,5.0,235000001\n"
    "2023-01-01T00:00:00Z,50.5,-1.5,2.0,235000002\n"
)
CSV0 = "".join(CSVP.splitlines(keepends=True)[1:])


def _same(a, b):
    pd.testing.assert_frame_equal(
        a.frame.drop(columns="source_file", errors="ignore"),
        b.frame.drop(columns="source_file", errors="ignore"),
    )
    assert (a.n_read, a.by_rule) == (b.n_read, b.by_rule)
    pd.testing.assert_frame_equal(
        a.rejects.drop(columns="source_file"), b.rejects.drop(columns="source_file")
    )
    packed = {k: v for k, v in a.assumptions.items() if k != "archive_member"}
    assert packed == b.assumptions


@pytest.mark.parametrize(
    ("suffix", "text", "sep"),
    [
        (".csvp", CSVP, ","),
        (".tsvp", CSVP, "\t"),
        (".csv0", CSV0, ","),
        (".tsv0", CSV0, "\t"),
    ],
    ids=["csvp", "tsvp", "csv0", "tsv0"],
)
def test_an_erddap_suffix_reads_as_the_same_bytes_named_csv(tmp_path, suffix, text, sep):
    text = text.replace(",", sep)
    named, plain = tmp_path / f"ais{suffix}", tmp_path / "ais.csv"
    named.write_text(text)
    plain.write_text(text)
    # no header line: the columns are named as for any headerless table
    columns = (
        {}
        if suffix.endswith("p")
        else {
            "time": "field_1",
            "lat": "field_2",
            "lon": "field_3",
            "sog_kn": "field_4",
            "vessel_id": "field_5",
        }
    )

    def read(path):
        return read_tracks(TrackSource(path=path, columns=columns))

    got, want = read(named), read(plain)
    _same(got, want)
    assert got.n_read == 4 and len(got.frame) == 3 and got.by_rule  # the 95° latitude
    if suffix.endswith("p"):  # m s-1 from the header: 5 m/s is 9.72 knots
        assert got.frame[SOG].iloc[0] == pytest.approx(5.0 * 3600 / 1852)
    packed = tmp_path / "download.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.write(named, named.name)
    _same(read(packed), want)


def test_seizures_from_a_csvp(tmp_path):
    text = (
        "date (UTC),latitude (degrees_north),longitude (degrees_east),quantity (kg)\n"
        "2023-01-02,10.0,100.0,12.5\n"
        "2023-02-03,10.5,100.5,3\n"
    )
    (tmp_path / "s.csvp").write_text(text)
    (tmp_path / "s.csv").write_text(text)
    _same(read_seizures(tmp_path / "s.csvp"), read_seizures(tmp_path / "s.csv"))
