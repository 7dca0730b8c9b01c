"""Shared helpers for the knetc test corpus (tests/test_corpus_*.py).

Every corpus program is a plain module-level NumPy function.  ``check_program``
runs it through the public API only:

* the program itself must run and return a scalar (a sanity check on the test);
* ``knetc.check_grads`` compares knetc's gradient with finite differences;
* the gradient returned by ``knetc.grad`` must mirror the structure of the
  differentiated argument (list->list, tuple->tuple, dict->dict, Python float
  -> Python float, array -> array of the same shape and dtype), contain only
  finite numbers and never ``None``;
* computing the gradient must not modify the caller's arguments.
"""
import copy
import zlib

import numpy as np
import pytest

import knetc


def rng_for(name):
    """A reproducible generator, seeded from the test id."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def randn(r, *shape, margin=0.0):
    """Standard normal values; with ``margin`` every value is at least ``margin`` from 0."""
    a = r.standard_normal(shape)
    if margin:
        a = np.where(a >= 0, a + margin, a - margin)
    return a


def positive(r, *shape, low=0.5, high=2.0):
    return r.uniform(low, high, shape)


def distinct(r, *shape, gap=0.3):
    """Shuffled values that are pairwise at least ~gap apart and at least gap/5 from 0.

    Use for max/min/argmax/abs/relu so that no tie or kink sits near the input.
    """
    n = int(np.prod(shape)) if shape else 1
    base = (np.arange(n) - (n - 1) / 2) * gap + gap / 4
    base = base + r.uniform(-gap / 20, gap / 20, n)
    return r.permutation(base).reshape(shape)


def case(f, build, argnums=0, name=None):
    """One row of a corpus table: a program, a builder ``rng -> args`` and argnums."""
    return pytest.param(f, build, argnums, id=name or f.__name__)


def _is_python_float(v):
    return type(v) is float


def _is_object(v):
    """A plain object whose attributes may hold parameters (a small Model class)."""
    return hasattr(v, "__dict__") and not callable(v) and not isinstance(
        v, (np.ndarray, np.generic, dict, list, tuple))


def _has_float(v):
    if _is_object(v):
        return any(_has_float(a) for a in vars(v).values())
    if isinstance(v, dict):
        return any(_has_float(a) for a in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_float(a) for a in v)
    return type(v) is float or (isinstance(v, np.ndarray) and v.dtype.kind == "f")


def assert_mirrors(grad, arg, path="arg"):
    """Assert ``grad`` has exactly the container structure and leaf types of ``arg``.

    An object (an instance of a small Model class) gives an object of the same class whose
    attributes holding parameters hold their gradients.
    """
    assert grad is not None, f"gradient of {path} is None"
    if _is_object(arg):
        assert type(grad) is type(arg), (
            f"{path}: expected {type(arg).__name__} gradient, got {type(grad).__name__}")
        for k, v in vars(arg).items():
            if _has_float(v):
                assert hasattr(grad, k), f"{path}: gradient has no attribute {k!r}"
                assert_mirrors(getattr(grad, k), v, f"{path}.{k}")
    elif isinstance(arg, dict):
        assert type(grad) is dict, f"{path}: expected dict gradient, got {type(grad).__name__}"
        assert set(grad) == set(arg), f"{path}: keys {sorted(grad)} != {sorted(arg)}"
        for k in arg:
            assert_mirrors(grad[k], arg[k], f"{path}[{k!r}]")
    elif isinstance(arg, (list, tuple)):
        assert type(grad) is type(arg), (
            f"{path}: expected {type(arg).__name__} gradient, got {type(grad).__name__}")
        assert len(grad) == len(arg), f"{path}: length {len(grad)} != {len(arg)}"
        for i, (g, a) in enumerate(zip(grad, arg)):
            assert_mirrors(g, a, f"{path}[{i}]")
    elif isinstance(arg, np.ndarray):
        assert isinstance(grad, np.ndarray), (
            f"{path}: expected ndarray gradient, got {type(grad).__name__}")
        assert grad.shape == arg.shape, f"{path}: shape {grad.shape} != {arg.shape}"
        assert grad.dtype == arg.dtype, f"{path}: dtype {grad.dtype} != {arg.dtype}"
        assert np.all(np.isfinite(grad)), f"{path}: non-finite gradient {grad}"
    elif _is_python_float(arg):
        assert _is_python_float(grad), (
            f"{path}: expected Python float gradient, got {type(grad).__name__}")
        assert np.isfinite(grad), f"{path}: non-finite gradient {grad}"
    else:  # pragma: no cover - corpus only differentiates the types above
        raise TypeError(f"{path}: corpus does not differentiate {type(arg).__name__}")


def assert_tree_equal(a, b, path="arg"):
    if _is_object(a):
        assert type(a) is type(b), path
        assert_tree_equal(vars(a), vars(b), path)
    elif isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            assert_tree_equal(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_tree_equal(x, y, f"{path}[{i}]")
    else:
        assert np.array_equal(a, b), f"{path} was modified by the gradient computation"


def check_program(f, args, argnums=0):
    """Check knetc's gradient of program ``f`` at ``args`` through the public API."""
    args = tuple(args)
    value = f(*args)
    assert np.ndim(value) == 0, f"corpus bug: {f.__name__} must return a scalar"
    assert np.isfinite(value), f"corpus bug: {f.__name__} returned {value}"
    before = copy.deepcopy(args)

    knetc.check_grads(f, *args, argnums=argnums)

    g = knetc.grad(f, argnums=argnums)(*args)
    if isinstance(argnums, int):
        assert_mirrors(g, args[argnums], f"{f.__name__} arg {argnums}")
    else:
        assert type(g) is tuple, f"argnums={argnums} must give a tuple, got {type(g).__name__}"
        assert len(g) == len(argnums)
        for gi, i in zip(g, argnums):
            assert_mirrors(gi, args[i], f"{f.__name__} arg {i}")
    assert_tree_equal(args, before, "arguments")


def run_case(request, f, build, argnums):
    """Build the arguments for this test id and check the program."""
    args = build(rng_for(request.node.name))
    check_program(f, args, argnums)


def assert_tree_close(got, want, path="arg", rtol=1e-12):
    """Like assert_tree_equal, for values computed twice (e.g. state a program mutates)."""
    if _is_object(want):
        assert type(got) is type(want), path
        assert_tree_close(vars(got), vars(want), path, rtol)
    elif isinstance(want, dict):
        assert type(got) is type(want) and set(got) == set(want), f"{path}: keys differ"
        for k in want:
            assert_tree_close(got[k], want[k], f"{path}[{k!r}]", rtol)
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (a, b) in enumerate(zip(got, want)):
            assert_tree_close(a, b, f"{path}[{i}]", rtol)
    elif isinstance(want, (np.ndarray, float, np.floating)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14, err_msg=path)
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def check_mutating_program(f, args, argnums=0):
    """Check a program that may mutate its arguments in place (lists, dicts it is passed).

    Every evaluation, by finite differences or by knetc, gets fresh deep copies of the
    arguments. After one gradient call, the arguments must hold exactly what one call of the
    plain program leaves in them, and the value returned with the gradient must be the
    program's value. The gradient mirrors each differentiated argument as it was passed.
    """
    args = tuple(args)
    after_plain = copy.deepcopy(args)
    value = f(*after_plain)
    assert np.ndim(value) == 0, f"corpus bug: {f.__name__} must return a scalar"
    assert np.isfinite(value), f"corpus bug: {f.__name__} returned {value}"

    def fresh_f(*a):
        return f(*copy.deepcopy(a))

    def fresh_grad(*a):
        return knetc.grad(f, argnums=argnums)(*copy.deepcopy(a))

    knetc.check_grads(fresh_f, *args, argnums=argnums, grad_fn=fresh_grad)

    after_grad = copy.deepcopy(args)
    v, g = knetc.value_and_grad(f, argnums=argnums)(*after_grad)
    np.testing.assert_allclose(v, value, rtol=1e-12, err_msg="value returned with the gradient")
    assert_tree_close(after_grad, after_plain, "arguments after the gradient call")
    nums = (argnums,) if isinstance(argnums, int) else argnums
    grads = (g,) if isinstance(argnums, int) else g
    for gi, i in zip(grads, nums):
        assert_mirrors(gi, args[i], f"{f.__name__} arg {i}")


def run_mutating_case(request, f, build, argnums):
    check_mutating_program(f, build(rng_for(request.node.name)), argnums)
