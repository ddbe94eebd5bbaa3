"""Public test helpers: seeded sample data for tests, benchmarks and notebooks.

Like :mod:`geopandas.testing`, this module is part of the package so that the project's own
tests, its benchmarks and anyone extending route-risk (a plug-in factor, a custom map) build
their fixtures the same way.  Nothing here is used by the pipeline itself.

The data are synthetic, not a model of real data: plausible shapes, every layer filled, and an
optional ``text`` placed in every text sink of the map (the XSS corpus of the browser tests).

Examples
--------
>>> from pipeline.testing import sample_map_data
>>> data = sample_map_data(50)
>>> len(data.scores), [f.name for f in data.factors]
(50, ['seizure_density', 'vessel_hours', 'gap_events'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S
from .grid import cells_to_latlng, cells_to_strings, grid_disk_cells, points_to_cells
from .render import FactorInfo, MapData, RasterOverlay

__all__ = ["CLASS_BREAKS", "CLASS_LABELS", "sample_cells", "sample_map_data"]

#: Risk class boundaries of the sample data.
CLASS_BREAKS = [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
#: One label per class, lowest first.
CLASS_LABELS = ["very low", "low", "medium", "high", "very high"]


def sample_cells(
    n_cells: int, *, lon: float = -25.0, lat: float = 12.0, resolution: int = 7, seed: int = 0
) -> np.ndarray:
    """Return ``n_cells`` sorted distinct cells of a compact patch around (lon, lat).

    Examples
    --------
    >>> cells = sample_cells(100, resolution=6)
    >>> cells.size, bool((cells[1:] > cells[:-1]).all())
    (100, True)
    """
    centre = points_to_cells([lon], [lat], resolution)
    k = int(np.ceil(np.sqrt(max(n_cells, 1) / 3.0))) + 1
    while 3 * k * (k + 1) + 1 < n_cells:
        k += 1
    disk = grid_disk_cells(centre, k)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(disk, size=n_cells, replace=False))


def sample_map_data(
    n_cells: int = 200,
    *,
    seed: int = 0,
    text: str | None = None,
    cells: np.ndarray | None = None,
    n_seizures: int = 300,
    n_events: int = 120,
    n_periods: int = 6,
    uncovered_fraction: float = 0.1,
) -> MapData:
    """Build a :class:`~pipeline.render.MapData` with every layer filled.

    Parameters
    ----------
    n_cells : int
        Number of H3 cells (resolution 7) when ``cells`` is not given.
    seed : int
        Random seed.
    text : str, optional
        If given, used in every text sink: factor label and unit, commodity, class label,
        seizure note/agency, vessel ids, event type, period, raster name and units.
    cells : array of uint64, optional
        Use these cells instead.
    n_seizures, n_events, n_periods : int
        Sizes of the optional layers.
    uncovered_fraction : float
        Share of cells without AIS coverage: there ``vessel_hours`` and ``gap_events`` are 0
        and their ``__covered`` columns False (their factors say "no AIS coverage").

    Returns
    -------
    MapData
        Scores of three factors (seizure density, vessel-hours, AIS gaps) with their
        ``__norm``/``__contrib`` columns (and ``__covered`` for the two AIS factors), classes,
        commodity counts, confidence, ``observed`` (the first cell and ~5 % of the others
        False), seizures, events, a transit layer on every other cell, a monthly timeline and
        one raster.
    """
    rng = np.random.default_rng(seed)
    if cells is None:
        cells = sample_cells(n_cells, seed=seed)
    cells = np.asarray(cells, dtype="uint64")
    n = cells.size
    lat, lon = cells_to_latlng(cells)
    no_ais = "no AIS coverage"
    factors = [
        FactorInfo(S.SEIZURE_DENSITY, "Seizure density", 0.5, "events/km²", "KDE of seizures"),
        FactorInfo(S.VESSEL_HOURS, "Vessel-hours", 0.3, "h", "time spent by vessels", no_ais),
        FactorInfo(S.GAP_EVENTS, "AIS gaps", 0.2, "events", "AIS gaps longer than 6 h", no_ais),
    ]
    if text is not None:
        factors[2] = FactorInfo(S.GAP_EVENTS, text, 0.2, text, text, text)
    raw = {
        S.SEIZURE_DENSITY: rng.gamma(1.5, 0.02, n),
        S.VESSEL_HOURS: rng.gamma(2.0, 40.0, n),
        S.GAP_EVENTS: rng.poisson(1.0, n).astype(float),
    }
    # AIS reception: ~10 % of cells unobserved, where the transit factors read 0 (a separate
    # stream, so the other sample values do not depend on it).
    ais_covered = np.random.default_rng([seed, 1]).random(n) >= uncovered_fraction
    for name in (S.VESSEL_HOURS, S.GAP_EVENTS):
        raw[name] = np.where(ais_covered, raw[name], 0.0)
    total_w = sum(f.weight for f in factors)
    # Columns of the scores frame: arrays, or one scalar broadcast to every row.
    frame: dict[str, np.ndarray | str] = {S.CELL: cells, S.HEX_ID: cells_to_strings(cells)}
    risk = np.zeros(n)
    for f in factors:
        v = raw[f.name]
        norm = (pd.Series(v).rank(pct=True)).to_numpy()
        contrib = 100.0 * f.weight / total_w * norm
        frame[f.name] = v
        frame[f.name + S.NORM_SUFFIX] = norm
        frame[f.name + S.CONTRIB_SUFFIX] = contrib
        if f.name != S.SEIZURE_DENSITY:
            frame[f.name + S.COVERED_SUFFIX] = ais_covered
        risk += contrib
    labels = list(CLASS_LABELS)
    if text is not None:
        labels[-1] = text
    codes = np.clip(np.searchsorted(CLASS_BREAKS, risk, side="right") - 1, 0, len(labels) - 1)
    observed = rng.random(n) > 0.05
    observed[0] = False
    frame[S.RISK] = risk
    frame[S.RISK_CLASS] = np.asarray(labels, dtype=object)[codes]
    commodities = ["cocaine", "heroin", "cannabis"] if text is None else ["cocaine", text]
    for c in commodities:
        frame["seizures_" + c] = rng.poisson(0.5, n)
    latest = pd.Timestamp("2024-06-30", tz="UTC") - pd.to_timedelta(rng.integers(0, 400, n), "D")
    frame["latest_event"] = pd.Series(latest).where(rng.random(n) > 0.3)
    frame["observed"] = observed
    near = rng.poisson(8.0, n)
    frame[S.SEIZURES_WITHIN_BANDWIDTH] = near
    frame[S.CONFIDENCE] = (
        np.array(["low", "medium", "high"], dtype=object)[np.searchsorted([5, 20], near, "right")]
        if text is None
        else text
    )
    scores = pd.DataFrame(frame)

    pick = rng.integers(0, n, n_seizures)
    seizures = pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 180, n_seizures), "D"),
            S.LON: lon[pick] + rng.normal(0, 0.01, n_seizures),
            S.LAT: lat[pick] + rng.normal(0, 0.01, n_seizures),
            S.COMMODITY: rng.choice(commodities, n_seizures),
            S.QUANTITY: rng.gamma(2.0, 100.0, n_seizures),
            S.AGENCY: text if text is not None else "Coast guard",
            S.NOTE: text if text is not None else "container search",
        }
    )
    pick = rng.integers(0, n, n_events)
    start = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 2000, n_events), "h"
    )
    hours = rng.gamma(2.0, 5.0, n_events)
    events = pd.DataFrame(
        {
            "event_type": rng.choice(
                ["gap", "loitering", "encounter"] if text is None else [text], n_events
            ),
            S.VESSEL_ID: text
            if text is not None
            else [f"IMO{9000000 + i}" for i in range(n_events)],
            "other_vessel_id": text if text is not None else None,
            "start_time": start,
            "end_time": start + pd.to_timedelta(hours, "h"),
            "duration_hours": hours,
            S.LON: lon[pick],
            S.LAT: lat[pick],
        }
    )
    transit = pd.DataFrame({S.CELL: cells[::2], S.VESSEL_HOURS: raw[S.VESSEL_HOURS][::2]})
    periods = [f"2024-{m:02d}" for m in range(1, n_periods + 1)]
    if text is not None:
        periods[-1] = text
    timeline = pd.DataFrame(
        {
            S.CELL: np.repeat(cells, n_periods),
            "period": np.tile(periods, n),
            S.RISK: np.clip(np.repeat(risk, n_periods) + rng.normal(0, 10, n * n_periods), 0, 100),
        }
    ).sample(frac=0.9, random_state=seed)
    yy, xx = np.mgrid[0:40, 0:60]
    array = np.sin(xx / 9.0) + np.cos(yy / 7.0)
    array[:5, :5] = np.nan
    raster = RasterOverlay(
        text if text is not None else "Chlorophyll-a",
        array,
        (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
        units=text if text is not None else "mg/m³",
    )
    return MapData(
        scores=scores,
        factors=factors,
        class_breaks=list(CLASS_BREAKS),
        class_labels=labels,
        seizures=seizures,
        events=events,
        transit=transit,
        rasters=[raster],
        timeline=timeline,
        bandwidth_km=25.0,
    )
