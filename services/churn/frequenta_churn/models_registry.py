"""The serving model, as far as the API is concerned.

Until the churn issue lands there is no registry: no model is ever available, and every question
that needs one answers NO_MODEL, so clients can already handle that state.
"""

from typing import NoReturn

from frequenta_kit.errors import Unavailable

NO_MODEL_MESSAGE = (
    "No churn model has been trained yet. Risk scores appear once the first model is trained "
    "from the gym's attendance history."
)


class EmptyRegistry:
    """A registry with no versions."""

    def versions(self) -> list[object]:
        return []

    def serving(self) -> NoReturn:
        raise Unavailable("NO_MODEL", NO_MODEL_MESSAGE)
