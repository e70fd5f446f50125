"""Tables of the person index: household cases and members, VT involvements, classifications.

The meaning of the rows (what an involvement is, when it starts and ends, how a melding is
classified) is described in :mod:`hgkm_workflow.projections.person_index`; the fold that
writes them is :mod:`hgkm_workflow.projections.person_fold`, the lookups that read them are
:mod:`hgkm_workflow.projections.person_queries`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
_ID = sa.String(36)

household_cases = sa.Table(
    "rm_household_cases",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("is_open", sa.Boolean, nullable=False),
    sa.Column("last_melding_at", sa.DateTime, nullable=False),
)

household_members = sa.Table(
    "rm_household_members",
    metadata,
    sa.Column("person_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("since", sa.DateTime, nullable=False),
    sa.Index("ix_rm_household_members_case", "case_id"),
)

vt_involvements = sa.Table(
    "rm_vt_involvements",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("involvement_no", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("started_by", _ID, nullable=True),
    sa.Column("pending_assessments", sa.Integer, nullable=False),
    sa.Column("service_running", sa.Boolean, nullable=False),
    sa.Column("monitoring_running", sa.Boolean, nullable=False),
    sa.Column("stage", sa.String(24), nullable=False),
    sa.Column("last_stage", sa.String(24), nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_event", sa.String(48), nullable=True),
)

person_involvement = sa.Table(
    "rm_person_involvement",
    metadata,
    sa.Column("person_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("involvement_no", sa.Integer, primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Column("joined_at", sa.DateTime, nullable=False),
    sa.Index("ix_rm_person_involvement_case", "case_id", "involvement_no"),
)

melding_classification = sa.Table(
    "rm_melding_classification",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("classification", sa.String(16), nullable=False),
    sa.Column("vervolg_kind", sa.String(24), nullable=True),
    sa.Column("ref_person_id", _ID, nullable=True),
    sa.Column("ref_role", sa.String(32), nullable=True),
    sa.Column("ref_case_id", _ID, nullable=True),
    sa.Column("ref_involvement_no", sa.Integer, nullable=True),
    sa.Column("ref_started_at", sa.DateTime, nullable=True),
    sa.Column("ref_ended_at", sa.DateTime, nullable=True),
    sa.Column("persons_counted", sa.Integer, nullable=False),
    sa.Column("persons_matched", sa.Integer, nullable=False),
    sa.Column("lookback_years", sa.Integer, nullable=False),
    sa.Column("cutoff_on", sa.Date, nullable=False),
    sa.Column("counted_roles", sa.String(160), nullable=False),
    sa.Column("hermelding_basis", sa.String(16), nullable=False),
    sa.Column("classified_by", sa.Integer, nullable=False),
    sa.Index("ix_rm_melding_class_region", "region", "received_at"),
    sa.Index("ix_rm_melding_class_gemeente", "gemeente", "received_at"),
    sa.Index("ix_rm_melding_class_received", "received_at"),
)

case_facts = sa.Table(
    "rm_case_facts",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("kind", sa.String(48), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=True),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Column("region", sa.String(64), nullable=True),
    sa.Column("gemeente", sa.String(8), nullable=True),
    sa.Column("persons", sa.Text, nullable=False),
    sa.Index("ix_rm_case_facts_case", "case_id"),
    # the monitor joins a melding's own fact (classified_meldingen): without it, a full scan
    # of the facts per melding, quadratic in the store
    sa.Index("ix_rm_case_facts_melding", "melding_id", "kind"),
)
"""One row per event of a household case the classification reads (business-time replay)."""

classification_changes = sa.Table(
    "rm_classification_changes",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("cause_case_id", _ID, nullable=False),
    sa.Column("cause_version", sa.Integer, nullable=False),
    sa.Column("cause_event", sa.String(48), nullable=False),
    sa.Column("old_classification", sa.String(16), nullable=False),
    sa.Column("old_vervolg_kind", sa.String(24), nullable=True),
    sa.Column("new_classification", sa.String(16), nullable=False),
    sa.Column("new_vervolg_kind", sa.String(24), nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=True),
)
"""A late fact (the event at ``position``) changed a melding's class or vervolg kind."""

melding_found = sa.Table(
    "rm_melding_found",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("match", sa.String(16), nullable=False),
    sa.Column("found_by", sa.String(16), nullable=True),
    sa.Index("ix_rm_melding_found_case", "case_id"),
)
"""How each melding came to its case (``match``) and how the intake found it (``found_by``,
``null`` for meldingen recorded before ``MeldingCaseFound``): :mod:`.person_found`."""
