"""The risk use cases: one member's risk now, and a page of the at-risk list. No protobuf."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.retention.capacity import CapacityCover, capacity_cover
from frequenta_churn.retention.handlers import retention_states
from frequenta_churn.retention.policy import RetentionPolicy
from frequenta_churn.retention.status import MemberRetention
from frequenta_churn.serving.member_reads import MemberReader
from frequenta_churn.serving.model import ModelHolder
from frequenta_churn.serving.recorder import RiskRecorder
from frequenta_churn.serving.risk import MemberRisk, assess, history_features
from frequenta_churn.serving.snapshot import AtRiskFilter, facts_at, select
from frequenta_churn.serving.snapshots import SnapshotKeeper
from frequenta_churn.uow import UnitOfWork
from frequenta_kit.errors import Conflict, InvalidInput, NotFound

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A cancellation's projection row carries the start of its transaction (atualizado_em); one
# that began before the snapshot's read but committed after it is not in the snapshot. Looking
# back this much before the snapshot covers any transaction of the projection.
CANCELLED_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Serving:
    """What the risk use cases share in one process."""

    holder: ModelHolder
    members: MemberReader  # one member's history, for GetChurnRisk
    snapshots: SnapshotKeeper
    recorder: RiskRecorder
    clock: Callable[[], datetime]
    tz: ZoneInfo
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


@dataclass(frozen=True)
class AtRiskPage:
    risks: list[MemberRisk]
    total: int
    model_version: str
    computed_at: datetime
    retention: list[MemberRetention]  # one per risk, same order
    cover: CapacityCover


def member_not_found(member_id: int) -> NotFound:
    return NotFound(
        "MEMBER_NOT_FOUND",
        f"Churn does not know member {member_id} yet. If attendance has this member, churn's "
        "projection has not applied their registration yet (it follows attendance's events "
        "within seconds): retry shortly.",
        field="member_id",
    )


def membership_cancelled(member_id: int, cancelled_at: datetime, tz: ZoneInfo) -> Conflict:
    day = cancelled_at.astimezone(tz).date().isoformat()
    return Conflict(
        "MEMBERSHIP_CANCELLED",
        f"Member {member_id}'s membership was cancelled on {day} "
        f"({cancelled_at.isoformat()}); churn risk is computed for active members only.",
        field="member_id",
    )


async def get_risk(*, serving: Serving, member_id: int) -> MemberRisk:
    """The member's risk now, from their projected visits, with the serving model."""
    model = await serving.holder.get()
    history = await serving.members.history(member_id)
    if history is None:
        raise member_not_found(member_id)
    if history.member.cancelled_at is not None:
        raise membership_cancelled(member_id, history.member.cancelled_at, serving.tz)
    now = serving.clock()
    X, facts = history_features(history, now, serving.tz)
    (risk,) = assess(model, X[None, :], [facts], now)
    serving.recorder.record([risk])
    return risk


MAX_CAPACITY = 100_000


def _tenure_and_capacity(min_tenure_days: int, max_tenure_days: int, capacity: int) -> None:
    if min_tenure_days < 0 or (0 < max_tenure_days < min_tenure_days):
        raise InvalidInput(
            "INVALID_MIN_TENURE",
            "min_tenure_days must be 0 (any tenure) or more, and not above max_tenure_days",
            field="min_tenure_days",
        )
    if capacity < 0 or capacity > MAX_CAPACITY:
        raise InvalidInput(
            "INVALID_CAPACITY",
            f"daily_capacity must be between 1 and {MAX_CAPACITY} (0 means the setting)",
            field="daily_capacity",
        )


def _page_request(page: int, page_size: int, max_tenure_days: int) -> tuple[int, int, int | None]:
    if page < 0:
        raise InvalidInput("INVALID_PAGE", "page must be 1 or more (0 means 1)", field="page")
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidInput(
            "INVALID_PAGE_SIZE",
            f"page_size must be between 1 and {MAX_PAGE_SIZE} (0 means {DEFAULT_PAGE_SIZE})",
            field="page_size",
        )
    if max_tenure_days < 0:
        raise InvalidInput(
            "INVALID_MAX_TENURE",
            "max_tenure_days must be 0 (any tenure) or more",
            field="max_tenure_days",
        )
    return page or 1, page_size or DEFAULT_PAGE_SIZE, max_tenure_days or None


async def list_at_risk(
    *,
    uow: UnitOfWork,
    serving: Serving,
    min_band: RiskBand | None = None,
    plan_code: str = "",
    max_tenure_days: int = 0,
    page: int = 0,
    page_size: int = 0,
    min_tenure_days: int = 0,
    daily_capacity: int = 0,
) -> AtRiskPage:
    """Active members ranked by risk (the snapshot of the serving model), filtered, one page
    explained, each with their retention state; the day's call capacity against the expected
    cancellations of every matching member. Members cancelled since the snapshot are left
    out."""
    page, size, tenure = _page_request(page, page_size, max_tenure_days)
    _tenure_and_capacity(min_tenure_days, max_tenure_days, daily_capacity)
    model = await serving.holder.get()
    snapshot = await serving.snapshots.for_model(model)
    filters = AtRiskFilter(min_band, plan_code.strip() or None, tenure, min_tenure_days or None)
    async with uow:
        cancelled = await uow.risks.cancelled_since(snapshot.computed_at - CANCELLED_LOOKBACK)
        control = await uow.retention.control_members()
        matching = select(snapshot, filters, exclude=cancelled)
        positions = matching[(page - 1) * size : page * size]
        states = await retention_states(
            uow, snapshot.member_ids[positions].tolist(), serving.clock(), serving.retention
        )
    cover = capacity_cover(
        snapshot.probabilities[matching],
        np.isin(snapshot.member_ids[matching], control),
        daily_capacity or serving.retention.daily_calls,
    )
    risks = assess(
        snapshot.model,
        snapshot.X[positions],
        facts_at(snapshot, positions),
        snapshot.computed_at,
        probabilities=snapshot.probabilities[positions],
    )
    serving.recorder.record(risks)
    return AtRiskPage(
        risks, int(matching.size), snapshot.model.version, snapshot.computed_at, states, cover
    )
