"""Loose ends of ingest and weights: Arrow IPC files, MultiPoint pings, as_of before every
seizure, MMSIs that lost their leading zeros."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks

T0 = pd.Timestamp("2024-03-01T00:00:00Z")


# ------------------------------------------------------------------ MMSI without leading zeros


def _mmsi_csv(path: Path, ids: list[str]) -> Path:
    rows = ["mmsi,timestamp,lat,lon"]
    for i, v in enumerate(ids):
        rows.append(f"{v},{(T0 + pd.Timedelta(minutes=10 * i)).isoformat()},50.0,{1 + i / 100}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_an_mmsi_that_lost_its_leading_zeros_is_said_to_be_a_group_call_or_coast_station(
    tmp_path,
):
    # an export that stored MMSI as an integer: 024700001 (group call) -> 24700001, and
    # 002470001 (coast station) -> 2470001; neither is a ship, and the message said only
    # "is not 9 digits", nothing of the zeros a number column drops
    path = _mmsi_csv(tmp_path / "ais.csv", ["247000001", "247000001", "24700001", "2470001"])
    res = read_tracks(str(path))
    assert res.n_read == 4 and len(res.frame) == 2
    by_value = res.rejects.set_index("value")
    assert set(by_value["rule"]) == {"mmsi_invalid"}
    group, coast = by_value.loc["24700001", "message"], by_value.loc["2470001", "message"]
    assert "not 9 digits" in group and "group call" in group and "leading zero" in group
    assert "not 9 digits" in coast and "coast station" in coast and "leading zero" in coast


def test_a_zero_prefixed_mmsi_as_text_keeps_its_value_and_says_what_it_is(tmp_path):
    # the value column held "012345678 is a placeholder" (the reason glued to the value), and
    # the message never said that a 0-prefixed MMSI is no vessel
    ids = ["247000001", "247000001", "012345678", "024700001", "002470001"]
    res = read_tracks(str(_mmsi_csv(tmp_path / "ais.csv", ids)))
    rej = res.rejects.set_index("row")
    assert list(rej["rule"]) == ["mmsi_not_vessel"] * 3
    assert list(rej["value"]) == ids[2:]
    assert "group call" in rej.loc[4, "message"] and "placeholder" in rej.loc[4, "message"]
    assert "group call" in rej.loc[5, "message"]
    assert "coast" in rej.loc[6, "message"]


# ------------------------------------------------------------------ as_of before every seizure


def _seizures(times: list[str]) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "time": pd.to_datetime(times, utc=True),
            "lon": np.linspace(-80.0, -79.0, n),
            "lat": np.linspace(10.0, 11.0, n),
        }
    )


@pytest.mark.parametrize("half_life", [None, 30.0])
def test_as_of_before_every_seizure_is_refused_naming_the_dates(half_life):
    # gave every weight 0 without a word: a density of zero everywhere (no risk), where there
    # is no data at all
    from pipeline.density import seizure_weights

    s = _seizures(["2024-03-01", "2024-04-01"])
    with pytest.raises(InputError) as err:
        seizure_weights(s, as_of="2024-01-01", half_life_days=half_life)
    msg = str(err.value)
    assert "2024-01-01" in msg and "2024-03-01" in msg and "2024-04-01" in msg
    # one seizure at or before as_of: weights as documented (the later one 0)
    w = seizure_weights(s, as_of="2024-03-15", half_life_days=half_life)
    assert w[0] > 0 and w[1] == 0
    assert seizure_weights(s.iloc[:0], as_of="2024-01-01").size == 0


def test_a_timeline_whose_first_month_precedes_the_first_seizure_has_no_data_that_month():
    # the run's timeline scores each month from the seizures up to its end: a month before
    # the first seizure has no seizure density (missing, never 0) and the others are scored
    import h3

    from pipeline.config import DensityConfig
    from pipeline.timeline import timeline_factors

    s = _seizures(["2026-05-03", "2026-05-20", "2026-06-02", "2026-06-15"])
    cells = np.array(
        sorted(
            {int(h3.latlng_to_cell(la, lo, 5), 16) for la, lo in zip(s.lat, s.lon, strict=True)}
        ),
        dtype="uint64",
    )
    got = timeline_factors(
        s,
        cells,
        pd.Timestamp("2026-06-30T23:59:59Z"),
        3,
        DensityConfig(bandwidth_km=20.0, half_life_days=60.0),
        None,
    )
    assert got is not None
    table = got.table.set_index("period")
    density = table["seizure_density"].groupby(level=0)
    assert density.apply(lambda d: d.isna().all()).to_dict() == {
        "2026-04": True,
        "2026-05": False,
        "2026-06": False,
    }
    assert (density.max().loc[["2026-05", "2026-06"]] > 0).all()
    covered = table["seizure_density__covered"].groupby(level=0).any().to_dict()
    assert covered == {"2026-04": False, "2026-05": True, "2026-06": True}


# ------------------------------------------------------------------ MultiPoint pings


def _feature(mmsi: str, minutes: int, geometry: dict) -> dict:
    when = (T0 + pd.Timedelta(minutes=minutes)).isoformat()
    return {"type": "Feature", "properties": {"mmsi": mmsi, "time": when}, "geometry": geometry}


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_a_multipoint_ping_is_rejected_as_multipoint_not_as_a_missing_position(tmp_path, suffix):
    # a QGIS export that merged a track's positions into one feature: it was coord_missing
    # ("latitude or longitude is missing") beside a note, its points unsaid
    import json

    def pt(x):
        return {"type": "Point", "coordinates": [x, 50.0]}

    feats = [
        _feature("247000001", 0, pt(1.0)),
        _feature("247000001", 10, pt(1.01)),
        _feature("247000001", 20, {"type": "MultiPoint", "coordinates": [[1.02, 50], [1.03, 50]]}),
        _feature("247000001", 30, {"type": "MultiPoint", "coordinates": [[1.04, 50.0]]}),
        _feature(
            "247000001",
            40,
            {"type": "Polygon", "coordinates": [[[1, 50], [1.1, 50], [1.1, 50.1], [1, 50]]]},
        ),
    ]
    path = tmp_path / "pings.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    if suffix == ".gpkg":
        import geopandas as gpd

        gpd.read_file(path).to_file(tmp_path / "pings.gpkg", driver="GPKG")
        path = tmp_path / "pings.gpkg"
    res = read_tracks(str(path))
    assert res.n_read == 5 == len(res.frame) + len(res.rejects)
    assert len(res.frame) == 3  # a MultiPoint of one point is that point
    rej = res.rejects.set_index("row")
    assert rej.loc[3, "rule"] == "multipoint" and rej.loc[3, "column"] == "geometry"
    assert "MULTIPOINT" in rej.loc[3, "value"]
    assert "one point per row" in rej.loc[3, "message"]
    assert rej.loc[5, "rule"] == "geometry_wrong_type" and "POLYGON" in rej.loc[5, "value"]


# ------------------------------------------------------------------ Arrow IPC (Feather) files


def _ping_frame() -> pd.DataFrame:
    n = 9
    return pd.DataFrame(
        {
            "mmsi": ["247000001"] * 5 + ["247000002"] * 3 + [""],
            "timestamp": pd.date_range("2024-03-01", periods=n, freq="10min", tz="UTC"),
            "lat": [50.0 + i / 100 for i in range(n)],
            "lon": [1.0] * 7 + [np.nan, 1.0],
        }
    )


def _write_ipc(frame: pd.DataFrame, path: Path, how: str) -> None:
    import warnings

    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.ipc as ipc

    if how == "pandas":  # pandas to_feather: Feather V2, LZ4
        frame.to_feather(path)
    elif how == "zstd":  # R arrow write_feather(compression = "zstd"), in batches of 4
        feather.write_feather(frame, str(path), compression="zstd", chunksize=4)
    elif how == "stream":  # polars write_ipc_stream: the IPC stream format
        table = pa.Table.from_pandas(frame, preserve_index=False)
        opts = ipc.IpcWriteOptions(compression="lz4")
        with ipc.new_stream(str(path), table.schema, options=opts) as w:
            w.write_table(table, max_chunksize=4)
    else:  # old pandas: Feather V1 (no time zone in the format)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            naive = frame.assign(timestamp=frame["timestamp"].dt.tz_localize(None))
            feather.write_feather(naive, str(path), version=1)


@pytest.mark.parametrize(
    ("suffix", "how"),
    [(".feather", "pandas"), (".arrow", "zstd"), (".arrows", "stream"), (".feather", "v1")],
)
def test_an_arrow_ipc_track_file_is_read_as_its_parquet_is(tmp_path, suffix, how):
    # refused before ("an Arrow IPC (Feather) file is not read ... write the table as Parquet")
    from pipeline.ingest.stream import spill_tracks

    frame = _ping_frame()
    frame.to_parquet(tmp_path / "ais.parquet")
    path = tmp_path / f"ais{suffix}"
    _write_ipc(frame, path, how)
    want = read_tracks(str(tmp_path / "ais.parquet"))
    got = read_tracks(str(path))
    spill = spill_tracks(str(path), tmp_path / "spill", chunk_rows=3, n_buckets=2)
    assert got.n_read == want.n_read == 9 == spill.n_read
    assert got.by_rule == want.by_rule == spill.by_rule == {"coord_missing": 1, "vessel_missing": 1}
    assert list(got.rejects["row"]) == list(want.rejects["row"]) == [8, 9]
    pd.testing.assert_frame_equal(got.frame, want.frame)
    assert spill.n_accepted == len(want.frame)


def test_an_arrow_ipc_seizure_file_is_read_and_bounded(tmp_path):
    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import read_seizures

    frame = pd.DataFrame(
        {"date": ["2024-01-02", "2024-01-03"], "lat": [10.0, 11.0], "lon": [100.0, 101.0]}
    )
    frame.to_feather(tmp_path / "seizures.feather")
    res = read_seizures(str(tmp_path / "seizures.feather"))
    assert len(res.frame) == 2 and list(res.frame["lat"]) == [10.0, 11.0]
    # compressed columns declare no size: read batch by batch, refused past the bound
    big = pd.DataFrame({"date": ["2024-01-02"] * 200_000, "lat": 10.0, "lon": 100.0})
    big.to_feather(tmp_path / "big.feather", compression="zstd")
    with pytest.raises(SourceUnreadable, match="max_uncompressed_mb"):
        read_seizures(str(tmp_path / "big.feather"), max_uncompressed_mb=1)


def test_json_lines_rejects_are_among_the_published_rules(tmp_path):
    # the rule lists are what the docs and the accounting tests take as every rule there is
    from pipeline.ingest import SEIZURE_RULES, TRACK_RULES, read_seizures, read_tracks

    s = tmp_path / "s.jsonl"
    s.write_text('{"date":"2024-01-02","lat":10.5,"lon":-60.2}\nnot json\n[1,2]\n')
    got = read_seizures(s)
    assert {"malformed_json", "not_a_json_object"} <= set(got.by_rule) <= set(SEIZURE_RULES)
    t = tmp_path / "t.jsonl"
    t.write_text(
        '{"mmsi":247000001,"t":"2024-01-02T00:00:00Z","lat":10.5,"lon":-60.2}\n'
        '{"mmsi":247000001,"t":"2024-01-02T00:10:00Z","lat":10.6,"lon":-60.2}\n'
        "{broken\n"
        '"a string"\n'
    )
    got = read_tracks(t)
    assert {"malformed_json", "not_a_json_object"} <= set(got.by_rule) <= set(TRACK_RULES)
