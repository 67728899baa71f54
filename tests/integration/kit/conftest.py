"""Fixtures of the work-queue consumer tests: a work queue named by the test module's
``QUEUE``, under a namespace of the test's own, and a publishing channel on which it is
declared. A module that needs another queue (test_event_queue.py) defines its own."""

from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractChannel

from frequenta_kit.broker import Topology, connect, declare_work_queue


@pytest.fixture
def topology(scratch_topology, request) -> Topology:
    return scratch_topology(request.module.QUEUE, delivery_limit=3)


@pytest.fixture
async def channel(rabbitmq, topology: Topology, request) -> AsyncIterator[AbstractChannel]:
    connection = await connect(rabbitmq.url)
    async with connection:
        chan = await connection.channel(publisher_confirms=True)
        await declare_work_queue(chan, topology, request.module.QUEUE)
        yield chan
