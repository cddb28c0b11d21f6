"""``avgdesk classify``, ``eval`` and ``train`` as users call them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import avgdesk

DEMO_MAIL = Path(__file__).resolve().parents[3] / "mailbox" / "demo_mail"
DEV = Path(__file__).resolve().parents[4] / "shared" / "eval" / "dev"


@pytest.fixture
def env(tmp_path: Path, trained_model_dir: Path) -> dict[str, str]:
    data = tmp_path / "data"
    shutil.copytree(trained_model_dir, data / "model")
    return {"AVGDESK_DATA_DIR": str(data), "AVGDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}


def test_classify_json_lines_have_the_design_fields(env: dict[str, str], tmp_path: Path) -> None:
    files = sorted(DEMO_MAIL.glob("*.eml"))
    out = avgdesk("classify", "--json", *map(str, files), env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [Path(r["file"]).name for r in rows] == [f.name for f in files]
    for r in rows:
        assert set(r) >= {"file", "labels", "scores", "needs_review", "language"}
        assert r["language"] in {"nl", "en", "de"}
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["11-afwezigheidsmelding.eml"]["labels"] == ["auto"]  # header rules
    assert by_name["12-contactformulier-inzage.eml"]["labels"] == ["access"]  # the form's own text
    assert by_name["03-delete-my-account.eml"]["language"] == "en"
    assert by_name["13-auskunft-loeschung-de.eml"]["language"] == "de"  # the demo's German enquiry


def test_classify_reports_unreadable_files_and_exits_non_zero(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    out = avgdesk("classify", "--json", str(empty), env=env, cwd=tmp_path)
    assert out.returncode == 1
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert "empty message" in rows[0]["error"]
    # A file that does not exist is a usage error, found before the model loads (exit 2;
    # tests/triage/cli/test_small_outputs.py checks the model is not loaded).
    missing = avgdesk("classify", "--json", str(empty), str(tmp_path / "missing.eml"), env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "missing.eml" in missing.stderr and missing.stdout == ""


@pytest.mark.skipif(not DEV.is_dir(), reason="shared/eval/dev is not next to the repository")
def test_eval_on_the_dev_set_meets_the_targets(env: dict[str, str], tmp_path: Path) -> None:
    out = avgdesk("eval", str(DEV), "--json", "--min-macro-f1", "0.95", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr + out.stdout
    report = json.loads(out.stdout)
    assert report["macro_f1"] >= 0.95 and report["request_recall"] >= 0.99
    assert report["auto_with_right"] == []
    assert {"exact_match", "flagged_share", "wrong_flagged_share"} <= set(report)
    strict = avgdesk("eval", str(DEV), "--min-macro-f1", "0.999", env=env, cwd=tmp_path)
    assert strict.returncode == 1 and "below" in strict.stderr
    assert "macro-F1" in strict.stdout and "confusions" in strict.stdout


def test_eval_refuses_a_folder_without_labels(env: dict[str, str], tmp_path: Path) -> None:
    out = avgdesk("eval", str(tmp_path), env=env, cwd=tmp_path)
    assert out.returncode == 2 and "labels.jsonl" in out.stderr


def test_staff_corrections_join_training(env: dict[str, str], tmp_path: Path, mail_factory) -> None:  # type: ignore[no-untyped-def]
    from avgdesk.models.engine import make_engine, session_scope
    from avgdesk.models.migrate import upgrade
    from avgdesk.models.tables import InboundMessage, LabelCorrection
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.training import corrections

    engine = make_engine(env["AVGDESK_DATABASE_URL"])
    upgrade(engine)
    pk, _ = store_local_message(engine, mail_factory(1, subject="Kwestie", body="Doe iets met mijn dossier"))
    with session_scope(engine) as s:
        msg = s.get(InboundMessage, pk)
        assert msg is not None
        msg.subject, msg.text = "Kwestie", "Doe iets met mijn dossier"
        s.add(LabelCorrection(message_pk=pk, labels=["restriction"], corrected_by="anna"))
        s.commit()
    assert [(e.subject, e.labels) for e in corrections(engine)] == [("Kwestie", ("restriction",))]
    before = {p.name for p in (Path(env["AVGDESK_DATA_DIR"]) / "model").glob("*.joblib")}
    out = avgdesk("train", "--if-stale", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 staff correction" in out.stdout
    after = {p.name for p in (Path(env["AVGDESK_DATA_DIR"]) / "model").glob("*.joblib")}
    assert after and after != before  # the corrections made the cached model stale
