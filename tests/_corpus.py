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


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` as UTF-8 into ``tmp_path/name`` byte for byte (no newline translation)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def assert_accounted(res) -> None:
    """Every record read is accepted or rejected: ``read = accepted + rejected``."""
    assert res.n_read == len(res.frame) + len(res.rejects)
