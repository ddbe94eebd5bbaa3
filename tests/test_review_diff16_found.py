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
