"""Issue 13 points 3 and 4, issue 14 item 10: the safe readings of the legal review.

The reference dates below come from a separate, deliberately naive implementation
(``dateutil.relativedelta`` for months, ``holidays`` directly for the Atw list), not
from the code under test; the issue's own examples are written out by hand.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta
from helpers import avgdesk
from holidays.constants import OPTIONAL, PUBLIC
from hypothesis import given
from hypothesis import strategies as st

from avgdesk.triage.cases.calendar import DECREE_DAYS, is_office_day
from avgdesk.triage.cases.deadlines import (
    AMSTERDAM,
    compute_deadline,
    extend,
    preview_extension,
)


def ams(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=AMSTERDAM)


def _certain_holiday(d: date) -> bool:
    """Atw art. 3 lid 1 only: Goede Vrijdag and decree days are uncertain, never rolled."""
    nl = holidays.country_holidays("NL", years=d.year, categories=(PUBLIC, OPTIONAL))
    return d in nl and d != easter(d.year) - timedelta(days=2)


def _reference_roll(d: date) -> date:
    while d.weekday() >= 5 or _certain_holiday(d):
        d += timedelta(days=1)
    return d


def _reference_extended(receipt: date, months: int) -> date:
    first_end = receipt + relativedelta(months=1)
    later = min(receipt + relativedelta(months=1 + months), first_end + relativedelta(months=months))
    return _reference_roll(later)


# --- point 3: the dates ------------------------------------------------------------
@pytest.mark.parametrize(
    ("received", "expected", "unsafe"),
    [
        (date(2027, 1, 31), date(2027, 4, 28), date(2027, 4, 30)),
        (date(2026, 1, 30), date(2026, 4, 28), date(2026, 4, 30)),
        (date(2025, 10, 31), date(2026, 1, 30), date(2026, 2, 2)),
    ],
)
def test_extension_promises_the_earlier_reading(received: date, expected: date, unsafe: date) -> None:
    d = compute_deadline(ams(received))
    extended = extend(d, months=2, at=ams(received), reason="gegevens in drie systemen")
    assert extended.extended_deadline == expected != unsafe
    assert "de vroegere geldt" in extended.explain("nl")
    assert "the earlier applies" in extended.explain("en")
    assert preview_extension(d, 2).extended_deadline == expected


def _month_ends() -> list[date]:
    out = []
    for year in range(2025, 2031):
        for month in range(1, 13):
            out.append(date(year, month, 1) + relativedelta(months=1) - timedelta(days=1))
    return out


@pytest.mark.parametrize("received", _month_ends(), ids=str)
@pytest.mark.parametrize("months", [1, 2])
def test_every_month_end_2025_2030(received: date, months: int) -> None:
    d = compute_deadline(ams(received))
    got = extend(d, months=months, at=ams(received), reason="complex").extended_deadline
    assert got == _reference_extended(received, months)
    # Never later than the old reading (receipt + 1 + N months, rolled).
    assert got is not None and got <= _reference_roll(received + relativedelta(months=1 + months))


# --- point 4: Goede Vrijdag and decree days alike -------------------------------------------
def test_goede_vrijdag_is_not_rolled_past_and_the_explanation_says_why() -> None:
    d = compute_deadline(ams(date(2026, 3, 3)))
    assert d.legal_deadline == date(2026, 4, 3)  # was Tue 7 Apr before the review
    text = d.explain("nl")
    assert "Goede Vrijdag" in text and "bij twijfel geldt de vroegere datum" in text
    assert "art. 3 lid 2" in text
    assert "Good Friday" in d.explain("en")


@pytest.mark.parametrize("decree_day", sorted(DECREE_DAYS), ids=str)
def test_decree_days_are_treated_like_goede_vrijdag(decree_day: date) -> None:
    received = decree_day - relativedelta(months=1)
    d = compute_deadline(ams(received))
    assert d.month_date == decree_day
    assert d.legal_deadline == decree_day
    text = d.explain("nl")
    assert "Koninklijk Besluit" in text and "bij twijfel geldt de vroegere datum" in text
    assert "art. 3 lid 3" in text


# --- issue 14 item 10: the internal target is a working day ---------------------------------
def test_internal_target_rolls_back_from_a_weekend() -> None:
    # 19 Nov 2026 -> Sat 19 Dec (both readings); the legal date is Mon 21 Dec.
    d = compute_deadline(ams(date(2026, 11, 19)))
    assert d.legal_deadline == date(2026, 12, 21)
    assert d.internal_target == date(2026, 12, 18)
    assert "werkdag ervóór" in d.explain("nl")


@given(st.dates(date(2025, 1, 1), date(2030, 12, 31)), st.booleans())
def test_internal_target_is_always_an_office_day_before_the_deadline(received: date, extended: bool) -> None:
    d = compute_deadline(ams(received))
    if extended:
        d = extend(d, months=2, at=ams(received), reason="complex")
    assert is_office_day(d.internal_target)
    assert d.internal_target <= d.due


# --- the CLI contract (DESIGN.md) ------------------------------------------------------------
def test_cli_deadline_extension_months_json(tmp_path: Path) -> None:
    env = {"AVGDESK_DATA_DIR": str(tmp_path)}
    out = avgdesk("deadline", "2027-01-31", "--extension-months", "2", "--json", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["extended_deadline"] == "2027-04-28"
    assert data["legal_deadline"] == "2027-03-01"
    assert data["due"] == "2027-03-01"  # a preview changes nothing that applies now
    assert data["extension"]["preview"] is True
    assert "de vroegere geldt" in data["explanation_nl"]
    without = avgdesk("deadline", "2027-01-31", "--json", env=env, cwd=tmp_path)
    assert json.loads(without.stdout)["extended_deadline"] is None
    refused = avgdesk("deadline", "2027-01-31", "--extension-months", "3", env=env, cwd=tmp_path)
    assert refused.returncode == 2
