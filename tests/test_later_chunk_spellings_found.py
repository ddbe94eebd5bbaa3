"""Two spellings of a position that differ only past a file's first chunk are refused too.

``Latitude`` beside ``Lat DD``: where both are given and differ, which one is the position is
a guess, and reading the file whole refused it.  Read in chunks (a large file, or a Dask
run's tasks), the columns were checked on the first chunk only; a difference first met in a
later chunk took ``Latitude`` without a word (exit 0, the other spelling's values unused).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests._ingest_stage import track_outcome

T0 = pd.Timestamp("2024-05-01T00:00:00")


def _file(tmp_path, differ_from: int | None, n: int = 1800):
    """Two vessels, both spellings given; 'Lat DD' (or 'Lon DD') moved 0.3 deg from row ``differ_from``."""
    rows = ["mmsi,timestamp,Latitude,Longitude,Lat DD,Lon DD"]
    for i in range(n):
        t = (T0 + pd.Timedelta(minutes=10 * (i // 2))).strftime("%Y-%m-%dT%H:%M:%S")
        lat, lon = 43.0 + i % 2, 5 + (i // 2) * 0.03
        other_lat, other_lon = lat, lon
        if differ_from is not None and i >= differ_from:
            other_lat += 0.3
        blank = i % 7 == 3  # 'Latitude' blank now and then: 'Lat DD' fills it
        a = ("", "") if blank else (f"{lat:.4f}", f"{lon:.4f}")
        rows.append(f"{257000001 + i % 2},{t},{a[0]},{a[1]},{other_lat:.4f},{other_lon:.4f}")
    path = tmp_path / "two.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


# read whole, the file was refused before (tests/test_ingest_found_pairs.py); agreeing spellings
# read alike whole and in chunks (tests/test_sweep8_tracks.py)
@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_a_difference_past_the_first_chunk_is_refused_however_read(tmp_path, how):
    path = _file(tmp_path, differ_from=1600)  # past the first chunk's 64 KiB (~1,200 rows)
    got = track_outcome(path, how, 200, tmp_path)
    assert got[0] == "refused", got[0]
    assert "'Latitude' and 'Lat DD' both name the latitude" in got[1]
    assert "43.0000" in got[1] or "44.0000" in got[1]


def test_a_second_spelling_in_metres_is_no_other_reading_in_any_chunk(tmp_path):
    """'Lat DD' holding metres: passed over read whole, and in every chunk alike (hHA)."""
    path = _file(tmp_path, differ_from=None)
    text = path.read_text().splitlines()
    rows = [text[0]]
    for line in text[1:]:
        f = line.split(",")
        f[4] = f"{float(f[4]) * 111_320:.1f}"  # northing-like metres, no degrees
        f[2] = f[2] or f"{float(f[4]) / 111_320:.4f}"  # no blank to fill from it
        rows.append(",".join(f))
    path.write_text("\n".join(rows) + "\n")
    whole = track_outcome(path, "whole", 200, tmp_path)
    chunks = track_outcome(path, "chunks", 200, tmp_path)
    assert whole[0] != "refused", whole
    assert chunks[0] == whole[0]
