"""The fast decoder gives exactly the mapper's events: every event of a varied store, both ways.

The store holds several scenario files (every phase, huisverboden, corrections, adviezen,
erasure, late registration, new periods) and a small simulation (with history, ticks and
breaches), on SQLite and PostgreSQL (where originator ids come back as ``UUID`` objects).
Each event is decoded with ``app.mapper.to_domain_event`` and with
:class:`~hgkm_workflow.adapters.fast_decode.FastEventDecoder` and compared by class and by
every value *and its exact type* (a ``date`` equal to a ``datetime`` would not do). The same
events re-encoded with a cipher and with a compressor are compared too, and generated states
(hypothesis) cover nesting the stored events do not have; the fallbacks give the mapper's
value or the mapper's error.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import Environment
from hypothesis import given, settings
from hypothesis import strategies as st

from hgkm_workflow.adapters.fast_decode import FastEventDecoder, event_decoder
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.scenario import run_scenario
from hgkm_workflow.simulation import SimulationConfig, run_simulation
from tests.support import fresh_pg_database, require_postgres

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
FILES = ("01-nieuw-door-alle-fasen.yaml", "05-huisverbod-met-verlenging.yaml",
         "10-heropening-en-vervolgmelding.yaml", "15-correcties-en-weigeringen-in-fasen.yaml",
         "16-advies-wordt-melding.yaml", "18-toegang-in-nood-en-wissen.yaml",
         "20-laat-geregistreerde-verlenging.yaml", "22-hulpaanbod-en-scheiding.yaml")
# An event class without an upcaster (MeldingReceived and PhaseChanged have one, which adds
# fields to a version-1 state): the generated states must come back exactly as stored.
TOPIC = "hgkm_workflow.case:HouseholdCase.MelderInformed"


def same(a: Any, b: Any) -> bool:
    """Equal values of exactly the same types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def same_event(a: object, b: object) -> bool:
    return type(a) is type(b) and same(a.__dict__, b.__dict__)


def _fill(url: str) -> HgkmApplication:
    for name in FILES:
        result = run_scenario(SCENARIOS / name, url, reload_run=False)
        assert not result.failures, name
    clock = SettableClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    run_simulation(app, clock, SimulationConfig(region="rotterdam-rijnmond",
                                                start=date(2025, 1, 1), until=date(2025, 2, 15),
                                                scale=0.03, seed=3))
    return app


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[HgkmApplication]:
    """One varied store per backend, shared by this module's tests."""
    if request.param == "sqlite":
        app = _fill(f"sqlite:///{tmp_path_factory.mktemp('fast') / 'varied.db'}")
        yield app
        app.close()
        return
    require_postgres()
    with fresh_pg_database() as url:
        app = _fill(url)
        yield app
        app.close()
    from hgkm_workflow.projections import dispose_engines

    dispose_engines()


def _notifications(app: HgkmApplication) -> list[Any]:
    out: list[Any] = []
    while batch := app.recorder.select_notifications(start=out[-1].id if out else 0,
                                                     limit=1000, inclusive_of_start=False):
        out.extend(batch)
    return out


def test_every_event_of_a_varied_store_decodes_to_the_mappers_event(
        filled: HgkmApplication) -> None:
    notifications = _notifications(filled)
    kinds = {n.topic for n in notifications}
    assert len(notifications) > 1000 and len(kinds) > 40  # varied indeed
    fast = event_decoder(filled.mapper)
    assert isinstance(fast, FastEventDecoder)
    differ = [n.id for n in notifications
              if not same_event(fast(n), filled.mapper.to_domain_event(n))]
    assert differ == []


def _remapped(app: HgkmApplication, **env: str) -> Mapper[UUID]:
    return Mapper(transcoder=app.mapper.transcoder,
                  cipher=AESCipher(Environment(env=env)) if "CIPHER_KEY" in env else None,
                  compressor=ZlibCompressor() if env.get("COMPRESS") else None)


@pytest.mark.parametrize("env", [
    {"CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()},
    {"COMPRESS": "1"},
    {"CIPHER_KEY": base64.b64encode(os.urandom(16)).decode(), "COMPRESS": "1"},
], ids=["cipher", "compressor", "both"])
def test_encrypted_and_compressed_events_decode_to_the_mappers_event(
        filled: HgkmApplication, env: dict[str, str]) -> None:
    mapper = _remapped(filled, **env)
    stored = [mapper.to_stored_event(filled.mapper.to_domain_event(n))  # type: ignore[arg-type]
              for n in _notifications(filled)[:3000]]
    assert all(b"MeldingReceived" not in s.state and b"_type_" not in s.state for s in stored)
    fast = FastEventDecoder(mapper)
    assert [s.originator_id for s in stored if not same_event(
        fast(s), mapper.to_domain_event(s))] == []


_leaf = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
         | st.text() | st.uuids() | st.dates() | st.decimals(allow_nan=False, allow_infinity=False)
         | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
         | st.datetimes())
_state = st.dictionaries(st.text(), st.recursive(
    _leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                       max_size=4),
    max_leaves=20), max_size=6)


@settings(max_examples=300, deadline=None)
@given(state=_state)
def test_generated_states_decode_as_the_mapper_decodes(state: dict[str, Any]) -> None:
    app_mapper = _mapper()
    stored = StoredEvent(uuid4(), 3, TOPIC, app_mapper.transcoder.encode(state))
    assert same_event(FastEventDecoder(app_mapper)(stored), app_mapper.to_domain_event(stored))


_MAPPER: list[Mapper[UUID]] = []


def _mapper() -> Mapper[UUID]:
    """The application's mapper (its transcoder), made once."""
    if not _MAPPER:
        app = HgkmApplication(f"sqlite:///{tempfile.mkdtemp(prefix='hgkm-fast-')}/m.db")
        _MAPPER.append(app.mapper)
        app.close()
    return _MAPPER[0]


@pytest.mark.parametrize("state", [
    b'{"x":NaN,"y":{"_type_":"uuid_hex","_data_":"' + uuid4().hex.encode() + b'"}}',
    b'{"big":123456789012345678901234567890}',
    b'{"big":[-9223372036854775809]}',
    b'{"inf":1e400}',
    b'{"s":"\\ud800"}',
    b'{"\\u005ftype_":"date_iso","_data_":"2024-02-29"}',
    b'{"k":{"\\u005ftype_":"date_iso","_data_":"2024-02-29"}}',
], ids=["nan", "big-int", "below-int64", "inf", "lone-surrogate", "escaped-top", "escaped-key"])
def test_json_only_the_standard_library_reads_is_decoded_by_the_mapper(state: bytes) -> None:
    mapper = _mapper()
    stored = StoredEvent(uuid4(), 1, TOPIC, state)
    try:
        expected: object = mapper.to_domain_event(stored)
    except Exception as error:  # whatever the mapper raises, the fast path raises the same
        with pytest.raises(type(error)) as raised:
            FastEventDecoder(mapper)(stored)
        assert str(raised.value) == str(error)
        return
    got = FastEventDecoder(mapper)(stored)
    assert type(got) is type(expected)
    assert repr(got.__dict__) == repr(expected.__dict__)  # NaN != NaN, so compare the text


def test_an_unknown_transcoding_raises_the_mappers_error() -> None:
    mapper = _mapper()
    stored = StoredEvent(uuid4(), 1, TOPIC, b'{"x":{"_type_":"nope","_data_":1}}')
    with pytest.raises(MapperDeserialisationError, match="nope"):
        FastEventDecoder(mapper)(stored)


def test_a_transcoder_with_its_own_decoding_gets_the_mappers_method() -> None:
    mapper = _mapper()

    class Own(type(mapper.transcoder)):  # type: ignore[misc]
        def decode(self, data: bytes) -> Any:
            return super().decode(data)

    own = Mapper(transcoder=Own())
    assert event_decoder(own) == own.to_domain_event
    with pytest.raises(TypeError):
        FastEventDecoder(own)


def test_decimal_uuid_and_date_values_keep_their_types() -> None:
    mapper = _mapper()
    when = datetime(2024, 2, 29, 23, 30, tzinfo=UTC)
    state = {"d": date(2024, 2, 29), "t": when, "u": uuid4(), "m": Decimal("1.10"),
             "nested": [{"when": [when, {"day": date(2000, 1, 1)}]}]}
    stored = StoredEvent(uuid4(), 1, TOPIC, mapper.transcoder.encode(state))
    got = FastEventDecoder(mapper)(stored)
    assert same(got.__dict__, {**state, "originator_id": stored.originator_id,
                               "originator_version": 1})
