"""The CPU part of processing: parse one stored message and classify a batch.

Pure functions of the raw bytes (no database, no network), so the worker can run them in
a child process it may kill (:mod:`avgdesk.triage.worker.isolation`) while tests and the
web's contact form run them inline. Results are plain data: the column values to set on
the :class:`InboundMessage`, the attachment list and the text the classifier read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from avgdesk.mailbox.contact_form import is_form_sender
from avgdesk.mailbox.parsing import AttachmentInfo, ParseLimits
from avgdesk.mailbox.sanitize import sanitize_html
from avgdesk.models.errors import MessageParseError
from avgdesk.triage.intake.reading import read_message
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier


RULES_VERSION = "header-rules"
"""``model_version`` of a message labelled by the structure and header rules, not the model."""


@dataclass(frozen=True)
class Job:
    pk: int
    raw: bytes | None
    truncated_reason: str | None = None


@dataclass
class Analysis:
    pk: int
    fields: dict[str, Any] = field(default_factory=dict)
    """Column values for the message (parsed fields, verdict, labels)."""
    attachments: list[AttachmentInfo] = field(default_factory=list)
    subject_for_model: str = ""
    text_for_model: str = ""
    error: str | None = None
    timed_out: bool = False
    """The child was killed over this message: quarantine it at once."""


class Analyser(Protocol):
    """Parses and classifies a batch; never raises for one message's fault.

    One batch at a time is in flight: ``submit`` hands it over, ``collect`` returns its
    results (waiting for them), ``cancel`` abandons it. A ``background`` analyser works on
    a submitted batch while the caller does something else (issue 16: the drain writes the
    previous batch meanwhile); an inline one does the work in ``collect``."""

    background: bool

    def submit(self, jobs: Sequence[Job]) -> None: ...
    def collect(self) -> list[Analysis]: ...
    def cancel(self) -> None: ...
    def analyse(self, jobs: Sequence[Job]) -> list[Analysis]:
        """Submit, then collect: one batch, start to end."""
        ...

    def close(self) -> None: ...


def describe(exc: BaseException) -> str:
    """Type and message of an error, bounded; never message content by construction."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def parse_one(job: Job, settings: Settings, limits: ParseLimits) -> Analysis:
    result = Analysis(job.pk)
    try:
        _parse(job, settings, limits, result)
    except Exception as exc:
        result.error = describe(exc)
    return result


def _parse(job: Job, settings: Settings, limits: ParseLimits, out: Analysis) -> None:
    if job.raw is None:
        raise MessageParseError("raw bytes missing")
    read = read_message(job.raw, settings, limits)
    parsed = read.parsed
    defects = parsed.defects[:50]
    if job.truncated_reason:
        defects = [*defects, "header-only record (size limit)"]
    if is_form_sender(parsed.from_addr, settings.form_senders) and read.form is None:
        defects = [*defects, "form mail without a readable e-mail address"]
    verdict = read.verdict
    out.fields.update(
        subject=parsed.subject,
        from_addr=parsed.from_addr,
        from_name=parsed.from_name,
        to_addrs=parsed.to_addrs,
        cc_addrs=parsed.cc_addrs,
        date_header=parsed.date,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        headers=parsed.headers,
        text=parsed.text,
        html=parsed.html,
        # Sanitised once, here (in the killable child, with caps): the case page only shows it.
        html_safe=sanitize_html(parsed.html) if parsed.html else None,
        defects=defects,
        via_form=read.form is not None,
        requester_email=read.requester_email,
        requester_name=read.requester_name,
        is_automatic=verdict.never_auto_answer,
        automatic_reasons=verdict.reasons,
    )
    label = verdict.rule_label
    if label is not None:
        # Machine mail (auto), spam or list traffic (other): the model never sees it.
        reasons = verdict.reasons if label == "auto" else verdict.not_a_request
        out.fields.update(
            labels=[label],
            scores={label: 1.0},
            explanations={label: reasons[:5]},
            needs_review=False,
            model_version=RULES_VERSION,
        )
    out.attachments = list(parsed.attachments)
    out.subject_for_model = read.subject_for_model
    out.text_for_model = read.text_for_model


def classify(items: Sequence[Analysis], classifier: Classifier | None, truncated: set[int]) -> None:
    """Label the parsed items in one classifier call (``truncated``: pks of header-only
    records, which always need review). A classifier failure marks the items failed."""
    ok = [a for a in items if a.error is None]
    todo = [a for a in ok if a.fields.get("model_version") != RULES_VERSION]
    if todo and classifier is None:
        for a in todo:
            a.fields["needs_review"] = True
    elif todo:
        from avgdesk.classifiers import Document

        try:
            predictions = classifier.predict(  # type: ignore[union-attr]
                [Document(subject=a.subject_for_model, text=a.text_for_model) for a in todo]
            )
        except Exception as exc:
            for a in todo:
                a.error = f"classifier failed: {describe(exc)}"
            return
        for a, p in zip(todo, predictions, strict=True):
            a.fields.update(
                labels=list(p.labels),
                scores={k: round(float(v), 4) for k, v in p.scores.items()},
                explanations={k: list(v)[:8] for k, v in p.explanations.items()},
                needs_review=bool(p.needs_review) or a.pk in truncated,
                runner_up={"label": p.runner_up[0], "score": p.runner_up[1]} if p.runner_up else None,
                model_version=p.model_version,
                language=p.language,
            )
    _fill_language(ok)


def _fill_language(items: Sequence[Analysis]) -> None:
    missing = [a for a in items if a.fields.get("language") is None]
    if not missing:
        return
    from avgdesk.classifiers import detect_language

    for a in missing:
        a.fields["language"] = detect_language(f"{a.subject_for_model}\n{a.text_for_model}")


class InlineAnalyser:
    """In this process: for tests, ``run --once`` fallbacks and the web's contact form."""

    background = False
    """Nothing runs between submit and collect: the drain stays sequential with it."""

    def __init__(self, settings: Settings, limits: ParseLimits, classifier: Classifier | None) -> None:
        self.settings = settings
        self.limits = limits
        self.classifier = classifier
        self._submitted: list[Job] = []

    def submit(self, jobs: Sequence[Job]) -> None:
        self._submitted = list(jobs)

    def collect(self) -> list[Analysis]:
        jobs, self._submitted = self._submitted, []
        return self.analyse(jobs)

    def cancel(self) -> None:
        self._submitted = []

    def analyse(self, jobs: Sequence[Job]) -> list[Analysis]:
        results = [parse_one(job, self.settings, self.limits) for job in jobs]
        classify(results, self.classifier, {j.pk for j in jobs if j.truncated_reason})
        return results

    def close(self) -> None:
        return None
