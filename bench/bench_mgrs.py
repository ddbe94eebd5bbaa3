"""Benchmark: decoding MGRS grid references, the ``mgrs`` package (GeoTrans) against ours.

References of all six precisions (100 km to 1 m) at random places between 80°S and 84°N
are decoded to square centres: with ``mgrs``, one ``MGRS().toLatLon`` call per reference
(ctypes into C GeoTrans; what a script built on it does, and one call per *distinct* value
where it deduplicates first), and with :func:`pipeline.ingest._mgrs.mgrs_to_lonlat`,
vectorised over the column (numpy letter tables, one pyproj transform per zone and
hemisphere).  Both give the same centres (checked here, as ``tests/test_mgrs_positions.py``
checks them); the table gives seconds, the ratio and the peak memory above the start, for
a column of distinct references and for one where each reference repeats ten times.

    .venv/bin/python bench/bench_mgrs.py [--quick]

``--quick``: 20,000 references (default 200,000; best of two runs each).  Results:
``bench/results/mgrs.json``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, peer_and_ours_rows, write_results  # noqa: E402


def _references(n: int) -> list[str]:
    import mgrs

    conv = mgrs.MGRS()
    rng = np.random.default_rng(11)
    lat = rng.uniform(-79.9, 83.9, n)
    lon = rng.uniform(-180.0, 180.0, n)
    digits = rng.integers(0, 6, n)
    out = []
    for la, lo, d in zip(lat.tolist(), lon.tolist(), digits.tolist(), strict=True):
        ref = conv.toMGRS(la, lo, MGRSPrecision=d)
        out.append(ref.decode() if isinstance(ref, bytes) else ref)
    return out


def _geotrans(refs: list[str]) -> np.ndarray:
    import mgrs

    conv = mgrs.MGRS()
    with warnings.catch_warnings():  # its 'Latitude Warning' near band edges
        warnings.simplefilter("ignore")
        return np.array([conv.toLatLon(r) for r in refs], dtype=float)


def main() -> None:
    """Decode the same references both ways; write ``bench/results/mgrs.json``."""
    import pandas as pd

    from pipeline.ingest._mgrs import mgrs_to_lonlat

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 references")
    args = ap.parse_args()
    n = 20_000 if args.quick else 200_000
    rows = []
    same = True
    for label, refs in (
        ("distinct", _references(n)),
        ("each ten times", _references(n // 10) * 10),
    ):
        column = pd.Series(refs, dtype="str")
        peer_s, peer_mem, ref = measure(lambda refs=refs: _geotrans(refs), repeat=2)
        ours_s, ours_mem, got = measure(lambda column=column: mgrs_to_lonlat(column), repeat=2)
        same = same and bool(
            np.allclose(got.lat, ref[:, 0], atol=1e-7)
            and np.allclose(got.lon, ref[:, 1], atol=1e-7)
        )
        rows += peer_and_ours_rows(
            "mgrs (GeoTrans), a reference at a time",
            peer_s,
            peer_mem,
            ours_s,
            ours_mem,
            references=label,
        )
    write_results("mgrs", rows, quick=args.quick, references=n, same_values=same)
    if not same:
        raise SystemExit("the decoded centres differ from the mgrs package's")


if __name__ == "__main__":
    main()
