"""The Dutch definitions of the monitor figures, for the report (docs/monitor.md).

A :class:`~hgkm_workflow.monitor.figures.Figure` carries its definition in English (the JSON
output and docs/monitor.md); the Dutch page shows the definition written here, chosen by the
figure's name (``timeliness.T1.on_time``, ``gemeente.GM0599``, ``flow.triage.closed``, a
series name with ``@period``). Numbers in the text are in Dutch notation
(:mod:`~hgkm_workflow.monitor.format_nl`). A name this module does not know keeps its English
definition, so nothing is ever shown without one; the tests require every figure of a
report to have a Dutch one.
"""

from __future__ import annotations

from collections.abc import Callable

from hgkm_workflow.monitor import format_nl as nl

__all__ = ["PHASES", "dutch_definition"]

PHASES = {"triage": "triage", "directe_veiligheid": "directe veiligheid",
          "risicogestuurde_zorg": "risicogestuurde zorg", "herstel": "herstel",
          "waakvlam": "waakvlam", "closed": "afgesloten"}

#: Where a transition starts: a phase, or ``new`` (the case was opened).
_FROM = {"new": "nieuw (zaak geopend)", **PHASES}

_OUTCOMES = {
    "no_further_action": "geen verdere actie",
    "handover_local_team": "overdracht aan het lokale team",
    "handover_existing_care": "overdracht aan de hulp die er al is",
    "voorwaarden_en_vervolg": "Voorwaarden en Vervolg",
    "onderzoek": "onderzoek",
    "crisis_intervention": "crisisinterventie",
    "rvdk_request": "verzoek aan de Raad voor de Kinderbescherming",
    "inform_police_om": "politie of OM informeren",
    "escalate_mda": "opschalen naar MDA++",
}

_VERVOLG = {"during_assessment": "tijdens de veiligheidsbeoordeling",
            "after_assessment": "na de veiligheidsbeoordeling (een dienst van VT loopt)",
            "during_monitoring": "tijdens de monitoring door VT"}

_RULES = {"T1": "veiligheidsbeoordeling (5 werkdagen)",
          "T3": "onderzoek / Voorwaarden en Vervolg (10 weken)",
          "T8": "huisverbod: contactadres (24 uur)",
          "T9": "huisverbod: hulpaanbod (binnen het huisverbod)"}

_CLASSIFIED = ("van de meldingen die in de periode binnenkwamen, geclassificeerd bij "
               "ontvangst (CBS Monitor Veilig Thuis)")

_FIXED = {
    "meldingen": "Meldingen ontvangen in de periode (naar ontvangstdatum, regio en gemeente "
                 "van de melding zelf).",
    "meldingen.acute": "Aandeel van de meldingen in de periode dat acuut binnenkwam.",
    "meldingen.from_advies": "Aandeel van de meldingen in de periode dat begon als advies "
                             "(advies omgezet in een melding).",
    "crisis.share": "Aandeel van de meldingen in de periode met een crisisinterventie: als "
                    "uitkomst of aanvullende maatregel van de veiligheidsbeoordeling, of een "
                    "crisismaatregel in de zaak terwijl de melding op haar beoordeling "
                    "wachtte (bron 001: ongeveer 10%).",
    "adviezen": "Adviezen (adviesvragen) vastgelegd in de periode, naar ontvangstdatum; een "
                "advies bevat geen personen.",
    "adviezen.converted": "Aandeel van de adviezen in de periode dat op de peildatum in een "
                          "melding was omgezet.",
    "assessments": "Veiligheidsbeoordelingen afgerond in de periode.",
    "returns_to_directe_veiligheid": "Aandeel van de verblijven in een latere fase "
                                     "(risicogestuurde zorg, herstel, waakvlam) dat in de "
                                     "periode eindigde met een terugkeer naar directe "
                                     "veiligheid.",
    "cases.active": "Zaken die ergens in de periode in een open fase waren (triage t/m "
                    "waakvlam).",
    "mda.share": "Aandeel van de actieve zaken in de periode dat in de periode naar MDA++ is "
                 "opgeschaald (bronnen 002 en 004: ongeveer 5% van de zaken).",
    "crisis.measures": "Crisismaatregelen vastgelegd in de periode.",
    "access.emergency": "Noodtoegang in de periode: inzage door iemand zonder betrokkenheid "
                        "die een veiligheidsreden gaf (privacy blokkeert nooit veiligheid, "
                        "bron 004).",
    "ervaringsdeskundige.share": "Aandeel van de actieve zaken in de periode waarbij op de "
                                 "peildatum een ervaringsdeskundige betrokken was "
                                 "(succescriterium uit bron 000).",
    "plegeraanbod.offered": "Aandeel van de actieve zaken in de periode waarin in de periode "
                            "een plegeraanbod (hulp aan de pleger) is gedaan (succescriterium "
                            "uit bron 000).",
    "plegeraanbod.accepted": "Aandeel van de plegeraanbiedingen in de periode dat op de "
                             "peildatum was aanvaard.",
    "huisverbod.imposed": "Tijdelijke huisverboden opgelegd in de periode.",
    "huisverbod.extended": "Aandeel van de huisverboden in de periode dat is verlengd "
                           f"(Hollands Midden 2017: {nl.number(41)} van {nl.number(100)}, "
                           "bron 002).",
    "huisverbod.revoked": "Aandeel van de huisverboden in de periode dat de burgemeester "
                          "heeft ingetrokken.",
}


def _timeliness(rule: str, measure: str) -> str | None:
    what = f"{rule} {_RULES.get(rule, '')}".strip()
    texts = {
        "on_time": "aandeel van de termijnen die in de periode zijn afgerond (gehaald) dat "
                   "op tijd werd gehaald.",
        "days_late": "gemiddeld aantal dagen te laat van de termijnen die in de periode te "
                     "laat werden gehaald.",
        "closed_unmet": "aandeel van de termijnen die in de periode zijn afgerond dat werd "
                        "gesloten zonder te zijn gehaald (de zaak sloot met een vastgelegde "
                        "reden, de monitoring eindigde vóór een controlemoment, of de plicht "
                        "eindigde met het huisverbod).",
        "open_breaches": "termijnen die op de peildatum openstonden en over tijd waren, van "
                         "alle termijnen die toen openstonden.",
    }
    text = texts.get(measure)
    return f"{what}: {text}" if text else None


def _classification(parts: list[str], reference: float | None) -> str | None:
    kind = parts[0]
    if kind == "nieuw" and len(parts) == 1:
        return (f"Aandeel nieuw {_CLASSIFIED}: geen van de getelde personen was bekend bij "
                "VT (geen lopende betrokkenheid bij ontvangst en geen die binnen de "
                "terugkijktermijn eindigde).")
    if kind == "vervolgmelding" and len(parts) == 1:
        return (f"Aandeel vervolgmelding {_CLASSIFIED}: VT was bij ontvangst betrokken bij "
                "een van de personen.")
    if kind == "vervolgmelding" and parts[1] in _VERVOLG:
        return f"Aandeel vervolgmelding {_VERVOLG[parts[1]]} {_CLASSIFIED}."
    if kind == "hermelding" and len(parts) == 1:
        ref = (f" Landelijke referentie 1e halfjaar 2022: {nl.percent(reference)}."
               if reference is not None else "")
        return (f"Aandeel hermelding {_CLASSIFIED}: de betrokkenheid van VT bij een persoon "
                "was binnen de terugkijktermijn (standaard 3 jaar, grensdag inbegrepen) "
                f"geëindigd en er liep er geen.{ref}")
    return None


def dutch_definition(name: str, *, gemeente: Callable[[str], str],
                     reference: float | None = None) -> str | None:
    """The Dutch definition of the figure ``name``, or ``None`` when none is written.

    Args:
        name: The figure's name, with or without a ``@period`` suffix.
        gemeente: The display name of a CBS gemeente code.
        reference: The national hermelding reference (a share), quoted in its definition.
    """
    base = name.split("@", 1)[0]
    if base in _FIXED:
        return _FIXED[base]
    head, _, rest = base.partition(".")
    parts = rest.split(".") if rest else []
    if head == "timeliness" and len(parts) == 2:
        return _timeliness(parts[0], parts[1])
    if head == "classification" and parts:
        return _classification(parts, reference)
    if head == "melder_type" and len(parts) == 1:
        return (f"Aandeel van de meldingen in de periode gedaan door melder van het type "
                f"‘{parts[0].replace('_', ' ')}’.")
    if head == "gemeente" and len(parts) == 1:
        return f"Aandeel van de meldingen in de periode uit de gemeente {gemeente(parts[0])}."
    if head == "outcome" and len(parts) == 1 and parts[0] in _OUTCOMES:
        return (f"Aandeel van de veiligheidsbeoordelingen in de periode met uitkomst "
                f"‘{_OUTCOMES[parts[0]]}’.")
    if head == "vt_services" and len(parts) == 1:
        service = _OUTCOMES.get(parts[0], parts[0].replace("_", " "))
        return f"Diensten ‘{service}’ van VT gestart in de periode."
    if head in ("occupancy", "phase_time", "funnel") and len(parts) == 1 \
            and parts[0] in PHASES:
        phase = PHASES[parts[0]]
        return {
            "occupancy": f"Zaken in de fase {phase} op de peildatum, van alle zaken die toen "
                         "in een open fase waren.",
            "phase_time": f"Gemiddeld aantal dagen in de fase {phase}, over de verblijven die "
                          "in de periode eindigden.",
            "funnel": "Van de zaken die in de periode in triage kwamen (geopend of heropend "
                      f"door een melding), het aandeel dat op de peildatum {phase} had "
                      "bereikt.",
        }[head]
    if head == "flow" and len(parts) == 2 and parts[0] in _FROM and parts[1] in PHASES:
        return (f"Overgangen van {_FROM[parts[0]]} naar {PHASES[parts[1]]} in de periode, van "
                "alle overgangen.")
    return None
