"""A researcher's afternoon with hostile risk factors (task hDR).

Each test failed before its fix. Refusals that were missing, misleading or a bug's exit 70:
a plug-in's sys.exit (exit 3, no line), a route-risk error raised inside a plug-in (read as
a fault of the run's inputs), the line named (pandas' or route-risk's, not the plug-in's), no
date for a refusal at a back-test origin, a reference given as a path, a plug-in module that
fails to import, a reference to an empty list, a built-in's name, a family's name, a column's
name (``hex_id`` replaced the published ids), a need that names no input, options that are
no pydantic model, a unit that is no text, a required option left out, ids at a coarser
resolution ("repeated"), float ids, a pair read as (values, covered). Quiet wrong values: a
seizure factor said static (a back-test leak), a constant factor's full points, a plug-in
editing the run's seizures, cells or rasters in place, an xarray result taken by position,
the cells' own ids returned as values.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd
import pydantic
import pytest
from conftest import LIGHT, factor_context, km_plugin, small_config

import pipeline
from pipeline import grid
from pipeline.errors import ConfigError, FactorError, InputError
from pipeline.factors import (
    Factor,
    FactorRegistry,
    InputsView,
    default_registry,
    load_plugins,
)

#: A 1°x0.6° box: a few cells at resolution 4-6.
BOX = (9.5, 49.7, 10.5, 50.3)


def _exits(ctx):
    sys.exit(3)


def _swapped_axes(ctx):
    lon, lat = ctx.cell_centres()
    return pipeline.points_to_cells(lat * 10, lon, ctx.resolution)


def _missing_label(ctx):
    by_name = pd.Series([1.0], index=["Rotterdam"])
    return np.full(len(ctx.cells), by_name.loc["Antwerp"])


def _no_argument():
    return 1.0


def test_a_plugin_calling_sys_exit_is_a_factor_error_not_a_silent_exit():
    # Before: SystemExit passed through; the CLI exited 3 (no documented code) without a
    # line, the run recorded as "stopped" as if by a signal.
    f = Factor("hdr_exits", "u", "d", _exits)
    with pytest.raises(FactorError, match=r"factor 'hdr_exits'.*SystemExit: 3") as info:
        f(factor_context(grid.region_to_cells(BOX, 5)))
    assert "test_factor_plugins_found.py" in str(info.value)
    assert isinstance(info.value.__cause__, SystemExit)


def test_a_route_risk_error_inside_a_plugin_names_the_factor_and_its_line():
    # Before: the helper's InputError ("point 0 has invalid coordinates ...") passed through
    # unchanged: one line read as a fault of the seizures or tracks, the factor unnamed.
    f = Factor("hdr_swapped", "u", "d", _swapped_axes)
    with pytest.raises(FactorError) as info:
        f(factor_context(grid.region_to_cells(BOX, 5)))
    msg = str(info.value)
    assert "factor 'hdr_swapped'" in msg and "InputError" in msg and "invalid coordinates" in msg
    assert "test_factor_plugins_found.py" in msg and "_swapped_axes" in msg
    assert isinstance(info.value.__cause__, InputError)


def test_the_line_named_is_the_plugins_not_the_library_it_called():
    # Before: the innermost frame was named, pandas' own (base.py, in get_loc).
    f = Factor("hdr_label", "u", "d", _missing_label)
    with pytest.raises(FactorError, match="KeyError") as info:
        f(factor_context(grid.region_to_cells(BOX, 5)))
    msg = str(info.value)
    assert "test_factor_plugins_found.py" in msg and "in _missing_label" in msg
    assert "get_loc" not in msg


def test_a_compute_without_the_ctx_argument_is_not_blamed_on_route_risk():
    # Before: "at factors.py, line 357, in __call__": route-risk's line for the plug-in's fault.
    f = Factor("hdr_noarg", "u", "d", _no_argument)
    with pytest.raises(FactorError, match=r"takes 0 positional arguments") as info:
        f(factor_context(grid.region_to_cells(BOX, 5)))
    msg = str(info.value)
    assert "factors.py" not in msg and "__call__" not in msg
    assert "compute(ctx)" in msg


@pytest.mark.parametrize(
    "ref", ["../plugins/mine:port_factor", ".mine:port_factor", "/home/me/mine.py:port_factor"]
)
def test_a_plugin_reference_given_as_a_path_is_one_config_error(ref):
    # Before: '../plugins/mine' and '.mine' raised TypeError from importlib (exit 70, "a bug,
    # please report it"); a file path said only "No module named '/home/me/mine'".
    with pytest.raises(ConfigError, match="PYTHONPATH") as info:
        FactorRegistry().load_reference(ref)
    assert repr(ref) in str(info.value)


@pytest.mark.parametrize(
    ("source", "what"),
    [("x = undefined_name\n", "NameError"), ("def f(:\n", "SyntaxError")],
)
def test_a_plugin_module_that_fails_to_import_is_one_config_error(
    tmp_path, monkeypatch, source, what
):
    # Before: only ImportError was caught: the plug-in's NameError or SyntaxError ended
    # `route-risk validate` and `run` as route-risk's own bug (exit 70).
    name = f"hdr_broken_{what.lower()}"
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ConfigError) as info:
        FactorRegistry().load_reference(f"{name}:f")
    msg = str(info.value)
    assert f"'{name}:f'" in msg and what in msg and f"{name}.py, line 1" in msg
    assert "\n" not in msg


hdr_nothing: list = []


def test_a_plugin_reference_to_no_factor_is_refused():
    # Before: an empty list loaded nothing, in silence.
    with pytest.raises(ConfigError, match=r"'test_factor_plugins_found:hdr_nothing'.*no factor"):
        FactorRegistry().load_reference("test_factor_plugins_found:hdr_nothing")


def test_a_plugin_named_as_a_built_in_is_refused_saying_so():
    # Before: "a factor named 'vessel_hours' is already registered": not that it is a
    # built-in, nor what to do.
    load_plugins()
    clash = Factor("vessel_hours", "h", "mine", lambda ctx: np.ones(len(ctx.cells)))
    with pytest.raises(ConfigError, match=r"built-in factor.*'vessel_hours'.*another name"):
        default_registry.register(clash)
    assert default_registry._factors["vessel_hours"].builtin


def test_a_series_of_coarser_cells_is_refused_for_its_resolution():
    # Before: the resolution-5 cells' parents repeat, so the refusal said "cell ... appears 7
    # times in the index", not that the ids are at another resolution.
    cells = grid.region_to_cells(BOX, 5)
    parents = grid.change_resolution(cells, 4)
    f = Factor("hdr_coarse", "u", "d", lambda ctx: pd.Series(1.0, index=parents))
    with pytest.raises(InputError, match=r"resolution \[4\].*asked for are at \[5\]"):
        f(factor_context(cells))


def _one(ctx):
    return np.ones(len(ctx.cells))


hdr_constant = pipeline.factor(
    name="hdr_constant", unit="u", description="One value everywhere.", register=False
)(_one)


def test_a_weighted_factor_of_one_value_in_every_cell_is_named(small_demo, tmp_path):
    # Before: normalised to 1 in every cell, it gave every cell its full points (a third of
    # the risk here) and ranked none, lifting the map's fixed classes without a word.
    cfg = small_config(
        small_demo,
        tmp_path,
        **{
            **LIGHT,
            "factors": {"plugins": ["test_factor_plugins_found:hdr_constant"]},
            "score": {"factors": {"seizure_density": {"weight": 2}, "hdr_constant": {"weight": 1}}},
        },
    )
    result = pipeline.run_pipeline(cfg)
    notes = [n for n in result.manifest["notes"] if "'hdr_constant'" in n]
    assert len(notes) == 1, result.manifest["notes"]
    assert "one value" in notes[0] and "1" in notes[0] and "33.3 points" in notes[0]


def _moves_the_seizures(ctx):
    s = ctx.seizures
    s["lon"] += 5.0  # a hurried shift, in place
    s.loc[s.index[0], "lat"] = 0.0
    return np.ones(len(ctx.cells))


def _reverses_the_cells(ctx):
    ctx.cells[:] = ctx.cells[::-1]
    return np.ones(len(ctx.cells))


def test_a_plugin_cannot_change_the_runs_seizures_or_cells():
    # Before: ctx.seizures was the run's own table, ctx.cells its own array: a plug-in's
    # in-place edit moved the published seizure counts (800 -> 59 on the small demo) and hot
    # spots of every later stage, with no error.
    cells = grid.region_to_cells(BOX, 5)
    seizures = pd.DataFrame(
        {
            "time": pd.to_datetime(["2023-01-01"] * 2, utc=True),
            "lon": [10.0, 10.1],
            "lat": [50.0, 50.1],
        }
    )
    before = seizures.copy()
    ctx = factor_context(cells.copy())
    ctx.seizures = seizures
    Factor("hdr_moves", "u", "d", _moves_the_seizures, needs=("seizures",))(ctx)
    pd.testing.assert_frame_equal(ctx.seizures, before)
    with pytest.raises(FactorError, match=r"factor 'hdr_reverses'.*read-only.*_reverses_the_cells"):
        Factor("hdr_reverses", "u", "d", _reverses_the_cells)(ctx)
    assert np.array_equal(ctx.cells, cells)


def test_a_factor_reading_the_seizures_cannot_say_no_date_changes_it():
    # Before: needs=("seizures",) with time_dependent=False was taken as it is at every
    # back-test origin: its values of today counted the test windows' seizures (the probe
    # saw all 800 seizures, as of the run's day, in the back-test), a leak without a word.
    with pytest.raises(ConfigError, match=r"'hdr_static'.*time_dependent=False.*test windows"):
        pipeline.factor(
            name="hdr_static",
            unit="seizures",
            description="A count of seizures said to be static.",
            needs=("seizures",),
            time_dependent=False,
            register=False,
        )(_one)


class _Radius(pydantic.BaseModel):
    radius_km: float


hdr_needs_radius = km_plugin(
    "hdr_needs_radius",
    "A plug-in whose option has no default.",
    _Radius,
    lambda ctx: np.full(len(ctx.cells), ctx.options.radius_km),
)


def test_a_required_plugin_option_left_out_is_refused_at_load(small_demo, tmp_path):
    # Before: the config loaded; the run ended at the factor's stage in pydantic's
    # multi-line ValidationError: exit 70, "a bug, please report it".
    with pytest.raises(ConfigError, match=r"factors\.options\.hdr_needs_radius\.radius_km"):
        small_config(
            small_demo,
            tmp_path,
            factors={"plugins": ["test_factor_plugins_found:hdr_needs_radius"]},
            score={
                "factors": {"seizure_density": {"weight": 1}, "hdr_needs_radius": {"weight": 1}}
            },
        )


def test_a_plugin_named_as_a_factor_a_built_in_family_makes_is_refused():
    # Before: a plug-in named 'nightlights_mean' beside a raster named nightlights was never
    # computed: the family's factor came first, and the scores' column held the raster's mean.
    load_plugins()
    inputs = InputsView(frozenset({"raster:nightlights"}), ("nightlights",), ("mean",))
    families = [e for e in default_registry._entries if callable(e)]
    family = next(e for e in families if any(f.name == "nightlights_mean" for f in e(inputs)))
    reg = FactorRegistry()
    reg.register_family(family)
    reg.register(Factor("nightlights_mean", "u", "mine", _one))
    with pytest.raises(ConfigError, match=r"built-in factor is named 'nightlights_mean'"):
        reg.resolve(["nightlights_mean"], inputs)


@pytest.mark.parametrize("name", ["hex_id", "risk", "cell", "geometry", "n_seizures"])
def test_a_factor_named_as_a_column_of_the_scores_tables_is_refused(name):
    # Before: 'hex_id' replaced the published hex ids with its values (scores.csv hex_id
    # 1041.77 for 8418c9bffffffff), 'geometry' lost its values to the polygons, 'risk',
    # 'cell' and 'n_seizures' ended the run in a pandas error (exit 70) - and a 'cell'
    # plug-in once loaded broke every later run of the process (KeyError 'cell__covered').
    with pytest.raises(ConfigError, match=rf"factor name '{name}' is a column"):
        pipeline.factor(name=name, unit="u", description="d", register=False)(_one)


hdr_seizures_cocaine = pipeline.factor(
    name="seizures_cocaine", unit="u", description="Named as a commodity count.", register=False
)(_one)


def test_a_factor_named_as_a_commodity_count_is_refused(small_demo, tmp_path):
    # Before: the merge with the seizure counts made seizures_cocaine_x and _y, and the run
    # ended in "scores table is missing column(s) ['seizures_cocaine']".
    cfg = small_config(
        small_demo,
        tmp_path,
        **{
            **LIGHT,
            "factors": {"plugins": ["test_factor_plugins_found:hdr_seizures_cocaine"]},
            "score": {
                "factors": {"seizure_density": {"weight": 1}, "seizures_cocaine": {"weight": 1}}
            },
        },
    )
    with pytest.raises(ConfigError, match=r"'seizures_cocaine'.*commodity 'cocaine'"):
        pipeline.run_pipeline(cfg)


def test_a_factor_named_as_a_fitted_feature_is_refused(small_demo):
    # Before: the model report listed 'count_365d' twice (the model's, kept; the plug-in's,
    # dropped) and the shares' count_365d__share could be either.
    from pipeline.model import FittedModel, FittedOptions

    events = pipeline.read_seizures(small_demo / "inputs" / "seizures.csv").frame
    cells = np.unique(pipeline.points_to_cells(events["lon"], events["lat"], 4))
    table = pd.DataFrame({"cell": cells, "count_365d": np.arange(cells.size, dtype=float)})
    model = FittedModel(FittedOptions(), inference=False)
    with pytest.raises(InputError, match=r"'count_365d' has the name of one of the fitted"):
        model.fit(events, cells, "2026-06-30", factors=table)


hdr_kde_60km = pipeline.factor(
    name="kde_60km", unit="u", description="Named as a smoothed count.", register=False
)(_one)


@pytest.mark.parametrize("model", ["fitted", "weighted"])
def test_a_factor_named_as_a_fitted_feature_is_refused_at_load(small_demo, tmp_path, model):
    # Before: `validate` said valid and the run refused it at the model's fit, after the
    # whole ingest; the names follow the fitted options (a 60 km bandwidth makes kde_60km).
    sections = {
        **LIGHT,
        "factors": {"plugins": ["test_factor_plugins_found:hdr_kde_60km"]},
        "score": {
            "model": model,
            "fitted": {"bandwidths_km": [60]},
            "factors": {"seizure_density": {"weight": 1}, "kde_60km": {"weight": 1}},
        },
    }
    if model == "weighted":  # the model builds no such feature: the name is free
        assert "kde_60km" in small_config(small_demo, tmp_path, **sections).score.factors
        return
    with pytest.raises(ConfigError, match=r"score.factors.kde_60km: the fitted model builds"):
        small_config(small_demo, tmp_path, **sections)


def test_the_fitted_feature_names_are_the_ones_the_model_builds(small_demo):
    from pipeline.model import FittedOptions, build_lagged_features

    events = pipeline.read_seizures(small_demo / "inputs" / "seizures.csv").frame
    cells = np.unique(pipeline.points_to_cells(events["lon"], events["lat"], 4))
    options = FittedOptions(bandwidths_km=(30, 60), count_windows_days=("all", 180, "horizon"))
    built = build_lagged_features(events, cells, "2026-06-30", options)
    assert list(options.feature_names) == list(built.names)


@pytest.mark.parametrize("need", ["seizure", "ais", "raster:", "context:roads"])
def test_a_need_that_names_no_input_is_refused_when_the_factor_is_made(need):
    # Before: the factor was "unknown" in every config, the message saying the config did
    # not give 'seizure' - an input no config can give.
    with pytest.raises(ConfigError, match=rf"'hdr_typo' needs '{need}', which is no input"):
        Factor("hdr_typo", "u", "d", _one, needs=(need,))


def test_a_factor_refused_while_its_module_imports_is_said_with_the_reference(
    tmp_path, monkeypatch
):
    # Before: the refusal of a factor the module defines came without the reference the
    # config named, nor the module's line.
    (tmp_path / "hdr_refused_module.py").write_text(
        "import pipeline\n\nf = pipeline.factor(name='risk', unit='u', description='d')(len)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "hdr_refused_module", raising=False)
    with pytest.raises(ConfigError) as info:
        FactorRegistry().load_reference("hdr_refused_module:f")
    msg = str(info.value)
    assert msg.startswith("factor plug-in 'hdr_refused_module:f': importing its module")
    assert "hdr_refused_module.py, line 3" in msg and "factor name 'risk'" in msg


def test_an_xarray_result_labelled_by_cell_is_matched_by_id():
    # Before: np.asarray dropped the DataArray's cell coordinate: in another order, each
    # cell got another cell's value, in silence.
    import xarray as xr

    cells = grid.region_to_cells(BOX, 5)
    values = np.arange(cells.size, dtype=float)
    da = xr.DataArray(values[::-1], dims="cell", coords={"cell": cells[::-1]})
    got = Factor("hdr_xr", "u", "d", lambda ctx: da)(factor_context(cells))
    assert got.values.tolist() == values.tolist()
    plain = xr.DataArray(values)  # no coordinate: positional, as an array
    assert (
        Factor("hdr_xr2", "u", "d", lambda ctx: plain)(factor_context(cells)).values.tolist()
        == values.tolist()
    )


def test_a_pair_returned_by_mistake_is_said_to_be_read_as_values_and_coverage():
    # Before: `return ctx.cell_centres()` (lon, lat) was refused for "a coverage mask of
    # float64": not that the pair had been read as (values, covered).
    cells = grid.region_to_cells(BOX, 5)
    f = Factor("hdr_pair", "u", "d", lambda ctx: ctx.cell_centres())
    with pytest.raises(InputError, match=r"'hdr_pair' \(a pair, read as \(values, covered\)\)"):
        f(factor_context(cells))


@dataclasses.dataclass
class _DataclassOptions:
    scale_km: float = 50.0


@pytest.mark.parametrize("options", [_DataclassOptions, dict])
def test_options_that_are_no_pydantic_model_are_refused_when_the_factor_is_made(options):
    # Before: the config's load ended in AttributeError ("no attribute 'model_validate'"):
    # exit 70, "a bug, please report it".
    with pytest.raises(ConfigError, match=r"'hdr_opts': options must be a pydantic model"):
        Factor("hdr_opts", "u", "d", _one, options=options)


@pytest.mark.parametrize(("unit", "description"), [(None, "d"), ("u", None), (5, ["a", "b"])])
def test_a_unit_or_description_that_is_no_text_is_refused(unit, description):
    # Before: unit=None reached the map card as "None" and the manifest as null.
    with pytest.raises(ConfigError, match=r"'hdr_text': (unit|description) must be text"):
        Factor("hdr_text", unit, description, _one)


def _too_few(ctx):
    raise ValueError(f"only {len(ctx.seizures)} seizures")


def test_a_plugin_that_raises_at_an_origin_says_as_of_when():
    # Before: it ran as of the run's day and raised at an early back-test origin (fewer
    # seizures then); the refusal named neither the date nor why that date was asked.
    ctx = factor_context(grid.region_to_cells(BOX, 5))
    ctx.seizures = pd.DataFrame({"time": [], "lon": [], "lat": []})
    f = Factor("hdr_too_few", "u", "d", _too_few, needs=("seizures",))
    with pytest.raises(FactorError, match=r"ctx\.as_of 2024-01-01: .*each back-test and training"):
        f(ctx)


def test_values_that_fit_no_origins_cells_are_refused_saying_as_of_when():
    # Before: values kept from the run's 1001 cells met a back-test origin's 506 cells:
    # "returned 1001 values for 506 cells", not when, nor that such origins are computed.
    cells = grid.region_to_cells(BOX, 5)
    ctx = factor_context(cells)
    ctx.seizures = pd.DataFrame({"time": [], "lon": [], "lat": []})
    kept = np.ones(cells.size + 1)
    f = Factor("hdr_kept", "u", "d", lambda ctx: kept, needs=("seizures",))
    with pytest.raises(InputError, match=r"values for .* cells.*ctx\.as_of 2024-01-01: "):
        f(ctx)


def _blanks_the_raster(ctx):
    ctx.rasters["night"][:] = 0.0
    return np.ones(len(ctx.cells))


def test_a_plugin_cannot_change_the_runs_rasters():
    # Before: ctx.rasters held the run's own arrays: da[:] = 0 in a plug-in blanked the
    # published map's raster overlay (its PNG 10,528 -> 1,540 bytes), with no error.
    import xarray as xr

    data = xr.DataArray(np.ones((1, 2, 2)), dims=("band", "y", "x"))
    ctx = factor_context(grid.region_to_cells(BOX, 5))
    ctx.rasters = {"night": data}
    f = Factor("hdr_blanks", "u", "d", _blanks_the_raster, needs=("raster:night",))
    with pytest.raises(FactorError, match=r"factor 'hdr_blanks'.*_blanks_the_raster"):
        f(ctx)
    assert float(data.sum()) == 4.0


def test_a_plugin_cannot_change_the_runs_dask_rasters():
    # A dask-backed raster's setitem rewrote the shared array object: shallow copies were
    # not enough (found while fixing the in-memory case).
    import dask.array as dsa
    import xarray as xr

    data = xr.DataArray(dsa.ones((2, 2), chunks=1), dims=("y", "x"))
    ctx = factor_context(grid.region_to_cells(BOX, 5))
    ctx.rasters = {"night": data}
    Factor("hdr_blanks_dask", "u", "d", _blanks_the_raster, needs=("raster:night",))(ctx)
    assert float(data.sum()) == 4.0


def test_a_factor_returning_the_cell_ids_as_values_is_refused():
    # Before: `return counts.index` published ids near 6e17 as the factor's values; capped
    # at the 99th percentile they gave every cell about full points.
    cells = grid.region_to_cells(BOX, 5)
    f = Factor("hdr_ids", "u", "d", lambda ctx: pd.Index(ctx.cells))
    with pytest.raises(InputError, match=r"'hdr_ids' returned the cells' own H3 ids"):
        f(factor_context(cells))


def test_a_series_indexed_by_float_ids_says_floats_cannot_hold_them():
    # Before: "index is neither H3 cells nor the positions": not that the ids had become
    # floats (a CSV's cell column with a gap), nor how to read them.
    cells = grid.region_to_cells(BOX, 5)
    f = Factor("hdr_float_ids", "u", "d", lambda ctx: pd.Series(1.0, index=cells.astype(float)))
    with pytest.raises(InputError, match=r"floats cannot hold a 64-bit H3 id exactly"):
        f(factor_context(cells))
