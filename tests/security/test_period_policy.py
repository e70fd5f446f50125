"""The access policy on an ended period (issue 14, part A): pure decisions, no database.

The casusregisseur of period N is granted, for the casusregie purposes only, what was
recorded up to period N's last version; another resource or a later version is refused.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.access.guard import PERIOD_RESOURCES, bound_to_period
from hgkm_workflow.access.models import Access, Resource, Verdict
from hgkm_workflow.access.policy import CaseFacts, PastRegie, decide

OLD = {"actor_id": "lt-003", "organisation": "wijkteam-noord", "role": "lokaal_team"}


def access(purpose: str, actor: dict[str, str] = OLD) -> Access:
    return Access.model_validate({"actor": actor, "purpose": purpose})


def facts(*past: PastRegie, regie: str | None = "wijkteam-zuid") -> CaseFacts:
    return CaseFacts(region="rotterdam-rijnmond", regie_organisation=regie, past_regie=past)


def test_the_latest_period_the_organisation_ended_bounds_the_grant() -> None:
    d = decide(access("case_work"), facts(PastRegie("wijkteam-noord", 1, 12),
                                          PastRegie("wijkteam-west", 2, 30),
                                          PastRegie("wijkteam-noord", 3, 51)))
    assert d.verdict is Verdict.GRANTED and d.until_version == 51
    assert "period 3" in d.rule and "version 51" in d.rule


def test_purposes_outside_casusregie_are_refused() -> None:
    for purpose in ("triage", "mda_consultation", "huisverbod", "export"):
        d = decide(access(purpose), facts(PastRegie("wijkteam-noord", 1, 12)))
        assert d.verdict is Verdict.REFUSED and d.until_version is None, purpose


def test_the_current_regisseur_is_not_bounded() -> None:
    d = decide(access("case_work"), facts(PastRegie("wijkteam-noord", 1, 12),
                                          regie="wijkteam-noord"))
    assert d.verdict is Verdict.GRANTED and d.until_version is None


def test_no_past_involvement_is_no_grant() -> None:
    d = decide(access("case_work"), facts(PastRegie("wijkteam-west", 1, 12)))
    assert d.verdict is Verdict.REFUSED


@given(last=st.integers(min_value=1, max_value=500),
       asked=st.one_of(st.none(), st.integers(min_value=1, max_value=600)),
       resource=st.sampled_from(list(Resource)))
def test_a_bounded_grant_covers_the_period_and_nothing_after_it(
    last: int, asked: int | None, resource: Resource,
) -> None:
    granted = decide(access("casusregie"), facts(PastRegie("wijkteam-noord", 1, last)))
    bounded = bound_to_period(granted, resource, asked)
    within = resource in PERIOD_RESOURCES and (asked is None or asked <= last)
    assert bounded.allowed is within
    if within:
        assert bounded == granted
    # an unbounded decision passes untouched, whatever is read
    full = decide(access("casusregie"), facts(regie="wijkteam-noord"))
    assert bound_to_period(full, resource, asked) == full
