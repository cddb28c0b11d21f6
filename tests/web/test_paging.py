"""Page links (web/paging.py): Vorige/Volgende, the first and last page, a window around
the current one and gaps as … (unit logic, no database)."""

from __future__ import annotations

from avgdesk.triage.cases.queries import Page
from avgdesk.web.paging import page_links


def _labels(number: int, total: int, size: int = 10) -> list[str]:
    page = Page(items=[object()], total=total, number=number, size=size)
    links = page_links(page, lambda n: f"/x?page={n}")
    return [
        ("*" if link.current else "") + link.label + ("" if link.url or link.current else "-")
        for link in links
    ]


def test_a_single_page_has_no_links() -> None:
    assert _labels(1, 10) == [] and _labels(1, 0) == []


def test_the_window_around_the_current_page_with_gaps() -> None:
    assert _labels(1, 25) == ["Vorige-", "*1", "2", "3", "Volgende"]
    assert _labels(3, 25) == ["Vorige", "1", "2", "*3", "Volgende-"]
    assert _labels(10, 200) == ["Vorige", "1", "…-", "8", "9", "*10", "11", "12", "…-", "20", "Volgende"]
    assert _labels(2, 200) == ["Vorige", "1", "*2", "3", "4", "…-", "20", "Volgende"]


def test_links_point_at_their_page() -> None:
    page = Page(items=[object()], total=30, number=2, size=10)
    links = {link.label: link for link in page_links(page, lambda n: f"/x?page={n}")}
    assert links["Vorige"].url == "/x?page=1" and links["Vorige"].rel == "prev"
    assert links["Volgende"].url == "/x?page=3" and links["Volgende"].rel == "next"
    assert links["2"].url is None and links["2"].aria_label == "Pagina 2"
