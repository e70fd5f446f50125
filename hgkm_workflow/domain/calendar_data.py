"""Decree data for the working-day calendar (Algemene termijnenwet art. 3(3)).

Days that the government adds to the Atw holidays by decree ("Besluit gelijkstelling")
are data, not a rule: they are published for about three years at a time. Each published
decree is one :class:`Decree`; each published calendar version is the ordered list of
decrees it contains (see :data:`CALENDAR_VERSIONS`).

To add a decree: append a :class:`Decree` constant below and a new entry to
:data:`CALENDAR_VERSIONS` whose version is the previous one plus that decree. Never change or
remove an existing version: stored deadlines name the calendar version they were computed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hgkm_workflow.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class Decree:
    """A decree that treats extra days as Atw holidays (Atw art. 3(3)).

    Attributes:
        name: The decree's title, e.g. "Besluit gelijkstelling van 2 januari 2026, ...".
        dates: The days the decree treats as holidays, in ascending order.
        years: The calendar years the decree covers (it may add no day in some of them).
    """

    name: str
    dates: tuple[date, ...]
    years: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise RuleViolation(
                "a decree needs a name", rule="Atw art. 3(3)", code="INVALID_DECREE"
            )
        if not self.years or list(self.years) != sorted(set(self.years)):
            raise RuleViolation(
                f"decree '{self.name}': years must be non-empty, ascending and unique",
                rule="Atw art. 3(3)",
                code="INVALID_DECREE",
            )
        if list(self.dates) != sorted(set(self.dates)):
            raise RuleViolation(
                f"decree '{self.name}': dates must be ascending and unique",
                rule="Atw art. 3(3)",
                code="INVALID_DECREE",
            )
        outside = [d.isoformat() for d in self.dates if d.year not in self.years]
        if outside:
            raise RuleViolation(
                f"decree '{self.name}': dates {outside} fall outside its years {list(self.years)}",
                rule="Atw art. 3(3)",
                code="INVALID_DECREE",
            )


DECREE_2023_2025 = Decree(
    name=(
        "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, "
        "27 december 2024 en 30 mei 2025"
    ),
    dates=(
        date(2023, 4, 28),
        date(2023, 5, 19),
        date(2024, 5, 10),
        date(2024, 12, 27),
        date(2025, 5, 30),
    ),
    years=(2023, 2024, 2025),
)

DECREE_2026_2028 = Decree(
    name=(
        "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, "
        "28 april 2028 en 26 mei 2028"
    ),
    dates=(
        date(2026, 1, 2),
        date(2026, 5, 15),
        date(2027, 5, 7),
        date(2028, 4, 28),
        date(2028, 5, 26),
    ),
    years=(2026, 2027, 2028),
)

#: Version of the calendar with no decreed days at all; the root of every version chain.
BASE_VERSION = "atw-0"

#: Published calendar versions, oldest first: version -> the decrees it contains, in order.
#: Each version must equal the previous one with exactly one decree added, so that
#: ``WorkingDayCalendar.with_decree`` reproduces the same version string.
CALENDAR_VERSIONS: tuple[tuple[str, tuple[Decree, ...]], ...] = (
    ("atw-1", (DECREE_2023_2025,)),
    ("atw-2", (DECREE_2023_2025, DECREE_2026_2028)),
)
