"""Review of the changes merged on 2026-12-07 (``git diff 90733ea..``): what broke.

Found on 2026-12-07 by reviewing the day's merged work:

* The positions a plug-in gets were cut at ``as_of`` (and at a back-test origin) with
  ``time <= as_of``, which is False for an untimed route's positions (NaT): a nightly run whose
  AIS feed reaches past its day (``run.as_of: yesterday``) handed a plug-in that reads the
  tracks none of the untimed routes the same run handed it whole when no position was later,
  and the back-test scored it at every origin without them.  An untimed route is kept:
  no date places it after the day.
* ``json_safe`` of a Series with a label twice kept the last value alone, of a frame with
  a column twice kept one of them (a pandas warning only), of a frame indexed by its labels
  (a ``groupby`` result) dropped the labels, and wrote pandas' missing value ``pd.NA`` (a
  nullable column's) as the text ``"<NA>"``.
* ``decile_bins`` left NaN out of the bins but ranked an infinite prediction, which
  :func:`~pipeline.evaluate.reliability` leaves out too: the bins were not the reliability's.
* The legend's rounding of halves passed the number to ``Decimal``, which takes no numpy
  float32 or int64: a map with such class breaks ended in a TypeError.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from _stages import plugin_state

import pipeline
from pipeline import schema as S

RES = 5
AS_OF = pd.Timestamp("2024-01-01", tz="UTC")  # conftest.factor_context's
SPOTS = np.array([[10.2, 40.3], [11.0, 41.1], [11.7, 40.6]])  # lon, lat


@pipeline.factor(
    name="positions_in_cell",
    unit="positions",
    description="Positions in the cell, timed or on an untimed route.",
    needs=("tracks",),
    register=False,
)
def positions_in_cell(ctx):
    got = pipeline.points_to_cells(ctx.pings[S.LON], ctx.pings[S.LAT], ctx.resolution)
    return pd.Series(got).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")


def _positions(times: list) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            S.VESSEL_ID: [f"v{i}" for i in range(n)],
            S.TIME: pd.to_datetime(pd.Series(times, dtype=object), utc=True),
            S.LON: SPOTS[:n, 0],
            S.LAT: SPOTS[:n, 1],
        }
    )


@pytest.mark.parametrize("later", [False, True], ids=["tracks-end-by-as-of", "a-later-ping"])
def test_a_plug_in_keeps_the_untimed_routes_whether_or_not_a_ping_is_later(later):
    from conftest import factor_context

    cells = np.unique(pipeline.points_to_cells(SPOTS[:, 0], SPOTS[:, 1], RES))
    ctx = factor_context(cells)
    assert ctx.as_of == AS_OF
    # an untimed route's position (NaT), one before as_of, and one after it or none
    times = [None, "2023-12-31 12:00", *(["2024-01-02 00:00"] if later else [])]
    got = positions_in_cell(dataclasses.replace(ctx, pings=_positions(times))).values
    want = pd.Series(pipeline.points_to_cells(SPOTS[:2, 0], SPOTS[:2, 1], RES)).value_counts()
    np.testing.assert_array_equal(got, want.reindex(cells, fill_value=0).to_numpy("float64"))


def test_a_plug_in_at_a_back_test_origin_keeps_the_untimed_routes(tmp_path):
    # at an origin the positions are cut as the seizures (before it); an untimed route's
    # (NaT) compared False and was dropped there, while the run's own value counts it: the
    # back-test scored another factor than the map's

    from conftest import config_from

    from pipeline.runner.stages._backtest import _factors_known_at

    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
        },
        tmp_path,
    )
    cells = np.unique(pipeline.points_to_cells(SPOTS[:, 0], SPOTS[:, 1], RES))
    origin = pd.Timestamp("2024-06-01", tz="UTC")
    seizures = pd.DataFrame(
        {S.TIME: [origin - pd.Timedelta(days=9)], S.LON: [SPOTS[0, 0]], S.LAT: [SPOTS[0, 1]]}
    )
    # an untimed route's position, one the day before the origin, one the day after it
    pings = _positions([None, "2024-05-31", "2024-06-02"])
    state = plugin_state(cfg, seizures, pings, cells)
    got = _factors_known_at(state, cells, origin, [positions_in_cell])
    want = pd.Series(pipeline.points_to_cells(SPOTS[:2, 0], SPOTS[:2, 1], RES)).value_counts()
    np.testing.assert_array_equal(
        got["positions_in_cell"].to_numpy(), want.reindex(cells, fill_value=0).to_numpy("float64")
    )


def test_a_series_with_a_label_twice_keeps_every_value():
    from pipeline.evaluate import json_safe

    s = pd.Series([1.0, 2.0, 3.0], index=["cocaine", "cocaine", "heroin"])
    # a dict by label kept 2.0 and 3.0 alone; the pairs keep the three, in order
    assert json_safe(s) == [["cocaine", 1.0], ["cocaine", 2.0], ["heroin", 3.0]]
    # labels one only as text (1 and "1") are one key of a dict as well
    assert json_safe(pd.Series([5, 6], index=[1, "1"])) == [["1", 5], ["1", 6]]
    assert json_safe(pd.Series([5, 6], index=["a", "b"])) == {"a": 5, "b": 6}


def test_a_frame_keeps_its_row_labels_and_every_column():
    import warnings

    from pipeline.evaluate import json_safe

    seizures = pd.DataFrame(
        {"commodity": ["heroin", "cocaine", "cocaine"], "n": [1, 2, 3], "kg": [0.5, 1.0, 2.0]}
    )
    by = seizures.groupby("commodity")[["n", "kg"]].sum()
    assert json_safe(by) == [
        {"commodity": "cocaine", "n": 5, "kg": 3.0},
        {"commodity": "heroin", "n": 1, "kg": 0.5},
    ]
    # a default index (0, 1, ...) is no label: the rows alone, as before
    assert json_safe(seizures.head(1)) == [{"commodity": "heroin", "n": 1, "kg": 0.5}]
    twice = pd.DataFrame([[1, 2]], columns=["x", "x"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas said "some columns will be omitted" only
        assert json_safe(twice) == [[["x", 1], ["x", 2]]]


def test_pandas_missing_value_is_null_not_its_text():
    from pipeline.evaluate import json_safe

    assert json_safe(pd.NA) is None
    assert json_safe(pd.Series([pd.NA, 2], dtype="Int64")) == {"0": None, "1": 2}
    assert json_safe(pd.array(["a", None], dtype="string").to_numpy()) == ["a", None]


def test_decile_bins_leave_out_an_infinite_prediction_as_the_reliability_does():
    # reliability() pools only finite predictions; decile_bins kept an infinite one (ranked
    # top, or bottom for -inf), so its bins were not the reliability's
    from pipeline.evaluate import reliability
    from pipeline.evaluate.calibration import decile_bins

    pred = np.array([np.inf, 1.0, 2.0, -np.inf, 3.0, 4.0])
    assert decile_bins(pred, n_bins=2).tolist() == [-1, 0, 0, -1, 1, 1]
    obs = np.array([9.0, 0.0, 1.0, 9.0, 1.0, 2.0])
    cells = reliability([pred], [obs], n_bins=2)["counts"]["cells"]
    assert cells == np.bincount(decile_bins(pred, n_bins=2)[np.isfinite(pred)]).tolist()


@pytest.mark.parametrize(
    ("value", "want"),
    [(np.float32(0.1), "0.1"), (np.int64(3), "3"), (np.float16(2.5), "2.5"), (np.int32(-7), "-7")],
    ids=["float32", "int64", "float16", "int32"],
)
def test_the_legend_writes_a_numpy_number_as_the_card_does(value, want):
    # Decimal() takes Python's float and int only: a numpy float32 or int64 break (a map
    # built with breaks np.arange(0, 101, 20)) ended the map in a TypeError
    from pipeline.render._legend import format_number

    assert format_number(value) == want == format_number(float(value))


def test_a_map_with_numpy_breaks_has_its_legend():
    from pipeline.render import build_map, map_to_html
    from pipeline.testing import sample_map_data

    data = sample_map_data(10, n_seizures=5, n_events=0, n_periods=0)
    data.class_breaks = np.asarray(data.class_breaks, dtype="float32")
    html = map_to_html(build_map(data, as_of="2024-06-30", run_id="r", inputs=["a.csv"]))
    assert "rr-legend" in html


def test_the_window_at_an_origin_holds_the_earlier_seizures_cells_outside_the_area(tmp_path):
    # the existing test adds a later seizure outside the area; a window of the area's cells
    # alone passed it, yet a run at the origin has the earlier seizures' cells outside the
    # area in its window (the cells stage puts them on the map)

    from conftest import config_from

    from pipeline.runner.stages._backtest import _factors_known_at

    seen = []

    @pipeline.factor(
        name="window_size",
        unit="cells",
        description="Cells of the window.",
        needs=("seizures",),
        register=False,
    )
    def window_size(ctx):
        seen.append(np.asarray(ctx.window_cells).copy())
        return np.full(len(ctx.cells), float(len(ctx.window_cells)))

    cfg = config_from(
        {
            "run": {"as_of": "2025-01-01", "out_dir": str(tmp_path / "out")},
            "area": {"bbox": [9, 39, 13, 43], "resolution": RES},
            "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
        },
        tmp_path,
    )
    area = np.unique(pipeline.points_to_cells(SPOTS[:2, 0], SPOTS[:2, 1], RES))
    origin = pd.Timestamp("2024-06-01", tz="UTC")
    seizures = pd.DataFrame(  # one in the area, one outside it before the origin, one after
        {
            S.TIME: [origin - pd.Timedelta(days=9)] * 2 + [origin + pd.Timedelta(days=1)],
            S.LON: [SPOTS[0, 0], 12.5, 12.9],
            S.LAT: [SPOTS[0, 1], 42.5, 42.9],
        }
    )
    held = pipeline.points_to_cells(seizures[S.LON], seizures[S.LAT], RES)
    assert not np.isin(held[1:], area).any()
    # the run's cells: every seizure's
    state = plugin_state(cfg, seizures, pd.DataFrame(), np.union1d(area, held), area_cells=area)
    _factors_known_at(state, area, origin, [window_size])
    np.testing.assert_array_equal(seen[-1], np.union1d(area, held[:2]))
