"""POST /contact on a fresh install: an empty data folder, no trained model yet.

    python benchmarks/contact_fresh.py [--runs 3]

Each run makes a new data folder and database, starts the web app as ``avgdesk serve``
does (the model starts loading, here: training, in the background) and times the first
form submission, then how long until the case is opened once the model is there.
Prints the machine load next to the figures: wall time on a shared machine tracks it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import InboundMessage
from avgdesk.triage.settings import load_settings
from avgdesk.web.app import create_app

FORM = {
    "name": "Anna Jansen",
    "email": "anna.jansen@example.nl",
    "subject": "Inzage in mijn gegevens",
    "message": "Graag wil ik inzage in welke gegevens u van mij verwerkt.\nMet vriendelijke groet, Anna",
    "request_type": "inzage",
    "website": "",
}


def one_run(folder: Path) -> tuple[float, float]:
    url = f"sqlite:///{folder / 'db.sqlite3'}"
    settings = load_settings(None, data_dir=folder / "data", database_url=url)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = create_app(settings, engine, warm_classifier=True)
    with TestClient(app, follow_redirects=False) as client:
        start = time.perf_counter()
        response = client.post("/contact", data=FORM)
        answered = time.perf_counter() - start
        assert response.status_code == 303, response.status_code
        while True:
            with Session(engine) as session:
                msg = session.exec(select(InboundMessage).order_by(col(InboundMessage.id).desc())).first()
            if msg is not None and msg.case_id is not None:
                break
            time.sleep(0.2)
        opened = time.perf_counter() - start
    engine.dispose()
    return answered, opened


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    answers, opens = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            answered, opened = one_run(Path(tmp))
        answers.append(answered)
        opens.append(opened)
        print(f"POST /contact answered in {answered:.3f} s; case opened after {opened:.1f} s")
    print(f"median: answer {statistics.median(answers):.3f} s, case opened {statistics.median(opens):.1f} s")
    one, five, fifteen = os.getloadavg()
    print(f"load average (1, 5, 15 min): {one:.2f} {five:.2f} {fifteen:.2f}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
