"""Histories of a case as its published events tell them (``app.case_events``; docs/events.md).

The scenario runner checks the role history, the phase history and time in phase, the crisis
measures and the plegeraanbod through these folds over the stored events of a case — what the
library publishes to auditors — never through the aggregate's internals. Every value is a code,
a business-time instant or a pseudonymous id; the expectations turn ids into scenario names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["CrisisEntry", "PhaseVisit", "RoleEntry", "TrackEntry", "crisis_measures",
           "partner_tracks", "phase_visits", "plegeraanbod", "procesregie", "role_history",
           "show_duration"]


@dataclass(frozen=True)
class RoleEntry:
    """A role recorded for a person: at a melding, on adding the person, or by a correction.

    Attributes:
        role: The role code.
        source: ``melding``, ``added`` or ``correction``.
        melding_id: The melding that recorded it (source ``melding``), else None.
        at: Business time of the record.
    """

    role: str
    source: str
    melding_id: str | None
    at: datetime


@dataclass(frozen=True)
class PhaseVisit:
    """One stay in a phase: entered at ``entered`` (how), left at ``left`` (None: still there)."""

    phase: str
    how: str
    entered: datetime
    left: datetime | None

    def time(self, now: datetime) -> timedelta:
        """Business time spent in this visit; a visit still running counts up to ``now``."""
        return max((self.left or now) - self.entered, timedelta())


@dataclass(frozen=True)
class CrisisEntry:
    """A crisis measure the case records (``huisverbod`` for a tijdelijk huisverbod)."""

    measure: str
    at: datetime


def _name(event: Any) -> str:
    return type(event).__name__


def role_history(events: Iterable[Any]) -> dict[str, list[RoleEntry]]:
    """Per person id: every role recorded, in order (each melding naming them, additions,
    corrections)."""
    out: dict[str, list[RoleEntry]] = {}
    for ev in events:
        name = _name(ev)
        if name == "MeldingReceived":
            for p in ev.persons:
                out.setdefault(str(p["person_id"]), []).append(
                    RoleEntry(str(p["role"]), "melding", str(ev.melding_id), ev.at))
        elif name == "PersonAdded":
            out.setdefault(str(ev.person_id), []).append(
                RoleEntry(str(ev.role), "added", None, ev.at))
        elif name == "PersonRoleCorrected":
            out.setdefault(str(ev.person_id), []).append(
                RoleEntry(str(ev.role), "correction", None, ev.at))
    return out


def phase_visits(events: Iterable[Any]) -> list[PhaseVisit]:
    """Every phase the case entered, in order, with when it was entered and left."""
    visits: list[PhaseVisit] = []
    for ev in events:
        if _name(ev) != "PhaseChanged":
            continue
        if visits:
            last = visits[-1]
            visits[-1] = PhaseVisit(last.phase, last.how, last.entered, ev.at)
        visits.append(PhaseVisit(str(ev.to_phase), str(ev.how), ev.at, None))
    return visits


def crisis_measures(events: Iterable[Any]) -> list[CrisisEntry]:
    """The crisis measures recorded on the case, in order; a huisverbod counts as one."""
    out: list[CrisisEntry] = []
    for ev in events:
        name = _name(ev)
        if name == "CrisisMeasureTaken":
            out.append(CrisisEntry(str(ev.measure), ev.at))
        elif name == "HuisverbodImposed":
            out.append(CrisisEntry("huisverbod", ev.at))
    return out


def plegeraanbod(events: Iterable[Any]) -> dict[str, str]:
    """Per person id: the state of the latest plegeraanbod (offered, accepted, declined)."""
    out: dict[str, str] = {}
    for ev in events:
        name = _name(ev)
        if name == "PlegeraanbodOffered":
            out[str(ev.person_id)] = "offered"
        elif name == "PlegeraanbodResponded":
            out[str(ev.person_id)] = "accepted" if ev.accepted else "declined"
    return out


@dataclass(frozen=True)
class TrackEntry:
    """A partner track as its events tell it: kind, who runs it, and how it ended."""

    kind: str
    organisation_type: str
    started: datetime
    ended: datetime | None
    outcome: str | None


def partner_tracks(events: Iterable[Any]) -> list[TrackEntry]:
    """The partners' tracks recorded on the case, in the order they started."""
    out: dict[str, TrackEntry] = {}
    for ev in events:
        name = _name(ev)
        if name == "PartnerTrackStarted":
            out[str(ev.track_id)] = TrackEntry(str(ev.kind), str(ev.organisation_type), ev.at,
                                               None, None)
        elif name == "PartnerTrackEnded" and str(ev.track_id) in out:
            t = out[str(ev.track_id)]
            out[str(ev.track_id)] = TrackEntry(t.kind, t.organisation_type, t.started, ev.at,
                                               str(ev.outcome))
    return list(out.values())


def procesregie(events: Iterable[Any]) -> str | None:
    """The organisation type holding procesregie after the events (None: nobody)."""
    holder: str | None = None
    for ev in events:
        name = _name(ev)
        if name == "ProcesregieTaken":
            holder = ev.holder.get("organisation_type")
        elif name == "ProcesregieHandedBack":
            holder = None
    return holder


def show_duration(value: timedelta) -> str:
    """A duration in the scenario notation: ``3d``, ``2d4h``, ``1m30s``, ``0s``."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
