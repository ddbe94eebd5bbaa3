"""Category synonyms given as a chain put every spelling under its last category.

Found on 2026-12-07 (left alone by hHW the session before): ``synonyms`` were applied one
step only, so ``{robbers: robbery, robbery: armed robbery}`` put "robbers" under "robbery"
and "robbery" under "armed robbery": two factors where the user wrote one, each with part
of the events, with exit 0.  A chain is followed to its end now and a cycle is refused.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from pipeline.ingest.categories import normalise_categories
from pipeline.ingest.options import SeizureSource


def test_a_chain_is_followed_to_its_last_category():
    src = SeizureSource(
        path="s.csv",
        synonyms={"Robbers": "robbery", "ROBBERY": "Armed robbery", "thieves": "robbers"},
    )
    assert src.synonyms == {
        "robbers": "armed robbery",
        "robbery": "armed robbery",
        "thieves": "armed robbery",
    }
    labels, report = normalise_categories(
        pd.Series(["Robbers", "robbery", "Thieves", "armed robbery", "boarded"]), src.synonyms
    )
    assert labels.tolist() == ["armed robbery"] * 4 + ["boarded"]
    assert report["merged"] == {"armed robbery": ["Robbers", "Thieves", "armed robbery", "robbery"]}


def test_a_spelling_mapped_to_itself_ends_a_chain():
    src = SeizureSource(path="s.csv", synonyms={"pirates": "piracy", "Piracy": "piracy"})
    assert src.synonyms == {"pirates": "piracy", "piracy": "piracy"}


@pytest.mark.parametrize(
    ("synonyms", "cycle"),
    [
        ({"a": "b", "b": "a"}, "a -> b -> a"),
        ({"x": "a", "a": "b", "b": "c", "c": "a"}, "a -> b -> c -> a"),
    ],
    ids=["two", "three-behind-a-lead"],
)
def test_a_cycle_is_refused_naming_it(synonyms, cycle):
    with pytest.raises(ValidationError, match=f"synonyms form a cycle \\({cycle}\\)"):
        SeizureSource(path="s.csv", synonyms=synonyms)
