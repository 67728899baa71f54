"""frequenta_ops.stack on the real servers: a stack of its own (here a Procfile of attendance and
the gateway, as bench/bulk_ingest.py starts) gets databases, a virtual host, a Redis key prefix
and secrets of its own, and leaves none of them behind."""

import asyncio
import subprocess
from pathlib import Path

import asyncpg
import redis
from sqlalchemy import make_url

from frequenta_ops.stack import launch_stack, rabbitmqctl

PROCFILE = (
    "attendance: python -m frequenta_attendance serve\ngateway: python -m frequenta_gateway serve\n"
)


def databases(server_url: str) -> set[str]:
    async def names() -> set[str]:
        url = make_url(server_url).set(drivername="postgresql")
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            return {row[0] for row in await connection.fetch("SELECT datname FROM pg_database")}
        finally:
            await connection.close()

    return asyncio.run(names())


def vhosts() -> set[str]:
    done = subprocess.run(
        ["rabbitmqctl", "-q", "list_vhosts", "name"], capture_output=True, text=True, check=False
    )
    return set(done.stdout.split())


def test_a_stack_has_its_own_names_and_secrets_and_leaves_nothing_behind(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text(PROCFILE)
    with launch_stack(
        tmp_path / "run", label="test", procfile=procfile, new_vhost=True, ready_path="/healthz"
    ) as stack:
        names = {
            make_url(url).database
            for url in (stack.attendance_database_url, stack.churn_database_url)
        }
        server_url = make_url(stack.attendance_database_url).set(database="postgres")
        server = server_url.render_as_string(hide_password=False)
        assert names <= databases(server)
        assert stack.broker_namespace.startswith("frequenta-test-")
        assert stack.redis_key_prefix == stack.broker_namespace
        assert stack.internal_token and stack.admin_password and stack.env["FREQUENTA_JWT_SECRET"]
        vhost_made = rabbitmqctl("list_vhosts")  # where rabbitmqctl works, the vhost is ours
        if vhost_made:
            assert stack.rabbitmq_url.endswith(f"/{stack.broker_namespace}")
            assert stack.broker_namespace in vhosts()
        with stack.client(timeout=10) as api:  # logged in with the stack's admin password
            assert api.get("/planos").status_code == 200
        client = redis.Redis.from_url(stack.redis_url)
        with client:
            client.set(f"{stack.redis_key_prefix}:left-over", "1")
        gateway = stack.launcher.pid("gateway")
        assert gateway is not None

    assert stack.launcher.pid("gateway") is None
    assert not names & databases(server)
    with redis.Redis.from_url(stack.redis_url) as client:
        assert not list(client.scan_iter(f"{stack.redis_key_prefix}:*"))
    if vhost_made:
        assert stack.broker_namespace not in vhosts()
