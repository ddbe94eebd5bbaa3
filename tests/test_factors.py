"""The factor registry, plug-ins, coverage and the per-stage cache, through the runner."""

from __future__ import annotations

import importlib
import json
import linecache
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import QUICK, small_config

import pipeline
from pipeline.errors import ConfigError, InputError
from pipeline.factors import Factor, FactorRegistry, FactorValues, InputsView, factor

PLUGINS = Path(__file__).parent / "data" / "plugins"
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _const(ctx):
    return np.ones(len(ctx.cells))


def test_registry_resolves_and_lists_available_on_unknown():
    reg = FactorRegistry()
    reg.register(Factor("a", "u", "d", _const, needs=("seizures",)))
    reg.register(Factor("t", "u", "d", _const, needs=("tracks",)))
    view = InputsView(frozenset({"seizures"}))
    assert list(reg.available(view)) == ["a"]
    with pytest.raises(
        ConfigError, match=r"unknown factor\(s\) \['t'\]; available: \['a'\].*needs input"
    ):
        reg.resolve(["t"], view)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register(Factor("a", "other", "d", lambda c: 0))


@pytest.mark.parametrize("bad", ["1x", "_hidden", "a__b", "x__norm"])
def test_factor_names_are_checked(bad):
    with pytest.raises(ConfigError):
        Factor(bad, "u", "d", _const)


def test_values_are_coerced_and_checked():
    v = FactorValues.coerce(np.array([1.0, np.nan]), 2, "f")
    assert v.covered.tolist() == [True, False]
    v = FactorValues.coerce((np.array([1.0, 2.0]), np.array([True, False])), 2, "f")
    assert np.isnan(v.values[1])  # not covered -> missing, whatever the value said
    with pytest.raises(InputError, match="3 values for 2 cells"):
        FactorValues.coerce(np.zeros(3), 2, "f")
    with pytest.raises(InputError, match="infinite"):
        FactorValues.coerce(np.array([np.inf, 1.0]), 2, "f")


def test_unknown_factor_in_config_fails_at_load(small_demo, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown factor.*'nope'.*available: \[.*'vessel_hours'"):
        small_config(small_demo, tmp_path, score={"factors": {"nope": {"weight": 1}}})


@pytest.fixture()
def entry_point_package(monkeypatch):
    """Put the tiny_factors distribution (with its entry point) on sys.path."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    yield
    sys.modules.pop("tiny_factors", None)


@factor(
    name="dist_equator_km",
    unit="km",
    description="Distance of the cell centre from the equator (defined in a test module).",
    register=False,
)
def dist_equator_km(ctx):
    _, lat = ctx.cell_centres()
    return np.abs(lat) * 111.195


def test_a_package_installed_while_the_process_runs_is_found(tmp_path, monkeypatch):
    """Entry points are read again when sys.path or one of its folders changed, not each time."""
    import importlib.metadata

    from pipeline.factors import FactorRegistry

    calls = []
    read = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda **kw: calls.append(1) or read(**kw)
    )
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    reg = FactorRegistry()
    reg.load_entry_points()
    reg.load_entry_points()
    assert len(calls) == 1 and "abs_latitude" not in reg._factors
    shutil.copytree(PLUGINS / "tiny_factors-0.1.dist-info", site / "tiny_factors-0.1.dist-info")
    shutil.copytree(PLUGINS / "tiny_factors", site / "tiny_factors")  # as pip writes it
    try:
        reg.load_entry_points()
        assert len(calls) == 2 and "abs_latitude" in reg._factors
    finally:
        sys.modules.pop("tiny_factors", None)


def test_plugins_from_entry_point_and_module_reference_reach_scores_manifest_and_map(
    small_demo, tmp_path, entry_point_package
):
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_factors:dist_equator_km"]},
        score={
            "factors": {
                "seizure_density": {"weight": 2},
                "abs_latitude": {"weight": 1},
                "dist_equator_km": {"weight": 1},
            }
        },
        # not checked here: the factors reach the scores, the manifest and the map without them
        hotspots={"enabled": False},
        evaluate={"enabled": False},
    )
    res = pipeline.run_pipeline(cfg)
    s = res.scores
    for name in ("abs_latitude", "dist_equator_km"):
        assert {name, f"{name}__norm", f"{name}__contrib", f"{name}__covered"} <= set(s.columns)
    from pipeline.grid import cells_to_latlng

    lat = cells_to_latlng(s["cell"].to_numpy(dtype="uint64"))[0]
    np.testing.assert_allclose(s["dist_equator_km"], np.abs(lat) * 111.195)
    south = lat <= 10
    assert south.any() and (~south).any()
    assert not s.loc[south, "abs_latitude__covered"].any()
    assert s.loc[south, "abs_latitude"].isna().all()
    m = json.loads((res.out_dir / "manifest.json").read_text())
    assert m["factors"]["abs_latitude"]["unit"] == "degrees"
    assert m["factors"]["abs_latitude"]["cells_not_covered"] == int(south.sum())
    assert m["factors"]["dist_equator_km"]["description"].startswith("Distance of the cell")
    html = (res.out_dir / "risk_map.html").read_text()
    assert "tiny_factors plug-in" in html and "defined in a test module" in html


def test_bad_plugin_reference_is_one_config_error(small_demo, tmp_path):
    with pytest.raises(ConfigError, match="cannot import 'no_such_module'"):
        small_config(small_demo, tmp_path, factors={"plugins": ["no_such_module:f"]})
    with pytest.raises(ConfigError, match="not a pipeline.factors.Factor"):
        small_config(small_demo, tmp_path, factors={"plugins": ["numpy:pi"]})


PLUGIN_MODULE = """
import numpy as np

import pipeline


def _scale():
    return {scale}


@pipeline.factor(name="edited_lat", unit="degrees", description="Latitude, scaled by a helper.")
def edited_lat(ctx):
    # kept by the runner under the cells (and the plug-in's code) alone
    scale = ctx.shared("edited_scale", lambda c: np.full(len(c.cells), _scale()), cells_only=True)
    return np.abs(ctx.cell_centres()[1]) * scale
"""


@pytest.fixture()
def plugin_module(tmp_path, monkeypatch):
    """Write a plug-in module in ``tmp_path/mods``; return ``write(scale)`` that (re)writes it.

    Each write drops the module from ``sys.modules`` (the next import reads the file, as the
    next night's process does); no bytecode is written, so none can be stale.
    """
    from pipeline.factors import default_registry

    mods = tmp_path / "mods"
    mods.mkdir()
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def write(scale: str) -> None:
        (mods / "edited_plugin.py").write_text(PLUGIN_MODULE.format(scale=scale))
        sys.modules.pop("edited_plugin", None)
        importlib.invalidate_caches()

    yield write
    sys.modules.pop("edited_plugin", None)
    default_registry._factors.pop("edited_lat", None)
    default_registry._entries.remove("edited_lat")


@pytest.mark.slow  # three small runs (~1.5 s each)
def test_an_edited_plugin_module_reruns_and_recomputes_its_factor(
    small_demo, tmp_path, plugin_module
):
    # before: only compute's own source was hashed, and the run key held no plug-in code: an
    # edited helper left the night "up to date" (and a forced run reused the cached values)
    def run():
        cfg = small_config(
            small_demo,
            tmp_path,
            factors={"plugins": ["edited_plugin:edited_lat"]},
            score={"factors": {"seizure_density": {"weight": 1}, "edited_lat": {"weight": 1}}},
            **QUICK,
        )
        return pipeline.run_pipeline(cfg)

    plugin_module("1.0")
    first = run()
    plugin_module("1.0")
    assert run().up_to_date  # the same code, imported again: nothing to do
    plugin_module("20.0")
    second = run()
    assert not second.up_to_date
    parts = second.manifest["stages"]["features"]["parts"]
    assert parts["features: edited_lat"] is False and parts["features: seizure_density"] is True
    np.testing.assert_allclose(second.scores["edited_lat"], 20 * first.scores["edited_lat"])
    codes = [r.manifest["factors"]["edited_lat"]["code_digest"] for r in (first, second)]
    assert codes[0] != codes[1]
    assert "code_digest" not in second.manifest["factors"]["seizure_density"]


def test_a_plugin_digest_covers_its_module_file_or_its_own_source_and_its_distribution(
    tmp_path, entry_point_package
):
    import types

    from pipeline.factors import default_registry

    def cell(source: str, name: str):
        """Run ``source`` as a notebook cell does: a module without a file, its source in
        linecache under the cell's name."""
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        made = types.ModuleType("notebook_like")
        exec(compile(source, name, "exec"), made.__dict__)
        return Factor("nb", "u", "d", made.f)

    try:
        one = cell("def f(ctx):\n    return ctx.cells * 1.0\n", "<cell-1>")
        again = cell("def f(ctx):\n    return ctx.cells * 1.0\n", "<cell-2>")
        edited = cell("def f(ctx):\n    return ctx.cells * 2.0\n", "<cell-3>")
    finally:
        for name in ("<cell-1>", "<cell-2>", "<cell-3>"):
            linecache.cache.pop(name, None)
    assert one.code_digest() == again.code_digest() != edited.code_digest()
    # an entry point's factor: its module file and its distribution's version
    default_registry.load_entry_points()
    ep = default_registry._factors["abs_latitude"]
    bare = Factor("abs_latitude_copy", ep.unit, ep.description, ep.compute)
    assert bare.code_digest() != ep.code_digest()
    assert ep._distribution == "tiny-factors==0.1"


@pytest.fixture(scope="module")
def default_run(small_demo, tmp_path_factory):
    """One run of the default small config, with its cache, for the tests that run again.

    Read only: a test copies its folder (:func:`_copy_of`) and runs again in the copy.
    """
    return pipeline.run_pipeline(small_config(small_demo, tmp_path_factory.mktemp("default")))


def _copy_of(run, tmp_path: Path) -> Path:
    """Copy ``run``'s output folder (cache included) to ``tmp_path/out``, where
    ``small_config(small_demo, tmp_path)`` writes; the links in it are relative."""
    out = tmp_path / "out"
    shutil.copytree(run.out_dir, out, symlinks=True)
    return out


def test_changing_only_the_score_recomputes_only_score_and_render(
    small_demo, tmp_path, default_run
):
    first = default_run
    assert not any(v["cached"] for v in first.manifest["stages"].values())
    _copy_of(first, tmp_path)  # the second run finds the first one's cache where it writes
    cfg = small_config(
        small_demo,
        tmp_path,
        score={"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 3}}},
    )
    second = pipeline.run_pipeline(cfg)
    stages = second.manifest["stages"]
    assert {k for k, v in stages.items() if v["cached"]} == {
        "ingest",
        "cells",
        "features",
        "timeline",
        "hotspots",
    }
    # the back-test scores what the map publishes: a new score is back-tested again
    assert {k for k, v in stages.items() if not v["cached"]} == {
        "score",
        "uncertainty",  # the interval is on the published risk: a new score, a new interval
        "back-test",
        "render",
        "export",
    }
    assert not first.scores["risk"].equals(second.scores["risk"])
    # a transit option recomputes the transit factors, not the density
    third = pipeline.run_pipeline(small_config(small_demo, tmp_path, transit={"gap_hours": 3}))
    parts = third.manifest["stages"]["features"]["parts"]
    assert parts["features: transit"] is False
    assert parts["features: seizure_density"] is True


def test_no_ais_coverage_is_missing_not_zero(small_demo, tmp_path):
    # hot spots and the back-test are not checked: the coverage is the features' and score's
    off = {"hotspots": {"enabled": False}, "evaluate": {"enabled": False}}
    cfg = small_config(small_demo, tmp_path, transit={"coverage_km": 30}, **off)
    res = pipeline.run_pipeline(cfg)
    s = res.scores
    blind = ~s["vessel_hours__covered"]
    assert blind.any() and (~blind).any()
    assert s.loc[blind, "vessel_hours"].isna().all()
    assert (s.loc[~blind, "vessel_hours"] >= 0).all()
    # the blind cells' risk comes from the factors that do cover them
    total = s.loc[blind, ["seizure_density__contrib", "nightlights_mean__contrib"]].sum(axis=1)
    np.testing.assert_allclose(total, s.loc[blind, "risk"])
    feats = pd.read_parquet(res.out_dir / "features.parquet")
    assert "vessel_hours__covered" in feats
    assert "no AIS coverage" in (res.out_dir / "risk_map.html").read_text()


def test_planted_or_corrupt_cache_entries_are_ignored(small_demo, tmp_path, default_run):
    import pickle

    first = default_run
    cache = _copy_of(first, tmp_path) / ".cache"  # tampered in the copy the next run reads
    assert sorted(cache.glob("*.json")) and sorted(cache.glob("*.parquet"))
    marker = tmp_path / "pwned"
    # a pickle that would create a file if it were ever unpickled
    payload = pickle.dumps(type("X", (), {"__reduce__": lambda s: (open, (str(marker), "w"))})())
    foreign = {
        "tables": {},
        "data": {
            "__kind__": "dataclass",
            "class": "subprocess:Popen",
            "fields": {"args": ["touch", str(marker)]},
        },
    }
    for i, f in enumerate(sorted(cache.glob("*.json"))):
        f.with_suffix(".pkl").write_bytes(payload)
        if i % 2:  # half point to a class that must never be built or imported
            f.write_text(json.dumps(foreign))
    for f in cache.glob("*.parquet"):
        f.write_bytes(b"PAR1 not really")
    for f in cache.glob("*.json"):  # JSON-only entries (reports): tampered too
        if "back_test" in f.name:
            f.write_text(json.dumps(foreign))
    again = pipeline.run_pipeline(small_config(small_demo, tmp_path), force=True)
    assert not marker.exists()
    assert not any(v["cached"] for v in again.manifest["stages"].values())
    pd.testing.assert_frame_equal(first.scores, again.scores)


def test_symlinked_rejects_or_cache_is_refused_and_target_untouched(small_demo, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important.csv").write_text("a\n")
    for sub in ("rejects", ".cache"):
        out = tmp_path / f"out-{sub.strip('.')}"
        out.mkdir()
        (out / sub).symlink_to(victim, target_is_directory=True)
        with pytest.raises(ConfigError, match="symbolic link"):
            pipeline.run_pipeline(small_config(small_demo, tmp_path), out_dir=out)
        assert sorted(p.name for p in victim.iterdir()) == ["important.csv"]


def test_out_dir_holding_the_inputs_is_refused(small_demo, tmp_path):
    import shutil

    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(small_demo / "inputs" / "seizures.csv", folder / "seizures.csv")
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={"seizures": [{"path": str(folder / "seizures.csv")}], "tracks": [], "rasters": []},
        score={"factors": {"seizure_density": {"weight": 1}}},
    )
    before = (folder / "seizures.csv").read_bytes()
    with pytest.raises(ConfigError, match="holds the input"):
        pipeline.run_pipeline(cfg, out_dir=folder)
    assert (folder / "seizures.csv").read_bytes() == before


def test_tracks_only_run_and_context_layers(small_demo, tmp_path):
    """No seizures: transit factors alone; ports and land as context (distance factors, sea cells)."""
    import geopandas as gpd
    import shapely

    land = gpd.GeoDataFrame(
        {"name": ["block"]}, geometry=[shapely.box(-80, 10, -60, 25)], crs="EPSG:4326"
    )
    land.to_file(tmp_path / "land.geojson", driver="GeoJSON")
    inputs = small_demo / "inputs"
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={
            "seizures": [],
            "rasters": [],
            "context": [
                {"path": str(inputs / "ports.csv"), "kind": "ports"},
                {"path": str(tmp_path / "land.geojson"), "kind": "land"},
            ],
        },
        score={
            "factors": {
                "vessel_hours": {"weight": 1},
                "distance_to_coast_km": {"weight": 1},
            }
        },
    )
    res = pipeline.run_pipeline(cfg)
    s = res.scores
    assert "back-test" not in res.manifest["stages"] and "timeline" not in res.manifest["stages"]
    from pipeline.grid import cells_to_latlng

    lat, lon = cells_to_latlng(s["cell"].to_numpy(dtype="uint64"))
    inside = (lon > -80) & (lon < -60) & (lat > 10) & (lat < 25)
    assert not inside.any()  # cells on land are not scored (area.exclude_land)
    feats = pd.read_parquet(res.out_dir / "features.parquet")
    assert {"distance_to_port_km", "distance_to_coast_km"} <= set(feats.columns)
    assert (feats["distance_to_coast_km"] > 0).all()
    kinds = [e["kind"] for e in res.manifest["inputs"]["context"]]
    assert sorted(kinds) == ["land", "ports"]
    assert all(
        e["read"] == e["accepted"] + e["rejected"] for e in res.manifest["inputs"]["context"]
    )


def test_a_multi_band_raster_without_band_is_one_config_error(small_demo, tmp_path):
    """Before: KeyError 'rgb_mean' traceback (exit 1) after validate had said valid."""
    from _rasters import write_tif
    from rasterio.transform import from_bounds

    data = np.stack([np.full((40, 40), 1.0), np.full((40, 40), 2.0)]).astype("float32")
    path = write_tif(tmp_path / "two_bands.tif", data, from_bounds(-85, -10, 10, 45, 40, 40))
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={"tracks": [], "rasters": [{"path": str(path), "name": "rgb"}]},
        score={"factors": {"seizure_density": {"weight": 1}, "rgb_mean": {"weight": 1}}},
    )
    with pytest.raises(ConfigError, match=r"'rgb' has 2 bands.*set band: \(one of \[1, 2\]\)"):
        pipeline.run_pipeline(cfg)


@pytest.mark.parametrize(
    ("factor_source", "helper"),
    [
        ("from .helpers import SCALE\n", "SCALE = {v}\n"),  # a constant: no __module__
        ("from . import helpers\nSCALE = None\n", "SCALE = {v}\n"),
        ("from .sub.helpers import scale as SCALE\n", "def scale():\n    return {v}\n"),
        ("import flat_helpers_for_digest as helpers\nSCALE = None\n", "SCALE = {v}\n"),
    ],
)
def test_a_plugin_digest_covers_the_local_helpers_it_imports(
    tmp_path, monkeypatch, factor_source, helper
):
    """Editing only a helper module the plug-in imports (its package's, or one beside it)
    changes the plug-in's digest, so the run key and its caches; before, only the module
    that defines ``compute`` was hashed and the night stayed "up to date"."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    pkg = tmp_path / "plug_for_digest"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    where = (
        tmp_path / "flat_helpers_for_digest.py"
        if "flat_helpers" in factor_source
        else pkg / "sub" / "helpers.py"
        if ".sub." in factor_source
        else pkg / "helpers.py"
    )
    (pkg / "factor.py").write_text(factor_source + "\n\ndef f(ctx):\n    return ctx.cells * 1.0\n")
    names = ("plug_for_digest", "flat_helpers_for_digest")

    def digest(value: str) -> str:
        where.write_text(helper.format(v=value))
        for name in [m for m in sys.modules if m.startswith(names)]:
            sys.modules.pop(name)
        importlib.invalidate_caches()
        module = importlib.import_module("plug_for_digest.factor")
        return Factor("helped", "u", "d", module.f).code_digest()

    try:
        one, same, edited = digest("1.0"), digest("1.0"), digest("2.0")
    finally:
        for name in [m for m in sys.modules if m.startswith(names)]:
            sys.modules.pop(name)
    assert one == same != edited


def test_a_plugin_digest_leaves_installed_packages_to_their_versions():
    """numpy, the standard library and route-risk itself are not walked or hashed: their
    versions (and the package's source hash) stand for them."""
    import pipeline.builtin_factors as builtin
    from pipeline.factors import _local_modules

    assert _local_modules(builtin) == []
    assert _local_modules(np) == [] and _local_modules(importlib) == []
