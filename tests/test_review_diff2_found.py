"""A fresh-eyes review of the changes between eb69521 and 353ed74 (review hCH).

Each test here failed on the code before its fix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

#: Two depots on land where trucks stand, each fix reported again and again.
_DEPOTS = ((2.35, 48.85), (13.4, 52.5))


def _parked_and_moving(n: int) -> pd.DataFrame:
    """``n`` pings a minute apart: 30 % at each depot (one fix repeated), 40 % moving at sea."""
    rng = np.random.default_rng(0)
    lon = (-25 + np.cumsum(rng.uniform(1e-4, 2e-3, n))).round(5)
    lat = (35 + np.cumsum(rng.uniform(1e-4, 2e-3, n))).round(5)
    k = int(0.3 * n)
    for i, (x, y) in enumerate(_DEPOTS):
        lon[i * k : (i + 1) * k], lat[i * k : (i + 1) * k] = x, y
    vessel = np.repeat(np.array(["depot-a", "depot-b", "ship"]), [k, k, n - 2 * k])
    t = pd.Timestamp("2026-05-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame({"vessel_id": vessel, "time": t, "lon": lon, "lat": lat})


def _shares(sample: pd.DataFrame) -> list[float]:
    return [float(((sample["lon"] == x) & (sample["lat"] == y)).mean()) for x, y in _DEPOTS]


@pytest.mark.parametrize("held", ["whole", "spilled"])
def test_land_sample_weighs_a_repeated_position_by_its_pings(tmp_path, monkeypatch, held):
    """A fix reported 3,000 times weighs 3,000 pings in the land-theatre check's sample.

    The sample (since 2c03337) took a ping when the hash of its position alone fell in one
    k-th of the range: every ping of a position or none.  Trucks parked at two depots, each
    30 % of the feed, weighed 69 % and 0 % of the sample (k = 3), and at other depots 0 %
    and 0 %: a theatre 60 % on land read as at sea, its roads cut away quietly.  The sample
    now hashes the time too: each depot weighs its 30 %, whole or spilled alike.
    """
    from pipeline.ingest.stream import PingStore, spill_tracks
    from pipeline.runner import stages

    monkeypatch.setattr(stages, "_PING_SAMPLE", 1_000)
    pings = _parked_and_moving(3_000)
    if held == "whole":
        got = stages._ping_sample(pings)
    else:
        csv = tmp_path / "ais.csv"
        pings.assign(time=pings["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(csv, index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spill = spill_tracks(csv, tmp_path / "spill", chunk_rows=500, n_buckets=3)
        store = PingStore([spill], chunk_rows=500)
        assert len(store) == len(pings)
        got = stages._ping_sample(store)
        whole = stages._ping_sample(pings)
        pd.testing.assert_frame_equal(  # the same pings, in the files' order
            got.sort_values(["lon", "lat"], ignore_index=True),
            whole.sort_values(["lon", "lat"], ignore_index=True),
        )
    assert 700 < len(got) < 1_300
    for share in _shares(got):
        assert share == pytest.approx(0.3, abs=0.06)
