"""Lookups on the person index: a melding's classification, a person's involvements, and the
open case a new melding's persons belong to.

They read the tables of :mod:`hgkm_workflow.projections.person_tables` (and ``rm_cases``)
through a read-model engine that the caller has caught up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.errors import HgkmError
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.projections.person_rules import STAGE_TEXT, MeldingClass, VervolgKind
from hgkm_workflow.projections.person_tables import (
    household_cases,
    household_members,
    melding_classification,
    person_involvement,
    vt_involvements,
)
from hgkm_workflow.vocabulary import PersonRole


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
            if self.vervolg_kind is None:  # an invariant, kept under python -O
                raise RuntimeError("internal invariant broken: self.vervolg_kind is missing")
            return (
                f"vervolgmelding ({self.vervolg_kind.value}): person {ref.person_id} "
                f"(role {ref.role.value}) is in VT involvement #{ref.involvement_no} of case "
                f"{ref.case_id}, running since {ref.started_at.isoformat(timespec='minutes')}"
                f"; at {received} {STAGE_TEXT[self.vervolg_kind]}. "
                + (f"{self.persons_matched} of {self.persons_counted} counted person(s) were "
                   "involved at receipt." if self.persons_matched else
                   "The melding joins the running involvement of its own case, whoever it "
                   "names.")
            )
        if self.classification is MeldingClass.HERMELDING and ref is not None:
            if ref.ended_at is None:  # an invariant, kept under python -O
                raise RuntimeError("internal invariant broken: ref.ended_at is missing")
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
