"""Errors raised by the projection machinery (all subclasses of :class:`HgkmError`)."""

from __future__ import annotations

from hgkm_workflow.errors import HgkmError


class ProjectionError(HgkmError):
    """Root of the projection errors."""

    code = "PROJECTION_ERROR"
    default_rule = "read-models"


class ProjectionDefinitionError(ProjectionError):
    """A projection class is ill-formed (name, version, tables)."""

    code = "PROJECTION_DEFINITION"
    default_rule = "projection-definition"


class UnknownProjectionError(ProjectionError):
    """No projection with the given name is known to the runner."""

    code = "UNKNOWN_PROJECTION"
    default_rule = "projection-registered"


class ProjectionNotSetUpError(ProjectionError):
    """The projection has no tracking row; call ``ProjectionRunner.setup()`` first."""

    code = "PROJECTION_NOT_SET_UP"
    default_rule = "projection-setup"


class ProjectionVersionMismatchError(ProjectionError):
    """The stored projection version differs from the code's; run ``setup()`` to rebuild."""

    code = "PROJECTION_VERSION_MISMATCH"
    default_rule = "projection-version"
