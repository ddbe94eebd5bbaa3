"""Findings of a review of the 57 commits 2d5cd11..2bedd4a (hIX).

Each test failed before its fix; expected values come from hand arithmetic or the file's
own words, never from the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import write_lines
from test_parity_ingest27_found import _pieces_of

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


# ------------------------------------------------------------- hemisphere letters, few S


def _few_south(n: int, south: list[int]) -> pd.DataFrame:
    """``n`` records of unsigned latitudes beside an unnamed 'H' of N, S on ``south``."""
    h = pd.Series("N", index=pd.RangeIndex(n))
    h.iloc[south] = "S"
    return pd.DataFrame({"Lat": [f"{10 + k * 1e-5:.5f}" for k in range(n)], "H": h, "Lon": "75.0"})


@pytest.mark.parametrize("how", ["whole", "pieces"])
def test_a_few_south_letters_between_the_spaced_records_are_refused(how):
    # 20,000 records: the spaced ones are every 4th (20,000 // 5,000); three southern
    # records at 4k+1, 4k+2, 4k+3 lay between them and were read north with exit 0, though
    # the pass over the pieces had seen them
    from pipeline.ingest._columns import coordinate_parts

    frame = _few_south(20_000, [9_001, 12_002, 17_003])
    raw, whole = (frame, None) if how == "whole" else (frame.iloc[:1000], _pieces_of(frame, 1000))
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters \(N/S; 3 like 'S'\)"):
        coordinate_parts(raw, "Lat", "lat", {"Lat", "Lon"}, "f.csv", whole)


@pytest.mark.parametrize("how", ["whole", "pieces"])
def test_letters_of_the_north_only_are_no_refusal(how):
    from pipeline.ingest._columns import coordinate_parts

    frame = _few_south(20_000, [])
    raw, whole = (frame, None) if how == "whole" else (frame.iloc[:1000], _pieces_of(frame, 1000))
    assert coordinate_parts(raw, "Lat", "lat", {"Lat", "Lon"}, "f.csv", whole) == {}


def test_a_few_south_letters_in_a_track_file_are_refused(tmp_path):
    # the reader's own path: 12,000 pings (spaced every 2nd), S on two odd records
    lines = ["mmsi,time,lat,H,lon,sog"]
    for i in range(12_000):
        h = "S" if i in (4_001, 9_003) else "N"
        t = f"2021-03-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        lines.append(f"2446600{i % 10:02d},{t},{10 + i % 100 / 1000:.3f},{h},20.5,5")
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters \(N/S; 2 like 'S'\)"):
        read_tracks(write_lines(tmp_path / "t.csv", lines))


# ------------------------------------------------------------- two agencies' day/month orders


def test_each_agencys_order_is_said_and_its_formats_counted(tmp_path):
    # the file's note and assumption say each agency's own order, its evidence and the
    # formats over every record (by hand: four d/m/y dates, one ISO date)
    path = write_lines(
        tmp_path / "s.csv",
        [
            "date,agency,lat,lon,quantity",
            "13/05/2021,UKBF,10.5,20.5,3",
            "06/07/2021,UKBF,10.5,20.5,3",
            "05/13/2021,CBP,10.6,20.6,4",
            "07/06/2021,CBP,10.6,20.6,4",
            "2021-07-09,,10.6,20.6,4",
        ],
    )
    res = read_seizures(path)
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-05-13",
        "2021-07-06",
        "2021-05-13",
        "2021-07-06",
        "2021-07-09",
    ]
    dates = res.assumptions["dates"]
    assert dates["formats"] == {"day/month/year": 4, "year-month-day": 1}
    assert dates["orders"] == {"UKBF": "day-first", "CBP": "month-first", "": None}
    said = [n for n in res.notes if "column 'date'" in n]
    assert any("(agency 'UKBF')" in n and "'06/07/2021' read day-first" in n for n in said)
    assert any("(agency 'CBP')" in n and "'07/06/2021' read month-first" in n for n in said)


# ------------------------------------------------------------- the back-test's factors at origin


def test_pings_only_at_the_origin_are_none_received_before_it(tmp_path):
    # a ping exactly at the origin is the test window's: the origin is one without pings
    # (its transit missing, said in its notes), as one whose pings all come later
    import pandas as pd
    from test_backtest_transit_as_of_found import ORIGIN, TRANSIT, _lane, _state

    from pipeline.runner.stages._backtest import TransitAtOrigin, transit_at_origin_factors
    from pipeline.schema import COVERED_SUFFIX

    at_origin = _lane("at", ORIGIN, 41.0).iloc[:1]
    later = _lane("later", ORIGIN + pd.Timedelta(days=5), 41.0)
    state = _state(tmp_path, pd.concat([at_origin, later], ignore_index=True))
    at = TransitAtOrigin(state, transit_at_origin_factors(state))
    got = at.replace(state.features.table, ORIGIN)
    assert at.without_pings == [ORIGIN.isoformat()]
    for name in TRANSIT:
        assert got[name].isna().all() and not got[name + COVERED_SUFFIX].any(), name


def test_the_published_methods_at_origin_takes_the_dated_rasters_step_too(tmp_path):
    # AtOrigin replaces the transit and then the dated rasters' factors: the raster's
    # step before the origin (October), not the run's (December), as the library's zonal
    # mean of that step opened by date gives it
    import numpy as np
    import pandas as pd
    from test_backtest_transit_as_of_found import ORIGIN, _raster_state, _sar_mean

    from pipeline.runner.stages._backtest import AtOrigin
    from pipeline.schema import CELL

    state, src = _raster_state(tmp_path)
    cells = state.cells
    table = pd.DataFrame({CELL: cells, "sar_mean": _sar_mean(src, "2024-12-01", cells)})
    table["sar_mean__covered"] = table["sar_mean"].notna()
    got = AtOrigin(state).replace(table, ORIGIN)["sar_mean"].to_numpy()
    np.testing.assert_allclose(got, _sar_mean(src, "2024-10-01", cells), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_the_fitted_training_rows_beside_a_plugin_take_the_origins_transit(tmp_path, monkeypatch):
    # With a seizure plug-in the fitted model's training rows at an earlier training origin
    # are the plug-in recomputed there; their transit must be the origin's (the pings before
    # it), not the run's day's: the lane sailed after the origin lit its cells in them
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd
    from _stages import plugin_state
    from conftest import config_from
    from test_backtest_transit_as_of_found import (
        END,
        FITTED,
        NEW,
        OLD,
        OPTS,
        ORIGIN,
        RES,
        _present_table,
        _seizures,
        lane_sections,
    )

    import pipeline.model
    from pipeline import schema as S
    from pipeline.evaluate import cell_universe
    from pipeline.runner.stages._backtest import published_method

    ev = _seizures()
    pings = pd.concat([OLD, NEW], ignore_index=True)
    cfg = config_from(
        {
            **lane_sections(tmp_path),
            "factors": {"plugins": ["test_factor_backtest:seizures_last_year"]},
            "score": {
                "model": "fitted",
                "fitted": FITTED.model_dump(mode="json"),
                "factors": {
                    S.SEIZURE_DENSITY: {"weight": 1},
                    S.VESSEL_HOURS: {"weight": 1},
                    "seizures_last_year": {"weight": 1},
                },
            },
        },
        tmp_path,
    )
    cells = cell_universe(ev, RES, OPTS.universe_km)
    table = _present_table(cells, pings)
    table["seizures_last_year"] = 0.0
    table["seizures_last_year__covered"] = True
    state = plugin_state(
        cfg,
        ev,
        pings,
        cells,
        table=table,
        as_of=END,
        density_choice=None,
        area=SimpleNamespace(given=True),
    )
    captured = {}

    def fitted_method(options, factors=None, inference=True):
        captured["factors"] = factors
        return SimpleNamespace()

    monkeypatch.setattr(pipeline.model, "fitted_method", fitted_method)
    published_method(state)
    factors_at = captured["factors"](ev[ev[S.TIME] < ORIGIN], cells, ORIGIN)
    at_origin = factors_at(ORIGIN)
    earlier = factors_at(ORIGIN - pd.Timedelta(days=120))
    hours = at_origin[S.VESSEL_HOURS].to_numpy()
    # the origin's transit is the old lane's alone; the run's day has the new lane too
    assert np.nanmax(hours) > 0 and (table[S.VESSEL_HOURS].to_numpy() != hours).any()
    np.testing.assert_array_equal(earlier[S.VESSEL_HOURS].to_numpy(), hours)


# ------------------------------------------------------------- degrees and minutes in a header


@pytest.mark.parametrize(
    "unit", ["deg min", "deg min sec", "degrees minutes", "deg, min", "deg min N"]
)
def test_a_position_header_of_degrees_and_minutes_is_read(tmp_path, unit):
    # 'Latitude (deg min)' says how the values are written (12 30.5 is 12° 30.5'): it was
    # read so before the header's units were judged, then refused as a unit other than
    # degrees north; hand reference 12 + 30.5 / 60, 44 + 15 / 60
    lon_unit = unit.replace(" N", " E")
    path = write_lines(
        tmp_path / "s.csv",
        [
            f'date,"Latitude ({unit})","Longitude ({lon_unit})",quantity',
            "2021-03-01,12 30.5,44 15.0,3",
        ],
    )
    res = read_seizures(path)
    assert res.frame["lat"].tolist() == pytest.approx([12 + 30.5 / 60], abs=1e-9)
    assert res.frame["lon"].tolist() == pytest.approx([44 + 15 / 60], abs=1e-9)


@pytest.mark.parametrize("unit", ["deg min S", "min", "rad min"])
def test_degrees_and_minutes_of_the_south_or_no_degrees_stay_refused(tmp_path, unit):
    path = write_lines(
        tmp_path / "s.csv",
        [f'date,"Latitude ({unit})",Longitude,quantity', "2021-03-01,12 30.5,44.25,3"],
    )
    with pytest.raises(InputError, match="read as the latitude, is in"):
        read_seizures(path)


@pytest.mark.parametrize("header", ["Date (GMT/UTC)", "Time (UTC/GMT)", "Date (UTC, Z)"])
def test_a_time_header_naming_utc_twice_is_read(tmp_path, header):
    # 'GMT/UTC' is UTC by either name: read at 2d5cd11, then refused as a time unit other
    # than UTC once the header's bracket was judged
    path = write_lines(
        tmp_path / "s.csv",
        [f'"{header}",lat,lon,quantity', "2021-03-01 10:00,12.25,44.25,3"],
    )
    res = read_seizures(path)
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2021-03-01 10:00"]


@pytest.mark.parametrize(
    ("header", "read"), [("COG (T)", True), ("COG (true)", True), ("COG (deg M)", False)]
)
def test_a_course_header_of_true_north_is_read_magnetic_refused(tmp_path, header, read):
    # 'COG (T)', true north, as nautical logs head it; 'deg M' (magnetic) is no true
    # course: refused, as 2d5cd11 had read it true, off by the variation
    path = write_lines(
        tmp_path / "t.csv",
        [
            f'mmsi,time,lat,lon,sog,"{header}"',
            "244660000,2021-03-01T00:00:00Z,10.5,20.5,3,90",
            "244660000,2021-03-01T00:10:00Z,10.6,20.6,4,91.5",
        ],
    )
    if read:
        assert read_tracks(path).frame["cog_deg"].tolist() == [90.0, 91.5]
    else:
        with pytest.raises(InputError, match="read as the course, is in 'deg M'"):
            read_tracks(path)
