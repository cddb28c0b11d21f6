"""The public download of a reply's file by its link (issue 17): no login, the token alone.

``GET /download/{token}``: the token is the only thing in the URL (no case reference, no
name, no address). A dead link (unknown, expired, revoked, used up, deleted by retention)
gets one plain Dutch page with 404, whatever the reason, so the page tells a guesser
nothing. The file is served as an attachment with ``nosniff`` and a sandbox CSP, never
rendered inline.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from avgdesk.triage.cases import download_links
from avgdesk.web.deps import get_ctx
from avgdesk.web.security import client_ip

router = APIRouter()

DEAD_TEXT = (
    "Deze downloadlink werkt niet (meer). Hij is verlopen, al het toegestane aantal keren "
    "gebruikt of ingetrokken. Neem contact op met ons privacyteam als u het bestand nog nodig hebt."
)

BUSY_TEXT = "Te veel mislukte downloads vanaf dit adres. Probeer het over een kwartier opnieuw."


def _ascii_name(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")


@router.get("/download/{token}", include_in_schema=False)
async def download(request: Request, token: str) -> Response:
    ctx = get_ctx(request)
    ip = client_ip(request, ctx.web)
    failures = ctx.download_failures_per_ip
    if failures.blocked(ip):
        # A guesser gets no more database lookups (nor log lines) until the window passes.
        return PlainTextResponse(
            BUSY_TEXT,
            status_code=429,
            headers={"Retry-After": str(failures.retry_after_s(ip)), "Referrer-Policy": "no-referrer"},
        )
    try:
        # The use case owns its transaction (the count and the audit event commit together).
        served = await run_in_threadpool(download_links.fetch, ctx.engine, token)
    except download_links.LinkDead:
        failures.hit(ip)
        return PlainTextResponse(DEAD_TEXT, status_code=404, headers={"Referrer-Policy": "no-referrer"})
    return Response(
        served.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii_name(served.filename)}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Referrer-Policy": "no-referrer",
        },
    )
