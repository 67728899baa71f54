"""`member.personal_data_erased` reaches churn's projection through its queue (bound for it) and
is applied once: recorded in the inbox, changing no row, since the projection keeps no personal
data (docs/personal-data.md)."""

from projection_support import (
    ago,
    check_in,
    envelope,
    inbox_count,
    projection_rows,
    publish,
    registered,
    ts,
    unique_member_id,
)

from frequenta.events.v1 import events_pb2 as ev
from frequenta_churn.projection.handlers import Outcome


def erased(member_id: int) -> ev.EventEnvelope:
    return envelope(
        "member.personal_data_erased",
        member_id,
        member_personal_data_erased=ev.MemberPersonalDataErased(
            member_id=member_id, erased_at=ts(ago(minutes=1))
        ),
    )


async def test_an_erasure_is_recorded_and_keeps_the_members_attendance(
    shared_churn_database, start_projection, events_channel, rabbitmq, poll
) -> None:
    projection = await start_projection(shared_churn_database, projection_prefetch=1)
    member, enrolled, entered = unique_member_id(), ago(days=90), ago(days=2)
    for event in (registered(member, enrolled), check_in(member, member + 1, entered)):
        await publish(events_channel, rabbitmq.topology, event)
    expected = (
        [(member, "mensal", 1, enrolled, None, None)],
        [(member + 1, member, entered, None)],
    )

    async def projected() -> bool:
        return await projection_rows(shared_churn_database.engine, {member}) == expected

    await poll(projected, within=15, what="the member in the projection")
    erasure = erased(member)
    await publish(events_channel, rabbitmq.topology, erasure)
    await publish(events_channel, rabbitmq.topology, erasure)  # delivered twice

    async def recorded() -> bool:
        return projection.handler.outcomes[Outcome.DUPLICATE] >= 1 and (
            await inbox_count(shared_churn_database.engine, [erasure.event_id]) == 1
        )

    await poll(recorded, within=15, what="the erasure in the inbox")
    assert projection.handler.outcomes[Outcome.APPLIED] == 3
    assert await projection_rows(shared_churn_database.engine, {member}) == expected
