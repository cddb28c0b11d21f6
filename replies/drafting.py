"""Drafts: made from a template, edited by staff, approved by a named person, queued.

Rules:
* a draft that fails to render keeps ``render_error`` and can never be approved;
* the Message-ID is fixed when the draft is made and reused on every retry;
* an approval names the approver, the time and the exact text (sha256 of the message
  built at that moment); the outbox sends only those bytes;
* editing an approved draft that has not started sending revokes the approval;
* optional four-eyes rule: the approver must be neither the author nor anyone who
  edited the draft (every editor is recorded; a ``system:`` author is no person).

Case data can never inject a header: every header value passes through
:func:`_one_line`, and the standard library's header policy refuses CR/LF anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from avgdesk.models.addresses import InvalidAddress, display_name_for_letter, validate_address
from avgdesk.models.errors import (
    ApproverRequired,
    DraftNotAwaitingApproval,
    DraftNotEditable,
    DraftNotSendable,
    FourEyesRule,
    InvalidOperation,
)
from avgdesk.models.tables import (
    AuditEvent,
    Case,
    Draft,
    DraftState,
    InboundMessage,
    OutboxItem,
    OutboxState,
    User,
    column_values,
)
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import APPROVER_ROLES, REPLY_LANGUAGES, ROLE_NL, reply_language
from avgdesk.replies import letter_rules
from avgdesk.replies.access_facts import default_access_fields
from avgdesk.replies.attachments import add_attachments
from avgdesk.replies.errors import RenderError
from avgdesk.replies.outbox import OutboxPolicy, enqueue_reply, raw_digest
from avgdesk.replies.profile import ControllerProfile, load_profile
from avgdesk.replies.rendering import TEXT_WIDTH, DraftKind, RenderedReply, ReplyContext, render

LOOP_HEADER = "X-Avgdesk-Loop"

PENDING_ROWS_KEY = "avgdesk.pending_rows"
"""``session.info`` key of a processing batch's rows kept back for its commit, table → rows
(``triage.cases.lifecycle.PENDING_ROWS_KEY``, which replies may not import)."""

DRAFT_IDS_KEY = "avgdesk.draft_ids"
"""``session.info`` key of a callable handing out draft ids reserved for a processing batch
(issue 16): a draft that has its id needs no flush of everything pending to get one, and
the batch's drafts go to the database together at its commit."""


@dataclass(frozen=True)
class DraftingContext:
    """What drafting needs from the settings (passed down from triage)."""

    tz: ZoneInfo
    message_id_domain: str = "nhmbsoftware.nl"
    four_eyes: bool = False
    profile: ControllerProfile | None = None
    outbox: OutboxPolicy = field(default_factory=OutboxPolicy)
    system_signature: str = "Het privacyteam van NHMB software"

    def controller(self) -> ControllerProfile:
        return self.profile or load_profile()


def _one_line(value: str) -> str:
    """A header-safe single line.

    Encoded words are decoded *first*: the standard library decodes ``=?utf-8?b?...?=``
    inside a value it is given and folds the result back raw, so an encoded CR/LF would
    otherwise become a real header line (found by our tests). What cannot be decoded
    is defused.
    """
    if "=?" in value:
        # Undecodable encoded words are defused below.
        with contextlib.suppress(Exception):
            value = str(make_header(decode_header(value)))
    value = re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]+", " ", value).strip()
    return value.replace("=?", "= ?")


def _respond_by(case: Case, kind: DraftKind | None = None) -> date:
    if kind is DraftKind.ACKNOWLEDGEMENT and case.internal_target is not None and case.extended_at is None:
        # Issue 13 point 13: promise the internal target (NHMB's "30 dagen" or the shorter
        # legal month, on a working day); the legal date stays the ceiling.
        return min(case.internal_target, case.due_date or case.internal_target)
    if kind is DraftKind.EXTENSION and case.legal_deadline is not None:
        # The notice announces the new date; "respond by" is the deadline it replaces.
        return case.legal_deadline
    for candidate in (case.due_date, case.extended_deadline, case.legal_deadline, case.internal_target):
        if candidate is not None:
            return candidate
    return case.received_at.date()


def reply_context(
    case: Case,
    *,
    staff_name: str,
    tz: ZoneInfo,
    fields: Mapping[str, Any],
    kind: DraftKind | None = None,
    language: str | None = None,
) -> ReplyContext:
    """The letter's case data; ``language``: the letter's, when not the case's."""
    return ReplyContext(
        reference=case.reference,
        language=reply_language(case.language) if language is None else language,
        # A stranger chooses the display name: only a name-like one reaches the salutation.
        requester_name=display_name_for_letter(case.requester_name),
        rights=tuple(case.rights),
        is_complaint=case.is_complaint,
        received_on=case.received_at.astimezone(tz).date(),
        respond_by=_respond_by(case, kind),
        staff_name=staff_name,
        fields=dict(fields),
    )


def _last_inbound(session: Session, case: Case) -> InboundMessage | None:
    return session.exec(
        select(InboundMessage)
        .where(InboundMessage.case_id == case.id)
        .order_by(col(InboundMessage.received_at).desc())
        .limit(1)
    ).first()


def create_draft(
    session: Session,
    case: Case,
    kind: DraftKind | str,
    *,
    author: str,
    ctx: DraftingContext,
    fields: Mapping[str, Any] | None = None,
    language: str | None = None,
    automatic: bool = False,
    inbound: InboundMessage | None = None,
) -> Draft:
    """Render a new draft for ``case`` (in the caller's transaction).

    A rendering failure is kept on the draft (``render_error``) for staff to see; such a
    draft is never sendable. ``inbound``: the message being answered when the caller has
    it (the worker), which saves looking it up. An automatic draft gets no HTML part now:
    :func:`html_part` makes it when someone looks or approves (issue 16).
    """
    values = _new_draft_values(
        session, case, kind, author=author, ctx=ctx, fields=fields, language=language,
        automatic=automatic, inbound=inbound,
    )  # fmt: skip
    return _add_draft_object(session, case, author, values)


def _add_draft_object(session: Session, case: Case, author: str, values: dict[str, Any]) -> Draft:
    draft = Draft(**values)
    draft.id = reserved() if (reserved := session.info.get(DRAFT_IDS_KEY)) is not None else None
    session.add(draft)
    if draft.id is None:
        session.flush()  # for the id the audit event names
    _audit(
        session, author, "draft.created", case.id, draft, kind=values["kind"], render_error=draft.render_error
    )
    return draft


def add_draft(
    session: Session,
    case: Case,
    kind: DraftKind | str,
    *,
    author: str,
    ctx: DraftingContext,
    fields: Mapping[str, Any] | None = None,
    automatic: bool = False,
    inbound: InboundMessage | None = None,
) -> None:
    """:func:`create_draft` for a caller that does not read the draft back (the worker's
    first drafts). Inside a processing batch that keeps rows back (``PENDING_ROWS_KEY``)
    with reserved draft ids, the draft is only such a row, with exactly the columns
    :func:`create_draft`'s object would have (issue 16: building the ORM object cost a
    fifth of a draft); the batch inserts them together before its commit. Anywhere else
    (the careful path, a single message) it is :func:`create_draft`."""
    values = _new_draft_values(
        session, case, kind, author=author, ctx=ctx, fields=fields, automatic=automatic, inbound=inbound
    )
    pending = session.info.get(PENDING_ROWS_KEY)
    reserved = session.info.get(DRAFT_IDS_KEY)
    if not isinstance(pending, dict) or reserved is None:
        _add_draft_object(session, case, author, values)
        return
    row = column_values(Draft, **values, id=reserved())
    pending.setdefault(Draft.__table__, []).append(row)  # type: ignore[attr-defined]
    detail = {"kind": values["kind"], "render_error": values["render_error"]}
    _audit_row(session, author, "draft.created", case.id, row["id"], **detail)


def _new_draft_values(
    session: Session,
    case: Case,
    kind: DraftKind | str,
    *,
    author: str,
    ctx: DraftingContext,
    fields: Mapping[str, Any] | None,
    language: str | None = None,
    automatic: bool,
    inbound: InboundMessage | None,
) -> dict[str, Any]:
    """The columns of a new draft (all but its id), rendered."""
    kind = DraftKind(kind)
    fields = dict(fields or {})
    if kind is DraftKind.EXTENSION:
        # Only the extend service makes an extended case; the dates come from it (issue 13).
        fields = letter_rules.extension_fields(case, fields)
    last = inbound if inbound is not None else _last_inbound(session, case)
    if kind is DraftKind.ACCESS:
        # This person's facts, not the whole profile: the rule proposes, staff adjust.
        hints = (last.text if last is not None else None) or ""
        fields = {**default_access_fields(ctx.controller(), text=hints), **fields}
    wanted = language if language in REPLY_LANGUAGES else reply_language(case.language)
    # A profile without German texts writes English to German writers (as before issue 15).
    case_lang = ctx.controller().letter_language(wanted)
    # Issue 13: letters are signed by name and role (profile [staff]) or by the team, in
    # the letter's language; never with a login name.
    staff = ctx.controller().signature(None if automatic else author, case_lang)
    rendered = _rendered_columns(
        kind, case, ctx, staff_name=staff, fields=fields, language=case_lang, with_html=not automatic
    )
    return {
        "case_id": case.id,
        "kind": kind.value,
        "language": case_lang,
        "state": DraftState.DRAFT,
        **rendered,
        "fields": _jsonable(fields),
        "to_addr": case.requester_email or "",
        "message_id": make_msgid(domain=ctx.message_id_domain).strip("<>"),
        "in_reply_to": last.message_id if last else None,
        "references": ([*last.references, last.message_id][-20:] if last else []),
        "automatic": automatic,
        "author": author,
        "editors": [],  # given, not defaulted: pydantic inspects each default factory per object
        "created_at": (now := utcnow()),
        "updated_at": now,
    }


def _render_into(
    draft: Draft,
    case: Case,
    ctx: DraftingContext,
    *,
    staff_name: str,
    fields: Mapping[str, Any],
    language: str,
    with_html: bool = True,
) -> None:
    rendered = _rendered_columns(
        DraftKind(draft.kind), case, ctx, staff_name=staff_name, fields=fields, language=language,
        with_html=with_html,
    )  # fmt: skip
    for key, value in rendered.items():
        setattr(draft, key, value)


def _rendered_columns(
    kind: DraftKind,
    case: Case,
    ctx: DraftingContext,
    *,
    staff_name: str,
    fields: Mapping[str, Any],
    language: str,
    with_html: bool,
) -> dict[str, str | None]:
    """subject, body_text, body_html and render_error of a draft of ``kind``."""
    rctx = reply_context(case, staff_name=staff_name, tz=ctx.tz, fields=fields, kind=kind, language=language)
    try:
        rendered = render(kind, rctx, ctx.controller(), with_html=with_html)
    except RenderError as exc:
        return {
            "subject": f"[{case.reference}]",
            "body_text": "",
            "body_html": None,
            "render_error": str(exc)[:2000],
        }
    return {
        "subject": _one_line(rendered.subject),
        "body_text": rendered.text,
        "body_html": rendered.html or None,
        "render_error": None,
    }


def preview(draft: Draft, case: Case | None = None, ctx: DraftingContext | None = None) -> RenderedReply:
    """What the customer would see; with ``case`` and ``ctx`` a draft without a stored HTML
    part shows the one :func:`html_part` would send."""
    html_text = html_part(draft, case, ctx) if case is not None and ctx is not None else None
    return RenderedReply(
        subject=draft.subject,
        text=draft.body_text,
        html=html_text or draft.body_html or _text_to_html(draft.body_text),
    )


def html_part(draft: Draft, case: Case | None, ctx: DraftingContext | None) -> str:
    """The HTML alternative of ``draft``: the stored one, else its template's, made now.

    The template's HTML is used only when the same rendering reproduces the stored text
    exactly (the case may have changed since, e.g. an extension moved a date): the two
    parts of one mail never disagree. Otherwise the HTML is made from the text itself.
    """
    if draft.body_html:
        return draft.body_html
    if case is not None and ctx is not None and not draft.render_error:
        staff = ctx.controller().signature(None if draft.automatic else draft.author, draft.language)
        rctx = reply_context(
            case,
            staff_name=staff,
            tz=ctx.tz,
            fields=draft.fields,
            kind=DraftKind(draft.kind),
            language=draft.language,
        )
        try:
            rendered = render(draft.kind, rctx, ctx.controller())
        except RenderError:
            rendered = None
        if rendered is not None and rendered.text == draft.body_text and rendered.html:
            return rendered.html
    return _text_to_html(draft.body_text)


def normalise_newlines(text: str) -> str:
    """Line ends as stored: a browser's textarea sends CRLF for every line end, also for a
    lone CR kept from a pasted text, so a stored CR made the text differ from what the
    approver's browser sent back and refused every approval (attack review)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def edit_draft(
    session: Session,
    draft: Draft,
    *,
    editor: str,
    ctx: DraftingContext,
    subject: str | None = None,
    body_text: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Draft:
    """Change a draft. New ``fields`` re-render it from its template; a hand-edited text
    replaces the body (its HTML alternative is then made from that text). Editing an
    approved draft that has not started sending revokes the approval."""
    case = session.get(Case, draft.case_id)
    assert case is not None
    if draft.state is DraftState.APPROVED:
        _revoke(session, draft, by=editor)
    elif draft.state is not DraftState.DRAFT:
        raise DraftNotEditable(f"draft {draft.id} is {draft.state.value} and can no longer be edited")
    before = _digest(draft)
    if fields is not None and draft.kind == DraftKind.EXTENSION.value:
        fields = letter_rules.extension_fields(case, fields)
    if fields is not None:
        draft.fields = _jsonable(dict(fields))
        staff = ctx.controller().signature(None if draft.automatic else editor, draft.language)
        _render_into(draft, case, ctx, staff_name=staff, fields=fields, language=draft.language)
    if subject is not None:
        text = _one_line(subject)
        if case.reference not in text:
            text = f"[{case.reference}] {text}"
        draft.subject = text
    if body_text is not None:
        draft.body_text = normalise_newlines(body_text)
        draft.body_html = _text_to_html(draft.body_text)
    if editor not in draft.editors:
        # A new list, so the JSON column is seen as changed.
        draft.editors = [*draft.editors, editor]
    draft.version += 1
    draft.updated_at = utcnow()
    _audit(session, editor, "draft.edited", case.id, draft, before=before, after=_digest(draft))
    session.flush()
    return draft


def _revoke(session: Session, draft: Draft, *, by: str) -> None:
    item = session.exec(select(OutboxItem).where(OutboxItem.draft_id == draft.id)).first()
    if item is not None:
        if item.state in (OutboxState.SENDING, OutboxState.SENT):
            raise DraftNotEditable(f"draft {draft.id} is already being sent; it can no longer be changed")
        # Revoking removes the queued mail in the same transaction as the edit.
        session.delete(item)
    draft.state = DraftState.DRAFT
    draft.approved_by = None
    draft.approved_at = None
    draft.approved_version = None
    draft.approved_sha256 = None
    _audit(session, by, "draft.approval_revoked", draft.case_id, draft)


def revoke_approval(session: Session, draft: Draft, *, by: str) -> None:
    """A change besides the text (an attachment, issue 17) revokes an unsent approval too."""
    _revoke(session, draft, by=by)


def approve_draft(
    session: Session,
    draft: Draft,
    *,
    approver: str,
    ctx: DraftingContext,
    now: datetime | None = None,
) -> OutboxItem:
    """Approve exactly the current version and queue it (in the caller's transaction)."""
    approver = approver.strip()
    _check_approvable(session, draft, approver, ctx)
    case = session.get(Case, draft.case_id)
    assert case is not None
    now = now or utcnow()
    letter_rules.check_extension_notice_in_time(draft, case, now, ctx.tz)
    profile = ctx.controller()
    # The HTML part of a worker's draft is made now, and kept: it is part of what is approved.
    draft.body_html = html_part(draft, case, ctx)
    message = build_message(draft, case, profile, now=now, tz=ctx.tz)
    raw = message.as_bytes(policy=SMTP_POLICY)
    draft.state = DraftState.APPROVED
    draft.approved_by = approver
    draft.approved_at = now
    draft.approved_version = draft.version
    draft.approved_sha256 = raw_digest(raw)
    draft.updated_at = now
    item = enqueue_reply(
        session,
        draft,
        raw,
        sender=str(profile.controller.privacy_email),
        recipients=[draft.to_addr],
        policy=ctx.outbox,
    )
    _audit(
        session,
        approver,
        "draft.approved",
        case.id,
        draft,
        version=draft.version,
        sha256=draft.approved_sha256,
    )
    return item


def _check_approvable(session: Session, draft: Draft, approver: str, ctx: DraftingContext) -> None:
    """The rules of an approval: a named approver with the role, a draft awaiting approval
    that rendered, is not empty, obeys the four-eyes rule and has a valid recipient."""
    if not approver:
        raise ApproverRequired("an approval needs the name of the approver")
    user = session.exec(select(User).where(User.username == approver)).first()
    if user is not None and (not user.active or user.role not in APPROVER_ROLES):
        raise ApproverRequired(
            f"{approver} may not approve replies (role {user.role})",
            f"{approver} mag geen brieven goedkeuren (rol {ROLE_NL.get(user.role, user.role)}).",
        )
    if draft.state is not DraftState.DRAFT:
        raise DraftNotAwaitingApproval(
            f"draft {draft.id} is {draft.state.value}, not a draft awaiting approval"
        )
    if draft.render_error:
        raise DraftNotSendable(
            f"draft {draft.id} did not render and cannot be sent: {draft.render_error}",
            "De brief kon niet worden opgemaakt en kan niet worden verzonden; herstel de velden.",
        )
    if not draft.body_text.strip():
        raise DraftNotSendable(f"draft {draft.id} is empty", "De brief is leeg.")
    if ctx.four_eyes and approver in writers(draft):
        raise FourEyesRule(
            "four-eyes rule: the approver wrote or edited the draft",
            f"Vier ogen: {approver} heeft deze brief geschreven of bewerkt en mag hem daarom niet "
            "goedkeuren. Laat een andere goedkeurder hem bekijken.",
        )
    _check_recipient(draft)


def _check_recipient(draft: Draft) -> None:
    """The one strict validator (no IP literals, routes or quoted local parts): an address
    that fails it is never an RCPT, and staff get a Dutch reason instead of an error page."""
    try:
        validate_address(draft.to_addr or "")
    except InvalidAddress as exc:
        shown = (draft.to_addr or "").strip()[:100]
        raise DraftNotSendable(
            f"draft {draft.id} has no valid recipient address ({exc.reason})",
            (
                f"Deze brief kan niet worden verzonden: het e-mailadres van de verzoeker "
                f"({shown}) is niet geldig of niet gecontroleerd. Neem op een andere manier "
                "contact op, of maak een nieuwe brief zodra het adres bekend is."
            )
            if shown
            else "Deze brief kan niet worden verzonden: er is geen e-mailadres van de verzoeker bekend.",
        ) from exc


def writers(draft: Draft) -> list[str]:
    """The people who wrote this text: the author (unless the system made it) and every
    editor. A ``system:…`` author is no person; staff who changed a system draft are."""
    people = [] if draft.author.startswith("system:") else [draft.author]
    return people + [e for e in draft.editors if e not in people]


def discard_draft(session: Session, draft: Draft, *, by: str) -> None:
    """Discard a draft, an approved letter not yet sent (the approval is revoked first), or a
    letter whose sending failed (staff saw "verzenden mislukt" and settle it otherwise)."""
    if draft.state is DraftState.APPROVED:
        _revoke(session, draft, by=by)
    if draft.state not in (DraftState.DRAFT, DraftState.FAILED):
        raise DraftNotEditable(f"draft {draft.id} is {draft.state.value}; it cannot be discarded")
    draft.state = DraftState.DISCARDED
    draft.updated_at = utcnow()
    _audit(session, by, "draft.discarded", draft.case_id, draft)


def build_message(
    draft: Draft, case: Case, profile: ControllerProfile, *, now: datetime, tz: ZoneInfo
) -> EmailMessage:
    """The complete mail as the customer will receive it."""
    msg = EmailMessage()
    org = profile.controller
    sender = Address(display_name=_one_line(f"{org.name} privacy"), addr_spec=str(org.privacy_email))
    msg["From"] = sender
    msg["Reply-To"] = sender
    to_name = _header_safe_name(case.requester_name)
    msg["To"] = Address(display_name=to_name, addr_spec=draft.to_addr) if to_name else draft.to_addr
    msg["Subject"] = _one_line(draft.subject)
    msg["Date"] = format_datetime(now.astimezone(tz))
    msg["Message-ID"] = f"<{draft.message_id}>"
    if draft.in_reply_to:
        msg["In-Reply-To"] = f"<{_one_line(draft.in_reply_to)}>"
    if draft.references:
        msg["References"] = " ".join(f"<{_one_line(r)}>" for r in draft.references)
    msg[LOOP_HEADER] = case.reference
    if draft.automatic:
        # RFC 3834: a machine-made acknowledgement; a vacation responder must not answer it.
        msg["Auto-Submitted"] = "auto-replied"
    msg["Content-Language"] = draft.language
    msg.set_content(draft.body_text)
    msg.add_alternative(draft.body_html or _text_to_html(draft.body_text), subtype="html")
    add_attachments(msg, draft)  # issue 17: the files are part of the bytes the approver approves
    _check_headers(msg, recipients=[draft.to_addr])
    return msg


_PLAIN_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ .'\u2019-]){0,63}$")


def _header_safe_name(name: str | None) -> str:
    """The recipient's display name, or "" to drop it.

    The standard library folds a long quoted display name without its quotes, so a name
    holding ``, evil@evil.example,`` became three recipients (issue 11). Only names made of
    letters, spaces, hyphens, apostrophes and dots are kept: none of those can split an
    address list, folded or not, and non-ASCII letters are sent as RFC 2047 encoded words.
    """
    value = display_name_for_letter(_one_line(name or "")) or ""
    return value if _PLAIN_NAME.match(value) else ""


_EXPECTED_HEADERS = frozenset(
    {
        "from",
        "reply-to",
        "to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        LOOP_HEADER.lower(),
        "auto-submitted",
        "content-language",
        "mime-version",
        "content-type",
    }
)


def _check_headers(msg: EmailMessage, *, recipients: list[str]) -> None:
    """Parse the bytes we will send back: a header we did not set, or a To that names
    other addresses than ours, means an injection."""
    import email
    import email.policy

    parsed = email.message_from_bytes(msg.as_bytes(policy=SMTP_POLICY), policy=email.policy.default)
    unexpected = {name.lower() for name in parsed} - _EXPECTED_HEADERS
    if unexpected:
        raise InvalidOperation(
            f"refusing to send: unexpected header(s) {sorted(unexpected)} in the built message"
        )
    try:
        found = [a.addr_spec.lower() for a in parsed["To"].addresses]
    except Exception as exc:  # a To the parser cannot read is as bad as a wrong one
        raise InvalidOperation("refusing to send: the built To header does not parse") from exc
    if found != [r.lower() for r in recipients] or len(parsed.get_all("To") or []) != 1:
        raise InvalidOperation("refusing to send: the built To header names other recipients than ours")


def _text_to_html(text: str, width: int = TEXT_WIDTH) -> str:
    """The HTML alternative of a (hand-edited) text part.

    The text part is wrapped at ``width`` columns; an HTML reader wraps by itself, so a
    line that was broken only because the next word did not fit is joined again (no hard
    wraps in the HTML). A short line (an address, a greeting, a signature) keeps its
    break, and a paragraph of "- " items becomes a list.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join(_html_block(_unwrap(p.split("\n"), width)) for p in paragraphs)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


def _unwrap(lines: list[str], width: int) -> list[str]:
    """Physical lines → logical lines (soft wraps joined)."""
    out: list[str] = []
    previous = ""
    for line in lines:
        stripped = line.strip()
        first_word = stripped.split(" ", 1)[0]
        continues_item = bool(out) and out[-1].startswith("- ") and line.startswith("  ") and bool(stripped)
        forced_break = bool(out) and bool(stripped) and len(previous.rstrip()) + 1 + len(first_word) > width
        if continues_item or (forced_break and not line.startswith("- ")):
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(line.rstrip())
        previous = line
    return out


def _html_block(lines: list[str]) -> str:
    if lines and all(line.startswith("- ") for line in lines):
        items = "".join(f"<li>{html.escape(line[2:].strip())}</li>" for line in lines)
        return f"<ul>{items}</ul>"
    return "<p>" + "<br>\n".join(html.escape(line) for line in lines) + "</p>"


def _digest(draft: Draft) -> str:
    return hashlib.sha256(f"{draft.subject}\x00{draft.body_text}".encode()).hexdigest()[:16]


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    def conv(value: Any) -> Any:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {str(k): conv(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [conv(v) for v in value]
        return value

    return {str(k): conv(v) for k, v in fields.items()}


AUDIT_ROWS_KEY = "avgdesk.audit_rows"
"""``session.info`` key of a processing batch's audit rows (``triage.cases.audit.ROWS_KEY``,
which replies may not import): its events are inserted together, without an ORM object each."""


def _audit(
    session: Session, actor: str, action: str, case_id: int | None, draft: Draft, **detail: Any
) -> None:
    _audit_row(session, actor, action, case_id, draft.id, **detail)


def _audit_row(
    session: Session, actor: str, action: str, case_id: int | None, draft_id: int | None, **detail: Any
) -> None:
    row: dict[str, Any] = {"at": utcnow(), "actor": actor, "action": action, "case_id": case_id}
    row["detail"] = {"draft_id": draft_id, **detail}
    batch = session.info.get(AUDIT_ROWS_KEY)
    if isinstance(batch, list):
        batch.append(row)
    else:
        session.add(AuditEvent(**row))
