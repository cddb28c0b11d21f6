"""Staff accounts: argon2 password hashes, roles, and the admin page that manages them.

Roles: ``medewerker`` reads and drafts; ``approver`` also approves and sends; ``admin``
also manages accounts.
"""

from __future__ import annotations

import re
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select
from starlette.responses import Response

from avgdesk.models.errors import InvalidOperation, NotFoundError
from avgdesk.models.tables import User, WebSession
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import audit
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.web.deps import db, get_ctx, render

ROLES = tuple(role.value for role in Role)  # the vocabulary's order: medewerker, approver, admin
RANK = {role.value: role.rank for role in Role}
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password: equalises the time of unknown user names")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (no user-name oracle by timing)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def has_role(role: str, needed: str) -> bool:
    return RANK.get(role, 0) >= RANK[needed]


MIN_PASSWORD_SCORE = 3
"""zxcvbn's score (0-4): 3 is "safely unguessable" against an offline attack on a slow hash."""
_STRENGTH_CHARS = 100
# Names that stay plain text in URLs and the audit trail (an address as a name is allowed:
# reminders go to an assignee whose name is an address).
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
_RESERVED_NAMES = frozenset({"cli", "avgdesk"})
"""zxcvbn's time grows with the length; past this many characters only the start is judged."""


def check_password_rules(password: str, username: str = "") -> None:
    """Length, then strength by zxcvbn: offline (its word lists ship with the package),
    and with the user name and our own names as words an attacker would try first."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidOperation(f"het wachtwoord moet minstens {MIN_PASSWORD_CHARS} tekens hebben")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidOperation("het wachtwoord is te lang")
    from zxcvbn import zxcvbn

    words = [w for w in (username, "nhmb", "nhmbsoftware", "avgdesk", "privacy", "zevenaar") if w]
    score = int(zxcvbn(password[:_STRENGTH_CHARS], user_inputs=words)["score"])
    if score < MIN_PASSWORD_SCORE:
        raise InvalidOperation(
            f"dit wachtwoord is te makkelijk te raden (sterkte {score} van 4, minstens "
            f"{MIN_PASSWORD_SCORE} nodig); kies bijvoorbeeld een zin van vier of vijf woorden"
        )


def add_user(session: Session, username: str, role: str, password: str, *, by: str = "cli") -> User:
    username = username.strip()
    if _USERNAME.fullmatch(username) is None:
        raise InvalidOperation(
            "een gebruikersnaam heeft 1 tot 64 tekens: letters, cijfers en . _ - @ + (geen spaties)"
        )
    if username.lower() in _RESERVED_NAMES or username.lower().startswith("system"):
        # Audit trails and pages name the worker "system:…" and the command line "cli":
        # a person with such a name would pass for them.
        raise InvalidOperation(f"de gebruikersnaam {username} is gereserveerd; kies een andere")
    if role not in ROLES:
        raise InvalidOperation(f"onbekende rol {role!r}; kies uit {', '.join(ROLES)}")
    check_password_rules(password, username)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise InvalidOperation(f"gebruiker {username} bestaat al")
    user = User(username=username, password_hash=hash_password(password), role=Role(role), active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor=by, action="user.added", username=username, role=role)
    return user


def set_password(session: Session, username: str, password: str, *, by: str = "cli") -> None:
    user = _get(session, username)
    check_password_rules(password, username)
    user.password_hash = hash_password(password)
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))
    audit.record(session, actor=by, action="user.password_set", username=username)


def disable_user(session: Session, username: str, *, by: str = "cli") -> None:
    """Disable the account and end all its sessions at once; never the last active admin."""
    user = _get(session, username)
    if user.active and user.role is Role.ADMIN:
        # Every active admin row locked (in id order: two of these never deadlock) before
        # counting: on PostgreSQL (READ COMMITTED) two admins disabling each other at once
        # each still saw the other active and left none. SQLite serialises writers anyway.
        admins = session.exec(
            select(User.id)
            .where(User.role == Role.ADMIN, col(User.active))
            .order_by(col(User.id))
            .with_for_update()
        ).all()
        if not [pk for pk in admins if pk != user.id]:
            raise LastAdmin()
    user.active = False
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))
    audit.record(session, actor=by, action="user.disabled", username=username)


class SelfDisable(InvalidOperation):
    """An admin may not disable their own account (nobody could undo it from the UI)."""

    staff_message = "U kunt uw eigen account niet uitschakelen."

    def __init__(self) -> None:
        super().__init__("an administrator cannot disable their own account")


class LastAdmin(InvalidOperation):
    """The last active admin stays: without one nobody can manage accounts in the UI."""

    staff_message = "Dit is de laatste actieve beheerder; die kan niet worden uitgeschakeld."

    def __init__(self) -> None:
        super().__init__("the last active administrator cannot be disabled")


def create_user(engine: Engine, username: str, role: str, password: str, *, by: str) -> None:
    """Use case: add an account (password rules, audit) in its own transaction."""
    with unit_of_work(engine) as session:
        add_user(session, username, role, password, by=by)


def ensure_user(engine: Engine, username: str, role: str, password: str, *, by: str) -> bool:
    """Use case: add the account unless it exists; True when it was added."""
    with unit_of_work(engine) as session:
        if session.exec(select(User).where(User.username == username)).first() is not None:
            return False
        add_user(session, username, role, password, by=by)
        return True


def deactivate_user(engine: Engine, username: str, *, by: str) -> None:
    """Use case: disable an account and end its sessions, in its own transaction."""
    if username == by:
        raise SelfDisable()
    with unit_of_work(engine) as session:
        disable_user(session, username, by=by)


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))))


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFoundError(f"gebruiker {username} bestaat niet")
    return user


# --- admin pages ------------------------------------------------------------------------

router = APIRouter()


@router.get("/users")
def users_page(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    from avgdesk.web.auth import require_role

    require_role(request, "admin")
    return render(request, "users.html", {"users": list_users(session), "roles": ROLES})


@router.post("/users")
def users_add(
    request: Request,
    session: Annotated[Session, Depends(db)],
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)],
) -> Response:
    from avgdesk.web.auth import require_role

    me = require_role(request, "admin")
    try:
        create_user(get_ctx(request).engine, username, role, password, by=me.username)
    except InvalidOperation as exc:
        return render(
            request,
            "users.html",
            {"users": list_users(session), "roles": ROLES, "error": str(exc), "form_username": username},
            status_code=400,
        )
    return RedirectResponse("/users", status_code=303)


@router.get("/users/{username}/disable")
def users_disable_confirm(
    request: Request, username: Annotated[str, Path(max_length=64)], session: Annotated[Session, Depends(db)]
) -> Response:
    """The confirmation step (a page, so it works without JavaScript); changes nothing."""
    from avgdesk.web.auth import require_role

    require_role(request, "admin")
    _get(session, username)
    return _users_page(request, session, confirm_disable=username)


@router.post("/users/{username}/disable")
def users_disable(
    request: Request,
    username: Annotated[str, Path(max_length=64)],
    session: Annotated[Session, Depends(db)],
    confirm: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    from avgdesk.web.auth import require_role

    me = require_role(request, "admin")
    if not confirm:
        _get(session, username)
        return _users_page(
            request,
            session,
            confirm_disable=username,
            error="Vink aan dat u dit account wilt uitschakelen.",
            status_code=409,
        )
    try:
        deactivate_user(get_ctx(request).engine, username, by=me.username)
    except (SelfDisable, LastAdmin) as exc:
        return _users_page(request, session, error=exc.staff_message, status_code=409)
    return RedirectResponse("/users", status_code=303)


def _users_page(
    request: Request,
    session: Session,
    *,
    confirm_disable: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    session.rollback()  # read the accounts as they are now (after a refused change)
    context = {"users": list_users(session), "roles": ROLES, "confirm_disable": confirm_disable}
    return render(request, "users.html", {**context, "error": error}, status_code=status_code)
