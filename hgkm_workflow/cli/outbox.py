"""``hgkm outbox run``: deliver the outbox to its consumers as a long-running process.

The consumers come from a configuration file (``--config FILE``, YAML; docs/zgw.md):

.. code-block:: yaml

    consumers:
      zgw:                       # the consumer's name: its checkpoint and idempotency keys
        kind: zgw
        zaken: {base_url: "https://zaken.example/zaken/api/v1", client_id: hgkm,
                secret_file: /run/secrets/zaken}
        notificaties: {base_url: "https://nrc.example/api/v1", client_id: hgkm,
                       secret_file: /run/secrets/nrc}
        mappings: /etc/hgkm/zgw  # optional: the host's own mapping files
      school:
        kind: factory
        factory: "my_service.integrations:school_consumer"   # factory(app, options)
        options: {endpoint: "https://…"}

The process runs until SIGTERM or SIGINT (Ctrl-C): a round in progress is finished (what was
due is delivered and recorded), an idle wait ends at once, and it exits 0. ``--once``
delivers until nothing is due, then exits: 0, or 1 when the chosen consumers have dead
letters. A bad configuration exits 2, an unreachable store 3 (the CLI boundary). Secrets are
never printed; logs carry codes and counts only.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hgkm_workflow.cli.boundary import ExitCode, hide_password, open_application
from hgkm_workflow.cli.common import DbOption, JsonOption, echo_json, say
from hgkm_workflow.cli.running import LogLevelOption
from hgkm_workflow.cli.running import _logging as configure_logging

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.integration.messages import Consumer

__all__ = ["ConsumerConfig", "OutboxConfig", "build_consumers", "outbox_app"]

outbox_app = typer.Typer(help="The outbox: delivery to integrations (docs/zgw.md).",
                         no_args_is_help=True)


class Endpoint(BaseModel):
    """One ZGW API: root URL and JWT client credentials (secret inline or in a file)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(pattern=r"^https?://")
    client_id: str = Field(min_length=1)
    secret: str | None = Field(default=None, repr=False)
    secret_file: Path | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> Endpoint:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError("give exactly one of secret and secret_file")
        return self

    def read_secret(self) -> str:
        """The secret (from the file, stripped, if one is named)."""
        if self.secret_file is None:
            return self.secret or ""
        try:
            return self.secret_file.read_text(encoding="utf-8").strip()
        except OSError:
            raise typer.BadParameter(f"cannot read secret_file {self.secret_file}",
                                     param_hint="--config") from None


class ConsumerConfig(BaseModel):
    """One consumer: ``kind: zgw`` (the ZGW delivery) or ``kind: factory`` (the host's own)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["zgw", "factory"]
    zaken: Endpoint | None = None
    notificaties: Endpoint | None = None
    mappings: Path | None = None
    timeout: float = Field(default=10.0, gt=0, le=300)
    factory: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> ConsumerConfig:
        if self.kind == "zgw" and (self.zaken is None or self.notificaties is None):
            raise ValueError("a zgw consumer needs zaken and notificaties")
        if self.kind == "factory" and self.factory is None:
            raise ValueError("a factory consumer needs factory: 'module:function'")
        return self


class OutboxConfig(BaseModel):
    """The ``--config`` file: consumers by name."""

    model_config = ConfigDict(extra="forbid")

    consumers: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")],
                    ConsumerConfig] = Field(min_length=1)

    @classmethod
    def load(cls, path: Path) -> OutboxConfig:
        """Read and validate the file.

        Raises:
            typer.BadParameter: The file is missing, not YAML, or not a valid configuration
                (the message names the fields, never their values).
        """
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError:
            raise typer.BadParameter(f"cannot read {path}", param_hint="--config") from None
        except yaml.YAMLError:
            raise typer.BadParameter(f"{path} is not YAML", param_hint="--config") from None
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                for e in error.errors(include_input=False))
            raise typer.BadParameter(f"{path}: {problems}", param_hint="--config") from None


def _zgw(app: HgkmApplication, name: str, config: ConsumerConfig) -> Consumer:
    from hgkm_workflow.integration.zgw.delivery import ApiEndpoint, ZgwSettings, zgw_consumer
    from hgkm_workflow.integration.zgw.mapping import load_mapping, mappings_from

    if config.zaken is None or config.notificaties is None:  # the validator requires both
        raise typer.BadParameter(f"consumer {name}: zaken and notificaties are required",
                                 param_hint="--config")
    settings = ZgwSettings(
        zaken=ApiEndpoint(config.zaken.base_url, config.zaken.client_id,
                          config.zaken.read_secret()),
        notificaties=ApiEndpoint(config.notificaties.base_url, config.notificaties.client_id,
                                 config.notificaties.read_secret()),
        timeout=config.timeout)
    mapping_for = mappings_from(config.mappings) if config.mappings else load_mapping
    return zgw_consumer(app, settings, name=name, mapping_for=mapping_for)


def _factory(app: HgkmApplication, name: str, config: ConsumerConfig) -> Consumer:
    from hgkm_workflow.integration.messages import Consumer

    module_name, function = (config.factory or ":").split(":")
    try:
        made = getattr(importlib.import_module(module_name), function)(app, config.options)
    except (ImportError, AttributeError, ValueError):
        raise typer.BadParameter(f"consumer {name}: cannot import {config.factory}",
                                 param_hint="--config") from None
    if not isinstance(made, Consumer):
        raise typer.BadParameter(f"consumer {name}: {config.factory} did not return a "
                                 "Consumer", param_hint="--config")
    if made.name != name:
        raise typer.BadParameter(f"consumer {name}: the factory named it {made.name!r}",
                                 param_hint="--config")
    return made


def build_consumers(app: HgkmApplication, config: OutboxConfig,
                    chosen: list[str] | None = None) -> list[Consumer]:
    """The configured consumers (those named in ``chosen``, else all), in file order.

    Raises:
        typer.BadParameter: A chosen name is not configured (the allowed names are listed).
    """
    names = list(config.consumers)
    unknown = sorted(set(chosen or ()) - set(names))
    if unknown:
        raise typer.BadParameter(f"unknown consumer {', '.join(unknown)} (configured: "
                                 f"{', '.join(names)})", param_hint="--consumer")
    wanted = [n for n in names if not chosen or n in chosen]
    build = {"zgw": _zgw, "factory": _factory}
    return [build[config.consumers[n].kind](app, n, config.consumers[n]) for n in wanted]


@outbox_app.command("run")
def outbox_run(
    config: Annotated[Path, typer.Option("--config", help="The consumers (YAML, docs/zgw.md)")],
    consumer: Annotated[list[str] | None, typer.Option(
        "--consumer", help="Run only this consumer (repeatable; default: all configured)")
    ] = None,
    interval: Annotated[float, typer.Option(
        "--interval", min=0.1, help="Seconds to wait after an idle round (default 5)")] = 5.0,
    once: Annotated[bool, typer.Option(
        "--once", help="Deliver until nothing is due, then exit (1 if dead letters)")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=10_000, help="Events and attempts per consumer and round")] = 100,
    db: DbOption = None, as_json: JsonOption = False, log_level: LogLevelOption = "INFO",
) -> None:
    """Deliver the outbox until SIGTERM/SIGINT (or, with --once, until nothing is due)."""
    from hgkm_workflow.integration.outbox import Outbox, RunResult
    from hgkm_workflow.service.loops import StopOnSignal, run_outbox

    configure_logging(log_level)
    settings = OutboxConfig.load(config)
    application = open_application(db)
    totals = RunResult()
    try:
        consumers = build_consumers(application, settings, consumer)
        names = [c.name for c in consumers]
        with StopOnSignal().installed() as stop:
            if not as_json:
                say(f"outbox delivering to {', '.join(names)} from "
                    f"{hide_password(application.config.url)}"
                    + ("; until nothing is due" if once
                       else f", idle wait {interval:g} s; stop with SIGTERM or Ctrl-C"))
            rounds = run_outbox(application, consumers, stop, interval=interval,
                                limit=limit, once=once, totals=totals)
        box = Outbox(application.engine)
        counts = {name: box.counts(name) for name in names}
    finally:
        application.close()
    dead = sum(c["dead_letters"] for c in counts.values())
    if as_json:
        echo_json({"rounds": rounds, "staged": totals.staged, "delivered": totals.delivered,
                   "failed": totals.failed, "dead_lettered": totals.dead,
                   "consumers": counts})
    else:
        pending = sum(c["pending"] for c in counts.values())
        say(f"outbox stopped after {rounds} round(s): {totals.delivered} delivered, "
            f"{totals.failed} failed attempt(s); {pending} pending, {dead} dead letter(s)")
    if once and dead:
        raise typer.Exit(ExitCode.REFUSED)
