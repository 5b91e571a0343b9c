"""Find example passages in the test split where a build's models show the three situations the article
describes, so that the article's own passage is chosen by what the models do, not by hand:

- recall: a word that already appeared earlier in the passage, named by every model after at most two
  of its letters, where the no-context baseline (the most frequent word with those letters) names
  another word;
- context: a word every model names at the space before it (no letter typed), where the baseline,
  which can then only name the most frequent word of all, does not;
- letters: a word of six or more letters that no model lists at the space before it and every model
  names once at most four of its letters are typed.

Every position's word is in the vocabulary (a model could name it). Observations of the test split are
scored by how many of the three they hold (and by how early the models commit); the best are printed
with their indices and each model's first suggestions, ready for a ```passage block.

    python bench/choose_passage.py                 # the small profile's trained models
    python bench/choose_passage.py --profile tiny --top 3
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build import dataset as dataset_stage  # noqa: E402
from build import profiles  # noqa: E402
from build.alphabet import ALPHABET, EOS, UNKNOWN  # noqa: E402
from build.checkpoints import load_trained  # noqa: E402
from build.dataset import Dataset  # noqa: E402

RECALL_LETTERS = 2  # a repeated word must be named after at most this many of its letters
DECIDE_LETTERS = 4
LONG_WORD = 6
MIN_GAP = 30  # characters between a word's first occurrence and the space before its repeat


def decode_chars(row: np.ndarray) -> str:
    """An observation's characters as text (its <eos> padding left out)."""
    return "".join(ALPHABET[c] for c in row if c != EOS)


@dataclass
class Candidate:
    row: int
    text: str
    found: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # kind -> (index, word, letters)

    @property
    def score(self) -> tuple[int, int]:
        return len(self.found), -sum(letters for _, _, letters in self.found.values())


def baseline_top1(data: Dataset) -> dict[str, int]:
    """prefix -> the most frequent training word (of the vocabulary) that starts with it."""
    counts = np.bincount(data.targets["train"].ravel(), minlength=len(data.words))
    best: dict[str, tuple[int, int]] = {}
    for word_id, word in enumerate(data.words):
        if word_id <= UNKNOWN:
            continue
        for end in range(len(word) + 1):
            prefix = word[:end]
            if prefix not in best or counts[word_id] > best[prefix][0]:
                best[prefix] = (int(counts[word_id]), word_id)
    return {prefix: word_id for prefix, (_, word_id) in best.items()}


@torch.no_grad()
def top_ids(models: dict[str, torch.nn.Module], chars: torch.Tensor, k: int = 3) -> dict[str, np.ndarray]:
    """Each model's first k word ids at every position of `chars` [B, T]."""
    return {key: model(chars).topk(k, dim=-1).indices.numpy() for key, model in models.items()}


def words_with_starts(text: str) -> list[tuple[int, str]]:
    """(index of the space before the word, word) for each word of a text that starts with a space."""
    found, index = [], 0
    for word in text[1:].split(" "):
        found.append((index, word))
        index += len(word) + 1
    return found


def examine(
    row: int, text: str, tops: dict[str, np.ndarray], data: Dataset, baseline: dict[str, int]
) -> Candidate:
    """The situations observation `row` holds, each at its first index (tops: each model's first three
    word ids at every position)."""
    candidate = Candidate(row, text)
    seen_at: dict[str, int] = {}

    def first_named(index: int, word_id: int, most: int, k: int = 1) -> int | None:
        """The fewest letters (0..most) after which every model has `word_id` among its first k."""
        for letters in range(most + 1):
            if all(word_id in top[index + letters, :k] for top in tops.values()):
                return letters
        return None

    for index, word in words_with_starts(text):
        word_id = data.word_id(word)
        known = word_id > UNKNOWN and index + len(word) < len(text)
        if known and word in seen_at and index - seen_at[word] >= MIN_GAP and "recall" not in candidate.found:
            letters = first_named(index, word_id, min(RECALL_LETTERS, len(word) - 1))
            if letters is not None and baseline.get(word[:letters]) != word_id:
                candidate.found["recall"] = (index, word, letters)
        if known and "context" not in candidate.found and len(word) >= 3:
            if first_named(index, word_id, 0) == 0 and baseline.get("") != word_id:
                candidate.found["context"] = (index, word, 0)
        if known and len(word) >= LONG_WORD and "letters" not in candidate.found:
            absent = all(word_id not in top[index, :3] for top in tops.values())
            letters = first_named(index, word_id, DECIDE_LETTERS)
            if absent and letters is not None and letters >= 1:
                candidate.found["letters"] = (index, word, letters)
        seen_at.setdefault(word, index + 1)
    return candidate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    profiles.add_arguments(parser)
    parser.add_argument("--top", type=int, default=5, help="how many observations to print")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    data = dataset_stage.load(profile)
    models = {m.key: load_trained(profile, m.key)[0] for m in profile.models}
    baseline = baseline_top1(data)
    chars_all = data.inputs["test"]
    candidates = []
    for start in range(0, len(chars_all), args.batch):
        rows = np.arange(start, min(start + args.batch, len(chars_all)))
        chars = torch.from_numpy(chars_all[rows].astype(np.int64))
        tops = top_ids(models, chars)
        for offset, row in enumerate(rows):
            text = decode_chars(chars_all[row])
            one = {key: top[offset] for key, top in tops.items()}
            candidates.append(examine(int(row), text, one, data, baseline))
    candidates.sort(key=lambda c: c.score, reverse=True)
    for candidate in candidates[: args.top]:
        print(f"test observation {candidate.row}: {candidate.text!r}")
        for kind, (index, word, letters) in candidate.found.items():
            tops = _tops(models, candidate)
            named = {key: [data.words[i] for i in top[index + letters]] for key, top in tops.items()}
            print(f"  {kind:<8} index {index} ({word!r}, named after {letters} letters): {named}")


def _tops(models: dict[str, torch.nn.Module], candidate: Candidate) -> dict[str, np.ndarray]:
    chars = torch.from_numpy(dataset_stage.encode_text(candidate.text).astype(np.int64))[None]
    return {key: top[0] for key, top in top_ids(models, chars).items()}


if __name__ == "__main__":
    main()
