"""Connectivity: against finite differences, zero after the output position, batched equals one by one."""

from __future__ import annotations

import pytest
import torch

from build import profiles
from build.connectivity import connectivity, selected_logits
from build.model import Model


@pytest.fixture(params=["gru", "lstm", "nlstm"])
def small_model(request) -> Model:
    torch.manual_seed(3)
    return Model.for_profile(profiles.load("tiny"), request.param).double().eval()


def finite_difference(model: Model, chars: torch.Tensor, position: int, target: int, eps: float = 1e-6):
    """d logit / d onehot(t)[a] by central differences, moving the embedded input along embedding row a."""
    embedded = model.embedding(chars).detach()
    table = model.embedding.weight.detach()
    values = torch.zeros(len(chars), dtype=torch.float64)
    with torch.no_grad():
        for t in range(len(chars)):
            total = 0.0
            for a in range(table.shape[0]):
                plus, minus = embedded.clone(), embedded.clone()
                plus[t] += eps * table[a]
                minus[t] -= eps * table[a]
                score = [
                    selected_logits(model, e[None], torch.tensor([position]), torch.tensor([target]))[0]
                    for e in (plus, minus)
                ]
                total += ((score[0] - score[1]).item() / (2 * eps)) ** 2
            values[t] = total
    return values


def test_connectivity_matches_finite_differences(small_model: Model) -> None:
    chars = torch.tensor([1, 5, 9, 1, 20, 3, 1, 8])
    result = connectivity(small_model, chars, torch.full((8,), 17), torch.tensor([5]))
    expected = finite_difference(small_model, chars, 5, 17)
    torch.testing.assert_close(result.values[0], expected, rtol=1e-5, atol=1e-12)


def test_positions_after_the_output_are_exactly_zero(small_model: Model) -> None:
    chars = torch.randint(1, 28, (30,))
    values = connectivity(small_model, chars).values
    assert values.shape == (30, 30)
    assert torch.all(torch.triu(values, diagonal=1) == 0)
    assert torch.all(torch.diagonal(values) > 0)


def test_batched_equals_one_position_at_a_time(small_model: Model) -> None:
    chars = torch.randint(1, 28, (25,))
    targets = torch.randint(2, 200, (25,))
    batched = connectivity(small_model, chars, targets)
    for position in (0, 7, 24):
        single = connectivity(small_model, chars, targets, torch.tensor([position]))
        torch.testing.assert_close(batched.values[position], single.values[0])
        torch.testing.assert_close(batched.top_probs[position], single.top_probs[0])


def test_own_top_one_is_used_for_minus_one(small_model: Model) -> None:
    chars = torch.randint(1, 28, (12,))
    result = connectivity(small_model, chars)  # targets default to -1
    assert torch.equal(result.targets, result.top_ids[:, 0])
    assert torch.all(result.top_probs[:, :-1] >= result.top_probs[:, 1:])


def test_the_backward_runs_without_cudnn(small_model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """cuDNN's GRU and LSTM differentiate only in training mode ("cudnn RNN backward can only be called in
    training mode" on an H200, exporting a trained model); connectivity keeps the model in eval mode, so
    its forward and backward run with cuDNN off, which changes nothing on the CPU."""
    seen = []
    forward = small_model.rnn.forward

    def spy(*args, **kwargs):
        seen.append((torch.backends.cudnn.enabled, small_model.training))
        return forward(*args, **kwargs)

    monkeypatch.setattr(small_model.rnn, "forward", spy)
    before = torch.backends.cudnn.enabled
    connectivity(small_model, torch.tensor([1, 5, 9, 1, 20]))
    assert seen == [(False, False)]
    assert torch.backends.cudnn.enabled == before


def test_positions_out_of_range_are_refused(small_model: Model) -> None:
    with pytest.raises(ValueError, match="must lie in 0..4"):
        connectivity(small_model, torch.tensor([1, 2, 3, 4, 5]), positions=torch.tensor([5]))


def test_rank_agreement_per_output_position() -> None:
    import numpy as np

    from build.connectivity import rank_agreement

    rng = np.random.RandomState(0)
    theirs = np.tril(rng.rand(40, 40))
    same = rank_agreement(theirs * 3.0, theirs)
    assert same["spearman"] == [1.0] * 39 and same["mean"] == 1.0 and same["at"] == {"28": 1.0, "34": 1.0}
    reversed_rows = np.tril(1.0 / (theirs + 1e-3))  # every row's order reversed
    opposite = rank_agreement(reversed_rows, theirs)
    assert opposite["median"] == pytest.approx(-1.0) and opposite["at"]["34"] == pytest.approx(-1.0)
    assert rank_agreement(theirs[:20, :20], theirs[:20, :20])["at"] == {}  # P1's positions absent


def test_published_agreement_compares_our_p1_rows_with_the_originals(small_model: Model, tmp_path) -> None:
    import json

    import numpy as np

    from build.connectivity import (
        passage_targets,
        published_agreement,
        read_published,
        spearman,
    )
    from build.dataset import Dataset, encode_text

    key = small_model.config.key
    text, theirs = read_published(key)
    assert text.startswith(" context the formal study of grammar") and theirs.shape == (198, 198)
    data = Dataset("k", ["<eos>", "<unknown>", "the", "grammar"], {}, {}, {})
    agreement = published_agreement(small_model.float(), data, key)
    assert agreement["passage"] == "P1" and len(agreement["spearman"]) == 197
    chars = torch.from_numpy(encode_text(text).astype(np.int64))
    ours = connectivity(small_model, chars, torch.tensor(passage_targets(text, data))).values.double()
    expected = spearman(ours[28, :29].numpy(), theirs[28, :29])
    assert agreement["at"]["28"] == pytest.approx(expected, abs=1e-5)
    assert agreement["mean"] == pytest.approx(np.mean(agreement["spearman"]), abs=1e-4)
    assert published_agreement(small_model, data, "gru2", tmp_path) is None  # nothing published for it
    (tmp_path / "connectivity_gru.json").write_text(json.dumps([{"char": " ", "connectivity": [1, 2]}]))
    with pytest.raises(ValueError, match="connectivity_gru.json: connectivity is"):
        read_published("gru", tmp_path)


def test_distance_agreement_is_one_for_rows_that_fall_with_distance_and_low_for_others() -> None:
    """The baseline a model's agreement with published rows is read against: ranking by recency."""
    import numpy as np

    from build.connectivity import distance_agreement

    length = 12
    falling = np.tril(np.array([[0.5 ** (p - t) for t in range(length)] for p in range(length)]))
    assert distance_agreement(falling)["mean"] == pytest.approx(1.0)
    rising = np.tril(np.array([[0.5**t for t in range(length)] for p in range(length)]))
    assert distance_agreement(rising)["mean"] == pytest.approx(-1.0)
