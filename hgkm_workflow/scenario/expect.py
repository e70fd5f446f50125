"""Checking a scenario step's expectations against a household case (docs/scenarios.md).

Each check returns mismatches as ``(what, expected, actual)`` in readable form: scenario-local
names for persons, actors, meldingen and huisverboden, codes for states, and instants in
Europe/Amsterdam time. Ids never appear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.calendar import amsterdam_zone, local_date
from hgkm_workflow.scenario.expect_basis import check_basis
from hgkm_workflow.views import CaseView

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.case import HouseholdCase

Mismatch = tuple[str, Any, Any]
"""``(what, expected, actual)``."""

_CASE_KEYS = ("phase", "sub_state", "mda", "loop_backs", "meldingen", "regisseur",
              "handover_offered_to", "closure", "monitoring", "vt_service", "open_risk_factors",
              "plans", "deadlines", "open_deadlines", "met_deadlines", "breaches", "huisverbod",
              "huisverboden", "roles", "emergency_accesses")
#: Expectation keys that look at the household's case.
CASE_KEYS = frozenset(_CASE_KEYS)


def show_instant(value: datetime) -> str:
    """An instant as Europe/Amsterdam local time with its offset (minutes, or more if needed)."""
    local = value.astimezone(amsterdam_zone())
    spec = "minutes" if local.second == 0 and local.microsecond == 0 else "seconds"
    if local.microsecond and local.microsecond != 999999:
        spec = "microseconds"
    return local.isoformat(timespec=spec)


def instant_matches(expected: str, actual: datetime | None) -> bool:
    """Whether ``actual`` is the instant ``expected`` (or lies on that Amsterdam date)."""
    if actual is None:
        return False
    if len(expected) == 10:
        return local_date(actual) == date.fromisoformat(expected)
    return datetime.fromisoformat(expected.replace("Z", "+00:00")) == actual


class Names:
    """Scenario-local names for the ids and actors of one run."""

    def __init__(self, actors: Mapping[str, Mapping[str, Any]], ids: Mapping[str, UUID],
                 persons: Mapping[str, UUID], cases: Mapping[str, UUID] | None = None) -> None:
        self.actors = actors
        self.ids = ids
        self.persons = persons
        self.cases: Mapping[str, UUID] = cases if cases is not None else {}

    def household_name(self, case_id: UUID | str) -> str:
        """The scenario household of a case id (a case outside the scenario says so)."""
        for name, value in self.cases.items():
            if str(value) == str(case_id):
                return name
        return "(a case outside the scenario)"

    def regisseur(self, name: str) -> dict[str, Any]:
        """The regisseur record of a named actor."""
        a = self.actors[name]
        return {"actor_id": a["actor_id"], "organisation": a["organisation"],
                "organisation_type": a.get("organisation_type")}

    def actor_name(self, record: Mapping[str, Any] | None) -> str | None:
        """The name of the actor a regisseur record belongs to (or id@organisation)."""
        if record is None:
            return None
        for name, a in self.actors.items():
            if (a["actor_id"], a["organisation"]) == (record.get("actor_id"),
                                                      record.get("organisation")):
                return name
        return f"{record.get('actor_id')}@{record.get('organisation')}"

    def person_name(self, pid: str) -> str:
        """The scenario name of a person id."""
        for name, value in self.persons.items():
            if str(value) == pid:
                return name
        return "(unnamed person)"


def check_case(case: HouseholdCase, expect: Mapping[str, Any], names: Names) -> list[Mismatch]:
    """Check every case expectation in ``expect`` (other keys are ignored)."""
    view = CaseView.of(case)
    out: list[Mismatch] = []
    for key in _CASE_KEYS:
        if key in expect:
            out.extend(_CHECKS[key](case, view, expect[key], names))
    return out


def _eq(what: str, expected: Any, actual: Any) -> list[Mismatch]:
    return [] if expected == actual else [(what, expected, actual)]


def _simple(attr: Callable[[CaseView], Any], what: str) -> Callable[..., list[Mismatch]]:
    def check(case: HouseholdCase, view: CaseView, expected: Any, names: Names) -> list[Mismatch]:
        return _eq(what, expected, attr(view))
    return check


def _regisseur(which: str) -> Callable[..., list[Mismatch]]:
    def check(case: HouseholdCase, view: CaseView, expected: str | None,
              names: Names) -> list[Mismatch]:
        actual = view.regisseur if which == "regisseur" else view.handover_offered_to
        if expected is None:
            return _eq(which, None, names.actor_name(actual))
        want = names.regisseur(expected)
        same = actual is not None and all(actual.get(k) == v for k, v in want.items()
                                          if v is not None)
        return [] if same else [(which, expected, names.actor_name(actual))]
    return check


def _plans(case: HouseholdCase, view: CaseView, expected: Mapping[str, Any],
           names: Names) -> list[Mismatch]:
    out: list[Mismatch] = []
    for plan, want in expected.items():
        actual = getattr(view, plan)
        if want is None or want == "set":
            present = "set" if actual is not None else None
            out.extend(_eq(f"plans.{plan}", want, present))
            continue
        if actual is None:
            out.append((f"plans.{plan}", want, None))
            continue
        for field, value in want.items():
            got = actual.get(field)
            if isinstance(value, list) and isinstance(got, list):
                out.extend(_eq(f"plans.{plan}.{field}", sorted(value), sorted(got)))
            else:
                out.extend(_eq(f"plans.{plan}.{field}", value, got))
    return out


def _describe_deadline(item: Mapping[str, Any]) -> str:
    parts = [str(item["rule"])]
    if "checkpoint" in item:
        parts.append(f"check-point {item['checkpoint']}")
    for ref in ("melding", "huisverbod"):
        if ref in item:
            parts.append(f"{ref} {item[ref]}")
    return " ".join(parts)


def _find_deadline(case: HouseholdCase, item: Mapping[str, Any],
                   names: Names) -> dict[str, Any] | None:
    found = None
    for d in case.deadlines.values():
        if item["rule"] not in (d["rule_id"], d["rule_name"]):
            continue
        if d["checkpoint"] != item.get("checkpoint"):
            continue
        if "melding" in item and str(names.ids[item["melding"]]) not in (d["melding_id"],
                                                                         d["subject_id"]):
            continue
        if "huisverbod" in item and d["subject_id"] != str(names.ids[item["huisverbod"]]):
            continue
        found = d
    return found


def _deadlines(case: HouseholdCase, view: CaseView, expected: list[Mapping[str, Any]],
               names: Names) -> list[Mismatch]:
    out: list[Mismatch] = []
    for item in expected:
        label = f"deadlines[{_describe_deadline(item)}]"
        d = _find_deadline(case, item, names)
        if d is None:
            out.append((label, "a deadline", "none"))
            continue
        if "status" in item:
            out.extend(_eq(f"{label}.status", item["status"], d["status"]))
        if "due" in item and not instant_matches(item["due"], d["due"]):
            out.append((f"{label}.due", item["due"], show_instant(d["due"])))
        if "breached" in item:
            out.extend(_eq(f"{label}.breached", item["breached"], d["breached_at"] is not None))
        if "skipped" in item:
            out.extend(_eq(f"{label}.skipped", sorted(item["skipped"]),
                           sorted(s["date"] for s in d["skipped"])))
        if "calendar_version" in item:
            out.extend(_eq(f"{label}.calendar_version", item["calendar_version"],
                           d["calendar_version"]))
        if "rule_version" in item:
            out.extend(_eq(f"{label}.rule_version", item["rule_version"], d["rule_version"]))
    return out


def _rule_set(case: HouseholdCase, statuses: tuple[str, ...]) -> list[str]:
    return sorted({d["rule_id"] for d in case.deadlines.values() if d["status"] in statuses})


def _open(case: HouseholdCase, view: CaseView, expected: list[str],
          names: Names) -> list[Mismatch]:
    return _eq("open_deadlines", sorted(set(expected)), _rule_set(case, ("open",)))


def _met(case: HouseholdCase, view: CaseView, expected: list[str],
         names: Names) -> list[Mismatch]:
    return _eq("met_deadlines", sorted(set(expected)), _rule_set(case, ("met", "met_late")))


def _breaches(case: HouseholdCase, view: CaseView, expected: int | list[str],
              names: Names) -> list[Mismatch]:
    breached = [d["rule_id"] for d in case.deadlines.values() if d["breached_at"] is not None]
    if isinstance(expected, int):
        return _eq("breaches", expected, len(breached))
    return _eq("breaches", sorted(set(expected)), sorted(set(breached)))


def _check_huisverbod(label: str, h: dict[str, Any] | None, want: Mapping[str, Any],
                      names: Names) -> list[Mismatch]:
    if h is None:
        return [(label, "a huisverbod", "none")]
    out: list[Mismatch] = []
    for field, value in want.items():
        if field in ("ends_at", "max_end"):
            if not instant_matches(value, h[field]):
                out.append((f"{label}.{field}", value, show_instant(h[field])))
        elif field == "removed_person":
            out.extend(_eq(f"{label}.removed_person", value,
                           names.person_name(h["removed_person_id"])))
        else:
            out.extend(_eq(f"{label}.{field}", value, h[field]))
    return out


def _huisverbod(case: HouseholdCase, view: CaseView, expected: Mapping[str, Any],
                names: Names) -> list[Mismatch]:
    latest = list(case.huisverboden.values())[-1] if case.huisverboden else None
    return _check_huisverbod("huisverbod", latest, expected, names)


def _huisverboden(case: HouseholdCase, view: CaseView, expected: Mapping[str, Any],
                  names: Names) -> list[Mismatch]:
    out: list[Mismatch] = []
    for name, want in expected.items():
        h = case.huisverboden.get(str(names.ids[name]))
        out.extend(_check_huisverbod(f"huisverboden.{name}", h, want, names))
    return out


def _roles(case: HouseholdCase, view: CaseView, expected: Mapping[str, str],
           names: Names) -> list[Mismatch]:
    out: list[Mismatch] = []
    for person, role in expected.items():
        out.extend(_eq(f"roles.{person}", role, view.persons.get(str(names.persons[person]))))
    return out


def _vt_service(view: CaseView) -> str:
    return "idle" if view.vt_service.get("state") == "idle" else str(view.vt_service["service"])


_CHECKS: dict[str, Callable[..., list[Mismatch]]] = {
    "phase": _simple(lambda v: v.phase.value, "phase"),
    "sub_state": _simple(lambda v: v.sub_state, "sub_state"),
    "mda": _simple(lambda v: v.mda, "mda"),
    "loop_backs": _simple(lambda v: v.loop_backs, "loop_backs"),
    "meldingen": _simple(lambda v: v.meldingen, "meldingen"),
    "regisseur": _regisseur("regisseur"),
    "handover_offered_to": _regisseur("handover_offered_to"),
    "closure": _simple(lambda v: v.closure["reason"] if v.closure else None, "closure"),
    "monitoring": _simple(lambda v: v.monitoring.get("state"), "monitoring"),
    "vt_service": _simple(_vt_service, "vt_service"),
    "open_risk_factors": lambda case, view, expected, names: _eq(
        "open_risk_factors", sorted(expected), sorted(view.open_risk_factors)),
    "plans": _plans,
    "deadlines": _deadlines,
    "open_deadlines": _open,
    "met_deadlines": _met,
    "breaches": _breaches,
    "huisverbod": _huisverbod,
    "huisverboden": _huisverboden,
    "roles": _roles,
    "emergency_accesses": _simple(lambda v: len(v.emergency_accesses), "emergency_accesses"),
}


def check_classification(app: HgkmApplication, expected: Mapping[str, Any],
                         names: Names, *, access: Access) -> list[Mismatch]:
    """Check the CBS classification of named meldingen through ``app.classification``."""
    out: list[Mismatch] = []
    lookup = getattr(app, "classification", None)
    for melding, want in expected.items():
        want_kind = want["kind"] if isinstance(want, Mapping) else want
        want_kind = "vervolgmelding" if want_kind == "vervolg" else want_kind
        what = f"classification.{melding}"
        if lookup is None:
            out.append((what, want_kind, "not available (no classification in this version)"))
            continue
        try:
            result = lookup(names.ids[melding], access=access)
        except Exception as exc:  # any failure is reported as the actual value
            out.append((what, want_kind, f"not available ({type(exc).__name__})"))
            continue
        kind = getattr(result, "classification", None) or getattr(result, "kind", None)
        actual = str(getattr(kind, "value", kind))
        out.extend(_eq(what, want_kind, actual))
        if isinstance(want, Mapping) and "stage" in want:
            stage = getattr(result, "vervolg_kind", None)
            out.extend(_eq(f"{what}.stage", want["stage"],
                           str(getattr(stage, "value", stage)) if stage else None))
        if isinstance(want, Mapping):
            out.extend(check_basis(what, result, want, names))
    return out
