"""The retention workspace's pages (`/painel/...`) and its login (`POST /painel/sessao`).

The pages are shells: HTML with no data in it, public like any static file. Their JavaScript
logs in at POST /painel/sessao, keeps the token in the tab's sessionStorage and reads everything
from the REST API with it, so each page shows exactly what the API lets its role read.
"""

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from frequenta_gateway.auth.policies import PolicyFirstRoute, public
from frequenta_gateway.auth.principal import Role
from frequenta_gateway.auth.routes import TOKEN_BODY, CheckedCredentials
from frequenta_gateway.errors import ApiError
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.users import Token

HERE = Path(__file__).parent
STATIC_PATH = "/painel/static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(tags=["painel"], route_class=PolicyFirstRoute, dependencies=[WRITES])

# Page name -> (title, the roles its JavaScript lets stay; a member is sent to their own page).
STAFF_ONLY = "admin equipe"
PAGES = {
    "risco": ("Alunos em risco", STAFF_ONLY),
    "alertas": ("Alertas", STAFF_ONLY),
    "relatorios": ("Relatórios diários", STAFF_ONLY),
    "resultados": ("Resultados da retenção", STAFF_ONLY),
    "modelo": ("Modelo de risco", STAFF_ONLY),
}
# Whatever may not be framed or load code from elsewhere: the pages run only their own scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NO_PANEL_FOR_DEVICES = (
    "Contas de catraca não entram no painel: use uma conta da equipe, de administração ou de aluno."
)


def static_files() -> StaticFiles:
    """The pages' scripts and styles, and Chart.js (copied into static/vendor by `make web`).
    Not checked at start-up: an install without them still serves the API."""
    return StaticFiles(directory=HERE / "static", check_dir=False)


def render(request: Request, page: str, title: str, roles: str, **context: object) -> Response:
    response = templates.TemplateResponse(
        request,
        f"{page}.html",
        {
            "page": page,
            "title": title,
            "roles": roles,
            "static": STATIC_PATH,
            "timezone": request.app.state.settings.gym_timezone,
            **context,
        },
    )
    response.headers.update(SECURITY_HEADERS)
    return response


@router.post(
    "/painel/sessao",
    response_model=Token,
    summary="Log in to the retention workspace",
    response_description="A bearer token, as POST /auth/token answers it.",
    responses=error_responses(401, 403, 413, 415, 422, 429),
    openapi_extra=TOKEN_BODY,
    dependencies=[public()],
)
async def open_session(token: CheckedCredentials, response: Response) -> Token:
    """The login of the web pages under `/painel`: the credentials of POST /auth/token, checked
    the same way (and counted in the same login limits), but 403 `FORBIDDEN` for a turnstile's
    account (role `catraca`), with a message in Portuguese for the page to show. Staff
    (`admin`, `equipe`) and members (`aluno`, who see only their own page) get the token."""
    response.headers["Cache-Control"] = "no-store"
    if token.papel == Role.CATRACA:
        raise ApiError(403, "FORBIDDEN", NO_PANEL_FOR_DEVICES)
    return token


@router.get("/painel", include_in_schema=False, dependencies=[public()])
async def home() -> RedirectResponse:
    """Staff start at the at-risk list (a member's page sends them to their own)."""
    return RedirectResponse("/painel/risco", status_code=302)


@router.get(
    "/painel/login", response_class=HTMLResponse, include_in_schema=False, dependencies=[public()]
)
async def login_page(request: Request) -> Response:
    return render(request, "login", "Entrar", "")


@router.get(
    "/painel/aluno/{id:int}",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[public()],
)
async def member_page(request: Request, id: MemberIdPath) -> Response:
    return render(request, "aluno", "Aluno", "admin equipe aluno", aluno_id=id)


def _page(name: str, title: str, roles: str):
    async def page(request: Request) -> Response:
        return render(request, name, title, roles)

    page.__name__ = f"{name}_page"
    return page


for _name, (_title, _roles) in PAGES.items():
    router.add_api_route(
        f"/painel/{_name}",
        _page(_name, _title, _roles),
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
        dependencies=[public()],
    )
