"""A time header naming a zone abbreviation the readers do not know (hGS's left-alone item).

``Time (BRT)`` (Brasilia, UTC-3), ``(IDT)``, ``[NPT]``: neither a known abbreviation nor one
of several zones, the word was passed over and every time read as UTC - three hours off for
Brasilia, without a word.  Such a bracketed word is refused in one line that says how to
write the zone; known abbreviations, offsets and capital words that name no zone read as
before.
"""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_seizures
from pipeline.ingest.zones import header_zone


@pytest.mark.parametrize("header", ["Time (BRT)", "Date [IDT]", "time {NPT}", "Fecha (ART)"])
def test_an_unknown_zone_abbreviation_is_refused(header):
    with pytest.raises(InputError, match=r"names the zone abbreviation '[A-Z]+T', which is not"):
        header_zone(header, "s.csv")


@pytest.mark.parametrize(
    ("header", "zone"),
    [
        ("Time (CET)", "CET"),
        ("Time (JST)", "JST"),
        ("Time (GMT)", None),
        ("Time (UTC-3)", "UTC-3"),
        ("Time (GPST)", None),
        ("Time (TEXT)", None),
        ("Date (LAST)", None),
        ("DT_LAST", None),
    ],
)
def test_known_zones_and_words_naming_none_read_as_before(header, zone):
    assert header_zone(header, "s.csv")[0] == zone


def test_a_file_under_such_a_header_exits_in_one_line(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Time (BRT),lat,lon,drug\n2024-03-01 10:00,-23.5,-46.6,coke\n")
    with pytest.raises(InputError) as err:
        read_seizures(path)
    assert "\n" not in str(err.value) and "'BRT'" in str(err.value)
