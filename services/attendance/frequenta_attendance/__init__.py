"""The attendance service: members, plans and visits, served over gRPC.

It is the only owner of the attendance database. Layers, outermost first: ``grpc_api`` (decode,
call a handler, encode), ``handlers`` (use cases), ``domain`` and ``summary`` (pure rules and
maths), ``uow`` / ``repository`` / ``models`` (PostgreSQL through SQLAlchemy).
"""
