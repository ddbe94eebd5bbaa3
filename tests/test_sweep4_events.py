"""Seizure and incident inputs shaped like real exports, swept end to end for silent wrong values.

Each case was a wrong value published without a word (or a refusal with a wrong reason) before
its fix: the hemisphere letter of ``01 15 30 s`` eaten as a seconds unit, ...  Files are
tiny, written to ``tmp_path`` in the shapes the exports take (NGA ASAM and IMB/ReCAAP incident
lists, ACLED/UCDP event CSVs, spreadsheets saved as CSV).
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _accounted(res) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)


# ----------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("lat", "lon", "want"),
    [
        ("01 15 30 s", "104 05 30 e", (-1.2583, 104.0917)),
        ("1°15'30s", "104°05'30e", (-1.2583, 104.0917)),
        ("00 30 00 s", "104 00 00 e", (-0.5, 104.0)),
        # the letter style keeps its 's' as the seconds' unit
        ("1d15m30s", "104d5m30s", (1.2583, 104.0917)),
    ],
)
def test_a_lowercase_south_after_the_seconds_is_the_hemisphere(tmp_path, lat, lon, want):
    # Lower-cased exports write '01 15 30 s'; the 's' was taken for the seconds' unit and the
    # incident landed north of the equator.
    text = f'date,latitude,longitude,hostility\n2024-03-15,"{lat}","{lon}",Pirates\n'
    res = read_seizures(_write(tmp_path, "asam.csv", text))
    _accounted(res)
    got = tuple(res.frame[["lat", "lon"]].round(4).iloc[0])
    assert got == want


# ------------------------------------------------------------------- which column is the place


def test_an_empty_coordinate_column_gives_way_to_a_filled_one(tmp_path):
    # An incident export keeps its legacy 'Latitude'/'Longitude' columns empty and writes the
    # positions to 'Lat DD'/'Lon DD': every record was rejected as coord_missing.
    text = (
        "Date,Latitude,Longitude,Lat DD,Lon DD,Type\n"
        "2024-03-01,,,1.25,104.1,Robbery\n"
        "2024-03-02,,,1.35,104.2,Robbery\n"
        "2024-03-03,,,-1.45,104.3,Hijack\n"
    )
    res = read_seizures(_write(tmp_path, "recaap.csv", text))
    _accounted(res)
    assert res.by_rule == {}
    assert res.frame["lat"].tolist() == [1.25, 1.35, -1.45]
    assert res.frame["lon"].tolist() == [104.1, 104.2, 104.3]
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == ("Lat DD", "Lon DD")
    assert "'Latitude'] missing" in cols["lat"]["evidence"]


def test_empty_coordinate_columns_give_way_to_a_filled_position(tmp_path):
    text = (
        "Date,Latitude,Longitude,Position,Type\n"
        "2024-03-01,,,\"1°15'N 104°06'E\",Robbery\n"
        "2024-03-02,,,\"1°21'S 104°12'E\",Robbery\n"
    )
    res = read_seizures(_write(tmp_path, "imb.csv", text))
    _accounted(res)
    assert res.frame["lat"].round(2).tolist() == [1.25, -1.35]
    assert res.frame["lon"].round(2).tolist() == [104.1, 104.2]
    assert res.assumptions["columns"]["coords"]["column"] == "Position"
    assert any("hold no value" in n for n in res.notes)


def test_with_no_value_anywhere_the_header_alone_decides(tmp_path):
    # The converse: when every candidate is empty the best name is kept, and each record is
    # rejected as coord_missing (nothing to prefer).
    text = "Date,Latitude,Longitude,Lat DD,Lon DD\n2024-03-01,,,,\n2024-03-02,,,,\n"
    res = read_seizures(_write(tmp_path, "h.csv", text))
    _accounted(res)
    assert res.by_rule == {"coord_missing": 2}
    assert res.assumptions["columns"]["lat"]["column"] == "Latitude"
