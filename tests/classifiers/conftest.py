"""Fixtures for the classifier tests: one full model per session, and a tiny corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avgdesk.classifiers import Classifier, load_or_train

TINY = [
    ("Inzageverzoek", "Ik wil graag weten welke gegevens jullie van mij hebben.", ["access"]),
    ("Inzage", "Stuur mij een kopie van mijn persoonsgegevens.", ["access"]),
    ("copy of my data", "Please send me a copy of the personal data you hold.", ["access"]),
    ("verwijderen", "Verwijder al mijn gegevens en mijn account.", ["erasure"]),
    ("delete", "Please delete my account and all my data.", ["erasure"]),
    ("wissen", "Wis mijn gegevens uit jullie systeem.", ["erasure"]),
    ("afmelden", "Graag afmelden voor de nieuwsbrief, geen mails meer.", ["objection"]),
    ("unsubscribe", "Unsubscribe me, stop emailing me.", ["objection"]),
    ("stop", "Stop met bellen voor aanbiedingen.", ["objection"]),
    ("login", "Ik kan niet inloggen op mijn account.", ["other"]),
    ("invoice", "Invoice 2291 is wrong, please correct it.", ["other"]),
    ("factuur", "De factuur klopt niet.", ["other"]),
    ("cookies", "Welke cookies gebruiken jullie op de website?", ["question"]),
    ("DPA", "Can you send your data processing agreement?", ["question"]),
    ("bewaren", "Hoe lang bewaren jullie gegevens?", ["question"]),
    ("Automatisch antwoord", "Ik ben afwezig tot maandag.", ["auto"]),
    ("Out of office", "I am out of the office until Monday.", ["auto"]),
    ("Undeliverable", "Delivery has failed to these recipients.", ["auto"]),
]


def write_tiny_corpus(folder: Path, extra_line: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "tiny.jsonl").open("w", encoding="utf-8") as fh:
        for i, (subject, body, labels) in enumerate(TINY * 3):
            row = {"subject": subject, "body": body, "labels": labels, "lang": "nl", "group": f"g{i % 9}"}
            fh.write(json.dumps(row) + "\n")
        if extra_line:
            fh.write(extra_line + "\n")
    return folder


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """The real model, trained once per test session into a temporary cache folder."""
    return load_or_train(tmp_path_factory.mktemp("clf-cache"))
