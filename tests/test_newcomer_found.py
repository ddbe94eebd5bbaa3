"""A new analyst's first day on the real public data: the silent wrong answers found (hBU).

Each test fails on the code before its fix.  Tests on ``../shared/data`` skip when it is absent.
"""

from __future__ import annotations

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
