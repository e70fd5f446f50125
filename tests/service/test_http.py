"""Every refusal code of the package has an HTTP status, chosen on purpose."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import hgkm_workflow
from hgkm_workflow.errors import (
    AccessDenied,
    CaseNotFound,
    HgkmError,
    InvalidCommand,
    RuleViolation,
    TransitionNotAllowed,
)
from hgkm_workflow.service.http import STATUS_BY_CODE, error_body, http_status


def _all_error_classes() -> list[type[HgkmError]]:
    for module in pkgutil.walk_packages(hgkm_workflow.__path__, "hgkm_workflow."):
        if module.name.startswith("hgkm_workflow.testing") or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    found: list[type[HgkmError]] = []
    todo = [HgkmError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_code_is_in_the_table() -> None:
    classes = _all_error_classes()
    assert len(classes) > 30
    missing = sorted({c.code for c in classes if c.code not in STATUS_BY_CODE})
    assert missing == []


def test_every_literal_code_maps_to_a_status_through_its_class() -> None:
    root = Path(hgkm_workflow.__file__).parent
    codes = set()
    for path in root.rglob("*.py"):
        codes |= set(re.findall(r'code="([A-Z_]+)"', path.read_text(encoding="utf-8")))
    assert "HUISVERBOD_ALREADY_ACTIVE" in codes
    for code in codes:
        status = http_status(RuleViolation("x", code=code, rule="r"))
        assert 400 <= status < 600, code


@pytest.mark.parametrize(("error", "status"), [
    (InvalidCommand("bad", fields=["gemeente"]), 422),
    (RuleViolation("x", code="HUISVERBOD_ALREADY_ACTIVE", rule="r"), 422),
    (TransitionNotAllowed("phase", "close", "veiligheid"), 409),
    (AccessDenied("no"), 403),
    (CaseNotFound("none"), 404),
])
def test_chosen_statuses(error: HgkmError, status: int) -> None:
    assert http_status(error) == status


def test_unknown_subclass_code_falls_back_to_its_class() -> None:
    class Odd(CaseNotFound):
        code = "ODD_NOT_IN_TABLE"

    assert http_status(Odd("x")) == 404


def test_error_body_carries_code_rule_and_fields() -> None:
    body = error_body(InvalidCommand("bad melder_type", fields=["melder_type"]))
    assert body == {"code": "INVALID_COMMAND", "rule": "command-schema",
                    "message": "bad melder_type", "fields": ["melder_type"]}
