"""The runner: wires the planned stages, times them, publishes, writes the manifest.

It holds no domain logic: the stage list is :mod:`pipeline.runner.plan`, the stage functions
are :mod:`pipeline.runner.stages`, the cache :mod:`pipeline.runner.cache`, the lock, link
checks and the atomic publish :mod:`pipeline.runner.publish`, and the manifest's pieces
:mod:`pipeline.runner.manifest`.  A run whose inputs, config, ``as_of`` and code version equal
those of the published run - and whose outputs still match their hashes - is up to date and
returns at once.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as S
from ._ctype import replaced_ctype, use_ascii_case
from .config import AS_OF_WORDS, Config, as_of_day
from .errors import ConfigError, FutureDateWarning, SourceUnreadable
from .io import read_json_object, sha256_file
from .runner import manifest as M
from .runner import publish as P
from .runner.cache import StageCache
from .runner.inputs import (
    carry_unsettled_since,
    check_freshness,
    describe_pattern,
    expand_patterns,
    input_files,
    input_freshness,
    input_identities,
    input_paths,
    inputs_changed,
    run_key,
)
from .runner.plan import planned_stages
from .runner.record import RunInfo, build_manifest
from .runner.stages import STAGE_FUNCTIONS, RunState, resolve_as_of
from .runner.status import run_history, run_status

__all__ = [
    "RunResult",
    "input_files",
    "input_freshness",
    "run_history",
    "run_pipeline",
    "run_status",
]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]


@dataclass
class RunResult:
    """What a run produced and where.

    Attributes
    ----------
    run_id, out_dir, outputs, manifest
        The published run: its id, the output folder, each output's path, the manifest.
    scores : pandas.DataFrame
        The cells' scores.  A run that computed them gives them at full precision; a run that
        found the published set up to date (``up_to_date``) reads them back from the
        published ``scores.parquet``, whose numbers are rounded as published (6 decimals, or
        7 significant digits where that keeps more: :func:`pipeline.io.round_array`) -
        compare the two with a relative tolerance of about 1e-6, or compare the published
        tables, which are byte-identical.
    up_to_date : bool
        Whether the inputs, config and code were those of the published run (nothing rerun).
    """

    run_id: str
    out_dir: Path
    outputs: dict[str, Path]
    manifest: dict[str, Any]
    scores: pd.DataFrame = field(repr=False)
    up_to_date: bool = False

    @property
    def map_path(self) -> Path:
        """The published HTML map."""
        return self.outputs["map"]


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("stage %s", name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


#: Reject rules decided against the day of the run: the same inputs may read otherwise later.
_RULES_OF_THE_DAY = ("date_future",)


def _decided_by_an_earlier_day(manifest: dict, today: dt.date) -> bool:
    """Whether the run rejected records for lying after its day, and that day is past.

    A record dated after the day of reading is ``date_future``; on a later day the same
    record may be in range (or ``after_as_of``, outside the reject ceiling), and without a
    fixed ``as_of`` it may even move it: the unchanged inputs are not the same run.
    """
    started = str(manifest.get("started") or "")[:10]
    if started == today.isoformat():
        return False
    inputs = manifest.get("inputs")
    for entries in inputs.values() if isinstance(inputs, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            by_rule = entry.get("by_rule") if isinstance(entry, dict) else None
            if isinstance(by_rule, dict) and any(by_rule.get(r) for r in _RULES_OF_THE_DAY):
                return True
    return False


def _up_to_date(out: Path, key: str, today: dt.date) -> RunResult | None:
    """Return the published run if it was made from the same key and is intact."""
    run_id = P.current_run(out)
    if run_id is None:
        return None
    folder = out / P.RUNS / run_id
    manifest = read_json_object(folder / "manifest.json")  # never through a link
    if manifest is None or manifest.get("run_key") != key or manifest.get("status") != "ok":
        return None
    if _decided_by_an_earlier_day(manifest, today):
        log.info(
            "run %s rejected records dated after its day (date_future); a later day may read "
            "them otherwise: running again",
            run_id,
        )
        return None
    if manifest.get("run_id") != run_id:  # a manifest copied from another run
        return None
    listed = manifest.get("outputs")
    if not isinstance(listed, dict) or not all(isinstance(v, dict) for v in listed.values()):
        return None  # edited by hand: not a set route-risk can vouch for, so run again
    outputs = {}
    for name, info in listed.items():
        file = Path(str(info.get("path", ""))).name
        target = folder / file
        if target.is_symlink() or not target.is_file() or sha256_file(target) != info.get("sha256"):
            return None
        if not (out / file).is_file():  # a top-level link someone removed
            return None
        outputs[name] = out / file
    table = outputs.get("scores_parquet") or outputs.get("scores_geoparquet")  # before 0.2
    if "map" not in outputs or table is None:
        return None
    import geopandas as gpd

    from .grid import to_cells

    scores = pd.DataFrame(gpd.read_parquet(table).drop(columns="geometry"))
    cells = to_cells(scores[S.HEX_ID].to_numpy())
    if S.CELL in scores.columns:
        scores[S.CELL] = cells
    else:
        scores.insert(0, S.CELL, cells)
    outputs["manifest"] = out / "manifest.json"
    return RunResult(manifest["run_id"], out, outputs, manifest, scores, up_to_date=True)


def _stages(state: RunState, run_id: str, timer: _Timer, progress: ProgressFn | None) -> dict:
    """Run the planned stages in order; return which came from the cache."""
    planned = planned_stages(state.config)
    report: dict[str, dict[str, Any]] = {}
    for name, fn in STAGE_FUNCTIONS.items():
        if name not in planned and name != "features":
            continue
        if progress is not None and name != "features":
            progress(name)
        P.failpoint(f"stage {name}")
        state.background.check()  # a file written meanwhile failed (a full disk): stop now
        before = dict(state.cache.hits)
        with timer.stage(name):
            fn(state, run_id) if name == "render" else fn(state)
        new = {k: v for k, v in state.cache.hits.items() if before.get(k) != v or k not in before}
        report[name] = {"cached": bool(new) and all(new.values()), "seconds": timer.timings[name]}
        if new:
            report[name]["parts"] = dict(sorted(new.items()))
    return report


def _run(
    config: Config,
    as_of,
    out: Path,
    staging: Path,
    run: RunInfo,
    progress: ProgressFn | None,
    identities: dict[str, tuple[int, ...] | None],
    code_key: str,
) -> RunResult:
    timer = _Timer()
    state = RunState(
        config,
        resolve_as_of(as_of if as_of is not None else config.run.as_of),
        out,
        staging,
        StageCache(out / ".cache", read=not run.cold),
        progress,
        failed_dir=out / P.RUNS / run.run_id,
        code=code_key,  # the key_version the run's key holds (read once)
    )
    try:
        # the hashes the manifest records are the ones the caches are keyed by: taken once
        state.input_hashes = {f["path"]: f["sha256"] for f in run.files if f.get("sha256")}
        state.input_identities = identities
        try:
            stages = _stages(state, run.run_id, timer, progress)
        except BaseException:
            state.background.cancel()  # no thread may write into the staging folder it removes
            raise
        state.background.close()
        if changed := inputs_changed(identities):
            # the tables hold some of the bytes, the manifest the hash of others: never published
            fed = {f: m for m in run.patterns for f in m["files"]}
            hint = [fed[f] for f in changed if f in fed][:1]
            raise SourceUnreadable(
                f"input {', '.join(map(repr, changed[:3]))}{', ...' if len(changed) > 3 else ''} "
                "was modified while the run read it (a file still being written, such as a "
                "download writing in place): nothing is published, the last set stays; run again "
                "once it is complete (a writer that writes to another name, x.csv.part or .x.csv, "
                "and renames the file when done is never read half-written"
                + "".join(
                    f"; a feed whose newest file is appended to all day: "
                    f"{'raise' if 'settle_minutes' in m else 'set'} inputs.{m['input']}"
                    ".settle_minutes, and a run leaves a file modified that recently for a later run"
                    for m in hint
                )
                + ")"
            )
        manifest = build_manifest(state, run, stages, state.outputs)
        M.write_json(staging / "manifest.json", manifest)  # last: a run folder with one is whole
        P.failpoint("publish: manifest written")
        names = [p.name for p in state.outputs.values()]
        with P.signals_held():
            P.publish(staging, out, run.run_id, names)
            pruned = P.prune_runs(out, config.run.keep_runs)
        if pruned:
            log.info(
                "pruned run folders beyond run.keep_runs = %d: %s", config.run.keep_runs, pruned
            )
        state.cache.prune()
        assert state.scores is not None
        published = {k: out / p.name for k, p in state.outputs.items()}
        published["manifest"] = out / "manifest.json"
        return RunResult(run.run_id, out, published, manifest, state.scores)
    finally:
        # the run's spill (its track chunks on disk) goes with the run, not when the garbage
        # collector frees its state: a notebook's or a service's process kept each run's
        # spill (the size of the track files) until a collection
        if state.spill_root is not None:
            shutil.rmtree(state.spill_root, ignore_errors=True)


def _failure_status(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if not isinstance(exc, Exception):  # SIGTERM (the CLI's Terminated), SystemExit
        return "stopped"
    return "failed"


def _failure_text(exc: BaseException) -> str:
    """Return the ``error`` a failed or stopped run records: the exception and its message.

    A stop carries no message: the history says which (the CLI's stop exceptions have a
    ``word``: "terminated" for SIGTERM - ``systemctl stop``, a scheduler's timeout -, "hung
    up (SIGHUP)").
    """
    if str(exc):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C) before publishing"
    if word := getattr(exc, "word", None):
        return f"{word} (a stop signal) before publishing"
    return type(exc).__name__


def run_pipeline(
    config: Config,
    *,
    as_of: dt.date | str | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
    command_line: list[str] | None = None,
    cold: bool = False,
) -> RunResult:
    """Run every planned stage and publish the outputs as one set.

    The outputs go to ``OUT/runs/<run_id>/`` and ``OUT/current`` is switched to it in one
    rename; ``OUT/risk_map.html``, ``OUT/scores.csv``, ``OUT/manifest.json``, ... are fixed
    links through ``current`` (:mod:`pipeline.runner.publish`).  A run that fails leaves the
    published set as it was and records ``runs/<run_id>/status.json``.

    Parameters
    ----------
    config : Config
        A validated config (:func:`pipeline.load_config`).
    as_of : date or str, optional
        Overrides ``run.as_of``.
    out_dir : path-like, optional
        Overrides ``run.out_dir``.
    progress : callable, optional
        Called with the name of each planned stage as it starts
        (:func:`pipeline.runner.plan.planned_stages` lists them; the CLI draws a bar).
    force : bool, default False
        Recompute even when the published outputs are up to date (the stage cache is
        still used: it is keyed by content).
    cold : bool, default False
        A full run: every stage is computed from the inputs, nothing is read from the stage
        cache or its memos of parts (fresh entries are still written for the next run);
        implies ``force``.
    command_line : list of str, optional
        The command that started the run, recorded in the manifest.

    Returns
    -------
    RunResult
        Its ``outputs`` are the top-level paths (links through ``current``).

    Raises
    ------
    BaseException
        Whatever stopped the run.  A failed, stopped or interrupted run is recorded in its
        ``status.json``; the only exception raised after the new set was published is a
        stop signal held back during the publish (then delivered), and it carries the
        run's id as ``published_run``.
    """
    # GEOS, GDAL and PROJ read keywords by the C library's case rules: a notebook that set a
    # Turkish locale after the import had the lanes' 'LineString' rejected as unparseable
    use_ascii_case()
    out = Path(os.path.abspath(out_dir if out_dir is not None else config.run.out_dir))
    try:  # as the config's paths are (pipeline.config): the manifest and tables hold it
        str(out).encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            f"output folder {ascii(str(out))} is not UTF-8 text (a byte of another encoding "
            "in its name); choose another folder"
        ) from None
    if not str(out).isascii() and codecs.lookup(sys.getfilesystemencoding()).name != "utf-8":
        # Python names files in the locale's encoding, Arrow and GDAL in UTF-8: they would
        # write into another folder (a staging file "not found", exit 70)
        raise ConfigError(
            f"output folder {str(out)!r} is not ASCII and this process names files in "
            f"{sys.getfilesystemencoding()} (its locale), which Arrow and GDAL do not: run "
            "under a UTF-8 locale (LC_ALL=C.UTF-8) or with PYTHONUTF8=1, or choose an ASCII "
            "folder"
        )
    if Path(config.run.out_dir) != out:
        # the folder the run publishes into, whoever named it (--out, a relative path under
        # another working directory): the manifest records it, and it is part of the run key,
        # so the first run into a copied or moved folder is a new run, as with run.out_dir
        config = config.model_copy(update={"run": config.run.model_copy(update={"out_dir": out})})
    # 'yesterday' / 'today' (config or --as-of) name a day once, from the start the run
    # records (_locked_run): the run key, the manifest and every stage see that date, and a
    # run crossing midnight keeps it (as the date itself would be given there: the same run)
    as_of_rule = _as_of_word(as_of if as_of is not None else config.run.as_of)
    if as_of_rule is None and as_of is not None:  # checked as run.as_of is when loaded
        day = resolve_as_of(as_of)
        if day is not None and day.date() > dt.datetime.now(dt.UTC).date():
            warnings.warn(
                f"as_of {day.date().isoformat()} is in the future; time decay and windows "
                "will treat every event as old",
                FutureDateWarning,
                stacklevel=2,
            )
    try:
        # the files of a pattern as they are now: a night's new file is read, not the config's
        # list of yesterday (and a pattern matching nothing is refused, never an empty input)
        config, patterns = expand_patterns(config)
        inputs = [*input_paths(config), *(Path(m["pattern"]) for m in patterns)]
        P.check_out_dir(out, inputs)
    except ConfigError as exc:
        _record_refusal(out, exc, command_line, config.run.keep_runs)
        raise
    for m in patterns:
        log.log(logging.WARNING if m.get("unreadable") else logging.INFO, "%s", describe_pattern(m))
    P.make_out_dir(out)
    cmd = list(command_line) if command_line is not None else None
    # One BLAS thread: the model's matrix products then sum in one order whatever the
    # machine's core count (two threads moved forecasts by 1e-11, and so the table bytes),
    # and a busy machine no longer stalls them (2-4x slower fits measured under load).
    with P.lock(out), one_blas_thread():
        return _locked_run(
            config, as_of, out, progress, force or cold, cmd, cold, patterns, as_of_rule
        )


#: The id of the run this process is running, or ran last (:func:`current_run_id`).
_running: list[str] = []


def current_run_id(forget: bool = False) -> str | None:
    """Return the id of the run this process is running or ran last, or None.

    The command's JSON log lines carry it as ``run_id`` from the moment the run has its id,
    the summary and the error line that end the command too (a log collector groups a
    night's lines by it).  A process-wide value, not a context variable: the stages log
    from pool threads too.  ``forget`` clears it (each command starts without one).
    """
    if forget:
        _running.clear()
    return _running[-1] if _running else None


#: The BLAS libraries found (threadpoolctl), with the modules loaded when they were looked for.
_blas: tuple[frozenset[str], Any] | None = None


def one_blas_thread() -> contextlib.AbstractContextManager:
    """Return a context in which every loaded BLAS library computes on one thread.

    Finding the loaded libraries (threadpoolctl scans every shared object of the process)
    takes ~5 ms; they are looked for again only when a module was imported or removed
    since (a BLAS library is loaded by the import of the module that links it: numpy,
    scipy).
    """
    from threadpoolctl import ThreadpoolController

    global _blas
    loaded = frozenset(sys.modules)
    if _blas is None or _blas[0] != loaded:
        _blas = (loaded, ThreadpoolController())
    return _blas[1].limit(limits=1, user_api="blas")


def _record_refusal(
    out: Path, exc: ConfigError, command_line: list[str] | None, keep_runs: int
) -> None:
    """Record a run refused for its output folder in that folder's history, if it has one.

    A nightly job refused every night (a file put where an output goes) must show in
    ``route-risk status``, not only in the scheduler's exit code.  Only a folder that already
    holds runs (a real ``runs/``) is written to, and only through :func:`P.write_status`,
    which follows no link; if another run holds the lock, nothing is written.  The history
    is then pruned to ``keep_runs`` as after a failed run (never the published run): a
    month of refused nights leaves ``keep_runs`` records, not one folder a night.
    """
    runs = out / P.RUNS
    if not runs.is_dir() or runs.is_symlink() or out.is_symlink():
        return
    now = dt.datetime.now(dt.UTC)
    # the id too: a folder no id sorts after must not replace the refusal being recorded
    with contextlib.suppress(Exception), P.lock(out):
        run_id, _ = P.next_run_id(out, now)
        P.write_status(
            out,
            run_id,
            {
                "run_id": run_id,
                "status": "refused",
                "error": f"{type(exc).__name__}: {exc}",
                "started": now.isoformat(timespec="seconds"),
                "finished": now.isoformat(timespec="seconds"),
                "previous_run": P.current_run(out),
                "command_line": command_line,
                "published": P.current_run(out),
            },
        )
        P.prune_runs(out, keep_runs)


def _locked_run(
    config: Config,
    as_of,
    out: Path,
    progress: ProgressFn | None,
    force: bool,
    command_line: list[str] | None,
    cold: bool = False,
    patterns: list[dict[str, Any]] | None = None,
    as_of_rule: str | None = None,
) -> RunResult:
    """Clean up after killed runs, return the published set if up to date, else run."""
    P.check_links_possible(out)  # before any work: the set is published through links
    started = dt.datetime.now(dt.UTC)
    if as_of_rule is not None:
        config, as_of = _name_the_day(config, as_of, as_of_rule, started)
    # the killed runs' records first: this run's id then sorts after theirs too (a run
    # killed while the clock was ahead must not be the last run after a good night)
    killed = P.remove_stale_staging(out)
    if killed:
        log.warning("recorded killed runs and removed their staging folders: %s", killed)
    run_id, clock_note = P.next_run_id(out, started)
    _running[:] = [run_id]
    if clock_note:
        log.warning("%s", clock_note)
    if (ctype := replaced_ctype()) is not None:
        log.info("LC_CTYPE %s case-folds ASCII letters unlike C: run under C's rules", ctype)
    identities = input_identities(input_paths(config))  # before the hashes: see _run
    files = input_files(config, patterns)
    # the libraries' versions, read once (about 10 ms): the run's key, its stages' cache
    # keys (RunState.code) and its manifest hold these
    libraries = M.versions()
    code_key = M.key_version(libraries)
    key = run_key(config, as_of, files, code_key)
    previous = P.current_run(out)
    if patterns and any(m.get("unsettled") for m in patterns):
        last = (
            None
            if previous is None
            else read_json_object(out / P.RUNS / previous / "manifest.json")
        )
        for line in carry_unsettled_since(patterns, last, started):
            log.warning("%s", line)
    try:
        # before "up to date": a feed that stopped leaves the inputs unchanged, which is
        # exactly when the policy must speak
        freshness = check_freshness(config, files, started, patterns)
        if not force and (done := _up_to_date(out, key, started.date())) is not None:
            log.info("outputs in %s are up to date (run %s)", out, done.run_id)
            _record_up_to_date(out, run_id, done.run_id, started, command_line)
            if pruned := P.prune_runs(out, config.run.keep_runs):  # a keep_runs lowered
                log.info(
                    "pruned run folders beyond run.keep_runs = %d: %s", config.run.keep_runs, pruned
                )
            return done
        info = RunInfo(run_id, key, started, files, freshness, previous, command_line, killed, cold)
        info.notes = [clock_note] if clock_note else []
        info.patterns = patterns or []
        info.as_of_rule = as_of_rule
        info.versions = libraries
        with P.staging_dir(out, run_id) as staging:
            return _run(config, as_of, out, staging, info, progress, identities, code_key)
    except BaseException as exc:
        if _published(out, run_id):
            # a stop held back while the set was published, delivered right after it: the
            # run is whole and its manifest says so; a status.json saying "stopped" in its
            # folder would contradict it
            exc.published_run = run_id  # type: ignore[attr-defined]
            log.warning("run %s was published before it stopped (%s)", run_id, type(exc).__name__)
            raise
        with contextlib.suppress(Exception):
            P.write_status(
                out,
                run_id,
                {
                    "run_id": run_id,
                    "status": _failure_status(exc),
                    "error": _failure_text(exc),
                    "started": started.isoformat(timespec="seconds"),
                    "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "previous_run": previous,
                    "command_line": command_line,
                    "published": P.current_run(out),
                },
            )
            P.prune_runs(out, config.run.keep_runs)
        raise


def _record_up_to_date(
    out: Path, run_id: str, matched: str, started: dt.datetime, command_line: list[str] | None
) -> None:
    """Record a run found up to date when a later run than ``matched`` is in the history.

    A night up to date leaves no folder: ``status`` and ``history`` show the run it
    matched.  After a failed, refused or stopped night, though, that run is not the last
    one, and ``status`` would report the failure every morning until an input changed;
    this night's ``status.json`` (``up_to_date``) then says the folder is well again (once:
    the nights after it, up to date too, add nothing).
    """
    newest = max((d.name for d in P.run_dirs(out) if P.holds_a_record(d)), default=None)
    if newest is None or newest == matched:
        return
    said = read_json_object(out / P.RUNS / newest / "status.json") or {}
    if said.get("status") == "up_to_date" and said.get("matched") == matched:
        return
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = {
        "run_id": run_id,
        "status": "up_to_date",
        "matched": matched,
        "started": started.isoformat(timespec="seconds"),
        "finished": now,
        "previous_run": matched,
        "command_line": command_line,
        "published": matched,
    }
    try:
        P.write_status(out, run_id, record)
    except OSError as exc:  # the map is up to date all the same: a record is not worth a failure
        log.warning("could not record the night up to date in %s: %s", out / P.RUNS, exc)


def _as_of_word(value: Any) -> str | None:
    """Return the word (``"yesterday"``, ``"today"``) ``value`` is, else None."""
    word = value.strip().lower() if isinstance(value, str) else None
    return word if word in AS_OF_WORDS else None


def _name_the_day(
    config: Config, as_of: Any, word: str, started: dt.datetime
) -> tuple[Config, Any]:
    """Return ``config`` and ``as_of`` with ``word`` replaced by the UTC day it names at ``started``.

    The word is the override's when one is given (``as_of``), else the config's: the day
    then replaces ``run.as_of``.  ``started`` is the start the manifest records, so the day
    is the one before, or of, that start even when the clock crossed midnight since the
    run was called.
    """
    day = as_of_day(word, started)
    log.info("as_of %s: %s (UTC)", word, day.isoformat())
    if as_of is not None:
        return config, day
    return config.model_copy(update={"run": config.run.model_copy(update={"as_of": day})}), as_of


def _published(out: Path, run_id: str) -> bool:
    """Tell whether ``run_id`` is the run ``out/current`` names (False when unreadable)."""
    try:
        return P.current_run(out) == run_id
    except Exception:
        return False
