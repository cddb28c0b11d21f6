"""How a deadline explains itself: the steps, their rules and their Dutch and English texts.

Every function here builds text from dates the arithmetic in
:mod:`avgdesk.triage.cases.deadlines` already computed; nothing here decides a date,
except that :func:`roll_step` and :func:`month_step` apply the calendar rule whose
outcome they explain (so the date shown and the text can never disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from avgdesk.models.vocabulary import MONTHS_EN, MONTHS_NL
from avgdesk.triage.cases.calendar import (
    DECREE_DAYS,
    Lang,
    add_months,
    decree_days_known,
    decree_warning,
    holiday_name,
    is_working_day,
    uncertain_holiday,
)

__all__ = [
    "RULE_COMPLAINT",
    "RULE_EXTENSION",
    "RULE_MONTH",
    "RULE_PAUSE",
    "RULE_POLICY",
    "RULE_RECEIPT",
    "RULE_ROLL",
    "SkippedDay",
    "Step",
    "StepKind",
    "days",
    "fmt",
    "month_step",
    "months",
    "roll_step",
    "working_days",
]

# Rule citations, kept in one place so the explanation and the code agree.
RULE_RECEIPT = "Art. 3(1) Reg. 1182/71; EDPB Guidelines 01/2022 §159"
RULE_MONTH = "Art. 12(3) AVG; Art. 3(2)(c) Reg. 1182/71; EDPB Guidelines 01/2022 §160"
RULE_ROLL = "Art. 3(4) Reg. 1182/71; Algemene termijnenwet art. 3"
RULE_POLICY = "NHMB privacyverklaring (30 dagen)"
RULE_EXTENSION = "Art. 12(3) AVG"
RULE_PAUSE = "EDPB Guidelines 01/2022 §159"
RULE_COMPLAINT = "Intern (geen wettelijke termijn)"

_NL_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NL_MONTHS = MONTHS_NL
EN_MONTHS = MONTHS_EN


def fmt(d: date, lang: Lang) -> str:
    """Format a date the way staff write it ("dinsdag 7 april 2026"), locale-independent."""
    if lang == "nl":
        return f"{_NL_DAYS[d.weekday()]} {d.day} {NL_MONTHS[d.month - 1]} {d.year}"
    return f"{_EN_DAYS[d.weekday()]} {d.day} {EN_MONTHS[d.month - 1]} {d.year}"


def days(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} dag" if n == 1 else f"{n} dagen"
    return f"{n} day" if n == 1 else f"{n} days"


def working_days(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} werkdag" if n == 1 else f"{n} werkdagen"
    return f"{n} working day" if n == 1 else f"{n} working days"


def months(n: int, lang: Lang) -> str:
    if lang == "nl":
        return f"{n} maand" if n == 1 else f"{n} maanden"
    return f"{n} month" if n == 1 else f"{n} months"


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
        return f"{fmt(self.date, lang)} ({holiday or 'weekend'})"

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
    """Roll forward like ``calendar.roll_forward``, recording every day passed over."""
    skipped: list[SkippedDay] = []
    d = start
    while not is_working_day(d):
        skipped.append(SkippedDay(d, d.weekday() >= 5, holiday_name(d, "nl"), holiday_name(d, "en")))
        d += timedelta(days=1)
    return d, tuple(skipped)


def uncertain_note(d: date) -> tuple[str, str]:
    """Why the period was not rolled past Goede Vrijdag or a decree day (empty if n/a)."""
    name_nl, name_en = uncertain_holiday(d, "nl"), uncertain_holiday(d, "en")
    known = decree_days_known(d.year)
    # Never silent about a year whose decree days avgdesk does not know.
    warn = ("", "") if known else (f" {decree_warning(d, 'nl')}", f" {decree_warning(d, 'en')}")
    if name_nl is None or name_en is None:
        return warn
    lid = "3" if d in DECREE_DAYS else "2"
    nl = (
        f" {fmt(d, 'nl').capitalize()} is {name_nl}. De Algemene termijnenwet (art. 3 lid"
        f" {lid}) stelt die dag gelijk aan een feestdag, met dezelfde woorden voor Goede"
        " Vrijdag en voor de dagen bij Koninklijk Besluit; of dat ook voor deze termijn"
        " geldt is onzeker. Daarom telt de dag hier als werkdag en schuift de termijn er"
        " niet overheen: bij twijfel geldt de vroegere datum."
    )
    en = (
        f" {fmt(d, 'en')} is {name_en}. The Algemene termijnenwet (art. 3({lid})) makes it"
        " equal to a public holiday, in the same words for Good Friday and for the days"
        " set by Royal Decree; whether that holds for this period is uncertain. So the day"
        " counts as a working day here and the period is not rolled past it: when in"
        " doubt, the earlier date applies."
    )
    return nl + warn[0], en + warn[1]


def roll_step(
    unrolled: date, label_nl: str, label_en: str, kind: StepKind = StepKind.ROLL
) -> tuple[date, Step]:
    """Apply Art. 3(4) to ``unrolled`` and explain it (which days were skipped, by name)."""
    rolled, skipped = _skipped(unrolled)
    if not skipped:
        nl = f"{fmt(unrolled, 'nl').capitalize()} is een werkdag, dus {label_nl}: {fmt(rolled, 'nl')}."
        en = f"{fmt(unrolled, 'en')} is a working day, so {label_en}: {fmt(rolled, 'en')}."
    else:
        nl = (
            "Geen werkdag: "
            + "; ".join(s.describe("nl") for s in skipped)
            + f". De termijn eindigt op de eerstvolgende werkdag, dus {label_nl}: "
            + f"{fmt(rolled, 'nl')} (art. 3 lid 4 Verordening 1182/71; feestdagen volgens "
            + "art. 3 lid 1 Algemene termijnenwet)."
        )
        en = (
            "Not a working day: "
            + "; ".join(s.describe("en") for s in skipped)
            + f". The period ends on the next working day, so {label_en}: "
            + f"{fmt(rolled, 'en')} (Art. 3(4) Reg. 1182/71; Dutch public holidays of the "
            + "Algemene termijnenwet art. 3(1))."
        )
    note_nl, note_en = uncertain_note(rolled)
    return rolled, Step(kind, rolled, RULE_ROLL, nl + note_nl, en + note_en, skipped)


_SPAN_NL = {1: "Eén maand", 2: "Twee maanden", 3: "Drie maanden"}
_SPAN_EN = {1: "One month", 2: "Two months", 3: "Three months"}


def month_step(
    start: date,
    n: int,
    rule: str,
    *,
    after_nl: str = "na ontvangst",
    after_en: str = "after receipt",
    kind: StepKind = StepKind.MONTH_RULE,
) -> tuple[date, Step]:
    """Art. 3(2)(c): same date ``n`` months after ``start``, clamped to the month's last day."""
    target, clamped = add_months(start, n)
    span_nl = _SPAN_NL.get(n, months(n, "nl"))
    span_en = _SPAN_EN.get(n, months(n, "en"))
    if clamped:
        missing_nl = f"{start.day} {NL_MONTHS[target.month - 1]} {target.year}"
        missing_en = f"{start.day} {EN_MONTHS[target.month - 1]} {target.year}"
        nl = (
            f"{span_nl} {after_nl}: {missing_nl} bestaat niet, dus de laatste dag van die"
            f" maand: {fmt(target, 'nl')} (art. 3 lid 2 onder c Verordening 1182/71)."
        )
        en = (
            f"{span_en} {after_en}: {missing_en} does not exist, so the last day of that"
            f" month: {fmt(target, 'en')} (Art. 3(2)(c) Reg. 1182/71)."
        )
    else:
        nl = (
            f"{span_nl} {after_nl} valt op dezelfde datum: {fmt(target, 'nl')}"
            " (art. 3 lid 2 onder c Verordening 1182/71)."
        )
        en = f"{span_en} {after_en} falls on the same date: {fmt(target, 'en')} (Art. 3(2)(c) Reg. 1182/71)."
    return target, Step(kind, target, rule, nl, en)


def target_rolled_back_note(unrolled: date, target: date) -> tuple[str, str]:
    """Texts for an internal target moved back off a weekend or holiday (empty if not moved)."""
    if unrolled == target:
        return "", ""
    return (
        f" Dat is geen werkdag, dus de streefdatum wordt de werkdag ervóór: {fmt(target, 'nl')}"
        " (eerder is veilig).",
        f" That is not a working day, so the target becomes the working day before:"
        f" {fmt(target, 'en')} (earlier is safe).",
    )
