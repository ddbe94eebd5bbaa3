"""Read context layers: ports (points), shipping lanes (lines), land (polygons or coastlines).

Any vector format GDAL reads (GeoJSON, GeoPackage, Shapefile, GeoParquet, a ``.zip`` holding
one), or a CSV: latitude/longitude columns for ports, or a WKT column for any kind.  Every
layer comes out in EPSG:4326 with one row per usable feature and every other feature in the
rejects with its rule, so ``read == accepted + rejected`` as for the other readers.

CRS: a file that declares one is reprojected; a file that does not is refused unless the
source gives ``crs`` (a Shapefile without ``.prj`` is the common case), except a CSV whose
latitude/longitude columns lie within degree ranges, which is read as EPSG:4326 and says so in
the assumptions.  Invalid polygons (Natural Earth's 1:110m land has a self-intersecting ring)
are repaired with :func:`shapely.make_valid` and counted; a polygon that cannot be repaired is
rejected.

A land layer may be a coastline (lines): distances to the coast are then measured to it, and
a note says that no cell is known to be on land.

A lanes layer may hold lines or areas: NOAA's shipping fairways and lanes and the IMO traffic
separation schemes of the charts are polygons (a lane, a separation zone, a fairway), and a
cell inside one is 0 km from the lane (a note says so).

Rule ids (first failing rule per feature): ``ragged_row``, ``unbalanced_quote``,
``geometry_missing``, ``coord_missing``, ``coord_unparseable``, ``lat_out_of_range``,
``lon_out_of_range``, ``geometry_unparseable`` (WKT), ``geometry_wrong_type`` (a line in a
ports layer, a point in a land layer, ...), ``geometry_invalid`` (non-finite coordinates or an
unrepairable polygon), ``coord_out_of_crs`` (cannot be transformed to EPSG:4326),
``lat_out_of_range`` and ``lon_out_of_range`` again after the transform (a layer declared or
configured in EPSG:4326 is not transformed: a latitude beyond ±90 anywhere, a point's longitude
beyond ±180), ``null_island`` (a point at exactly 0°, 0°: a missing position written as
zeros).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._ctype import use_ascii_case
from ..errors import InputError
from ._columns import (
    compose_coordinate,
    coordinate_parts,
    dated_events,
    hemisphere_missing,
    infer_columns,
    part_missing,
    vessel_positions,
)
from ._common import (
    IngestResult,
    Rule,
    as_text,
    decide_misplaced,
    finish_rejects,
    first_failing,
    misplaced_counts,
    range_rules,
    read_text_table,
)
from ._positions import PAIR_UNREADABLE, read_positions, split_pair_column
from ._vector import (
    OpenedSource,
    kml_remote_links_note,
    open_source,
    read_vector,
    spatial_layer,
)
from .options import ContextSource

__all__ = ["CONTEXT_KINDS", "CONTEXT_RULES", "check_ports_placement", "read_context"]

log = logging.getLogger(__name__)

#: Kind -> the geometry types it accepts (shapely type ids) and their name.
CONTEXT_KINDS: dict[str, tuple[tuple[int, ...], str]] = {
    "ports": ((0, 4), "points"),
    "lanes": ((1, 3, 5, 6), "lines or lane areas (polygons)"),
    "land": ((1, 3, 5, 6), "polygons or coastline lines"),
}
CONTEXT_RULES = (
    "ragged_row",
    "unbalanced_quote",
    "geometry_missing",
    "coord_missing",
    "coord_unparseable",
    "lat_out_of_range",
    "lon_out_of_range",
    "geometry_unparseable",
    "geometry_wrong_type",
    "geometry_invalid",
    "coord_out_of_crs",
    "null_island",
)
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "wkt_geom")
#: A geometry type's name alone, as ArcGIS writes a Shape field into a table (``Point``,
#: ``Polyline``, ``Polygon ZM``): no coordinates, never WKT (WKT's ``POINT EMPTY`` is one).
_TYPE_NAME = r"\s*(?:multi)?(?:point|polygon|polyline|linestring|multipatch)(?:\s*(?:z|m|zm))?\s*"


def _type_names_only(values: pd.Series) -> bool:
    """Whether every non-blank value is a geometry type's name alone (see :data:`_TYPE_NAME`)."""
    text = as_text(values)
    given = text[text != ""]
    return bool(len(given)) and bool(given.str.fullmatch(_TYPE_NAME, case=False).all())


def check_ports_placement(
    ports: IngestResult, aoi_bbox: tuple[float, float, float, float] | None
) -> list[str]:
    """Refuse a ports layer that misses the area only when misread; note one that misses it.

    A ports list exported with its latitude and longitude exchanged (Rotterdam at 4.1 N,
    51.9 E, in the Gulf of Aden) gives valid points elsewhere: every distance to a port
    would be measured to the wrong side of the world.  As for seizures, at most a tenth
    of the ports inside the area while a misreading puts nine tenths inside is refused;
    none inside at all is said (distances are then measured to ports beyond the area).

    Raises
    ------
    InputError
        When a misreading explains the layer.
    """
    frame = ports.frame
    if aoi_bbox is None or not len(frame):
        return []
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    # a port of several berths (a MultiPoint) by its first: a swapped layer of them had
    # passed unchecked (a centroid of berths across 180 would lie at 0)
    point = np.isin(shapely.get_type_id(geoms), (0, 4)) & ~shapely.is_empty(geoms)
    first = shapely.get_geometry(geoms[point], 0)
    lon, lat = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    lon[point], lat[point] = shapely.get_x(first), shapely.get_y(first)
    name = str(frame["source_file"].iloc[0]) if "source_file" in frame else "ports layer"
    notes = decide_misplaced(
        misplaced_counts(lon, lat, point, aoi_bbox),
        aoi_bbox,
        name,
        fix="if its latitude and longitude are swapped, set columns: {lat: ..., lon: ...} "
        "for this layer the other way round",
    )
    return [
        f"{name}: none of its {int(point.sum())} ports lies inside the area of interest "
        f"{tuple(aoi_bbox)!r}; distances are measured to the nearest of them all the same"
        for _ in notes
    ]


def read_context(
    source: ContextSource | str | Path,
    kind: str | None = None,
    columns: dict[str, str] | None = None,
    *,
    crs: str | None = None,
    max_uncompressed_mb: float = 2048.0,
) -> IngestResult:
    """Read a ports, lanes or land layer into EPSG:4326 with rejects accounted.

    Parameters
    ----------
    source : ContextSource, str or Path
        The file, or its options (which then carry ``kind``, ``columns`` and ``crs``).
    kind : {"ports", "lanes", "land"}, optional
        What the layer holds; required unless ``source`` is a :class:`ContextSource`.
    columns : dict, optional
        ``lat``, ``lon``, ``name`` or ``geometry`` (a WKT column) -> source column.
    crs : str, optional
        CRS of a file that declares none.
    max_uncompressed_mb : float, default 2048
        Bound on a zipped source's data file, and on a plain file (read whole).

    Returns
    -------
    IngestResult
        ``frame`` is a GeoDataFrame (EPSG:4326) with columns ``name``, ``source_file``,
        ``source_row`` and ``geometry``; ``assumptions`` says which columns and CRS were used.

    Raises
    ------
    InputError
        Unknown kind, no geometry or coordinate columns, or no CRS where one is needed.
    SourceUnreadable
        Missing, empty, corrupt or unsupported file.

    Examples
    --------
    >>> land = read_context("ne_110m_land.json", "land")  # doctest: +SKIP
    >>> land.frame.geom_type.unique()  # doctest: +SKIP
    array(['Polygon', 'MultiPolygon'], dtype=object)
    """
    use_ascii_case()  # the process's LC_CTYPE may have changed since the import
    if isinstance(source, ContextSource):
        src = source
        if kind is not None and kind != src.kind:
            raise InputError(f"kind {kind!r} given for a {src.kind!r} source")
    else:
        if kind not in CONTEXT_KINDS:
            raise InputError(f"context kind must be one of {sorted(CONTEXT_KINDS)!r}, got {kind!r}")
        try:
            src = ContextSource(path=Path(source), kind=kind, columns=columns or {}, crs=crs)  # type: ignore[arg-type]
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise InputError(f"{source}: {str(exc).splitlines()[-1].strip()}") from None
    name = src.path.name
    opened = open_source(
        src.path,
        "auto",
        allowed=("csv", "geojson", "gpkg", "flatgeobuf", "parquet", "shapefile", "kml"),
        max_uncompressed_mb=max_uncompressed_mb,
        member=src.member,
        read_whole="a context layer",
        format_setting=False,
    )
    assumptions: dict[str, Any] = dict(opened.assumptions)
    pre = pd.DataFrame()
    n_pre = 0
    table_notes: list[str] = []
    if opened.fmt == "csv":
        table = read_text_table(src.path, data=opened.data)
        raw, rows, table_notes = table.frame, table.lines, table.notes
        pre, n_pre = table.bad_rows, table.n_bad
        geoms, rules, layer_crs, more, table_more = _geometry_from_table(raw, src, name)
        table_notes = table_notes + table_more
        assumptions.update(more)
    elif (osm := _overpass_layer(opened, src, name)) is not None:
        raw, geoms, rules, osm_notes = osm
        rows = np.arange(1, len(raw) + 1, dtype="int64")
        layer_crs = "EPSG:4326"
        table_notes += osm_notes
        assumptions["format"] = "Overpass API JSON (OpenStreetMap elements)"
        assumptions["crs"] = {
            "by": "format",
            "evidence": "Overpass API JSON gives WGS 84 latitude/longitude",
        }
    else:
        layer, layer_note = spatial_layer(opened.target, opened.fmt, name, src.layer, records=True)
        if layer_note:
            table_notes.append(layer_note)
            assumptions["layer"] = {"value": layer, "by": "file", "evidence": layer_note}
        raw, geoms_or_none, file_crs = read_vector(
            opened.target, name, opened.fmt, layer, max_uncompressed_mb=max_uncompressed_mb
        )
        rows = np.arange(1, len(raw) + 1, dtype="int64")
        if opened.fmt == "kml" and (links_note := kml_remote_links_note(opened.target, name)):
            table_notes.append(links_note)
        more = {}
        if geoms_or_none is None:
            geoms, rules, layer_crs, more, table_more = _geometry_from_table(
                raw.astype(object).where(raw.notna(), "").astype("str"), src, name
            )
            table_notes = table_notes + table_more
            assumptions.update(more)
        else:
            geoms, rules = geoms_or_none, []
            if src.kind == "ports" and not src.columns:
                _refuse_events_as_ports(raw, name)
            if src.kind != "ports" and not src.columns:
                _refuse_other_layers(raw, src.kind, name)
            if file_crs is not None:
                layer_crs = file_crs
                assumptions["crs"] = {"by": "file", "evidence": "declared by the file"}
            elif src.crs is not None:
                layer_crs = src.crs
                assumptions["crs"] = {"by": "config", "evidence": "the file has no CRS"}
            else:
                raise InputError(
                    f"{name}: the {src.kind} layer declares no CRS (a Shapefile without .prj?); "
                    "set crs for it (e.g. crs: 'EPSG:4326'); a CRS is never assumed"
                )
    frame, rejects, notes = _finish(raw, rows, geoms, rules, layer_crs, src, name, assumptions)
    notes = table_notes + notes
    rejects, by_rule = finish_rejects(pre, rejects)
    n_read = len(raw) + n_pre
    log.info("%s: %d read, %d accepted, %d rejected", name, n_read, len(frame), len(rejects))
    return IngestResult(frame, rejects, by_rule, name, n_read, notes, assumptions)


def _refuse_events_as_ports(raw: pd.DataFrame, name: str) -> None:
    """Refuse dated event records (incidents, seizures) given as a ports layer.

    Each event would be a port: 7,511 pirate attacks made 7,510 ports named by the ship
    attacked, and every distance to a port was measured to the last attack.  A layer whose
    columns are named in ``columns:`` is taken as told.
    """
    why = dated_events(raw, name)
    if why is not None:
        raise InputError(
            f"{name}: dated events, not ports: {why}; each event would be read as a port. "
            "Give this file under inputs.seizures, or name its columns in columns: (e.g. "
            "lat: ...) if these are ports after all"
        )


#: A raster file's name, as a footprint or tile index names its raster (rio bounds,
#: gdaltindex): ``RGB.byte.tif``, ``/data/sst_2024.nc``.
_RASTER_FILE = r"(?i).*\.(?:tiff?|nc|nc4|vrt|img|jp2|grd|asc|hdf|h5|dem)"
#: What a land or coastline layer calls its features (Natural Earth's ``featurecla``,
#: OpenStreetMap's ``natural=coastline``, a countries layer's ``type``), as whole values.
_LAND_VALUES = frozenset(
    (
        *"land coastline coast shoreline island islands continent mainland country".split(),
        "countries",
        "admin-0 country",
        "sovereign country",
        "land polygon",
        "null island",
    )
)
#: What a shipping-lanes layer calls its features (IMO routeing measures, NOAA's chart
#: themes: "Traffic Separation Schemes", "Shipping Fairways Lanes and Zones"), within a value.
_LANE_WORDS = (
    r"(?i)\b(?:traffic separation|separation (?:zone|line|scheme)|fairways?|shipping lanes?|"
    r"traffic lanes?|deep[- ]water route|recommended (?:route|track)|two[- ]way route|"
    r"precautionary area|inshore traffic zone|tss)\b"
)


def _refuse_other_layers(raw: pd.DataFrame, kind: str, name: str) -> None:
    """Refuse a land, lanes or raster-footprint layer given under another kind.

    Natural Earth's land polygons under ``inputs.lanes`` were 127 "lane areas" (every
    coastal cell on a shipping lane) and its coastline 134 lanes; a traffic separation
    scheme under ``inputs.land`` would take the lanes off the sea; a raster's footprint
    (a tile index, ``rio bounds``) under land or lanes was one polygon over the raster's
    area.  The features' attributes say what they are: a column whose values are, for 80 %
    of the features, a raster file's name, a land or coastline class (``Land``,
    ``Coastline``) or a routeing measure (``Traffic Separation Schemes``).  A layer whose
    columns are named in ``columns:`` is taken as told.
    """
    for c in raw.columns:
        text = as_text(raw[c]).str.strip()
        text = text[text != ""]
        if not len(text):
            continue
        if text.str.fullmatch(_RASTER_FILE).mean() >= 0.8:
            what = "land" if kind == "land" else "a lane area"
            raise InputError(
                f"{name}: raster footprints, not {kind}: {str(c)!r} names a raster file for "
                f"each feature ({text.iloc[0]!r}); each footprint would be read as {what}. "
                "Give the raster itself under inputs.rasters, or name the layer's columns in "
                f"columns: (e.g. geometry: ...) if this is {kind} after all"
            )
        if kind == "lanes" and text.str.lower().isin(_LAND_VALUES).mean() >= 0.8:
            raise InputError(
                f"{name}: land or coastline, not shipping lanes: {str(c)!r} calls its "
                f"features {text.iloc[0]!r}; each would be read as a lane, and every cell "
                "along the coast as on a lane. Give this file as an inputs.context entry of "
                "kind: land, or name the layer's columns in columns: (e.g. geometry: ...) if "
                "these are lanes after all"
            )
        if kind == "land" and text.str.contains(_LANE_WORDS).mean() >= 0.8:
            raise InputError(
                f"{name}: shipping lanes, not land: {str(c)!r} calls its features "
                f"{text.iloc[0]!r}; each would be read as land, and the cells of the lanes "
                "taken off the sea. Give this file as an inputs.context entry of kind: lanes, "
                "or name the layer's columns in columns: (e.g. geometry: ...) if this is land "
                "after all"
            )


def _overpass_layer(opened: OpenedSource, src: ContextSource, name: str):
    """Read an Overpass API JSON answer (``[out:json]``): one row per OSM element, or None.

    GDAL does not read this format (a ``.json`` of ``{"elements": [...]}`` is refused as
    an unknown format).  Nodes are points at their ``lat``/``lon``; a way or relation is
    placed by what the query asked for: ``out center`` gives its ``center`` (a point: what a
    ports layer takes), ``out geom`` its ``geometry`` (a line, a polygon for a closed way
    in a land layer; a relation's member ways are its lines).  A way of a ``geom(bbox)``
    query has ``null`` for its nodes outside the box: a line is split there (never drawn
    straight across the gap), a polygon cannot be closed and is rejected.  An element
    without the coordinates its layer needs is rejected naming the ``out`` clause that
    gives them; an answer that reports a runtime error (a timeout: the elements are cut
    short) is refused.
    """
    target = Path(opened.target)
    if opened.fmt != "geojson" or opened.data is not None or not target.is_file():
        return None
    with open(target, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.lstrip()[:1] == b"{" or b'"elements"' not in head or b'"features"' in head:
        return None
    try:
        answer = json.loads(target.read_bytes())
    except ValueError:
        return None  # GDAL says why it cannot read it
    if not isinstance(answer, dict) or not isinstance(answer.get("elements"), list):
        return None
    notes: list[str] = []
    remark = str(answer.get("remark") or "")
    if "error" in remark.lower():
        raise InputError(
            f"{name}: the Overpass answer reports {remark[:160]!r}: its elements are cut "
            "short; run the query again (a larger [timeout:...] or a smaller area)"
        )
    if remark:
        notes.append(f"{name}: the Overpass answer remarks {remark[:160]!r}")
    elements = [e if isinstance(e, dict) else {} for e in answer["elements"]]
    polygons = src.kind == "land"
    lines = src.kind in ("lanes", "land")

    def num(v: Any) -> float:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan

    def point(d: Any):
        if not isinstance(d, dict):
            return None
        lon, lat = num(d.get("lon")), num(d.get("lat"))
        return shapely.Point(lon, lat) if np.isfinite([lon, lat]).all() else None

    def runs(nodes: Any) -> list[list[tuple[float, float]]]:
        out: list[list[tuple[float, float]]] = [[]]
        for nd in nodes if isinstance(nodes, list) else []:
            p = point(nd)
            if p is None:
                out.append([])
            else:
                out[-1].append((p.x, p.y))
        return out

    def shape(e: dict) -> tuple[Any, str]:
        kind = e.get("type")
        if kind == "node":
            return point(e), "a node without lat/lon"
        if not lines:
            return point(e.get("center")), "query with 'out center;' to give it a point"
        if kind == "way" and "geometry" in e:
            parts = runs(e["geometry"])
            whole = [p for p in parts if len(p) >= 2]
            if polygons and len(parts) == 1 and len(whole) == 1 and whole[0][0] == whole[0][-1]:
                if len(whole[0]) >= 4:
                    return shapely.Polygon(whole[0]), ""
            if polygons and len(parts) > 1:
                return None, "nodes outside the query's bbox (null): its ring cannot be closed"
            if not whole:
                return None, "fewer than two positioned nodes"
            return (
                shapely.LineString(whole[0]) if len(whole) == 1 else shapely.MultiLineString(whole)
            ), ""
        members = e.get("members")
        if kind == "relation" and isinstance(members, list):
            whole = [
                p
                for m in members
                if isinstance(m, dict)
                for p in runs(m.get("geometry"))
                if len(p) >= 2
            ]
            if whole:
                lines_ = shapely.MultiLineString(whole)
                if polygons:
                    area = shapely.build_area(shapely.node(lines_))
                    return (area if not area.is_empty else lines_), ""
                return lines_, ""
        centre = point(e.get("center"))
        return centre, "query with 'out geom;' to give its coordinates"

    made = [shape(e) for e in elements]
    geoms = np.array([g for g, _ in made], dtype=object)
    why = pd.Series([w for _, w in made], dtype=object)
    ident = pd.Series([f"{e.get('type', '?')}/{e.get('id', '?')}" for e in elements], dtype=object)
    tags = pd.DataFrame.from_records(
        [e.get("tags") if isinstance(e.get("tags"), dict) else {} for e in elements],
        index=range(len(elements)),
    )
    raw = pd.concat(
        [pd.DataFrame({"@id": ident}), tags.drop(columns="@id", errors="ignore")], axis=1
    )
    raw = raw.astype(object).where(raw.notna(), "").astype("str")
    missing = shapely.is_missing(geoms)
    rules = [
        Rule(
            "geometry_missing",
            missing,
            "geometry",
            "OSM element {value} has no coordinates",
            ident + ": " + why,
        )
    ]
    return raw, geoms, rules, notes


def _geometry_from_table(raw: pd.DataFrame, src: ContextSource, name: str):
    """Geometry of a plain table: a WKT column, or latitude/longitude columns for points."""
    n = len(raw)
    over = dict(src.columns)
    assumptions: dict[str, Any] = {}
    notes: list[str] = []
    wkt_col = over.get("geometry")
    if wkt_col is None and not (over.get("lat") or over.get("lon") or over.get("coords")):
        lower = {str(c).strip().lower(): c for c in raw.columns}
        wkt_col = next((lower[k] for k in _WKT_NAMES if k in lower), None)
        if wkt_col is not None and _type_names_only(raw[wkt_col]):
            # ArcGIS writes a feature class's geometry field into a table export as its type
            # alone ('Shape' = 'Point' beside Latitude/Longitude): taken for WKT, the file was
            # refused as WKT without a CRS, and with a crs every port rejected
            notes.append(
                f"{name}: column {wkt_col!r} holds only a geometry type "
                f"({as_text(raw[wkt_col]).loc[lambda t: t != ''].iloc[0]!r}), as an ArcGIS "
                "table export writes its Shape field: no coordinates, not read as geometry"
            )
            wkt_col = None
    if wkt_col is not None:
        if src.kind != "ports" and not over:
            _refuse_other_layers(raw, src.kind, name)
        if wkt_col not in raw.columns:
            raise InputError(
                f"{name}: column {wkt_col!r} configured for 'geometry' is not in the file; "
                f"it has {list(raw.columns)!r}"
            )
        text = as_text(raw[wkt_col])
        wkt = np.array(text.tolist(), dtype=object)
        wkt[wkt == ""] = None
        geoms = shapely.from_wkt(wkt, on_invalid="ignore")
        bad = (text != "").to_numpy() & shapely.is_missing(geoms)
        rules = [
            Rule(
                "geometry_unparseable",
                bad,
                wkt_col,
                "{value} is not WKT geometry",
                text.str.slice(0, 120),
            )
        ]
        assumptions["columns"] = {
            "geometry": {
                "column": wkt_col,
                "by": "config" if over.get("geometry") else "name",
                "evidence": "WKT text",
            }
        }
        return geoms, rules, _table_crs(src, None, assumptions), assumptions, notes
    if src.kind != "ports":
        raise InputError(
            f"{name}: a {src.kind} layer from a table needs a WKT geometry column (e.g. "
            f"'geometry', 'wkt'); found {list(raw.columns)!r}; set columns: {{geometry: ...}} "
            "or give a vector file"
        )
    positions = None if over else vessel_positions(raw, name)
    if positions is not None:
        raise InputError(
            f"{name}: vessel positions, not ports: {positions}; each position would be a "
            "port, and loitering and encounters near any of them would be left out. Give "
            "this file under inputs.tracks, or name its columns in columns: (e.g. lat: ...) "
            "if these are ports after all"
        )
    if not over:
        _refuse_events_as_ports(raw, name)
    choice = infer_columns(raw, ("lat", "lon", "coords"), over, name, id_roles=())
    lat_col, lon_col = choice.get("lat"), choice.get("lon")
    texts: dict[str, pd.Series] = {}
    unread = np.zeros(len(raw), dtype=bool)
    no_hemisphere = np.zeros(len(raw), dtype=bool)
    no_part = np.zeros(len(raw), dtype=bool)
    if (lat_col is None or lon_col is None) and choice.get("coords") is not None:
        # one 'Coordinates' column of "lat, lon" pairs: split as a seizure file's is
        lat_col = lon_col = str(choice.get("coords"))
        texts["lat"], texts["lon"], choice.evidence["coords"], more, unread = split_pair_column(
            raw, lat_col, name, choice.evidence["coords"], crs=src.crs
        )
        notes += more
        choice.evidence.pop("lat", None)
        choice.evidence.pop("lon", None)
        pair = raw[lat_col].astype("str")
    elif lat_col is None or lon_col is None:
        why = choice.evidence.get("lat", {}).get("evidence")
        raise InputError(
            f"{name}: no latitude/longitude columns among {list(raw.columns)!r}"
            + (f" ({why})" if why else "")
            + "; set columns: {lat: ..., lon: ...} (or {coords: ...} for one column of "
            "'lat, lon' pairs)"
        )
    else:
        choice.evidence.pop("coords", None)
        taken = {lat_col, lon_col} | {c for c in (choice.get("name"),) if c}
        for axis, col in (("lat", lat_col), ("lon", lon_col)):
            parts = coordinate_parts(raw, col, axis, taken, name)
            taken |= set(parts.values())
            texts[axis] = compose_coordinate(raw, col, parts) if parts else raw[col]
            no_hemisphere |= hemisphere_missing(raw, col, parts)
            for blank in part_missing(raw, col, parts).values():
                no_part |= blank
            if parts:
                choice.evidence[axis] = {**choice.evidence[axis], "parts": parts}
        pair = raw[lat_col].astype("str") + " " + raw[lon_col].astype("str")
    read = read_positions(
        texts["lat"], texts["lon"], crs=src.crs, lat_col=lat_col, lon_col=lon_col, name=name
    )
    notes += read.notes
    if read.dotted is not None:
        assumptions["dotted_degrees"] = read.dotted
    lat = read.lat.to_numpy(dtype="float64")
    lon = read.lon.to_numpy(dtype="float64")
    miss = read.lat_missing | read.lon_missing
    ok = np.isfinite(lat) & np.isfinite(lon)
    label = lat_col if lat_col == lon_col else f"{lat_col}/{lon_col}"
    rules = [
        Rule(PAIR_UNREADABLE[0], unread, label, PAIR_UNREADABLE[1], pair),
        Rule("coord_missing", miss, label, "latitude or longitude is missing", pair),
        Rule(
            "coord_unparseable",
            ~miss & ~ok,
            label,
            "{value} is not a position",
            pair,
        ),
        Rule(
            "coord_missing",
            no_hemisphere & ok,
            label,
            "{value} has a blank hemisphere (north or south? east or west?)",
            pair,
        ),
        Rule(
            "coord_missing",
            no_part & ok,
            label,
            "{value} has blank minutes or seconds beside its degrees (a zero is written 0)",
            pair,
        ),
    ]
    crs = _table_crs(src, (lat[ok], lon[ok]), assumptions)
    if crs is None:
        rules += range_rules(
            lat,
            lon,
            ok,
            lat_col=lat_col,
            lon_col=lon_col,
            lat_raw=raw[lat_col],
            lon_raw=raw[lon_col],
        )
    geoms = np.full(n, None, dtype=object)
    geoms[ok] = shapely.points(lon[ok], lat[ok])
    assumptions["columns"] = {
        k: v for k, v in choice.evidence.items() if v.get("column") is not None
    }
    return geoms, rules, crs if crs is not None else "EPSG:4326", assumptions, notes


def _table_crs(src: ContextSource, latlon, assumptions: dict[str, Any]):
    """Return the CRS of a table's coordinates: config, else degrees when they fit."""
    if src.crs is not None:
        assumptions["crs"] = {"by": "config", "evidence": "crs set in the config"}
        return src.crs
    if latlon is not None:
        lat, lon = latlon
        if (
            lat.size
            and (np.abs(lat) > 90).mean() > 0.5
            or lon.size
            and (np.abs(lon) > 180).mean() > 0.5
        ):
            raise InputError(
                f"{src.path.name}: coordinates mostly outside degree ranges (projected?) and no "
                "crs given; set crs for this layer (e.g. 'EPSG:32633')"
            )
        assumptions["crs"] = {
            "by": "default",
            "evidence": "CSV latitude/longitude columns within degree ranges read as EPSG:4326",
        }
        return None
    raise InputError(
        f"{src.path.name}: WKT geometry has no CRS; set crs for this layer (e.g. 'EPSG:4326')"
    )


def _is_geographic(crs) -> bool:
    """Whether ``crs`` counts in degrees of longitude and latitude (False: unknown)."""
    from pyproj import CRS

    try:
        return bool(CRS.from_user_input(crs).is_geographic)
    except Exception:  # an unreadable CRS: the transform below says why
        return False


def _finish(raw, rows, geoms, rules, crs, src: ContextSource, name: str, assumptions):
    n = len(raw)
    notes: list[str] = []
    if n == 0:
        notes.append(f"{name}: no features")
    wanted, what = CONTEXT_KINDS[src.kind]
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    taken = np.zeros(n, dtype=bool)
    for r in rules:
        taken |= np.asarray(r.mask, dtype=bool)
    present = ~missing
    types = np.full(n, -1)
    types[present] = shapely.get_type_id(geoms[present])
    wrong = present & ~np.isin(types, wanted)
    type_text = pd.Series([_TYPE_NAMES.get(int(t), "geometry") for t in types], index=raw.index)
    coords_ok = np.ones(n, dtype=bool)
    if present.any():
        # every vertex, not the bounds: GEOS leaves a NaN vertex out of a line's envelope,
        # and 'LINESTRING (0 0, NaN 1, 2 2)' was a lane of finite bounds, kept as it was
        xy, owner = shapely.get_coordinates(geoms[present], return_index=True)
        xy_bad = np.unique(owner[~np.isfinite(xy).all(axis=1)])
        coords_ok[np.flatnonzero(present)[xy_bad]] = False
    if present.any() and _is_geographic(crs):
        from ..grid import unwrap_antimeridian_steps

        # read the short way across 180° before the validity check: as written, an island
        # outline whose crossings of 180° are not its northmost and southmost points
        # crosses itself, and make_valid cut land away where the step ran through it
        geoms = geoms.copy()
        geoms[present] = unwrap_antimeridian_steps(geoms[present])
    fix = present & ~wrong & coords_ok & ~shapely.is_valid(np.where(present, geoms, None))
    repaired = 0
    unrepairable = np.zeros(n, dtype=bool)
    if fix.any():
        made = shapely.make_valid(geoms[fix])
        dims = shapely.get_dimensions(geoms[fix])
        polys = np.array(
            [_polygonal(g, wanted, int(d)) for g, d in zip(made, dims, strict=True)], dtype=object
        )  # repaired only
        good = ~shapely.is_missing(polys) & ~shapely.is_empty(polys)
        idx = np.flatnonzero(fix)
        geoms = geoms.copy()
        geoms[idx[good]] = polys[good]
        unrepairable[idx[~good]] = True
        repaired = int(good.sum())
    if repaired:
        notes.append(f"{name}: {repaired} invalid geometr(ies) repaired with make_valid")
        assumptions["repaired_geometries"] = repaired
    wkt = pd.Series(
        shapely.to_wkt(np.where(present, geoms, None), rounding_precision=6), index=raw.index
    ).fillna("")
    rules = [
        Rule("geometry_missing", missing & ~taken, "geometry", "feature has no geometry", wkt),
        *rules,
        Rule(
            "geometry_wrong_type",
            wrong,
            "geometry",
            f"geometry is a {{value}}; a {src.kind} layer holds {what}",
            type_text,
        ),
        Rule(
            "geometry_invalid",
            present & (~coords_ok | unrepairable),
            "geometry",
            "geometry {value} has non-finite coordinates or cannot be repaired",
            wkt.str.slice(0, 120),
        ),
    ]
    usable = present & ~wrong & coords_ok & ~unrepairable
    out = gpd.GeoSeries(np.where(usable, geoms, None), crs=crs)
    failed = np.zeros(n, dtype=bool)
    to4326 = out
    if usable.any():
        try:
            to4326 = out.to_crs("EPSG:4326")
        except Exception as exc:  # pyproj raises several types for impossible transforms
            raise InputError(f"{name}: cannot transform from {crs!r} to EPSG:4326: {exc}") from exc
        around = usable & _around_pole(np.asarray(np.where(usable, geoms, None), dtype=object), crs)
        if around.any():
            # Antarctica in EPSG:3031 encloses the South Pole: its outline, moved vertex by
            # vertex, was a ring along the coast of no area (no cell on land, a cell inside
            # 1,100 km from the coast); it is closed along the pole instead
            kept_4326 = to4326.to_numpy().copy()
            for i in np.flatnonzero(around):
                kept_4326[i] = _pole_polygon_to_4326(geoms[i], crs)
            to4326 = gpd.GeoSeries(kept_4326, index=out.index, crs="EPSG:4326")
            notes.append(
                f"{name}: {int(around.sum())} polygon(s) around a pole in {_crs_name(crs)} "
                "closed along the pole in EPSG:4326 (as Natural Earth draws Antarctica)"
            )
        b = to4326.bounds.to_numpy()
        failed = usable & ~np.isfinite(b).all(axis=1)
    # Degrees only where degrees can be: a configured or declared EPSG:4326 is not
    # transformed, and a latitude of 95 would be a point mirrored across the pole.  A line or
    # polygon may reach past ±180° (a lane across the antimeridian); a point may not.
    lat_out = np.zeros(n, dtype=bool)
    lon_out = np.zeros(n, dtype=bool)
    if usable.any():
        b = to4326.bounds.to_numpy()
        placed = usable & ~failed
        lat_out = placed & ((b[:, 1] < -90) | (b[:, 3] > 90))
        lon_out = placed & ~lat_out & np.isin(types, (0, 4)) & ((b[:, 0] < -180) | (b[:, 2] > 180))
    # a point at exactly 0°, 0° is a missing position written as zeros (as in the seizures):
    # a port there would silence loitering and encounters around it
    null = usable & ~failed & (types == 0)
    if null.any():
        b = to4326.bounds.to_numpy()
        null &= (b[:, 0] == 0) & (b[:, 1] == 0)
    # ... and so is a part of a MultiPoint there (a port's second berth written as zeros)
    multi = np.flatnonzero(usable & ~failed & (types == 4))
    if multi.size:
        parts, owner = shapely.get_parts(to4326.to_numpy()[multi], return_index=True)
        at_zero = (shapely.get_x(parts) == 0) & (shapely.get_y(parts) == 0)
        null[multi[np.unique(owner[at_zero])]] = True
    rules.append(
        Rule(
            "coord_out_of_crs",
            failed,
            "geometry",
            f"geometry {{value}} cannot be transformed from {crs!s} to EPSG:4326",
            wkt.str.slice(0, 120),
        )
    )
    rules.append(
        Rule(
            "lat_out_of_range",
            lat_out,
            "geometry",
            "geometry {value} reaches a latitude beyond ±90 (not degrees, or lat/lon swapped?)",
            wkt.str.slice(0, 120),
        )
    )
    rules.append(
        Rule(
            "lon_out_of_range",
            lon_out,
            "geometry",
            "point {value} has a longitude beyond ±180 in EPSG:4326",
            wkt.str.slice(0, 120),
        )
    )
    rules.append(
        Rule(
            "null_island",
            null,
            "geometry",
            "point {value} is at 0°, 0° (Null Island) or holds a point there: a missing "
            "position written as zeros",
            wkt.str.slice(0, 120),
        )
    )
    accepted, rejects = first_failing(rules, n=n, source_file=name, rows=rows)
    take = np.flatnonzero(accepted)
    name_col = None
    if len(raw.columns):
        choice = infer_columns(
            raw,
            ("name",),
            {"name": src.columns["name"]} if "name" in src.columns else {},
            name,
            id_roles=(),
        )
        name_col = choice.get("name")
        if name_col is not None:
            assumptions.setdefault("columns", {})["name"] = choice.evidence["name"]
    labels = (
        as_text(raw[name_col]).iloc[take].to_numpy(dtype=object)
        if name_col is not None
        else np.full(take.size, "", dtype=object)
    )
    kept = to4326.iloc[take].to_numpy() if len(to4326) else np.empty(0, dtype=object)
    if len(kept):
        from ..grid import polygons_within_180

        # land or a lane area across 180° drawn without the cut (one ring stepping from
        # 179.6° to -179.6°) was a band round the globe: every cell of its latitudes was on
        # land; one written past 180° (to 180.4°) was half missed by the cells' test
        fixed = polygons_within_180(kept)
        moved = int(sum(a is not b for a, b in zip(fixed, kept, strict=True)))
        if moved:
            notes.append(
                f"{name}: {moved} polygon(s) across 180° were read the short way and cut "
                "there (RFC 7946 3.1.9), as their edges of under 180° say"
            )
        kept = fixed
    frame = gpd.GeoDataFrame(
        {
            "name": labels,
            "source_file": name,
            "source_row": np.asarray(rows)[take].astype("int64"),
        },
        geometry=kept if len(kept) else [],
        crs="EPSG:4326",
    )
    if src.kind == "land" and len(frame):
        if not (shapely.get_dimensions(frame.geometry.to_numpy()) == 2).any():
            notes.append(
                f"{name}: the land layer holds lines (a coastline) and no polygons: the distance "
                "to the coast is measured to them, but no cell is known to be on land "
                "(area.exclude_land keeps every cell; a cell on land is not at 0 km); give land "
                "polygons for that"
            )
            assumptions["land"] = "coastline lines only: land cells are not known"
    if src.kind == "lanes" and len(frame):
        areas = int((shapely.get_dimensions(frame.geometry.to_numpy()) == 2).sum())
        if areas:
            notes.append(
                f"{name}: {areas} lane(s) are areas (polygons: a traffic lane, separation zone "
                "or fairway): a cell inside one is 0 km from the lane"
            )
            assumptions["lane_areas"] = areas
    crs_text = _crs_name(crs)
    assumptions.setdefault("crs", {})["value"] = crs_text
    assumptions["kind"] = src.kind
    return frame, rejects, notes


def _poles_xy(crs) -> list[tuple[float, float, float]]:
    """Return (x, y, latitude) of the poles that ``crs`` places at one finite point.

    A pole drawn as a line (Equal Earth, Mollweide, plate carrée) is left out: a vertex on
    it keeps its own longitude, and Antarctica's edge along it is moved as it is.
    """
    from pyproj import Transformer

    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    out = []
    for lat in (90.0, -90.0):
        x, y = to_crs.transform([0.0, 90.0, -135.0], [lat] * 3, errcheck=False)
        x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
        if np.isfinite([x, y]).all() and np.ptp(x) < 1e-3 and np.ptp(y) < 1e-3:
            out.append((float(x[0]), float(y[0]), lat))
    return out


def _around_pole(geoms: np.ndarray, crs) -> np.ndarray:
    """Mask of the polygons of a projected ``crs`` whose outline goes round or to a pole.

    In degrees such an outline has no closed ring: it runs once round the globe (Antarctica,
    or the Southern Ocean round it, the pole in its hole), or it stops at the pole, where
    every longitude meets (a sector claim from the pole, Natural Earth's Antarctica
    reprojected, its edge along the pole now a vertex).  A geographic CRS draws the pole as
    a line (latitude ±90), never inside a polygon.
    """
    mask = np.zeros(len(geoms), dtype=bool)
    if _is_geographic(crs) or not len(geoms):
        return mask
    try:
        poles = _poles_xy(crs)
    except Exception:  # an unreadable CRS: the transform says why
        return mask
    idx = np.flatnonzero(shapely.get_dimensions(geoms) == 2)
    parts, owner = shapely.get_parts(geoms[idx], return_index=True)
    shells = shapely.polygons(shapely.get_exterior_ring(parts))
    for x, y, _ in poles:
        # on its outline within 1 mm: an edge through the pole is computed that close
        mask[idx[owner[shapely.dwithin(shells, shapely.Point(x, y), 1e-3)]]] = True
    return mask


def _pole_polygon_to_4326(geom, crs):
    """Return ``geom`` (a polygon of ``crs`` round or to a pole) in EPSG:4326, within ±180°.

    Each ring of a part round or to the pole is moved with its vertices at the pole opened
    into the pole's edge (from the longitude it comes from to the one it leaves by), its
    longitudes unwrapped (continuous), closed along the pole when it runs once round the
    globe, and cut at ±180°; the part is its outline's area less its holes'.  The other parts
    are moved vertex by vertex, as every other geometry is.
    """
    from pyproj import Transformer

    to_deg = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    poles = _poles_xy(crs)

    def pole_of(xy: np.ndarray) -> tuple[float, float, float] | None:
        ring = shapely.Polygon(xy)
        return next((p for p in poles if shapely.dwithin(ring, shapely.Point(p[:2]), 1e-3)), None)

    out = []
    for part in shapely.get_parts(geom):
        shell = np.asarray(part.exterior.coords)[:, :2]
        pole = pole_of(shell)
        if pole is None:
            out.append(shapely.transform(part, _moved_by(to_deg)))
            continue
        area = _ring_area_4326(shell, pole, to_deg)
        holes = [np.asarray(h.coords)[:, :2] for h in part.interiors]
        if holes:
            cut = [_ring_area_4326(h, pole_of(h), to_deg) for h in holes]
            area = shapely.difference(area, shapely.union_all(cut), grid_size=1e-9)
        out.append(area)
    return shapely.union_all(out) if len(out) > 1 else out[0]


def _moved_by(to_deg):
    def moved(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_deg.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return moved


def _ring_area_4326(xy: np.ndarray, pole: tuple[float, float, float] | None, to_deg):
    """Return the area a projected ring encloses, in EPSG:4326 within ±180°.

    ``pole`` is the (x, y, latitude) of the pole the ring goes round or touches (None:
    neither).  An edge through the pole gets a vertex there.  A vertex at the pole has no
    longitude of its own (pyproj gives the CRS's central meridian): it becomes the pole's
    edge from its previous vertex's longitude to its next's.
    """
    from shapely import affinity

    if pole is not None:
        # a straight edge across the pole (a half of the Arctic cut along a meridian) runs
        # 180° of longitude at once, which unwrapping cannot tell east from west
        a, d = xy[:-1], np.diff(xy, axis=0)
        p = np.array(pole[:2])
        t = ((p - a) * d).sum(axis=1) / np.maximum((d * d).sum(axis=1), 1e-300)
        off = np.hypot(*(a + t[:, None] * d - p).T)
        across = np.flatnonzero((t > 0.0) & (t < 1.0) & (off < 1e-3))
        xy = np.insert(xy, across + 1, p, axis=0)
    ll = _moved_by(to_deg)(xy)[:-1]
    at = np.abs(ll[:, 1]) >= 90.0 - 1e-9
    if at.any() and not at.all():
        rank = np.arange(len(ll))
        other = np.flatnonzero(~at)
        before = other[(np.searchsorted(other, rank, side="right") - 1) % other.size]
        after = other[np.searchsorted(other, rank, side="left") % other.size]
        rows = np.repeat(rank, np.where(at, 2, 1))
        second = np.r_[False, rows[1:] == rows[:-1]]
        lon = np.where(
            second, ll[after[rows], 0], np.where(at[rows], ll[before[rows], 0], ll[rows, 0])
        )
        ll = np.column_stack([lon, ll[rows, 1]])
    ll = np.vstack([ll, ll[:1]])
    ll[:, 0] = np.rad2deg(np.unwrap(np.deg2rad(ll[:, 0])))
    if abs(ll[-1, 0] - ll[0, 0]) > 180.0 and pole is not None:
        # once round the globe: closed along the pole
        ll = np.vstack([ll, [[ll[-1, 0], pole[2]], [ll[0, 0], pole[2]], ll[0]]])
    made = shapely.make_valid(shapely.Polygon(ll))
    area = shapely.union_all([g for g in shapely.get_parts(made) if g.geom_type == "Polygon"])
    pieces = [
        affinity.translate(
            shapely.intersection(area, shapely.box(360 * k - 180, -90, 360 * k + 180, 90)),
            -360.0 * k,
        )
        for k in range(-2, 3)
    ]
    # snapped to 1e-9 degrees (0.1 mm): the pieces meet where the ring began, again
    whole = shapely.union_all(pieces, grid_size=1e-9)
    polys = [g for g in shapely.get_parts(whole) if g.geom_type == "Polygon"]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _polygonal(geom, wanted: tuple[int, ...], dim: int):
    """Return the parts of a repaired geometry of the wanted kind and of dimension ``dim``.

    Polygons stay polygons: a land polygon with a spike repairs to a polygon and a line, and
    the line was kept beside it (a geometry collection in a land layer); one whose area
    collapsed (all its vertices on a line) became a coastline.  Only the parts of the
    original's dimension are kept; a geometry with none is not repaired (None).
    """
    if geom is None:
        return None
    if shapely.get_type_id(geom) in wanted and shapely.get_dimensions(geom) == dim:
        return geom
    keep = [
        p
        for p in shapely.get_parts(geom)
        if shapely.get_type_id(p) in wanted and shapely.get_dimensions(p) == dim
    ]
    if not keep:
        return None
    return keep[0] if len(keep) == 1 else shapely.union_all(keep)


def _crs_name(crs) -> str:
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    auth = c.to_authority()
    return ":".join(auth) if auth else (c.name or str(crs))
