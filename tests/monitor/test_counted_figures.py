"""The figures read from the maintained counts equal the figures recomputed from the facts.

``monitor_report`` reads ``rm_monitor_counts`` (:mod:`hgkm_workflow.monitor.counted`); inside
``recomputing()`` it recomputes every figure from the fact tables, the deadline index and the
person index as before. The whole report JSON must be the same (sums of durations within
1e-9: the counts keep microseconds, the recomputation sums floats), on a varied store
(example scenarios and a small simulation, SQLite and PostgreSQL) for every period, region
and gemeente, with report instants at period ends, at Amsterdam midnights and exactly at
stored facts' instants (the edges of every "by the report instant"), and, as a hypothesis
property, on random event streams (late facts back in business time, corrections, unknown ids)
folded in random batch splits.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor.counted import recomputing
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.report import monitor_report
from hgkm_workflow.projections.monitor_tables import meldingen, monitor_cases, phase_stays
from hgkm_workflow.projections.monitor_tables import monitor_deadlines as md
from hgkm_workflow.projections.registry import default_projections
from hgkm_workflow.scenario import run_scenario
from hgkm_workflow.simulation import SimulationConfig, run_simulation
from tests.projections.test_projection_batch import _Stream
from tests.support import fresh_pg_database, pg_available

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def close(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (floats within 1e-9)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        ok = (isinstance(a, int | float) and isinstance(b, int | float)
              and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))
        return [] if ok else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def differences(engine: sa.Engine, region: str | None, gemeente: str | None,
                period: Period, as_of: datetime | None) -> list[str]:
    """Counted against recomputed report, as JSON."""
    counted = monitor_report(engine, region, gemeente, period, as_of=as_of).as_dict()
    with recomputing():
        again = monitor_report(engine, region, gemeente, period, as_of=as_of).as_dict()
    assert (counted.pop("figures_from"), again.pop("figures_from")) == ("counts", "recomputed")
    return close(counted, again, f"{period.label} {region} {gemeente} {as_of}")


def periods_of(engine: sa.Engine) -> list[Period]:
    """Every year, half-year, quarter and month holding a melding or a phase change."""
    with engine.connect() as conn:
        instants = [*conn.execute(sa.select(meldingen.c.received_at)).scalars(),
                    *conn.execute(sa.select(phase_stays.c.entered_at)).scalars()]
    out: set[Period] = set()
    for t in instants:
        for months in (12, 6, 3, 1):
            out.add(Period.containing(t.replace(tzinfo=UTC), months))
    return sorted(out)


def _periods_holding(engine: sa.Engine, region: str | None, gemeente: str | None) -> set[Period]:
    """The periods holding one of the selection's meldingen."""
    query = sa.select(meldingen.c.received_at)
    if region is not None:
        query = query.where(meldingen.c.region == region)
    if gemeente is not None:
        query = query.where(meldingen.c.gemeente == gemeente)
    with engine.connect() as conn:
        instants = list(conn.execute(query).scalars())
    return {Period.containing(t.replace(tzinfo=UTC), months)
            for t in instants for months in (12, 6, 3)}


def edge_instants(engine: sa.Engine, count: int, rng: random.Random) -> list[datetime]:
    """Stored facts' own instants (aware UTC), the Amsterdam midnights of some of them and
    a moment later: report instants on the edges of the partial day."""
    with engine.connect() as conn:
        found = [t for q in (sa.select(meldingen.c.assessed_at), sa.select(md.c.met_at),
                             sa.select(md.c.due), sa.select(phase_stays.c.left_at),
                             sa.select(meldingen.c.received_at))
                 for t in conn.execute(q).scalars() if t is not None]
    picked = rng.sample(found, min(count, len(found)))
    out = [t.replace(tzinfo=UTC) for t in picked]
    out += [Period.containing(t, 1).start for t in out[: count // 3]]
    out += [t + timedelta(microseconds=1) for t in out[: count // 3]]
    return out


def selections(engine: sa.Engine) -> list[tuple[str | None, str | None]]:
    with engine.connect() as conn:
        pairs = conn.execute(sa.select(monitor_cases.c.region, monitor_cases.c.gemeente)
                             .distinct()).all()
    regions = sorted({r for r, _ in pairs})
    return [(None, None), *((r, None) for r in regions), *((r, g) for r, g in sorted(pairs)),
            (None, sorted(g for _, g in pairs)[0])]


def _fill(url: str) -> HgkmApplication:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        run_scenario(path, url, reload_run=False)
    clock = SettableClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    run_simulation(app, clock, SimulationConfig(region="rotterdam-rijnmond",
                                                start=date(2025, 1, 1), until=date(2025, 3, 10),
                                                scale=0.03, seed=5))
    app.catch_up()
    return app


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def varied(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[HgkmApplication]:
    """Every example scenario and a small simulation in one store, per backend."""
    if request.param == "sqlite":
        app = _fill(f"sqlite:///{tmp_path_factory.mktemp('counted') / 'varied.db'}")
        yield app
        app.close()
        return
    if not pg_available():
        if os.environ.get("HGKM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (HGKM_REQUIRE_POSTGRES=1) but does not answer")
        pytest.skip("PostgreSQL not reachable; run bash .ci/start-postgres.sh")
    with fresh_pg_database() as url:
        app = _fill(url)
        yield app
        app.close()


def test_every_period_and_selection_gives_the_recomputed_report(
        varied: HgkmApplication) -> None:
    engine = varied.engine
    periods = periods_of(engine)
    assert len(periods) >= 8
    with engine.connect() as conn:  # the counts are there and hold every kind of metric
        metrics = set(conn.execute(sa.text("SELECT DISTINCT metric FROM rm_monitor_counts"))
                      .scalars())
    assert {"m", "m.type", "assessed", "a", "a.converted", "flow", "stay.in", "stay.out",
            "stay.left", "vt", "hv", "hv.extended", "dl.start", "dl.end", "dl.met",
            "dl.met_late", "moment"} <= metrics
    # Every period for the whole country; each region, gemeente and the gemeente-only
    # selection in four periods of three months or more drawn with a fixed seed (the full
    # product was 867 reports at about 0.1-0.3 s each, a third of the suite's time).
    rng = random.Random(29)
    long_periods = [p for p in periods if p.months >= 3]
    pairs = [((None, None), p) for p in periods]
    for sel in selections(engine):
        if sel == (None, None):
            continue
        own = _periods_holding(engine, *sel) & set(long_periods)
        pool = sorted(own) or long_periods
        pairs += [(sel, p) for p in rng.sample(pool, min(4, len(pool)))]
    found = [d for sel, p in pairs for d in differences(engine, *sel, p, None)]
    assert found == []


def test_report_instants_on_the_edges_give_the_recomputed_report(
        varied: HgkmApplication) -> None:
    engine, rng = varied.engine, random.Random(17)
    sels = selections(engine)
    found: list[str] = []
    for t in edge_instants(engine, 45, rng):
        for months in (1, 6):
            sel = rng.choice(sels)
            found += differences(engine, *sel, Period.containing(t, months), t)
    assert found == []


def _fold(events: list[object], sizes: list[int], *, live: bool = True) -> sa.Engine:
    """Fold the events in batches of the given sizes. ``live``: settle the empty tables
    first, so every batch moves the counts; otherwise fold as a rebuild does (no counts)
    and settle at the end (the counts derived once from the fact rows)."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    projections = default_projections()
    with engine.begin() as conn:
        for projection in projections:
            projection.metadata.create_all(conn)
            if live:
                projection.settle(conn)
        start = 0
        for size in sizes:
            chunk = list(enumerate(events[start:start + size], start=start + 1))
            start += size
            for projection in projections:
                wanted = [(e, p) for p, e in chunk if projection.wants(type(e).__name__)]
                if wanted:
                    projection.apply_batch(conn, wanted)
        if not live:
            for projection in projections:
                projection.settle(conn)
    return engine


def _counts(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """The maintained counts and open months."""
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT metric, res, b1, region, gemeente, b2, dim, n, total_us "
            "FROM rm_monitor_counts"))) + sorted(tuple(r) for r in conn.execute(sa.text(
                "SELECT month, stay_id, case_id FROM rm_monitor_open_months")))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), steps=st.sampled_from((40, 150, 400)),
       split=st.lists(st.sampled_from((1, 2, 5, 30, 1000)), min_size=1, max_size=20))
def test_random_streams_give_the_recomputed_report(seed: int, steps: int,
                                                   split: list[int]) -> None:
    rng = random.Random(seed)
    stream = _Stream(rng)
    for _ in range(steps):
        stream.step()
    events = stream.events
    sizes = list(split)
    while sum(sizes) < len(events):
        sizes.append(sizes[-1])
    engine = _fold(events, sizes)
    rebuilt = _fold(events, [len(events)], live=False)
    try:
        assert _counts(engine) == _counts(rebuilt)  # moved live == derived once
        assert _touching_both_ways(engine, [Period.containing(t, 1) for t in
                                            edge_instants(engine, 4, rng)], [None]) == []
        sels = selections(engine)
        found: list[str] = []
        for t in edge_instants(engine, 6, rng):
            found += differences(engine, *rng.choice(sels),
                                 Period.containing(t, rng.choice((1, 3, 12))),
                                 rng.choice((t, None)))
        assert found == []
    finally:
        engine.dispose()
        rebuilt.dispose()


def _touching_both_ways(engine: sa.Engine, periods: list[Period],
                        known: list[datetime | None]) -> list[str]:
    """The deadline states a restatement folds, found through the monitor's deadline
    touches, against those found by scanning the history (``touching=``, the reference)."""
    from hgkm_workflow.monitor.figures import TIMELINESS_RULES
    from hgkm_workflow.projections.deadline_history import deadline_history, deadline_states
    from hgkm_workflow.projections.monitor_tables import monitor_deadline_touches as t

    rules, found = tuple(TIMELINESS_RULES), []
    with engine.connect() as conn:
        for p in periods:
            start, end = p.start.replace(tzinfo=None), p.end.replace(tzinfo=None)
            ids = deadline_history.c.deadline_id.in_(
                sa.select(t.c.deadline_id).where(t.c.instant >= start, t.c.instant < end))
            for at in known:
                ref = deadline_states(conn, rules, (), known_at=at, touching=(start, end))
                fast = deadline_states(conn, rules, (ids,), known_at=at)
                if ref != fast:
                    found.append(f"{p.label} known at {at}: {sorted(ref)} != {sorted(fast)}")
    return found


def test_the_restatement_finds_the_deadlines_through_the_touches(
        varied: HgkmApplication) -> None:
    engine = varied.engine
    with engine.connect() as conn:
        recorded = sorted(conn.execute(sa.text(
            "SELECT DISTINCT recorded_at FROM rm_deadline_history")).scalars())
        touched = conn.execute(sa.text("SELECT count(*) FROM rm_monitor_deadline_touches")
                               ).scalar_one()
    assert touched > 20
    known: list[datetime | None] = [None, *recorded[:: max(1, len(recorded) // 6)]]
    assert _touching_both_ways(engine, periods_of(engine), known) == []
