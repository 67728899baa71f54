"""GenerateDailyReport, GetDailyReport and ListDailyReports over gRPC: the job and its work
message written together, the date rules (empty = yesterday, today allowed, never the future,
in the gym's calendar), NOT_FOUND, ranges.

Dates owned by this module: June 2025."""

import json
import uuid
from datetime import date, timedelta

import grpc
import pytest
from reports_support import deliver, local, report_messages
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit.grpc_errors import describe_rpc_error


async def rpc_error(call):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return describe_rpc_error(caught.value)


async def job_row(engine, job_id: str):
    async with engine.connect() as connection:
        return (
            await connection.execute(
                text(
                    "SELECT report_date, origin, finished_at FROM report_jobs"
                    " WHERE id = CAST(:id AS uuid)"
                ),
                {"id": job_id},
            )
        ).one_or_none()


async def generate(reports, day: str = "") -> pb.GenerateDailyReportResponse:
    return await reports.GenerateDailyReport(pb.GenerateDailyReportRequest(date=day))


async def test_an_empty_date_means_yesterday_in_the_gym_calendar(reports, reports_engine, clock):
    clock.now = local(date(2025, 6, 10), 12)
    queued = await generate(reports)
    assert queued.date == "2025-06-09"
    assert uuid.UUID(queued.job_id).version == 4
    assert await job_row(reports_engine, queued.job_id) == (date(2025, 6, 9), "on_demand", None)
    (message,) = await report_messages(reports_engine, queued.job_id)
    assert message.message_id == queued.job_id
    assert (message.message_type, message.content_type) == (
        "report.daily.build",
        "application/json",
    )
    assert json.loads(message.body) == {
        "schema_version": 1,
        "job_id": queued.job_id,
        "date": "2025-06-09",
    }


async def test_yesterday_follows_local_midnight_not_utc(reports, clock):
    # 02:59:59Z on June 11th is still June 10th, 23:59:59, in Sao Paulo.
    clock.now = local(date(2025, 6, 10), 23, 59, 59)
    assert clock.now.date() == date(2025, 6, 11)
    assert (await generate(reports)).date == "2025-06-09"
    error = await rpc_error(generate(reports, "2025-06-11"))
    assert (error.status, error.reason, error.field) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "REPORT_DATE_IN_FUTURE",
        "date",
    )
    clock.now += timedelta(seconds=1)
    assert (await generate(reports)).date == "2025-06-10"


async def test_today_is_allowed_and_tomorrow_refused_writing_nothing(
    reports, reports_engine, clock
):
    clock.now = local(date(2025, 6, 10), 10)
    assert (await generate(reports, "2025-06-10")).date == "2025-06-10"
    before = len(await report_messages(reports_engine))
    error = await rpc_error(generate(reports, "2025-06-11"))
    assert error.reason == "REPORT_DATE_IN_FUTURE"
    assert "2025-06-11" in error.message
    assert len(await report_messages(reports_engine)) == before
    async with reports_engine.connect() as connection:
        queued = await connection.scalar(
            text("SELECT count(*) FROM report_jobs WHERE report_date = '2025-06-11'")
        )
    assert queued == 0


@pytest.mark.parametrize("day", ["2025-02-30", "10/06/2025", "2025-6-1", "1969-12-31", "ontem"])
async def test_an_invalid_date_is_invalid_argument(reports, day):
    for call in (
        generate(reports, day),
        reports.GetDailyReport(pb.GetDailyReportRequest(date=day)),
    ):
        error = await rpc_error(call)
        assert (error.status, error.reason, error.field) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "VALIDATION_ERROR",
            "date",
        )


async def test_a_date_not_built_is_not_found(reports):
    error = await rpc_error(reports.GetDailyReport(pb.GetDailyReportRequest(date="2025-06-02")))
    assert (error.status, error.reason, error.field) == (
        grpc.StatusCode.NOT_FOUND,
        "REPORT_NOT_FOUND",
        "date",
    )
    error = await rpc_error(reports.GetDailyReport(pb.GetDailyReportRequest()))
    assert (error.status, error.field) == (grpc.StatusCode.INVALID_ARGUMENT, "date")


@pytest.fixture(scope="module")
async def built(reports, reports_settings, reports_engine) -> list[date]:
    """Reports built for June 20th to 24th, 2025 (days without visits: zeros)."""
    days = [date(2025, 6, 20) + timedelta(days=n) for n in range(5)]
    for day in days:
        queued = await generate(reports, day.isoformat())
        (message,) = await report_messages(reports_engine, queued.job_id)
        await deliver(reports_settings, reports_engine, message)
    return days


async def test_list_a_range_newest_first(reports, built):
    found = await reports.ListDailyReports(
        pb.ListDailyReportsRequest(from_date="2025-06-21", to_date="2025-06-23")
    )
    assert [r.date for r in found.reports] == ["2025-06-23", "2025-06-22", "2025-06-21"]
    empty = found.reports[0]
    assert (empty.visits, empty.unique_members, empty.new_members) == (0, 0, 0)
    assert [h.visits for h in empty.by_hour] == [0] * 24
    assert not empty.by_plan and not empty.HasField("average_visit_minutes")


async def test_list_defaults_to_the_last_30_days_to_today(reports, built, clock):
    clock.now = local(date(2025, 7, 20), 9)  # from June 20th: the first built day is the edge
    found = await reports.ListDailyReports(pb.ListDailyReportsRequest())
    assert [r.date for r in found.reports] == [d.isoformat() for d in reversed(built)]
    clock.now += timedelta(days=1)
    found = await reports.ListDailyReports(pb.ListDailyReportsRequest())
    assert [r.date for r in found.reports] == [d.isoformat() for d in reversed(built[1:])]
    found = await reports.ListDailyReports(pb.ListDailyReportsRequest(to_date="2025-06-22"))
    assert [r.date for r in found.reports] == ["2025-06-22", "2025-06-21", "2025-06-20"]


async def test_a_range_of_at_most_366_days(reports, built):
    found = await reports.ListDailyReports(
        pb.ListDailyReportsRequest(from_date="2024-06-24", to_date="2025-06-24")
    )
    assert len(found.reports) == 5
    for request, field in [
        (pb.ListDailyReportsRequest(from_date="2024-06-23", to_date="2025-06-24"), "from_date"),
        (pb.ListDailyReportsRequest(from_date="2025-06-24", to_date="2025-06-23"), "from_date"),
        (pb.ListDailyReportsRequest(to_date="2025-13-01"), "to_date"),
        # Found by fuzzing: the default start 30 days before 0001-01-01 overflowed (a 500).
        (pb.ListDailyReportsRequest(to_date="0001-01-01"), "to_date"),
        (pb.ListDailyReportsRequest(to_date="9999-12-31"), "to_date"),
    ]:
        error = await rpc_error(reports.ListDailyReports(request))
        assert (error.status, error.reason, error.field) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "VALIDATION_ERROR",
            field,
        )
