"""Review of the day's merged reader changes: what a real export meets that the new rules missed."""

from __future__ import annotations

import pytest

from pipeline.ingest import ContextSource, SeizureSource, read_context, read_seizures


@pytest.mark.parametrize("kind", ["seizures", "ports"])
@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("position (easting, northing)", "388736, 110547"),
        ("Easting/Northing", "388736, 110547"),
        ("position (northing, easting)", "110547, 388736"),
    ],
)
def test_a_pair_header_naming_easting_and_northing_states_its_order(tmp_path, kind, header, value):
    """'position (easting, northing)' says x first as 'position (x/y)' does: under a
    projected crs it was refused as a pair 'whose order nothing says' (and before that read
    northing first, 330 km away, unsaid); the header's order is read, as pyproj places it."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        388736, 110547
    )
    path = tmp_path / f"{kind}.csv"
    first, cell = ("name", "P1") if kind == "ports" else ("date", "2024-01-15")
    path.write_text(f'{first},"{header}"\n{cell},"{value}"\n')
    columns = {"coords": header}  # 'Easting/Northing' names no coordinate: the user says
    if kind == "ports":
        src = ContextSource(path=path, kind="ports", crs="EPSG:32648", columns=columns)
        frame = read_context(src).frame
        got = [frame.geometry.y.iloc[0], frame.geometry.x.iloc[0]]
    else:
        frame = read_seizures(SeizureSource(path=path, crs="EPSG:32648", columns=columns)).frame
        got = frame[["lat", "lon"]].to_numpy()[0].tolist()
    assert len(frame) == 1 and got == pytest.approx([lat, lon])


@pytest.mark.parametrize("kind", ["seizures", "ports"])
def test_postgis_ewkt_in_the_stated_crs_is_read_and_another_srid_is_not(tmp_path, kind):
    """The refusal of an unordered projected pair names WKT as the way to say x, y; PostGIS
    writes its points as EWKT (ST_AsEWKT: 'SRID=32648;POINT(388736 110547)'), and under
    crs EPSG:32648 every such record was rejected as no coordinate pair.  Its SRID being
    the crs's, it is read as the WKT point it is; a point of another SRID is still no pair
    (never read in the configured crs)."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        388736, 110547
    )
    first, cell = ("name", "P1") if kind == "ports" else ("date", "2024-01-15")

    def read(value: str):
        path = tmp_path / f"{kind}.csv"
        path.write_text(f'{first},position\n{cell},"{value}"\n{cell},"POINT (388736 110547)"\n')
        if kind == "ports":
            return read_context(ContextSource(path=path, kind="ports", crs="EPSG:32648"))
        return read_seizures(SeizureSource(path=path, crs="EPSG:32648"))

    for value in ("SRID=32648;POINT(388736 110547)", "srid=32648; POINT Z (388736 110547 3)"):
        frame = read(value).frame
        if kind == "ports":
            got = [frame.geometry.y.iloc[0], frame.geometry.x.iloc[0]]
        else:
            got = frame[["lat", "lon"]].to_numpy()[0].tolist()
        assert len(frame) == 2 and got == pytest.approx([lat, lon]), value
    if kind == "seizures":
        res = read("SRID=32647;POINT(388736 110547)")
        assert len(res.frame) == 1 and res.by_rule == {"coord_unparseable": 1}
        assert res.n_read == len(res.frame) + len(res.rejects) == 2
        assert res.rejects["row"].tolist() == [2]


@pytest.mark.parametrize("member", [None, "data.csv"])
def test_a_zip_holding_one_path_twice_is_refused_without_an_impossible_fix(tmp_path, member):
    """A file added to a zip again leaves two entries of one path.  With member: 'data.csv'
    today's rule refused it saying 'set member: to the path of one' (that path is the one
    given: the user could never follow it; before today the first, stale, one was read
    unsaid), and without member: it said 'set member: <one of them>', which then refused.
    It is refused saying the entries share their path and to unzip it."""
    import warnings
    import zipfile

    from pipeline.errors import SourceUnreadable

    path = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        zf.writestr("data.csv", "date,lat,lon\n2024-01-01,1,104\n")
        zf.writestr("data.csv", "date,lat,lon\n2024-01-02,2,105\n")
    with pytest.raises(SourceUnreadable) as err:
        read_seizures(SeizureSource(path=path, member=member))
    text = str(err.value)
    assert "2 entries of the same path 'data.csv'" in text and "unzip it" in text
    assert "set member" not in text and "\n" not in text
