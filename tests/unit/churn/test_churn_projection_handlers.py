"""The projection's use cases against a fake unit of work: an event is applied in one
transaction with its inbox row, a duplicate changes nothing, and a rebuild merges the exported
rows in batches of the size asked, one transaction each."""

import uuid
from datetime import UTC, datetime

import pytest

from frequenta.events.v1 import events_pb2 as ev
from frequenta_churn.projection.facts import Change, MalformedEvent, MemberFacts, VisitFacts
from frequenta_churn.projection.handlers import Outcome, apply_event, apply_events, rebuild

ENTRY = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)


class FakeProjection:
    def __init__(self) -> None:
        self.inbox: set[uuid.UUID] = set()
        self.claim_statements = 0
        self.applied: list[Change] = []
        self.member_batches: list[list[MemberFacts]] = []
        self.visit_batches: list[list[VisitFacts]] = []

    async def claim(self, event_id: uuid.UUID, event_type: str) -> bool:
        if event_id in self.inbox:
            return False
        self.inbox.add(event_id)
        return True

    async def claim_many(self, events) -> set[uuid.UUID]:
        self.claim_statements += 1
        return {
            event_id for event_id, event_type in events if await self.claim(event_id, event_type)
        }

    async def apply(self, *changes: Change) -> None:
        self.applied.extend(changes)

    async def merge_members(self, facts) -> None:
        self.member_batches.append(list(facts))

    async def merge_visits(self, facts) -> None:
        self.visit_batches.append(list(facts))


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.projection = FakeProjection()
        self.transactions = 0
        self.commits = 0

    async def __aenter__(self) -> "FakeUnitOfWork":
        self.transactions += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def commit(self) -> None:
        self.commits += 1


def check_in(event_type: str = "checkin.recorded", visit_id: int = 11) -> bytes:
    stamp = ev.EventEnvelope().occurred_at
    stamp.FromDatetime(ENTRY)
    return ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        schema_version=1,
        member_id=7,
        check_in_recorded=ev.CheckInRecorded(visit_id=visit_id, member_id=7, entered_at=stamp),
    ).SerializeToString()


async def test_an_event_is_applied_and_committed_with_its_inbox_row() -> None:
    uow = FakeUnitOfWork()
    assert await apply_event(uow=uow, body=check_in()) == Outcome.APPLIED  # type: ignore[arg-type]
    assert uow.projection.applied == [Change(visits=(VisitFacts(11, 7, ENTRY),))]
    assert (len(uow.projection.inbox), uow.commits) == (1, 1)


async def test_a_duplicate_changes_nothing() -> None:
    uow, body = FakeUnitOfWork(), check_in()
    await apply_event(uow=uow, body=body)  # type: ignore[arg-type]
    assert await apply_event(uow=uow, body=body) == Outcome.DUPLICATE  # type: ignore[arg-type]
    assert (len(uow.projection.applied), uow.commits) == (1, 1)


async def test_an_unused_event_type_opens_no_transaction() -> None:
    uow = FakeUnitOfWork()
    outcome = await apply_event(uow=uow, body=check_in("report.built"))  # type: ignore[arg-type]
    assert (outcome, uow.transactions) == (Outcome.IGNORED, 0)


async def test_a_malformed_event_opens_no_transaction() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(MalformedEvent):
        await apply_event(uow=uow, body=b"\x01\x02")  # type: ignore[arg-type]
    assert uow.transactions == 0


async def test_a_batch_is_applied_in_one_transaction_with_one_claim() -> None:
    uow = FakeUnitOfWork()
    bodies = [check_in(visit_id=n) for n in (11, 12, 13)]  # three visits of one member
    outcomes = await apply_events(uow=uow, bodies=bodies)  # type: ignore[arg-type]
    assert outcomes == [Outcome.APPLIED] * 3
    assert [change.visits[0].visit_id for change in uow.projection.applied] == [11, 12, 13]
    assert (uow.transactions, uow.commits, uow.projection.claim_statements) == (1, 1, 1)


async def test_a_duplicate_inside_a_batch_is_applied_once() -> None:
    uow, body, other = FakeUnitOfWork(), check_in(), check_in(visit_id=12)
    await apply_event(uow=uow, body=other)  # type: ignore[arg-type]
    outcomes = await apply_events(uow=uow, bodies=[body, other, body])  # type: ignore[arg-type]
    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert [change.visits[0].visit_id for change in uow.projection.applied] == [12, 11]


async def test_a_batch_with_a_malformed_event_applies_nothing() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(MalformedEvent):
        await apply_events(uow=uow, bodies=[check_in(), b"\x01\x02"])  # type: ignore[arg-type]
    assert (uow.transactions, uow.projection.applied) == (0, [])


async def test_a_batch_of_unused_event_types_opens_no_transaction() -> None:
    uow = FakeUnitOfWork()
    bodies = [check_in("report.built"), check_in("report.built")]
    outcomes = await apply_events(uow=uow, bodies=bodies)  # type: ignore[arg-type]
    assert (outcomes, uow.transactions) == ([Outcome.IGNORED] * 2, 0)


async def test_a_rebuild_merges_in_batches_one_transaction_each() -> None:
    uow = FakeUnitOfWork()

    async def members():
        for n in range(12):
            yield MemberFacts(n + 1, "mensal", 1, ENTRY)

    async def visits():
        for n in range(3):
            yield VisitFacts(n + 1, 1, ENTRY)

    counts = await rebuild(uow=lambda: uow, members=members(), visits=visits(), batch_size=5)  # type: ignore[arg-type,return-value]
    assert (counts.members, counts.visits) == (12, 3)
    assert [len(batch) for batch in uow.projection.member_batches] == [5, 5, 2]
    assert [len(batch) for batch in uow.projection.visit_batches] == [3]
    assert uow.commits == uow.transactions == 4
