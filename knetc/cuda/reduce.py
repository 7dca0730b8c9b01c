"""Reductions on KnetArrays: sum, mean, prod, max, min, argmax, argmin, and the adjoint's
`sum_to`.

Every reduction is planned on the input's memory layout, not its shape:
1. size-1 dims are dropped (reducing over them changes nothing), and the rest are taken in
   memory order: a C-contiguous array as it is, a transposed (permuted dense) view through
   its own buffer when that keeps the result's dims in order, anything else after one copy
   (`elementwise.contiguous`);
2. neighbouring dims that are all reduced, or all kept, merge into runs;
3. each reduced run is one pass over an (outer, r, inner) view: the `*_rows` kernels when it
   is the last run (contiguous rows), the `*_cols` kernels otherwise (coalesced columns).
Reduced axes that are not neighbours (axis=(0, 2) of a 4-d array) take one pass per run,
the largest first, each reading the previous pass's smaller result: cheaper than copying the
input into a layout where they are neighbours. A pass whose rows or columns are too few to
fill the GPU splits r into chunks and reduces the chunks' partials in a second, small pass
(two passes rather than atomics, so results are deterministic).

Full reductions return a 0-d KnetArray: nothing is copied to the host.
"""
import functools
import math
import operator

import numpy as np

from . import elementwise
from .array import FUNCTIONS, KnetArray, implements
from .layout import size_of

try:  # NumPy >= 2
    from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import normalize_axis_index
    from numpy.core.numeric import normalize_axis_tuple

UNROLL = 4               # elements each thread loads per loop trip (KNETC_REDUCE_UNROLL)
MIN_PER_THREAD = 16      # split r only while each thread keeps at least this many elements
MIN_PER_SPLIT = 1 << 15  # ... and each chunk of the whole pass has at least this many
_ARG_OPS = ("argmax", "argmin")
_NAMES = {"max": "maximum", "min": "minimum"}  # NumPy's names in its error messages


def _pow2(n):
    """The smallest power of two >= n (1 for n <= 1)."""
    return 1 << max(0, int(n) - 1).bit_length()


def _resident_threads(device):
    """Threads the device runs at once (SMs x threads per SM): what one pass should fill.
    The emulator (no CuPy) runs `max_blocks` blocks."""
    cupy = getattr(device, "cupy", None)
    if cupy is None:
        return device.block * device.max_blocks
    return _gpu_threads(cupy, device.id)


@functools.lru_cache(maxsize=None)
def _gpu_threads(cupy, device_id):
    try:
        attributes = cupy.cuda.Device(device_id).attributes
        return attributes["MultiProcessorCount"] * attributes["MaxThreadsPerMultiProcessor"]
    except Exception:  # an attribute this CuPy does not report: assume an H100-sized GPU
        return 132 * 2048


def _splits(target, busy, r, per_split, per_thread_rows):
    """How many chunks to cut r into so `busy` threads grow toward `target`."""
    want = -(-target // max(1, busy))
    return max(1, min(want, r // 2, r // (per_thread_rows * MIN_PER_THREAD),
                      per_split // MIN_PER_SPLIT))


def rows_plan(device, outer, r):
    """(threads per row, rows per block, splits) for reducing the rows of an (outer, r) array."""
    block = device.block
    bx = min(_pow2(-(-r // UNROLL)), block)
    splits = _splits(_resident_threads(device), outer * bx, r, outer * r, bx)
    return bx, block // bx, splits


def cols_plan(device, outer, r, inner):
    """(outputs per block, threads per output, splits) for reducing the middle dim."""
    block, target = device.block, _resident_threads(device)
    outputs = outer * inner
    by_max = block // min(32, _pow2(outputs))  # a warp keeps 32 outputs unless fewer exist
    by = 1
    while by < by_max and outputs * by * 2 <= target and r >= by * 2 * UNROLL:
        by *= 2
    bx = block // by
    busy = -(-outputs // bx) * block
    return bx, by, _splits(target, busy, r, outputs * r, by)


def _launch_pass(op, x, xi, outer, r, inner, scale):
    """One reduction of the middle dim of raw contiguous x (outer, r, inner); arg ops also
    take the indices xi of a previous pass (or None) and return (values, indices)."""
    device, dtype = x.device, x.dtype
    if inner == 1:
        bx, by, splits = rows_plan(device, outer, r)
        grid = device.grid(outer * splits, block=by)
        sizes = [outer, r, splits]
        kind = "rows"
    else:
        bx, by, splits = cols_plan(device, outer, r, inner)
        grid = device.grid(-(-(outer * inner) // bx) * splits, block=1)
        sizes = [outer, r, inner, splits]
        kind = "cols"
    y = elementwise.empty((outer * splits * inner,), dtype, device)
    if op in _ARG_OPS:
        yi = KnetArray(device.xp.empty(y.shape, dtype=np.int64), device)
        name = f"{op}_{kind}_indexed_forward" if xi is not None else f"{op}_{kind}_forward"
        inputs = [x, xi] if xi is not None else [x]
        device.launch("reduce", name, dtype, grid, (bx, by), [*inputs, y, yi, *sizes])
    else:
        yi = None
        device.launch("reduce", f"{op}_{kind}_forward", dtype, grid, (bx, by),
                      [x, y, *sizes, scale if splits == 1 else 1])
    if splits > 1:
        return _launch_pass(op, y, yi, outer, splits, inner, scale)
    return y, yi


def _dense_order(x, dims):
    """`dims` (indices into x.shape: every dim of size > 1, maybe some of size 1) in memory
    order when x is a permuted dense array with positive strides, else None."""
    order = sorted(dims, key=lambda d: -x.strides[d])
    expected = 1
    for d in reversed(order):
        if x.strides[d] != expected:
            return None
        expected *= x.shape[d]
    return order


def _flat(x):
    """A 1-d raw view of the dense memory under x's first element (no copy, no kernel)."""
    xp = x.device.xp
    view = xp.lib.stride_tricks.as_strided(x.raw, shape=(x.size,), strides=(x.itemsize,))
    return KnetArray(view, x.device)


def _layout(x, axes, arg):
    """(flat KnetArray, runs): runs are [size, reduced] in memory order, neighbours merged."""
    reduced = set(axes)
    dims = [d for d in range(x.ndim) if x.shape[d] != 1 or (arg and d in reduced)]
    order = _dense_order(x, dims)
    if order != dims:
        # A permuted dense view (x.T) is reduced through its own buffer when the result keeps
        # its dims in order; argmax over all axes needs C order for its flat index.
        kept = [d for d in order or () if d not in reduced]
        if order is None or kept != sorted(kept) or (arg and len(axes) > 1):
            x = elementwise.contiguous(x)
            order = dims
    runs = []
    for d in order:
        if runs and runs[-1][1] == (d in reduced):
            runs[-1][0] *= x.shape[d]
        else:
            runs.append([x.shape[d], d in reduced])
    return _flat(x), runs


def _float_array(x, name):
    """x itself for float32/float64; a bool mask (x == y) as float32 0/1, so that sums count,
    means give fractions and products say "all" (NumPy gives int64; the GPU reduces floats
    only)."""
    if not isinstance(x, KnetArray):
        raise TypeError(f"knetc's GPU {name} takes a KnetArray, got {type(x).__name__}")
    if x.dtype == np.dtype(bool):
        return elementwise.astype(x, np.float32)
    if x.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"knetc's GPU {name} takes float32, float64 or bool arrays, not "
                        f"{x.dtype}; convert with x.astype(np.float32)")
    return x


def _axes(x, axis, arg):
    if axis is None:
        return tuple(range(x.ndim))
    if arg:  # NumPy's argmax takes one axis; a 0-d array counts as 1-d
        return (normalize_axis_index(operator.index(axis), max(1, x.ndim)),)[:x.ndim]
    if not isinstance(axis, (tuple, list)):
        axis = operator.index(axis)  # TypeError for 1.0, as NumPy
    return normalize_axis_tuple(axis, x.ndim)


def reduce(x, axis=None, keepdims=False, op="sum"):
    """Reduce KnetArray x over `axis` (None, an int or a tuple of ints; negatives allowed)
    with op in sum, mean, prod, max, min, argmax, argmin; argmax/argmin return int64 indices
    (flat C-order ones for axis=None) and take one axis at most."""
    x = _float_array(x, f"np.{op}")
    arg = op in _ARG_OPS
    axes = _axes(x, axis, arg)
    if keepdims:
        out_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    else:
        out_shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
    count = math.prod(x.shape[d] for d in axes)
    device = x.device
    if not size_of(out_shape):
        return KnetArray(device.xp.empty(out_shape, dtype=np.int64 if arg else x.dtype), device)
    if count == 0 and op not in ("sum", "mean", "prod"):  # these have an identity (0, 1)
        if arg:
            raise ValueError(f"attempt to get {op} of an empty sequence")
        raise ValueError(f"zero-size array to reduction operation {_NAMES[op]} "
                         "which has no identity")
    if arg and x.ndim == 0:
        x, axes = x.wrap(x.raw.reshape(1)), (0,)
    flat, runs = _layout(x, axes, arg)
    kernel = "sum" if op == "mean" else op
    scale = (1.0 / count if count else float("nan")) if op == "mean" else 1.0
    values, indices = flat, None
    while any(red for _, red in runs):
        # The largest reduced run first: later passes read its (smaller) result.
        i = max((j for j, (_, red) in enumerate(runs) if red), key=lambda j: runs[j][0])
        outer = math.prod(n for n, _ in runs[:i])
        inner = math.prod(n for n, _ in runs[i + 1:])
        last = sum(red for _, red in runs) == 1
        values, indices = _launch_pass(kernel, values, indices, outer, runs[i][0], inner,
                                       scale if last else 1.0)
        del runs[i]
        if 0 < i < len(runs):  # the kept runs on either side are now neighbours
            runs[i - 1][0] *= runs.pop(i)[0]
    if values is flat:  # nothing to reduce (axis=(), size-1 axes): NumPy returns a copy
        values = elementwise.copy(x)
    result = indices if arg else values
    return result.wrap(result.raw.reshape(out_shape))


def _no(name, **options):
    """TypeError for NumPy options knetc's GPU reductions do not take (out=, where=, ...)."""
    for key, value in options.items():
        if value is not None and value is not np._NoValue:
            raise TypeError(f"knetc's GPU {name} does not support {key}= (got {value!r}); "
                            f"call it without {key}=")


def _same_dtype(x, dtype, name):
    if dtype is not None and isinstance(x, KnetArray) and np.dtype(dtype) != x.dtype:
        raise TypeError(f"knetc's GPU {name} keeps the array's dtype {x.dtype}; "
                        f"convert first (x.astype(...)) instead of passing dtype={dtype}")


def _keep(keepdims):
    return False if keepdims is np._NoValue else bool(keepdims)


@implements(np.sum)
def np_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
        where=np._NoValue):
    _no("np.sum", out=out, initial=initial, where=where)
    _same_dtype(a, dtype, "np.sum")
    return reduce(a, axis, _keep(keepdims), "sum")


@implements(np.mean)
def np_mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue):
    _no("np.mean", out=out, where=where)
    _same_dtype(a, dtype, "np.mean")
    return reduce(a, axis, _keep(keepdims), "mean")


@implements(np.prod)
def np_prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
            where=np._NoValue):
    _no("np.prod", out=out, initial=initial, where=where)
    _same_dtype(a, dtype, "np.prod")
    return reduce(a, axis, _keep(keepdims), "prod")


@implements(np.max, np.amax)
def np_max(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    _no("np.max", out=out, initial=initial, where=where)
    return reduce(a, axis, _keep(keepdims), "max")


@implements(np.min, np.amin)
def np_min(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    _no("np.min", out=out, initial=initial, where=where)
    return reduce(a, axis, _keep(keepdims), "min")


@implements(np.argmax)
def np_argmax(a, axis=None, out=None, *, keepdims=False):
    _no("np.argmax", out=out)
    return reduce(a, axis, _keep(keepdims), "argmax")


@implements(np.argmin)
def np_argmin(a, axis=None, out=None, *, keepdims=False):
    _no("np.argmin", out=out)
    return reduce(a, axis, _keep(keepdims), "argmin")


def _ufunc_reduce(op, name):
    def ufunc_reduce(a, axis=0, dtype=None, out=None, keepdims=False, initial=np._NoValue,
                     where=np._NoValue):
        _no(f"np.{name}.reduce", out=out, initial=initial, where=where)
        _same_dtype(a, dtype, f"np.{name}.reduce")
        return reduce(a, axis, _keep(keepdims), op)
    ufunc_reduce.__name__ = f"{name}_reduce"
    return ufunc_reduce


# array.py looks up ufunc methods as FUNCTIONS[(ufunc, method)]; np.add.reduce defaults to axis=0.
FUNCTIONS[(np.add, "reduce")] = _ufunc_reduce("sum", "add")
FUNCTIONS[(np.multiply, "reduce")] = _ufunc_reduce("prod", "multiply")
FUNCTIONS[(np.maximum, "reduce")] = _ufunc_reduce("max", "maximum")
FUNCTIONS[(np.minimum, "reduce")] = _ufunc_reduce("min", "minimum")


def sum_to(g, shape):
    """g summed down to `shape` (the adjoint of broadcasting x of that shape to g's shape):
    g's extra leading axes are summed away, and axes where `shape` has 1 are summed with
    keepdims. g itself when the shapes already agree."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0 or any(n not in (1, m) for n, m in zip(shape, g.shape[lead:])):
        raise ValueError(f"knetc's sum_to cannot sum an array of shape {tuple(g.shape)} "
                         f"down to {shape}: {shape} does not broadcast to it")
    axes = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + d] != 1)
    out = reduce(g, axes, True, "sum")
    return out.wrap(out.raw.reshape(shape))
