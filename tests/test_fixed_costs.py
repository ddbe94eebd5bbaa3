"""The fixed costs of a run: work each run repeated although nothing it depends on changed.

Each test checks that the repeated work is skipped while its inputs are unchanged and done
again when they change (a cached answer must never outlive what it was read from).
"""

from __future__ import annotations

import importlib.metadata as md
import sys
import time


def test_library_versions_are_read_once_until_a_package_folder_changes(tmp_path, monkeypatch):
    """Every run read the installed metadata of 24 libraries for the manifest and the cache
    keys (~9 ms a run, hundreds of runs in the test suite); now again only when a folder of
    ``sys.path`` changes (installing or upgrading a package writes its metadata there)."""
    from pipeline.runner.manifest import versions

    real = md.version
    reads: list[str] = []

    def counted(name: str) -> str:
        reads.append(name)
        return real(name)

    monkeypatch.setattr(md, "version", counted)
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(folder)])
    first = versions()
    assert reads and first["numpy"] == real("numpy")
    n = len(reads)
    assert versions() == first
    assert len(reads) == n  # nothing read again
    # a package installed into a folder of sys.path: its metadata folder appears there
    time.sleep(0.01)  # a later modification time on a coarse clock
    (folder / "newpkg-1.0.dist-info").mkdir()
    assert versions() == first
    assert len(reads) == 2 * n  # read again


def test_blas_libraries_are_looked_for_again_only_after_an_import(monkeypatch):
    """Each run looked for the loaded BLAS libraries (threadpoolctl scans every shared
    object, ~5 ms) to compute on one thread; now again only when a module was imported."""
    import types

    import threadpoolctl

    from pipeline.run import one_blas_thread

    made: list[object] = []

    class Counted(threadpoolctl.ThreadpoolController):
        def __init__(self) -> None:
            made.append(self)
            super().__init__()

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Counted)
    # a module new to this process: the first call looks again whatever ran before it here
    monkeypatch.setitem(sys.modules, "route_risk_test_first_module", types.ModuleType("x"))
    with one_blas_thread():
        pass
    n = len(made)
    assert n == 1
    with one_blas_thread():
        blas = [i for i in made[-1].info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
    assert len(made) == n  # not looked for again
    monkeypatch.setitem(sys.modules, "route_risk_test_new_module", types.ModuleType("x"))
    with one_blas_thread():
        pass
    assert len(made) == n + 1  # a module was imported: looked for again
