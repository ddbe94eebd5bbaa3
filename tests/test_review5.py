"""Review of the hostile-input fixes of one day: what they still let through (review 5)."""

from __future__ import annotations

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError

SEIZURES_ONLY = "inputs:\n  seizures:\n    - path: s.csv\n"


@pytest.mark.parametrize("key", ["\\uD800x", "a\\0b"], ids=["surrogate", "nul"])
def test_a_config_key_that_is_not_text_is_refused_at_load(tmp_path, key):
    # commodity_weights names the user's own categories: a YAML "\uD800" escape in a key
    # passed the text check (values only) and ended the run in a UnicodeEncodeError
    # traceback from pyarrow when the density weighed the categories
    path = tmp_path / "c.yaml"
    path.write_text(
        SEIZURES_ONLY + f'density:\n  commodity_weights: {{"{key}": 1.0, cocaine: 0.5}}\n'
    )
    with pytest.raises(ConfigError, match=r"density\.commodity_weights: the key .* is not text"):
        load_config(path)
