"""Plumbing shared by every Frequenta process: settings base, logging, database engine, gRPC
server bootstrap, error mapping and the process launcher. No business rules live here."""
