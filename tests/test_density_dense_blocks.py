"""The direct evaluator sums compact blocks of targets densely and sparse ones by KD-tree pairs.

Both ways must give every target the same bits (a nightly run's tiles and a full run's are
evaluated in different company, so a target may be summed one way tonight and the other way
in the full run), and both must equal the brute-force haversine sum.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.density import _direct
from pipeline.density._direct import density_brute, density_tree


def _clustered(seed: int, n_p: int, n_t: int, span: float):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-span, span, (12, 2))
    lab = rng.integers(0, 12, n_p)
    p_lon = -40.0 + centres[lab, 0] + rng.normal(0, span / 8, n_p)
    p_lat = 30.0 + centres[lab, 1] / 2 + rng.normal(0, span / 16, n_p)
    t_lon = -40.0 + rng.uniform(-span, span, n_t)
    t_lat = 30.0 + rng.uniform(-span / 2, span / 2, n_t)
    return t_lon, t_lat, p_lon, p_lat, rng.gamma(2.0, 1.0, n_p)


def _forced(monkeypatch, way: str):
    if way == "dense":  # one cube per octant, every cube dense
        monkeypatch.setattr(_direct, "DENSE_BALL", 1e9)
        monkeypatch.setattr(_direct, "MIN_DENSE_TARGETS", 1)
        monkeypatch.setattr(_direct, "MIN_DENSE_TERMS", 0)
    elif way == "tree":  # no cube is worth it: every target goes to the tree's pairs
        monkeypatch.setattr(_direct, "MIN_DENSE_TERMS", 10**18)
    elif way == "small":  # small cubes, many dense with a few targets, the rest to the tree
        monkeypatch.setattr(_direct, "DENSE_BALL", 0.2)
        monkeypatch.setattr(_direct, "MIN_DENSE_TARGETS", 2)
        monkeypatch.setattr(_direct, "MIN_DENSE_TERMS", 50)


@pytest.mark.parametrize(
    ("kernel", "h"), [("gaussian", 30.0), ("quartic", 60.0), ("uniform", 45.0)]
)
def test_dense_and_tree_sums_have_the_same_bits_and_equal_the_brute_force(monkeypatch, kernel, h):
    t_lon, t_lat, p_lon, p_lat, w = _clustered(3, 900, 700, 4.0)
    got, used = {}, {}
    for way in ("tree", "dense", "small", "mixed"):
        with monkeypatch.context() as m:
            _forced(m, way)
            calls: list[str] = []
            for fn in ("_dense_sums", "_tree_sums"):
                real = getattr(_direct, fn)
                m.setattr(
                    _direct,
                    fn,
                    lambda *a, real=real, fn=fn, calls=calls: calls.append(fn) or real(*a),
                )
            got[way] = density_tree(t_lon, t_lat, p_lon, p_lat, w, h, kernel)
            used[way] = set(calls)
    assert used["tree"] == {"_tree_sums"} and used["dense"] == {"_dense_sums"}
    assert used["small"] == {"_dense_sums", "_tree_sums"}
    assert (got["tree"] > 0).mean() > 0.5
    for way in ("dense", "small", "mixed"):
        assert np.array_equal(got[way].view("int64"), got["tree"].view("int64")), way
    ref = density_brute(t_lon, t_lat, p_lon, p_lat, w, h, kernel)
    # the gaussian is truncated at 7 bandwidths (e^-24.5 of its peak) by the fast evaluators
    np.testing.assert_allclose(got["mixed"], ref, rtol=1e-9, atol=1e-10 * ref.max())


def test_a_point_at_the_edge_of_a_uniform_kernel_counts_alike_both_ways(monkeypatch):
    # the uniform kernel is a step at h: a point just inside counts fully, just outside not
    from pipeline.sphere import EARTH_RADIUS_KM

    h = 50.0
    deg = np.degrees(h / EARTH_RADIUS_KM)
    t_lon = np.zeros(60)
    t_lat = np.linspace(-1.0, 1.0, 60)
    # one point per target, due east at h (1 -+ 1e-7), alternately just inside and just outside
    inside = np.arange(60) % 2 == 0
    p_lat = t_lat.copy()
    p_lon = np.where(inside, 1 - 1e-7, 1 + 1e-7) * deg / np.cos(np.radians(t_lat))
    w = np.ones(60)
    ref = density_brute(t_lon, t_lat, p_lon, p_lat, w, h, "uniform")
    for way in ("tree", "dense"):
        with monkeypatch.context() as m:
            _forced(m, way)
            got = density_tree(t_lon, t_lat, p_lon, p_lat, w, h, "uniform")
        assert np.array_equal(got > 0, ref > 0), way
        assert np.array_equal(got > 0, inside), way


def test_wide_targets_split_into_blocks_each_summed_one_way_give_the_whole_sum():
    # a real mix: clustered points, targets dense in one corner and sparse elsewhere, so some
    # blocks go dense and some to the tree; any subset of targets gets the same bits
    rng = np.random.default_rng(11)
    t_lon, t_lat, p_lon, p_lat, w = _clustered(5, 2000, 300, 8.0)
    t_lon = np.r_[t_lon, -40.0 + rng.uniform(0, 0.5, 900)]
    t_lat = np.r_[t_lat, 30.0 + rng.uniform(0, 0.5, 900)]
    whole = density_tree(t_lon, t_lat, p_lon, p_lat, w, 12.0, "epanechnikov")
    for part in (np.arange(300), np.arange(300, 1200), rng.permutation(1200)[:77]):
        alone = density_tree(t_lon[part], t_lat[part], p_lon, p_lat, w, 12.0, "epanechnikov")
        assert np.array_equal(alone.view("int64"), whole[part].view("int64"))


def test_weights_of_minus_zero_give_plus_zero_both_ways(monkeypatch):
    # np.bincount starts a target's sum at +0.0, np.cumsum at its first term: a target whose
    # terms are all -0.0 (a point weighted -0.0) got -0.0 densely and +0.0 from the tree
    t_lon, t_lat = np.array([10.0, 10.0]), np.array([50.0, 50.02])
    p_lon, p_lat, w = np.array([10.001]), np.array([50.0]), np.array([-0.0])
    got = {}
    for way in ("tree", "dense"):
        with monkeypatch.context() as m:
            _forced(m, way)
            got[way] = density_tree(t_lon, t_lat, p_lon, p_lat, w, 5.0, "quartic")
    assert np.array_equal(got["dense"].view("int64"), got["tree"].view("int64"))
    assert np.array_equal(got["dense"].view("int64"), np.zeros(2).view("int64"))


def test_a_point_at_the_antipode_counts_for_a_gaussian_reaching_round_the_globe(monkeypatch):
    # a gaussian of 5,000 km reaches 35,000 km: every point, the antipode included; the
    # reach's chord was the diameter, and an antipode's chord rounding past it was dropped
    rng = np.random.default_rng(4)
    for lon, lat in zip(rng.uniform(0.0, 180.0, 40), rng.uniform(-80.0, 80.0, 40), strict=True):
        # the target and one 100 m north (a block of one target has no width to halve)
        t_lon, t_lat = np.array([lon, lon]), np.array([lat, lat + 1e-3])
        p = (np.array([lon - 180.0]), np.array([-lat]), np.ones(1), 5000.0, "gaussian")
        ref = density_brute(t_lon, t_lat, *p)
        for way in ("tree", "dense"):
            with monkeypatch.context() as m:
                _forced(m, way)
                got = density_tree(t_lon, t_lat, *p)
            # (near the antipode a chord gives the arc to ~1e-4 km only: arcsin's slope)
            np.testing.assert_allclose(got, ref, rtol=1e-6, err_msg=f"{way} at {lon}, {lat}")


def test_a_memo_s_tile_holds_the_point_at_its_antipode(tmp_path):
    # density_by_tiles sums a tile over the points within its cap widened by the support; a
    # cap round the globe was the diameter's chord, which dropped a point at the antipode of
    # the tile's centre: a tile with no other point was skipped (0 with a memo, against
    # 2.6e-12 without, and a warning that no point was within reach: 3 of these 8 cells)
    from pipeline.density import density_memo, kernel_density
    from pipeline.grid import cells_to_latlng, points_to_cells
    from pipeline.runner.cache import StageCache

    rng = np.random.default_rng(6)
    cells = points_to_cells(rng.uniform(-179, 179, 30), rng.uniform(-80, 80, 30), 3)[:8]
    lat, lon = cells_to_latlng(cells)
    kw = {"bandwidth_km": 5000.0, "kernel": "gaussian", "method": "direct"}
    memo = StageCache(tmp_path / ".cache").memo("m", [1])
    for i, cell in enumerate(cells):
        point = (np.array([lon[i] - 180.0 if lon[i] > 0 else lon[i] + 180.0]), -lat[i : i + 1])
        plain = kernel_density(point, cells[i : i + 1], **kw)
        with density_memo(memo):
            tiled = kernel_density(point, cells[i : i + 1], **kw)
        assert plain[0] > 0
        assert np.array_equal(tiled.view("int64"), plain.view("int64")), cell
