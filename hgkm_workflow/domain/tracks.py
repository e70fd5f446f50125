"""The partners' tracks beside the phases: start and end, one mechanism for every kind.

A criminal track, a request to the Raad voor de Kinderbescherming (Beschermingstafel), a child
protection order carried out by a gecertificeerde instelling, a shelter stay and the Centrum
Huiselijk Geweld's temporary involvement are each a ``PartnerTrackStarted`` and a
``PartnerTrackEnded`` event: the kind, the organisation that runs it (id and type) and the
outcome are codes checked against :data:`~hgkm_workflow.domain.track_kinds.TRACK_KINDS`.

Rules (each refusal names its source):

- a track never changes the phase; it starts only on an open case, is run by an organisation
  of a type its kind allows (``TRACK_ORGANISATION_NOT_ALLOWED``), concerns persons of the case,
  and the same organisation runs one open track of a kind at a time (``TRACK_ALREADY_OPEN``);
- it ends once (``TRACK_ALREADY_ENDED``), not before it started (``OCCURRED_BEFORE_TRACK``,
  the antecedent mechanism), with an outcome its kind allows (``TRACK_OUTCOME_NOT_ALLOWED``);
- the Centrum Huiselijk Geweld is "nooit het eindpunt" (001): its involvement ends only by
  handing back to the local field, a named ``lokaal_team`` (``LOCAL_FIELD_REQUIRED``), and not
  while it still holds procesregie (``PROCESREGIE_HELD``);
- a case closes only once every track has ended (``PARTNER_TRACKS_OPEN``, checked with the
  other closing guards in ``domain/case_deadlines.py``): ending a track whose partner goes on
  without the case is an explicit decision, outcome ``followed_outside_case``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import CaseGuards
from hgkm_workflow.domain.track_kinds import TRACK_KINDS, open_tracks, procesregie_holder
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.vocabulary import OrganisationType, TrackKind

if TYPE_CHECKING:
    from hgkm_workflow.commands_tracks import EndPartnerTrack, StartPartnerTrack

JsonDict = dict[str, Any]


class TrackDecisions(CaseGuards):
    """Starting and ending the partners' tracks."""

    def start_partner_track(self, cmd: StartPartnerTrack, track_id: UUID,
                            ctx: DecisionContext) -> None:
        """Start a partner track beside the phases (the phase does not change)."""
        self._require_open("start_partner_track")
        spec = TRACK_KINDS[cmd.kind]
        if cmd.organisation_type not in spec.organisation_types:
            allowed = ", ".join(sorted(t.value for t in spec.organisation_types))
            raise RuleViolation(f"a {spec.kind.value} track is run by {allowed}",
                                code="TRACK_ORGANISATION_NOT_ALLOWED", rule=spec.rule)
        for pid in cmd.person_ids:
            self._require_person(pid)
        tracks: dict[str, JsonDict] = self.__dict__.get("tracks", {})
        if str(track_id) in tracks:
            raise RuleViolation("a track with this id exists in the case",
                                code="TRACK_ID_IN_USE", rule="track-ids")
        if any(t["kind"] == spec.kind.value and t["organisation"] == cmd.organisation
               for t in open_tracks(self).values()):
            raise RuleViolation("this organisation already runs an open track of this kind",
                                code="TRACK_ALREADY_OPEN", rule=spec.rule)
        self._partner_track_started(
            **ctx.provenance(cmd, rule=spec.rule), track_id=str(track_id), kind=spec.kind.value,
            organisation=cmd.organisation, organisation_type=cmd.organisation_type.value,
            person_ids=list(dict.fromkeys(str(p) for p in cmd.person_ids)))

    def end_partner_track(self, cmd: EndPartnerTrack, ctx: DecisionContext) -> None:
        """End a partner track with its outcome."""
        track = self.__dict__.get("tracks", {}).get(str(cmd.track_id))
        if track is None:
            raise RuleViolation("no such partner track in this case", code="TRACK_NOT_FOUND",
                                rule="track-exists")
        if track["ended_at"] is not None:
            raise RuleViolation("this partner track has ended", code="TRACK_ALREADY_ENDED",
                                rule="track-exists")
        spec = TRACK_KINDS[TrackKind(track["kind"])]
        if cmd.outcome not in spec.outcomes:
            allowed = ", ".join(sorted(o.value for o in spec.outcomes))
            raise RuleViolation(f"a {spec.kind.value} track ends with {allowed}",
                                code="TRACK_OUTCOME_NOT_ALLOWED", rule=spec.rule)
        if spec.ends_with_handover:
            to = cmd.handover_to
            if to is None or to.organisation_type is not OrganisationType.LOKAAL_TEAM:
                raise RuleViolation("the track ends by handing back to the local field "
                                    "(a lokaal_team in handover_to)",
                                    code="LOCAL_FIELD_REQUIRED", rule=spec.rule)
            holder = procesregie_holder(self)
            if holder is not None and holder["holder"]["organisation"] == track["organisation"]:
                raise RuleViolation("the organisation still holds procesregie; hand it back "
                                    "first", code="PROCESREGIE_HELD", rule=spec.rule)
        self._partner_track_ended(
            **ctx.provenance(cmd, rule=spec.rule), track_id=str(cmd.track_id),
            outcome=cmd.outcome.value,
            handover_to=cmd.handover_to.model_dump(mode="json") if cmd.handover_to else None)


def partner_track_started(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          track_id: str, kind: str, organisation: str, organisation_type: str,
                          person_ids: list[str]) -> None:
    """The ``PartnerTrackStarted`` event method."""
    self.__dict__.setdefault("tracks", {})[track_id] = {
        "kind": kind, "organisation": organisation, "organisation_type": organisation_type,
        "person_ids": person_ids, "started_at": at, "started_by": actor, "ended_at": None,
        "outcome": None, "handover_to": None}


def partner_track_ended(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        track_id: str, outcome: str, handover_to: JsonDict | None) -> None:
    """The ``PartnerTrackEnded`` event method."""
    self.__dict__["tracks"][track_id].update(ended_at=at, outcome=outcome,
                                             handover_to=handover_to)
