"""What an analyst found defending three cells of a run on the real public data.

The run (pirate attacks 1993-2020 over the Atlantic, the Solent's 84 minutes of AIS, a
Croatian GPX walk of 2.4 h, world and Landsat rasters, Natural Earth land) was checked card by
card against its tables.  Encounters were counted as an observed 0 in the two cells with
tracks: the walk was long enough for the 2 h an encounter takes, but no other track was
followed at the same time, so no encounter could have been seen there or anywhere.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from conftest import QUICK, config_from

import pipeline
from pipeline.schema import COG, LAT, LON, SOG, TIME, VESSEL_ID
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")


def _moored(vessel: str, start_min: float, minutes: float, lon: float) -> pd.DataFrame:
    """A vessel at 0.5 kn beside (lon, 43.0), a ping every 10 minutes for ``minutes``."""
    mins = np.arange(0.0, minutes + 1e-9, 10.0)
    return pd.DataFrame(
        {
            VESSEL_ID: vessel,
            TIME: T0 + pd.to_timedelta(start_min + mins, unit="min"),
            LON: lon + 1e-5 * mins,
            LAT: 43.0,
            SOG: 0.5,
            COG: np.nan,
        }
    )


def _small_config(tmp_path, weights: dict, tracks=("ais.csv",), **sections):
    """A config of 20 attacks off (102 E, 1 N) and the track files ``tracks`` of ``tmp_path``
    with the factor ``weights``: no timeline, back-test or hot spots; ``sections`` update it."""
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(20) * 9, unit="D")
    pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "longitude": 102.0 + 0.01 * np.arange(20),
            "latitude": 1.0 + 0.005 * np.arange(20),
        }
    ).to_csv(tmp_path / "attacks.csv", index=False)
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [101.5, 0.5, 103.0, 2.0], "resolution": 6},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "attacks.csv")}],
            "tracks": [{"path": str(tmp_path / t)} for t in tracks],
        },
        "score": {"factors": {k: {"weight": w} for k, w in weights.items()}},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
        **QUICK,
    }
    return config_from(raw, tmp_path, **sections)


def _small_run(tmp_path, weights: dict, tracks=("ais.csv",)):
    """Run :func:`_small_config`."""
    return pipeline.run_pipeline(_small_config(tmp_path, weights, tracks))


def test_an_encounter_needs_two_tracks_at_once_not_one_long_track():
    """Two vessels moored 80 m apart, each followed for 3 h, but one after the other: the
    longest track (3 h) passed the 2 h an encounter takes, so the run called the cell's 0
    encounters observed.  No two tracks overlap, so none could be seen (a note says so);
    the same tracks at the same time show their encounter and no such note."""
    apart = pd.concat([_moored("a", 0, 180, 5.0), _moored("b", 300, 180, 5.001)])
    res = transit_features(apart, 7, encounter_hours=2.0)
    assert res.longest_track_hours == 3.0
    assert res.longest_overlap_hours == 0.0
    assert res.features["encounter_events"].sum() == 0
    assert any("overlap in time long enough to show encounter" in n for n in res.notes)

    together = pd.concat([_moored("a", 0, 180, 5.0), _moored("b", 30, 180, 5.001)])
    res = transit_features(together, 7, encounter_hours=2.0)
    assert res.longest_overlap_hours == 2.5
    assert res.features["encounter_events"].sum() == 1
    assert not any("overlap" in n for n in res.notes)


def test_encounters_are_missing_not_zero_beside_84_minutes_of_ais_and_a_long_walk(tmp_path):
    """The real run's inputs in small: 84 minutes of harbour AIS and, in another file, one
    2.5 h GPS track on another day.  The encounter factor read 0 events in the tracks'
    cells (and counted 0 points there); it now covers no cell and the card says why."""
    mins = np.arange(85)
    harbour = pd.DataFrame(
        {
            "Time": np.repeat(
                (pd.Timestamp("2024-12-30 13:02") + pd.to_timedelta(mins, "min")).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                3,
            ),
            "MMSI": np.tile([235000001, 235000002, 235000003], mins.size),
            "Latitude_degrees": 1.0 + np.tile([0.0, 0.001, 0.002], mins.size),
            "Longitude_degrees": 102.0 + 1e-5 * np.repeat(mins, 3),
            "SOG_knots": 0.5,
        }
    )
    harbour.to_csv(tmp_path / "ais.csv", index=False)
    walk_min = np.arange(0, 151, 5)
    pd.DataFrame(
        {
            "Time": (pd.Timestamp("2024-12-29 09:00") + pd.to_timedelta(walk_min, "min")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "MMSI": 235000009,
            "Latitude_degrees": 1.3 + 1e-4 * walk_min,
            "Longitude_degrees": 102.3,
            "SOG_knots": 2.5,
        }
    ).to_csv(tmp_path / "walk.csv", index=False)
    res = _small_run(
        tmp_path,
        {"seizure_density": 0.6, "vessel_hours": 0.2, "encounter_events": 0.2},
        tracks=("ais.csv", "walk.csv"),
    )
    s = res.scores
    assert s["vessel_hours__covered"].any()  # the tracks' cells were observed...
    assert not s["encounter_events__covered"].any()  # ...but no encounter could be
    assert s["encounter_events"].isna().all()
    tracked = s[s["vessel_hours__covered"]]
    assert (tracked["encounter_events__contrib"] == 0).all()
    # the weighted view is the weighted mean of the factors that observed the cell
    w = 0.6 + 0.2
    want = (0.6 * tracked["seizure_density__norm"] + 0.2 * tracked["vessel_hours__norm"]) / w
    assert np.allclose(tracked["risk"], 100 * want, atol=1e-4)
    notes = res.manifest["features"]["transit_notes"]
    assert any("longest overlap is 1.40 h; encounter_hours 2" in n for n in notes), notes
    page = res.map_path.read_text(encoding="utf-8")
    assert "no two tracks overlap for the 2 h an encounter takes" in page


def test_the_manifest_gives_the_reason_the_card_gives_for_a_missing_factor(tmp_path):
    """The manifest's ``factors.gap_events.missing_text`` read "no AIS coverage" while the
    map's card, for the same cells, said "no track lasts the 6 h an AIS gap takes" (the
    cells had AIS): the record of the run contradicted its map on why a value is missing."""
    mins = np.arange(85)
    pd.DataFrame(
        {
            "Time": (pd.Timestamp("2024-12-30 13:02") + pd.to_timedelta(mins, "min")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "MMSI": 235000001,
            "Latitude_degrees": 1.0,
            "Longitude_degrees": 102.0 + 1e-4 * mins,
            "SOG_knots": 0.5,
        }
    ).to_csv(tmp_path / "ais.csv", index=False)
    res = _small_run(tmp_path, {"vessel_hours": 0.5, "gap_events": 0.5})
    page = res.map_path.read_text(encoding="utf-8")
    said = "no track lasts the 6 h an AIS gap takes"
    assert said in page
    assert res.manifest["factors"]["gap_events"]["missing_text"] == said
    assert res.manifest["factors"]["vessel_hours"]["missing_text"] == "no AIS coverage"


def test_a_raster_covering_a_sliver_of_the_area_is_not_said_to_cover_0_percent(tmp_path):
    """The Landsat scene (Bahamas) inside the Atlantic area covers 0.07 % of its bbox: the
    run's summary said "raster covers 0% of the area's bbox" (no overlap, read literally)
    beside the manifest's ``overlap_fraction`` 0.000694."""
    import rasterio
    from rasterio.transform import from_origin

    from pipeline.ingest import open_raster, raster_coverage

    path = tmp_path / "scene.tif"
    profile = {"driver": "GTiff", "width": 10, "height": 10, "count": 1, "dtype": "float32"}
    transform = from_origin(-78.0, 26.0, 0.02, 0.02)  # 0.2 x 0.2 degrees
    with rasterio.open(path, "w", crs="EPSG:4326", transform=transform, **profile) as dst:
        dst.write(np.ones((1, 10, 10), "float32"))
    cov = raster_coverage(open_raster(path), (-85.0, -10.0, 20.0, 55.0))
    assert 0 < cov["overlap_fraction"] < 0.005
    assert "covers <1% of the area's bbox" in cov["note"], cov["note"]


def test_the_summary_reports_the_context_layers_as_the_manifest_does(tmp_path, capsys):
    """Natural Earth's land has a self-intersecting ring: the manifest said "1 invalid
    geometr(ies) repaired with make_valid" (and its read / accepted / rejected counts), the
    run's summary said nothing of the land layer at all, though every repair and reject is
    to be stated in both."""

    from pipeline.cli import main

    bow_tie = [[103.0, 1.5], [103.5, 2.0], [103.5, 1.5], [103.0, 2.0], [103.0, 1.5]]
    _land_file(tmp_path, bow_tie)
    cfg = _small_config(
        tmp_path,
        {"seizure_density": 1.0},
        tracks=(),
        inputs={"context": [{"path": str(tmp_path / "land.geojson"), "kind": "land"}]},
    )
    assert main(["run", str(cfg.source), "--log-format", "text"]) == 0
    err = capsys.readouterr().err
    assert "land.geojson (land): read 1, accepted 1, rejected 0" in err
    assert "note: land.geojson: 1 invalid geometr(ies) repaired with make_valid" in err


def test_a_run_without_as_of_states_the_day_it_took(tmp_path, capsys):
    """With ``as_of`` omitted (the README's "the date of the latest seizure") the real run
    was as of 2020-12-29: the manifest gave that date beside a config's null and the
    summary gave no date at all; the day, and where it came from, is now a run note."""
    from pipeline.cli import main

    cfg = _small_config(tmp_path, {"seizure_density": 1.0}, tracks=(), run={"as_of": None})
    assert main(["run", str(cfg.source), "--log-format", "text"]) == 0
    said = "run.as_of not set: the run is as of 2024-06-20, the day of the latest seizure"
    assert said in capsys.readouterr().err
    manifest = json.loads((cfg.run.out_dir / "manifest.json").read_text())
    assert manifest["as_of"] == "2024-06-20"
    assert any(n.startswith(said) for n in manifest["notes"])


def test_the_run_says_how_much_track_time_falls_in_cells_it_does_not_score(tmp_path):
    """With ``exclude_land: true`` the real Solent AIS put 100.2 of its 107 vessel-hours in a
    cell centred on Natural Earth 1:110m's land: that cell was not scored, and the map showed
    the 3.1 h of the one Solent cell it scored as all the traffic there was, with no note."""
    mins = np.arange(0, 181, 10)  # two vessels for 3 h: one in the "land" square, one at sea
    pd.DataFrame(
        {
            "Time": np.tile(
                (pd.Timestamp("2024-12-30 10:00") + pd.to_timedelta(mins, "min")).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                2,
            ),
            "MMSI": np.repeat([235000001, 235000002], mins.size),
            "Latitude_degrees": np.repeat([1.0, 1.6], mins.size),
            "Longitude_degrees": np.r_[102.0 + 1e-5 * mins, 102.6 + 1e-5 * mins],
            "SOG_knots": 0.5,
        }
    ).to_csv(tmp_path / "ais.csv", index=False)
    square = [[101.9, 0.9], [102.1, 0.9], [102.1, 1.1], [101.9, 1.1], [101.9, 0.9]]
    _land_file(tmp_path, square)
    cfg = _small_config(
        tmp_path,
        {"seizure_density": 0.5, "vessel_hours": 0.5},
        inputs={"context": [{"path": str(tmp_path / "land.geojson"), "kind": "land"}]},
        area={"exclude_land": True},
    )
    attacks = pd.read_csv(tmp_path / "attacks.csv")
    attacks["longitude"] += 0.5  # at sea, away from the square
    attacks.to_csv(tmp_path / "attacks.csv", index=False)
    res = pipeline.run_pipeline(cfg)
    assert res.scores["vessel_hours"].sum() == 3.0  # the vessel at sea only
    said = [n for n in res.manifest.get("notes", []) if "vessel-hours lie in" in n]
    assert said and said[0].startswith("3.0 of the tracks' 6.0 vessel-hours lie in 1 cell(s)")


def _land_file(tmp_path, ring) -> None:
    """Write ``tmp_path/land.geojson``: a land layer of one polygon, ``ring`` its outline."""
    import json

    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    (tmp_path / "land.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]})
    )
