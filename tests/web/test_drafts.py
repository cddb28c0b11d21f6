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


def test_bulk_approval_marks_cases_whose_labels_need_checking(
    client: TestClient, login: object, web_engine: object
) -> None:
    """Browser walk: an acknowledgement names the rights its labels found; a case whose labels
    a person should check ("I do not need a copy" read as access + erasure) was ticked for
    bulk approval like the others. Now it is marked and left unticked."""
    from sqlmodel import Session, select

    from avgdesk.models.tables import Case, Draft, InboundMessage

    with Session(web_engine) as s:  # type: ignore[arg-type]
        ack = s.exec(select(Draft).where(Draft.kind == "acknowledgement", Draft.state == "draft")).first()
        assert ack is not None
        ack_id = ack.id
        case = s.get(Case, ack.case_id)
        assert case is not None
        reference = case.reference
        for message in s.exec(select(InboundMessage).where(InboundMessage.case_id == case.id)):
            message.needs_review = True
        s.commit()
    login(client, "goedkeurder")  # type: ignore[operator]
    page = client.get("/drafts").text
    row = re.search(rf'<li><label class="check"><input[^>]*value="{ack_id}"[^>]*>.*?</li>', page, re.S)
    assert row is not None, page
    checkbox = re.search(r"<input[^>]*>", row.group(0))
    assert checkbox is not None and "checked" not in checkbox.group(0)
    assert f'<a class="badge soon" href="/cases/{reference}">labels controleren</a>' in row.group(0)
    others = re.findall(r'<input type="checkbox" name="draft_ids" value="(\d+)" checked>', page)
    assert others and str(ack_id) not in others
