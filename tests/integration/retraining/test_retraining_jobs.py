"""Retraining end to end through the queue: a job trains from attendance's export stream,
registers the version and serves it; what does not win is kept but not served; promotion by
force and rollback; a redelivered command is a no-op; too little data fails the job cleanly;
two workers train one at a time."""

import grpc
import pytest
from gym_loading import attendance_with_gym, simulated_gym
from integration_support import SERVER_URL

from frequenta.churn.v1 import churn_pb2
from frequenta_churn.ml.candidates import CANDIDATES
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.training import train
from frequenta_churn.train_command import train as train_command
from frequenta_churn.training_data import ExportedGym
from frequenta_churn.training_lock import TrainingLock
from frequenta_kit.consumer import WorkMessage
from frequenta_kit.errors import Unavailable
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_ops.stack import free_port

SUCCEEDED = churn_pb2.RETRAINING_STATE_SUCCEEDED
FAILED = churn_pb2.RETRAINING_STATE_FAILED


def recency_only(gym: ExportedGym):
    """A retraining that cannot beat a model trained on the same data: the recency rule alone
    (the first training fitted that very model among its candidates, and kept the best)."""
    return train(
        gym.members,
        gym.visits,
        as_of=gym.as_of,
        horizon_days=30,
        seed=0,
        candidates=tuple(c for c in CANDIDATES if c.name == "recency_rule"),
    )


async def rpc_error(call) -> tuple[grpc.StatusCode, str | None]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    info = describe_rpc_error(raised.value)
    return info.status, info.reason


async def test_a_job_trains_from_the_export_and_serves_the_first_model(
    demo_gym, new_churn, finished
) -> None:
    churn = await new_churn(demo_gym)
    await churn.start_worker()

    queued = await churn.retrain(promote_if_better=False)
    job = await finished(churn, queued.job_id)

    assert job.state == SUCCEEDED, job.error
    assert job.promoted and job.model_version and not job.error
    assert job.started_at.ToDatetime() <= job.finished_at.ToDatetime()
    model = (await churn.stub.GetModelInfo(churn_pb2.GetModelInfoRequest(), timeout=5)).model
    assert (model.version, model.serving, model.job_id) == (job.model_version, True, job.job_id)
    assert model.promotion_reason == churn_pb2.PROMOTION_REASON_FIRST
    assert (model.members, model.visits, model.cancellations) == (
        demo_gym.members,
        demo_gym.visits,
        demo_gym.cancellations,
    )
    assert model.metrics.pr_auc > model.metrics.base_rate > 0
    assert {c.algorithm for c in model.candidates} == {
        "recency_rule",
        "logistic_regression",
        "gradient_boosting",
    }
    assert model.algorithm in {c.algorithm for c in model.candidates}
    assert model.parity_max_diff <= 1e-5 and model.horizon_days == 30
    assert model.trained_until.ToDatetime() < model.holdout_from.ToDatetime()
    assert 0 < model.band_thresholds.medium <= model.band_thresholds.high < 1
    versions = (await churn.stub.ListModelVersions(churn_pb2.ListModelVersionsRequest())).versions
    assert [v.version for v in versions] == [job.model_version]
    loaded = await churn.registry.load(job.model_version)
    assert loaded.schema.matches_code()
    assert OnnxScorer(loaded.onnx).n_features == len(loaded.schema.feature_names)


async def test_what_does_not_win_is_kept_not_served_until_forced_and_rolled_back(
    demo_gym, new_churn, finished
) -> None:
    churn = await new_churn(demo_gym)
    worker = await churn.start_worker("full")
    first = await finished(churn, (await churn.retrain()).job_id)
    await worker.stop()
    await churn.start_worker("recency", fit=recency_only)

    second = await finished(churn, (await churn.retrain(promote_if_better=True)).job_id)

    assert second.state == SUCCEEDED, second.error
    assert (second.promoted, bool(second.model_version)) == (False, True)
    info = (await churn.stub.GetModelInfo(churn_pb2.GetModelInfoRequest())).model
    assert info.version == first.model_version
    listed = (await churn.stub.ListModelVersions(churn_pb2.ListModelVersionsRequest())).versions
    assert [(v.version, v.serving) for v in listed] == [
        (second.model_version, False),
        (first.model_version, True),
    ]

    promote = churn.stub.PromoteModel
    status = await rpc_error(promote(churn_pb2.PromoteModelRequest(version=second.model_version)))
    assert status == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_BETTER")
    status = await rpc_error(promote(churn_pb2.PromoteModelRequest(version="1999-no-such")))
    assert status == (grpc.StatusCode.NOT_FOUND, "MODEL_VERSION_NOT_FOUND")

    forced = await promote(
        churn_pb2.PromoteModelRequest(version=second.model_version, force=True), timeout=10
    )
    assert (forced.model.version, forced.model.serving) == (second.model_version, True)
    assert forced.model.promotion_reason == churn_pb2.PROMOTION_REASON_FORCED
    assert (await churn.registry.serving_now()).version == second.model_version

    back = await churn.stub.RollbackModel(churn_pb2.RollbackModelRequest(), timeout=10)
    assert back.model.version == first.model_version
    assert back.model.promotion_reason == churn_pb2.PROMOTION_REASON_ROLLBACK
    status = await rpc_error(churn.stub.RollbackModel(churn_pb2.RollbackModelRequest()))
    assert status == (grpc.StatusCode.FAILED_PRECONDITION, "NO_PREVIOUS_VERSION")


async def test_a_redelivered_command_of_a_finished_job_trains_nothing(
    demo_gym, new_churn, finished
) -> None:
    churn = await new_churn(demo_gym)
    await churn.start_worker()
    job = await finished(churn, (await churn.retrain()).job_id)
    assert len(churn.trainings.runs) == 1

    command = churn_pb2.RetrainModelCommand(job_id=job.job_id, promote_if_better=True)
    handler = churn.handler()
    await handler(WorkMessage(job.job_id, command.SerializeToString(), {}, delivery_count=1))

    assert len(churn.trainings.runs) == 1
    assert await churn.job(job.job_id) == job
    versions = (await churn.stub.ListModelVersions(churn_pb2.ListModelVersionsRequest())).versions
    assert len(versions) == 1


@pytest.mark.parametrize(
    ("members", "months", "cancellations", "says"),
    [
        (30, 5, False, "none of the 30 members has cancelled yet"),
        (40, 2, True, "not enough history to train"),
    ],
)
async def test_too_little_data_fails_the_job_with_the_reason(
    new_churn, finished, members, months, cancellations, says
) -> None:
    gym = simulated_gym(members, months, seed=5)
    async with attendance_with_gym(SERVER_URL, gym, cancellations=cancellations) as small:
        churn = await new_churn(small)
        await churn.start_worker()
        job = await finished(churn, (await churn.retrain()).job_id)

        assert job.state == FAILED
        assert says in job.error, job.error
        assert (job.model_version, job.promoted) == ("", False)
        assert job.finished_at.seconds > 0
        status = await rpc_error(churn.stub.GetModelInfo(churn_pb2.GetModelInfoRequest()))
        assert status == (grpc.StatusCode.UNAVAILABLE, "NO_MODEL")
        # the worker lives on: the next job is taken too
        again = await finished(churn, (await churn.retrain()).job_id)
        assert again.state == FAILED


async def test_attendance_away_on_the_last_delivery_fails_the_job(
    demo_gym, new_churn, unused_tcp_port
) -> None:
    churn = await new_churn(demo_gym)
    queued = await churn.retrain()  # nobody consumes: the handler is called by hand
    handler = churn.handler(attendance_address=f"127.0.0.1:{unused_tcp_port}")
    command = churn_pb2.RetrainModelCommand(job_id=queued.job_id)
    message = WorkMessage(queued.job_id, command.SerializeToString(), {}, delivery_count=4)

    await handler(message)

    job = await churn.job(queued.job_id)
    assert job.state == FAILED and "attendance" in job.error, job.error
    assert churn.trainings.runs == []


async def test_two_workers_train_one_at_a_time(demo_gym, new_churn, finished) -> None:
    churn = await new_churn(demo_gym)
    await churn.start_worker("a")
    await churn.start_worker("b")

    jobs = [(await churn.retrain()).job_id for _ in range(2)]
    done = [await finished(churn, job_id, within=90) for job_id in jobs]

    assert [job.state for job in done] == [SUCCEEDED, SUCCEEDED]
    assert sorted(worker for worker, _, _ in churn.trainings.runs) == ["a", "b"]
    assert churn.trainings.max_running == 1
    (_, _, first_end), (_, second_start, _) = sorted(churn.trainings.runs, key=lambda r: r[1])
    assert first_end <= second_start
    assert sum(job.promoted for job in done) == 1  # the second ties the first, same data


async def test_the_train_command_waits_for_its_job_and_then_leaves_a_serving_model_alone(
    demo_gym, new_churn, capsys
) -> None:
    churn = await new_churn(demo_gym)
    await churn.start_worker()

    assert await train_command(churn.settings, if_none=True, wait=60) == 0

    printed = capsys.readouterr().out
    serving = await churn.registry.serving_now()
    assert f"model {serving.version} trained in" in printed and "(serving)" in printed
    assert await train_command(churn.settings, if_none=True, wait=60) == 0
    assert f"{serving.version} is serving: not training" in capsys.readouterr().out
    assert len(churn.trainings.runs) == 1


async def test_the_train_command_gives_up_waiting_at_its_deadline(
    demo_gym, new_churn, capsys
) -> None:
    churn = await new_churn(demo_gym)  # no worker
    assert await train_command(churn.settings, if_none=True, wait=0.5) == 1
    assert "had not finished after 0s; it goes on in the worker" in capsys.readouterr().out


async def test_a_training_lock_out_of_reach_is_unavailable_so_the_job_waits_in_place() -> None:
    """Refused connections (the server down, or out of connections) are Unavailable: the
    consumer retries in place instead of spending the job's deliveries."""
    lock = TrainingLock(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/churn", poll=0.1)
    try:
        with pytest.raises(Unavailable) as raised:
            async with lock.held("job"):
                pytest.fail("the lock was taken without a database")
        assert raised.value.code == "DATABASE_UNAVAILABLE"
    finally:
        await lock.close()
