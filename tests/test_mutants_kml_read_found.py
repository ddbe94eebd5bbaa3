"""What a mutation pass over the KML track reader and the run's read stage found.

Each test failed before its fix or killed a mutant the suite let live: a placemark ``<name>``
holding an element (``Skiff <b>Maria</b> II``) named its vessel by the text after the element
(`` II``); an encrypted KMZ, and a KMZ or a zip member whose deflate stream is damaged, ended
the run in a traceback (``RuntimeError``, ``zlib.error``: exit 70, "a bug") where a damaged
file is refused in one line.  Values are checked against ElementTree's and ``datetime``'s
readings of the same text.
"""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted, line_of
from _kml import GX, KML, TRACK, kml_document

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_tracks


def _zip(members: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buf.getvalue()


#: A My Tracks / Google Earth export: a MultiTrack of two tracks, times with an offset,
#: fractional seconds and none, positions of 2 and 3 numbers spread over whitespace,
#: gx:angles and a speed array beside them, a CDATA name and one of entities, a track of
#: one more time than positions, text astray in a track and a place after the tracks.
MY_TRACKS = """<Schema id="s"><gx:SimpleArrayField name="speed" type="float"/></Schema>
<Placemark>
<name><![CDATA[Skiff <Maria> & Co]]></name>
<gx:MultiTrack><altitudeMode>absolute</altitudeMode><gx:interpolate>1</gx:interpolate>
<gx:Track>
<when>
  2010-05-28T02:02:09Z
</when>
<when>2010-05-28T02:02:35.25Z</when>
<when>2010-05-28T04:02:44+02:00</when>
<gx:coord>  -122.207881   37.371915  156.0 </gx:coord>
<gx:coord>-122.205712
 37.373288</gx:coord>
<gx:coord>-122.204678\t37.373939 1</gx:coord>
<gx:angles>45.5 66.2 77.0</gx:angles>
<gx:angles>46 66 77</gx:angles>
<gx:angles>47 66 77</gx:angles>
<ExtendedData><SchemaData schemaUrl="#s"><gx:SimpleArrayData name="speed">
<gx:value>3.2</gx:value><gx:value>3.3</gx:value><gx:value>3.4</gx:value>
</gx:SimpleArrayData></SchemaData></ExtendedData>
</gx:Track>
<gx:Track>
<when>2010-05-28T03:00:00-07:00</when>
<when>2010-05-28T03:00:10-07:00</when>
<gx:coord>-122.1 37.4 0</gx:coord>
</gx:Track>
</gx:MultiTrack></Placemark>
<Placemark><name>Dhow &amp; &#x41;&#66;</name><gx:Track>stray text
<when>2010-05-28T05:00:00.5+05:30</when><gx:coord>-121.9 37.5</gx:coord>
</gx:Track></Placemark>
<Placemark><name>Harbour</name><Point><coordinates>-122.0,37.0,0</coordinates></Point>
</Placemark>"""


def _reference(text: str) -> tuple[list[tuple], list[str]]:
    """(name, time, lat, lon) of every pair by ElementTree; the texts of unpaired times."""
    root = ET.fromstring(text.encode())
    pairs, lone = [], []
    for pm in root.iter(f"{{{KML}}}Placemark"):
        name = "".join(pm.find(f"{{{KML}}}name").itertext()).strip()
        for track in pm.iter(f"{{{GX}}}Track"):
            whens = [w.text for w in track.findall(f"{{{KML}}}when")]
            coords = [c.text.split() for c in track.findall(f"{{{GX}}}coord")]
            for w, c in zip(whens, coords, strict=False):
                t = pd.Timestamp(datetime.fromisoformat(w.strip()).astimezone(UTC))
                pairs.append((name, t, float(c[1]), float(c[0])))
            lone += whens[len(coords) :]
    return sorted(pairs), lone


def test_a_my_tracks_export_gives_every_pair_and_rejects_the_lone_time_at_its_line(tmp_path):
    text = kml_document(MY_TRACKS)
    path = tmp_path / "mytracks.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    pairs, lone = _reference(text)
    f = res.frame.sort_values(["vessel_id", "time"])
    assert list(zip(f["vessel_id"], f["time"], strict=True)) == [p[:2] for p in pairs]
    np.testing.assert_allclose(f["lat"], [p[2] for p in pairs], rtol=0, atol=1e-12)
    np.testing.assert_allclose(f["lon"], [p[3] for p in pairs], rtol=0, atol=1e-12)
    assert lone == ["2010-05-28T03:00:10-07:00"]
    (bad,) = res.rejects.itertuples()
    assert (bad.row, bad.rule) == (line_of(text, f"<when>{lone[0]}"), "coord_missing")
    # each position at the line of its <gx:coord>, the one spread over two lines at its start
    want = {line_of(text, "<gx:coord>-122.205712"), line_of(text, "<gx:coord>-121.9 37.5")}
    assert want <= set(res.lines.tolist())
    # the place after the tracks is said (a tracked placemark's mark was kept for it)
    assert any("1 placemark(s) without a track" in n for n in res.notes)


@pytest.mark.parametrize(
    "name",
    ["Skiff <b>Maria</b> II", "<i>Dhow</i> 7", "A<b>x</b>y<br/>z"],
    ids=["bold-middle", "italic-first", "two-elements"],
)
def test_a_placemark_name_holding_an_element_names_the_vessel_by_its_whole_text(tmp_path, name):
    text = kml_document(TRACK.replace("<name>Skiff</name>", f"<name>{name}</name>"))
    path = tmp_path / "named.kml"
    path.write_text(text)
    res = read_tracks(path)
    pm = ET.fromstring(text.encode()).find(f".//{{{KML}}}Placemark/{{{KML}}}name")
    want = "".join(pm.itertext()).strip()  # "Skiff Maria II"; it was " II", stripped "II"
    assert set(res.frame["vessel_id"]) == {want}
    assert len(res.frame) == 2 and res.rejects.empty


def test_a_track_inside_a_placemark_name_is_still_read_with_its_placemark(tmp_path):
    # not KML: the name's text is kept whole, and the track inside it still read (not taken
    # into the name, its positions gone unsaid)
    inner = TRACK.removeprefix("<Placemark><name>Skiff</name>").removesuffix("</Placemark>")
    text = kml_document(f"<Placemark><name>Odd{inner}</name></Placemark>")
    path = tmp_path / "odd.kml"
    path.write_text(text)
    res = read_tracks(path)
    assert_accounted(res)
    assert res.frame["lon"].tolist() == [1.0, 1.01]


def _encrypted(data: bytes) -> bytes:
    raw = bytearray(data)
    raw[raw.find(b"PK\x03\x04") + 6] |= 1  # general purpose flag bit 0: encrypted
    raw[raw.find(b"PK\x01\x02") + 8] |= 1
    return bytes(raw)


def _damaged(data: bytes, member: str) -> bytes:
    raw = bytearray(data)
    start = raw.find(b"PK\x03\x04") + 30 + len(member)  # the member's compressed bytes
    for k in range(start + 2, start + 40):
        raw[k] ^= 0x5A
    return bytes(raw)


def _deflate64(data: bytes) -> bytes:
    raw = bytearray(data)  # method 9 (Deflate64, Windows' zip of big files): not in zipfile
    raw[raw.find(b"PK\x03\x04") + 8] = 9
    raw[raw.find(b"PK\x01\x02") + 10] = 9
    return bytes(raw)


CSV = "MMSI,BaseDateTime,LAT,LON\n" + "".join(
    f"36600000{i % 2},2023-01-01T10:{i % 60:02d}:00,30.{i},-80.{i}\n" for i in range(300)
)


@pytest.mark.parametrize(
    ("file_name", "make", "match"),
    [
        ("enc.kmz", lambda: _encrypted(_zip({"doc.kml": kml_document(TRACK)})), "is encrypted"),
        ("bad.kmz", lambda: _damaged(_zip({"doc.kml": kml_document(TRACK)}), "doc.kml"), "KMZ"),
        (
            "bz2.kmz",
            lambda: _damaged(_zip({"doc.kml": kml_document(TRACK)}, zipfile.ZIP_BZIP2), "doc.kml"),
            "Invalid data stream",
        ),
        ("d64.kmz", lambda: _deflate64(_zip({"doc.kml": kml_document(TRACK)})), "not supported"),
        (
            "bad.zip",
            lambda: _damaged(_zip({"trip.kml": kml_document(TRACK)}), "trip.kml"),
            "trip.kml",
        ),
        ("ais.zip", lambda: _damaged(_zip({"ais.csv": CSV}), "ais.csv"), "ais.csv"),
    ],
    ids=[
        "encrypted-kmz",
        "damaged-kmz",
        "damaged-bzip2-kmz",
        "deflate64-kmz",
        "damaged-kml-in-zip",
        "damaged-csv-in-zip",
    ],
)
def test_an_encrypted_or_damaged_archive_is_refused_in_one_line(tmp_path, file_name, make, match):
    path = tmp_path / file_name
    path.write_bytes(make())
    with pytest.raises(SourceUnreadable, match=match):
        read_tracks(path)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"DOC.KML": "TRACK", "a.kml": "<kml/>"}, None),
        ({"TRIP.KML": "TRACK", "files/icon.png": "png"}, None),
        # none at the top: the one in a folder, as Google Earth reads it (test_kmz_subfolder_found)
        ({"files/doc.kml": "TRACK"}, None),
        ({"files/icon.png": "png"}, "0 KML documents"),
        ({"a.kml": "TRACK", "b.kml": "TRACK"}, "2 KML documents"),
    ],
    ids=["doc-kml-upper-case", "one-upper-case", "one-in-a-folder", "none", "two-at-top"],
)
def test_a_kmz_reads_doc_kml_in_any_case_and_refuses_none_or_two(tmp_path, members, match):
    path = tmp_path / "trip.kmz"
    path.write_bytes(
        _zip({k: kml_document(TRACK) if v == "TRACK" else v for k, v in members.items()})
    )
    if match is None:
        assert read_tracks(path).frame["lon"].tolist() == [1.0, 1.01]
    else:
        with pytest.raises(SourceUnreadable, match=match):
            read_tracks(path)


def test_a_kmz_declaring_gigabytes_is_refused_before_it_is_read(tmp_path):
    raw = bytearray(_zip({"doc.kml": kml_document(TRACK)}))
    size = struct.pack("<I", 0xFFFF_0000)  # about 4 GiB declared, a few hundred bytes real
    raw[raw.find(b"PK\x03\x04") + 22 : raw.find(b"PK\x03\x04") + 26] = size
    raw[raw.find(b"PK\x01\x02") + 24 : raw.find(b"PK\x01\x02") + 28] = size
    path = tmp_path / "bomb.kmz"
    path.write_bytes(bytes(raw))
    with pytest.raises(SourceUnreadable, match="expands to 4,096 MiB, above"):
        read_tracks(path)


def test_a_billion_laughs_inside_a_kmz_is_refused_not_expanded(tmp_path):
    laughs = (
        '<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
    )
    path = tmp_path / "lol.kmz"
    path.write_bytes(_zip({"doc.kml": kml_document(TRACK.replace("Skiff", "&c;"), laughs)}))
    with pytest.raises(SourceUnreadable, match="declares XML entities"):
        read_tracks(path)


# --- the run's read stage (pipeline/runner/stages/_read.py) ---------------------------------


def _feed(path, mmsi: int, lat: float = 43.0, bad: bool = True) -> None:
    """Two pings of one vessel and, when ``bad``, a third rejected (latitude 95) at line 4."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "mmsi,timestamp,lat,lon,sog\n"
        f"{mmsi},2024-01-01T00:00:00Z,{lat},5.0,10.0\n"
        f"{mmsi},2024-01-01T06:30:00Z,{lat + 0.01},5.1,10.0\n"
        + (f"{mmsi},2024-01-01T07:00:00Z,95.0,5.1,10.0\n" if bad else "")
    )


def test_two_files_of_the_same_bytes_keep_their_own_names_counts_and_rejects(tmp_path):
    from _ingest_stage import ingest_alone

    a, b = tmp_path / "in" / "a.csv", tmp_path / "in" / "b.csv"
    _feed(a, 211000001, bad=False)
    b.write_bytes(a.read_bytes())  # one night's file given twice under two names
    for night in ("first", "second"):  # read, then taken from the cache
        state = ingest_alone(tmp_path, "run", [a, b], None)
        ea, eb = state.ingest_report["tracks"]
        assert (ea["read"], ea["accepted"], ea["rejected"]) == (2, 2, 0), night
        # b's two pings are a's again: rejected as given by a, not counted twice
        assert (eb["read"], eb["accepted"], eb["rejected"]) == (2, 0, 2), night
        assert eb["by_rule"] == {"duplicate_across_files": 2}, night
        assert (ea["cached"], eb["cached"]) == (
            (False, False) if night == "first" else (True, True)
        )
        rej = pd.read_csv(state.staging / eb["rejects_file"])
        assert set(rej["source_file"]) == {"b.csv"}, night  # never a.csv, read first
        assert rej["row"].tolist() == [2, 3], night
        assert (state.staging / ea["rejects_file"]).name != (
            state.staging / eb["rejects_file"]
        ).name
    assert len(state.pings) == 2


def test_a_repeat_of_a_file_of_the_same_name_names_it_by_its_folder(tmp_path):
    from _ingest_stage import ingest_alone

    one, two = tmp_path / "one" / "ais.csv", tmp_path / "two" / "ais.csv"
    _feed(one, 211000001, bad=False)
    two.parent.mkdir()
    two.write_bytes(one.read_bytes())  # a receiver's day given again from another folder
    state = ingest_alone(tmp_path, "run", [one, two], None)
    names = [Path(e["rejects_file"]).name for e in state.ingest_report["tracks"]]
    assert names == ["tracks-ais.csv", "tracks-ais-2.csv"]
    rej = pd.read_csv(state.staging / state.ingest_report["tracks"][1]["rejects_file"])
    # 'ais.csv line 2' named no file of the two: the value is the earlier file by its folder
    assert rej["value"].tolist() == ["one/ais.csv line 2", "one/ais.csv line 3"]


def test_the_tracks_digest_follows_every_file_and_their_order(tmp_path):
    from _ingest_stage import ingest_alone

    a, b = tmp_path / "in" / "a.csv", tmp_path / "in" / "b.csv"
    _feed(a, 211000001)
    _feed(b, 211000002)
    first = ingest_alone(tmp_path, "run", [a, b], None).digests["tracks"]
    assert ingest_alone(tmp_path, "run", [b, a], None).digests["tracks"] != first
    _feed(a, 211000001, lat=43.5)  # the first file edited: the later stages must not keep
    assert ingest_alone(tmp_path, "run", [a, b], None).digests["tracks"] != first


def test_a_run_without_as_of_is_as_of_the_end_of_the_latest_positions_day(tmp_path):
    from _ingest_stage import ingest_alone

    a = tmp_path / "in" / "a.csv"
    _feed(a, 211000001)
    state = ingest_alone(tmp_path, "run", [a], None)
    # the latest accepted ping is 2024-01-01T06:30Z (the 07:00 one is rejected)
    assert state.as_of == pd.Timestamp("2024-01-01T23:59:59.999999Z")
    assert any(
        "the run is as of 2024-01-01, the day of the latest position" in n for n in state.notes
    )


def _ingest_night(
    tmp_path,
    tracks: list[dict],
    ingest: dict,
    bbox: list[float] | None = None,
    polygon: str | None = None,
):
    """The read stage alone over ``tracks`` (sources as the config writes them), cache kept."""
    import shutil

    import yaml

    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState
    from pipeline.runner.stages import ingest as ingest_stage

    out = tmp_path / "run"
    raw = {
        "run": {"out_dir": str(out)},
        "area": {"bbox": bbox or [0, 40, 10, 46], "resolution": 5, "polygon": polygon},
        "inputs": {"tracks": tracks},
        "ingest": ingest,
        "score": {"factors": {"vessel_hours": {"weight": 1}}},
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "run.yaml")
    staging = out / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    state = RunState(cfg, None, out, staging, StageCache(out / ".cache"))
    ingest_stage(state)
    state.background.take("pings").result()
    return state


def test_a_reading_is_taken_from_the_cache_only_under_the_same_source_ingest_and_area(
    tmp_path,
):
    a = tmp_path / "in" / "a.csv"
    _feed(a, 211000001)
    named = {"path": str(a), "vessel_id": "MV Test"}
    rate = {"max_reject_rate": 1.0}
    nights = [
        ({"path": str(a)}, rate, None, "211000001", False, 2),
        ({"path": str(a)}, rate, None, "211000001", True, 2),
        # the source's own options (here its vessel id) change what is read
        (named, rate, None, "MV Test", False, 2),
        # and so do ingest's: a speed ceiling the 6.5 h, 0.6 nm leg still passes, read anew
        (named, {**rate, "max_speed_kn": 40.0}, None, "MV Test", False, 2),
        # and the area: the first ping (longitude 5.0) is now outside it
        (named, {**rate, "max_speed_kn": 40.0}, [5.05, 40, 10, 46], "MV Test", False, 1),
    ]
    digests = []
    for src, ingest, bbox, vessel, cached, accepted in nights:
        state = _ingest_night(tmp_path, [src], ingest, bbox)
        digests.append(state.digests["tracks"])  # what the later stages' keys hold
        (entry,) = state.ingest_report["tracks"]
        assert entry["cached"] is cached, (src, ingest, bbox)
        assert set(state.pings["vessel_id"]) == {vessel}, (src, ingest, bbox)
        assert (entry["read"], entry["accepted"]) == (3, accepted), (src, ingest, bbox)
        assert entry["rejected"] == 3 - accepted == sum(entry["by_rule"].values())
    # the same reading, the same digest; another reading of the same bytes, another
    assert digests[0] == digests[1] and len(set(digests)) == 4


def test_an_area_polygon_edited_in_place_is_a_new_reading_of_the_tracks(tmp_path):
    import json

    a = tmp_path / "in" / "a.csv"
    _feed(a, 211000001)
    area = tmp_path / "area.geojson"

    def write_area(notch: float) -> None:
        # a notch from the west edge to longitude ``notch`` around latitude 43: the
        # polygon's bounds (the run's bbox) stay the same whatever the notch
        ring = [[0, 40], [10, 40], [10, 46], [0, 46], [0, 43.5], [notch, 43.5]]
        ring += [[notch, 42.5], [0, 42.5], [0, 40]]
        geom = {"type": "Polygon", "coordinates": [ring]}
        feature = {"type": "Feature", "properties": {}, "geometry": geom}
        area.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    rate = {"max_reject_rate": 1.0}
    accepted = []
    for notch in (1.0, 5.05):  # the polygon, then edited: the first ping outside
        write_area(notch)
        state = _ingest_night(tmp_path, [{"path": str(a)}], rate, polygon=str(area))
        (entry,) = state.ingest_report["tracks"]
        accepted.append((entry["accepted"], entry["cached"]))
    assert accepted == [(2, False), (1, False)]


def _plt(path, lat0: float, minute: int, track_name: str = "My Track") -> None:
    """An OziExplorer/Geolife ``.plt`` of three points, a device's default track name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(
        f"{lat0 + i * 0.001},5.0{i},0,100,{45000 + (i * 60 + minute) / 1440:.8f},2023-03-15,"
        f"0{i}:{minute:02d}:00\n"
        for i in range(3)
    )
    path.write_text(
        "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n"
        f"0,2,255,{track_name},0,0,2,8421376\n0\n{rows}"
    )


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "spilled"])
def test_two_loggers_plt_of_one_name_are_refused_not_joined_into_one_vessel(tmp_path, chunk_rows):
    from _ingest_stage import ingest_alone

    from pipeline.errors import InputError

    # two phones' exports of their default track, each named track.plt: each was the vessel
    # 'track', one track jumping 110 km between the phones every half hour, exit 0
    a, b = tmp_path / "phone1" / "track.plt", tmp_path / "phone2" / "track.plt"
    _plt(a, 43.0, 0)
    _plt(b, 44.0, 30)
    with pytest.raises(InputError, match=r"'phone1/track.plt' and 'phone2/track.plt'.*'track'"):
        ingest_alone(tmp_path, "run", [a, b], chunk_rows)
    # a track named in the file names its vessel: two vessels, read
    _plt(b, 44.0, 30, track_name="Skiff Maria")
    state = ingest_alone(tmp_path, "run2", [a, b], chunk_rows)
    assert sorted(set(state.pings["vessel_id"])) == ["Skiff Maria", "track"]


def test_three_inputs_of_one_name_but_case_keep_three_rejects_files(tmp_path):
    from _ingest_stage import feed_of_one_reject_each, ingest_alone

    # AIS, ais, Ais: one file on a case-insensitive file system (macOS, Windows); the third
    # took 'Ais-2', the second's 'ais-2' there, and overwrote its rejects
    files = feed_of_one_reject_each(tmp_path / "feed", ["AIS", "ais", "Ais"])
    state = ingest_alone(tmp_path, "night", files, None)
    recorded = [Path(e["rejects_file"]).name for e in state.ingest_report["tracks"]]
    assert recorded == ["tracks-AIS.csv", "tracks-ais-2.csv", "tracks-Ais-3.csv"]


def test_records_at_0_0_count_toward_the_ceiling_where_the_area_holds_0_0(tmp_path):
    from pipeline.errors import DataQualityError

    path = tmp_path / "in" / "gulf.csv"
    path.parent.mkdir()
    path.write_text(
        "mmsi,timestamp,lat,lon,sog\n"
        "657000001,2024-01-01T00:00:00Z,1.0,1.0,10.0\n"
        "657000001,2024-01-01T01:00:00Z,0.0,0.0,10.0\n"
        "657000001,2024-01-01T02:00:00Z,0.0,0.0,10.0\n"
    )
    # outside an area far from (0, 0) such records are placeholders, out of the ceiling's
    # scope; in the Gulf of Guinea they are records of the area, and 2 of 3 is above 0.5
    with pytest.raises(DataQualityError, match="2 of 3 records"):
        _ingest_night(tmp_path, [{"path": str(path)}], {}, bbox=[-5, -5, 5, 5])
