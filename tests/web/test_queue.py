"""The queue's pages (web/queue.py): cut in SQL, a total, Dutch page links that keep the
filter and sort; saved views keep no page number — on SQLite and PostgreSQL (the
``two_per_page`` client of tests/web/conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CASE_LINK = re.compile(r'<a href="/cases/(AVG-\d{4}-\d{4})">')


def test_the_queue_is_paginated_with_a_total_and_page_links(two_per_page: TestClient) -> None:
    first = two_per_page.get("/cases?sort=reference").text
    second = two_per_page.get("/cases?sort=reference&page=2").text
    refs = CASE_LINK.findall(first) + CASE_LINK.findall(second)
    assert len(CASE_LINK.findall(first)) == 2 and refs == sorted(set(refs)) and len(refs) == 3
    assert "3 zaken, 1–2 getoond (pagina 1 van 2)." in first
    assert "3 zaken, 3–3 getoond (pagina 2 van 2)." in second
    # The links keep the sort and say where they go, in Dutch.
    nxt = '<a href="/cases?state=open&amp;sort=reference&amp;page=2" rel="next" aria-label="Volgende pagina">'
    assert nxt + "Volgende</a>" in first
    assert '<span aria-current="page" aria-label="Pagina 1">1</span>' in first
    assert (
        '<a href="/cases?state=open&amp;sort=reference" rel="prev" aria-label="Vorige pagina">Vorige</a>'
        in second
    )
    # Past the end: the last page, not an empty one.
    assert CASE_LINK.findall(two_per_page.get("/cases?sort=reference&page=50").text) == refs[2:]
    assert two_per_page.get("/cases?page=0").status_code == 400


def test_filtered_and_searched_queues_count_and_page_too(two_per_page: TestClient) -> None:
    one = two_per_page.get("/cases?right=erasure").text
    assert len(CASE_LINK.findall(one)) == 1 and "1 zaak." in one and 'aria-label="Pagina' not in one
    complaint = two_per_page.get("/cases?q=example.nl&state=all").text
    assert "3 zaken, 1–2 getoond" in complaint
    assert 'href="/cases?q=example.nl&amp;state=all&amp;page=2"' in complaint
    # A sort header starts again at page 1 with the filter kept.
    assert 'href="/cases?q=example.nl&amp;state=all&amp;sort=reference"' in complaint


def test_a_saved_view_is_a_filter_without_a_page(two_per_page: TestClient, csrf_of: Any) -> None:
    token = csrf_of(two_per_page, "/cases")
    r = two_per_page.post(
        "/cases/views", data={"csrf_token": token, "name": "Klachten", "query": "right=complaint&page=2"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/cases?right=complaint"
    page = two_per_page.get("/cases?right=complaint&page=2").text
    saved = re.search(r'name="query" value="([^"]*)"', page)
    assert saved and saved.group(1) == "state=open&amp;right=complaint"
