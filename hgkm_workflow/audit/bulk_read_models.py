"""The read models of a store an import has just filled: rebuilt where possible.

An import (:func:`hgkm_workflow.audit.exchange.import_jsonl`) writes every event into an empty
store, so bringing the read models up to date means applying all of them from zero. A
catch-up does that in the runner's catch-up batches (500 notifications, one commit each); a
rebuild applies exactly the same events in its larger rebuild batches (5,000) with the
collector paused — at 304k events on a durable PostgreSQL 61 s against 172 s
(docs/performance.md, "The national proxy").
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["build_read_models"]


class CatchesUp(Protocol):
    """A target whose read models can be caught up."""

    def catch_up(self) -> int:
        """Bring the read models up to date; return events applied."""


def build_read_models(app: CatchesUp) -> int:
    """Rebuild ``app.projections`` if the target has a runner; else ``app.catch_up()``.

    Returns:
        The notifications applied.
    """
    projections: Any = getattr(app, "projections", None)
    rebuild = getattr(projections, "rebuild", None)
    if callable(rebuild):
        return int(rebuild())
    return app.catch_up()
