"""The web UI's hooks into the command line and the demo (see avgdesk.triage.plugins).

* ``avgdesk serve [--host 127.0.0.1] [--port 8000]`` — the staff UI and the contact form;
* ``avgdesk users add NAME --role ROLE --password-stdin``, ``users list``, ``users disable NAME``;
* ``demo_service`` — serves the UI next to the demo worker, with a demo admin.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from avgdesk.models.errors import ConfigurationError, InvalidOperation, NotFoundError
from avgdesk.models.vocabulary import Role

# Only light imports at module level: `avgdesk --help` imports this module to register
# `serve` and `users`; SQLAlchemy, FastAPI, uvicorn and the settings load inside the commands.
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from avgdesk.classifiers import Classifier
    from avgdesk.triage.settings import Settings

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-wachtwoord"


def _settings(ctx: typer.Context) -> Settings:
    from avgdesk.triage.settings import Settings

    obj = ctx.find_root().obj if ctx.obj is None else ctx.obj
    if not isinstance(obj, Settings):
        raise ConfigurationError("settings were not loaded")
    return obj


def register_cli(app: typer.Typer) -> None:
    """Add ``serve`` and ``users`` to the root command line (nothing heavy is imported here)."""
    users_app = typer.Typer(
        help="Staff accounts for the web UI.", no_args_is_help=True, rich_markup_mode=None
    )
    app.add_typer(users_app, name="users")
    app.command("serve")(serve)
    users_app.command("add")(users_add)
    users_app.command("list")(users_list)
    users_app.command("disable")(users_disable)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the staff web UI and the public contact form (uvicorn)."""
    import uvicorn

    from avgdesk.triage.runtime import open_runtime
    from avgdesk.web.app import create_app

    application = open_runtime(_settings(ctx))
    web_app = create_app(application.settings, application.engine, warm_classifier=True)
    # Proxy headers are read by the app itself, only from AVGDESK_WEB_TRUSTED_PROXIES.
    uvicorn.run(web_app, host=host, port=port, proxy_headers=False, server_header=False, log_level="info")


def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Option("--role", help="medewerker, approver or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a staff account (argon2 password hash)."""

    from avgdesk.triage.runtime import open_runtime
    from avgdesk.web.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    application = open_runtime(_settings(ctx))
    try:
        create_user(application.engine, name, role.value, password, by="cli")
    except InvalidOperation as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} added ({role.value})")


def users_list(ctx: typer.Context) -> None:
    """List staff accounts."""
    from sqlmodel import Session

    from avgdesk.triage.runtime import open_runtime
    from avgdesk.web.users import list_users

    application = open_runtime(_settings(ctx))
    with Session(application.engine) as session:
        for u in list_users(session):
            state = "active" if u.active else "disabled"
            last = u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else "-"
            typer.echo(f"{u.username}\t{u.role}\t{state}\tlast login {last}")


def users_disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable an account and end its sessions."""

    from avgdesk.triage.runtime import open_runtime
    from avgdesk.web.users import deactivate_user

    application = open_runtime(_settings(ctx))
    try:
        deactivate_user(application.engine, name, by="cli")
    except (NotFoundError, InvalidOperation) as exc:  # unknown, or the last active admin
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} disabled")


# --- a server in a background thread (demo, tests) ---------------------------------------


@contextlib.contextmanager
def background_server(
    settings: Settings,
    engine: Engine,
    *,
    port: int,
    any_port_if_taken: bool = False,
    classifier_factory: Callable[[], Classifier | None] | None = None,
    warm_classifier: bool = True,
    **web_overrides: object,
) -> Iterator[str]:
    """uvicorn in a daemon thread (no signal handlers there); yields the base URL.

    The socket is bound here and handed to uvicorn: checking that a port is free and
    binding it later races another process starting at the same moment (two demos both
    saw 8000 free and one failed). ``any_port_if_taken`` takes any free port instead."""
    import uvicorn

    from avgdesk.web.app import create_app
    from avgdesk.web.config import WebSettings

    web = WebSettings.from_settings(settings, **web_overrides)
    app = create_app(
        settings, engine, web, classifier_factory=classifier_factory, warm_classifier=warm_classifier
    )
    sock = _listening_socket(port, any_port_if_taken)
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="avgdesk-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigurationError(f"the web UI did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _listening_socket(port: int, any_port_if_taken: bool) -> socket.socket:
    """A loopback socket bound to ``port`` (0: any), or to any free port if it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        # listen() at once: two sockets with SO_REUSEADDR may both bind a port on Linux
        # until one of them listens.
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if not any_port_if_taken:
            raise ConfigurationError(f"the web UI cannot listen on port {port}: {exc.strerror}") from exc
        return _listening_socket(0, any_port_if_taken=False)
    return sock


def ensure_demo_user(engine: Engine) -> None:

    from avgdesk.web.users import ensure_user

    # Crash before the use case commits: no demo user yet; the next start creates it.
    ensure_user(engine, DEMO_USERNAME, "admin", DEMO_PASSWORD, by="system:demo")


@contextlib.asynccontextmanager
async def demo_service(settings: Settings, engine: Engine) -> AsyncIterator[str]:
    """The web UI beside the demo worker; the demo admin exists only in the demo data."""
    import asyncio  # here: asyncio costs ~30 ms at every start of the command line

    await asyncio.to_thread(ensure_demo_user, engine)
    with background_server(settings, engine, port=8000, any_port_if_taken=True) as url:
        yield (f"Web UI: {url}/ — log in as {DEMO_USERNAME} / {DEMO_PASSWORD} (contact form: {url}/contact)")
