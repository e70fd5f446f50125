"""A burgemeester's recorded mandate (mandaatbesluit) to a hulpofficier van justitie.

Wet tijdelijk huisverbod art. 3 lid 1: the burgemeester may mandate the power to *impose* a
huisverbod (art. 2) to a hulpofficier van justitie (art. 154 Wetboek van Strafvordering).
Extending (art. 9) and revoking stay with the burgemeester. A :class:`HuisverbodMandate` is
one such mandate as the engine knows it: kept as versioned policy data per gemeente
(``data/authority/policy.yaml``, ``gemeenten.<code>.mandates``) with validity dates, resolved
by the authority policy for the case's gemeente at the decision's business time, and checked
again by the aggregate, which names it on the ``HuisverbodImposed`` event (``mandate_id``).

Pure value object: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["MANDATABLE_COMMANDS", "HuisverbodMandate"]

#: The commands a burgemeester may mandate (Wet tijdelijk huisverbod art. 3 lid 1: the
#: imposition) and what follows the imposition in the hulpofficier's hands (recording the
#: contact address the removed person gives, T8). Extension and revocation are not mandatable.
MANDATABLE_COMMANDS = frozenset({"ImposeHuisverbod", "RecordContactAddressGiven"})


@dataclass(frozen=True)
class HuisverbodMandate:
    """One recorded mandate of the burgemeester of ``gemeente`` to ``organisation``.

    Attributes:
        mandate_id: Stable id of the mandate (named on the events decided under it).
        gemeente: CBS code of the gemeente whose burgemeester gave it.
        organisation: The organisation code of the mandated hulpofficieren van justitie.
        commands: The command class names it covers (a subset of ``MANDATABLE_COMMANDS``).
        valid_from: First instant it is valid (inclusive, aware UTC).
        valid_until: First instant it is no longer valid (exclusive); ``None``: until revoked.
        source: The mandaatbesluit it records (a reference, no personal data).
    """

    mandate_id: str
    gemeente: str
    organisation: str
    commands: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None = None
    source: str = ""

    def valid_at(self, at: datetime) -> bool:
        """Whether the mandate is in force at business time ``at``."""
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def covers(self, command: str, organisation: str, gemeente: str, at: datetime) -> bool:
        """Whether ``organisation`` may give ``command`` in ``gemeente`` at ``at`` under it."""
        return (command in self.commands and organisation == self.organisation
                and gemeente == self.gemeente and self.valid_at(at))
