"""The REST gateway: validates requests, maps REST <-> gRPC and gRPC statuses -> HTTP statuses."""
