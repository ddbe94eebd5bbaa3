"""What a new user met following README.md and the notebooks (session hDX's walkthrough).

Each test fails on the code or the documents as they were before its fix.
"""

from __future__ import annotations

import logging

import numpy as np
from conftest import config_from, disk_cells

from pipeline.density import centre_sampling_note, kernel_density, unreached_expected


def _density_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("pipeline.density") and r.levelno >= logging.WARNING
    ]


def test_unreached_cells_of_the_back_test_are_no_warning(caplog):
    # the back-test's universe cells outside the run's table took the smoothed transit
    # events' density on those cells only: 0 there is the expected value, and `make demo`
    # logged three "kernel density is 0 in every cell" warnings for it
    cells = disk_cells(2)  # about (10 E, 40 N)
    far = (np.array([-60.0, -61.0]), np.array([10.0, 11.0]))
    caplog.set_level(logging.DEBUG, logger="pipeline.density")
    with unreached_expected("back-test universe cells outside the run's table"):
        got = kernel_density(far, cells, bandwidth_km=50)
    assert not got.any()
    assert _density_warnings(caplog) == []
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("as expected: back-test universe cells" in m for m in said), said


def test_points_reaching_no_cell_of_the_run_still_warn(caplog):
    # the published run's density on the area's cells: points elsewhere are worth a warning
    # (swapped coordinates, as a rule), the context reset after the block above
    cells = disk_cells(2)
    with unreached_expected("not this call"):
        pass
    caplog.set_level(logging.DEBUG, logger="pipeline.density")
    kernel_density((np.array([40.0]), np.array([10.0])), cells, bandwidth_km=50)
    warned = _density_warnings(caplog)
    assert len(warned) == 1 and "kernel density is 0 in every cell" in warned[0]
    assert "longitude and latitude swapped" in warned[0]


def _auto_config(tmp_path, resolution: int, kernel: str = "quartic", **density):
    tmp_path.mkdir(parents=True, exist_ok=True)
    seizures = tmp_path / "s.csv"
    seizures.write_text("date,lat,lon\n2024-01-01,42.0,3.0\n")
    raw = {
        "run": {"as_of": "2024-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 6.0, 45.0], "resolution": resolution},
        "inputs": {"seizures": [{"path": str(seizures)}]},
        "density": {"bandwidth_km": "auto", "kernel": kernel, **density},
    }
    return config_from(raw, tmp_path)


def _auto_notes(cfg) -> list[str]:
    return [n for n in cfg.resolution_default_notes() if "auto_bandwidths_km" in n]


def test_auto_candidates_follow_a_coarse_resolution(tmp_path):
    # resolution 4 took the fixed candidates 10-100 km, chose 50 km and then warned that it is
    # narrower than two cell edges (52.1 km): every candidate was narrow there
    cfg = _auto_config(tmp_path, 4)
    got = cfg.density.auto_bandwidths_km
    assert got == (55.0, 137.5, 275.0, 550.0)
    assert all(centre_sampling_note("density.bandwidth_km", h, "quartic", 4) is None for h in got)
    (note,) = _auto_notes(cfg)
    assert note.startswith("density.auto_bandwidths_km [55, 137.5, 275, 550] km")
    assert "at least 2 edges of its 26.1 km cells" in note
    assert "set density.auto_bandwidths_km to keep another" in note


def test_auto_candidates_written_or_at_resolution_5_are_kept(tmp_path):
    written = _auto_config(tmp_path / "w", 4, auto_bandwidths_km=[10, 50])
    assert written.density.auto_bandwidths_km == (10.0, 50.0)
    assert _auto_notes(written) == []
    for kernel in ("quartic", "gaussian", "uniform"):
        at5 = _auto_config(tmp_path / kernel, 5, kernel)
        assert at5.density.auto_bandwidths_km == (10.0, 25.0, 50.0, 100.0), kernel
        assert _auto_notes(at5) == [], kernel


def test_gaussian_notes_say_one_edge_not_one_edges(tmp_path):
    # the gaussian's width is one cell edge: the notes said "at least 1 edges" / "(1 cell edges)"
    note = centre_sampling_note("density.bandwidth_km", 20.0, "gaussian", 4)
    assert note is not None and note.endswith(
        "use a bandwidth of at least 26.1 km (1 cell edge) or area.resolution 5 or finer"
    )
    quartic = centre_sampling_note("density.bandwidth_km", 20.0, "quartic", 4)
    assert quartic is not None and "(2 cell edges)" in quartic
    (said,) = _auto_notes(_auto_config(tmp_path, 4, "gaussian"))
    assert "at least 1 edge of its 26.1 km cells" in said, said
    assert " edges" not in said.split("at least 1 edge")[1].split(";")[0]


def _notebook04_config(tmp_path, monkeypatch, quick: bool):
    """Notebook 04's own config cell (up to its pipeline run), as a researcher would copy it."""
    import json
    import os
    from pathlib import Path

    import yaml

    import pipeline

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "04-real-incidents.ipynb"
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    (code,) = ["".join(c["source"]) for c in cells if 'raw = {\n    "run"' in "".join(c["source"])]
    code = code.split("result = pipeline.run_pipeline")[0]
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "pirate_attacks.csv"
    source.write_text("date,latitude,longitude,attack_type\n2020-01-01,1.0,104.0,Boarded\n")
    monkeypatch.setenv("ROUTE_RISK_NOTEBOOK_QUICK", "1" if quick else "0")
    scope = {"os": os, "yaml": yaml, "pipeline": pipeline, "work": tmp_path, "source": source}
    exec(compile(code, str(nb), "exec"), scope)
    return pipeline.load_config(tmp_path / "piracy.yaml")


def test_notebook04_quick_run_takes_no_narrow_bandwidth(tmp_path, monkeypatch):
    # its quick mode wrote bandwidth_km 25 at resolution 4 (under two 26.1 km edges): the run
    # warned that the density was too narrow for its cells, in a notebook researchers copy
    from pipeline.runner.stages import narrow_kernel_notes

    quick = _notebook04_config(tmp_path / "q", monkeypatch, quick=True)
    assert quick.area.resolution == 4
    assert narrow_kernel_notes(quick, float(quick.density.bandwidth_km)) == []
    # full size (README's and bench/bench_backtest.py's figures) keeps its 25 km at resolution 5
    full = _notebook04_config(tmp_path / "f", monkeypatch, quick=False)
    assert (full.area.resolution, full.density.bandwidth_km) == (5, 25.0)
    assert narrow_kernel_notes(full, 25.0) == []
