"""The published folder as operators handle it: copied, moved, served, shared, odd paths, clocks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import cli_here

import pipeline
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _cli(
    *args: str, logs: Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run ``route-risk`` as a scheduler would (a new process, text logs, ``env`` added).

    The process is forked from tests/_forked.py's server, which imported the pipeline once
    (a fresh interpreter spends about 1.5 s of CPU on its imports; six commands here): still a
    process of its own, with its own lock file descriptions, exit code and signals; its
    output is kept in ``logs``.  :func:`_cli_fresh` starts a fresh interpreter where the
    claim is about the process's start (its time zone).
    """
    from _forked import run_forked

    argv = [*args, "--log-format", "text"]
    code, out, err = run_forked(argv, logs, env=env, cwd=cwd)
    return subprocess.CompletedProcess(argv, code, out, err)


#: Runs each command line of ``sys.argv[1]`` (JSON) through ``route-risk``'s ``main`` in turn,
#: printing each one's exit code and a separator line after its output.
_COMMANDS = """
import json, sys
from pipeline.cli import main
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    for stream in (sys.stdout, sys.stderr):
        print(f"--- exit {code}", file=stream, flush=True)
"""


def _cli_fresh(*commands: list[str], **env: str) -> list[subprocess.CompletedProcess]:
    """Run ``commands`` in turn in one fresh interpreter started with ``env`` added.

    For the claims about what a process reads as it starts (``TZ``): the commands see the
    environment from the interpreter's first import on, as a night started by cron would; one
    interpreter for the lot pays its imports once.
    """
    import json

    argvs = [[*c, "--log-format", "text"] for c in commands]
    proc = subprocess.run(
        [sys.executable, "-c", _COMMANDS, json.dumps(argvs)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **env},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    outs = re.split(r"^--- exit (-?\d+)\n", proc.stdout, flags=re.M)
    errs = re.split(r"^--- exit (-?\d+)\n", proc.stderr, flags=re.M)
    assert len(outs) == len(errs) == 2 * len(argvs) + 1, (proc.stdout, proc.stderr)
    return [
        subprocess.CompletedProcess(argv, int(outs[2 * i + 1]), outs[2 * i], errs[2 * i])
        for i, argv in enumerate(argvs)
    ]


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("cp", "tar", "zip", "unzip")), reason="cp, tar, zip"
)
def test_copies_made_with_cp_tar_or_zip_stand_alone(published, tmp_path):
    _, out, run_id = published
    original = tmp_path / "original"
    shutil.copytree(out, original, symlinks=True)
    copies = {"cp -a": tmp_path / "cp", "tar": tmp_path / "untarred" / "original"}
    subprocess.run(["cp", "-a", str(original), str(copies["cp -a"])], check=True)
    (tmp_path / "untarred").mkdir()
    archive = tmp_path / "out.tar"
    subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(archive), "original"], check=True)
    subprocess.run(["tar", "-C", str(tmp_path / "untarred"), "-xf", str(archive)], check=True)
    map_bytes = (original / "risk_map.html").read_bytes()
    shutil.rmtree(original)  # a link into the original (an absolute target) now leads nowhere
    for how, copy in copies.items():
        assert os.readlink(copy / "current") == f"runs/{run_id}", how
        assert (copy / "risk_map.html").read_bytes() == map_bytes, how
        st = run_status(copy)
        assert st["attention"] == [] and st["published"]["verified"] is True, how
        assert st["published"]["map"] == str(copy / "risk_map.html"), how
        assert [h["run_id"] for h in run_history(copy)] == [run_id]
    # a copy that followed the links (zip -r; a zip opened on Windows): the map and tables
    # are plain files that open, and status says in one line why it cannot vouch for them
    zipped = tmp_path / "zipped"
    zipped.mkdir()
    subprocess.run(["zip", "-qr", str(tmp_path / "o.zip"), "cp"], cwd=tmp_path, check=True)
    subprocess.run(["unzip", "-q", str(tmp_path / "o.zip")], cwd=zipped, check=True)
    assert (zipped / "cp" / "risk_map.html").read_bytes() == map_bytes
    proc = _cli("status", str(zipped / "cp"), logs=tmp_path / "logs")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "current' is not the link route-risk makes" in proc.stderr


def test_a_web_server_serving_the_folder_serves_the_published_map(published):
    import http.client
    import socket
    import time

    _, out, run_id = published
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=out,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/risk_map.html")
                break
            except OSError:
                time.sleep(0.05)
        page = conn.getresponse().read()
        conn.request("GET", "/manifest.json")
        manifest = json.loads(conn.getresponse().read())
    finally:
        server.terminate()
        server.wait()
    assert page == (out / "runs" / run_id / "risk_map.html").read_bytes()
    assert manifest["run_id"] == run_id
    # the map loads nothing beside it (its data and scripts are inside): it works at
    # OUT/risk_map.html, at runs/<id>/risk_map.html and in any copy alike
    text = page.decode()
    local = [
        ref
        for ref in re.findall(r'(?:src|href)="([^"#][^"]*)"', text)
        if not ref.startswith(("http:", "https:", "data:"))
    ]
    assert local == []


def test_a_run_into_a_copy_given_by_out_is_a_new_run_that_names_its_folder(published, tmp_path):
    cfg, out, run_id = published
    copy = tmp_path / "moved"
    shutil.copytree(out, copy, symlinks=True)
    # the README: the output folder is part of a run's key, so the first run into a copied
    # or moved folder is a new run (its stages from the copied cache) - also when the folder
    # is given by --out rather than by an edited run.out_dir
    res = pipeline.run_pipeline(cfg, out_dir=copy)
    assert not res.up_to_date and res.run_id != run_id
    assert all(res.manifest["stages"][s]["cached"] for s in ("ingest", "cells", "features"))
    # the manifest names the folder the run published into, not the config's other one
    assert res.manifest["config"]["run"]["out_dir"] == str(copy)
    assert pipeline.run_pipeline(cfg, out_dir=copy).up_to_date  # the next night: nothing to do
    # and so for the config's own folder: unchanged, still up to date
    assert pipeline.run_pipeline(cfg).up_to_date
    # a relative --out: the folder under the night's working directory, recorded absolute
    # (the command line alone says 'moved', which does not say where)
    elsewhere = tmp_path / "cron-home"
    shutil.copytree(out, elsewhere / "moved", symlinks=True)
    proc = _cli("run", str(cfg.source), "--out", "moved", cwd=elsewhere, logs=tmp_path / "logs")
    assert proc.returncode == 0, proc.stderr
    m = json.loads((elsewhere / "moved" / "manifest.json").read_text())
    assert m["config"]["run"]["out_dir"] == str(elsewhere / "moved")
    assert m["command_line"][-4:-2] == ["--out", "moved"] and m["run_id"] != res.run_id


def test_an_output_folder_that_is_itself_a_link_is_refused_naming_the_folder_it_leads_to(
    published, tmp_path, capsys
):
    cfg, out, _ = published
    real = tmp_path / "data" / "out"
    shutil.copytree(out, real, symlinks=True)
    before = sorted(p.name for p in real.iterdir())
    link = tmp_path / "www-maps"  # a deploy link: the web server serves this path
    link.symlink_to(real, target_is_directory=True)
    proc = _cli("run", str(cfg.source), "--out", str(link), "--force", logs=tmp_path / "logs")
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr
    # the link is the output folder itself, not one inside it, and removing the operator's
    # deploy link is not the way out: the folder it leads to is
    assert "in the output folder" not in err[0]
    assert f"output folder {str(link)!r} is itself a symbolic link" in err[0]
    assert str(real) in err[0]
    assert sorted(p.name for p in real.iterdir()) == before and link.is_symlink()
    # reached through a linked parent, the same folder runs (only links inside it are refused;
    # in-process: the refusal above was the separate process's)
    parent = tmp_path / "via"
    parent.symlink_to(real.parent, target_is_directory=True)
    assert cli_here(capsys, "run", cfg.source, "--out", parent / "out", "-q")[0] == 0
    assert run_status(parent / "out")["attention"] == []


def test_a_busy_folder_says_which_host_s_process_holds_its_lock(
    published, tmp_path, monkeypatch, capsys
):
    import pipeline.runner.publish as P

    cfg, out, _ = published
    shared = tmp_path / "nfs" / "out"  # a folder two hosts run into (NFS)
    shutil.copytree(out, shared, symlinks=True)
    # a run of the other host holds the lock (this process, named as that host): on this
    # host no process holds it, so 'wait for it to finish' alone sends the operator to ps
    monkeypatch.setattr("socket.gethostname", lambda: "nas-a")
    with P.lock(shared):
        busy = _cli("run", str(cfg.source), "--out", str(shared), logs=tmp_path / "logs")
        status = _cli("status", str(shared), logs=tmp_path / "logs")
        st = run_status(shared)
    assert busy.returncode == 75, busy.stderr
    said = f"process {os.getpid()} on host 'nas-a' since "
    assert said in busy.stderr and "a host that went down keeps its lock" in busy.stderr
    assert f"running        a run is in progress (it holds the folder's lock: {said}" in (
        status.stdout
    )
    assert st["running"] and st["lock_holder"]["host"] == "nas-a"
    assert st["lock_holder"]["pid"] == os.getpid()
    # released: nobody is named, and a record a killed holder left is not a holder (here,
    # this host's own name again, the commands in-process: no lock between processes left)
    monkeypatch.undo()
    assert P.lock_holder(shared) is None
    (shared / P.LOCK).write_text(json.dumps({"pid": 1, "host": "nas-a", "since": "x"}))
    st = run_status(shared)
    assert not st["running"] and st["lock_holder"] is None
    code, said, _ = cli_here(capsys, "status", shared)
    assert code == 0 and "running" not in said
    # the run that follows takes the lock over that record
    assert cli_here(capsys, "run", cfg.source, "--out", shared)[0] == 0
    assert (shared / P.LOCK).read_text() == ""


def test_the_tz_of_the_night_changes_no_id_time_or_day(published, tmp_path):
    import datetime as dt

    cfg, out, run_id = published
    auckland = {"TZ": "Pacific/Auckland"}  # UTC+13 in December: its date is often UTC's + 1
    copy = tmp_path / "tz"
    shutil.copytree(out, copy, symlinks=True)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # cron (TZ unset) made the run; a shell in Auckland finds it up to date, runs into a
    # copy as of yesterday and reads its history and status
    again, proc, hist, status = _cli_fresh(
        ["run", str(cfg.source)],
        ["run", str(cfg.source), "--out", str(copy), "--as-of", "yesterday"],
        ["history", str(copy)],
        ["status", str(copy)],
        **auckland,
    )
    after = dt.datetime.now(dt.UTC)
    assert again.returncode == 0 and f"since run {run_id}" in again.stderr
    assert proc.returncode == 0, proc.stderr
    m = json.loads((copy / "manifest.json").read_text())
    started = dt.datetime.fromisoformat(m["started"])
    assert started.utcoffset() == dt.timedelta(0) and before <= started <= after
    assert m["run_id"][:16] == started.strftime("%Y%m%dT%H%M%SZ")
    assert m["as_of"] == (started.date() - dt.timedelta(days=1)).isoformat()
    assert hist.returncode == 0
    assert hist.stdout.splitlines()[-1].startswith(
        f"* {m['run_id']}  ok          {m['finished'][:19]}Z"
    )
    assert f"finished {m['finished'][:19]}Z" in status.stdout and "map age 0.0 h" in status.stdout


def test_a_folder_on_a_file_system_without_links_is_refused_before_any_work(
    published, tmp_path, monkeypatch, capsys
):
    import errno

    from pipeline.cli import main

    cfg, out, run_id = published
    share = tmp_path / "smb" / "out"  # vfat, exFAT, an SMB share without Unix extensions
    shutil.copytree(out, share, symlinks=True)
    before = sorted(p.name for p in (share / "runs").iterdir())

    def no_links(src, dst, *a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))

    monkeypatch.setattr("os.symlink", no_links)

    def no_work(*a, **k):
        raise AssertionError("a stage started: the refusal must come before any work")

    monkeypatch.setattr("pipeline.run._stages", no_work)
    code = main(["run", str(cfg.source), "--out", str(share), "--force", "--log-format", "text"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "cannot make a symbolic link in the output folder" in err
    assert "may write there" not in err  # not a permission of the user: of the file system
    # nothing was published, nor recorded as a run that was 'ok'
    assert sorted(p.name for p in (share / "runs").iterdir()) == before
    assert [h["status"] for h in run_history(share)] == ["ok"]
    assert os.readlink(share / "current") == f"runs/{run_id}"


def test_a_run_that_failed_while_publishing_is_not_an_ok_run_in_the_history(
    published, tmp_path, monkeypatch, capsys
):
    import errno

    from pipeline.cli import main

    cfg, out, run_id = published
    full = tmp_path / "full" / "out"
    shutil.copytree(out, full, symlinks=True)

    def disk_full(moment):  # the disk (or quota) full as ``current``'s new link is made
        if moment == "publish: links":
            raise OSError(errno.ENOSPC, "No space left on device", str(full / ".current-x"))

    monkeypatch.setattr("pipeline.runner.publish.failpoint", disk_full)
    code = main(["run", str(cfg.source), "--out", str(full), "--force", "--log-format", "text"])
    assert code == 74, capsys.readouterr().err
    monkeypatch.undo()
    # its folder holds a whole set and the manifest the run wrote before publishing, and
    # the status.json of its failure: never published, it is failed, not ok
    hist = run_history(full)
    assert [h["run_id"] for h in hist][0] == run_id and len(hist) == 2
    assert hist[-1]["status"] == "failed" and not hist[-1]["published"]
    assert "No space left on device" in hist[-1]["error"]
    st = run_status(full)
    assert st["published"]["run_id"] == run_id
    assert st["attention"] == [f"the last run {hist[-1]['run_id']} is failed"]
    assert main(["status", str(full)]) == 1
    capsys.readouterr()
    # the next good night publishes and keeps that history
    res = pipeline.run_pipeline(cfg, out_dir=full, force=True)
    assert [h["status"] for h in run_history(full)] == ["ok", "failed", "ok"]
    assert run_status(full)["published"]["run_id"] == res.run_id


def test_a_run_killed_between_its_folder_and_the_switch_is_not_said_ok(published, tmp_path, capsys):
    from pipeline.runner.publish import FAILPOINT_ENV

    cfg, out, run_id = published
    folder = tmp_path / "killed" / "out"
    shutil.copytree(out, folder, symlinks=True)
    # power lost after the run folder was renamed into runs/, before 'current' was switched
    proc = _cli(
        "run",
        str(cfg.source),
        "--out",
        str(folder),
        "--force",
        "-q",
        logs=tmp_path / "logs",
        **{FAILPOINT_ENV: "publish: links"},
    )
    assert proc.returncode == -9, proc.stderr
    hist = run_history(folder)
    assert len(hist) == 2 and hist[0]["published"] and not hist[1]["published"]
    st = run_status(folder)
    assert st["published"]["run_id"] == run_id  # the previous set, whole
    assert st["attention"] == [
        f"the last run {hist[1]['run_id']} finished but is not the published one ({run_id} "
        "is): killed while it published, or 'current' was pointed back by hand"
    ]
    assert "ATTENTION" in cli_here(capsys, "status", folder)[1]
