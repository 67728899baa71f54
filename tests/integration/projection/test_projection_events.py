"""The projection consumer against the real RabbitMQ and PostgreSQL: events published on the
session's events exchange land in churn's database once each, in any order, and an event that
can never be applied is dead-lettered with its reason."""

import itertools
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

from frequenta_churn.projection.handlers import Outcome
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit.consumer import ERROR_HEADER, queue_depths
from frequenta_kit.database import create_session_factory


async def test_each_event_type_is_applied(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    projection = await start_projection(shared_churn_database)
    member, enrolled = unique_member_id(), ago(days=200)
    entered, exited = ago(days=3), ago(days=3) + timedelta(minutes=70)
    left, later = ago(days=1), ago(days=2)
    for event in (
        registered(member, enrolled, "trimestral", 3),
        check_in(member, member + 1, entered),
        check_out(member, member + 1, entered, exited),
        check_in(member, member + 2, later),
        cancelled(member, left, "no_time"),
    ):
        await publish(events_channel, rabbitmq.topology, event)
    expected = (
        [(member, "trimestral", 3, enrolled, left, "no_time")],
        [(member + 1, member, entered, exited), (member + 2, member, later, None)],
    )

    async def applied() -> bool:
        return await projection_rows(shared_churn_database.engine, {member}) == expected

    await poll(applied, within=15, what="the five events in the projection")
    assert projection.handler.outcomes == {Outcome.APPLIED: 5}


async def test_an_event_delivered_twice_is_applied_once(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    """The second copy finds its id in the inbox and changes nothing, even where applying it
    again would show (the exit, cleared meanwhile by hand, stays cleared)."""
    projection = await start_projection(shared_churn_database, projection_prefetch=1)
    member, entered = unique_member_id(), ago(days=5)
    exited = entered + timedelta(hours=1)
    checkout = check_out(member, member + 1, entered, exited)
    await publish(events_channel, rabbitmq.topology, registered(member, ago(days=90)))
    await publish(events_channel, rabbitmq.topology, checkout)

    async def exit_known() -> bool:
        _, visits = await projection_rows(shared_churn_database.engine, {member})
        return visits == [(member + 1, member, entered, exited)]

    await poll(exit_known, within=15, what="the check-out applied")
    async with shared_churn_database.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"UPDATE checkins SET data_saida = NULL WHERE id = {member + 1}"
        )
    await publish(events_channel, rabbitmq.topology, checkout)  # the same envelope again
    await publish(events_channel, rabbitmq.topology, registered(member, ago(days=90)))

    async def all_handled() -> bool:
        return projection.handler.outcomes.total() == 4

    await poll(all_handled, within=15, what="four deliveries handled")
    assert projection.handler.outcomes == {Outcome.APPLIED: 3, Outcome.DUPLICATE: 1}
    _, visits = await projection_rows(shared_churn_database.engine, {member})
    assert visits == [(member + 1, member, entered, None)], "the copy was not applied again"
    assert await inbox_count(shared_churn_database.engine, [checkout.event_id]) == 1


async def test_any_delivery_order_converges_to_the_same_rows(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    """A member's four events published in each of the 24 orders (a check-out before its
    check-in, a cancellation before the registration...): every member ends the same."""
    await start_projection(shared_churn_database, projection_prefetch=4)
    enrolled, entered, left = ago(days=300), ago(days=10), ago(days=2)
    exited = entered + timedelta(minutes=55)

    def events(member: int) -> list:
        return [
            registered(member, enrolled, "semestral", 6),
            check_in(member, member + 1, entered),
            check_out(member, member + 1, entered, exited),
            cancelled(member, left, "relocation"),
        ]

    members = []
    for order in itertools.permutations(range(4)):
        member = unique_member_id()
        members.append(member)
        made = events(member)
        for position in order:
            await publish(events_channel, rabbitmq.topology, made[position])

    def expected(member: int):
        return (
            [(member, "semestral", 6, enrolled, left, "relocation")],
            [(member + 1, member, entered, exited)],
        )

    async def converged() -> bool:
        for member in members:
            if await projection_rows(shared_churn_database.engine, {member}) != expected(member):
                return False
        return True

    await poll(converged, within=20, what="all 24 orders converged")


async def test_a_visit_or_a_cancellation_before_the_registration_waits_for_it(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    """Until the registration arrives, the member is known but incomplete: no plan, no
    enrollment, and the reads leave them out."""
    await start_projection(shared_churn_database)
    member, left = unique_member_id(), ago(days=1)
    await publish(events_channel, rabbitmq.topology, cancelled(member, left, "health"))

    async def stub_row() -> bool:
        members, _ = await projection_rows(shared_churn_database.engine, {member})
        return members == [(member, None, None, None, left, "health")]

    await poll(stub_row, within=15, what="the cancellation alone")
    session_factory = create_session_factory(shared_churn_database.engine)
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        assert await uow.projection.member_history(member) is None

    await publish(events_channel, rabbitmq.topology, registered(member, ago(days=40)))

    async def complete() -> bool:
        async with SqlAlchemyUnitOfWork(session_factory) as uow:
            return await uow.projection.member_history(member) is not None

    await poll(complete, within=15, what="the member complete once registered")


async def test_a_malformed_event_is_dead_lettered_with_its_reason(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    projection = await start_projection(shared_churn_database)
    topology, name = projection.settings.topology, projection.settings.projection_queue
    bad = check_in(unique_member_id(), 1, ago(days=1))
    bad.check_in_recorded.member_id = 42  # a visit of another member than the event's
    await publish(events_channel, rabbitmq.topology, bad)
    await publish(events_channel, rabbitmq.topology, b"\x00garbage", "checkin.recorded")

    async def dead_lettered() -> bool:
        return await queue_depths(events_channel, topology, name) == (0, 2)

    await poll(dead_lettered, within=15, what="two dead letters")
    dead = await events_channel.get_queue(topology.dead_letter_queue(name))
    reasons = {}
    for _ in range(2):
        message = await dead.get(timeout=5)
        reasons[message.message_id] = message.headers[ERROR_HEADER]
        await message.ack()
    assert reasons[bad.event_id].startswith("permanent: malformed event: visit 1 is of member 42")
    assert any("not an EventEnvelope" in reason for reason in reasons.values())
    assert await inbox_count(shared_churn_database.engine, [bad.event_id]) == 0
