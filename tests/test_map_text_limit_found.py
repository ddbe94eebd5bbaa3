"""A data text of megabytes is shown cut on the map, not written once per point.

Found on 2026-12-07: the map wrote every data text whole, wherever it went.  A seizure table
whose note cells held 200,000 characters each (a broken export pasting a whole document in
one cell) made a page of 178 MB from 20,000 points' worth of notes at most 20,000 x 200 KB,
where a browser on an analyst's laptop gives up.  Every text of the page goes through the one
escaping path, which now cuts a text over ``MAP_TEXT_LIMIT`` characters and says how many
more it had; the tables keep the text whole.
"""

from __future__ import annotations

import html as htmllib

import numpy as np
import pytest

from pipeline import schema as S
from pipeline.render import RenderOptions, build_map, escape_text, map_to_html
from pipeline.render._escaping import MAP_TEXT_LIMIT, escape_many
from pipeline.render._payload import seizure_payload
from pipeline.testing import sample_map_data


def _shown(text: str) -> str:
    return htmllib.unescape(escape_text(text))


def test_the_limit_is_a_thousand_characters_and_a_text_of_it_is_whole():
    assert MAP_TEXT_LIMIT == 1000
    text = "é" * 999 + "x"
    assert _shown(text) == text


def test_a_longer_text_shows_its_first_characters_and_how_many_more():
    text = "a" * 1000 + "b" * 1234
    assert _shown(text) == "a" * 1000 + "… (+1,234 characters not shown)"
    assert _shown(text + "c")[:1001] == "a" * 1000 + "…"


def test_a_cut_text_keeps_its_bidi_override_to_itself_and_its_markup_inert():
    shown = _shown("\u202e" + "<b>" * 600)
    # the override is closed by an isolate around the cut text, not left open by the cut
    assert shown.startswith("\u2068\u202e") and shown.endswith("\u2069")
    assert "(+801 characters not shown)" in shown
    assert "<" not in escape_text("<b>" * 600)


def test_a_column_is_cut_value_by_value_as_one_text_is():
    values = ["n" * 5000, "short", None, "n" * 5000, "m" * 1001]
    assert escape_many(values) == [escape_text(v) for v in values]
    assert escape_many(values)[1] == "short" and escape_many(values)[2] == ""


def test_the_tables_keep_a_long_note_whole_and_the_points_show_it_cut():
    data = sample_map_data(10, n_seizures=5, n_events=0, n_periods=0)
    note = "word " * 40_000  # 200,000 characters
    data.seizures[S.NOTE] = note
    payload = seizure_payload(data.seizures, RenderOptions())
    assert all(len(htmllib.unescape(n)) < MAP_TEXT_LIMIT + 40 for n in payload["note"])
    assert (data.seizures[S.NOTE] == note).all()  # the table is not touched


@pytest.mark.parametrize("n_seizures", [40, 80])
def test_a_page_of_seizures_with_huge_notes_grows_by_a_bounded_size_per_point(n_seizures):
    def page(note: str | None) -> int:
        data = sample_map_data(10, n_seizures=n_seizures, n_events=0, n_periods=0)
        if note is not None:
            # each point its own note: nothing can be shared between them
            data.seizures[S.NOTE] = [f"{i:05d}{note}" for i in range(len(data.seizures))]
        m = build_map(data, as_of="2024-06-30", run_id="r", inputs=["a.csv"])
        return len(map_to_html(m).encode("utf-8"))

    base = page("")
    per_point = (page("n" * 200_000) - base) / n_seizures
    # 200,000 characters a note whole; cut: 1,000 and the marker
    assert per_point < 1_100, per_point
    assert np.isfinite(per_point)
