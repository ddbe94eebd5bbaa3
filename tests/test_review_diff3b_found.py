"""Found reviewing the plug-in options check and the header words (review diff3, part b).

Each test failed on the code before its fix: a misspelt key inside a plug-in's nested
options ran the plug-in on its default in silence, an empty ``factors.options.<name>:`` was
refused, and a header in another script lost its words (the file refused, or a date read
from another column).  The guards beside them keep the refusals that are right.
"""

from __future__ import annotations

import re

import numpy as np
import pydantic
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import small_config

import pipeline
from pipeline.errors import ConfigError

pytestmark = IGNORE_PENDING_DEPRECATION

# ----------------------------------------------------------------- nested plug-in options


class Ring(pydantic.BaseModel):
    """One ring of a plug-in's options (a nested model, pydantic's default ``extra``)."""

    scale_km: float = 50.0
    weight: float = 1.0


class Free(pydantic.BaseModel):
    """A nested model that takes any extra key on purpose."""

    model_config = pydantic.ConfigDict(extra="allow")

    scale_km: float = 50.0


class NestedOptions(pydantic.BaseModel):
    """Options with a nested model, a dict and a list of them, free-form and open tables."""

    inner: Ring = Ring()
    maybe: Ring | None = None
    by_port: dict[str, Ring] = {}
    rings: list[Ring] = []
    weights: dict[str, float] = {}
    free: Free = Free()


def _inner_scale(ctx):
    return np.full(len(ctx.cells), float(ctx.options.inner.scale_km))


nested = pipeline.factor(
    name="review_nested",
    unit="km",
    description="A plug-in whose options hold nested tables.",
    options=NestedOptions,
    register=False,
)(_inner_scale)


def _nested_config(small_demo, tmp_path, options):
    return small_config(
        small_demo,
        tmp_path,
        factors={
            "plugins": ["test_review_diff3b_found:nested"],
            "options": {"review_nested": options},
        },
    )


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"inner": {"scale_kn": 200}}, "inner.scale_kn"),
        ({"maybe": {"scale_kn": 200}}, "maybe.scale_kn"),
        ({"by_port": {"rotterdam": {"scale_kn": 200}}}, "by_port.rotterdam.scale_kn"),
        ({"rings": [{"scale_km": 10}, {"scale_kn": 200}]}, "rings.1.scale_kn"),
    ],
    ids=["model", "optional", "dict-of-models", "list-of-models"],
)
def test_an_unknown_key_inside_nested_options_is_refused(small_demo, tmp_path, options, key):
    # Before: only the top-level keys were checked; pydantic ignored 'scale_kn' inside the
    # nested table and the plug-in ran on its default 50 km without a word.
    with pytest.raises(ConfigError) as err:
        _nested_config(small_demo, tmp_path, options)
    msg = str(err.value)
    assert "\n" not in msg
    assert "factors.options.review_nested" in msg
    assert repr([key]) in msg
    assert "['scale_km', 'weight']" in msg


def test_nested_options_without_typos_are_read(small_demo, tmp_path):
    # the guard: a free-form dict of numbers and a model that allows extras take any key
    from pipeline.runner.plan import factor_options

    options = {
        "inner": {"scale_km": 200},
        "by_port": {"rotterdam": {"weight": 2}},
        "rings": [{"scale_km": 10}],
        "weights": {"anything": 1.5},
        "free": {"scale_km": 5, "colour": "red"},
    }
    got = factor_options(_nested_config(small_demo, tmp_path, options), nested)
    assert got.inner.scale_km == 200
    assert got.by_port["rotterdam"].weight == 2
    assert got.weights == {"anything": 1.5}
    assert got.free.model_extra == {"colour": "red"}


def test_a_top_level_unknown_key_is_still_refused_naming_the_keys(small_demo, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['inerr'\].*'inner'"):
        _nested_config(small_demo, tmp_path, {"inerr": {"scale_km": 200}})


# ----------------------------------------------------------------- empty options in YAML


def test_empty_plugin_options_in_yaml_mean_the_defaults(small_demo, tmp_path):
    # 'review_nested:' with nothing after it is null in YAML; it was refused ("Input should
    # be a valid dictionary").
    from pipeline.runner.plan import factor_options

    cfg = _nested_config(small_demo, tmp_path, None)
    assert cfg.factors.options["review_nested"] == {}
    assert factor_options(cfg, nested).inner.scale_km == 50.0


def test_empty_options_section_in_yaml_means_none(small_demo, tmp_path):
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_review_diff3b_found:nested"], "options": None},
    )
    assert cfg.factors.options == {}


@pytest.mark.parametrize("value", [3, "scale_km=200", [{"scale_km": 200}]])
def test_plugin_options_that_are_no_table_are_refused(small_demo, tmp_path, value):
    match = r"factors\.options: the options of 'review_nested' must be a table.*got "
    with pytest.raises(ConfigError, match=match + re.escape(repr(value))):
        _nested_config(small_demo, tmp_path, value)
