"""Review of the day's merged changes (hGA): what the new rules let through or refuse.

A delimiter the options accept must be one the readers split by: the table reader (pyarrow)
takes an ASCII character only, so a ``delimiter: '¦'`` passed the new check and ended the
run as an internal error (ValueError "Expecting an ASCII character", exit 70, a traceback).
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from test_cli import cli_here

from pipeline.ingest.options import SeizureSource, TrackSource


@pytest.mark.parametrize("model", [SeizureSource, TrackSource], ids=["seizures", "tracks"])
@pytest.mark.parametrize("delimiter", ["¦", "§", "；"], ids=["broken-bar", "section", "wide"])
def test_a_delimiter_the_table_reader_cannot_split_by_is_refused(model, delimiter):
    with pytest.raises(ValidationError, match=r"delimiter must be one character.*ASCII"):
        model(path="f.csv", delimiter=delimiter)


@pytest.mark.parametrize("model", [SeizureSource, TrackSource], ids=["seizures", "tracks"])
@pytest.mark.parametrize("delimiter", [",", ";", "|", " ", "\x1f", "~"])
def test_an_ascii_delimiter_is_still_taken(model, delimiter):
    assert model(path="f.csv", delimiter=delimiter).delimiter == delimiter


def test_a_run_with_a_non_ascii_delimiter_ends_in_one_line_and_exit_2(tmp_path, capsys):
    rows = [
        ["date", "lat", "lon", "commodity"],
        ["2024-01-05", "10.5", "-60.2", "cocaine"],
        ["2024-02-07", "10.6", "-60.1", "cocaine"],
    ]
    (tmp_path / "s.csv").write_text("\n".join("¦".join(r) for r in rows) + "\n", "utf-8")
    raw = {
        "run": {"out_dir": str(tmp_path / "out"), "as_of": "2024-03-01"},
        "area": {"bbox": [-62, 9, -59, 12], "resolution": 5},
        "inputs": {"seizures": [{"path": str(tmp_path / "s.csv"), "delimiter": "¦"}]},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
    }
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    code, out, err = cli_here(capsys, "run", cfg)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "delimiter" in lines[0] and "ASCII" in lines[0]
