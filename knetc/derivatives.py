"""vjp, Jacobians, Hessians and Hessian-vector products, built on the generated code.

- `vjp(f, *primals)` runs f's generated forward function once and keeps what its backward
  function needs (the same pair a call to a helper uses), so `vjp_fn` may be called with
  many cotangents without running f again.
- `jacrev` takes a Jacobian's rows with vjp, `jacfwd` its columns with jvp, `jacobian`
  whichever needs fewer passes.
- `hvp(f)(*args, v)` is the gradient of `jvp(f, args, v)`'s tangent: reverse mode over
  f's generated tangent code, about the cost of two or three gradients; `hessian` is one
  hvp per element of the argument.
"""
import weakref

import numpy as np

from .compiler import compile_pair
from .forward import check_tangent, jvp
from .gradleaves import has_float
from .higher import tangent_function, value_and_grad_of
from .runtime.finalize import finalize_grad
from .runtime.tangents import zero_tangent

_pairs = weakref.WeakKeyDictionary()  # f -> Compiled (forward, backward) pair


def _pair(f):
    compiled = _pairs.get(f)
    if compiled is None or compiled.stale():
        compiled = _pairs[f] = compile_pair(f)
    return compiled.function


def vjp(f, *primals):
    """`(f(*primals), vjp_fn)`: `vjp_fn(cotangent)` is the tuple of the cotangents of the
    primals, `cotangent` shaped like f's result (an array, a float or a pytree of them):

        y, pullback = knetc.vjp(predict, w, x)
        dw, dx = pullback(np.ones_like(y))
    """
    forward, backward = _pair(f)
    stack = []
    value = forward(stack, *primals)

    def vjp_fn(cotangent):
        check_tangent(value, cotangent, "the result", "cotangent", ())
        grads = backward(list(stack), cotangent)  # a copy: vjp_fn may be called again
        grads = grads if len(primals) > 1 else (grads,)
        return tuple(finalize_grad(g, p, owned=False) if has_float(p) else None
                     for g, p in zip(grads, primals))

    return value, vjp_fn


def elementwise_grad(f, argnums=0):
    """The gradient of `np.sum(f(*args))`: for an elementwise f, f's derivative at every
    element (autograd's name)."""
    def gradient(*args):
        value, pullback = vjp(f, *args)
        grads = pullback(_ones(value))
        return tuple(grads[a] for a in argnums) if isinstance(argnums, tuple) else \
            grads[argnums]
    return gradient


def jacrev(f, argnums=0):
    """The Jacobian of f's array result with respect to argument(s) `argnums`, one row per
    result element by reverse mode: shape `result.shape + argument.shape`."""
    def jacobian(*args):
        value, pullback = vjp(f, *args)
        rows = [pullback(basis) for basis in _basis(value)]
        return _per_argnum(argnums, lambda a: np.stack(
            [np.asarray(r[a]) for r in rows]).reshape(np.shape(value) + np.shape(args[a])))
    return jacobian


def jacfwd(f, argnums=0):
    """The Jacobian by forward mode, one column per element of the argument(s)."""
    def jacobian(*args):
        def columns(a):
            zeros = [None] * len(args)  # held still
            cols = []
            for basis in _basis(args[a]):
                tangents = list(zeros)
                tangents[a] = basis
                value, tangent = jvp(f, args, tuple(tangents))
                cols.append(np.asarray(tangent))
            return np.stack(cols, axis=-1).reshape(np.shape(value) + np.shape(args[a]))
        return _per_argnum(argnums, columns)
    return jacobian


def jacobian(f, argnums=0):
    """The Jacobian of f, by reverse mode when f has fewer result elements than the
    argument(s) have elements (one vjp per row), else by forward mode (one jvp per column)."""
    def choose(*args):
        wrt = argnums if isinstance(argnums, tuple) else (argnums,)
        outputs = np.size(f(*args))
        inputs = sum(np.size(args[a]) for a in wrt)
        return (jacrev if outputs < inputs else jacfwd)(f, argnums)(*args)
    return choose


def hvp(f, argnums=0):
    """`hvp(*args, v)`: the Hessian of scalar f with respect to argument(s) `argnums`, times
    `v` (shaped like the argument; a tuple of them for a tuple `argnums`), without forming
    the Hessian: reverse mode over f's generated tangent code."""
    wrt = argnums if isinstance(argnums, tuple) else (argnums,)

    def product(*args, **kwargs):
        *args, v = args
        tangents = tuple(v) if isinstance(argnums, tuple) else (v,)
        for a, t in zip(wrt, tangents):
            check_tangent(args[a], t, f"args[{a}]", "v", ())
        S_tangent = tangent_function(f, wrt)
        grads = value_and_grad_of(S_tangent, tuple(a + len(wrt) for a in wrt))(
            *tangents, *args, **kwargs)[1]
        return grads if isinstance(argnums, tuple) else grads[0]
    return product


def hessian(f, argnums=0):
    """The Hessian of scalar f: one hvp per element of the argument; shape
    `argument.shape + argument.shape` (for a tuple argnums, blocks `H[i][j]`)."""
    def matrix(*args):
        wrt = argnums if isinstance(argnums, tuple) else (argnums,)
        product = hvp(f, tuple(wrt))
        blocks = {}
        for j in wrt:
            zeros = [zero_tangent(args[a]) for a in wrt]
            cols = []
            for basis in _basis(args[j]):
                v = list(zeros)
                v[wrt.index(j)] = basis
                cols.append([np.asarray(h) for h in product(*args, tuple(v))])
            for k, i in enumerate(wrt):
                blocks[i, j] = np.stack([c[k] for c in cols], axis=-1).reshape(
                    np.shape(args[i]) + np.shape(args[j]))
        if not isinstance(argnums, tuple):
            return blocks[argnums, argnums]
        return tuple(tuple(blocks[i, j] for j in wrt) for i in wrt)
    return matrix


def _per_argnum(argnums, one):
    return tuple(one(a) for a in argnums) if isinstance(argnums, tuple) else one(argnums)


def _ones(value):
    if isinstance(value, (float, int)):
        return 1.0
    return np.ones_like(value)


def _basis(x):
    """The unit directions of an array (or float) argument, one per element."""
    if isinstance(x, (float, int)):
        yield 1.0
        return
    if not (hasattr(x, "shape") and getattr(x, "dtype", None) is not None
            and x.dtype.kind == "f"):
        raise TypeError(f"knetc's Jacobians and Hessians take float arrays or floats, not "
                        f"{type(x).__name__}; for lists or dicts of arrays, call them on "
                        "a function of one array")
    for i in range(x.size):
        e = np.zeros(x.shape, x.dtype)
        e.flat[i] = 1
        yield e
