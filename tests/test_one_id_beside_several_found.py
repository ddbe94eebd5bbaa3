"""A vessel column of one value beside a registered number (MMSI, IMO) of several.

``Vessel`` = ``Satellite`` on every row (the source of the positions, not a ship) ranked above
an ``IMO`` holding two ships: read by ``Vessel``, both ships were one vessel, 9 of their 10
alternating positions rejected as impossible speeds (or, stored one after another, their
tracks joined end to end), exit 0.  The reading is refused in one line naming both columns;
the setting that says which column names the vessel reads the file.
"""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import TrackSource, read_tracks


def _write(tmp_path, imos, vessel="Satellite", header="time,lat,lon,Vessel,IMO"):
    rows = [header]
    for k, imo in enumerate(imos):
        lat = (60 if imo == imos[0] else 55) + 0.001 * k
        rows.append(f"2023-03-01T00:{k:02d}:00Z,{lat:.4f},{10 + 0.001 * k:.4f},{vessel},{imo}")
    path = tmp_path / "pings.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


TWO_SHIPS = [9123456 if k % 2 == 0 else 9234567 for k in range(10)]


def test_one_valued_vessel_beside_an_imo_of_two_ships_is_refused(tmp_path):
    path = _write(tmp_path, TWO_SHIPS)
    with pytest.raises(InputError) as err:
        read_tracks(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert "'Vessel' holds one value ('Satellite')" in msg
    assert "'IMO' holds 2 ('9123456', '9234567')" in msg
    assert "columns: {vessel_id: ...}" in msg


def test_the_setting_reads_the_two_ships(tmp_path):
    res = read_tracks(TrackSource(path=_write(tmp_path, TWO_SHIPS), columns={"vessel_id": "IMO"}))
    assert sorted(res.frame["vessel_id"].unique()) == ["9123456", "9234567"]
    assert len(res.frame) == 10 and len(res.rejects) == 0


@pytest.mark.parametrize(
    "imos",
    [
        pytest.param([9123456] * 10, id="one-imo"),
        pytest.param([9123456] * 9 + [9123465], id="one-stray-typo"),
        pytest.param([9123456] * 5 + [0] * 5, id="imo-0-not-available"),
        pytest.param([9123456] * 5 + [""] * 5, id="imo-missing"),
    ],
)
def test_one_ship_is_read_as_before(tmp_path, imos):
    res = read_tracks(_write(tmp_path, imos, vessel="Nordic Star"))
    assert list(res.frame["vessel_id"].unique()) == ["Nordic Star"]
    assert len(res.frame) + len(res.rejects) == 10


def test_a_name_that_varies_beside_one_mmsi_is_one_ship(tmp_path):
    # a ship renamed within the file: its MMSI (one value) names it, the names do not count
    imos = ["Old Name"] * 5 + ["New Name"] * 5
    path = _write(tmp_path, imos, vessel="257000001", header="time,lat,lon,MMSI,ship_name")
    res = read_tracks(path)
    assert list(res.frame["vessel_id"].unique()) == ["257000001"]


def test_one_mmsi_beside_two_imos_is_read_as_one_transmitter(tmp_path):
    # the MMSI names the vessel; its IMOs are the identity check's to name, not a refusal
    path = _write(tmp_path, TWO_SHIPS, vessel="257000001", header="time,lat,lon,MMSI,IMO")
    res = read_tracks(path)
    assert list(res.frame["vessel_id"].unique()) == ["257000001"]
