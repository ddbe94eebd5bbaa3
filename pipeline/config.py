"""Configuration: validated once, at the edge, into immutable models.

A config is a YAML file whose sections mirror the stages (``run``, ``area``, ``inputs``,
``ingest``, ``density``, ``transit``, ``zonal``, ``score``, ``evaluate``, ``timeline``,
``render``) plus ``factors`` (plug-in factors and their options).  Every model forbids
unknown keys, so a typo such as ``bandwith_km`` ends the run with one message that names the
key and lists the valid ones, instead of being silently ignored.

Relative paths are resolved against the folder of the config file (its real location, so a
symlinked config behaves like the file it points to).  Path strings may use ``${VAR}`` or
``${VAR:-default}`` to read an environment variable, which is how ``route-risk demo`` points
the packaged demo config at freshly generated data.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
import os
import re
import types
import warnings
from collections.abc import Hashable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from .errors import ConfigError, FutureDateWarning
from .evaluate import BacktestOptions
from .factors import InputsView, PluginOptions
from .hotspots import HotspotOptions
from .ingest.options import (
    ContextSource,
    IngestOptions,
    RasterSource,
    SeizureSource,
    TrackSource,
)
from .model import FittedOptions
from .score import FactorWeight
from .validation import StrictModel

log = logging.getLogger(__name__)

__all__ = [
    "AreaConfig",
    "Config",
    "DaskConfig",
    "DensityConfig",
    "EvaluateConfig",
    "HotspotConfig",
    "RenderConfig",
    "RunConfig",
    "ScoreConfig",
    "TimelineConfig",
    "TransitConfig",
    "ZonalConfig",
    "AS_OF_WORDS",
    "as_of_day",
    "bool_number_at",
    "load_config",
]

KERNELS = ("epanechnikov", "gaussian", "quartic", "triangular", "uniform")
BANDWIDTH_RULES = ("silverman", "scott", "spatial", "cv")


class _Model(StrictModel):
    """Strict options (see :mod:`pipeline.validation`)."""


#: The ``as_of`` words a nightly config may give instead of a date, and the days they name.
AS_OF_WORDS = {"today": 0, "yesterday": 1}
_DAY = TypeAdapter(dt.date)


class RunConfig(_Model):
    """Where and as of when the run happens."""

    name: str = Field("route-risk", description="Run name, shown in the map title and manifest.")
    as_of: dt.date | Literal["today", "yesterday"] | None = Field(
        None,
        description="Reference date for time decay and windows (records up to the end of "
        "that UTC day are used); 'yesterday' or 'today': the UTC day before, or of, the "
        "run's start (a nightly job's map moves a day each night; 'yesterday' maps the last "
        "complete day); default: the day of the latest seizure.",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _day_or_word(cls, value: Any) -> Any:
        # the words in any case, as --as-of takes them; a text that is neither a day nor a
        # word is told both forms (not the union's two errors, the words' one hidden)
        if isinstance(value, int | float) and not isinstance(value, bool):
            # pydantic reads a number as Unix seconds: 20260630 was "should have zero time",
            # 86400 the 2nd of January 1970
            raise ValueError(
                f"must be a UTC date like 2026-06-30, or yesterday or today, got {value!r}"
            )
        if not isinstance(value, str):
            return value
        if (word := value.strip().lower()) in AS_OF_WORDS:
            return word
        try:
            _DAY.validate_python(value)
        except ValidationError:
            raise ValueError(
                f"must be a UTC date like 2026-06-30, or yesterday or today, got {value!r}"
            ) from None
        return value

    keep_runs: int = Field(
        7,
        ge=1,
        description="Run folders kept in out_dir/runs (the published one always); older ones"
        " are pruned after each run.",
    )
    max_input_age_days: float | None = Field(
        None,
        gt=0,
        description="Freshness policy: an input file not modified for longer than this many"
        " days is stale (see run.freshness); null: no policy.",
    )
    freshness: Literal["warn", "fail"] = Field(
        "warn",
        description="What a stale input does: 'warn' logs and records it in the manifest,"
        " 'fail' ends the run (exit 2) and keeps the last published set.",
    )
    out_dir: Path = Field(Path("out"), description="Output folder (relative to the config).")
    engine: Literal["local", "dask"] = Field(
        "local",
        description="Executor of the partitioned stages: 'local' (in-process) or 'dask' (a Dask"
        " cluster, see the 'dask' section); both give the same tables.",
    )


_SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss|ucx)://[^\s/]+(:\d+)?/?$")


class DaskConfig(_Model):
    """The Dask cluster of ``run.engine: dask`` (ignored by the local engine)."""

    scheduler: str = Field(
        "local",
        description="'local': start a LocalCluster of 'workers' processes on this machine; or"
        " the address of a running scheduler, e.g. 'tcp://10.0.0.5:8786'.",
    )
    workers: int = Field(2, ge=1, le=1024, description="Worker processes of a LocalCluster.")
    threads_per_worker: int = Field(1, ge=1, le=256, description="Threads per local worker.")
    memory_limit: str | int = Field(
        "2GiB",
        description="Memory limit per local worker ('2GiB', bytes as an integer, or 'auto');"
        " a worker above it is restarted by its nanny, which fails the run closed.",
    )
    partition_rows: int = Field(
        1_000_000,
        ge=1,
        description="Records per ingest block and pings per transit partition (a task's"
        " memory is set by this number, not by the inputs).",
    )
    connect_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="Give up on an unreachable scheduler after this long."
    )

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str) -> str:
        if value != "local" and not _SCHEDULER_ADDRESS.match(value):
            raise ValueError(
                f"scheduler must be 'local' or an address like 'tcp://host:8786', got {value!r}"
            )
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str | int) -> str | int:
        if isinstance(value, bool):
            raise ValueError(
                f"memory_limit must be like '2GiB' or a number of bytes, got {value!r}"
            )
        if value == "auto":
            return value
        from dask.utils import parse_bytes

        try:
            n = parse_bytes(value)
        except (ValueError, TypeError, OverflowError):  # "1e400": an OverflowError traceback
            n = None
        if n is None or n < 64 * 2**20:
            raise ValueError(
                f"memory_limit must be 'auto', or at least 64MiB like '2GiB', got {value!r}"
            )
        return value


class AreaConfig(_Model):
    """The area of interest and the H3 grid."""

    bbox: tuple[float, float, float, float] | None = Field(
        None, description="lon_min, lat_min, lon_max, lat_max (EPSG:4326)."
    )
    polygon: Path | None = Field(None, description="Vector file with the area of interest.")
    resolution: int = Field(5, ge=0, le=15, description="H3 resolution of the risk cells.")
    margin_km: float = Field(0.0, ge=0, description="Grow the data's extent by this much.")
    max_cells: int = Field(
        10_000_000, gt=0, description="Refuse an area of more cells than this (memory bound)."
    )
    exclude_land: bool | None = Field(
        None,
        description="With a land context layer: score only cells whose centre is at sea, and"
        " bound the density (edge correction window) to the sea.  A cell holding a seizure is"
        " scored wherever its centre lies (stated in the run's notes).  ``None`` (not set):"
        " true, unless most of the tracks' positions (without tracks, most of the area's"
        " seizures) lie on the land layer (a theatre on land, road vehicles): that run is"
        " refused, naming both settings.",
    )
    cells: Literal["support", "all"] = Field(
        "support",
        description="'support': cells with any observation (seizure density, transit, events);"
        " 'all': every cell covering the area.",
    )

    @model_validator(mode="after")
    def _check_bbox(self) -> AreaConfig:
        if self.bbox is not None:
            lon0, lat0, lon1, lat1 = self.bbox
            if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180):
                raise ValueError(f"bbox longitudes must be in [-180, 180], got {self.bbox!r}")
            if not (-90 <= lat0 < lat1 <= 90):
                raise ValueError(
                    f"bbox latitudes must satisfy -90 <= min < max <= 90, got {self.bbox!r}"
                )
            # refused here, before any input is read (the grid refuses them too)
            if lon0 == lon1:
                raise ValueError(f"bbox has zero width: {self.bbox!r} (lon_min = lon_max)")
            if lon0 == 180 and lon1 == -180:
                raise ValueError(
                    f"bbox has zero width: {self.bbox!r} (180 and -180 are one meridian); "
                    "the band around the globe is [-180, lat_min, 180, lat_max]"
                )
        return self


class InputsConfig(_Model):
    """The input files, each with its own reading options."""

    seizures: list[SeizureSource] = Field(default_factory=list)
    tracks: list[TrackSource] = Field(default_factory=list)
    rasters: list[RasterSource] = Field(default_factory=list)
    ports: Path | None = Field(
        None, description="Ports file (shorthand for a context entry of kind 'ports')."
    )
    context: list[ContextSource] = Field(
        default_factory=list,
        description="Context layers: ports (points), shipping lanes (lines), land (polygons).",
    )

    @model_validator(mode="after")
    def _raster_names(self) -> InputsConfig:
        # each raster's name is its factors' stem (name_mean, ...): two of one name kept the
        # last one's values under it and dropped the other raster in silence
        names = [r.name for r in self.rasters]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"the name {twice[0]!r} is given to {names.count(twice[0])} of inputs.rasters; "
                "each raster needs its own name (its factors are name_mean, ...)"
            )
        return self

    def context_sources(self) -> list[ContextSource]:
        """Return the context layers, the ``ports`` shorthand included."""
        extra = [ContextSource(path=self.ports, kind="ports")] if self.ports else []
        return [*extra, *self.context]


class DensityConfig(_Model):
    """The seizure kernel density (see :func:`pipeline.kernel_density`)."""

    kernel: Literal["epanechnikov", "gaussian", "quartic", "triangular", "uniform"] = "quartic"
    bandwidth_km: float | Literal["silverman", "scott", "spatial", "cv", "auto"] = Field(
        25.0,
        description="km, a rule (silverman, scott, spatial, cv) or 'auto': chosen with"
        " half_life_days by the rolling back-test (evaluate's origins) among auto_bandwidths_km.",
    )
    bandwidth_range_km: tuple[float, float] | None = Field(
        None, description="Search range for bandwidth_km: cv."
    )
    half_life_days: float | Literal["auto"] | None = Field(
        365.0,
        description="Exponential time decay (days; null: none); 'auto': chosen by the rolling"
        " back-test among auto_half_lives_days.",
    )
    auto_bandwidths_km: tuple[float, ...] = Field(
        (10.0, 25.0, 50.0, 100.0), description="Candidates of bandwidth_km: auto."
    )
    auto_half_lives_days: tuple[float | None, ...] = Field(
        (None, 90.0, 180.0, 365.0, 730.0),
        description="Candidates of half_life_days: auto (null: no decay).",
    )
    use_quantity: bool = Field(False, description="Weight events by their quantity.")
    commodity_weights: dict[str, float] = Field(default_factory=dict)
    edge_correction: bool = False

    @field_validator("bandwidth_km")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if isinstance(v, float | int) and v <= 0:
            raise ValueError(
                f"bandwidth_km must be > 0 or one of {list(BANDWIDTH_RULES)}, got {v!r}"
            )
        return v

    @field_validator("half_life_days")
    @classmethod
    def _half_life(cls, v: Any) -> Any:
        if isinstance(v, float | int) and v <= 0:
            raise ValueError(f"half_life_days must be > 0, null or 'auto', got {v!r}")
        return v

    @field_validator("bandwidth_range_km")
    @classmethod
    def _range(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        # the cv search refused [50, 10], [0, 10] or [-5, 10] only when it ran, after the
        # whole ingest ('validate' said valid)
        from .density import MIN_BANDWIDTH_KM

        if v is not None and not MIN_BANDWIDTH_KM <= v[0] < v[1]:
            raise ValueError(
                f"bandwidth_range_km must be [min, max] with {MIN_BANDWIDTH_KM:g} km <= min "
                f"< max, got {list(v)!r}"
            )
        return v

    @field_validator("auto_bandwidths_km", "auto_half_lives_days")
    @classmethod
    def _candidates(cls, v: tuple) -> tuple:
        if not v or any(x is not None and x <= 0 for x in v):
            raise ValueError(f"candidates must be a non-empty list of values > 0, got {v!r}")
        return v

    @property
    def auto(self) -> bool:
        """Whether the bandwidth or the half-life is chosen by the back-test."""
        return self.bandwidth_km == "auto" or self.half_life_days == "auto"

    @field_validator("commodity_weights")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: w for k, w in v.items() if w < 0}
        if bad:
            raise ValueError(f"commodity weights must be >= 0, got {bad!r}")
        from .ingest import normalise_category

        # ingest normalises the labels (trim, case-fold, NFC): the keys must match them
        out: dict[str, float] = {}
        for k, w in v.items():
            key = normalise_category(k)
            if key in out and out[key] != w:
                raise ValueError(f"commodity weights give {key!r} two weights after normalising")
            out[key] = w
        return out


class TransitConfig(_Model):
    """Vessel behaviour (see :func:`pipeline.transit.transit_features`)."""

    max_segment_hours: float = Field(6.0, gt=0)
    gap_hours: float = Field(6.0, gt=0)
    gap_min_speed_kn: float = Field(1.0, ge=0)
    loiter_speed_kn: float = Field(2.0, gt=0)
    loiter_hours: float = Field(4.0, gt=0)
    encounter_distance_m: float = Field(
        500.0, gt=0, le=50_000, description="At most 50 km (transit.ENCOUNTER_MAX_M)."
    )
    encounter_hours: float = Field(2.0, gt=0)
    encounter_speed_kn: float = Field(3.0, gt=0)
    port_radius_km: float = Field(10.0, ge=0)
    smooth_events_km: float = Field(
        0.0, ge=0, description="Smooth event counts with the density core (0 = raw counts)."
    )
    coverage_km: float = Field(
        40.0,
        gt=0,
        description="A cell within this distance of a received AIS position has AIS coverage;"
        " further away its transit factors are 'no AIS coverage', not 0.",
    )


class ZonalConfig(_Model):
    """Raster values per cell (see :func:`pipeline.zonal.zonal_stats_to_cells`)."""

    method: Literal["exact", "centre"] = "exact"
    stats: tuple[str, ...] = ("mean", "max", "sum", "valid_fraction")

    @field_validator("stats")
    @classmethod
    def _stats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        valid = {"mean", "max", "sum", "valid_fraction"}
        bad = [s for s in v if s not in valid]
        if bad or "mean" not in v:
            raise ValueError(f"stats must include 'mean' and be among {sorted(valid)}, got {v!r}")
        return v


class ScoreConfig(_Model):
    """The explainable weighted score."""

    factors: dict[str, FactorWeight] = Field(
        default_factory=lambda: {"seizure_density": FactorWeight(weight=1.0)},
        description="Factor name -> weight, transform, label; names come from the factor registry.",
    )
    model: Literal["weighted", "fitted"] = Field(
        "weighted",
        description="'weighted': explainable points per factor; 'fitted': a Poisson/negative-"
        "binomial model of next-horizon seizures per cell (expected events, relative risks).",
    )
    fitted: FittedOptions = Field(
        default_factory=FittedOptions, description="Options of the fitted model."
    )
    normalisation: Literal["cap", "rank"] = "cap"
    cap_quantile: float = Field(0.99, gt=0, le=1)
    class_breaks: tuple[float, ...] = (0, 20, 40, 60, 80, 100)
    class_labels: tuple[str, ...] = ("very low", "low", "medium", "high", "very high")

    @model_validator(mode="after")
    def _check(self) -> ScoreConfig:
        b = self.class_breaks
        if (
            len(b) < 2
            or b[0] != 0
            or b[-1] != 100
            or any(x >= y for x, y in zip(b, b[1:], strict=False))
        ):
            raise ValueError(f"class_breaks must increase from 0 to 100, got {b!r}")
        if len(self.class_labels) != len(b) - 1:
            raise ValueError(
                f"class_labels needs {len(b) - 1} labels for {len(b)} breaks, got {len(self.class_labels)}"
            )
        if not self.factors or sum(f.weight for f in self.factors.values()) <= 0:
            raise ValueError("score.factors needs at least one factor with weight > 0")
        return self


class EvaluateConfig(BacktestOptions):
    """The rolling-origin back-test of what the map publishes (:mod:`pipeline.evaluate`).

    At each origin the published model is fitted again on the events before it (the weighted
    score with its density recomputed from them; the fitted model refitted) and ranked against
    the next ``horizon_days``; all prior counts, recent counts, a plain KDE, the density factor
    alone and a uniform ranking are scored the same way.
    """

    enabled: bool = Field(True, description="Run the back-test.")


class HotspotConfig(HotspotOptions):
    """Gi* hot spots (FDR-corrected) and emerging trends (see :mod:`pipeline.hotspots`)."""

    enabled: bool = Field(True, description="Compute Gi* and emerging hot spots.")


class TimelineConfig(_Model):
    """The monthly risk behind the map's time slider (see :mod:`pipeline.timeline`).

    Month *m* uses only the data up to *m* (the transit factors: the positions timed up to
    its end, missing before every timed position, named in ``missing_factors``); a factor
    without history that month (rasters, context layers, plug-ins) takes today's values and
    the month is marked ``present_data`` (not for a fixed geography such as the distance to
    the coast, the same in every month).
    """

    months: int = Field(
        12, ge=0, le=600, description="Months on the time slider (0 = none; at most 50 years)."
    )
    scale: Literal["map", "fixed", "quantile", "natural", "equal"] = Field(
        "map",
        description="The one colour scale of every month: 'map', the map's class method"
        " (render.classes) over all months' risk together; 'fixed', score.class_breaks;"
        " 'quantile', 'natural' or 'equal', breaks of all months' risk together"
        " (pipeline.hotspots.global_breaks, or natural breaks).",
    )


class RenderConfig(_Model):
    """The HTML map and the exports."""

    title: str | None = None
    tiles: str | None = Field(
        None,
        description="None = offline basemap; a folium tiles name, or an https URL template "
        "with {z}, {x} and {y}.",
    )
    tiles_attribution: str | None = Field(
        None,
        description="Attribution shown for the tiles, as plain text (default for a URL: its "
        "host; for a name: its provider's credit).",
    )
    max_seizure_points: int = Field(20000, ge=0)
    classes: Literal["quantile", "natural", "fixed"] = Field(
        "quantile",
        description="Risk classes of the map: quantiles of the run's risk (equal counts), "
        "natural breaks (Jenks) of the run, or score.class_breaks as fixed breaks.",
    )
    basemap: Literal["50m", "10m", "110m"] = Field(
        "50m", description="Natural Earth scale of the offline basemap (1:50m, 1:10m, 1:110m)."
    )
    ports_label: str = Field(
        "Ports",
        min_length=1,
        description="The map's name of the ports layer (a road theatre's 'Border crossings').",
    )
    lanes_label: str = Field(
        "Shipping lanes",
        min_length=1,
        description="The map's name of the lanes layer (a road theatre's 'Motorways').",
    )
    geojson: bool = True
    flatgeobuf: bool = True
    preview_png: bool = True

    @model_validator(mode="after")
    def _tiles(self) -> RenderConfig:
        t = self.tiles
        if t is None:
            return self
        if "://" in t or "{" in t:
            if not t.startswith("https://") or not all(k in t for k in ("{z}", "{x}", "{y}")):
                raise ValueError(
                    f"render.tiles must be a folium tiles name or an https:// URL template with "
                    f"{{z}}, {{x}} and {{y}}, got {t!r}"
                )
            if not self.tiles_attribution:
                raise ValueError(
                    "render.tiles is a custom URL: render.tiles_attribution is required"
                )
            return self
        import folium

        try:  # folium decides what a tiles name is: ask it, so run cannot fail later
            folium.TileLayer(t, attr=self.tiles_attribution)  # a name needs no attribution
        except (ValueError, KeyError) as exc:
            raise ValueError(
                f"render.tiles {t!r} is not a folium tiles name (e.g. 'OpenStreetMap', "
                f"'CartoDB positron') nor an https URL template: {exc}"
            ) from None
        return self


def _resolution_defaults(raw: Any) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """Fill the bandwidths the user left unset with their resolution's defaults.

    Returns the raw config with ``density.bandwidth_km``, ``evaluate.kde_bandwidth_km`` and
    ``score.fitted.bandwidths_km`` set where they were absent and their resolution's default
    (:func:`pipeline.density.default_bandwidth_km` of their kernel) exceeds 25 km (the fitted
    list scaled by the same factor: its three scales kept), ``density.auto_bandwidths_km``
    likewise with ``bandwidth_km: auto`` (its narrowest made that default), and a statement of
    each.
    """
    if not isinstance(raw, dict):
        return raw, ()
    area = raw.get("area")
    area = area if isinstance(area, dict) else {}
    res = _lax_int(area.get("resolution", AreaConfig.model_fields["resolution"].default))
    if res is None or not 0 <= res <= 15:
        return raw, ()  # the field's own check says what is wrong
    from .density import (
        CENTRE_EDGES,
        DEFAULT_BANDWIDTH_KM,
        MAX_BANDWIDTH_KM,
        centre_error,
        default_bandwidth_km,
    )
    from .grid import average_hexagon_edge_length

    edge = average_hexagon_edge_length(res)

    def default(kernel: Any) -> float | None:
        if not isinstance(kernel, str) or kernel not in CENTRE_EDGES:
            return None  # the field's own check refuses it
        h = default_bandwidth_km(kernel, res)
        return h if h > DEFAULT_BANDWIDTH_KM else None

    def edges(n: float, fmt: str) -> str:
        text = format(n, fmt)
        return f"{text} edge" if float(text) == 1 else f"{text} edges"

    def why(kernel: str, key: str, old: float = DEFAULT_BANDWIDTH_KM) -> str:
        return (
            f"the default at area.resolution {res} (at least {edges(CENTRE_EDGES[kernel], 'g')} "
            f"of its {edge:.3g} km cells, rounded up to 5 km: the {kernel} kernel's width for a "
            f"density taken at cell centres; {old:g} km, {edges(old / edge, '.2g')} here, would "
            f"leave a cell's centre typically {centre_error(kernel, old, res):.0%} off its "
            f"mean); set {key} to keep another"
        )

    def within(scaled: list[float]) -> tuple[list[float], str]:
        # a scaled list reaches past a quarter of the Earth's circumference on resolutions
        # 0-1 (the uniform's candidates to 38,450 km): those are left out, not refused
        kept = [h for h in scaled if h <= MAX_BANDWIDTH_KM]
        wide = [h for h in scaled if h > MAX_BANDWIDTH_KM]
        if not wide:
            return kept, ""
        return kept, (
            f"; {_km_list(wide)} km left out: wider than a quarter of the Earth's "
            f"circumference ({MAX_BANDWIDTH_KM:,.0f} km), which no bandwidth may exceed"
        )

    out, said = dict(raw), []
    for section, field, kernel_field, model in (
        ("density", "bandwidth_km", "kernel", DensityConfig),
        ("evaluate", "kde_bandwidth_km", "kde_kernel", BacktestOptions),
    ):
        given = out.get(section, {})
        if isinstance(given, dict) and field not in given:
            kernel = given.get(kernel_field, model.model_fields[kernel_field].default)
            if (h := default(kernel)) is not None:
                out[section] = {**given, field: h}
                key = f"{section}.{field}"
                said.append((key, f"{key} {h:g} km: {why(kernel, key)}"))
    density = out.get("density", {})
    if (
        isinstance(density, dict)
        and density.get("bandwidth_km") == "auto"
        and "auto_bandwidths_km" not in density
    ):
        # the candidates span 10x about the 25 km default: on cells coarser than resolution 5
        # they are scaled as the fitted list is, the narrowest to the resolution's default
        # (each one narrower than a centre's reach was noted when chosen, all of them at 4);
        # from 5 on they stay as they were (the uniform's 10 and 25 km noted when chosen)
        kernel = density.get("kernel", DensityConfig.model_fields["kernel"].default)
        if res < 5 and (h := default(kernel)) is not None:
            was = DensityConfig.model_fields["auto_bandwidths_km"].default
            scale = h / min(was)
            used, left = within([round(float(x) * scale, 6) for x in was])
            out["density"] = {**density, "auto_bandwidths_km": used}
            key = "density.auto_bandwidths_km"
            said.append(
                (
                    key,
                    f"{key} {_km_list(used)} km ({_km_list(was)} km times {scale:.3g}): the "
                    f"narrowest {h:g} km is {why(kernel, key, min(was))}{left}",
                )
            )
    score = out.get("score", {})
    fitted = score.get("fitted", {}) if isinstance(score, dict) else None
    if isinstance(fitted, dict) and "bandwidths_km" not in fitted:
        kernel = fitted.get("kernel", FittedOptions.model_fields["kernel"].default)
        if (h := default(kernel)) is not None:
            was = FittedOptions.model_fields["bandwidths_km"].default
            scale = h / min(was)
            used, left = within([round(float(x) * scale, 6) for x in was])
            out["score"] = {**score, "fitted": {**fitted, "bandwidths_km": used}}
            key = "score.fitted.bandwidths_km"
            said.append(
                (
                    key,
                    f"{key} {_km_list(used)} km ({_km_list(was)} km times {scale:.3g}): the "
                    f"narrowest {h:g} km is {why(kernel, key)}{left}",
                )
            )
    return out, tuple(said)


def _km_list(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{float(x):g}" for x in values) + "]"


def _lax_int(value: Any) -> int | None:
    """Return ``value`` as the int the field's lax validation makes of it, else None.

    ``resolution: 1.0`` and ``resolution: "1"`` are the integer 1 to the ``int`` field: a
    check made before it must read them so too (it passed over them and the run was refused
    for defaults the user never wrote).
    """
    if isinstance(value, bool):
        return None
    try:
        # pydantic's own lax int: a pattern of ours missed "4.0", which the field reads as 4
        # (the run then took 25 km at resolution 4, not the resolution's 55 km)
        return _LAX_INT.validate_python(value)
    except ValidationError:
        return None


_LAX_INT = TypeAdapter(int)


class Config(_Model):
    """A whole, validated run configuration."""

    run: RunConfig = Field(default_factory=RunConfig)
    dask: DaskConfig = Field(default_factory=DaskConfig)
    area: AreaConfig = Field(default_factory=AreaConfig)
    inputs: InputsConfig = Field(default_factory=InputsConfig)
    ingest: IngestOptions = Field(default_factory=IngestOptions)
    density: DensityConfig = Field(default_factory=DensityConfig)
    transit: TransitConfig = Field(default_factory=TransitConfig)
    zonal: ZonalConfig = Field(default_factory=ZonalConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    timeline: TimelineConfig = Field(default_factory=TimelineConfig)
    hotspots: HotspotConfig = Field(default_factory=HotspotConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    factors: PluginOptions = Field(default_factory=PluginOptions)
    source: Path | None = Field(None, description="The file this config was loaded from.")
    _defaults_said: tuple[tuple[str, str], ...] = PrivateAttr(default=())

    def resolution_default_notes(self, density: bool | None = None) -> list[str]:
        """Return a statement of each default bandwidth the cells' resolution widened.

        Parameters
        ----------
        density : bool, optional
            Whether the run takes a seizure density (default: whether it reads seizures).

        Returns
        -------
        list of str
            Of the keys the run uses (the density's, the fitted model's with ``score.model:
            fitted``, the back-test's KDE when it runs or sets ``density: auto``'s universe)
            that the user left unset and the
            cells' resolution widened: ``density.bandwidth_km 55 km: the default at
            area.resolution 4 (...)``.
        """
        seizures = bool(self.inputs.seizures) if density is None else density
        used = {"density.bandwidth_km"} if seizures else set()
        if seizures and self.density.bandwidth_km == "auto":
            used.add("density.auto_bandwidths_km")
        if self.score.model == "fitted":
            used.add("score.fitted.bandwidths_km")
        if self.evaluate.enabled or (self.density.auto and self.evaluate.support_km is None):
            # density: auto's back-test scores the cells within it of past seizures (its
            # universe, evaluate.support_km unset) with evaluate.enabled false too
            used.add("evaluate.kde_bandwidth_km")
        return [note for key, note in self._defaults_said if key in used]

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("render"), dict):
            render = dict(raw["render"])
            if "timeline_months" in render:  # moved in 0.2: a render option must not recompute
                months = render.pop("timeline_months")
                log.warning("render.timeline_months is now timeline.months; please move it")
                raw = {**raw, "render": render}
                timeline = raw.get("timeline")
                if timeline is None or isinstance(timeline, Mapping):
                    raw["timeline"] = {"months": months, **dict(timeline or {})}
                # else (timeline: 5) the section's own check refuses it: dict(5) was a
                # TypeError traceback
        return raw

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers_within(cls, raw: Any) -> Any:
        # StrictModel refuses ``true`` for a number in its own fields only: in a list
        # (bbox: [true, 0, 10, 10], auto_bandwidths_km), a table (commodity_weights) or a
        # section of another model (evaluate.origins, score.fitted, a factor's weight, a
        # raster's band or nodata) pydantic's lax mode read it as 1 in silence
        if isinstance(raw, dict) and (at := bool_number_at(Config, raw)) is not None:
            raise ValueError(_bool_number_message(at, raw))
        return raw

    @model_validator(mode="wrap")
    @classmethod
    def _resolution_defaults(cls, raw: Any, handler: Any) -> Config:
        # The density, the back-test's KDE and the fitted model's smoothed counts are taken at
        # cell centres: a kernel under CENTRE_EDGES cell edges leaves a cell's centre value
        # typically 18-50 % off its mean (pipeline/density/_centres.py).  25 km (25, 50, 100)
        # is 2.5 edges on resolution 5 and one on resolution 4: a key the user did not write
        # takes the default of the cells' resolution (bench/bench_res_defaults.py: the
        # back-test no worse at resolutions 3-4, unchanged at 5 and finer), stated in the
        # run's notes; a value the user wrote is kept as written (and noted when too narrow).
        if isinstance(raw, Config):
            # Config.model_validate(config) returns the instance itself: setting its notes
            # here wiped them (a run of it stated no default it took)
            cfg = handler(raw)
            if cfg is not raw:
                cfg._defaults_said = raw._defaults_said
            return cfg
        raw, said = _resolution_defaults(raw)
        cfg = handler(raw)
        cfg._defaults_said = said
        return cfg

    @model_validator(mode="after")
    def _bandwidth_reaches_centres(self) -> Config:
        # the density is evaluated at cell centres: a kernel much narrower than a cell reaches
        # no centre from most events, and a density of 0 everywhere was published as a factor;
        # so do the fitted model's smoothed counts, the back-test's KDE baseline and smoothed
        # transit events
        used: list[tuple[str, float]] = []
        if isinstance(self.density.bandwidth_km, float | int):
            used.append(("density.bandwidth_km", float(self.density.bandwidth_km)))
        if self.score.model == "fitted":
            used += [
                ("score.fitted.bandwidths_km", float(h)) for h in self.score.fitted.bandwidths_km
            ]
        if self.evaluate.enabled:
            used.append(("evaluate.kde_bandwidth_km", float(self.evaluate.kde_bandwidth_km)))
        if self.inputs.tracks and self.transit.smooth_events_km > 0:
            used.append(("transit.smooth_events_km", float(self.transit.smooth_events_km)))
        from .grid import average_hexagon_edge_length as edge_km

        res = self.area.resolution
        for name, h in used:
            if h < edge_km(res) / 4:
                finer = next((r for r in range(res, 16) if edge_km(r) <= 4 * h), None)
                hint = f"area.resolution {finer} or finer" if finer is not None else "a wider one"
                raise ValueError(
                    f"{name} {h:g} is less than a quarter of the {edge_km(res):.3g} km "
                    f"edge of the cells at area.resolution {res}: a kernel taken at cell "
                    "centres would miss almost every point (0 in most cells); use a bandwidth of "
                    f"at least {edge_km(res) / 4:.3g} km or {hint}"
                )
        return self

    @model_validator(mode="after")
    def _bandwidths_within_the_sphere(self) -> Config:
        # kernels are normalised on the sphere (pipeline/density/_kernels.py), but one wider
        # than a quarter of the circumference spreads each point over most of the globe (the
        # uniform's is one constant from half the circumference on): refused as written,
        # whether or not this run uses the key (resolution defaults never reach it)
        from .density import bandwidth_too_wide

        d = self.density
        given: list[tuple[str, float]] = []
        if isinstance(d.bandwidth_km, float | int):
            given.append(("density.bandwidth_km", float(d.bandwidth_km)))
        given += [("density.auto_bandwidths_km", float(h)) for h in d.auto_bandwidths_km]
        if d.bandwidth_range_km is not None:
            given.append(("density.bandwidth_range_km", float(max(d.bandwidth_range_km))))
        given += [("score.fitted.bandwidths_km", float(h)) for h in self.score.fitted.bandwidths_km]
        given.append(("evaluate.kde_bandwidth_km", float(self.evaluate.kde_bandwidth_km)))
        given.append(("transit.smooth_events_km", float(self.transit.smooth_events_km)))
        for name, h in given:
            if (msg := bandwidth_too_wide(name, h)) is not None:
                raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _back_test_fits_the_model(self) -> Config:
        # the back-test refits the published model on its own training window and compares
        # its forecast (expected events, P(>= 1)) with its test window: another horizon made
        # the calibration read 4x over-prediction, a shorter window starved the model's
        # history features (its count rates assume train_days of events), both without a word
        if self.score.model != "fitted" or not self.evaluate.enabled:
            return self
        fitted, ev = self.score.fitted, self.evaluate
        if ev.horizon_days != fitted.horizon_days:
            raise ValueError(
                f"evaluate.horizon_days {ev.horizon_days:g} differs from "
                f"score.fitted.horizon_days {fitted.horizon_days:g}: the back-test would "
                f"score the model's {fitted.horizon_days:g}-day forecast against "
                f"{ev.horizon_days:g}-day windows; set both to the same number of days"
            )
        if ev.train_days < fitted.train_days:
            raise ValueError(
                f"evaluate.train_days {ev.train_days:g} is shorter than "
                f"score.fitted.train_days {fitted.train_days:g}: the back-test would refit "
                "the model on less history than its features assume; set evaluate.train_days "
                "to at least score.fitted.train_days"
            )
        return self

    @model_validator(mode="after")
    def _factors_not_named_as_model_features(self) -> Config:
        # the fitted model refused a factor named like one of its own features only at its
        # fit, after the whole ingest (minutes on a national run; `validate` said valid)
        if self.score.model != "fitted":
            return self
        # the fitted model's extra factors are the score's other than the seizure density
        # (pipeline.runner.stages extra_factors): a transform of another name was refused only
        # at the fit, after the whole ingest
        extra = set(self.score.factors) - {"seizure_density"}
        stray = sorted(set(self.score.fitted.factor_transforms) - extra)
        if stray:
            raise ValueError(
                f"score.fitted.factor_transforms names {stray!r}, which the fitted model does "
                f"not take as factors; its factors here: {sorted(extra)!r} (score.factors "
                "other than seizure_density)"
            )
        own = {*self.score.fitted.feature_names, "area"}
        clash = sorted(own & set(self.score.factors))
        if clash:
            raise ValueError(
                f"score.factors.{clash[0]}: the fitted model builds a feature of that name "
                f"itself (its features: {sorted(own)!r}); give the factor another name"
            )
        return self

    @model_validator(mode="after")
    def _inputs(self) -> Config:
        if not self.inputs.seizures and not self.inputs.tracks:
            raise ValueError("inputs needs at least one seizures or tracks file")
        from .factors import default_registry, load_plugins

        try:
            load_plugins(self.factors.plugins)
            factors = default_registry.resolve(self.score.factors, self.inputs_view())
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        by_name = {f.name: f for f in factors}
        for fac in factors:
            if fac.section is None and fac.name not in self.factors.options:
                # a required option left out ended the run in pydantic's ValidationError,
                # at the factor's stage: exit 70, as route-risk's own bug
                try:
                    fac.options.model_validate({})
                except ValidationError as exc:
                    first = exc.errors()[0]
                    loc = ".".join(str(p) for p in first["loc"])
                    raise ValueError(
                        f"factors.options.{fac.name}.{loc}: {first['msg']} (factor {fac.name!r} "
                        f"has no default for it: give it under factors.options.{fac.name})"
                    ) from None
        for name, opts in self.factors.options.items():
            f = by_name.get(name) or default_registry.available(self.inputs_view()).get(name)
            if f is None:
                raise ValueError(f"factors.options names unknown factor {name!r}")
            if f.section is not None:
                raise ValueError(
                    f"factors.options.{name}: a built-in factor takes its options from "
                    f"the {f.section!r} section"
                )
            unread = _unread_options(f.options, opts)
            if unread is not None:
                where, unknown, known = unread
                if known is None:
                    takes = "reads none of them"
                else:
                    takes = f"takes {known!r}" if known else "takes no options"
                table = f"factor {name!r}"
                if where:
                    at = ".".join(str(p) for p in where)
                    unknown = [f"{at}.{k}" for k in unknown]
                    table = f"{at!r} of {table}"
                raise ValueError(
                    f"factors.options.{name}: unknown option(s) {unknown!r}; {table} "
                    f"{takes} (its options model would ignore the others and run on its defaults)"
                )
            if (spot := bool_number_at(f.options, opts)) is not None:
                where = ("factors", "options", name, *spot)
                raise ValueError(
                    _bool_number_message(where, {"factors": {"options": {name: opts}}})
                )
            try:
                f.options.model_validate(opts)
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"factors.options.{name}.{loc}: {first['msg']}") from None
        return self

    def inputs_view(self) -> InputsView:
        """Return what the inputs provide, as the factor registry sees it."""
        needs = set()
        if self.inputs.seizures:
            needs.add("seizures")
        if self.inputs.tracks:
            needs.add("tracks")
        needs |= {f"context:{c.kind}" for c in self.inputs.context_sources()}
        if "context:ports" in needs:
            needs.add("ports")
        needs |= {f"raster:{r.name}" for r in self.inputs.rasters}
        return InputsView(
            frozenset(needs),
            tuple(r.name for r in self.inputs.rasters),
            tuple(self.zonal.stats),
        )

    def available_factors(self) -> set[str]:
        """Names of the factors this config's inputs can produce (built-in and plug-in)."""
        from .factors import default_registry

        return set(default_registry.available(self.inputs_view()))


MAX_CONFIG_BYTES = 1 << 20


class _ConfigLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (no alias bombs) and without duplicate keys.

    A config has no need for anchors and aliases, and a 400-byte "billion laughs" document
    expands into gigabytes through them; a key written twice silently keeps the last value.
    Both end in one clear message instead.
    """

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(
                f"aliases (*{event.anchor}) are not allowed in a config, "
                f"line {event.start_mark.line + 1}"
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                # '? [a, b]' as a key: the look-up below ended in a TypeError traceback
                raise yaml.YAMLError(
                    f"line {key_node.start_mark.line + 1}: a key must be a name, "
                    f"got a {type(key).__name__}"
                )
            if key in seen:
                raise yaml.YAMLError(
                    f"key {key!r} appears twice (lines {seen[key]} and "
                    f"{key_node.start_mark.line + 1}); a config key must be unique"
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):  # type: ignore[no-untyped-def]
        _refuse_yaml11_number(node, self.construct_scalar(node))
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):  # type: ignore[no-untyped-def]
        _refuse_yaml11_number(node, self.construct_scalar(node))
        return super().construct_yaml_float(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _ConfigLoader.construct_yaml_int)
_ConfigLoader.add_constructor("tag:yaml.org,2002:float", _ConfigLoader.construct_yaml_float)


def _refuse_yaml11_number(node: yaml.Node, text: str) -> None:
    """Refuse a plain number that YAML 1.1 reads otherwise than it is written.

    ``010`` is octal to YAML 1.1 (8: ``keep_runs: 010`` kept 8 runs, ``sheet: 010`` read the
    ninth sheet) and ``1:30`` is base 60 (90: ``max_input_age_days: 1:30`` allowed 90 days),
    both in silence; YAML 1.2 and most readers take them otherwise.  A leading zero that
    changes nothing (``07``) and the explicit ``0x``/``0b`` forms are kept.
    """
    digits = str(text).replace("_", "")
    sign = digits[:1] if digits[:1] in "+-" else ""
    body = digits[len(sign) :]
    if ":" in body:
        raise yaml.YAMLError(
            f"line {node.start_mark.line + 1}: {text} is a base-60 number to YAML 1.1 "
            f"({yaml.load(text, Loader=yaml.SafeLoader)}); write the number itself, or quote "
            f"it ({text!r}) for a text"
        )
    if re.fullmatch(r"0[0-7]+", body) and int(body, 8) != int(body, 10):
        raise yaml.YAMLError(
            f"line {node.start_mark.line + 1}: {text} is an octal number to YAML 1.1 "
            f"({sign}{int(body, 8)}); write {sign}{int(body, 10)} or {sign}{int(body, 8)}, "
            f"whichever is meant, or quote it ({text!r}) for a text"
        )


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        got = os.environ.get(name)
        if got is None:
            if default is None:
                raise ConfigError(f"environment variable {name!r} used in config is not set")
            return default
        return got

    return _VAR.sub(repl, value)


#: Keys whose text values are paths (``mask``: a raster's companion in its short form, a bare
#: path; its long form's ``path`` is resolved as any other).
_PATH_KEYS = {"path", "out_dir", "polygon", "ports", "mask"}
#: What makes a path a pattern (glob's ``*``, ``?`` and ``[``).
_GLOB_MAGIC = re.compile(r"[*?[]")


def _resolve_paths(node: Any, base: Path, key: str | None = None) -> Any:
    if isinstance(node, Mapping):
        return {k: _resolve_paths(v, base, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_paths(v, base, key) for v in node]
    if isinstance(node, str) and key in _PATH_KEYS:
        p = Path(_expand(node)).expanduser()
        if p.is_absolute():
            return str(p)
        try:
            resolved = (base / p).resolve()
            if key != "path" or not _GLOB_MAGIC.search(str(p)) or os.path.lexists(resolved):
                return str(resolved)
            # an input pattern (pipeline.runner.inputs): only what the user wrote is one, the
            # config's folder is a name (proj[1]/ais/*.csv must not read proj1/ais/)
            n = next(i for i, part in enumerate(p.parts) if _GLOB_MAGIC.search(part))
            head = (base / Path(*p.parts[:n])).resolve()
            return os.path.join(glob.escape(str(head)), *p.parts[n:])
        except (RuntimeError, OSError) as exc:  # a symlink loop, a path too long
            raise ConfigError(f"{key}: cannot resolve {node!r}: {exc}") from None
    return node


def _check_text(node: Any, path: Path, where: str = "") -> None:
    r"""Refuse a config string that is not text: a lone surrogate or a NUL.

    A file name that is not UTF-8 (a byte such as 0xff, which Python keeps as a lone
    surrogate) or a YAML ``"\uD800"`` escape cannot be written to the tables, the manifest
    (strict JSON) or the map; refused here in one line instead of a traceback at the end of
    the run.

    Raises
    ------
    ConfigError
        Naming the key and the value as ASCII.
    """
    if isinstance(node, Mapping):
        for k, v in node.items():
            if isinstance(k, str) and _not_text(k):
                # a key the user names (commodity_weights: {category: weight}) reaches the
                # tables and the density as well as a value does
                raise ConfigError(
                    f"{path}: {where or '(top level)'}: the key {ascii(k)} is not text (a NUL, "
                    "or an escape that is not UTF-8); fix the key"
                )
            _check_text(v, path, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_text(v, path, f"{where}[{i}]")
    elif isinstance(node, str) and _not_text(node):
        raise ConfigError(
            f"{path}: {where}: {ascii(node)} is not text (a NUL, or a byte or escape that is "
            "not UTF-8, such as a file name written in another encoding); rename the file "
            "or fix the value"
        )


def _not_text(text: str) -> bool:
    """Whether ``text`` holds a NUL or a lone surrogate (no UTF-8 for it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\0" in text


def _alias_keys(alias: object) -> set[str]:
    """Return the top-level keys a validation alias reads (a name, choices, a path's first)."""
    if isinstance(alias, str):
        return {alias}
    if isinstance(alias, AliasPath):
        return {str(alias.path[0])}
    if isinstance(alias, AliasChoices):
        return set().union(*(_alias_keys(a) for a in alias.choices))
    return set()


def _option_names(model: type[BaseModel]) -> list[str]:
    """Return the option keys ``model`` reads, sorted, as pydantic validates them."""
    return sorted(set().union(*(_field_keys(model, n, f) for n, f in model.model_fields.items())))


def _field_keys(model: type[BaseModel], name: str, field: FieldInfo) -> set[str]:
    """Return the keys pydantic reads field ``name`` of ``model`` from.

    An alias's keys (a name, each of ``AliasChoices``, the first key of an ``AliasPath``);
    the field's own name where it has no alias, or where the model validates by name too
    (``populate_by_name``, ``validate_by_name``): otherwise pydantic ignores that key.
    """
    cfg = model.model_config
    by_name = bool(cfg.get("validate_by_name") or cfg.get("populate_by_name"))
    by_alias = cfg.get("validate_by_alias", True) is not False
    aliases = _alias_keys(field.validation_alias or field.alias) if by_alias else set()
    return aliases | {name} if by_name or not by_alias or not aliases else aliases


def _unread_options(
    model: type[BaseModel], opts: Any
) -> tuple[tuple[str | int, ...], list[str], list[str] | None] | None:
    """Return the first table of ``opts`` with keys its model would drop, else None.

    Returns ``(where, keys, known)``: the table's place in ``opts`` (``()`` the top, else
    the keys and list positions down to it), its unread keys, and the keys it takes (None
    where the place names no model).  Pydantic's default (``extra="ignore"``) drops an
    unknown key in silence, at the top and inside a nested model alike: a misspelt
    plug-in option (``scale_kn`` for ``scale_km``) ran on the default.  Validating with
    extras forbidden finds them at every depth (models, lists and dicts of models); a
    table whose model allows extras (``extra="allow"``) keeps them, and a free-form dict
    (``dict[str, float]``) has no unknown keys.
    """
    try:
        model.model_validate(opts, extra="forbid")
    except ValidationError as exc:
        extras = [err["loc"] for err in exc.errors() if err["type"] == "extra_forbidden"]
    else:
        return None
    tables: dict[tuple[str | int, ...], list[str]] = {}
    for loc in extras:
        tables.setdefault(tuple(loc[:-1]), []).append(str(loc[-1]))
    for where, keys in tables.items():
        table = _model_at(model, where)
        if table is not None and table.model_config.get("extra") == "allow":
            continue
        known = _option_names(table) if table is not None else None
        return where, sorted(keys), known
    return None


def bool_number_at(tp: Any, value: Any) -> tuple[str | int, ...] | None:
    """Return where in ``value`` YAML's true/false stands for a number of type ``tp``.

    Pydantic's lax mode reads ``True`` as 1 for an ``int`` or a ``float`` (in a model, a
    list, a tuple or a table alike); a place whose type takes a boolean too (or anything)
    is not one.  Returns the keys and list positions down to the first such value, else
    None.

    Examples
    --------
    >>> bool_number_at(tuple[float, ...], [1.0, True])
    (1,)
    >>> bool_number_at(dict[str, bool | int], {"a": True}) is None
    True
    """
    return _bool_number_at(tp, value, ())


def _bool_number_message(at: tuple[str | int, ...], raw: Any) -> str:
    node = raw
    for part in at:
        node = node[part]
    where = ".".join(str(p) for p in at)
    return (
        f"{where} must be a number, got {node!r} (YAML reads true, false, yes, no, on and off "
        "unquoted as booleans; quote a text)"
    )


def _leaf_types(tp: Any) -> set[Any]:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _leaf_types(args[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_leaf_types(a) for a in args))
    if origin is Literal:
        return {type(v) for v in args}
    return {tp}


def _bool_number_at(tp: Any, value: Any, loc: tuple[str | int, ...]) -> tuple | None:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _bool_number_at(args[0], value, loc)
    if isinstance(value, bool):
        leaves = _leaf_types(tp)
        numbers = bool(leaves & {int, float})
        return loc if numbers and not leaves & {bool, Any, object} else None
    if origin in (Union, types.UnionType):
        # of the members that take this shape (a table, a list), each must find the boolean
        fits = [a for a in args if _takes_shape(a, value)]
        hits = [_bool_number_at(a, value, loc) for a in fits]
        return hits[0] if hits and all(h is not None for h in hits) else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not isinstance(value, Mapping):
            return None
        by_key = {k: f for n, f in tp.model_fields.items() for k in _field_keys(tp, n, f)}
        for key, v in value.items():
            field = by_key.get(str(key))
            if field is not None and (hit := _bool_number_at(field.annotation, v, (*loc, key))):
                return hit
        return None
    if not isinstance(origin, type):
        return None
    if issubclass(origin, Mapping) and len(args) == 2 and isinstance(value, Mapping):
        for key, v in value.items():
            if (hit := _bool_number_at(args[1], v, (*loc, key))) is not None:
                return hit
        return None
    if not isinstance(value, list | tuple):
        return None
    if issubclass(origin, tuple) and args and args[-1] is not Ellipsis:
        pairs = list(zip(args, value, strict=False))
    elif issubclass(origin, (Sequence, AbstractSet)) and args:
        pairs = [(args[0], v) for v in value]
    else:
        return None
    for i, (t, v) in enumerate(pairs):
        if (hit := _bool_number_at(t, v, (*loc, i))) is not None:
            return hit
    return None


def _takes_shape(tp: Any, value: Any) -> bool:
    """Whether type ``tp`` takes a value of ``value``'s shape (a table, a list, a scalar)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _takes_shape(get_args(tp)[0], value)
    if isinstance(value, Mapping):
        return (isinstance(tp, type) and issubclass(tp, BaseModel)) or (
            isinstance(origin, type) and issubclass(origin, Mapping)
        )
    if isinstance(value, list | tuple):
        return isinstance(origin, type) and issubclass(origin, (Sequence, AbstractSet))
    return True


def _literal_tags(tp: Any) -> set[Any]:
    """Return the values of ``tp``'s ``Literal`` fields (a discriminated union member's tag)."""
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return set()
    return {
        v
        for f in tp.model_fields.values()
        if get_origin(f.annotation) is Literal
        for v in get_args(f.annotation)
    }


def _model_at(tp: Any, loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """Return the model of the table at ``loc`` (a validation error's place) in type ``tp``."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _model_at(args[0], loc)
    if origin in (Union, types.UnionType):
        choices = [a for a in args if a is not type(None)]
        # pydantic names the member of a union it tried ('Ring' in ('rings', 'Ring', 'x')),
        # or, of a discriminated union, the member's tag ('b' of kind: Literal['b'])
        named = [a for a in choices if loc and getattr(a, "__name__", None) == loc[0]]
        named = named or [a for a in choices if loc and loc[0] in _literal_tags(a)]
        if named:
            return _model_at(named[0], loc[1:])
        found = (_model_at(a, loc) for a in choices)
        return next((m for m in found if m is not None), None)
    if not loc:
        return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
    part, rest = loc[0], loc[1:]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        by_key = {k: f for n, f in tp.model_fields.items() for k in _field_keys(tp, n, f)}
        field = by_key.get(str(part))
        return None if field is None else _model_at(field.annotation, rest)
    if not isinstance(origin, type):
        return None
    if issubclass(origin, Mapping) and len(args) == 2:
        return _model_at(args[1], rest)
    if issubclass(origin, tuple) and args and args[-1] is not Ellipsis:
        return _model_at(args[part], rest) if isinstance(part, int) and part < len(args) else None
    if issubclass(origin, (Sequence, AbstractSet)) and args and isinstance(part, int):
        return _model_at(args[0], rest)
    return None


def _format_error(err: ValidationError, path: Path | str) -> str:
    errors = err.errors()
    # a table given to a union (a raster's time window, a select step) fails every member:
    # the first error was the literal's ("Input should be 'latest'") where the table's own
    # unknown key or broken rule is the one to tell
    first = next((e for e in errors if e["type"] == "extra_forbidden"), None) or next(
        (e for e in errors if e["type"] == "value_error"), errors[0]
    )
    # pydantic's names of the union members tried are no keys of the config
    where = tuple(p for p in first["loc"] if not str(p).startswith(("function-", "literal[")))
    loc = ".".join(str(p) for p in where) or "(top level)"
    if first["type"] == "extra_forbidden":
        parent = where[:-1]
        valid = _valid_keys(parent)
        hint = f"; valid keys here: {', '.join(valid)}" if valid else ""
        msg = f"unknown key {loc!r}{hint}"
    elif first["type"] == "value_error":
        # a rule of ours: its message names the value; the input may be a whole section
        text = str(first["msg"]).removeprefix("Value error, ")
        msg = text if not first["loc"] else f"{loc}: {text}"
    else:
        msg = f"{loc}: {first['msg']} (got {first.get('input')!r})"
    # the other members' failures of that union are no further problems
    tag = next((i for i, p in enumerate(first["loc"]) if len(where) <= i or p != where[i]), None)
    union = first["loc"][:tag] if tag is not None else None
    more = sum(
        1 for e in errors if e is not first and (union is None or e["loc"][: len(union)] != union)
    )
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{path}: invalid config: {msg}{suffix}"


def _valid_keys(loc: tuple) -> list[str]:
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return sorted(k for k in model.model_fields if k != "source")


def load_config(path: str | os.PathLike, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read, expand and validate a YAML config.

    Parameters
    ----------
    path : path-like
        The YAML file.
    overrides : mapping, optional
        Dotted keys to set after reading, e.g. ``{"run.as_of": "2026-06-30"}``.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Unreadable file, bad YAML, unknown key or bad value; the message names it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}") from None
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: a config of {len(text)} bytes is too large for a config")
    try:
        raw = yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 (a SafeLoader, see below)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    except (ValueError, OverflowError) as exc:  # YAML's own dates: 2026-02-30, 2026-13-01
        raise ConfigError(f"{path}: a value written as a date is no date: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: a config must be a mapping of sections, got {type(raw).__name__}"
        )
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, last = dotted.split(".")
        for i, p in enumerate(parents):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                # 'run:' left empty (None) or 'run: 5' overridden at run.as_of: a TypeError
                # traceback; refused as the section is without an override
                where = ".".join(parents[: i + 1])
                raise ConfigError(
                    f"{path}: invalid config: {where} must be a section of keys, got "
                    f"{node!r} (so {dotted} cannot be set)"
                )
        node[last] = value
    base = path.resolve().parent
    raw = _resolve_paths(raw, base)
    _check_text(raw, path)
    # 'source' is the model's own record of the file read, always this one: a config dumped
    # from a loaded one (a notebook's model_dump written back as YAML) carries the path it was
    # read from, which would otherwise be kept for a file read elsewhere
    raw["source"] = str(path.resolve())
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, path)) from None
    if isinstance(config.run.as_of, dt.date) and config.run.as_of > dt.datetime.now(dt.UTC).date():
        warnings.warn(
            f"{path}: run.as_of {config.run.as_of.isoformat()} is in the future; "
            "time decay and windows will treat every event as old",
            FutureDateWarning,
            stacklevel=2,
        )
    return config


def as_of_day(value: Any, now: dt.datetime | None = None) -> Any:
    """Return ``value`` with ``"today"`` / ``"yesterday"`` as the UTC date they name ``now``.

    ``now`` is the run's start (the clock when None): a run that crosses midnight keeps
    its day.  Anything else is returned as it is (a date, a date's text, None).

    Examples
    --------
    >>> import datetime as dt
    >>> as_of_day("yesterday", dt.datetime(2026, 12, 2, 2, 15, tzinfo=dt.UTC))
    datetime.date(2026, 12, 1)
    >>> as_of_day("2026-06-30")
    '2026-06-30'
    """
    if isinstance(value, str) and value.strip().lower() in AS_OF_WORDS:
        now = now if now is not None else dt.datetime.now(dt.UTC)
        return now.astimezone(dt.UTC).date() - dt.timedelta(days=AS_OF_WORDS[value.strip().lower()])
    return value


def config_to_dict(config: Config) -> dict[str, Any]:
    """Return the config as plain JSON-able data (for the manifest and cache keys)."""
    return config.model_dump(mode="json", exclude={"source"})
