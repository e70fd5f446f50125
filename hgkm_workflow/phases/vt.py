"""Veilig Thuis services beside the phases: onderzoek / Voorwaarden en Vervolg, monitoring.

A VT service runs from its start until it is completed (T3, 10 weeks, ordenend). VT monitoring
follows a handover with veiligheidsvoorwaarden (T4, at most 18 months; seed 001 "maximaal
anderhalf jaar").
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class VtServiceState(StrEnum):
    """State of the VT service track of a case."""

    IDLE = "idle"
    RUNNING = "running"


class MonitoringState(StrEnum):
    """State of VT monitoring after a handover."""

    IDLE = "idle"
    MONITORING = "monitoring"


VT_SERVICE = TransitionTable(
    "vt_service",
    VtServiceState,
    VtServiceState.IDLE,
    [
        ("start_vt_service", VtServiceState.IDLE, VtServiceState.RUNNING),
        ("complete_vt_service", VtServiceState.RUNNING, VtServiceState.IDLE),
    ],
)

MONITORING = TransitionTable(
    "vt_monitoring",
    MonitoringState,
    MonitoringState.IDLE,
    [
        ("start_monitoring", MonitoringState.IDLE, MonitoringState.MONITORING),
        ("record_monitoring_check", MonitoringState.MONITORING, MonitoringState.MONITORING),
        ("end_monitoring", MonitoringState.MONITORING, MonitoringState.IDLE),
    ],
)
