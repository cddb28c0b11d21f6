"""The dashboard (web/dashboard.py): numbers from the backlog snapshot, lists capped with a
link to the whole list — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_dashboard_caps_its_lists_and_links_to_the_whole_list(two_per_page: TestClient) -> None:
    page = two_per_page.get("/").text
    assert re.search(r"<strong>3</strong> open zaken", page)
    waiting = page.split('id="h-approve"', 1)[1]
    assert "(4)" in waiting.split("</h2>", 1)[0]
    assert waiting.count('<li><a href="/drafts/') == 1
    assert '<a href="/drafts?state=draft">Alle 4 wachtende brieven</a>' in waiting
