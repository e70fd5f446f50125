"""A case's history in plain language: when, who, what, why — one entry per event.

The timeline is read straight from the stored events (not from a read model), so it shows
exactly what was recorded. It holds pseudonymous ids and codes only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hgkm_workflow.domain.calendar import amsterdam_zone


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a case, described for people and for machines."""

    version: int
    event: str
    at: datetime | None
    recorded_at: datetime
    actor: dict[str, str] | None
    what: str
    why: str
    rule: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (instants as ISO 8601 with offset)."""
        return {
            "version": self.version,
            "event": self.event,
            "at": self.at.isoformat() if self.at else None,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "what": self.what,
            "why": self.why,
            "rule": self.rule,
            "details": _jsonable(self.details),
        }

    def line(self) -> str:
        """One readable line: when · who · what · why."""
        when = _local(self.at or self.recorded_at)
        who = (f"{self.actor['actor_id']} ({self.actor['organisation']}, {self.actor['role']})"
               if self.actor else "-")
        why = f" — {self.why}" if self.why else ""
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{when}  {who}: {self.what}{why}{rule}"


def _local(instant: datetime) -> str:
    return instant.astimezone(amsterdam_zone()).strftime("%Y-%m-%d %H:%M")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _short(uid: Any) -> str:
    return str(uid)[:8]


def _deadline_text(d: dict[str, Any]) -> str:
    skipped = d.get("skipped") or []
    skip = ""
    if skipped:
        skip = "; skipped " + ", ".join(f"{s['date']} ({s['reason']})" for s in skipped)
    cp = f" check-point {d['checkpoint']}" if d.get("checkpoint") is not None else ""
    return (f"deadline {d['rule_id']} {d['rule_name']}{cp} due {_local(d['due'])} "
            f"(calendar {d['calendar_version']}{skip})")


def _what(name: str, ev: Any) -> tuple[str, dict[str, Any]]:
    a = vars(ev)
    if name == "Opened":
        return f"case opened in {ev.region} / {ev.gemeente}", {}
    if name == "MeldingReceived":
        roles = ", ".join(f"{_short(p['person_id'])}={p['role']}" for p in ev.persons)
        acute = "acute " if ev.acute else ""
        again = " (case reopened)" if ev.reopened else ""
        return (f"{acute}melding {_short(ev.melding_id)} from {ev.melder_type} about "
                f"{', '.join(ev.forms_of_violence)}; persons {roles}{again}"), {}
    if name == "PhaseChanged":
        cause = getattr(ev, "loop_back_cause", None)
        how = f"{ev.how}: {cause}" if cause else ev.how
        return f"phase {ev.from_phase} → {ev.to_phase} ({how})", {}
    if name == "VeiligheidsbeoordelingCompleted":
        extra = f" + {', '.join(ev.additional_measures)}" if ev.additional_measures else ""
        return f"veiligheidsbeoordeling of melding {_short(ev.melding_id)}: {ev.outcome}{extra}", {}
    if name == "DeadlineStarted":
        return _deadline_text(ev.deadline), {"deadline": ev.deadline}
    if name == "DeadlineMet":
        late = ("on time" if ev.late_seconds is None
                else f"late by {ev.late_seconds / 86400:.1f} days")
        return f"deadline {_short(ev.deadline_id)} met {late}", {}
    if name == "DeadlineBreached":
        return f"deadline {_short(ev.deadline_id)} BREACHED (was due {_local(ev.due)})", {}
    if name == "DeadlineClosedUnmet":
        return f"deadline {_short(ev.deadline_id)} closed unmet: {ev.reason}", {}
    if name == "DeadlineRescheduled":
        return (f"deadline {_short(ev.deadline_id)} moved {_local(ev.old_due)} → "
                f"{_local(ev.new_due)} by {ev.decree} (calendar {ev.calendar_version})"), {}
    if name == "HuisverbodImposed":
        return (f"huisverbod {_short(ev.huisverbod_id)} imposed on {_short(ev.removed_person_id)} "
                f"until {_local(ev.ends_at)} (extendable to {_local(ev.max_end)})"), {}
    if name == "HuisverbodExtended":
        return f"huisverbod {_short(ev.huisverbod_id)} extended until {_local(ev.new_end)}", {}
    if name in ("CasusregisseurAssigned",):
        r = ev.regisseur
        return f"casusregisseur {r['actor_id']} ({r['organisation']})", {}
    if name == "HandoverOffered":
        return f"casusregie offered to {ev.to['actor_id']} ({ev.to['organisation']})", {}
    if name == "VtServiceStarted":
        return f"VT {ev.service} started", {}
    if name == "VtServiceCompleted":
        concl = f", conclusion {ev.conclusion}" if ev.conclusion else ""
        return f"VT service completed: {ev.result}{concl}", {}
    if name == "Closed":
        return f"case closed: {ev.reason}", {}
    keys = [k for k in a if k not in _PROVENANCE and not k.startswith("originator")
            and k != "timestamp"]
    detail = ", ".join(f"{k}={a[k]}" for k in keys)
    return f"{_words(name)}" + (f" ({detail})" if detail else ""), {}


_PROVENANCE = frozenset({"actor", "at", "rationale", "rule"})


def _words(name: str) -> str:
    out = "".join(f" {ch.lower()}" if ch.isupper() else ch for ch in name).strip()
    return out


def describe(event: Any) -> TimelineEntry:
    """Describe one stored domain event."""
    name = type(event).__name__
    what, details = _what(name, event)
    at = getattr(event, "at", None)
    if name == "Opened":
        at = event.opened_at
    elif name == "DeadlineStarted":
        at = event.deadline["start"]
    elif name == "DeadlineBreached":
        at = event.detected_at
    actor = getattr(event, "actor", None)
    return TimelineEntry(
        version=event.originator_version,
        event=name,
        at=at,
        recorded_at=event.timestamp,
        actor=actor,
        what=what,
        why=getattr(event, "rationale", "") or "",
        rule=getattr(event, "rule", "") or "",
        details=details,
    )


def timeline(events: list[Any]) -> list[TimelineEntry]:
    """Describe a case's events in order."""
    return [describe(e) for e in events]
