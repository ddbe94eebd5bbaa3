"""Small truths on the map and in the back-test notes (review hET).

Each test failed before its fix: the back-test area ratio printed in exponent form, the
emerging hot-spot section did not say its p-values were corrected, and fixed geography
(a distance to the coast) was called present data, a possible look-ahead.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest

from pipeline.render._panels import hotspots_section, universe_text


def _evaluation(area_km2: float) -> dict:
    return {"origins": [{"n_cells": 50, "area_km2": area_km2}], "universe": "the cells ranked"}


@pytest.mark.parametrize(
    ("area_km2", "shown"),
    [(123_000.0, "120"), (2_600.0, "2.6"), (12_345_678.0, "12,000"), (1.2, "0.0012")],
)
def test_back_test_area_ratio_reads_without_an_exponent(area_km2, shown):
    # the map shows 1,000 km²; a back-test area 123 times it read "1.2e+02 % of the map's"
    text = universe_text(_evaluation(area_km2), 1_000.0, 10)
    assert f"1 % of the area ranked is {shown} % of the map's" in text
    assert not re.search(r"\de[+-]\d", text), text


def _emerging(**kw) -> dict:
    em = {"cells": 100, "periods": 12, "first_period": "2024-01", "last_period": "2024-12"}
    em.update(categories={"new hot spot": 3}, period="month", **kw)
    return {"emerging": em}


def test_emerging_section_says_its_p_values_are_corrected_and_over_which_bins():
    html = hotspots_section(_emerging(fdr=True, fdr_bins=1_100))
    assert "Benjamini-Hochberg" in html
    assert "over the 1,100 space-time bins with a neighbour" in html
    assert "Mann-Kendall trend p is not corrected" in html
    # every bin in the correction: no "over" clause, as the Gi* line
    html = hotspots_section(_emerging(fdr=True, fdr_bins=1_200))
    assert "Benjamini-Hochberg)." in html and "space-time bins" not in html
    html = hotspots_section(_emerging(fdr=False, fdr_bins=0))
    assert "p-values not corrected" in html and "Benjamini" not in html
    # a summary that does not say claims nothing either way
    assert "corrected" not in hotspots_section(_emerging())


def test_emerging_legend_says_its_bins_are_corrected():
    import pipeline
    from pipeline.testing import sample_map_data

    data = sample_map_data(60, hotspots=True)
    assert data.hotspots is not None
    data.hotspots["emerging"].update(fdr=True, fdr_bins=2_000)
    m = pipeline.build_map(data, as_of="2024-06-30", run_id="r", inputs=["a"])
    html = pipeline.map_to_html(m)
    block = html[html.index('data-layer="emerging"') :]
    block = block[: block.index("</div></div>")]
    assert "Benjamini-Hochberg" in block


# --- fixed geography is no present data ---------------------------------------------------


@pytest.fixture(scope="module")
def with_ports(small_demo, tmp_path_factory):
    """A small run weighing the distance to the ports beside the AIS: back-test and slider on."""
    from conftest import small_config

    import pipeline

    base = tmp_path_factory.mktemp("ports")
    cfg = small_config(
        small_demo,
        base,
        inputs={"rasters": [], "ports": str(small_demo / "inputs" / "ports.csv")},
        score={
            "factors": {
                "seizure_density": {"weight": 2},
                "vessel_hours": {"weight": 1},
                "distance_to_port_km": {"weight": 1},
            }
        },
        timeline={"months": 2},
        hotspots={"enabled": False},
        evaluate={"origins": 2},
    )
    res = pipeline.run_pipeline(cfg)
    manifest = json.loads((res.out_dir / "runs" / res.run_id / "manifest.json").read_text())
    return res.out_dir, manifest


def test_the_back_test_names_a_fixed_geography_as_such_not_as_a_look_ahead(with_ports):
    out, manifest = with_ports
    ev = manifest["evaluation"]
    # the AIS transit is computed at each origin from the pings before it: no present data
    # either (test_backtest_transit_as_of_found.py), so no factor is named as a look-ahead
    assert ev["present_data_factors"] == []
    assert "present_data" not in ev
    assert ev["as_of_origin_factors"] == ["vessel_hours"]
    assert ev["fixed_geography_factors"] == ["distance_to_port_km"]
    said = [n for n in ev["notes"] if n.startswith("fixed geography")]
    assert len(said) == 1 and "'distance_to_port_km' is the same at every origin" in said[0]
    assert manifest["factors"]["distance_to_port_km"]["fixed_geography"] is True
    assert "fixed_geography" not in manifest["factors"]["vessel_hours"]
    page = (out / "risk_map.html").read_text("utf-8")
    assert 'id="rr-eval-present"' not in page
    assert "fixed geography: 'distance_to_port_km' is the same at every origin" in unescape(page)


def test_the_slider_months_do_not_call_a_fixed_geography_present_data(with_ports):
    out, _ = with_ports
    tl = pd.read_parquet(out / "timeline.parquet")
    assert tl["period"].nunique() == 2
    named = set(",".join(tl["present_data_factors"].astype(str)).split(","))
    assert "distance_to_port_km" not in named
    page = (out / "risk_map.html").read_text("utf-8")
    assert '"fixed":"distance to port km"' in page


def test_a_plug_in_may_declare_a_fixed_geography_but_not_one_made_from_records():
    import pipeline
    from pipeline.errors import ConfigError
    from pipeline.factors import default_registry

    def depth(ctx):
        return ctx.cell_centres()[1]

    made = pipeline.factor(
        name="sea_depth_m",
        unit="m",
        description="Depth.",
        time_dependent=False,
        fixed_geography=True,
        register=False,
    )(depth)
    assert made.fixed_geography
    coast = default_registry.available(pipeline.factors.InputsView(frozenset({"context:land"})))
    assert coast["distance_to_coast_km"].fixed_geography
    with pytest.raises(ConfigError, match="fixed_geography=True but needs 'tracks'"):
        pipeline.factor(
            name="lane_use",
            unit="h",
            description="Hours.",
            needs=("tracks",),
            time_dependent=False,
            fixed_geography=True,
            register=False,
        )(depth)
    with pytest.raises(ConfigError, match="set time_dependent=False as well"):
        pipeline.factor(
            name="sea_depth_m", unit="m", description="Depth.", fixed_geography=True, register=False
        )(depth)


def test_panel_counts_of_a_national_theatre_read_in_digits_not_exponents():
    # 'g' wrote a million cells as '1.23457e+06' (and lost the last digits); counts are whole
    gi = {"hot_cells": 1_234_567, "cold_cells": 12, "cells": 2_000_000, "fdr": False}
    html = hotspots_section({"gi_star": gi})
    assert "1,234,567 hot and 12 cold cells of 2,000,000" in html
    assert "e+06" not in html
