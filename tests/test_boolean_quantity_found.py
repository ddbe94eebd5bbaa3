"""A true/false quantity column is no amount: refused in the library path as the readers do.

``pipeline.read_seizures`` rejects ``true``/``yes`` quantities as unparseable, but a frame
handed to the library with a boolean column weighed each "yes" seizure as 1 unit and each
"no" as 0 (``pd.to_numeric`` of booleans), a density read quietly wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.density import seizure_quantities
from pipeline.errors import InputError

TRUTHS = {
    "bool": [True, False, True],
    "nullable boolean": pd.array([True, None, False], dtype="boolean"),
    "bools among numbers": np.array([2.5, True, 4.0], dtype=object),
    "numpy bools": np.array([np.True_, 3, 1], dtype=object),
}


@pytest.mark.parametrize("values", TRUTHS.values(), ids=TRUTHS.keys())
def test_true_false_quantities_are_refused(values):
    with pytest.raises(InputError, match="true/false values"):
        seizure_quantities(pd.DataFrame({"quantity": values}))


def test_numbers_as_objects_and_text_are_still_amounts():
    q, _ = seizure_quantities(pd.DataFrame({"quantity": np.array([1, "2.5", None], dtype=object)}))
    np.testing.assert_array_equal(q, [1.0, 2.5, 1.75])  # the missing one: the median
