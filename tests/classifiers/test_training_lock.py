"""Issue 14 item 4: one training at a time per data folder. Two callers that miss the cache
together train once; the second waits for the lock and then loads what the first stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from avgdesk.classifiers import cache


def test_two_callers_train_once(tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trained: list[str] = []
    model = object()

    def fake_train(cache_dir: Path, target: Path, *args: Any) -> Any:
        trained.append(threading.current_thread().name)
        time.sleep(0.5)  # the other caller arrives while this one holds the lock
        target.write_bytes(b"model")
        return model

    def fake_load(target: Path) -> Any:
        return model if target.exists() else None

    monkeypatch.setattr(cache, "_train_and_store", fake_train)
    monkeypatch.setattr(cache, "_load_cached", fake_load)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.load_or_train(tmp_path, corpus_dir=tiny_corpus)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [model, model]
    assert len(trained) == 1, trained
