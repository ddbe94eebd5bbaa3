"""Review of a7ced74..af15c4a (vessel-id rules, trailing delimiters, shares, summaries): found.

- Records that end with the delimiter below a plain header (2fa3d2a) were decided per chunk:
  each chunk of a file read in chunks looked at its own first 64 KiB.  A file whose shape
  changes further on (two exports appended, the second with the empty last column) was
  read differently whole and in chunks: whole, the appended records were ``ragged_row``
  rejects; in chunks (and as a Dask run's tasks) they were accepted.  The first chunk now
  decides, as the whole read does on the file's start, and every chunk reads so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._ingest_stage import track_outcome


def _appended_exports(path: Path, first_trailing: bool) -> Path:
    """Two exports of one ship each, 1500 pings (more than 64 KiB) then 1500 more.

    One of them ends every record with the delimiter; in the other the last named value
    (``sog``) is empty on every other row (a record ending with the delimiter too, whole).
    """
    lines = ["mmsi,timestamp,lat,lon,sog"]
    for part, ship in enumerate((235000001, 235000002)):
        trailing = (part == 0) == first_trailing
        for k in range(1500):
            sog = "" if k % 2 and not trailing else "9.5"
            lines.append(
                f"{ship},2024-01-01T{k // 360:02d}:{(k // 6) % 60:02d}:{(k % 6) * 10:02d}Z,"
                f"{50 + k / 5000:.4f},{-1 + k / 5000:.4f},{sog}" + ("," if trailing else "")
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("first_trailing", [False, True])
def test_records_ending_with_the_delimiter_are_decided_once_for_the_file(tmp_path, first_trailing):
    path = _appended_exports(tmp_path / "t.csv", first_trailing)
    whole = track_outcome(path, "whole", 0, tmp_path)
    by_rule = whole[0]
    # whole: the second export's records are ragged rows (1500, or those with no sog)
    assert by_rule.get("ragged_row") == (750 if first_trailing else 1500)
    for how in ("chunks", "parts"):
        assert track_outcome(path, how, 700, tmp_path) == whole, how
