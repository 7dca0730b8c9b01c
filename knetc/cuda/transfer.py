"""Moving parameter structures between NumPy and a knetc device: knetc.gpu and knetc.cpu.

A structure is an array, or lists, tuples, dicts and plain objects (a small Model class with
array attributes) nested to any depth, walked the way knetc.gradcheck walks arguments. Only
the array leaves move; Python numbers, strings and everything else stay as they are.
"""
import copy
import numbers
import sys
import types

import numpy as np

from .array import KnetArray

_MOVED_KINDS = "fiub"  # float, signed and unsigned int, bool


def _cupy_array_type():
    cupy = sys.modules.get("cupy")
    return getattr(cupy, "ndarray", None)


def _is_object(x):
    """A plain object whose attributes may hold parameters (as in knetc.gradcheck)."""
    return hasattr(x, "__dict__") and not callable(x) and not isinstance(
        x, (np.ndarray, np.generic, dict, list, tuple, numbers.Number, KnetArray, type,
            types.ModuleType))


def tree_map(x, leaf, changed_only=False):
    """x with leaf(v) in place of every leaf v; lists, tuples, dicts and objects are rebuilt
    (only where a leaf changed, when changed_only), keeping their types."""
    if isinstance(x, (list, tuple)):
        items = [tree_map(v, leaf, changed_only) for v in x]
        if changed_only and all(a is b for a, b in zip(items, x)):
            return x
        if isinstance(x, tuple):
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
        out = copy.copy(x)  # keeps list subclasses and their attributes
        out[:] = items
        return out
    if isinstance(x, dict):
        items = {k: tree_map(v, leaf, changed_only) for k, v in x.items()}
        if changed_only and all(items[k] is v for k, v in x.items()):
            return x
        out = copy.copy(x)  # keeps dict subclasses (OrderedDict, defaultdict's factory)
        out.update(items)
        return out
    if _is_object(x):
        attrs = {k: tree_map(v, leaf, changed_only) for k, v in vars(x).items()}
        if changed_only and all(attrs[k] is v for k, v in vars(x).items()):
            return x
        out = copy.copy(x)
        for k, v in attrs.items():
            if v is not getattr(x, k):
                setattr(out, k, v)
        return out
    return leaf(x)


def to_gpu(x, device):
    """One leaf on `device`: NumPy float arrays keep their dtype, integers become int64 (labels,
    indices), bools stay bool; CuPy arrays are wrapped without a copy."""
    if isinstance(x, KnetArray):
        if x.device is device:
            return x
        return KnetArray(device.from_host(x.get()), device)
    cupy_array = _cupy_array_type()
    if cupy_array is not None and isinstance(x, cupy_array):
        from . import device_of
        return KnetArray(x, device_of(x))
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in _MOVED_KINDS:
            return x
        if x.dtype.kind in "iu":
            x = x.astype(np.int64, copy=False)
        return KnetArray(device.from_host(x), device)
    return x


def to_cpu(x):
    """One leaf back on the host: KnetArrays and CuPy arrays become NumPy arrays."""
    if isinstance(x, KnetArray):
        return x.get()
    cupy_array = _cupy_array_type()
    if cupy_array is not None and isinstance(x, cupy_array):
        return sys.modules["cupy"].asnumpy(x)
    return x


def gpu(tree, device=None):
    """`tree` (an array, or lists/tuples/dicts/objects holding arrays) with its arrays moved to
    the GPU as KnetArrays: `w = knetc.gpu(w)`. Float arrays keep their dtype (float64 stays
    float64; convert with .astype(np.float32) first for speed), integer arrays become int64.
    `device` defaults to knetc.cuda.default_device(), which raises knetc.cuda.NoGPUError on a
    machine without CuPy or a GPU."""
    if device is None:
        from . import default_device
        device = default_device()
    return tree_map(tree, lambda x: to_gpu(x, device))


def cpu(tree):
    """`tree` with its KnetArrays (and CuPy arrays) copied back to NumPy arrays."""
    return tree_map(tree, to_cpu)


def _holds(x, array_type):
    """Whether tree x has a leaf of array_type (a quick scan that builds nothing)."""
    cls = type(x)
    if cls is np.ndarray or cls is float or cls is int or cls is KnetArray or cls is str:
        return False
    if isinstance(x, array_type):
        return True
    if isinstance(x, (list, tuple)):
        for v in x:
            if _holds(v, array_type):
                return True
        return False
    if isinstance(x, dict):
        x = x.values()
    elif _is_object(x):
        x = vars(x).values()
    else:
        return False
    for v in x:
        if _holds(v, array_type):
            return True
    return False


def wrap_cupy(args, kwargs):
    """(args, kwargs, wrapped): CuPy array leaves of the arguments wrapped as KnetArrays (no
    copy), for knetc.grad called on CuPy arrays; `wrapped` says whether there were any."""
    cupy_array = _cupy_array_type()
    if cupy_array is None or not (_holds(args, cupy_array)
                                  or kwargs and _holds(kwargs, cupy_array)):
        return args, kwargs, False

    def leaf(x):
        return to_gpu(x, None) if isinstance(x, cupy_array) else x

    args = tree_map(args, leaf, changed_only=True)
    kwargs = tree_map(kwargs, leaf, changed_only=True) if kwargs else kwargs
    return args, kwargs, True


def unwrap_cupy(result):
    """knetc.grad's result with its KnetArrays as the CuPy arrays they wrap."""
    return tree_map(result, lambda x: x.raw if isinstance(x, KnetArray) else x,
                    changed_only=True)
