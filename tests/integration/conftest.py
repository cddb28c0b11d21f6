"""Integration fixtures: the OAuth stand-ins (see tests/support/oauth_fixtures.py)."""

from oauth_fixtures import oauth, oauth_dovecot, oauth_session

__all__ = ["oauth", "oauth_dovecot", "oauth_session"]
