"""Pure business rules of attendance (docs/rules.md): no I/O, no protobuf, no SQL."""
