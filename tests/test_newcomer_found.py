"""A new analyst's first day on the real public data: the silent wrong answers found (hBU).

Each test fails on the code before its fix.  Tests on ``../shared/data`` skip when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import InputError

SOLENT = "tracks/SolentAIS_20160112_130211.csv"
PIRATES = "events/pirate_attacks.csv"


def _seizures(path: Path):
    from pipeline.ingest import SeizureSource, read_seizures

    return read_seizures(SeizureSource(path=path))


def _ports(path: Path):
    from pipeline.ingest import ContextSource, read_context

    return read_context(ContextSource(path=path, kind="ports"))


# ---------------------------------------------------------------- a file in the wrong slot


def test_ais_pings_given_as_seizures_are_refused_not_read_as_events(shared_data):
    """The Solent AIS sample under inputs.seizures was 18,620 seizures on one day."""
    with pytest.raises(InputError, match=r"vessel positions, not seizure records.*'MMSI'"):
        _seizures(shared_data / SOLENT)


def test_ais_pings_given_as_ports_are_refused_not_read_as_ports(shared_data):
    """The Solent AIS sample under inputs.ports was 18,623 ports."""
    with pytest.raises(InputError, match=r"vessel positions, not ports.*inputs\.tracks"):
        _ports(shared_data / SOLENT)


def test_incidents_naming_their_vessel_are_still_seizures(shared_data):
    """An incident table with a vessel's name (no speed or course) is read as it was."""
    res = _seizures(shared_data / PIRATES)
    assert (res.n_read, len(res.frame)) == (7511, 7490)


def test_a_few_seizures_of_tracked_vessels_are_still_seizures(tmp_path):
    """One record per vessel with its speed at the interdiction is not a track."""
    p = tmp_path / "boardings.csv"
    p.write_text(
        "date,lat,lon,mmsi,sog\n"
        "2024-01-02,10.5,-60.1,244123000,12.5\n"
        "2024-02-03,11.5,-61.1,244123001,3.5\n"
        "2024-03-04,12.5,-62.1,244123002,0.5\n"
    )
    assert len(_seizures(p).frame) == 3


def test_pings_with_their_columns_named_are_taken_as_told(tmp_path):
    """``columns:`` says the user knows what the file is: read as seizures."""
    from pipeline.ingest import SeizureSource, read_seizures

    p = tmp_path / "pings.csv"
    rows = [
        f"2024-01-0{d} 10:0{m}:00,50.{m},-1.{d},235000{d}00,12.0" for d in (1, 2) for m in (1, 2, 3)
    ]
    p.write_text("time,lat,lon,mmsi,sog\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match="vessel positions"):
        read_seizures(SeizureSource(path=p))
    res = read_seizures(SeizureSource(path=p, columns={"time": "time"}))
    assert len(res.frame) == 6


def test_cli_ais_as_seizures_ends_in_one_line_exit_2(shared_data):
    """``route-risk ingest seizures`` of an AIS file: one line, exit 2, no traceback."""
    cp = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "--log-format",
            "text",
            "ingest",
            "seizures",
            str(shared_data / SOLENT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cp.returncode == 2, cp.stderr
    lines = [ln for ln in cp.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "inputs.tracks" in lines[0], cp.stderr


# ---------------------------------------------------------------- what 'accepted' means


def test_gpx_track_without_times_is_named_in_the_files_summary(shared_data):
    """korita-zbevnica.gpx: 'accepted 871' said nothing of the 358 points a run leaves out.

    The run noted them (pings_untimed), but ``route-risk ingest`` - trying the file as the
    pipeline would - read as if every point were used.
    """
    from pipeline.ingest import TrackSource, read_tracks

    res = read_tracks(TrackSource(path=shared_data / "tracks/korita-zbevnica.gpx"))
    assert len(res.frame) == 871
    said = [n for n in res.notes if "untimed" in n]
    assert len(said) == 1 and said[0].split(": ", 1)[1].startswith("358 point(s) of 1 track")
    assert "03-OCT-10 #2" in said[0]


# ---------------------------------------------------------------- events, ports and footprints (hBW)


def _points_geojson(path: Path, lonlats: list, properties: list) -> None:
    """Write a FeatureCollection of points with their properties."""
    feats = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(xy)}, "properties": p}
        for xy, p in zip(lonlats, properties, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def _context(path: Path, kind: str, **columns: str):
    from pipeline.ingest import ContextSource, read_context

    return read_context(ContextSource(path=path, kind=kind, columns=columns))


def test_incidents_given_as_ports_are_refused_not_read_as_ports(shared_data):
    """pirate_attacks.csv under inputs.ports was 7,510 ports named by the ship attacked."""
    with pytest.raises(InputError, match=r"dated events, not ports.*'date'.*inputs\.seizures"):
        _ports(shared_data / PIRATES)


_UNLOCODE = (
    "Change,Country,Location,Name,NameWoDiacritics,Subdivision,Status,Function,Date,IATA,"
    "Coordinates,Remarks\n"
    ",NL,RTM,Rotterdam,Rotterdam,ZH,AI,12345---,{d0},,5155N 00430E,\n"
    ",NL,AMS,Amsterdam,Amsterdam,NH,AI,12345---,{d1},,5223N 00454E,\n"
    ",BE,ANR,Antwerpen,Antwerpen,VAN,AI,12345---,{d2},,5113N 00425E,\n"
    ",FR,LEH,Le Havre,Le Havre,76,AI,1234----,{d3},,4929N 00006E,\n"
)
_PORT_TABLES = {
    "unlocode_yymm.csv": _UNLOCODE.format(d0="0701", d1="1207", d2="0501", d3="9501"),
    "unlocode_dates.csv": _UNLOCODE.format(
        d0="2007-01-15", d1="2012-07-03", d2="2005-01-20", d3="1995-01-01"
    ),
    "wpi.csv": (
        "World Port Index Number,Region Name,Main Port Name,Alternate Port Name,UN/LOCODE,"
        "Country Code,Harbor Size,Harbor Type,Estimated Time of Arrival Message,Latitude,"
        "Longitude\n"
        "61030,Netherlands -- 26310,Rotterdam,,NL RTM,Netherlands,L,RN,Y,51.9,4.5\n"
        "61020,Netherlands -- 26310,Amsterdam,,NL AMS,Netherlands,L,RN,Y,52.38,4.9\n"
        "37070,Belgium -- 26330,Antwerpen,Antwerp,BE ANR,Belgium,L,RN,Y,51.23,4.4\n"
    ),
    "osm_harbours.csv": (
        "@id,name,harbour,seamark:type,check_date,start_date,lat,lon\n"
        "node/1,Port A,yes,harbour,2023-05-01,1890,50.1,-1.2\n"
        "node/2,Port B,yes,harbour,2022-03-11,,50.2,-1.3\n"
        "node/3,Marina C,yes,harbour,2023-05-01,,50.3,-1.4\n"
    ),
}


@pytest.mark.parametrize("fname", sorted(_PORT_TABLES))
def test_real_port_tables_are_ports_and_not_seizures(tmp_path, fname):
    """UN/LOCODE (a revision Date), WPI and OSM harbours (check_date) are ports.

    As seizures they were read quietly, each port a seizure on its entry's date (the OSM
    extract gave 3 seizures, UN/LOCODE with ISO revision dates 4).
    """
    p = tmp_path / fname
    p.write_text(_PORT_TABLES[fname])
    n = _PORT_TABLES[fname].count("\n") - 1
    assert len(_ports(p).frame) == n
    with pytest.raises(InputError, match=r"a list of ports, not seizure records.*inputs\.ports"):
        _seizures(p)


def test_osm_harbours_geojson_with_check_dates_are_ports(tmp_path):
    """A GeoJSON of OSM harbour nodes with check_date is read as ports (vector path)."""
    p = tmp_path / "harbours.geojson"
    _points_geojson(
        p,
        [(-1.2, 50.1), (-1.3, 50.2), (-1.4, 50.3)],
        [{"name": f"P{i}", "harbour": "yes", "check_date": f"2023-0{i}-01"} for i in (1, 2, 3)],
    )
    assert len(_ports(p).frame) == 3


_SEIZURES = (
    "seizure_date,lat,lon,commodity,quantity_kg,port_of_loading\n"
    "2024-01-02,10.5,-60.1,cocaine,120,Callao\n"
    "2024-02-03,11.5,-61.1,cannabis,300,Callao\n"
    "2024-03-04,12.5,-62.1,cocaine,50,Guayaquil\n"
    "2024-03-05,12.6,-62.2,cocaine,55,Callao\n"
)


def test_seizures_given_as_ports_are_refused_and_columns_take_them_as_told(tmp_path):
    """A seizure table under inputs.ports was one port per seizure; columns: bypasses."""
    p = tmp_path / "seizures.csv"
    p.write_text(_SEIZURES)
    assert len(_seizures(p).frame) == 4  # still seizures: it names what was seized
    with pytest.raises(InputError, match=r"dated events, not ports.*'seizure_date'"):
        _ports(p)
    assert len(_context(p, "ports", lat="lat", lon="lon").frame) == 4


def test_seizure_points_given_as_ports_from_geojson_are_refused(tmp_path):
    """The same events as a GeoJSON of points (the vector path) are refused too."""
    p = tmp_path / "events.geojson"
    _points_geojson(
        p,
        [(-60.1, 10.5), (-61.1, 11.5), (-62.1, 12.5)],
        [{"incident_date": f"2024-0{i}-02", "commodity": "cocaine"} for i in (1, 2, 3)],
    )
    with pytest.raises(InputError, match=r"dated events, not ports.*'incident_date'"):
        _ports(p)


def test_ports_listed_with_columns_named_are_seizures_as_told(tmp_path):
    """``columns:`` reads an OSM harbour list as seizures when the user says so."""
    from pipeline.ingest import SeizureSource, read_seizures

    p = tmp_path / "osm.csv"
    p.write_text(_PORT_TABLES["osm_harbours.csv"])
    res = read_seizures(SeizureSource(path=p, columns={"time": "check_date"}))
    assert len(res.frame) == 3


def _tracks_all_ways(path: Path, tmp: Path, engine=None, **src):
    """Read a track file whole, in chunks of 7 records, and as partitions on ``engine``."""
    from pipeline.engine import LocalEngine
    from pipeline.ingest import TrackSource, read_tracks
    from pipeline.ingest.stream import spill_tracks, spill_tracks_partitioned

    source = TrackSource(path=path, **src)
    out = {}
    for how, read in (
        ("whole", lambda: len(read_tracks(source).frame)),
        ("chunks", lambda: spill_tracks(source, tmp / "c", chunk_rows=7).n_accepted),
        (
            "partitions",
            lambda: (
                spill_tracks_partitioned(
                    [source], [tmp / "p"], engine or LocalEngine(), chunk_rows=7, n_buckets=4
                )[0].n_accepted
            ),
        ),
    ):
        try:
            out[how] = read()
        except InputError as exc:
            out[how] = str(exc)
    return out


def _incidents(tmp_path: Path) -> Path:
    """40 attacks on 30 ships (most attacked once), each dated to the day."""
    rows = [
        f"2019-{1 + i % 12:02d}-{1 + i % 28:02d},{1 + i * 0.1:.2f},{100 + i * 0.1:.2f},"
        f"MV Ship {i % 30},Boarded"
        for i in range(40)
    ]
    p = tmp_path / "incidents.csv"
    p.write_text("date,lat,lon,vessel_name,attack_type\n" + "\n".join(rows) + "\n")
    return p


def test_incidents_given_as_tracks_are_refused_alike_whole_chunked_and_partitioned(tmp_path):
    """Dated incidents under inputs.tracks were pings of vessels at midnight.

    The decision is the file's: whole, in chunks of 7 records and as partitions alike.
    """
    said = _tracks_all_ways(_incidents(tmp_path), tmp_path)
    assert len(set(said.values())) == 1, said
    msg = said["whole"]
    assert isinstance(msg, str) and msg.startswith("incidents.csv: dated events, not vessel")
    assert "20 of 30 'vessels'" in msg and "40 of 40 times" in msg and "inputs.seizures" in msg


def test_incidents_as_tracks_with_columns_named_are_taken_as_told(tmp_path):
    """``columns:`` reads the same file as tracks when the user says so."""
    cols = {"vessel_id": "vessel_name", "time": "date", "lat": "lat", "lon": "lon"}
    said = _tracks_all_ways(_incidents(tmp_path), tmp_path, columns=cols)
    assert said == {"whole": 40, "chunks": 40, "partitions": 40}


def test_noon_reports_and_a_fleet_of_single_pings_are_still_tracks(tmp_path):
    """Noon reports (a dated position a day, many days per ship) and a fleet file where
    most vessels have one ping at its time of day are tracks, however they are read."""
    noon = tmp_path / "noon.csv"
    noon.write_text(
        "ship,date,lat,lon\n"
        + "".join(
            f"Ship {s},2024-01-{d:02d},{10 + s + d * 0.1:.2f},{60 + d * 0.1:.2f}\n"
            for s in range(12)
            for d in range(1, 11)
        )
    )
    assert _tracks_all_ways(noon, tmp_path / "n") == {
        "whole": 120,
        "chunks": 120,
        "partitions": 120,
    }
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "mmsi,time,lat,lon\n"
        + "".join(
            f"2440000{v:02d},2024-01-01 {v % 24:02d}:{7 * v % 60:02d}:00,{50 + v * 0.01:.3f},1.0\n"
            for v in range(30)
        )
        + "".join(f"244000000,2024-01-01 12:{m:02d}:00,50.0,1.{m:02d}\n" for m in range(10))
    )
    assert _tracks_all_ways(fleet, tmp_path / "f") == {"whole": 40, "chunks": 40, "partitions": 40}


def test_incidents_as_tracks_on_a_dask_cluster_are_refused_as_read_whole(tmp_path, dask_cluster):
    """The Dask engine decides for the file as the local one does.

    On conftest's cluster, through a client of its own: an engine whose task fails closes
    itself (and the cluster it started).
    """
    from pipeline.config import DaskConfig
    from pipeline.engine import open_engine

    address = dask_cluster.engine().client.scheduler.address
    with open_engine("dask", DaskConfig(scheduler=address)) as eng:
        said = _tracks_all_ways(_incidents(tmp_path), tmp_path, engine=eng)
    assert len(set(said.values())) == 1 and "dated events" in said["whole"], said


def test_cli_incidents_as_tracks_end_in_one_line_exit_2(shared_data):
    """``route-risk ingest tracks pirate_attacks.csv``: one line, exit 2 (was 6,041 pings)."""
    cp = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--log-format", "text", "ingest", "tracks"]
        + [str(shared_data / PIRATES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cp.returncode == 2, cp.stderr
    lines = [ln for ln in cp.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "dated events" in lines[0] and "inputs.seizures" in lines[0]


def test_raster_footprint_given_as_land_or_lanes_is_refused(tmp_path):
    """``rio bounds`` of a raster under inputs.land was one land polygon over its area."""
    p = tmp_path / "footprint.geojson"
    p.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":'
        '"Polygon","coordinates":[[[-79,23.5],[-76.5,23.5],[-76.5,25.5],[-79,25.5],'
        '[-79,23.5]]]},"properties":{"filename":"RGB.byte.tif","id":"0"}}]}'
    )
    for kind in ("land", "lanes"):
        with pytest.raises(InputError, match=rf"raster footprints, not {kind}.*inputs\.rasters"):
            _context(p, kind)
    assert len(_context(p, "land", name="id").frame) == 1


def test_natural_earth_land_and_coastline_are_still_land(shared_data):
    """The real land and coastline layers are read as before (no attribute names a raster)."""
    assert len(_context(shared_data / "context/ne_110m_land.json", "land").frame) == 127
    assert len(_context(shared_data / "context/ne_110m_coastline.json", "land").frame) == 134


def test_natural_earth_land_and_coastline_given_as_lanes_are_refused(shared_data):
    """Natural Earth's land was 127 "lane areas" and its coastline 134 lanes under inputs.lanes."""
    for layer in ("ne_110m_land.json", "ne_110m_coastline.json"):
        with pytest.raises(InputError, match=r"land or coastline, not shipping lanes.*kind: land"):
            _context(shared_data / "context" / layer, "lanes")
    # named columns take the layer as told
    assert (
        len(
            _context(
                shared_data / "context/ne_110m_coastline.json", "lanes", name="featurecla"
            ).frame
        )
        == 134
    )


def _features(path: Path, rows: list[tuple[dict, list]]) -> Path:
    """Write a GeoJSON of polygons with their properties."""
    feats = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for props, ring in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


_BOX = [[-5.5, 50.0], [-5.0, 50.0], [-5.0, 50.2], [-5.5, 50.2], [-5.5, 50.0]]


def test_a_traffic_separation_scheme_given_as_land_is_refused_and_lanes_stay_lanes(tmp_path):
    """A routeing measure under inputs.land would take the lanes' cells off the sea."""
    tss = _features(
        tmp_path / "tss.geojson",
        [
            ({"THEMELAYER": "Traffic Separation Schemes", "OBJL": 148}, _BOX),
            ({"THEMELAYER": "Traffic Separation Schemes/Traffic Lane Parts", "OBJL": 150}, _BOX),
            ({"THEMELAYER": "Shipping Fairways Lanes and Zones", "OBJL": 151}, _BOX),
        ],
    )
    with pytest.raises(InputError, match=r"shipping lanes, not land.*'THEMELAYER'.*kind: lanes"):
        _context(tss, "land")
    assert len(_context(tss, "lanes").frame) == 3
    assert len(_context(tss, "land", name="OBJL").frame) == 3
    # a lanes layer that names its lanes by class, and land that names islands, read as given
    major = _features(tmp_path / "lanes.geojson", [({"Type": "Major"}, _BOX)] * 3)
    assert len(_context(major, "lanes").frame) == 3
    islands = _features(tmp_path / "islands.geojson", [({"featurecla": "Island"}, _BOX)] * 2)
    assert len(_context(islands, "land").frame) == 2
    with pytest.raises(InputError, match="land or coastline, not shipping lanes"):
        _context(islands, "lanes")
