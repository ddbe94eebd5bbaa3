"""Ingest benchmark: read_seizures vs pandas.read_csv + geopandas.points_from_xy + the same checks.

Peers, run side by side in one process on the same seeded CSV (1,000,000 rows; ``--quick``
50,000) with ~2 % bad records (missing/out-of-range/(0,0) coordinates, bad and future dates,
negative quantities, exact duplicates):

* ``pandas+geopandas naive``: read_csv, points_from_xy, and the checks as a per-row Python
  function (``DataFrame.apply``), the way such a script is usually first written;
* ``pandas+geopandas vectorised``: the same checks as pandas column expressions;
* ``route-risk read_seizures``: ours (also tracks line numbers, rule ids, messages, DMS and
  date-format fallbacks).

Accuracy = rows accepted by a peer that ours also accepts (and vice versa), by source row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from pipeline.ingest import read_seizures  # noqa: E402

AS_OF = pd.Timestamp("2024-12-31T23:59:59.999999999Z")


def make_csv(path: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3600 * 24 * 3000, n), "s")
    df = pd.DataFrame(
        {
            "date": t.strftime("%Y-%m-%d %H:%M:%S"),
            "lat": rng.uniform(-60, 60, n).round(5).astype(str),
            "lon": rng.uniform(-180, 180, n).round(5).astype(str),
            "commodity": rng.choice(["cocaine", "heroin", "cannabis", "methamphetamine"], n),
            "quantity": rng.gamma(2, 10, n).round(2).astype(str),
            "unit": "kg",
            "agency": rng.choice(["coast guard", "customs", "navy"], n),
            "note": "",
        }
    )
    k = max(n // 500, 1)
    idx = rng.choice(n, 7 * k, replace=False).reshape(7, k)
    df.loc[idx[0], "lat"] = "NA"
    df.loc[idx[1], "lat"] = "95.5"
    df.loc[idx[2], ["lat", "lon"]] = "0"
    df.loc[idx[3], "date"] = "not a date"
    df.loc[idx[4], "date"] = "2031-01-01 00:00:00"
    df.loc[idx[5], "quantity"] = "-3"
    df.iloc[idx[6]] = df.iloc[idx[6] - 1].to_numpy()  # exact duplicates of the previous row
    df.to_csv(path, index=False)


def naive(path: Path):
    import geopandas as gpd

    df = pd.read_csv(path, keep_default_na=True)

    def check(r) -> bool:
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
        except (TypeError, ValueError):
            return False
        if np.isnan(lat) or np.isnan(lon) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return False
        if lat == 0 and lon == 0:
            return False
        try:
            t = pd.Timestamp(r["date"], tz="UTC")
        except (TypeError, ValueError):
            return False
        if t > AS_OF:
            return False
        q = r["quantity"]
        return not (isinstance(q, float) and q < 0)

    ok = df.apply(check, axis=1) & ~df.duplicated()
    out = df[ok]
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs=4326)
    return set((out.index + 2).tolist()), gdf


def vectorised(path: Path):
    import geopandas as gpd

    df = pd.read_csv(path)
    lat = pd.to_numeric(df["lat"], errors="coerce")
    lon = pd.to_numeric(df["lon"], errors="coerce")
    t = pd.to_datetime(df["date"], errors="coerce", utc=True, format="mixed")
    q = pd.to_numeric(df["quantity"], errors="coerce")
    ok = (
        lat.between(-90, 90)
        & lon.between(-180, 180)
        & ~((lat == 0) & (lon == 0))
        & t.notna()
        & (t <= AS_OF)
        & ~(q < 0)
        & ~df.duplicated()
    )
    out = df[ok]
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon[ok], lat[ok]), crs=4326)
    return set((out.index + 2).tolist()), gdf


def ours(path: Path):
    res = read_seizures(path, as_of="2024-12-31")
    return set(res.frame["source_row"].tolist()), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", type=int, default=None)
    args = ap.parse_args()
    n = args.rows or (50_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seizures.csv"
        make_csv(path, n)
        size_mb = path.stat().st_size / 2**20
        runs = {}
        for label, fn in [
            ("route-risk read_seizures", ours),
            ("pandas+geopandas vectorised", vectorised),
            ("pandas+geopandas naive (row-wise)", naive),
        ]:
            secs, peak, (rows, _obj) = measure(lambda fn=fn: fn(path))
            runs[label] = (secs, peak, rows)
    base = runs["route-risk read_seizures"]
    table = []
    for label, (secs, peak, rows) in runs.items():
        agree = len(rows & base[2]) / max(len(rows | base[2]), 1)
        table.append(
            {
                "tool": label,
                "rows": n,
                "seconds": round(secs, 3),
                "rows_per_s": round(n / secs),
                "x_ours": round(secs / base[0], 2),
                "accepted": len(rows),
                "agreement_with_ours": round(agree, 6),
                "peak_rss_mb": round(peak / 2**20, 1),
            }
        )
    write_results("ingest", table, csv_mb=round(size_mb, 1), n_rows=n, quick=args.quick)


if __name__ == "__main__":
    main()
