"""``as_of: yesterday`` / ``today``: a nightly job's map moves a day each night by itself.

With a fixed ``run.as_of`` the nightly map never moved on (later seizures rejected as
``after_as_of``, later pings left out); without one it is the day of the latest seizure, so
the days of pings after it were left out.  The words name the UTC day of, or before, the
run's start, once: the run key, the manifest and every stage see that date.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import QUICK, small_config
from test_cli import cli_here

from pipeline.config import as_of_day
from pipeline.errors import ConfigError


def _days(offset: int) -> set[str]:
    """The UTC day ``offset`` days before now, now and a moment later (a run at midnight)."""
    now = dt.datetime.now(dt.UTC)
    return {
        (t.date() - dt.timedelta(days=offset)).isoformat()
        for t in (now, now + dt.timedelta(minutes=10))
    }


def test_the_words_name_the_utc_day_of_the_run_start():
    start = dt.datetime(2026, 12, 2, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    # 00:30 at +02:00 is 22:30 UTC the day before: the UTC day counts
    assert as_of_day("today", start) == dt.date(2026, 12, 1)
    assert as_of_day(" Yesterday ", start) == dt.date(2026, 11, 30)
    for other in ("2026-06-30", dt.date(2026, 6, 30), None, "tomorrow"):
        assert as_of_day(other, start) is other


def test_a_nightly_config_with_as_of_yesterday_maps_the_day_before(small_demo, tmp_path):
    import pipeline
    from pipeline.runner.stages import resolve_as_of

    cfg = small_config(small_demo, tmp_path, run={"as_of": "yesterday"}, **QUICK)
    assert cfg.run.as_of == "yesterday"
    res = pipeline.run_pipeline(cfg)
    assert res.manifest["as_of"] in _days(1)
    assert res.manifest["as_of_rule"] == "yesterday (UTC, at the run's start)"
    assert res.manifest["config"]["run"]["as_of"] == res.manifest["as_of"]  # the date used
    # the same day again: up to date (the key holds the date, not the word)
    assert pipeline.run_pipeline(cfg).up_to_date
    # the date given as such is the same run
    dated = small_config(small_demo, tmp_path, run={"as_of": res.manifest["as_of"]}, **QUICK)
    assert pipeline.run_pipeline(dated).up_to_date
    end = resolve_as_of("yesterday")
    assert end.date().isoformat() in _days(1) and end.hour == 23


def test_as_of_today_on_the_command_line(small_demo, tmp_path, capsys):
    import json

    cfg = small_config(small_demo, tmp_path, **QUICK)
    code, _, err = cli_here(capsys, "run", str(cfg.source), "--as-of", "today", "-q")
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["as_of"] in _days(0) and manifest["as_of_rule"].startswith("today")


def test_a_word_that_names_no_day_is_refused(small_demo, tmp_path, capsys):
    with pytest.raises(ConfigError, match="as_of"):
        small_config(small_demo, tmp_path, run={"as_of": "tomorrow"})
    cfg = small_config(small_demo, tmp_path, **QUICK)
    code, _, err = cli_here(capsys, "run", str(cfg.source), "--as-of", "tomorrow")
    assert code == 2 and "as_of must be a date" in err and len(err.strip().splitlines()) == 1
    assert "yesterday or today" in err  # the forms it takes


def test_the_config_takes_the_words_as_the_command_line_does(small_demo, tmp_path):
    # --as-of " Yesterday" was taken, the same in the config refused; a misspelt word was
    # told "input is too short ... (and 1 more problem)": the words were the hidden problem
    assert small_config(small_demo, tmp_path, run={"as_of": " Yesterday"}).run.as_of == "yesterday"
    assert small_config(small_demo, tmp_path, run={"as_of": "TODAY"}).run.as_of == "today"
    for bad in ("yesterdy", "2026-13-01"):
        with pytest.raises(ConfigError) as refused:
            small_config(small_demo, tmp_path, run={"as_of": bad})
        text = str(refused.value)
        assert (
            f"run.as_of: must be a UTC date like 2026-06-30, or yesterday or today, got {bad!r}"
            in text
        )
        assert "more problem" not in text


def test_as_of_yesterday_on_the_command_line_is_the_date_given_there(small_demo, tmp_path):
    import pipeline

    cfg = small_config(small_demo, tmp_path, **QUICK)
    res = pipeline.run_pipeline(cfg, as_of="yesterday")
    assert res.manifest["as_of"] in _days(1) and res.manifest["as_of_rule"].startswith("yes")
    assert pipeline.run_pipeline(cfg, as_of=res.manifest["as_of"]).up_to_date


class _Clock(dt.datetime):
    """A ``datetime`` whose ``now`` is ``_Clock.at`` (the run module's clock, faked)."""

    at = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.at if tz is not None else cls.at.replace(tzinfo=None)


def test_two_nights_of_yesterday_publish_the_tables_of_the_dates(small_demo, tmp_path, monkeypatch):
    """The day is named from the start the manifest records, and night two's run (cached
    from night one) publishes the bytes of a cold run given that date: no entry of a cache
    is shared by two days (pings of the day after as_of were left out on night one)."""
    import importlib
    import types

    import pipeline

    clock = types.SimpleNamespace(datetime=_Clock, date=dt.date, timedelta=dt.timedelta, UTC=dt.UTC)
    monkeypatch.setattr(importlib.import_module("pipeline.run"), "dt", clock)
    nightly = small_config(small_demo, tmp_path / "a", run={"as_of": "yesterday"}, **QUICK)
    got = []
    for start in ("2026-06-30T02:00", "2026-07-01T02:00", "2026-07-01T20:00"):
        _Clock.at = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
        got.append(pipeline.run_pipeline(nightly))
    first, second, later = got
    assert first.manifest["started"].startswith("2026-06-30T02:00")
    assert first.manifest["as_of"] == "2026-06-29"  # the UTC day before the start recorded
    assert first.manifest["counts"]["pings_after_as_of"] > 0  # the demo's AIS ends 06-30
    assert second.manifest["as_of"] == "2026-06-30" and not second.up_to_date
    assert later.up_to_date and later.run_id == second.run_id  # the same day: the same run
    dated = small_config(small_demo, tmp_path / "b", **QUICK)  # as_of 2026-06-30
    cold = pipeline.run_pipeline(dated)
    assert cold.manifest["counts"]["pings_after_as_of"] == 0
    for name in ("scores.csv", "scores.parquet", "features.parquet", "pings.parquet"):
        assert (second.out_dir / name).read_bytes() == (cold.out_dir / name).read_bytes(), name
