"""The alternatives a what-if replays under: a rules file, a calendar file, settings.

A **rules file** (YAML) names overrides of the national rule book, as a region would adopt
them (:meth:`~hgkm_workflow.domain.rulebook.RuleBook.with_overrides`; statutory rules refuse
what the law fixes)::

    variant: "whatif:t3-from-receipt"
    overrides:
      T3: {counts_from: MeldingReceived}

A **calendar file** (YAML) starts from a published calendar version and adds or removes
decrees (Besluit gelijkstelling); the result gets its own version string, so every deadline
on the alternative side names it::

    version: atw-2-whatif-24dec
    base: atw-2
    add:
      - name: "Besluit gelijkstelling (what-if) van 24 december 2026"
        dates: [2026-12-24]
        years: [2026]
    remove: []          # names of decrees of the base version to leave out

Files are checked before anything is read; a bad file raises ``INVALID_WHATIF_INPUT``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from hgkm_workflow.domain.calendar import WorkingDayCalendar, calendar_by_version
from hgkm_workflow.domain.calendar_data import Decree
from hgkm_workflow.domain.rulebook import RuleBook, RuleOverride
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.vocabulary import PersonRole

__all__ = ["InvalidWhatIfInput", "WhatIfInputs", "load_calendar", "load_rules",
           "with_settings"]


class InvalidWhatIfInput(HgkmError):
    """A what-if rules or calendar file, or a setting, cannot be used."""

    code = "INVALID_WHATIF_INPUT"
    default_rule = "what-if inputs"


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidWhatIfInput(f"cannot read {path.name}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise InvalidWhatIfInput(f"{path.name}: expected a mapping at the top")
    return data


def load_rules(path: Path, base: RuleBook) -> tuple[RuleBook, str]:
    """The rule book of a rules file (overrides on ``base``) and its variant label.

    Raises:
        InvalidWhatIfInput: The file is unreadable or malformed.
        RuleViolation: An override is refused (unknown rule, statutory field, …).
    """
    data = _yaml(path)
    variant = str(data.get("variant") or f"whatif:{path.stem}")
    raw = data.get("overrides")
    if not isinstance(raw, dict) or not raw:
        raise InvalidWhatIfInput(f"{path.name}: 'overrides' must map rule ids to changes")
    try:
        overrides = {str(k): RuleOverride.model_validate(
            {f: tuple(v) if f == "checkpoints" else v for f, v in dict(o).items()})
            for k, o in raw.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidWhatIfInput(f"{path.name}: an override is malformed "
                                 f"({type(exc).__name__})") from None
    return base.with_overrides(overrides, variant=variant), variant


def load_calendar(path: Path) -> WorkingDayCalendar:
    """The calendar of a calendar file: a published base with decrees added or removed.

    Raises:
        InvalidWhatIfInput: The file is unreadable or malformed, or removes an unknown decree.
        RuleViolation: A decree is invalid, or the base version is not published.
    """
    data = _yaml(path)
    base = calendar_by_version(str(data.get("base") or "atw-2"))
    remove = [str(n) for n in data.get("remove") or []]
    unknown = sorted(set(remove) - {d.name for d in base.decrees})
    if unknown:
        raise InvalidWhatIfInput(f"{path.name}: 'remove' names {len(unknown)} decree(s) "
                                 f"not in {base.version}")
    decrees = [d for d in base.decrees if d.name not in remove]
    for raw in data.get("add") or []:
        try:
            decrees.append(Decree(name=str(raw["name"]),
                                  dates=tuple(sorted(_day(d) for d in raw["dates"])),
                                  years=tuple(sorted(int(y) for y in raw["years"]))))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWhatIfInput(f"{path.name}: a decree under 'add' is malformed "
                                     f"({type(exc).__name__})") from None
    version = str(data.get("version") or f"{base.version}-whatif")
    return WorkingDayCalendar(version, tuple(decrees))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def with_settings(base: ClassificationSettings, *, lookback_years: int | None = None,
                  roles: list[str] | None = None,
                  basis: str | None = None) -> ClassificationSettings:
    """``base`` with the given classification settings changed.

    Raises:
        InvalidWhatIfInput: A role is unknown.
        InvalidSetting: A value is out of range.
    """
    out = base
    if lookback_years is not None:
        out = replace(out, lookback_years=lookback_years)
    if roles:
        try:
            out = replace(out, counted_roles=frozenset(PersonRole(r) for r in roles))
        except ValueError:
            raise InvalidWhatIfInput("roles must be among: "
                                     + ", ".join(r.value for r in PersonRole)) from None
    if basis is not None:
        out = replace(out, hermelding_basis=basis)
    return out


@dataclass(frozen=True)
class WhatIfInputs:
    """The alternative side and its labels (all ``None``: replay under the recorded rules)."""

    rules: RuleBook | None = None
    rules_label: str | None = None
    calendar: WorkingDayCalendar | None = None
    classification: ClassificationSettings | None = None
