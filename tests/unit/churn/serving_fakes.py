"""Hand-written fakes for the risk serving's unit tests: the registry as a model source, a
unit of work holding a projection and the served-risk store, scorers whose answer names their
version, and serving models built around the session's trained model."""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.localtime import to_ms
from frequenta_churn.ml.records import NEVER, MemberRecord, VisitRecord
from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.registry.views import LoadedModel, ServingPointer
from frequenta_churn.retention.status import Group, Outcome
from frequenta_churn.serving.handlers import Serving
from frequenta_churn.serving.member_reads import MemberHistory
from frequenta_churn.serving.model import ModelHolder, ServingModel
from frequenta_churn.serving.recorder import RiskRecorder
from frequenta_churn.serving.snapshots import SnapshotKeeper

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2025, 11, 3, 15, tzinfo=UTC)


class ConstantScorer:
    """Every row scores the probability written in the "ONNX bytes" (b"0.25" -> 0.25)."""

    def __init__(self, onnx: bytes) -> None:
        self.probability = float(onnx.decode())
        self.calls = 0

    def risk(self, X: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.full(X.shape[0], self.probability, dtype=np.float32)


@dataclass
class FakeSource:
    """The registry's serving pointer and versions."""

    schema: ModelSchema
    pointer: ServingPointer | None = None
    onnx: dict[str, bytes] = field(default_factory=dict)
    loads: list[str] = field(default_factory=list)
    fail: bool = False
    polls: int = 0

    def serve(self, version: str, onnx: bytes | None = None) -> None:
        if onnx is not None:
            self.onnx[version] = onnx
        number = 1 if self.pointer is None else self.pointer.promotion_id + 1
        self.pointer = ServingPointer(version, number, NOW)

    async def serving_now(self) -> ServingPointer | None:
        self.polls += 1
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("database away")
        return self.pointer

    async def load(self, version: str) -> LoadedModel:
        self.loads.append(version)
        await asyncio.sleep(0)
        return LoadedModel(version, "gradient_boosting", self.onnx[version], self.schema)


class FakeMembers:
    """The projection's members and visits, as the serving path reads them."""

    def __init__(self) -> None:
        self.members: dict[int, tuple[MemberRecord, list[VisitRecord]]] = {}
        self.reads = 0
        self.delay = 0  # event-loop turns a read takes
        self.closed = False

    def add(self, member: MemberRecord, visits: list[VisitRecord]) -> None:
        self.members[member.member_id] = (member, visits)

    async def history(self, member_id: int) -> MemberHistory | None:
        self.reads += 1
        for _ in range(self.delay):
            await asyncio.sleep(0)
        if member_id not in self.members:
            return None
        member, visits = self.members[member_id]
        ordered = sorted(visits, key=lambda v: v.entered_at)
        return MemberHistory(
            member,
            np.array([to_ms(v.entered_at) for v in ordered], dtype=np.int64),
            np.array(
                [NEVER if v.exited_at is None else to_ms(v.exited_at) for v in ordered],
                dtype=np.int64,
            ),
        )

    async def close(self) -> None:
        self.closed = True


class FakeRisks:
    def __init__(self) -> None:
        self.latest: dict[int, object] = {}
        self.upserts: list[list] = []
        self.history: list[dict] = []
        self.cancelled: list[int] = []
        self.cancelled_queries: list[datetime] = []
        self.fail = False

    async def upsert_latest(self, risks) -> None:
        if self.fail:
            raise ConnectionError("database away")
        self.upserts.append(list(risks))
        for risk in risks:
            self.latest[risk.member_id] = risk

    async def add_history(self, **row) -> None:
        self.history.append(row)

    async def cancelled_since(self, since: datetime) -> np.ndarray:
        self.cancelled_queries.append(since)
        return np.array(self.cancelled, dtype=np.int64)


class FakeRetention:
    """Groups drawn and contacts recorded, in memory (retention.store.RetentionStore)."""

    def __init__(self) -> None:
        self.groups: dict[int, Group] = {}
        self.latest: dict[int, tuple[datetime, Outcome]] = {}

    async def control_members(self) -> np.ndarray:
        ids = [m for m, group in self.groups.items() if group is Group.CONTROL]
        return np.array(ids, dtype=np.int64)

    async def states(self, member_ids):
        return {m: (self.groups.get(m), *self.latest.get(m, (None, None))) for m in member_ids}


class FakeUnitOfWork:
    def __init__(self, risks: FakeRisks, retention: FakeRetention | None = None) -> None:
        self.risks = risks
        self.retention = retention or FakeRetention()
        self.commits = 0

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def serving_model(trained, version: str = "v1", promotion_id: int = 1) -> ServingModel:
    return ServingModel(
        version=version,
        promotion_id=promotion_id,
        algorithm=trained.chosen,
        scorer=OnnxScorer(trained.onnx),
        schema=trained.schema,
        loaded_at=NOW,
    )


@dataclass
class Rig:
    """A Serving over fakes: the source, the projection, the risk store, the clock."""

    serving: Serving
    source: FakeSource
    members: FakeMembers
    risks: FakeRisks
    clock: Clock
    active: list = field(default_factory=list)  # GymColumns handed to the snapshot
    retention: FakeRetention = field(default_factory=FakeRetention)

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.risks, self.retention)


def rig(schema: ModelSchema, scorer=ConstantScorer, *, snapshot_seconds: float = 300.0) -> Rig:
    clock = Clock()
    source = FakeSource(schema)
    members, risks = FakeMembers(), FakeRisks()
    holder = ModelHolder(source, clock, scorer)
    active: list = []

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(risks)

    async def read_active(tz):
        await asyncio.sleep(0)
        return active[-1]

    recorder = RiskRecorder(uow, SAO_PAULO, interval=0.01)  # type: ignore[arg-type]
    snapshots = SnapshotKeeper(
        holder,
        read_active,
        clock,
        SAO_PAULO,
        interval=snapshot_seconds,
        on_snapshot=recorder.record_snapshot,
    )
    serving = Serving(holder, members, snapshots, recorder, clock, SAO_PAULO)
    return Rig(serving, source, members, risks, clock, active)


def incompatible(schema: ModelSchema) -> ModelSchema:
    return replace(schema, feature_schema_version=schema.feature_schema_version + 1)
