"""Login, logout and server-side sessions.

The cookie carries a random token; the database keeps only its sha256 (``web_session``),
so a leaked database does not hand out sessions. Sessions end after
``session_idle_minutes`` without use and ``session_absolute_minutes`` after login, and
logout deletes the row. Every POST of a logged-in user carries the session's CSRF token.
The login form has its own token (a double-submit cookie, since there is no session yet).
Failed logins slow down per user name *and* client address (a growing delay, so the
real user elsewhere is never locked out by someone else's guesses) and are limited per
client address (in memory).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.responses import Response

from avgdesk.models.tables import User, WebSession
from avgdesk.models.types import utcnow
from avgdesk.web import sessions
from avgdesk.web.deps import db, get_ctx, render
from avgdesk.web.labels import ROLE_NL
from avgdesk.web.security import CSRF_FIELD, client_ip, new_token, tokens_match
from avgdesk.web.sessions import token_hash
from avgdesk.web.users import has_role, verify_password

log = logging.getLogger(__name__)

LOGIN_CSRF_COOKIE = "avgdesk_login"


def session_cookie_name(secure: bool) -> str:
    # The __Host- prefix pins the cookie to this host and path /, and requires Secure.
    return "__Host-avgdesk_session" if secure else "avgdesk_session"


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str
    csrf_token: str
    token_sha256: str

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


class LoginRequired(Exception):
    """No valid session: GET redirects to /login, other methods get 401."""


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfFailed(Exception):
    pass


def _role_nl(role: str) -> str:
    """The Dutch name staff see for a role (medewerker, goedkeurder, beheerder)."""
    return ROLE_NL.get(role, role)


def _load_session(request: Request, session: Session) -> CurrentUser | None:
    ctx = get_ctx(request)
    token = request.cookies.get(session_cookie_name(ctx.web.secure_cookies))
    if not token or len(token) > 200:
        return None
    digest = token_hash(token)
    row = session.get(WebSession, digest)
    if row is None:
        return None
    now = utcnow()
    idle_limit = row.last_seen_at + timedelta(minutes=ctx.web.session_idle_minutes)
    user = session.get(User, row.user_id)
    if row.expires_at <= now or idle_limit <= now or user is None or not user.active:
        sessions.expire(ctx.engine, digest)
        return None
    if (now - row.last_seen_at).total_seconds() >= ctx.web.session_touch_s:
        sessions.touch(ctx.engine, digest, now, ctx.settings.sqlite_busy_timeout_s)
    assert user.id is not None
    return CurrentUser(user.id, user.username, user.role, row.csrf_token, digest)


def _find_user(engine: Engine, username: str) -> User | None:
    """Read-only (a deferred transaction): sessions.start writes on its own connection."""
    from avgdesk.models.engine import read_only

    with Session(read_only(engine), expire_on_commit=False) as session:
        return session.exec(select(User).where(User.username == username)).first()


async def require_user(request: Request) -> CurrentUser:
    """The dependency every staff route has: a valid session, and on POST a valid CSRF token."""
    ctx = get_ctx(request)
    from starlette.concurrency import run_in_threadpool

    def load() -> CurrentUser | None:
        from avgdesk.models.engine import read_only

        with Session(read_only(ctx.engine), expire_on_commit=False) as session:
            return _load_session(request, session)

    user = await run_in_threadpool(load)
    if user is None:
        raise LoginRequired()
    request.state.user = user
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        form = await request.form()
        given = form.get(CSRF_FIELD)
        if not tokens_match(user.csrf_token, given if isinstance(given, str) else None):
            raise CsrfFailed()
    return user


def require_role(request: Request, role: str) -> CurrentUser:
    user = getattr(request.state, "user", None)
    if not isinstance(user, CurrentUser):
        raise LoginRequired()
    if not user.can(role):
        raise Forbidden(f"Hiervoor is de rol {_role_nl(role)} nodig; u bent {_role_nl(user.role)}.")
    return user


def safe_next(value: str | None) -> str:
    """Only a local path: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 for c in value):
        return "/"
    return value[:500]


# --- routes (public) ---------------------------------------------------------------------

router = APIRouter()


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    username: str = "",
    next_path: str = "/",
    status_code: int = 200,
) -> Response:
    ctx = get_ctx(request)
    token = new_token()
    response = render(
        request,
        "login.html",
        {"error": error, "username": username, "next": next_path, "login_token": token, "user": None},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=ctx.web.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, session: Annotated[Session, Depends(db)], next: str = "/") -> Response:
    if _load_session(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    ctx = get_ctx(request)
    next_path = safe_next(next)
    username = username.strip()
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(
            request,
            error="Het formulier was verlopen. Probeer het nog een keer.",
            username=username,
            next_path=next_path,
            status_code=403,
        )
    ip = client_ip(request, ctx.web)
    user_key = username.lower()
    held = _throttled(request, user_key, ip, username=username, next_path=next_path)
    if held is not None:
        return held
    user = _find_user(ctx.engine, username) if username else None
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        ctx.login_throttle.failed(user_key, ip)
        ctx.login_per_ip.hit(ip)
        return _login_page(
            request,
            error="Onjuiste gebruikersnaam of wachtwoord.",
            username=username,
            next_path=next_path,
            status_code=401,
        )
    ctx.login_throttle.succeeded(user_key, ip)
    assert user.id is not None
    token = sessions.start(ctx.engine, user.id, password, absolute_minutes=ctx.web.session_absolute_minutes)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        session_cookie_name(ctx.web.secure_cookies),
        token,
        max_age=ctx.web.session_absolute_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=ctx.web.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _throttled(request: Request, user_key: str, ip: str, *, username: str, next_path: str) -> Response | None:
    """The 429 page while this name must wait at this address, or the address is over its limit."""
    ctx = get_ctx(request)
    wait = max(ctx.login_throttle.wait_s(user_key, ip), ctx.login_per_ip.retry_after_s(ip))
    if wait <= 0 and not ctx.login_per_ip.blocked(ip):
        return None
    log.warning("login refused by throttle (user and address, or address limit)")
    response = _login_page(
        request,
        error=f"Te veel mislukte pogingen. Probeer het over {_wait_text(wait)} opnieuw.",
        username=username,
        next_path=next_path,
        status_code=429,
    )
    response.headers["Retry-After"] = str(max(1, wait))
    return response


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{max(1, seconds)} seconde{'n' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minu{'ten' if minutes != 1 else 'ut'}"


# --- routes (need a session) ------------------------------------------------------------

staff_router = APIRouter()


@staff_router.post("/logout")
def logout(request: Request) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    sessions.end(ctx.engine, user.token_sha256)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        session_cookie_name(ctx.web.secure_cookies),
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx.web.secure_cookies,
    )
    return response
