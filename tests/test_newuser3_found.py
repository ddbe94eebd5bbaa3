"""What a new user found missing or wrong in the statements route-risk makes (session hDY).

The ingest summary, the run's summary, the map's footer and ``validate`` on the demo and on
real public data (Solent AIS, pirate attacks, GeoTIFFs, Natural Earth).  Each test fails on
the code as it was before its fix; all use tiny synthetic inputs and in-process calls.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.ingest import IngestOptions, read_tracks, summarise_ingest


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
