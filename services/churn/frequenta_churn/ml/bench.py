"""Figures of the model core: ``python -m frequenta_churn.ml.bench``.

- training: train() on the simulated demo gym (3,000 members, 15 months) from its records, with
  the time of each stage and every candidate's hold-out metrics;
- scoring: 100,000 members (the demo gym's members copied under new ids) scored as of the end
  of the data in one batch: the features, then one ONNX call; then the explanation of the 100
  riskiest and of all of them.

Each timing is the best of ``--repeat`` runs, single-threaded as in serving.
"""

import argparse
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime

import numpy as np

from frequenta_churn.ml.explain import explain
from frequenta_churn.ml.features import feature_matrix
from frequenta_churn.ml.localtime import to_ms
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.training import GYM_TIMEZONE, train
from frequenta_churn.ml.wording import RiskBand

UNTIL = datetime(2026, 6, 1, 3, tzinfo=UTC)


def _best(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def simulated_records(members: int, months: int, seed: int):
    from frequenta_sim.generator import simulate  # a development tool, not a runtime dependency
    from frequenta_sim.params import SimParams
    from frequenta_sim.records import training_records

    data = training_records(
        simulate(SimParams(members=members, months=months), seed=seed, until=UNTIL)
    )
    return (
        [MemberRecord(**asdict(m)) for m in data.members],
        [VisitRecord(**asdict(v)) for v in data.visits],
        data.until,
    )


def replicate(gym, copies: int, limit: int):
    """The gym's members ``copies`` times under new ids, cut to ``limit`` members."""
    from frequenta_churn.ml.records import GymColumns

    ids = np.concatenate([gym.member_ids + k * 10**7 for k in range(copies)])
    visits = np.concatenate([gym.member_ids[gym.visit_member] + k * 10**7 for k in range(copies)])
    keep = np.argsort(ids)[:limit]
    kept_ids = ids[keep]
    visit_keep = np.isin(visits, kept_ids)
    return GymColumns.from_arrays(
        tz=gym.tz,
        member_ids=kept_ids,
        plan_codes=np.tile(gym.plan_codes, copies)[keep],
        plan_months=np.tile(gym.plan_months, copies)[keep],
        enrolled_ms=np.tile(gym.enrolled_ms, copies)[keep],
        cancelled_ms=np.tile(gym.cancelled_ms, copies)[keep],
        visit_member_ids=visits[visit_keep],
        entry_ms=np.tile(gym.entry_ms, copies)[visit_keep],
        exit_ms=np.tile(gym.exit_ms, copies)[visit_keep],
    )


def run(members: int, months: int, seed: int, score_members: int, repeat: int) -> dict:
    from frequenta_churn.ml.records import GymColumns

    records, visits, until = simulated_records(members, months, seed)
    training_seconds, result = _best(
        lambda: train(records, visits, as_of=until, horizon_days=30, seed=seed), 1
    )
    gym = GymColumns.from_records(records, visits, GYM_TIMEZONE)
    big = replicate(gym, -(-score_members // gym.n_members), score_members)
    scorer = OnnxScorer(result.onnx)
    everyone = np.arange(big.n_members)
    at = to_ms(until)
    features_s, X = _best(lambda: feature_matrix(big, everyone, at), repeat)
    onnx_s, risk = _best(lambda: scorer.risk(X.astype(np.float32)), repeat)
    top = np.argsort(-risk)[:100]
    reference = result.schema.reference
    explain_top_s, _ = _best(lambda: explain(scorer, X[top], reference), repeat)
    explain_all_s, _ = _best(lambda: explain(scorer, X, reference), 1)
    bands = [result.schema.bands.band(float(p)) for p in risk[big.cancelled_ms > at]]
    return {
        "gym": {"members": members, "months": months, "seed": seed, "visits": len(visits)},
        "training_seconds": round(training_seconds, 3),
        "training_stages": {k: round(v, 3) for k, v in result.seconds.items()},
        "counts": asdict(result.counts),
        "window": {k: str(v) for k, v in asdict(result.window).items()},
        "chosen": result.chosen,
        "parity_max_diff": result.parity_max_diff,
        "bands": asdict(result.schema.bands),
        "metrics": {name: m.headline() for name, m in result.metrics.items()},
        "reliability": [asdict(b) for b in result.chosen_metrics.reliability],
        "scoring": {
            "members": int(big.n_members),
            "visits": int(big.n_visits),
            "features_seconds": round(features_s, 4),
            "onnx_seconds": round(onnx_s, 4),
            "total_seconds": round(features_s + onnx_s, 4),
            "explain_top_100_seconds": round(explain_top_s, 4),
            "explain_all_seconds": round(explain_all_s, 3),
            "active_band_shares": {
                band.value: round(bands.count(band) / max(len(bands), 1), 4) for band in RiskBand
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--months", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--score-members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    figures = run(args.members, args.months, args.seed, args.score_members, args.repeat)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
