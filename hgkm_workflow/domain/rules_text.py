"""Explaining deadlines to people: :func:`explain` one deadline, render the rule book page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hgkm_workflow.domain.calendar import WorkingDayCalendar, default_calendar, local_date
from hgkm_workflow.domain.deadline_rules import (
    INCIDENT_START,
    TERM_EXPLANATIONS,
    DeadlineRule,
    RuleType,
    Unit,
)
from hgkm_workflow.domain.due import checkpoint_dues, compute_due
from hgkm_workflow.domain.rulebook import RuleBook, default_rulebook

_TYPE_LABELS = {
    RuleType.STATUTORY: "statutory (W)",
    RuleType.PROTOCOL: "national protocol (P)",
    RuleType.REGIONAL: "regional agreement (R)",
}



def explain(
    rule_name_or_id: str,
    start: datetime,
    calendar: WorkingDayCalendar | None = None,
    *,
    rulebook: RuleBook | None = None,
) -> dict[str, Any]:
    """Explain a deadline as a JSON-ready dict: due instant, counting, skipped days, source.

    ``due`` is ISO 8601 in UTC and ``due_local`` in Europe/Amsterdam, both with offset.

    Raises:
        RuleViolation: ``UNKNOWN_RULE`` if no rule has that name or id.
    """
    book = rulebook if rulebook is not None else default_rulebook()
    rule = book.get(rule_name_or_id)
    cal = calendar if calendar is not None else default_calendar()
    computation = compute_due(rule, start, cal)
    result = computation.as_dict()
    del result["checkpoint"]
    result.update(
        {
            "type": rule.rule_type.value,
            "type_label": _TYPE_LABELS[rule.rule_type],
            "breach_effect": rule.breach_effect.value,
            "term": rule.term.value,
            "term_explanation": TERM_EXPLANATIONS[rule.term],
            "enabled": rule.enabled,
            "applies_when": rule.applies_when,
            "length": rule.length,
            "unit": rule.unit.value,
            "starts_on": rule.starts_on,
            "counts_from": rule.count_start_event,
            "satisfied_by": list(rule.satisfied_by),
            "legal_source": rule.legal_source,
            "description": rule.description,
            "calendar_covers_due_year": local_date(computation.due).year in cal.decree_years,
            "checkpoints": [
                {k: v for k, v in c.as_dict().items() if k in _CHECKPOINT_KEYS}
                for c in checkpoint_dues(rule, start, cal)
            ],
        }
    )
    return result


#: How the rules page names a start that is not an event of its own.
_START_LABELS = {INCIDENT_START: "the incident the melding reports, else its receipt"}

_CHECKPOINT_KEYS = frozenset({"checkpoint", "due", "due_local", "counting", "skipped"})


def _length_text(rule: DeadlineRule) -> str:
    return f"{rule.length} {rule.unit.value.replace('_', ' ')}"


def _counting_text(rule: DeadlineRule) -> str:
    start = "start day counted" if rule.counts_start_day else "start day not counted"
    if rule.unit is Unit.HOURS:
        return "exact hours from the start instant"
    if rule.unit is Unit.CALENDAR_DAYS and not rule.end_of_day:
        return "same Amsterdam wall-clock time N days later"
    if rule.unit is Unit.WORKING_DAYS:
        return f"{start}; end of the N-th working day"
    run_on = "Atw art. 1 run-on" if rule.atw_extends else "no Atw run-on"
    return f"{start}; end of day; {run_on}"


def render_rules_markdown(rulebook: RuleBook | None = None) -> str:
    """Render every rule of ``rulebook`` (default: national) as a markdown page."""
    book = rulebook if rulebook is not None else default_rulebook()
    lines = [
        "# Time limits",
        "",
        "Generated from the rule data (`hgkm_workflow/deadline_rules.py`). Types: W statutory, "
        "P national protocol, R regional agreement. Counting conventions: `docs/calendar.md`.",
        "",
        "Term: *ordenend* — a breach is recorded, the authority to act stays and the work must "
        "still be done (Gerechtshof Amsterdam, ECLI:NL:GHAMS:2024:975); *fatal* — at the due "
        "instant what the term bounds ends.",
        "",
        "| id | name | length | counting | starts on | satisfied by | type | term | breach "
        "| enabled |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in book:
        starts = r.starts_on + (f" (counted from {_START_LABELS.get(r.counts_from, r.counts_from)})"
                                if r.counts_from else "")
        lines.append(
            f"| {r.id} | `{r.name}` | {_length_text(r)} | {_counting_text(r)} | {starts} | "
            f"{', '.join(r.satisfied_by) or '—'} | {r.rule_type.value} | {r.term.value} | "
            f"{r.breach_effect.value} | {'yes' if r.enabled else 'no'} |"
        )
    for r in book:
        lines += ["", f"## {r.id} `{r.name}` (version {r.version}, {r.variant})", ""]
        lines.append(r.description)
        lines.append("")
        lines.append(f"- Type: {_TYPE_LABELS[r.rule_type]}; breach: {r.breach_effect.value}")
        lines.append(f"- Term: {TERM_EXPLANATIONS[r.term]}")
        lines.append(f"- Legal source: {r.legal_source}")
        if r.applies_when:
            lines.append(f"- Applies when: {r.applies_when}")
        if r.checkpoints:
            points = ", ".join(str(c) for c in r.checkpoints)
            lines.append(f"- Check-points: {points} {r.unit.value.replace('_', ' ')}")
    return "\n".join(lines) + "\n"
