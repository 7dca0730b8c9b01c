"""What holds parameters: the objects whose attributes are leaves, and integer leaves.

Lists, tuples, namedtuples and dicts are containers by type. Any other instance of a user
class (a plain object, a dataclass, frozen or not, a callable model, a class with
`__slots__`) holds its parameters in attributes; its gradient is a copy of it with each
differentiable attribute replaced by that attribute's gradient.
"""
import copy
import functools
import types

import numpy as np

# Callables and classes are code, not parameter holders, even when they have a __dict__.
_CODE = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
         types.ModuleType, functools.partial, np.ufunc)


def is_object(x):
    """Whether x is an instance of a user class whose attributes may hold parameters."""
    if isinstance(x, (_CODE, np.ndarray, np.generic, list, tuple, dict, str, bytes)):
        return False
    return hasattr(x, "__dict__") or _slots(type(x)) != ()


def _slots(cls):
    names = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    return tuple(n for n in names if n not in ("__dict__", "__weakref__"))


def attributes(obj):
    """obj's attributes by name: its __dict__ and its filled __slots__."""
    out = dict(getattr(obj, "__dict__", {}))
    for name in _slots(type(obj)):
        if name not in out and hasattr(obj, name):
            out[name] = getattr(obj, name)
    return out


def with_attributes(obj, values):
    """A shallow copy of obj with the attributes in `values` replaced (frozen dataclasses
    and __slots__ too)."""
    out = copy.copy(obj)
    for name, value in values.items():
        object.__setattr__(out, name, value)
    return out


def is_integer_leaf(x):
    """An integer or boolean NumPy (or device) array or NumPy scalar; Python ints are not
    leaves of this kind (their gradient is a float, as for a Python float)."""
    if isinstance(x, (int, float, complex)) and not isinstance(x, np.generic):
        return False
    kind = getattr(getattr(x, "dtype", None), "kind", "")
    return kind in ("i", "u", "b") and hasattr(x, "shape")


class Attr(str):
    """A path step through an attribute or a namedtuple field (`model.w`), not an index."""


def children(a):
    """(path step, value) of each child of a container or object; () for a leaf."""
    if is_object(a):
        return [(Attr(k), v) for k, v in attributes(a).items()]
    if isinstance(a, dict):
        return list(a.items())
    if isinstance(a, tuple) and hasattr(a, "_fields"):
        return [(Attr(k), v) for k, v in zip(a._fields, a)]
    if isinstance(a, (list, tuple)):
        return list(enumerate(a))
    return []


def path_str(name, path):
    """A path as a user writes it: `w[0]`, `params['b']`, `model.w`."""
    return name + "".join(f".{k}" if isinstance(k, Attr) else f"[{k!r}]" for k in path)


def integer_leaf(x, path=()):
    """(path, leaf) of the first integer or boolean leaf in x; None when x holds none."""
    if is_integer_leaf(x):
        return path, x
    for step, value in children(x):
        found = integer_leaf(value, path + (step,))
        if found is not None:
            return found
    return None


def integer_leaf_error(name, arg):
    """The TypeError for differentiating argument `name` (value `arg`) when it holds an
    integer or boolean leaf, or None when it holds none."""
    found = integer_leaf(arg)
    if found is None:
        return None
    leaf = path_str(name, found[0])
    return TypeError(
        f"knetc differentiates only float leaves, but {leaf} has dtype {found[1].dtype}: its "
        f"gradient would be cut to that dtype. Pass floats, e.g. "
        f"`np.asarray({leaf}, dtype=float)`; pass integer data (indices, masks, counts) in an "
        f"argument that is not differentiated")
