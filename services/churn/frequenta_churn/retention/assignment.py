"""The control group's draw (pure): each member at high risk is drawn once, into `controle`
with probability ``control_share`` and into `contato` otherwise.

The draw of a member depends only on the seed and the member's id (numpy's generator seeded
with both): reproducible, the same on every replica and in any order or batch, so two replicas
drawing the same member at once agree, and a re-run with the same seed gives the same groups."""

from collections.abc import Iterable

import numpy as np

from frequenta_churn.retention.status import Group


def draw(member_id: int, *, seed: int, control_share: float) -> Group:
    uniform = np.random.default_rng([seed, member_id]).random()
    return Group.CONTROL if uniform < control_share else Group.CONTACT


def draw_groups(member_ids: Iterable[int], *, seed: int, control_share: float) -> dict[int, Group]:
    return {
        int(member_id): draw(int(member_id), seed=seed, control_share=control_share)
        for member_id in member_ids
    }
