"""Load the fitted model from the data folder, or train and store it when stale.

Why a content key: the model must change when, and only when, something that shapes
it changes: the corpus files, the staff corrections, the versions of scikit-learn,
numpy and scipy, or our own feature/training code. The key is a SHA-256 over all of
them; the file name carries it, so a stale model is simply never found. Writes go to
a temporary file and are renamed into place, so a crash or a second process never
sees half a model. Old model files are removed after a successful write.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn

from avgdesk.classifiers.contracts import Classifier, Example
from avgdesk.classifiers.model import FittedModel, train
from avgdesk.classifiers.trainingdata import (
    CORPUS_DIR,
    build_training_set,
    corpus_digest,
    read_corpus,
)

log = logging.getLogger(__name__)

MODEL_FORMAT = "2"
_CODE_MODULES = (
    "text.py",
    "features.py",
    "clauses.py",
    "model.py",
    "decision.py",
    "explain.py",
    "trainingdata.py",
    "labels.py",
    "doubt.py",  # the learned review flag is fitted in training and stored in the model
    "language.py",
)
_PREFIX = "classifier-"


def code_digest() -> str:
    """Hash of the modules that decide what the model learns."""
    h = hashlib.sha256(MODEL_FORMAT.encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_MODULES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def cache_key(extra: Sequence[Example], corpus_dir: Path = CORPUS_DIR) -> str:
    """The full cache key: corpus, corrections, library versions, our code."""
    h = hashlib.sha256()
    for part in (
        corpus_digest(extra, corpus_dir),
        code_digest(),
        sklearn.__version__,
        np.__version__,
        scipy.__version__,
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _as_example(item: Example | tuple[str, str, Sequence[str]]) -> Example:
    if isinstance(item, Example):
        return item
    subject, body, labels = item
    return Example(subject=subject, body=body, labels=tuple(labels))


def load_or_train(
    cache_dir: Path,
    extra_examples: Sequence[Example | tuple[str, str, Sequence[str]]] = (),
    progress: Callable[[str, float], None] | None = None,
    force: bool = False,
    corpus_dir: Path = CORPUS_DIR,
) -> Classifier:
    """Return the model for the current corpus and corrections, training if needed.

    `extra_examples` are staff corrections (Example or (subject, body, labels) tuples);
    they count twice in training. `progress(stage, fraction)` is called while training
    (see progress.rich_progress for a ready-made bar); `force` retrains even on a hit.
    """
    extra = [_as_example(item) for item in extra_examples]
    key = cache_key(extra, corpus_dir)
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{_PREFIX}{key[:24]}.joblib"
    if not force and (cached := _load_cached(target)) is not None:
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _training_lock(cache_dir):
        # Another process (worker, CLI, web) may have trained it while we waited for the lock.
        if not force and (cached := _load_cached(target)) is not None:
            return cached
        return _train_and_store(cache_dir, target, key, extra, progress, corpus_dir)


def _load_cached(target: Path) -> Classifier | None:
    if not target.exists():
        return None
    try:
        model = joblib.load(target)
        if isinstance(model, FittedModel):
            log.info("classifier loaded from cache %s", target.name)
            return model
    except Exception:  # a corrupt cache file is retrained, never fatal
        log.warning("classifier cache %s unreadable, retraining", target.name)
    return None


@contextmanager
def _training_lock(cache_dir: Path) -> Iterator[None]:
    """One training at a time per data folder, across processes: the worker, the CLI and
    the web UI starting together would otherwise each spend a minute on the same model.
    The kernel drops the lock when its holder dies, so a crash never leaves it stuck."""
    with open(cache_dir / ".training.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _train_and_store(
    cache_dir: Path,
    target: Path,
    key: str,
    extra: list[Example],
    progress: Callable[[str, float], None] | None,
    corpus_dir: Path,
) -> Classifier:
    log.info("training classifier (%d corrections)", len(extra))
    data = build_training_set(read_corpus(corpus_dir), extra)
    model = train(data, version=f"clf-{key[:12]}", progress=progress)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".joblib")
    os.close(fd)
    try:
        joblib.dump(model, tmp, compress=3)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in cache_dir.glob(f"{_PREFIX}*.joblib"):
        if old != target:
            old.unlink(missing_ok=True)
    log.info("classifier trained and stored as %s", target.name)
    return model
