"""The gradient as the user gets it: the argument's structure and types, each array leaf fresh.

Every returned NumPy leaf is a writable, C-contiguous array of its leaf's shape and dtype that
nothing else holds: not another returned leaf (`d(a + b)` hands one adjoint to both `a` and
`b`), not an input, not a buffer a later call reuses. An adjoint that the generated code holds
once and that owns its memory is already that, and goes as it is; anything else is copied.
"""
import sys

import numpy as np

from ..cuda.array import KnetArray
from ..pytree import attributes, is_integer_leaf, is_object, with_attributes
from .broadcast import unbroadcast
from .deferred import Pending
from .grads import device_zeros


class IntegerLeafError(TypeError):
    """An integer or boolean leaf was differentiated; knetc.api names it by its path."""


def _no_complex(grad):
    """Refuse a complex adjoint: knetc's rules hold no complex conjugates yet, so a complex
    value on the way (`x * (1 + 2j)`, a complex argument) would give a wrong gradient."""
    dtype = getattr(grad, "dtype", None)  # (np.iscomplexobj has no KnetArray kernel)
    if isinstance(grad, complex) or getattr(dtype, "kind", None) == "c":
        raise TypeError("knetc cannot differentiate complex values yet: a complex number "
                        "reached the gradient (from a complex constant, argument or "
                        "function on the way), and its rules are written for real numbers; "
                        "compute with the real and imaginary parts as separate real arrays")
    return grad


def _count(x):
    return sys.getrefcount(x)


def _held_once():
    value = np.empty(0)
    return _count(value)


# What sys.getrefcount reports, inside a function, for its argument when the caller holds it
# once (a local of the generated code, or a slot of a gradient container). Measured, not
# assumed, since interpreters count borrowed references differently.
_HELD_ONCE = _held_once()


def aux_loss(result):
    """The loss of a function differentiated with has_aux=True, which returns (loss, aux)."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("with has_aux=True the function must return a pair (loss, aux), "
                        f"but it returned {type(result).__name__}")
    return result[0]


def finalize_grad(grad, like, owned=True):
    """Turn an accumulated adjoint into the structure and types of the argument `like`.

    `owned`: whether the container grad came from is held once; a leaf of a shared container
    is shared too.
    """
    owned = owned and sys.getrefcount(grad) <= _HELD_ONCE
    if type(like) is np.ndarray:
        if owned and type(grad) is np.ndarray and grad.base is None \
                and grad.dtype == like.dtype and grad.shape == like.shape \
                and grad.dtype.kind == "f" and grad.flags.c_contiguous and grad.flags.writeable:
            return grad  # the common case: fresh, and held by nothing else
        if owned and type(grad) is Pending and grad.is_unread():
            grad = grad.value()  # multiplied out now, for this leaf alone: fresh
            if grad.dtype == like.dtype and grad.shape == like.shape and grad.flags.c_contiguous:
                return grad
        return _array_grad(grad, like)
    if isinstance(like, (list, tuple)):
        fields = getattr(like, "_fields", None)
        if isinstance(grad, dict) and fields:  # a namedtuple's adjoint by field name
            items = [finalize_grad(grad.get(f), x, False) for f, x in zip(fields, like)]
        elif grad is None:
            items = [finalize_grad(None, x) for x in like]
        else:
            items = [finalize_grad(grad[i], x, owned) for i, x in enumerate(like)]
        if type(like) is list:
            return items
        return type(like)(*items) if fields else type(like)(items)
    if isinstance(like, dict):
        grad = grad if grad is not None else {}
        return type(like)((k, finalize_grad(grad.get(k), v, owned)) for k, v in like.items())
    if isinstance(like, np.ndarray):
        return _array_grad(grad, like)
    if isinstance(like, KnetArray):
        if like.dtype.kind != "f":
            raise IntegerLeafError()
        return _finalize_device_grad(grad, like)
    if isinstance(like, np.generic):
        if is_integer_leaf(like):
            raise IntegerLeafError()
        if isinstance(grad, KnetArray):
            grad = float(np.sum(grad))
        _no_complex(like)
        return like.dtype.type(0) if grad is None else like.dtype.type(np.sum(_no_complex(grad)))
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return 0.0 if grad is None else float(np.sum(_no_complex(grad)))
    if isinstance(like, complex):
        _no_complex(like)
    if is_object(like):  # an object, callable or not: a copy holding the gradients
        grad = grad if isinstance(grad, dict) else {}
        return with_attributes(like, {k: finalize_grad(grad.get(k), v, owned)
                                      for k, v in attributes(like).items()
                                      if _differentiable(v)})
    return grad


def _array_grad(grad, like):
    """A fresh C-contiguous copy of grad, shaped and typed like NumPy array `like`."""
    if like.dtype.kind not in "fc":
        raise IntegerLeafError()
    _no_complex(like)
    if grad is None:
        return np.zeros(like.shape, like.dtype)
    if type(grad) is not np.ndarray:  # a KnetArray adjoint of a NumPy argument comes home
        grad = grad.get() if isinstance(grad, KnetArray) else np.asarray(grad)
    _no_complex(grad)
    if grad.shape != like.shape:
        grad = unbroadcast(grad, like)
        if grad.shape != like.shape:
            grad = np.broadcast_to(grad, like.shape)
    return np.array(grad, dtype=like.dtype, order="C")


def _finalize_device_grad(grad, like):
    """finalize_grad for a KnetArray argument: a contiguous KnetArray of its shape and dtype."""
    if grad is None:
        return device_zeros(like)
    if not isinstance(grad, KnetArray):  # a constant adjoint (a number or a NumPy array)
        host = np.broadcast_to(np.asarray(grad, dtype=like.dtype), like.shape)
        return KnetArray(like.device.from_host(np.ascontiguousarray(host)), like.device)
    if grad.shape != like.shape:
        grad = unbroadcast(grad, like)
        if grad.shape != like.shape:
            grad = np.broadcast_to(grad, like.shape)
    if grad.dtype != like.dtype:
        grad = grad.astype(like.dtype)
    if not grad.is_contiguous:  # a broadcast view: optimizers update from plain arrays
        grad = np.copy(grad)
    return grad


def _differentiable(value):
    """Whether an attribute's value gets a gradient (the others stay as they are in the copy)."""
    if isinstance(value, (float, np.ndarray, np.number, np.bool_, KnetArray)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_differentiable(v) for v in value)
    if isinstance(value, dict):
        return any(_differentiable(v) for v in value.values())
    return is_object(value)
