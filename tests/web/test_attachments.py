"""Issue 17: attachments on the draft page through HTTP — upload (type and size limits,
Dutch refusals), the list with sha256, the download with the exact bytes, the package
button, and approval of an access answer that carries its package."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import zipfile
from typing import Any

from draft_files import seeded_access_draft
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import DraftAttachment, OutboxItem

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8


def test_upload_list_download_package_approve(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any, web_settings: Any
) -> None:
    reference, draft_id = seeded_access_draft(web_engine, web_settings)
    login(client, "mw")
    url = f"/drafts/{draft_id}"
    token = csrf_of(client, url)
    assert "Bijlagen (0)" in client.get(url).text
    r = client.post(
        f"{url}/attachments",
        data={"csrf_token": token},
        files={"file": ("programma.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")},
    )
    assert r.status_code == 409 and "Dit soort bestand" in r.text
    r = client.post(
        f"{url}/attachments", data={"csrf_token": token}, files={"file": ("scan.pdf", PDF, "application/pdf")}
    )
    assert r.status_code == 303 and r.headers["location"] == f"{url}#bijlagen"
    page = client.get(url).text
    assert "Bijlagen (1)" in page and hashlib.sha256(PDF).hexdigest()[:16] in page
    link = re.search(rf'href="({url}/attachments/\d+)" download>scan.pdf<', page)
    assert link
    download = client.get(link.group(1))
    assert download.content == PDF and download.headers["content-type"] == "application/octet-stream"
    assert client.post(f"{url}/package", data={"csrf_token": token}).status_code == 303
    assert f"inzage-{reference}.zip" in client.get(url).text
    client.cookies.clear()
    login(client, "goedkeurder")
    token = csrf_of(client, url)
    r = client.post(f"{url}/approve", data={"csrf_token": token, "version": "1", "confirm": "1"})
    assert r.status_code == 303, r.text
    with Session(web_engine) as s:
        item = s.exec(select(OutboxItem).where(OutboxItem.draft_id == draft_id)).one()
        package = s.exec(select(DraftAttachment).where(DraftAttachment.origin == "package")).one()
    sent = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    parts = {p.get_filename(): p.get_content() for p in sent.iter_attachments()}  # type: ignore[attr-defined]
    assert parts == {"scan.pdf": PDF, f"inzage-{reference}.zip": package.data}
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert "overzicht.html" in names and "bijlagen/scan.pdf" in names


def test_upload_over_the_limit_is_refused(
    app_factory: Any, login: Any, csrf_of: Any, web_engine: Any, web_settings: Any
) -> None:
    _, draft_id = seeded_access_draft(web_engine, web_settings)
    app = app_factory(attachment_max_bytes=1000)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, "mw")
        token = csrf_of(client, f"/drafts/{draft_id}")
        r = client.post(
            f"/drafts/{draft_id}/attachments",
            data={"csrf_token": token},
            files={"file": ("groot.pdf", PDF * 50, "application/pdf")},
        )
        assert r.status_code == 413
    with Session(web_engine) as s:
        assert s.exec(select(DraftAttachment)).first() is None
