"""The Dutch legal calendar: public holidays, working days and month arithmetic.

Pure functions over dates: no database, no I/O, no clock.

Which days are holidays (legal-notes §1.5, corrected after review):

* Certain: the days of the Algemene termijnenwet art. 3 lid 1 (Nieuwjaarsdag, Tweede
  Paas- en Pinksterdag, both Kerstdagen, Hemelvaartsdag, Koningsdag, 5 May every year).
  ``holidays.NL`` with the PUBLIC and OPTIONAL categories gives them (PUBLIC alone lacks
  5 May outside lustrum years); Sundays (Eerste Paas-/Pinksterdag) are weekend anyway.
* Uncertain: Goede Vrijdag (Atw art. 3 lid 2) and the days made equal by Koninklijk
  Besluit (lid 3, :data:`DECREE_DAYS`). Both are added "voor de toepassing van deze wet"
  with the same words, and whether they count for an EU-law period under Reg. 1182/71 is
  unsettled. A deadline is therefore never rolled past them ("the earlier date is
  safe"); :func:`uncertain_holiday` names them so the explanation can say so.

``is_working_day`` is the Art. 2(2) Reg. 1182/71 test used to roll a deadline forward,
so it treats the uncertain days as working days. Rolling the internal target *back*
(:func:`roll_back`) skips them too: there, as well, earlier is safe.
"""

from __future__ import annotations

import calendar
import importlib.util
import sys
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter  # type: ignore[import-untyped,unused-ignore]
from holidays.constants import OPTIONAL, PUBLIC
from holidays.holiday_base import HolidayBase

__all__ = [
    "AMSTERDAM",
    "DECREE_DAYS",
    "DECREE_YEARS",
    "Lang",
    "add_months",
    "add_working_days",
    "decree_days_known",
    "decree_warning",
    "holiday_name",
    "is_office_day",
    "is_working_day",
    "roll_back",
    "roll_forward",
    "uncertain_holiday",
    "working_days_between",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Lang = Literal["nl", "en"]

#: The years whose decree days are listed below; only these are known (legal-notes §1.5).
#: Add a year only from its published decree, and widen this range with it.
DECREE_YEARS = range(2026, 2029)

#: Days made equal to a public holiday by Koninklijk Besluit under Atw art. 3 lid 3
#: (legal-notes §1.5: the decrees for 2026-2028). Later years need the next decree.
DECREE_DAYS: Mapping[date, tuple[str, str]] = MappingProxyType(
    {
        date(2026, 1, 2): ("brugdag na Nieuwjaarsdag (KB)", "bridging day after New Year (Royal Decree)"),
        date(2026, 5, 15): ("brugdag na Hemelvaartsdag (KB)", "bridging day after Ascension (Royal Decree)"),
        date(2027, 5, 7): ("brugdag na Hemelvaartsdag (KB)", "bridging day after Ascension (Royal Decree)"),
        date(2028, 4, 28): ("brugdag na Koningsdag (KB)", "bridging day after King's Day (Royal Decree)"),
        date(2028, 5, 26): ("brugdag na Hemelvaartsdag (KB)", "bridging day after Ascension (Royal Decree)"),
    }
)
_GOOD_FRIDAY = ("Goede Vrijdag", "Good Friday")


@cache
def _netherlands_class() -> type[HolidayBase]:
    """``holidays.countries.netherlands.Netherlands``, loaded without ``holidays.countries``.

    That package's ``__init__`` imports all ~250 countries (0.4 s of CPU, paid by every
    ``avgdesk deadline`` and every first deadline in a process); the Dutch module needs only
    ``holidays`` itself. If the library's layout ever changes, the public API is used.
    """
    name = "holidays.countries.netherlands"
    loaded = sys.modules.get(name)
    if loaded is None:
        path = Path(holidays.__file__).parent / "countries" / "netherlands.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None or not path.is_file():
            return type(holidays.country_holidays("NL"))
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
    country: type[HolidayBase] = loaded.Netherlands
    return country


@cache
def _holidays_for_year(year: int) -> Mapping[date, tuple[str, str]]:
    """Dutch and English names of the certain Atw holidays of one year.

    Cached per year and returned read-only, so lookups are pure and thread-safe (a shared
    ``holidays.HolidayBase`` expands itself lazily on lookup, which is neither). Goede
    Vrijdag is left out here: it is uncertain (see the module docstring).
    """
    cats = (PUBLIC, OPTIONAL)  # Atw art. 3 lid 1: PUBLIC lacks 5 May outside lustrum years
    netherlands = _netherlands_class()
    nl = netherlands(years=year, categories=cats, language="nl")
    en = netherlands(years=year, categories=cats, language="en_US")
    good_friday = easter(year) - timedelta(days=2)
    return MappingProxyType({d: (str(nl[d]), str(en.get(d, nl[d]))) for d in nl if d != good_friday})


def holiday_name(d: date, lang: Lang = "nl") -> str | None:
    """The name of the certain Dutch public holiday on ``d`` (Atw art. 3 lid 1), or None."""
    names = _holidays_for_year(d.year).get(d)
    if names is None:
        return None
    return names[0] if lang == "nl" else names[1]


def uncertain_holiday(d: date, lang: Lang = "nl") -> str | None:
    """Goede Vrijdag or a decree day (Atw art. 3 lid 2-3) on ``d``, by name; else None."""
    names = DECREE_DAYS.get(d)
    if names is None and d == easter(d.year) - timedelta(days=2):
        names = _GOOD_FRIDAY
    if names is None:
        return None
    return names[0] if lang == "nl" else names[1]


def decree_days_known(year: int) -> bool:
    """Whether :data:`DECREE_DAYS` covers ``year`` (outside it a decree day goes unseen)."""
    return year in DECREE_YEARS


def decree_warning(d: date, lang: Lang = "nl") -> str | None:
    """A warning for staff when ``d`` lies in a year whose decree days avgdesk does not
    know: such a day is neither skipped for an internal target nor named in the
    explanation, so a person must check it (None for a known year)."""
    if decree_days_known(d.year):
        return None
    first, last = DECREE_YEARS[0], DECREE_YEARS[-1]
    if lang == "nl":
        return (
            f"Let op: avgdesk kent de dagen die bij Koninklijk Besluit gelijkgesteld zijn aan een"
            f" feestdag (art. 3 lid 3 Algemene termijnenwet) alleen voor {first}–{last}, niet voor"
            f" {d.year}. Controleer zelf of er in {d.year} zo'n dag vlak voor deze datum valt, en"
            " laat de beheerder de lijst bijwerken (DECREE_DAYS)."
        )
    return (
        f"Note: avgdesk knows the days made equal to a public holiday by Royal Decree (Algemene"
        f" termijnenwet art. 3(3)) only for {first}–{last}, not for {d.year}. Check yourself whether"
        f" such a day falls just before this date in {d.year}, and have the administrator update"
        " the list (DECREE_DAYS)."
    )


def is_working_day(d: date) -> bool:
    """Art. 2(2) Reg. 1182/71: every day except Saturdays, Sundays and (certain) holidays."""
    return d.weekday() < 5 and d not in _holidays_for_year(d.year)


def is_office_day(d: date) -> bool:
    """A working day that is not an uncertain holiday either: a day the team surely works."""
    return is_working_day(d) and uncertain_holiday(d) is None


def roll_forward(d: date) -> date:
    """``d`` itself if it is a working day, else the next working day (Art. 3(4))."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def roll_back(d: date) -> date:
    """``d`` itself if the team surely works then, else the previous such day.

    For internal targets: a target on a Saturday or on Goede Vrijdag moves earlier, never
    later (issue 14 item 10; the earlier date is safe).
    """
    while not is_office_day(d):
        d -= timedelta(days=1)
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
