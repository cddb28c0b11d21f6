"""Issue 14 item 10: browsers ask for /favicon.ico on every page; it is not a 404."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_favicon_is_served_without_login(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
