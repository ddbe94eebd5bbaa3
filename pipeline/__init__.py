"""route-risk: H3 hexagon risk scores from seizures, tracks and rasters."""

from __future__ import annotations

__version__ = "0.1.0"
