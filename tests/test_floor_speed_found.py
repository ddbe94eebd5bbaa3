"""The export's shared work gives the files each writer wrote on its own (byte for byte).

The export builds the scores' cell polygons once (:class:`pipeline.grid.CellPolygons`, the
preview's when it drew the same cells) and rounds the scores once for their five files
(``rounded=True``): each writer used to round its own copy, and the preview and the export
each built the polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import io
from pipeline.grid import CellPolygons, cells_to_geodataframe, cells_to_latlng, region_to_cells


def _cells() -> np.ndarray:
    # cells over the antimeridian too: MultiPolygons beside Polygons
    east = region_to_cells((178.0, -17.5, 180.0, -16.0), 5)
    west = region_to_cells((-180.0, -17.5, -178.5, -16.0), 5)
    return np.unique(np.r_[east, west]).astype("uint64")


def test_cell_polygons_are_the_cells_polygons_in_any_order():
    cells = _cells()
    assert cells.size > 100
    rng = np.random.default_rng(3)
    shuffled = rng.permutation(cells)
    memo = CellPolygons()
    first = memo(cells)
    built = cells_to_geodataframe(cells).geometry.to_numpy()
    assert shapely.to_wkb(first).tolist() == shapely.to_wkb(built).tolist()
    taken = memo(shuffled)  # from the kept polygons: the same objects, reordered
    assert all(taken[i] is first[np.searchsorted(cells, c)] for i, c in enumerate(shuffled))
    subset = shuffled[:7]
    assert (
        shapely.to_wkb(memo(subset)).tolist()
        == shapely.to_wkb(built[np.searchsorted(cells, subset)]).tolist()
    )
    # cells not among them are built afresh, and kept instead
    other = region_to_cells((10.0, 10.0, 10.6, 10.6), 5).astype("uint64")
    fresh = memo(other)
    expect = cells_to_geodataframe(other).geometry.to_numpy()
    assert shapely.to_wkb(fresh).tolist() == shapely.to_wkb(expect).tolist()
    assert memo(other[::-1])[0] is fresh[-1]
    # repeated cells: right, not kept for a lookup
    twice = np.r_[cells[:3], cells[:3]]
    assert (
        shapely.to_wkb(memo(twice)).tolist()
        == shapely.to_wkb(cells_to_geodataframe(twice).geometry.to_numpy()).tolist()
    )


def _scores(cells: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = cells.size
    risky = rng.normal(size=n) * 10.0 ** rng.integers(-9, 12, size=n)
    risky[:6] = [np.nan, -0.0, np.inf, 1e16, 8.1234567891e-06, 45.1234567891]
    return pd.DataFrame(
        {
            "cell": cells,
            "hex_id": [format(int(c), "x") for c in cells],
            "risk": rng.uniform(0, 100, size=n),
            "density": risky,
            "small": (rng.uniform(size=n) * 1e-7).astype("float32"),
            "count": rng.integers(0, 5, size=n),
            "label": pd.Categorical(rng.choice(["low", "=high", 'a "b", c'], size=n)),
            "when": pd.Timestamp("2024-06-30", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90, size=n), unit="D"),
        }
    ).iloc[rng.permutation(n)]


@pytest.mark.parametrize("kind", ["parquet", "gpkg", "fgb", "geojson", "csv"])
def test_rounded_once_writes_the_bytes_each_writer_wrote(tmp_path, kind):
    cells = _cells()
    table = _scores(cells)
    order = table["cell"].to_numpy(dtype="uint64")
    memo = CellPolygons()
    memo(np.sort(cells))  # the preview's cells, sorted
    own = gpd.GeoDataFrame(
        table.reset_index(drop=True),
        geometry=cells_to_geodataframe(order).geometry.to_numpy(),
        crs="EPSG:4326",
    )
    shared = io.round_floats(
        gpd.GeoDataFrame(table.reset_index(drop=True), geometry=memo(order), crs="EPSG:4326")
    )
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    if kind == "csv":  # as the export writes it: the cell centres beside the columns
        lat, lon = cells_to_latlng(order)
        flat = table.copy()
        flat.insert(2, "lat", lat)
        flat.insert(3, "lon", lon)
        one = io.write_csv(flat, a / "s.csv")
        flat = pd.DataFrame(shared.drop(columns=shared.geometry.name))
        flat.insert(2, "lat", io.round_array(lat))
        flat.insert(3, "lon", io.round_array(lon))
        two = io.write_csv(flat, b / "s.csv", rounded=True)
    else:
        write = {
            "parquet": io.write_geoparquet,
            "gpkg": io.write_geopackage,
            "fgb": io.write_flatgeobuf,
            "geojson": io.write_geojson,
        }[kind]
        one = write(own, a / f"s.{kind}")
        two = write(shared, b / f"s.{kind}", rounded=True)
    assert one.read_bytes() == two.read_bytes()
    # the shared frame is not changed by a writer (the next one reads it)
    again = io.round_floats(
        gpd.GeoDataFrame(table.reset_index(drop=True), geometry=memo(order), crs="EPSG:4326")
    )
    pd.testing.assert_frame_equal(pd.DataFrame(shared), pd.DataFrame(again))


_ALPHABET = [*"=+-@\t\r\n ,\"'\\/ab1", "\uff1d", "\uff0b", "\u200b", "\u00a0", "\u2060", "\ufeff"]
_ALPHABET += ["\u3000", "\x00", "\x1f", "\x08", "é", "\U0001f600"]


def _texts(seed: int, n: int) -> list:
    rng = np.random.default_rng(seed)
    out = ["".join(rng.choice(_ALPHABET, size=int(rng.integers(0, 6)))) for _ in range(n)]
    return [None if rng.uniform() < 0.05 else t for t in out]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_text_held_by_arrow_writes_what_python_texts_write(tmp_path, seed):
    """A text column held by Arrow (pandas' str) is quoted, neutralised and escaped by Arrow.

    The same texts as Python objects take the value-by-value path: the same bytes (CSV
    quoting, CRLF lines when a text holds CR, formula prefixes, JSON escapes and nulls).
    """
    texts = _texts(seed, 3000)
    cells = _cells()[:50]
    rows = np.resize(np.arange(50), len(texts))
    files = {}
    for kind, dtype in (("py", object), ("arrow", "str")):
        frame = pd.DataFrame(
            {"n": np.arange(len(texts)), "note": pd.Series(texts, dtype=dtype), "x": 0.5}
        )
        io.write_csv(frame, tmp_path / f"{kind}.csv")
        gdf = gpd.GeoDataFrame(
            frame, geometry=cells_to_geodataframe(cells[rows]).geometry.to_numpy(), crs=4326
        )
        io.write_geojson(gdf, tmp_path / f"{kind}.geojson")
        files[kind] = [(tmp_path / f"{kind}.{e}").read_bytes() for e in ("csv", "geojson")]
    assert files["py"] == files["arrow"]
    crlf = any("\r" in t for t in texts if t)
    assert files["arrow"][0].count(b"\r\n") >= (len(texts) if crlf else 0)


def test_many_plain_texts_skip_the_python_tests(tmp_path):
    """Cell ids, 'low'/'high': no quote, no formula start, nothing to escape; and one that has."""
    cells = _cells()
    ids = pd.Series([format(int(c), "x") for c in cells], dtype="str")
    frame = pd.DataFrame(
        {
            "hex_id": ids,
            "cls": pd.Series(
                ["low", "high"] * (len(ids) // 2) + ["low"] * (len(ids) % 2), dtype="str"
            ),
        }
    )
    safe = io.neutralise_formulas(frame)
    assert safe["hex_id"].dtype == frame["hex_id"].dtype  # untouched: no text to prefix
    frame.loc[7, "cls"] = "=HYPERLINK(1)"
    frame.loc[8, "cls"] = 'a "b", c'
    frame.loc[9, "cls"] = "\u00a0+1"
    out = io.write_csv(frame, tmp_path / "t.csv").read_text("utf-8").split("\n")
    assert out[8].endswith(",'=HYPERLINK(1)")
    assert out[9].endswith(',"a ""b"", c"')
    assert out[10].endswith(",'\u00a0+1")
    assert out[1] == f"{ids[0]},{frame['cls'][0]}"


def _payloads():
    """Payloads as the map sends them: long lists of floats, ints and texts, nested."""
    rng = np.random.default_rng(5)
    floats = (rng.normal(size=2000) * 10.0 ** rng.integers(-9, 18, size=2000)).tolist()
    floats[::7] = [None] * len(floats[::7])
    floats[1:6] = [-0.0, 0.0, 1e16, 123456789012.0, 5e-324]
    ints = rng.integers(-(10**18), 10**18, size=1500).tolist()
    base = {
        "risk": floats,
        "nested": [floats, tuple(floats[:1200]), {"deep": [floats, "x"]}],
        "cls": ints,
        "names": ["<b>&"] * 1100,
        "whole": [float(i) for i in range(1100)],
        "none": [None] * 1100,
    }
    yield "plain", base
    for name, change in {
        "nan": lambda p: p["risk"].__setitem__(0, float("nan")),
        "inf": lambda p: p["risk"].__setitem__(0, float("-inf")),
        "numpy float": lambda p: p["risk"].__setitem__(0, np.float64(0.1)),
        "an int among floats": lambda p: p["risk"].__setitem__(0, 1),
        "huge int": lambda p: p["cls"].__setitem__(0, 2**70),
        "bool among ints": lambda p: p["cls"].__setitem__(0, True),
        "mark as text": lambda p: p["names"].__setitem__(0, "\x00route-risk float list\x00"),
        "mark in text": lambda p: p["names"].__setitem__(0, 'a"\x00route-risk float list\x00'),
    }.items():
        payload = {
            k: [list(v) if isinstance(v, list) else v for v in x] if k == "nested" else list(x)
            for k, x in base.items()
        }
        change(payload)
        yield name, payload
    yield "a list alone", floats


@pytest.mark.parametrize("name", [name for name, _ in _payloads()])
def test_map_json_is_what_json_writes(name):
    import json

    from pipeline.render._escaping import compact_json, to_js

    payload = dict(_payloads())[name]
    expect = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    assert compact_json(payload) == expect
    assert to_js(payload) == expect.replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026"
    )


def test_mann_kendall_s_is_the_sum_of_the_pair_signs():
    """S counted as integers: the sum of sign(x_j - x_i) over the pairs, NaN pairs left out."""
    from pipeline.hotspots import mann_kendall

    rng = np.random.default_rng(9)
    x = rng.integers(0, 4, size=(500, 36)).astype("float64")
    x[rng.uniform(size=x.shape) < 0.1] = np.nan
    x[0] = np.nan
    x[1] = 2.0
    x[2, :18], x[2, 18:] = np.inf, -np.inf
    i, j = np.triu_indices(36, 1)
    with np.errstate(invalid="ignore"):
        expect = np.nansum(np.sign(x[:, j] - x[:, i]), axis=1)
        got = mann_kendall(x).s
    assert got.tolist() == expect.tolist()
