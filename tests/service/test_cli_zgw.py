"""``hgkm zgw preview CASE --json``: the requests as JSON; the read is access-checked."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from tests.support import Household

runner = CliRunner()


def test_preview_prints_the_requests_and_a_stranger_is_refused(tmp_path: Path,
                                                               clock: object) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    app = HgkmApplication(url, clock=clock)  # type: ignore[arg-type]
    house = Household(app, clock)  # type: ignore[arg-type]
    house.to_directe_veiligheid()
    app.close()
    done = runner.invoke(cli, ["zgw", "preview", str(house.case_id), "--json", "--db", url])
    assert done.exit_code == 0, done.output
    requests = json.loads(done.stdout)
    assert requests[0]["api"] == "zaken" and requests[0]["method"] == "POST"
    assert str(house.victim) not in done.stdout
    refused = runner.invoke(cli, ["zgw", "preview", str(house.case_id), "--db", url,
                                  "--actor", "lt-999", "--organisation", "wijkteam-x",
                                  "--role", "lokaal_team", "--purpose", "case_work"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("ACCESS_DENIED")
