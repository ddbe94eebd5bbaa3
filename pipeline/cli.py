"""The ``route-risk`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes (for schedulers): 0 success; 2 a user error (bad config, unreadable or unusable
input, too many rejects), reported as one line on stderr without a traceback; 75
(``EX_TEMPFAIL``) another run holds the output folder's lock - try again later; 74
(``EX_IOERR``) the disk is full, over quota, read-only or failing (one line); 130
interrupted (Ctrl-C); 143 stopped by SIGTERM; 129 by SIGHUP (a lost terminal; unless
ignored, as under ``nohup``); 141 stdout's reader went away.  After 129, 130 or 143 the
last published set is untouched: the signals are held back while a set is being published
(one that arrives then stops the command once the new set is published, and its line says
so), and a second stop signal does not interrupt the cleanup of the first.  70
(``EX_SOFTWARE``) is anything else: a bug, reported with its traceback.

Logs go to stderr: human lines with timestamps on a terminal, JSON lines (python-json-logger)
when stderr is not a terminal or with ``--log-format json``; ``-q`` keeps errors only, ``-v``
adds info (``-vv`` debug), both accepted before or after the subcommand.  Library warnings
(pandas, pyogrio, ...) are captured into the log, and the command's own last line (the
reason for its exit code, a bug's traceback included) takes the logs' form too: in JSON
mode every line on stderr is one JSON object.  A stderr that cannot be written (a full
disk) never changes the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._terminal import one_line
from .errors import ENVIRONMENT_ERRNOS, ConfigError, RouteRiskError, RunLockedError

EXIT_OK = 0
EXIT_ATTENTION = 1  # `status`: the last run failed, nothing is published or an input is stale
EXIT_USER_ERROR = 2
EXIT_IOERR = 74
EXIT_TEMPFAIL = 75
EXIT_SOFTWARE = 70  # (EX_SOFTWARE) an exception route-risk did not foresee: a bug
EXIT_HUNG_UP = 129  # 128 + SIGHUP
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: stdout closed by its reader
EXIT_TERMINATED = 143

log = logging.getLogger("pipeline")


def _progress(total: int):
    """Return a stage-progress callback: a tqdm bar on a terminal, log lines otherwise.

    Only for text logs without ``-q``: a bar drawn under ``--log-format json`` put lines that
    are not JSON on a JSON-lines stderr, and ``-q`` (errors only) still drew it.
    """
    if sys.stderr.isatty() and not _SUMMARY["quiet"] and _SUMMARY["handler"] is None:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="stage", file=sys.stderr, leave=False)

        def step(name: str) -> None:
            bar.set_description(name)
            bar.update(1)

        step.close = bar.close  # type: ignore[attr-defined]
        return step

    def quiet(name: str) -> None:
        log.info("%s", name)

    quiet.close = lambda: None  # type: ignore[attr-defined]
    return quiet


def _stage_count(config) -> int:
    """Stages the runner will report (the plan is the one list)."""
    from .runner.plan import planned_stages

    return len(planned_stages(config))


def _cmd_run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .run import run_pipeline

    config = load_config(args.config)
    progress = _progress(total=_stage_count(config))
    try:
        result = run_pipeline(
            config,
            as_of=args.as_of,
            out_dir=args.out,
            progress=progress,
            force=args.force,
            command_line=args.command_line,
            cold=args.cold,
        )
    finally:
        progress.close()  # type: ignore[attr-defined]
    _report_published(result)
    return EXIT_OK


#: How the run's summary reaches stderr: set by :func:`setup_logging`.
_SUMMARY: dict[str, Any] = {"quiet": False, "handler": None, "json_stdout": False}


def _say(text: str) -> None:
    """Write a summary line to stderr: plain text, a JSON line when logs are JSON, none with -q.

    The summary is for the person or the log collector reading stderr, so it takes the
    logs' form: a JSON-lines consumer never meets a plain line.
    """
    if not _SUMMARY["quiet"]:
        _line(text, logging.INFO)


def _line(text: str, level: int, exc: BaseException | None = None, **extra: Any) -> None:
    """Write one line to stderr in the logs' form (a JSON line when logs are JSON).

    ``exc`` adds its traceback (in JSON: the record's ``exc_info``, inside the one line);
    ``extra`` adds fields to a JSON line (``exit_code``); the line that ends a command
    given ``--json`` (it has an ``exit_code``) is printed on stdout too, as a JSON object
    (:func:`_json_failure`).  A stderr that cannot be written
    (a full disk, closed) is skipped: the exit code is then the report, and it stays the
    run's - a log that cannot be written never turns a published run into a failure.
    """
    handler, message = _SUMMARY["handler"], text
    if handler is None:  # one line whatever the text holds (a file name with a newline)
        text = f"route-risk: {one_line(text)}"
        if exc is not None:  # its lines kept, what a terminal acts on escaped in each
            lines = "".join(traceback.format_exception(exc)).rstrip("\n").split("\n")
            text += "\n" + "\n".join(map(one_line, lines))
    else:
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        record = logging.LogRecord("route-risk", level, __file__, 0, text, None, exc_info)
        _with_run_id(record)
        record.__dict__.update(extra)
        text = handler.format(record)
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        _to_devnull(2)  # what the stream still holds would fail again at exit (exit 120)
    if "exit_code" in extra and _SUMMARY["json_stdout"]:
        _json_failure(message, extra["exit_code"])


def _json_failure(text: str, code: int) -> None:
    """Print the command's end as a JSON object on stdout (``--json``: a reader parses it).

    ``route-risk status OUT --json | jq`` must get JSON on an error too, not an empty
    stdout; the object has the log line's ``error`` text and the ``exit_code``.
    """
    try:
        print(json.dumps({"error": text, "exit_code": code}))
        sys.stdout.flush()
    except (OSError, ValueError):
        _stdout_to_devnull()


def _report_published(result) -> None:
    """Report a finished run; an error in writing the report names the run it published."""
    try:
        _report(result)
        sys.stdout.flush()  # the map's path, before the command says how it went
    except BaseException as exc:
        if not result.up_to_date:
            exc.published_run = result.run_id  # type: ignore[attr-defined]
        raise


def _report(result) -> None:
    if result.up_to_date:
        _say(
            f"up to date: inputs, config and as_of are unchanged since run "
            f"{result.run_id}; nothing to do (--force recomputes)"
        )
        print(result.map_path)
        return
    for line in run_summary_lines(result.manifest, result.out_dir):
        _say(line)
    print(result.map_path)


def run_summary_lines(manifest: dict[str, Any], out_dir: str | Path) -> list[str]:
    """Return the lines ``route-risk run`` writes to stderr on a published run's manifest.

    Per input: its counts and rejects file, what it assumed in one line (which column is
    what, date order, time zone, CRS, units: :func:`pipeline.ingest.assumptions_to_line`),
    its notes; then the run's own notes and its totals.
    """
    from .ingest import assumptions_to_line, top_rules
    from .ingest.tracks import distinct_names

    lines = []
    counts = manifest["counts"]
    for kind in ("seizures", "tracks", "context"):
        # context layers too: a land polygon repaired or cut at 180 degrees, a port rejected
        entries = manifest["inputs"].get(kind) or []
        # two receivers' logs of a day share a name (rx-a/2024-03-01.log, rx-b/...): each
        # line names its file apart from the others, as a repeat's reject does
        names = distinct_names([e["path"] for e in entries])
        for e, name in zip(entries, names, strict=True):
            label = e.get("kind", kind) if kind == "context" else kind
            lines.append(
                f"{name} ({label}): read {e['read']}, "
                f"accepted {e['accepted']}, rejected {e['rejected']}"
                + (f" ({top_rules(e['by_rule'], 4)})" if e.get("by_rule") else "")
                + (f" -> {e['rejects_file']}" if e["rejected"] else "")
            )
            if assumed := assumptions_to_line(e.get("assumptions")):
                lines.append(f"  {assumed}")
            lines += [f"  note: {note}" for note in e.get("notes", [])]
    for e in manifest["inputs"].get("rasters", []):  # how much of the area it informs
        note = (e.get("coverage") or {}).get("note")
        assumed = assumptions_to_line(e.get("assumptions"))
        if note or assumed:
            lines.append(f"{Path(e['path']).name} (raster {e.get('name')})")
        if assumed:
            lines.append(f"  {assumed}")
        if note:
            lines.append(f"  note: {note}")
    # what the run itself assumed or left out (transit: positions after as_of, vessel ids of
    # one ship; no ports layer ...): in the manifest and here
    for note in [
        *manifest.get("features", {}).get("transit_notes", []),
        *manifest.get("notes", []),
    ]:
        lines.append(f"note: {note}")
    lines.append(
        f"{counts['cells']} cells scored, {counts['seizures_used']} seizures, "
        f"{counts['pings_used']} pings; outputs in {out_dir}"
    )
    return lines


def _cmd_demo(args: argparse.Namespace) -> int:
    from .config import load_config
    from .demo import generate_demo
    from .run import run_pipeline
    from .runner.publish import check_no_links, lock, make_out_dir

    # absolute as run_pipeline makes it, links not followed: a folder that is a link is
    # refused as `route-risk run` refuses it, and no link at DIR/inputs is written through
    out = Path(os.path.abspath(args.out))
    data_dir = out / "inputs"
    with lock(out):  # never rewrite the inputs of a run that is reading them (exit 75)
        check_no_links(out, data_dir)
        make_out_dir(data_dir)
        generate_demo(data_dir, seed=args.seed)
    os.environ["ROUTE_RISK_DEMO_DATA"] = str(data_dir)
    config_path = (
        Path(args.config) if args.config else Path(__file__).parent / "configs" / "demo.yaml"
    )
    config = load_config(config_path)
    progress = _progress(total=_stage_count(config))
    try:
        result = run_pipeline(
            config, out_dir=out, progress=progress, command_line=args.command_line
        )
    finally:
        progress.close()  # type: ignore[attr-defined]
    _report_published(result)
    return EXIT_OK


def _ago(hours: float | None) -> str:
    if hours is None:
        return "?"
    if abs(hours) < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _known(value: Any) -> str:
    """Return a value of a manifest for people: ``?`` where it is unknown (None, missing)."""
    return "?" if value is None else str(value)


def _when(rec: dict) -> str:
    return str(rec.get("finished") or rec.get("started") or "?").replace("+00:00", "Z")


def _cmd_status(args: argparse.Namespace) -> int:
    from .run import run_status

    st = run_status(args.out_dir, max_map_age_hours=args.max_map_age, verify=not args.no_verify)
    verdict = EXIT_ATTENTION if st["attention"] else EXIT_OK
    if args.json:
        print(json.dumps(st, indent=2, allow_nan=False))
        return verdict
    last, pub = st["last_run"], st["published"]
    lines = [f"output folder  {st['out_dir']}"]
    if last is None:
        lines.append("last run       none finished yet (the folder's first run is in progress)")
    else:
        lines.append(f"last run       {last['run_id']}  {last['status']}  finished {_when(last)}")
    if last is not None and last.get("error"):
        lines.append(f"               error: {last['error']}")
    if pub is None:
        lines.append("published      " + _nothing_published(Path(st["out_dir"]), last))
    else:
        lines.append(
            f"published      {pub['run_id']}  as_of {_known(pub.get('as_of'))}  "
            f"map age {_ago(pub['map_age_hours'])}  ({pub['map']})"
        )
        verified = {True: "yes: every output matches its manifest", None: "not checked"}
        lines.append(
            "verified       " + verified.get(pub["verified"], "NO: " + "; ".join(pub["problems"]))
        )
        limit = st.get("max_input_age_days")
        shown = [_input_line(f, limit) for f in st["inputs"] if not f.get("pattern")]
        shown += [_pattern_line(m, st["inputs"], limit) for m in st.get("patterns", [])]
        for i, text in enumerate(shown):
            lines.append(("inputs        " if i == 0 else "              ") + " " + text)
        cached = [k for k, v in st["stages"].items() if v]
        fresh = [k for k, v in st["stages"].items() if not v]
        lines.append(
            f"stages         from cache: {', '.join(cached) or '-'}; "
            f"computed: {', '.join(fresh) or '-'}"
        )
        if disk := st.get("disk"):
            from .runner.status import format_bytes as size

            lines.append(
                f"disk           runs {size(disk['runs_bytes'])} ({disk['runs_kept']} kept, the "
                f"published {size(disk['published_run_bytes'])}), cache "
                f"{size(disk['cache_bytes'])}, free {size(disk['free_bytes'])}"
            )
    if st["running"]:
        from .runner.publish import describe_holder

        who = describe_holder(st.get("lock_holder"))
        lines.append(
            "running        a run is in progress (it holds the folder's lock"
            + (f": {who})" if who else ")")
        )
    for i, reason in enumerate(st["attention"]):
        lines.append(("ATTENTION      " if i == 0 else " " * 15) + reason)
    print("\n".join(map(one_line, lines)))
    return verdict


def _nothing_published(out: Path, last: dict | None = None) -> str:
    """Say why ``status`` shows no published run: none yet, its folder gone, or unreadable.

    Read from the folder, not from the last run: a published run whose folder was deleted
    before a failed night was "no complete run yet", and a published run whose manifest
    cannot be read (edited, truncated) was a "missing" folder that is there.
    """
    from .runner.publish import RUNS, current_run

    published = current_run(out)
    if published is None:
        if last is not None and last.get("status") == "ok":
            # killed between putting its folder in place and switching to it: complete,
            # never published (the attention line says how)
            return f"nothing (the complete run {last['run_id']} was never switched to)"
        return "nothing (no complete run yet)"
    if not (out / RUNS / published).is_dir():
        return "nothing (the published run's folder is missing)"
    return f"nothing readable (the manifest of the published run {published} cannot be read)"


def _input_line(f: dict, limit: float | None) -> str:
    """One input of ``route-risk status``: its name, age and whether it changed."""
    age = "missing" if not f["exists"] else f"modified {_ago(f['age_days'] * 24)} ago"
    flags = ["changed since the run" if f["changed_since_run"] else "unchanged"]
    if f.get("companions_changed"):  # only or also a file beside it: say which
        flags[0] += f" ({', '.join(f['companions_changed'])})"
    if f["stale"]:
        flags.append(f"STALE (run.max_input_age_days {limit})")
    return f"{Path(f['path']).name}  {age}  {', '.join(flags)}"


def _pattern_line(m: dict, inputs: list[dict], limit: float | None) -> str:
    """One input pattern of ``route-risk status``: its files now, new, gone and changed."""
    mine = [f for f in inputs if f.get("pattern") == m["pattern"]]
    ages = [f["age_days"] for f in mine if f["exists"] and f["age_days"] is not None]
    changed = sum(f["exists"] and f["changed_since_run"] for f in mine)
    flags = [
        f"{m['files']} file(s) now",
        f"newest read modified {_ago(min(ages) * 24)} ago" if ages else "none read is left",
        f"{len(m['new_since_run'])} new, {len(m['gone_since_run'])} gone, {changed} changed "
        "since the run",
    ]
    if left := m.get("left_unsettled"):
        flags.append(f"{len(left)} being written at the run, left for the next")
    if any(f["stale"] for f in mine):
        flags.append(f"STALE (run.max_input_age_days {limit})")
    return f"{m['pattern']}  {', '.join(flags)}"


def _cmd_history(args: argparse.Namespace) -> int:
    from .run import run_history

    runs = run_history(args.out_dir)
    if not runs:  # a mistyped folder is a user error, as in `status`
        raise ConfigError(
            f"{str(args.out_dir)!r} holds no route-risk run (no runs/<run_id> folder)"
        )
    if args.json:
        print(json.dumps(runs, indent=2, allow_nan=False))
        return EXIT_OK
    for r in runs:
        mark = "*" if r["published"] else " "
        detail = (
            f"as_of {_known(r.get('as_of'))}  {_known(r.get('seconds'))} s  "
            f"{_known(r.get('cells'))} cells  "
            f"cached: {','.join(r.get('stages_cached') or []) or '-'}"
            if r["status"] == "ok"
            else f"inputs, config and as_of unchanged since run {_known(r.get('matched'))}"
            if r["status"] == "up_to_date"
            else str(r.get("error") or "")
        )
        print(one_line(f"{mark} {r['run_id']}  {r['status']:<11} {_when(r)}  {detail}".rstrip()))
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .run import input_paths
    from .runner.inputs import describe_pattern, expand_patterns
    from .runner.plan import planned_stages

    config, patterns = expand_patterns(load_config(args.config))  # as a run would now

    def problem(path: Path) -> str | None:
        if path.is_file():
            return None
        if path.is_symlink() and not path.exists():
            return "a broken link or a link loop"
        return "a folder, not a file" if path.is_dir() else "not found"

    bad = [(str(p), why) for p in input_paths(config) if (why := problem(Path(p)))]
    if bad:
        raise _MissingInputs(
            f"{args.config}: input file(s) not usable: "
            + ", ".join(f"{path} ({why})" for path, why in bad)
        )
    _check_raster_bands(config, args.config)
    context = [c.kind for c in config.inputs.context_sources()]
    polygon = config.area.polygon
    # one line, as the pattern lines below: the config's and the polygon's names are read
    # from the disk and the config (an escape sequence, a newline in a file name)
    print(
        one_line(
            f"{args.config}: valid ({len(config.inputs.seizures)} seizure, "
            f"{len(config.inputs.tracks)} track, {len(config.inputs.rasters)} raster, "
            f"{len(context)} context input(s)"
            + (f": {', '.join(context)}" if context else "")
            + (f"; area polygon {Path(polygon).name}" if polygon is not None else "")
            + ")"
        )
    )
    if config.area.polygon is not None:  # its CRS and readability, before any data is read
        from .area import read_area

        read_area(None, config.area.polygon)
    for m in patterns:
        print(one_line(describe_pattern(m)))
    print("stages: " + ", ".join(planned_stages(config)))
    from .runner.stages import narrow_kernel_notes

    # the kernels a run would note as too narrow for its cells, said before a night is spent
    # (a rule's or auto's density bandwidth is known only when the run chooses it)
    h = config.density.bandwidth_km
    fixed = None if isinstance(h, str) or not config.inputs.seizures else h  # else unknown yet
    for note in [*config.resolution_default_notes(), *narrow_kernel_notes(config, fixed)]:
        print(f"note: {note}")
    return EXIT_OK


class _MissingInputs(RouteRiskError, FileNotFoundError):
    pass


def _check_raster_bands(config: Any, config_path: str) -> None:
    """Refuse, as a run would, a raster of several bands whose entry names none.

    Each raster is one factor of one band: a run ends at its features stage on such a raster
    (``band: null`` and 3 bands, a Landsat RGB scene), so ``validate`` opens each raster
    lazily (its header, no pixels) and says so first.
    """
    from .errors import ConfigError
    from .ingest import open_raster

    for src in config.inputs.rasters:
        if src.band is not None:
            continue
        da = open_raster(
            src,
            memory_budget_mb=config.ingest.memory_budget_mb,
            by_centres=config.zonal.method == "centre",
        )
        n = int(da.sizes.get("band", 1))
        if n > 1:
            raise ConfigError(
                f"{config_path}: raster {src.name!r} ({Path(src.path).name}) has {n} bands; a "
                f"factor reads one: set band: (one of {list(range(1, n + 1))}) on its entry "
                "in inputs.rasters"
            )


def _parse_pairs(items: Sequence[str] | None, flag: str) -> dict[str, str]:
    """``["lat=Y", "lon=X,time=ts"]`` -> ``{"lat": "Y", "lon": "X", "time": "ts"}``."""
    from .errors import ConfigError

    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise ConfigError(f"{flag} takes NAME=COLUMN pairs, got {part!r}")
            out[key.strip()] = value.strip()
    return out


def _ingest_source(args: argparse.Namespace, cfg):
    """Return the file's source model: its entry in ``--config`` if any, then CLI options."""
    from pydantic import ValidationError

    from .errors import ConfigError
    from .ingest import RasterSource, SeizureSource, TrackSource

    models: dict[str, type[SeizureSource] | type[TrackSource] | type[RasterSource]] = {
        "seizures": SeizureSource,
        "tracks": TrackSource,
        "raster": RasterSource,
    }
    model = models[args.kind]
    group = {"seizures": "seizures", "tracks": "tracks", "raster": "rasters"}[args.kind]
    data: dict = {"path": Path(args.path)}
    if cfg is not None:
        want = Path(args.path).resolve()
        for src in getattr(cfg.inputs, group):
            if Path(src.path).resolve() == want:
                data = src.model_dump(by_alias=True, exclude_unset=True)
                data["path"] = Path(args.path)
                break
    columns = _parse_pairs(args.columns, "--columns")
    select = _parse_pairs(args.select, "--select")
    if args.kind == "raster":
        if columns or args.dayfirst is not None:
            raise ConfigError("--columns and --dayfirst/--monthfirst apply to seizures and tracks")
        if select:
            data["select"] = {
                **data.get("select", {}),
                **{k: _number(v) for k, v in select.items()},
            }
        if args.nodata is not None:
            data["nodata"] = args.nodata
        if args.mask is not None:
            data["mask"] = {"path": Path(args.mask)}
        for flag, key, value in (
            ("--mask-min", "min", args.mask_min),
            ("--mask-max", "max", args.mask_max),
        ):
            if value is None:
                continue
            if not data.get("mask"):
                raise ConfigError(f"{flag} needs --mask (or a mask on the config's entry)")
            data["mask"] = {**data["mask"], key: value}
    else:
        raster_only = (args.nodata, args.mask, args.mask_min, args.mask_max)
        if select or any(v is not None for v in raster_only):
            raise ConfigError(
                "--select, --nodata, --mask, --mask-min and --mask-max apply to rasters"
            )
        if columns:
            data["columns"] = {**data.get("columns", {}), **columns}
        if args.dayfirst is not None:
            data["dayfirst"] = args.dayfirst
    if args.crs:
        data["crs"] = args.crs
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        raise ConfigError(f"{args.path}: {where}: {err.get('msg')}") from None


def _hours(text: str) -> float:
    """Return a ``--max-map-age`` as hours: a number >= 0.

    ``nan`` compared false with every age, so a monitor given it never heard of an old map.
    """
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not hours >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of hours >= 0, got {text!r}")
    return hours


def _number(text: str):
    """Return a --select value as an int, else a float, else the text (a date, a label)."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import format_summary, summarise_ingest

    options = None
    as_of = None
    aoi = None
    cfg = None
    if args.config:
        from .config import as_of_day, load_config

        cfg = load_config(args.config)
        options = cfg.ingest
        as_of = as_of_day(cfg.run.as_of)
        aoi = cfg.area.bbox
    source = _ingest_source(args, cfg)
    if args.out:
        from .runner.publish import make_out_dir

        make_out_dir(args.out)
    summary = summarise_ingest(
        args.kind,
        source,
        options=options,
        out_dir=args.out,
        as_of=as_of,
        aoi_bbox=aoi,
        # as a run reads it: a curvilinear grid by pixel centres with zonal method: centre;
        # without a config it is described, its note naming the method a run needs
        by_centres=cfg is None or cfg.zonal.method == "centre",
    )
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        print(format_summary(summary))
    return EXIT_OK


class _UsageError(Exception):
    """A command line argparse refused; ``parser`` is the (sub)command's parser."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose refusals reach :func:`main`, to be said in the logs' form."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(message, self)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; a refused command line is one line in the logs' form, exit 2.

    Without this, argparse writes its usage text to stderr: a JSON-lines log (cron,
    journald) would meet plain lines for a mistyped option in the unit or crontab.
    """
    try:
        return parser.parse_args(argv)
    except _UsageError as exc:
        loose = _Parser(add_help=False)  # the log format, however wrong the rest
        loose.add_argument("--log-format", default="auto")
        try:
            form = loose.parse_known_args(argv)[0].log_format
        except _UsageError:
            form = "auto"
        setup_logging(0, False, form if form in ("text", "json") else "auto")
        _SUMMARY["json_stdout"] = "--json" in argv  # the reader of stdout parses it
        if _SUMMARY["handler"] is None:  # text: argparse's own usage lines
            with contextlib.suppress(OSError, ValueError):
                exc.parser.print_usage(sys.stderr)
        _line(f"error: {exc} (see {exc.parser.prog} --help)", logging.ERROR, exit_code=2)
        raise SystemExit(EXIT_USER_ERROR) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``route-risk`` command."""
    parser = _Parser(
        prog="route-risk",
        description="H3 hexagon risk scores from seizures, vessel tracks and rasters, "
        "published as an offline HTML map plus GIS tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _log_options(parser, argparse.SUPPRESS, prefix=_BEFORE)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _Parser(add_help=False)
    _log_options(common, argparse.SUPPRESS)

    p = sub.add_parser(
        "run",
        parents=[common],
        help="run the whole pipeline for a config",
        description="Ingest, compute cell features, score, render and publish.",
    )
    p.add_argument("config", help="YAML config file")
    p.add_argument(
        "--as-of",
        dest="as_of",
        metavar="DATE",
        help="reference date (YYYY-MM-DD, or today / yesterday: the UTC day of, or before, "
        "the run's start); overrides run.as_of",
    )
    p.add_argument("--out", metavar="DIR", help="output folder; overrides run.out_dir")
    p.add_argument(
        "--force", action="store_true", help="recompute even if the outputs are up to date"
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="a full run: compute every stage from the inputs, reading nothing from the"
        " stage cache (implies --force)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="generate the demo data and run the demo config",
        description="Generate the seeded demo data into DIR/inputs and run the "
        "packaged demo config, writing the map into DIR.",
    )
    p.add_argument(
        "--out", metavar="DIR", default="out/demo", help="output folder (default out/demo)"
    )
    p.add_argument("--seed", type=int, default=20260630, help="seed of the demo data")
    p.add_argument("--config", metavar="CONFIG", help="use this config instead of the packaged one")
    p.set_defaults(func=_cmd_demo)

    for name, func, text in (
        (
            "status",
            _cmd_status,
            "did the last run succeed, how old is the map, are the inputs fresh",
        ),
        ("history", _cmd_history, "one line per kept run (* marks the published one)"),
    ):
        p = sub.add_parser(
            name, parents=[common], help=text, description=text[0].upper() + text[1:] + "."
        )
        p.add_argument("out_dir", metavar="OUT", help="the output folder of the runs")
        p.add_argument("--json", action="store_true", help="print JSON")
        if name == "status":
            p.add_argument(
                "--max-map-age",
                metavar="HOURS",
                type=_hours,
                help="a published map older than this needs attention (exit 1)",
            )
            p.add_argument(
                "--no-verify",
                action="store_true",
                help="do not hash the published outputs against the manifest (faster; "
                "reported as 'not checked')",
            )
        p.set_defaults(func=func)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a config without running it",
        description="Validate a config: keys, values and that the inputs exist.",
    )
    p.add_argument("config", help="YAML config file")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="try one input file as the pipeline would",
        description="Ingest one file and summarise what was accepted and rejected.",
    )
    p.add_argument("kind", choices=["seizures", "tracks", "raster"])
    p.add_argument("path", help="the file")
    p.add_argument(
        "--config",
        metavar="CONFIG",
        help="take ingest options, as_of and area from it, and this file's own reading "
        "options (columns, crs, dayfirst, ...) when it is one of the config's inputs",
    )
    p.add_argument(
        "--columns",
        metavar="NAME=COLUMN",
        action="append",
        help="map a column, e.g. --columns lat=Y,lon=X or --columns time=ts (repeatable; "
        "overrides the config's mapping)",
    )
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_const",
        const=True,
        default=None,
        help="read dates like 03/04/2020 as 3 April",
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="read dates like 03/04/2020 as 4 March",
    )
    p.add_argument(
        "--crs",
        metavar="CRS",
        help="CRS of coordinates the file does not declare (e.g. EPSG:32633)",
    )
    p.add_argument(
        "--select",
        metavar="DIM=VALUE",
        action="append",
        help="rasters: one step of a NetCDF dimension, e.g. --select level=850,time=-1",
    )
    p.add_argument(
        "--nodata",
        metavar="VALUE",
        type=float,
        help="rasters: a value meaning no data that the file does not declare (e.g. -9999)",
    )
    p.add_argument(
        "--mask",
        metavar="PATH",
        help="rasters: a companion on the same grid whose pixels below --mask-min (or "
        "nodata) are missing, e.g. a VIIRS cf_cvg.tif (replaces the config's mask)",
    )
    p.add_argument(
        "--mask-min",
        metavar="N",
        type=float,
        help="rasters: the companion's threshold (default: the mask option's, 1)",
    )
    p.add_argument(
        "--mask-max",
        metavar="N",
        type=float,
        help="rasters: the companion's upper bound: pixels above it are missing too (a quality "
        "flag whose 0 is best, e.g. --mask-min 0 --mask-max 1)",
    )
    p.add_argument("--out", metavar="DIR", help="write rejects/<source>.csv here")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_ingest)
    return parser


#: The prefix of the log options' names given before the subcommand: argparse lets the
#: subcommand's parser overwrite what the top-level one set under the same name, so
#: ``-v run CONFIG -v`` was ``-v`` (its second count started again from nothing), not ``-vv``.
_BEFORE = "before_"


def _log_options(parser: argparse.ArgumentParser, default, prefix: str = "") -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest=f"{prefix}verbose",
        default=default,
        help="more log output (-vv: debug)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        dest=f"{prefix}quiet",
        default=default,
        help="log errors only",
    )
    parser.add_argument(
        "--log-format",
        choices=["auto", "text", "json"],
        dest=f"{prefix}log_format",
        default=default,
        help="auto (default): text on a terminal, JSON lines otherwise",
    )


def _log_settings(args: argparse.Namespace) -> tuple[int, bool, str]:
    """Return ``-v`` (counted before and after the subcommand), ``-q`` and ``--log-format``.

    A ``--log-format`` after the subcommand wins over one before it, as a later option does.
    """
    verbose = getattr(args, "verbose", 0) + getattr(args, f"{_BEFORE}verbose", 0)
    quiet = getattr(args, "quiet", False) or getattr(args, f"{_BEFORE}quiet", False)
    form = getattr(args, "log_format", getattr(args, f"{_BEFORE}log_format", "auto"))
    return verbose, quiet, form


#: Loggers of the libraries that run the Dask engine: they set their own level (INFO) when
#: imported, so their records reach the handler whatever the root's level; at INFO they
#: narrate the cluster's life (workers, comms, nannies: ~40 lines a run), shown from -vv.
_CHATTY = ("distributed", "tornado", "bokeh")


class _LevelFilter(logging.Filter):
    """Pass records at the command's level, those of :data:`_CHATTY` from ``chatty`` on."""

    def __init__(self, level: int, chatty: int) -> None:
        super().__init__()
        self.level, self.chatty = level, chatty

    def filter(self, record: logging.LogRecord) -> bool:
        top = record.name.partition(".")[0]
        return record.levelno >= (self.chatty if top in _CHATTY else self.level)


def setup_logging(verbose: int = 0, quiet: bool = False, log_format: str = "auto") -> None:
    """Configure the root logger for the command (the library only logs, never prints).

    The level is applied by the handler too, so a library that sets its own logger's level
    (``distributed`` sets INFO when imported) does not log below it; the Dask engine's
    INFO lines need ``-vv``.
    """
    level = logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_LevelFilter(level, max(level, logging.WARNING if verbose < 2 else 0)))
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    if as_json:
        from pythonjsonlogger.json import JsonFormatter

        handler.addFilter(_with_run_id)

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(
            _OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    _SUMMARY.update(quiet=quiet, handler=handler if as_json else None)
    logging.captureWarnings(True)  # pandas, pyogrio, our own warnings: into the log


def _run_id() -> str | None:
    """Return the id of the run this command runs or ran (None before it has one)."""
    run = sys.modules.get(f"{__package__}.run")  # not imported: no run
    return run.current_run_id() if run is not None else None


def _with_run_id(record: logging.LogRecord) -> bool:
    """Label a JSON log record with the id of the command's run (a field ``run_id``)."""
    run_id = _run_id()
    if run_id is not None and not hasattr(record, "run_id"):
        record.run_id = run_id
    return True


class _OneLineFormatter(logging.Formatter):
    """Text log lines, one per record: control characters of the message escaped.

    A file name holding a newline (or a terminal escape) made one message two lines for
    the reader (and ``grep``); a traceback that follows the message keeps its lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        """Return the traceback, each line escaped as a message is (a file name's ESC)."""
        return "\n".join(map(one_line, super().formatException(ei).split("\n")))


class Terminated(BaseException):
    """SIGTERM arrived (a scheduler or ``systemctl stop``): unwind, clean up, exit 143."""

    exit_code = EXIT_TERMINATED
    word = "terminated"


class HungUp(Terminated):
    """SIGHUP arrived (the terminal of a manual run went away): as SIGTERM, exit 129."""

    exit_code = EXIT_HUNG_UP
    word = "hung up (SIGHUP)"


#: The stop signals the command handles, and what each raises.
_STOPS: dict[int, type[BaseException]] = {
    signal.SIGTERM: Terminated,
    signal.SIGINT: KeyboardInterrupt,
    signal.SIGHUP: HungUp,
}


def _on_stop(signum: int, frame) -> None:
    """Raise the stop signal's exception; from now on, further stop signals are ignored.

    A second SIGTERM (``kill`` twice, a scheduler's retry) or Ctrl-C would land in the
    cleanup of the first - leaving a run folder without its ``status.json`` - not stop more.
    """
    for sig in _STOPS:
        signal.signal(sig, signal.SIG_IGN)
    raise _STOPS[signum]()


def _handle_stops() -> dict[int, Any]:
    """Install :func:`_on_stop` for the stop signals; return the handlers it replaced.

    A signal ignored when the command starts stays ignored (``nohup``, a background job's
    SIGINT): the caller asked for that.
    """
    previous = {}
    for sig in _STOPS:
        old = signal.getsignal(sig)
        if old is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, _on_stop)
    return previous


def _standard_streams() -> None:
    """Give closed standard descriptors ``/dev/null`` (and Python its streams over them).

    A command started with stdout or stderr closed (``>&-``, some daemons) would otherwise
    hand descriptor 1 or 2 to the next file it opens - a lock, an output - and a library's
    message on "stderr" would be written into it.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            got = os.open(os.devnull, os.O_RDWR)
            if got != fd:  # only when a lower one was closed too: it became that one
                os.dup2(got, fd)
    for name, fd in (("stdout", 1), ("stderr", 2)):
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "w", closefd=False, errors="backslashreplace"))  # noqa: SIM115
    # stdout as stderr is: a character its encoding lacks (a name in Japanese under a
    # Latin-1 or ASCII locale, PYTHONIOENCODING=ascii) is written as its escape; strict, it
    # ended `status` and `history` in UnicodeEncodeError, exit 70
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


def _outcome(exc: BaseException) -> str:
    """Return what became of the published set when ``exc`` ended the command.

    A run raises after it published only when a stop arrived while the set was being
    published (signals are held then), or when its report could not be written: its
    exception then names the run (``published_run``), and the line must not say otherwise.
    """
    run_id = getattr(exc, "published_run", None)
    if run_id:
        return f"run {run_id} had been published, whole, before that"
    return "the last published set is unchanged"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``route-risk`` command; returns the exit code."""
    _standard_streams()
    _SUMMARY["json_stdout"] = False  # a refused command line: its --json is not known
    if (run := sys.modules.get(f"{__package__}.run")) is not None:
        run.current_run_id(forget=True)  # an earlier command's run (one process, a test)
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(parser, argv)
    args.command_line = ["route-risk", *argv]
    _SUMMARY["json_stdout"] = bool(getattr(args, "json", False))
    setup_logging(*_log_settings(args))
    previous = _handle_stops()
    try:
        code = args.func(args)
        # what was printed reaches its reader now, not at exit, where a reader gone or a
        # full disk would end in "Exception ignored" and exit 120
        sys.stdout.flush()
        return code
    except RunLockedError as exc:
        _line(f"busy: {exc}", logging.WARNING, exit_code=EXIT_TEMPFAIL)
        return EXIT_TEMPFAIL
    except RouteRiskError as exc:
        _line(f"error: {exc}", logging.ERROR, exit_code=EXIT_USER_ERROR)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # the reader of stdout went away (`route-risk ingest ... | head -1`): stop quietly,
        # as a shell tool killed by SIGPIPE does; nothing more can be written there
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE
    except PermissionError as exc:
        # a folder or file this user may not write (or read): theirs to fix, one line; the
        # commands that only read ask for a user who may read
        where = f" ({exc.filename})" if exc.filename else ""
        may = "read" if args.func in (_cmd_status, _cmd_history) else "write"
        _line(
            f"error: {exc.strerror or exc}{where}: run as a user who may {may} "
            f"there, or choose another folder; {_outcome(exc)}",
            logging.ERROR,
            exit_code=EXIT_USER_ERROR,
        )
        return EXIT_USER_ERROR
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            return _bug(exc)
        _stdout_to_devnull()  # stdout's own disk may be the full one: nothing more goes there
        where = f" ({exc.filename})" if exc.filename else ""
        _line(
            f"error: {exc.strerror or exc}{where}; {_outcome(exc)}",
            logging.ERROR,
            exit_code=EXIT_IOERR,
        )
        return EXIT_IOERR
    except KeyboardInterrupt as exc:
        _line(f"interrupted; {_outcome(exc)}", logging.WARNING, exit_code=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        _line(f"{exc.word}; {_outcome(exc)}", logging.WARNING, exit_code=exc.exit_code)
        return exc.exit_code
    except Exception as exc:
        return _bug(exc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        try:  # the log's last lines; a stderr that cannot take them must not end in exit 120
            sys.stderr.flush()
        except (OSError, ValueError):
            _to_devnull(2)


def _stdout_to_devnull() -> None:
    """Point stdout at ``/dev/null``: what Python still holds for it is dropped at exit."""
    _to_devnull(1)


def _to_devnull(fd: int) -> None:
    """Point descriptor ``fd`` at ``/dev/null`` (a stream that failed: nothing more goes there)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)


def _bug(exc: BaseException) -> int:
    """Report an exception route-risk did not foresee - a bug - with its traceback; exit 70.

    In the logs' form: a JSON-lines log gets one line (the traceback in ``exc_info``), not
    a page of text.  A run records it in its ``status.json`` (failed) before this.
    """
    _line(
        f"internal error (a bug, please report it with this traceback): "
        f"{type(exc).__name__}: {exc}; {_outcome(exc)}",
        logging.CRITICAL,
        exc,
        exit_code=EXIT_SOFTWARE,
    )
    return EXIT_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
