"""What a new user found missing or wrong in the statements route-risk makes (session hDY).

The ingest summary, the run's summary, the map's footer and ``validate`` on the demo and on
real public data (Solent AIS, pirate attacks, GeoTIFFs, Natural Earth).  Each test fails on
the code as it was before its fix; all use tiny synthetic inputs and in-process calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline._terminal import share_to_percent
from pipeline.ingest import IngestOptions, format_summary, read_tracks, summarise_ingest


def _ais(path: Path, sog: list[float], cog: list[float], lat: list[float] | None = None) -> Path:
    """Two vessels' pings a minute apart near the Solent, with the given SOG and COG."""
    n = len(sog)
    frame = pd.DataFrame(
        {
            "Time": pd.date_range("2016-01-12 13:00", periods=n, freq="1min").strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "MMSI": [235000001 + (i % 2) for i in range(n)],
            "Latitude_degrees": lat or [50.80 + 0.001 * i for i in range(n)],
            "Longitude_degrees": [-1.30 + 0.001 * i for i in range(n)],
            "COG_degrees": cog,
            "SOG_knots": sog,
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_ais_not_available_speed_and_course_are_counted_in_a_note(tmp_path):
    """COG 360 on 1,027 Solent pings became missing with no word: AIS's 'not available'
    (SOG 102.3, COG 360) is a missing value, and the summary says how many, in which column."""
    sog = [5.0] * 12
    cog = [90.0] * 12
    sog[3] = sog[7] = 102.3
    cog[2] = cog[5] = cog[9] = 360.0
    src = _ais(tmp_path / "ais.csv", sog, cog)
    r = read_tracks(src)
    assert r.frame["sog_kn"].isna().sum() == 2 and r.frame["cog_deg"].isna().sum() == 3
    speed = [n for n in r.notes if "speed column 'SOG_knots'" in n]
    course = [n for n in r.notes if "course column 'COG_degrees'" in n]
    assert len(speed) == 1 and "holds 2 value(s) of 102.3 kn, AIS's 'not available'" in speed[0]
    assert (
        len(course) == 1 and "holds 3 value(s) of 360 degrees, AIS's 'not available'" in (course[0])
    )
    # read in chunks (a large file), the file's counts are added up: one note per column
    chunked = summarise_ingest("tracks", src, options=IngestOptions(chunk_rows=4))
    assert [n for n in chunked["notes"] if "AIS's 'not available'" in n] == [*speed, *course]


def test_ais_position_not_available_is_rejected_with_its_rule(tmp_path):
    """Latitude 91 is AIS's 'not available' position: the ping is rejected, counted by rule."""
    lats = [50.8 + 0.001 * i for i in range(6)]
    lats[4] = 91.0
    r = read_tracks(_ais(tmp_path / "pos.csv", [5.0] * 6, [90.0] * 6, lats))
    assert r.by_rule.get("position_unavailable") == 1


def test_a_small_share_never_prints_as_0_or_100_percent(tmp_path):
    """A raster covering 0.04 % of the area printed "area coverage 0% of the bbox" under a
    note saying "<1%"; 4 rejects among 18,623 pings printed "(0.0%)"."""
    from _rasters import write_tif
    from rasterio.transform import from_origin

    # 1 x 1 degree of valid pixels inside a 50 x 50 degree area: 0.04 % of it
    tif = write_tif(tmp_path / "r.tif", np.ones((4, 4), "float32"), from_origin(0, 1, 0.25, 0.25))
    summary = summarise_ingest("raster", tif, aoi_bbox=(-25.0, -25.0, 25.0, 25.0))
    assert 0 < summary["coverage"]["overlap_fraction"] < 0.005
    text = format_summary(summary)
    (line,) = [x for x in text.splitlines() if "area coverage" in x]
    assert line.split() == "area coverage <1% of the bbox, 100% of its cells valid".split()
    tracks = {"source": "ais.csv", "kind": "tracks", "read": 18623, "accepted": 18619}
    text = format_summary({**tracks, "rejected": 4, "reject_rate": 4 / 18623})
    assert "rejected 4 (<0.1%)" in text
    text = format_summary({**tracks, "rejected": 18622, "reject_rate": 18622 / 18623})
    assert "(>99.9%)" in text


@pytest.mark.parametrize(
    ("share", "decimals", "said"),
    [(0.0, 0, "0%"), (0.004, 0, "<1%"), (0.005, 0, "<1%"), (0.25, 0, "25%"), (0.9996, 0, ">99%")]
    + [(1.0, 0, "100%"), (0.0004, 1, "<0.1%"), (0.99999, 2, ">99.99%"), (None, 0, "unknown")],
)
def test_share_to_percent(share, decimals, said):
    """The one helper every summary line and note prints a share with."""
    assert share_to_percent(share, decimals) == said


def test_the_map_footer_names_every_input_the_run_reads(tmp_path):
    """The footer's "inputs:" listed the seizure, track and raster files only: a map scored
    at sea by a land layer, with ports, in an area file's polygon, did not name them."""
    from conftest import config_from

    from pipeline.runner.stages import map_input_names

    names = ["s.csv", "t.csv", "r.tif", "cvg.tif", "ports.csv", "land.json", "lanes.json"]
    names += ["aoi.geojson"]
    for n in names:
        (tmp_path / n).write_text("")
    p = {n: str(tmp_path / n) for n in names}
    raw = {
        "run": {"as_of": "2026-06-30"},
        "area": {"polygon": p["aoi.geojson"], "resolution": 4},
        "inputs": {
            "seizures": [{"path": p["s.csv"]}],
            "tracks": [{"path": p["t.csv"]}],
            "rasters": [{"path": p["r.tif"], "name": "lights", "mask": p["cvg.tif"]}],
            "ports": p["ports.csv"],
            "context": [
                {"path": p["land.json"], "kind": "land"},
                {"path": p["lanes.json"], "kind": "lanes"},
            ],
        },
    }
    assert sorted(map_input_names(config_from(raw, tmp_path))) == sorted(names)


def test_the_run_summary_says_which_column_was_read_as_what(tmp_path):
    """``route-risk run`` printed each input's counts and notes, but not the column guesses
    the manifest holds (lat, lon, time, vessel id): one 'assumed:' line per input now."""
    from pipeline.cli import run_summary_lines
    from pipeline.ingest import read_seizures

    tracks = read_tracks(_ais(tmp_path / "ais.csv", [5.0] * 6, [90.0] * 6))
    (tmp_path / "s.csv").write_text(
        "when,Y,X,what\n03/04/2020,10.5,-61.2,cocaine\n25/04/2020,10.6,-61.3,cocaine\n"
    )
    seizures = read_seizures(tmp_path / "s.csv")

    def entry(path: str, r) -> dict:
        return {
            "path": path,
            "read": r.n_read,
            "accepted": r.n_accepted,
            "rejected": r.n_rejected,
            "by_rule": {},
            "notes": [],
            "assumptions": r.assumptions,
        }

    manifest = {
        "inputs": {"seizures": [entry("s.csv", seizures)], "tracks": [entry("ais.csv", tracks)]},
        "counts": {"cells": 3, "seizures_used": 2, "pings_used": 6},
    }
    lines = run_summary_lines(manifest, tmp_path)
    said = {lines[i - 1].split(" ")[0]: line for i, line in enumerate(lines) if "assumed:" in line}
    assert set(said) == {"s.csv", "ais.csv"}, lines
    assert "columns lat 'Y', lon 'X', time 'when'" in said["s.csv"]
    assert (
        "dates day-first (values)" in said["s.csv"] and "CRS EPSG:4326 (default)" in said["s.csv"]
    )
    for role, col in [("lat", "Latitude_degrees"), ("time", "Time"), ("vessel_id", "MMSI")]:
        assert f"{role} {col!r}" in said["ais.csv"]
    assert "time zone: 6 value(s) without zone taken as UTC" in said["ais.csv"]


def test_validate_counts_the_context_layers_and_the_area_file(tmp_path, capsys):
    """validate said "valid (1 seizure, 0 track, 0 raster input(s))" for a config that
    also reads a ports file, a land layer and an area polygon."""
    from conftest import config_from

    from pipeline.cli import main

    for n in ("s.csv", "ports.csv", "land.json"):
        (tmp_path / n).write_text("")
    (tmp_path / "aoi.geojson").write_text(
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}'
    )
    raw = {
        "run": {"as_of": "2026-06-30"},
        "area": {"polygon": str(tmp_path / "aoi.geojson"), "resolution": 4},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "s.csv")}],
            "ports": str(tmp_path / "ports.csv"),
            "context": [{"path": str(tmp_path / "land.json"), "kind": "land"}],
        },
    }
    cfg = config_from(raw, tmp_path)
    assert main(["validate", str(cfg.source), "-q"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(
        "valid (1 seizure, 0 track, 0 raster, 2 context input(s): ports, land; "
        "area polygon aoi.geojson)"
    ), first


@pytest.mark.parametrize("chunk_rows", [None, 4], ids=["whole", "chunks"])
def test_ingest_out_names_the_rejects_file_as_a_run_does(tmp_path, chunk_rows):
    """``route-risk ingest tracks ais.csv --out DIR`` wrote rejects/ais.csv; a run writes
    the same input's rejects to rejects/tracks-ais.csv (README's outputs table)."""
    src = _ais(tmp_path / "ais.csv", [5.0] * 8, [90.0] * 8, [50.8] * 4 + [91.0] + [50.9] * 3)
    s = summarise_ingest(
        "tracks", src, options=IngestOptions(chunk_rows=chunk_rows), out_dir=tmp_path / "o"
    )
    assert s["rejected"] >= 1
    assert Path(s["rejects_file"]) == tmp_path / "o" / "rejects" / "tracks-ais.csv"
    assert [p.name for p in (tmp_path / "o" / "rejects").iterdir()] == ["tracks-ais.csv"]
