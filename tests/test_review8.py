"""Review of the eighth sweep's changes, and a hostile corpus: inputs read wrongly before these fixes.

Inputs are shaped like real exports (UCDP GED date ranges, spreadsheets saved as CSV with a
row of merged group cells, ports tables with one ``Coordinates`` column, Excel and LibreOffice
exports) and built in tmp_path.
"""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import SeizureSource, read_context, read_seizures
from pipeline.render._map import png_data_url

pytestmark = IGNORE_PENDING_DEPRECATION

# ------------------------------------------------------------------------ date ranges


def test_a_range_file_whose_ends_all_come_before_their_starts_gives_no_negative_span(tmp_path):
    """``date_end`` before ``date_start`` on every record: the note said 'up to -3 days'."""
    path = write_text(
        tmp_path,
        "ged.csv",
        "id,date_start,date_end,latitude,longitude\n"
        "1,2024-03-05,2024-03-01,1.1,104.1\n"
        "2,2024-04-05,2024-04-02,1.2,104.2\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    got = res.assumptions["dates"]["date_range"]
    assert got["records_spanning_days"] == 0 and got["end_before_start"] == 2
    assert got["longest_days"] == 0.0
    said = [n for n in res.notes if "date range" in n]
    assert len(said) == 1 and "-" not in said[0].split("ends;")[1].split(";")[0]
    assert "0 of 2" in said[0] and "2 record(s) end before they start" in said[0]


# ------------------------------------------------- one column of lat/lon pairs for ports


def test_lettered_pairs_under_a_lon_lat_header_keep_the_order_their_letters_say(tmp_path):
    """``1°27'N 103°54'E`` in a ``Coordinates (lon/lat)`` column was swapped by the header.

    Its letters say latitude first as ``103°54'E 1°27'N`` says longitude first: the port was
    rejected as lat_out_of_range.
    """
    path = write_text(
        tmp_path,
        "ports.csv",
        "Port,Coordinates (lon/lat)\n"
        'Singapore,"103.84 1.264"\n'
        "Johor,\"1°27'N 103°54'E\"\n"
        "Batam,\"104°01'E 1°08'N\"\n"
        "Perth,\"32°03'S 115°44'E\"\n",
    )
    res = read_context(path, "ports")
    assert_accounted(res)
    assert len(res.rejects) == 0
    xy = [(round(p.x, 3), round(p.y, 3)) for p in res.frame.geometry]
    assert xy == [(103.84, 1.264), (103.9, 1.45), (104.017, 1.133), (115.733, -32.05)]


# ------------------------------------------------------------------ config: resolution


@pytest.mark.parametrize("resolution", ["1", 1.0])
def test_a_resolution_written_as_text_or_float_still_widens_the_default_kernels(
    tmp_path, resolution
):
    """``resolution: 1.0`` (or ``"1"``) is 1 to the field, but the widening passed over it.

    The run was refused for ``score.fitted.bandwidths_km``, a key the user never wrote.
    """
    import yaml

    import pipeline

    raw = {
        "run": {"as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [-85, -10, 10, 45], "resolution": resolution},
        "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
        "density": {"bandwidth_km": 150},
        "score": {"model": "fitted"},
    }
    (tmp_path / "s.csv").write_text("date,lat,lon\n2024-01-01,1,2\n")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(path)
    assert cfg.area.resolution == 1
    assert min(cfg.score.fitted.bandwidths_km) >= 483 / 4


# ------------------------------------------------------------ the overlays' PNG encoder


def _decoded(url: str) -> np.ndarray:
    from PIL import Image

    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


@pytest.mark.parametrize("shape", [(0, 3, 4), (3, 0, 4)])
def test_an_empty_overlay_is_refused_not_written_as_a_broken_png(shape):
    """A PNG of no rows or no columns: a data URL no browser decodes, written silently."""
    with pytest.raises(InputError, match="rows x columns x RGBA"):
        png_data_url(np.zeros(shape, dtype=np.uint8))


def test_an_overlay_of_floats_with_nan_is_transparent_there_without_a_warning():
    """A NaN pixel went through a cast numpy warns of, to whatever the platform gives."""
    a = np.full((2, 3, 4), 0.5)
    a[0, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _decoded(png_data_url(a))
    assert got[0, 1].tolist() == [0, 0, 0, 0]
    assert got[1, 2].tolist() == [128, 128, 128, 128]


def test_an_overlay_of_integers_is_refused_not_clipped_to_white():
    """0-255 integers were clipped to [0, 1] as floats: every pixel above 0 drew white."""
    with pytest.raises(InputError, match="uint8 or floats"):
        png_data_url(np.full((2, 2, 4), 7, dtype=np.int64))


def test_a_one_pixel_and_a_very_wide_overlay_decode_to_their_pixels():
    rng = np.random.default_rng(3)
    for shape in [(1, 1, 4), (1, 70_000, 4)]:
        a = rng.integers(0, 256, size=shape, dtype=np.uint8)
        assert np.array_equal(_decoded(png_data_url(a)), a)


# ----------------------------------------------- a row of column groups, a trailing ','


def test_a_group_row_over_a_header_repeating_a_name_is_skipped_not_every_record_lost(tmp_path):
    """``Reported,,Seized,,Position,`` over ``Date,Agency,Date,Agency,Lat,Lon``.

    A name repeated under two groups made the header not one: the group row was read as the
    header, every record was rejected as ragged_row and the note said every line ends with
    ','.  Now the header is line 2, and its repeated names are read as a header's are.
    """
    path = write_text(
        tmp_path,
        "merged.csv",
        "Reported,,Seized,,Position,\nDate,Agency,Date,Agency,Lat,Lon\n"
        "2024-03-05,Customs,2024-03-06,Navy,1.2,104.1\n"
        "2024-03-06,Customs,2024-03-07,Navy,1.3,104.2\n"
        "2024-03-07,Police,2024-03-09,Navy,1.3,104.2\n",
    )
    with pytest.raises(InputError, match=r"\['Date', 'Date\.1'\]"):
        read_seizures(path)
    res = read_seizures(SeizureSource(path=path, columns={"time": "Date.1", "agency": "Agency.1"}))
    assert_accounted(res)
    assert res.frame["time"].dt.day.tolist() == [6, 7, 9]
    assert res.frame["source_row"].tolist() == [3, 4, 5]
    assert not any("ends with" in n for n in res.notes)


def test_a_header_alone_ending_with_the_delimiter_is_not_said_to_be_every_line(tmp_path):
    """``date,lat,lon,`` over records without the ',': the note said every line ends so."""
    path = write_text(
        tmp_path, "t.csv", "date,lat,lon,\n2024-03-05,1.2,104.1\n2024-03-06,1.3,104.2\n"
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert len(res.frame) == 2
    said = [n for n in res.notes if "ends with" in n or "end with" in n]
    assert len(said) == 1 and "every line" not in said[0]
    assert "the header and 0 of the 2 lines below it" in said[0]


# --------------------------------------------------------------- the hostile corpus


def test_a_geojson_property_holding_an_object_is_read_not_a_traceback(tmp_path):
    """``"meta": {"agency": "Navy"}`` (a nested property) was a dict: unhashable, a traceback."""
    import json

    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"date": "2024-03-05", "meta": {"agency": "Navy"}},
                "geometry": {"type": "Point", "coordinates": [-61.75, 12.5]},
            },
            {
                "type": "Feature",
                "properties": {"date": "2024-03-06", "meta": {"agency": "Navy"}},
                "geometry": None,
            },
            {
                "type": "Feature",
                "properties": {"date": "2024-03-07", "meta": {"agency": "Coast Guard"}},
                "geometry": {"type": "Point", "coordinates": [-60.5, 13.25]},
            },
        ],
    }
    path = write_text(tmp_path, "nested.geojson", json.dumps(fc))
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [12.5, 13.25]
    assert res.rejects["rule"].tolist() == ["geometry_missing"]


def test_a_parquet_table_with_list_and_struct_columns_is_read_not_a_traceback(tmp_path):
    """A plain Parquet table's list and struct columns came as arrays and dicts: a traceback."""
    import pandas as pd

    path = tmp_path / "incidents.parquet"
    pd.DataFrame(
        {
            "date": ["2024-03-05", "2024-03-06"],
            "lat": [12.5, 13.25],
            "lon": [-61.75, -60.5],
            "tags": [["boarding", "night"], ["theft"]],
            "source": [{"agency": "Navy"}, {"agency": "Coast Guard"}],
        }
    ).to_parquet(path)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [12.5, 13.25]
    assert len(res.rejects) == 0


def test_a_gtd_export_is_dated_by_its_year_month_day_not_by_its_sparse_approxdate(tmp_path):
    """GTD's ``approxdate`` (filled only for approximate dates) was taken for the date by its
    values: every exactly dated record was rejected as date_missing."""
    path = write_text(
        tmp_path,
        "gtd.csv",
        "eventid,iyear,imonth,iday,approxdate,extended,resolution,country_txt,latitude,"
        "longitude,specificity,attacktype1_txt,nkill\n"
        "202403050001,2024,3,5,,0,,Haiti,18.539,-72.336,1,Armed Assault,2\n"
        '202403000002,2024,3,0,"March 2024",0,,Haiti,19.759,-72.199,1,Hijacking,0\n'
        "202403100003,2024,3,10,,1,03/20/2024,Haiti,19.759,-72.199,1,Hostage Taking,0\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert len(res.rejects) == 0
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05",
        "2024-03-01",
        "2024-03-10",
    ]
    assert any("iyear/imonth/iday" in n for n in res.notes)


def test_a_recaap_position_of_spaced_degree_minutes_with_letters_splits_after_its_n(tmp_path):
    """``12° 30.00' N, 061° 45.00' W`` split at its first space ('12°' and the rest): every
    record was rejected as coord_unparseable."""
    path = write_text(
        tmp_path,
        "recaap.csv",
        "Incident No,Date of Incident,Ship Name,Position,Classification\n"
        "SEA-2024-01,05-Mar-24,MV ALPHA,\"12° 30.00' N, 061° 45.00' W\",CAT 4\n"
        "SEA-2024-02,13-Mar-24,MT BETA,\"13° 15.00' S - 060° 30.00' W\",CAT 3\n"
        "SEA-2024-03,14-Mar-24,MT GAMMA,\"103° 39.00' E, 01° 03.00' N\",CAT 3\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert len(res.rejects) == 0
    assert res.frame["lat"].tolist() == [12.5, -13.25, 1.05]
    assert res.frame["lon"].tolist() == [-61.75, -60.5, 103.65]


def test_a_multipoint_of_one_point_is_that_point_and_of_two_is_still_refused(tmp_path):
    """Shapefile/ArcGIS layers keep points as MultiPoint: one position per record, read so.

    Each such record was rejected as ``geometry_not_point`` (a point layer lost whole); a
    MultiPoint of two positions has no one place and is still rejected.
    """
    import json

    def feature(date, geometry):
        return {"type": "Feature", "properties": {"date": date}, "geometry": geometry}

    fc = {
        "type": "FeatureCollection",
        "features": [
            feature("2024-03-05", {"type": "MultiPoint", "coordinates": [[-61.75, 12.5]]}),
            feature("2024-03-06", {"type": "Point", "coordinates": [-60.5, 13.25]}),
            feature(
                "2024-03-07",
                {"type": "MultiPoint", "coordinates": [[-61.0, 12.0], [-62.0, 11.0]]},
            ),
        ],
    }
    res = read_seizures(write_text(tmp_path, "multi.geojson", json.dumps(fc)))
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [12.5, 13.25]
    assert res.frame["lon"].tolist() == [-61.75, -60.5]
    assert res.rejects["rule"].tolist() == ["geometry_not_point"]


def test_an_empty_spreadsheet_row_is_no_record_as_a_blank_csv_line_is_none(tmp_path):
    """A row left empty between records was rejected as coord_missing; a CSV's is skipped."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Latitude", "Longitude", "Drug"])
    ws.append(["2023-01-05", 10.5, -60.2, "cocaine"])
    ws.append([])
    ws.append([None, None, None, None])
    ws.append(["2023-01-06", 11.5, -61.2, "heroin"])
    ws.append(["2023-01-07", None, -61.0, "heroin"])  # a record with no latitude: rejected
    path = tmp_path / "gaps.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.n_read == 3
    assert res.frame["source_row"].tolist() == [2, 5]
    assert res.rejects["rule"].tolist() == ["coord_missing"]
    assert res.rejects["row"].tolist() == [6]


def test_a_range_end_that_is_no_date_is_counted_in_the_note_not_dropped_silently(tmp_path):
    """An end such as '45000' (an Excel serial) left its record out of 'of N' unsaid."""
    path = write_text(
        tmp_path,
        "ged.csv",
        "id,date_start,date_end,latitude,longitude\n"
        "1,2024-03-01,2024-03-05,1.1,104.1\n"
        "2,2024-04-01,soon,1.2,104.2\n"
        "3,2024-05-01,,1.3,104.3\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    got = res.assumptions["dates"]["date_range"]
    assert got["records_spanning_days"] == 1 and got["end_unreadable"] == 1
    said = [n for n in res.notes if "date range" in n]
    assert len(said) == 1 and "1 of 1 records" in said[0]
    assert "1 end date(s) could not be read as dates (e.g. 'soon')" in said[0]


@pytest.mark.parametrize(
    ("bbox", "refused"),
    [((-2.0, 50.5, -0.8, 51.0), False), ((-5.0, -5.0, 5.0, 5.0), True)],
    ids=["area-without-0-0", "area-around-0-0"],
)
def test_a_placeholder_at_0_0_outside_the_area_is_out_of_the_runs_scope(tmp_path, bbox, refused):
    """A world-wide incident file's one (0, 0) record refused a run on the Solent: '1 of 1
    records in scope rejected (null_island)'. Outside the area it is out of scope, as the
    records elsewhere are; an area around (0, 0) still counts it."""
    import yaml

    import pipeline
    from pipeline.errors import DataQualityError

    rows = ["date,lat,lon"]
    rows += [f"2020-01-{d:02d},{10 + d},{40 + d}" for d in range(1, 10)]  # far away
    rows += ["2020-02-01,0,0"]
    rows += [f"2020-03-{d:02d},{bbox[1] + 0.1 * d:.2f},{bbox[0] + 0.1 * d:.2f}" for d in (1, 2)]
    path = write_text(tmp_path, "incidents.csv", "\n".join(rows) + "\n")
    raw = {
        "run": {"as_of": "2020-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": list(bbox), "resolution": 5},
        "inputs": {"seizures": [{"path": str(path)}]},
        "ingest": {"max_reject_rate": 0.2},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "timeline": {"months": 0},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "c.yaml")
    if refused:
        with pytest.raises(
            DataQualityError, match=r"1 of 3 records in scope rejected.*null_island"
        ):
            pipeline.run_pipeline(cfg)
    else:
        res = pipeline.run_pipeline(cfg)
        entry = res.manifest["inputs"]["seizures"][0]
        assert entry["by_rule"]["null_island"] == 1 and res.manifest["counts"]["seizures_used"] == 2
