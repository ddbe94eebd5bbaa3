"""Tests that a second mutation review (safety and accounting) found missing.

Each test pins one promise of the product that a small, plausible hand-made bug broke with
every other test still passing.  The expected values come from an independent check (the
OWASP prefix list written out here, :mod:`hashlib` over the whole file, the bytes of a zip
built here), never from the code under test.
"""

from __future__ import annotations

import csv
import hashlib

import pandas as pd

from pipeline.io import neutralise_formulas, sha256_file, write_csv

#: OWASP "CSV Injection": a cell starting with one of these is run as a formula.
OWASP_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def test_a_tab_or_carriage_return_first_is_quoted_whatever_follows():
    """A leading tab or CR is a formula prefix on its own, not only before a sign."""
    cells = ["\tcmd", "\rcmd", "\t1", "\rA1", "plain", "a\tb"]
    out = neutralise_formulas(pd.DataFrame({"c": cells}))["c"].tolist()
    expected = ["'" + c if c.startswith(OWASP_PREFIXES) else c for c in cells]
    assert out == expected
    assert out[:4] == ["'\tcmd", "'\rcmd", "'\t1", "'\rA1"]


def test_a_tab_first_cell_is_quoted_in_the_written_csv(tmp_path):
    """Read back with the csv module: the tab-first value and column name start with a quote."""
    path = write_csv(pd.DataFrame({"\tname": ["\tcalc", "ok"]}), tmp_path / "t.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["'\tname"], ["'\tcalc"], ["ok"]]


def test_sha256_file_hashes_every_chunk(tmp_path):
    """The manifest's hash covers the whole file, not its first chunk (outputs pass 1 MiB)."""
    data = bytes(range(256)) * 40  # 10 240 bytes
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_bytes=1000) == hashlib.sha256(data).hexdigest()
    # the default chunk: a file over 1 MiB, its last byte changed, changes the hash
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * ((1 << 20) + 1))
    assert sha256_file(big) == hashlib.sha256(big.read_bytes()).hexdigest()


def test_a_linked_run_folder_is_not_a_run_and_pruning_leaves_its_target(tmp_path):
    """``runs/<run_id>`` that is a symbolic link is never listed, pruned or followed."""
    from pipeline.runner.publish import prune_runs, run_dirs

    out = tmp_path / "out"
    (out / "runs" / "20240101T000000Z-aaaaaa").mkdir(parents=True)
    (out / "runs" / "20240101T000000Z-aaaaaa" / "manifest.json").write_text("{}")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "manifest.json").write_text("{}")
    (victim / "keep.csv").write_text("a\n")
    (out / "runs" / "20240102T000000Z-bbbbbb").symlink_to(victim, target_is_directory=True)
    assert [p.name for p in run_dirs(out)] == ["20240101T000000Z-aaaaaa"]
    assert prune_runs(out, keep=0) == ["20240101T000000Z-aaaaaa"]
    assert sorted(p.name for p in victim.iterdir()) == ["keep.csv", "manifest.json"]
    assert (out / "runs" / "20240102T000000Z-bbbbbb").is_symlink()


def test_a_rejected_value_is_written_as_the_file_holds_it(tmp_path):
    """The rejects' ``value`` is the cell verbatim (blanks kept), with file, line and column."""
    from pipeline.ingest import read_seizures

    path = tmp_path / "s.csv"
    path.write_text(
        "date,lon,lat,commodity\n"
        "2024-01-02,10.0,  abc ,cocaine\n"
        "2024-01-03,10.0,5.0,cocaine\n"
        "2024-01-05,1e9 ,5.0,heroin\n"
    )
    res = read_seizures(path, as_of="2024-12-31")
    got = res.rejects[["source_file", "row", "column", "value"]].astype(object)
    assert got.values.tolist() == [["s.csv", 2, "lat", "  abc "], ["s.csv", 4, "lon", "1e9 "]]
    assert res.n_read == 3 == len(res.frame) + len(res.rejects)


def test_publish_switches_current_and_drops_the_link_of_an_output_no_longer_made(tmp_path):
    """After the switch every top-level link resolves: one to an output the new run does not
    make is removed (it would dangle), and files outside route-risk's links are untouched."""
    import os

    from pipeline.runner.publish import publish

    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "notes.txt").write_text("mine\n")

    def publish_set(run_id, names):
        staging = out / "runs" / f".staging-{run_id}"
        staging.mkdir()
        for name in names:
            (staging / name).write_text(f"{run_id} {name}\n")
        (staging / "manifest.json").write_text("{}")
        return publish(staging, out, run_id, names)

    publish_set("20240101T000000Z-aaaaaa", ["a.csv", "b.csv"])
    assert (out / "b.csv").read_text() == "20240101T000000Z-aaaaaa b.csv\n"
    publish_set("20240102T000000Z-bbbbbb", ["a.csv"])
    assert os.readlink(out / "current") == "runs/20240102T000000Z-bbbbbb"
    assert sorted(os.listdir(out)) == ["a.csv", "current", "manifest.json", "notes.txt", "runs"]
    assert (out / "a.csv").read_text() == "20240102T000000Z-bbbbbb a.csv\n"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (out / "runs" / "20240101T000000Z-aaaaaa" / "b.csv").is_file()  # the old run kept
