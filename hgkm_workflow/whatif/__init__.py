"""What if: replay recorded cases under other rules, another calendar or other settings.

``app.what_if(...)`` (and ``hgkm whatif``) reads the recorded facts of a selection of cases
from the live store (read only; the read is decided by the access policy and logged), replays
them twice in memory — under the store's own rule book, calendar and classification settings,
and under the alternative — into two scratch SQLite stores with the default read models, and
reports what differs (docs/what-if.md):

* :mod:`~hgkm_workflow.whatif.inputs`: rules and calendar files, classification settings;
* :mod:`~hgkm_workflow.whatif.replay`: one case's facts replayed, deadlines recomputed;
* :mod:`~hgkm_workflow.whatif.source`: the live notification log and the scratch stores;
* :mod:`~hgkm_workflow.whatif.run`: both sides, the monitor per period, the diff;
* :mod:`~hgkm_workflow.whatif.report`: the report (per case and in aggregate);
* :mod:`~hgkm_workflow.whatif.html`: the report as a self-contained HTML page.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.whatif.inputs import (
    InvalidWhatIfInput,
    WhatIfInputs,
    load_calendar,
    load_rules,
    with_settings,
)
from hgkm_workflow.whatif.report import WhatIfReport
from hgkm_workflow.whatif.run import Progress, Selection, run_what_if

__all__ = ["InvalidWhatIfInput", "Selection", "WhatIfInputs", "WhatIfReport", "live_settings",
           "load_calendar", "load_rules", "what_if", "with_settings"]


def live_settings(live: Any) -> ClassificationSettings:
    """The classification settings the live store's person index runs with."""
    for projection in live.projections.projections:
        settings = getattr(projection, "settings", None)
        if isinstance(settings, ClassificationSettings):
            return settings
    return ClassificationSettings.from_environment()


def what_if(live: Any, *, access: Any, inputs: WhatIfInputs | None = None,
            region: str | None = None, gemeente: str | None = None,
            start: datetime | None = None, until: datetime | None = None,
            case_ids: Collection[UUID] | None = None,
            progress: Progress | None = None,
            case_lists: bool | None = None) -> WhatIfReport:
    """The what-if report of a selection of the live store (see the module docstring).

    ``case_lists``: see :func:`~hgkm_workflow.whatif.run.run_what_if` (by default the
    per-case lists go only to a reader who sees exact cells).

    Raises:
        AccessDenied: The access policy refuses the listing (logged).
    """
    return run_what_if(live, access, inputs or WhatIfInputs(),
                       Selection(region, gemeente, start, until, case_ids),
                       classification=live_settings(live), now=live.work.now(),
                       progress=progress, case_lists=case_lists)
