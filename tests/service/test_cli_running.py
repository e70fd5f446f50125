"""``hgkm scheduler run`` and ``hgkm projections follow`` stop cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hgkm_workflow.application import HgkmApplication

ROOT = Path(__file__).resolve().parents[2]


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "hgkm_workflow.cli", *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("command", "sig"), [
    (["scheduler", "run", "--interval", "3600"], signal.SIGTERM),
    (["projections", "follow", "--poll-interval", "3600"], signal.SIGINT),
])
def test_long_running_command_stops_on_a_signal(tmp_path: Path, command: list[str],
                                                sig: signal.Signals) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    HgkmApplication(url).close()
    proc = _start([*command, "--db", url], tmp_path)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "stop with SIGTERM" in first
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_scheduler_run_without_a_store_is_one_line(tmp_path: Path) -> None:
    proc = _start(["scheduler", "run", "--db", f"sqlite:///{tmp_path / 'none.db'}"], tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert err.startswith("NO_STORE") and len(err.strip().splitlines()) == 1
