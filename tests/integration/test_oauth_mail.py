"""XOAUTH2 against real servers, Graph sendMail against the local stub, and the
``mailbox check`` logic against Dovecot (password and OAuth).

Dovecot validates the JWTs itself (oauth2 passdb, local validation, HS256 key from the
test); aiosmtpd checks them in its XOAUTH2 handler; the tokens come from msal and
google-auth talking to the local Entra ID / Google endpoints.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from helpers import wait_for
from oauth_fixtures import MAILBOX, OAuthEnv
from oauth_servers import GOOGLE_AUDIENCE, MAIL_AUDIENCE, EntraApp, XOAuth2SmtpSink
from servers import ImapServer, free_port

from avgdesk.mailbox.check import CheckReport, ImapCheckConfig, check_imap, check_sender
from avgdesk.mailbox.graph import GraphMailer, GraphParams, GraphThrottled
from avgdesk.mailbox.imap import ImapConnection, ImapParams
from avgdesk.mailbox.oauth import (
    GOOGLE_MAIL_SCOPE,
    MICROSOFT_GRAPH_SCOPE,
    MICROSOFT_MAIL_SCOPE,
    CachedTokenProvider,
    make_token_provider,
)
from avgdesk.mailbox.smtp import AmbiguousDelivery, SmtpMailer, SmtpParams
from avgdesk.models.errors import MailboxAuthError, SmtpPermanentError, SmtpTemporaryError


def _imap(server: ImapServer, provider: CachedTokenProvider | None, user: str = MAILBOX) -> ImapParams:
    return ImapParams(
        host=server.host,
        port=server.port,
        username=user,
        password="" if provider else server.password,
        security="none",
        connect_timeout_s=5,
        read_timeout_s=10,
        token_provider=provider,
        token_audience=MAIL_AUDIENCE if provider else None,
    )


def _mail(sender: str = MAILBOX) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "klant@example.nl"
    msg["Subject"] = "Uw verzoek AVG-2026-0001"
    mid = make_msgid(domain="nhmbsoftware.nl")
    msg["Message-ID"] = mid
    msg.set_content("Wij hebben uw verzoek ontvangen.")
    return bytes(msg), mid


# --- IMAP -------------------------------------------------------------------------------------


def test_imap_xoauth2_login(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # even at DEBUG no token reaches a log record
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    conn = ImapConnection(_imap(oauth_dovecot, provider))
    conn.connect()
    try:
        assert conn.select("INBOX").uidvalidity > 0
    finally:
        conn.close()
    assert oauth.stub.token_requests() == 1
    token = provider.token().value
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "auth=oauth2" in logged
    assert token.split(".")[1] not in logged and "dXNlcj1" not in logged  # nor its XOAUTH2 base64


def test_token_renewed_before_it_expires(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    oauth.stub.token_lifetime_s = 10
    provider = make_token_provider(oauth.microsoft(refresh_margin_s=7.5), MICROSOFT_MAIL_SCOPE)
    conn = ImapConnection(_imap(oauth_dovecot, provider))
    conn.connect()
    conn.close()
    first = provider.token()  # the cached token of the first login
    # Wait until it is inside the refresh margin (2.5 s after it was issued), not a fixed time.
    wait_for(lambda: first.expires_within(7.5), timeout_s=30)
    conn = ImapConnection(_imap(oauth_dovecot, provider))
    conn.connect()
    conn.close()
    # The second connection found the token inside the margin and fetched a new one first.
    assert oauth.stub.token_requests() == 2
    assert provider.token() is not first


def test_refused_expired_token_is_refreshed_and_the_login_retried(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The endpoint says an hour, but the first token has already expired (revoked, clock
    # skew): only the server's refusal tells the client. The next token is a good one.
    oauth.stub.jwt_lifetimes = [-30]
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    caplog.set_level(logging.INFO, logger="avgdesk.mailbox.imap")
    conn = ImapConnection(_imap(oauth_dovecot, provider))
    conn.connect()
    try:
        conn.select("INBOX")
    finally:
        conn.close()
    assert oauth.stub.token_requests() == 2
    assert "imap refused the oauth2 token; fetching a new one and reconnecting" in caplog.text


def test_wrong_audience_is_a_clear_auth_error(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    oauth.stub.token_audience_override = "https://graph.microsoft.com"
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    with pytest.raises(MailboxAuthError) as info:
        ImapConnection(_imap(oauth_dovecot, provider)).connect()
    message = str(info.value)
    assert "IMAP refused the OAuth token" in message
    assert "not 'https://outlook.office365.com'" in message and "scope" in message
    assert oauth.stub.token_requests() == 2  # one retry with a fresh token, then the verdict


def test_no_mailbox_permission_names_the_exchange_steps(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    # A valid Exchange token that the server will not accept for this mailbox: what
    # Exchange answers ("AUTHENTICATE failed") when Add-MailboxPermission is missing.
    oauth.stub.mailbox_email = "someone-else@nhmb.example"
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    with pytest.raises(MailboxAuthError, match=r"IMAP\.AccessAsApp.*Add-MailboxPermission"):
        ImapConnection(_imap(oauth_dovecot, provider)).connect()


# --- SMTP -------------------------------------------------------------------------------------


@pytest.fixture
def xoauth_sink(oauth: OAuthEnv) -> XOAuth2SmtpSink:
    sink = XOAuth2SmtpSink(oauth.signer)
    yield sink  # type: ignore[misc]
    sink.stop()


def _smtp(sink: XOAuth2SmtpSink, provider: CachedTokenProvider) -> SmtpMailer:
    return SmtpMailer(
        SmtpParams(
            host="127.0.0.1",
            port=sink.port,
            username=MAILBOX,
            security="none",
            timeout_s=5,
            token_provider=provider,
            token_audience=MAIL_AUDIENCE,
        )
    )


async def test_smtp_xoauth2_submission(oauth: OAuthEnv, xoauth_sink: XOAuth2SmtpSink) -> None:
    raw, mid = _mail()
    result = await _smtp(xoauth_sink, make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)).send(
        raw, sender=MAILBOX, recipients=["klant@example.nl"]
    )
    assert result.response.startswith("2.0.0") or "queued" in result.response
    assert xoauth_sink.auth_users == [MAILBOX]
    assert len(xoauth_sink.messages) == 1 and mid.encode() in xoauth_sink.messages[0]


async def test_smtp_bad_token_is_535_and_permanent(oauth: OAuthEnv, xoauth_sink: XOAuth2SmtpSink) -> None:
    oauth.stub.token_audience_override = "https://graph.microsoft.com"
    mailer = _smtp(xoauth_sink, make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE))
    raw, _ = _mail()
    with pytest.raises(SmtpPermanentError) as info:
        await mailer.send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert "535" in str(info.value) and "not 'https://outlook.office365.com'" in str(info.value)
    assert xoauth_sink.refusals == 2 and xoauth_sink.messages == []
    assert oauth.stub.token_requests() == 2


async def test_smtp_with_a_google_service_account(oauth: OAuthEnv) -> None:
    sink = XOAuth2SmtpSink(oauth.signer, audience=GOOGLE_AUDIENCE)
    try:
        raw, _ = _mail()
        await _smtp(sink, make_token_provider(oauth.google(), GOOGLE_MAIL_SCOPE)).send(
            raw, sender=MAILBOX, recipients=["klant@example.nl"]
        )
        assert sink.auth_users == [MAILBOX] and len(sink.messages) == 1
    finally:
        sink.stop()


async def test_smtp_token_endpoint_down_is_temporary(oauth: OAuthEnv, xoauth_sink: XOAuth2SmtpSink) -> None:
    config = oauth.microsoft(authority_url=f"https://127.0.0.1:{free_port()}", timeout_s=2.0)
    raw, _ = _mail()
    with pytest.raises(SmtpTemporaryError):
        await _smtp(xoauth_sink, make_token_provider(config, MICROSOFT_MAIL_SCOPE)).send(
            raw, sender=MAILBOX, recipients=["klant@example.nl"]
        )


# --- Graph ------------------------------------------------------------------------------------


def _graph(oauth: OAuthEnv, timeout_s: float = 5.0, base_url: str | None = None) -> GraphMailer:
    return GraphMailer(
        GraphParams(
            mailbox=MAILBOX,
            token_provider=make_token_provider(oauth.microsoft(), MICROSOFT_GRAPH_SCOPE),
            base_url=base_url or oauth.stub.base_url,
            connect_timeout_s=2.0,
            timeout_s=timeout_s,
            ca_file=oauth.tls.ca_file,
        )
    )


async def test_graph_sends_the_approved_bytes(oauth: OAuthEnv) -> None:
    raw, mid = _mail()
    result = await _graph(oauth).send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert result.response.startswith("202")
    [call] = oauth.stub.graph_calls
    assert call.mailbox == MAILBOX and call.mime == raw and mid.encode() in call.mime


async def test_graph_401_retries_once_then_is_permanent(oauth: OAuthEnv) -> None:
    oauth.stub.graph_mode = "401"
    raw, _ = _mail()
    with pytest.raises(SmtpPermanentError, match=r"Graph 401 InvalidAuthenticationToken.*Mail\.Send"):
        await _graph(oauth).send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert oauth.stub.token_requests() == 2 and oauth.stub.graph_calls == []


async def test_graph_without_mail_send_is_403_with_the_fix(oauth: OAuthEnv) -> None:
    oauth.stub.apps[next(iter(oauth.stub.apps))] = EntraApp(
        next(iter(oauth.stub.apps)), secret=oauth.microsoft().client_secret, roles=["IMAP.AccessAsApp"]
    )
    raw, _ = _mail()
    with pytest.raises(SmtpPermanentError, match=r"403 ErrorAccessDenied.*no Mail\.Send role"):
        await _graph(oauth).send(raw, sender=MAILBOX, recipients=["klant@example.nl"])


@pytest.mark.parametrize(("mode", "retry_after"), [("429", 7.0), ("503", 3.0)])
async def test_graph_throttling_is_temporary_with_retry_after(
    oauth: OAuthEnv, mode: str, retry_after: float
) -> None:
    oauth.stub.graph_mode = mode
    raw, _ = _mail()
    with pytest.raises(GraphThrottled) as info:
        await _graph(oauth).send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert isinstance(info.value, SmtpTemporaryError) and not isinstance(info.value, AmbiguousDelivery)
    assert info.value.retry_after_s == retry_after
    assert oauth.stub.graph_calls == []


async def test_graph_timeout_after_sending_is_ambiguous(oauth: OAuthEnv) -> None:
    oauth.stub.graph_mode = "hang:2.5"
    raw, _ = _mail()
    with pytest.raises(AmbiguousDelivery):
        await _graph(oauth, timeout_s=1.0).send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert len(oauth.stub.graph_calls) == 1  # Graph had it: a resend must reuse the Message-ID


async def test_graph_unreachable_is_temporary_not_ambiguous(oauth: OAuthEnv) -> None:
    raw, _ = _mail()
    mailer = _graph(oauth, base_url=f"https://127.0.0.1:{free_port()}")
    with pytest.raises(SmtpTemporaryError) as info:
        await mailer.send(raw, sender=MAILBOX, recipients=["klant@example.nl"])
    assert not isinstance(info.value, AmbiguousDelivery)


# --- mailbox check ------------------------------------------------------------------------------


def _statuses(report: CheckReport) -> dict[str, str]:
    return {f.check: f.status for f in report.findings}


def test_check_with_a_password(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    report = CheckReport()
    check_imap(_imap(oauth_dovecot, None, user="check-pw"), ImapCheckConfig(sent_folder="Sent Items"), report)
    statuses = _statuses(report)
    assert statuses["imap login"] == "ok" and statuses["read folder"] == "ok"
    assert statuses["idle"] == "ok" and statuses["move"] == "ok"
    assert statuses["processed folder"] == "warn" and statuses["sent folder"] == "ok"
    assert report.ok
    assert "oauth2 token" not in statuses

    # The default name "Sent" on an Exchange-like server: the check names the real folder.
    report = CheckReport()
    check_imap(_imap(oauth_dovecot, None, user="check-pw"), ImapCheckConfig(sent_folder="Sent"), report)
    [sent] = [f for f in report.findings if f.check == "sent folder"]
    assert sent.status == "fail" and sent.fix == "set AVGDESK_IMAP_SENT_FOLDER=Sent Items"
    assert not report.ok


def test_check_with_oauth(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    report = CheckReport()
    config = ImapCheckConfig(sent_folder="Sent Items", token_role="IMAP.AccessAsApp")
    check_imap(_imap(oauth_dovecot, provider), config, report)
    statuses = _statuses(report)
    assert statuses["oauth2 token"] == "ok" and statuses["imap login"] == "ok", report.lines()
    assert report.ok
    assert any("expires" in f.detail for f in report.findings)


def test_check_reports_what_to_fix(oauth: OAuthEnv, oauth_dovecot: ImapServer) -> None:
    bad_password = _imap(oauth_dovecot, None, user="check-bad")
    bad_password = ImapParams(**{**bad_password.__dict__, "password": "wrong"})
    report = CheckReport()
    check_imap(bad_password, ImapCheckConfig(), report)
    assert _statuses(report) == {"imap login": "fail"} and not report.ok
    assert "AVGDESK_IMAP_PASSWORD" in report.findings[0].fix

    report = CheckReport()
    check_imap(_imap(oauth_dovecot, None, user="check-folder"), ImapCheckConfig(folder="Privacy"), report)
    assert _statuses(report)["read folder"] == "fail" and "INBOX" in report.findings[2].fix

    oauth.stub.apps[next(iter(oauth.stub.apps))].roles = ["Mail.Send"]
    report = CheckReport()
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    check_imap(_imap(oauth_dovecot, provider), ImapCheckConfig(token_role="IMAP.AccessAsApp"), report)
    assert _statuses(report) == {"oauth2 token": "fail"}
    assert "IMAP.AccessAsApp" in report.findings[0].detail and "admin consent" in report.findings[0].detail
    assert any(line.startswith("FAIL") for line in report.lines())


async def test_check_senders_send_nothing(oauth: OAuthEnv, xoauth_sink: XOAuth2SmtpSink) -> None:
    report = CheckReport()
    smtp = _smtp(xoauth_sink, make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE))
    await check_sender("smtp login", smtp.check_login, report, "fix smtp")
    await check_sender("graph", _graph(oauth).check_token, report, "fix graph")
    assert _statuses(report) == {"smtp login": "ok", "graph": "ok"}
    assert xoauth_sink.auth_users == [MAILBOX] and xoauth_sink.messages == []
    assert oauth.stub.graph_calls == []

    oauth.stub.token_audience_override = "https://graph.microsoft.com"
    report = CheckReport()
    smtp = _smtp(xoauth_sink, make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE))
    await check_sender("smtp login", smtp.check_login, report, "fix smtp")
    assert _statuses(report) == {"smtp login": "fail"} and report.findings[0].fix == "fix smtp"
