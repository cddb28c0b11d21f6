"""Soaks: ``avgdesk run`` killed with SIGKILL at random, at least 20 times each.

* Outbox: approved replies sent to an aiosmtpd sink that answers DATA late (the mail is on
  the server before the answer), so many kills land between delivery and our commit. Per
  Message-ID at most ``1 + AVGDESK_OUTBOX_AMBIGUOUS_RETRIES`` copies arrive; every reply
  ends sent or ``ambiguous`` (given up, "may have been delivered").
* Intake: two workers on PostgreSQL drain the same mailbox while one or the other is killed;
  every message is stored once and opens at most one case (no orphan case, one
  acknowledgement per case).

Each soak is bounded (about 2 minutes) and prints its figures. The seed is printed too and
can be fixed with AVGDESK_SOAK_SEED.
"""

from __future__ import annotations

import email
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import FixedLabels, mail, wait_for
from sqlalchemy import func, select
from sqlmodel import Session

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Case, Draft, InboundMessage, MessageState, OutboxItem, OutboxState
from avgdesk.replies.drafting import approve_draft
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

pytestmark = [pytest.mark.slow, pytest.mark.integration]

KILLS = 20
AMBIGUOUS_RETRIES = 1


def _env(extra: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    return {**clean, "AVGDESK_LOG_LEVEL": "WARNING", **extra}


class Workers:
    """Starts ``avgdesk run`` workers by forking a pre-loaded parent (soak_zygote.py)."""

    def __init__(self) -> None:
        import sys

        self.zygote = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("soak_zygote.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.started: list[int] = []

    def start(self, env: dict[str, str]) -> int:
        import json

        assert self.zygote.stdin is not None and self.zygote.stdout is not None
        self.zygote.stdin.write(json.dumps(env) + "\n")
        self.zygote.stdin.flush()
        pid = int(self.zygote.stdout.readline())
        self.started.append(pid)
        return pid

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not self.alive(pid), timeout_s=30, poll_s=0.01)

    def stop(self, pid: int) -> None:
        if self.alive(pid):
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(lambda: not self.alive(pid), timeout_s=60, poll_s=0.05)
            except AssertionError:
                self.kill(pid)

    def close(self) -> None:
        # Workers outlive the zygote (they are its children, not its threads): end each.
        for pid in self.started:
            if self.alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.zygote.kill()
        self.zygote.wait(30)


def _seed() -> int:
    return int(os.environ.get("AVGDESK_SOAK_SEED", str(random.SystemRandom().randrange(10**6))))


# --- outbox -----------------------------------------------------------------------------------


def _approved_replies(engine: Any, settings: Any, n: int) -> None:
    for i in range(n):
        store_local_message(
            engine, mail(i, sender=f"klant{i}@example.nl", mid=f"s{i}@example.nl"), source="imap"
        )
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with session_scope(engine) as s:
        for draft in s.execute(select(Draft)).scalars():
            approve_draft(s, draft, approver="bert", ctx=drafting_context(settings))
        s.commit()


def _outbox_states(engine: Any) -> Counter[str]:
    with Session(engine) as s:
        rows = s.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all()
    return Counter({(st.value if hasattr(st, "value") else str(st)): int(n) for st, n in rows})


def test_outbox_soak_kill_9_during_sends(db_url, make_settings, engine, smtp_sink, tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    n = 60
    settings = make_settings()
    _approved_replies(engine, settings, n)
    smtp_sink.mode = "slow:0.4"  # the server has each mail 0.4 s before it answers 250
    env = _env(
        {
            "AVGDESK_DATA_DIR": str(settings.data_dir),
            "AVGDESK_DATABASE_URL": db_url,
            "AVGDESK_SMTP_HOST": "127.0.0.1",
            "AVGDESK_SMTP_PORT": str(smtp_sink.port),
            "AVGDESK_SMTP_SECURITY": "none",
            "AVGDESK_SMTP_TIMEOUT_S": "10",
            "AVGDESK_OUTBOX_LEASE_S": "2",
            "AVGDESK_OUTBOX_POLL_INTERVAL_S": "0.3",
            "AVGDESK_OUTBOX_RETRY_INITIAL_S": "0",
            "AVGDESK_OUTBOX_RETRY_MAX_S": "0",
            "AVGDESK_OUTBOX_AMBIGUOUS_RETRIES": str(AMBIGUOUS_RETRIES),
            "AVGDESK_SCHEDULER_INTERVAL_S": "3600",
        }
    )
    workers = Workers()
    kills = 0
    started = time.monotonic()
    try:
        while kills < KILLS and time.monotonic() - started < 100:
            pid = workers.start(env)
            # Kill while sends are under way: after the next mail reached the server, at a
            # random moment within its late answer (0.4 s) or the next send.
            seen = len(smtp_sink.messages)
            deadline = time.monotonic() + 30
            while len(smtp_sink.messages) == seen and time.monotonic() < deadline and workers.alive(pid):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.8))
            if not workers.alive(pid):
                pytest.fail("avgdesk run exited by itself")
            workers.kill(pid)
            kills += 1
        pid = workers.start(env)
        final = {OutboxState.SENT.value, OutboxState.AMBIGUOUS.value, OutboxState.FAILED.value}
        wait_for(lambda: set(_outbox_states(engine)) <= final, timeout_s=120, poll_s=0.5)
        workers.stop(pid)
    finally:
        workers.close()
    copies = Counter(str(email.message_from_bytes(m)["Message-ID"]) for m in smtp_sink.messages)
    states = _outbox_states(engine)
    with Session(engine) as s:
        uncertain = Counter(int(u) for u in s.execute(select(OutboxItem.uncertain_attempts)).scalars())
    per_id = sorted(Counter(copies.values()).items())
    print(
        f"\noutbox soak seed={seed} kills={kills} replies={n} copies-per-id={per_id}"
        f" states={dict(states)} uncertain-attempts={sorted(uncertain.items())}"
    )
    assert kills >= KILLS
    assert max(copies.values()) <= 1 + AMBIGUOUS_RETRIES, copies.most_common(3)
    assert states.get(OutboxState.FAILED.value, 0) == 0, states
    assert sum(states.values()) == n
    # Every reply that reached the server is accounted for; a sent one arrived at least once.
    with Session(engine) as s:
        sent_ids = {
            f"<{m}>"
            for m in s.execute(
                select(OutboxItem.message_id).where(OutboxItem.state == OutboxState.SENT)
            ).scalars()
        }
    assert sent_ids <= set(copies)


# --- intake, two workers on PostgreSQL ----------------------------------------------------------------


def test_intake_soak_two_workers_on_postgresql_kill_9(
    mailbox, make_settings, engine, db_url, tmp_path: Path, trained_model_dir: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two workers share the queue on PostgreSQL; the SQLite variant is the crash test")
    import shutil

    seed = _seed()
    rng = random.Random(seed)
    n = 200
    mailbox.append(
        *[
            mail(
                i,
                sender=f"klant{i}@example.nl",
                mid=f"in{i}@example.nl",
                body=f"Ik wil inzage in mijn gegevens, verzoek {i}.",
            )
            for i in range(n)
        ]
    )
    settings = make_settings()
    shutil.copytree(trained_model_dir, settings.data_dir / "model", dirs_exist_ok=True)
    base = {
        "AVGDESK_DATA_DIR": str(settings.data_dir),
        "AVGDESK_DATABASE_URL": db_url,
        **{f"AVGDESK_{k.upper()}": str(v) for k, v in mailbox.settings_kwargs().items()},
        "AVGDESK_POLLER_LEASE_S": "3",
        "AVGDESK_POLLER_RENEW_S": "1",
        "AVGDESK_PROCESSING_CLAIM_S": "5",
        "AVGDESK_PROCESSING_BATCH": "20",
        "AVGDESK_IMAP_FETCH_BATCH_MESSAGES": "25",
        "AVGDESK_IMAP_POLL_INTERVAL_S": "1",
        "AVGDESK_SCHEDULER_INTERVAL_S": "3600",
    }
    envs = [_env({**base, "AVGDESK_WORKER_ID": f"w{i}"}) for i in (1, 2)]
    workers = Workers()
    kills = 0
    started = time.monotonic()
    try:
        pids = [workers.start(envs[0]), workers.start(envs[1])]
        while kills < KILLS and time.monotonic() - started < 100:
            time.sleep(rng.uniform(0.3, 2.0))
            victim = rng.randrange(2)
            if not workers.alive(pids[victim]):
                pytest.fail(f"worker {victim + 1} exited by itself")
            workers.kill(pids[victim])
            kills += 1
            pids[victim] = workers.start(envs[victim])
        try:
            # Generous: on a loaded 2-core machine isolated processing ran at under 1 msg/s with
            # two workers restarting (150 s once drained 76 of 200). A stall still fails.
            wait_for(lambda: _processed(engine) >= n, timeout_s=900, poll_s=0.5)
        except AssertionError:
            with Session(engine) as s:
                states = s.execute(
                    select(InboundMessage.state, func.count()).group_by(InboundMessage.state)
                ).all()
            alive = [workers.alive(p) for p in pids]
            raise AssertionError(f"not drained: {states}, workers alive {alive}, kills {kills}") from None
        for pid in pids:
            workers.stop(pid)
    finally:
        workers.close()
    with Session(engine) as s:
        stored = s.execute(select(func.count()).select_from(InboundMessage)).scalar_one()
        distinct = s.execute(select(func.count(func.distinct(InboundMessage.message_id)))).scalar_one()
        cases = s.execute(select(func.count()).select_from(Case)).scalar_one()
        linked = s.execute(select(func.count(func.distinct(InboundMessage.case_id)))).scalar_one()
        acks = Counter(int(c) for c in s.execute(select(Draft.case_id)).scalars())
        attempts = Counter(int(a) for a in s.execute(select(InboundMessage.attempts)).scalars())
        quarantined = [
            (m.message_id, m.attempts, (m.quarantine_reason or "")[:80])
            for m in s.execute(
                select(InboundMessage).where(InboundMessage.state == MessageState.QUARANTINED)
            ).scalars()
        ]
    print(
        f"\nintake soak seed={seed} kills={kills} messages={n} stored={stored} cases={cases} "
        f"cases-with-a-message={linked} drafts-per-case={sorted(Counter(acks.values()).items())} "
        f"attempts={sorted(attempts.items())} quarantined={quarantined}"
    )
    assert kills >= KILLS
    assert stored == distinct == n
    assert cases == linked, "a case without its message: one message opened two cases"
    assert all(v == 1 for v in acks.values()), acks.most_common(3)
    assert mailbox.uids("INBOX") == []


def _processed(engine: Any) -> int:
    try:
        with Session(engine) as s:
            return int(
                s.execute(
                    select(func.count())
                    .select_from(InboundMessage)
                    .where(InboundMessage.state != MessageState.RECEIVED)
                ).scalar_one()
            )
    except Exception:
        return -1
