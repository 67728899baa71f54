"""Retention work on real PostgreSQL through an in-process churn server: the members at high
risk of a snapshot drawn once into control or contact (the seeded draw, never re-drawn); the
at-risk list with each member's visit rates, group and contact status, the tenure floor and the
day's capacity against the expected cancellations; contacts recorded (a control member refused
unless off-protocol) and listed, bumping the member's and the list's cache versions; the daily
risk history; the effect report over the members whose follow-up window ended; the model's
calibration curve."""

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import numpy as np
import pytest
import redis.asyncio as redis
from churn_support import load_projection
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.churn.v1 import churn_pb2 as pb
from frequenta.churn.v1.churn_pb2_grpc import ChurnServiceStub
from frequenta_churn.bootstrap import ChurnServer, build_server
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.training import GYM_TIMEZONE, train
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retention.assignment import draw_groups
from frequenta_churn.retention.intervals import newcombe_difference, wilson
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import Topology
from frequenta_kit.cache_versions import CacheVersions, redis_client
from frequenta_kit.database import create_engine, create_session_factory, drop_database
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_kit.publisher import WorkPublisher
from frequenta_sim.generator import simulate
from frequenta_sim.params import SimParams
from frequenta_sim.records import training_records

SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/0"
UNTIL = datetime(2026, 6, 1, 3, tzinfo=UTC)
NOW = UNTIL + timedelta(hours=10)
SEED, SHARE = 7, 0.5


@dataclass
class Served:
    engine: AsyncEngine
    server: ChurnServer
    stub: ChurnServiceStub
    versions: CacheVersions
    holdout_rows: int


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    data = training_records(simulate(SimParams(members=300, months=9), seed=3, until=UNTIL))
    members = [
        MemberRecord(
            m.member_id + 1, m.plan_code, m.plan_duration_months, m.enrolled_at, m.cancelled_at
        )
        for m in data.members
    ]
    visits = [VisitRecord(v.member_id + 1, v.entered_at, v.exited_at) for v in data.visits]
    trained = train(members, visits, as_of=UNTIL, horizon_days=30, seed=1)
    name = f"frequenta_test_churn_retention_{uuid.uuid4().hex[:8]}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    await init_churn_database(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(factory)

    await load_projection(uow, members, visits)
    await ModelRegistry(uow, lambda: NOW).register(trained)
    settings = ChurnSettings(
        churn_database_url=url,
        churn_grpc_port=0,
        risk_snapshot_seconds=600,
        retention_control_share=SHARE,
        retention_seed=SEED,
        retention_daily_calls=5,
    )
    versions = CacheVersions(redis_client(REDIS_URL, 1.0), f"frequenta-test-{name[-8:]}")
    closed = WorkPublisher("amqp://guest:guest@127.0.0.1:1/", Topology(), connect_timeout=1)
    server = build_server(settings, engine, closed, clock=lambda: NOW, versions=versions)
    await server.start()
    await server.serving.snapshots.refresh()
    await server.serving.snapshots.settled()  # the day's history and the draw written
    channel = grpc.aio.insecure_channel(server.address)
    try:
        yield Served(engine, server, ChurnServiceStub(channel), versions, trained.chosen_metrics.n)
    finally:
        await channel.close()
        await server.stop(grace=1)
        await versions.close()
        await engine.dispose()
        await drop_database(url)


async def groups(engine: AsyncEngine) -> dict[int, tuple[str, datetime]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT aluno_id, grupo, atribuido_em FROM retencao_grupos")
        )
        return {row[0]: (row[1], row[2]) for row in rows}


async def high_list(served: Served, **fields) -> pb.ListAtRiskMembersResponse:
    request = pb.ListAtRiskMembersRequest(min_band=pb.RISK_BAND_HIGH, page_size=200, **fields)
    return await served.stub.ListAtRiskMembers(request, timeout=10)


async def test_the_members_at_high_risk_are_drawn_once_with_the_seeded_draw(served):
    snapshot = served.server.serving.snapshots.snapshot
    high = snapshot.member_ids[snapshot.bands == 2].tolist()
    assert len(high) >= 10
    drawn = await groups(served.engine)
    assert set(drawn) == set(high)
    expected = draw_groups(high, seed=SEED, control_share=SHARE)
    assert {m: g for m, (g, _) in drawn.items()} == {m: str(g) for m, g in expected.items()}
    assert {str(g) for g in expected.values()} == {"controle", "contato"}

    await served.server.serving.snapshots.refresh()  # the same members seen again
    await served.server.serving.snapshots.settled()
    assert await groups(served.engine) == drawn


async def test_the_list_carries_rates_groups_statuses_and_the_days_capacity(served):
    page = await high_list(served, daily_capacity=5)
    drawn = await groups(served.engine)
    assert page.total == len(page.members) == len(page.retention) >= 10
    control = []
    for risk, state in zip(page.members, page.retention, strict=True):
        assert state.member_id == risk.member_id
        group = drawn[risk.member_id][0]
        control.append(group == "controle")
        if group == "controle":
            assert state.group == pb.RETENTION_GROUP_CONTROL
            assert state.contact_status == pb.CONTACT_STATUS_CONTROL
        else:
            assert state.group == pb.RETENTION_GROUP_CONTACT
        assert risk.HasField("recent_visits_per_week") and risk.recent_visits_per_week >= 0
    p = np.array([risk.probability for risk in page.members])
    callable_p = p[~np.array(control)][:5]
    assert page.daily_capacity == 5
    assert page.expected_cancellations == pytest.approx(p.sum(), abs=1e-3)
    assert page.expected_cancellations_within_capacity == pytest.approx(callable_p.sum(), abs=1e-3)
    assert page.capacity_coverage == pytest.approx(callable_p.sum() / p.sum(), abs=1e-3)

    default = await high_list(served)
    assert default.daily_capacity == 5  # the setting
    floor = 200
    older = await high_list(served, min_tenure_days=floor)
    assert older.total < page.total and all(m.tenure_days >= floor for m in older.members)


async def test_a_bad_tenure_floor_or_capacity_is_invalid_argument(served):
    for fields, reason in (
        ({"min_tenure_days": 100, "max_tenure_days": 50}, "INVALID_MIN_TENURE"),
        ({"daily_capacity": -1}, "INVALID_CAPACITY"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await high_list(served, **fields)
        info = describe_rpc_error(raised.value)
        assert (info.status, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)


async def version(key: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(await client.get(key) or 0)
    finally:
        await client.aclose()


def contact_request(member_id: int, **fields) -> pb.RecordContactRequest:
    return pb.RecordContactRequest(
        member_id=member_id,
        channel=fields.pop("channel", pb.CONTACT_CHANNEL_PHONE),
        outcome=fields.pop("outcome", pb.CONTACT_OUTCOME_TALKED),
        author="ana",
        **fields,
    )


async def test_contacts_are_recorded_listed_and_change_the_status(served):
    drawn = await groups(served.engine)
    member = min(m for m, (g, _) in drawn.items() if g == "contato")
    keys = served.versions.keys
    listed, projected = await version(keys.risk_list), await version(keys.projected_member(member))
    first = await served.stub.RecordContact(contact_request(member, note="sem resposta"))
    second = await served.stub.RecordContact(
        contact_request(
            member,
            channel=pb.CONTACT_CHANNEL_WHATSAPP,
            outcome=pb.CONTACT_OUTCOME_CALLBACK_SCHEDULED,
            next_step="ligar à noite",
            next_step_on="2026-06-03",
        )
    )
    assert await version(keys.risk_list) == listed + 2
    assert await version(keys.projected_member(member)) == projected + 2
    assert second.contact.author == "ana" and second.contact.next_step_on == "2026-06-03"
    assert second.contact.recorded_at.ToDatetime(tzinfo=UTC) == NOW

    log = await served.stub.ListContacts(pb.ListContactsRequest(member_id=member))
    assert [c.id for c in log.contacts] == [second.contact.id, first.contact.id]
    assert log.contacts[1].note == "sem resposta"

    page = await high_list(served)
    state = next(s for s in page.retention if s.member_id == member)
    assert state.contact_status == pb.CONTACT_STATUS_CALLBACK_SCHEDULED
    assert state.last_contact_at.ToDatetime(tzinfo=UTC) == NOW


async def test_a_control_member_is_refused_unless_off_protocol(served):
    drawn = await groups(served.engine)
    member = min(m for m, (g, _) in drawn.items() if g == "controle")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await served.stub.RecordContact(contact_request(member))
    info = describe_rpc_error(raised.value)
    assert (info.status, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CONTROL_GROUP")
    assert "grupo de controle" in info.message
    assert not (await served.stub.ListContacts(pb.ListContactsRequest(member_id=member))).contacts

    kept = await served.stub.RecordContact(contact_request(member, off_protocol=True))
    assert kept.contact.off_protocol
    page = await high_list(served)
    state = next(s for s in page.retention if s.member_id == member)
    assert state.contact_status == pb.CONTACT_STATUS_CONTROL


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (
            pb.RecordContactRequest(member_id=5, outcome=pb.CONTACT_OUTCOME_TALKED, author="a"),
            "INVALID_CHANNEL",
        ),
        (contact_request(5, note="a\x00b"), "TEXT_WITH_NUL"),
        (contact_request(5, next_step="x" * 2001), "TEXT_TOO_LONG"),
        (contact_request(5, next_step_on="amanhã"), "INVALID_DATE"),
        (pb.RecordContactRequest(member_id=5, channel=1, outcome=1), "MISSING_AUTHOR"),
    ],
)
async def test_a_bad_contact_is_invalid_argument(served, request_, reason):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await served.stub.RecordContact(request_)
    info = describe_rpc_error(raised.value)
    assert (info.status, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)


async def test_the_risk_history_is_oldest_first_within_the_days_asked(served):
    snapshot = served.server.serving.snapshots.snapshot
    member = int(snapshot.member_ids[0])
    today = NOW.astimezone(GYM_TIMEZONE).date()
    async with served.engine.begin() as connection:
        for back in (3, 40):
            await connection.execute(
                text(
                    "INSERT INTO risco_historico (aluno_id, dia, probabilidade, faixa,"
                    " versao_modelo, calculado_em) VALUES (:m, :d, 0.5, 'high', 'old', :t)"
                ),
                {"m": member, "d": today - timedelta(days=back), "t": NOW},
            )
    reply = await served.stub.GetRiskHistory(pb.GetRiskHistoryRequest(member_id=member, days=30))
    assert [d.day for d in reply.days] == [
        (today - timedelta(days=3)).isoformat(),
        today.isoformat(),
    ]
    assert reply.days[-1].probability == pytest.approx(float(snapshot.probabilities[0]))
    assert reply.days[0].band == pb.RISK_BAND_HIGH
    everything = await served.stub.GetRiskHistory(pb.GetRiskHistoryRequest(member_id=member))
    assert [d.day for d in everything.days][0] == (today - timedelta(days=40)).isoformat()
    unknown = await served.stub.GetRiskHistory(pb.GetRiskHistoryRequest(member_id=10**12))
    assert list(unknown.days) == []


async def add_followed(
    engine: AsyncEngine, group: str, members: int, cancelled: int, assigned: datetime
) -> list[int]:
    """``members`` of ``group`` drawn at ``assigned``; the first ``cancelled`` cancel 10 days
    later, one more 40 days later (outside the window)."""
    base = 10**9 + uuid.uuid4().int % 10**8 * 100
    ids = list(range(base, base + members))
    async with engine.begin() as connection:
        for n, member in enumerate(ids):
            cancelled_at = None
            if n < cancelled:
                cancelled_at = assigned + timedelta(days=10)
            elif n == cancelled:
                cancelled_at = assigned + timedelta(days=40)
            await connection.execute(
                text(
                    "INSERT INTO alunos (id, plano_codigo, plano_duracao_meses, data_matricula,"
                    " data_cancelamento) VALUES (:id, 'mensal', 1, :enrolled, :cancelled)"
                ),
                {
                    "id": member,
                    "enrolled": assigned - timedelta(days=200),
                    "cancelled": cancelled_at,
                },
            )
            await connection.execute(
                text("INSERT INTO retencao_grupos VALUES (:id, :group, :at, 0.4, 'v-old')"),
                {"id": member, "group": group, "at": assigned},
            )
    return ids


async def test_the_effect_counts_members_whose_window_ended(served):
    before = await served.stub.GetRetentionEffect(pb.GetRetentionEffectRequest())
    assert before.contact.members == before.control.members == 0
    assert before.contact.in_follow_up > 0 and before.conclusion.startswith("Ainda sem dados")

    assigned = NOW - timedelta(days=45)
    contact = await add_followed(served.engine, "contato", 60, 6, assigned)
    await add_followed(served.engine, "controle", 40, 12, assigned)
    async with served.engine.begin() as connection:  # reached: within the window, and not
        for member, at in ((contact[0], assigned + timedelta(days=2)), (contact[1], NOW)):
            await connection.execute(
                text(
                    "INSERT INTO contatos (aluno_id, canal, resultado, autor, registrado_em)"
                    " VALUES (:m, 'telefone', 'conversou', 'ana', :at)"
                ),
                {"m": member, "at": at},
            )
    effect = await served.stub.GetRetentionEffect(pb.GetRetentionEffectRequest())
    assert (effect.contact.members, effect.contact.cancellations) == (60, 6)
    assert (effect.control.members, effect.control.cancellations) == (40, 12)
    assert effect.contact.cancellation_rate == pytest.approx(0.1)
    assert effect.control.ci95_lower == pytest.approx(wilson(12, 40).lower)
    interval = newcombe_difference(6, 60, 12, 40)
    assert effect.difference == pytest.approx(0.1 - 0.3)
    assert (effect.difference_ci95_lower, effect.difference_ci95_upper) == pytest.approx(
        (interval.lower, interval.upper)
    )
    assert effect.contacted == 1 and effect.follow_up_days == 30
    assert effect.control_share == SHARE
    assert effect.conclusion.startswith("Os contatos reduziram os cancelamentos")


async def test_the_models_calibration_curve_covers_the_hold_out(served):
    info = await served.stub.GetModelInfo(pb.GetModelInfoRequest())
    curve = info.model.metrics.calibration_curve
    assert 1 <= len(curve) <= 10
    assert sum(b.rows for b in curve) == served.holdout_rows
    assert all(0 <= b.mean_predicted <= 1 and 0 <= b.observed_rate <= 1 for b in curve)
    assert [b.mean_predicted for b in curve] == sorted(b.mean_predicted for b in curve)
