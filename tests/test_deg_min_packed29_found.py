"""Numbers run together as NMEA writes degrees and minutes, under a header saying ``deg min``.

Found on 2026-12-07 (the twenty-eighth session's diff review): ``Latitude (deg min)`` is read
as the values' layout (``12 30.5``), yet a number as a GPS logger's NMEA fields write it,
degrees and minutes run together (``0030.40``, ``00112.10``), was read as decimal degrees:
0°30.40'N 1°12.10'E placed at 30.4°N 112.1°E with exit 0, while ``4530.40`` beside it was a
rejected latitude.  Under such a header a number of four whole digits (five for a longitude)
or more is now read as NMEA means it, in seizures and in tracks, whole and in chunks, with a
note; fewer whole digits stay decimal degrees and minutes of 60 or more are rejected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _ingest_stage import track_outcome

from pipeline.ingest import read_seizures, read_tracks

HEADER = "Date,Latitude (deg min),Longitude (deg min)"


def _seizures(tmp_path, rows: list[str], header: str = HEADER):
    path = tmp_path / "incidents.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return read_seizures(path)


def test_packed_degrees_and_minutes_under_a_deg_min_header_are_read_as_nmea_means(tmp_path):
    r = _seizures(
        tmp_path,
        [
            "2021-01-05,0030.40,00112.10",  # 0°30.40'N 1°12.10'E, not 30.4°N 112.1°E
            "2021-01-06,4530.40,01212.10",
            "2021-01-07,-3305.00,-07130.55",
            "2021-01-08,12 30.5,45 10.2",  # the header's layout, read as before
            "2021-01-09,12.5,45.25",  # fewer whole digits: decimal degrees
        ],
    )
    got = r.frame.sort_values("time")[["lat", "lon"]].to_numpy()
    want = [
        (30.40 / 60, 1 + 12.10 / 60),
        (45 + 30.40 / 60, 12 + 12.10 / 60),
        (-(33 + 5 / 60), -(71 + 30.55 / 60)),
        (12 + 30.5 / 60, 45 + 10.2 / 60),
        (12.5, 45.25),
    ]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert r.n_read == len(r.frame) + len(r.rejects) == 5
    assert any("ddmm.mmmm" in n and "0°30.40'" in n for n in r.notes)


def test_packed_minutes_of_sixty_or_more_are_rejected_not_carried(tmp_path):
    r = _seizures(tmp_path, ["2021-01-05,5061.00,00112.10", "2021-01-06,4530.40,01260.00"])
    assert r.frame.empty
    assert sorted(r.rejects["value"]) == ["01260.00", "5061.00"]
    assert set(r.rejects["rule"]) == {"coord_unparseable"}


@pytest.mark.parametrize(
    "header",
    ["Date,Latitude,Longitude", "Date,Latitude (degrees_north),Longitude (degrees_east)"],
    ids=["no-unit", "decimal-unit"],
)
def test_without_a_deg_min_header_numbers_stay_decimal_degrees(tmp_path, header):
    r = _seizures(tmp_path, ["2021-01-05,0030.40,00112.10", "2021-01-06,12.5,45.25"], header)
    got = r.frame.sort_values("time")[["lat", "lon"]].to_numpy()
    np.testing.assert_allclose(got, [(30.4, 112.1), (12.5, 45.25)], rtol=0, atol=1e-9)
    assert not any("ddmm.mmmm" in n for n in r.notes)


def _track_rows(n: int) -> list[str]:
    t0 = pd.Timestamp("2021-01-05T00:00:00Z")
    rows = []
    for i in range(n):  # 9 kn due north: 0.15' of latitude a minute
        when = (t0 + pd.Timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        deg, mins = divmod(30 + 0.15 * i, 60)
        rows.append(f"219012345,{when},{45 + int(deg):02d}{mins:07.4f},01212.1000,9.0")
    return rows


def test_a_track_of_packed_positions_reads_as_nmea_means(tmp_path):
    path = tmp_path / "log.csv"
    header = "mmsi,timestamp,Latitude (deg min),Longitude (deg min),sog"
    path.write_text("\n".join([header, *_track_rows(5)]) + "\n", encoding="utf-8")
    r = read_tracks(path)
    assert r.frame["lat"].to_numpy() == pytest.approx([45.5 + 0.15 * i / 60 for i in range(5)])
    assert r.frame["lon"].to_numpy() == pytest.approx([12 + 12.1 / 60] * 5)
    assert not r.by_rule


def test_a_track_of_packed_positions_reads_alike_whole_and_in_chunks(tmp_path):
    path = tmp_path / "log.csv"
    header = "mmsi,timestamp,Latitude (deg min),Longitude (deg min),sog"
    rows = _track_rows(1800)  # about 95 kB: read in more than one chunk of 64 KiB
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    whole = track_outcome(path, "whole", 300, tmp_path)
    chunks = track_outcome(path, "chunks", 300, tmp_path)
    assert whole != "refused" and whole[0] == {}
    assert chunks == whole
    lat = read_tracks(path).frame["lat"].to_numpy()
    np.testing.assert_allclose(lat, 45.5 + 0.15 * np.arange(1800) / 60, rtol=0, atol=1e-9)
