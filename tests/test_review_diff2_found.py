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

    monkeypatch.setattr(stages._cells, "_PING_SAMPLE", 1_000)
    pings = _parked_and_moving(3_000)
    if held == "whole":
        got = stages._cells._ping_sample(pings)
    else:
        csv = tmp_path / "ais.csv"
        pings.assign(time=pings["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(csv, index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spill = spill_tracks(csv, tmp_path / "spill", chunk_rows=500, n_buckets=3)
        store = PingStore([spill], chunk_rows=500)
        assert len(store) == len(pings)
        got = stages._cells._ping_sample(store)
        whole = stages._cells._ping_sample(pings)
        pd.testing.assert_frame_equal(  # the same pings, in the files' order
            got.sort_values(["lon", "lat"], ignore_index=True),
            whole.sort_values(["lon", "lat"], ignore_index=True),
        )
    assert 700 < len(got) < 1_300
    for share in _shares(got):
        assert share == pytest.approx(0.3, abs=0.06)


def _ais(n: int = 300) -> pd.DataFrame:
    """Three vessels' AIS positions, a minute apart (MarineCadastre's headers)."""
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame(
        {
            "MMSI": np.repeat([211000001, 211000002, 211000003], n // 3),
            "BaseDateTime": t.strftime("%Y-%m-%dT%H:%M:%S"),
            "LAT": 54 + np.arange(n) / 1e4,
            "LON": 10 + np.arange(n) / 1e4,
            "SOG": 10.0,
            "COG": 90.0,
        }
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"Gross Tonnage": 5000, "Weight": 12000},  # a ship's particulars on each ping
        {"dwt_tons": 50000},
        {"catch_kg": np.linspace(0, 500, 300).round(1)},  # a fishing vessel's VMS
        {"event": "position"},  # a tracker's message kind
    ],
    ids=["weight", "dwt_tons", "catch_kg", "event"],
)
def test_positions_with_a_mass_or_event_column_are_not_seizures(tmp_path, extra):
    """AIS positions beside a ship's ``Weight`` or a tracker's ``event`` are refused.

    Since 27cf512 any header naming an event, a quantity or a mass (``Weight``, ``tons``,
    ``kg``) skipped the check for vessel positions: 300 pings of three ships were read as
    300 seizures.  Only a column naming what was seized (``drug``, ``Substance``) does now.
    """
    from pipeline.errors import InputError
    from pipeline.ingest import read_seizures

    path = tmp_path / "ais.csv"
    _ais().assign(**extra).to_csv(path, index=False)
    with pytest.raises(InputError, match="vessel positions, not seizure records"):
        read_seizures(path)


@pytest.mark.parametrize(
    "extra",
    [{"max_tons": 250_000}, {"Lifts - 100+ Tons": "Yes"}, {"Max Weight (t)": 300_000}],
    ids=["max_tons", "lifts", "max_weight"],
)
def test_a_dated_ports_list_with_a_mass_column_is_not_seizures(tmp_path, extra):
    """A ports list dating its entries, with what its cranes lift, is refused as one.

    Since 27cf512 a mass in a header (``tons``, ``Weight (t)``) counted as what a seizure
    took, so the list was no longer a ports list: its 40 ports were read as 40 seizures on
    the dates of their entries.
    """
    from pipeline.errors import InputError
    from pipeline.ingest import read_seizures

    n = 40
    rng = np.random.default_rng(1)
    ports = pd.DataFrame(
        {
            "port": [f"Port {i}" for i in range(n)],
            "lat": rng.uniform(-40, 60, n).round(4),
            "lon": rng.uniform(-80, 120, n).round(4),
            "check_date": pd.date_range("2023-01-01", periods=n, freq="7D").strftime("%Y-%m-%d"),
        }
    ).assign(**extra)
    path = tmp_path / "ports.csv"
    ports.to_csv(path, index=False)
    with pytest.raises(InputError, match="a list of ports, not seizure records"):
        read_seizures(path)


@pytest.mark.parametrize(
    ("port", "what"),
    [
        ("puerto", "sustancia"),
        ("port", "substance"),
        ("porto", "substância"),
        ("porto", "sostanza"),
        ("Hafen", "Rauschgift"),
    ],
)
def test_seizures_at_distinct_ports_in_other_languages_are_read(tmp_path, port, what):
    """A seizure table naming what was seized in Spanish, French, Portuguese, Italian or
    German, at distinct ports and without a quantity, is read, not refused.

    The words for what was seized stay seizure words (the masses no longer are, above): the
    Italian ``sostanza`` and the German ``Rauschgift`` were not among them, so those tables
    were refused as ports lists.
    """
    from pipeline.ingest import read_seizures

    n = 12
    rng = np.random.default_rng(2)
    table = pd.DataFrame(
        {
            "data": pd.date_range("2023-01-01", periods=n, freq="9D").strftime("%Y-%m-%d"),
            port: [f"Porto {i}" for i in range(n)],
            "lat": rng.uniform(30, 50, n).round(4),
            "lon": rng.uniform(-10, 20, n).round(4),
            what: rng.choice(["cocaina", "hashish"], n),
        }
    )
    path = tmp_path / "seizures.csv"
    table.to_csv(path, index=False)
    got = read_seizures(path)
    assert len(got.frame) == n and got.rejects.empty


def test_the_time_zone_rules_read_are_part_of_the_key(tmp_path):
    """Another release of the system's time-zone rules is another key.

    pandas converts a file's local times (a ``TZ`` column of ``Europe/Lisbon``) with
    zoneinfo, which reads ``/usr/share/zoneinfo`` before the ``tzdata`` package: here the
    system's rules are 2025b and the package is 2026.6.  The keys (since fcf6fca) held the
    package's version only, so a system update of the rules left every key as it was and
    the cache served the seizures converted by the old ones.
    """
    import zoneinfo

    from pipeline.runner.manifest import key_version, versions

    before = key_version()
    (tmp_path / "tzdata.zi").write_text("# version 2099z\n# a later release of the rules\n")
    zoneinfo.reset_tzpath([str(tmp_path)])
    try:
        after, listed = key_version(), versions()
    finally:
        zoneinfo.reset_tzpath()
    assert after != before
    assert listed["tz rules"].startswith("2099z+")
    assert key_version() == before
