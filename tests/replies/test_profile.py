"""The controller profile file: the packaged one is valid, bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from avgdesk.models.errors import ConfigurationError
from avgdesk.replies import load_profile
from avgdesk.replies.profile import default_profile_path

GOOD = default_profile_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "controller.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_profile_is_nhmb_software() -> None:
    profile = load_profile()
    assert profile.controller.name == "NHMB software"
    assert profile.controller.address.street == "Mallemoolen 25 A"
    assert profile.controller.address.postal_code == "6901 GS"
    assert profile.controller.address.city == "Zevenaar"
    assert profile.controller.website == "https://www.nhmbsoftware.nl"
    assert profile.controller.privacy_email == "privacy@nhmbsoftware.nl"
    sa = profile.supervisory_authority
    assert sa.name == "Autoriteit Persoonsgegevens"
    assert (sa.address.street, sa.address.postal_code, sa.address.city) == (
        "Postbus 93374",
        "2509 AJ",
        "Den Haag",
    )
    assert sa.website == "https://autoriteitpersoonsgegevens.nl"
    assert profile.response_days == 30
    assert profile.transfers_outside_eea == ()
    assert profile.automated_decision_making is False
    assert profile.data_categories and profile.purposes and profile.retention


def test_profile_loads_strictly_and_refuses_empty_recipient_names(tmp_path: Path) -> None:
    # Issue 13 point 8: production loads strictly; the packaged file names every recipient
    # (demo names, marked as such, until NHMB fills in its own).
    profile = load_profile()
    assert not profile.missing_recipient_names()
    assert all(r.name for r in profile.recipients)
    text = GOOD.replace('name = "Belastingdienst"', 'name = ""')
    with pytest.raises(ConfigurationError, match="no name filled in"):
        load_profile(write(tmp_path, text))
    assert load_profile(write(tmp_path, text), strict=False).missing_recipient_names()


def test_letters_are_signed_by_name_and_role_or_by_the_team() -> None:
    profile = load_profile()
    assert profile.signature("petra", "nl") == "Petra Jansen, privacymedewerker"
    assert profile.signature("somebody", "nl") == "Het privacyteam van NHMB software"
    assert profile.signature(None, "en") == "The privacy team of NHMB software"  # not Dutch


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_profile(tmp_path / "nope.toml")


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="invalid TOML"):
        load_profile(write(tmp_path, "response_days = = 3\n"))


def test_missing_and_wrong_values_are_all_listed(tmp_path: Path) -> None:
    text = GOOD.replace('website = "https://www.nhmbsoftware.nl"', 'website = "www.example"')
    text = text.replace('privacy_email = "privacy@nhmbsoftware.nl"\n', "")
    text = text.replace("response_days = 30", "response_days = 45")
    with pytest.raises(ConfigurationError) as info:
        load_profile(write(tmp_path, text))
    message = str(info.value)
    assert str(tmp_path / "controller.toml") in message
    assert "controller.website" in message
    assert "controller.privacy_email" in message
    assert "response_days" in message


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('language_default = "nl"', 'language_default = "nl"\nfax = "x"')
    with pytest.raises(ConfigurationError, match="fax"):
        load_profile(write(tmp_path, text))


def test_automated_decision_making_needs_details(tmp_path: Path) -> None:
    text = GOOD.replace("automated_decision_making = false", "automated_decision_making = true")
    with pytest.raises(ConfigurationError, match="automated_decision_making_details"):
        load_profile(write(tmp_path, text))


def test_missing_english_is_refused(tmp_path: Path) -> None:
    assert ', en = "the Netherlands"' in GOOD
    with pytest.raises(ConfigurationError, match=r"country\.en"):
        load_profile(write(tmp_path, GOOD.replace(', en = "the Netherlands"', "", 1)))


def test_a_profile_without_german_still_loads_and_writes_english_to_german_writers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15: a profile written before German letters existed must not stop the worker; one
    missing German text is enough to keep German writers on English letters (a German letter
    never borrows an English sentence), and the log says so once."""
    assert ', de = "Niederlande"' in GOOD
    full = load_profile(write(tmp_path, GOOD))
    assert full.letter_languages() == ("nl", "en", "de") and full.letter_language("de") == "de"
    with caplog.at_level("WARNING", logger="avgdesk.replies.profile"):
        partial = load_profile(write(tmp_path, GOOD.replace(', de = "Niederlande"', "", 1)))
    assert partial.letter_languages() == ("nl", "en")
    assert [partial.letter_language(x) for x in ("de", "en", "nl", "fr")] == ["en", "en", "nl", "nl"]
    with pytest.raises(ValueError, match="no German"):
        partial.controller.address.country.get("de")  # never an English sentence in a German letter
    assert "lacks German" in caplog.text


def test_placeholder_marker_is_found_in_strict_mode(tmp_path: Path) -> None:
    text = GOOD.replace('name = "Belastingdienst"', 'name = "[INVULLEN: naam]"')
    profile = load_profile(write(tmp_path, text), strict=False)
    assert any(p.startswith("recipients[") for p in profile.placeholders())
    with pytest.raises(ConfigurationError, match=r"\[INVULLEN"):
        load_profile(write(tmp_path, text))


def test_another_organisation_replaces_the_file_not_the_templates(tmp_path: Path) -> None:
    from datetime import date

    from avgdesk.replies import DraftKind, ReplyContext, render

    text = GOOD.replace('name = "NHMB software"', 'name = "Voorbeeld BV"')
    profile = load_profile(write(tmp_path, text))
    ctx = ReplyContext("AVG-1", "nl", None, ("access",), False, date(2026, 1, 5), date(2026, 2, 5), "Ans")
    reply = render(DraftKind.ACKNOWLEDGEMENT, ctx, profile)
    assert "Voorbeeld BV" in reply.text and "NHMB" not in reply.text


def test_a_parsed_profile_is_reused_until_the_file_changes(tmp_path: Path) -> None:
    # The web renders drafts with the profile on every page view: parsing it each time
    # cost ~3 ms. The same bytes give the same (frozen) profile; an edit is seen at once.
    path = write(tmp_path, GOOD)
    first = load_profile(path)
    assert load_profile(path) is first
    path.write_text(GOOD.replace('name = "NHMB software"', 'name = "Voorbeeld BV"'), encoding="utf-8")
    edited = load_profile(path)
    assert edited is not first and edited.controller.name == "Voorbeeld BV"


def test_an_incomplete_profile_fails_every_time_even_after_a_lenient_load(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('name = "Belastingdienst"', 'name = "[INVULLEN: naam]"'))
    load_profile(path, strict=False)
    for _ in range(2):
        with pytest.raises(ConfigurationError, match=r"\[INVULLEN"):
            load_profile(path)


def test_the_shared_profile_cannot_be_changed_by_a_caller() -> None:
    # One parsed profile serves every caller (web threads, the worker): none may change what
    # the others see, e.g. add a signature to it.
    profile = load_profile()
    with pytest.raises(TypeError):
        profile.staff["mallory"] = profile.staff["petra"]  # type: ignore[index]
    assert "mallory" not in load_profile().staff
    assert load_profile().model_dump()["staff"]["petra"]["name"] == "Petra Jansen"


def test_a_placeholder_in_a_staff_name_is_found(tmp_path: Path) -> None:
    text = default_profile_path().read_text(encoding="utf-8")
    text = text.replace('name = "Petra Jansen"', 'name = "[INVULLEN: naam]"')
    assert "staff.petra.name" in load_profile(write(tmp_path, text), strict=False).placeholders()
    with pytest.raises(ConfigurationError, match=r"staff\.petra\.name"):
        load_profile(write(tmp_path, text))
