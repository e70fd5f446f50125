"""The bases of every command: the validated boundary of the library.

Every command is an immutable pydantic model. Shape, types and values are checked here, before
any case is loaded; an invalid command raises :class:`~hgkm_workflow.errors.InvalidCommand`
(through :func:`validate_command`) naming the fields, never echoing their values.
Commands are imperative (``ReceiveMelding``); the events they lead to are past tense. The
catalogue is re-exported by :mod:`hgkm_workflow.commands`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)

from hgkm_workflow.errors import InvalidCommand, PersonalDataSuspected
from hgkm_workflow.privacy import find_identifying_data
from hgkm_workflow.vocabulary import ActorRole, OrganisationType, PersonRole

#: Earliest and latest business instants accepted (guards against typos such as year 202).
EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
LATEST = datetime.fromisoformat("2100-01-01T00:00:00+00:00")


GemeenteCode = Annotated[str, StringConstraints(pattern=r"^GM\d{4}$")]
"""A CBS municipality code such as ``GM0599`` (Rotterdam)."""


#: Codes already screened and found clean (the screen is a pure function of the text). Codes
#: (actor ids, organisations, regions) recur on nearly every command; rationales are nearly
#: always new free text and are screened afresh, never kept. A suspect code is never kept.
#: Bounded: emptied when full (no eviction order to maintain, safe across threads).
_CLEAN_CODES: dict[str, None] = {}
_CLEAN_MAX = 4096


def _screen(text: str, info: ValidationInfo) -> str:
    kinds = find_identifying_data(text)
    if kinds:
        name = info.field_name or "rationale"
        raise PersonalDataSuspected(
            f"{name} seems to contain identifying data (" + ", ".join(kinds) + "); "
            "describe the decision and refer to persons by pseudonymous id",
            fields=[name],
        )
    return text


def _screen_code(text: str, info: ValidationInfo) -> str:
    if text in _CLEAN_CODES:
        return text
    _screen(text, info)
    if len(_CLEAN_CODES) >= _CLEAN_MAX:
        _CLEAN_CODES.clear()
    _CLEAN_CODES[text] = None
    return text


Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$"),
                 AfterValidator(_screen_code)]
"""A lower-case code: region, organisation, pseudonymous actor id (never a BSN, phone number,
postcode or date: codes are screened like rationales)."""

Rationale = Annotated[
    str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True),
    AfterValidator(_screen),
]
"""Why a decision was taken: about the decision, never a narrative about persons."""


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("instant outside the supported range 2000-01-01..2100-01-01")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A timezone-aware instant within the supported range."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Actor(_Model):
    """Who decides: a pseudonymous actor id, the organisation and the role."""

    actor_id: Code
    organisation: Code
    role: ActorRole


class Regisseur(_Model):
    """A casusregisseur: pseudonymous id and the organisation holding casusregie."""

    actor_id: Code
    organisation: Code
    organisation_type: OrganisationType


class PersonInvolvement(_Model):
    """A person (pseudonymous id from the person register) and their alleged role."""

    person_id: UUID
    role: PersonRole


class Command(_Model):
    """Base of every command: actor, rationale and optionally the business time."""

    actor: Actor
    rationale: Rationale
    occurred_at: Instant | None = Field(
        default=None,
        description="When it happened in the case (business time); default: the clock's now.",
    )


class CaseCommand(Command):
    """A command addressed to an existing household case."""

    case_id: UUID


C = TypeVar("C", bound=BaseModel)


def validate_command(command_type: type[C], data: Any) -> C:
    """Validate ``data`` as ``command_type``; translate errors into :class:`InvalidCommand`.

    The error names the fields and what was wrong with them, never the values given.
    """
    if isinstance(data, command_type):
        return data
    try:
        return command_type.model_validate(data)
    except PersonalDataSuspected:
        raise
    except ValidationError as exc:
        raise invalid_from(exc) from None


def invalid_from(exc: ValidationError) -> InvalidCommand:
    """An :class:`InvalidCommand` naming the failing fields, without their input values."""
    fields: list[str] = []
    problems: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<command>"
        if err["type"] == "extra_forbidden":  # the unexpected key is caller input: not echoed
            loc = ".".join([*(str(p) for p in err["loc"][:-1]), "<unknown field>"])
        fields.append(loc)
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, PersonalDataSuspected):
            raise PersonalDataSuspected(inner.message, fields=[loc]) from None
        allowed = f" (allowed: {ctx['expected']})" if err["type"] == "enum" and "expected" in ctx \
            else ""  # the allowed values come from the enum, never from the input
        problems.append(f"{loc}: {err['type']}{allowed}")
    return InvalidCommand(
        f"{exc.title} is invalid: " + "; ".join(problems), fields=fields
    )
