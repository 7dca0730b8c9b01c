"""Shapes and element strides as kernels take them: merged where contiguous, padded to 6 dims.

Kernels that read strided or broadcast operands take `ndim, n0..n5, s0..s5` (sizes, then
element strides per operand); `strided_offset` in kernels/common.cuh turns a row-major index
into an element offset. Merging dims that are contiguous in every operand keeps the index
arithmetic short: a C-contiguous array always becomes one dim.
"""
import numpy as np

MAXDIM = 6


def broadcast_strides(x, shape):
    """Element strides that read KnetArray `x` as if broadcast to `shape` (0 on broadcast dims)."""
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"cannot broadcast shape {x.shape} to {shape}")
    out = [0] * lead
    for size, n, s in zip(x.shape, shape[lead:], x.strides):
        if size == n:
            out.append(s if n != 1 else 0)
        elif size == 1:
            out.append(0)
        else:
            raise ValueError(f"operands could not be broadcast together: {x.shape} to {shape}")
    return out


def collapse(shape, *strides):
    """(shape, [strides...]) with size-1 dims dropped and mergeable neighbours merged."""
    dims = [(n, [s[d] for s in strides]) for d, n in enumerate(shape) if n != 1]
    merged = []
    for n, ss in dims:
        if merged and all(prev == s * n for prev, s in zip(merged[-1][1], ss)):
            merged[-1] = (merged[-1][0] * n, ss)
        else:
            merged.append((n, ss))
    if not merged:
        merged = [(1, [0] * len(strides))]
    return [n for n, _ in merged], [[ss[i] for _, ss in merged] for i in range(len(strides))]


def kernel_layout(shape, *strides):
    """[ndim, n0..n5, s0..s5 for each stride list]: the trailing kernel arguments."""
    dims, merged = collapse(shape, *strides)
    if len(dims) > MAXDIM:
        raise ValueError(f"knetc's GPU kernels handle at most {MAXDIM} non-mergeable dims; "
                         f"shape {tuple(shape)} has {len(dims)}")
    pad = MAXDIM - len(dims)
    args = [len(dims), *dims, *[1] * pad]
    for s in merged:
        args += [*s, *[0] * pad]
    return args


def size_of(shape):
    return int(np.prod(shape, dtype=np.int64))
