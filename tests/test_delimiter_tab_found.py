"""A tab delimiter written as YAML users write it (``tab``, ``'\\t'``) is a tab.

The options refuse a delimiter the csv module cannot split by; their message suggested
``'\\t'``, which YAML reads in single quotes (or bare) as a backslash and a ``t``: the
suggestion itself was refused.  Only ``"\\t"`` in double quotes is a tab to YAML.
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from pipeline.ingest.options import SeizureSource, TrackSource


@pytest.mark.parametrize("model", [SeizureSource, TrackSource], ids=["seizures", "tracks"])
@pytest.mark.parametrize(
    "written",
    ["delimiter: '\\t'", "delimiter: \\t", 'delimiter: "\\t"', "delimiter: tab", "delimiter: TAB"],
)
def test_a_tab_written_the_ways_yaml_users_write_it_is_a_tab(model, written):
    raw = yaml.safe_load(written)
    assert model(path="f.tsv", **raw).delimiter == "\t"


@pytest.mark.parametrize("model", [SeizureSource, TrackSource], ids=["seizures", "tracks"])
def test_the_refusal_suggests_what_the_options_accept(model):
    with pytest.raises(ValidationError, match="delimiter must be one character") as err:
        model(path="f.csv", delimiter=";;")
    # every example the message gives is accepted
    text = str(err.value)
    for example in (",", ";", "|", "tab"):
        assert f"{example}" in text
        model(path="f.csv", delimiter=example)
    # and two characters that are not a tab's spelling stay refused
    with pytest.raises(ValidationError, match="delimiter must be one character"):
        model(path="f.csv", delimiter="\\n")
