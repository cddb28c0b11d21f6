"""Rendering of reply drafts: pure functions, no database, no SMTP.

``render(kind, ctx, profile)`` turns a :class:`ReplyContext` (the case data) and a
:class:`~avgdesk.replies.profile.ControllerProfile` (the organisation facts) into a
:class:`RenderedReply` with a one-line subject, a plain-text part and an HTML
alternative. Every failure (a missing or invalid field, an unknown right, a template
error) raises :class:`~avgdesk.replies.errors.RenderError`.

How one body gives both formats
-------------------------------
Each kind has ONE body template per language, ``templates/<lang>/<kind>.j2``. It is
rendered twice, by two Jinja2 environments over the same files:

* the text environment (autoescape off) resolves ``{% extends layout %}`` to
  ``base.txt.j2`` and ``{% import macros as m %}`` to ``_macros.txt.j2``;
* the HTML environment (autoescape ON) resolves them to ``base.html.j2`` and
  ``_macros.html.j2``.

Bodies never write markup or layout themselves; they only call the structure macros
``m.p`` (paragraph), ``m.ul``/``m.li`` (bullets), ``m.h`` (heading), ``m.link`` and
``m.mail``. The text macros reflow to 72 columns; the HTML macros emit ``<p>``,
``<ul>``, ``<a>``. Each language has one letter frame, ``<lang>/_letter.j2``
(salutation, closing, signature, reference), and one file of shared paragraphs that
the law requires in several letters, ``<lang>/_shared.j2`` (macros ``art19``,
``remedies``, ``right_item``, ``ap_address``). Both environments use
StrictUndefined: a misspelt or missing variable is an error, never an empty string.

Case data are escaped in HTML by autoescape, and can never put a CR or LF into the
subject (:func:`subject_for` folds all control characters into spaces).

Per-kind fields
---------------
Kind-specific data travel in ``ReplyContext.fields``; :data:`FIELD_SPECS` lists them
per kind with their type, whether they are required, and what they mean.
:func:`required_fields` gives the always-required ones; two are conditionally
required: ``id_copy_reason`` when ``id_copy_requested`` is true (identity_request),
and ``granted`` when ``partial`` is true (refusal). A key that belongs to no kind at
all is refused (it is a typo); a key that belongs to another kind is ignored, so a
caller may pass one dictionary for several drafts. ``customer_number`` is accepted by
every kind and shown under the case reference.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

# DraftKind is vocabulary (models/vocabulary.py, issue 10): named here too for existing importers.
from avgdesk.models.vocabulary import DraftKind

from .access_facts import selected
from .errors import RenderError
from .i18n import (
    EXTENSION_GROUNDS,
    LANGUAGES,
    MONTHS,
    RIGHT_ARTICLES,
    RIGHT_NAMES,
    RIGHTS,
    SUBJECTS,
    format_date,
    join_words,
    request_phrase,
)
from .package import clean_file_name, package_name
from .profile import ControllerProfile, LocalizedText

__all__ = [
    "ERASURE_RETENTION_GROUNDS",
    "FIELD_SPECS",
    "RESTRICTION_GROUNDS",
    "DraftKind",
    "FieldSpec",
    "RenderedReply",
    "ReplyContext",
    "optional_fields",
    "render",
    "required_fields",
    "subject_for",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEXT_WIDTH = 72


@dataclass(frozen=True)
class ReplyContext:
    """The case data a reply is drafted from."""

    reference: str
    language: str
    """``nl``, ``en`` or ``de`` (``i18n.LANGUAGES``): the language of the letter."""
    requester_name: str | None
    rights: tuple[str, ...]
    """Label ids of the rights invoked: access, rectification, erasure, restriction,
    portability, objection (any order; shown in article order)."""
    is_complaint: bool
    received_on: date
    respond_by: date
    staff_name: str
    """The staff member who signs the letter."""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific data; see FIELD_SPECS."""


@dataclass(frozen=True)
class RenderedReply:
    subject: str
    text: str
    html: str


FieldType = Literal["text", "lines", "bool", "date", "choice", "retained"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool
    help: str
    choices: tuple[str, ...] = ()


ERASURE_RETENTION_GROUNDS = {
    "freedom_of_expression": "a",
    "legal_obligation": "b",
    "public_health": "c",
    "archiving": "d",
    "legal_claims": "e",
}
"""Art. 17(3) grounds for keeping data after an erasure request: key -> point."""

RESTRICTION_GROUNDS = {
    "accuracy_contested": "a",
    "unlawful_processing": "b",
    "legal_claims": "c",
    "objection_pending": "d",
}
"""Art. 18(1) grounds for a restriction: key -> point."""

_COMMON = (
    FieldSpec("customer_number", "text", False, "customer or contract number, shown under the reference"),
)

# Set by the pause service (issue 13): the clock rests once a request carrying them is sent.
# Never shown in the letter: the note is the staff's reason for the doubt.
_PAUSE_FIELDS = (
    FieldSpec("pause_reason", "choice", False, "set by the pause service", ("identity", "clarification")),
    FieldSpec("pause_note", "text", False, "the staff's written reason for the pause (not in the letter)"),
)

FIELD_SPECS: dict[DraftKind, tuple[FieldSpec, ...]] = {
    DraftKind.ACKNOWLEDGEMENT: (
        FieldSpec(
            "identity_check_to_follow",
            "bool",
            False,
            "say that a separate message asks the requester to confirm their identity",
        ),
    ),
    DraftKind.IDENTITY_REQUEST: (
        *_PAUSE_FIELDS,
        FieldSpec(
            "verification_detail",
            "text",
            False,
            "a detail already on file to give with the customer number, "
            "e.g. 'de postcode van uw factuuradres'",
        ),
        FieldSpec(
            "id_copy_requested",
            "bool",
            False,
            "staff chose, as an exception, to ask for a copy of an identity document",
        ),
        FieldSpec(
            "id_copy_reason",
            "text",
            False,
            "why the lighter checks are not enough (required if id_copy_requested)",
        ),
    ),
    DraftKind.CLARIFICATION_REQUEST: (
        *_PAUSE_FIELDS,
        FieldSpec(
            "questions",
            "lines",
            False,
            "specific questions; default: which processing, data, period",
        ),
    ),
    DraftKind.ACCESS: (
        FieldSpec(
            "attachment_name",
            "text",
            False,
            "name of the attached copy (default: the package, inzage-<ref>.zip)",
        ),
        FieldSpec("download_link", "bool", False, "the file goes as a download link (too large for e-mail)"),
        FieldSpec(
            "categories",
            "lines",
            False,
            "categories processed about this person (default: all categories in the profile)",
        ),
        FieldSpec(
            "sources",
            "lines",
            False,
            "where this person's data came from, free text (prefer source_ids)",
        ),
        *(
            FieldSpec(name, "lines", False, f"profile ids that apply to this person ({name[:-4]}; issue 13)")
            for name in ("purpose_ids", "category_ids", "recipient_ids", "retention_ids", "source_ids")
        ),
    ),
    DraftKind.RECTIFICATION: (FieldSpec("corrections", "lines", True, "what was corrected or completed"),),
    DraftKind.ERASURE: (
        FieldSpec("erased_items", "lines", True, "what was erased"),
        FieldSpec(
            "retained",
            "retained",
            False,
            "what is kept: list of {item, ground, period}; ground is one of "
            + ", ".join(ERASURE_RETENTION_GROUNDS),
        ),
        FieldSpec("backup_note", "text", False, "a sentence about back-ups, if relevant"),
    ),
    DraftKind.RESTRICTION: (
        FieldSpec("restricted_data", "text", True, "which data or processing is restricted"),
        FieldSpec(
            "restriction_ground",
            "choice",
            True,
            "the Art. 18(1) ground",
            tuple(RESTRICTION_GROUNDS),
        ),
        FieldSpec(
            "restriction_until",
            "text",
            False,
            "how long, e.g. 'totdat wij de juistheid van uw adres hebben gecontroleerd'",
        ),
    ),
    DraftKind.PORTABILITY: (
        FieldSpec("export_format", "choice", True, "format of the export", ("json", "csv")),
        FieldSpec(
            "attachment_name",
            "text",
            False,
            "file name of the export (default: the package, overdracht-<ref>.zip)",
        ),
        FieldSpec("download_link", "bool", False, "the file goes as a download link (too large for e-mail)"),
        FieldSpec(
            "transmitted_to",
            "text",
            False,
            "the organisation the data were sent to directly (Art. 20(2))",
        ),
        FieldSpec(
            "out_of_scope",
            "lines",
            False,
            "data not included, each with its reason (makes the letter a partial refusal)",
        ),
    ),
    DraftKind.OBJECTION: (
        FieldSpec("marketing_channels", "lines", False, "channels stopped, e.g. 'de e-mailnieuwsbrief'"),
        FieldSpec("suppression_list", "bool", False, "the e-mail address is kept on a do-not-contact list"),
    ),
    DraftKind.EXTENSION: (
        FieldSpec(
            "extension_ground",
            "choice",
            True,
            "the EDPB-accepted ground (workload alone is none): " + ", ".join(EXTENSION_GROUNDS),
            tuple(EXTENSION_GROUNDS),
        ),
        FieldSpec("extension_reason", "text", True, "what makes this request complex (Art. 12(3))"),
        FieldSpec("new_deadline", "date", True, "the computed extended deadline (set by the extend service)"),
    ),
    DraftKind.REFUSAL: (
        FieldSpec("partial", "bool", True, "true: part of the request is granted"),
        FieldSpec("refusal_reasons", "lines", True, "the reasons for not acting (Art. 12(4))"),
        FieldSpec("granted", "text", False, "what was done (required if partial)"),
    ),
    DraftKind.OBJECTION_ANSWER: (
        FieldSpec("decision", "choice", True, "granted or refused (after balancing)", ("granted", "refused")),
        FieldSpec("processing", "text", True, "the processing objected to, e.g. 'het gebruik van ...'"),
        FieldSpec(
            "compelling_grounds",
            "lines",
            False,
            "the compelling legitimate grounds that override (required if refused, Art. 21(1))",
        ),
    ),
    DraftKind.NO_DATA: (
        FieldSpec("searched", "lines", False, "where we searched, e.g. 'onze klantadministratie'"),
    ),
    DraftKind.WITHHELD: (
        FieldSpec("withheld", "lines", True, "what was withheld or made unreadable, and why (Art. 15(4))"),
    ),
    DraftKind.ABANDONED: (
        FieldSpec("asked_on", "date", True, "when we asked for identity or clarification"),
        FieldSpec("asked_for", "choice", True, "what we asked for", ("identity", "clarification")),
    ),
    DraftKind.COMPLAINT: (
        FieldSpec("complaint_summary", "text", True, "the complaint as we understood it"),
        FieldSpec("findings", "lines", True, "what the investigation found"),
        FieldSpec("measures", "lines", True, "measures taken"),
        FieldSpec(
            "linked_request_note",
            "text",
            False,
            "a sentence about a rights request handled alongside the complaint",
        ),
    ),
}

_ALL_FIELD_NAMES = frozenset(spec.name for specs in (*FIELD_SPECS.values(), _COMMON) for spec in specs)


def _specs(kind: DraftKind) -> tuple[FieldSpec, ...]:
    return (*_COMMON, *FIELD_SPECS[kind])


def required_fields(kind: DraftKind | str) -> frozenset[str]:
    """Fields that ``ctx.fields`` must always contain for this kind."""
    return frozenset(s.name for s in _specs(_kind(kind)) if s.required)


def optional_fields(kind: DraftKind | str) -> frozenset[str]:
    return frozenset(s.name for s in _specs(_kind(kind)) if not s.required)


def _kind(kind: DraftKind | str) -> DraftKind:
    try:
        return DraftKind(kind)
    except ValueError:
        raise RenderError(f"unknown reply kind {kind!r}") from None


# --- field validation ---------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_SPACES = re.compile(r" {2,}")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_EXTRA_BLANK_LINES = re.compile(r"\n{3,}")


def _one_line(value: str) -> str:
    """Fold every control character (CR, LF, TAB, ...) into one space."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: expected non-empty text, got {value!r}")
    return value.strip()


def _lines(name: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"{name}: expected a list of texts, got {type(value).__name__}")
    return [_text(f"{name}[{i}]", item) for i, item in enumerate(items)]


def _date(name: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{name}: expected a date (YYYY-MM-DD), got {value!r}")


def _retained(name: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name}: expected a list of {{item, ground, period}}")
    result = []
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ValueError(f"{name}[{i}]: expected a mapping with item, ground, period")
        missing = sorted({"item", "ground", "period"} - set(entry))
        if missing:
            raise ValueError(f"{name}[{i}]: missing {', '.join(missing)}")
        ground = entry["ground"]
        if ground not in ERASURE_RETENTION_GROUNDS:
            raise ValueError(
                f"{name}[{i}].ground: {ground!r} is not an Art. 17(3) ground; use one of "
                + ", ".join(ERASURE_RETENTION_GROUNDS)
            )
        result.append(
            {
                "item": _text(f"{name}[{i}].item", entry["item"]),
                "ground": ground,
                "point": ERASURE_RETENTION_GROUNDS[ground],
                "period": _text(f"{name}[{i}].period", entry["period"]),
            }
        )
    return result


def _convert(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "text":
        return _text(spec.name, value)
    if spec.type == "lines":
        return _lines(spec.name, value)
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{spec.name}: expected true or false, got {value!r}")
        return value
    if spec.type == "date":
        return _date(spec.name, value)
    if spec.type == "choice":
        if value not in spec.choices:
            raise ValueError(f"{spec.name}: {value!r} is not one of {', '.join(spec.choices)}")
        return value
    return _retained(spec.name, value)


def _empty(spec: FieldSpec) -> Any:
    return {"bool": False, "lines": [], "retained": []}.get(spec.type)


def _check_fields(kind: DraftKind, ctx: ReplyContext) -> dict[str, Any]:
    given = dict(ctx.fields)
    if kind in (DraftKind.ACCESS, DraftKind.PORTABILITY) and given.get("attachment_name") is None:
        # Issue 17: the package avgdesk builds carries this name (staff may rename it); a new
        # access draft no longer opens with a "missing required field" error. The same
        # function names the package when it is attached, so letter and file agree.
        portability = kind is DraftKind.PORTABILITY
        given["attachment_name"] = package_name(
            str(ctx.reference), language=ctx.language, portability=portability
        )
    problems: list[str] = []
    unknown = sorted(set(given) - _ALL_FIELD_NAMES)
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    specs = _specs(kind)
    missing = sorted(s.name for s in specs if s.required and given.get(s.name) is None)
    result: dict[str, Any] = {}
    for spec in specs:
        value = given.get(spec.name)
        if value is None:
            result[spec.name] = _empty(spec)
            continue
        try:
            result[spec.name] = _convert(spec, value)
        except ValueError as exc:
            problems.append(str(exc))
    copy_without_reason = result.get("id_copy_requested") and not result.get("id_copy_reason")
    if kind is DraftKind.IDENTITY_REQUEST and copy_without_reason:
        missing.append("id_copy_reason (required because id_copy_requested is true)")
    if kind is DraftKind.REFUSAL and result.get("partial") and not result.get("granted"):
        missing.append("granted (required because partial is true)")
    refused = kind is DraftKind.OBJECTION_ANSWER and result.get("decision") == "refused"
    if refused and not result.get("compelling_grounds"):
        missing.append("compelling_grounds (required because decision is refused)")
    problems += _value_problems(kind, ctx, result)
    if missing:
        problems.insert(0, f"missing required field(s) for {kind.value}: {', '.join(missing)}")
    if problems:
        raise RenderError(f"cannot render {kind.value} for {ctx.reference!r}: " + "; ".join(problems))
    return result


def _value_problems(kind: DraftKind, ctx: ReplyContext, result: Mapping[str, Any]) -> list[str]:
    """Problems with converted values: a file name no attachment can carry, a deadline that
    does not move forward."""
    problems: list[str] = []
    name = result.get("attachment_name")
    if isinstance(name, str) and name and clean_file_name(name) != name:
        # The letter names the file that is attached under exactly this name: a path or a
        # character mail clients trip on would be a name no attached file can carry.
        problems.append(f'attachment_name {name!r} is not a plain file name (no / \\ : * ? " < > |)')
    new_deadline = result.get("new_deadline")
    moved_back = isinstance(new_deadline, date) and new_deadline <= ctx.respond_by
    if kind is DraftKind.EXTENSION and moved_back:
        problems.append(f"new_deadline {new_deadline} is not after respond_by {ctx.respond_by.isoformat()}")
    return problems


def _check_context(ctx: ReplyContext) -> tuple[str, ...]:
    """Validate the common part of the context; return the rights in article order."""
    problems: list[str] = []
    if ctx.language not in LANGUAGES:
        problems.append(f"language {ctx.language!r} is not one of {', '.join(LANGUAGES)}")
    if not isinstance(ctx.reference, str) or not _one_line(ctx.reference):
        problems.append("reference is empty")
    if not isinstance(ctx.staff_name, str) or not ctx.staff_name.strip():
        problems.append("staff_name is empty")
    unknown = sorted(set(ctx.rights) - set(RIGHTS))
    if unknown:
        problems.append(f"unknown right(s): {', '.join(map(str, unknown))} (use {', '.join(RIGHTS)})")
    for name in ("received_on", "respond_by"):
        if not isinstance(getattr(ctx, name), date):
            problems.append(f"{name} is not a date")
    if not problems and ctx.respond_by < ctx.received_on:
        problems.append("respond_by is before received_on")
    if problems:
        raise RenderError(f"invalid reply context {ctx.reference!r}: " + "; ".join(problems))
    return tuple(r for r in RIGHTS if r in ctx.rights)


# --- Jinja2 environments ------------------------------------------------------------


def _squash(value: Any) -> Any:
    """Collapse all whitespace (including CR/LF) to single spaces; keeps Markup Markup."""
    if type(value) is str:
        return _squash_text(value)
    squashed = _WHITESPACE.sub(" ", str(value)).strip()
    return Markup(squashed) if isinstance(value, Markup) else squashed


@lru_cache(maxsize=4096)
def _squash_text(value: str) -> str:
    """The signature lines and most headings are the same in every letter (issue 16)."""
    return _WHITESPACE.sub(" ", value).strip()


_MONTH_NAMES = "|".join(sorted({m for names in MONTHS.values() for m in names}))
# German dates carry a dot after the day ("5. März 2026") and German citations read
# "Art. 17 Abs. 3 Buchst. b DSGVO" or "§ 20 Abs. 2 PAuswG"; none may be split at the end of a line.
_KEEP_TOGETHER = re.compile(
    rf"\b\d{{1,2}}\.? (?:{_MONTH_NAMES}) \d{{4}}\b"
    r"|\b(?:artikel|Article|section) \d+(?: lid \d+)?\b"
    r"|\bArt\. \d+(?: Abs\. \d+)?(?: Buchst\. [a-h])?(?: DSGVO)?"
    r"|§ \d+(?: Abs\. \d+)?(?: PAuswG)?"
)
_NBSP = "\u00a0"


def _wrap(value: Any, first: str = "", rest: str = "") -> str:
    """Reflow to TEXT_WIDTH columns; never split a date, "artikel 15", "Art. 15 DSGVO", a URL
    or address."""
    return _wrap_text(str(value), first, rest)


@lru_cache(maxsize=4096)
def _wrap_text(value: str, first: str, rest: str) -> str:
    """Most paragraphs of a letter are the same in every letter: reflowing each once is
    half of rendering the worker's first drafts (issue 16)."""
    squashed = _squash(value).replace(_NBSP, " ")
    protected = _KEEP_TOGETHER.sub(lambda match: match.group(0).replace(" ", _NBSP), squashed)
    wrapped = textwrap.fill(
        protected,
        width=TEXT_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped.replace(_NBSP, " ")


def _bullets(value: Any) -> str:
    """A text list: the bullets without blank lines between them, then one blank line."""
    return _BLANK_LINES.sub("\n", str(value)).strip("\n") + "\n\n"


@pass_context
def _longdate(context: Context, value: date) -> str:
    return format_date(value, str(context["lang"]))


@pass_context
def _loc(context: Context, value: LocalizedText) -> str:
    return value.get(str(context["lang"]))


class _LetterEnvironment(jinja2.Environment):
    """Templates never change while the process runs (``auto_reload`` off), so each name is
    looked up in a plain dict: Jinja2's LRU cache takes a lock and moves a deque entry on
    every one of a letter's seven lookups (layout, frame, macros, shared paragraphs)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loaded: dict[str, jinja2.Template] = {}

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        if globals or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        if parent is not None:
            name = self.join_path(name, parent)
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = super().get_template(name)
        return template


@cache
def _environment(fmt: Literal["txt", "html"]) -> jinja2.Environment:
    env = _LetterEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(layout=f"base.{fmt}.j2", macros=f"_macros.{fmt}.j2", fmt=fmt)
    env.filters.update(
        squash=_squash,
        para=lambda v: _wrap(v) + "\n\n",
        bullet=lambda v: _wrap(v, "- ", "  ") + "\n",
        bullets=_bullets,
        longdate=_longdate,
        loc=_loc,
    )
    return env


@cache
def _extension_grounds(lang: str) -> dict[str, str]:
    """The grounds' wording per language, made once (templates only read it)."""
    return {key: wording[lang] for key, wording in EXTENSION_GROUNDS.items()}


def _normalise_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return _EXTRA_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


# --- public API ---------------------------------------------------------------------


def subject_for(kind: DraftKind | str, ctx: ReplyContext) -> str:
    """``[AVG-2026-0001] Reactie op uw verzoek om inzage``: one line, never CR/LF."""
    draft_kind = _kind(kind)
    language = ctx.language if ctx.language in LANGUAGES else "nl"
    key = draft_kind.value
    if draft_kind is DraftKind.ACKNOWLEDGEMENT and ctx.is_complaint and not ctx.rights:
        key = "acknowledgement_complaint"
    reference = _one_line(str(ctx.reference))
    return _one_line(f"[{reference}] {SUBJECTS[language][key]}")


def render(
    kind: DraftKind | str, ctx: ReplyContext, profile: ControllerProfile, *, with_html: bool = True
) -> RenderedReply:
    """Render one reply; raise RenderError on any failure. ``with_html=False`` leaves the
    HTML alternative empty (``""``): the worker's first drafts are mostly only read as text,
    so their HTML is made when someone looks at or approves them (issue 16)."""
    draft_kind = _kind(kind)
    rights = _check_context(ctx)
    fields = _check_fields(draft_kind, ctx)
    if draft_kind is DraftKind.ACKNOWLEDGEMENT and not rights and not ctx.is_complaint:
        raise RenderError(
            f"cannot render acknowledgement for {ctx.reference!r}: the case has no right and is no complaint"
        )
    if ctx.language not in profile.letter_languages():
        raise RenderError(
            f"cannot render {draft_kind.value} for {ctx.reference!r}: the controller profile has no"
            f" texts in {ctx.language!r} (any more); make the letter again in another language"
        )
    lang = ctx.language
    requester = ctx.requester_name.strip() if ctx.requester_name else ""
    try:
        chosen = selected(profile, fields) if draft_kind is DraftKind.ACCESS else {}
    except ValueError as exc:
        raise RenderError(f"cannot render {draft_kind.value} for {ctx.reference!r}: {exc}") from exc
    variables: dict[str, Any] = {
        "lang": lang,
        "kind": draft_kind.value,
        "reference": _one_line(ctx.reference),
        "requester_name": requester or None,
        "rights": rights,
        "is_complaint": ctx.is_complaint,
        "received_on": ctx.received_on,
        "respond_by": ctx.respond_by,
        "staff_name": ctx.staff_name.strip(),
        "f": fields,
        "profile": profile,
        "right_names": RIGHT_NAMES[lang],
        "right_articles": RIGHT_ARTICLES,
        "request_phrase": request_phrase(rights, ctx.is_complaint, lang),
        "rights_words": join_words([RIGHT_NAMES[lang][r] for r in rights], lang),
        "subject": subject_for(draft_kind, ctx),
        "extension_grounds": _extension_grounds(lang),
        "chosen": chosen,
    }
    name = f"{lang}/{draft_kind.value}.j2"
    try:
        text = _environment("txt").get_template(name).render(variables)
        html = _environment("html").get_template(name).render(variables) if with_html else ""
    except RenderError:
        raise
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name} failed for {ctx.reference!r}: {exc}") from exc
    except Exception as exc:  # a bug in a filter or a bad value: still never sent
        raise RenderError(
            f"template {name} failed for {ctx.reference!r}: {type(exc).__name__}: {exc}"
        ) from exc
    return RenderedReply(
        subject=variables["subject"], text=_normalise_text(text), html=html.strip() + "\n" if html else ""
    )
