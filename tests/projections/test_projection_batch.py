"""Each read model is one fold: a rebuild from the log equals the rows kept live, the rows do
not depend on how the log is split into batches, and the folds of tricky events give the
rows they should.

The per-event path (``Projection.apply``) is a batch of one through the same fold, so there
is no second implementation to compare with; instead

* a varied history is kept live by the application's own catch-ups, then replayed from an
  empty read model in incremental catch-ups of random sizes (hypothesis), on SQLite and
  PostgreSQL, and every row of every ``rm_`` table is compared;
* random synthetic streams (including events the domain never produces) are folded as
  batches of one, in random splits and as one batch;
* fold unit tests pin the rows of the events whose fold reads earlier rows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar_data import Decree
from hgkm_workflow.projections import Projection, ProjectionRunner, event_name
from hgkm_workflow.projections.batch import TableBuffer, select_in
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.projections.deadline_index import DeadlineIndexProjection
from hgkm_workflow.projections.monitor_facts import MonitorFactsProjection
from hgkm_workflow.projections.person_fold import PersonIndexProjection
from hgkm_workflow.projections.registry import default_projections
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.vocabulary import PersonRole
from tests.projections.test_projection_rebuild import Rows, busy_history, rm_rows
from tests.support import LT, LT2_REGISSEUR, Household

BM = {"actor_id": "bm-7", "organisation": "gemeente-y", "role": "burgemeester"}


def person(pid: uuid.UUID, role: str = "victim") -> dict[str, str]:
    return {"person_id": str(pid), "role": role}


def varied_history(app: HgkmApplication, clock: SettableClock) -> None:
    """Households interleaved, sharing persons, through most kinds of event."""
    busy_history(app, clock)  # monitor scenario, a full lifecycle, a reopening, breaches

    def days(n: int) -> None:
        clock.advance(timedelta(days=n))

    a = Household(app, clock)
    b = Household(app, clock, gemeente="GM0606")
    a.melding()
    b.melding(acute=True)
    app.take_crisis_measure(b.cmd(measure="politie_inzet"))  # marks b's unassessed melding
    days(1)
    a.assess("onderzoek")  # a VT service starts: the involvement continues
    # A separate household naming a's victim while the onderzoek runs: vervolgmelding.
    c = Household(app, clock, gemeente="GM0606", case_id=uuid.uuid4())
    c.melding(persons=[person(a.victim), person(uuid.uuid4(), "alleged_perpetrator")])
    app.add_person(a.cmd(person_id=str(uuid.uuid4()), role="other"))  # during the involvement
    b.assess("escalate_mda", additional_measures=["inform_police_om"])
    hv = app.impose_huisverbod(b.cmd(actor=BM, removed_person_id=str(b.perpetrator)))
    days(1)
    app.return_to_local_team(b.cmd(actor=LT))
    app.record_contact_address_given(b.cmd(huisverbod_id=str(hv.ids["huisverbod_id"])))
    c.assess("voorwaarden_en_vervolg")
    days(40)
    app.complete_vt_service(a.cmd(result="handover_local_team", conclusion="confirmed",
                                  veiligheidsvoorwaarden=["geen_geweld"],
                                  handover_to=LT2_REGISSEUR))  # monitoring follows
    app.offer_plegeraanbod(a.cmd(actor=LT, person_id=str(a.perpetrator)))
    app.involve_ervaringsdeskundige(a.cmd(actor=LT))
    days(3)
    app.respond_to_plegeraanbod(a.cmd(actor=LT, person_id=str(a.perpetrator), accepted=False))
    # A second melding on b's open case: it joins the running involvement.
    b2 = Household(app, clock, gemeente="GM0606", case_id=b.case_id)
    b2.melding(persons=[person(b.child, "child")], melder_type="onderwijs")
    days(2)
    b2.assess("no_further_action")
    app.confirm_acute_unsafety_removed(a.cmd(actor=LT))
    app.complete_directe_veiligheid(a.cmd(actor=LT))
    days(10)
    app.loop_back(a.cmd(actor=LT, cause="new_incident"))
    days(5)
    app.end_monitoring(a.cmd(actor=LT, stable_safety=True))  # the involvement ends
    days(30)
    # A melding on a's case after its involvement ended: a new involvement with every member.
    a3 = Household(app, clock, case_id=a.case_id)
    a3.melding(persons=[person(a.child, "child")])
    days(1)
    # A new decree shifts the open deadlines onto a new calendar version.
    today = clock.now().date()
    decree = Decree(name="Besluit gelijkstelling (batch test)",
                    dates=(today + timedelta(days=2),), years=(today.year,))
    app.apply_calendar(app.calendar.with_decree(decree), decree.name)
    a3.assess("no_further_action")
    days(400)
    # Hermelding: c's victim (a's victim) again, in a new household, a year later.
    d = Household(app, clock, case_id=uuid.uuid4())
    d.melding(persons=[person(a.victim), person(uuid.uuid4(), "alleged_perpetrator")])
    app.tick()


@pytest.fixture
def history(app: HgkmApplication, clock: SettableClock) -> tuple[HgkmApplication, Rows]:
    varied_history(app, clock)
    app.catch_up()  # incremental, batched, in the small batches the commands left
    return app, rm_rows(app)


def _empty_read_models(app: HgkmApplication) -> None:
    """Drop every default read model's tables: a new runner resets them to position 0."""
    with app.engine.begin() as conn:
        for projection in default_projections():
            projection.metadata.drop_all(conn)


def test_the_live_rows_cover_what_the_folds_must_get_right(
    history: tuple[HgkmApplication, Rows]
) -> None:
    _, live = history
    classes = {row[5] for row in live["rm_melding_classification"]}
    assert classes == {"nieuw", "vervolgmelding", "hermelding"}
    statuses = {row[10] for row in live["rm_deadlines"]}
    assert {"open", "met", "closed_unmet"} <= statuses
    assert any(row[11] is not None for row in live["rm_deadlines"])  # breached
    assert max(row[1] for row in live["rm_vt_involvements"]) >= 2  # a second involvement
    assert all(live[name] for name in ("rm_phase_stays", "rm_huisverboden", "rm_plegeraanbod",
                                       "rm_case_moments", "rm_vt_services", "rm_cases"))


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.sampled_from([1, 3, 17, 500]),
       steps=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=8))
def test_a_replay_in_random_catch_ups_equals_the_rows_kept_live(
    history: tuple[HgkmApplication, Rows], batch_size: int, steps: list[int]
) -> None:
    app, live = history
    stop = app.recorder.max_notification_id() or 0
    _empty_read_models(app)
    runner = ProjectionRunner(app, app.engine, default_projections(), batch_size=batch_size)
    position = 0
    for step in steps:
        position = min(stop, position + step)
        runner.catch_up(until=position)
        assert runner.position("person_index") == position
    runner.catch_up()
    assert rm_rows(app) == live


def test_a_full_rebuild_equals_the_rows_kept_live(
    history: tuple[HgkmApplication, Rows]
) -> None:
    app, live = history
    for size in (1, 500, 5000):
        ProjectionRunner(app, app.engine, default_projections(), batch_size=size).rebuild()
        assert rm_rows(app) == live, f"batch size {size}"


class SimulatedCrash(Exception):
    """Stops a rebuild after its first batch."""


def test_projections_at_different_positions_share_a_batch(
    history: tuple[HgkmApplication, Rows]
) -> None:
    app, reference = history

    def crash_after_first_batch(conn: sa.Connection, position: int) -> None:
        if position > 40:
            raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        ProjectionRunner(app, app.engine, default_projections(), batch_size=40,
                         before_tracking_write=crash_after_first_batch).rebuild()
    ahead = ProjectionRunner(app, app.engine, [default_projections()[0]], batch_size=25)
    ahead.catch_up(until=65)
    assert ahead.position("case_index") == 65
    everyone = ProjectionRunner(app, app.engine, default_projections(), batch_size=100)
    assert everyone.position("person_index") == 40
    everyone.catch_up()  # the first batch has case_index at 65 and the others at 40
    assert rm_rows(app) == reference


class Recorder(Projection):
    """Records the batches it is given."""

    name: ClassVar[str] = "test_recorder"
    metadata: ClassVar[sa.MetaData] = sa.MetaData()
    event_names: ClassVar[frozenset[str] | None] = frozenset({"MeldingReceived",
                                                              "PhaseChanged"})

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        self.batches.append([(type(e).__name__, p) for e, p in events])


def test_the_runner_hands_each_projection_its_wanted_events_once_per_batch(
    app: HgkmApplication, clock: SettableClock
) -> None:
    Household(app, clock).to_waakvlam()
    recorder = Recorder()
    runner = ProjectionRunner(app, app.engine, [recorder], batch_size=7)
    runner.catch_up()
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    wanted = [(event_name(n.topic), n.id) for n in notifications
              if event_name(n.topic) in Recorder.event_names]  # type: ignore[operator]
    assert wanted
    assert [item for batch in recorder.batches for item in batch] == wanted
    assert all(batch for batch in recorder.batches)  # no call without events
    for batch in recorder.batches:  # each call lies within one batch of 7 notifications
        assert (batch[-1][1] - 1) // 7 == (batch[0][1] - 1) // 7
    assert runner.position("test_recorder") == notifications[-1].id


# TableBuffer.

_meta = sa.MetaData()
_things = sa.Table(
    "rm_things", _meta,
    sa.Column("a", sa.String(8), primary_key=True),
    sa.Column("b", sa.Integer, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("note", sa.String(16), nullable=True),
)


@pytest.fixture
def things() -> Any:
    engine = sa.create_engine("sqlite://")
    _meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(_things.insert(), [{"a": "x", "b": i, "value": i, "note": None}
                                        for i in range(5)])
    yield engine
    engine.dispose()


def test_table_buffer_inserts_new_rows_and_updates_only_changed_ones(things: Any) -> None:
    statements: list[tuple[str, int]] = []

    @sa.event.listens_for(things, "before_cursor_execute")
    def log(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
            executemany: bool) -> None:
        statements.append((statement.split(maxsplit=1)[0], len(params) if executemany else 1))

    buf = TableBuffer(_things)
    with things.begin() as conn:
        rows = buf.load_in(conn, select_in(_things, _things.c.b, _things.c.a == "x"), {1, 2, 3})
        assert sorted(r["b"] for r in rows) == [1, 2, 3]
        again = buf.load_in(conn, select_in(_things, _things.c.b), {3, 4})
        assert again[0] is buf.get(("x", 3))  # a buffered row is not replaced
        buf.rows["x", 1]["value"] = 10
        buf.rows["x", 2]["note"] = "changed"
        buf.rows["x", 3]["value"] = 3  # the same value: no update
        with pytest.raises(ValueError, match="needs the columns"):
            buf.insert({"a": "y", "b": 1, "value": 7})  # a column missing
        new = buf.insert({"a": "y", "b": 1, "value": 7, "note": None})
        new["note"] = "set before flush"
        statements.clear()
        buf.flush(conn)
    assert statements == [("INSERT", 1), ("UPDATE", 2)]
    with things.connect() as conn:
        got = {(r.a, r.b): (r.value, r.note) for r in conn.execute(sa.select(_things))}
    assert got == {("x", 0): (0, None), ("x", 1): (10, None), ("x", 2): (2, "changed"),
                   ("x", 3): (3, None), ("x", 4): (4, None), ("y", 1): (7, "set before flush")}


def test_table_buffer_insert_of_a_stored_key_fails_at_flush(things: Any) -> None:
    buf = TableBuffer(_things)
    with pytest.raises(sa.exc.IntegrityError), things.begin() as conn:
        buf.insert({"a": "x", "b": 0, "value": 1, "note": None})  # stored, not loaded
        buf.flush(conn)



# Synthetic event streams: edge cases the domain rarely or never produces (business time
# going backwards, changes to rows that do not exist, a service started after the
# involvement ended, events of cases never opened, repeated events), folded as batches of
# one (``apply``), in random splits and as one batch: the rows must not depend on the split.

_T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_EVENT_CLASSES: dict[str, type] = {}


def _event(owner: str, kind: str, **fields: Any) -> object:
    cls = _EVENT_CLASSES.get(f"{owner}.{kind}")
    if cls is None:
        cls = type(kind, (), {"__qualname__": f"{owner}.{kind}"})
        _EVENT_CLASSES[f"{owner}.{kind}"] = cls
    ev = cls()
    ev.__dict__.update(fields)
    return ev


class _Stream:
    """Random, type-correct events over a few cases, persons and ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.t = _T0
        self.cases = [uuid.uuid4() for _ in range(4)]
        self.persons = [str(uuid.uuid4()) for _ in range(7)]
        self.versions: dict[uuid.UUID, int] = {}
        self.members: set[tuple[str, uuid.UUID]] = set()
        self.ids: dict[str, list[str]] = {k: [] for k in ("melding", "deadline", "service",
                                                          "huisverbod", "advies")}
        self.events: list[object] = []

    def _id(self, kind: str, *, fresh: bool) -> str:
        known = self.ids[kind]
        if fresh or not known or self.rng.random() < 0.1:  # sometimes an unknown id
            new = str(uuid.uuid4())
            if fresh:
                known.append(new)
            return new
        return self.rng.choice(known)

    def _case(self, case_id: uuid.UUID, kind: str, **fields: Any) -> None:
        version = self.versions[case_id] = self.versions.get(case_id, 0) + 1
        fields.setdefault("at", self.t)
        self.events.append(_event("HouseholdCase", kind, originator_id=case_id,
                                  originator_version=version, **fields))

    def step(self) -> None:
        rng = self.rng
        # Mostly forward, sometimes back in business time, sometimes at the same instant.
        self.t += timedelta(hours=rng.choice((0, 0, 1, 5, 30, 24 * 200, 24 * 900, -3, -48)))
        case_id = rng.choice(self.cases)
        kind = rng.choice(_KINDS)
        getattr(self, f"_{kind}")(case_id)

    def _opened(self, c: uuid.UUID) -> None:
        if c not in self.versions:
            self._case(c, "Opened", region="r1", gemeente="GM0599", opened_at=self.t)

    def _melding(self, c: uuid.UUID) -> None:
        persons = self.rng.sample(self.persons, self.rng.randint(1, 3))
        roles = ("victim", "alleged_perpetrator", "child", "witness", "other")
        self.members.update((p, c) for p in persons)
        self._case(c, "MeldingReceived", melding_id=self._id("melding", fresh=True),
                   region=self.rng.choice(("r1", "r2")), gemeente="GM0606",
                   melder_type="politie", acute=self.rng.random() < 0.2,
                   from_advies=None, reopened=False,
                   persons=[{"person_id": p, "role": self.rng.choice(roles)} for p in persons])

    def _person(self, c: uuid.UUID) -> None:
        p = self.rng.choice(self.persons)
        if any(case == c for _, case in self.members) and (p, c) not in self.members:
            self.members.add((p, c))
            self._case(c, "PersonAdded", person_id=p, role="other")

    def _assessed(self, c: uuid.UUID) -> None:
        outcome = self.rng.choice(("no_further_action", "onderzoek", "crisis_intervention"))
        self._case(c, "VeiligheidsbeoordelingCompleted", melding_id=self._id("melding",
                   fresh=False), outcome=outcome,
                   additional_measures=self.rng.choice(([], ["crisis_intervention"])),
                   handover_to=self.rng.choice((None, {"organisation_type": "lokaal_team"})))

    def _service(self, c: uuid.UUID) -> None:
        if self.rng.random() < 0.5:
            self._case(c, "VtServiceStarted", service_id=self._id("service", fresh=True),
                       service="onderzoek", melding_id=None)
        else:
            self._case(c, "VtServiceCompleted", service_id=self._id("service", fresh=False),
                       result="no_further_action", conclusion="confirmed")

    def _monitoring(self, c: uuid.UUID) -> None:
        self._case(c, self.rng.choice(("VtMonitoringStarted", "VtMonitoringEnded")))

    def _closed(self, c: uuid.UUID) -> None:
        self._case(c, "Closed", reason="closed_after_assessment")

    def _phase(self, c: uuid.UUID) -> None:
        self._case(c, "PhaseChanged", from_phase="a", to_phase=self.rng.choice(("b", "c")),
                   how=self.rng.choice(("forward", "loop_back")))

    def _moment(self, c: uuid.UUID) -> None:
        kind = self.rng.choice(("CrisisMeasureTaken", "EscalatedToMda", "ReturnedToLocalTeam",
                                "ErvaringsdeskundigeInvolved", "CasusregisseurAssigned"))
        self._case(c, kind, measure="politie_inzet",
                   regisseur={"organisation": self.rng.choice(("lt1", "lt2"))})

    def _plegeraanbod(self, c: uuid.UUID) -> None:
        p = self.rng.choice(self.persons[:3])
        if self.rng.random() < 0.5:
            self._case(c, "PlegeraanbodOffered", person_id=p)
        else:
            self._case(c, "PlegeraanbodResponded", person_id=p, accepted=self.rng.random() < .5)

    def _huisverbod(self, c: uuid.UUID) -> None:
        kind = self.rng.choice(("HuisverbodImposed", "HuisverbodExtended", "HuisverbodRevoked",
                                "HuisverbodExpired", "HuisverbodContactAddressGiven"))
        hid = self._id("huisverbod", fresh=kind == "HuisverbodImposed")
        self._case(c, kind, huisverbod_id=hid, ends_at=self.t + timedelta(days=10),
                   new_end=self.t + timedelta(days=28))

    def _deadline(self, c: uuid.UUID) -> None:
        kind = self.rng.choice(("DeadlineStarted", "DeadlineStarted", "DeadlineMet",
                                "DeadlineBreached", "DeadlineClosedUnmet",
                                "DeadlineRescheduled"))
        did = self._id("deadline", fresh=kind == "DeadlineStarted")
        deadline = {"deadline_id": did, "rule_id": "T1", "rule_name": "beoordeling",
                    "rule_type": "A", "checkpoint": None, "subject_id": str(c),
                    "start": self.t, "due": self.t + timedelta(days=5),
                    "calendar_version": "v1"}
        self._case(c, kind, deadline=deadline, deadline_id=did, detected_at=self.t,
                   late_seconds=self.rng.choice((None, 30.5)), new_due=self.t,
                   calendar_version="v2")

    def _advies(self, c: uuid.UUID) -> None:
        recorded = self.rng.random() < 0.5
        aid = self._id("advies", fresh=recorded)
        kind = "AdviesRecorded" if recorded else "AdviesConvertedToMelding"
        self.events.append(_event("Advies", kind, originator_id=uuid.UUID(aid),
                                  originator_version=1, at=self.t, region="r1",
                                  gemeente="GM0599", melder_type="onderwijs",
                                  melding_id=str(uuid.uuid4())))

    def _other(self, c: uuid.UUID) -> None:
        self._case(c, "RiskFactorResolved")


_KINDS = ("opened", "opened", "melding", "melding", "melding", "person", "assessed",
          "assessed", "service", "monitoring", "monitoring", "closed", "phase", "moment",
          "plegeraanbod", "huisverbod", "deadline", "deadline", "advies", "other")


def _projections(seed: int) -> list[Projection]:
    projections = default_projections()
    if seed % 2:  # counting some roles only
        roles = frozenset({PersonRole.VICTIM, PersonRole.CHILD})
        settings = ClassificationSettings(lookback_years=1, counted_roles=roles)
        projections = [PersonIndexProjection(settings) if p.name == "person_index" else p
                       for p in projections]
    return projections


def _fold(projections: Sequence[Projection], events: list[object],
          sizes: list[int] | None = None) -> Rows:
    """Every row after folding ``events`` in batches of ``sizes`` (``None``: one by one,
    through ``Projection.apply``)."""
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            for projection in projections:
                projection.metadata.create_all(conn)
            if sizes is None:
                for position, e in enumerate(events, start=1):
                    for projection in projections:
                        if projection.wants(type(e).__name__):
                            projection.apply(conn, e, position)
                sizes = []
            start = 0
            for size in sizes:
                chunk = list(enumerate(events[start:start + size], start=start + 1))
                start += size
                for projection in projections:
                    wanted = [(e, p) for p, e in chunk if projection.wants(type(e).__name__)]
                    if wanted:
                        projection.apply_batch(conn, wanted)
            names = sorted(t.name for p in projections for t in p.tables())
            return {n: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{n}"'))),
                              key=repr) for n in names}
    finally:
        engine.dispose()


@pytest.mark.parametrize("seed", range(40))
def test_random_streams_fold_alike_in_any_split(seed: int) -> None:
    rng = random.Random(seed)
    stream = _Stream(rng)
    for _ in range(rng.choice((30, 120, 300))):
        stream.step()
    events = stream.events
    reference = _fold(_projections(seed), events)
    sizes: list[int] = []
    while sum(sizes) < len(events):
        sizes.append(rng.choice((1, 2, 3, 8, 40, 1000)))
    assert _fold(_projections(seed), events, sizes) == reference
    assert _fold(_projections(seed), events, [len(events)]) == reference


# Fold unit tests: the events whose fold reads rows written by earlier events. Each runs as
# one batch and as batches of one.

_CASE = uuid.UUID("00000000-0000-4000-8000-00000000000a")
_OTHER = uuid.UUID("00000000-0000-4000-8000-00000000000b")
_P = [f"00000000-0000-4000-8000-0000000000{i:02d}" for i in range(1, 6)]
_SPLITS = pytest.mark.parametrize("split", ["one batch", "batches of one"])


class _Case:
    """Synthetic events of one household case, numbered and dated."""

    def __init__(self, case_id: uuid.UUID = _CASE) -> None:
        self.case_id = case_id
        self.version = 0

    def __call__(self, kind: str, at: datetime | None, **fields: Any) -> object:
        self.version += 1
        return _event("HouseholdCase", kind, originator_id=self.case_id,
                      originator_version=self.version, at=at, **fields)

    def melding(self, at: datetime, *persons: tuple[str, str], **fields: Any) -> Any:
        values: dict[str, Any] = {
            "melding_id": str(uuid.uuid4()), "region": "r1", "gemeente": "GM0599",
            "melder_type": "politie", "acute": False, "from_advies": None, "reopened": False,
            "persons": [{"person_id": p, "role": r} for p, r in persons]}
        values.update(fields)
        return self("MeldingReceived", at, **values)


def _rows(projection: Projection, events: list[object], split: str) -> dict[str, list[Any]]:
    """The projection's rows (typed, as dicts) after folding ``events``."""
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            projection.metadata.create_all(conn)
            wanted = [(e, p) for p, e in enumerate(events, start=1)
                      if projection.wants(type(e).__name__)]
            if split == "batches of one":
                for e, p in wanted:
                    projection.apply(conn, e, p)
            else:
                projection.apply_batch(conn, wanted)
            return {t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                    for t in projection.tables()}
    finally:
        engine.dispose()


def _t(day: int, hour: int = 9) -> datetime:
    return _T0 + timedelta(days=day, hours=hour - 9)


def _naive(instant: datetime) -> datetime:
    return instant.replace(tzinfo=None)


@_SPLITS
def test_case_index_follows_a_warm_handover_and_ignores_unknown_cases(split: str) -> None:
    c, stray = _Case(), _Case(_OTHER)
    events = [
        stray("PhaseChanged", _t(0), from_phase="new", to_phase="triage", how="forward"),
        _event("Advies", "Opened", originator_id=_OTHER, originator_version=1,
               region="r9", gemeente="GM0001", opened_at=_t(0)),
        c("Opened", None, region="r1", gemeente="GM0599", opened_at=_t(0)),
        c.melding(_t(0), (_P[0], "victim")),
        c("PhaseChanged", _t(1), from_phase="new", to_phase="triage", how="forward"),
        c("CasusregisseurAssigned", _t(2), regisseur={"organisation": "lt-1"}),
        c("HandoverOffered", _t(3), to={"organisation": "lt-2"}),
        c("HandoverAccepted", _t(4)),
        c("PhaseChanged", _t(5), from_phase="herstel", to_phase="directe_veiligheid",
          how="loop_back"),
        c("Closed", _t(6), reason="closed_after_assessment"),
        c.melding(_t(7), (_P[0], "victim"), region="r2", gemeente="GM0606"),  # reopens
        c("RiskFactorResolved", None),  # no business time: last_event_at stays
    ]
    (row,) = _rows(CaseIndexProjection(), events, split)["rm_cases"]
    assert row == {
        "case_id": str(_CASE), "region": "r2", "gemeente": "GM0606",
        "phase": "directe_veiligheid", "opened_at": _naive(_t(0)),
        "phase_entered_at": _naive(_t(5)), "last_event_at": _naive(_t(7)), "version": 10,
        "meldingen": 2, "loop_backs": 1, "mda": "not_escalated",
        "regie_organisation": "lt-2", "regie_offered_to": None, "closure_reason": None}


@_SPLITS
def test_deadline_index_concludes_reschedules_and_ignores_unknown_ids(split: str) -> None:
    c = _Case()

    def started(did: str) -> object:
        return c("DeadlineStarted", _t(0), deadline={
            "deadline_id": did, "rule_id": "T1", "rule_name": "beoordeling", "rule_type": "A",
            "checkpoint": None, "subject_id": str(_CASE), "start": _t(0), "due": _t(5),
            "calendar_version": "v1"})

    events = [
        c("DeadlineMet", _t(0), deadline_id="unknown", late_seconds=None),
        started("d1"), started("d2"), started("d3"),
        c("DeadlineRescheduled", _t(1), deadline_id="d1", new_due=_t(6), calendar_version="v2"),
        c("DeadlineBreached", _t(7), deadline_id="d1", detected_at=_t(7)),
        c("DeadlineMet", _t(8), deadline_id="d1", late_seconds=86400.0),
        c("DeadlineMet", _t(2), deadline_id="d2", late_seconds=None),
        c("DeadlineClosedUnmet", _t(3), deadline_id="d3"),
    ]
    rows = {r["deadline_id"]: r for r in
            _rows(DeadlineIndexProjection(), events, split)["rm_deadlines"]}
    assert set(rows) == {"d1", "d2", "d3"}
    assert (rows["d1"]["status"], rows["d1"]["due"], rows["d1"]["calendar_version"],
            rows["d1"]["breached_at"], rows["d1"]["met_at"], rows["d1"]["late_seconds"]) == (
        "met_late", _naive(_t(6)), "v2", _naive(_t(7)), _naive(_t(8)), 86400.0)
    assert (rows["d2"]["status"], rows["d2"]["late_seconds"]) == ("met", None)
    assert (rows["d3"]["status"], rows["d3"]["met_at"]) == ("closed_unmet", _naive(_t(3)))


def _involvements(rows: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    return [(r["involvement_no"], r["stage"], r["last_stage"], r["ended_at"], r["end_event"])
            for r in sorted(rows["rm_vt_involvements"], key=lambda r: r["involvement_no"])]


@_SPLITS
def test_a_service_started_by_the_assessment_continues_the_involvement(split: str) -> None:
    c = _Case()
    m = c.melding(_t(0), (_P[0], "victim"), (_P[1], "alleged_perpetrator"))
    events = [m,
              c("VeiligheidsbeoordelingCompleted", _t(1), melding_id=m.melding_id),
              c("VtServiceStarted", _t(1)),  # same instant: the same decision
              c("PersonAdded", _t(2), person_id=_P[2], role="child"),
              c("VtServiceCompleted", _t(3))]
    rows = _rows(PersonIndexProjection(), events, split)
    assert _involvements(rows) == [(1, "ended", "after_assessment", _naive(_t(3)),
                                    "VtServiceCompleted")]
    linked = {(r["person_id"], r["involvement_no"]) for r in rows["rm_person_involvement"]}
    assert linked == {(_P[0], 1), (_P[1], 1), (_P[2], 1)}  # the added child joins it


@_SPLITS
def test_a_later_start_or_melding_opens_a_new_involvement_with_every_member(
    split: str
) -> None:
    c = _Case()
    m = c.melding(_t(0), (_P[0], "victim"), (_P[1], "alleged_perpetrator"))
    events = [m,
              c("VeiligheidsbeoordelingCompleted", _t(1), melding_id=m.melding_id),
              c("VtMonitoringStarted", _t(2)),  # after the end: a new involvement (#2)
              c("VtMonitoringEnded", _t(3)),
              c.melding(_t(4), (_P[3], "child"))]  # #3, with the earlier members too
    rows = _rows(PersonIndexProjection(), events, split)
    assert [i[:2] for i in _involvements(rows)] == [(1, "ended"), (2, "ended"),
                                                    (3, "during_assessment")]
    linked = {(r["person_id"], r["involvement_no"]) for r in rows["rm_person_involvement"]}
    assert {p for p, n in linked if n == 2} == {_P[0], _P[1]}
    assert {p for p, n in linked if n == 3} == {_P[0], _P[1], _P[3]}
    (household,) = rows["rm_household_cases"]
    assert household["is_open"] and household["last_melding_at"] == _naive(_t(4))


@_SPLITS
def test_classification_reads_the_involvements_of_other_cases(split: str) -> None:
    a, b, d, e = _Case(), _Case(_OTHER), _Case(uuid.uuid4()), _Case(uuid.uuid4())
    f = _Case(uuid.uuid4())
    ma = a.melding(_t(0), (_P[0], "victim"))
    events = [ma,
              b.melding(_t(1), (_P[0], "victim")),  # a's involvement runs: vervolgmelding
              a("Closed", _t(2), reason="closed_after_assessment"),
              b("Closed", _t(2), reason="closed_after_assessment"),
              d.melding(_t(400), (_P[0], "victim")),  # ended a year earlier: hermelding
              d("Closed", _t(401), reason="closed_after_assessment"),
              e.melding(_t(401 + 3 * 366), (_P[0], "victim")),  # outside 3 years: nieuw
              f.melding(_t(2000), (_P[0], "witness"))]  # a witness does not count here
    settings_ = ClassificationSettings(counted_roles=frozenset({PersonRole.VICTIM}))
    rows = _rows(PersonIndexProjection(settings_), events, split)
    got = {r["case_id"]: (r["classification"], r["vervolg_kind"], r["ref_case_id"],
                          r["persons_counted"], r["persons_matched"])
           for r in rows["rm_melding_classification"]}
    assert got == {
        str(a.case_id): ("nieuw", None, None, 1, 0),
        str(b.case_id): ("vervolgmelding", "during_assessment", str(a.case_id), 1, 1),
        str(d.case_id): ("hermelding", None, str(a.case_id), 1, 1),
        str(e.case_id): ("nieuw", None, str(d.case_id), 1, 0),
        str(f.case_id): ("nieuw", None, None, 0, 0),
    }


@_SPLITS
def test_monitor_facts_mark_open_rows_by_condition(split: str) -> None:
    c = _Case()
    m1 = c.melding(_t(0), (_P[0], "victim"))
    m2 = c.melding(_t(1), (_P[1], "child"), region="r2", gemeente="GM0606")
    events = [
        m1, m2,
        c("VeiligheidsbeoordelingCompleted", _t(2), melding_id=m1.melding_id,
          outcome="no_further_action", additional_measures=[], handover_to=None),
        c("CrisisMeasureTaken", _t(3), measure="politie_inzet"),  # marks m2 only
        c("PhaseChanged", _t(0), from_phase="new", to_phase="triage", how="forward"),
        c("PhaseChanged", _t(4), from_phase="triage", to_phase="directe_veiligheid",
          how="forward"),
        c("ErvaringsdeskundigeInvolved", _t(5)),
        c("ErvaringsdeskundigeInvolved", _t(6)),  # the first time counts
        c("PlegeraanbodOffered", _t(5), person_id=_P[1]),
        c("PlegeraanbodResponded", _t(6), person_id=_P[1], accepted=True),
        c("PlegeraanbodOffered", _t(7), person_id=_P[1]),  # a second offer, unanswered
        c("HuisverbodImposed", _t(7), huisverbod_id="h1", ends_at=_t(17)),
        c("HuisverbodExtended", _t(9), huisverbod_id="h1", new_end=_t(35)),
        c("HuisverbodRevoked", _t(10), huisverbod_id="unknown"),
    ]
    rows = _rows(MonitorFactsProjection(), events, split)
    crisis = {r["melding_id"]: r["crisis"] for r in rows["rm_meldingen"]}
    assert crisis == {m1.melding_id: False, m2.melding_id: True}
    (case,) = rows["rm_monitor_cases"]
    assert (case["region"], case["first_melding_at"], case["ervaringsdeskundige_at"]) == (
        "r2", _naive(_t(0)), _naive(_t(5)))
    stays = sorted((r["stay_id"], r["phase"], r["left_at"], r["to_phase"])
                   for r in rows["rm_phase_stays"])
    assert stays == [(5, "triage", _naive(_t(4)), "directe_veiligheid"),
                     (6, "directe_veiligheid", None, None)]
    offers = sorted((r["offer_id"], r["accepted"]) for r in rows["rm_plegeraanbod"])
    assert offers == [(9, True), (11, None)]
    (hv,) = rows["rm_huisverboden"]
    assert (hv["ends_at"], hv["extended_at"], hv["revoked_at"]) == (
        _naive(_t(35)), _naive(_t(9)), None)
    assert [r["kind"] for r in rows["rm_case_moments"]] == ["crisis_measure"]
