"""The examples in the package's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pipeline

MODULES = sorted(m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline."))


@pytest.fixture()
def registry_as_it_was():
    """Remove what an example registered: the module docstring of factors registers one.

    Left registered, it would be computed in every later run of the worker, with the names
    of the example's namespace gone (doctest clears it).
    """
    import pipeline.builtin_factors  # noqa: F401  (the built-ins are registered on import)
    from pipeline.factors import default_registry as reg

    names, entries, loaded = set(reg._factors), list(reg._entries), set(reg._loaded)
    yield
    for name in set(reg._factors) - names:
        del reg._factors[name]
    reg._entries[:] = [e for e in reg._entries if any(e is x for x in entries)]
    reg._loaded.intersection_update(loaded)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, registry_as_it_was):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
