"""How far back each model looks over the test split: the batched reverse pass against plain autograd,
one output position at a time, and the aggregates against the page's own definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from build import checkpoints, dataset, lookback
from build.alphabet import ALPHABET, EOS, UNKNOWN
from build.evaluate import letters_seen
from build.model import Model
from build.render.context import share_before_word
from build.units import RecurrentUnit

OBSERVATIONS = 3


def plain_rows(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """Connectivity [L, L] of one observation (no padding) by plain autograd through the unit's own fast
    layer (not `step`, which the measurement uses): a copy of the observation per output position p, whose
    loss is the logit of p's word at p alone, so that one backward pass gives every copy's gradient, each
    what a backward pass of its own position would give (the copies share nothing)."""
    length = len(chars)
    copies = model.embedding(chars).detach().expand(length, -1, -1).clone().requires_grad_(True)
    hidden, _ = model.rnn(copies)
    positions = torch.arange(length)
    logits = model.dense(hidden[positions, positions])  # copy p at position p: [L, vocabulary]
    words = torch.where(targets > UNKNOWN, targets, logits.argmax(-1))
    (gradient,) = torch.autograd.grad(logits[positions, words].sum(), copies)
    values = (gradient @ model.embedding.weight.T).pow(2).sum(-1).detach().double().numpy()
    return np.tril(values)  # row p: the characters up to p


def plain_aggregates(rows: list[np.ndarray], texts: list[str]) -> tuple[dict, dict]:
    """Mean share before the word by letter group, with build.render.context.share_before_word (the
    page's definition), and mean normalised connectivity by distance for 0 and 3+ letters."""
    shares: dict[str, list[float]] = {group: [] for group in lookback.LETTER_GROUPS}
    sums = {name: np.zeros(lookback.MAX_DISTANCE + 1) for name in lookback.DISTANCE_GROUPS}
    counts = {name: np.zeros(lookback.MAX_DISTANCE + 1) for name in lookback.DISTANCE_GROUPS}
    for values, text in zip(rows, texts, strict=True):
        for p in range(len(text)):
            row = values[p, : p + 1]
            letters = p - text.rfind(" ", 0, p + 1)
            shares[lookback.LETTER_GROUPS[min(letters, 5)]].append(share_before_word(text, row, p))
            group = "0" if letters == 0 else "3+" if letters >= 3 else None
            if group:
                for distance in range(min(p, lookback.MAX_DISTANCE) + 1):
                    sums[group][distance] += row[p - distance] / row.sum()
                    counts[group][distance] += 1
    means = {group: float(np.mean(values)) for group, values in shares.items() if values}
    curves = {name: sums[name] / np.maximum(counts[name], 1) for name in sums}
    return means, curves


def test_the_aggregates_match_plain_autograd_one_position_at_a_time(tiny) -> None:
    data = dataset.load(tiny)
    for config in tiny.models:
        model, _ = checkpoints.load_trained(tiny, config.key)
        context = lookback.measure(model, data, OBSERVATIONS)
        rows, texts = [], []
        for b in range(OBSERVATIONS):
            chars, targets = data.batch("test", np.array([b]), torch.device("cpu"))
            length = int((chars[0] != EOS).sum())
            rows.append(plain_rows(model, chars[0, :length], targets[0, :length]))
            texts.append("".join(ALPHABET[i] for i in chars[0, :length].tolist()))
        means, curves = plain_aggregates(rows, texts)

        assert context["observations"] == OBSERVATIONS
        assert context["positions"] == sum(len(text) for text in texts)
        for group, entry in context["share_before_word"].items():
            assert entry["mean"] == pytest.approx(means[group], abs=1e-4), (config.key, group)
            assert entry["low"] <= entry["mean"] <= entry["high"]
        for name, curve in curves.items():
            assert len(context["by_distance"][name]) == lookback.MAX_DISTANCE + 1
            assert np.allclose(context["by_distance"][name], curve, atol=1e-4), (config.key, name)


def test_whole_matrices_match_plain_autograd(tiny) -> None:
    data = dataset.load(tiny)
    model, _ = checkpoints.load_trained(tiny, "lstm")
    chars, targets = data.batch("test", np.arange(2), torch.device("cpu"))
    values = lookback.connectivity_matrices(model, chars, targets).double().numpy()
    for b in range(2):
        length = int((chars[b] != EOS).sum())
        expected = plain_rows(model, chars[b, :length], targets[b, :length])
        assert np.allclose(values[b, :length, :length], expected, rtol=1e-4, atol=1e-7 * expected.max())
        assert not values[b, length:].any() and not values[b, :, length:].any()  # padding: nothing
        assert not np.triu(values[b], 1).any()  # later characters never matter


class _OpaqueIdentity(torch.autograd.Function):
    """An old-style autograd.Function, which torch.func cannot transform."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return x.clone()

    @staticmethod
    def backward(ctx, gradient: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return gradient


class _OpaqueUnit(RecurrentUnit):
    """A unit whose step passes its output through _OpaqueIdentity, like a researcher's own kernel."""

    def __init__(self, inner: RecurrentUnit) -> None:
        super().__init__(inner.input_size, inner.hidden_size, inner.layers)
        self.states_per_layer = inner.states_per_layer
        self.inner = inner

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output, state = self.inner.step(x, state)
        return _OpaqueIdentity.apply(output), state


def test_a_step_torch_func_cannot_transform_gets_the_same_values(tiny) -> None:
    data = dataset.load(tiny)
    model, _ = checkpoints.load_trained(tiny, "gru")
    chars, targets = data.batch("test", np.arange(2), torch.device("cpu"))
    expected = lookback.connectivity_matrices(model, chars, targets)
    model.rnn = _OpaqueUnit(model.rnn)
    x, state = torch.zeros(1, tiny.embedding), model.rnn.initial_state(1)
    with pytest.raises(RuntimeError):  # the path it takes is the fallback
        _, backward = torch.func.vjp(model.rnn.step, x, state)
        torch.func.vmap(backward)((torch.ones(2, 1, model.rnn.hidden_size), torch.ones(2, *state.shape)))
    assert torch.allclose(lookback.connectivity_matrices(model, chars, targets), expected, rtol=1e-5)


def test_sums_of_one_observation_by_hand() -> None:
    chars = np.array([1, 2, 3, 1, 4, EOS])  # " ab c" and one padding
    values = np.tril(np.ones((6, 6)))
    sums = lookback.observation_sums(values, chars)
    # p = 0..2 read " ab": nothing before the word; p = 3 is the space: 3 of 4 before it; p = 4: 3 of 5.
    assert sums["share_sum"][:3].tolist() == pytest.approx([0.75, 0.6, 0.0])
    assert sums["share_count"].tolist() == [2, 2, 1, 0, 0, 0]
    # 0 letters at p = 0 and 3: distance 0 gets 1 and 1/4, distances 1..3 get 1/4 each from p = 3.
    assert sums["0_sum"][:5].tolist() == pytest.approx([1.25, 0.25, 0.25, 0.25, 0.0])
    assert sums["0_count"][:5].tolist() == [2, 1, 1, 1, 0]
    assert not sums["3+_count"].any()


def test_word_starts_count_letters_as_the_evaluation_does() -> None:
    rng = np.random.default_rng(0)
    chars = rng.choice([1, 2, 3, 4], size=(5, 40), p=[0.3, 0.3, 0.2, 0.2])
    chars[:, 0] = 1
    letters = letters_seen(torch.from_numpy(chars)).numpy()
    for row, expected in zip(chars, letters, strict=True):
        assert (np.arange(40) - lookback.word_starts(row)).tolist() == expected.tolist()


def test_bootstrap_is_seeded_and_its_interval_holds_the_mean() -> None:
    rng = np.random.default_rng(1)
    sums, counts = rng.random((50, 3)), np.full((50, 3), 2.0)
    counts[:, 2] = 0  # a group nothing fell into
    first = lookback.bootstrap(sums, counts, 1000, seed=7)
    again = lookback.bootstrap(sums, counts, 1000, seed=7)
    assert all(np.array_equal(first[k], again[k], equal_nan=True) for k in first)
    assert first["mean"][:2] == pytest.approx(sums[:, :2].sum(0) / 100)
    assert (first["low"][:2] < first["mean"][:2]).all() and (first["mean"][:2] < first["high"][:2]).all()
    assert np.isnan(first["mean"][2]) and np.isnan(first["low"][2])
    same = lookback.bootstrap(np.ones((20, 1)), np.ones((20, 1)), 1000, seed=7)  # no spread, no width
    assert same["low"][0] == same["mean"][0] == same["high"][0] == 1.0


def test_summary_has_the_documented_shape_and_none_for_empty_groups() -> None:
    one = lookback.observation_sums(np.tril(np.ones((5, 5))), np.array([1, 2, 3, 1, 4]))
    context = lookback.summarise([one, one], lookback.RESAMPLES, lookback.BOOTSTRAP_SEED)
    assert context["observations"] == 2 and context["positions"] == 10
    assert context["share_before_word"]["3"] == {"mean": None, "low": None, "high": None, "positions": 0}
    assert context["share_before_word"]["0"]["positions"] == 4
    assert set(context["by_distance"]) == {"0", "3+"}
    assert context["by_distance"]["3+"] == [None] * (lookback.MAX_DISTANCE + 1)
    assert context["resamples"] >= 1000


def test_more_observations_than_the_split_holds_measures_them_all(tiny) -> None:
    data = dataset.load(tiny)
    model, _ = checkpoints.load_trained(tiny, "gru")
    held = len(data.inputs["test"])
    assert lookback.measure(model, data, held + 5, resamples=10)["observations"] == held
    with pytest.raises(ValueError, match="no observations"):
        lookback.measure(model, data, 0)
