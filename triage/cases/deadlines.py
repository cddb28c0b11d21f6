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
* Public holidays: see :mod:`avgdesk.triage.cases.calendar`. The certain ones of the
  Algemene termijnenwet art. 3 lid 1 roll a deadline forward; Goede Vrijdag (lid 2) and
  the decree days (lid 3) are added with the same words and are equally uncertain for an
  EU-law period, so a deadline is never rolled past them: the earlier date is safe, and
  the explanation says so when it matters.
* The receipt date is the calendar date in Europe/Amsterdam at the moment the request
  reached an official channel (EDPB §159): a mail at 23:30 UTC on 30 January is a
  31 January request.
* Extension (Art. 12(3), second and third sentence): by up to two further months, and
  only if announced, with reasons, within the first month. After that it is refused.
  The two further months are counted on the earlier of two readings (legal-notes §1.2):
  receipt + 1 + N months, or N months after the (un-rolled) end of the first month. At
  month ends they differ (31 Jan 2027: 30 Apr vs 28 Apr) and the earlier is promised.
* The internal target (NHMB's "30 dagen", or the month date if earlier) never falls on a
  weekend or holiday: it moves back to the previous working day (earlier is safe).
* Pause (EDPB Guidelines 01/2022 §159, a soft rule without a basis in the text of
  Art. 12(3)): while waiting for identity or clarification the clock may be suspended,
  provided the controller asked without undue delay. The original deadline always stays
  visible; the adjusted one is marked as resting on §159.
* Complaints have no statutory clock (§5); they get an internal target only.

Everything a caller sees is a frozen dataclass, and every deadline carries its own
explanation, both structured (:class:`Step`) and as Dutch and English text
(:mod:`avgdesk.triage.cases.explain`). This module does the arithmetic only; it
re-exports the calendar and explanation names its callers have always imported from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

# mypy cannot follow setuptools' editable-install finder that maps avgdesk.* onto the root
# folders (the same error appears for triage/settings.py); "unused-ignore" keeps this line
# clean once the project configures mypy_path or a strict editable install.
from avgdesk.models.errors import InvalidOperation  # type: ignore[import-not-found,unused-ignore]
from avgdesk.models.vocabulary import PAUSE_REASON_EN, PAUSE_REASON_NL, PauseReason
from avgdesk.triage.cases.calendar import (
    AMSTERDAM,
    Lang,
    add_months,
    add_working_days,
    holiday_name,
    is_working_day,
    roll_back,
    roll_forward,
    uncertain_holiday,
    working_days_between,
)
from avgdesk.triage.cases.explain import (
    RULE_COMPLAINT,
    RULE_EXTENSION,
    RULE_MONTH,
    RULE_PAUSE,
    RULE_POLICY,
    RULE_RECEIPT,
    RULE_ROLL,
    SkippedDay,
    Step,
    StepKind,
    month_step,
    roll_step,
    target_rolled_back_note,
)
from avgdesk.triage.cases.explain import days as _days
from avgdesk.triage.cases.explain import fmt as _fmt
from avgdesk.triage.cases.explain import months as _months
from avgdesk.triage.cases.explain import working_days as _working_days

__all__ = [
    "AMSTERDAM",
    "MAX_EXTENSION_MONTHS",
    "RULE_COMPLAINT",
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
    "extended_month_date",
    "holiday_name",
    "is_working_day",
    "parse_received_at",
    "preview_extension",
    "risk",
    "roll_back",
    "roll_forward",
    "uncertain_holiday",
    "working_days_between",
]

#: Art. 12(3) AVG: "extended by two further months" — at most two.
MAX_EXTENSION_MONTHS = 2


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
    at: datetime | None
    """When staff extended; None for a preview (``avgdesk deadline --extension-months``)."""
    reason: str | None
    month_date: date
    """The earlier of receipt + 1 + ``months`` months and ``months`` months after the
    un-rolled end of the first month, before rolling (legal-notes §1.2)."""
    deadline: date
    """The extended legal deadline (rolled)."""


_PAUSE_REASON_NL = PAUSE_REASON_NL
_PAUSE_REASON_EN = PAUSE_REASON_EN


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
        if self.extension is not None and self.extension.at is not None:
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
                "at": ext.at.isoformat() if ext.at else None,
                "preview": ext.at is None,
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


def _receipt_step(received_at: datetime, local: datetime, receipt_date: date, tz: ZoneInfo) -> Step:
    """Art. 3(1) Reg. 1182/71: the day of receipt itself is not counted."""
    given_nl = given_en = ""
    if received_at.utcoffset() != local.utcoffset() or received_at.tzinfo is not tz:
        given_nl = f"; opgegeven als {received_at.isoformat()}"
        given_en = f"; given as {received_at.isoformat()}"
    clock = local.strftime("%H:%M")
    return Step(
        StepKind.RECEIPT,
        receipt_date,
        RULE_RECEIPT,
        f"Ontvangen op {_fmt(receipt_date, 'nl')} om {clock} ({tz.key}{given_nl}). De dag"
        " van ontvangst telt niet mee (art. 3 lid 1 Verordening 1182/71).",
        f"Received on {_fmt(receipt_date, 'en')} at {clock} ({tz.key}{given_en}). The day"
        " of receipt is not counted (Art. 3(1) Reg. 1182/71).",
    )


def _target_step(receipt_date: date, month_date: date, policy_days: int) -> tuple[date, Step]:
    """The internal target: the earlier of the month date and the policy's N days, moved
    back to a working day (issue 14 item 10: a target on a Saturday helps nobody)."""
    policy_date = receipt_date + timedelta(days=policy_days)
    earlier = min(month_date, policy_date)
    internal = roll_back(earlier)
    back_nl, back_en = target_rolled_back_note(earlier, internal)
    return internal, Step(
        StepKind.INTERNAL_TARGET,
        internal,
        RULE_POLICY,
        f"Interne streefdatum: de vroegste van de ongeschoven maanddatum"
        f" ({_fmt(month_date, 'nl')}) en ontvangst + {policy_days} dagen volgens de"
        f" privacyverklaring ({_fmt(policy_date, 'nl')}): {_fmt(earlier, 'nl')}.{back_nl}",
        f"Internal target: the earlier of the un-rolled month date"
        f" ({_fmt(month_date, 'en')}) and receipt + {policy_days} days per the privacy"
        f" policy ({_fmt(policy_date, 'en')}): {_fmt(earlier, 'en')}.{back_en}",
    )


def _notice_step(legal: date) -> Step:
    """Art. 12(3): an extension must be announced "within one month of receipt"; that
    period is computed (and rolled) like the answer period itself."""
    return Step(
        StepKind.EXTENSION_NOTICE,
        legal,
        RULE_EXTENSION,
        f"Verlengen met ten hoogste twee maanden kan alleen als de betrokkene dat,"
        f" met redenen, uiterlijk {_fmt(legal, 'nl')} te horen krijgt (art. 12 lid 3 AVG)."
        " Drukte alleen is geen reden (EDPB Richtsnoeren 01/2022 §162-164).",
        f"An extension by up to two months is possible only if the data subject is told,"
        f" with reasons, by {_fmt(legal, 'en')} at the latest (Art. 12(3) GDPR)."
        " Workload alone is no reason (EDPB Guidelines 01/2022 §162-164).",
    )


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
    steps = [_receipt_step(received_at, local, receipt_date, tz)]
    # Art. 12(3) AVG, counted per Art. 3(2)(c) Reg. 1182/71 (EDPB §160).
    month_date, step = month_step(receipt_date, 1, RULE_MONTH)
    steps.append(step)
    # Art. 3(4) Reg. 1182/71: weekend or (certain) holiday -> next working day.
    legal, step = roll_step(month_date, "wettelijke termijn", "legal deadline")
    steps.append(step)
    internal, step = _target_step(receipt_date, month_date, policy_days)
    steps += [step, _notice_step(legal)]
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


def _adjusted_steps(deadline: Deadline, unrolled: date, rolled: date) -> tuple[date, list[Step]]:
    """The pause-adjusted deadline: counted pause days added to the un-rolled date, rolled."""
    ext = deadline.extension
    moved = unrolled + timedelta(days=deadline.paused_days)
    label_nl = "verlengde termijn" if ext else "oorspronkelijke termijn"
    label_en = "extended deadline" if ext else "original deadline"
    overlap_nl = overlap_en = ""
    if sum(p.days for p in deadline.pauses) != deadline.paused_days:
        overlap_nl = " (overlappende pauzes één keer geteld)"
        overlap_en = " (overlapping pauses counted once)"
    paused_nl, paused_en = _days(deadline.paused_days, "nl"), _days(deadline.paused_days, "en")
    first = Step(
        StepKind.ADJUSTED,
        moved,
        RULE_PAUSE,
        f"Klok stilgezet: {paused_nl}{overlap_nl}. Aangepaste termijn = ongeschoven {label_nl}"
        f" ({_fmt(unrolled, 'nl')}) + {paused_nl} = {_fmt(moved, 'nl')}. Dit steunt op EDPB"
        f" Richtsnoeren 01/2022 §159, niet op de tekst van art. 12 lid 3 AVG; de"
        f" {label_nl} ({_fmt(rolled, 'nl')}) blijft zichtbaar.",
        f"Clock paused: {paused_en}{overlap_en}. Adjusted deadline = un-rolled {label_en}"
        f" ({_fmt(unrolled, 'en')}) + {paused_en} = {_fmt(moved, 'en')}. This rests on EDPB"
        f" Guidelines 01/2022 §159, not on the text of Art. 12(3) GDPR; the {label_en}"
        f" ({_fmt(rolled, 'en')}) stays visible.",
    )
    adjusted, step = roll_step(moved, "aangepaste termijn", "adjusted deadline")
    return adjusted, [first, replace(step, kind=StepKind.ADJUSTED, rule=f"{RULE_PAUSE}; {RULE_ROLL}")]


def _base_target(deadline: Deadline) -> date:
    return roll_back(min(deadline.month_date, deadline.receipt_date + timedelta(days=deadline.policy_days)))


def _moved_target_step(deadline: Deadline, target: date) -> Step:
    ext = deadline.extension
    why_nl = "de verlengde maanddatum (ongeschoven)" if ext else "de oorspronkelijke streefdatum"
    why_en = "the un-rolled extended month date" if ext else "the original target"
    if deadline.paused_days:
        why_nl += f" + {_days(deadline.paused_days, 'nl')} pauze"
        why_en += f" + {_days(deadline.paused_days, 'en')} of pause"
    return Step(
        StepKind.INTERNAL_TARGET_MOVED,
        target,
        RULE_POLICY,
        f"Interne streefdatum aangepast naar {why_nl}, nooit na de termijn die nu geldt en"
        f" nooit op een weekend of feestdag: {_fmt(target, 'nl')}.",
        f"Internal target moved to {why_en}, never after the deadline that now applies and"
        f" never on a weekend or holiday: {_fmt(target, 'en')}.",
    )


def _finish(deadline: Deadline, base_steps: list[Step]) -> Deadline:
    """Recompute what follows from the extension and the pauses: adjusted date and target.

    Pause days are added to the *un-rolled* month date and the sum is rolled once
    (Art. 3(4) applies to the last day of the whole, suspended, period). That is never
    later than adding them to the already rolled date, so it is the safe reading.
    """
    ext = deadline.extension
    unrolled = ext.month_date if ext else deadline.month_date
    rolled = ext.deadline if ext else deadline.legal_deadline
    base_target = _base_target(deadline)
    # After an extension the 30-day promise is void by definition (the requester was told
    # otherwise); the team then aims at the un-rolled extended month date.
    target = (
        ext.month_date
        if ext
        else min(deadline.month_date, deadline.receipt_date + timedelta(days=deadline.policy_days))
    )
    steps = list(base_steps)
    steps += [_pause_step(effect) for effect in deadline.pauses]
    adjusted: date | None = None
    if deadline.paused_days > 0:
        adjusted, more = _adjusted_steps(deadline, unrolled, rolled)
        steps += more
        target = target + timedelta(days=deadline.paused_days)
    target = roll_back(min(target, adjusted or rolled))
    if target != base_target:
        steps.append(_moved_target_step(deadline, target))
    return replace(deadline, adjusted_deadline=adjusted, internal_target=target, explanation=tuple(steps))


def extended_month_date(deadline: Deadline, months: int) -> tuple[date, date, date]:
    """The un-rolled end of an extension by ``months`` further months, on the safe reading.

    Returns (chosen, from_receipt, from_first_month): receipt + 1 + N months, and N months
    after the un-rolled end of the first month; the earlier is chosen (legal-notes §1.2).
    Clamping only ever shortens, so the second is never later than the first.
    """
    from_receipt, _ = add_months(deadline.receipt_date, 1 + months)
    from_first, _ = add_months(deadline.month_date, months)
    return min(from_receipt, from_first), from_receipt, from_first


def _extension_steps(deadline: Deadline, total: int) -> tuple[date, date, list[Step]]:
    """Month date (both readings, the earlier chosen) and its roll, explained."""
    rule = RULE_EXTENSION + "; Art. 3(2)(c) Reg. 1182/71; legal-notes §1.2"
    chosen, from_receipt, from_first = extended_month_date(deadline, total)
    _, receipt_step = month_step(deadline.receipt_date, 1 + total, rule, kind=StepKind.EXTENSION)
    _, first_step = month_step(
        deadline.month_date,
        total,
        rule,
        after_nl="na het einde van de eerste maand",
        after_en="after the end of the first month",
        kind=StepKind.EXTENSION,
    )
    if from_first < from_receipt:
        choice_nl = f" Twee lezingen verschillen; de vroegere geldt: {_fmt(chosen, 'nl')}."
        choice_en = f" The two readings differ; the earlier applies: {_fmt(chosen, 'en')}."
    else:
        choice_nl = " Beide lezingen geven dezelfde datum."
        choice_en = " Both readings give the same date."
    second = replace(first_step, date=chosen, nl=first_step.nl + choice_nl, en=first_step.en + choice_en)
    rolled, roll = roll_step(chosen, "verlengde termijn", "extended deadline", kind=StepKind.EXTENSION)
    return chosen, rolled, [receipt_step, second, replace(roll, rule=f"{RULE_EXTENSION}; {RULE_ROLL}")]


def _check_extension(deadline: Deadline, months: int) -> int:
    """Validate the number of months; return the total (a second 1 + 1 month adds up)."""
    if not isinstance(months, int) or not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidOperation(
            f"Verlenging kan met 1 of 2 maanden, niet {months!r} (art. 12 lid 3 AVG) /"
            f" an extension is by 1 or 2 months, not {months!r}"
        )
    previous = deadline.extension.months if deadline.extension and deadline.extension.at else 0
    total = previous + months
    if total > MAX_EXTENSION_MONTHS:
        raise InvalidOperation(
            f"Al met {_months(previous, 'nl')} verlengd; samen ten hoogste twee maanden"
            f" (art. 12 lid 3 AVG) / already extended by {_months(previous, 'en')}; at most"
            " two further months in total"
        )
    return total


def preview_extension(deadline: Deadline, months: int) -> Deadline:
    """What an extension by ``months`` would give, without staff or a moment (for
    ``avgdesk deadline --extension-months N``): ``extended_deadline`` and its steps."""
    total = _check_extension(deadline, months)
    month_date, rolled, steps = _extension_steps(deadline, total)
    intro = Step(
        StepKind.EXTENSION,
        None,
        RULE_EXTENSION,
        f"Bij verlenging met {_months(total, 'nl')} (alleen met redenen, aangekondigd uiterlijk"
        f" {_fmt(deadline.extension_notice_by, 'nl')}):",
        f"If extended by {_months(total, 'en')} (only with reasons, announced by"
        f" {_fmt(deadline.extension_notice_by, 'en')}):",
    )
    ext = Extension(total, None, None, month_date, rolled)
    # A preview changes no date that applies now: due and the internal target stay.
    base = _strip(deadline.explanation, {StepKind.EXTENSION})
    return replace(deadline, extension=ext, explanation=(*base, intro, *steps))


def extend(deadline: Deadline, *, months: int = 2, at: datetime, reason: str) -> Deadline:
    """Extend under Art. 12(3) AVG by ``months`` further months (total at most two).

    Allowed only at a moment on or before the end of ``extension_notice_by`` in Amsterdam:
    the requester must be told "within one month of receipt", and a late extension is no
    extension (legal-notes §1.2). The extended deadline is the earlier of receipt + 1 +
    months months and months months after the un-rolled end of the first month (clamped,
    then rolled): the safe reading. Pauses already applied are kept as evaluated; a
    second extension (1 + 1 month) replaces the first one's steps.
    """
    _require_aware(at, "at")
    total = _check_extension(deadline, months)
    if not reason or not reason.strip():
        raise InvalidOperation(
            "Een verlenging vereist een reden die aan de betrokkene wordt meegedeeld"
            " (art. 12 lid 3 AVG) / an extension needs a reason for the data subject"
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
    month_date, rolled, steps = _extension_steps(deadline, total)
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
    return _finish(replace(deadline, extension=ext), [*base, intro, *steps])


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
