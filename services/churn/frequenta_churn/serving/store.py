"""Served risk in churn's database (tables ``risco`` and ``risco_historico``), and the one
projection read the at-risk list needs per request. Writes are multi-row statements over arrays
(``unnest``), in member order, so concurrent replicas lock rows in the same order."""

import json
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.models import RiskHistory
from frequenta_churn.serving.risk import MemberRisk, headline_value

BAND_CODES = {RiskBand.LOW: "low", RiskBand.MEDIUM: "medium", RiskBand.HIGH: "high"}
HISTORY_CHUNK = 20_000

_LATEST_COLUMNS = (
    "probabilidade",
    "faixa",
    "fatores",
    "recomendacoes",
    "versao_modelo",
    "horizonte_dias",
    "historico_limitado",
    "plano_codigo",
    "calculado_em",
)
_UPSERT_LATEST = text(
    f"INSERT INTO risco AS r (aluno_id, {', '.join(_LATEST_COLUMNS)})"
    " SELECT i, p, b, f::jsonb, a::jsonb, v, h, l, c, t FROM unnest("
    " CAST(:ids AS bigint[]), CAST(:probabilities AS float8[]), CAST(:bands AS varchar[]),"
    " CAST(:factors AS text[]), CAST(:advice AS text[]), CAST(:versions AS varchar[]),"
    " CAST(:horizons AS int[]), CAST(:limited AS boolean[]), CAST(:plans AS varchar[]),"
    " CAST(:computed AS timestamptz[])) AS u(i, p, b, f, a, v, h, l, c, t)"
    " ON CONFLICT (aluno_id) DO UPDATE SET"
    f" ({', '.join(_LATEST_COLUMNS)}, atualizado_em)"
    f" = ({', '.join(f'EXCLUDED.{c}' for c in _LATEST_COLUMNS)}, now())"
    " WHERE r.calculado_em <= EXCLUDED.calculado_em"
)
_ADD_HISTORY = text(
    "INSERT INTO risco_historico"
    " (aluno_id, dia, probabilidade, faixa, versao_modelo, calculado_em)"
    " SELECT i, :day, p, b, :version, :computed FROM unnest("
    " CAST(:ids AS bigint[]), CAST(:probabilities AS float8[]), CAST(:bands AS varchar[]))"
    " AS u(i, p, b) ON CONFLICT (aluno_id, dia) DO NOTHING"
)
_CANCELLED_SINCE = text(
    "SELECT id FROM alunos WHERE data_cancelamento IS NOT NULL AND atualizado_em >= :since"
)


def factor_rows(risk: MemberRisk) -> list[dict]:
    rows = []
    for factor in risk.factors:
        feature, value = headline_value(factor)
        rows.append(
            {
                "factor": factor.code,
                "feature": feature,
                "value": value,
                "direction": factor.direction.value,
                "weight": round(factor.weight, 6),
                "description": factor.sentence,
            }
        )
    return rows


class RiskStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_latest(self, risks: Sequence[MemberRisk]) -> None:
        """Each member's latest served risk (an older computation never replaces a newer)."""
        latest = sorted(risks, key=lambda risk: risk.member_id)
        if not latest:
            return
        await self._session.execute(
            _UPSERT_LATEST,
            {
                "ids": [r.member_id for r in latest],
                "probabilities": [r.probability for r in latest],
                "bands": [BAND_CODES[r.band] for r in latest],
                "factors": [json.dumps(factor_rows(r), ensure_ascii=False) for r in latest],
                "advice": [json.dumps(list(r.recommendations), ensure_ascii=False) for r in latest],
                "versions": [r.model_version for r in latest],
                "horizons": [r.horizon_days for r in latest],
                "limited": [r.limited_history for r in latest],
                "plans": [r.plan_code for r in latest],
                "computed": [r.computed_at for r in latest],
            },
        )

    async def add_history(
        self,
        *,
        day: date,
        member_ids: np.ndarray,
        probabilities: np.ndarray,
        bands: Sequence[str],
        version: str,
        computed_at: datetime,
    ) -> None:
        """One row per member for ``day``; a member who has one for that day keeps it."""
        order = np.argsort(member_ids, kind="stable")
        ids = member_ids[order].tolist()
        p = probabilities[order].astype(np.float64).tolist()
        b = [bands[i] for i in order]
        for start in range(0, len(ids), HISTORY_CHUNK):
            end = start + HISTORY_CHUNK
            await self._session.execute(
                _ADD_HISTORY,
                {
                    "day": day,
                    "version": version,
                    "computed": computed_at,
                    "ids": ids[start:end],
                    "probabilities": p[start:end],
                    "bands": b[start:end],
                },
            )

    async def cancelled_since(self, since: datetime) -> np.ndarray:
        """Members whose cancellation reached the projection at or after ``since``."""
        rows = await self._session.execute(_CANCELLED_SINCE, {"since": since})
        return np.fromiter((row[0] for row in rows), dtype=np.int64)

    async def history(self, member_id: int, since: date) -> list[RiskHistory]:
        """The member's daily scores from ``since`` (a local day) on, oldest first."""
        rows = await self._session.scalars(
            select(RiskHistory)
            .where(RiskHistory.member_id == member_id, RiskHistory.day >= since)
            .order_by(RiskHistory.day)
        )
        return list(rows)
