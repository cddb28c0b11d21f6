"""Crash safety: ``avgdesk run --once`` killed with SIGKILL at random moments.

After every kill the next run picks up; at the end every message is stored exactly
once, processed, and none is left in the inbox. 12 kills per database backend (24
across the suite), while draining 1,000 messages.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from avgdesk.models.engine import make_engine
from avgdesk.models.tables import InboundMessage, MessageState

N_MESSAGES = 1000
KILLS = 12
# A killed run leaves its batch claimed until the claim expires (120 s by default, so a
# live worker on a slow batch is never overtaken). Short here so the final run may retake it.
CLAIM_S = 2.0


def _avgdesk() -> list[str]:
    exe = shutil.which("avgdesk")
    if exe:
        return [exe]
    return [sys.executable, "-P", "-c", "from avgdesk.triage.cli.root import main; main()"]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    mailbox, db_url, tmp_path: Path, mail_factory, trained_model_dir: Path
) -> None:
    seed = int(os.environ.get("AVGDESK_CRASH_SEED", "20261125"))
    rng = random.Random(seed)
    mailbox.append(*[mail_factory(i) for i in range(N_MESSAGES)])
    data_dir = tmp_path / "data"
    shutil.copytree(trained_model_dir, data_dir / "model")
    env = {
        **os.environ,
        "AVGDESK_DATA_DIR": str(data_dir),
        "AVGDESK_DATABASE_URL": db_url,
        "AVGDESK_IMAP_HOST": mailbox.server.host,
        "AVGDESK_IMAP_PORT": str(mailbox.server.port),
        "AVGDESK_IMAP_USERNAME": mailbox.user,
        "AVGDESK_IMAP_PASSWORD": mailbox.server.password,
        "AVGDESK_IMAP_SECURITY": "none",
        "AVGDESK_IMAP_FETCH_BATCH_MESSAGES": "50",
        "AVGDESK_PROCESSING_BATCH": "50",
        "AVGDESK_LOG_LEVEL": "WARNING",
        "AVGDESK_PROCESSING_CLAIM_S": str(CLAIM_S),
        # The kills are ours, not the message's: a message the test kills five times in a row
        # must not be quarantined as poison (tests/triage/intake/test_processing.py covers that).
        "AVGDESK_PROCESSING_MAX_ATTEMPTS": str(KILLS + 2),
    }
    kills = 0
    runs = 0
    moments: list[float] = []
    while kills < KILLS and runs < KILLS * 4:
        runs += 1
        proc = subprocess.Popen(
            [*_avgdesk(), "run", "--once"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        moment = rng.uniform(0.3, 4.0)
        try:
            proc.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            moments.append(round(moment, 2))
            continue
        if proc.returncode != 0:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"run --once failed ({proc.returncode}): {err[-2000:]}")
        if _all_done(db_url):
            # Everything drained before the kill budget was used: add mail and go on.
            mailbox.append(*[mail_factory(10_000 + runs * 100 + i) for i in range(100)])
    print(f"\ncrash test seed={seed} kills={kills} at {moments}")
    assert kills >= KILLS
    time.sleep(CLAIM_S + 1.0)  # the last killed run's claim must expire before a run may retake it
    final = subprocess.run(
        [*_avgdesk(), "run", "--once"], env=env, cwd=tmp_path, capture_output=True, timeout=600
    )
    assert final.returncode == 0, final.stderr.decode(errors="replace")[-2000:]

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            total = s.execute(select(func.count()).select_from(InboundMessage)).scalar_one()
            distinct = s.execute(select(func.count(func.distinct(InboundMessage.message_id)))).scalar_one()
            states = dict(
                s.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all()
            )
    finally:
        engine.dispose()
    on_server = len(mailbox.uids("avgdesk-processed"))
    assert total >= N_MESSAGES
    assert total == distinct == on_server, "each message stored exactly once and moved once"
    assert states == {MessageState.PROCESSED: total}, states
    assert mailbox.uids("INBOX") == []


def _all_done(db_url: str) -> bool:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            waiting = s.execute(
                select(func.count())
                .select_from(InboundMessage)
                .where(InboundMessage.state != MessageState.PROCESSED)
            ).scalar_one()
            total = s.execute(select(func.count()).select_from(InboundMessage)).scalar_one()
        return bool(total) and waiting == 0
    except Exception:
        return False
    finally:
        engine.dispose()
