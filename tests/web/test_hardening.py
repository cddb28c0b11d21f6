"""Issue 11, the web's weaker points: one regression test per attack."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import InboundMessage

SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")
GOOD = {
    "name": "Anna Jansen",
    "email": "anna.jansen@example.nl",
    "subject": "Vraag",
    "message": "Een vraag over mijn gegevens.",
    "request_type": "vraag",
    "website": "",
}


@pytest.mark.parametrize(
    "path",
    [
        "/drafts/99999999999999999999999",
        "/drafts/9223372036854775808",
        "/messages/18446744073709551616/attachments/1",
        "/messages/1/attachments/99999999999999999999",
    ],
)
def test_path_integers_beyond_64_bits_are_404_with_security_headers(
    client: TestClient, login: Any, path: str
) -> None:
    login(client, "mw")
    r = client.get(path)
    assert r.status_code == 404, r.text[:300]
    assert all(h in r.headers for h in SECURITY_HEADERS)
    assert "Niet gevonden" in r.text


def test_an_unexpected_error_is_a_dutch_500_with_the_security_headers(app_factory: Any) -> None:
    app = app_factory()

    def broken() -> None:
        raise RuntimeError("a bug with private details: anna@example.nl")

    app.router.add_api_route("/kapot", broken)
    with TestClient(app, follow_redirects=False) as c:
        r = c.get("/kapot")
    assert r.status_code == 500
    assert all(h in r.headers for h in SECURITY_HEADERS) and r.headers["cache-control"] == "no-store"
    assert "Er ging iets mis" in r.text and "anna@example.nl" not in r.text


def test_free_text_in_the_url_never_reaches_the_alert_box(client: TestClient, login: Any) -> None:
    lure = "Uw sessie is verlopen, log opnieuw in op https://evil.example"
    login(client, "mw")
    for path in ("/", "/cases", "/cases/AVG-2026-0002", "/drafts", "/login"):
        for name in ("fout", "error", "melding"):
            r = client.get(path, params={name: lure})
            assert lure not in r.text and "evil.example" not in r.text, (path, name)


def test_the_case_page_shows_html_sanitised_at_processing_and_never_sanitises_on_view(
    client: TestClient, login: Any, web_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(web_engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.html.is_not(None))).one()  # type: ignore[union-attr]
    assert msg.html_safe and "mijn website" in msg.html_safe and "<script" not in msg.html_safe

    def never(*_: Any, **__: Any) -> str:
        raise AssertionError("sanitised on view")

    import nh3

    monkeypatch.setattr(nh3, "clean", never)
    login(client, "mw")
    r = client.get("/cases/AVG-2026-0002")
    assert r.status_code == 200 and "mijn website" in r.text and "alert(" not in r.text


def test_a_page_renders_outside_any_transaction(
    client: TestClient, login: Any, web_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every transaction is BEGIN IMMEDIATE (the write lock): while a page renders,
    another connection must be able to write."""
    from avgdesk.web import deps

    writes: list[bool] = []
    original = deps.Jinja2Templates.TemplateResponse

    def probe(self: Any, *args: Any, **kwargs: Any) -> Any:
        conn = sqlite3.connect(web_engine.url.database, isolation_level=None, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")  # "database is locked" at once if a request holds it
            conn.execute("ROLLBACK")
            writes.append(True)
        finally:
            conn.close()
        return original(self, *args, **kwargs)

    login(client, "mw")
    monkeypatch.setattr(deps.Jinja2Templates, "TemplateResponse", probe)
    for path in ("/", "/cases", "/cases/AVG-2026-0002", "/drafts"):
        assert client.get(path).status_code == 200, path
    assert len(writes) >= 4


# --- behind a reverse proxy, through a real uvicorn --------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def served(app_factory: Any) -> Iterator[Any]:
    """serve(**web_overrides) -> base URL of a real uvicorn (access log on, loopback only)."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(**overrides: Any) -> str:
        port = _free_port()
        config = uvicorn.Config(
            app_factory(**overrides), host="127.0.0.1", port=port, log_level="info", proxy_headers=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def test_rotating_the_left_most_forwarded_for_does_not_bypass_the_rate_limit(served: Any) -> None:
    base = served(trusted_proxies=("127.0.0.1",), contact_max_per_ip=2)
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        codes = [
            c.post("/contact", data=GOOD, headers={"X-Forwarded-For": f"10.9.8.{i}, 203.0.113.9"}).status_code
            for i in range(3)
        ]
        assert codes == [303, 303, 429]
        # Another client behind the same proxy has its own budget.
        other = c.post("/contact", data=GOOD, headers={"X-Forwarded-For": "203.0.113.10"})
        assert other.status_code == 303


def test_without_trusted_proxies_forwarded_for_is_ignored(served: Any) -> None:
    base = served(contact_max_per_ip=1)
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        first = c.post("/contact", data=GOOD, headers={"X-Forwarded-For": "203.0.113.1"})
        second = c.post("/contact", data=GOOD, headers={"X-Forwarded-For": "203.0.113.2"})
    assert (first.status_code, second.status_code) == (303, 429)


def test_the_access_log_has_no_query_strings(served: Any) -> None:
    records = _Records()
    access = logging.getLogger("uvicorn.access")
    base = served(trusted_proxies=("127.0.0.1",))
    access.addHandler(records)  # after uvicorn configured its loggers (which replaces handlers)
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
            c.get("/cases", params={"zoek": "anna.jansen@example.nl"})
            c.get(
                "/login",
                params={"next": "/cases?zoek=piet@example.nl"},
                headers={"X-Forwarded-For": "203.0.113.5"},
            )
        deadline = time.monotonic() + 5
        while len(records.lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        access.removeHandler(records)
    assert len(records.lines) >= 2, records.lines
    joined = "\n".join(records.lines)
    assert "GET /cases " in joined and "GET /login " in joined
    assert "example.nl" not in joined and "?" not in joined and "zoek" not in joined
    assert "203.0.113.5" in joined  # the client behind the proxy, not the proxy


@pytest.mark.parametrize("sender", ["Klant <klant@[127.0.0.1]>", "Klant <a:b@example.nl>", "klant@localhost"])
def test_a_request_from_an_invalid_or_ip_literal_address_is_never_answered_and_cannot_be_approved(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any, web_settings: Any, sender: str
) -> None:
    from datetime import UTC, datetime

    from webseed import KeywordClassifier

    from avgdesk.models.tables import Case, Draft, OutboxItem
    from avgdesk.replies.drafting import create_draft
    from avgdesk.replies.rendering import DraftKind
    from avgdesk.triage.drafting_config import drafting_context
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor

    raw = (
        f"From: {sender}\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: Inzage\r\n"
        "Message-ID: <ip1@example.nl>\r\nDate: Thu, 05 Mar 2026 11:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Ik wil inzage in welke gegevens u van mij verwerkt.\r\n"
    ).encode()
    pk, _ = store_local_message(web_engine, raw, source="imap", received_at=datetime.now(UTC))
    Processor(web_engine, web_settings, classifier=KeywordClassifier()).drain()
    with Session(web_engine) as s:
        msg = s.get(InboundMessage, pk)
        assert msg is not None and msg.case_id is not None and msg.is_automatic
        case = s.get(Case, msg.case_id)
        assert case is not None and case.requester_email is None  # shown without an address
        assert s.exec(select(Draft).where(Draft.case_id == case.id)).first() is None  # nothing drafted
        # Staff start a reply anyway; the address as written (old data) must not become an RCPT.
        draft = create_draft(
            s, case, DraftKind.ACKNOWLEDGEMENT, author="mw", ctx=drafting_context(web_settings)
        )
        draft.to_addr = sender.rsplit("<", 1)[-1].rstrip(">")
        s.commit()
        draft_id, version = draft.id, draft.version
    login(client, "goedkeurder")
    token = csrf_of(client, f"/drafts/{draft_id}")
    r = client.post(
        f"/drafts/{draft_id}/approve", data={"csrf_token": token, "version": version, "confirm": "1"}
    )
    assert r.status_code == 409 and "kan niet worden verzonden" in r.text
    with Session(web_engine) as s:
        assert s.exec(select(OutboxItem).where(OutboxItem.draft_id == draft_id)).first() is None


def test_a_spoofed_display_name_is_never_shown_as_the_requester(
    client: TestClient, login: Any, web_engine: Any, web_settings: Any
) -> None:
    """Issue 11, item 1: ``From: =?utf-8?q?anna=40example.nl?= <attacker@evil.example>``. The
    requester is the attacker's address, and the display name (an address, not a name) is not
    shown where staff look for the requester: the queue, the dashboard, the bulk approval of
    acknowledgements and the case header showed "anna@example.nl" as the requester's name."""
    import re
    from datetime import UTC, datetime

    from webseed import KeywordClassifier

    from avgdesk.models.tables import Case
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor

    raw = (
        b"From: =?utf-8?q?anna=40example.nl?= <attacker@evil.example>\r\nTo: privacy@nhmbsoftware.nl\r\n"
        b"Subject: Wissen\r\nMessage-ID: <spoof1@evil.example>\r\nDate: Thu, 05 Mar 2026 11:00:00 +0100\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Ik wil inzage in welke gegevens u van mij verwerkt.\r\n"
    )
    pk, _ = store_local_message(web_engine, raw, source="imap", received_at=datetime.now(UTC))
    Processor(web_engine, web_settings, classifier=KeywordClassifier()).drain()
    with Session(web_engine) as s:
        msg = s.get(InboundMessage, pk)
        assert msg is not None and msg.case_id is not None
        case = s.get(Case, msg.case_id)
        assert case is not None and case.requester_email == "attacker@evil.example"
        reference = case.reference
    login(client, "mw")
    for path in ("/", "/cases", "/cases?zoek=attacker", "/drafts"):
        page = client.get(path)
        assert page.status_code == 200 and "anna@example.nl" not in page.text, path
    assert "attacker@evil.example" in client.get("/cases?zoek=attacker").text
    header = re.search(r"<dt>Verzoeker</dt><dd>(.*?)</dd>", client.get(f"/cases/{reference}").text)
    assert header is not None and "anna@example.nl" not in header.group(1)
    assert "attacker@evil.example" in header.group(1)
