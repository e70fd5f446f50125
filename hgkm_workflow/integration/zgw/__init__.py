"""A municipal zaaksysteem follows the case through the ZGW APIs (issue 19).

:mod:`~hgkm_workflow.integration.zgw.mapping` (the mapping as data per region),
:mod:`~hgkm_workflow.integration.zgw.requests` (events → requests, ``preview``) and
:mod:`~hgkm_workflow.integration.zgw.delivery` (HTTP with the ZGW JWT, idempotent, through the
outbox). See ``docs/zgw.md``.
"""
