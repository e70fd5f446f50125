"""``docs/authority.md``, generated from the policy data: command → who may, why, source."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hgkm_workflow.authority.book import AuthorityPolicy
from hgkm_workflow.authority.models import Condition, Kind, Relation, Rule

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")

RELATION_LABELS: dict[Relation, str] = {
    Relation.VEILIG_THUIS: "Veilig Thuis of the case's region",
    Relation.REGISSEUR: "the casusregisseur's organisation",
    Relation.HANDOVER_SENDER: "the sender of the pending handover",
    Relation.HANDOVER_RECEIVER: "the receiver of the pending handover",
    Relation.MDA_KERNTEAM: "the region's MDA++ kernteam while escalated",
    Relation.INVOLVED: "an organisation with an open involvement",
    Relation.POLITIE: "the police of the case's region",
    Relation.BURGEMEESTER: "the burgemeester of the case's gemeente",
    Relation.MANDATED: "an organisation under the burgemeester's recorded mandate in force "
                       "for the case's gemeente at the business time",
    Relation.SYSTEM: "the library or the host's operators",
}
CONDITION_LABELS: dict[Condition, str] = {
    Condition.NO_REGISSEUR: "while nobody holds casusregie",
}
KIND_LABELS: dict[Kind, str] = {
    Kind.STATUTORY: "statutory (wettelijk): reserved to its holder, never overridden",
    Kind.PROTOCOL: "national protocol or method: not overridden by a region",
    Kind.REGIONAL: "regional agreement: a region may widen or narrow it",
    Kind.ADMINISTRATIVE: "administrative: the library's own operation",
}

_HEADER = """\
# Command authority

<!-- Generated from hgkm_workflow/data/authority/policy.yaml by
hgkm_workflow.authority.render_markdown. Do not edit: change the data and regenerate. -->

> **Generated file.** Drawn from `hgkm_workflow/data/authority/policy.yaml`; do not edit by
> hand. Regenerate with `hgkm docs generate`; `hgkm docs check` fails when it is out of date.

Who may give which command (issue 13). The host authenticates the actor; the library decides,
on every command, from the organisation and role the command's actor carries and the case's
facts. A refusal raises `NOT_AUTHORISED` naming the rule, stores nothing and is written to the
access log. An auditor is never granted a command. Policy version {version}.

| kind | meaning |
|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _who(rule: Rule) -> str:
    roles = rule.written_roles or tuple(sorted(rule.roles))
    who = f"{RELATION_LABELS[rule.relation]} ({', '.join(roles)})"
    for condition in sorted(rule.when):
        who += f", {CONDITION_LABELS[condition]}"
    return who


def _row(command: str, kind: str, rule: Rule) -> str:
    return (f"| `{command}` | {kind} | `{rule.id}` | {_cell(_who(rule))} | {_cell(rule.why)} | "
            f"{_cell(rule.source)} |")


def render_markdown(policy: AuthorityPolicy) -> str:
    """The authority page: kinds, every command with its rules, overrides, region tables."""
    lines = [_HEADER.format(version=policy.version).rstrip("\n")]
    lines += [f"| {k.value} | {label} |" for k, label in KIND_LABELS.items()]
    lines += ["", "Rules name roles singly or by group:", "", "| role group | roles |",
              "|---|---|"]
    lines += [f"| {name} | {', '.join(roles)} |" for name, roles in policy.role_groups.items()]
    lines += ["", "## Commands", "",
              "| command | kind | rule | who may | why | source |", "|---|---|---|---|---|---|"]
    for name, command in policy.commands.items():
        kind = command.kind.value + (f" ({command.reserved.value})" if command.reserved else "")
        rules = policy.rules_for(name, None)
        if not rules:
            lines.append(f"| `{name}` | {kind} | — | nobody (refused everywhere) | — | — |")
        lines += [_row(name, kind, rule) for rule in rules]
    lines += ["", "## Regional overrides", ""]
    if not policy.overrides:
        lines.append("None.")
    for region, override in sorted(policy.overrides.items()):
        lines += [f"### {region}", ""]
        for rule_id in sorted(override.removed):
            lines.append(f"- removes `{rule_id}`")
        for rule in override.added:
            commands = ", ".join(f"`{c}`" for c in sorted(rule.commands))
            lines.append(f"- adds `{rule.id}` for {commands}: {_who(rule)} — {rule.why} "
                         f"({rule.source})")
        lines.append("")
    lines += _tables(policy)
    return "\n".join(lines).rstrip("\n") + "\n"


def _day(instant: datetime) -> str:
    return instant.astimezone(_AMSTERDAM).date().isoformat()


def _tables(policy: AuthorityPolicy) -> list[str]:
    tables = policy.tables
    lines = ["## Regions", "",
             "A region not listed has `vt-<region>` as its Veilig Thuis and no police or "
             "kernteam.", "",
             "| region | Veilig Thuis | MDA++ kernteam | politie |", "|---|---|---|---|"]
    for code, region in sorted(tables.regions.items()):
        lines.append(f"| {code} | {', '.join(sorted(region.veilig_thuis))} | "
                     f"{', '.join(sorted(region.mda_kernteam)) or '—'} | "
                     f"{', '.join(sorted(region.politie)) or '—'} |")
    lines += ["", "## Gemeenten", "",
              "A gemeente not listed has no burgemeester here: its huisverbod commands are "
              "refused until it is added.", "",
              "| gemeente | burgemeester | mandates |", "|---|---|---|"]
    for code, gemeente in sorted(tables.gemeenten.items()):
        mandates = "; ".join(f"`{m.mandate_id}`" for m in gemeente.mandates) or "—"
        lines.append(f"| {code} | {gemeente.burgemeester} | {mandates} |")
    lines += ["", "## Mandate register", "",
              "The burgemeester may mandate the imposition of a huisverbod to a hulpofficier "
              "van justitie (Wet tijdelijk huisverbod art. 3 lid 1); extending and revoking "
              "stay with the burgemeester. A hulpofficier (role `politie`) of the mandated "
              "organisation imposes only under a mandate in force for the case's gemeente at "
              "the business time; the `HuisverbodImposed` event names it (`mandate_id`). "
              "Dates are Europe/Amsterdam days; *until* is the first day no longer in force.",
              "", "| mandate | gemeente | organisation | commands | from | until | source |",
              "|---|---|---|---|---|---|---|"]
    for code, gemeente in sorted(tables.gemeenten.items()):
        for m in gemeente.mandates:
            until = _day(m.valid_until) if m.valid_until is not None else "—"
            lines.append(f"| `{m.mandate_id}` | {code} | {m.organisation} | "
                         f"{', '.join(f'`{c}`' for c in sorted(m.commands))} | "
                         f"{_day(m.valid_from)} | {until} | {m.source or '—'} |")
    lines += ["", "System organisations: "
              + (", ".join(sorted(tables.system_organisations)) or "none") + "."]
    return lines
