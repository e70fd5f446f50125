"""The service kit: what a web service that embeds the library needs besides the application.

* :mod:`~hgkm_workflow.service.http`: an HTTP status per error code;
* :mod:`~hgkm_workflow.service.models`: pydantic response models for the views, with
  ``from_view`` converters;
* :mod:`~hgkm_workflow.service.loops`: the scheduler and projection loops as interruptible,
  error-tolerant background loops with SIGTERM/SIGINT handling.

The kit needs no web framework; the reference service (``examples/service/``) shows FastAPI.
Thread and process safety: docs/embedding.md.
"""

from __future__ import annotations

from hgkm_workflow.service.http import error_body, http_status

__all__ = ["error_body", "http_status"]
