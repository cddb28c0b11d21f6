"""The deadline engine: when must NHMB answer a privacy request, and why.

Pure functions over dates: no database, no I/O, no clock. Callers pass "now".

The rules (see ../shared/docs/legal-notes.md §1 and §5):

* Art. 12(3) AVG: answer "within one month of receipt of the request". The EDPB
  (Guidelines 01/2022 §160) counts that month as Regulation (EEC, Euratom) 1182/71 does:
  - Art. 3(1): the day of receipt does not count;
  - Art. 3(2)(c): the period ends on the same date in the next month, or on that month's
    last day when the date does not exist there (31 Aug -> 30 Sep);
  - Art. 3(4): a period ending on a Saturday, Sunday or public holiday ends on the next
    working day.
* Public holidays are those of the Algemene termijnenwet art. 3 (lid 1 and 2):
  ``holidays.NL`` with the PUBLIC and OPTIONAL categories, which adds Goede Vrijdag and
  5 May every year. Bridging days made equal by Koninklijk Besluit (Atw art. 3 lid 3, e.g.
  the Friday after Hemelvaartsdag) are deliberately NOT included: whether they count for
  an EU-law period is unsettled, and when in doubt we do not roll, because the earlier
  date is always safe.
* The receipt date is the calendar date in Europe/Amsterdam at the moment the request
  reached an official channel (EDPB §159): a mail at 23:30 UTC on 30 January is a
  31 January request.
* Extension (Art. 12(3), second and third sentence): by up to two further months, and
  only if announced, with reasons, within the first month. After that it is refused.
* Pause (EDPB Guidelines 01/2022 §159, a soft rule without a basis in the text of
  Art. 12(3)): while waiting for identity or clarification the clock may be suspended,
  provided the controller asked without undue delay. The original deadline always stays
  visible; the adjusted one is marked as resting on §159.
* Complaints have no statutory clock (§5); they get an internal target only.

Everything a caller sees is a frozen dataclass, and every deadline carries its own
explanation, both structured (:class:`Step`) and as Dutch and English text.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from holidays.constants import OPTIONAL, PUBLIC

# mypy cannot follow setuptools' editable-install finder that maps avgdesk.* onto the root
# folders (the same error appears for triage/settings.py); "unused-ignore" keeps this line
# clean once the project configures mypy_path or a strict editable install.
from avgdesk.models.errors import InvalidOperation  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "AMSTERDAM",
    "Deadline",
    "Extension",
    "Lang",
    "Pause",
    "PauseEffect",
    "PauseReason",
    "Risk",
    "RiskLevel",
    "SkippedDay",
    "Step",
    "StepKind",
    "add_months",
    "add_working_days",
    "apply_pauses",
    "complaint_target",
    "compute_deadline",
    "extend",
    "holiday_name",
    "is_working_day",
    "parse_received_at",
    "risk",
    "roll_forward",
    "working_days_between",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Lang = Literal["nl", "en"]

#: Art. 12(3) AVG: "extended by two further months" — at most two.
MAX_EXTENSION_MONTHS = 2

# ---------------------------------------------------------------------------
# Rule citations, kept in one place so the explanation and the code agree.
# ---------------------------------------------------------------------------
RULE_RECEIPT = "Art. 3(1) Reg. 1182/71; EDPB Guidelines 01/2022 §159"
RULE_MONTH = "Art. 12(3) AVG; Art. 3(2)(c) Reg. 1182/71; EDPB Guidelines 01/2022 §160"
RULE_ROLL = "Art. 3(4) Reg. 1182/71; Algemene termijnenwet art. 3"
RULE_POLICY = "NHMB privacyverklaring (30 dagen)"
RULE_EXTENSION = "Art. 12(3) AVG"
RULE_PAUSE = "EDPB Guidelines 01/2022 §159"
RULE_COMPLAINT = "Intern (geen wettelijke termijn)"

_NL_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NL_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _fmt(d: date, lang: Lang) -> str:
    """Format a date the way staff write it ("dinsdag 7 april 2026"), locale-independent."""
    if lang == "nl":
        return f"{_NL_DAYS[d.weekday()]} {d.day} {_NL_MONTHS[d.month - 1]} {d.year}"
    return f"{_EN_DAYS[d.weekday()]} {d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def _days(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} dag" if n == 1 else f"{n} dagen"
    return f"{n} day" if n == 1 else f"{n} days"


def _working_days(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} werkdag" if n == 1 else f"{n} werkdagen"
    return f"{n} working day" if n == 1 else f"{n} working days"


def _months(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} maand" if n == 1 else f"{n} maanden"
    return f"{n} month" if n == 1 else f"{n} months"


# ---------------------------------------------------------------------------
# Holidays and working days
# ---------------------------------------------------------------------------


@cache
def _holidays_for_year(year: int) -> Mapping[date, tuple[str, str]]:
    """Dutch and English names of the Atw holidays of one year.

    Cached per year and returned read-only, so lookups are pure and thread-safe (a shared
    ``holidays.HolidayBase`` expands itself lazily on lookup, which is neither).
    """
    cats = (PUBLIC, OPTIONAL)  # Atw art. 3 lid 1-2: PUBLIC lacks 5 May outside lustrum years
    nl = holidays.country_holidays("NL", years=year, categories=cats, language="nl")
    en = holidays.country_holidays("NL", years=year, categories=cats, language="en_US")
    return MappingProxyType({d: (str(nl[d]), str(en.get(d, nl[d]))) for d in nl})


def holiday_name(d: date, lang: Lang = "nl") -> str | None:
    """The name of the Dutch public holiday on ``d`` (Atw list), or None."""
    names = _holidays_for_year(d.year).get(d)
    if names is None:
        return None
    return names[0] if lang == "nl" else names[1]


def is_working_day(d: date) -> bool:
    """Art. 2(2) Reg. 1182/71: every day except Saturdays, Sundays and public holidays."""
    return d.weekday() < 5 and d not in _holidays_for_year(d.year)


def roll_forward(d: date) -> date:
    """``d`` itself if it is a working day, else the next working day (Art. 3(4))."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after ``d`` (before it, for negative n); ``d`` itself for 0."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """Working days from ``start`` to ``end``: start excluded, end included; signed.

    The start day is excluded for the same reason as the receipt day (Art. 3(1)), so
    ``working_days_between(d, add_working_days(d, n)) == n`` in both directions.
    """
    if end < start:
        span = (start - end).days
        return -sum(1 for i in range(span) if is_working_day(end + timedelta(i)))
    span = (end - start).days
    return sum(1 for i in range(1, span + 1) if is_working_day(start + timedelta(i)))


def add_months(d: date, months: int) -> tuple[date, bool]:
    """Same date ``months`` later; clamped to the month's last day (Art. 3(2)(c)).

    Returns the date and whether it was clamped (31 Jan + 1 month -> 28/29 Feb).
    """
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last)), d.day > last


# ---------------------------------------------------------------------------
# Explanation
# ---------------------------------------------------------------------------


class StepKind(StrEnum):
    RECEIPT = "receipt"
    MONTH_RULE = "month_rule"
    ROLL = "roll"
    INTERNAL_TARGET = "internal_target"
    INTERNAL_TARGET_MOVED = "internal_target_moved"
    EXTENSION_NOTICE = "extension_notice"
    EXTENSION = "extension"
    PAUSE = "pause"
    PAUSE_NOT_COUNTED = "pause_not_counted"
    ADJUSTED = "adjusted"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class SkippedDay:
    """A day the deadline rolled over, and why (weekend, holiday, or both)."""

    date: date
    weekend: bool
    holiday_nl: str | None
    holiday_en: str | None

    def describe(self, lang: Lang) -> str:
        holiday = self.holiday_nl if lang == "nl" else self.holiday_en
        return f"{_fmt(self.date, lang)} ({holiday or 'weekend'})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "weekend": self.weekend,
            "holiday_nl": self.holiday_nl,
            "holiday_en": self.holiday_en,
        }


@dataclass(frozen=True)
class Step:
    """One step of a deadline's reasoning: what was computed, by which rule, and the texts."""

    kind: StepKind
    date: date | None
    rule: str
    nl: str
    en: str
    skipped: tuple[SkippedDay, ...] = ()

    def text(self, lang: Lang = "nl") -> str:
        return self.nl if lang == "nl" else self.en

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "date": self.date.isoformat() if self.date else None,
            "rule": self.rule,
            "skipped": [s.to_dict() for s in self.skipped],
            "text_nl": self.nl,
            "text_en": self.en,
        }


def _skipped(start: date) -> tuple[date, tuple[SkippedDay, ...]]:
    """Roll forward like :func:`roll_forward`, recording every day passed over."""
    skipped: list[SkippedDay] = []
    d = start
    while not is_working_day(d):
        skipped.append(SkippedDay(d, d.weekday() >= 5, holiday_name(d, "nl"), holiday_name(d, "en")))
        d += timedelta(days=1)
    return d, tuple(skipped)


def _roll_step(unrolled: date, label_nl: str, label_en: str) -> tuple[date, Step]:
    """Apply Art. 3(4) to ``unrolled`` and explain it (which days were skipped, by name)."""
    rolled, skipped = _skipped(unrolled)
    if not skipped:
        nl = f"{_fmt(unrolled, 'nl').capitalize()} is een werkdag, dus {label_nl}: "
        nl += f"{_fmt(rolled, 'nl')}."
        en = f"{_fmt(unrolled, 'en')} is a working day, so {label_en}: {_fmt(rolled, 'en')}."
    else:
        nl = (
            "Geen werkdag: "
            + "; ".join(s.describe("nl") for s in skipped)
            + f". De termijn eindigt op de eerstvolgende werkdag, dus {label_nl}: "
            + f"{_fmt(rolled, 'nl')} (art. 3 lid 4 Verordening 1182/71; feestdagen volgens "
            + "art. 3 Algemene termijnenwet)."
        )
        en = (
            "Not a working day: "
            + "; ".join(s.describe("en") for s in skipped)
            + f". The period ends on the next working day, so {label_en}: "
            + f"{_fmt(rolled, 'en')} (Art. 3(4) Reg. 1182/71; Dutch public holidays of the "
            + "Algemene termijnenwet art. 3)."
        )
    # Atw art. 3 lid 3: a bridging day by KB (typically the Friday after Hemelvaartsdag) is
    # not in our list. Say so where it matters: the earlier date is the safe one.
    if holiday_name(rolled - timedelta(days=1), "nl") == "Hemelvaartsdag":
        nl += (
            " Een brugdag die bij Koninklijk Besluit met een feestdag is gelijkgesteld telt"
            " niet mee: bij twijfel geldt de vroegere datum."
        )
        en += (
            " A bridging day made equal to a holiday by Royal Decree is not counted: when in"
            " doubt, the earlier date applies."
        )
    return rolled, Step(StepKind.ROLL, rolled, RULE_ROLL, nl, en, skipped)


_SPAN_NL = {1: "Eén maand", 2: "Twee maanden", 3: "Drie maanden"}
_SPAN_EN = {1: "One month", 2: "Two months", 3: "Three months"}


def _month_step(receipt_date: date, months: int, rule: str) -> tuple[date, Step]:
    """Art. 3(2)(c): same date ``months`` after receipt, clamped to the month's last day."""
    target, clamped = add_months(receipt_date, months)
    span_nl = _SPAN_NL.get(months, _months(months, "nl"))
    span_en = _SPAN_EN.get(months, _months(months, "en"))
    if clamped:
        missing_nl = f"{receipt_date.day} {_NL_MONTHS[target.month - 1]} {target.year}"
        missing_en = f"{receipt_date.day} {_EN_MONTHS[target.month - 1]} {target.year}"
        nl = (
            f"{span_nl} na ontvangst: {missing_nl} bestaat niet, dus de laatste dag van die"
            f" maand: {_fmt(target, 'nl')} (art. 3 lid 2 onder c Verordening 1182/71)."
        )
        en = (
            f"{span_en} after receipt: {missing_en} does not exist, so the last day of that"
            f" month: {_fmt(target, 'en')} (Art. 3(2)(c) Reg. 1182/71)."
        )
    else:
        nl = (
            f"{span_nl} na ontvangst valt op dezelfde datum: {_fmt(target, 'nl')}"
            " (art. 3 lid 2 onder c Verordening 1182/71)."
        )
        en = (
            f"{span_en} after receipt falls on the same date: {_fmt(target, 'en')}"
            " (Art. 3(2)(c) Reg. 1182/71)."
        )
    return target, Step(StepKind.MONTH_RULE, target, rule, nl, en)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime (got naive {value.isoformat()}); "
            "a naive time is ambiguous and would silently shift the receipt date"
        )


def _local_date(value: datetime, tz: ZoneInfo, name: str) -> date:
    _require_aware(value, name)
    return value.astimezone(tz).date()


def _end_of_day(d: date, tz: ZoneInfo) -> datetime:
    """The last instant of ``d`` in ``tz``: a period ends "with the expiry of the last hour"."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)


def parse_received_at(text: str, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """Read a receipt time from the command line.

    Accepts ISO 8601 with an offset (``2026-03-05T13:30:00Z``, ``…+01:00``), without one
    (read as local time in ``tz``: staff type Amsterdam times), or a bare date (read as
    12:00 local, safely inside the day whatever the DST state). In the repeated hour of the
    autumn DST switch a local time means the first occurrence (``fold=0``); both lie on
    the same date, so the deadline does not depend on it.
    """
    raw = text.strip()
    hint = (
        "expected ISO 8601, e.g. 2026-03-05 (12:00 local), 2026-03-05T14:30 "
        f"(local time in {tz.key}) or 2026-03-05T13:30:00Z"
    )
    if not raw:
        raise ValueError(f"empty receipt time: {hint}")
    try:
        if len(raw) <= 10 and "T" not in raw.upper() and ":" not in raw:
            return datetime.combine(date.fromisoformat(raw), time(12, 0), tzinfo=tz)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"cannot read receipt time {text!r}: {hint}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed


# ---------------------------------------------------------------------------
# The Deadline
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Extension:
    """An extension by staff under Art. 12(3): how many months, when, why."""

    months: int
    at: datetime
    reason: str
    month_date: date
    """Receipt + 1 + ``months`` months, before rolling."""
    deadline: date
    """The extended legal deadline (rolled)."""


class PauseReason(StrEnum):
    IDENTITY = "identity"
    CLARIFICATION = "clarification"


_PAUSE_REASON_NL = {
    PauseReason.IDENTITY: "wachten op identificatie",
    PauseReason.CLARIFICATION: "wachten op verduidelijking",
}
_PAUSE_REASON_EN = {
    PauseReason.IDENTITY: "waiting for identification",
    PauseReason.CLARIFICATION: "waiting for clarification",
}


@dataclass(frozen=True)
class Pause:
    """The clock stood still: a request for identity or clarification went out.

    ``resumed_at`` is when the requester's answer arrived; None while still waiting.
    """

    requested_at: datetime
    resumed_at: datetime | None = None
    reason: PauseReason = PauseReason.IDENTITY


@dataclass(frozen=True)
class PauseEffect:
    """How one pause was judged: counted or not, and for how many calendar days."""

    pause: Pause
    start: date
    end: date
    """Local date of resumption, or of "now" for an open pause."""
    open: bool
    counted: bool
    days: int
    """Calendar days from start to end (0 if not counted)."""
    request_delay_working_days: int


@dataclass(frozen=True)
class Deadline:
    """The deadlines of one request and how they were reached.

    ``legal_deadline`` is the original Art. 12(3) deadline and never changes, so it stays
    visible after extensions and pauses. ``due`` is the date that applies now.
    """

    received_at: datetime
    """The receipt moment, in ``tz``."""
    tz: ZoneInfo
    policy_days: int
    receipt_date: date
    month_date: date
    """Receipt + 1 month (Art. 3(2)(c)), before rolling to a working day."""
    legal_deadline: date
    internal_target: date
    """Date the team aims at; always on or before ``due``."""
    extension_notice_by: date
    """An extension must be announced (with reasons) by the end of this day."""
    explanation: tuple[Step, ...]
    extension: Extension | None = None
    pauses: tuple[PauseEffect, ...] = ()
    paused_days: int = 0
    adjusted_deadline: date | None = None
    """(Extended) deadline moved by counted pause days; rests on EDPB §159."""

    @property
    def extended_deadline(self) -> date | None:
        return self.extension.deadline if self.extension else None

    @property
    def due(self) -> date:
        """The deadline that applies now: adjusted, else extended, else the legal one."""
        if self.adjusted_deadline is not None:
            return self.adjusted_deadline
        if self.extension is not None:
            return self.extension.deadline
        return self.legal_deadline

    @property
    def relies_on_edpb_159(self) -> bool:
        """True when ``due`` depends on the soft §159 suspension, not on the AVG text."""
        return self.adjusted_deadline is not None

    def explain(self, lang: Lang = "nl") -> str:
        """The explanation as text, one numbered step a line, in Dutch or English."""
        return "\n".join(f"{i}. {s.text(lang)}" for i, s in enumerate(self.explanation, 1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO dates, the structured steps and both renderings."""
        ext = self.extension
        return {
            "received_at": self.received_at.isoformat(),
            "timezone": self.tz.key,
            "receipt_date": self.receipt_date.isoformat(),
            "month_date": self.month_date.isoformat(),
            "legal_deadline": self.legal_deadline.isoformat(),
            "internal_target": self.internal_target.isoformat(),
            "extension_notice_by": self.extension_notice_by.isoformat(),
            "extended_deadline": ext.deadline.isoformat() if ext else None,
            "extension": None
            if ext is None
            else {
                "months": ext.months,
                "at": ext.at.isoformat(),
                "reason": ext.reason,
                "month_date": ext.month_date.isoformat(),
                "deadline": ext.deadline.isoformat(),
            },
            "pauses": [
                {
                    "reason": p.pause.reason.value,
                    "requested_at": p.pause.requested_at.isoformat(),
                    "resumed_at": p.pause.resumed_at.isoformat() if p.pause.resumed_at else None,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "open": p.open,
                    "counted": p.counted,
                    "days": p.days,
                    "request_delay_working_days": p.request_delay_working_days,
                }
                for p in self.pauses
            ],
            "paused_days": self.paused_days,
            "adjusted_deadline": self.adjusted_deadline.isoformat() if self.adjusted_deadline else None,
            "adjusted_basis": RULE_PAUSE if self.adjusted_deadline else None,
            "due": self.due.isoformat(),
            "policy_days": self.policy_days,
            "explanation": [s.to_dict() for s in self.explanation],
            "explanation_nl": self.explain("nl"),
            "explanation_en": self.explain("en"),
        }


def compute_deadline(received_at: datetime, *, tz: ZoneInfo = AMSTERDAM, policy_days: int = 30) -> Deadline:
    """The Art. 12(3) AVG deadline of a request received at ``received_at``.

    ``policy_days`` is NHMB's own promise ("binnen 30 dagen"); the internal target is the
    earlier of it and the un-rolled month date, because a legal month can be shorter than
    30 days (31 Jan 2027 -> 28 Feb) and the rolled date is only the legal ceiling.
    """
    if policy_days < 1:
        raise ValueError(f"policy_days must be at least 1, got {policy_days}")
    receipt_date = _local_date(received_at, tz, "received_at")
    local = received_at.astimezone(tz)
    steps: list[Step] = []

    # Art. 3(1) Reg. 1182/71: the day of receipt itself is not counted.
    given_nl = given_en = ""
    if received_at.utcoffset() != local.utcoffset() or received_at.tzinfo is not tz:
        given_nl = f"; opgegeven als {received_at.isoformat()}"
        given_en = f"; given as {received_at.isoformat()}"
    clock = local.strftime("%H:%M")
    steps.append(
        Step(
            StepKind.RECEIPT,
            receipt_date,
            RULE_RECEIPT,
            f"Ontvangen op {_fmt(receipt_date, 'nl')} om {clock} ({tz.key}{given_nl}). De dag"
            " van ontvangst telt niet mee (art. 3 lid 1 Verordening 1182/71).",
            f"Received on {_fmt(receipt_date, 'en')} at {clock} ({tz.key}{given_en}). The day"
            " of receipt is not counted (Art. 3(1) Reg. 1182/71).",
        )
    )
    # Art. 12(3) AVG, counted per Art. 3(2)(c) Reg. 1182/71 (EDPB §160).
    month_date, step = _month_step(receipt_date, 1, RULE_MONTH)
    steps.append(step)
    # Art. 3(4) Reg. 1182/71: weekend or holiday -> next working day.
    legal, step = _roll_step(month_date, "wettelijke termijn", "legal deadline")
    steps.append(step)

    policy_date = receipt_date + timedelta(days=policy_days)
    internal = min(month_date, policy_date)
    steps.append(
        Step(
            StepKind.INTERNAL_TARGET,
            internal,
            RULE_POLICY,
            f"Interne streefdatum: de vroegste van de ongeschoven maanddatum"
            f" ({_fmt(month_date, 'nl')}) en ontvangst + {policy_days} dagen volgens de"
            f" privacyverklaring ({_fmt(policy_date, 'nl')}): {_fmt(internal, 'nl')}.",
            f"Internal target: the earlier of the un-rolled month date"
            f" ({_fmt(month_date, 'en')}) and receipt + {policy_days} days per the privacy"
            f" policy ({_fmt(policy_date, 'en')}): {_fmt(internal, 'en')}.",
        )
    )
    # Art. 12(3) AVG: an extension must be announced "within one month of receipt"; that
    # period is computed (and rolled) like the answer period itself.
    steps.append(
        Step(
            StepKind.EXTENSION_NOTICE,
            legal,
            RULE_EXTENSION,
            f"Verlengen met ten hoogste twee maanden kan alleen als de betrokkene dat,"
            f" met redenen, uiterlijk {_fmt(legal, 'nl')} te horen krijgt (art. 12 lid 3 AVG).",
            f"An extension by up to two months is possible only if the data subject is told,"
            f" with reasons, by {_fmt(legal, 'en')} at the latest (Art. 12(3) GDPR).",
        )
    )
    return Deadline(
        received_at=local,
        tz=tz,
        policy_days=policy_days,
        receipt_date=receipt_date,
        month_date=month_date,
        legal_deadline=legal,
        internal_target=internal,
        extension_notice_by=legal,
        explanation=tuple(steps),
    )


def _strip(steps: Sequence[Step], kinds: set[StepKind]) -> list[Step]:
    return [s for s in steps if s.kind not in kinds]


# Steps recomputed by every extend()/apply_pauses() call; the rest is kept as it was.
_DERIVED_KINDS = {
    StepKind.PAUSE,
    StepKind.PAUSE_NOT_COUNTED,
    StepKind.ADJUSTED,
    StepKind.INTERNAL_TARGET_MOVED,
}


def _finish(deadline: Deadline, base_steps: list[Step]) -> Deadline:
    """Recompute what follows from the extension and the pauses: adjusted date and target.

    Pause days are added to the *un-rolled* month date and the sum is rolled once
    (Art. 3(4) applies to the last day of the whole, suspended, period). That is never
    later than adding them to the already rolled date, so it is the safe reading.
    """
    ext = deadline.extension
    unrolled = ext.month_date if ext else deadline.month_date
    rolled = ext.deadline if ext else deadline.legal_deadline
    base_target = min(deadline.month_date, deadline.receipt_date + timedelta(days=deadline.policy_days))
    # After an extension the 30-day promise is void by definition (the requester was told
    # otherwise); the team then aims at the un-rolled extended month date.
    target = ext.month_date if ext else base_target
    steps = list(base_steps)
    for effect in deadline.pauses:
        steps.append(_pause_step(effect))
    adjusted: date | None = None
    if deadline.paused_days > 0:
        moved = unrolled + timedelta(days=deadline.paused_days)
        label_nl = "verlengde termijn" if ext else "oorspronkelijke termijn"
        label_en = "extended deadline" if ext else "original deadline"
        total_nl = sum(p.days for p in deadline.pauses)
        overlap_nl = overlap_en = ""
        if total_nl != deadline.paused_days:
            overlap_nl = " (overlappende pauzes één keer geteld)"
            overlap_en = " (overlapping pauses counted once)"
        steps.append(
            Step(
                StepKind.ADJUSTED,
                moved,
                RULE_PAUSE,
                f"Klok stilgezet: {_days(deadline.paused_days, 'nl')}{overlap_nl}. Aangepaste"
                f" termijn = ongeschoven {label_nl} ({_fmt(unrolled, 'nl')}) +"
                f" {_days(deadline.paused_days, 'nl')} = {_fmt(moved, 'nl')}. Dit steunt op EDPB"
                f" Richtsnoeren 01/2022 §159, niet op de tekst van art. 12 lid 3 AVG; de"
                f" {label_nl} ({_fmt(rolled, 'nl')}) blijft zichtbaar.",
                f"Clock paused: {_days(deadline.paused_days, 'en')}{overlap_en}. Adjusted deadline"
                f" = un-rolled {label_en} ({_fmt(unrolled, 'en')}) +"
                f" {_days(deadline.paused_days, 'en')} = {_fmt(moved, 'en')}. This rests on EDPB"
                f" Guidelines 01/2022 §159, not on the text of Art. 12(3) GDPR; the {label_en}"
                f" ({_fmt(rolled, 'en')}) stays visible.",
            )
        )
        adjusted, step = _roll_step(moved, "aangepaste termijn", "adjusted deadline")
        steps.append(replace(step, kind=StepKind.ADJUSTED, rule=f"{RULE_PAUSE}; {RULE_ROLL}"))
        target = target + timedelta(days=deadline.paused_days)
    due = adjusted or rolled
    target = min(target, due)
    if target != base_target:
        why_nl = "de verlengde maanddatum (ongeschoven)" if ext else "de oorspronkelijke streefdatum"
        why_en = "the un-rolled extended month date" if ext else "the original target"
        if deadline.paused_days:
            why_nl += f" + {_days(deadline.paused_days, 'nl')} pauze"
            why_en += f" + {_days(deadline.paused_days, 'en')} of pause"
        steps.append(
            Step(
                StepKind.INTERNAL_TARGET_MOVED,
                target,
                RULE_POLICY,
                f"Interne streefdatum aangepast naar {why_nl}, nooit na de termijn die nu"
                f" geldt: {_fmt(target, 'nl')}.",
                f"Internal target moved to {why_en}, never after the deadline that now"
                f" applies: {_fmt(target, 'en')}.",
            )
        )
    return replace(deadline, adjusted_deadline=adjusted, internal_target=target, explanation=tuple(steps))


def extend(deadline: Deadline, *, months: int = 2, at: datetime, reason: str) -> Deadline:
    """Extend under Art. 12(3) AVG by ``months`` further months (total at most two).

    Allowed only at a moment on or before the end of ``extension_notice_by`` in Amsterdam:
    the requester must be told "within one month of receipt", and a late extension is no
    extension (legal-notes §1.2). The extended deadline is counted from receipt (receipt +
    1 + months months, clamped and rolled), not from the first deadline, which is never
    later and so the safe reading. Pauses already applied are kept as evaluated; a second
    extension (1 + 1 month) replaces the first one's steps.
    """
    _require_aware(at, "at")
    if not isinstance(months, int) or not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidOperation(
            f"Verlenging kan met 1 of 2 maanden, niet {months!r} (art. 12 lid 3 AVG) /"
            f" an extension is by 1 or 2 months, not {months!r}"
        )
    if not reason or not reason.strip():
        raise InvalidOperation(
            "Een verlenging vereist een reden die aan de betrokkene wordt meegedeeld"
            " (art. 12 lid 3 AVG) / an extension needs a reason for the data subject"
        )
    previous = deadline.extension.months if deadline.extension else 0
    total = previous + months
    if total > MAX_EXTENSION_MONTHS:
        raise InvalidOperation(
            f"Al met {_months(previous, 'nl')} verlengd; samen ten hoogste twee maanden"
            f" (art. 12 lid 3 AVG) / already extended by {_months(previous, 'en')}; at most"
            " two further months in total"
        )
    if at < deadline.received_at:
        raise InvalidOperation(
            f"Verlenging op {at.isoformat()} ligt vóór de ontvangst van het verzoek /"
            f" an extension at {at.isoformat()} precedes the receipt of the request"
        )
    if at > _end_of_day(deadline.extension_notice_by, deadline.tz):
        notice_by = deadline.extension_notice_by
        raise InvalidOperation(
            f"De termijn om een verlenging aan te kondigen is verstreken op"
            f" {_fmt(notice_by, 'nl')} (art. 12 lid 3 AVG: binnen één maand na ontvangst) /"
            f" the deadline for announcing an extension passed on {notice_by.isoformat()}"
        )
    local_at = at.astimezone(deadline.tz)
    month_date, month_step = _month_step(
        deadline.receipt_date,
        1 + total,
        RULE_EXTENSION + "; Art. 3(2)(c) Reg. 1182/71",
    )
    rolled, roll_step = _roll_step(month_date, "verlengde termijn", "extended deadline")
    clean_reason = reason.strip()
    intro = Step(
        StepKind.EXTENSION,
        local_at.date(),
        RULE_EXTENSION,
        f"Verlengd met {_months(total, 'nl')} op {_fmt(local_at.date(), 'nl')} om"
        f" {local_at:%H:%M}, vóór het einde van de eerste maand"
        f" ({_fmt(deadline.legal_deadline, 'nl')});"
        f" reden: {clean_reason}. De kennisgeving met redenen moet uiterlijk"
        f" {_fmt(deadline.extension_notice_by, 'nl')} verstuurd zijn (art. 12 lid 3 AVG).",
        f"Extended by {_months(total, 'en')} on {_fmt(local_at.date(), 'en')} at"
        f" {local_at:%H:%M}, before the first month ended"
        f" ({_fmt(deadline.legal_deadline, 'en')});"
        f" reason: {clean_reason}. The notice with reasons must go out by"
        f" {_fmt(deadline.extension_notice_by, 'en')} (Art. 12(3) GDPR).",
    )
    ext = Extension(total, local_at, clean_reason, month_date, rolled)
    # A second extension (1 + 1 month) replaces the first one's steps.
    base = _strip(deadline.explanation, _DERIVED_KINDS | {StepKind.EXTENSION})
    base += [
        intro,
        replace(month_step, kind=StepKind.EXTENSION),
        replace(roll_step, kind=StepKind.EXTENSION, rule=f"{RULE_EXTENSION}; {RULE_ROLL}"),
    ]
    return _finish(replace(deadline, extension=ext), base)


def _merged_days(intervals: Iterable[tuple[date, date]]) -> int:
    """Calendar days covered by the union of [start, end) intervals (overlaps count once)."""
    total = 0
    current: tuple[date, date] | None = None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current is not None:
                total += (current[1] - current[0]).days
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += (current[1] - current[0]).days
    return total


def _pause_step(effect: PauseEffect) -> Step:
    p = effect.pause
    why_nl, why_en = _PAUSE_REASON_NL[p.reason], _PAUSE_REASON_EN[p.reason]
    until_nl = "nu (nog open)" if effect.open else _fmt(effect.end, "nl")
    until_en = "now (still open)" if effect.open else _fmt(effect.end, "en")
    if effect.counted:
        return Step(
            StepKind.PAUSE,
            effect.start,
            RULE_PAUSE,
            f"Pauze ({why_nl}) van {_fmt(effect.start, 'nl')} tot {until_nl}:"
            f" {_days(effect.days, 'nl')}. Het verzoek om informatie ging"
            f" {_working_days(effect.request_delay_working_days, 'nl')} na"
            " ontvangst uit, dus zonder onnodige vertraging (EDPB Richtsnoeren 01/2022 §159).",
            f"Pause ({why_en}) from {_fmt(effect.start, 'en')} to {until_en}:"
            f" {_days(effect.days, 'en')}. The request for information went out"
            f" {_working_days(effect.request_delay_working_days, 'en')} after receipt, so without"
            " undue delay (EDPB Guidelines 01/2022 §159).",
        )
    return Step(
        StepKind.PAUSE_NOT_COUNTED,
        effect.start,
        RULE_PAUSE,
        f"Pauze ({why_nl}) van {_fmt(effect.start, 'nl')} tot {until_nl} telt niet mee: het"
        f" verzoek om informatie ging pas {effect.request_delay_working_days} werkdagen na"
        " ontvangst uit, niet zonder onnodige vertraging (EDPB Richtsnoeren 01/2022 §159).",
        f"Pause ({why_en}) from {_fmt(effect.start, 'en')} to {until_en} does not count: the"
        f" request for information went out only {effect.request_delay_working_days} working"
        " days after receipt, not without undue delay (EDPB Guidelines 01/2022 §159).",
    )


def apply_pauses(
    deadline: Deadline,
    pauses: Sequence[Pause],
    *,
    now: datetime,
    max_request_delay_working_days: int = 5,
) -> Deadline:
    """Suspend the clock while waiting for identity or clarification (EDPB §159).

    ``pauses`` is the case's complete list; it replaces any earlier one, so calling this
    again after a resume is idempotent. A pause counts only if its request for information
    went out within ``max_request_delay_working_days`` working days of receipt ("without
    undue delay"). Its length is the number of calendar days between the local dates of
    request and resumption (an open pause runs to ``now``); overlapping pauses count once.
    The announcement window for an extension is NOT moved by pauses: §159 is a soft rule,
    and the earlier date is safe.
    """
    _require_aware(now, "now")
    if max_request_delay_working_days < 0:
        raise ValueError("max_request_delay_working_days must not be negative")
    tz = deadline.tz
    effects: list[PauseEffect] = []
    for pause in pauses:
        _require_aware(pause.requested_at, "Pause.requested_at")
        if pause.requested_at < deadline.received_at:
            raise ValueError("a pause cannot start before the request was received")
        if pause.resumed_at is not None:
            _require_aware(pause.resumed_at, "Pause.resumed_at")
            if pause.resumed_at < pause.requested_at:
                raise ValueError("a pause cannot end before it starts")
            end_moment, is_open = pause.resumed_at, False
        else:
            if now < pause.requested_at:
                raise ValueError("now is before the start of an open pause")
            end_moment, is_open = now, True
        start = pause.requested_at.astimezone(tz).date()
        end = end_moment.astimezone(tz).date()
        delay = working_days_between(deadline.receipt_date, start)
        counted = delay <= max_request_delay_working_days
        days = (end - start).days if counted else 0
        effects.append(PauseEffect(pause, start, end, is_open, counted, days, delay))
    paused = _merged_days((e.start, e.end) for e in effects if e.counted)
    base = _strip(deadline.explanation, _DERIVED_KINDS)
    return _finish(replace(deadline, pauses=tuple(effects), paused_days=paused), base)


# ---------------------------------------------------------------------------
# Complaints and risk
# ---------------------------------------------------------------------------


def complaint_target(received_at: datetime, *, tz: ZoneInfo = AMSTERDAM, months: int = 1) -> date:
    """Internal target for a complaint: no statutory clock exists (legal-notes §5).

    Computed like the Art. 12(3) month (day of receipt excluded, clamped, rolled to a
    working day) so a complaint and a rights request received together share a date.
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    month_date, _ = add_months(_local_date(received_at, tz, "received_at"), months)
    return roll_forward(month_date)


class RiskLevel(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Risk:
    """Where a deadline stands relative to "now"."""

    level: RiskLevel
    working_days_left: int
    """Working days after today up to and including the deadline (0 when due today)."""
    days_overdue: int
    """Calendar days since the deadline day ended (0 unless overdue)."""


def risk(
    deadline_date: date,
    *,
    now: datetime,
    tz: ZoneInfo = AMSTERDAM,
    at_risk_working_days: int = 5,
) -> Risk:
    """Overdue once the deadline day has ended in ``tz``; at risk within N working days.

    A period ends "with the expiry of the last hour" of its last day (Art. 3(2)(c)), so a
    case due today is at risk, not overdue.
    """
    today = _local_date(now, tz, "now")
    if today > deadline_date:
        return Risk(RiskLevel.OVERDUE, 0, (today - deadline_date).days)
    left = working_days_between(today, deadline_date)
    level = RiskLevel.AT_RISK if left <= at_risk_working_days else RiskLevel.OK
    return Risk(level, left, 0)
