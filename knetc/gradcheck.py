"""Check a gradient against central finite differences along random directions."""
import inspect
import numbers

import numpy as np

from .gradleaves import copy_args, describe, like, match, numpy_arrays, path_str, to_numpy
from .pytree import integer_leaf_error

_DEFAULTS = {  # itemsize -> (eps, rtol)
    8: (1e-6, 1e-5),
    4: (1e-3, 2e-2),
    2: (1e-2, 1e-1),
}


def check_grads(f, *args, argnums=0, eps=None, rtol=None, atol=None, directions=2, seed=0,
                grad_fn=None):
    """Assert that the gradient of scalar ``f`` at ``args`` matches finite differences.

    For every float leaf of every differentiated argument, the gradient must have the same
    structure, a leaf of the same shape and dtype, writable, sharing memory with no other
    returned leaf and no input, unchanged by a second call, and no ``None``; then for
    ``directions`` random unit directions v, ``<grad, v>`` must match
    ``(f(x + eps v) - f(x - eps v)) / (2 eps)``. One more random direction moves all leaves at
    once. Perturbed arrays keep the leaf's memory layout (Fortran order, a view's strides).
    With the default ``grad_fn``, knetc's value of f must equal f's own, and an integer or
    boolean leaf must be refused (its TypeError is raised). Every argument is copied for
    every call of f and of the gradient: the caller's arguments are never mutated.

    Args:
        f: the scalar loss function.
        *args: its positional arguments: arrays, Python floats, or lists, tuples, namedtuples,
            dicts and objects (callable or not, dataclasses) of those nested to any depth.
            Non-float leaves (ints, strings, integer arrays) are skipped by a ``grad_fn``.
        argnums: index, or tuple of indices, of the arguments to differentiate.
        eps: finite-difference step; default 1e-6 in float64, 1e-3 in float32.
        rtol: relative tolerance; default 1e-5 in float64, 2e-2 in float32.
        atol: absolute tolerance; default scales with ``|f(x)|`` and the rounding noise of ``eps``.
        directions: random directions per leaf.
        seed: seed of the random directions.
        grad_fn: gradient function to check, called as ``grad_fn(*args)``; defaults to
            ``knetc.value_and_grad(f, argnums=argnums)``'s gradient.

    Raises:
        AssertionError: naming the leaf (e.g. ``params['b'][0]``), the analytic and numeric
            directional derivatives, and their relative error.

    Example:
        >>> def loss(w, x):
        ...     return np.sum((w[0] @ x + w[1]) ** 2)
        >>> w = [np.ones((2, 3)), 0.5]
        >>> x = np.arange(6.0).reshape(3, 2)
        >>> def dloss(w, x):
        ...     r = 2 * (w[0] @ x + w[1])
        ...     return [r @ x.T, float(np.sum(r))]
        >>> check_grads(loss, w, x, grad_fn=dloss)
    """
    single = isinstance(argnums, numbers.Integral)
    nums = (argnums,) if single else tuple(argnums)
    for i in nums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"check_grads: argnums index {i} is out of range for "
                             f"{len(args)} arguments")
    nums = tuple(i % len(args) for i in nums)
    names = _arg_names(f, len(args))
    value_fn = None
    if grad_fn is None:
        from .api import value_and_grad
        _check_refuses_integer_leaves(f, args, nums, names, argnums)
        value_fn = value_and_grad(f, argnums=argnums)
        grad_fn = lambda *a: value_fn(*a)[1]  # noqa: E731

    def call(subst=None):
        # Fresh copies on every call, so neither f nor grad_fn can alter the caller's arguments.
        return f(*copy_args(args, subst))

    inputs = copy_args(args)
    if value_fn is not None:
        value, g = value_fn(*inputs)
    else:
        g = grad_fn(*inputs)
    g = _as_tuple(g, single, nums, argnums)
    leaves = []  # (argument position, path, leaf value, gradient value)
    for i, gi in zip(nums, g):
        found = match(args[i], gi, (), names[i], leaves, i)
        if not found:
            raise ValueError(f"check_grads: argument {names[i]} has no float leaves to check")

    y0 = call()
    f0 = _scalar(y0, "f")
    _check_fresh(leaves, inputs, names)
    moved = {(i, path): like(to_numpy(leaf) * (1 + 1e-3) + 1e-3, leaf)
             for i, path, leaf, _ in leaves}
    _check_repeatable(leaves, lambda: grad_fn(*copy_args(args, moved)), names)
    if not np.isfinite(float(f0)):
        raise AssertionError(f"check_grads: f returned {f0} at the given arguments")
    dtype = _working_dtype([y0] + [leaf for _, _, leaf, _ in leaves])
    d_eps, d_rtol = _DEFAULTS.get(dtype.itemsize, _DEFAULTS[8])
    eps = d_eps if eps is None else eps
    rtol = d_rtol if rtol is None else rtol
    if atol is None:
        # Each f evaluation is off by a few ulps of |f|; the difference quotient divides by eps.
        atol = 10 * np.finfo(dtype).eps * max(1.0, abs(float(f0))) / eps
    if value_fn is not None:
        v0 = float(_scalar(value, "knetc.value_and_grad"))
        if not abs(v0 - float(f0)) <= rtol * max(1.0, abs(float(f0))):
            raise AssertionError(f"check_grads: knetc's value of f is {v0!r}, but f itself "
                                 f"returns {float(f0)!r}")

    rng = np.random.default_rng(seed)
    for entry in leaves:
        count = directions if np.size(entry[2]) > 1 else min(directions, 1)
        for k in range(count):
            label = f"{path_str(names[entry[0]], entry[1])} (direction {k + 1} of {count})"
            _check_direction(call, [entry], rng, eps, rtol, atol, label)
    if len(leaves) > 1:
        _check_direction(call, leaves, rng, eps, rtol, atol,
                         "a joint random direction over all differentiated leaves")


def _as_tuple(g, single, nums, argnums):
    if single:
        return (g,)
    if not isinstance(g, (tuple, list)) or len(g) != len(nums):
        raise AssertionError(f"check_grads: argnums={argnums!r} needs a tuple of {len(nums)} "
                             f"gradients, got {describe(g)}")
    return g


def _check_refuses_integer_leaves(f, args, nums, names, argnums):
    """knetc must refuse an integer or boolean leaf in a differentiated argument (its gradient
    would be truncated); check_grads then raises knetc's TypeError itself."""
    from .api import grad
    for i in nums:
        error = integer_leaf_error(names[i], args[i])
        if error is None:
            continue
        try:
            grad(f, argnums=argnums)(*copy_args(args))
        except TypeError as exc:
            raise exc from None
        raise AssertionError(f"check_grads: knetc returned a gradient for {names[i]}, which "
                             f"holds an integer leaf ({error}); it must refuse it")


def _check_fresh(leaves, inputs, names):
    """Returned array leaves share memory with nothing: not each other, not the inputs."""
    held = [(f"the input {names[i]}", x) for i, a in enumerate(inputs)
            for x in numpy_arrays(a, [])]
    for k, (argpos, path, _, g) in enumerate(leaves):
        if not isinstance(g, np.ndarray):
            continue
        where = path_str(names[argpos], path)
        others = [(f"the gradient of {path_str(names[p2], q)}", g2)
                  for p2, q, _, g2 in leaves[k + 1:] if isinstance(g2, np.ndarray)]
        for label, other in others + held:
            if np.shares_memory(g, other):
                raise AssertionError(f"check_grads: gradient of {where} shares memory with "
                                     f"{label}; each returned leaf must be a fresh array")


def _check_repeatable(leaves, again, names):
    """A second call, at a nearby point, leaves the first call's gradients as they were (no
    buffer that a later call writes)."""
    before = [np.array(to_numpy(g), copy=True) for _, _, _, g in leaves]
    again()
    for (argpos, path, _, g), old in zip(leaves, before):
        if not np.array_equal(to_numpy(g), old, equal_nan=True):
            raise AssertionError(f"check_grads: gradient of {path_str(names[argpos], path)} "
                                 f"changed when the gradient was computed again; it must not "
                                 f"share a buffer that a later call writes")


def _arg_names(f, n):
    """The name a user writes for each positional argument, e.g. ``w`` or ``args[2]``."""
    names = [f"args[{i}]" for i in range(n)]
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return names
    for i, p in enumerate(params):
        if p.kind == p.VAR_POSITIONAL:
            names[i:] = [f"{p.name}[{j}]" for j in range(n - i)]
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and i < n:
            names[i] = p.name
    return names


def _working_dtype(values):
    """The least precise float dtype among f's output and the differentiated leaves."""
    dts = [np.dtype(v.dtype) for v in values
           if getattr(getattr(v, "dtype", None), "kind", "") == "f"]
    return max(dts, key=lambda d: np.finfo(d).eps, default=np.dtype(np.float64))


def _scalar(y, who):
    if hasattr(y, "shape") and int(np.prod(y.shape)) != 1:
        raise ValueError(f"check_grads: {who} must return a scalar, got shape {tuple(y.shape)}")
    return y.item() if hasattr(y, "item") else y


def _check_direction(call, entries, rng, eps, rtol, atol, label):
    """Compare <g, v> with the central difference of f along one random unit direction v."""
    vs = [rng.standard_normal(np.shape(leaf)) for _, _, leaf, _ in entries]
    norm = np.sqrt(sum(float(np.sum(v * v)) for v in vs))
    if norm == 0:  # only zero-size leaves
        return
    plus, minus, analytic = {}, {}, 0.0
    for (argpos, path, leaf, g), v in zip(entries, vs):
        x = to_numpy(leaf)
        xp, xm = like(x + eps * v / norm, leaf), like(x - eps * v / norm, leaf)
        plus[(argpos, path)], minus[(argpos, path)] = xp, xm
        # Use the step actually taken after rounding to the leaf's dtype, not the ideal eps v.
        step = (to_numpy(xp) - to_numpy(xm)) / (2 * eps)
        analytic += float(np.sum(to_numpy(g) * step))
    numeric = (float(_scalar(call(plus), "f")) - float(_scalar(call(minus), "f"))) / (2 * eps)
    err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    if err <= atol + rtol * scale:
        return
    rel = err / scale if scale > 0 else float("inf")
    raise AssertionError(
        f"check_grads: gradient mismatch for {label}:\n"
        f"  analytic <grad, v> = {analytic:.9g}\n"
        f"  numeric (f(x+eps v) - f(x-eps v)) / (2 eps) = {numeric:.9g}  (eps={eps:g})\n"
        f"  relative error {rel:.3g} (rtol={rtol:g}, atol={atol:.3g})")
