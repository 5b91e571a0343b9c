"""Stage 2, the dataset: the recipe of spec section 1 applied to a normalised corpus.

Input alphabet of 28 symbols (`<eos>` = 0, space = 1, a-z = 2..27); output classes `<eos>` = 0,
`<unknown>` = 1 and the 2**k most frequent words in an order shuffled with the seed. Each word w is read
as the characters " " + w, all of which target w. Words are packed into observations of at most
`max_length` characters, never split; observations are shuffled with the seed and split 90/5/5.

The encoded arrays are cached under cache/datasets/ by a hash of the corpus and the recipe; the stage
writes `<run>/dataset.json` (the key, the cache file and the counts), which training reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from build import corpus, profiles
from build.profiles import Profile

EOS, UNKNOWN = 0, 1
ALPHABET = ["<eos>", " "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
RECIPE_VERSION = 1  # bump when the recipe's code changes what it produces

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


def build_vocabulary(words: list[str], size: int, seed: int) -> list[str]:
    """`<eos>`, `<unknown>`, then the `size` most frequent words (ties by spelling) in a seeded order."""
    counts = Counter(words)
    frequent = sorted(counts, key=lambda w: (-counts[w], w))[:size]
    order = np.random.RandomState(seed).permutation(len(frequent))
    return ["<eos>", "<unknown>"] + [frequent[i] for i in order]


def pack(lengths: np.ndarray, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy packing: for each word (of `lengths` characters) its observation and its offset there."""
    observation = np.empty(len(lengths), dtype=np.int64)
    offset = np.empty(len(lengths), dtype=np.int64)
    current, used = 0, 0
    for i, length in enumerate(lengths.tolist()):
        if used + length > max_length:
            current, used = current + 1, 0
        observation[i], offset[i] = current, used
        used += length
    return observation, offset


def encode_corpus(text: str, vocabulary: list[str], max_length: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """All observations of `text` in corpus order: inputs uint8 [N, L], targets uint16 [N, L], counts."""
    words = text.split(" ") if text else []
    lengths = np.fromiter((len(w) + 1 for w in words), dtype=np.int64, count=len(words))
    fits = lengths <= max_length
    dropped = int((~fits).sum())  # a word longer than an observation can never be packed whole
    if dropped:
        words = [w for w, ok in zip(words, fits, strict=True) if ok]
        lengths = lengths[fits]
    ids = {w: i for i, w in enumerate(vocabulary)}
    word_ids = np.fromiter((ids.get(w, UNKNOWN) for w in words), dtype=np.uint16, count=len(words))
    observation, offset = pack(lengths, max_length)
    count = int(observation[-1]) + 1 if len(words) else 0
    inputs = np.zeros((count, max_length), dtype=np.uint8)
    targets = np.zeros((count, max_length), dtype=np.uint16)
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
        "words": len(words) + dropped,
        "distinct_words": len(set(words)),
        "dropped_long_words": dropped,
        "unknown_words": unknown,
        "unknown_rate": unknown / max(len(words), 1),
        "observations": count,
    }
    return inputs, targets, stats


def split(count: int, seed: int) -> dict[str, np.ndarray]:
    """Indices of the 90/5/5 train/valid/test split of `count` observations, shuffled with `seed`."""
    order = np.random.RandomState(seed).permutation(count)
    held_out = count // 20
    return {
        "train": order[: count - 2 * held_out],
        "valid": order[count - 2 * held_out : count - held_out],
        "test": order[count - held_out :],
    }


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
    vocabulary = build_vocabulary(all_words, 2**profile.vocab_bits, profile.seed)
    inputs, targets, stats = encode_corpus(text, vocabulary, profile.max_length)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        f"{kind}_{name}": a
        for kind, d in (("inputs", dataset.inputs), ("targets", dataset.targets))
        for name, a in d.items()
    }
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        np.savez(
            handle,
            key=np.array(dataset.key),
            words=np.array(dataset.words),
            stats=np.array(json.dumps(dataset.stats)),
            **arrays,
        )
    os.replace(temporary, path)


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


def describe_path(profile: Profile) -> Path:
    return profile.run_dir / "dataset.json"


def cache_path(key: str) -> Path:
    return profiles.CACHE_DIR / "datasets" / f"{key}.npz"


def prepare(profile: Profile) -> Dataset:
    """The profile's dataset, from the cache when corpus and recipe are unchanged; writes dataset.json."""
    text, digest = corpus.load(profile.corpus, profile.corpus_limit)
    key = cache_key(digest, profile)
    cached = cache_path(key)
    if cached.exists():
        dataset = load_file(cached, key)
        print(f"dataset {key}: from the cache ({cached})")
    else:
        started = time.perf_counter()
        dataset = make(text, profile, digest)
        save(dataset, cached)
        print(f"dataset {key}: built in {time.perf_counter() - started:.1f} s -> {cached}")
    description = {"key": key, "recipe": recipe(profile), "stats": dataset.stats}
    profiles.write_if_changed(describe_path(profile), json.dumps(description, indent=2) + "\n")
    return dataset


def load_key(profile: Profile) -> str:
    """The key of the dataset that `prepare` described for this profile."""
    described = describe_path(profile)
    if not described.exists():
        raise FileNotFoundError(
            f"{described}: missing; run `python -m build.dataset --profile {profile.name}`"
        )
    return json.loads(described.read_text())["key"]


def load(profile: Profile) -> Dataset:
    """The dataset that `prepare` described for this profile (what training and evaluation read)."""
    key = load_key(profile)
    return load_file(cache_path(key), key)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or find in the cache) a profile's dataset.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        dataset = prepare(profile)
    except (corpus.CorpusError, ValueError) as error:
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
