"""What a scenario file becomes: the :class:`Scenario` and its :class:`Step` s, and the error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hgkm_workflow.errors import HgkmError

__all__ = ["Scenario", "ScenarioFileError", "Step", "parse_duration"]


class ScenarioFileError(HgkmError):
    """A scenario file is not valid; the message names the file and the line."""

    code = "INVALID_SCENARIO"
    default_rule = "docs/scenarios.md"

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Step:
    """One step: move the clock, run a command (or tick), check expectations.

    Attributes:
        index: 1-based position in the file.
        line: Line of the step in the file.
        do: The command name, or None for a step that only checks.
        household: The household the command and the expectations are about.
        actor: Name of the actor giving the command.
        why: The rationale recorded with the command.
        instant: The simulated clock during the step.
        occurred_at: Business time when it differs from the clock.
        data: The ``with:`` block as written.
        expect: The expectations as written.
        expect_lines: Line of each expectation key.
    """

    index: int
    line: int
    do: str | None
    household: str
    actor: str | None
    why: str
    instant: datetime
    occurred_at: datetime | None
    data: dict[str, Any]
    expect: dict[str, Any]
    expect_lines: dict[str, int]

    @property
    def label(self) -> str:
        """``step N (line L, command)``."""
        return f"step {self.index} (line {self.line}, {self.do or 'expect'})"


@dataclass(frozen=True)
class Scenario:
    """A parsed and checked scenario file."""

    name: str
    description: str
    source: str
    start: datetime
    region: str
    gemeente: str
    actors: dict[str, dict[str, Any]]
    persons: tuple[str, ...]
    households: tuple[str, ...]
    steps: tuple[Step, ...]
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Regional rule overrides (``rules_file:`` merged with inline ``rules:``), by rule."""


_DURATION = re.compile(r"(\d+)([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}

#: ``refused: any`` accepts a refusal with any code.
ANY_REFUSAL = "any"


def refusal_matches(expected: str | list[str], code: str) -> bool:
    """Whether a refusal with ``code`` is what ``refused:`` expects (a code, a list, ``any``)."""
    if expected == ANY_REFUSAL:
        return True
    return code in expected if isinstance(expected, list) else code == expected


def may_be_invalid(expected: str | list[str] | None, invalid: frozenset[str]) -> bool:
    """Whether ``refused:`` allows a refusal at validation (one of the ``invalid`` codes)."""
    if expected is None:
        return False
    if expected == ANY_REFUSAL:
        return True
    return bool(set(expected if isinstance(expected, list) else [expected]) & invalid)


def parse_duration(text: str) -> timedelta:
    """``2d`` → two days; units w, d, h, m, s; combinations such as ``1d12h`` or ``1m30s``."""
    total = timedelta()
    for amount, unit in _DURATION.findall(text):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    return total
