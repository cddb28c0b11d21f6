"""Local stand-ins for the OAuth parts of Microsoft 365 and Google Workspace.

* :func:`start_dovecot_oauth2` — Dovecot with its ``oauth2`` passdb validating JWTs
  locally (HS256, a key the test generates, looked up through an ``fs:posix`` dict), next
  to the usual static password passdb (PLAIN/LOGIN only).
* :class:`OAuthStub` — one HTTPS server (a throwaway CA the clients are told to trust)
  speaking Entra ID's OpenID discovery and ``/{tenant}/oauth2/v2.0/token``, Google's
  token endpoint (JWT-bearer for service accounts, refresh tokens), and Graph's
  ``/v1.0/users/{mailbox}/sendMail`` with fault modes. msal and google-auth run their real
  code paths against it.
* :class:`XOAuth2SmtpSink` — aiosmtpd with an XOAUTH2 authenticator that checks the same JWTs.

Nothing here reaches the internet: every address is 127.0.0.1.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import json
import os
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from servers import ImapServer, free_port, start_dovecot

MAIL_AUDIENCE = "https://outlook.office365.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
GOOGLE_AUDIENCE = "https://mail.google.com/"


# --- signing -------------------------------------------------------------------------------


@dataclass
class Signer:
    """Issues HS256 access tokens the Dovecot passdb and the SMTP sink accept."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def issue(
        self, *, email: str, aud: str, lifetime_s: float, roles: list[str] | None = None, **extra: Any
    ) -> str:
        now = int(time.time())
        exp = now + int(lifetime_s)
        issued = min(now, exp - 60)  # an expired token was issued before it expired
        claims: dict[str, Any] = {
            "sub": email,
            "email": email,
            "aud": aud,
            "iat": issued,
            "nbf": issued,
            "exp": exp,
            "iss": "https://stub.invalid/",
            **extra,
        }
        if roles is not None:
            claims["roles"] = roles
        return jwt.encode(claims, self.key, algorithm="HS256")

    def verify(self, token: str, *, aud: str) -> dict[str, Any]:
        return dict(jwt.decode(token, self.key, algorithms=["HS256"], audience=aud))


# --- Dovecot with an oauth2 passdb -----------------------------------------------------------


def start_dovecot_oauth2(root: Path, signer: Signer, audience: str = MAIL_AUDIENCE) -> ImapServer:
    """Dovecot accepting XOAUTH2 tokens signed by ``signer`` whose ``aud`` is ``audience``
    (Dovecot's ``client_id`` check: it must be one of the token's audiences) and whose
    ``email`` equals the login name; PLAIN/LOGIN with the password ``secret``. The Sent
    folder is Exchange's "Sent Items", flagged ``\\Sent``."""

    def hook(conf: str, base: Path) -> str:
        # Dovecot looks up shared/<azp>/<alg>/<kid>; the fs dict drops "shared/".
        keys = base / "keys" / "default" / "HS256"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "default").write_text(base64.b64encode(signer.key).decode())
        for folder in (base / "keys", keys.parent, keys):
            os.chmod(folder, 0o755)
        os.chmod(keys / "default", 0o644)
        (base / "dovecot-oauth2.conf.ext").write_text(
            "introspection_mode = local\n"
            f"local_validation_key_dict = fs:posix:prefix={base}/keys/\n"
            "username_attribute = email\n"
            f"client_id = {audience}\n"
        )
        conf = conf.replace(
            "auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer"
        )
        conf = conf.replace(
            "passdb {\n  driver = static\n",
            "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {base}/dovecot-oauth2.conf.ext\n}}\n"
            "passdb {\n  driver = static\n  mechanisms = plain login\n",
        )
        # Exchange's Sent folder, flagged \Sent (RFC 6154), so mailbox check can point at it.
        conf += (
            "\nnamespace inbox {\n  inbox = yes\n"
            '  mailbox "Sent Items" {\n    special_use = \\Sent\n    auto = create\n  }\n}\n'
        )
        # Refused tokens are the point of these tests: no growing per-IP auth penalty
        # (Dovecot's documented switch: the auth process cannot reach anvil's penalty socket).
        return conf.replace(
            "service anvil {\n  chroot =\n}",
            "service anvil {\n  chroot =\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}",
        )

    return start_dovecot(root, conf_hook=hook)


# --- TLS for the stub (msal insists on https) -------------------------------------------------


@dataclass(frozen=True)
class TestTls:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def make_tls(folder: Path) -> TestTls:
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "avgdesk test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = TestTls(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return tls


def make_app_certificate(folder: Path) -> tuple[Path, str, Any]:
    """An app-registration certificate: PEM (key + certificate), its SHA-1 thumbprint
    (hex, as the Entra portal shows it) and its public key (what Entra would hold)."""
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "avgdesk app")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    path = folder / "app-cert.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return path, thumbprint, key.public_key()


def make_service_account(folder: Path, token_uri: str) -> tuple[Path, str, Any]:
    """A Google service-account JSON key file; returns (path, client_email, public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = "avgdesk@avgdesk-test.iam.gserviceaccount.com"
    info = {
        "type": "service_account",
        "project_id": "avgdesk-test",
        "private_key_id": secrets.token_hex(20),
        "private_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "client_email": email,
        "client_id": "104000000000000000001",
        "token_uri": token_uri,
    }
    path = folder / "service-account.json"
    path.write_text(json.dumps(info))
    return path, email, key.public_key()


# --- the HTTPS stub: Entra ID, Google, Graph ----------------------------------------------------


@dataclass
class EntraApp:
    client_id: str
    secret: str | None = None
    certificate_key: Any = None
    certificate_thumbprint: str | None = None
    roles: list[str] = field(default_factory=lambda: ["IMAP.AccessAsApp", "SMTP.SendAsApp", "Mail.Send"])


@dataclass
class GraphCall:
    mailbox: str
    mime: bytes
    authorization: str


class OAuthStub:
    """Entra ID + Google token endpoints and Graph sendMail on https://127.0.0.1:<port>.

    ``mailbox_email`` goes into every issued token's ``email`` claim (Exchange takes the
    mailbox from the SASL user; Dovecot's passdb compares it with this claim).
    ``token_lifetime_s`` is what the token endpoint reports; ``jwt_lifetime_s`` (default
    the same) is what the token really carries, so a test can hand out a token that dies
    before the client expects it to. ``graph_mode``: ok | 401 | 403 | 429 | 503 | hang:<s>.
    """

    def __init__(self, tls: TestTls, signer: Signer, tenant: str = "contoso-tenant") -> None:
        self.tls = tls
        self.signer = signer
        self.tenant = tenant
        self.apps: dict[str, EntraApp] = {}
        self.mailbox_email = "privacy@nhmb.example"
        self.token_lifetime_s = 3600.0
        self.jwt_lifetime_s: float | None = None
        self.jwt_lifetimes: list[float] = []
        """Used first, one per issued token (a negative one is already expired)."""
        self.token_audience_override: str | None = None
        self.google_subjects: set[str] = set()
        self.google_delegated = True
        self.google_sa_email: str | None = None
        self.google_sa_key: Any = None
        self.google_refresh_tokens: dict[str, tuple[str, str]] = {}
        self.graph_mode = "ok"
        self.graph_calls: list[GraphCall] = []
        self.requests: list[str] = []
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._server.socket = tls.server_context().wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def google_token_uri(self) -> str:
        return f"{self.base_url}/google/token"

    def token_requests(self) -> int:
        return sum(1 for r in self.requests if r.endswith("/token"))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- token issuing ----------------------------------------------------------------
    def _issue(self, audience: str, roles: list[str] | None, email: str) -> dict[str, Any]:
        if self.jwt_lifetimes:
            lifetime = self.jwt_lifetimes.pop(0)
        else:
            lifetime = self.jwt_lifetime_s if self.jwt_lifetime_s is not None else self.token_lifetime_s
        token = self.signer.issue(
            email=email, aud=self.token_audience_override or audience, lifetime_s=lifetime, roles=roles
        )
        return {"token_type": "Bearer", "expires_in": int(self.token_lifetime_s), "access_token": token}

    def entra_token(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if tenant != self.tenant:
            return 400, _aad("invalid_request", 90002, f"Tenant '{tenant}' not found.")
        app = self.apps.get(form.get("client_id", ""))
        if app is None:
            return 400, _aad(
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found.",
            )
        if "client_assertion" in form:
            problem = self._check_assertion(app, form["client_assertion"], tenant)
            if problem:
                return 401, _aad("invalid_client", 700027, problem)
        elif form.get("client_secret") != app.secret or app.secret is None:
            return 401, _aad("invalid_client", 7000215, "Invalid client secret provided.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return 400, _aad("invalid_scope", 1002012, f"The provided value for scope {scope} is not valid.")
        return 200, self._issue(scope.removesuffix("/.default"), app.roles, self.mailbox_email)

    def _check_assertion(self, app: EntraApp, assertion: str, tenant: str) -> str | None:
        if app.certificate_key is None:
            return "No certificate is registered for the app."
        header = jwt.get_unverified_header(assertion)
        x5t = header.get("x5t")
        expected = base64.urlsafe_b64encode(bytes.fromhex(app.certificate_thumbprint or "")).rstrip(b"=")
        if x5t is not None and x5t.rstrip("=").encode() != expected:
            return "Client assertion contains an invalid signature (unknown key)."
        try:
            jwt.decode(
                assertion,
                app.certificate_key,
                algorithms=["RS256", "PS256"],
                audience=f"{self.base_url}/{tenant}/oauth2/v2.0/token",
            )
        except jwt.PyJWTError as exc:
            return f"Client assertion contains an invalid signature: {exc}"
        return None

    def google_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(
                    form.get("assertion", ""),
                    self.google_sa_key,
                    algorithms=["RS256"],
                    # google-auth always names Google's own endpoint as the audience.
                    audience=[self.google_token_uri, "https://oauth2.googleapis.com/token"],
                )
            except jwt.PyJWTError as exc:
                return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}
            if claims.get("iss") != self.google_sa_email:
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            if not self.google_delegated:
                return 401, {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this "
                    "method, or client not authorized for any of the scopes requested.",
                }
            if claims.get("sub") not in self.google_subjects:
                return 400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
            return 200, self._issue(GOOGLE_AUDIENCE, None, str(claims["sub"]))
        if grant == "refresh_token":
            known = self.google_refresh_tokens.get(form.get("refresh_token", ""))
            if known is None:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            client_id, email = known
            if form.get("client_id") != client_id or not form.get("client_secret"):
                return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
            return 200, self._issue(GOOGLE_AUDIENCE, None, email)
        return 400, {"error": "unsupported_grant_type"}

    def graph_send(
        self, mailbox: str, authorization: str, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        mode = self.graph_mode
        token = authorization.removeprefix("Bearer ")
        try:
            claims = self.signer.verify(token, aud=GRAPH_AUDIENCE)
        except jwt.PyJWTError:
            return 401, _graph_error("InvalidAuthenticationToken", "Access token validation failure."), {}
        if mode == "401":
            return 401, _graph_error("InvalidAuthenticationToken", "Lifetime validation failed."), {}
        if mode == "403" or "Mail.Send" not in (claims.get("roles") or []):
            return (
                403,
                _graph_error("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
                {},
            )
        if mode == "429":
            return 429, _graph_error("ApplicationThrottled", "Too many requests."), {"Retry-After": "7"}
        if mode == "503":
            return 503, _graph_error("ServiceUnavailable", "Service unavailable."), {"Retry-After": "3"}
        # From here Graph has the message, even when its answer comes too late.
        self.graph_calls.append(GraphCall(mailbox, base64.b64decode(body), authorization))
        if mode.startswith("hang:"):
            time.sleep(float(mode.split(":", 1)[1]))
        return 202, {}, {"request-id": secrets.token_hex(8)}

    def discovery(self, tenant: str) -> tuple[int, dict[str, Any]]:
        """Entra's OpenID configuration for a tenant (msal reads the token endpoint from it)."""
        if tenant != self.tenant:
            return 400, _aad("invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.base_url}/{tenant}"
        return 200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                body = json.dumps(payload).encode() if payload or status != 202 else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                stub.requests.append(f"GET {path}")
                parts = path.strip("/").split("/")
                if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                    self._reply(*stub.discovery(parts[0]))
                    return
                self._reply(404, {"error": "not_found"})

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                stub.requests.append(f"POST {path}")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = path.strip("/").split("/")
                if path == "/google/token":
                    self._reply(*stub.google_token(_form(body)))
                elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                    self._reply(*stub.entra_token(parts[0], _form(body)))
                elif (
                    len(parts) == 4 and parts[0] == "v1.0" and parts[1] == "users" and parts[3] == "sendMail"
                ):
                    if self.headers.get("Content-Type") != "text/plain":
                        self._reply(400, _graph_error("ErrorMimeContentInvalid", "Content-Type"))
                        return
                    self._reply(*stub.graph_send(parts[2], self.headers.get("Authorization", ""), body))
                else:
                    self._reply(404, {"error": "not_found"})

        return Handler


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def _aad(error: str, code: int, text: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: 0 Correlation ID: 0 Timestamp: 2026-11-29",
        "error_codes": [code],
    }


def _graph_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# --- aiosmtpd with XOAUTH2 ------------------------------------------------------------------------


class XOAuth2SmtpSink:
    """aiosmtpd on loopback that accepts AUTH XOAUTH2 with a token from ``signer`` for
    ``audience`` whose ``email`` is the SASL user (and PLAIN/LOGIN with ``secret``).
    A refused token gets the 334 error challenge and then 535, as Exchange and Gmail do."""

    def __init__(self, signer: Signer, audience: str = MAIL_AUDIENCE) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.signer = signer
        self.audience = audience
        self.messages: list[bytes] = []
        self.auth_users: list[str] = []
        self.refusals = 0
        self.port = free_port()
        sink = self

        class Handler:
            async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:
                if len(args) < 2:
                    return AuthResult(success=False, handled=False)
                decoded = base64.b64decode(args[1]).decode()
                fields = dict(p.split("=", 1) for p in decoded.split("\x01") if "=" in p)
                user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
                try:
                    claims = sink.signer.verify(token, aud=sink.audience)
                    ok = claims.get("email") == user
                except jwt.PyJWTError:
                    ok = False
                if ok:
                    sink.auth_users.append(user)
                    return AuthResult(success=True, auth_data=user)
                sink.refusals += 1
                challenge = base64.b64encode(
                    json.dumps({"status": "401", "schemes": "bearer", "scope": sink.audience}).encode()
                ).decode()
                await server.challenge_auth(challenge, encode_to_b64=False)  # the client answers empty
                return AuthResult(success=False, handled=False)

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(envelope.original_content or envelope.content)
                return "250 2.0.0 queued"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and data.password == b"secret"
            return AuthResult(success=ok)

        class _Controller(Controller):  # type: ignore[misc]
            def factory(self) -> Any:
                server = super().factory()
                # A bearer token does not fit aiosmtpd's 512-byte command line; Exchange
                # and Gmail take AUTH lines of several kilobytes.
                server.command_size_limits = collections.defaultdict(lambda: 512, {"AUTH": 16384})
                return server

        self.controller = _Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
