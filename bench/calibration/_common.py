"""What the calibration scenarios share: the study area and the coverage of an interval."""

import time

import numpy as np

from pipeline import grid


def study_area(radius, res=6):
    """The sorted H3 cells within ``radius`` rings of (40° N, 10° E): cells, lat, lon, area (km²)."""
    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), radius))
    lat, lon = grid.cells_to_latlng(cells)
    return cells, lat, lon, grid.cell_area_km2(cells)


class Coverage:
    """How often a run's interval (``risk_lower``/``risk_upper``) holds a true value, per replicate."""

    def __init__(self):
        self.cover, self.width, self.t0 = [], [], time.time()

    def add(self, truth, got):
        """Add one replicate: the true value per cell and the table of intervals."""
        lo, hi = got.risk_lower.to_numpy(), got.risk_upper.to_numpy()
        self.cover.append(((truth >= lo - 1e-9) & (truth <= hi + 1e-9)).mean())
        self.width.append(np.median(hi - lo))

    def report(self, what):
        """Print the mean coverage, its Monte-Carlo error and the median width."""
        cover, r = np.array(self.cover), len(self.cover)
        print(
            f"{what} in {cover.mean():.3f} of cells (+- {cover.std(ddof=1) / np.sqrt(r):.3f} "
            f"over {r} replicates); median width {np.median(self.width):.1f} points "
            f"[{time.time() - self.t0:.0f}s]",
            flush=True,
        )
