"""The model registry's rules with an in-memory unit of work and fake scorers: the first
version serves, a later one only when it beats the serving one on its own hold-out (or by
force), rollback walks the promotions back, and the errors clients act on."""

import uuid

import pytest
from registry_fakes import Clock, FakeScorer, FakeUnitOfWork, fake_result

from frequenta_churn.models import RetrainingJob, RetrainingState
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.registry.promotion import PromotionReason
from frequenta_kit.errors import Conflict, NotFound, Unavailable


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def registry(uow: FakeUnitOfWork) -> ModelRegistry:
    return ModelRegistry(lambda: uow, Clock(), scorer=FakeScorer)


async def serving_version(registry: ModelRegistry) -> str:
    return (await registry.serving()).model.version


async def test_before_any_training_nothing_serves(registry: ModelRegistry) -> None:
    assert await registry.versions() == []
    assert await registry.serving_now() is None
    with pytest.raises(Unavailable) as raised:
        await registry.serving()
    assert raised.value.code == "NO_MODEL"


async def test_the_first_version_serves_whatever_the_command_says(registry, uow) -> None:
    registered = await registry.register(fake_result(b"noise"), promote_if_better=False)

    assert registered.promoted and registered.reason == PromotionReason.FIRST
    assert registered.version.endswith("-hgb")
    serving = await registry.serving()
    assert (serving.model.version, serving.serving) == (registered.version, True)
    assert serving.promotion.reason == "first" and serving.promotion.replaced_version is None
    pointer = await registry.serving_now()
    assert (pointer.version, pointer.promotion_id) == (registered.version, 1)
    assert uow.models.locks == 1 and uow.commits == 1


async def test_a_better_version_is_promoted_with_the_comparison_kept(registry, uow) -> None:
    first = await registry.register(fake_result(b"noise"))
    better = await registry.register(fake_result(b"good", seed=1), promote_if_better=True)

    assert better.promoted and better.reason == PromotionReason.BETTER
    assert better.comparison.candidate_pr_auc > better.comparison.serving_pr_auc
    assert better.comparison.rows == 600
    assert await serving_version(registry) == better.version
    promotion = uow.models.promotions[-1]
    assert promotion.replaced_version == first.version
    assert promotion.candidate_pr_auc == better.comparison.candidate_pr_auc


async def test_a_version_that_does_not_win_is_kept_but_not_served(registry) -> None:
    first = await registry.register(fake_result(b"good"))
    worse = await registry.register(fake_result(b"noise", seed=1), promote_if_better=True)

    assert not worse.promoted and worse.reason is None
    assert worse.comparison.candidate_pr_auc < worse.comparison.serving_pr_auc
    assert await serving_version(registry) == first.version
    listed = await registry.versions()
    assert [(v.model.version, v.serving) for v in listed] == [
        (worse.version, False),
        (first.version, True),
    ]


async def test_a_tie_keeps_the_serving_version(registry) -> None:
    first = await registry.register(fake_result(b"good"))
    same = await registry.register(fake_result(b"good", seed=3), promote_if_better=True)
    assert same.comparison.candidate_pr_auc == same.comparison.serving_pr_auc
    assert not same.promoted
    assert await serving_version(registry) == first.version


async def test_without_promote_if_better_a_better_version_waits(registry) -> None:
    first = await registry.register(fake_result(b"noise"))
    later = await registry.register(fake_result(b"perfect", seed=1), promote_if_better=False)
    assert (later.promoted, later.comparison) == (False, None)
    assert await serving_version(registry) == first.version

    promoted = await registry.promote(later.version)
    assert promoted.promotion.reason == "better" and promoted.serving


async def test_promoting_a_worse_version_is_refused_unless_forced(registry) -> None:
    await registry.register(fake_result(b"perfect"))
    worse = await registry.register(fake_result(b"noise", seed=1))

    with pytest.raises(Conflict) as raised:
        await registry.promote(worse.version)
    assert raised.value.code == "NOT_BETTER"
    assert "PR-AUC" in raised.value.message and worse.version in raised.value.message

    forced = await registry.promote(worse.version, force=True)
    assert (forced.model.version, forced.promotion.reason) == (worse.version, "forced")
    assert forced.promotion.candidate_pr_auc < forced.promotion.serving_pr_auc


async def test_unknown_version_and_the_serving_one(registry, uow) -> None:
    with pytest.raises(NotFound) as raised:
        await registry.promote("2020-01-01T00-00-00Z-hgb")
    assert (raised.value.code, raised.value.field) == ("MODEL_VERSION_NOT_FOUND", "version")

    first = await registry.register(fake_result(b"good"))
    again = await registry.promote(first.version)
    assert again.serving and len(uow.models.promotions) == 1


async def test_versions_reading_other_features_cannot_be_compared(registry) -> None:
    await registry.register(fake_result(b"noise"))
    renamed = tuple(f"new_{name}" for name in fake_result(b"good").schema.feature_names)
    other = await registry.register(
        fake_result(b"perfect", feature_names=renamed), promote_if_better=True
    )
    assert (other.promoted, other.comparison) == (False, None)
    with pytest.raises(Conflict) as raised:
        await registry.promote(other.version)
    assert raised.value.code == "NOT_COMPARABLE"
    assert (await registry.promote(other.version, force=True)).promotion.reason == "forced"


async def test_rollback_walks_the_promotions_back(registry) -> None:
    with pytest.raises(Conflict) as raised:
        await registry.rollback()
    assert raised.value.code == "NO_PREVIOUS_VERSION"

    v1 = (await registry.register(fake_result(b"noise"))).version
    with pytest.raises(Conflict):
        await registry.rollback()
    v2 = (await registry.register(fake_result(b"good", seed=1), promote_if_better=True)).version
    v3 = (await registry.register(fake_result(b"noise", seed=2))).version
    await registry.promote(v3, force=True)

    back = await registry.rollback()
    assert (back.model.version, back.promotion.reason) == (v2, "rollback")
    assert back.promotion.replaced_version == v3
    assert (await registry.rollback()).model.version == v1
    with pytest.raises(Conflict) as raised:
        await registry.rollback()
    assert raised.value.code == "NO_PREVIOUS_VERSION"
    assert await serving_version(registry) == v1


async def test_registering_for_a_job_marks_it_succeeded_in_the_same_transaction(
    registry, uow
) -> None:
    job = RetrainingJob(
        id=uuid.uuid4(),
        state=RetrainingState.RUNNING,
        promote_if_better=True,
        requested_at=Clock()(),
        promoted=False,
    )
    uow.retraining_jobs.add(job)

    registered = await registry.register(fake_result(b"good"), job_id=job.id)

    assert job.state == RetrainingState.SUCCEEDED
    assert (job.model_version, job.promoted) == (registered.version, True)
    assert job.finished_at is not None and uow.commits == 1
    assert uow.models.versions[registered.version].job_id == job.id


async def test_two_versions_registered_in_the_same_second_get_distinct_labels(uow) -> None:
    frozen = Clock()
    registry = ModelRegistry(lambda: uow, lambda: frozen.now, scorer=FakeScorer)
    first = await registry.register(fake_result(b"good"))
    second = await registry.register(fake_result(b"good"))
    assert second.version == f"{first.version}-2"


async def test_loading_a_version_gives_its_graph_and_schema(registry) -> None:
    result = fake_result(b"good")
    registered = await registry.register(result)
    loaded = await registry.load(registered.version)
    assert loaded.onnx == b"good" and loaded.schema == result.schema
    with pytest.raises(NotFound):
        await registry.load("nope")
