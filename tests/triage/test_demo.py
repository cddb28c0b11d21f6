"""The README's first command: ``avgdesk demo`` on a fresh data folder."""

from __future__ import annotations

import email
import email.policy
import io
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import avgdesk


def test_demo_runs_everything_on_embedded_defaults(tmp_path: Path, trained_model_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(trained_model_dir, data / "demo" / "model")  # skip the first training
    out = avgdesk("demo", "--no-serve", env={"AVGDESK_DATA_DIR": str(data), "COLUMNS": "100"}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "ingested 13, processed 13, quarantined 0" in out.stdout
    assert "AVG-2026-0001" in out.stdout and "Mail the customer receives" in out.stdout
    sent = sorted((data / "demo" / "sent-mail").glob("*.eml"))
    assert len(sent) == 2  # the acknowledgement, and the access answer with its package
    _check_access_answer(data, sent[1], out.stdout)
    _check_german_case(data, out.stdout)
    msg = email.message_from_bytes(sent[0].read_bytes())
    assert msg["From"].endswith("<privacy@nhmbsoftware.nl>") and "[AVG-2026-" in msg["Subject"]
    # Issue 14 item 9: a clean terminal that says where things are and what left.
    assert f"mail sent to {msg['To'].split('<')[-1].rstrip('>')}: {sent[0]}" in out.stdout
    assert f"data folder: {data / 'demo'}" in out.stdout
    log_file = data / "demo" / "avgdesk-demo.log"
    assert f"log file:    {log_file}" in out.stdout and "classifier" in log_file.read_text()
    assert " INFO " not in out.stdout and " INFO " not in out.stderr
    command = [line for line in out.stdout.splitlines() if "avgdesk drafts list" in line]
    url = f"sqlite:///{data / 'demo' / 'avgdesk-demo.sqlite3'}"
    assert command == [f"  AVGDESK_DATABASE_URL='{url}' avgdesk drafts list"]
    # A second run starts from scratch again (no duplicate cases from the first).
    again = avgdesk("demo", "--no-serve", env={"AVGDESK_DATA_DIR": str(data)}, cwd=tmp_path)
    assert again.returncode == 0 and "ingested 13, processed 13" in again.stdout


GERMAN_REQUESTER = "k.schaefer@druckerei-terhorst.example.com"
"""The demo's German enquiry (13-auskunft-loeschung-de.eml): Auskunft and Löschung."""


def _check_german_case(data: Path, stdout: str) -> None:
    """The German enquiry opens a clean German case (access and erasure, no review flag)
    with a German acknowledgement draft: what a visitor of the demo should see."""
    from sqlmodel import Session, select

    from avgdesk.models.engine import make_engine
    from avgdesk.models.tables import Case, Draft, InboundMessage

    assert f"{GERMAN_REQUESTER}: Auskunft und Löschung meiner Daten" in stdout
    engine = make_engine(f"sqlite:///{data / 'demo' / 'avgdesk-demo.sqlite3'}")
    try:
        with Session(engine) as session:
            [message] = session.exec(
                select(InboundMessage).where(InboundMessage.requester_email == GERMAN_REQUESTER)
            ).all()
            case = session.get(Case, message.case_id)
            drafts = session.exec(select(Draft).where(Draft.case_id == message.case_id)).all()
    finally:
        engine.dispose()
    assert sorted(message.labels) == ["access", "erasure"] and not message.needs_review
    assert case is not None and case.language == "de"
    [draft] = [d for d in drafts if d.kind == "acknowledgement"]
    assert draft.language == "de"
    assert draft.subject.endswith("Eingangsbestätigung Ihres Antrags nach der DSGVO")
    assert draft.body_text.startswith("Guten Tag Katrin Schäfer,")
    assert "(Auskunft und Löschung)" in draft.body_text


def _check_access_answer(data: Path, path: Path, stdout: str) -> None:
    """Issue 17: the sample CRM beside the demo data, and one access request (Marieke
    Hoekstra, 01-inzageverzoek-art15.eml) answered end to end with its package."""
    assert (data / "demo" / "nhmb-crm.sqlite3").is_file()
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.SMTP)
    assert msg["To"].endswith("<m.hoekstra@example.nl>") or msg["To"] == "m.hoekstra@example.nl"
    files = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}  # type: ignore[attr-defined]
    [(name, package)] = files.items()
    assert name is not None and name.startswith("inzage-AVG-2026-") and name.endswith(".zip")
    body = msg.get_body(("plain",))
    assert body is not None and name in body.get_content()
    archive = zipfile.ZipFile(io.BytesIO(package))
    rows = archive.read("crm/klantgegevens.csv").decode("utf-8-sig")
    assert "Marieke Hoekstra" in rows and "40217" in rows
    assert "Pieter Hoekstra" not in rows and "40218" not in rows  # same surname, another person
    assert "C-7001" in archive.read("crm/contracten.csv").decode("utf-8-sig")
    assert "Answered access request AVG-2026-" in stdout and "approved as demo" in stdout


def test_demo_answers_one_access_request_with_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's issue-17 step in process, without the model or IMAP (the full run above
    trains the classifier when it is stale): the sample CRM is created beside the demo data,
    the access request is answered with its package, and the mail reaches the SMTP sink."""
    import asyncio

    from helpers import FixedLabels, mail
    from rich.console import Console

    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage import demo
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor
    from avgdesk.triage.settings import load_settings
    from avgdesk.triage.worker.runner import Worker

    sink = demo.SmtpSink(tmp_path / "sent-mail")
    try:
        settings = demo.demo_settings(load_settings(None, data_dir=tmp_path / "data"), 1, sink.port)
        settings.data_dir.mkdir(parents=True)
        monkeypatch.setenv(demo.CRM_URL_ENV, demo.create_crm(settings.data_dir))
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        raw = mail(1, sender=demo.ACCESS_REQUESTER, subject="Inzageverzoek", body="#access")
        store_local_message(engine, raw, received_at=datetime(2026, 11, 2, 8, 47, tzinfo=UTC))
        Processor(engine, settings, classifier=FixedLabels()).drain()
        out = io.StringIO()
        demo._answer_access(Console(file=out, width=200), engine, settings)
        worker = Worker(settings, engine, classifier_factory=FixedLabels)
        try:
            asyncio.run(worker.drain_outbox())
        finally:
            worker.close()
        engine.dispose()
    finally:
        sink.stop()
    assert len(sink.received) == 1, out.getvalue()
    _check_access_answer(tmp_path / "data", sink.received[0], out.getvalue())
