"""Deterministic generator for corpus/generated.jsonl.

Why: the hand-written messages in corpus/handwritten.jsonl carry the variety of
voices; this script adds the variety of *form* that real mailboxes show around the
same words: greetings, signatures, legal footers, quoted earlier mail, "Re:" and
"Fwd:" subjects, typos, dropped diacritics, shouting and lower case. It also builds
formal letters from clause pools (article citations under AVG, GDPR and the old Wbp,
combined rights, the closing threat to go to the Autoriteit Persoonsgegevens that is
NOT a complaint by itself, reminders that are), and machine mail (out-of-office,
delivery reports, read receipts, ticket acknowledgements) plus business mail that says
"gegevens" or "account" without being a privacy matter.

Run: python -m avgdesk.classifiers.corpus_gen   (fixed seed: same output every time)
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from avgdesk.classifiers.labels import validate_labels
from avgdesk.classifiers.text import strip_diacritics

SEED = 3
CORPUS = Path(__file__).resolve().parent / "corpus"
Row = dict[str, Any]

FIRST = [
    "Jan",
    "Sanne",
    "Mohammed",
    "Eva",
    "Pieter",
    "Noor",
    "Kees",
    "Fleur",
    "Ahmed",
    "Lotte",
    "Bram",
    "Yara",
    "Henk",
    "Ingrid",
    "Sven",
    "Marloes",
    "Tim",
    "Aylin",
    "Gerrit",
    "Sofie",
    "Emma",
    "Daniel",
    "Olga",
    "Ruben",
    "Wilma",
    "Chen",
    "Joris",
    "Esther",
    "Luuk",
    "Karin",
]
LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "El Amrani",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Yilmaz",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "van den Berg",
    "Kramer",
    "Verbeek",
    "Postma",
    "Wouters",
]
CITIES = [
    "Zevenaar",
    "Arnhem",
    "Duiven",
    "Nijmegen",
    "Doetinchem",
    "Utrecht",
    "Ede",
    "Zwolle",
    "Rotterdam",
    "Didam",
    "Westervoort",
    "Apeldoorn",
]

GREET = {
    "nl": [
        "Geachte heer/mevrouw,",
        "Beste,",
        "Hallo,",
        "Hoi,",
        "Goedemorgen,",
        "Goedemiddag,",
        "Beste NHMB,",
        "Geachte functionaris gegevensbescherming,",
        "L.S.,",
        "Beste mensen,",
        "Dag,",
        "Goedendag,",
        "Beste privacyteam,",
        "Hallo daar,",
    ],
    "en": [
        "Dear Sir or Madam,",
        "Hi,",
        "Hello,",
        "Dear NHMB team,",
        "Good morning,",
        "Dear Data Protection Officer,",
        "To whom it may concern,",
        "Hi there,",
        "Dear team,",
    ],
}
CLOSE = {
    "nl": [
        "Met vriendelijke groet,",
        "Vriendelijke groet,",
        "Groet,",
        "Groeten,",
        "Mvg,",
        "Hoogachtend,",
        "Met vriendelijke groeten,",
        "Alvast bedankt,\nGroet",
        "Groetjes,",
        "Hartelijke groet,",
    ],
    "en": [
        "Kind regards,",
        "Best regards,",
        "Regards,",
        "Thanks,",
        "Sincerely,",
        "Best,",
        "Yours faithfully,",
        "Cheers,",
        "Many thanks,",
    ],
}
DISCLAIMER = {
    "nl": [
        "Dit e-mailbericht is uitsluitend bestemd voor de geadresseerde(n) en kan vertrouwelijke "
        "informatie bevatten. Als u niet de geadresseerde bent, verzoeken wij u het bericht te "
        "verwijderen en de afzender te informeren.",
        "Verzonden vanaf mijn iPhone",
        "Denk aan het milieu voordat u deze e-mail print.",
        "Dit bericht kan informatie bevatten die niet voor u bestemd is. Indien u niet de "
        "geadresseerde bent of dit bericht abusievelijk aan u is toegezonden, wordt u verzocht "
        "dat aan de afzender te melden en het bericht te verwijderen. KvK-nummer: 09123456",
    ],
    "en": [
        "This email and any attachments are confidential and may be privileged. If you are not "
        "the intended recipient, please notify the sender and delete this message.",
        "Sent from my iPhone",
        "Get Outlook for Android",
        "Please consider the environment before printing this email.",
    ],
}
QUOTED = {
    "nl": [
        "Beste klant,\n\nIn deze nieuwsbrief leest u alles over de nieuwe versie van NHMB CRM. "
        "Wilt u geen nieuwsbrief meer ontvangen? Klik dan op afmelden.",
        "Beste {first},\n\nDank voor uw bericht. Kunt u ons uw klantnummer doorgeven, zodat we "
        "u verder kunnen helpen?\n\nMet vriendelijke groet,\nKlantenservice NHMB",
        "Geachte heer/mevrouw,\n\nHierbij ontvangt u factuur 2024-{n} voor uw abonnement. "
        "Uw gegevens en het account blijven ongewijzigd.",
        "Hallo {first},\n\nJe wachtwoord is gewijzigd. Heb jij dit niet gedaan? Neem dan contact "
        "op met support.",
    ],
    "en": [
        "Dear customer,\n\nOur newsletter this month covers the new release. To unsubscribe "
        "click the link below.",
        "Hi {first},\n\nThanks for reaching out. Could you send us your customer number so we "
        "can look into this?\n\nBest regards,\nNHMB Support",
        "Hello,\n\nPlease find attached invoice {n} for your subscription.",
    ],
}
QUOTE_HEAD = {
    "nl": [
        "Op {d} om 10:{m} schreef NHMB Software <info@nhmbsoftware.nl>:",
        "Van: NHMB Software <info@nhmbsoftware.nl>\nVerzonden: {d}\nAan: {first}\nOnderwerp: Uw bericht",
        "-----Oorspronkelijk bericht-----\nVan: NHMB Klantenservice\nVerzonden: {d}",
    ],
    "en": [
        "On {d} at 10:{m}, NHMB Software <info@nhmbsoftware.nl> wrote:",
        "-----Original Message-----\nFrom: NHMB Support\nSent: {d}\nSubject: Your message",
        "From: NHMB Software <info@nhmbsoftware.nl>\nSent: {d}\nTo: {first}\nSubject: Re",
    ],
}
DATES = ["3 maart 2024", "ma 12 feb. 2024", "14-06-2023", "vr 1 sep 2023", "22 januari 2025"]
EN_DATES = ["Mon, 4 Mar 2024", "12 February 2024", "Fri, Sep 1, 2023", "22 Jan 2025"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.4:
        return word[:i] + word[i + 1 :]
    if op < 0.7:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def noise(text: str, rng: random.Random, strength: float) -> str:
    """Typos in a few words, sometimes no diacritics, lower case or missing punctuation."""
    words = text.split(" ")
    for _ in range(int(len(words) * strength * rng.random())):
        k = rng.randrange(len(words))
        words[k] = _typo(words[k], rng)
    text = " ".join(words)
    if rng.random() < 0.4:
        text = strip_diacritics(text)
    r = rng.random()
    if r < 0.15:
        text = text.lower()
    elif r < 0.2:
        text = text.replace(".", "").replace(",", "")
    return text


def dress(subject: str, body: str, lang: str, rng: random.Random, strength: float) -> tuple[str, str]:
    """Wrap a message body in the things real mail carries around it."""
    body = body.strip()
    lang = lang if lang in GREET else "en"
    first = rng.choice(FIRST)
    name = f"{first} {rng.choice(LAST)}"
    if rng.random() < 0.35:
        body = noise(body, rng, strength)
    parts: list[str] = []
    starts_greeting = body.split("\n", 1)[0].rstrip().endswith(",")
    if not starts_greeting and rng.random() < 0.5:
        parts.append(rng.choice(GREET[lang]))
    parts.append(body)
    r = rng.random()
    if r < 0.6:
        parts.append(f"{rng.choice(CLOSE[lang])}\n{name}")
        if rng.random() < 0.3:
            parts[-1] += f"\n{rng.choice(['Tel', 'Mob', 'T'])}: 06-{rng.randint(10000000, 99999999)}"
        if rng.random() < 0.2:
            parts[-1] += (
                f"\n{rng.choice(['Dorpsstraat', 'Kerkweg', 'Lindelaan'])} "
                f"{rng.randint(1, 200)}, {rng.choice(CITIES)}"
            )
    elif r < 0.75:
        parts.append(f"-- \n{name}")
    elif r < 0.85:
        parts.append(first)
    if rng.random() < 0.2:
        parts.append(rng.choice(DISCLAIMER[lang]))
    if rng.random() < 0.2:
        head = rng.choice(QUOTE_HEAD[lang]).format(
            d=rng.choice(DATES if lang == "nl" else EN_DATES), m=rng.randint(10, 59), first=first
        )
        old = rng.choice(QUOTED[lang]).format(first=first, n=rng.randint(1000, 9999))
        if rng.random() < 0.5:
            old = "\n".join("> " + line for line in old.split("\n"))
        parts.append(f"{head}\n{old}")
        subject = f"{rng.choice(['Re:', 'RE:', 'Antw:', 'Re:'])} {subject}"
    if rng.random() < 0.05 and not body.startswith("Naam:"):
        form = (
            "Naam: {name}\nE-mail: {mail}\nOnderwerp: {subj}\nBericht:\n"
            if lang == "nl"
            else "Name: {name}\nEmail: {mail}\nSubject: {subj}\nMessage:\n"
        )
        parts = [form.format(name=name, mail=f"{first.lower()}@example.org", subj=subject) + body]
        subject = "Contactformulier website" if lang == "nl" else "Website contact form"
    s = rng.random()
    if s < 0.08:
        subject = ""
    elif s < 0.15:
        subject = f"{rng.choice(['Fwd:', 'FW:', 'Re:'])} {subject}"
    elif s < 0.2:
        subject = subject.lower()
    return subject, "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- formal letters
CLAUSES: dict[str, dict[str, list[str]]] = {
    "access": {
        "nl": [
            "Hierbij verzoek ik u om inzage in mijn persoonsgegevens op grond van {art}.",
            "Ik verzoek u mij te laten weten of u persoonsgegevens van mij verwerkt en, zo ja, mij "
            "daarvan een kopie te verstrekken ({art}).",
            "Graag ontvang ik een overzicht van alle gegevens die u over mij heeft vastgelegd, met de "
            "doeleinden, de ontvangers, de bewaartermijn en de herkomst ({art}).",
            "Ik maak gebruik van mijn recht op inzage en ontvang graag een afschrift van mijn dossier.",
            "Wilt u mij een kopie sturen van alle persoonsgegevens die u van mij bewaart?",
        ],
        "en": [
            "I hereby request access to my personal data under {art}.",
            "Please confirm whether you process personal data about me and, if so, provide a copy ({art}).",
            "I would like a copy of all information you hold about me, including its source and "
            "the recipients it was shared with.",
        ],
    },
    "rectification": {
        "nl": [
            "Op grond van {art} verzoek ik u mijn onjuiste gegevens te corrigeren: mijn adres is "
            "gewijzigd naar {street} {num}, {city}.",
            "Mijn achternaam is in uw administratie verkeerd gespeld. Ik verzoek u dit te herstellen "
            "({art}).",
            "Ik verzoek u mijn e-mailadres en telefoonnummer bij te werken; de huidige gegevens zijn "
            "verouderd.",
            "De aanhef in uw brieven is onjuist. Graag corrigeren naar 'mevrouw'.",
        ],
        "en": [
            "Under {art} I request that you correct my address, which is now {num} {street}, {city}.",
            "My name is misspelled in your records. Please rectify it ({art}).",
            "Please update my contact details; the phone number you hold is out of date.",
        ],
    },
    "erasure": {
        "nl": [
            "Hierbij verzoek ik u al mijn persoonsgegevens te wissen op grond van {art}.",
            "Ik verzoek u mijn account en alle bijbehorende gegevens te verwijderen ({art}).",
            "Ik beroep mij op mijn recht op vergetelheid en verzoek u mijn gegevens te verwijderen.",
            "Verwijder alstublieft al mijn gegevens uit uw systemen, inclusief back-ups waar mogelijk.",
        ],
        "en": [
            "I request the erasure of all my personal data under {art}.",
            "Please delete my account and all associated personal data ({art}).",
            "I exercise my right to be forgotten and ask you to remove me from your systems.",
        ],
    },
    "restriction": {
        "nl": [
            "Ik verzoek u de verwerking van mijn gegevens te beperken zolang de juistheid ervan wordt "
            "onderzocht ({art}).",
            "In afwachting van de beoordeling van mijn bezwaar verzoek ik u de verwerking van mijn "
            "gegevens te beperken ({art}).",
            "Wis mijn gegevens niet, maar gebruik ze niet meer totdat het geschil is opgelost.",
        ],
        "en": [
            "I request that you restrict the processing of my data while its accuracy is verified ({art}).",
            "Please do not delete my data, but stop using it until the dispute is resolved ({art}).",
        ],
    },
    "portability": {
        "nl": [
            "Ik verzoek u mij de gegevens die ik aan u heb verstrekt te leveren in een gestructureerd, "
            "gangbaar en machineleesbaar formaat ({art}).",
            "Graag ontvang ik een export van mijn gegevens in CSV of JSON, zodat ik ze kan overzetten "
            "naar een andere dienstverlener.",
            "Ik verzoek u mijn gegevens rechtstreeks over te dragen aan mijn nieuwe leverancier ({art}).",
        ],
        "en": [
            "Please provide the data I gave you in a structured, commonly used and machine-readable "
            "format ({art}).",
            "I request that you transmit my data directly to my new provider ({art}).",
        ],
    },
    "objection": {
        "nl": [
            "Ik maak bezwaar tegen het gebruik van mijn gegevens voor direct marketing ({art}).",
            "Ik trek mijn toestemming voor het ontvangen van nieuwsbrieven en aanbiedingen in en wil "
            "niet langer benaderd worden.",
            "Ik maak bezwaar tegen de verwerking van mijn gegevens op basis van uw gerechtvaardigd "
            "belang ({art}).",
            "Ik wil niet meer gebeld of gemaild worden voor commerciële doeleinden.",
        ],
        "en": [
            "I object to the processing of my personal data for direct marketing ({art}).",
            "I withdraw my consent to marketing emails and do not wish to be contacted again.",
            "I object to processing based on your legitimate interests ({art}).",
        ],
    },
}
ARTICLES = {
    "access": (
        ["artikel 15 AVG", "art. 15 AVG", "artikel 15 van de AVG", "artikel 35 Wbp"],
        ["Article 15 GDPR", "Art. 15 GDPR", "Article 15 of the GDPR"],
    ),
    "rectification": (
        ["artikel 16 AVG", "art. 16 AVG", "artikel 36 Wbp"],
        ["Article 16 GDPR", "Art. 16 GDPR"],
    ),
    "erasure": (
        ["artikel 17 AVG", "art. 17 AVG", "artikel 17 lid 1 AVG", "artikel 36 Wbp"],
        ["Article 17 GDPR", "Art. 17 GDPR"],
    ),
    "restriction": (["artikel 18 AVG", "art. 18 lid 1 AVG"], ["Article 18 GDPR", "Art. 18(1) GDPR"]),
    "portability": (["artikel 20 AVG", "art. 20 AVG"], ["Article 20 GDPR", "Art. 20 GDPR"]),
    "objection": (
        ["artikel 21 AVG", "artikel 21 lid 2 AVG", "artikel 41 Wbp"],
        ["Article 21 GDPR", "Art. 21(2) GDPR"],
    ),
}
SUBJECTS = {
    "access": (
        ["Inzageverzoek", "Verzoek om inzage", "Verzoek inzage persoonsgegevens AVG"],
        ["Subject access request", "Data access request", "Request for access"],
    ),
    "rectification": (
        ["Verzoek om rectificatie", "Correctie persoonsgegevens", "Wijziging gegevens"],
        ["Rectification request", "Correction of my data"],
    ),
    "erasure": (
        ["Verzoek tot verwijdering", "Verwijderingsverzoek", "Verzoek om gegevenswissing"],
        ["Erasure request", "Request to delete my data"],
    ),
    "restriction": (
        ["Verzoek om beperking van de verwerking", "Beperking verwerking"],
        ["Request for restriction of processing"],
    ),
    "portability": (["Verzoek dataportabiliteit", "Overdracht gegevens"], ["Data portability request"]),
    "objection": (
        ["Bezwaar tegen verwerking", "Bezwaar direct marketing", "Afmelden"],
        ["Objection to processing", "Objection to direct marketing"],
    ),
}
IDENT = {
    "nl": [
        "Mijn klantnummer is {n}.",
        "Ik ben bij u bekend onder dit e-mailadres.",
        "Ter identificatie: {name}, {street} {num}, {city}.",
        "",
    ],
    "en": ["My customer number is {n}.", "You know me under this email address.", ""],
}
DEADLINE = {
    "nl": [
        "Ik zie uw reactie graag binnen de wettelijke termijn van een maand tegemoet.",
        "Ik verzoek u binnen een maand na ontvangst te reageren, zoals artikel 12 AVG voorschrijft.",
        "Graag ontvang ik binnen vier weken uw reactie.",
        "",
    ],
    "en": [
        "I look forward to your response within one month.",
        "Please respond within the one-month period of Article 12(3) GDPR.",
        "",
    ],
}
THREAT = {  # nearly every formal request ends like this; it is NOT a complaint by itself
    "nl": [
        "Indien ik niet binnen de wettelijke termijn een reactie ontvang, behoud ik mij het recht "
        "voor juridische stappen te ondernemen en een klacht in te dienen bij de Autoriteit "
        "Persoonsgegevens.",
        "Mocht u niet tijdig reageren, dan zal ik mij wenden tot de Autoriteit Persoonsgegevens.",
        "Bij het uitblijven van een reactie behoud ik mij het recht voor een klacht in te dienen "
        "bij de toezichthoudende autoriteit.",
        "Ik wijs u erop dat ik bij de Autoriteit Persoonsgegevens een klacht kan indienen als u "
        "niet aan dit verzoek voldoet.",
    ],
    "en": [
        "If I do not receive a response within the statutory period, I reserve the right to take "
        "legal action and to lodge a complaint with the supervisory authority.",
        "Should you fail to respond in time, I will contact the Dutch Data Protection Authority.",
        "Please note that I may complain to the Autoriteit Persoonsgegevens if you do not comply.",
    ],
}
REMINDER = {
    "nl": [
        "Op {d} heb ik u een verzoek gestuurd. Tot op heden heb ik geen reactie ontvangen, "
        "terwijl de termijn van een maand is verstreken.",
        "Dit is een herinnering: mijn eerdere verzoek van {d} is nog steeds niet beantwoord.",
        "Ik heb nog altijd geen antwoord op mijn verzoek van {d}. Dat vind ik zeer teleurstellend.",
        "Ondanks mijn verzoek van {d} en een telefoontje daarna heb ik niets van u gehoord.",
    ],
    "en": [
        "On {d} I sent you a request. I have not received any response and the one-month "
        "deadline has passed.",
        "This is a reminder: my request of {d} is still unanswered.",
        "I am still waiting for an answer to my request of {d}, which is unacceptable.",
    ],
}


def formal_letter(rng: random.Random, lang: str, rights: list[str], reminder: bool) -> Row:
    li = 0 if lang == "nl" else 1
    fill = {
        "street": rng.choice(["Dorpsstraat", "Kerkweg", "Molenstraat", "Park Lane"]),
        "num": rng.randint(1, 150),
        "city": rng.choice(CITIES),
        "n": rng.randint(10000, 99999),
        "name": _name(rng),
        "d": rng.choice(DATES if lang == "nl" else EN_DATES),
    }
    lines = [rng.choice(GREET[lang])]
    if reminder:
        lines.append(rng.choice(REMINDER[lang]).format(**fill))
    for right in rights:
        art = rng.choice(ARTICLES[right][li])
        lines.append(rng.choice(CLAUSES[right][lang]).format(art=art, **fill))
    ident = rng.choice(IDENT[lang]).format(**fill)
    if ident:
        lines.append(ident)
    dl = rng.choice(DEADLINE[lang])
    if dl:
        lines.append(dl)
    if rng.random() < 0.65:
        lines.append(rng.choice(THREAT[lang]))
    subj = rng.choice(SUBJECTS[rights[0]][li])
    if rng.random() < 0.15:  # a letter pasted from a word processor: sender block and "Betreft"
        about = "Betreft" if lang == "nl" else "Re"
        lines.insert(
            0,
            f"{fill['name']}\n{fill['street']} {fill['num']}\n{fill['city']}\n\n"
            f"{fill['city']}, {fill['d']}\n\n{about}: {subj}",
        )
    if reminder:
        subj = (
            rng.choice(
                ["Herinnering: ", "Vermaning: ", "Tweede verzoek: "]
                if lang == "nl"
                else ["Reminder: ", "Second request: ", "Overdue: "]
            )
            + subj
        )
    labels = [*rights, "complaint"] if reminder else list(rights)
    subject, body = dress(subj, "\n\n".join(lines), lang, rng, 0.05)
    return {"subject": subject, "body": body, "labels": labels, "lang": lang}


# ---------------------------------------------------------------- machine mail
def auto_mail(rng: random.Random) -> Row:
    lang = "nl" if rng.random() < 0.6 else "en"
    name = _name(rng)
    kind = rng.choice(["ooo", "ooo", "dsn", "dsn", "read", "ticket"])
    orig = rng.choice(
        [
            "Inzageverzoek",
            "Verwijderen van mijn gegevens",
            "Uw verzoek",
            "Bevestiging ontvangst verzoek",
            "Re: afmelden",
            "Data request",
        ]
    )
    day = rng.randint(1, 28)
    mon = rng.choice(
        ["januari", "maart", "mei", "juli", "augustus", "oktober"]
        if lang == "nl"
        else ["January", "March", "May", "July", "August", "October"]
    )
    if kind == "ooo":
        if lang == "nl":
            reason = rng.choice(
                [
                    "met vakantie",
                    "afwezig",
                    "op cursus",
                    "met verlof",
                    "ziek",
                    "niet op kantoor",
                    "met ouderschapsverlof",
                ]
            )
            body = rng.choice(
                [
                    f"Dank voor uw e-mail. Ik ben tot en met {day} {mon} {reason} en lees mijn mail niet. "
                    f"Voor dringende zaken kunt u bellen met 0316-{rng.randint(100000, 999999)}.",
                    f"Ik ben {reason} tot {day} {mon}. Uw bericht wordt niet doorgestuurd. "
                    f"Voor vragen over uw gegevens of uw account kunt u terecht bij mijn collega.",
                    f"Bedankt voor je bericht! Ik ben {reason} en vanaf {day} {mon} weer bereikbaar.",
                    f"Automatisch antwoord: ik ben momenteel {reason}. Uw e-mail wordt na mijn terugkeer "
                    f"behandeld. In dringende gevallen kunt u mailen naar secretariaat.",
                ]
            )
            subj = (
                rng.choice(
                    ["Automatisch antwoord: ", "Afwezig: ", "Afwezigheidsbericht: ", "Out of office: "]
                )
                + orig
            )
        else:
            reason = rng.choice(
                ["on holiday", "out of the office", "on leave", "travelling", "at a conference", "off sick"]
            )
            body = rng.choice(
                [
                    f"Thank you for your message. I am {reason} until {mon} {day} with no access to "
                    "email. For urgent matters please contact the office.",
                    f"I'm {reason} and will be back on {day} {mon}. Your email will not be forwarded.",
                    f"Auto-reply: I am currently {reason}. I will respond to your message regarding "
                    "your account or data when I return.",
                ]
            )
            subj = rng.choice(["Automatic reply: ", "Out of Office: ", "Auto: ", "Autoreply: "]) + orig
    elif kind == "dsn":
        addr = f"{name.split()[0].lower()}@{rng.choice(['example.nl', 'mail.example.com'])}"
        original = rng.choice(
            [
                "Geachte heer/mevrouw, hierbij bevestigen wij de ontvangst van uw inzageverzoek.",
                "Beste klant, uw verzoek om verwijdering van uw gegevens is in behandeling.",
                "Dear customer, we have received your request to access your personal data.",
            ]
        )
        body = rng.choice(
            [
                "This is the mail system at host mail.nhmbsoftware.nl.\n\nI'm sorry to have to inform "
                "you that your message could not be delivered to one or more recipients.\n\n"
                f"<{addr}>: host mx.example.nl said: 550 5.1.1 <{addr}>: Recipient address rejected: "
                "User unknown in virtual mailbox table",
                "This message was created automatically by mail delivery software.\n\nA message that "
                "you sent could not be delivered to one or more of its recipients. This is a permanent "
                f"error. The following address(es) failed:\n\n  {addr}\n    Mailbox full",
                f"Uw bericht heeft sommige of alle geadresseerden niet bereikt.\n\nOnderwerp: {orig}\n"
                f"Het bericht kan niet worden bezorgd bij {addr} omdat het adres niet bestaat.",
                f"Delivery has failed to these recipients or groups:\n\n{addr}\nThe recipient's mailbox "
                "is full and can't accept messages now. Please try resending this message later.",
                f"Kan niet worden bezorgd: {addr}. Remote server returned '554 5.7.1 Message rejected "
                "as spam'. Neem contact op met uw systeembeheerder.",
                f"The original message was received at Mon, {day} {mon} 10:12:01 +0100\nfrom "
                f"mail.nhmbsoftware.nl [192.0.2.10]\n\n   ----- The following addresses had permanent "
                f"fatal errors -----\n<{addr}>\n    (reason: 550 5.1.1 User unknown)\n\n   ----- "
                f"Transcript of session follows -----\n... while talking to mx.example.nl.:\n>>> RCPT "
                f"To:<{addr}>\n<<< 550 5.1.1 <{addr}>... User unknown",
            ]
        )
        body += rng.choice(
            [
                f"\n\n------ This is a copy of the message, including all the headers. ------\n\n"
                f"Subject: {orig}\n\n{original}",
                f"\n\n--- Below this line is a copy of the message.\n\n{original}",
                "",
            ]
        )
        subj = rng.choice(
            [
                "Undelivered Mail Returned to Sender",
                "Mail delivery failed: returning message to sender",
                f"Onbestelbaar: {orig}",
                f"Undeliverable: {orig}",
                "Delivery Status Notification (Failure)",
                "Returned mail: see transcript for details",
                f"Niet bezorgd: {orig}",
            ]
        )
    elif kind == "read":
        if lang == "nl":
            body = (
                f"Uw bericht\n\nAan: privacy\nOnderwerp: {orig}\nVerzonden: {day} {mon} 10:0{day % 10}"
                f"\n\nis gelezen op {day} {mon} 11:{day + 10}."
            )
            subj = f"Gelezen: {orig}"
        else:
            body = (
                f"Your message\n\nTo: privacy\nSubject: {orig}\nSent: {mon} {day}\n\nwas read on {mon} {day}."
            )
            subj = f"Read: {orig}"
    else:
        t = rng.randint(10000, 999999)
        if lang == "nl":
            body = rng.choice(
                [
                    f"Beste klant,\n\nWij hebben uw bericht ontvangen en er ticketnummer {t} aan "
                    "toegekend. Wij reageren binnen drie werkdagen. Dit is een automatisch bericht.",
                    f"Bedankt voor uw aanvraag. Uw melding is geregistreerd onder nummer {t}. U hoeft "
                    "niet op deze e-mail te reageren.",
                ]
            )
            subj = f"[Ticket #{t}] Uw melding is ontvangen"
        else:
            body = rng.choice(
                [
                    f"Thank you for contacting us. Your request has been logged as ticket #{t}. Our "
                    "team will respond within 2 business days. This is an automated message.",
                    f"We have received your email (case {t}). Please do not reply to this "
                    "automated notification.",
                ]
            )
            subj = f"[Case {t}] Request received"
    return {"subject": subj, "body": body + "\n", "labels": ["auto"], "lang": lang}


# ---------------------------------------------------------------- questions and business mail
Q_NL = {
    "topic": [
        "een inzageverzoek",
        "het verwijderen van gegevens",
        "een verzoek om correctie",
        "het overzetten van gegevens naar een andere leverancier",
        "bezwaar maken tegen marketing",
        "het beperken van de verwerking",
        "een klacht over privacy",
    ],
    "ask": [
        "Hoe werkt {t} bij jullie?",
        "Wat is de procedure voor {t}?",
        "Hoe lang duurt {t} gemiddeld?",
        "Kost {t} iets?",
        "Waar kan ik informatie vinden over {t}?",
        "Ik heb een algemene vraag over {t}: moet dat schriftelijk?",
    ],
    "plain": [
        "Welke cookies plaatsen jullie precies?",
        "Hoe lang bewaren jullie klantgegevens?",
        "Waar worden jullie gegevens opgeslagen, in de EU?",
        "Kunnen jullie een verwerkersovereenkomst sturen voor ons bedrijf?",
        "Hebben jullie een lijst met subverwerkers?",
        "Wie is jullie functionaris gegevensbescherming?",
        "Zijn jullie ISO 27001 gecertificeerd?",
        "Gebruiken jullie trackingpixels in nieuwsbrieven?",
        "Op welke grondslag verwerken jullie gegevens van prospects?",
        "Worden wachtwoorden versleuteld opgeslagen?",
        "Welke beveiligingsmaatregelen nemen jullie voor de klantdata in het CRM?",
    ],
    "ctx": [
        "",
        "Ik vraag het uit interesse.",
        "Wij zijn klant en onze FG vraagt ernaar.",
        "Ik wil het alleen even weten, ik heb nu geen verzoek.",
        "Dit is voor onze leveranciersbeoordeling.",
        "Alvast bedankt voor de informatie.",
    ],
}
Q_EN = {
    "topic": [
        "an access request",
        "deleting personal data",
        "a correction request",
        "moving data to another provider",
        "objecting to marketing",
        "restricting processing",
    ],
    "ask": [
        "How does {t} work at your company?",
        "What is the procedure for {t}?",
        "How long does {t} usually take?",
        "Is there a fee for {t}?",
        "Where can I read about {t}?",
    ],
    "plain": [
        "Which cookies do you set?",
        "How long do you keep customer data?",
        "Is our data stored in the EU?",
        "Could you send us your data processing agreement?",
        "Do you have a list of sub-processors?",
        "Who is your Data Protection Officer?",
        "Are you ISO 27001 certified?",
        "Do you use tracking pixels in your newsletters?",
    ],
    "ctx": [
        "",
        "Just curious.",
        "We are a customer and our DPO asked.",
        "I'm not making a request, just asking.",
        "This is for our vendor assessment.",
    ],
}
O_NL = [
    "Ik kan niet inloggen op mijn account, het wachtwoord wordt niet geaccepteerd.",
    "Hoe exporteer ik de gegevens van mijn relaties naar Excel?",
    "Hoe verwijder ik een oude klant uit het CRM?",
    "Factuur {n} is te hoog, graag een creditnota.",
    "Uw account wordt binnen 24 uur geblokkeerd. Verifieer uw gegevens via de link.",
    "Wij willen graag een offerte voor {k} gebruikers.",
    "Hierbij solliciteer ik naar de functie van {job}. Mijn gegevens en cv zitten in de bijlage.",
    "Bij het importeren van klantgegevens krijg ik een foutmelding.",
    "Graag mijn abonnement opzeggen per einde van de maand.",
    "Kunnen jullie een extra gebruikersaccount toevoegen voor onze nieuwe collega?",
    "De synchronisatie met Outlook werkt niet meer sinds de update.",
    "Uw betaling voor factuur {n} is nog niet ontvangen.",
    "Nieuw in deze maand: verbeterde rapportages en een vernieuwde accountpagina. Afmelden? Klik hier.",
    "Wij bieden uw bedrijf een gratis SEO-scan aan.",
]
O_EN = [
    "I can't log in to my account, the password reset link has expired.",
    "How do I export my contacts to a CSV file?",
    "How do I remove a customer from the CRM?",
    "Invoice {n} is wrong, please send a credit note.",
    "Your account will be suspended. Verify your details using the link below.",
    "Could you send a quote for {k} users?",
    "I would like to apply for the {job} position. My CV is attached.",
    "The calendar sync stopped working after the update.",
    "Please cancel my subscription at the end of the month.",
    "We offer a free website audit for software companies.",
]
JOBS = ["developer", "tester", "accountmanager", "support medewerker", "privacy officer", "stagiair"]


def question_mail(rng: random.Random) -> Row:
    lang = "nl" if rng.random() < 0.68 else "en"
    pool = Q_NL if lang == "nl" else Q_EN
    parts = []
    if rng.random() < 0.5:
        parts.append(rng.choice(pool["ask"]).format(t=rng.choice(pool["topic"])))
    else:
        parts.append(rng.choice(pool["plain"]))
    if rng.random() < 0.3:
        parts.append(rng.choice(pool["plain"]))
    parts.append(rng.choice(pool["ctx"]))
    subj = rng.choice(
        ["Vraag", "Privacyvraag", "Vraag over privacy", "Informatie", "AVG vraag", ""]
        if lang == "nl"
        else ["Question", "Privacy question", "Quick question", ""]
    )
    subject, body = dress(subj, " ".join(p for p in parts if p), lang, rng, 0.05)
    return {"subject": subject, "body": body, "labels": ["question"], "lang": lang}


BULK_FOOTER = {
    "nl": [
        "U ontvangt deze e-mail omdat u zich heeft aangemeld voor onze nieuwsbrief. Afmelden? Klik hier.",
        "Wilt u deze berichten niet meer ontvangen? Pas uw voorkeuren aan of meld u af.",
        "Deze e-mail is verzonden aan {mail}. Uitschrijven | Voorkeuren | Privacy",
    ],
    "en": [
        "You are receiving this email because you subscribed to our updates. Unsubscribe here.",
        "Don't want these emails? Manage your preferences or unsubscribe.",
        "This email was sent to {mail}. Unsubscribe | Preferences | Privacy policy",
    ],
}
PROMOS = {
    "nl": [
        "Nieuw: {p} met slimme rapportages. Probeer het 30 dagen gratis.",
        "Alleen deze week: {k}% korting op alle licenties van {p}.",
        "Schrijf u in voor ons gratis webinar over {t} op {d}.",
        "In deze editie: klantverhalen, tips over {t} en het laatste nieuws over {p}.",
    ],
    "en": [
        "New: {p} with smart reports. Try it free for 30 days.",
        "This week only: {k}% off all {p} licences.",
        "Register for our free webinar on {t} on {d}.",
        "In this issue: customer stories, tips on {t} and the latest {p} news.",
    ],
}
PRODUCTS = ["CloudDesk", "PlanPro", "MailBoost", "FactuurSnel", "Boekhoud365", "HRlink"]
TOPICS = {
    "nl": ["AVG-proof mailen", "cybersecurity", "e-facturatie", "klantbeheer", "datalekken"],
    "en": ["GDPR-compliant email", "cyber security", "e-invoicing", "customer data", "backups"],
}


def bulk_mail(rng: random.Random) -> Row:
    """Third-party newsletters and promotions: other, even with 'unsubscribe' and 'gegevens'."""
    lang = "nl" if rng.random() < 0.65 else "en"
    fill = {
        "p": rng.choice(PRODUCTS),
        "k": rng.choice([10, 15, 20, 25]),
        "t": rng.choice(TOPICS[lang]),
        "d": rng.choice(DATES if lang == "nl" else EN_DATES),
    }
    lines = [rng.choice(PROMOS[lang]).format(**fill) for _ in range(rng.randint(1, 3))]
    lines.append(rng.choice(BULK_FOOTER[lang]).format(mail=f"{rng.choice(FIRST).lower()}@example.nl"))
    subj = rng.choice(
        ["Nieuwsbrief", "Nieuws van {p}", "Uitnodiging", "Aanbieding"]
        if lang == "nl"
        else ["Newsletter", "News from {p}", "Invitation", "Special offer"]
    ).format(**fill)
    return {"subject": subj, "body": "\n\n".join(lines) + "\n", "labels": ["other"], "lang": lang}


def other_mail(rng: random.Random) -> Row:
    lang = "nl" if rng.random() < 0.68 else "en"
    pool = O_NL if lang == "nl" else O_EN
    text = rng.choice(pool).format(n=rng.randint(1000, 99999), k=rng.randint(2, 40), job=rng.choice(JOBS))
    if rng.random() < 0.3:
        text += " " + rng.choice(pool).format(n=rng.randint(1000, 99999), k=3, job=rng.choice(JOBS))
    subj = rng.choice(
        ["Vraag", "Support", "Factuur", "Probleem met account", "Offerte", "Sollicitatie", "Belangrijk", ""]
        if lang == "nl"
        else ["Support", "Invoice", "Account issue", "Quote", "Application", "Important", ""]
    )
    subject, body = dress(subj, text, lang, rng, 0.05)
    return {"subject": subject, "body": body, "labels": ["other"], "lang": lang}


def generate(handwritten: list[Row], rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for obj in handwritten:
        labels = obj["labels"]
        n_var = 5 if len(obj["body"]) < 260 else 4
        if labels == ["auto"]:
            n_var = 3
        if len(obj["body"]) < 70 and labels != ["auto"]:
            # One-liners also arrive as a subject with an empty body.
            rows.append(
                {
                    "subject": obj["body"].strip(),
                    "body": "",
                    "labels": labels,
                    "lang": obj["lang"],
                    "group": obj["group"],
                }
            )
        for _ in range(n_var):
            subject, body = dress(obj["subject"], obj["body"], obj["lang"], rng, 0.08)
            rows.append(
                {
                    "subject": subject,
                    "body": body,
                    "labels": labels,
                    "lang": obj["lang"],
                    "group": obj["group"],
                }
            )
    rights = list(CLAUSES)
    for i in range(650):
        lang = "nl" if rng.random() < 0.72 else "en"
        k = 1 if rng.random() < 0.65 else rng.choice([2, 2, 3])
        chosen = sorted(rng.sample(rights, k), key=rights.index)
        reminder = rng.random() < 0.15
        row = formal_letter(rng, lang, chosen, reminder)
        row["group"] = f"letter{i % 60}"
        rows.append(row)
    for i in range(320):
        row = auto_mail(rng)
        row["group"] = f"auto{i % 40}"
        rows.append(row)
    for i in range(260):
        row = question_mail(rng)
        row["group"] = f"question{i % 40}"
        rows.append(row)
    for i in range(220):
        row = other_mail(rng)
        row["group"] = f"other{i % 40}"
        rows.append(row)
    for i in range(120):
        row = bulk_mail(rng)
        row["group"] = f"bulk{i % 30}"
        rows.append(row)
    for row in rows:
        row["labels"] = list(validate_labels(row["labels"]))
    return rows


def main() -> None:
    rng = random.Random(SEED)
    with (CORPUS / "handwritten.jsonl").open(encoding="utf-8") as fh:
        handwritten = [json.loads(line) for line in fh if line.strip()]
    rows = generate(handwritten, rng)
    with (CORPUS / "generated.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} generated examples")


if __name__ == "__main__":
    main()
