"""Alembic migrations; applied at start and by ``avgdesk db upgrade``."""
