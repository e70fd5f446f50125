"""Drive procesregie and the partners' tracks at the aggregate (no database), as the driver
does for the other commands: validate the dict, build the context, decide, collect events."""

from __future__ import annotations

import uuid
from typing import Any

from hgkm_workflow import commands_tracks as ct
from hgkm_workflow.commands import validate_command
from tests.domain.driver import DomainCases, Household, Result

POLITIE = {"actor_id": "pol-007", "organisation": "politie-rotterdam", "role": "politie"}
ZVH = {"actor_id": "zvh-002", "organisation": "zvh-rotterdam-rijnmond",
       "role": "zorg_en_veiligheidshuis"}
ZVH_HOLDER = {"actor_id": "zvh-002", "organisation": "zvh-rotterdam-rijnmond",
              "organisation_type": "zorg_en_veiligheidshuis"}
MDA = {"actor_id": "mda-011", "organisation": "mda-rotterdam", "role": "zorgcoordinator_mda"}
MDA_HOLDER = {"actor_id": "mda-011", "organisation": "mda-rotterdam",
              "organisation_type": "mda_kernteam"}
CHG = {"actor_id": "chg-004", "organisation": "chg-filomena", "role": "hulpverlener"}
CHG_HOLDER = {"actor_id": "chg-004", "organisation": "chg-filomena",
              "organisation_type": "centrum_huiselijk_geweld"}

_PLAIN: dict[str, type[Any]] = {
    "take_procesregie": ct.TakeProcesregie,
    "hand_back_procesregie": ct.HandBackProcesregie,
    "end_partner_track": ct.EndPartnerTrack,
}


def run(cases: DomainCases, name: str, data: dict[str, Any]) -> Result:
    """Run one of the part-B commands on its case (``start_partner_track`` mints the id)."""
    if name == "start_partner_track":
        cmd = validate_command(ct.StartPartnerTrack, data)
        tid = cmd.track_id or uuid.uuid4()
        case = cases.cases[cmd.case_id]
        ctx = cases.context(cmd)
        _, names = cases._decide(case, ctx, lambda k: k.start_partner_track(cmd, tid, ctx))
        return Result(case.id, case.version, names, {"track_id": tid})
    plain = validate_command(_PLAIN[name], data)
    case = cases.cases[plain.case_id]
    ctx = cases.context(plain)
    _, names = cases._decide(case, ctx, lambda k: getattr(k, name)(plain, ctx))
    return Result(case.id, case.version, names)


def start(cases: DomainCases, h: Household, kind: str, organisation: str,
          organisation_type: str, actor: dict[str, str] | None = None, **extra: Any) -> str:
    """Start a track and return its id."""
    r = run(cases, "start_partner_track", h.cmd(
        actor=actor or h.cmd()["actor"], kind=kind, organisation=organisation,
        organisation_type=organisation_type, **extra))
    return str(r.ids["track_id"])


def end(cases: DomainCases, h: Household, track_id: str, outcome: str,
        actor: dict[str, str] | None = None, **extra: Any) -> Result:
    """End a track with an outcome."""
    return run(cases, "end_partner_track", h.cmd(actor=actor or h.cmd()["actor"],
                                                 track_id=track_id, outcome=outcome, **extra))
