"""The basis of a melding's classification as a scenario expectation (docs/scenarios.md).

``classification: {m2: {kind: hermelding, basis: {person: vader, household: eerste, ...}}}``
compares what ``app.classification`` publishes — the involvement the classification rests on
and the settings it used — in scenario names, never ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hgkm_workflow.domain.calendar import local_date

__all__ = ["BASIS_FIELDS", "check_basis"]

#: Keys of a classification expectation besides ``kind`` and ``stage``.
BASIS_FIELDS = ("basis", "persons_counted", "persons_matched", "lookback_years", "cutoff")


def _basis(ref: Any, names: Any) -> dict[str, Any] | None:
    """The reference involvement in scenario names."""
    if ref is None:
        return None
    role = getattr(ref.role, "value", ref.role)
    return {"person": names.person_name(str(ref.person_id)), "role": str(role),
            "household": names.household_name(ref.case_id), "involvement": ref.involvement_no,
            "started": local_date(ref.started_at).isoformat(),
            "ended": None if ref.ended_at is None else local_date(ref.ended_at).isoformat()}


def check_basis(what: str, result: Any, want: Mapping[str, Any],
                names: Any) -> list[tuple[str, Any, Any]]:
    """Compare the basis fields of ``want`` with a classification result.

    Args:
        what: ``classification.<melding>``, the label of the mismatches.
        result: A :class:`~hgkm_workflow.projections.person_queries.MeldingClassification`.
        want: The expectation (``kind``, ``stage`` are checked elsewhere).
        names: The run's :class:`~hgkm_workflow.scenario.expect.Names`.
    """
    out: list[tuple[str, Any, Any]] = []
    if "basis" in want:
        actual = _basis(getattr(result, "reference", None), names)
        expected = want["basis"]
        if expected is None or actual is None:
            if expected != actual:
                out.append((f"{what}.basis", expected, actual))
        else:
            for key, value in expected.items():
                if actual.get(key) != value:
                    out.append((f"{what}.basis.{key}", value, actual.get(key)))
    for key in ("persons_counted", "persons_matched", "lookback_years"):
        if key in want and want[key] != getattr(result, key, None):
            out.append((f"{what}.{key}", want[key], getattr(result, key, None)))
    if "cutoff" in want:
        cutoff = getattr(result, "cutoff", None)
        shown = cutoff.isoformat() if cutoff is not None else None
        if want["cutoff"] != shown:
            out.append((f"{what}.cutoff", want["cutoff"], shown))
    return out
