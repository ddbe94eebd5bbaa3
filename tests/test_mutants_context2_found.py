"""Mutation pass on the context layers (``ingest/context.py``): second round, gaps found.

Each test kills a mutant the suite let live; the expected rows and rules are read off the
tiny files written here (a CSV's first data line is line 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_context


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejects(res) -> list[tuple[int, str]]:
    return sorted(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


def test_ports_half_of_them_beyond_90_degrees_are_read_as_degrees_not_refused(tmp_path):
    # 'mostly outside degree ranges' is more than half: one port of two at latitude 95 is
    # a bad row in a degrees file (rejected), not a projected file to refuse
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", "A,51.9,4.1", "B,95.0,4.1")
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["A"]
    assert _rejects(res) == [(3, "lat_out_of_range")]
    assert res.assumptions["crs"]["by"] == "default"
    # two of three beyond: projected, refused with one line
    path = _csv(tmp_path / "proj.csv", "name,lat,lon", "A,51.9,4.1", "B,95,4", "C,5000,4")
    with pytest.raises(InputError, match="mostly outside degree ranges"):
        read_context(path, "ports")
