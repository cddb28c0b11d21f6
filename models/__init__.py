"""Storage: SQLModel tables, engine and sessions, Alembic migrations, the exception tree.

A light package: importing ``avgdesk.models`` (or ``avgdesk.models.errors`` or
``avgdesk.models.vocabulary``) loads no SQLAlchemy, so the command line starts at once.
Import from the modules themselves: ``avgdesk.models.tables`` (the tables),
``avgdesk.models.engine`` (engine and sessions), ``avgdesk.models.errors`` (the exception
tree), ``avgdesk.models.vocabulary`` (shared enums and names), ``avgdesk.models.types``.
"""
