"""Seeded, synthetic but plausible demo data: seizures, AIS tracks, ports and two rasters.

The theatre is the maritime smuggling space between the Caribbean, the north coast of South
America, the Atlantic islands (Cabo Verde, Canarias, Madeira, Açores), West Africa and Iberia.
Nothing is downloaded: land is a coarse hand-made set of polygons, ports are approximate real
locations, and every record is drawn from ``numpy.random.default_rng(seed)`` so that the same
seed writes byte-identical files.  The records are invented; agency names are illustrative.

How the data are made
---------------------
* A sea-lane graph joins ports, hand-placed waypoints and a 5-degree open-ocean lattice with
  every straight leg (up to ~1,900 km) that does not cross land; routes are shortest paths.
* Seizures are a mixture of corridors (routes between ports, with a perpendicular spread) and
  hot spots whose centre and intensity drift over three years (a Caribbean hot spot moving
  east, a Bijagós hub and a Gulf of Guinea hub growing in the last year, Canary-route
  migration rising, Florida Straits migration falling).  Points on land are redrawn.
* Vessels sail port to port along the graph (cargo, regional, fishing trips), pinging densely
  near the coast (terrestrial AIS) and sparsely offshore (satellite AIS).  A voyage leaves and
  reaches its berth through the port's approach point, so every leg away from the berth is a
  lane checked against the land (a fishing trip's legs too).  Planted: vessels
  that go dark for 8-30 h while underway, vessels that loiter below 2 kn for 5-12 h far from
  any port, and pairs that meet at sea (within 300 m for 3-6 h at low speed).  The planted
  ground truth is written to ``ais_planted.csv`` beside the tracks.
* ``nightlights.tif`` mixes city lights, vessel lights (from the AIS pings), corridor glow and
  fishing-fleet lights, with cloud-masked nodata patches.  ``sar_detections.nc`` holds twelve
  monthly SAR vessel-detection densities that follow the same drifting corridors.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .errors import ConfigError
from .schema import AGENCY, COMMODITY, LAT, LON, NOTE, QUANTITY
from .sphere import (
    EARTH_RADIUS_KM,
    KM_PER_DEGREE,
    arc_to_chord_km,
    chord_to_arc_km,
    haversine_km,
    initial_bearing_deg,
    lonlat_to_xyz,
)

__all__ = [
    "COMMODITIES",
    "DEMO_AS_OF",
    "DEMO_BBOX",
    "DemoFiles",
    "PLANTED_FILENAME",
    "generate_demo",
]

logger = logging.getLogger(__name__)

DEMO_AS_OF = _dt.date(2026, 6, 30)
DEMO_BBOX = (-85.0, -10.0, 10.0, 45.0)
PLANTED_FILENAME = "ais_planted.csv"
COMMODITIES = ("cocaine", "cannabis", "heroin", "precursors", "people", "cigarettes")

# raw-file column names (the ingest readers map them onto pipeline.schema)
DATE = "date"
UNIT = "unit"
MMSI = "mmsi"
TIMESTAMP = "timestamp"
SOG = "sog"
COG = "cog"
NAME = "name"

_KN_KMH = 1.852
_RASTER_RES_DEG = 0.05
_SAR_RES_DEG = 0.25
_NODATA = -9999.0
_SEIZURE_YEARS = 3

# --------------------------------------------------------------------------------------------
# geography
# --------------------------------------------------------------------------------------------

# Coarse coastlines (lon, lat); islands smaller than ~100 km are water on purpose.
# fmt: off
_LAND: dict[str, list[tuple[float, float]]] = {
    "north_america": [
        (-85.0, 45.0), (-67.0, 45.0), (-67.0, 44.6), (-68.8, 44.2), (-70.2, 43.6),
        (-70.7, 42.6), (-70.0, 41.7), (-71.5, 41.3), (-73.8, 40.6), (-74.0, 39.8),
        (-74.9, 38.9), (-75.5, 38.4), (-75.9, 37.2), (-75.5, 35.3), (-76.5, 34.7),
        (-77.9, 33.9), (-79.2, 33.2), (-80.7, 32.2), (-81.4, 30.5), (-81.2, 29.5),
        (-80.6, 28.4), (-80.1, 26.5), (-80.2, 25.4), (-80.9, 25.1), (-81.3, 25.6),
        (-81.8, 26.3), (-82.6, 27.5), (-82.8, 28.2), (-82.7, 29.1), (-83.6, 29.9),
        (-84.3, 30.0), (-85.0, 29.6),
    ],
    "nova_scotia": [
        (-66.0, 45.0), (-66.0, 44.3), (-65.6, 43.6), (-64.5, 44.0), (-63.0, 44.6),
        (-61.2, 45.0),
    ],
    "south_and_central_america": [
        (-85.0, 16.0), (-84.0, 15.9), (-83.2, 15.0), (-83.4, 14.0), (-83.6, 12.5),
        (-83.7, 11.0), (-83.0, 10.0), (-82.2, 9.1), (-81.2, 8.8), (-80.1, 9.2), (-79.5, 9.6),
        (-78.6, 9.4), (-77.4, 8.7), (-76.8, 8.1), (-76.2, 9.1), (-75.7, 9.6), (-75.6, 10.3),
        (-75.3, 10.8), (-74.8, 11.0), (-74.2, 11.2), (-73.3, 11.3), (-72.2, 11.9),
        (-71.9, 12.4), (-71.2, 12.0), (-71.6, 11.0), (-70.8, 11.2), (-70.2, 11.6),
        (-69.8, 12.1), (-69.6, 11.5), (-68.4, 10.9), (-68.0, 10.5), (-66.2, 10.6),
        (-64.5, 10.2), (-64.0, 10.6), (-62.0, 10.6), (-61.9, 10.0), (-61.0, 9.6),
        (-60.5, 8.6), (-59.8, 8.3), (-58.5, 7.3), (-58.2, 6.7), (-57.2, 6.0), (-55.9, 5.9),
        (-55.2, 5.85), (-54.0, 5.8), (-53.0, 5.5), (-52.3, 4.9), (-51.6, 4.2), (-50.6, 2.0),
        (-50.2, 0.5), (-49.5, -0.2), (-48.5, -0.8), (-47.5, -0.6), (-46.0, -1.0),
        (-44.4, -2.3), (-43.0, -2.4), (-41.5, -2.9), (-39.9, -2.8), (-38.5, -3.6),
        (-37.2, -4.8), (-35.9, -5.0), (-35.2, -5.4), (-34.85, -7.0), (-34.9, -8.0),
        (-35.2, -9.0), (-35.9, -10.0), (-78.2, -10.0), (-79.6, -7.0), (-81.2, -5.5),
        (-80.9, -2.5), (-80.1, -0.5), (-80.0, 1.0), (-78.9, 1.8), (-77.5, 3.8),
        (-77.4, 6.5), (-77.9, 7.2), (-78.4, 8.2), (-79.5, 8.9), (-80.2, 8.2), (-80.4, 7.3),
        (-81.7, 7.4), (-82.9, 8.1), (-83.7, 8.6), (-85.0, 10.0),
    ],
    "cuba": [
        (-84.95, 21.86), (-84.4, 22.5), (-83.2, 22.9), (-82.4, 23.15), (-81.5, 23.15),
        (-80.5, 23.0), (-79.3, 22.6), (-78.0, 22.3), (-77.1, 21.7), (-76.0, 21.2),
        (-75.5, 20.8), (-74.15, 20.25), (-74.3, 20.0), (-75.2, 19.9), (-76.2, 19.95),
        (-77.7, 19.85), (-77.3, 20.5), (-78.0, 20.8), (-78.7, 21.5), (-79.9, 21.7),
        (-81.1, 22.05), (-82.0, 22.3), (-83.3, 22.1), (-84.2, 21.9),
    ],
    "hispaniola": [
        (-74.45, 18.45), (-73.0, 18.6), (-72.4, 18.55), (-72.8, 19.0), (-73.4, 19.6),
        (-73.4, 19.85), (-72.8, 19.95), (-71.7, 19.9), (-70.5, 19.8), (-69.9, 19.65),
        (-69.2, 19.3), (-68.4, 18.65), (-68.7, 18.2), (-69.9, 18.45), (-70.6, 18.2),
        (-71.1, 18.05), (-71.6, 17.65), (-72.5, 18.2), (-73.5, 18.2), (-74.3, 18.3),
    ],
    "jamaica": [
        (-78.35, 18.45), (-77.6, 18.5), (-76.9, 18.45), (-76.3, 18.2), (-76.2, 17.9),
        (-76.8, 17.92), (-77.2, 17.75), (-77.7, 17.85), (-78.2, 18.2),
    ],
    "puerto_rico": [(-67.25, 18.5), (-65.6, 18.45), (-65.6, 18.0), (-67.2, 17.95)],
    "trinidad": [(-61.45, 10.85), (-60.9, 10.85), (-61.0, 10.05), (-61.45, 10.1)],
    "europe": [
        (-1.25, 45.0), (-1.2, 44.0), (-1.5, 43.5), (-2.5, 43.4), (-3.8, 43.5), (-5.8, 43.6),
        (-7.7, 43.75), (-8.3, 43.5), (-9.3, 43.15), (-9.1, 42.6), (-8.9, 42.15),
        (-8.85, 41.8), (-8.7, 41.0), (-8.9, 40.2), (-9.35, 39.3), (-9.45, 38.75),
        (-9.2, 38.65), (-9.2, 38.45), (-8.8, 38.45), (-8.8, 37.95), (-8.95, 37.05),
        (-8.0, 37.0), (-7.4, 37.15), (-6.9, 37.2), (-6.4, 36.8), (-6.3, 36.5), (-6.0, 36.2),
        (-5.6, 36.0), (-5.5, 36.05), (-5.44, 36.18), (-5.38, 36.17), (-5.35, 36.11),
        (-5.33, 36.2), (-4.4, 36.7), (-3.0, 36.75), (-2.1, 36.7), (-1.6, 37.2), (-0.7, 37.6),
        (-0.3, 38.4), (0.2, 38.8), (-0.3, 39.5), (0.0, 40.0), (0.9, 40.7), (1.5, 41.2),
        (3.2, 41.9), (3.1, 43.0), (4.0, 43.5), (5.4, 43.2), (6.5, 43.1), (7.5, 43.8),
        (8.8, 44.4), (10.0, 44.0), (10.0, 45.0),
    ],
    "africa": [
        (-5.92, 35.79), (-5.4, 35.92), (-5.3, 35.85), (-4.5, 35.2), (-3.0, 35.3),
        (-2.0, 35.1), (0.0, 35.9), (2.0, 36.6), (3.0, 36.8), (5.0, 36.7), (7.0, 37.0),
        (8.5, 36.9), (10.0, 37.2), (10.0, -3.0), (9.3, -1.5), (8.8, -0.7), (9.3, 0.5),
        (9.6, 1.0), (9.8, 2.5), (9.6, 3.8), (9.0, 4.0), (8.3, 4.6), (7.0, 4.4), (6.0, 4.3),
        (5.4, 5.3), (4.5, 6.3), (3.4, 6.38), (2.4, 6.33), (1.2, 6.08), (0.0, 5.6),
        (-1.0, 5.1), (-2.1, 4.75), (-3.0, 5.1), (-4.0, 5.2), (-5.0, 5.1), (-6.0, 4.7),
        (-7.5, 4.35), (-9.0, 5.0), (-10.8, 6.25), (-11.4, 6.9), (-12.5, 7.5), (-13.2, 8.4),
        (-13.3, 9.0), (-13.75, 9.45), (-14.5, 10.2), (-15.0, 10.8), (-15.5, 11.5),
        (-16.2, 11.9), (-16.7, 12.3), (-16.8, 13.3), (-16.85, 14.2), (-17.1, 14.55),
        (-17.27, 14.72), (-17.43, 14.70), (-17.53, 14.74), (-17.3, 14.85), (-16.8, 15.5),
        (-16.5, 16.0), (-16.2, 17.0), (-16.05, 18.0), (-16.2, 19.0), (-16.4, 19.6),
        (-16.9, 20.6), (-17.0, 21.0), (-16.9, 21.5), (-16.0, 23.0), (-15.8, 23.8),
        (-14.5, 26.1), (-13.2, 27.6), (-12.9, 27.95), (-11.5, 28.3), (-10.2, 29.3),
        (-9.6, 30.4), (-9.8, 31.4), (-9.3, 32.4), (-8.5, 33.2), (-7.6, 33.62), (-6.8, 34.0),
        (-6.3, 35.0), (-6.0, 35.6),
    ],
}
# fmt: on

# name, lon, lat (a point in the port's approach, on water), agencies patrolling nearby
_PORTS: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    ("Cartagena", -75.60, 10.40, ("Armada de Colombia", "Policía Antinarcóticos")),
    ("Barranquilla", -74.85, 11.10, ("Armada de Colombia",)),
    ("Santa Marta", -74.22, 11.25, ("Armada de Colombia", "Fiscalía Regional Magdalena")),
    ("Colón", -79.92, 9.40, ("Servicio Nacional Aeronaval",)),
    ("Kingston", -76.80, 17.85, ("Jamaica Defence Force Coast Guard", "JIATF-South")),
    ("Santo Domingo", -69.88, 18.40, ("Armada de República Dominicana", "DNCD Unidad Marítima")),
    ("San Juan", -66.10, 18.50, ("Coast Guard District 7", "CBP Air and Marine Operations")),
    ("Miami", -80.10, 25.77, ("Coast Guard District 7", "CBP Air and Marine Operations")),
    ("Nassau", -77.35, 25.10, ("Royal Bahamas Defence Force", "Coast Guard District 7")),
    ("Willemstad", -68.93, 12.08, ("Kustwacht Caribisch Gebied",)),
    ("Pointe-à-Pitre", -61.53, 16.20, ("Marine Nationale", "Douane Antilles")),
    ("Port of Spain", -61.55, 10.62, ("Trinidad and Tobago Coast Guard",)),
    ("Georgetown", -58.17, 6.85, ("Guyana Defence Force Coast Guard",)),
    ("Paramaribo", -55.15, 6.05, ("Kustwacht Suriname",)),
    ("Fortaleza", -38.45, -3.62, ("Polícia Federal NEPOM", "Marinha do Brasil")),
    ("Recife", -34.86, -8.06, ("Polícia Federal NEPOM", "Receita Federal")),
    ("Praia", -23.51, 14.90, ("Guarda Costeira de Cabo Verde", "Polícia Judiciária CV")),
    ("Dakar", -17.42, 14.64, ("Marine Nationale Sénégalaise", "OCRTIS Dakar")),
    ("Nouadhibou", -17.15, 20.85, ("Garde-Côtes Mauritaniennes",)),
    ("Bissau", -15.75, 11.55, ("Polícia Judiciária GB",)),
    ("Conakry", -13.80, 9.42, ("Marine Guinéenne",)),
    ("Freetown", -13.30, 8.50, ("Joint Maritime Committee SL",)),
    ("Abidjan", -4.02, 5.12, ("Marine Ivoirienne",)),
    ("Tema", 0.02, 5.55, ("Ghana Navy", "NACOB Maritime Desk")),
    ("Lomé", 1.28, 6.05, ("Marine Togolaise",)),
    ("Lagos", 3.40, 6.33, ("Nigerian Navy", "NDLEA Marine Command")),
    ("São Tomé", 6.73, 0.34, ("Guarda Costeira STP",)),
    ("Las Palmas", -15.41, 28.14, ("Guardia Civil SVA", "Policía Nacional UDYCO")),
    ("Funchal", -16.91, 32.64, ("Polícia Judiciária", "Marinha Portuguesa")),
    ("Ponta Delgada", -25.67, 37.73, ("Polícia Judiciária", "Marinha Portuguesa")),
    ("Casablanca", -7.61, 33.65, ("Marine Royale", "Gendarmerie Royale")),
    ("Tangier", -5.80, 35.86, ("Gendarmerie Royale", "Marine Royale")),
    ("Algeciras", -5.41, 36.10, ("Guardia Civil SVA", "Vigilancia Aduanera")),
    ("Lisbon", -9.30, 38.62, ("Polícia Judiciária", "MAOC-N", "Marinha Portuguesa")),
    ("Vigo", -8.95, 42.12, ("Vigilancia Aduanera", "Guardia Civil SVA")),
)
_HIGH_SEAS_KM = 300.0
_HIGH_SEAS_AGENCIES_WEST = ("JIATF-South", "Coast Guard District 7", "Marine Nationale")
_HIGH_SEAS_AGENCIES_EAST = ("MAOC-N", "Marine Nationale", "Guardia Civil SVA", "Marinha Portuguesa")

# Open-water waypoints that keep routes off the coarse coasts (lon, lat).
_WAYPOINTS: tuple[tuple[float, float], ...] = (
    (-75.8, 11.4),
    (-72.0, 13.2),
    (-70.0, 13.0),
    (-66.0, 11.8),
    (-62.5, 12.0),
    (-61.5, 11.2),
    (-60.0, 14.0),
    (-64.0, 18.6),
    (-67.9, 18.3),
    (-73.9, 20.05),
    (-77.0, 17.3),
    (-79.0, 18.3),
    (-81.0, 19.0),
    (-84.7, 21.3),
    (-81.5, 24.0),
    (-79.7, 25.5),
    (-78.6, 26.1),
    (-74.5, 35.0),
    (-64.5, 31.0),
    (-57.0, 8.5),
    (-55.0, 7.0),
    (-59.5, 11.5),
    (-48.0, 3.0),
    (-38.0, -2.8),
    (-34.0, -5.0),
    (-34.3, -8.0),
    (-28.0, 2.0),
    (-25.5, 15.5),
    (-22.0, 15.0),
    (-18.5, 28.0),
    (-15.0, 29.5),
    (-17.5, 33.5),
    (-25.0, 37.5),
    (-10.5, 43.0),
    (-10.0, 38.7),
    (-9.6, 36.8),
    (-7.5, 36.3),
    (-6.2, 35.95),
    (-3.5, 36.0),
    (-10.5, 32.0),
    (-15.0, 26.5),
    (-17.5, 23.5),
    (-17.8, 19.5),
    (-18.0, 14.5),
    (-17.0, 11.0),
    (-14.5, 9.0),
    (-13.8, 7.8),
    (-11.5, 5.5),
    (-7.5, 3.5),
    (-4.0, 4.5),
    (-1.0, 4.3),
    (1.2, 5.4),
    (3.4, 5.8),
    (5.5, 3.5),
    (6.0, 0.5),
    (3.0, 2.0),
)
_LATTICE_STEP_DEG = 5.0
_MAX_EDGE_KM = 1900.0

# Corridors: origin port, destination port, weight, log-trend over the 3 years, spread km,
# commodity mix in COMMODITIES order, seasonal phase.
_CORRIDORS: tuple[tuple[str, str, float, float, float, tuple[float, ...]], ...] = (
    ("Cartagena", "Miami", 1.0, -0.4, 45.0, (0.78, 0.10, 0.02, 0.04, 0.04, 0.02)),
    ("Santa Marta", "Santo Domingo", 0.9, 0.3, 40.0, (0.80, 0.10, 0.02, 0.03, 0.03, 0.02)),
    ("Willemstad", "San Juan", 0.55, 0.4, 35.0, (0.75, 0.10, 0.03, 0.05, 0.05, 0.02)),
    ("Kingston", "Nassau", 0.45, 0.0, 30.0, (0.30, 0.45, 0.00, 0.02, 0.20, 0.03)),
    ("Colón", "Kingston", 0.5, 0.1, 40.0, (0.80, 0.10, 0.02, 0.04, 0.02, 0.02)),
    ("Port of Spain", "Praia", 0.55, 0.5, 60.0, (0.88, 0.02, 0.02, 0.05, 0.00, 0.03)),
    ("Praia", "Bissau", 0.45, 0.7, 40.0, (0.85, 0.02, 0.05, 0.03, 0.03, 0.02)),
    ("Georgetown", "Dakar", 0.35, 0.6, 60.0, (0.88, 0.02, 0.02, 0.04, 0.00, 0.04)),
    ("Recife", "Lagos", 0.45, 0.6, 60.0, (0.80, 0.02, 0.08, 0.05, 0.00, 0.05)),
    ("Fortaleza", "Lisbon", 0.35, 0.2, 60.0, (0.85, 0.03, 0.02, 0.05, 0.00, 0.05)),
    ("Pointe-à-Pitre", "Ponta Delgada", 0.4, 0.1, 70.0, (0.90, 0.03, 0.02, 0.02, 0.00, 0.03)),
    ("Ponta Delgada", "Vigo", 0.45, 0.0, 50.0, (0.90, 0.04, 0.02, 0.02, 0.00, 0.02)),
    ("Bissau", "Las Palmas", 0.4, 0.5, 45.0, (0.55, 0.05, 0.05, 0.03, 0.30, 0.02)),
    ("Nouadhibou", "Las Palmas", 0.5, 1.0, 35.0, (0.08, 0.05, 0.00, 0.00, 0.85, 0.02)),
    ("Dakar", "Las Palmas", 0.45, 0.8, 40.0, (0.06, 0.02, 0.00, 0.00, 0.90, 0.02)),
    ("Tangier", "Algeciras", 0.8, 0.0, 12.0, (0.06, 0.85, 0.01, 0.00, 0.05, 0.03)),
    ("Casablanca", "Algeciras", 0.4, 0.2, 25.0, (0.10, 0.80, 0.02, 0.00, 0.03, 0.05)),
    ("Lagos", "Las Palmas", 0.35, 0.4, 60.0, (0.45, 0.05, 0.25, 0.05, 0.15, 0.05)),
    ("Las Palmas", "Vigo", 0.35, 0.2, 45.0, (0.75, 0.15, 0.03, 0.02, 0.00, 0.05)),
    ("Lisbon", "Cartagena", 0.25, 0.3, 70.0, (0.10, 0.02, 0.00, 0.85, 0.00, 0.03)),
    ("Tema", "Abidjan", 0.3, 0.5, 30.0, (0.50, 0.10, 0.10, 0.10, 0.05, 0.15)),
)

# Hot spots: start (lon, lat), end (lon, lat), spread km, weight, log-trend, onset (fraction of
# the 3 years where a logistic ramp is half way; None = always on), commodity mix.
_HOTSPOTS: tuple[tuple, ...] = (
    ((-77.0, 14.5), (-68.0, 15.8), 90.0, 0.9, 0.0, None, (0.85, 0.08, 0.02, 0.03, 0.0, 0.02)),
    ((-16.6, 10.9), (-16.9, 11.3), 55.0, 1.4, 0.3, 0.72, (0.85, 0.03, 0.07, 0.03, 0.0, 0.02)),
    ((-5.75, 35.95), (-5.2, 36.0), 18.0, 0.6, 0.0, None, (0.05, 0.90, 0.00, 0.00, 0.03, 0.02)),
    ((-9.4, 42.35), (-9.3, 42.6), 25.0, 0.35, 0.2, None, (0.90, 0.07, 0.01, 0.01, 0.0, 0.01)),
    ((-81.0, 23.8), (-80.4, 24.3), 45.0, 0.5, -1.2, None, (0.05, 0.05, 0.0, 0.0, 0.9, 0.0)),
    ((-14.6, 28.6), (-18.2, 27.4), 60.0, 0.55, 1.2, None, (0.03, 0.02, 0.0, 0.0, 0.95, 0.0)),
    ((3.0, 5.2), (5.0, 3.6), 80.0, 0.9, 0.2, 0.6, (0.55, 0.05, 0.20, 0.10, 0.05, 0.05)),
)

# log-normal quantity per commodity: median, sigma, unit
_QUANTITY = {
    "cocaine": (350.0, 1.1, "kg"),
    "cannabis": (900.0, 1.0, "kg"),
    "heroin": (25.0, 1.0, "kg"),
    "precursors": (1500.0, 1.2, "kg"),
    "people": (30.0, 0.7, "persons"),
    "cigarettes": (3000.0, 0.8, "kg"),
}
_QUANTITY_MISSING_FRACTION = 0.005

# fmt: off
_VESSEL_WORDS = {
    "cocaine": ("go-fast boat", "semi-submersible", "container ship", "sailing yacht",
                "fishing vessel", "bulk carrier", "low-profile vessel"),
    "cannabis": ("narcolancha", "semi-rigid boat", "fishing vessel", "pleasure craft"),
    "heroin": ("container ship", "fishing vessel", "sailing yacht", "dhow-type vessel"),
    "precursors": ("container ship", "general cargo vessel", "tanker"),
    "people": ("cayuco", "pirogue", "yola", "rubber dinghy", "wooden boat"),
    "cigarettes": ("cargo ship", "coaster", "fishing vessel"),
}

_ACTIONS = {
    "people": ("Intercepted", "Rescued persons aboard", "Escorted", "Stopped"),
    "default": ("Interdicted", "Boarded", "Intercepted", "Seized from", "Searched",
                "Bales recovered near"),
}
# fmt: on
# Real-world text is messy; these exercise quoting, HTML escaping and non-ASCII handling.
_NOTE_SUFFIXES = (
    ", crew of 4 detained",
    " near the Açores",
    ' – cargo declared as "bananas"',
    ' (op. "Tridente", phase 2)',
    ", tip-off from MAOC-N & partners",
    " <b>priority</b> follow-up",
    ' <script>alert("x")</script>',
    ", bound for São Tomé",
    ", vessel flagged to Côte d'Ivoire",
    ", transhipment suspected; AIS off 14 h",
    ", 3 × 25 kg bales, GPS beacon attached",
    ', vessel "Nuestra Señora" seized',
    ", destination Guiné-Bissau",
    " — ¡alto! crew fled; boat 🚤 abandoned",
    ", ref. #A-12/34, value ≈ €1.2m",
    ", smell of diesel, 'wet' bales",
    ", escorted to Las Palmas de Gran Canaria",
    ' 100% recovered & logged; see <a href="#">report</a>',
)
_NOTE_SUFFIX_FRACTION = 0.35

# MIDs (maritime identification digits) of flags common in the theatre
# fmt: off
_MIDS = (538, 636, 352, 353, 355, 371, 372, 309, 311, 255, 263, 224, 225, 227, 710, 730, 775,
         617, 663, 630, 657, 627, 366, 367, 339, 362, 232, 244, 256, 319)
# fmt: on

# AIS reporting: candidates every ~3 min, thinned to a mean interval that depends on where
# the vessel is (terrestrial receivers near the coast, sparser satellite AIS offshore, slow
# reporting when moored).
_AIS_BASE_INTERVAL_S = 180.0
_AIS_KEEP_COASTAL = _AIS_BASE_INTERVAL_S / (7.5 * 60)
_AIS_KEEP_OFFSHORE = _AIS_BASE_INTERVAL_S / (20 * 60)
_AIS_KEEP_MOORED = _AIS_BASE_INTERVAL_S / (30 * 60)
_COASTAL_KM = 150.0
_MOORED_KM = 15.0
_FAR_FROM_PORT_KM = 150.0
_PORT_GRID_DEG = 0.25  # cells of the coarse nearest-port grid (Theatre.near_port)


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files written by :func:`generate_demo`.

    Attributes
    ----------
    seizures : Path
        ``seizures.csv``: date, lat, lon, commodity, quantity, unit, agency, note.
    tracks : Path
        ``ais.csv``: mmsi, timestamp, lat, lon, sog, cog (sorted by mmsi, timestamp).
    ports : Path
        ``ports.csv``: name, lat, lon.
    nightlights : Path
        ``nightlights.tif``: float32 GeoTIFF, EPSG:4326, nodata -9999.
    sar : Path
        ``sar_detections.nc``: monthly SAR vessel-detection density (NetCDF4, CF).
    """

    seizures: Path
    tracks: Path
    ports: Path
    nightlights: Path
    sar: Path


# --------------------------------------------------------------------------------------------
# small geodesy helpers (vectorised)
# --------------------------------------------------------------------------------------------


def _offset_deg(lon, lat, east_km, north_km) -> tuple[np.ndarray, np.ndarray]:
    """Move points by local east/north offsets in km (equirectangular, fine below ~500 km)."""
    lat = np.asarray(lat, dtype=float)
    new_lat = lat + np.asarray(north_km) / KM_PER_DEGREE
    new_lon = np.asarray(lon, dtype=float) + np.asarray(east_km) / (
        KM_PER_DEGREE * np.cos(np.radians(lat))
    )
    return new_lon, new_lat


# --------------------------------------------------------------------------------------------
# the theatre: land, ports, sea-lane graph
# --------------------------------------------------------------------------------------------


class _Theatre:
    """Land, ports and the sea-lane graph; built once per generation, no randomness."""

    def __init__(self) -> None:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import shortest_path
        from scipy.spatial import cKDTree

        self.land = shapely.union_all([shapely.Polygon(p) for p in _LAND.values()])
        shapely.prepare(self.land)
        self.port_names = [p[0] for p in _PORTS]
        self.port_lon = np.array([p[1] for p in _PORTS])
        self.port_lat = np.array([p[2] for p in _PORTS])
        self.port_agencies = [p[3] for p in _PORTS]
        self._port_tree = cKDTree(lonlat_to_xyz(self.port_lon, self.port_lat) * EARTH_RADIUS_KM)
        self._port_grid: tuple[np.ndarray, np.ndarray] | None = None

        lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
        glon, glat = np.meshgrid(
            np.arange(lon_min + 2.5, lon_max, _LATTICE_STEP_DEG),
            np.arange(lat_min + 2.5, lat_max, _LATTICE_STEP_DEG),
        )
        glon, glat = glon.ravel(), glat.ravel()
        lattice_pts = shapely.points(glon, glat)
        pacific = (glon < -77.0) & (glat < 9.5)
        keep = (shapely.distance(lattice_pts, self.land) > 1.0) & ~pacific
        wp = np.array(_WAYPOINTS)
        self.node_lon = np.concatenate([self.port_lon, wp[:, 0], glon[keep]])
        self.node_lat = np.concatenate([self.port_lat, wp[:, 1], glat[keep]])
        n = self.node_lon.size
        i, j = np.triu_indices(n, k=1)
        d = haversine_km(self.node_lon[i], self.node_lat[i], self.node_lon[j], self.node_lat[j])
        near = d <= _MAX_EDGE_KM
        i, j, d = i[near], j[near], d[near]
        coords = np.stack(
            [
                np.column_stack([self.node_lon[i], self.node_lat[i]]),
                np.column_stack([self.node_lon[j], self.node_lat[j]]),
            ],
            axis=1,
        )
        lines = shapely.linestrings(coords)
        wet = ~shapely.intersects(lines, self.land)
        i, j, d = i[wet], j[wet], d[wet]
        self.edges = (i, j, d)
        graph = coo_matrix((d, (i, j)), shape=(n, n)).tocsr()
        self.dist, self.pred = shortest_path(
            graph, directed=False, indices=np.arange(len(_PORTS)), return_predecessors=True
        )
        self.n_ports = len(_PORTS)
        unreachable = ~np.isfinite(self.dist[:, : self.n_ports]).all(axis=1)
        if unreachable.any():  # a coastline edit cut a port off: a bug in the tables above
            bad = [self.port_names[k] for k in np.flatnonzero(unreachable)]
            raise ConfigError(f"demo sea-lane graph leaves ports {bad!r} unreachable")

    def port_index(self, name: str) -> int:
        return self.port_names.index(name)

    def path_nodes(self, port: int, node: int) -> list[int]:
        """Node indices of the shortest path from ``port`` (a port index) to ``node``."""
        out = [node]
        while out[-1] != port:
            out.append(int(self.pred[port, out[-1]]))
        return out[::-1]

    def route(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        nodes = self.path_nodes(a, b)
        return self.node_lon[nodes], self.node_lat[nodes]

    def on_land(self, lon, lat) -> np.ndarray:
        lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        outside = (lon <= lon_min) | (lon >= lon_max) | (lat <= lat_min) | (lat >= lat_max)
        return outside | shapely.contains_xy(self.land, lon, lat)

    def near_port(self, lon, lat, km: float) -> np.ndarray:
        """Return whether each point is less than ``km`` from a port (``nearest_port`` < km).

        A coarse grid of the nearest-port distance at cell centres settles the points whose
        cell lies wholly inside or wholly outside ``km`` (the distance to the nearest port
        changes by at most the centre-to-corner distance within a cell); only the rest are
        looked up exactly.
        """
        lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
        if self._port_grid is None:
            lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
            step = _PORT_GRID_DEG
            clon = lon_min + (np.arange(round((lon_max - lon_min) / step)) + 0.5) * step
            clat = lat_min + (np.arange(round((lat_max - lat_min) / step)) + 0.5) * step
            glon, glat = np.meshgrid(clon, clat)
            centre_km = self.nearest_port(glon.ravel(), glat.ravel())[0].reshape(glon.shape)
            h = step / 2
            corner_km = np.maximum(
                haversine_km(0.0, clat, h, clat + h), haversine_km(0.0, clat, h, clat - h)
            )
            self._port_grid = (centre_km, (corner_km * 1.01 + 1e-6)[:, None])  # with a margin
        centre_km, reach_km = self._port_grid
        lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
        col = np.floor((lon - lon_min) / _PORT_GRID_DEG).astype(np.int64)
        row = np.floor((lat - lat_min) / _PORT_GRID_DEG).astype(np.int64)
        inside = (col >= 0) & (col < centre_km.shape[1]) & (row >= 0) & (row < centre_km.shape[0])
        col, row = np.where(inside, col, 0), np.where(inside, row, 0)
        d, r = centre_km[row, col], reach_km[row, 0]
        near = inside & (d + r < km)
        ask = np.flatnonzero(inside & (d + r >= km) & (d - r < km) | ~inside)
        near[ask] = self.nearest_port(lon[ask], lat[ask], within_km=km)[0] < km
        return near

    def nearest_port(self, lon, lat, within_km: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Return (km to the nearest port, its index) for each point.

        With ``within_km``, a point with no port that close gets ``inf`` km and index
        ``n_ports`` (the tree search stops early: much faster for points far offshore).
        """
        xyz = lonlat_to_xyz(np.atleast_1d(lon), np.atleast_1d(lat))
        bound = np.inf
        if np.isfinite(within_km):  # a hair wider, so points just inside keep their exact km
            bound = float(arc_to_chord_km(within_km)) * (1 + 1e-9) + 1e-9
        chord_km, idx = self._port_tree.query(xyz * EARTH_RADIUS_KM, distance_upper_bound=bound)
        return np.where(np.isfinite(chord_km), chord_to_arc_km(chord_km), np.inf), idx


def _path_cumkm(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    seg = haversine_km(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.concatenate([[0.0], np.cumsum(seg)])


def _along(lons, lats, cum_km, at_km) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position and local bearing at distances ``at_km`` along a polyline."""
    at_km = np.clip(np.asarray(at_km, dtype=float), 0.0, cum_km[-1])
    lon = np.interp(at_km, cum_km, lons)
    lat = np.interp(at_km, cum_km, lats)
    k = np.clip(np.searchsorted(cum_km, at_km, side="right") - 1, 0, len(lons) - 2)
    brg = initial_bearing_deg(lons[k], lats[k], lons[k + 1], lats[k + 1])
    return lon, lat, brg


# --------------------------------------------------------------------------------------------
# seizures
# --------------------------------------------------------------------------------------------


def _three_years_before(as_of: _dt.date) -> _dt.date:
    try:
        return as_of.replace(year=as_of.year - _SEIZURE_YEARS) + _dt.timedelta(days=1)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - _SEIZURE_YEARS, day=28) + _dt.timedelta(days=1)


def _component_weights(t: np.ndarray) -> np.ndarray:
    """Relative intensity of every corridor and hot spot at times ``t`` in [0, 1] (3 years)."""
    t = np.asarray(t, dtype=float)[:, None]
    base = np.array([c[2] for c in _CORRIDORS] + [h[3] for h in _HOTSPOTS])
    trend = np.array([c[3] for c in _CORRIDORS] + [h[4] for h in _HOTSPOTS])
    onset = np.array(
        [np.nan] * len(_CORRIDORS) + [np.nan if h[5] is None else h[5] for h in _HOTSPOTS]
    )
    phase = np.arange(base.size) * 0.7
    season = 1.0 + 0.25 * np.sin(2 * np.pi * t * _SEIZURE_YEARS + phase)
    w = base * np.exp(trend * (t - 0.5)) * season
    ramp = 1.0 / (1.0 + np.exp(-(t - onset) / 0.03))
    return np.where(np.isnan(onset), w, w * (0.03 + ramp))


def _hotspot_centres(k: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    (lon0, lat0), (lon1, lat1) = _HOTSPOTS[k][0], _HOTSPOTS[k][1]
    return lon0 + (lon1 - lon0) * t, lat0 + (lat1 - lat0) * t


def _seizure_positions(theatre, rng, comp, t, routes) -> tuple[np.ndarray, np.ndarray]:
    """Draw positions for components ``comp`` at times ``t``; redraw those on land."""
    n = comp.size
    lon, lat = np.empty(n), np.empty(n)
    todo = np.arange(n)
    n_corr = len(_CORRIDORS)
    for attempt in range(40):
        if todo.size == 0:
            break
        spread = 1.0 if attempt < 30 else 0.0  # last resort: on the lane itself (water)
        for c in np.unique(comp[todo]):
            idx = todo[comp[todo] == c]
            if c < n_corr:
                lons, lats, cum = routes[c]
                u = rng.beta(0.8, 0.8, idx.size)
                plon, plat, brg = _along(lons, lats, cum, u * cum[-1])
                side = rng.normal(0.0, _CORRIDORS[c][4], idx.size) * spread
                normal = np.radians(brg + 90.0)
                lon[idx], lat[idx] = _offset_deg(
                    plon, plat, side * np.sin(normal), side * np.cos(normal)
                )
            else:
                h = c - n_corr
                clon, clat = _hotspot_centres(h, t[idx])
                sigma = _HOTSPOTS[h][2] * spread
                lon[idx], lat[idx] = _offset_deg(
                    clon, clat, rng.normal(0, sigma, idx.size), rng.normal(0, sigma, idx.size)
                )
        todo = todo[theatre.on_land(lon[todo], lat[todo])]
    if todo.size:
        raise ConfigError(f"demo could not place {todo.size!r} seizures on water")
    return lon, lat


def _pick(rng, choices: Sequence[str], n: int) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.integers(0, len(choices), n)]


def _seizure_notes(rng, commodity: np.ndarray) -> np.ndarray:
    n = commodity.size
    action = np.empty(n, dtype=object)
    vessel = np.empty(n, dtype=object)
    for name, words in _VESSEL_WORDS.items():
        m = commodity == name
        vessel[m] = _pick(rng, words, int(m.sum()))
        acts = _ACTIONS["people" if name == "people" else "default"]
        action[m] = _pick(rng, acts, int(m.sum()))
    suffix = _pick(rng, _NOTE_SUFFIXES, n)
    suffix[rng.random(n) >= _NOTE_SUFFIX_FRACTION] = ""
    return action + " " + vessel + suffix


def _make_seizures(theatre: _Theatre, rng, n: int, as_of: _dt.date) -> pd.DataFrame:
    start = _three_years_before(as_of)
    n_days = (as_of - start).days + 1
    t_days = (np.arange(n_days) + 0.5) / n_days
    weights = _component_weights(t_days)
    flat = rng.choice(weights.size, size=n, p=(weights / weights.sum()).ravel())
    day, comp = np.divmod(flat, weights.shape[1])
    t = (day + rng.random(n)) / n_days
    routes = []
    for a, b, *_ in _CORRIDORS:
        lons, lats = theatre.route(theatre.port_index(a), theatre.port_index(b))
        routes.append((lons, lats, _path_cumkm(lons, lats)))
    lon, lat = _seizure_positions(theatre, rng, comp, t, routes)

    mixes = np.array([c[5] for c in _CORRIDORS] + [h[6] for h in _HOTSPOTS])
    mixes = mixes / mixes.sum(axis=1, keepdims=True)
    cdf = np.cumsum(mixes[comp], axis=1)
    k = (rng.random(n)[:, None] > cdf).sum(axis=1)
    commodity = np.asarray(COMMODITIES, dtype=object)[np.minimum(k, len(COMMODITIES) - 1)]

    median = np.array([_QUANTITY[c][0] for c in COMMODITIES])[k]
    sigma = np.array([_QUANTITY[c][1] for c in COMMODITIES])[k]
    unit = np.array([_QUANTITY[c][2] for c in COMMODITIES], dtype=object)[k]
    qty = np.exp(np.log(median) + sigma * rng.standard_normal(n))
    persons = unit == "persons"
    qty = np.where(persons, np.clip(np.round(qty), 1, 400), np.clip(np.round(qty, 1), 0.1, 25000))
    qty_text = np.where(persons, np.char.mod("%d", qty), np.char.mod("%.1f", qty)).astype(object)
    qty_text[rng.random(n) < _QUANTITY_MISSING_FRACTION] = ""

    dist_km, port = theatre.nearest_port(lon, lat)
    agency = np.empty(n, dtype=object)
    for p, names in enumerate(theatre.port_agencies):
        m = port == p
        agency[m] = _pick(rng, names, int(m.sum()))
    far = dist_km > _HIGH_SEAS_KM
    west = far & (lon < -40.0)
    east = far & (lon >= -40.0)
    agency[west] = _pick(rng, _HIGH_SEAS_AGENCIES_WEST, int(west.sum()))
    agency[east] = _pick(rng, _HIGH_SEAS_AGENCIES_EAST, int(east.sum()))
    note = _seizure_notes(rng, commodity)

    dates = np.datetime64(start, "D") + day.astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            DATE: np.datetime_as_string(dates, unit="D"),
            LAT: np.round(lat, 6),
            LON: np.round(lon, 6),
            COMMODITY: commodity,
            QUANTITY: qty_text,
            UNIT: unit,
            AGENCY: agency,
            NOTE: note,
        }
    )
    return frame.iloc[np.argsort(day, kind="stable")].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# AIS tracks
# --------------------------------------------------------------------------------------------


class _Voyage:
    """Piecewise-linear keyframes (t seconds from the window start, lon, lat) of one vessel."""

    def __init__(self, t0: float, lon: float, lat: float) -> None:
        self.t = [np.array([t0])]
        self.lon = [np.array([lon])]
        self.lat = [np.array([lat])]

    @property
    def now(self) -> float:
        return float(self.t[-1][-1])

    @property
    def here(self) -> tuple[float, float]:
        return float(self.lon[-1][-1]), float(self.lat[-1][-1])

    def stay(self, seconds: float) -> None:
        lon, lat = self.here
        self._append([self.now + max(seconds, 1.0)], [lon], [lat])

    def sail(self, lons, lats, speed_kn: float) -> None:
        """Sail through the points at a constant speed (the first point may be ``here``)."""
        lon0, lat0 = self.here
        lons = np.concatenate([[lon0], np.asarray(lons, dtype=float)])
        lats = np.concatenate([[lat0], np.asarray(lats, dtype=float)])
        cum = _path_cumkm(lons, lats)
        keep = np.diff(cum) > 1e-6
        if not keep.any():
            return
        t = self.now + cum[1:][keep] / (speed_kn * _KN_KMH) * 3600.0
        self._append(t, lons[1:][keep], lats[1:][keep])

    def sail_each(self, lons, lats, speeds_kn) -> None:
        """Sail to each point in turn, leg ``i`` at ``speeds_kn[i]``: ``sail`` once per point.

        Vectorised: the legs start at the previous point, so the times are one running sum
        (in the same order of additions as point-by-point sailing).  A leg under 1 mm, which
        ``sail`` would skip, makes the next leg start elsewhere: then the points go one by one.
        """
        lon0, lat0 = self.here
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        leg_km = haversine_km(np.r_[lon0, lons[:-1]], np.r_[lat0, lats[:-1]], lons, lats)
        if not (leg_km > 1e-6).all():
            for lo, la, v in zip(lons, lats, np.asarray(speeds_kn), strict=True):
                self.sail([lo], [la], float(v))
            return
        dt = leg_km / (np.asarray(speeds_kn, dtype=float) * _KN_KMH) * 3600.0
        self._append(np.cumsum(np.r_[self.now, dt])[1:], lons, lats)

    def drift(self, rng, seconds: float, speed_kn: tuple[float, float], step_s: float = 2400.0):
        """Random-walk at low speed for ``seconds``; returns the keyframes added (t, lon, lat)."""
        n = max(2, int(np.ceil(seconds / step_s)))
        dt = np.full(n, seconds / n)
        heading = np.radians(rng.uniform(0, 360) + np.cumsum(rng.normal(0, 50, n)))
        km = rng.uniform(*speed_kn, n) * _KN_KMH * dt / 3600.0
        lon0, lat0 = self.here
        lon, lat = _offset_deg(
            lon0, lat0, np.cumsum(km * np.sin(heading)), np.cumsum(km * np.cos(heading))
        )
        t = self.now + np.cumsum(dt)
        self._append(t, lon, lat)
        return t, lon, lat

    def _append(self, t, lon, lat) -> None:
        self.t.append(np.asarray(t, dtype=float))
        self.lon.append(np.asarray(lon, dtype=float))
        self.lat.append(np.asarray(lat, dtype=float))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.t), np.concatenate(self.lon), np.concatenate(self.lat)


@dataclass
class _Vessel:
    mmsi: int
    kind: str  # "cargo", "regional", "fishing"
    speed_kn: float
    home: int
    berth_km: tuple[float, float]


def _berth(theatre: _Theatre, vessel: _Vessel, port: int) -> tuple[float, float]:
    lon, lat = _offset_deg(theatre.port_lon[port], theatre.port_lat[port], *vessel.berth_km)
    return float(lon), float(lat)


def _next_port(theatre: _Theatre, rng, vessel: _Vessel, here: int) -> int:
    scale_km = {"cargo": 4000.0, "regional": 1200.0}[vessel.kind]
    d = theatre.dist[here, : theatre.n_ports].copy()
    w = np.exp(-d / scale_km)
    w[here] = 0.0
    return int(rng.choice(theatre.n_ports, p=w / w.sum()))


def _sail_to_port(theatre, rng, voy: _Voyage, vessel: _Vessel, a: int, b: int, speed: float):
    lons, lats = theatre.route(a, b)
    blon, blat = _berth(theatre, vessel, b)
    voy.sail(np.append(lons, blon), np.append(lats, blat), speed)


def _trade(theatre, rng, voy: _Voyage, vessel: _Vessel, port: int, end_s: float) -> None:
    """Port-to-port trading until the window ends."""
    while voy.now < end_s:
        voy.stay(rng.uniform(6, 60) * 3600.0)
        nxt = _next_port(theatre, rng, vessel, port)
        _sail_to_port(theatre, rng, voy, vessel, port, nxt, vessel.speed_kn * rng.uniform(0.9, 1.1))
        port = nxt


def _fish(theatre, rng, voy: _Voyage, vessel: _Vessel, end_s: float) -> None:
    """Fishing trips from the home port: out, trawl in zig-zags at 2.5-5 kn, back."""
    home = vessel.home
    plon, plat = theatre.port_lon[home], theatre.port_lat[home]
    while voy.now < end_s:
        voy.stay(rng.uniform(12, 48) * 3600.0)
        for _ in range(20):
            brg = np.radians(rng.uniform(0, 360))
            dist = rng.uniform(40, 160)
            glon, glat = _offset_deg(plon, plat, dist * np.sin(brg), dist * np.cos(brg))
            track = shapely.linestrings([[plon, plat], [float(glon), float(glat)]])
            if (
                not shapely.intersects(track, theatre.land)
                and not theatre.on_land(glon, glat).any()
            ):
                break
        else:
            voy.stay(24 * 3600.0)
            continue
        voy.sail([plon, glon], [plat, glat], vessel.speed_kn)
        hours = rng.uniform(12, 72)
        n = max(2, int(hours / 1.5))
        heading = np.radians(rng.uniform(0, 360) + np.cumsum(rng.choice([-150.0, 150.0], n)))
        km = rng.uniform(2.5, 5.0, n) * _KN_KMH * 1.5
        zlon, zlat = _offset_deg(
            glon, glat, np.cumsum(km * np.sin(heading)), np.cumsum(km * np.cos(heading))
        )
        # every leg at sea, not only its ends (a leg of 14 km can cut a cape)
        legs = np.stack([np.r_[glon, zlon[:-1]], np.r_[glat, zlat[:-1]], zlon, zlat], axis=1)
        wet = ~theatre.on_land(zlon, zlat)
        wet &= ~shapely.intersects(shapely.linestrings(legs.reshape(-1, 2, 2)), theatre.land)
        stop = n if wet.all() else int(np.argmin(wet))
        back_lon, back_lat = np.r_[glon], np.r_[glat]
        if stop:
            voy.sail_each(zlon[:stop], zlat[:stop], km[:stop] / (_KN_KMH * 1.5))
            home_leg = shapely.linestrings([[zlon[stop - 1], zlat[stop - 1]], [glon, glat]])
            if shapely.intersects(home_leg, theatre.land):  # back the way it came
                back_lon = np.r_[zlon[: stop - 1][::-1], glon]
                back_lat = np.r_[zlat[: stop - 1][::-1], glat]
        blon, blat = _berth(theatre, vessel, home)  # via the ground and the port's approach
        voy.sail(np.r_[back_lon, plon, blon], np.r_[back_lat, plat, blat], vessel.speed_kn)


def _sea_point(theatre: _Theatre, rng) -> tuple[int, int, float, float, float]:
    """Return a point on a long sea-lane edge far from any port: (u, v, fraction, lon, lat)."""
    i, j, d = theatre.edges
    long_sea = np.flatnonzero((d > 400.0) & (i >= theatre.n_ports) & (j >= theatre.n_ports))
    for _ in range(200):
        e = long_sea[rng.integers(long_sea.size)]
        f = rng.uniform(0.3, 0.7)
        lon = theatre.node_lon[i[e]] + f * (theatre.node_lon[j[e]] - theatre.node_lon[i[e]])
        lat = theatre.node_lat[i[e]] + f * (theatre.node_lat[j[e]] - theatre.node_lat[i[e]])
        if theatre.nearest_port(lon, lat)[0][0] > _FAR_FROM_PORT_KM:
            return int(i[e]), int(j[e]), float(f), float(lon), float(lat)
    raise ConfigError("demo found no sea-lane point far from ports")  # tables above are broken


def _route_to_point(theatre, port: int, u: int, v: int, f: float):
    """Shortest route (lons, lats, km) from a port to a point a fraction ``f`` along edge u-v."""
    edge_km = haversine_km(
        theatre.node_lon[u], theatre.node_lat[u], theatre.node_lon[v], theatre.node_lat[v]
    )
    via_u = theatre.dist[port, u] + f * edge_km
    via_v = theatre.dist[port, v] + (1 - f) * edge_km
    nodes = theatre.path_nodes(port, u if via_u <= via_v else v)
    return theatre.node_lon[nodes], theatre.node_lat[nodes], float(min(via_u, via_v))


def _nearby_ports(theatre, rng, u: int, v: int, f: float, k: int = 8) -> list[int]:
    km = np.array([_route_to_point(theatre, p, u, v, f)[2] for p in range(theatre.n_ports)])
    order = np.argsort(km, kind="stable")[:k]
    return [int(p) for p in rng.permutation(order)]


def _leave_point_and_trade(theatre, rng, voy, vessel, u, v, f, end_s, avoid: int = -1):
    choices = [p for p in _nearby_ports(theatre, rng, u, v, f) if p != avoid]
    dest = choices[0]
    lons, lats, _ = _route_to_point(theatre, dest, u, v, f)
    blon, blat = _berth(theatre, vessel, dest)
    voy.sail(np.append(lons[::-1], blon), np.append(lats[::-1], blat), vessel.speed_kn)
    _trade(theatre, rng, voy, vessel, dest, end_s)


def _plan_loiter(theatre, rng, vessel: _Vessel, end_s: float, events: list) -> _Voyage:
    u, v, f, plon, plat = _sea_point(theatre, rng)
    origin = _nearby_ports(theatre, rng, u, v, f)[0]
    lons, lats, km = _route_to_point(theatre, origin, u, v, f)
    arrive = rng.uniform(0.1, 0.6) * end_s
    depart = arrive - km / (vessel.speed_kn * _KN_KMH) * 3600.0
    voy = _Voyage(min(depart, 0.0) - 3600.0, *_berth(theatre, vessel, origin))
    voy.stay(depart - voy.now)
    voy.sail(np.append(lons, plon), np.append(lats, plat), vessel.speed_kn)
    hours = rng.uniform(5.5, 12.0)
    start = voy.now
    voy.drift(rng, hours * 3600.0, (0.2, 1.4))
    events.append(("loiter", vessel.mmsi, 0, start, voy.now, plon, plat))
    _leave_point_and_trade(theatre, rng, voy, vessel, u, v, f, end_s)
    return voy


def _plan_meeting(theatre, rng, a: _Vessel, b: _Vessel, end_s: float, events: list):
    u, v, f, plon, plat = _sea_point(theatre, rng)
    ports = _nearby_ports(theatre, rng, u, v, f)
    meet = rng.uniform(0.15, 0.65) * end_s
    hours = rng.uniform(3.0, 6.0)
    brg = np.radians(rng.uniform(0, 360))
    sep_km = rng.uniform(0.05, 0.2)
    voyages = []
    for vessel, origin, wait_s, offset in (
        (a, ports[0], rng.uniform(600, 3600), 0.0),
        (b, ports[1], 0.0, sep_km),
    ):
        lons, lats, km = _route_to_point(theatre, origin, u, v, f)
        mlon, mlat = _offset_deg(plon, plat, offset * np.sin(brg), offset * np.cos(brg))
        depart = meet - wait_s - km / (vessel.speed_kn * _KN_KMH) * 3600.0
        voy = _Voyage(min(depart, 0.0) - 3600.0, *_berth(theatre, vessel, origin))
        voy.stay(depart - voy.now)
        voy.sail(np.append(lons, float(mlon)), np.append(lats, float(mlat)), vessel.speed_kn)
        voy.stay(meet - voy.now)
        voyages.append((vessel, voy, origin))
    # one shared drift path, the second vessel alongside at a fixed offset
    t, lon, lat = voyages[0][1].drift(rng, hours * 3600.0, (0.3, 1.2), step_s=1800.0)
    blon, blat = _offset_deg(lon, lat, sep_km * np.sin(brg), sep_km * np.cos(brg))
    voyages[1][1]._append(t, blon, blat)
    events.append(("encounter", a.mmsi, b.mmsi, meet, meet + hours * 3600.0, plon, plat))
    for vessel, voy, origin in voyages:
        _leave_point_and_trade(theatre, rng, voy, vessel, u, v, f, end_s, avoid=origin)
    return voyages[0][1], voyages[1][1]


def _dark_window(t, sog, rng, start_s: float, end_s: float) -> tuple[float, float] | None:
    """Pick an 8-30 h window inside a run of pings all underway (> 5 kn), or None."""
    moving = sog > 6.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], moving.astype(np.int8), [0]])))
    runs = edges.reshape(-1, 2)
    runs_t = np.column_stack([t[runs[:, 0]], t[runs[:, 1] - 1]])
    runs_t[:, 0] = np.maximum(runs_t[:, 0], start_s + 3600.0)
    runs_t[:, 1] = np.minimum(runs_t[:, 1], end_s - 3600.0)
    span = runs_t[:, 1] - runs_t[:, 0] - 2 * 3600.0
    ok = np.flatnonzero(span >= 8.5 * 3600.0)
    if ok.size == 0:
        return None
    r = ok[np.argmax(span[ok])]
    gap = rng.uniform(8.5 * 3600.0, min(30 * 3600.0, span[r]))
    g0 = runs_t[r, 0] + 3600.0 + rng.uniform(0, span[r] - gap)
    return g0, g0 + gap


def _pings(theatre, rng, voy: _Voyage, end_s: float):
    """Sample the keyframes at an irregular AIS cadence; return t, lon, lat, sog, cog."""
    kt, klon, klat = voy.arrays()
    order = np.argsort(kt, kind="stable")
    kt, klon, klat = kt[order], klon[order], klat[order]
    t0 = max(kt[0], 0.0)
    n = int((end_s - t0) / _AIS_BASE_INTERVAL_S * 1.2) + 10
    gaps = rng.gamma(4.0, _AIS_BASE_INTERVAL_S / 4.0, n)
    t = t0 + rng.uniform(0, _AIS_BASE_INTERVAL_S) + np.cumsum(gaps)
    t = np.floor(t[(t < end_s) & (t <= kt[-1])])
    t = np.unique(t)
    # Every draw is made for every candidate, in a fixed order, but the pings are only
    # worked out for the candidates the keep draw can let through: the keep chance is one of
    # three levels, so a draw above the highest drops the candidate wherever it is, and the
    # nearest port is only looked up between the lowest and the highest.
    sog_noise = rng.normal(0, 0.1, t.size)
    still_cog = rng.uniform(0, 360, t.size)
    cog_noise = rng.normal(0, 1.5, t.size)
    east_km = rng.normal(0, 0.005, t.size)
    north_km = rng.normal(0, 0.005, t.size)
    draw = rng.random(t.size)
    levels = (_AIS_KEEP_MOORED, _AIS_KEEP_COASTAL, _AIS_KEEP_OFFSHORE)
    cand = np.flatnonzero(draw < max(levels))
    t, draw = t[cand], draw[cand]
    lon = np.interp(t, kt, klon)
    lat = np.interp(t, kt, klat)
    k = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, kt.size - 2)
    # speed and course of each keyframe segment, then of the segment each ping falls in
    seg_dt = np.maximum(kt[1:] - kt[:-1], 1.0)
    seg_km = haversine_km(klon[:-1], klat[:-1], klon[1:], klat[1:])
    sog = (seg_km / _KN_KMH / (seg_dt / 3600.0))[k]
    cog = initial_bearing_deg(klon[:-1], klat[:-1], klon[1:], klat[1:])[k]
    still = sog < 0.3
    sog = np.clip(sog + sog_noise[cand], 0.0, None)
    cog = np.where(still, still_cog[cand], cog + cog_noise[cand])
    lon, lat = _offset_deg(lon, lat, east_km[cand], north_km[cand])
    keep = draw < min(levels)
    ask = np.flatnonzero(~keep)
    coastal = theatre.near_port(lon[ask], lat[ask], _COASTAL_KM)
    moored = still[ask] & coastal
    moored[moored] = theatre.near_port(lon[ask][moored], lat[ask][moored], _MOORED_KM)
    keep_p = np.where(
        moored, _AIS_KEEP_MOORED, np.where(coastal, _AIS_KEEP_COASTAL, _AIS_KEEP_OFFSHORE)
    )
    keep[ask] = draw[ask] < keep_p
    return t[keep], lon[keep], lat[keep], sog[keep], cog[keep]


def _fleet(theatre: _Theatre, rng, n: int) -> list[_Vessel]:
    mids = np.asarray(_MIDS)[rng.integers(0, len(_MIDS), n)]
    serial = rng.choice(900_000, size=n, replace=False) + 100_000
    mmsi = mids * 1_000_000 + serial
    kinds = rng.choice(["cargo", "regional", "fishing"], size=n, p=[0.35, 0.45, 0.20])
    speed = np.where(kinds == "cargo", rng.uniform(11.5, 16.0, n), rng.uniform(8.5, 12.5, n))
    home = rng.integers(0, theatre.n_ports, n)
    brg = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(0.2, 1.5, n)
    return [
        _Vessel(int(mmsi[i]), str(kinds[i]), float(speed[i]), int(home[i]),
                (float(dist[i] * np.sin(brg[i])), float(dist[i] * np.cos(brg[i]))))
        for i in range(n)
    ]  # fmt: skip


def _make_tracks(
    theatre: _Theatre, rng, n_vessels: int, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    end_s = days * 86400.0
    fleet = _fleet(theatre, rng, n_vessels)
    scale = n_vessels / 220.0
    n_meet = max(1, round(6 * scale))
    n_loiter = max(1, round(10 * scale))
    n_dark = max(1, round(15 * scale))
    roles = rng.permutation(n_vessels)
    meet_idx = roles[: 2 * n_meet]
    loiter_idx = roles[2 * n_meet : 2 * n_meet + n_loiter]
    dark_idx = roles[2 * n_meet + n_loiter : 2 * n_meet + n_loiter + n_dark]
    for i in np.concatenate([meet_idx, loiter_idx, dark_idx]):
        if fleet[i].kind == "fishing":
            fleet[i].kind = "cargo"

    events: list[tuple] = []
    voyages: dict[int, _Voyage] = {}
    for k in range(n_meet):
        a, b = fleet[meet_idx[2 * k]], fleet[meet_idx[2 * k + 1]]
        voyages[a.mmsi], voyages[b.mmsi] = _plan_meeting(theatre, rng, a, b, end_s, events)
    for i in loiter_idx:
        voyages[fleet[i].mmsi] = _plan_loiter(theatre, rng, fleet[i], end_s, events)
    for vessel in fleet:
        if vessel.mmsi in voyages:
            continue
        start = -rng.uniform(1, 8) * 86400.0
        voy = _Voyage(start, *_berth(theatre, vessel, vessel.home))
        if vessel.kind == "fishing":
            _fish(theatre, rng, voy, vessel, end_s)
        else:
            _trade(theatre, rng, voy, vessel, vessel.home, end_s)
        voyages[vessel.mmsi] = voy

    dark = {fleet[i].mmsi for i in dark_idx}
    parts = []
    for vessel in sorted(fleet, key=lambda v: v.mmsi):
        t, lon, lat, sog, cog = _pings(theatre, rng, voyages[vessel.mmsi], end_s)
        if vessel.mmsi in dark:
            window = _dark_window(t, sog, rng, 0.0, end_s)
            if window is not None:
                inside = (t > window[0]) & (t < window[1])
                before = np.flatnonzero(t <= window[0])[-1]
                after = np.flatnonzero(t >= window[1])[0]
                events.append(
                    ("dark", vessel.mmsi, 0, t[before], t[after], lon[before], lat[before])
                )
                t, lon, lat, sog, cog = (a[~inside] for a in (t, lon, lat, sog, cog))
        parts.append(
            (np.full(t.size, vessel.mmsi, dtype=np.int64), t.astype(np.int64), lat, lon, sog, cog)
        )
    pings = pd.DataFrame(
        {
            name: np.concatenate([part[c] for part in parts])
            for c, name in enumerate((MMSI, "t", LAT, LON, SOG, COG))
        }
    )
    planted = pd.DataFrame(events, columns=["behaviour", MMSI, "other_mmsi", "t0", "t1", LON, LAT])
    return pings, planted


# --------------------------------------------------------------------------------------------
# rasters
# --------------------------------------------------------------------------------------------


def _grid(res_deg: float) -> tuple[np.ndarray, np.ndarray]:
    lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
    width = int(round((lon_max - lon_min) / res_deg))
    height = int(round((lat_max - lat_min) / res_deg))
    lon = lon_min + (np.arange(width) + 0.5) * res_deg
    lat = lat_max - (np.arange(height) + 0.5) * res_deg
    return lon, lat


def _transform(res_deg: float):
    from rasterio.transform import Affine

    return Affine(res_deg, 0.0, DEMO_BBOX[0], 0.0, -res_deg, DEMO_BBOX[3])


@contextlib.contextmanager
def _gdal_cache_at_least(mb: int):
    """Hold GDAL's block cache at ``mb`` MiB or more for the block.

    GDAL rasterizes in chunks sized by its cache, and with ``MergeAlg.add`` a line crossing a
    chunk edge adds twice there; raster ingest lowers the cache for memory, so without this
    the same seed would give other night lights after an ingest in the same process.
    """
    from rasterio.env import get_gdal_config, set_gdal_config

    old = get_gdal_config("GDAL_CACHEMAX")
    set_gdal_config("GDAL_CACHEMAX", mb)
    try:
        yield
    finally:
        if old is not None:
            set_gdal_config("GDAL_CACHEMAX", old)


def _rasterize_land(res_deg: float) -> np.ndarray:
    from rasterio.features import rasterize

    lon, lat = _grid(res_deg)
    transform = _transform(res_deg)
    shapes = [(shapely.Polygon(p), 1) for p in _LAND.values()]
    return (
        rasterize(shapes, out_shape=(lat.size, lon.size), transform=transform, dtype="uint8") == 1
    )


def _lines_grid(theatre: _Theatre, res_deg: float, t: float) -> np.ndarray:
    """Corridor and hot-spot traffic intensity at time ``t`` (fraction of the 3 years)."""
    from rasterio.enums import MergeAlg
    from rasterio.features import rasterize

    lon, lat = _grid(res_deg)
    transform = _transform(res_deg)
    w = _component_weights(np.array([t]))[0]
    shapes = []
    for c, (a, b, *_rest) in enumerate(_CORRIDORS):
        lons, lats = theatre.route(theatre.port_index(a), theatre.port_index(b))
        shapes.append((shapely.LineString(np.column_stack([lons, lats])), float(w[c])))
    with _gdal_cache_at_least(256):
        out = rasterize(
            shapes, out_shape=(lat.size, lon.size), transform=transform, dtype="float64",
            all_touched=True, merge_alg=MergeAlg.add,
        )  # fmt: skip
    for h in range(len(_HOTSPOTS)):
        clon, clat = _hotspot_centres(h, np.array(t))
        sig_deg = _HOTSPOTS[h][2] / KM_PER_DEGREE
        out += _gaussian_bump(
            lon, lat, clon, clat, sig_deg, np.cos(np.radians(clat)), 0.6 * w[len(_CORRIDORS) + h]
        )
    return out


def _gaussian_bump(lon, lat, clon, clat, sigma_deg, lon_factor, amp) -> np.ndarray:
    """Return ``amp * exp(-r2 / (2 sigma²))`` on the grid ``lat`` x ``lon`` (rows x columns).

    ``r2 = ((lon - clon) * lon_factor)² + (lat - clat)²``; the Gaussian is the outer product
    of its two one-dimensional factors (no grid-sized ``exp``).
    """
    den = 2 * sigma_deg**2
    across = np.exp(-(((lon - clon) * lon_factor) ** 2) / den)
    down = amp * np.exp(-((lat - clat) ** 2) / den)
    return down[:, None] * across[None, :]


def _nightlights(
    theatre: _Theatre, rng, pings: pd.DataFrame, res_deg: float = _RASTER_RES_DEG
) -> np.ndarray:
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    lon, lat = _grid(res_deg)
    land = _rasterize_land(res_deg)
    px = _RASTER_RES_DEG / res_deg  # the smoothing lengths below are pixels at 0.05 degrees
    shape = land.shape

    def cells(plon, plat):
        col = np.floor((np.asarray(plon) - DEMO_BBOX[0]) / res_deg).astype(int)
        row = np.floor((DEMO_BBOX[3] - np.asarray(plat)) / res_deg).astype(int)
        ok = (col >= 0) & (col < shape[1]) & (row >= 0) & (row < shape[0])
        return row[ok], col[ok], ok

    # cities at the ports and towns near the coasts
    towns = np.zeros(shape)
    row, col, _ = cells(theatre.port_lon, theatre.port_lat)
    np.add.at(towns, (row, col), rng.uniform(400, 1200, row.size))
    coast_px = distance_transform_edt(land)
    weight = np.where(land, np.exp(-coast_px / (25.0 * px)), 0.0).ravel()
    pick = rng.choice(weight.size, size=900, p=weight / weight.sum())
    np.add.at(towns.ravel(), pick, rng.lognormal(3.0, 1.0, pick.size))
    city = gaussian_filter(towns, 2.0 * px)

    # vessel lights from the AIS pings, lane glow, fishing fleets (squid jiggers are bright)
    vessels = np.zeros(shape)
    row, col, _ = cells(pings[LON].to_numpy(), pings[LAT].to_numpy())
    np.add.at(vessels, (row, col), 1.0)
    vessels = gaussian_filter(vessels, 1.0 * px) * 0.4
    lanes = gaussian_filter(_lines_grid(theatre, res_deg, 0.95), 4.0 * px) * 6.0
    fleets = np.zeros(shape)
    for flon, flat, amp, sig in (
        (-18.2, 20.5, 4.0, 0.8),
        (-17.9, 13.0, 3.0, 0.6),
        (-36.5, -3.0, 2.0, 0.7),
    ):
        fleets += _gaussian_bump(lon, lat, flon, flat, sig, 1.0, amp)
    fleets *= rng.gamma(2.0, 0.5, shape) * ~land

    airglow = rng.gamma(3.0, 0.08, shape)
    radiance = airglow + city + np.where(land, 0.3, vessels + lanes + fleets)
    radiance = np.round(radiance, 2).astype("float32")

    for _ in range(int(rng.integers(4, 8))):  # cloud mask
        clon, clat = (
            rng.uniform(DEMO_BBOX[0], DEMO_BBOX[2]),
            rng.uniform(DEMO_BBOX[1], DEMO_BBOX[3]),
        )
        a, b, rot = rng.uniform(1.0, 4.0), rng.uniform(0.5, 2.0), rng.uniform(0, np.pi)
        _fill_ellipse(radiance, lon, lat, (clon, clat, a, b, rot), _NODATA)
    return radiance


def _fill_ellipse(grid: np.ndarray, lon, lat, ellipse, value) -> None:
    """Set the pixels of ``grid`` (rows ``lat``, columns ``lon``) inside an ellipse to ``value``.

    ``ellipse`` is (centre lon, centre lat, semi-axis a, semi-axis b, rotation in radians);
    only the pixels within the larger semi-axis (and a margin) of the centre are tested.
    """
    clon, clat, a, b, rot = ellipse
    reach = max(a, b) * (1 + 1e-9) + 1e-9
    cols = np.flatnonzero(np.abs(lon - clon) <= reach)
    rows = np.flatnonzero(np.abs(lat - clat) <= reach)
    if cols.size == 0 or rows.size == 0:
        return
    box = grid[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    dx = lon[cols[0] : cols[-1] + 1][None, :] - clon
    dy = lat[rows[0] : rows[-1] + 1][:, None] - clat
    u = dx * np.cos(rot) + dy * np.sin(rot)
    v = -dx * np.sin(rot) + dy * np.cos(rot)
    box[(u / a) ** 2 + (v / b) ** 2 <= 1.0] = value


def _sar(theatre: _Theatre, rng, as_of: _dt.date):
    import xarray as xr
    from pyproj import CRS
    from scipy.ndimage import gaussian_filter

    lon, lat = _grid(_SAR_RES_DEG)
    land = _rasterize_land(_SAR_RES_DEG)
    months = pd.date_range(end=pd.Timestamp(as_of.year, as_of.month, 1), periods=12, freq="MS")
    start = pd.Timestamp(_three_years_before(as_of))
    span_days = (pd.Timestamp(as_of) - start).days + 1
    cell_km2 = (_SAR_RES_DEG * KM_PER_DEGREE) ** 2 * np.cos(np.radians(lat))[:, None]
    glon, glat = np.meshgrid(lon, lat)
    data = np.empty((months.size, lat.size, lon.size), dtype="float32")
    for m, month in enumerate(months):
        t = float(np.clip(((month - start).days + 15) / span_days, 0.0, 1.0))
        density = 0.0015 + 0.02 * gaussian_filter(_lines_grid(theatre, _SAR_RES_DEG, t), 1.2)
        counts = rng.poisson(density * cell_km2)
        field = (counts / cell_km2).astype("float32")
        field[land] = np.nan
        # a swath gap: one band of the month without acquisitions
        c0 = rng.uniform(DEMO_BBOX[0], DEMO_BBOX[2])
        slope = rng.uniform(-0.4, 0.4)
        band = np.abs(glon - (c0 + slope * (glat - lat.mean()))) < rng.uniform(0.5, 2.0)
        field[band] = np.nan
        data[m] = field

    crs = CRS.from_epsg(4326)
    crs_attrs = crs.to_cf()
    crs_attrs["spatial_ref"] = crs.to_wkt()
    ds = xr.Dataset(
        {
            "vessel_detections": (
                ("time", "lat", "lon"),
                data,
                {
                    "long_name": "SAR vessel detection density (synthetic demo)",
                    "units": "km-2",
                    "comment": "detections per km2 in the month; NaN over land and in swath gaps",
                    "grid_mapping": "spatial_ref",
                },
            )
        },
        coords={
            "time": (
                "time",
                months.values.astype("datetime64[ns]"),
                {"standard_name": "time", "axis": "T"},
            ),
            "lat": (
                "lat",
                lat,
                {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"},
            ),
            "lon": (
                "lon",
                lon,
                {"standard_name": "longitude", "units": "degrees_east", "axis": "X"},
            ),
            "spatial_ref": ((), np.int32(0), crs_attrs),
        },
        attrs={
            "Conventions": "CF-1.8",
            "title": "route-risk demo: monthly SAR vessel detections",
            "source": "synthetic, pipeline.demo",
        },
    )
    encoding = {
        "vessel_detections": {
            "zlib": True,
            "complevel": 4,
            "_FillValue": np.float32(np.nan),
            "chunksizes": (1, lat.size, lon.size),
        },
        "time": {
            "units": "days since 1970-01-01",
            "calendar": "proleptic_gregorian",
            "dtype": "int32",
        },
        "lat": {"_FillValue": None},
        "lon": {"_FillValue": None},
    }
    return ds, encoding


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _replace_into(path: Path, write) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return _replace_into(
        path, lambda p: frame.to_csv(p, index=False, lineterminator="\n", encoding="utf-8")
    )


_CSV_CHUNK_ROWS = 1 << 17
_CSV_SPECIAL = np.frombuffer(b',"\r\n', dtype=np.uint8)


_DIGIT_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], np.uint8).view("<u2")


def _zero_padded(v: np.ndarray, width: int) -> np.ndarray:
    """Return the ASCII digits of non-negative integers ``v`` < 10**width, zero-padded."""
    pairs = (width + 1) // 2
    out = np.empty((pairs, v.size), dtype="<u2")  # one row per two digits, last pair first
    rest = v.astype(np.uint32 if width <= 9 else np.uint64)
    for p in range(pairs - 1, -1, -1):
        rest, two = np.divmod(rest, 100)
        out[p] = _DIGIT_PAIRS[two, 0]
    return np.ascontiguousarray(out.T).view(np.uint8)[:, 2 * pairs - width :]


def _digit_bytes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the ASCII digits of non-negative int64 ``v``, right-aligned, and which to keep."""
    width = len(str(int(v.max()))) if v.size else 1
    digits = _zero_padded(v, width)
    n_digits = 1 + np.searchsorted(10 ** np.arange(1, width, dtype=np.int64), v, side="right")
    return digits, np.arange(width) >= (width - n_digits)[:, None]


def _iso_z(stamps: np.ndarray) -> np.ndarray:
    """Return ``YYYY-MM-DDTHH:MM:SSZ`` (ASCII bytes) of datetime64 values taken as UTC.

    Same text as ``np.datetime_as_string(stamps, unit="s")`` plus ``Z``, built from the few
    distinct days and digit pairs instead of formatting every value.
    """
    secs = np.asarray(stamps).astype("datetime64[s]")
    day, sod = np.divmod(secs.astype(np.int64), 86400)
    days, inv = np.unique(day, return_inverse=True)
    dates = np.datetime_as_string(days.astype("datetime64[D]"))
    if np.isnat(secs).any() or (np.char.str_len(dates) != 10).any():  # NaT, years past 9999
        return np.char.add(np.datetime_as_string(secs, unit="s"), "Z").astype(np.bytes_)
    n = secs.size
    out = np.empty((n, 20), dtype=np.uint8)
    out[:, :10] = np.asarray(dates, dtype="S10").view(np.uint8).reshape(-1, 10)[inv.ravel()]
    out[:, [10, 13, 16, 19]] = np.frombuffer(b"T::Z", dtype=np.uint8)
    hh, rest = np.divmod(sod, 3600)
    for col, v in ((11, hh), (14, rest // 60), (17, rest % 60)):
        out[:, col : col + 2] = _zero_padded(v, 2)
    return out.view("S20").ravel()


def _text_field(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the bytes of strings, left-aligned, and which to keep; ValueError if not plain.

    Plain means ASCII without a comma, quote or line break: what a CSV writer writes unquoted.
    Byte strings (``S`` arrays) are taken as ASCII text.
    """
    raw = np.asarray(text)
    if raw.dtype.kind != "S":
        try:
            raw = raw.astype(str).astype(np.bytes_)
        except UnicodeEncodeError as err:
            raise ValueError("not ASCII") from err
    width = max(raw.dtype.itemsize, 1)
    chars = np.ascontiguousarray(raw).view(np.uint8).reshape(raw.size, -1)
    if chars.shape[1] == 0:
        chars = np.zeros((raw.size, 1), dtype=np.uint8)
    if (chars > 127).any() or any((chars == c).any() for c in _CSV_SPECIAL):
        raise ValueError("needs quoting")
    keep = np.logical_or.accumulate((chars != 0)[:, ::-1], axis=1)[:, ::-1]  # NUL padding
    return chars[:, :width], keep[:, :width]


def _float_field(x: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the bytes of floats as ``str(float)`` writes them (what pandas' CSV writer does).

    ``x`` holds values rounded to ``decimals`` places: for those, the shortest repr is the
    rounded decimal with its trailing zeros dropped (one digit kept after the point), written
    here with integer arithmetic.  Values that are not so rounded, not finite, below 1e-4 in
    magnitude (repr switches to exponent notation) or too large fall back to ``str``.
    """
    scale = 10.0**decimals
    with np.errstate(invalid="ignore", over="ignore"):
        k = np.rint(x * scale)
        plain = np.isfinite(x) & (np.abs(k) < 1e15) & (k / scale == x)
        plain &= (x == 0) | (np.abs(x) >= 1e-4)
    ki = np.where(plain, np.abs(k), 0).astype(np.int64)
    whole, frac = np.divmod(ki, np.int64(10**decimals))
    w_digits, w_keep = _digit_bytes(whole)
    f_digits = _zero_padded(frac, decimals)
    trailing = np.zeros(frac.size, dtype=np.int8)  # trailing zeros after the first decimal
    frac32 = frac.astype(np.uint32)
    for p in range(1, decimals):
        trailing += frac32 % np.uint32(10**p) == 0
    f_keep = np.arange(decimals) < (decimals - trailing)[:, None]
    n = x.size
    sign = np.full((n, 1), ord("-"), dtype=np.uint8)
    chars = np.concatenate([sign, w_digits, np.full((n, 1), ord("."), np.uint8), f_digits], 1)
    keep = np.concatenate([np.signbit(x)[:, None], w_keep, np.ones((n, 1), bool), f_keep], 1)
    odd = np.flatnonzero(~plain)
    if odd.size:  # NaN would be an empty field in pandas; the demo writes none
        text = np.where(np.isnan(x[odd]), "", x[odd].astype(str))
        o_chars, o_keep = _text_field(text)
        width = max(chars.shape[1], o_chars.shape[1])
        chars = np.pad(chars, ((0, 0), (0, width - chars.shape[1])))
        keep = np.pad(keep, ((0, 0), (0, width - keep.shape[1])))
        chars[odd] = 0
        keep[odd] = False
        chars[odd, : o_chars.shape[1]] = o_chars
        keep[odd, : o_keep.shape[1]] = o_keep
    return chars, keep


def _csv_chunk(columns: dict[str, np.ndarray], decimals: dict[str, int]) -> bytes:
    fields = []
    for name, values in columns.items():
        if name in decimals:
            if values.dtype != np.float64 or not 1 <= decimals[name] <= 9:
                raise ValueError(f"column {name!r} is {values.dtype}, {decimals[name]} places")
            fields.append(_float_field(values, decimals[name]))
        elif values.dtype.kind == "i" or (values.dtype.kind == "u" and values.dtype.itemsize < 8):
            v = values.astype(np.int64)
            if v.size and v.min() == np.iinfo(np.int64).min:  # no absolute value
                raise ValueError(f"column {name!r} holds -2**63")
            digits, keep = _digit_bytes(np.abs(v))
            sign = np.full((v.size, 1), ord("-"), dtype=np.uint8)
            fields.append((np.concatenate([sign, digits], 1), np.hstack([v[:, None] < 0, keep])))
        elif values.dtype.kind in "US":
            fields.append(_text_field(values))
        else:  # object, bool, float without its rounding, ...: pandas' writer
            raise ValueError(f"column {name!r} is {values.dtype}")
    parts, keeps = [], []
    for i, (chars, keep) in enumerate(fields):
        end = ord("\n") if i == len(fields) - 1 else ord(",")
        parts += [chars, np.full((chars.shape[0], 1), end, dtype=np.uint8)]
        keeps += [keep, np.ones((chars.shape[0], 1), dtype=bool)]
    keep = np.concatenate(keeps, axis=1).ravel()
    return np.compress(keep, np.concatenate(parts, axis=1).ravel()).tobytes()


def _write_plain_csv(columns: dict[str, np.ndarray], decimals: dict[str, int], path: Path) -> Path:
    """Write a CSV of plain columns byte for byte as ``DataFrame.to_csv(index=False)`` would.

    Columns are int, float64 (``decimals`` gives each one's rounding, 1 to 9 places) or ASCII
    strings that need no quoting; the text is built with numpy in chunks, not by formatting
    every float in Python.  Anything else (non-ASCII, a comma or quote in a string, an object
    or float32 column...) goes to pandas' writer, as :func:`_write_csv` writes it.
    """
    n = len(next(iter(columns.values())))
    chunks: list[bytes] = []
    try:
        _text_field(np.array(list(columns), dtype=str))  # the header needs no quoting either
        for lo in range(0, n, _CSV_CHUNK_ROWS):
            part = {k: np.asarray(v)[lo : lo + _CSV_CHUNK_ROWS] for k, v in columns.items()}
            chunks.append(_csv_chunk(part, decimals))
    except ValueError:
        arrays = {k: np.asarray(v) for k, v in columns.items()}
        text = {k: np.char.decode(v) if v.dtype.kind == "S" else v for k, v in arrays.items()}
        return _write_csv(pd.DataFrame(text), path)
    header = (",".join(columns) + "\n").encode("utf-8")

    def write(p: Path) -> None:
        with open(p, "wb") as f:
            f.write(header)
            f.writelines(chunks)

    return _replace_into(path, write)


def _write_geotiff(array: np.ndarray, path: Path, res_deg: float = _RASTER_RES_DEG) -> Path:
    import rasterio

    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": _transform(res_deg),
        "nodata": _NODATA,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }

    def write(p: Path) -> None:
        with rasterio.open(p, "w", **profile) as dst:
            dst.write(array, 1)
            dst.update_tags(
                1, long_name="night-time light radiance (synthetic demo)", units="nW cm-2 sr-1"
            )
            dst.update_tags(source="synthetic, pipeline.demo")

    return _replace_into(path, write)


def _check_args(seed, n_seizures, n_vessels, days, as_of) -> _dt.date:
    for name, value, low in (
        ("seed", seed, 0),
        ("n_seizures", n_seizures, 1),
        ("n_vessels", n_vessels, 8),
        ("days", days, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if isinstance(as_of, _dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, _dt.date):
        raise ConfigError(f"as_of must be a datetime.date, got {as_of!r}")
    if not _EARLIEST_AS_OF <= as_of <= _LATEST_AS_OF:
        # the tables' datetime64[ns]: years 4-1680 and from 2262 on wrote seizures the run
        # rejects and a SAR time axis of wrapped int32 nanoseconds (1970-01-01 00:00:01.4)
        raise ConfigError(
            f"as_of must be in {_EARLIEST_AS_OF}..{_LATEST_AS_OF} (its three years of "
            f"seizures and its last day within the dates the tables hold), got {as_of!r}"
        )
    if as_of.toordinal() - (int(days) - 1) < _FIRST_DAY.toordinal():
        raise ConfigError(
            f"days must leave the AIS window within the dates the tables hold (from "
            f"{_FIRST_DAY}), got {days!r} before as_of {as_of}"
        )
    return as_of


#: The dates the tables hold (``datetime64[ns]``): from 1677-09-22, the first whole day, to
#: 2262-04-10, the last whole day; as_of's three years of seizures start the day after
#: as_of three years earlier.
_FIRST_DAY = _dt.date(1677, 9, 22)
_EARLIEST_AS_OF = _dt.date(1680, 9, 21)
_LATEST_AS_OF = _dt.date(2262, 4, 10)


def generate_demo(
    out_dir: str | Path,
    *,
    seed: int = 20260630,
    n_seizures: int = 6000,
    n_vessels: int = 220,
    days: int = 30,
    as_of: _dt.date = DEMO_AS_OF,
    raster_res_deg: float = _RASTER_RES_DEG,
) -> DemoFiles:
    """Write the seeded demo data set into ``out_dir`` and return the paths.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into; created if missing.  Existing demo files are replaced atomically.
    seed : int, default 20260630
        Seed of :func:`numpy.random.default_rng`; the same seed writes byte-identical files.
    n_seizures : int, default 6000
        Number of seizure records, spread over the three years ending ``as_of``.
    n_vessels : int, default 220
        Number of vessels (at least 8); about 15, 10 and 6 per 220 go dark, loiter and meet
        in pairs.
    days : int, default 30
        Length of the AIS window in days, ending ``as_of`` 23:59:59 UTC (at least 2).
    as_of : datetime.date, default DEMO_AS_OF
        Last day covered; the demo never looks at today's date.
    raster_res_deg : float, default 0.05
        Pixel size of ``nightlights.tif`` in degrees (0.05 gives 1,900 x 1,100 pixels); a
        coarser grid (at most 1 degree) makes a smaller file, faster to read and to draw.

    Returns
    -------
    DemoFiles
        Paths of ``seizures.csv``, ``ais.csv``, ``ports.csv``, ``nightlights.tif`` and
        ``sar_detections.nc``.  ``ais_planted.csv`` (the planted AIS behaviours, for
        evaluation) is written beside them.

    Raises
    ------
    ConfigError
        If an argument is not an integer in range, ``raster_res_deg`` is not in [0.01, 1] or
        ``as_of`` is not a date in 1680-09-21..2262-04-10 (the dates the tables hold).

    Examples
    --------
    >>> files = generate_demo(tmp_path, n_seizures=500, n_vessels=20, days=5)  # doctest: +SKIP
    >>> pd.read_csv(files.seizures).shape[0]  # doctest: +SKIP
    500
    """
    as_of = _check_args(seed, n_seizures, n_vessels, days, as_of)
    if isinstance(raster_res_deg, bool) or not (
        isinstance(raster_res_deg, int | float) and 0.01 <= raster_res_deg <= 1.0
    ):
        raise ConfigError(
            f"raster_res_deg must be a number of degrees in [0.01, 1], got {raster_res_deg!r}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(seed))
    theatre = _Theatre()

    seizures = _make_seizures(theatre, rng, int(n_seizures), as_of)
    pings, planted = _make_tracks(theatre, rng, int(n_vessels), int(days))
    lights = _nightlights(theatre, rng, pings, float(raster_res_deg))
    sar, sar_encoding = _sar(theatre, rng, as_of)

    window_start = np.datetime64(as_of, "s") - np.timedelta64(int(days) - 1, "D")
    ais = {
        MMSI: pings[MMSI].to_numpy(),
        TIMESTAMP: _iso_z(window_start + pings["t"].to_numpy().astype("timedelta64[s]")),
        LAT: np.round(pings[LAT].to_numpy(), 6),
        LON: np.round(pings[LON].to_numpy(), 6),
        SOG: np.round(pings[SOG].to_numpy(), 1),
        COG: np.round(pings[COG].to_numpy(), 1) % 360.0,
    }

    def iso(seconds):
        stamps = window_start + np.round(np.asarray(seconds, dtype=float)).astype("timedelta64[s]")
        return np.char.add(np.datetime_as_string(stamps, unit="s"), "Z")

    planted_out = pd.DataFrame(
        {
            "behaviour": planted["behaviour"],
            MMSI: planted[MMSI],
            "other_mmsi": planted["other_mmsi"].astype(str).replace("0", ""),
            "start": iso(planted["t0"]),
            "end": iso(planted["t1"]),
            LAT: np.round(planted[LAT].astype(float), 6),
            LON: np.round(planted[LON].astype(float), 6),
        }
    ).sort_values(["behaviour", MMSI], kind="stable")
    ports = pd.DataFrame({NAME: theatre.port_names, LAT: theatre.port_lat, LON: theatre.port_lon})

    files = DemoFiles(
        seizures=_write_csv(seizures, out / "seizures.csv"),
        tracks=_write_plain_csv(ais, {LAT: 6, LON: 6, SOG: 1, COG: 1}, out / "ais.csv"),
        ports=_write_csv(ports, out / "ports.csv"),
        nightlights=_write_geotiff(lights, out / "nightlights.tif", float(raster_res_deg)),
        sar=_replace_into(
            out / "sar_detections.nc",
            lambda p: sar.to_netcdf(p, engine="h5netcdf", encoding=sar_encoding),
        ),
    )
    _write_csv(planted_out, out / PLANTED_FILENAME)
    logger.info(
        "demo written to %s: %d seizures, %d pings of %d vessels, %d planted behaviours",
        out, len(seizures), len(pings), n_vessels, len(planted_out),
    )  # fmt: skip
    return files
