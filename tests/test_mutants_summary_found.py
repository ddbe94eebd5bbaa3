"""Gaps found by a hand mutation analysis of rejects, the ingest summary, options and ship
identity (hFZ).

Each test kills a mutant the suite let live in ``ingest/summary.py`` (rejects files, the
reject ceiling, ``top_rules``, the summary and its assumption lines), ``runner/stages/
_read.py`` (rejects names, the ceiling's scope, kept rejects), ``ingest/options.py`` (the
sources' validators) or ``ingest/identity.py`` (IMO numbers, names and call signs, groups).
Expected values are independent of the code under test: counts by hand, the file's own
line numbers, the rejects read back with :mod:`csv`, pydantic's own errors.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from pydantic import ValidationError

from pipeline.errors import DataQualityError
from pipeline.ingest import IngestResult, check_reject_rate, top_rules, write_rejects
from pipeline.ingest.options import SeizureSource, TrackSource
from pipeline.schema import REJECT_COLUMNS


def _result(by_rule: dict[str, int], n_accepted: int, source: str = "f.csv") -> IngestResult:
    """A reader's result of ``n_accepted`` records and the rejects ``by_rule`` counts."""
    rules = [r for r, n in by_rule.items() for _ in range(n)]
    rejects = pd.DataFrame(
        {
            "source_file": source,
            "row": range(2, 2 + len(rules)),
            "column": "lat",
            "value": "x",
            "rule": rules,
            "message": "m",
        },
        columns=list(REJECT_COLUMNS),
    )
    frame = pd.DataFrame({"lat": [0.5] * n_accepted})
    return IngestResult(frame, rejects, dict(by_rule), source, n_accepted + len(rules))


def _read_back(path) -> tuple[list[str], list[dict[str, str]]]:
    """The rejects file as csv reads it: its header and rows (independent of pandas)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


# ---------------------------------------------------------------------- top_rules


def test_top_rules_most_first_ties_by_name_and_dots_only_beyond_the_limit():
    # three rules tied at 2 name the alphabetical three, after the one at 5, whatever the
    # dict's order; '...' says rules were left out, never when exactly `limit` are given
    by_rule = {"zeta": 2, "beta": 2, "alpha": 2, "most": 5, "least": 1}
    assert top_rules(by_rule) == "most 5, alpha 2, beta 2, ..."
    assert top_rules(by_rule, limit=5) == "most 5, alpha 2, beta 2, zeta 2, least 1"
    assert top_rules({"b": 1, "a": 3, "c": 2}) == "a 3, c 2, b 1"
    assert top_rules({"b": 1, "a": 3, "c": 2}, limit=2) == "a 3, c 2, ..."


# ---------------------------------------------------------------------- rejects files


def test_a_file_without_rejects_still_gets_the_header_alone(tmp_path):
    path = write_rejects(_result({}, 3), tmp_path, "tracks-clean")
    assert path == tmp_path / "rejects" / "tracks-clean.csv"
    header, rows = _read_back(path)
    assert header == list(REJECT_COLUMNS) and rows == []


def test_a_rejects_file_holds_the_reject_columns_in_their_order(tmp_path):
    res = _result({"coord_missing": 2}, 1)
    # a rejects table of another column order, holding a helper column besides
    res.rejects = res.rejects[list(REJECT_COLUMNS)[::-1]].assign(_key=[7, 8])
    header, rows = _read_back(write_rejects(res, tmp_path, "x"))
    assert header == list(REJECT_COLUMNS)
    assert [(r["row"], r["rule"]) for r in rows] == [("2", "coord_missing"), ("3", "coord_missing")]


# ---------------------------------------------------------------------- the ceiling


def test_the_ceilings_rate_is_of_the_records_in_scope(tmp_path):
    # 10 read: 4 outside the area (out of scope), 3 bad, 3 accepted: 3 of 6 in scope, 0.5
    res = _result({"outside_aoi": 4, "coord_missing": 3}, 3)
    check_reject_rate(res, 0.5)
    with pytest.raises(DataQualityError, match=r"3 of 6 records in scope rejected \(50.0%\)"):
        check_reject_rate(res, 0.45)


@pytest.mark.parametrize("rate", [1.5, -0.1, float("nan")])
def test_a_ceiling_outside_0_to_1_is_refused_not_taken(rate):
    from pipeline.errors import InputError

    with pytest.raises(InputError, match=r"max_reject_rate must be in \[0, 1\], got"):
        check_reject_rate(_result({"coord_missing": 9}, 1), rate)


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("outside_aoi", "outside the area"),
        ("after_as_of", "after as_of"),
        ("duplicate_across_files", "given by an earlier file"),
    ],
)
def test_each_out_of_scope_rule_is_left_out_of_the_count_and_said_apart(rule, said):
    # 9 out of scope, 4 bad (3 + 1), 1 accepted: 4 of 5 in scope; the top rules name the bad
    # ones only and the others are said as not counted
    res = _result({rule: 9, "coord_missing": 3, "date_unparseable": 1}, 1)
    check_reject_rate(res, 0.8)
    with pytest.raises(DataQualityError) as err:
        check_reject_rate(res, 0.75)
    assert str(err.value) == (
        "f.csv: 4 of 5 records in scope rejected (80.0%), above the ceiling "
        "max_reject_rate=0.75; top rules: coord_missing 3, date_unparseable 1 "
        f"(not counted: 9 {said})"
    )


def test_a_rule_the_caller_puts_out_of_scope_is_not_counted():
    # the run puts records at (0, 0) out of scope where its area does not reach (0, 0)
    res = _result({"null_island": 6, "coord_missing": 1}, 3)
    with pytest.raises(DataQualityError, match=r"7 of 10 records in scope"):
        check_reject_rate(res, 0.5)
    check_reject_rate(res, 0.25, {"null_island": "at (0, 0)"})  # 1 of 4
    with pytest.raises(DataQualityError, match=r"1 of 4 .*not counted: 6 at \(0, 0\)"):
        check_reject_rate(res, 0.2, {"null_island": "at (0, 0)"})


def test_a_log_of_no_position_is_refused_below_a_ceiling_of_1_only():
    # a raw AIS log of static data only: refused as 'no position', unless the user allows
    # every record rejected (max_reject_rate 1)
    res = _result({"nmea_not_position": 4, "nmea_multipart": 2}, 0, "log.nmea")
    with pytest.raises(DataQualityError, match=r"no position report in its 6 raw AIS line"):
        check_reject_rate(res, 0.99)
    check_reject_rate(res, 1.0)
    # a log of no position that also holds bad lines is refused for the bad lines
    mixed = _result({"nmea_not_position": 4, "nmea_checksum": 2}, 0, "log.nmea")
    with pytest.raises(DataQualityError, match=r"2 of 2 records in scope rejected"):
        check_reject_rate(mixed, 0.5)


# ---------------------------------------------------------------------- the summary


def _track_file(path):
    """Six pings of two vessels, the 2nd and 5th with a latitude of 95 (lines 3 and 6)."""
    lines = ["mmsi,timestamp,lat,lon,sog"]
    for i in range(6):
        lat = "95.0" if i in (1, 4) else f"43.{i}"
        lines.append(f"25700000{i % 2},2024-03-01T0{i}:00:00,{lat},5.{i},3")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "chunked"])
def test_the_summary_of_a_track_file_whole_or_in_chunks(tmp_path, chunk_rows):
    from pipeline.ingest import summarise_ingest
    from pipeline.ingest.options import IngestOptions

    path = _track_file(tmp_path / "t.csv")
    out = tmp_path / "out"
    out.mkdir()
    s = summarise_ingest(
        "tracks",
        path,
        out_dir=out,
        options=IngestOptions(chunk_rows=chunk_rows, max_reject_rate=0.4),
    )
    assert (s["read"], s["accepted"], s["rejected"], s["vessels"]) == (6, 4, 2, 2)
    assert s["usable"] is True
    # the name a run gives the same input's rejects
    assert s["rejects_file"] == str(out / "rejects" / "tracks-t.csv")
    header, rows = _read_back(s["rejects_file"])
    assert [(r["row"], r["column"], r["value"], r["rule"]) for r in rows] == [
        ("3", "lat", "95.0", "lat_out_of_range"),
        ("6", "lat", "95.0", "lat_out_of_range"),
    ]
    assert s["notes"] == ["t.csv: position table schema 'generic'", "t.csv: 2 vessel(s)/track(s)"]
    assert s["assumptions"]["columns"]["vessel_id"]["column"] == "mmsi"
    assert s["assumptions"]["time_zone"] == "6 value(s) without zone taken as UTC"
    # the option's ceiling, not the default's: 2 of 6 is above 0.3 (and below 0.5)
    with pytest.raises(DataQualityError, match=r"2 of 6 records in scope rejected"):
        summarise_ingest(
            "tracks", path, options=IngestOptions(chunk_rows=chunk_rows, max_reject_rate=0.3)
        )


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "chunked"])
def test_a_file_of_only_rejects_allowed_by_the_ceiling_is_not_usable(tmp_path, chunk_rows):
    from pipeline.ingest import summarise_ingest
    from pipeline.ingest.options import IngestOptions

    path = tmp_path / "t.csv"
    path.write_text("mmsi,timestamp,lat,lon\n" + "257000001,2024-03-01T00:00:00,95,5\n" * 3)
    s = summarise_ingest(
        "tracks", path, options=IngestOptions(chunk_rows=chunk_rows, max_reject_rate=1.0)
    )
    assert (s["read"], s["accepted"], s["usable"]) == (3, 0, False)


def test_format_summary_gives_rules_most_first_the_rejects_file_and_each_assumption():
    from pipeline.ingest import format_summary

    summary = {
        "kind": "seizures",
        "source": "a\nb.csv",  # a file name's newline stays in its one line
        "read": 10,
        "accepted": 4,
        "rejected": 6,
        "reject_rate": 0.6,
        "rejects_file": "out/rejects/seizures-a.csv",
        "by_rule": {"a_rule": 1, "b_rule": 5},
        "assumptions": {
            "columns": {"lat": {"column": "Y", "by": "name", "evidence": "e1"}},
            "dates": {"order": "day-first", "order_by": "content", "order_evidence": "31/01"},
            "time_zone": "4 value(s) without zone taken as UTC",
            "crs": {"value": "EPSG:4326", "by": "default", "evidence": "e2"},
        },
        "notes": [],
    }
    lines = format_summary(summary).split("\n")
    assert lines[0] == "a\\nb.csv (seizures)"
    rules = [
        ln.split()[0] for ln in lines if ln.startswith("    ") and ln.split()[0].endswith("_rule")
    ]
    assert rules == ["b_rule", "a_rule"]
    assert "  rejects        out/rejects/seizures-a.csv" in lines
    assert "    column lat          'Y' (name: e1)" in lines
    assert "    dates          day-first (content: 31/01)" in lines
    assert "    time zone      4 value(s) without zone taken as UTC" in lines
    assert "    CRS            EPSG:4326 (default: e2)" in lines


def test_the_runs_one_line_of_assumptions_names_each_of_them():
    from pipeline.ingest import assumptions_to_line

    line = assumptions_to_line(
        {
            "columns": {"lat": {"column": "Y"}, "time": {"column": None}},
            "dates": {"order": "day-first", "order_by": "content"},
            "time_zone": "2 value(s) without zone taken as UTC",
            "crs": {"value": "EPSG:3857", "by": "config"},
        }
    )
    assert line == (
        "assumed: columns lat 'Y' | dates day-first (content) | "
        "time zone: 2 value(s) without zone taken as UTC | CRS EPSG:3857 (config)"
    )


def test_json_safe_makes_every_non_finite_number_null():
    import json

    import numpy as np

    from pipeline.ingest import json_safe

    value = {"a": float("inf"), "b": [np.float64("-inf"), np.nan], 3: np.int64(7), "c": 1.5}
    safe = json_safe(value)
    assert safe == {"a": None, "b": [None, None], "3": 7, "c": 1.5}
    assert json.dumps(safe, allow_nan=False) == '{"a": null, "b": [null, null], "3": 7, "c": 1.5}'


# ---------------------------------------------------------------------- options


def _refusal(model, **kwargs) -> dict:
    """pydantic's own first error of ``model(**kwargs)`` (its type, place and message)."""
    with pytest.raises(ValidationError) as err:
        model(**kwargs)
    return err.value.errors()[0]


@pytest.mark.parametrize("model", [SeizureSource, TrackSource], ids=["seizures", "tracks"])
@pytest.mark.parametrize("delimiter", [";;", "", '"', "\x00"], ids=["two", "empty", "quote", "nul"])
def test_a_delimiter_csv_cannot_split_by_is_refused_naming_the_usual_ones(model, delimiter):
    # Before: a track file's delimiter ';;' passed the options and ended the run as an
    # internal error (TypeError from the csv module, exit 70 and a traceback)
    with pytest.raises(ValidationError, match=r"delimiter must be one character.*';'"):
        model(path="f.csv", delimiter=delimiter)
    assert model(path="f.csv", delimiter="\t").delimiter == "\t"


@pytest.mark.parametrize("model", ["SeizureSource", "TrackSource", "ContextSource", "TimeWindow"])
def test_every_source_refuses_a_key_it_does_not_know(model):
    from pipeline.ingest import options

    base = {
        "TimeWindow": {"start": "2024-01-01", "end": "2024-01-31"},
        "ContextSource": {"path": "p.geojson", "kind": "ports"},
    }.get(model, {"path": "f.csv"})
    got = _refusal(getattr(options, model), **base, colums={"lat": "Y"})
    assert (got["type"], got["loc"]) == ("extra_forbidden", ("colums",))


@pytest.mark.parametrize(
    ("model", "key", "valid"),
    [
        ("SeizureSource", "latitude", "'coords', 'commodity'"),
        ("TrackSource", "commodity", "'vessel_id', 'time', 'time_of_day'"),
        ("ContextSource", "time", "'coords', 'name', 'geometry'"),
    ],
)
def test_a_column_key_of_no_role_is_refused_naming_the_valid_ones(model, key, valid):
    from pipeline.ingest import options

    extra = {"kind": "ports"} if model == "ContextSource" else {}
    got = _refusal(getattr(options, model), path="f.csv", columns={key: "X"}, **extra)
    assert f"unknown column key(s) [{key!r}]; valid keys are [" in got["msg"]
    assert valid in got["msg"]


def test_the_column_keys_of_each_source_are_its_own():
    # a track file's vessel id and a seizure file's clock column are theirs to map
    assert TrackSource(path="f.csv", columns={"vessel_id": "ship"}).columns == {"vessel_id": "ship"}
    assert SeizureSource(path="f.csv", columns={"time_of_day": "hhmm"}).columns == {
        "time_of_day": "hhmm"
    }


@pytest.mark.parametrize("model", ["SeizureSource", "TrackSource", "ContextSource", "RasterSource"])
def test_a_crs_pyproj_does_not_know_is_refused_with_examples(model):
    from pipeline.ingest import options

    extra = {"kind": "ports"} if model == "ContextSource" else {}
    got = _refusal(getattr(options, model), path="f", crs="EPSG:99999999", **extra)
    assert "crs 'EPSG:99999999' is not a CRS pyproj understands" in got["msg"]
    assert "'EPSG:32633'" in got["msg"]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("max_reject_rate", 1.01, "less_than_equal"),
        ("max_reject_rate", -0.01, "greater_than_equal"),
        ("chunk_rows", 0, "greater_than_equal"),
        ("max_speed_kn", 0.0, "greater_than"),
    ],
)
def test_ingest_options_out_of_their_range_are_refused(field, value, kind):
    from pipeline.ingest.options import IngestOptions

    got = _refusal(IngestOptions, **{field: value})
    assert (got["type"], got["loc"]) == (kind, (field,))


def test_settle_minutes_may_be_zero_never_negative():
    assert TrackSource(path="f.csv", settle_minutes=0).settle_minutes == 0
    got = _refusal(SeizureSource, path="f.csv", settle_minutes=-1)
    assert (got["type"], got["loc"]) == ("greater_than_equal", ("settle_minutes",))


def test_synonyms_of_an_empty_side_or_two_targets_are_refused():
    assert "has an empty side" in _refusal(SeizureSource, path="f", synonyms={"x": " "})["msg"]
    two = {"Robbers": "armed robbery", " robbers": "theft"}  # one key after normalisation
    assert (
        "to both 'armed robbery' and 'theft'"
        in _refusal(SeizureSource, path="f", synonyms=two)["msg"]
    )


def test_raster_options_at_their_edges():
    from pipeline.ingest.options import DimSelect, RasterMask, RasterSource, TimeWindow

    # one day is a window; a mask keeping exactly one value is a mask
    assert TimeWindow(start="2024-01-01", end="2024-01-01").end.day == 1
    assert RasterMask(path="m.tif", min=1, max=1).max == 1
    assert "is before start" in _refusal(TimeWindow, start="2024-01-02", end="2024-01-01")["msg"]
    assert "give exactly one of index or value" in _refusal(DimSelect, index=1, value=2.0)["msg"]
    assert "give exactly one of index or value" in _refusal(DimSelect)["msg"]
    for name in ("1st", "_x", "Sea"):
        assert "raster name must match" in _refusal(RasterSource, path="r.tif", name=name)["msg"]
    assert RasterSource(path="r.tif", mask="cf_cvg.tif").mask == RasterMask(path="cf_cvg.tif")


# ---------------------------------------------------------------------- ship identity


def _groups(rows: list[tuple[str, str | None, str | None, str | None]]):
    """Ship groups of pings given as (vessel id, IMO, name, call sign), one ping each."""
    import numpy as np

    from pipeline.ingest.identity import identity_table, ship_groups

    vid, imo, name, call = (pd.Series(list(c), dtype=object) for c in zip(*rows, strict=True))
    table = identity_table(vid.to_numpy(), np.ones(len(vid), bool), imo, name, call)
    return ship_groups(table, np.unique(vid.to_numpy()))


def test_names_and_call_signs_match_whatever_their_case_spaces_accents_and_ais_padding():
    # one ship's two transponders, each exported by another decoder: upper case padded with
    # AIS '@', against mixed case with doubled spaces and an accent written decomposed
    rows = [
        ("211000001", None, "NORDIC STÅR@@@@@", "OXYZ2@@"),
        ("211000002", None, " Nordic  Sta\u030ar ", "oxyz2"),
    ]
    groups = _groups(rows)
    assert sorted(groups.ids) == ["211000001", "211000002"]
    assert set(groups.ship) == {"211000001"}
    assert list(groups.rule) == ["name 'nordic står' and call sign 'oxyz2'"] * 2


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("N/A.", "NONE."),  # placeholders once punctuation is dropped
        ("00000", "0000"),  # zeros of any length
        ("***", "#/#"),  # no letter or digit at all
        ("UNKNOWN", "UNKNOWN"),
    ],
    ids=["punctuated", "zeros", "no-alnum", "unknown"],
)
def test_two_ships_sharing_a_placeholder_name_and_call_sign_are_not_joined(name, call):
    groups = _groups([("211000001", None, name, call), ("211000002", None, name, call)])
    assert len(groups) == 0


def test_a_name_without_a_call_sign_is_no_key_whatever_other_ships_give():
    # two ships of one name and no call sign, beside a third ship of both: none is joined
    rows = [("A", None, "ALPHA", "C1"), ("B", None, "NORDIC STAR", None)]
    rows += [("C", None, "NORDIC STAR", None)]
    assert len(_groups(rows)) == 0


@pytest.mark.parametrize("imo", ["0", "1234567", "9876543", "5555555", "IMO 0000000"])
def test_two_ships_sharing_a_placeholder_imo_with_a_valid_check_digit_are_not_joined(imo):
    # 1234567, 9876543 and 5555555 pass the check digit (weights 7..2: 77, 193, 135)
    assert sum(int(d) * w for d, w in zip("9876543", range(7, 1, -1), strict=False)) % 10 == 3
    groups = _groups([("211000001", imo, None, None), ("211000002", imo, None, None)])
    assert len(groups) == 0


def test_imo_spellings_of_exports_are_one_number():
    from pipeline.ingest.identity import imo_keys

    spelled = ["imo9074729", "IMO: 9074729", "9074729.0", " 9074729 ", "IMO-9074729"]
    assert imo_keys(pd.Series(spelled)).tolist() == ["9074729"] * len(spelled)


def test_a_chain_of_ids_beyond_the_cap_joins_none_of_them():
    # A, B, C give IMO 9074729; C, D, E a name and call sign (only C has an IMO): each key is
    # given by 3 ids, under the cap of 4, but the ship they chain into has 5 ids
    rows = [(v, "9074729", None, None) for v in "ABC"]
    rows += [(v, "9074729" if v == "C" else None, "NORDIC STAR", "OXYZ2") for v in "CDE"]
    assert len(_groups(rows)) == 0
    four = _groups(rows[:-1])  # without E: A-B-C by IMO, C-D by name: one ship of 4
    assert sorted(four.ids) == ["A", "B", "C", "D"] and set(four.ship) == {"A"}


def test_a_default_key_of_five_ids_does_not_undo_a_true_pair():
    # A and B give one IMO (one ship); A to E a vendor's default name and call sign, five
    # ids: the default is refused alone, A and B stay one ship
    rows = [(v, "9074729" if v in "AB" else None, "SEA SHIP", "ABC1") for v in "ABCDE"]
    groups = _groups(rows)
    assert sorted(groups.ids) == ["A", "B"] and list(groups.rule) == ["IMO 9074729"] * 2
    assert groups.refused == ["name 'sea ship' and call sign 'abc1' (5 vessel ids)"]


def test_a_group_found_false_is_undone_whole():
    groups = _groups([(v, "9074729", None, None) for v in "ABC"])
    assert sorted(groups.ids) == ["A", "B", "C"]
    assert len(groups.without(["B"])) == 0


def test_identity_counts_add_up_and_skip_records_without_a_vessel_id():
    import numpy as np

    from pipeline.ingest.identity import combine_identity, identity_table

    imo = pd.Series(["9074729", "9074729", "9176187"], dtype=object)
    table = identity_table(np.array(["A", "A", "A"], dtype=object), np.array([1, 0, 1], bool), imo)
    assert table[["key", "n"]].values.tolist() == [["9074729", 1], ["9176187", 1]]
    both = combine_identity([table, table.iloc[:1]])
    assert both[["key", "n"]].values.tolist() == [["9074729", 2], ["9176187", 1]]


def test_identity_columns_are_found_by_their_header_never_a_column_taken():
    from pipeline.ingest.identity import find_identity_columns

    cols = ["name", "IRCS", "IMO Number", "timestamp"]
    assert find_identity_columns(cols, ["timestamp"]) == {
        "imo": "IMO Number",
        "ship_name": "name",
        "callsign": "IRCS",
    }
    # 'name' read as the vessel id is not the ship's name too
    assert "ship_name" not in find_identity_columns(cols, ["name", "timestamp"])


# ---------------------------------------------------------------------- the ingest stage


def _pings_on(path, day: pd.Timestamp):
    rows = [
        f"257000001,{(day + pd.Timedelta(minutes=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},43.{i},5.{i}"
        for i in range(4)
    ]
    path.write_text("mmsi,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    return path


def test_as_of_is_taken_from_positions_up_to_a_day_ahead_never_further(tmp_path):
    # a day of slack for clocks ahead of UTC; three days ahead is a wrong date, refused
    from _ingest_stage import ingest_alone

    from pipeline.errors import InputError

    today = pd.Timestamp.now(tz="UTC").normalize()
    for label, days in (("today", 0), ("tomorrow", 1)):
        state = ingest_alone(
            tmp_path,
            label,
            [_pings_on(tmp_path / f"{label}.csv", today + pd.Timedelta(days=days))],
            None,
        )
        assert state.as_of.date() == (today + pd.Timedelta(days=days)).date()
    late = _pings_on(tmp_path / "late.csv", today + pd.Timedelta(days=3))
    with pytest.raises(InputError, match="positions are dated after today"):
        ingest_alone(tmp_path, "late", [late], None)


def test_names_one_file_system_takes_as_one_get_two_rejects_files():
    # 'ᾄ' written precomposed and as 'ᾀ' + an acute are one name once normalised; case
    # folding the second before decomposing it (ypogegrammeni to iota) kept them apart
    import unicodedata

    from pipeline.runner.stages._read import _rejects_name

    one, two = "tracks-\u1f84", "tracks-\u1f80\u0301"
    assert unicodedata.normalize("NFC", two) == one  # the same name, canonically
    names: set[str] = set()
    assert [_rejects_name(n, names) for n in (one, two, "TRACKS-\u1f84")] == [
        one,
        f"{two}-2",
        "TRACKS-\u1f84-3",
    ]


def test_the_pings_of_several_files_are_written_by_vessel_and_time_whole_or_spilled(tmp_path):
    # the second file's vessel sorts first; each file's pings come latest first
    from _ingest_stage import ingest_alone

    day = pd.Timestamp("2024-03-01T00:00:00Z")
    files = []
    for k, mmsi in enumerate(["257000002", "257000001"]):
        rows = [
            f"{mmsi},{(day + pd.Timedelta(minutes=10 * (3 - i))).strftime('%Y-%m-%dT%H:%M:%SZ')},"
            f"43.{k}{i},5.{k}{i}"
            for i in range(4)
        ]
        files.append(tmp_path / f"f{k}.csv")
        files[-1].write_text("mmsi,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    written = {}
    for label, rows in (("whole", None), ("spilled", 3)):
        state = ingest_alone(tmp_path, label, files, rows)
        pings = pd.read_parquet(state.staging / "pings.parquet")
        written[label] = pings
        assert pings["vessel_id"].tolist() == ["257000001"] * 4 + ["257000002"] * 4
        assert pings.groupby("vessel_id")["time"].apply(lambda t: t.is_monotonic_increasing).all()
    pd.testing.assert_frame_equal(written["whole"], written["spilled"])


def _mixed_unit_notes(tmp_path, files: list[tuple[str, str, int]]) -> list[str]:
    """The ingest stage's notes of quantities in different units, for seizure files given
    as (name, quantity header, longitude): five records each, quantities 1 to 5."""
    import yaml

    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest

    inputs = []
    for name, header, lon in files:
        rows = [f"2024-03-0{d},43.{d},{lon}.{d},cocaine,{d}" for d in range(1, 6)]
        (tmp_path / name).write_text(f"date,lat,lon,drug,{header}\n" + "\n".join(rows) + "\n")
        inputs.append({"path": str(tmp_path / name)})
    raw = {
        "run": {"out_dir": str(tmp_path / "out"), "as_of": "2024-06-30"},
        "area": {"bbox": [0, 40, 10, 46], "resolution": 5},
        "inputs": {"seizures": inputs},
        "density": {"use_quantity": True},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "c.yaml")
    staging = tmp_path / "out" / "staging"
    staging.mkdir(parents=True)
    state = RunState(cfg, None, tmp_path / "out", staging, StageCache(tmp_path / "out" / ".cache"))
    ingest(state)
    return [n for n in state.notes if "in different units" in n]


def test_quantities_in_kg_beside_quantities_of_no_unit_are_said_to_mix(tmp_path):
    # weighed by quantity, 5 records of one file (kg) and 5 of others (no unit stated; the
    # third file repeats the second) are added as numbers: the stage says so, each side's
    # records counted
    files = [
        ("kg.csv", "quantity_kg", 3),
        ("bare.csv", "quantity", 4),
        ("again.csv", "quantity", 4),
    ]
    said = _mixed_unit_notes(tmp_path, files)
    assert len(said) == 1 and "in different units: kg (5), no unit stated (5);" in said[0]


def test_a_file_of_no_unit_whose_records_are_all_repeats_mixes_nothing(tmp_path):
    # Before: 'in different units: kg (5), no unit stated (0)': a file none of whose records
    # is used (each one an earlier file's) still counted as a second unit
    said = _mixed_unit_notes(tmp_path, [("kg.csv", "quantity_kg", 3), ("dup.csv", "quantity", 3)])
    assert said == []


def test_the_extent_and_last_time_of_spilled_pings_are_the_pings_own(tmp_path):
    # a run without an area takes its cells from the pings' extent: a spilled run's store
    # must give the latitudes of its pings (not its longitudes) and their latest time
    from _ingest_stage import ingest_alone

    from pipeline.runner.stages._read import ping_extent, pings_time_max

    day = pd.Timestamp("2024-03-01T00:00:00Z")
    rows = [
        f"25700000{i % 2},{(day + pd.Timedelta(minutes=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},"
        f"{41 + 0.01 * i:.2f},{2 + 0.005 * i:.3f}"
        for i in range(6)
    ]
    path = tmp_path / "t.csv"
    path.write_text("mmsi,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    state = ingest_alone(tmp_path, "spilled", [path], 2)
    assert not isinstance(state.pings, pd.DataFrame)  # a store: spilled
    _, lat0, lat1 = ping_extent(state.pings)
    assert (lat0, lat1) == (41.0, 41.05)
    assert pings_time_max(state.pings) == day + pd.Timedelta(minutes=50)
