"""eventsourcing's PostgreSQL factory, with the store URL's libpq parameters kept.

eventsourcing builds its connection pool from host, port, database, user and password only,
so ``?sslmode=require`` in a store URL would be lost and the event store would connect in
plain text. :class:`HgkmPostgresFactory` adds the URL's parameters (carried as JSON in the
``HGKM_POSTGRES_PARAMS`` setting by :func:`~hgkm_workflow.adapters.store.parse_store_url`)
to the pool's connection arguments before the pool is opened.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from hgkm_workflow.errors import StoreConfigurationError

PARAMS_SETTING = "HGKM_POSTGRES_PARAMS"


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
