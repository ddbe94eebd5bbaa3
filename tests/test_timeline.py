"""The truthful timeline: month m sees only data up to m, one scale, timeline.parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pipeline
from pipeline import schema as S
from pipeline.config import DensityConfig
from pipeline.errors import ConfigError
from pipeline.grid import grid_disk_cells, points_to_cells
from pipeline.hotspots import global_breaks
from pipeline.score import FactorWeight
from pipeline.timeline import (
    TimelineFactors,
    month_periods,
    on_risk_grid,
    score_timeline,
    timeline_breaks,
    timeline_factors,
)

AS_OF = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
DENSITY = DensityConfig(bandwidth_km=60.0, kernel="quartic", half_life_days=None)
OPTS = {
    "normalisation": "cap",
    "cap_quantile": 0.99,
    "class_breaks": [0, 20, 40, 60, 80, 100],
    "class_labels": ["very low", "low", "medium", "high", "very high"],
}


def area_cells() -> np.ndarray:
    return np.sort(grid_disk_cells(points_to_cells([-60.0], [15.0], 4), 6))


def seizures(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 180, n)
    return pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"),
            S.LON: -60.0 + rng.normal(0, 1.0, n),
            S.LAT: 15.0 + rng.normal(0, 1.0, n),
            S.COMMODITY: "cocaine",
        }
    )


def test_month_periods_end_with_the_month_of_as_of():
    assert [str(p) for p in month_periods(AS_OF, 3)] == ["2026-04", "2026-05", "2026-06"]
    mid = pd.Timestamp("2026-11-30 12:00", tz="UTC")
    assert str(month_periods(mid, 1)[0]) == "2026-11"


def test_a_seizure_after_month_m_does_not_change_month_m():
    cells = area_cells()
    ev = seizures()
    base = timeline_factors(ev, cells, AS_OF, 4, DENSITY, None)
    late = pd.DataFrame(
        {
            S.TIME: [pd.Timestamp("2026-05-10", tz="UTC")] * 30,
            S.LON: [-58.0] * 30,
            S.LAT: [16.0] * 30,
            S.COMMODITY: "cocaine",
        }
    )
    more = timeline_factors(
        pd.concat([ev, late], ignore_index=True), cells, AS_OF, 4, DENSITY, None
    )
    assert base is not None and more is not None
    assert base.periods[S.PERIOD].tolist() == ["2026-03", "2026-04", "2026-05", "2026-06"]

    def month(tf: TimelineFactors, period: str) -> np.ndarray:
        t = tf.table[tf.table[S.PERIOD] == period]
        return t.set_index(S.CELL)[S.SEIZURE_DENSITY].reindex(cells).to_numpy()

    for p in ("2026-03", "2026-04"):  # before the late seizures: identical
        np.testing.assert_array_equal(month(base, p), month(more, p))
    for p in ("2026-05", "2026-06"):  # from their month on: they count
        assert (month(more, p) > month(base, p) + 1e-12).any()
    # and each month's density is that of the seizures up to its end, nothing else
    from pipeline.builtin_factors import density_on_cells

    end = pd.Period("2026-04", "M").end_time.tz_localize("UTC")
    want, _ = density_on_cells(ev[ev[S.TIME] <= end], cells, end, DENSITY, None)
    np.testing.assert_allclose(month(base, "2026-04"), want, rtol=1e-12)


def _features(cells: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            S.CELL: cells,
            S.SEIZURE_DENSITY: rng.random(cells.size),
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True,
            S.VESSEL_HOURS: rng.random(cells.size) * 10,
            S.VESSEL_HOURS + S.COVERED_SUFFIX: True,
            "nightlights_mean": rng.random(cells.size),
            "nightlights_mean" + S.COVERED_SUFFIX: True,
        }
    )


def _months(cells: np.ndarray, densities: dict[str, np.ndarray], history: dict[str, str]):
    table = pd.concat(
        [
            pd.DataFrame({S.CELL: cells, S.PERIOD: p, S.SEIZURE_DENSITY: d})
            for p, d in densities.items()
        ],
        ignore_index=True,
    )
    periods = pd.DataFrame(
        {S.PERIOD: list(densities), "cutoff": "", "history": [history[p] for p in densities]}
    )
    return TimelineFactors(table, periods)


def test_one_scale_a_doubled_density_is_not_rescaled_away():
    cells = area_cells()
    base = np.linspace(0.0, 1.0, cells.size)
    tf = _months(
        cells,
        {"2026-01": base, "2026-02": 2 * base},
        {"2026-01": S.SEIZURE_DENSITY, "2026-02": S.SEIZURE_DENSITY},
    )
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}
    tl = score_timeline(_features(cells), tf, weights, **OPTS)
    assert tl is not None
    jan = tl[tl[S.PERIOD] == "2026-01"].set_index(S.CELL)[S.RISK]
    feb = tl[tl[S.PERIOD] == "2026-02"].set_index(S.CELL)[S.RISK]
    # one normalisation over both months: below the cap, February is twice January
    # (rescaling each month on its own would make them equal)
    low = (base > 0) & (2 * base < 0.9 * 2 * base.max())
    np.testing.assert_allclose(feb[low], 2 * jan[low], rtol=1e-3, atol=0.01)
    assert feb.mean() > 1.5 * jan.mean()
    # one set of breaks: the same risk has the same class in every month
    assert tl.attrs["breaks"] == OPTS["class_breaks"]
    assert (tl.groupby(S.RISK)["class"].nunique() == 1).all()
    expected = np.searchsorted(OPTS["class_breaks"][1:-1], tl[S.RISK], side="right")
    np.testing.assert_array_equal(tl["class"], expected)
    labels = np.asarray(OPTS["class_labels"], dtype=object)[expected]
    assert tl[S.RISK_CLASS].tolist() == labels.tolist()


@pytest.mark.parametrize("scale", ["quantile", "equal", "natural"])
def test_pooled_scales_break_all_months_together(scale):
    from pipeline.classes import risk_class_breaks

    cells = area_cells()
    base = np.linspace(0.0, 1.0, cells.size)
    tf = _months(
        cells,
        {"2026-01": base, "2026-02": 3 * base},
        {"2026-01": S.SEIZURE_DENSITY, "2026-02": S.SEIZURE_DENSITY},
    )
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}
    tl = score_timeline(_features(cells), tf, weights, scale=scale, **OPTS)
    assert tl is not None
    pooled = tl[S.RISK].to_numpy()  # both months together
    if scale == "natural":
        raw = risk_class_breaks(pooled, "natural", 5).tolist()
    else:
        raw = global_breaks(pooled, 5, scale)
    want = on_risk_grid(raw)  # on the risk's 0.01 grid, as the slider states them
    assert tl.attrs["breaks"] == want and tl.attrs["scale"] == scale
    n = len(want) - 1
    assert len(tl.attrs["labels"]) == n and tl.attrs["labels"][-1] == "very high"
    np.testing.assert_array_equal(
        tl["class"], np.searchsorted(np.asarray(want[1:-1]), pooled, side="right")
    )
    # moving the breaks to the grid changed no class
    np.testing.assert_array_equal(
        tl["class"], np.searchsorted(np.asarray(raw[1:-1]), pooled, side="right")
    )
    # the later, denser month sits in the upper classes of the pooled scale
    by_month = tl.groupby(S.PERIOD)["class"].mean()
    assert by_month["2026-02"] > by_month["2026-01"]


def test_present_data_names_the_factors_taken_from_today():
    cells = area_cells()
    f = _features(cells)
    base = np.linspace(0.0, 1.0, cells.size)
    tf = _months(
        cells,
        {"2026-01": base, "2026-02": base},
        {"2026-01": S.SEIZURE_DENSITY, "2026-02": f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}"},
    )
    # February has its own vessel-hours (zero everywhere): January keeps today's
    tf.table[S.VESSEL_HOURS] = np.where(tf.table[S.PERIOD] == "2026-02", 0.0, np.nan)
    tf.table[S.VESSEL_HOURS + S.COVERED_SUFFIX] = True
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
        S.VESSEL_HOURS: FactorWeight(weight=1.0),
        "nightlights_mean": FactorWeight(weight=1.0),
    }
    tl = score_timeline(f, tf, weights, **OPTS)
    assert tl is not None
    first = tl.groupby(S.PERIOD)[["present_data", "present_data_factors"]].first()
    assert first.loc["2026-01"].tolist() == [True, "vessel_hours,nightlights_mean"]
    assert first.loc["2026-02"].tolist() == [True, "nightlights_mean"]
    jan = tl[tl[S.PERIOD] == "2026-01"].set_index(S.CELL)[S.RISK]
    feb = tl[tl[S.PERIOD] == "2026-02"].set_index(S.CELL)[S.RISK]
    # February's own vessel-hours (none) replaced today's
    assert (feb <= jan).all() and (feb < jan).mean() > 0.9
    # without any weight on present factors, nothing is present data
    only = score_timeline(f, tf, {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}, **OPTS)
    assert only is not None and not only["present_data"].any()


def test_bad_scale_is_a_config_error():
    with pytest.raises(ConfigError, match="'weekly'"):
        timeline_breaks([1.0, 2.0], "weekly", [0, 50, 100], 2)


def test_run_exports_the_timeline_and_the_uncertainty(small_demo, tmp_path):
    from tests.conftest import small_config

    cfg = small_config(
        small_demo,
        tmp_path,
        hotspots={"uncertainty": {"n_resamples": 50}},
        evaluate={"enabled": False},
    )
    res = pipeline.run_pipeline(cfg)
    tl = pd.read_parquet(res.out_dir / "timeline.parquet")
    assert list(tl.columns) == [
        "cell",
        "hex_id",
        "period",
        "risk",
        "class",
        "risk_class",
        "present_data",
        "present_data_factors",
        "missing_factors",
    ]
    assert sorted(tl["period"].unique()) == ["2026-04", "2026-05", "2026-06"]
    assert len(tl) == 3 * len(res.scores)
    per = tl.groupby("period")["present_data_factors"].first()
    # rasters have no history; the tracks (the last 4 days) only reach June, whose end sees
    # them all: April and May have no vessel-hours (missing, not today's), June its own
    assert per["2026-04"] == per["2026-05"] == per["2026-06"] == "nightlights_mean"
    missing = tl.groupby("period")["missing_factors"].first()
    assert missing.tolist() == ["vessel_hours", "vessel_hours", ""]
    said = [n for n in res.manifest["notes"] if n.startswith("timeline: 'vessel_hours'")]
    assert len(said) == 1 and "cover no cell in 2026-04, 2026-05, from" in said[0], said
    page = (res.out_dir / "risk_map.html").read_text("utf-8")
    assert '"missing":["vessel hours","vessel hours",""]' in page  # the slider's note, the card
    assert tl["present_data"].all()
    csv = pd.read_csv(res.out_dir / "scores.csv")
    assert {"risk_lower", "risk_upper", "risk_class_stability"} <= set(csv.columns)
    ok = csv["risk"].notna()
    assert (csv.loc[ok, "risk_lower"] <= csv.loc[ok, "risk_upper"] + 1e-9).all()
    assert csv.loc[ok, "risk_class_stability"].between(0, 1).all()
    assert (csv.loc[ok, "risk_upper"] > csv.loc[ok, "risk_lower"]).any()
    unc = res.manifest["hotspots"]["uncertainty"]
    assert unc["n_resamples"] == 50 and unc["method"].startswith("bootstrap of the seizures")
    assert unc["basis"] == "seizure resamples"  # what the card says the interval is over
    # the stability is that of the map's classes (render.classes: quantiles of the run)
    from pipeline.runner.stages import published_classes

    breaks, labels = published_classes(cfg, res.scores)
    assert res.manifest["counts"]["risk_class_breaks"]["breaks"] == pytest.approx(breaks)
    assert res.manifest["counts"]["risk_class_breaks"]["labels"] == labels
    # the months are classed on one scale of the same method, over all months together
    assert tl["class"].max() >= 1 and (tl.groupby("risk")["class"].nunique() == 1).all()


def test_a_fitted_run_draws_its_interval_from_the_coefficients(small_demo, tmp_path):
    from tests.conftest import small_config

    cfg = small_config(
        small_demo,
        tmp_path,
        score={"model": "fitted"},
        hotspots={"uncertainty": {"n_resamples": 40}},
        evaluate={"enabled": False},
    )
    res = pipeline.run_pipeline(cfg)
    s = res.scores
    unc = res.manifest["hotspots"]["uncertainty"]
    assert unc["method"].startswith("draws of the fitted model's coefficients")
    # the card names it: an interval over coefficient draws, the seizure history held fixed
    assert unc["basis"] == "coefficient draws"
    assert s["risk_lower"].notna().all() and (s["risk_lower"] <= s["risk_upper"]).all()
    assert ((s["risk_lower"] < s["risk"]) | (s["risk_upper"] > s["risk"])).any()
    assert res.manifest["stages"]["uncertainty"]["cached"] is False


def test_pooled_scoring_is_the_score_of_all_months_stacked():
    from pipeline.score import score_cells

    cells = area_cells()
    f = _features(cells)
    f.loc[f.index % 7 == 0, S.VESSEL_HOURS + S.COVERED_SUFFIX] = False  # no AIS there
    rng = np.random.default_rng(9)
    dens = {p: rng.gamma(1.0, 1.0, cells.size) for p in ("2026-01", "2026-02", "2026-03")}
    tf = _months(cells, dens, dict.fromkeys(dens, S.SEIZURE_DENSITY))
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=2.0, transform="log"),
        S.VESSEL_HOURS: FactorWeight(weight=1.0),
    }
    tl = score_timeline(f, tf, weights, **OPTS)
    assert tl is not None
    stacked = pd.concat([f.assign(seizure_density=d) for d in dens.values()], ignore_index=True)
    want = score_cells(stacked, weights, covered=stacked, **OPTS)  # sorted by cell, stable
    order = np.argsort(np.tile(cells, 3), kind="stable")
    period = np.repeat(list(dens), cells.size)[order]
    want = pd.DataFrame({"cell": want["cell"], "period": period, "risk": want["risk"]})
    got = tl.set_index(["period", "cell"])["risk"]
    np.testing.assert_allclose(
        got.loc[list(zip(want.period, want.cell, strict=True))].to_numpy(),
        np.round(want["risk"].to_numpy(), 2),
    )


def test_a_month_the_tracks_reach_back_to_uses_only_its_own_positions(small_demo, tmp_path):
    """Tracks from late April: each month is recomputed from the positions up to its end."""
    from tests.conftest import small_config

    ais = pd.read_csv(small_demo / "inputs" / "ais.csv")
    t = pd.to_datetime(ais["timestamp"], utc=True)
    # the same voyages a month and two months earlier, by other vessels; a first fix on
    # 1 May 00:10 makes the record reach back to the start of May, not of April
    may = ais.assign(mmsi=ais["mmsi"] + 1, timestamp=(t - pd.Timedelta(days=30)))
    april = ais.assign(mmsi=ais["mmsi"] + 2, timestamp=(t - pd.Timedelta(days=61)))
    first = may.iloc[[0]].assign(timestamp=pd.Timestamp("2026-05-01 00:10", tz="UTC"))
    tracks = pd.concat([ais.assign(timestamp=t), may, april, first], ignore_index=True)
    assert tracks["timestamp"].min() > pd.Timestamp("2026-04-25", tz="UTC")
    tracks["timestamp"] = tracks["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "ais_long.csv"
    tracks.to_csv(path, index=False)
    cfg = small_config(
        small_demo,
        tmp_path,
        hotspots={"enabled": False},
        evaluate={"enabled": False},
        score={"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
    )
    cfg = cfg.model_copy(
        update={
            "inputs": cfg.inputs.model_copy(
                update={"tracks": [cfg.inputs.tracks[0].model_copy(update={"path": path})]}
            )
        }
    )
    res = pipeline.run_pipeline(cfg)
    tl = pd.read_parquet(res.out_dir / "timeline.parquet")
    per = tl.groupby("period", observed=True)["present_data_factors"].first()
    # the record starts after 1 April: April too is its positions' (up to 30 April), not today's
    assert per["2026-04"] == "" and per["2026-05"] == "" and per["2026-06"] == ""
    assert not tl["present_data"].any()
    assert set(tl["missing_factors"].astype(str)) == {""}


def test_timeline_factors_take_the_months_own_tracks_or_none():
    cells = area_cells()
    calls = []

    def tracks(cutoff, start):
        calls.append((cutoff, start))
        if start < pd.Timestamp("2026-05-01", tz="UTC"):
            return None  # no record that far back
        hours = np.full(cells.size, float(cutoff.month))
        return pd.DataFrame(
            {S.CELL: cells, S.VESSEL_HOURS: hours, S.VESSEL_HOURS + S.COVERED_SUFFIX: True}
        )

    tf = timeline_factors(seizures(), cells, AS_OF, 3, DENSITY, None, tracks=tracks)
    assert tf is not None
    assert [str(s.date()) for _, s in calls] == ["2026-04-01", "2026-05-01", "2026-06-01"]
    assert all(c <= AS_OF for c, _ in calls)
    assert tf.periods["history"].tolist() == [
        "seizure_density",
        "seizure_density,vessel_hours",
        "seizure_density,vessel_hours",
    ]
    by = tf.table.groupby(S.PERIOD)[S.VESSEL_HOURS]
    assert by.apply(lambda v: v.isna().all())["2026-04"]
    assert (by.max()[["2026-05", "2026-06"]] == [5.0, 6.0]).all()


def test_months_before_the_first_record_and_cells_unobserved_today_are_no_data():
    """Found by a sweep: months before the first seizure were published as risk 0 ('very
    low'), and cells shown as 'no data' on today's map were classed in every month."""
    cells = area_cells()
    ev = seizures()  # from 2026-01-01 on
    tf = timeline_factors(ev, cells, AS_OF, 9, DENSITY, None)  # 2025-10 .. 2026-06
    assert tf is not None
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}
    features = _features(cells).iloc[::-1].reset_index(drop=True)  # not in cell order
    observed = np.ones(cells.size, dtype=bool)
    observed[:5] = False  # rows of the last five cells (features are reversed)
    tl = score_timeline(features, tf, weights, observed=observed, **OPTS)
    assert tl is not None
    before = tl[S.PERIOD].astype(str) < "2026-01"
    assert before.sum() == 3 * cells.size
    assert tl.loc[before, S.RISK].isna().all()
    assert (tl.loc[before, S.RISK_CLASS] == "no data").all()
    # and the months name their density missing (not 0), the later ones nothing
    assert (tl.loc[before, "missing_factors"] == S.SEIZURE_DENSITY).all()
    assert (tl.loc[~before, "missing_factors"] == "").all()
    after = tl[~before]
    unseen = np.isin(after[S.CELL], features[S.CELL].to_numpy()[:5])
    assert after.loc[unseen, S.RISK].isna().all()
    assert (after.loc[unseen, S.RISK_CLASS] == "no data").all()
    assert after.loc[~unseen, S.RISK].notna().all()


def test_fixed_breaks_closer_than_the_timeline_s_precision_are_named():
    # the timeline keeps its risk to 0.01: breaks 20.001 and 20.004 class the same values,
    # which ended in "need 5 class labels for the breaks ..." about breaks the user never gave
    cells = area_cells()
    base = np.linspace(0.0, 1.0, cells.size)
    tf = _months(cells, {"2026-01": base}, {"2026-01": S.SEIZURE_DENSITY})
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}
    opts = {**OPTS, "class_breaks": [0, 20.001, 20.004, 60, 80, 100]}
    with pytest.raises(ConfigError, match=r"less than 0.01 apart.*space the breaks"):
        score_timeline(_features(cells), tf, weights, **opts)


def test_a_run_names_the_timeline_months_before_the_first_seizure(small_demo, tmp_path):
    # April has no seizure on record by its end: its density is not covered, and the
    # manifest says so (it said nothing)
    from tests.conftest import small_config_with_seizures

    seizures = pd.read_csv(small_demo / "inputs" / "seizures.csv")
    late = seizures[pd.to_datetime(seizures.iloc[:, 0], errors="coerce") >= "2026-05-01"]
    assert 20 < len(late) < len(seizures)
    cfg = small_config_with_seizures(small_demo, tmp_path, late)
    res = pipeline.run_pipeline(cfg)
    notes = [n for n in res.manifest["notes"] if n.startswith("timeline:")]
    assert notes == [
        "timeline: no seizure is on record by the end of 2026-04: their seizure density is "
        "not covered (no data, not a density of zero) and their risk on the slider comes from "
        "the other factors alone",
        # and the small demo's tracks (the last days of June) give April and May no transit
        "timeline: 'vessel_hours' cover no cell in 2026-04, 2026-05, from the positions timed "
        "up to each month's end; the first timed position is of 2026-06-27 00:02 UTC: missing "
        "in every cell those months (not 0), named in missing_factors; their risk on the "
        "slider weighs the other factors",
    ]
