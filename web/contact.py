"""The public contact form.

``POST /contact`` stores the submission exactly as the website's form mail would arrive
(raw RFC 5322 bytes from the configured form sender, the ``Naam: / E-mailadres: /
Onderwerp: / Bericht:`` body of :func:`avgdesk.mailbox.contact_form.form_body`), with the
submission time as receipt time. The same pipeline then makes the case: here, at once,
for this message, so the confirmation can show the case reference; otherwise the worker's
next pass (``avgdesk run --once``). Nothing is sent from here: the acknowledgement is a
draft like any other.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from avgdesk.mailbox.contact_form import FormSubmission
from avgdesk.models.addresses import valid_address_or_none
from avgdesk.models.tables import AuditEvent, Case, InboundMessage
from avgdesk.models.types import utcnow
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.intake.local import build_form_message, store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.web import labels as L
from avgdesk.web.deps import WebContext, get_ctx, render
from avgdesk.web.security import client_ip

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)

router = APIRouter()

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
HONEYPOT = "website"
CONFIRM_MAX_AGE_S = 3600


@dataclass
class ContactForm:
    name: str = ""
    email: str = ""
    subject: str = ""
    message: str = ""
    request_type: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", value)).strip()


def validate(form: ContactForm, ctx: WebContext) -> None:
    web = ctx.web
    form.name = _one_line(form.name)
    form.email = _one_line(form.email)
    form.subject = _one_line(form.subject)
    form.message = _CONTROL.sub("", form.message.replace("\r\n", "\n")).strip()
    errors = form.errors
    if len(form.name) > web.contact_max_name_chars:
        errors["name"] = f"Uw naam mag hoogstens {web.contact_max_name_chars} tekens hebben."
    if not form.email:
        errors["email"] = "Vul uw e-mailadres in, dan kunnen wij u antwoorden."
    elif len(form.email) > web.contact_max_email_chars or valid_address_or_none(form.email) is None:
        # The same validator as intake and approval: what is accepted here can be answered.
        errors["email"] = "Dit lijkt geen geldig e-mailadres. Voorbeeld: naam@voorbeeld.nl"
    if not form.subject:
        errors["subject"] = "Vul een onderwerp in."
    elif len(form.subject) > web.contact_max_subject_chars:
        errors["subject"] = f"Het onderwerp mag hoogstens {web.contact_max_subject_chars} tekens hebben."
    if not form.message:
        errors["message"] = "Schrijf uw vraag of verzoek in het berichtveld."
    elif len(form.message) > web.contact_max_message_chars:
        errors["message"] = (
            f"Uw bericht is {len(form.message)} tekens lang; het mag hoogstens "
            f"{web.contact_max_message_chars} tekens hebben. Kort het in of stuur het in delen."
        )
    if form.request_type not in {value for value, _ in L.REQUEST_TYPES}:
        errors["request_type"] = "Kies een soort verzoek uit de lijst."


def build_raw(form: ContactForm, ctx: WebContext) -> bytes:
    """The stored form mail, built and verified below the web layer (triage.intake.local)."""
    settings = ctx.settings
    domain = settings.message_id_domain
    request_label = dict(L.REQUEST_TYPES).get(form.request_type) if form.request_type else None
    submission = FormSubmission(
        name=form.name or None,
        email=form.email,
        subject=form.subject,
        message=form.message,
        request_type=request_label,
    )
    return build_form_message(
        submission,
        sender=settings.form_senders[0] if settings.form_senders else f"website@{domain}",
        to=f"privacy@{domain}",
        domain=domain,
        when=utcnow().astimezone(settings.tz),
    )


def _serializer(ctx: WebContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.web.secret_key, salt="avgdesk-contact-confirmation")


def _page(request: Request, form: ContactForm, *, status_code: int = 200) -> Response:
    ctx = get_ctx(request)
    statement = drafting_context(ctx.settings).controller().controller.privacy_statement_url
    return render(
        request,
        "contact.html",
        {"form": form, "request_types": L.REQUEST_TYPES, "web": ctx.web, "user": None}
        | {"privacy_statement_url": statement},
        status_code=status_code,
    )


@router.get("/contact")
def contact_form(request: Request) -> Response:
    return _page(request, ContactForm())


@router.post("/contact")
async def contact_submit(
    request: Request,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    request_type: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    ctx = get_ctx(request)
    form = ContactForm(name=name, email=email, subject=subject, message=message, request_type=request_type)
    ip = client_ip(request, ctx.web)
    if ctx.contact_per_ip.blocked(ip):
        form.errors["form"] = (
            "U hebt in korte tijd veel berichten gestuurd. Wacht een paar minuten en probeer het "
            "dan opnieuw; uw tekst staat hieronder nog."
        )
        response = _page(request, form, status_code=429)
        response.headers["Retry-After"] = str(ctx.contact_per_ip.retry_after_s(ip))
        return response
    validate(form, ctx)
    if form.errors:
        return _page(request, form, status_code=400)
    ctx.contact_per_ip.hit(ip)
    if website.strip():
        # A bot filled the hidden field: it sees the usual confirmation, nothing is stored.
        log.info("contact form: honeypot filled, submission dropped")
        token = _serializer(ctx).dumps({"m": 0})
        return RedirectResponse(f"/contact/ontvangen?t={token}", status_code=303)
    raw = build_raw(form, ctx)
    message_pk, _ = await run_in_threadpool(
        store_local_message, ctx.engine, raw, source="form", received_at=utcnow()
    )
    await run_in_threadpool(_process_now, ctx, message_pk)
    token = _serializer(ctx).dumps({"m": message_pk})
    return RedirectResponse(f"/contact/ontvangen?t={token}", status_code=303)


def _process_now(ctx: WebContext, message_pk: int) -> None:
    """Make the case now when the model is ready, so the confirmation can name it;
    otherwise the case is opened when the model is loaded (or by the worker)."""
    # A model loading from the cache is waited for briefly; one still training never (issue 14).
    ready, classifier = ctx.ready_classifier(ctx.settings.web_contact_model_wait_s)
    if not ready:
        log.info("contact form: model not ready, message %s is processed later", message_pk)
        ctx.when_loaded(lambda: _process(ctx, message_pk, ctx.ready_classifier(0)[1]))
        return
    _process(ctx, message_pk, classifier)


def _process(ctx: WebContext, message_pk: int, classifier: Classifier | None) -> None:
    try:
        Processor(ctx.engine, ctx.settings, classifier=classifier).process_one(message_pk)
    except Exception:
        log.exception("contact form: processing message %s failed; the worker will retry", message_pk)


def _reference_opened_by(session: Session, msg: InboundMessage) -> str | None:
    """The case reference only when this submission opened that case: a subject such as
    ``Re: AVG-2026-0001`` must never show a stranger someone else's reference."""
    if msg.case_id is None:
        return None
    opened = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.action == "case.opened",
            AuditEvent.case_id == msg.case_id,
            AuditEvent.message_pk == msg.id,
        )
    ).first()
    case = session.get(Case, msg.case_id) if opened is not None else None
    return case.reference if case else None


@router.get("/contact/ontvangen")
def contact_done(request: Request, t: str = "") -> Response:
    ctx = get_ctx(request)
    try:
        data = _serializer(ctx).loads(t, max_age=CONFIRM_MAX_AGE_S)
        message_pk = int(data["m"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return RedirectResponse("/contact", status_code=303)
    reference = None
    number = None
    if message_pk:
        with Session(ctx.engine) as session:
            msg = session.get(InboundMessage, message_pk)
            if msg is not None:
                number = msg.id
                reference = _reference_opened_by(session, msg)
    return render(
        request,
        "contact_done.html",
        {"reference": reference, "number": number or "", "user": None},
    )
