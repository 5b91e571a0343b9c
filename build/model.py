"""The article's model: character embedding -> recurrent unit -> dense layer over the output words."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from build import init as initialisation
from build.alphabet import ALPHABET, EOS, UNKNOWN
from build.fused import linear_cross_entropy
from build.profiles import ModelConfig, Profile
from build.units import RecurrentUnit, make_unit


def pick_device(requested: str | None = None) -> torch.device:
    """The device a stage runs its models on: the one asked for, else CUDA when present."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Model(nn.Module):
    def __init__(self, config: ModelConfig, vocab_size: int, embedding: int, init: str = "pytorch") -> None:
        super().__init__()
        self.config = config
        # <eos> only pads the end of an observation: its row stays zero and is not trained.
        self.embedding = nn.Embedding(len(ALPHABET), embedding, padding_idx=EOS)
        self.rnn: RecurrentUnit = make_unit(
            config.unit, embedding, config.units, config.layers, config.options
        )
        self.dense = nn.Linear(config.units, vocab_size)
        initialisation.apply(self, init)  # "pytorch": the layers' own defaults; "original": build/init.py

    @classmethod
    def for_profile(cls, profile: Profile, key: str) -> Model:
        return cls(profile.model(key), profile.vocab_size, profile.embedding, profile.init)

    def hidden(
        self, chars: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-layer outputs [B, T, H] and final state for alphabet ids `chars` [B, T]."""
        return self.rnn(self.embedding(chars), state)

    def forward(self, chars: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [B, T, vocab] at every position."""
        return self.dense(self.hidden(chars, state)[0])

    def loss(
        self, chars: torch.Tensor, targets: torch.Tensor, fused: bool = False, chunk: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Summed cross entropy, number of counted positions and correct top-1 predictions.

        Positions whose target is <eos> or <unknown> are not counted; the dense layer runs only on the
        counted ones, which saves the work of the padding and of the unknown words. `fused` computes the
        same three numbers with build.fused.linear_cross_entropy, which never holds the logits of all
        counted positions at once (`chunk` positions at a time; default: by the vocabulary's size).
        """
        mask = targets > UNKNOWN
        hidden = self.hidden(chars)[0][mask]
        wanted = targets[mask].long()
        if fused:
            total, correct = linear_cross_entropy(hidden, self.dense.weight, self.dense.bias, wanted, chunk)
            return total, mask.sum(), correct
        logits = self.dense(hidden)
        total = F.cross_entropy(logits, wanted, reduction="sum")
        correct = (logits.argmax(-1) == wanted).sum()
        return total, mask.sum(), correct

    def parameter_counts(self) -> dict[str, int]:
        """Trained parameters by part (the fixed zero <eos> row of the embedding is not counted)."""
        embedding = self.embedding.weight.numel() - self.embedding.embedding_dim
        recurrent = sum(p.numel() for p in self.rnn.parameters())
        dense = sum(p.numel() for p in self.dense.parameters())
        return {
            "embedding": embedding,
            "recurrent": recurrent,
            "dense": dense,
            "total": embedding + recurrent + dense,
        }
