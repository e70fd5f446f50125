"""Fact tables of the monitor: one row per melding, advies, phase stay, huisverbod, ….

Every monitor figure (:mod:`hgkm_workflow.monitor`) is a SQL aggregate over these tables,
the classification table of the person index and the deadline index (``rm_deadlines``, for
timeliness). Rows are keyed by the domain id (melding, advies, huisverbod, VT service) or,
for facts without one, by the notification id of the event that created them, so a rebuild
writes exactly the rows incremental processing wrote.

Region and gemeente: a melding and an advies carry their own. Case-level facts (phase stays,
huisverboden, MDA++ moves, crisis measures, plegeraanbod) are attributed through
``rm_monitor_cases``, which holds the region and gemeente of the case's latest melding.

This module holds the tables; :mod:`hgkm_workflow.projections.monitor_facts` folds the events
into them and :mod:`hgkm_workflow.monitor.queries` reads them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
_ID = sa.String(36)

monitor_cases = sa.Table(
    "rm_monitor_cases",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("first_melding_at", sa.DateTime, nullable=False),
    sa.Column("ervaringsdeskundige_at", sa.DateTime, nullable=True),
    sa.Index("ix_rm_monitor_cases_region", "region", "gemeente"),
)

meldingen = sa.Table(
    "rm_meldingen",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("melder_type", sa.String(32), nullable=False),
    sa.Column("acute", sa.Boolean, nullable=False),
    sa.Column("from_advies", sa.Boolean, nullable=False),
    sa.Column("reopened", sa.Boolean, nullable=False),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("assessed_at", sa.DateTime, nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("additional_measures", sa.String(300), nullable=True),
    sa.Column("handover_type", sa.String(32), nullable=True),
    sa.Column("crisis", sa.Boolean, nullable=False),
    sa.Index("ix_rm_meldingen_region", "region", "received_at"),
    sa.Index("ix_rm_meldingen_received", "received_at"),
    sa.Index("ix_rm_meldingen_case", "case_id"),
    sa.Index("ix_rm_meldingen_assessed", "assessed_at"),
)

adviezen = sa.Table(
    "rm_adviezen",
    metadata,
    sa.Column("advies_id", _ID, primary_key=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("melder_type", sa.String(32), nullable=False),
    sa.Column("converted_at", sa.DateTime, nullable=True),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Index("ix_rm_adviezen_region", "region", "received_at"),
    sa.Index("ix_rm_adviezen_received", "received_at"),
    sa.Index("ix_rm_adviezen_converted", "converted_at"),
)

phase_stays = sa.Table(
    "rm_phase_stays",
    metadata,
    sa.Column("stay_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("phase", sa.String(32), nullable=False),
    sa.Column("from_phase", sa.String(32), nullable=False),
    sa.Column("how_entered", sa.String(32), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.Column("left_at", sa.DateTime, nullable=True),
    sa.Column("to_phase", sa.String(32), nullable=True),
    sa.Column("how_left", sa.String(32), nullable=True),
    sa.Index("ix_rm_phase_stays_case", "case_id", "left_at"),
    sa.Index("ix_rm_phase_stays_entered", "entered_at"),
    sa.Index("ix_rm_phase_stays_left", "left_at"),
)

vt_services = sa.Table(
    "rm_vt_services",
    metadata,
    sa.Column("service_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("completed_at", sa.DateTime, nullable=True),
    sa.Column("result", sa.String(32), nullable=True),
    sa.Column("conclusion", sa.String(32), nullable=True),
    sa.Index("ix_rm_vt_services_case", "case_id"),
    sa.Index("ix_rm_vt_services_started", "started_at"),
)

huisverboden = sa.Table(
    "rm_huisverboden",
    metadata,
    sa.Column("huisverbod_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("imposed_at", sa.DateTime, nullable=False),
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Column("extended_at", sa.DateTime, nullable=True),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
    sa.Column("expired_at", sa.DateTime, nullable=True),
    sa.Column("contact_address_at", sa.DateTime, nullable=True),
    sa.Index("ix_rm_huisverboden_imposed", "imposed_at"),
    sa.Index("ix_rm_huisverboden_case", "case_id"),
    sa.Index("ix_rm_huisverboden_extended", "extended_at"),
    sa.Index("ix_rm_huisverboden_revoked", "revoked_at"),
)

case_moments = sa.Table(
    "rm_case_moments",
    metadata,
    sa.Column("moment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.String(32), nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_rm_case_moments_kind", "kind", "at"),
    sa.Index("ix_rm_case_moments_case", "case_id"),
    sa.Index("ix_rm_case_moments_at", "at"),
)
"""Dated moments of a case: ``mda_escalated``, ``mda_returned``, ``crisis_measure``,
``emergency_access``."""

plegeraanbod = sa.Table(
    "rm_plegeraanbod",
    metadata,
    sa.Column("offer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("person_id", _ID, nullable=False),
    sa.Column("offered_at", sa.DateTime, nullable=False),
    sa.Column("responded_at", sa.DateTime, nullable=True),
    sa.Column("accepted", sa.Boolean, nullable=True),
    sa.Index("ix_rm_plegeraanbod_case", "case_id", "person_id"),
    sa.Index("ix_rm_plegeraanbod_offered", "offered_at"),
    sa.Index("ix_rm_plegeraanbod_responded", "responded_at"),
)

monitor_deadlines = sa.Table(
    "rm_monitor_deadlines",
    metadata,
    sa.Column("deadline_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("rule_id", sa.String(8), nullable=False),
    sa.Column("checkpoint", sa.Integer, nullable=True),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("due", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("met_at", sa.DateTime, nullable=True),
    sa.Column("late_seconds", sa.Float, nullable=True),
    sa.Index("ix_rm_monitor_deadlines_case", "case_id"),
    sa.Index("ix_rm_monitor_deadlines_start", "start"),
    sa.Index("ix_rm_monitor_deadlines_due", "due"),
    sa.Index("ix_rm_monitor_deadlines_met", "met_at"),
)
"""The main deadlines of every case (as ``rm_deadlines`` of the deadline index keeps them,
without the tick's breach columns): the monitor's own copy, so its fold can move a deadline's
counts when it is met, closed, rescheduled or reopened."""

monitor_deadline_touches = sa.Table(
    "rm_monitor_deadline_touches",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("deadline_id", _ID, primary_key=True),
    sa.Column("instant", sa.DateTime, nullable=False),
    sa.Index("ix_rm_monitor_deadline_touches_instant", "instant"),
)
"""Every instant at which a main deadline touched a period, as known at any time: its due
instant at the start and at each reschedule, its met and closed instants (keyed by the
notification id of the event). A restatement finds the deadlines a period's figures can count
through the index on ``instant`` (:func:`hgkm_workflow.monitor.restate_timeliness.
restate_timeliness`) instead of scanning every deadline's history."""

monitor_open_months = sa.Table(
    "rm_monitor_open_months",
    metadata,
    sa.Column("month", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("stay_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
)
"""The ended stays in an open phase that cover the start of a month (``month``: the date
ordinal of its first day; its Amsterdam midnight lies in ``[entered_at, left_at)``), so the
active cases of a period are the period's own rows (:mod:`hgkm_workflow.monitor.counted`).
Kept with the counts: moved live while they are valid, derived by ``settle`` after a rebuild
(:mod:`hgkm_workflow.projections.monitor_settle`)."""

monitor_counts = sa.Table(
    "rm_monitor_counts",
    metadata,
    sa.Column("metric", sa.String(16), primary_key=True),
    sa.Column("res", sa.String(1), primary_key=True),
    sa.Column("b1", sa.Integer, primary_key=True),
    sa.Column("region", sa.String(64), primary_key=True),
    sa.Column("gemeente", sa.String(8), primary_key=True),
    sa.Column("b2", sa.Integer, primary_key=True),
    sa.Column("dim", sa.String(72), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("total_us", sa.BigInteger, nullable=False),
    sa.Index("ix_rm_monitor_counts_bucket", "res", "b1"),
)
"""Maintained counts (:mod:`hgkm_workflow.projections.monitor_counts`): how many facts of a
metric fall in a bucket of business time, per region, gemeente and dimension (melder type,
outcome, phase, rule …), with the sum of their values in microseconds. ``res`` is ``d`` (``b1``
is the Amsterdam date's ordinal) or ``m`` (the ordinal of the first of its month; entries
with one instant only); ``b2`` is the date ordinal of a second instant (0: none)."""

monitor_settled = sa.Table(
    "rm_monitor_settled",
    metadata,
    sa.Column("what", sa.String(16), primary_key=True),
)
"""Whether ``rm_monitor_counts`` is valid: a row ``what = 'counts'`` once the projection's
``settle`` derived the counts from the finished fact rows. Absent after the tables are
reset (a rebuild, or a rebuild killed midway): the fold then moves no counts and the monitor
recomputes every figure until a later catch-up or rebuild settles."""
