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
  values, e.g. ``victim,alleged_perpetrator,child`` (default: all roles);
* ``HGKM_HERMELDING_BASIS`` — ``persons`` (default, as CBS words it: a melding is a
  hermelding only through a *person* known to VT) or ``household`` (a melding on a household
  case whose VT involvement ended within the lookback is a hermelding even when it names only
  persons new to VT).

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
BASIS_ENV = "HGKM_HERMELDING_BASIS"
HERMELDING_BASES = ("persons", "household")
"""The values of ``HGKM_HERMELDING_BASIS`` (the first is the default)."""

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
        hermelding_basis: ``persons`` (CBS: only a counted person known to VT makes a
            hermelding) or ``household`` (also the melding's own case, when its VT
            involvement ended within the lookback, whoever the melding names).
    """

    lookback_years: int = CBS_LOOKBACK_YEARS
    counted_roles: frozenset[PersonRole] = field(default_factory=_all_roles)
    hermelding_basis: str = HERMELDING_BASES[0]

    def __post_init__(self) -> None:
        if not isinstance(self.lookback_years, int) or self.lookback_years < 1:
            raise InvalidSetting("lookback_years must be a whole number of at least 1")
        if not self.counted_roles:
            raise InvalidSetting("counted_roles must name at least one role")
        if self.hermelding_basis not in HERMELDING_BASES:
            raise InvalidSetting("hermelding_basis must be one of: "
                                 + ", ".join(HERMELDING_BASES))

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
        basis = env.get(BASIS_ENV, "").strip() or HERMELDING_BASES[0]
        if basis not in HERMELDING_BASES:
            raise InvalidSetting(f"{BASIS_ENV} must be one of: " + ", ".join(HERMELDING_BASES))
        return cls(lookback_years=years, counted_roles=roles, hermelding_basis=basis)

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


# ---------------------------------------------------------------------------- the environment


def retention_from_environment() -> RetentionSettings:
    """The retention settings of this process (``HGKM_RETENTION_YEARS``, default twenty years).

    Raises:
        InvalidSetting: If the variable is not a whole number from 0 to 100.
    """
    return RetentionSettings.from_env(os.environ)


# ---------------------------------------------------------------------------- security

REGISTER_KEK_ENV = "HGKM_REGISTER_KEK"
REGISTER_KEK_FILE_ENV = "HGKM_REGISTER_KEK_FILE"
INSECURE_DEV_REGISTER_ENV = "HGKM_INSECURE_DEV_REGISTER"
ACCESS_LOG_KEY_ENV = "HGKM_ACCESS_LOG_KEY"
ACCESS_LOG_KEY_FILE_ENV = "HGKM_ACCESS_LOG_KEY_FILE"
ACCESS_LOG_ANCHOR_ENV = "HGKM_ACCESS_LOG_ANCHOR"
CIPHER_KEY_ENV = "HGKM_CIPHER_KEY"
CIPHER_KEY_FILE_ENV = "HGKM_CIPHER_KEY_FILE"


@dataclass(frozen=True)
class SecuritySettings:
    """Where the secrets kept outside the database come from (docs/security.md).

    Values are taken as given (key text or a file name); :mod:`hgkm_workflow.adapters.keys`
    checks and loads them, and never echoes a key.

    Attributes:
        register_kek: The person register's key-encryption key (base64 of 32 bytes).
        register_kek_file: A file holding that key (e.g. a mounted secret).
        insecure_dev_register: ``HGKM_INSECURE_DEV_REGISTER=1``: allow a register without
            a key-encryption key, wrapping keys with a fixed, public development key (no
            protection at all; for demos and local experiments only).
        cipher_key: ``HGKM_CIPHER_KEY``; the register derives its key-encryption key from it
            when no register key is given.
        cipher_key_file: ``HGKM_CIPHER_KEY_FILE``.
        access_log_key: The access log's chain key (base64 of at least 16 bytes).
        access_log_key_file: A file holding that key.
        access_log_anchor: A file outside the database that witnesses the log's head.
    """

    register_kek: str | None = None
    register_kek_file: str | None = None
    insecure_dev_register: bool = False
    cipher_key: str | None = None
    cipher_key_file: str | None = None
    access_log_key: str | None = None
    access_log_key_file: str | None = None
    access_log_anchor: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SecuritySettings:
        """The settings from the environment (``os.environ`` when ``env`` is ``None``).

        Raises:
            InvalidSetting: If ``HGKM_INSECURE_DEV_REGISTER`` is neither ``0`` nor ``1``.
        """
        import os

        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        flag = (get(INSECURE_DEV_REGISTER_ENV) or "0").lower()
        if flag not in ("0", "1", "true", "false", "yes", "no"):
            raise InvalidSetting(f"{INSECURE_DEV_REGISTER_ENV} must be 0 or 1")
        return cls(register_kek=get(REGISTER_KEK_ENV),
                   register_kek_file=get(REGISTER_KEK_FILE_ENV),
                   insecure_dev_register=flag in ("1", "true", "yes"),
                   cipher_key=get(CIPHER_KEY_ENV), cipher_key_file=get(CIPHER_KEY_FILE_ENV),
                   access_log_key=get(ACCESS_LOG_KEY_ENV),
                   access_log_key_file=get(ACCESS_LOG_KEY_FILE_ENV),
                   access_log_anchor=get(ACCESS_LOG_ANCHOR_ENV))


DATABASE_URL_ENV = "HGKM_DATABASE_URL"


def database_url_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The store URL from ``HGKM_DATABASE_URL`` (``None`` when unset or empty)."""
    import os

    source = os.environ if env is None else env
    return source.get(DATABASE_URL_ENV) or None


# ---------------------------------------------------------------------------- command line

#: Environment variables that give the CLI's reader (``--actor`` …) when an option is left out.
CLI_ACTOR_ENV = "HGKM_ACTOR"
CLI_ORGANISATION_ENV = "HGKM_ORGANISATION"
CLI_ROLE_ENV = "HGKM_ROLE"
CLI_PURPOSE_ENV = "HGKM_PURPOSE"
CLI_SAFETY_REASON_ENV = "HGKM_SAFETY_REASON"


@dataclass(frozen=True)
class CliReaderDefaults:
    """Who reads through the CLI when the options are left out (from the environment).

    Attributes:
        actor_id: ``HGKM_ACTOR``, or None when unset or blank.
        organisation: ``HGKM_ORGANISATION``, or None.
        role: ``HGKM_ROLE``, or None.
        purpose: ``HGKM_PURPOSE``, or None.
        safety_reason: ``HGKM_SAFETY_REASON``, or None.
    """

    actor_id: str | None = None
    organisation: str | None = None
    role: str | None = None
    purpose: str | None = None
    safety_reason: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CliReaderDefaults:
        """The defaults from an environment mapping (blank values count as unset).

        Args:
            env: The environment, e.g. ``os.environ``.

        Returns:
            The defaults.
        """

        def get(name: str) -> str | None:
            return env.get(name, "").strip() or None

        return cls(actor_id=get(CLI_ACTOR_ENV), organisation=get(CLI_ORGANISATION_ENV),
                   role=get(CLI_ROLE_ENV), purpose=get(CLI_PURPOSE_ENV),
                   safety_reason=get(CLI_SAFETY_REASON_ENV))


def cli_reader_defaults() -> CliReaderDefaults:
    """The CLI reader's defaults from this process's environment (read when called)."""
    import os

    return CliReaderDefaults.from_env(os.environ)


def process_environment() -> Mapping[str, str]:
    """This process's environment, for the tools' ``from_env`` readers (e.g. ``HGKM_MIN_CELL``).

    The tools call this rather than ``os.environ`` so that this module stays the one that
    reads the environment.
    """
    import os

    return os.environ
