"""Execute every notebook (stored without outputs) as part of the test run."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


NEEDS_SHARED = {"04-real-incidents.ipynb"}


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch, request):
    if path.name in NEEDS_SHARED:
        request.getfixturevalue("shared_data")  # skips cleanly without ../shared/data
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} is stored with outputs; clear them"
    monkeypatch.setenv("ROUTE_RISK_NOTEBOOK_DIR", str(tmp_path))
    # a smaller draw of the data, the same steps (each notebook documents what it changes)
    monkeypatch.setenv("ROUTE_RISK_NOTEBOOK_QUICK", "1")
    from conftest import SHARED_DATA

    monkeypatch.setenv("ROUTE_RISK_SHARED_DATA", str(SHARED_DATA))
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()


def test_the_researcher_notebooks_exist_and_store_no_large_outputs():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "01-quickstart.ipynb",
        "02-add-a-risk-factor.ipynb",
        "03-tune-and-back-test.ipynb",
        "04-real-incidents.ipynb",
    } <= names
    for p in NOTEBOOKS:
        assert p.stat().st_size < 100_000, f"{p.name} is {p.stat().st_size} bytes"
        assert "srcdoc" not in p.read_text(), f"{p.name} embeds a whole page"
        # nbformat 4.5 cells carry unique ids (a missing one is a warning today, an error later).
        # (read as JSON: nbformat.read fills a missing id in, with a warning)
        ids = [c.get("id") for c in json.loads(p.read_text(encoding="utf-8"))["cells"]]
        assert None not in ids and len(set(ids)) == len(ids), f"{p.name}: cell ids {ids}"


def test_the_notebooks_are_what_tools_make_notebooks_writes():
    """A notebook edited by hand drifts from its generator, and `make notebooks` would undo it."""
    import importlib.util

    tool = Path(__file__).resolve().parents[1] / "tools" / "make_notebooks.py"
    spec = importlib.util.spec_from_file_location("make_notebooks", tool)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.NOTEBOOK_CELLS) == [p.name for p in NOTEBOOKS]
    for p in NOTEBOOKS:
        written = module.notebook_text(module.NOTEBOOK_CELLS[p.name]())
        assert written == p.read_text(encoding="utf-8"), (
            f"{p.name} differs from tools/make_notebooks.py: edit the tool, then `make notebooks`"
        )
