"""Reference geometry written out in the tests, independent of :mod:`pipeline.sphere`."""

from __future__ import annotations

import numpy as np


def haversine_km(lon1, lat1, lon2, lat2, radius_km: float) -> np.ndarray:
    """Great-circle distance (km) on a sphere of ``radius_km`` by the haversine formula."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * radius_km * np.arcsin(np.sqrt(h))
