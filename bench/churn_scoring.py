"""The in-process parts of bench/churn_serving.py: scoring a large gym in one batch, and reading
it from churn's projection."""

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import numpy as np
from sqlalchemy import make_url, text

from frequenta_churn.ml.bench import replicate, simulated_records
from frequenta_churn.ml.features import features_at
from frequenta_churn.ml.records import GymColumns
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.training import GYM_TIMEZONE, train
from frequenta_churn.serving.model import ServingModel
from frequenta_churn.serving.risk import assess
from frequenta_churn.serving.snapshot import facts_at, score_snapshot

VISITS_PER_MEMBER = 62  # the demo gym's active members average about this many


class Table(Protocol):
    def add(self, measure: str, value: str, goal: str = "") -> None: ...


def best(function: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    fastest, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, result


def scoring(members: int, table: Table) -> None:
    records, visits, until = simulated_records(3000, 15, 1)
    result = train(records, visits, as_of=until, horizon_days=30, seed=1)
    model = ServingModel("bench", 1, result.chosen, OnnxScorer(result.onnx), result.schema, until)
    gym = GymColumns.from_records(records, visits, GYM_TIMEZONE)
    big = replicate(gym, -(-members // gym.n_members), members)
    features_s, X = best(lambda: features_at(big, until))
    X32 = np.asarray(X, dtype=np.float32)
    onnx_s, _ = best(lambda: model.scorer.risk(X32))
    snapshot_s, snapshot = best(lambda: score_snapshot(model, big, until))
    page = np.arange(50)

    def explain_page():
        return assess(
            model,
            snapshot.X[page],
            facts_at(snapshot, page),
            until,
            probabilities=snapshot.probabilities[page],
        )

    page_s, _ = best(explain_page)
    label = f"{big.n_members:,} members ({big.n_visits:,} visits)"
    table.add(f"scoring {label}: features", f"{features_s:.3f} s")
    table.add(f"scoring {label}: one ONNX call", f"{onnx_s:.3f} s")
    table.add(f"scoring {label}: total", f"{features_s + onnx_s:.3f} s", "< 1 s")
    table.add(f"at-risk snapshot of {label} (scores, ranking, bands)", f"{snapshot_s:.3f} s")
    table.add("explaining a page of 50 (factors, sentences, advice)", f"{page_s * 1000:.1f} ms")


async def _projection_read(server_url: str, members: int, table: Table) -> None:
    from frequenta_churn.uow import SqlAlchemyUnitOfWork
    from frequenta_db.churn import init_churn_database
    from frequenta_kit.database import create_engine, create_session_factory, drop_database

    name = f"frequenta_bench_read_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await init_churn_database(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO alunos (id, plano_codigo, plano_duracao_meses, data_matricula)"
                    " SELECT g, (ARRAY['mensal','trimestral','semestral','anual'])[1 + g % 4],"
                    " (ARRAY[1, 3, 6, 12])[1 + g % 4], now() - make_interval(days => 30 + g % 700)"
                    " FROM generate_series(1, :n) g"
                ),
                {"n": members},
            )
            await connection.execute(
                text(
                    "INSERT INTO checkins (id, aluno_id, data_entrada, data_saida)"
                    " SELECT (m - 1) * :k + v, m,"
                    " now() - make_interval(days => v * 4, mins => m % 600),"
                    " now() - make_interval(days => v * 4, mins => m % 600 - 55)"
                    " FROM generate_series(1, :n) m, generate_series(1, :k) v"
                ),
                {"n": members, "k": VISITS_PER_MEMBER},
            )
            await connection.execute(text("ANALYZE alunos"))
            await connection.execute(text("ANALYZE checkins"))
        session_factory = create_session_factory(engine)

        async def read() -> GymColumns:
            async with SqlAlchemyUnitOfWork(session_factory) as uow:
                return await uow.projection.active_columns(GYM_TIMEZONE)

        seconds, columns = float("inf"), None
        for _ in range(3):
            started = time.perf_counter()
            columns = await read()
            seconds = min(seconds, time.perf_counter() - started)
        assert columns is not None
        table.add(
            f"reading {columns.n_members:,} active members ({columns.n_visits:,} visits) "
            "from the projection",
            f"{seconds:.2f} s",
        )
    finally:
        await engine.dispose()
        await drop_database(url)


def projection_read(server_url: str, members: int, table: Table) -> None:
    asyncio.run(_projection_read(server_url, members, table))
