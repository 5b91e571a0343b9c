"""The Nested LSTM time step (build/units/nlstm.py) with its pointwise work fused into Triton kernels.

A step of one layer is two matrix products, which stay in torch (cuBLAS on a GPU), and the pointwise work
around them, which `Unit.step` spreads over about 30 small kernels per step and which here is one Triton
kernel each, forward and backward:
- outer: gates [B, 4H] (i, f, o, z), c -> [x~, h~] = [sigmoid(i) * z, sigmoid(f + 1) * c] as one
  [B, 2H] tensor, the inner product's operand without a cat, and sigmoid(o) [B, H];
- inner: inner gates [B, 4H] (i~, f~, o~, z~), sigmoid(o), c~ -> c~' = sigmoid(i~) * tanh(z~) +
  sigmoid(f~ + 1) * c~, c' = sigmoid(o~) * tanh(c~'), h' = sigmoid(o) * tanh(c').
Each kernel is a torch.autograd.Function whose backward is a Triton kernel too. They save only their
inputs (pre-activation gates and previous memories) and recompute the activations in the backward: a
few flops against reading and writing more [B, H] tensors per step.
`nlstm_layer` runs a layer over a sequence: the input half of the outer product is one matmul over all
time steps, so each step multiplies only h by the recurrent rows.

On the CPU the kernels run in Triton's interpreter (TRITON_INTERPRET=1 set before this module is
imported), which is how the tests hold them to `Unit.step`; that is for tests only (slow).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch.autograd.function import FunctionCtx, once_differentiable
from triton.runtime.interpreter import InterpretedFunction

# Elements of [B, H] per program. Small enough that the paper's 64 x 600 = 38,400 elements give ~150
# programs for an H100's 132 SMs (these kernels are latency-bound); to be tuned on the GPU.
BLOCK = 256


@triton.jit
def _tanh(x):
    # tl has no tanh that the interpreter also runs; 2 sigmoid(2x) - 1 is within 1e-7 of it in fp32.
    return 2.0 * tl.sigmoid(2.0 * x) - 1.0


@triton.jit
def _gates(gates, row, col, mask, H, FORGET: tl.constexpr):
    """sigmoid(i), sigmoid(f + FORGET), sigmoid(o) and the raw z of gates [B, 4H] at (row, col), in fp32."""
    g = gates + row * 4 * H + col
    i = tl.sigmoid(tl.load(g, mask=mask).to(tl.float32))
    f = tl.sigmoid(tl.load(g + H, mask=mask).to(tl.float32) + FORGET)
    o = tl.sigmoid(tl.load(g + 2 * H, mask=mask).to(tl.float32))
    z = tl.load(g + 3 * H, mask=mask).to(tl.float32)
    return i, f, o, z


@triton.jit
def _load(pointer, row, col, s0, s1, mask):
    """A [B, H] tensor with strides (s0, s1) at (row, col), in fp32."""
    return tl.load(pointer + row * s0 + col * s1, mask=mask).to(tl.float32)


@triton.jit
def _outer_forward(gates, c, c_s0, c_s1, inner_in, out_gate, n, H, FORGET: tl.constexpr, BLOCK: tl.constexpr):
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = k < n
    row, col = k // H, k % H
    i, f, o, z = _gates(gates, row, col, mask, H, FORGET)  # the outer sigma_z is the identity
    c_prev = _load(c, row, col, c_s0, c_s1, mask)
    tl.store(inner_in + row * 2 * H + col, i * z, mask=mask)
    tl.store(inner_in + row * 2 * H + H + col, f * c_prev, mask=mask)
    tl.store(out_gate + k, o, mask=mask)


@triton.jit
def _outer_backward(
    gates,
    c,
    c_s0,
    c_s1,
    d_in,
    d_in_s0,
    d_in_s1,
    d_og,
    d_og_s0,
    d_og_s1,
    d_gates,
    d_c,
    n,
    H,
    FORGET: tl.constexpr,
    BLOCK: tl.constexpr,
):
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = k < n
    row, col = k // H, k % H
    i, f, o, z = _gates(gates, row, col, mask, H, FORGET)
    c_prev = _load(c, row, col, c_s0, c_s1, mask)
    d_x = _load(d_in, row, col, d_in_s0, d_in_s1, mask)
    d_h = _load(d_in, row, H + col, d_in_s0, d_in_s1, mask)
    d_o = _load(d_og, row, col, d_og_s0, d_og_s1, mask)
    dg = d_gates + row * 4 * H + col
    tl.store(dg, d_x * z * i * (1.0 - i), mask=mask)
    tl.store(dg + H, d_h * c_prev * f * (1.0 - f), mask=mask)
    tl.store(dg + 2 * H, d_o * o * (1.0 - o), mask=mask)
    tl.store(dg + 3 * H, d_x * i, mask=mask)
    tl.store(d_c + k, d_h * f, mask=mask)


@triton.jit
def _inner_cell(gates, out_gate, ic, ic_s0, ic_s1, k, row, col, mask, H, FORGET: tl.constexpr):
    """The inner step's activations, shared by its forward and its backward (which recomputes them):
    gates, previous c~ and sigmoid(o) -> c~' = i~ z~ + f~ c~, c' = o~ tanh(c~') (the outer memory)."""
    i, f, o, z = _gates(gates, row, col, mask, H, FORGET)
    z = _tanh(z)
    ic_prev = _load(ic, row, col, ic_s0, ic_s1, mask)
    og = tl.load(out_gate + k, mask=mask).to(tl.float32)
    ic_new = i * z + f * ic_prev
    t_ic = _tanh(ic_new)
    c_new = o * t_ic
    t_c = _tanh(c_new)
    return i, f, o, z, ic_prev, og, ic_new, t_ic, c_new, t_c


@triton.jit
def _inner_forward(
    gates,
    out_gate,
    ic,
    ic_s0,
    ic_s1,
    h_out,
    c_out,
    ic_out,
    n,
    H,
    FORGET: tl.constexpr,
    BLOCK: tl.constexpr,
):
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = k < n
    row, col = k // H, k % H
    i, f, o, z, ic_prev, og, ic_new, t_ic, c_new, t_c = _inner_cell(
        gates, out_gate, ic, ic_s0, ic_s1, k, row, col, mask, H, FORGET
    )
    tl.store(ic_out + k, ic_new, mask=mask)
    tl.store(c_out + k, c_new, mask=mask)
    tl.store(h_out + k, og * t_c, mask=mask)


@triton.jit
def _inner_backward(
    gates,
    out_gate,
    ic,
    ic_s0,
    ic_s1,
    d_h,
    d_h_s0,
    d_h_s1,
    d_c,
    d_c_s0,
    d_c_s1,
    d_ic,
    d_ic_s0,
    d_ic_s1,
    d_gates,
    d_og,
    d_ic_prev,
    n,
    H,
    FORGET: tl.constexpr,
    BLOCK: tl.constexpr,
):
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = k < n
    row, col = k // H, k % H
    # the forward again, in registers
    i, f, o, z, ic_prev, og, ic_new, t_ic, c_new, t_c = _inner_cell(
        gates, out_gate, ic, ic_s0, ic_s1, k, row, col, mask, H, FORGET
    )
    dh = _load(d_h, row, col, d_h_s0, d_h_s1, mask)
    dc = _load(d_c, row, col, d_c_s0, d_c_s1, mask) + dh * og * (1.0 - t_c * t_c)
    dic = _load(d_ic, row, col, d_ic_s0, d_ic_s1, mask)
    dic = dic + dc * o * (1.0 - t_ic * t_ic)
    dg = d_gates + row * 4 * H + col
    tl.store(dg, dic * z * i * (1.0 - i), mask=mask)
    tl.store(dg + H, dic * ic_prev * f * (1.0 - f), mask=mask)
    tl.store(dg + 2 * H, dc * t_ic * o * (1.0 - o), mask=mask)
    tl.store(dg + 3 * H, dic * i * (1.0 - z * z), mask=mask)
    tl.store(d_og + k, dh * t_c, mask=mask)
    tl.store(d_ic_prev + k, dic * f, mask=mask)


def interpreted() -> bool:
    """Whether the kernels run in Triton's interpreter (TRITON_INTERPRET=1 when this module was imported)."""
    return isinstance(_outer_forward, InterpretedFunction)


def _check(gates: torch.Tensor, *states: torch.Tensor) -> int:
    """Elements of [B, H] for gates [B, 4H]: one device, row-major gates (the kernels index them so)."""
    if gates.dim() != 2 or gates.shape[1] % 4 or not gates.is_contiguous():
        raise ValueError(f"gates must be a contiguous [B, 4H] tensor, got {tuple(gates.shape)}")
    for state in states:
        if state.shape != (gates.shape[0], gates.shape[1] // 4):
            raise ValueError(f"state {tuple(state.shape)} does not fit gates {tuple(gates.shape)}")
        if state.device != gates.device:
            raise ValueError(f"state on {state.device}, gates on {gates.device}")
    if gates.device.type != "cuda" and not interpreted():
        raise RuntimeError(
            f"the Nested LSTM kernels got {gates.device} tensors: off CUDA they need Triton's interpreter, "
            "TRITON_INTERPRET=1 set before build.kernels.nlstm is imported"
        )
    return gates.numel() // 4


def _grid(n: int) -> tuple[int]:
    return (triton.cdiv(n, BLOCK),)


class _OuterGates(torch.autograd.Function):
    """gates [B, 4H], c [B, H] -> [x~, h~] [B, 2H], sigmoid(o) [B, H]."""

    @staticmethod
    def forward(
        ctx: FunctionCtx, gates: torch.Tensor, c: torch.Tensor, forget_bias: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        n = _check(gates, c)
        batch, hidden = c.shape
        inner_in = gates.new_empty(batch, 2 * hidden)
        out_gate = gates.new_empty(batch, hidden)
        _outer_forward[_grid(n)](
            gates, c, *c.stride(), inner_in, out_gate, n, hidden, FORGET=forget_bias, BLOCK=BLOCK
        )
        ctx.save_for_backward(gates, c)
        ctx.forget_bias = forget_bias
        return inner_in, out_gate

    @staticmethod
    @once_differentiable
    def backward(
        ctx: FunctionCtx, d_inner_in: torch.Tensor, d_out_gate: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, None]:
        gates, c = ctx.saved_tensors
        n = _check(gates, c)
        d_gates = torch.empty_like(gates)
        d_c = torch.empty(c.shape, dtype=c.dtype, device=c.device)
        _outer_backward[_grid(n)](
            gates,
            c,
            *c.stride(),
            d_inner_in,
            *d_inner_in.stride(),
            d_out_gate,
            *d_out_gate.stride(),
            d_gates,
            d_c,
            n,
            c.shape[1],
            FORGET=ctx.forget_bias,
            BLOCK=BLOCK,
        )
        return d_gates, d_c, None


class _InnerCell(torch.autograd.Function):
    """inner gates [B, 4H], sigmoid(o) [B, H], c~ [B, H] -> h, c, c~ (each [B, H])."""

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        gates: torch.Tensor,
        out_gate: torch.Tensor,
        inner_c: torch.Tensor,
        forget_bias: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = _check(gates, out_gate, inner_c)
        out_gate = out_gate.contiguous()  # ours always is; the kernel reads it flat
        h, c, new_inner_c = (
            torch.empty(inner_c.shape, dtype=inner_c.dtype, device=inner_c.device) for _ in range(3)
        )
        _inner_forward[_grid(n)](
            gates,
            out_gate,
            inner_c,
            *inner_c.stride(),
            h,
            c,
            new_inner_c,
            n,
            inner_c.shape[1],
            FORGET=forget_bias,
            BLOCK=BLOCK,
        )
        ctx.save_for_backward(gates, out_gate, inner_c)
        ctx.forget_bias = forget_bias
        return h, c, new_inner_c

    @staticmethod
    @once_differentiable
    def backward(
        ctx: FunctionCtx, d_h: torch.Tensor, d_c: torch.Tensor, d_inner_c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:
        gates, out_gate, inner_c = ctx.saved_tensors
        n = _check(gates, out_gate, inner_c)
        d_gates = torch.empty_like(gates)
        d_out_gate = torch.empty_like(out_gate)
        d_prev = torch.empty(inner_c.shape, dtype=inner_c.dtype, device=inner_c.device)
        _inner_backward[_grid(n)](
            gates,
            out_gate,
            inner_c,
            *inner_c.stride(),
            d_h,
            *d_h.stride(),
            d_c,
            *d_c.stride(),
            d_inner_c,
            *d_inner_c.stride(),
            d_gates,
            d_out_gate,
            d_prev,
            n,
            inner_c.shape[1],
            FORGET=ctx.forget_bias,
            BLOCK=BLOCK,
        )
        return d_gates, d_out_gate, d_prev, None


def outer_gates(
    gates: torch.Tensor, c: torch.Tensor, forget_bias: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Outer gates [B, 4H] (i, f, o, z, pre-activation) and memory c -> [x~, h~] [B, 2H], sigmoid(o)."""
    return _OuterGates.apply(gates, c, forget_bias)


def inner_cell(
    gates: torch.Tensor, out_gate: torch.Tensor, inner_c: torch.Tensor, forget_bias: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inner gates [B, 4H] (pre-activation), sigmoid(o) and inner memory c~ -> new h, c, c~."""
    return _InnerCell.apply(gates, out_gate, inner_c, forget_bias)


def nlstm_step(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    inner_c: torch.Tensor,
    outer_kernel: torch.Tensor,
    outer_bias: torch.Tensor,
    inner_kernel: torch.Tensor,
    inner_bias: torch.Tensor,
    forget_bias: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One layer, one time step, the parameters laid out as in `Unit` and its forget-gate bias: -> new h,
    c, c~ (each [B, H])."""
    gates = torch.addmm(outer_bias, torch.cat([x, h], dim=-1), outer_kernel)
    inner_in, out_gate = outer_gates(gates, c, forget_bias)
    return inner_cell(torch.addmm(inner_bias, inner_in, inner_kernel), out_gate, inner_c, forget_bias)


def nlstm_layer(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    inner_c: torch.Tensor,
    outer_kernel: torch.Tensor,
    outer_bias: torch.Tensor,
    inner_kernel: torch.Tensor,
    inner_bias: torch.Tensor,
    forget_bias: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One layer over a sequence x [B, T, I] -> outputs [B, T, H] and the final h, c, c~ (`forget_bias`:
    the unit's, added to both forget gates).

    The outer product [x, h] @ W splits into x @ W[:I] for all T steps at once (one large matmul, the
    bias added there) plus h @ W[I:] per step, which is all that has to wait for the previous step.
    """
    batch, steps, width = x.shape
    projected = torch.addmm(outer_bias, x.reshape(batch * steps, width), outer_kernel[:width])
    # unbind, not projected[:, t]: its backward is one stack, where T selects would each zero-fill and
    # add a whole [B, T, 4H] gradient
    projected = projected.view(batch, steps, -1).unbind(1)
    recurrent = outer_kernel[width:]
    outputs = []
    for t in range(steps):
        inner_in, out_gate = outer_gates(torch.addmm(projected[t], h, recurrent), c, forget_bias)
        h, c, inner_c = inner_cell(
            torch.addmm(inner_bias, inner_in, inner_kernel), out_gate, inner_c, forget_bias
        )
        outputs.append(h)
    return torch.stack(outputs, dim=1), h, c, inner_c
