"""Does the map say what the tables say? The page of one small run against its own tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _maps import decode_like_js, open_offline, write_sample_map
from conftest import small_config

from pipeline import schema as S


@pytest.fixture(scope="module")
def run(small_run) -> Path:
    """The session's one small run (conftest's ``small_run``): its out_dir, read only."""
    return small_run


def _risk_payload(out: Path) -> dict:
    page = (out / "risk_map.html").read_text("utf-8")
    found = re.findall(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL)
    return next(p for p in map(json.loads, found) if p["key"] == "risk")


def _js_fmt(v: float) -> str:
    """route_risk.js's fmt() for values below 1000: four significant digits, shortest."""
    return f"{float(f'{v:.4g}'):g}"


def test_slider_shows_each_months_risk_as_the_timeline_table_with_its_class(run):
    """A month's risk on the card is the table's, and reads as the class it is coloured."""
    d = _risk_payload(run)
    tl = d["timeline"]
    cells = decode_like_js(d["cells"])
    table = pd.read_parquet(run / "timeline.parquet")
    breaks = json.loads(pq.read_metadata(run / "timeline.parquet").metadata[b"PANDAS_ATTRS"])
    breaks = breaks["breaks"]
    assert tl["breaks"] == breaks
    # the breaks the slider states are the breaks that class the cells (no hidden digits)
    assert [float(_js_fmt(b)) for b in breaks] == breaks
    compared = 0
    for k, period in enumerate(tl["periods"]):
        month = table[table[S.PERIOD] == period].set_index(S.CELL).reindex(cells)
        shown = np.array([np.nan if v is None else v for v in tl["risk"][k]], dtype="float64")
        want = month[S.RISK].to_numpy(dtype="float64")
        assert np.array_equal(np.isnan(shown), np.isnan(want)), period
        ok = ~np.isnan(want)
        # the card's "Risk in <month>" is the table's number (not 1.4 for a table's 1.35) ...
        text = np.array([_js_fmt(v) for v in shown[ok]])
        assert (text == np.array([_js_fmt(v) for v in want[ok]])).all(), period
        # ... and the number as read classes, on the stated breaks, as the cell is coloured
        read = np.array([float(t) for t in text])
        cls = np.searchsorted(np.asarray(breaks[1:-1]), read, side="right")
        assert (cls == np.asarray(tl["cls"][k])[ok]).all(), period
        assert (cls == month["class"].to_numpy()[ok]).all(), period
        compared += int(ok.sum())
    assert compared == len(table)


def test_gi_star_payload_carries_the_published_class_of_every_cell(run):
    d = _risk_payload(run)
    scores = pd.read_parquet(run / "scores.parquet").set_index(S.CELL)
    scores = scores.loc[decode_like_js(d["cells"])]
    h = d["hotspot"]
    shown = [None if b is None else h["binLabels"][b + 3] for b in h["bin"]]
    assert shown == scores["gi_class"].tolist()
    # the run has cells whose z alone passes 2.58 but whose corrected exact p does not
    assert ((scores["gi_z"] > 2.58) & (scores["gi_class"] == "not significant")).any()


@pytest.mark.browser
def test_colouring_by_gi_star_draws_the_tables_class_not_z_thresholds(run, page):
    open_offline(page, run / "risk_map.html")
    page.select_option("#rr-colour-by", "gi")
    ids = page.evaluate("() => routeRisk.layers.risk.ids")
    cls = page.evaluate("() => Array.from(routeRisk.layers.risk.cls)")
    labels = page.evaluate(
        "() => Array.from(document.querySelectorAll('#rr-legend-colour > div:not([class])'))"
        ".map(e => e.textContent)"
    )
    scores = pd.read_parquet(run / "scores.parquet").set_index(S.HEX_ID).loc[ids]
    drawn = [labels[k] if k >= 0 else None for k in cls]
    assert drawn == scores["gi_class"].tolist()
    note = page.evaluate("() => document.querySelector('#rr-legend-colour').textContent")
    assert "99 % confidence" not in note
    # "At least" still filters on the z-score
    page.fill("#rr-filter-min", "2.58")
    page.dispatch_event("#rr-filter-min", "change")
    assert page.evaluate("() => routeRisk.hexCount") == int((scores["gi_z"] >= 2.58).sum())
    # the slider's note states the breaks that class the month
    page.evaluate(
        "() => { const s = routeRisk.slider; s.value = 0; s.dispatchEvent(new Event('input')); }"
    )
    note = page.evaluate("() => document.querySelector('.rr-slider-note').textContent")
    attrs = json.loads(pq.read_metadata(run / "timeline.parquet").metadata[b"PANDAS_ATTRS"])
    assert " – ".join(_js_fmt(b) for b in attrs["breaks"]) in note
    assert page.errors == []


def test_card_shares_multiply_to_the_relative_risk_of_the_table():
    """The shown shares and "others" multiply to the table's relative risk (within 0.5 %)."""
    from pipeline.render._payload import fitted_payload
    from pipeline.testing import sample_map_data

    scores = sample_map_data(300, fitted=True, seed=5).scores
    shares = [c for c in scores.columns if c.endswith("__share")]
    assert len(shares) > 5  # more than the card lists: the rest is one "others" row
    # the table's relative risk is the product of its shares (as the fitted stage writes it)
    scores["relative_risk"] = np.exp(np.log(scores[shares]).sum(axis=1))
    got = fitted_payload(scores, {})
    assert got is not None
    sent = got["shares"]
    total = np.zeros(len(scores))
    for codes in sent["codes"]:
        total += np.array([0 if c is None else c for c in codes], dtype="float64")
    total += np.array([0 if c is None else c for c in sent["others"]], dtype="float64")
    product = np.exp(total / got["shareScale"])
    listed = np.array([c is not None for c in sent["codes"][0]])  # the card lists shares
    assert listed.sum() > 250
    gap = np.abs(np.log(product / scores["relative_risk"].to_numpy()))[listed]
    assert gap.max() <= 0.5 / got["shareScale"] + 1e-9


def test_card_shares_all_shown_multiply_to_the_relative_risk_too():
    """With five shares or fewer there is no "others" row: they are rounded together."""
    from pipeline.render._payload import AREA_SHARE, TOP_SHARES, fitted_payload
    from pipeline.testing import sample_map_data

    scores = sample_map_data(300, fitted=True, seed=6).scores
    shares = [c for c in scores.columns if c.endswith("__share")][:TOP_SHARES]
    scores = scores.drop(columns=[c for c in scores.columns if c.endswith("__share")][TOP_SHARES:])
    assert len(shares) == TOP_SHARES
    scores["relative_risk"] = np.exp(np.log(scores[shares]).sum(axis=1))
    got = fitted_payload(scores, {})
    assert got is not None and got["shares"]["others"] is None
    sent = got["shares"]
    codes = np.array([[np.nan if c is None else c for c in col] for col in sent["codes"]]).T
    listed = np.isfinite(codes).all(axis=1)
    assert listed.sum() > 250
    product = np.exp(codes[listed].sum(axis=1) / got["shareScale"])
    gap = np.abs(np.log(product / scores["relative_risk"].to_numpy()[listed]))
    assert gap.max() <= 0.5 / got["shareScale"] + 1e-9
    # and each share stays within one unit of its own value
    rank = np.array([[-1 if c is None else c for c in col] for col in sent["rank"]]).T[listed]
    by_label = [AREA_SHARE if x == "cell area" else f"{x}__share" for x in sent["labels"]]
    exact = np.log(scores[by_label].to_numpy()[listed]) * got["shareScale"]
    mine = np.take_along_axis(exact, rank, axis=1)
    assert np.abs(codes[listed] - mine).max() < 1


def _legend(page: str) -> str:
    found = re.search(r'<details class="rr-legend".*?</details>', page, re.DOTALL)
    assert found is not None
    return found.group(0)


def _legend_rows(page: str) -> list[str]:
    rows = re.search(
        r'id="rr-legend-risk-rows">(.*?)</div><div><i class="rr-nodata-swatch"', page, re.DOTALL
    )
    assert rows is not None
    return [re.sub(r"<[^>]+>", "", r) for r in re.findall(r"<div>(.*?)</div>", rows.group(1))]


def test_legend_counts_are_the_tables_class_counts(run):
    page = (run / "risk_map.html").read_text("utf-8")
    scores = pd.read_parquet(run / "scores.parquet")
    counts = scores[S.RISK_CLASS].value_counts()
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    labels = manifest["counts"]["risk_class_breaks"]["labels"]
    rows = _legend_rows(page)
    assert len(rows) == len(labels)
    for row, label in zip(rows, labels, strict=True):
        n = int(counts.get(label, 0))
        assert row.startswith(label + " (") and row.endswith(f", {n:,} cells)"), row
    assert "about equal counts" in _legend(page)  # this run's quantile classes hold about as many


def test_legend_does_not_claim_equal_counts_when_tied_scores_fill_one_class(tmp_path):
    """A fallback-like run: most cells share the lowest score; the legend says so."""
    from pipeline.testing import sample_map_data

    data = sample_map_data(400, seed=2)
    s = data.scores
    s["observed"] = True
    s.loc[s.index[: int(0.6 * len(s))], S.RISK] = 0.0  # quiet cells tie at the bottom
    path = write_sample_map(data, tmp_path, classes="quantile")
    page = path.read_text("utf-8")
    rows = _legend_rows(page)
    first = re.search(r", ([\d,]+) cells\)$", rows[0])
    assert first is not None and int(first.group(1).replace(",", "")) >= 0.6 * len(s)
    assert "about equal counts" not in _legend(page)
    assert "unequal counts where scores tie" in _legend(page)


def test_a_tied_block_at_the_bottom_never_takes_higher_scores_into_its_class():
    """Real piracy incidents, fitted model: 2/3 of the cells tie at the lowest rate.

    The quantiles at 20, 40 and 60 % all fell in that block and merged, so every cell up to
    the 80 % quantile (risk 75.9 of 100) was published 'very low' with it.
    """
    from pipeline.classes import class_labels_for, risk_class_breaks

    rng = np.random.default_rng(1)
    risk = np.r_[np.full(2600, 0.03), rng.uniform(0.1, 100.0, 1300)]
    breaks = risk_class_breaks(risk, "quantile", 5)
    labels = class_labels_for(["very low", "low", "medium", "high", "very high"], breaks.size - 1)
    codes = np.clip(np.searchsorted(breaks, np.round(risk, 1), side="right") - 1, 0, None)
    block = np.round(risk, 1) == np.round(risk, 1).min()
    assert (codes[block] == 0).all() and (codes[~block] > 0).all()
    assert labels[0] == "very low" and labels[-1] == "very high"
    assert breaks.size - 1 <= 5


@pytest.mark.browser
def test_a_p_value_never_reads_as_the_threshold_it_is_below(run, page):
    # Before: to 3 significant digits rounded to nearest, a corrected p of 0.09996 read "0.1"
    # on a card that says "hot spot 90%" (p < 0.1); rounded down, it reads 0.0999.
    open_offline(page, run / "risk_map.html")
    cases = [0.09996, 0.0499999, 0.05, 0.1, 0.00999, 0.01, 0.1234, 0.7, 0.0029, 0.0004]
    got = page.evaluate("(ps) => ps.map(routeRisk.format.p)", cases)
    assert got == [
        "0.0999", "0.0499", "0.05", "0.1", "0.00999", "0.01", "0.123", "0.7", "0.0029", "&lt;0.001"
    ]  # fmt: skip
    for p, text in zip(cases[:-1], got[:-1], strict=True):
        assert float(text) <= p and (float(text) < 0.1) == (p < 0.1)


def test_a_run_whose_cells_all_score_alike_is_not_called_very_low(small_demo, tmp_path):
    # Before: one class, labelled with the lowest label: every cell at 42 read "very low".
    from pipeline.runner.stages import published_classes

    cfg = small_config(small_demo, tmp_path, render={"classes": "quantile"})
    scores = pd.DataFrame({S.RISK: np.full(50, 42.0), S.OBSERVED: True})
    breaks, labels = published_classes(cfg, scores)
    assert labels == ["all cells equal"] and len(breaks) == 2
    varied = scores.assign(**{S.RISK: np.linspace(1, 99, 50)})
    assert published_classes(cfg, varied)[1] == list(cfg.score.class_labels)
