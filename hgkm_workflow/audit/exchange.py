"""Export and import the whole event stream as JSON Lines (docs/export-format.md).

One line per event, in notification order: the aggregate and its id, the event's version and
type, its business and recording time, and its payload as readable JSON. Values JSON has no
type for (instants, dates, UUIDs) are written as strings and listed in ``types`` by JSON
Pointer, so an import restores them exactly. The payload is the event as *stored*: an event
written in an older schema version keeps that version (``class_version``) and is upcast when
read, in the importing store as in the exporting one.

Events hold pseudonymous ids and codes only; the person register (names, BSNs, addresses) is
never exported, and a line naming a person whose details were erased lists that id under
``erased_persons``. An export is a read of the whole store: it needs an access request that
the policy grants (auditors) and is written to the access log. As a second line of defence,
free-text fields (``rationale``, ``open_deadline_reason``) that look like identifying data are
replaced by a marker on export and counted in the result.

Import writes into an **empty** store through the recorder (encoded by the importing
application: its cipher and compressor apply), then builds the read models (a rebuild, in
its larger batches, where the target has a projection runner; else a catch-up), so state and
views equal those of the exporting store. Every line is checked first, with the rules of the
commands (sizes, the personal-data screen, codes, the payload schema of its event class) and
by replaying every aggregate in memory (:mod:`hgkm_workflow.audit.import_checks`); only then
are all events inserted, in one transaction (all or nothing for the whole import), in bulk:
PostgreSQL ``COPY`` or one SQLite ``executemany`` per chunk, under the recorder's table lock
and with its notification (:mod:`hgkm_workflow.adapters.bulk_insert`), the original positions
in the same transaction (:mod:`hgkm_workflow.audit.import_insert`). A refused import
stores nothing and names the line and the rule; a retry of a corrected file works.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from hgkm_workflow.adapters.files import open_private
from hgkm_workflow.audit.bulk_read_models import build_read_models
from hgkm_workflow.audit.business_time import BusinessClock
from hgkm_workflow.audit.import_checks import (
    Replay,
    aware_instant,
    check_line_size,
    check_payload,
    forget_screened,
    whole,
)
from hgkm_workflow.audit.import_insert import insert_with_origins
from hgkm_workflow.audit.melding_match import (
    classification_meta,
    found_by_melding,
    mark_melding,
)
from hgkm_workflow.audit.stored_form import (
    ExchangeError,
    decode_stored_state,
    encode_state,
    plain,
    restore,
)
from hgkm_workflow.clock import as_utc
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.privacy import find_identifying_data
from hgkm_workflow.settings import ClassificationSettings

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access

__all__ = [
    "FORMAT",
    "ExchangeError",
    "ExportResult",
    "Exports",
    "ImportResult",
    "StoreNotEmpty",
    "decode_stored_state",
    "encode_state",
    "export_jsonl",
    "import_jsonl",
    "write_export",
]

FORMAT = "hgkm-events/1"
"""Written on every line; an import refuses lines of another format."""

REDACTED = "[redacted on export: looked like identifying data]"
_SCREENED_FIELDS = frozenset({"rationale", "open_deadline_reason"})
_TOPIC_PREFIX = "hgkm_workflow."
_REQUIRED = ("format", "aggregate", "case_id", "version", "event_type", "topic",
             "class_version", "recorded_at", "payload")


class StoreNotEmpty(HgkmError):
    """Import only writes into an empty store."""

    code = "STORE_NOT_EMPTY"
    default_rule = "import into an empty store"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        events: Lines written.
        aggregates: Distinct cases and adviezen.
        redacted: Free-text values replaced because they looked like identifying data.
    """

    events: int
    aggregates: int
    redacted: int


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote.

    Attributes:
        events: Events inserted.
        aggregates: Distinct cases and adviezen.
        read_model_events: Events the read models applied while catching up.
    """

    events: int
    aggregates: int
    read_model_events: int


def _screen(value: Any) -> tuple[Any, int]:
    """Replace screened free-text fields that look like identifying data; count them."""
    if isinstance(value, dict):
        count = 0
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in _SCREENED_FIELDS and isinstance(v, str) and find_identifying_data(v):
                out[k] = REDACTED
                count += 1
            else:
                out[k], n = _screen(v)
                count += n
        return out, count
    if isinstance(value, list):
        items = [_screen(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    return value, 0


# ---------------------------------------------------------------------------- export


@contextmanager
def _opened(target: str | Path | IO[str], mode: str) -> Iterator[IO[str]]:
    if isinstance(target, str | Path):
        if mode in ("w", "a"):  # an export is readable by its owner alone (0600)
            with open_private(Path(target), mode) as handle:
                yield handle
        else:
            with Path(target).open(mode, encoding="utf-8") as handle:
                yield handle
    else:
        yield target


class Exports(Protocol):
    """Anything that exports its store access-checked (the application does)."""

    def export_jsonl(self, target: str | Path | IO[str], *,
                     access: Access | dict[str, Any]) -> ExportResult:
        """Write the export; a store-wide read decided by the access policy and logged."""


def export_jsonl(app: Exports, target: str | Path | IO[str], *,
                 access: Access | dict[str, Any]) -> ExportResult:
    """Write every stored event, in notification order, one JSON object per line.

    A read of the whole store: decided by the access policy (auditors) and logged. Same as
    :meth:`HgkmApplication.export_jsonl <hgkm_workflow.HgkmApplication.export_jsonl>`.

    Args:
        app: The application whose store is exported.
        target: A file path or an open text stream.
        access: Who exports and why.

    Returns:
        Counts of what was written.

    Raises:
        AccessDenied: If the access policy refuses.
    """
    return app.export_jsonl(target, access=access)


def write_export(app: Application[Any], target: str | Path | IO[str], *,
                 erased: frozenset[str] = frozenset(), batch_size: int = 500,
                 classification: ClassificationSettings | None = None,
                 origins: Mapping[tuple[str, int], int] | None = None) -> ExportResult:
    """Write the export (no access check: the caller has decided it).

    Every ``MeldingReceived`` line also carries ``classification``: how the melding came to
    its case (``opened``, ``reopened``, ``given``, ``matched``, or ``joined`` for meldingen
    recorded before that was recorded; :mod:`hgkm_workflow.audit.melding_match`) and the
    classification settings (lookback, counted roles, hermelding basis), so an auditor can
    recompute the CBS classification from the export alone (docs/export-format.md).

    Args:
        app: The event store's application (its recorder and mapper).
        target: A file path or an open text stream.
        erased: Ids of persons whose details were erased (marked on the lines naming them).
        batch_size: Notifications read per query.
        classification: The classification settings to record (default: this process's,
            :meth:`ClassificationSettings.from_environment`, as the application uses).
        origins: Original positions of imported events by ``(case_id, version)``
            (:func:`~hgkm_workflow.audit.positions.load_origins`); written as
            ``original_position``, else the event's own position.
    """
    settings = classification or ClassificationSettings.from_environment()
    meta = classification_meta(settings)
    found = found_by_melding(app, batch_size)
    opened: set[UUID] = set()
    clocks: dict[UUID, BusinessClock] = {}
    written = redacted = 0
    with _opened(target, "w") as out:
        start = 0
        while True:
            batch = app.recorder.select_notifications(start=start, limit=batch_size,
                                                      inclusive_of_start=False)
            if not batch:
                break
            for n in batch:
                line, count = _line(app, n, clocks, erased, origins or {})
                if line["event_type"] == "MeldingReceived":
                    mark_melding(line, opened, meta, found)
                redacted += count
                out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                written += 1
            start = batch[-1].id
    return ExportResult(events=written, aggregates=len(clocks), redacted=redacted)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _line(app: Application[Any], n: Any, clocks: dict[UUID, BusinessClock],
          erased: frozenset[str], origins: Mapping[tuple[str, int], int],
          ) -> tuple[dict[str, Any], int]:
    state = decode_stored_state(app, n.state)
    class_version = int(state.pop("class_version", 1))
    recorded: datetime = state.pop("timestamp")
    aggregate_id = UUID(str(n.originator_id))
    domain_event = app.mapper.to_domain_event(n)
    business = clocks.setdefault(aggregate_id, BusinessClock()).business_time(domain_event)
    types: dict[str, str] = {}
    payload, count = _screen(plain(state, (), types))
    qualname = n.topic.rpartition(":")[2]
    named = sorted({v for v in _strings(payload) if v in erased}) if erased else []
    extra = {"erased_persons": named} if named else {}
    return {
        "format": FORMAT,
        "position": n.id,
        "original_position": origins.get((str(aggregate_id), n.originator_version), n.id),
        "aggregate": qualname.rpartition(".")[0] or qualname,
        "case_id": str(aggregate_id),
        "version": n.originator_version,
        "event_type": qualname.rpartition(".")[2],
        "topic": n.topic,
        "class_version": class_version,
        "business_time": business.isoformat(),
        "recorded_at": as_utc(recorded).isoformat(),
        "payload": payload,
        "types": types,
        **extra,
    }, count


# ---------------------------------------------------------------------------- import


class ImportTarget(Protocol):
    """What an import writes to: an event store's recorder and mapper, and its read models."""

    @property
    def recorder(self) -> ApplicationRecorder:
        """The store's application recorder."""

    @property
    def mapper(self) -> Mapper[Any]:
        """The store's mapper (transcoder, compressor, cipher)."""

    @property
    def engine(self) -> sa.Engine:
        """The store's database (the original positions are recorded there)."""

    def catch_up(self) -> int:
        """Bring the read models up to date; return events applied."""


def import_jsonl(app: ImportTarget, source: str | Path | IO[str], *,
                 batch_size: int = 500, bulk: bool = True) -> ImportResult:
    """Insert the events of an export into an empty store and catch the read models up.

    Args:
        app: The (empty) target store (an application fits).
        source: A file path or an open text stream in the format of :func:`export_jsonl`.
        batch_size: Ignored (kept for callers of the first version).
        bulk: Insert by :func:`~hgkm_workflow.adapters.bulk_insert.bulk_insert` (the
            default) rather than ``insert_events``: the same rows, faster.

    Returns:
        Counts of what was written.

    Raises:
        StoreNotEmpty: The target store holds events (or another writer filled it meanwhile).
        ExchangeError: If a line is malformed, out of order, names an unknown event, breaks a
            command rule (size, identifying data, code, payload schema) or does not replay
            (the message names the line and the rule, never a value; nothing is written).
    """
    if app.recorder.max_notification_id():
        raise StoreNotEmpty("the target store already holds events; import needs an empty one")
    try:
        return _import(app, source, bulk)
    finally:  # no screened text outlives the import
        forget_screened()


def _import(app: ImportTarget, source: str | Path | IO[str], bulk: bool) -> ImportResult:
    versions: dict[UUID, int] = {}
    events: list[StoredEvent] = []
    origins: list[tuple[UUID, int, int]] = []
    replay = Replay(app.mapper)
    with _opened(source, "r") as handle:  # every line is checked before anything is written
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            stored, origin = _stored_event(app, text, number, versions)
            replay.feed(stored, number)
            events.append(stored)
            if origin is not None:
                origins.append((UUID(str(stored.originator_id)), stored.originator_version,
                                origin))
    aggregates = replay.finish()
    inserted = _insert(app, events, bulk, origins)  # one transaction: events and origins
    applied = build_read_models(app)
    return ImportResult(events=inserted, aggregates=aggregates, read_model_events=applied)



def _insert(app: ImportTarget, events: list[StoredEvent], bulk: bool = True,
            origins: Sequence[tuple[UUID, int, int]] = ()) -> int:
    if not events:
        return 0
    try:
        return insert_with_origins(app.recorder, app.engine, events, origins, bulk=bulk)
    except IntegrityError:
        raise StoreNotEmpty("another writer filled the store during the import; "
                            "nothing was imported") from None


def _stored_event(app: ImportTarget, text: str, number: int,
                  versions: dict[UUID, int]) -> tuple[StoredEvent, int | None]:
    """The line as a stored event, and its original position (the first store's)."""
    def bad(why: str) -> ExchangeError:
        return ExchangeError(f"line {number}: {why}")

    check_line_size(text, number)
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON ({exc.msg})") from None
    if not isinstance(line, dict):
        raise bad("not a JSON object")
    missing = [k for k in _REQUIRED if k not in line]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    if line["format"] != FORMAT:
        raise bad(f"format is not {FORMAT!r}")
    topic = line["topic"]
    if not isinstance(topic, str) or not topic.startswith(_TOPIC_PREFIX):
        raise bad("topic is not an hgkm_workflow event")
    try:
        resolved = resolve_topic(topic)
    except Exception:  # TopicError or an import error: the event type does not exist here
        raise bad("unknown event type (the topic names no event of this version)") from None
    if not (isinstance(resolved, type) and callable(getattr(resolved, "mutate", None))):
        raise bad("topic does not name an event type")

    def value(name: str, convert: Callable[[Any], Any], what: str) -> Any:
        raw = line[name]
        try:
            if isinstance(raw, bool) or raw is None:
                raise TypeError(name)
            return convert(raw)
        except (TypeError, ValueError, OverflowError):
            raise bad(f"{name} is not {what}") from None

    aggregate_id: UUID = value("case_id", lambda v: UUID(str(v)), "a UUID")
    version: int = value("version", whole, "a whole number of at least 1")
    class_version: int = value("class_version", whole, "a whole number of at least 1")
    named = next((k for k in ("original_position", "position") if k in line), None)
    origin = None if named is None else value(named, whole, "a whole number of at least 1")
    recorded: datetime = value("recorded_at", aware_instant,
                               "an ISO 8601 instant with a UTC offset in 2000..2100")
    payload = line["payload"]
    if not isinstance(payload, dict):
        raise bad("payload is not a JSON object")
    types = line.get("types") or {}
    if not isinstance(types, dict):
        raise bad("types is not a JSON object")
    try:
        state = restore(payload, dict(types))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError):
        raise bad("types do not match the payload (a listed value is missing or "
                  "not of its type)") from None
    state["timestamp"] = recorded
    check_payload(resolved, state, class_version, number)
    expected = versions.get(aggregate_id, 0) + 1
    if version != expected:
        raise bad(f"version out of order: {aggregate_id} expects version {expected} here")
    versions[aggregate_id] = version
    if class_version > 1:
        state["class_version"] = class_version
    return StoredEvent(originator_id=aggregate_id, originator_version=version, topic=topic,
                       state=encode_state(app, state)), origin
