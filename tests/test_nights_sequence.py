"""A week of nights in one output folder: every night publishes what a cold full run does.

tests/test_incremental.py and tests/test_nightly.py check one night after one history.  Real
operations are a sequence: the per-stage cache and the memos of parts (density tiles, transit
vessel-day blocks, encounter pairs per day, each track file's spill, AIS received cells) keep
generations from night to night.  Here a tiny theatre goes through a sequence of nights, each
with another kind of change, and after each night the published tables (scores, features,
events, seizures, pings, timeline, evaluation, model report), the rejects files and what the
manifest says of the inputs are compared byte for byte with a ``cold`` run of the same inputs
and config into a fresh folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _nights import differences, inputs_key, night_raw, published
from conftest import QUICK

pytestmark = IGNORE_PENDING_DEPRECATION


@pytest.fixture(scope="module")
def theatre(night_theatre) -> Path:
    """A tiny generated theatre (:func:`_nights.tiny_theatre`, conftest's, shared)."""
    return night_theatre


class _Nights:
    """One output folder run night after night, each compared with a cold run."""

    def __init__(self, theatre: Path, root: Path) -> None:
        self.theatre, self.root = theatre, root
        self.data = root / "data"
        self.data.mkdir(parents=True)
        self.out = root / "out"
        self.refs: dict[str, dict] = {}  # the cold run of each (inputs, config), made once
        self.timings: list[tuple[str, float, float | None, bool]] = []

    def config(self, tracks: list[str], as_of: str = "2026-06-30", **sections):
        import yaml

        import pipeline

        raw = night_raw(self.theatre, self.data, self.out, tracks, as_of)
        # read in chunks: each track file's spill is kept in the cache
        raw["ingest"] = {"chunk_rows": 1000}
        for k, v in sections.items():
            raw[k] = {**raw.get(k, {}), **v}
        path = self.root / "night.yaml"
        path.write_text(yaml.safe_dump(raw))
        return pipeline.load_config(path), raw

    def night(self, label: str, tracks: list[str], **kw):
        """Run a night into the folder; compare it with a cold run of the same inputs."""
        import pipeline

        cfg, raw = self.config(tracks, **kw)
        t0 = time.perf_counter()
        res = pipeline.run_pipeline(cfg)
        took = time.perf_counter() - t0
        # the reference: the bytes of every input (as the test wrote them) and the config
        names = ["seizures.csv", "ports.csv", *tracks]
        key = inputs_key([self.data / n for n in names], raw)
        cold_s = None
        if key not in self.refs:
            folder = self.root / f"cold-{len(self.timings)}"
            t0 = time.perf_counter()
            cold = pipeline.run_pipeline(cfg, out_dir=folder, cold=True)
            cold_s = time.perf_counter() - t0
            self.refs[key] = published(cold)
            shutil.rmtree(folder)
        self.timings.append((label, took, cold_s, res.up_to_date))
        bad = differences(published(res), self.refs[key])
        assert not bad, f"night {len(self.timings)} ({label}): differ: {bad}"
        return res


@pytest.mark.slow
def test_a_week_of_nights_each_equals_a_cold_full_run(theatre, tmp_path, capsys):
    seizures = pd.read_csv(theatre / "seizures.csv", dtype=str, keep_default_na=False)
    ais = pd.read_csv(theatre / "ais.csv", dtype=str, keep_default_na=False)
    day = ais["timestamp"].str[:10]
    d1, d2, d3 = sorted(day.unique())
    n = _Nights(theatre, tmp_path)
    data = n.data

    def write_seizures(frame: pd.DataFrame) -> None:
        frame.to_csv(data / "seizures.csv", index=False)

    write_seizures(seizures.iloc[:-20])
    shutil.copyfile(theatre / "ports.csv", data / "ports.csv")
    ais[day == d1].to_csv(data / "ais-1.csv", index=False)
    n.night("history", ["ais-1.csv"])

    write_seizures(seizures)
    res = n.night("seizures appended", ["ais-1.csv"])
    assert [e["cached"] for e in res.manifest["inputs"]["tracks"]] == [True]

    ais[day == d2].to_csv(data / "ais-2.csv", index=False)
    n.night("a day of pings in a new file", ["ais-1.csv", "ais-2.csv"])

    with open(data / "ais-2.csv", "a") as f:  # the next day appended to that file
        ais[day == d3].to_csv(f, index=False, header=False)
    both = ["ais-1.csv", "ais-2.csv"]
    n.night("a day of pings appended to a track file", both)

    assert n.night("no change", both).up_to_date

    fixed = seizures.copy()  # an old record corrected in place: moved and re-dated
    fixed.loc[40, "lat"] = f"{float(fixed.loc[40, 'lat']) + 0.8:.6f}"
    fixed.loc[40, "date"] = "2026-06-02"
    write_seizures(fixed)
    n.night("a seizure corrected in place", both)

    fixed = fixed.drop(index=77)
    write_seizures(fixed)
    n.night("a seizure deleted", both)

    n.night("a track file removed from the config", ["ais-2.csv"])

    os.rename(data / "ais-2.csv", data / "ais-b.csv")  # the same bytes, another name
    both = ["ais-1.csv", "ais-b.csv"]
    n.night("a track file renamed", both)

    n.night("as_of a day back", both, as_of="2026-06-29")
    n.night("as_of forward again", both)

    ports = (data / "ports.csv").read_text()
    loiter = pd.read_csv(theatre / "ais_planted.csv").query("behaviour == 'loiter'").iloc[0]
    (data / "ports.csv").write_text(ports + f"Loiter Bay,{loiter['lat']},{loiter['lon']}\n")
    res = n.night("a port added where a vessel loitered", both)
    assert [e["cached"] for e in res.manifest["inputs"]["tracks"]] == [True, True]
    (data / "ports.csv").write_text(ports)

    n.night("an option changed", both, transit={"gap_hours": 4, "smooth_events_km": 0})
    n.night("the option changed back", both)

    shutil.rmtree(n.out / ".cache")
    write_seizures(fixed.iloc[3:])
    n.night("the cache folder deleted", both)

    for p in sorted((n.out / ".cache").rglob("*")):  # every cache file cut short
        if p.is_file() and not p.is_symlink() and p.suffix in (".parquet", ".arrow", ".json"):
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    write_seizures(fixed)
    n.night("every cache file truncated", both)

    for name in ("seizures.csv", "ports.csv", *both):
        os.utime(data / name, (1_700_000_000, 1_700_000_000))
    assert n.night("only the files' modification times changed", both).up_to_date

    with capsys.disabled():  # the timings, for the record (pytest -s shows them)
        print("\nnight                                      nightly s  cold s")
        for label, took, cold_s, up in n.timings:
            cold = "-" if cold_s is None else f"{cold_s:6.2f}"
            print(f"{label[:42]:42s} {took:8.2f}  {cold:>6s}{'  (up to date)' if up else ''}")


# ----------------------------------------------------------------------------- memo generations


def test_a_part_computed_again_replaces_its_stored_rows(tmp_path):
    """A part a run adds although the memo held it (a part kept under a fixed name) is
    stored with the new rows: the generation holding the old ones is not kept, and its
    other parts the run used stay in the memo."""
    import numpy as np

    from pipeline.runner.cache import StageCache

    root = tmp_path / "out" / ".cache"
    root.parent.mkdir()

    def memo():
        return StageCache(root).memo("memo x", [1])

    m = memo()
    m.add(np.array(["last", "last", "a", "a", "a", "a"], object), {"v": np.arange(6.0)})
    m.flush()
    m = memo()
    assert m.take(["last"])[0]["v"].tolist() == [0.0, 1.0]
    m.reuse(["a"])
    m.add(np.array(["last"] * 3, object), {"v": np.array([7.0, 8.0, 9.0])})
    m.flush()
    m = memo()
    assert m.known() == {"last", "a"}
    assert m.take(["last"])[0]["v"].tolist() == [7.0, 8.0, 9.0]
    assert m.take(["a"])[0]["v"].tolist() == [2.0, 3.0, 4.0, 5.0]
    files = sorted(root.glob("memo_x-*.parquet"))
    assert len(files) == 1  # the old generation is gone
    # the same rows added again count as reused: the generation stands, nothing is written
    m.add(np.array(["last"] * 3, object), {"v": np.array([7.0, 8.0, 9.0])})
    m.reuse(["a"])
    m.flush()
    assert sorted(root.glob("memo_x-*.parquet")) == files
    assert memo().take(["last"])[0]["v"].tolist() == [7.0, 8.0, 9.0]


def test_the_ais_neighbourhood_grows_from_the_last_night_s(tmp_path, caplog):
    """Night after night the AIS coverage grows the last run's neighbourhood by the cells
    received since that run (not since the first night), and equals one computed afresh."""
    import logging
    import re

    import numpy as np

    from pipeline import schema as S
    from pipeline.builtin_factors import ais_coverage
    from pipeline.grid import grid_disk_cells, points_to_cells
    from pipeline.runner.cache import StageCache

    root = tmp_path / "out" / ".cache"
    root.parent.mkdir()
    lon = np.linspace(-30.0, -20.0, 30)
    pings = pd.DataFrame(
        {
            S.TIME: pd.date_range("2026-06-01", periods=30, freq="h", tz="UTC"),
            S.LON: lon,
            S.LAT: np.full(30, 10.0),
        }
    )
    cells = np.unique(grid_disk_cells(points_to_cells(lon, np.full(30, 10.0), 4), 3))
    seen = np.empty(0, dtype="uint64")  # the cells received by the last night's pings
    for night, n in enumerate((10, 20, 30)):
        got = pings.iloc[:n]
        memo = StageCache(root).memo("memo ais near 40km", [4])
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="pipeline"):
            covered = ais_coverage(got, cells, 4, 40.0, near_memo=memo)
        assert covered.tolist() == ais_coverage(got, cells, 4, 40.0).tolist()
        ((received, fresh),) = re.findall(r"(\d+) received cell\(s\), (\d+) new", caplog.text)
        now = np.unique(points_to_cells(got[S.LON].to_numpy(), got[S.LAT].to_numpy(), 4))
        assert int(received) == now.size
        assert int(fresh) == np.setdiff1d(now, seen).size, f"night {night + 1}"
        if night:
            assert "grown from the last run's" in caplog.text
        seen = now


# ----------------------------------------------------------------------------- cache keys


def _loiter_theatre(d: Path) -> dict:
    """Seizures, one vessel loitering 6 h at sea and one sailing past, and a ports file."""
    import numpy as np

    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    pd.DataFrame(
        {
            "date": [f"2026-0{1 + i % 6}-{1 + i % 27:02d}" for i in range(40)],
            "lat": 10 + rng.normal(0, 1.5, 40).round(4),
            "lon": -30 + rng.normal(0, 1.5, 40).round(4),
        }
    ).to_csv(d / "seizures.csv", index=False)
    t = pd.date_range("2026-06-29T00:00Z", periods=13, freq="30min")
    stay = pd.DataFrame(
        {
            "mmsi": 211000001,
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": 10.0 + np.arange(13) * 0.0005,
            "lon": -30.0,
            "sog": 0.5,
        }
    )
    sail = stay.assign(mmsi=211000002, lat=9.0, lon=-32.0 + np.arange(13) * 0.1, sog=11.0)
    pd.concat([stay, sail]).to_csv(d / "ais.csv", index=False)
    (d / "ports.csv").write_text("name,lat,lon\nFar Away,20.0,-20.0\n")
    return {
        "seizures": [{"path": str(d / "seizures.csv")}],
        "tracks": [{"path": str(d / "ais.csv")}],
        "ports": str(d / "ports.csv"),
    }


def _light_config(tmp_path: Path, **sections):
    """Write and load ``tmp_path/c.yaml``: ``sections``, without timeline, back-test, hot spots
    or the optional exports."""
    import yaml

    import pipeline

    raw = {
        **sections,
        **QUICK,
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return pipeline.load_config(path)


def _loiter_config(tmp_path: Path, inputs: dict, area: dict, out: Path):
    """The loitering theatre's config: density and loitering, no timeline, back-test or map."""
    return _light_config(
        tmp_path,
        run={"as_of": "2026-06-30", "out_dir": str(out)},
        area={**area, "resolution": 3},
        inputs=inputs,
        density={"bandwidth_km": 150.0},
        score={"factors": {"seizure_density": {"weight": 1}, "loiter_events": {"weight": 1}}},
    )


@pytest.mark.slow  # two runs (~2 s each)
def test_a_changed_ports_file_changes_the_events_of_a_nightly_run(tmp_path):
    """Loitering and encounters count only away from ports: a night whose only change is
    a port added where a vessel loitered has no loitering event, as a cold run has none
    (the sequence above compares every night with a cold run byte for byte)."""

    import pipeline

    inputs = _loiter_theatre(tmp_path / "data")

    def config(out: Path):
        return _loiter_config(tmp_path, inputs, {"bbox": [-40, 0, -20, 20]}, out)

    first = pipeline.run_pipeline(config(tmp_path / "out"))
    assert first.manifest["counts"]["events"].get("loiter") == 1
    with open(tmp_path / "data" / "ports.csv", "a") as f:
        f.write("Loiter Bay,10.0,-30.0\n")  # a port where the vessel waited
    night = pipeline.run_pipeline(config(tmp_path / "out"))
    # the loitering is now at a port: no event (as a cold run of these inputs has none)
    assert not night.manifest["counts"]["events"].get("loiter")
    assert not night.manifest["stages"]["features"]["cached"]


@pytest.mark.slow  # three runs (~2 s each)
def test_an_area_polygon_edited_in_place_gives_the_cells_of_a_cold_run(tmp_path):
    """The area polygon rewritten at the same path with the same extent (a notch cut out):
    the nightly run's cells, features and scores are a cold run's, not the old polygon's."""

    import pipeline

    inputs = _loiter_theatre(tmp_path / "data")
    poly = tmp_path / "data" / "aoi.geojson"

    def write(ring):
        geometry = {"type": "Polygon", "coordinates": [ring]}
        poly.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
                    "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
                }
            )
        )

    def config(out: Path):
        return _loiter_config(tmp_path, inputs, {"polygon": str(poly)}, out)

    write([[-40, 0], [-20, 0], [-20, 20], [-40, 20], [-40, 0]])
    pipeline.run_pipeline(config(tmp_path / "out"))
    # the same extent, a notch cut into the east side
    write([[-40, 0], [-20, 0], [-20, 8], [-31, 10], [-20, 12], [-20, 20], [-40, 20], [-40, 0]])
    night = pipeline.run_pipeline(config(tmp_path / "out"))
    cold = pipeline.run_pipeline(config(tmp_path / "cold"), cold=True)
    assert night.manifest["counts"]["cells"] == cold.manifest["counts"]["cells"]
    for k in ("features", "scores_csv", "scores_parquet", "events", "seizures", "pings"):
        assert night.manifest["outputs"][k]["sha256"] == cold.manifest["outputs"][k]["sha256"], k


def test_companion_files_are_those_a_reader_takes_beside_the_file(tmp_path):
    """A Shapefile's sidecars, a GeoPackage's write-ahead log and GDAL's raster companions
    are found (and hashed); a CSV has none, and a stray file of another stem is not one."""
    from pipeline.runner.inputs import companion_files, companion_hashes

    names = ["s.shp", "s.shx", "s.dbf", "s.prj", "s.cpg", "s.qmd", "t.dbf", "s.csv"]
    names += ["g.gpkg", "g.gpkg-wal", "r.tif", "r.tif.aux.xml", "r.tfw", "r.tif.msk"]
    for name in names:
        (tmp_path / name).write_text(name)

    def found(name: str) -> list[str]:
        return [p.name for p in companion_files(tmp_path / name)]

    assert found("s.shp") == ["s.cpg", "s.dbf", "s.prj", "s.shx"]
    assert found("g.gpkg") == ["g.gpkg-wal"]
    assert found("r.tif") == ["r.tfw", "r.tif.aux.xml", "r.tif.msk"]
    assert found("s.csv") == []
    before = companion_hashes(tmp_path / "s.shp")
    (tmp_path / "s.dbf").write_text("edited")
    after = companion_hashes(tmp_path / "s.shp")
    assert set(before) == set(after) and before["s.dbf"] != after["s.dbf"]
    assert before["s.prj"] == after["s.prj"]


@pytest.mark.slow  # three runs (~2 s each)
def test_a_night_that_edits_only_a_companion_file_gives_a_cold_run_s_tables(tmp_path):
    """The seizures as a Shapefile whose .dbf alone is edited (a record re-dated, a quantity
    corrected: the .shp of the points is the same bytes), and a raster given an .aux.xml
    (scale and offset, which GDAL applies): the night is neither "up to date" nor served the
    old tables from the cache; it publishes what a cold run of the edited files does."""
    import geopandas as gpd
    import numpy as np
    from _rasters import write_tif
    from rasterio.transform import from_origin

    import pipeline

    data = tmp_path / "data"
    inputs = _loiter_theatre(data)
    seizures = pd.read_csv(data / "seizures.csv").assign(quantity=10.0)

    def write_shapefile(frame: pd.DataFrame) -> None:
        points = gpd.points_from_xy(frame["lon"], frame["lat"])
        gpd.GeoDataFrame(
            frame.drop(columns=["lon", "lat"]), geometry=points, crs="EPSG:4326"
        ).to_file(data / "seizures.shp")

    write_shapefile(seizures)
    raster = data / "lights.tif"
    write_tif(raster, np.arange(400, dtype="uint16").reshape(20, 20), from_origin(-40, 20, 1, 1))
    config = _light_config(
        tmp_path,
        run={"as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
        area={"bbox": [-40, 0, -20, 20], "resolution": 3},
        inputs={
            **inputs,
            "seizures": [{"path": str(data / "seizures.shp")}],
            "rasters": [{"path": str(raster), "name": "lights"}],
        },
        density={"bandwidth_km": 150.0, "use_quantity": True},
        score={"factors": {"seizure_density": {"weight": 1}, "lights_mean": {"weight": 1}}},
    )
    pipeline.run_pipeline(config)
    shp = (data / "seizures.shp").read_bytes()
    seizures.loc[3, "date"] = "2026-06-29"
    seizures.loc[4, "quantity"] = 900.0
    write_shapefile(seizures)
    assert (data / "seizures.shp").read_bytes() == shp  # the points are the same bytes
    (data / "lights.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><Offset>5</Offset><Scale>3</Scale>'
        "</PAMRasterBand></PAMDataset>"
    )
    night = pipeline.run_pipeline(config)
    cold = pipeline.run_pipeline(config, out_dir=tmp_path / "cold", cold=True)
    assert not night.up_to_date
    assert not night.manifest["inputs"]["seizures"][0]["cached"]
    for k in ("seizures", "features", "scores_parquet"):
        assert night.manifest["outputs"][k]["sha256"] == cold.manifest["outputs"][k]["sha256"], k
    assert night.manifest["input_files"] == cold.manifest["input_files"]
