"""Seeded sampling helpers: every random choice of a simulation goes through one ``Random``.

Determinism rules: one ``random.Random`` per stream, seeded from the simulation seed; ids are
drawn from their own stream (``uuid.UUID(int=rng.getrandbits(128), version=4)``); nothing
iterates over a ``set`` (string hashing differs between processes). The same seed therefore
gives the same commands in the same order, and so the same event store.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K")


class Streams:
    """The random streams of one simulation run, all derived from its seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.ids = random.Random(f"hgkm-simulation:{seed}:ids")
        self.plan = random.Random(f"hgkm-simulation:{seed}:plan")
        self.life = random.Random(f"hgkm-simulation:{seed}:life")

    def new_id(self) -> uuid.UUID:
        """A random-looking (version 4) UUID from the seeded id stream."""
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)


def weighted(rng: random.Random, weights: Mapping[K, float]) -> K:
    """One key of ``weights``, drawn with probability proportional to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys], k=1)[0]


def quota(rng: random.Random, shares: Mapping[K, float], n: int) -> list[K]:
    """``n`` keys in random order whose counts match ``shares`` as closely as integers allow.

    Largest-remainder rounding, then a shuffle: a calibrated figure then depends on the
    simulated process, not on sampling noise.
    """
    keys = list(shares)
    total = sum(float(shares[k]) for k in keys)
    exact = [float(shares[k]) / total * n for k in keys]
    counts = [int(x) for x in exact]
    order = sorted(range(len(keys)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    out: list[K] = [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def flags(rng: random.Random, n: int, count: int) -> list[bool]:
    """``n`` booleans of which exactly ``count`` (clamped to 0..n) are true, in random order."""
    count = max(0, min(n, count))
    out = [True] * count + [False] * (n - count)
    rng.shuffle(out)
    return out


def pick(rng: random.Random, items: Sequence[Any]) -> Any:
    """One element of a non-empty sequence."""
    return items[rng.randrange(len(items))]
