"""Draft use cases: create, edit, approve, discard, bulk-approve acknowledgements — each
one unit of work, for the CLI and the web UI alike.

The rules live in :mod:`avgdesk.replies.drafting` (approval, four eyes, roles, revoking an
approval on edit); this module wires them to the settings and the case, keeps every
version of the text (``draft_version``) so staff can compare versions, and refuses a
change made to a version other than the one the user was looking at.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import DraftChanged, DraftNotFound, RuleViolation, UnknownChoice, staff_text
from avgdesk.models.tables import Case, Draft, DraftState, DraftVersion
from avgdesk.models.vocabulary import OPEN_STATES, REPLY_LANGUAGE_NL, REPLY_LANGUAGES
from avgdesk.replies import drafting
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import attachments, download_links, lifecycle, tasks
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.settings import Settings


@dataclass(frozen=True)
class DraftResult:
    draft_id: int
    reference: str
    kind: str
    state: str
    version: int
    render_error: str | None = None
    outbox_id: int | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class BulkOutcome:
    """One draft of a bulk approval: approved, or the Dutch reason it was not."""

    draft_id: int
    reference: str | None
    approved: bool
    reason: str | None = None


def _load(session: Session, draft_id: int) -> tuple[Draft, Case]:
    """The draft, locked for this write (every caller writes): on PostgreSQL an approval
    and a save at the same moment each passed the version check on an unlocked read, and
    the mail went out as the old version while the row showed the new one approved.
    SQLite serialises writers anyway."""
    draft = session.get(Draft, draft_id, with_for_update=True)
    if draft is None:
        raise DraftNotFound(f"no draft {draft_id}", f"Brief {draft_id} bestaat niet.")
    case = session.get(Case, draft.case_id)
    assert case is not None  # a foreign key
    return draft, case


def _check_version(draft: Draft, expected: int | None) -> None:
    if expected is not None and expected != draft.version:
        raise DraftChanged(f"draft {draft.id} is at version {draft.version}, not {expected}")


def _result(draft: Draft, case: Case, **extra: Any) -> DraftResult:
    assert draft.id is not None
    return DraftResult(
        draft_id=draft.id,
        reference=case.reference,
        kind=draft.kind,
        state=draft.state.value,
        version=draft.version,
        render_error=draft.render_error,
        **extra,
    )


def _keep_version(session: Session, draft: Draft, *, editor: str, how: str) -> None:
    """Store the draft's current text as its version (once per version number)."""
    assert draft.id is not None
    exists = session.exec(
        select(DraftVersion.id).where(
            DraftVersion.draft_id == draft.id, DraftVersion.version == draft.version
        )
    ).first()
    if exists is None:
        session.add(
            DraftVersion(
                draft_id=draft.id,
                version=draft.version,
                subject=draft.subject,
                body_text=draft.body_text,
                fields=dict(draft.fields or {}),
                editor=editor,
                how=how,
            )
        )


def create(
    engine: Engine,
    settings: Settings,
    reference: str,
    kind: str,
    *,
    by: str,
    fields: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> DraftResult:
    """Start a letter from its template (a draft that does not render keeps its error)."""
    try:
        letter = DraftKind(kind)
    except ValueError as exc:
        raise UnknownChoice(f"unknown letter kind {kind!r}", "Onbekend soort brief.") from exc
    ctx = drafting_context(settings)
    _check_language(language, ctx.controller().letter_languages())
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        if letter is DraftKind.ACCESS:  # issue 13: start from the facts staff chose for this person
            from avgdesk.triage.cases.legal import access_facts

            fields = {**(access_facts(session, case) or {}), **(fields or {})}
        draft = drafting.create_draft(
            session,
            case,
            letter,
            author=by,
            ctx=ctx,
            fields=fields,
            language=language or None,
        )
        _keep_version(session, draft, editor=by, how="create")
        return _result(draft, case)


def _check_language(language: str | None, available: Sequence[str]) -> None:
    """Issue 15: a language we have no letters in is refused, not silently replaced; German
    also needs the organisation's profile texts in German."""
    if not language or language in available:
        return
    if language in REPLY_LANGUAGES:
        raise UnknownChoice(
            f"reply language {language!r} needs the controller profile's texts in it",
            f"Brieven in het {REPLY_LANGUAGE_NL[language]} kunnen pas als het organisatieprofiel "
            "(controller.toml) al zijn teksten ook in die taal heeft.",
        )
    raise UnknownChoice(
        f"unknown reply language {language!r}; known: {', '.join(REPLY_LANGUAGES)}",
        "Onbekende taal voor de brief. Kies "
        + ", ".join(REPLY_LANGUAGE_NL[code] for code in REPLY_LANGUAGES[:-1])
        + f" of {REPLY_LANGUAGE_NL[REPLY_LANGUAGES[-1]]}, of de taal van de klant.",
    )


def edit(
    engine: Engine,
    settings: Settings,
    draft_id: int,
    *,
    by: str,
    subject: str | None = None,
    body_text: str | None = None,
    fields: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> DraftResult:
    """Save a new version: new ``fields`` rebuild the text from the template, a ``body_text``
    replaces it. An approval that was not sent yet is revoked (replies.drafting)."""
    with unit_of_work(engine) as session:
        draft, case = _load(session, draft_id)
        _check_version(draft, expected_version)
        _keep_version(session, draft, editor=draft.author, how="snapshot")
        drafting.edit_draft(
            session,
            draft,
            editor=by,
            ctx=drafting_context(settings),
            subject=subject,
            body_text=body_text,
            fields=fields,
        )
        _keep_version(session, draft, editor=by, how="fields" if fields is not None else "text")
        return _result(draft, case)


def approve(
    engine: Engine,
    settings: Settings,
    draft_id: int,
    *,
    by: str,
    expected_version: int | None = None,
    confirmed: bool = True,
) -> DraftResult:
    """Approve exactly the version the approver read and queue it for the outbox. A changed
    letter is said before a missing confirmation: ticking the box on the page that asked for
    it must not approve a newer version nobody said had changed."""
    with unit_of_work(engine) as session:
        draft, case = _load(session, draft_id)
        _check_version(draft, expected_version)
        if not confirmed:
            raise UnknownChoice(
                "approval not confirmed", "Vink aan dat u deze versie goedkeurt en laat versturen."
            )
        lifecycle.check_letter_may_go(case, draft)  # a closed case sends nothing more
        tasks.require_done_for(session, draft)  # issue 17: no answer while its tasks are open
        attachments.require_promised(session, draft)  # issue 17: the file the letter names
        download_links.prepare(session, draft, settings, by=by)  # issue 17: too large to attach
        item = drafting.approve_draft(session, draft, approver=by, ctx=drafting_context(settings))
        session.flush()
        return _result(draft, case, outbox_id=item.id, message_id=item.message_id)


def discard(engine: Engine, draft_id: int, *, by: str, expected_version: int | None = None) -> DraftResult:
    with unit_of_work(engine) as session:
        draft, case = _load(session, draft_id)
        _check_version(draft, expected_version)
        drafting.discard_draft(session, draft, by=by)
        if draft.kind == DraftKind.EXTENSION.value:
            # Its notice never went, so the extension never bound: withdrawn with the letter.
            lifecycle.withdraw_extension(session, case, by=by, draft_id=draft.id)
        return _result(draft, case)


def approve_acknowledgements(
    engine: Engine, settings: Settings, draft_ids: Sequence[int], *, by: str
) -> list[BulkOutcome]:
    """Approve several acknowledgements after one confirmation. Each approval is its own
    unit of work with its own audit event, under the same rules as a single approval
    (roles, four eyes): one refusal does not stop the others."""
    outcomes: list[BulkOutcome] = []
    for draft_id in dict.fromkeys(draft_ids):
        reference: str | None = None
        try:
            with unit_of_work(engine) as session:
                draft, case = _load(session, draft_id)
                reference = case.reference
                if draft.kind != DraftKind.ACKNOWLEDGEMENT.value:
                    raise UnknownChoice(
                        f"draft {draft_id} is a {draft.kind}, not an acknowledgement",
                        "Alleen ontvangstbevestigingen kunnen in één keer worden goedgekeurd.",
                    )
                lifecycle.check_letter_may_go(case, draft)
                drafting.approve_draft(session, draft, approver=by, ctx=drafting_context(settings))
            outcomes.append(BulkOutcome(draft_id, reference, True))
        except (RuleViolation, DraftNotFound) as exc:
            outcomes.append(BulkOutcome(draft_id, reference, False, staff_text(exc)))
    return outcomes


# --- reading -------------------------------------------------------------------------------
def versions(session: Session, draft_id: int) -> list[DraftVersion]:
    return list(
        session.exec(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(col(DraftVersion.version))
        )
    )


def version_diff(older: DraftVersion, newer: DraftVersion, *, context: int = 2) -> list[tuple[str, str]]:
    """Line diff of two versions as (kind, line), subject first: kind is ``added``,
    ``removed``, ``same`` (up to ``context`` unchanged lines around a change) or ``gap``
    (unchanged lines left out)."""
    a = [f"Onderwerp: {older.subject}", "", *older.body_text.splitlines()]
    b = [f"Onderwerp: {newer.subject}", "", *newer.body_text.splitlines()]
    out: list[tuple[str, str]] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(("same", line) for line in a[i1:i2])
                continue
            out.extend(("removed", line) for line in a[i1:i2])
            out.extend(("added", line) for line in b[j1:j2])
    return out


def pending_acknowledgements(session: Session) -> list[tuple[Draft, Case]]:
    """Acknowledgements waiting for approval, oldest first (for bulk approval)."""
    rows = session.exec(
        select(Draft, Case)
        .join(Case, col(Case.id) == col(Draft.case_id))
        .where(Draft.state == DraftState.DRAFT, Draft.kind == DraftKind.ACKNOWLEDGEMENT.value)
        .where(col(Case.state).in_(list(OPEN_STATES)))  # a closed case sends no confirmation
        .order_by(col(Draft.created_at))
    )
    return [(d, c) for d, c in rows]


def has_manual_text(session: Session, draft_id: int) -> bool:
    """True when the text was edited by hand after it was last built from the template
    (so rebuilding it would throw those edits away)."""
    last = session.exec(
        select(DraftVersion.how)
        .where(DraftVersion.draft_id == draft_id, col(DraftVersion.how) != "snapshot")
        .order_by(col(DraftVersion.version).desc())
        .limit(1)
    ).first()
    return last == "text"
