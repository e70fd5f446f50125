"""Derived ids: ``uuid5_text`` is exactly ``str(uuid5(...))`` (stored events keep their ids)."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from hgkm_workflow.domain.deadline_records import ID_NAMESPACE, ID_NAMESPACE_BYTES, uuid5_text


@settings(max_examples=500, deadline=None)
@given(namespace=st.uuids(), name=st.text(max_size=80))
def test_uuid5_text_is_the_text_of_uuid5(namespace: uuid.UUID, name: str) -> None:
    assert uuid5_text(namespace.bytes, name) == str(uuid.uuid5(namespace, name))


@given(case_id=st.uuids(), version=st.integers(min_value=0, max_value=10**6),
       kind=st.sampled_from(["deadline:T1:None", "deadline:T4:3", "vt-service", "monitoring"]))
def test_derived_ids_as_stored_before(case_id: uuid.UUID, version: int, kind: str) -> None:
    name = f"{case_id}:{version + 1}:{kind}"
    assert ID_NAMESPACE.bytes == ID_NAMESPACE_BYTES
    text = uuid5_text(ID_NAMESPACE_BYTES, name)
    assert text == str(uuid.uuid5(ID_NAMESPACE, name))
    assert uuid.UUID(text).version == 5
    assert uuid.UUID(text).variant == uuid.RFC_4122


def test_a_known_derived_id() -> None:
    # computed independently with the RFC 4122 name-based (SHA-1) construction
    assert uuid5_text(uuid.NAMESPACE_DNS.bytes, "python.org") == \
        "886313e1-3b8a-5372-9b90-0c9aee199e5d"
