"""Need-to-know access: the policy, the access request every read carries, the access log."""

from hgkm_workflow.access.guard import AccessGuard, case_facts
from hgkm_workflow.access.log import AccessLog, AccessLogEntry, VerifyResult
from hgkm_workflow.access.models import (
    Access,
    AccessDecision,
    Purpose,
    Resource,
    Verdict,
    system_access,
)
from hgkm_workflow.access.policy import AccessPolicy, CaseFacts, decide, default_policy

__all__ = [
    "Access",
    "AccessDecision",
    "AccessGuard",
    "AccessLog",
    "AccessLogEntry",
    "AccessPolicy",
    "CaseFacts",
    "Purpose",
    "Resource",
    "Verdict",
    "VerifyResult",
    "case_facts",
    "decide",
    "default_policy",
    "system_access",
]
