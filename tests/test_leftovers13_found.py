"""Left-alone items of earlier sessions, closed: dates giving two zones, micro-degrees.

Free-text dates that give two zones are refused, never read one way.

``14:00Z+02:00`` says UTC (``Z``) and +02:00; dateutil read the offset the POSIX way
(``Z+02:00`` as 16:00 UTC, ``Z-05`` as 09:00 UTC) or dropped it (``14:00Z +0200`` as 14:00
UTC) - hours off, exit 0.  Such a value is rejected as ``date_unparseable`` with a note of its
own, as a zone name whose offset disagrees (``+0200 (CET)``) is; a single zone, however
spelled, is read as before (the expected instants are worked out by hand below).
Coordinates as whole micro-degrees are refused naming that reading too.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

TWO_ZONES = [
    "5 Mar 2024 14:00 Z+02:00",
    "2024-03-05 14:00 Z+02:00",
    "2024-03-05T14:00:00Z+02:00",
    "5 Mar 2024 14:00Z +0200",
    "5 Mar 2024 14:00 Z-05",
    "5 Mar 2024 14:00 z-0500",
    "5 Mar 2024 14:00 +0200 (CET)",
]

#: One zone each: the value and its instant in UTC, by hand.
ONE_ZONE = {
    "5 Mar 2024 14:00 Z": "2024-03-05 14:00",
    "5 Mar 2024 14:00 UTC+02:00": "2024-03-05 12:00",
    "5 Mar 2024 14:00 GMT+2": "2024-03-05 12:00",
    "5 Mar 2024 14:00 UTC -0500": "2024-03-05 19:00",
    "5 Mar 2024 14:00 CET+01:00": "2024-03-05 13:00",
    "5 Mar 2024 14:00 +0100 (CET)": "2024-03-05 13:00",
    "5 Mar 2024 14:00 -0500": "2024-03-05 19:00",
}


def _read(tmp_path, values):
    path = tmp_path / "events.csv"
    path.write_text("date,lat,lon\n" + "".join(f'"{v}",10,20\n' for v in values))
    return read_seizures(path)


@pytest.mark.parametrize("value", TWO_ZONES)
def test_a_value_giving_two_zones_is_rejected_with_its_own_note(tmp_path, value):
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    assert res.rejects["rule"].tolist() == ["date_unparseable"]
    assert res.frame["time"].tolist() == [pd.Timestamp("2024-03-05 14:00", tz="UTC")]
    note = " ".join(res.notes)
    assert "give two zones" in note and value in note
    assert "ambiguous or unknown" not in note  # not the unknown-abbreviation note: Z is known


def test_one_zone_however_spelled_is_read_as_written(tmp_path):
    res = _read(tmp_path, list(ONE_ZONE))
    assert res.rejects.empty, res.rejects.to_dict("records")
    got = res.frame.sort_values("source_row")["time"].tolist()
    assert got == [pd.Timestamp(t, tz="UTC") for t in ONE_ZONE.values()]
    assert "give two zones" not in " ".join(res.notes)


def test_micro_degrees_are_named_among_the_scaled_readings(tmp_path):
    """Latitudes as whole micro-degrees (42,123,456 for 42.123456) were refused naming
    degrees x 10^7 (4.2 degrees: a plausible, wrong place) and semicircles, not 10^6."""
    from pipeline.errors import InputError

    path = tmp_path / "e6.csv"
    path.write_text("date,lat,lon\n2024-03-05,42123456,-8123456\n2024-03-06,42124456,-8124456\n")
    with pytest.raises(InputError) as err:
        read_seizures(path)
    text = str(err.value)
    assert "10^6" in text and "/ 1000000)" in text and "10^7" in text


def _raw_ais(path, comments: int, positions: int) -> None:
    """A receiver's log: ``comments`` '#' lines (a logger's notes), then position reports."""
    import pyais.encode

    lines = [f"# note {i}: station 2573535, antenna check" for i in range(comments)]
    for i in range(positions):
        msg = {"type": 1, "mmsi": 257000001, "lat": 43.0 + 0.01 * i, "lon": 3.7}
        for s in pyais.encode.encode_dict(msg, talker_id="AI", sentence_type="VDM"):
            body = f"c:{1_709_251_200 + 600 * i}"
            check = 0
            for ch in body:
                check ^= ord(ch)
            lines.append(f"\\{body}*{check:02X}\\{s}")
    path.write_text("\n".join(lines) + "\n")


def test_comment_lines_of_a_raw_ais_log_are_accounted_for_out_of_the_ceiling(tmp_path):
    """A short log under a long banner of '#' notes was refused by the reject ceiling (12 of
    17 lines 'nmea_unreadable', 70.6 %): comments are accounted for as ``nmea_comment``,
    out of the ceiling's count like the other lines read right; a log of comments alone is
    refused all the same (no position)."""
    from pipeline.ingest import read_tracks, summarise_ingest

    path = tmp_path / "night.nmea"
    _raw_ais(path, comments=12, positions=5)
    got = summarise_ingest("tracks", path)
    assert got["accepted"] == 5 and got["by_rule"] == {"nmea_comment": 12}
    res = read_tracks(path)
    assert res.n_read == 17 == len(res.frame) + len(res.rejects)  # nothing lost
    assert list(res.rejects["row"]) == list(range(1, 13))
    # a line that is neither a sentence nor a comment is still bad data
    path.write_text(path.read_text().replace("# note 3", "garbage 3", 1))
    assert summarise_ingest("tracks", path)["by_rule"] == {"nmea_comment": 11, "nmea_unreadable": 1}
    # a log of comments alone is no raw AIS feed (refused, not passed empty)
    from pipeline.errors import SourceUnreadable

    only = tmp_path / "banner.nmea"
    only.write_text("# station 2573535\n# antenna check\n")
    with pytest.raises(SourceUnreadable, match="no line is a raw AIS sentence"):
        summarise_ingest("tracks", only)


def test_a_run_s_spill_is_removed_when_the_run_ends_not_when_its_state_is_collected(
    small_demo, tmp_path
):
    """The run's spill (its track files in chunks on disk) was removed by a finaliser of
    the run's state, which sits in reference cycles: in a notebook's or a service's process
    each run's spill stayed until the garbage collector's next full pass (with collection
    off, for good) - the size of the track files, run after run."""
    import gc

    from conftest import small_config

    import pipeline

    cfg = small_config(
        small_demo,
        tmp_path,
        ingest={"chunk_rows": 700},  # the small demo's tracks are spilled in chunks
        hotspots={"enabled": False},
        evaluate={"enabled": False},
        timeline={"months": 0},
        render={"flatgeobuf": False},
    )
    was = gc.isenabled()
    gc.disable()
    try:
        pipeline.run_pipeline(cfg)
        left = [p.name for p in (tmp_path / "out" / ".spill").iterdir()]
    finally:
        if was:
            gc.enable()
    assert left == []
