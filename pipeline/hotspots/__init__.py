"""Hot spots that an analyst can defend: Gi* with FDR, emerging trends, per-cell uncertainty.

The library core of issue 13, pure and vectorised (frames and arrays in, frames out):

* :func:`cells_to_weights` -- sparse star weights on H3 cells (k rings or a distance band in km;
  binary or quartic kernel).
* :func:`gi_star` -- Getis-Ord Gi* z-scores, exact conditional-randomization p-values
  (:func:`exact_p`) and permutation pseudo p-values, the Benjamini-Hochberg correction by
  default and ArcGIS's 90/95/99 % hot/cold classes.
* :func:`emerging_hotspots` -- Gi* per slice of a space-time cube over a space-time
  neighbourhood, a Mann-Kendall trend per cell and ArcGIS's emerging hot-spot categories.
* :func:`bootstrap_cells` -- per-cell intervals and class stability from a bootstrap of the
  events.
* :func:`density_operator`, :func:`density_risk_statistic`, :func:`fitted_risk_statistic`,
  :func:`parametric_cells` -- the interval and class stability of the published risk (a
  bootstrap of the seizures through the density, or the fitted model's coefficient draws).
* :func:`timeline_table` -- a cell x period table where period *m* sees only data up to *m*,
  on one colour scale for all periods.

Every output frame is keyed by ``cell`` (uint64) and sorted by it; every summary is plain JSON
(no NaN).

Speed (``bench/bench_hotspots.py``, 2 shared cores): Gi* with 99 permutations on 1,000,519
resolution-8 cells of sparse counts in 3.6-6.3 s plus 1.0-1.3 s for the 1-ring weights, against
esda ``G_Local(star=True)`` at ~135 s extrapolated from 20,419 cells (22x measured there, where
the z-scores agree to 4e-15); emerging hot spots on 101,017 cells x 36 months in 0.9 s, against
~180 s for esda's space-time Gi* plus ``scipy.stats.kendalltau`` per cell (extrapolated).
"""

from ._emerging import (
    CATEGORIES,
    EMERGING_CATEGORY,
    EmergingResult,
    MannKendall,
    SpaceTimeCube,
    classify_emerging,
    emerging_hotspots,
    emerging_skipped,
    emerging_summary,
    mann_kendall,
    space_time_cube,
    space_time_z,
    window_correlation,
    window_variance_ratio,
)
from ._gistar import (
    GI_BIN,
    GI_CLASS,
    GI_NEIGHBOURS,
    GI_P,
    GI_P_ADJUSTED,
    GI_P_EXACT,
    GI_P_SIM,
    GI_Z,
    bin_labels,
    cell_counts,
    exact_p,
    fdr_bh,
    gi_star,
    gi_star_z,
    gi_summary,
    permutation_p,
    significance_bins,
)
from ._options import EmergingOptions, HotspotOptions, UncertaintyOptions, validate_options
from ._risk_uncertainty import (
    FittedCoefficients,
    density_operator,
    density_risk_statistic,
    fitted_risk_statistic,
)
from ._timeline import Timeline, global_breaks, timeline_summary, timeline_table
from ._uncertainty import (
    bootstrap_cells,
    bootstrap_summary,
    breaks_classifier,
    counts_statistic,
    gi_bin_classifier,
    gi_z_statistic,
    parametric_cells,
)
from ._weights import CellWeights, cells_to_weights, weights_from_options, weights_from_sparse

__all__ = [
    "FittedCoefficients",
    "Timeline",
    "bootstrap_cells",
    "bootstrap_summary",
    "breaks_classifier",
    "counts_statistic",
    "density_operator",
    "density_risk_statistic",
    "fitted_risk_statistic",
    "parametric_cells",
    "gi_bin_classifier",
    "gi_z_statistic",
    "global_breaks",
    "timeline_summary",
    "timeline_table",
    "CATEGORIES",
    "EMERGING_CATEGORY",
    "EmergingResult",
    "MannKendall",
    "SpaceTimeCube",
    "classify_emerging",
    "emerging_hotspots",
    "emerging_skipped",
    "emerging_summary",
    "mann_kendall",
    "space_time_cube",
    "space_time_z",
    "window_correlation",
    "window_variance_ratio",
    "GI_BIN",
    "GI_CLASS",
    "GI_NEIGHBOURS",
    "GI_P",
    "GI_P_ADJUSTED",
    "GI_P_EXACT",
    "GI_P_SIM",
    "GI_Z",
    "CellWeights",
    "EmergingOptions",
    "HotspotOptions",
    "UncertaintyOptions",
    "bin_labels",
    "cell_counts",
    "cells_to_weights",
    "exact_p",
    "fdr_bh",
    "gi_star",
    "gi_star_z",
    "gi_summary",
    "permutation_p",
    "significance_bins",
    "validate_options",
    "weights_from_options",
    "weights_from_sparse",
]
