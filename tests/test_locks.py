"""The two lock files: the runtime lock is the full lock's runtime part, at the same versions.

``requirements.lock`` pins runtime + test + bench (development, CI); ``requirements-runtime.lock``
the runtime alone (a server's nightly job, ``make venv-runtime``).  Both come from ``make lock``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.split(r"[<>=!~;\s\[]", req, maxsplit=1)[0])


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_the_runtime_lock_pins_the_full_lock_s_versions_and_no_dev_tool():
    full, runtime = _pins(REPO / "requirements.lock"), _pins(REPO / "requirements-runtime.lock")
    assert runtime and set(runtime) < set(full)
    assert {n: v for n, v in runtime.items() if full[n] != v} == {}
    project = _project()
    runtime_names = {_requirement_name(r) for r in project["dependencies"]}
    assert runtime_names <= set(runtime), runtime_names - set(runtime)
    extras = {
        _requirement_name(r) for reqs in project["optional-dependencies"].values() for r in reqs
    }
    assert extras & set(runtime) == set(), "a test/bench tool in the runtime lock"
    # the command that made it is the one of `make lock`
    makefile = (REPO / "Makefile").read_text()
    header = (REPO / "requirements-runtime.lock").read_text().splitlines()[1].strip("# ").strip()
    assert header.replace("uv pip compile", "pip compile -q") in makefile


def _third_party_imports() -> set[str]:
    names = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"pipeline"}}


def test_every_module_the_package_imports_comes_with_a_runtime_dependency():
    """An import of a test or bench package (esda, sklearn) in ``pipeline/`` would leave a
    server installed from the runtime lock with an ImportError at night."""
    runtime = set(_pins(REPO / "requirements-runtime.lock"))
    declared = {_requirement_name(r) for r in _project()["dependencies"]}
    dists = packages_distributions()
    missing, undeclared = {}, {}
    for module in sorted(_third_party_imports()):
        provided = {_norm(d) for d in dists.get(module, [])}
        assert provided, f"{module!r} is imported by pipeline/ but not installed"
        if not provided & runtime:
            missing[module] = sorted(provided)
        if not provided & declared:
            undeclared[module] = sorted(provided)
    assert missing == {}, "imported by pipeline/, absent from requirements-runtime.lock"
    assert undeclared == {}, "imported by pipeline/ but only a dependency of a dependency"
