"""``avgdesk demo``: everything on embedded defaults, on a fresh machine.

Starts an in-memory IMAP server (pymap), seeds it with thirteen realistic Dutch, English
and German enquiries, points a worker at it with SQLite in ``<data_dir>/demo``, drains
the mailbox and shows what arrived. Beside the demo data it creates NHMB's sample CRM
(SQLite, a few customers; the packaged profile registers it as an ``sql`` system) and
answers one access request end to end: the CRM read, the package built and attached, the
letter approved by the demo approver and sent to the SMTP sink (issue 17). Nothing
outside the data folder is touched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import AsyncExitStack
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import ConfigurationError
from avgdesk.models.tables import Case, InboundMessage
from avgdesk.triage.netutil import free_port
from avgdesk.triage.runtime import open_runtime
from avgdesk.triage.settings import Settings, load_settings
from avgdesk.triage.worker.runner import Worker

DEMO_USER = "privacy@nhmbsoftware.nl"
DEMO_PASSWORD = "demo"
DEMO_APPROVER = "demo"
CRM_URL_ENV = "AVGDESK_SYSTEM_CRM_URL"
"""The variable the packaged profile's CRM reads its URL from."""
ACCESS_REQUESTER = "m.hoekstra@example.nl"
"""The demo's access request (01-inzageverzoek-art15.eml) that is answered end to end."""

CRM_SCHEMA = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_number VARCHAR(20) NOT NULL, "
    "name VARCHAR(100) NOT NULL, email VARCHAR(200), phone VARCHAR(30), street VARCHAR(100), "
    "city VARCHAR(60))",
    "CREATE TABLE contracts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), "
    "contract_number VARCHAR(20) NOT NULL, product VARCHAR(60) NOT NULL, start_date DATE NOT NULL, "
    "end_date DATE)",
)
CRM_CUSTOMERS = (
    (1, "40217", "Marieke Hoekstra", ACCESS_REQUESTER, "06-12345678", "Hoofdstraat 12", "Zevenaar"),
    (2, "40218", "Pieter Hoekstra", "p.hoekstra@example.nl", "06-23456789", "Kerkweg 3", "Arnhem"),
    (3, "40301", "Sanne Jansen", "sanne.jansen@example.nl", "06-34567890", "Molenweg 8", "Doetinchem"),
    (4, "40412", "Tom Bakker", "t.bakker@example.com", "06-45678901", "Stationsplein 1", "Nijmegen"),
)
CRM_CONTRACTS = (
    (1, 1, "C-7001", "Boekhoudpakket", "2023-01-01", None),
    (2, 1, "C-7002", "Supportcontract", "2024-05-01", "2026-05-01"),
    (3, 2, "C-7101", "Boekhoudpakket", "2022-09-01", None),
    (4, 3, "C-7201", "Licentie", "2025-02-01", None),
    (5, 4, "C-7301", "Supportcontract", "2025-06-01", None),
)


def demo_messages() -> list[bytes]:
    folder = resources.files("avgdesk.mailbox").joinpath("demo_mail")
    return [f.read_bytes() for f in sorted(folder.iterdir(), key=lambda p: p.name) if f.name.endswith(".eml")]


class EmbeddedImap:
    """pymap's in-memory backend in a child process (nothing is written to disk)."""

    def __init__(self) -> None:
        self.port = free_port()
        # -P: the current folder must not shadow the standard library (mailbox/).
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-c",
                "from pymap.main import main; main()",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-tls",
                "dict",
                "--demo-user",
                DEMO_USER,
                "--demo-password",
                DEMO_PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ConfigurationError("the embedded IMAP server (pymap) did not start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise ConfigurationError("the embedded IMAP server (pymap) did not answer in time")

    def seed(self, messages: list[bytes]) -> None:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(DEMO_USER, DEMO_PASSWORD)
        for raw in messages:
            # The Date header as arrival time, so the demo's deadlines look like real ones.
            client.append("INBOX", raw, msg_time=_date_of(raw))
        client.logout()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _date_of(raw: bytes) -> datetime | None:
    from avgdesk.mailbox.parsing import parse_message

    try:
        return parse_message(raw).date
    except Exception:
        return None


class SmtpSink:
    """aiosmtpd on loopback that keeps every mail as a file: what customers would receive."""

    def __init__(self, folder: Path, console: Console | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.received: list[Path] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                path = sink.folder / f"{len(sink.received) + 1:03d}.eml"
                path.write_bytes(envelope.content if isinstance(envelope.content, bytes) else b"")
                sink.received.append(path)
                if console is not None:
                    # Every mail as it leaves, also those approved in the browser (issue 14).
                    rcpt = ", ".join(getattr(envelope, "rcpt_tos", []) or [])
                    line = f"mail sent to {rcpt}: {path}"
                    console.print(line, markup=False, highlight=False, soft_wrap=True)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def _log_to_file(data_dir: Path) -> Path:
    """Logs go to a file, so no log line lands on the progress line (issue 14)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "avgdesk-demo.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    return path


def demo_settings(base: Settings, imap_port: int, smtp_port: int) -> Settings:
    data_dir = base.data_dir / "demo"
    return load_settings(
        None,
        **{
            **base.model_dump(),
            "data_dir": data_dir,
            "database_url": f"sqlite:///{data_dir / 'avgdesk-demo.sqlite3'}",
            "imap_host": "127.0.0.1",
            "imap_port": imap_port,
            "imap_username": DEMO_USER,
            "imap_password": DEMO_PASSWORD,
            "imap_security": "none",
            "imap_idle_check_s": 1.0,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
            "outbox_poll_interval_s": 2.0,
        },
    )


def run_demo(base: Settings, *, keep_running: bool = False, console: Console | None = None) -> Settings:
    console = console or Console()
    server = EmbeddedImap()
    sink: SmtpSink | None = None
    previous = _stop_on_sigterm()
    try:
        data_dir = base.data_dir / "demo"
        shutil.rmtree(data_dir / "sent-mail", ignore_errors=True)
        sink = SmtpSink(data_dir / "sent-mail", console)
        settings = demo_settings(base, server.port, sink.port)
        log_file = _log_to_file(data_dir)
        if settings.data_dir.exists():
            shutil.rmtree(settings.data_dir / "db", ignore_errors=True)
            Path(settings.data_dir / "avgdesk-demo.sqlite3").unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{settings.data_dir / 'avgdesk-demo.sqlite3'}{suffix}").unlink(missing_ok=True)
        messages = demo_messages()
        server.seed(messages)
        # The sample CRM beside the demo data; the packaged profile reads its URL from here.
        os.environ[CRM_URL_ENV] = create_crm(settings.data_dir)
        console.print(
            f"[bold]avgdesk demo[/bold]: embedded IMAP server on 127.0.0.1:{server.port} "
            f"with {len(messages)} enquiries"
        )
        console.print(f"data folder: {settings.data_dir}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"log file:    {log_file}", markup=False, highlight=False, soft_wrap=True)
        application = open_runtime(settings)
        worker = Worker(settings, application.engine, classifier_factory=application.classifier)
        try:
            asyncio.run(_session(worker, settings, application.engine, sink, console, serve=keep_running))
        except KeyboardInterrupt:
            worker.request_stop()
        finally:
            worker.close()
        return settings
    finally:
        server.stop()
        if sink is not None:
            sink.stop()
        if previous is not _NOT_SET and previous is not None:
            signal.signal(signal.SIGTERM, previous)


_NOT_SET = object()  # no handler was changed (not the main thread)


def _stop_on_sigterm() -> Any:
    """SIGTERM (a service manager, ``kill``) stops the demo as Ctrl-C does, so the embedded
    IMAP server and the SMTP sink are stopped too; by default it ended the process at once
    and left the IMAP child running. Only the main thread may set a handler."""
    if threading.current_thread() is not threading.main_thread():
        return _NOT_SET
    return signal.signal(signal.SIGTERM, signal.default_int_handler)


async def _session(
    worker: Worker, settings: Settings, engine: Engine, sink: SmtpSink, console: Console, *, serve: bool
) -> None:
    """The first pass (train or load the model, read the mailbox, draft, send one), then,
    with ``serve``, the worker for good. The web UI starts *before* the first pass: on an
    empty data folder the model trains for a minute, and the UI (its contact form queues
    what arrives until the model is ready) must not wait for that (issue 14)."""
    async with AsyncExitStack() as stack:
        if serve:
            await _start_services(stack, settings, engine, console)
        with console.status("Training or loading the classifier, reading the mailbox…"):
            report = await worker.run_once()
        _show(console, engine, settings)
        p = report.processing
        console.print(
            f"ingested {report.ingested}, processed {p.processed}, quarantined {p.quarantined}, "
            f"cases opened {p.cases_opened}"
        )
        _approve_one(console, engine, settings)
        _answer_access(console, engine, settings)
        await worker.drain_outbox()
        _show_sent(console, sink)
        console.print("Other drafts wait for approval; to list them:")
        console.print(
            f"  AVGDESK_DATABASE_URL='{settings.effective_database_url}' avgdesk drafts list",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        if serve:
            console.print("The worker keeps running (Ctrl-C stops it).")
            await worker.run_forever()


async def _start_services(
    stack: AsyncExitStack, settings: Settings, engine: Engine, console: Console
) -> None:
    """Every plugin's demo service (the web UI) beside the worker; each prints its line."""
    from avgdesk.triage.plugins import load_plugins

    for module in load_plugins():
        service = getattr(module, "demo_service", None)
        if callable(service):
            line = await stack.enter_async_context(service(settings, engine))
            if line:
                console.print(line)


def create_crm(data_dir: Path) -> str:
    """NHMB's sample CRM as a fresh SQLite file in the demo folder; returns its URL. Two
    customers share a surname: the package of one must hold none of the other's rows."""
    import sqlite3

    path = data_dir / "nhmb-crm.sqlite3"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        for statement in CRM_SCHEMA:
            conn.execute(statement)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CRM_CUSTOMERS)
        conn.executemany("INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?)", CRM_CONTRACTS)
    conn.close()
    return f"sqlite:///{path}"


def _answer_access(console: Console, engine: Engine, settings: Settings) -> None:
    """One access request answered end to end, as staff would in the web UI: identity
    checked, the CRM read, the other systems' tasks closed, the package built and
    attached, the letter approved by the demo approver; the outbox then sends it."""
    from avgdesk.models.errors import AvgdeskError, staff_text
    from avgdesk.triage.cases import attachments, collect, drafts
    from avgdesk.triage.cases.identity import mark_identity_verified

    with Session(engine) as session:
        case = session.exec(
            select(Case).where(Case.requester_email == ACCESS_REQUESTER).order_by(col(Case.id))
        ).first()
    if case is None:
        return
    reference, by = case.reference, DEMO_APPROVER
    try:
        mark_identity_verified(engine, settings, reference, by=by)
        found = collect.collect(engine, settings, reference, by=by)
        _close_tasks(engine, case.id or 0, by=by)
        draft_id = drafts.create(engine, settings, reference, "access", by=by).draft_id
        started = time.process_time()
        attachments.build_package(engine, settings, draft_id, by=by)
        cpu_ms = (time.process_time() - started) * 1000
        drafts.approve(engine, settings, draft_id, by=by)
    except AvgdeskError as exc:
        console.print(f"Access request {reference} not answered: {staff_text(exc)}", markup=False)
        return
    rows = sum(o.rows for o in found)
    failed = "".join(f" ({o.system_id}: {o.error})" for o in found if o.error)
    console.print(
        f"Answered access request {reference}: {rows} rows from the CRM{failed}, package built in "
        f"{cpu_ms:.0f} ms CPU, approved as {by}; the outbox sends it.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _close_tasks(engine: Engine, case_id: int, *, by: str) -> None:
    """The CRM was read by avgdesk; the manual systems are closed as the demo's staff would."""
    from avgdesk.models.tables import CaseTask
    from avgdesk.models.vocabulary import TaskStatus
    from avgdesk.triage.cases import tasks

    with Session(engine) as session:
        open_tasks = [
            (t.id or 0, t.system_id)
            for t in session.exec(
                select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == TaskStatus.OPEN)
            )
        ]
    for task_id, system_id in open_tasks:
        note = "gelezen door avgdesk" if system_id == "crm" else "demo: geen gegevens in dit systeem"
        status = "done" if system_id == "crm" else "not_applicable"
        tasks.close_task(engine, task_id, status, by=by, note=note)


def _approve_one(console: Console, engine: Engine, settings: Settings) -> None:
    """Approve the first acknowledgement as the demo approver, as staff would."""
    from avgdesk.models.engine import session_scope
    from avgdesk.models.tables import Draft, DraftState
    from avgdesk.replies.drafting import approve_draft
    from avgdesk.triage.drafting_config import drafting_context

    with session_scope(engine) as session:
        draft = session.exec(
            select(Draft)
            .where(Draft.state == DraftState.DRAFT, Draft.kind == "acknowledgement")
            .order_by(col(Draft.id))
        ).first()
        if draft is None:
            return
        approve_draft(session, draft, approver="demo", ctx=drafting_context(settings))
        # Crash before: the draft stays unapproved. Crash after: approved and queued together.
        session.commit()
        console.print(f"Approved draft {draft.id} as [bold]demo[/bold]; the outbox sends it.")


def _show_sent(console: Console, sink: SmtpSink) -> None:
    import email
    import email.policy

    for path in sink.received:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        console.rule(f"Mail the customer receives ({path.name})")
        for header in ("From", "To", "Subject", "Message-ID", "In-Reply-To", "Auto-Submitted"):
            if msg[header]:
                console.print(f"{header}: {msg[header]}", markup=False, highlight=False)
        console.print("")
        console.print(text.strip(), markup=False, highlight=False)
        console.rule()


def _show(console: Console, engine: Engine, settings: Settings) -> None:
    """Two lines a message, so it reads in any terminal width."""
    with Session(engine) as session:
        rows = session.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        cases = {c.id: c for c in session.exec(select(Case))}
    console.rule("What arrived")
    console.print("[bold]received     case           due    labels (? = needs review)[/bold]")
    for m in rows:
        case = cases.get(m.case_id)
        labels = (", ".join(m.labels) or "-") + (" ?" if m.needs_review else "")
        console.print(
            f"{m.received_at.astimezone(settings.tz):%d-%m %H:%M}  "
            f"{case.reference if case else '-':13}  "
            f"{case.due_date.strftime('%d-%m') if case and case.due_date else '-':5}  {labels}",
            highlight=False,
        )
        who = (m.requester_email or "?") + (" (contact form)" if m.via_form else "")
        # Subjects may hold [brackets]: printed as plain text, never as markup.
        console.print(Text(f"             {who}: {m.subject or ''}", style="dim"))
