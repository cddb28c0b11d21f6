"""Real servers for the tests: Dovecot (or pymap where Dovecot is missing) and aiosmtpd.

Dovecot is started from the templates in shared/docs/dovecot (copied into
tests/support/dovecot so the tests do not depend on shared/ being present).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_greeting(
    port: int, timeout_s: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before accepting connections")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(200).startswith(b"* OK"):
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"IMAP server on port {port} did not greet within {timeout_s}s: {last}")


@dataclass
class ImapServer:
    kind: str
    host: str
    port: int
    password: str
    root: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    users: int = field(default=0)
    fixed_user: str | None = None

    def new_user(self) -> str:
        """A fresh, empty mailbox (Dovecot's static userdb accepts any name)."""
        if self.fixed_user:
            return self.fixed_user
        self.users += 1
        return f"user{self.users}_{os.getpid()}"

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def start(self) -> None:
        """(Re)start on the same port and data (for restart tests)."""
        if self.kind != "dovecot" or self.root is None:
            raise RuntimeError("only the Dovecot fixture can be restarted with its data")
        self.proc = _popen_dovecot(self.root)
        wait_for_greeting(self.port, proc=self.proc)


def _popen_dovecot(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_dovecot(root: Path, conf_hook: Callable[[str, Path], str] | None = None) -> ImapServer:
    """``conf_hook(conf, root)`` may edit the generated config (the OAuth tests add a passdb)."""
    dovecot = shutil.which("dovecot") or (
        Path("/usr/sbin/dovecot") if Path("/usr/sbin/dovecot").exists() else None
    )
    if dovecot is None:
        raise FileNotFoundError("dovecot is not installed")
    as_root = os.geteuid() == 0
    template = (HERE / "dovecot" / ("dovecot-root.conf.in" if as_root else "dovecot.conf.in")).read_text()
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(exist_ok=True)
    if as_root:
        # Dovecot refuses to run its login process as root; mail is owned by nobody.
        import grp
        import pwd

        mail_user = pwd.getpwnam("nobody")
        mail_group = grp.getgrgid(mail_user.pw_gid).gr_name
        os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
        # The mail user must be able to traverse every ancestor of its home.
        for folder in (root, *root.parents):
            if folder == Path(tempfile.gettempdir()) or folder == Path("/"):
                break
            os.chmod(folder, os.stat(folder).st_mode | 0o711)
        values = {"MAILUSER": mail_user.pw_name, "MAILGROUP": mail_group}
    else:
        import getpass
        import grp

        values = {"USER": getpass.getuser(), "GROUP": grp.getgrgid(os.getgid()).gr_name}
    last_error: Exception | None = None
    for _ in range(5):
        port = free_port()
        conf = string.Template(template).safe_substitute(ROOT=str(root), PORT=str(port), **values)
        conf = conf.replace("mail_max_userip_connections = 50", "mail_max_userip_connections = 200")
        if conf_hook is not None:
            conf = conf_hook(conf, root)
        (root / "dovecot.conf").write_text(conf)
        proc = _popen_dovecot(root)
        try:
            wait_for_greeting(port, proc=proc)
        except RuntimeError as exc:
            last_error = exc
            proc.kill()
            proc.wait()
            continue
        return ImapServer("dovecot", "127.0.0.1", port, "secret", root=root, proc=proc)
    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
    raise RuntimeError(f"Dovecot did not start: {last_error}\n{log[-2000:]}")


def start_pymap(user: str = "demouser", password: str = "demopass") -> ImapServer:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-P",
            "-c",
            "from pymap.main import main; main()",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            user,
            "--demo-password",
            password,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_greeting(port, proc=proc)
    return ImapServer("pymap", "127.0.0.1", port, password, proc=proc, fixed_user=user)


class SmtpSink:
    """aiosmtpd on loopback with fault modes, for the outbox tests.

    ``mode``: ``ok``; ``451`` (DATA answered 451); ``550`` (DATA answered 550);
    ``refuse:<addr>`` (RCPT of that address refused 550); ``421`` (421 and disconnect at
    DATA); ``slow:<seconds>`` (DATA answered 250 after a delay — the client times out,
    the server still accepts). Received messages land in ``messages`` (raw bytes).
    """

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.mode = "ok"
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
                if sink.mode.startswith("refuse:") and address == sink.mode.split(":", 1)[1]:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                import asyncio

                mode = sink.mode
                if mode == "451":
                    return "451 4.3.0 try again later"
                if mode == "550":
                    return "550 5.7.1 rejected"
                if mode == "421":
                    server.transport.close()
                    return "421 4.4.2 closing"
                # The server has the message from here on, even if its answer comes late.
                sink.messages.append(envelope.original_content or envelope.content)
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                if mode.startswith("slow:"):
                    await asyncio.sleep(float(mode.split(":", 1)[1]))
                return "250 2.0.0 queued"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
