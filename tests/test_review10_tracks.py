"""Track files in the shapes real AIS, VMS and GPS sources take: the tenth review.

Each input is built the way its source writes it: a Danish Maritime Authority day file
with its SAR aircraft rows, a Spire vessels-API answer (nested ``staticData`` and
``lastPositionUpdate`` objects), a one-poll snapshot whose MMSIs differ on every row, a
track file keyed by the IMO number beside a MarineCadastre file keyed by the MMSI.  Whole
and streamed (``chunk_rows``) reads must give the same pings.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks
from pipeline.ingest.identity import combine_identity
from pipeline.ingest.options import TrackSource
from pipeline.ingest.stream import PingStore, spill_tracks
from pipeline.schema import TIME, VESSEL_ID
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01T00:00:00")


def _at(i: int, minutes: int = 10) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes * i)


def _streamed(src, tmp_path, chunk_rows: int = 4) -> pd.DataFrame:
    """The pings of a chunked read, and its counts checked against the whole read's."""
    whole = read_tracks(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(src, tmp_path / "spill", chunk_rows=chunk_rows, n_buckets=3)
    assert (spill.n_read, spill.n_accepted, spill.by_rule) == (
        whole.n_read,
        len(whole.frame),
        whole.by_rule,
    )
    pings = PingStore([spill]).to_frame()
    expect = whole.frame.sort_values([VESSEL_ID, TIME], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(pings.reset_index(drop=True), expect)
    return pings


# ------------------------------------------------- a DMA day file with its SAR aircraft rows

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D"
)


def _dma_day(path, n: int = 6):
    """Two ships, a base station and a SAR aircraft circling at 120-150 kn (real knots)."""
    rows = [DMA_HEADER]
    for i in range(n):
        ts = _at(i).strftime("%d/%m/%Y %H:%M:%S")
        rows += [
            f"{ts},Class A,219000001,{55.6 - i * 0.0283:.6f},12.600000,Under way using engine,"
            "0,10.2,180.0,181,Unknown,OXAB1,ANNA,Cargo,,20,100,GPS,6.0,AARHUS,,AIS,80,20,10,10",
            f"{ts},Base Station,2190047,55.700000,12.590000,Unknown value,,,,,Unknown,Unknown,,"
            "Undefined,,,,Surveyed,,Unknown,,AIS,,,,",
            f"{ts},SAR Airborne,111219500,{55.5 + (i % 2) * 0.2:.6f},12.100000,Unknown value,,"
            f"{120 + 5 * i},90,,Unknown,Unknown,,Undefined,,,,GPS,,Unknown,,AIS,,,,",
            f"{ts},Class B,219000002,55.800000,12.700000,Unknown value,,0.0,,511,Unknown,"
            "Unknown,,Pleasure,,,,GPS,,Unknown,,AIS,,,,",
        ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_dma_sar_aircraft_speeds_do_not_refuse_the_ships_knots(tmp_path):
    """A SAR aircraft's 120-145 kn (its rows rejected as not a vessel) made the whole day file
    refused as 'tenths of a knot or km/h': the advice, followed, read every ship 10x slow."""
    path = _dma_day(tmp_path / "aisdk-2024-03-01.csv")
    res = read_tracks(path)
    assert res.n_read == 24 and res.by_rule == {"mmsi_invalid": 6, "mmsi_not_vessel": 6}
    assert res.assumptions["speed_unit"]["unit"] == "kn"
    ships = res.frame.groupby(VESSEL_ID)["sog_kn"].first().to_dict()
    assert ships == {"219000001": 10.2, "219000002": 0.0}
    _streamed(path, tmp_path)


def test_a_ship_column_in_tenths_beside_sar_rows_is_still_refused(tmp_path):
    """The ships' own records still decide: their speeds in tenths are refused."""
    path = _dma_day(tmp_path / "aisdk.csv")
    text = path.read_text().replace(",0,10.2,180.0,", ",0,102,180.0,")
    text = text.replace(",0.0,,511,", ",105,,511,")
    path.write_text(text)
    with pytest.raises(InputError, match="tenths of a knot"):
        read_tracks(path)


# ---------------------------------------------- a Spire vessels-API answer (nested objects)


def _spire(path, n_ships: int = 2, n: int = 4):
    recs = []
    for k in range(n_ships):
        for i in range(n):
            recs.append(
                {
                    "staticData": {
                        "mmsi": 538000001 + k,
                        "imo": None,
                        "name": f"SPIRE {k}",
                        "callsign": f"V7A{k}",
                    },
                    "lastPositionUpdate": {
                        "timestamp": _at(i).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "latitude": 1.2 + k + i * 0.03,
                        "longitude": 103.8,
                        "speed": 10.8,
                        "course": 0.0,
                    },
                }
            )
    path.write_text(json.dumps(recs, indent=1))
    return path


def test_nested_mmsi_is_never_read_as_epoch_times(tmp_path):
    """'staticData.mmsi' (its 'data' taken for the Portuguese date) was the time column: the
    MMSIs read as epoch seconds (1987-01-18), the call sign the vessel, the pings rejected as
    impossible speeds."""
    path = _spire(tmp_path / "spire_vessels.json")
    res = read_tracks(path)
    cols = {r: e["column"] for r, e in res.assumptions["columns"].items()}
    assert cols["time"] == "lastPositionUpdate.timestamp"
    assert cols["vessel_id"] == "staticData.mmsi"
    assert res.by_rule == {} and len(res.frame) == 8
    assert res.frame[TIME].min() == pd.Timestamp("2024-03-01", tz="UTC")
    assert sorted(res.frame[VESSEL_ID].unique()) == ["538000001", "538000002"]
    _streamed(path, tmp_path)


# -------------------------------------------- a one-poll snapshot: the MMSI differs on every row


def test_snapshot_with_an_mmsi_per_row_is_refused_not_grouped_by_call_sign(tmp_path):
    """Five ships, one position each: the MMSI was refused as a 'record id' and the call sign
    two ships share taken instead, making 3 'vessels' of 5 ships and 2 impossible speeds."""
    path = tmp_path / "poll.csv"
    rows = ["mmsi,timestamp,lat,lon,sog,callsign,shipname"]
    for k, (call, lat) in enumerate(
        [("LAAB", 60.1), ("LAAB", 60.2), ("LACD", 61.1), ("LACD", 61.2), ("LAEF", 61.3)]
    ):
        rows.append(f"25700000{k + 1},2024-03-01T00:0{k}:00Z,{lat},5.1,10,{call},SHIP {k}")
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"'mmsi' \(a different value on every row.*another"):
        read_tracks(path)
    # named in the config, the MMSI is read: five vessels of one ping each
    res = read_tracks(TrackSource(path=path, columns={"vessel_id": "mmsi"}))
    assert res.frame[VESSEL_ID].nunique() == 5 and res.by_rule == {}


# ------------------------------------- one ship keyed by its MMSI in one file, its IMO in another


def test_a_file_keyed_by_imo_is_the_ship_an_mmsi_file_names_by_that_imo(tmp_path):
    """The ship of MMSI 367000003 (IMO 9074729) in a MarineCadastre file and the same ship
    keyed by 'imo' in a second source were two vessels: an encounter that never happened,
    two loiter events and its hours counted twice."""
    a = ["MMSI,BaseDateTime,LAT,LON,SOG,COG,VesselName,IMO,CallSign"]
    b = ["imo,timestamp,lat,lon,sog"]
    for i in range(30):
        t = _at(i)
        lon = -92.1 + 0.0005 * i
        a.append(f"367000003,{t:%Y-%m-%dT%H:%M:%S},27.1,{lon:.4f},0.5,90,RIGEL,IMO9074729,WXYZ")
        t2 = t + pd.Timedelta(minutes=3)
        b.append(f"9074729,{t2:%Y-%m-%dT%H:%M:%SZ},27.1,{lon + 0.00015:.5f},0.5")
    (tmp_path / "mc.csv").write_text("\n".join(a) + "\n")
    (tmp_path / "imo.csv").write_text("\n".join(b) + "\n")
    reads = [read_tracks(tmp_path / "mc.csv"), read_tracks(tmp_path / "imo.csv")]
    assert reads[1].identity[["vessel_id", "kind", "key"]].values.tolist() == [
        ["9074729", "imo", "9074729"]
    ]
    pings = pd.concat([r.frame for r in reads]).sort_values([VESSEL_ID, TIME], kind="stable")
    out = transit_features(
        pings.reset_index(drop=True),
        5,
        vessel_identity=combine_identity([r.identity for r in reads]),
    )
    assert out.events["event_type"].value_counts().to_dict() == {"loiter": 1}
    assert out.features["distinct_vessels"].max() == 1
    alone = transit_features(reads[0].frame, 5)
    assert out.features["vessel_hours"].sum() == pytest.approx(alone.features["vessel_hours"].sum())


# ------------------------------------------------ a Garmin FIT activity's records as CSV

FIT_EPOCH = pd.Timestamp("1989-12-31")


def _fit(path, when):
    """A FIT activity's record fields as a fitparse/fitdecode dump writes them (degrees)."""
    rows = ["timestamp,position_lat,position_long,enhanced_speed,heart_rate"]
    for i in range(6):
        rows.append(f"{when(_at(i))},{50.1 + i * 0.0283:.5f},-1.20000,5.1,")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_fit_seconds_are_refused_not_read_as_unix_time(tmp_path):
    """FIT timestamps count from 1989-12-31: read as Unix seconds, 2024 became 2004."""
    path = _fit(tmp_path / "activity.csv", lambda t: int((t - FIT_EPOCH).total_seconds()))
    with pytest.raises(InputError, match=r"FIT timestamp counts from 1989-12-31 \(2024-03-01"):
        read_tracks(TrackSource(path=path, vessel_id="dinghy"))


def test_fit_speed_is_metres_per_second(tmp_path):
    """A FIT record's enhanced_speed (m/s) was read as knots: 5.1 m/s is 9.9 kn."""
    path = _fit(tmp_path / "activity.csv", lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))
    src = TrackSource(path=path, vessel_id="dinghy")
    res = read_tracks(src)
    assert res.assumptions["schema"] == "fit"
    assert res.assumptions["speed_unit"]["unit"] == "m/s"
    assert res.frame["sog_kn"].tolist() == pytest.approx([5.1 * 3600 / 1852] * 6)
    assert res.frame[TIME].min() == pd.Timestamp("2024-03-01", tz="UTC")
    _streamed(src, tmp_path)


def test_a_vms_export_is_keyed_by_its_cfr_not_by_the_vessel_name(tmp_path):
    """EU VMS exports name a boat by its CFR (fleet register number); two boats of one name
    were one vessel with a 111 km jump between its pings."""
    path = tmp_path / "vms.csv"
    path.write_text(
        "CFR,Vessel Name,IRCS,Latitude,Longitude,Date Time,Speed,Course\n"
        "ESP000012345,SANTA MARIA,EA1234,43.10,-9.50,2024-03-01 00:00,8.0,90\n"
        "ESP000012345,SANTA MARIA,EA1234,43.10,-9.20,2024-03-01 02:00,8.0,90\n"
        "ESP000099999,SANTA MARIA,EA9999,42.10,-9.50,2024-03-01 00:00,8.0,90\n"
        "ESP000099999,SANTA MARIA,EA9999,42.10,-9.20,2024-03-01 02:00,8.0,90\n"
    )
    res = read_tracks(path)
    assert res.assumptions["columns"]["vessel_id"]["column"] == "CFR"
    assert sorted(res.frame["vessel_id"].unique()) == ["ESP000012345", "ESP000099999"]
    assert len(res.frame) == 4
