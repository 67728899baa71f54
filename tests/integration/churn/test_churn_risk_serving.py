"""Serving risk on real PostgreSQL through in-process gRPC servers: a simulated gym in the
projection, two model versions trained from it in the registry, two replicas on one database.
GetChurnRisk equals the offline computation; the defined answers for unknown and cancelled
members; the at-risk list ranked, filtered and without cancelled members (also those cancelled
after its snapshot); served predictions and the daily history in churn's database; a promotion
and a rollback while requests run fail none of them, each answer being one version's, and the
other replica swaps by polling."""

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from churn_support import load_projection
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.churn.v1 import churn_pb2
from frequenta.churn.v1.churn_pb2_grpc import ChurnServiceStub
from frequenta_churn.bootstrap import ChurnServer, build_server
from frequenta_churn.ml.features import features_as_of
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.training import GYM_TIMEZONE, TrainingResult, train
from frequenta_churn.projection.facts import MemberFacts
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import Topology
from frequenta_kit.database import create_engine, create_session_factory, drop_database
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_kit.publisher import WorkPublisher
from frequenta_sim.generator import simulate
from frequenta_sim.params import SimParams
from frequenta_sim.records import training_records

SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
UNTIL = datetime(2026, 6, 1, 3, tzinfo=UTC)
NOW = UNTIL + timedelta(hours=10)  # the servers' clock
TZ = GYM_TIMEZONE


@dataclass
class Gym:
    members: list[MemberRecord]
    visits: dict[int, list[VisitRecord]]
    first: TrainingResult
    second: TrainingResult

    def active(self) -> list[int]:
        return [m.member_id for m in self.members if m.cancelled_at is None]

    def cancelled(self) -> list[int]:
        return [m.member_id for m in self.members if m.cancelled_at is not None]

    def offline(self, result: TrainingResult, member_id: int) -> float:
        member = next(m for m in self.members if m.member_id == member_id)
        X = features_as_of(member, self.visits.get(member_id, []), NOW, TZ)
        return float(OnnxScorer(result.onnx).risk(X[None, :])[0])


@pytest.fixture(scope="module")
def gym() -> Gym:
    data = training_records(simulate(SimParams(members=400, months=10), seed=5, until=UNTIL))
    members = [
        MemberRecord(
            m.member_id + 1, m.plan_code, m.plan_duration_months, m.enrolled_at, m.cancelled_at
        )
        for m in data.members
    ]
    visits: dict[int, list[VisitRecord]] = {}
    for v in data.visits:
        visits.setdefault(v.member_id + 1, []).append(
            VisitRecord(v.member_id + 1, v.entered_at, v.exited_at)
        )
    everything = [v for own in visits.values() for v in own]
    first = train(members, everything, as_of=UNTIL, horizon_days=30, seed=1)
    second = train(members, everything, as_of=UNTIL, horizon_days=45, seed=2)
    return Gym(members, visits, first, second)


def closed_broker() -> WorkPublisher:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"amqp://guest:guest@127.0.0.1:{port}/"
    return WorkPublisher(url, Topology(namespace=uuid.uuid4().hex[:8]), connect_timeout=1)


@dataclass
class Served:
    engine: AsyncEngine
    uow: object
    registry: ModelRegistry
    versions: tuple[str, str]
    servers: list[ChurnServer]
    stubs: list[ChurnServiceStub]


@pytest.fixture(scope="module")
async def served(gym: Gym) -> AsyncIterator[Served]:
    name = f"frequenta_test_churn_risk_{uuid.uuid4().hex[:8]}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    await init_churn_database(url)
    engine = create_engine(url)
    session_factory = create_session_factory(engine)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    await load_projection(uow, gym.members, [v for own in gym.visits.values() for v in own])
    registry = ModelRegistry(uow, lambda: NOW)
    first = await registry.register(gym.first)
    second = await registry.register(gym.second)
    assert first.promoted and not second.promoted
    settings = ChurnSettings(
        churn_database_url=url,
        churn_grpc_port=0,
        model_poll_seconds=0.1,
        risk_snapshot_seconds=600,
        risk_flush_seconds=0.05,
    )
    servers: list[ChurnServer] = []
    channels: list[grpc.aio.Channel] = []
    try:
        for _ in range(2):  # two replicas on one database
            server = build_server(settings, engine, closed_broker(), clock=lambda: NOW)
            await server.start()
            servers.append(server)
            channels.append(grpc.aio.insecure_channel(server.address))
        yield Served(
            engine,
            uow,
            registry,
            (first.version, second.version),
            servers,
            [ChurnServiceStub(channel) for channel in channels],
        )
    finally:
        for channel in channels:
            await channel.close()
        for server in servers:
            await server.stop(grace=1)
        await engine.dispose()
        await drop_database(url)


async def risk_of(stub: ChurnServiceStub, member_id: int) -> churn_pb2.ChurnRisk:
    reply = await stub.GetChurnRisk(churn_pb2.GetChurnRiskRequest(member_id=member_id), timeout=5)
    return reply.risk


async def rpc_error(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_an_active_members_risk_is_the_offline_one_with_its_reasons(served, gym):
    member_id = gym.active()[0]
    risk = await risk_of(served.stubs[0], member_id)
    assert risk.probability == pytest.approx(gym.offline(gym.first, member_id), abs=1e-6)
    assert (risk.member_id, risk.model_version, risk.horizon_days) == (
        member_id,
        served.versions[0],
        30,
    )
    assert risk.computed_at.ToDatetime(tzinfo=UTC) == NOW
    member = next(m for m in gym.members if m.member_id == member_id)
    assert risk.plan_code == member.plan_code
    assert risk.band != churn_pb2.RISK_BAND_UNSPECIFIED
    assert 1 <= len(risk.factors) <= 4 and risk.recommendations
    for factor in risk.factors:
        assert factor.factor and factor.feature and factor.description
        assert factor.direction != churn_pb2.FACTOR_DIRECTION_UNSPECIFIED and factor.weight > 0


async def test_the_riskiest_answers_name_absence_with_its_sentence(served, gym):
    scored = sorted(gym.active(), key=lambda m: -gym.offline(gym.first, m))[:5]
    for member_id in scored:
        risk = await risk_of(served.stubs[0], member_id)
        assert risk.band in (churn_pb2.RISK_BAND_MEDIUM, churn_pb2.RISK_BAND_HIGH)
        raising = [
            f for f in risk.factors if f.direction == churn_pb2.FACTOR_DIRECTION_INCREASES_RISK
        ]
        assert raising, risk


async def test_a_cancelled_member_is_failed_precondition_with_the_date(served, gym):
    member_id = gym.cancelled()[0]
    error = await rpc_error(risk_of(served.stubs[0], member_id))
    info = describe_rpc_error(error)
    assert (info.status, info.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "MEMBERSHIP_CANCELLED",
    )
    cancelled = next(m.cancelled_at for m in gym.members if m.member_id == member_id)
    assert cancelled.astimezone(TZ).date().isoformat() in info.message


async def test_an_unknown_member_is_not_found_and_the_lag_is_said(served):
    info = describe_rpc_error(await rpc_error(risk_of(served.stubs[0], 9_999_999)))
    assert (info.status, info.reason) == (grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND")
    assert "projection" in info.message


async def test_the_at_risk_list_is_ranked_filtered_and_only_active(served, gym):
    stub = served.stubs[0]
    everyone = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(page_size=200), timeout=10
    )
    active = set(gym.active())
    assert everyone.total == len(active) and everyone.model_version == served.versions[0]
    ids = [m.member_id for m in everyone.members]
    assert set(ids) <= active and len(ids) == min(200, len(active))
    probabilities = [m.probability for m in everyone.members]
    assert probabilities == sorted(probabilities, reverse=True)
    top = everyone.members[0]
    assert top.probability == pytest.approx(gym.offline(gym.first, top.member_id), abs=1e-6)
    assert 1 <= len(top.factors) <= 4

    high = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(min_band=churn_pb2.RISK_BAND_HIGH), timeout=10
    )
    assert 0 < high.total < everyone.total
    assert all(m.band == churn_pb2.RISK_BAND_HIGH for m in high.members)
    monthly = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(plan_code="mensal", max_tenure_days=120), timeout=10
    )
    assert monthly.total and all(
        m.plan_code == "mensal" and m.tenure_days <= 120 for m in monthly.members
    )
    second_page = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(page=2, page_size=200), timeout=10
    )
    assert not {m.member_id for m in second_page.members} & set(ids)
    bad = await rpc_error(
        stub.ListAtRiskMembers(churn_pb2.ListAtRiskMembersRequest(page_size=500), timeout=5)
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_member_cancelled_after_the_snapshot_leaves_the_list_at_once(served, gym, poll):
    stub = served.stubs[0]
    before = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(page_size=5), timeout=10
    )
    leaving = before.members[0].member_id
    async with served.uow() as unit:
        await unit.projection.merge_members(
            [
                MemberFacts(
                    leaving, cancelled_at=NOW - timedelta(hours=1), cancellation_reason="price"
                )
            ]
        )
        await unit.commit()
    after = await stub.ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(page_size=5), timeout=10
    )
    assert after.total == before.total - 1 and after.computed_at == before.computed_at
    assert leaving not in {m.member_id for m in after.members}
    info = describe_rpc_error(await rpc_error(risk_of(stub, leaving)))
    assert info.reason == "MEMBERSHIP_CANCELLED"


async def query(served: "Served", sql: str, **params):
    async with served.engine.connect() as connection:
        return (await connection.execute(text(sql), params)).first()


async def test_served_risks_and_the_daily_history_are_stored(served, gym, poll):
    member_id = gym.active()[1]
    risk = await risk_of(served.stubs[0], member_id)

    async def stored():
        return await query(
            served,
            "SELECT probabilidade, faixa, versao_modelo, fatores, recomendacoes,"
            " historico_limitado, plano_codigo FROM risco WHERE aluno_id = :id",
            id=member_id,
        )

    row = await poll(stored, within=10, what="the served risk in `risco`")
    assert row[0] == pytest.approx(risk.probability) and row[2] == risk.model_version
    assert [f["factor"] for f in row[3]] == [f.factor for f in risk.factors]
    assert row[4] == list(risk.recommendations) and row[6] == risk.plan_code

    async def history():
        row = await query(served, "SELECT count(*), min(dia), max(dia) FROM risco_historico")
        return row if row[0] else None

    count, first_day, last_day = await poll(history, within=10, what="the daily history")
    assert count == len(gym.active()) and first_day == last_day == NOW.astimezone(TZ).date()


async def test_a_promotion_and_a_rollback_under_load_fail_no_request(served, gym, poll):
    """Concurrent GetChurnRisk calls on both replicas while replica 0 promotes the second
    version and rolls back: every call succeeds and gives exactly the probability its version
    gives the member; replica 1 swaps by itself (its poll) both times."""
    first, second = served.versions
    members = gym.active()[:8]
    expected = {
        (version, m): gym.offline(result, m)
        for version, result in ((first, gym.first), (second, gym.second))
        for m in members
    }
    answers: list[churn_pb2.ChurnRisk] = []
    done = asyncio.Event()

    async def client(stub: ChurnServiceStub, offset: int) -> None:
        n = offset
        while not done.is_set():
            answers.append(await risk_of(stub, members[n % len(members)]))
            n += 1

    async def serving(stub: ChurnServiceStub, version: str) -> bool:
        return (await risk_of(stub, members[0])).model_version == version

    clients = [asyncio.create_task(client(s, k)) for k in range(3) for s in served.stubs]
    try:
        await poll(lambda: _at_least(answers, 30), within=10, what="requests before the swap")
        await served.stubs[0].PromoteModel(
            churn_pb2.PromoteModelRequest(version=second, force=True), timeout=10
        )
        assert await serving(served.stubs[0], second)  # the promoting replica: at once
        await poll(lambda: serving(served.stubs[1], second), within=10, what="replica 1 swap")
        mark = len(answers)
        await poll(lambda: _at_least(answers, mark + 30), within=10, what="requests after")
        await served.stubs[0].RollbackModel(churn_pb2.RollbackModelRequest(), timeout=10)
        await poll(lambda: serving(served.stubs[1], first), within=10, what="replica 1 back")
        mark = len(answers)
        await poll(lambda: _at_least(answers, mark + 30), within=10, what="requests after")
    finally:
        done.set()
        results = await asyncio.gather(*clients, return_exceptions=True)
    assert [r for r in results if r is not None] == [], "a request failed during a swap"
    versions = {a.model_version for a in answers}
    assert versions == {first, second}
    for answer in answers:
        horizon = 30 if answer.model_version == first else 45
        assert answer.horizon_days == horizon
        assert answer.probability == pytest.approx(
            expected[(answer.model_version, answer.member_id)], abs=1e-6
        )
    page = await served.stubs[1].ListAtRiskMembers(
        churn_pb2.ListAtRiskMembersRequest(page_size=3), timeout=10
    )
    assert page.model_version == first


async def _at_least(items: list, n: int) -> bool:
    return len(items) >= n
