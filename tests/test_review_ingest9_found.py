"""Review of ad267d2..cdc40d2 (ingest: ids whole or in chunks, areas, dates): what was found.

- A row number of two exports joined end to end (``No.`` 0..29, 0..29) is refused as a
  vessel id (it names the n-th row of each export, no vessel).  The rule added for vessels
  numbered 1, 2, 3 reporting in turn took the number for a vessel's wherever another
  column held "one value per number" on 90% of rows, and a GPS logger's ``sats`` of 8 on
  nearly every row does so by chance: the row number became the vessel id, 30 "vessels"
  for 3, no word.  The agreement must now go well beyond that of the column's most common
  value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks


def _joined_exports(path):
    """Two exports of 3 ships, each numbering its rows 0..29, beside a 'sats' mostly 8."""
    rows = []
    for e in range(2):
        for k in range(30):
            sats = {(0, 4): 7, (1, 11): 9}.get((e, k), 8)
            rows.append(
                {
                    "No.": k,
                    "time": f"2024-03-0{e + 1}T00:{k:02d}:00Z",
                    "lat": 50 + 0.5 * (k % 3) + 1e-4 * k,
                    "lon": -1 + 1e-4 * k,
                    "sats": sats,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_row_number_beside_a_mostly_constant_column_is_no_vessel_id(tmp_path):
    with pytest.raises(InputError, match=r"'No\.' \(numbers the rows"):
        read_tracks(_joined_exports(tmp_path / "t.csv"))
