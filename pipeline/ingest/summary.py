"""Reject files, the reject-rate ceiling and the one-file summary behind ``route-risk ingest``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._terminal import one_line, share_to_percent
from ..errors import ConfigError, DataQualityError, InputError
from ..io import atomic_path, write_csv
from ..schema import REJECT_COLUMNS
from ._archive import source_stem
from ._common import IngestResult, empty_csv
from .options import IngestOptions, RasterSource, SeizureSource, TrackSource

if TYPE_CHECKING:
    from .stream import TrackSpill

__all__ = [
    "assumptions_to_line",
    "check_balance",
    "check_reject_rate",
    "format_summary",
    "json_safe",
    "summarise_ingest",
    "top_rules",
    "write_rejects",
]


def write_rejects(result: IngestResult, out_dir: Path, name: str | None = None) -> Path:
    """Write ``out_dir/rejects/<name or source stem>.csv`` atomically and return its path.

    The file is written even when there are no rejects (header only), so a rerun never
    leaves a stale reject list behind.
    """
    path = Path(out_dir) / "rejects" / f"{name or source_stem(result.source)}.csv"
    frame = result.rejects
    if frame.empty:  # the header alone, as write_csv writes it (made once)
        with atomic_path(path, ".csv") as tmp:
            tmp.write_bytes(empty_csv(tuple(REJECT_COLUMNS)))
        return path
    return write_csv(frame[list(REJECT_COLUMNS)], path)


def top_rules(by_rule: Mapping[str, int], limit: int = 3) -> str:
    """Return ``"rule n, rule n, ..."``: the rules that rejected most records, most first."""
    top = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    said = ", ".join(f"{k} {v}" for k, v in top[:limit])
    return said + (", ..." if len(top) > limit else "")


def check_reject_rate(
    result: IngestResult | TrackSpill,
    max_rate: float,
    out_of_scope: dict[str, str] | None = None,
) -> None:
    """Raise :class:`DataQualityError` when the share of rejected records exceeds ``max_rate``.

    ``out_of_scope`` adds rules whose records the run does not count (rule -> what it says),
    as records outside the area are not.

    Raises
    ------
    DataQualityError
        Naming the file, the rate, the ceiling and the three most frequent rules.
    InputError
        If ``max_rate`` is not in [0, 1].
    """
    if not 0.0 <= float(max_rate) <= 1.0:
        raise InputError(f"max_reject_rate must be in [0, 1], got {max_rate!r}")
    # Records outside the area of interest are out of scope, not bad data: they are written
    # to the rejects file like any other, but a run on a sub-area must not fail closed for them.
    # Nor must a file that overlaps an earlier one (its repeats are rejected, not bad), nor a
    # map of an earlier day for the later records (after_as_of; a date after today is bad).
    # Nor a raw AIS log's lines that are read right and are no position: another message
    # (a coast station's type 4, static data in parts) or a report heard again - a second
    # receiver's log, whose positions an earlier log mostly gave, was refused for them;
    # nor its '#' comment lines (a short log under a long banner of notes was refused).
    scope_rules = {
        "outside_aoi": "outside the area",
        "after_as_of": "after as_of",
        "duplicate_across_files": "given by an earlier file",
        "nmea_duplicate": "raw AIS reports heard again",
        "nmea_not_position": "raw AIS messages of other types",
        "nmea_multipart": "parts of raw AIS messages in several sentences",
        "nmea_comment": "comment lines of raw AIS logs",
        **(out_of_scope or {}),
    }
    scope = sum(result.by_rule.get(r, 0) for r in scope_rules)
    bad = result.n_rejected - scope
    no_position = {r: n for r in _NO_POSITION if (n := result.by_rule.get(r, 0))}
    nothing = result.n_read and not result.n_accepted and max_rate < 1
    if nothing and sum(no_position.values()) == result.n_rejected:
        # out of the count, a raw AIS log of no position at all (static data, a coast
        # station's reports: a receiver's filter set wrong) passed with nothing read, exit 0
        raise DataQualityError(
            f"{result.source}: no position report in its {result.n_read} raw AIS line(s) "
            f"({top_rules(no_position)}): no ping to read"
        )
    in_scope = result.n_read - scope
    rate = bad / in_scope if in_scope else 0.0
    if rate > max_rate:
        rules = top_rules({k: v for k, v in result.by_rule.items() if k not in scope_rules})
        besides = ", ".join(
            f"{n} {what}" for r, what in scope_rules.items() if (n := result.by_rule.get(r, 0))
        )
        raise DataQualityError(
            f"{result.source}: {bad} of {in_scope} records in scope rejected "
            f"({share_to_percent(rate, 1)}), above the ceiling max_reject_rate={max_rate:g}; top rules: {rules}"
            + (f" (not counted: {besides})" if besides else "")
        )


#: Rules of raw AIS lines read right that hold no new position (out of the ceiling's count).
_NO_POSITION = ("nmea_duplicate", "nmea_not_position", "nmea_multipart", "nmea_comment")


def _mismatched_source(kind: str, source: object, expected: type) -> ConfigError:
    return ConfigError(
        f"kind {kind!r} needs a str, Path or {expected.__name__}, got a {type(source).__name__}"
    )


def check_balance(result: IngestResult | TrackSpill, path: str | Path | None = None) -> None:
    """Refuse a file whose records do not add up: ``read = accepted + rejected``, by rule too.

    ``result`` is an :class:`IngestResult` (its rejects are rows) or a track spill (its
    rejects are counts).  A reader that dropped a record without writing it to the rejects
    would still balance where ``rejected`` is taken as ``read - accepted``, and the record
    would be lost without a word: the rejects (the rows, or a spill's count) and their counts
    by rule must make up the difference.  A failure is a bug of the reader, not the user's:
    ``RuntimeError`` (the command's internal error, exit 70), naming the file and the numbers.
    """
    read, accepted = int(result.n_read), int(result.n_accepted)
    by_rule = int(sum(result.by_rule.values()))
    written = len(result.rejects) if isinstance(result, IngestResult) else by_rule
    if accepted < 0 or read - accepted != written or written != by_rule:
        name = str(path if path is not None else result.source)
        raise RuntimeError(
            f"{name!r}: read {read} records, accepted {accepted} but rejected {written} "
            f"({by_rule} by rule): records would be lost without a word - a bug of its "
            "reader, please report it with the file"
        )


def summarise_ingest(
    kind: Literal["seizures", "tracks", "raster"],
    path: str | Path | SeizureSource | TrackSource | RasterSource,
    *,
    options: IngestOptions | None = None,
    out_dir: Path | None = None,
    as_of: dt.date | str | None = None,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    by_centres: bool = False,
) -> dict[str, Any]:
    """Ingest one file as a user would and return a JSON-able summary.

    Parameters
    ----------
    kind : {"seizures", "tracks", "raster"}
        What the file holds.
    path : str, Path or a source model
        The file, or its source options (columns, CRS, ...); a model must match ``kind``.
    options : IngestOptions, optional
        Reject-rate ceiling, speed limit, memory budget (defaults when None).
    out_dir : Path, optional
        Where ``rejects/<kind>-<stem>.csv`` is written, the name a run gives the same input
        (not written when None).
    as_of, aoi_bbox
        Passed to the readers.
    by_centres : bool, default False
        Read a curvilinear NetCDF grid by its pixel centres (zonal ``method: centre``), as
        a run does (its summary then has ``curvilinear`` and a note naming the method a run
        needs); else it is refused (see :func:`~pipeline.ingest.open_raster`).

    Returns
    -------
    dict
        Strict JSON (no NaN): ``kind``, ``source``, ``read``, ``accepted``, ``rejected``,
        ``reject_rate``, ``rejects_file``, ``by_rule``, ``notes``, ``assumptions`` (see
        :class:`IngestResult`), ``usable``; for tracks ``vessels``; for rasters ``crs``,
        ``shape``, ``bands``, ``bounds``, ``valid_fraction``, ``assumptions`` and
        ``coverage`` (:func:`~pipeline.ingest.raster_coverage` against ``aoi_bbox``).

    Raises
    ------
    SourceUnreadable, InputError, DataQualityError
        When the file is not usable (the CLI maps these to exit code 2): a raster that
        misses the area or holds only nodata there is refused here.
    ConfigError
        If ``path`` is a source model of another kind.
    """
    from .rasters import describe_raster, open_raster, raster_coverage
    from .seizures import read_seizures
    from .stream import estimate_records
    from .tracks import read_tracks

    opts = options or IngestOptions()
    if kind == "raster":
        if isinstance(path, SeizureSource | TrackSource):
            raise _mismatched_source(kind, path, RasterSource)
        da = open_raster(path, memory_budget_mb=opts.memory_budget_mb, by_centres=by_centres)
        # the area's window is checked (and refused above the pixel budget) before the
        # whole raster is described
        coverage = raster_coverage(da, aoi_bbox, max_pixels=opts.max_raster_pixels)
        desc = describe_raster(da, max_pixels=opts.max_raster_pixels)
        notes = [n for n in (desc.pop("note", None), coverage["note"]) if n]
        notes += [coverage.pop("mask_note")] if "mask_note" in coverage else []
        notes += [coverage.pop("coordinates_note")] if "coordinates_note" in coverage else []
        if "curvilinear" in desc:
            grid = desc["curvilinear"]
            notes.append(
                f"{da.attrs.get('source_file')}: a curvilinear grid placed by its 2-D "
                f"latitude/longitude {grid['lat']!r}/{grid['lon']!r} "
                f"({', '.join(grid['dims'])}): a run reads it only with zonal: {{method: "
                "centre}, each pixel counting for the H3 cell holding its centre"
            )
        return json_safe(
            {
                "kind": kind,
                "source": da.attrs.get("source_file"),
                "usable": True,
                "notes": notes,
                **desc,
                "coverage": {k: v for k, v in coverage.items() if k != "note"},
            }
        )
    if kind == "seizures":
        if isinstance(path, TrackSource | RasterSource):
            raise _mismatched_source(kind, path, SeizureSource)
        result = read_seizures(
            path, as_of=as_of, aoi_bbox=aoi_bbox, max_uncompressed_mb=opts.max_uncompressed_mb
        )
    elif kind == "tracks":
        if isinstance(path, SeizureSource | RasterSource):
            raise _mismatched_source(kind, path, TrackSource)
        src_path = path.path if isinstance(path, TrackSource) else Path(path)
        if opts.chunk_rows is not None and estimate_records(src_path) > opts.chunk_rows:
            return _summarise_tracks_in_chunks(path, opts, out_dir, aoi_bbox)
        result = read_tracks(
            path,
            aoi_bbox=aoi_bbox,
            max_speed_kn=opts.max_speed_kn,
            max_uncompressed_mb=opts.max_uncompressed_mb,
        )
    else:
        raise InputError(f"kind must be one of ['seizures', 'tracks', 'raster'], got {kind!r}")
    rejects_file = (
        str(write_rejects(result, out_dir, _rejects_stem(kind, _source_path(path))))
        if out_dir is not None
        else None
    )
    check_balance(result)
    check_reject_rate(result, opts.max_reject_rate)
    summary: dict[str, Any] = {
        "kind": kind,
        "source": result.source,
        "read": result.n_read,
        "accepted": result.n_accepted,
        "rejected": result.n_rejected,
        "reject_rate": round(result.reject_rate, 6),
        "rejects_file": rejects_file,
        "by_rule": dict(result.by_rule),
        "notes": list(result.notes),
        "assumptions": result.assumptions,
        "usable": result.n_accepted > 0,
    }
    if kind == "tracks":
        summary["vessels"] = int(result.frame["vessel_id"].nunique())
    return json_safe(summary)


def _summarise_tracks_in_chunks(path, opts: IngestOptions, out_dir, aoi_bbox) -> dict[str, Any]:
    """:func:`summarise_ingest` of a track file larger than ``chunk_rows``: read in chunks."""
    import tempfile

    from .stream import n_buckets_for, spill_tracks

    assert opts.chunk_rows is not None
    src_path = path.path if isinstance(path, TrackSource) else Path(path)
    with tempfile.TemporaryDirectory(
        prefix=".spill-", dir=out_dir if out_dir is not None and Path(out_dir).is_dir() else None
    ) as tmp:
        spill = spill_tracks(
            path,
            Path(tmp),
            chunk_rows=opts.chunk_rows,
            n_buckets=n_buckets_for(src_path.stat().st_size, opts.chunk_rows),
            aoi_bbox=aoi_bbox,
            max_speed_kn=opts.max_speed_kn,
            max_uncompressed_mb=opts.max_uncompressed_mb,
        )
        rejects_file = (
            str(spill.write_rejects(out_dir, _rejects_stem("tracks", src_path)))
            if out_dir is not None
            else None
        )
    check_balance(spill)
    check_reject_rate(spill, opts.max_reject_rate)
    return json_safe(
        {
            "kind": "tracks",
            "source": spill.source,
            "read": spill.n_read,
            "accepted": spill.n_accepted,
            "rejected": spill.n_rejected,
            "reject_rate": round(spill.reject_rate, 6),
            "rejects_file": rejects_file,
            "by_rule": dict(spill.by_rule),
            "notes": list(spill.notes),
            "assumptions": spill.assumptions,
            "usable": spill.n_accepted > 0,
            "vessels": int(len(spill.vessels)),
        }
    )


def _source_path(path: str | Path | SeizureSource | TrackSource | RasterSource) -> Path:
    return (
        Path(path.path)
        if isinstance(path, SeizureSource | TrackSource | RasterSource)
        else Path(path)
    )


def _rejects_stem(kind: str, source: str | Path) -> str:
    """Return ``<kind>-<source stem>``: the name a run gives the same input's rejects file.

    ``route-risk ingest --out DIR`` and ``route-risk run`` write ``rejects/tracks-ais.csv``
    alike, so a file tried alone is found where the run's would be.
    """
    return f"{kind}-{source_stem(source)}"


def json_safe(value: Any) -> Any:
    """Return ``value`` with NaN/inf as None and numpy scalars as Python ones (strict JSON).

    ``json.dumps`` writes ``NaN``, which is not JSON; every summary and assumption passes
    through here so ``json.dumps(..., allow_nan=False)`` always succeeds.
    """
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _lines(lines: list[str]) -> str:
    """Join the summary's lines, each kept one line: a file name's newline is escaped.

    So are the other characters a terminal acts on or hides (as in the command's own lines,
    :func:`pipeline._terminal.one_line`): C1 controls (U+009B, a CSI), line separators,
    bidirectional marks and overrides, zero-width and other format characters.
    """
    return "\n".join(map(one_line, lines))


def format_summary(summary: dict[str, Any]) -> str:
    """Return the human-readable text of a :func:`summarise_ingest` summary."""
    lines = [f"{summary.get('source')} ({summary.get('kind')})"]
    if summary.get("kind") == "raster":
        lines += [
            f"  CRS            {summary.get('crs')}",
            f"  shape          {summary.get('shape')} (band, y, x)",
            f"  bounds lon/lat {summary.get('bounds')}",
            f"  valid fraction {share_to_percent(summary.get('valid_fraction'), 2)}",
        ]
        if grid := summary.get("curvilinear"):
            lines.insert(
                3,
                f"  curvilinear    2-D {grid['lat']!r}/{grid['lon']!r} "
                f"({', '.join(grid['dims'])}), {grid['pixels']:,} pixels, placed by their centres",
            )
        cov = summary.get("coverage") or {}
        if cov:
            lines.append(
                f"  area coverage  {share_to_percent(cov.get('overlap_fraction'))} of the bbox, "
                f"{share_to_percent(cov.get('valid_fraction_in_area'))} of its cells valid"
            )
        if "masked_in_area" in cov:
            lines.append(
                f"  masked         {cov['masked_in_area']:,} of {cov.get('pixels_in_area', 0):,} "
                "pixels (the companion mask: no observation)"
            )
        if summary.get("windowed"):
            lines.append("  larger than the memory budget: read in windows")
        lines += _assumption_lines(summary.get("assumptions") or {})
        for note in summary.get("notes", []):
            lines.append(f"  note: {note}")
        return _lines(lines)
    lines.append(
        f"  read {summary['read']}, accepted {summary['accepted']}, rejected "
        f"{summary['rejected']} ({share_to_percent(summary['reject_rate'], 1)})"
    )
    if "vessels" in summary:
        lines.append(f"  vessels        {summary['vessels']}")
    for rule, count in sorted(summary.get("by_rule", {}).items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {rule:<22} {count}")
    if summary.get("rejects_file"):
        lines.append(f"  rejects        {summary['rejects_file']}")
    lines += _assumption_lines(summary.get("assumptions") or {})
    for note in summary.get("notes", []):
        lines.append(f"  note: {note}")
    return _lines(lines)


def assumptions_to_line(a: Mapping[str, Any] | None) -> str:
    """Return an input's assumptions in one line for a run's summary ("" when it made none).

    Which column was read as what (lat, lon, time, vessel id, ...), the date order or
    format, the time zone, the CRS, the speed and quantity units and a raster's nodata: the
    guesses :func:`format_summary` gives a line each, as ``route-risk run`` says them per
    input (the manifest's ``assumptions`` hold the evidence).

    Examples
    --------
    >>> assumptions_to_line({"columns": {"lat": {"column": "Y"}, "lon": {"column": "X"}},
    ...     "crs": {"value": "EPSG:4326", "by": "default"}})
    "assumed: columns lat 'Y', lon 'X' | CRS EPSG:4326 (default)"
    """
    if not a:
        return ""
    cols = [
        f"{role} {e['column']!r}"
        for role, e in (a.get("columns") or {}).items()
        if isinstance(e, Mapping) and e.get("column") is not None
    ]
    parts = [f"columns {', '.join(cols)}"] if cols else []
    dates = a.get("dates") or {}
    if dates.get("order"):
        parts.append(f"dates {dates['order']} ({dates.get('order_by')})")
    elif dates.get("formats"):
        parts.append(f"dates {', '.join(map(str, dates['formats']))}")
    if a.get("time_zone"):
        parts.append(f"time zone: {a['time_zone']}")
    crs = a.get("crs") or {}
    if crs.get("value"):
        parts.append(f"CRS {crs['value']} ({crs.get('by')})")
    if a.get("speed_unit"):
        parts.append(f"speed in {a['speed_unit'].get('unit')}")
    qty = a.get("quantity_unit") or {}
    if qty:
        parts.append(f"quantity {qty.get('column')!r} in {qty.get('unit')}")
    nodata = a.get("nodata") or {}
    if nodata:
        parts.append(f"nodata {nodata.get('value')!r} ({nodata.get('by')})")
    return f"assumed: {' | '.join(parts)}" if parts else ""


def _assumption_lines(a: dict[str, Any]) -> list[str]:
    """Return the assumptions, one line each: what was decided and on what evidence."""
    out = ["  assumed:"] if a else []
    for role, e in (a.get("columns") or {}).items():
        col = e.get("column")
        shown = repr(col) if col is not None else "-"
        out.append(f"    column {role:<12} {shown} ({e.get('by')}: {e.get('evidence')})")
    dates = a.get("dates") or {}
    if dates.get("order"):
        out.append(
            f"    dates          {dates['order']} ({dates.get('order_by')}: "
            f"{dates.get('order_evidence')})"
        )
    if dates.get("two_digit_years"):
        out.append(f"    two-digit years {dates['two_digit_years']}")
    if dates.get("same_day"):
        out.append(f"    one day        every dated record falls on {dates['same_day']}")
    tod = a.get("time_of_day")
    if tod:
        out.append(
            f"    time of day    {tod['column']!r}: {tod['combined']} combined, "
            f"{tod['naive_as_utc']} taken as UTC, {tod['local_not_combined']} local not used, "
            f"{tod['unparseable']} not understood"
        )
    if a.get("time_zone"):
        out.append(f"    time zone      {a['time_zone']}")
    crs = a.get("crs")
    if crs:
        out.append(
            f"    CRS            {crs.get('value')} ({crs.get('by')}: {crs.get('evidence')})"
        )
    qty = a.get("quantity_unit")
    if qty:
        fmt = qty.get("number_format") or {}
        mark = f"; decimal {fmt['decimal_mark']!r}" if fmt.get("decimal_mark") else ""
        decided = f" ({fmt['decided_by']})" if fmt.get("decided_by") else ""
        out.append(
            f"    quantity       {qty.get('column')!r} in {qty.get('unit')} "
            f"({qty.get('by')}){mark}{decided}"
        )
    sheet = a.get("sheet")
    if sheet:
        out.append(f"    sheet          {sheet.get('value')!r} ({sheet.get('by')})")
    if a.get("header_line"):
        out.append(f"    header line    {a['header_line']}")
    nodata = a.get("nodata")
    if nodata:
        out.append(
            f"    nodata         {nodata.get('value')!r} ({nodata.get('by')}: {nodata.get('evidence')})"
        )
    if a.get("scale_offset"):
        out.append(f"    packed values  {a['scale_offset']}")
    # a raster's rules of missing values (companion mask, valid range, fill tags, flags),
    # a meridian its grid holds twice and the variables a NetCDF grid is placed by
    keys = ("mask", "valid_range", "flag_values", "repeated_meridian", "coordinates")
    ruled = [(k, a.get(k)) for k in keys]
    ruled += [("fill tag", f) for f in a.get("fill_tags") or []]
    for label, rule in ruled:
        if rule:
            out.append(
                f"    {label.replace('_', ' '):<14} {rule.get('value')!r} "
                f"({rule.get('by')}: {rule.get('evidence')})"
            )
    for key in ("schema", "encoding", "delimiter", "selection", "bands", "longitudes"):
        if a.get(key) not in (None, "", {}):
            out.append(
                f"    {key:<14} {a[key]!r}" if key == "delimiter" else f"    {key:<14} {a[key]}"
            )
    if a.get("speed_unit"):
        out.append(f"    speed unit     {a['speed_unit']['unit']} ({a['speed_unit']['evidence']})")
    if a.get("archive_member"):
        m = a["archive_member"]
        out.append(f"    zip member     {m['member']!r} ({m['declared_mb']} MiB uncompressed)")
    if a.get("compression"):
        c = a["compression"]
        out.append(f"    compression    {c['codec']} ({c['uncompressed_mb']} MiB uncompressed)")
    cats = a.get("categories") or {}
    for label, spellings in list((cats.get("merged") or {}).items())[:10]:
        out.append(f"    category       {label!r} <- {spellings!r}")
    return out
