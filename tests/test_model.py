"""The model: parameter counts against the original's table, and the masked loss."""

from __future__ import annotations

import torch

from build import profiles
from build.model import Model

# Spec section 2: the original's counts (TensorFlow cells, one bias vector per gate block).
PUBLISHED = {
    "gru": {"embedding": 16_200, "recurrent": 4_323_600, "dense": 9_847_986},
    "lstm": {"embedding": 16_200, "recurrent": 5_764_800, "dense": 9_847_986},
    "nlstm": {"embedding": 16_200, "recurrent": 5_764_800, "dense": 9_847_986},
}
# PyTorch's GRU and LSTM keep two bias vectors (b_ih and b_hh): per layer 3*600 more for the GRU and
# 4*600 more for the LSTM, two layers each. Our Nested LSTM has one bias per kernel, like the original.
EXTRA_BIAS = {"gru": 2 * 3 * 600, "lstm": 2 * 4 * 600, "nlstm": 0}


def test_paper_parameter_counts_match_the_original_up_to_the_second_bias() -> None:
    profile = profiles.load("paper")
    for config in profile.models:
        counts = Model.for_profile(profile, config.key).parameter_counts()
        published = PUBLISHED[config.key]
        assert counts["embedding"] == published["embedding"]  # 27 symbols: the <eos> row stays zero
        assert counts["dense"] == published["dense"]
        assert counts["recurrent"] == published["recurrent"] + EXTRA_BIAS[config.key]
        assert counts["total"] == sum(counts[k] for k in ("embedding", "recurrent", "dense"))


def test_loss_counts_only_known_words() -> None:
    torch.manual_seed(0)
    profile = profiles.load("tiny")
    model = Model.for_profile(profile, "gru")
    chars = torch.randint(1, 28, (2, 9))
    targets = torch.randint(2, profile.vocab_size, (2, 9))
    targets[0, :3] = 1  # <unknown>
    targets[1, 6:] = 0  # <eos> padding
    total, count, correct = model.loss(chars, targets)
    logits = model(chars)
    keep = targets > 1
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep], reduction="sum")
    assert int(count) == 12
    torch.testing.assert_close(total, expected)
    assert int(correct) == int((logits[keep].argmax(-1) == targets[keep]).sum())


def test_padding_symbol_embeds_to_zero() -> None:
    model = Model.for_profile(profiles.load("tiny"), "lstm")
    assert torch.all(model.embedding(torch.tensor([0])) == 0)
