"""An output folder that cannot be made is a user's mistake: one line, exit 2.

``route-risk demo --out`` and ``route-risk ingest --out`` under a file (or under ``/proc``)
ended as an internal error with a traceback and exit 70: the lock that guards the folder,
and the rejects writer, made it without the check ``route-risk run`` makes.  A full or read-only disk stays the machine's (exit 74).
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from test_cli import cli_here

from pipeline.errors import ConfigError
from pipeline.runner.publish import lock


def _under_a_file(tmp_path: Path) -> Path:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    return afile / "out"


@pytest.mark.parametrize("command", ["demo", "ingest"])
def test_a_folder_under_a_file_is_refused_in_one_line(tmp_path, capsys, command):
    out = _under_a_file(tmp_path)
    args = ["demo"]
    if command == "ingest":
        data = tmp_path / "s.csv"
        data.write_text("date,lat,lon\n2024-01-02,10,20\n")
        args = ["ingest", "seizures", data]
    code, _, stderr = cli_here(capsys, *args, "--out", out, "--log-format", "text")
    assert code == 2
    assert stderr.strip().splitlines() == [
        f"route-risk: error: cannot use output folder {str(out)!r}: Not a directory"
    ]


def test_the_lock_of_a_folder_that_cannot_be_made_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot use output folder .*: Not a directory"):
        with lock(_under_a_file(tmp_path)):
            pass


def test_a_full_disk_making_the_folder_is_still_the_machines(tmp_path, monkeypatch):
    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "mkdir", full)
    with pytest.raises(OSError) as err, lock(tmp_path / "out"):
        pass
    assert err.value.errno == errno.ENOSPC and type(err.value) is OSError
