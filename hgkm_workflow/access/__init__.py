"""Need-to-know access: the policy, the access request every read carries, the access log."""

from hgkm_workflow.access.log import AccessLog, AccessLogEntry, VerifyResult
from hgkm_workflow.access.models import Access, AccessDecision, Purpose, Resource, Verdict
from hgkm_workflow.access.policy import AccessPolicy, CaseFacts, decide, default_policy

__all__ = [
    "Access",
    "AccessDecision",
    "AccessLog",
    "AccessLogEntry",
    "AccessPolicy",
    "CaseFacts",
    "Purpose",
    "Resource",
    "Verdict",
    "VerifyResult",
    "decide",
    "default_policy",
]
