"""Person index and CBS classification of meldingen (read models of the person index).

**VT involvement.** Veilig Thuis is involved with a household case from the receipt of a
melding until its involvement ends. Per case the projection follows three activities:
meldingen awaiting their veiligheidsbeoordeling, a running VT service (onderzoek or
Voorwaarden en Vervolg) and VT monitoring after a handover. An *involvement* (a row of
``rm_vt_involvements``) starts with a melding when none of the three runs, and ends at the
event that stops the last one: ``VeiligheidsbeoordelingCompleted`` (an outcome that starts
neither a service nor monitoring), ``VtServiceCompleted`` (no monitoring follows),
``VtMonitoringEnded``, or ``Closed``. A service or monitoring started by the same decision
(``VtServiceStarted`` / ``VtMonitoringStarted`` in the same save, at the same instant)
continues the involvement instead of ending it. VT is involved with the household: every
member of the case (named in one of its meldingen or added to it) is linked to the case's
involvements in ``rm_person_involvement`` — members known when an involvement starts, and
persons named or added while it runs. ``rm_household_members`` lists every person of every
case.

**Classification by business time, as known now** (CBS Monitor Veilig Thuis; only persons
whose role is counted, see :class:`~hgkm_workflow.settings.ClassificationSettings`): each
case's facts are replayed in business-time order (:mod:`.person_timeline`) and a melding is
classified at its point ``(at, position)`` from every fact recorded so far
(:mod:`.person_classify`); a late fact reclassifies the meldingen it affects, each change a
row of ``rm_classification_changes``:

* *vervolgmelding* — an involvement of the melding's own case runs at receipt (whoever it
  names), or one of the persons is in an involvement running then; its kind is that
  involvement's stage at receipt: ``after_assessment`` (a VT service runs) before
  ``during_monitoring`` before ``during_assessment``;
* *hermelding* — otherwise, one of the persons (with ``hermelding_basis="household"`` also
  the own case) was in an involvement that ended before receipt, on or after the same
  calendar date ``lookback_years`` earlier (Europe/Amsterdam dates; the boundary day counts:
  "in de afgelopen drie jaar", inclusive);
* *nieuw* — otherwise.

Each row keeps the reference involvement (which person, which case, which dates) so it can be
explained. The index tables above follow recording order; they serve the lookup of a
household's open case (:func:`open_case_for_persons`) and :func:`involvements_of`.

**Where things are.** The tables are in :mod:`~hgkm_workflow.projections.person_tables`, the
rules (stages, classification) in :mod:`~hgkm_workflow.projections.person_rules`, the fold in
:mod:`~hgkm_workflow.projections.person_fold` and the lookups in
:mod:`~hgkm_workflow.projections.person_queries`, the business-time classification in
:mod:`~hgkm_workflow.projections.person_timeline` and
:mod:`~hgkm_workflow.projections.person_classify`; this module re-exports their public names.
"""

from hgkm_workflow.projections.person_fold import PersonIndexProjection, person_index_projection
from hgkm_workflow.projections.person_queries import (
    InvolvementRef,
    MeldingClassification,
    MeldingNotClassified,
    PersonInvolvement,
    get_classification,
    involvements_of,
    open_case_for_persons,
)
from hgkm_workflow.projections.person_rules import (
    Classifier,
    MeldingClass,
    VervolgKind,
    involvement_change,
    lookback_cutoff,
    melding_joins,
    new_involvement,
)
from hgkm_workflow.projections.person_tables import (
    household_cases,
    household_members,
    melding_classification,
    metadata,
    person_involvement,
    vt_involvements,
)

__all__ = [
    "Classifier",
    "InvolvementRef",
    "MeldingClass",
    "MeldingClassification",
    "MeldingNotClassified",
    "PersonIndexProjection",
    "PersonInvolvement",
    "VervolgKind",
    "get_classification",
    "household_cases",
    "household_members",
    "involvement_change",
    "involvements_of",
    "lookback_cutoff",
    "melding_classification",
    "melding_joins",
    "metadata",
    "new_involvement",
    "open_case_for_persons",
    "person_index_projection",
    "person_involvement",
    "vt_involvements",
]
