"""The run's setting in the article's words: the corpus's name and citation, and each way the run differs
from the original's recipe as a phrase. Made here rather than in article/index.md, so that the Markdown
says `{{ all_differences }}` where it names them and its authors meet prose, not macros."""

from __future__ import annotations

from collections.abc import Sequence

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


def difference_phrase(fact: str, names: dict) -> str:
    """How the run differs from the original in `fact` (a key of `same`), as `ours instead of theirs`.

    `names` holds the article's names this needs: `corpus_name`, `original`, `model_list`, `training`
    (with its `recipe` in words), `vocabulary` and `evaluation`.
    """
    original = names["original"]
    training = names["training"]
    if fact == "corpus":
        return f"{names['corpus_name']} instead of {original['corpus']}"
    if fact == "sizes":
        ours = (
            f"models of {names['model_list'][0]['units']} units with an embedding of {training['embedding']}"
            f" and {names['vocabulary']:,} words"
        )
        theirs = f"{original['units']} units, {original['embedding']} and {original['vocabulary']:,} words"
        return f"{ours} instead of {theirs}"
    if fact == "training":
        theirs = f"{original['steps']:,} steps of {original['batch_size']}"
        return f"{training['recipe']} instead of {theirs} at a constant {original['learning_rate']}"
    if fact == "init":
        return "PyTorch's default initial weights instead of the original's"
    if fact == "test":
        observations = names["evaluation"].get("observations")
        if observations is None:
            return "part of the test split instead of all of them"
        return f"the first {observations:,} test observations instead of all of them"
    raise ValueError(f"no phrase for the difference {fact!r}")


def join_differences(phrases: Sequence[str]) -> str:
    """`a`, `a and b`, `a; b; and c`: the phrases hold commas of their own, so three or more are parted by
    semicolons, with one before the final `and` too."""
    if len(phrases) < 3:
        return " and ".join(phrases)
    return "; ".join(phrases[:-1]) + "; and " + phrases[-1]


def setting_names(names: dict) -> dict:
    """The names of the setting in words, from the article's names (`corpus`, `training`, `differences`
    and what `difference_phrase` reads, but `corpus_name` and `vocabulary`, which this makes)."""
    words = {
        "corpus_name": corpus_name(names["corpus"]),
        "corpus_cite": corpus_cite(names["corpus"]),
        # the training's classes less <eos> and <unknown>: the words the models can name
        "vocabulary": names["training"]["vocab_size"] - 2,
    }
    phrases = [difference_phrase(fact, {**names, **words}) for fact in names["differences"]]
    return {**words, "difference_phrases": phrases, "all_differences": join_differences(phrases)}
