"""Apply the Alembic migrations (at start, and by ``avgdesk db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

_SCRIPT_LOCATION = str(Path(__file__).with_name("migrations"))

SEARCH_INDEX_TABLES = ("case_search", "message_search")
"""SQLite's FTS5 tables of the queue's search (migration 0011) and their shadow tables."""
SEARCH_INDEX_SUFFIX = "_trgm"
"""PostgreSQL's pg_trgm indexes of the same search (migration 0011)."""
DATABASE_ONLY_INDEXES = ("ix_case_open_snapshot",)
"""SQLite's covering index of the backlog snapshot (migration 0012)."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What comparing the tables with the metadata looks at: not the search index and the
    snapshot's covering index, which exist in the database only (virtual tables, GIN and
    dialect-only indexes have no model)."""
    if type_ == "table" and reflected and name and name.startswith(SEARCH_INDEX_TABLES):
        return False
    if type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES:
        return False
    return not (type_ == "index" and reflected and name and name.endswith(SEARCH_INDEX_SUFFIX))


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", _SCRIPT_LOCATION)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    cfg = _config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        # Each migration runs in this one transaction: a crash leaves the old schema.
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference to the tables."""
    cfg = _config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
