"""A time's own offset that disagrees with its row's offset column is said, not silent.

``2024-03-05T10:00+02:00`` beside ``utc_offset: +05:00`` is read by its own offset (the more
direct of the two); which is right is not known, and the disagreement was silent.  The
read's notes now count such rows (offsets and zone names, the latter at the time's instant,
worked out here by hand), the same whole or in chunks.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_ingest_stream import _assert_same, _both

from pipeline.ingest import read_seizures

NOTE = "carry an offset of their own other than the one column 'utc_offset' gives their row"


def _read(tmp_path, rows):
    path = tmp_path / "s.csv"
    path.write_text(
        "date,utc_offset,lat,lon,commodity\n"
        + "".join(f"{a},{b},10.5,20.5,cocaine\n" for a, b in rows)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_seizures(path)


@pytest.mark.parametrize(
    ("rows", "utc", "n"),
    [
        (
            [("2024-03-05T10:00+02:00", "+05:00"), ("2024-03-05T10:00+05:00", "+05:00")],
            ["08:00", "05:00"],
            1,
        ),
        (  # Berlin is +02:00 in July: Z differs, +02:00 agrees
            [
                ("2024-07-05T10:00:00Z", "Europe/Berlin"),
                ("2024-07-05T10:00+02:00", "Europe/Berlin"),
            ],
            ["10:00", "08:00"],
            1,
        ),
        (
            [("2024-03-05T10:00+02:00", "UTC+2"), ("2024-03-05 10:00", "+05:00")],
            ["08:00", "05:00"],
            0,
        ),
    ],
    ids=["offsets", "zone-name", "agree"],
)
def test_a_times_own_offset_against_its_rows_column_is_counted(tmp_path, rows, utc, n):
    res = _read(tmp_path, rows)
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == utc  # each by its own offset
    said = [t for t in res.notes if NOTE in t]
    assert said == (
        [f"s.csv: {n} time(s) {NOTE}; each is read by its own offset - check which is right"]
        if n
        else []
    )


def test_the_count_is_the_same_whole_or_in_chunks(tmp_path):
    t0 = pd.Timestamp("2024-03-01")
    rows = []
    for k in range(3000):
        t = t0 + pd.Timedelta(minutes=10 * k)
        own = "+02:00" if k % 500 == 7 else "+01:00"  # six rows, spread over the chunks
        rows.append(
            f"{257000000 + k % 5},{t:%Y-%m-%dT%H:%M:%S}{own},+01:00,{60 + k * 1e-4:.5f},5.0,5"
        )
    src = tmp_path / "t.csv"
    src.write_text("mmsi,timestamp,utc_offset,lat,lon,sog\n" + "\n".join(rows) + "\n")
    whole, spill, store = _both(src, tmp_path, chunk_rows=700)
    assert any(
        t.endswith(f"6 time(s) {NOTE}; each is read by its own offset - check which is right")
        for t in whole.notes
    )
    _assert_same(whole, spill, store, tmp_path)
