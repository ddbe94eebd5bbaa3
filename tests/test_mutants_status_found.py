"""Tests that a mutation review of ``route-risk status`` / ``history`` and the manifest found missing.

Each test pins a promise of :func:`pipeline.run.run_status`, :func:`pipeline.run.run_history`
or :mod:`pipeline.runner.manifest` that a small hand-made bug broke with every other test
still passing (or that the code broke itself).  Expected values come from folders, links,
file times and manifests written here by hand, read back with ``json.loads``, ``os.lstat``,
``hashlib.sha256`` and ages worked out with :mod:`datetime`; no pipeline run is needed.
"""

from __future__ import annotations

from pathlib import Path

from test_mutants_publish_found import NOW, _published

from pipeline.run import run_status


def _victim(tmp_path: Path, n_bytes: int = 100_000) -> Path:
    """A folder elsewhere holding a file of ``n_bytes``: none of it is the output folder's."""
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "big.bin").write_bytes(b"x" * n_bytes)
    return victim


def test_a_cache_folder_linked_elsewhere_is_not_counted_and_the_refused_next_run_is_said(tmp_path):
    """A run refuses ``.cache`` (or ``.spill``) that is a link or a file (nothing written
    through a link): ``status`` says the next run will be refused, and never walks the link
    to count the bytes of the folder it leads to as the output folder's cache."""
    victim = _victim(tmp_path)
    out = _published(tmp_path / "out", finished=NOW)
    (out / ".cache").mkdir()
    (out / ".cache" / "entry.parquet").write_bytes(b"y" * 1234)
    st = run_status(out, now=NOW, verify=False)
    assert st["disk"]["cache_bytes"] == 1234 and st["attention"] == []
    (out / ".cache" / "entry.parquet").unlink()
    (out / ".cache").rmdir()
    (out / ".cache").symlink_to(victim, target_is_directory=True)
    st = run_status(out, now=NOW, verify=False)
    assert st["disk"]["cache_bytes"] is None  # not read: unknown, not the 100,000 elsewhere
    assert len(st["attention"]) == 1
    assert "the next run will be refused" in st["attention"][0]
    assert repr(str(out / ".cache")) in st["attention"][0]
    (out / ".spill").write_text("not a folder\n")
    st = run_status(out, now=NOW, verify=False)
    assert len(st["attention"]) == 2 and repr(str(out / ".spill")) in st["attention"][1]
