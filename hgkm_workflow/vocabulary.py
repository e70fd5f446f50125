"""The controlled vocabulary of the domain: every code a command or event may carry.

Enums, not bare strings (docs/glossary.md explains each Dutch term). Values are stable:
they are stored in events, so a value is never renamed — add a new one instead.
"""

from __future__ import annotations

from enum import StrEnum


class PersonRole(StrEnum):
    """Alleged role of a person as recorded at a melding (never overwritten)."""

    VICTIM = "victim"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    CHILD = "child"
    WITNESS = "witness"
    OTHER = "other"


class MelderType(StrEnum):
    """Who made the melding (CBS Monitor Veilig Thuis categories)."""

    POLITIE = "politie"
    JUSTITIE = "justitie"
    GEZONDHEIDSZORG = "gezondheidszorg"
    ONDERWIJS = "onderwijs"
    KINDEROPVANG = "kinderopvang"
    LOKAAL_VELD = "lokaal_veld"
    JEUGDZORG = "jeugdzorg"
    MAATSCHAPPELIJKE_OPVANG = "maatschappelijke_opvang"
    BURGER = "burger"
    BETROKKENE = "betrokkene"
    ANONIEM = "anoniem"
    OVERIG = "overig"


class ViolenceForm(StrEnum):
    """Forms of violence and special routes (multi-valued on a melding)."""

    PARTNERGEWELD = "partnergeweld"
    EX_PARTNERGEWELD = "ex_partnergeweld"
    KINDERMISHANDELING = "kindermishandeling"
    GETUIGE_HUISELIJK_GEWELD = "getuige_huiselijk_geweld"
    OUDERENMISHANDELING = "ouderenmishandeling"
    OUDERMISHANDELING = "oudermishandeling"
    EERGERELATEERD_GEWELD = "eergerelateerd_geweld"
    HUWELIJKSDWANG = "huwelijksdwang"
    ACHTERLATING = "achterlating"
    VROUWELIJKE_GENITALE_VERMINKING = "vrouwelijke_genitale_verminking"
    MENSENHANDEL = "mensenhandel"
    COMPLEXE_SCHEIDING = "complexe_scheiding"
    STALKING = "stalking"
    SEKSUEEL_GEWELD = "seksueel_geweld"
    FEMICIDE_RISICO = "femicide_risico"
    OVERIG = "overig"


class AssessmentOutcome(StrEnum):
    """Outcome of the veiligheidsbeoordeling (triage) of one melding."""

    NO_FURTHER_ACTION = "no_further_action"
    HANDOVER_LOCAL_TEAM = "handover_local_team"
    HANDOVER_EXISTING_CARE = "handover_existing_care"
    VOORWAARDEN_EN_VERVOLG = "voorwaarden_en_vervolg"
    ONDERZOEK = "onderzoek"
    CRISIS_INTERVENTION = "crisis_intervention"
    RVDK_REQUEST = "rvdk_request"
    INFORM_POLICE_OM = "inform_police_om"
    ESCALATE_MDA = "escalate_mda"


class VtService(StrEnum):
    """The services Veilig Thuis runs itself after the assessment."""

    ONDERZOEK = "onderzoek"
    VOORWAARDEN_EN_VERVOLG = "voorwaarden_en_vervolg"


class VtServiceResult(StrEnum):
    """How a VT service ended."""

    HANDOVER_LOCAL_TEAM = "handover_local_team"
    HANDOVER_EXISTING_CARE = "handover_existing_care"
    RVDK_REQUEST = "rvdk_request"
    ESCALATE_MDA = "escalate_mda"
    NO_FURTHER_ACTION = "no_further_action"


class OnderzoekConclusion(StrEnum):
    """Conclusion of a VT onderzoek about the alleged violence."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    INCONCLUSIVE = "inconclusive"


class RiskFactor(StrEnum):
    """Risk factors addressed in risicogestuurde zorg (hulpverleningsplan)."""

    VERSLAVING = "verslaving"
    LVB = "lvb"
    GGZ = "ggz"
    SCHULDEN = "schulden"
    COMPLEXE_SCHEIDING = "complexe_scheiding"
    HUISVESTING = "huisvesting"
    WERKLOOSHEID = "werkloosheid"
    OPVOEDINGSPROBLEMEN = "opvoedingsproblemen"
    SOCIAAL_ISOLEMENT = "sociaal_isolement"
    TRAUMA = "trauma"
    AGRESSIEREGULATIE = "agressieregulatie"
    OVERIG = "overig"


class Voorwaarde(StrEnum):
    """Catalogue of veiligheidsvoorwaarden (safety conditions) in a veiligheidsplan."""

    GEEN_GEWELD = "geen_geweld"
    PLEGER_ACCEPTEERT_HULP = "pleger_accepteert_hulp"
    SLACHTOFFER_ACCEPTEERT_HULP = "slachtoffer_accepteert_hulp"
    KINDEREN_NAAR_SCHOOL = "kinderen_naar_school"
    CONTACTVERBOD_NALEVEN = "contactverbod_naleven"
    VEILIGE_OPVANG = "veilige_opvang"
    MIDDELENGEBRUIK_STOPPEN = "middelengebruik_stoppen"
    SAMENWERKEN_MET_REGISSEUR = "samenwerken_met_regisseur"
    OMGANGSREGELING_VEILIG = "omgangsregeling_veilig"
    OVERIG = "overig"


class HerstelIntervention(StrEnum):
    """Interventions in a herstelplan."""

    TRAUMABEHANDELING_VOLWASSENE = "traumabehandeling_volwassene"
    TRAUMABEHANDELING_KIND = "traumabehandeling_kind"
    SYSTEEMTHERAPIE = "systeemtherapie"
    OUDERSCHAPSONDERSTEUNING = "ouderschapsondersteuning"
    HERSTELGESPREK = "herstelgesprek"
    OVERIG = "overig"


class CrisisMeasure(StrEnum):
    """Crisis measures taken in directe veiligheid."""

    CRISISOPVANG = "crisisopvang"
    CRISISDIENST_JEUGD = "crisisdienst_jeugd"
    CRISISDIENST_GGZ = "crisisdienst_ggz"
    SPOEDMACHTIGING = "spoedmachtiging"
    CSG_ACUTE_ZORG = "csg_acute_zorg"
    POLITIE_INZET = "politie_inzet"


class LoopBackCause(StrEnum):
    """Why a case returned to directe veiligheid."""

    NEW_INCIDENT = "new_incident"
    ACUTE_UNSAFETY = "acute_unsafety"
    NEW_MELDING = "new_melding"


class ClosureReason(StrEnum):
    """Why a case was closed."""

    NO_FURTHER_ACTION_AFTER_ASSESSMENT = "no_further_action_after_assessment"
    WAAKVLAM_COMPLETED = "waakvlam_completed"
    STABLE_SAFETY_REACHED = "stable_safety_reached"
    NO_UNSAFETY_FOUND = "no_unsafety_found"
    TRANSFERRED_TO_OTHER_REGION = "transferred_to_other_region"
    HOUSEHOLD_NOT_REACHABLE = "household_not_reachable"
    CARE_REFUSED_SAFETY_SECURED_OTHERWISE = "care_refused_safety_secured_otherwise"
    OTHER = "other"


class ActorRole(StrEnum):
    """The role in which an actor decided (provenance on every decision event)."""

    VT_MEDEWERKER = "vt_medewerker"
    VT_GEDRAGSWETENSCHAPPER = "vt_gedragswetenschapper"
    LOKAAL_TEAM = "lokaal_team"
    CASUSREGISSEUR = "casusregisseur"
    POLITIE = "politie"
    BURGEMEESTER = "burgemeester"
    OM = "om"
    RVDK = "rvdk"
    GECERTIFICEERDE_INSTELLING = "gecertificeerde_instelling"
    ZORGCOORDINATOR_MDA = "zorgcoordinator_mda"
    ZORG_EN_VEILIGHEIDSHUIS = "zorg_en_veiligheidshuis"
    HULPVERLENER = "hulpverlener"
    ERVARINGSDESKUNDIGE = "ervaringsdeskundige"
    AUDITOR = "auditor"
    SCHEDULER = "scheduler"
    SYSTEM = "system"


class OrganisationType(StrEnum):
    """Kinds of organisation that may hold casusregie or decide."""

    VEILIG_THUIS = "veilig_thuis"
    LOKAAL_TEAM = "lokaal_team"
    POLITIE = "politie"
    GEMEENTE = "gemeente"
    OM = "om"
    RVDK = "rvdk"
    GI = "gi"
    MDA_KERNTEAM = "mda_kernteam"
    ZORG_EN_VEILIGHEIDSHUIS = "zorg_en_veiligheidshuis"
    ZORGAANBIEDER = "zorgaanbieder"
    SYSTEM = "system"
    VROUWENOPVANG = "vrouwenopvang"
    CENTRUM_HUISELIJK_GEWELD = "centrum_huiselijk_geweld"


# ---------------------------------------------------------------- issue 14 part B: partner tracks


class TrackKind(StrEnum):
    """The partners' tracks that run beside the phases (seeds 001, 002; docs/tracks.md)."""

    CRIMINAL = "criminal"
    RVDK_REQUEST = "rvdk_request"
    PROTECTION_ORDER = "protection_order"
    SHELTER_STAY = "shelter_stay"
    CHG_INVOLVEMENT = "chg_involvement"


class TrackOutcome(StrEnum):
    """How a partner track ended (which kind allows which: ``domain/track_kinds.py``)."""

    NOT_PROSECUTED = "not_prosecuted"
    ZSM_AFDOENING = "zsm_afdoening"
    PROSECUTED = "prosecuted"
    JUSTITIELE_VOORWAARDEN = "justitiele_voorwaarden"
    MEASURE_PREVENTED = "measure_prevented"
    PROTECTION_ORDER_REQUESTED = "protection_order_requested"
    NO_MEASURE_NEEDED = "no_measure_needed"
    ORDER_ENDED = "order_ended"
    ORDER_REVOKED = "order_revoked"
    RETURNED_HOME = "returned_home"
    MOVED_ON = "moved_on"
    HANDED_BACK_TO_LOCAL_FIELD = "handed_back_to_local_field"
    FOLLOWED_OUTSIDE_CASE = "followed_outside_case"
