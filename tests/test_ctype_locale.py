"""The user's locale does not reach the C libraries' keywords (pipeline/_ctype.py).

Under ``LC_ALL=tr_TR.UTF-8`` GEOS read the WKT ``LineString (...)`` of a lanes CSV as the
unknown type ``LiNESTRiNG`` (a lane rejected as "not WKT geometry", other features and
scores, exit 0) and wrote ``LiNESTRiNG`` into the rejects; under ``tr_TR.ISO-8859-9``
writing a rejected line's WKT raised ``UnicodeDecodeError``.
"""

from __future__ import annotations

import json
import locale
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "ingest"

_READ = """
import json, sys
import pipeline

lanes = pipeline.read_context(sys.argv[1], "lanes", crs="EPSG:4326")
tracks = pipeline.read_tracks(sys.argv[2])
print(json.dumps({
    "lanes": [g.wkt for g in lanes.frame.geometry],
    "lane_rejects": lanes.by_rule,
    "track_reject_values": sorted(tracks.rejects["value"].astype(str)),
}))
"""


def _available(names: tuple[str, ...]) -> str | None:
    """The first of ``names`` this machine has as a locale (left unchanged), or None."""
    before = locale.setlocale(locale.LC_CTYPE)
    try:
        for name in names:
            try:
                locale.setlocale(locale.LC_CTYPE, name)
            except locale.Error:
                continue
            return name
        return None
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def _read_in(lang: str, lanes: Path) -> dict:
    env = {**os.environ, "LC_ALL": lang, "LANG": lang}
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(lanes), str(DATA / "s_points.geojson")],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "candidates",
    [("tr_TR.UTF-8", "tr_TR.utf8", "az_AZ.UTF-8", "az_AZ.utf8"), ("tr_TR.ISO-8859-9",)],
    ids=["turkish-utf8", "turkish-latin5"],
)
def test_wkt_reads_and_writes_as_under_c_in_a_turkish_locale(tmp_path, candidates):
    lang = _available(candidates)
    if lang is None:
        pytest.skip(f"no locale among {candidates} on this machine (localedef -i tr_TR ...)")
    lanes = tmp_path / "lanes.csv"
    lanes.write_text(
        'name,wkt\nA,"LineString (-60 15, -30 25)"\nB,"LINESTRING (-70 25, -50 30)"\n',
        encoding="utf-8",
    )
    want = _read_in("C.UTF-8", lanes)
    assert want["lanes"] == ["LINESTRING (-60 15, -30 25)", "LINESTRING (-70 25, -50 30)"]
    assert "LINESTRING (100 10, 101 11)" in want["track_reject_values"]
    assert _read_in(lang, lanes) == want


def test_a_ctype_with_other_ascii_case_rules_is_replaced_by_c(monkeypatch):
    """Where the C library's ``toupper`` of ASCII is not C's, LC_CTYPE becomes C's."""
    from pipeline import _ctype

    assert _ctype.ascii_case_is_c()  # this process: pipeline made it so on import
    before = locale.setlocale(locale.LC_CTYPE)
    monkeypatch.setattr(_ctype, "ascii_case_is_c", lambda: False)
    monkeypatch.setattr(_ctype, "_replaced", [])
    try:
        locale.setlocale(locale.LC_CTYPE, "")  # what Python set from the environment
        environment = locale.setlocale(locale.LC_CTYPE)
        assert _ctype.use_ascii_case() == environment
        assert locale.setlocale(locale.LC_CTYPE) in ("C.UTF-8", "C.utf8", "C")
        assert _ctype.replaced_ctype() == environment
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    monkeypatch.setattr(_ctype, "ascii_case_is_c", lambda: True)
    assert _ctype.use_ascii_case() is None


def test_a_non_ascii_output_folder_under_a_non_utf8_file_system_encoding_is_refused(
    small_demo, tmp_path, monkeypatch
):
    """Under ``LC_ALL=tr_TR.ISO-8859-9`` Python named the folder in Latin-5 and Arrow its
    files in UTF-8: the run died writing a staging file (exit 70) instead of one line."""
    from conftest import small_config

    import pipeline
    from pipeline.errors import ConfigError

    cfg = small_config(small_demo, tmp_path)
    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "iso8859-9")
    with pytest.raises(ConfigError, match="is not ASCII .* PYTHONUTF8=1"):
        pipeline.run_pipeline(cfg, out_dir=tmp_path / "çıktı")
    assert not (tmp_path / "çıktı").exists()
