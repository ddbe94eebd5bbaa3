"""Tests that a mutation review of the demo generator (``pipeline/demo.py``) found missing.

Each test pins a promise of the demo (its module docstring, :func:`generate_demo`'s
docstring, ``route-risk demo --help``) that a small hand-made bug broke with every other test
still passing, or that held for the test fixtures' seed only.  Expected values come from the
promise and from independent references (shapely on the generator's own coastline
polygons, hand-counted calendar days, pandas reading the written files), never from the
code under test.  The generator's stages are called at small sizes where a whole demo is
not needed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import shapely
from _geo import haversine_km
from test_cli import cli_here

from pipeline import demo
from pipeline.errors import ConfigError

LAND = shapely.union_all([shapely.Polygon(p) for p in demo._LAND.values()])
EARTH_KM = 6371.0088


def _km(lon1, lat1, lon2, lat2):
    return haversine_km(lon1, lat1, lon2, lat2, EARTH_KM)


def _port_km(lon, lat) -> np.ndarray:
    plon = np.array([p[1] for p in demo._PORTS])
    plat = np.array([p[2] for p in demo._PORTS])
    return _km(np.asarray(lon)[:, None], np.asarray(lat)[:, None], plon, plat).min(axis=1)


@pytest.fixture(scope="module")
def theatre():
    return demo._Theatre()


# ------------------------------------------------------------------------------ AIS at sea


@pytest.mark.parametrize("seed", [1, 4])
def test_pings_away_from_ports_are_at_sea_whatever_the_seed(theatre, seed):
    """Sea lanes are legs "that do not cross land"; a vessel sailed them from its berth
    (up to 1.5 km off the port's approach point) straight to the route's second node, so
    the leg it sailed was not the leg checked: at the default seed 45 pings of 9 vessels
    lay on land 20-80 km from any port (Colón, Cap Blanc, Trinidad), seeds 1 and 4 here
    6 and 14.  Now every voyage leaves and reaches its berth through the approach point."""
    pings, _ = demo._make_tracks(theatre, np.random.default_rng(seed), 60, 10)
    lon, lat = pings["lon"].to_numpy(), pings["lat"].to_numpy()
    far = _port_km(lon, lat) > 20.0
    assert far.mean() > 0.3
    on_land = shapely.contains_xy(LAND, lon[far], lat[far])
    assert not on_land.any(), pings[far][on_land].head().to_dict("records")


def _fishing_legs(theatre, rng, homes, days: float) -> np.ndarray:
    """Every leg a fishing vessel of each home port sails in ``days``: (n, 2 ends, lon/lat)."""
    legs = []
    for home in homes:
        vessel = demo._Vessel(538000000 + home, "fishing", 9.0, home, (1.0, -1.0))
        voy = demo._Voyage(-86400.0, *demo._berth(theatre, vessel, home))
        demo._fish(theatre, rng, voy, vessel, days * 86400.0)
        _, lon, lat = voy.arrays()
        ends = np.column_stack([lon, lat])
        legs.append(np.stack([ends[:-1], ends[1:]], axis=1))
    return np.concatenate(legs)


@pytest.mark.parametrize(
    ("seed", "port", "days"), [(3, None, 20), (5, "San Juan", 400)], ids=["every-port", "san-juan"]
)
def test_fishing_trips_sail_no_leg_across_land(theatre, seed, port, days):
    """A trip's zig-zag legs (up to 14 km) were checked at their ends only, and the trip
    home went straight from the last haul to the berth unchecked: a fishing vessel of the
    default demo crossed Puerto Rico's eastern cape 52 km from San Juan.  Every leg of every
    trip, keyframe to keyframe, now stays off the coastline but for the legs between the
    berth and the port's approach point (both ends within 2 km of the port)."""
    homes = range(theatre.n_ports) if port is None else [theatre.port_index(port)]
    legs = _fishing_legs(theatre, np.random.default_rng(seed), homes, days)
    assert len(legs) > 3000
    at_berth = (_port_km(legs[:, 0, 0], legs[:, 0, 1]) < 2.0) & (
        _port_km(legs[:, 1, 0], legs[:, 1, 1]) < 2.0
    )
    crossing = shapely.intersects(shapely.linestrings(legs[~at_berth]), LAND)
    assert not crossing.any(), legs[~at_berth][crossing][:3].tolist()


def _one_trip(theatre, ports, seed: int) -> np.ndarray:
    """Keyframes (lon, lat) of one fishing trip from San Juan: berth, approach, ground,
    hauls, the way back."""
    home = ports.port_index("San Juan")
    vessel = demo._Vessel(538000001, "fishing", 9.0, home, (1.0, -1.0))
    voy = demo._Voyage(0.0, *demo._berth(ports, vessel, home))
    demo._fish(theatre, np.random.default_rng(seed), voy, vessel, 1.0)
    _, lon, lat = voy.arrays()
    return np.column_stack([lon, lat])


def test_a_trip_whose_way_home_would_cross_land_goes_back_along_its_hauls(theatre):
    """The straight line from the last haul back to the fishing ground is not a checked
    lane: where it crosses land the vessel returns along its hauls.  A spit of land laid
    across that line (and nothing else the trip sails) must not be crossed."""
    pts = _one_trip(theatre, theatre, 3)
    ground = pts[3]  # berth, berth (the stay), approach point, ground, hauls...
    at_ground = np.flatnonzero((pts == ground).all(axis=1))
    hauls = pts[at_ground[0] : at_ground[1]]
    assert len(hauls) > 10
    mid, d = (hauls[-1] + ground) / 2, ground - hauls[-1]
    across = np.array([-d[1], d[0]]) * 0.15
    spit = shapely.LineString([mid - across, mid + across]).buffer(0.002)
    assert not shapely.intersects(
        shapely.linestrings(np.stack([hauls[:-1], hauls[1:]], 1)), spit
    ).any()
    assert not shapely.LineString([pts[2], ground]).intersects(spit)
    land = shapely.union_all([theatre.land, spit])
    with_spit = SimpleNamespace(
        port_lon=theatre.port_lon,
        port_lat=theatre.port_lat,
        land=land,
        on_land=lambda lon, lat: theatre.on_land(lon, lat) | shapely.contains_xy(spit, lon, lat),
    )
    pts = _one_trip(with_spit, theatre, 3)  # the same draws: the spit changes no check
    assert (pts[: len(hauls) + 3] == np.concatenate([pts[:3], hauls])).all()
    legs = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))
    assert not shapely.intersects(legs, spit).any()


def test_planted_voyages_sail_no_leg_across_land(theatre):
    """Loiterers and meeting pairs sail from a berth to a point at sea and on to trade:
    they too leave and reach berths through the approach points (sailing from the berth
    straight to the route's second node crossed the coast here)."""
    rng, events, legs = np.random.default_rng(0), [], []
    for k in range(20):
        a, b = (
            demo._Vessel(1000 * j + k, "cargo", 12.0, 0, tuple(rng.uniform(-1, 1, 2)))
            for j in (1, 2)
        )
        voyages = [demo._plan_loiter(theatre, rng, a, 3 * 86400.0, events)]
        voyages += demo._plan_meeting(theatre, rng, a, b, 3 * 86400.0, events)
        for voy in voyages:
            _, lon, lat = voy.arrays()
            ends = np.column_stack([lon, lat])
            legs.append(np.stack([ends[:-1], ends[1:]], axis=1))
    legs = np.concatenate(legs)
    at_berth = (_port_km(legs[:, 0, 0], legs[:, 0, 1]) < 2.0) & (
        _port_km(legs[:, 1, 0], legs[:, 1, 1]) < 2.0
    )
    crossing = shapely.intersects(shapely.linestrings(legs[~at_berth]), LAND)
    assert len(events) == 40 and not crossing.any(), legs[~at_berth][crossing][:3].tolist()


# ------------------------------------------------------------------------------ seizure dates


@pytest.mark.parametrize(
    ("as_of", "first"),
    [
        (dt.date(2026, 6, 30), dt.date(2023, 7, 1)),
        (dt.date(2024, 2, 29), dt.date(2021, 3, 1)),  # no 29 February in 2021
        (dt.date(2025, 1, 1), dt.date(2022, 1, 2)),
    ],
    ids=["demo", "leap-day", "new-year"],
)
def test_seizure_dates_are_every_day_of_the_three_years_ending_as_of(theatre, as_of, first):
    """ "Spread over the three years ending as_of": 20,000 draws (18 a day on average) hit
    the first day and as_of itself, and nothing outside.  A window starting a day early,
    one that never draws as_of, or dates shifted a day passed the 800-seizure fixture."""
    s = demo._make_seizures(theatre, np.random.default_rng(5), 20_000, as_of)
    dates = pd.to_datetime(s["date"], format="%Y-%m-%d").dt.date
    assert dates.min() == first and dates.max() == as_of
    assert dates.nunique() == (as_of - first).days + 1  # every day drawn, as hand-counted


def test_seizures_lie_inside_the_demo_area_and_at_sea(theatre):
    """The area is ``DEMO_BBOX``; draws past its edges (hot spots near 10 E) are redrawn
    like those on land, so every seizure is inside it, off the coastline polygons."""
    s = demo._make_seizures(theatre, np.random.default_rng(5), 20_000, demo.DEMO_AS_OF)
    lon_min, lat_min, lon_max, lat_max = demo.DEMO_BBOX
    assert s.lon.between(lon_min, lon_max, inclusive="neither").all()
    assert s.lat.between(lat_min, lat_max, inclusive="neither").all()
    assert not shapely.contains_xy(LAND, s.lon.to_numpy(), s.lat.to_numpy()).any()


def test_outside_the_area_counts_as_land_so_nothing_is_placed_there(theatre):
    """Seizures, fishing grounds and hauls are redrawn or cut where ``on_land`` says so;
    past the area's edges (open sea off Recife, São Tomé, Vigo) it must say so too, or a
    record lands outside ``DEMO_BBOX`` (no fixture draw came near enough to show it)."""
    lon_min, lat_min, lon_max, lat_max = demo.DEMO_BBOX
    lon = np.array([-34.0, 10.5, -20.0, -12.0, lon_max, -30.0])
    lat = np.array([lat_min - 0.1, 0.0, lat_max + 0.1, 46.0, 0.0, lat_min])
    assert not shapely.contains_xy(LAND, lon, lat).any()  # sea, but outside (or on the edge)
    assert theatre.on_land(lon, lat).all()
    inside = np.array([-34.0, 9.9, -20.0]), np.array([lat_min + 0.1, -5.0, lat_max - 0.1])
    assert not shapely.contains_xy(LAND, *inside).any() and not theatre.on_land(*inside).any()


def test_an_as_of_without_three_years_before_it_is_a_config_error(tmp_path):
    """``as_of`` in the years 1-3 has no three years of seizures before it: it was a bare
    ValueError from ``date.replace`` ("year 0 is out of range"), now a ConfigError naming
    the value, before anything is written."""
    as_of = dt.date(3, 12, 31)
    with pytest.raises(ConfigError, match=r"datetime\.date\(3, 12, 31\)"):
        demo.generate_demo(tmp_path, as_of=as_of)
    assert not any(tmp_path.iterdir())


def test_seizure_agencies_patrol_where_the_seizure_is(theatre):
    """Within 300 km of a port a seizure names one of that port's agencies; farther out, the
    western high-seas agencies west of 40 W and the eastern ones east of it (swapping the
    two sides, or the 300 km test, passed every other test)."""
    s = demo._make_seizures(theatre, np.random.default_rng(6), 20_000, demo.DEMO_AS_OF)
    lon, lat = s.lon.to_numpy(), s.lat.to_numpy()
    plon = np.array([p[1] for p in demo._PORTS])
    plat = np.array([p[2] for p in demo._PORTS])
    km = _km(lon[:, None], lat[:, None], plon, plat)
    near, nearest = km.min(axis=1) <= 300.0, km.argmin(axis=1)
    edge = np.abs(km.min(axis=1) - 300.0) < 0.01  # our km and the generator's may differ there
    west, east = ~near & ~edge & (lon < -40.0), ~near & ~edge & (lon >= -40.0)
    assert near.sum() > 1000 and west.sum() > 1000 and east.sum() > 1000
    assert s.agency[west].isin(demo._HIGH_SEAS_AGENCIES_WEST).all()
    assert s.agency[east].isin(demo._HIGH_SEAS_AGENCIES_EAST).all()
    allowed = {(k, name) for k, port in enumerate(demo._PORTS) for name in port[3]}
    m = near & ~edge
    assert set(zip(nearest[m].tolist(), s.agency[m], strict=True)) <= allowed


# ------------------------------------------------------------------------------ sizes, limits


def test_fleet_mmsis_are_distinct_nine_digit_numbers_of_the_theatres_flags(theatre):
    """Each vessel is its own MMSI: 20,000 drawn with replacement would repeat about seven
    (30 flags x 900,000 serials), two ships then merged into one track by ingest."""
    fleet = demo._fleet(theatre, np.random.default_rng(1), 20_000)
    mmsi = np.array([v.mmsi for v in fleet])
    assert np.unique(mmsi).size == mmsi.size
    assert ((mmsi >= 100_000_000) & (mmsi <= 999_999_999)).all()
    assert set((mmsi // 1_000_000).tolist()) <= set(demo._MIDS)


def test_planted_behaviours_scale_with_the_fleet(theatre):
    """ "About 15, 10 and 6 per 220 go dark, loiter and meet in pairs": a fleet of 110 plants
    round(3.0) = 3 meetings and round(5.0) = 5 loiterers, whatever the seed, and at most
    round(7.5) = 8 dark vessels (a vessel with no long enough run underway plants none)."""
    pings, planted = demo._make_tracks(theatre, np.random.default_rng(2), 110, 3)
    counts = planted["behaviour"].value_counts()
    assert counts["encounter"] == 3 and counts["loiter"] == 5
    assert 1 <= counts.get("dark", 0) <= 8
    # "far from any port" (150 km), and dark "while underway": fast at both ends
    at_sea = planted[planted.behaviour != "dark"]
    assert (_port_km(at_sea["lon"], at_sea["lat"]) > 150.0).all()
    dark = planted[planted.behaviour == "dark"]
    ends = pings.merge(
        pd.concat(
            [
                dark[["mmsi", "t0"]].set_axis(["mmsi", "t"], axis=1),
                dark[["mmsi", "t1"]].set_axis(["mmsi", "t"], axis=1),
            ]
        )
    )
    assert len(ends) == 2 * len(dark) and (ends["sog"] > 5).all()


@pytest.fixture(scope="module")
def smallest(tmp_path_factory):
    """The smallest demo the docstring allows (seed 0, 1 seizure, 8 vessels, 2 days), its
    ``as_of`` a datetime at noon: the demo takes its date."""
    out = tmp_path_factory.mktemp("smallest") / "made" / "here"  # "created if missing"
    as_of = dt.datetime(2026, 6, 30, 12, 0)
    kwargs = {"seed": 0, "n_seizures": 1, "n_vessels": 8, "days": 2, "raster_res_deg": 1.0}
    return demo.generate_demo(out, as_of=as_of, **kwargs)


def test_the_smallest_sizes_the_docstring_allows_are_accepted(smallest):
    s = pd.read_csv(smallest.seizures)
    ais = pd.read_csv(smallest.tracks)
    assert len(s) == 1 and ais.mmsi.nunique() == 8


def test_a_datetime_as_of_is_its_day_ending_23_59_59_utc(smallest):
    """A datetime ``as_of`` at noon kept its time: the AIS window ran to the next day's
    11:59:59, pings after the day the demo says it ends."""
    ais = pd.read_csv(smallest.tracks)
    t = pd.to_datetime(ais["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    assert t.min() >= pd.Timestamp("2026-06-29T00:00:00Z")
    assert t.max() <= pd.Timestamp("2026-06-30T23:59:59Z")
    assert t.max() >= pd.Timestamp("2026-06-30T20:00:00Z")
    s = pd.read_csv(smallest.seizures)
    assert (s["date"] <= "2026-06-30").all()


def test_written_files_are_readable_by_all_as_a_plain_write_makes_them(smallest):
    """``tempfile`` makes 0600 files; the demo's files are 0644 like any file it writes."""
    for path in smallest.seizures.parent.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_sar_is_nan_over_land(smallest):
    """ "NaN over land and in swath gaps": every pixel whose centre is on the coastline
    polygons is NaN in every month (land pixels are not water with no detections)."""
    import xarray as xr

    with xr.open_dataset(smallest.sar, engine="h5netcdf") as ds:
        values = ds["vessel_detections"].values
        glon, glat = np.meshgrid(ds.lon.values, ds.lat.values)
    land = shapely.contains_xy(LAND, glon, glat)
    assert land.mean() > 0.1
    seen = land & ~np.isnan(values).all(axis=0)  # a centre on the coastline itself is either
    assert shapely.dwithin(LAND.boundary, shapely.points(glon[seen], glat[seen]), 1e-9).all()
    assert seen.sum() < 10 and (~np.isnan(values[:, ~land])).mean() > 0.5


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    """Files are replaced atomically through a temporary file beside them; a write that
    fails removes it (a crashed demo left ``.seizures.csv.*.tmp`` files behind)."""

    def fail(path):
        path.write_text("half")
        raise OSError("disk full")

    (tmp_path / "seizures.csv").write_text("old\n")
    with pytest.raises(OSError, match="disk full"):
        demo._replace_into(tmp_path / "seizures.csv", fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seizures.csv"]
    assert (tmp_path / "seizures.csv").read_text() == "old\n"


# ------------------------------------------------------------------------------ planted truth


def test_planted_times_are_what_the_pings_show(smallest):
    """``ais_planted.csv`` is the ground truth an evaluation scores against: a dark
    vessel's start and end are its last ping before the silence and its first after, with
    none between (8.5-30 h apart); a loiter lasts 5.5-12 h below 2 kn, a meeting 3-6 h.
    Writing the start as the end, or keeping pings in the first hours of the silence,
    passed every test (they used the planted vessels, never the times)."""
    planted = pd.read_csv(
        smallest.seizures.parent / demo.PLANTED_FILENAME, dtype={"other_mmsi": str}
    )
    ais = pd.read_csv(smallest.tracks)
    assert sorted(planted.behaviour) == ["dark", "encounter", "loiter"]
    ts = pd.to_datetime(ais["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    for row in planted.itertuples():
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        hours = (end - start) / pd.Timedelta(hours=1)
        mine = ais[ais.mmsi == row.mmsi]
        t = ts[mine.index]
        between = mine[(t > start) & (t < end)]
        if row.behaviour == "encounter":  # the other vessel is one of the fleet's
            assert len(row.other_mmsi) == 9 and int(row.other_mmsi) in set(ais.mmsi)
        else:  # empty, not "0"
            assert pd.isna(row.other_mmsi), row.other_mmsi
        if row.behaviour == "dark":
            assert 8.5 <= hours <= 30.5, hours
            assert between.empty and (t == start).sum() == 1 and (t == end).sum() == 1
            assert (mine.sog[(t == start) | (t == end)] > 5).all()
        elif row.behaviour == "loiter":
            assert 5.5 - 1e-3 <= hours <= 12 + 1e-3, hours
            assert len(between) >= 3 and (between.sog < 2).all()
            km = _km(between.lon, between.lat, row.lon, row.lat)
            assert km.max() < 12 * 1.4 * 1.852 + 1, km.max()  # drifting from the point
        else:
            assert 3 - 1e-3 <= hours <= 6 + 1e-3, hours
            assert len(between) >= 2 and (between.sog < 2).all()


# ------------------------------------------------------------------------------ seizures on water


def _lane(theatre, c: int = 0):
    a, b = demo._CORRIDORS[c][:2]
    lons, lats = theatre.route(theatre.port_index(a), theatre.port_index(b))
    return lons, lats, demo._path_cumkm(lons, lats)


def test_seizures_that_land_every_time_are_put_on_the_lane_itself(theatre, monkeypatch):
    """After 30 draws on land, the last resort is the lane itself (water by construction):
    with every point off corridor 0's lane taken for land, all 200 end on that lane."""
    lons, lats, cum = _lane(theatre)
    lane = shapely.LineString(np.column_stack([lons, lats]))
    monkeypatch.setattr(
        theatre, "on_land", lambda lon, lat: ~shapely.dwithin(lane, shapely.points(lon, lat), 1e-9)
    )
    comp, t = np.zeros(200, dtype=np.int64), np.full(200, 0.5)
    lon, lat = demo._seizure_positions(
        theatre, np.random.default_rng(1), comp, t, [(lons, lats, cum)]
    )
    assert shapely.dwithin(lane, shapely.points(lon, lat), 1e-9).all()


def test_seizures_that_cannot_be_placed_on_water_are_refused(theatre, monkeypatch):
    """When even the lane is land, the demo refuses with a ConfigError naming the count
    (instead of writing seizures on land)."""
    monkeypatch.setattr(theatre, "on_land", lambda lon, lat: np.ones(np.size(lon), dtype=bool))
    comp, t = np.zeros(5, dtype=np.int64), np.full(5, 0.5)
    with pytest.raises(ConfigError, match="could not place 5 seizures on water"):
        demo._seizure_positions(theatre, np.random.default_rng(1), comp, t, [_lane(theatre)])


# ------------------------------------------------------------------------------ route-risk demo


@pytest.fixture
def fake_demo(monkeypatch):
    """``route-risk demo`` with the generator and the run replaced: what they were given."""
    import pipeline.run

    calls: list[tuple] = []
    monkeypatch.setattr(demo, "generate_demo", lambda d, seed: calls.append(("data", d, seed)))

    def run_pipeline(cfg, **kwargs):
        calls.append(("run", Path(kwargs["out_dir"]), cfg))
        raise ConfigError("stop here")

    monkeypatch.setattr(pipeline.run, "run_pipeline", run_pipeline)
    monkeypatch.delenv("ROUTE_RISK_DEMO_DATA", raising=False)
    return calls


def test_demo_seed_reaches_the_generator(tmp_path, capsys, fake_demo):
    """``--seed`` is "seed of the demo data": another seed, other data."""
    code, _, err = cli_here(capsys, "demo", "--out", tmp_path / "d", "--seed", "5")
    assert code == 2 and "stop here" in err
    assert fake_demo[0] == ("data", tmp_path / "d" / "inputs", 5)


def test_demo_config_is_the_one_named(tmp_path, capsys, fake_demo):
    """``--config`` is "use this config instead of the packaged one": its options reach
    the run, its input paths following ``ROUTE_RISK_DEMO_DATA`` to the fresh data."""
    import yaml

    packaged = Path(demo.__file__).parent / "configs" / "demo.yaml"
    mine = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    mine["density"]["bandwidth_km"] = 33
    mine["run"]["name"] = "mine"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(mine), encoding="utf-8")
    out = tmp_path / "d"
    code, _, _ = cli_here(capsys, "demo", "--out", out, "--config", tmp_path / "mine.yaml")
    assert code == 2
    _, run_out, cfg = fake_demo[1]
    assert run_out == out and cfg.run.name == "mine" and cfg.density.bandwidth_km == 33
    assert Path(cfg.inputs.seizures[0].path) == out / "inputs" / "seizures.csv"


def test_demo_into_a_linked_folder_is_refused_as_run_refuses_it(tmp_path, capsys, fake_demo):
    """``demo --out LINK`` resolved the link and wrote the data and the run into its
    target, where ``route-risk run --out LINK`` refuses a link: one line, exit 2, and the
    target untouched."""
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    code, _, err = cli_here(capsys, "demo", "--out", tmp_path / "link", "--log-format", "text")
    assert code == 2 and fake_demo == []
    assert err.strip().splitlines() == [
        f"route-risk: error: the output folder {str(tmp_path / 'link')!r} is itself a "
        f"symbolic link (to {str(target)!r}); route-risk writes through no link: give the "
        f"folder it leads to ({str(target)!r}) as the output folder"
    ]
    assert not any(target.iterdir())


def test_demo_writes_through_no_link_at_dir_inputs(tmp_path, capsys, fake_demo):
    """A link planted at ``DIR/inputs`` would have the generator replace files wherever
    it leads (``/etc``...): refused before anything is written, as links in a run's folder
    are."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "inputs").symlink_to(elsewhere)
    code, _, err = cli_here(capsys, "demo", "--out", out, "--log-format", "text")
    assert code == 2 and fake_demo == []
    assert err.strip().splitlines() == [
        "route-risk: error: refusing to write through the symbolic link "
        f"{str(out / 'inputs')!r} in the output folder; remove the link (route-risk never "
        "follows links when writing or deleting)"
    ]
    assert not any(elsewhere.iterdir())


def test_demo_with_a_file_at_dir_inputs_is_one_line(tmp_path, capsys, fake_demo):
    """A file named ``inputs`` in the folder is the user's mistake (exit 2, one line) as
    an output folder that is a file is, not a full disk (exit 74)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "inputs").write_text("mine\n")
    code, _, err = cli_here(capsys, "demo", "--out", out, "--log-format", "text")
    assert code == 2 and fake_demo == []
    assert err.strip().splitlines() == [
        f"route-risk: error: cannot use output folder {str(out / 'inputs')!r}: File exists"
    ]
    assert (out / "inputs").read_text() == "mine\n"


def test_sar_coordinates_are_the_centres_of_the_demo_areas_quarter_degree_pixels(smallest):
    """The NetCDF's ``lat``/``lon`` are pixel centres: 45 - 0.125 down to -10 + 0.125 and
    -85 + 0.125 to 10 - 0.125 (a grid shifted half a pixel placed every value 14 km off
    and left the area's last row out; nothing read the coordinates)."""
    import xarray as xr

    with xr.open_dataset(smallest.sar, engine="h5netcdf") as ds:
        lat, lon = ds.lat.values, ds.lon.values
    np.testing.assert_allclose(lat, 45.0 - 0.125 - 0.25 * np.arange(220), atol=1e-9)
    np.testing.assert_allclose(lon, -85.0 + 0.125 + 0.25 * np.arange(380), atol=1e-9)


def test_quantities_are_written_to_a_tenth_of_a_kilogram_or_whole_persons(theatre):
    """``quantity`` text: kg with one decimal (what the log-normal draw rounds to), persons
    whole, an empty field where it is missing (0.5 %), never "0"."""
    s = demo._make_seizures(theatre, np.random.default_rng(7), 4000, demo.DEMO_AS_OF)
    q = s["quantity"]
    kg, persons = s["unit"] == "kg", s["unit"] == "persons"
    assert q[kg & (q != "")].str.fullmatch(r"\d+\.\d").all()
    assert q[persons & (q != "")].str.fullmatch(r"[1-9]\d*").all()
    assert 0 < (q == "").sum() < 0.02 * len(s)
    values = q[q != ""].astype(float)
    assert (values > 0).all() and (values[kg] != values[kg].round()).mean() > 0.5


def test_quantities_are_clipped_to_their_stated_ranges(theatre, monkeypatch):
    """Persons are whole numbers in [1, 400], kilograms in [0.1, 25,000]: a draw far out in
    the log-normal's tail is clipped, not written (a tail the default medians reach about
    once in 10,000 seizures, so shown here with medians far outside the ranges)."""
    monkeypatch.setitem(demo._QUANTITY, "people", (5000.0, 0.1, "persons"))
    monkeypatch.setitem(demo._QUANTITY, "cocaine", (1e6, 0.1, "kg"))
    monkeypatch.setitem(demo._QUANTITY, "heroin", (1e-3, 0.1, "kg"))
    s = demo._make_seizures(theatre, np.random.default_rng(8), 3000, demo.DEMO_AS_OF)
    q = pd.to_numeric(s["quantity"].replace("", np.nan))
    by = q.groupby(s["commodity"])
    assert by.min()["people"] == by.max()["people"] == 400
    assert by.min()["cocaine"] == by.max()["cocaine"] == 25000
    assert by.min()["heroin"] == by.max()["heroin"] == 0.1


@pytest.mark.parametrize(
    "kwargs",
    [{"seed": True}, {"n_vessels": np.True_}, {"raster_res_deg": True}],
    ids=["seed", "n_vessels", "raster_res_deg"],
)
def test_a_boolean_is_no_number_of_anything(tmp_path, kwargs):
    """``True`` is an int to Python; as a seed, a size or a pixel size it is a mistake."""
    with pytest.raises(ConfigError, match="True"):
        demo.generate_demo(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())
