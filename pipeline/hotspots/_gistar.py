"""Getis-Ord Gi*: analytic z-scores, conditional-permutation pseudo p-values, FDR, classes.

z-score (Ord & Getis 1995, eq. 8 with the cell in its own neighbourhood; Getis & Ord 1992 for
binary weights), for values ``x`` on ``n`` cells::

    z_i = (Σ_j w_ij x_j − x̄ W_i) / (S √((n S1_i − W_i²) / (n − 1)))

with ``x̄`` the mean and ``S² = Σ x²/n − x̄²`` the (population) variance over all cells,
``W_i = Σ_j w_ij`` and ``S1_i = Σ_j w_ij²`` over the neighbourhood, ``j = i`` included.  This is
the formula ArcGIS's Hot Spot Analysis uses for any weights; for binary weights it is exactly
``esda.G_Local(star=True, transform='B').Zs`` (tested to 1e-9).  For kernel weights esda uses
``W_i (n − W_i)`` in place of ``n S1_i − W_i²``, which is only right for binary weights.
Where ``S = 0`` (all values equal) or the neighbourhood is every cell, ``z = 0``.

Conditional permutation (Anselin 1995; esda's ``crand``): the cell keeps its value and its
``k_i`` neighbours receive ``k_i`` values drawn without replacement from the other ``n − 1``
cells, ``permutations`` times.  The pseudo p-value is folded and one-sided in the direction of
the observation, as esda's ``p_sim``: ``(min(#sim ≥ obs, #sim ≤ obs) + 1) / (P + 1)``.  esda
counts ``sim ≥ obs`` and ``sim < obs``; the two agree without ties, and with ties (many equal
counts) ours is the conservative one (esda calls a cell in an all-zero area a significant cold
spot because every draw ties with it).  Draws are independent per cell (esda reuses one set of
draws for all cells), made in bounded chunks with no loop over cells.

Exact randomization (:func:`exact_p`): the same conditional null computed exactly, for binary
weights on integer values (counts), with no Monte Carlo floor.

Classes follow ArcGIS's ``Gi_Bin``: ±3 / ±2 / ±1 for 99 / 95 / 90 % confidence, the sign of z.
By default (``p_value="exact"``) the decision uses ``min(1, 2 p_exact)`` after the
Benjamini-Hochberg correction (as ArcGIS's FDR option; esda corrects nothing, and its users
keep assuming it does).  The normal p-value of z (ArcGIS, ``p_value="normal"``) is far too
small for sparse counts: with one event among ``n`` cells its neighbours get
``z = √((n − 1)/k)`` (6.7 for 651 cells) where the true tail is ``k/(n − 1)``, so one lone
seizure became a "99 %" hot spot.  The pseudo p cannot replace it there: over ``n`` cells
the correction needs p-values near ``α/n``, below its floor of ``1/(P + 1)``, so it finds
nothing on 40,000 cells.  Where the exact p does not apply (kernel weights, non-integer
values such as the risk) ``"exact"`` uses ``min(1, 2 p_sim)``, or the normal p without
permutations; ``p_value="permutation"`` always uses ``min(1, 2 p_sim)``.  Every choice is
corrected unless ``fdr`` is false.  Rejecting at level α where the BH-adjusted p is at most
α is exactly the BH step-up procedure at α, applied at each of the three levels.  With a
conditional p (exact or permutation) hot or cold is the tail the folded p measured
(:func:`tail_side`): the upper tail is a hot spot, whatever the sign of z or the side of the
neighbours' sum against its mean (with skewed counts the two sides can differ).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.special import ndtr

from .. import grid
from ..errors import InputError
from ._options import HotspotOptions, validate_options
from ._weights import CellWeights, weights_from_options

__all__ = [
    "GI_BIN",
    "GI_CLASS",
    "GI_NEIGHBOURS",
    "GI_P",
    "GI_P_ADJUSTED",
    "GI_P_EXACT",
    "GI_P_SIM",
    "GI_Z",
    "bin_labels",
    "cell_counts",
    "exact_p",
    "exact_tails_of_sums",
    "neighbour_side",
    "fdr_bh",
    "gi_star",
    "gi_star_z",
    "gi_summary",
    "permutation_p",
    "permutation_tails",
    "require_cells_resolution",
    "significance_bins",
    "tail_side",
    "z_from_sums",
]

GI_Z = "gi_z"
GI_P = "gi_p"
GI_P_SIM = "gi_p_sim"
GI_P_EXACT = "gi_p_exact"
GI_P_ADJUSTED = "gi_p_adjusted"
GI_BIN = "gi_bin"
GI_CLASS = "gi_class"
GI_NEIGHBOURS = "gi_neighbours"

_LABELS = {
    3: "hot spot 99%",
    2: "hot spot 95%",
    1: "hot spot 90%",
    0: "not significant",
    -1: "cold spot 90%",
    -2: "cold spot 95%",
    -3: "cold spot 99%",
}

#: Elements of one block of permutation draws (rows x permutations x neighbours): ~32 MB each.
_BLOCK = 1 << 22


def bin_labels(bins) -> np.ndarray:
    """Return the label of each Gi_Bin value (-3..3), e.g. ``"hot spot 95%"``."""
    b = np.asarray(bins, dtype="int64")
    table = np.array([_LABELS[k] for k in range(-3, 4)], dtype=object)
    return table[b + 3]


def cell_counts(event_cells, cells) -> np.ndarray:
    """Return the number of events in each of ``cells`` (events elsewhere are not counted).

    Parameters
    ----------
    event_cells : array_like of uint64 or hex strings
        The cell of each event, at the cells' resolution (another one is an error).
    cells : array_like of uint64 or hex strings
        The cells to count in, any order; the result is aligned with them.

    Returns
    -------
    numpy.ndarray of float64
    """
    cells = grid.to_cells(cells)
    ev = grid.to_cells(event_cells)
    require_cells_resolution(ev, cells)
    order = np.argsort(cells, kind="stable")
    sc = cells[order]
    j = np.searchsorted(sc, ev)
    ok = j < sc.size
    ok[ok] = sc[j[ok]] == ev[ok]
    counts = np.bincount(j[ok], minlength=sc.size).astype("float64")
    out = np.empty(cells.size)
    out[order] = counts
    return out


def require_cells_resolution(event_cells: np.ndarray, cells: np.ndarray) -> None:
    """Refuse event cells at an H3 resolution none of ``cells`` has.

    An event cell at another resolution never matches a cell: every count would quietly be 0.

    Raises
    ------
    InputError
        Naming the two resolutions.
    """
    if not (event_cells.size and cells.size):
        return
    got = np.unique(grid.cells_resolutions(event_cells))
    want = np.unique(grid.cells_resolutions(cells))
    if np.setdiff1d(got, want).size:
        raise InputError(
            f"event cells are at H3 resolution {got.tolist()!r}, the cells at "
            f"{want.tolist()!r}; compute the events' cells at the cells' resolution"
        )


def fdr_bh(p) -> np.ndarray:
    """Return Benjamini-Hochberg adjusted p-values (the same as ``scipy.stats.false_discovery_control``).

    ``q_(i) = min_{j ≥ i} p_(j) n / j`` over the sorted p-values, capped at 1; a test is rejected
    at false discovery rate α exactly when its ``q ≤ α``.  A missing (NaN) p is no test: it
    stays missing and ``n`` counts the others (one NaN made every q NaN).
    """
    p = np.asarray(p, dtype="float64")
    if p.ndim != 1:
        raise InputError(f"fdr_bh takes a 1-D array of p-values, got shape {p.shape!r}")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    given = p[ok]
    n = given.size
    if n == 0:
        return out
    order = np.argsort(given, kind="stable")
    ranked = given[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(n)
    adjusted[order] = np.minimum(q, 1.0)
    out[ok] = adjusted
    return out


def gi_star_z(matrix: sparse.csr_array, values) -> np.ndarray:
    """Return the Gi* z-score of each cell (Ord & Getis 1995, the cell included).

    Parameters
    ----------
    matrix : scipy.sparse.csr_array, shape (n, n)
        Weights with the self-weight on the diagonal (:class:`CellWeights.matrix`).
    values : array_like of float, shape (n,) or (n, m)
        Values in the matrix's row order; ``m`` columns are ``m`` independent analyses.

    Returns
    -------
    numpy.ndarray of float64, the shape of ``values``
    """
    x = np.asarray(values, dtype="float64")
    n = matrix.shape[0]
    if x.shape[0] != n:
        raise InputError(f"{x.shape[0]} values for {n} cells")
    w_sum = np.asarray(matrix.sum(axis=1)).ravel()
    s1 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    lag = matrix @ x
    return z_from_sums(lag, x, w_sum, s1, n)


def z_from_sums(
    lag: np.ndarray, x: np.ndarray, w_sum: np.ndarray, s1: np.ndarray, n: int
) -> np.ndarray:
    """Return the Gi* z-score from the weighted sums and the weight moments.

    Parameters
    ----------
    lag : numpy.ndarray
        ``Σ_j w_ij x_j`` per cell (the cell included).
    x : numpy.ndarray
        All values (their mean and variance are the reference).
    w_sum, s1 : numpy.ndarray
        ``Σ_j w_ij`` and ``Σ_j w_ij²`` per cell.
    n : int
        Number of values.
    """
    mean = x.mean(axis=0)
    s = np.sqrt(((x - mean) ** 2).mean(axis=0))
    if x.shape[0]:
        # all values equal: S is 0, not the round-off of a mean that is no double (0.1 x n
        # gave S ~ 1e-17 and z of +-6.6 at every cell: each one a "99 %" spot)
        s = np.where(np.ptp(x, axis=0) == 0, 0.0, s)
    if x.ndim == 2:
        w_sum, s1 = w_sum[:, None], s1[:, None]
    spread = (n * s1 - w_sum * w_sum) / max(n - 1, 1)
    den = s * np.sqrt(np.maximum(spread, 0.0))
    num = lag - mean * w_sum
    ok = den > 1e-300
    return np.where(ok, num / np.where(ok, den, 1.0), 0.0)


def permutation_p(
    matrix: sparse.csr_array,
    values,
    permutations: int,
    seed: int | None = 0,
) -> np.ndarray:
    """Return the folded conditional-permutation pseudo p-value of Gi* at each cell.

    Parameters
    ----------
    matrix : scipy.sparse.csr_array, shape (n, n)
        Weights with the self-weight on the diagonal.
    values : array_like of float, shape (n,)
        Values in the matrix's row order.
    permutations : int
        Draws per cell (``P``).
    seed : int or None
        Seed of the random generator (numpy's SFC64).

    Returns
    -------
    numpy.ndarray of float64
        ``(min(#sim ≥ obs, #sim ≤ obs) + 1) / (P + 1)``, in ``[1/(P+1), 1]``.

    Notes
    -----
    Cells are grouped by neighbour count ``k``; each group is drawn in blocks of at most
    ``2**22`` (cell, permutation, neighbour) elements, so memory stays bounded whatever ``n``.
    A block draws ``k`` cells with replacement per (cell, permutation) and redraws the whole
    draw where it repeats a cell or hits the cell itself: every draw is then a uniformly random
    ordered choice of ``k`` distinct other cells.  Where ``n`` is too small for that to be quick
    (``k² > 2 (n − 1)``) each draw is a random permutation of the other cells, cut to ``k``.
    Draws index the values in sorted order, and every draw landing in the run of the most
    common value (zero, for counts) reads that one value: the random reads then touch only the
    other values.  With binary weights and such a run (at least a quarter of the cells: sparse
    counts) a draw is made in two exact steps instead: the number ``H`` of its ``k`` cells that
    lie outside the run is hypergeometric (sampled by inverse CDF from one uniform), and those
    ``H`` cells are a uniform choice of distinct cells outside the run; the sum is theirs plus
    ``(k − H)`` times the run's value.  Only the few cells outside the run are ever drawn,
    which is what makes a million sparse counts fast.
    """
    small, large = permutation_tails(matrix, values, permutations, seed)
    return (np.minimum(small, large) + 1.0) / (permutations + 1.0)


def permutation_tails(
    matrix: sparse.csr_array,
    values,
    permutations: int,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(#sim ≤ obs, #sim ≥ obs)`` per cell, the draws of :func:`permutation_p`.

    The smaller count is the tail the pseudo p-value measures: the upper one makes a hot spot,
    the lower one a cold spot (:func:`tail_side`).
    """
    y = np.asarray(values, dtype="float64")
    n = y.size
    if permutations <= 0:
        raise InputError(f"permutations must be > 0, got {permutations!r}")
    m = sparse.csr_array(matrix)
    rows_of = np.repeat(np.arange(n), np.diff(m.indptr))
    is_diag = m.indices == rows_of
    off_data = m.data[~is_diag]
    card = np.bincount(rows_of[~is_diag], minlength=n)
    off_ptr = np.concatenate([[0], np.cumsum(card)])
    lag = np.bincount(rows_of[~is_diag], weights=off_data * y[m.indices[~is_diag]], minlength=n)
    del rows_of, is_diag
    pool = _SortedValues(y)
    # SFC64: a small-state generator of full statistical quality, twice PCG64's speed here.
    rng = np.random.Generator(np.random.SFC64(seed))
    small = np.zeros(n, dtype="int64")  # #sim <= obs
    large = np.zeros(n, dtype="int64")  # #sim >= obs
    ymax = float(np.abs(y).max()) if n else 0.0
    for k in np.unique(card):
        rows = np.flatnonzero(card == k)
        if k == 0:
            small[rows] = large[rows] = permutations
            continue
        wk = off_data[off_ptr[rows][:, None] + np.arange(k)]
        binary = bool((wk == wk[:, :1]).all())
        width = n if k * k > 2 * (n - 1) else int(k)  # elements drawn per (cell, draw)
        by_run = binary and pool.use_run and width != n
        if by_run:
            width = 2  # per (cell, draw): one uniform and one sum; the picks are few
        per_row = max(1, _BLOCK // (width * permutations))
        perm_block = max(1, min(permutations, _BLOCK // width))
        for r0 in range(0, rows.size, per_row):
            r = rows[r0 : r0 + per_row]
            w = wk[r0 : r0 + per_row]
            obs = lag[r][:, None]
            tol = 1e-10 * (ymax * w.sum(axis=1)[:, None] + 1e-300)
            for p0 in range(0, permutations, perm_block):
                pb = min(perm_block, permutations - p0)
                if by_run:
                    sim = w[:, :1] * pool.draw_sums(rng, r, int(k), pb)
                    small[r] += (sim <= obs + tol).sum(axis=1)
                    large[r] += (sim >= obs - tol).sum(axis=1)
                    continue
                v = pool.draw(rng, r, int(k), pb, full=width == n)  # (k, rows, draws)
                if binary:
                    sim = w[:, :1] * v.sum(axis=0, dtype="float64")
                else:
                    sim = np.einsum("krp,rk->rp", v, w)
                small[r] += (sim <= obs + tol).sum(axis=1)
                large[r] += (sim >= obs - tol).sum(axis=1)
    return small, large


#: Most elements of the exact tables (own values x neighbour counts x sums): ~128 MB.
_EXACT_LIMIT = 1 << 24


def exact_p(matrix: sparse.csr_array, values) -> np.ndarray | None:
    """Return the exact folded conditional-randomization p-value of Gi* at each cell.

    The limit of :func:`permutation_p` as the permutations grow: the cell keeps its value and
    its ``k_i`` neighbours are every choice of ``k_i`` distinct other cells with equal
    probability; the p-value is ``min(P(S ≥ s_i), P(S ≤ s_i))`` for the neighbours' sum ``S``
    and its observed value ``s_i``.  Unlike the normal p of the z-score it stays right for
    sparse, skewed counts (one event alone in a neighbourhood has ``P(S ≥ 1) = k/(n − 1)``,
    not the normal tail of ``z = √((n − 1)/k)``), and unlike a pseudo p it has no floor of
    ``1/(P + 1)``, so a false-discovery correction over many cells can still reject.

    Parameters
    ----------
    matrix, values
        As for :func:`permutation_p`: the weights (self-weight on the diagonal) and the
        values in their row order.

    Returns
    -------
    numpy.ndarray of float64 or None
        None where the distribution is not exact this way: values that are not integers,
        weights that differ between the neighbours of a cell, or tables over the size limit.

    Notes
    -----
    With equal weights in a row, Gi* is a monotone function of ``S``, the sum of ``k`` values
    drawn without replacement from the other ``n − 1`` values.  Its distribution for every
    ``k`` and every sum up to the largest observed one is built over the distinct values
    ``u_d`` (with ``m_d`` cells each): adding a value multiplies the number of ``k``-subsets
    with sum ``s`` by hypergeometric weights, ``P_k(s) = Σ_i h(i; N, m_d, k) P'_{k−i}(s −
    i u_d)``, in probabilities so that nothing overflows.  Removing the cell's own value ``v``
    is the division of the generating function by ``(1 + t x^v)``: ``P⁻_k(s) = (n P_k(s) − k
    P⁻_{k−1}(s − v)) / (n − k)``, one pass per distinct own value.  Sums above the largest
    observed one are never needed, which bounds the tables by the data, not by ``k max(x)``.
    """
    tails = _exact_tails(matrix, values)
    return None if tails is None else np.minimum(*tails)


def _exact_tails(matrix, values) -> tuple[np.ndarray, np.ndarray] | None:
    """Return :func:`exact_tails_of_sums` over the stored neighbourhoods (as :func:`exact_p`)."""
    y = np.asarray(values, dtype="float64")
    m = sparse.csr_array(matrix)
    n = y.size
    if n < 2 or not np.array_equal(y, np.round(y)):
        return None
    rows_of = np.repeat(np.arange(n), np.diff(m.indptr))
    off = m.indices != rows_of
    rows_off, cols_off, w_off = rows_of[off], m.indices[off], m.data[off]
    card = np.bincount(rows_off, minlength=n)
    first = np.concatenate([[0], np.cumsum(card)])[:-1]
    if w_off.size and not (w_off == w_off[first[rows_off]]).all():
        return None
    sums = np.bincount(rows_off, weights=y[cols_off], minlength=n)
    return exact_tails_of_sums(y, card, sums)


def tail_side(lower, upper, fallback) -> np.ndarray:
    """Return the side of the tail a folded p-value measures: +1 upper (hot), -1 lower (cold).

    The folded p is the smaller of ``lower`` (``P(S ≤ s)`` or ``#sim ≤ obs``) and ``upper``
    (``P(S ≥ s)``, ``#sim ≥ obs``); the class takes the side of that tail.  Where the two are
    equal (each at least one half: never significant) ``fallback`` is kept.  The side of the
    mean is not the side of the tail for skewed values: a neighbourhood holding every small
    count of the area, its sum below the mean that one huge count elsewhere makes, has an
    upper tail of ``k/(n − 1)`` (the draws holding that count) and was called a cold spot.
    """
    lo = np.asarray(lower, dtype="float64")
    hi = np.asarray(upper, dtype="float64")
    return np.where(hi < lo, 1.0, np.where(lo < hi, -1.0, np.asarray(fallback, dtype="float64")))


def _neighbour_side(matrix, values: np.ndarray) -> np.ndarray:
    """Return the side of each cell's neighbour sum (itself left out) against its mean.

    +1/-1/0 as it is above, below or at its mean under the conditional null (the others'
    values drawn at random), from the stored weights.
    """
    m = sparse.csr_array(matrix)
    diag = m.diagonal()
    weights = np.asarray(m.sum(axis=1)).ravel() - diag
    sums = m @ values - diag * values
    return neighbour_side(values, weights, sums)


def neighbour_side(values, weights, sums) -> np.ndarray:
    """Return the side of each cell's neighbour sum against its conditional mean (+1, -1, 0).

    ``weights`` is the total weight of a cell's neighbours (itself left out) and ``sums`` their
    weighted sum; under the conditional null the mean is ``weights × (Σy − y_i) / (n − 1)``.
    """
    y = np.asarray(values, dtype="float64")
    n = y.size
    if n < 2:
        return np.zeros(n)
    mean = np.asarray(weights, dtype="float64") * (y.sum() - y) / (n - 1)
    gap = np.asarray(sums, dtype="float64") - mean
    scale = np.maximum(np.abs(mean), 1.0) * 1e-12  # round-off is no side
    return np.where(np.abs(gap) <= scale, 0.0, np.sign(gap))


def _unique_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``np.unique(x, return_inverse=True, return_counts=True)`` of non-negative ints.

    Counts (a space-time cube's bins: 1.5 million on the demo, a handful of values) are
    tallied by ``np.bincount`` in one pass instead of sorted; values beyond a few times
    their number (a table that large would cost more than the sort) go to ``np.unique``.
    """
    if x.size == 0 or int(x.max()) > 4 * x.size + 1024:
        return np.unique(x, return_inverse=True, return_counts=True)
    tally = np.bincount(x)
    u = np.flatnonzero(tally)
    code = np.zeros(tally.size, dtype=np.intp)
    code[u] = np.arange(u.size)
    return u.astype(x.dtype), code[x], tally[u]


def exact_p_of_sums(values, card, sums) -> np.ndarray | None:
    """Return :func:`exact_p` from each cell's number of neighbours and their sum.

    The smaller of the two tails of :func:`exact_tails_of_sums`.

    For neighbourhoods that are not a stored matrix (the space-time bins of the emerging
    trend): ``card[i]`` other cells, whose values sum to ``sums[i]``, drawn from the others.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All the cells' values (integers, or the p is not exact: None).
    card : array_like of int, shape (n,)
        Number of neighbours of each cell, itself not included.
    sums : array_like of float, shape (n,)
        Sum of their values.

    Returns
    -------
    numpy.ndarray of float64 or None
        As :func:`exact_p`.
    """
    tails = exact_tails_of_sums(values, card, sums)
    return None if tails is None else np.minimum(*tails)


def exact_tails_of_sums(values, card, sums) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(P(S ≤ s_i), P(S ≥ s_i))`` per cell under the exact conditional null.

    Parameters and the None case as :func:`exact_p_of_sums`; a cell without neighbours has
    both tails 1.
    """
    y = np.asarray(values, dtype="float64")
    n = y.size
    if n < 2 or not np.array_equal(y, np.round(y)):
        return None
    card = np.asarray(card, dtype="int64")
    base = y.min()
    x = (y - base).astype("int64")
    obs = np.rint(np.asarray(sums, dtype="float64") - base * card).astype("int64")
    k_max = int(card.max()) if n else 0
    s_max = int(obs.max()) if n else 0
    u, inverse, mult = _unique_counts(x)
    if u.size * (k_max + 1) * (s_max + 1) > _EXACT_LIMIT:
        return None
    width = s_max + 1
    ks = np.arange(k_max + 1)
    dist = np.zeros((k_max + 1, width))  # P_k(s) over the cells added so far
    dist[0, 0] = 1.0
    total = 0
    for value, count in zip(u.tolist(), mult.tolist(), strict=True):
        grown = np.zeros_like(dist)
        total += count
        for i in range(min(k_max, count) + 1):
            shift = i * value
            if shift >= width:
                break
            # i of k from this value; no k-subset of fewer cells (scipy's pmf is NaN there)
            k_i = ks[i:]
            fits = k_i <= total
            h = np.where(fits, stats.hypergeom.pmf(i, total, count, np.minimum(k_i, total)), 0.0)
            grown[i:, shift:] += h[:, None] * dist[: k_max + 1 - i, : width - shift]
        dist = grown
    p_lower, p_upper = np.ones(n), np.ones(n)
    has = card > 0
    for d, v in enumerate(u.tolist()):
        rows = np.flatnonzero((inverse == d) & has)
        if rows.size == 0:
            continue
        without = np.zeros_like(dist)
        without[0, 0] = 1.0
        for k in range(1, k_max + 1):
            without[k] = n * dist[k]
            if v < width:
                without[k, v:] -= k * without[k - 1, : width - v]
            without[k] /= n - k
        np.clip(without, 0.0, 1.0, out=without)
        cdf = np.cumsum(without, axis=1)
        k_r, s_r = card[rows], obs[rows]
        lower = cdf[k_r, s_r]
        upper = 1.0 - np.where(s_r > 0, cdf[k_r, np.maximum(s_r - 1, 0)], 0.0)
        p_lower[rows], p_upper[rows] = lower, upper
    return np.clip(p_lower, 0.0, 1.0), np.clip(p_upper, 0.0, 1.0)


class _SortedValues:
    """The values in sorted order, for drawing the values of random distinct other cells."""

    def __init__(self, y: np.ndarray) -> None:
        n = y.size
        order = np.argsort(y, kind="stable")
        ys = y[order]
        self.n = n
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[order] = np.arange(n)
        # float32 halves the memory the random reads touch, where it holds the values exactly.
        as32 = ys.astype("float32")
        values = as32 if np.array_equal(as32.astype("float64"), ys) else ys
        self.dtype = np.int32 if n < 2**31 else np.int64
        _, start, count = np.unique(ys, return_index=True, return_counts=True)
        big = int(np.argmax(count)) if count.size else 0
        self.run = (int(start[big]), int(start[big] + count[big])) if count.size else (0, 0)
        self.use_run = bool(count.size) and count[big] * 4 >= n
        a, b = self.run
        self.run_value = float(ys[a]) if n else 0.0
        self.good = np.concatenate([values[:a], values[b:]])  # the values outside the run
        if self.use_run:  # the run of the most common value kept as one element
            values = np.concatenate([values[: a + 1], values[b:]])
        self.values = values

    def draw_sums(self, rng: np.random.Generator, rows: np.ndarray, k: int, p: int) -> np.ndarray:
        """Return ``(len(rows), p)`` sums of the values of ``k`` distinct cells other than each row's."""
        a, b = self.run
        n_run = b - a
        n_good = self.n - n_run
        rank = self.rank[rows]
        own_good = (rank < a) | (rank >= b)
        # Inverse CDF of the hypergeometric number of draws outside the run, per row (its own
        # cell is outside the run or in it), one uniform per draw.
        cdf = np.stack(
            [stats.hypergeom.cdf(np.arange(k), self.n - 1, n_good - g, k) for g in (0, 1)]
        )
        thresholds = cdf[own_good.astype(np.int64)]  # (rows, k)
        u = rng.random((rows.size, p))
        hits = np.zeros((rows.size, p), dtype=np.int8)
        for h in range(k):
            if (thresholds[:, h] >= 1.0).all():
                break
            hits += u >= thresholds[:, h : h + 1]
        del u
        flat = hits.ravel()
        sums = (k - flat) * self.run_value
        drawn = np.flatnonzero(flat)
        counts = flat[drawn]
        del hits, flat
        own_pos = np.where(rank < a, rank, rank - n_run)  # among the values outside the run
        for h in range(1, min(k, n_good) + 1):
            at = drawn[counts == h]
            step = max(1, _BLOCK // max(h, n_good if h * h > 2 * (n_good - 1) else h))
            for c0 in range(0, at.size, step):
                idx = at[c0 : c0 + step]
                r_ = idx // p
                sums[idx] += self._good_picks(rng, h, own_good[r_], own_pos[r_], n_good)
        return sums.reshape(rows.size, p)

    def _good_picks(
        self,
        rng: np.random.Generator,
        h: int,
        own_good: np.ndarray,
        own_pos: np.ndarray,
        n_good: int,
    ) -> np.ndarray:
        """Return, per draw, the sum of ``h`` distinct values outside the run, not the own one."""
        c = own_good.size
        mine = np.flatnonzero(own_good)
        if h * h > 2 * (n_good - 1):
            keys = rng.random((c, n_good))
            keys[mine, own_pos[mine]] = np.inf
            t = np.argsort(keys, axis=1)[:, :h].T
        else:  # a draw that repeats a cell or hits its own is drawn again
            own = np.where(own_good, own_pos, -1)
            t = rng.integers(0, n_good, size=(h, c))
            bad = _repeats(t, own)
            while bad.any():
                j = np.flatnonzero(bad)
                redo = rng.integers(0, n_good, size=(h, j.size))
                t[:, j] = redo
                bad[j] = _repeats(redo, own[j])
        return self.good.take(t).sum(axis=0, dtype="float64")

    def draw(
        self, rng: np.random.Generator, rows: np.ndarray, k: int, p: int, full: bool
    ) -> np.ndarray:
        """Return ``(k, len(rows), p)`` values of ``k`` distinct cells other than each row's."""
        own = self.rank[rows].astype(self.dtype)
        t: np.ndarray
        if full:
            keys = rng.random((rows.size, p, self.n))
            keys[np.arange(rows.size), :, own] = np.inf
            t = np.moveaxis(np.argsort(keys, axis=2)[:, :, :k], 2, 0).astype(self.dtype)
        else:
            t = rng.integers(0, self.n, size=(k, rows.size, p), dtype=self.dtype)
            bad = _repeats(t, own[:, None])
            while bad.any():
                ri, pi = np.nonzero(bad)
                redo = rng.integers(0, self.n, size=(k, ri.size), dtype=self.dtype)
                t[:, ri, pi] = redo
                bad[ri, pi] = _repeats(redo, own[ri])
        if self.use_run:
            a, b = self.run
            shift = t - a  # a Python int keeps t's dtype (NEP 50)
            np.clip(shift, 0, b - a - 1, out=shift)
            t -= shift
        return self.values.take(t)


def _repeats(t: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Return where the draws ``t[:, ...]`` repeat a cell or hit ``own`` (broadcast)."""
    k = t.shape[0]
    bad = t[0] == own
    for a in range(1, k):
        bad |= t[a] == own
    if k <= 12:
        for a in range(1, k):
            for b in range(a):
                bad |= t[a] == t[b]
        return bad
    s = np.sort(t, axis=0)
    return bad | (s[1:] == s[:-1]).any(axis=0)


def significance_bins(
    z, p, alphas=(0.10, 0.05, 0.01), fdr: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return ArcGIS's Gi_Bin (-3..3) and the p-value it was decided on.

    Parameters
    ----------
    z : array_like of float
        z-scores (their sign makes hot or cold).
    p : array_like of float
        Two-sided p-values.
    alphas : three floats, decreasing
        Levels of the 90, 95 and 99 % classes.
    fdr : bool
        Correct ``p`` by Benjamini-Hochberg first.

    Returns
    -------
    bins : numpy.ndarray of int8
    p_used : numpy.ndarray of float64
        The (adjusted) p-value compared with ``alphas``.
    """
    z = np.asarray(z, dtype="float64")
    p_used = fdr_bh(p) if fdr else np.asarray(p, dtype="float64").copy()
    level = sum((p_used <= a).astype("int8") for a in alphas)
    bins = (np.sign(z).astype("int8") * level).astype("int8")
    return bins, p_used


def gi_star(
    cells,
    values,
    options: HotspotOptions | dict | None = None,
    *,
    weights: CellWeights | None = None,
) -> pd.DataFrame:
    """Return the Getis-Ord Gi* hot spots of values on H3 cells.

    Parameters
    ----------
    cells : array_like of uint64
        Unique cells of one resolution (the study area: cells without events must be there
        with value 0, as in ArcGIS's aggregation of incidents).
    values : array_like of float or pandas.Series
        Value per cell, aligned with ``cells`` (counts, or the risk); a Series indexed by cell
        is matched to ``cells`` by id (a cell it lacks is an error: give it 0 if it had none).
    options : HotspotOptions or dict, optional
        Neighbourhood, weights, permutations, p-value, FDR, levels, seed (defaults: 1 ring,
        binary, 999 permutations, FDR on the exact randomization p-values).
    weights : CellWeights, optional
        Precomputed weights over the same cells (``options``' neighbourhood is then unused).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``cell`` (uint64): ``gi_z``, ``gi_p`` (two-sided, of z), ``gi_p_sim`` (folded
        pseudo p, when ``permutations > 0``), ``gi_p_exact`` (folded exact randomization p,
        when ``p_value`` is ``"exact"`` and it applies, see :func:`exact_p`), ``gi_p_adjusted`` (the p-value the class was
        decided on: BH-adjusted unless ``fdr`` is false), ``gi_bin`` (int8, -3..3),
        ``gi_class`` (e.g. ``"hot spot 99%"``), ``gi_neighbours`` (cells in the
        neighbourhood, itself included).

    Raises
    ------
    InputError
        Misaligned or non-finite values, or weights over other cells.
    """
    opts = validate_options(options)
    cells_in = grid.to_cells(np.asarray(cells))
    x_in = np.asarray(grid.align_to_cells(values, cells_in, "Gi* values"), dtype="float64")
    if x_in.shape != cells_in.shape:
        got = f"{x_in.size} values" if x_in.ndim == 1 else f"values of shape {x_in.shape}"
        raise InputError(f"{got} for {cells_in.size} cells; give one value per cell")
    if not np.isfinite(x_in).all():
        bad = x_in[~np.isfinite(x_in)][0]
        raise InputError(f"Gi* values must be finite, got {bad!r}")
    w = weights if weights is not None else weights_from_options(cells_in, opts)
    order = np.argsort(cells_in, kind="stable")
    if not np.array_equal(cells_in[order], w.cells):
        raise InputError("weights were built on other cells than the values'")
    x = x_in[order]
    z = gi_star_z(w.matrix, x)
    p_norm = 2.0 * ndtr(-np.abs(z))
    out = {"cell": w.cells, GI_Z: z, GI_P: p_norm}
    p_class = p_norm
    side = z
    conditional = False  # a p that holds the cell's own value (exact or permutation)
    # a conditional p (exact or permutation) tests the neighbours' sum with the cell's own value
    # held: hot or cold is the tail of that sum the p measures, not the sign of z (which
    # counts the cell) nor the side of the sum's mean (skewed values: tail_side)
    if opts.permutations > 0:
        small, large = permutation_tails(w.matrix, x, opts.permutations, opts.seed)
        p_sim = (np.minimum(small, large) + 1.0) / (opts.permutations + 1.0)
        out[GI_P_SIM] = p_sim
        if opts.p_value != "normal":
            p_class = np.minimum(1.0, 2.0 * p_sim)
            side = tail_side(small, large, _neighbour_side(w.matrix, x))
            conditional = True
    if opts.p_value == "exact":
        tails = _exact_tails(w.matrix, x)
        if tails is not None:
            p_exact = np.minimum(*tails)
            out[GI_P_EXACT] = p_exact
            p_class = np.minimum(1.0, 2.0 * p_exact)
            side = tail_side(*tails, _neighbour_side(w.matrix, x))
            conditional = True
    lone = np.asarray(w.neighbours) <= 1
    if conditional and opts.fdr and lone.any() and not lone.all():
        # A cell alone in its neighbourhood keeps its own value under a conditional p: its
        # statistic cannot vary, p = 1 by construction, whatever the data.  Counted in the
        # correction it is no test but raises every other cell's q by n / (n - lone): the
        # piracy incidents' 615 lone cells of 2,122 hid 21 of their 46 hot and cold spots.
        # Leaving out tests by the weights alone (never by the values) keeps the FDR bound.
        bins, p_used = significance_bins(
            side, np.where(lone, np.nan, p_class), opts.alphas, opts.fdr
        )
        p_used = np.where(lone, 1.0, p_used)
    else:
        bins, p_used = significance_bins(side, p_class, opts.alphas, opts.fdr)
    out[GI_P_ADJUSTED] = p_used
    out[GI_BIN] = bins
    out[GI_CLASS] = bin_labels(bins)
    out[GI_NEIGHBOURS] = w.neighbours
    return pd.DataFrame(out)


def _fdr_cells(frame: pd.DataFrame, used: str) -> int:
    if used == "normal" or GI_NEIGHBOURS not in frame.columns:
        return int(len(frame))
    with_neighbours = int((frame[GI_NEIGHBOURS] > 1).sum())
    return with_neighbours or int(len(frame))


def gi_summary(frame: pd.DataFrame, options: HotspotOptions | dict | None = None) -> dict:
    """Return a JSON-ready summary of a :func:`gi_star` table (no NaN, plain Python types).

    ``p_value`` is the option; ``p_value_used`` the p-value the classes were decided on
    (``"exact"`` falls back to ``"permutation"``, or ``"normal"`` without permutations, where
    :func:`exact_p` does not apply: kernel weights, or values that are not integers).
    """
    opts = validate_options(options)
    bins = frame[GI_BIN].to_numpy()
    z = frame[GI_Z].to_numpy(dtype="float64")
    if GI_P_EXACT in frame.columns:
        used = "exact"
    elif opts.p_value != "normal" and GI_P_SIM in frame.columns:
        used = "permutation"
    else:
        used = "normal"
    applies = {
        "exact": "2 x exact randomization p",
        "permutation": "2 x pseudo p",
        "normal": "two-sided normal p of z",
    }
    return {
        "cells": int(len(frame)),
        "classes": {_LABELS[k]: int((bins == k).sum()) for k in range(3, -4, -1)},
        "hot_cells": int((bins > 0).sum()),
        "cold_cells": int((bins < 0).sum()),
        "z_min": float(z.min()) if z.size else 0.0,
        "z_max": float(z.max()) if z.size else 0.0,
        # a cell alone in its neighbourhood (an island, or a hole all around it) is never
        # significant by a conditional p, and by the normal p only for its own value
        "cells_without_neighbours": int((frame[GI_NEIGHBOURS] <= 1).sum())
        if GI_NEIGHBOURS in frame.columns
        else 0,
        "neighbourhood": dict([opts.neighbourhood]),
        "weights": opts.weights,
        "permutations": int(opts.permutations),
        "p_value": opts.p_value,
        "p_value_used": used,
        "fdr": bool(opts.fdr),
        "fdr_applies_to": applies[used] if opts.fdr else "none",
        # the cells in the correction: a cell alone in its neighbourhood is no test under a
        # conditional p (p = 1 by construction) and is left out of it (gi_star)
        "fdr_cells": _fdr_cells(frame, used) if opts.fdr else 0,
        "alphas": [float(a) for a in opts.alphas],
        "seed": opts.seed,
    }
