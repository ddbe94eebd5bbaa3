"""What the map shows and how: the public data classes of :mod:`pipeline.render`."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FactorInfo:
    """One factor of the risk score, as the explain card shows it.

    Parameters
    ----------
    name : str
        Column name in the scores table (``name``, ``name + '__norm'``, ``name + '__contrib'``
        and optionally ``name + '__covered'``).
    label : str
        Human-readable label.
    weight : float
        Weight of the factor in the score.
    unit : str
        Unit of the raw value (e.g. ``"h"``, ``"events/km²"``), shown after the value.
    description : str
        One sentence on what the factor measures, shown under the label.
    missing_text : str
        What the card says instead of a value where ``name + '__covered'`` is False (or
        missing), e.g. ``"no AIS coverage"``, ``"raster does not cover this cell"``: a cell
        the factor could not observe is not a cell where it is 0.

    Examples
    --------
    >>> FactorInfo("vessel_hours", "Vessel-hours", 0.3, "h", "Time spent by vessels",
    ...            missing_text="no AIS coverage").missing_text
    'no AIS coverage'
    """

    name: str
    label: str
    weight: float = 1.0
    unit: str = ""
    description: str = ""
    missing_text: str = "not covered"


@dataclass(frozen=True)
class RasterOverlay:
    """A raster shown as a coloured image overlay.

    Parameters
    ----------
    name : str
        Layer name.
    array : numpy.ndarray
        2-D float array, first row north; NaN is nodata (transparent).
    bounds : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326.
    units : str
        Units of the values, shown in the legend.
    colormap : str
        A matplotlib colormap name.
    opacity : float
        Opacity of the overlay, 0-1.
    """

    name: str
    array: np.ndarray
    bounds: tuple[float, float, float, float]
    units: str = ""
    colormap: str = "viridis"
    opacity: float = 0.6


@dataclass
class MapData:
    """Everything the map shows.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per cell: ``cell`` (uint64) or ``hex_id``, ``risk`` (0-100), ``risk_class``,
        per factor ``f``, ``f__norm``, ``f__contrib`` and optionally ``f__covered`` (bool;
        False or missing: the card shows the factor's ``missing_text`` instead of the value;
        no column: covered everywhere); optional ``seizures_<commodity>``
        counts, ``latest_event`` (UTC datetime or NaT) and ``observed`` (False = no
        observation at all: shown as "no data", never as low risk; default True).
    factors : list of FactorInfo
        The factors, in display order.
    class_breaks : list of float
        Class boundaries, e.g. ``[0, 20, 40, 60, 80, 100]``.
    class_labels : list of str
        One label per class (``len(class_breaks) - 1``), lowest first.
    seizures : pandas.DataFrame, optional
        The seizures table (``time``, ``lon``, ``lat``, ``commodity``, ``quantity``, ``agency``,
        ``note``): heat layer and clustered points.
    events : pandas.DataFrame, optional
        Transit events (``event_type``, ``vessel_id``, ``other_vessel_id``, ``start_time``,
        ``end_time``, ``duration_hours``, ``lon``, ``lat``).
    transit : pandas.DataFrame, optional
        ``cell``, ``vessel_hours``: the transit density layer.
    rasters : list of RasterOverlay
        Image overlays.
    timeline : pandas.DataFrame, optional
        ``cell``, ``period`` ('YYYY-MM'), ``risk``: the month slider.
    basemap : geopandas.GeoDataFrame, optional
        Land or coast geometries; default is the bundled Natural Earth outline at
        ``RenderOptions.basemap`` scale (1:50m).
    bandwidth_km : float, optional
        Bandwidth of the seizure density; with ``confidence`` and
        ``n_seizures_within_bandwidth`` columns in ``scores`` the card says how sure the
        density is ("high (34 seizures within 40 km)").
    evaluation : dict, optional
        The rolling-origin back-test (:func:`pipeline.evaluate.rolling_back_test`): the side
        panel "How well this map predicted the past" shows its hit rates at 1, 5 and 10 % of
        the area for the published score (method ``"published"``) and each baseline, the wins
        per origin and the number of origins, or its ``skipped`` reason.
    model_report : dict, optional
        :meth:`pipeline.model.FittedModel.report`: the side panel's "Model" section (family and
        why, each selected factor's relative risk per SD with its 95 % interval and p-value, a
        warning when the model fell back); its ``horizon_days`` and factor descriptions label
        the card's fitted rows.
    hotspots : dict, optional
        ``{"gi_star": gi_summary, "emerging": emerging_summary}`` (:mod:`pipeline.hotspots`):
        counts per class and category, and the options, in the side panel and the legend.
    ports : pandas.DataFrame, optional
        Context: ``name``, ``lon``, ``lat`` of ports, drawn as small squares named on hover.
    lanes : geopandas.GeoDataFrame, optional
        Context: shipping lanes (lines, EPSG:4326 or any CRS), drawn as thin dashed lines.
    class_method : str, optional
        How ``class_breaks`` were made, as the legend states it: set by
        :func:`~pipeline.render.map_classes` (``"quantile"``, ``"natural"``); None: the
        ``RenderOptions.classes`` the map is drawn with.

    Notes
    -----
    Optional columns of ``scores`` that add to the card and the layers: the fitted model's
    ``expected_events``, ``p_any_event``, ``relative_risk`` and ``<feature>__share`` (each
    selected feature's multiplicative share, ``area__share`` for the cell's area); Gi*'s
    ``gi_z``, ``gi_p_adjusted``, ``gi_bin`` (-3..3) and ``gi_class`` (the significance layer);
    ``emerging_category``, ``trend`` and ``trend_p`` (the emerging-trend layer).  A missing
    value is shown as missing, never as 0.
    """

    scores: pd.DataFrame
    factors: list[FactorInfo]
    class_breaks: list[float]
    class_labels: list[str]
    seizures: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    transit: pd.DataFrame | None = None
    rasters: list[RasterOverlay] = field(default_factory=list)
    timeline: pd.DataFrame | None = None
    basemap: gpd.GeoDataFrame | None = None
    bandwidth_km: float | None = None
    evaluation: dict | None = None
    model_report: dict | None = None
    hotspots: dict | None = None
    ports: pd.DataFrame | None = None
    lanes: gpd.GeoDataFrame | None = None
    class_method: str | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How the map is drawn.

    Parameters
    ----------
    title : str
        Title shown at the top, followed by the as-of date.
    tiles : str, optional
        ``None`` (default) keeps the map offline with the vector basemap; a folium tiles
        name (e.g. ``"OpenStreetMap"``) adds online tiles and allows their origin in the CSP.
    max_seizure_points : int
        The most recent seizures shown as clustered points (the heat layer uses all).
    max_event_points : int
        The most recent transit events shown.
    max_heat_points : int
        The most recent seizures in the heat layer.
    class_colors : tuple of str, optional
        One ``#rrggbb`` colour per class; default a YlOrRd ramp.
    hex_opacity : float
        Fill opacity of the hexagons.
    show_heat, show_seizure_points, show_transit, show_events, show_rasters : bool
        Which optional layers are switched on when the page opens (all are in the control).
        The clustered seizure points are off by default: on, their cluster icons sit above
        the hexagons and take the pointer.
    show_significance : bool
        Whether the Gi* hot/cold outlines are on when the page opens (default on: outlines
        only, drawn over the risk fill without hiding it).
    show_emerging : bool
        Whether the emerging-trend layer is on when the page opens (default off: it fills the
        cells with a pattern and so hides their risk colour).
    show_panel : bool
        Whether the side panel (back-test, model, hot spots) is open when the page opens.
    show_context : bool
        Whether the context layers (ports, shipping lanes), when given, are on at first.
    ports_label, lanes_label : str
        The names of the context layers in the layer control and the legend: a road
        theatre's border crossings and motorways are no ports and shipping lanes.
    classes : {"fixed", "quantile", "natural"}
        The risk classes of the map: ``MapData.class_breaks`` and the ``risk_class`` column
        as given (``"fixed"``), or quantiles or natural breaks of the run's observed scores
        (the labels spread over the classes); the legend states the breaks and the method.
    basemap : {"50m", "10m", "110m"}
        Natural Earth scale of the bundled offline basemap (when ``MapData.basemap`` is
        None): 1:50m by default (about 0.75 MB of the page), 1:10m for port and city zoom
        (about 3.7 MB), 1:110m for the smallest page.
    """

    title: str = "route-risk"
    tiles: str | None = None
    tiles_attribution: str | None = None
    max_seizure_points: int = 20000
    max_event_points: int = 20000
    max_heat_points: int = 200_000
    class_colors: tuple[str, ...] | None = None
    hex_opacity: float = 0.7
    show_heat: bool = False
    show_seizure_points: bool = False
    show_transit: bool = False
    show_events: bool = False
    show_rasters: bool = False
    show_significance: bool = True
    show_emerging: bool = False
    show_panel: bool = False
    show_context: bool = True
    ports_label: str = "Ports"
    lanes_label: str = "Shipping lanes"
    classes: str = "fixed"
    basemap: str = "50m"
