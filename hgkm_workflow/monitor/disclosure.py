"""Safe by default: who sees exact monitor cells, and rounding of published counts.

``app.monitor(access=...)`` suppresses small cells (primary and secondary suppression,
:func:`~hgkm_workflow.monitor.figures.suppress_small_cells` and
:func:`~hgkm_workflow.monitor.figures.suppress_complements`) unless the caller's role may see
exact figures: the roles under ``exact_cells`` in the access policy data
(``hgkm_workflow/data/access/policy.yaml``, :attr:`AccessPolicy.exact_cell_roles
<hgkm_workflow.access.policy.AccessPolicy.exact_cell_roles>`; shipped: ``auditor``). On top of
suppression, published counts can be
rounded (:func:`round_figure`, e.g. to 5 as CBS does): a count's value, and a share's
numerator and denominator, to the nearest multiple; the share is then computed from the
rounded numbers. Means in days are not rounded (their denominator, the number of stays, is
already suppressed when small).
"""

from __future__ import annotations

from dataclasses import replace

from hgkm_workflow.access.policy import AccessPolicy, default_policy
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.monitor.figures import Figure


class InvalidRounding(HgkmError):
    """A rounding base must be a whole number of at least 1."""

    code = "INVALID_ROUNDING"
    default_rule = "monitor: published counts rounded to a whole base"


def may_see_exact(role: str, policy: AccessPolicy | None = None) -> bool:
    """Whether an actor with this role may see exact small cells under ``policy``.

    ``policy`` defaults to the shipped access policy; the roles are its ``exact_cells``.
    """
    return (policy or default_policy()).may_see_exact_cells(role)


def exact_cell_rule(policy: AccessPolicy | None, floor: int) -> str:
    """The rule text logged with a monitor read: who sees exact cells, the others' floor."""
    pol = policy or default_policy()
    roles = ",".join(sorted(pol.exact_cell_roles)) or "none"
    return (f"policy v{pol.version}: monitor aggregates: exact cells for roles {roles}; "
            f"others see cells of at least {floor}")


def rounded(value: float, base: int) -> float:
    """``value`` to the nearest multiple of ``base`` (halves up: 2.5 × 5 → 15 from 12.5)."""
    return float(int(value / base + 0.5) * base)


def round_figure(figure: Figure, base: int) -> Figure:
    """The figure with its counts rounded to ``base`` (1: unchanged).

    Raises:
        InvalidRounding: If ``base`` is below 1.
    """
    if not isinstance(base, int) or base < 1:
        raise InvalidRounding("round_to must be a whole number of at least 1")
    if base == 1 or figure.suppressed or figure.unit == "days":
        return figure
    den = None if figure.denominator is None else rounded(figure.denominator, base)
    return replace(figure, numerator=rounded(figure.numerator, base), denominator=den)
