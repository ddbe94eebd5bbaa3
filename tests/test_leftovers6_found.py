"""Leftovers two colleagues found: each test here failed before the fix it names.

* The fitted model's note on a factor missing only at the forecast said its cells take the
  "training mean"; the fill is the mean of the covered values of the training origins and
  the forecast origin (none after it: no back-test leak, the note was wrong).
* Text lines for the terminal escaped C0/C1 controls and bidi overrides but not the
  directional marks, zero-width characters and other format characters (category Cf).
* The encounter-overlap gate counted two ids of one ship as two overlapping tracks.
* ``time_step_window: 0`` read "the bins after the first 0".
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _ships import marinecadastre_csv, read_quietly, transit_three_ways
from _stats import FACTORS_ONLY

from pipeline import grid
from pipeline.cli import main
from pipeline.hotspots import SpaceTimeCube, emerging_hotspots, emerging_skipped, emerging_summary
from pipeline.ingest.summary import format_summary
from pipeline.model import FittedModel, FittedOptions
from pipeline.model.features import build_lagged_features
from pipeline.transit import transit_features

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


def _disk(radius: int, res: int = 5) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), radius))


def _events(rng, cells, eta, days: float = 730.0) -> pd.DataFrame:
    """Poisson events at the cell centres, ``exp(-3.5 + eta)`` a day, over ``days``."""
    k = rng.poisson(np.exp(-3.5 + eta) * days)
    lat, lon = grid.cells_to_latlng(np.repeat(cells, k))
    when = ORIGIN - pd.to_timedelta(rng.random(k.sum()) * days, unit="D")
    return pd.DataFrame({"time": when, "lon": lon, "lat": lat})


# --- 1. the fitted model's fill of a factor's gaps ------------------------------------------


def _gap_today(cells, x, later=None):
    """A per-date factor: ``x`` at every cell, 40 cells missing from the origin on.

    With ``later``, the dates after the origin take ``later`` (what the test window holds).
    """
    gap = np.arange(cells.size) < 40

    def factors_at(day):
        if later is not None and day > ORIGIN:
            return pd.DataFrame({"cell": cells, "x": later})
        return pd.DataFrame({"cell": cells, "x": np.where(gap & (day >= ORIGIN), np.nan, x)})

    return gap, factors_at


def test_a_gap_at_the_forecast_is_filled_as_the_note_says_from_no_later_value():
    """The note said "their forecast takes its training mean"; the fill is the mean over the
    covered values of the training origins and of the forecast origin (a forecast whose
    covered cells are high has a higher fill than the training rows' mean).  No value after
    the origin enters it: a factor extreme in the test window leaves the fill as it is."""
    cells = _disk(6)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(cells.size)
    events = _events(rng, cells, 0.8 * x)
    opts = FittedOptions(**FACTORS_ONLY, factor_transforms={"x": "linear"})
    gap, factors_at = _gap_today(cells, x)

    f = build_lagged_features(events, cells, ORIGIN, opts, factors_at)
    col = f.names.index("x")
    n_train = len(f.training_origins_days)
    assert n_train >= 2
    fill = f.x_pred[gap, col]
    assert np.all(fill == fill[0])
    pooled = (n_train * x.sum() + x[~gap].sum()) / (n_train * x.size + (~gap).sum())
    assert fill[0] == pytest.approx(pooled, rel=1e-12)
    assert abs(fill[0] - x.mean()) > 1e-6  # not the training rows' mean
    # a value after the origin (the back-test's test window) never reaches the fill
    _, leaky = _gap_today(cells, x, later=np.full(cells.size, 1e6))
    again = build_lagged_features(events, cells, ORIGIN, opts, leaky)
    np.testing.assert_array_equal(again.x_pred, f.x_pred)
    np.testing.assert_array_equal(again.x_train, f.x_train)

    model = FittedModel(opts).fit(events, cells, ORIGIN, factors=factors_at)
    why = {d["name"]: d["reason"] for d in model.report()["dropped"]}
    assert "training mean" not in why["x__missing"], why
    assert "training origins and at the forecast origin, none later" in why["x__missing"]


# --- 2. format characters in terminal lines -------------------------------------------------

#: LRM, RLM, ALM, ZWSP, ZWNJ, ZWJ, word joiner, BOM, an isolate, an override, LS, PS, a tag
HIDDEN = "\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff\u2067\u202e\u2028\u2029\U000e0041"


def _escaped(text: str) -> bool:
    return not any(c in text for c in HIDDEN) and all(
        c.encode("unicode_escape").decode() in text for c in HIDDEN
    )


def test_history_and_summaries_escape_format_characters_and_keep_names_readable(tmp_path, capsys):
    """A failed run's error naming ``rapport\\u202efdp.exe`` (or a zero-width space in a
    file name) went to the terminal as it was: the line read reversed, the name looked like
    another.  Every format character (Cf) and U+2028/9 is now escaped; é and 中文 are kept,
    and ``--json`` stays JSON whose strings are the names as they are."""
    error = f"cannot read 'données/中文{HIDDEN}.csv'"
    run = tmp_path / "out" / "runs" / "20000102T000000Z-abcdef"
    run.mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"status": "failed", "error": error}))
    assert main(["history", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert len(text.splitlines()) == 1
    assert "données/中文" in text and _escaped(text), ascii(text)
    assert main(["history", "--json", str(tmp_path / "out")]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["error"] == error
    # the one-file summary of `route-risk ingest` takes the same escaping
    summary = format_summary({"source": f"é{HIDDEN}.tif", "kind": "raster", "valid_fraction": 1})
    assert "é" in summary and _escaped(summary.splitlines()[0]), ascii(summary)


# --- 3. two ids of one ship and the encounter-overlap gate ----------------------------------

#: One ship's two MMSIs (class A and class B) and a real other ship.
SHIP_A, SHIP_B, OTHER = 538001234, 538009876, 235000001
IDENT = {
    SHIP_A: ("IMO9074729", "NORDIC STAR", "V7AB2", "A"),
    SHIP_B: ("", "Nordic Star", "v7ab2", "B"),
    OTHER: ("IMO9176187", "OTHER", "GABC", "A"),
}


def _track(mmsi, minutes, lane_m=0.0, lon0=-60.0):
    """Pings of ``mmsi`` at ``minutes`` after T0 at 0.5 kn east from (lon0, 10)."""
    minutes = np.asarray(minutes, dtype="float64")
    lon = lon0 + minutes / 60.0 * 0.5 * 1852.0 / (111_195.0 * np.cos(np.radians(10.0)))
    lat = np.full(minutes.size, 10.0 + lane_m / 111_195.0)
    return [
        (mmsi, m, la, lo, 0.5, IDENT[mmsi]) for m, la, lo in zip(minutes, lat, lon, strict=True)
    ]


def test_one_ship_under_two_ids_is_not_an_overlap_of_two_tracks(tmp_path):
    """One ship's class A and class B report side by side for 3 h; the only other ship
    reports for 3 h after them.  The gate took the ship's two ids as two tracks overlapping
    3 h and called encounters observable (0 observed), though no two ships were ever
    followed at once: the overlap is now 0 h and the note says encounters could not be
    seen.  Read whole, streamed and with the two ids in two partitions."""
    every10 = np.arange(0, 181, 10)
    path = marinecadastre_csv(
        tmp_path / "AIS_2024_03_01.csv",
        _track(SHIP_A, every10, 0.0)
        + _track(SHIP_B, every10, 20.0)
        + _track(OTHER, every10 + 240, 0.0, lon0=-59.0),
    )
    tr = transit_three_ways(tmp_path, path, (SHIP_A, SHIP_B), encounter_hours=2.0)
    assert tr.longest_track_hours == 3.0
    assert tr.longest_overlap_hours == 0.0
    assert any("overlap in time long enough to show encounter" in n for n in tr.notes)

    # a ship that hands over from one id to the other is followed from its first ping
    # under either id to its last, as one id's track is: the other ship beside it for 2.5 h
    # across the hand-over overlaps it 2.5 h (each id alone: 1.5 h and 1 h)
    handover = marinecadastre_csv(
        tmp_path / "handover.csv",
        _track(SHIP_A, every10[every10 <= 120], 0.0)
        + _track(SHIP_B, every10[every10 >= 60] + 60, 20.0)
        + _track(OTHER, every10[every10 <= 150] + 30, 0.0, lon0=-59.0),
    )
    read = read_quietly(handover)
    res = transit_features(read.frame, 7, vessel_identity=read.identity, encounter_hours=2.0)
    assert res.longest_overlap_hours == 2.5
    assert not any("overlap in time long enough" in n for n in res.notes)


# --- 4. time_step_window 0 in words ----------------------------------------------------------


def test_a_time_step_window_of_0_is_worded_as_all_bins():
    """Before: "the trend is read from the 3 bins after the first 0 (time_step_window)" and
    "a shorter time_step_window gives the test power" (there is none shorter)."""
    cells = _disk(2, res=6)
    rng = np.random.default_rng(1)
    labels = ["2024-01", "2024-02", "2024-03"]
    cube = SpaceTimeCube(cells, labels, rng.poisson(3.0, (cells.size, 3)).astype(float))
    options = {"emerging": {"time_step_window": 0, "min_periods": 2}}
    said = emerging_summary(emerging_hotspots(cube, options), options)["trend_unreachable"]
    assert said["bins"] == 3
    assert "first 0" not in said["reason"] and "shorter time_step_window" not in said["reason"]
    assert "read from all 3 bins (time_step_window 0" in said["reason"], said["reason"]

    one = SpaceTimeCube(cells, labels[:1], rng.poisson(3.0, (cells.size, 1)).astype(float))
    skipped = emerging_skipped(one, options)["skipped"]
    assert "first 0" not in skipped and "a trend needs 2 bins" in skipped, skipped
    # a window of 1 or more still names the bins left out
    options = {"emerging": {"time_step_window": 1, "min_periods": 2}}
    said = emerging_summary(emerging_hotspots(cube, options), options)["trend_unreachable"]
    assert "the 2 bins after the first bin (time_step_window)" in said["reason"], said
