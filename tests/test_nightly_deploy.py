"""The deployment examples: the systemd unit's ExecStart runs, and cron runs the same command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import small_config

from pipeline.cli import EXIT_TEMPFAIL

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def unit_section(path: Path, section: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs of one section of a systemd unit (keys may repeat)."""
    pairs, current = [], None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section:
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def exec_start(env_override: dict[str, str] | None = None) -> list[str]:
    """The service's ExecStart, split and with ``${VAR}`` expanded as systemd does."""
    service = dict(unit_section(DEPLOY / "route-risk.service", "Service"))
    env = {}
    for key, value in unit_section(DEPLOY / "route-risk.service", "Service"):
        if key == "Environment":
            name, _, val = value.partition("=")
            env[name] = val
    env |= env_override or {}
    return [
        re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word)
        for word in shlex.split(service["ExecStart"])
    ]


def test_cron_runs_the_units_command():
    crontab = (DEPLOY / "crontab").read_text()
    lines = [line for line in crontab.splitlines() if line.strip() and not line.startswith("#")]
    *env_lines, line = lines
    assert all(re.fullmatch(r"\w+=\S+", e) for e in env_lines), env_lines
    words = shlex.split(line)
    schedule, command = words[:5], words[5:]
    assert schedule == ["15", "2", "*", "*", "*"]
    # the log is stderr alone, JSON lines: stdout (the map's path, a plain line) is not in it
    command, redirects = command[: command.index(">")], command[command.index(">") :]
    assert redirects[:3] == [">", "/dev/null", "2>>"] and len(redirects) == 4
    log = redirects[3]
    # timeout(1) with the unit's limits: a hung run is stopped, not left holding the lock
    service = dict(unit_section(DEPLOY / "route-risk.service", "Service"))
    assert command[:3] == [
        "timeout",
        f"--kill-after={service['TimeoutStopSec']}",
        service["TimeoutStartSec"],
    ]
    assert command[3:] == exec_start()
    timer = dict(unit_section(DEPLOY / "route-risk.timer", "Timer"))
    assert timer["OnCalendar"].startswith("*-*-* 02:15") and timer["Persistent"] == "true"
    # the cron line's log is the one deploy/route-risk.logrotate rotates
    rotate = (DEPLOY / "route-risk.logrotate").read_text()
    assert re.search(rf"^{re.escape(log)} {{$", rotate, re.M) and "create " in rotate
    # as the user that writes it: as root, logrotate skips a folder its group may write
    user = f"{service['User']} {service['Group']}"
    assert f"    su {user}\n" in rotate and f"create 0640 {user}\n" in rotate
    assert service["Type"] == "oneshot" and service["KillSignal"] == "SIGTERM"
    assert service["SuccessExitStatus"] == str(EXIT_TEMPFAIL)
    assert service["StandardOutput"] == "null"  # the journal: JSON lines alone, as the log
    assert service["ReadWritePaths"] == exec_start()[exec_start().index("--out") + 1]
    # the unit's environment that its ExecStart does not spell is cron's too: matplotlib's
    # cache, in the folder systemd makes for the unit (CacheDirectory=) and the crontab
    # says how to make; else a home that is missing or read-only (ProtectHome=) costs two
    # WARNING lines and a font scan every night
    unit_env = dict(
        value.split("=", 1)
        for key, value in unit_section(DEPLOY / "route-risk.service", "Service")
        if key == "Environment"
    )
    unspelt = {k: v for k, v in unit_env.items() if f"${{{k}}}" not in service["ExecStart"]}
    assert dict(e.split("=", 1) for e in env_lines) == unspelt
    cache = f"/var/cache/{service['CacheDirectory']}"
    assert unit_env["MPLCONFIGDIR"].startswith(cache + "/")
    assert f"install -d -o {user.replace(' ', ' -g ')} -m 0750 {cache}\n" in crontab


@pytest.mark.slow  # a CLI process per case (forked)
def test_the_units_exec_start_runs_a_tiny_config(small_demo, tmp_path):
    from _forked import run_forked

    cfg = small_config(small_demo, tmp_path)
    out = tmp_path / "srv"
    argv = exec_start({"ROUTE_RISK_CONFIG": str(cfg.source), "ROUTE_RISK_OUT": str(out)})
    assert Path(argv[0]).name == "route-risk"  # the installed entry point, here run as a module
    # a process of its own, forked from the server of _forked.py (not a fresh interpreter:
    # ~3 s of imports), with sys.argv set as the console script's
    code, _, err = run_forked(argv[1:], tmp_path / "logs")
    assert code == 0, err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(r["message"] == "stage render" for r in records)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command_line"] == ["route-risk", *argv[1:]]
    code, stdout, err = run_forked(["status", str(out), "--json"], tmp_path / "logs")
    assert code == 0, err
    assert json.loads(stdout)["last_run"]["status"] == "ok"
