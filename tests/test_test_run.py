"""The test run itself: what ``make test`` adds around the tests (tests/conftest.py)."""

from __future__ import annotations

import pytest


def test_the_controller_writes_the_rewritten_bytecode_its_workers_read(tmp_path, request):
    """xdist's controller writes pytest's rewritten module once; pytest's reader (a worker's)
    takes it, its asserts still explain themselves, and an edited source is written again."""
    from _pytest.assertion.rewrite import _read_pyc
    from conftest import write_rewritten_modules

    src = tmp_path / "test_x.py"
    src.write_text("def f(a):\n    b = [1, a]\n    assert b == [1, 2]\n")
    assert write_rewritten_modules(request.config, [src]) == 1
    assert write_rewritten_modules(request.config, [src]) == 0  # made before, these bytes
    (pyc,) = (tmp_path / "__pycache__").glob("test_x.*pytest*.pyc")
    ns: dict = {}
    exec(_read_pyc(src, pyc), ns)
    with pytest.raises(AssertionError, match=r"(?s)assert \[1, 3\] == \[1, 2\].*index 1"):
        ns["f"](3)
    src.write_text("def f(a):\n    assert a == 2\n")
    assert _read_pyc(src, pyc) is None  # out of date: pytest would rewrite it
    assert write_rewritten_modules(request.config, [src]) == 1
    ns = {}
    exec(_read_pyc(src, pyc), ns)
    with pytest.raises(AssertionError, match=r"assert 3 == 2"):
        ns["f"](3)


def test_a_file_the_controller_cannot_rewrite_is_left_to_the_workers(tmp_path, request):
    """A test file that is no Python, or gone, writes nothing and stops nothing: the worker
    that imports it reports it as pytest does."""
    from conftest import write_rewritten_modules

    bad = tmp_path / "test_bad.py"
    bad.write_text("def f(:\n")
    assert write_rewritten_modules(request.config, [bad, tmp_path / "test_gone.py"]) == 0
    assert not (tmp_path / "__pycache__").exists()
