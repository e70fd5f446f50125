"""Reading a case's deadlines: which subject an event is about, the record a start creates.

Pure functions over :class:`~hgkm_workflow.domain.state.CaseState`; they trigger nothing.
:mod:`hgkm_workflow.domain.case_deadlines` uses them to decide which deadline events to
trigger.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from hashlib import sha1
from typing import Any
from uuid import UUID

from hgkm_workflow.domain.deadline_rules import INCIDENT_START, DeadlineRule, RuleType
from hgkm_workflow.domain.due import DueComputation
from hgkm_workflow.domain.incident import incident_start, start_note
from hgkm_workflow.domain.state import CaseState
from hgkm_workflow.phases.huisverbod import ACTIVE_STATES

JsonDict = dict[str, Any]

#: The kind of subject each start or satisfying event is about.
SUBJECT_KIND = {
    "MeldingReceived": "melding",
    "VeiligheidsbeoordelingCompleted": "melding",
    "MelderInformed": "melding",
    "SchoolInformed": "melding",
    "VtServiceStarted": "service",
    "VtServiceCompleted": "service",
    "VtMonitoringStarted": "monitoring",
    "VtMonitoringEnded": "monitoring",
    "HuisverbodImposed": "huisverbod",
    "HuisverbodExtended": "huisverbod",
    "HuisverbodRevoked": "huisverbod",
    "HuisverbodExpired": "huisverbod",
    "HuisverbodContactAddressGiven": "huisverbod",
    "CrisisMeasureTaken": "case",
    "HuisverbodHelpOffered": "huisverbod",
    "SeparationRecorded": "case",
    "PersonsConcernedInformed": "melding",
}

#: Conditions under which a rule applies, keyed by rule id (plain text is on the rule).
APPLIES: dict[str, Callable[[JsonDict], bool]] = {
    "T2": lambda facts: bool(facts.get("acute")),
    "T10": lambda facts: bool(facts.get("has_child")) and facts.get("melder_type") == "politie",
    # an anonymous melder left no way to be reached: no feedback is owed
    "T5": lambda facts: facts.get("melder_type") != "anoniem",
    "T5b": lambda facts: facts.get("melder_type") != "anoniem",
}

#: Rules whose duty outlives the case: the melder is still owed feedback after closure.
SURVIVES_CLOSURE = frozenset({"T5", "T5b"})

#: Rules whose due instant ends a huisverbod rather than marking a breach.
HUISVERBOD_END_RULES = frozenset({"T6", "T7"})

#: Duties that exist only while a huisverbod is in force and lapse when it ends, by revocation
#: or expiry (closed unmet, not breached): a contact address (T8), help offered during it (T9).
LAPSE_WHEN_HUISVERBOD_ENDS = frozenset({"T8", "T9"})

#: States of a huisverbod that is (or was until its end instant) in force.
ACTIVE_HUISVERBOD = frozenset(s.value for s in ACTIVE_STATES)

#: Namespace of the ids a case derives for its own sub-records (deadlines, services, monitoring).
ID_NAMESPACE = UUID("6f1d3c52-2b8e-5d0a-9c41-7a2f0e9b8d15")


def derived_id(case: CaseState, kind: str) -> str:
    """An id for a record the case creates in its next event, derived from (case id, version).

    Deterministic, so the same commands give the same events (replays, the seeded simulation);
    unique, because every event of a case has its own version. Never derived from personal data.
    """
    return uuid5_text(ID_NAMESPACE_BYTES, f"{case.id}:{case.version + 1}:{kind}")


#: :data:`ID_NAMESPACE` as the bytes a name-based UUID hashes.
ID_NAMESPACE_BYTES = ID_NAMESPACE.bytes


def uuid5_text(namespace: bytes, name: str) -> str:
    """``str(uuid5(UUID(bytes=namespace), name))``, without building the ``UUID`` object.

    The same SHA-1 of namespace and UTF-8 name, the same version (5) and variant (RFC 4122)
    bits, the same canonical text; about a third of the time (a ``UUID`` and its ``str``
    are pure Python), and derived ids are made for every deadline a decision starts.
    """
    digest = bytearray(sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def deadline_record(case: CaseState, comp: DueComputation, rule: DeadlineRule,
                    subject_kind: str, subject_id: str, melding_id: str | None,
                    due: datetime | None = None, counting: str | None = None) -> JsonDict:
    """The record a ``DeadlineStarted`` event carries: rule, subject, due and how it counted.

    Without an explicit ``counting`` the computation's text is used, prefixed with the start
    a rule counted from the incident used (:func:`counting_note`), so every caller (the case,
    a what-if replay) records the same text.
    """
    if counting is None:
        note = counting_note(case, rule, melding_id)
        counting = f"{note}: {comp.counting}" if note else comp.counting
    return {
        "deadline_id": derived_id(case, f"deadline:{rule.id}:{comp.checkpoint}"),
        "rule_id": rule.id,
        "rule_name": rule.name,
        "rule_version": rule.version,
        "rule_variant": rule.variant,
        "rule_type": rule.rule_type.value,
        "breach_effect": rule.breach_effect.value,
        "legal_source": rule.legal_source,
        "satisfied_by": list(rule.satisfied_by),
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "melding_id": melding_id,
        "checkpoint": comp.checkpoint,
        "start": comp.start,
        "due": due if due is not None else comp.due,
        "computed_due": comp.due,
        "counting": counting,
        "calendar_version": comp.calendar_version,
        "skipped": [{"date": s.date.isoformat(), "reason": s.reason} for s in comp.skipped],
    }


def count_start(case: CaseState, rule: DeadlineRule, at: datetime, subject_id: str,
                melding_id: str | None) -> datetime:
    """The instant a rule counts from: its start event's, or the one a region chose instead.

    A region may count from another event (``counts_from``): the huisverbod's imposition, or
    the melding's receipt; T10 counts from the incident the melding reports (else its receipt).
    """
    if rule.count_start_event == rule.starts_on:
        return at
    if rule.count_start_event == "HuisverbodImposed":
        imposed: datetime = case.huisverboden[subject_id]["imposed_at"]
        return imposed
    if rule.count_start_event == INCIDENT_START and melding_id in case.meldingen:
        return incident_start(case.meldingen[melding_id])
    if rule.count_start_event == "MeldingReceived" and melding_id in case.meldingen:
        received: datetime = case.meldingen[melding_id]["received_at"]
        return received
    raise ValueError(f"rule {rule.id} counts from {rule.count_start_event}, "
                     f"which has no instant for this {rule.starts_on}")


def counting_note(case: CaseState, rule: DeadlineRule, melding_id: str | None) -> str | None:
    """Which start a rule counted from the incident used ("counted from the incident …")."""
    if rule.count_start_event != INCIDENT_START or melding_id not in case.meldingen:
        return None
    return start_note(case.meldingen[melding_id])


def melding_of(case: CaseState, kind: str, subject_id: str) -> str | None:
    """The melding a subject belongs to, if any (a melding itself, or the service of one)."""
    if kind == "melding":
        return subject_id
    if kind == "service":
        svc = case.vt_service
        if svc.get("service_id") == subject_id:
            melding: str | None = svc.get("melding_id")
            return melding
    return None


def open_deadlines(case: CaseState) -> list[JsonDict]:
    """The case's deadlines that are neither met nor closed, by due instant."""
    return sorted((d for d in case.deadlines.values() if d["status"] == "open"),
                  key=lambda d: d["due"])


def satisfied_by_event(d: JsonDict, event_name: str, kind: str, subject_id: str | None) -> bool:
    """Whether the event ``event_name`` about ``subject_id`` meets the open deadline ``d``."""
    if d["status"] != "open" or event_name not in d["satisfied_by"] or d["checkpoint"] is not None:
        return False
    if subject_id is None or kind == "case":
        return True
    if kind == d["subject_kind"]:
        return bool(d["subject_id"] == subject_id)
    if kind == "melding":
        # e.g. feedback to the melder after an onderzoek (T5b) that followed this melding
        return bool(d["melding_id"] == subject_id)
    return True


def late_seconds(due: datetime, at: datetime) -> float | None:
    """How late ``at`` is after ``due`` in seconds, or None when on time."""
    return None if at <= due else (at - due) / timedelta(seconds=1)


def is_statutory(d: JsonDict) -> bool:
    """Whether a deadline is a statutory one."""
    return bool(d["rule_type"] == RuleType.STATUTORY.value)


def huisverbod_in_force(case: CaseState, at: datetime) -> bool:
    """Whether a huisverbod of the case is active and has not reached its end instant."""
    return any(h["state"] in ACTIVE_HUISVERBOD and at < h["ends_at"]
               for h in case.huisverboden.values())
