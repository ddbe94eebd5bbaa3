"""Sweep 6: config values at and beyond their edges, as a user or a scheduler gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.density import seizure_weights
from pipeline.errors import ConfigError, InputError
from pipeline.grid import grid_disk_cells, region_to_cells

MINIMAL = "inputs:\n  seizures:\n    - path: s.csv\n"


def _load(tmp_path, text):
    import pipeline

    path = tmp_path / "c.yaml"
    path.write_text(text)
    return pipeline.load_config(path)


def test_a_margin_wider_than_the_globe_covers_the_globe_without_a_crash():
    # margin_km 100000 asked for a disk of ~2,600 rings around every cell at once: the
    # process died allocating terabytes ("memory allocation of 3846012303744 bytes failed")
    cells = region_to_cells((-70, 10, -60, 20), 2, margin_km=1e9)
    assert cells.size == 5882  # every cell of resolution 2
    with pytest.raises(InputError, match="margin"):
        region_to_cells((-70, 10, -60, 20), 7, margin_km=1e5)


def test_a_modest_margin_is_the_same_disk_as_before():
    base = region_to_cells((-70, 10, -60, 20), 5)
    grown = region_to_cells((-70, 10, -60, 20), 5, margin_km=60)
    # 60 km / (8.57 km edges * 1.5 * 0.85) -> 5.5, 6 rings: k rings reach 1.5 k edges (not
    # sqrt(3) k) between two neighbour directions, H3's uneven hexagons 0.85 of that
    assert np.array_equal(grown, grid_disk_cells(base, 6))


def test_a_bandwidth_far_below_the_cell_size_is_refused(tmp_path):
    # bandwidth_km 0.01 at resolution 4 (26 km cells): the density at every cell centre was 0
    # and the run published a risk without its main factor, silently
    with pytest.raises(ConfigError, match=r"bandwidth_km 0.01 .*area.resolution 4"):
        _load(tmp_path, MINIMAL + "area:\n  resolution: 4\ndensity:\n  bandwidth_km: 0.01\n")
    ok = _load(tmp_path, MINIMAL + "area:\n  resolution: 9\ndensity:\n  bandwidth_km: 0.1\n")
    assert ok.density.bandwidth_km == 0.1


@pytest.mark.parametrize(
    ("section", "name"),
    [
        (
            "score:\n  model: fitted\n  fitted:\n    bandwidths_km: [0.5, 50]\n",
            "score.fitted.bandwidths_km 0.5",
        ),
        ("evaluate:\n  kde_bandwidth_km: 0.5\n", "evaluate.kde_bandwidth_km 0.5"),
        (
            "transit:\n  smooth_events_km: 0.5\ninputs:\n  seizures:\n    - path: s.csv\n"
            "  tracks:\n    - path: t.csv\n",
            "transit.smooth_events_km 0.5",
        ),
    ],
    ids=["fitted", "kde-baseline", "smoothed-events"],
)
def test_every_kernel_far_below_the_cell_size_is_refused(tmp_path, section, name):
    # the fitted model's smoothed counts, the back-test's KDE baseline and smoothed transit
    # events are kernels taken at cell centres too: 0.5 km at resolution 4 gave 0 in most cells
    base = "area:\n  resolution: 4\ndensity:\n  bandwidth_km: 40\n" + section
    text = base if "inputs:" in section else MINIMAL + base
    with pytest.raises(ConfigError, match=rf"{name} is less than a quarter .* area.resolution 4"):
        _load(tmp_path, text)


def test_a_half_life_that_decays_every_weight_to_zero_is_refused():
    # half_life_days 1e-9: every weight underflowed to 0 and the density was 0 everywhere
    s = pd.DataFrame({"time": pd.to_datetime(["2026-06-01", "2026-06-20"], utc=True)})
    with pytest.raises(ConfigError, match="half_life_days 1e-09: every seizure's weight"):
        seizure_weights(s, as_of="2026-06-30", half_life_days=1e-9)
    w = seizure_weights(s, as_of="2026-06-30", half_life_days=1.0)
    assert w[1] > 0


def test_kernel_defaults_too_narrow_for_coarse_cells_are_widened_and_said(tmp_path):
    # resolution 2 (183 km cells) with density.bandwidth_km 100: the run was refused for
    # evaluate.kde_bandwidth_km 25, a default the user never wrote (then for the fitted
    # model's 25 km); a default now takes its resolution's width (two cell edges, rounded
    # up to 5 km: tests/test_res_defaults.py), stated
    text = (
        MINIMAL + "area:\n  resolution: 2\ndensity:\n  bandwidth_km: 100\nscore:\n  model: fitted\n"
    )
    cfg = _load(tmp_path, text)
    assert cfg.density.bandwidth_km == 100.0  # written: kept
    assert cfg.evaluate.kde_bandwidth_km == 370.0
    assert cfg.score.fitted.bandwidths_km == (370.0, 740.0, 1480.0)
    said = cfg.resolution_default_notes()
    assert [n.split(":")[0] for n in said] == [
        "evaluate.kde_bandwidth_km 370 km",
        "score.fitted.bandwidths_km [370, 740, 1480] km ([25, 50, 100] km times 14.8)",
    ]
    # the defaults stand where the cells are fine enough; a written value is checked as is
    fine = _load(tmp_path, MINIMAL + "area:\n  resolution: 5\n")
    assert fine.evaluate.kde_bandwidth_km == 25.0
    assert fine.score.fitted.bandwidths_km == (25.0, 50.0, 100.0)
    with pytest.raises(ConfigError, match=r"evaluate.kde_bandwidth_km 25 is less than a quarter"):
        _load(tmp_path, text + "evaluate:\n  kde_bandwidth_km: 25\n")
    # the weighted score never uses the fitted model's bandwidths: nothing said of them
    weighted = _load(tmp_path, text.replace("  model: fitted\n", "  model: weighted\n"))
    said = " ".join(weighted.resolution_default_notes())
    assert "evaluate.kde_bandwidth_km" in said and "score.fitted" not in said
