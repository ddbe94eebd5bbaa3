"""How far a density taken at cell centres is from the density averaged over the cell.

Part of :mod:`pipeline.density`.  Every density the pipeline publishes or models with (the
seizure density, the fitted model's smoothed counts, the back-test's KDE baseline, smoothed
transit events) is the kernel sum at each cell's centre.  With a kernel about a cell wide, an
event near a cell's corner reaches its own cell's centre weakly or not at all while it covers
most of the cell: the cell holding it is published as if it held nearly nothing.

``bench/bench_density_centres.py`` measures the relative error ``|centre - mean| / mean`` over
the cells holding events, the mean over each cell's resolution+3 (real data: +2) children's
centres, for seeded point patterns on resolution-5 cells (sparse uniform: one event per two
cells; clustered: Thomas, clusters of about 8 events half an edge wide; dense uniform: 20 per
cell) and for 7,510 real pirate attacks (1993-2020) on resolution-4 and -5 cells.  Medians, by
bandwidth in cell edges (H3's average hexagon edge of the resolution), the largest of the
sparse, clustered and real patterns (the real ones are the largest from 0.75 edge on)::

    h / edge        0.25   0.5    0.75   1      1.5    2      3
    quartic         1.00   1.00   0.94   0.50   0.29   0.18   0.076
    epanechnikov    1.00   1.00   0.83   0.46   0.23   0.11   0.047
    triangular      1.00   1.00   0.80   0.39   0.22   0.13   0.064
    uniform         1.00   1.00   0.96   0.36   0.12   0.105  0.070
    gaussian        0.85   0.25   0.18   0.12   0.056  0.030  0.012

A median of 1.00 is a centre out of reach of its cell's events (0).  From about one edge on
the error is mostly an overstatement: the density peaks at the events and a cell holding
them is, on average, centred nearer their peak than its area is (on the real attacks the
signed median is +15 % to +18 % for the quartic at two edges, +10 % at the default 25 km on
resolution 5).

Below a kernel's :data:`CENTRE_EDGES` the error grows fast (the quartic: 29 % at 1.5 edges,
50 % at one; at 0.75 edge a tenth to a third of the cells holding events get under a tenth
of their mean, at half an edge half of them or more); at it the median is at most 9 % on the synthetic patterns (90th
percentile at most 19 %) and at most 18 % on the real attacks (90th percentile at most
26 %), checked by ``tests/test_density_centres_found.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ..grid import average_hexagon_edge_length

#: Smallest bandwidth, in cell edges, from which a cell-centre density is typically (median
#: over the cells holding events) within 10 % of the cell's mean on synthetic patterns and
#: within 18 % on real clustered incidents.  The gaussian's bandwidth is its standard
#: deviation; the compact kernels' is their radius.
CENTRE_EDGES = {
    "epanechnikov": 2.0,
    "gaussian": 1.0,
    "quartic": 2.0,
    "triangular": 2.0,
    "uniform": 3.0,  # a disc's edge crossing a cell: 10.5 % at 2 edges, 7 % at 3
}

_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
_MEDIAN_ERROR = {
    "quartic": (1.0, 1.0, 0.94, 0.50, 0.29, 0.18, 0.076),
    "epanechnikov": (1.0, 1.0, 0.83, 0.46, 0.23, 0.11, 0.047),
    "triangular": (1.0, 1.0, 0.80, 0.39, 0.22, 0.13, 0.064),
    "uniform": (1.0, 1.0, 0.96, 0.36, 0.12, 0.105, 0.070),
    "gaussian": (0.85, 0.25, 0.18, 0.12, 0.056, 0.030, 0.012),
}


def centre_bandwidth_km(kernel: str, resolution: int) -> float:
    """Return the smallest bandwidth (km) for a density taken at the cells' centres.

    Parameters
    ----------
    kernel : str
        One of :data:`~pipeline.density.KERNELS`.
    resolution : int
        H3 resolution of the cells the density is taken at.

    Returns
    -------
    float
        ``CENTRE_EDGES[kernel]`` times H3's average hexagon edge at ``resolution``.

    Examples
    --------
    >>> round(centre_bandwidth_km("quartic", 4), 1)
    52.1
    """
    return CENTRE_EDGES[kernel] * average_hexagon_edge_length(resolution)


#: The default bandwidths' floor (km): ``density.bandwidth_km`` and ``evaluate.kde_bandwidth_km``
#: on cells of resolution 5 and finer, the narrowest of ``score.fitted.bandwidths_km``.
DEFAULT_BANDWIDTH_KM = 25.0


def default_bandwidth_km(kernel: str, resolution: int) -> float:
    """Return the default bandwidth (km) of a density taken at the centres of these cells.

    25 km (:data:`DEFAULT_BANDWIDTH_KM`), or on coarser cells :func:`centre_bandwidth_km`
    rounded up to a multiple of 5 km: what the config uses when the user sets no bandwidth
    (``bench/bench_res_defaults.py`` measured the back-test with it against 25 km).

    Parameters
    ----------
    kernel : str
        One of :data:`~pipeline.density.KERNELS`.
    resolution : int
        H3 resolution of the cells.

    Returns
    -------
    float

    Examples
    --------
    >>> [default_bandwidth_km("quartic", r) for r in (3, 4, 5, 6)]
    [140.0, 55.0, 25.0, 25.0]
    >>> default_bandwidth_km("gaussian", 4)
    30.0
    """
    least = 5.0 * math.ceil(centre_bandwidth_km(kernel, resolution) / 5.0)
    return max(DEFAULT_BANDWIDTH_KM, least)


def centre_error(kernel: str, bandwidth_km: float, resolution: int) -> float:
    """Return the measured typical relative error of a cell-centre density (see the module).

    The median of ``|centre - mean| / mean`` over cells holding events (the largest of the
    measured patterns), interpolated in the table at ``bandwidth_km`` over the cell edge
    (clamped to its ends).
    """
    ratio = bandwidth_km / average_hexagon_edge_length(resolution)
    return float(np.interp(ratio, _RATIOS, _MEDIAN_ERROR[kernel]))


def centre_sampling_note(
    what: str, bandwidth_km: float, kernel: str, resolution: int
) -> str | None:
    """Say that a kernel is too narrow for its density to be taken at cell centres, or None.

    Parameters
    ----------
    what : str
        The config key the bandwidth comes from (``density.bandwidth_km``).
    bandwidth_km : float
        The bandwidth used (a rule's or the back-test's choice resolved to km).
    kernel : str
        The kernel used with it.
    resolution : int
        H3 resolution of the cells.

    Returns
    -------
    str or None
        The note (the bandwidth, the cell edge, the measured typical error and the fix), or
        None when ``bandwidth_km`` is at least :func:`centre_bandwidth_km`.

    Examples
    --------
    >>> centre_sampling_note("density.bandwidth_km", 60.0, "quartic", 4) is None
    True
    >>> centre_sampling_note("density.bandwidth_km", 25.0, "quartic", 4)[:47]
    'density.bandwidth_km 25 km (quartic kernel) is '
    """
    least = centre_bandwidth_km(kernel, resolution)
    if bandwidth_km >= least:
        return None
    edge = average_hexagon_edge_length(resolution)
    finer = next(
        (r for r in range(resolution + 1, 16) if bandwidth_km >= centre_bandwidth_km(kernel, r)),
        None,
    )
    hint = f" or area.resolution {finer} or finer" if finer is not None else ""
    err = centre_error(kernel, bandwidth_km, resolution)
    n = CENTRE_EDGES[kernel]
    reach = ": its events mostly out of its centre's reach" if err > 0.9 else ""
    return (
        f"{what} {bandwidth_km:.4g} km ({kernel} kernel) is {bandwidth_km / edge:.2g} times the "
        f"{edge:.3g} km cell edge at area.resolution {resolution}: the density is taken at "
        f"each cell's centre, and with a kernel this narrow a cell holding events is typically "
        f"{err:.0%} off its density averaged over the cell (measured median{reach}; some cells "
        f"far more): its value understates or overstates the events it holds; use a bandwidth "
        f"of at least {least:.3g} km ({n:g} cell edge{'' if n == 1 else 's'}){hint}"
    )
