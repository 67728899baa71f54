"""Health probe of one process, for container health checks (compose) where no probe binary
exists: exit 0 when it is ready, 1 (saying why) when it is not.

    python -m frequenta_ops.probe grpc 127.0.0.1:50051        # the standard gRPC health service
    python -m frequenta_ops.probe http http://127.0.0.1:8000/readyz   # any 2xx answer

Kubernetes probes gRPC natively and HTTP itself; it does not need this module.
"""

import argparse
import sys
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def grpc_status(address: str, timeout: float) -> str:
    """The overall status the gRPC health service at ``address`` reports, by name."""
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=timeout
        )
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def http_status(url: str, timeout: float) -> int:
    """The HTTP status ``url`` answers a GET with."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def probe(kind: str, target: str, timeout: float) -> str | None:
    """None when ``target`` is ready, else why not."""
    try:
        if kind == "grpc":
            status = grpc_status(target, timeout)
            return None if status == "SERVING" else f"{target} is {status}"
        code = http_status(target, timeout)
        return None if 200 <= code < 300 else f"{target} answered {code}"
    except grpc.RpcError as error:
        return f"{target}: {error.code().name} {error.details()}"
    except (OSError, ValueError) as error:
        return f"{target}: {error}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frequenta_ops.probe")
    parser.add_argument("kind", choices=["grpc", "http"])
    parser.add_argument("target", help="host:port (grpc) or a URL (http)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds (default 2)")
    args = parser.parse_args(argv)
    why = probe(args.kind, args.target, args.timeout)
    if why is not None:
        print(f"not ready: {why}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
