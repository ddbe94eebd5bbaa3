"""What a researcher adding a plug-in factor from a notebook ran into (task hCK).

Each test failed before its fix: a misspelt option of a plug-in silently ran on the default,
a masked array's masked cells were published as values, and a plug-in that raised ended the
run as route-risk's own bug, without naming the factor.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pydantic
import pytest
from conftest import QUICK, small_config

import pipeline
from pipeline.errors import ConfigError, RouteRiskError
from pipeline.factors import Factor, FactorValues


class NearOptions(pydantic.BaseModel):
    """Options of :data:`near_port`: the distance at which its value halves."""

    scale_km: float = 50.0


def _near(ctx):
    return 1.0 / (1.0 + np.abs(ctx.cell_centres()[1]) / ctx.options.scale_km)


near_port = pipeline.factor(
    name="researcher_near",
    unit="1 / (1 + deg / scale)",
    description="A plug-in with one option (the researcher's test).",
    options=NearOptions,
    register=False,
)(_near)


def _boom(ctx):
    return np.ones(len(ctx.cells)) * (1 / 0)


boom = pipeline.factor(
    name="researcher_boom",
    unit="u",
    description="A plug-in whose compute raises.",
    register=False,
)(_boom)


def test_a_misspelt_plugin_option_is_refused_at_load_naming_the_known_ones(small_demo, tmp_path):
    # Before: pydantic's default ignores unknown keys, so `scale_kn: 200` ran on the default
    # 50 km in silence, the manifest's config still saying 200.
    with pytest.raises(ConfigError) as err:
        small_config(
            small_demo,
            tmp_path,
            factors={
                "plugins": ["test_researcher_found:near_port"],
                "options": {"researcher_near": {"scale_kn": 200}},
            },
        )
    # the option named, and the options the factor takes
    assert re.search(r"factors\.options\.researcher_near.*'scale_kn'", str(err.value))
    assert re.search(r"\['scale_km'\]", str(err.value))
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={
            "plugins": ["test_researcher_found:near_port"],
            "options": {"researcher_near": {"scale_km": 200}},
        },
    )
    assert cfg.factors.options["researcher_near"] == {"scale_km": 200}


def test_a_masked_array_is_not_covered_where_masked():
    # rasterio's read(masked=True) and np.ma give masked arrays: the masked cells held the
    # fill value (here 0 and -9999), published as observed values.
    data = np.ma.masked_array([1.0, 0.0, 2.0, -9999.0], mask=[False, True, False, True])
    v = FactorValues.coerce(data, 4, "f", cells=np.arange(4, dtype=np.uint64) + 1)
    assert v.covered.tolist() == [True, False, True, False]
    assert np.isnan(v.values[[1, 3]]).all() and v.values[[0, 2]].tolist() == [1.0, 2.0]
    ints = np.ma.masked_array([3, 0], mask=[False, True])
    assert FactorValues.coerce(ints, 2, "f").covered.tolist() == [True, False]
    # as the values of a (values, covered) pair too: masked is not covered, whatever it says
    pair = FactorValues.coerce((data, np.ones(4, dtype=bool)), 4, "f")
    assert pair.covered.tolist() == [True, False, True, False]


def test_a_plugin_that_raises_is_one_error_naming_the_factor_and_its_line():
    f = Factor("researcher_boom", "u", "d", _boom)
    empty = pd.DataFrame({"time": [], "lon": [], "lat": []})
    ctx = pipeline.FactorContext(
        cells=np.array([0x8428309FFFFFFFF], dtype=np.uint64),
        resolution=4,
        as_of=pd.Timestamp("2026-06-30", tz="UTC"),
        seizures=empty,
        pings=empty,
    )
    with pytest.raises(RouteRiskError) as info:
        f(ctx)
    msg = str(info.value)
    assert "factor 'researcher_boom'" in msg and "ZeroDivisionError" in msg
    assert "test_researcher_found.py" in msg and "_boom" in msg
    assert "\n" not in msg
    assert isinstance(info.value.__cause__, ZeroDivisionError)  # the traceback is kept


def test_a_plugin_that_raises_ends_the_run_in_one_error_naming_it(small_demo, tmp_path):
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_researcher_found:boom"]},
        score={"factors": {"seizure_density": {"weight": 1}, "researcher_boom": {"weight": 1}}},
        **QUICK,
    )
    with pytest.raises(RouteRiskError, match=r"factor 'researcher_boom'.*ZeroDivisionError"):
        pipeline.run_pipeline(cfg)


def test_a_factor_missing_in_every_cell_is_named_by_the_model_report(small_demo):
    # Before: the fitted model left an all-NaN factor out of its design and its report did
    # not list it at all (not as a candidate, not as dropped): the researcher's factor was
    # simply absent, the map's "not selected" list silent about it.
    from pipeline.model import FittedModel, FittedOptions

    events = pipeline.read_seizures(small_demo / "inputs" / "seizures.csv").frame
    cells = np.unique(pipeline.points_to_cells(events["lon"], events["lat"], 4))
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {"cell": cells, "blank": np.full(cells.size, np.nan), "noise": rng.random(cells.size)}
    )
    model = FittedModel(FittedOptions(), inference=False)
    rep = model.fit(events, cells, "2026-06-30", factors=table).report()
    assert rep["factors_not_covered"] == ["blank"]
    rows = {f["name"]: f for f in rep["factors"]}
    assert rows["blank"]["selected"] is False and "noise" in rows
    reasons = {d["name"]: d["reason"] for d in rep["dropped"]}
    assert "covers no cell" in reasons["blank"]
