"""Leftovers of the hostile round on the output folder (round 12, second part).

Names of input files that hold a newline, an escape or a bidi override; an input pattern
whose names cannot be read; a lock file whose record route-risk did not write; and a
manifest with an optional field missing.  Each test names what went wrong before its fix.
"""

from __future__ import annotations

import fcntl
import json
import os

import pytest
from _ingest_stage import feed_of_one_reject_each, ingest_alone
from conftest import copy_published

from pipeline.cli import main
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


#: Names a feed's files may have that no file route-risk writes may: a newline, a terminal
#: escape, a bidi override (the name reads backwards), a '%' (a config refuses a name that
#: is not UTF-8: :func:`safe_file_stem` alone meets one).
HOSTILE = ["a\nb", "c\x1b[31md", "e\u202efsc.vsc", "100%0A"]


@pytest.mark.parametrize("chunk_rows", [None, 2])
def test_a_rejects_file_is_never_named_with_the_control_characters_of_its_input(
    tmp_path, chunk_rows
):
    # Before: a track file named "a\nb.csv" gave rejects/tracks-a\nb.csv, a newline (an
    # escape sequence, a bidi override) in a file name in the output folder and the manifest.
    feed = tmp_path / "feed"
    files = feed_of_one_reject_each(feed, HOSTILE)
    names = []
    for label in ("night1", "night2"):
        state = ingest_alone(tmp_path, label, files, chunk_rows)
        written = sorted(os.listdir(tmp_path / label / "staging" / "rejects"))
        for name in written:
            assert name.isprintable() and "\u202e" not in name, repr(name)
        recorded = [e["rejects_file"] for e in state.ingest_report["tracks"]]
        assert sorted(os.path.basename(r) for r in recorded) == written
        assert len(set(written)) == len(files)  # each input its own file: nothing collides
        # the mapping is stated in the manifest's notes, the input's name escaped
        said = [n for n in state.notes if "its rejects file is" in n]
        assert len(said) == len(files)
        assert all(n.isprintable() for n in said)
        assert any("'a\\nb.csv'" in n and "rejects/tracks-a%0Ab.csv (" in n for n in said)
        names.append(written)
    assert names[0] == names[1]  # the same names, night after night
    assert "tracks-a%0Ab.csv" in names[0]
    assert "tracks-100%250A.csv" in names[0]  # not the name "100\n" would give


def test_a_safe_stem_is_reversible_and_within_a_file_names_bytes():
    # Before: a stem of 251 bytes made "seizures-<stem>.csv" longer than a name may be.
    from pipeline.ingest import safe_file_stem

    long = "\u202e" * 100 + "x" * 200
    safe = safe_file_stem(long)
    assert len(f"seizures-{safe}-2.csv".encode()) <= 255
    assert safe != safe_file_stem(long[:-1])
    assert safe_file_stem("plain name (1)") == "plain name (1)"
    from urllib.parse import unquote_to_bytes

    for stem in [*HOSTILE, "g\udcffh"]:
        assert unquote_to_bytes(safe_file_stem(stem)) == os.fsencode(stem)


def test_status_of_a_pattern_whose_names_cannot_be_read_says_so(
    published, tmp_path, capsys, monkeypatch
):
    # Before: a pattern like /proc/1/**/* (a link this user may not read) ended `status`,
    # which only reads, in "Permission denied ... run as a user who may write" (exit 2).
    out, manifest = copy_published(published, tmp_path)
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "ok.csv").write_text("a\n")
    (feed / "secret.csv").symlink_to(feed / "ok.csv")
    real = os.path.realpath

    def realpath(path, *args, **kwargs):
        if "secret" in os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", realpath)
    m = json.loads(manifest.read_text())
    pattern = str(feed / "*.csv")
    m["input_patterns"] = [{"input": "tracks", "pattern": pattern, "files": [str(feed / "ok.csv")]}]
    manifest.write_text(json.dumps(m))
    capsys.readouterr()
    assert main(["status", str(out), "--no-verify"]) == 1
    text = capsys.readouterr().out
    assert "could not be read" in text and "secret.csv" in text
    assert "may write" not in text


def test_a_permission_error_of_status_asks_for_a_user_who_may_read(
    published, tmp_path, capsys, monkeypatch
):
    # Before: every PermissionError said "run as a user who may write there", also for the
    # commands that only read.
    import pipeline.run

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/srv/x")

    monkeypatch.setattr(pipeline.run, "run_status", refused)
    monkeypatch.setattr(pipeline.run, "run_history", refused)
    for command in ("status", "history"):
        assert main([command, str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "may read" in err and "may write" not in err


@pytest.mark.parametrize(
    "record",
    [
        '{"pid": true, "host": "h", "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": "4242", "host": "h", "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": 4242.5, "host": "h", "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": -1, "host": "h", "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": 0, "host": "h", "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": 4242, "host": 5, "since": "2026-01-01T00:00:00+00:00"}',
        '{"pid": 4242, "host": "h", "since": "yesterday"}',
        '{"pid": 4242, "host": "h"}',
        "not json",
    ],
)
def test_a_malformed_lock_record_is_reported_as_such(published, tmp_path, capsys, record):
    # Before: "pid": true printed "process True on host 'h'"; a string, a negative, a
    # float or text that is no JSON was said as nothing at all.
    out, _ = copy_published(published, tmp_path)
    lock = out / ".route-risk.lock"
    lock.write_text(record + "\n")
    with open(lock) as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # another process holds it, as a run would
        st = run_status(out, verify=False)
        capsys.readouterr()
        main(["status", str(out), "--no-verify"])
        text = capsys.readouterr().out
    assert st["running"] is True
    assert set(st["lock_holder"]) == {"malformed"}
    assert "process True" not in text and "process -1" not in text
    assert "lock file holds no record route-risk writes" in text


def test_a_wellformed_lock_record_names_its_process(published, tmp_path, capsys):
    out, _ = copy_published(published, tmp_path)
    lock = out / ".route-risk.lock"
    lock.write_text('{"pid": 4242, "host": "nas-a", "since": "2026-01-01T00:00:00+00:00"}\n')
    with open(lock) as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        capsys.readouterr()
        main(["status", str(out), "--no-verify"])
        text = capsys.readouterr().out
    assert "process 4242 on host 'nas-a' since 2026-01-01T00:00:00+00:00" in text


@pytest.mark.parametrize(
    "path",
    [
        ("as_of",),
        ("started",),
        ("timings_s",),
        ("stages",),
        ("counts", "cells"),
        ("previous_run",),
        ("code_version",),
        ("outputs", "map"),
    ],
)
def test_a_manifest_without_an_optional_field_shows_no_none(published, tmp_path, capsys, path):
    # Before: `history` showed "None s" for a run whose seconds are unknown ("0 s" when its
    # timings were missing: a quiet wrong value), "as_of None", "None cells"; `status`
    # "as_of None".
    out, manifest = copy_published(published, tmp_path)
    m = json.loads(manifest.read_text())
    node = m
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    manifest.write_text(json.dumps(m))
    capsys.readouterr()
    for argv in (["history", str(out)], ["status", str(out), "--no-verify"]):
        main(argv)
        text = capsys.readouterr().out
        assert "None" not in text, text
    if path == ("timings_s",):
        assert run_history(out)[0]["seconds"] is None


def test_an_up_to_date_night_without_the_run_it_matched_shows_no_none(published, tmp_path, capsys):
    # Before: "inputs, config and as_of unchanged since run None".
    out, _ = copy_published(published, tmp_path)
    night = out / "runs" / "29991231T000000Z-abcdef"
    night.mkdir()
    night.joinpath("status.json").write_text(
        json.dumps({"status": "up_to_date", "started": "2999-12-31T00:00:00+00:00"})
    )
    capsys.readouterr()
    for argv in (["history", str(out)], ["status", str(out), "--no-verify"]):
        main(argv)
        text = capsys.readouterr().out
        assert "None" not in text, text
