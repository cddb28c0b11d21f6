"""Which mail must never be answered automatically, and which is machine-generated.

Two separate questions (engineering notes A.7, RFC 3834):

* ``never_auto_answer``: true for anything automatic *or* bulk — Auto-Submitted,
  Precedence, List-* headers, an empty Return-Path, mailer-daemon/postmaster, delivery
  reports, X-Autoreply, our own loop header or Message-ID domain. avgdesk sends no
  automatic acknowledgement to such mail: no loops.
* ``machine_reply``: the subset that is machine-generated — out-of-office, delivery
  reports and bounces, read receipts, ARF abuse reports, list-server notices. These get
  the label ``auto`` before the model sees them. Bulk and list mail (newsletters) is
  only ``never_auto_answer`` and labelled by its content like any other mail (the
  conventions in shared/eval/dev/README.md).

``machine_reply`` is decided in three steps: headers that alone decide (Auto-Submitted:
auto-replied, X-Autoreply, X-Failed-Recipients, a daemon sender or Return-Path, ``From:
<>``, our loop header); MIME structure only machines build (``multipart/report`` of any
report-type, a ``message/delivery-status``, ``message/disposition-notification`` or
``message/feedback-report`` part, bare or nested); then weaker evidence that counts only
together — a bounce or list-notice subject or text, confirmed by who sent it (list
server, null sender, bulk headers) or how it is built (a returned message attached), or
two kinds of text evidence. A subject only auto-responders write (``Automatic reply:``)
decides alone. Forwarded subjects (``Fwd:``) never count: a customer forwarding a bounce
is a person.

``X-Auto-Response-Suppress`` asks *us* not to auto-reply; it does not make the message
automatic itself (sisimai #491), so alone it only sets ``never_auto_answer``.

A third outcome, ``not_a_request``, names structure that shows a mail is no request to us
although a person may have written it: the receiving spam filter's verdict (``X-Spam-Flag:
YES``, ``X-Spam-Status: Yes``, ``X-Spam: yes``, Exchange SCL 5-9 or ``SFV:SPM``), and list
traffic not addressed to us (``List-Id``/``List-Post``/``Mailing-List``, ``Precedence:
list|bulk`` or a list server's ``Sender``, with none of our own domains in To or Cc: a post
to a discussion list we happen to receive). Such mail is labelled ``other`` before the
model sees it (:attr:`AutomaticVerdict.rule_label`), so no words in it open a case. A
newsletter addressed to us is *not* caught here (the model labels it, ``other`` by the
conventions), nor is a request sent to us in Bcc without list headers. Never for mail
from our contact form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from avgdesk.mailbox.parsing import ParsedMessage

LOOP_HEADER = "X-Avgdesk-Loop"
"""Carried by every mail avgdesk sends; mail that has it is ours coming back."""

_DAEMON = re.compile(
    r"^(mailer-?daemon|postmaster|post_master|mail-?daemon|mdaemon|no-?reply-?bounce|"
    r"mail\.?delivery\.?(system|subsystem)?)@",
    re.I,
)
# List servers and their owner/request addresses (RFC 2142, Mailman, Majordomo, LISTSERV, Sympa, fml).
_LIST_SERVER = re.compile(
    r"^(majordomo|listserv|sympa|mailman|ecartis|lyris|fml|listproc|[^@]*-(owner|request|bounces|admin)|"
    r"owner-[^@]*)@",
    re.I,
)
_OOO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matisch)?(e)? ?(reply|antwoord|response)|out of (the )?office|"
    r"afwezig|niet aanwezig|afwezigheidsbericht|abwesenheitsnotiz|autoreply|vacation)\b",
    re.I,
)
# Prefixes only mail clients and auto-responders write; a person does not start a subject so.
_OOO_PREFIX = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|automatisch antwoord|automatische reactie|"
    r"out of (the )?office( reply| autoreply)?|abwesenheitsnotiz|afwezigheidsbericht|"
    r"r\u00e9ponse automatique|respuesta autom\u00e1tica)\s*:",
    re.I,
)
_RECEIPT_SUBJECT = re.compile(r"^\s*(read|gelezen|gelesen|read receipt|leesbevestiging)\s*:", re.I)
_FORWARD = re.compile(r"^\s*(fwd?|wg|tr|doorst(uren)?|fw)\s*:", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(able|ed)|delivery status notification|returned mail|mail delivery (failed|warning)|"
    r"onbestelbaar|niet bezorgd|kan niet worden bezorgd|failure notice|delivery fail(ure|ed)|"
    r"non-?delivery|could not be delivered|user unknown|unzustellbar|delivery notification|"
    r"mail error|error during delivery|not delivered|loop alert)",
    re.I,
)
_LIST_NOTICE = re.compile(
    r"(not (a )?member|awaits moderator approval|held (for|until the list) moderat|"
    r"posting (to|by) non-?members?|subscription (request|confirmation)|unsubscribe confirmation|"
    r"your (message|mail) to \S+ (awaits|is being held))",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"(could not be delivered|could not deliver|delivery to the following recipient|"
    r"mail delivery (software|subsystem)|undeliverable|no such user|user unknown|unable to deliver|"
    r"failed permanently|permanent(ly)? fail|delivery has failed|has been postponed|"
    r"returned to (the )?sender|non-delivery report|delivery status notification|"
    r"message could not be|was not delivered|rejected your message|failed recipient|"
    r"mailbox unavailable|smtp error|"
    r"niet afgeleverd|kon niet worden afgeleverd|unzustellbar)",
    re.I,
)
# Parts that only machines produce (RFC 3464, 6533, 8098, 5965).
REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
    }
)
_RETURNED_PARTS = frozenset(
    {"message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"}
)
BODY_SAMPLE_CHARS = 2000
"""Only the start of the text is read for bounce phrases: a quoted original comes later."""


@dataclass(frozen=True)
class AutomaticVerdict:
    never_auto_answer: bool
    machine_reply: bool
    reasons: list[str] = field(default_factory=list)
    not_a_request: list[str] = field(default_factory=list)
    """Why the structure shows this is no request to us (spam verdict, list traffic)."""

    @property
    def rule_label(self) -> str | None:
        """The label the rules give before the model: ``auto`` for machine mail, ``other``
        for mail whose structure shows it is no request to us, else None (the model decides)."""
        if self.machine_reply:
            return "auto"
        return "other" if self.not_a_request else None


def judge(
    parsed: ParsedMessage,
    *,
    own_domains: Iterable[str] = (),
    loop_value: str = "avgdesk",
    from_form: bool = False,
) -> AutomaticVerdict:
    """Apply the structure and header rules; see the module docstring for the two outcomes."""
    reasons: list[str] = []
    machine: list[str] = []
    _header_rules(parsed, reasons, machine, loop_value)
    domains = {d.lower() for d in own_domains}
    # The website's contact form sends from our own domain on behalf of a customer.
    if not from_form and parsed.message_id and _in_domains(parsed.message_id.rpartition("@")[2], domains):
        reasons.append("Message-ID in our own domain")
    machine += _structure_rules(parsed)
    if not from_form:
        machine += _evidence_rules(parsed, reasons)
    # The form mail comes from our own domain and carries a customer's words: never judged so.
    not_request = [] if from_form else _not_a_request(parsed, domains)
    reasons += [r for r in machine + not_request if r not in reasons]
    return AutomaticVerdict(
        never_auto_answer=bool(reasons),
        machine_reply=bool(machine),
        reasons=reasons,
        not_a_request=not_request,
    )


# Spam verdicts of the receiving filter (SpamAssassin, Rspamd, MailScanner, Exchange Online).
_SPAM_YES = re.compile(r"^\s*(yes|true|spam)\b", re.I)
_SPAM_FLAGS = ("x-spam-flag", "x-spam-status", "x-spam")
_SCL_SPAM = 5
"""Exchange's spam confidence level from which it files mail as junk (-1 to 9)."""
_LIST_HEADERS = ("list-id", "list-post", "mailing-list")


def _not_a_request(parsed: ParsedMessage, domains: set[str]) -> list[str]:
    """Structure that shows the mail is no request to us (module docstring, third outcome)."""
    found = _spam_verdict(parsed.headers)
    if domains and _list_traffic(parsed.headers):
        addressed = [a.rpartition("@")[2].lower() for a in parsed.to_addrs + parsed.cc_addrs]
        if not any(_in_domains(domain, domains) for domain in addressed):
            # A post to a list we receive: nobody asks us for anything there.
            found.append("list mail not addressed to us")
    return found


def _spam_verdict(h: Mapping[str, str]) -> list[str]:
    """The receiving spam filter said spam (a filter's "No" or a bare score is not a verdict)."""
    found = [f"{name}: spam" for name in _SPAM_FLAGS if _SPAM_YES.match(h.get(name, ""))]
    scl = h.get("x-ms-exchange-organization-scl", "").strip()
    if scl.isdigit() and int(scl) >= _SCL_SPAM:
        found.append(f"Exchange spam confidence {scl}")
    if "sfv:spm" in h.get("x-forefront-antispam-report", "").lower().replace(" ", ""):
        found.append("Exchange spam verdict SFV:SPM")
    return found


def _list_traffic(h: Mapping[str, str]) -> bool:
    """List headers, list or bulk precedence, or a list server as Sender."""
    if any(name in h for name in _LIST_HEADERS):
        return True
    return h.get("precedence", "").strip().lower() in {"list", "bulk"} or bool(
        _LIST_SERVER.match(h.get("sender", ""))
    )


def _header_rules(parsed: ParsedMessage, reasons: list[str], machine: list[str], loop_value: str) -> None:
    """Headers that alone decide: ``reasons`` (never auto-answer), ``machine`` (label auto)."""
    _auto_headers(parsed.headers, reasons, machine)
    _sender_rules(parsed, reasons, machine)
    _loop_and_ack_headers(parsed.headers, reasons, machine, loop_value)


def _auto_headers(h: Mapping[str, str], reasons: list[str], machine: list[str]) -> None:
    """Auto-Submitted, Precedence, mailing-list headers and an empty Return-Path."""
    auto_submitted = h.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto_submitted[:40]}")
        if auto_submitted.startswith("auto-replied"):
            machine.append("Auto-Submitted: auto-replied")
    precedence = h.get("precedence", "").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        reasons.append(f"Precedence: {precedence}")
    if precedence == "auto_reply":
        machine.append("Precedence: auto_reply")
    for name in ("list-id", "list-unsubscribe", "list-post", "list-help"):
        if name in h:
            reasons.append(f"{name} header")
            break
    if "return-path" in h and h["return-path"].strip() in {"<>", ""}:
        reasons.append("empty Return-Path")


def _sender_rules(parsed: ParsedMessage, reasons: list[str], machine: list[str]) -> None:
    """A missing or invalid From, and daemon senders (From or Return-Path)."""
    sender = parsed.from_addr or parsed.from_addr_raw or ""
    if not sender:
        reasons.append("no From address")
    elif parsed.from_addr is None:
        # Shown as unverified; nothing is ever written to it automatically.
        reasons.append(f"From address not valid ({parsed.from_problem or 'refused'})")
    if _DAEMON.match(sender):
        machine.append("sent by mailer-daemon/postmaster")
    if parsed.from_problem == "empty address":
        machine.append("From: <> (null sender)")
    if _DAEMON.match(_angle(parsed.headers.get("return-path", ""))):
        machine.append("Return-Path of mailer-daemon")


def _loop_and_ack_headers(
    h: Mapping[str, str], reasons: list[str], machine: list[str], loop_value: str
) -> None:
    """Autoresponder headers, our own loop header, and requests not to be answered."""
    for name in ("x-autoreply", "x-autorespond", "x-failed-recipients"):
        if name in h:
            machine.append(f"{name} header")
    if h.get("x-loop", "").strip().lower() == loop_value.lower() or "x-avgdesk-loop" in h:
        machine.append("our own loop header")
    if h.get("x-ack", "").strip().lower() == "no" or "x-no-ack" in h:
        reasons.append("X-Ack: no")
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(token in suppress for token in ("all", "autoreply", "oof")):
        reasons.append("X-Auto-Response-Suppress")


def _structure_rules(parsed: ParsedMessage) -> list[str]:
    """MIME structure only machines produce: reports, bare delivery/disposition parts."""
    found: list[str] = []
    if parsed.content_type == "multipart/report":
        found.append(f"multipart/report; report-type={parsed.report_type or '?'}")
    report_parts = sorted(set(parsed.part_types[:50]) & REPORT_PARTS)
    if report_parts:
        found.append(f"{report_parts[0]} part")
    return found


def _evidence_rules(parsed: ParsedMessage, reasons: list[str]) -> list[str]:
    """Weaker signals that count only together: what a subject or text says, confirmed by
    who sent it or how it is built — or two kinds of text evidence. A person forwarding
    a bounce ("Fwd: Undelivered Mail") is never judged by the forwarded subject."""
    subject = parsed.subject or ""
    if _OOO_PREFIX.match(subject):
        return ["auto-reply subject"]
    forwarded = bool(_FORWARD.match(subject))
    sample = (parsed.text or "")[:BODY_SAMPLE_CHARS]
    sender = parsed.from_addr or parsed.from_addr_raw or ""
    envelope = [r for r in reasons if not r.startswith(("Message-ID", "From address not valid"))]
    if set(parsed.part_types[:50]) & _RETURNED_PARTS:
        envelope.append("returned message attached")
    if _LIST_SERVER.match(sender) or _LIST_SERVER.match(parsed.headers.get("sender", "")):
        envelope.append("list-server sender")
    bounce_subject = not forwarded and bool(_BOUNCE_SUBJECT.search(subject))
    list_notice = not forwarded and (bool(_LIST_NOTICE.search(subject)) or _list_notice_in(sample))
    ooo_subject = bool(reasons) and bool(_OOO_SUBJECT.search(subject))
    receipt_subject = bool(_RECEIPT_SUBJECT.search(subject))
    if not (envelope or bounce_subject or list_notice or ooo_subject or receipt_subject):
        # Only the bounce text could be left: one kind of text evidence never counts
        # alone, so the costly body search (most of judge's time on ordinary mail) is skipped.
        return []
    content: list[str] = []
    if bounce_subject:
        content.append("bounce subject")
    if list_notice:
        content.append("list-server notice")
    if _BOUNCE_BODY.search(sample):
        content.append("bounce text")
    if ooo_subject:
        content.append("out-of-office subject")
    if receipt_subject:
        content.append("read-receipt subject")
    if content and (envelope or len(content) >= 2):
        return content
    return []


# Every alternative of _LIST_NOTICE contains one of these words. Case-folded as re.I
# matches: str.lower() plus the two letters it leaves alone ("ı" matches i, "ſ" matches s);
# "İ" lowers to "i" + a combining dot, and no word has an "i" before another letter.
_LIST_NOTICE_WORDS = ("member", "moderat", "subscr", "your")


def _has_list_notice_word(text: str) -> bool:
    folded = text.lower().replace("\u0131", "i").replace("\u017f", "s")
    return any(word in folded for word in _LIST_NOTICE_WORDS)


def _list_notice_in(text: str) -> bool:
    """``_LIST_NOTICE.search(text)``, with a cheap look for its words first: the regex
    alone costs ~100 µs on a 2,000-character sample, the look ~3 µs."""
    return _has_list_notice_word(text) and _LIST_NOTICE.search(text) is not None


def _angle(value: str) -> str:
    value = value.strip()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def _in_domains(domain: str, domains: set[str]) -> bool:
    """``web01.nhmbsoftware.nl`` is in ``nhmbsoftware.nl``."""
    return any(domain == d or domain.endswith("." + d) for d in domains)
