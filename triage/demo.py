"""``avgdesk demo``: everything on embedded defaults, on a fresh machine.

Starts an in-memory IMAP server (pymap), seeds it with a dozen realistic Dutch and
English enquiries, points a worker at it with SQLite in ``<data_dir>/demo``, drains
the mailbox and shows what arrived. Nothing outside the data folder is touched.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models import Case, InboundMessage
from avgdesk.models.errors import ConfigurationError
from avgdesk.triage.app import open_app
from avgdesk.triage.settings import Settings, load_settings
from avgdesk.triage.worker import Worker

DEMO_USER = "privacy@nhmbsoftware.nl"
DEMO_PASSWORD = "demo"


def demo_messages() -> list[bytes]:
    folder = resources.files("avgdesk.mailbox").joinpath("demo_mail")
    return [f.read_bytes() for f in sorted(folder.iterdir(), key=lambda p: p.name) if f.name.endswith(".eml")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedImap:
    """pymap's in-memory backend in a child process (nothing is written to disk)."""

    def __init__(self) -> None:
        self.port = _free_port()
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


def demo_settings(base: Settings, imap_port: int) -> Settings:
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
        },
    )


def run_demo(base: Settings, *, keep_running: bool = False, console: Console | None = None) -> Settings:
    console = console or Console()
    server = EmbeddedImap()
    try:
        settings = demo_settings(base, server.port)
        if settings.data_dir.exists():
            shutil.rmtree(settings.data_dir / "db", ignore_errors=True)
            Path(settings.data_dir / "avgdesk-demo.sqlite3").unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{settings.data_dir / 'avgdesk-demo.sqlite3'}{suffix}").unlink(missing_ok=True)
        messages = demo_messages()
        server.seed(messages)
        console.print(
            f"[bold]avgdesk demo[/bold]: embedded IMAP server on 127.0.0.1:{server.port} "
            f"with {len(messages)} enquiries; data in {settings.data_dir}"
        )
        application = open_app(settings)
        worker = Worker(
            settings,
            application.engine,
            classifier_factory=application.classifier,
            legal_deadline_for=application.legal_deadline,
        )
        try:
            with console.status("Training or loading the classifier, reading the mailbox…"):
                report = asyncio.run(worker.run_once())
            _show(console, application.engine, settings)
            p = report.processing
            console.print(
                f"ingested {report.ingested}, processed {p.processed}, quarantined {p.quarantined}, "
                f"cases opened {p.cases_opened}"
            )
            if keep_running:
                try:
                    asyncio.run(_serve(worker, settings, application.engine, console))
                except KeyboardInterrupt:
                    worker.request_stop()
        finally:
            worker.close()
        return settings
    finally:
        server.stop()


async def _serve(worker: Worker, settings: Settings, engine: Engine, console: Console) -> None:
    """Keep the worker running with every plugin's demo service (the web UI) beside it."""
    from contextlib import AsyncExitStack

    from avgdesk.triage.plugins import load_plugins

    async with AsyncExitStack() as stack:
        for module in load_plugins():
            service = getattr(module, "demo_service", None)
            if callable(service):
                line = await stack.enter_async_context(service(settings, engine))
                if line:
                    console.print(line)
        console.print("The worker keeps running (Ctrl-C stops it).")
        await worker.run_forever()


def _show(console: Console, engine: Engine, settings: Settings) -> None:
    table = Table(title="What arrived", show_lines=False)
    for heading in (
        "#",
        "received (Amsterdam)",
        "from / requester",
        "subject",
        "labels",
        "review",
        "case",
        "deadline",
    ):
        table.add_column(heading)
    with Session(engine) as session:
        rows = session.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        cases = {c.id: c for c in session.exec(select(Case))}
    for m in rows:
        case = cases.get(m.case_id)
        table.add_row(
            str(m.id),
            m.received_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
            (m.requester_email or "?") + (" (form)" if m.via_form else ""),
            (m.subject or "")[:50],
            ", ".join(m.labels) or "-",
            "yes" if m.needs_review else "",
            case.reference if case else "",
            case.legal_deadline.isoformat() if case and case.legal_deadline else "",
        )
    console.print(table)
