"""Forward mode: jvp, and what is built on it (jacfwd, hvp).

`knetc.jvp(f, primals, tangents)` compiles f's tangent function once (knetc/compiler/
tangent.py) and calls it; `knetc.jvp_source(f)` shows the generated code.
"""
import weakref

import numpy as np

from .compiler import compile_jvp
from .gradleaves import has_float
from .pytree import children, path_str

_cache = weakref.WeakKeyDictionary()  # function -> {(argnums, only_tangent): Compiled}


def compiled_jvp(f, argnums, only_tangent=False):
    """f's generated tangent function for `argnums`, compiled once (again if stale);
    `only_tangent`: the variant returning only the tangent, which an hvp differentiates."""
    per_fn = _cache.setdefault(f, {})
    compiled = per_fn.get((argnums, only_tangent))
    if compiled is None or compiled.stale():
        compiled = per_fn[argnums, only_tangent] = compile_jvp(f, argnums,
                                                                only_tangent=only_tangent)
    return compiled


def jvp(f, primals, tangents):
    """`(f(*primals), tangent_out)`: the derivative of `f` at `primals` in the direction
    `tangents`, by forward mode (the generated tangent code runs once, beside f's own).

    `primals` and `tangents` are tuples of the same length whose items have the same
    structure (arrays of the same shapes, lists, dicts, objects of them), as in JAX:

        y, y_dot = knetc.jvp(loss, (w, x), (w_dot, np.zeros_like(x)))
        y, y_dot = knetc.jvp(loss, (w, x), (w_dot, None))   # the same, x held still

    A tangent given as None (knetc's extension of JAX's convention) holds that argument
    still, and the generated code then computes no terms for it.

    Where f changes an argument in place (`xs[0] = ...`, `h[:, t] = ...`), the generated
    code changes that argument's tangent the same way.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("knetc.jvp(f, primals, tangents) takes primals and tangents as "
                        "tuples, one item per argument of f: jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"knetc.jvp got {len(primals)} primals but {len(tangents)} "
                         "tangents; give one tangent per primal")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if t is not None:
            check_tangent(p, t, f"primals[{i}]", f"tangents[{i}]", ())
    derivative = getattr(f, "_knetc_derivative", None)
    if derivative is not None:  # jvp of a gradient: forward over reverse (knetc.higher)
        return derivative.jvp(tuple(tangents), tuple(primals), {})
    wrt = tuple(i for i, (p, t) in enumerate(zip(primals, tangents))  # None, ints: held
                if t is not None and has_float(p))                     # still
    compiled = compiled_jvp(f, wrt)
    return compiled.function(*(tangents[i] for i in wrt), *primals)


def jvp_source(f, argnums=None):
    """The generated forward-mode (tangent) source of f, for all its positional arguments
    or those in `argnums`."""
    from .compiler.forwarding import positional_names
    if argnums is None:
        argnums = tuple(range(len(positional_names(f))))
    argnums = argnums if isinstance(argnums, tuple) else (argnums,)
    return compiled_jvp(f, argnums).text


def check_tangent(p, t, pname, tname, path):
    """A tangent must mirror its primal: same containers, arrays of the same shape."""
    kids = children(p)
    if kids:
        tkids = dict(children(t))
        for step, value in kids:
            if step not in tkids:
                raise ValueError(f"{path_str(tname, path)} has no item {step!r} where "
                                 f"{path_str(pname, path)} has one; a tangent has its "
                                 "primal's structure")
            check_tangent(value, tkids[step], pname, tname, path + (step,))
        return
    ps, ts = np.shape(p) if _numeric(p) else None, np.shape(t) if _numeric(t) else None
    if ps is not None and ts is not None and ps != ts:
        raise ValueError(f"{path_str(tname, path)} has shape {ts} but "
                         f"{path_str(pname, path)} has shape {ps}; a tangent has its "
                         "primal's shape")


def _numeric(x):
    return hasattr(x, "shape") or isinstance(x, (int, float))
