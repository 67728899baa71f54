"""One router per resource. Routes decode, call one stub (with a deadline), map, and return; a
failed call propagates to the error layer (frequenta_gateway.errors)."""

from typing import Annotated

from fastapi import Path

from frequenta_gateway.schemas.common import INT64_MAX

# The member id in paths, declared `{id:int}` so `/aluno/registro` never matches it.
MemberIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="Member id.", examples=[42])]
