"""The run's setting in the article's words: the corpus's name and citation, and the number of words the
models can name. Made here rather than in article/index.md, so that its authors meet prose, not macros."""

from __future__ import annotations

# How the prose names a corpus and which entry of article/references.bib it cites (others: neither).
CORPUS_NAMES = {"brown": "the Brown corpus", "text8": "text8"}
CORPUS_CITATIONS = {"brown": "francis1979", "text8": "mahoney2006"}


def corpus_name(corpus: str) -> str:
    """`the Brown corpus`, `text8`, or `the <key> corpus` for a corpus the prose does not know."""
    return CORPUS_NAMES.get(corpus, f"the {corpus} corpus")


def corpus_cite(corpus: str) -> str:
    """The corpus's citation with the space before it (` [@francis1979]`), so that the prose can write
    `{{ corpus_name }}{{ corpus_cite }}` for every corpus; "" for a corpus without a reference."""
    key = CORPUS_CITATIONS.get(corpus)
    return f" [@{key}]" if key else ""


def setting_names(names: dict) -> dict:
    """The names of the setting in words (`corpus_name`, `corpus_cite`, `vocabulary`), from the article's
    `corpus` and `training`."""
    return {
        "corpus_name": corpus_name(names["corpus"]),
        "corpus_cite": corpus_cite(names["corpus"]),
        # the training's classes less <eos> and <unknown>: the words the models can name
        "vocabulary": names["training"]["vocab_size"] - 2,
    }
