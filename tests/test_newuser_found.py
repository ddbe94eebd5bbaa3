"""What a new user met following README.md literally from a fresh clone (session hDW).

Each test fails on the code or the documents as they were before its fix.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import config_from, disk_cells, factor_context

import pipeline.builtin_factors  # noqa: F401  (the built-ins registered before a snapshot)
from pipeline import grid
from pipeline.factors import default_registry

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    m = re.search(rf"^##+ {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert m, f"README has no section {title!r}"
    return m.group(1)


@pytest.fixture()
def _registry_restored(monkeypatch):
    """The default registry as it was: a plug-in registered here stays in this test."""
    for attr in ("_factors", "_entries", "_loaded"):
        monkeypatch.setattr(default_registry, attr, copy.copy(getattr(default_registry, attr)))


def test_readme_plugin_example_runs_when_copied_into_a_file(
    tmp_path, monkeypatch, _registry_restored
):
    # "Add a risk factor": the example copied as it stands into a module and named in
    # factors.plugins, as the README says.  It had no `import pipeline` (the config refused the
    # module: NameError) and a body of `...` (the run ended: compute() returned None).
    block = re.search(r"```python\n(.*?)```", _section("Add a risk factor"), re.S)
    assert block, "the section shows no Python example"
    code = block.group(1)
    module = "readme_factor_example_hdw"
    (tmp_path / f"{module}.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    attr = re.search(r"^def (\w+)\(ctx\)", code, re.M).group(1)
    name = re.search(r'name="(\w+)"', code).group(1)
    config = config_from(
        {
            "run": {"as_of": "2024-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 11, 41], "resolution": 6},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "seizures.csv")}],
                "ports": str(tmp_path / "ports.csv"),
            },
            "factors": {"plugins": [f"{module}:{attr}"]},
            "score": {"factors": {"seizure_density": {"weight": 1}, name: {"weight": 1}}},
        },
        tmp_path,
    )
    (factor,) = default_registry.resolve([name], config.inputs_view())
    cells = disk_cells(3)
    port_cell = cells[len(cells) // 2]
    lat, lon = grid.cells_to_latlng(np.array([port_cell], dtype=np.uint64))
    ports = pd.DataFrame({"name": ["A"], "lon": lon, "lat": lat})
    values = factor(replace(factor_context(cells), ports=ports)).values
    assert np.isfinite(values).all() and (values > 0).all() and (values <= 1).all()
    assert values[len(cells) // 2] == values.max()  # the port's own cell is the closest


def test_validate_refuses_a_raster_of_several_bands_without_band(tmp_path, capsys):
    # The real Landsat scene (RGB.byte.tif, 3 bands) in a config written from
    # configs/example.yaml, whose comment said `band: null` reads "all bands": validate said
    # "valid", and the run then ended "raster 'landsat' has 3 bands; a factor reads one".
    from _rasters import write_tif
    from rasterio.transform import from_origin

    from pipeline.cli import main

    write_tif(tmp_path / "rgb.tif", np.ones((3, 4, 4), "uint8"), from_origin(9, 41, 0.5, 0.5))
    (tmp_path / "seizures.csv").write_text("date,lat,lon\n2023-05-01,40.0,10.0\n")
    config_from(
        {
            "run": {"as_of": "2024-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 11, 41], "resolution": 5},
            "inputs": {
                "seizures": [{"path": str(tmp_path / "seizures.csv")}],
                "rasters": [{"path": str(tmp_path / "rgb.tif"), "name": "landsat"}],
            },
        },
        tmp_path,
    )
    capsys.readouterr()
    assert main(["--log-format", "text", "validate", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert "'landsat'" in err and "3 bands" in err and "band:" in err, err
    # the example config no longer says a factor reads them all
    example = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    band = re.search(r"^\s+band: null\s+#(.*)$", example, re.M).group(1)
    assert "all bands" not in band, band


def test_readme_names_every_kernel_whose_default_at_resolution_5_is_not_25_km():
    # "density.bandwidth_km and evaluate.kde_bandwidth_km default to 25 km ... on resolution 5
    # and finer": a config with `kernel: uniform` at resolution 5 got 30 km (three edges of
    # 9.85 km, rounded up), noted by the run, while the README and example.yaml said 25 km.
    from pipeline.density import KERNELS, default_bandwidth_km

    text = " ".join(_section("How a cell's score is explained").split())
    m = re.search(r"\*\*The default bandwidths follow the resolution\.\*\*(.*?)(?=\*\*|$)", text)
    assert m, "the README no longer has the paragraph on default bandwidths"
    paragraph = m.group(1)
    for kernel in KERNELS:
        h = default_bandwidth_km(kernel, 5)
        if h != 25:
            assert re.search(rf"{h:g} km[^.]*\b{kernel}\b|\b{kernel}\b[^.]*{h:g} km", paragraph), (
                kernel,
                h,
            )
    example = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    for key in ("# bandwidth_km: 25", "# kde_bandwidth_km: 25"):
        comment = " ".join(
            line.split("#", 2)[-1].strip()
            for line in example[example.index(key) :].splitlines()[:4]
        )
        assert "uniform" in comment, (key, comment)
