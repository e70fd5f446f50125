"""The command handler table: every command method of the application is in it, and
``app.commands.handle(command)`` does exactly what the command's own method does."""

from __future__ import annotations

import inspect
import typing
from typing import Any
from unittest import mock
from uuid import UUID, uuid4

import pytest

from hgkm_workflow import commands as c
from hgkm_workflow.application import HANDLERS, CommandResult, HgkmApplication
from hgkm_workflow.application.handlers import handler_named
from hgkm_workflow.case import HouseholdCase
from tests.support import LT, Household


def command_methods() -> dict[str, type[c.Command]]:
    """Public methods of the application whose first parameter is a command."""
    found: dict[str, type[c.Command]] = {}
    for name, fn in inspect.getmembers(HgkmApplication, inspect.isfunction):
        if name.startswith("_") or "command" not in inspect.signature(fn).parameters:
            continue
        hint = typing.get_type_hints(fn)["command"]
        classes = [t for t in typing.get_args(hint)
                   if isinstance(t, type) and issubclass(t, c.Command)]
        assert len(classes) == 1, name
        found[name] = classes[0]
    return found


def test_every_command_method_is_in_the_table_under_its_name() -> None:
    methods = command_methods()
    assert len(methods) == 52  # issue 14: record_huisverbod_help_offered, record_separation;
    # part A: informing (2), carry-over; part B: take_procesregie, hand_back_procesregie,
    # start_partner_track, end_partner_track
    assert {h.name: h.command for h in HANDLERS.values()} == methods
    for name, command in methods.items():
        assert HANDLERS[command].name == name
        assert handler_named(name).command is command


def test_every_case_decision_names_a_decide_method_of_the_case() -> None:
    for handler in HANDLERS.values():
        assert (handler.decides is None) != (handler.run is None), handler.name
        if handler.decides is not None:
            assert issubclass(handler.command, c.CaseCommand)
            assert callable(getattr(HouseholdCase, handler.decides)), handler.name
            assert not handler.decides.startswith("_")


def _spy_case_decisions(app: HgkmApplication, monkeypatch: pytest.MonkeyPatch
                        ) -> list[tuple[UUID, Any]]:
    """Replace the unit of work's ``on_case``: decide on a mock case, record what it was told."""
    seen: list[tuple[UUID, Any]] = []

    def on_case(case_id: UUID, command: Any, decide: Any, now: Any = None) -> Any:
        case = mock.Mock(spec=HouseholdCase)
        decide(case, "ctx")
        seen.append((case_id, case.method_calls))
        return None, CommandResult(case_id, 7, ("Spied",))

    monkeypatch.setattr(app.work, "on_case", on_case)
    # the dispatch is tested here on a mock case; authority has its own tests (test_authority_*)
    monkeypatch.setattr(app.commands, "gate", None)
    return seen


def test_handle_and_the_method_decide_the_same_on_the_same_case(
    sqlite_app: HgkmApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy_case_decisions(sqlite_app, monkeypatch)
    for handler in HANDLERS.values():
        if handler.decides is None:
            continue
        ids = {name: uuid4() for name in handler.mints}
        cmd = handler.command.model_construct(case_id=uuid4(), **ids)
        by_method = getattr(sqlite_app, handler.name)(cmd)
        by_table = sqlite_app.commands.handle(cmd)
        assert by_method == by_table, handler.name
        assert by_table.ids == ids
        (case_a, calls_a), (case_b, calls_b) = seen[-2:]
        assert case_a == case_b == cmd.case_id  # type: ignore[attr-defined]
        assert calls_a == calls_b == [getattr(mock.call, handler.decides)(
            cmd, *ids.values(), "ctx")], handler.name


@pytest.mark.parametrize("name", ["record_advies", "receive_melding",
                                  "convert_advies_to_melding", "request_erasure"])
def test_handle_runs_intake_and_erasure_through_the_same_service(
    sqlite_app: HgkmApplication, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    service = sqlite_app.erasure if name == "request_erasure" else sqlite_app.intake
    attribute = "request" if name == "request_erasure" else name
    spied = mock.Mock(return_value="result")
    monkeypatch.setattr(service, attribute, spied)
    cmd = handler_named(name).command.model_construct()
    assert getattr(sqlite_app, name)(cmd) == sqlite_app.commands.handle(cmd) == "result"
    assert spied.call_args_list == [mock.call(cmd), mock.call(cmd)]


def test_handle_decides_and_stores_like_the_method(
    sqlite_app: HgkmApplication, clock: Any
) -> None:
    h = Household(sqlite_app, clock)
    h.to_directe_veiligheid()
    plan = c.SetVeiligheidsplan.model_validate(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    result = sqlite_app.commands.handle(plan)
    assert isinstance(result, CommandResult)
    assert result.case_id == h.case_id and result.events == ("VeiligheidsplanSet",)
    imposed = sqlite_app.commands.handle(c.ImposeHuisverbod.model_validate(h.cmd(
        actor={"actor_id": "bm-1", "organisation": "gemeente-rotterdam", "role": "burgemeester"},
        removed_person_id=str(h.perpetrator))))
    assert isinstance(imposed, CommandResult) and "huisverbod_id" in imposed.ids
