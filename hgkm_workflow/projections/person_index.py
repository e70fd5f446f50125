"""Person index and CBS classification of meldingen (read models of the person index).

**VT involvement.** Veilig Thuis is involved with a household case from the receipt of a
melding until its involvement ends. Per case the projection follows three activities:
meldingen awaiting their veiligheidsbeoordeling, a running VT service (onderzoek or
Voorwaarden en Vervolg) and VT monitoring after a handover. An *involvement* (a row of
``rm_vt_involvements``) starts with a melding when none of the three runs, and ends at the
event that stops the last one: ``VeiligheidsbeoordelingCompleted`` (an outcome that starts
neither a service nor monitoring), ``VtServiceCompleted`` (no monitoring follows),
``VtMonitoringEnded``, or ``Closed``. A service or monitoring started by the same decision
(``VtServiceStarted`` / ``VtMonitoringStarted`` in the same save, at the same instant)
continues the involvement instead of ending it. VT is involved with the household: every
member of the case (named in one of its meldingen or added to it) is linked to the case's
involvements in ``rm_person_involvement`` — members known when an involvement starts, and
persons named or added while it runs. ``rm_household_members`` lists every person of every
case.

**Classification at receipt** (CBS Monitor Veilig Thuis), using the business time ``at`` of
``MeldingReceived`` and only persons whose role is counted (see
:class:`~hgkm_workflow.settings.ClassificationSettings`):

* *vervolgmelding* — one of the persons is in an involvement running at receipt; its kind is
  the involvement's stage: ``after_assessment`` (a VT service runs) before
  ``during_monitoring`` before ``during_assessment``;
* *hermelding* — otherwise, one of the persons was in an involvement that ended at or before
  receipt, on or after the same calendar date ``lookback_years`` earlier (Europe/Amsterdam
  dates; the boundary day counts: "in de afgelopen drie jaar", inclusive);
* *nieuw* — otherwise.

The melding is classified before it is itself recorded in the index. Each row keeps the
reference involvement (which person, which case, which dates) so it can be explained.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import local_date
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.vocabulary import PersonRole

metadata = sa.MetaData()
_ID = sa.String(36)

household_cases = sa.Table(
    "rm_household_cases",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("is_open", sa.Boolean, nullable=False),
    sa.Column("last_melding_at", sa.DateTime, nullable=False),
)

household_members = sa.Table(
    "rm_household_members",
    metadata,
    sa.Column("person_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("since", sa.DateTime, nullable=False),
    sa.Index("ix_rm_household_members_case", "case_id"),
)

vt_involvements = sa.Table(
    "rm_vt_involvements",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("involvement_no", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("started_by", _ID, nullable=True),
    sa.Column("pending_assessments", sa.Integer, nullable=False),
    sa.Column("service_running", sa.Boolean, nullable=False),
    sa.Column("monitoring_running", sa.Boolean, nullable=False),
    sa.Column("stage", sa.String(24), nullable=False),
    sa.Column("last_stage", sa.String(24), nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_event", sa.String(48), nullable=True),
)

person_involvement = sa.Table(
    "rm_person_involvement",
    metadata,
    sa.Column("person_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("involvement_no", sa.Integer, primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Column("joined_at", sa.DateTime, nullable=False),
    sa.Index("ix_rm_person_involvement_case", "case_id", "involvement_no"),
)

melding_classification = sa.Table(
    "rm_melding_classification",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("classification", sa.String(16), nullable=False),
    sa.Column("vervolg_kind", sa.String(24), nullable=True),
    sa.Column("ref_person_id", _ID, nullable=True),
    sa.Column("ref_role", sa.String(32), nullable=True),
    sa.Column("ref_case_id", _ID, nullable=True),
    sa.Column("ref_involvement_no", sa.Integer, nullable=True),
    sa.Column("ref_started_at", sa.DateTime, nullable=True),
    sa.Column("ref_ended_at", sa.DateTime, nullable=True),
    sa.Column("persons_counted", sa.Integer, nullable=False),
    sa.Column("persons_matched", sa.Integer, nullable=False),
    sa.Column("lookback_years", sa.Integer, nullable=False),
    sa.Column("cutoff_on", sa.Date, nullable=False),
    sa.Column("counted_roles", sa.String(160), nullable=False),
    sa.Index("ix_rm_melding_class_region", "region", "received_at"),
    sa.Index("ix_rm_melding_class_gemeente", "gemeente", "received_at"),
    sa.Index("ix_rm_melding_class_received", "received_at"),
)


class MeldingClass(StrEnum):
    """CBS classification of a melding at receipt."""

    NIEUW = "nieuw"
    VERVOLGMELDING = "vervolgmelding"
    HERMELDING = "hermelding"


class VervolgKind(StrEnum):
    """What VT was doing for the person when a vervolgmelding came in (the stage)."""

    DURING_ASSESSMENT = "during_assessment"
    AFTER_ASSESSMENT = "after_assessment"
    DURING_MONITORING = "during_monitoring"


_ENDED = "ended"
_CONTINUABLE = frozenset({"VeiligheidsbeoordelingCompleted", "VtServiceCompleted"})
_STAGE_TEXT = {
    VervolgKind.DURING_ASSESSMENT: "the veiligheidsbeoordeling was under way",
    VervolgKind.AFTER_ASSESSMENT: "an onderzoek or Voorwaarden en Vervolg was running",
    VervolgKind.DURING_MONITORING: "VT was monitoring after a handover",
}


def _stage(pending: int, service: bool, monitoring: bool) -> str:
    if service:
        return VervolgKind.AFTER_ASSESSMENT.value
    if monitoring:
        return VervolgKind.DURING_MONITORING.value
    if pending > 0:
        return VervolgKind.DURING_ASSESSMENT.value
    return _ENDED


def lookback_cutoff(received_on: date, years: int) -> date:
    """The earliest end date that still makes a hermelding (inclusive).

    Args:
        received_on: The Amsterdam date the melding was received.
        years: The lookback in whole years.

    Returns:
        The same calendar date ``years`` earlier (29 February becomes 28 February).
    """
    try:
        return received_on.replace(year=received_on.year - years)
    except ValueError:
        return received_on.replace(year=received_on.year - years, day=28)


# Prebuilt statements (built once; SQLAlchemy caches their compiled form).
_B = sa.bindparam
_current = (
    sa.select(vt_involvements)
    .where(vt_involvements.c.case_id == _B("c"))
    .order_by(vt_involvements.c.involvement_no.desc())
    .limit(1)
)
_INVOLVEMENT_STATE = (
    "pending_assessments",
    "service_running",
    "monitoring_running",
    "stage",
    "last_stage",
    "ended_at",
    "ended_on",
    "end_event",
)
_update_involvement = (
    vt_involvements.update()
    .where(vt_involvements.c.case_id == _B("c"), vt_involvements.c.involvement_no == _B("n"))
    .values({column: _B(f"v_{column}") for column in _INVOLVEMENT_STATE})
)
_candidates = (
    sa.select(
        person_involvement.c.person_id,
        person_involvement.c.role,
        person_involvement.c.case_id,
        person_involvement.c.involvement_no,
        vt_involvements.c.started_at,
        vt_involvements.c.ended_at,
        vt_involvements.c.ended_on,
        vt_involvements.c.stage,
        vt_involvements.c.last_stage,
    )
    .join(
        vt_involvements,
        sa.and_(
            vt_involvements.c.case_id == person_involvement.c.case_id,
            vt_involvements.c.involvement_no == person_involvement.c.involvement_no,
        ),
    )
    .where(
        person_involvement.c.person_id.in_(_B("persons", expanding=True)),
        person_involvement.c.joined_at <= _B("at"),
    )
)
"""Candidate rows for a classification; :func:`classification_row` takes them as tuples in
this column order."""
_linked = sa.select(person_involvement.c.person_id).where(
    person_involvement.c.case_id == _B("c"), person_involvement.c.involvement_no == _B("n")
)
_members_of = sa.select(household_members.c.person_id, household_members.c.role).where(
    household_members.c.case_id == _B("c")
)
_known_members = sa.select(household_members.c.person_id).where(
    household_members.c.case_id == _B("c"),
    household_members.c.person_id.in_(_B("persons", expanding=True)),
)
_case_state = (
    household_cases.update()
    .where(household_cases.c.case_id == _B("c"))
    .values(is_open=_B("open"), last_melding_at=_B("at"))
)
_case_closed = (
    household_cases.update().where(household_cases.c.case_id == _B("c")).values(is_open=False)
)
_INSERT = {t.name: t.insert() for t in metadata.sorted_tables}


def _involvement_params(case_id: str, number: int, state: Mapping[str, Any]) -> dict[str, Any]:
    params = {f"v_{column}": state[column] for column in _INVOLVEMENT_STATE}
    params.update(c=case_id, n=number)
    return params


def melding_joins(pending: int, service: bool, monitoring: bool) -> dict[str, Any]:
    """The state of a running involvement after one more melding joins it."""
    stage = _stage(pending + 1, service, monitoring)
    return {
        "pending_assessments": pending + 1,
        "service_running": service,
        "monitoring_running": monitoring,
        "stage": stage,
        "last_stage": stage,
        "ended_at": None,
        "ended_on": None,
        "end_event": None,
    }


def new_involvement(
    case_id: str, number: int, at: datetime, started_by: str | None, pending: int
) -> dict[str, Any]:
    """A new ``rm_vt_involvements`` row (one melding pending, or an ended placeholder)."""
    stage = VervolgKind.DURING_ASSESSMENT.value if pending else _ENDED
    return {
        "case_id": case_id,
        "involvement_no": number,
        "started_at": at,
        "started_by": started_by,
        "pending_assessments": pending,
        "service_running": False,
        "monitoring_running": False,
        "stage": stage,
        "last_stage": stage,
        "ended_at": None,
        "ended_on": None,
        "end_event": None,
    }


def involvement_change(
    current: tuple[int, bool, bool, str],
    at: datetime,
    kind: str,
    *,
    pending: int = 0,
    service: bool | None = None,
    monitoring: bool | None = None,
    close: bool = False,
) -> dict[str, Any]:
    """The state of an involvement after an event changes one of its activities.

    Args:
        current: Pending assessments, service running, monitoring running and last stage
            before the event.
        at: The event's business time (naive UTC).
        kind: The event class name (recorded as ``end_event`` if the involvement ends).
        pending: Change of the pending assessments.
        service: New value of "service running", if the event changes it.
        monitoring: New value of "monitoring running", if the event changes it.
        close: The case closes: every activity stops.

    Returns:
        The values of the involvement's state columns.
    """
    cur_pending, cur_service, cur_monitoring, cur_last = current
    new_pending = 0 if close else max(0, cur_pending + pending)
    new_service = False if close else (cur_service if service is None else service)
    new_monitoring = False if close else (cur_monitoring if monitoring is None else monitoring)
    stage = _stage(new_pending, new_service, new_monitoring)
    before = _stage(cur_pending, cur_service, cur_monitoring)
    ended = stage == _ENDED
    return {
        "pending_assessments": new_pending,
        "service_running": new_service,
        "monitoring_running": new_monitoring,
        "stage": stage,
        "last_stage": stage if not ended else (before if before != _ENDED else cur_last),
        "ended_at": at if ended else None,
        "ended_on": local_date(at.replace(tzinfo=UTC)) if ended else None,
        "end_event": kind if ended else None,
    }


@dataclass(frozen=True)
class _Candidate:
    person_id: str
    role: str
    case_id: str
    involvement_no: int
    started_at: datetime
    ended_at: datetime | None
    kind: str


class PersonIndexProjection(Projection):
    """Keeps the person index and the classification of every melding.

    Args:
        settings: Lookback and counted roles (default: the CBS definition).
    """

    name: ClassVar[str] = "person_index"
    version: ClassVar[int] = 2  # 2: indexes by case on members and person involvements
    metadata: ClassVar[sa.MetaData] = metadata
    event_names: ClassVar[frozenset[str] | None] = frozenset(
        {
            "MeldingReceived",
            "PersonAdded",
            "VeiligheidsbeoordelingCompleted",
            "VtServiceStarted",
            "VtServiceCompleted",
            "VtMonitoringStarted",
            "VtMonitoringEnded",
            "Closed",
        }
    )

    def __init__(self, settings: ClassificationSettings | None = None) -> None:
        self.settings = settings or ClassificationSettings()
        self._roles = frozenset(r.value for r in self.settings.counted_roles)

    @property
    def counted_roles(self) -> frozenset[str]:
        """The role values whose persons count for the classification."""
        return self._roles

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Fold a batch in memory (see :mod:`hgkm_workflow.projections.person_batch`)."""
        from hgkm_workflow.projections.person_batch import PersonIndexBatch

        batch = PersonIndexBatch(self)
        for item in batch.load(conn, events):
            batch.fold(*item)
        batch.flush(conn)

    def apply(self, conn: sa.Connection, event: object, position: int) -> None:
        """Update the index (and classify a melding) for one household case event."""
        if not type(event).__qualname__.startswith("HouseholdCase."):
            return
        ev: Any = event
        kind = type(event).__name__
        case_id = str(ev.originator_id)
        at = naive_utc(ev.at)
        if kind == "MeldingReceived":
            self._melding(conn, ev, case_id, at)
        elif kind == "PersonAdded":
            self._person_added(conn, case_id, ev.person_id, ev.role, at)
        elif kind == "Closed":
            conn.execute(_case_closed, {"c": case_id})
            self._change(conn, case_id, at, kind, close=True)
        elif kind == "VeiligheidsbeoordelingCompleted":
            self._change(conn, case_id, at, kind, pending=-1)
        elif kind == "VtServiceStarted":
            self._change(conn, case_id, at, kind, service=True)
        elif kind == "VtServiceCompleted":
            self._change(conn, case_id, at, kind, service=False)
        elif kind == "VtMonitoringStarted":
            self._change(conn, case_id, at, kind, monitoring=True)
        elif kind == "VtMonitoringEnded":
            self._change(conn, case_id, at, kind, monitoring=False)

    # ------------------------------------------------------------------ melding

    def _melding(self, conn: sa.Connection, ev: Any, case_id: str, at: datetime) -> None:
        persons: list[dict[str, str]] = list(ev.persons)
        self._classify(conn, ev, case_id, at, persons)
        cur = conn.execute(_current, {"c": case_id}).first()
        if cur is None:
            conn.execute(
                _INSERT["rm_household_cases"],
                {"case_id": case_id, "is_open": True, "last_melding_at": at},
            )
        else:
            conn.execute(_case_state, {"c": case_id, "open": True, "at": at})
        if cur is not None and cur.ended_at is None:
            number = int(cur.involvement_no)
            state = melding_joins(
                int(cur.pending_assessments), cur.service_running, cur.monitoring_running
            )
            conn.execute(_update_involvement, _involvement_params(case_id, number, state))
        else:
            number = 1 if cur is None else int(cur.involvement_no) + 1
            conn.execute(
                _INSERT["rm_vt_involvements"],
                new_involvement(case_id, number, at, ev.melding_id, pending=1),
            )
        fresh = cur is None or cur.ended_at is not None  # a new involvement: nobody linked yet
        self._link(conn, case_id, number, at, ev.melding_id, persons, fresh=fresh)
        if cur is not None and fresh:
            # VT's involvement is with the household: earlier members not named this time
            # belong to it too (with the role they were first recorded with).
            named = {p["person_id"] for p in persons}
            others = [dict(r._mapping) for r in conn.execute(_members_of, {"c": case_id})
                      if r.person_id not in named]
            if others:
                self._link(conn, case_id, number, at, None, others, fresh=True)
        ids = [p["person_id"] for p in persons]
        known = (set() if cur is None else  # a new case has no members yet
                 {r.person_id for r in conn.execute(_known_members,
                                                    {"c": case_id, "persons": ids})})
        new = [
            {"person_id": p["person_id"], "case_id": case_id, "role": p["role"], "since": at}
            for p in persons
            if p["person_id"] not in known
        ]
        if new:
            conn.execute(_INSERT["rm_household_members"], new)

    def _link(
        self,
        conn: sa.Connection,
        case_id: str,
        number: int,
        at: datetime,
        melding_id: str | None,
        persons: Sequence[Mapping[str, str]],
        *,
        fresh: bool = False,
    ) -> None:
        linked = (set() if fresh else
                  {r.person_id for r in conn.execute(_linked, {"c": case_id, "n": number})})
        rows = [
            {
                "person_id": p["person_id"],
                "case_id": case_id,
                "involvement_no": number,
                "role": p["role"],
                "melding_id": melding_id,
                "joined_at": at,
            }
            for p in persons
            if p["person_id"] not in linked
        ]
        if rows:
            conn.execute(_INSERT["rm_person_involvement"], rows)

    def _person_added(
        self, conn: sa.Connection, case_id: str, person_id: str, role: str, at: datetime
    ) -> None:
        conn.execute(
            _INSERT["rm_household_members"],
            {"person_id": person_id, "case_id": case_id, "role": role, "since": at},
        )
        cur = conn.execute(_current, {"c": case_id}).first()
        if cur is not None and cur.ended_at is None:
            self._link(
                conn,
                case_id,
                int(cur.involvement_no),
                at,
                None,
                [{"person_id": person_id, "role": role}],
            )

    # ------------------------------------------------------------------ involvement changes

    def _change(
        self,
        conn: sa.Connection,
        case_id: str,
        at: datetime,
        kind: str,
        *,
        pending: int = 0,
        service: bool | None = None,
        monitoring: bool | None = None,
        close: bool = False,
    ) -> None:
        cur = conn.execute(_current, {"c": case_id}).first()
        if cur is None:
            return
        number = int(cur.involvement_no)
        starts = service is True or monitoring is True
        if cur.ended_at is not None:
            if not starts:
                return
            if not (cur.ended_at == at and cur.end_event in _CONTINUABLE):
                # Not a continuation of the same decision: a new involvement (defensive).
                number += 1
                conn.execute(
                    _INSERT["rm_vt_involvements"],
                    new_involvement(case_id, number, at, None, pending=0),
                )
                members = [dict(r._mapping) for r in conn.execute(_members_of, {"c": case_id})]
                self._link(conn, case_id, number, at, None, members, fresh=True)
            current = (0, False, False, str(cur.last_stage))
        else:
            current = (
                int(cur.pending_assessments),
                bool(cur.service_running),
                bool(cur.monitoring_running),
                str(cur.last_stage),
            )
        state = involvement_change(
            current, at, kind, pending=pending, service=service, monitoring=monitoring, close=close
        )
        conn.execute(_update_involvement, _involvement_params(case_id, number, state))

    # ------------------------------------------------------------------ classification

    def _classify(
        self,
        conn: sa.Connection,
        ev: Any,
        case_id: str,
        at: datetime,
        persons: list[dict[str, str]],
    ) -> None:
        counted = [p["person_id"] for p in persons if p["role"] in self._roles]
        rows = (
            [tuple(r) for r in conn.execute(_candidates, {"persons": counted, "at": at})]
            if counted
            else []
        )
        conn.execute(
            _INSERT["rm_melding_classification"],
            self.classification_row(ev, case_id, at, counted, rows),
        )

    def classification_row(
        self,
        ev: Any,
        case_id: str,
        at: datetime,
        counted: list[str],
        rows: Iterable[tuple[Any, ...]],
    ) -> dict[str, Any]:
        """The ``rm_melding_classification`` row of a melding.

        Args:
            ev: The ``MeldingReceived`` event.
            case_id: Its case.
            at: Its business time (naive UTC).
            counted: The ids of its persons whose role counts.
            rows: The candidate involvements of the counted persons joined at or before
                ``at``, as tuples in the column order of the ``_candidates`` query.

        Returns:
            The row to insert.
        """
        received_on = local_date(at.replace(tzinfo=UTC))
        cutoff = lookback_cutoff(received_on, self.settings.lookback_years)
        active: list[_Candidate] = []
        recent: list[_Candidate] = []
        older: list[_Candidate] = []
        # Sorted, so that ties in the choice of the reference do not depend on row order.
        for r in sorted(rows, key=_candidate_order):
            person_id, role, ref_case, number, started_at, ended_at, ended_on, stage, last = r
            if role not in self._roles:
                continue
            running = ended_at is None or ended_at > at
            cand = _Candidate(
                person_id,
                role,
                ref_case,
                int(number),
                started_at,
                None if running else ended_at,
                (stage if ended_at is None else last),
            )
            if running:
                active.append(cand)
            elif ended_on >= cutoff:
                recent.append(cand)
            else:
                older.append(cand)
        kind: str | None = None
        ref: _Candidate | None
        if active:
            label = MeldingClass.VERVOLGMELDING.value
            ref = min(
                active,
                key=lambda c: (c.case_id != case_id, -_ts(c.started_at), c.case_id, c.person_id),
            )
            kind = ref.kind if ref.kind != _ENDED else VervolgKind.DURING_ASSESSMENT.value
            matched = len({c.person_id for c in active})
        elif recent:
            label = MeldingClass.HERMELDING.value
            ref = min(recent, key=_latest_end)
            matched = len({c.person_id for c in recent})
        else:
            label = MeldingClass.NIEUW.value
            ref = min(older, key=_latest_end) if older else None
            matched = 0
        return {
            "melding_id": ev.melding_id,
            "case_id": case_id,
            "region": ev.region,
            "gemeente": ev.gemeente,
            "received_at": at,
            "classification": label,
            "vervolg_kind": kind,
            "ref_person_id": ref.person_id if ref else None,
            "ref_role": ref.role if ref else None,
            "ref_case_id": ref.case_id if ref else None,
            "ref_involvement_no": ref.involvement_no if ref else None,
            "ref_started_at": ref.started_at if ref else None,
            "ref_ended_at": ref.ended_at if ref else None,
            "persons_counted": len(counted),
            "persons_matched": matched,
            "lookback_years": self.settings.lookback_years,
            "cutoff_on": cutoff,
            "counted_roles": self.settings.roles_text,
        }


def _candidate_order(row: tuple[Any, ...]) -> tuple[str, str, int]:
    return (str(row[0]), str(row[2]), int(row[3]))


def _ts(instant: datetime) -> float:
    return instant.replace(tzinfo=UTC).timestamp()


def _latest_end(c: _Candidate) -> tuple[float, str, str]:
    assert c.ended_at is not None
    return (-_ts(c.ended_at), c.case_id, c.person_id)


def person_index_projection() -> PersonIndexProjection:
    """The person index with settings from the environment (CBS defaults when unset)."""
    return PersonIndexProjection(ClassificationSettings.from_env(os.environ))


# ---------------------------------------------------------------------- queries


class MeldingNotClassified(HgkmError):
    """No classification is stored for the melding (unknown id, or not caught up)."""

    code = "MELDING_NOT_FOUND"
    default_rule = "melding-exists"


@dataclass(frozen=True)
class InvolvementRef:
    """The earlier or running VT involvement a classification rests on."""

    person_id: UUID
    role: PersonRole
    case_id: UUID
    involvement_no: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class MeldingClassification:
    """The classification of one melding at receipt, with what it rests on.

    Attributes:
        melding_id: The melding.
        case_id: The household case it was recorded on.
        region: Region of the melding.
        gemeente: Gemeente (CBS code) of the melding.
        received_at: Business time of receipt (UTC).
        classification: nieuw, vervolgmelding or hermelding.
        vervolg_kind: For a vervolgmelding: during, after the assessment, or monitoring.
        reference: The involvement that decided it: running (vervolgmelding), ended within
            the lookback (hermelding), or for nieuw the latest one that ended before the
            lookback window (``None`` if the persons were never known).
        persons_counted: Persons of the melding whose role counts.
        persons_matched: Counted persons with an involvement of the deciding kind.
        lookback_years: The lookback setting used.
        cutoff: Earliest end date (Amsterdam) that still makes a hermelding, inclusive.
        counted_roles: The roles setting used.
    """

    melding_id: UUID
    case_id: UUID
    region: str
    gemeente: str
    received_at: datetime
    classification: MeldingClass
    vervolg_kind: VervolgKind | None
    reference: InvolvementRef | None
    persons_counted: int
    persons_matched: int
    lookback_years: int
    cutoff: date
    counted_roles: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """A sentence saying why (pseudonymous ids, codes and dates only)."""
        ref = self.reference
        received = f"receipt at {self.received_at.isoformat(timespec='minutes')}"
        window = (
            f"the {self.lookback_years}-year lookback (ended on or after "
            f"{self.cutoff.isoformat()}, inclusive)"
        )
        if self.classification is MeldingClass.VERVOLGMELDING and ref is not None:
            assert self.vervolg_kind is not None
            return (
                f"vervolgmelding ({self.vervolg_kind.value}): person {ref.person_id} "
                f"(role {ref.role.value}) is in VT involvement #{ref.involvement_no} of case "
                f"{ref.case_id}, running since {ref.started_at.isoformat(timespec='minutes')}"
                f"; at {received} {_STAGE_TEXT[self.vervolg_kind]}. "
                f"{self.persons_matched} of {self.persons_counted} counted person(s) were "
                "involved at receipt."
            )
        if self.classification is MeldingClass.HERMELDING and ref is not None:
            assert ref.ended_at is not None
            return (
                f"hermelding: person {ref.person_id} (role {ref.role.value}) was in VT "
                f"involvement #{ref.involvement_no} of case {ref.case_id} from "
                f"{ref.started_at.isoformat(timespec='minutes')} until "
                f"{ref.ended_at.isoformat(timespec='minutes')}, which ended within "
                f"{window}; {self.persons_matched} of {self.persons_counted} counted "
                f"person(s) had such an involvement, none was involved at {received}."
            )
        text = (
            f"nieuw: none of the {self.persons_counted} counted person(s) was in a VT "
            f"involvement running at {received} or ended within {window}"
        )
        if ref is not None and ref.ended_at is not None:
            text += (
                f"; the latest earlier involvement (person {ref.person_id}, case "
                f"{ref.case_id}) ended at {ref.ended_at.isoformat(timespec='minutes')}, "
                "outside the lookback"
            )
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the explanation."""
        ref = self.reference
        return {
            "melding_id": str(self.melding_id),
            "case_id": str(self.case_id),
            "region": self.region,
            "gemeente": self.gemeente,
            "received_at": self.received_at.isoformat(),
            "classification": self.classification.value,
            "vervolg_kind": self.vervolg_kind.value if self.vervolg_kind else None,
            "reference": None
            if ref is None
            else {
                "person_id": str(ref.person_id),
                "role": ref.role.value,
                "case_id": str(ref.case_id),
                "involvement_no": ref.involvement_no,
                "started_at": ref.started_at.isoformat(),
                "ended_at": ref.ended_at.isoformat() if ref.ended_at else None,
            },
            "persons_counted": self.persons_counted,
            "persons_matched": self.persons_matched,
            "lookback_years": self.lookback_years,
            "cutoff": self.cutoff.isoformat(),
            "counted_roles": list(self.counted_roles),
            "explanation": self.explanation,
        }


def get_classification(engine: sa.Engine, melding_id: UUID) -> MeldingClassification:
    """Read the stored classification of a melding.

    Args:
        engine: The read-model engine (the application's ``engine``).
        melding_id: The melding.

    Returns:
        The classification with its reference involvement.

    Raises:
        MeldingNotClassified: If no classification is stored for the melding.
    """
    with engine.connect() as conn:
        r = conn.execute(
            sa.select(melding_classification).where(
                melding_classification.c.melding_id == str(melding_id)
            )
        ).first()
    if r is None:
        raise MeldingNotClassified(f"no classified melding {melding_id}")
    ref = None
    if r.ref_person_id is not None:
        ref = InvolvementRef(
            person_id=UUID(r.ref_person_id),
            role=PersonRole(r.ref_role),
            case_id=UUID(r.ref_case_id),
            involvement_no=int(r.ref_involvement_no),
            started_at=aware_utc(r.ref_started_at),
            ended_at=aware_utc(r.ref_ended_at) if r.ref_ended_at is not None else None,
        )
    return MeldingClassification(
        melding_id=UUID(r.melding_id),
        case_id=UUID(r.case_id),
        region=r.region,
        gemeente=r.gemeente,
        received_at=aware_utc(r.received_at),
        classification=MeldingClass(r.classification),
        vervolg_kind=VervolgKind(r.vervolg_kind) if r.vervolg_kind else None,
        reference=ref,
        persons_counted=int(r.persons_counted),
        persons_matched=int(r.persons_matched),
        lookback_years=int(r.lookback_years),
        cutoff=r.cutoff_on,
        counted_roles=tuple(r.counted_roles.split(",")),
    )


@dataclass(frozen=True)
class PersonInvolvement:
    """One VT involvement of a person (a row of the person index)."""

    case_id: UUID
    involvement_no: int
    role: PersonRole
    joined_at: datetime
    started_at: datetime
    ended_at: datetime | None
    end_event: str | None
    stage: str


def involvements_of(engine: sa.Engine, person_id: UUID) -> list[PersonInvolvement]:
    """Every VT involvement of a person, oldest first.

    Args:
        engine: The read-model engine.
        person_id: The pseudonymous person id.

    Returns:
        The involvements, with the case, the dates and how each ended.
    """
    pi, v = person_involvement, vt_involvements
    query = (
        sa.select(
            pi.c.case_id,
            pi.c.involvement_no,
            pi.c.role,
            pi.c.joined_at,
            v.c.started_at,
            v.c.ended_at,
            v.c.end_event,
            v.c.stage,
        )
        .join(v, sa.and_(v.c.case_id == pi.c.case_id, v.c.involvement_no == pi.c.involvement_no))
        .where(pi.c.person_id == str(person_id))
        .order_by(v.c.started_at, pi.c.case_id, pi.c.involvement_no)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        PersonInvolvement(
            case_id=UUID(r.case_id),
            involvement_no=int(r.involvement_no),
            role=PersonRole(r.role),
            joined_at=aware_utc(r.joined_at),
            started_at=aware_utc(r.started_at),
            ended_at=aware_utc(r.ended_at) if r.ended_at is not None else None,
            end_event=r.end_event,
            stage=r.stage,
        )
        for r in rows
    ]


def open_case_for_persons(engine: sa.Engine, person_ids: Iterable[UUID | str],
                          at: datetime | None = None) -> UUID | None:
    """The open household case that one of these persons belongs to, if any.

    A new melding about persons already in an open case belongs to that household's history.
    When several open cases qualify, the one sharing the most persons wins, then the one with
    the most recent melding, then the smallest case id (deterministic).

    Args:
        engine: The read-model engine (caught up by the caller).
        person_ids: The persons of the new melding.
        at: The melding's business time, when it was registered late: only cases opened at or
            before it qualify (a case cannot hold a melding from before it was opened).

    Returns:
        The case id, or ``None`` when no open case holds any of the persons.
    """
    ids = sorted({str(p) for p in person_ids})
    if not ids:
        return None
    m, c = household_members, household_cases
    hits = sa.func.count().label("hits")
    query = (
        sa.select(m.c.case_id, hits, c.c.last_melding_at)
        .join(c, c.c.case_id == m.c.case_id)
        .where(m.c.person_id.in_(ids), c.c.is_open.is_(True))
        .group_by(m.c.case_id, c.c.last_melding_at)
        .order_by(hits.desc(), c.c.last_melding_at.desc(), m.c.case_id)
        .limit(1)
    )
    if at is not None:
        query = query.join(cases, cases.c.case_id == m.c.case_id).where(
            cases.c.opened_at <= naive_utc(at))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return UUID(row.case_id) if row is not None else None
