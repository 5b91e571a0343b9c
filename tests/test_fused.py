"""The fused output layer (build/fused.py) against plain PyTorch, and the training path that uses it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from build import checkpoints, dataset, profiles, train, training_state
from build.checkpoints import CheckpointError
from build.fused import default_chunk, linear_cross_entropy
from build.model import Model
from tests.train_helpers import interrupted_at

CPU = torch.device("cpu")
DEVICES = [CPU] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
TOLERANCE = {torch.float64: 1e-5, torch.float32: 1e-4}
N, H, V = 48, 10, 37  # positions, hidden width, classes


def assert_relative(actual: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    """Equal up to `rtol` relative to the largest entry of `expected` (entries near zero would make an
    elementwise relative bound meaningless)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = expected.abs().max().item() if expected.numel() else 0.0
    error = (actual - expected).abs().max().item() if expected.numel() else 0.0
    assert error <= rtol * max(scale, 1e-30), f"max error {error:.3g} against scale {scale:.3g}"


def inputs(n: int, dtype: torch.dtype, device: torch.device, seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, H, generator=generator, dtype=dtype)
    weight = torch.randn(V, H, generator=generator, dtype=dtype) / H**0.5
    bias = torch.randn(V, generator=generator, dtype=dtype)
    targets = torch.randint(0, V, (n,), generator=generator)
    return tuple(t.to(device) for t in (hidden, weight, bias, targets))


def both_paths(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, targets: torch.Tensor, chunk: int
) -> dict[str, tuple[torch.Tensor, ...]]:
    """(loss, correct, grad_hidden, grad_weight, grad_bias) of the fused and of the plain path, with an
    upstream gradient that is not 1 (as in training, where the sum is divided by the count)."""
    results = {}
    for name in ("fused", "plain"):
        leaves = [t.detach().clone().requires_grad_() for t in (hidden, weight, bias)]
        if name == "fused":
            loss, correct = linear_cross_entropy(*leaves, targets, chunk)
        else:
            logits = F.linear(*leaves)
            loss = F.cross_entropy(logits, targets, reduction="sum")
            correct = (logits.argmax(-1) == targets).sum()
        (loss * 0.37).backward()
        results[name] = (loss.detach(), correct, *(leaf.grad for leaf in leaves))
    return results


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("chunk", [12, 7, N, 1000], ids=["divides", "does-not-divide", "equals-n", "over-n"])
def test_forward_and_gradients_equal_plain_cross_entropy(
    device: torch.device, dtype: torch.dtype, chunk: int
) -> None:
    results = both_paths(*inputs(N, dtype, device), chunk)
    fused, plain = results["fused"], results["plain"]
    assert fused[0].dtype == dtype and fused[1].dtype == torch.int64
    assert int(fused[1]) == int(plain[1])
    for actual, expected in zip(fused[:1] + fused[2:], plain[:1] + plain[2:], strict=True):
        assert_relative(actual, expected, TOLERANCE[dtype])


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_no_positions(device: torch.device) -> None:
    results = both_paths(*inputs(0, torch.float32, device), chunk=8)
    fused, plain = results["fused"], results["plain"]
    assert float(fused[0]) == float(plain[0]) == 0.0 and int(fused[1]) == 0
    for actual, expected in zip(fused[2:], plain[2:], strict=True):
        assert actual.shape == expected.shape and not actual.any()


def test_arguments_are_checked() -> None:
    hidden, weight, bias, targets = inputs(N, torch.float32, CPU)
    with pytest.raises(ValueError, match="chunk must be at least 1"):
        linear_cross_entropy(hidden, weight, bias, targets, 0)
    with pytest.raises(ValueError, match=r"not \[N, H\], \[V, H\]"):
        linear_cross_entropy(hidden, weight.t(), bias, targets, 8)
    with pytest.raises(ValueError, match="targets"):
        linear_cross_entropy(hidden, weight, bias, targets[:-1], 8)


def test_default_chunk_keeps_a_chunk_of_fp32_logits_under_256_mb() -> None:
    assert default_chunk(16_386) == 4_095  # the paper: 4 chunks of a whole 64 x 200 batch at most
    assert default_chunk(4_098) * 4_098 * 4 <= 256 * 2**20
    assert default_chunk(10**12) == 1


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_bf16_autocast_gives_fp32_loss_and_parameter_gradients(device: torch.device) -> None:
    """Logits in bf16, log-sum-exp and sums in fp32: close to plain autocast; gradients in fp32."""
    hidden, weight, bias, targets = inputs(N, torch.float32, device)
    results = {}
    for name in ("fused", "plain"):
        leaves = [t.clone().requires_grad_() for t in (hidden, weight, bias)]
        with torch.autocast(device.type, dtype=torch.bfloat16):
            if name == "fused":
                loss, _ = linear_cross_entropy(*leaves, targets, 7)
            else:
                loss = F.cross_entropy(F.linear(*leaves), targets, reduction="sum")
        loss.backward()
        assert loss.dtype == torch.float32
        assert [leaf.grad.dtype for leaf in leaves] == [torch.float32] * 3
        results[name] = (loss.detach(), *(leaf.grad for leaf in leaves))
    for actual, expected in zip(results["fused"], results["plain"], strict=True):
        assert_relative(actual, expected, 2e-2)  # bf16 has 8 bits of mantissa


@pytest.mark.parametrize("key", ["gru", "lstm", "nlstm"])
def test_training_step_of_the_tiny_model_is_the_same_fused_or_not(key: str) -> None:
    profile = profiles.load("tiny")
    generator = torch.Generator().manual_seed(1)
    chars = torch.randint(1, 28, (4, 30), generator=generator)
    targets = torch.randint(0, profile.vocab_size, (4, 30), generator=generator)  # <eos> and <unknown> too
    results = {}
    for fused in (True, False):
        torch.manual_seed(0)
        model = Model.for_profile(profile, key)
        total, count, correct = model.loss(chars, targets, fused=fused, chunk=9)
        (total / count).backward()
        grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
        results[fused] = (total.detach(), int(count), int(correct), grads)
    (fused_total, fused_count, fused_correct, fused_grads) = results[True]
    (plain_total, plain_count, plain_correct, plain_grads) = results[False]
    assert (fused_count, fused_correct) == (plain_count, plain_correct)
    assert_relative(fused_total, plain_total, TOLERANCE[torch.float32])
    assert fused_grads.keys() == plain_grads.keys() and "dense.weight" in fused_grads
    for name in plain_grads:
        assert_relative(fused_grads[name], plain_grads[name], TOLERANCE[torch.float32])


def saved_shapes(run) -> list[tuple[int, ...]]:
    """Shapes of every tensor autograd saves for the backward while `run()` builds its graph."""
    shapes = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        shapes.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        run()
    return shapes


def test_graph_saves_no_tensor_of_all_the_logits() -> None:
    """The memory argument: the fused graph keeps [N] log-sum-exps, not [N, V] logits or softmax (the
    plain path, the control, does keep them)."""
    hidden, weight, bias, targets = (
        t.requires_grad_(t.is_floating_point()) for t in inputs(N, torch.float32, CPU)
    )
    fused = saved_shapes(lambda: linear_cross_entropy(hidden, weight, bias, targets, 8))
    plain = saved_shapes(lambda: F.cross_entropy(F.linear(hidden, weight, bias), targets, reduction="sum"))
    assert (N, V) in plain
    assert fused and all(torch.Size(shape).numel() < N * V for shape in fused), fused
    assert sorted(fused) == sorted([(N, H), (V, H), (V,), (N,), (N,)])  # hidden, weight, bias, targets, lse


class LargestResult(TorchDispatchMode):
    """Records the largest tensor any operation returns (what is alive at most at one time, roughly)."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for tensor in result if isinstance(result, (tuple, list)) else (result,):
            if isinstance(tensor, torch.Tensor):
                self.largest = max(self.largest, tensor.numel())
        return result


def test_no_operation_makes_a_tensor_of_all_the_logits() -> None:
    """Forward and backward: no intermediate is bigger than one chunk of logits (or hidden, weight)."""
    hidden, weight, bias, targets = inputs(N, torch.float32, CPU)
    leaves = [t.requires_grad_() for t in (hidden, weight, bias)]
    chunk = 8
    with LargestResult() as fused:
        loss, _ = linear_cross_entropy(*leaves, targets, chunk)
        loss.backward()
    with LargestResult() as plain:
        F.cross_entropy(F.linear(*leaves), targets, reduction="sum").backward()
    assert plain.largest == N * V
    assert (
        fused.largest == max(chunk * V, N * H, V * H) < N * V
    )  # a chunk of logits, grad_hidden, grad_weight


def test_checkpoint_written_before_the_fused_path_resumes_as_reference(
    tiny_run: Path, isolated: Path
) -> None:
    """Checkpoints without a "path" field pass the identity check, resume, and count as reference: the
    resumed GRU ends as the session's tiny GRU, trained in one go."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    reference_dir = tiny_run / "gru"
    assert torch.load(reference_dir / "model.pt", weights_only=True)["path"] == "reference"  # CPU default

    interrupted_at(profile, "gru", 6)
    checkpoint = profile.run_dir / "gru" / "checkpoint.pt"
    old = torch.load(checkpoint, weights_only=True)
    del old["path"]
    torch.save(old, checkpoint)
    final = train.train(profile, "gru", CPU, progress=False)
    ours, theirs = (torch.load(p, weights_only=True) for p in (final, reference_dir / "model.pt"))
    assert ours["path"] == "reference"
    assert all(torch.equal(ours["weights"][name], theirs["weights"][name]) for name in theirs["weights"])

    del ours["path"]  # a model.pt from before: still loads, and its summary says reference
    torch.save(ours, final)
    model, payload = checkpoints.load_trained(profile, "gru")
    assert checkpoints.trained_summary(profile.model("gru"), payload)["path"] == "reference"


def test_fused_path_on_cpu_records_itself_and_is_not_mixed(tiny_run: Path, isolated: Path, capsys) -> None:
    """The fused implementation chosen on the CPU is recorded, kept on resume, and trains to the losses of
    the reference one (the session's tiny LSTM, which the CPU trains with it by default)."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    interrupted_at(profile, "lstm", 6, implementation="fused")
    directory = profile.run_dir / "lstm"
    assert torch.load(directory / "checkpoint.pt", weights_only=True)["path"] == "fused"
    with pytest.raises(
        CheckpointError, match="trained with the fused implementation, but this run asks for the reference"
    ):
        train.train(profile, "lstm", CPU, progress=False, implementation="reference")
    final = train.train(profile, "lstm", CPU, progress=False)  # none given: the checkpoint's
    assert "(fused implementation)" in capsys.readouterr().out
    payload = torch.load(final, weights_only=True)
    assert payload["path"] == "fused"
    assert checkpoints.trained_summary(profile.model("lstm"), payload)["path"] == "fused"

    fused_losses = [float(row["train_loss"]) for row in train.read_losses(directory / "losses.csv", 99)]
    reference = tiny_run / "lstm"
    assert torch.load(reference / "model.pt", weights_only=True)["path"] == "reference"
    plain_losses = [float(row["train_loss"]) for row in train.read_losses(reference / "losses.csv", 99)]
    assert fused_losses == pytest.approx(plain_losses, rel=1e-4, abs=2e-5)  # the CSV has 5 decimals


def test_reference_flag_and_default_implementations(monkeypatch: pytest.MonkeyPatch) -> None:
    assert training_state.default_implementation(torch.device("cuda")) == "fused"
    assert training_state.default_implementation(CPU) == "reference"
    with pytest.raises(ValueError, match="implementation must be one of"):
        train.train(profiles.load("tiny"), "gru", CPU, implementation="fast")
    calls = []
    monkeypatch.setattr(train, "train", lambda *args, **kwargs: calls.append(kwargs["implementation"]))
    for flags in ([], ["--reference"]):
        monkeypatch.setattr(sys, "argv", ["train", "--profile", "tiny", "--model", "gru", *flags])
        train.main()
    assert calls == [None, "reference"]
