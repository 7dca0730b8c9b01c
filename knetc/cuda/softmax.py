"""Log-softmax, softmax, logsumexp, nll and accuracy on KnetArrays, and their backward ops.

The forward ops have knetc.nn's signatures (knetc.nn calls them for KnetArrays): scores are
classes x batch, so the class axis is 0 by default. Each op makes its operand contiguous,
views it as (outer, n, inner) around the reduced axis and launches kernels/softmax.cu:
`<op>_rows_<pass>` when that axis is the last one (a warp or a block per row; rows of up to
32768 float32 / 16384 float64 values are read once), `<op>_<pass>` otherwise (threads own
columns, so reads are coalesced). Non-adjacent reduced axes are first moved last by a copy.

Labels (nll, accuracy, nll_grad) are an int64 KnetArray, which stays on the device (a label
outside [0, classes) then gives a nan loss rather than an error), or a NumPy integer array,
checked as knetc.nn checks it and uploaded on each call. nll returns a 0-d KnetArray, so the
loss stays on the device; accuracy returns a Python float, as knetc.nn.accuracy does.
"""
import operator

import numpy as np

from .array import KnetArray, to_device
from .elementwise import check_dtype, contiguous, copy, empty
from .layout import size_of
from .registry import CTYPES

FAMILY = "softmax"
MAX_BLOCK = 1024      # SOFTMAX_MAX_BLOCK: column kernels and reductions
ROWS_MAX_BLOCK = 512  # SOFTMAX_ROWS_MAX_BLOCK: row kernels


def row_cache(dtype):
    """SoftmaxRowCache<T>::V: values per thread that the row kernels keep in registers."""
    return 64 if np.dtype(dtype) == np.float32 else 32


# ---- layout ----

def _pow2ceil(n):
    return 1 << max(0, int(n) - 1).bit_length()


def _pow2floor(n):
    return 1 << (int(n).bit_length() - 1)


def _axes(ndim, axis):
    """Sorted non-negative reduced axes; NumPy's errors for bad or repeated ones."""
    if axis is None:
        return tuple(range(ndim))
    axes = []
    for a in axis if isinstance(axis, tuple) else (axis,):
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


def _lines(x, axes, who):
    """(perm, outer, n, inner): x's lines along `axes`; perm moves non-adjacent axes last."""
    if np.dtype(x.dtype) not in CTYPES:
        raise TypeError(f"knetc.{who} on the GPU takes float32 or float64 arrays, not "
                        f"{x.dtype}; convert with x.astype(np.float32)")
    shape = x.shape
    if not axes:
        perm, outer, n, inner = None, size_of(shape), 1, 1
    elif axes[-1] - axes[0] == len(axes) - 1:
        perm = None
        outer, n = size_of(shape[:axes[0]]), size_of(shape[axes[0]:axes[-1] + 1])
        inner = size_of(shape[axes[-1] + 1:])
    else:
        kept = [d for d in range(len(shape)) if d not in axes]
        perm = (*kept, *axes)
        outer, n, inner = size_of([shape[d] for d in kept]), size_of([shape[d] for d in axes]), 1
    if n == 0 and outer * inner:
        raise ValueError(f"{who}: zero-size array to reduction operation maximum which has no "
                         "identity")
    return perm, outer, n, inner


def _prepare(x, perm):
    """x contiguous, with its reduced axes moved last when perm says so."""
    return copy(x.wrap(x.raw.transpose(perm))) if perm else contiguous(x)


def _restore(y, perm):
    """The view of y in the original axis order (undoes _prepare's perm)."""
    return y.wrap(y.raw.transpose(tuple(int(a) for a in np.argsort(perm)))) if perm else y


def _operand(g, like):
    """g as a KnetArray of like's shape and dtype: a broadcast view, or a host value uploaded."""
    if isinstance(g, KnetArray):
        check_dtype(g, like)
        if g.shape != like.shape:
            g = g.wrap(g.device.xp.broadcast_to(g.raw, like.shape))
        return g
    host = np.broadcast_to(np.asarray(g, dtype=like.dtype), like.shape)
    return to_device(np.ascontiguousarray(host), like.device)


def config(device, outer, n, inner, per_thread, top):
    """(grid, block, group) of a launch over the (outer, n, inner) lines (kernels/softmax.cu).

    Rows (inner == 1): group = threads per row, a power of two, one per element up to 32,
    else enough whole warps that each thread gets at most `per_thread` elements (at most
    `top`); a group over 32 is the whole block. Columns: group = columns per block (up to 32),
    with enough threads along n for about 4 elements each.
    """
    top = min(top, 4 * device.block)
    if inner == 1:
        if n <= 32:
            group = _pow2ceil(n)
        else:
            group = min(top, max(32, _pow2ceil(-(-n // per_thread))))
        block = group if group > 32 else min(device.block, top)
        lines = -(-outer // (block // group))
    else:
        group = min(32, _pow2ceil(inner))
        block = group * max(32 // group, _pow2floor(max(1, min(n // 4, top // group))))
        lines = outer * -(-inner // group)
    return (max(1, min(device.max_blocks, lines)),), (block,), group


def _launch_lines(op, suffix, per_thread, args, extra, outer, n, inner):
    """Launch `<op>_rows_<suffix>` or `<op>_<suffix>` on args + sizes + extra scalars."""
    x = args[0]
    if inner == 1:
        grid, block, group = config(x.device, outer, n, 1, per_thread, ROWS_MAX_BLOCK)
        kernel, sizes = f"{op}_rows_{suffix}", [outer, n, group]
    else:
        grid, block, group = config(x.device, outer, n, inner, per_thread, MAX_BLOCK)
        kernel, sizes = f"{op}_{suffix}", [outer, n, inner, group]
    x.device.launch(FAMILY, kernel, x.dtype, grid, block, [*args, *sizes, *extra])


# ---- log-softmax and softmax ----

def _forward(op, x, axis):
    perm, outer, n, inner = _lines(x, _axes(x.ndim, axis), op)
    xc = _prepare(x, perm)
    y = empty(xc.shape, xc.dtype, xc.device)
    if y.size:
        _launch_lines(op, "forward", row_cache(x.dtype), [xc, y], [], outer, n, inner)
    return _restore(y, perm)


def _backward(op, g, y, axis, per_thread):
    perm, outer, n, inner = _lines(y, _axes(y.ndim, axis), op)
    yc, gc = _prepare(y, perm), _prepare(_operand(g, y), perm)
    dx = empty(yc.shape, yc.dtype, yc.device)
    if dx.size:
        _launch_lines(op, "backward", per_thread, [yc, gc, dx], [], outer, n, inner)
    return _restore(dx, perm)


def logp(x, axis=0):
    """Log-softmax of KnetArray x along axis (knetc.nn.logp)."""
    return _forward("logp", x, axis)


def logp_grad(g, y, axis=0):
    """Adjoint of y = logp(x, axis): g - exp(y) * sum(g, axis)."""
    return _backward("logp", g, y, axis, row_cache(y.dtype))


def softmax(x, axis=0):
    """Softmax of KnetArray x along axis (knetc.nn.softmax)."""
    return _forward("softmax", x, axis)


def softmax_grad(g, y, axis=0):
    """Adjoint of y = softmax(x, axis): y * (g - sum(g * y, axis))."""
    return _backward("softmax", g, y, axis, row_cache(y.dtype) // 2)


# ---- logsumexp ----

def _reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if d in axes else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in axes)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x), axis)) of KnetArray x, max-shifted (knetc.nn.logsumexp); 0-d for all."""
    axes = _axes(x.ndim, axis)
    perm, outer, n, inner = _lines(x, axes, "logsumexp")
    xc = _prepare(x, perm)
    y = empty((outer * inner,), xc.dtype, xc.device)
    if y.size:
        grid, block, group = config(x.device, outer, n, inner, 16, MAX_BLOCK)
        x.device.launch(FAMILY, "logsumexp_forward", x.dtype, grid, block,
                        [xc, y, outer, n, inner, group])
    return y.wrap(y.raw.reshape(_reduced_shape(x.shape, axes, keepdims)))


def logsumexp_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of y = logsumexp(x, axis, keepdims): g * exp(x - y), broadcast along axis."""
    perm, outer, n, inner = _lines(x, _axes(x.ndim, axis), "logsumexp")
    xc = _prepare(x, perm)
    check_dtype(xc, y)
    yc, gc = contiguous(y), contiguous(_operand(g, y))
    dx = empty(xc.shape, xc.dtype, xc.device)
    if dx.size:
        x.device.launch(FAMILY, "logsumexp_backward", x.dtype, x.device.grid(dx.size),
                        (x.device.block,), [xc, yc, gc, dx, dx.size, n, inner])
    return _restore(dx, perm)


# ---- nll and accuracy ----

def _labels(scores, labels, axis, n, who):
    """Labels as a contiguous int64 KnetArray on scores' device. NumPy labels are checked as
    knetc.nn checks them (the range for nll only: accuracy just counts a miss) and uploaded."""
    from ..nn import _check_labels  # knetc.nn imports this package: import it late
    if isinstance(labels, KnetArray):
        _check_labels(scores, labels, axis, who)
        if labels.dtype != np.int64 or not labels.is_contiguous:
            raise TypeError(f"{who}: labels on the GPU must be a contiguous int64 KnetArray, "
                            f"got {labels.dtype}; or pass a NumPy integer array")
        return labels
    labels, _ = _check_labels(scores, labels, axis, who)
    if who == "nll" and labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(
            f"{who}: labels must lie in [0, {n}), got range [{labels.min()}, {labels.max()}] "
            "(knetc labels are 0-based; Knet's Julia labels are 1-based)")
    return to_device(np.ascontiguousarray(labels, dtype=np.int64), scores.device)


def _line_counts(scores, labels, axis, who):
    """(scores contiguous, labels on the device, outer, n, inner) for nll/accuracy."""
    if isinstance(axis, tuple) or axis is None:
        raise TypeError(f"{who}: axis must be one integer, got {axis}")
    axis = _axes(scores.ndim, axis)[0]
    labels = _labels(scores, labels, axis, scores.shape[axis], who)
    _, outer, n, inner = _lines(scores, (axis,), who)
    return contiguous(scores), labels, outer, n, inner


def _sum_of_lines(kernel, scores, labels, axis, who, mean):
    """(0-d KnetArray, count): the sum (or mean) over the lines of what `kernel` sums per
    block, and the number of lines (a nan sum for none)."""
    x, labels, outer, n, inner = _line_counts(scores, labels, axis, who)
    count = outer * inner
    if count == 0:
        return to_device(np.array(np.nan, dtype=x.dtype), x.device), 0
    out = empty((), x.dtype, x.device)
    grid, block, group = config(x.device, outer, n, inner, 16, MAX_BLOCK)
    partial = empty(grid, x.dtype, x.device)
    x.device.launch(FAMILY, kernel, x.dtype, grid, block,
                    [x, labels, partial, outer, n, inner, group])
    x.device.launch(FAMILY, "scaledsum_forward", x.dtype, (1,), (min(x.device.block, MAX_BLOCK),),
                    [partial, out, grid[0], 1.0 / count if mean else 1.0])
    return out, count


def nll(scores, labels, axis=0):
    """Mean negative log likelihood of integer labels under softmax(scores, axis), a 0-d
    KnetArray (knetc.nn.nll)."""
    return _sum_of_lines("nll_forward", scores, labels, axis, "nll", mean=True)[0]


def nll_grad(g, scores, labels, axis=0):
    """Adjoint of knetc.nn.nll: (softmax(scores) - onehot(labels)) * g / number of labels.

    g is the upstream gradient: a number or a one-element KnetArray (read on the device).
    """
    x, labels, outer, n, inner = _line_counts(scores, labels, axis, "nll")
    dx = empty(x.shape, x.dtype, x.device)
    if not dx.size:
        return dx
    count = max(outer * inner, 1)
    if isinstance(g, KnetArray):
        check_dtype(g, x)
        if g.size != 1:
            raise ValueError(f"nll_grad: the gradient of a scalar loss has one element, "
                             f"got shape {g.shape}")
        dy, scale, given = contiguous(g), 1.0 / count, 1
    else:
        g = np.asarray(g)
        if g.size != 1:
            raise ValueError(f"nll_grad: the gradient of a scalar loss has one element, "
                             f"got shape {g.shape}")
        dy, scale, given = x, g.item() / count, 0  # dy is not read
    _launch_lines("nll", "backward", row_cache(x.dtype), [x, labels, dy, dx], [scale, given],
                  outer, n, inner)
    return dx


def accuracy(scores, labels, axis=0):
    """Fraction of lines whose first largest score along axis is at the label, a Python float
    (knetc.nn.accuracy)."""
    hits, count = _sum_of_lines("accuracy_forward", scores, labels, axis, "accuracy", mean=False)
    return hits.item() / count if count else float("nan")  # exact, as NumPy's mean of bools
