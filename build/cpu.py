"""How every process of the build uses the CPU: subnormal floats flushed to zero, and a fixed thread count.

Subnormal floats: as the Nested LSTM trains, products of its gates fall below 2^-126, where many Intel
cores compute an operation in microcode, tens of times slower (one of its training steps on a Xeon took
3x as long as with subnormals flushed; bench/flush_denormal.py measures it). PyTorch's GRU and LSTM
kernels (oneDNN) already flush, the Nested LSTM's plain PyTorch does not. Flushing replaces numbers
below about 1.2e-38 by zero, which changes a model's numbers only where such values occur; every stage
flushes, so training, evaluation, context, export's checks, precompute and the benchmarks compute alike.
`build.units` calls `flush_denormal()` when it is imported, which every process that runs a model does;
the profile's `flush_denormal` (recorded in run.json, checkpoints, results.json and the site's manifest)
is what `settings` then holds each stage to. The flag belongs to a thread: threads started later (PyTorch's
own) inherit it, and creating an onnxruntime session resets it on the thread that creates it, which no
stage that runs a model in PyTorch does (the tests set it again before each test).

Threads: float sums depend on how many threads share them, so a profile that fixes `train_threads` runs
every stage that runs a model on that many (`settings`), and a stage's numbers do not depend on what runs
beside it, nor on the machine's core count.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import torch

from build.profiles import Profile

_flushing: bool | None = None  # what the last call of flush_denormal left in effect (None: never called)


def flush_denormal(on: bool = True) -> bool:
    """Flush subnormal floats to zero on the CPU (or stop, with on=False); whether flushing is now in
    effect. False with on=True means this CPU cannot flush (torch needs SSE3 on x86)."""
    global _flushing
    supported = torch.set_flush_denormal(on)
    _flushing = bool(on and supported)
    return _flushing


def flushing() -> bool:
    """Whether subnormal floats are flushed to zero in this process now (as far as this module set it)."""
    return bool(_flushing)


@contextlib.contextmanager
def threads(count: int | None) -> Iterator[None]:
    """PyTorch's CPU threads set to `count` for the block (None: left as they are)."""
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def settings(profile: Profile) -> Iterator[None]:
    """The profile's CPU settings for the block: its thread count (`train_threads`, when it fixes one) and
    its flush of subnormal floats; both restored afterwards. On a CPU that cannot flush, one warning says
    that the numbers may differ from a CPU that can (the records keep the profile's setting)."""
    before = flushing()
    if flush_denormal(profile.flush_denormal) != profile.flush_denormal:
        print(
            f"warning: this CPU cannot flush subnormal floats to zero, as profile {profile.name!r} asks; "
            "its numbers may differ in their last digits from a CPU that can",
            file=sys.stderr,
        )
    try:
        with threads(profile.train_threads):
            yield
    finally:
        flush_denormal(before)
