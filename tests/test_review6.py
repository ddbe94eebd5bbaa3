"""Review of the latest fixes (review 6): compact degrees, the area's checks, UTC offsets."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import InputError

# ----------------------------------------------------------------- compact degree-minutes


def test_compact_degrees_in_a_parquet_file_saved_with_its_pandas_index_are_read(tmp_path):
    # a frame filtered or concatenated without ignore_index and saved with to_parquet keeps
    # its repeated index; the compact-degree reader set its values by label and ended in a
    # ValueError traceback ('cannot set using a list-like indexer ...')
    from pipeline.ingest import read_seizures

    frame = pd.DataFrame(
        {
            "date": ["2023-01-05", "2023-01-06", "2023-01-07"],
            "latitude": ["1206N", "1300N", "0115.5S"],
            "longitude": ["06856W", "06900W", "10345E"],
            "commodity": ["cocaine"] * 3,
            "quantity_kg": [1.0, 2.0, 3.0],
        },
        index=[4, 4, 7],
    )
    path = tmp_path / "seizures.parquet"
    frame.to_parquet(path)
    got = read_seizures(path)
    assert got.n_rejected == 0
    assert got.frame["lat"].round(4).tolist() == [12.1, 13.0, -1.2583]
    assert got.frame["lon"].round(4).tolist() == [-68.9333, -69.0, 103.75]
