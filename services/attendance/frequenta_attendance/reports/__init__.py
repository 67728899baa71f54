"""Daily attendance reports: the figures of one local day, built by a queue job (on demand or
by the scheduler), stored in ``relatorios_diarios`` and read back over gRPC.

- ``figures``: the pure maths (local calendar, hour buckets, averages) over SQL aggregates;
- ``schedule``: which dates are due (pure);
- ``messages``: the work message of one build;
- ``repository``: the SQL (aggregates, the stored reports, the job rows);
- ``handlers``: the use cases; ``worker`` and ``scheduler``: the two processes.
"""
