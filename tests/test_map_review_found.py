"""Findings of the map review on the demo and the real piracy incidents (task hBY).

Each test fails on the code before its fix; they read the page's payload (no browser) where
they can.
"""

from __future__ import annotations

import html as htmllib

import numpy as np
import pandas as pd
import pytest
from _maps import open_offline, pin_by_search, wait_map_at_rest, write_sample_map
from _property import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import schema as S
from pipeline.render import RenderOptions, escape_text
from pipeline.render._escaping import MAP_TEXT_LIMIT
from pipeline.render._payload import ports_payload, risk_payload, sorted_cells, transit_payload
from pipeline.testing import sample_map_data

#: The explicit bidirectional controls: embeddings/overrides, their PDF, isolates, their PDI.
OPENERS, PDF, ISOLATES, PDI = "\u202a\u202b\u202d\u202e", "\u202c", "\u2066\u2067\u2068", "\u2069"


def _contained(shown: str) -> bool:
    """Whether the bidi controls of ``shown`` all end within it (none reorders what follows).

    The explicit part of the Unicode bidi algorithm (UAX #9, X1-X8), on a stack: a PDF ends
    the last embedding or override unless an isolate lies above it; a PDI ends its isolate
    and everything opened inside it; a PDI or PDF with nothing to end does nothing.  The text
    is contained when the stack is never left empty by a character that opened something
    before the end, i.e. what is open when the text ends is nothing.
    """
    stack: list[str] = []
    for ch in shown:
        if ch in OPENERS:
            stack.append("E")
        elif ch in ISOLATES:
            stack.append("I")
        elif ch == PDF and stack and stack[-1] == "E":
            stack.pop()
        elif ch == PDI and "I" in stack:
            while stack.pop() != "I":
                pass
    return not stack


def test_small_factor_values_keep_their_digits_on_the_card():
    # Before: a factor's values were rounded to 5 significant digits of the column's
    # largest value, so beside a busy lane of 2,109.8 vessel-hours a cell crossed for
    # 0.04 h read "0 hours" (with points of its own), and on the real piracy incidents 290
    # of the 417 cells with a seizure density read "0 weighted seizures per km²".
    data = sample_map_data(200, uncovered_fraction=0.0)
    scores = data.scores
    hours = np.linspace(0.0, 1.0, len(scores))
    hours[:4] = [2109.782176, 0.04, 0.000123456, 5.349726e-05]
    scores[S.VESSEL_HOURS] = hours
    scores, cells = sorted_cells(scores, "scores")
    payload = risk_payload(data, scores, cells, RenderOptions())
    sent = next(f for f in payload["factors"] if f["label"] == "Vessel-hours")["values"]
    want = scores[S.VESSEL_HOURS].to_numpy(dtype="float64")
    sent = np.array([np.nan if v is None else v for v in sent], dtype="float64")
    nonzero = want != 0
    assert (sent[nonzero] != 0).all()  # a measured value never reads as 0
    np.testing.assert_allclose(sent, want, rtol=5.001e-4)  # the card's 4 digits hold

    transit = data.transit.copy()
    transit[S.VESSEL_HOURS] = np.r_[[2109.782176, 0.04], np.ones(len(transit) - 2)]
    layer, _ = transit_payload(transit, RenderOptions())
    frame, _ = sorted_cells(transit, "transit")
    np.testing.assert_allclose(
        np.asarray(layer["values"], dtype="float64"),
        frame[S.VESSEL_HOURS].to_numpy(dtype="float64"),
        rtol=5.001e-4,
    )


def test_a_right_to_left_override_in_a_label_cannot_mirror_the_numbers_after_it():
    # Before: a commodity, agency, note or port name holding an override it leaves open
    # ("\u202eevil") was written as it is, and the browser showed the rest of the card's row
    # mirrored: "evil: 1, boarded: 12" read "21 :dedraob ,1 :live" (checked in Chromium).
    hostile = ["\u202eevil", "\u2069\u202eafter a stray PDI", "\u2067open isolate", "ok \u202c"]
    for text in hostile:
        shown = htmllib.unescape(escape_text(text))
        assert _contained(shown), repr(shown)
        assert text in shown  # the text itself is kept, character for character

    data = sample_map_data(50)
    scores = data.scores.copy()
    scores[S.SEIZURES_PREFIX + hostile[0]] = 1
    scores, cells = sorted_cells(scores, "scores")
    payload = risk_payload(data, scores, cells, RenderOptions())
    labels = [htmllib.unescape(c["label"]) for c in payload["commodities"]]
    assert any("evil" in x for x in labels)
    assert all(_contained(x) for x in labels)
    ports = pd.DataFrame({"name": hostile, S.LAT: 10.0, S.LON: -60.0})
    names = [htmllib.unescape(x) for x in ports_payload(ports, 0.0)["names"]]
    assert all(_contained(x) for x in names) and all(
        h in x for h, x in zip(hostile, names, strict=True)
    )


@settings(max_examples=examples(300), deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list(OPENERS + PDF + ISOLATES + PDI) + ["a", "1"]),
        max_size=MAP_TEXT_LIMIT,  # a longer text is cut (tests/test_map_text_limit_found.py)
    )
)
def test_every_text_keeps_its_bidi_controls_to_itself(text):
    shown = htmllib.unescape(escape_text(text))
    assert _contained(shown)
    # the text itself, whole, between isolate openers and PDIs
    assert any(
        shown[i : i + len(text)] == text
        and set(shown[:i]) <= {"\u2068"}
        and set(shown[i + len(text) :]) <= {PDI}
        for i in range(len(shown) - len(text) + 1)
    )


@pytest.mark.browser
def test_on_a_month_the_legend_states_the_scale_the_cells_are_coloured_on(page, tmp_path):
    # Before: with the slider on a month the cells took the timeline's one scale for all
    # months (on the demo 'very high' from 11.26) while the legend still read the map's
    # classes ('very high (81.2–100, 8,217 cells)'): a cell coloured 'very high' in
    # 2025-07 read as at least 81.2 points.
    data = sample_map_data(60, n_periods=3)
    tl = data.timeline.copy()
    tl["risk"] = np.round(tl["risk"].to_numpy() / 10.0, 2)
    breaks = [0.0, 1.0, 2.0, 4.0, 6.0, 10.0]
    tl["class"] = np.clip(np.searchsorted(breaks, tl["risk"], side="right") - 1, 0, 4)
    tl.attrs["breaks"] = breaks
    data.timeline = tl
    open_offline(page, write_sample_map(data, tmp_path))

    def visible_rows():
        return page.evaluate(
            "() => Array.from(document.querySelectorAll('#rr-legend [id$=\"-rows\"]'))"
            ".filter(e => !e.hidden).map(e => e.textContent).join(' | ')"
        )

    now = visible_rows()
    assert "80–100" in now and "scale of all months" not in now
    page.evaluate(
        "() => { routeRisk.slider.value = 0; routeRisk.slider.dispatchEvent(new Event('input')); }"
    )
    month = visible_rows()
    assert "very high (6–10, scale of all months)" in month, month
    assert "80–100" not in month  # the map's classes are not what the month is coloured on
    # colouring by a factor shows that factor's legend, and risk again the month's scale
    page.select_option("#rr-colour-by", index=1)
    assert "scale of all months" not in visible_rows()
    page.select_option("#rr-colour-by", index=0)
    assert "scale of all months" in visible_rows()
    page.evaluate(
        "() => { routeRisk.slider.value = routeRisk.slider.max;"
        " routeRisk.slider.dispatchEvent(new Event('input')); }"
    )
    assert visible_rows() == now
    assert page.errors == []


@pytest.mark.browser
def test_a_pinned_card_follows_the_slider_and_closes_with_its_layer(page, tmp_path):
    # Before: a card pinned on today's risk kept today's figures when the slider moved to a
    # month (and a month's card kept that month's after the slider came back), and it stayed
    # open, with the risk layer's figures, after that layer was turned off.
    data = sample_map_data(60, n_periods=3)
    open_offline(page, write_sample_map(data, tmp_path))
    s = data.scores
    target = s.loc[s["observed"], S.HEX_ID].iloc[0]
    pin_by_search(page, target)

    def card() -> str:
        return page.evaluate(
            "() => Array.from(document.querySelectorAll('.rr-pinned .rr-card'))"
            ".map(e => e.textContent).join(' | ')"
        )

    def slide(k: str) -> None:
        page.evaluate(
            f"() => {{ routeRisk.slider.value = {k};"
            " routeRisk.slider.dispatchEvent(new Event('input')); }"
        )

    periods = sorted(data.timeline["period"].unique())
    assert target in card() and "Risk in" not in card()
    slide("0")
    assert f"Risk in {periods[0]}" in card() and "Risk now" in card()
    slide("1")
    assert f"Risk in {periods[1]}" in card() and f"Risk in {periods[0]}" not in card()
    slide("routeRisk.slider.max")
    assert "Risk in" not in card() and target in card()
    # the copy button of the redrawn card still copies the cell's id
    wait_map_at_rest(page)
    page.click(".rr-pinned .rr-copy")
    page.wait_for_function("(id) => routeRisk.copied === id", arg=target, timeout=5_000)
    # its class filtered out: the card goes with the cell
    page.evaluate(
        "(id) => { const L0 = routeRisk.layers.risk;"
        " routeRisk.filter([L0.cls[L0.index.get(id)]], null); }",
        target,
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.rr-pinned').length === 0", timeout=5_000
    )
    page.evaluate("() => routeRisk.filter([], null)")
    pin_by_search(page, target)
    # in braces: removeLayer returns the map, which Playwright would copy back (14 s)
    page.evaluate("() => { routeRisk.map.removeLayer(routeRisk.layers.risk); }")
    page.wait_for_function(
        "() => document.querySelectorAll('.rr-pinned').length === 0", timeout=5_000
    )
    assert page.evaluate("() => routeRisk.pinned") is None
    assert page.errors == []


@pytest.mark.browser
def test_a_fitted_maps_month_says_it_is_the_weighted_view(page, tmp_path):
    # Before: the card put "Risk now 100 / 100" (the fitted model) above "Risk in 2025-07
    # 63.17" (the timeline's weighted score) as if one score had moved.
    data = sample_map_data(60, n_periods=3, fitted=True)
    open_offline(page, write_sample_map(data, tmp_path))
    target = data.scores.loc[data.scores["observed"], S.HEX_ID].iloc[0]
    page.evaluate(
        "() => { routeRisk.slider.value = 0; routeRisk.slider.dispatchEvent(new Event('input')); }"
    )
    pin_by_search(page, target)
    period = sorted(data.timeline["period"].unique())[0]
    card = page.evaluate("() => document.querySelector('.rr-pinned .rr-card').textContent")
    assert f"Risk in {period} (weighted view)" in card and "Risk now" in card
    assert "(weighted view)" in page.evaluate("() => routeRisk.slider.parentNode.textContent")
    assert page.errors == []


@pytest.mark.browser
def test_a_fitted_maps_no_data_cell_says_its_model_figures_are_an_extrapolation(page, tmp_path):
    # Before: a cell no factor observes read "Risk no data" and then, in the model's column,
    # "Expected events 0 ... Relative risk ×0", as if the model had evidence of no risk.
    data = sample_map_data(60, n_periods=3, fitted=True)
    s = data.scores
    assert (~s["observed"]).any() and s["observed"].any()
    open_offline(page, write_sample_map(data, tmp_path))

    def card_of(hex_id: str) -> str:
        page.evaluate("(t) => routeRisk.search(t)", hex_id)
        page.wait_for_function(
            "(id) => { const c = document.querySelectorAll('.rr-pinned .rr-card-title');"
            " return c.length === 1 && c[0].textContent.includes(id); }",
            arg=hex_id,
            timeout=5_000,
        )
        return page.evaluate("() => document.querySelector('.rr-pinned .rr-card').textContent")

    unseen = card_of(s.loc[~s["observed"], S.HEX_ID].iloc[0])
    assert "no data" in unseen and "the model's extrapolation, not evidence" in unseen
    assert "Expected events" in unseen  # the figures stay, labelled
    seen = card_of(s.loc[s["observed"], S.HEX_ID].iloc[0])
    assert "extrapolation" not in seen and "Expected events" in seen
    assert page.errors == []
