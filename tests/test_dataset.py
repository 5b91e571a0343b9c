"""Stage 2: the recipe of spec section 1 on corpora small enough to check by hand."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from build import dataset, profiles, run_files
from build.alphabet import EOS, UNKNOWN
from build.dataset import build_vocabulary, encode_corpus, encode_text


def test_alphabet_has_28_symbols_in_the_original_order() -> None:
    assert len(dataset.ALPHABET) == 28
    assert dataset.ALPHABET[:3] == ["<eos>", " ", "a"] and dataset.ALPHABET[-1] == "z"
    assert encode_text(" az").tolist() == [1, 2, 27]
    with pytest.raises(ValueError, match="character 'A' at index 1"):
        encode_text("aA")


def test_vocabulary_takes_the_most_frequent_words_in_a_seeded_order() -> None:
    words = "b a c a b a d".split()
    vocabulary = build_vocabulary(words, 2, seed=7)
    assert vocabulary[:2] == ["<eos>", "<unknown>"]
    assert sorted(vocabulary[2:]) == ["a", "b"]  # a: 3, b: 2, then c and d (1 each) are cut
    assert vocabulary == build_vocabulary(words, 2, seed=7)
    orders = {tuple(build_vocabulary(list("abcdefgh"), 8, seed)) for seed in range(5)}
    assert len(orders) > 1  # the seed really shuffles


def test_observations_targets_and_mask_by_hand() -> None:
    vocabulary = ["<eos>", "<unknown>", "ab", "c"]
    inputs, targets, stats = encode_corpus("ab c xyz ab", vocabulary, max_length=7)
    # " ab c" (5 chars) fits, " xyz" would make 9 > 7: new observation " xyz ab" (7 chars)
    a, b, c, x, y, z, sp = 2, 3, 4, 25, 26, 27, 1
    assert inputs.tolist() == [[sp, a, b, sp, c, EOS, EOS], [sp, x, y, z, sp, a, b]]
    assert targets.tolist() == [[2, 2, 2, 3, 3, EOS, EOS], [UNKNOWN] * 4 + [2, 2, 2]]
    mask = targets > UNKNOWN  # what the loss counts
    assert mask.sum() == 8
    assert stats["observations"] == 2 and stats["unknown_words"] == 1 and stats["unknown_rate"] == 0.25


def test_a_word_longer_than_an_observation_is_kept_as_its_own_observation() -> None:
    """As the original packed it: the long word closes the observation before it and fills one alone,
    wider than max_length; the arrays are as wide as that observation, padded with <eos>."""
    vocabulary = ["<eos>", "<unknown>", "ab", "c", "abcdefgh"]
    inputs, targets, stats = encode_corpus("ab abcdefgh c ab", vocabulary, max_length=5)
    assert stats["long_words"] == 1 and stats["words"] == 4 and stats["width"] == 9
    assert stats["observations"] == 3
    sp = 1
    assert inputs.tolist() == [
        [sp, 2, 3, 0, 0, 0, 0, 0, 0],
        [sp, 2, 3, 4, 5, 6, 7, 8, 9],
        [sp, 4, sp, 2, 3, 0, 0, 0, 0],
    ]
    assert targets.tolist() == [[2, 2, 2] + [EOS] * 6, [4] * 9, [3, 3, 2, 2, 2] + [EOS] * 4]
    # two long words in a row, and one at the very start, each fill an observation of their own
    inputs, _, stats = encode_corpus("abcdef abcdefg a", vocabulary, max_length=5)
    assert stats["long_words"] == 2 and [int((row > 0).sum()) for row in inputs] == [7, 8, 2]


def test_no_word_is_ever_split() -> None:
    """On real text: every observation decodes to whole words of the corpus, in order."""
    text = dataset.corpus.load("brown", limit=200_000)[0]
    vocabulary = build_vocabulary(text.split(), 500, seed=1)
    inputs, targets, _ = encode_corpus(text, vocabulary, max_length=200)
    decoded = []
    for row, target_row in zip(inputs, targets, strict=True):
        characters = "".join(dataset.ALPHABET[i] for i in row if i != EOS)
        assert characters.startswith(" ") and len(characters) <= 200
        decoded.extend(characters[1:].split(" "))
        # every character of a word targets that word (or <unknown>)
        for start, word in zip(np.flatnonzero(row == 1), characters[1:].split(" "), strict=True):
            span = target_row[start : start + len(word) + 1]
            assert len(set(span.tolist())) == 1
            assert span[0] == (vocabulary.index(word) if word in vocabulary else UNKNOWN)
    assert decoded == text.split(" ")


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (1013, [911, 50, 52]),  # floor(911.7), floor(50.65), the rest
        (39, [35, 1, 3]),
        (19, [17, 0, 2]),
        (507_663, [456_896, 25_383, 25_384]),  # text8's count: the article's 456,896 training observations
    ],
)
def test_split_takes_the_floor_of_ninety_and_five_percent_and_the_rest(count: int, sizes: list[int]) -> None:
    parts = dataset.split(count, seed=450849059)
    assert [len(parts[name]) for name in ("train", "valid", "test")] == sizes
    assert len(np.unique(np.concatenate(list(parts.values())))) == count
    order = np.random.RandomState(450849059).permutation(count)  # the original's shuffle, then slices
    assert np.array_equal(np.concatenate([parts["train"], parts["valid"], parts["test"]]), order)
    assert not np.array_equal(parts["train"], dataset.split(count, seed=1)["train"])


def test_ties_at_the_cut_off_are_decided_by_the_originals_sort() -> None:
    """Words of equal count straddle the cut-off: the ones in are those the original's reversed
    np.argsort put first, not the alphabetically first, and the tie is recorded."""
    rng = np.random.RandomState(3)
    words = [f"w{i:03d}" for i in range(60)]
    counts = {w: (5 if i < 10 else 2) for i, w in enumerate(words)}  # 10 frequent, 50 tied at 2
    corpus = [w for w in words for _ in range(counts[w])]
    rng.shuffle(corpus)
    frequent, tie = dataset.vocabulary_cutoff(corpus, 30)
    unique = np.array(sorted(set(corpus)))
    frequencies = np.array([counts[w] for w in unique], dtype=np.int16)
    expected = unique[np.argsort(frequencies, kind="quicksort")[::-1]]
    assert frequent == expected[:30].tolist()
    assert set(words[:10]) <= set(frequent) and frequent[10:] != sorted(frequent[10:])
    assert tie == {"count": 2, "tied_words": 50, "tied_in": 20, "swappable_share": 20 * 2 / len(corpus)}


def test_the_vocabulary_shuffle_is_the_originals_shuffle_of_the_chosen_words() -> None:
    chosen = np.array([f"w{i}" for i in range(50)])
    shuffled = chosen.copy()
    np.random.RandomState(450849059).shuffle(shuffled)  # what the original called
    ours = build_vocabulary([w for i, w in enumerate(chosen) for _ in range(100 - i)], 50, 450849059)
    assert ours[2:] == shuffled.tolist()


def test_prepare_caches_by_corpus_and_recipe(isolated) -> None:
    profile = profiles.load("tiny")
    first = dataset.prepare(profile)
    cached = run_files.dataset_cache(first.key)
    stamp = cached.stat().st_mtime_ns
    second = dataset.prepare(profile)
    assert cached.stat().st_mtime_ns == stamp  # read, not rebuilt
    assert all(np.array_equal(first.inputs[n], second.inputs[n]) for n in first.inputs)
    assert json.loads((profile.run_dir / run_files.DATASET_RECORD).read_text())["key"] == first.key
    other = dataset.prepare(dataclasses.replace(profile, vocab_bits=6))
    assert other.key != first.key and len(other.words) == 2 + 64


def test_corrupt_cache_file_is_an_error_naming_it(isolated) -> None:
    profile = profiles.load("tiny")
    key = dataset.prepare(profile).key
    run_files.dataset_cache(key).write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=f"{key}.npz: not a readable dataset file"):
        dataset.load(profile)


def test_load_before_prepare_says_what_to_run(isolated) -> None:
    with pytest.raises(FileNotFoundError, match="python -m build.dataset --profile tiny"):
        dataset.load(profiles.load("tiny"))
