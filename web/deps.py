"""What every route shares: the application context, database sessions, page rendering."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.responses import Response

from avgdesk.models.engine import end_reading, reading_session
from avgdesk.models.errors import NotFoundError, staff_text
from avgdesk.triage.cases.answers import answered_late
from avgdesk.triage.cases.timeline import actor_nl
from avgdesk.triage.settings import Settings
from avgdesk.web import labels as L
from avgdesk.web.config import WebSettings
from avgdesk.web.security import LoginThrottle, RateLimit

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

log = logging.getLogger(__name__)


@dataclass
class WebContext:
    settings: Settings
    web: WebSettings
    engine: Engine
    templates: Jinja2Templates
    login_throttle: LoginThrottle
    login_per_ip: RateLimit
    contact_per_ip: RateLimit
    download_failures_per_ip: RateLimit
    classifier_factory: Callable[[], Classifier | None] | None = None
    _classifier: Classifier | None = None
    _classifier_lock: threading.Lock = field(default_factory=threading.Lock)
    _loader_state: threading.Lock = field(default_factory=threading.Lock)
    _loader_started: bool = False
    _loaded: threading.Event = field(default_factory=threading.Event)
    _load_failed: bool = False
    _after_load: list[Callable[[], None]] = field(default_factory=list)

    def start_loading(self) -> None:
        """Load (or train) the model in one background thread, started at most once."""
        with self._loader_state:
            if self._loader_started:
                return
            self._loader_started = True
        threading.Thread(target=self._load_in_background, name="avgdesk-web-model", daemon=True).start()

    def _load_in_background(self) -> None:
        try:
            self.classifier()
        except Exception:
            log.exception("could not load the classifier; contact-form mail waits for the worker")
            self._load_failed = True
        with self._loader_state:
            self._loaded.set()
            waiting, self._after_load = self._after_load, []
        if self._load_failed:
            return
        for job in waiting:
            try:
                job()
            except Exception:
                log.exception("deferred contact-form processing failed; the worker will retry")

    def ready_classifier(self, wait_s: float) -> tuple[bool, Classifier | None]:
        """The model if it is loaded within ``wait_s`` seconds; ``(False, None)`` while it
        is still loading or training, so no request ever waits for training (issue 14)."""
        self.start_loading()
        if self._loaded.wait(wait_s) and not self._load_failed:
            return True, self._classifier
        return False, None

    def when_loaded(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the loader thread once the model is there (at once if it is);
        dropped when loading fails: the worker's next pass then does the work."""
        with self._loader_state:
            if not self._loaded.is_set():
                self._after_load.append(job)
                return
        if not self._load_failed:
            job()

    def classifier(self) -> Classifier | None:
        """Loaded (or trained) once, on first use, then shared by all requests."""
        with self._classifier_lock:
            if self._classifier is None:
                if self.classifier_factory is not None:
                    self._classifier = self.classifier_factory()
                else:
                    from avgdesk.triage.runtime import Runtime

                    self._classifier = Runtime(self.settings, self.engine).classifier()
            return self._classifier


def get_ctx(request: Request) -> WebContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


def request_session(engine: Engine) -> Session:
    """The request's session (:func:`avgdesk.models.engine.reading_session`)."""
    return reading_session(engine)


def db(request: Request) -> Iterator[Session]:
    """One session per request, for reading: routes call use cases, which write in their
    own transaction. :func:`render` ends this one before a page is built."""
    engine = get_ctx(request).engine
    if request.method in ("GET", "HEAD"):
        from avgdesk.models.engine import read_only

        # Pages only read: deferred transactions, which never wait for a held write lock.
        engine = read_only(engine)
    with request_session(engine) as session:
        request.state.db_session = session
        try:
            yield session
        finally:
            request.state.db_session = None


def end_transaction(request: Request) -> None:
    """No transaction stays open while a page renders (issue 11). The request's session only
    reads (use cases write in their own ``session_scope``); ending its transaction is the
    storage layer's :func:`avgdesk.models.engine.end_reading`, called here like closing it."""
    session = getattr(request.state, "db_session", None)
    if isinstance(session, Session):
        end_reading(session)


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    tz = settings.tz

    def local(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
        if value is None:
            return "–"
        return value.astimezone(tz).strftime(fmt)

    def day(value: date | None) -> str:
        if value is None:
            return "–"
        return f"{L.WEEKDAYS[value.weekday()]} {value.day} {L.MONTHS[value.month - 1]} {value.year}"

    env.filters["local"] = local
    env.filters["day"] = day
    env.filters["right_nl"] = L.right_nl
    env.filters["state_nl"] = L.state_nl
    env.filters["draft_state_nl"] = L.draft_state_nl
    env.filters["kind_nl"] = L.kind_nl
    env.filters["language_nl"] = L.language_nl
    env.filters["person_name"] = L.person_name
    env.filters["right_status_nl"] = L.right_status_nl
    env.filters["audit_detail"] = L.audit_detail
    env.filters["size"] = L.size
    env.filters["actor_nl"] = actor_nl  # "system:triage" → "avgdesk (verwerking)", as the timeline
    env.filters["pct"] = lambda v: f"{float(v) * 100:.0f}%"
    env.globals["L"] = L
    env.globals["answered_late"] = answered_late  # answered, but after the due date
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    user: Any = None,
) -> Response:
    ctx = get_ctx(request)
    end_transaction(request)
    values: dict[str, Any] = {
        "user": user if user is not None else getattr(request.state, "user", None),
    }
    values.update(context or {})
    current = values.get("user")
    values.setdefault("csrf_token", getattr(current, "csrf_token", ""))
    return ctx.templates.TemplateResponse(request, name, values, status_code=status_code)


def refused(request: Request, exc: Exception, title: str) -> Response:
    """The error page for a use case that said no: 404 for what does not exist, else 409,
    with the refusal in the staff's words (``staff_text``)."""
    status = 404 if isinstance(exc, NotFoundError) else 409
    return render(request, "error.html", {"title": title, "message": staff_text(exc)}, status_code=status)
