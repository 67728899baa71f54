"""Retention work (docs/retention.md): the control group drawn among the members at high risk
(assignment.py), the contact log and each member's contact status (store.py, status.py), the
day's call capacity against the expected cancellations (capacity.py), and the measured effect
of the contacts (effect.py, intervals.py); the use cases in handlers.py. No protobuf."""
