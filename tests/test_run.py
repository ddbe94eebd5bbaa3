"""The runner on a small generated theatre: options reach the stages, outputs are stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import QUICK, publish_light, small_config

import pipeline
from pipeline.errors import DataQualityError

config = small_config


@pytest.fixture(scope="module")
def plain(small_demo, tmp_path_factory):
    """One run of the small config, with the stages it reported and their BLAS threads.

    It runs under a limit of two BLAS threads, as the progress test needs; the tests that
    only read what it published use :func:`plain_run`, the ones that run again over it
    :func:`copy_of_plain`.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    cfg = config(small_demo, tmp_path_factory.mktemp("plain"))
    seen: list[str] = []
    blas: list[list[int]] = []

    def progress(stage: str) -> None:
        seen.append(stage)
        blas.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])

    with threadpool_limits(limits=2, user_api="blas"):
        res = pipeline.run_pipeline(cfg, progress=progress)
    return SimpleNamespace(config=cfg, result=res, stages=seen, blas=blas)


@pytest.fixture(scope="module")
def plain_run(plain):
    """One run of the small config for the tests that only read what it published."""
    return plain.result


def copy_of_plain(plain, tmp_path: Path) -> Path:
    """Copy the plain run's output folder (runs, links, cache) to ``tmp_path/out``.

    ``config(small_demo, tmp_path)`` writes there: a test that runs again over a published
    default run (its cache filled, its map published) starts from this copy.
    """
    out = tmp_path / "out"
    shutil.copytree(plain.result.out_dir, out, symlinks=True)
    return out


def test_small_run_end_to_end(plain_run):
    res = plain_run
    s = res.scores
    assert len(s) > 100
    assert {"nightlights_mean", "nightlights_mean__contrib", "vessel_hours__norm"} <= set(s.columns)
    assert res.manifest["features"]["density"]["kernel"] == "quartic"
    assert "methods" in res.manifest["evaluation"]
    assert not (res.out_dir / "scores.geojson").exists()
    ev = json.loads((res.out_dir / "evaluation.json").read_text())
    assert ev["methods"][0] == "published"
    assert {"all_prior_counts", "kde", "density", "uniform"} <= set(ev["summary"])
    for origin in ev["origins"]:  # the windows: two years before the origin, the next quarter
        start, o, end = (pd.Timestamp(origin[k]) for k in ("train_start", "origin", "test_end"))
        assert (o - start).days == 730 and (end - o).days == 91
        assert origin["n_test"] == origin["n_test_in_universe"] + origin["n_test_outside"]


def test_edge_correction_and_bandwidth_rule_reach_the_density(small_demo, tmp_path, plain_run):
    plain = plain_run
    edge = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path / "b",
            density={"edge_correction": True, "bandwidth_km": "silverman"},
            area={"bbox": [-70, 10, -55, 25], "resolution": 4},
            **QUICK,
        )
    )
    info = edge.manifest["features"]["density"]
    assert info["bandwidth_rule"] == "silverman" and info["bandwidth_km"] > 0
    # the default at resolution 4: two 26.1 km cell edges, rounded up to 5 km
    assert plain.manifest["features"]["density"]["bandwidth_km"] == 55.0


def test_as_of_moves_the_window(small_demo, tmp_path):
    early = pipeline.run_pipeline(config(small_demo, tmp_path, **QUICK), as_of="2025-06-30")
    assert early.manifest["as_of"] == "2025-06-30"
    seiz = pd.read_parquet(early.out_dir / "seizures.parquet")
    assert seiz["time"].max() <= pd.Timestamp("2025-07-01", tz="UTC")


def test_reject_ceiling_fails_closed_and_keeps_last_map(small_demo, tmp_path, plain):
    out = copy_of_plain(plain, tmp_path)  # a good run published there
    before = (out / "risk_map.html").read_bytes()
    broken = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str)
    broken.loc[broken.index % 4 == 0, "lat"] = "not a number"
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    bad = config(
        small_demo,
        tmp_path,
        ingest={"max_reject_rate": 0.2},
        inputs={"seizures": [{"path": str(path)}]},
    )
    with pytest.raises(DataQualityError, match=r"broken.csv: 200 of 800 .*25.0%.*rejects") as info:
        pipeline.run_pipeline(bad)
    assert (out / "risk_map.html").read_bytes() == before
    # the user can see why: the error names the failed run's rejects file, every row with a line
    named = Path(str(info.value).rsplit(" in ", 1)[1].strip("'"))
    assert named.parent.parent.parent == out / "runs" and named.name == "seizures-broken.csv"
    rejects = pd.read_csv(named)
    assert len(rejects) == 200 and rejects["row"].notna().all()
    assert set(rejects["column"]) == {"lat"}


def test_a_map_of_an_earlier_day_leaves_later_records_out_without_failing(small_demo, tmp_path):
    # A map as of an earlier day: the records after it are real, out of the run's time as
    # outside_aoi records are out of its area; they used to count against the reject ceiling
    # and refuse the run (date_future), which only a date after today deserves.
    when = pd.to_datetime(pd.read_csv(small_demo / "inputs" / "seizures.csv")["date"], utc=True)
    as_of = when.quantile(0.3).date().isoformat()
    later = int((when >= pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)).sum())
    assert later > 0.6 * len(when)
    res = pipeline.run_pipeline(config(small_demo, tmp_path, **QUICK), as_of=as_of)
    entry = res.manifest["inputs"]["seizures"][0]
    assert entry["by_rule"] == {"after_as_of": later}
    assert res.manifest["counts"]["seizures_used"] == len(when) - later
    rejects = pd.read_csv(res.out_dir / "rejects" / "seizures-seizures.csv")
    assert set(rejects["rule"]) == {"after_as_of"} and len(rejects) == later


def test_no_record_before_as_of_is_refused_saying_why(small_demo, tmp_path):
    with pytest.raises(
        pipeline.InputError,
        match=r"no seizure record survived ingest "
        r"\(after_as_of 800\); the rejected records are in",
    ):
        pipeline.run_pipeline(config(small_demo, tmp_path), as_of="2000-01-01")


@pytest.mark.parametrize("chunk_rows", [None, 2_000], ids=["whole", "spilled"])
def test_positions_after_as_of_cover_nothing_on_the_map_of_that_day(
    small_demo, tmp_path, chunk_rows
):
    # A cell whose AIS was all received after as_of was "covered: 0 vessel-hours" on the map of
    # that day; it must read as the map made with the tracks of that day only: no coverage.
    ais = pd.read_csv(small_demo / "inputs" / "ais.csv", dtype=str)
    when = pd.to_datetime(ais["timestamp"], utc=True)
    as_of = (when.min() + (when.max() - when.min()) / 2).date().isoformat()
    cut = tmp_path / "ais-until.csv"
    ais[when < pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)].to_csv(cut, index=False)
    quick = {
        "timeline": {"months": 0},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "ingest": {"chunk_rows": chunk_rows},
    }
    runs = []
    for name, tracks in (("later", small_demo / "inputs" / "ais.csv"), ("cut", cut)):
        inputs = {"tracks": [{"path": str(tracks)}], "rasters": []}
        factors = {"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}}
        cfg = config(small_demo, tmp_path / name, inputs=inputs, score=factors, **quick)
        runs.append(pipeline.run_pipeline(cfg, as_of=as_of).scores.set_index("cell"))
    later, cut_ = runs
    col = "vessel_hours__covered"
    assert (later[col] != cut_[col].reindex(later.index)).sum() == 0
    assert cut_[col].sum() < len(cut_)  # some cells are outside the day's coverage
    pd.testing.assert_series_equal(later["vessel_hours"], cut_["vessel_hours"].reindex(later.index))


def test_fitted_cells_at_one_rate_share_one_risk_at_the_bottom(small_demo, tmp_path):
    # Every cell of the area (cells: all): most are quiet, at one rate of the model; the last
    # bits of exp(log area + ...) / area differed between them, and ranked as distinct rates
    # they were spread over the whole scale (risk 25, 46, 68, 90 ... for one rate)
    cfg = config(
        small_demo,
        tmp_path,
        area={"resolution": 3, "cells": "all"},
        inputs={"tracks": [], "rasters": []},
        score={"model": "fitted", "factors": {"seizure_density": {"weight": 1}}},
        evaluate={"enabled": False},
        timeline={"months": 0},
        hotspots={"uncertainty": {"n_resamples": 20}},
    )
    s = pipeline.run_pipeline(cfg).scores
    rate = s["expected_per_km2"].map("{:.7g}".format)
    block = rate == rate.value_counts().index[0]
    assert block.sum() > 0.3 * len(s)
    # the block's cells with an observation (the others have no risk: no data)
    seen = block & s["observed"].to_numpy(dtype=bool)
    assert seen.sum() >= 10
    assert s.loc[seen, "risk"].nunique() == 1
    assert s.loc[seen, "risk"].iloc[0] == s["risk"].min() < 1.0
    # the interval's draws rank the same way: the quiet block's interval is one interval
    assert s.loc[seen, "risk_upper"].nunique() == 1
    # the risk is the share of the area at or below the cell's rate, not of the cells
    # (resolution-3 cells differ in area)
    from pipeline.grid import cell_area_km2
    from pipeline.score import area_percentile

    area = cell_area_km2(s["cell"].to_numpy(dtype="uint64"))
    want = area_percentile(s["expected_per_km2"].to_numpy(dtype="float64"), area=area)
    ok = s["risk"].notna().to_numpy()
    np.testing.assert_allclose(s.loc[ok, "risk"], want[ok], atol=1e-5)
    assert not np.allclose(s.loc[ok, "risk"], area_percentile(s["expected_per_km2"])[ok])


@pytest.mark.parametrize("model", ["weighted", "fitted"])
def test_a_cell_with_no_observation_has_no_risk_in_the_tables(small_demo, tmp_path, model):
    # cells: all, with a raster over the whole area: the map showed the cells with no
    # observation as "no data" while the tables gave them a risk - weighted points from the
    # raster alone (a low risk), or the fitted model's percentile (up to 99)
    cfg = config(
        small_demo,
        tmp_path,
        area={"resolution": 3, "cells": "all"},
        inputs={"tracks": []},
        score={
            "model": model,
            "factors": {"seizure_density": {"weight": 3}, "nightlights_mean": {"weight": 1}},
        },
        evaluate={"enabled": False},
        timeline={"months": 0},
        hotspots={"uncertainty": {"n_resamples": 20}},
    )
    res = pipeline.run_pipeline(cfg)
    table = pd.read_parquet(res.out_dir / "scores.parquet")
    unseen = ~table["observed"].to_numpy(dtype=bool)
    assert 0 < unseen.sum() < len(table)
    assert table.loc[unseen, "nightlights_mean"].notna().any()  # the raster covers them
    for col in ("risk", "risk_class", "top_factor", "risk_lower", "risk_upper"):
        assert table.loc[unseen, col].isna().all(), col
    assert table.loc[~unseen, "risk"].notna().all()
    assert table.loc[~unseen, "risk_class"].notna().all()
    csv = pd.read_csv(res.out_dir / "scores.csv", dtype={"risk": str}, keep_default_na=False)
    assert (csv.loc[unseen, "risk"] == "").all()


def test_hot_spots_of_the_risk_leave_out_the_cells_with_no_risk(small_demo, tmp_path):
    # hotspots.values: risk took a cell with no observation as risk 0: a cold value that
    # pulled the Gi* of its observed neighbours down
    from pipeline.hotspots import gi_star

    cfg = config(
        small_demo,
        tmp_path,
        area={"resolution": 3, "cells": "all"},
        inputs={"tracks": []},
        score={"factors": {"seizure_density": {"weight": 3}, "nightlights_mean": {"weight": 1}}},
        evaluate={"enabled": False},
        timeline={"months": 0},
        hotspots={"values": "risk", "uncertainty": {"n_resamples": 20}},
    )
    res = pipeline.run_pipeline(cfg)
    s = pd.read_parquet(res.out_dir / "scores.parquet")
    seen = s["observed"].to_numpy(dtype=bool)
    assert 0 < seen.sum() < len(s)
    assert s.loc[~seen, "gi_z"].isna().all()
    want = gi_star(
        s.loc[seen, "cell"].to_numpy(dtype="uint64"), s.loc[seen, "risk"].to_numpy(), cfg.hotspots
    )
    # as published (from the risk at 7 significant digits: a z near 0 differs by ~1e-8)
    np.testing.assert_allclose(s.loc[seen, "gi_z"], want["gi_z"], rtol=1e-5, atol=1e-6)
    # the trends of the seizure counts still cover every cell
    assert s["emerging_category"].notna().all()
    assert res.map_path.stat().st_size > 0


def test_as_of_is_never_taken_from_a_record_dated_after_today(small_demo, tmp_path):
    # Without run.as_of the map is of the latest record's day; a two-digit year read as 2068
    # made the run date itself 2068 and age every real record by 40 years, silently.
    seizures = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str)
    seizures.loc[3, "date"] = "2068-03-18"
    path = tmp_path / "seizures-2068.csv"
    seizures.to_csv(path, index=False)
    cfg = config(small_demo, tmp_path, inputs={"seizures": [{"path": str(path)}]})
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"as_of": None})})
    with pytest.raises(
        pipeline.InputError,
        match=r"1 seizure record\(s\) are dated after today, the latest 2068-03-18",
    ):
        pipeline.run_pipeline(cfg)


def test_use_quantity_says_when_it_adds_quantities_of_different_units(
    small_demo, tmp_path, plain_run
):
    # the demo's seizures are in kg, its people in persons: weighted by quantity, 40 persons
    # weighed as 40 kg without a word
    quick = {"timeline": {"months": 0}, "evaluate": {"enabled": False}}
    res = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path,
            density={"use_quantity": True},
            hotspots={"enabled": False},
            **quick,
        )
    )
    said = [n for n in res.manifest.get("notes", []) if "different units" in n]
    assert len(said) == 1 and "kg (" in said[0] and "persons (" in said[0]
    plain = plain_run  # the same inputs without use_quantity
    assert not any("different units" in n for n in plain.manifest.get("notes", []))


def test_a_context_layer_of_mostly_bad_features_stops_the_run(small_demo, tmp_path):
    # a ports file whose positions are mostly unreadable was taken with what was left, and a
    # layer rejected whole never stopped the run: the ceiling holds for context layers too
    ports = tmp_path / "ports.csv"
    ports.write_text("name,lat,lon\nA,10.4,-75.6\n" + "".join(f"P{i},x,y\n" for i in range(9)))
    cfg = config(small_demo, tmp_path, inputs={"ports": str(ports)})
    with pytest.raises(DataQualityError, match=r"ports.csv: 9 of 10 records in scope rejected"):
        pipeline.run_pipeline(cfg)


def test_a_multipoint_port_keeps_events_away_from_its_points(small_demo, tmp_path, plain_run):
    # a port given as a MultiPoint (a harbour as its berths) was accepted as a layer but left
    # out of the 'away from ports' test, silently
    base = plain_run  # the same tracks without the port
    events = pd.read_parquet(base.out_dir / "events.parquet")
    loiter = events[events["event_type"] == "loiter"]
    assert len(loiter) > 0
    coords = ", ".join(f"[{x}, {y}]" for x, y in zip(loiter["lon"], loiter["lat"], strict=True))
    ports = tmp_path / "berths.geojson"
    ports.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "all berths"}, "geometry": {"type": "MultiPoint", "coordinates": ['
        + coords
        + "]}}]}"
    )
    res = pipeline.run_pipeline(
        config(small_demo, tmp_path / "b", inputs={"ports": str(ports)}, **QUICK)
    )
    after = pd.read_parquet(res.out_dir / "events.parquet")
    assert (after["event_type"] == "loiter").sum() == 0
    assert (after["event_type"] == "gap").sum() == (events["event_type"] == "gap").sum()


def test_outside_area_is_rejected_but_not_a_quality_failure(small_demo, tmp_path):
    res = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path,
            area={"bbox": [-70, 5, -50, 25]},
            ingest={"max_reject_rate": 0.05},
            **QUICK,
        )
    )
    entry = res.manifest["inputs"]["seizures"][0]
    assert entry["by_rule"]["outside_aoi"] == entry["rejected"] > 400
    rejects = pd.read_csv(res.out_dir / "rejects" / "seizures-seizures.csv")
    assert len(rejects) == entry["rejected"]


def test_confidence_counts_seizures_within_one_bandwidth():
    from pipeline.grid import points_to_cells
    from pipeline.score import confidence_labels
    from pipeline.score import seizures_within as _seizures_within

    s = pd.DataFrame({"lon": [0, 0.05, 0.1, 3.0], "lat": [40.0, 40.0, 40.0, 40.0]})
    cells = points_to_cells([0.0, 3.0, 10.0], [40.0, 40.0, 40.0], 7)
    assert _seizures_within(s, cells, 20.0).tolist() == [3, 1, 0]
    labels = confidence_labels(np.array([0, 4, 5, 19, 20]))
    assert labels.tolist() == ["low", "low", "medium", "medium", "high"]


def test_scores_carry_confidence(plain_run):
    from pipeline.grid import cells_to_latlng

    res = plain_run
    s = res.scores
    assert set(s["confidence"]) <= {"low", "medium", "high"}
    seiz = pd.read_parquet(res.out_dir / "seizures.parquet")
    sample = s.sample(25, random_state=0)
    lat, lon = cells_to_latlng(sample["cell"].to_numpy())
    p1, p2 = np.radians(lat)[:, None], np.radians(seiz["lat"].to_numpy())[None, :]
    dl = np.radians(seiz["lon"].to_numpy())[None, :] - np.radians(lon)[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    h = res.manifest["features"]["density"]["bandwidth_km"]  # 55 km: resolution 4's default
    brute = (km < h).sum(axis=1)
    assert np.abs(sample["n_seizures_within_bandwidth"].to_numpy() - brute).max() <= 1


def test_progress_reports_every_stage_the_cli_counts(plain):
    from pipeline.cli import _stage_count

    # the plain run reported its stages (every one: timeline, hot spots, back-test too) to a
    # progress callback, under a limit of two BLAS threads
    cfg, seen, blas = plain.config, plain.stages, plain.blas
    assert len(seen) == _stage_count(cfg)
    assert seen[0] == "ingest" and seen[-1] == "export"
    # every stage runs with one BLAS thread (one summation order on any machine)
    assert blas[0] and all(threads == [1] * len(threads) for threads in blas), blas


def test_polygon_area_scores_only_cells_inside_and_rejects_the_rest(small_demo, tmp_path):
    import geopandas as gpd
    import shapely

    from pipeline.grid import cells_to_latlng, region_to_cells

    tri = shapely.Polygon([(-80, 5), (-40, 5), (-80, 35)])
    poly = tmp_path / "tri.geojson"
    gpd.GeoDataFrame(geometry=[tri], crs="EPSG:4326").to_file(poly)
    raw_area = {"polygon": str(poly), "resolution": 4, "bbox": None}
    res = pipeline.run_pipeline(config(small_demo, tmp_path, area=raw_area, **QUICK))
    allowed = set(region_to_cells(gpd.GeoSeries([tri], crs="EPSG:4326"), 4).tolist())
    assert set(res.scores["cell"].tolist()) <= allowed
    for kind in ("seizures", "tracks"):
        entry = res.manifest["inputs"][kind][0]
        assert entry["read"] == entry["accepted"] + entry["rejected"]
        assert entry["by_rule"]["outside_aoi"] > 0
    seiz = pd.read_parquet(res.out_dir / "seizures.parquet")
    assert shapely.intersects_xy(tri, seiz["lon"], seiz["lat"]).all()
    rejects = pd.read_csv(res.out_dir / "rejects" / "seizures-seizures.csv")
    assert (rejects["rule"] == "outside_aoi").sum() == res.manifest["inputs"]["seizures"][0][
        "by_rule"
    ]["outside_aoi"]
    lat, lon = cells_to_latlng(res.scores["cell"].to_numpy())
    assert len(lat) > 0


def test_inputs_sharing_a_stem_keep_separate_rejects(small_demo, tmp_path):
    src = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    src.to_csv(tmp_path / "a" / "s.csv", index=False)
    bad = src.copy()
    bad.loc[:1, "lat"] = "x"
    bad.to_csv(tmp_path / "b" / "s.csv", index=False)
    inputs = {
        "seizures": [
            {"path": str(tmp_path / "b" / "s.csv")},
            {"path": str(tmp_path / "a" / "s.csv")},
        ]
    }
    res = pipeline.run_pipeline(config(small_demo, tmp_path, inputs=inputs, **QUICK))
    files = [e["rejects_file"] for e in res.manifest["inputs"]["seizures"]]
    assert len(set(files)) == 2
    counts = [len(pd.read_csv(res.out_dir / f)) for f in files]
    assert counts == [e["rejected"] for e in res.manifest["inputs"]["seizures"]]
    assert counts[0] >= 2


def test_overlapping_exports_count_each_record_once(small_demo, tmp_path):
    src = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str, keep_default_na=False)
    n = min(len(src), 900)
    a, b = src.iloc[: 2 * n // 3], src.iloc[n // 3 : n]  # a third of the records in both
    a.to_csv(tmp_path / "jan-jun.csv", index=False)
    b.to_csv(tmp_path / "apr-dec.csv", index=False)
    src.iloc[:n].to_csv(tmp_path / "all.csv", index=False)
    two = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path / "two",
            inputs={
                "seizures": [
                    {"path": str(tmp_path / "jan-jun.csv")},
                    {"path": str(tmp_path / "apr-dec.csv")},
                ]
            },
            **QUICK,
        )
    )
    one = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path / "one",
            inputs={"seizures": [{"path": str(tmp_path / "all.csv")}]},
            **QUICK,
        )
    )
    first, second = two.manifest["inputs"]["seizures"]
    (whole,) = one.manifest["inputs"]["seizures"]
    repeats = len(a) + len(b) - n
    assert second["by_rule"].get("duplicate_across_files") == repeats
    assert "duplicate_across_files" not in first["by_rule"]
    for e in (first, second):
        assert e["read"] == e["accepted"] + e["rejected"]
        assert len(pd.read_csv(two.out_dir / e["rejects_file"])) == e["rejected"]
    assert first["accepted"] + second["accepted"] == whole["accepted"]
    rejects = pd.read_csv(two.out_dir / second["rejects_file"], dtype=str)
    dup = rejects[rejects["rule"] == "duplicate_across_files"]
    # each points at the same record's line in the first file (a header line, then rows)
    assert (
        dup["value"] == "jan-jun.csv line " + (dup["row"].astype(int) + n // 3).astype(str)
    ).all()
    # the map is the one the records given once make
    cols = ["cell", "risk", "seizure_density"]
    pd.testing.assert_frame_equal(
        two.scores[cols].reset_index(drop=True), one.scores[cols].reset_index(drop=True)
    )


def test_rerun_removes_stale_outputs_and_reuses_cache_sensibly(small_demo, tmp_path):
    import shutil

    first = pipeline.run_pipeline(config(small_demo, tmp_path, render={"geojson": True}))
    assert (first.out_dir / "scores.geojson").exists()
    renamed = tmp_path / "renamed.csv"
    shutil.copy(small_demo / "inputs" / "seizures.csv", renamed)
    second = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path,
            inputs={"seizures": [{"path": str(renamed)}], "tracks": []},
            score={"factors": {"seizure_density": {"weight": 1}}},
            **QUICK,  # the first run's evaluation, timeline and hot spots go stale too
        ),
        as_of="2026-06-29",
    )
    out = second.out_dir
    assert not (out / "scores.geojson").exists() and not (out / "events.parquet").exists()
    assert not (out / "pings.parquet").exists()
    assert sorted(p.name for p in (out / "rejects").iterdir()) == ["seizures-renamed.csv"]
    assert set(pd.read_parquet(out / "seizures.parquet")["source_file"]) == {"renamed.csv"}
    listed = {v["path"] for v in second.manifest["outputs"].values()}
    published = {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert published - {"manifest.json"} == listed
    cache = out / ".cache"
    assert not list(cache.glob("*.pkl"))  # data-only cache
    assert len(list(cache.glob("ingest_seizures-*.json"))) == 1  # unused entries pruned


def test_tracks_cache_survives_a_new_as_of(small_demo, tmp_path, plain):
    copy_of_plain(plain, tmp_path)  # a run of this config, its cache filled
    again = pipeline.run_pipeline(config(small_demo, tmp_path), as_of="2026-06-29")
    assert again.manifest["inputs"]["tracks"][0]["cached"] is True
    assert again.manifest["inputs"]["seizures"][0]["cached"] is False


def test_score_factor_not_produced_is_a_config_error(small_demo, tmp_path):
    from pipeline.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"unknown factor\(s\) \['gap_evnts'\]; available: \[.*'gap_events'"
    ):
        config(small_demo, tmp_path, score={"factors": {"gap_evnts": {"weight": 1}}})


def test_unchanged_rerun_is_up_to_date_until_an_input_or_option_changes(
    small_demo, tmp_path, plain
):
    first = plain.result
    out = copy_of_plain(plain, tmp_path)
    # the same config file read again (its run.out_dir is the plain run's: given here); the
    # first run into the copied folder is a new run (the folder is part of the run key)
    moved = pipeline.run_pipeline(pipeline.load_config(plain.config.source), out_dir=out)
    assert not moved.up_to_date and moved.run_id != first.run_id
    again = pipeline.run_pipeline(pipeline.load_config(plain.config.source), out_dir=out)
    assert again.up_to_date and again.run_id == moved.run_id
    pd.testing.assert_series_equal(again.scores["risk"], first.scores["risk"], check_dtype=False)
    assert (again.scores["cell"] == first.scores["cell"]).all()
    changed = pipeline.run_pipeline(config(small_demo, tmp_path, density={"bandwidth_km": 30}))
    assert not changed.up_to_date and changed.run_id != first.run_id
    # a published file that no longer matches its manifest hash forces a recompute
    (changed.out_dir / "scores.csv").write_text("tampered")
    fixed = pipeline.run_pipeline(config(small_demo, tmp_path, density={"bandwidth_km": 30}))
    assert not fixed.up_to_date
    assert (fixed.out_dir / "scores.csv").read_text() != "tampered"


def test_hotspots_reach_the_scores_and_the_manifest(plain_run):
    from pipeline.grid import points_to_cells
    from pipeline.hotspots import cell_counts, gi_star

    res = plain_run
    s = res.scores
    assert {"gi_z", "gi_p_adjusted", "gi_bin", "gi_class", "emerging_category", "trend"} <= set(s)
    summary = res.manifest["hotspots"]["gi_star"]
    assert summary["fdr"] is True and summary["cells"] == len(s)
    assert summary["hot_cells"] == int((s["gi_bin"] > 0).sum()) > 0
    # the z-scores are those of the seizure counts on the scored cells
    seizures = pd.read_parquet(res.out_dir / "seizures.parquet")
    cells = s["cell"].to_numpy(dtype="uint64")
    counts = cell_counts(points_to_cells(seizures["lon"], seizures["lat"], 4), cells)
    np.testing.assert_allclose(s["gi_z"], gi_star(cells, counts)["gi_z"], rtol=1e-12)
    assert res.manifest["hotspots"]["emerging"]["cells"] == len(s)


def test_a_run_as_of_a_past_day_uses_no_later_position(small_demo, tmp_path, plain):
    """Found by a sweep: positions after as_of made vessel-hours and events (dated after the
    map's day), silently; the transit cache must not serve one as_of's cut to another."""
    ais = pd.read_csv(small_demo / "inputs" / "ais.csv")
    times = pd.to_datetime(ais[next(c for c in ais.columns if "time" in c.lower())], utc=True)
    day = (times.max() - pd.Timedelta(days=2)).date().isoformat()
    cfg = small_config(small_demo, tmp_path)
    full = plain.result  # as_of after every position: the cache is filled
    copy_of_plain(plain, tmp_path)
    past = pipeline.run_pipeline(cfg, as_of=day)
    events = pd.read_parquet(past.outputs["events"])
    end = pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
    assert len(events) and (events["end_time"] < end).all()
    hours = [r.scores["vessel_hours"].sum() for r in (full, past)]
    assert hours[1] < hours[0]
    notes = json.dumps(past.manifest)
    assert "after as_of" in notes
    counts = past.manifest["counts"]
    assert counts["pings_after_as_of"] == int((times > end).sum()) > 0
    assert (
        counts["pings_used"] + counts["pings_after_as_of"] == full.manifest["counts"]["pings_used"]
    )
    assert full.manifest["counts"]["pings_after_as_of"] == 0


def test_the_map_and_the_exports_run_with_the_older_objects_frozen(
    small_demo, tmp_path, monkeypatch
):
    """Python's collector walked every object of the process (modules, the run's tables) three
    or four times in each of the map and export stages: 0.6 s of the demo's 4 s.  The run's
    older objects are frozen while those stages run, and given back to the collector after."""
    import gc

    import pipeline.io as io
    import pipeline.render as render

    frozen: dict[str, int] = {}  # by file written, the objects frozen meanwhile

    def spy(name, real):
        def call(*args, **kwargs):
            frozen[Path(args[1]).name] = gc.get_freeze_count()
            return real(*args, **kwargs)

        return call

    for module, name in ((render, "write_map"), (io, "write_csv"), (io, "write_parquet")):
        monkeypatch.setattr(module, name, spy(name, getattr(module, name)))
    assert gc.get_freeze_count() == 0
    publish_light(small_demo, tmp_path)
    assert frozen["risk_map.html"] > 1000
    assert frozen["scores.csv"] > 1000
    assert frozen["features.parquet"] > 1000  # on the export's worker thread
    assert gc.get_freeze_count() == 0


def test_older_objects_frozen_collects_the_blocks_own_cycles_and_leaves_a_hosts_freeze():
    import gc
    import weakref

    from pipeline.runner.stages._outputs import _older_objects_frozen

    class Node:
        pass

    gc.collect()  # no collection comes round before the block: a few objects are made
    old = Node()
    old.me = old
    older = weakref.ref(old)
    del old
    with _older_objects_frozen():
        young = Node()
        young.me = young
        younger = weakref.ref(young)
        del young
        gc.collect()
        assert younger() is None  # the block's own cycle: collected in it
        assert older() is not None  # an older one waits for the block's end
    gc.collect()
    assert older() is None
    with pytest.raises(RuntimeError, match="stage failed"), _older_objects_frozen():
        raise RuntimeError("stage failed")
    assert gc.get_freeze_count() == 0  # a failed stage gives them back too
    gc.freeze()  # a host process that froze its own objects keeps them frozen
    try:
        count = gc.get_freeze_count()
        with _older_objects_frozen():
            pass
        # still frozen (an unfreeze would leave 0); not exactly ``count``: reference
        # counting frees frozen objects as ever, and another thread of the worker (the
        # session's Dask cluster) may drop a few meanwhile
        assert 0.9 * count < gc.get_freeze_count() <= count
    finally:
        gc.unfreeze()


def test_every_column_the_scores_publish_beside_the_factors_is_reserved(plain_run):
    # schema.RESERVED_COLUMNS is the list a factor's name is checked against (a factor named
    # hex_id replaced the published ids): a column added to the scores tables and not to it
    # would let a factor take its name again
    from pipeline import schema as S

    published = set(pd.read_parquet(plain_run.out_dir / "scores.parquet").columns)
    published |= set(pd.read_csv(plain_run.out_dir / "scores.csv", nrows=1).columns)
    factors = {c.removesuffix(S.COVERED_SUFFIX) for c in published if c.endswith(S.COVERED_SUFFIX)}
    own = {
        c
        for c in published
        if c in factors
        or c.endswith((S.NORM_SUFFIX, S.CONTRIB_SUFFIX, S.COVERED_SUFFIX, "__share"))
        or c.startswith(S.SEIZURES_PREFIX)
    }
    assert len(factors) >= 3 and "risk_class_stability" in published
    assert published - own <= S.RESERVED_COLUMNS, sorted(published - own - S.RESERVED_COLUMNS)
