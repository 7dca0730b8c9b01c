"""The adjoint of np.prod where x has zeros: the product of the other elements, never 0/0.

A regression test: the rule was g * y / x, which gave nan at a zero (found while adding the
GPU prod kernel). Products are multilinear, so central differences are exact here.
"""
import numpy as np
import pytest

import knetc


def full(x):
    return np.prod(x)


def rows(x):
    return np.sum(np.prod(x, axis=1) * np.arange(1.0, 1.0 + x.shape[0]))


def cols_keepdims(x):
    return np.sum(np.prod(x, axis=0, keepdims=True) ** 2)


X = np.array([[2.0, 0.0, 3.0],     # one zero: its adjoint is 2 * 3
              [1.0, 2.0, 3.0],     # no zero
              [0.0, 0.0, 5.0],     # two zeros: every adjoint is 0
              [-1.5, 0.5, 0.0]])


@pytest.mark.parametrize("f", [full, rows, cols_keepdims])
@pytest.mark.parametrize("x", [X, X[1:2], np.array([2.0, 0.0, 3.0]), np.zeros(3)],
                         ids=["mixed", "nozero", "onezero", "allzero"])
def test_prod_grad_matches_finite_differences(f, x):
    if f is not full and x.ndim == 1:
        pytest.skip("axis case needs a matrix")
    g = knetc.grad(f)(x)
    assert np.all(np.isfinite(g))
    knetc.check_grads(f, x)


def test_lone_zero_gets_the_product_of_the_rest():
    np.testing.assert_array_equal(knetc.grad(full)(np.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(knetc.grad(rows)(X)[0], [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(knetc.grad(rows)(X)[2], [0.0, 0.0, 0.0])


@pytest.mark.parametrize("f", [full, rows, cols_keepdims])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prod_grad_on_the_emulated_gpu(f, dtype, emulated_device):
    x = X.astype(dtype)
    want = knetc.grad(f)(x)
    got = knetc.grad(f)(knetc.gpu(x, device=emulated_device))
    assert isinstance(got, knetc.KnetArray) and got.dtype == dtype
    np.testing.assert_allclose(got.get(), want, rtol=1e-6 if dtype == np.float32 else 1e-12)
