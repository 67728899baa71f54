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
