"""Personal data kept out of logs (docs/personal-data.md).

A URL's query string may carry personal data: the member search `GET /alunos?q=...` takes part
of a name or an e-mail. :class:`QueryRedactingFilter`, on uvicorn's access logger, replaces the
values of such parameters with ``***`` before the line is written; the other parameters (dates,
pages, filters) stay readable.
"""

import logging
from urllib.parse import parse_qsl, quote, urlencode

# Query parameters whose values may be personal data.
PERSONAL_QUERY_PARAMETERS = frozenset({"q", "nome", "email", "telefone", "data_nascimento"})
REDACTED = "***"


def redact_query(path: str, names: frozenset[str] = PERSONAL_QUERY_PARAMETERS) -> str:
    """``path?query`` with the values of ``names`` replaced by ``***`` (unchanged otherwise)."""
    base, separator, query = path.partition("?")
    if not separator:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name in names for name, _ in pairs):
        return path
    redacted = [(name, REDACTED if name in names else value) for name, value in pairs]
    return f"{base}?{urlencode(redacted, safe='*', quote_via=quote)}"


class QueryRedactingFilter(logging.Filter):
    """Redacts personal query parameters in every string argument of a log record that looks
    like a path with a query (uvicorn's access lines pass the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install :class:`QueryRedactingFilter` on ``logger_name`` (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, QueryRedactingFilter) for f in logger.filters):
        logger.addFilter(QueryRedactingFilter())


def validation_summary(error: BaseException) -> str | None:
    """For an error that carries the values it refused (pydantic's ValidationError, FastAPI's
    request and response validation errors), a summary naming only each error's location and
    type, for a log line; None for any other error. Their messages and tracebacks would print
    the values, a member's e-mail among them."""
    errors = getattr(error, "errors", None)
    if not callable(errors) or not _is_validation_error(error):
        return None
    try:
        found = list(errors())
    except Exception:  # noqa: BLE001 - a summary must never fail
        return f"{type(error).__name__} (values withheld)"
    where = "; ".join(
        f"{'.'.join(str(part) for part in entry.get('loc', ()))}: {entry.get('type', '?')}"
        for entry in found
        if isinstance(entry, dict)
    )
    return f"{type(error).__name__}, {len(found)} error(s), values withheld: {where}"


def _is_validation_error(error: BaseException) -> bool:
    names = {kind.__name__ for kind in type(error).__mro__}
    return bool(names & {"ValidationError", "ValidationException"})
