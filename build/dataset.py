"""Stage 2, the dataset: the recipe of spec section 1 applied to a normalised corpus.

Input alphabet of 28 symbols (`<eos>` = 0, space = 1, a-z = 2..27); output classes `<eos>` = 0,
`<unknown>` = 1 and the 2**k most frequent words in an order shuffled with the seed. Each word w is read
as the characters " " + w, all of which target w. Words are packed into observations of at most
`max_length` characters, never split; observations are shuffled with the seed and split
floor(0.9 N) / floor(0.05 N) / the rest, as the original's preprocessing did.

Two details follow the original exactly because they change which data a model sees:
- Which words make the vocabulary: the original sorted the alphabetically ordered distinct words by a
  reversed `np.argsort(counts)`, numpy's default (unstable) quicksort, so the words that tie at the
  2**k cut-off got in by that sort's order. `original_argsort` (build/original_sort.py) is that sort
  (numpy 1.x's introsort for integers, which numpy still uses where it has no SIMD sort); numpy 2 on
  AVX-512 machines orders ties differently, so calling np.argsort would not be reproducible. The stats
  record the tie at the cut-off.
- A word longer than `max_length` - 1 characters is kept, as an observation of its own longer than
  `max_length` (the original's packing never splits a word). The arrays are then as wide as the longest
  observation, padded with `<eos>` like every shorter one; the stats count such words.

The encoded arrays are cached under cache/datasets/ by a hash of the corpus and the recipe; the stage
writes `<run>/dataset.json` (the key, the cache file and the counts), which training reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from build import corpus, profiles, run_files
from build.alphabet import ALPHABET, UNKNOWN
from build.original_sort import original_argsort
from build.profiles import Profile

RECIPE_VERSION = 2  # bump when the recipe's code changes what it produces

_CHAR_IDS = np.zeros(256, dtype=np.uint8)
_CHAR_IDS[ord(" ")] = 1
_CHAR_IDS[ord("a") : ord("z") + 1] = np.arange(2, 28, dtype=np.uint8)


def encode_text(text: str) -> np.ndarray:
    """Alphabet ids of a normalised text (space and a-z only; anything else is an error, not a guess)."""
    data = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    ids = _CHAR_IDS[data]
    bad = np.flatnonzero(ids == 0)
    if bad.size:
        raise ValueError(f"character {text[bad[0]]!r} at index {bad[0]} is not in the alphabet (space, a-z)")
    return ids


@dataclass
class Dataset:
    """Encoded observations of one corpus and recipe, split into train/valid/test."""

    key: str
    words: list[str]  # output class id -> word; ids 0 and 1 are <eos> and <unknown>
    inputs: dict[str, np.ndarray]  # split -> uint8 [N, max_length]
    targets: dict[str, np.ndarray]  # split -> uint16 [N, max_length]
    stats: dict

    def word_id(self, word: str) -> int:
        if not hasattr(self, "_ids"):
            self._ids = {w: i for i, w in enumerate(self.words)}
        return self._ids.get(word, UNKNOWN)

    def batch(self, split: str, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Characters and targets of `rows` of a split as int64 tensors on `device` (a model's input)."""
        chars = torch.from_numpy(self.inputs[split][rows].astype(np.int64)).to(device)
        targets = torch.from_numpy(self.targets[split][rows].astype(np.int64)).to(device)
        return chars, targets


TRAIN_RATIO, VALID_RATIO = 0.9, 0.05  # the original's split, computed with the same float products


def vocabulary_cutoff(words: list[str], size: int) -> tuple[list[str], dict]:
    """The `size` most frequent words as the original chose them, and the tie at the cut-off.

    The tie: how many distinct words share the count of the last word in, and how many of them got in.
    Any other tie order could swap at most min(in, out) of them, each with that count in the corpus.
    """
    counts = Counter(words)
    unique = sorted(counts)  # np.unique's order: by code point
    frequencies = [counts[w] for w in unique]
    order = original_argsort(frequencies)[::-1]
    frequent = [unique[i] for i in order[:size]]
    tie: dict = {"count": None, "tied_words": 0, "tied_in": 0, "swappable_share": 0.0}
    if frequent and len(unique) > size:
        last = counts[frequent[-1]]
        tied = sum(1 for c in frequencies if c == last)
        tied_in = sum(1 for w in frequent if counts[w] == last)
        tie = {
            "count": last,
            "tied_words": tied,
            "tied_in": tied_in,
            # the largest share of the corpus's words that another tie order could move in or out
            "swappable_share": min(tied_in, tied - tied_in) * last / max(len(words), 1),
        }
    return frequent, tie


def vocabulary_and_tie(words: list[str], size: int, seed: int) -> tuple[list[str], dict]:
    """`<eos>`, `<unknown>`, then the `size` most frequent words, chosen and shuffled as the original did
    (np.random.RandomState(seed).shuffle of the chosen words moves them exactly as this permutation);
    and the tie at the cut-off (see `vocabulary_cutoff`)."""
    frequent, tie = vocabulary_cutoff(words, size)
    order = np.random.RandomState(seed).permutation(len(frequent))
    return ["<eos>", "<unknown>"] + [frequent[i] for i in order], tie


def build_vocabulary(words: list[str], size: int, seed: int) -> list[str]:
    return vocabulary_and_tie(words, size, seed)[0]


def pack(lengths: np.ndarray, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy packing: for each word (of `lengths` characters) its observation and its offset there.

    A word that does not fit starts a new observation; one longer than `max_length` therefore fills an
    observation of its own, and the word after it starts the next one.
    """
    observation = np.empty(len(lengths), dtype=np.int64)
    offset = np.empty(len(lengths), dtype=np.int64)
    current, used = 0, 0
    for i, length in enumerate(lengths.tolist()):
        if used and used + length > max_length:
            current, used = current + 1, 0
        observation[i], offset[i] = current, used
        used += length
    return observation, offset


def encode_corpus(text: str, vocabulary: list[str], max_length: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """All observations of `text` in corpus order: inputs uint8 [N, W], targets uint16 [N, W], counts.

    W is `max_length`, or the length of the longest observation when a word is longer than that.
    """
    words = text.split(" ") if text else []
    lengths = np.fromiter((len(w) + 1 for w in words), dtype=np.int64, count=len(words))
    long_words = int((lengths > max_length).sum())
    ids = {w: i for i, w in enumerate(vocabulary)}
    word_ids = np.fromiter((ids.get(w, UNKNOWN) for w in words), dtype=np.uint16, count=len(words))
    observation, offset = pack(lengths, max_length)
    count = int(observation[-1]) + 1 if len(words) else 0
    width = max(max_length, int(lengths.max()) if len(words) else 0)
    inputs = np.zeros((count, width), dtype=np.uint8)
    targets = np.zeros((count, width), dtype=np.uint16)
    if len(words):
        chars = encode_text(" " + " ".join(words))
        starts = np.cumsum(lengths) - lengths
        within = np.arange(len(chars)) - np.repeat(starts, lengths)
        rows = np.repeat(observation, lengths)
        columns = np.repeat(offset, lengths) + within
        inputs[rows, columns] = chars
        targets[rows, columns] = np.repeat(word_ids, lengths)
    unknown = int((word_ids == UNKNOWN).sum())
    stats = {
        "characters": len(text),
        "words": len(words),
        "distinct_words": len(set(words)),
        "long_words": long_words,  # longer than an observation: each kept as an observation of its own
        "width": width,
        "unknown_words": unknown,
        "unknown_rate": unknown / max(len(words), 1),
        "observations": count,
    }
    return inputs, targets, stats


def split(count: int, seed: int) -> dict[str, np.ndarray]:
    """Indices of the train/valid/test split of `count` observations shuffled with `seed`: floor(0.9 N),
    floor(0.05 N) and the rest, the same float products as the original's (so the same sizes)."""
    order = np.random.RandomState(seed).permutation(count)
    train = math.floor(count * TRAIN_RATIO)
    valid = math.floor(count * VALID_RATIO)
    return {"train": order[:train], "valid": order[train : train + valid], "test": order[train + valid :]}


def recipe(profile: Profile) -> dict:
    return {
        "version": RECIPE_VERSION,
        "vocab_bits": profile.vocab_bits,
        "max_length": profile.max_length,
        "seed": profile.seed,
        "alphabet": len(ALPHABET),
    }


def cache_key(corpus_sha256: str, profile: Profile) -> str:
    blob = json.dumps({"corpus": corpus_sha256, "recipe": recipe(profile)}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def make(text: str, profile: Profile, corpus_sha256: str) -> Dataset:
    """The whole recipe on a normalised text."""
    all_words = text.split(" ") if text else []
    vocabulary, tie = vocabulary_and_tie(all_words, 2**profile.vocab_bits, profile.seed)
    inputs, targets, stats = encode_corpus(text, vocabulary, profile.max_length)
    stats["vocabulary_cutoff"] = tie
    parts = split(len(inputs), profile.seed)
    stats.update({f"{name}_observations": int(len(index)) for name, index in parts.items()})
    stats["train_batches_per_epoch"] = len(parts["train"]) // profile.batch_size
    stats["corpus"] = profile.corpus
    stats["corpus_sha256"] = corpus_sha256
    return Dataset(
        key=cache_key(corpus_sha256, profile),
        words=vocabulary,
        inputs={name: inputs[index] for name, index in parts.items()},
        targets={name: targets[index] for name, index in parts.items()},
        stats=stats,
    )


def save(dataset: Dataset, path: Path) -> None:
    """Write atomically, so an interrupted build never leaves a half-written cache file."""
    arrays = {
        f"{kind}_{name}": a
        for kind, d in (("inputs", dataset.inputs), ("targets", dataset.targets))
        for name, a in d.items()
    }
    with run_files.replacing(path) as temporary, open(temporary, "wb") as handle:
        np.savez(
            handle,
            key=np.array(dataset.key),
            words=np.array(dataset.words),
            stats=np.array(json.dumps(dataset.stats)),
            **arrays,
        )


def load_file(path: Path, key: str | None = None) -> Dataset:
    """Read a cached dataset; a missing, corrupt or mismatched file is an error that names it."""
    try:
        with np.load(path) as data:
            found = str(data["key"])
            inputs = {n: data[f"inputs_{n}"] for n in ("train", "valid", "test")}
            targets = {n: data[f"targets_{n}"] for n in ("train", "valid", "test")}
            words = [str(w) for w in data["words"]]
            stats = json.loads(str(data["stats"]))
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise ValueError(f"{path}: not a readable dataset file ({error}); delete it and run again") from error
    if key is not None and found != key:
        raise ValueError(f"{path}: holds dataset {found}, expected {key}; delete it and run again")
    return Dataset(found, words, inputs, targets, stats)


def prepare(profile: Profile) -> Dataset:
    """The profile's dataset, from the cache when corpus and recipe are unchanged; writes dataset.json."""
    text, digest = corpus.load(profile.corpus, profile.corpus_limit)
    key = cache_key(digest, profile)
    cached = run_files.dataset_cache(key)
    if cached.exists():
        dataset = load_file(cached, key)
        print(f"dataset {key}: from the cache ({cached})")
    else:
        started = time.perf_counter()
        dataset = make(text, profile, digest)
        save(dataset, cached)
        print(f"dataset {key}: built in {time.perf_counter() - started:.1f} s -> {cached}")
    description = {"key": key, "recipe": recipe(profile), "stats": dataset.stats}
    record = profile.run_dir / run_files.DATASET_RECORD
    run_files.write_if_changed(record, json.dumps(description, indent=2) + "\n")
    return dataset


def load(profile: Profile) -> Dataset:
    """The dataset that `prepare` described for this profile (what training and evaluation read)."""
    key = run_files.dataset_key(profile)
    return load_file(run_files.dataset_cache(key), key)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or find in the cache) a profile's dataset.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        run_files.claim_run_dir(profile)
        dataset = prepare(profile)
    except (corpus.CorpusError, ValueError, run_files.RunDirError) as error:
        sys.exit(f"error: {error}")
    s = dataset.stats
    print(
        f"{profile.corpus}: {s['words']:,} words, {len(dataset.words) - 2:,} in the vocabulary, unknown rate "
        f"{s['unknown_rate']:.2%}; observations train {s['train_observations']:,} / valid "
        f"{s['valid_observations']:,} / test {s['test_observations']:,} "
        f"({s['train_batches_per_epoch']:,} mini-batches of {profile.batch_size} per epoch)"
    )


if __name__ == "__main__":
    main()
