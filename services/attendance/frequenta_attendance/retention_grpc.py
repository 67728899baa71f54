"""The retention RPCs of AttendanceService (alerts and outcome reports): decode the request,
call the use case, encode the answer. Mixed into AttendanceServicer (grpc_api.py)."""

from collections.abc import Callable
from typing import Any

import grpc

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_attendance import retention_mappers as mappers
from frequenta_attendance.handlers import alerts, outcomes

Context = grpc.aio.ServicerContext


class RetentionRpcs:
    """Needs ``_deps`` (grpc_api.Dependencies) and ``_timed()`` from the servicer."""

    _deps: Any
    _timed: Callable[[], dict[str, Any]]

    async def ListAlerts(
        self, request: rpb.ListAlertsRequest, context: Context
    ) -> rpb.ListAlertsResponse:
        page = await alerts.list_alerts(
            **self._timed(),
            kind=mappers.alert_kind(request.kind),
            page=request.page,
            page_size=request.page_size,
        )
        return rpb.ListAlertsResponse(
            alerts=[mappers.alert(a, page) for a in page.alerts], total=page.total
        )

    async def ListMemberAlerts(
        self, request: rpb.ListMemberAlertsRequest, context: Context
    ) -> rpb.ListMemberAlertsResponse:
        page = await alerts.list_member_alerts(**self._timed(), member_id=request.member_id)
        return rpb.ListMemberAlertsResponse(alerts=[mappers.alert(a, page) for a in page.alerts])

    async def GetAlertThresholds(
        self, request: rpb.GetAlertThresholdsRequest, context: Context
    ) -> rpb.GetAlertThresholdsResponse:
        found = await alerts.get_thresholds(uow=self._deps.uow())
        return rpb.GetAlertThresholdsResponse(thresholds=mappers.thresholds(found))

    async def UpdateAlertThresholds(
        self, request: rpb.UpdateAlertThresholdsRequest, context: Context
    ) -> rpb.UpdateAlertThresholdsResponse:
        given = request.thresholds
        stored = await alerts.update_thresholds(
            uow=self._deps.uow(),
            clock=self._deps.clock,
            days_without_first_visit=given.days_without_first_visit,
            min_visits_per_month=given.min_visits_per_month,
            early_period_days=given.early_period_days,
            inactivity_stages_days=list(given.inactivity_stages_days),
            changed_by=request.changed_by,
        )
        return rpb.UpdateAlertThresholdsResponse(thresholds=mappers.thresholds(stored))

    async def GetCohortReport(
        self, request: rpb.GetCohortReportRequest, context: Context
    ) -> rpb.GetCohortReportResponse:
        cohorts, months = await outcomes.cohort_report(**self._timed(), months=request.months)
        return rpb.GetCohortReportResponse(
            cohorts=[mappers.cohort(c) for c in cohorts], months=months
        )

    async def GetAttritionReport(
        self, request: rpb.GetAttritionReportRequest, context: Context
    ) -> rpb.GetAttritionReportResponse:
        months = await outcomes.attrition_report(**self._timed(), months=request.months)
        return rpb.GetAttritionReportResponse(months=[mappers.month_attrition(m) for m in months])

    async def GetWeeklyTrend(
        self, request: rpb.GetWeeklyTrendRequest, context: Context
    ) -> rpb.GetWeeklyTrendResponse:
        trend = await outcomes.weekly_trend(
            **self._timed(), until_text=request.until_date, weeks=request.weeks
        )
        return mappers.weekly_trend(trend)
