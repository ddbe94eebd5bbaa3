"""The month slider and the uncertainty rows of the card in headless Chromium."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _maps import open_offline, write_sample_map

from pipeline import schema as S
from pipeline.score import FactorWeight
from pipeline.testing import sample_map_data
from pipeline.timeline import TimelineFactors, score_timeline

pytestmark = pytest.mark.browser

PERIODS = ["2026-04", "2026-05", "2026-06"]


def _timeline(data, scale: str) -> pd.DataFrame:
    """Three months scored by the run's code: the density grows, vessel-hours only in June."""
    s = data.scores
    cells = s[S.CELL].to_numpy(dtype="uint64")
    features = s[[S.CELL, *[c for c in s.columns if c in ("seizure_density", "vessel_hours")]]]
    features = features.assign(seizure_density__covered=True, vessel_hours__covered=True)
    dens = features["seizure_density"].to_numpy()
    table = pd.concat(
        [
            pd.DataFrame({S.CELL: cells, S.PERIOD: p, S.SEIZURE_DENSITY: dens * k})
            for p, k in zip(PERIODS, (0.25, 1.0, 3.0), strict=True)
        ],
        ignore_index=True,
    )
    periods = pd.DataFrame(
        {
            S.PERIOD: PERIODS,
            "cutoff": "",
            "history": ["seizure_density", "seizure_density", "seizure_density,vessel_hours"],
        }
    )
    weights = {"seizure_density": FactorWeight(weight=2.0), "vessel_hours": FactorWeight(weight=1)}
    tl = score_timeline(
        features,
        TimelineFactors(table, periods),
        weights,
        scale=scale,
        class_breaks=data.class_breaks,
        class_labels=data.class_labels,
    )
    assert tl is not None
    return tl


@pytest.mark.parametrize("scale", ["fixed", "quantile", "natural"])
def test_slider_colours_come_from_each_months_data_on_one_scale(page, tmp_path, scale):
    data = sample_map_data(600, seed=3)
    tl = _timeline(data, scale)
    data.timeline = tl
    path = write_sample_map(data, tmp_path)
    open_offline(page, path)
    ids = page.evaluate("() => routeRisk.layers.risk.ids")
    breaks = tl.attrs["breaks"]
    n_classes, n_colours = len(breaks) - 1, len(data.class_labels)
    seen = []
    for k, period in enumerate(PERIODS):
        got = page.evaluate(
            """(k) => { const s = routeRisk.slider; s.value = k;
                       s.dispatchEvent(new Event('input'));
                       return Array.from(routeRisk.layers.risk.cls); }""",
            k,
        )
        month = tl[tl[S.PERIOD] == period].set_index(S.HEX_ID)
        # the month's own risk, classed on the one scale of all months
        cls = np.searchsorted(np.asarray(breaks[1:-1]), month[S.RISK], side="right")
        cls = pd.Series(np.where(month[S.RISK].notna(), cls, -1), index=month.index)
        if n_classes != n_colours:  # a pooled scale spread over the map's colours
            cls = cls.where(cls < 0, np.round(cls * (n_colours - 1) / (n_classes - 1)))
        assert got == cls.reindex(ids).astype(int).tolist(), period
        label = page.evaluate("() => document.querySelector('.rr-slider-label').textContent")
        note = page.evaluate("() => document.querySelector('.rr-slider-note').textContent")
        assert label == f"Risk in {period}"
        scale = " – ".join(f"{float(f'{b:.4g}'):g}" for b in breaks)
        if period == "2026-06":
            assert note == f"one colour scale for all months ({scale}); data up to this month only"
        else:
            assert note == f"one colour scale for all months ({scale}); present data: vessel hours"
        seen.append(got)
    # the density grows month by month: on one scale the colours climb, never reset
    assert np.mean(seen[0]) < np.mean(seen[1]) < np.mean(seen[2])
    page.evaluate(
        "() => { const s = routeRisk.slider; s.value = 3; s.dispatchEvent(new Event('input')); }"
    )
    assert page.evaluate("() => document.querySelector('.rr-slider-note').hidden")
    assert page.errors == []


def _card_rows(page) -> dict[str, str]:
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('.rr-tooltip .rr-card tr'))
              .filter(tr => tr.children.length === 2)
              .map(tr => [tr.children[0].textContent, tr.children[1].textContent])"""
    )
    return dict(rows)


def _hover(page, hex_id: str) -> None:
    point = page.evaluate(
        """(id) => { const L0 = routeRisk.layers.risk, map = routeRisk.map;
              const ll = h3.cellToLatLng(id), p = map.latLngToContainerPoint([ll[0], ll[1]]);
              const r = map.getContainer().getBoundingClientRect();
              return [p.x + r.left, p.y + r.top]; }""",
        hex_id,
    )
    for attempt in range(3):  # a synthetic mousemove can be lost under load: retried
        page.mouse.move(point[0] - 3 - attempt, point[1] - 3)
        page.mouse.move(point[0], point[1])
        try:
            page.wait_for_function(
                "(id) => { const c = document.querySelector('.rr-tooltip .rr-card');"
                " return c !== null && c.textContent.includes(id); }",
                arg=hex_id,
                timeout=5_000,
            )
            return
        except Exception:  # noqa: BLE001 - retried, then reported below
            continue
    raise AssertionError(f"no card for {hex_id}")


def test_card_shows_the_risk_interval_and_class_stability(page, tmp_path):
    data = sample_map_data(400, seed=4)
    s = data.scores
    rng = np.random.default_rng(0)
    s["risk_lower"] = np.clip(s[S.RISK] - rng.uniform(0, 8, len(s)), 0, 100)
    s["risk_upper"] = np.clip(s[S.RISK] + rng.uniform(0, 8, len(s)), 0, 100)
    s["risk_class_stability"] = rng.uniform(0.3, 1.0, len(s))
    s["observed"] = True
    missing = s.index[len(s) // 2]
    s.loc[missing, ["risk_lower", "risk_upper", "risk_class_stability"]] = np.nan
    data.hotspots = {"uncertainty": {"interval": [0.05, 0.95], "method": "bootstrap"}}
    data.timeline = _timeline(data, "fixed")
    path = write_sample_map(data, tmp_path)
    open_offline(page, path)
    # a cell near the middle of the view
    hex_id = page.evaluate(
        """() => { const L0 = routeRisk.layers.risk, map = routeRisk.map, c = map.getCenter();
              let best = 0, bestD = Infinity;
              for (let i = 0; i < L0.ids.length; i++) {
                const ll = h3.cellToLatLng(L0.ids[i]);
                const d = Math.hypot(ll[0] - c.lat, ll[1] - c.lng);
                if (d < bestD) { bestD = d; best = i; } }
              return L0.ids[best]; }"""
    )
    _hover(page, hex_id)
    row = s.set_index(S.HEX_ID).loc[hex_id]
    rows = _card_rows(page)
    lo, hi = round(row["risk_lower"], 1), round(row["risk_upper"], 1)
    assert rows["Risk interval"] == f"{lo:g} – {hi:g} (90 % interval)"
    share = 100 * round(row["risk_class_stability"], 3)
    pct = f"{float(f'{share:.3g}'):g}"
    assert rows["Class stability"] == f"{pct} % of resamples in “{row[S.RISK_CLASS]}”"
    # on a month of the slider the card adds that month's risk and its present data
    page.evaluate(
        "() => { const s = routeRisk.slider; s.value = 0; s.dispatchEvent(new Event('input')); }"
    )
    page.mouse.move(5, 450)
    _hover(page, hex_id)
    rows = _card_rows(page)
    month = data.timeline.set_index([S.PERIOD, S.HEX_ID]).loc[(PERIODS[0], hex_id)]
    # the table's number (0.01), not one rounded to 0.1 that may read as another class
    assert rows[f"Risk in {PERIODS[0]}"] == f"{float(f'{month[S.RISK]:.4g}'):g}"
    assert rows["Present data"] == "vessel hours as of today (no history that month)"
    # today's risk and its interval say "now" beside the month's (they are not the month's)
    assert rows["Risk now"].endswith(" / 100 (" + row[S.RISK_CLASS] + ")")
    assert rows["Risk interval (now)"] == f"{lo:g} – {hi:g} (90 % interval)"
    assert "Risk interval" not in rows and "Class stability (now)" in rows
    # a cell without an interval says so
    page.mouse.move(5, 450)
    _hover(page, s.loc[missing, S.HEX_ID])
    rows = _card_rows(page)
    assert rows["Risk interval (now)"] == "not computed"
    assert rows["Class stability (now)"] == "not computed"
    assert page.errors == []


def test_card_says_what_the_risk_interval_is_over(page, tmp_path):
    """A fitted run's interval is over coefficient draws, not one for the true risk: say so."""
    data = sample_map_data(100, seed=5)
    s = data.scores
    s["risk_lower"] = np.clip(s[S.RISK] - 3, 0, 100)
    s["risk_upper"] = np.clip(s[S.RISK] + 3, 0, 100)
    data.hotspots = {
        "uncertainty": {"interval": [0.05, 0.95], "method": "draws", "basis": "coefficient draws"}
    }
    path = write_sample_map(data, tmp_path)
    open_offline(page, path)
    hex_id = s[S.HEX_ID].iloc[len(s) // 2]
    _hover(page, hex_id)
    row = s.set_index(S.HEX_ID).loc[hex_id]
    lo, hi = round(row["risk_lower"], 1), round(row["risk_upper"], 1)
    assert _card_rows(page)["Risk interval"] == (
        f"{lo:g} – {hi:g} (90 % interval over coefficient draws)"
    )
    assert page.errors == []
