"""Authentication, sessions, CSRF, roles, rate limits and security headers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.routing import Mount

from avgdesk.models.errors import InvalidOperation
from avgdesk.models.tables import WebSession
from avgdesk.models.types import utcnow
from avgdesk.web.app import PUBLIC_PATHS
from avgdesk.web.auth import require_user

SAMPLE_PARAMS = {
    "reference": "AVG-2026-0001",
    "draft_id": "1",
    "message_pk": "2",
    "part_index": "3",
    "username": "mw",
    "view_id": "1",
    "task_id": "4",
    "attachment_id": "5",
    "system_id": "crm",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def _dependency_calls(route: APIRoute) -> set[Any]:
    calls: set[Any] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        calls.add(dep.call)
        stack.extend(dep.dependencies)
    return calls


def _walk(routes: list[Any], inherited: tuple[Any, ...] = ()) -> list[tuple[Any, set[Any]]]:
    """Every route with the dependencies it runs: its own plus those of the routers that
    include it (FastAPI keeps included routers as branches of the route table)."""
    found: list[tuple[Any, set[Any]]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            extra = tuple(d.dependency for d in route.include_context.dependencies)
            found += _walk(list(included.routes), inherited + extra)
        elif isinstance(route, APIRoute):
            found.append((route, _dependency_calls(route) | set(inherited)))
        else:
            found.append((route, set(inherited)))
    return found


def test_every_route_but_login_static_and_contact_needs_a_session(app_factory: Any) -> None:
    app = app_factory()
    checked = 0
    table = _walk(list(app.routes))
    with TestClient(app, follow_redirects=False) as anon:
        for route, deps in table:
            if isinstance(route, Mount):
                assert route.path == "/static", f"unexpected mount {route.path}"
                continue
            assert isinstance(route, APIRoute), f"unexpected route type {route!r}"
            public = route.path in PUBLIC_PATHS
            assert public or require_user in deps, f"{route.path} lacks require_user"
            if public:
                continue
            for method in route.methods:
                r = anon.request(method, _concrete(route.path), data={"csrf_token": "x"})
                checked += 1
                if method == "GET":
                    assert r.status_code == 303, (method, route.path, r.status_code)
                    assert r.headers["location"].startswith("/login?next=")
                else:
                    assert r.status_code == 401, (method, route.path, r.status_code)
    assert checked >= 20, checked
    # Issue 17: a reply's download link opens with its token alone (web/download.py).
    public = {"/login", "/contact", "/contact/ontvangen", "/download/{token}", "/static", "/healthz"}
    public.add("/favicon.ico")
    assert public == PUBLIC_PATHS


def test_login_sets_hardened_cookie_and_logout_deletes_the_session(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={
            "username": "mw",
            "password": "medewerker-wachtwoord",
            "csrf_token": token.group(1),
            "next": "/cases",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("avgdesk_session="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    raw_token = cookie.split("=", 1)[1].split(";", 1)[0]
    with Session(web_engine) as s:
        rows = list(s.exec(select(WebSession)))
    assert len(rows) == 1 and rows[0].token_sha256 != raw_token and len(rows[0].token_sha256) == 64
    assert client.get("/").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with Session(web_engine) as s:
        assert list(s.exec(select(WebSession))) == []
    client.cookies.set("avgdesk_session", raw_token)
    assert client.get("/").status_code == 303


def test_secure_flag_and_host_prefix_behind_tls(app_factory: Any, login: Any) -> None:
    with TestClient(
        app_factory(secure_cookies=True), base_url="https://testserver", follow_redirects=False
    ) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        r = c.post(
            "/login",
            data={"username": "mw", "password": "medewerker-wachtwoord", "csrf_token": token.group(1)},
        )
        cookie = next(h for h in r.headers.get_list("set-cookie") if "avgdesk_session" in h)
        assert cookie.startswith("__Host-avgdesk_session=") and "secure" in cookie.lower()
        assert "strict-transport-security" in c.get("/").headers


def test_wrong_password_and_login_form_csrf(client: TestClient) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login", data={"username": "mw", "password": "fout-wachtwoord", "csrf_token": token.group(1)}
    )
    assert r.status_code == 401 and "Onjuiste gebruikersnaam of wachtwoord" in r.text
    r = client.post(
        "/login", data={"username": "mw", "password": "medewerker-wachtwoord", "csrf_token": "forged"}
    )
    assert r.status_code == 403


def test_open_redirect_after_login_is_refused(client: TestClient) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={
            "username": "mw",
            "password": "medewerker-wachtwoord",
            "csrf_token": token.group(1),
            "next": "//evil.invalid/",
        },
    )
    assert r.headers["location"] == "/"


def test_post_without_or_with_wrong_csrf_token_is_rejected(
    client: TestClient, login: Any, csrf_of: Any
) -> None:
    login(client, "goedkeurder")
    good = csrf_of(client)
    for data in ({}, {"csrf_token": "wrong"}, {"csrf_token": good[:-1]}):
        r = client.post("/cases/AVG-2026-0001/assign", data={"assignee": "mw", **data})
        assert r.status_code == 403, data
        assert "Formulier verlopen" in r.text
    r = client.post("/cases/AVG-2026-0001/assign", data={"assignee": "mw", "csrf_token": good})
    assert r.status_code == 303


def test_cross_origin_post_is_refused(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "goedkeurder")
    token = csrf_of(client)
    r = client.post(
        "/cases/AVG-2026-0001/assign",
        data={"assignee": "mw", "csrf_token": token},
        headers={"Origin": "https://evil.invalid"},
    )
    assert r.status_code == 403


def test_medewerker_cannot_approve_or_manage_users(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "mw")
    token = csrf_of(client, "/drafts/1")
    page = client.get("/drafts/1")
    assert "Goedkeuren en versturen" not in page.text
    r = client.post("/drafts/1/approve", data={"csrf_token": token, "version": "1"})
    assert r.status_code == 403
    assert client.get("/users").status_code == 403
    r = client.post(
        "/users", data={"csrf_token": token, "username": "x", "role": "admin", "password": "x" * 12}
    )
    assert r.status_code == 403


def test_admin_manages_users(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "beheer")
    token = csrf_of(client, "/users")
    r = client.post(
        "/users", data={"csrf_token": token, "username": "nieuw", "role": "medewerker", "password": "kort"}
    )
    assert r.status_code == 400 and "minstens 10" in r.text
    r = client.post(
        "/users",
        data={"csrf_token": token, "username": "nieuw", "role": "medewerker", "password": "lang-genoeg-123"},
    )
    assert r.status_code == 303
    assert client.post("/users/nieuw/disable", data={"csrf_token": token, "confirm": "1"}).status_code == 303
    assert ">nieuw<" in client.get("/users").text


def _login_attempt(c: TestClient, user: str, password: str) -> Any:
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    return c.post("/login", data={"username": user, "password": password, "csrf_token": token.group(1)})


def test_lockout_slows_the_attacker_but_never_locks_out_the_real_user(app_factory: Any) -> None:
    """Issue 11: five wrong passwords used to lock the real user out everywhere. Now the
    guesser's address waits longer and longer for that name; the user elsewhere gets in."""
    app = app_factory(login_max_failures_per_user=3, login_max_failures_per_ip=50)
    now = [1000.0]
    app.state.ctx.login_throttle.clock = lambda: now[0]
    attacker = TestClient(app, follow_redirects=False, client=("198.51.100.7", 40000))
    real = TestClient(app, follow_redirects=False, client=("192.0.2.10", 40001))
    with attacker, real:
        assert [_login_attempt(attacker, "mw", "fout-fout-fout").status_code for _ in range(3)] == [401] * 3
        waits = []
        for _ in range(4):
            held = _login_attempt(attacker, "mw", "medewerker-wachtwoord")  # even the right one waits
            assert held.status_code == 429 and "Te veel mislukte pogingen" in held.text
            waits.append(int(held.headers["retry-after"]))
            now[0] += waits[-1]
            assert _login_attempt(attacker, "mw", "nog-steeds-fout").status_code == 401
        assert waits == [1, 2, 4, 8]  # growing delay
        # The real user, at their own address, is not held up at all.
        assert _login_attempt(real, "mw", "medewerker-wachtwoord").status_code == 303
        # Other names from the attacker's address are not slowed by the guesses at "mw".
        assert _login_attempt(attacker, "goedkeurder", "goedkeurder-wachtwoord").status_code == 303


def test_an_address_spraying_many_names_is_limited(app_factory: Any) -> None:
    app = app_factory(login_max_failures_per_ip=3)
    with TestClient(app, follow_redirects=False) as c:
        assert [_login_attempt(c, f"onbekend{i}", "x" * 12).status_code for i in range(3)] == [401] * 3
        blocked = _login_attempt(c, "beheer", "beheerder-wachtwoord")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "password", ["password12", "Wachtwoord1", "welkom123456", "medewerker12", "nhmbsoftware"]
)
def test_weak_passwords_are_refused_offline(web_engine: Any, password: str) -> None:
    from avgdesk.web.users import add_user

    with Session(web_engine) as s, pytest.raises(InvalidOperation, match="te makkelijk te raden"):
        add_user(s, "medewerker", "medewerker", password)


def test_a_strong_password_is_accepted(web_engine: Any) -> None:
    from avgdesk.web.users import add_user

    with Session(web_engine) as s:
        assert add_user(s, "nieuw", "medewerker", "paars-fietsen-langs-de-ijssel").id is not None


def test_session_idle_and_absolute_expiry(client: TestClient, login: Any, web_engine: Any) -> None:
    login(client, "mw")
    assert client.get("/").status_code == 200
    with Session(web_engine) as s:
        row = s.exec(select(WebSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=31)
        s.add(row)
        s.commit()
    assert client.get("/").status_code == 303  # idle too long
    with Session(web_engine) as s:
        assert list(s.exec(select(WebSession))) == []

    login(client, "mw")
    with Session(web_engine) as s:
        row = s.exec(select(WebSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert client.get("/").status_code == 303  # absolute lifetime over


def test_a_session_older_than_the_touch_interval_is_touched_not_refused(
    client: TestClient, login: Any, web_engine: Any
) -> None:
    login(client, "mw")
    with Session(web_engine) as s:
        row = s.exec(select(WebSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=5)
        s.add(row)
        s.commit()
    assert client.get("/").status_code == 200  # was a 500 on SQLite (the PRAGMA's open transaction)
    with Session(web_engine) as s:
        assert s.exec(select(WebSession)).one().last_seen_at > utcnow() - timedelta(minutes=1)


def test_disabled_user_loses_the_session(client: TestClient, login: Any, web_engine: Any) -> None:
    from avgdesk.web.users import disable_user

    login(client, "mw")
    with Session(web_engine) as s:
        disable_user(s, "mw", by="test")
        s.commit()
    assert client.get("/").status_code == 303


def test_security_headers_on_every_response(client: TestClient, login: Any) -> None:
    responses = [
        client.get("/login"),
        client.get("/contact"),
        client.get("/static/style.css"),
        client.get("/nope"),
    ]
    login(client, "mw")
    responses += [
        client.get("/"),
        client.get("/cases"),
        client.get("/cases/AVG-2026-0002"),
        client.get("/drafts"),
    ]
    for r in responses:
        h = r.headers
        csp = h["content-security-policy"]
        for part in (
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ):
            assert part in csp, (r.url, part)
        assert "script-src 'none'" in csp and "nonce" not in csp  # no page runs a script
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        if "/static/" not in str(r.url):
            assert h["cache-control"] == "no-store", r.url
    assert all("<script" not in r.text for r in responses)


def test_oversized_post_is_refused(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "mw")
    token = csrf_of(client)
    r = client.post("/cases/AVG-2026-0001/assign", data={"csrf_token": token, "assignee": "x" * 1_100_000})
    assert r.status_code == 413
