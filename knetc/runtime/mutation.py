"""Helpers for mutation, attributes and calls resolved at run time."""
import numpy as np

from ..cuda.array import KnetArray
from ..pytree import children
from .grads import GradDict, GradList, add_grads


def add_attr(d, obj, attr, g):
    """Add g into the adjoint of obj at attribute `attr` (the adjoint is a dict by name, or
    for a namedtuple a list by position, so `p.w` and `p[0]` add into one place)."""
    fields = getattr(obj, "_fields", None)
    if isinstance(obj, tuple) and fields and attr in fields:
        d = GradList([None] * len(obj)) if d is None else GradList(d)
        i = fields.index(attr)
        d[i] = add_grads(d[i], g)
        return d
    d = GradDict() if d is None else d
    d[attr] = add_grads(d.get(attr), g)
    return d


def call_adjoint(fn, i, g, y, args):
    """Adjoint for argument i of `y = fn(*args)` when fn is known only at run time."""
    from ..rules.dynamic import vjp  # the rule table imports this module
    return vjp(fn, i)(g, y, *args)


def method_forward(stack, obj, name, *args, **keywords):
    """Forward of `obj.name(*args, **keywords)` for a method found at run time
    (knetc.dynamic); keyword arguments are constants."""
    from ..dynamic import forward
    return forward(stack, obj, name, args, keywords)


def method_backward(stack, g):
    """Adjoints of (obj, *args) for the matching method_forward call."""
    from ..dynamic import backward
    return backward(stack, g)


def method_jvp(tangents, obj, name, *args, **keywords):
    """`(value, tangent)` of `obj.name(*args, **keywords)` for a method or function found at
    run time, in the direction `tangents` (one per operand, obj first)."""
    from ..dynamic import tangent
    return tangent(tangents, obj, name, args, keywords)


def snapshot(container):
    """A shallow copy of a list or dict about to be mutated, for the backward sweep."""
    if isinstance(container, list):
        return list(container)
    if isinstance(container, dict):
        return dict(container)
    if isinstance(container, (np.ndarray, KnetArray)):
        raise TypeError(
            "knetc does not differentiate assignment into the elements of an array "
            "(`x[i] = ...`); build the result with np.where, np.concatenate or np.stack, or "
            "keep the pieces in a list")
    raise TypeError(f"knetc cannot differentiate mutating a {type(container).__name__}")


def item_grad(d, index, like):
    """Adjoint of the value stored by `s[index] = value`, from the adjoint d of s; None
    where nothing was written (generated code skips it, see unpack_grad)."""
    if d is None:
        return None
    return d.get(index) if isinstance(d, dict) else d[index]


def clear_grad(d, index):
    """The adjoint of s before `s[index] = value`: what was at index was overwritten."""
    if d is None:
        return None
    out = GradDict(d) if isinstance(d, dict) else GradList(d)
    if isinstance(out, dict):
        out.pop(index, None)
    elif isinstance(index, slice):
        out[index] = [None] * len(range(*index.indices(len(out))))
    else:
        out[index] = None
    return out


_IMMUTABLE = (int, float, complex, bool, np.generic, str, bytes, tuple, frozenset, type(None))


def check_in_place(value, others, where):
    """Refuse the in-place operator at `where` (file, line, text, what to write instead)
    when NumPy would change an object knetc cannot follow: with `others` None, any mutable
    value (it may be the caller's array); else one sharing memory with an argument in
    `others` (the same array passed twice). A number is immutable: `s += 1.0` is fine."""
    if isinstance(value, _IMMUTABLE):
        return
    if others is None:
        why = "its object may also be held by the caller or another name"
    elif any(_overlaps(value, leaf) for leaf in _leaves(others)):
        why = "its memory is also reachable through another argument"
    else:
        return
    from ..errors import KnetcSyntaxError
    filename, lineno, text, instead = where
    raise KnetcSyntaxError(
        f"knetc cannot differentiate `{text}` here: it changes {_a(type(value).__name__)} "
        f"in place and {why}, which knetc's gradient would not see", filename, lineno, text,
        hint=f"Instead: write `{instead}` to make a new array, or copy it first.")


def _leaves(tree):
    """tree itself and everything inside it (lists, dicts, objects' attributes)."""
    yield tree
    for _, value in children(tree):
        yield from _leaves(value)


def _overlaps(value, leaf):
    if value is leaf:
        return True
    return type(value) is np.ndarray and type(leaf) is np.ndarray \
        and np.may_share_memory(value, leaf)


def _a(noun):
    if noun == "ndarray":
        return "a NumPy array"
    return ("an " if noun[0] in "aeiou" else "a ") + noun
