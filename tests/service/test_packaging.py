"""Packaging: the core imports without the extras, the CLI names its extra, bounds hold."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import hgkm_workflow

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

BLOCK = ("import sys\n"
         "for name in ('typer', 'rich', 'psycopg', 'psycopg_pool', 'fastapi', 'uvicorn'):\n"
         "    sys.modules[name] = None\n")


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", BLOCK + code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_core_library_works_without_cli_and_postgres_extras(tmp_path: Path) -> None:
    done = _python(
        "import hgkm_workflow\n"
        "from hgkm_workflow import HgkmApplication\n"
        "from hgkm_workflow.service import http_status\n"
        "from hgkm_workflow.service.models import CaseModel\n"
        f"app = HgkmApplication('sqlite:///{tmp_path / 's.db'}')\n"
        "print('health', app.health().ready)\n"
        "app.close()\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "health True" in done.stdout


def test_cli_without_its_extra_says_which_to_install(tmp_path: Path) -> None:
    done = _python("import runpy\nrunpy.run_module('hgkm_workflow.cli', run_name='__main__')\n",
                   tmp_path)
    assert done.returncode == 1
    assert "'cli' extra" in done.stderr and "pip install 'hgkm_workflow[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_comes_from_the_metadata() -> None:
    assert hgkm_workflow.__version__ == version("hgkm_workflow")


def test_extras_and_dev_installs_everything() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"postgres", "cli", "report", "zgw", "service", "dev"} <= set(extras)
    pulled = re.search(r"hgkm_workflow\[([^\]]+)\]", " ".join(extras["dev"]))
    assert pulled is not None
    assert set(pulled.group(1).split(",")) == set(extras) - {"dev"}
    core = " ".join(PYPROJECT["project"]["dependencies"])
    for optional in ("typer", "rich", "psycopg", "fastapi"):
        assert optional not in core


def test_fast_moving_dependencies_have_upper_bounds() -> None:
    project = PYPROJECT["project"]
    every = [*project["dependencies"],
             *(d for ds in project["optional-dependencies"].values() for d in ds)]
    for name in ("typer", "rich", "jsonschema", "psycopg", "cryptography", "pydantic",
                 "sqlalchemy", "fastapi", "uvicorn"):
        spec = next(d for d in every if re.match(rf"{name}\b", d))
        assert "<" in spec, spec


def test_changelog_has_unreleased_and_0_1_0() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and "## [0.1.0]" in text
    assert text.index("## [Unreleased]") < text.index("## [0.1.0]")


def test_postgres_without_its_extra_is_a_clear_refusal(tmp_path: Path) -> None:
    done = _python(
        "from hgkm_workflow import HgkmApplication, HgkmError\n"
        "try:\n"
        "    HgkmApplication('postgresql://u:secret@127.0.0.1:1/x')\n"
        "except HgkmError as e:\n"
        "    print(e.code, e.message)\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("STORE_CONFIGURATION")
    assert "'postgres' extra" in done.stdout and "secret" not in done.stdout
