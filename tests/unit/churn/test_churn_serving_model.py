"""The serving model holder: loads the serving version, swaps when the registry's pointer
moves, refuses a model whose features this code does not compute, and keeps serving through a
failed poll; a request that started with one model answers with that model to the end."""

import asyncio
from datetime import timedelta

import pytest
from serving_fakes import NOW, ConstantScorer, incompatible, rig

from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.serving.handlers import get_risk
from frequenta_kit.errors import Unavailable


async def test_without_a_serving_version_every_get_says_no_model(trained):
    r = rig(trained.schema)
    with pytest.raises(Unavailable) as raised:
        await r.serving.holder.get()
    assert raised.value.code == "NO_MODEL"
    assert r.serving.holder.current is None and r.source.loads == []


async def test_the_first_get_loads_the_serving_version_once(trained):
    r = rig(trained.schema)
    r.source.serve("v1", b"0.25")
    models = await asyncio.gather(*(r.serving.holder.get() for _ in range(5)))
    assert {m.version for m in models} == {"v1"} and r.source.loads == ["v1"]
    assert (await r.serving.holder.get()) is models[0]


async def test_a_promotion_swaps_the_model_and_tells_the_listeners(trained):
    r = rig(trained.schema)
    swapped = []
    r.serving.holder.on_swap(lambda model: swapped.append(model.version))
    r.source.serve("v1", b"0.25")
    first = await r.serving.holder.get()
    assert await r.serving.holder.refresh() is first  # nothing changed: no load
    r.source.serve("v2", b"0.75")
    second = await r.serving.holder.refresh()
    assert second is not None and second.version == "v2"
    assert (await r.serving.holder.get()) is second and swapped == ["v1", "v2"]
    assert r.source.loads == ["v1", "v2"]


async def test_a_rollback_to_the_loaded_version_does_not_reload_it(trained):
    r = rig(trained.schema)
    r.source.serve("v1", b"0.25")
    first = await r.serving.holder.get()
    r.source.serve("v1")  # a newer promotion of the same version
    again = await r.serving.holder.refresh()
    assert again is not None and again.version == "v1" and again.promotion_id == 2
    assert again.scorer is first.scorer and r.source.loads == ["v1"]


async def test_a_model_of_other_features_is_refused_and_the_old_one_serves(trained):
    r = rig(trained.schema)
    r.source.serve("v1", b"0.25")
    await r.serving.holder.get()
    r.source.schema = incompatible(trained.schema)
    r.source.serve("v9", b"0.5")
    assert (await r.serving.holder.refresh()).version == "v1"  # type: ignore[union-attr]
    await r.serving.holder.refresh()
    assert r.source.loads == ["v1", "v9"]  # refused once, not reloaded at every poll


async def test_with_only_an_incompatible_model_the_answer_says_so(trained):
    r = rig(incompatible(trained.schema))
    r.source.serve("v9", b"0.5")
    with pytest.raises(Unavailable) as raised:
        await r.serving.holder.get()
    assert raised.value.code == "MODEL_INCOMPATIBLE" and "v9" in raised.value.message


async def test_the_poll_swaps_by_itself_and_survives_a_failing_registry(trained, poll):
    r = rig(trained.schema)
    r.source.serve("v1", b"0.25")
    stop = asyncio.Event()
    loop = asyncio.create_task(r.serving.holder.run(0.01, stop))
    try:
        await poll(lambda: _version(r, "v1"), within=5, what="v1 loaded")
        r.source.fail = True
        polls = r.source.polls
        await poll(lambda: _asked(r, polls + 3), within=5, what="polls while failing")
        assert r.serving.holder.current.version == "v1"  # type: ignore[union-attr]
        r.source.fail = False
        r.source.serve("v2", b"0.75")
        await poll(lambda: _version(r, "v2"), within=5, what="v2 swapped in")
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)


async def _version(r, version: str) -> bool:
    current = r.serving.holder.current
    return current is not None and current.version == version


async def _asked(r, polls: int) -> bool:
    return r.source.polls >= polls


async def test_requests_in_flight_during_swaps_answer_with_one_model_each(trained):
    """Hundreds of GetChurnRisk calls interleaved with swaps between two versions: none fails,
    and each answer's probability is the one its model gives (each scorer answers its own
    constant), whichever version it started with."""
    r = rig(trained.schema)
    probability = {"a": 0.125, "b": 0.875}
    r.source.serve("a", b"0.125")
    r.source.onnx["b"] = b"0.875"
    enrolled = NOW - timedelta(days=200)
    r.members.add(
        MemberRecord(7, "mensal", 1, enrolled, None),
        [VisitRecord(7, NOW - timedelta(days=d, hours=3), None) for d in range(1, 60, 3)],
    )
    r.members.delay = 3  # each read yields to the loop: swaps happen mid-request
    await r.serving.holder.get()

    async def swapper() -> int:
        swaps = 0
        for n in range(40):
            r.source.serve("b" if n % 2 == 0 else "a")
            await r.serving.holder.refresh()
            swaps += 1
            await asyncio.sleep(0)
        return swaps

    crossed = []

    async def request(n: int):
        for _ in range(n % 120):  # start at different moments of the swaps
            await asyncio.sleep(0)
        answer = await get_risk(serving=r.serving, member_id=7)  # type: ignore[arg-type]
        crossed.append(answer.model_version != r.serving.holder.current.version)  # type: ignore[union-attr]
        return answer

    results = await asyncio.gather(swapper(), *(request(n) for n in range(400)))
    answers = results[1:]
    assert results[0] == 40 and len(answers) == 400
    assert {a.model_version for a in answers} == {"a", "b"}
    assert any(crossed), "no request was in flight across a swap"
    for answer in answers:
        assert answer.probability == pytest.approx(probability[answer.model_version])
        band = r.serving.holder.current.bands.band(answer.probability)  # type: ignore[union-attr]
        assert answer.band is band
    assert r.serving.holder.swaps == 41 == len(r.source.loads)  # every swap loaded its model


def test_constant_scorer_reads_its_bytes():
    assert ConstantScorer(b"0.5").probability == 0.5
