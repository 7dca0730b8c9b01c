"""Check a gradient against central finite differences along random directions."""
import copy
import inspect
import numbers
import sys

import numpy as np

_DEFAULTS = {  # itemsize -> (eps, rtol)
    8: (1e-6, 1e-5),
    4: (1e-3, 2e-2),
    2: (1e-2, 1e-1),
}


def check_grads(f, *args, argnums=0, eps=None, rtol=None, atol=None, directions=2, seed=0,
                grad_fn=None):
    """Assert that the gradient of scalar ``f`` at ``args`` matches finite differences.

    For every float leaf of every differentiated argument, the gradient must have the same
    structure, a leaf of the same shape and dtype, and no ``None``; then for ``directions``
    random unit directions v, ``<grad, v>`` must match ``(f(x + eps v) - f(x - eps v)) / (2 eps)``.
    One more random direction moves all leaves at once. Arguments are never mutated.

    Args:
        f: the scalar loss function.
        *args: its positional arguments: arrays, Python floats, or lists/tuples/dicts of those
            nested to any depth. Non-float leaves (ints, strings, integer arrays) are skipped.
        argnums: index, or tuple of indices, of the arguments to differentiate.
        eps: finite-difference step; default 1e-6 in float64, 1e-3 in float32.
        rtol: relative tolerance; default 1e-5 in float64, 2e-2 in float32.
        atol: absolute tolerance; default scales with ``|f(x)|`` and the rounding noise of ``eps``.
        directions: random directions per leaf.
        seed: seed of the random directions.
        grad_fn: gradient function to check, called as ``grad_fn(*args)``; defaults to
            ``knetc.grad(f, argnums=argnums)``.

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
    if grad_fn is None:
        from .api import grad
        grad_fn = grad(f, argnums=argnums)
    names = _arg_names(f, len(args))

    def call(subst=None):
        # Fresh copies on every call, so neither f nor grad_fn can alter the caller's arguments.
        return f(*_copy_args(args, nums, subst))

    g = grad_fn(*_copy_args(args, nums))
    if single:
        g = (g,)
    elif not isinstance(g, (tuple, list)) or len(g) != len(nums):
        raise AssertionError(f"check_grads: argnums={argnums!r} needs a tuple of {len(nums)} "
                             f"gradients, got {_describe(g)}")

    leaves = []  # (argument position, path, leaf value, gradient value)
    for i, gi in zip(nums, g):
        found = _match(args[i], gi, (), names[i], leaves, i)
        if not found:
            raise ValueError(f"check_grads: argument {names[i]} has no float leaves to check")

    y0 = call()
    f0 = _scalar(y0, "f")
    if not np.isfinite(float(f0)):
        raise AssertionError(f"check_grads: f returned {f0} at the given arguments")
    dtype = _working_dtype([y0] + [leaf for _, _, leaf, _ in leaves])
    d_eps, d_rtol = _DEFAULTS.get(dtype.itemsize, _DEFAULTS[8])
    eps = d_eps if eps is None else eps
    rtol = d_rtol if rtol is None else rtol
    if atol is None:
        # Each f evaluation is off by a few ulps of |f|; the difference quotient divides by eps.
        atol = 10 * np.finfo(dtype).eps * max(1.0, abs(float(f0))) / eps

    rng = np.random.default_rng(seed)
    for entry in leaves:
        count = directions if np.size(entry[2]) > 1 else min(directions, 1)
        for k in range(count):
            label = f"{_path_str(names[entry[0]], entry[1])} (direction {k + 1} of {count})"
            _check_direction(call, [entry], rng, eps, rtol, atol, label)
    if len(leaves) > 1:
        _check_direction(call, leaves, rng, eps, rtol, atol,
                         "a joint random direction over all differentiated leaves")


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


class _Attr(str):
    """A path step through an attribute (`model.w`) rather than an index."""


def _is_object(a):
    """A plain object whose attributes may hold parameters (a small Model class)."""
    return hasattr(a, "__dict__") and not callable(a) and not isinstance(
        a, (np.ndarray, np.generic, dict, list, tuple, numbers.Number))


def _path_str(name, path):
    return name + "".join(f".{k}" if isinstance(k, _Attr) else f"[{k!r}]" for k in path)


def _is_scalar_leaf(x):
    """Python float or NumPy floating scalar (not bool, not int)."""
    return isinstance(x, (float, np.floating))


def _is_array_leaf(x):
    return (not _is_scalar_leaf(x) and hasattr(x, "shape") and hasattr(x, "dtype")
            and getattr(x.dtype, "kind", None) == "f")


def _describe(x):
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, numbers.Number) else type(x).__name__


def _match(a, g, path, name, leaves, argpos):
    """Check g mirrors a at every float leaf; collect the leaves. Return whether any were found."""
    where = _path_str(name, path)
    if _is_object(a):
        found = False
        for k, v in vars(a).items():
            if _has_float(v):
                if not hasattr(g, k):
                    raise AssertionError(f"check_grads: gradient of {where} should have an "
                                         f"attribute {k!r}, got {_describe(g)}")
                found = _match(v, getattr(g, k), path + (_Attr(k),), name, leaves,
                               argpos) or found
        return found
    if isinstance(a, dict):
        found = False
        for k, v in a.items():
            if not _has_float(v):
                continue
            if not isinstance(g, dict) or k not in g:
                raise AssertionError(f"check_grads: gradient of {where} should be a dict with key "
                                     f"{k!r}, got {_describe(g) if g is not None else 'None'}")
            found = _match(v, g[k], path + (k,), name, leaves, argpos) or found
        return found
    if isinstance(a, (list, tuple)):
        if not _has_float(a):
            return False
        if not isinstance(g, (list, tuple)) or len(g) != len(a):
            got = f"length {len(g)}" if isinstance(g, (list, tuple)) else _describe(g)
            raise AssertionError(f"check_grads: gradient of {where} should be a list/tuple of "
                                 f"length {len(a)}, got {got}")
        found = False
        for k, (v, gv) in enumerate(zip(a, g)):
            found = _match(v, gv, path + (k,), name, leaves, argpos) or found
        return found
    if not (_is_scalar_leaf(a) or _is_array_leaf(a)):
        return False
    if g is None:
        raise AssertionError(f"check_grads: gradient of {where} is None")
    _check_leaf_type(a, g, where)
    leaves.append((argpos, path, a, g))
    return True


def _has_float(a):
    if _is_object(a):
        return any(_has_float(v) for v in vars(a).values())
    if isinstance(a, dict):
        return any(_has_float(v) for v in a.values())
    if isinstance(a, (list, tuple)):
        return any(_has_float(v) for v in a)
    return _is_scalar_leaf(a) or _is_array_leaf(a)


def _check_leaf_type(a, g, where):
    if _is_scalar_leaf(a):
        scalar_like = (isinstance(g, numbers.Real) and not isinstance(g, bool)) or (
            getattr(g, "shape", None) == ()
            and getattr(getattr(g, "dtype", None), "kind", "") in ("f", "i", "u"))
        if not scalar_like:
            raise AssertionError(f"check_grads: gradient of float {where} should be a float or "
                                 f"0-d value, got {_describe(g)}")
        if hasattr(a, "dtype") and hasattr(g, "dtype") and a.dtype != np.float64 \
                and g.dtype != a.dtype:
            raise AssertionError(f"check_grads: gradient of {where} has dtype {g.dtype}, "
                                 f"expected {a.dtype}")
        return
    if not (hasattr(g, "shape") and hasattr(g, "dtype")):
        raise AssertionError(f"check_grads: gradient of array {where} should be an array of "
                             f"shape {tuple(a.shape)}, got {_describe(g)}")
    if tuple(g.shape) != tuple(a.shape):
        raise AssertionError(f"check_grads: gradient of {where} has shape {tuple(g.shape)}, "
                             f"expected {tuple(a.shape)}")
    if g.dtype != a.dtype:
        raise AssertionError(f"check_grads: gradient of {where} has dtype {g.dtype}, "
                             f"expected {a.dtype}")


def _working_dtype(values):
    """The least precise float dtype among f's output and the differentiated leaves."""
    dts = [np.dtype(v.dtype) for v in values
           if getattr(getattr(v, "dtype", None), "kind", "") == "f"]
    return max(dts, key=lambda d: np.finfo(d).eps, default=np.dtype(np.float64))


def _to_numpy(x):
    if hasattr(x, "get") and not isinstance(x, (np.ndarray, np.generic)):
        x = x.get()  # CuPy arrays copy to the host explicitly
    return np.asarray(x, dtype=np.float64)


def _like(value, leaf):
    """value (a NumPy float64 array) cast to leaf's type and dtype."""
    if _is_scalar_leaf(leaf):
        return type(leaf)(float(value)) if isinstance(leaf, np.floating) else float(value)
    value = value.astype(leaf.dtype)
    if isinstance(leaf, np.ndarray):
        return value
    # Another array library (e.g. CuPy): build the array with its own module's asarray.
    return sys.modules[type(leaf).__module__.split(".")[0]].asarray(value)


def _scalar(y, who):
    if hasattr(y, "shape") and int(np.prod(y.shape)) != 1:
        raise ValueError(f"check_grads: {who} must return a scalar, got shape {tuple(y.shape)}")
    return y.item() if hasattr(y, "item") else y


def _copy_args(args, nums, subst=None):
    """Deep copies of the differentiated args, with leaves at subst[(argpos, path)] replaced."""
    out = list(args)
    for i in nums:
        out[i] = _rebuild(args[i], (), i, subst or {})
    return out


def _rebuild(a, path, argpos, subst):
    if (argpos, path) in subst:
        return subst[(argpos, path)]
    if _is_object(a):
        c = copy.copy(a)
        for k, v in vars(a).items():
            setattr(c, k, _rebuild(v, path + (_Attr(k),), argpos, subst))
        return c
    if isinstance(a, dict):
        c = copy.copy(a)  # keeps dict subclasses such as OrderedDict
        for k, v in a.items():
            c[k] = _rebuild(v, path + (k,), argpos, subst)
        return c
    if isinstance(a, (list, tuple)):
        items = [_rebuild(v, path + (k,), argpos, subst) for k, v in enumerate(a)]
        if isinstance(a, list):
            c = copy.copy(a)
            c[:] = items
            return c
        return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
    return copy.deepcopy(a)


def _check_direction(call, entries, rng, eps, rtol, atol, label):
    """Compare <g, v> with the central difference of f along one random unit direction v."""
    vs = [rng.standard_normal(np.shape(leaf)) for _, _, leaf, _ in entries]
    norm = np.sqrt(sum(float(np.sum(v * v)) for v in vs))
    if norm == 0:  # only zero-size leaves
        return
    plus, minus, analytic = {}, {}, 0.0
    for (argpos, path, leaf, g), v in zip(entries, vs):
        x = _to_numpy(leaf)
        xp, xm = _like(x + eps * v / norm, leaf), _like(x - eps * v / norm, leaf)
        plus[(argpos, path)], minus[(argpos, path)] = xp, xm
        # Use the step actually taken after rounding to the leaf's dtype, not the ideal eps v.
        step = (_to_numpy(xp) - _to_numpy(xm)) / (2 * eps)
        analytic += float(np.sum(_to_numpy(g) * step))
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
