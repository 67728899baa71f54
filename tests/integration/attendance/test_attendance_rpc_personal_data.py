"""EraseMemberPersonalData on real PostgreSQL (docs/personal-data.md): the personal fields are
replaced in one transaction with a `member.personal_data_erased` event that carries none of
them; the membership and every visit stay; a second call answers the same; the e-mail may
register again; nothing of the member's personal data remains anywhere in the database."""

import random
import uuid
from datetime import timedelta

import grpc
from attendance_support import ago, assert_error, instant, rpc_error, ts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev

ERASED_EVENT = "member.personal_data_erased"


def personal_data() -> dict[str, str]:
    """A name, e-mail, phone and birth date no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Zuleica Testada {tag}",
        "email": f"Zuleica.{tag}@Example.com",
        "phone": f"+55 (31) 9{random.randint(1000, 9999)}-{random.randint(1000, 9999)}",
        "birth_date": f"19{random.randint(31, 59)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}",
    }


async def stored_member(engine: AsyncEngine, member_id: int) -> dict:
    async with engine.connect() as connection:
        row = await connection.execute(
            text("SELECT *, xmin::text AS xid FROM alunos WHERE id = :id"), {"id": member_id}
        )
        return dict(row.one()._mapping)


async def events_of(engine: AsyncEngine, member_id: int) -> list[tuple[ev.EventEnvelope, str]]:
    """Every event of the member in the outbox, with the transaction that wrote it."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT payload, xmin::text AS xid FROM outbox"
                " WHERE aggregate_id = :id AND exchange = 'events' ORDER BY id"
            ),
            {"id": member_id},
        )
        return [(ev.EventEnvelope.FromString(payload), xid) for payload, xid in rows]


def forms_of(value: str) -> set[str]:
    """The ways a stored value could show: as given, lowercased, digits only (a phone)."""
    digits = "".join(char for char in value if char.isdigit())
    return {value, value.lower()} | ({digits} if len(digits) >= 8 else set())


async def rows_containing(
    engine: AsyncEngine, member_id: int, values: dict[str, str]
) -> dict[str, list[str]]:
    """For each value, the tables in which some row's text (every column, bytea as hex, jsonb,
    arrays) contains it in any of its forms (and, in binary columns, its UTF-8 bytes). In
    `alunos`, only the member's own row: other members may share a birth date."""
    async with engine.connect() as connection:
        tables = list(
            await connection.scalars(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            )
        )
        found: dict[str, list[str]] = {}
        for label, value in values.items():
            needles = set()
            for form in forms_of(value):
                needles |= {form.lower(), form.encode().hex()}
            for table in tables:
                own_row = " AND t.id = :member_id" if table == "alunos" else ""
                hits = await connection.scalar(
                    text(
                        f"SELECT count(*) FROM {table} AS t"
                        f" WHERE lower(t::text) LIKE ANY (:patterns){own_row}"
                    ),
                    {"patterns": [f"%{needle}%" for needle in needles], "member_id": member_id},
                )
                if hits:
                    found.setdefault(label, []).append(table)
        return found


async def member_with_history(attendance, register_member, data: dict[str, str]) -> pb.Member:
    """A member with personal data, two finished visits and a cancellation with a note."""
    member = await register_member(**data)
    for days in (9, 2):
        entered = ago(days=days)
        await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(
                member_id=member.id,
                entered_at=ts(entered),
                exited_at=ts(entered + timedelta(minutes=70)),
            )
        )
    cancelled = await attendance.CancelMembership(
        pb.CancelMembershipRequest(
            member_id=member.id,
            reason=pb.CANCELLATION_REASON_RELOCATION,
            note=f"mudou; ligar em {data['phone']}",
        )
    )
    return cancelled.member


async def test_erasure_replaces_the_personal_fields_and_keeps_membership_and_visits(
    attendance, attendance_engine, register_member
):
    data = personal_data()
    member = await member_with_history(attendance, register_member, data)
    before = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    assert before.summary.total_visits == 2

    reply = await attendance.EraseMemberPersonalData(
        pb.EraseMemberPersonalDataRequest(member_id=member.id, reason="protocolo 2026-0042")
    )
    erased = reply.member
    assert not reply.already_erased
    assert erased.name == f"Titular removido #{member.id}"
    assert erased.email == f"titular-removido-{member.id}@dados-removidos.invalid"
    assert (erased.phone, erased.birth_date, erased.cancellation_note) == ("", "", "")
    assert abs(instant(erased.personal_data_erased_at) - ago()) < timedelta(minutes=1)
    # Not personal data: the membership as it was.
    assert erased.plan == member.plan
    assert erased.enrolled_at == member.enrolled_at
    assert (erased.active, erased.cancelled_at) == (False, member.cancelled_at)
    assert erased.cancellation_reason == pb.CANCELLATION_REASON_RELOCATION

    fetched = await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))
    assert fetched.member == erased
    after = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    assert after.summary.total_visits == 2
    assert list(after.visits) == list(before.visits)

    row = await stored_member(attendance_engine, member.id)
    assert row["motivo_remocao_dados"] == "protocolo 2026-0042"
    assert row["dados_removidos_em"] == instant(erased.personal_data_erased_at)
    assert (row["telefone"], row["data_nascimento"], row["observacao_cancelamento"]) == (
        None,
        None,
        None,
    )


async def test_nothing_of_the_members_personal_data_remains_in_the_database(
    attendance, attendance_engine, register_member
):
    data = personal_data()
    member = await member_with_history(attendance, register_member, data)
    assert set(await rows_containing(attendance_engine, member.id, data)) == set(data), (
        "the search finds the values while they are stored"
    )

    await attendance.EraseMemberPersonalData(pb.EraseMemberPersonalDataRequest(member_id=member.id))
    assert await rows_containing(attendance_engine, member.id, data) == {}


async def test_the_erasure_writes_one_event_in_its_transaction_without_personal_data(
    attendance, attendance_engine, register_member
):
    data = personal_data()
    member = await member_with_history(attendance, register_member, data)
    erased = (
        await attendance.EraseMemberPersonalData(
            pb.EraseMemberPersonalDataRequest(member_id=member.id, reason="pedido")
        )
    ).member

    events = await events_of(attendance_engine, member.id)
    assert [envelope.event_type for envelope, _ in events] == [
        "member.registered",
        "checkin.recorded",
        "checkin.recorded",
        "membership.cancelled",
        ERASED_EVENT,
    ]
    envelope, xid = events[-1]
    assert xid == (await stored_member(attendance_engine, member.id))["xid"]
    assert envelope.member_id == member.id
    assert envelope.WhichOneof("payload") == "member_personal_data_erased"
    assert envelope.member_personal_data_erased == ev.MemberPersonalDataErased(
        member_id=member.id, erased_at=erased.personal_data_erased_at
    )
    assert envelope.occurred_at == erased.personal_data_erased_at
    for each, _ in events:
        serialized = each.SerializeToString()
        for value in data.values():
            for form in forms_of(value):
                assert form.encode() not in serialized, (each.event_type, value)
        assert b"pedido" not in serialized, "the reason stays with the member"


async def test_a_second_erasure_answers_the_same_and_writes_nothing(
    attendance, attendance_engine, register_member
):
    member = await register_member(**personal_data())
    request = pb.EraseMemberPersonalDataRequest(member_id=member.id, reason="primeiro")
    first = await attendance.EraseMemberPersonalData(request)
    row = await stored_member(attendance_engine, member.id)

    again = await attendance.EraseMemberPersonalData(
        pb.EraseMemberPersonalDataRequest(member_id=member.id, reason="segundo")
    )
    assert again.already_erased
    assert again.member == first.member
    assert await stored_member(attendance_engine, member.id) == row, "nothing was rewritten"
    events = [e.event_type for e, _ in await events_of(attendance_engine, member.id)]
    assert events.count(ERASED_EVENT) == 1


async def test_an_erased_e_mail_may_register_again(attendance, register_member):
    data = personal_data()
    member = await register_member(**data)
    await attendance.EraseMemberPersonalData(pb.EraseMemberPersonalDataRequest(member_id=member.id))

    again = await register_member(email=data["email"].upper())
    assert again.id != member.id and again.email == data["email"].upper()
    found = await attendance.ListMembers(pb.ListMembersRequest(query=data["email"]))
    assert [m.id for m in found.members] == [again.id]
    erased = await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))
    assert erased.member.email == f"titular-removido-{member.id}@dados-removidos.invalid"


async def test_a_placeholder_address_can_never_register(attendance, register_member):
    error = await rpc_error(register_member(email="titular-removido-1@dados-removidos.invalid"))
    assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "email")


async def test_an_erased_member_stays_a_member_until_cancelled(attendance, register_member):
    """Erasure does not cancel: visits go on being recorded, anonymously; a later cancellation
    keeps its reason code but no new free-text note."""
    member = await register_member(**personal_data())
    await attendance.EraseMemberPersonalData(pb.EraseMemberPersonalDataRequest(member_id=member.id))
    visit = await attendance.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id))
    assert visit.visit.member_id == member.id

    error = await rpc_error(
        attendance.CancelMembership(
            pb.CancelMembershipRequest(
                member_id=member.id, reason=pb.CANCELLATION_REASON_PRICE, note="ligar depois"
            )
        )
    )
    assert_error(error, grpc.StatusCode.FAILED_PRECONDITION, "PERSONAL_DATA_ERASED", "note")
    cancelled = await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=member.id, reason=pb.CANCELLATION_REASON_PRICE)
    )
    assert not cancelled.member.active
    assert cancelled.member.HasField("personal_data_erased_at")


async def test_an_unknown_member_is_not_found(attendance):
    error = await rpc_error(
        attendance.EraseMemberPersonalData(
            pb.EraseMemberPersonalDataRequest(member_id=9_000_000_000_000)
        )
    )
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")


async def test_bad_requests_are_refused(attendance, register_member):
    member = await register_member()
    for request, field in [
        (pb.EraseMemberPersonalDataRequest(member_id=0), "member_id"),
        (pb.EraseMemberPersonalDataRequest(member_id=member.id, reason="x" * 501), "reason"),
    ]:
        error = await rpc_error(attendance.EraseMemberPersonalData(request))
        assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", field)
    fetched = await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))
    assert not fetched.member.HasField("personal_data_erased_at")
