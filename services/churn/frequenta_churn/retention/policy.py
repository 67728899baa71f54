"""The retention settings the use cases read, taken once from ChurnSettings."""

from dataclasses import dataclass

from frequenta_churn.settings import ChurnSettings


@dataclass(frozen=True)
class RetentionPolicy:
    control_share: float = 0.1  # of the members at high risk, drawn into the control group
    seed: int = 0  # of the draw
    daily_calls: int = 40  # members the team can call per day
    follow_up_days: int = 30  # the training horizon: a cancellation within it counts
    contact_window_days: int = 30  # a contact older than this no longer makes "contatado"

    @classmethod
    def of(cls, settings: ChurnSettings) -> "RetentionPolicy":
        return cls(
            control_share=settings.retention_control_share,
            seed=settings.retention_seed,
            daily_calls=settings.retention_daily_calls,
            follow_up_days=settings.training_horizon_days,
            contact_window_days=settings.retention_contact_window_days,
        )
