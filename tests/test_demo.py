"""Tests of the seeded demo-data generator (pipeline.demo)."""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import xarray as xr
from _geo import haversine_km

from pipeline import demo
from pipeline.demo import COMMODITIES, DEMO_AS_OF, DEMO_BBOX, PLANTED_FILENAME, generate_demo
from pipeline.errors import ConfigError
from pipeline.sphere import EARTH_RADIUS_KM

SMALL = {"seed": 7, "n_seizures": 800, "n_vessels": 24, "days": 6}
SEIZURE_COLUMNS = ["date", "lat", "lon", "commodity", "quantity", "unit", "agency", "note"]
AIS_COLUMNS = ["mmsi", "timestamp", "lat", "lon", "sog", "cog"]
LAND = shapely.union_all([shapely.Polygon(p) for p in demo._LAND.values()])
EARTH_KM = EARTH_RADIUS_KM


def _files(files: demo.DemoFiles) -> list[Path]:
    out = [files.seizures, files.tracks, files.ports, files.nightlights, files.sar]
    return out + [files.seizures.parent / PLANTED_FILENAME]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _km(lon1, lat1, lon2, lat2):
    return haversine_km(lon1, lat1, lon2, lat2, EARTH_KM)


def _port_km(ports: pd.DataFrame, lon, lat) -> np.ndarray:
    d = _km(
        np.asarray(lon)[:, None],
        np.asarray(lat)[:, None],
        ports.lon.to_numpy(),
        ports.lat.to_numpy(),
    )
    return d.min(axis=1)


def _read_ais(path: Path) -> pd.DataFrame:
    ais = pd.read_csv(path)
    t = pd.to_datetime(ais["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    ais["t"] = t.astype("datetime64[ns, UTC]")  # the helpers below use int64 nanoseconds
    return ais


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> demo.DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo_small"), **SMALL)


@pytest.fixture(scope="module")
def small_again_low_gdal_cache(tmp_path_factory) -> demo.DemoFiles:
    """``small`` generated again (the same seed) under a 16 MB GDAL cache, as ingest leaves it.

    Two claims read it: the same seed writes the same bytes, and the night lights do not
    depend on the cache GDAL rasterizes with (each used to generate its own pair).
    """
    from rasterio.env import get_gdal_config, set_gdal_config

    old = get_gdal_config("GDAL_CACHEMAX")
    set_gdal_config("GDAL_CACHEMAX", 16)
    try:
        return generate_demo(tmp_path_factory.mktemp("demo_again"), **SMALL)
    finally:
        set_gdal_config("GDAL_CACHEMAX", old)


@pytest.fixture(scope="module")
def small_coarse(tmp_path_factory) -> demo.DemoFiles:
    """``small`` with 0.2-degree night lights: the same records, smaller rasters."""
    return generate_demo(tmp_path_factory.mktemp("demo_coarse"), **SMALL, raster_res_deg=0.2)


@pytest.fixture(scope="module")
def small_ais(small) -> pd.DataFrame:
    return _read_ais(small.tracks)


@pytest.fixture(scope="module")
def small_ports(small) -> pd.DataFrame:
    return pd.read_csv(small.ports)


# ------------------------------------------------------------------------------ seizures


def test_seizures_columns_counts_dates_and_bbox(small):
    s = pd.read_csv(small.seizures, keep_default_na=False)
    assert list(s.columns) == SEIZURE_COLUMNS
    assert len(s) == SMALL["n_seizures"]
    dates = pd.to_datetime(s["date"], format="%Y-%m-%d")
    assert dates.is_monotonic_increasing
    first_allowed = pd.Timestamp(2023, 7, 1)  # three years ending 2026-06-30
    assert dates.min() >= first_allowed and dates.max() <= pd.Timestamp(DEMO_AS_OF)
    assert dates.min() <= first_allowed + pd.Timedelta(days=30)
    assert dates.max() >= pd.Timestamp(DEMO_AS_OF) - pd.Timedelta(days=30)
    lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
    assert s.lon.between(lon_min, lon_max).all() and s.lat.between(lat_min, lat_max).all()
    assert (s.lat.round(6) == s.lat).all() and (s.lon.round(6) == s.lon).all()


def test_seizures_commodities_units_and_quantities(small):
    s = pd.read_csv(small.seizures, keep_default_na=False)
    assert set(s.commodity) <= set(COMMODITIES)
    assert {"cocaine", "cannabis", "heroin", "precursors", "people"} <= set(s.commodity)
    assert ((s.unit == "persons") == (s.commodity == "people")).all()
    assert set(s.unit) == {"kg", "persons"}
    known = s[s.quantity != ""]
    assert len(known) >= 0.98 * len(s)
    q = known.quantity.astype(float)
    assert (q > 0).all()
    persons = q[known.unit == "persons"]
    assert (persons == persons.round()).all() and persons.max() <= 400
    kg = q[(known.commodity == "cocaine")]
    assert kg.quantile(0.9) / kg.quantile(0.1) > 5  # a heavy-tailed mix, not a constant
    assert (s.agency.str.len() > 0).all() and s.agency.nunique() >= 10


def test_seizure_notes_carry_nasty_strings_that_round_trip(small):
    raw = small.seizures.read_text(encoding="utf-8")
    s = pd.read_csv(small.seizures, keep_default_na=False)
    notes = "\n".join(s.note)
    for needle in ('"', ",", "&", "<b>", "<script>", "ã", "ç", "'"):
        assert needle in notes, needle
    assert '""' in raw  # embedded quotes are doubled by the CSV writer, not lost
    assert (s.note.str.len() > 5).all()


def test_seizures_are_at_sea(small):
    s = pd.read_csv(small.seizures)
    assert not shapely.contains_xy(LAND, s.lon.to_numpy(), s.lat.to_numpy()).any()
    # independent of the coarse polygons: a few inland places nobody should find at sea
    inland = [(-3.7, 40.4), (-47.9, -15.8), (-1.5, 12.4), (-74.1, 4.7)]
    for lon, lat in inland:
        assert (_km(s.lon, s.lat, lon, lat) > 100).all()


def hot_spots_move_and_grow_over_the_three_years(full: demo.DemoFiles) -> None:
    """Check the full-size seizures: the Caribbean hot spot drifts, two hubs grow.

    Called by ``test_cli`` on the data ``route-risk demo`` wrote (the default seed and size),
    so the full-size draw is generated once per test run.
    """
    s = pd.read_csv(full.seizures, parse_dates=["date"])
    year = ((s.date - pd.Timestamp(2023, 7, 1)).dt.days // 366).clip(upper=2)
    assert len(s) >= 5000 and set(year) == {0, 1, 2}
    carib = s[s.lat.between(11, 19) & s.lon.between(-80, -64)]
    carib_year = year[carib.index]
    east_shift = carib.lon[carib_year == 2].mean() - carib.lon[carib_year == 0].mean()
    assert east_shift > 1.0  # the Caribbean hot spot drifts east
    bijagos = s[s.lat.between(10, 12.5) & s.lon.between(-18.5, -15.5)].groupby(year).size()
    assert bijagos[2] > 3 * bijagos[0]  # the West-African hub grows in the last year
    people = s[s.commodity == "people"]
    canary = people[people.lat.between(26, 30) & people.lon.between(-19, -13)].groupby(year).size()
    assert canary[2] > 1.4 * canary[0]


# ------------------------------------------------------------------------------ AIS


def test_ais_columns_sorting_window_and_ranges(small, small_ais):
    ais = small_ais
    assert list(ais.columns[:6]) == AIS_COLUMNS
    assert ais.mmsi.nunique() == SMALL["n_vessels"]
    assert ais.mmsi.between(100_000_000, 999_999_999).all()
    assert set(ais.mmsi // 1_000_000) <= set(demo._MIDS)
    assert ais.timestamp.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    order = ais.sort_values(["mmsi", "t"], kind="stable").index
    assert (order == ais.index).all()
    assert not ais.duplicated(["mmsi", "t"]).any()
    start = pd.Timestamp("2026-06-25T00:00:00Z")  # 6 days ending 2026-06-30 23:59:59
    end = pd.Timestamp("2026-07-01T00:00:00Z")
    assert ais.t.min() >= start and ais.t.max() < end
    assert ais.t.max() - ais.t.min() > pd.Timedelta(days=SMALL["days"] - 0.2)
    lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
    assert ais.lon.between(lon_min, lon_max).all() and ais.lat.between(lat_min, lat_max).all()
    assert (ais.sog >= 0).all() and ais.sog.max() < 25
    assert ((ais.cog >= 0) & (ais.cog < 360)).all()


def test_ais_speeds_match_positions(small_ais):
    a = small_ais
    same = a.mmsi.to_numpy()[1:] == a.mmsi.to_numpy()[:-1]
    dt_h = np.diff(a.t.astype("int64").to_numpy()) / 3.6e12
    km = _km(
        a.lon.to_numpy()[:-1], a.lat.to_numpy()[:-1], a.lon.to_numpy()[1:], a.lat.to_numpy()[1:]
    )
    ok = same & (dt_h > 0) & (dt_h < 0.5)
    implied = km[ok] / 1.852 / dt_h[ok]
    assert implied.max() < 30  # no teleports
    reported = a.sog.to_numpy()[1:][ok]
    underway = reported > 5
    assert np.median(np.abs(implied[underway] - reported[underway])) < 1.0


def test_ais_pings_away_from_ports_are_at_sea(small_ais, small_ports):
    a = small_ais
    far = _port_km(small_ports, a.lon, a.lat) > 20
    assert far.mean() > 0.3
    assert not shapely.contains_xy(LAND, a.lon[far].to_numpy(), a.lat[far].to_numpy()).any()


def _planted(files) -> pd.DataFrame:
    return pd.read_csv(files.seizures.parent / PLANTED_FILENAME, dtype={"other_mmsi": "Int64"})


def _dark_vessels(ais: pd.DataFrame) -> set[int]:
    """Vessels with a >= 8 h silence between two pings both underway (> 5 kn)."""
    same = ais.mmsi.to_numpy()[1:] == ais.mmsi.to_numpy()[:-1]
    gap_h = np.diff(ais.t.astype("int64").to_numpy()) / 3.6e12
    sog = ais.sog.to_numpy()
    hit = same & (gap_h >= 8) & (sog[:-1] > 5) & (sog[1:] > 5)
    return set(ais.mmsi.to_numpy()[:-1][hit].tolist())


def _loitering_vessels(ais: pd.DataFrame, ports: pd.DataFrame) -> set[int]:
    """Vessels with >= 5 h of consecutive pings below 2 kn, more than 100 km from any port."""
    slow = (ais.sog < 2) & (_port_km(ports, ais.lon, ais.lat) > 100)
    run = (slow != slow.shift()) | (ais.mmsi != ais.mmsi.shift())
    runs = (
        ais[slow]
        .groupby(run.cumsum()[slow])
        .agg(mmsi=("mmsi", "first"), t0=("t", "min"), t1=("t", "max"))
    )
    return set(runs[(runs.t1 - runs.t0) >= pd.Timedelta(hours=5)].mmsi.tolist())


def _together_hours(ais: pd.DataFrame, a: int, b: int, within_km: float = 0.5) -> float:
    """Span (h) of the ping times of either vessel at which the two are within ``within_km``."""
    pa, pb = ais[ais.mmsi == a], ais[ais.mmsi == b]
    times = np.union1d(pa.t.astype("int64"), pb.t.astype("int64"))
    lo, hi = max(pa.t.min(), pb.t.min()).value, min(pa.t.max(), pb.t.max()).value
    times = times[(times >= lo) & (times <= hi)]

    def at(p):
        x = p.t.astype("int64").to_numpy()
        return np.interp(times, x, p.lon), np.interp(times, x, p.lat)

    d = _km(*at(pa), *at(pb))
    close = times[d < within_km]
    return 0.0 if close.size < 2 else (close.max() - close.min()) / 3.6e12


def _encounter_pairs(ais: pd.DataFrame, ports: pd.DataFrame) -> set[tuple[int, int]]:
    """Pairs of vessels within 500 m of each other for >= 2 h, more than 50 km from ports."""
    far = ais[_port_km(ports, ais.lon, ais.lat) > 50].copy()
    far["bucket"] = far.t.astype("int64") // (1800 * 10**9)
    shifted = far.assign(bucket=far.bucket + 1)
    pairs = pd.concat([far.merge(far, on="bucket"), far.merge(shifted, on="bucket")])
    pairs = pairs[pairs.mmsi_x < pairs.mmsi_y]
    near = _km(pairs.lon_x, pairs.lat_x, pairs.lon_y, pairs.lat_y) < 1.0
    candidates = set(zip(pairs.mmsi_x[near], pairs.mmsi_y[near], strict=True))
    return {(a, b) for a, b in candidates if _together_hours(ais, a, b) >= 2.0}


def test_planted_dark_vessels_are_found_in_the_pings(small, small_ais):
    planted = _planted(small)
    expected = set(planted[planted.behaviour == "dark"].mmsi)
    assert len(expected) >= 1
    assert _dark_vessels(small_ais) == expected


def test_planted_loiterers_are_found_in_the_pings(small, small_ais, small_ports):
    planted = _planted(small)
    loiter = set(planted[planted.behaviour == "loiter"].mmsi)
    enc = planted[planted.behaviour == "encounter"]
    meeting = set(enc.mmsi) | set(enc.other_mmsi.astype(int))
    found = _loitering_vessels(small_ais, small_ports)
    assert loiter and loiter <= found
    assert found <= loiter | meeting  # a long meeting is also slow and far from ports


def test_planted_encounters_are_found_in_the_pings(small, small_ais, small_ports):
    planted = _planted(small)
    enc = planted[planted.behaviour == "encounter"]
    expected = {
        tuple(sorted((int(a), int(b)))) for a, b in zip(enc.mmsi, enc.other_mmsi, strict=True)
    }
    assert len(expected) >= 1
    assert _encounter_pairs(small_ais, small_ports) == expected


def full_size_counts_and_planted_behaviours(full: demo.DemoFiles) -> None:
    """Check the full-size counts and planted AIS behaviours (called by ``test_cli``)."""
    s = pd.read_csv(full.seizures)
    ais = _read_ais(full.tracks)
    planted = _planted(full)
    assert len(s) == 6000
    assert ais.mmsi.nunique() == 220
    assert 300_000 <= len(ais) <= 700_000
    assert ais.t.max() - ais.t.min() > pd.Timedelta(days=29.5)
    counts = planted.behaviour.value_counts()
    assert counts["dark"] == 15 and counts["loiter"] == 10 and counts["encounter"] == 6
    assert len(_dark_vessels(ais)) == 15


# ------------------------------------------------------------------------------ ports, rasters


def test_ports(small_ports):
    p = small_ports
    assert list(p.columns) == ["name", "lat", "lon"]
    assert len(p) >= 25 and p.name.is_unique
    assert {"Cartagena", "Praia", "São Tomé", "Algeciras", "Vigo", "Ponta Delgada"} <= set(p.name)
    lon_min, lat_min, lon_max, lat_max = DEMO_BBOX
    assert p.lon.between(lon_min, lon_max).all() and p.lat.between(lat_min, lat_max).all()
    assert not shapely.contains_xy(LAND, p.lon.to_numpy(), p.lat.to_numpy()).any()


def test_nightlights_geotiff(small, small_ports):
    with rasterio.open(small.nightlights) as src:
        assert src.crs.to_epsg() == 4326
        assert src.dtypes[0] == "float32" and src.count == 1
        assert src.nodata == -9999.0
        assert src.res == pytest.approx((0.05, 0.05))
        assert tuple(src.bounds) == pytest.approx(DEMO_BBOX)
        assert src.compression is not None and src.compression.value.lower() == "deflate"
        band = src.read(1, masked=True)
        rows, cols = rasterio.transform.rowcol(
            src.transform, small_ports.lon.to_numpy(), small_ports.lat.to_numpy()
        )
    assert 0.001 < band.mask.mean() < 0.2  # cloud-masked patches, not a blank raster
    assert band.min() >= 0
    at_ports = np.ma.median(band[np.asarray(rows), np.asarray(cols)])
    assert at_ports > 10 * np.ma.median(band)
    assert small.nightlights.stat().st_size < 5 * 2**20


def test_sar_netcdf(small):
    pytest.importorskip("rioxarray")
    with xr.open_dataset(small.sar, engine="h5netcdf", decode_coords="all") as ds:
        da = ds["vessel_detections"]
        assert da.dims == ("time", "lat", "lon")
        assert ds.sizes["time"] == 12
        assert pd.Timestamp(ds.time.values[-1]) == pd.Timestamp(2026, 6, 1)
        assert pd.Timestamp(ds.time.values[0]) == pd.Timestamp(2025, 7, 1)
        assert (np.diff(ds.lat.values) < 0).all() and (np.diff(ds.lon.values) > 0).all()
        assert da.dtype == np.float32
        assert da.attrs["units"] and da.attrs["long_name"]
        assert da.rio.crs.to_epsg() == 4326
        values = da.values
        assert np.isnan(values).any() and (values[~np.isnan(values)] >= 0).all()
        assert np.nanmax(values) > 5 * np.nanmedian(values)  # lanes stand out


def test_rasters_open_in_the_ingest_readers(small):
    ingest = pytest.importorskip("pipeline.ingest")
    for path in (small.nightlights, small.sar):
        da = ingest.open_raster(path)
        assert da.rio.crs.to_epsg() == 4326


def test_tables_pass_the_ingest_readers_without_rejects(small):
    ingest = pytest.importorskip("pipeline.ingest")
    seizures = ingest.read_seizures(small.seizures, as_of=DEMO_AS_OF)
    assert seizures.by_rule == {} and len(seizures.frame) == SMALL["n_seizures"]
    tracks = ingest.read_tracks(small.tracks)
    assert tracks.by_rule == {} and tracks.frame.vessel_id.nunique() == SMALL["n_vessels"]


# ------------------------------------------------------------------------------ determinism, args


def test_same_seed_same_bytes_other_seed_other_bytes(
    small, small_again_low_gdal_cache, small_coarse, tmp_path
):
    """Every file, the 0.05-degree night lights included, is the same bytes for the same seed;
    another seed changes every file but the ports (compared at 0.2-degree night lights: the
    seed drives the noise whatever the pixel size, and the coarse theatre is 4x faster)."""
    for a, b in zip(_files(small), _files(small_again_low_gdal_cache), strict=True):
        assert _sha(a) == _sha(b), a.name
    other = generate_demo(tmp_path / "other", **{**SMALL, "seed": 8, "raster_res_deg": 0.2})
    for a, b in zip(_files(small_coarse), _files(other), strict=True):
        if a.name != "ports.csv":
            assert _sha(a) != _sha(b), a.name


def test_a_coarser_raster_is_the_same_theatre_in_bigger_pixels(small, small_coarse):
    """``raster_res_deg`` (the test fixtures' smaller night lights) changes only the rasters.

    The records are drawn first and are the same bytes; the SAR grid, drawn after the night
    lights from the same generator, has other noise.
    """
    coarse = small_coarse
    for a, b in zip(_files(small), _files(coarse), strict=True):
        if a.suffix == ".csv":
            assert _sha(a) == _sha(b), a.name
    with rasterio.open(small.nightlights) as fine, rasterio.open(coarse.nightlights) as big:
        assert (fine.width, fine.height) == (1900, 1100)
        assert (big.width, big.height) == (475, 275) and big.res == (0.2, 0.2)
        assert big.bounds == fine.bounds and big.crs == fine.crs and big.nodata == fine.nodata
        a = fine.read(1, masked=True)
        b = big.read(1, masked=True)
    # the same picture (land, cities, lanes, clouds where they were), its own per-pixel noise
    assert 0 < b.mask.mean() < 0.5 and abs(b.mask.mean() - a.mask.mean()) < 0.05
    blocks = a.filled(np.nan).reshape(275, 4, 475, 4)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-nodata blocks
        means = np.nanmean(blocks, axis=(1, 3))
    both = ~b.mask & np.isfinite(means)
    assert np.corrcoef(np.log1p(b.data[both]), np.log1p(means[both]))[0, 1] > 0.5


def test_as_of_drives_every_date(tmp_path):
    as_of = dt.date(2024, 2, 29)
    # 1-degree night lights: the dates do not depend on the pixels (a second, not three)
    files = generate_demo(
        tmp_path, seed=3, n_seizures=300, n_vessels=10, days=3, as_of=as_of, raster_res_deg=1.0
    )
    s = pd.read_csv(files.seizures, parse_dates=["date"])
    assert s.date.max() <= pd.Timestamp(as_of) and s.date.min() >= pd.Timestamp(2021, 3, 1)
    ais = _read_ais(files.tracks)
    assert ais.t.max().date() == as_of and ais.t.min() >= pd.Timestamp("2024-02-27T00:00:00Z")
    with xr.open_dataset(files.sar, engine="h5netcdf") as ds:
        assert pd.Timestamp(ds.time.values[-1]) == pd.Timestamp(2024, 2, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_vessels": 3},
        {"days": 1},
        {"seed": -1},
        {"n_seizures": 0},
        {"n_seizures": 10.5},
        {"as_of": "2026-06-30"},
        {"raster_res_deg": 0},
        {"raster_res_deg": 2.0},
        {"raster_res_deg": float("nan")},
        {"raster_res_deg": "0.1"},
    ],
)
def test_bad_arguments_raise_config_error_naming_the_value(tmp_path, kwargs):
    with pytest.raises(ConfigError) as info:
        generate_demo(tmp_path, **kwargs)
    assert repr(next(iter(kwargs.values()))) in str(info.value)
    assert isinstance(info.value, ValueError)
    assert not any(tmp_path.iterdir())


def test_same_bytes_whatever_gdal_cache_ingest_left(small, small_again_low_gdal_cache):
    """GDAL rasterizes in cache-sized chunks; raster ingest lowers the cache for memory.

    ``small`` is generated with the cache as found, its twin under a 16 MB cache (both
    1,900 x 1,100 pixels: several cache-sized chunks at 16 MB).
    """
    assert _sha(small.nightlights) == _sha(small_again_low_gdal_cache.nightlights)


# ------------------------------------------------------------------------------ fast paths
# The generator's vectorised paths against the straightforward code they replace: the same
# text, the same keyframes, the same pixels.


def _pandas_csv(columns: dict, path: Path) -> bytes:
    pd.DataFrame(columns).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path.read_bytes()


def test_plain_csv_writer_writes_what_pandas_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_CSV_CHUNK_ROWS", 7)  # several chunks, widths differing by chunk
    rng = np.random.default_rng(5)
    n = 60
    lat = np.round(rng.uniform(-90, 90, n), 6)
    # repr switches to exponents below 1e-4; signed zero; the largest and smallest digits
    lat[:14] = [0.0, -0.0, 5e-05, -5e-05, 1e-06, 1e-4, -1e-4, 99.999999, -1e-06, 0.1,
                12.000001, 3e-05, 0.000123, 90.0]  # fmt: skip
    sog = np.round(rng.uniform(0, 30, n), 1)
    sog[:4] = [0.0, -0.0, 0.1, 25.0]
    cog = np.round(rng.normal(180, 200, n), 1) % 360.0  # a few 359.x from negatives
    odd = np.round(rng.uniform(-180, 180, n), 6)
    odd[:8] = [np.nan, np.inf, -np.inf, 1e20, 0.1234567, 1 / 3, 2e15, -7.5e-07]  # not rounded
    stamps = np.datetime64("2024-02-28T23:59:58") + rng.integers(0, 3 * 86400, n).astype(
        "timedelta64[s]"
    )
    columns = {
        "mmsi": rng.integers(-(10**12), 10**12, n),
        "small": rng.integers(0, 10, n).astype(np.uint8),
        "timestamp": demo._iso_z(stamps),
        "name": np.array([f"v{i}" for i in range(n)]),
        "lat": lat,
        "lon": odd,
        "sog": sog,
        "cog": cog,
    }
    ours = demo._write_plain_csv(columns, {"lat": 6, "lon": 6, "sog": 1, "cog": 1}, tmp_path / "a")
    text = {k: np.char.decode(v) if v.dtype.kind == "S" else v for k, v in columns.items()}
    assert ours.read_bytes() == _pandas_csv(text, tmp_path / "b")


@pytest.mark.parametrize(
    "column",
    [
        np.array(["plain", "a, with comma", "x"]),  # needs quoting
        np.array(["Açores", "b", "c"]),  # not ASCII
        np.array(['say "hi"', "b", "c"]),
        np.array([1, None, 3], dtype=object),
        np.array([True, False, True]),
        np.array([np.iinfo(np.int64).min, 0, 1]),
        np.array([1.25, 2.5, 3.0]),  # a float column without its rounding
    ],
)
def test_plain_csv_writer_hands_other_columns_to_pandas(tmp_path, column):
    columns = {"id": np.arange(3), "value": column}
    ours = demo._write_plain_csv(columns, {}, tmp_path / "a")
    assert ours.read_bytes() == _pandas_csv(columns, tmp_path / "b")


@pytest.mark.parametrize(
    ("column", "places"),
    [
        (np.array([1, 2, 30]), 1),  # ints are written as ints, not 1.0
        (np.array([0.1, 0.25, 3.5], dtype=np.float32), 2),  # float32's own repr
        (np.array([1.0, 2.0, 3.0]), 0),  # repr keeps one decimal
        (np.round(np.array([0.1234567891234, 2.0, 3.5]), 12), 12),
    ],
)
def test_plain_csv_writer_declared_roundings_it_cannot_write_go_to_pandas(tmp_path, column, places):
    columns = {"id": np.arange(3), "value": column}
    ours = demo._write_plain_csv(columns, {"value": places}, tmp_path / "a")
    assert ours.read_bytes() == _pandas_csv(columns, tmp_path / "b")


def test_plain_csv_writer_quotes_a_header_as_pandas_does(tmp_path):
    columns = {"id": np.arange(3), "lat, deg": np.array([0.5, 1.0, -2.25])}
    ours = demo._write_plain_csv(columns, {"lat, deg": 2}, tmp_path / "a")
    assert ours.read_bytes() == _pandas_csv(columns, tmp_path / "b")


def test_ais_csv_is_what_pandas_writes_for_the_same_values(small, tmp_path):
    ais = pd.read_csv(small.tracks, dtype={"timestamp": str})
    assert small.tracks.read_bytes() == _pandas_csv(
        {c: ais[c].to_numpy() for c in ais.columns}, tmp_path / "b"
    )


def test_iso_z_is_datetime_as_string_with_z():
    rng = np.random.default_rng(3)
    secs = np.concatenate(
        [
            rng.integers(-(10**10), 10**10, 500),  # 1653 .. 2286
            [0, -1, 86399, 86400, 951782400, 253402300799],  # epoch, 2000-02-29, 9999-12-31
        ]
    )
    stamps = secs.astype("datetime64[s]")
    expected = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z").astype(np.bytes_)
    assert (demo._iso_z(stamps) == expected).all()
    far = np.array([253402300800, 0], dtype="datetime64[s]")  # year 10000: other widths
    assert demo._iso_z(far).tolist() == [b"10000-01-01T00:00:00Z", b"1970-01-01T00:00:00Z"]
    with_nat = np.array(["2026-06-30T12:00:00", "NaT"], dtype="datetime64[s]")
    assert demo._iso_z(with_nat).tolist() == [b"2026-06-30T12:00:00Z", b"NaTZ"]


def _sailed_one_by_one(lons, lats, speeds) -> tuple[np.ndarray, ...]:
    voy = demo._Voyage(1000.0, -20.0, 15.0)
    for lo, la, v in zip(lons, lats, speeds, strict=True):
        voy.sail([lo], [la], float(v))
    return voy.arrays()


@pytest.mark.parametrize("repeat_a_point", [False, True])
def test_sail_each_is_sailing_point_by_point(repeat_a_point):
    rng = np.random.default_rng(11)
    lons = -20.0 + np.cumsum(rng.normal(0, 0.05, 40))
    lats = 15.0 + np.cumsum(rng.normal(0, 0.05, 40))
    if repeat_a_point:  # a leg of length zero is skipped by sail, so the next leg starts back
        lons[7], lats[7] = lons[6], lats[6]
    speeds = rng.uniform(2.5, 5.0, 40)
    voy = demo._Voyage(1000.0, -20.0, 15.0)
    voy.sail_each(lons, lats, speeds)
    for got, want in zip(voy.arrays(), _sailed_one_by_one(lons, lats, speeds), strict=True):
        assert np.array_equal(got, want)


def test_nearest_port_within_km_keeps_every_distance_inside():
    theatre = demo._Theatre()
    rng = np.random.default_rng(2)
    port = rng.integers(0, theatre.n_ports, 4000)
    brg = np.radians(rng.uniform(0, 360, port.size))
    km = np.concatenate([rng.uniform(0, 400, 2000), 150.0 + rng.normal(0, 1e-6, 2000)])
    lon, lat = demo._offset_deg(
        theatre.port_lon[port], theatre.port_lat[port], km * np.sin(brg), km * np.cos(brg)
    )
    full_km, full_idx = theatre.nearest_port(lon, lat)
    near_km, near_idx = theatre.nearest_port(lon, lat, within_km=150.0)
    inside = full_km < 150.0
    assert inside.any() and (~inside).any()
    assert np.array_equal(near_km[inside], full_km[inside])
    assert np.array_equal(near_idx[inside], full_idx[inside])
    assert (near_km[~inside] > 150.0).all()


@pytest.mark.parametrize("km", [15.0, 150.0, 700.0])
def test_near_port_is_nearest_port_closer_than_km(km):
    theatre = demo._Theatre()
    rng = np.random.default_rng(int(km))
    port = rng.integers(0, theatre.n_ports, 6000)
    brg = np.radians(rng.uniform(0, 360, port.size))
    # around the threshold (to a micrometre), anywhere, and off the theatre's edges
    dist = np.concatenate([km + rng.normal(0, 1e-9, 2000), rng.uniform(0, 2 * km, 4000)])
    lon, lat = demo._offset_deg(
        theatre.port_lon[port], theatre.port_lat[port], dist * np.sin(brg), dist * np.cos(brg)
    )
    lon = np.concatenate([lon, rng.uniform(-100, 25, 3000)])
    lat = np.concatenate([lat, rng.uniform(-25, 60, 3000)])
    want = theatre.nearest_port(lon, lat)[0] < km
    assert want.any() and (~want).any()
    assert np.array_equal(theatre.near_port(lon, lat, km), want)


def _pings_all_candidates(theatre, rng, voy, end_s):
    """Reference: every candidate ping worked out, then thinned (the generator before it
    was vectorised); the same draws in the same order."""
    kt, klon, klat = voy.arrays()
    order = np.argsort(kt, kind="stable")
    kt, klon, klat = kt[order], klon[order], klat[order]
    t0 = max(kt[0], 0.0)
    n = int((end_s - t0) / demo._AIS_BASE_INTERVAL_S * 1.2) + 10
    gaps = rng.gamma(4.0, demo._AIS_BASE_INTERVAL_S / 4.0, n)
    t = t0 + rng.uniform(0, demo._AIS_BASE_INTERVAL_S) + np.cumsum(gaps)
    t = np.unique(np.floor(t[(t < end_s) & (t <= kt[-1])]))
    lon, lat = np.interp(t, kt, klon), np.interp(t, kt, klat)
    k = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, kt.size - 2)
    seg_dt = np.maximum(kt[k + 1] - kt[k], 1.0)
    sog = _km(klon[k], klat[k], klon[k + 1], klat[k + 1]) / 1.852 / (seg_dt / 3600.0)
    lo1, la1, lo2, la2 = (np.radians(a) for a in (klon[k], klat[k], klon[k + 1], klat[k + 1]))
    y = np.sin(lo2 - lo1) * np.cos(la2)
    x = np.cos(la1) * np.sin(la2) - np.sin(la1) * np.cos(la2) * np.cos(lo2 - lo1)
    cog = np.degrees(np.arctan2(y, x)) % 360.0
    still = sog < 0.3
    sog = np.clip(sog + rng.normal(0, 0.1, t.size), 0.0, None)
    cog = np.where(still, rng.uniform(0, 360, t.size), cog + rng.normal(0, 1.5, t.size))
    lon, lat = demo._offset_deg(
        lon, lat, rng.normal(0, 0.005, t.size), rng.normal(0, 0.005, t.size)
    )
    port_km = _port_km(pd.DataFrame({"lon": theatre.port_lon, "lat": theatre.port_lat}), lon, lat)
    keep_p = np.where(
        (port_km < demo._MOORED_KM) & still,
        demo._AIS_KEEP_MOORED,
        np.where(port_km < demo._COASTAL_KM, demo._AIS_KEEP_COASTAL, demo._AIS_KEEP_OFFSHORE),
    )
    keep = rng.random(t.size) < keep_p
    return [a[keep] for a in (t, lon, lat, sog, cog)]


def test_pings_are_the_all_candidates_reference():
    theatre = demo._Theatre()
    vessel = demo._Vessel(538123456, "regional", 10.0, theatre.port_index("Dakar"), (0.3, 0.4))
    voy = demo._Voyage(-86400.0, *demo._berth(theatre, vessel, vessel.home))
    demo._trade(theatre, np.random.default_rng(4), voy, vessel, vessel.home, 4 * 86400.0)
    got = demo._pings(theatre, np.random.default_rng(9), voy, 4 * 86400.0)
    want = _pings_all_candidates(theatre, np.random.default_rng(9), voy, 4 * 86400.0)
    assert got[0].size > 100
    assert np.array_equal(got[0], want[0])
    for a, b in zip(got[1:], want[1:], strict=True):  # the test's own km and bearings
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_gaussian_bump_is_the_grid_formula():
    lon, lat = demo._grid(0.25)
    glon, glat = np.meshgrid(lon, lat)
    clon, clat, sig, factor, amp = -30.3, 12.1, 0.7, np.cos(np.radians(12.1)), 2.5
    r2 = ((glon - clon) * factor) ** 2 + (glat - clat) ** 2
    want = amp * np.exp(-r2 / (2 * sig**2))
    got = demo._gaussian_bump(lon, lat, clon, clat, sig, factor, amp)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


def test_fill_ellipse_marks_the_pixels_the_whole_grid_test_marks():
    lon, lat = demo._grid(0.05)
    glon, glat = np.meshgrid(lon, lat)
    rng = np.random.default_rng(6)
    for clon, clat in ((-40.0, 20.0), (-84.9, 44.9), (9.99, -9.99), (-100.0, 0.0)):
        a, b, rot = rng.uniform(1.0, 4.0), rng.uniform(0.5, 2.0), rng.uniform(0, np.pi)
        dx, dy = glon - clon, glat - clat
        u = dx * np.cos(rot) + dy * np.sin(rot)
        v = -dx * np.sin(rot) + dy * np.cos(rot)
        want = (u / a) ** 2 + (v / b) ** 2 <= 1.0
        grid = np.zeros(glon.shape, dtype=np.float32)
        demo._fill_ellipse(grid, lon, lat, (clon, clat, a, b, rot), -1.0)
        assert np.array_equal(grid == -1.0, want)
