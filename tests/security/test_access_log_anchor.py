"""Point 3: an access log that cannot be shortened, rewritten or wiped unnoticed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from hgkm_workflow.access.log import (
    AccessLog,
    FileAnchor,
    access_log,
    access_log_head,
    entry_hash,
)
from hgkm_workflow.access.models import Access, AccessDecision, Purpose, Resource, Verdict
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.commands import Actor
from hgkm_workflow.projections import make_engine
from hgkm_workflow.settings import SecuritySettings
from hgkm_workflow.vocabulary import ActorRole

KEY = b"fake-access-log-chain-key-32byte"
READER = Access(actor=Actor(actor_id="auditor-1", organisation="hgkm", role=ActorRole.AUDITOR),
                purpose=Purpose.AUDIT)
GRANTED = AccessDecision(verdict=Verdict.GRANTED, rule="policy v1: auditor / audit")
REFUSED = AccessDecision(verdict=Verdict.REFUSED, rule="policy v1: no involvement")


def _log(url: str, anchor: Path, key: bytes | None = KEY) -> tuple[sa.Engine, AccessLog]:
    engine = make_engine(parse_store_url(url))
    log = AccessLog(engine, chain_key=key, anchor=FileAnchor(anchor),
                    settings=SecuritySettings())
    log.setup()
    return engine, log


def _fill(log: AccessLog, n: int = 5) -> None:
    for i in range(n):
        log.append(at=datetime(2026, 3, 2, 9, i, tzinfo=UTC), access=READER,
                   resource=Resource.CASE, case_id=f"case-{i}",
                   decision=REFUSED if i % 2 else GRANTED)


def _problems(url: str, anchor: Path, key: bytes | None = KEY) -> tuple[str, ...]:
    engine, log = _log(url, anchor, key)
    try:
        return log.verify().problems
    finally:
        engine.dispose()


def test_an_intact_keyed_and_anchored_log_verifies(store_url: str, tmp_path: Path) -> None:
    engine, log = _log(store_url, tmp_path / "anchor.json")
    try:
        _fill(log)
        result = log.verify()
        assert result.ok and result.keyed and result.anchored_entries == 5
        assert json.loads((tmp_path / "anchor.json").read_text())["entries"] == 5
        assert (tmp_path / "anchor.json").stat().st_mode & 0o777 == 0o600
    finally:
        engine.dispose()


def test_deleting_the_last_entries_and_fixing_the_head_is_found(
        store_url: str, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    engine, log = _log(store_url, anchor)
    try:
        _fill(log)
        with engine.begin() as conn:  # the insider: remove the last two, make the head agree
            conn.execute(access_log.delete().where(access_log.c.seq > 3))
            last = conn.execute(sa.select(access_log.c.entry_hash)
                                .where(access_log.c.seq == 3)).scalar_one()
            conn.execute(access_log_head.update().values(entry_count=3, last_hash=last))
    finally:
        engine.dispose()
    assert any("anchor witnessed 5" in p for p in _problems(store_url, anchor))


def test_a_wiped_log_is_found(store_url: str, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    engine, log = _log(store_url, anchor)
    try:
        _fill(log)
        with engine.begin() as conn:
            conn.execute(access_log.delete())
            conn.execute(access_log_head.delete())
    finally:
        engine.dispose()
    assert any("truncated or wiped" in p for p in _problems(store_url, anchor))


def test_a_recomputed_chain_is_found_without_the_key(store_url: str, tmp_path: Path) -> None:
    """Edit an entry and recompute every hash as the old scheme allowed (plain SHA-256)."""
    anchor = tmp_path / "anchor.json"
    engine, log = _log(store_url, anchor)
    try:
        _fill(log)
        with engine.begin() as conn:
            rows = [dict(r._mapping) for r in
                    conn.execute(sa.select(access_log).order_by(access_log.c.seq))]
            prev = "0" * 64
            for row in rows:
                row["prev_hash"] = prev
                if row["seq"] == 2:
                    row["verdict"] = "granted"
                row["entry_hash"] = entry_hash(row)  # without the key
                prev = row["entry_hash"]
                conn.execute(access_log.update().where(access_log.c.seq == row["seq"])
                             .values(prev_hash=row["prev_hash"], verdict=row["verdict"],
                                     entry_hash=row["entry_hash"]))
            conn.execute(access_log_head.update().values(last_hash=prev))
    finally:
        engine.dispose()
    problems = _problems(store_url, anchor)
    assert any("was changed" in p for p in problems)
    assert any("differs from the anchored head" in p for p in problems)


def test_a_forged_anchor_is_found(store_url: str, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    engine, log = _log(store_url, anchor)
    try:
        _fill(log)
    finally:
        engine.dispose()
    data = json.loads(anchor.read_text())
    data["entries"] = 3
    anchor.write_text(json.dumps(data))
    assert any("not signed" in p for p in _problems(store_url, anchor))


def test_ids_too_long_for_their_column_are_logged_as_digests(
        store_url: str, tmp_path: Path) -> None:
    engine, log = _log(store_url, tmp_path / "anchor.json")
    try:
        odd = Access.model_construct(
            actor=Actor.model_construct(actor_id="a" * 100, organisation="o\x00rg",
                                        role=ActorRole.AUDITOR), purpose=Purpose.AUDIT)
        entry = log.append(at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), access=odd,
                           resource=Resource.CASE, case_id="c" * 45, decision=REFUSED)
        assert entry.case_id is not None and len(entry.case_id) == 36
        assert entry.case_id.startswith("#") and len(entry.actor_id) == 64
        assert "\x00" not in entry.organisation
        assert log.verify().ok
    finally:
        engine.dispose()


def test_the_chain_key_and_anchor_come_from_settings(tmp_path: Path) -> None:
    from hgkm_workflow.access.log import anchor_from_settings, chain_key_from_settings

    text = base64.b64encode(KEY).decode()
    assert chain_key_from_settings(SecuritySettings.from_env(
        {"HGKM_ACCESS_LOG_KEY": text})) == KEY
    sink = anchor_from_settings(SecuritySettings.from_env(
        {"HGKM_ACCESS_LOG_ANCHOR": str(tmp_path / "a.json")}))
    assert isinstance(sink, FileAnchor) and sink.read() is None
    assert chain_key_from_settings(SecuritySettings.from_env({})) is None


def test_an_unkeyed_log_is_rekeyed_in_one_go(store_url: str, tmp_path: Path) -> None:
    import pytest

    from hgkm_workflow.access.log import AccessLogConfigurationError

    anchor = tmp_path / "anchor.json"
    engine, plain = _log(store_url, anchor, key=None)
    try:
        _fill(plain)
        assert plain.verify().ok and not plain.verify().keyed
    finally:
        engine.dispose()
    assert any("was changed" in p for p in _problems(store_url, anchor))  # not under the key
    engine, keyed = _log(store_url, anchor)
    try:
        with pytest.raises(AccessLogConfigurationError):
            keyed.rekey(b"not-the-old-key-at-all-0123456789")
        result = keyed.rekey(None)
        assert result.ok and result.keyed and result.entries == 5
        _fill(keyed, 2)
        assert keyed.verify().ok
    finally:
        engine.dispose()
