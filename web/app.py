"""The web application: staff pages behind a login, the public contact form.

Every route that is not in :data:`PUBLIC_PATHS` is on a router whose dependency is
:func:`avgdesk.web.auth.require_user` (a valid session, and a CSRF token on every POST);
``tests/web/test_auth.py`` walks the route table to prove it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from avgdesk.models.engine import is_busy
from avgdesk.models.errors import (
    CaseNotFound,
    DatabaseBusy,
    DraftNotFound,
    InvalidOperation,
    NotFoundError,
    staff_text,
)
from avgdesk.triage.settings import Settings
from avgdesk.web import (
    attachments,
    auth,
    case_facts,
    cases,
    contact,
    dashboard,
    download,
    drafts,
    queue,
    tasks,
    users,
)
from avgdesk.web.config import WebSettings
from avgdesk.web.deps import STATIC_DIR, WebContext, make_templates, render
from avgdesk.web.security import (
    LoginThrottle,
    RateLimit,
    SecurityHeadersMiddleware,
    install_access_log_filter,
)

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset(
    {"/login", "/contact", "/contact/ontvangen", "/download/{token}", "/static", "/healthz", "/favicon.ico"}
)
"""Routes reachable without a session (everything else needs one)."""


def create_app(
    settings: Settings,
    engine: Engine,
    web: WebSettings | None = None,
    *,
    classifier_factory: Callable[[], Classifier | None] | None = None,
    warm_classifier: bool = False,
) -> FastAPI:
    """The ASGI app. ``classifier_factory`` replaces the trained model (tests);
    ``warm_classifier`` loads it in the background at once, so the first contact-form
    submission does not wait for it."""
    web = web or WebSettings.from_settings(settings)
    install_access_log_filter()
    app = FastAPI(
        title="avgdesk",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(bounded_path_integers)],
    )
    app.state.ctx = WebContext(
        settings=settings,
        web=web,
        engine=engine,
        templates=make_templates(settings),
        login_throttle=LoginThrottle(
            web.login_max_failures_per_user, max_delay_s=web.login_window_s, forget_after_s=web.login_window_s
        ),
        login_per_ip=RateLimit("login_per_ip", web.login_max_failures_per_ip, web.login_window_s),
        contact_per_ip=RateLimit("contact_per_ip", web.contact_max_per_ip, web.contact_window_s),
        download_failures_per_ip=RateLimit(
            "download_failures_per_ip", web.download_max_failures_per_ip, web.download_window_s
        ),
        classifier_factory=classifier_factory,
    )
    if warm_classifier:
        app.state.ctx.start_loading()

    # Public.
    app.include_router(auth.router)
    app.include_router(contact.router)
    app.include_router(download.router)  # issue 17: the token is the key, no session
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Browsers ask for this path whatever the page says; a 404 here fills the logs.
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    _include_staff_routes(app)
    _install_error_pages(app)
    app.add_middleware(SecurityHeadersMiddleware, web=web)
    if web.proxy_addresses:
        # Outermost, so every layer (rate limits, logs) sees the real client address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=web.proxy_addresses)
    return app


def _include_staff_routes(app: FastAPI) -> None:
    # Staff only: the router-level dependency is the lock on every door.
    staff = [Depends(auth.require_user)]
    for router in (
        auth.staff_router,
        dashboard.router,
        queue.router,
        cases.router,
        case_facts.router,
        drafts.router,
        tasks.router,
        attachments.router,
        users.router,
    ):
        app.include_router(router, dependencies=staff)
    case_facts.install(app.state.ctx.templates)
    tasks.install(app.state.ctx.templates)
    attachments.install(app.state.ctx.templates)


MAX_PATH_INTEGER = 2**63 - 1
"""Largest id a database column holds; larger numbers in a path name nothing."""


def bounded_path_integers(request: Request) -> None:
    """Runs before every route's own parameters: an all-digit path segment beyond a
    64-bit id is a 404, not a database overflow (a 500)."""
    for value in request.path_params.values():
        if isinstance(value, str) and value.isdigit() and (len(value) > 19 or int(value) > MAX_PATH_INTEGER):
            raise StarletteHTTPException(404)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(auth.LoginRequired)
    async def _login_required(request: Request, exc: Exception) -> Response:
        if request.method in ("GET", "HEAD"):
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(auth.safe_next(target), safe='/')}", status_code=303)
        return _error(request, 401, "Niet ingelogd", "Log eerst in.", user=False)

    @app.exception_handler(auth.Forbidden)
    async def _forbidden(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, auth.Forbidden) else "Geen toegang."
        return _error(request, 403, "Geen toegang", message)

    @app.exception_handler(auth.CsrfFailed)
    async def _csrf(request: Request, exc: Exception) -> Response:
        return _error(
            request,
            403,
            "Formulier verlopen",
            "Het formulier was verlopen of kwam niet van deze site. "
            "Ga terug, laad de pagina opnieuw en probeer het nog eens.",
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: Exception) -> Response:
        return _error(request, 404, "Niet gevonden", staff_text(exc))

    @app.exception_handler(InvalidOperation)
    async def _invalid(request: Request, exc: Exception) -> Response:
        return _error(request, 409, "Niet toegestaan", staff_text(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        # Fixed Dutch texts by status: the framework's English detail is not for staff.
        return _error(request, code, *HTTP_TEXTS.get(code, ("Fout", "Dit verzoek kon niet worden verwerkt.")))

    @app.exception_handler(DatabaseBusy)
    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OperationalError) and not is_busy(exc):
            raise exc
        log.warning("database busy on %s %s", request.method, request.url.path)
        response = _error(
            request, 503, "Even bezet", "De database is even bezet, probeer het zo opnieuw.", user=False
        )
        response.headers["Retry-After"] = "5"
        return response

    app.add_exception_handler(RequestValidationError, _validation)


PATH_NOT_FOUND = {
    "draft_id": DraftNotFound.staff_message,
    "attachment_id": "Deze bijlage bestaat niet.",
    "part_index": "Deze bijlage bestaat niet.",
    "message_pk": "Dit bericht bestaat niet.",
    "task_id": "Deze taak bestaat niet.",
    "view_id": "Deze weergave bestaat niet.",
    "reference": CaseNotFound.staff_message,
}
"""What a 404 says when a path parameter is not even a valid id (``/drafts/abc``)."""

HTTP_TEXTS = {
    404: ("Niet gevonden", "Deze pagina bestaat niet (meer)."),
    405: ("Methode niet toegestaan", "Deze pagina kan zo niet worden opgevraagd."),
    413: ("Te groot", "Het formulier is te groot om te verwerken."),
}


async def _validation(request: Request, exc: Exception) -> Response:
    errors: list[Any] = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
    in_path = [str(e["loc"][-1]) for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)]
    if in_path:
        # A malformed id names nothing: the same page as an id that does not exist.
        return _error(request, 404, "Niet gevonden", PATH_NOT_FOUND.get(in_path[0], HTTP_TEXTS[404][1]))
    fields = sorted({str(e.get("loc", ["", "?"])[-1]) for e in errors})
    return _error(request, 400, "Ongeldige invoer", "Controleer deze velden: " + ", ".join(fields))


def _error(request: Request, status: int, title: str, message: str, *, user: bool = True) -> Response:
    context: dict[str, Any] = {"title": title, "message": message}
    if not user:
        context["user"] = None
    return render(request, "error.html", context, status_code=status)
