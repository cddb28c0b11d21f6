"""``avgdesk tasks …`` (issue 17) as staff call it: keys, collect, erase-preview, erase (an
approver with the previewed token only), override — the same use cases as the case page,
against a sample CRM beside the avgdesk database (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm import create_crm
from helpers import FixedLabels, avgdesk, mail
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import Case, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.settings import load_settings


def _seed(tmp_path: Path, db_url: str) -> tuple[dict[str, str], str]:
    data = tmp_path / "data"
    create_crm(db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    raw = mail(1, sender="jan.devries@example.nl", body="Wis mijn gegevens #erasure")
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(
        engine, load_settings(None, data_dir=data, database_url=db_url), classifier=FixedLabels()
    ).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.add(User(username="gk", password_hash="x", role=Role.APPROVER))
        s.add(User(username="mw", password_hash="x", role=Role.MEDEWERKER))
        s.commit()
        reference = case.reference
    engine.dispose()
    env = {
        "AVGDESK_DATA_DIR": str(data),
        "AVGDESK_DATABASE_URL": db_url,
        "AVGDESK_SYSTEM_CRM_URL": db_url,
        "AVGDESK_SYSTEM_CRM_ERASE_URL": db_url,
    }
    return env, reference


def _customers(db_url: str) -> list[Any]:
    eng = create_engine(db_url)
    with eng.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT customer_number FROM customers ORDER BY 1"))]
    eng.dispose()
    return rows


def test_erasure_from_the_terminal(tmp_path: Path, db_url: str) -> None:
    env, ref = _seed(tmp_path, db_url)

    def cli(*args: str) -> Any:
        return avgdesk("tasks", *args, env=env, cwd=tmp_path)

    out = cli("erase-preview", ref, "crm")
    assert out.returncode == 1 and "tasks collect" in out.stdout
    out = cli("keys", ref, "--customer-number", "K-1001", "--by", "mw")
    assert out.returncode == 0 and "saved" in out.stdout
    out = cli("collect", ref, "--by", "mw")
    assert out.returncode == 0 and "crm: 3 rows" in out.stdout, out.stderr
    out = cli("erase-preview", ref, "crm")
    assert out.returncode == 0 and "klantgegevens: 1 rows" in out.stdout and "Anna" not in out.stdout
    token = re.search(r"token: ([0-9a-f]{32})", out.stdout)
    assert token
    out = cli("erase", ref, "crm", "--by", "mw", "--confirm", token.group(1))
    assert out.returncode == 1 and "goedkeurder" in out.stderr
    assert _customers(db_url) == ["K-1001", "K-1002"]
    out = cli("erase", ref, "crm", "--by", "gk", "--confirm", token.group(1))
    assert out.returncode == 0, out.stderr
    assert "crm: erased (contracten_wissen 2, klant_wissen 1); task done" in out.stdout
    assert _customers(db_url) == ["K-1002"]
    out = cli("erase", ref, "nieuwsbriefdienst", "--by", "gk", "--confirm", "x")
    assert out.returncode == 2
    listed = cli("list", ref).stdout
    assert re.search(r"\tdone\tWis in CRM — avgdesk wiste in CRM: contracten_wissen 2 rijen", listed)
    out = cli("override", ref, "erasure", "--by", "mw", "--reason", "geen tijd")
    assert out.returncode == 1
    out = cli("override", ref, "erasure", "--by", "gk", "--reason", "Overige systemen handmatig nagelopen")
    assert out.returncode == 0 and "4 open task(s) for erasure overridden by gk" in out.stdout
