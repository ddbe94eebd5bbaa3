"""Risk models behind one fit / predict / explain / report interface.

``weighted`` (:class:`WeightedModel`, the hand-weighted points of :mod:`pipeline.score`) and
``fitted`` (:class:`FittedModel`, a Poisson / negative-binomial count model with relative risk
values per factor, RTM-style).  See ``DESIGN.md`` in this folder.
"""

from .base import RiskModel, as_method
from .features import LaggedFeatures, build_lagged_features, smoothed_counts
from .fitted import FittedModel, cluster_robust_cov, fit_log_link, loglike_obs, nb2_alpha
from .options import FittedOptions
from .tuning import density_parameters_at, select_density_parameters
from .weighted import WeightedModel

__all__ = [
    "FittedModel",
    "FittedOptions",
    "LaggedFeatures",
    "RiskModel",
    "WeightedModel",
    "as_method",
    "build_lagged_features",
    "cluster_robust_cov",
    "fit_log_link",
    "fitted_method",
    "loglike_obs",
    "nb2_alpha",
    "density_parameters_at",
    "select_density_parameters",
    "smoothed_counts",
]


def fitted_method(options: FittedOptions | None = None, factors=None, *, inference: bool = False):
    """Return the fitted model as a back-test method (``as_method`` of a :class:`FittedModel`).

    Parameters
    ----------
    options : FittedOptions, optional
        The model's options.
    factors : DataFrame or callable, optional
        Extra per-cell factors (see :func:`as_method`).
    inference : bool, default False
        Refit with statsmodels and take cluster-robust errors at each origin
        (:class:`FittedModel`); a back-test only ranks the forecasts, so it is off.
    """
    return as_method(lambda: FittedModel(options, inference=inference), factors)
