"""From per-label probabilities to labels, a review flag and a runner-up.

Why these rules: the labels follow DESIGN.md (question, other and auto stand alone, any
right or complaint beats question/other, machine mail never carries a right), and the
costs are uneven: a missed request costs a legal deadline, a needless review a minute.
`needs_review` is raised when nothing is confident, when any label lies within the
review margin (in logits) of its threshold, or when a right/complaint was nearly (but
not) predicted. The margin is learned in training: the smallest one that flags the
target share of the out-of-fold mistakes (model.train), so doubt is calibrated, not guessed.
The runner-up is the best label that was not chosen, shown to staff when it is close.
"""

from __future__ import annotations

import math
import re
import string

import numpy as np
import numpy.typing as npt

from avgdesk.classifiers.labels import COMBINING, LABELS, STANDALONE
from avgdesk.classifiers.text import hands_over

FloatArray = npt.NDArray[np.float64]

REVIEW_MARGIN = 0.6  # logits; the default when a model carries no learned margin
NEAR_MISS = 0.5  # a right/complaint above NEAR_MISS x threshold is flagged for review
SURE_COMPLAINT = 0.95  # a complaint this likely needs no asking words, only words about data
# logits: "other" must beat the best right by this much to win. 1.0 was tried (2026-12-01): no
# request lost on the check sets, but an attack review lost requests added below support text
# ("... the app crashes at login. My date of birth in the profile is wrong too").
OTHER_MARGIN = 2.5
QUESTION_MARGIN = 1.0  # logits: question must beat the best right by this much to win
RUNNER_UP_LOGITS = 2.5  # a label not chosen but this close to its threshold is shown as runner-up
_IDX = {label: j for j, label in enumerate(LABELS)}

# Words a machine reply carries; without one, "auto" has no evidence in the text.
_AUTO_EVIDENCE = re.compile(
    r"automati|auto[- ]?(reply|antwoord|antwort)|autoreply|out of (the )?office|afwezig|abwesen|"
    r"vakantie|vacation|holiday|urlaub|niet (op kantoor|aanwezig)|nicht im buro|deliver|bezorg|"
    r"afgeleverd|zugestellt|zustellbar|mailer|postmaster|returned mail|mail system|permanent|"
    r"ticket|gelezen|\bread\b|receipt|bevestiging|do not reply|no-?reply|niet (be)?antwoorden|"
    r"ontvangen|received|eingegangen|bestatigung|mailbox|quota|recipient|geadresseerde|empfanger|"
    # Outlook's Dutch delivery report ("Onbestelbaar: ... Het afleveren is mislukt voor deze
    # ontvangers") and German read receipt ("Gelesen: ... wurde ... gelesen") had none of the above.
    r"onbestelbaar|afleveren|ontvangers|gelesen|lesebestatigung|user unknown"
)
_DELIVERY_REPORT = re.compile(
    r"deliver|mailer|postmaster|returned mail|mail system|onbestelbaar|afleveren|afgeleverd|zustellbar|"
    r"zugestellt|user unknown"
)
# The writer speaks of themselves (prepared text: lower case, no diacritics). Machine mail
# rarely does, and when an absence notice does ("ich bin bis ..."), no right is likely.
_FIRST_PERSON = re.compile(r"\b(ich|mein\w*|mir|mich|ik|mijn|mij|i|my|me)\b")
# A personal salutation that opens the new text ("Beste NHMB", "Dear team", "Sehr geehrte ...").
_SALUTATION = re.compile(
    r"^\s*(beste|geachte|hallo|hoi|hey|hi|dear|hello|goedemorgen|goedemiddag|goedenavond|goedendag|"
    r"sehr geehrte|liebe|guten tag|servus|l\.s\.)\b"
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def margins(p: FloatArray, thresholds: FloatArray) -> list[float]:
    """How far (in logits) each probability lies above its threshold."""
    return [_logit(float(p[j])) - _logit(float(thresholds[j])) for j in range(len(LABELS))]


def _resolve_conflicts(p: FloatArray, m: list[float], above: list[str]) -> tuple[list[str], set[str]]:
    """The rights/complaint that survive machine mail, near-certain "other" and questions,
    and the reasons for doubt met on the way."""
    combining = [label for label in above if label in COMBINING]
    reasons: set[str] = set()
    if "auto" in above and combining:
        # Machine mail never carries a right; the larger margin over its threshold wins
        # (a ratio saturates, so a near-certain auto lost to a right barely over a low threshold).
        reasons.add("auto_conflict")
        if m[_IDX["auto"]] >= max(m[_IDX[label]] for label in combining):
            combining = []
    for rival, needed in (("other", OTHER_MARGIN), ("question", QUESTION_MARGIN)):
        # Support mail that sounds cross, or a question that names a right, is not a request
        # when its own model is clearly more confident; trust it but ask a person. When both
        # pass their thresholds the message is ambiguous either way: a person looks.
        if combining and rival in above:
            reasons.add("rival")
            best = max(_logit(float(p[_IDX[label]])) for label in combining)
            if _logit(float(p[_IDX[rival]])) >= best + needed:
                combining = []
    return combining, reasons


def _fallback(ratio: dict[str, float]) -> str:
    """The guess when no label passes its threshold (always reviewed).

    A right or complaint only when it is at least half-way to its threshold: mail unlike
    anything in the corpus (a test message, a broken MIME part) scores low everywhere and
    is "other" or a question, not the right that happens to be least unlikely.
    """
    best_right: str = max(COMBINING, key=lambda label: ratio[label])
    if ratio[best_right] >= NEAR_MISS:
        return best_right
    best: str = max(STANDALONE, key=lambda label: ratio[label])
    return best


def _with_extras(
    p: FloatArray, combining: list[str], secondary: FloatArray, extra: FloatArray, thresholds: FloatArray
) -> list[str]:
    """The primary right/complaint plus every further one whose conditional probability passes.

    `extra` holds P(label | another right or complaint is present): a second right is judged
    by a model trained on letters that already carry one, where one clear clause counts.
    """
    primary = max(combining, key=lambda label: float(p[_IDX[label]]))
    return [
        label
        for label in COMBINING
        if label == primary
        or (
            extra[_IDX[label]] >= secondary[_IDX[label]]
            and p[_IDX[label]] >= NEAR_MISS * thresholds[_IDX[label]]
        )
    ]


REASONS = (
    "auto_conflict",
    "rival",
    "further_half",
    "dropped_clear",
    "two_standalone",
    "fallback",
    "near_right",
)
HARD_REASONS = frozenset(["fallback"])  # always reviewed; the others are evidence for the doubt model


def decide_reasons(
    p: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray | None = None,
    extra: FloatArray | None = None,
    m: list[float] | None = None,
) -> tuple[list[str], set[str], float]:
    """(labels, the REASONS for doubt that apply, smallest |margin| of any label in logits).

    The first (most probable) right or complaint only has to pass its recall-leaning
    threshold; any further one must pass its secondary threshold on `extra` (default: p),
    so that recall of "is this a request" stays high without sprinkling extra rights
    over every request. `m` are the margins when the caller has them (a whole batch at once).
    """
    m = margins(p, thresholds) if m is None else m
    above = [label for label in LABELS if m[_IDX[label]] >= 0]
    combining, reasons = _resolve_conflicts(p, m, above)
    if combining and secondary is not None:
        cond = p if extra is None else extra
        combining = _with_extras(p, combining, secondary, cond, thresholds)
        # A further right that was half-way likely is the error staff would otherwise never see.
        if any(cond[_IDX[lb]] >= NEAR_MISS * secondary[_IDX[lb]] for lb in COMBINING if lb not in combining):
            reasons.add("further_half")
    ratio = {label: p[_IDX[label]] / max(thresholds[_IDX[label]], 1e-6) for label in LABELS}
    standalone = [label for label in above if label in STANDALONE]
    if combining:
        labels = combining
        # A right that passed its own threshold but not the test for a further right.
        if any(
            lb in above and lb not in labels and p[_IDX[lb]] >= 2 * thresholds[_IDX[lb]] for lb in COMBINING
        ):
            reasons.add("dropped_clear")
    elif standalone:
        labels = [max(standalone, key=lambda label: float(p[_IDX[label]]))]
        if len(standalone) > 1:  # a question that is also "other": a person decides
            reasons.add("two_standalone")
    else:
        labels = [_fallback(ratio)]
        reasons.add("fallback")
    no_request = not any(label in COMBINING for label in labels)
    if no_request and labels != ["auto"] and any(ratio[lb] >= NEAR_MISS for lb in COMBINING):
        reasons.add("near_right")
    # Doubt is measured where it changes the outcome: the rights and complaint, and the chosen label.
    relevant = [abs(m[_IDX[lb]]) for lb in LABELS if lb in COMBINING or lb in labels]
    return [label for label in LABELS if label in labels], reasons, min(relevant)


def decide_parts(
    p: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray | None = None,
    extra: FloatArray | None = None,
    m: list[float] | None = None,
) -> tuple[list[str], bool, float]:
    """(labels, review demanded by the rules, smallest |margin| of any label in logits): see
    decide_reasons. Only a HARD_REASONS reason demands review here; the others are evidence
    for the doubt model (doubt.doubt_matrix), which flags within the staff budget. Forced,
    they took 18 % of the (out-of-fold) mail while only a quarter of it was wrong."""
    labels, reasons, closest = decide_reasons(p, thresholds, secondary, extra, m)
    return labels, not HARD_REASONS.isdisjoint(reasons), closest


def decide(
    p: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray | None = None,
    review_margin: float = REVIEW_MARGIN,
    extra: FloatArray | None = None,
) -> tuple[list[str], bool]:
    """Labels and the review flag without a doubt model: any of the rules' reasons, or any label
    within review_margin of its threshold."""
    labels, reasons, closest = decide_reasons(p, thresholds, secondary, extra)
    return labels, bool(reasons) or closest < review_margin


def runner_up(
    p: FloatArray, thresholds: FloatArray, labels: list[str], m: list[float] | None = None
) -> tuple[str, float] | None:
    """The best label not chosen, with its probability, when it is within RUNNER_UP_LOGITS."""
    m = margins(p, thresholds) if m is None else m
    rest = [label for label in LABELS if label not in labels]
    best = max(rest, key=lambda label: m[_IDX[label]])
    if m[_IDX[best]] < -RUNNER_UP_LOGITS:
        return None
    return best, round(float(p[_IDX[best]]), 4)


# Words of the privacy desk's own matter (prepared text: lower case, no diacritics). A right
# guessed when no label passed its threshold needs one of them: without, the mail is unlike
# the corpus altogether (a parser's test message, a scam) and "other" is the honest guess.
_PRIVACY_WORDS = re.compile(
    r"gegeven|\bdata|daten|privacy|datenschutz|\bavg\b|gdpr|dsgvo|\bwbp\b|bdsg|persoon|personal|"
    r"personenbez|verwijder|\bwis|delet|erase|losch|inzage|access|auskunft|kopie|\bcopy|afmeld|"
    r"unsubscri|abmeld|bezwaar|object|widersp|klacht|complain|beschwer|account|konto|correct|"
    r"verbeter|berichtig|export|marketing|reclame|werbung|newsletter|nieuwsbrief|toestemming|consent|"
    r"einwillig|verwerk|processing|verarbeit|"
    # Consent and tracking said in other forms ("eingewilligt habe ich nie", "Zählpixel", "nie meine
    # Zustimmung gegeben": two sure complaints of check sets 20 and 22 were vetoed without them).
    r"eingewilligt|zustimm|zugestimmt|tracking|pixel|cookie"
)


def guessed_right_without_evidence(
    text: str, p: FloatArray, thresholds: FloatArray, labels: list[str], replied: bool = False
) -> bool:
    """A right or complaint without evidence in the writer's own words: the writer's text
    (above any forwarded message) neither asks for something nor names a right (request_cue),
    a reply (``replied``: quoted mail below) only thanks or acknowledges (closing_reply), or the
    right was chosen only as the fallback (nothing passed) in mail that never speaks of data,
    privacy or a right. The caller makes it "other", reviewed."""
    if not any(label in COMBINING for label in labels):
        return False
    sure = "complaint" in labels and p[_IDX["complaint"]] >= SURE_COMPLAINT
    if replied and not sure and closing_reply(text):
        return True
    if not request_cue(text):
        # A greeting above a forwarded notification, a photo caption (issue 11); but a complaint
        # asks for nothing by nature, so one the model is sure of stands where the writer's own
        # words speak of data or privacy (check set 11: "Ich halte das für einen sehr nachlässigen
        # Umgang mit personenbezogenen Daten" scored 1.00 and was vetoed).
        return not (sure and _PRIVACY_WORDS.search(own_text(text)) is not None)
    if any(p[j] >= thresholds[j] for j in range(len(LABELS))):
        return False
    return _PRIVACY_WORDS.search(text) is None


SIGNED_SURE_RIGHT = 0.75  # a right this likely, in a letter in the first person or signed, is not vetoed


def signed_letter_sure_of_right(text: str, p: FloatArray, labels: list[str], replied: bool = False) -> bool:
    """A right the model is sure of (SIGNED_SURE_RIGHT) in a letter whose own words speak in the
    first person or greet or sign, though request_cue found no asking words: dialect and plain
    words ask in ways no cue list holds ("Doot mich ut plezeer en haol mien naam oet uch
    systeem", "Niet weggooien. Niet gebruiken. Laat mijn gegevens liggen", "Hush now. No more
    letters ... With kind regards"). Kept, reviewed, instead of made "other": a missed request
    costs a statutory deadline, a false one a staff member's glance. A forwarded notice is read
    only above its From: line, where a colleague's "fyi" has neither."""
    if replied and closing_reply(text):
        return False
    if not any(label in COMBINING and p[_IDX[label]] >= SIGNED_SURE_RIGHT for label in labels):
        return False
    if request_cue(text):
        return False  # vetoed for another reason (a fallback right in mail that never speaks of data)
    own = own_text(text)
    words = " " + _SEPARATORS.sub(" ", own) + " "
    return _FIRST_PERSON.search(own) is not None or any(mark in words for mark in _LETTER_MARKS)


# "Bitte NICHT löschen, nur die E-Mail-Adresse ändern", "verder niks weggooien", "do not delete
# my account": erasure named to be refused (prepared text: lower case, no diacritics). A negator
# right before the verb (or with one small word between), not one said of the past or of what
# we could not do ("you did not delete", "sie konnten nicht löschen": a reminder's complaint).
_REFUSED_ERASURE = re.compile(
    r"(?<!did )(?<!could )(?<!can )(?<!konnten )(?<!konnen )(?<!kunnen )(?<!kon )"
    r"\b(niet|niks|nix|geen|nicht|nichts|keine?|not|don'?t|never|no)\s+"
    r"(?:(?:laten|te|zu|my|mijn|mein|meine|meinen|the|het|das|den|die|account|konto)\s+)?"
    r"(verwijderen|weggooien|weg\s+te\s+gooien|loschen|loschung|entfernen|delete|deletion|erase|erasure|"
    r"remove|wipe)\b"
)


def _further_right(label: str, p: FloatArray, labels: list[str]) -> bool:
    """label was chosen beside a more likely right or complaint (a further right, not the main one)."""
    rights = [chosen for chosen in labels if chosen in COMBINING]
    if label not in rights or len(rights) < 2:
        return False
    return max(rights, key=lambda chosen: float(p[_IDX[chosen]])) != label


def refused_further_erasure(text: str, p: FloatArray, labels: list[str]) -> list[str]:
    """The labels without erasure when erasure was only a further right (not the most likely
    one) and the writer's own words refuse it ("Bitte NICHT löschen! Ich möchte nur, dass meine
    E-Mail-Adresse geändert wird"). Blind check sets 47-52 held five such letters, all given
    erasure beside the right asked; 7 of the corpus's 4,807 erasure letters hold the phrase."""
    if not _further_right("erasure", p, labels) or _REFUSED_ERASURE.search(own_text(text)) is None:
        return labels
    return [label for label in labels if label != "erasure"]


# Words that ask to see, receive or learn about one's data (nl, en, de; the text is normalised:
# lower case, no diacritics). Deliberately broad: the rule below only drops access when none
# of them is anywhere in the text.
_ACCESS_ASK = re.compile(
    r"inzage|inzien|kopie|afschrift|overzicht|welke (persoons)?gegevens|waar\b.{0,40}vandaan|herkomst|"
    r"\bbron\b|\bzien\b|laten weten|opvragen|(wil|willen) .{0,40}(weten|zien)|toesturen|"
    r"stuur .{0,30}\b(me|mij)\b|(ontvang|krijg)\w* .{0,20}\balle\b|"
    r"wat .{0,60}(heeft|hebben|bewaart|bewaren|verwerkt|verwerken|weet|weten|opgeslagen|staat|staan|"
    r"genoteerd|geregistreerd|bekend)|"
    r"access|\bcopy|overview|which .{0,30}(data|information|details)|"
    r"what .{0,40}(hold|have|store|keep|know|process)|where .{0,40}(got|get|obtain|came)|source|"
    r"show me|send me|\bsee\b|\bknow\b|disclos|\bsar\b|"
    r"auskunft|abschrift|ubersicht|welche .{0,30}(daten|informationen)|woher|quelle|einsicht|zusenden|"
    r"zuschicken|schicken sie|mitteil|wissen|(?<!alles, )(?<!alles )\bwas\b .{0,50}"
    r"(gespeichert|haben sie|wissen|verarbeit)|"
    r"aufstellung|auflistung|lijst van|list of|"
    # Who else got the data is access too (Art. 15(1)(c)).
    r"doorverkocht|doorgegeven|gedeeld|verkocht|shared|sold|passed on|weitergegeben|verkauft|"
    r"staan .{0,20}gegevens|confirm (what|which|whether)|whatever .{0,30}(have|hold)|tell me|"
    r"provide .{0,20}with|"
    r"\bsend\b .{0,30}\bme\b|send (on|over)|recording|was sie alles|sagen sie|verstrek|passed|"
    r"how did you|hoe (komen|kwamen|kom|heeft|hebben)|wie kommen sie|krijgen|bekomm|erhalt|"
    r"\bget (all|my|a)\b|"
    # "I want all my data", not "ich möchte, dass alles ... gelöscht wird" (a wish about all of it).
    r"(wil|want|mochte|graag)\b(?:(?!dass|dat\b|that\b).){0,30}\b(alle|all|alles|everything)\b|"
    r"art(ikel|icle|\.)? ?15\b",
    re.S,
)


def unasked_further_access(text: str, p: FloatArray, labels: list[str]) -> list[str]:
    """The labels without access when access was only a further right and nothing in the text
    (subject, the writer's words, a request of theirs forwarded below a reminder) asks to see,
    receive or learn about the data: "delete all the personal information you hold about me"
    uses access's words for the data erasure concerns. On blind check sets 47-54 (1,780
    messages; 2026-12-02) this dropped a wrong access in 5 letters and a right one in none;
    63 of the corpus's 3,179 letters that ask access beside another right hold none of the words
    (a typo, dialect), and they lose it only when another right is the more likely one."""
    if not _further_right("access", p, labels) or _ACCESS_ASK.search(text) is not None:
        return labels
    return [label for label in labels if label != "access"]


LATIN_SHARE = 0.5  # below this share of Latin letters the text is in a script the corpus lacks


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LETTERS = string.ascii_letters.encode()


def unreadable(text: str) -> bool:
    """True when most letters of the (prepared) text are not Latin: the model cannot read it."""
    if text.isascii():
        return False  # every letter is Latin
    head = text[:2000]
    # Counted in C, not a Python loop over every character (a sixth of prediction's time):
    # the ASCII letters by deleting them from the ASCII bytes, the rest among the few others.
    ascii_part = head.encode("ascii", "ignore")
    latin = len(ascii_part) - len(ascii_part.translate(None, _ASCII_LETTERS))
    others: list[str] = _NON_ASCII.findall(head)
    letters = latin + sum(c.isalpha() for c in others)
    if letters < 20:
        return False
    return latin < LATIN_SHARE * letters


SPEAKS_MIN = 0.5  # a right this likely, said in the first person, outweighs the text's machine evidence


def gate_auto(
    text: str,
    p: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray,
    review_margin: float,
    extra: FloatArray | None = None,
) -> tuple[list[str], bool] | None:
    """Labels to use instead of a model-only "auto", or None when "auto" may stand.

    The model may call a message machine mail only with evidence in the text (an absence
    notice, a delivery report, a ticket number ...), and never when the sender greets us
    personally and a right or complaint is at least likely: that is a person writing.
    """
    body = text.split("\n", 1)[1] if "\n" in text else text
    request_likely = any(p[_IDX[lb]] >= NEAR_MISS * thresholds[_IDX[lb]] for lb in COMBINING)
    # A person greets us with a request at least likely, or speaks in the first person with a
    # right past its threshold ("Ihre Nachricht wurde gelesen. Seitdem keine Antwort. Ich warte
    # auf meine Auskunft" is a reminder, not a read receipt; "ik ben afwezig" is an absence).
    greeted = request_likely and _SALUTATION.match(body) is not None
    # A right only just past its threshold is no person speaking: an absence notice in the first
    # person ("ik ben op vakantie en heb geen toegang tot mijn mail", check set 31) scored
    # erasure 0.19 against a threshold of 0.16.
    passed = any(p[_IDX[lb]] >= max(thresholds[_IDX[lb]], SPEAKS_MIN) for lb in COMBINING)
    # A delivery report returns the failed message, first person and all: it stays machine mail.
    report = _DELIVERY_REPORT.search(text) is not None
    speaks = passed and not report and _FIRST_PERSON.search(own_text(text)) is not None
    if _AUTO_EVIDENCE.search(text) and not (greeted or speaks):
        return None
    q = np.array(p, dtype=np.float64)
    q[_IDX["auto"]] = 0.0
    labels, _ = decide(q, thresholds, secondary, review_margin, extra)
    return labels, True


# Where a forward or an Outlook reply starts inside a prepared text: text.split_body folds
# forwarded mail into the text when the sender's own words are (almost) none or point at it,
# and the forward's "From:" line survives as the only mark of where their words end.
_FORWARD_FROM = re.compile(r"^[^\S\n]*\*?(from|van|von|de)\s*:\*?\s", re.M)
# Cues are looked up as substrings of the writer's own text with every run of other characters
# made one space and a space at each end, so " wis" is a word start and " avg " a whole word:
# one pass of a simple regex and C-speed substring tests, where one regex of 150 alternatives
# cost 3 ms on 4 KB without a cue.
_SEPARATORS = re.compile(r"[^a-z0-9']+")
# The writer asks for something: a right named, a verb or form that asks ("please", "could you",
# "wil graag", "bitte"; a question mark, tested apart), or a complaint (prepared text: lower
# case, no diacritics). Broad on purpose: it only vetoes a case when the writer's own words hold
# none (a greeting above a forwarded notification, a photo caption).
_ACTION_CUES = (
    # Dutch
    "graag", "verwijder", "inzag", "inzien", "overzicht", "kopie", "opvra", " wis", "schrap", "vergeet",
    "vergeten", "uitschrij", "afmeld", "bezwaar", " stop", "niet meer", "niet langer", "corrig", "correct",
    "wijzig", "aanpas", "verbeter", "rectific", "onjuist", "klopt niet", "kloppen niet", "fout", "beperk",
    "blokkeer", "bevries", "overdra", "export", "meenemen", "klacht", "klaag", "onacceptabel", "schandalig",
    "nog steeds", "nog geen", "nog altijd geen", "herinner", "rappel", "toezichthouder", "autoriteit",
    " avg ", " wbp ", "datalek", "gaarne", "gelieve", "verzoek", "verlang", " wil", "willen", "wens", " eis",
    "stuur", "zend", "halen", " haal", "rechtzet", "weten", "nodig", "verwacht", "respecteer", "verkeerd",
    "verhuis", "nieuw adres", "nieuwe adres", "ontevreden", "klaar mee", " weg ", "eruit", "schort",
    "beschikbaar", "wat hebben jullie", " meld", " bel", " zien ", "fijn vinden", "veranderd",
    "opheff", "ontbre", "afgemeld",
    # Outrage at a breach notice ("schande", "a disgrace", check set 8) names no right and asks
    # nothing. Not the incident's own name: a company's breach notice says it too (attack review).
    "schande", "nooit toestemming", "niet blij",
    # English
    "please", "delet", "access", " copy ", " copies ", " erase", "erasure", "remove", "removal", "forget",
    "unsubscri", "opt out", "optout", " object", "no longer", "do not", "don't", " dont ", "rectif", "updat",
    "change", "amend", "fix", "wrong", "inaccura", "restrict", "freez", "suspend",
    # Not " port" alone: it read "the customer portal" as asking (check set 52's thank-you).
    " port ", " portab", " porting", " porteer", " porteren", "transfer",
    " download", "machine readable", "complain", "unacceptable", " still ", "remind", "no reply",
    "no response", "no answer", " ico ", "supervisory", " gdpr ", " dsar ", "breach", " pls ", " plz ",
    "kindly", "would like", "i'd like", " id like", " want", " wish", "could you", "can you", "would you",
    "will you", "send", "tell me", " know ", "request", "demand", " need", "expect", "appreciate", " ask",
    "new address", " moved", " opt ", "interested", "rather not", " see ", "have on me", " call", " rang ",
    "login", "leak", "disgrace", "appalling", "outrageous", "never agreed", "never consented",
    "not impressed", "unhappy", " purge", " close my", " close the", "missing",
    # German
    "bitte", "auskunft", "losch", "entfern", "vergess", "abmeld", "abbestell", "austrag", "widersp",
    "widerruf", "berichtig", "korrigier", "falsch", "andern", "anderung", "einschrank", "sperr", "ubertrag",
    "beschwer",
    "aufsicht", "dsgvo", "bdsg", "erinner", "noch keine", "noch immer keine", "immer noch", "weiterhin",
    "mochte", "fordere", "ersuche", "schick", "wissen", "brauch", "erwarte", "veraltet", " neue",
    "umgezogen",
    # German had no words for a complaint or a telling-off that Dutch ("datalek", "schandalig",
    # "onacceptabel") and English ("breach", "leak", "unacceptable") have, nor for "tell me"
    # (check set 4: a breach complaint scored 1.00 was vetoed). "ß" is a separator here, so
    # "Verstoß" reads "versto ".
    # Whole phrases, not stems that everyday German shares ("wir sehen uns", "wir wünschen Ihnen",
    # "Pressemitteilung", "lecker", "teilen Sie uns mit"): an attack review showed consent *given*
    # opening objection cases through such stems.
    "versto ", "verstoss", "datenleck", "datenpanne", " leck ", "skandalos", "inakzeptabel",
    "nicht akzeptabel", "unverschamt", "unzulassig", "darf nicht", "durfen nicht", "nicht in ordnung",
    "unzufrieden", "verlange", "stopp", "aufhor", "unterlass", "teilen sie mir", "nennen sie mir",
    "sagen sie mir",
    # Swiss and southern German ask in the conditional ("ich hätte gerne eine Übersicht ... als
    # maschinenlesbare Datei", check set 17: a portability request scored 1.00 was vetoed).
    "hatte gerne", "hatten gerne", "ubersicht", "maschinenlesbar", "nie zugestimmt",
    # An attack review's replies that ask in other words ("opheffen", "close my account", "Daten
    # vernichten", "es fehlen die Standortdaten"): without them "Thanks. ..." read as a closing reply.
    "vernicht", " fehlen", " fehlt ", "abgemeldet",
    # Less common verbs of erasure ("Strike my details from your records", "Nehmen Sie meine Daten
    # aus Ihrem System", "Vernietig mijn gegevens"): a verb probe on 2026-12-02 found each
    # vetoed, or scored lower, for want of a cue.
    "strike", " wipe", "get rid", " scrub", " shred", " streich", " tilg", "entsorg", " raus",
    "nehmen sie", "vernietig", "your system", "ihrem system", "jullie systeem", "uw systeem",
)  # fmt: skip
# The incident's own name counts only where the writer speaks of themselves ("your email about
# the security incident included my old password hint", check set 12): a company's breach notice
# names it too, in the plural or to "you" (attack review).
_INCIDENT_CUES = ("security incident", "beveiligingsincident", "sicherheitsvorfall", " incident ")
# "geen mailings meer", "geen publiciteit meer"; "keine Werbe-Mails mehr" (check set 40: an opt-out
# scored 1.00 above a quoted webinar invitation was vetoed for want of a cue).
_NO_MORE = re.compile(r"geen .{0,40}meer|keine .{0,40}mehr")
# Withdrawn consent and stopped calls or advertising (objection, as the dev set labels them):
# a withdrawal or stop phrase within one sentence, never the topic word alone ("ik geef
# toestemming", "Ihre Einwilligung wurde gespeichert", "Sie dürfen mich anrufen" ask nothing).
_WITHDRAWN = re.compile(
    r"\btoestemming\b[^.!?\n]{0,60}\b(?:trek\w*|intrek\w*|ingetrokken)\b"
    r"|\b(?:trek\w*|intrek\w*|ingetrokken)\b[^.!?\n]{0,60}\btoestemming\b"
    r"|\b(?:withdraw\w*|revok\w*|retract\w*)\b[^.!?\n]{0,40}\bconsent\b"
    r"|\bconsent\b[^.!?\n]{0,40}\b(?:withdrawn|revoked)\b"
    r"|\b(?:nicht mehr|keine|kein|aufhor\w*|hort auf|horen sie auf|unterlass\w*)\b[^.!?\n]{0,40}"
    r"\b(?:anruf|anzuruf|angeruf|werbe|werbung)"  # werbe: Werbeanrufe, Werbemails, Werbe-Mails
)
_WITHDRAWN_HINTS = ("toestemming", "consent", "ruf", "werb")
_ARTICLE = re.compile(r"\bart(ikel|icle)?\.? ?\d")
# The writer speaks for themselves or to us, or points at the mail they forward ("zie onder");
# an order at the start of a line ("stop met mailen") is tested apart (_ORDERS).
_ASK_CUES = (
    " i ", " i'", " my ", " me ", " mine ", " we ", " our ", " us ", " you", "please", "kindly", " pls ",
    " ik ", " mijn ", " mij ", " wij ", " ons ", " onze ", " u ", " uw ", "jullie", "gelieve", "graag",
    " aub ", " a u b ", " svp ", "alstublieft", "alsjeblieft", " ben ", " bin ", " mn ", " dank", "bedankt",
    "thank",
    " ich ", " mein", " mich ", " mir ", " wir ", " uns", " sie ", " ihr", "bitte",
    "zie onder", "zie hieronder", "zie beneden", "onderstaand", "hieronder", "below", "unten", "nachstehend",
    # A reminder asks again for what it named before ("Re: Verzoek tot verwijdering" / "Het is nu
    # 6 weken later.", "Herinnering." above the forwarded request: hand ar, 2026-12-02).
    # Not "still"/"nog steeds" alone: those are the action cues of a reminder, not its asking.
    " herinnering", "reminder", "erinnerung", " nogmaals", " opnieuw", " again", " wieder", " erneut",
    " weken", " weeks", " wochen", " tweede keer", " second time", " zweiter versuch", " zweites mal",
)  # fmt: skip
_ORDERS = (
    "stop", "haal", "meld", "verwijder", "wis", "stuur", "geef", "zet", "uitschrijv", "afmeld", "delete",
    "remove", "erase", "unsubscribe", "opt", "send", "losch", "entfern", "schick", "abmeld", "abbestell",
    "austrag",
)  # fmt: skip


def own_text(text: str) -> str:
    """The subject line and the writer's own words of a prepared text: everything before a
    forwarded message's "From:" line (the first line is the subject and never counts as one);
    all of it when those words hand the forwarded mail on to us (a colleague's "voor jullie")."""
    head, _, rest = text.partition("\n")
    mark = _FORWARD_FROM.search(rest)
    if mark is None or hands_over(rest[: mark.start()]):
        return text
    return head + "\n" + rest[: mark.start()]


# A reply that thanks or acknowledges ("Danke, Ihre Bestätigung ist angekommen", "ok, helder",
# check set 45) and says nothing more: every sentence of four words or more thanks, acknowledges
# or signs off, and nothing is still open (a negation, "but", "only", "again", a question, an ask).
# An attack review found the first version vetoing "Thanks. Close my second account too." and
# "Weer een mailing ontvangen, terwijl ik me had afgemeld.": cues are matched at word starts.
_ACK_CUES = (
    " dank", " bedankt", " thank", " cheers", " ok ", " oke ", " okay ", " helder", " duidelijk",
    " alles klar", " angekommen", " ontvangen", " received", " erhalten", " prima ", " perfect",
    " erledigt", " afgehandeld", " passt ", " top ", " super ", " great ", " fine ", " fijn ", " sorted",
    " resolved", " solved", " opgelost", " gelost ", " geklart", " in orde", " in ordnung",
)  # fmt: skip
_SIGN_OFF = (
    " groet", " gru", " regards", " best wishes", " sincerely", " mvg ", " mfg ", " lg ", " vg ",
    " vriendelijke", " freundlich", " herzlich", " hartelijk",
)  # fmt: skip
# A letter's sign-off or greeting (signed_letter_sure_of_right): the sign-offs above and the greetings.
_LETTER_MARKS = (
    *_SIGN_OFF,
    " beste ", " geachte ", " dear ", " hallo ", " hello ", " hi ", " sehr geehrte", " liebe ",
    " goedemorgen", " goedemiddag", " guten tag", " good morning", " good afternoon", " moin ",
    " servus ", " gruezi", " dag ",
)  # fmt: skip
_STILL_OPEN = (
    " niet", " geen ", " nog ", " not ", " nothing ", " no ", "n't ", " nicht", " kein", " nichts ",
    " noch ", " never ", " nooit ", " nie ", " but ", " maar ", " aber ", " wel ", " though ", " however ",
    " doch ", " jedoch ", " only ", " nur ", " alleen ", " slechts ", " part", " teil", " deel ",
    " again ", " another ", " yet ", " weer ", " opnieuw ", " wieder", " erneut ", " nogmaals ",
    " terwijl ", " while ", " obwohl ", " although ", " so you ", " dus jullie ", " also sie ",
    # Thanks in advance wait for something: "Thanks in advance, I look forward to it" nudges.
    " alvast ", "in advance", " im voraus", " vorab ", "look forward", "freue mich", "kijk uit naar",
)  # fmt: skip
_SENTENCES = re.compile(r"[.!?;:\n]+")
# A thank-you that confirms a fix ("thanks, all looks correct now", "alles is nu correct", "jetzt
# stimmt alles") names a right's word only to say it is done (check set 52: read as rectification).
# The words between are a closed set: free words let "thanks, now please correct my name" lose its
# "please correct" and close (review of this change).
_CONFIRMED = re.compile(
    r"\b(all|alles|everything|now|nu|jetzt|looks?|ziet|sieht)\s+"
    r"((looks?|is|are|ist|sind|seems|now|nu|jetzt|er|all|alles)\s+){0,2}"
    r"(correct|korrekt|richtig|juist|goed|right|klopt|stimmt)\b"
)


def closing_reply(text: str) -> bool:
    """The writer's own words below the subject only thank or acknowledge, with nothing left
    open: a right named in a reply's subject then was the earlier mail's, not a new wish
    ("AW: Bestätigung der Löschung" / "Danke, damit ist die Sache für mich erledigt")."""
    _, _, body = own_text(text).partition("\n")
    words = " " + _SEPARATORS.sub(" ", body) + " "
    if not any(cue in words for cue in _ACK_CUES) or any(cue in words for cue in _STILL_OPEN):
        return False
    for sentence in _SENTENCES.split(body):
        said = " " + _SEPARATORS.sub(" ", sentence) + " "
        if len(said.split()) >= 4 and not any(cue in said for cue in _ACK_CUES + _SIGN_OFF):
            return False  # a sentence that says something else ("Close my second account too")
    return not request_cue("\n" + _CONFIRMED.sub(" ", body))


def request_cue(text: str) -> bool:
    """Does the writer's own text name a right (or ask for one, or complain) and ask or speak
    for themselves? Without both no right opens a case, however the model scored the text."""
    own = own_text(text)
    words = " " + _SEPARATORS.sub(" ", own) + " "
    action = (
        "?" in own
        or any(cue in words for cue in _ACTION_CUES)
        or (("geen" in own or "keine" in own) and _NO_MORE.search(own) is not None)
        or (any(cue in words for cue in _INCIDENT_CUES) and _FIRST_PERSON.search(own) is not None)
        or ("art" in own and _ARTICLE.search(own) is not None)
        or (any(hint in own for hint in _WITHDRAWN_HINTS) and _WITHDRAWN.search(own) is not None)
    )
    if not action:
        return False
    return (
        "?" in own
        or "!" in own
        or "s.v.p" in own
        or any(cue in words for cue in _ASK_CUES)
        or any(line.lstrip().startswith(_ORDERS) for line in own.split("\n"))
        # A terse letter that cites the articles it invokes ("Art 15 + Art 17. Copy of all
        # data, then delete.") asks without a pronoun or a please (check set 6).
        or ("art" in own and _ARTICLE.search(own) is not None)
    )
