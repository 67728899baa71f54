"""The serving model of one churn process, and its hot swap.

``ModelHolder.current`` is one immutable ``ServingModel`` (scorer, schema, bands, explanation
reference, version). A swap replaces that one reference: a request reads it once and keeps the
model it started with to the end, so an answer is always one version's, and a swap never waits
for requests nor fails one.

The holder learns of a change by polling the registry's serving pointer (one primary-key read)
every ``FREQUENTA_MODEL_POLL_SECONDS``, and at once when this process promotes or rolls back
itself. A new version is loaded (ONNX bytes and schema from the database, the onnxruntime
session built in a thread) before it replaces the old one. A version whose features this code
does not compute is refused: the process keeps serving what it had.
"""

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from prometheus_client import Counter, Info

from frequenta_churn.ml.explain import Reference, Scorer
from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.wording import RiskBands
from frequenta_churn.registry.views import NO_MODEL_MESSAGE, LoadedModel, ServingPointer
from frequenta_churn.serving.waiting import first_of
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

SERVING_MODEL = Info(
    "frequenta_churn_serving_model",
    "The model version this churn process serves (version 'none' before the first model).",
)
MODEL_SWAPS = Counter(
    "frequenta_churn_model_swaps_total", "Serving models swapped in by this churn process."
)


class ModelSource(Protocol):
    """What the holder asks the registry (frequenta_churn.registry.ModelRegistry)."""

    async def serving_now(self) -> ServingPointer | None: ...

    async def load(self, version: str) -> LoadedModel: ...


@dataclass(frozen=True, eq=False)
class ServingModel:
    """Everything one answer needs from a model version; never changed once built."""

    version: str
    promotion_id: int
    algorithm: str
    scorer: Scorer
    schema: ModelSchema
    loaded_at: datetime

    @property
    def reference(self) -> Reference:
        return self.schema.reference

    @property
    def bands(self) -> RiskBands:
        return self.schema.bands

    @property
    def horizon_days(self) -> int:
        return self.schema.horizon_days


def incompatible_message(version: str) -> str:
    return (
        f"The serving model {version} was trained on features this churn build does not "
        "compute; promote another version (POST /modelo/versoes/{versao}/promover) or deploy "
        "the churn build that trained it."
    )


class ModelHolder:
    def __init__(
        self,
        source: ModelSource,
        clock: Callable[[], datetime],
        scorer: Callable[[bytes], Scorer] = OnnxScorer,
    ) -> None:
        self._source = source
        self._clock = clock
        self._scorer = scorer
        self._current: ServingModel | None = None
        self._refused: str | None = None  # the serving version, when it cannot be served
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[ServingModel], object]] = []
        self.swaps = 0
        SERVING_MODEL.info({"version": "none", "algorithm": "none"})

    @property
    def current(self) -> ServingModel | None:
        return self._current

    def on_swap(self, listener: Callable[[ServingModel], object]) -> None:
        """Call ``listener(new_model)`` after every swap (e.g. to rescore the snapshot); one
        that returns an awaitable is awaited before :meth:`refresh` returns (e.g. a cache
        version bump that must be done before a promotion answers)."""
        self._listeners.append(listener)

    async def get(self) -> ServingModel:
        """The model to answer with; UNAVAILABLE NO_MODEL while none has been trained."""
        model = self._current
        if model is None:
            model = await self.refresh()
        if model is None:
            if self._refused is not None:
                raise Unavailable("MODEL_INCOMPATIBLE", incompatible_message(self._refused))
            raise Unavailable("NO_MODEL", NO_MODEL_MESSAGE)
        return model

    async def refresh(self) -> ServingModel | None:
        """Ask the registry what serves; load and swap if it changed. The model after it."""
        async with self._lock:
            pointer = await self._source.serving_now()
            current = self._current
            if pointer is None or (current and current.promotion_id == pointer.promotion_id):
                return current
            if current is not None and current.version == pointer.version:
                # Promoted again (a rollback to it): same model, newer promotion.
                self._current = replace(current, promotion_id=pointer.promotion_id)
                return self._current
            if pointer.version == self._refused:
                return current
            loaded = await self._source.load(pointer.version)
            if not loaded.schema.matches_code():
                self._refused = pointer.version
                log.error(
                    "%s; still serving %s",
                    incompatible_message(pointer.version),
                    current.version if current else "nothing",
                )
                return current
            scorer = await asyncio.to_thread(self._scorer, loaded.onnx)
            model = ServingModel(
                version=loaded.version,
                promotion_id=pointer.promotion_id,
                algorithm=loaded.algorithm,
                scorer=scorer,
                schema=loaded.schema,
                loaded_at=self._clock(),
            )
            self._current = model  # the swap: requests already running keep their reference
            self._refused = None
            self.swaps += 1
            MODEL_SWAPS.inc()
            SERVING_MODEL.info({"version": model.version, "algorithm": model.algorithm})
        log.info(
            "serving model %s (promotion %d)%s",
            model.version,
            model.promotion_id,
            f", replacing {current.version}" if current else "",
        )
        for listener in self._listeners:
            result = listener(model)
            if inspect.isawaitable(result):
                await result
        return model

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll the serving pointer every ``interval`` seconds until ``stop`` is set. A failed
        poll (the database away) keeps the current model and tries again at the next one."""
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:
                current = self._current
                log.warning(
                    "could not check the serving model; keeping %s",
                    current.version if current else "none",
                    exc_info=True,
                )
            await first_of(stop, within=interval)
