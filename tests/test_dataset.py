"""Stage 2: the recipe of spec section 1 on corpora small enough to check by hand."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from build import dataset, profiles
from build.dataset import EOS, UNKNOWN, build_vocabulary, encode_corpus, encode_text


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


def test_a_word_longer_than_an_observation_is_dropped_and_counted() -> None:
    inputs, targets, stats = encode_corpus("ab abcdefgh c", ["<eos>", "<unknown>", "ab", "c"], max_length=5)
    assert stats["dropped_long_words"] == 1 and stats["words"] == 3
    assert inputs.tolist() == [[1, 2, 3, 1, 4]]


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


def test_split_is_ninety_five_five_disjoint_and_deterministic() -> None:
    parts = dataset.split(1000, seed=450849059)
    assert [len(parts[name]) for name in ("train", "valid", "test")] == [900, 50, 50]
    assert len(np.unique(np.concatenate(list(parts.values())))) == 1000
    again = dataset.split(1000, seed=450849059)
    assert all(np.array_equal(parts[n], again[n]) for n in parts)
    assert not np.array_equal(parts["train"], dataset.split(1000, seed=1)["train"])


def test_prepare_caches_by_corpus_and_recipe(isolated) -> None:
    profile = profiles.load("tiny")
    first = dataset.prepare(profile)
    cached = dataset.cache_path(first.key)
    stamp = cached.stat().st_mtime_ns
    second = dataset.prepare(profile)
    assert cached.stat().st_mtime_ns == stamp  # read, not rebuilt
    assert all(np.array_equal(first.inputs[n], second.inputs[n]) for n in first.inputs)
    assert json.loads(dataset.describe_path(profile).read_text())["key"] == first.key
    other = dataset.prepare(dataclasses.replace(profile, vocab_bits=6))
    assert other.key != first.key and len(other.words) == 2 + 64


def test_corrupt_cache_file_is_an_error_naming_it(isolated) -> None:
    profile = profiles.load("tiny")
    key = dataset.prepare(profile).key
    dataset.cache_path(key).write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=f"{key}.npz: not a readable dataset file"):
        dataset.load(profile)


def test_load_before_prepare_says_what_to_run(isolated) -> None:
    with pytest.raises(FileNotFoundError, match="python -m build.dataset --profile tiny"):
        dataset.load(profiles.load("tiny"))
