"""Found reviewing the plug-in options check and the header words (review diff3, part b).

Each test failed on the code before its fix: a misspelt key inside a plug-in's nested
options ran the plug-in on its default in silence, an empty ``factors.options.<name>:`` was
refused, and a header in another script lost its words (the file refused, or a date read
from another column).  The guards beside them keep the refusals that are right.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pydantic
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import KINDS, read_kind, record_table
from conftest import km_plugin, plugin_config, small_config

from pipeline.errors import ConfigError, InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.options import SeizureSource, TrackSource

pytestmark = IGNORE_PENDING_DEPRECATION


# ----------------------------------------------------------------- nested plug-in options


class Ring(pydantic.BaseModel):
    """One ring of a plug-in's options (a nested model, pydantic's default ``extra``)."""

    scale_km: float = 50.0
    weight: float = 1.0


class Free(pydantic.BaseModel):
    """A nested model that takes any extra key on purpose."""

    model_config = pydantic.ConfigDict(extra="allow")

    scale_km: float = 50.0


class NestedOptions(pydantic.BaseModel):
    """Options with a nested model, a dict and a list of them, free-form and open tables."""

    inner: Ring = Ring()
    maybe: Ring | None = None
    by_port: dict[str, Ring] = {}
    rings: list[Ring] = []
    weights: dict[str, float] = {}
    free: Free = Free()


def _inner_scale(ctx):
    return np.full(len(ctx.cells), float(ctx.options.inner.scale_km))


NESTED = ("test_review_diff3b_found:nested", "review_nested")
nested = km_plugin(
    "review_nested", "A plug-in whose options hold nested tables.", NestedOptions, _inner_scale
)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"inner": {"scale_kn": 200}}, "inner.scale_kn"),
        ({"maybe": {"scale_kn": 200}}, "maybe.scale_kn"),
        ({"by_port": {"rotterdam": {"scale_kn": 200}}}, "by_port.rotterdam.scale_kn"),
        ({"rings": [{"scale_km": 10}, {"scale_kn": 200}]}, "rings.1.scale_kn"),
    ],
    ids=["model", "optional", "dict-of-models", "list-of-models"],
)
def test_an_unknown_key_inside_nested_options_is_refused(small_demo, tmp_path, options, key):
    # Before: only the top-level keys were checked; pydantic ignored 'scale_kn' inside the
    # nested table and the plug-in ran on its default 50 km without a word.
    with pytest.raises(ConfigError) as err:
        plugin_config(small_demo, tmp_path, *NESTED, options)
    msg = str(err.value)
    assert "\n" not in msg
    assert "factors.options.review_nested" in msg
    assert repr([key]) in msg
    assert "['scale_km', 'weight']" in msg


def test_nested_options_without_typos_are_read(small_demo, tmp_path):
    # the guard: a free-form dict of numbers and a model that allows extras take any key
    from pipeline.runner.plan import factor_options

    options = {
        "inner": {"scale_km": 200},
        "by_port": {"rotterdam": {"weight": 2}},
        "rings": [{"scale_km": 10}],
        "weights": {"anything": 1.5},
        "free": {"scale_km": 5, "colour": "red"},
    }
    got = factor_options(plugin_config(small_demo, tmp_path, *NESTED, options), nested)
    assert got.inner.scale_km == 200
    assert got.by_port["rotterdam"].weight == 2
    assert got.weights == {"anything": 1.5}
    assert got.free.model_extra == {"colour": "red"}


def test_a_top_level_unknown_key_is_still_refused_naming_the_keys(small_demo, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['inerr'\].*'inner'"):
        plugin_config(small_demo, tmp_path, *NESTED, {"inerr": {"scale_km": 200}})


# ----------------------------------------------------------------- empty options in YAML


def test_empty_plugin_options_in_yaml_mean_the_defaults(small_demo, tmp_path):
    # 'review_nested:' with nothing after it is null in YAML; it was refused ("Input should
    # be a valid dictionary").
    from pipeline.runner.plan import factor_options

    cfg = plugin_config(small_demo, tmp_path, *NESTED, None)
    assert cfg.factors.options["review_nested"] == {}
    assert factor_options(cfg, nested).inner.scale_km == 50.0


def test_empty_options_section_in_yaml_means_none(small_demo, tmp_path):
    cfg = small_config(
        small_demo,
        tmp_path,
        factors={"plugins": ["test_review_diff3b_found:nested"], "options": None},
    )
    assert cfg.factors.options == {}


@pytest.mark.parametrize("value", [3, "scale_km=200", [{"scale_km": 200}]])
def test_plugin_options_that_are_no_table_are_refused(small_demo, tmp_path, value):
    match = r"factors\.options: the options of 'review_nested' must be a table.*got "
    with pytest.raises(ConfigError, match=match + re.escape(repr(value))):
        plugin_config(small_demo, tmp_path, *NESTED, value)


# ----------------------------------------------------------------- headers in other scripts


POSITIONS = {
    "ru": ("Широта", "Долгота"),
    "uk": ("Широта", "Довгота"),
    "pl": ("Szerokość", "Długość"),
    "pl-full": ("Szerokość geograficzna", "Długość geograficzna"),
    "el": ("Γεωγραφικό πλάτος", "Γεωγραφικό μήκος"),
    "el-bare": ("ΠΛΆΤΟΣ", "ΜΉΚΟΣ"),
    "tr": ("Enlem", "Boylam"),
    "ar": ("خط العرض", "خط الطول"),
    "zh": ("纬度", "经度"),
    "zh-unit": ("纬度(°)", "经度(°)"),
    "ja": ("緯度", "経度"),
    "da": ("Breddegrad", "Længdegrad"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("lat", "lon"), POSITIONS.values(), ids=POSITIONS.keys())
def test_latitude_and_longitude_named_in_other_scripts_are_read(tmp_path, kind, lat, lon):
    # Refused before (exit 2): tokens were ASCII only, so 'Широта' had none and 'Długość'
    # was 'd' + 'ugosc'; off Hamburg the values alone do not say which is which.
    frame = record_table(kind, 53.5, 9.9).rename(columns={"lat": lat, "lon": lon})
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == (lat, lon)
    assert (cols["lat"]["by"], cols["lon"]["by"]) == ("name", "name")
    assert sorted(res.frame["lat"]) == sorted(frame[lat])


def test_a_bare_polish_width_and_length_are_no_quiet_second_position(tmp_path):
    # 'Szerokość' and 'Długość' alone are also a width and a length (a vessel's beam, 12 m,
    # and length, 80 m, fit as degrees): beside 'Szerokość geograficzna' the file holds two
    # candidate positions, and taking either would be a guess; refused naming both.
    frame = record_table("tracks", 53.5, 9.9)
    frame["Szerokość"], frame["Długość"] = 12.0, 80.0
    frame = frame.rename(columns={"lat": "Szerokość geograficzna", "lon": "Długość geograficzna"})
    path = tmp_path / "tracks.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(
        InputError, match="'Szerokość geograficzna'/'Długość geograficzna'.*'Szerokość'/'Długość'"
    ):
        read_tracks(TrackSource(path=path))


def test_a_ships_width_and_length_in_polish_are_no_position(tmp_path):
    # 'Szerokość statku' / 'Długość statku' (a ship's beam and length) fit as degrees: the
    # bare words name a coordinate only as the whole header, so 'lat'/'lon' stay the pair.
    frame = record_table("tracks", 53.5, 9.9)
    frame["Szerokość statku"], frame["Długość statku"] = 12.0, 80.0
    path = tmp_path / "tracks.csv"
    frame.to_csv(path, index=False)
    cols = read_tracks(TrackSource(path=path)).assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == ("lat", "lon")


DATES = {
    "ru": ("Дата", "Время"),
    "uk": ("Дата", "Час"),
    "pl": ("Data", "Godzina"),
    "el": ("Ημερομηνία", "Ώρα"),
    "tr": ("Tarih", "Saat"),
    "ar": ("التاريخ", "الوقت"),
    "zh": ("日期", "时间"),
    "ja": ("日付", "時刻"),
    "es": ("Fecha", "Hora"),
    "pt": ("Data", "Hora"),
}


@pytest.mark.parametrize("time_first", [False, True], ids=["date-time", "time-date"])
@pytest.mark.parametrize(("date", "clock"), DATES.values(), ids=DATES.keys())
def test_a_date_and_time_named_in_other_scripts_are_the_records_time(
    tmp_path, date, clock, time_first
):
    # Before: 'Дата'/'Время' both normalised to '' and were refused as one header naming
    # two columns; Turkish 'Tarih' named no date and the report date beside it was taken.
    n = 8
    frame = pd.DataFrame(
        {
            "drug": ["cocaine"] * n,
            "lat": [1.05 + i / 1000 for i in range(n)],
            "lon": [104.2 + i / 1000 for i in range(n)],
            "reported": [f"2024-01-{i + 1:02d}" for i in range(n)],
        }
    )
    parts = {date: [f"2023-03-{10 + i:02d}" for i in range(n)]}
    parts[clock] = [f"{8 + i:02d}:30" for i in range(n)]
    for col in sorted(parts, reverse=time_first):
        frame[col] = parts[col]
    path = tmp_path / "seizures.csv"
    frame.to_csv(path, index=False)
    res = read_seizures(SeizureSource(path=path))
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == date
    want = pd.to_datetime([f"2023-03-{10 + i:02d} {8 + i:02d}:30" for i in range(n)], utc=True)
    assert sorted(res.frame["time"]) == list(want)


@pytest.mark.parametrize("header", ["Время", "时间", "Zaman"])
def test_a_lone_time_column_named_in_another_script_is_the_time(tmp_path, header):
    # Before: no header named a time and the report date was read as the record's.
    n = 8
    frame = pd.DataFrame(
        {
            "lat": [1.05 + i / 1000 for i in range(n)],
            "lon": [104.2 + i / 1000 for i in range(n)],
            "reported": [f"2024-01-{i + 1:02d}" for i in range(n)],
            header: [f"2023-03-{10 + i:02d} 10:00" for i in range(n)],
        }
    )
    path = tmp_path / "seizures.csv"
    frame.to_csv(path, index=False)
    res = read_seizures(SeizureSource(path=path))
    assert res.assumptions["columns"]["time"]["column"] == header


@pytest.mark.parametrize("kind", KINDS)
def test_a_header_in_a_script_the_tool_cannot_read_is_still_refused(tmp_path, kind):
    # Hindi 'अक्षांश'/'देशांतर' (latitude/longitude) are no words the tool knows: off Hamburg
    # the values do not say which is which, so the file is refused, never guessed.
    frame = record_table(kind, 53.5, 9.9).rename(columns={"lat": "अक्षांश", "lon": "देशांतर"})
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="अक्षांश"):
        read_kind(kind, path)
