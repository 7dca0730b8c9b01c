"""Indexing on KnetArrays: views, gathers, scatter-adds, concatenate/stack and dropout masks.

`x[index]` with only ints, slices, None and Ellipsis is a view of x's buffer and launches
nothing. With integer arrays (NumPy arrays, lists, or int64 KnetArrays) or boolean masks
(NumPy or bool KnetArrays) it follows NumPy's advanced-indexing rules through one gather
kernel: the index is split into its basic part (a view) and one element offset per position of
the broadcast index arrays (`Plan` below). Indices given on the host are checked and turned
into offsets there, then copied to the device (one small host->device copy of nb int64s);
KnetArray indices never leave the device (their offsets are made by a kernel, and
out-of-range ones are clamped, not reported: the device cannot raise).

Writes go the other way: `x[index] = v`, `np.add.at(x, index, g)` and the runtime's adjoint
of indexing use the same plan, with repeated indices accumulating through atomicAdd (so a
float32 sum of many repeats may differ in its last bits between runs).
"""
import numbers
import operator

import numpy as np

from . import elementwise
from .array import KnetArray, common_device, implements, to_device
from .layout import broadcast_strides, kernel_layout, size_of

FAMILY = "index"
MASK_BLOCKS = 1024  # most blocks for the mask compaction (the host reads one count per block)
_AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError


def _launch(device, kernel, dtype, n, args):
    """A 1-d launch over n items (kernels that only move indices run as float32)."""
    device.launch(FAMILY, kernel, dtype, device.grid(n), (device.block,), args)


def _strides(raw):
    """Element strides of a raw buffer."""
    return [s // raw.itemsize for s in raw.strides]


# ---------------------------------------------------------------- parsing an index

def _item(item):
    """One index item: int, slice, None, Ellipsis, KnetArray, or a NumPy int/bool array."""
    if isinstance(item, (bool, np.bool_)):
        raise TypeError("knetc's GPU indexing does not take a bare True/False as an index")
    if isinstance(item, numbers.Integral):
        return operator.index(item)
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, KnetArray):
        if item.dtype not in (np.int64, np.bool_):
            raise TypeError("KnetArrays used as indices must be int64 or bool arrays, "
                            f"not {item.dtype}")
        return item
    if isinstance(item, (list, tuple)) and len(item) == 0:
        return np.zeros(0, dtype=np.int64)
    array = np.asarray(item)
    if array.dtype.kind not in "iub":  # IndexError, as NumPy raises
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and integer or "
                         f"boolean arrays are valid indices, not {type(item).__name__} "
                         f"of {array.dtype}")
    if array.ndim == 0:
        if array.dtype.kind == "b":
            raise TypeError("knetc's GPU indexing does not take a 0-d boolean index")
        return int(array)
    return array


def _is_array(item):
    return isinstance(item, (np.ndarray, KnetArray))


def _is_mask(item):
    return _is_array(item) and item.dtype.kind == "b"


def _expand(index, ndim):
    """The index as a list of items with the Ellipsis spelled out as full slices."""
    items = [_item(i) for i in (index if isinstance(index, tuple) else (index,))]
    used = sum(i.ndim if _is_mask(i) else 1 for i in items if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, "
                         f"but {used} were indexed")
    ellipses = [k for k, i in enumerate(items) if i is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = [slice(None)] * (ndim - used)
    if ellipses:
        k = ellipses[0]
        return items[:k] + fill + items[k + 1:]
    return items + fill


class Plan:
    """An advanced index resolved against an array: `view` (raw) is its basic part, `offsets`
    (raw int64, nb of them) the element offset into the view for each position of the index
    shape `bshape`, and the result has shape rest[:split] + bshape + rest[split:], where
    `rest` (with `rest_strides`) are the view's dims that no array indexes."""

    def __init__(self, view, offsets, bshape, rest, rest_strides, split):
        self.view, self.offsets, self.bshape = view, offsets, tuple(bshape)
        self.rest, self.rest_strides, self.split = list(rest), list(rest_strides), split
        self.nb = size_of(self.bshape)
        self.shape = tuple(self.rest[:split]) + self.bshape + tuple(self.rest[split:])
        self.size = size_of(self.shape)
        self.post = size_of(self.rest[split:])

    def layout(self):
        """nb, post and the rest dims' layout: the arguments the gather kernels share."""
        return [self.nb, self.post, *kernel_layout(self.rest, self.rest_strides)]


def resolve(x, index):
    """x.raw[index] as a view (raw) when the index is basic, else a Plan (see above)."""
    items = _expand(index, x.ndim)
    if not any(_is_array(i) for i in items):
        return x.raw[tuple(items) + (Ellipsis,)]  # the Ellipsis keeps 0-d results arrays
    # NumPy puts the broadcast index dims where the indexed dims were when every array and
    # int index sits next to the others, else first.
    where = [k for k, i in enumerate(items) if _is_array(i) or isinstance(i, int)]
    adjacent = where == list(range(where[0], where[-1] + 1))
    basic, arrays, dim = [], [], 0  # arrays: (item, first view dim)
    for item in items:
        if _is_array(item):
            arrays.append((item, dim))
            k = item.ndim if _is_mask(item) else 1
            basic += [slice(None)] * k
            dim += k
        else:
            basic.append(item)
            dim += not isinstance(item, int)
    view = x.raw[tuple(basic) + (Ellipsis,)]
    strides = _strides(view)
    indexed = {d for item, d0 in arrays
               for d in range(d0, d0 + (item.ndim if _is_mask(item) else 1))}
    rest = [d for d in range(view.ndim) if d not in indexed]
    split = sum(d < arrays[0][1] for d in rest) if adjacent else 0
    offsets, bshape = _offsets(x, view, strides, arrays)
    return Plan(view, offsets, bshape, [view.shape[d] for d in rest],
                [strides[d] for d in rest], split)


def _offsets(x, view, strides, arrays):
    """(raw int64 offsets, index shape) for the advanced items `arrays` of a view."""
    device, host, on_device, masks = x.device, [], [], []
    for item, d in arrays:
        if _is_mask(item):
            dims = view.shape[d:d + item.ndim]
            if tuple(item.shape) != tuple(dims):
                raise IndexError(f"boolean index did not match indexed array along dimensions "
                                 f"{d}..{d + item.ndim - 1}: shape {tuple(item.shape)} "
                                 f"against {tuple(dims)}")
            if isinstance(item, KnetArray):
                masks.append((item, strides[d:d + item.ndim], _mask_starts(item)))
            else:
                host += [(j, strides[d + k]) for k, j in enumerate(np.nonzero(item))]
        elif isinstance(item, KnetArray):
            on_device.append((item, view.shape[d], strides[d]))
        else:
            n = view.shape[d]
            bad = (item < -n) | (item >= n)
            if bad.any():
                raise IndexError(f"index {item[bad].flat[0]} is out of bounds for axis {d} "
                                 f"with size {n}")
            host.append((np.where(item < 0, item + n, item).astype(np.int64), strides[d]))
    shapes = [j.shape for j, _ in host] + [a.shape for a, _, _ in on_device]
    shapes += [(int(starts[-1]),) for _, _, starts in masks]
    try:
        bshape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {' '.join(str(tuple(s)) for s in shapes)}") from None
    nb = size_of(bshape)
    if host:
        total = sum(np.broadcast_to(j * s, bshape) for j, s in host)
        offsets = device.from_host(np.ascontiguousarray(total, dtype=np.int64).reshape(-1))
    else:
        offsets = device.xp.empty(nb, dtype=np.int64)
    accumulate = int(bool(host))
    for item, n, s in on_device:
        if nb:
            _launch(device, "index_offsets_forward", np.float32, nb,
                    [item, offsets, nb, n, s, accumulate,
                     *kernel_layout(bshape, broadcast_strides(item, bshape))])
        accumulate = 1
    for mask, xs, starts in masks:
        _mask_offsets(mask, xs, starts, offsets, accumulate)
        accumulate = 1
    return offsets, bshape


def _mask_chunks(mask):
    """(blocks, chunk): the contiguous runs of mask elements each block compacts."""
    device, size = mask.device, mask.size
    blocks = max(1, min(MASK_BLOCKS, device.max_blocks, -(-size // device.block)))
    chunk = -(-size // blocks)
    chunk = -(-chunk // device.block) * device.block
    return -(-size // chunk) if size else 1, chunk


def _mask_starts(mask):
    """Where each block's true elements start in the offsets, and the total count last (host
    ints: the result's size depends on the data, so the count must come back to the host)."""
    device, size = mask.device, mask.size
    blocks, chunk = _mask_chunks(mask)
    if size == 0:
        return np.zeros(2, dtype=np.int64)
    counts = device.xp.empty(blocks, dtype=np.int64)
    device.launch(FAMILY, "mask_count_forward", np.float32, (blocks,), (device.block,),
                  [mask.raw.view(np.uint8), counts, size, chunk,
                   *kernel_layout(mask.shape, mask.strides)])
    return np.concatenate([[0], np.cumsum(device.to_host(counts))]).astype(np.int64)


def _mask_offsets(mask, xs, starts, offsets, accumulate):
    device, size = mask.device, mask.size
    if not size or not starts[-1]:
        return
    blocks, chunk = _mask_chunks(mask)
    device.launch(FAMILY, "mask_offsets_forward", np.float32, (blocks,), (device.block,),
                  [mask.raw.view(np.uint8), device.from_host(starts[:-1]), offsets, size, chunk,
                   accumulate, *kernel_layout(mask.shape, mask.strides, xs)])


# ---------------------------------------------------------------- reading and writing

def getitem(x, index):
    """x[index]: a view for basic indices, a gathered copy for advanced ones."""
    plan = resolve(x, index)
    if not isinstance(plan, Plan):
        return KnetArray(plan, x.device)
    y = elementwise.empty(plan.shape, x.dtype, x.device)
    if plan.size:
        _launch(x.device, "gather_forward", x.dtype, plan.size,
                [plan.view, plan.offsets, y, plan.size, *plan.layout()])
    return y


def _value(target, value, device, what):
    """value as a KnetArray of target's dtype on device, or a Python number."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, numbers.Number):
        return value
    value = to_device(value, device, target.dtype)
    if value.dtype != target.dtype:
        raise TypeError(f"{what}: a {value.dtype} value into a {target.dtype} array; "
                        f"convert with .astype(np.{target.dtype})")
    return value


def _extent(raw):
    """[first byte, past the last byte) of a raw buffer's elements."""
    iface = getattr(raw, "__cuda_array_interface__", None) or raw.__array_interface__
    lo = hi = iface["data"][0]
    for n, s in zip(raw.shape, raw.strides):
        if n == 0:
            return lo, lo
        lo, hi = (lo + (n - 1) * s, hi) if s < 0 else (lo, hi + (n - 1) * s)
    return lo, hi + raw.itemsize


def _unaliased(value, target_raw):
    """value, copied first when it shares memory with the target (reads would race writes)."""
    if isinstance(value, KnetArray):
        (a, b), (c, d) = _extent(value.raw), _extent(target_raw)
        if a < d and c < b:
            return elementwise.copy(value)
    return value


def write(view, value, device, add=False):
    """view = value (or += with add) for a raw view and a KnetArray or number broadcast to it."""
    shape, n = view.shape, size_of(view.shape)
    if not n:
        return
    ostrides = _strides(view)
    if isinstance(value, KnetArray):
        value = _unaliased(value, view)
        args = [value, view, n, *kernel_layout(shape, broadcast_strides(value, shape), ostrides),
                0, int(add)]
    else:
        args = [view, view, n, *kernel_layout(shape, ostrides, ostrides), value, 2 + int(add)]
    _launch(device, "assign_forward", view.dtype, n, args)


def _scatter(plan, value, device, add):
    if not plan.size:
        return
    if isinstance(value, KnetArray):
        value = _unaliased(value, plan.view)
        g, mode = value, int(add)
        glayout = kernel_layout(plan.shape, broadcast_strides(value, plan.shape))
        scalar = 0
    else:
        g, mode, scalar = plan.view, 2 + int(add), value
        glayout = kernel_layout([plan.size], [0])
    _launch(device, "gather_backward", plan.view.dtype, plan.size,
            [g, plan.offsets, plan.view, plan.size, *plan.layout(), *glayout, scalar, mode])


def index_add(x, index, g):
    """x[index] += g in place, repeated positions of an advanced index accumulating."""
    _update(x, index, g, add=True, what="np.add.at")


def setitem(x, index, value):
    """x[index] = value (a KnetArray, NumPy array or number broadcast to x[index])."""
    _update(x, index, value, add=False, what="KnetArray item assignment")


def _update(x, index, value, add, what):
    value = _value(x, value, x.device, what)
    plan = resolve(x, index)
    if isinstance(plan, Plan):
        _scatter(plan, value, x.device, add)
    else:
        write(plan, value, x.device, add)


@implements((np.add, "at"))
def add_at(a, indices, b=None):
    """np.add.at(a, indices, b) for a KnetArray a (repeated indices accumulate)."""
    if not isinstance(a, KnetArray):
        raise TypeError("np.add.at with KnetArray operands needs the target to be a KnetArray")
    if b is None:
        raise TypeError("np.add.at needs the values to add (b)")
    index_add(a, indices, b)


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """np.take(a, indices, axis): a gather along one axis (of the flattened a when None)."""
    if out is not None or mode != "raise":
        raise TypeError("knetc's GPU np.take does not take out= or mode=")
    if axis is None:
        return getitem(KnetArray(elementwise.contiguous(a).raw.reshape(-1), a.device), indices)
    axis = _axis(axis, a.ndim)
    return getitem(a, (slice(None),) * axis + (indices,))


def add_at_grad(dx, x, index, g):
    """The runtime's add_at on the device: a copy of dx (zeros shaped like x when None) with g
    added at `index`."""
    device = next(v.device for v in (dx, g, x) if isinstance(v, KnetArray))
    dtype = _grad_dtype(x, g)
    if dx is None:
        out = elementwise.zeros(np.shape(x) if not isinstance(x, KnetArray) else x.shape,
                                dtype, device)
    elif isinstance(dx, KnetArray):
        out = elementwise.copy(dx)
    else:
        out = to_device(np.array(dx, dtype=dtype), device)
    index_add(out, index, g)
    return out


def take_grad(g, x, indices, axis=None):
    """Adjoint of np.take(x, indices, axis) on the device: g scatter-added into zeros."""
    device = next(v.device for v in (g, x) if isinstance(v, KnetArray))
    out = elementwise.zeros(x.shape, _grad_dtype(x, g), device)
    if axis is None:
        flat = KnetArray(out.raw.reshape(-1), device)
        if isinstance(g, KnetArray):
            g = KnetArray(elementwise.contiguous(g).raw.reshape(-1), device)
        index_add(flat, indices if isinstance(indices, KnetArray) else np.ravel(indices), g)
    else:
        index_add(out, (slice(None),) * _axis(axis, out.ndim) + (indices,), g)
    return out


def _grad_dtype(x, g):
    for v in (x, g):
        dtype = getattr(v, "dtype", None)
        if dtype is not None and dtype.kind == "f":
            return dtype
    return np.dtype(np.float32)


KnetArray.__getitem__ = getitem
KnetArray.__setitem__ = setitem
KnetArray.take = lambda self, indices, axis=None: take(self, indices, axis)


# ---------------------------------------------------------------- joining arrays

def _axis(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim)
    return axis % ndim


def _parts(arrays, name, dtype=None):
    """The operands as KnetArrays on one device, of one dtype."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    device = common_device(name, arrays)
    dtypes = {a.dtype for a in arrays if isinstance(a, KnetArray)}
    target = np.dtype(dtype) if dtype is not None else (dtypes.pop() if len(dtypes) == 1
                                                           else None)
    out = [to_device(a, device, target) for a in arrays]
    if len({a.dtype for a in out}) != 1 or (target is not None and out[0].dtype != target):
        raise TypeError(f"knetc's GPU {name} joins arrays of one dtype, got "
                        f"{sorted({str(a.dtype) for a in out})}; convert with .astype()")
    return out


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """np.concatenate: one copy kernel per operand into its slice of the result."""
    if out is not None:
        raise TypeError("knetc's GPU np.concatenate does not take out=; assign the result")
    parts = _parts(arrays, "np.concatenate", dtype)
    if axis is None:
        parts = [KnetArray(elementwise.contiguous(a).raw.reshape(-1), a.device) for a in parts]
        axis = 0
    first = parts[0]
    if first.ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = _axis(axis, first.ndim)
    for k, a in enumerate(parts):
        if a.ndim != first.ndim:
            raise ValueError("all the input array dimensions except for the concatenation axis "
                             f"must match exactly, but array 0 has {first.ndim} dimension(s) and "
                             f"array {k} has {a.ndim}")
        if any(n != m for d, (n, m) in enumerate(zip(a.shape, first.shape)) if d != axis):
            raise ValueError("all the input array dimensions except for the concatenation axis "
                             f"must match exactly: shapes {first.shape} and {a.shape} "
                             f"along axis {axis}")
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in parts)
    y = elementwise.empty(shape, first.dtype, first.device)
    start, lead = 0, (slice(None),) * axis
    for a in parts:
        stop = start + a.shape[axis]
        write(y.raw[lead + (slice(start, stop),)], a, y.device)
        start = stop
    return y


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """np.stack: the operands (one shape) joined along a new axis."""
    if out is not None:
        raise TypeError("knetc's GPU np.stack does not take out=; assign the result")
    parts = _parts(arrays, "np.stack", dtype)
    if len({a.shape for a in parts}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = _axis(axis, parts[0].ndim + 1)
    lead = (slice(None),) * axis
    return concatenate([KnetArray(a.raw[lead + (None,)], a.device) for a in parts], axis)


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """np.hstack: along axis 0 for vectors (and scalars), else axis 1."""
    parts = [KnetArray(a.raw.reshape(1), a.device) if a.ndim == 0 else a
             for a in _parts(tup, "np.hstack", dtype)]
    return concatenate(parts, 0 if parts[0].ndim == 1 else 1)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """np.vstack: along axis 0, vectors (and scalars) as rows."""
    parts = [KnetArray(a.raw.reshape(1, -1), a.device) if a.ndim < 2 else a
             for a in _parts(tup, "np.vstack", dtype)]
    return concatenate(parts, 0)


# ---------------------------------------------------------------- dropout

def dropout_mask(x, p, rng):
    """knetc.conv.dropout_mask on x's device: 0 with probability p, else 1/(1-p), in x's dtype.

    The kernel hashes (seed, element index), with the seed one 64-bit draw from `rng` (knetc's
    generator, which knetc.seed(n) reseeds): masks are reproducible under knetc.seed and the
    same for any grid, but not the CPU's masks.
    """
    seed = int(rng.integers(0, 2**64, dtype=np.uint64))
    mask = elementwise.empty(x.shape, x.dtype, x.device)
    n = mask.size
    if n:
        _launch(x.device, "dropout_mask_forward", x.dtype, n,
                [mask, n, seed, p, 0 if p == 1 else 1 / (1 - p)])
    return mask
