"""``avgdesk classify``, ``avgdesk eval`` and ``avgdesk train``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from avgdesk.models.errors import MessageParseError
from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from avgdesk.triage.runtime import Runtime

#: What a first training costs, as measured on a 2-core machine under load (issue 14).
TRAINING_ESTIMATE = "20-60 s on 2 cores"


def _app(ctx: typer.Context) -> Runtime:
    # Imported here: 'avgdesk classify --help' needs neither SQLAlchemy nor the mail parser.
    from avgdesk.triage.runtime import open_runtime

    return open_runtime(settings_of(ctx))


@contextmanager
def first_training_notice(where: Path) -> Iterator[Callable[[str, float], None]]:
    """A progress callback that says, on stderr and only if a training starts, what is
    happening and that it happens once: the package ships no model (it is built from the
    corpus on this machine), so the first classification anywhere trains for a while."""
    stack = ExitStack()
    bar: Callable[[str, float], None] | None = None

    def callback(stage: str, fraction: float) -> None:
        nonlocal bar
        if bar is None:
            from rich.console import Console

            from avgdesk.classifiers.progress import rich_progress

            typer.echo(
                f"Training the classifier once (about {TRAINING_ESTIMATE}); it is cached in {where} "
                "and later runs load it in about a second.",
                err=True,
            )
            bar = stack.enter_context(rich_progress(Console(stderr=True)))
        bar(stage, fraction)

    with stack:
        yield callback


def classify_files(app: Runtime, files: list[Path]) -> list[dict[str, Any]]:
    """Classify .eml files exactly as the worker would (header rules first)."""
    from avgdesk.classifiers import Document
    from avgdesk.triage.intake.reading import read_message
    from avgdesk.triage.intake.training import model_folder

    with first_training_notice(model_folder(app.settings, app.engine)) as progress:
        classifier = app.classifier(progress)
    assert classifier is not None
    results: list[dict[str, Any]] = []
    pending: list[tuple[int, Document]] = []
    for path in files:
        entry: dict[str, Any] = {"file": str(path)}
        results.append(entry)
        try:
            read = read_message(path.read_bytes(), app.settings)
        except OSError as exc:
            entry.update(
                error=f"cannot read: {exc.strerror}", labels=[], scores={}, needs_review=True, language=None
            )
            continue
        except MessageParseError as exc:
            entry.update(error=str(exc), labels=[], scores={}, needs_review=True, language=None)
            continue
        label = read.verdict.rule_label
        if label is not None:
            from avgdesk.classifiers import detect_language

            entry.update(
                labels=[label],
                scores={label: 1.0},
                needs_review=False,
                language=detect_language(f"{read.subject_for_model}\n{read.text_for_model}"),
                explanations={label: read.verdict.reasons},
            )
            continue
        pending.append((len(results) - 1, Document(subject=read.subject_for_model, text=read.text_for_model)))
    if pending:
        predictions = classifier.predict([doc for _, doc in pending])
        for (index, _), p in zip(pending, predictions, strict=True):
            results[index].update(
                labels=list(p.labels),
                scores={k: round(float(v), 4) for k, v in p.scores.items()},
                needs_review=bool(p.needs_review),
                language=p.language,
                explanations={k: list(v) for k, v in p.explanations.items()},
            )
    return results


def classify_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help=".eml files", exists=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Labels, scores, review flag and language for each message file."""
    missing = [path for path in files if not path.is_file()]
    if missing:
        # Before the model loads: a typo must not cost a minute of training.
        typer.echo(f"error: file not found: {', '.join(str(p) for p in missing)}", err=True)
        raise typer.Exit(2)
    results = classify_files(_app(ctx), files)
    failed = False
    for r in results:
        failed = failed or "error" in r
        if as_json:
            keys = ("file", "labels", "scores", "needs_review", "language", "explanations", "error")
            typer.echo(json.dumps({k: r[k] for k in keys if k in r}, ensure_ascii=False))
        elif "error" in r:
            typer.echo(f"{r['file']}: error: {r['error']}", err=True)
        else:
            review = "  (needs review)" if r["needs_review"] else ""
            top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["scores"].items(), key=lambda kv: -kv[1])[:3])
            typer.echo(f"{r['file']}: {', '.join(r['labels'])}  [{r['language']}]{review}   {top}")
    if failed:
        raise typer.Exit(1)


def _read_gold(directory: Path) -> list[tuple[str, list[str]]]:
    """The gold labels of ``directory/labels.jsonl``; exit 2 on a bad or incomplete folder."""
    labels_file = directory / "labels.jsonl"
    if not labels_file.is_file():
        typer.echo(f"error: {labels_file} not found", err=True)
        raise typer.Exit(2)
    gold: list[tuple[str, list[str]]] = []
    for n, line in enumerate(labels_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold.append((str(row["file"]), [str(label) for label in row["labels"]]))
        except (ValueError, KeyError, TypeError) as exc:
            typer.echo(f"error: {labels_file}:{n}: not a {{file, labels}} object ({exc})", err=True)
            raise typer.Exit(2) from exc
    missing = [name for name, _ in gold if not (directory / name).is_file()]
    if missing:
        typer.echo(
            f"error: {len(missing)} file(s) named in labels.jsonl are missing, e.g. {missing[0]}", err=True
        )
        raise typer.Exit(2)
    return gold


def eval_command(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="A folder with labels.jsonl and the .eml files it names.")
    ],
    min_macro_f1: Annotated[
        float | None, typer.Option("--min-macro-f1", help="Exit 1 when macro-F1 is below this.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Per-label precision/recall/F1, macro-F1, request recall and the confusions."""
    from avgdesk.classifiers import Prediction, evaluate, format_report

    gold = _read_gold(directory)
    results = classify_files(_app(ctx), [directory / name for name, _ in gold])
    predicted = []
    for (name, _), r in zip(gold, results, strict=True):
        predicted.append(
            (
                name,
                Prediction(
                    labels=r["labels"],
                    scores=r["scores"],
                    needs_review=r["needs_review"],
                    language=r["language"] or "nl",
                    explanations={},
                    model_version="",
                ),
            )
        )
    report = evaluate(gold, predicted)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), default=str))
    else:
        typer.echo(format_report(report))
    if min_macro_f1 is not None and report.macro_f1 < min_macro_f1:
        typer.echo(f"macro-F1 {report.macro_f1:.3f} is below {min_macro_f1}", err=True)
        raise typer.Exit(1)


def train_command(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force/--if-stale", help="Retrain even when the cache is current.")
    ] = True,
) -> None:
    """Train the classifier on the corpus and the staff corrections (cached in the data folder)."""
    from avgdesk.classifiers.progress import rich_progress
    from avgdesk.triage.intake.training import corrections, load_classifier

    app = _app(ctx)
    n = len(corrections(app.engine))
    with rich_progress() as progress:
        model = load_classifier(app.settings, app.engine, force=force, progress=progress)
    typer.echo(f"model {model.version} ready ({n} staff correction(s) included)")
