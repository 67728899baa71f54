"""Who asked for a daily report build (``report_jobs.origin``)."""

from enum import StrEnum


class ReportOrigin(StrEnum):
    # Queued by the scheduler: at most one such job per date (a unique index says so).
    SCHEDULE = "schedule"
    # Queued by GenerateDailyReport (REST POST /relatorios/diarios).
    ON_DEMAND = "on_demand"
