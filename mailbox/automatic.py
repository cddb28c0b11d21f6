"""Which mail must never be answered automatically, and which is machine-generated.

Two separate questions (engineering notes A.7, RFC 3834):

* ``never_auto_answer``: true for anything automatic *or* bulk — Auto-Submitted,
  Precedence, List-* headers, an empty Return-Path, mailer-daemon/postmaster, delivery
  reports, X-Autoreply, our own loop header or Message-ID domain. avgdesk sends no
  automatic acknowledgement to such mail: no loops.
* ``machine_reply``: the subset that is a machine-generated *reply* — out-of-office,
  delivery reports and bounces, read receipts, ticket auto-acknowledgements. These get
  the label ``auto``. Bulk and list mail (newsletters) is labelled by its content like
  any other mail (the conventions in shared/eval/dev/README.md).

``X-Auto-Response-Suppress`` asks *us* not to auto-reply; it does not make the message
automatic itself (sisimai #491), so it only sets ``never_auto_answer``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from avgdesk.mailbox.parsing import ParsedMessage

LOOP_HEADER = "X-Avgdesk-Loop"
"""Carried by every mail avgdesk sends; mail that has it is ours coming back."""

_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|no-?reply-?bounce)@", re.I)
_OOO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matisch)?(e)? ?(reply|antwoord|response)|out of (the )?office|"
    r"afwezig|niet aanwezig|afwezigheidsbericht|abwesenheitsnotiz|autoreply|vacation)\b",
    re.I,
)
_RECEIPT_SUBJECT = re.compile(r"^\s*(read|gelezen|gelesen|read receipt|leesbevestiging)\s*:", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(able|ed)|delivery status notification|returned mail|mail delivery failed|"
    r"onbestelbaar|niet bezorgd|kan niet worden bezorgd|failure notice|delivery failure)",
    re.I,
)


@dataclass(frozen=True)
class AutomaticVerdict:
    never_auto_answer: bool
    machine_reply: bool
    reasons: list[str] = field(default_factory=list)


def judge(
    parsed: ParsedMessage,
    *,
    own_domains: Iterable[str] = (),
    loop_value: str = "avgdesk",
    from_form: bool = False,
) -> AutomaticVerdict:
    """Apply the header rules; see the module docstring for the two outcomes."""
    h = parsed.headers
    reasons: list[str] = []
    reply_reasons: list[str] = []

    auto_submitted = h.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto_submitted[:40]}")
        if auto_submitted.startswith("auto-replied"):
            reply_reasons.append("Auto-Submitted: auto-replied")
    precedence = h.get("precedence", "").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        reasons.append(f"Precedence: {precedence}")
    if precedence == "auto_reply":
        reasons.append("Precedence: auto_reply")
        reply_reasons.append("Precedence: auto_reply")
    for name in ("list-id", "list-unsubscribe", "list-post", "list-help"):
        if name in h:
            reasons.append(f"{name} header")
            break
    if "return-path" in h and h["return-path"].strip() in {"<>", ""}:
        reasons.append("empty Return-Path")
    sender = parsed.from_addr or ""
    if not sender:
        reasons.append("no From address")
    elif _DAEMON.match(sender):
        reasons.append("sent by mailer-daemon/postmaster")
        reply_reasons.append("mailer-daemon/postmaster")
    if parsed.report_type:
        reasons.append(f"multipart/report; report-type={parsed.report_type}")
        reply_reasons.append(f"report-type={parsed.report_type}")
    for name in ("x-autoreply", "x-autorespond"):
        if name in h:
            reasons.append(f"{name} header")
            reply_reasons.append(f"{name} header")
    if "x-failed-recipients" in h:
        reasons.append("X-Failed-Recipients header")
        reply_reasons.append("X-Failed-Recipients header")
    if h.get("x-loop", "").strip().lower() == loop_value.lower() or "x-avgdesk-loop" in h:
        reasons.append("our own loop header")
        reply_reasons.append("our own loop header")
    domains = {d.lower() for d in own_domains}
    # The website's contact form sends from our own domain on behalf of a customer.
    if not from_form and parsed.message_id and _in_domains(parsed.message_id.rpartition("@")[2], domains):
        reasons.append("Message-ID in our own domain")
    if h.get("x-ack", "").strip().lower() == "no" or "x-no-ack" in h:
        reasons.append("X-Ack: no")
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(token in suppress for token in ("all", "autoreply", "oof")):
        reasons.append("X-Auto-Response-Suppress")

    # Subject evidence only strengthens header evidence of a machine reply, except for
    # the unmistakable bounce and read-receipt subjects from daemons and clients.
    subject = parsed.subject or ""
    if reasons and _OOO_SUBJECT.search(subject):
        reply_reasons.append("out-of-office subject")
    if _RECEIPT_SUBJECT.search(subject) and (
        "disposition-notification" in (parsed.report_type or "") or reasons
    ):
        reply_reasons.append("read-receipt subject")
    if _BOUNCE_SUBJECT.search(subject) and reasons:
        reply_reasons.append("bounce subject")

    verdict = AutomaticVerdict(
        never_auto_answer=bool(reasons),
        machine_reply=bool(reply_reasons),
        reasons=reasons + [r for r in reply_reasons if r not in reasons],
    )
    return verdict


def _in_domains(domain: str, domains: set[str]) -> bool:
    """``web01.nhmbsoftware.nl`` is in ``nhmbsoftware.nl``."""
    return any(domain == d or domain.endswith("." + d) for d in domains)
