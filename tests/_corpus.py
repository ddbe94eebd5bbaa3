"""The adversarial ingest corpus (tests/data/ingest, see its README), shared by the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "ingest"

#: Module mark of the ingest tests: the readers' dependencies emit PendingDeprecationWarning.
IGNORE_PENDING_DEPRECATION = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def write_ais_with(
    tmp_path: Path, header: str, values: list[str], time_header: str = "BaseDateTime"
) -> Path:
    """Write a MarineCadastre-like AIS CSV of two vessels with one extra column (a value a row).

    Row ``i`` is at 10:00 on 2023-01-0``i+1`` (a time without zone), latitude ``30 + i/10``.
    """
    rows = [f"MMSI,{time_header},LAT,LON,SOG,COG,{header}"]
    for i, v in enumerate(values):
        rows.append(f"36600000{i % 2},2023-01-0{1 + i}T10:00:00,{30 + i * 0.1},-80,10,90,{v}")
    path = tmp_path / "ais.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write ``lines`` as a UTF-8 text file at ``path``, one a line, and return ``path``."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` as UTF-8 into ``tmp_path/name`` byte for byte (no newline translation)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def line_of(text: str, needle: str, before: int = 0) -> int:
    """The physical line of the one occurrence of ``needle`` in ``text``, less ``before``."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1 - before


def assert_accounted(res) -> None:
    """Every record read is accepted or rejected: ``read = accepted + rejected``."""
    assert res.n_read == len(res.frame) + len(res.rejects)


def write_one_huge_row_group(path: Path, n: int = 60_000, row_group_size: int = 0) -> Path:
    """Write ``n`` pings of 60 vessels (one a second from 2024-03-01) as ONE Parquet row group.

    About 2 MiB decoded: beyond ``max_uncompressed_mb=1`` as one pass, whatever the reader's
    chunk size.  A ``row_group_size`` writes the same pings in groups of that many rows.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "mmsi": pa.array(np.repeat(np.arange(247000001, 247000061), n // 60).astype(str)),
            "timestamp": pa.array(pd.date_range("2024-03-01", periods=n, freq="s", tz="UTC")),
            "lat": np.full(n, 50.0),
            "lon": np.full(n, 1.0),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size or n, compression="zstd")
    return path


def assert_times_read(values: list, expected: list, case: str) -> None:
    """``parse_times(values)`` gives ``expected`` (None: not read), compared as text."""
    import pandas as pd

    from pipeline.ingest._dates import parse_times

    got = parse_times(pd.Series(values)).times.tolist()
    want = [pd.NaT if e is None else e for e in expected]
    assert [str(g) for g in got] == [str(w) for w in want], case


def arrow_pings(n: int = 9):
    """An Arrow table of ``n`` pings of two vessels (ids as text, 10-minute steps, UTC)."""
    import pandas as pd
    import pyarrow as pa

    return pa.table(
        {
            "mmsi": ["247000001"] * 5 + ["247000002"] * (n - 5),
            "timestamp": pa.array(pd.date_range("2024-03-01", periods=n, freq="10min", tz="UTC")),
            "lat": [50.0 + i / 100 for i in range(n)],
            "lon": [1.0] * n,
        }
    )


#: The GPX namespaces by version.
GPX_NS = {"1.1": "http://www.topografix.com/GPX/1/1", "1.0": "http://www.topografix.com/GPX/1/0"}


def gpx_points_by_etree(text: str, version: str) -> list[tuple]:
    """(kind, owner, lat, lon, time) of every ``<trkpt>`` then ``<rtept>``, as ElementTree
    reads them: a reference for ``read_gpx_points`` (time stripped, None where absent)."""
    import xml.etree.ElementTree as ET

    ns = {"g": GPX_NS[version]}
    root = ET.fromstring(text.encode())
    want = []
    for kind, owner_tag, point_tag in (("track", "trk", "trkpt"), ("route", "rte", "rtept")):
        for owner, el in enumerate(root.findall(f"g:{owner_tag}", ns)):
            for pt in el.iter(f"{{{ns['g']}}}{point_tag}"):
                t = pt.find("g:time", ns)
                time = None if t is None or t.text is None else t.text.strip()
                want.append((kind, owner, pt.get("lat"), pt.get("lon"), time))
    return want
