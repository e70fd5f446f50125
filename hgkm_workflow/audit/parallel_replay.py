"""The replay half of ``audit verify`` in worker processes (the pool is
:mod:`hgkm_workflow.audit.parallel_verify`'s).

The replay is independent per aggregate and CPU-bound (decoding, projecting), so the ranges of
aggregate ids of :mod:`hgkm_workflow.audit.stream_replay` go to worker processes; each worker
reads its range in one ordered pass. Each worker opens the same event store read-only: a
bare eventsourcing
application with the live application's settings (store, cipher, snapshotting) and its
transcoder, without creating tables and without the host application's setup. Workers send
back counts and differences only (pseudonymous ids and codes, as the serial path reports).

Workers are started with ``spawn``: a script calling this must do so under
``if __name__ == "__main__":`` (as for any :class:`~concurrent.futures.ProcessPoolExecutor`).
An in-memory SQLite store cannot be opened by another process; :func:`can_replay_in_workers`
says so and the caller replays serially.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Transcoder

from hgkm_workflow.audit.stream_replay import Bound, RangeResult, replay_range

__all__ = ["ReplayStoreSpec", "can_replay_in_workers"]


@dataclass(frozen=True)
class ReplayStoreSpec:
    """How a worker opens the live store: its eventsourcing settings and transcoder factory.

    Attributes:
        name: The live application's name (eventsourcing derives table names from it).
        env: The live application's eventsourcing environment (held in memory only; it may
            carry the cipher key, and reaches the workers through a pipe, never a file).
        transcoder: ``construct_transcoder`` of the live application's class (a function
            taking the application), so workers decode exactly as the live store does.
    """

    name: str
    env: dict[str, str]
    transcoder: Callable[[Any], Transcoder]

    @classmethod
    def of(cls, store: Application[UUID]) -> ReplayStoreSpec:
        """The spec of a live application."""
        return cls(name=store.name, env=dict(store.env),
                   transcoder=type(store).construct_transcoder)


def can_replay_in_workers(store: Application[UUID]) -> bool:
    """Whether other processes can open this store (not an in-memory SQLite database)."""
    name = str(store.env.get("SQLITE_DBNAME", ""))
    return not (name == ":memory:" or "mode=memory" in name)


# ---------------------------------------------------------------------- in the workers

_worker: dict[str, Application[UUID]] = {}  # this worker process's store, opened once


def _open_worker_store(spec: ReplayStoreSpec) -> None:
    factory = spec.transcoder

    class _ReplayStore(Application[UUID]):
        name = spec.name

        def construct_transcoder(self) -> Transcoder:
            return factory(self)

    _worker["store"] = _ReplayStore(env={**spec.env, "CREATE_TABLE": "n"})


def _replay_range(bound: Bound) -> RangeResult:
    store = _worker.get("store")
    if store is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("the replay worker has no store")
    return replay_range(store, bound)
