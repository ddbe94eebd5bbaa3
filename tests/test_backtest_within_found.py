"""``within`` beside fixed cells: refused, not dropped without a word (hFS's left-alone).

``rolling_back_test(events, cells, within=...)`` applied ``within`` only when ``cells`` was
None: given both, the map's cells were ignored and every share of area taken of cells the map
cannot show, with no word.  The tuning of ``bandwidth_km: auto`` passes both through.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import schema as S
from pipeline.errors import InputError
from pipeline.evaluate import rolling_back_test
from pipeline.grid import region_to_cells
from pipeline.model import select_density_parameters


def _events() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 200
    return pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2023-01-01", tz="UTC")
            + pd.to_timedelta(np.sort(rng.uniform(0, 700, n)), unit="D"),
            S.LON: rng.normal(10.3, 0.1, n),
            S.LAT: rng.normal(54.1, 0.1, n),
        }
    )


def test_within_beside_given_cells_is_refused():
    cells = region_to_cells((9.8, 53.6, 10.8, 54.6), 5)
    with pytest.raises(InputError, match="within applies where the universe comes from"):
        rolling_back_test(
            _events(), cells, within=cells[: len(cells) // 2], origins=2, train_days=365
        )
    with pytest.raises(InputError, match="within applies where the universe comes from"):
        select_density_parameters(
            _events(), cells, bandwidths_km=20.0, half_lives_days=None, within=cells[:3]
        )
    # each alone is read as before
    alone = rolling_back_test(_events(), cells, origins=2, train_days=365)
    assert alone["origins"]
    held = rolling_back_test(_events(), None, resolution=5, within=cells, origins=2, train_days=365)
    assert held["origins"]
