"""Churn's feature projection: what churn knows of attendance's members and visits, kept current
by consuming attendance's events (``worker``), rebuildable from its export streams
(``rebuild``), read by serving and training (``reads``). docs/churn.md tells the whole story."""
