"""Test support: actors, a postgres database factory and a household driver."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from hgkm_workflow.access import Access
from hgkm_workflow.application import CommandResult, HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:55432/hgkm_test"

VT = {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond", "role": "vt_medewerker"}
LT = {"actor_id": "lt-003", "organisation": "wijkteam-noord", "role": "lokaal_team"}
LT2 = {"actor_id": "lt-044", "organisation": "wijkteam-zuid", "role": "lokaal_team"}
BURGEMEESTER = {"actor_id": "bm-001", "organisation": "gemeente-rotterdam", "role": "burgemeester"}
MDA = {"actor_id": "zc-002", "organisation": "mda-rotterdam", "role": "zorgcoordinator_mda"}
#: Who the tests read as: an auditor with purpose audit may read every case (the access policy
#: grants it; every read is in the access log). Tests of the policy itself use other actors.
READ = Access.model_validate({
    "actor": {"actor_id": "test-auditor", "organisation": "hgkm-test", "role": "auditor"},
    "purpose": "audit",
})
LT_REGISSEUR = {"actor_id": "lt-003", "organisation": "wijkteam-noord",
                "organisation_type": "lokaal_team"}
LT2_REGISSEUR = {"actor_id": "lt-044", "organisation": "wijkteam-zuid",
                 "organisation_type": "lokaal_team"}


def pg_admin_url() -> str:
    """The PostgreSQL server used by the tests."""
    return os.environ.get("HGKM_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def pg_available() -> bool:
    """Whether the test PostgreSQL server answers."""
    import psycopg

    try:
        with psycopg.connect(_psycopg_dsn(pg_admin_url()), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


_PG_ANSWERS: bool | None = None


def require_postgres() -> None:
    """Skip the calling test without a PostgreSQL server, or fail it when CI requires one.

    The probe runs once per process (``HGKM_REQUIRE_POSTGRES=1`` turns the skip into a
    failure, so CI never passes by skipping the production store).
    """
    global _PG_ANSWERS  # noqa: PLW0603 - cached probe
    if _PG_ANSWERS is None:
        _PG_ANSWERS = pg_available()
    if _PG_ANSWERS:
        return
    import pytest

    if os.environ.get("HGKM_REQUIRE_POSTGRES") == "1":
        pytest.fail("PostgreSQL is required (HGKM_REQUIRE_POSTGRES=1) but does not answer")
    pytest.skip("PostgreSQL not reachable; run bash .ci/start-postgres.sh")


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards; yields its URL."""
    import psycopg

    admin = pg_admin_url()
    name = f"hgkm_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_dsn(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()
        with psycopg.connect(_psycopg_dsn(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Household:
    """Drives one household case through the application, with readable defaults."""

    def __init__(self, app: HgkmApplication, clock: SettableClock, *,
                 region: str = "rotterdam-rijnmond", gemeente: str = "GM0599",
                 case_id: UUID | None = None) -> None:
        self.app = app
        self.clock = clock
        self.region = region
        self.gemeente = gemeente
        self.victim = uuid.uuid4()
        self.perpetrator = uuid.uuid4()
        self.child = uuid.uuid4()
        self.case_id: UUID | None = case_id
        self.melding_id: UUID | None = None
        self.huisverbod_id: UUID | None = None

    def persons(self) -> list[dict[str, str]]:
        return [
            {"person_id": str(self.victim), "role": "victim"},
            {"person_id": str(self.perpetrator), "role": "alleged_perpetrator"},
            {"person_id": str(self.child), "role": "child"},
        ]

    def melding(self, *, acute: bool = False, melder_type: str = "politie",
                persons: list[dict[str, str]] | None = None, **extra: Any) -> CommandResult:
        data: dict[str, Any] = {
            "actor": self.vt, "rationale": "melding received by phone from the police",
            "region": self.region, "gemeente": self.gemeente, "melder_type": melder_type,
            "persons": persons or self.persons(), "forms_of_violence": ["partnergeweld"],
            "acute": acute, **extra,
        }
        if self.case_id is not None:
            data["case_id"] = str(self.case_id)
        result = self.app.receive_melding(data)
        self.case_id = result.case_id
        self.melding_id = result.ids["melding_id"]
        return result

    def cmd(self, **data: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"actor": self.vt, "rationale": "decided in the team meeting",
                                "case_id": str(self.case_id)}
        base.update(data)
        return base

    def assess(self, outcome: str, **extra: Any) -> CommandResult:
        data = self.cmd(melding_id=str(self.melding_id), outcome=outcome, **extra)
        if outcome in ("handover_local_team", "handover_existing_care"):
            data.setdefault("veiligheidsvoorwaarden", ["geen_geweld", "pleger_accepteert_hulp"])
            data.setdefault("handover_to", LT_REGISSEUR)
        return self.app.complete_veiligheidsbeoordeling(data)

    @property
    def vt(self) -> dict[str, str]:
        """Veilig Thuis of the household's region (the authority policy's table convention)."""
        region = getattr(self, "region", "rotterdam-rijnmond")
        return VT if region == "rotterdam-rijnmond" else {**VT, "organisation": f"vt-{region}"}

    def to_directe_veiligheid(self) -> None:
        self.melding()
        self.assess("handover_local_team")

    def through_directe_veiligheid(self) -> None:
        self.app.confirm_acute_unsafety_removed(self.cmd(actor=LT))
        self.app.complete_directe_veiligheid(self.cmd(actor=LT))

    def through_risicogestuurde_zorg(self, actor: dict[str, str] = LT) -> None:
        """``actor``: the casusregisseur (the local team unless it handed casusregie over)."""
        self.app.set_hulpverleningsplan(self.cmd(actor=actor, risk_factors=["verslaving"]))
        self.app.resolve_risk_factor(self.cmd(actor=actor, factor="verslaving"))
        self.app.confirm_stable_safety(self.cmd(actor=actor))
        self.app.complete_risicogestuurde_zorg(self.cmd(actor=actor))

    def through_herstel(self, actor: dict[str, str] = LT) -> None:
        """``actor``: the casusregisseur."""
        self.app.set_herstelplan(self.cmd(actor=actor, interventions=["traumabehandeling_kind"]))
        self.app.complete_herstelplan(self.cmd(actor=actor))
        self.app.complete_herstel(self.cmd(actor=actor))

    def to_waakvlam(self) -> None:
        self.to_directe_veiligheid()
        self.through_directe_veiligheid()
        self.through_risicogestuurde_zorg()
        self.through_herstel()

    def advance(self, **kwargs: float) -> datetime:
        return self.clock.advance(timedelta(**kwargs))


def stored_event_rows(app: HgkmApplication) -> list[tuple[Any, ...]]:
    """Every row of the events table, for byte-for-byte comparisons."""
    import sqlalchemy as sa

    table = "stored_events" if app.config.kind.value == "sqlite" else "hgkm_events"
    with app.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        if table not in names:
            table = next(n for n in names if "event" in n and not n.startswith("rm_"))
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))]


def refused(app: HgkmApplication, call: Callable[[], Any],
            kind: type[HgkmError] = HgkmError) -> HgkmError:
    """Run ``call``, expect a refusal of ``kind``, and check that no event was stored."""
    before = stored_event_rows(app)
    with pytest.raises(kind) as info:
        call()
    assert stored_event_rows(app) == before
    return info.value


def poison_event(app: HgkmApplication, case_id: UUID, version: int = 2) -> None:
    """Overwrite the stored state of one event of ``case_id`` with bytes that do not decode.

    As a damaged disk, a bad restore or a DBA's edit would: the store must go on for
    every other case.
    """
    with app.engine.begin() as conn:
        table = next(t for t in sa.inspect(conn).get_table_names()
                     if t.endswith("events") and "snapshot" not in t)
        postgres = conn.dialect.name == "postgresql"
        ident = "CAST(:id AS uuid)" if postgres else ":id"  # SQLite keeps the hex form
        changed = conn.execute(sa.text(
            f"UPDATE {table} SET state = :bad WHERE originator_id = {ident} "
            "AND originator_version = :version"),
            {"bad": b"\x00 not an event", "id": str(case_id) if postgres else case_id.hex,
             "version": version})
        assert changed.rowcount == 1
