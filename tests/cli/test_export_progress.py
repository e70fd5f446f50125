"""``hgkm export`` shows progress on stderr when it is a terminal, never on stdout.

The export runs as a real process whose stderr is a pseudo-terminal (so rich sees a TTY);
stdout is a pipe and must carry only the result line (or the JSON with ``--json``).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli.exchange import LineCounter
from hgkm_workflow.clock import SettableClock
from tests.support import Household

ROOT = Path(__file__).resolve().parents[2]


def _export(url: str, out: Path, *extra: str, tty: bool = True) -> tuple[int, str, str]:
    """Run ``hgkm export``; return exit code, stdout and what reached stderr."""
    cmd = [sys.executable, "-m", "hgkm_workflow.cli", "export", "--jsonl", str(out),
           "--db", url, *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower, text=True, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, stdout, seen.decode("utf-8", "replace")


@pytest.fixture
def store(sqlite_app: HgkmApplication, clock: SettableClock) -> str:
    for _ in range(3):
        Household(sqlite_app, clock).to_directe_veiligheid()
    sqlite_app.close()
    return sqlite_app.config.url


def test_progress_goes_to_a_terminal_stderr_and_stdout_holds_the_result(
        store: str, tmp_path: Path) -> None:
    code, stdout, stderr = _export(store, tmp_path / "out.jsonl")
    assert code == 0, stderr
    assert "exporting events" in stderr
    assert stdout.startswith("exported ") and stdout.count("\n") == 1
    assert "exporting" not in stdout
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert f"exported {len(lines)} events" in stdout
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o077 == 0


def test_no_progress_with_json_or_without_a_terminal(store: str, tmp_path: Path) -> None:
    code, stdout, stderr = _export(store, tmp_path / "a.jsonl", "--json")
    assert code == 0, stderr
    assert "exporting" not in stderr
    data = json.loads(stdout)
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert data["events"] == len(lines) > 0
    code, stdout, stderr = _export(store, tmp_path / "b.jsonl", tty=False)
    assert code == 0 and stderr == ""
    assert stdout.startswith("exported ")


def test_a_refused_export_leaves_an_existing_file_alone(store: str, tmp_path: Path) -> None:
    target = tmp_path / "keep.jsonl"
    target.write_text("earlier export\n", encoding="utf-8")
    code, stdout, _ = _export(store, target, "--role", "lokaal_team", tty=False)
    assert code == 1 and stdout == ""
    assert target.read_text(encoding="utf-8") == "earlier export\n"


def test_the_counter_reports_every_hundred_lines(tmp_path: Path) -> None:
    seen: list[int] = []
    counter = LineCounter(tmp_path / "c.jsonl", seen.append)
    for n in range(250):
        counter.write(f'{{"n":{n}}}')
        counter.write("\n")
    counter.finish()
    assert seen == [100, 200]
    assert len((tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()) == 250


def test_an_empty_store_gives_an_empty_file(tmp_path: Path) -> None:
    counter = LineCounter(tmp_path / "empty.jsonl", lambda _: None)
    counter.finish()
    assert (tmp_path / "empty.jsonl").read_text(encoding="utf-8") == ""
