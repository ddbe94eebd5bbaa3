"""OziExplorer ``.plt`` track files, the format of Microsoft's Geolife GPS trajectories.

A vehicle-tracks user's most common public dataset (Geolife: ``Data/<user>/Trajectory/*.plt``)
was refused as an unknown file type.  It is read: six header lines, then latitude,
longitude, a break code, altitude, the moment as days since 1899-12-30 (and, in Geolife,
the date and time as text); the vessel is Geolife's user folder, else the track's name,
else the file's; only WGS 84 is read; rejects keep physical lines.
"""

from __future__ import annotations

import gzip
import zipfile

import pandas as pd
import pytest
from _plt import GEOLIFE_HEAD

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import TrackSource, read_tracks

GEOLIFE = (
    GEOLIFE_HEAD
    + "39.98,116.31,0,492\r\n"  # physical line 10: not a point line
    + "39.984655,116.318263,0,492,,2008-10-23,02:53:25\r\n"  # no day count: the texts
)

OZI = (
    "OziExplorer Track Point File Version 2.1\nWGS 84\nAltitude is in Feet\nReserved 3\n"
    "0,2,255,{name},0,0,2,8421376\n3\n"
    " -33.859430, 151.211160,1, -777.0, 40179.5000000\n"
    " -33.859530, 151.211260,0, -777.0, 40179.5006944\n"
    " -33.859630, 151.211360,0, -777.0, 40179.5013889\n"
)


def _geolife(tmp_path):
    folder = tmp_path / "Data" / "042" / "Trajectory"
    folder.mkdir(parents=True)
    path = folder / "20081023025304.plt"
    path.write_bytes(GEOLIFE.encode())
    return path


def test_a_geolife_trajectory_is_read_with_its_user_as_the_vessel(tmp_path):
    res = read_tracks(_geolife(tmp_path))
    assert res.n_read == 5 and len(res.frame) == 4
    assert list(res.rejects["row"]) == [10] and list(res.rejects["rule"]) == ["ragged_row"]
    assert set(res.frame["vessel_id"]) == {"042"}
    times = res.frame["time"].dt.strftime("%H:%M:%S").tolist()
    assert times == ["02:53:04", "02:53:10", "02:53:15", "02:53:25"]
    assert res.frame["lat"].iloc[0] == pytest.approx(39.984702)
    assert res.frame["lon"].iloc[0] == pytest.approx(116.318417)


@pytest.mark.parametrize(("name", "vessel"), [("MV Alpha", "MV Alpha"), ("My Track", "log")])
def test_an_ozi_log_is_read_to_the_second_and_named_by_its_track(tmp_path, name, vessel):
    path = tmp_path / "log.plt"
    path.write_text(OZI.format(name=name))
    res = read_tracks(path)
    assert set(res.frame["vessel_id"]) == {vessel}
    # 7 decimals of a day are 8.64 ms: a log of whole minutes reads 12:00:59.996 unrounded
    assert list(res.frame["time"]) == list(
        pd.to_datetime(
            ["2010-01-01 12:00:00", "2010-01-01 12:01:00", "2010-01-01 12:02:00"], utc=True
        )
    )


def test_a_log_finer_than_a_second_keeps_its_milliseconds(tmp_path):
    text = OZI.format(name="MV Alpha").replace("40179.5006944", "40179.5000058")  # +0.501 s
    path = tmp_path / "fast.plt"
    path.write_text(text)
    res = read_tracks(path)
    assert res.frame["time"].iloc[1] == pd.Timestamp("2010-01-01 12:00:00.501", tz="UTC")


def test_other_datums_and_other_files_are_refused(tmp_path):
    path = tmp_path / "tokyo.plt"
    path.write_text(OZI.format(name="A").replace("WGS 84", "Tokyo"))
    with pytest.raises(InputError, match="datum 'Tokyo'"):
        read_tracks(path)
    other = tmp_path / "plot.plt"  # a plotter file of the same suffix
    other.write_text("IN;SP1;PU0,0;PD100,100;\n")
    with pytest.raises(SourceUnreadable, match="not an OziExplorer track point file"):
        read_tracks(other)


def test_a_plt_in_a_zip_or_gzip_reads_as_the_file(tmp_path):
    plain = read_tracks(TrackSource(path=_geolife(tmp_path), vessel_id="u42"))
    zipped = tmp_path / "geolife.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("Data/042/Trajectory/20081023025304.plt", GEOLIFE)
    packed = tmp_path / "t.plt.gz"
    packed.write_bytes(gzip.compress(GEOLIFE.encode()))
    for path in (zipped, packed):
        got = read_tracks(TrackSource(path=path, vessel_id="u42"))
        pd.testing.assert_frame_equal(got.frame, plain.frame)
        assert list(got.rejects["row"]) == [10]


@pytest.mark.parametrize("suffix", [".plt", ".gpx", ".nmea"])
def test_a_track_file_given_as_seizures_says_where_it_goes(tmp_path, suffix):
    from pipeline.ingest import read_seizures

    path = tmp_path / f"log{suffix}"
    path.write_text(OZI.format(name="MV Alpha"))
    with pytest.raises(SourceUnreadable, match="list it under inputs.tracks"):
        read_seizures(path)
