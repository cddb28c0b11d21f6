"""Issue 16's batch write path against the old per-message path and against failures.

The batch path (ids reserved per batch, rows kept back and inserted together, one UPDATE
of the message rows, the duplicate check read once) must leave exactly the rows the old
code left, and a batch that fails anywhere must be rolled back as a whole and written once
by the retry: nothing lost, nothing twice. The reference is the code before issue 16's
batch path (commit 3712441), run from ``git archive`` in its own process against its own
database.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import FixedLabels, mail, temporary_postgres_database
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import Engine

from avgdesk.models.engine import make_engine
from avgdesk.models.errors import DatabaseBusy
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import CaseRight, RightStatus
from avgdesk.triage.intake import processing
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

REPO = Path(__file__).resolve().parents[3]
OLD_COMMIT = "3712441"  # the last commit before issue 16's batch write path
T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
ALERT_TO = ["privacy-team@nhmbsoftware.nl"]  # a breach alert is queued (the outbox item flushes)


# --- the mails ------------------------------------------------------------------------------------
def fifty_mails() -> list[tuple[bytes, datetime]]:
    """Fifty mails that exercise every write of the batch path: new cases, duplicates in and
    across batches, thread replies (by In-Reply-To and by reference) to cases opened earlier
    in the same batch, new cases after a reply, a stranger's reply, questions, automatic
    mail, complaints, marketing objections and a breach report."""
    out: list[bytes] = []
    rights = ["#access", "#erasure", "#objection", "#access #erasure"]
    for n in range(1, 11):  # ten requesters
        out.append(mail(n, sender=f"r{n}@example.nl", body=rights[n % 4]))
    out += [
        mail(11, sender="r1@example.nl", body="#erasure"),  # same right as m1: duplicate
        mail(12, sender="r2@example.nl", body="#access"),  # other right: suggested link only
        mail(13, sender="r3@example.nl", body="#objection nog een keer"),
        mail(14, sender="r3@example.nl", body="#objection en nog een keer"),
        mail(
            15,
            sender="r1@example.nl",
            subject="Re: Verzoek",
            body="#access aanvulling",
            headers="In-Reply-To: <m1@example.nl>\r\n",
        ),
        mail(16, sender="r2@example.nl", subject="Re: [AVG-2026-0002] Verzoek", body="nog een vraag"),
        mail(
            17,
            sender="x@example.nl",
            subject="Re: Verzoek",
            body="#access",
            headers="In-Reply-To: <m3@example.nl>\r\n",
        ),  # a stranger replies: suggestion only
        mail(18, sender="r11@example.nl", body="#access"),  # a new case after the replies
        mail(19, sender="r12@example.nl", body="Hoe laat zijn jullie open?"),
        mail(
            20,
            sender="r13@example.nl",
            subject="Automatisch antwoord",
            body="Ik ben afwezig",
            headers="Auto-Submitted: auto-replied\r\n",
        ),
    ]
    for n in range(21, 31):  # a second batch: new requesters and earlier ones again
        out.append(mail(n, sender=f"r{n - 20}@example.nl", body=rights[(n + 1) % 4]))
    out += [
        mail(31, sender="r14@example.nl", body="#complaint Ik ben niet tevreden"),
        mail(32, sender="r15@example.nl", body="#objection Stuur mij geen nieuwsbrief en reclame meer"),
        mail(33, sender="r16@example.nl", body="Er is een datalek: ik kreeg de gegevens van een ander"),
        mail(
            34,
            sender="r4@example.nl",
            subject="Re: Verzoek",
            body="#erasure",
            headers="In-Reply-To: <m4@example.nl>\r\nReferences: <m4@example.nl>\r\n",
        ),
        mail(35, sender="r17@example.nl", body="#access #complaint"),
        mail(36, sender="r17@example.nl", body="#access"),
        mail(37, sender="R18@Example.NL", body="#erasure"),
        mail(38, sender="r18@example.nl", body="#erasure"),
        mail(39, sender="r5@example.nl", subject="Re: [AVG-2026-0005]", body="#access"),
        mail(40, sender="r19@example.nl", body="#access"),
    ]
    for n in range(41, 51):  # a third batch
        out.append(mail(n, sender=f"r{n % 7 + 1}@example.nl", body=rights[n % 4]))
    assert len(out) == 50
    return [(raw, T0 + timedelta(minutes=n)) for n, raw in enumerate(out)]


def store(engine: Engine, mails: list[tuple[bytes, datetime]]) -> None:
    for raw, at in mails:
        store_local_message(engine, raw, source="imap", received_at=at)


# --- comparing two databases ----------------------------------------------------------------------
VOLATILE = {"id", "at", "created_at", "updated_at", "processed_at", "claimed_until", "claim_token"}
# Columns added after the reference commit (its schema lacks them; the *_at ones are skipped
# anyway): a case's answer tracking, migrations 0013-0015. A new case leaves them empty.
ADDED_SINCE_REFERENCE = {"answered_on"}
GENERATED = {
    "draft": {"message_id"},
    "outbox_item": {"message_id", "raw", "deliver_until"},
}  # our Message-IDs: time and random
# and the full-text index tables (their blocks hold row ids)
SKIP_TABLES = {"alembic_version", "worker_lease", "scheduled_run", "message_raw"}


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows in id order with ids and clock times left out and every reference
    to another row replaced by that row's natural key (case reference, Message-ID, draft)."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        raw = {
            name: [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for name, t in meta.tables.items()
            if name not in SKIP_TABLES and not name.startswith("sqlite_") and "search" not in name
        }
    engine.dispose()
    cases = {r["id"]: r["reference"] for r in raw["case"]}
    messages = {r["id"]: r["message_id"] for r in raw["inbound_message"]}
    drafts = {r["id"]: (cases[r["case_id"]], r["kind"], r["subject"]) for r in raw["draft"]}
    keys = {
        "case_id": cases,
        "duplicate_of_case_id": cases,
        "suggested_case_id": cases,
        "message_pk": messages,
        "draft_id": drafts,
    }

    def natural(table: str, row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in row.items():
            if k in ADDED_SINCE_REFERENCE:
                assert v is None, (table, k, v)  # nothing answered yet in a fresh drain
                continue
            if k in VOLATILE or k in GENERATED.get(table, ()):
                continue
            if k.endswith("_at") and k != "received_at":
                continue
            if k in keys and v is not None:
                v = keys[k][v]
            if k == "detail" and isinstance(v, dict) and v.get("draft_id") is not None:
                v = {**v, "draft_id": drafts[v["draft_id"]]}
            out[k] = v
        return out

    return {name: [natural(name, r) for r in rows] for name, rows in raw.items()}


def assert_same(old: dict[str, list[dict[str, Any]]], new: dict[str, list[dict[str, Any]]]) -> None:
    assert sorted(old) == sorted(new)
    for name in sorted(old):
        if name in ("audit_event", "inbound_message"):
            # Order matters (the timeline; messages by arrival): compare row by row.
            for i, (a, b) in enumerate(zip(old[name], new[name], strict=True)):
                assert a == b, f"{name} row {i}: old {a} != new {b}"
        else:
            # Rows of a table the old code inserted per message, the new per batch: as a multiset.
            def key(row: dict[str, Any]) -> str:
                return json.dumps(row, sort_keys=True, default=str)

            assert sorted(map(key, old[name])) == sorted(map(key, new[name])), name


# --- the old code in its own process ---------------------------------------------------------------
OLD_RUNNER = textwrap.dedent(
    """
    import base64, json, sys
    from datetime import datetime
    import __editable___avgdesk_0_1_0_finder as finder
    old, args = sys.argv[1], json.loads(open(sys.argv[2]).read())
    for name, path in list(finder.MAPPING.items()):
        finder.MAPPING[name] = old + "/" + path.rstrip("/").rsplit("/", 1)[1]
    sys.path.insert(0, old + "/tests/support")
    from helpers import FixedLabels
    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor
    from avgdesk.triage.settings import load_settings
    import avgdesk.triage.intake.processing as p
    ALERT_TO = ["privacy-team@nhmbsoftware.nl"]
    assert p.__file__.startswith(old), p.__file__
    engine = make_engine(args["url"])
    upgrade(engine)
    for raw, at in args["mails"]:
        at = datetime.fromisoformat(at)
        store_local_message(engine, base64.b64decode(raw), source="imap", received_at=at)
    settings = load_settings(None, data_dir=args["data_dir"], database_url=args["url"],
                             processing_batch=args["batch"], breach_alert_recipients=ALERT_TO)
    print(Processor(engine, settings, classifier=FixedLabels()).drain())
    """
)


@pytest.fixture
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import importlib.util

    if importlib.util.find_spec("__editable___avgdesk_0_1_0_finder") is None:
        pytest.skip("needs the editable install (pip install -e .) to point avgdesk at the old tree")
    folder = tmp_path_factory.mktemp("old")
    archive = folder / "old.tar"
    found = subprocess.run(
        ["git", "-C", str(REPO), "archive", "-o", str(archive), OLD_COMMIT],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.skip(f"commit {OLD_COMMIT} not available: {found.stderr.strip()}")
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree"


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``db_url`` (for the old code)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with temporary_postgres_database("avgdesk_old_") as url:
        yield url


def run_old(old_tree: Path, url: str, mails: list[tuple[bytes, datetime]], tmp: Path, batch: int) -> None:
    args = {
        "url": url,
        "data_dir": str(tmp / "old-data"),
        "batch": batch,
        "mails": [(base64.b64encode(raw).decode(), at.isoformat()) for raw, at in mails],
    }
    (tmp / "old-args.json").write_text(json.dumps(args))
    (tmp / "old_runner.py").write_text(OLD_RUNNER)
    done = subprocess.run(
        [sys.executable, "-P", str(tmp / "old_runner.py"), str(old_tree), str(tmp / "old-args.json")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


# --- tests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("batch", "path"), [(20, "batch"), (100, "batch"), (20, "careful")])
def test_the_batch_path_leaves_exactly_the_rows_of_the_old_code(
    engine, db_url, second_url, make_settings, old_tree, tmp_path, batch, path, caplog, monkeypatch
) -> None:
    """Q4/Q5 of the review: the same 50 mails through the code before issue 16 (own
    process, own database) and through this code: every table equal row for row (ids and
    clock times aside, references to other rows by their natural keys), the audit trail in
    the same order; no batch fell back to the careful path. ``careful``: every batch is
    sent down the careful path (which keeps the reserved draft ids), with the same result."""
    mails = fifty_mails()
    run_old(old_tree, second_url, mails, tmp_path, batch)
    store(engine, mails)
    if path == "careful":

        def refuse(*_: Any) -> Any:
            raise RuntimeError("batch path refused by the test")

        monkeypatch.setattr(processing, "_recent_cases", refuse)
    with caplog.at_level(logging.WARNING, logger=processing.__name__):
        result = Processor(
            engine,
            make_settings(processing_batch=batch, breach_alert_recipients=ALERT_TO),
            classifier=FixedLabels(),
        ).drain()
    assert result.processed == 50
    fallbacks = [r for r in caplog.records if "batch write failed" in r.getMessage()]
    assert len(fallbacks) == (-(-50 // batch) if path == "careful" else 0), caplog.text
    old, new = dump(second_url), dump(db_url)
    assert_same(old, new)
    # The scenario is not vacuous: duplicates and links were flagged, and replies found
    # cases opened earlier in the same batch (by In-Reply-To and by reference).
    assert len(new["outbox_item"]) == 1  # the breach alert, queued mid-batch
    assert sum(1 for r in new["case"] if r["duplicate_of_case_id"]) >= 5
    assert sum(1 for r in new["case"] if r["suggested_case_id"]) >= 5
    case_of = {r["message_id"]: r["case_id"] for r in new["inbound_message"]}
    assert case_of["m15@example.nl"] == case_of["m1@example.nl"] is not None
    assert case_of["m16@example.nl"] == case_of["m2@example.nl"] == "AVG-2026-0002"
    assert case_of["m39@example.nl"] == case_of["m5@example.nl"] == "AVG-2026-0005"


def test_a_reply_before_a_new_case_keeps_the_batch_path(engine, make_settings, caplog) -> None:
    """A thread lookup writes the rows kept back so far; the cases opened after it must
    still go before their rights and tasks (else a foreign-key error sends every such batch
    down the slow careful path)."""
    store(
        engine,
        [
            (mail(1, sender="a@example.nl", body="#access"), T0),
            (
                mail(
                    2,
                    sender="a@example.nl",
                    subject="Re: Verzoek",
                    body="#access",
                    headers="In-Reply-To: <m1@example.nl>\r\n",
                ),
                T0 + timedelta(minutes=1),
            ),
            (mail(3, sender="b@example.nl", body="#erasure"), T0 + timedelta(minutes=2)),
        ],
    )
    with caplog.at_level(logging.WARNING, logger=processing.__name__):
        result = Processor(engine, make_settings(), classifier=FixedLabels()).process_batch()
    assert (result.processed, result.cases_opened, result.attached) == (3, 2, 1)
    assert not [r for r in caplog.records if "batch write failed" in r.getMessage()], caplog.text


def _expected_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
            for t in ("case", "case_right", "case_task", "draft", "audit_event")
        } | {
            "processed": int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM inbound_message"
                        " WHERE state = 'processed' AND claim_token IS NULL"
                    )
                ).scalar_one()
            ),
        }


def _reference_run(tmp_path: Path, mails: list[tuple[bytes, datetime]], db_url: str) -> dict[str, int]:
    """The counts an undisturbed drain leaves (SQLite file of its own: counts only)."""
    url = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    ref = make_engine(url)
    upgrade(ref)
    store(ref, mails)
    from avgdesk.triage.settings import load_settings

    Processor(
        ref, load_settings(None, data_dir=tmp_path / "ref", database_url=url), classifier=FixedLabels()
    ).drain()
    counts = _expected_counts(ref)
    ref.dispose()
    return counts


@pytest.mark.parametrize("where", ["before_audit", "at_commit"])
def test_a_batch_that_fails_late_is_rolled_back_and_written_once(
    engine, db_url, make_settings, tmp_path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Q3: an exception after the kept-back rows, the cases and the message UPDATE were
    sent (``before_audit``) or in the commit's own flush (``at_commit``): everything of the
    batch is rolled back, the careful pass writes every message once, and nothing kept
    back in ``session.info`` by the failed attempt reaches the database twice."""
    mails = fifty_mails()[:20]
    expected = _reference_run(tmp_path, mails, db_url)
    store(engine, mails)
    failed: list[str] = []
    if where == "before_audit":
        real = processing._insert_audit_events

        def insert_audit_events(session: Any) -> None:
            if not failed and session.info.get(processing.lifecycle.PENDING_ROWS_KEY) is not None:
                failed.append(where)
                raise RuntimeError("disk full")
            real(session)

        monkeypatch.setattr(processing, "_insert_audit_events", insert_audit_events)
    else:
        real_release = processing.linking.ReferenceBlock.release

        def release(self: Any) -> None:
            real_release(self)
            if not failed and self.session.info.get(processing.lifecycle.PENDING_ROWS_KEY) is not None:
                failed.append(where)
                # A row the commit's own flush sends, refused by the database (no case -1).
                self.session.add(CaseRight(case_id=-1, right="access", status=RightStatus.OPEN))

        monkeypatch.setattr(processing.linking.ReferenceBlock, "release", release)
    result = Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    assert failed == [where] and result.processed == 20
    assert _expected_counts(engine) == expected


def test_a_lock_conflict_mid_batch_runs_the_batch_again_without_leftovers(
    engine, db_url, make_settings, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q3: a DatabaseBusy (deadlock, lock timeout) in the middle of a batch: the whole write
    runs again in a new transaction and session, every row written once."""
    mails = fifty_mails()[:20]
    expected = _reference_run(tmp_path, mails, db_url)
    store(engine, mails)
    real = processing.add_draft
    calls: list[int] = []

    def add_draft(session: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:
            raise DatabaseBusy("deadlock detected")
        return real(session, *args, **kwargs)

    monkeypatch.setattr(processing, "add_draft", add_draft)
    result = Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    assert len(calls) > 5 and result.processed == 20
    assert _expected_counts(engine) == expected


def test_duplicates_with_equal_receipt_times_are_flagged_as_the_old_code_did(
    engine, db_url, second_url, make_settings, old_tree, tmp_path
) -> None:
    """Q4: IMAP's INTERNALDATE has whole seconds, so one requester's mails of one batch can
    share a receipt time. The batch's duplicate check (one query, sorted in Python) picks
    the same earlier case as the old query per case (ORDER BY received_at DESC) did."""
    mails = [
        (mail(1, sender="a@example.nl", body="#access"), T0 - timedelta(days=1)),
        (mail(2, sender="a@example.nl", body="#access"), T0),
        (mail(3, sender="a@example.nl", body="#access"), T0),
        (mail(4, sender="a@example.nl", body="#access #erasure"), T0),
        (mail(5, sender="a@example.nl", body="#erasure"), T0),
    ]
    run_old(old_tree, second_url, mails, tmp_path, 100)
    store(engine, mails)
    Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    old, new = dump(second_url), dump(db_url)
    assert sum(1 for r in new["case"] if r["duplicate_of_case_id"]) == 4
    assert_same(old, new)
