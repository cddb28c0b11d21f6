from __future__ import annotations

from pathlib import Path

from avgdesk.classifiers import Document, Example, load_or_train


def _load(cache: Path, corpus: Path, **kw: object) -> tuple[str, bool]:
    stages: list[str] = []
    clf = load_or_train(cache, progress=lambda s, f: stages.append(s), corpus_dir=corpus, **kw)  # type: ignore[arg-type]
    return clf.version, bool(stages)


def test_cache_hit_stale_and_force(tiny_corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, trained = _load(cache, tiny_corpus)
    assert trained
    assert len(list(cache.glob("classifier-*.joblib"))) == 1
    v2, trained = _load(cache, tiny_corpus)
    assert (v2, trained) == (v1, False)  # hit

    extra = [Example("adres", "Mijn nieuwe adres is Dorpsstraat 1.", ("rectification",))]
    v3, trained = _load(cache, tiny_corpus, extra_examples=extra)
    assert trained and v3 != v1  # corrections make the model stale
    assert len(list(cache.glob("classifier-*.joblib"))) == 1  # old file cleaned up

    v4, trained = _load(cache, tiny_corpus, extra_examples=extra, force=True)
    assert trained and v4 == v3

    # an edited corpus file is a new model
    with (tiny_corpus / "tiny.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"subject": "s", "body": "stop met mailen", "labels": ["objection"]}\n')
    v5, trained = _load(cache, tiny_corpus, extra_examples=extra)
    assert trained and v5 != v3


def test_corrupt_cache_file_is_retrained(tiny_corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, _ = _load(cache, tiny_corpus)
    for f in cache.glob("classifier-*.joblib"):
        f.write_bytes(b"not a model")
    v2, trained = _load(cache, tiny_corpus)
    assert trained and v2 == v1


def test_corrections_join_training(tiny_corpus: Path, tmp_path: Path) -> None:
    texts = [
        "Mijn nieuwe adres is Kerkstraat 4, graag aanpassen in jullie administratie.",
        "Graag mijn adres aanpassen, ik ben verhuisd naar de Molenweg.",
        "Mijn achternaam is verkeerd gespeld, graag corrigeren.",
        "Mijn telefoonnummer is veranderd, graag aanpassen.",
        "Adres wijzigen graag, nieuw adres volgt hieronder.",
    ]
    extra = [Example("adreswijziging", text, ("rectification",)) for text in texts]
    clf = load_or_train(tmp_path / "c", extra_examples=extra, corpus_dir=tiny_corpus)
    pred = clf.predict([Document("adreswijziging", "Graag mijn adres aanpassen in jullie administratie.")])[0]
    assert "rectification" in pred.labels, pred


def test_tuple_corrections_and_rich_progress(tiny_corpus: Path, tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from avgdesk.classifiers.progress import rich_progress

    out = StringIO()
    with rich_progress(Console(file=out, width=100)) as callback:
        clf = load_or_train(
            tmp_path / "c",
            extra_examples=[("adres", "Nieuw adres: Kerkstraat 1, Duiven.", ["rectification"])],
            progress=callback,
            corpus_dir=tiny_corpus,
        )
    assert "training classifier" in out.getvalue()
    as_example = [Example("adres", "Nieuw adres: Kerkstraat 1, Duiven.", ("rectification",))]
    same = load_or_train(tmp_path / "c", extra_examples=as_example, corpus_dir=tiny_corpus)
    assert same.version == clf.version
