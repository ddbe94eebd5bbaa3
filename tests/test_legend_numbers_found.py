"""The legend writes a number as the map's cards do: checked against route_risk.js itself.

``format_number`` wrote values under 1e-4 in exponent form ("1e-05") where a card's
``fmt`` writes "0.00001" (a raster of a small quantity: the legend and the card of one
pixel's value read differently), and an exact binary half one unit lower than the card
(1.0625: "1.062" against "1.063"; Python rounds halves to even, ``toPrecision`` away from zero).  The comparison runs the asset's own ``fmt`` in Node.js.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.render._legend import format_number

ASSET = Path(__file__).resolve().parents[1] / "pipeline" / "assets" / "route_risk.js"


def _values() -> list[float]:
    rng = np.random.default_rng(7)
    fixed = [0.0, 0.5, 12.34, 999.94, 999.96, 1e-5, 1.234567e-5, 100.0, 0.1, 1.5e-7, 3e-9]
    fixed += [-2.5e-5, 0.000123456, 1e-6, 9.9999e-7, 54_321.5, 1_325.5, -1_000.5, 2.5e-4]
    # exact binary halves at the fifth significant digit: toPrecision rounds them away from
    # zero, Python's ".4g" to even (1.0625 was "1.062" in the legend, "1.063" on the card)
    fixed += [1.0625, 2.5625, -1.0625, 1.1875, 0.0009765625 * 1.0625, 9.9995117187500]
    fixed += [float(np.ldexp(k, -e)) for k in (17, 41, 4097, 8193) for e in (4, 12)]
    drawn = (10.0 ** rng.uniform(-9, 6, 60)) * rng.choice([-1.0, 1.0], 60)
    return fixed + [float(v) for v in drawn]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_the_legends_numbers_are_the_cards_fmt():
    source = ASSET.read_text()
    body = re.search(r"function fmt\(v\) \{.*?\n  \}", source, re.DOTALL)
    assert body is not None
    values = _values()
    script = f"{body.group(0)}\nconsole.log(JSON.stringify({json.dumps(values)}.map(fmt)));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [format_number(v) for v in values] == json.loads(out.stdout)
