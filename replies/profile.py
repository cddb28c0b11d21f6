"""The controller profile: who the controller is and what it does with personal data.

The reply templates contain no organisation-specific facts. Name, address, contact
route, data categories, purposes, recipients, transfers, retention and the
supervisory authority all come from one TOML file, by default the packaged
``controller.toml``. Another organisation replaces that file, not the templates.

Texts that end up in letters are given in every reply language
(``{ nl = "...", en = "...", de = "..." }``) because a reply is written in the customer's
language. German is optional (issue 15): a profile with every text in German writes German
letters to German writers; one written before German letters existed (no ``de`` anywhere, or
not everywhere) still loads, with a warning, and German writers get English letters, as before.
A German letter never borrows a Dutch or English sentence.

``load_profile`` raises :class:`avgdesk.models.errors.ConfigurationError` with every
problem in the file listed as ``dotted.path: message``.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from avgdesk.models.errors import ConfigurationError
from avgdesk.models.vocabulary import IDENTITY_KEY_NL

log = logging.getLogger(__name__)

__all__ = [
    "PLACEHOLDER_MARK",
    "Address",
    "ControllerProfile",
    "DataCategory",
    "LocalizedText",
    "Organisation",
    "Purpose",
    "Recipient",
    "RetentionRule",
    "SqlErasure",
    "SqlQuery",
    "SupervisoryAuthority",
    "System",
    "Transfer",
    "default_profile_path",
    "load_profile",
]

PLACEHOLDER_MARK = "[INVULLEN"
"""A value containing this marks a fact the organisation still has to fill in."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpsUrl = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https://[^\s/$.?#][^\s]*$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Model):
    """One text in every reply language. German may be missing from a profile written before
    German letters existed: such a profile still loads, and its German cases get English
    letters (:meth:`ControllerProfile.letter_language`). A German letter that is rendered
    anyway (a draft made while the profile still had German) fails instead of borrowing an
    English sentence."""

    nl: Text
    en: Text
    de: Text | None = None

    def get(self, language: str) -> str:
        if language == "en":
            return self.en
        if language == "de":
            if self.de is None:
                raise ValueError("the controller profile has no German (de) text for this letter")
            return self.de
        return self.nl


class Address(_Model):
    street: Text
    """Street and number, or a PO box ("Postbus 93374")."""
    postal_code: Text
    city: Text
    country: LocalizedText


class Organisation(_Model):
    name: Text
    address: Address
    website: HttpsUrl
    privacy_email: Email
    """The privacy contact route: the address replies come from and requests go to."""
    dpo_email: Email | None = None
    """A data protection officer (functionaris gegevensbescherming), if appointed."""
    privacy_statement_url: HttpsUrl | None = None
    """The published privacy statement; letters and the contact form link to it when given."""


class SupervisoryAuthority(_Model):
    name: Text
    address: Address
    website: HttpsUrl


class DataCategory(_Model):
    """Art. 15(1)(b): a category of personal data."""

    id: Text
    description: LocalizedText


class Purpose(_Model):
    """Art. 15(1)(a): a purpose of the processing."""

    id: Text
    description: LocalizedText


class Recipient(_Model):
    """Art. 15(1)(c): a recipient or category of recipients.

    ``name`` is the identity of the recipient (CJEU C-154/21: the identity must be
    given to a data subject who asks). Leave it empty only while the organisation has
    not yet filled it in; :meth:`ControllerProfile.missing_recipient_names` reports it.
    """

    category: LocalizedText
    purpose: LocalizedText
    name: str = ""
    id: str = ""
    """Chosen per case in an access answer (issue 13); default: the category text."""


class Transfer(_Model):
    """Art. 15(1)(c)/15(2): a transfer to a country outside the EEA and its safeguard."""

    recipient: Text
    country: LocalizedText
    safeguard: LocalizedText
    """The Art. 45/46 basis, e.g. an adequacy decision or standard contractual clauses."""


class RetentionRule(_Model):
    """Art. 15(1)(d): a storage period, or the criteria used to determine it."""

    data: LocalizedText
    period: LocalizedText
    id: str = ""
    """Chosen per case in an access answer (issue 13)."""


class SourceOption(_Model):
    """Art. 15(1)(g): one possible source of a person's data, chosen per case."""

    id: Text
    text: LocalizedText


class StaffMember(_Model):
    """How a staff member signs letters (issue 13: never with a login name)."""

    name: Text
    role: LocalizedText


SystemId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,99}$")]
QueryName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]


BIND_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
"""A bound parameter in a statement, as SQLAlchemy's ``text()`` finds it."""


def bound_keys(sql: str) -> tuple[str, ...]:
    """The parameters a statement binds, in order of first use (``email``, ...)."""
    return tuple(dict.fromkeys(BIND_PARAMETER.findall(sql)))


def _check_statement(kind: str, name: str, sql: str, first_words: tuple[str, ...]) -> None:
    words = sql.lstrip("( \n\t").split(None, 1)
    if not words or words[0].lower() not in first_words:
        raise ValueError(f"{kind} {name}: must be one {' or '.join(w.upper() for w in first_words)}")
    if ";" in sql.rstrip().rstrip(";"):
        raise ValueError(f"{kind} {name}: one statement only (no ';' inside)")
    keys = bound_keys(sql)
    unknown = [k for k in keys if k not in IDENTITY_KEY_NL]
    if unknown:
        raise ValueError(f"{kind} {name}: unknown bound parameter(s) {', '.join(':' + k for k in unknown)}")
    if not keys:
        raise ValueError(
            f"{kind} {name}: must bind an identity key ({', '.join(':' + k for k in IDENTITY_KEY_NL)})"
        )


class SqlQuery(_Model):
    """One named read-only query of an ``sql`` system, bound to the requester's identity keys.

    The statement is a single ``SELECT`` (or ``WITH ... SELECT``) with bound parameters from
    the identity keys (``:email``, ``:customer_number``, ``:contract_number``); values are
    never pasted into the text, so a value cannot change it. A query whose key is not known
    for a case is skipped (never run with NULL).
    """

    name: QueryName
    category: Text
    """The data category (an id of ``data_categories``) these rows belong to."""
    sql: Text

    @property
    def keys(self) -> tuple[str, ...]:
        return bound_keys(self.sql)

    @model_validator(mode="after")
    def _check_sql(self) -> SqlQuery:
        _check_statement("query", self.name, self.sql, ("select", "with"))
        return self


class SqlErasure(_Model):
    """One named erasure statement of an ``sql`` system (issue 17): a single ``DELETE`` or
    ``UPDATE`` (to anonymise) with a ``WHERE`` bound to identity keys. All statements of a
    system run in one transaction on the system's writable connection (``erase_url_env``),
    only after a named approver confirmed what they would remove."""

    name: QueryName
    sql: Text

    @property
    def keys(self) -> tuple[str, ...]:
        return bound_keys(self.sql)

    @model_validator(mode="after")
    def _check_sql(self) -> SqlErasure:
        _check_statement("erasure", self.name, self.sql, ("delete", "update"))
        if not re.search(r"\bwhere\b", self.sql, re.IGNORECASE):
            raise ValueError(f"erasure {self.name}: needs a WHERE bound to the person")
        return self


class System(_Model):
    """One of the controller's systems (the data map): who owns it, what it holds, and how
    avgdesk reaches it — ``manual`` (a person looks and acts) or ``sql`` (read-only queries).

    An ``sql`` system names the environment variable that holds its connection URL
    (``url_env``); the URL, with its password, never stands in this file.
    """

    id: SystemId
    name: Text
    owner: Text
    """Who does the work in this system (a person or team)."""
    data_categories: Annotated[tuple[Text, ...], Field(min_length=1)]
    purposes: Annotated[tuple[Text, ...], Field(min_length=1)]
    recipients: tuple[Text, ...] = ()
    """Recipient ids (``recipients[].id``) that receive data from this system."""
    retention: Text
    """A retention id (``retention[].id``)."""
    connector: Literal["manual", "sql"] = "manual"
    url_env: EnvName | None = None
    queries: tuple[SqlQuery, ...] = ()
    erase_url_env: EnvName | None = None
    """The variable with the URL of a connection that may delete/update (erasure only)."""
    erasure: tuple[SqlErasure, ...] = ()

    @model_validator(mode="after")
    def _check_connector(self) -> System:
        if self.connector == "sql":
            if not self.url_env:
                raise ValueError(f"system {self.id}: connector sql needs url_env (the variable with the URL)")
            if not self.queries:
                raise ValueError(f"system {self.id}: connector sql needs at least one [[systems.queries]]")
            names = [q.name for q in self.queries]
            if len(set(names)) != len(names):
                raise ValueError(f"system {self.id}: duplicate query names")
            self._check_erasure()
        elif self.url_env or self.queries or self.erase_url_env or self.erasure:
            raise ValueError(f"system {self.id}: url_env, queries and erasure belong to connector sql only")
        return self

    def _check_erasure(self) -> None:
        if bool(self.erasure) != bool(self.erase_url_env):
            raise ValueError(f"system {self.id}: [[systems.erasure]] and erase_url_env go together")
        names = [e.name for e in self.erasure]
        if len(set(names)) != len(names):
            raise ValueError(f"system {self.id}: duplicate erasure names")


class ControllerProfile(_Model):
    controller: Organisation
    supervisory_authority: SupervisoryAuthority
    response_days: Annotated[int, Field(ge=1, le=30)]
    """The reply time promised in the privacy policy (never more than the legal month)."""
    data_categories: Annotated[tuple[DataCategory, ...], Field(min_length=1)]
    purposes: Annotated[tuple[Purpose, ...], Field(min_length=1)]
    recipients: tuple[Recipient, ...] = ()
    transfers_outside_eea: tuple[Transfer, ...] = ()
    """Empty means: no transfers outside the European Economic Area."""
    retention: Annotated[tuple[RetentionRule, ...], Field(min_length=1)]
    sources: Annotated[tuple[LocalizedText, ...], Field(min_length=1)]
    """Art. 15(1)(g): where the data come from when not from the data subject."""
    source_options: tuple[SourceOption, ...] = ()
    """Sources chosen per case (issue 13: "Meestal ..." is not this person's source)."""
    automated_decision_making: bool = False
    """Art. 15(1)(h): decisions based solely on automated processing (Art. 22)."""
    automated_decision_making_details: LocalizedText | None = None
    """Required when automated_decision_making is true: logic, significance, consequences."""
    language_default: Literal["nl", "en", "de"] = "nl"
    staff: Mapping[str, StaffMember] = Field(default_factory=dict)
    """Login name -> display name and role for the signature; unknown logins sign as the team.
    Read-only (a ``MappingProxyType``): one parsed profile is shared by every caller."""
    systems: tuple[System, ...] = ()
    """The systems register (issue 17): one task per system and right when a case opens."""

    # Worked out once per parsed profile: every letter asks (issue 16: rendering is the drain's
    # largest step), and the walk over the whole profile costs more than a lookup.
    _letter_languages: tuple[str, ...] = PrivateAttr(default=())

    def model_post_init(self, context: object, /) -> None:
        self._letter_languages = ("nl", "en", "de") if _has_german(self) else ("nl", "en")

    def letter_languages(self) -> tuple[str, ...]:
        """The languages this profile can write whole letters in: German only when every text
        of the profile has it (a German letter never borrows an English sentence)."""
        return self._letter_languages

    def letter_language(self, wanted: str) -> str:
        """The language a letter for ``wanted`` is written in: ``wanted`` when this profile
        has it, English for German without German texts (as before German letters existed)."""
        if wanted in self.letter_languages():
            return wanted
        return "en" if wanted == "de" else "nl"

    def signature(self, login: str | None, language: str) -> str:
        """The signature line: "Name, role" for a known login, else the privacy team."""
        member = self.staff.get((login or "").strip())
        if member is not None:
            return f"{member.name}, {member.role.get(language)}"
        if language == "en":
            return f"The privacy team of {self.controller.name}"
        if language == "de":
            return f"Das Datenschutzteam von {self.controller.name}"
        return f"Het privacyteam van {self.controller.name}"

    @field_validator("staff", mode="after")
    @classmethod
    def _read_only_staff(cls, value: Mapping[str, StaffMember]) -> Mapping[str, StaffMember]:
        return MappingProxyType(dict(value))

    @field_serializer("staff")
    def _dump_staff(self, value: Mapping[str, StaffMember]) -> dict[str, StaffMember]:
        return dict(value)

    @model_validator(mode="after")
    def _check(self) -> ControllerProfile:
        if self.automated_decision_making and self.automated_decision_making_details is None:
            raise ValueError(
                "automated_decision_making is true, so automated_decision_making_details "
                "(logic, significance and consequences, Art. 15(1)(h)) is required"
            )
        for field_name in ("data_categories", "purposes"):
            ids = [item.id for item in getattr(self, field_name)]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{field_name}: duplicate id(s): {', '.join(duplicates)}")
        self._check_systems()
        return self

    def _check_systems(self) -> None:
        ids = [s.id for s in self.systems]
        if len(set(ids)) != len(ids):
            raise ValueError("systems: duplicate id(s)")
        known = {
            "data category": {c.id for c in self.data_categories},
            "purpose": {p.id for p in self.purposes},
            "recipient": {r.id for r in self.recipients if r.id},
            "retention": {r.id for r in self.retention if r.id},
        }
        for system in self.systems:
            used = {
                "data category": [*system.data_categories, *(q.category for q in system.queries)],
                "purpose": list(system.purposes),
                "recipient": list(system.recipients),
                "retention": [system.retention],
            }
            for kind, values in used.items():
                unknown = sorted(set(values) - known[kind])
                if unknown:
                    raise ValueError(f"systems.{system.id}: unknown {kind} id(s): {', '.join(unknown)}")

    def system(self, system_id: str) -> System | None:
        return next((s for s in self.systems if s.id == system_id), None)

    def missing_recipient_names(self) -> list[str]:
        """Recipient categories whose identity the organisation has not filled in yet."""
        return [r.category.nl for r in self.recipients if not r.name.strip()]

    def placeholders(self) -> list[str]:
        """Dotted paths of values that still contain the ``[INVULLEN`` marker."""
        found: list[str] = []

        def walk(value: object, path: str) -> None:
            if isinstance(value, BaseModel):
                for key in type(value).model_fields:
                    walk(getattr(value, key), f"{path}.{key}" if path else key)
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    walk(item, f"{path}[{index}]")
            elif isinstance(value, Mapping):
                for key, item in value.items():
                    walk(item, f"{path}.{key}")
            elif isinstance(value, str) and PLACEHOLDER_MARK in value:
                found.append(path)

        walk(self, "")
        return found


def default_profile_path() -> Path:
    """The packaged controller.toml."""
    return Path(str(resources.files("avgdesk.replies").joinpath("controller.toml")))


def _has_german(node: object) -> bool:
    """Whether every LocalizedText in a (parsed, frozen) profile has its German text."""
    if isinstance(node, LocalizedText):
        return node.de is not None
    if isinstance(node, BaseModel):
        return all(_has_german(getattr(node, name)) for name in type(node).model_fields)
    if isinstance(node, Mapping):
        return all(_has_german(value) for value in node.values())
    if isinstance(node, (tuple, list)):
        return all(_has_german(item) for item in node)
    return True


def _describe(exc: ValidationError) -> str:
    """Every problem as ``dotted.path: message``, on one line (the CLI prints one line)."""
    lines = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{location}: {error['msg']}")
    return "; ".join(lines)


def load_profile(path: Path | None = None, *, strict: bool = True) -> ControllerProfile:
    """Read and validate a controller profile (default: the packaged controller.toml).

    Strict by default (issue 13): a profile that still contains ``[INVULLEN``
    placeholders or recipients without a name is refused, because an access answer must
    name the recipients (CJEU C-154/21). ``strict=False`` only for tools that inspect an
    unfinished profile.

    Raises ConfigurationError naming the file and every problem in it.
    """
    file = path if path is not None else default_profile_path()
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"controller profile {file}: cannot be read: {exc}") from exc
    # Keyed on the file's bytes, not its mtime: an edited profile is seen at the next call.
    key = (str(file), strict, raw)
    with _LOADED_LOCK:
        cached = _LOADED.get(key)
    if cached is not None:
        return cached
    profile = _parse_profile(file, raw, strict=strict)
    with _LOADED_LOCK:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = profile
    return profile


# Parsed profiles by (path, strict, content): the web renders drafts with the profile on
# every page view, and parsing and validating it costs ~3 ms. The models are frozen; a
# profile that fails validation is never cached, so its error is raised every time.
_LOADED: dict[tuple[str, bool, bytes], ControllerProfile] = {}
_LOADED_MAX = 8
_LOADED_LOCK = threading.Lock()


def _parse_profile(file: Path, raw: bytes, *, strict: bool) -> ControllerProfile:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"controller profile {file}: not UTF-8: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"controller profile {file}: invalid TOML: {exc}") from exc
    try:
        profile = ControllerProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"controller profile {file} is invalid: {_describe(exc)}") from exc
    if strict:
        problems = [f"  {p}: still contains {PLACEHOLDER_MARK}" for p in profile.placeholders()]
        problems += [
            f"  recipients: no name filled in for {category!r}"
            for category in profile.missing_recipient_names()
        ]
        if problems:
            raise ConfigurationError(f"controller profile {file} is not complete:\n" + "\n".join(problems))
    if "de" not in profile.letter_languages():
        # Parsed once per file content (the cache above), so this is said once, not per letter.
        log.warning("controller profile %s lacks German (de) texts: German writers get English letters", file)
    return profile
