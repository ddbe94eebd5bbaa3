"""End-to-end tests of the ``route-risk`` command on the seeded demo data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=900,
    )


def cli_here(capsys, *args):
    """Run ``route-risk ARGS`` in this process; return (exit code, stdout, stderr).

    For the tests that check only the exit code and the messages (a real process costs two
    seconds of imports): the warning filters are Python's defaults, as in a ``route-risk``
    process, and the command routes warnings into its log as there, so a warning shows on
    stderr and counts against the one-line checks.  The tests that need a real process
    (the demo run, signals, locks across processes, ``test_run_with_missing_input_exits_2``
    for the exit status of the interpreter itself) use :func:`cli`.
    """
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (
            DeprecationWarning,
            PendingDeprecationWarning,
            ImportWarning,
            ResourceWarning,
        ):
            warnings.simplefilter("ignore", category)
        logging.captureWarnings(False)  # the command's setup_logging captures them anew
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = exc.code
        finally:
            logging.captureWarnings(False)
    out, err = capsys.readouterr()
    return code, out, err


def pipeline_config():
    from pipeline.config import load_config

    return load_config(REPO / "configs" / "demo.yaml")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`route-risk demo --out DIR` once for the whole session."""
    out = tmp_path_factory.mktemp("demo")
    proc = cli("demo", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_demo_prints_the_map_and_publishes_everything(demo_run):
    out, proc = demo_run
    map_path = Path(proc.stdout.strip().splitlines()[-1])
    assert map_path == out / "risk_map.html"
    for name in [
        "risk_map.html",
        "scores.parquet",
        "scores.gpkg",
        "scores.csv",
        "scores.geojson",
        "features.parquet",
        "events.parquet",
        "seizures.parquet",
        "pings.parquet",
        "preview.png",
        "manifest.json",
    ]:
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".staging-*")), "staging folder left behind"
    assert not list(out.glob(".*.tmp")), "temporary file left behind"


def test_demo_data_is_the_full_size_seeded_theatre(demo_run):
    """The data the command wrote: the generator's full-size checks (see test_demo)."""
    from test_demo import (
        full_size_counts_and_planted_behaviours,
        hot_spots_move_and_grow_over_the_three_years,
    )

    from pipeline.demo import DemoFiles

    inputs = demo_run[0] / "inputs"
    files = DemoFiles(
        *(
            inputs / name
            for name in (
                "seizures.csv",
                "ais.csv",
                "ports.csv",
                "nightlights.tif",
                "sar_detections.nc",
            )
        )
    )
    hot_spots_move_and_grow_over_the_three_years(files)
    full_size_counts_and_planted_behaviours(files)


def test_manifest_records_inputs_counts_and_outputs(demo_run):
    out, _ = demo_run
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "ok" and m["as_of"] == "2026-06-30"
    seiz = m["inputs"]["seizures"][0]
    assert len(seiz["sha256"]) == 64
    assert seiz["read"] == seiz["accepted"] + seiz["rejected"]
    assert seiz["read"] >= 5000
    assert m["counts"]["cells"] >= 1000
    assert set(m["counts"]["events"]) == {"encounter", "gap", "loiter"}
    assert {"numpy", "h3", "folium"} <= set(m["versions"])
    for name, info in m["outputs"].items():
        assert (out / info["path"]).exists(), name
    assert m["config"]["density"]["kernel"] == "quartic"
    assert all(v >= 0 for v in m["timings_s"].values())


def test_scores_tables(demo_run):
    out, _ = demo_run
    csv = pd.read_csv(out / "scores.csv")
    assert csv["hex_id"].str.fullmatch(r"[0-9a-f]{15}").all()
    assert csv["risk"].between(0, 100).all()
    contrib = [c for c in csv.columns if c.endswith("__contrib")]
    factors = pipeline_config().score.factors
    assert sorted(contrib) == sorted(f"{f}__contrib" for f in factors)  # the weighted view
    # the demo publishes the fitted model: the shares multiply to the relative risk, and the
    # risk ranks the cells by expected events per km²
    assert pipeline_config().score.model == "fitted"
    shares = [c for c in csv.columns if c.endswith("__share")]
    assert "area__share" in shares and len(shares) > 3
    product = csv[shares].prod(axis=1)
    assert ((product - csv["relative_risk"]).abs() <= 1e-5 * csv["relative_risk"] + 1e-6).all()
    by = csv.groupby("expected_per_km2")["risk"].agg(["min", "max"]).sort_index()
    assert (by["max"].to_numpy()[:-1] <= by["min"].to_numpy()[1:]).all()  # ties rounded alike
    import geopandas as gpd

    gdf = gpd.read_parquet(out / "scores.parquet")
    assert len(gdf) == len(csv) and gdf.crs.to_epsg() == 4326
    assert list(gdf["hex_id"]) == list(csv["hex_id"])


def test_rerun_is_idempotent(demo_run, tmp_path, monkeypatch, capsys):
    out, _ = demo_run
    before = json.loads((out / "manifest.json").read_text())
    monkeypatch.setenv("ROUTE_RISK_DEMO_DATA", str(out / "inputs"))
    map_mtime = (out / "risk_map.html").stat().st_mtime_ns
    # nothing changed: the published run is returned as it is
    code, stdout, stderr = cli_here(capsys, "run", REPO / "configs" / "demo.yaml", "--out", out)
    assert code == 0, stderr
    assert "up to date" in stderr and before["run_id"] in stderr
    assert stdout.strip() == str(out / "risk_map.html")
    assert json.loads((out / "manifest.json").read_text()) == before
    assert (out / "risk_map.html").stat().st_mtime_ns == map_mtime
    # --force and --cold recompute with byte-identical tables: test_nightly (a fitted run of
    # tracks read in chunks); a demo-size recompute here would add 20 s of CPU


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("inputs:\n  seizures:\n    - path: nope.csv\n", "not found"),
        ("density:\n  kernel: boxcar\n", "density.kernel"),
        ("this is: [not yaml\n", "not valid YAML"),
    ],
)
def test_validate_user_errors_exit_2_with_one_line(tmp_path, capsys, text, needle):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    code, _, stderr = cli_here(capsys, "validate", cfg)
    assert code == 2
    assert needle in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_run_with_missing_input_exits_2(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("inputs:\n  seizures:\n    - path: missing.csv\n")
    proc = cli("run", cfg, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "missing.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o" / "risk_map.html").exists()


def test_run_bad_as_of_exits_2(demo_run, monkeypatch, capsys):
    out, _ = demo_run
    monkeypatch.setenv("ROUTE_RISK_DEMO_DATA", str(out / "inputs"))
    code, _, stderr = cli_here(
        capsys, "run", REPO / "configs" / "demo.yaml", "--out", out / "x", "--as-of", "someday"
    )
    assert code == 2 and "as_of" in stderr


def test_validate_ok(demo_run, monkeypatch, capsys):
    out, _ = demo_run
    monkeypatch.setenv("ROUTE_RISK_DEMO_DATA", str(out / "inputs"))
    code, stdout, stderr = cli_here(capsys, "validate", REPO / "configs" / "demo.yaml")
    assert code == 0, stderr
    assert "valid" in stdout


def test_help_for_every_command(capsys):
    for argv in (
        ["--help"],
        ["run", "--help"],
        ["demo", "--help"],
        ["validate", "--help"],
        ["ingest", "--help"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
    assert "--as-of" in capsys.readouterr().out


def test_lock_stops_a_second_run(tmp_path):
    import fcntl

    from pipeline.errors import RunLockedError
    from pipeline.runner.publish import lock

    with open(tmp_path / ".route-risk.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunLockedError, match="another route-risk run"):
            with lock(tmp_path):
                pass


def test_failed_render_keeps_the_last_good_map(demo_run, monkeypatch, tmp_path):
    """A crash mid-run leaves the published map and manifest untouched.

    The crashing run is the demo config on the demo data without the stages this claim does
    not involve (fitted model, back-test, hot spots, timeline: 5 s of CPU at demo size); it
    still stages ingest, cells, features and scores before the render fails.
    """
    import shutil

    import pipeline.run as run_mod
    import pipeline.runner.stages as stages_mod
    from pipeline.config import load_config

    out, _ = demo_run
    copy = tmp_path / "pub"
    shutil.copytree(out, copy, symlinks=True)  # keep the links through current
    before = (copy / "risk_map.html").read_bytes(), (copy / "manifest.json").read_bytes()
    monkeypatch.setenv("ROUTE_RISK_DEMO_DATA", str(out / "inputs"))
    lighter = {
        "score.model": "weighted",
        "evaluate.enabled": False,
        "hotspots.enabled": False,
        "timeline.months": 0,
    }
    config = load_config(REPO / "configs" / "demo.yaml", overrides=lighter)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setitem(stages_mod.STAGE_FUNCTIONS, "render", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        run_mod.run_pipeline(config, out_dir=copy, force=True)
    assert (copy / "risk_map.html").read_bytes() == before[0]
    assert (copy / "manifest.json").read_bytes() == before[1]
    assert not list(copy.glob(".staging-*"))


@pytest.mark.browser
def test_demo_map_draws_in_chromium_offline(demo_run, page):
    out, _ = demo_run
    requests = []
    page.route(
        "**/*",
        lambda route: (
            (requests.append(route.request.url), route.abort())
            if not route.request.url.startswith(("file:", "data:", "blob:"))
            else route.continue_()
        ),
    )
    page.goto((out / "risk_map.html").as_uri())
    page.wait_for_function("window.routeRisk && window.routeRisk.hexCount > 0", timeout=60000)
    n = page.evaluate("window.routeRisk.hexCount")
    assert n >= 1000
    m = json.loads((out / "manifest.json").read_text())
    assert n == m["counts"]["cells"]
    assert page.errors == []
    assert requests == []
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "demo-map.png"))


def test_ingest_command_json(small_demo, tmp_path, capsys):
    """The demo's files, at the small size (the command reads a file the same way)."""
    inputs = small_demo / "inputs"
    code, stdout, stderr = cli_here(
        capsys, "ingest", "seizures", inputs / "seizures.csv", "--json", "--out", tmp_path
    )
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["accepted"] + summary["rejected"] == 800
    assert {"accepted", "rejected", "rejects_file", "by_rule"} <= set(summary)
    code, stdout, stderr = cli_here(
        capsys, "ingest", "raster", inputs / "nightlights.tif", "--json"
    )
    assert code == 0, stderr
    info = json.loads(stdout)
    assert "4326" in str(info["crs"]) and 0 < info["valid_fraction"] <= 1
    code, stdout, _ = cli_here(capsys, "ingest", "tracks", inputs / "ais.csv")
    assert code == 0 and "accepted" in stdout.lower()


@pytest.mark.parametrize("kind", ["seizures", "tracks", "raster"])
def test_ingest_command_unusable_file_exits_2(tmp_path, capsys, kind):
    bad = tmp_path / ("x.tif" if kind == "raster" else "x.csv")
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    code, stdout, stderr = cli_here(capsys, "ingest", kind, bad)
    assert code == 2, (stdout, stderr)
    assert "x." in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    code, _, stderr = cli_here(capsys, "ingest", kind, tmp_path / "missing.csv")
    assert code == 2 and "missing.csv" in stderr


@pytest.mark.parametrize("case", ["input_is_folder", "empty_ports", "out_is_file", "bad_factor"])
def test_more_user_errors_exit_2_with_one_line(demo_run, tmp_path, capsys, case):
    out, _ = demo_run
    seizures = out / "inputs" / "seizures.csv"
    text = f"inputs:\n  seizures:\n    - path: {seizures}\n"
    target = tmp_path / "o"
    if case == "input_is_folder":
        text = f"inputs:\n  seizures:\n    - path: {tmp_path}\n"
    elif case == "empty_ports":
        (tmp_path / "ports.csv").write_text("")
        text += f"  ports: {tmp_path / 'ports.csv'}\n"
    elif case == "out_is_file":
        target = tmp_path / "a-file"
        target.write_text("x")
    elif case == "bad_factor":
        text += "score:\n  factors: {vessel_hours: {weight: 1}}\n"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    code, _, stderr = cli_here(capsys, "run", cfg, "--out", target)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_validate_checks_ports_and_polygon_exist(demo_run, tmp_path, capsys):
    out, _ = demo_run
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  seizures:\n    - path: {out / 'inputs' / 'seizures.csv'}\n  ports: nope.csv\n"
    )
    code, _, stderr = cli_here(capsys, "validate", cfg)
    assert code == 2 and "nope.csv" in stderr
