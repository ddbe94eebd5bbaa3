"""Review of real exports as an analyst meets them, round 27 (Excel, database, QGIS shapes).

A worksheet of incidents with a row of merged column groups over its header (``Event;;
Position;;Details``) saved as CSV by Excel keeps the sheet's used range: every line, the
header included, ends in empty fields (``...;Vessel;;``).  The group row was then taken for
the header (its group test wanted every header cell named), and the records were read
under ``Event``, ``Position``, ``Details``: with decimal commas the file was refused as FIT
semicircles, with decimal points all 400 records were rejected as unparseable coordinates.
Under a title line the group row was never looked for (only a first line could be one).
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import write_text

from pipeline.ingest import read_seizures

RECORDS = [
    ("05/03/2021", "12:30", "103,8012", "1,2504", "Boarded", "MV Alpha"),
    ("17/04/2021", "#N/A", "104,1033", "1,1811", "Attempted", "MV Beta"),
    ("02/06/2021", "03:15", "-4,2511", "5,1203", "Hijacked", "MV Gamma"),
    ("21/09/2021", "#N/A", "49,5012", "11,7705", "Fired upon", "MV Delta"),
    ("30/11/2021", "22:05", "108,3391", "-6,8820", "Boarded", "MV Epsilon"),
]
HEADER = "Date;Time;Longitude;Latitude;Attack type;Vessel;;"
GROUPS = "Event;;Position;;Details;;;"
TITLE = "Piracy report 2021;;;;;;;"


def _excel_csv(tmp_path, above: list[str], decimal: str = ",") -> tuple:
    lines = [*above, HEADER]
    for rec in RECORDS:
        lines.append(";".join(v.replace(",", decimal) for v in rec) + ";;")
    lines.append(f"Total;{len(RECORDS)};;;;;;")
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    return write_text(tmp_path, "attacks.csv", text), len(above) + 2


@pytest.mark.parametrize(
    ("above", "decimal"),
    [
        ([GROUPS], ","),
        ([GROUPS], "."),
        ([TITLE, GROUPS], ","),
        ([TITLE, GROUPS], "."),
        ([TITLE], ","),
        ([], ","),
    ],
    ids=["groups-comma", "groups-dot", "title-groups-comma", "title-groups-dot", "title", "none"],
)
def test_an_excel_csv_with_trailing_empty_columns_skips_its_group_row(tmp_path, above, decimal):
    path, first = _excel_csv(tmp_path, above, decimal)
    res = read_seizures(path)
    assert (res.n_read, res.n_accepted, res.n_rejected) == (6, 5, 1)
    frame = res.frame.sort_values("source_row")
    assert frame["source_row"].tolist() == list(range(first, first + 5))
    assert frame["lon"].tolist() == [float(r[2].replace(",", ".")) for r in RECORDS]
    assert frame["lat"].tolist() == [float(r[3].replace(",", ".")) for r in RECORDS]
    days = pd.to_datetime([r[0] for r in RECORDS], format="%d/%m/%Y")
    assert (frame["time"].dt.tz_convert(None).dt.normalize() == days).all()
    # the totals row is the one reject, at its physical line
    assert res.rejects["row"].tolist() == [first + 5]
