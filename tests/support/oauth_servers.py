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
        claims: dict[str, Any] = {
            "sub": email,
            "email": email,
            "aud": aud,
            "iat": now,
            "nbf": now,
            "exp": now + max(1, int(lifetime_s)),
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
    (Dovecot's ``scope`` check reads ``aud`` when a token has no ``scope`` claim) and
    whose ``email`` equals the login name; PLAIN/LOGIN with the password ``secret``."""

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
        return conf

    return start_dovecot(root, conf_hook=hook)
