"""Derivatives of derivatives: the functions knetc.grad returns are differentiable too.

A function made by `knetc.grad` or `knetc.value_and_grad` carries a `Derivative`, which
says what it computes in terms of a function S whose source knetc reads:

    D(*args) = value_and_grad(S, argnums)(*prefix(args), *args)     (grad keeps the gradient)

For the user's own `loss`, S is `loss` and the prefix is empty. Every higher derivative
comes from S's tangent function `S_tangent(*tangents, *S's args)`, the forward-mode code
that knetc generates as Python (compiler/tangent.py) and so can differentiate again in
reverse mode:

- D called inside a differentiated function, its result given the adjoint g: the adjoint
  of D's arguments is the gradient of <grad S, g>, which is `S_tangent` with g as the
  tangent, differentiated in every argument (reverse over forward).
- grad(D) for a scalar D: the gradient of `S_tangent((1,), *args)`. That is again a knetc
  gradient of a function with source, `S_tangent`, with the seed `(1,)` as its prefix; so
  grad(grad(grad(f))) differentiates generated code generated from generated code.
"""
import weakref

import numpy as np

from .errors import KnetcError, NonScalarError
from .gradleaves import has_float
from .runtime.tangents import zero_tangent

_gradients = weakref.WeakKeyDictionary()  # S -> {argnums: knetc.value_and_grad(S, argnums)}


class Derivative:
    """D(*args) = value_and_grad(S, argnums)(*prefix(args), *args), `argnums` counted among
    S's positional parameters, the first `npre` of which the prefix fills."""

    def __init__(self, S, argnums, npre, prefix, kind):
        self.S, self.argnums, self.npre, self.prefix, self.kind = S, argnums, npre, prefix, kind

    @property
    def positions(self):
        return self.argnums if isinstance(self.argnums, tuple) else (self.argnums,)

    def vjp(self, g, args, kwargs):
        """The adjoints of D's arguments when D(*args) gets adjoint g (None for arguments
        that hold no floats)."""
        full = self.prefix(args) + tuple(args)
        gg = g[1] if self.kind == "value_and_grad" else g
        tangents = tuple(gg) if isinstance(self.argnums, tuple) else (gg,)
        floats = [i for i, a in enumerate(args) if has_float(a)]
        out = [None] * len(args)
        if not floats:
            return out
        tangent_fn = tangent_function(self.S, self.positions)
        grads = value_and_grad_of(tangent_fn, tuple(len(tangents) + self.npre + i
                                                    for i in floats))(
            *tangents, *full, **kwargs)[1]
        if self.kind == "value_and_grad":
            first = value_and_grad_of(self.S, tuple(self.npre + i for i in floats))(
                *full, **kwargs)[1]
            grads = [_axpy(g[0], a, b) for a, b in zip(first, grads)]
        for i, d in zip(floats, grads):
            out[i] = d
        return out


    def jvp(self, tangents, args, kwargs):
        """`(D(*args), its derivative in the direction tangents)`: the gradient of S's
        tangent function (tangents in every float argument) in S's differentiated
        arguments, which is the Hessian times the direction (forward over reverse, as
        reverse over forward)."""
        full = self.prefix(args) + tuple(args)
        floats = [i for i, a in enumerate(args) if has_float(a) and tangents[i] is not None]
        value = value_and_grad_of(self.S, self.argnums)(*full, **kwargs)
        if not floats:
            return value if self.kind == "value_and_grad" else value[1], zero_tangent(
                value if self.kind == "value_and_grad" else value[1])
        tangent_fn = tangent_function(self.S, tuple(self.npre + i for i in floats))
        shifted = tuple(len(floats) + a for a in self.positions)
        slope, grads = value_and_grad_of(tangent_fn, shifted)(
            *(tangents[i] for i in floats), *full, **kwargs)
        grads = grads if isinstance(self.argnums, tuple) else grads[0]
        if self.kind == "value_and_grad":
            return value, (slope, grads)
        return value[1], grads


def tangent_function(S, argnums):
    """S's generated tangent function `S_tangent(*tangents, *args) -> tangent out`."""
    from .forward import compiled_jvp
    return compiled_jvp(S, argnums, only_tangent=True).function


def value_and_grad_of(S, argnums):
    """knetc.value_and_grad(S, argnums), made once."""
    from .api import value_and_grad
    per = _gradients.setdefault(S, {})
    if argnums not in per:
        per[argnums] = value_and_grad(S, argnums)
    return per[argnums]


def of_derivative(D, argnums, pick, kind, make):
    """knetc.grad (or value_and_grad) of the derivative function D."""
    if D.kind != "grad" or isinstance(D.argnums, tuple):
        raise KnetcError(
            f"knetc.{kind} of a function made by knetc.{D.kind}"
            f"{' with a tuple of argnums' if D.kind == 'grad' else ''}: its result is not "
            "one scalar. Differentiate a function that returns a scalar, e.g. "
            "`lambda x: np.sum(dfdx(x) * v)`, or use knetc.hvp / knetc.hessian")
    S_tangent = tangent_function(D.S, D.positions)
    inner = D.prefix

    def prefix(args):
        outer = inner(args)
        return (_seed((outer + tuple(args))[D.argnums]),) + outer

    npre = D.npre + 1
    shifted = tuple(a + npre for a in argnums) if isinstance(argnums, tuple) else argnums + npre
    G = make(S_tangent, shifted)

    def gradient(*args, **kwargs):
        return pick(G(*prefix(args), *args, **kwargs))

    gradient._knetc_target = G._knetc_target
    gradient._knetc_derivative = Derivative(S_tangent, shifted, npre, prefix, kind)
    gradient.__name__ = getattr(D.S, "__name__", "gradient")
    return gradient


def _seed(x):
    """The tangent 1 for the scalar argument that the inner gradient differentiates."""
    if np.ndim(x) != 0 and np.size(x) != 1:
        raise NonScalarError(
            f"knetc.grad of a gradient needs a scalar gradient, but the inner gradient is "
            f"taken with respect to an argument of shape {np.shape(x)}. Differentiate a "
            "scalar of it, e.g. `lambda x: np.sum(dfdx(x) * v)`, or use knetc.hvp")
    if isinstance(x, (float, int)):
        return 1.0
    return np.ones_like(x)


def _axpy(a, x, y):
    """a * x + y for gradients of the same structure."""
    if isinstance(x, (list, tuple)):
        return type(x)(_axpy(a, u, v) for u, v in zip(x, y))
    if isinstance(x, dict):
        return {k: _axpy(a, x[k], y[k]) for k in x}
    if x is None:
        return y
    return a * x + y
