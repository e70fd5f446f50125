"""The CLI's environment is read in settings.py only."""

from __future__ import annotations

import pytest

from hgkm_workflow.cli.access import reader
from hgkm_workflow.settings import CliReaderDefaults, cli_reader_defaults, process_environment


def test_reader_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HGKM_ACTOR", "vt-17")
    monkeypatch.setenv("HGKM_ORGANISATION", "vt-rr")
    monkeypatch.setenv("HGKM_ROLE", "vt_medewerker")
    monkeypatch.setenv("HGKM_PURPOSE", "triage")
    monkeypatch.delenv("HGKM_SAFETY_REASON", raising=False)
    assert cli_reader_defaults() == CliReaderDefaults("vt-17", "vt-rr", "vt_medewerker",
                                                      "triage", None)
    access = reader()
    assert (access.actor.actor_id, access.actor.organisation, access.purpose) == (
        "vt-17", "vt-rr", "triage")


def test_blank_variables_count_as_unset() -> None:
    assert CliReaderDefaults.from_env({"HGKM_ACTOR": "  ", "HGKM_ROLE": ""}) == CliReaderDefaults()


def test_options_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HGKM_ACTOR", "vt-17")
    assert reader(actor="vt-18").actor.actor_id == "vt-18"


def test_process_environment_is_the_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HGKM_MIN_CELL", "3")
    assert process_environment()["HGKM_MIN_CELL"] == "3"
