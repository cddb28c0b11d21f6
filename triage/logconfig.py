"""Logging setup. Log lines carry ids, counts and error types, never message bodies."""

from __future__ import annotations

import logging
import sys


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if getattr(root, "_avgdesk_configured", False):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Third-party debug output can echo protocol traffic, which carries mail content.
    for noisy in ("imapclient", "aiosmtplib", "mail.log", "sqlalchemy.engine", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._avgdesk_configured = True  # type: ignore[attr-defined]
