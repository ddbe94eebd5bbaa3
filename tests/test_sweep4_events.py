"""Seizure and incident inputs shaped like real exports, swept end to end for silent wrong values.

Each case was a wrong value published without a word (or a refusal with a wrong reason) before
its fix: the hemisphere letter of ``01 15 30 s`` eaten as a seconds unit, ...  Files are
tiny, written to ``tmp_path`` in the shapes the exports take (NGA ASAM and IMB/ReCAAP incident
lists, ACLED/UCDP event CSVs, spreadsheets saved as CSV).
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import SourceUnreadable
from pipeline.ingest import format_summary, read_seizures, summarise_ingest

pytestmark = IGNORE_PENDING_DEPRECATION


# ----------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("lat", "lon", "want"),
    [
        ("01 15 30 s", "104 05 30 e", (-1.2583, 104.0917)),
        ("1°15'30s", "104°05'30e", (-1.2583, 104.0917)),
        ("00 30 00 s", "104 00 00 e", (-0.5, 104.0)),
        # the letter style keeps its 's' as the seconds' unit
        ("1d15m30s", "104d5m30s", (1.2583, 104.0917)),
    ],
)
def test_a_lowercase_south_after_the_seconds_is_the_hemisphere(tmp_path, lat, lon, want):
    # Lower-cased exports write '01 15 30 s'; the 's' was taken for the seconds' unit and the
    # incident landed north of the equator.
    text = f'date,latitude,longitude,hostility\n2024-03-15,"{lat}","{lon}",Pirates\n'
    res = read_seizures(write_text(tmp_path, "asam.csv", text))
    assert_accounted(res)
    got = tuple(res.frame[["lat", "lon"]].round(4).iloc[0])
    assert got == want


# ------------------------------------------------------------------- which column is the place


def test_an_empty_coordinate_column_gives_way_to_a_filled_one(tmp_path):
    # An incident export keeps its legacy 'Latitude'/'Longitude' columns empty and writes the
    # positions to 'Lat DD'/'Lon DD': every record was rejected as coord_missing.
    text = (
        "Date,Latitude,Longitude,Lat DD,Lon DD,Type\n"
        "2024-03-01,,,1.25,104.1,Robbery\n"
        "2024-03-02,,,1.35,104.2,Robbery\n"
        "2024-03-03,,,-1.45,104.3,Hijack\n"
    )
    res = read_seizures(write_text(tmp_path, "recaap.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["lat"].tolist() == [1.25, 1.35, -1.45]
    assert res.frame["lon"].tolist() == [104.1, 104.2, 104.3]
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == ("Lat DD", "Lon DD")
    assert "'Latitude'] missing" in cols["lat"]["evidence"]


def test_empty_coordinate_columns_give_way_to_a_filled_position(tmp_path):
    text = (
        "Date,Latitude,Longitude,Position,Type\n"
        "2024-03-01,,,\"1°15'N 104°06'E\",Robbery\n"
        "2024-03-02,,,\"1°21'S 104°12'E\",Robbery\n"
    )
    res = read_seizures(write_text(tmp_path, "imb.csv", text))
    assert_accounted(res)
    assert res.frame["lat"].round(2).tolist() == [1.25, -1.35]
    assert res.frame["lon"].round(2).tolist() == [104.1, 104.2]
    assert res.assumptions["columns"]["coords"]["column"] == "Position"
    assert any("hold no value" in n for n in res.notes)


def test_with_no_value_anywhere_the_header_alone_decides(tmp_path):
    # The converse: when every candidate is empty the best name is kept, and each record is
    # rejected as coord_missing (nothing to prefer).
    text = "Date,Latitude,Longitude,Lat DD,Lon DD\n2024-03-01,,,,\n2024-03-02,,,,\n"
    res = read_seizures(write_text(tmp_path, "h.csv", text))
    assert_accounted(res)
    assert res.by_rule == {"coord_missing": 2}
    assert res.assumptions["columns"]["lat"]["column"] == "Latitude"


# ---------------------------------------------------------------- which column is the category


def test_an_imb_narrative_is_not_the_incident_category(tmp_path):
    # IMB-like list: 'Incident Details' (the narrative) came first and won the category on
    # the 'incident' token; every record became a category of its own.
    text = (
        "Date,Incident Details,Attack Type,Lat,Lon\n"
        '2024-03-01,"Six robbers armed with knives boarded the tanker at anchor, stole '
        'ship stores and escaped.",Boarded,1.1,104.1\n'
        '2024-03-02,"Robbers boarded a bulk carrier underway and stole engine spares.",'
        "Boarded,1.2,104.2\n"
        '2024-03-03,"Pirates fired upon a tanker underway; the crew retreated to the '
        'citadel.",Fired Upon,1.3,104.3\n'
    )
    res = read_seizures(write_text(tmp_path, "imb.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"]["commodity"]["column"] == "Attack Type"
    assert res.frame["commodity"].tolist() == ["boarded", "boarded", "fired upon"]
    assert res.assumptions["columns"]["note"]["column"] == "Incident Details"


def test_a_recaap_incident_number_is_not_the_category(tmp_path):
    # ReCAAP-like list: 'Incident No.' (one per record) was taken as the category.
    text = (
        "Incident No.,Date of Incident,Incident Narrative,Lat,Lon\n"
        'R1,2024-03-01,"Six robbers armed with knives boarded the tanker at anchor.",1.1,104.1\n'
        'R2,2024-03-02,"Robbers boarded a bulk carrier underway and stole spares.",1.2,104.2\n'
    )
    res = read_seizures(write_text(tmp_path, "recaap.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"].get("commodity", {}).get("column") != "Incident No."
    assert not res.frame["commodity"].isin(["r1", "r2"]).any()


def test_free_text_under_a_category_word_gives_way_to_a_short_category(tmp_path):
    narrative = "Armed men in a skiff approached the vessel and boarded it near the anchorage"
    text = "Date,Incident,Type,Lat,Lon\n" + "".join(
        f'2024-03-0{i},"{narrative} {i}",{kind},1.{i},104.{i}\n'
        for i, kind in ((1, "Robbery"), (2, "Robbery"), (3, "Hijack"))
    )
    res = read_seizures(write_text(tmp_path, "inc.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"]["commodity"]["column"] == "Type"
    assert res.frame["commodity"].tolist() == ["robbery", "robbery", "hijack"]


def test_a_column_named_commodity_is_kept_even_when_wordy(tmp_path):
    wordy = "cocaine in bales wrapped in plastic found hidden in the hold of the vessel"
    text = f'date,lat,lon,commodity\n2024-03-01,1.1,104.1,"{wordy}"\n'
    res = read_seizures(write_text(tmp_path, "c.csv", text))
    assert res.frame["commodity"].tolist() == [wordy]


# ------------------------------------------------------------------------------------ dates


def test_a_file_whose_every_date_is_one_day_says_so(tmp_path):
    # An incident list whose only 'Date' is the day it was generated: every event got that
    # day and nothing said so.
    rows = "".join(f"2024-05-01,Boarding {i} Mar 2024,1.{i},104.{i},Robbery\n" for i in range(6))
    res = read_seizures(write_text(tmp_path, "list.csv", "Date,Incident,Lat,Lon,Type\n" + rows))
    assert_accounted(res)
    assert res.assumptions["dates"]["same_day"] == "2024-05-01"
    assert any("all 6 dated records fall on one day (2024-05-01)" in n for n in res.notes)


def test_dates_of_several_days_or_few_records_say_nothing_of_one_day(tmp_path):
    rows = "".join(f"2024-05-0{1 + i // 3},1.{i},104.{i},x\n" for i in range(6))
    res = read_seizures(write_text(tmp_path, "a.csv", "Date,Lat,Lon,Type\n" + rows))
    assert "same_day" not in res.assumptions["dates"]
    rows = "".join(f"2024-05-01 0{i}:00,1.{i},104.{i},x\n" for i in range(4))
    res = read_seizures(write_text(tmp_path, "b.csv", "Date,Lat,Lon,Type\n" + rows))
    assert "same_day" not in res.assumptions["dates"]


UCDP = (
    "id,relid,year,active_year,type_of_violence,where_prec,latitude,longitude,country,"
    "date_prec,date_start,date_end,best\n"
    "244657,SOM-1,2023,1,1,1,2.0371,45.3438,Somalia,1,2023-03-05 00:00:00.000,"
    "2023-03-05 00:00:00.000,3\n"
    "244658,SOM-2,2023,1,1,4,1.8,44.5,Somalia,3,2023-06-01 00:00:00.000,"
    "2023-06-30 00:00:00.000,1\n"
    "244659,SOM-3,2022,1,1,1,-0.35,42.54,Somalia,1,2022-11-20 00:00:00.000,"
    "2022-11-20 00:00:00.000,5\n"
)


def test_ucdp_date_start_wins_over_the_year(tmp_path):
    # UCDP GED: the exact name 'year' won and every event was placed on 1 January.
    res = read_seizures(write_text(tmp_path, "ged.csv", UCDP))
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == "date_start"
    assert "only years" in res.assumptions["columns"]["time"]["evidence"]
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-03-05",
        "2023-06-01",
        "2022-11-20",
    ]


def test_a_year_column_alone_is_still_the_time(tmp_path):
    # The converse: with no column of whole dates the years are read (placed on 1 January).
    text = "year,active_year,latitude,longitude\n2023,1,2.0,45.3\n2022,1,1.8,44.5\n"
    res = read_seizures(write_text(tmp_path, "y.csv", text))
    assert res.assumptions["columns"]["time"]["column"] == "year"
    assert res.frame["time"].dt.year.tolist() == [2023, 2022]


def test_iso_week_dates_are_read_not_called_ranges(tmp_path):
    # '2024-W11-5' (Friday of ISO week 11) was rejected as "a range of days or two dates".
    values = ["2024-W11-5", "2024W115", "2020-W53-7", "2024-W12", "2021-W53-1"]
    rows = "".join(f"{v},1.{i},104.{i},x\n" for i, v in enumerate(values))
    res = read_seizures(write_text(tmp_path, "w.csv", "event_date,lat,lon,type\n" + rows))
    assert_accounted(res)
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-15",
        "2024-03-15",
        "2021-01-03",
        "2024-03-18",
    ]
    # 2021 has 52 ISO weeks: its week 53 is no date
    assert res.rejects[["row", "rule"]].values.tolist() == [[6, "date_unparseable"]]
    assert not any("range of days" in n for n in res.notes)
    assert any("placed on the week's Monday" in n for n in res.notes)


def test_a_weekday_the_date_does_not_fall_on_is_rejected(tmp_path):
    # dateutil drops the weekday: 'Friday, 16 March 2024' (a Saturday) was read as the 16th.
    values = ["Friday, 15 March 2024", "Friday, 16 March 2024", "Sat, 16 Mar 2024 14:00:00 GMT"]
    rows = "".join(f'"{v}",1.{i},104.{i},x\n' for i, v in enumerate(values))
    res = read_seizures(write_text(tmp_path, "wd.csv", "event_date,lat,lon,type\n" + rows))
    assert_accounted(res)
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-03-15 00:00",
        "2024-03-16 14:00",
    ]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "date_unparseable"]]
    assert any("name a weekday the date does not fall on" in n for n in res.notes)


# ------------------------------------------------------------------------------ the summary


def test_the_ingest_summary_states_the_quantity_unit_and_one_day(tmp_path):
    # `route-risk ingest` printed the columns, dates, zone and CRS but not how quantities
    # were read (unit, decimal mark), which sheet, nor a single shared day.
    rows = "".join(f'01.05.2024;1,{i};104,{i};Kokain;"1.234,5 kg"\n' for i in range(5))
    path = write_text(tmp_path, "de.csv", "Datum;lat;lon;Droge;Menge\n" + rows)
    text = format_summary(summarise_ingest("seizures", path))
    lines = [ln.strip() for ln in text.splitlines()]
    qty = [ln for ln in lines if ln.startswith("quantity ")]
    assert len(qty) == 1 and "'Menge'" in qty[0] and "decimal ','" in qty[0], text
    assert "one day        every dated record falls on 2024-05-01" in lines, text


# ------------------------------------------------------------------------------- encodings


def test_a_record_saved_through_a_cp1252_round_trip_is_the_same_record(tmp_path):
    # A concatenated export: one system wrote UTF-8, the other decoded it as cp1252 and
    # saved it again. 'CocaÃ\xadna' was a category of its own and the record counted twice.
    good = "2024-03-01,1.1,104.1,Cocaína,Policía Nacional\n"
    mangled = good.encode("utf-8").decode("cp1252")
    degree = '2024-03-02,"1°15\'N","104°06\'E",Cocaína,Marinha\n'.encode().decode("cp1252")
    path = write_text(tmp_path, "two.csv", "date,lat,lon,drug,agency\n" + good + mangled + degree)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.by_rule == {"duplicate": 1}
    assert res.frame["commodity"].tolist() == ["cocaína", "cocaína"]
    assert res.frame["agency"].tolist() == ["Policía Nacional", "Marinha"]
    assert res.frame["lat"].round(2).tolist() == [1.1, 1.25]
    assert any("mojibake" in n for n in res.notes)
    assert res.assumptions["mojibake_repaired"] == {"drug": 2, "agency": 1, "lat": 1, "lon": 1}


def test_mojibake_is_repaired_and_real_accents_are_not(tmp_path):
    text = "date,lat,lon,drug,agency\n2024-03-01,1.1,104.1,Ã¡cido,São Paulo\n"
    res = read_seizures(write_text(tmp_path, "pt.csv", text))
    # 'Ã¡' is valid mojibake of 'á' ('ácido'), 'São' is no mojibake at all
    assert res.frame["agency"].tolist() == ["São Paulo"]
    assert res.frame["commodity_original"].tolist() == ["ácido"]


def test_a_time_cell_exported_with_the_spreadsheet_day_zero_is_the_time_of_day(tmp_path):
    # Access/Excel write a time-only cell as '1899-12-30 14:30:00' or '12/30/1899 2:30:00 PM':
    # the column was not read as times of day (every event at 00:00) and, for its
    # 'Incident' token, was taken as the incident category instead.
    text = (
        "Incident Date,Incident Time,lat,lon,type\n"
        "2024-03-15,1899-12-30 14:30:00,1.1,104.1,Robbery\n"
        "2024-03-16,1899-12-30 02:15:00,1.2,104.2,Robbery\n"
        "2024-03-17,12/30/1899 2:30:00 PM,1.3,104.3,Hijack\n"
    )
    res = read_seizures(write_text(tmp_path, "access.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"]["time_of_day"]["column"] == "Incident Time"
    assert res.assumptions["columns"]["commodity"]["column"] == "type"
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-03-15 14:30",
        "2024-03-16 02:15",
        "2024-03-17 14:30",
    ]


def test_precision_codes_of_an_event_dataset_are_stated(tmp_path):
    # UCDP's where_prec 4 (a region's centroid) and date_prec 3 (some day of the month) were
    # used as exact without a word; the summary now says how many of each grade were used.
    res = read_seizures(write_text(tmp_path, "ged.csv", UCDP))
    assert res.assumptions["precision_columns"] == {
        "where_prec": {"1": 2, "4": 1},
        "date_prec": {"1": 2, "3": 1},
    }
    assert sum("grades the precision" in n for n in res.notes) == 2


def test_a_minus_sign_against_a_north_or_east_letter_is_rejected(tmp_path):
    # '-1.25 N' was put south and '-104.1 E' west: the sign won over the letter unsaid.
    text = (
        "date,latitude,longitude,type\n"
        "2024-03-01,-1.25 N,104.1 E,x\n"
        '2024-03-02,"-1°15\'N","104°06\'E",x\n'
        "2024-03-03,1.25 S,-104.1 E,x\n"
        "2024-03-04,-1.25 S,104.1 E,x\n"
    )
    res = read_seizures(write_text(tmp_path, "signs.csv", text))
    assert_accounted(res)
    assert res.rejects[["row", "rule"]].values.tolist() == [
        [2, "coord_unparseable"],
        [3, "coord_unparseable"],
        [4, "coord_unparseable"],
    ]
    # a sign that agrees with its letter stays
    assert res.frame[["lat", "lon"]].values.tolist() == [[-1.25, 104.1]]


# ------------------------------------------------------------------------------ JSON Lines


def test_geojson_features_one_per_line_are_read_longitude_first(tmp_path):
    # GeoJSON Lines (ogr2ogr -f GeoJSONSeq, many APIs' .jsonl): the reader keeps
    # geometry.coordinates as the text '[lon, lat]'; every record was rejected coord_missing.
    lines = [
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[104.1,1.1,5.0]},'
        '"properties":{"date":"2024-03-01","drug":"cocaine"}}',
        '{"type":"Feature","geometry":{"type":"LineString","coordinates":[[104.2,-1.2],'
        '[104.3,-1.3]]},"properties":{"date":"2024-03-02","drug":"heroin"}}',
        '{"type":"Feature","geometry":null,"properties":{"date":"2024-03-03","drug":"x"}}',
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[-61.5,10.7]},'
        '"properties":{"date":"2024-03-04","drug":"heroin"}}',
    ]
    res = read_seizures(write_text(tmp_path, "features.jsonl", "\n".join(lines) + "\n"))
    assert_accounted(res)
    assert res.frame[["lon", "lat"]].values.tolist() == [[104.1, 1.1], [-61.5, 10.7]]
    assert res.rejects[["row", "rule"]].values.tolist() == [
        [2, "coord_unparseable"],
        [3, "coord_missing"],
    ]
    assert res.assumptions["columns"]["coords"]["order"] == "lon, lat"


def test_a_date_split_over_year_month_day_columns_is_joined(tmp_path):
    # The Global Terrorism Database keeps its date in iyear/imonth/iday (0 = unknown): no
    # column was taken as the date and every record was refused; a 'year' column alone put
    # every record on 1 January
    path = tmp_path / "gtd.csv"
    path.write_text(
        "eventid,iyear,imonth,iday,country_txt,latitude,longitude\n"
        "201901010001,2019,1,1,Nigeria,6.45,3.39\n"
        "201903150002,2019,3,15,Somalia,2.04,45.34\n"
        "201906000003,2019,6,0,Yemen,12.78,45.03\n"
        "201900000004,2019,0,0,Kenya,-4.05,39.66\n"
        "202002290005,2020,2,29,Nigeria,4.8,7.0\n"
        "202002300006,2020,2,30,Nigeria,4.8,7.1\n"
    )
    res = read_seizures(path)
    days = res.frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2019-01-01", "2019-03-15", "2019-06-01", "2019-01-01", "2020-02-29"]
    assert res.by_rule == {"date_unparseable": 1}  # 30 February
    assert res.rejects["value"].tolist() == ["2020-02-30"]
    assert any("joined from the columns 'iyear/imonth/iday'" in n for n in res.notes)
    assert any("precision: year" in n for n in res.notes)
    # year, month, day under plain names, beside other numbers
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "id,year,month,day,lat,lon,kg\n1,2021,7,4,10.0,100.0,5\n2,2021,12,31,10,100,3\n"
    )
    got = read_seizures(plain).frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2021-07-04", "2021-12-31"]


def test_month_names_of_other_languages_are_read(tmp_path):
    # Spanish, Portuguese, French, German and Italian reports were refused date by date
    # ('5 de marzo de 2024' unparseable); words that are English too ('out', 'set') are not
    # taken as months
    path = tmp_path / "es.csv"
    dates = [
        "5 de marzo de 2024",
        "17 de dezembro de 2019",
        "le 14 juillet 2021",
        "12. März 2023",
        "7 dicembre 2020",
        "1 okt 2018",
        "2 out 2020",
    ]
    path.write_text("fecha,lat,lon\n" + "".join(f'"{d}",10.{i},100\n' for i, d in enumerate(dates)))
    res = read_seizures(path)
    got = res.frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert got == [
        "2024-03-05",
        "2019-12-17",
        "2021-07-14",
        "2023-03-12",
        "2020-12-07",
        "2018-10-01",
    ]
    assert res.by_rule == {"date_unparseable": 1}
    assert res.rejects["value"].tolist() == ["2 out 2020"]


def test_a_header_line_repeated_mid_file_is_named_as_such(tmp_path):
    # two exports joined end to end: the second header was a record rejected as an
    # unparseable coordinate ('latitude'), and counted against the file
    path = tmp_path / "joined.csv"
    path.write_text(
        "Date,Latitude,Longitude,Drug\n"
        "2024-01-05,10.1,100.1,cocaine\n"
        "date,latitude , LONGITUDE,Drug\n"
        "2024-02-06,10.2,100.2,heroin\n"
        "2024-03-07,10.3,100.3,Drug\n"
    )
    res = read_seizures(path)
    assert res.by_rule == {"repeated_header": 1}
    assert res.rejects["row"].tolist() == [3]
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-02-06",
        "2024-03-07",
    ]


def test_a_header_line_longer_than_the_sample_is_read_whole(tmp_path):
    # the header was read from the first 64 KiB only: a wide table with long names lost its
    # last names and every record was 'ragged'; a table of thousands of columns is refused
    extra = [f"attribute_{i:04d}_" + "x" * 170 for i in range(400)]
    path = tmp_path / "wide.csv"
    lines = [",".join(["date", "lat", "lon", *extra])]
    lines += [",".join([f"2024-01-0{k}", f"10.{k}", "100.1", *["x"] * len(extra)]) for k in (1, 2)]
    path.write_text("\n".join(lines) + "\n")
    assert len(lines[0]) > 1 << 16
    res = read_seizures(path)
    assert res.n_accepted == 2 and res.by_rule == {}
    wider = tmp_path / "wider.csv"
    wider.write_text(",".join(["date", "lat", "lon", *(f"c{i}" for i in range(5000))]) + "\n")
    with pytest.raises(SourceUnreadable, match=r"5003 columns, more than 1000"):
        read_seizures(wider)


def test_a_rejected_value_shows_as_the_file_holds_it_not_as_repaired(tmp_path):
    # the mojibake repair ran before the rules, so a rejected value was shown repaired
    # ("1°15'Q"): the user could not find it in the file
    path = tmp_path / "mj.csv"
    path.write_text(
        "date,lat,lon,drug\n2020-01-01,1Â°15'Q,20,CocaÃ­na\n2020-01-02,1Â°15' N,20,CocaÃ­na\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["lat"].tolist() == [1.25]
    assert res.rejects[["row", "column", "value"]].values.tolist() == [[2, "lat", "1Â°15'Q"]]


def test_compact_degree_minute_positions_are_read(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "date,position\n2024-01-01,0115.5N 10345.2E\n2024-01-02,011530S 1034512E\n"
        "2024-01-03,1260N 10345E\n"
    )
    res = read_seizures(path)
    got = res.frame[["lat", "lon"]].round(6).values.tolist()
    assert got == [[1.258333, 103.753333], [-1.258333, 103.753333]]
    assert res.by_rule == {"lat_out_of_range": 1}  # 60 minutes: not a compact position


def test_a_repaired_description_is_quoted_by_its_repair_not_whole(tmp_path):
    # An IMB description of 400 characters with one mangled apostrophe was quoted whole, twice,
    # in the note (a summary line of 800+ characters); the note quotes the repair and its
    # surroundings.
    story = "Robbers boarded an anchored tanker. " * 6 + "They stole shipâ€™s stores. " + "x" * 150
    text = f'date,lat,lon,description\n2024-03-01,1.1,104.1,"{story}"\n'
    res = read_seizures(write_text(tmp_path, "imb.csv", text))
    assert res.frame["note"].tolist() == [story.replace("â€™", "’")]
    (said,) = [n for n in res.notes if "mojibake" in n]
    before, after = (
        "ker. They stole shipâ€™s stores. " + "x" * 10,
        "ker. They stole ship’s stores. " + "x" * 10,
    )
    assert f"'…{before}…' -> '…{after}…'" in said
    assert len(said) < 250
