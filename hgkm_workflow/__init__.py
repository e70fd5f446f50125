"""hgkm_workflow: an event-sourced workflow engine for 'gefaseerd samenwerken aan veiligheid'.

The public API is the application object, the commands, the access request every query
carries, the clocks and the errors::

    from hgkm_workflow import HgkmApplication, SettableClock
    app = HgkmApplication("sqlite:///hgkm.db", clock=SettableClock(start))
    app.receive_melding({...})
    app.get_case(case_id, access={"actor": {...}, "purpose": "triage"})
"""

from importlib.metadata import PackageNotFoundError, version

from hgkm_workflow import commands
from hgkm_workflow.access.models import Access
from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails
from hgkm_workflow.application import (
    CaseSummary,
    CommandResult,
    HgkmApplication,
    OpenDeadline,
    TickRecord,
)
from hgkm_workflow.clock import Clock, SettableClock, SystemClock
from hgkm_workflow.errors import (
    AccessDenied,
    CaseNotFound,
    ConcurrentModification,
    ErasureRefused,
    HgkmError,
    InvalidCommand,
    PersonalDataSuspected,
    RuleViolation,
    TransitionNotAllowed,
)
from hgkm_workflow.views import CaseView

try:
    __version__: str = version("hgkm_workflow")
    """The installed version (from the package metadata)."""
except PackageNotFoundError:  # pragma: no cover - a bare checkout on sys.path
    __version__ = "0.0.0+unknown"

__all__ = [
    "Access",
    "AccessDenied",
    "CaseNotFound",
    "CaseSummary",
    "CaseView",
    "Clock",
    "CommandResult",
    "ConcurrentModification",
    "ErasedPerson",
    "ErasureRefused",
    "HgkmApplication",
    "HgkmError",
    "InvalidCommand",
    "OpenDeadline",
    "PersonDetails",
    "PersonalDataSuspected",
    "RuleViolation",
    "SettableClock",
    "SystemClock",
    "TickRecord",
    "TransitionNotAllowed",
    "commands",
]
