"""Found reviewing ingest's header words, KML times, workbooks and plug-in options (diff4).

Each test failed on the code before its fix.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
import pydantic
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import beside_width_and_length
from conftest import km_plugin, plugin_config

from pipeline.errors import ConfigError, InputError
from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

_KML_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2' "
    "xmlns:gx='http://www.google.com/kml/ext/2.2'><Document>"
)


def _lookat(when: str) -> str:
    """A view saved with Google Earth's time slider on: a gx:TimeStamp inside the LookAt."""
    return (
        f"<LookAt><gx:TimeStamp><when>{when}</when></gx:TimeStamp><longitude>-61.2</longitude>"
        "<latitude>10.5</latitude><range>5000</range></LookAt>"
    )


# ---------------------------------------------------------------- KML times


def test_a_placemarks_time_is_its_own_not_its_views(tmp_path):
    # KML puts a Feature's view (LookAt) before its TimeStamp; the re-read took the first
    # <when> under any TimeStamp, the view's: 's0' (own time 2023-03-10 12:00) was read as
    # 2019-01-01 and 's1' (its own 2023-03-11 as a year-month) as 2019-06, exit 0
    marks = [
        ("s0", "2019", "2023-03-10T12:00:00Z"),
        ("s1", "2019-06", "2023-03"),
        ("s2", "2019-06-15T10:00:00Z", "2023-04-02T08:30:00Z"),
    ]
    body = "".join(
        f"<Placemark><name>{n}</name>{_lookat(view)}<TimeStamp><when>{own}</when></TimeStamp>"
        f"<Point><coordinates>{-61.2 - i * 0.01:.2f},{10.5 + i * 0.01:.2f},0</coordinates>"
        "</Point></Placemark>"
        for i, (n, view, own) in enumerate(marks)
    )
    path = tmp_path / "seizures.kml"
    path.write_text(_KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.frame.sort_values("time")["time"].dt.tz_localize(None).tolist()
    assert got == [
        pd.Timestamp("2023-03-01"),
        pd.Timestamp("2023-03-10 12:00"),
        pd.Timestamp("2023-04-02 08:30"),
    ]


def test_a_placemark_without_a_time_does_not_take_its_views(tmp_path):
    # the view's time was given to a placemark that has none: read, dated 2019-06-15
    body = (
        f"<Placemark><name>a</name><TimeStamp><when>2023-03-10T12:00:00Z</when></TimeStamp>"
        "<Point><coordinates>-61.2,10.5,0</coordinates></Point></Placemark>"
        f"<Placemark><name>b</name>{_lookat('2019-06-15T10:00:00Z')}"
        "<Point><coordinates>-61.3,10.6,0</coordinates></Point></Placemark>"
    )
    path = tmp_path / "seizures.kml"
    path.write_text(_KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert res.frame["time"].dt.year.tolist() == [2023]


def test_a_tour_that_animates_a_placemark_is_no_placemark(tmp_path):
    # a Google Earth tour's <Update><Change><Placemark targetId=...> was counted as a
    # placemark GDAL had not read: the file was refused as "holds 3 placemark(s), but GDAL
    # reads 2", and the year-month times were not re-read as written
    body = (
        "<Placemark id='p0'><name>s0</name><TimeStamp><when>2023-03-10T12:00:00Z</when>"
        "</TimeStamp><Point><coordinates>-61.2,10.5,0</coordinates></Point></Placemark>"
        "<Placemark id='p1'><name>s1</name><TimeStamp><when>2023-05</when></TimeStamp>"
        "<Point><coordinates>-61.3,10.6,0</coordinates></Point></Placemark>"
        "<gx:Tour><name>tour</name><gx:Playlist><gx:AnimatedUpdate><gx:duration>2"
        "</gx:duration><Update><targetHref/><Change><Placemark targetId='p1'>"
        "<visibility>0</visibility></Placemark></Change></Update></gx:AnimatedUpdate>"
        "</gx:Playlist></gx:Tour>"
    )
    path = tmp_path / "seizures.kml"
    path.write_text(_KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.frame.sort_values("time")["time"].dt.tz_localize(None).tolist()
    assert got == [pd.Timestamp("2023-03-10 12:00"), pd.Timestamp("2023-05-01")]


# ---------------------------------------------------------------- workbooks


def test_a_records_sheet_whose_columns_are_undecided_is_not_skipped(tmp_path):
    # the records sheet names two positions ('Lat' and 'Lat_corrected'), which the column
    # inference refuses; the sheet choice took that refusal for "no positions" and read the
    # other sheet, three sightings, as the seizures: exit 0, the 40 records never read
    n = 40
    records = pd.DataFrame(
        {
            "Date": pd.date_range("2023-01-01", periods=n, freq="D"),
            "Lat": [10.5 + i * 0.01 for i in range(n)],
            "Lat_corrected": [10.5 + i * 0.011 for i in range(n)],
            "Lon": [-61.2] * n,
            "Lon_corrected": [-61.3] * n,
            "Cocaine kg": range(n),
        }
    )
    sightings = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2023-02-01", "2023-02-02", "2023-02-03"]),
            "Latitude": [10.6, 10.7, 10.8],
            "Longitude": [-61.5, -61.6, -61.7],
            "Remarks": ["go-fast", "fishing", "go-fast"],
        }
    )
    path = tmp_path / "seizures.xlsx"
    with pd.ExcelWriter(path) as w:
        records.to_excel(w, sheet_name="Data", index=False)
        sightings.to_excel(w, sheet_name="Sightings", index=False)
    with pytest.raises(InputError, match=r"2 sheets hold records \['Data', 'Sightings'\]"):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- plug-in options


class Gaussian(pydantic.BaseModel):
    """One member of a discriminated union of kernels."""

    kind: Literal["gaussian"] = "gaussian"
    scale_km: float = 50.0


class Custom(pydantic.BaseModel):
    """A member that takes any extra key on purpose (its own parameters)."""

    model_config = pydantic.ConfigDict(extra="allow")

    kind: Literal["custom"] = "custom"


class KernelOptions(pydantic.BaseModel):
    """Options holding a discriminated union, one member open to extra keys."""

    kernel: Annotated[Gaussian | Custom, pydantic.Field(discriminator="kind")] = Gaussian()


def _kernel_scale(ctx):
    return np.full(len(ctx.cells), float(getattr(ctx.options.kernel, "scale_km", 1.0)))


KERNEL = ("test_review_diff4_found:kernel", "review_kernel")
kernel = km_plugin(
    "review_kernel",
    "A plug-in whose options hold a discriminated union.",
    KernelOptions,
    _kernel_scale,
)


def test_a_discriminated_member_that_allows_extras_keeps_them(small_demo, tmp_path):
    # pydantic names a discriminated member by its tag ('custom'), not its class: the
    # member's extra="allow" was not found and its own keys were refused as unknown
    from pipeline.runner.plan import factor_options

    cfg = plugin_config(small_demo, tmp_path, *KERNEL, {"kernel": {"kind": "custom", "sigma": 2}})
    assert factor_options(cfg, kernel).kernel.model_extra == {"sigma": 2}


def test_a_typo_in_a_discriminated_member_names_the_keys_it_takes(small_demo, tmp_path):
    # still refused, now naming the keys the member takes (before: "reads none of them")
    with pytest.raises(ConfigError, match=r"scale_kn.*\['kind', 'scale_km'\]"):
        plugin_config(
            small_demo, tmp_path, *KERNEL, {"kernel": {"kind": "gaussian", "scale_kn": 2}}
        )


# ---------------------------------------------------------------- header words


@pytest.mark.parametrize("position", ["Opis", "Uwagi"])
def test_a_bare_width_and_length_beside_a_column_of_positions_are_refused(tmp_path, position):
    # 'Szerokość'/'Długość' alone (a vessel's beam, 6 m, and length, 25 m) were read as the
    # latitude/longitude, exit 0, every record at 6°N 25°E, while another column held the
    # positions; one named as a position ('Position', 'Pozycja') is read instead since
    # test_review_diff4b_found
    path, _ = beside_width_and_length(tmp_path, position)
    with pytest.raises(InputError, match=rf"width/length.*{position!r} holds positions"):
        read_seizures(path, as_of="2025-01-01")
