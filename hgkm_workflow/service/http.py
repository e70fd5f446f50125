"""An HTTP status for every refusal code of the package, and the body to send with it.

:func:`http_status` looks the error's stable ``code`` up in :data:`STATUS_BY_CODE`; a code
that only a ``RuleViolation`` (or another subclass) raises with ``code=…`` falls back to the
status of the nearest class in the error's MRO whose class code is in the table, so every
error maps to a status. The body (:func:`error_body`) is the error's ``as_dict()``: code, rule
and message, never personal data.

The choices: a bad command is 422 (the client must change it); a refusal because of the
case's state is 409 (the same command may succeed later, or after another command); a
domain predicate (``RULE_VIOLATION`` and its codes) is 422; a read the access policy or the
authority policy refuses is 403; missing things are 404; an erased person is 410; a store or
key the server cannot use is 503 (``STORE_CONFIGURATION``, ``MIGRATION_REQUIRED``: 500/503,
the operator must act); a bad server-side policy or setting is 500.
"""

from __future__ import annotations

from typing import Any

from hgkm_workflow.errors import HgkmError

__all__ = ["STATUS_BY_CODE", "error_body", "http_status"]

STATUS_BY_CODE: dict[str, int] = {
    # The client's input.
    "HGKM_ERROR": 500,
    "INVALID_COMMAND": 422,
    "PERSONAL_DATA_SUSPECTED": 422,
    "INVALID_CODE": 422,
    "INVALID_PERIOD": 422,
    "INVALID_EXPORT": 422,
    "INVALID_SCENARIO": 422,
    "INVALID_WHATIF_INPUT": 422,
    "UNKNOWN_REGION": 422,
    "FUTURE_TICK": 422,
    "RULE_VIOLATION": 422,
    "OCCURRED_IN_FUTURE": 422,
    "OCCURRED_BEFORE_CASE": 422,
    "INVALID_QUERY": 422,
    "INVALID_ROUNDING": 422,
    # The state of the case or the store.
    "TRANSITION_NOT_ALLOWED": 409,
    "CASE_ALREADY_EXISTS": 409,
    "CONCURRENT_MODIFICATION": 409,
    "ERASURE_REFUSED": 409,
    "PERSON_ALREADY_ERASED": 409,
    "STORE_NOT_EMPTY": 409,
    "SEED_ALREADY_RUN": 409,
    "STATUTORY_TASK_OVERRIDE": 409,
    "MELDING_ID_IN_USE": 409,
    "HUISVERBOD_ID_IN_USE": 409,
    # Who asks.
    "ACCESS_DENIED": 403,
    "NOT_AUTHORISED": 403,
    # What is missing or gone.
    "CASE_NOT_FOUND": 404,
    "ADVIES_NOT_FOUND": 404,
    "PERSON_NOT_FOUND": 404,
    "MELDING_NOT_FOUND": 404,
    "EVENT_NOT_FOUND": 404,
    "UNKNOWN_PROJECTION": 404,
    "PERSON_ERASED": 410,
    # The server's configuration: the operator must act.
    "STORE_CONFIGURATION": 503,
    "STORE_UNREACHABLE": 503,
    "STORE_UNUSABLE": 503,
    "NO_STORE": 503,
    "REGISTER_KEY_UNAVAILABLE": 503,
    "ACCESS_LOG_UNAVAILABLE": 503,
    "MIGRATION_REQUIRED": 503,
    "PROJECTION_VERSION_MISMATCH": 503,
    "PROJECTION_NOT_SET_UP": 503,
    "PROJECTION_ERROR": 500,
    "PROJECTION_DEFINITION": 500,
    "INVALID_SETTING": 500,
    "INVALID_ACCESS_POLICY": 500,
    "INVALID_AUTHORITY_POLICY": 500,
    "ZGW_MAPPING_INVALID": 500,
}


def http_status(error: HgkmError) -> int:
    """The HTTP status to answer ``error`` with (see the module text for the choices)."""
    status = STATUS_BY_CODE.get(error.code)
    if status is not None:
        return status
    for cls in type(error).__mro__:
        code = cls.__dict__.get("code")
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 500  # pragma: no cover - HgkmError itself is in the table


def error_body(error: HgkmError) -> dict[str, Any]:
    """The response body: ``{"code", "rule", "message"}`` plus the fields of a bad command."""
    body: dict[str, Any] = dict(error.as_dict())
    fields = getattr(error, "fields", None)
    if fields:
        body["fields"] = list(fields)
    return body
