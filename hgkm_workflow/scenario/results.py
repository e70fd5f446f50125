"""What running a scenario gives: failures, coverage and the result of both runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

__all__ = ["Coverage", "Failure", "ScenarioResult", "show"]


@dataclass(frozen=True)
class Failure:
    """An expectation not met, an unexpected refusal, or a disagreement between the runs.

    Attributes:
        step: 1-based step number (0 for the scenario as a whole).
        line: Line in the file.
        command: The step's command (or ``expect``).
        what: What was checked, e.g. ``deadlines[T1].due`` or ``refused``.
        expected: What the file expects.
        actual: What happened.
        run: ``straight``, ``reload`` (the run with a save and reload after every step) or
            ``compare`` (the two runs disagree).
    """

    step: int
    line: int
    command: str
    what: str
    expected: Any
    actual: Any
    run: str = "straight"

    def text(self) -> str:
        """A readable difference: where, what, expected versus actual."""
        run = "" if self.run == "straight" else f" [{self.run} run]"
        return (f"step {self.step} (line {self.line}, {self.command}){run}: {self.what}\n"
                f"    expected: {self.expected}\n    actual:   {self.actual}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"step": self.step, "line": self.line, "command": self.command,
                "what": self.what, "expected": show(self.expected),
                "actual": show(self.actual), "run": self.run}


def show(value: Any) -> Any:
    """A value as JSON-ready data (instants as ISO 8601 text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [show(v) for v in value]
    if isinstance(value, dict):
        return {str(k): show(v) for k, v in value.items()}
    return value


@dataclass
class Coverage:
    """What a scenario exercised (from the straight run's events and steps)."""

    commands: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    transitions: set[tuple[str, str, str]] = field(default_factory=set)
    loop_back_causes: set[str] = field(default_factory=set)
    rules_started: set[str] = field(default_factory=set)
    rules_met: set[str] = field(default_factory=set)
    breaches: set[str] = field(default_factory=set)
    skipped_reasons: set[str] = field(default_factory=set)
    refusals: set[str] = field(default_factory=set)
    classifications: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)

    def merge(self, other: Coverage) -> None:
        """Add another scenario's coverage to this one."""
        for name in vars(self):
            getattr(self, name).update(getattr(other, name))


@dataclass
class ScenarioResult:
    """The outcome of running one scenario (both runs)."""

    scenario: str
    source: str
    steps: int
    failures: list[Failure] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    case_ids: dict[str, UUID] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every expectation held in both runs and the runs agree."""
        return not self.failures

    def report(self) -> str:
        """Readable text: a header line and one block per failure."""
        mark = "PASS" if self.ok else "FAIL"
        head = f"{mark} {self.source} — {self.scenario} ({self.steps} steps, {self.seconds:.1f}s)"
        return "\n".join([head, *("  " + f.text().replace("\n", "\n  ")
                                  for f in self.failures)])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"scenario": self.scenario, "source": self.source, "ok": self.ok,
                "steps": self.steps, "seconds": round(self.seconds, 3),
                "failures": [f.as_dict() for f in self.failures]}
