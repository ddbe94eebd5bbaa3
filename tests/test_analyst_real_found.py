"""What an analyst read on the real-data map and found untrue (hEN: piracy incidents, the demo).

Each test stands for one finding of checking the published map against an independent
recomputation (esda, scipy, statsmodels, numpy on the published tables); tiny in-process
inputs, no pipeline run.
"""

from __future__ import annotations

import copy
import html as htmllib
import re

from pipeline.grid import cell_area_km2, to_cells
from pipeline.render import RenderOptions, build_map, map_to_html
from pipeline.testing import sample_map_data


def _page(data) -> str:
    m = build_map(
        data, as_of="2020-12-31", run_id="run-1", inputs=["a.csv"], options=RenderOptions()
    )
    return map_to_html(m)


def _text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_back_test_panel_says_which_area_its_shares_are_of():
    # Piracy incidents 1993-2020, resolution 4, 365-day half-life: the map shows 2,122 cells
    # (3.5 M km²) but each origin ranked the 5,623-5,736 cells within 55 km of any earlier
    # attack (9.2-9.4 M km²), so "hit @ 1 %" was the top 2.6 % of the map's area; the panel
    # said only "a given share of the area".  Here the origins rank three times the map's area.
    data = sample_map_data(30, fitted=True, evaluation=True)
    cells = to_cells(data.scores["cell"].to_numpy())
    area = float(cell_area_km2(cells).sum())
    ev = copy.deepcopy(data.evaluation)
    ev["universe"] = "cells within 25 km of an event before the origin"
    for k, o in enumerate(ev["origins"]):
        o["n_cells"] = 90 + k
        o["area_km2"] = 3.0 * area * (1 + 0.001 * k)
    data.evaluation = ev
    panel = re.search(r'<aside class="rr-panel".*?</aside>', _page(data), re.DOTALL).group(0)
    found = re.search(r'id="rr-eval-universe">(.*?)</p>', panel, re.DOTALL)
    assert found, "the panel does not say which cells its shares of the area are of"
    said = _text(found.group(1))
    last = len(ev["origins"]) - 1
    assert f"cells within 25 km of an event before the origin (90–{90 + last} cells" in said
    assert f"{3 * area:,.0f}–{3 * area * (1 + 0.001 * last):,.0f} km²" in said
    assert f"not the {len(cells):,} cells this map shows ({area:,.0f} km²)" in said
    assert "1 % of the area ranked is 3 % of the map's" in said


def test_emerging_legend_counts_one_cell_in_the_singular():
    # The demo's legend read "intensifying hot spot (1 cells)", "historical hot spot (1 cells)"
    # beside "very low (0-20.7, 8,157 cells)"; the risk classes said "1 cell" already.
    data = sample_map_data(40, hotspots=True)
    cats = ["no pattern detected"] * len(data.scores)
    cats[0] = "new hot spot"
    cats[1] = cats[2] = "persistent hot spot"
    data.scores["emerging_category"] = cats
    legend = re.search(r'<details class="rr-legend".*?</details>', _page(data), re.DOTALL)
    said = _text(legend.group(0))
    assert "new hot spot (1 cell)" in said
    assert "persistent hot spot (2 cells)" in said
