"""When a member's plan renews: the end of the current plan cycle, in the gym's local calendar.

The same definition as churn's ``days_to_plan_end`` feature (services/churn/frequenta_churn/ml/
features.py): cycles of the plan's months counted from the enrollment date, each cycle end being
the enrollment date plus k whole terms (k >= 1) with the day of month clamped to the month's
length (Jan 31 + 1 month = Feb 28 or 29, + 2 months = Mar 31); the renewal is the first cycle end
on or after today (today itself on the renewal day), and a member enrolled in the future renews
one term after enrollment.
"""

from calendar import monthrange
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day of month clamped to the target month's length."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def next_renewal(enrolled_on: date, plan_months: int, today: date) -> date:
    """The first cycle end (``enrolled_on`` + k * ``plan_months`` months, k >= 1) on or after
    ``today``; all dates local to the gym."""
    today = max(today, enrolled_on)
    months_elapsed = (today.year - enrolled_on.year) * 12 + today.month - enrolled_on.month
    cycles = max(1, -(-months_elapsed // plan_months))
    end = add_months(enrolled_on, cycles * plan_months)
    if end < today:
        end = add_months(enrolled_on, (cycles + 1) * plan_months)
    return end
