"""Seizure and incident inputs shaped like real exports, swept end to end for silent wrong values.

Each case was a wrong value published without a word (or a refusal with a wrong reason) before
its fix: the hemisphere letter of ``01 15 30 s`` eaten as a seconds unit, ...  Files are
tiny, written to ``tmp_path`` in the shapes the exports take (NGA ASAM and IMB/ReCAAP incident
lists, ACLED/UCDP event CSVs, spreadsheets saved as CSV).
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _accounted(res) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)


# ----------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("lat", "lon", "want"),
    [
        ("01 15 30 s", "104 05 30 e", (-1.2583, 104.0917)),
        ("1°15'30s", "104°05'30e", (-1.2583, 104.0917)),
        ("00 30 00 s", "104 00 00 e", (-0.5, 104.0)),
        # the letter style keeps its 's' as the seconds' unit
        ("1d15m30s", "104d5m30s", (1.2583, 104.0917)),
    ],
)
def test_a_lowercase_south_after_the_seconds_is_the_hemisphere(tmp_path, lat, lon, want):
    # Lower-cased exports write '01 15 30 s'; the 's' was taken for the seconds' unit and the
    # incident landed north of the equator.
    text = f'date,latitude,longitude,hostility\n2024-03-15,"{lat}","{lon}",Pirates\n'
    res = read_seizures(_write(tmp_path, "asam.csv", text))
    _accounted(res)
    got = tuple(res.frame[["lat", "lon"]].round(4).iloc[0])
    assert got == want
