"""A statistician's second review of the published statistics, against references and edge cases.

Each test here failed before the fix it names (see the commit that added it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import FACTORS_ONLY, area_share_hits, disk_cells, pirate_events

from pipeline import grid
from pipeline.evaluate.metrics import capture_curve, ranking_metrics
from pipeline.hotspots import (
    GI_BIN,
    GI_P_ADJUSTED,
    GI_P_EXACT,
    SpaceTimeCube,
    emerging_hotspots,
    emerging_skipped,
    gi_star,
    mann_kendall,
    window_correlation,
    window_variance_ratio,
)

# --- emerging trend: the cube's first bins sum fewer slices -------------------------------


def test_a_sparse_trendless_cube_trends_up_as_often_as_down():
    """The first ``time_step_window`` bins sum fewer slices: an empty neighbourhood has a
    smaller ``|z|`` there than later, and Mann-Kendall read that start as a decline.  Sparse
    trendless cubes (0.03 events per bin, window 1) were 'down' in 91 cells and 'up' in 25 of
    six cubes; the trend is now read from the bins with a whole window."""
    cells = disk_cells(8)
    labels = [f"p{i:03d}" for i in range(24)]
    rng = np.random.default_rng(7)
    up = down = tested = 0
    for _ in range(20):
        y = rng.poisson(0.03, (cells.size, len(labels))).astype(float)
        trend = emerging_hotspots(
            SpaceTimeCube(cells, labels, y), {"emerging": {"time_step_window": 1}}
        ).cells["trend"]
        up += int((trend == "up").sum())
        down += int((trend == "down").sum())
        tested += int(trend.notna().sum())
    # symmetric under no trend: the difference of two near-Poisson counts
    assert abs(up - down) <= 3 * np.sqrt(up + down), (up, down)
    # and near the nominal 10 % in all (cells share neighbourhoods: a loose bound)
    assert 0.05 <= (up + down) / tested <= 0.15, (up, down, tested)


def test_full_window_correlation_is_that_of_moving_sums_and_the_ratio_follows():
    """Bins ``k`` apart share ``w + 1 − k`` of their ``w + 1`` slices."""
    c = window_correlation(6, 2, full_windows=True)
    k = np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    np.testing.assert_allclose(c, np.clip(1 - k / 3, 0, None))
    # the exact ratio of the full windows is the variance of S of Gaussian moving sums
    rng = np.random.default_rng(1)
    t, w, reps = 9, 2, 20_000
    slices = rng.standard_normal((reps, t + w))
    z = np.lib.stride_tricks.sliding_window_view(slices, w + 1, axis=1).sum(axis=2)
    s = mann_kendall(z, continuity=False).s
    ratio = s.var() / (t * (t - 1) * (2 * t + 5) / 18.0)
    assert window_variance_ratio(t, w, full_windows=True) == pytest.approx(
        ratio, rel=4 * np.sqrt(2 / reps)
    )


def test_a_window_as_long_as_the_cube_skips_the_trend_with_a_note():
    """With ``time_step_window`` ``T − 1`` no two bins span the whole window: no trend."""
    cells = disk_cells(1)
    cube = SpaceTimeCube(cells, [f"p{i}" for i in range(5)], np.ones((cells.size, 5)))
    opts = {"emerging": {"time_step_window": 4, "min_periods": 4}}
    note = emerging_skipped(cube, opts)
    assert note is not None and "time_step_window of 4" in note["skipped"]
    with pytest.raises(ValueError, match="time_step_window"):
        emerging_hotspots(cube, opts)
    assert emerging_skipped(cube, {"emerging": {"time_step_window": 3}}) is None


# --- Gi* classes: the side is the tail the conditional p measured --------------------------


def skewed_cluster() -> tuple[np.ndarray, np.ndarray, np.uint64]:
    """469 cells: the six neighbours of ``centre`` hold the only small counts (1 each); one
    far cell holds 10,000.  The neighbours' sum (6) is far below its conditional mean (~128,
    the huge count spread over all cells), yet only the draws holding the huge count reach it:
    ``P(S ≥ 6) = 6/468``, an upper tail."""
    centre = grid.points_to_cells([10.0], [40.0], 6)[0]
    cells = np.sort(grid.grid_disk_cells(np.array([centre], dtype="uint64"), 12))
    ring = grid.grid_disk_cells(np.array([centre], dtype="uint64"), 1)
    y = np.zeros(cells.size)
    y[np.isin(cells, ring) & (cells != centre)] = 1.0
    y[0] = 10_000.0  # not next to the centre: its p would not be 6/468
    return cells, y, centre


@pytest.mark.parametrize(
    "options",
    [{"fdr": False}, {"fdr": False, "p_value": "permutation", "permutations": 1999}],
)
def test_a_significantly_high_neighbour_sum_is_a_hot_spot_even_below_its_mean(options):
    """Before: 'cold spot 95%' for the centre (the side was that of the sum against its mean,
    the p that of the upper tail); esda and the exact null both put it in the upper tail."""
    cells, y, centre = skewed_cluster()
    out = gi_star(cells, y, options)
    row = out[out["cell"] == centre].iloc[0]
    assert row[GI_P_ADJUSTED] <= 0.05
    if "p_value" not in options:
        assert row[GI_P_EXACT] == pytest.approx(6 / 468, rel=1e-9)
    assert row[GI_BIN] == 2, row.to_dict()
    # no cell of this map holds a significantly low neighbour sum: every count is >= 0 and
    # most neighbourhoods are empty, the most common draw
    assert (out[GI_BIN] < 0).sum() == 0


def test_the_emerging_bins_take_the_side_of_the_tail_too():
    cells, y, centre = skewed_cluster()
    t = 4
    cube = SpaceTimeCube(cells, [f"2024-0{i + 1}" for i in range(t)], np.tile(y[:, None], t))
    got = emerging_hotspots(
        cube,
        {"fdr": False, "emerging": {"time_step_window": 0, "min_periods": 2}},
        keep_bins=True,
    )
    bins = got.bins[got.bins["cell"] == centre]
    assert got.p_value == "exact"
    assert (bins[GI_P_ADJUSTED] <= 0.10).all()
    assert (bins[GI_BIN] > 0).all(), bins
    row = got.cells[got.cells["cell"] == centre].iloc[0]
    assert row["hot_periods"] == t and row["cold_periods"] == 0


# --- back-test: ties at the cut -------------------------------------------------------------


def test_one_rate_per_km2_through_the_area_offset_is_a_tie_at_every_cut():
    """A count model's quiet cells share one rate per km², computed as
    ``exp(b + log(area / mean area)) / area``: equal but for the last bits.  Ranked by those
    bits, that constant had a PAI of 0.66 at 1 % of the area; tied, it is exactly 1, as the
    ``uniform`` baseline."""
    cells = disk_cells(10, res=5)
    area = grid.cell_area_km2(cells)
    rate = np.exp(-3.0 + np.log(area / area.mean())) / area
    assert np.unique(rate).size > 1  # the round-off this is about
    test = np.random.default_rng(0).poisson(1.0, cells.size).astype(float)
    rows = ranking_metrics(rate, area, test, (0.01, 0.05, 0.2))
    assert [r["pai"] for r in rows] == [1.0, 1.0, 1.0]
    # a real difference (one part in a million) still ranks
    step = rate * np.where(np.arange(cells.size) % 2, 1.0, 1.0 + 1e-6)
    knots, _ = capture_curve(step, area, test)
    assert knots.size == 3


@pytest.mark.shared
def test_back_test_hit_rates_on_pirate_attacks_equal_a_hand_computation(shared_data):
    """Three yearly origins on the real incidents, all prior counts per km² as the ranking:
    the hit rate at 1 % and 5 % of the area is the hand computation from h3's own cells
    (tied groups at the cut counted in proportion to the area flagged), and the spread is the
    sample sd over the origins."""
    import h3

    from pipeline.evaluate import rolling_back_test

    raw = pirate_events(shared_data)
    ev = pd.DataFrame({"time": raw.time, "lon": raw.longitude, "lat": raw.latitude})
    res, fractions = 3, (0.01, 0.05)
    hexes = sorted({h3.latlng_to_cell(a, b, res) for a, b in zip(ev.lat, ev.lon, strict=True)})
    ring = sorted({c for h in hexes for c in h3.grid_disk(h, 1)})
    cells = np.array([int(h, 16) for h in ring], dtype="uint64")
    out = rolling_back_test(
        ev,
        cells,
        origins=3,
        horizon_days=365,
        train_days=730,
        area_fractions=fractions,
        baselines=("all_prior_counts",),
    )
    assert len(out["origins"]) == 3
    area = np.array([h3.cell_area(h, unit="km^2") for h in ring])
    index = {h: i for i, h in enumerate(ring)}

    def counts(frame) -> np.ndarray:
        v = np.zeros(len(ring))
        for a, b in zip(frame.lat, frame.lon, strict=True):
            v[index[h3.latlng_to_cell(a, b, res)]] += 1
        return v

    hand = {a: [] for a in fractions}
    for o in out["origins"]:
        t, s, e = (pd.Timestamp(o[k]) for k in ("origin", "train_start", "test_end"))
        train = counts(ev[(ev.time >= s) & (ev.time < t)])
        test_frame = ev[(ev.time >= t) & (ev.time < e)]
        test = counts(test_frame)
        score = train / area
        for i, a in enumerate(fractions):
            hit = area_share_hits(score, area, test, a)
            got = o["methods"]["all_prior_counts"]["metrics"][i]
            assert got["hit_rate"] == pytest.approx(hit / len(test_frame), abs=1e-6)
            assert got["pai"] == pytest.approx(hit / len(test_frame) / a, abs=1e-5)
            hand[a].append(hit / len(test_frame))
    summary = out["summary"]["all_prior_counts"]["at"]
    for i, a in enumerate(fractions):
        assert summary[i]["hit_rate"]["mean"] == pytest.approx(np.mean(hand[a]), abs=1e-6)
        assert summary[i]["hit_rate"]["sd"] == pytest.approx(np.std(hand[a], ddof=1), abs=1e-6)


# --- fitted model: a factor missing only at the forecast ---------------------------------

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


def factor_events(rng, cells, eta, days: float = 730.0) -> pd.DataFrame:
    """Poisson events at the cell centres, ``exp(-3.5 + eta)`` a day, over ``days``."""
    k = rng.poisson(np.exp(-3.5 + eta) * days)
    lat, lon = grid.cells_to_latlng(np.repeat(cells, k))
    when = ORIGIN - pd.to_timedelta(rng.random(k.sum()) * days, unit="D")
    return pd.DataFrame({"time": when, "lon": lon, "lat": lat})


def test_a_factor_missing_only_at_the_forecast_says_its_cells_take_the_mean():
    """A per-date factor table that covers every cell at the training origins but misses
    some today: the missing indicator is constant over the training rows, so the forecast of
    those cells rests on the mean fill alone.  Before, the report said only "constant over
    the training rows"; it now names the factor and the cells."""
    import pandas as pd

    from pipeline.model import FittedModel, FittedOptions

    cells = disk_cells(6, res=5)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(cells.size)
    events = factor_events(rng, cells, 0.8 * x)
    origin = ORIGIN
    gap = np.arange(cells.size) < 40

    def factors_at(day):
        return pd.DataFrame({"cell": cells, "x": np.where(gap & (day >= origin), np.nan, x)})

    opts = FittedOptions(**FACTORS_ONLY, factor_transforms={"x": "linear"})
    model = FittedModel(opts).fit(events, cells, origin, factors=factors_at)
    report = model.report()
    why = {d["name"]: d["reason"] for d in report["dropped"]}
    assert "x__missing" in why
    assert "misses 40 cell(s) at the forecast" in why["x__missing"], why
    assert "'x'" in why["x__missing"]


# --- Gi* neighbourhoods: a band narrower than the grid -------------------------------------


def test_a_distance_band_below_the_cell_spacing_is_refused_not_silently_empty():
    """At resolution 6 neighbouring centres lie ~6.6 km apart; a 2 km band left every cell
    alone in its neighbourhood.  The exact p (the default) was then 1 everywhere -- a map
    with no hot spot, said nowhere -- and the normal p called two lone counts 'hot spot 99%'."""
    from pipeline.errors import InputError
    from pipeline.hotspots import cells_to_weights, gi_summary

    cells = disk_cells(5)
    y = np.zeros(cells.size)
    y[:5] = [30, 20, 10, 5, 8]
    for options in ({"distance_band_km": 2.0}, {"distance_band_km": 2.0, "p_value": "normal"}):
        with pytest.raises(InputError, match=r"distance_band_km 2\.0 leaves every one of the 91"):
            gi_star(cells, y, options)
    # a band that reaches the next centre is fine; a lone cell among others is counted
    island = grid.points_to_cells([12.0], [40.0], 6)
    both = np.concatenate([cells, island])
    out = gi_star(both, np.r_[y, 3.0], {"distance_band_km": 7.0})
    assert gi_summary(out)["cells_without_neighbours"] == 1
    assert cells_to_weights(cells, distance_band_km=7.0).neighbours.max() == 7


# --- emerging: a period without any event is read as zeros, and said ------------------------


def test_a_period_without_any_event_is_named_with_the_assumption():
    """Missing is not zero: a month with no seizure anywhere in the area (a gap in the feed,
    or a quiet month) enters the cube as zeros and reads as a drop.  The summary said nothing
    of it; it now names the month and the assumption."""
    from pipeline.hotspots import emerging_summary

    cells = disk_cells(3)
    rng = np.random.default_rng(4)
    y = rng.poisson(2.0, (cells.size, 8)).astype(float)
    y[:, 5] = 0.0
    labels = [f"2024-{m:02d}" for m in range(1, 9)]
    result = emerging_hotspots(SpaceTimeCube(cells, labels, y))
    note = emerging_summary(result)["empty_periods"]
    assert note is not None and note["periods"] == ["2024-06"]
    assert "not as missing" in note["assumption"]
    y[:, 5] = 1.0
    assert (
        emerging_summary(emerging_hotspots(SpaceTimeCube(cells, labels, y)))["empty_periods"]
        is None
    )


# --- references: esda on irregular neighbourhoods, exact p by enumeration -------------------


@pytest.mark.parametrize(
    "neighbourhood", [{"k_rings": 1}, {"k_rings": 2}, {"distance_band_km": 25.0}]
)
def test_z_equals_esda_with_holes_an_island_ties_and_all_zero(neighbourhood):
    """A lattice with 30 % of its cells removed (holes, ragged edges) and one far island;
    counts with many ties, and one count among zeros.  A check: it held before."""
    import warnings

    from scipy import sparse

    from pipeline.hotspots import GI_Z, cells_to_weights

    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(1)
    lattice = disk_cells(6)
    island = grid.points_to_cells([60.0], [10.0], 6)
    cells = np.concatenate([lattice[rng.random(lattice.size) > 0.3], island])
    w = cells_to_weights(cells, **neighbourhood)
    off = w.matrix.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw = libpysal.weights.WSP(sparse.csr_matrix(off)).to_W(silence_warnings=True)
    for y in (
        np.repeat([0.0, 1.0, 2.0], w.n // 3 + 1)[: w.n],
        np.r_[np.zeros(w.n - 1), 1.0],
        rng.poisson(0.5, w.n).astype(float),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = esda.G_Local(y, lw, transform="B", star=True, permutations=0)
        ours = gi_star(w.cells, y, {"permutations": 0, "p_value": "normal"}, weights=w)
        np.testing.assert_allclose(ours[GI_Z].to_numpy(), ref.Zs, rtol=0, atol=1e-9)
    zero = gi_star(w.cells, np.zeros(w.n), weights=w)
    assert (zero[GI_Z] == 0).all() and (zero[GI_BIN] == 0).all()


def test_exact_p_equals_enumeration_at_edges_and_an_island():
    """Every k-subset of the other cells enumerated: edge cells (fewer neighbours), an island
    (no neighbour: p 1), negative and tied integers.  A check: it held before (to 1e-15)."""
    import itertools

    from pipeline.hotspots import cells_to_weights, exact_p

    lattice = disk_cells(1)
    cells = np.concatenate([lattice, grid.points_to_cells([12.0], [40.0], 6)])
    w = cells_to_weights(cells, k_rings=1)
    m = w.matrix.toarray()
    rng = np.random.default_rng(3)
    for y in (rng.integers(0, 4, w.n).astype(float), np.r_[-2.0, -1.0, np.zeros(w.n - 2)]):
        ref = np.ones(w.n)
        for i in range(w.n):
            nb = [j for j in range(w.n) if m[i, j] > 0 and j != i]
            if not nb:
                continue
            others = [j for j in range(w.n) if j != i]
            sums = np.array([y[list(c)].sum() for c in itertools.combinations(others, len(nb))])
            obs = y[nb].sum()
            ref[i] = min((sums >= obs - 1e-9).mean(), (sums <= obs + 1e-9).mean())
        np.testing.assert_allclose(exact_p(w.matrix, y), ref, rtol=0, atol=1e-12)


def test_coefficient_draws_of_the_expected_counts_match_statsmodels_get_prediction():
    """The published interval's draws use the fitted model's coefficients, cluster-robust
    covariance, standardised forecast features and offsets (FittedCoefficients).  Drawn for
    the expected events per cell, their 5-95 % quantiles are the delta-method interval of
    statsmodels' ``get_prediction`` on the same design, a factor missing in 30 % of the cells
    included (mean fill + indicator).  A check: it held before (to 0.3 %)."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    from pipeline.hotspots import FittedCoefficients, UncertaintyOptions, parametric_cells
    from pipeline.model import FittedModel, FittedOptions

    cells = disk_cells(6, res=5)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(cells.size)
    events = factor_events(rng, cells, 0.6 * x)
    table = pd.DataFrame({"cell": cells, "x": np.where(rng.random(cells.size) < 0.3, np.nan, x)})
    opts = FittedOptions(**FACTORS_ONLY, factor_transforms={"x": "linear"})
    model = FittedModel(opts).fit(events, cells, ORIGIN, factors=table)
    fc = FittedCoefficients.from_model(model)
    assert fc is not None and fc.params.size == 3  # intercept, x, x__missing
    f = model.features_
    z = (f.x_train - model.mean_) / np.where(model.sd_ > 0, model.sd_, 1.0)
    exog = np.column_stack([np.ones(len(z)), z[:, model.fit_.active]])
    alpha = model.fit_.alpha  # the unexplained variation of the filled cells: NB2 here
    family = families.NegativeBinomial(alpha=alpha) if alpha else families.Poisson()
    ref = GLM(f.y_train, exog, family=family, offset=f.offset_train).fit(
        cov_type="cluster", cov_kwds={"groups": f.cell_train}
    )
    np.testing.assert_allclose(fc.params, ref.params, rtol=1e-6)
    np.testing.assert_allclose(fc.cov, ref.cov_params(), rtol=1e-6)
    pred = ref.get_prediction(np.column_stack([np.ones(len(fc.z)), fc.z]), offset=fc.offset)
    frame = pred.summary_frame(alpha=0.10)
    np.testing.assert_allclose(model.expected_, frame["mean"], rtol=1e-9)
    got = parametric_cells(
        fc.params,
        fc.cov,
        lambda b: np.exp(b[0] + fc.offset + fc.z @ b[1:]),
        fc.cells,
        options=UncertaintyOptions(n_resamples=4000),
    )
    np.testing.assert_allclose(got["value_lower"], frame["mean_ci_lower"], rtol=0.01)
    np.testing.assert_allclose(got["value_upper"], frame["mean_ci_upper"], rtol=0.01)
