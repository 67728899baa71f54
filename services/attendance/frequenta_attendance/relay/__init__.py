"""The outbox relay, ``python -m frequenta_attendance relay``: publishes the rows of the outbox
to RabbitMQ with publisher confirms and marks them published (docs/events.md).

``store`` holds its SQL (partitions, claiming, marking), ``publisher`` the AMQP side (waves of
concurrent confirmed publishes), ``listener`` the LISTEN/NOTIFY wake-up, ``runner`` the loop.
"""

from frequenta_attendance.relay.runner import Relay

__all__ = ["Relay"]
