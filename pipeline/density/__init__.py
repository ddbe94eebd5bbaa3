"""Kernel density of weighted points on H3 cells, on the sphere.

The density at a cell is ``f(c) = Σ_i w_i K_h(d(c, x_i))`` per km², where ``d`` is the
great-circle distance on the sphere of radius 6371.0072 km (the radius H3 uses for cell areas,
:data:`pipeline.sphere.EARTH_RADIUS_KM`) and every kernel is normalised on the sphere: its
planar formula below times ``c(h) = 1 / ∫_sphere K_plane dA``, a constant per kernel and
bandwidth (fixed Gauss-Legendre quadrature in ``d``, the same bits on every run), so
``Σ_c f(c) · area(c)`` over cells covering the support returns the total weight to within the
cells' sampling of the kernel, at every bandwidth.  ``c(h) = 1 + O(h²/R²)``: 1 + 5e-6 for the
gaussian and 1 + 6e-7 for the quartic at 25 km, 1 + 8e-3 and 1 + 1e-3 at 1,000 km, 1.38 and
1.04 at 6,400 km (the planar formulas alone lost that mass: half of it for a quartic of
25,650 km; ``bench/bench_density_sphere_mass.py``).  A bandwidth wider than
:data:`MAX_BANDWIDTH_KM`, a quarter of the Earth's circumference (10,008 km), is refused
(:func:`bandwidth_too_wide`): a compact kernel that wide covers more than a hemisphere and the
gaussian is within e^-2 of its peak at the antipode.

Kernels (``u = d / h``; each times ``c(h)``)
    ``gaussian``      ``exp(-u²/2) / (2π h²)``; standard deviation ``h`` per axis, unbounded
                      support (truncated at ``7 h`` by the fast evaluators: tail < 1e-10;
                      normalised over the whole sphere, as ``exact`` sums it).
    ``quartic``       ``3/(π h²) (1 - u²)²`` for ``u < 1`` (biweight; ArcGIS/QGIS default).
    ``epanechnikov``  ``2/(π h²) (1 - u²)`` for ``u < 1``.
    ``triangular``    ``3/(π h²) (1 - u)`` for ``u < 1``.
    ``uniform``       ``1/(π h²)`` for ``u < 1``.

Methods
-------
    ``exact``   brute force over all pairs with the haversine distance: the reference.
    ``direct``  the same sums restricted to pairs within the kernel's support, on 3-D unit
                vectors: the targets of a 3-D grid's cube (half-diagonal 0.7 supports) summed
                densely over the points within reach, sparse targets over the pairs a KD-tree finds; each
                target's terms added in point order, so both ways give the same bits; exact for the
                compact kernels, within 1e-10 for the gaussian (``bench/bench_density_direct.py``).
    ``fft``     gaussian only: per tile of at most 800 km radius, stereographic projection about
                the tile centre (conformal; the chord is exactly ``λ₁λ₂|X₁-X₂|`` and the scale
                ``λ`` is handled to first order by a second convolution), cubic B-spline spreading
                onto a grid of spacing ``h/5``, FFT convolution with a gaussian de-blurred by the
                spline's variance, cubic B-spline gathering at the cell centres.  Measured max
                relative error against ``exact`` where the density is ≥ 1 % of its maximum:
                ≤ 3e-4 for bandwidths 2-100 km, regions up to 3,000 km, across the antimeridian
                and near the pole (``tests/test_density.py``); 2.2e-5 on the 1,000,000-point,
                179,000-cell benchmark (``bench/bench_density.py``: 0.37-0.41 s on 2 cores, vs
                scikit-learn ~2,600-6,700 s extrapolated and KDEpy 1-2.6 s at 8e-3 error).
                The relative error grows in a gaussian's tail: where every cell lies in the tail
                of points outside them it is larger (1.3e-3 for a lone point 3 bandwidths from
                the nearest cell, 2.7e-3 at 4, 1.3e-2 at 6).
                Cost ``O(16 N + G log G)`` for ``N`` points and ``G`` grid nodes.
                Bandwidths up to 114 km only (7 bandwidths within one 800 km tile; refused
                wider: 6.4e-4 at 200 km, 6.7e-2 at 600 km).
    ``auto``    ``fft`` for the gaussian up to 114 km when the pair count makes ``direct`` the
                slower one, otherwise ``direct``.

Bandwidth rules (distances in a stereographic plane about the weighted mean centre,
``n = (Σw)² / Σw²``, Kish's effective sample size, which is the point count for equal weights)
    ``scott``      ``σ n^(-1/6)``, ``σ² = (σx² + σy²)/2`` (2-D normal reference; equal to
                   scipy's Silverman factor in 2-D).
    ``silverman``  ``0.9 min(σ, IQR/1.349) n^(-1/5)``, IQR the mean of the two axes' IQRs
                   (Silverman 1986, eq. 3.31, the robust rule of thumb); ``σ`` alone where the
                   IQR is 0 (half the points at one place).
    ``spatial``    ``0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5)`` with the standard distance ``SD`` and
                   the median distance ``Dm`` to the mean centre (ArcGIS Pro Kernel Density; ArcGIS
                   uses the sum of the population field for ``n``); ``SD`` alone where ``Dm``
                   is 0.
    ``cv``         likelihood cross-validation: maximises the weighted leave-one-out
                   log-likelihood ``Σ w_i log f_{-i}(x_i)`` (``f_{-i}`` the density of the other
                   points, normalised by their weight) over
                   ``bandwidth_range_km`` (log-spaced search, then refinement), on a seeded
                   subsample of at most 20,000 points.
    Standard deviations divide by ``Σw`` (scipy's ``gaussian_kde`` by ``Σw - Σw²/Σw``);
    quantiles are numpy's ``inverted_cdf`` of the points repeated by their weights.  A rule's
    bandwidth below :data:`MIN_BANDWIDTH_KM` is raised to it.
    The plane stretches distances far from its centre (twice at 90° of arc): points reaching
    more than 90° from their mean centre (a theatre across half the globe or round it) are
    refused by the rules of thumb, and by ``cv`` without ``bandwidth_range_km``.

Layout
------
The public names below are the whole API; the modules behind them are private:
``_kernels`` (kernel profiles), ``_direct`` (brute force, dense-block and KD-tree sums), ``_fft`` (the
tiled FFT evaluator), ``_evaluate`` (choice of evaluator), ``_bandwidth`` (rules and
cross-validation), ``_kde`` (:func:`kernel_density`, edge correction), ``_tiles`` (the
direct sums tile by tile under a run's memo, :func:`density_memo`), ``_centres`` (how far a
density taken at cell centres is from the cell's mean: :func:`centre_sampling_note`), ``_weights``
(:func:`seizure_weights`) and ``_inputs`` (validation).  Spherical geometry comes from
:mod:`pipeline.sphere`, H3 from :mod:`pipeline.grid`.
"""

from __future__ import annotations

from ._bandwidth import select_bandwidth
from ._centres import (
    CENTRE_EDGES,
    DEFAULT_BANDWIDTH_KM,
    centre_bandwidth_km,
    centre_error,
    centre_sampling_note,
    default_bandwidth_km,
)
from ._evaluate import METHODS
from ._inputs import BANDWIDTH_RULES, MIN_BANDWIDTH_KM, bandwidth_too_wide
from ._kde import DensityResult, kernel_density, kernel_density_exact, unreached_expected
from ._kernels import KERNELS, MAX_BANDWIDTH_KM, kernel_profile, kernel_support_km
from ._tiles import density_memo
from ._weights import decay_anchor, seizure_quantities, seizure_weights

__all__ = [
    "BANDWIDTH_RULES",
    "CENTRE_EDGES",
    "DEFAULT_BANDWIDTH_KM",
    "KERNELS",
    "MAX_BANDWIDTH_KM",
    "METHODS",
    "MIN_BANDWIDTH_KM",
    "DensityResult",
    "bandwidth_too_wide",
    "centre_bandwidth_km",
    "centre_error",
    "centre_sampling_note",
    "default_bandwidth_km",
    "density_memo",
    "kernel_density",
    "kernel_density_exact",
    "kernel_profile",
    "kernel_support_km",
    "seizure_quantities",
    "seizure_weights",
    "decay_anchor",
    "unreached_expected",
    "select_bandwidth",
]
