"""Small truths on the map and in the back-test notes (review hET).

Each test failed before its fix: the back-test area ratio printed in exponent form, the
emerging hot-spot section did not say its p-values were corrected, and fixed geography
(a distance to the coast) was called present data, a possible look-ahead.
"""

from __future__ import annotations

import re

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
