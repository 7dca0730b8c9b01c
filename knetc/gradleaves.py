"""The leaves check_grads checks: found by path, matched against a gradient, copied in layout.

A leaf is a float array or a float scalar inside lists, tuples, namedtuples, dicts and objects
(plain, callable, dataclasses, `__slots__`). Copies keep each array's memory layout (Fortran
order, the strides of a view), so a gradient that depends on layout is caught.
"""
import copy
import numbers
import sys

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # NumPy < 2
    from numpy import byte_bounds as _byte_bounds

from .pytree import Attr, children, is_object, path_str, with_attributes


def describe(x):
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, numbers.Number) else type(x).__name__


def is_scalar_leaf(x):
    """Python float or NumPy floating scalar (not bool, not int)."""
    return isinstance(x, (float, np.floating))


def is_array_leaf(x):
    return (not is_scalar_leaf(x) and hasattr(x, "shape") and hasattr(x, "dtype")
            and getattr(x.dtype, "kind", None) == "f")


def child_of(g, step):
    """g's child at `step`, or a KeyError/AttributeError/IndexError-free marker if absent."""
    if isinstance(step, Attr):
        return getattr(g, step, _MISSING)
    if isinstance(g, dict):
        return g.get(step, _MISSING)
    return _MISSING


_MISSING = object()


def has_float(a):
    kids = children(a)
    if kids:
        return any(has_float(v) for _, v in kids)
    return is_scalar_leaf(a) or is_array_leaf(a)


def match(a, g, path, name, leaves, argpos):
    """Check g mirrors a at every float leaf; collect the leaves. Return whether any were found."""
    where = path_str(name, path)
    if is_object(a) or isinstance(a, dict):
        found = False
        for k, v in children(a):
            if not has_float(v):
                continue
            gv = child_of(g, k)
            if gv is _MISSING:
                what = f"an attribute {k!r}" if isinstance(k, Attr) else f"a dict with key {k!r}"
                raise AssertionError(f"check_grads: gradient of {where} should be {what}, got "
                                     f"{describe(g) if g is not None else 'None'}")
            found = match(v, gv, path + (k,), name, leaves, argpos) or found
        return found
    if isinstance(a, (list, tuple)):
        if not has_float(a):
            return False
        if not isinstance(g, (list, tuple)) or len(g) != len(a):
            got = f"length {len(g)}" if isinstance(g, (list, tuple)) else describe(g)
            raise AssertionError(f"check_grads: gradient of {where} should be a list/tuple of "
                                 f"length {len(a)}, got {got}")
        found = False
        for (k, v), gv in zip(children(a), g):
            found = match(v, gv, path + (k,), name, leaves, argpos) or found
        return found
    if not (is_scalar_leaf(a) or is_array_leaf(a)):
        return False
    if g is None:
        raise AssertionError(f"check_grads: gradient of {where} is None")
    check_leaf_type(a, g, where)
    leaves.append((argpos, path, a, g))
    return True


def check_leaf_type(a, g, where):
    if is_scalar_leaf(a):
        scalar_like = (isinstance(g, numbers.Real) and not isinstance(g, bool)) or (
            getattr(g, "shape", None) == ()
            and getattr(getattr(g, "dtype", None), "kind", "") in ("f", "i", "u"))
        if not scalar_like:
            raise AssertionError(f"check_grads: gradient of float {where} should be a float or "
                                 f"0-d value, got {describe(g)}")
        if hasattr(a, "dtype") and hasattr(g, "dtype") and a.dtype != np.float64 \
                and g.dtype != a.dtype:
            raise AssertionError(f"check_grads: gradient of {where} has dtype {g.dtype}, "
                                 f"expected {a.dtype}")
        return
    if not (hasattr(g, "shape") and hasattr(g, "dtype")):
        raise AssertionError(f"check_grads: gradient of array {where} should be an array of "
                             f"shape {tuple(a.shape)}, got {describe(g)}")
    if tuple(g.shape) != tuple(a.shape):
        raise AssertionError(f"check_grads: gradient of {where} has shape {tuple(g.shape)}, "
                             f"expected {tuple(a.shape)}")
    if g.dtype != a.dtype:
        raise AssertionError(f"check_grads: gradient of {where} has dtype {g.dtype}, "
                             f"expected {a.dtype}")
    if isinstance(g, np.ndarray) and not g.flags.writeable:
        raise AssertionError(f"check_grads: gradient of {where} is a read-only array; "
                             f"gradients must be fresh arrays an optimizer can update")


def numpy_arrays(x, out):
    """Every NumPy array inside x (containers and objects), appended to out."""
    if isinstance(x, np.ndarray):
        out.append(x)
    for _, v in children(x):
        numpy_arrays(v, out)
    return out


def to_numpy(x):
    if hasattr(x, "get") and not isinstance(x, (np.ndarray, np.generic)):
        x = x.get()  # CuPy arrays copy to the host explicitly
    return np.asarray(x, dtype=np.float64)


def like(value, leaf):
    """value (a NumPy float64 array) cast to leaf's type and dtype, laid out like leaf."""
    if is_scalar_leaf(leaf):
        return type(leaf)(float(value)) if isinstance(leaf, np.floating) else float(value)
    if isinstance(leaf, np.ndarray):
        return with_layout(value, leaf)
    # Another array library (e.g. CuPy): build the array with its own module's asarray.
    return sys.modules[type(leaf).__module__.split(".")[0]].asarray(value.astype(leaf.dtype))


def with_layout(value, leaf):
    """A new array holding value, with leaf's dtype and memory layout: C or Fortran order,
    or for any other view the same strides in fresh memory of the same extent."""
    if leaf.flags.c_contiguous or leaf.size == 0:
        return np.array(value, dtype=leaf.dtype, order="C")
    if leaf.flags.f_contiguous:
        return np.array(value, dtype=leaf.dtype, order="F")
    low, high = _byte_bounds(leaf)
    memory = np.empty(high - low, dtype=np.uint8)
    out = np.ndarray(leaf.shape, leaf.dtype, buffer=memory, strides=leaf.strides,
                     offset=leaf.__array_interface__["data"][0] - low)
    out[...] = value
    return out


def copy_args(args, subst=None):
    """Deep copies of all args (each array in its own layout), with the leaves at
    subst[(argpos, path)] replaced."""
    return [rebuild(a, (), i, subst or {}) for i, a in enumerate(args)]


def rebuild(a, path, argpos, subst):
    if (argpos, path) in subst:
        return subst[(argpos, path)]
    if is_object(a):
        return with_attributes(a, {k: rebuild(v, path + (k,), argpos, subst)
                                   for k, v in children(a)})
    if isinstance(a, dict):
        c = copy.copy(a)  # keeps dict subclasses such as OrderedDict
        for k, v in a.items():
            c[k] = rebuild(v, path + (k,), argpos, subst)
        return c
    if isinstance(a, (list, tuple)):
        items = [rebuild(v, path + (k,), argpos, subst) for k, v in children(a)]
        if isinstance(a, list):
            c = copy.copy(a)
            c[:] = items
            return c
        return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
    if isinstance(a, np.ndarray):
        return with_layout(a, a)
    return copy.deepcopy(a)
