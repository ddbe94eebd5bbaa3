"""A reader that loses a record stops the run: ``read = accepted + rejected``, checked.

The report's ``rejected`` was ``read - accepted``, so a reader that dropped a record without
writing it to the rejects file balanced there and the record was lost without a word (hFZ
found no check of it).  The ingest stage now checks the rejects (rows written and counts by
rule) make up the difference; here a reader is made to lose one record, or to reject one
under no rule, and the run must stop naming the file.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

import pipeline
import pipeline.ingest as ingest_api


def _config(tmp_path):
    (tmp_path / "seizures.csv").write_text(
        "date,lat,lon,commodity\n"
        "2024-01-05,43.1,5.1,cocaine\n"
        "2024-01-09,43.2,5.3,cocaine\n"
        "2024-01-11,43.3,5.2,heroin\n"
        "2024-01-12,95.0,5.2,heroin\n"  # a latitude out of range: a reject
    )
    raw = {
        "run": {"out_dir": str(tmp_path / "out"), "as_of": "2024-03-01"},
        "area": {"bbox": [4, 42, 7, 44], "resolution": 5},
        "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}], "tracks": []},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(raw))
    return pipeline.load_config(tmp_path / "run.yaml")


def test_a_balanced_file_runs(tmp_path):
    res = pipeline.run_pipeline(_config(tmp_path))
    (entry,) = res.manifest["inputs"]["seizures"]
    assert (entry["read"], entry["accepted"], entry["rejected"]) == (4, 3, 1)


@pytest.mark.parametrize("how", ["a record dropped", "a reject of no rule"])
def test_a_reader_losing_a_record_stops_the_run_naming_the_file(tmp_path, monkeypatch, how):
    real = ingest_api.read_seizures

    def losing(*args, **kwargs):
        result = real(*args, **kwargs)
        if how == "a record dropped":  # neither accepted nor among the rejects
            return dataclasses.replace(result, frame=result.frame.iloc[1:])
        return dataclasses.replace(result, by_rule={})  # a row written, counted by no rule

    monkeypatch.setattr(ingest_api, "read_seizures", losing)
    with pytest.raises(RuntimeError, match=r"seizures\.csv'.*records would be lost"):
        pipeline.run_pipeline(_config(tmp_path))
    assert not (tmp_path / "out" / "current").exists()  # nothing published


def test_route_risk_ingest_checks_the_same_balance(tmp_path, monkeypatch):
    # `route-risk ingest FILE` reports read, accepted and rejected on their own: a lost
    # record showed as 4 read, 2 accepted, 1 rejected, with exit 0 (hGA)
    import pipeline.ingest.seizures as seizures_module
    from pipeline.ingest import summarise_ingest

    _config(tmp_path)  # writes seizures.csv
    path = tmp_path / "seizures.csv"
    assert summarise_ingest("seizures", path)["rejected"] == 1
    real = seizures_module.read_seizures

    def losing(*args, **kwargs):
        result = real(*args, **kwargs)
        return dataclasses.replace(result, frame=result.frame.iloc[1:])

    monkeypatch.setattr(seizures_module, "read_seizures", losing)
    with pytest.raises(RuntimeError, match=r"seizures\.csv'.*read 4 records, accepted 2 but"):
        summarise_ingest("seizures", path)
