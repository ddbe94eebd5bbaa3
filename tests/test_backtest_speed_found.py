"""The fit's speed-ups keep its numbers: same standardisation bits, same columns, same covariance.

The fitted model standardises the training rows once, writes them straight into the design its
fits take columns from, reuses the columns of the fit just made for the selection's robust
covariance, and reads each candidate column once as a contiguous copy when it looks for
collinear columns.  None of that may move a published value.
"""

import numpy as np
import pandas as pd
import pytest

from pipeline.grid import cell_area_km2, cells_to_latlng, region_to_cells
from pipeline.model import FittedModel, FittedOptions
from pipeline.model.fitted import cluster_robust_cov, independent_columns

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


@pytest.fixture(scope="module")
def fitted():
    cells = region_to_cells((0.0, 0.0, 3.0, 3.0), 5)
    rng = np.random.default_rng(5)
    x1 = rng.normal(0, 1, cells.size)
    noise = rng.normal(0, 1, cells.size)
    area = cell_area_km2(cells)
    rate = 0.3 * area / area.mean() * np.exp(0.6 * x1)
    n = rng.poisson(rate * 730 / 91)
    idx = np.repeat(np.arange(cells.size), n)
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame(
        {
            "time": ORIGIN - pd.to_timedelta(rng.uniform(0, 730, idx.size), unit="D"),
            "lon": lon[idx] + rng.normal(0, 0.01, idx.size),
            "lat": lat[idx] + rng.normal(0, 0.01, idx.size),
        }
    )
    factors = pd.DataFrame({"cell": cells, "x1": x1, "noise": noise})
    model = FittedModel(FittedOptions(bandwidths_km=(25.0,), family="poisson"))
    return model.fit(ev, cells, ORIGIN, factors)


def test_standardisation_has_numpys_own_bits(fitted):
    f = fitted.features_
    xr = f.x_train[f.active_train]
    assert fitted.rows_used_ == xr.shape[0]  # no subsampling: the rows are the region's
    assert fitted.mean_.tobytes() == xr.mean(axis=0).tobytes()
    assert fitted.sd_.tobytes() == xr.std(axis=0).tobytes()


def test_robust_covariance_is_that_of_a_freshly_built_design(fitted):
    # the published covariance comes from the design the selection shares between its fit
    # and its covariance; a stale or mismatched one would differ from one built from scratch
    f, best = fitted.features_, fitted.fit_
    rows = np.flatnonzero(f.active_train)
    sd = np.where(fitted.sd_ > 0, fitted.sd_, 1.0)
    z = (f.x_train[rows] - fitted.mean_) / sd
    exog = np.column_stack([np.ones(rows.size), z[:, best.active]])
    cov = cluster_robust_cov(
        exog,
        f.y_train[rows],
        best.mu,
        f.cell_train[rows],
        alpha=best.alpha,
        weights=np.ones(rows.size),
    )
    assert len(best.active) >= 1
    assert cov.tobytes() == np.asarray(fitted.cov_).tobytes()


def test_collinear_columns_found_alike_in_a_row_major_design():
    rng = np.random.default_rng(2)
    wide = np.empty((4000, 6))
    wide[:, 0] = 1.0
    wide[:, 1:4] = rng.normal(size=(4000, 3))
    wide[:, 4] = wide[:, 1] - 2.0 * wide[:, 3]  # exactly collinear
    wide[:, 5] = wide[:, 2] + 1e-3 * rng.normal(size=4000)  # nearly, but identified
    z = wide[:, 1:]  # a strided view, as the fit passes it
    kept, collinear = independent_columns(z, list(range(5)))
    assert (kept, collinear) == independent_columns(np.asfortranarray(z), list(range(5)))
    assert kept == [0, 1, 2, 4] and collinear == {3: [0, 2]}


def test_kernel_sums_remember_one_universe_and_only_its_own():
    # the targets (centres, coarser parents, their tree) are remembered for the last cells;
    # other cells in between must not lend theirs, and a hit must give the same design
    from pipeline.model import build_lagged_features

    big = region_to_cells((0.0, 0.0, 2.0, 2.0), 6)
    cells = big[::3]
    rng = np.random.default_rng(9)
    ev = pd.DataFrame(
        {
            "time": ORIGIN - pd.to_timedelta(rng.uniform(0, 730, 400), unit="D"),
            "lon": rng.uniform(0.0, 2.0, 400),
            "lat": rng.uniform(0.0, 2.0, 400),
        }
    )
    opts = FittedOptions(bandwidths_km=(15.0, 100.0))

    def design(c):
        f = build_lagged_features(ev, c, ORIGIN, opts)
        return f.x_train.tobytes() + f.x_pred.tobytes()

    first = design(cells)
    other = design(big)  # another universe in between
    assert design(cells) == first  # recomputed after the other
    assert design(cells) == first  # remembered
    assert design(big) == other
