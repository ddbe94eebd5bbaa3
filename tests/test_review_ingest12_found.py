"""Review of the ingest changes a51048c..dd236c3: problems found and fixed (tiny inputs).

1. 93113cd (a track id per ship beside names spelled two ways) also required most ships to
   sail two track numbers before numbers restarting for each ship were no vessel id: a file
   where most ships sail one voyage (``track_id`` 1 for every ship, 2 for a few) was read by
   ``track_id`` again, 20 ships as 2 "vessels" (a51048c read 20).
2. be3bfcb (records ending with ,"" read like those ending with ',') dropped ,"" from every
   record below a header ending with a bare ',' too: records whose last named value is an
   empty quoted "" lost it and were every one ragged, the note saying every line ends with
   ',' (a51048c read them).
3. c8df541 (values read as not available counted on the accepted pings only) kept the note's
   '(up to X)' the largest value read: 1 accepted ping of 150 kn was said to be 'up to 900',
   the 900 kn that of a ping rejected for its latitude 91.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ingest_stage import track_outcome


def _voyages(path, two_voyages_from: int) -> int:
    """20 ships by ``vessel_name``; ships from ``two_voyages_from`` on sail voyages 1 and 2."""
    rows = [
        {
            "track_id": voyage,
            "vessel_name": f"SHIP {ship:02d}",
            "timestamp": f"2024-01-{voyage * 5 + ship % 5 + 1:02d}T{k:02d}:00:00Z",
            "lat": 50 + ship * 0.5 + k * 0.01,
            "lon": -1 + voyage * 0.3 + k * 0.01,
        }
        for ship in range(20)
        for voyage in ((1, 2) if ship >= two_voyages_from else (1,))
        for k in range(12)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return len(rows)


@pytest.mark.parametrize("two_voyages_from", [10, 20])
@pytest.mark.parametrize("how", ["whole", "chunks"])
def test_numbers_per_ship_where_most_sail_one_voyage_are_not_the_vessel(
    tmp_path, how, two_voyages_from
):
    import io

    import pyarrow.parquet as pq

    path = tmp_path / "voyages.csv"
    n = _voyages(path, two_voyages_from)
    got = track_outcome(path, how, 100, tmp_path)
    assert got[0] != "refused", got
    pings = pq.read_table(io.BytesIO(got[1])).to_pandas()
    assert len(pings) == n and got[0] == {}
    assert pings["vessel_id"].nunique() == 20


def test_a_last_value_quoted_empty_below_a_header_ending_with_a_bare_delimiter_is_kept(
    tmp_path,
):
    from pipeline.ingest import read_seizures

    path = tmp_path / "s.csv"
    path.write_text(
        "date,lat,lon,commodity,note,\n"
        '"2024-03-05","1.2","104.1","cocaine",""\n"2024-03-06","1.3","104.2","heroin",""\n'
    )
    got = read_seizures(path)
    assert not got.by_rule
    assert list(got.frame["commodity"]) == ["cocaine", "heroin"]
    assert list(got.frame["note"]) == ["", ""]
    said = [n for n in got.notes if "end with" in n or "ends with" in n]
    assert said == [
        "s.csv: the header and 0 of the 2 lines below it end with ','; the empty "
        "last column is ignored"
    ]


def test_a_track_id_per_ship_of_two_ships_spelled_several_ways_stays_the_vessel(tmp_path):
    # the guard of 93113cd's case for the rule above: 2 ships, names written 3 and 2 ways
    from pipeline.ingest import read_tracks

    names = [["ATLANTIC STAR", "ATLANTIC STAR@@@", "ATLANTIC STAR@"], ["NORDIC SEA", "NORDIC SE"]]
    rows = [
        f"{s + 1},{names[s][k % len(names[s])]},2024-01-01T00:{k:02d}:00Z,"
        f"{50 + s + k / 1e3:.4f},{-1 + k / 1e3:.4f}"
        for s in (0, 1)
        for k in range(30)
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["track_id,vessel_name,timestamp,lat,lon", *rows]) + "\n")
    got = read_tracks(path)
    assert sorted(got.frame["vessel_id"].unique()) == ["1", "2"] and len(got.frame) == 60


def test_the_largest_value_above_the_limit_is_that_of_the_accepted_pings(tmp_path):
    # record 4: 150 kn, accepted; record 8: 900 kn at latitude 91 (AIS 'not available'),
    # rejected; record 13: course 400, accepted; record 14: course 700 at latitude -95
    special = {4: (150, 90, None), 8: (900, 90, 91), 13: (10, 400, None), 14: (10, 700, -95)}
    lines = ["mmsi,timestamp,lat,lon,sog,cog"]
    for i in range(30):
        sog, cog, lat = special.get(i, (10, 90, None))
        lat = 50 + i / 1e3 if lat is None else lat
        lines.append(f"235000001,2024-01-01T00:{i:02d}:00Z,{lat},{-1 + i / 1e3},{sog},{cog}")
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    got = {how: track_outcome(path, how, 7, tmp_path) for how in ("whole", "chunks", "parts")}
    for how, res in got.items():
        assert res[0] == {"position_unavailable": 1, "lat_out_of_range": 1}, how
        said = " ".join(res[3])
        assert "holds 1 above 102.2 kn, AIS's largest speed (up to 150)" in said, how
        assert "holds 1 above 359.9 degrees (up to 400)" in said, how
    assert got["whole"][1:] == got["chunks"][1:] == got["parts"][1:]
