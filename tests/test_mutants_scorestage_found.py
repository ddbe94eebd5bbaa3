"""What a mutation pass over the weighted model, the model and hot-spot options, the score stage
and the map's data classes found untested.

Each test kills hand-made mutants of :mod:`pipeline.model.weighted`,
:mod:`pipeline.model.options`, :mod:`pipeline.hotspots._options`,
:mod:`pipeline.runner.stages._score` or :mod:`pipeline.render._model` that left the rest of the
suite passing.  Expected values come from ``configs/example.yaml`` and the README (defaults),
hand arithmetic (weights, shares) or the options' own documented bounds, never from the code
under test.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO
from pydantic import ValidationError

from pipeline.errors import InputError
from pipeline.hotspots import HotspotOptions
from pipeline.model import FittedOptions

EXAMPLE = REPO / "configs" / "example.yaml"


def _example(*keys: str) -> dict:
    section = yaml.safe_load(EXAMPLE.read_text())
    for k in keys:
        section = section[k]
    return section


def test_fitted_defaults_are_those_configs_example_yaml_states():
    """Mutants: any default of FittedOptions changed (horizon, windows, floors, fallbacks)."""
    stated = _example("score", "fitted")
    # commented out in the example (it depends on the resolution): the README's 25, 50, 100 km
    stated["bandwidths_km"] = [25, 50, 100]
    got = FittedOptions().model_dump(mode="json")
    assert sorted(got) == sorted(stated)
    assert got == FittedOptions.model_validate(stated).model_dump(mode="json")


def test_hotspot_defaults_are_those_configs_example_yaml_states():
    """Mutants: any default of HotspotOptions, EmergingOptions or UncertaintyOptions changed."""
    stated = _example("hotspots")
    stated.pop("enabled")  # the runner's switch (HotspotConfig), no option of the analysis
    got = HotspotOptions().model_dump(mode="json")
    assert sorted(got) == sorted(stated)
    assert got == HotspotOptions.model_validate(stated).model_dump(mode="json")
    assert HotspotOptions().neighbourhood == ("k_rings", 1)  # "null: 1, unless distance_band_km"


def test_fitted_feature_names_and_history_are_those_documented():
    """Mutants: a kde feature named ``kde_25km_365.0d``, the recency cap or the horizon left out
    of the history a training origin needs, the stride's ``min`` made ``max``."""
    o = FittedOptions()
    assert o.feature_names == (
        "count_all",
        "count_365d",
        "count_horizon",
        *(f"kde_{b}km{w}" for b in (25, 50, 100) for w in ("", "_365d")),
        "recency",
    )
    # "default: the longest numeric count window and recency_cap_days"
    assert FittedOptions(recency_cap_days=500.0).history_days == 500.0
    no_windows = dict(count_windows_days=("all",), kde_windows_days=("all",))
    assert FittedOptions(**no_windows, recency_cap_days=200.0).history_days == 200.0
    # nothing numeric at all: one horizon of history
    assert FittedOptions(**no_windows, recency=False).history_days == 91.0
    # "the horizon or 30 days, whichever is shorter"
    assert (FittedOptions().stride, FittedOptions(horizon_days=10.0).stride) == (30.0, 10.0)


def test_fitted_windows_and_bandwidths_are_deduplicated_and_the_smallest_bandwidth_first():
    """Mutants: a window given twice kept twice (two features of one name), the bandwidths
    left in the order given (the recency radius and the fallback's smoothed count take the
    first as "the smallest bandwidth")."""
    o = FittedOptions(
        count_windows_days=(365, "all", 365.0),
        kde_windows_days=("all", "all"),
        bandwidths_km=(100.0, 25.0, 100.0),
    )
    assert o.count_windows_days == (365, "all")
    assert o.kde_windows_days == ("all",)
    assert o.bandwidths_km == (25.0, 100.0)
    assert len(set(o.feature_names)) == len(o.feature_names)


def test_a_kde_window_counts_for_history_only_with_a_bandwidth():
    """Mutant: the kde windows counted with no bandwidth (no kde feature is built), refusing a
    valid model: 1,000 days of a feature that does not exist needed 1,091 days of training."""
    o = FittedOptions(bandwidths_km=(), kde_windows_days=("all", 1000.0), recency=False)
    assert o.history_days == 365.0 and not any(n.startswith("kde") for n in o.feature_names)


#: A valid value at each documented bound, and the first one past it.
FITTED_BOUNDS = [
    ("stride_days", 0.5, 0.0),
    ("fallback_weight", 1.0, 1.01),
    ("fallback_weight", 0.0, -0.01),
    ("max_rows", 1000, 999),
    ("count_windows_days", (0.5, "all"), (0.0, "all")),
    ("kde_windows_days", (0.5, "all"), (0.0, "all")),
    ("bandwidths_km", (0.5,), (0.0,)),
    ("min_events", 1, 0),
]


@pytest.mark.parametrize(
    ("name", "ok", "bad"), FITTED_BOUNDS, ids=[f"{n}-{b}" for n, _, b in FITTED_BOUNDS]
)
def test_fitted_options_take_the_bound_and_refuse_past_it(name, ok, bad):
    assert getattr(FittedOptions(**{name: ok}), name) == ok
    with pytest.raises(ValidationError, match=name):
        FittedOptions(**{name: bad})


def test_training_history_takes_exactly_enough_days_and_refuses_less():
    """Mutants: ``>`` made ``>=`` (a train window exactly history + horizon refused), the
    min_history_days check loosened."""
    # default history 365 (the 365-day windows and recency cap) + horizon 91 = 456
    assert FittedOptions(train_days=456.0).train_days == 456.0
    with pytest.raises(ValidationError, match="train_days"):
        FittedOptions(train_days=455.5)
    assert FittedOptions(min_history_days=365.0).history_days == 365.0
    with pytest.raises(ValidationError, match="min_history_days"):
        FittedOptions(min_history_days=364.5)


#: Hot-spot options: a valid value at each documented bound, and the first one past it.
HOTSPOT_BOUNDS = [
    ({"emerging": {"time_step_window": 0}}, {"emerging": {"time_step_window": -1}}),
    ({"emerging": {"time_step_window": 120}}, {"emerging": {"time_step_window": 121}}),
    ({"emerging": {"min_periods": 2}}, {"emerging": {"min_periods": 1}}),
    ({"emerging": {"alpha": 0.99}}, {"emerging": {"alpha": 1.0}}),
    ({"uncertainty": {"n_resamples": 10}}, {"uncertainty": {"n_resamples": 9}}),
    ({"uncertainty": {"max_bytes": 1 << 20}}, {"uncertainty": {"max_bytes": (1 << 20) - 1}}),
    ({"uncertainty": {"interval": (0.0, 1.0)}}, {"uncertainty": {"interval": (0.5, 0.5)}}),
    ({"uncertainty": {"interval": (0.0, 1.0)}}, {"uncertainty": {"interval": (0.9, 0.1)}}),
    ({"uncertainty": {"interval": (0.0, 1.0)}}, {"uncertainty": {"interval": (-0.1, 0.9)}}),
    ({"uncertainty": {"interval": (0.0, 1.0)}}, {"uncertainty": {"interval": (0.1, 1.1)}}),
    ({"k_rings": 100}, {"k_rings": 101}),
    ({"k_rings": 1}, {"k_rings": 0}),
    ({"distance_band_km": 0.001}, {"distance_band_km": 0.0}),
    ({"distance_band_km": 20_000}, {"distance_band_km": 20_001}),
    ({"distance_band_km": 10.0}, {"distance_band_km": 10.0, "k_rings": 2}),
    ({"alphas": (0.99, 0.5, 1e-9)}, {"alphas": (1.0, 0.05, 0.01)}),
    ({"alphas": (0.99, 0.5, 1e-9)}, {"alphas": (0.1, 0.05, 0.0)}),
    ({"alphas": (0.2, 0.1, 0.05)}, {"alphas": (0.1, 0.1, 0.01)}),
    ({"alphas": (0.2, 0.1, 0.05)}, {"alphas": (0.1, 0.05, 0.05)}),
    ({"p_value": "exact", "permutations": 0}, {"p_value": "permutation", "permutations": 0}),
    ({"permutations": 99_999}, {"permutations": 100_000}),
]


@pytest.mark.parametrize(("ok", "bad"), HOTSPOT_BOUNDS, ids=[str(b) for _, b in HOTSPOT_BOUNDS])
def test_hotspot_options_take_the_bound_and_refuse_past_it(ok, bad):
    from pipeline.errors import ConfigError
    from pipeline.hotspots import validate_options

    got = validate_options(ok).model_dump()
    for k, v in ok.items():
        assert got[k] == ({**got[k], **v} if isinstance(v, dict) else v)
    with pytest.raises(ConfigError, match="hotspots option"):
        validate_options(bad)


def test_validate_options_returns_given_options_and_defaults_for_none():
    from pipeline.hotspots import validate_options

    given = HotspotOptions(k_rings=3)
    assert validate_options(given) is given
    assert validate_options(None) == HotspotOptions()


def test_the_weighted_model_scores_a_cell_once_explains_one_and_reports_transforms():
    """Mutant: the cells not made unique: a cell given twice was scored twice (two rows of one
    cell in the forecast, and its value counted twice in the normalisation's cap)."""
    import numpy as np
    import pandas as pd

    from pipeline.grid import region_to_cells
    from pipeline.model import WeightedModel

    cells = region_to_cells((0, 0, 0.5, 0.5), 5)
    feats = pd.DataFrame({"cell": cells, "a": np.arange(cells.size, dtype="float64")})
    once = WeightedModel({"a": 1.0}).fit(None, cells, None, feats).predict()
    twice = np.concatenate([cells, cells[-3:]])
    got = WeightedModel({"a": 1.0}).fit(None, twice, None, feats).predict()
    pd.testing.assert_frame_equal(got, once)
    # the report says each factor's transform as configured
    from pipeline.score import FactorWeight

    rep = WeightedModel({"a": FactorWeight(weight=2.0, transform="log"), "b": 6.0}).report()
    assert [(f["weight"], f["transform"]) for f in rep["factors"]] == [
        (0.25, "log"),
        (0.75, "linear"),
    ]
    # one cell per call: none is refused as several are, not an IndexError
    m = WeightedModel({"a": 1.0}).fit(None, cells, None, feats)
    for bad in ([], cells[:2]):
        with pytest.raises(InputError, match="explain takes one cell"):
            m.explain(bad)
