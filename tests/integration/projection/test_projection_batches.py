"""Delivery batches against the real PostgreSQL and RabbitMQ: the events waiting are applied in
one transaction (one inbox claim, one merge per table), a duplicate inside a batch is applied
once, and a poison message inside a batch is dead-lettered while the others are applied."""

from datetime import timedelta

from projection_support import (
    ago,
    cancelled,
    check_in,
    check_out,
    inbox_count,
    projection_rows,
    publish,
    registered,
    unique_member_id,
)
from prometheus_client import REGISTRY

from frequenta_churn.projection.handlers import Outcome, apply_events
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit.consumer import ERROR_HEADER, queue_depths
from frequenta_kit.database import create_session_factory


def batches_of(queue: str) -> float:
    """How many batches (of more than one message) the consumers of ``queue`` handled."""
    count = REGISTRY.get_sample_value(
        "frequenta_consumer_batch_size_messages_count", {"queue": queue}
    )
    return count or 0.0


async def test_a_batch_of_one_members_events_lands_in_one_transaction(
    shared_churn_database,
) -> None:
    """Registration, two visits (one of them closed by its check-out) and a cancellation of
    one member in one batch: the same rows as one event at a time."""
    member, enrolled, left = unique_member_id(), ago(days=120), ago(days=1)
    entered, later = ago(days=9), ago(days=4)
    exited = entered + timedelta(minutes=50)
    events = [
        check_out(member, member + 1, entered, exited),
        registered(member, enrolled, "trimestral", 3),
        check_in(member, member + 1, entered),
        check_in(member, member + 2, later),
        cancelled(member, left, "price"),
    ]
    uow = SqlAlchemyUnitOfWork(create_session_factory(shared_churn_database.engine))
    outcomes = await apply_events(uow=uow, bodies=[e.SerializeToString() for e in events])
    assert outcomes == [Outcome.APPLIED] * 5
    assert await projection_rows(shared_churn_database.engine, {member}) == (
        [(member, "trimestral", 3, enrolled, left, "price")],
        [(member + 1, member, entered, exited), (member + 2, member, later, None)],
    )
    assert await inbox_count(shared_churn_database.engine, [e.event_id for e in events]) == 5


async def test_a_duplicate_inside_a_batch_is_applied_once(shared_churn_database) -> None:
    """A copy already in the inbox and a copy given twice in the batch: each applied once,
    so the exit cleared by hand meanwhile stays cleared."""
    member, entered = unique_member_id(), ago(days=6)
    exited = entered + timedelta(hours=1)
    factory = create_session_factory(shared_churn_database.engine)
    checkout, visit = check_out(member, member + 1, entered, exited), check_in(member, 7, entered)
    first = await apply_events(
        uow=SqlAlchemyUnitOfWork(factory),
        bodies=[registered(member, ago(days=90)).SerializeToString(), checkout.SerializeToString()],
    )
    assert first == [Outcome.APPLIED] * 2
    async with shared_churn_database.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"UPDATE checkins SET data_saida = NULL WHERE id = {member + 1}"
        )
    visit.check_in_recorded.visit_id = member + 2
    bodies = [checkout.SerializeToString(), visit.SerializeToString(), visit.SerializeToString()]
    outcomes = await apply_events(uow=SqlAlchemyUnitOfWork(factory), bodies=bodies)
    assert outcomes == [Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE]
    _, visits = await projection_rows(shared_churn_database.engine, {member})
    assert visits == [(member + 1, member, entered, None), (member + 2, member, entered, None)]
    assert await inbox_count(shared_churn_database.engine, [visit.event_id]) == 1


async def test_a_poison_message_in_a_batch_is_dead_lettered_and_the_others_applied(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    """The events wait in the queue before the consumer starts, so they come as one batch;
    its transaction fails on the poison message, and one event at a time the others pass."""
    first = await start_projection(shared_churn_database)  # declares the queue
    await first.consumer.stop(grace=5)
    settings = first.settings
    topology, name = settings.topology, settings.projection_queue
    member, entered = unique_member_id(), ago(days=2)
    poison = check_in(member, member + 1, entered)
    poison.check_in_recorded.member_id = 42  # a visit of another member than the event's
    good = [
        registered(member, ago(days=60)),
        check_in(member, member + 2, entered),
        check_in(member, member + 3, entered + timedelta(days=1)),
    ]
    for event in (good[0], poison, *good[1:]):
        await publish(events_channel, rabbitmq.topology, event)
    batches_before = batches_of(name)
    projection = await start_projection(shared_churn_database, settings=settings)

    async def settled() -> bool:
        return projection.handler.outcomes.total() == 3 and await queue_depths(
            events_channel, topology, name
        ) == (0, 1)

    await poll(settled, within=15, what="three applied, one dead letter")
    assert projection.handler.outcomes == {Outcome.APPLIED: 3}
    assert batches_of(name) > batches_before, "the waiting events came as a batch"
    _, visits = await projection_rows(shared_churn_database.engine, {member})
    assert [visit[0] for visit in visits] == [member + 2, member + 3]
    dead = await events_channel.get_queue(topology.dead_letter_queue(name))
    message = await dead.get(timeout=5)
    assert message.message_id == poison.event_id
    assert message.headers[ERROR_HEADER].startswith("permanent: malformed event: visit")
    await message.ack()
    assert await inbox_count(shared_churn_database.engine, [poison.event_id]) == 0
