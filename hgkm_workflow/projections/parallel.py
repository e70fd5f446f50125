"""The parallel rebuild's plumbing: groups of read models, spawn workers, their readers.

:meth:`~hgkm_workflow.projections.runner.ProjectionRunner.rebuild` with ``workers=N`` resets
the projections in one transaction (as the serial rebuild does), splits them into at most
``N`` groups of about equal cost (:func:`plan_groups`, by :attr:`Projection.rebuild_weight
<hgkm_workflow.projections.base.Projection.rebuild_weight>`) and rebuilds the first group in
its own process and each other one in a process of its own (``spawn``; :func:`run_workers`).
A worker opens its own reader of the event log (:func:`open_reader`: the application's
recorder and mapper made afresh from its class and environment) and its own engine on the
read models' database, and catches its group up to the notification id the coordinator read
at the start, batch by batch: each batch's view rows and tracking positions are committed
together, exactly as in a serial rebuild. So a worker that fails (or is killed) leaves its
projections at the position of their last committed batch, consistent and marked by their
lag (``hgkm projections status``), and the other groups complete; the coordinator then
raises :class:`ParallelRebuildError` naming the projections that did not finish. A later
catch-up or rebuild continues them.

Projections write disjoint tables, so the groups never write the same rows. On SQLite the
workers' write transactions take turns (one writer); they still read and decode in parallel
(the runner decodes a batch before it takes the write lock).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment, get_topic, resolve_topic

from hgkm_workflow.adapters.store import StoreConfig
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.errors import ProjectionError

__all__ = ["ParallelRebuildError", "Reader", "WorkerSpec", "can_ship", "open_reader",
           "plan_groups",
           "rebuild_in_workers", "run_workers", "worker_spec"]

T = TypeVar("T")


class ParallelRebuildError(ProjectionError):
    """A worker of a parallel rebuild failed; its projections stopped at their last batch.

    The message names the projections and the error class (never event contents).
    """

    default_rule = "parallel-rebuild"


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs to rebuild one group (picklable).

    Attributes:
        app_topic: The application class (its mapper and recorder are made from it).
        env_name: The application's environment name.
        env: The application's environment (persistence module, database, cipher …).
        config: The read models' store, as the engine was made from it.
        projections: The group's projections (instances, with their settings).
        until: The last notification id to apply.
        batch_size: Notifications per batch and transaction.
    """

    app_topic: str
    env_name: str
    env: dict[str, str]
    config: StoreConfig
    projections: list[Projection] = field(default_factory=list)
    until: int = 0
    batch_size: int = 5000


class Reader:
    """The part of an application a runner reads through: ``recorder`` and ``mapper``.

    Made in a worker from the application's class and environment, without running the
    application's constructor (which would set up read models and locks).
    """

    def __init__(self, app_topic: str, env_name: str, env: dict[str, str]) -> None:
        cls: Any = resolve_topic(app_topic)
        shell = object.__new__(cls)
        self.factory = shell.factory = InfrastructureFactory.construct(Environment(env_name, env))
        self.mapper = cls.construct_mapper(shell)
        self.recorder = cls.construct_recorder(shell)

    def close(self) -> None:
        """Close the reader's connections."""
        self.factory.close()


def worker_spec(app: Application[Any], config: StoreConfig) -> WorkerSpec | None:
    """The spec template (no projections yet) for workers reading ``app``'s log.

    Returns ``None`` when ``app`` cannot be made again in another process (no
    infrastructure factory or environment): then the rebuild runs serially.
    """
    factory = getattr(app, "factory", None)
    env = getattr(factory, "env", None)
    if not isinstance(env, Environment):
        return None
    return WorkerSpec(get_topic(type(app)), env.name, dict(env), config)


def can_ship(groups: Sequence[Sequence[Projection]]) -> bool:
    """Whether the projections of every group but the first pickle (for spawn workers);
    one that holds a lock, a connection or a closure cannot be sent to another process."""
    try:
        pickle.dumps([list(g) for g in groups[1:]])
    except Exception:  # any pickling error: rebuild serially instead
        return False
    return True


def open_reader(spec: WorkerSpec) -> Reader:
    """A reader of the event log for a worker (close it when done)."""
    return Reader(spec.app_topic, spec.env_name, spec.env)


def plan_groups(projections: Sequence[Projection], workers: int) -> list[list[Projection]]:
    """Split projections into at most ``workers`` groups of about equal rebuild cost.

    Largest first, each to the group with the least weight so far (ties: the first group);
    each group keeps the runner's order. Deterministic for the same input.
    """
    count = max(1, min(workers, len(projections)))
    order = {p.name: i for i, p in enumerate(projections)}
    groups: list[list[Projection]] = [[] for _ in range(count)]
    weights = [0.0] * count
    for projection in sorted(projections, key=lambda p: (-p.rebuild_weight, order[p.name])):
        lightest = min(range(count), key=lambda i: (weights[i], i))
        groups[lightest].append(projection)
        weights[lightest] += projection.rebuild_weight
    for group in groups:
        group.sort(key=lambda p: order[p.name])
    return [g for g in groups if g]


def run_workers(
    work: Callable[[WorkerSpec], T], specs: Sequence[WorkerSpec]
) -> list[tuple[WorkerSpec, T | BaseException]]:
    """Run ``work(spec)`` for every spec: the first in this process, each other one in a
    spawn process of its own (started first, so they run while this process works).

    Waits for all of them. Returns each spec with its result, or with the exception its
    worker raised (a worker that died shows as the pool's ``BrokenProcessPool``).
    """
    if not specs:
        return []
    context = multiprocessing.get_context("spawn")
    outcome: list[tuple[WorkerSpec, T | BaseException]] = []
    with ProcessPoolExecutor(max_workers=max(1, len(specs) - 1), mp_context=context) as pool:
        futures: list[Future[T]] = [pool.submit(work, spec) for spec in specs[1:]]
        try:
            outcome.append((specs[0], work(specs[0])))
        except Exception as failure:  # the others go on; the caller reports it
            outcome.append((specs[0], failure))
        for spec, future in zip(specs[1:], futures, strict=True):
            error = future.exception()
            outcome.append((spec, error if error is not None else future.result()))
    return outcome


def rebuild_in_workers(
    work: Callable[[WorkerSpec], int],
    template: WorkerSpec,
    groups: list[list[Projection]],
    until: int,
    batch_size: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Rebuild each group up to ``until`` with ``work`` in a spawn process of its own.

    The groups' tables and tracking rows must be reset already.

    Raises:
        ParallelRebuildError: If a worker failed (after all workers ended).
    """
    if progress is not None:
        progress(0, until)
    specs = [dataclasses.replace(template, projections=g, until=until, batch_size=batch_size)
             for g in groups]
    failed = [(spec, error) for spec, error in run_workers(work, specs)
              if isinstance(error, BaseException)]
    if failed:
        names = ", ".join(p.name for spec, _ in failed for p in spec.projections)
        kinds = ", ".join(sorted({type(e).__name__ for _, e in failed}))
        raise ParallelRebuildError(
            f"the rebuild of {names} did not finish ({kinds}); they stay at the position of "
            "their last committed batch: catch up or rebuild them again")
    if progress is not None:
        progress(until, until)
