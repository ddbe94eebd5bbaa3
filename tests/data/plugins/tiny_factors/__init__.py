"""A tiny third-party factor package, found through its entry point (tests only)."""

import numpy as np

from pipeline.factors import Factor


def _abs_latitude(ctx):
    """Distance of the cell centre from the equator; covered only north of 10 deg N."""
    _, lat = ctx.cell_centres()
    return np.where(lat > 10.0, np.abs(lat), np.nan)


ABS_LATITUDE = Factor(
    name="abs_latitude",
    unit="degrees",
    description="Distance of the cell centre from the equator (tiny_factors plug-in).",
    compute=_abs_latitude,
    missing_text="south of 10 N: not modelled",
)
