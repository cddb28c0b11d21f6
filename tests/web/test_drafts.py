"""The drafts list (web/drafts.py): cut in SQL with a total and page links; bulk approval
offers the oldest acknowledgements and says how many wait — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_drafts_list_is_paginated(two_per_page: TestClient) -> None:
    first = two_per_page.get("/drafts").text
    last = two_per_page.get("/drafts?page=2").text
    ids = re.findall(r'<td><a href="/drafts/(\d+)">', first) + re.findall(
        r'<td><a href="/drafts/(\d+)">', last
    )
    assert len(ids) == 4 and len(set(ids)) == 4
    assert "4 brieven, 1–2 getoond (pagina 1 van 2)." in first
    assert 'href="/drafts?state=draft&amp;page=2"' in first
    everything = two_per_page.get("/drafts?state=all").text
    assert 'href="/drafts?state=all&amp;page=2"' in everything
    # Bulk approval offers the oldest page_rows acknowledgements and says how many wait.
    assert first.count('name="draft_ids"') == 2 and "de oudste 2 van 3 wachtende" in first
    assert "0 brieven." in two_per_page.get("/drafts?state=sent").text
