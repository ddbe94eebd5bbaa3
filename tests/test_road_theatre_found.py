"""A theatre on land: trucks' GPS tracks along a motorway, seizures at a border crossing.

route-risk serves customs and police tracking smuggling by road as well as by sea.  The
theatre here is the A7 motorway from Rijeka (Croatia) to the Rupa / Jelšane border crossing
(Slovenia), with Natural Earth's land as the land layer.  Each test failed before its fix.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import QUICK, config_from

import pipeline
from pipeline.errors import ConfigError, InputError
from pipeline.ingest import read_tracks
from pipeline.sphere import haversine_km

#: The motorway's vertices (lon, lat): Rijeka to Postojna through the Rupa crossing.
ROAD = np.array([(14.44, 45.33), (14.38, 45.37), (14.30, 45.44), (14.27, 45.48), (14.24, 45.50)])
CROSSING = (14.255, 45.49)


def _along(frac: np.ndarray) -> np.ndarray:
    seg = np.hypot(*np.diff(ROAD, axis=0).T)
    cum = np.r_[0, np.cumsum(seg)]
    d = frac * cum[-1]
    i = np.clip(np.searchsorted(cum, d) - 1, 0, len(seg) - 1)
    t = (d - cum[i]) / seg[i]
    return ROAD[i] + (ROAD[i + 1] - ROAD[i]) * t[:, None]


def _theatre(tmp_path, land, queue_hours=0, **sections):
    """Write the seizures (at the crossing) and the trucks' export; return the config."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    n = 40
    lon = CROSSING[0] + rng.normal(0, 0.003, n)
    lat = CROSSING[1] + rng.normal(0, 0.003, n)
    days = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D")
    pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lat": lat.round(5),
            "lon": lon.round(5),
            "commodity": rng.choice(["cannabis", "cigarettes"], n),
        }
    ).to_csv(tmp_path / "seizures.csv", index=False)
    rows = []
    for k in range(4):
        pos = _along(np.linspace(0, 1, 50))
        speed = np.full(len(pos), 80.0)
        if queue_hours:  # a 10-minute fix rate in the queue at the crossing, crawling
            q = round(queue_hours * 6)
            queue = CROSSING + rng.normal(0, 0.0002, (q, 2))
            pos, speed = np.r_[pos, queue], np.r_[speed, np.full(q, 1.5)]
        t0 = pd.Timestamp("2026-05-20 06:00") + pd.Timedelta(hours=k)
        minutes = np.r_[np.arange(50), 49 + 10 * np.arange(1, len(pos) - 49)]
        for m, (x, y), v in zip(minutes, pos, speed, strict=True):
            t = (t0 + pd.Timedelta(minutes=int(m))).strftime("%Y-%m-%d %H:%M:%S")
            rows.append((f"35{k:013d}", f"RI {100 + k}-AB", t, round(y, 6), round(x, 6), v))
    pd.DataFrame(
        rows, columns=["IMEI", "Plate", "Timestamp", "Latitude", "Longitude", "Speed (km/h)"]
    ).to_csv(tmp_path / "fleet.csv", index=False)
    raw = {
        "run": {"as_of": "2026-05-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [13.9, 45.2, 14.7, 45.7], "resolution": 6},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "seizures.csv")}],
            "tracks": [{"path": str(tmp_path / "fleet.csv")}],
            "context": [{"path": str(land), "kind": "land"}],
        },
        "density": {"bandwidth_km": 5},
        "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    return config_from(raw, tmp_path, **{**QUICK, **sections})


def test_a_land_theatre_with_a_land_layer_is_refused_not_cut_to_its_seizures(shared_data, tmp_path):
    """With ``area.exclude_land`` left at its default, the road's cells vanished quietly.

    Every seizure lies on land, so the run kept only the cells holding a seizure: the
    trucks' hours on the motorway between them were not on the map, said only as "the other
    cells on land are left out".  The run is refused naming both settings.
    """
    cfg = _theatre(tmp_path, shared_data / "context/ne_110m_land.json")
    with pytest.raises(
        ConfigError, match=r"of the area's \d+ track positions \(a sample\) lie on the land"
    ) as e:
        pipeline.run_pipeline(cfg)
    assert "area.exclude_land: false" in str(e.value)
    # without tracks the seizures say where the theatre is
    cfg = _theatre(tmp_path / "no-tracks", shared_data / "context/ne_110m_land.json")
    cfg = cfg.model_copy(update={"inputs": cfg.inputs.model_copy(update={"tracks": []})})
    with pytest.raises(ConfigError, match=r"40 of the area's 40 seizures lie on the land"):
        pipeline.run_pipeline(cfg)


def test_ais_at_sea_beside_seizures_at_ports_on_land_is_a_maritime_theatre(tmp_path):
    """Customs seizures at the quay lie on a coarse coastline's land; the AIS says sea.

    The tracks decide: the run keeps ``exclude_land``'s default (the sea) and is not
    refused, though every seizure's cell centre is on the land layer.
    """
    land = tmp_path / "land.geojson"  # the west half of the area is land
    land.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"featurecla": "Land"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[9, 39], [14.5, 39], [14.5, 46], [9, 46], [9, 39]]],
                        },
                    }
                ],
            }
        )
    )
    cfg = _theatre(tmp_path, land)
    rng = np.random.default_rng(5)
    rows = []
    for k in range(6):  # ships sailing north-south at sea, east of the coast
        lat = np.linspace(45.25, 45.65, 40)
        t = pd.Timestamp("2026-05-20") + pd.to_timedelta(np.arange(40) * 10 + 3 * k, unit="min")
        lon = 14.6 + 0.01 * k + rng.normal(0, 0.001, 40)
        rows += [
            (f"24700000{k}", ti.strftime("%Y-%m-%d %H:%M:%S"), round(y, 5), round(x, 5), 12.0)
            for ti, y, x in zip(t, lat, lon, strict=True)
        ]
    pd.DataFrame(rows, columns=["mmsi", "timestamp", "lat", "lon", "sog"]).to_csv(
        tmp_path / "ais.csv", index=False
    )
    ais = cfg.inputs.tracks[0].model_copy(update={"path": tmp_path / "ais.csv"})
    cfg = cfg.model_copy(update={"inputs": cfg.inputs.model_copy(update={"tracks": [ais]})})
    res = pipeline.run_pipeline(cfg)
    assert res.scores["n_seizures"].sum() == 40
    assert (res.scores["vessel_hours"] > 0).any()


def test_a_land_theatre_set_to_keep_the_land_scores_the_road(shared_data, tmp_path):
    """``exclude_land: false`` scores the cells the trucks drove through; ``true`` is as told."""
    land = shared_data / "context/ne_110m_land.json"
    kept = pipeline.run_pipeline(_theatre(tmp_path / "a", land, area={"exclude_land": False}))
    sea = pipeline.run_pipeline(_theatre(tmp_path / "b", land, area={"exclude_land": True}))
    seizure_cells = set(kept.scores.loc[kept.scores["n_seizures"] > 0, "cell"])
    driven = kept.scores.loc[kept.scores["vessel_hours"] > 0, "cell"]
    assert len(set(driven) - seizure_cells) >= 3  # road cells beyond the seizures' own
    assert set(sea.scores["cell"]) == seizure_cells


def test_event_factors_do_not_say_at_sea_of_events_on_land(shared_data, tmp_path):
    """Trucks queueing 5 h at the crossing loiter and meet there, on land.

    Loitering and encounters are counted wherever they happen (no test of the sea), yet the
    map's card and the manifest described them as "Loitering at sea" and "slow and close at
    sea": on this map, of a border queue.
    """
    factors = {
        "seizure_density": {"weight": 2},
        "loiter_events": {"weight": 1},
        "encounter_events": {"weight": 1},
    }
    cfg = _theatre(
        tmp_path,
        shared_data / "context/ne_110m_land.json",
        queue_hours=5,
        area={"exclude_land": False},
        score={"factors": factors},
    )
    res = pipeline.run_pipeline(cfg)
    events = pd.read_parquet(res.out_dir / "events.parquet")
    assert {"loiter", "encounter"} <= set(events["event_type"])
    manifest = json.loads((res.out_dir / "manifest.json").read_text())
    for name in ("loiter_events", "encounter_events", "gap_events"):
        assert "at sea" not in manifest["factors"][name]["description"]
    html = (res.out_dir / "risk_map.html").read_text()
    assert "at sea" not in html


def test_border_crossings_and_motorways_are_named_so_on_the_map(tmp_path):
    """Border crossings given as ports and motorways as lanes read "Ports", "Shipping lanes".

    The layer control and the legend named them only so ("shipping lane" beside the A7);
    ``render.ports_label`` and ``render.lanes_label`` name them as the theatre does.
    """
    pd.DataFrame({"name": ["Rupa / Jelšane"], "lat": [CROSSING[1]], "lon": [CROSSING[0]]}).to_csv(
        tmp_path / "crossings.csv", index=False
    )
    road = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "A7"},
                "geometry": {"type": "LineString", "coordinates": ROAD.tolist()},
            }
        ],
    }
    (tmp_path / "a7.geojson").write_text(json.dumps(road))
    cfg = _theatre(tmp_path, tmp_path / "a7.geojson", render={})
    raw = cfg.model_dump(mode="json", exclude_unset=True)
    raw["inputs"]["context"] = [{"path": str(tmp_path / "a7.geojson"), "kind": "lanes"}]
    raw["inputs"]["ports"] = str(tmp_path / "crossings.csv")
    raw["render"].update(ports_label="Border crossings", lanes_label="Motorways")
    res = pipeline.run_pipeline(config_from(raw, tmp_path / "c"))
    html = (res.out_dir / "risk_map.html").read_text()
    assert "Shipping lanes" not in html and "Ports" not in html  # the layer control
    assert 'rr-lane-swatch"></i>Motorways<' in html  # the legend
    assert 'rr-port-swatch"></i>Border crossings<' in html


def test_a_car_at_motorway_speed_in_km_h_is_named_as_km_h(tmp_path):
    """A car at 135 km/h under a plain ``Speed`` header: its positions give 73 kn.

    Only stretches of up to 60 kn were compared, so the refusal said "the positions do not
    say which" (tenths of a knot or km/h) of a file whose positions say km/h plainly.
    """
    pos = _along(np.linspace(0, 1, 12))
    seg = haversine_km(pos[:-1, 0], pos[:-1, 1], pos[1:, 0], pos[1:, 1])
    minutes = np.r_[0, np.cumsum(seg) / 135 * 60]  # 135 km/h between every two fixes
    t0 = pd.Timestamp("2026-05-20 06:00")
    pd.DataFrame(
        {
            "Device": "car-01",
            "Time": [(t0 + pd.Timedelta(minutes=m)).isoformat() for m in minutes],
            "Lat": pos[:, 1].round(6),
            "Lon": pos[:, 0].round(6),
            "Speed": 135.0,
        }
    ).to_csv(tmp_path / "car.csv", index=False)
    with pytest.raises(InputError, match=r"km/h\? set speed_unit: 'km/h'"):
        read_tracks(tmp_path / "car.csv")
