"""A KMZ's only KML document in a folder is read; two loggers' same-named tracks are refused.

A KMZ whose one ``.kml`` is in a folder (``files/doc.kml``, ``My Tracks/track.kml``, as
some exporters zip a folder) was refused "0 KML documents at its top", while Google Earth
reads it (KML 2.2, section 6.1: the first ``.kml`` of the archive is the root document).
It is now read, the member named in a note; several in folders stay refused, as several
at the top are.

Two loggers' ``track.plt`` of a device's default track name (both the vessel ``track``) were
refused only while both files kept pings: a second phone logging at the first's times had
every ping rejected as ``duplicate_across_files`` of the first (positions 111 km apart),
exit 0.  And two ``logs.zip`` (or ``a.zip``, ``b.zip``) each of a ``track.plt`` ran as one
vessel ``track``, a track jumping between the phones.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from _ingest_stage import ingest_alone

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_tracks

TRIP = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><Placemark><name>Skiff Maria</name><gx:Track>
  <when>2023-03-15T00:00:00Z</when><when>2023-03-15T01:00:00Z</when>
  <gx:coord>5.0 43.0 0</gx:coord><gx:coord>5.1 43.1 0</gx:coord>
</gx:Track></Placemark></Document></kml>
"""


def _zip(members: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"files/doc.kml": TRIP, "files/icon.png": b"\x89PNG"},
        # a Mac's zip of a folder: its AppleDouble fork is no second document
        {"My Tracks/track.kml": TRIP, "__MACOSX/My Tracks/._track.kml": b"\x00\x05\x16\x07"},
    ],
    ids=["files-doc", "folder-track-macosx"],
)
def test_a_kmz_whose_one_kml_is_in_a_folder_is_read_and_the_member_named(tmp_path, members):
    plain = tmp_path / "trip.kml"
    plain.write_text(TRIP)
    want = read_tracks(plain).frame
    kmz = tmp_path / "trip.kmz"
    kmz.write_bytes(_zip(members))
    res = read_tracks(kmz)
    pd.testing.assert_frame_equal(res.frame, want)
    assert len(res.frame) == 2 and set(res.frame["vessel_id"]) == {"Skiff Maria"}
    entry = next(iter(members))
    assert any(f"KML document {entry!r} was read" in n for n in res.notes), res.notes


def test_a_kmz_with_doc_kml_at_its_top_reads_it_and_says_nothing_of_folders(tmp_path):
    kmz = tmp_path / "trip.kmz"
    kmz.write_bytes(_zip({"doc.kml": TRIP, "files/old.kml": "<kml/>"}))
    res = read_tracks(kmz)
    assert len(res.frame) == 2
    assert not any("KML document" in n for n in res.notes), res.notes


def test_a_kmz_of_two_kml_documents_in_folders_and_none_at_its_top_is_refused(tmp_path):
    kmz = tmp_path / "trip.kmz"
    kmz.write_bytes(_zip({"a/one.kml": TRIP, "b/two.kml": TRIP}))
    with pytest.raises(SourceUnreadable, match=r"2 KML documents in its folders.*'a/one.kml'"):
        read_tracks(kmz)


def _plt(lat0: float, track_name: str = "My Track", minute: int = 0) -> str:
    """An OziExplorer ``.plt`` of three points a minute apart, a device's default name."""
    rows = "".join(
        f"{lat0 + i * 0.001},5.0{i},0,100,{45000 + (minute + i) / 1440:.8f},2023-03-15,"
        f"00:{minute + i:02d}:00\n"
        for i in range(3)
    )
    return (
        "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n"
        f"0,2,255,{track_name},0,0,2,8421376\n0\n{rows}"
    )


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "chunks"])
def test_two_loggers_plt_at_the_same_times_are_refused_not_rejected_as_repeats(
    tmp_path, chunk_rows
):
    # the same minutes 111 km apart: the second phone's pings were all duplicate_across_files
    a, b = tmp_path / "phone1" / "track.plt", tmp_path / "phone2" / "track.plt"
    for path, lat in ((a, 43.0), (b, 44.0)):
        path.parent.mkdir(parents=True)
        path.write_text(_plt(lat))
    with pytest.raises(InputError, match=r"'phone1/track.plt' and 'phone2/track.plt'.*'track'"):
        ingest_alone(tmp_path, "run", [a, b], chunk_rows)


@pytest.mark.parametrize(
    "zips",
    [("phone1/logs.zip", "phone2/logs.zip"), ("a.zip", "b.zip")],
    ids=["same-named-zips", "other-zips"],
)
def test_zips_of_same_named_plt_are_refused_not_joined_into_one_vessel(tmp_path, zips):
    paths = [tmp_path / z for z in zips]
    for path, lat, minute in ((paths[0], 43.0, 0), (paths[1], 44.0, 30)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_zip({"track.plt": _plt(lat, minute=minute)}))
    with pytest.raises(InputError, match=rf"'{zips[0]}' and '{zips[1]}'.*vessel 'track'"):
        ingest_alone(tmp_path, "run", paths, None)
    # a track named in the file names its own vessel: two vessels, read
    paths[1].write_bytes(_zip({"track.plt": _plt(44.0, track_name="Skiff Maria", minute=30)}))
    state = ingest_alone(tmp_path, "run2", paths, None)
    assert sorted(set(state.pings["vessel_id"])) == ["Skiff Maria", "track"]


def test_one_vessels_files_named_after_its_mmsi_it_names_in_a_column_are_read_as_one(tmp_path):
    # a vessel named by the file's column, not by its name, whatever the name: two years'
    # downloads of one MMSI's track are that vessel's
    paths = [tmp_path / year / "211000001.csv" for year in ("2023", "2024")]
    for path, day in zip(paths, ("2023-01-01", "2024-01-01"), strict=True):
        path.parent.mkdir(parents=True)
        path.write_text(
            f"mmsi,timestamp,lat,lon,sog\n211000001,{day}T00:00:00Z,43.0,5.0,10.0\n"
            f"211000001,{day}T06:30:00Z,43.01,5.1,10.0\n"
        )
    state = ingest_alone(tmp_path, "run", paths, None)
    assert state.pings["vessel_id"].tolist() == ["211000001"] * 4
