"""end_transaction: a request's reading transaction ends before a page renders; a change a
failed route left in it (pending or already flushed) is rolled back, never committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from avgdesk.web.deps import end_transaction, request_session


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "deps_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'deps.db'}")
    _Base.metadata.create_all(engine)
    with request_session(engine) as session:
        session.add(Row(id=1, name="eerst"))
        session.commit()
    yield engine
    engine.dispose()


def _request(session: Any) -> Any:
    return SimpleNamespace(state=SimpleNamespace(db_session=session))


def _name(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(Row.name)).scalar_one())


def test_a_reading_transaction_ends_and_keeps_what_it_loaded(engine: Engine) -> None:
    with request_session(engine) as session:
        row = session.get(Row, 1)
        assert row is not None and session.in_transaction()
        end_transaction(_request(session))
        assert not session.in_transaction()
        assert "name" in row.__dict__  # not expired: the page does not load it again
        assert not session.in_transaction()


def test_a_flushed_change_is_rolled_back_not_committed(engine: Engine) -> None:
    """A route that changed something, had it autoflushed by a query and then failed: the
    change leaves with the transaction (end_transaction committed it before)."""
    with request_session(engine) as session:
        row = session.get(Row, 1)
        assert row is not None
        row.name = "half-way"
        session.execute(select(Row.id)).all()  # autoflush: session.dirty is empty again
        assert not session.dirty
        end_transaction(_request(session))
    assert _name(engine) == "eerst"


def test_a_pending_change_is_rolled_back(engine: Engine) -> None:
    with request_session(engine) as session:
        row = session.get(Row, 1)
        assert row is not None
        row.name = "pending"
        end_transaction(_request(session))
    assert _name(engine) == "eerst"


def test_after_a_commit_in_the_session_a_read_ends_with_a_commit(engine: Engine) -> None:
    with request_session(engine) as session:
        row = session.get(Row, 1)
        assert row is not None
        row.name = "saved"
        session.commit()  # as a use case given this session would
        again = session.execute(select(Row)).scalar_one()  # a new, reading transaction
        end_transaction(_request(session))
        assert "name" in again.__dict__  # committed, not rolled back (which would expire it)
    assert _name(engine) == "saved"
