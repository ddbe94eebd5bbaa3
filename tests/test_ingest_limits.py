"""Resource limits (issue 12): a huge sparse GeoTIFF neither takes gigabytes nor hangs.

A 200,000 x 200,000 pixel tiled, compressed raster that is nodata except for one tile is a
few megabytes on disk and 160 GB decoded.  ``route-risk ingest raster`` refuses it in one
line before reading a pixel (it used to hold 2.1 GB and read for minutes); a run whose area
has a bbox reads only the window over the area.  Peak memory is measured in a subprocess.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from _corpus import IGNORE_PENDING_DEPRECATION

pytestmark = IGNORE_PENDING_DEPRECATION
REPO = Path(__file__).resolve().parents[1]


def _sparse_tiff(path: Path, n: int, block_lonlat: tuple[float, float]) -> Path:
    """A global n x n EPSG:4326 GeoTIFF, nodata except one 512 x 512 tile of 5.0 at a point."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    res = 360.0 / n
    col = int((block_lonlat[0] + 180.0) / res)
    row = int((90.0 - block_lonlat[1]) / (180.0 / n))
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        nodata=-9999,
        crs="EPSG:4326",
        transform=from_origin(-180.0, 90.0, res, 180.0 / n),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        BIGTIFF="YES",
        SPARSE_OK="TRUE",
    ) as ds:
        ds.write(np.full((1, 512, 512), 5.0, "float32"), window=Window(col, row, 512, 512))
    return path


def _run_measured(args: list[str], timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI in a child; return it and the child's peak RSS in MiB (Linux ru_maxrss)."""
    code = (
        "import resource, subprocess, sys, json;"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps([p.returncode, p.stdout, p.stderr, r]))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=True,
    )
    import json

    rc, stdout, stderr, kb = json.loads(out.stdout)
    return subprocess.CompletedProcess(args, rc, stdout, stderr), kb / 1024


def test_huge_sparse_raster_is_refused_in_one_line_without_reading(tmp_path):
    tif = _sparse_tiff(tmp_path / "huge.tif", 200_000, (0.0, 0.0))
    assert tif.stat().st_size < 20 * 2**20
    t0 = time.perf_counter()
    proc, peak_mb = _run_measured(["ingest", "raster", str(tif)], timeout=120)
    took = time.perf_counter() - t0
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "40,000,000,000 pixels" in err and "ingest.max_raster_pixels" in err
    assert peak_mb < 600, f"peak RSS {peak_mb:.0f} MiB"
    assert took < 60


def test_pixel_budget_and_window_in_the_library(tmp_path):
    from pipeline.errors import InputError
    from pipeline.ingest import (
        IngestOptions,
        check_raster_pixels,
        clip_raster,
        describe_raster,
        open_raster,
        raster_coverage,
    )

    tif = _sparse_tiff(tmp_path / "big.tif", 20_000, (10.0, 10.0))
    da = open_raster(tif, memory_budget_mb=64)
    assert da.attrs["windowed"]
    with pytest.raises(InputError, match=r"big\.tif: the raster holds 400,000,000 pixels"):
        check_raster_pixels(da, 1_000_000)
    desc = describe_raster(da, max_pixels=1_000_000)
    assert desc["valid_fraction"] is None and "not computed" in desc["note"]
    with pytest.raises(InputError, match="window over the area holds"):
        raster_coverage(da, (0.0, 0.0, 20.0, 20.0), max_pixels=1_000_000)
    cov = raster_coverage(da, (10.0, 9.0, 11.0, 10.0), max_pixels=1_000_000)
    assert cov["valid_fraction_in_area"] > 0
    clip = clip_raster(da, (10.0, 9.0, 11.0, 10.0), margin_km=20)
    assert clip.size < 1_000_000 and clip.attrs["source_file"] == "big.tif"
    x0, y0, x1, y1 = (float(v) for v in clip.rio.bounds())
    assert x0 < 10.0 - 0.15 and x1 > 11.0 + 0.15 and y0 < 9.0 - 0.15 and y1 > 10.0 + 0.15
    assert IngestOptions().max_raster_pixels == 1_000_000_000
    with pytest.raises(ValueError):
        IngestOptions(max_raster_pixels=0)


@pytest.mark.slow
def test_run_reads_only_the_area_window_of_a_huge_raster(small_demo, tmp_path):
    import pandas as pd
    from conftest import small_config

    seiz = pd.read_csv(small_demo / "inputs" / "seizures.csv")
    inside = seiz[seiz["lon"].between(-69, -61) & seiz["lat"].between(11, 19)].iloc[0]
    # 100,000 x 100,000 pixels (4e10 bytes of float32): the area's window alone is 7.7e6
    # pixels; the one valid tile (1.84 x 0.92 degrees) centred on a seizure, so its cell is
    # scored
    corner = (float(inside["lon"]) - 0.92, float(inside["lat"]) + 0.46)
    tif = _sparse_tiff(tmp_path / "huge.tif", 100_000, corner)
    # the raster's stages only: features (its window is read) and the map (drawn from it);
    # no hot spots, back-test, timeline or FlatGeobuf, a coarse basemap (~2.5 s less)
    cfg = small_config(
        small_demo,
        tmp_path,
        hotspots={"enabled": False},
        evaluate={"enabled": False},
        timeline={"months": 0},
        render={"flatgeobuf": False, "basemap": "110m"},
    )
    raw = yaml.safe_load((tmp_path / "c.yaml").read_text())
    raw["area"]["bbox"] = [-70, 10, -60, 20]
    raw["inputs"]["rasters"] = [{"path": str(tif), "name": "nightlights"}]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    assert cfg is not None
    t0 = time.perf_counter()
    proc, peak_mb = _run_measured(["run", str(tmp_path / "c.yaml")], timeout=600)
    took = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert peak_mb < 1500, f"peak RSS {peak_mb:.0f} MiB"
    assert took < 300
    feats = pd.read_parquet(tmp_path / "out" / "features.parquet")
    assert (feats["nightlights_mean"] == 5.0).any()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < 4000


def test_a_seizure_or_context_file_read_whole_is_bounded(tmp_path):
    """Seizure tables and context layers are read whole: a plain file above
    ``ingest.max_uncompressed_mb`` is refused before it is read, as a zip would be (an AIS
    export put under inputs.seizures by mistake used to be loaded whole into memory)."""
    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import read_seizures
    from pipeline.ingest.context import read_context

    rows = "\n".join(
        f"2024-01-{1 + i % 28:02d},{-60 + (i % 97) / 10:.3f},{12 + (i % 89) / 10:.3f},cocaine"
        for i in range(60_000)
    )
    big = tmp_path / "seizures.csv"
    big.write_text("date,lon,lat,commodity\n" + rows + "\n")
    assert 1.5 < big.stat().st_size / 2**20 < 3
    with pytest.raises(SourceUnreadable, match=r"seizures.csv: 2 MiB, .*max_uncompressed_mb=1;"):
        read_seizures(big, as_of="2024-12-31", max_uncompressed_mb=1)
    assert len(read_seizures(big, as_of="2024-12-31", max_uncompressed_mb=3).frame) == 60_000
    ports = tmp_path / "ports.csv"
    ports.write_text(
        "name,lon,lat\n" + "\n".join(f"p{i},{1 + i % 90},{i % 45}" for i in range(90_000))
    )
    with pytest.raises(SourceUnreadable, match="a context layer is read whole"):
        read_context(ports, "ports", max_uncompressed_mb=1)
    assert len(read_context(ports, "ports", max_uncompressed_mb=3).frame) == 90_000


def test_a_too_large_seizure_file_ends_the_run_in_one_line(small_demo, tmp_path, capsys):
    from conftest import small_config
    from test_cli import cli_here  # the command in this process: only its code and message

    cfg = small_config(small_demo, tmp_path, ingest={"max_uncompressed_mb": 0.01})
    code, _, err = cli_here(capsys, "run", cfg.source, "-q")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "seizure table is read whole" in lines[0], err


def test_track_files_read_whole_are_bounded_and_streamed_ones_are_not(tmp_path):
    """JSON, GPX and vector track files are read whole (bounded); CSV is streamed (not)."""
    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import read_tracks

    rows = [
        f'{{"mmsi": 2570000{i % 50:02d}, "lat": {50 + i % 100 / 1000:.3f}, '
        f'"lon": {i % 100 / 1000:.3f}, "time": "2024-01-01T{i // 3600 % 24:02d}:'
        f'{i // 60 % 60:02d}:{i % 60:02d}Z"}}'
        for i in range(30_000)
    ]
    big = tmp_path / "feed.jsonl"
    big.write_text("\n".join(rows) + "\n")
    with pytest.raises(SourceUnreadable, match="a track file in this format is read whole"):
        read_tracks(big, max_uncompressed_mb=1)
    csv = tmp_path / "feed.csv"
    csv.write_text(
        "mmsi,lat,lon,time\n"
        + "".join(
            f"2570000{i % 50:02d},50.{i % 100:03d},0.{i % 100:03d},2024-01-01\n"
            for i in range(60_000)
        )
    )
    assert csv.stat().st_size > 2**20
    assert read_tracks(csv, max_uncompressed_mb=1).n_read == 60_000
