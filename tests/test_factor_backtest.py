"""A researcher's own factor in the fitted model and the back-test (found by hBD).

A plug-in that counts seizures as of ``as_of`` counts, at the back-test's origins, the seizures
of the test windows; the fitted model transforms the extra factors once, as its options say;
the back-test scores the fitted model on the horizon and history it forecasts for.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import seizures_per_cell, small_config
from pydantic import BaseModel

import pipeline
from pipeline import schema as S
from pipeline.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

#: (as_of, latest seizure seen) of every call of :func:`seizures_last_year`
SEEN: list[tuple[pd.Timestamp, pd.Timestamp]] = []
#: the values it returned, by as_of
VALUES: dict[pd.Timestamp, np.ndarray] = {}


@pipeline.factor(
    name="seizures_last_year",
    unit="seizures",
    description="Seizures in the cell in the 365 days before as_of.",
    needs=("seizures",),
)
def seizures_last_year(ctx):
    s = ctx.seizures
    s = s[(s[S.TIME] <= ctx.as_of) & (s[S.TIME] > ctx.as_of - pd.Timedelta(days=365))]
    SEEN.append((ctx.as_of, s[S.TIME].max()))
    VALUES[ctx.as_of] = seizures_per_cell(ctx, s)
    return VALUES[ctx.as_of]


def _plugin_config(small_demo, tmp_path, score, **sections):
    return small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_factor_backtest:seizures_last_year"]},
        score={
            "factors": {"seizure_density": {"weight": 1}, "seizures_last_year": {"weight": 1}},
            **score,
        },
        timeline={"months": 0},
        hotspots={"enabled": False},
        **sections,
    )


@pytest.mark.parametrize("model", ["weighted", "fitted"])
def test_a_seizure_factor_is_recomputed_at_each_back_test_origin(small_demo, tmp_path, model):
    SEEN.clear()
    cfg = _plugin_config(small_demo, tmp_path, {"model": model}, evaluate={"origins": 3})
    result = pipeline.run_pipeline(cfg)
    ev = json.loads((result.out_dir / "evaluation.json").read_text())
    origins = sorted(pd.Timestamp(o["origin"]) for o in ev["origins"])
    assert len(origins) == 3
    at_origins = {a: last for a, last in SEEN if a in origins}
    # each origin's value of the factor was computed there, from the seizures before it
    # (the values of as_of counted the test windows' seizures)
    assert sorted(at_origins) == origins
    assert all(last < a for a, last in at_origins.items())
    assert pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC") in {a for a, _ in SEEN}
    if model == "fitted":
        # and each origin's refit took it at its own training origins, before the origin
        before = {a for a, last in SEEN if a < origins[0] and last < a}
        assert len(before) >= 2


def test_the_published_fit_takes_a_seizure_factor_at_each_training_origin(small_demo, tmp_path):
    # its values at as_of count the seizures of the training labels (found by hBE)
    SEEN.clear()
    fitted = {"selection": "none"}
    cfg = _plugin_config(
        small_demo, tmp_path, {"model": "fitted", "fitted": fitted}, evaluate={"enabled": False}
    )
    result = pipeline.run_pipeline(cfg)
    report = json.loads((result.out_dir / "model_report.json").read_text())
    as_of = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
    wanted = {as_of + pd.Timedelta(days=s) for s in report["training_origins_days"]}
    assert len(wanted) >= 2
    seen = dict(SEEN)
    assert wanted <= set(seen)
    assert all(seen[a] < a for a in wanted)
    row = next(f for f in report["factors"] if f["name"] == "seizures_last_year")
    # honest, the count of last year's seizures in the cell is the model's own count_365d
    # (with as_of's values in every training row it was selected: RR 3.5 per SD, p 3e-106)
    assert row["selected"] is False
    why = next(d["reason"] for d in report["dropped"] if d["name"] == "seizures_last_year")
    assert why == "a linear combination of 'count_365d' on the training rows"
    # the map's values are as_of's: what the features table holds
    assert result.scores["seizures_last_year"].max() >= 2


def test_the_fitted_model_transforms_an_extra_factor_once_as_configured(small_demo, tmp_path):
    VALUES.clear()
    fitted = {"factor_transforms": {"seizures_last_year": "linear"}, "selection": "none"}
    cfg = _plugin_config(
        small_demo, tmp_path, {"model": "fitted", "fitted": fitted}, evaluate={"enabled": False}
    )
    result = pipeline.run_pipeline(cfg)
    report = json.loads((result.out_dir / "model_report.json").read_text())
    row = next(f for f in report["factors"] if f["name"] == "seizures_last_year")
    # each training row's value is its training origin's (as_of's counted the labels)
    as_of = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
    values = np.concatenate(
        [VALUES[as_of + pd.Timedelta(days=s)] for s in report["training_origins_days"]]
    )
    assert values.max() >= 2
    # 'linear': the model saw the counts themselves (it saw log(1 + counts) before)
    assert row["training_range"] == pytest.approx([values.min(), values.max()])


@pytest.mark.parametrize(
    ("evaluate", "fitted", "match"),
    [
        (
            {"horizon_days": 30},
            {},
            "evaluate.horizon_days 30 differs from score.fitted.horizon_days 91",
        ),
        (
            {"train_days": 365},
            {},
            "evaluate.train_days 365 is shorter than score.fitted.train_days 730",
        ),
    ],
)
def test_the_back_test_of_the_fitted_model_matches_its_horizon_and_history(
    small_demo, tmp_path, evaluate, fitted, match
):
    with pytest.raises(ConfigError, match=match):
        small_config(
            small_demo, tmp_path, score={"model": "fitted", "fitted": fitted}, evaluate=evaluate
        )
    # the weighted score publishes no counts: any horizon is its to choose
    small_config(small_demo, tmp_path, evaluate=evaluate)
    # so may a fitted model whose back-test is off
    small_config(
        small_demo, tmp_path, score={"model": "fitted"}, evaluate={**evaluate, "enabled": False}
    )
    # and one set alike on both sides
    small_config(
        small_demo,
        tmp_path,
        score={"model": "fitted", "fitted": {"horizon_days": 30}},
        evaluate={"horizon_days": 30, "train_days": 730},
    )


def test_a_factor_may_say_it_does_not_depend_on_as_of():
    @pipeline.factor(
        name="coast_km_probe",
        unit="km",
        description="A distance that no date changes.",
        time_dependent=False,
        register=False,
    )
    def coast(ctx):
        return ctx.cell_centres()[1]

    assert coast.time_dependent is False


@pipeline.factor(
    name="seizures_nearby_undeclared",
    unit="seizures",
    description="Seizures in the cell, read without declaring them.",
    needs=("ports",),
)
def seizures_nearby_undeclared(ctx):
    return seizures_per_cell(ctx, ctx.seizures)


def test_a_plug_in_reading_seizures_it_did_not_declare_is_told_to(small_demo, tmp_path):
    """Undeclared, a factor counting the seizures was taken as of as_of at every back-test
    and training origin (it counted the test windows' seizures) without a word: now the
    read ends the run in one line naming the fix."""
    from pipeline.cli import main

    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_factor_backtest:seizures_nearby_undeclared"]},
        inputs={"ports": str(small_demo / "inputs" / "ports.csv")},
        score={
            "factors": {
                "seizure_density": {"weight": 1},
                "seizures_nearby_undeclared": {"weight": 1},
            }
        },
        timeline={"months": 0},
        hotspots={"enabled": False},
        evaluate={"enabled": False},
    )
    with pytest.raises(
        ConfigError, match=r"reads ctx.seizures but does not declare it: add needs=\('seizures',\)"
    ):
        pipeline.run_pipeline(cfg)
    assert main(["run", str(cfg.source), "-q"]) == 2


def test_the_fitted_model_recomputes_a_seizure_factor_of_weight_zero(small_demo, tmp_path):
    # the fitted model takes every factor score.factors names as a candidate, whatever its
    # weight: one of weight 0 was taken with as_of's values in every training row (they
    # count the training labels) and selected
    SEEN.clear()
    factors = {"seizure_density": {"weight": 1}, "seizures_last_year": {"weight": 0}}
    score = {"model": "fitted", "fitted": {"selection": "none"}, "factors": factors}
    cfg = _plugin_config(small_demo, tmp_path, score, evaluate={"enabled": False})
    result = pipeline.run_pipeline(cfg)
    report = json.loads((result.out_dir / "model_report.json").read_text())
    assert any(f["name"] == "seizures_last_year" for f in report["factors"])
    as_of = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
    wanted = {as_of + pd.Timedelta(days=s) for s in report["training_origins_days"]}
    seen = dict(SEEN)
    assert wanted <= set(seen)
    assert all(seen[a] < a for a in wanted)


@pipeline.factor(
    name="seizures_near_tracks",
    unit="seizures",
    description="Seizures in the last 365 days in the cells a vessel was seen in.",
    needs=("seizures", "tracks"),
)
def seizures_near_tracks(ctx):
    s = ctx.seizures
    s = s[(s[S.TIME] <= ctx.as_of) & (s[S.TIME] > ctx.as_of - pd.Timedelta(days=365))]
    seen = set(
        pipeline.points_to_cells(
            ctx.pings[S.LON].to_numpy(), ctx.pings[S.LAT].to_numpy(), ctx.resolution
        ).tolist()
    )
    cells = pipeline.points_to_cells(s[S.LON].to_numpy(), s[S.LAT].to_numpy(), ctx.resolution)
    counts = pd.Series(cells).value_counts().reindex(ctx.cells, fill_value=0)
    return counts.where(counts.index.isin(seen), 0).to_numpy(dtype="float64")


def test_spilled_pings_are_read_whole_once_for_a_factor_recomputed_per_origin(
    small_demo, tmp_path, monkeypatch
):
    # a plug-in that reads the seizures and the tracks is recomputed at every training origin
    # of the fitted model: each call read the spilled pings (a PingStore) whole again
    from pipeline.ingest.stream import PingStore

    reads = []
    to_frame = PingStore.to_frame

    def counted(self):
        reads.append(1)
        return to_frame(self)

    monkeypatch.setattr(PingStore, "to_frame", counted)
    factors = {"seizure_density": {"weight": 1}, "seizures_near_tracks": {"weight": 1}}
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_factor_backtest:seizures_near_tracks"]},
        score={"model": "fitted", "fitted": {"selection": "none"}, "factors": factors},
        ingest={"chunk_rows": 500},
        timeline={"months": 0},
        hotspots={"enabled": False},
        evaluate={"enabled": False},
    )
    result = pipeline.run_pipeline(cfg)
    report = json.loads((result.out_dir / "model_report.json").read_text())
    assert len(report["training_origins_days"]) >= 2
    assert len(reads) == 1


class _HistoryOptions(BaseModel):
    min_history_days: float = 0.0


@pipeline.factor(
    name="seizures_last_year_after",
    unit="seizures",
    description="Seizures in the cell in the 365 days before as_of, given enough history.",
    needs=("seizures",),
    options=_HistoryOptions,
)
def seizures_last_year_after(ctx):
    s = ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of]
    if not len(s) or (ctx.as_of - s[S.TIME].min()).days < ctx.options.min_history_days:
        return np.full(len(ctx.cells), np.nan)  # too little history to say
    s = s[s[S.TIME] > ctx.as_of - pd.Timedelta(days=365)]
    cells = pipeline.points_to_cells(s[S.LON].to_numpy(), s[S.LAT].to_numpy(), ctx.resolution)
    return pd.Series(cells).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")


def test_a_back_test_cached_before_a_plugin_option_changed_is_not_reused(small_demo, tmp_path):
    # the plug-in is recomputed at each origin: an option that changes its values there alone
    # (not at as_of, which the features table holds) changes the back-test all the same
    seizures = pd.read_csv(small_demo / "inputs" / "seizures.csv", parse_dates=["date"])
    history = (pd.Timestamp("2026-06-30") - seizures["date"].min()).days

    def config(out, days):
        factors = {"seizure_density": {"weight": 1}, "seizures_last_year_after": {"weight": 1}}
        return small_config(
            small_demo,
            out,
            factors={
                "plugins": ["test_factor_backtest:seizures_last_year_after"],
                "options": {"seizures_last_year_after": {"min_history_days": days}},
            },
            score={"factors": factors},
            evaluate={"origins": 3},
            timeline={"months": 0},
            hotspots={"enabled": False},
        )

    def evaluation(result):
        return json.loads((result.out_dir / "evaluation.json").read_text())["origins"]

    pipeline.run_pipeline(config(tmp_path / "warm", 0))
    # as_of has the history asked for; the back-test's origins (from 91 days before) have not
    warm = pipeline.run_pipeline(config(tmp_path / "warm", history - 60))
    cold = pipeline.run_pipeline(config(tmp_path / "cold", history - 60))
    assert warm.scores.equals(cold.scores)
    assert evaluation(warm) == evaluation(cold)
