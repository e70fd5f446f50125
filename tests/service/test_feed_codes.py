"""Property: the feed copies only code fields with short scalar values, whatever the payload."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.application.feed import CODE_FIELDS, MAX_CODE_LENGTH, codes_of

NEVER = ("rationale", "persons", "person_id", "removed_person_id", "actor", "regisseur",
         "handover_to", "voorwaarden", "veiligheidsvoorwaarden", "reason", "result")

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=200),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=8)
keys = st.sampled_from(sorted(CODE_FIELDS) + list(NEVER)) | st.text(max_size=12)


@given(st.dictionaries(keys, values, max_size=12))
def test_only_short_code_values_of_code_fields(state: dict[str, Any]) -> None:
    out = codes_of(state)
    assert set(out) <= CODE_FIELDS
    assert not set(out) & set(NEVER)
    for value in out.values():
        if isinstance(value, str):
            assert len(value) <= MAX_CODE_LENGTH
        elif isinstance(value, list):
            assert all(isinstance(v, str) and len(v) <= MAX_CODE_LENGTH for v in value)
        else:
            assert value is None or isinstance(value, bool | int | float)
