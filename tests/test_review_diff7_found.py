"""Problems found by a fresh-eyes review of a day's pipeline diff (review 7).

Each test failed on the code before its fix.
"""

from __future__ import annotations

import pandas as pd

from pipeline.ingest._dates import parse_times


def test_a_clock_after_a_date_in_words_keeps_its_year():
    # d3d548f ('1730 5 Mar 2024' is no year 1730) took the year a date writes only from
    # four digits right after the month name: 'March 5, 2024 1730' (US order),
    # '5-Mar-2024 1730' and '2024 March 5 1730', all read right before, were rejected as
    # date_unparseable; the clock written first stays refused
    values = [
        "March 5, 2024 1730",
        "Mar 5 2024 1730",
        "Tuesday, March 5, 2024 1730",
        "5-Mar-2024 1730",
        "2024 March 5 1730",
        "5 de marzo de 2024 1730",
        "1730 5 Mar 2024",
    ]
    got = parse_times(pd.Series(values), dayfirst=True).times
    assert [t.isoformat() for t in got.iloc[:-1]] == ["2024-03-05T17:30:00+00:00"] * 6
    assert pd.isna(got.iloc[-1])
