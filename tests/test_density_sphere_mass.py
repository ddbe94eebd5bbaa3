"""One point's kernel density integrates to 1 over the sphere, at every bandwidth allowed.

The kernels were normalised in the plane: on the sphere one point's density integrated to
0.72 (gaussian) to 0.96 (quartic) at 6,400 km, 0.51 for a quartic of 25,650 km, the width the
``auto`` candidates reached at resolution 0 (``bench/bench_density_sphere_mass.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import config_from, disk_cells
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from pipeline.density import (
    KERNELS,
    MAX_BANDWIDTH_KM,
    kernel_density,
    kernel_profile,
)
from pipeline.errors import ConfigError
from pipeline.grid import cell_area_km2, change_resolution, grid_disk_cells, points_to_cells
from pipeline.sphere import EARTH_RADIUS_KM

R = EARTH_RADIUS_KM


def _sphere_mass(kernel: str, h: float) -> float:
    """``∫_0^{πR} K(d) 2πR sin(d/R) dd`` by adaptive quadrature (independent of the code's)."""
    top = np.pi * R if kernel == "gaussian" else min(h, np.pi * R)

    def f(d: float) -> float:
        return float(kernel_profile(kernel, np.array([d]), h)[0]) * 2 * np.pi * R * np.sin(d / R)

    cuts = [x for x in (h, 3 * h, 7 * h) if x < top] if kernel == "gaussian" else []
    val, _ = quad(f, 0.0, top, points=cuts or None, limit=400, epsabs=1e-13, epsrel=1e-12)
    return float(val)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("h", [25.0, 370.0, 1000.0, 3000.0, 6400.0, MAX_BANDWIDTH_KM])
def test_one_point_integrates_to_one_over_the_sphere(kernel, h):
    # planar normalisation: 1 - 5e-6 (gaussian) at 25 km, 0.72 at 6,400 km
    assert _sphere_mass(kernel, h) == pytest.approx(1.0, abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(kernel=st.sampled_from(KERNELS), log_h=st.floats(np.log(1e-3), np.log(MAX_BANDWIDTH_KM)))
def test_mass_is_one_for_any_bandwidth(kernel, log_h):
    h = min(float(np.exp(log_h)), MAX_BANDWIDTH_KM)
    assert _sphere_mass(kernel, h) == pytest.approx(1.0, abs=1e-9)


def _global_cells(res: int) -> np.ndarray:
    base = np.unique(
        points_to_cells(*np.meshgrid(np.arange(-180, 180, 5.0), np.arange(-90, 91, 5.0)), 0)
    )
    assert base.size == 122  # every resolution-0 cell
    return np.unique(change_resolution(base, res))


@pytest.mark.parametrize("kernel", ["gaussian", "quartic", "epanechnikov"])
def test_cells_over_the_globe_hold_the_weight(kernel):
    # Σ f(c) area(c) over every resolution-3 cell (59 km edges) for two points of weights 1
    # and 2, 3,000 km wide: 3 within the cells' sampling (planar: 2.79 gaussian, 2.97 quartic)
    cells = _global_cells(3)
    area = cell_area_km2(cells)
    pts = ([10.0, -60.0], [50.0, -20.0])
    for method in ("exact", "direct"):
        f = kernel_density(
            pts, cells, bandwidth_km=3000.0, kernel=kernel, weights=[1.0, 2.0], method=method
        )
        assert float((f * area).sum()) == pytest.approx(3.0, rel=1e-4), method


def test_fft_is_normalised_as_the_others():
    # the fft evaluator has its own gaussian constant: at 100 km it was 8.2e-5 low of exact
    cells = np.sort(grid_disk_cells(points_to_cells([10.0], [40.0], 4), 24))
    area = cell_area_km2(cells)
    pts = ([10.0, 10.4], [40.0, 40.3])
    exact = kernel_density(pts, cells, bandwidth_km=100.0, method="exact")
    fft = kernel_density(pts, cells, bandwidth_km=100.0, method="fft")
    m_exact, m_fft = float((exact * area).sum()), float((fft * area).sum())
    assert m_exact == pytest.approx(2.0, rel=2e-5)
    assert m_fft == pytest.approx(m_exact, rel=2e-5)


def test_auto_leaves_fft_to_bandwidths_a_tile_holds():
    # 1,000 km on a wide theatre: auto took fft, 1.8 % off exact (7 h never fits an 800 km tile)
    rng = np.random.default_rng(0)
    cells = disk_cells(14, 2)
    lon, lat = rng.uniform(-30, 60, 3000), rng.uniform(-40, 50, 3000)
    res = kernel_density((lon, lat), cells, bandwidth_km=1000.0, return_result=True)
    assert res.method == "direct"
    exact = kernel_density((lon, lat), cells, bandwidth_km=1000.0, method="exact")
    np.testing.assert_allclose(res.density, exact, rtol=1e-8, atol=1e-8 * exact.max())
    with pytest.raises(ConfigError, match=r"method 'fft' takes bandwidths up to 114.2 km"):
        kernel_density((lon[:5], lat[:5]), cells[:5], bandwidth_km=300.0, method="fft")


def test_a_bandwidth_wider_than_a_quarter_of_the_globe_is_refused():
    cells = disk_cells(1, 0)
    with pytest.raises(ConfigError, match=r"bandwidth_km 20000 km is wider than a quarter"):
        kernel_density(([0.0], [0.0]), cells, bandwidth_km=20000.0, kernel="uniform")
    f = kernel_density(([0.0], [0.0]), cells, bandwidth_km=MAX_BANDWIDTH_KM, kernel="uniform")
    assert f.max() == pytest.approx(1 / (2 * np.pi * R * R), rel=1e-12)  # a hemisphere's


def _config(tmp_path, **density):
    seizures = tmp_path / "s.csv"
    tmp_path.mkdir(parents=True, exist_ok=True)
    seizures.write_text("date,lat,lon\n2024-01-01,42.0,3.0\n")
    raw = {
        "run": {"as_of": "2024-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 6.0, 45.0], "resolution": 0},
        "inputs": {"seizures": [{"path": str(seizures)}]},
        "density": density,
        "score": {"model": "fitted"},
    }
    return config_from(raw, tmp_path)


def test_config_caps_scaled_defaults_and_refuses_written_widths(tmp_path):
    # resolution 0: the uniform's auto candidates were scaled to 38,450 km, the fitted list
    # (quartic) to 10,260 km; those past 10,008 km are left out and said so
    cfg = _config(tmp_path / "auto", bandwidth_km="auto", kernel="uniform")
    assert cfg.density.auto_bandwidths_km == (3845.0, 9612.5)
    assert cfg.score.fitted.bandwidths_km == (2565.0, 5130.0)
    notes = cfg.resolution_default_notes()
    assert any("[19225, 38450] km left out: wider than a quarter" in n for n in notes)
    assert any("[10260] km left out" in n for n in notes)
    for density in (
        {"bandwidth_km": 20000},
        {"bandwidth_km": "auto", "auto_bandwidths_km": [100, 12000]},
        {"bandwidth_km": "cv", "bandwidth_range_km": [100, 15000]},
    ):
        with pytest.raises(ConfigError, match=r"km is wider than a quarter of the Earth's"):
            _config(tmp_path / "wide", **density)


def test_seizures_within_counts_whole_seizures_at_a_wide_bandwidth():
    # score.seizures_within counted a uniform density times π h², the planar height: with the
    # kernel normalised on the sphere, 100 seizures read 102 at 3,000 km
    from pipeline.score import seizures_within

    seizures = pd.DataFrame({"lon": np.full(100, 10.0), "lat": np.full(100, 40.0)})
    for h in (1000.0, 3000.0, 9000.0):
        assert seizures_within(seizures, disk_cells(1, 2), h).tolist() == [100] * 7, h
