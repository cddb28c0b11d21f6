from __future__ import annotations

from avgdesk.mailbox.contact_form import FormSubmission, form_body, is_form_sender, parse_form_body


def test_form_body_round_trip_and_multiline_message() -> None:
    sub = FormSubmission("Jan de Vries", "jan@example.nl", "Inzage", "Regel 1\nRegel 2", "inzage")
    parsed = parse_form_body(form_body(sub))
    assert parsed == sub


def test_english_labels_and_missing_address() -> None:
    parsed = parse_form_body("Name: Ann\nEmail: Ann <ANN@example.com>\nSubject: Hi\nMessage: Delete me\n")
    assert parsed is not None and parsed.email == "ann@example.com" and parsed.message == "Delete me"
    assert parse_form_body("Naam: X\nBericht: geen adres") is None


def test_form_sender_is_case_insensitive() -> None:
    assert is_form_sender("Website@NHMBsoftware.nl", ["website@nhmbsoftware.nl"])
    assert not is_form_sender(None, ["website@nhmbsoftware.nl"])
