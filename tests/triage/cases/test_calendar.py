"""The Dutch module of ``holidays``, loaded on its own, gives what the library's API gives."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import holidays
import pytest
from dateutil.easter import easter  # type: ignore[import-untyped,unused-ignore]
from holidays.constants import OPTIONAL, PUBLIC

from avgdesk.triage.cases.calendar import _holidays_for_year


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2030])
def test_holidays_equal_the_library_api(year: int) -> None:
    cats = (PUBLIC, OPTIONAL)
    nl = holidays.country_holidays("NL", years=year, categories=cats, language="nl")
    en = holidays.country_holidays("NL", years=year, categories=cats, language="en_US")
    good_friday = easter(year) - timedelta(days=2)
    expected = {d: (str(nl[d]), str(en.get(d, nl[d]))) for d in nl if d != good_friday}
    assert dict(_holidays_for_year(year)) == expected
    assert len(expected) >= 8


def test_a_deadline_does_not_import_every_country() -> None:
    code = (
        "import sys; from datetime import date; "
        "from avgdesk.triage.cases.calendar import is_working_day; "
        "assert not is_working_day(date(2026, 4, 27)); "
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['holidays.countries.netherlands']"
