"""The fitted count model on synthetic processes of known structure."""

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells
from pipeline.model import FittedModel, FittedOptions, build_lagged_features

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
HORIZON = 91.0
TRAIN = 730.0


@pytest.fixture(scope="module")
def cells():
    return region_to_cells((0.0, 0.0, 4.0, 4.0), 5)  # ~780 cells of ~250 km²


def _events_from_rates(rng, cells, rate_per_horizon, days=TRAIN, jitter_deg=0.01):
    """Homogeneous-in-time Poisson events in each cell over the ``days`` before ORIGIN."""
    n = rng.poisson(rate_per_horizon * days / HORIZON)
    idx = np.repeat(np.arange(cells.size), n)
    lat, lon = cells_to_latlng(cells)
    t = ORIGIN - pd.to_timedelta(rng.uniform(0, days, idx.size), unit="D")
    return pd.DataFrame(
        {
            "time": t,
            "lon": lon[idx] + rng.normal(0, jitter_deg, idx.size),
            "lat": lat[idx] + rng.normal(0, jitter_deg, idx.size),
        }
    )


FACTORS_ONLY = dict(
    count_windows_days=(), bandwidths_km=(), recency=False, stride_days=HORIZON, family="poisson"
)


def test_log_linear_intensity_is_recovered_within_the_reported_intervals(cells):
    rng = np.random.default_rng(11)
    x1 = rng.normal(0, 1, cells.size)
    x2 = rng.uniform(-1, 1, cells.size)
    noise = rng.normal(0, 1, cells.size)
    beta1, beta2 = 0.7, -0.5
    area = cell_area_km2(cells)
    mu = 0.4 * area / area.mean() * np.exp(beta1 * x1 + beta2 * x2)
    ev = _events_from_rates(rng, cells, mu)
    factors = pd.DataFrame({"cell": cells, "x1": x1, "x2": x2, "noise": noise})
    opts = FittedOptions(**FACTORS_ONLY, min_history_days=HORIZON)
    m = FittedModel(opts).fit(ev, cells, ORIGIN, factors)
    rep = m.report()
    json.dumps(rep, allow_nan=False)
    assert rep["model"] == "poisson" and rep["fallback"] is None
    by = {f["name"]: f for f in rep["factors"]}
    for name, beta in (("x1", beta1), ("x2", beta2)):
        lo, hi = by[name]["rr_per_unit_ci95"]
        assert lo < np.exp(beta) < hi, (name, lo, hi)
        assert by[name]["p_value"] < 1e-6
    # A factor with no effect is not selected (BIC), and the report says why.
    assert by["noise"]["selected"] is False
    assert any(d["name"] == "noise" and "BIC" in d["reason"] for d in rep["dropped"])
    # The forecast is the true intensity's scale: expected total within 10 %.
    assert m.predict()["expected"].sum() == pytest.approx(mu.sum(), rel=0.1)


def test_negative_binomial_is_chosen_for_overdispersed_counts(cells):
    rng = np.random.default_rng(5)
    x1 = rng.normal(0, 1, cells.size)
    area = cell_area_km2(cells)
    # Gamma-mixed Poisson with a cell-and-period frailty: NB2 with alpha = 1.
    base = 0.5 * area / area.mean() * np.exp(0.5 * x1)
    parts = []
    for k in range(8):
        frail = rng.gamma(1.0, 1.0, cells.size)
        parts.append(
            _events_from_rates(rng, cells, base * frail, days=HORIZON).assign(
                time=lambda d, k=k: d["time"] - pd.Timedelta(days=HORIZON * k)
            )
        )
    ev = pd.concat(parts, ignore_index=True)
    opts = FittedOptions(**{**FACTORS_ONLY, "family": "auto"}, min_history_days=HORIZON)
    rep = FittedModel(opts).fit(ev, cells, ORIGIN, pd.DataFrame({"cell": cells, "x1": x1})).report()
    assert rep["model"] == "negative_binomial", rep["why"]
    assert 0.6 < rep["alpha"] < 1.6
    assert "BIC" in rep["why"]
    x = next(f for f in rep["factors"] if f["name"] == "x1")
    lo, hi = x["rr_per_unit_ci95"]
    assert lo < np.exp(0.5) < hi


def test_a_repeat_location_process_makes_the_model_lean_on_prior_counts(cells):
    from pipeline.grid import grid_disk_cells

    rng = np.random.default_rng(7)
    # Isolated hot cells (no two neighbours) that keep producing events; nothing else does.
    hot: list[int] = []
    taken: set[int] = set()
    for i in rng.permutation(cells.size):
        if len(hot) == 40:
            break
        ring = set(grid_disk_cells(cells[[i]], 1).tolist())
        if not ring & taken:
            hot.append(int(i))
            taken |= ring
    hot_idx = np.array(hot)
    rate = np.zeros(cells.size)
    rate[hot_idx] = rng.uniform(0.5, 3.0, hot_idx.size)
    ev = _events_from_rates(rng, cells, rate)
    m = FittedModel().fit(ev, cells, ORIGIN)
    rep = m.report()
    selected = {f["name"] for f in rep["factors"] if f["selected"]}
    assert "count_all" in selected, rep["factors"]
    pred = m.predict()["expected"].to_numpy()
    top = np.argsort(-pred)[: hot_idx.size]
    assert np.isin(top, hot_idx).mean() > 0.9
    # Risk stays in the hot cells instead of spilling onto their neighbours, as smoothing would.
    ring = np.setdiff1d(grid_disk_cells(cells[hot_idx], 1), cells[hot_idx])
    ring_idx = np.flatnonzero(np.isin(cells, ring))
    assert pred[hot_idx].mean() > 20 * pred[ring_idx].mean()
    from pipeline.model import smoothed_counts

    kde = smoothed_counts(ev["lon"], ev["lat"], cells, 25.0)
    assert kde[hot_idx].mean() < 10 * kde[ring_idx].mean()  # the smoother does spill


def test_explain_shares_multiply_to_the_relative_risk(cells):
    rng = np.random.default_rng(3)
    lat, lon = cells_to_latlng(cells)
    rate = 0.05 + 2.0 * np.exp(-((lon - 2) ** 2 + (lat - 2) ** 2) / 0.5)
    ev = _events_from_rates(rng, cells, rate, jitter_deg=0.05)
    m = FittedModel().fit(ev, cells, ORIGIN)
    sh = m.shares()
    factor_cols = [c for c in sh.columns if c not in ("cell", "relative_risk", "area")]
    assert factor_cols
    prod = sh[factor_cols].prod(axis=1) * sh["area"]
    np.testing.assert_allclose(prod, sh["relative_risk"], rtol=1e-9)
    i = int(np.argmax(m.predict()["expected"]))
    ex = m.explain(cells[i])
    assert ex["expected"] == pytest.approx(m.predict()["expected"].iloc[i])
    assert np.prod([f["share"] for f in ex["factors"]]) * ex["area_share"] == pytest.approx(
        ex["relative_risk"]
    )
    assert ex["relative_risk"] > 1 and ex["times_mean"] > 1
    json.dumps(ex, allow_nan=False)
    # Probabilities follow the chosen family and lie in [0, 1).
    p = m.predict()
    assert ((p["p_any"] >= 0) & (p["p_any"] < 1)).all()
    assert (p["p_any"] <= -np.expm1(-p["expected"]) + 1e-12).all()
    with pytest.raises(InputError, match="not one of the model's cells"):
        m.explain(region_to_cells((50, 50, 50.2, 50.2), 5)[0])


def test_missing_factor_values_are_missing_not_zero(cells):
    rng = np.random.default_rng(4)
    v = rng.uniform(1, 10, cells.size)
    v[: cells.size // 3] = np.nan
    ev = _events_from_rates(rng, cells, np.full(cells.size, 0.2))
    f = build_lagged_features(
        ev, cells, ORIGIN, FittedOptions(), pd.DataFrame({"cell": cells, "v": v})
    )
    j, k = f.names.index("v"), f.names.index("v__missing")
    logv = np.log1p(v)
    np.testing.assert_allclose(f.x_pred[: cells.size // 3, j], np.nanmean(logv))
    assert (f.x_pred[: cells.size // 3, k] == 1).all() and (
        f.x_pred[cells.size // 3 :, k] == 0
    ).all()
    np.testing.assert_allclose(f.x_pred[cells.size // 3 :, j], logv[cells.size // 3 :])
    m = FittedModel().fit(ev, cells, ORIGIN, pd.DataFrame({"cell": cells, "v": v}))
    assert np.isfinite(m.predict()["expected"]).all()


def test_features_use_only_the_past(cells):
    rng = np.random.default_rng(9)
    ev = _events_from_rates(rng, cells, np.full(cells.size, 0.3))
    later = ev.assign(time=ev["time"] + pd.Timedelta(days=800))  # all after the origin
    a = build_lagged_features(ev, cells, ORIGIN, FittedOptions())
    b = build_lagged_features(pd.concat([ev, later]), cells, ORIGIN, FittedOptions())
    np.testing.assert_array_equal(a.x_pred, b.x_pred)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    # Labels of a training origin are the events in the following horizon, in the history.
    s = a.training_origins_days[0]
    t = (ev["time"] - ORIGIN).dt.total_seconds() / 86400
    n_label = ((t >= s) & (t < s + HORIZON)).sum()
    first = a.origin_train == 1
    assert a.y_train[first].sum() == pytest.approx(n_label, abs=3)  # events outside cells


def test_sparse_data_falls_back_with_a_clear_message(cells, caplog):
    ev = pd.DataFrame(
        {
            "time": pd.to_datetime(["2023-05-01", "2023-08-01", "2023-11-01"], utc=True),
            "lon": [1.0, 1.02, 3.0],
            "lat": [1.0, 1.01, 3.0],
        }
    )
    with caplog.at_level("WARNING"):
        m = FittedModel().fit(ev, cells, ORIGIN)
    rep = m.report()
    json.dumps(rep, allow_nan=False)
    assert rep["model"] == "fallback"
    assert "too few events" in rep["fallback"] and "3" in rep["fallback"]
    assert "fallback" in caplog.text
    p = m.predict()
    assert p["expected"].sum() == pytest.approx(3 * HORIZON / TRAIN, rel=0.05)
    assert p["score"].idxmax() in set(np.flatnonzero(p["expected"] > 0))
    ex = m.explain(p["cell"].iloc[int(p["expected"].idxmax())])
    assert ex["fallback"] == rep["fallback"]
    # Too few training origins is a different, named reason.
    short = FittedModel(FittedOptions(train_days=500, min_events=1)).fit(ev, cells, ORIGIN)
    assert "too few training origins" in short.report()["fallback"]


def test_inputs_and_options_are_validated(cells):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="bandwith_km"):
        FittedOptions(bandwith_km=3)
    with pytest.raises(ValidationError, match="train_days"):
        FittedOptions(train_days=200)
    with pytest.raises(ValidationError, match="count windows"):
        FittedOptions(count_windows_days=(-5.0,))
    with pytest.raises(InputError, match="not fitted"):
        FittedModel().predict()
    with pytest.raises(InputError, match="cells is empty"):
        FittedModel().fit(pd.DataFrame({"time": [], "lon": [], "lat": []}), [], ORIGIN)
    ev = pd.DataFrame({"time": ["2023-01-01"], "lon": [1.0], "lat": [1.0]})
    with pytest.raises(InputError, match="factor_transforms"):
        FittedModel(FittedOptions(factor_transforms={"nope": "log"})).fit(
            ev, cells, ORIGIN, pd.DataFrame({"cell": cells, "v": 1.0})
        )


def test_quiet_cells_get_the_observed_quiet_rate_and_say_so(cells):
    rng = np.random.default_rng(8)
    lat, lon = cells_to_latlng(cells)
    # Events only in the south-west corner; the north-east corner is > 100 km from all of them.
    rate = np.where((lon < 1.5) & (lat < 1.5), 0.6, 0.0)
    ev = _events_from_rates(rng, cells, rate)
    m = FittedModel(FittedOptions(fit_region="active")).fit(ev, cells, ORIGIN)
    rep = m.report()
    assert rep["fit_region"]["mode"] == "active"
    assert 0 < rep["fit_region"]["cells"] < cells.size
    quiet = np.flatnonzero(~m.in_region_)
    far = quiet[np.argmax(lon[quiet] + lat[quiet])]
    p = m.predict()
    assert 0 < p["expected"].iloc[far] < p["expected"].max() / 100
    ex = m.explain(cells[far])
    assert "quiet" in ex["note"] and ex["factors"] == []
    assert m.shares().iloc[far].drop(["cell", "relative_risk", "area"]).isna().all()
    # 'all' fits every cell instead.
    m_all = FittedModel(FittedOptions(fit_region="all")).fit(ev, cells, ORIGIN)
    assert m_all.report()["fit_region"]["cells"] == cells.size


def test_shared_coverage_collinear_and_separated_factors_do_not_blow_up(cells):
    """Factors of one source share one missing indicator; a duplicate column and a separated
    factor are dropped with their reason; every share and forecast stays finite."""
    rng = np.random.default_rng(21)
    x = rng.normal(0, 1, cells.size)
    mu = 0.3 * np.exp(0.6 * x)
    ev = _events_from_rates(rng, cells, mu)
    gap = np.where(rng.random(cells.size) < 0.1, np.nan, 1.0)  # one AIS coverage for a and b
    a = rng.gamma(2.0, 1.0, cells.size) * gap
    b = rng.gamma(2.0, 1.0, cells.size) * gap
    twin = x * 2.0 + 1.0  # a linear combination of x
    # non-zero only in a few cells that never have an event: quasi-separation
    rare = np.zeros(cells.size)
    ev_cells = set(points_to_cells(ev["lon"].to_numpy(), ev["lat"].to_numpy(), 5).tolist())
    quiet = [i for i in range(cells.size) if int(cells[i]) not in ev_cells][:5]
    rare[quiet] = 50.0
    factors = pd.DataFrame({"cell": cells, "x": x, "a": a, "b": b, "twin": twin, "rare": rare})
    opts = FittedOptions(**FACTORS_ONLY, min_history_days=HORIZON, selection="none")
    f = build_lagged_features(ev, cells, ORIGIN, opts, factors)
    missing = [n for n in f.names if n.endswith("__missing")]
    assert missing == ["a__missing"], f.names
    assert "'a', 'b'" in f.descriptions["a__missing"]
    m = FittedModel(opts).fit(ev, cells, ORIGIN, factors)
    rep = m.report()
    json.dumps(rep, allow_nan=False)
    dropped = {d["name"]: d["reason"] for d in rep["dropped"]}
    assert "linear combination of 'x'" in dropped["twin"], dropped
    shares = m.shares()
    assert np.isfinite(shares.drop(columns="cell").to_numpy()).all()
    assert np.isfinite(m.predict()["expected"]).all()
    by = {r["name"]: r for r in rep["factors"]}
    for r in by.values():
        if r["selected"]:
            assert np.isfinite(r["rr_per_sd"])
    assert "separation" in dropped["rare"], dropped


def test_without_inference_the_forecast_is_the_same_optimum(cells):
    """A back-test skips the statsmodels refit and the sandwich: same estimates to 1e-6."""
    rng = np.random.default_rng(12)
    x1 = rng.normal(0, 1, cells.size)
    mu = 0.4 * np.exp(0.7 * x1)
    ev = _events_from_rates(rng, cells, mu)
    factors = pd.DataFrame({"cell": cells, "x1": x1, "noise": rng.normal(0, 1, cells.size)})
    opts = FittedOptions(**{**FACTORS_ONLY, "family": "auto"}, min_history_days=HORIZON)
    full = FittedModel(opts).fit(ev, cells, ORIGIN, factors)
    quick = FittedModel(opts, inference=False).fit(ev, cells, ORIGIN, factors)
    rf, rq = full.report(), quick.report()
    assert rf["estimator"].startswith("statsmodels") and rq["estimator"] == "Fisher scoring"
    assert "cluster-robust" in rf["se_method"] and "model-based" in rq["se_method"]
    assert [f["name"] for f in rq["factors"] if f["selected"]] == [
        f["name"] for f in rf["factors"] if f["selected"]
    ]
    np.testing.assert_allclose(quick.predict()["expected"], full.predict()["expected"], rtol=1e-6)


def _last_year_counts(events, cells, when):
    """Events in each cell in the 365 days before ``when``: a plug-in that counts seizures."""
    t = pd.to_datetime(events["time"], utc=True)
    recent = events[(t < when) & (t >= when - pd.Timedelta(days=365))]
    got = points_to_cells(recent["lon"].to_numpy(), recent["lat"].to_numpy(), 5)
    counts = pd.Series(got).value_counts().reindex(cells, fill_value=0)
    return pd.DataFrame({"cell": cells, "last_year": counts.to_numpy(dtype="float64")})


def test_a_factor_known_per_date_gives_each_training_origin_its_own_values(cells):
    # One rate everywhere: no count of the past can predict the future.  Taken as of the
    # forecast origin, the count of last year's events holds the training labels themselves.
    rng = np.random.default_rng(3)
    ev = _events_from_rates(rng, cells, np.full(cells.size, 0.5))
    opts = FittedOptions(**FACTORS_ONLY, min_history_days=365.0, selection="none")
    calls: list[pd.Timestamp] = []

    def factors_at(when):
        calls.append(when)
        return _last_year_counts(ev, cells, when)

    def last_year(m):
        return next(f for f in m.report()["factors"] if f["name"] == "last_year")

    leaky = FittedModel(opts).fit(ev, cells, ORIGIN, _last_year_counts(ev, cells, ORIGIN))
    honest = FittedModel(opts).fit(ev, cells, ORIGIN, factors_at)
    assert last_year(leaky)["rr_per_sd"] > 2.0 and last_year(leaky)["p_value"] < 1e-12
    lo, hi = last_year(honest)["rr_ci95"]
    assert lo < 1.0 < hi and last_year(honest)["p_value"] > 0.01
    # called once per training origin and once at the forecast origin, each row its own
    origins = honest.features_.training_origins_days
    assert sorted(calls) == sorted(ORIGIN + pd.Timedelta(days=s) for s in [0.0, *origins])
    f = honest.features_
    j = f.names.index("last_year")
    for k, s in enumerate(origins, start=1):
        want = np.log1p(_last_year_counts(ev, cells, ORIGIN + pd.Timedelta(days=s))["last_year"])
        np.testing.assert_array_equal(f.x_train[f.origin_train == k, j], want.to_numpy())
    np.testing.assert_array_equal(f.x_pred[:, j], leaky.features_.x_pred[:, j])
    # the raw values explained are the forecast origin's
    np.testing.assert_array_equal(f.raw_pred["last_year"], leaky.features_.raw_pred["last_year"])


def test_a_factor_known_per_date_is_transformed_filled_and_flagged_alike(cells):
    rng = np.random.default_rng(4)
    ev = _events_from_rates(rng, cells, np.full(cells.size, 0.3))
    opts = FittedOptions(**FACTORS_ONLY, min_history_days=365.0, selection="none")

    def factors_at(when):
        t = _last_year_counts(ev, cells, when)
        # negative in the past only: the transform is decided on every origin's values
        t["shifted"] = t["last_year"] - (1.0 if when < ORIGIN else 0.0)
        # 1 in half the cells at the forecast origin (NaN in the others), 3 everywhere before
        t["partial"] = np.where(
            when < ORIGIN, 3.0, np.where(np.arange(cells.size) % 2, np.nan, 1.0)
        )
        return t

    f = build_lagged_features(ev, cells, ORIGIN, opts, factors_at)
    assert f.descriptions["shifted"].endswith("(linear)")
    assert f.descriptions["last_year"].endswith("(log1p)")
    miss = f.names.index("partial__missing")
    assert f.x_pred[:, miss].sum() == cells.size // 2 and f.x_train[:, miss].sum() == 0
    part = f.names.index("partial")
    # one fill for all origins: the mean of every origin's covered values, transformed
    k = len(f.training_origins_days)
    fill = (np.log1p(1.0) * (cells.size - cells.size // 2) + np.log1p(3.0) * k * cells.size) / (
        cells.size - cells.size // 2 + k * cells.size
    )
    gap = f.x_pred[:, miss] == 1
    np.testing.assert_allclose(f.x_pred[gap, part], fill)
    np.testing.assert_array_equal(f.x_pred[~gap, part], np.log1p(1.0))
    np.testing.assert_array_equal(f.x_train[:, part], np.log1p(3.0))

    def renamed(when):
        return (
            factors_at(when).rename(columns={"shifted": "other"})
            if when < ORIGIN
            else (factors_at(when))
        )

    with pytest.raises(InputError, match="the same factors"):
        build_lagged_features(ev, cells, ORIGIN, opts, renamed)
