"""`update`: one optimizer step over every float leaf of a model's parameters, and
`optimizers`, a structure of optimizers shaped like them (the rules are in knetc/optim.py).

    opt = knetc.Adam()
    w = knetc.update(w, dloss(w, x, y), opt)

gclip clips by the global norm of all gradients of one `update` call (on a GPU computed on the
device, with no host sync).
"""
import math

from .optim import Optimizer, _gpu, _is_float_array, _is_float_scalar, _xp


def _zip(w, g, o, path):
    """(path, leaf, gradient, optimizer) for each float leaf of w with a gradient and optimizer."""
    if g is None or o is None:
        return
    if isinstance(w, (list, tuple, dict)):
        own = isinstance(o, Optimizer)
        items = w.items() if isinstance(w, dict) else enumerate(w)
        if isinstance(w, dict) != isinstance(g, dict) or not isinstance(g, (list, tuple, dict)):
            raise TypeError(f"gradient at {list(path)} is a {type(g).__name__}, the parameter "
                            f"a {type(w).__name__}")
        if not isinstance(w, dict) and len(g) != len(w):
            raise ValueError(f"gradient at {list(path)} has {len(g)} items, the parameter {len(w)}")
        if not own and not isinstance(o, type(w) if isinstance(w, dict) else (list, tuple)):
            raise TypeError(f"optimizer structure at {list(path)} is a {type(o).__name__}, the "
                            f"parameter a {type(w).__name__}")
        for k, wk in items:
            gk = g.get(k) if isinstance(g, dict) else g[k]
            ok = o if own else (o.get(k) if isinstance(o, dict) else o[k])
            yield from _zip(wk, gk, ok, path + (k,))
    elif _is_float_array(w) or _is_float_scalar(w):
        if not isinstance(o, Optimizer):
            raise TypeError(f"expected an optimizer for the parameter at {list(path)}, "
                            f"got {type(o).__name__}")
        yield path, w, g, o


def _rebuild(x, path, new):
    """x with the leaves at the paths in `new` replaced: lists and dicts in place, tuples anew."""
    if path in new:
        return new[path]
    if isinstance(x, (list, dict)):
        for k, xk in list(x.items() if isinstance(x, dict) else enumerate(x)):
            nk = _rebuild(xk, path + (k,), new)
            if nk is not xk:
                x[k] = nk
        return x
    if isinstance(x, tuple):
        items = [_rebuild(xk, path + (k,), new) for k, xk in enumerate(x)]
        if any(a is not b for a, b in zip(items, x)):
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return x


def update(params, grads, opt):
    """Apply one optimizer step to every float leaf of `params`, returning the updated params.

    Args:
        params: an array, a float, or a list/tuple/dict nesting them (other leaves, e.g. ints
            or integer arrays, are left alone). Float arrays are updated in place.
        grads: the gradient, with the structure of params (e.g. from `knetc.grad`); a None
            gradient or a dict key missing from grads leaves that parameter alone.
        opt: one optimizer, applied to every leaf with state kept per leaf (keyed by the leaf's
            path, so use one optimizer per model), or a structure of optimizers matching params
            (see `optimizers`); an optimizer standing for a sub-structure applies to all of it.

    Python floats cannot change in place: update stores their new values into the enclosing
    list or dict, and returns a new tuple (or float) where the float sits in a tuple (or is
    params itself). `params = knetc.update(params, grads, opt)` is right in every case.

        w = [knetc.xavier(10, 784), 0.0]
        opt = knetc.Adam()
        w = knetc.update(w, dloss(w, x, y), opt)
    """
    leaves = list(_zip(params, grads, opt, ()))
    norm = None
    if any(o.gclip > 0 for _, _, _, o in leaves):
        norm = _global_norm([g for _, _, g, _ in leaves])
    new = {}
    for path, w, g, o in leaves:
        scale = 1.0
        if o.gclip > 0 and _gpu(norm):
            if _gpu(w):                        # clip scale resolved on the device: no sync
                scale = _gpu(norm).Clip(norm, o.gclip)
            else:                              # a host leaf among GPU gradients: one sync
                norm = float(norm.item())
        if o.gclip > 0 and not _gpu(norm) and norm > o.gclip:
            scale = o.gclip / norm
        result = o.step(w, g, path, scale)
        if result is not w:
            new[path] = result
    return _rebuild(params, (), new) if new else params


def _global_norm(grads):
    """The 2-norm of all gradients: a float, or a 1-element float64 KnetArray on the device
    (computed there, no host sync) when there are KnetArray gradients."""
    total, on_gpu = 0.0, []
    for g in grads:
        if _gpu(g):
            on_gpu.append(g)
        else:
            total += float(_xp(g).vdot(g, g)) if hasattr(g, "shape") else float(g) ** 2
    return _gpu(on_gpu[0]).global_norm(on_gpu, total) if on_gpu else math.sqrt(total)


def optimizers(params, otype, **options):
    """A structure like params with a fresh `otype(**options)` per float leaf (None elsewhere).

        opts = knetc.optimizers(w, knetc.Adam, lr=0.01)     # e.g. [Adam, Adam] for w = [W, b]
        w = knetc.update(w, dw, opts)
    """
    if isinstance(params, dict):
        return {k: optimizers(v, otype, **options) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return (list if isinstance(params, list) else tuple)(
            optimizers(v, otype, **options) for v in params)
    if _is_float_array(params) or _is_float_scalar(params):
        return otype(**options)
    return None
