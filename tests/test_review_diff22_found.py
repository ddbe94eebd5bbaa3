"""Found reviewing the day's diff for false refusals and regressions (review 22).

* An approximation mark after a unit was read inside the unit's last word: ``2 chest`` was
  2 'ch', estimated, and ``12 kg coca`` 12 'kg co', approximately - the unit reported and
  the count of approximate quantities wrong.
* A streamed Parquet block refused for the text its dictionary fills was said as a file
  "cut short, damaged or of another format", the way out ("raise the limit") cut off.
* A pandas categorical text column (a dictionary in the file's own schema) was no text to
  the bounds: one 100 kB note on 2,000 rows read as 191 MiB under a bound of 50.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest._columnar import iter_batches, parquet_text_bytes
from pipeline.ingest._quantity import parse_quantities


@pytest.mark.parametrize(
    ("text", "unit", "approx"),
    [
        ("2 chest", "chest", False),
        ("5 bricks of coca", "bricks of coca", False),
        ("12 kg coca", "kg coca", False),
        ("3 vest", "vest", False),
        ("300 kg (est.)", "kg", True),
        ("0.5 kg approx.", "kg", True),
        ("3 t, approx.", "t", True),
        ("3 t(approx.)", "t", True),
        ("300 ca", "", True),
        ("300approx", "", True),
        ("300 cans", "cans", False),
    ],
    ids=["chest", "coca-bricks", "kg-coca", "vest", "est-bracket", "approx-after", "comma",
         "glued-bracket", "ca-alone", "glued-approx", "cans"],
)  # fmt: skip
def test_a_mark_after_a_unit_is_a_word_of_its_own(text, unit, approx):
    values, units, report = parse_quantities(pd.Series([text]), file_decimal=".")
    assert values.tolist() == [float(re.match(r"[\d.]+", text).group())]
    assert units.tolist() == [unit]
    assert report.get("approximate", 0) == int(approx)


def _noted(tmp_path, *, categorical: bool):
    n = 2_000
    frame = pd.DataFrame({"mmsi": np.full(n, 123456789), "note": ["x" * 100_000] * n})
    if categorical:
        frame["note"] = frame["note"].astype("category")
    path = tmp_path / "noted.parquet"
    frame.to_parquet(path)
    assert path.stat().st_size < 16_384
    return path


def test_a_refused_block_is_said_as_itself_not_as_a_damaged_file(tmp_path):
    path = _noted(tmp_path, categorical=False)
    with pytest.raises(SourceUnreadable) as err:
        list(iter_batches(path, 2_000, 50.0, "noted"))
    said = str(err.value)
    assert said.startswith("noted: a block of 2,000 records expands to 191 MiB")
    assert "damaged" not in said and said.endswith("or lower ingest.chunk_rows")


def test_a_categorical_text_column_counts_every_row_it_fills(tmp_path):
    path = _noted(tmp_path, categorical=True)
    with pytest.raises(SourceUnreadable, match=r"a block of 2,000 records expands to 191 MiB"):
        list(iter_batches(path, 2_000, 50.0, "noted"))
    assert parquet_text_bytes(path) == 2_000 * 100_000


def test_a_categorical_column_is_read_as_the_file_holds_it(tmp_path):
    n = 300
    frame = pd.DataFrame(
        {
            "kind": pd.Categorical([("cargo", "tanker", None)[i % 3] for i in range(n)]),
            "name": [f"SHIP {i % 7}" for i in range(n)],
            "x": np.arange(n, dtype="int64"),
        }
    )
    path = tmp_path / "cats.parquet"
    frame.to_parquet(path, row_group_size=100)
    got = pa.Table.from_batches(list(iter_batches(path, 70, 50.0, "cats")))
    assert got.schema == pq.read_schema(path)
    assert got.equals(pq.read_table(path))
    assert isinstance(got.to_pandas()["kind"].dtype, pd.CategoricalDtype)
