"""Mutation pass over the hot-spot timeline, the risk's uncertainty and the hot-spot options.

Modules :mod:`pipeline.hotspots._timeline`, :mod:`pipeline.hotspots._risk_uncertainty` and
:mod:`pipeline.hotspots._options`: the gaps the pass found.  Each test names the mutants it
kills.  References are computed independently: quantiles by :func:`numpy.quantile` on the
values written out, densities and scores by :func:`pipeline.score.score_cells` on a kernel
matrix summed by hand, percentiles by hand arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import disk_cells
from scipy import sparse

from pipeline.hotspots import (
    density_risk_statistic,
    global_breaks,
    timeline_summary,
    timeline_table,
)
from pipeline.score import FactorWeight, score_cells

CELLS = disk_cells(1)  # 7 res-6 cells


def _statistic(k, b, scores, share, **options):
    """The risk statistic of kernel matrix ``k`` and event weights ``b`` over ``scores``."""
    return density_risk_statistic(
        sparse.csr_matrix(k),
        b,
        scores["seizure_density"],
        scores["risk"],
        scores["seizure_density__contrib"],
        share,
        **options,
    )


def _events(times: list[str], cells: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.to_datetime(times, utc=True), "cell": CELLS[np.asarray(cells)]})


def _counts(past: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    return past.groupby("cell").size().astype(float)


# --- timeline ------------------------------------------------------------------------------


def test_breaks_ignore_values_that_are_not_finite_and_fall_back_without_any():
    """Mutants: ``isfinite`` made ``~isnan`` (an infinite value made the top break inf), the
    fallback of no finite value made ``[0, 0]`` (no class at all)."""
    want = [float(x) for x in np.quantile([1.0, 2.0, 3.0, 4.0], [0, 0.25, 0.5, 0.75, 1])]
    assert want == [1.0, 1.75, 2.5, 3.25, 4.0]
    assert global_breaks([1.0, np.inf, 2.0, np.nan, 3.0, -np.inf, 4.0], 4) == want
    assert global_breaks([np.nan, np.inf], 3) == [0.0, 1.0]
    assert global_breaks([], 3) == [0.0, 1.0]


def test_all_equal_values_make_one_class_that_holds_them():
    """Mutants: the single value's breaks made ``[v, v]`` (not increasing: the value fell in
    class 0 of no class), the equal-values branch dropped (quantile breaks all ``v``)."""
    ev = _events(["2026-01-03", "2026-01-09", "2026-02-11"], [0, 1, 2])
    tl = timeline_table(ev, ["2026-02"], _counts)  # every cell seen once: all values 1
    assert tl.breaks == [1.0, 2.0]
    assert tl.table["class"].tolist() == [0, 0, 0]
    assert timeline_summary(tl)["cells_per_class"] == {"2026-02": [3]}


def test_quantile_breaks_that_coincide_are_merged_into_fewer_classes():
    """Mutant: ``np.unique`` dropped: eight zeros of ten gave the breaks 0, 0, 0, 0 and the
    zeros the class 3 of 5 (searchsorted past the equal breaks), not the lowest."""
    values = [0.0] * 8 + [1.0, 5.0]
    # numpy's linear quantiles at 0, .2, .4, .6, .8, 1: 0, 0, 0, 0, 0 + 0.2 x (1 - 0), 5
    assert global_breaks(values, 5) == pytest.approx([0.0, 0.2, 5.0], abs=1e-12)

    def score(past, cutoff):  # seven cells: 0 x 5, 1, 5
        return pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0], index=CELLS)

    tl = timeline_table(_events(["2026-01-02"], [0]), ["2026-01"], score)
    # quantiles at 0, 1.2, 2.4, 3.6, 4.8 and 6 of the sorted seven: 0, 0, 0, 0, 0.8, 5
    assert tl.breaks == pytest.approx([0.0, 0.8, 5.0], abs=1e-12)
    assert tl.table["class"].tolist() == [0, 0, 0, 0, 0, 1, 1]


def test_equal_interval_breaks_cut_the_range_into_the_classes_asked():
    """Mutant: ``linspace(lo, hi, classes)`` (one class fewer than asked)."""
    assert global_breaks([3.0, 0.0, 10.0], 5, "equal") == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert global_breaks([3.0, 0.0, 10.0], 1, "equal") == [0.0, 10.0]


def test_an_event_without_a_time_is_refused_not_left_out_of_every_period():
    """Product fix: an event with a missing time (NaT) passed no cutoff, so every period left
    it out without a word (read = 3 events, seen = 2 in every period)."""
    from pipeline.errors import InputError

    ev = _events(["2026-01-03", None, "2026-01-20"], [0, 1, 1])
    with pytest.raises(InputError, match="1 missing time"):
        timeline_table(ev, ["2026-01"], _counts)
    tl = timeline_table(ev.dropna(), ["2026-01"], _counts)
    assert tl.table["risk"].tolist() == [1.0, 1.0]


def test_a_cell_scored_twice_in_a_period_is_refused():
    """Product fix: a scoring function that gave one cell two values made two rows of one
    (cell, period), each with its own class: the slider showed either, without a word."""
    from pipeline.errors import InputError

    def twice(past, cutoff):
        return pd.DataFrame({"cell": CELLS[[0, 1, 0]], "risk": [1.0, 2.0, 5.0]})

    with pytest.raises(InputError, match="1 cell.*more than one value in period '2026-01'"):
        timeline_table(_events(["2026-01-03"], [0]), ["2026-01"], twice)


def test_breaks_given_as_a_bool_are_refused_as_breaks():
    """Mutant (loud either way): the bool check dropped: ``True`` was read as 1 class and
    refused as ``classes``, a name the caller never used."""
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="breaks must be a number of classes or the breaks"):
        timeline_table(_events(["2026-01-03"], [0]), ["2026-01"], _counts, breaks=True)


@pytest.mark.parametrize(
    "breaks",
    [[5.0], [0.0, 10.0, np.inf], [-np.inf, 0.0, 10.0], [0.0, 10.0, 10.0]],
    ids=["one-break", "inf-top", "inf-bottom", "equal-breaks"],
)
def test_given_breaks_must_be_two_finite_increasing_numbers(breaks):
    """Mutants: ``len(b) < 2`` made ``< 1`` (one break: no class, every value in class 0),
    the finiteness check dropped (an infinite top break), ``diff > 0`` made ``>= 0`` (an empty
    class)."""
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="at least 2 increasing numbers"):
        timeline_table(_events(["2026-01-03"], [0]), ["2026-01"], _counts, breaks=breaks)


def test_periods_given_out_of_order_or_twice_are_scored_once_oldest_first():
    """Product fix: periods given as ``["2026-03", "2026-01", "2026-03"]`` were scored in that
    order: March's rows came twice (two rows of one cell and period) and ``periods`` and
    ``cutoffs`` ran March, January, March against the table's rows, sorted January first."""
    ev = _events(["2026-01-03", "2026-02-09", "2026-03-20"], [0, 1, 1])
    seen = []

    def score(past, cutoff):
        seen.append(cutoff.strftime("%Y-%m"))
        return _counts(past, cutoff)

    tl = timeline_table(ev, ["2026-03", "2026-01", "2026-03"], score)
    assert seen == tl.periods == ["2026-01", "2026-03"]
    assert [c[:10] for c in tl.cutoffs] == ["2026-01-31", "2026-03-31"]
    assert tl.table[["period", "risk"]].values.tolist() == [
        ["2026-01", 1.0],
        ["2026-03", 1.0],
        ["2026-03", 2.0],
    ]


def test_the_table_runs_by_period_then_cell_and_labels_read_as_months():
    """Mutants: the rows sorted by cell then period; a ``"YYYY-MM-DD"`` label read as a day
    (its cutoff that day's end), not as its month (``freq="M"`` dropped)."""
    ev = _events(["2026-01-03", "2026-01-09", "2026-01-20"], [1, 0, 1])
    tl = timeline_table(ev, ["2026-01-05", "2026-02"], _counts)
    assert tl.periods == ["2026-01", "2026-02"]
    assert tl.cutoffs[0].startswith("2026-01-31T23:59:59.999999")
    assert tl.table["period"].tolist() == ["2026-01", "2026-01", "2026-02", "2026-02"]
    assert tl.table["cell"].tolist() == [CELLS[0], CELLS[1], CELLS[0], CELLS[1]]
    assert tl.table["risk"].tolist() == [1.0, 2.0, 1.0, 2.0]


def test_as_of_with_an_offset_is_cut_and_stated_in_utc():
    """Mutant: an ``as_of`` with a UTC offset kept its offset (the cutoff stated in +02:00,
    against the documented UTC)."""
    ev = _events(["2026-06-09T21:00", "2026-06-09T23:00"], [0, 1])
    tl = timeline_table(ev, ["2026-06"], _counts, as_of="2026-06-10T00:30+02:00")
    assert tl.cutoffs == ["2026-06-09T22:30:00+00:00"]
    assert tl.table["cell"].tolist() == [CELLS[0]]


def test_the_summary_counts_the_cells_of_every_class_of_the_breaks():
    """Mutant: the summary's classes counted to ``len(breaks) - 2`` (the top class left out)."""
    ev = _events(["2026-01-03", "2026-01-09", "2026-01-20"], [1, 0, 1])
    tl = timeline_table(ev, ["2026-01"], _counts, breaks=[0.0, 1.5, 10.0])
    summary = timeline_summary(tl)
    assert summary["cells_per_class"] == {"2026-01": [1, 1]}
    assert summary["missing_values"] == 0


# --- uncertainty of the published risk -----------------------------------------------------


def _weighted(density: np.ndarray, other: np.ndarray, other_covered: np.ndarray):
    """The published weighted score of a density (NaN: not covered) and one other factor."""
    cells = disk_cells(2)[: density.size]
    feats = pd.DataFrame({"cell": cells, "seizure_density": density, "other": other})
    feats["seizure_density__covered"] = np.isfinite(density)
    feats["other__covered"] = other_covered
    weights = {"seizure_density": 2.0, "other": 1.0}
    return feats, score_cells(feats, weights, covered=feats)


def test_a_cell_without_density_keeps_the_risk_of_its_other_factors():
    """Product fix: a cell whose density is missing (NaN, not covered) and whose other factor
    covers it was given a NaN risk by every resample (``0 × NaN`` points), against the
    docstring's finite values; :func:`bootstrap_cells` then refused the whole run.  The
    published score gives it the other factor's points alone."""
    rng = np.random.default_rng(4)
    n_cells, n_events = 9, 6
    k = rng.random((n_cells, n_events)) * (rng.random((n_cells, n_events)) < 0.6)
    k[7] = 0.0  # a cell no event reaches
    b = rng.uniform(0.5, 2.0, n_events)
    density = k @ b
    density[[2, 5]] = np.nan  # not covered
    other = rng.random(n_cells)
    other_covered = np.ones(n_cells, dtype=bool)
    other_covered[4] = False
    feats, scores = _weighted(density, other, other_covered)
    assert np.isfinite(scores["risk"]).all()
    total = np.where(np.isfinite(density), 2.0, 0.0) + np.where(other_covered, 1.0, 0.0)
    share = np.where(np.isfinite(density), 2.0 / total, 0.0)
    stat = _statistic(k, b, scores, share)
    np.testing.assert_allclose(stat(np.ones(n_events)), scores["risk"], atol=1e-9)
    m = np.array([2.0, 0.0, 1.0, 3.0, 0.0, 0.0])
    again = feats.assign(seizure_density=np.where(np.isfinite(density), k @ (b * m), np.nan))
    want = score_cells(again, {"seizure_density": 2.0, "other": 1.0}, covered=again)["risk"]
    np.testing.assert_allclose(stat(m), want, atol=1e-9)
    # the cells without density: the other factor's 100 × norm alone
    np.testing.assert_allclose(stat(m)[[2, 5]], 100.0 * scores["other__norm"].to_numpy()[[2, 5]])


# --- options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ok", "bad"),
    [
        ({"emerging": {"alpha": 1e-9}}, {"emerging": {"alpha": 0.0}}),
        ({"emerging": {"trend_alpha": 0.99}}, {"emerging": {"trend_alpha": 1.0}}),
        ({"emerging": {"trend_alpha": 1e-9}}, {"emerging": {"trend_alpha": 0.0}}),
        ({"emerging": {"min_periods": 10_000}}, {"emerging": {"min_periods": 10_001}}),
        ({"uncertainty": {"n_resamples": 100_000}}, {"uncertainty": {"n_resamples": 100_001}}),
        ({"seed": 0}, {"seed": -1}),
    ],
    ids=[
        "alpha-0",
        "trend_alpha-1",
        "trend_alpha-0",
        "min_periods-10001",
        "n_resamples-100001",
        "seed-minus-1",
    ],
)
def test_hotspot_options_left_unbounded_take_the_bound_and_refuse_past_it(ok, bad):
    """Mutants: ``gt=0`` made ``ge=0`` on ``emerging.alpha`` or ``trend_alpha`` (a level of 0
    makes no spot and no trend, quietly), ``lt=1`` made ``le=1`` on ``trend_alpha`` (every
    series a significant trend), the upper bounds of ``min_periods`` and ``n_resamples``
    raised, ``seed`` taking a negative value (refused only by numpy, mid-run)."""
    from pipeline.errors import ConfigError
    from pipeline.hotspots import validate_options

    ((section, options),) = ok.items()
    if isinstance(options, dict):
        ((key, value),) = options.items()
        assert getattr(getattr(validate_options(ok), section), key) == value
        where = f"{section}.{key}"
    else:
        assert getattr(validate_options(ok), section) == options
        where = section
    with pytest.raises(ConfigError, match=f"hotspots option {where}"):
        validate_options(bad)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-170.0, 140.0), (10.0, np.nan), (np.inf, 40.0)],
    ids=["lat-past-the-pole", "lat-nan", "lon-inf"],
)
def test_the_kernel_matrix_refuses_positions_off_the_globe(lon, lat):
    """Product fix: a latitude past the pole made a point on the sphere anyway: an event at
    140° N, 170° W weighed in the density at 40° N, 10° E, as much as an event there; a NaN
    came out of scipy's tree as a ValueError.  Both are now one InputError line."""
    from pipeline.errors import InputError
    from pipeline.hotspots import density_operator

    cells = disk_cells(1, res=5)
    here = density_operator([10.0], [40.0], cells, bandwidth_km=30.0, kernel="quartic")
    assert here.sum() > 0  # the position the bad latitude folds onto is in reach
    with pytest.raises(InputError, match="event 1 at lon .*, lat "):
        density_operator([10.0, lon], [40.0, lat], cells, bandwidth_km=30.0, kernel="quartic")


def test_the_kernel_matrix_refuses_positions_that_are_not_one_dimensional():
    """Mutant: the ``ndim != 1`` check dropped: a column of positions (n x 1) went on to the
    tree in place of n events."""
    from pipeline.errors import InputError
    from pipeline.hotspots import density_operator

    with pytest.raises(InputError, match="1-D and alike"):
        density_operator(
            [[10.0], [10.1]], [[40.0], [40.1]], CELLS, bandwidth_km=30.0, kernel="quartic"
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"emerging": {"period": "fortnight"}},
        {"weights": "gaussian"},
        {"values": "density"},
        {"p_value": "bonferroni"},
    ],
    ids=["period", "weights", "values", "p_value"],
)
def test_hotspot_choices_outside_the_documented_ones_are_refused(bad):
    """Mutants: a ``Literal`` of choices made ``str`` (an unknown choice taken, to fail or be
    read as the default deep in an analysis)."""
    from pipeline.errors import ConfigError
    from pipeline.hotspots import validate_options

    ((key, value),) = bad.items()
    where = f"emerging.{next(iter(value))}" if isinstance(value, dict) else key
    with pytest.raises(ConfigError, match=f"hotspots option {where}: Input should be"):
        validate_options(bad)


def _great_circle_km(lon1, lat1, lon2, lat2):
    """Haversine distance (km) on the authalic sphere (radius 6371.0072 km), by hand."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.007180918475 * np.arcsin(np.sqrt(a))


def test_the_kernel_matrix_is_refused_just_above_its_size_and_built_at_it():
    """Mutants: ``>`` made ``>=`` (a matrix of exactly ``max_bytes`` refused), 8 bytes a pair
    (a matrix twice the ceiling built).  The pairs are counted by hand: every (cell, event)
    within the quartic's support of 30 km."""
    from pipeline import grid
    from pipeline.errors import InputError
    from pipeline.hotspots import density_operator

    cells = disk_cells(2)
    lon = np.array([10.0, 10.05, 9.9, 10.3])
    lat = np.array([40.0, 40.1, 39.95, 40.2])
    c_lat, c_lon = grid.cells_to_latlng(cells)
    d = _great_circle_km(c_lon[:, None], c_lat[:, None], lon[None, :], lat[None, :])
    pairs = int((d < 30.0).sum())
    assert 0 < pairs < cells.size * lon.size
    k = density_operator(lon, lat, cells, bandwidth_km=30.0, kernel="quartic", max_bytes=16 * pairs)
    assert k.nnz == pairs
    with pytest.raises(InputError, match=f"has {pairs} pairs"):
        density_operator(
            lon, lat, cells, bandwidth_km=30.0, kernel="quartic", max_bytes=16 * pairs - 1
        )


def test_the_kernel_matrix_of_no_cells_or_no_events_is_empty():
    """Mutant: ``or`` made ``and``: no cells (or no events) went on to build the trees."""
    from pipeline.hotspots import density_operator

    k = density_operator([10.0, 10.1], [40.0, 40.1], CELLS[:0], bandwidth_km=30.0, kernel="quartic")
    assert k.shape == (0, 2) and k.nnz == 0
    k = density_operator([], [], CELLS, bandwidth_km=30.0, kernel="quartic")
    assert k.shape == (CELLS.size, 0) and k.nnz == 0


def test_a_density_no_event_of_the_matrix_reaches_stays_as_published():
    """Mutant: the density of a cell whose row of ``K`` is empty (a density evaluator that
    reaches further than the matrix) set to 0 in every resample, not kept as published."""
    k = np.array([[1.0, 0.5], [0.0, 0.0], [0.2, 1.0]])
    b = np.array([1.0, 2.0])
    density = np.array([2.0, 0.7, 2.2])  # the middle cell's 0.7 comes from no row of K
    feats, scores = _weighted(density, np.array([0.3, 0.6, 0.9]), np.ones(3, dtype=bool))
    share = np.full(3, 2.0 / 3.0)
    stat = _statistic(k, b, scores, share)
    m = np.array([0.0, 2.0])
    again = feats.assign(seizure_density=[2.0 * 2.0 / 2.0, 0.7, 2.2 * 4.0 / 2.2])
    want = score_cells(again, {"seizure_density": 2.0, "other": 1.0}, covered=again)["risk"]
    np.testing.assert_allclose(stat(m), want, atol=1e-9)


@pytest.mark.parametrize(
    ("options", "weights"),
    [
        (
            {"transform": "log"},
            {"seizure_density": FactorWeight(weight=2.0, transform="log"), "other": 1.0},
        ),
        ({"cap_quantile": 0.5}, {"seizure_density": 2.0, "other": 1.0}),
    ],
    ids=["log", "cap-0.5"],
)
def test_the_resampled_risk_normalises_the_density_with_the_score_s_options(options, weights):
    """Mutants: the density's ``transform`` or ``cap_quantile`` not passed to the resamples'
    normalisation (the default linear 0.99 cap used whatever the score's)."""
    rng = np.random.default_rng(8)
    k = rng.random((12, 5)) * (rng.random((12, 5)) < 0.7)
    b = rng.uniform(0.5, 2.0, 5)
    feats = pd.DataFrame({"cell": disk_cells(2)[:12], "seizure_density": k @ b})
    feats["other"] = rng.random(12)
    cap = options.get("cap_quantile", 0.99)
    scores = score_cells(feats, weights, cap_quantile=cap)
    stat = _statistic(k, b, scores, np.full(12, 2.0 / 3.0), **options)
    m = np.array([3.0, 0.0, 1.0, 0.0, 1.0])
    again = feats.assign(seizure_density=k @ (b * m))
    want = score_cells(again, weights, cap_quantile=cap)["risk"]
    np.testing.assert_allclose(stat(np.ones(5)), scores["risk"], atol=1e-9)
    np.testing.assert_allclose(stat(m), want, atol=1e-9)


def test_a_distance_band_keeps_its_fraction_of_a_km():
    """Mutant: the band returned as ``int`` (12.5 km read as 12 km by the weights)."""
    from pipeline.hotspots import HotspotOptions

    assert HotspotOptions(distance_band_km=12.5).neighbourhood == ("distance_band_km", 12.5)
    assert HotspotOptions(k_rings=3).neighbourhood == ("k_rings", 3)


def test_the_risk_bootstrap_is_the_seeded_numpy_bootstrap_and_repeats_byte_for_byte():
    """Reference by hand: the resamples drawn as ``numpy.random.default_rng(seed)``'s
    multinomial counts of the events, each's risk by :func:`score_cells` of its own density,
    and the percentile interval by :func:`numpy.quantile`; two runs give the same bytes."""
    from pipeline.hotspots import UncertaintyOptions, bootstrap_cells

    rng = np.random.default_rng(5)
    k = rng.random((12, 6)) * (rng.random((12, 6)) < 0.7)
    b = rng.uniform(0.5, 2.0, 6)
    feats = pd.DataFrame({"cell": disk_cells(2)[:12], "seizure_density": k @ b})
    feats["other"] = rng.random(12)
    weights = {"seizure_density": 2.0, "other": 1.0}
    scores = score_cells(feats, weights)
    stat = _statistic(k, b, scores, np.full(12, 2.0 / 3.0))
    options = UncertaintyOptions(n_resamples=25, interval=(0.1, 0.9))
    got = bootstrap_cells(6, stat, feats["cell"], options=options, seed=7, name="risk")
    again = bootstrap_cells(6, stat, feats["cell"], options=options, seed=7, name="risk")
    assert got.to_csv(index=False).encode() == again.to_csv(index=False).encode()
    draws = np.random.default_rng(7)
    risks = []
    for _ in range(25):
        m = np.bincount(draws.integers(0, 6, 6), minlength=6).astype(float)
        risks.append(score_cells(feats.assign(seizure_density=k @ (b * m)), weights)["risk"])
    lo, hi = np.quantile(np.column_stack(risks), [0.1, 0.9], axis=1)
    np.testing.assert_allclose(got["risk"], scores["risk"], atol=1e-9)
    np.testing.assert_allclose(got["risk_lower"], lo, atol=1e-9)
    np.testing.assert_allclose(got["risk_upper"], hi, atol=1e-9)


def test_integer_values_with_a_missing_one_are_floats_and_the_missing_one_has_no_class():
    """Mutant: the value column not made float64: a scoring function's nullable integers kept
    their dtype (``<NA>`` in the table, not NaN)."""

    def score(past, cutoff):
        return pd.DataFrame({"cell": CELLS[:3], "risk": pd.array([1, pd.NA, 3], dtype="Int64")})

    tl = timeline_table(_events(["2026-01-03"], [0]), ["2026-01"], score)
    assert tl.table["risk"].dtype == np.float64
    assert np.isnan(tl.table["risk"].iloc[1])
    assert tl.table["class"].tolist() == [0, -1, 4]
    assert timeline_summary(tl)["missing_values"] == 1


def test_the_risk_statistic_refuses_an_operator_of_other_cells_or_events():
    """Mutant: the shape check dropped: a density of one cell broadcast over every row of the
    operator, other sizes ended in numpy's broadcast errors."""
    from pipeline.errors import InputError

    k = sparse.csr_matrix(np.ones((3, 2)))
    one = np.ones(1)
    with pytest.raises(InputError, match=r"operator has shape \(3, 2\), expected .*\(1, 2\)"):
        density_risk_statistic(k, np.ones(2), one, one, one, one)
    with pytest.raises(InputError, match=r"operator has shape \(3, 2\), expected .*\(3, 3\)"):
        density_risk_statistic(k, np.ones(3), np.ones(3), np.ones(3), np.ones(3), np.ones(3))
