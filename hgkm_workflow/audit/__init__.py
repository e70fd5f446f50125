"""Audit and replay: a case's history, its state as of an instant, one decision explained,
and a verification that replays every case and rebuilds every read model.

Everything here reads the event store (never a read model alone), so it shows what was
recorded. Two clocks matter (docs/architecture.md, "Time"):

* **business time** — when something happened in the case (the ``at`` of a decision, the
  opening of the case, the start of a deadline, the due instant of a breach);
* **recording time** — when the system learnt of it (the event's ``timestamp``, taken from the
  application's injected clock).

They differ for a late-registered fact (a command with ``occurred_at`` in the past), for a
huisverbod that ran out before the scheduler recorded it, and for a breach recorded by a later
tick. :func:`state_as_of` replays either the facts that were *true* at an instant (business
basis) or those the system *knew* at that instant (recorded basis); :func:`compare_as_of` gives
both and what differs.

Every read needs an access request (who reads and why): the public functions here take the
application (anything with its checked queries: :class:`Timelines`, :class:`AsOfReads`,
:class:`Explanations`) and ``access=``, so every read is decided by the access policy and
written to the access log. The ``*_of``/``*_events`` functions work on a case's events the
caller has already been given, and take only the parts they need (the event store, the rules).

The package: :mod:`~hgkm_workflow.audit.business_time`, :mod:`~hgkm_workflow.audit.entries`,
:mod:`~hgkm_workflow.audit.timeline`, :mod:`~hgkm_workflow.audit.as_of`,
:mod:`~hgkm_workflow.audit.explain`, :mod:`~hgkm_workflow.audit.verification` and
:mod:`~hgkm_workflow.audit.exchange`; this module re-exports their public names.
"""

from __future__ import annotations

from hgkm_workflow.audit.as_of import (
    AsOfComparison,
    AsOfReads,
    AsOfState,
    compare_as_of,
    compare_events,
    state_as_of,
    state_of_events,
)
from hgkm_workflow.audit.business_time import Basis, BusinessClock, business_times
from hgkm_workflow.audit.explain import (
    EventExplanation,
    EventNotFound,
    Explanations,
    explain_event,
    explain_events,
)
from hgkm_workflow.audit.json_form import jsonable
from hgkm_workflow.audit.timeline import Timelines, mark_erased, timeline, timeline_of
from hgkm_workflow.audit.verification import Difference, VerifyProgress, VerifyReport, verify

__all__ = [
    "AsOfComparison",
    "AsOfReads",
    "AsOfState",
    "Basis",
    "BusinessClock",
    "Difference",
    "EventExplanation",
    "EventNotFound",
    "Explanations",
    "Timelines",
    "VerifyProgress",
    "VerifyReport",
    "business_times",
    "compare_as_of",
    "compare_events",
    "explain_event",
    "explain_events",
    "jsonable",
    "mark_erased",
    "state_as_of",
    "state_of_events",
    "timeline",
    "timeline_of",
    "verify",
]
