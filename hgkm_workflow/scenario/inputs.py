"""Scenario inputs beyond commands: regional rule overrides and a decree of gelijkstelling.

``rules:`` (inline) and ``rules_file:`` (a regional rules file beside the scenario) give the
rule book the scenario runs under (:meth:`RuleBook.with_overrides`, docs/calendar.md
"Regional overrides"); ``do: publish_decree`` publishes a Besluit gelijkstelling mid-scenario
(:meth:`WorkingDayCalendar.with_decree` and ``app.apply_calendar``, docs/calendar.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from hgkm_workflow.domain.calendar import WorkingDayCalendar
from hgkm_workflow.domain.calendar_data import Decree
from hgkm_workflow.domain.rulebook import RuleBook, RuleOverride, default_rulebook

__all__ = ["DECREE_KEYS", "ENGINE", "PUBLISH_DECREE", "decree_of", "override_of", "rulebook_of",
           "with_decree"]

PUBLISH_DECREE = "publish_decree"
"""``do: publish_decree`` publishes a decree of gelijkstelling (Atw art. 3(3)) at the step's
instant: open deadlines of the store move onto the new calendar version."""

ENGINE = "engine"
"""``with: {case: engine}`` on a melding: send no case id, let the engine match the household."""

#: The keys of a ``publish_decree`` step's ``with:`` block.
DECREE_KEYS = frozenset({"decree", "dates", "years"})


def override_of(fields: Mapping[str, Any]) -> RuleOverride:
    """One rule's override from its scenario mapping.

    Raises:
        ValueError: A field is unknown or of the wrong type (the message names the field).
    """
    try:
        return RuleOverride(**dict(fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "override"
        raise ValueError(f"{where}: {first['msg']}") from None


def rulebook_of(overrides: Mapping[str, Mapping[str, Any]], region: str) -> RuleBook:
    """The national rule book with the scenario's regional overrides (variant ``region:…``).

    Raises:
        ValueError: An override field is invalid.
        RuleViolation: ``UNKNOWN_RULE``, ``STATUTORY_RULE_NOT_OVERRIDABLE``, ``INVALID_RULE``.
    """
    rules = default_rulebook()
    if not overrides:
        return rules
    return rules.with_overrides({key: override_of(value) for key, value in overrides.items()},
                                variant=f"region:{region}")


def decree_of(data: Mapping[str, Any]) -> Decree:
    """The decree a ``publish_decree`` step publishes (years default to those of its dates).

    Raises:
        ValueError: A date is not ``YYYY-MM-DD``.
        RuleViolation: ``INVALID_DECREE`` (no name, unordered dates or years, a date outside
            the years).
    """
    dates = tuple(date.fromisoformat(str(d)) for d in data.get("dates") or ())
    years = tuple(int(y) for y in data.get("years") or sorted({d.year for d in dates}))
    return Decree(name=str(data.get("decree", "")), dates=dates, years=years)


def with_decree(calendar: WorkingDayCalendar, data: Mapping[str, Any]) -> WorkingDayCalendar:
    """``calendar`` with the step's decree added (the version bumped, e.g. atw-2 → atw-3).

    Raises:
        ValueError, RuleViolation: As :func:`decree_of`; ``DECREE_ALREADY_PRESENT``.
    """
    return calendar.with_decree(decree_of(data))
