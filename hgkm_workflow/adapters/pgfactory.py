"""eventsourcing's PostgreSQL factory, with the store URL's libpq parameters kept.

eventsourcing builds its connection pool from host, port, database, user and password only,
so ``?sslmode=require`` in a store URL would be lost and the event store would connect in
plain text. :class:`HgkmPostgresFactory` adds the URL's parameters (carried as JSON in the
``HGKM_POSTGRES_PARAMS`` setting by :func:`~hgkm_workflow.adapters.store.parse_store_url`)
to the pool's connection arguments before the pool is opened.

It also serialises schema creation. eventsourcing runs ``CREATE TABLE IF NOT EXISTS`` (and
its indexes and functions) every time a recorder is constructed; two processes starting at
the same moment race on PostgreSQL's catalog and one fails with "tuple concurrently updated"
even when the tables already exist. Each recorder is therefore built while holding
:func:`~hgkm_workflow.adapters.schema_lock.psycopg_schema_lock`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.persistence import AggregateRecorder, ApplicationRecorder, ProcessRecorder
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from hgkm_workflow.adapters.schema_lock import psycopg_schema_lock
from hgkm_workflow.errors import StoreConfigurationError

PARAMS_SETTING = "HGKM_POSTGRES_PARAMS"

_R = TypeVar("_R")


class HgkmPostgresFactory(PostgresFactory):
    """A :class:`~eventsourcing.postgres.PostgresFactory` that passes libpq parameters on."""

    def __init__(self, env: Environment) -> None:
        """Build the datastore as eventsourcing does, then add the URL's parameters.

        Raises:
            StoreConfigurationError: If the parameters setting is not a JSON object of
                strings.
        """
        super().__init__(env)
        self.connection_parameters = parse_params(env.get(PARAMS_SETTING) or "{}")
        pool_kwargs: Any = self.datastore.pool.kwargs
        if not isinstance(pool_kwargs, dict):  # pragma: no cover - eventsourcing passes a dict
            raise StoreConfigurationError("unexpected connection pool arguments",
                                          rule="store URL")
        pool_kwargs.update(self.connection_parameters)
        self._connect_kwargs: dict[str, Any] = {
            k: v for k, v in pool_kwargs.items() if k != "row_factory"}

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        """eventsourcing's aggregate recorder, its tables created under the schema lock."""
        return self._serialised(lambda: super(HgkmPostgresFactory, self)
                                .aggregate_recorder(purpose))

    def application_recorder(self) -> ApplicationRecorder:
        """eventsourcing's application recorder, its tables created under the schema lock."""
        return self._serialised(super().application_recorder)

    def process_recorder(self) -> ProcessRecorder:
        """eventsourcing's process recorder, its tables created under the schema lock."""
        return self._serialised(super().process_recorder)

    def _serialised(self, build: Callable[[], _R]) -> _R:
        if not self.env_create_table():
            return build()
        kwargs = dict(self._connect_kwargs)
        get_password = self.datastore.pool.get_password_func
        if get_password is not None:
            kwargs["password"] = get_password()
        with psycopg_schema_lock(kwargs):
            return build()


def parse_params(text: str) -> dict[str, str]:
    """The parameters from their JSON form (``{"sslmode": "require", ...}``)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise StoreConfigurationError(f"{PARAMS_SETTING} must be a JSON object of strings",
                                      rule="store URL")
    return dict(value)
