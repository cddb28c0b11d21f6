"""Issue 13 point 4 (rest): the decree-day source says which years it knows, and a deadline
in any other year carries a clear warning for staff instead of silently ignoring them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from avgdesk.triage.cases.calendar import DECREE_DAYS, DECREE_YEARS, decree_days_known, decree_warning
from avgdesk.triage.cases.deadlines import compute_deadline


def test_the_source_lists_only_years_it_claims_to_know() -> None:
    assert list(DECREE_YEARS) == [2026, 2027, 2028]
    assert {d.year for d in DECREE_DAYS} <= set(DECREE_YEARS)
    assert decree_days_known(2027) and not decree_days_known(2029) and not decree_days_known(2025)


@pytest.mark.parametrize("received", [date(2028, 12, 20), date(2029, 6, 3), date(2025, 10, 1)], ids=str)
def test_a_deadline_in_an_unknown_year_warns_in_both_languages(received: date) -> None:
    d = compute_deadline(datetime(received.year, received.month, received.day, 10, tzinfo=UTC))
    year = d.legal_deadline.year
    assert not decree_days_known(year)
    nl, en = d.explain("nl"), d.explain("en")
    assert f"alleen voor 2026–2028, niet voor {year}" in nl and "Controleer zelf" in nl
    assert f"only for 2026–2028, not for {year}" in en


def test_a_deadline_in_a_known_year_has_no_warning() -> None:
    d = compute_deadline(datetime(2027, 3, 10, 10, tzinfo=UTC))
    assert decree_warning(d.legal_deadline) is None
    assert "Let op: avgdesk kent" not in d.explain("nl")
