"""The fused cross-entropy adjoint (knetc/compiler/xent.py, runtime logp_xent_grad) and the
fused log-softmax family helpers (logp_grad, softmax_grad, logsumexp_grad).

Where the compiler fuses, the gradient must equal the one of the unfused code bit for bit
(the helper's fast path does the same float operations); where it must not fuse (an
adjoint read twice, broadcasting labels, a loop), it must leave the code alone or stay right.
"""
import numpy as np
import pytest

import knetc
from knetc import runtime
from knetc.nn import logp

RNG = np.random.default_rng(7)


def xent(w, x, ygold):
    ynorm = logp(w @ x, axis=0)
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def xent_copy(w, x, ygold):
    ynorm = logp(w @ x, axis=0)
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def xent_swapped(w, x, ygold):
    ynorm = logp(w @ x, axis=1)
    return np.sum(ynorm * ygold) * 0.5


def xent_reused(w, x, ygold):  # ynorm's adjoint has two contributions: no fusion
    ynorm = logp(w @ x, axis=0)
    return -np.sum(ygold * ynorm) + np.sum(ynorm * ynorm) * 0.01


def xent_loop(w, x, ygold):  # inside a loop, with stack pops in between
    total = 0.0
    for t in range(3):
        ynorm = logp(w @ x[t], axis=0)
        total += np.sum(ygold[t] * ynorm)
    return -total


def xent_broadcast(w, x, ygold):  # labels of shape (classes, 1): fallback path
    ynorm = logp(w @ x, axis=0)
    return -np.sum(ygold * ynorm)


def unfused(g, c, y, axis, m):
    return runtime.logp_grad(runtime.unbroadcast(c * runtime.unreduce(g, m, None, False), y),
                             y, axis)


CALLS = []


def spy(*a):
    CALLS.append(1)
    return unfused(*a)


def data(dtype, classes=5, features=4, batch=6):
    w = RNG.standard_normal((classes, features)).astype(dtype)
    x = RNG.standard_normal((features, batch)).astype(dtype)
    y = np.zeros((classes, batch), dtype)
    y[RNG.integers(0, classes, batch), np.arange(batch)] = 1
    return w, x, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_in_source_and_bitwise_equal(dtype, monkeypatch):
    g = knetc.grad(xent)
    assert "logp_xent_grad(" in knetc.source(g)
    args = data(dtype)
    fused = g(*args)
    assert fused.dtype == dtype
    # the same code with the helper replaced by the unfused composition
    del CALLS[:]
    from knetc.compiler import emit
    monkeypatch.setattr(runtime, "logp_xent_grad", spy)
    monkeypatch.setitem(emit.HELPERS, "logp_xent_grad", spy)  # compiled once, cached
    np.testing.assert_array_equal(fused, knetc.grad(xent_copy)(*args))
    assert CALLS
    knetc.check_grads(xent, *data(np.float64))


def test_swapped_product_and_axis1():
    g = knetc.grad(xent_swapped)
    assert "logp_xent_grad(" in knetc.source(g)
    knetc.check_grads(xent_swapped, *data(np.float64))


def test_not_fused_when_adjoint_read_twice():
    g = knetc.grad(xent_reused)
    assert "logp_xent_grad(" not in knetc.source(g)
    knetc.check_grads(xent_reused, *data(np.float64))


def test_loop():
    g = knetc.grad(xent_loop)
    assert "logp_xent_grad(" in knetc.source(g)
    w = RNG.standard_normal((5, 4))
    x = RNG.standard_normal((3, 4, 6))
    y = RNG.random((3, 5, 6))
    knetc.check_grads(xent_loop, w, x, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_broadcast_labels_fall_back(dtype):
    w, x, _ = data(dtype)
    y = RNG.random((5, 1)).astype(dtype)
    got = knetc.grad(xent_broadcast)(w, x, y)
    assert got.dtype == dtype
    knetc.check_grads(xent_broadcast, w.astype(np.float64), x.astype(np.float64),
                      y.astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_helper_fast_path_equals_composition(dtype):
    y = logp(RNG.standard_normal((7, 9)).astype(dtype), axis=1)
    c = RNG.random((7, 9)).astype(dtype)
    for g in (np.array(-0.25, dtype), dtype(1.5)):
        got = runtime.logp_xent_grad(g, c, y, 1, c * y)
        np.testing.assert_array_equal(got, unfused(g, c, y, 1, c * y))
        assert got.dtype == dtype
    # a Python float or a float64 adjoint of float32 values: the composition's dtype
    for g in (0.5, np.float64(0.5)):
        got = runtime.logp_xent_grad(g, c, y, 1, c * y)
        want = unfused(g, c, y, 1, c * y)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((4, 5), 0), ((4, 5), 1), ((2, 3, 4), -1),
                                        ((2, 3, 4), (0, 2)), ((6,), 0)])
def test_logsoftmax_family_helpers_equal_formulas(dtype, shape, axis):
    x = RNG.standard_normal(shape).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    y = knetc.logp(x, axis=axis)
    np.testing.assert_array_equal(runtime.logp_grad(g, y, axis),
                                  g - np.exp(y) * np.sum(g, axis=axis, keepdims=True))
    s = knetc.softmax(x, axis=axis)
    np.testing.assert_array_equal(runtime.softmax_grad(g, s, axis),
                                  s * (g - np.sum(g * s, axis=axis, keepdims=True)))
    for keepdims in (False, True):
        lse = knetc.logsumexp(x, axis=axis, keepdims=keepdims)
        gl = (RNG.standard_normal(np.shape(lse)).astype(dtype) if np.ndim(lse)
              else np.array(0.7, dtype))
        want = (runtime.unreduce(gl, x, axis, keepdims)
                * np.exp(x - runtime.unreduce(lse, x, axis, keepdims)))
        got = runtime.logsumexp_grad(gl, lse, x, axis, keepdims)
        assert got.dtype == want.dtype and got.shape == x.shape
        np.testing.assert_array_equal(got, want)
    # mixed dtypes take the plain formula (its dtype)
    g64 = g.astype(np.float64)
    assert runtime.logp_grad(g64, y, axis).dtype == (g64 - np.exp(y)).dtype
