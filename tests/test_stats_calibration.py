"""Do the published statistics hold their claims in repeated samples? Seeded small simulations.

Each test draws data from a known process (no clustering, no trend, a known count model, a
factor that matters or not), runs the project's own public functions on it, and compares the
rate or coverage observed with the nominal one, within a tolerance set by the Monte-Carlo error
of the replicates drawn.  ``sim/`` in the repository has the larger versions whose numbers are
quoted in the README.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from pipeline import grid
from pipeline.hotspots import (
    SpaceTimeCube,
    emerging_hotspots,
    gi_star,
    mann_kendall,
    window_correlation,
    window_variance_ratio,
)

# ----------------------------------------------------------------------------- helpers


def disk(radius: int, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), radius))


def mc_tolerance(p: float, n_eff: float, k: float = 4.0) -> float:
    """``k`` binomial standard errors of a rate ``p`` over ``n_eff`` independent trials."""
    return k * float(np.sqrt(p * (1.0 - p) / n_eff))


# ----------------------------------------------------------- 1. null of no clustering


@pytest.mark.parametrize("lam", [0.3, 3.0])
def test_gi_star_flags_at_most_the_nominal_share_of_cells_under_no_clustering(lam):
    """Homogeneous Poisson counts: each level flags <= its alpha per cell (no FDR) and the
    FDR-corrected classes flag any cell at all in <= alpha of the maps (global null: FDR = FWER).
    """
    cells = disk(8)  # 217 cells
    rng = np.random.default_rng(1)
    reps = 40
    per_cell = np.zeros(3)
    any_fdr = np.zeros(3)
    for r in range(reps):
        y = rng.poisson(lam, cells.size).astype(float)
        raw = gi_star(cells, y, {"permutations": 0, "fdr": False, "seed": r})["gi_bin"]
        fdr = gi_star(cells, y, {"permutations": 0, "seed": r})["gi_bin"]
        for i, level in enumerate((1, 2, 3)):
            per_cell[i] += (np.abs(raw.to_numpy()) >= level).mean() / reps
            any_fdr[i] += (np.abs(fdr.to_numpy()) >= level).any() / reps
    for rate, alpha in zip(per_cell, (0.10, 0.05, 0.01), strict=True):
        # neighbouring cells share counts: a tenth of the cells as independent trials
        assert rate <= alpha + mc_tolerance(alpha, reps * cells.size / 10), (rate, alpha)
    for rate, alpha in zip(any_fdr, (0.10, 0.05, 0.01), strict=True):
        assert rate <= alpha + mc_tolerance(alpha, reps), (rate, alpha)


def trend_rate(window: int, periods: int, lam: float, reps: int, seed: int) -> float:
    cells = disk(8)
    rng = np.random.default_rng(seed)
    labels = [f"p{i:03d}" for i in range(periods)]
    flagged = 0.0
    for _ in range(reps):
        y = rng.poisson(lam, (cells.size, periods)).astype(float)
        out = emerging_hotspots(
            SpaceTimeCube(cells, labels, y), {"emerging": {"time_step_window": window}}
        ).cells
        flagged += (out["trend"] != "none").mean() / reps
    return flagged


@pytest.mark.parametrize(("window", "periods"), [(1, 24), (2, 12)])
def test_emerging_trend_on_a_trendless_cube_is_flagged_at_the_nominal_rate(window, periods):
    """Independent slices, no trend: ``trend`` is up or down in ``trend_alpha`` (10 %) of cells.

    With a window the space-time z-scores of consecutive periods share slices; Mann-Kendall's
    plain variance then called 23 % (window 1) and 34 % (window 2) of the cells trending.
    """
    rate = trend_rate(window, periods, lam=1.0, reps=12, seed=window)
    # cells are not independent (shared neighbourhoods): half of them as independent trials
    assert abs(rate - 0.10) <= mc_tolerance(0.10, 12 * 217 / 2), rate


def test_window_variance_ratio_matches_mann_kendall_on_gaussian_moving_sums():
    """The ratio is the variance of S over overlapping windows of independent normals."""
    rng = np.random.default_rng(0)
    t, w, reps = 10, 2, 20_000
    slices = rng.standard_normal((reps, t))
    csum = np.cumsum(slices, axis=1)
    windowed = csum.copy()
    windowed[:, w + 1 :] -= csum[:, : t - w - 1]
    sizes = np.minimum(np.arange(t), w) + 1.0
    z = windowed / np.sqrt(sizes)  # unit variance, as Gi* z-scores are
    assert np.allclose(np.corrcoef(z, rowvar=False), window_correlation(t, w), atol=0.03)
    s = mann_kendall(z, continuity=False).s
    ratio = s.var() / (t * (t - 1) * (2 * t + 5) / 18.0)
    # the variance of a sample variance: about sqrt(2 / reps) relative
    assert window_variance_ratio(t, w) == pytest.approx(ratio, rel=4 * np.sqrt(2 / reps))
    assert window_variance_ratio(t, 0) == 1.0
    # the approximation beyond 64 periods continues the exact ratio
    assert window_variance_ratio(65, 1) == pytest.approx(window_variance_ratio(64, 1), rel=0.02)


def test_mann_kendall_variance_ratio_scales_the_variance_and_refuses_nonsense():
    x = np.arange(8.0)[None] + np.array([[0.0, 1, -1, 0.5, 0, 2, -0.5, 1]])
    plain = mann_kendall(x)
    scaled = mann_kendall(x, variance_ratio=2.0)
    assert scaled.var_s[0] == pytest.approx(2 * plain.var_s[0])
    assert scaled.s[0] == plain.s[0] and scaled.p[0] > plain.p[0]
    with pytest.raises(ValueError, match="variance_ratio"):
        mann_kendall(x, variance_ratio=0.0)


logging.getLogger("pipeline").setLevel(logging.ERROR)
