"""The `Allow` header of a 405: every method the resource supports, not only those of the first
route whose path matched (Starlette's answer when, as for GET and POST /planos, each method of a
path is a route of its own)."""

from starlette.requests import Request
from starlette.routing import Match

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the application fully matches for the request's path (asked
    through the routes' own matching, so included routers and path convertors count)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
