"""Page links of a paginated list (the queue, the drafts): previous, next, the first and
last page and a few around the current one, with Dutch labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from avgdesk.triage.cases.queries import Page

AROUND = 2
"""Page numbers shown on each side of the current page."""


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str | None
    """None: not a link (the current page, a gap, or no previous/next page)."""
    current: bool = False
    rel: str | None = None
    aria_label: str | None = None


def page_links(page: Page[Any], url_of: Callable[[int], str]) -> list[PageLink]:
    """Nothing for a single page; otherwise Vorige, numbers (gaps as …), Volgende."""
    if page.pages <= 1:
        return []
    n, last = page.number, page.pages
    wanted = sorted({1, last, *range(max(1, n - AROUND), min(last, n + AROUND) + 1)})
    links = [PageLink("Vorige", url_of(n - 1) if n > 1 else None, rel="prev", aria_label="Vorige pagina")]
    previous = 0
    for number in wanted:
        if number > previous + 1:
            links.append(PageLink("…", None))
        links.append(
            PageLink(
                str(number),
                None if number == n else url_of(number),
                current=number == n,
                aria_label=f"Pagina {number}",
            )
        )
        previous = number
    links.append(
        PageLink("Volgende", url_of(n + 1) if n < last else None, rel="next", aria_label="Volgende pagina")
    )
    return links
