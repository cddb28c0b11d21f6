"""Unit tests of the label rules on hand-made probability rows (no model needed)."""

from __future__ import annotations

import numpy as np

from avgdesk.classifiers.decision import (
    closing_reply,
    decide,
    decide_parts,
    decide_reasons,
    gate_auto,
    guessed_right_without_evidence,
    own_text,
    refused_further_erasure,
    request_cue,
    runner_up,
    signed_letter_sure_of_right,
    unasked_further_access,
    unreadable,
)
from avgdesk.classifiers.labels import LABELS


def _p(**values: float) -> np.ndarray:
    return np.array([values.get(label, 0.01) for label in LABELS])


T = np.full(len(LABELS), 0.3)
SEC = np.full(len(LABELS), 0.6)


def test_further_rights_are_judged_by_the_conditional_probability() -> None:
    # erasure alone is weak, but given that access is asked for, the conditional model is sure
    labels, _ = decide(_p(access=0.9, erasure=0.4), T, SEC, extra=_p(erasure=0.8))
    assert labels == ["access", "erasure"]
    labels, _ = decide(_p(access=0.9, erasure=0.4), T, SEC, extra=_p(erasure=0.2))
    assert labels == ["access"]
    # the conditional model cannot add a right with no evidence at all in the message
    labels, _ = decide(_p(access=0.9, erasure=0.05), T, SEC, extra=_p(erasure=0.9))
    assert labels == ["access"]


def test_a_right_next_to_a_confident_question_is_doubted() -> None:
    labels, reasons, _ = decide_reasons(_p(erasure=0.9, question=0.8), T, SEC)
    assert labels == ["erasure"] and reasons == {"rival"}
    # evidence for the doubt model, not a flag of its own (decide() without a model still flags)
    assert decide_parts(_p(erasure=0.9, question=0.8), T, SEC)[1] is False
    assert decide(_p(erasure=0.9, question=0.8), T, SEC, review_margin=0.0)[1] is True


def test_unknown_mail_falls_back_to_other_not_to_the_least_unlikely_right() -> None:
    labels, review = decide(_p(complaint=0.05, other=0.1), T, SEC)
    assert labels == ["other"] and review
    labels, review = decide(_p(complaint=0.2, other=0.1), T, SEC)  # half-way to its threshold
    assert labels == ["complaint"] and review


def test_review_margin_widens_doubt() -> None:
    p = _p(access=0.45)
    assert decide(p, T, SEC, review_margin=0.2)[1] is False
    assert decide(p, T, SEC, review_margin=1.0)[1] is True


def test_runner_up_is_the_closest_label_not_chosen() -> None:
    p = _p(access=0.9, erasure=0.25)
    labels, _ = decide(p, T, SEC)
    assert labels == ["access"]
    assert runner_up(p, T, labels) == ("erasure", 0.25)
    assert runner_up(_p(access=0.9), T, ["access"]) is None  # nothing close


def test_model_auto_needs_evidence_in_the_text() -> None:
    p = _p(auto=0.9, other=0.2, erasure=0.2)
    # an absence notice: auto stands
    assert gate_auto("afwezig\nik ben afwezig tot maandag.", p, T, SEC, 0.5) is None
    # no machine words at all: not auto, and a person looks
    gated = gate_auto("vraagje\nkunnen jullie mij helpen met mijn factuur?", p, T, SEC, 0.5)
    assert gated is not None and "auto" not in gated[0] and gated[1]
    # Outlook's Dutch delivery report and a German read receipt are machine mail too
    bounce = "onbestelbaar: uw aanvraag\nhet afleveren is mislukt voor deze ontvangers of groepen:"
    assert gate_auto(bounce, p, T, SEC, 0.5) is None
    receipt = "gelesen: aw: anfrage\nihre nachricht an: privacy wurde am montag gelesen."
    assert gate_auto(receipt, p, T, SEC, 0.5) is None
    # ... but a reminder that quotes a read receipt speaks in the first person: not auto
    reminder = (
        "auskunftsersuchen\nihre nachricht auskunftsersuchen wurde am 01.10. gelesen. seitdem keine "
        "antwort. ich warte auf meine auskunft."
    )
    gated = gate_auto(reminder, _p(auto=0.97, access=0.8, complaint=0.85), T, SEC, 0.5)
    assert gated is not None and "access" in gated[0] and gated[1]
    # a delivery report returns the failed request, first person and all: still machine mail
    returned = (
        "undelivered mail returned to sender\nthis is the mail system. i'm sorry to have to inform you "
        "that your message could not be delivered.\nsubject: inzageverzoek\nik wil inzage in mijn gegevens."
    )
    assert gate_auto(returned, _p(auto=0.97, access=0.8), T, SEC, 0.5) is None
    absent = "abwesenheitsnotiz\nich bin bis zum 5. januar nicht im buro. ihre mail wird nicht gelesen."
    assert gate_auto(absent, _p(auto=0.97), T, SEC, 0.5) is None  # first person, but nothing asked


def test_an_absence_notice_in_the_first_person_stays_auto() -> None:
    # check set 31: "ik heb geen toegang tot mijn mail" put erasure just past its threshold
    text = "afwezig\nik ben op vakantie tot 24 maart en heb geen toegang tot mijn mail. daarna lees ik alles."
    assert gate_auto(text, _p(auto=0.92, erasure=T[2] + 0.03), T, SEC, 0.5) is None
    # a right said that clearly in the first person is a person writing, machine words or not
    gated = gate_auto(text, _p(auto=0.92, erasure=0.8), T, SEC, 0.5)
    assert gated is not None and gated[0] == ["erasure"] and gated[1]


def test_personal_salutation_with_a_request_is_never_auto() -> None:
    p = _p(auto=0.9, erasure=0.25)
    text = (
        "re: uw bericht is ontvangen\nbeste nhmb,\n"
        "ik heb uw ontvangstbevestiging gehad, verwijder nu mijn gegevens."
    )
    gated = gate_auto(text, p, T, SEC, 0.5)
    assert gated is not None and gated[0] == ["erasure"] and gated[1]
    # the same greeting without any likely request: the acknowledgement stays auto
    assert gate_auto(text, _p(auto=0.9), T, SEC, 0.5) is None


def test_a_request_below_support_text_keeps_its_right() -> None:
    # "the app crashes at login ... my date of birth in the profile is wrong too": "other" at
    # 0.99 and the correction at 0.93 (an attack review lost such requests at a 1.0-logit margin)
    labels, review = decide(_p(other=0.99, rectification=0.93), T, SEC)
    assert labels == ["rectification"] and review
    # "other" far more confident than a faint right: support mail
    labels, _ = decide(_p(other=0.99, rectification=0.35), T, SEC)
    assert labels == ["other"]


def test_two_standalone_labels_above_threshold_are_doubted() -> None:
    labels, reasons, _ = decide_reasons(_p(question=0.9, other=0.8), T, SEC)
    assert labels == ["question"] and reasons == {"two_standalone"}
    labels, reasons, _ = decide_reasons(_p(question=0.9, other=0.05), T, SEC)
    assert labels == ["question"] and not reasons


def test_a_clear_right_dropped_as_a_further_right_is_doubted() -> None:
    # objection is twice its own threshold, but the conditional model does not add it
    labels, reasons, _ = decide_reasons(_p(access=0.95, objection=0.7), T, SEC, _p(objection=0.1))
    assert labels == ["access"] and "dropped_clear" in reasons
    labels, reasons, _ = decide_reasons(_p(access=0.95, objection=0.02), T, SEC, _p(objection=0.02))
    assert labels == ["access"] and not reasons


def test_only_the_fallback_demands_review_by_itself() -> None:
    labels, review, _ = decide_parts(_p(complaint=0.05, other=0.1), T, SEC)
    assert labels == ["other"] and review  # nothing passed its threshold: always a person


def test_text_in_a_script_the_corpus_lacks_is_unreadable() -> None:
    assert unreadable("这是一封关于发票的邮件，请尽快回复我们，谢谢您的合作与支持。我们明天见面好吗")
    assert unreadable("привет как дела увидимся в субботу у меня есть вопрос о счете")
    assert not unreadable("graag ontvang ik een kopie van alle gegevens die u van mij heeft")
    assert not unreadable("短い")  # too short to judge


# Prepared texts (lower case, subject on the first line), written for these tests.
FORWARDED_NOTICE = (
    "fyi\nhoi\nfrom: emailx [mailto: emailx ]\nyour weekly timesheet is ready.\n"
    "you receive this because you signed up. to unsubscribe from these emails click here urlx"
)
CAPTION = "holiday\nmy brother at the lake!\nmy dog, asleep in the sun!"


def test_only_the_writers_own_words_count_as_a_request() -> None:
    assert own_text(FORWARDED_NOTICE) == "fyi\nhoi\n"
    assert not request_cue(FORWARDED_NOTICE)  # "unsubscribe" sits below the forward's From: line
    assert not request_cue(CAPTION)  # "my" but nothing asked for and no right named
    # Consent given, confirmed or merely mentioned, and calls welcomed, ask for nothing (an
    # attack review found these opening objection cases when the topic words alone counted).
    for text in (
        "einwilligung werbung\nhiermit erteile ich meine einwilligung zur werbung per e-mail und telefon.",
        "toestemming\nik geef toestemming voor het ontvangen van de nieuwsbrief.",
        "newsletter\nich erhalte ihren newsletter nicht mehr, obwohl ich angemeldet bin.",
        "consent confirmed\nthanks! we have recorded your consent to marketing by email and phone.",
        "anmeldung bestatigt\nihre einwilligung fur unseren newsletter wurde gespeichert. ihr team",
        "einwilligung\nich bin mit anrufen einverstanden. sie durfen mich gerne anrufen",
        "bewerbung\nanbei meine bewerbungsunterlagen, ich freue mich",
        "urlaub\nmorgen vertrek ik op vakantie",
        "urlaub\nich bin nicht mehrere tage da",
        "study\ni consented to the study",
        "verhuizing\nik neem mijn intrek in het nieuwe huis",
        # Everyday German that shares stems with complaint words (found by an attack review).
        "einwilligung\nhiermit erteile ich meine einwilligung zur werbung per telefon. sie werden sehen.",
        "weihnachten\nwir wunschen ihnen frohe weihnachten und einen guten rutsch",
        "presse\nanbei unsere pressemitteilung zur messe. wir freuen uns auf sie.",
        "rechnung\nanbei ihre rechnung. teilen sie uns gern mit, ob alles passt.",
        "kuchen\nunser kuchen war lecker, wir danken ihnen fur die bestellung.",
        "partner\nunser partner hat ihre anfrage weitergegeben an uns.",
        # A company's own breach notice names the incident; it is not a customer's complaint.
        "beveiligingsincident\nop 3 november hebben wij een beveiligingsincident ontdekt, mogelijk zijn "
        "uw persoonsgegevens ingezien.",
        "sicherheitsvorfall\nwir informieren sie uber einen sicherheitsvorfall bei unserem dienstleister.",
        "security incident\nunfortunately we had a security incident at our hosting provider.",
    ):
        assert not request_cue(text), text
    p = _p(objection=0.9)
    assert guessed_right_without_evidence(FORWARDED_NOTICE, p, T, ["objection"])
    assert guessed_right_without_evidence(CAPTION, _p(rectification=0.9), T, ["rectification"])
    assert not guessed_right_without_evidence(CAPTION, _p(other=0.9), T, ["other"])


def test_a_german_order_to_unsubscribe_asks() -> None:
    # check set 31: "Abmelden." alone above a quoted newsletter was vetoed as asking nothing
    for text in ("abmelden.", "newsletter\nabbestellen!", "x\naustragen, danke"):
        assert request_cue(text), text
    assert not guessed_right_without_evidence("abmelden.", _p(objection=0.9), T, ["objection"])


def test_a_reminder_asks_again_for_what_it_named() -> None:
    # hand ar: a reminder that names its right only in the subject, or above the forwarded request,
    # and says nothing but how long it has been, was vetoed as asking nothing.
    for text in (
        "verzoek tot verwijdering\nhet is nu 6 weken later.",
        "correctie naam\nherinnering.\nvan: ans wijnands\n\nwilt u dit corrigeren?",
        "abmeldung newsletter\nimmer noch im verteiler. zweiter versuch.",
        "delete my data request\nsecond time asking.",
    ):
        assert request_cue(text), text
    # Time alone, with no right named or asked, is still nothing; "still" alone does not ask.
    for text in (
        "webinar\nhet is nu 6 weken later.",
        "rooster\nde planning staat al weken klaar.",
        "export\nstill broken.",
    ):
        assert not request_cue(text), text


def test_a_reply_that_only_thanks_opens_nothing() -> None:
    # check set 45: "AW: Bestätigung der Löschung" / "Danke, damit ist die Sache für mich erledigt"
    # above our answer was read as erasure from its subject.
    thanks = (
        "bestatigung der loschung ihrer daten\nhallo frau peters,\n\ndanke, ihre bestatigung ist "
        "angekommen. damit ist die sache fur mich erledigt.\n\nschone gruße\njan",
        "inzage in mijn salarisgegevens\nok, helder, bedankt!\n\ngroet,\nkevin",
        "your access request\nreceived, thank you. all clear.",
        # check set 52: a thank-you that confirms the fix was read as rectification.
        "re: address change\nbrilliant, thanks eline - all looks correct now in the portal.\n\nsam",
        "re: your correction\nthanks, everything is correct now.",
        "re: uw correctie\ndank je, alles is nu correct.",
    )
    for text in thanks:
        assert closing_reply(text), text
        assert guessed_right_without_evidence(text, _p(erasure=0.9, access=0.9), T, ["erasure"], replied=True)
        # The same words with no quoted mail below: the subject may be the whole request.
        assert not guessed_right_without_evidence(text, _p(erasure=0.9), T, ["erasure"])
    still_open = (
        "verzoek tot verwijdering\nbedankt voor uw reactie, maar mijn account bestaat nog.",
        "access request\nthanks, but I have not received the copy.",
        "auskunft\ndanke. und wann kommt die kopie?",
        "auskunft\ndanke im voraus.",
        "access request\nthank you in advance, I look forward to it.",
        "loschung\ndanke, bitte loschen sie auch mein zweites konto.",
        "access request\nthanks. it has been five weeks now, I expect the copy this week.",
        # An attack review's replies that thank and then ask or report something else:
        "verzoek tot verwijdering\nbedankt. mijn tweede account ook opheffen a.u.b.",
        "erasure request\nthanks. close my second account too.",
        "erasure request\nthanks. purge my other account as well.",
        "loschung\ndanke. mein zweites konto ebenfalls schliessen und die daten vernichten.",
        "erasure request\nthanks. my surname is spelled smit, with one t.",
        "ihre auskunft nach art. 15 dsgvo\ndanke, erhalten. es fehlen die standortdaten.",
        "auskunft\ndanke. ich habe nur einen teil meiner daten erhalten.",
        "access\nthanks. i received only part of my data.",
        "inzageverzoek\ndank voor de ontvangstbevestiging. inmiddels zijn er zes weken verstreken.",
        "nieuwsbrief\nweer een mailing ontvangen, terwijl ik me had afgemeld.",
        "newsletter\nreceived yet another promotional email this morning.",
        "werbung\ndanke. habe heute erneut werbepost erhalten.",
        "address change\nthanks, all correct now. please also delete my old account.",
        # Words between "now" and "correct" that ask are not a confirmation (review of 4b0f972).
        "re: name\nthanks, now please correct my name.",
    )
    for text in still_open:
        assert not closing_reply(text), text
        # A report that asks nothing ("received yet another promotional email") is still judged by
        # request_cue, as outside a reply; everything else here asks.
        if request_cue(text):
            vetoed = guessed_right_without_evidence(text, _p(erasure=0.9), T, ["erasure"], replied=True)
            assert not vetoed, text
    assert sum(request_cue(text) for text in still_open) >= len(still_open) - 2


def test_a_colleagues_handover_lets_the_forwarded_request_speak() -> None:
    # check set 43: "voor jullie denk ik" above a contact-form request scored erasure 0.97 and
    # objection 0.94 and was vetoed, the colleague's own words asking nothing.
    text = (
        "nieuw bericht via contactformulier\nvoor jullie denk ik. geen klant bij ons.\n\n"
        "van: website < emailx >\n\nik wil dat mijn naam en adres uit jullie bestanden worden verwijderd."
    )
    assert own_text(text) == text
    assert request_cue(text)
    assert not guessed_right_without_evidence(text, _p(erasure=0.97), T, ["erasure"])
    # Without the handover the forwarded words are not the writer's.
    plain = text.replace("voor jullie denk ik. geen klant bij ons.", "leuk artikel.")
    assert own_text(plain) == "nieuw bericht via contactformulier\nleuk artikel.\n\n"
    assert guessed_right_without_evidence(plain, _p(erasure=0.97), T, ["erasure"])


def test_no_more_advertising_asks_in_german_too() -> None:
    # check set 40: "Zum letzten Mal: keine Werbe-Mails mehr an diese Adresse." above a quoted
    # webinar invitation scored objection 1.00 and was vetoed as asking nothing.
    for text in (
        "aw: webinar\nich hatte mich abgemeldet!!! zum letzten mal: keine werbe-mails mehr an diese adresse.",
        "werbung\nich will keine werbeanrufe mehr.",
        "x\nbitte keine newsletter mehr",
    ):
        assert request_cue(text), text
    # Not an ask: the same words about something that stopped, or no one asking.
    assert not request_cue("newsletter\nich erhalte ihren newsletter nicht mehr, obwohl ich angemeldet bin.")
    assert not request_cue("lager\nkeine artikel mehr auf lager.")


def test_a_sure_complaint_about_data_needs_no_asking_words() -> None:
    text = (
        "hotline\nder mitarbeiter hat meine bankverbindung laut vorgelesen. ich halte das fur einen "
        "sehr nachlassigen umgang mit personenbezogenen daten."
    )
    assert not request_cue(text)
    assert not guessed_right_without_evidence(text, _p(complaint=0.99), T, ["complaint"])
    # not sure enough, or not about data, or not a complaint: the veto holds
    assert guessed_right_without_evidence(text, _p(complaint=0.9), T, ["complaint"])
    assert guessed_right_without_evidence(CAPTION, _p(complaint=0.99), T, ["complaint"])
    assert guessed_right_without_evidence(text, _p(erasure=0.99), T, ["erasure"])
    # consent and tracking are data words too (check sets 20 and 22: both vetoed at 1.00 before)
    for own in (
        "tracking\nihre rechnungs-e-mails enthalten ein zahlpixel. eingewilligt habe ich dazu nie.",
        "referenz\nihr vertriebler nennt meinen namen. dafur habe ich nie meine zustimmung gegeben.",
    ):
        assert not request_cue(own), own
        assert not guessed_right_without_evidence(own, _p(complaint=0.99), T, ["complaint"]), own


def test_short_and_forwarded_requests_keep_their_case() -> None:
    for text in (
        "stop met mailen\n",
        "uitschrijven aub\n",
        "\nhaal me uit jullie systeem. nu.",
        "adres\nben verhuisd, nieuw adres: dorpsweg numx",
        "fwd: inzageverzoek\nzie onder\nfrom: emailx\nik wil inzage in mijn gegevens",
        "reminder\nstill no answer to the mail below\nfrom: emailx\nplease delete my account",
        "auskunft\nich bitte um auskunft nach art. 15 dsgvo",
        "\ngeen reclame meer per sms. dank",  # no pronoun, but thanks for doing it
        "tel\nmn telefoonnummer is veranderd, de nieuwe is numx",
        "\nbrauch alles was ihr uber mich habt als datei",
        # Withdrawn consent and stopped calls are objections (dev README), in any of the three.
        "anrufe\nhort auf mich anzurufen. hab kein interesse. klaus",
        "\nich will nicht mehr angerufen werden",
        "\nde toestemming voor de nieuwsbrief trek ik hierbij in",
        "\nik heb mijn toestemming ingetrokken",
        "\ni withdraw my consent to your marketing",
        "werbung\nkeine werbung mehr, bitte",
        # German complaints that name no right and ask nothing politely (check set 4's kind).
        "rundmail\nmeine adresse stand fur alle sichtbar in der liste. das darf nicht passieren.",
        "weitergabe\nich halte das fur einen klaren versto gegen den datenschutz.",
        "partner\nteilen sie mir mit, wem sie meine nummer gegeben haben",
        "dienstplan\nmein geburtsdatum steht fur alle sichtbar im plan, das ist nicht in ordnung",
        # Terse letters that cite the articles they invoke, without a pronoun or a please.
        "gdpr\nart 15 + art 17. copy of all data, then delete. no further marketing. /erik",
        "\nart. 17 avg. alles wissen. account: namex",
        # Outrage at a breach notice, naming no right (check set 8's kind), in each language.
        "your security incident email\nit tells me nothing. frankly, it's a disgrace. namex",
        "mail\nuw mail over het beveiligingsincident zegt niks. een schande. namex",
        "vorfall\nihre mail zum vorfall sagt nichts. eine schande. namex",
        # A request in the conditional and a complaint without a complaint word (check set 17/18's kinds).
        "meine daten\nich hatte gerne eine ubersicht uber alle meine daten als maschinenlesbare datei.",
        "chat\nthe transcript was emailed to my accountant. i never agreed to that. not impressed.",
        "gesprek\nmijn gegevens staan bij een ander bedrijf. daar heb ik nooit toestemming voor gegeven.",
        # The incident named by someone it happened to (check set 12's kind).
        "poor handling\nyour email about the security incident included my old password hint. namex",
    ):
        assert request_cue(text), text
        assert not guessed_right_without_evidence(text, _p(access=0.9), T, ["access"]), text


def test_request_cue_is_linear_on_a_mail_of_blank_lines() -> None:
    """A stranger's mail of many blank lines: the forward-header search once tried ``^\\s*`` at
    every line start, each run swallowing all the blank lines after it (quadratic: 8,000 lines
    took 0.65 s, 1 MB did not finish in two minutes). Same answers as before for real forwards."""
    import time

    from avgdesk.classifiers.decision import own_text, request_cue

    def cpu(text: str) -> float:
        started = time.process_time()
        request_cue(text)
        return max(time.process_time() - started, 1e-4)

    forwarded = "fyi\n\n   \n  from: noreply@app.example\nplease unsubscribe me"
    assert own_text(forwarded).strip() == "fyi"
    assert own_text("re\n\n*van:* jan@example.nl\nverwijder mij").strip() == "re"
    small, large = "subject\n" + "\n" * 20_000, "subject\n" + "\n" * 80_000
    cpu(small)
    ratio = cpu(large) / cpu(small)
    assert ratio < 9, f"4x input took {ratio:.1f}x the CPU time: not linear"


def test_a_signed_letter_keeps_a_right_the_model_is_sure_of() -> None:
    # check set 49: a Limburgish letter ("haol mien naam en adres oet uch systeem") scored objection
    # 0.81 and was vetoed for want of asking words. Kept now, reviewed.
    dialect = (
        "ophouwe!!\ngooje middig,\n\nich krieg alle weke weer ein mail van uch. doot mich ut plezeer en haol "
        "mien naam en adres oet uch systeem.\n\nmit vrundelike groete,\njo houben"
    )
    assert not request_cue(dialect)
    assert guessed_right_without_evidence(dialect, _p(objection=0.81), T, ["objection"])
    assert signed_letter_sure_of_right(dialect, _p(objection=0.81), ["objection"])
    # In the first person without greeting, or greeted without "I": kept as well (hand aw).
    terse = (
        "niets doen\nniet weggooien. niet gebruiken. laat mijn gegevens liggen tot mijn advocaat ernaar keek."
    )
    assert signed_letter_sure_of_right(terse, _p(restriction=0.99), ["restriction"])
    hush = "silence\ndear nhmb,\n\nhush now. no more letters, no more calls.\n\nwith kind regards,\nmara"
    assert signed_letter_sure_of_right(hush, _p(objection=0.99), ["objection"])
    # Not when the model is unsure (a caption with "my" scored 0.7 stays vetoed), nor for a
    # forwarded notice (a colleague's "fyi" above it has neither), nor for a reply that only thanks.
    assert not signed_letter_sure_of_right(dialect, _p(objection=0.6), ["objection"])
    assert not signed_letter_sure_of_right(CAPTION, _p(rectification=0.7), ["rectification"])
    assert not signed_letter_sure_of_right(FORWARDED_NOTICE, _p(objection=0.9), ["objection"])
    thanks = "re: inzage\ndank je, ik heb het ontvangen.\n\ngroet, an"
    assert not signed_letter_sure_of_right(thanks, _p(access=0.9), ["access"], replied=True)


def test_an_erasure_refused_in_the_writers_words_is_no_further_right() -> None:
    # check sets 47-52: five letters that refuse erasure and ask another right were given erasure too.
    refused = (
        "e-mail-adresse andern - nicht loschen\nhallo,\n\nbitte mein konto nicht loschen! ich habe nur eine "
        "neue e-mail-adresse. bitte in ihren daten andern.\n\ndanke, julia"
    )
    p = _p(rectification=0.95, erasure=0.5)
    assert refused_further_erasure(refused, p, ["rectification", "erasure"]) == ["rectification"]
    dutch = "re: opzegging\ngraag niet verwijderen a.u.b. zet het op slot tot de zaak klaar is."
    p = _p(restriction=0.9, erasure=0.6)
    assert refused_further_erasure(dutch, p, ["erasure", "restriction"]) == ["restriction"]
    # Erasure the most likely right stays: the letter is about erasure, whatever it also refuses.
    assert refused_further_erasure(
        refused, _p(rectification=0.5, erasure=0.9), ["rectification", "erasure"]
    ) == [
        "rectification",
        "erasure",
    ]
    # A reminder's "you did not delete" or "konnten nicht löschen" is no refusal.
    reminder = "re: loschung\nyou did not delete my data, and you still mail me. stop it and delete it now."
    p = _p(objection=0.9, erasure=0.6, complaint=0.5)
    labels = ["erasure", "objection", "complaint"]
    assert refused_further_erasure(reminder, p, labels) == labels


def test_access_beside_another_right_needs_words_that_ask_to_see() -> None:
    # Blind check sets 47-54: the data erasure concerns was named in access's words and access added.
    labels = ["access", "erasure"]
    p = _p(access=0.8, erasure=0.99)
    for text in (
        "bitte daten loschen\nich mochte nun, dass alles, was sie uber mich personlich gespeichert haben, "
        "geloscht wird.\n\nkundennummer war numx.",
        "closing my account\nplease delete all the personal information you hold about me.",
    ):
        assert unasked_further_access(text, p, labels) == ["erasure"], text
    # Any word that asks to see, receive or learn keeps it: in the letter, the subject, or a request of
    # the writer's own forwarded below a reminder.
    for text in (
        "gegevens\nkunnen jullie me laten weten wat er van mij in het systeem staat? daarna mag alles weg.",
        "please delete\nsend me a copy first, then delete everything.",
        "bitte loschen\nwoher haben sie meine adresse? und dann loschen sie sie.",
        "aufstellung meiner daten - 2. erinnerung\nmeine unten stehende anfrage ist sieben wochen alt.",
        "re: inzageverzoek\nik heb nog steeds niets gehoord, dit is onacceptabel. verwijder daarna alles.",
        "delete\nwho else have you passed my email to? and delete it.",
    ):
        assert unasked_further_access(text, p, labels) == labels, text
    # The most likely right stays whatever its words: the letter is about access.
    text = "closing my account\nplease delete all the personal information you hold about me."
    assert unasked_further_access(text, _p(access=0.99, erasure=0.8), labels) == labels
    assert unasked_further_access(text, p, ["access"]) == ["access"]


def test_less_common_verbs_of_erasure_ask() -> None:
    # A verb probe (2026-12-02): each of these, scored erasure 0.45-0.75, was vetoed for want of a cue.
    for text in (
        "\nhi,\n\nstrike my details from your records.\n\nthanks, pete",
        "\nhallo,\n\nnehmen sie meine daten aus ihrem system.\n\ngruss, peter",
        "\nhi,\n\nwipe my data.\n\nthanks, pete",
        "\nhallo,\n\nvernietig mijn gegevens.\n\ngroet, piet",
    ):
        assert request_cue(text), text
    # Still no cue in a caption or a notice that asks nothing.
    assert not request_cue("\nfoto van het team op de beurs")
