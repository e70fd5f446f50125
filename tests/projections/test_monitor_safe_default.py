"""Safe by default: app.monitor() needs access=, suppresses small cells unless the caller may
see exact figures, and can round published counts to 5."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import pytest
import yaml

from hgkm_workflow.access.policy import AccessPolicy, InvalidPolicy, default_policy
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor.disclosure import InvalidRounding, may_see_exact, round_figure, rounded
from hgkm_workflow.monitor.figures import Figure
from tests.support import READ, VT, Household

VT_READER = {"actor": VT, "purpose": "monitoring"}


def _three_meldingen(app: HgkmApplication, clock: SettableClock) -> None:
    for _ in range(3):
        Household(app, clock).melding()


def test_monitor_requires_access(app: HgkmApplication) -> None:
    with pytest.raises(TypeError):
        app.monitor()  # type: ignore[call-arg]


def test_small_cells_are_suppressed_unless_the_role_may_see_them(
    app: HgkmApplication, clock: SettableClock
) -> None:
    _three_meldingen(app, clock)
    exact = app.monitor(access=READ, period="2026-03")
    assert exact.figure("meldingen").numerator == 3 and exact.min_cell == 0
    safe = app.monitor(access=VT_READER, period="2026-03")
    assert safe.figure("meldingen").suppressed and safe.min_cell == 10
    assert safe.figure("meldingen").value is None
    # asking for less suppression than the floor does not help a non-auditor
    assert app.monitor(access=VT_READER, period="2026-03", min_cell=0).min_cell == 10
    # an auditor may ask for suppression
    assert app.monitor(access=READ, period="2026-03", min_cell=5).figure(
        "meldingen").suppressed
    log = app.access_log(access=READ)
    notes = [e for e in log if e.resource == "classification" and e.case_id is None]
    assert len(notes) >= 3


def test_counts_rounded_to_five_after_suppression(
    app: HgkmApplication, clock: SettableClock
) -> None:
    for _ in range(12):
        Household(app, clock).melding()
    report = app.monitor(access=READ, period="2026-03", min_cell=10, round_to=5)
    assert report.figure("meldingen").numerator == 10  # 12 -> 10
    assert report.rounded_to == 5 and report.as_dict()["rounded_to"] == 5
    nieuw = report.figure("classification.nieuw")
    assert (nieuw.numerator, nieuw.denominator) == (10, 10)


def test_round_figure_rules() -> None:
    assert rounded(12, 5) == 10 and rounded(12.5, 5) == 15 and rounded(13, 5) == 15
    share = Figure("x", 7, 23, "d")
    assert (round_figure(share, 5).numerator, round_figure(share, 5).denominator) == (5, 25)
    days = Figure("d", 17.3, 12, "d", unit="days")
    assert round_figure(days, 5) == days
    assert round_figure(share, 1) == share
    with pytest.raises(InvalidRounding):
        round_figure(share, 0)


def _policy_with_exact_cells(roles: list[str]) -> AccessPolicy:
    text = resources.files("hgkm_workflow").joinpath("data/access/policy.yaml").read_text()
    data = yaml.safe_load(text)
    data["exact_cells"] = {"roles": roles}
    return AccessPolicy.from_data(data)


def test_exact_cell_roles_are_policy_data() -> None:
    shipped = default_policy()
    assert shipped.exact_cell_roles == frozenset({"auditor"})
    assert may_see_exact("auditor") and not may_see_exact("vt_medewerker")
    none = _policy_with_exact_cells([])
    assert not may_see_exact("auditor", none)
    data = yaml.safe_load(resources.files("hgkm_workflow").joinpath(
        "data/access/policy.yaml").read_text())
    del data["exact_cells"]
    assert AccessPolicy.from_data(data).exact_cell_roles == frozenset()  # safe by default
    data["exact_cells"] = {"roles": "auditor"}
    with pytest.raises(InvalidPolicy):
        AccessPolicy.from_data(data)


def test_the_app_takes_exact_cell_roles_from_its_policy(
    make_app: Callable[..., HgkmApplication], store_url: str, clock: SettableClock
) -> None:
    app = make_app(store_url, policy=_policy_with_exact_cells(["vt_medewerker"]))
    _three_meldingen(app, clock)
    assert app.monitor(access=VT_READER, period="2026-03").figure("meldingen").numerator == 3
    auditor = app.monitor(access=READ, period="2026-03")
    assert auditor.figure("meldingen").suppressed and auditor.min_cell == 10
    rules = [e.rule for e in app.access_log(access=READ)
             if e.resource == "classification" and e.case_id is None]
    assert rules and "exact cells for roles vt_medewerker" in rules[-1]
