"""Triton kernels for the fused implementation of training on CUDA (one module per kernel family).

Importing a module here imports triton, which the CPU wheel of torch does not bring: only the units'
fast `forward`s import them, lazily, on CUDA (where torch's wheel brings triton) or when asked to. On the
CPU the kernels run in Triton's interpreter, which `TRITON_INTERPRET=1` selects; it must be set before a
module here is imported, since `@triton.jit` picks compiled or interpreted at decoration time.
"""
