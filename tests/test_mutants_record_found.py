"""Gaps found by a hand mutation analysis of the run record, the plan, the background writer,
the stage state and the category labels (hHW).

Each test kills a mutant the suite let live in ``runner/record.py`` (the manifest's counts,
times, notes and input entries), ``runner/plan.py`` (which stages and factors run, with which
options), ``runner/background.py`` (the writer thread a failed run stops), ``runner/stages/
_state.py`` (the as-of day, the inputs' digests the caches are keyed by) or
``ingest/categories.py``.  Expected values come from hand arithmetic, hashlib and the
records read back with json, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline
from pipeline import schema as S
from pipeline.features import FeatureTable
from pipeline.runner import manifest as M
from pipeline.runner.cache import StageCache
from pipeline.runner.record import RunInfo, build_manifest
from pipeline.runner.stages import RunState
from pipeline.transit import NO_PORTS_NOTE
from tests.conftest import config_from

# ---------------------------------------------------------------------- the run record


def _config(tmp_path: Path, **sections):
    raw = {
        "run": {"as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0, 0, 1, 1], "resolution": 4},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "s.csv")}],
            "tracks": [{"path": str(tmp_path / "a.csv")}],
        },
    }
    return config_from(raw, tmp_path / "cfg", **sections)


def _transit(after_until: int, untimed: int, notes=(), events=None):
    """What the transit pass leaves in the features' shared results (the fields read)."""
    if events is None:
        events = pd.DataFrame({S.EVENT_TYPE: pd.Series([], dtype="object")})
    return types.SimpleNamespace(
        after_until=after_until, untimed=untimed, notes=list(notes), events=events
    )


def _finished_state(tmp_path: Path, *, n_pings: int = 10, transit=None, **fields) -> RunState:
    """A run state as the last stage leaves it: four cells, three observed, one seizure factor."""
    cfg = _config(tmp_path)
    state = RunState(
        cfg,
        pd.Timestamp("2026-06-30T23:59:59.999999", tz="UTC"),
        tmp_path / "out",
        tmp_path / "staging",
        StageCache(tmp_path / "cache"),
    )
    cells = np.arange(4, dtype="uint64") + np.uint64(0x841F91FFFFFFFFF)
    state.scores = pd.DataFrame(
        {
            S.CELL: cells,
            S.OBSERVED: [True, True, False, True],
            S.RISK_CLASS: ["high", "low", None, "high"],
        }
    )
    table = pd.DataFrame(
        {
            S.CELL: cells,
            S.SEIZURE_DENSITY: [1.0, 0.5, np.nan, 0.2],
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: [True, True, False, True],
        }
    )
    shared = {} if transit is None else {"transit": transit}
    state.features = FeatureTable(table, {}, shared)
    state.pings = pd.DataFrame({"i": np.arange(n_pings)})
    state.seizures = pd.DataFrame({"i": np.arange(7)})
    state.ingest_report = {
        "seizures": [{"path": "s1.csv", "rejected": 1}, {"path": "s2.csv", "rejected": 2}],
        "tracks": [{"path": "a1.csv", "rejected": 4}, {"path": "a2.csv", "rejected": 0}],
    }
    for k, v in fields.items():
        setattr(state, k, v)
    return state


def _run_info(**kw) -> RunInfo:
    base = {
        "run_id": "20260701T020000Z-abcdef",
        "key": "k" * 64,
        "started": dt.datetime(2026, 7, 1, 2, 0, 0, tzinfo=dt.UTC),
        "files": [],
        "freshness": {},
        "previous": "20260630T020000Z-fedcba",
        "command_line": ["route-risk", "run", "c.yaml"],
        "killed": [],
        "versions": {"numpy": np.__version__},
    }
    return RunInfo(**(base | kw))


def _manifest(state: RunState, run: RunInfo, tmp_path: Path) -> dict:
    """The manifest as the runner writes it and a reader reads it back (through json)."""
    (tmp_path / "map.html").write_text("<html></html>")
    stages = {
        "ingest": {"cached": False, "seconds": 1.25},
        "score": {"cached": True, "seconds": 0.5},
    }
    m = build_manifest(state, run, stages, {"map": tmp_path / "map.html"})
    return json.loads(M.write_json(tmp_path / "manifest.json", m).read_text())


def test_the_pings_used_are_those_neither_after_as_of_nor_untimed(tmp_path):
    """Of 20 positions the transit pass left out 3 after as_of and 5 without a time: 12 used
    (each subtracted once, and each counted under its own name)."""
    state = _finished_state(tmp_path, n_pings=20, transit=_transit(after_until=3, untimed=5))
    counts = _manifest(state, _run_info(), tmp_path)["counts"]
    assert counts["pings_used"] == 20 - 3 - 5
    assert counts["pings_after_as_of"] == 3
    assert counts["pings_untimed"] == 5


def test_the_counts_are_the_states_cells_classes_events_and_every_files_rejects(tmp_path):
    """Three of four cells observed; the unobserved cell has no class and is in no class's
    count; the rejects of every file of both sources are summed (1 + 2 and 4 + 0)."""
    events = pd.DataFrame({S.EVENT_TYPE: ["loiter", "encounter", "loiter", "gap"]})
    state = _finished_state(tmp_path, transit=_transit(0, 0, events=events))
    counts = _manifest(state, _run_info(), tmp_path)["counts"]
    assert counts["cells"] == 4
    assert counts["cells_observed"] == 3
    assert counts["risk_classes"] == {"high": 2, "low": 1}
    assert counts["events"] == {"encounter": 1, "gap": 1, "loiter": 2}
    assert counts["rejected"] == {"seizures": 3, "tracks": 4}
    assert counts["seizures_used"] == 7


@pytest.mark.parametrize(("cold", "word"), [(True, "not read (a cold run)"), (False, "read")])
def test_the_record_says_whether_the_cache_was_read(tmp_path, cold, word):
    state = _finished_state(tmp_path)
    assert _manifest(state, _run_info(cold=cold), tmp_path)["cache"] == word


def test_the_times_are_utc_the_day_is_as_of_s_and_each_stage_has_its_seconds(tmp_path):
    """``finished`` is an aware UTC time after ``started`` (not the host's local clock);
    ``as_of`` is the day whose end the state holds; a cached stage keeps its seconds."""
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    m = _manifest(_finished_state(tmp_path), _run_info(), tmp_path)
    finished = dt.datetime.fromisoformat(m["finished"])
    assert finished.utcoffset() == dt.timedelta(0)
    assert before <= finished <= dt.datetime.now(dt.UTC)
    assert m["started"] == "2026-07-01T02:00:00+00:00"
    assert m["as_of"] == "2026-06-30"
    assert m["timings_s"] == {"ingest": 1.25, "score": 0.5}
    assert m["previous_run"] == "20260630T020000Z-fedcba"
    assert m["run_id"] == "20260701T020000Z-abcdef"


def test_killed_runs_are_recorded_only_when_there_were_some(tmp_path):
    state = _finished_state(tmp_path)
    assert "cleaned_up" not in _manifest(state, _run_info(), tmp_path)
    killed = ["20260630T030000Z-111111"]
    m = _manifest(state, _run_info(killed=killed), tmp_path)
    assert m["cleaned_up"] == {"killed_runs": killed}


def test_the_notes_hold_the_runs_and_the_stages_and_the_no_ports_note_once(tmp_path):
    """A clock note of the run comes before the stages' notes; with positions and no ports
    layer the no-ports note is said once, by transit where it said it, else by the record;
    without positions it is not said."""
    run = _run_info(notes=["the clock went back 3 s"])
    state = _finished_state(tmp_path, transit=_transit(0, 0), notes=["a stage's note"])
    notes = _manifest(state, run, tmp_path)["notes"]
    assert notes == ["the clock went back 3 s", "a stage's note", NO_PORTS_NOTE]

    said = _finished_state(tmp_path, transit=_transit(0, 0, notes=[NO_PORTS_NOTE]))
    m = _manifest(said, _run_info(), tmp_path)
    assert m["features"]["transit_notes"] == [NO_PORTS_NOTE]
    assert NO_PORTS_NOTE not in m.get("notes", [])

    quiet = _finished_state(tmp_path, n_pings=0)
    assert "notes" not in _manifest(quiet, _run_info(), tmp_path)


def test_patterns_versions_and_the_as_of_word_are_recorded_as_the_run_knew_them(tmp_path):
    """The input patterns and the files each matched, only where there were patterns; the
    libraries' versions the run read at its start (read now where it read none); the word
    that named as_of, only where a word did."""
    from pipeline.runner.manifest import versions

    state = _finished_state(tmp_path)
    patterns = [{"input": "tracks", "pattern": "/feed/ais-*.csv", "files": ["/feed/ais-1.csv"]}]
    m = _manifest(state, _run_info(patterns=patterns, as_of_rule="yesterday"), tmp_path)
    assert m["input_patterns"] == patterns
    assert m["as_of_rule"] == "yesterday (UTC, at the run's start)"
    assert m["versions"] == {"numpy": np.__version__}
    plain = _manifest(state, _run_info(versions=None), tmp_path)
    assert "input_patterns" not in plain and "as_of_rule" not in plain
    assert plain["versions"] == versions() and plain["versions"]["numpy"] == np.__version__


def test_a_rasters_entry_has_its_sha256_crs_and_shape(tmp_path):
    """The sha256 the run took at its start where it took one (the run key holds it), the
    file's own otherwise (hashlib); the CRS and shape of the array read."""
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    tif = tmp_path / "r.tif"
    tif.write_bytes(b"not really a tiff, only hashed")
    data = xr.DataArray(np.zeros((2, 3)), dims=("y", "x")).rio.write_crs("EPSG:4326")
    raster = {"path": str(tif), "name": "r", "data": data, "coverage": 1.0, "assumptions": {}}
    state = _finished_state(tmp_path, rasters=[raster])
    entry = _manifest(state, _run_info(), tmp_path)["inputs"]["rasters"][0]
    assert entry["sha256"] == hashlib.sha256(tif.read_bytes()).hexdigest()
    assert entry["crs"] == "EPSG:4326"
    assert entry["shape"] == [2, 3]
    taken = _run_info(files=[{"path": str(tif), "sha256": "a" * 64}])
    assert _manifest(state, taken, tmp_path)["inputs"]["rasters"][0]["sha256"] == "a" * 64


# ---------------------------------------------------------------------- the background writer


def test_a_cancel_tells_the_job_to_stop_and_returns_once_it_has_finished(tmp_path):
    """The job waits for the stop (at most 5 s), then writes one more piece: cancel() sets
    the stop at once and returns only after the piece is written."""
    from pipeline.runner.background import Background

    started = threading.Event()

    def job(stop):
        started.set()
        told = stop.wait(5)
        time.sleep(0.2)  # a row group still being written
        (tmp_path / "piece").write_text(str(told))
        return told

    bg = Background()
    bg.submit("pings", job)
    assert started.wait(5)
    t0 = time.perf_counter()
    bg.cancel()
    assert (tmp_path / "piece").read_text() == "True"
    assert time.perf_counter() - t0 < 4


def test_a_job_queued_behind_a_cancelled_one_never_starts(tmp_path):
    """One writer thread: a second job waits in the queue; a cancel drops it, so nothing is
    written into the staging folder the failed run removes."""
    from pipeline.runner.background import Background

    started = threading.Event()
    bg = Background()
    bg.submit("first", lambda stop: started.set() or stop.wait(5))
    assert started.wait(5)
    second = bg.submit("second", lambda stop: (tmp_path / "second").write_text("x"))
    bg.cancel()
    assert second.cancelled() and not (tmp_path / "second").exists()


def test_check_raises_any_failed_jobs_error_without_waiting_for_a_running_one():
    from pipeline.runner.background import Background

    release = threading.Event()
    bg = Background()
    bg.submit("ok", lambda stop: 1)

    def full_disk(stop):
        raise OSError(28, "No space left on device")

    failed = bg.submit("failed", full_disk)
    while not failed.done():
        time.sleep(0.01)
    with pytest.raises(OSError, match="No space left"):
        bg.check()
    bg.take("failed")
    bg.submit("running", lambda stop: release.wait(5))
    t0 = time.perf_counter()
    bg.check()  # a job still writing is no error, and check() does not wait for it
    assert time.perf_counter() - t0 < 1
    release.set()
    bg.close()
    assert bg.take("ok") is None and bg.take("running") is None  # forgotten on close
    bg.submit("again", lambda stop: 2)  # a closed writer starts a new thread when used
    assert bg.take("again").result() == 2
    bg.close()


# ---------------------------------------------------------------------- the stage state


def _state(tmp_path: Path, cfg=None, code: str = "code-1") -> RunState:
    cfg = cfg if cfg is not None else _config(tmp_path)
    return RunState(
        cfg, None, tmp_path / "out", tmp_path / "staging", StageCache(tmp_path / "cache"), code=code
    )


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (20260331.0, "got the number 20260331.0"),  # not nanoseconds since 1970
        ("NaT", "got 'NaT'"),  # pandas' missing time is no day
        (True, "got True"),
    ],
    ids=["float", "nat", "bool"],
)
def test_an_as_of_that_is_no_date_is_refused_saying_what_it_is(value, said):
    from pipeline.errors import InputError
    from pipeline.runner.stages import resolve_as_of

    with pytest.raises(InputError, match="as_of must be a date like 2026-06-30") as err:
        resolve_as_of(value)
    assert str(err.value).endswith(said)


def test_a_file_changed_since_the_run_started_is_hashed_again(tmp_path):
    """The hash taken at the start serves only while the file is as it was then: one whose
    size or modification time moved gets its own bytes' sha256 (hashlib), never a stale one."""
    from pipeline.runner.inputs import input_identities

    f = tmp_path / "s.csv"
    f.write_text("date,lat,lon\n")
    state = _state(tmp_path)
    state.input_hashes = {str(f): "0" * 64}
    state.input_identities = input_identities([str(f)])
    assert state.file_sha(f) == "0" * 64  # as it was: the start's hash, not read again
    f.write_text("date,lat,lon\n2024-01-01,1,2\n")
    assert state.file_sha(f) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_a_stage_cached_by_another_code_is_built_again(tmp_path):
    built: list[str] = []
    for code in ("code-1", "code-1", "code-2"):
        state = _state(tmp_path, code=code)
        value, hit = state.cached(
            "cells", ["same parts"], lambda c=code: built.append(c) or pd.DataFrame({"code": [c]})
        )
        assert value["code"].tolist() == built[-1:]
    assert built == ["code-1", "code-2"]  # the second night of code-1 read its entry


def test_the_area_polygons_companions_are_part_of_its_digest(tmp_path):
    """A Shapefile's .prj or .dbf edited in place changes the cells: the digest changes."""
    from pipeline.runner.stages._state import polygon_sha

    shp = tmp_path / "aoi.shp"
    shp.write_bytes(b"shape")
    cfg = _config(tmp_path, area={"bbox": None, "polygon": str(shp)})
    seen = {polygon_sha(_state(tmp_path, cfg))}
    (tmp_path / "aoi.prj").write_text('GEOGCS["WGS 84"]')
    seen.add(polygon_sha(_state(tmp_path, cfg)))
    (tmp_path / "aoi.prj").write_text('PROJCS["UTM 30N"]')
    seen.add(polygon_sha(_state(tmp_path, cfg)))
    (tmp_path / "aoi.dbf").write_bytes(b"\x03attributes")
    seen.add(polygon_sha(_state(tmp_path, cfg)))
    assert len(seen) == 4
    assert polygon_sha(_state(tmp_path, _config(tmp_path))) is None  # no polygon


def test_each_thing_a_rasters_values_depend_on_changes_its_digest(tmp_path):
    """The raster's bytes, its options, its mask's bytes, the step read and the files GDAL
    reads beside either: each one changed alone gives a new digest; the seizures' and
    tracks' digests are kept beside it."""
    from pipeline.ingest.options import RasterSource
    from pipeline.runner.stages._state import input_digests

    tif, mask = tmp_path / "r.tif", tmp_path / "m.tif"
    tif.write_bytes(b"raster")
    mask.write_bytes(b"mask")
    state = _state(tmp_path)
    state.digests = {"seizures": "s" * 64, "tracks": "t" * 64}

    def digests(source=None, selection=None):
        source = source or RasterSource(path=tif, name="r", mask={"path": mask})
        state.rasters = [
            {
                "name": "r",
                "path": str(tif),
                "source": source,
                "assumptions": {"selection": selection},
            }
        ]
        return input_digests(state)

    first = digests()
    assert first["seizures"] == "s" * 64 and first["tracks"] == "t" * 64
    assert set(first) == {"seizures", "tracks", "raster:r"}
    seen = {first["raster:r"]}
    seen.add(digests(RasterSource(path=tif, name="r", mask={"path": mask}, nodata=0))["raster:r"])
    seen.add(digests(selection={"time": "2026-06-01"})["raster:r"])
    mask.write_bytes(b"MASK")
    seen.add(digests()["raster:r"])
    (tmp_path / "m.tif.aux.xml").write_text("<PAMDataset/>")
    seen.add(digests()["raster:r"])
    (tmp_path / "r.tif.aux.xml").write_text("<PAMDataset/>")
    seen.add(digests()["raster:r"])
    tif.write_bytes(b"RASTER")
    seen.add(digests()["raster:r"])
    assert len(seen) == 7


# ---------------------------------------------------------------------- category labels


def test_blank_labels_stay_blank_and_are_no_gathered_category():
    """A blank and a spaces-only label are both missing (""), never a category that
    "gathered several spellings"; the spellings a category gathers are listed sorted."""
    from pipeline.ingest.categories import normalise_categories

    labels, report = normalise_categories(pd.Series(["", "   ", "b X", "B  x", "Y"]))
    assert labels.tolist() == ["", "", "b x", "b x", "y"]
    assert report["merged"] == {"b x": ["B  x", "b X"]}  # sorted: "B" < "b"
    assert report["synonyms_applied"] == {}


def test_positions_transit_dropped_as_jumps_are_not_counted_as_used(tmp_path):
    """Two track files of one vessel, each plausible alone, make a jump together: 10 degrees
    away for ten minutes (about 3,600 kn) between two pings 1 km apart.  Transit drops the
    jump (its note says 1); the record said 4 of the 4 positions were used.  A position
    repeated at the time of another of its vessel is counted once, as its note says."""
    from pipeline.transit import transit_features

    t0 = pd.Timestamp("2026-06-01", tz="UTC")
    pings = pd.DataFrame(
        {
            S.VESSEL_ID: ["a"] * 5,
            S.TIME: [t0 + pd.Timedelta(minutes=m) for m in (0, 10, 20, 30, 30)],
            S.LON: [5.0, 15.0, 5.01, 5.02, 5.02],
            S.LAT: [43.0] * 5,
            S.SOG: [2.0, np.nan, 2.0, 2.0, 2.0],
        }
    )
    res = transit_features(pings, 6, max_speed_kn=60.0)
    assert any("1 ping(s) dropped as position jumps" in n for n in res.notes)
    assert any(n.startswith("1 ping(s) at the same time") for n in res.notes)
    state = _finished_state(tmp_path, n_pings=5, transit=res)
    counts = _manifest(state, _run_info(), tmp_path)["counts"]
    assert counts["pings_used"] == 5 - 1 - 1
    assert counts["pings_dropped_as_jumps"] == 1
    assert counts["pings_repeated"] == 1


# ---------------------------------------------------------------------- the plan


@pipeline.factor(
    name="hhw_options_only",
    unit="seizures",
    description="A plug-in the config gives options and no weight.",
    needs=("seizures",),
    register=False,
)
def hhw_options_only(ctx):
    return np.zeros(len(ctx.cells))


def _planned(tmp_path: Path, **sections) -> list[str]:
    from pipeline.runner.plan import planned_stages

    return planned_stages(_config(tmp_path, **sections))


def test_the_seizure_stages_are_planned_only_with_seizures_and_as_configured(tmp_path):
    """The density choice, the timeline, hot spots, their uncertainty and the back-test are
    about seizures: without seizures none runs, whatever the config; with them each runs as
    its section says (a timeline of 0 months is none; uncertainty belongs to hot spots)."""
    everything = {
        "density": {"bandwidth_km": "auto"},
        "timeline": {"months": 3},
        "hotspots": {"enabled": True, "uncertainty": {"enabled": True}},
        "evaluate": {"enabled": True},
    }
    seizure_stages = ["density-parameters", "timeline", "hotspots", "uncertainty", "back-test"]
    stages = _planned(tmp_path, **everything)
    assert [s for s in stages if s in seizure_stages] == seizure_stages
    assert stages[:3] == ["ingest", "cells", "density-parameters"]
    assert stages[-2:] == ["render", "export"]
    tracks_only = {
        "inputs": {"seizures": []},
        "score": {"factors": {"vessel_hours": {"weight": 1}}},
    }
    none = _planned(tmp_path, **tracks_only, **everything)
    assert not set(seizure_stages) & set(none)
    assert none[:2] == ["ingest", "cells"] and none[-3:] == ["score", "render", "export"]
    assert "timeline" not in _planned(tmp_path, **{**everything, "timeline": {"months": 0}})
    assert "timeline" in _planned(tmp_path, **{**everything, "timeline": {"months": 1}})
    off = _planned(tmp_path, hotspots={"enabled": False, "uncertainty": {"enabled": True}})
    assert "hotspots" not in off and "uncertainty" not in off
    only = _planned(tmp_path, hotspots={"enabled": True, "uncertainty": {"enabled": False}})
    assert "hotspots" in only and "uncertainty" not in only


def test_a_plug_in_given_options_and_no_weight_is_computed_with_them(tmp_path):
    from pipeline.runner.plan import factors_to_compute

    ref = "test_mutants_record_found:hhw_options_only"
    named = _config(tmp_path, factors={"plugins": [ref], "options": {"hhw_options_only": {}}})
    assert "hhw_options_only" in [f.name for f in factors_to_compute(named)]
    loaded = _config(tmp_path, factors={"plugins": [ref]})
    assert "hhw_options_only" not in [f.name for f in factors_to_compute(loaded)]


def test_transit_and_zonal_factors_get_the_settings_other_sections_hold(tmp_path):
    """Transit smooths its events with the density's kernel; zonal statistics read within
    the ingest's memory budget (plan is the one place that hands them over)."""
    from pipeline.runner.plan import factor_options, factors_to_compute

    cfg = _config(
        tmp_path,
        inputs={"rasters": [{"path": str(tmp_path / "r.tif"), "name": "nl"}]},
        density={"kernel": "gaussian"},
        ingest={"memory_budget_mb": 321, "max_speed_kn": 33.0},
    )
    by_section = {f.section: f for f in factors_to_compute(cfg) if f.section}
    transit = factor_options(cfg, by_section["transit"])
    assert (transit.smooth_kernel, transit.max_speed_kn) == ("gaussian", 33.0)
    assert factor_options(cfg, by_section["zonal"]).memory_budget_mb == 321
