"""The module layout is the architecture: checks that keep it so (issue #9)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
# Imports of a private name across modules that are known and owned elsewhere; each entry
# names who removes it.  Keep this list short.
PRIVATE_IMPORT_ALLOWED: set[tuple[str, str]] = set()


@functools.cache  # parsed once for the checks below (1.5 s each); they only read the trees
def _modules() -> list[tuple[str, ast.Module]]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20, files
    return [(str(f.relative_to(PACKAGE)), ast.parse(f.read_text("utf-8"))) for f in files]


def _imported_modules(tree: ast.Module) -> set[str]:
    """Top-level names of every absolute import in the module, at any depth (lazy ones too)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    for node in ast.walk(tree):  # importlib.import_module("h3") would dodge the check above
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.add(node.args[0].value.split(".")[0])
    return out


def test_only_grid_imports_h3():
    importers = sorted(
        name for name, tree in _modules() if _imported_modules(tree) & {"h3", "h3ronpy"}
    )
    assert importers == ["grid.py"]


def test_the_check_sees_lazy_imports():
    tree = ast.parse("def f():\n    from h3ronpy.vector import x\n    import h3 as y\n")
    assert {"h3", "h3ronpy"} <= _imported_modules(tree)
    tree = ast.parse("import importlib\nimportlib.import_module('h3ronpy')\n")
    assert "h3ronpy" in _imported_modules(tree)


def test_no_module_imports_another_modules_private_names():
    found = set()
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                node.level > 0 or (node.module or "").split(".")[0] == "pipeline"
            ):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.add((name, alias.name))
    assert found <= PRIVATE_IMPORT_ALLOWED, sorted(found - PRIVATE_IMPORT_ALLOWED)


def test_density_is_a_package_whose_modules_are_private():
    import pipeline
    import pipeline.density as density

    modules = sorted(p.name for p in (PACKAGE / "density").glob("*.py"))
    assert "__init__.py" in modules
    assert all(m.startswith("_") for m in modules), modules
    assert not list(PACKAGE.glob("_density_*.py"))
    for name in density.__all__:
        assert getattr(density, name) is not None
    for name in ("kernel_density", "kernel_density_exact", "select_bandwidth", "DensityResult"):
        assert getattr(pipeline, name) is getattr(density, name)


def test_render_is_a_package_and_test_helpers_are_public():
    import pipeline
    import pipeline.render as render
    import pipeline.testing as testing

    modules = sorted(p.name for p in (PACKAGE / "render").glob("*.py"))
    assert all(m.startswith("_") for m in modules), modules
    assert not list(PACKAGE.glob("_render_*.py"))
    api = ["build_map", "map_to_html", "write_map", "write_preview_png", "escape_text"]
    api += ["MapData", "FactorInfo", "RasterOverlay", "RenderOptions"]
    assert set(api) <= set(render.__all__)
    for name in api:
        assert getattr(pipeline, name) is getattr(render, name)
    assert set(testing.__all__) >= {"sample_cells", "sample_map_data"}
