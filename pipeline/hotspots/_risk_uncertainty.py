"""Uncertainty of the published risk: the statistics :func:`bootstrap_cells` resamples.

Two sources, one per score model:

* **weighted score** -- a bootstrap of the seizures.  The risk is
  ``other points + 100 × share × normalise(density)`` per cell, where only the seizure density
  depends on the events; the density is linear in the event weights, so a resample's density is
  ``D × (K (b ∘ m)) / (K b)`` with ``K`` the sparse cells × events kernel matrix on the
  great-circle distance, ``b`` the events' weights (decay, commodity, quantity) and ``m`` the
  resample's multiplicities.  ``D`` is the published density, so the observed events give back
  the published risk exactly whatever evaluator (and edge correction) made it; each resample
  costs one sparse product instead of one kernel density.  The bandwidth stays the one the run
  chose (a rule's bandwidth is not re-selected per resample).
* **fitted model** -- draws of the regression coefficients from their normal sampling
  distribution (the model's cluster-robust covariance); each draw's expected events per km²
  are ranked into the 0-100 risk exactly as the published risk is.  Quiet cells (outside the
  fitted region) keep their observed rate.  A model that fell back to the blend has no
  coefficients, hence no interval.

Both return ``values -> risk per cell`` (finite: a cell no factor covers gets 0, to be masked by
the caller) and are fed to :func:`pipeline.hotspots.bootstrap_cells` or
:func:`pipeline.hotspots.parametric_cells`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from ..density import kernel_profile, kernel_support_km
from ..errors import InputError
from ..grid import cells_to_latlng
from ..score import area_percentile, normalise
from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, chord_to_arc_km, lonlat_to_xyz
from ._uncertainty import Statistic

__all__ = [
    "FittedCoefficients",
    "density_operator",
    "density_risk_statistic",
    "fitted_risk_statistic",
]

_PAIR_BYTES = 16  # a float64 value and an int32 row index per stored pair, plus its pointer share


def density_operator(
    lon, lat, cells, *, bandwidth_km: float, kernel: str, max_bytes: int = 1 << 30
) -> sparse.csr_matrix:
    """Return the sparse kernel matrix ``K`` (cells × events, per km²) on great-circle distances.

    ``K @ w`` is the kernel density of events with weights ``w`` at the cell centres, as
    :func:`pipeline.density.kernel_density` computes it exactly (the gaussian truncated at its
    support radius, as the fast evaluators do), without edge correction.

    Parameters
    ----------
    lon, lat : array_like of float
        Event positions (degrees).
    cells : array_like of uint64
        H3 cells (rows of ``K``, in this order).
    bandwidth_km : float
        Kernel bandwidth (km).
    kernel : str
        A kernel of :data:`pipeline.density.KERNELS`.
    max_bytes : int
        Refuse a matrix above this size.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(cells), len(lon))``.

    Raises
    ------
    InputError
        Mismatched or invalid positions, a bad bandwidth, or a matrix above ``max_bytes``.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InputError(f"lon and lat must be 1-D and alike, got {lon.shape!r} and {lat.shape!r}")
    # a latitude past a pole still makes a point on the sphere (140° N, 170° W is 40° N, 10° E)
    bad = ~(np.isfinite(lon) & (np.abs(lat) <= 90.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"event positions must be finite with lat in [-90, 90]: {int(bad.sum()):,} are not,"
            f" e.g. event {i} at lon {float(lon[i])!r}, lat {float(lat[i])!r}"
        )
    h = float(bandwidth_km)
    if not (np.isfinite(h) and h > 0):
        raise InputError(f"bandwidth_km must be > 0, got {bandwidth_km!r}")
    cells = np.asarray(cells, dtype="uint64")
    shape = (cells.size, lon.size)
    if cells.size == 0 or lon.size == 0:
        return sparse.csr_matrix(shape)
    t_lat, t_lon = cells_to_latlng(cells)
    r_chord = float(arc_to_chord_km(kernel_support_km(kernel, h)))
    ttree = cKDTree(lonlat_to_xyz(t_lon, t_lat) * EARTH_RADIUS_KM)
    ptree = cKDTree(lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM)
    n_pairs = int(ttree.count_neighbors(ptree, r_chord))
    if n_pairs * _PAIR_BYTES > max_bytes:
        raise InputError(
            f"the kernel matrix of {lon.size:,} events on {cells.size:,} cells has {n_pairs:,}"
            f" pairs ({n_pairs * _PAIR_BYTES / 2**20:,.0f} MiB), above max_bytes {max_bytes!r};"
            " use a smaller bandwidth, fewer cells or hotspots.uncertainty.enabled: false"
        )
    pairs = ttree.sparse_distance_matrix(ptree, r_chord, output_type="ndarray")
    values = kernel_profile(kernel, chord_to_arc_km(pairs["v"]), h)
    keep = values > 0
    return sparse.csr_matrix(
        (values[keep], (pairs["i"][keep], pairs["j"][keep])), shape=shape, dtype="float64"
    )


def density_risk_statistic(
    operator: sparse.spmatrix,
    event_weights,
    density,
    risk,
    density_points,
    share,
    *,
    normalisation: str = "cap",
    cap_quantile: float = 0.99,
    transform: str = "linear",
) -> Statistic:
    """Return ``multiplicities -> weighted risk per cell`` with the density recomputed.

    Parameters
    ----------
    operator : scipy.sparse matrix
        :func:`density_operator` of the events on the cells.
    event_weights : array_like of float
        The events' density weights (:func:`pipeline.density.seizure_weights`).
    density : array_like of float
        The published seizure density per cell (observed events).
    risk : array_like of float
        The published risk (NaN where no factor covers the cell).
    density_points : array_like of float
        The density's published points per cell (``seizure_density__contrib``).
    share : array_like of float
        The density's share of the cell's weight (``weight / total weight of the factors
        covering the cell``; 0 where the density does not cover it).
    normalisation, cap_quantile, transform
        The score's options for the density (:func:`pipeline.score.normalise`).

    Returns
    -------
    callable
        ``statistic(m)`` for :func:`bootstrap_cells`: the risk (0-100) of each cell when event
        ``e`` counts ``m[e]`` times; NaN risks are returned as 0, and a cell whose density is
        missing (NaN, not covered) takes no points from it, as the published score.
    """
    k = sparse.csr_matrix(operator)
    b = np.asarray(event_weights, dtype="float64")
    d = np.asarray(density, dtype="float64")
    if k.shape != (d.size, b.size):
        raise InputError(
            f"operator has shape {k.shape!r}, expected (cells, events) = {(d.size, b.size)!r}"
        )
    base = k @ b
    # D_m = D · (K(b∘m)) / (Kb): exact for every linear evaluator, edge correction included
    scale = np.divide(d, base, out=np.zeros_like(d), where=base > 0)
    fixed = np.where(base > 0, 0.0, d)
    r = np.asarray(risk, dtype="float64")
    other = np.nan_to_num(r - np.asarray(density_points, dtype="float64"))
    s = 100.0 * np.asarray(share, dtype="float64")
    valid = np.isfinite(r)

    def statistic(m: np.ndarray) -> np.ndarray:
        dm = scale * (k @ (b * m)) + fixed
        norm = normalise(dm, method=normalisation, cap_quantile=cap_quantile, transform=transform)
        # a cell without a density (NaN: not covered) gets no points from it, as in score_cells
        norm = np.nan_to_num(norm)
        return np.where(valid, np.clip(other + s * norm, 0.0, 100.0), 0.0)

    return statistic


@dataclass(frozen=True)
class FittedCoefficients:
    """What the coefficient draws need from a fitted model (a few arrays per cell, no training rows).

    Attributes
    ----------
    params, cov : numpy.ndarray
        The intercept and selected features' coefficients and their (cluster-robust)
        covariance.
    z : numpy.ndarray
        Standardised selected features of each cell at the origin (cells x features).
    offset, area : numpy.ndarray
        Each cell's log-area offset and area (km²).
    region : numpy.ndarray of bool
        Cells the regression covers; the others keep ``quiet_mu``.
    quiet_mu : numpy.ndarray
        The quiet cells' expected events (observed quiet rate).
    cells : numpy.ndarray of uint64
        The model's cells, sorted.
    """

    params: np.ndarray
    cov: np.ndarray
    z: np.ndarray
    offset: np.ndarray
    area: np.ndarray
    region: np.ndarray
    quiet_mu: np.ndarray
    cells: np.ndarray

    @classmethod
    def from_model(cls, model) -> FittedCoefficients | None:
        """Take them from a fitted :class:`pipeline.model.FittedModel`; None after a fallback."""
        fit = getattr(model, "fit_", None)
        if fit is None:
            return None
        offset = np.asarray(model.features_.offset_pred, dtype="float64")
        rate = model.quiet_rate_ if model.quiet_rate_ is not None else 0.0
        return cls(
            params=np.asarray(fit.params, dtype="float64"),
            cov=np.asarray(model.cov_, dtype="float64"),
            z=np.asarray(model.z_pred_, dtype="float64"),
            offset=offset,
            area=np.asarray(model.area_, dtype="float64"),
            region=np.asarray(model.in_region_, dtype=bool),
            quiet_mu=rate * np.exp(offset),
            cells=np.asarray(model.cells_, dtype="uint64"),
        )


def fitted_risk_statistic(coefficients: FittedCoefficients) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``coefficients -> risk per cell`` of a fitted count model.

    The risk is the percentile (0-100, :func:`pipeline.score.area_percentile`) of the expected
    events per km² among the model's cells, as the run publishes it.

    Parameters
    ----------
    coefficients : FittedCoefficients
        :meth:`FittedCoefficients.from_model` of the published model.

    Returns
    -------
    callable
        ``statistic(beta)`` with ``beta`` the intercept then the selected features'
        coefficients, for :func:`pipeline.hotspots.parametric_cells`.
    """
    c = coefficients

    def statistic(beta: np.ndarray) -> np.ndarray:
        beta = np.asarray(beta, dtype="float64")
        mu = np.exp(np.clip(beta[0] + c.offset + c.z @ beta[1:], -700.0, 700.0))
        mu = np.where(c.region, mu, c.quiet_mu)
        return area_percentile(mu / c.area, area=c.area)

    return statistic
