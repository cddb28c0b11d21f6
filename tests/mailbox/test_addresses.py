from __future__ import annotations

import random

import pytest

from avgdesk.mailbox.addresses import (
    _scanned_marks,
    _scanned_split,
    _top_level_marks,
    parse_address_header,
    split_address_list,
)
from avgdesk.models.addresses import (
    InvalidAddress,
    display_name_for_letter,
    valid_address_or_none,
    validate_address,
)
from avgdesk.models.errors import PermanentError


@pytest.mark.parametrize(
    "addr",
    [
        "jan@example.nl",
        "Jan.de.Vries@Example.NL",
        "o'brien+avg@mail.example.co.uk",
        "prvs=126700a846=ndr@some-domain.example.com",
        "x@xn--mller-kva.example",
    ],
)
def test_ordinary_addresses_are_valid_and_lower_cased(addr: str) -> None:
    assert validate_address(addr) == addr.lower()


@pytest.mark.parametrize(
    ("addr", "why"),
    [
        ("a:b@example.nl", "route"),
        ("@relay.example:anna@example.nl", "route"),
        ("a%b@relay.example.nl", "percent route"),
        ("a!b@example.nl", "bang path"),
        ("x@[192.0.2.1]", "IP literal"),
        ("x@192.0.2.1", "numeric TLD"),
        ("root@localhost", "no dot"),
        ("x@host.invalid", "not routable"),
        ("x@printer.local", "mDNS"),
        ('"a b"@example.nl', "quoted local part"),
        ('"a@b"@example.nl', "quoted local part with @"),
        ("zoë@example.nl", "non-ASCII"),
        ("a..b@example.nl", "empty atom"),
        (".a@example.nl", "leading dot"),
        ("a.@example.nl", "trailing dot"),
        ("a@-example.nl", "label starts with hyphen"),
        ("a@example-.nl", "label ends with hyphen"),
        ("a@exa_mple.nl", "underscore in domain"),
        ("a@@example.nl", "two @"),
        ("a b@example.nl", "space"),
        ("a@example.nl\r\nBcc: x@evil.example", "CRLF"),
        ("l" * 65 + "@example.nl", "local part > 64"),
        ("a@" + "d" * 64 + ".nl", "label > 63"),
        ("a@" + ("d" * 60 + ".") * 5 + "nl", "address > 254"),
        ("", "empty"),
        ("example.nl", "no @"),
    ],
)
def test_strict_validator_refuses(addr: str, why: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        validate_address(addr)
    assert info.value.reason, why
    assert isinstance(info.value, PermanentError)
    assert valid_address_or_none(addr) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jan de Vries", "Jan de Vries"),
        ("  Zoë   Bakker ", "Zoë Bakker"),
        ("Müller, Hans", "Hans Müller"),
        ("Seán O'Brien-Smith", "Seán O'Brien-Smith"),
        ("J.P. Balkenende", "J.P. Balkenende"),
        ("Uw account is geblokkeerd, log in op https://evil.example", None),
        ("Uw account is geblokkeerd log in op evil", None),
        ("anna@example.nl", None),
        ("Klant 1", None),
        ("www.evil.example", None),
        ("Klik hier", None),
        ("A" * 61, None),
        ("a b c d e f g", None),
        ("X", None),
        ("-- ", None),
        ("", None),
        (None, None),
    ],
)
def test_display_name_for_letter(name: str | None, expected: str | None) -> None:
    assert display_name_for_letter(name) == expected


def test_split_respects_quotes_comments_and_angles() -> None:
    value = '"Müller, Hans" <h@example.nl>, (Jan, de) jan@example.nl, <"a,b"@x.nl>, c@d.nl'
    assert split_address_list(value) == [
        '"Müller, Hans" <h@example.nl>',
        "(Jan, de) jan@example.nl",
        '<"a,b"@x.nl>',
        "c@d.nl",
    ]


def test_groups_are_read_in_to_but_refused_in_from() -> None:
    to = parse_address_header("Friends: a@example.nl, b@example.nl;, c@example.nl", groups=True)
    assert [a.address for a in to] == ["a@example.nl", "b@example.nl", "c@example.nl"]
    assert all(a.valid for a in to)
    (sender,) = parse_address_header("a:b@example.nl")
    assert sender.address == "a:b@example.nl" and not sender.valid
    assert sender.problem == "group or route syntax"


def test_encoded_display_name_is_decoded_after_the_split() -> None:
    (a,) = parse_address_header("=?utf-8?q?anna=40example.nl=2C_evil?= <attacker@evil.example>")
    assert (a.address, a.display_name, a.valid) == ("attacker@evil.example", "anna@example.nl, evil", True)
    (b,) = parse_address_header('"=?utf-8?q?Zo=C3=AB?= Bakker" <zoe@example.nl>')
    assert b.display_name == "Zoë Bakker"
    (c,) = parse_address_header("zoe@example.nl (Zoë Bakker)")
    assert (c.address, c.display_name) == ("zoe@example.nl", "Zoë Bakker")


def test_empty_and_domainless_addresses() -> None:
    (null,) = parse_address_header('"Jetmail System" <>')
    assert null.address is None and null.problem == "empty address"
    (bare,) = parse_address_header("Moderator-Address <moderator>")
    assert bare.address is None and bare.problem == "no domain"


def test_address_count_and_length_are_bounded() -> None:
    defects: list[str] = []
    many = ", ".join(f"a{i}@example.nl" for i in range(300))
    assert len(parse_address_header(many, max_addresses=100, defects=defects, name="cc")) == 100
    assert any("more than 100" in d for d in defects)
    assert parse_address_header("=?utf-8?q?a?= " * 100 + "<a@example.nl>", defects=defects) == []
    assert any("longer than" in d for d in defects)


def _random_headers(count: int) -> list[str]:
    rng = random.Random(16)
    alphabet = ["<", ">", ":", ",", ";", " ", "a", "b@c.nl", "\\", '"', "(", ")", "=?utf-8?q?x?="]
    found = ["", " ", "a@b.nl", "Jan <jan@b.nl>", "Friends: a@b.nl;", "<@route:a@b.nl>", "a:b@c.nl"]
    found += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(count)]
    return found


def test_top_level_marks_shortcut_agrees_with_the_full_scan() -> None:
    """Without quotes or comments the marks are found with str.find; the scan is the rule."""
    for piece in _random_headers(20_000):
        assert _top_level_marks(piece) == _scanned_marks(piece), repr(piece)


def test_split_without_a_comma_agrees_with_the_full_scan() -> None:
    for value in _random_headers(5_000):
        if "," not in value:
            assert split_address_list(value) == _scanned_split(value), repr(value)
