"""A Rich progress bar for `avgdesk train`, speaking the classifier's progress protocol.

Why here: training reports `(stage, fraction)` through a plain callback so the library
has no UI dependency in its core; this adapter turns those calls into one Rich bar
for the CLI. Rich is already a project dependency (Typer uses it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

ProgressCallback = Callable[[str, float], None]


@contextmanager
def rich_progress(console: Console | None = None) -> Iterator[ProgressCallback]:
    """Yield a progress callback that drives a Rich progress bar until the block ends.

    Usage: ``with rich_progress() as cb: load_or_train(data_dir, progress=cb, force=True)``
    """
    columns = (
        TextColumn("[bold]training classifier[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("", total=1.0)

        def callback(stage: str, fraction: float) -> None:
            done = 1.0 if stage == "done" else min(max(fraction, 0.0), 1.0)
            bar.update(task, description=stage, completed=done)

        yield callback
        bar.update(task, description="done", completed=1.0)
