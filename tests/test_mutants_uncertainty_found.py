"""Tests that a hand mutation analysis of the uncertainty modules found missing (task hGV).

``pipeline/hotspots/_uncertainty.py`` (the bootstrap of the events, the coefficient draws, the
memory bounds) and ``pipeline/hotspots/_risk_uncertainty.py`` (the density operator, the
resampled density, the fitted model's risk).  Each test fails on a small, plausible mutant
that left every other test passing, or on a defect the analysis found, and checks values
against an independent reference: resamples drawn by hand with a seeded
``numpy.random.default_rng``, a kernel density recomputed from the resampled events, scipy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import disk_cells

from pipeline import grid
from pipeline.errors import InputError
from pipeline.hotspots import (
    FittedCoefficients,
    UncertaintyOptions,
    bootstrap_cells,
    breaks_classifier,
    counts_statistic,
    density_operator,
    density_risk_statistic,
    fitted_risk_statistic,
    parametric_cells,
)
from pipeline.score import normalise

# --------------------------------------------------------------------------- bootstrap


def test_two_breaks_make_one_class():
    """Two breaks are one class (the fewest the map allows): every value is class 0."""
    classify = breaks_classifier([0.0, 100.0])
    np.testing.assert_array_equal(classify(np.array([0.0, 37.5, 100.0])), [0, 0, 0])
    with pytest.raises(InputError, match="at least 2"):
        breaks_classifier([5.0])


def test_bootstrap_is_the_percentile_interval_of_resamples_drawn_by_hand():
    """Each resample is ``N`` draws with replacement from the ``N`` events by the seeded
    generator; the interval is numpy's percentile of the counts per cell over them, and the
    stability the share of them in the class of the observed count."""
    cells = disk_cells(1)
    events = np.repeat(cells, [5, 3, 2, 1, 1, 0, 4])
    n, b, seed = events.size, 30, 12
    breaks = [0.0, 2.5, 100.0]
    out = bootstrap_cells(
        n,
        counts_statistic(events, cells),
        cells,
        classify=breaks_classifier(breaks),
        options={"n_resamples": b, "interval": (0.1, 0.9)},
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    drawn = [events[rng.integers(0, n, n)] for _ in range(b)]
    counts = np.array([pd.Series(d).value_counts().reindex(cells, fill_value=0) for d in drawn])
    observed = pd.Series(events).value_counts().reindex(cells, fill_value=0).to_numpy()
    np.testing.assert_array_equal(out["value"], observed)
    np.testing.assert_allclose(out["value_lower"], np.percentile(counts, 10, axis=0), atol=1e-12)
    np.testing.assert_allclose(out["value_upper"], np.percentile(counts, 90, axis=0), atol=1e-12)
    in_class = (counts >= 2.5) == (observed >= 2.5)
    np.testing.assert_allclose(out["value_class_stability"], in_class.mean(axis=0), atol=1e-12)


def test_counts_follow_the_cells_in_the_order_given():
    """The counts are aligned with ``cells`` as given, not with their sorted order."""
    cells = disk_cells(1)[::-1].copy()
    events = np.repeat(cells, [0, 1, 2, 3, 4, 5, 6])
    got = counts_statistic(events, cells)(np.ones(events.size))
    expected = pd.Series(events).value_counts().reindex(cells, fill_value=0).to_numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, [0, 1, 2, 3, 4, 5, 6])


def test_no_events_are_a_constant_statistic_and_a_negative_count_is_refused():
    """``N = 0`` is a valid (empty) sample: every resample is empty, the counts stay 0."""
    cells = disk_cells(1)
    out = bootstrap_cells(0, counts_statistic(cells[:0], cells), cells, options={"n_resamples": 10})
    assert (out[["value", "value_lower", "value_upper"]].to_numpy() == 0.0).all()
    with pytest.raises(InputError, match="n_events must be >= 0, got -1"):
        bootstrap_cells(-1, counts_statistic(cells[:0], cells), cells)


def test_a_skewed_statistic_s_interval_need_not_contain_its_observed_value():
    """The percentile interval is that of the resamples, not widened to the observed value:
    the largest multiplicity is 1 for the data but at least 2 in nearly every resample of 12
    events (and the smallest 0), as the same resamples drawn by hand show."""
    n, b, seed = 12, 200, 4
    out = bootstrap_cells(
        n,
        lambda w: np.array([w.max(), w.min()]),
        np.array([1, 2], dtype="uint64"),
        options={"n_resamples": b},
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    m = np.array([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)])
    values = np.column_stack([m.max(axis=1), m.min(axis=1)])
    np.testing.assert_array_equal(out["value"], [1.0, 1.0])
    np.testing.assert_allclose(out["value_lower"], np.percentile(values, 5, axis=0))
    np.testing.assert_allclose(out["value_upper"], np.percentile(values, 95, axis=0))
    assert out.loc[0, "value_lower"] >= 2.0 and out.loc[1, "value_upper"] == 0.0


def test_memory_refusal_names_the_smallest_matrix_it_would_need():
    """The refusal says how much the draws need at the least (float32: 4 bytes a value),
    the budget and the settings that lift it: 100 resamples of 5,000 cells are 2,000,000
    bytes (1.9 MiB) against 1 MiB."""
    cells = np.arange(5000, dtype="uint64")
    with pytest.raises(InputError) as err:
        bootstrap_cells(
            3,
            lambda w: np.zeros(5000),
            cells,
            options={"n_resamples": 100, "max_bytes": 2**20},
        )
    assert str(err.value) == (
        "100 resamples of 5,000 cells need 2 MiB, above max_bytes 1048576; use fewer"
        " resamples (hotspots.uncertainty.n_resamples), a larger"
        " hotspots.uncertainty.max_bytes, fewer cells or hotspots.uncertainty.enabled: false"
    )


def test_float32_draws_keep_a_cell_the_resamples_do_not_move_on_its_value():
    """Above ``max_bytes`` in float64 the draws are float32, but a risk near 90 in float32
    is off by up to 4e-6, past the tables' 6 decimals: a cell the seizures cannot move had
    its zero-width interval published beside its own risk.  Its interval is its risk, an
    end at 0 stays 0 (not 5e-7), and the others are those of float64 draws to a few 1e-7 of
    their change from the value (float32's rounding of the change, not of the value)."""
    n = 30_000
    base = np.round(np.random.default_rng(0).uniform(0.0, 100.0, n), 6)
    kind = np.arange(n) % 3  # 0: never moves, 1: moves a little, 2: gone without event 2

    def statistic(w):
        small = base + 0.01 * (w[0] - 1.0) + 0.001 * (w[1] - 1.0)
        return np.select([kind == 0, kind == 1], [base, small], base * w[2] / 3.0)

    cells = np.arange(n, dtype="uint64")
    small = {"n_resamples": 10, "max_bytes": 2**21}  # 10 x 30,000 float64 do not fit 2 MiB
    half = bootstrap_cells(5, statistic, cells, options=small, seed=3)
    full = bootstrap_cells(5, statistic, cells, options={"n_resamples": 10}, seed=3)
    still = kind == 0
    np.testing.assert_array_equal(half.loc[still, "value_lower"], base[still])
    np.testing.assert_array_equal(half.loc[still, "value_upper"], base[still])
    assert (half["value_lower"] <= half["value_upper"]).all()
    inside = (full["value_lower"] <= full["value"]) & (full["value"] <= full["value_upper"])
    assert ((half["value_lower"] <= half["value"]) & (half["value"] <= half["value_upper"]))[
        inside
    ].all()
    gone = full["value_lower"].to_numpy() == 0.0
    assert gone.sum() > 1000
    np.testing.assert_array_equal(half.loc[gone, "value_lower"], 0.0)
    for col in ("value_lower", "value_upper"):  # float32: 2^-24 of the change from the value
        change = np.abs(full[col] - full["value"]).to_numpy()
        assert (np.abs(half[col] - full[col]).to_numpy() <= 2.5e-7 * change).all()


# --------------------------------------------------------------------------- coefficient draws


def test_a_skewed_parametric_interval_is_the_chi2_quantiles_not_widened_to_the_estimate():
    """``p²`` of ``p ~ N(0, 1)`` is chi² with one degree of freedom: its 5-95 % interval is
    (0.0039, 3.84) (scipy), which leaves out the value 0 at the estimate."""
    from scipy import stats

    out = parametric_cells(
        np.zeros(1),
        np.eye(1),
        lambda p: np.array([p[0] ** 2]),
        np.array([1], dtype="uint64"),
        options=UncertaintyOptions(n_resamples=4000),
        seed=1,
    )
    assert out.loc[0, "value"] == 0.0
    lo, hi = stats.chi2.ppf([0.05, 0.95], 1)
    assert 0.5 * lo < out.loc[0, "value_lower"] < 1.5 * lo
    assert abs(out.loc[0, "value_upper"] - hi) < 0.1 * hi


def test_parametric_refuses_a_covariance_that_is_not_finite():
    """A NaN in the covariance is refused by name, also when the statistic would not show it
    (NaN draws of a statistic that ignores them would give an interval of nothing)."""
    with pytest.raises(InputError, match="cov must be a finite 1x1 matrix"):
        parametric_cells(
            np.zeros(1),
            np.full((1, 1), np.nan),
            lambda p: np.zeros(2),
            np.arange(2, dtype="uint64"),
        )


@pytest.mark.parametrize(
    ("cov", "message"),
    [
        ([[1.0, 2.0], [2.0, 1.0]], r"positive semi-definite, got an eigenvalue of -1\.0"),
        ([[1.0, 0.5], [0.1, 1.0]], r"symmetric, got cov\[0, 1\] = 0\.5 and cov\[1, 0\] = 0\.1"),
    ],
    ids=["indefinite", "asymmetric"],
)
def test_parametric_refuses_a_matrix_that_is_no_covariance(cov, message):
    """numpy draws from an indefinite matrix with a warning only (with the absolute values of
    its eigenvalues: here two unit variances, not a variance of -1), and the lower triangle of
    an asymmetric one: an interval of another distribution with exit 0.  Both are refused."""
    cells = np.arange(2, dtype="uint64")
    with pytest.raises(InputError, match=message):
        parametric_cells(np.zeros(2), np.array(cov), lambda p: p, cells)


def test_parametric_takes_round_off_asymmetry_and_options_as_a_dict():
    """A covariance symmetric to round-off (a sandwich estimator's) is drawn from as the
    symmetric one, and the options may be a dict as for :func:`bootstrap_cells`."""
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    off = cov.copy()
    off[0, 1] += 1e-12
    cells = np.arange(2, dtype="uint64")
    a = parametric_cells(np.ones(2), off, lambda p: p, cells, options={"n_resamples": 20})
    b = parametric_cells(
        np.ones(2), cov, lambda p: p, cells, options=UncertaintyOptions(n_resamples=20)
    )
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


# --------------------------------------------------------------------------- the resampled density


def _events(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 170, n), unit="D"),
            "lon": 10.0 + rng.normal(0, 0.15, n),
            "lat": 40.0 + rng.normal(0, 0.15, n),
            "commodity": rng.choice(["cocaine", "cannabis", "arms"], n),
            "quantity": rng.uniform(1.0, 50.0, n).round(1),
        }
    )


@pytest.mark.parametrize("edge", [False, True], ids=["plain", "edge-corrected"])
def test_resampled_risk_is_the_score_of_the_resampled_events_recomputed(edge):
    """The shortcut ``D (K(b m)) / (K b)`` gives, for any resample, the risk the run would
    publish for the resampled events themselves (each event repeated ``m`` times): their
    kernel density recomputed by :func:`density_on_cells` (decay, commodity weights and
    quantities, the edge correction) and scored again with the other factor fixed.  A
    missing quantity keeps the median the run filled in (README), not one of the resample."""
    from pipeline.builtin_factors import density_on_cells
    from pipeline.config import DensityConfig
    from pipeline.density import seizure_quantities, seizure_weights
    from pipeline.score import score_cells

    cells = disk_cells(5)
    window = cells[: cells.size * 3 // 4]
    ev = _events(40, 3)
    ev.loc[::5, "quantity"] = np.nan
    filled = ev.assign(quantity=seizure_quantities(ev)[0])
    as_of = pd.Timestamp("2026-06-30", tz="UTC")
    d = DensityConfig(
        bandwidth_km=20.0,
        kernel="quartic",
        half_life_days=60.0,
        use_quantity=True,
        commodity_weights={"cocaine": 3.0, "arms": 0.5},
        edge_correction=edge,
    )
    other = np.random.default_rng(5).random(cells.size)

    def published(events):
        dens, info = density_on_cells(events, cells, as_of, d, window)
        assert info["method"] == "direct"  # no evaluator error to allow for
        feats = pd.DataFrame({"cell": cells, "seizure_density": dens, "other": other})
        return score_cells(feats, {"seizure_density": 2.0, "other": 1.0})

    scores = published(ev)
    b = seizure_weights(
        ev,
        as_of=as_of,
        half_life_days=60.0,
        use_quantity=True,
        commodity_weights={"cocaine": 3.0, "arms": 0.5},
    )
    k = density_operator(ev.lon, ev.lat, cells, bandwidth_km=20.0, kernel=d.kernel)
    stat = density_risk_statistic(
        k,
        b,
        scores["seizure_density"],
        scores["risk"],
        scores["seizure_density__contrib"],
        np.full(cells.size, 2.0 / 3.0),
    )
    rng = np.random.default_rng(9)
    for _ in range(3):
        m = np.bincount(rng.integers(0, len(ev), len(ev)), minlength=len(ev))
        again = published(filled.loc[np.repeat(np.arange(len(ev)), m)].reset_index(drop=True))
        np.testing.assert_allclose(stat(m.astype(float)), again["risk"], rtol=1e-9, atol=1e-9)


def test_density_operator_refuses_positions_of_different_lengths_and_an_infinite_bandwidth():
    """One latitude for five longitudes is refused (not broadcast to five events on one
    parallel); an infinite bandwidth is not a bandwidth."""
    cells = disk_cells(1)
    lon = 10.0 + np.arange(5) * 0.01
    with pytest.raises(
        InputError, match=r"lon and lat must be 1-D and alike, got \(5,\) and \(1,\)"
    ):
        density_operator(lon, np.array([40.0]), cells, bandwidth_km=10.0, kernel="quartic")
    for bad in (np.inf, np.nan, 0.0):
        with pytest.raises(InputError, match="bandwidth_km must be > 0"):
            density_operator(lon, lon * 0 + 40.0, cells, bandwidth_km=bad, kernel="quartic")


def test_no_events_give_an_operator_of_no_columns_and_the_published_risk():
    """Without events ``K`` is cells × 0 (not 0 × cells): the density is then fixed, and the
    statistic gives back the published risk."""
    cells = disk_cells(1)
    k = density_operator([], [], cells, bandwidth_km=10.0, kernel="quartic")
    assert k.shape == (cells.size, 0)
    density = np.linspace(0.1, 0.7, cells.size)  # e.g. a gaussian tail from afar
    points = 50.0 * normalise(density)
    risk = 20.0 + points
    stat = density_risk_statistic(k, [], density, risk, points, np.full(cells.size, 0.5))
    np.testing.assert_allclose(stat(np.ones(0)), risk, rtol=1e-12)


# --------------------------------------------------------------------------- fitted model


def _coefficients(cells: np.ndarray) -> FittedCoefficients:
    area = grid.cell_area_km2(cells)
    z = np.linspace(-1.0, 1.0, cells.size)[:, None]
    region = np.arange(cells.size) != 0
    return FittedCoefficients(
        params=np.array([-2.0, 0.5]),
        cov=np.eye(2) * 0.01,
        z=z,
        offset=np.log(area / area.mean()),
        area=area,
        region=region,
        quiet_mu=np.where(region, 0.0, 1e-3),
        cells=cells,
    )


def test_a_draw_far_in_the_tail_still_ranks_every_cell():
    """A coefficient draw whose linear predictor passes exp's range (``e^800``) ranks that
    cell at the top, as any draw above every other rate, rather than making the cell's
    rate infinite, which has no percentile (the whole interval would be refused)."""
    cells = disk_cells(1)
    fc = _coefficients(cells)
    risk = fitted_risk_statistic(fc)(np.array([0.0, 800.0]))
    assert np.isfinite(risk).all()
    assert risk[-1] == 100.0  # z = 1: the largest predictor, e^800 per km² (clipped)
    assert (np.diff(risk[1:]) >= 0).all()  # the fitted cells in the order of their z
