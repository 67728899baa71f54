"""The CPU part of a retraining job: exported records in, a TrainingResult out (ml.training),
or NotEnoughData with a sentence saying what is missing. Imports scikit-learn: only the
retrain worker loads this module, never the serving process."""

from zoneinfo import ZoneInfo

from frequenta_churn.ml.training import ParityError, TrainingResult, train
from frequenta_churn.training_data import ExportedGym, NotEnoughData

__all__ = ["NotEnoughData", "fit"]


def fit(gym: ExportedGym, *, horizon_days: int, seed: int, tz: ZoneInfo) -> TrainingResult:
    if not gym.members:
        raise NotEnoughData("attendance has no members yet: nothing to train on")
    if gym.cancellations == 0:
        raise NotEnoughData(
            f"none of the {len(gym.members)} members has cancelled yet: the model learns from "
            "members who left, so it needs cancellations in the history"
        )
    try:
        return train(
            gym.members, gym.visits, as_of=gym.as_of, horizon_days=horizon_days, seed=seed, tz=tz
        )
    except ParityError:
        raise
    except ValueError as error:  # too few snapshots, or one class missing from a split
        raise NotEnoughData(
            f"not enough history to train ({len(gym.members)} members, {len(gym.visits)} "
            f"visits, {gym.cancellations} cancellations): {error}"
        ) from error
