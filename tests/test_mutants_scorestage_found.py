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

import pipeline
from pipeline.errors import InputError
from pipeline.hotspots import HotspotOptions
from pipeline.model import FittedOptions

EXAMPLE = REPO / "configs" / "example.yaml"


def _every_other_values(n: int):
    """√1 to √7 in every other cell (risks of many decimals), not covered in the others."""
    import numpy as np

    i = np.arange(n)
    return np.where(i % 2 == 0, np.sqrt(1.0 + i % 7), np.nan)


def _every_other(ctx):
    return _every_other_values(len(ctx.cells))


scorestage_half = pipeline.factor(
    name="scorestage_half", unit="n", description="every other cell", register=False
)(_every_other)


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


def test_explain_gives_the_cells_class_and_no_risk_where_no_factor_covers_it():
    """Mutants: explain's ``risk_class`` read from another column, a cell no factor covers
    explained as a risk of 0 (missing is not zero: its class is "no data")."""
    import numpy as np
    import pandas as pd

    from pipeline.grid import region_to_cells
    from pipeline.model import WeightedModel

    cells = region_to_cells((0, 0, 0.5, 0.5), 5)[:5]
    # a: 0, 1, 2, 4 and not covered; capped at the 0.99 quantile of the non-zero values
    feats = pd.DataFrame({"cell": cells, "a": [0.0, 1.0, 2.0, 4.0, np.nan]})
    m = WeightedModel({"a": 1.0}).fit(None, cells, None, feats)
    got = {c: m.explain(c) for c in cells}
    cap = np.quantile([1.0, 2.0, 4.0], 0.99)
    for c, value in zip(cells[:4], [0.0, 1.0, 2.0, 4.0], strict=True):
        risk = 100.0 * min(value / cap, 1.0)
        assert got[c]["risk"] == pytest.approx(risk)
        # the default breaks 0, 20, 40, 60, 80, 100
        labels = ["very low", "low", "medium", "high", "very high"]
        assert got[c]["risk_class"] == labels[min(int(risk // 20), 4)]
    blank = got[cells[4]]
    assert np.isnan(blank["risk"]) and blank["risk_class"] == "no data"
    assert blank["factors"][0]["value"] is None and blank["factors"][0]["covered"] is False


@pytest.fixture(scope="module")
def fitted_stage(tmp_path_factory):
    """The score stage's fitted view of 400 seizures in two clusters, 682 res-5 cells.

    ``fit_region: active``: the cells far from every seizure are quiet (no shares).  The
    stage's :func:`_fitted_scores` is called on the features table as the stage hands it.
    """
    import numpy as np
    import pandas as pd
    from conftest import config_from

    from pipeline import schema as S
    from pipeline.features import FeatureTable
    from pipeline.grid import region_to_cells
    from pipeline.runner.stages import RunState, _score
    from pipeline.score import score_cells

    tmp = tmp_path_factory.mktemp("fitted_stage")
    bbox = (100.0, -1.0, 104.0, 3.0)
    rng = np.random.default_rng(5)
    n = 400
    lon = np.r_[101.0 + rng.normal(0, 0.15, n // 2), 102.5 + rng.normal(0, 0.3, n // 2)]
    lat = np.r_[0.5 + rng.normal(0, 0.15, n // 2), 1.5 + rng.normal(0, 0.3, n // 2)]
    times = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 730, n), "D")
    seizures = pd.DataFrame(
        {S.TIME: times, S.LON: lon, S.LAT: lat, S.COMMODITY: "x", S.QUANTITY: 1.0}
    )
    pd.DataFrame({"date": times.strftime("%Y-%m-%d"), "lon": lon, "lat": lat}).to_csv(
        tmp / "s.csv", index=False
    )
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp / "out")},
            "area": {"bbox": list(bbox), "resolution": 5, "cells": "all"},
            "inputs": {"seizures": [{"path": str(tmp / "s.csv")}]},
            "score": {
                "model": "fitted",
                "fitted": {"fit_region": "active", "bandwidths_km": [10, 20]},
                "factors": {"seizure_density": {"weight": 1}},
            },
        },
        tmp,
    )
    cells = region_to_cells(bbox, 5)
    table = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: np.ones(len(cells))})
    state = RunState(
        config=cfg,
        as_of=pd.Timestamp("2024-12-31", tz="UTC"),
        out=tmp / "out",
        staging=tmp,
        cache=None,  # type: ignore[arg-type]  # the score stage reads no cache
        features=FeatureTable(table=table),
        seizures=seizures,
    )
    weighted = score_cells(table, cfg.score.factors, covered=table)
    out, report = _score._fitted_scores(state, table, weighted)
    return out, report


def test_the_fitted_top_factor_is_the_largest_feature_share_and_none_without_shares(fitted_stage):
    """Mutants: a quiet cell (no share) named the first feature as its top factor; the area's
    share (the cell's size, no factor) ranked among the features."""
    import numpy as np

    out, report = fitted_stage
    assert report.get("fallback") is None  # the model was fitted
    feats = [c for c in out.columns if c.endswith("__share") and c != "area__share"]
    assert len(feats) >= 2
    arr = out[feats].to_numpy(dtype="float64")
    quiet = np.isnan(arr).all(axis=1)
    assert 0 < quiet.sum() < len(out)
    assert out.loc[quiet, "top_factor"].isna().all()
    names = np.array([c.removesuffix("__share") for c in feats])
    expected = names[np.argmax(np.where(np.isnan(arr), -np.inf, arr), axis=1)]
    assert (out.loc[~quiet, "top_factor"].to_numpy() == expected[~quiet]).all()
    # cells where the area's share exceeds every feature's: the area is no factor
    assert ((out["area__share"].to_numpy()[:, None] > arr).all(axis=1) & ~quiet).any()


def test_the_fitted_risk_is_the_area_percentile_of_the_expected_rate_to_six_decimals(fitted_stage):
    """Mutants: the percentile rounded to 4 decimals (off by up to 5e-5), or of the share of
    cells rather than of the area.  Reference: h3's cell areas, the share of the area at or
    below each cell's rate, for the cells whose rate no other cell shares."""
    import h3
    import numpy as np

    from pipeline import schema as S

    out, _ = fitted_stage
    area = np.array([h3.cell_area(h3.int_to_str(int(c)), "km^2") for c in out[S.CELL]])
    rate = out["expected_per_km2"].to_numpy(dtype="float64")
    own = np.array([(np.abs(rate - r) <= 1e-9 * r).sum() == 1 for r in rate])
    assert own.sum() > 100
    below = np.array([area[rate < r].sum() for r in rate])
    ref = 100.0 * (below + area) / area.sum()
    np.testing.assert_allclose(out[S.RISK].to_numpy()[own], ref[own], rtol=0, atol=1e-6)


def _bootstrap_state(tmp_path, cache_root=None, zero: int = 0, **sections):
    """A weighted run's state as the uncertainty stage is handed it: 300 seizures, 296 res-6
    cells, the density and ``scorestage_half`` (every other cell) weighted 1:1."""
    import numpy as np
    import pandas as pd
    from conftest import config_from

    from pipeline import schema as S
    from pipeline.density import kernel_density
    from pipeline.features import FeatureTable
    from pipeline.grid import region_to_cells
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState
    from pipeline.score import score_cells

    tmp_path.mkdir(parents=True, exist_ok=True)
    bbox = (100.0, 0.0, 101.0, 1.0)
    rng = np.random.default_rng(7)
    lon, lat = 100.5 + rng.normal(0, 0.12, 300), 0.5 + rng.normal(0, 0.12, 300)
    times = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 300, 300), "D")
    pd.DataFrame({"date": times.strftime("%Y-%m-%d"), "lon": lon, "lat": lat}).to_csv(
        tmp_path / "s.csv", index=False
    )
    cfg = config_from(
        {
            "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(bbox), "resolution": 6},
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
            "density": {
                "bandwidth_km": 10,
                "half_life_days": 365,
                "commodity_weights": {"x": 1, "y": 0},
            },
            "hotspots": {"uncertainty": {"n_resamples": 49}},
            "factors": {"plugins": ["test_mutants_scorestage_found:scorestage_half"]},
            "score": {
                "factors": {"seizure_density": {"weight": 1}, "scorestage_half": {"weight": 1}}
            },
        },
        tmp_path,
        **sections,
    )
    cells = region_to_cells(bbox, 6)
    half = np.arange(len(cells)) % 2 == 0
    table = pd.DataFrame(
        {
            S.CELL: cells,
            S.SEIZURE_DENSITY: kernel_density(
                (lon, lat), cells, bandwidth_km=10.0, kernel=cfg.density.kernel
            ),
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True,
            "scorestage_half": _every_other_values(len(cells)),
            "scorestage_half" + S.COVERED_SUFFIX: half,
        }
    )
    scores = score_cells(table, cfg.score.factors, covered=table)
    state = RunState(
        config=cfg,
        as_of=pd.Timestamp("2024-12-31", tz="UTC"),
        out=tmp_path / "out",
        staging=tmp_path,
        cache=StageCache(cache_root or tmp_path / "cache"),
        features=FeatureTable(table=table, info={S.SEIZURE_DENSITY: {"bandwidth_km": 10.0}}),
        # ``zero`` more seizures of commodity y (weight 0) near the others
        seizures=pd.DataFrame(
            {
                S.TIME: times.append(times[:zero]),
                S.LON: np.r_[lon, lon[:zero] + 0.01],
                S.LAT: np.r_[lat, lat[:zero]],
                S.COMMODITY: ["x"] * 300 + ["y"] * zero,
                S.QUANTITY: 1.0,
            }
        ),
        digests={"seizures": "the same seizures every night"},
    )
    return state, scores


def test_the_bootstrap_gives_the_density_all_the_weight_where_it_alone_covers_a_cell(tmp_path):
    """Mutant: the density's share of a cell's weight counted every factor's weight, covering
    or not.  Where the other factor does not cover a cell the risk is the density's points
    alone (share 1); at share 1/2 every resample's risk was half the published one, and the
    interval [risk_lower, risk_upper] missed the risk it is of in each such cell."""
    import numpy as np

    from pipeline import schema as S
    from pipeline.runner.stages import _score

    state, scores = _bootstrap_state(tmp_path)
    got = _score._build_uncertainty(state, scores, False).table
    got = got.set_index(S.CELL).reindex(scores[S.CELL])
    risk = scores[S.RISK].to_numpy()
    alone = ~scores["scorestage_half" + S.COVERED_SUFFIX].to_numpy() & (risk > 20)
    assert alone.sum() >= 10
    # the density's points are the whole risk there
    np.testing.assert_allclose(scores[S.SEIZURE_DENSITY + S.CONTRIB_SUFFIX][alone], risk[alone])
    lo, hi = got["risk_lower"].to_numpy()[alone], got["risk_upper"].to_numpy()[alone]
    assert ((lo <= risk[alone] + 1e-9) & (risk[alone] <= hi + 1e-9)).mean() >= 0.9
    # a cell the seizures cannot move keeps its interval exactly on its risk (README), not
    # rounded off it (a weighted risk is not rounded before the tables' 7 digits)
    fixed = (got["risk_lower"] == got["risk_upper"]).to_numpy()
    assert fixed.sum() >= 10
    assert (got["risk_lower"].to_numpy()[fixed] == risk[fixed]).all()
    # the share of the 49 resamples in the cell's class, to 4 decimals: k / 49
    k = got["risk_class_stability"].dropna().to_numpy() * 49
    assert (k < 48.5).any()
    np.testing.assert_allclose(k, np.round(k), atol=49 * 5e-5)


def _hotspot_state(tmp_path, cache_root, as_of: str, risk_seed: int, values: str, period: str):
    """A run's state as the hot-spot stage is handed it: 200 seizures over two years, the
    scores of 1-degree res-6 cells with a seeded risk, a cache at ``cache_root``."""
    import numpy as np
    import pandas as pd
    from conftest import config_from

    from pipeline import schema as S
    from pipeline.grid import region_to_cells
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState

    bbox = (100.0, 0.0, 101.0, 1.0)
    rng = np.random.default_rng(3)
    lon, lat = 100.5 + rng.normal(0, 0.15, 200), 0.5 + rng.normal(0, 0.15, 200)
    times = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 540, 200), "D")
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "s.csv").write_text("date,lon,lat\n2024-01-01,100.5,0.5\n")
    cfg = config_from(
        {
            "run": {"as_of": as_of, "out_dir": str(tmp_path / "out")},
            "area": {"bbox": list(bbox), "resolution": 6},
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
            "hotspots": {"values": values, "permutations": 0, "emerging": {"period": period}},
        },
        tmp_path,
    )
    cells = region_to_cells(bbox, 6)
    risk = np.random.default_rng(risk_seed).uniform(0, 100, len(cells))
    risk[::10] = np.nan  # cells with no observation: no risk
    return RunState(
        config=cfg,
        as_of=pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(1, "ns"),
        out=tmp_path / "out",
        staging=tmp_path,
        cache=StageCache(cache_root),
        seizures=pd.DataFrame({S.TIME: times, S.LON: lon, S.LAT: lat}),
        digests={"seizures": "the same seizures every night"},
        scores=pd.DataFrame({S.CELL: cells, S.RISK: risk}),
    )


@pytest.mark.parametrize(
    ("values", "first", "second"),
    [
        ("counts", ("2024-06-30", 1, "month"), ("2024-12-31", 1, "month")),
        ("risk", ("2024-12-31", 1, "month"), ("2024-12-31", 2, "month")),
        ("counts", ("2024-12-31", 1, "month"), ("2024-12-31", 1, "quarter")),
    ],
    ids=["counts-as_of-moved", "risk-risk-changed", "counts-period-changed"],
)
def test_the_hot_spots_of_a_night_are_those_of_a_cold_run(tmp_path, values, first, second):
    """Mutants: the hot-spot stage's cache key blind to ``as_of`` (the cube ends there: a
    later night served the months of the earlier one), to the emerging options, or, with
    ``values: risk``, to the risk."""
    import pandas as pd

    from pipeline.runner.stages import _score

    warm = tmp_path / "warm"
    night1 = _hotspot_state(tmp_path / "n1", warm, *first[:2], values, first[2])
    _score.hotspots(night1)
    night2 = _hotspot_state(tmp_path / "n2", warm, *second[:2], values, second[2])
    _score.hotspots(night2)
    cold = _hotspot_state(tmp_path / "n3", tmp_path / "cold", *second[:2], values, second[2])
    _score.hotspots(cold)
    assert night1.hotspots != cold.hotspots  # the two nights differ
    assert night2.hotspots == cold.hotspots
    pd.testing.assert_frame_equal(night2.scores, cold.scores)
    s, times = cold.scores, cold.seizures["time"]
    if values == "risk":  # a cell with no risk is no value of 0 among its neighbours'
        assert s.loc[s["risk"].isna(), "gi_z"].isna().all()
        assert s.loc[s["risk"].notna(), "gi_z"].notna().all()
    else:  # what the outlines are of: every seizure, oldest to newest
        span = f"{times.min():%Y-%m-%d} to {times.max():%Y-%m-%d} UTC"
        assert span in cold.hotspots["gi_star"]["values"]


@pytest.mark.parametrize(
    "sections",
    [{"hotspots": {"seed": 1}}, {"render": {"classes": "fixed"}}],
    ids=["hotspots.seed", "render.classes"],
)
def test_the_interval_of_a_night_is_that_of_a_cold_run(tmp_path, sections):
    """Mutants: the uncertainty stage's key blind to ``hotspots.seed`` (outside
    ``hotspots.uncertainty``: another seed served yesterday's resamples) or to
    ``render.classes`` (the class stability is that of the map's classes)."""
    import pandas as pd

    from pipeline.runner.stages import _score

    warm = tmp_path / "warm"
    night1, scores = _bootstrap_state(tmp_path / "n1", warm)
    first = _score._risk_uncertainty(night1, scores)
    night2, _ = _bootstrap_state(tmp_path / "n2", warm, **sections)
    cold, _ = _bootstrap_state(tmp_path / "n3", tmp_path / "cold", **sections)
    got, want = _score._risk_uncertainty(night2, scores), _score._risk_uncertainty(cold, scores)
    assert not first.table.equals(want.table)  # the option changes the interval
    pd.testing.assert_frame_equal(got.table, want.table)


def test_the_maps_layer_defaults_are_those_render_options_documents():
    """Mutants: a layer switched on or off by default against the docstring (the significance
    outlines on, the emerging fill, the panel, the heat and the clustered points off), the
    classes or the basemap scale changed."""
    from pipeline.render import RenderOptions

    o = RenderOptions()
    assert o.show_significance and not o.show_emerging and not o.show_panel
    assert not o.show_heat and not o.show_seizure_points
    assert (o.classes, o.basemap, o.tiles) == ("fixed", "50m", None)


def test_seizures_of_weight_0_change_no_interval(tmp_path):
    """Mutant: the seizures of weight 0 kept among those resampled: they change no risk, yet
    drawn among the N they thinned the others and moved every interval (README)."""
    import pandas as pd

    from pipeline.runner.stages import _score

    state, scores = _bootstrap_state(tmp_path / "a")
    more, _ = _bootstrap_state(tmp_path / "b", zero=60)
    assert len(more.seizures) == len(state.seizures) + 60
    got = _score._build_uncertainty(more, scores, False)
    pd.testing.assert_frame_equal(got.table, _score._build_uncertainty(state, scores, False).table)
    assert (got.summary["n_events"], got.summary["n_events_weight_0"]) == (300, 60)


def test_seizures_at_one_position_give_no_interval_and_say_why(tmp_path):
    """Mutant: seizures all at one position resampled: every resample holds the same map, and
    a zero-width interval with a class stability of 1 read as certainty (README)."""
    from pipeline import schema as S
    from pipeline.runner.stages import _score

    state, scores = _bootstrap_state(tmp_path)
    state.seizures = state.seizures.assign(**{S.LON: 100.5, S.LAT: 0.5})
    got = _score._build_uncertainty(state, scores, False)
    assert got.summary["method"] == "none" and "one position" in got.summary["reason"]
    assert got.table["risk_lower"].isna().all() and got.table["risk_class_stability"].isna().all()
