"""At 390 px the queue's cards name their fields (the received date and the handler are
not bare values) and draft headings wrap between words, never inside one."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import requires_chromium
from sqlmodel import Session, col, select

from avgdesk.models.tables import Draft

pytest.importorskip("playwright.sync_api")

pytestmark = requires_chromium

BROKEN_WORDS = """(selector) => {
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_phone_cards_have_labels_and_headings_keep_words(phone_browser: Any, live: dict[str, Any]) -> None:
    with Session(live["engine"]) as s:
        drafts = list(s.exec(select(Draft).order_by(col(Draft.id))))
    assert drafts, "the seed makes drafts"
    context = phone_browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live["url"] + "/login")
        page.get_by_label("Gebruikersnaam").fill("beheer")
        page.get_by_label("Wachtwoord").fill(live["passwords"]["beheer"])
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(live["url"] + "/")
        page.goto(live["url"] + "/cases")
        labels = page.evaluate(
            """() => [...document.querySelectorAll('table.queue tbody tr:first-child td')]
                .map((td) => getComputedStyle(td, '::before').content)"""
        )
        assert any("Ontvangen" in label for label in labels), labels
        assert any("Behandelaar" in label for label in labels), labels
        for draft in drafts:
            page.goto(f"{live['url']}/drafts/{draft.id}")
            broken = page.evaluate(BROKEN_WORDS, "h1, h2, h3")
            assert not broken, f"/drafts/{draft.id}: words broken across lines: {broken}"
    finally:
        context.close()
