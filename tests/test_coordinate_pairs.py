"""One column holding a whole position: PostGIS hex (E)WKB points, and written values that are
no pair, which are rejected with their value (they were ``coord_missing`` with an empty value)."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from pipeline.ingest import read_context, read_seizures

POINTS = [(103.8, 1.25), (-79.5, 8.9), (-0.1275, 51.5072)]


def _hex(lon: float, lat: float, srid: int | None = 4326, bytea: bool = False) -> str:
    point = shapely.Point(lon, lat)
    if srid is not None:
        point = shapely.set_srid(point, srid)
    text = shapely.to_wkb(point, hex=True, include_srid=srid is not None)
    return ("\\x" + text.lower()) if bytea else text


def _write(path, header: str, values: list[str]) -> None:
    rows = [f'2023-0{i + 3}-01,"{v}",cocaine' for i, v in enumerate(values)]
    path.write_text("\n".join([f"date,{header},drug", *rows]) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({"srid": 4326}, id="ewkb-4326"),
        pytest.param({"srid": None}, id="wkb-no-srid"),
        pytest.param({"srid": 4326, "bytea": True}, id="bytea-lowercase"),
    ],
)
def test_hex_wkb_points_are_read_longitude_first(tmp_path, form):
    path = tmp_path / "postgis.csv"
    _write(path, "geom", [_hex(lon, lat, **form) for lon, lat in POINTS])
    res = read_seizures(path)
    assert len(res.frame) == len(POINTS) and res.rejects.empty
    got = list(zip(res.frame["lon"], res.frame["lat"], strict=True))
    assert got == POINTS  # exactly the stored doubles


def test_a_wkb_point_in_metres_or_a_line_is_rejected_with_its_value(tmp_path):
    metres = _hex(1155000.0, 144000.0, srid=3857)
    line = shapely.to_wkb(shapely.LineString([(1, 2), (3, 4)]), hex=True)
    path = tmp_path / "mixed.csv"
    _write(path, "geom", [_hex(*POINTS[0]), metres, line])
    res = read_seizures(path)
    assert len(res.frame) == 1
    rejects = res.rejects.sort_values("row")
    assert list(rejects["rule"]) == ["coord_unparseable", "coord_unparseable"]
    assert list(rejects["value"]) == [metres, line]
    assert list(rejects["row"]) == [3, 4]


def test_a_written_value_that_is_no_pair_keeps_its_value_and_rule(tmp_path):
    """'near the port' and a single number were coord_missing with an empty value; a single
    number must not become both coordinates either."""
    path = tmp_path / "pairs.csv"
    path.write_text(
        "date,coordinates,drug\n"
        '2023-03-01,"1.25, 103.8",cocaine\n'
        "2023-04-02,near the port,heroin\n"
        "2023-05-03,12.5,cocaine\n"
        "2023-05-04,,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert list(zip(res.frame["lat"], res.frame["lon"], strict=True)) == [(1.25, 103.8)]
    rejects = res.rejects.sort_values("row").reset_index(drop=True)
    assert list(rejects["row"]) == [3, 4, 5]
    assert list(rejects["rule"]) == ["coord_unparseable", "coord_unparseable", "coord_missing"]
    assert list(rejects["value"].fillna("")) == ["near the port", "12.5", ""]
    assert "not a coordinate pair" in rejects.loc[0, "message"]
    assert res.n_read == len(res.frame) + len(res.rejects) == 4


def test_a_ports_table_of_pairs_says_which_value_is_no_position(tmp_path):
    path = tmp_path / "ports.csv"
    pd.DataFrame(
        {"name": ["Colon", "Somewhere", "Tema"], "coordinates": ["9.35, -79.9", "n/k?", ""]}
    ).to_csv(path, index=False)
    res = read_context(path, "ports")
    assert list(res.frame["name"]) == ["Colon"]
    rejects = res.rejects.sort_values("row")
    assert list(rejects["rule"]) == ["coord_unparseable", "coord_missing"]
    assert rejects["value"].iloc[0] == "n/k?"
