"""Settings: how meldingen are classified (CBS Monitor Veilig Thuis), and retention.

Retention of the person register (:class:`RetentionSettings`, ``HGKM_RETENTION_YEARS``) is at
the end of this module; the rest is about the read models.

The defaults are CBS's: a *hermelding* is a melding about a person whose involvement with
Veilig Thuis ended in the **3 years** before the melding was received, and **every person**
named in a melding counts, whatever their alleged role.

A host may change them through the environment of the process that builds the application
(read when :func:`~hgkm_workflow.projections.registry.default_projections` runs, never at
import time):

* ``HGKM_HERMELDING_LOOKBACK_YEARS`` — whole years, at least 1 (default 3);
* ``HGKM_HERMELDING_ROLES`` — comma-separated :class:`~hgkm_workflow.vocabulary.PersonRole`
  values, e.g. ``victim,alleged_perpetrator,child`` (default: all roles).

Classifications are stored when a melding is received, so after changing a setting run
``hgkm projections rebuild``; every classification records the settings it was made with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hgkm_workflow.errors import HgkmError
from hgkm_workflow.vocabulary import PersonRole

LOOKBACK_ENV = "HGKM_HERMELDING_LOOKBACK_YEARS"
ROLES_ENV = "HGKM_HERMELDING_ROLES"

#: CBS's lookback for hermeldingen: "in de afgelopen drie jaar".
CBS_LOOKBACK_YEARS = 3


class InvalidSetting(HgkmError):
    """A read-model setting has an unusable value."""

    code = "INVALID_SETTING"
    default_rule = "read-model settings"


def _all_roles() -> frozenset[PersonRole]:
    return frozenset(PersonRole)


@dataclass(frozen=True)
class ClassificationSettings:
    """How meldingen are classified as nieuw, vervolgmelding or hermelding.

    Attributes:
        lookback_years: A person whose VT involvement ended on or after the same calendar
            date this many years before the receipt date (Europe/Amsterdam) makes the
            melding a hermelding. The boundary day counts (inclusive).
        counted_roles: Roles that make a person count, both in the new melding and in the
            earlier involvement.
    """

    lookback_years: int = CBS_LOOKBACK_YEARS
    counted_roles: frozenset[PersonRole] = field(default_factory=_all_roles)

    def __post_init__(self) -> None:
        if not isinstance(self.lookback_years, int) or self.lookback_years < 1:
            raise InvalidSetting("lookback_years must be a whole number of at least 1")
        if not self.counted_roles:
            raise InvalidSetting("counted_roles must name at least one role")

    @property
    def roles_text(self) -> str:
        """The counted roles as a sorted, comma-separated string (stored on each row)."""
        return ",".join(sorted(r.value for r in self.counted_roles))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ClassificationSettings:
        """Settings from environment variables, CBS defaults where a variable is unset.

        Args:
            env: The environment, e.g. ``os.environ``.

        Returns:
            The settings.

        Raises:
            InvalidSetting: If a variable is set to an unusable value.
        """
        years_text = env.get(LOOKBACK_ENV, "").strip()
        roles_text = env.get(ROLES_ENV, "").strip()
        years = CBS_LOOKBACK_YEARS
        if years_text:
            try:
                years = int(years_text)
            except ValueError:
                raise InvalidSetting(f"{LOOKBACK_ENV} must be a whole number") from None
        roles = _all_roles()
        if roles_text:
            try:
                roles = frozenset(PersonRole(r.strip()) for r in roles_text.split(",")
                                  if r.strip())
            except ValueError:
                raise InvalidSetting(
                    f"{ROLES_ENV} must list roles among: "
                    + ", ".join(r.value for r in PersonRole)) from None
        return cls(lookback_years=years, counted_roles=roles)

    @classmethod
    def from_environment(cls) -> ClassificationSettings:
        """Settings from this process's environment (see :meth:`from_env`).

        Raises:
            InvalidSetting: If a variable is set to an unusable value.
        """
        return cls.from_env(os.environ)


# ---------------------------------------------------------------------------- retention

RETENTION_YEARS_ENV = "HGKM_RETENTION_YEARS"

#: Default retention of the person register's details, in years. Both laws that govern the
#: files in this domain set twenty years: Wmo 2015 art. 5.3.4 for Veilig Thuis ("twintig
#: jaren", since the extension of 2020) and Jeugdwet art. 7.3.8 for youth care. The exact
#: wording and the moment the term starts have changed over time: the value is a setting.
DEFAULT_RETENTION_YEARS = 20

RETENTION_LEGAL_SOURCE = (
    "bewaartermijn: Wmo 2015 art. 5.3.4 (Veilig Thuis) and Jeugdwet art. 7.3.8, twenty years "
    "(configurable, docs/security.md); erasure on request: Wmo 2015 art. 5.3.5, "
    "Jeugdwet art. 7.3.9, AVG art. 17")


@dataclass(frozen=True)
class RetentionSettings:
    """How long the person register keeps a person's details before erasure is a right.

    Attributes:
        years: Length of the retention period. It runs from the latest of the person's
            registration and the last recorded activity on a case the person belongs to; while
            such a case is open it has not started to run.
        legal_source: The legal source named on every erasure request (recorded in events).
    """

    years: int = DEFAULT_RETENTION_YEARS
    legal_source: str = RETENTION_LEGAL_SOURCE

    def __post_init__(self) -> None:
        if not isinstance(self.years, int) or not 0 <= self.years <= 100:
            raise InvalidSetting("retention years must be a whole number from 0 to 100")

    def ends(self, start: datetime) -> datetime:
        """The end of the retention period that starts at ``start`` (29 Feb → 28 Feb)."""
        try:
            return start.replace(year=start.year + self.years)
        except ValueError:  # 29 February into a year without one
            return start.replace(year=start.year + self.years, day=28)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionSettings:
        """Settings from ``HGKM_RETENTION_YEARS`` (default twenty years).

        Raises:
            InvalidSetting: If the variable is not a whole number from 0 to 100.
        """
        text = env.get(RETENTION_YEARS_ENV, "").strip()
        if not text:
            return cls()
        try:
            return cls(years=int(text))
        except ValueError:
            raise InvalidSetting(f"{RETENTION_YEARS_ENV} must be a whole number") from None
