"""The CLI's one boundary: every error becomes one line on stderr and an exit code.

Every :class:`~hgkm_workflow.errors.HgkmError`, every store error (SQLAlchemy, psycopg,
sqlite3 or eventsourcing's persistence errors, an unreachable PostgreSQL, a bad SQLite path)
and every usage error is printed as ``CODE: message [store URL]`` — the URL with its password
hidden — on stderr, never as a traceback; data goes to stdout, also with ``--json``. The exit
codes (:class:`ExitCode`) are in ``hgkm --help`` and the README.

Commands open the store through :func:`open_application`, which checks it first: a read
command never creates a store (``hgkm init`` does), and an unreachable PostgreSQL is named
within seconds.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import typer
from typer._click import exceptions as click_exceptions
from typer._click.globals import get_current_context
from typer.core import TyperGroup

from hgkm_workflow.errors import HgkmError, StoreConfigurationError

if TYPE_CHECKING:
    from hgkm_workflow.adapters.store import StoreConfig
    from hgkm_workflow.application import HgkmApplication

__all__ = [
    "BAD_INPUT_CODES",
    "EXIT_CODES_HELP",
    "BoundaryGroup",
    "ExitCode",
    "NoStore",
    "StoreUnreachable",
    "error_line",
    "exit_code_of",
    "hide_password",
    "open_application",
    "report",
    "require_store",
]

#: Seconds to wait for PostgreSQL before naming it unreachable.
CONNECT_TIMEOUT_SECONDS = 5


class ExitCode(IntEnum):
    """The exit codes of every ``hgkm`` command."""

    OK = 0
    REFUSED = 1
    BAD_INPUT = 2
    STORE_UNREACHABLE = 3


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 a command was refused or a check failed; 2 bad input or "
    "configuration (an unknown value, a bad URL, no store here); 3 the store is unreachable. "
    "Errors are one line on stderr (code, message, store URL without its password); data goes "
    "to stdout.")


class NoStore(HgkmError):
    """A read command found no store at the URL (``hgkm init`` creates one)."""

    code = "NO_STORE"
    default_rule = "read commands never create a store"


class StoreUnreachable(HgkmError):
    """The store cannot be reached or opened (a server down, a file that cannot be opened)."""

    code = "STORE_UNREACHABLE"
    default_rule = "store-url"


#: Codes that mean the input or the configuration was wrong (exit 2); other refusals exit 1.
BAD_INPUT_CODES = frozenset({
    "INVALID_COMMAND", "PERSONAL_DATA_SUSPECTED", "INVALID_SCENARIO", "INVALID_SETTING",
    "INVALID_PERIOD", "INVALID_MIN_CELL", "INVALID_EXPORT", "INVALID_ACCESS_POLICY",
    "INVALID_DECREE", "INVALID_RULE", "UNKNOWN_RULE", "UNKNOWN_REGION",
    "UNKNOWN_CALENDAR_VERSION", "UNKNOWN_PROJECTION", "STORE_CONFIGURATION", "STORE_NOT_EMPTY",
    "STORE_UNUSABLE", "NO_STORE", "CASE_NOT_FOUND", "ADVIES_NOT_FOUND", "EVENT_NOT_FOUND",
    "MELDING_NOT_FOUND", "PERSON_NOT_FOUND", "HUISVERBOD_NOT_FOUND",
    "EMERGENCY_ACCESS_NOT_FOUND", "SEED_ALREADY_RUN", "BAD_INPUT", "PROJECTION_NOT_SET_UP",
    "PROJECTION_VERSION_MISMATCH", "FUTURE_TICK",
})


def exit_code_of(exc: HgkmError) -> ExitCode:
    """The exit code for an error: 3 unreachable, 2 bad input or configuration, else 1."""
    if exc.code == StoreUnreachable.code:
        return ExitCode.STORE_UNREACHABLE
    if exc.code in BAD_INPUT_CODES:
        return ExitCode.BAD_INPUT
    return ExitCode.REFUSED


_CREDENTIALS = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


def hide_password(url: str) -> str:
    """The URL with its password replaced by ``***`` (SQLAlchemy's rendering where it parses).

    Args:
        url: A store URL or a bare SQLite path.

    Returns:
        Text safe to print.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _CREDENTIALS.sub(r"\1:***@", url)


def error_line(exc: HgkmError, store: str | None = None) -> str:
    """``CODE: message (rule: …) [store URL]`` on one line (newlines folded)."""
    rule = f" (rule: {exc.rule})" if exc.rule else ""
    where = f" [store {store}]" if store else ""
    return " ".join(f"{exc.code}: {exc.message}{rule}{where}".split())


def report(exc: HgkmError, store: str | None = None) -> None:
    """Print the error's one line on stderr (plain text: never wrapped, no markup)."""
    sys.stderr.write(error_line(exc, store) + "\n")
    sys.stderr.flush()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.split("(Background on this error", 1)[0].strip()


def _store_errors() -> tuple[type[BaseException], ...]:
    import sqlalchemy.exc
    from eventsourcing.persistence import PersistenceError

    errors: list[type[BaseException]] = [sqlalchemy.exc.SQLAlchemyError, sqlite3.Error,
                                         PersistenceError]
    try:
        import psycopg
        import psycopg_pool

        errors += [psycopg.Error, psycopg_pool.PoolTimeout]
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        pass
    return tuple(errors)


def translate_store_error(exc: BaseException, password: str | None = None) -> HgkmError:
    """A store error as an :class:`HgkmError`: unreachable (exit 3) or unusable (exit 2).

    Only the first line of the driver's message is kept (never a statement or its
    parameters), with the password removed should the driver repeat it.
    """
    import sqlalchemy.exc
    from eventsourcing.persistence import OperationalError as EsOperationalError

    message = _first_line(exc)
    if password:
        message = message.replace(password, "***")
    unreachable: tuple[type[BaseException], ...] = (
        sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlite3.OperationalError,
        EsOperationalError, ConnectionError, TimeoutError)
    try:
        import psycopg
        import psycopg_pool

        unreachable += (psycopg.OperationalError, psycopg_pool.PoolTimeout)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, unreachable):
        return StoreUnreachable(f"the store cannot be reached or opened: {message}")
    return HgkmError(f"the store cannot be used: {message}", code="STORE_UNUSABLE",
                     rule="store-url")


# ---------------------------------------------------------------------------- opening

_STORE_KEY = "hgkm.store"
_PASSWORD_KEY = "hgkm.password"


def _remember(url: str, password: str | None) -> None:
    ctx = get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_STORE_KEY] = hide_password(url)
        ctx.meta[_PASSWORD_KEY] = password


def _config(db: str | None) -> StoreConfig:
    from urllib.parse import unquote, urlsplit

    from hgkm_workflow.adapters.store import default_url, parse_store_url

    raw = db or default_url()
    try:
        password = urlsplit(raw).password if "://" in raw else None
    except ValueError:
        password = None
    _remember(raw, unquote(password) if password else None)
    config = parse_store_url(db)
    _remember(config.url, unquote(password) if password else None)
    return config


def check_store(config: StoreConfig, *, create: bool) -> None:
    """Check the store before the application opens it (which would create what is missing).

    Args:
        config: The parsed store URL.
        create: True for the commands that may create a store (``init``, ``import``, …).

    Raises:
        NoStore: If ``create`` is False and there is no store at the URL.
        StoreConfigurationError: If the SQLite file's folder does not exist.
        StoreUnreachable: If PostgreSQL does not answer within a few seconds.
    """
    if config.sqlite_path is not None:
        path = config.sqlite_path
        if not path.parent.is_dir():
            raise StoreConfigurationError("the folder of the SQLite file does not exist")
        if create:
            return
        if not path.is_file():
            raise NoStore("no store here; run 'hgkm init' (with the same --db) to create one")
        tables = _sqlite_tables(path)
    else:
        tables = _postgres_tables(config)
        if create:
            return
    if not any(t == "stored_events" or t.endswith("_events") for t in tables):
        raise NoStore("no store here (no event table); run 'hgkm init' (with the same --db) "
                      "to create one")


def _sqlite_tables(path: Any) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {str(r[0]) for r in rows}


def _postgres_tables(config: StoreConfig) -> set[str]:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(config.sqlalchemy_url, poolclass=NullPool,
                              connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def require_store(db: str | None, *, create: bool = False) -> None:
    """Check the store at ``db`` for a command that opens it itself (see :func:`check_store`).

    Args:
        db: The ``--db`` value.
        create: True when the command may create the store.

    Raises:
        NoStore: If ``create`` is False and there is none.
        StoreConfigurationError: If the URL or the SQLite file's folder is unusable.
        StoreUnreachable: If PostgreSQL does not answer.
    """
    check_store(_config(db), create=create)


def open_application(db: str | None, *, create: bool = False,
                     **options: Any) -> HgkmApplication:
    """Open the application on the store ``db`` after checking the store.

    Args:
        db: The ``--db`` value (None: ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``).
        create: True when the command may create the store (``init``, ``demo``, ``simulate``,
            ``import``); read commands leave it False and fail with ``NO_STORE``.
        **options: Passed on to :class:`~hgkm_workflow.application.HgkmApplication`
            (``clock=…``).

    Returns:
        The open application; the caller closes it.
    """
    from hgkm_workflow.application import HgkmApplication

    check_store(_config(db), create=create)
    return HgkmApplication(db, **options)


# ---------------------------------------------------------------------------- the group


def _usage_line(exc: click_exceptions.UsageError) -> None:
    hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
    sys.stderr.write(" ".join(f"BAD_INPUT: {exc.format_message()}{hint}".split()) + "\n")


class BoundaryGroup(TyperGroup):
    """The ``hgkm`` group: translates every error of a command into one line and an exit code."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        """Parse the top-level options; a usage error is one line on stderr (exit 2)."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click_exceptions.NoArgsIsHelpError:
            raise
        except click_exceptions.UsageError as exc:
            _usage_line(exc)
            raise typer.Exit(ExitCode.BAD_INPUT) from None

    def invoke(self, ctx: Any) -> Any:
        """Run the command; print any error as one line on stderr and exit with its code."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click_exceptions.NoArgsIsHelpError):
            raise
        except click_exceptions.UsageError as exc:
            _usage_line(exc)
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        except click_exceptions.ClickException as exc:
            sys.stderr.write(" ".join(f"BAD_INPUT: {exc.format_message()}".split()) + "\n")
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        except HgkmError as exc:
            report(exc, ctx.meta.get(_STORE_KEY))
            raise typer.Exit(exit_code_of(exc)) from None
        except _store_errors() as exc:
            error = translate_store_error(exc, ctx.meta.get(_PASSWORD_KEY))
            report(error, ctx.meta.get(_STORE_KEY))
            raise typer.Exit(exit_code_of(error)) from None

