"""Fatal or ordenend: every rule says which, and its explanation says so (issue 14, point 5).

A breach of an ordenende termijn (T1, T3 …) is recorded and Veilig Thuis keeps its authority
(Gerechtshof Amsterdam, ECLI:NL:GHAMS:2024:975); the huisverbod's terms (T6, T7) are fatal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hgkm_workflow.domain.deadline_rules import NATIONAL_RULES, TermKind
from hgkm_workflow.domain.rules_text import explain, render_rules_markdown


def test_every_national_rule_is_fatal_or_ordenend_and_only_the_huisverbod_is_fatal() -> None:
    kinds = {r.id: r.term for r in NATIONAL_RULES}
    assert set(kinds.values()) <= set(TermKind)
    assert {i for i, k in kinds.items() if k is TermKind.FATAL} == {"T6", "T7"}
    assert kinds["T3"] is TermKind.ORDENEND and kinds["T1"] is TermKind.ORDENEND


def test_the_explanation_of_a_due_date_says_whether_the_term_is_fatal() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    t3 = explain("T3", start)
    assert t3["term"] == "ordenend" and "ECLI:NL:GHAMS:2024:975" in t3["term_explanation"]
    assert explain("T7", start)["term"] == "fatal"


def test_the_rules_page_names_the_term_of_every_rule() -> None:
    page = render_rules_markdown()
    rows = [line for line in page.splitlines() if line.startswith("| T")]
    assert len(rows) == len(NATIONAL_RULES)
    assert all(" ordenend |" in row or " fatal |" in row for row in rows)
    assert page.count("- Term: ") == len(NATIONAL_RULES)
