"""Rendering of every reply kind: combinations, golden files, legal elements, safety."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup
from replies_samples import FIELDS, check_golden, golden_cases, sample_context

from avgdesk.models.errors import PermanentError
from avgdesk.replies import (
    DraftKind,
    RenderedReply,
    RenderError,
    ReplyContext,
    load_profile,
    render,
    required_fields,
    subject_for,
)
from avgdesk.replies.i18n import RIGHTS
from avgdesk.replies.rendering import _environment, _squash, _squash_text

EXPECTED = Path(__file__).parent / "expected"
PROFILE = load_profile()

ALL_RIGHT_SETS = [combo for n in range(1, len(RIGHTS) + 1) for combo in itertools.combinations(RIGHTS, n)]


def flat(text: str) -> str:
    """Whitespace-insensitive view of a rendering (the text part is wrapped at 72)."""
    return " ".join(text.split())


def html_text(html: str) -> str:
    return flat(re.sub(r"<[^>]+>", " ", html))


def render_nl(kind: DraftKind, **kwargs: object) -> RenderedReply:
    return render(kind, sample_context(kind, **kwargs), PROFILE)  # type: ignore[arg-type]


# --- every template, every combination of rights, both languages ---------------------


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("kind", list(DraftKind))
def test_every_kind_renders_for_every_combination_of_rights(kind: DraftKind, language: str) -> None:
    rendered = 0
    for rights in ALL_RIGHT_SETS:
        for is_complaint in (False, True):
            ctx = sample_context(kind, language, rights=rights, is_complaint=is_complaint)
            reply = render(kind, ctx, PROFILE)
            assert "[AVG-2026-0001]" in reply.subject
            assert reply.text.strip() and reply.html.strip()
            assert "AVG-2026-0001" in reply.text and "AVG-2026-0001" in reply.html
            assert f'<html lang="{language}">' in reply.html
            rendered += 1
    # a complaint without any right
    render(kind, sample_context(kind, language, rights=(), is_complaint=True), PROFILE)
    assert rendered == 2 * 63


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("kind", list(DraftKind))
def test_optional_variants_render(kind: DraftKind, language: str) -> None:
    """Optional fields switch paragraphs on; StrictUndefined would catch a bad branch."""
    extras = {
        DraftKind.ACKNOWLEDGEMENT: {"identity_check_to_follow": True, "customer_number": "K-1"},
        DraftKind.IDENTITY_REQUEST: {"id_copy_requested": True, "id_copy_reason": "x"},
        DraftKind.CLARIFICATION_REQUEST: {"questions": ["Welk product?"]},
        DraftKind.ACCESS: {"categories": ["naam"], "sources": ["van uzelf"]},
        DraftKind.RECTIFICATION: {},
        DraftKind.ERASURE: {"retained": [], "backup_note": "Back-ups binnen 30 dagen."},
        DraftKind.RESTRICTION: {"restriction_until": "tot 1 mei 2026"},
        DraftKind.PORTABILITY: {
            "export_format": "csv",
            "transmitted_to": "Voorbeeld BV",
            "out_of_scope": ["afgeleide gegevens"],
        },
        DraftKind.OBJECTION: {"suppression_list": True, "marketing_channels": []},
        DraftKind.EXTENSION: {"new_deadline": "2026-06-05"},
        DraftKind.REFUSAL: {"partial": True, "granted": "deels gedaan."},
        DraftKind.COMPLAINT: {"linked_request_note": "Uw inzageverzoek volgt apart."},
        DraftKind.OBJECTION_ANSWER: {"decision": "granted"},
        DraftKind.NO_DATA: {"searched": []},
        DraftKind.WITHHELD: {},
        DraftKind.ABANDONED: {"asked_for": "clarification"},
    }[kind]
    render(kind, sample_context(kind, language, extra=extras, requester_name=None), PROFILE)


@pytest.mark.parametrize(
    "ground", ["accuracy_contested", "unlawful_processing", "legal_claims", "objection_pending"]
)
def test_every_restriction_ground_renders(ground: str) -> None:
    for language in ("nl", "en"):
        ctx = sample_context(DraftKind.RESTRICTION, language, extra={"restriction_ground": ground})
        assert "18" in render(DraftKind.RESTRICTION, ctx, PROFILE).text


# --- golden files (reviewed Dutch renderings) -----------------------------------------


@pytest.mark.parametrize("name", sorted(golden_cases()))
@pytest.mark.parametrize("part", ["txt", "html"])
def test_dutch_rendering_matches_reviewed_expected_file(name: str, part: str) -> None:
    kind, ctx = golden_cases()[name]
    check_golden(EXPECTED / "nl" / f"{name}.{part}", render(kind, ctx, PROFILE), part)


def test_every_kind_has_a_golden_file() -> None:
    names = {p.stem for p in (EXPECTED / "nl").glob("*.txt")}
    assert {k.value for k in DraftKind} <= names
    assert set(golden_cases()) == names


# --- what the law requires, where it requires it --------------------------------------


def test_acknowledgement_states_receipt_deadline_and_rights() -> None:
    ctx = sample_context(DraftKind.ACKNOWLEDGEMENT, rights=RIGHTS, is_complaint=True)
    text = flat(render(DraftKind.ACKNOWLEDGEMENT, ctx, PROFILE).text)
    assert "ontvangen op 5 maart 2026" in text
    assert "uiterlijk 7 april 2026 een inhoudelijk antwoord" in text
    for word in (
        "inzage",
        "rectificatie",
        "wissen",
        "beperking",
        "overdraagbaarheid",
        "bezwaar",
        "klacht",
    ):
        assert word in text


def test_access_reply_contains_every_article_15_item_and_the_copy() -> None:
    # With nothing chosen the whole profile is shown (the rule in access_facts normally
    # chooses); the per-case choice is tested below.
    no_choice = {
        name: None for name in ("purpose_ids", "category_ids", "recipient_ids", "retention_ids", "source_ids")
    }
    for language in ("nl", "en"):
        reply = render(DraftKind.ACCESS, sample_context(DraftKind.ACCESS, language, extra=no_choice), PROFILE)
        for text in (flat(reply.text), html_text(reply.html)):
            assert "inzage-AVG-2026-0001.pdf" in text  # the copy (Art. 15(3))
            # (a) purposes, (b) categories, (c) recipients, (d) retention
            for purpose in PROFILE.purposes:
                assert flat(purpose.description.get(language)) in text
            for category in PROFILE.data_categories:
                assert flat(category.description.get(language)) in text
            for recipient in PROFILE.recipients:
                assert flat(recipient.category.get(language)) in text
            for rule in PROFILE.retention:
                assert flat(rule.period.get(language)) in text
                assert "zolang dat nodig is" not in flat(rule.period.get(language))  # WP260: concrete
            # (g) source
            for source in PROFILE.sources:
                assert flat(source.get(language)) in text
            if language == "nl":
                assert "kopie" in text
                assert "Waarvoor wij uw gegevens gebruiken" in text
                assert "Aan wie wij uw gegevens verstrekken" in text
                assert "buiten de Europese Economische Ruimte" in text
                assert "Hoe lang wij uw gegevens bewaren" in text
                # (e) rights to rectification, erasure, restriction, objection
                for word in ("rectificatie", "wissen", "beperking", "bezwaar"):
                    assert word + ":" in text
                # (f) complaint to the AP
                assert "klacht in te dienen bij de Autoriteit Persoonsgegevens" in text
                assert "Waar uw gegevens vandaan komen" in text
                # (h) automated decision-making
                assert "geautomatiseerde verwerking, zoals profilering (artikel 22 AVG)" in text
            else:
                assert "copy" in text
                assert "lodge a complaint with the Autoriteit Persoonsgegevens" in text
                assert "automated processing" in text
                for word in ("rectification", "erasure", "restriction", "objection"):
                    assert word + ":" in text


ART19_NL = "tenzij dat onmogelijk blijkt of onevenredig veel inspanning kost (artikel 19 AVG)"
ART19_ON_REQUEST_NL = "Wilt u weten wie deze ontvangers zijn?"


@pytest.mark.parametrize("kind", [DraftKind.RECTIFICATION, DraftKind.ERASURE, DraftKind.RESTRICTION])
def test_article_19_statement_in_rectification_erasure_restriction(kind: DraftKind) -> None:
    reply = render_nl(kind)
    for text in (flat(reply.text), html_text(reply.html)):
        assert ART19_NL in text
        assert ART19_ON_REQUEST_NL in text
    en = render(kind, sample_context(kind, "en"), PROFILE)
    assert "(Article 19 GDPR)" in flat(en.text)


@pytest.mark.parametrize(
    "kind",
    [k for k in DraftKind if k not in (DraftKind.RECTIFICATION, DraftKind.ERASURE, DraftKind.RESTRICTION)],
)
def test_article_19_statement_only_where_it_belongs(kind: DraftKind) -> None:
    assert "artikel 19 AVG" not in flat(render_nl(kind).text)


def assert_remedies(text: str, decision: bool = True) -> None:
    assert "klacht in te dienen bij de Autoriteit Persoonsgegevens" in text
    assert "Postbus 93374 2509 AJ Den Haag" in text or "Postbus 93374, 2509 AJ Den Haag" in text
    assert "https://autoriteitpersoonsgegevens.nl" in text
    if decision:
        # Issue 13 point 6: the court route named, with its term (art. 35 lid 2 UAVG), and
        # "beslissing" (a private controller takes no "besluit").
        assert "verzoekschrift aan de rechtbank, binnen zes weken" in text
        assert "artikel 35 lid 2 Uitvoeringswet AVG" in text and "ECLI:NL:HR:2023:1216" in text
        assert "onze beslissing" in text and "besluit" not in text
    else:
        assert "tot de rechter wenden" in text


@pytest.mark.parametrize("partial", [False, True])
def test_refusal_has_reasons_and_article_12_4_remedies(partial: bool) -> None:
    extra = {"partial": partial, "granted": "uw adres is gecorrigeerd."} if partial else {}
    reply = render_nl(DraftKind.REFUSAL, extra=extra)
    text = flat(reply.text)
    assert_remedies(text)
    assert_remedies(html_text(reply.html))
    assert flat(FIELDS[DraftKind.REFUSAL]["refusal_reasons"][0]) in text
    assert ("voor een deel uitgevoerd" in text) is partial
    en = flat(render(DraftKind.REFUSAL, sample_context(DraftKind.REFUSAL, "en", extra=extra), PROFILE).text)
    assert "lodge a complaint with the Autoriteit Persoonsgegevens" in en
    assert "district court (rechtbank) within six weeks" in en


def test_complaint_reply_has_findings_measures_and_remedies() -> None:
    text = flat(render_nl(DraftKind.COMPLAINT).text)
    assert_remedies(text, decision=False)
    for item in (
        *FIELDS[DraftKind.COMPLAINT]["findings"],
        *FIELDS[DraftKind.COMPLAINT]["measures"],
    ):
        assert flat(item) in text


def test_erasure_names_the_article_17_3_ground_and_remedies_when_keeping_data() -> None:
    text = flat(render_nl(DraftKind.ERASURE).text)
    assert "(artikel 17 lid 3, onder b, AVG)" in text
    assert "tot en met 31 december 2032" in text
    assert_remedies(text)
    kept_nothing = flat(render_nl(DraftKind.ERASURE, extra={"retained": []}).text)
    assert "artikel 17 lid 3" not in kept_nothing
    assert "tot de rechter" not in kept_nothing


def test_extension_notice_has_reasons_and_new_date() -> None:
    text = flat(render_nl(DraftKind.EXTENSION).text)
    assert "De reden is dat uw gegevens in verschillende systemen" in text
    assert "Het gaat om tien jaar aan tickets" in text
    assert "uiterlijk 5 juni 2026 een inhoudelijk antwoord" in text
    assert "artikel 12 lid 3 AVG" in text
    en = flat(render(DraftKind.EXTENSION, sample_context(DraftKind.EXTENSION, "en"), PROFILE).text)
    assert "by 5 June 2026 at the latest" in en


def test_extension_must_move_the_deadline_forward() -> None:
    with pytest.raises(RenderError, match="new_deadline"):
        render_nl(DraftKind.EXTENSION, extra={"new_deadline": date(2026, 4, 7)})


def test_objection_to_direct_marketing_is_unconditional() -> None:
    text = flat(render_nl(DraftKind.OBJECTION).text)
    assert "niet meer voor direct marketing" in text
    assert "geen voorwaarden" in text
    assert "artikel 21 lid 2 en 3 AVG" in text


def test_portability_mentions_the_attached_export_and_its_format() -> None:
    text = flat(render_nl(DraftKind.PORTABILITY).text)
    assert "gegevens-AVG-2026-0001.json" in text and "JSON" in text
    csv = flat(render_nl(DraftKind.PORTABILITY, extra={"export_format": "csv"}).text)
    assert "CSV" in csv
    partial = flat(render_nl(DraftKind.PORTABILITY, extra={"out_of_scope": ["x, want y"]}).text)
    assert_remedies(partial)


def test_identity_request_is_proportionate_by_default() -> None:
    text = flat(render_nl(DraftKind.IDENTITY_REQUEST).text)
    assert "e-mailadres dat bij ons bekend is" in text
    assert "klantnummer of contractnummer" in text
    assert "géén kopie van uw identiteitsbewijs" in text
    assert "KopieID" not in text


def test_identity_request_with_id_copy_when_staff_chose_it() -> None:
    extra = {"id_copy_requested": True, "id_copy_reason": "uw e-mailadres onbekend is"}
    text = flat(render_nl(DraftKind.IDENTITY_REQUEST, extra=extra).text)
    assert "omdat uw e-mailadres onbekend is" in text
    assert "burgerservicenummer (BSN)" in text and "pasfoto" in text
    assert "KopieID" in text
    assert "verwijderen wij de kopie uit ons systeem en uit onze mailbox" in text  # what identity.py does
    with pytest.raises(RenderError, match="id_copy_reason"):
        render_nl(DraftKind.IDENTITY_REQUEST, extra={"id_copy_requested": True})


def test_clarification_request_asks_which_processing() -> None:
    text = flat(render_nl(DraftKind.CLARIFICATION_REQUEST).text)
    assert "Om welke gegevens" in text
    assert "niet te motiveren" in text


def test_dates_are_dutch_without_locale() -> None:
    from avgdesk.replies.i18n import format_date

    assert format_date(date(2026, 3, 5), "nl") == "5 maart 2026"
    assert format_date(date(2026, 12, 31), "nl") == "31 december 2026"
    assert format_date(date(2026, 3, 5), "en") == "5 March 2026"


def test_text_part_is_wrapped_and_keeps_dates_together() -> None:
    for kind in DraftKind:
        text = render_nl(kind).text
        assert all(len(line) <= 72 or " " not in line.strip() for line in text.splitlines())
        assert not re.search(r"\b\d{1,2}\n\w+ 20\d\d", text)


# --- safety: escaping, headers --------------------------------------------------------

HOSTILE = '<script>alert("x")</script> & "Jan" <b>'


@pytest.mark.parametrize("kind", list(DraftKind))
def test_case_data_are_escaped_in_html(kind: DraftKind) -> None:
    ctx = sample_context(
        kind, requester_name=HOSTILE, extra={"customer_number": "<img src=x onerror=alert(1)>"}
    )
    reply = render(kind, ctx, PROFILE)
    assert "<script>" not in reply.html
    assert "<img" not in reply.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Jan&#34; &lt;b&gt;" in reply.html
    assert HOSTILE in reply.text  # the text part is plain text: shown as written


def test_hostile_free_text_fields_are_escaped() -> None:
    reply = render_nl(
        DraftKind.COMPLAINT,
        extra={
            "complaint_summary": "</p><script>x</script>",
            "findings": ["<a href='evil'>klik</a>"],
        },
    )
    assert "<script>" not in reply.html and "<a href='evil'>" not in reply.html
    assert "&lt;/p&gt;&lt;script&gt;" in reply.html


@pytest.mark.parametrize("kind", list(DraftKind))
@pytest.mark.parametrize(
    "reference",
    ["AVG-2026-0001\r\nBcc: evil@example.com", "AVG\n2026", "AVG\r0001\x00\x0b\u2028\u0085x"],
)
def test_subject_never_contains_cr_or_lf(kind: DraftKind, reference: str) -> None:
    ctx = replace(sample_context(kind), reference=reference)
    for subject in (subject_for(kind, ctx), render(kind, ctx, PROFILE).subject):
        assert "\r" not in subject and "\n" not in subject
        assert not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", subject)
        assert subject.startswith("[AVG")


def test_subject_always_carries_the_reference() -> None:
    for kind in DraftKind:
        for language in ("nl", "en"):
            assert subject_for(kind, sample_context(kind, language)).startswith("[AVG-2026-0001] ")
    complaint_only = sample_context(DraftKind.ACKNOWLEDGEMENT, rights=(), is_complaint=True)
    assert subject_for(DraftKind.ACKNOWLEDGEMENT, complaint_only).endswith("van uw klacht")


# --- errors ---------------------------------------------------------------------------


def test_render_error_is_permanent() -> None:
    assert issubclass(RenderError, PermanentError)


@pytest.mark.parametrize("kind", list(DraftKind))
def test_missing_required_fields_are_listed(kind: DraftKind) -> None:
    required = required_fields(kind)
    if not required:
        return
    ctx = replace(sample_context(kind), fields={})
    with pytest.raises(RenderError) as info:
        render(kind, ctx, PROFILE)
    for name in required:
        assert name in str(info.value)


def test_required_fields_table() -> None:
    assert required_fields(DraftKind.ACKNOWLEDGEMENT) == frozenset()
    assert required_fields(DraftKind.EXTENSION) == {"extension_ground", "extension_reason", "new_deadline"}
    assert required_fields(DraftKind.REFUSAL) == {"partial", "refusal_reasons"}
    assert required_fields(DraftKind.ERASURE) == {"erased_items"}
    # Issue 17: the attachment name defaults to the package's name (inzage-<ref>.zip).
    assert required_fields("portability") == {"export_format"}
    assert required_fields(DraftKind.ACCESS) == frozenset()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "fr"}, "language"),  # issue 15: "de" has letters now
        ({"rights": ("access", "vragen")}, "unknown right"),
        ({"staff_name": " "}, "staff_name"),
        ({"reference": "\r\n"}, "reference"),
        ({"respond_by": date(2026, 3, 1)}, "respond_by"),
        ({"fields": {"attachment_nmae": "x"}}, "unknown field"),
        ({"fields": {"attachment_name": ""}}, "attachment_name"),
    ],
)
def test_invalid_context_raises_render_error(change: dict[str, object], message: str) -> None:
    ctx = replace(sample_context(DraftKind.ACCESS), **change)  # type: ignore[arg-type]
    with pytest.raises(RenderError, match=message):
        render(DraftKind.ACCESS, ctx, PROFILE)


def test_invalid_field_values() -> None:
    with pytest.raises(RenderError, match="export_format"):
        render_nl(DraftKind.PORTABILITY, extra={"export_format": "pdf"})
    with pytest.raises(RenderError, match=r"Art\. 17"):
        render_nl(
            DraftKind.ERASURE,
            extra={"retained": [{"item": "x", "ground": "because", "period": "1 jaar"}]},
        )
    with pytest.raises(RenderError, match="partial"):
        render_nl(DraftKind.REFUSAL, extra={"partial": "yes"})
    with pytest.raises(RenderError, match="granted"):
        render_nl(DraftKind.REFUSAL, extra={"partial": True})
    with pytest.raises(RenderError, match="unknown reply kind"):
        render("reminder", sample_context(DraftKind.ACCESS), PROFILE)


def test_acknowledgement_needs_a_right_or_a_complaint() -> None:
    ctx = sample_context(DraftKind.ACKNOWLEDGEMENT, rights=(), is_complaint=False)
    with pytest.raises(RenderError, match="no right"):
        render(DraftKind.ACKNOWLEDGEMENT, ctx, PROFILE)


def test_context_is_a_frozen_value() -> None:
    ctx = ReplyContext("R", "nl", None, (), True, date(2026, 1, 1), date(2026, 2, 2), "P")
    with pytest.raises(AttributeError):
        ctx.reference = "X"  # type: ignore[misc]
    assert render(DraftKind.ACKNOWLEDGEMENT, ctx, PROFILE).text.startswith("Geachte heer, mevrouw,")


# --- issue 13 point 7: the new letter kinds ---------------------------------------------------
def test_objection_refused_after_balancing_gives_grounds_and_remedies() -> None:
    text = flat(render_nl(DraftKind.OBJECTION_ANSWER).text)
    assert "artikel 21 lid 1 AVG" in text and "dwingende gerechtvaardigde redenen" in text
    assert "lopend geschil over uw licentie" in text
    assert_remedies(text)
    granted = flat(render_nl(DraftKind.OBJECTION_ANSWER, extra={"decision": "granted"}).text)
    assert "gestopt" in granted and "rechtbank" not in granted
    with pytest.raises(RenderError, match="compelling_grounds"):
        render_nl(DraftKind.OBJECTION_ANSWER, extra={"compelling_grounds": None})


def test_no_data_letter_says_so_and_names_remedies() -> None:
    text = flat(render_nl(DraftKind.NO_DATA).text)
    assert "verwerkt dus geen persoonsgegevens over u" in text and "ons ticketsysteem" in text
    assert_remedies(text)


def test_withheld_notice_names_article_15_4_and_remedies() -> None:
    text = flat(render_nl(DraftKind.WITHHELD).text)
    assert "artikel 15 lid 4 AVG" in text and "medewerkers van uw werkgever" in text
    assert_remedies(text)


def test_abandoned_case_letter_explains_and_names_remedies() -> None:
    text = flat(render_nl(DraftKind.ABANDONED).text)
    assert "6 maart 2026" in text and "geen antwoord ontvangen" in text
    assert_remedies(text)


# --- issue 13 point 8: this person's facts -------------------------------------------------------
def test_access_answer_shows_only_the_chosen_facts_and_names_recipients() -> None:
    text = flat(render_nl(DraftKind.ACCESS).text)
    assert "Voorbeeld Hosting B.V." in text and "Belastingdienst" not in text  # recipients by name
    assert "Van de wederverkoper" in text and "Meestal" not in text  # this person's source
    assert "facturatie" not in text  # a purpose not chosen for this person
    with pytest.raises(RenderError, match="unknown id"):
        render_nl(DraftKind.ACCESS, extra={"recipient_ids": ["hostng"]})


def test_the_rule_proposes_the_reseller_source_from_the_request() -> None:
    from avgdesk.replies.access_facts import default_access_fields

    demo_0007 = "I was a customer of one of your resellers and keep receiving messages"
    assert default_access_fields(PROFILE, text=demo_0007)["source_ids"] == ["self", "reseller"]
    assert default_access_fields(PROFILE, text="Graag inzage")["source_ids"] == ["self"]


def test_access_without_attachment_name_names_the_package() -> None:
    """Issue 17: a new access draft no longer opens with 'missing required field(s)'."""
    ctx = replace(sample_context(DraftKind.ACCESS), fields={})
    text = render(DraftKind.ACCESS, ctx, PROFILE).text
    assert "(inzage-AVG-2026-0001.zip)" in text


# --- rendering caches (issue 16) ----------------------------------------------------------


def test_templates_are_loaded_once_per_environment() -> None:
    """Without going through Jinja2's LRU cache again (before: emptying it reloaded them)."""
    env = _environment("txt")
    letter = env.get_template("nl/acknowledgement.j2")
    frame = env.get_template("nl/_letter.j2", "nl/acknowledgement.j2")  # as {% extends %} asks
    assert env.cache is not None
    env.cache.clear()
    assert env.get_template("nl/acknowledgement.j2") is letter
    assert env.get_template("nl/_letter.j2") is frame
    assert env.get_template("nl/_letter.j2", "nl/identity_request.j2") is frame


def test_squash_reuses_plain_lines_and_keeps_markup_markup() -> None:
    """Signature lines repeat in every letter: squashed once (before: a regex per line)."""
    line = "  Het privacyteam\n van  NHMB  "
    first = _squash(line)
    hits = _squash_text.cache_info().hits
    assert _squash(line) == first == "Het privacyteam van NHMB"
    assert _squash_text.cache_info().hits == hits + 1
    html = _squash(Markup("<b>a</b>\n  &amp; b"))
    assert isinstance(html, Markup) and html == Markup("<b>a</b> &amp; b")
