"""The partners' tracks as data: which organisations run each kind, how it may end, and why.

A partner track runs beside the phases (domain brief section 3: "Sub-processes that run beside
the phases ... child protection; criminal track"): it has a start, an end, the organisation
that runs it (id and type) and, where the sources give them, outcome codes. One mechanism for
every kind — :data:`TRACK_KINDS` is the only place a kind is described; the decisions in
:mod:`hgkm_workflow.domain.tracks` read it and never name a kind themselves, except through
the :attr:`TrackKindSpec.ends_with_handover` flag.

No kind has a deadline: the seeds give no term for a criminal track, a Beschermingstafel, a
child protection order, a shelter stay or the Centrum Huiselijk Geweld's involvement (the
terms they do give are T1–T11 in ``docs/deadline-rules.md``), so none is invented here.

Pure reads for the other decisions (closing, authority) are :func:`open_tracks` and
:func:`closure_blocker`; this module imports nothing of the case or its guards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hgkm_workflow.vocabulary import OrganisationType as O
from hgkm_workflow.vocabulary import TrackKind as K
from hgkm_workflow.vocabulary import TrackOutcome as R

__all__ = ["PROCESREGIE_GROUNDS", "PROCESREGIE_TYPES", "RULE_CLOSE_WITH_TRACKS",
           "RULE_PROCESREGIE", "TRACK_KINDS", "TrackKindSpec", "closure_blocker", "open_tracks",
           "partner_organisations", "procesregie_holder"]

JsonDict = dict[str, Any]

RULE_PROCESREGIE = ("procesregie beside casusregie: 'De proces- en casusregie kan verschillend "
                    "worden belegd' (seed 004); MDA++ kernteam (seed 002), Zorg- en "
                    "Veiligheidshuis and Centrum Huiselijk Geweld (seed 001)")
RULE_CLOSE_WITH_TRACKS = ("'We laten niet los voordat de ander beet heeft' (seed 004): a case "
                          "closes once each partner track and procesregie has ended explicitly")

#: Who may hold procesregie: the MDA++ kernteam "bewaakt ... (procesregie)" (002); "Het Zorg-
#: en Veiligheidshuis voert procesregie op casussen waarin de strafrechtelijke aanpak daarom
#: vraagt" and the Centrum Huiselijk Geweld holds "casus- en procesregie" (001).
PROCESREGIE_TYPES = frozenset({O.MDA_KERNTEAM, O.ZORG_EN_VEILIGHEIDSHUIS,
                               O.CENTRUM_HUISELIJK_GEWELD})

#: The track whose being open is the ground for procesregie by that organisation type: the
#: ZVH "op casussen waarin de strafrechtelijke aanpak daarom vraagt", the Centrum Huiselijk
#: Geweld while it is involved (001). The MDA++ kernteam's ground is the escalation (002).
PROCESREGIE_GROUNDS: Mapping[O, K] = MappingProxyType({
    O.ZORG_EN_VEILIGHEIDSHUIS: K.CRIMINAL, O.CENTRUM_HUISELIJK_GEWELD: K.CHG_INVOLVEMENT})


@dataclass(frozen=True)
class TrackKindSpec:
    """One kind of partner track.

    Attributes:
        kind: The code.
        organisation_types: The organisation types that run this kind of track.
        outcomes: The outcome codes the kind may end with (the sources' own terms).
        ends_with_handover: The track ends only by handing back to the local field, which is
            named (organisation and type ``lokaal_team``): "nooit het eindpunt" (001).
        rule: The source, named on the track's events.
    """

    kind: K
    organisation_types: frozenset[O]
    outcomes: frozenset[R]
    ends_with_handover: bool
    rule: str


def _spec(kind: K, types: set[O], outcomes: set[R], rule: str,
          ends_with_handover: bool = False) -> TrackKindSpec:
    return TrackKindSpec(kind, frozenset(types), frozenset(outcomes), ends_with_handover, rule)


#: Every kind of partner track (docs/tracks.md renders the same table by hand).
TRACK_KINDS: Mapping[K, TrackKindSpec] = MappingProxyType({s.kind: s for s in (
    _spec(K.CRIMINAL, {O.POLITIE, O.OM, O.ZORG_EN_VEILIGHEIDSHUIS},
          {R.NOT_PROSECUTED, R.ZSM_AFDOENING, R.PROSECUTED, R.JUSTITIELE_VOORWAARDEN,
           R.FOLLOWED_OUTSIDE_CASE},
          "strafrechtelijk traject: politie, OM/ZSM ('betekenisvolle afdoening'), Zorg- en "
          "Veiligheidshuis (seed 001); 'afweging van strafrechtelijke vervolging', "
          "'justitiële voorwaarden' (seed 002)"),
    _spec(K.RVDK_REQUEST, {O.RVDK},
          {R.MEASURE_PREVENTED, R.PROTECTION_ORDER_REQUESTED, R.NO_MEASURE_NEEDED,
           R.FOLLOWED_OUTSIDE_CASE},
          "Jeugdbeschermingstafel 'als toegang naar de Raad voor de Kinderbescherming ... of "
          "en hoe een beschermende maatregel kan worden voorkomen' (seed 002)"),
    _spec(K.PROTECTION_ORDER, {O.GI},
          {R.ORDER_ENDED, R.ORDER_REVOKED, R.FOLLOWED_OUTSIDE_CASE},
          "kinderbeschermingsmaatregel uitgevoerd door een gecertificeerde instelling "
          "(ondertoezichtstelling JBRR, seed 001; seed 000)"),
    _spec(K.SHELTER_STAY, {O.VROUWENOPVANG, O.ZORGAANBIEDER},
          {R.RETURNED_HOME, R.MOVED_ON, R.FOLLOWED_OUTSIDE_CASE},
          "vrouwenopvang en crisisopvang: 'bij acute onveiligheid biedt de crisisopvang "
          "bescherming en veiligheid', 'terugkeer naar huis uit de crisisopvang' (seed 001)"),
    _spec(K.CHG_INVOLVEMENT, {O.CENTRUM_HUISELIJK_GEWELD}, {R.HANDED_BACK_TO_LOCAL_FIELD},
          "Centrum Huiselijk Geweld 'op tijdelijke basis ... nooit het eindpunt voor een casus, "
          "uiteindelijk blijft het lokale veld de basis' (seed 001; Filomena, seed 003)",
          ends_with_handover=True),
)})


def open_tracks(case: Any) -> dict[str, JsonDict]:
    """The case's partner tracks that have not ended, by track id (read from its state)."""
    tracks: dict[str, JsonDict] = getattr(case, "__dict__", {}).get("tracks", {})
    return {tid: t for tid, t in tracks.items() if t["ended_at"] is None}


def procesregie_holder(case: Any) -> JsonDict | None:
    """Who holds procesregie now (organisation, type, actor), or None."""
    held: JsonDict | None = getattr(case, "__dict__", {}).get("procesregie")
    return held if held and held.get("holder") else None


def partner_organisations(case: Any) -> set[str]:
    """Organisations involved through procesregie or an open partner track (for authority)."""
    held = procesregie_holder(case)
    found = {t["organisation"] for t in open_tracks(case).values()}
    return found | ({held["holder"]["organisation"]} if held is not None else set())


def closure_blocker(case: Any) -> tuple[str, str] | None:
    """Why the case may not close yet: ``(code, message)``, or None.

    ``PARTNER_TRACKS_OPEN`` while a partner track runs (the message names the open kinds,
    codes only), ``PROCESREGIE_HELD`` while an organisation holds procesregie.
    """
    running = open_tracks(case)
    if running:
        kinds = ", ".join(sorted({t["kind"] for t in running.values()}))
        return ("PARTNER_TRACKS_OPEN",
                f"partner tracks are still open ({kinds}); end each one with its outcome first")
    if procesregie_holder(case) is not None:
        return ("PROCESREGIE_HELD", "procesregie is still held; it is handed back first")
    return None
