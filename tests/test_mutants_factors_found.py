"""Tests that a mutation review of the factors, the score and the fitted model found missing.

Each test pins a computation that a hand-made, plausible bug changed with every other test
passing (the review's table is in the commit messages), against an independent value: the
fitted model's coefficients and forecast against statsmodels' own GLM on a design built here
by hand (counts per label window, ``log1p``, the fill and indicator of a missing value, the
z-scores, the area offset), the weighted score against numpy by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells
from pipeline.model import FittedModel, FittedOptions
from pipeline.score import FactorWeight, classify, score_cells

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
H = 91.0
W = 730.0
DAY = pd.Timedelta(days=1)


def _grow(t: pd.Timestamp) -> float:
    """How a per-date factor grows with its date (1 at the forecast origin)."""
    return 1.0 + float((t - ORIGIN) / DAY) / 1000.0


@pytest.fixture(scope="module")
def world():
    """~66 cells, Poisson events from two known factors, one of them missing in a third."""
    rng = np.random.default_rng(20261206)
    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    n = cells.size
    area = cell_area_km2(cells)
    v = rng.uniform(0.5, 20.0, n)
    u = rng.normal(0.0, 1.0, n)  # negative values: a linear factor
    gap = np.zeros(n, dtype=bool)
    gap[rng.choice(n, n // 3, replace=False)] = True
    rate = 0.6 * area / area.mean() * np.exp(0.5 * np.log1p(v) - 0.4 * u + 0.3 * gap)
    k = rng.poisson(rate * W / H)
    idx = np.repeat(np.arange(n), k)
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame(
        {
            "time": ORIGIN - pd.to_timedelta(rng.uniform(0.0, W, idx.size), unit="D"),
            "lon": lon[idx] + rng.normal(0, 0.005, idx.size),
            "lat": lat[idx] + rng.normal(0, 0.005, idx.size),
        }
    )

    def factors_at(t: pd.Timestamp) -> pd.DataFrame:
        return pd.DataFrame({"cell": cells, "v": np.where(gap, np.nan, v * _grow(t)), "u": u})

    return {"cells": cells, "area": area, "v": v, "u": u, "gap": gap, "ev": ev, "at": factors_at}


def _options(**kw) -> FittedOptions:
    base = dict(
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
        stride_days=H,
        min_history_days=H,
        selection="none",
        family="poisson",
    )
    return FittedOptions(**{**base, **kw})


def _by_hand(world, per_date: bool):
    """The design, labels and offsets of the fit, built from the definitions alone."""
    cells, ev, n = world["cells"], world["ev"], world["cells"].size
    origins = [-H * j for j in range(1, int((W - H) // H) + 1)]
    tau = ((ev["time"] - ORIGIN) / DAY).to_numpy()
    ev_cell = points_to_cells(ev["lon"].to_numpy(), ev["lat"].to_numpy(), 5)
    pos = np.searchsorted(cells, ev_cell)
    inside = (pos < n) & (cells[np.minimum(pos, n - 1)] == ev_cell)

    def labels(s):
        sel = inside & (tau >= s) & (tau < s + H)
        return np.bincount(pos[sel], minlength=n).astype(float)

    dates = [0.0, *origins] if per_date else [0.0]
    tabs = [world["at"](ORIGIN + s * DAY) for s in dates]
    logv = np.log1p(np.concatenate([t["v"].to_numpy() for t in tabs]))
    fill = np.nanmean(logv)  # the covered values of every origin the design holds
    logv = np.where(np.isnan(logv), fill, logv).reshape(len(tabs), n)
    miss = world["gap"].astype(float)
    x_pred = np.column_stack([logv[0], world["u"], miss])
    rows = [
        np.column_stack([logv[k + 1 if per_date else 0], world["u"], miss])
        for k in range(len(origins))
    ]
    x_train = np.vstack(rows)
    y = np.concatenate([labels(s) for s in origins])
    off1 = np.log(world["area"] / world["area"].mean())
    return x_train, y, np.tile(off1, len(origins)), x_pred, off1


@pytest.fixture(scope="module")
def poisson_fit(world):
    m = FittedModel(_options()).fit(world["ev"], world["cells"], ORIGIN, world["at"])
    return m


def test_fitted_poisson_matches_statsmodels_on_a_design_built_by_hand(world, poisson_fit):
    """Coefficients, forecast, relative risks and shares against statsmodels' GLM by hand.

    Mutants this kills: the area offset dropped (in the features or the forecast), the
    intercept forgotten, a missing value filled with 0 or its indicator dropped, the z-score
    with ``ddof=1``, no clamping to the training range, a per-date factor's rows taking the
    wrong date's table, the shares without their reference or given to a neighbour factor.
    """
    import statsmodels.api as sm

    m = poisson_fit
    rep = m.report()
    assert rep["model"] == "poisson" and rep["fallback"] is None
    x, y, off, xp, offp = _by_hand(world, per_date=True)
    assert m.features_.names == ["v", "u", "v__missing"]
    mean, sd = x.mean(axis=0), x.std(axis=0)  # population SD over the training rows
    z = (x - mean) / sd
    res = sm.GLM(y, sm.add_constant(z), family=sm.families.Poisson(), offset=off).fit(tol=1e-12)
    by = {f["name"]: f for f in rep["factors"]}
    for j, name in enumerate(["v", "u", "v__missing"]):
        assert by[name]["selected"]
        assert by[name]["mean"] == pytest.approx(mean[j], rel=1e-5)
        assert by[name]["sd"] == pytest.approx(sd[j], rel=1e-5)
        assert by[name]["coef"] == pytest.approx(res.params[j + 1], rel=1e-5, abs=1e-7)
        assert by[name]["rr_per_unit"] == pytest.approx(np.exp(res.params[j + 1] / sd[j]), rel=1e-5)
    assert rep["intercept"] == pytest.approx(res.params[0], rel=1e-6)
    # standard errors: cluster-robust by cell, statsmodels' small-sample factor
    groups = np.tile(np.arange(world["cells"].size), len(y) // world["cells"].size)
    rob = sm.GLM(y, sm.add_constant(z), family=sm.families.Poisson(), offset=off).fit(
        tol=1e-12, cov_type="cluster", cov_kwds={"groups": groups}
    )
    for j, name in enumerate(["v", "u", "v__missing"]):
        assert by[name]["se"] == pytest.approx(rob.bse[j + 1], rel=1e-4)
    # The forecast: the factors of the forecast origin, clamped to the training range.
    zp = (np.clip(xp, x.min(axis=0), x.max(axis=0)) - mean) / sd
    assert (np.clip(xp, x.min(axis=0), x.max(axis=0)) != xp).any()  # v grew past its range
    mu = np.exp(res.params[0] + offp + zp @ res.params[1:])
    pred = m.predict()
    np.testing.assert_allclose(pred["expected"], mu, rtol=1e-5)
    np.testing.assert_allclose(pred["score"], mu / world["area"], rtol=1e-5)
    np.testing.assert_allclose(pred["relative_risk"], mu / np.exp(np.log(mu).mean()), rtol=1e-5)
    sh = m.shares()
    np.testing.assert_allclose(sh["area"], np.exp(offp - offp.mean()), rtol=1e-9)
    for j, name in enumerate(["v", "u", "v__missing"]):
        want = np.exp(res.params[j + 1] * (zp[:, j] - zp[:, j].mean()))
        np.testing.assert_allclose(sh[name], want, rtol=1e-5, err_msg=name)
    i = int(np.argmax(mu))
    ex = m.explain(world["cells"][i])
    assert [f["name"] for f in ex["factors"]] == ["v", "u", "v__missing"]
    for j, f in enumerate(ex["factors"]):
        assert f["rr_per_sd"] == pytest.approx(np.exp(res.params[j + 1]), rel=1e-5)
        assert f["z"] == pytest.approx(zp[i, j], rel=1e-9, abs=1e-12)
    # a cell the factor misses: its value is missing (None, as the weighted card says), not
    # NaN, which no JSON holds; its z is the fill's
    g = int(np.flatnonzero(world["gap"])[0])
    ex = m.explain(world["cells"][g])
    json.dumps(ex, allow_nan=False)
    v = ex["factors"][0]
    assert v["name"] == "v" and v["value"] is None
    assert v["z"] == pytest.approx(zp[g, 0], rel=1e-9)
    assert ex["factors"][2]["z"] == pytest.approx(zp[g, 2], rel=1e-9)


# ------------------------------------------------------------------ the weighted score


def _norm_by_hand(x: np.ndarray, transform: str, method: str) -> np.ndarray:
    """The documented normalisation, by hand: NaN stays NaN, 0 stays 0."""
    x = np.log1p(x) if transform == "log" else x.astype(float)
    out = np.where(np.isnan(x), np.nan, 0.0)
    nz = np.flatnonzero(x > 0)
    if method == "cap":
        cap = np.quantile(x[nz], 0.99)
        out[nz] = np.minimum(x[nz] / cap, 1.0)
    else:  # share of the non-zero values at or below it
        out[nz] = [(x[nz] <= x[i]).mean() for i in nz]
    return out


@pytest.fixture(scope="module")
def weighted_inputs():
    """Unsorted cells, ties, zeros, a coverage flag that blanks a value, config order b, a, c."""
    rng = np.random.default_rng(7)
    cells = region_to_cells((10.0, 10.0, 10.6, 10.6), 5)[:40]
    n = cells.size
    a = np.round(rng.gamma(1.0, 3.0, n), 0)  # ties and zeros
    b = rng.gamma(2.0, 50.0, n)
    b[rng.random(n) < 0.2] = 0.0
    c = rng.uniform(0.0, 5.0, n)
    a[:3] = np.nan  # not covered: no value
    c_cov = rng.random(n) > 0.3  # a value where the flag says not covered: missing
    c_cov[3] = False
    a[3] = b[3] = np.nan  # cell 3: no factor covers it
    order = rng.permutation(n)
    feats = pd.DataFrame({"cell": cells, "b": b, "a": a, "c": c}).iloc[order]
    cov = pd.DataFrame(
        {"b__covered": ~np.isnan(b), "a__covered": ~np.isnan(a), "c__covered": c_cov}
    ).iloc[order]
    observed = (np.nan_to_num(b) > 100)[order]
    weights = {
        "b": FactorWeight(weight=3.0, transform="log"),
        "a": FactorWeight(weight=1.0),
        "c": FactorWeight(weight=2.0),
    }
    return dict(
        cells=cells, a=a, b=b, c=c, c_cov=c_cov, feats=feats, cov=cov, obs=observed, w=weights
    )


@pytest.mark.parametrize("method", ["cap", "rank"])
def test_weighted_score_matches_the_documented_sum_by_hand(weighted_inputs, method):
    """Risk, points, classes, ``observed`` and ``top_factor`` against numpy by hand.

    Mutants this kills: ``log1p`` replaced, rank ties at their lowest rank, a missing
    factor's weight left in the total, weights normalised twice, ``top_factor`` named from
    the sorted factor names, ``observed`` or the coverage flags not re-ordered with the
    cells, a "no data" cell classed "very low".
    """

    d = weighted_inputs
    s = score_cells(d["feats"], d["w"], normalisation=method, covered=d["cov"], observed=d["obs"])
    assert list(s["cell"]) == list(d["cells"])  # sorted by cell: the fixture's own order
    vals = {"b": d["b"], "a": d["a"], "c": np.where(d["c_cov"], d["c"], np.nan)}
    norms = {k: _norm_by_hand(vals[k], d["w"][k].transform, method) for k in vals}
    covered = {k: ~np.isnan(vals[k]) for k in vals}
    total = sum(np.where(covered[k], d["w"][k].weight, 0.0) for k in vals)
    points = {
        k: np.where(
            covered[k],
            100 * d["w"][k].weight / np.where(total > 0, total, 1) * np.nan_to_num(norms[k]),
            0.0,
        )
        for k in vals
    }
    risk = np.where(total > 0, sum(points.values()), np.nan)
    for k in vals:
        np.testing.assert_allclose(s[f"{k}__norm"], norms[k], rtol=1e-12, err_msg=k)
        np.testing.assert_allclose(s[f"{k}__contrib"], points[k], rtol=1e-12, atol=1e-12, err_msg=k)
        np.testing.assert_array_equal(s[f"{k}__covered"], covered[k])
    np.testing.assert_allclose(s["risk"], risk, rtol=1e-12)
    assert np.isnan(s["risk"].iloc[3]) and s["risk_class"].iloc[3] == "no data"
    has = ~np.isnan(risk)
    labels = ("very low", "low", "medium", "high", "very high")
    np.testing.assert_array_equal(
        s["risk_class"][has], classify(risk[has], (0, 20, 40, 60, 80, 100), labels)
    )
    np.testing.assert_array_equal(s["observed"], np.nan_to_num(d["b"]) > 100)
    stacked = np.column_stack([points[k] for k in vals])  # config order: b, a, c
    top = np.array(list(vals), dtype=object)[stacked.argmax(axis=1)]
    top[~(np.nan_to_num(risk) > 0)] = None
    assert list(s["top_factor"]) == list(top)


def test_weight_zero_leaves_a_factor_out_and_a_negative_value_is_refused():
    """Weight 0 leaves the factor out (even one this run does not compute); a value below 0
    beyond round-off (1e-6 of the largest) is refused, not clipped to 0.

    Mutants this kills: ``weight >= 0`` kept, the round-off tolerance widened.
    """
    from pipeline.errors import ConfigError
    from pipeline.score import normalise

    cells = region_to_cells((10.0, 10.0, 10.3, 10.3), 5)[:5]
    f = pd.DataFrame({"cell": cells, "a": [0.0, 1.0, 2.0, 3.0, 4.0]})
    s = score_cells(f, {"a": 1.0, "not_computed": 0.0})
    assert not any(c.startswith("not_computed") for c in s.columns)
    np.testing.assert_allclose(
        s["risk"], 100 * np.minimum(f["a"] / np.quantile([1, 2, 3, 4], 0.99), 1)
    )
    # observed by default: any factor value above 0; a missing value is no observation
    g = f.assign(a=[np.nan, 0.0, np.nan, 3.0, 1.0], b=[np.nan, np.nan, 0.0, 0.0, np.nan])
    s = score_cells(g, {"a": 1.0, "b": 1.0})
    assert s["observed"].tolist() == [False, False, False, True, True]
    # a flag read from a numeric column (a GIS table): NaN is no flag, so not covered
    flags = pd.DataFrame({"a__covered": [1.0, np.nan, 1.0, 0.0, 1.0]})
    s = score_cells(f, {"a": 1.0}, covered=flags)
    assert s["a__covered"].tolist() == [True, False, True, False, True]
    assert np.isnan(s["risk"].to_numpy()[[1, 3]]).all()
    with pytest.raises(ConfigError, match="must be >= 0"):
        normalise(np.array([100.0, -0.01, 5.0]))
    np.testing.assert_array_equal(normalise(np.array([100.0, -1e-5, 0.0]))[1:], [0.0, 0.0])


def test_weighted_model_explains_its_points_and_leaves_weight_zero_out(weighted_inputs):
    """The card of a cell: each factor's raw value, normalised value and points as scored.

    A factor of weight 0 (which the score leaves out, its columns absent) ended ``explain`` in
    a ``KeyError`` and was reported as selected (the back-test's list of selected factors).
    """
    from pipeline.model import WeightedModel

    d = weighted_inputs
    table = d["feats"].join(d["cov"])
    weights = {**d["w"], "unused": 0.0}
    m = WeightedModel(weights).fit(None, d["cells"], None, table)
    s = score_cells(d["feats"], d["w"], covered=d["cov"])
    i = int(np.nanargmax(s["risk"].to_numpy()))
    ex = m.explain(d["cells"][i])
    assert [f["name"] for f in ex["factors"]] == ["b", "a", "c"]
    assert ex["risk"] == pytest.approx(s["risk"].iloc[i])
    assert sum(f["points"] for f in ex["factors"]) == pytest.approx(ex["risk"])
    for f in ex["factors"]:
        k = f["name"]
        assert f["points"] == pytest.approx(s[f"{k}__contrib"].iloc[i])
        assert f["covered"] == bool(s[f"{k}__covered"].iloc[i])
        raw = s[k].iloc[i]
        assert f["value"] == (None if np.isnan(raw) else pytest.approx(raw))
        norm = s[f"{k}__norm"].iloc[i]
        assert f["normalised"] == (None if np.isnan(norm) else pytest.approx(norm))
    rep = m.report()
    got = {f["name"]: (f["weight"], f["selected"]) for f in rep["factors"]}
    assert got == {
        "b": (0.5, True),
        "a": (pytest.approx(1 / 6), True),
        "c": (pytest.approx(1 / 3), True),
        "unused": (0.0, False),
    }


def test_fitted_active_region_standardises_and_references_over_the_fitted_cells(world):
    """``fit_region: active``: z-scores over the fitted rows, the quiet cells' observed rate
    (plus half an event, per unit of area), and the reference cell of the fitted cells.

    Mutants this kills: the z-score's mean and SD taken over every row, the reference over
    every cell, the quiet rate without its half event or per cell instead of per area, the
    quiet cells' forecast without their area.
    """
    import statsmodels.api as sm

    from pipeline.sphere import haversine_km

    cells, area, u = world["cells"], world["area"], world["u"]
    lat, lon = cells_to_latlng(cells)
    ev = world["ev"]
    ev = ev[ev["lon"] < 0.45]  # the east of the area has no event within 25 km
    m = FittedModel(_options(bandwidths_km=(25.0,), kde_windows_days=(), fit_region="active")).fit(
        ev, cells, ORIGIN, pd.DataFrame({"cell": cells, "u": u})
    )
    n = cells.size
    origins = [-H * j for j in range(1, int((W - H) // H) + 1)]
    tau = ((ev["time"] - ORIGIN) / DAY).to_numpy()
    d = haversine_km(lon[:, None], lat[:, None], ev["lon"].to_numpy(), ev["lat"].to_numpy())
    ev_cell = points_to_cells(ev["lon"].to_numpy(), ev["lat"].to_numpy(), 5)
    pos = np.searchsorted(cells, ev_cell)

    def near(s):  # an event of [-W, s) within the kernel's 25 km
        return ((d < 25.0) & ((tau >= -W) & (tau < s))[None, :]).any(axis=1)

    def labels(s):
        return np.bincount(pos[(tau >= s) & (tau < s + H)], minlength=n).astype(float)

    act = np.concatenate([near(s) for s in origins])
    y = np.concatenate([labels(s) for s in origins])
    off = np.tile(np.log(area / area.mean()), len(origins))
    x = np.tile(u, len(origins))
    assert 0 < act.mean() < 0.9 and near(0.0).sum() < n
    mean, sd = x[act].mean(), x[act].std()
    res = sm.GLM(
        y[act],
        sm.add_constant((x[act] - mean) / sd),
        family=sm.families.Poisson(),
        offset=off[act],
    ).fit(tol=1e-12)
    by = {f["name"]: f for f in m.report()["factors"]}
    assert by["u"]["coef"] == pytest.approx(res.params[1], rel=1e-5)
    assert by["u"]["sd"] == pytest.approx(sd, rel=1e-5)
    quiet_rate = (y[~act].sum() + 0.5) / np.exp(off[~act]).sum()
    fitted = near(0.0)
    zp = (np.clip(u, x[act].min(), x[act].max()) - mean) / sd
    mu = np.where(
        fitted,
        np.exp(res.params[0] + np.log(area / area.mean()) + res.params[1] * zp),
        quiet_rate * area / area.mean(),
    )
    pred = m.predict()
    np.testing.assert_allclose(pred["expected"], mu, rtol=1e-5)
    np.testing.assert_allclose(pred["p_any"], -np.expm1(-mu), rtol=1e-5)  # quiet: Poisson too
    ref = np.exp(np.log(mu[fitted]).mean())
    np.testing.assert_allclose(pred["relative_risk"], mu / ref, rtol=1e-5)
    sh = m.shares()
    want = np.where(fitted, np.exp(res.params[1] * (zp - zp[fitted].mean())), np.nan)
    np.testing.assert_allclose(sh["u"], want, rtol=1e-5)


@pytest.mark.parametrize(
    "entry",
    [{"wieght": 2.0}, {"weight": 2.0, "transfrom": "log"}, {}],
    ids=["weight", "transform", "empty"],
)
def test_a_typo_in_a_hand_weight_is_refused_not_defaulted(entry):
    """``score.factors.<name>``: a misspelt key (or none) is an error, never a default weight."""
    from pipeline.config import ScoreConfig

    with pytest.raises(ValueError, match="wieght|transfrom|weight"):
        ScoreConfig.model_validate({"factors": {"seizure_density": entry}})


def test_fitted_negative_binomial_matches_statsmodels_with_its_alpha(world):
    """NB2 with one factors table: statsmodels' NB2 GLM at the published alpha gives the
    published coefficients; P(at least one) is ``1 - (1 + alpha mu)^(-1/alpha)``.

    Mutants this kills: statsmodels refitted at its default alpha (1) instead of the
    estimate, NB2's P(any) computed as Poisson's.
    """
    import statsmodels.api as sm

    tab = world["at"](ORIGIN)
    m = FittedModel(_options(family="negative_binomial")).fit(
        world["ev"], world["cells"], ORIGIN, tab
    )
    rep = m.report()
    assert rep["model"] == "negative_binomial"
    a = rep["alpha"]
    x, y, off, xp, offp = _by_hand(world, per_date=False)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    res = sm.GLM(
        y,
        sm.add_constant((x - mean) / sd),
        family=sm.families.NegativeBinomial(alpha=a),
        offset=off,
    ).fit(tol=1e-12)
    by = {f["name"]: f for f in rep["factors"]}
    for j, name in enumerate(["v", "u", "v__missing"]):
        assert by[name]["coef"] == pytest.approx(res.params[j + 1], rel=1e-4, abs=1e-6)
    pred = m.predict()
    mu = np.exp(res.params[0] + offp + ((xp - mean) / sd) @ res.params[1:])
    np.testing.assert_allclose(pred["expected"], mu, rtol=1e-4)
    np.testing.assert_allclose(pred["p_any"], 1 - (1 + a * mu) ** (-1 / a), rtol=1e-4)


def test_fallback_blends_own_and_smoothed_counts_of_the_history_by_hand():
    """Too few events: ``horizon / train_days x (w own-cell count + (1 - w) smoothed count)``,
    the smoothed count being the kernel density at the smallest bandwidth times the cell's
    area; an event at the origin is not history.

    Mutants this kills: the horizon left out, ``w`` for both terms, the density per km²
    taken as a count, an event at the origin counted.
    """
    from pipeline.density import kernel_density_exact

    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    ev = pd.DataFrame(
        {
            "time": pd.to_datetime(
                ["2023-05-01", "2023-08-01", "2023-11-01", "2024-01-01"], utc=True
            ),
            "lon": [0.3, 0.32, 0.7, 0.5],
            "lat": [0.3, 0.31, 0.7, 0.5],
        }
    )
    opts = FittedOptions(fallback_weight=0.8, bandwidths_km=(30.0, 60.0))
    m = FittedModel(opts).fit(ev, cells, ORIGIN)
    assert m.report()["model"] == "fallback"
    hist = ev.iloc[:3]  # the event at the origin is the forecast's, not the history's
    own = np.bincount(
        np.searchsorted(cells, points_to_cells(hist["lon"].to_numpy(), hist["lat"].to_numpy(), 5)),
        minlength=cells.size,
    )
    dens = kernel_density_exact(
        (hist["lon"].to_numpy(), hist["lat"].to_numpy()), cells, bandwidth_km=30.0, kernel="quartic"
    )
    want = H / W * (0.8 * own + 0.2 * dens * cell_area_km2(cells))
    np.testing.assert_allclose(m.predict()["expected"], want, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ the factor registry


def _values(ctx):
    return np.ones(len(ctx.cells))


def _other_values(ctx):
    return np.zeros(len(ctx.cells))


def test_registry_keeps_units_needs_order_and_exact_names():
    """One name, one definition: another unit is another factor; the first definition of a
    name is the one used; a factor whose needs the inputs miss is not available; names are
    matched exactly (a column name), a wrong case is an unknown factor, said in one line.
    """
    from pipeline.errors import ConfigError
    from pipeline.factors import Factor, FactorRegistry, InputsView

    reg = FactorRegistry()
    km = Factor(name="dist", unit="km", description="d", compute=_values, time_dependent=False)
    reg.register(km)
    reg.register(km)  # the same object again: fine
    with pytest.raises(ConfigError, match="already registered"):
        reg.register(
            Factor(name="dist", unit="m", description="d", compute=_values, time_dependent=False)
        )
    later = Factor(
        name="dist", unit="km", description="later", compute=_other_values, time_dependent=False
    )
    reg.register_family(lambda inputs: [later])
    tracks = Factor(name="lanes", unit="h", description="t", compute=_values, needs=("tracks",))
    reg.register(tracks)
    inputs = InputsView(needs=frozenset({"seizures"}))
    got = reg.available(inputs)
    assert list(got) == ["dist"] and got["dist"] is km
    assert reg.resolve(["dist"], inputs) == [km]
    with pytest.raises(ConfigError, match="'lanes' needs input"):
        reg.resolve(["dist", "lanes"], inputs)
    with pytest.raises(ConfigError, match=r"unknown factor\(s\) \['Dist'\]; available: \['dist'\]"):
        reg.resolve(["Dist"], inputs)


def test_a_factor_observed_only_where_no_event_fell_is_dropped_saying_why(world):
    """Every training event lies where the factor is missing: its values never meet an event,
    so neither it nor its indicator is estimable; both are dropped, the report says why, and
    the forecast is the model without them (statsmodels on ``u`` alone).
    """
    import statsmodels.api as sm

    cells, u = world["cells"], world["u"]
    lat, lon = cells_to_latlng(cells)
    ev = world["ev"][world["ev"]["lon"] < 0.45]
    east = lon > 0.6
    tab = pd.DataFrame({"cell": cells, "u": u, "w": np.where(east, lat + 1.0, np.nan)})
    m = FittedModel(_options()).fit(ev, cells, ORIGIN, tab)
    rep = m.report()
    by = {f["name"]: f for f in rep["factors"]}
    assert not by["w"]["selected"] and not by["w__missing"]["selected"]
    why = {d["name"]: d["reason"] for d in rep["dropped"]}
    assert "every training event" in why["w"] and "every training event" in why["w__missing"]
    area = world["area"]
    off1 = np.log(area / area.mean())
    origins = [-H * j for j in range(1, int((W - H) // H) + 1)]
    tau = ((ev["time"] - ORIGIN) / DAY).to_numpy()
    pos = np.searchsorted(cells, points_to_cells(ev["lon"].to_numpy(), ev["lat"].to_numpy(), 5))
    y = np.concatenate(
        [np.bincount(pos[(tau >= s) & (tau < s + H)], minlength=cells.size) for s in origins]
    )
    x = np.tile(u, len(origins))
    res = sm.GLM(
        y,
        sm.add_constant((x - x.mean()) / x.std()),
        family=sm.families.Poisson(),
        offset=np.tile(off1, len(origins)),
    ).fit(tol=1e-12)
    assert by["u"]["coef"] == pytest.approx(res.params[1], rel=1e-5)


def test_coverage_is_false_wherever_a_flag_or_a_value_is_missing():
    """A factor's coverage: a NaN value is not covered even where its flag says covered; a
    cell the flags lack, or a ``<NA>`` flag, is not covered (missing is not zero, nor covered).
    """
    from pipeline.factors import FactorValues

    cells = region_to_cells((10.0, 10.0, 10.3, 10.3), 5)[:3]
    got = FactorValues.coerce((np.array([1.0, np.nan, 2.0]), np.array([True, True, True])), 3, "f")
    assert got.covered.tolist() == [True, False, True]
    values = pd.Series([1.0, 2.0, 3.0], index=cells)
    flags = pd.Series([True, True], index=cells[[0, 2]])  # cell 1 has no flag
    got = FactorValues.coerce((values, flags), 3, "f", cells=cells)
    assert got.covered.tolist() == [True, False, True]
    assert np.isnan(got.values[1]) and got.values[2] == 3.0
    na = pd.Series([True, pd.NA, True], index=cells, dtype="boolean")
    got = FactorValues.coerce((values, na), 3, "f", cells=cells)
    assert got.covered.tolist() == [True, False, True]
    assert np.isnan(got.values[1])
