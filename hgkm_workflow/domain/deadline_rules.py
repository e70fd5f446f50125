"""Time-limit rules T1-T12 as data (domain brief section 4).

The types (:class:`Unit`, :class:`RuleType`, :class:`BreachEffect`, :class:`DeadlineRule`)
and the national rule set :data:`NATIONAL_RULES` live here; computing due instants,
regional overrides and explanations live in :mod:`hgkm_workflow.domain.deadlines`, which re-exports
everything public from this module. Rule names are part of the CLI contract: never rename one.

Values the sources leave open are marked "open" in the rule's description; they are
defaults that a region may override (P and R rules) through ``RuleBook.with_overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hgkm_workflow.errors import RuleViolation

__all__ = ["INCIDENT_START", "NATIONAL_RULES", "BreachEffect", "DeadlineRule", "RuleType", "Unit"]

#: The ``counts_from`` of a rule counted from the incident a melding reports, or from its
#: receipt when the melding gives no incident time (T10; ``domain/incident.py``).
INCIDENT_START = "MeldingIncident"


class Unit(StrEnum):
    """The unit a rule's length is counted in."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    HOURS = "hours"
    MONTHS = "months"


class RuleType(StrEnum):
    """Where a rule comes from: W statutory, P national protocol, R regional agreement."""

    STATUTORY = "W"
    PROTOCOL = "P"
    REGIONAL = "R"


class BreachEffect(StrEnum):
    """What a breach does: only recorded (the work goes on), or blocking (a hard limit)."""

    RECORDED = "recorded"
    BLOCKING = "blocking"


class TermKind(StrEnum):
    """Whether a term is fatal or ordenend (a termijn van orde).

    A breach of an **ordenende termijn** is recorded, and the work goes on: the organisation
    keeps its authority to act after the term (Gerechtshof Amsterdam 2 April 2024,
    ECLI:NL:GHAMS:2024:975, on Veilig Thuis's onderzoekstermijn). A **fatale termijn** ends
    what it bounds: after it the act is no longer possible (the huisverbod has run out; no
    extension reaches past 28 days).
    """

    FATAL = "fatal"
    ORDENEND = "ordenend"


TERM_EXPLANATIONS = {
    TermKind.ORDENEND: ("ordenende termijn: a breach is recorded; the authority to act stays "
                        "and the work must still be done (ECLI:NL:GHAMS:2024:975)"),
    TermKind.FATAL: "fatale termijn: at the due instant what it bounds ends and cannot be redone",
}
"""The plain-language meaning of each kind, used by explanations and the rules page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineRule:
    """One time limit, as data.

    Attributes:
        id: Short id from the domain brief, e.g. "T1".
        name: Stable slug used by the CLI, e.g. "veiligheidsbeoordeling".
        version: Bumped whenever the rule changes (also by a regional override); default 1.
        length: Number of units; 0 is allowed only for hours.
        unit: What ``length`` counts.
        counts_start_day: Whether the start day is day 1 of the count (day-based units).
        atw_extends: Whether Atw art. 1 run-on applies when the term ends on a non-working day.
        starts_on: Event that opens a deadline under this rule.
        satisfied_by: Events that close it in time (or late).
        rule_type: W, P or R.
        breach_effect: Recorded (never blocks) or blocking.
        legal_source: Citation of the law, protocol or regional document.
        description: Plain-language explanation, naming open points.
        checkpoints: Intermediate check-points, in ``unit`` after the start (T4).
        enabled: Whether deadlines are opened under this rule.
        applies_when: Plain-language condition on the start event ("" = always).
        variant: "national", or who overrode it (e.g. "region:rotterdam-rijnmond").
        counts_from: Event whose instant the count starts from, when not ``starts_on``
            (T7 opens on the extension but counts from the imposition). "" = ``starts_on``.
        alternative_counts_from: Other readings of the start the sources allow; for a
            statutory rule a region may only choose ``counts_from`` among these.
        end_of_day: Calendar days only: True = ends at the end of the N-th local day;
            False = the same Amsterdam wall-clock time N days later.
        term: Fatal or ordenend (:class:`TermKind`); every national rule says which.
    """

    id: str
    name: str
    version: int = 1
    length: int
    unit: Unit
    counts_start_day: bool = False
    atw_extends: bool = False
    starts_on: str
    satisfied_by: tuple[str, ...]
    rule_type: RuleType
    breach_effect: BreachEffect
    legal_source: str
    description: str
    checkpoints: tuple[int, ...] = ()
    enabled: bool = True
    applies_when: str = ""
    variant: str = "national"
    counts_from: str = ""
    alternative_counts_from: tuple[str, ...] = ()
    end_of_day: bool = True
    term: TermKind = TermKind.ORDENEND

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.version < 1:
            problems.append("version must be at least 1")
        if self.length < (0 if self.unit is Unit.HOURS else 1):
            problems.append("length must be at least 1 (at least 0 for hours)")
        if self.unit is Unit.HOURS and self.atw_extends:
            problems.append("Atw run-on does not apply to a term in hours")
        if list(self.checkpoints) != sorted(set(self.checkpoints)) or any(
            not 0 < c < self.length for c in self.checkpoints
        ):
            problems.append("checkpoints must be ascending, unique and between 0 and the length")
        if problems:
            raise RuleViolation(
                f"rule {self.id} ({self.name}): " + "; ".join(problems),
                rule=f"{self.id} {self.name}",
                code="INVALID_RULE",
            )

    @property
    def count_start_event(self) -> str:
        """The event whose instant the count starts from."""
        return self.counts_from or self.starts_on


_HANDELINGSPROTOCOL = "Handelingsprotocol Veilig Thuis"
_WTH = "Wet tijdelijk huisverbod"

#: The national rule set, in display order. Regions derive theirs with overrides.
NATIONAL_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        id="T1",
        name="veiligheidsbeoordeling",
        length=5,
        unit=Unit.WORKING_DAYS,
        atw_extends=True,
        starts_on="MeldingReceived",
        satisfied_by=("VeiligheidsbeoordelingCompleted",),
        rule_type=RuleType.STATUTORY,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=(
            "Wmo 2015 art. 4.1.1 / Besluit Wmo; regiovisie 001 "
            "('binnen vijf werkdagen een veiligheidsbeoordeling')"
        ),
        description=(
            "Veilig Thuis completes the safety assessment of a melding within 5 working days. "
            "The day of receipt does not count; the term ends at the end of the 5th working day "
            "after it. A breach is recorded; the assessment must still be done."
        ),
    ),
    DeadlineRule(
        id="T2",
        name="acute_melding",
        length=24,
        unit=Unit.HOURS,
        starts_on="MeldingReceived",
        satisfied_by=(
            "CrisisMeasureTaken",
            "HuisverbodImposed",
            "VeiligheidsbeoordelingCompleted",
        ),
        rule_type=RuleType.PROTOCOL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source="Regiovisie 000 ('Op acute onveiligheid wordt altijd direct gehandeld')",
        description=(
            "An acute melding is acted on immediately: a first safety measure (crisis measure, "
            "huisverbod, or a completed assessment). Open: the sources give no number; the "
            "default of 24 hours is a reporting horizon, not a norm (0 hours would record every "
            "acute melding as late). Configurable per region."
        ),
        applies_when="the melding is received as acute",
    ),
    DeadlineRule(
        id="T3",
        name="onderzoek",
        length=10,
        unit=Unit.WEEKS,
        atw_extends=True,
        starts_on="VtServiceStarted",
        satisfied_by=("VtServiceCompleted",),
        rule_type=RuleType.STATUTORY,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=(
            f"Besluit Wmo 2015 / {_HANDELINGSPROTOCOL}; regiovisie 001 "
            "('moet het onderzoek of de dienst voorwaarden en vervolg binnen 10 weken zijn "
            "afgerond')"
        ),
        description=(
            "The VT onderzoek or the service Voorwaarden en Vervolg is completed within 10 weeks "
            "of its start (ordenend: a breach is recorded, VT keeps its authority). Ends at the "
            "end of the same weekday 10 weeks later; Atw art. 1 run-on applies. Open: some read "
            "the term from receipt of the melding (counts_from='MeldingReceived')."
        ),
        alternative_counts_from=("MeldingReceived",),
    ),
    DeadlineRule(
        id="T4",
        name="monitoring",
        length=18,
        unit=Unit.MONTHS,
        starts_on="VtMonitoringStarted",
        satisfied_by=("VtMonitoringEnded",),
        rule_type=RuleType.PROTOCOL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=f"Regiovisie 001 ('maximaal anderhalf jaar'); {_HANDELINGSPROTOCOL}",
        description=(
            "After handover with conditions VT monitors for at most 18 months whether stable "
            "safety has been reached. Open: the check-points (default 3, 6 and 12 months after "
            "the start) are configurable per region."
        ),
        checkpoints=(3, 6, 12),
    ),
    DeadlineRule(
        id="T5",
        name="terugkoppeling_melder",
        applies_when="the melder is not anonymous (an anonymous melder cannot be reached)",
        length=5,
        unit=Unit.WORKING_DAYS,
        starts_on="VeiligheidsbeoordelingCompleted",
        satisfied_by=("MelderInformed",),
        rule_type=RuleType.PROTOCOL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=_HANDELINGSPROTOCOL,
        description=(
            "The melder is told the outcome of the safety assessment. Open: the sources name no "
            "term; the default of 5 working days after the assessment is configurable."
        ),
    ),
    DeadlineRule(
        id="T5b",
        name="terugkoppeling_melder_onderzoek",
        applies_when="the melder is not anonymous (an anonymous melder cannot be reached)",
        length=5,
        unit=Unit.WORKING_DAYS,
        starts_on="VtServiceCompleted",
        satisfied_by=("MelderInformed",),
        rule_type=RuleType.PROTOCOL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=_HANDELINGSPROTOCOL,
        description=(
            "The melder is told the outcome of the onderzoek (or Voorwaarden en Vervolg). Open: "
            "the sources name no term; the default of 5 working days is configurable."
        ),
    ),
    DeadlineRule(
        id="T6",
        name="huisverbod",
        length=10,
        unit=Unit.CALENDAR_DAYS,
        starts_on="HuisverbodImposed",
        satisfied_by=("HuisverbodExtended", "HuisverbodRevoked", "HuisverbodExpired"),
        rule_type=RuleType.STATUTORY,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.FATAL,
        legal_source=f"{_WTH} art. 2 lid 4; regiovisie 001 ('tien tot 28 dagen')",
        description=(
            "A tijdelijk huisverbod lasts 10 days from the instant of imposition: the same "
            "Amsterdam wall-clock time 10 days later. It simply lasts its days: no Atw run-on."
        ),
        end_of_day=False,
    ),
    DeadlineRule(
        id="T7",
        name="huisverbod_verlenging",
        length=28,
        unit=Unit.CALENDAR_DAYS,
        starts_on="HuisverbodExtended",
        satisfied_by=("HuisverbodRevoked", "HuisverbodExpired"),
        rule_type=RuleType.STATUTORY,
        breach_effect=BreachEffect.BLOCKING,
        term=TermKind.FATAL,
        legal_source=f"{_WTH} art. 9; regiovisie 001 ('tien tot 28 dagen')",
        description=(
            "An extension, decided before the huisverbod expires, runs until at most 28 days "
            "after the imposition (counted from the imposition instant, not the extension). "
            "Hard limit: no huisverbod may end later."
        ),
        counts_from="HuisverbodImposed",
        end_of_day=False,
    ),
    DeadlineRule(
        id="T8",
        name="contactadres",
        length=24,
        unit=Unit.HOURS,
        starts_on="HuisverbodImposed",
        satisfied_by=("HuisverbodContactAddressGiven",),
        rule_type=RuleType.STATUTORY,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=f"{_WTH} art. 2 lid 8",
        description=(
            "The removed person gives a contact address within 24 hours of imposition. "
            "The duty ends with the huisverbod: on revocation or expiry an open T8 is closed "
            "unmet, not breached (a breach already recorded stays)."
        ),
    ),
    DeadlineRule(
        id="T9",
        name="hulpaanbod_huisverbod",
        length=10,
        unit=Unit.CALENDAR_DAYS,
        starts_on="HuisverbodImposed",
        satisfied_by=("HuisverbodHelpOffered",),
        rule_type=RuleType.REGIONAL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=f"{_WTH} (help during the huisverbod); regiovisie 001",
        description=(
            "Provisional, disabled by default: help is offered to both sides (voluntary) within "
            "the 10 days of the huisverbod. The brief marks it W/R; modelled as R so a region "
            "can enable and tune it. Lapses (closed unmet) when the huisverbod ends."
        ),
        enabled=False,
        end_of_day=False,
    ),
    DeadlineRule(
        id="T10",
        name="handle_with_care",
        length=24,
        unit=Unit.HOURS,
        starts_on="MeldingReceived",
        satisfied_by=("SchoolInformed",),
        rule_type=RuleType.REGIONAL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=(
            "Regiovisie 001 footnote 14 ('binnen 24 uur na een ingrijpend geweldsincident'); "
            "regiovisie 004 (Handle with Care)"
        ),
        description=(
            "Handle with Care: the child's school is informed within 24 hours of a violent "
            "incident reported by the police. The 24 hours run from the incident when the "
            "melding gives its time (incident_at), else from the receipt of the melding; the "
            "deadline's counting says which. "
            "A regional agreement; regions may disable it or count from the receipt."
        ),
        applies_when="a child is involved and the melder is the police",
        counts_from=INCIDENT_START,
        alternative_counts_from=("MeldingReceived",),
    ),
    DeadlineRule(
        id="T11",
        name="stalking_risicohorizon",
        length=24,
        unit=Unit.MONTHS,
        starts_on="SeparationRecorded",
        satisfied_by=("StalkingRiskReviewed",),
        rule_type=RuleType.REGIONAL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source="Regiovisie 001 (stalking/belaging; risk lasts at least two years)",
        description=(
            "Provisional, disabled by default: a risk horizon, not a deadline. After a "
            "separation the stalking risk stays flagged for at least 2 years; reaching the due "
            "date calls for a review of the flag."
        ),
        enabled=False,
    ),
    DeadlineRule(
        id="T12",
        name="informeren_betrokkenen",
        length=5,
        unit=Unit.WORKING_DAYS,
        starts_on="MeldingReceived",
        satisfied_by=("PersonsConcernedInformed",),
        rule_type=RuleType.PROTOCOL,
        breach_effect=BreachEffect.RECORDED,
        term=TermKind.ORDENEND,
        legal_source=(
            f"{_HANDELINGSPROTOCOL} (seed 001: VT works by it since 2019); meldcode stap 3 "
            "'Gesprek met de betrokkene(n)' (seed 002 footnote 19); exception: 'Veiligheid "
            "staat altijd voorop' (seed 004)"
        ),
        description=(
            "The persons concerned are told that a melding about them was made "
            "(PersonsConcernedInformed names who: person ids and roles). The documented "
            "exception: when informing is itself unsafe, a recorded decision with its "
            "rationale (InformingWithheld) stops the term without a breach. Open: the sources "
            "name no number; disabled nationally, a region enables it and sets its length in "
            "its rule data (data/regions/deadlines/); the default is 5 working days after "
            "receipt."
        ),
        enabled=False,
    ),
)
