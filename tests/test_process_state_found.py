"""State kept in one process (a researcher's notebook kernel, a Dask worker) gives the values
a fresh process gives: a second call that differs from the first (other cells of the same
length, another thread's universe, a redefined factor, a changed global) is never answered
from what the first call left behind."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from conftest import QUICK, small_config

from pipeline.evaluate.baselines import cell_areas
from pipeline.factors import Factor
from pipeline.grid import cell_area_km2, points_to_cells


def _universe(lon0: float, lat0: float, n: int = 300, res: int = 5) -> np.ndarray:
    rng = np.random.default_rng(int(lon0 * 1000 + lat0))
    cells = np.unique(
        points_to_cells(rng.uniform(lon0, lon0 + 4, 4 * n), rng.uniform(lat0, lat0 + 4, 4 * n), res)
    )
    return cells[:n]


def test_cell_areas_is_read_once_when_another_thread_replaces_the_universe(monkeypatch):
    """A back-test in one thread and another universe's in a second (a Dask worker's threads,
    a notebook's thread pool): the second replaced the remembered universe while the first
    compared its cells, and the first got the second's areas (same length: unnoticed, every
    per-km² rate and PAI of that origin wrong).  The interleaving is replayed here: the
    comparison itself lets the other universe in, as a thread switch inside it did (3-7 of
    6,000 calls of two threads were wrong before the fix)."""
    mine, other = _universe(0.0, 0.0), _universe(60.0, 50.0)
    assert mine.size == other.size
    cell_areas(mine)  # remembered
    original = np.array_equal
    switched = []

    def equal_then_switch(a, b, *args, **kwargs):
        out = original(a, b, *args, **kwargs)
        if not switched:
            switched.append(True)
            cell_areas(other)  # the other thread, between the comparison and the read
        return out

    monkeypatch.setattr(np, "array_equal", equal_then_switch)
    got = cell_areas(mine)
    monkeypatch.undo()
    assert switched
    np.testing.assert_array_equal(got, cell_area_km2(mine))


def test_cell_areas_returned_cannot_be_changed_by_the_caller():
    """The remembered areas are the array returned: a caller's in-place change (km² to m²)
    must not reach the next call on the same cells."""
    cells = _universe(10.0, 10.0)
    first = cell_areas(cells)
    assert not first.flags.writeable
    np.testing.assert_array_equal(cell_areas(cells), cell_area_km2(cells))


def _cell(module: types.ModuleType, source: str) -> None:
    """Run ``source`` in ``module`` as a notebook cell or a ``python`` prompt runs it: the
    module has no file, and the source is not kept (a prompt keeps none)."""
    exec(compile(source, "<stdin>", "exec"), module.__dict__)


def _notebook(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__["np"] = np
    return module


def test_a_factor_redefined_at_a_prompt_gets_another_digest():
    """Without a file or a kept source the digest was ``module:name``: every function of
    that name had one digest, and the run's cache served the first one's values for all."""
    nb = _notebook("prompt_like")
    _cell(nb, "def f(ctx):\n    return ctx.cells * 1.0\n")
    one = Factor("nb", "u", "d", nb.f).code_digest()
    _cell(nb, "def f(ctx):\n    return ctx.cells * 2.0\n")
    edited = Factor("nb", "u", "d", nb.f).code_digest()
    _cell(nb, "def f(ctx):\n    return ctx.cells * 1.0  # again\n")
    again = Factor("nb", "u", "d", nb.f).code_digest()
    assert one == again != edited


def test_a_notebook_factor_digest_follows_its_globals_and_helpers():
    """A notebook factor reads a constant and a helper of other cells: changing either (and
    running again, the factor's cell untouched) changes what it computes, so its digest."""
    nb = _notebook("notebook_like_globals")
    _cell(nb, "SCALE_KM = 50.0\ndef halve(km):\n    return km / 2\n")
    _cell(nb, "def f(ctx):\n    return halve(np.asarray(ctx.cells, float)) / SCALE_KM\n")
    made = Factor("nb", "u", "d", nb.f)
    first = made.code_digest()
    assert made.code_digest() == first  # nothing changed: the cache is used
    _cell(nb, "SCALE_KM = 100.0\n")
    scaled = made.code_digest()
    _cell(nb, "def halve(km):\n    return km / 3\n")
    helped = made.code_digest()
    _cell(nb, "SCALE_KM = 50.0\ndef halve(km):\n    return km / 2\n")
    assert len({first, scaled, helped}) == 3
    assert made.code_digest() == first  # back as it was: the cache of then is right again
    # a global that only shares a name with an attribute it reads (ctx.cells) is not read
    _cell(nb, "cells = np.arange(5)\n")
    assert made.code_digest() == first


@pytest.fixture
def notebook_plugin():
    """A notebook's module (no file) that a config names as ``notebook_run:scaled_lat``."""
    from pipeline.factors import default_registry

    nb = _notebook("notebook_run")
    sys.modules[nb.__name__] = nb
    yield nb
    sys.modules.pop(nb.__name__, None)
    if default_registry._factors.pop("scaled_lat", None) is not None:
        default_registry._entries.remove("scaled_lat")


def test_a_notebook_factor_whose_constant_changed_is_computed_again(
    small_demo, tmp_path, notebook_plugin
):
    """The notebook's flow: define a factor reading a constant, run, change the constant in
    another cell, run again into the same folder.  The second run said "up to date" and
    published the first constant's values (the digest held compute's source alone)."""
    import pipeline

    _cell(
        notebook_plugin,
        "import pipeline\n"
        "SCALE = 1.0\n"
        "@pipeline.factor(name='scaled_lat', unit='deg', description='Scaled latitude.',"
        " register=False)\n"
        "def scaled_lat(ctx):\n"
        "    return np.abs(ctx.cell_centres()[1]) * SCALE\n",
    )
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["notebook_run:scaled_lat"]},
        inputs={"rasters": []},
        score={"factors": {"seizure_density": {"weight": 1}, "scaled_lat": {"weight": 1}}},
        **QUICK,
    )
    first = pipeline.run_pipeline(cfg)
    _cell(notebook_plugin, "SCALE = 3.0\n")
    second = pipeline.run_pipeline(cfg)
    assert not second.up_to_date
    np.testing.assert_allclose(second.scores["scaled_lat"], 3 * first.scores["scaled_lat"])


def test_a_plugin_cell_run_again_with_other_code_replaces_its_factor():
    """``factors.plugins: ["nb:ff"]`` and a cell defining ``ff`` with ``register=False``: run
    the cell again with other code and run again - the config's reference named the new
    factor, and the registry refused it ("a factor named 'ff' is already registered") until
    the kernel was restarted.  Another reference's factor of that name is still refused."""
    from pipeline.errors import ConfigError
    from pipeline.factors import FactorRegistry

    nb = _notebook("notebook_reregistered")
    other = _notebook("notebook_other")
    cell = (
        "import pipeline\n"
        "@pipeline.factor(name='ff', unit='u', description='d', register=False)\n"
        "def ff(ctx):\n"
        "    return np.full(len(ctx.cells), {value})\n"
    )
    reg = FactorRegistry()
    sys.modules[nb.__name__], sys.modules[other.__name__] = nb, other
    try:
        _cell(nb, cell.format(value=1.0))
        reg.load_reference(f"{nb.__name__}:ff")
        _cell(nb, cell.format(value=2.0))
        reg.load_reference(f"{nb.__name__}:ff")
        assert reg._factors["ff"] is nb.ff
        _cell(other, cell.format(value=3.0))
        with pytest.raises(ConfigError, match="already registered"):
            reg.load_reference(f"{other.__name__}:ff")
        assert reg._factors["ff"] is nb.ff
    finally:
        sys.modules.pop(nb.__name__, None)
        sys.modules.pop(other.__name__, None)


def _seizures_csv(path, year: int):
    rows = "".join(f"{year}-0{m}-1{m},{10 + m}.5,{100 + m}.25,cocaine,{m}\n" for m in range(1, 6))
    path.write_text("date,lat,lon,commodity,quantity_kg\n" + rows)
    return path


def test_repeats_across_files_follow_a_frame_changed_in_place(tmp_path):
    """A notebook reads two exports, checks the second against the first, finds the first's
    dates a year off and puts them right in place (``a.frame["time"] = ...``), and checks
    again: the span of the first frame was remembered by the frame's identity, so its
    records were still taken to lie a year before the second's and the five repeats were
    kept - counted twice (a fresh process rejects all five)."""
    import pandas as pd

    from pipeline.ingest import read_seizures, reject_repeated_records

    a = read_seizures(_seizures_csv(tmp_path / "a.csv", 2024))
    b = read_seizures(_seizures_csv(tmp_path / "b.csv", 2025))
    assert len(reject_repeated_records(b, [a.frame]).rejects) == 0  # a year apart: none
    a.frame["time"] = a.frame["time"] + pd.DateOffset(years=1)
    again = reject_repeated_records(b, [a.frame])
    assert again.rejects["rule"].tolist() == ["duplicate_across_files"] * 5
    # the runner's ingest, whose frames nobody changes, still takes each span once
    from pipeline.ingest._common import span_memo, time_span

    with span_memo():
        assert time_span(a.frame, "time") is time_span(a.frame, "time")


class _SwitchingList(list):
    """The one-entry memo of a module, as two threads see it: after the first read of its
    entry, the other thread stores its own (the interleaving replayed, not hoped for)."""

    def __init__(self, entry, other) -> None:
        super().__init__([entry])
        self.other = other
        self.reads = 0

    def __getitem__(self, i):
        got = super().__getitem__(i)
        self.reads += 1
        if self.reads == 1:
            super().__setitem__(0, self.other)
        return got


def test_density_centres_are_read_once_when_another_thread_replaces_them(monkeypatch):
    """kernel_density remembered the last cells' centres and read the entry three times
    (key, latitudes, longitudes): a thread switch between them paired one universe's
    latitudes with another's longitudes (1-2 of 6,000 calls of two threads), and the
    densities were taken at points that are no cell's centre."""
    import hashlib

    import pipeline.density._kde as kde
    from pipeline.density import kernel_density
    from pipeline.grid import cells_to_latlng

    mine, other = _universe(0.0, 0.0), _universe(60.0, 50.0)

    def entry(cells):
        lat, lon = cells_to_latlng(cells)
        key = hashlib.blake2b(np.ascontiguousarray(cells).tobytes(), digest_size=16).digest()
        return (key, lat, lon)

    points = (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    want = kernel_density(points, mine, bandwidth_km=300.0, kernel="quartic")
    monkeypatch.setattr(kde, "_LAST_CENTRES", _SwitchingList(entry(mine), entry(other)))
    got = kernel_density(points, mine, bandwidth_km=300.0, kernel="quartic")
    np.testing.assert_array_equal(got, want)


def test_the_code_version_follows_a_reloaded_module(monkeypatch, tmp_path):
    """A notebook with ``%autoreload`` (or ``importlib.reload``) runs a reader it just fixed,
    but the package's source was hashed once a process: the run key and every cache key
    kept the old code's hash, and the next run was "up to date", publishing the tables the
    old reader made.  A file edited but not reloaded is not the code the process runs."""
    import copy

    import pipeline.runner.manifest as M

    root = tmp_path / "pkg"
    root.mkdir()
    (root / "reader.py").write_text("SCALE = 1\n")
    monkeypatch.setattr(M, "_ROOT", root, raising=False)
    monkeypatch.setattr(M, "_code_hash", None, raising=False)
    first = M.code_version()
    (root / "reader.py").write_text("SCALE = 2\n")
    assert M.code_version() == first  # edited, not reloaded: the same code runs
    module = sys.modules["pipeline.io"]
    monkeypatch.setattr(module, "__spec__", copy.copy(module.__spec__))  # what reload does
    assert M.code_version() != first


def _turkish_locale(folder) -> str | None:
    """Compile tr_TR.UTF-8 into ``folder`` (for LOCPATH); None where it cannot be."""
    import shutil
    import subprocess

    if shutil.which("localedef") is None:
        return None
    done = subprocess.run(
        ["localedef", "-i", "tr_TR", "-f", "UTF-8", str(folder / "tr_TR.UTF-8")],
        capture_output=True,
        timeout=120,
    )
    return (
        "tr_TR.UTF-8" if (folder / "tr_TR.UTF-8").is_dir() and done.returncode in (0, 1) else None
    )


def test_a_turkish_locale_set_after_the_import_does_not_reject_wkt(monkeypatch, tmp_path):
    """``import pipeline`` makes LC_CTYPE C's where the C library's case rules are not (a
    Turkish locale: GEOS reads ``LineString`` as ``LiNESTRiNG``).  A notebook that sets
    ``locale.setlocale(locale.LC_ALL, "tr_TR.UTF-8")`` afterwards (its own formatting) had
    a lanes file's valid ``LineString`` rejected as ``geometry_unparseable`` and the other
    lane written ``LiNESTRiNG``: the guard ran once, at the import."""
    import locale

    import pipeline

    name = _turkish_locale(tmp_path)
    if name is None:
        pytest.skip("no localedef or tr_TR locale source on this machine")
    monkeypatch.setenv("LOCPATH", str(tmp_path))
    lanes = tmp_path / "lanes.csv"
    lanes.write_text(
        'name,wkt\nA,"LineString (-60.5 15.25, -30 25)"\nB,"LINESTRING (-70 25, -50 30)"\n',
        encoding="utf-8",
    )
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, name)
        got = pipeline.read_context(lanes, "lanes", crs="EPSG:4326")
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)
    assert got.frame.geometry.to_wkt().tolist() == [
        "LINESTRING (-60.5 15.25, -30 25)",
        "LINESTRING (-70 25, -50 30)",
    ]
    assert got.rejects.empty


def test_an_unknown_zone_is_refused_while_another_thread_leaves_its_warnings_block(monkeypatch):
    """Free-text dates naming an unknown zone (``10:00 XYZT``) were refused by catching
    dateutil's UnknownTimezoneWarning in ``warnings.catch_warnings(record=True)``: process
    state.  Another thread that had entered its own catch_warnings block before and left it
    meanwhile (a Dask worker's second thread, a notebook's pool reading files at once) put
    back the warnings state of before, this thread's record went with it, and the value was
    taken as UTC, hours off: 4,568-5,513 of 10,080 such values in two threads.  Replayed
    here: the other thread's block is entered first and left while the column is parsed."""
    import warnings

    import pandas as pd

    import pipeline.ingest._dates as dates

    other = warnings.catch_warnings()  # the other thread's block, entered before ours
    other.__enter__()
    left = []
    original = dates._offsets_as_iso

    def leave_then_read(text):
        if not left:
            left.append(True)
            other.__exit__(None, None, None)  # the other thread leaves its block now
        return original(text)

    monkeypatch.setattr(dates, "_offsets_as_iso", leave_then_read)
    try:
        got = dates.parse_times(
            pd.Series(["5 March 2024 10:00 XYZT", "6 March 2024 11:30 XYZT"]), dayfirst=True
        )
    finally:
        if not left:
            other.__exit__(None, None, None)
    assert left
    assert got.unparseable.tolist() == [True, True]
    assert got.times.isna().all()


def test_library_versions_are_those_imported(monkeypatch):
    """``%pip install -U pandas`` in a running kernel, no restart: the metadata says the new
    version, the process still runs the old one.  The run key and the cache keys held the
    metadata's, so the tables the old pandas parsed were kept under the new version's key
    and served to every later process running it."""
    import pandas as pd

    from pipeline.runner import manifest as M

    before = M.key_version()
    monkeypatch.setattr(pd, "__version__", "0.0+imported-before-the-upgrade")
    assert M.versions()["pandas"] == "0.0+imported-before-the-upgrade"
    assert M.key_version() != before
