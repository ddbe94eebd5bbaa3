"""Tests that a mutation review of the back-test stage, the outputs and the built-in factors
found missing (hGB).

Each pins what a plausible one-line bug changed with every other test passing: the density
of a back-test origin not counted as covering its cells (the weighted score then ranked
without it), a plug-in recomputed at each origin named present data, the manifest's total
density weight taken at the decay anchor instead of ``as_of``.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import seizures_per_cell, small_config

import pipeline
from pipeline import schema as S

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


#: A run of the density alone, no tracks, timeline or hot spots, back-tested at 3 origins.
DENSITY_BACK_TEST = {
    "score": {"factors": {"seizure_density": {"weight": 1}}},
    "inputs": {"tracks": []},
    "timeline": {"months": 0},
    "hotspots": {"enabled": False},
    "evaluate": {"origins": 3, "horizon_days": 60, "train_days": 365, "min_train_events": 5},
}


@pipeline.factor(
    name="seizures_before_hgb",
    unit="seizures",
    description="Seizures in the cell up to as_of.",
    needs=("seizures",),
)
def seizures_before_hgb(ctx):
    return seizures_per_cell(ctx, ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of])


@pytest.fixture(scope="module")
def density_only(small_demo, tmp_path_factory):
    """One weighted run whose published score is the density alone (capped at its maximum:
    a monotone map of it), a raster of weight 0 and a seizure-counting plug-in of weight 0."""
    tmp = tmp_path_factory.mktemp("density_only")
    cfg = small_config(
        small_demo,
        tmp,
        inputs={"tracks": []},
        score={
            "factors": {
                "seizure_density": {"weight": 1},
                "nightlights_mean": {"weight": 0},
            },
            "cap_quantile": 1.0,
        },
        timeline={"months": 0},
        hotspots={"enabled": False},
        evaluate={"origins": 3},
    )
    out = pipeline.run_pipeline(cfg).out_dir
    return json.loads((out / "evaluation.json").read_text()), out


def test_the_published_density_score_ranks_each_origin_as_the_density_baseline(density_only):
    # The density recomputed at each origin (_features_at) is covered on every cell; said not
    # covered, the weighted score had no factor left, every forecast missing, and the
    # published curve was no longer the density's, with every other test passing.
    ev, _ = density_only
    assert len(ev["origins"]) == 3
    for o in ev["origins"]:
        published = np.asarray(o["methods"]["published"]["curve"], dtype="float64")
        density = np.asarray(o["methods"]["density"]["curve"], dtype="float64")
        assert np.isfinite(published).all() and published.max() > 0
        np.testing.assert_allclose(published, density, rtol=0, atol=1e-12, err_msg=o["origin"])


def test_a_factor_of_weight_0_is_not_on_the_map_s_card(density_only):
    # a factor of weight 0 is left out of the score: the card listed it with a value and a
    # "weight 0" share of a risk it does not enter
    _, out = density_only
    assert set(_card_factors(out)) == {"seizure density"}


def test_the_card_s_confidence_names_the_run_s_density_bandwidth(density_only):
    # "n seizures within <bandwidth> km" on the card: the map was given no bandwidth and
    # said "within" nothing, with every map test passing
    _, out = density_only
    manifest = json.loads((out / "manifest.json").read_text())
    said = re.findall(r'"bandwidthKm": ?([0-9.eE+-]+|null)', (out / "risk_map.html").read_text())
    assert said and said[0] != "null"
    assert float(said[0]) == pytest.approx(manifest["features"]["density"]["bandwidth_km"])


def test_a_seizure_plug_in_recomputed_at_each_origin_is_no_present_data(small_demo, tmp_path):
    # seizures_before_hgb counts the seizures: recomputed at each origin from those before it,
    # it is no look-ahead; named present data, evaluation.json and the map's back-test panel
    # warned of one that is not there.  And the card gives a raster factor the unit its
    # raster declares (the manifest did; the card gave the placeholder "nightlights units").
    import rioxarray

    lights = rioxarray.open_rasterio(small_demo / "inputs" / "nightlights.tif")
    lights.attrs["units"] = "nW cm-2 sr-1"
    lights.rio.to_raster(tmp_path / "lights.tif")
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={
            "tracks": [],
            "rasters": [{"path": str(tmp_path / "lights.tif"), "name": "nightlights"}],
        },
        factors={"plugins": ["test_mutants_backtest_stage_found:seizures_before_hgb"]},
        score={
            "factors": {
                "seizure_density": {"weight": 1},
                "seizures_before_hgb": {"weight": 1},
                "nightlights_mean": {"weight": 1},
            }
        },
        timeline={"months": 0},
        hotspots={"enabled": False},
        evaluate={"origins": 2},
    )
    out = pipeline.run_pipeline(cfg).out_dir
    ev = json.loads((out / "evaluation.json").read_text())
    assert ev["present_data_factors"] == ["nightlights_mean"]
    assert "seizures_before_hgb" not in ev["present_data"]
    card = _card_factors(out)
    assert card["nightlights mean"]["unit"] == "nW cm-2 sr-1"


def _card_factors(out) -> dict:
    """The explain card's factors of the run's map, by the factor's name in their label."""
    page = (out / "risk_map.html").read_text()
    found = {}
    for m in re.finditer(r'\{"label": ?"([^"]*)", ?"unit": ?"([^"]*)"', page):
        found[m[1]] = {"unit": m[2]}
    return found


def test_the_density_s_total_weight_is_decayed_to_as_of_not_to_its_anchor():
    # The density is decayed from a fixed anchor and scaled to as_of (decay_anchor); the
    # info's total_weight (the manifest's density) must be scaled as well: it is the sum of
    # the seizures' weights decayed to as_of, whatever the anchor.
    from pipeline.builtin_factors import density_on_cells
    from pipeline.config import DensityConfig
    from pipeline.density import seizure_weights
    from pipeline.grid import region_to_cells

    rng = np.random.default_rng(3)
    n = 40
    seizures = pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.uniform(0, 300, n), unit="D"),
            S.LON: rng.uniform(0, 2, n),
            S.LAT: rng.uniform(0, 2, n),
        }
    )
    as_of = pd.Timestamp("2025-12-31 23:59:59", tz="UTC")
    opts = DensityConfig(kernel="quartic", bandwidth_km=40.0, half_life_days=60.0)
    _, info = density_on_cells(seizures, region_to_cells((0, 0, 2, 2), 4), as_of, opts, None)
    want = seizure_weights(seizures, as_of=as_of, half_life_days=60.0).sum()
    assert 1.0 < want < n
    assert info["total_weight"] == pytest.approx(want, rel=1e-5)


def test_a_position_received_at_as_of_itself_covers_the_map_of_that_day():
    # "a position received later does not cover a map of that day": one received at as_of
    # is not later (the day's last microsecond, as a run's as_of is); cut with < it was
    # "no AIS coverage" on a cell a vessel crossed that day
    from pipeline.builtin_factors import ais_coverage
    from pipeline.grid import points_to_cells

    as_of = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
    pings = pd.DataFrame({S.TIME: [as_of], S.LON: [3.0], S.LAT: [2.0]})
    cell = points_to_cells(np.array([3.0]), np.array([2.0]), 5)
    assert ais_coverage(pings, cell, 5, 1.0, until=as_of).tolist() == [True]
    earlier = as_of - pd.Timedelta(microseconds=1)
    assert ais_coverage(pings, cell, 5, 1.0, until=earlier).tolist() == [False]


def test_a_raster_s_valid_fraction_is_a_fraction_and_its_sum_in_the_raster_s_units(
    small_demo, tmp_path
):
    # the unit the card and the manifest give a raster factor that declares none
    from pipeline.factors import default_registry

    cfg = small_config(small_demo, tmp_path)
    available = default_registry.available(cfg.inputs_view())
    assert available["nightlights_valid_fraction"].unit == "fraction"
    assert available["nightlights_sum"].unit == "nightlights units"
    assert available["nightlights_mean"].unit == "nightlights units"


def test_the_transit_layer_draws_crossed_cells_and_the_factor_has_0_h_where_none_crossed(
    small_demo, tmp_path
):
    # the layer's cells are those of vessel-hours > 0: with the cells of 0 h (and the cells
    # without AIS coverage, NaN) it drew most of the area as the lowest class of traffic
    cfg = small_config(
        small_demo,
        tmp_path,
        timeline={"months": 0},
        hotspots={"enabled": False},
        evaluate={"enabled": False},
    )
    out = pipeline.run_pipeline(cfg).out_dir
    features = pd.read_parquet(out / "features.parquet")
    crossed = int((features[S.VESSEL_HOURS] > 0).sum())
    assert 0 < crossed < len(features)
    # a cell within the AIS coverage that no vessel crossed has 0 h, not a missing value
    # (a NaN there is "not covered" for the score)
    covered = features[S.VESSEL_HOURS + S.COVERED_SUFFIX].to_numpy(dtype=bool)
    hours = features[S.VESSEL_HOURS].to_numpy(dtype="float64")
    assert (covered & (hours == 0)).any()
    assert not np.isnan(hours[covered]).any()
    page = (out / "risk_map.html").read_text()
    layer = re.search(r'"key": ?"transit".*?"values": ?\[([^\]]*)\]', page, re.S)
    assert layer is not None
    values = [v.strip() for v in layer[1].split(",") if v.strip()]
    assert len(values) == crossed


def test_each_back_test_origin_s_density_takes_its_nested_parameters(
    small_demo, tmp_path, monkeypatch
):
    # density: auto chose the run's pair on the back-test's own origins; an origin scored
    # with that pair (the run's density options) instead of the pair chosen on the origins
    # whose test windows had ended by then is optimistic, while evaluation.json still
    # reported the nested pairs: the densities computed at each origin are checked here
    import pipeline.builtin_factors as bf

    used: dict[pd.Timestamp, set] = {}
    density_on_cells = bf.density_on_cells

    def spy(seizures, cells, as_of, options, window_cells):
        pair = (float(options.bandwidth_km), options.half_life_days)
        used.setdefault(pd.Timestamp(as_of), set()).add(pair)
        return density_on_cells(seizures, cells, as_of, options, window_cells)

    monkeypatch.setattr(bf, "density_on_cells", spy)
    density = {
        "bandwidth_km": "auto",
        "half_life_days": "auto",
        "auto_bandwidths_km": [30, 120],
        "auto_half_lives_days": [None, 60],
    }
    cfg = small_config(
        small_demo,
        tmp_path,
        density=density,
        **DENSITY_BACK_TEST,
    )
    result = pipeline.run_pipeline(cfg)
    ev = json.loads((result.out_dir / "evaluation.json").read_text())
    nested = ev["density_parameters_by_origin"]
    assert len(nested) == 3
    chosen = result.manifest["features"]["density_parameters"]
    run_pair = (float(chosen["bandwidth_km"]), chosen["half_life_days"])
    pairs = {(float(n["bandwidth_km"]), n["half_life_days"]) for n in nested}
    assert pairs != {run_pair}, "every origin's pair is the run's: the test proves nothing"
    for n in nested:
        pair = (float(n["bandwidth_km"]), n["half_life_days"])
        assert used[pd.Timestamp(n["origin"])] == {pair}, n["origin"]


def test_a_night_fixing_the_pair_density_auto_chose_is_back_tested_again(small_demo, tmp_path):
    # With density: auto the run's config holds the chosen numbers, so a night that writes
    # those numbers in the config has the same density options: only the key's word that
    # the choice was nested tells the two back-tests apart (the auto run's origins used
    # their nested pairs, the fixed run's its one pair)
    def run(out, density):
        cfg = small_config(
            small_demo,
            out,
            run={"as_of": "2026-06-30", "out_dir": str(out / "out")},
            density={
                "auto_bandwidths_km": [30, 120],
                "auto_half_lives_days": [None, 60],
                **density,
            },
            **DENSITY_BACK_TEST,
        )
        result = pipeline.run_pipeline(cfg)
        ev = json.loads((result.out_dir / "evaluation.json").read_text())
        return ev, result.manifest["features"]["density_parameters"]

    auto, choice = run(tmp_path / "night", {"bandwidth_km": "auto", "half_life_days": "auto"})
    fixed = {"bandwidth_km": choice["bandwidth_km"], "half_life_days": choice["half_life_days"]}
    night, _ = run(tmp_path / "night", fixed)
    cold, _ = run(tmp_path / "cold", fixed)
    assert "density_parameters_by_origin" in auto
    assert "density_parameters_by_origin" not in cold
    assert night == cold
