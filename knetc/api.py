"""The public entry points: grad, value_and_grad and source."""
import functools
import inspect
import linecache
import sys
import weakref

from .compiler import compile_gradient, parse_and_check
from .errors import NoAdjointError
from .higher import Derivative, of_derivative
from .locate import relocate
from .pytree import integer_leaf_error
from .runtime.finalize import IntegerLeafError

_cache = weakref.WeakKeyDictionary()  # user function -> {argnums: Compiled}


def _compiled(f, argnums, args=(), has_aux=False):
    """The generated code for (f, argnums), compiled on first use and again only if a global
    it was compiled against has been rebound since. A method is compiled per class of its
    `self` argument, so `self.predict(x)` calls the override."""
    self_type = type(args[0]) if args and _is_method(f) else None
    per_fn = _cache.setdefault(f, {})
    key = (argnums, self_type, has_aux)
    compiled = per_fn.get(key)
    if compiled is None or compiled.stale():
        compiled = per_fn[key] = compile_gradient(f, argnums, self_type, has_aux)
    return compiled


def _is_method(f):
    owner = f.__qualname__.rpartition(".")[0]
    return bool(owner) and not owner.endswith("<locals>")


def _normalize(argnums):
    if isinstance(argnums, (list, tuple)):
        return tuple(int(a) for a in argnums)
    return int(argnums)


def _make(f, argnums, pick, kind, has_aux=False):
    if f is None:
        return lambda fn: _make(fn, argnums, pick, kind, has_aux)
    if not callable(f):
        raise TypeError(f"knetc.{kind} expects a function, got {type(f).__name__}")
    argnums = _normalize(argnums)
    derivative = getattr(f, "_knetc_derivative", None)
    if derivative is not None and has_aux:
        raise TypeError(f"knetc.{kind}(..., has_aux=True) of a function made by knetc: "
                        "its result has no aux; drop has_aux")
    if derivative is not None:  # grad of grad: differentiate the generated tangent code
        return of_derivative(derivative, argnums, pick, kind,
                             lambda S, a: _make(S, a, lambda out: out, "value_and_grad"))
    if getattr(f, "_knetc_target", None) is not None:
        raise _higher_order(kind)
    if inspect.ismethod(f):  # grad(model.loss): differentiate the function, self bound
        shifted = tuple(a + 1 for a in argnums) if isinstance(argnums, tuple) else argnums + 1
        inner = _make(f.__func__, shifted, pick, kind, has_aux)

        @functools.wraps(f)
        def bound(*args, **kwargs):
            return inner(f.__self__, *args, **kwargs)

        bound._knetc_target = inner._knetc_target
        if not has_aux:
            bound._knetc_derivative = Derivative(f.__func__, shifted, 1,
                                                 lambda args: (f.__self__,), kind)
        return bound
    parse_and_check(f)  # syntax errors surface here, at grad time
    method = _is_method(f)  # compiled per class of `self`: no shortcut
    last = [None]  # the code of the last call, for a function that is not a method

    @functools.wraps(f)
    def gradient(*args, **kwargs):
        if "cupy" in sys.modules:  # CuPy arrays in, CuPy arrays out (KnetArrays inside)
            from .cuda.transfer import unwrap_cupy, wrap_cupy
            args, kwargs, wrapped = wrap_cupy(args, kwargs)
            if wrapped:
                return unwrap_cupy(gradient(*args, **kwargs))
        compiled = last[0]  # skips the cache lookups; the staleness check stays
        if compiled is None or compiled.stale():
            compiled = _compiled(f, argnums, args, has_aux)
            if not method:
                last[0] = compiled
        try:
            return pick(compiled.function(*args, **kwargs))
        except IntegerLeafError:
            raise _integer_leaf(f, argnums, args, kwargs) from None
        except Exception as exc:
            better = relocate(exc, compiled)
            if better is None:
                raise
            raise better from None

    gradient._knetc_target = (f, argnums, has_aux)
    if not has_aux:
        gradient._knetc_derivative = Derivative(f, argnums, 0, _no_prefix, kind)
    return gradient


def _no_prefix(args):
    return ()


def _higher_order(kind):
    """The refusal of knetc.grad(knetc.grad(f)), at the user's line that asked for it."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("knetc"):
        frame = frame.f_back
    filename, lineno = (frame.f_code.co_filename, frame.f_lineno) if frame else (None, None)
    return NoAdjointError(
        f"knetc cannot differentiate a gradient made by knetc.{kind}: higher-order "
        "derivatives are not supported yet", filename, lineno,
        linecache.getline(filename, lineno) if filename else None,
        hint="Instead: differentiate a function that computes the first derivative by hand.")


def _integer_leaf(f, argnums, args, kwargs):
    """The TypeError naming the differentiated integer leaf as the user writes it."""
    names = list(inspect.signature(f).parameters)
    for i in (argnums if isinstance(argnums, tuple) else (argnums,)):
        error = integer_leaf_error(names[i] if i < len(names) else f"args[{i}]", args[i])
        if error is not None:
            return error
    return TypeError("knetc differentiates only float leaves; pass floats")


def grad(f=None, argnums=0, has_aux=False):
    """The gradient of `f`'s scalar result with respect to argument `argnums`.

    Returns a function with f's signature whose result mirrors the structure of the
    differentiated argument (a list gives a list, a dict a dict, a float a float). With a
    tuple `argnums` it returns a tuple of gradients. Use as `knetc.grad(loss)`, as a bare
    decorator `@knetc.grad`, or as `@knetc.grad(argnums=1)`.

        def loss(w, x, y):
            return np.sum((w[0] @ x + w[1] - y) ** 2)
        dw = knetc.grad(loss)(w, x, y)
    """
    if has_aux:  # f returns (loss, aux): (gradient, aux)
        return _make(f, argnums, lambda out: (out[1], out[0][1]), "grad", True)
    return _make(f, argnums, lambda out: out[1], "grad")


def value_and_grad(f=None, argnums=0, has_aux=False):
    """Like `grad`, but the function returns `(f(...), gradient)` from one forward pass;
    with `has_aux=True`, f returns `(loss, aux)` and this returns `((loss, aux), gradient)`."""
    return _make(f, argnums, lambda out: out, "value_and_grad", has_aux)


def source(g):
    """The generated Python source of gradient function `g` (compiling it if needed)."""
    target = getattr(g, "_knetc_target", None)
    if target is None:
        raise TypeError("knetc.source expects a function returned by knetc.grad or "
                        "knetc.value_and_grad")
    f, argnums, has_aux = target
    return _compiled(f, argnums, (), has_aux).text
