"""Review of the newest commits: bugs they brought or left in a twin, each with its test."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pandas as pd
import pytest
from _stats import CLASS_LABELS, FIXED_CLASSES

from pipeline import schema as S
from pipeline.classes import ALL_EQUAL, class_labels_for, risk_class_breaks
from pipeline.errors import InputError
from pipeline.factors import FactorValues
from pipeline.grid import align_to_cells, grid_disk_cells, points_to_cells
from pipeline.hotspots import emerging_hotspots, space_time_cube
from pipeline.model import WeightedModel
from pipeline.model.features import factors_by_cell
from pipeline.score import FactorWeight
from pipeline.timeline import TimelineFactors, score_timeline

LABELS, OPTS = CLASS_LABELS, FIXED_CLASSES


def _timeline(density: np.ndarray, months: int = 2) -> pd.DataFrame:
    """Score ``months`` months that all hold ``density`` (one value per cell)."""
    cells = np.sort(grid_disk_cells(points_to_cells([-60.0], [15.0], 4), 6))
    density = np.resize(density, cells.size)
    features = pd.DataFrame(
        {S.CELL: cells, S.SEIZURE_DENSITY: density, S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True}
    )
    names = [f"2026-{m + 1:02d}" for m in range(months)]
    table = pd.concat(
        [pd.DataFrame({S.CELL: cells, S.PERIOD: p, S.SEIZURE_DENSITY: density}) for p in names],
        ignore_index=True,
    )
    periods = pd.DataFrame({S.PERIOD: names, "cutoff": "", "history": S.SEIZURE_DENSITY})
    tl = score_timeline(
        features,
        TimelineFactors(table, periods),
        {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)},
        scale="quantile",
        **OPTS,
    )
    assert tl is not None
    return tl


def test_timeline_quantile_scale_keeps_risks_above_a_tied_lowest_block_out_of_its_class():
    # the map's quantile classes (pipeline.classes, commit 631a64e) start a class above a
    # tied lowest block; the slider's pooled quantiles (the default timeline.scale 'map'
    # with render.classes 'quantile') merged every quantile there and classed a risk of
    # 100 'very low' beside the quiet cells
    density = np.r_[np.zeros(17), 0.4, 1.0]  # most cells quiet, two busy ones
    tl = _timeline(density)
    top = tl[S.RISK] == tl[S.RISK].max()
    quiet = tl[S.RISK] == tl[S.RISK].min()
    assert set(tl.loc[top, S.RISK_CLASS]) == {"very high"}
    assert set(tl.loc[quiet, S.RISK_CLASS]) == {"very low"}
    # the same classes as the map's quantile classes of the same risk
    breaks = risk_class_breaks(tl[S.RISK].to_numpy(), "quantile", len(LABELS))
    want = class_labels_for(LABELS, len(breaks) - 1)
    assert tl.attrs["labels"] == want
    mid = (tl[S.RISK] > tl[S.RISK].min()) & (tl[S.RISK] < tl[S.RISK].max())
    assert not (tl.loc[mid, S.RISK_CLASS] == "very low").any()


def test_timeline_whose_every_risk_is_equal_says_so_as_the_map_does():
    tl = _timeline(np.full(7, 0.5))
    assert tl[S.RISK].nunique() == 1
    assert tl.attrs["labels"] == [ALL_EQUAL] == class_labels_for(LABELS, 1)
    assert set(tl[S.RISK_CLASS]) == {ALL_EQUAL}


def _three_cells() -> np.ndarray:
    return np.sort(points_to_cells([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], 5))


@pytest.mark.parametrize("dtype", ["Float64", "Int64", "float64"])
def test_a_series_of_a_nullable_dtype_indexed_by_shuffled_positions_is_aligned(dtype):
    # a Series from a sorted frame (convert_dtypes or a pyarrow-backed read gives Float64)
    cells = _three_cells()
    values = pd.Series([30, 10, 20], index=[2, 0, 1], dtype=dtype)
    got = np.asarray(align_to_cells(values, cells, "factor 'x'"), dtype="float64")
    np.testing.assert_array_equal(got, [10.0, 20.0, 30.0])
    fv = FactorValues.coerce(values, 3, "x", cells)
    np.testing.assert_array_equal(fv.values, [10.0, 20.0, 30.0])


def test_a_factor_s_nullable_coverage_flag_that_is_missing_is_not_covered():
    # score_cells reads <NA> in a nullable boolean '__covered' column as not covered
    # (commit 612f59c); a factor returning (values, covered) with the same flags was refused
    cells = _three_cells()
    flags = pd.array([True, pd.NA, False], dtype="boolean")
    for covered in (flags, pd.Series(flags, index=cells), pd.Series(flags)):
        fv = FactorValues.coerce((np.array([1.0, 2.0, 3.0]), covered), 3, "x", cells)
        assert fv.covered.tolist() == [True, False, False]
    # text flags stay refused
    with pytest.raises(InputError, match="coverage mask"):
        FactorValues.coerce((np.array([1.0, 2.0, 3.0]), np.array(["True", "False", "x"])), 3, "x")


def _area_and_outside() -> tuple[np.ndarray, np.ndarray]:
    cells = np.sort(grid_disk_cells(points_to_cells([0.0], [0.0], 5), 2))
    return cells, points_to_cells([1.5], [0.5], 5)  # a cell beyond the area (land, say)


def test_emerging_first_period_rule_counts_days_from_the_export_s_first_event():
    # the cube's first period is that of the first event of the export; an event outside the
    # cube's cells (a port seizure with exclude_land) opened it two months before the first
    # event inside: the rule measured the start from the inside one and left January out as
    # 'its last -29 of 31 days'
    cells, outside = _area_and_outside()
    rng = np.random.default_rng(1)
    days = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(np.arange(0, 365, 2), unit="D")
    ev = np.r_[outside, rng.choice(cells, days.size)]
    times = pd.DatetimeIndex([pd.Timestamp("2024-01-10", tz="UTC")]).append(days)
    cube = space_time_cube(ev, times, cells, period="month", end="2025-02-28")
    assert cube.periods[0] == "2024-01" and cube.values[:, 0].sum() == 0
    # the export's data start on 10 January; a gap of 50 days follows: no partial start
    assert cube.first_days is None
    result = emerging_hotspots(cube, {"emerging": {"min_periods": 5}, "p_value": "normal"})
    assert result.left_out is None


def test_emerging_partial_first_period_is_measured_from_the_first_event_of_the_export():
    cells, outside = _area_and_outside()
    rng = np.random.default_rng(2)
    days = pd.Timestamp("2024-01-21", tz="UTC") + pd.to_timedelta(np.arange(0, 400), unit="D")
    ev = np.r_[outside, rng.choice(cells, days.size)]
    times = pd.DatetimeIndex([pd.Timestamp("2024-01-20", tz="UTC")]).append(days)
    cube = space_time_cube(ev, times, cells, period="month", end="2025-02-23")
    # the export holds data from 20 January: 12 of January's 31 days
    assert cube.first_days == (12, 31)


def test_weighted_model_scores_a_cell_its_factors_table_lacks_as_not_covered():
    # factors_by_cell (c98e552) promises NaN, not covered, for a cell the table lacks; the
    # reindexed '__covered' column held NaN among booleans (object dtype) and score_cells,
    # which now reads booleans only (612f59c), refused the table
    cells = np.sort(grid_disk_cells(points_to_cells([0.0], [0.0], 5), 2))
    table = pd.DataFrame({S.CELL: cells[:-3], "x": np.arange(cells.size - 3.0), "x__covered": True})
    model = WeightedModel({"x": 1.0}).fit(
        pd.DataFrame({S.TIME: [], S.LON: [], S.LAT: []}),
        cells,
        pd.Timestamp("2024-01-01", tz="UTC"),
        factors=table,
    )
    scores = model.predict().set_index(S.CELL)["score"]
    # the three cells the table lacks have no risk (missing, not 0); the others are scored
    assert scores.loc[cells[-3:]].isna().all()
    assert scores.loc[cells[:-3]].notna().all() and scores.max() > scores.min()
    by_cell = factors_by_cell(table, cells)
    assert by_cell["x__covered"].tolist() == [True] * (cells.size - 3) + [False] * 3


def test_a_run_started_within_the_second_of_the_last_one_is_not_told_the_clock_went_back(
    tmp_path,
):
    # 6ce1116: a new run id sorts after every run folder; a refused run then a rerun in the
    # same second got an id one second on - right - and the note 'the system clock is behind
    # the newest run folder: the clock went backwards' - wrong - in its log and manifest
    from pipeline.runner import publish as P

    now = dt.datetime(2026, 3, 1, 12, 0, 0, 400000, tzinfo=dt.UTC)
    first, note = P.next_run_id(tmp_path, now)
    assert note is None
    (tmp_path / P.RUNS / first).mkdir(parents=True)
    (tmp_path / P.RUNS / first / "status.json").write_text("{}", encoding="utf-8")
    second, note = P.next_run_id(tmp_path, now + dt.timedelta(milliseconds=300))
    assert second > first and note is None
    # a clock really set back is still said
    third, note = P.next_run_id(tmp_path, now - dt.timedelta(hours=1))
    assert third > first and note is not None and "behind" in note


def test_status_of_a_folder_whose_only_published_run_was_deleted_needs_attention(tmp_path, capsys):
    # 604222d: a published run whose folder was deleted is 'no map is published', exit 1;
    # with keep_runs: 1 (or a first run) that folder is the only one, and status said
    # 'holds no route-risk run' with exit 2, as for a mistyped folder
    from pipeline.cli import main

    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    os.symlink("runs/20260301T120000Z-abcdef", out / "current")
    os.symlink("current/risk_map.html", out / "risk_map.html")
    assert main(["status", str(out)]) == 1
    text = capsys.readouterr().out
    assert "no map is published" in text and "20260301T120000Z-abcdef" in text
    # the run was complete and published: not "no complete run yet"
    assert "published      nothing (the published run's folder is missing)" in text
    assert "no complete run yet" not in text
    assert main(["status", "--json", str(out)]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["published"] is None and any("no map is published" in a for a in got["attention"])
    # a folder that never held a run is still a mistake: exit 2
    assert main(["status", str(tmp_path / "typo")]) == 2
