"""Ingest problems left alone by the last review, found and fixed (tiny synthetic inputs).

1. 64-bit integer vessel ids with a missing one in a GeoJSON or GeoParquet track file were
   rounded through float64 (two ships one track), whole, in chunks and in a Dask run alike.
2. The trailing-delimiter rule dropped a delimiter before a line break inside a quoted value
   too ('cannabis,<LF>heroin' read 'cannabis heroin').
3. An all-quoted export whose records end with ,"" (an empty quoted column past the named
   ones) was every record ragged.
4. A file read in chunks worded its day-first note per chunk ('decided by a later date', the
   first chunk's evidence), and read dates that decide both ways across chunks where a
   whole read refuses them; dates proving both orders (none ambiguous) were 'day-first'
   in chunks with a 'contradict dayfirst' note, 'mixed' whole.
5. The notes on speeds/courses read as not available (AIS 102.3 / 360, negative, too large)
   counted pings rejected for another reason too.
6. Review of a51048c: a track id per ship beside names spelled two ways was passed over
   (each ship read as two vessels by its name).
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _ingest_stage import track_outcome

HOWS = ("whole", "chunks", "parts")


def _pings_of(outcome) -> pd.DataFrame:
    assert outcome[0] != "refused", outcome
    return pq.read_table(io.BytesIO(outcome[1])).to_pandas()


def _big_id_layer(tmp_path, fmt: str):
    """Two ships of ids 2**53 and 2**53 + 1 reporting in turn, one ping without an id."""
    n = 24
    ids = [None if i == 5 else 2**53 + i % 2 for i in range(n)]
    times = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC")
    lon = [-1 + i / 1e5 for i in range(n)]
    lat = [50 + i / 1e5 for i in range(n)]
    if fmt == "geojson":
        path = tmp_path / "t.geojson"
        feats = [
            {
                "type": "Feature",
                "properties": {"vessel_id": ids[i], "timestamp": times[i].isoformat()},
                "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
            }
            for i in range(n)
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        return path
    import shapely

    # as GDAL, DuckDB or Sedona write GeoParquet: no pandas metadata to restore a nullable int
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}},
    }
    table = pa.table(
        {
            "vessel_id": pa.array(ids, pa.int64()),
            "timestamp": pa.array(times),
            "geometry": shapely.to_wkb(shapely.points(lon, lat)),
        }
    ).replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("fmt", ["geojson", "geoparquet"])
def test_64_bit_ids_with_a_missing_one_stay_two_vessels_in_layers(tmp_path, fmt):
    path = _big_id_layer(tmp_path, fmt)
    got = {how: track_outcome(path, how, 10, tmp_path) for how in HOWS}
    for how in HOWS:
        pings = _pings_of(got[how])
        assert sorted(pings["vessel_id"].unique()) == [str(2**53), str(2**53 + 1)], how
        assert got[how][0] == {"vessel_missing": 1}, how
        assert len(pings) == 23, how
    assert got["whole"][1] == got["chunks"][1] == got["parts"][1]
    assert got["whole"][2] == got["chunks"][2] == got["parts"][2]


_QUOTED_LINES = (
    'date,lat,lon,commodity,note{h}\n2024-01-01,43.1,5.1,cocaine,"boarded at dawn,\nfound in hold"{r}\n'
    '2024-01-02,43.2,5.2,cocaine,plain{r}\n2024-01-03,43.3,5.3,"cannabis,\nheroin",x{r}\n'
)


@pytest.mark.parametrize("header_too", [False, True])
def test_a_delimiter_before_a_line_break_inside_a_quoted_value_is_the_values_own(
    tmp_path, header_too
):
    from pipeline.ingest import read_seizures

    plain = tmp_path / "plain.csv"
    plain.write_text(_QUOTED_LINES.format(h="", r=""))
    ending = tmp_path / "ending.csv"
    ending.write_text(_QUOTED_LINES.format(h="," if header_too else "", r=","))
    want = read_seizures(plain).frame
    got = read_seizures(ending)
    assert list(got.frame["note"]) == ["boarded at dawn,\nfound in hold", "plain", "x"]
    pd.testing.assert_frame_equal(
        got.frame.drop(columns="source_file"), want.drop(columns="source_file")
    )
    said = " ".join(got.notes)
    assert ("every line ends with ','" if header_too else "3 of the lines below") in said


@pytest.mark.parametrize("header", ["mmsi,timestamp,lat,lon", '"mmsi","timestamp","lat","lon"'])
def test_all_quoted_records_ending_with_an_empty_quoted_value_are_read(tmp_path, header):
    # R's write.csv, pandas' QUOTE_ALL, BI tools: an empty column past the named ones is ,""
    rows = [
        f'"{ship}","2024-01-01T{k // 6:02d}:{(k % 6) * 10:02d}:00Z",'
        f'"{50 + k / 500:.4f}","{-1 + k / 500:.4f}",""'
        for ship in (235000001, 235000002)
        for k in range(15)
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    got = {how: track_outcome(path, how, 7, tmp_path) for how in HOWS}
    for how in HOWS:
        assert got[how][0] == {}, how
        pings = _pings_of(got[how])
        assert len(pings) == 30 and sorted(pings["vessel_id"].unique()) == [
            "235000001",
            "235000002",
        ]
        assert any("30 of the lines below the header end with ',\"\"'" in n for n in got[how][3])
    assert got["whole"][1:] == got["chunks"][1:] == got["parts"][1:]


def test_a_quoted_header_ending_with_an_empty_quoted_name_reads_its_records(tmp_path):
    from pipeline.ingest import read_seizures

    path = tmp_path / "s.csv"
    path.write_text(
        '"date","lat","lon","commodity",""\n'
        '"2024-01-01","43.1","5.1","cocaine",""\n"2024-01-02","43.2","5.2","heroin",""\n'
    )
    got = read_seizures(path)
    assert list(got.frame["commodity"]) == ["cocaine", "heroin"] and not got.by_rule
    assert got.notes[0] == "s.csv: every line ends with ',\"\"'; the empty last column is ignored"


def _day_first_feed(path, month_first_at_end: bool) -> None:
    """2000 pings (> one 64 KiB chunk) of dd/mm/yyyy dates, the first 1900 ambiguous."""

    def date(k: int) -> str:
        if month_first_at_end and k > 1950:
            return f"01/{13 + k % 15:02d}/2024"  # a second field > 12: month-first
        if k >= 1900 or (month_first_at_end and k < 10):
            return f"{13 + k % 15:02d}/01/2024"  # a first field > 12: day-first
        return f"{(k // 100) % 12 + 1:02d}/{1 + k % 12:02d}/2024"

    rows = [
        f"{235000001 + k % 2},{date(k)} {k % 24:02d}:{(k * 7) % 60:02d}:00,"
        f"{50 + k / 5000:.4f},{-1 + k / 5000:.4f}"
        for k in range(2000)
    ]
    path.write_text("\n".join(["mmsi,timestamp,lat,lon", *rows]) + "\n")


def test_the_day_first_note_and_assumption_are_the_whole_files_in_chunks(tmp_path):
    path = tmp_path / "t.csv"
    _day_first_feed(path, month_first_at_end=False)
    got = {how: track_outcome(path, how, 500, tmp_path, assumption="dates") for how in HOWS}
    said = [n for n in got["whole"][3] if "read day-first" in n]
    assert said == [
        "t.csv column 'timestamp': 1739 date(s) like '01/02/2024 01:07:00' read day-first "
        "(decided by values; 100 value(s) have a first field > 12 (day-first), 0 a second "
        "field > 12 (month-first), 1739 could be either)"
    ]
    for how in ("chunks", "parts"):
        assert got[how][1:] == got["whole"][1:], how  # pings, rejects, notes, dates


def test_dates_deciding_both_ways_in_different_chunks_are_refused_as_whole(tmp_path):
    path = tmp_path / "t.csv"
    _day_first_feed(path, month_first_at_end=True)
    said = {how: track_outcome(path, how, 500, tmp_path) for how in HOWS}
    # whole it was refused; in chunks the first chunk's day-first read the rest alike
    assert said["whole"][0] == said["chunks"][0] == said["parts"][0] == "refused"
    assert "1730 date(s) such as ['01/11/2024 10:10:00'" in said["chunks"][1]
    for how in HOWS:
        assert "values decide both ways (61 day-first, 49 month-first)" in said[how][1], how


def test_values_read_as_not_available_are_counted_on_accepted_pings_only(tmp_path):
    rows = []
    for k in range(20):
        lat = "91" if k == 3 else f"{50 + k / 500:.4f}"  # k=3: rejected (position_unavailable)
        # 8.6 kn: the positions' speed (a unit-less speed far from it is refused as km/h, m/s)
        sog = "102.3" if k in (3, 5, 7) else "-4" if k == 9 else "8.6"
        cog = "360" if k in (3, 4) else "90"
        rows.append(f"235000001,2024-01-01T00:{k:02d}:00Z,{lat},{-1 + k / 500:.4f},{sog},{cog}")
    rows += [rows[5], rows[9]]  # repeats of a 102.3 and a negative ping: rejected (duplicate)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["mmsi,timestamp,lat,lon,sog,cog", *rows]) + "\n")
    got = {how: track_outcome(path, how, 7, tmp_path) for how in HOWS}
    assert got["whole"][0] == {"duplicate": 2, "position_unavailable": 1}
    said = [n for n in got["whole"][3] if "read as" in n]
    assert said == [
        "t.csv: speed column 'sog' holds 1 negative value(s) that are no speed: read as not "
        "available (the pings are kept without a speed)",
        "t.csv: speed column 'sog' holds 2 value(s) of 102.3 kn, AIS's 'not available' "
        "(ITU-R M.1371): read as missing (the pings are kept without a speed)",
        "t.csv: course column 'cog' holds 1 value(s) of 360 degrees, AIS's 'not available' "
        "(ITU-R M.1371): read as missing (the pings are kept without a course)",
    ]
    pings = _pings_of(got["whole"])
    assert int(pings["sog_kn"].isna().sum()) == 3 and int(pings["cog_deg"].isna().sum()) == 1
    assert got["whole"][1:] == got["chunks"][1:] == got["parts"][1:]


def test_a_track_id_per_ship_beside_names_spelled_two_ways_stays_the_vessel(tmp_path):
    # review of a51048c: 10 ships, track_id one per ship, each name written two ways (AIS
    # '@' padding in some messages) was read as 20 vessels by vessel_name
    names = ["ATLANTIC STAR", "NORDIC SEA", "CAPE HORN", "BLUE WAVE", "SEA EAGLE"]
    names += ["OCEAN PRIDE", "MARE NOSTRUM", "POLAR BEAR", "RED ROSE", "SILVER BAY"]
    rows = [
        f"{k % 10 + 1},{names[k % 10]}{'@@@' if (k // 10) % 2 else ''},"
        f"2024-01-01T{k // 30 // 60:02d}:{k // 30 % 60:02d}:{k % 30 * 2:02d}Z,"
        f"{50 + (k % 10) * 0.2 + k / 1e5:.5f},{-1 + k / 1e5:.5f}"
        for k in range(200)
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["track_id,vessel_name,timestamp,lat,lon", *rows]) + "\n")
    got = {how: track_outcome(path, how, 7, tmp_path) for how in HOWS}
    for how in HOWS:
        pings = _pings_of(got[how])
        assert sorted(pings["vessel_id"].unique(), key=int) == [str(k) for k in range(1, 11)]
        assert len(pings) == 200, how


def test_dates_proving_both_orders_none_ambiguous_are_stated_mixed_in_chunks(tmp_path):
    def date(k: int) -> str:  # the first chunk day-first only, later chunks month-first too
        return f"{13 + k % 15:02d}/01/2024" if k < 1500 else f"01/{13 + k % 15:02d}/2024"

    rows = [
        f"{235000001 + k % 2},{date(k)} {k % 24:02d}:{(k * 7) % 60:02d}:00,"
        f"{50 + k / 5000:.4f},{-1 + k / 5000:.4f}"
        for k in range(2000)
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["mmsi,timestamp,lat,lon", *rows]) + "\n")
    got = {how: track_outcome(path, how, 500, tmp_path, assumption="dates") for how in HOWS}
    assert got["whole"][-1]["order"] == "mixed (each date read as written)"
    assert [n for n in got["whole"][3] if "dates;" in n] == [
        "t.csv column 'timestamp': mixes day-first (1500) and month-first (500) dates; each "
        "unambiguous one is read as written"
    ]
    for how in ("chunks", "parts"):
        assert got[how][1:] == got["whole"][1:], how
