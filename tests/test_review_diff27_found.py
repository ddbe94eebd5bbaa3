"""Findings of a review of the 57 commits 2d5cd11..2bedd4a (hIX).

Each test failed before its fix; expected values come from hand arithmetic or the file's
own words, never from the code under test.
"""

from __future__ import annotations

import pytest
from _corpus import write_lines

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.zones import header_zone

# ------------------------------------------------------------- a header's ZD written as a clock


@pytest.mark.parametrize("zd", ["ZD+5:60", "ZD+5:90", "ZD-0:75"], ids=["60", "90", "75"])
def test_a_header_zd_clock_of_60_minutes_or_more_is_none(zd):
    # '+5:90' is no clock: the header read it as UTC-06:30 (5 h + 90 min), where a ZD or
    # offset column's '+5:90' is no offset (its records rejected); 60 minutes are no
    # minutes either
    with pytest.raises(InputError, match="which is none"):
        header_zone(f"Time ({zd})", "f.csv")


@pytest.mark.parametrize(
    ("zd", "east"), [("ZD+05:30", "-05:30"), ("ZD-0:30", "+00:30"), ("ZD+5:00", "-05:00")]
)
def test_a_header_zd_clock_under_60_minutes_is_read(zd, east):
    # hand reference: ZD +h is h hours west of UTC, the minutes take the hours' sign
    assert header_zone(f"Time ({zd})", "f.csv") == (f"UTC{east}", None)


def test_a_file_under_a_header_zd_clock_of_90_minutes_is_refused(tmp_path):
    path = write_lines(
        tmp_path / "s.csv",
        ["Time (ZD+5:90),lat,lon", "2021-03-05 10:00,12.5,44.5", "2021-03-06 10:00,12.6,44.6"],
    )
    with pytest.raises(InputError, match=r"'ZD\+5:90', which is none"):
        read_seizures(path)


# ------------------------------------------------------------- a course's unit 'deg T'


@pytest.mark.parametrize("unit", ["deg T", "degrees T", "degT", "degrees_true", "deg_T"])
def test_a_course_in_degrees_true_written_with_a_space_is_read(tmp_path, unit):
    # 'deg T' (degrees true, as NOAA's logs write it) is the unit read: it was refused as a
    # unit other than degrees, where 'degT' and 'degrees_true' were read
    path = write_lines(
        tmp_path / "t.csv",
        [
            "mmsi,time,lat,lon,sog,cog",
            f",UTC,degrees_north,degrees_east,knots,{unit}",
            "244660000,2021-03-01T00:00:00Z,10.5,20.5,3,90",
            "244660000,2021-03-01T00:10:00Z,10.6,20.6,4,91.5",
        ],
    )
    res = read_tracks(path)
    assert res.frame["cog_deg"].tolist() == [90.0, 91.5]
    assert len(res.rejects) == 0


def test_a_course_in_radians_stays_refused(tmp_path):
    path = write_lines(
        tmp_path / "t.csv",
        [
            "mmsi,time,lat,lon,sog,cog",
            ",UTC,degrees_north,degrees_east,knots,rad",
            "244660000,2021-03-01T00:00:00Z,10.5,20.5,3,1.5",
            "244660000,2021-03-01T00:10:00Z,10.6,20.6,4,1.6",
        ],
    )
    with pytest.raises(InputError, match="is in 'rad'"):
        read_tracks(path)
