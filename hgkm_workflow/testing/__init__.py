"""Testing a service that embeds the library: the pytest plugin and what its fixtures give.

Installed with the package as the ``pytest11`` entry point ``hgkm``
(:mod:`hgkm_workflow.testing.plugin`), so a host's tests get ``hgkm_clock``, ``hgkm_app``,
``hgkm_actors`` and ``run_hgkm_scenario`` without a conftest. Everything is prefixed ``hgkm_``
so it never clashes with a host's own fixtures.
"""

from __future__ import annotations

from hgkm_workflow.testing.actors import Actors, default_actors

__all__ = ["Actors", "default_actors"]
