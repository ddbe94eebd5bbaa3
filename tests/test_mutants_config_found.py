"""Mutation pass over the run configuration, ``pipeline/config.py`` (task hGP).

Each test failed before its fix, or kills a mutant of the config that the other config tests
let live.  Found: YAML 1.1's octal (``keep_runs: 010`` kept 8 runs, ``sheet: 010`` read the
ninth sheet) and base-60 numbers (``max_input_age_days: 1:30`` was 90 days) taken in silence;
``true`` read as 1 wherever StrictModel's own check does not look (a list, a table, the
sections of plain models: a factor's weight, evaluate, score.fitted, a raster's band);
two rasters of one name (the second's values published under both); a cv search range
refused only when the run reached it; tracebacks for a complex YAML key, a moved
``render.timeline_months`` beside a ``timeline`` that is no table, a memory limit past a
float and an override into a section that is no table.
"""

from __future__ import annotations

import re

import numpy as np
import pydantic
import pytest
import yaml
from conftest import km_plugin
from test_cli import cli_here

from pipeline.config import load_config
from pipeline.errors import ConfigError

BASE = "inputs:\n  seizures: [{path: s.csv}]\n"


def _write(tmp_path, text, base=BASE):
    p = tmp_path / "c.yaml"
    p.write_text(base + text + "\n")
    return p


def _load(tmp_path, text, base=BASE, **kw):
    return load_config(_write(tmp_path, text, base), **kw)


def _refused(tmp_path, text, base=BASE, **kw) -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text, base, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# ---- YAML 1.1 surprises ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("run: {keep_runs: 010}", r"010 is an octal number to YAML 1\.1 \(8\); write 10 or 8"),
        ("run: {keep_runs: -010}", r"\(-8\)"),
        ("run: {max_input_age_days: 1:30}", r"1:30 is a base-60 number to YAML 1\.1 \(90\)"),
        ("density: {half_life_days: 1:00.5}", r"base-60 .*\(60\.5\)"),
        (
            "inputs:\n  seizures: [{path: s.xlsx, sheet: 010}]",
            r"line 2: 010 is an octal number .*quote it \('010'\)",
        ),
    ],
    ids=["keep-runs-octal", "negative-octal", "age-base-60", "float-base-60", "sheet-octal"],
)
def test_numbers_yaml_1_1_reads_otherwise_are_refused(tmp_path, text, needle):
    # before: keep_runs 8, sheet 8 (the ninth sheet), 90 days, 60.5 days, each in silence
    base = "" if text.startswith("inputs") else BASE
    assert re.search(needle, _refused(tmp_path, text, base))


def test_numbers_read_alike_in_either_yaml_are_kept(tmp_path):
    c = _load(
        tmp_path, "run: {keep_runs: 07, max_input_age_days: 0x10}\ndensity: {bandwidth_km: 010.5}"
    )
    assert (c.run.keep_runs, c.run.max_input_age_days, c.density.bandwidth_km) == (7, 16, 10.5)
    c = _load(tmp_path, "run: {keep_runs: '010', name: '12:30'}")
    assert (c.run.keep_runs, c.run.name) == (10, "12:30")  # quoted: the text, read in base 10


def test_a_yaml_11_number_exits_2_in_one_line_from_validate(tmp_path, capsys):
    code, _, stderr = cli_here(capsys, "validate", _write(tmp_path, "run: {keep_runs: 010}"))
    assert code == 2
    assert "octal" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("key", ["? [a, b]\n: 1", "? {a: 1}\n: 1"], ids=["list-key", "table-key"])
def test_a_key_that_is_a_list_or_a_table_is_one_clear_line(tmp_path, key):
    # before: TypeError: unhashable type (a traceback)
    assert "a key must be a name" in _refused(tmp_path, key)


# ---- true is no number -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("area: {bbox: [true, 0, 10, 10]}", "area.bbox.0"),
        (
            "density: {bandwidth_km: auto, auto_bandwidths_km: [yes, 25]}",
            "density.auto_bandwidths_km.0",
        ),
        ("density: {auto_half_lives_days: [null, on]}", "density.auto_half_lives_days.1"),
        ("density: {commodity_weights: {cocaine: true}}", "density.commodity_weights.cocaine"),
        (
            "score: {factors: {seizure_density: {weight: true}}}",
            "score.factors.seizure_density.weight",
        ),
        ("score: {class_breaks: [0, true, 100], class_labels: [a, b]}", "score.class_breaks.1"),
        ("evaluate: {origins: true}", "evaluate.origins"),
        ("evaluate: {horizon_days: yes}", "evaluate.horizon_days"),
        ("score: {fitted: {min_events: true}}", "score.fitted.min_events"),
        ("score: {fitted: {count_windows_days: [all, true]}}", "score.fitted.count_windows_days.1"),
        ("hotspots: {uncertainty: {interval: [true, 0.9]}}", "hotspots.uncertainty.interval.0"),
        ("  rasters: [{path: r.tif, name: r, band: true}]", "inputs.rasters.0.band"),
        ("  rasters: [{path: r.tif, name: r, nodata: true}]", "inputs.rasters.0.nodata"),
        (
            "  rasters: [{path: r.tif, name: r, mask: {path: m.tif, min: on}}]",
            "inputs.rasters.0.mask.min",
        ),
        (
            "  rasters: [{path: r.tif, name: r, select: {level: no}}]",
            "inputs.rasters.0.select.level",
        ),
        ("  tracks: [{path: a.csv, settle_minutes: true}]", "inputs.tracks.0.settle_minutes"),
        ("area: {resolution: true}", "area.resolution"),  # StrictModel's own field: as before
    ],
)
def test_a_boolean_is_refused_wherever_a_number_is_expected(tmp_path, text, where):
    # before: each was read as 1 (or 0): a box from longitude 1, a candidate of 1 km, a
    # weight of 1, one origin, band 1, a no-data value of 1, ...
    msg = _refused(tmp_path, text)
    assert f"{where} must be a number, got " in msg
    assert "booleans" in msg


def test_booleans_where_booleans_are_expected_stay_booleans(tmp_path):
    c = _load(
        tmp_path,
        "density: {use_quantity: yes, edge_correction: on}\n"
        "evaluate: {enabled: no, require_full_history: off}\n"
        "area: {exclude_land: false}\n"
        "score: {fitted: {recency: false}}\n"
        "hotspots: {fdr: false, uncertainty: {enabled: false}}\n"
        "render: {geojson: no}",
        base="inputs:\n  seizures: [{path: s.csv, dayfirst: true, polygons_to_points: yes}]\n",
    )
    assert c.density.use_quantity and c.density.edge_correction and c.inputs.seizures[0].dayfirst
    assert not (c.evaluate.enabled or c.area.exclude_land or c.score.fitted.recency)
    assert not (c.hotspots.fdr or c.hotspots.uncertainty.enabled or c.render.geojson)


def test_bool_number_at_names_the_place():
    from pipeline.config import bool_number_at

    assert bool_number_at(tuple[float, ...], [1.0, True]) == (1,)
    assert bool_number_at(dict[str, float], {"a": 1.0, "b": False}) == ("b",)
    assert bool_number_at(dict[str, bool | int], {"a": True}) is None
    assert bool_number_at(float | None, None) is None
    assert bool_number_at(int, 1) is None


class _Radius(pydantic.BaseModel):
    radius_km: float = 5.0


hgp_radius = km_plugin(
    "hgp_radius",
    "A plug-in with a numeric option.",
    _Radius,
    lambda ctx: np.full(len(ctx.cells), ctx.options.radius_km),
)


def test_a_boolean_plug_in_option_is_refused(tmp_path):
    text = (
        "factors:\n  plugins: ['test_mutants_config_found:hgp_radius']\n"
        "  options: {hgp_radius: {radius_km: %s}}\n"
        "score: {factors: {seizure_density: {weight: 1}, hgp_radius: {weight: 1}}}"
    )
    assert _load(tmp_path, text % "7").factors.options["hgp_radius"] == {"radius_km": 7}
    msg = _refused(tmp_path, text % "yes")  # before: radius 1 km
    assert "factors.options.hgp_radius.radius_km must be a number, got True" in msg


# ---- cross-field and late refusals -----------------------------------------------------------


def test_two_rasters_of_one_name_are_refused(tmp_path):
    # before: both loaded; the features kept the second under the name (a dict by name), so
    # the first raster's values were never published and the manifest listed both
    text = "  rasters: [{path: a.tif, name: depth}, {path: b.tif, name: depth}]"
    assert "the name 'depth' is given to 2 of inputs.rasters" in _refused(tmp_path, text)
    c = _load(tmp_path, "  rasters: [{path: a.tif, name: depth}, {path: b.tif, name: lights}]")
    assert [r.name for r in c.inputs.rasters] == ["depth", "lights"]


@pytest.mark.parametrize("given", ["[50, 10]", "[10, 10]", "[0, 10]", "[-5, 10]"])
def test_a_cv_search_range_that_is_no_range_is_refused_at_load(tmp_path, given):
    # before: validate said valid; the run refused it after the whole ingest, in cv's search
    msg = _refused(tmp_path, f"density: {{bandwidth_km: cv, bandwidth_range_km: {given}}}")
    assert "density.bandwidth_range_km: bandwidth_range_km must be [min, max]" in msg


def test_a_cv_search_range_at_its_bounds_is_kept(tmp_path):
    c = _load(tmp_path, "density: {bandwidth_km: cv, bandwidth_range_km: [0.001, 10]}")
    assert c.density.bandwidth_range_km == (0.001, 10.0)


# ---- tracebacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("timeline", ["5", "[1]"])
def test_the_moved_timeline_months_beside_a_timeline_that_is_no_table(tmp_path, timeline):
    # before: dict(5) in the moved-key shim, a TypeError traceback
    msg = _refused(tmp_path, f"render: {{timeline_months: 3}}\ntimeline: {timeline}")
    assert "timeline: Input should be a valid dictionary" in msg
    assert _load(tmp_path, "render: {timeline_months: 3}\ntimeline:").timeline.months == 3


def test_a_memory_limit_past_a_float_is_refused(tmp_path):
    # before: parse_bytes' OverflowError (float infinity to integer), a traceback
    assert "memory_limit must be 'auto', or at least 64MiB" in _refused(
        tmp_path, "dask: {memory_limit: '1e400'}"
    )


@pytest.mark.parametrize("section", ["run:", "run: 5"], ids=["empty", "scalar"])
def test_an_override_into_a_section_that_is_no_table(tmp_path, section):
    # before: TypeError ('NoneType' object does not support item assignment)
    msg = _refused(tmp_path, section, overrides={"run.as_of": "2026-01-31"})
    assert "run must be a section of keys" in msg and "run.as_of" in msg
    c = _load(tmp_path, "run: {name: x}", overrides={"run.as_of": "2026-01-31"})
    assert (c.run.name, str(c.run.as_of)) == ("x", "2026-01-31")


# ---- surviving mutants: bounds, defaults and checks no test pinned ---------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dask: {threads_per_worker: 0}", "dask.threads_per_worker"),
        ("dask: {workers: 1025}", "dask.workers"),
        ("dask: {partition_rows: 0}", "dask.partition_rows"),
        ("dask: {connect_timeout_s: 3601}", "dask.connect_timeout_s"),
        ("dask: {memory_limit: 63MiB}", "at least 64MiB"),
        ("dask: {memory_limit: true}", "dask.memory_limit must be a number, got True"),
        ("dask: {memory_limit: AUTO}", "memory_limit must be 'auto'"),
        ("dask: {scheduler: 'tcp://h:8786/x'}", "scheduler must be 'local' or an address"),
        ("area: {max_cells: 0}", "area.max_cells"),
        ("density: {bandwidth_km: auto, auto_bandwidths_km: []}", "non-empty list"),
        ("transit: {coverage_km: 0}", "transit.coverage_km"),
        ("zonal: {stats: [max, sum]}", "stats must include 'mean'"),
        ("score: {class_breaks: [10, 50, 100], class_labels: [a, b]}", "increase from 0 to 100"),
        ("score: {class_labels: [a, b, c]}", "class_labels needs 5 labels for 6 breaks, got 3"),
        ("render: {tiles: 'https://t.example/{z}/{x}/{y}.png'}", "tiles_attribution is required"),
        ("render: {ports_label: ''}", "render.ports_label"),
        ("run: {as_of: 20260630}", "run.as_of: must be a UTC date like 2026-06-30"),
        ("run: {as_of: 86400}", "run.as_of: must be a UTC date"),  # before: 2 January 1970
        (
            "score: {model: fitted, fitted: {factor_transforms: {vessel_hour: log}}}",
            "factor_transforms names ['vessel_hour'], which the fitted model does not take",
        ),
    ],
)
def test_config_refuses_the_value_past_each_check(tmp_path, text, needle):
    """Mutants: a bound moved (``ge=1`` to ``ge=0``, ``le`` dropped), a check removed."""
    assert needle in _refused(tmp_path, text)


def test_config_takes_the_values_at_each_bound(tmp_path):
    c = _load(
        tmp_path,
        "dask: {workers: 1024, threads_per_worker: 256, memory_limit: 64MiB,"
        " connect_timeout_s: 3600, partition_rows: 1, scheduler: 'tcp://h:8786/'}\n"
        "area: {max_cells: 1}\ntransit: {coverage_km: 0.001}",
    )
    assert (c.dask.workers, c.dask.threads_per_worker, c.dask.memory_limit) == (1024, 256, "64MiB")
    assert (c.dask.connect_timeout_s, c.dask.partition_rows) == (3600, 1)
    assert (c.area.max_cells, c.transit.coverage_km) == (1, 0.001)
    assert _load(tmp_path, "dask: {memory_limit: auto}").dask.memory_limit == "auto"


def test_the_defaults_no_test_pinned_are_the_documented_ones(tmp_path):
    """Mutants: a default changed; each is the one configs/example.yaml and the README give."""
    c = _load(tmp_path, "")
    assert c.run.engine == "local" and c.area.cells == "support"
    assert c.density.auto_bandwidths_km == (10.0, 25.0, 50.0, 100.0)
    assert c.density.auto_half_lives_days == (None, 90.0, 180.0, 365.0, 730.0)
    d = c.dask
    assert (d.scheduler, d.workers, d.threads_per_worker, d.memory_limit) == ("local", 2, 1, "2GiB")
    assert (d.partition_rows, d.connect_timeout_s) == (1_000_000, 10.0)
    assert (c.transit.coverage_km, c.transit.encounter_distance_m) == (40.0, 500.0)
    assert c.zonal.stats == ("mean", "max", "sum", "valid_fraction")


def test_commodity_weights_are_keyed_as_ingest_writes_the_labels(tmp_path):
    # mutants: the keys left as written (' Cocaine ' never matched ingest's 'cocaine'), or a
    # clash after normalising kept one weight in silence
    c = _load(tmp_path, "density: {commodity_weights: {' Cocaine ': 0.5, heroin: 1}}")
    assert c.density.commodity_weights == {"cocaine": 0.5, "heroin": 1.0}
    msg = _refused(tmp_path, "density: {commodity_weights: {cocaine: 1, COCAINE: 0.5}}")
    assert "'cocaine' two weights after normalising" in msg


def test_auto_candidates_are_scaled_only_on_cells_coarser_than_resolution_5(tmp_path):
    # mutant ``res <= 5``: the uniform kernel's default at 5 (30 km) rescaled the candidates
    five = _load(tmp_path, "density: {kernel: uniform, bandwidth_km: auto}")
    assert five.density.auto_bandwidths_km == (10.0, 25.0, 50.0, 100.0)
    four = _load(tmp_path, "area: {resolution: 4}\ndensity: {bandwidth_km: auto}")
    assert four.density.auto_bandwidths_km[0] == 55.0  # resolution 4's default, stated


def test_a_narrow_kernel_the_run_does_not_use_is_not_refused(tmp_path):
    # mutants: the centre check of the back-test's KDE made with evaluate disabled, and of
    # smoothed transit events without tracks (neither kernel is taken at cell centres then)
    c = _load(
        tmp_path, "evaluate: {enabled: false, kde_bandwidth_km: 1}\ntransit: {smooth_events_km: 1}"
    )
    assert (c.evaluate.kde_bandwidth_km, c.transit.smooth_events_km) == (1.0, 1.0)
    assert "evaluate.kde_bandwidth_km 1 is less than a quarter" in _refused(
        tmp_path, "evaluate: {kde_bandwidth_km: 1}"
    )
    tracks = "inputs:\n  tracks: [{path: a.csv}]\n"
    text = "score: {factors: {vessel_hours: {weight: 1}}}\ntransit: {smooth_events_km: 1}"
    assert "transit.smooth_events_km 1 is less than a quarter" in _refused(tmp_path, text, tracks)


hgp_area = km_plugin(
    "area", "A plug-in named as the fitted model's area term.", _Radius, lambda ctx: 1.0
)


def test_a_factor_named_area_is_refused_with_the_fitted_model(tmp_path):
    # mutant: 'area' left out of the fitted model's own names (its offset term, area__share)
    text = (
        "factors: {plugins: ['test_mutants_config_found:hgp_area']}\n"
        "score: {model: %s, factors: {seizure_density: {weight: 1}, area: {weight: 1}}}"
    )
    assert "score.factors.area: the fitted model builds a feature of that name" in _refused(
        tmp_path, text % "fitted"
    )


def test_a_path_that_exists_with_pattern_characters_is_that_file(tmp_path):
    # mutant: a path holding '[' made a pattern even when the file exists: the config's
    # folder 'proj[1]' escaped into '.../proj[[]1]/data[1].csv', a name that is no file
    folder = tmp_path / "proj[1]"
    folder.mkdir()
    (folder / "data[1].csv").write_text("x\n")
    c = _load(folder, "", base="inputs:\n  seizures: [{path: 'data[1].csv'}]\n")
    assert c.inputs.seizures[0].path == folder / "data[1].csv"


def test_the_message_counts_the_other_problems(tmp_path):
    msg = _refused(tmp_path, "transit: {gap_hours: 0, loiter_hours: 0, coverage_km: 0}")
    assert msg.endswith("(and 2 more problems)")


def test_an_oversized_config_is_refused_unread_and_an_empty_one_names_its_inputs(tmp_path):
    from pipeline.config import MAX_CONFIG_BYTES

    assert "too large for a config" in _refused(tmp_path, "#" * MAX_CONFIG_BYTES)
    assert "inputs needs at least one seizures or tracks file" in _refused(tmp_path, "", base="")


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (
            "time: {start: 2026-01-01, end: 2026-06-30, agg: mean}",
            "unknown key 'inputs.rasters.0.time.agg'; valid keys here: aggregate, end, start",
        ),
        ("time: {start: 2026-06-01, end: 2026-01-01}", "inputs.rasters.0.time: time window end"),
        ("select: {level: {indx: 1}}", "unknown key 'inputs.rasters.0.select.level.indx'"),
    ],
    ids=["window-typo", "window-reversed", "select-typo"],
)
def test_a_table_given_to_a_union_is_told_its_own_problem(tmp_path, entry, said):
    # before: "inputs.rasters.0.time.literal['latest']: Input should be 'latest' (got {...})
    # (and 2 more problems)": the first member's error, and the other members' as problems
    msg = _refused(tmp_path, f"  rasters: [{{path: r.nc, name: r, {entry}}}]")
    assert msg.endswith(said) or said in msg
    assert "literal[" not in msg and "function-" not in msg and "more problem" not in msg


def test_a_config_dumped_from_a_loaded_one_loads_again_recording_its_own_path(tmp_path):
    # a notebook's round trip: load, change, model_dump, write, load; its 'source' names the
    # file it was first read from, and the config read now records the file read now
    first = _load(tmp_path, "run: {keep_runs: 3}")
    raw = first.model_dump(mode="json", exclude_unset=True)
    assert raw["source"] == str(first.source)
    again = tmp_path / "again"
    again.mkdir()
    (again / "c.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    c = load_config(again / "c.yaml")
    assert c.run.keep_runs == 3 and str(c.source) == str((again / "c.yaml").resolve())
