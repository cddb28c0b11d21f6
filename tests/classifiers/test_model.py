from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from avgdesk.classifiers import LABELS, RIGHTS, Classifier, Document, load_or_train
from avgdesk.classifiers.model import decide

STANDALONE = {"question", "other", "auto"}


def _probs(**values: float) -> np.ndarray:
    return np.array([values.get(label, 0.01) for label in LABELS])


def test_decide_standalone_and_priority_rules() -> None:
    t = np.full(len(LABELS), 0.5)
    # a right beats question/other
    labels, _ = decide(_probs(access=0.9, other=0.8), t)
    assert labels == ["access"]
    # auto never carries a right; the stronger side wins and a person is asked
    labels, review = decide(_probs(auto=0.95, erasure=0.6), t)
    assert labels == ["auto"] and review
    # nothing confident: best guess plus review
    labels, review = decide(_probs(question=0.3, other=0.2), t)
    assert labels == ["question"] and review
    # two standalone labels: only one survives
    labels, _ = decide(_probs(question=0.7, other=0.9), t)
    assert labels == ["other"]
    # rights and complaint combine
    labels, _ = decide(_probs(objection=0.9, complaint=0.8), t)
    assert labels == ["objection", "complaint"]


def test_decide_secondary_threshold_limits_extra_rights() -> None:
    t = np.full(len(LABELS), 0.3)
    sec = np.full(len(LABELS), 0.6)
    labels, _ = decide(_probs(access=0.9, erasure=0.4), t, sec)
    assert labels == ["access"]
    labels, _ = decide(_probs(access=0.9, erasure=0.7), t, sec)
    assert labels == ["access", "erasure"]


def test_predictions_obey_label_rules(model: Classifier) -> None:
    docs = [
        Document("Automatisch antwoord: Verzoek tot verwijdering", "Ik ben afwezig tot 3 juni."),
        Document("Inzageverzoek", "Welke gegevens hebben jullie van mij? Stuur een kopie."),
        Document("Factuur", "Factuur 2291 klopt niet, graag een creditnota."),
        Document("cookies", "Welke cookies plaatsen jullie op de website?"),
        Document("", ""),
    ]
    for pred in model.predict(docs):
        assert pred.labels, pred
        if set(pred.labels) & STANDALONE:
            assert len(pred.labels) == 1
        if "auto" in pred.labels:
            assert not set(pred.labels) & set(RIGHTS)
        assert set(pred.scores) == set(LABELS)
        assert all(0.0 <= s <= 1.0 for s in pred.scores.values())
        assert pred.model_version == model.version
        assert pred.language in {"nl", "en", "de"}


def test_clear_cases(model: Classifier) -> None:
    cases = [
        (
            Document(
                "Inzageverzoek",
                "Graag een kopie van alle persoonsgegevens die u van mij verwerkt (art. 15 AVG).",
            ),
            "access",
        ),
        (Document("Delete my account", "Please delete my account and all my personal data."), "erasure"),
        (Document("afmelden", "Ik wil geen nieuwsbrief meer ontvangen, meld me af."), "objection"),
        (Document("Out of office", "I am out of the office until Monday with no access to email."), "auto"),
        (
            Document(
                "Verwerkersovereenkomst",
                "Wij zijn klant. Kunnen jullie ons een verwerkersovereenkomst sturen?",
            ),
            "question",
        ),
    ]
    preds = model.predict([doc for doc, _ in cases])
    for (doc, label), pred in zip(cases, preds, strict=True):
        assert label in pred.labels, (doc.subject, pred.labels)


def test_negation_means_rectification_not_erasure(model: Classifier) -> None:
    docs = [
        Document(
            "adres", "Ik wil mijn account NIET opzeggen, alleen mijn adres wijzigen naar Molenweg 3, Duiven."
        ),
        Document(
            "my email", "Please do not delete my account! I only need my email address updated to this one."
        ),
    ]
    for pred in model.predict(docs):
        assert "rectification" in pred.labels, pred.labels
        assert "erasure" not in pred.labels, pred.labels


def test_explanations_name_the_words(model: Classifier) -> None:
    pred = model.predict([Document("Verzoek", "Ik wil inzage in mijn persoonsgegevens.")])[0]
    assert "access" in pred.labels
    phrases = pred.explanations["access"]
    assert phrases and any("inzage" in p for p in phrases), phrases
    assert set(pred.explanations) == set(pred.labels)
    pred = model.predict([Document("", "Please unsubscribe me from your newsletter.")])[0]
    assert any("unsubscribe" in p for p in pred.explanations["objection"])


def test_training_is_deterministic(tiny_corpus: Path, tmp_path: Path) -> None:
    docs = [Document("x", "verwijder mijn gegevens"), Document("y", "welke cookies?")]
    a = load_or_train(tmp_path / "a", corpus_dir=tiny_corpus)
    b = load_or_train(tmp_path / "b", corpus_dir=tiny_corpus)
    assert a.version == b.version
    assert a.predict(docs) == b.predict(docs)


def test_parallel_fits_give_the_model_of_sequential_fits(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real corpus trains its base models in worker processes; the tiny one would not.
    from avgdesk.classifiers import model as model_module

    monkeypatch.setattr(model_module, "PARALLEL_MIN_ROWS", 10**9)
    sequential = load_or_train(tmp_path / "a", corpus_dir=tiny_corpus)
    monkeypatch.setattr(model_module, "PARALLEL_MIN_ROWS", 1)
    parallel = load_or_train(tmp_path / "b", corpus_dir=tiny_corpus, force=True)
    assert isinstance(sequential, model_module.FittedModel)
    assert isinstance(parallel, model_module.FittedModel)
    assert np.array_equal(sequential.coef, parallel.coef)
    assert np.array_equal(sequential.intercept, parallel.intercept)
    assert np.array_equal(sequential.thresholds, parallel.thresholds)
    # the fitting processes went with the training (joblib's resource tracker may stay)
    assert _fitting_children() == []


def _fitting_children() -> list[str]:
    """Command lines of this process's children that are loky workers (not its resource tracker)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if ppid == os.getpid() and "loky" in cmdline and "resource_tracker" not in cmdline:
            out.append(cmdline)
    return out


def test_a_fitting_process_dies_with_the_process_that_trains() -> None:
    code = (
        "import ctypes, ctypes.util, signal\n"
        "from avgdesk.classifiers.model import die_with_parent\n"
        "die_with_parent()\n"
        "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
        "value = ctypes.c_int()\n"
        "libc.prctl(2, ctypes.byref(value))\n"  # PR_GET_PDEATHSIG
        "print(value.value == signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def test_fast_transforms_match_scikit_learn(model: Classifier) -> None:
    from avgdesk.classifiers.model import FittedModel
    from avgdesk.classifiers.text import prepare

    assert isinstance(model, FittedModel)
    texts = [
        prepare("Re: inzage", "Graag een kopie van mijn gegevens, geëxporteerd als CSV."),
        prepare("", ""),
        prepare("x", "ünïcödé wörds and numbers 12 345"),
    ]
    for fast, slow in ((model.features._char_transform(texts), model.features.char.transform(texts)),):
        assert fast.shape == slow.shape
        assert abs(fast - slow).max() < 1e-6


def test_machine_mail_never_gets_a_right(model: Classifier) -> None:
    docs = [
        Document(
            "Out of Office: Re: Verzoek tot verwijdering",
            "Ik ben afwezig tot maandag. Voor verwijderverzoeken: privacy@example.nl",
        ),
        Document(
            "Undelivered Mail Returned to Sender",
            "This is the mail system at host mail.example.nl.\n\nI'm sorry to have to inform "
            "you that your message could not be delivered.\n\n--- Below this line is a copy "
            "of the message.\n\nSubject: Inzageverzoek\nIk wil inzage in mijn gegevens.",
        ),
    ]
    for pred in model.predict(docs):
        assert pred.labels == ["auto"], pred.labels


def test_one_word_unsubscribe_is_an_objection(model: Classifier) -> None:
    preds = model.predict([Document("unsubscribe", ""), Document("", "uitschrijven")])
    assert all(p.labels == ["objection"] for p in preds), [p.labels for p in preds]


def test_asking_for_the_newsletter_is_never_an_unchecked_opt_out(model: Classifier) -> None:
    # The topic words (newsletter, advertising, calls) read as an opt-out: a sign-up became an
    # objection case with a "marketing stopped" letter drafted, unflagged (issue 15).
    for subject, body in (
        ("Newsletter", "Please add me to your newsletter."),
        ("Newsletter", "Bitte nehmen Sie mich in Ihren Newsletter auf."),
        ("Nieuwsbrief", "Ik wil graag jullie nieuwsbrief ontvangen."),
        ("Werbung", "Sie dürfen mir gerne Werbung schicken."),
    ):
        prediction = model.predict([Document(subject, body)])[0]
        assert prediction.labels == ["other"] or prediction.needs_review, (body, prediction.labels)
    opt_outs = (("Newsletter", "Ich möchte Ihren Newsletter abbestellen."), ("", "please unsubscribe me"))
    for subject, body in opt_outs:
        assert "objection" in model.predict([Document(subject, body)])[0].labels, body


def test_german_requests_are_read(model: Classifier) -> None:
    cases = [
        (
            Document(
                "Auskunftsersuchen",
                "Sehr geehrte Damen und Herren, bitte teilen Sie mir mit, welche personenbezogenen Daten "
                "Sie über mich gespeichert haben, und senden Sie mir eine Kopie (Art. 15 DSGVO).",
            ),
            "access",
        ),
        (Document("Konto löschen", "Bitte löschen Sie mein Konto und alle meine Daten."), "erasure"),
        (Document("Werbung", "Ich widerspreche der Verwendung meiner Daten für Werbung."), "objection"),
    ]
    for (doc, label), pred in zip(cases, model.predict([d for d, _ in cases]), strict=True):
        assert label in pred.labels, (doc.subject, pred.labels)
        assert pred.language == "de"


def test_every_right_in_one_paragraph_is_found(model: Classifier) -> None:
    doc = Document(
        "Verzoek",
        "Ik heb jarenlang jullie software gebruikt en ben erg tevreden geweest over de service. "
        "Nu stop ik met mijn bedrijf. Stuur mij eerst een kopie van alle gegevens die jullie van mij "
        "hebben. Verwijder daarna mijn account en al mijn gegevens.",
    )
    pred = model.predict([doc])[0]
    assert {"access", "erasure"} <= set(pred.labels), pred.labels


def test_reminder_quoting_the_request_keeps_the_right(model: Classifier) -> None:
    doc = Document(
        "Re: verwijderen",
        "Ik heb nog steeds niets van jullie gehoord en dat vind ik echt onacceptabel. Het is nu al "
        "zes weken geleden en ik verwacht een reactie binnen de wettelijke termijn.\n\n"
        "Op 3 mei 2024 om 10:12 schreef Ans Vos <ans@example.nl>:\n"
        "> Graag wil ik dat jullie mijn account en al mijn gegevens verwijderen.",
    )
    pred = model.predict([doc])[0]
    assert "complaint" in pred.labels, pred.labels


def test_a_reply_that_only_thanks_opens_no_case(model: Classifier) -> None:
    # Check set 45: the right in the subject was the earlier mail's; the reply closes the matter.
    quoted = (
        "\n\nOp 3 mei 2024 om 10:12 schreef Privacy NHMB <privacy@example.nl>:\n"
        "> Beste heer Vos, zoals gevraagd hebben wij uw account en gegevens verwijderd."
    )
    subject = "Re: Verzoek tot verwijdering"
    thanks = model.predict([Document(subject, "Top, dank voor de bevestiging!" + quoted)])[0]
    assert thanks.labels == ["other"], thanks.labels
    # Not when something is still open.
    still = model.predict([Document(subject, "Dank, maar mijn account bestaat nog steeds." + quoted)])[0]
    assert "erasure" in still.labels, still.labels


def test_a_personal_request_is_never_auto(model: Classifier) -> None:
    doc = Document(
        "Re: Uw bericht is ontvangen",
        "Beste NHMB,\n\nIk kreeg jullie automatische ontvangstbevestiging, maar ik wil gewoon dat "
        "jullie mijn gegevens verwijderen. Graag bevestiging.\n\nGroet, Ria",
    )
    pred = model.predict([doc])[0]
    assert pred.labels != ["auto"], pred.labels
    assert "erasure" in pred.labels, pred.labels


def test_threshold_is_the_middle_of_the_best_range() -> None:
    """A corpus that separates a label cleanly gives a wide range of equally good thresholds;
    the middle one leaves room for mail unlike the corpus (not the lowest that still works)."""
    import numpy as np

    from avgdesk.classifiers.model import _best_threshold

    p = np.array([0.02, 0.03, 0.04, 0.95, 0.97, 0.99])
    y = np.array([0, 0, 0, 1, 1, 1], dtype=np.int8)
    assert 0.4 <= _best_threshold(p, y, 2.0) <= 0.6


def test_quoted_context_is_scored_in_the_same_reading(model: Classifier) -> None:
    """ClauseIndex reads the quoted context with the texts: its scores equal the quoted texts'
    own reading, and a message that quotes nothing gets NO_QUOTE."""
    import numpy as np

    from avgdesk.classifiers.model import NO_QUOTE, ClauseIndex, FittedModel

    assert isinstance(model, FittedModel)
    texts = ["graag een reactie", "nog steeds niets gehoord", "hallo"]
    quoted = ["verwijder mijn gegevens", "", "stuur mij een kopie van mijn gegevens"]
    index = ClauseIndex(model.features, texts, quoted)
    scores = index.quoted_scores(model.coef, model.intercept)
    own = model.features.transform([quoted[0], quoted[2]]) @ model.coef.T + model.intercept
    assert np.allclose(scores[[0, 2]], own)
    assert (scores[1] == NO_QUOTE).all()
    assert np.allclose(index.quoted_scores(model.coef, model.intercept, np.array([2])), own[1:])


def test_a_short_reply_is_answered_in_the_language_of_the_mail_it_quotes() -> None:
    from avgdesk.classifiers.model import _language

    newsletter = "liebe leserinnen und leser, in diesem monat gibt es neue funktionen im lohnmodul"
    assert _language("abmelden.", newsletter) == "de"
    assert _language("unsubscribe", "dear reader, this month we bring you new payroll features") == "en"
    # the writer's own words decide when there are enough of them
    own = "graag wil ik mij afmelden voor de nieuwsbrief en mijn gegevens laten verwijderen"
    assert _language(own, newsletter) == "nl"


def test_access_as_a_further_right_needs_more_than_the_others() -> None:
    """Out of fold, a further access is learned at the floor like every right; blind check sets
    47-52 showed it wrong below 0.7 (erasure letters naming "all data you hold about me")."""
    from avgdesk.classifiers.model import SECONDARY_CAP, SECONDARY_FLOOR, _thresholds

    rng = np.random.default_rng(3)
    n = 400
    y = (rng.random((n, len(LABELS))) < 0.3).astype(np.int8)
    # Every label separable at a low conditional score: the learned secondary would be low.
    cond = np.where(y == 1, 0.3 + 0.1 * rng.random((n, len(LABELS))), 0.1 * rng.random((n, len(LABELS))))
    _, secondary, _ = _thresholds(cond, cond, y)
    access = LABELS.index("access")
    assert secondary[access] == pytest.approx(0.7)
    for j, label in enumerate(LABELS):
        if label in RIGHTS and label != "access":
            assert SECONDARY_FLOOR <= secondary[j] <= SECONDARY_CAP
