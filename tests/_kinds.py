"""A small seizure or track table and its reader, for tests run on both kinds of input."""

from __future__ import annotations

import pandas as pd

from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.options import SeizureSource, TrackSource

#: The two kinds of position table, as the tests' parameter.
KINDS = ["seizures", "tracks"]


def record_table(kind: str, lat0: float, lon0: float, n: int = 8) -> pd.DataFrame:
    """Return a seizure or track table of ``n`` rows at (lat0 + i/1000, lon0 + i/1000).

    Seizures have a date and a drug; tracks two vessels' MMSIs and a time a minute apart.
    The positions are in columns ``lat`` and ``lon``, for a test to rename.
    """
    if kind == "seizures":
        rows = {"date": [f"2023-03-{10 + i:02d}" for i in range(n)], "drug": ["cocaine"] * n}
    else:
        rows = {
            "mmsi": [f"36600000{i % 2}" for i in range(n)],
            "timestamp": [f"2023-03-10T10:{10 + i:02d}:00Z" for i in range(n)],
        }
    frame = pd.DataFrame(rows)
    frame["lat"] = [round(lat0 + i / 1000, 6) for i in range(n)]
    frame["lon"] = [round(lon0 + i / 1000, 6) for i in range(n)]
    return frame


#: A records sheet's header: a seizure a day off Trinidad (:func:`fill_records_sheet`).
SHEET_HEADER = ["Date", "Latitude", "Longitude", "Drug", "Quantity (kg)"]


def fill_records_sheet(ws, n: int = 6) -> None:
    """Append :data:`SHEET_HEADER` and ``n`` seizure rows (10:00, a day apart) to sheet ``ws``."""
    import datetime as dt

    ws.append(SHEET_HEADER)
    for i in range(n):
        ws.append(
            [dt.datetime(2023, 3, 1 + i, 10), 10.5 + i * 0.01, -61.2 - i * 0.01, "cocaine", 10 + i]
        )


def records_workbook(cells: dict[str, str] | None = None):
    """Return an openpyxl workbook of one :func:`fill_records_sheet` sheet, ``cells`` set on it."""
    import pytest

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    fill_records_sheet(wb.active)
    for ref, value in (cells or {}).items():
        wb.active[ref] = value
    return wb


def read_kind(kind: str, path, columns: dict | None = None):
    """Read ``path`` as the ``kind`` of input, with ``columns`` named in its source."""
    if kind == "seizures":
        return read_seizures(SeizureSource(path=path, columns=columns or {}))
    return read_tracks(TrackSource(path=path, columns=columns or {}))


def beside_width_and_length(tmp_path, position: str):
    """Write a Polish seizure CSV whose column ``position`` holds DMS pairs beside bare
    ``Długość``/``Szerokość`` (a vessel's length and beam, 25 and 6); return (path, frame)."""
    n = 30
    frame = pd.DataFrame(
        {
            "Data": pd.date_range("2023-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            position: [f"54°{30 + i % 20}'N 018°{36 - i % 20:02d}'E" for i in range(n)],
            "Długość": [25.0 + i for i in range(n)],
            "Szerokość": [6.0 + i * 0.1 for i in range(n)],
            "Ilość kg": range(1, n + 1),
        }
    )
    path = tmp_path / "seizures.csv"
    frame.to_csv(path, index=False)
    return path, frame


def read_own_beside(kind: str, tmp_path, own: tuple, other: tuple):
    """Read a table whose position is in columns ``own`` beside a fixed ``other`` pair.

    Check every record is accounted for, that ``own`` is read as the position with its
    values, and that the evidence names the pair not used; return the result.
    """
    from _corpus import assert_accounted

    frame = record_table(kind, 1.05, 104.2).rename(columns={"lat": own[0], "lon": own[1]})
    frame[other[0]], frame[other[1]] = 1.26, 103.8
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == own
    assert other[0] in cols["lat"]["evidence"]  # the pair not used is named
    assert sorted(res.frame["lat"]) == sorted(frame[own[0]])
    assert sorted(res.frame["lon"]) == sorted(frame[own[1]])
    return res


def read_beside_dates(kind, tmp_path, header, values, *, n=8, date_header=None):
    """Read a :func:`dated_table` with ``header`` holding ``values`` (cycled) beside its dates.

    ``date_header`` renames the dates' column.  Every record must be kept and accounted for.
    """
    from _corpus import assert_accounted

    frame = dated_table(kind, n)
    if date_header is not None:
        frame = frame.rename(columns={"date" if kind == "seizures" else "timestamp": date_header})
    frame[header] = [values[i % len(values)] for i in range(n)]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    assert len(res.frame) == n
    return res


def dated_table(kind: str, n: int = 8) -> pd.DataFrame:
    """A record table off Trinidad whose time column holds dates only, a day apart (tracks too)."""
    frame = record_table(kind, 10.5, -61.2, n=n)
    if kind == "tracks":
        frame["timestamp"] = pd.date_range("2023-03-10", periods=n).strftime("%Y-%m-%d")
    return frame
