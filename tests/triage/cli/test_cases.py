"""``avgdesk cases …`` and ``avgdesk drafts …`` as users call them, then the outbox sends."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import FixedLabels, avgdesk, mail
from sqlmodel import Session, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import AuditEvent
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.settings import load_settings

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def seeded(tmp_path: Path, db_url: str, trained_model_dir: Path) -> dict[str, str]:
    import shutil

    shutil.copytree(trained_model_dir, tmp_path / "data" / "model")
    return _seed(tmp_path, db_url)


@pytest.fixture
def seeded_without_model(tmp_path: Path, db_url: str) -> dict[str, str]:
    """The same two cases, for commands that never classify (no model to train first)."""
    return _seed(tmp_path, db_url)


def _seed(tmp_path: Path, db_url: str) -> dict[str, str]:
    data = tmp_path / "data"
    engine = make_engine(db_url)
    upgrade(engine)
    store_local_message(engine, mail(1, body="#access #erasure"), received_at=RECEIVED)
    store_local_message(
        engine, mail(2, sender="b@example.nl", body="#objection #complaint"), received_at=RECEIVED
    )
    Processor(
        engine, load_settings(None, data_dir=data, database_url=db_url), classifier=FixedLabels()
    ).drain()
    engine.dispose()
    return {"AVGDESK_DATA_DIR": str(data), "AVGDESK_DATABASE_URL": db_url}


def run(env: dict[str, str], tmp_path: Path, *args: str) -> Any:
    out = avgdesk(*args, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return out


def test_cases_list_json_has_the_design_fields_and_filters(seeded: dict[str, str], tmp_path: Path) -> None:
    rows = json.loads(run(seeded, tmp_path, "cases", "list", "--json").stdout)
    assert [r["reference"] for r in rows] == ["AVG-2026-0001", "AVG-2026-0002"]
    for key in ("reference", "state", "rights", "requester", "received_at", "legal_deadline", "message_ids"):
        assert key in rows[0]
    assert rows[0]["risk"] in {"ok", "at_risk", "overdue"}
    assert rows[0]["rights"] == ["access", "erasure"] and rows[0]["legal_deadline"] == "2026-12-24"
    assert rows[1]["rights"] == ["objection", "complaint"]
    assert len(rows[0]["message_ids"]) == 1
    only = json.loads(run(seeded, tmp_path, "cases", "list", "--json", "--right", "objection").stdout)
    assert [r["reference"] for r in only] == ["AVG-2026-0002"]
    due = json.loads(run(seeded, tmp_path, "cases", "list", "--json", "--due-before", "2026-12-01").stdout)
    assert due == []


def test_case_actions_are_audited_and_explained(seeded: dict[str, str], tmp_path: Path) -> None:
    # Pausing asks the requester; the clock stops only once that request is sent (issue 13).
    run(
        seeded,
        tmp_path,
        "cases",
        "pause",
        "AVG-2026-0001",
        "--by",
        "anna",
        "--reason",
        "identity",
        "--note",
        "Het adres wijkt af van ons klantbestand",
    )
    refused = avgdesk("cases", "resume", "AVG-2026-0001", "--by", "anna", env=seeded, cwd=tmp_path)
    assert refused.returncode == 1 and "wacht niet op de verzoeker" in refused.stderr
    out = run(
        seeded,
        tmp_path,
        "cases",
        "extend",
        "AVG-2026-0001",
        "--by",
        "anna",
        "--ground",
        "spread",
        "--reason",
        "Gegevens staan in vijf systemen",
    )
    assert "extension notice draft" in out.stdout
    run(seeded, tmp_path, "cases", "relabel", "AVG-2026-0002", "objection", "--by", "bert")
    refused = avgdesk(
        "cases", "close", "AVG-2026-0002", "--by", "bert", "--outcome", "answered", env=seeded, cwd=tmp_path
    )
    assert refused.returncode == 1 and "nog geen inhoudelijk antwoord verzonden" in refused.stderr
    run(
        seeded,
        tmp_path,
        "cases",
        "close",
        "AVG-2026-0002",
        "--by",
        "bert",
        "--outcome",
        "answered",
        "--override-reason",
        "Telefonisch beantwoord en bevestigd",
    )
    run(seeded, tmp_path, "cases", "reopen", "AVG-2026-0002", "--by", "bert", "--reason", "Klant belt terug")
    run(seeded, tmp_path, "cases", "note", "AVG-2026-0002", "--by", "bert", "--text", "Belde om 10:00")
    run(
        seeded,
        tmp_path,
        "cases",
        "close",
        "AVG-2026-0002",
        "--by",
        "bert",
        "--outcome",
        "closed",
        "--justification",
        "Klant trekt het verzoek telefonisch in",
    )
    shown = json.loads(run(seeded, tmp_path, "cases", "show", "AVG-2026-0001", "--json").stdout)
    actions = [e["action"] for e in shown["audit"]]
    assert actions[:1] == ["case.opened"] and {"case.pause_requested", "case.extended"} <= set(actions)
    assert shown["deadline"]["explanation_nl"] and shown["extended_deadline"]
    assert [d["kind"] for d in shown["drafts"]] == ["acknowledgement", "identity_request", "extension"]
    second = json.loads(run(seeded, tmp_path, "cases", "show", "AVG-2026-0002", "--json").stdout)
    assert second["state"] == "closed" and second["rights"] == ["objection"]
    assert [n["text"] for n in second["notes"]] == ["Belde om 10:00"]
    closings = [e["detail"] for e in second["audit"] if e["action"] == "case.closed"]
    assert closings[0]["override_reason"] == "Telefonisch beantwoord en bevestigd"
    assert closings[0]["unanswered"] == ["objection"]
    assert [e["action"] for e in second["audit"]].count("case.reopened") == 1
    text = run(seeded, tmp_path, "cases", "show", "AVG-2026-0002").stdout
    assert (
        "Zaak heropend: status gewijzigd van beantwoord naar in behandeling, reden: Klant belt terug" in text
    )


def test_bad_case_commands_fail_clearly(seeded: dict[str, str], tmp_path: Path) -> None:
    out = avgdesk("cases", "show", "AVG-1999-0001", env=seeded, cwd=tmp_path)
    assert out.returncode == 2 and "fout: Zaak AVG-1999-0001 bestaat niet." in out.stderr
    out = avgdesk(
        "cases", "close", "AVG-2026-0001", "--by", "x", "--outcome", "unfounded", env=seeded, cwd=tmp_path
    )
    assert out.returncode == 1 and "schriftelijke onderbouwing" in out.stderr
    out = avgdesk("cases", "relabel", "AVG-2026-0001", "access,bogus", "--by", "x", env=seeded, cwd=tmp_path)
    assert out.returncode == 1 and "fout: Onbekend label: bogus." in out.stderr


def test_drafts_list_show_approve_then_run_once_sends(
    seeded: dict[str, str], tmp_path: Path, smtp_sink: Any
) -> None:
    drafts = json.loads(run(seeded, tmp_path, "drafts", "list", "--json").stdout)
    assert {d["kind"] for d in drafts} == {"acknowledgement"}
    for key in ("id", "case_reference", "kind", "state", "language"):
        assert key in drafts[0]
    first = drafts[0]["id"]
    shown = run(seeded, tmp_path, "drafts", "show", str(first)).stdout
    assert "AVG-2026-0001" in shown and "Geachte" in shown
    unapproved = avgdesk("drafts", "approve", str(first), "--by", "", env=seeded, cwd=tmp_path)
    assert unapproved.returncode == 1
    run(seeded, tmp_path, "drafts", "approve", str(first), "--by", "bert")
    env = {
        **seeded,
        "AVGDESK_SMTP_HOST": "127.0.0.1",
        "AVGDESK_SMTP_PORT": str(smtp_sink.port),
        "AVGDESK_SMTP_SECURITY": "none",
    }
    run(env, tmp_path, "run", "--once")
    assert len(smtp_sink.messages) == 1
    msg = email.message_from_bytes(smtp_sink.messages[0])
    assert "AVG-2026-0001" in msg["Subject"] and msg["To"].endswith("<klant@example.nl>")
    status = json.loads(run(env, tmp_path, "status", "--json").stdout)
    assert status["drafts_pending"] == 1 and status["outbox_pending"] == 0


def test_drafts_list_fields_in_text_and_json(seeded_without_model: dict[str, str], tmp_path: Path) -> None:
    seeded = seeded_without_model
    rows = json.loads(run(seeded, tmp_path, "drafts", "list", "--json").stdout)
    assert set(rows[0]) == {
        "id", "case_reference", "kind", "state", "language", "subject", "to", "author",
        "approved_by", "render_error", "version", "outbox_state", "possibly_sent_twice",
    }  # fmt: skip
    assert [(r["case_reference"], r["kind"], r["state"]) for r in rows] == [
        ("AVG-2026-0001", "acknowledgement", "draft"),
        ("AVG-2026-0002", "acknowledgement", "draft"),
    ]
    first = rows[0]
    assert first["to"] == "klant@example.nl" and "AVG-2026-0001" in first["subject"]
    assert first["approved_by"] is None and first["outbox_state"] is None
    assert first["possibly_sent_twice"] is False and first["render_error"] is None
    # One line a draft: id, reference, kind, state, language.
    lines = run(seeded, tmp_path, "drafts", "list").stdout.splitlines()
    assert [line.split() for line in lines] == [
        [str(r["id"]), r["case_reference"], "acknowledgement", "draft", r["language"]] for r in rows
    ]
    # After an approval the default list leaves the draft out; --all shows it with its outbox state.
    run(seeded, tmp_path, "drafts", "approve", str(first["id"]), "--by", "bert")
    waiting = json.loads(run(seeded, tmp_path, "drafts", "list", "--json").stdout)
    assert [r["id"] for r in waiting] == [rows[1]["id"]]
    listed = run(seeded, tmp_path, "drafts", "list", "--all", "--json").stdout
    every = {r["id"]: r for r in json.loads(listed)}
    assert every[first["id"]]["state"] == "approved" and every[first["id"]]["approved_by"] == "bert"
    assert every[first["id"]]["outbox_state"] == "pending"


def test_cases_breach_records_and_corrects_a_decision(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    engine = make_engine(db_url)
    upgrade(engine)
    leak = "#access Ik kreeg de factuur van een andere klant: een datalek."
    store_local_message(engine, mail(1, body=leak), received_at=RECEIVED)
    settings = load_settings(None, data_dir=data, database_url=db_url)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    engine.dispose()
    env = {"AVGDESK_DATA_DIR": str(data), "AVGDESK_DATABASE_URL": db_url}
    ref = "AVG-2026-0001"
    why = "Factuur direct verwijderd door de ontvanger; geen risico."
    out = run(
        env, tmp_path, "cases", "breach", ref, "--decision", "not_notifiable", "--reason", why, "--by", "bert"
    )
    assert "recorded" in out.stdout
    again = avgdesk(
        "cases",
        "breach",
        ref,
        "--decision",
        "reported",
        "--reported-on",
        "2026-11-25",
        "--by",
        "bert",
        env=env,
        cwd=tmp_path,
    )
    assert again.returncode != 0 and "beslissing corrigeren" in again.stderr  # nothing replaced silently
    fix = ("--decision", "reported", "--reported-on", "2026-11-25", "--reason", "Toch gemeld na advies FG")
    out = run(env, tmp_path, "cases", "breach", ref, *fix, "--correct", "--by", "bert")
    assert "corrected" in out.stdout
    engine = make_engine(db_url)
    with Session(engine) as s:
        decided = list(s.exec(select(AuditEvent).where(AuditEvent.action == "case.breach_decided")))
    engine.dispose()
    first, second = sorted(decided, key=lambda e: e.id or 0)
    assert first.detail["decision"] == "not_notifiable" and first.detail["reason"] == why
    assert second.detail["decision"] == "reported" and second.detail["corrects"] == first.id
    assert second.detail["reported_on"] == "2026-11-25" and second.actor == "bert"
