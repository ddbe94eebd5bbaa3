"""Mutation pass on ship identity (:mod:`pipeline.ingest.identity`): gaps it found.

The references are computed here by hand: the IMO number's check digit (weights 7 to 2 on
its first six digits, the last digit their sum mod 10), and which vessel ids are one ship
read off the rows themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest.identity import (
    identity_table,
    ids_of_two_ships,
    imo_keys,
    ship_groups,
    text_keys,
)


def _imo_by_hand(number: str) -> str:
    """The IMO number of 7 ASCII digits by its check digit, or ``""``."""
    if len(number) != 7 or not all("0" <= c <= "9" for c in number) or number[0] == "0":
        return ""
    if len(set(number)) == 1 or number in {"1234567", "9876543", "7654321"}:
        return ""
    total = sum(int(d) * w for d, w in zip(number[:6], range(7, 1, -1), strict=True))
    return number if total % 10 == int(number[6]) else ""


def _groups(rows: list[tuple[str, str | None, str | None, str | None]]):
    """Ship groups of pings given as (vessel id, IMO, name, call sign), one ping each."""
    vid, imo, name, call = (pd.Series(list(c), dtype=object) for c in zip(*rows, strict=True))
    table = identity_table(vid.to_numpy(), np.ones(len(vid), bool), imo, name, call)
    return ship_groups(table, np.unique(vid.to_numpy()))


def test_imo_keys_are_the_numbers_whose_check_digit_is_right_by_hand():
    rng = np.random.default_rng(20240607)
    numbers = [f"{n:07d}" for n in rng.integers(1_000_000, 10_000_000, 400)]
    # each number's six first digits with every last digit: one of the ten is right
    numbers += [f"907472{d}" for d in range(10)] + [f"917618{d}" for d in range(10)]
    want = [_imo_by_hand(n) for n in numbers]
    assert 40 < sum(w != "" for w in want) < 120  # about a tenth: both outcomes are checked
    assert imo_keys(pd.Series(numbers)).tolist() == want
    assert [w for w in want[-20:] if w] == ["9074729", "9176187"]  # sums 139 and 147 by hand


@pytest.mark.parametrize(
    "spelled",
    ["9074729.00", "IMO 9074729.0", "IMO9074729.000", "IMO  9074729"],
    ids=["two-zeros", "prefix-and-zero", "prefix-three-zeros", "two-spaces"],
)
def test_an_imo_number_written_as_a_float_with_more_zeros_is_still_the_number(spelled):
    # a spreadsheet writes a float column with two decimals: 9074729.00 is the ship's IMO
    assert imo_keys(pd.Series([spelled, "9074729"])).tolist() == ["9074729", "9074729"]
    assert imo_keys(pd.Series(["9074729.50", "9074729.01"])).tolist() == ["", ""]


@pytest.mark.parametrize(
    "call",
    ["UNK", "No Call Sign", "NOCALL", "XXXX", "ZZZZZZ", "TBA", "TBD", "UNAVAILABLE", "NOT DEFINED"],
    ids=["unk", "no-call-sign", "nocall", "xxxx", "zzzzzz", "tba", "tbd", "unavailable", "undef"],
)
def test_two_boats_of_a_common_name_and_a_placeholder_call_sign_are_not_one_ship(call):
    # two leisure craft named SEA STAR whose installers typed a placeholder for the call
    # sign: the name and call sign were one key, and two boats were counted as one
    assert text_keys(pd.Series([call])).tolist() == [""]
    assert (
        len(_groups([("235000001", None, "SEA STAR", call), ("235000002", None, "SEA STAR", call)]))
        == 0
    )


def test_a_real_call_sign_beside_one_name_still_joins_the_two_ids_of_one_ship():
    groups = _groups(
        [("235000001", None, "SEA STAR", "MXYZ2"), ("235000002", None, "Sea Star", "mxyz2")]
    )
    assert sorted(groups.ids) == ["235000001", "235000002"]
    assert list(groups.rule) == ["name 'sea star' and call sign 'mxyz2'"] * 2
    # a call sign of letters and digits with a letter repeated is no placeholder
    assert text_keys(pd.Series(["AAA2", "2EEE"])).tolist() == ["aaa2", "2eee"]


@pytest.mark.parametrize(
    ("name_a", "call_a", "name_b", "call_b"),
    [
        ("NORDIC-STAR", "OXYZ2", "Nordic Star", "OXYZ2"),
        ("ST. JOHN", "OXYZ2", "ST JOHN", "OXYZ2"),
        ("ST JOHN'S", "OXYZ2", "St Johns", "OXYZ2"),
        ("NORDIC STAR", "OXYZ 2", "NORDIC STAR", "OXYZ-2"),
        ("M/V NORDIC STAR", "OXYZ2", "NORDIC STAR", "OXYZ2"),
        ("MT. NORDIC STAR", "OXYZ2", "M/T Nordic Star", "OXYZ2"),
        ("F/V SEA STAR", "OXYZ2", "SEA STAR", "OXYZ2"),
    ],
    ids=["hyphen", "period", "apostrophe", "call-sign-spaced", "mv", "mt", "fv"],
)
def test_one_ships_name_and_call_sign_spelled_with_other_signs_join_its_two_ids(
    name_a, call_a, name_b, call_b
):
    # the class A and class B transponders of one ship, set up by two installers: kept
    # apart, its two ids sailed side by side as an encounter of two ships
    groups = _groups([("235000001", None, name_a, call_a), ("235000002", None, name_b, call_b)])
    assert sorted(groups.ids) == ["235000001", "235000002"]
    assert set(groups.ship) == {"235000001"}


def test_a_type_prefix_is_dropped_only_as_a_word_of_its_own():
    # MSC ANNA and ANNA are two ships; a name that is a prefix alone, or a prefix before a
    # placeholder, is no key (two ids of that "name" are not joined)
    assert (
        len(_groups([("235000001", None, "MSC ANNA", "OX2"), ("235000002", None, "ANNA", "OX2")]))
        == 0
    )
    for name in ("M/V", "MV UNKNOWN"):
        rows = [("235000001", None, name, "OX2"), ("235000002", None, name, "OX2")]
        assert len(_groups(rows)) == 0


def test_a_bar_in_a_name_or_call_sign_never_makes_two_ships_keys_one():
    # the key is written name|call sign: 'A|B' and 'C' against 'A' and 'B|C' were one key
    groups = _groups(
        [("235000001", None, "SEA|STAR", "MX2"), ("235000002", None, "SEA", "STAR|MX2")]
    )
    assert len(groups) == 0


def test_floats_beyond_integer_precision_are_no_key_and_never_one_another():
    # a call sign column read as floats (2E20 in a spreadsheet): past 2**53 a float is no
    # exact integer, and past 2**63 every one wrapped to the same int64 text
    assert text_keys(pd.Series([1e20, 3e20, 2.0**60])).tolist() == ["", "", ""]
    assert imo_keys(pd.Series([1e20, 9074729.0])).tolist() == ["", "9074729"]


def test_each_vessel_ids_name_and_call_sign_key_is_its_own_pair_counted_by_hand():
    # three names crossed with three call signs: each pair is one row's, counted by hand
    rows = [
        ("A", "ALPHA", "C1"),
        ("A", "ALPHA", "C1"),
        ("B", "BRAVO", "C2"),
        ("C", "BRAVO", "C1"),
        ("C", "CHARLIE", "C3"),
        ("D", "CHARLIE", None),  # no call sign: no key
        ("E", None, "C3"),  # no name: no key
    ]
    vid, name, call = (pd.Series(list(c), dtype=object) for c in zip(*rows, strict=True))
    table = identity_table(vid.to_numpy(), np.ones(len(vid), bool), None, name, call)
    assert table.values.tolist() == [
        ["A", "name_call", "alpha|c1", 2],
        ["B", "name_call", "bravo|c2", 1],
        ["C", "name_call", "bravo|c1", 1],
        ["C", "name_call", "charlie|c3", 1],
    ]


def test_a_second_imo_on_exactly_a_tenth_and_three_records_is_a_second_ship():
    # 3 of 30 records: the share (a tenth) and the count (three) both met exactly
    table = pd.DataFrame(
        {
            "vessel_id": ["D", "D", "E", "E"],
            "kind": "imo",
            "key": ["9074729", "9176187", "9074729", "9176187"],
            "n": np.array([27, 3, 28, 3], dtype="int64"),  # E: 3 of 31, under a tenth
        }
    )
    got = ids_of_two_ships(table, np.array(["D", "E"], dtype=object))
    assert got.values.tolist() == [["D", "9074729", 27], ["D", "9176187", 3]]


def test_a_key_of_four_ids_joins_them_and_is_not_said_refused():
    ids = ["A", "B", "C", "D"]
    groups = _groups([(v, "9074729", None, None) for v in ids])
    assert sorted(groups.ids) == ids and groups.refused == []


def test_only_the_runs_vessel_ids_count_towards_a_keys_ids():
    # five ids give one IMO, but three of them have no accepted record in this run: the two
    # that have are one ship, and the key is no default of five
    rows = [(v, "9074729", None, None) for v in "ABCDE"]
    vid, imo, name, call = (pd.Series(list(c), dtype=object) for c in zip(*rows, strict=True))
    table = identity_table(vid.to_numpy(), np.ones(5, bool), imo, name, call)
    groups = ship_groups(table, np.array(["B", "D"], dtype=object))
    assert sorted(groups.ids) == ["B", "D"] and set(groups.ship) == {"B"}
    assert groups.refused == []


def test_a_float_imo_with_a_fraction_is_no_number():
    assert imo_keys(pd.Series([9074729.5, 9074729.0, 9074729.25])).tolist() == ["", "9074729", ""]
    assert text_keys(pd.Series([1234.5, 1234.0])).tolist() == ["", "1234"]


def test_a_name_and_call_sign_key_is_never_counted_as_a_second_imo():
    # 10 records with IMO 9074729 and 10 with a name and call sign: one IMO, one ship
    table = pd.DataFrame(
        {
            "vessel_id": ["A", "A"],
            "kind": ["imo", "name_call"],
            "key": ["9074729", "nordic star|oxyz2"],
            "n": np.array([10, 10], dtype="int64"),
        }
    )
    assert len(ids_of_two_ships(table, np.array(["A"], dtype=object))) == 0


def test_a_letter_three_times_is_a_placeholder_and_twice_is_not():
    assert text_keys(pd.Series(["ZZZ", "ZZ", "QQQQ", "Q"])).tolist() == ["", "zz", "", "q"]
