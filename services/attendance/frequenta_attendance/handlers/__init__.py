"""Use cases: plain async functions with keyword-only arguments, given a unit of work (and a
clock and the gym's rules when time matters). They validate, apply the domain rules, persist and
return domain objects; they know nothing of protobuf or gRPC."""
