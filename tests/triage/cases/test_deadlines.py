"""Tests for the deadline engine (legal-notes §1, §5).

Expected dates are written out by hand from the rules (Art. 12(3) AVG, Art. 3
Reg. 1182/71, Algemene termijnenwet art. 3), not computed by the code under test.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avgdesk.models.errors import InvalidOperation
from avgdesk.triage.cases.deadlines import (
    AMSTERDAM,
    Deadline,
    Pause,
    PauseReason,
    RiskLevel,
    StepKind,
    add_months,
    add_working_days,
    apply_pauses,
    complaint_target,
    compute_deadline,
    extend,
    holiday_name,
    is_working_day,
    parse_received_at,
    risk,
    roll_forward,
    uncertain_holiday,
    working_days_between,
)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def ams(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=AMSTERDAM)


def end_of_day(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=AMSTERDAM) - timedelta(microseconds=1)


# ---------------------------------------------------------------------------
# The table: receipt time -> legal deadline
# ---------------------------------------------------------------------------

TABLE = [
    # EDPB Guidelines 01/2022 Example 32: 5 Mar -> 5 Apr (Mon 5 Apr 2027 is a working day).
    ("2027-03-05T10:00:00+01:00", date(2027, 4, 5)),
    # EDPB Example 33: 31 Aug -> 30 Sep, no 31 September (Wed 30 Sep 2026).
    ("2026-08-31T10:00:00+02:00", date(2026, 9, 30)),
    # legal-notes §1.5 table.
    ("2026-03-05T10:00:00+01:00", date(2026, 4, 7)),  # Sun Eerste, Mon Tweede paasdag
    ("2026-03-27T10:00:00+01:00", date(2026, 4, 28)),  # Mon 27 Apr Koningsdag
    ("2026-04-05T10:00:00+02:00", date(2026, 5, 6)),  # Tue 5 May Bevrijdingsdag (Atw)
    ("2026-04-14T10:00:00+02:00", date(2026, 5, 15)),  # Thu Hemelvaartsdag; no bridging day
    ("2026-01-31T10:00:00+01:00", date(2026, 3, 2)),  # Sat 31 Jan -> Sat 28 Feb -> Mon 2 Mar
    ("2026-11-26T10:00:00+01:00", date(2026, 12, 28)),  # Sat 26 Dec Tweede kerstdag, Sun
    # legal-notes §1.4: shorter than 30 days.
    ("2027-01-31T10:00:00+01:00", date(2027, 3, 1)),  # Sun 31 Jan -> Sun 28 Feb -> Mon 1 Mar
    ("2028-01-31T10:00:00+01:00", date(2028, 2, 29)),  # leap year, Tue 29 Feb
    # Goede Vrijdag is as uncertain as a decree day (legal-notes §1.5, corrected): the
    # period is not rolled past it. Before the correction these rolled to 28 Apr / 7 Apr.
    ("2038-03-23T10:00:00+01:00", date(2038, 4, 23)),  # Fri 23 Apr 2038 Goede Vrijdag
    ("2026-03-03T10:00:00+01:00", date(2026, 4, 3)),  # Fri 3 Apr 2026 Goede Vrijdag (issue 13)
    ("2026-04-14T10:00:00+02:00", date(2026, 5, 15)),  # Fri 15 May 2026 decree day, kept
    # Christmas: Fri 25 Dec 2026 Eerste kerstdag, Sat Tweede kerstdag, Sun -> Mon 28.
    ("2026-11-25T10:00:00+01:00", date(2026, 12, 28)),
    # Nieuwjaarsdag Fri 1 Jan 2027, then weekend -> Mon 4 Jan.
    ("2026-12-01T10:00:00+01:00", date(2027, 1, 4)),
]

MIDNIGHT = [
    # Winter time (UTC+1): 22:59:59Z is 23:59:59 local; 23:00Z is already tomorrow.
    ("2026-01-30T22:59:59Z", date(2026, 1, 30), date(2026, 3, 2)),  # 28 Feb clamp -> Mon
    ("2026-01-30T23:00:00Z", date(2026, 1, 31), date(2026, 3, 2)),
    ("2026-01-05T22:59:59Z", date(2026, 1, 5), date(2026, 2, 5)),  # Thu
    ("2026-01-05T23:00:00Z", date(2026, 1, 6), date(2026, 2, 6)),  # Fri
    # Summer time (UTC+2): 21:59:59Z is 23:59:59 local; 22:00Z is tomorrow.
    ("2026-06-30T21:59:59Z", date(2026, 6, 30), date(2026, 7, 30)),  # Thu
    ("2026-06-30T22:00:00Z", date(2026, 7, 1), date(2026, 8, 3)),  # Sat 1 Aug -> Mon 3
    # Night of the spring switch (Sun 29 Mar 2026, 02:00 -> 03:00 local).
    ("2026-03-28T22:59:59Z", date(2026, 3, 28), date(2026, 4, 28)),  # still UTC+1
    ("2026-03-28T23:00:00Z", date(2026, 3, 29), date(2026, 4, 29)),
    ("2026-03-29T00:59:59Z", date(2026, 3, 29), date(2026, 4, 29)),  # 01:59:59 CET
    ("2026-03-29T01:00:00Z", date(2026, 3, 29), date(2026, 4, 29)),  # 03:00 CEST
    ("2026-03-29T21:59:59Z", date(2026, 3, 29), date(2026, 4, 29)),  # now UTC+2
    ("2026-03-29T22:00:00Z", date(2026, 3, 30), date(2026, 4, 30)),
    # Night of the autumn switch (Sun 25 Oct 2026, 03:00 -> 02:00 local).
    ("2026-10-24T21:59:59Z", date(2026, 10, 24), date(2026, 11, 24)),  # still UTC+2
    ("2026-10-24T22:00:00Z", date(2026, 10, 25), date(2026, 11, 25)),
    ("2026-10-25T00:30:00Z", date(2026, 10, 25), date(2026, 11, 25)),  # 02:30 CEST
    ("2026-10-25T01:30:00Z", date(2026, 10, 25), date(2026, 11, 25)),  # 02:30 CET (again)
    ("2026-10-25T22:59:59Z", date(2026, 10, 25), date(2026, 11, 25)),  # now UTC+1
    ("2026-10-25T23:00:00Z", date(2026, 10, 26), date(2026, 11, 26)),
]


@pytest.mark.parametrize(("received", "legal"), TABLE)
def test_legal_deadline_table(received: str, legal: date) -> None:
    deadline = compute_deadline(datetime.fromisoformat(received))
    assert deadline.legal_deadline == legal
    assert deadline.due == legal
    assert is_working_day(legal)


@pytest.mark.parametrize(("received", "receipt_date", "legal"), MIDNIGHT)
def test_receipt_date_is_the_amsterdam_date(received: str, receipt_date: date, legal: date) -> None:
    deadline = compute_deadline(datetime.fromisoformat(received))
    assert deadline.receipt_date == receipt_date
    assert deadline.legal_deadline == legal
    assert deadline.received_at.tzinfo is AMSTERDAM


def test_other_zones_are_converted_first() -> None:
    # 18:30 in New York on 30 Jan is 00:30 on 31 Jan in Amsterdam.
    ny = compute_deadline(datetime(2026, 1, 30, 18, 30, tzinfo=NEW_YORK))
    assert ny.receipt_date == date(2026, 1, 31)
    # 07:30 in Tokyo on 6 Jan is 23:30 on 5 Jan in Amsterdam.
    tokyo = compute_deadline(datetime(2026, 1, 6, 7, 30, tzinfo=TOKYO))
    assert tokyo.receipt_date == date(2026, 1, 5)
    assert tokyo.legal_deadline == date(2026, 2, 5)


def test_a_different_zone_can_be_passed() -> None:
    d = compute_deadline(datetime(2026, 1, 5, 23, 30, tzinfo=UTC), tz=ZoneInfo("UTC"))
    assert d.receipt_date == date(2026, 1, 5)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_deadline(datetime(2026, 3, 5, 12, 0))


def test_month_date_and_internal_target() -> None:
    d = compute_deadline(ams(2026, 3, 5))
    assert d.month_date == date(2026, 4, 5)  # un-rolled (Eerste paasdag)
    # receipt + 30 days (Sat 4 Apr) is earlier; rolled back past Goede Vrijdag to Thu 2 Apr.
    assert d.internal_target == date(2026, 4, 2)
    assert d.extension_notice_by == d.legal_deadline == date(2026, 4, 7)
    # legal-notes §1.4: one month can be shorter than 30 days.
    short = compute_deadline(ams(2027, 1, 31))
    assert short.month_date == date(2027, 2, 28)  # a Sunday: the target is Fri 26 Feb
    assert short.internal_target == date(2027, 2, 26)
    # policy_days is a setting.
    assert compute_deadline(ams(2026, 3, 5), policy_days=14).internal_target == date(2026, 3, 19)
    with pytest.raises(ValueError):
        compute_deadline(ams(2026, 3, 5), policy_days=0)


# ---------------------------------------------------------------------------
# Explanation
# ---------------------------------------------------------------------------


def test_explanation_names_skipped_holidays_in_dutch_and_english() -> None:
    d = compute_deadline(ams(2026, 3, 5))
    roll = next(s for s in d.explanation if s.kind is StepKind.ROLL)
    assert [s.date for s in roll.skipped] == [date(2026, 4, 5), date(2026, 4, 6)]
    assert [s.holiday_nl for s in roll.skipped] == ["Eerste paasdag", "Tweede paasdag"]
    nl, en = d.explain("nl"), d.explain("en")
    assert "Tweede paasdag" in nl and "dinsdag 7 april 2026" in nl
    assert "Easter Monday" in en and "Tuesday 7 April 2026" in en
    assert "art. 3 lid 4 Verordening 1182/71" in nl
    assert "De dag van ontvangst telt niet mee" in nl
    kinds = [s.kind for s in d.explanation]
    assert kinds == [
        StepKind.RECEIPT,
        StepKind.MONTH_RULE,
        StepKind.ROLL,
        StepKind.INTERNAL_TARGET,
        StepKind.EXTENSION_NOTICE,
    ]


def test_explanation_mentions_clamping_weekends_and_bridging_days() -> None:
    nl = compute_deadline(ams(2026, 1, 31)).explain()
    assert "31 februari 2026 bestaat niet" in nl
    assert "zaterdag 28 februari 2026 (weekend)" in nl
    nl = compute_deadline(ams(2026, 4, 5)).explain()
    assert "Bevrijdingsdag" in nl
    nl = compute_deadline(ams(2026, 4, 14)).explain()
    assert "Hemelvaartsdag" in nl and "brugdag" in nl


def test_to_dict_is_json_ready() -> None:
    d = compute_deadline(datetime.fromisoformat("2026-03-05T13:30:00Z"))
    data = json.loads(json.dumps(d.to_dict()))
    assert data["received_at"] == "2026-03-05T14:30:00+01:00"
    assert data["legal_deadline"] == "2026-04-07"
    assert data["internal_target"] == "2026-04-02"
    assert data["month_date"] == "2026-04-05"
    assert data["extension_notice_by"] == "2026-04-07"
    assert data["adjusted_deadline"] is None and data["extended_deadline"] is None
    assert data["explanation"][2]["skipped"][1]["holiday_nl"] == "Tweede paasdag"
    assert "Tweede paasdag" in data["explanation_nl"]


# ---------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------


def test_working_days_use_the_atw_list() -> None:
    # Goede Vrijdag (Atw art. 3 lid 2) is as uncertain as a decree day: never rolled past.
    assert is_working_day(date(2026, 4, 3))
    assert uncertain_holiday(date(2026, 4, 3)) == "Goede Vrijdag"
    assert uncertain_holiday(date(2026, 5, 15), "en") == "bridging day after Ascension (Royal Decree)"
    assert not is_working_day(date(2026, 5, 5))  # 5 May every year, not only lustrum years
    assert not is_working_day(date(2026, 4, 27))  # Koningsdag
    assert is_working_day(date(2026, 5, 15))  # bridging day after Hemelvaart: not counted
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert holiday_name(date(2026, 4, 6)) == "Tweede paasdag"
    assert holiday_name(date(2026, 4, 6), "en") == "Easter Monday"
    assert holiday_name(date(2026, 4, 7)) is None


def test_working_day_helpers() -> None:
    assert roll_forward(date(2026, 4, 4)) == date(2026, 4, 7)  # Sat, Sun, Tweede paasdag
    assert roll_forward(date(2026, 4, 3)) == date(2026, 4, 3)  # Goede Vrijdag: not rolled
    assert roll_forward(date(2026, 4, 7)) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 3)
    assert add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)
    assert working_days_between(date(2026, 4, 3), date(2026, 4, 7)) == 1
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 3)) == -1
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 7)) == 0
    assert add_months(date(2028, 1, 31), 1) == (date(2028, 2, 29), True)
    assert add_months(date(2026, 11, 30), 3) == (date(2027, 2, 28), True)
    assert add_months(date(2026, 3, 5), 1) == (date(2026, 4, 5), False)


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(-30, 30))
def test_working_day_helpers_agree(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n != 0:
        assert is_working_day(end)


# ---------------------------------------------------------------------------
# Property tests over receipt times 2000..2100
# ---------------------------------------------------------------------------

ZONES = st.sampled_from([AMSTERDAM, UTC, NEW_YORK, TOKYO])
RECEIPTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=ZONES)

# Bound on (legal deadline - receipt date). 28: 31 Jan -> 28 Feb in a common year. The
# longest is a 31-day month plus the longest roll. Goede Vrijdag no longer rolls (it is as
# uncertain as a decree day, legal-notes §1.5), so: receipt Wed 24 Mar 2038 -> Sat 24 Apr,
# Sun Eerste paasdag, Mon Tweede paasdag, Tue 27 Apr Koningsdag -> Wed 28 Apr = 35 days.
# Verified exhaustively below.
MIN_DAYS, MAX_DAYS = 28, 35


@settings(max_examples=500)
@given(RECEIPTS)
def test_legal_deadline_properties(received_at: datetime) -> None:
    d = compute_deadline(received_at)
    assert d.receipt_date == received_at.astimezone(AMSTERDAM).date()
    assert is_working_day(d.legal_deadline)
    assert MIN_DAYS <= (d.legal_deadline - d.receipt_date).days <= MAX_DAYS
    assert d.legal_deadline >= d.month_date
    # Rolled to the FIRST working day: nothing in between is a working day.
    assert d.legal_deadline == roll_forward(d.month_date)
    assert d.internal_target <= d.month_date <= d.legal_deadline
    assert d.extension_notice_by == d.legal_deadline


def test_day_bound_is_exact_over_every_receipt_date_2000_2100() -> None:
    spans: dict[int, date] = {}
    day = date(2000, 1, 1)
    while day <= date(2100, 12, 31):
        legal = compute_deadline(datetime.combine(day, time(12), tzinfo=AMSTERDAM)).legal_deadline
        spans.setdefault((legal - day).days, day)
        day += timedelta(days=1)
    assert min(spans) == MIN_DAYS
    assert max(spans) == MAX_DAYS
    assert spans[MAX_DAYS] == date(2038, 3, 24)


@settings(max_examples=300)
@given(RECEIPTS, st.floats(0.0, 1.0), st.integers(1, 2))
def test_extension_allowed_at_any_moment_of_month_one(
    received_at: datetime, fraction: float, months: int
) -> None:
    d = compute_deadline(received_at)
    # Reason in UTC: adding a timedelta to a New York wall time is wall-clock arithmetic and
    # lands an hour off across a DST change (hypothesis found such receipts).
    start = received_at.astimezone(UTC)
    last = end_of_day(d.extension_notice_by).astimezone(UTC)
    at = start + (last - start) * fraction
    extended = extend(d, months=months, at=at, reason="drie systemen doorzoeken")
    assert extended.extension is not None
    assert extended.legal_deadline == d.legal_deadline  # the original stays visible
    assert extended.due == extended.extension.deadline > d.legal_deadline
    assert is_working_day(extended.due)
    assert extended.internal_target <= extended.due


@settings(max_examples=300)
@given(RECEIPTS, st.timedeltas(timedelta(microseconds=1), timedelta(days=400)))
def test_extension_refused_after_month_one(received_at: datetime, late: timedelta) -> None:
    d = compute_deadline(received_at)
    at = end_of_day(d.extension_notice_by).astimezone(UTC) + late  # UTC: exact elapsed time
    with pytest.raises(InvalidOperation, match=d.extension_notice_by.isoformat()):
        extend(d, at=at, reason="te laat")


def test_extension_boundary_is_midnight_amsterdam() -> None:
    d = compute_deadline(ams(2026, 3, 5))  # legal deadline Tue 7 Apr 2026 (CEST)
    ok = extend(d, at=datetime(2026, 4, 7, 21, 59, 59, tzinfo=UTC), reason="complex")
    assert ok.extended_deadline == date(2026, 6, 5)  # 5 Jun 2026, Fri
    with pytest.raises(InvalidOperation, match="verstreken op dinsdag 7 april 2026"):
        extend(d, at=datetime(2026, 4, 7, 22, 0, tzinfo=UTC), reason="complex")


def test_extension_examples_and_validation() -> None:
    # legal-notes §1.5/§1.2: the earlier of receipt + 3 months and 2 months after the
    # un-rolled end of the first month, rolled.
    cases = {
        ams(2026, 3, 27): date(2026, 6, 29),  # Sat 27 Jun -> Mon 29 Jun
        ams(2026, 4, 5): date(2026, 7, 6),  # Sun 5 Jul -> Mon 6 Jul
        ams(2026, 1, 31): date(2026, 4, 28),  # 28 Feb + 2 months, not 30 Apr
        ams(2026, 11, 26): date(2027, 2, 26),
    }
    for received, expected in cases.items():
        d = compute_deadline(received)
        assert extend(d, at=received, reason="complex").extended_deadline == expected
    d = compute_deadline(ams(2026, 3, 5))
    one = extend(d, months=1, at=ams(2026, 3, 10), reason="veel gegevens")
    assert one.extended_deadline == date(2026, 5, 6)  # Tue 5 May Bevrijdingsdag -> Wed 6 May
    two = extend(one, months=1, at=ams(2026, 3, 20), reason="nog meer gegevens")
    assert two.extended_deadline == date(2026, 6, 5)
    # intro, both readings, roll: a second extension replaces the first one's steps.
    assert [s.kind for s in two.explanation].count(StepKind.EXTENSION) == 4
    with pytest.raises(InvalidOperation):
        extend(two, months=1, at=ams(2026, 3, 21), reason="te veel")
    for months in (0, 3, -1):
        with pytest.raises(InvalidOperation):
            extend(d, months=months, at=ams(2026, 3, 10), reason="x")
    with pytest.raises(InvalidOperation):
        extend(d, at=ams(2026, 3, 10), reason="   ")
    with pytest.raises(InvalidOperation):
        extend(d, at=ams(2026, 3, 4), reason="before receipt")
    with pytest.raises(ValueError):
        extend(d, at=datetime(2026, 3, 10, 12), reason="naive")


# ---------------------------------------------------------------------------
# Pauses (EDPB Guidelines 01/2022 §159)
# ---------------------------------------------------------------------------


def test_pause_moves_the_deadline_and_keeps_the_original() -> None:
    d = compute_deadline(ams(2026, 1, 31))  # Sat; month date Sat 28 Feb; legal Mon 2 Mar
    p = apply_pauses(d, [Pause(ams(2026, 2, 2, 9), ams(2026, 2, 10, 9))], now=ams(2026, 2, 25))
    assert p.legal_deadline == date(2026, 3, 2)
    assert p.paused_days == 8
    # Un-rolled 28 Feb + 8 = Sun 8 Mar -> Mon 9 Mar (not rolled 2 Mar + 8 = Tue 10 Mar).
    assert p.adjusted_deadline == p.due == date(2026, 3, 9)
    assert p.relies_on_edpb_159
    assert p.extension_notice_by == date(2026, 3, 2)  # pauses do not move it
    assert "§159" in p.explain("nl") and "blijft zichtbaar" in p.explain("nl")
    assert p.to_dict()["adjusted_basis"] == "EDPB Guidelines 01/2022 §159"


def test_late_request_for_information_does_not_pause() -> None:
    d = compute_deadline(ams(2026, 3, 2))  # Mon
    # Mon 9 Mar is 5 working days after receipt: counts. Tue 10 Mar is 6: does not.
    ok = apply_pauses(d, [Pause(ams(2026, 3, 9), ams(2026, 3, 12))], now=ams(2026, 3, 20))
    assert ok.paused_days == 3
    late = apply_pauses(d, [Pause(ams(2026, 3, 10), ams(2026, 3, 12))], now=ams(2026, 3, 20))
    assert late.paused_days == 0 and late.adjusted_deadline is None
    assert late.due == d.legal_deadline
    assert not late.pauses[0].counted
    assert "telt niet mee" in late.explain("nl")
    assert "does not count" in late.explain("en")
    stricter = apply_pauses(
        d, [Pause(ams(2026, 3, 9), ams(2026, 3, 12))], now=ams(2026, 3, 20),
        max_request_delay_working_days=2,
    )  # fmt: skip
    assert stricter.paused_days == 0


def test_pauses_add_up_overlaps_count_once_and_open_pause_runs_to_now() -> None:
    d = compute_deadline(ams(2026, 3, 2))  # legal Thu 2 Apr 2026
    pauses = [
        Pause(ams(2026, 3, 3), ams(2026, 3, 6)),  # 3 days
        Pause(ams(2026, 3, 5), ams(2026, 3, 8), PauseReason.CLARIFICATION),  # overlaps: +2
        Pause(ams(2026, 3, 9), None, PauseReason.CLARIFICATION),  # open: to now
    ]
    p = apply_pauses(d, pauses, now=ams(2026, 3, 13))
    assert p.paused_days == 3 + 2 + 4
    assert p.adjusted_deadline == date(2026, 4, 13)  # 2 Apr + 9 = Sat 11 Apr -> Mon 13 Apr
    assert p.pauses[2].open
    assert "overlappende" in p.explain("nl")
    # Idempotent: the list replaces any earlier list.
    again = apply_pauses(p, pauses, now=ams(2026, 3, 13))
    assert again.paused_days == p.paused_days and again.explanation == p.explanation
    # Resuming the clock: no pauses, back to the original.
    cleared = apply_pauses(p, [], now=ams(2026, 3, 13))
    assert cleared.due == d.legal_deadline and cleared.explanation == d.explanation


def test_pause_on_extended_deadline_and_extension_after_pause() -> None:
    d = compute_deadline(ams(2026, 1, 31))
    pause = [Pause(ams(2026, 2, 2, 9), ams(2026, 2, 10, 9))]
    first = apply_pauses(extend(d, at=ams(2026, 2, 20), reason="complex"), pause, now=ams(2026, 2, 25))
    second = extend(apply_pauses(d, pause, now=ams(2026, 2, 25)), at=ams(2026, 2, 20), reason="complex")
    # 28 Feb + 2 months = Tue 28 Apr (not receipt + 3 months = 30 Apr).
    assert first.extended_deadline == second.extended_deadline == date(2026, 4, 28)
    # 28 Apr + 8 = Wed 6 May 2026.
    assert first.due == second.due == date(2026, 5, 6)
    assert first.internal_target <= first.due


def test_pause_validation() -> None:
    d = compute_deadline(ams(2026, 3, 2))
    with pytest.raises(ValueError):
        apply_pauses(d, [Pause(ams(2026, 3, 1))], now=ams(2026, 3, 5))
    with pytest.raises(ValueError):
        apply_pauses(d, [Pause(ams(2026, 3, 5), ams(2026, 3, 4))], now=ams(2026, 3, 6))
    with pytest.raises(ValueError):
        apply_pauses(d, [Pause(datetime(2026, 3, 3))], now=ams(2026, 3, 6))
    with pytest.raises(ValueError):
        apply_pauses(d, [], now=datetime(2026, 3, 6))


@st.composite
def pauses_for(draw: st.DrawFn, received_at: datetime) -> list[Pause]:
    out: list[Pause] = []
    for _ in range(draw(st.integers(0, 4))):
        start = received_at + draw(st.timedeltas(timedelta(0), timedelta(days=40)))
        length = draw(st.none() | st.timedeltas(timedelta(0), timedelta(days=60)))
        out.append(Pause(start, None if length is None else start + length))
    return out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), RECEIPTS, st.booleans())
def test_pauses_never_move_the_deadline_earlier(
    data: st.DataObject, received_at: datetime, extended: bool
) -> None:
    d: Deadline = compute_deadline(received_at)
    if extended:
        d = extend(d, at=received_at, reason="complex")
    pauses = data.draw(pauses_for(received_at))
    now = received_at + timedelta(days=120)
    p = apply_pauses(d, pauses, now=now)
    assert p.due >= d.due
    assert p.legal_deadline == d.legal_deadline
    assert is_working_day(p.due)
    assert p.internal_target <= p.due
    assert p.paused_days <= sum(e.days for e in p.pauses)


# ---------------------------------------------------------------------------
# Complaints and risk
# ---------------------------------------------------------------------------


def test_complaint_target() -> None:
    assert complaint_target(ams(2026, 3, 5)) == date(2026, 4, 7)
    assert complaint_target(ams(2026, 1, 31), months=2) == date(2026, 3, 31)
    assert complaint_target(datetime.fromisoformat("2026-01-05T23:00:00Z")) == date(2026, 2, 6)
    with pytest.raises(ValueError):
        complaint_target(ams(2026, 3, 5), months=0)
    with pytest.raises(ValueError):
        complaint_target(datetime(2026, 3, 5, 12))


def test_risk() -> None:
    due = date(2026, 4, 7)  # Tue after Easter
    assert risk(due, now=ams(2026, 3, 20)).level is RiskLevel.OK
    # Tue 31 Mar: Wed 1, Thu 2, Fri 3 (Goede Vrijdag counts as a working day: uncertain),
    # Tue 7 (Mon 6 Tweede paasdag).
    r = risk(due, now=ams(2026, 3, 31))
    assert r.level is RiskLevel.AT_RISK and r.working_days_left == 4
    assert risk(due, now=ams(2026, 3, 30)).working_days_left == 5
    assert risk(due, now=ams(2026, 3, 30)).level is RiskLevel.AT_RISK
    assert risk(due, now=ams(2026, 3, 27)).level is RiskLevel.OK
    assert risk(due, now=ams(2026, 3, 30), at_risk_working_days=3).level is RiskLevel.OK
    # Due today is not overdue: the period ends with the last hour of the day.
    today = risk(due, now=ams(2026, 4, 7, 23, 59))
    assert today.level is RiskLevel.AT_RISK and today.working_days_left == 0
    late = risk(due, now=datetime(2026, 4, 7, 22, 0, tzinfo=UTC))  # 00:00 on 8 Apr CEST
    assert late.level is RiskLevel.OVERDUE and late.days_overdue == 1
    assert risk(due, now=ams(2026, 4, 17)).days_overdue == 10


# ---------------------------------------------------------------------------
# Parsing the CLI argument
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05T13:30:00Z", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("2026-03-05T14:30:00+01:00", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("2026-03-05T14:30", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),  # Amsterdam local
        ("2026-07-05 14:30", datetime(2026, 7, 5, 12, 30, tzinfo=UTC)),  # summer time
        ("2026-03-05", datetime(2026, 3, 5, 11, 0, tzinfo=UTC)),  # 12:00 local
        ("  2026-03-05  ", datetime(2026, 3, 5, 11, 0, tzinfo=UTC)),
    ],
)
def test_parse_received_at(text: str, expected: datetime) -> None:
    parsed = parse_received_at(text, AMSTERDAM)
    assert parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-02-30", "05-03-2026", "2026-03-05T25:00"])
def test_parse_received_at_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_received_at(text, AMSTERDAM)
