"""The task's symbols: the 28 characters a model reads, and the two word classes every vocabulary reserves.

Its own module because the model (its embedding's size) and the dataset (its encoding) both need them."""

from __future__ import annotations

EOS, UNKNOWN = 0, 1  # input id of the end-of-observation padding; output classes <eos> and <unknown>
ALPHABET = ["<eos>", " "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
