"""The monitoring app's models: screening (rules, warnings, runs, data quality) and cases (leads and the
identification procedure)."""

from bangfu.monitoring.models.cases import (
    MAX_RISK_TYPES,
    OPEN_STATES,
    STEPS,
    CaseEvent,
    CaseState,
    Category,
    Lead,
    LeadChannel,
    LeadStatus,
    MonitoringCase,
    Notice,
    NoticeEntry,
    NoticeKind,
    Step,
)
from bangfu.monitoring.models.screening import (
    INCOME_SOURCE,
    SOURCE_CHOICES,
    WARNING_TRANSITIONS,
    QualityIssue,
    ScreeningRule,
    ScreeningRun,
    ScreeningWarning,
    WarningStatus,
)

__all__ = [
    "INCOME_SOURCE",
    "MAX_RISK_TYPES",
    "OPEN_STATES",
    "SOURCE_CHOICES",
    "STEPS",
    "WARNING_TRANSITIONS",
    "CaseEvent",
    "CaseState",
    "Category",
    "Lead",
    "LeadChannel",
    "LeadStatus",
    "MonitoringCase",
    "Notice",
    "NoticeEntry",
    "NoticeKind",
    "QualityIssue",
    "ScreeningRule",
    "ScreeningRun",
    "ScreeningWarning",
    "Step",
    "WarningStatus",
]
